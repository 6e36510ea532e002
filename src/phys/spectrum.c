/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spectrum.c: photon spectra. The tungsten tube model (PHYSICS.md "Tube
 * spectrum"): a Kramers continuum whose photons are produced at the depth
 * where the electrons still have enough energy (Thomson-Whiddington law) and
 * attenuated in the target on their way out at the anode angle, tungsten K
 * lines from xraylib's line energies and radiative rates, then the tube's
 * inherent and added Al/Cu filtration by Beer-Lambert with xraylib's
 * CS_Total. Also spectra from points, from a two-column file and
 * monoenergetic beams, and attenuation of a spectrum by a material.
 *
 * Units of the tube model: photons per 1 keV bin (centred on the integer
 * energy) per mAs per mm^2 at 1 m from the focal spot.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xraylib/xraylib.h>

#include "phys/phys_int.h"
#include "util/util.h"

struct lc_spectrum {
    size_t n;
    double *e;
    double *n0;
};

/* --------------------------------------------------------------------- */
/* Model constants (with their sources)                                   */
/* --------------------------------------------------------------------- */

/* Kramers' thick-target law: the energy radiated per electron per keV is
 * k Z (E0 - E), i.e. N(E) = k Z (E0 - E) / E photons per keV, with the
 * efficiency k Z E0 / 2 = 1.1e-9 Z V (V in volts; the textbook tungsten
 * efficiency, ~0.8 % at 100 kV) giving k = 2.2e-6 per keV. Emission is taken
 * as isotropic: per steradian divide by 4 pi. */
#define KRAMERS_K 2.2e-6
/* Electrons per mAs: 1e-3 C / e. */
#define ELECTRONS_PER_MAS (1e-3 / 1.602176634e-19)
/* A 1 mm^2 area at 1 m subtends 1e-6 sr. */
#define SR_PER_MM2_AT_1M 1e-6
/* Depth of photon production in the tungsten target. An electron of initial
 * energy E0 still has energy T at mass depth
 *   x(T) = R(E0) (1 - T^2 / E0^2)       (Thomson-Whiddington form, T^2 linear in depth)
 * with the depth scale R(E0) = DEPTH_R100 * E0 / 100 keV. The pure
 * Thomson-Whiddington law has R growing as E0^2 and a scale near the CSDA
 * range (~0.03 g/cm^2 at 100 keV), but electrons diffuse and backscatter, so
 * X-rays are produced much shallower; with R ~ E0^2 the model hardened too
 * fast with kVp compared with TASMIP. This one parameter pair (R ~ E0,
 * 6.25e-3 g/cm^2 = 3.2 um at 100 kV) was chosen so that the model with 1.5 mm
 * Al matches TASMIP's mean energies at 80-140 kV within 1.4 keV (tests,
 * docs/physics.md). */
#define DEPTH_R100 6.25e-3
/* Tungsten K shell photons per electron (4 pi) as a function of overvoltage
 * U = E0 / E_K: N_K = A (U - 1)^1.63 (the Green-Cosslett exponent), with A
 * from the thick-target K-ionisation yield at 100 kV (~3.8e-4 photons per
 * electron: K-ionisation cross-section ~1.5e-23 cm^2 over the 0.0115 g/cm^2
 * in which a 100 keV electron is above the K edge, times the fluorescence
 * yield 0.95 and ~0.7 for backscatter losses), i.e. Kalpha1 about twice the
 * neighbouring 1 keV continuum bin at 100 kV, as in published spectra. */
#define K_LINE_A        1.46e-3
#define K_LINE_EXPONENT 1.63
/* Filter densities, g/cm^3. */
#define RHO_AL 2.699
#define RHO_CU 8.96
/* Photons of a mono beam from "mono:E" (order of the tube model's output). */
#define MONO_PHOTONS 1e6
#define LC__PI       3.14159265358979323846

static lc_status xrl_fail(lc_error *err, xrl_error *xe, const char *what)
{
    lc_status st = lc_error_set(err, LC_ERR_PHYSICS, "%s: xraylib: %s", what,
                                xe && xe->message ? xe->message : "unknown failure");
    xrl_error_free(xe);
    return st;
}

static lc_status el_mu(int z, double e, double *out, lc_error *err)
{
    xrl_error *xe = NULL;
    *out = CS_Total(z, e, &xe);
    if (xe) {
        char what[64];
        snprintf(what, sizeof what, "CS_Total(Z=%d, %g keV)", z, e);
        return xrl_fail(err, xe, what);
    }
    return LC_OK;
}

/* --------------------------------------------------------------------- */
/* Spectrum objects                                                       */
/* --------------------------------------------------------------------- */

static lc_status spectrum_alloc(size_t n, lc_spectrum **out, lc_error *err)
{
    lc_spectrum *s = calloc(1, sizeof *s);
    if (s) {
        s->e = lc__mallocn(n, sizeof(double));
        s->n0 = lc__mallocn(n, sizeof(double));
    }
    if (!s || !s->e || !s->n0) {
        lc_spectrum_free(s);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    s->n = n;
    *out = s;
    return LC_OK;
}

void lc_spectrum_free(lc_spectrum *s)
{
    if (!s)
        return;
    free(s->e);
    free(s->n0);
    free(s);
}

lc_status lc_spectrum_new(const double *e_kev, const double *photons, size_t n, lc_spectrum **out,
                          lc_error *err)
{
    *out = NULL;
    if (n == 0 || !e_kev || !photons)
        return lc_error_set(err, LC_ERR_ARG, "spectrum: no points");
    if (n > LC_PHYS_MAX_POINTS)
        return lc_error_set(err, LC_ERR_LIMIT, "spectrum: %zu points, at most %d", n,
                            LC_PHYS_MAX_POINTS);
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(e_kev[i] >= LC_PHYS_E_MIN_KEV && e_kev[i] <= LC_PHYS_E_MAX_KEV))
            return lc_error_set(err, LC_ERR_ARG, "spectrum point %zu: energy %g keV outside %g..%g",
                                i + 1, e_kev[i], LC_PHYS_E_MIN_KEV, LC_PHYS_E_MAX_KEV);
        if (i > 0 && !(e_kev[i] > e_kev[i - 1]))
            return lc_error_set(err, LC_ERR_ARG,
                                "spectrum point %zu: energies must increase strictly", i + 1);
        if (!(photons[i] >= 0.0 && isfinite(photons[i])))
            return lc_error_set(err, LC_ERR_ARG,
                                "spectrum point %zu: photons must be finite and >= 0", i + 1);
        total += photons[i];
    }
    if (!(total > 0.0))
        return lc_error_set(err, LC_ERR_ARG, "spectrum: all photon counts are zero");
    lc_spectrum *s = NULL;
    lc_status st = spectrum_alloc(n, &s, err);
    if (st != LC_OK)
        return st;
    memcpy(s->e, e_kev, n * sizeof(double));
    memcpy(s->n0, photons, n * sizeof(double));
    *out = s;
    return LC_OK;
}

lc_status lc_spectrum_mono(double e_kev, double photons, lc_spectrum **out, lc_error *err)
{
    return lc_spectrum_new(&e_kev, &photons, 1, out, err);
}

size_t lc_spectrum_count(const lc_spectrum *s)
{
    return s->n;
}

const double *lc_spectrum_energies(const lc_spectrum *s)
{
    return s->e;
}

const double *lc_spectrum_photons(const lc_spectrum *s)
{
    return s->n0;
}

double lc_spectrum_total(const lc_spectrum *s)
{
    double t = 0.0;
    for (size_t i = 0; i < s->n; i++)
        t += s->n0[i];
    return t;
}

double lc_spectrum_mean_energy(const lc_spectrum *s)
{
    double t = 0.0, te = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        t += s->n0[i];
        te += s->n0[i] * s->e[i];
    }
    return t > 0.0 ? te / t : 0.0;
}

lc_status lc_spectrum_attenuate(const lc_spectrum *s, const lc_material *m, double areal_g_cm2,
                                lc_spectrum **out, lc_error *err)
{
    *out = NULL;
    if (!(areal_g_cm2 >= 0.0 && isfinite(areal_g_cm2)))
        return lc_error_set(err, LC_ERR_ARG, "areal density %g g/cm2 must be >= 0", areal_g_cm2);
    lc_spectrum *r = NULL;
    lc_status st = spectrum_alloc(s->n, &r, err);
    if (st != LC_OK)
        return st;
    for (size_t i = 0; i < s->n; i++) {
        double mu;
        st = lc__comp_mu_rho(&m->comp, s->e[i], &mu, err);
        if (st != LC_OK) {
            lc_spectrum_free(r);
            return st;
        }
        r->e[i] = s->e[i];
        r->n0[i] = s->n0[i] * exp(-mu * areal_g_cm2);
    }
    *out = r;
    return LC_OK;
}

/* --------------------------------------------------------------------- */
/* Spectrum files                                                         */
/* --------------------------------------------------------------------- */

/* Parses "a<sep>b" with sep a comma, tab or spaces; true when both numbers
 * parse and nothing but spaces follows. */
static bool parse_pair(const char *line, double *a, double *b)
{
    char *end = NULL;
    errno = 0;
    *a = strtod(line, &end);
    if (end == line || errno)
        return false;
    const char *p = end;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == ',' || *p == ';')
        p++;
    const char *q = p;
    *b = strtod(q, &end);
    if (end == q || errno)
        return false;
    p = end;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return *p == '\0';
}

lc_status lc_spectrum_load(const char *path, lc_spectrum **out, lc_error *err)
{
    *out = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, 4u << 20, &buf, &len, err);
    if (st != LC_OK)
        return st;
    if (memchr(buf, '\0', len)) {
        free(buf);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: not a text file (NUL byte)", path);
    }
    double *e = lc__mallocn(LC_PHYS_MAX_POINTS, sizeof(double));
    double *n = lc__mallocn(LC_PHYS_MAX_POINTS, sizeof(double));
    if (!e || !n) {
        free(buf);
        free(e);
        free(n);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    size_t count = 0;
    int lineno = 0;
    bool first_content = true;
    char *p = (char *)buf;
    st = LC_OK;
    while (st == LC_OK && p && *p) {
        char *line = p;
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p = NULL;
        }
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        size_t l = strlen(line);
        while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
            line[--l] = '\0';
        if (l == 0 || line[0] == '#')
            continue;
        double a, b;
        if (!parse_pair(line, &a, &b)) {
            if (first_content && !isdigit((unsigned char)line[0]) && line[0] != '.' &&
                line[0] != '-' && line[0] != '+') {
                first_content = false; /* a header line */
                continue;
            }
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "%s:%d: expected two numbers (energy_keV, photons)", path, lineno);
            break;
        }
        first_content = false;
        if (count == LC_PHYS_MAX_POINTS) {
            st = lc_error_set(err, LC_ERR_LIMIT, "%s:%d: more than %d points", path, lineno,
                              LC_PHYS_MAX_POINTS);
            break;
        }
        e[count] = a;
        n[count] = b;
        count++;
        if (!(a >= LC_PHYS_E_MIN_KEV && a <= LC_PHYS_E_MAX_KEV))
            st = lc_error_set(err, LC_ERR_FORMAT, "%s:%d: energy %g keV outside %g..%g", path,
                              lineno, a, LC_PHYS_E_MIN_KEV, LC_PHYS_E_MAX_KEV);
        else if (count > 1 && !(a > e[count - 2]))
            st = lc_error_set(err, LC_ERR_FORMAT, "%s:%d: energies must increase strictly", path,
                              lineno);
        else if (!(b >= 0.0 && isfinite(b)))
            st = lc_error_set(err, LC_ERR_FORMAT, "%s:%d: photons must be finite and >= 0", path,
                              lineno);
    }
    free(buf);
    if (st == LC_OK && count == 0)
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: no spectrum points", path);
    double total = 0.0;
    for (size_t i = 0; st == LC_OK && i < count; i++)
        total += n[i];
    if (st == LC_OK && !(total > 0.0))
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: all photon counts are zero", path);
    if (st == LC_OK)
        st = lc_spectrum_new(e, n, count, out, err);
    free(e);
    free(n);
    return st;
}

lc_status lc_spectrum_from_arg(const char *arg, lc_spectrum **out, lc_error *err)
{
    *out = NULL;
    if (!arg || !*arg)
        return lc_error_set(err, LC_ERR_ARG, "empty spectrum argument");
    if (strncmp(arg, "mono:", 5) == 0) {
        char *end = NULL;
        double e = strtod(arg + 5, &end);
        if (end == arg + 5 || *end != '\0' || !(e >= LC_PHYS_E_MIN_KEV && e <= LC_PHYS_E_MAX_KEV))
            return lc_error_set(err, LC_ERR_ARG, "\"%s\": expected mono:E with E in %g..%g keV",
                                arg, LC_PHYS_E_MIN_KEV, LC_PHYS_E_MAX_KEV);
        return lc_spectrum_mono(e, MONO_PHOTONS, out, err);
    }
    return lc_spectrum_load(arg, out, err);
}

/* --------------------------------------------------------------------- */
/* Tube model                                                             */
/* --------------------------------------------------------------------- */

void lc_tube_init(lc_tube *tube)
{
    memset(tube, 0, sizeof *tube);
    tube->kvp = 160.0;
    tube->ma = 1.0;
    tube->anode_angle_deg = 12.0;
    tube->inherent_al_mm = 2.5;
    tube->added_al_mm = 0.0;
    tube->added_cu_mm = 0.0;
    tube->self_absorption = 1;
    tube->k_lines = 1;
    tube->output_scale = 1.0;
}

/* Why: photons of energy E are produced while the electron slows from E0 to
 * E, evenly in electron energy T (this is what gives Kramers' (E0 - E)/E
 * after integrating the thin-target 1/E spectrum). At mass depth
 * x(T) (see DEPTH_R100) they leave the target along the central ray through
 * x / sin(anode angle) of tungsten. So the escaping fraction is
 *   F(E) = 1/(E0 - Emin) * integral_{Emin}^{E0} exp(-mu_W(E) x(T) / sin a) dT
 * evaluated here with Simpson's rule on 64 intervals (the integrand is
 * smooth: a Gaussian-like function of T). For the continuum Emin = E, for K
 * lines Emin = the K edge energy. */
static double escape_fraction(double mu_w, double e0, double emin, double sin_a)
{
    if (e0 <= emin)
        return 0.0;
    const int n = 64;
    double h = (e0 - emin) / n, sum = 0.0;
    for (int i = 0; i <= n; i++) {
        double t = emin + i * h;
        double x = DEPTH_R100 * (e0 / 100.0) * (1.0 - (t * t) / (e0 * e0));
        double f = exp(-mu_w * x / sin_a);
        double wgt = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        sum += wgt * f;
    }
    return sum * h / 3.0 / (e0 - emin);
}

static lc_status check_tube(const lc_tube *t, lc_error *err)
{
    if (!(t->kvp >= LC_PHYS_KVP_MIN && t->kvp <= LC_PHYS_KVP_MAX))
        return lc_error_set(err, LC_ERR_ARG, "tube kVp %g outside %g..%g", t->kvp, LC_PHYS_KVP_MIN,
                            LC_PHYS_KVP_MAX);
    if (!(t->anode_angle_deg >= 5.0 && t->anode_angle_deg <= 45.0))
        return lc_error_set(err, LC_ERR_ARG, "tube anode angle %g deg outside 5..45",
                            t->anode_angle_deg);
    if (!(t->inherent_al_mm >= 0.0 && t->inherent_al_mm <= 100.0))
        return lc_error_set(err, LC_ERR_ARG, "tube inherent filtration %g mm Al outside 0..100",
                            t->inherent_al_mm);
    if (!(t->added_al_mm >= 0.0 && t->added_al_mm <= 100.0))
        return lc_error_set(err, LC_ERR_ARG, "tube added Al filter %g mm outside 0..100",
                            t->added_al_mm);
    if (!(t->added_cu_mm >= 0.0 && t->added_cu_mm <= 20.0))
        return lc_error_set(err, LC_ERR_ARG, "tube added Cu filter %g mm outside 0..20",
                            t->added_cu_mm);
    if (!(t->ma >= 0.0 && t->ma <= 1000.0))
        return lc_error_set(err, LC_ERR_ARG, "tube current %g mA outside 0..1000", t->ma);
    if (!(t->output_scale > 0.0 && t->output_scale <= 1e6))
        return lc_error_set(err, LC_ERR_ARG, "tube output scale %g must be in (0, 1e6]",
                            t->output_scale);
    return LC_OK;
}

static lc_status tube_model(const lc_tube *t, lc_spectrum **out, lc_error *err)
{
    const int zw = 74;
    double e0 = t->kvp;
    size_t nb = (size_t)floor(e0);
    lc_spectrum *s = NULL;
    lc_status st = spectrum_alloc(nb, &s, err);
    if (st != LC_OK)
        return st;
    double sin_a = sin(t->anode_angle_deg * LC__PI / 180.0);
    double geom = ELECTRONS_PER_MAS * SR_PER_MM2_AT_1M / (4.0 * LC__PI) * t->output_scale;
    xrl_error *xe = NULL;
    double ek = EdgeEnergy(zw, K_SHELL, &xe);
    if (xe) {
        lc_spectrum_free(s);
        return xrl_fail(err, xe, "EdgeEnergy(W, K)");
    }
    for (size_t i = 0; i < nb; i++) {
        double e = (double)(i + 1);
        s->e[i] = e;
        double n = KRAMERS_K * zw * (e0 - e) / e * geom;
        if (t->self_absorption && n > 0.0) {
            double mu;
            st = el_mu(zw, e, &mu, err);
            if (st != LC_OK)
                goto fail;
            n *= escape_fraction(mu, e0, e, sin_a);
        }
        s->n0[i] = n;
    }
    if (t->k_lines && e0 > ek) {
        static const int lines[] = {KL2_LINE, KL3_LINE, KM2_LINE, KM3_LINE, KN2_LINE, KN3_LINE};
        double nk = K_LINE_A * pow(e0 / ek - 1.0, K_LINE_EXPONENT) * geom;
        for (size_t j = 0; j < sizeof lines / sizeof lines[0]; j++) {
            double el = LineEnergy(zw, lines[j], &xe);
            if (xe) {
                st = xrl_fail(err, xe, "LineEnergy(W)");
                goto fail;
            }
            double rate = RadRate(zw, lines[j], &xe);
            if (xe) {
                st = xrl_fail(err, xe, "RadRate(W)");
                goto fail;
            }
            double n = nk * rate;
            if (t->self_absorption) {
                double mu;
                st = el_mu(zw, el, &mu, err);
                if (st != LC_OK)
                    goto fail;
                n *= escape_fraction(mu, e0, ek, sin_a);
            }
            /* Into the 1 keV bin that contains the line. */
            long bin = lround(el);
            if (bin >= 1 && (size_t)bin <= nb)
                s->n0[bin - 1] += n;
        }
    }
    /* Filtration: inherent Al equivalent + added Al, added Cu (cm = mm / 10). */
    double al_areal = (t->inherent_al_mm + t->added_al_mm) / 10.0 * RHO_AL;
    double cu_areal = t->added_cu_mm / 10.0 * RHO_CU;
    for (size_t i = 0; i < nb; i++) {
        double mu_al = 0.0, mu_cu = 0.0;
        if (al_areal > 0.0 && (st = el_mu(13, s->e[i], &mu_al, err)) != LC_OK)
            goto fail;
        if (cu_areal > 0.0 && (st = el_mu(29, s->e[i], &mu_cu, err)) != LC_OK)
            goto fail;
        s->n0[i] *= exp(-mu_al * al_areal - mu_cu * cu_areal);
    }
    if (!(lc_spectrum_total(s) > 0.0)) {
        st = lc_error_set(err, LC_ERR_PHYSICS, "tube spectrum is empty after filtration");
        goto fail;
    }
    *out = s;
    return LC_OK;
fail:
    lc_spectrum_free(s);
    return st;
}

lc_status lc_tube_spectrum(const lc_tube *tube, lc_spectrum **out, lc_error *err)
{
    *out = NULL;
    if (!tube)
        return lc_error_set(err, LC_ERR_ARG, "lc_tube_spectrum: NULL tube");
    if (tube->spectrum[0] != '\0') {
        if (!memchr(tube->spectrum, '\0', sizeof tube->spectrum))
            return lc_error_set(err, LC_ERR_ARG, "tube spectrum path not terminated");
        return lc_spectrum_from_arg(tube->spectrum, out, err);
    }
    lc_status st = check_tube(tube, err);
    if (st != LC_OK)
        return st;
    return tube_model(tube, out, err);
}
