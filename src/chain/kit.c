/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit.c: the step-wedge kit and material calibration. A kit file names known
 * materials at known areal densities and where each step lies in the image.
 * lc_synth_scan makes raw scans of uniform regions straight from phys's
 * signal model (with per-pixel gain and offset, compound Poisson and
 * electronic noise, a dead and a hot pixel, dark and air lines);
 * lc_kit_simulate uses it to scan the kit. lc_mattable_calibrate measures the
 * steps in a (simulated or imported) kit scan, fits the model's filtration and
 * detector layer thicknesses to them (Nelder-Mead on the squared residuals of
 * A) and generates the table from the fitted model (PHYSICS.md: "use the kit
 * to fit the model, and the model to fill the table").
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain_int.h"
#include "util/util.h"

#define KIT_MAX_FILE  ((size_t)1 << 20)
#define KIT_MAX_STEPS 64

double lc__rng_normal(lc__rng *r)
{
    double u1 = lc__rng_unif(r), u2 = lc__rng_unif(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double lc__rng_poisson(lc__rng *r, double lambda)
{
    if (!(lambda > 0))
        return 0;
    if (lambda > 30)
        return fmax(0.0, floor(lambda + sqrt(lambda) * lc__rng_normal(r) + 0.5));
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= lc__rng_unif(r);
    } while (p > l && k < 1000);
    return k - 1;
}

/* ---------------------------------------------------------------------- */
/* Kit file                                                               */
/* ---------------------------------------------------------------------- */

void lc_kit_free(lc_kit *kit)
{
    if (!kit)
        return;
    free(kit->steps);
    free(kit);
}

static lc_status kit_parse(json_t *root, const char *name, lc_matlib *lib, lc_kit *kit,
                           lc_error *err)
{
    if (!json_is_object(root))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: not a JSON object", name);
    json_t *ver = json_object_get(root, "lucent_kit");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: lucent_kit: must be 1", name);
    json_t *jn = json_object_get(root, "name");
    if (jn && json_is_string(jn))
        lc__strlcpy(kit->name, json_string_value(jn), sizeof kit->name);
    json_t *img = json_object_get(root, "image");
    json_t *jl = img ? json_object_get(img, "lines") : NULL;
    json_t *jp = img ? json_object_get(img, "pixels") : NULL;
    if (!json_is_integer(jl) || !json_is_integer(jp) || json_integer_value(jl) < 8 ||
        json_integer_value(jl) > LC_SCAN_MAX_LINES || json_integer_value(jp) < 8 ||
        json_integer_value(jp) > LC_SCAN_MAX_PIXELS)
        return lc_error_set(err, LC_ERR_FORMAT,
                            "%s: image: needs integer \"lines\" (8..%d) and \"pixels\" (8..%d)",
                            name, LC_SCAN_MAX_LINES, LC_SCAN_MAX_PIXELS);
    kit->lines = (uint32_t)json_integer_value(jl);
    kit->pixels = (uint32_t)json_integer_value(jp);
    json_t *steps = json_object_get(root, "steps");
    if (!json_is_array(steps) || json_array_size(steps) == 0)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: steps: missing or empty", name);
    if (json_array_size(steps) > KIT_MAX_STEPS)
        return lc_error_set(err, LC_ERR_LIMIT, "%s: steps: more than %d", name, KIT_MAX_STEPS);
    kit->n_steps = json_array_size(steps);
    kit->steps = lc__calloc(kit->n_steps, sizeof *kit->steps);
    if (!kit->steps)
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", name);
    for (size_t i = 0; i < kit->n_steps; i++) {
        json_t *s = json_array_get(steps, i);
        lc_kit_step *ks = &kit->steps[i];
        if (!json_is_object(s))
            return lc_error_set(err, LC_ERR_FORMAT, "%s: steps[%zu]: not an object", name, i);
        json_t *m = json_object_get(s, "material");
        if (!json_is_string(m) ||
            !lc__strlcpy(ks->material, json_string_value(m), sizeof ks->material))
            return lc_error_set(err, LC_ERR_FORMAT, "%s: steps[%zu].material: missing or too long",
                                name, i);
        const lc_material *mat;
        lc_error e2;
        if (lc_matlib_get(lib, ks->material, &mat, &e2) != LC_OK)
            return lc_error_set(err, LC_ERR_NOT_FOUND, "%s: steps[%zu].material: unknown '%s'",
                                name, i, ks->material);
        json_t *th = json_object_get(s, "thickness_mm"), *ar = json_object_get(s, "areal_g_cm2");
        if ((th != NULL) == (ar != NULL))
            return lc_error_set(err, LC_ERR_FORMAT,
                                "%s: steps[%zu]: give exactly one of thickness_mm, areal_g_cm2",
                                name, i);
        double d = json_is_number(th ? th : ar) ? json_number_value(th ? th : ar) : NAN;
        if (!isfinite(d) || d <= 0 || d > 1000)
            return lc_error_set(err, LC_ERR_FORMAT,
                                "%s: steps[%zu].%s: must be a number in "
                                "(0, 1000]",
                                name, i, th ? "thickness_mm" : "areal_g_cm2");
        ks->areal_g_cm2 = th ? d * 0.1 * lc_material_density(mat) : d;
        json_t *v = json_object_get(s, "view");
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                  json_integer_value(v) >= LC_SCAN_MAX_VIEWS))
            return lc_error_set(err, LC_ERR_FORMAT, "%s: steps[%zu].view: bad view", name, i);
        ks->view = v ? (uint32_t)json_integer_value(v) : 0;
        json_t *r = json_object_get(s, "rect");
        if (!json_is_array(r) || json_array_size(r) != 4)
            return lc_error_set(err, LC_ERR_FORMAT, "%s: steps[%zu].rect: needs [x0,y0,x1,y1]",
                                name, i);
        for (size_t j = 0; j < 4; j++) {
            json_t *c = json_array_get(r, j);
            json_int_t lim = (j % 2 == 0) ? kit->lines : kit->pixels;
            if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > lim)
                return lc_error_set(err, LC_ERR_FORMAT,
                                    "%s: steps[%zu].rect[%zu]: must be an integer 0..%lld", name, i,
                                    j, (long long)lim);
            ks->rect[j] = (uint32_t)json_integer_value(c);
        }
        if (ks->rect[2] < ks->rect[0] + 6 || ks->rect[3] < ks->rect[1] + 6)
            return lc_error_set(err, LC_ERR_FORMAT,
                                "%s: steps[%zu].rect: must be at least 6 x 6 pixels", name, i);
    }
    return LC_OK;
}

lc_status lc_kit_load(const char *path, lc_matlib *lib, lc_kit **out, lc_error *err)
{
    if (!path || !lib || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_kit_load: NULL argument");
    *out = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, KIT_MAX_FILE, &buf, &len, err);
    if (st != LC_OK)
        return st;
    json_error_t je;
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!root)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: line %d, column %d: %s", path, je.line,
                            je.column, je.text);
    lc_kit *kit = lc__calloc(1, sizeof *kit);
    if (!kit) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    }
    st = kit_parse(root, path, lib, kit, err);
    json_decref(root);
    if (st != LC_OK) {
        lc_kit_free(kit);
        return st;
    }
    *out = kit;
    return LC_OK;
}

/* ---------------------------------------------------------------------- */
/* Synthetic scans                                                        */
/* ---------------------------------------------------------------------- */

void lc_synth_options_init(lc_synth_options *o)
{
    o->seed = 1;
    o->noise = 1;
    o->adc_air = 50000;
    o->offset = 200;
    o->gain_spread = 0.05;
    o->offset_spread = 20;
    o->electronic = 3;
    o->dead_pixel = 7;
    o->hot_pixel = 13;
    o->ref_lines = 32;
    o->fluctuation = 0;
}

/* One sample: compound Poisson as a scaled Poisson with the model's mean and
 * variance (n ~ Poisson(mean^2/var), S = n var/mean), then gain, offset and
 * electronic noise, clipped to 16 bits. */
static uint16_t sample(lc__rng *r, const lc_synth_options *o, double mean, double var, double g,
                       double off)
{
    double s = mean;
    if (o->noise && mean > 0 && var > 0) {
        double lam = mean * mean / var;
        s = lc__rng_poisson(r, lam) * var / mean;
    }
    double v = g * s + off + (o->noise ? o->electronic * lc__rng_normal(r) : 0.0);
    v = floor(v + 0.5);
    return (uint16_t)(v < 0 ? 0 : v > 65535 ? 65535 : v);
}

lc_status lc_synth_scan(const lc_chain_model *model, uint32_t views, uint32_t lines,
                        uint32_t pixels, const lc_synth_region *regions, size_t nregions,
                        const lc_synth_options *opts, lc_scan **out, lc_error *err)
{
    if (!model || !out || (nregions && !regions))
        return lc_error_set(err, LC_ERR_ARG, "lc_synth_scan: NULL argument");
    *out = NULL;
    lc_synth_options defo;
    if (!opts) {
        lc_synth_options_init(&defo);
        opts = &defo;
    }
    if (views == 0 || views > LC_SCAN_MAX_VIEWS || lines == 0 || lines > LC_SCAN_MAX_LINES ||
        pixels == 0 || pixels > LC_SCAN_MAX_PIXELS || opts->ref_lines > LC_SCAN_MAX_REF_LINES)
        return lc_error_set(err, LC_ERR_ARG, "synthetic scan: bad size");
    /* Collect the distinct materials of all regions. */
    const lc_material **mats = lc__calloc(nregions * 4 + 1, sizeof *mats);
    uint32_t *ridx = lc__calloc(nregions * 4 + 1, sizeof *ridx);
    lc_status st = LC_OK;
    size_t nm = 0;
    lc_matlib *lib = NULL;
    lc_spectrum *spec = NULL;
    lc_detector *det = NULL;
    lc_signal_model *sm = NULL;
    lc_scan *scan = NULL;
    double *gain = NULL, *off = NULL;
    lc_signal *sigs = NULL;
    double *fluct = NULL;
    if (!mats || !ridx) {
        st = lc_error_set(err, LC_ERR_NOMEM, "synthetic scan: out of memory");
        goto done;
    }
    for (size_t i = 0; i < nregions; i++) {
        if (regions[i].n > 4 || regions[i].view >= views) {
            st = lc_error_set(err, LC_ERR_ARG, "synthetic scan: region %zu: bad layers or view", i);
            goto done;
        }
        for (size_t j = 0; j < regions[i].n; j++) {
            size_t k = 0;
            while (k < nm && mats[k] != regions[i].mats[j])
                k++;
            if (k == nm)
                mats[nm++] = regions[i].mats[j];
            ridx[i * 4 + j] = (uint32_t)k;
        }
    }
    if ((st = lc_matlib_new(&lib, err)) != LC_OK ||
        (st = lc_tube_spectrum(&model->tube, &spec, err)) != LC_OK ||
        (st = lc_detector_new(lib, &model->det, &det, err)) != LC_OK ||
        (st = lc_signal_model_new(spec, det, mats, nm, model->photon_scale, &sm, err)) != LC_OK)
        goto done;
    lc_scan_info info;
    lc_scan_info_init(&info);
    lc__strlcpy(info.scan_id, "synthetic", sizeof info.scan_id);
    lc__strlcpy(info.manufacturer, "lucent", sizeof info.manufacturer);
    lc__strlcpy(info.model, "slab synthesiser", sizeof info.model);
    info.kvp = model->tube.kvp;
    info.tube_ma = model->tube.ma;
    info.pixel_pitch_mm = 1.6;
    info.bits_stored = 16;
    if ((st = lc_scan_new(&info, &scan, err)) != LC_OK)
        goto done;
    const lc_signal *air = lc_signal_model_air(sm);
    sigs = lc__calloc(nregions + 1, sizeof *sigs);
    if (!sigs) {
        st = lc_error_set(err, LC_ERR_NOMEM, "synthetic scan: out of memory");
        goto done;
    }
    for (size_t i = 0; i < nregions; i++) {
        if (lc_signal_model_eval(sm, regions[i].n, ridx + i * 4, regions[i].areal_g_cm2,
                                 &sigs[i]) != LC_OK) {
            st = lc_error_set(err, LC_ERR_ARG, "synthetic scan: region %zu: bad areal density", i);
            goto done;
        }
    }
    double g0[LC_CHANNELS];
    for (int k = 0; k < LC_CHANNELS; k++)
        g0[k] = opts->adc_air / air->mean[k];
    gain = lc__calloc((size_t)pixels * LC_CHANNELS, sizeof(double));
    off = lc__calloc((size_t)pixels * LC_CHANNELS, sizeof(double));
    fluct = lc__calloc(lines, sizeof(double));
    if (!gain || !off || !fluct) {
        st = lc_error_set(err, LC_ERR_NOMEM, "synthetic scan: out of memory");
        goto done;
    }
    lc__rng rng = {opts->seed * 0x2545f4914f6cdd1dull + 1};
    for (uint32_t v = 0; v < views; v++) {
        lc_view *view;
        if ((st = lc_scan_add_view(scan, NULL, lines, pixels, &view, err)) != LC_OK)
            goto done;
        for (size_t i = 0; i < (size_t)pixels * LC_CHANNELS; i++) {
            gain[i] = 1.0 + opts->gain_spread * lc__rng_normal(&rng);
            off[i] = opts->offset + opts->offset_spread * lc__rng_normal(&rng);
        }
        /* Reference lines. */
        if (opts->ref_lines > 0) {
            if ((st = lc_view_alloc_ref(view, LC_REF_DARK, opts->ref_lines, err)) != LC_OK ||
                (st = lc_view_alloc_ref(view, LC_REF_AIR, opts->ref_lines, err)) != LC_OK)
                goto done;
            for (int k = 0; k < LC_CHANNELS; k++) {
                uint16_t *dk = lc_view_ref(view, LC_REF_DARK, (lc_channel)k);
                uint16_t *ai = lc_view_ref(view, LC_REF_AIR, (lc_channel)k);
                for (uint32_t y = 0; y < pixels; y++) {
                    double g = g0[k] * gain[y * 2 + k], o = off[y * 2 + k];
                    for (uint32_t x = 0; x < opts->ref_lines; x++) {
                        dk[(size_t)y * opts->ref_lines + x] = sample(&rng, opts, 0, 0, g, o);
                        ai[(size_t)y * opts->ref_lines + x] =
                            sample(&rng, opts, air->mean[k], air->var[k], g, o);
                    }
                }
            }
        }
        uint16_t *pl[LC_CHANNELS] = {lc_view_plane(view, LC_HIGH), lc_view_plane(view, LC_LOW)};
        for (uint32_t x = 0; x < lines; x++)
            fluct[x] = fmax(0.0, 1.0 + opts->fluctuation * lc__rng_normal(&rng));
        for (uint32_t y = 0; y < pixels; y++) {
            for (uint32_t x = 0; x < lines; x++) {
                const lc_signal *s = air;
                for (size_t i = 0; i < nregions; i++) {
                    const lc_synth_region *rg = &regions[i];
                    if (rg->view == v && x >= rg->rect[0] && x < rg->rect[2] && y >= rg->rect[1] &&
                        y < rg->rect[3]) {
                        s = &sigs[i];
                        break;
                    }
                }
                for (int k = 0; k < LC_CHANNELS; k++)
                    pl[k][(size_t)y * lines + x] =
                        sample(&rng, opts, s->mean[k] * fluct[x], s->var[k] * fluct[x],
                               g0[k] * gain[y * 2 + k], off[y * 2 + k]);
            }
        }
        /* A dead pixel reads its offset only; a hot one sits near full scale. */
        for (int k = 0; k < LC_CHANNELS; k++) {
            uint32_t n_ref = opts->ref_lines;
            uint16_t *dk = n_ref ? lc_view_ref(view, LC_REF_DARK, (lc_channel)k) : NULL;
            uint16_t *ai = n_ref ? lc_view_ref(view, LC_REF_AIR, (lc_channel)k) : NULL;
            uint32_t bad[2] = {opts->dead_pixel, opts->hot_pixel};
            for (int b = 0; b < 2; b++) {
                uint32_t y = bad[b];
                if (y == 0 || y >= pixels)
                    continue;
                uint16_t val = b == 0 ? (uint16_t)off[y * 2 + k] : 64000;
                for (uint32_t x = 0; x < lines; x++)
                    pl[k][(size_t)y * lines + x] = val;
                for (uint32_t x = 0; x < n_ref; x++)
                    dk[(size_t)y * n_ref + x] = ai[(size_t)y * n_ref + x] =
                        b == 0 ? val : (uint16_t)(val - 5000 + 5000 * (x % 2));
            }
        }
    }
    *out = scan;
    scan = NULL;
done:
    lc_scan_free(scan);
    free(sigs);
    free(fluct);
    free(gain);
    free(off);
    lc_signal_model_free(sm);
    lc_detector_free(det);
    lc_spectrum_free(spec);
    lc_matlib_free(lib);
    free(mats);
    free(ridx);
    return st;
}

lc_status lc_kit_simulate(const lc_kit *kit, lc_matlib *lib, const lc_chain_model *model,
                          const lc_synth_options *opts, lc_scan **out, lc_error *err)
{
    if (!kit || !lib || !model || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_kit_simulate: NULL argument");
    *out = NULL;
    lc_synth_region *rg = lc__calloc(kit->n_steps, sizeof *rg);
    if (!rg)
        return lc_error_set(err, LC_ERR_NOMEM, "kit: out of memory");
    lc_status st = LC_OK;
    for (size_t i = 0; i < kit->n_steps && st == LC_OK; i++) {
        const lc_kit_step *s = &kit->steps[i];
        rg[i].view = 0;
        memcpy(rg[i].rect, s->rect, sizeof rg[i].rect);
        rg[i].n = 1;
        rg[i].areal_g_cm2[0] = s->areal_g_cm2;
        st = lc_matlib_get(lib, s->material, &rg[i].mats[0], err);
    }
    if (st == LC_OK)
        st = lc_synth_scan(model, 1, kit->lines, kit->pixels, rg, kit->n_steps, opts, out, err);
    free(rg);
    return st;
}

/* ---------------------------------------------------------------------- */
/* Fitting the model to the kit                                           */
/* ---------------------------------------------------------------------- */

#define NPAR 4

typedef struct fit_ctx {
    const lc_kit *kit;
    lc_matlib *lib;
    const lc_material **mats; /* per step */
    lc_chain_model base;
    double (*meas)[LC_CHANNELS];
    double (*pred)[LC_CHANNELS];
    int evals;
    lc_error *err;
    lc_status st;
} fit_ctx;

/* The parameters: log of inherent Al, front, filter and rear thickness. */
static void apply_params(lc_chain_model *m, const double *p)
{
    m->tube.inherent_al_mm = exp(p[0]);
    m->det.front_mm = exp(p[1]);
    m->det.filter_mm = exp(p[2]);
    m->det.rear_mm = exp(p[3]);
}

/* A of every step under model m into pred. */
static lc_status predict(fit_ctx *c, const lc_chain_model *m, double (*pred)[LC_CHANNELS])
{
    lc_spectrum *spec = NULL;
    lc_detector *det = NULL;
    lc_signal_model *sm = NULL;
    lc_status st;
    if ((st = lc_tube_spectrum(&m->tube, &spec, c->err)) == LC_OK &&
        (st = lc_detector_new(c->lib, &m->det, &det, c->err)) == LC_OK &&
        (st = lc_signal_model_new(spec, det, c->mats, c->kit->n_steps, m->photon_scale, &sm,
                                  c->err)) == LC_OK) {
        const lc_signal *air = lc_signal_model_air(sm);
        for (size_t i = 0; i < c->kit->n_steps; i++) {
            uint32_t idx = (uint32_t)i;
            double t = c->kit->steps[i].areal_g_cm2;
            lc_signal s;
            (void)lc_signal_model_eval(sm, 1, &idx, &t, &s);
            for (int k = 0; k < LC_CHANNELS; k++)
                pred[i][k] = s.mean[k] > 0 ? -log(s.mean[k] / air->mean[k]) : 50.0;
        }
    }
    lc_signal_model_free(sm);
    lc_detector_free(det);
    lc_spectrum_free(spec);
    return st;
}

/* Sum of squared, weighted residuals (weight 1/(0.005 + 0.01 A)^2: the
 * noise of a step's mean grows with A). Parameters outside physical bounds
 * cost a large constant. */
static double objective(fit_ctx *c, const double *p)
{
    for (int i = 0; i < NPAR; i++)
        if (p[i] < log(0.01) || p[i] > log(50.0))
            return 1e30;
    lc_chain_model m = c->base;
    apply_params(&m, p);
    c->evals++;
    if (predict(c, &m, c->pred) != LC_OK) {
        c->st = LC_ERR_PHYSICS;
        return 1e30;
    }
    double s = 0;
    for (size_t i = 0; i < c->kit->n_steps; i++)
        for (int k = 0; k < LC_CHANNELS; k++) {
            double d = (c->pred[i][k] - c->meas[i][k]) / (0.005 + 0.01 * c->meas[i][k]);
            s += d * d;
        }
    return s;
}

/* Nelder-Mead (standard coefficients) from p0 with initial steps of 0.3 in
 * log space (about +-35 %). */
static void nelder_mead(fit_ctx *c, double *p0, int max_evals)
{
    double x[NPAR + 1][NPAR], f[NPAR + 1];
    for (int i = 0; i <= NPAR; i++) {
        memcpy(x[i], p0, sizeof x[i]);
        if (i > 0)
            x[i][i - 1] += 0.3;
        f[i] = objective(c, x[i]);
    }
    while (c->evals < max_evals && c->st == LC_OK) {
        /* Order: best first. */
        for (int i = 0; i <= NPAR; i++)
            for (int j = i + 1; j <= NPAR; j++)
                if (f[j] < f[i]) {
                    double tf = f[i];
                    f[i] = f[j];
                    f[j] = tf;
                    double tx[NPAR];
                    memcpy(tx, x[i], sizeof tx);
                    memcpy(x[i], x[j], sizeof tx);
                    memcpy(x[j], tx, sizeof tx);
                }
        if (f[NPAR] - f[0] < 1e-9 * (1 + f[0]))
            break;
        double cen[NPAR] = {0}, xr[NPAR], xe[NPAR], xc[NPAR];
        for (int i = 0; i < NPAR; i++)
            for (int j = 0; j < NPAR; j++)
                cen[j] += x[i][j] / NPAR;
        for (int j = 0; j < NPAR; j++)
            xr[j] = cen[j] + (cen[j] - x[NPAR][j]);
        double fr = objective(c, xr);
        if (fr < f[0]) {
            for (int j = 0; j < NPAR; j++)
                xe[j] = cen[j] + 2 * (cen[j] - x[NPAR][j]);
            double fe = objective(c, xe);
            if (fe < fr)
                memcpy(x[NPAR], xe, sizeof xe), f[NPAR] = fe;
            else
                memcpy(x[NPAR], xr, sizeof xr), f[NPAR] = fr;
        } else if (fr < f[NPAR - 1]) {
            memcpy(x[NPAR], xr, sizeof xr), f[NPAR] = fr;
        } else {
            for (int j = 0; j < NPAR; j++)
                xc[j] = cen[j] + 0.5 * (x[NPAR][j] - cen[j]);
            double fc = objective(c, xc);
            if (fc < f[NPAR]) {
                memcpy(x[NPAR], xc, sizeof xc), f[NPAR] = fc;
            } else {
                for (int i = 1; i <= NPAR; i++) {
                    for (int j = 0; j < NPAR; j++)
                        x[i][j] = x[0][j] + 0.5 * (x[i][j] - x[0][j]);
                    f[i] = objective(c, x[i]);
                }
            }
        }
    }
    int best = 0;
    for (int i = 1; i <= NPAR; i++)
        if (f[i] < f[best])
            best = i;
    memcpy(p0, x[best], sizeof x[best]);
}

static double rms(const lc_kit *kit, double (*a)[LC_CHANNELS], double (*b)[LC_CHANNELS])
{
    double s = 0;
    for (size_t i = 0; i < kit->n_steps; i++)
        for (int k = 0; k < LC_CHANNELS; k++)
            s += (a[i][k] - b[i][k]) * (a[i][k] - b[i][k]);
    return sqrt(s / (2.0 * kit->n_steps));
}

lc_status lc_mattable_calibrate(const lc_kit *kit, lc_matlib *lib, const lc_scan *scan,
                                const lc_calib_options *opts, const lc_chain_model *start,
                                lc_calib_report *report, lc_mattable **out, lc_error *err)
{
    if (!kit || !lib || !scan || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_mattable_calibrate: NULL argument");
    *out = NULL;
    if (kit->n_steps < 4)
        return lc_error_set(err, LC_ERR_ARG, "kit: at least 4 steps are needed, found %zu",
                            kit->n_steps);
    lc_chain_model defm;
    if (!start) {
        lc_chain_model_init(&defm);
        start = &defm;
    }
    size_t nv = lc_scan_view_count(scan);
    lc_atten *at[LC_SCAN_MAX_VIEWS] = {0};
    const lc_material **mats = lc__calloc(kit->n_steps, sizeof *mats);
    double(*meas)[LC_CHANNELS] = lc__calloc(kit->n_steps, sizeof *meas);
    double(*pred)[LC_CHANNELS] = lc__calloc(kit->n_steps, sizeof *pred);
    lc_mattable *t = NULL;
    lc_status st = LC_OK;
    if (!mats || !meas || !pred) {
        st = lc_error_set(err, LC_ERR_NOMEM, "kit: out of memory");
        goto done;
    }
    for (size_t i = 0; i < kit->n_steps; i++) {
        const lc_kit_step *s = &kit->steps[i];
        if ((st = lc_matlib_get(lib, s->material, &mats[i], err)) != LC_OK)
            goto done;
        if (s->view >= nv) {
            st = lc_error_set(err, LC_ERR_ARG, "kit step %zu: view %u not in the scan", i, s->view);
            goto done;
        }
        if (!at[s->view] &&
            (st = lc_atten_compute(scan, s->view, opts, &at[s->view], err)) != LC_OK)
            goto done;
        const lc_atten *a = at[s->view];
        if (s->rect[2] > a->width || s->rect[3] > a->height) {
            st = lc_error_set(err, LC_ERR_ARG, "kit step %zu (%s): rect outside the %ux%u image", i,
                              s->material, a->width, a->height);
            goto done;
        }
        double sum[LC_CHANNELS] = {0};
        size_t n = 0, starved = 0;
        for (uint32_t y = s->rect[1] + 2; y + 2 < s->rect[3]; y++)
            for (uint32_t x = s->rect[0] + 2; x + 2 < s->rect[2]; x++) {
                size_t p = (size_t)y * a->width + x;
                if (a->flags[p] & LC_PIX_IMPENETRABLE) {
                    starved++;
                    continue;
                }
                for (int k = 0; k < LC_CHANNELS; k++)
                    sum[k] += a->a[k][p];
                n++;
            }
        if (n == 0 || starved * 10 > n) {
            st = lc_error_set(err, LC_ERR_FORMAT, "kit step %zu (%s, %.3g g/cm2): impenetrable", i,
                              s->material, s->areal_g_cm2);
            goto done;
        }
        for (int k = 0; k < LC_CHANNELS; k++)
            meas[i][k] = sum[k] / n;
        if (meas[i][LC_HIGH] < 0.02) {
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "kit step %zu (%s): no attenuation (A_H %.3g): is the rect right?", i,
                              s->material, meas[i][LC_HIGH]);
            goto done;
        }
    }
    fit_ctx c = {kit, lib, mats, *start, meas, pred, 0, err, LC_OK};
    double p[NPAR] = {log(fmax(start->tube.inherent_al_mm, 0.05)),
                      log(fmax(start->det.front_mm, 0.05)), log(fmax(start->det.filter_mm, 0.05)),
                      log(fmax(start->det.rear_mm, 0.05))};
    if ((st = predict(&c, start, pred)) != LC_OK)
        goto done;
    double before = rms(kit, meas, pred);
    nelder_mead(&c, p, 400);
    if (c.st != LC_OK) {
        st = c.st;
        goto done;
    }
    lc_chain_model fitted = *start;
    apply_params(&fitted, p);
    if ((st = predict(&c, &fitted, pred)) != LC_OK)
        goto done;
    double after = rms(kit, meas, pred);
    if ((st = lc_mattable_generate(&fitted, &t, err)) != LC_OK)
        goto done;
    t->fit_rms = after;
    snprintf(t->source, sizeof t->source, "kit: %.100s", kit->name[0] ? kit->name : "unnamed");
    if (report) {
        memset(report, 0, sizeof *report);
        report->n_steps = kit->n_steps;
        for (size_t i = 0; i < kit->n_steps && i < 64; i++)
            for (int k = 0; k < LC_CHANNELS; k++) {
                report->measured[i][k] = meas[i][k];
                report->fitted[i][k] = pred[i][k];
            }
        report->rms_before = before;
        report->rms_after = after;
        report->evaluations = c.evals;
    }
    *out = t;
    t = NULL;
done:
    for (size_t v = 0; v < LC_SCAN_MAX_VIEWS; v++)
        lc_atten_free(at[v]);
    lc_mattable_free(t);
    free(mats);
    free(meas);
    free(pred);
    return st;
}
