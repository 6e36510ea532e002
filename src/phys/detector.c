/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detector.c: the dual-layer (sandwich) detector of PHYSICS.md: a thin front
 * scintillator (low-energy channel), a metal filter, a thick rear
 * scintillator (high-energy channel). The absorption efficiency of a layer is
 * 1 - exp(-mu t) with mu from xraylib's CS_Total of the layer material (the
 * fraction of photons that interact; CS_Energy is wrong in xraylib 4.0.0 and
 * not used). The detector copies the compositions it needs, so it does not
 * depend on the material library after creation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phys/phys_int.h"
#include "util/util.h"

typedef struct layer {
    lc__composition comp;
    double areal; /* g/cm^2 = density * thickness */
} layer;

struct lc_detector {
    lc_detector_desc desc;
    layer front, filter, rear;
};

void lc_detector_desc_init(lc_detector_desc *desc)
{
    memset(desc, 0, sizeof *desc);
    lc__strlcpy(desc->front, "csi", sizeof desc->front);
    desc->front_mm = 0.3;
    lc__strlcpy(desc->filter, "Cu", sizeof desc->filter);
    desc->filter_mm = 0.3;
    lc__strlcpy(desc->rear, "csi", sizeof desc->rear);
    desc->rear_mm = 4.0;
}

static lc_status make_layer(lc_matlib *lib, const char *what, const char *name, double mm,
                            layer *out, lc_error *err)
{
    if (!memchr(name, '\0', LC_PHYS_NAME_MAX))
        return lc_error_set(err, LC_ERR_ARG, "detector %s: material name not terminated", what);
    if (!(mm >= 0.0 && mm <= 100.0))
        return lc_error_set(err, LC_ERR_ARG, "detector %s: thickness %g mm outside 0..100", what,
                            mm);
    memset(out, 0, sizeof *out);
    if (mm == 0.0)
        return LC_OK;
    const lc_material *m = NULL;
    lc_status st = lc_matlib_get(lib, name, &m, err);
    if (st != LC_OK)
        return lc_error_prefix(err, "detector %s: ", what);
    out->comp = m->comp;
    out->areal = m->density * mm / 10.0;
    return LC_OK;
}

lc_status lc_detector_new(lc_matlib *lib, const lc_detector_desc *desc, lc_detector **out,
                          lc_error *err)
{
    *out = NULL;
    if (!lib || !desc)
        return lc_error_set(err, LC_ERR_ARG, "lc_detector_new: NULL argument");
    lc_detector *d = calloc(1, sizeof *d);
    if (!d)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    d->desc = *desc;
    lc_status st = make_layer(lib, "front", desc->front, desc->front_mm, &d->front, err);
    if (st == LC_OK)
        st = make_layer(lib, "filter", desc->filter, desc->filter_mm, &d->filter, err);
    if (st == LC_OK)
        st = make_layer(lib, "rear", desc->rear, desc->rear_mm, &d->rear, err);
    if (st == LC_OK && d->front.areal == 0.0 && d->rear.areal == 0.0)
        st = lc_error_set(err, LC_ERR_ARG, "detector: front and rear layers are both 0 mm");
    if (st != LC_OK) {
        free(d);
        return st;
    }
    *out = d;
    return LC_OK;
}

void lc_detector_free(lc_detector *det)
{
    free(det);
}

const lc_detector_desc *lc_detector_get_desc(const lc_detector *det)
{
    return &det->desc;
}

/* mu t of a layer at e_kev (0 for an absent layer). */
static lc_status layer_mut(const layer *l, double e_kev, double *out, lc_error *err)
{
    *out = 0.0;
    if (l->areal == 0.0)
        return LC_OK;
    double mu;
    lc_status st = lc__comp_mu_rho(&l->comp, e_kev, &mu, err);
    if (st == LC_OK)
        *out = mu * l->areal;
    return st;
}

lc_status lc_detector_eta(const lc_detector *det, double e_kev, double *eta_low, double *eta_high,
                          lc_error *err)
{
    if (eta_low)
        *eta_low = 0.0;
    if (eta_high)
        *eta_high = 0.0;
    if (!(e_kev >= LC_PHYS_E_MIN_KEV && e_kev <= LC_PHYS_E_MAX_KEV))
        return lc_error_set(err, LC_ERR_ARG, "energy %g keV outside %g..%g keV", e_kev,
                            LC_PHYS_E_MIN_KEV, LC_PHYS_E_MAX_KEV);
    double f, x, b;
    lc_status st = layer_mut(&det->front, e_kev, &f, err);
    if (st == LC_OK)
        st = layer_mut(&det->filter, e_kev, &x, err);
    if (st == LC_OK)
        st = layer_mut(&det->rear, e_kev, &b, err);
    if (st != LC_OK)
        return st;
    /* PHYSICS.md: eta_L = 1 - exp(-mu_F t_F);
     * eta_H = exp(-mu_F t_F - mu_X t_X) (1 - exp(-mu_B t_B)). -expm1 keeps
     * precision for thin layers. */
    if (eta_low)
        *eta_low = -expm1(-f);
    if (eta_high)
        *eta_high = exp(-f - x) * -expm1(-b);
    return LC_OK;
}

void lc_detector_describe(const lc_detector *det, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return;
    const lc_detector_desc *d = &det->desc;
    snprintf(buf, cap, "dual-layer %s %g mm / %s %g mm / %s %g mm", d->front, d->front_mm,
             d->filter, d->filter_mm, d->rear, d->rear_mm);
}
