/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signal.c: the fast signal model. For a ray through materials m with areal
 * densities rho t_m, channel k of the dual-layer detector sees (PHYSICS.md)
 *   S_k   = sum_E N0(E) T(E) eta_k(E) E,     T(E) = exp(-sum_m mu/rho_m(E) rho t_m)
 *   Var_k = sum_E N0(E) T(E) eta_k(E) E^2    (compound Poisson)
 * Everything but T is fixed for a scanner, so lc_signal_model_new computes
 * per energy the four weights N0 eta_k E^p and per material the mu/rho values
 * (exact xraylib at the spectrum's energies), dropping energies that carry no
 * weight. An evaluation is then one multiply-add per (material, energy), one
 * exponential per energy (an inlined polynomial exp the compiler can
 * vectorise) and four dot products, with no allocation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "phys/phys_int.h"
#include "util/util.h"

/* Energies whose weight in both channels is below this fraction of the
 * channel's total are dropped. The error this makes is bounded in absolute
 * terms: at most (number dropped) x 1e-12 of the open-beam signal, since
 * transmission is <= 1. For the tube model the dropped energies are the empty
 * top bin and the low-energy tail (below ~10 keV) that every object absorbs
 * even more strongly, so the relative error stays far below 1e-12 too. */
#define DROP_FRACTION 1e-12

/* Energies processed per block (the exponent accumulator lives on the
 * stack); the model pads its energies to a multiple of this. */
#define BLOCK 32

struct lc_signal_model {
    size_t nb;               /* energies kept, padded to a multiple of BLOCK */
    size_t nreal;            /* energies kept before padding (the rest carry zero weight) */
    size_t nmat;             /* materials */
    double *e;               /* [nb] energies, keV */
    double *w1[LC_CHANNELS]; /* [nb] N0 eta_k E */
    double *w2[LC_CHANNELS]; /* [nb] N0 eta_k E^2 */
    double *mu;              /* [nmat * nb] mu/rho, material-major */
    lc_signal air;
};

void lc_signal_model_free(lc_signal_model *model)
{
    if (!model)
        return;
    free(model->e);
    for (int k = 0; k < LC_CHANNELS; k++) {
        free(model->w1[k]);
        free(model->w2[k]);
    }
    free(model->mu);
    free(model);
}

lc_status lc_signal_model_new(const lc_spectrum *spec, const lc_detector *det,
                              const lc_material *const *mats, size_t nmat, double photon_scale,
                              lc_signal_model **out, lc_error *err)
{
    *out = NULL;
    if (!spec || !det || (nmat > 0 && !mats))
        return lc_error_set(err, LC_ERR_ARG, "lc_signal_model_new: NULL argument");
    if (nmat > 65535)
        return lc_error_set(err, LC_ERR_ARG, "signal model: %zu materials, at most 65535", nmat);
    if (!(photon_scale > 0.0 && isfinite(photon_scale)))
        return lc_error_set(err, LC_ERR_ARG, "signal model: photon scale %g must be > 0",
                            photon_scale);
    for (size_t j = 0; j < nmat; j++)
        if (!mats[j])
            return lc_error_set(err, LC_ERR_ARG, "signal model: material %zu is NULL", j);

    size_t n = lc_spectrum_count(spec);
    const double *se = lc_spectrum_energies(spec), *sn = lc_spectrum_photons(spec);
    double *tmp = lc__mallocn(n, 4 * sizeof(double));
    if (!tmp)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    double tot[LC_CHANNELS] = {0, 0};
    lc_status st = LC_OK;
    for (size_t i = 0; i < n; i++) {
        double el, eh;
        st = lc_detector_eta(det, se[i], &el, &eh, err);
        if (st != LC_OK) {
            free(tmp);
            return st;
        }
        double n0 = sn[i] * photon_scale;
        tmp[4 * i + 0] = n0 * eh * se[i]; /* LC_HIGH */
        tmp[4 * i + 1] = n0 * el * se[i]; /* LC_LOW */
        tmp[4 * i + 2] = tmp[4 * i + 0] * se[i];
        tmp[4 * i + 3] = tmp[4 * i + 1] * se[i];
        tot[LC_HIGH] += tmp[4 * i + 0];
        tot[LC_LOW] += tmp[4 * i + 1];
    }
    size_t nb = 0;
    for (size_t i = 0; i < n; i++)
        if (tmp[4 * i + 0] > DROP_FRACTION * tot[LC_HIGH] ||
            tmp[4 * i + 1] > DROP_FRACTION * tot[LC_LOW])
            nb++;
    if (nb == 0) {
        free(tmp);
        return lc_error_set(err, LC_ERR_PHYSICS,
                            "signal model: the detector records nothing of this spectrum");
    }
    lc_signal_model *m = calloc(1, sizeof *m);
    if (!m) {
        free(tmp);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    /* Pad to whole blocks with zero weights and zero mu: the padding adds
     * exactly 0 to every sum, and fixed-length inner loops vectorise even
     * at -O2. */
    size_t nreal = nb;
    nb = (nb + BLOCK - 1) / BLOCK * BLOCK;
    m->nb = nb;
    m->nreal = nreal;
    m->nmat = nmat;
    m->e = lc__calloc(nb, sizeof(double));
    bool ok = m->e != NULL;
    for (int k = 0; k < LC_CHANNELS; k++) {
        m->w1[k] = lc__calloc(nb, sizeof(double));
        m->w2[k] = lc__calloc(nb, sizeof(double));
        ok = ok && m->w1[k] && m->w2[k];
    }
    m->mu = lc__calloc((nmat ? nmat : 1) * nb, sizeof(double));
    if (!ok || !m->mu) {
        free(tmp);
        lc_signal_model_free(m);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    size_t b = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(tmp[4 * i + 0] > DROP_FRACTION * tot[LC_HIGH] ||
              tmp[4 * i + 1] > DROP_FRACTION * tot[LC_LOW]))
            continue;
        m->e[b] = se[i];
        m->w1[LC_HIGH][b] = tmp[4 * i + 0];
        m->w1[LC_LOW][b] = tmp[4 * i + 1];
        m->w2[LC_HIGH][b] = tmp[4 * i + 2];
        m->w2[LC_LOW][b] = tmp[4 * i + 3];
        b++;
    }
    free(tmp);
    for (size_t j = 0; j < nmat && st == LC_OK; j++)
        for (b = 0; b < nreal && st == LC_OK; b++)
            st = lc__comp_mu_rho(&mats[j]->comp, m->e[b], &m->mu[j * nb + b], err);
    if (st != LC_OK) {
        lc_signal_model_free(m);
        return st;
    }
    for (int k = 0; k < LC_CHANNELS; k++) {
        double s1 = 0.0, s2 = 0.0;
        for (b = 0; b < nb; b++) {
            s1 += m->w1[k][b];
            s2 += m->w2[k][b];
        }
        m->air.mean[k] = s1;
        m->air.var[k] = s2;
    }
    *out = m;
    return LC_OK;
}

size_t lc_signal_model_material_count(const lc_signal_model *model)
{
    return model->nmat;
}

const lc_signal *lc_signal_model_air(const lc_signal_model *model)
{
    return &model->air;
}

/* Most distinct materials on one ray. */
#define MAX_PAIRS 64

/* On x86-64 with GCC, the inner loops are compiled twice, for the baseline
 * (SSE2, 2 doubles per vector) and for AVX2 (4 per vector), and the loader
 * picks one for the CPU. Both give bit-identical results: ISO C mode (-std=c11)
 * forbids contracting a*b+c into FMA, the vectorised loops have no reductions,
 * and the dot products stay in source order. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LC__MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define LC__MULTIVERSION
#endif

/* The work of one evaluation: exponent per energy, transmission, and the
 * four weighted sums (mean and variance of both channels). */
LC__MULTIVERSION
static void accumulate(const lc_signal_model *model, size_t nv, const double *const *rows,
                       const double *amount, double sums[4])
{
    const size_t nb = model->nb;
    double acc[BLOCK];
    double s1h = 0, s1l = 0, s2h = 0, s2l = 0;
    for (size_t b0 = 0; b0 < nb; b0 += BLOCK) {
        const size_t len = BLOCK;
        for (size_t b = 0; b < len; b++)
            acc[b] = 0.0;
        for (size_t j = 0; j < nv; j++) {
            const double *r = rows[j] + b0;
            double a = amount[j];
            for (size_t b = 0; b < len; b++)
                acc[b] += r[b] * a;
        }
        /* Separate loops: the first two vectorise (no reductions), the dot
         * products run in source order. */
        for (size_t b = 0; b < len; b++)
            acc[b] = lc__exp_neg(-acc[b]);
        const double *w1h = model->w1[LC_HIGH] + b0, *w1l = model->w1[LC_LOW] + b0;
        const double *w2h = model->w2[LC_HIGH] + b0, *w2l = model->w2[LC_LOW] + b0;
        for (size_t b = 0; b < len; b++) {
            double t = acc[b];
            s1h += w1h[b] * t;
            s1l += w1l[b] * t;
            s2h += w2h[b] * t;
            s2l += w2l[b] * t;
        }
    }
    sums[0] = s1h;
    sums[1] = s1l;
    sums[2] = s2h;
    sums[3] = s2l;
}

lc_status lc_signal_model_eval(const lc_signal_model *model, size_t n, const uint32_t *mat_idx,
                               const double *areal_g_cm2, lc_signal *out)
{
    if (n == 0) {
        *out = model->air;
        return LC_OK;
    }
    /* Merge the pairs by material (indices may repeat) and drop invalid ones. */
    lc_status st = LC_OK;
    size_t nv = 0;
    const double *rows[MAX_PAIRS];
    double amount[MAX_PAIRS];
    for (size_t i = 0; i < n; i++) {
        if (mat_idx[i] >= model->nmat || !(areal_g_cm2[i] >= 0.0 && isfinite(areal_g_cm2[i]))) {
            st = LC_ERR_ARG;
            continue;
        }
        if (areal_g_cm2[i] == 0.0)
            continue;
        const double *row = model->mu + (size_t)mat_idx[i] * model->nb;
        size_t j;
        for (j = 0; j < nv; j++)
            if (rows[j] == row)
                break;
        if (j < nv) {
            amount[j] += areal_g_cm2[i];
        } else if (nv < MAX_PAIRS) {
            rows[nv] = row;
            amount[nv] = areal_g_cm2[i];
            nv++;
        } else {
            /* More than MAX_PAIRS distinct materials on one ray: reported
             * as invalid rather than computed wrongly. */
            st = LC_ERR_ARG;
        }
    }
    double sums[4];
    accumulate(model, nv, rows, amount, sums);
    out->mean[LC_HIGH] = sums[0];
    out->mean[LC_LOW] = sums[1];
    out->var[LC_HIGH] = sums[2];
    out->var[LC_LOW] = sums[3];
    return st;
}
