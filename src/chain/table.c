/* SPDX-License-Identifier: Apache-2.0 */
/*
 * table.c: the material calibration table. From a physics model (tube,
 * dual-layer detector, phys's signal model with xraylib cross sections) it
 * generates one reference curve per element Z = 5..30: the ratio R = A_L/A_H
 * as a function of A_H on a grid uniform in sqrt(A_H). A pixel's Zeff is the
 * Z, interpolated linearly between the neighbouring element curves, whose
 * curve passes through its (A_H, R) (PHYSICS.md: a 2-D lookup, never a single
 * formula; element curves from the fitted model rather than interpolation
 * between the few kit materials). The table is saved as a small JSON file
 * and read back with every field checked (it is outside input: fuzzed).
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain_int.h"
#include "util/util.h"

/* Grid of the generated tables: sqrt(A_H) from 0 to 3 (A_H up to 9). */
#define GEN_POINTS 241
#define GEN_U_MAX  3.0
/* Largest table file accepted. */
#define TABLE_MAX_FILE ((size_t)4 << 20)

static const char *const element_symbol[LC__NZ] = {
    "B",  "C", "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",  "S",  "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn"};

void lc_chain_model_init(lc_chain_model *m)
{
    memset(m, 0, sizeof *m);
    lc_tube_init(&m->tube);
    lc_detector_desc_init(&m->det);
    m->photon_scale = 0.0205;
}

lc_mattable *lc__mattable_alloc(uint32_t n_ah)
{
    lc_mattable *t = lc__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ratio = lc__calloc((size_t)LC__NZ * n_ah, sizeof(double));
    if (!t->ratio) {
        free(t);
        return NULL;
    }
    t->n_ah = n_ah;
    lc_chain_model_init(&t->model);
    return t;
}

void lc_mattable_free(lc_mattable *t)
{
    if (!t)
        return;
    free(t->ratio);
    free(t->lut);
    free(t);
}

const lc_chain_model *lc_mattable_model(const lc_mattable *t)
{
    return t ? &t->model : NULL;
}

/* Fills one element's curve from the model: A_H and A_L along a geometric
 * series of areal densities, then R resampled at the grid's A_H by linear
 * interpolation in A_H between neighbouring thicknesses (A_H increases
 * strictly with thickness). */
static lc_status element_curve(const lc_signal_model *sm, uint32_t mat, double *ratio, uint32_t n,
                               double du, lc_error *err)
{
    const lc_signal *air = lc_signal_model_air(sm);
    double prev_h = 0, prev_l = 0, prev_r = 0;
    uint32_t i = 1;
    double t = 1e-5;
    int first = 1;
    while (i < n) {
        lc_signal s;
        double tt = t;
        if (lc_signal_model_eval(sm, 1, &mat, &tt, &s) != LC_OK)
            return lc_error_set(err, LC_ERR_PHYSICS, "table: signal model failed");
        if (!(s.mean[LC_HIGH] > 0) || !(s.mean[LC_LOW] > 0)) {
            /* Beyond what doubles resolve: extend the last ratio. */
            for (; i < n; i++)
                ratio[i] = prev_r;
            break;
        }
        double ah = -log(s.mean[LC_HIGH] / air->mean[LC_HIGH]);
        double al = -log(s.mean[LC_LOW] / air->mean[LC_LOW]);
        if (first) {
            ratio[0] = al / ah; /* the zero-thickness limit */
            first = 0;
        }
        while (i < n) {
            double target = (i * du) * (i * du);
            if (target > ah)
                break;
            double f = (ah - prev_h) > 0 ? (target - prev_h) / (ah - prev_h) : 1.0;
            double l = prev_l + f * (al - prev_l);
            ratio[i] = l / target;
            i++;
        }
        prev_h = ah;
        prev_l = al;
        prev_r = al / ah;
        t *= 1.02;
        if (t > 1e5) {
            for (; i < n; i++)
                ratio[i] = prev_r;
        }
    }
    return LC_OK;
}

lc_status lc_mattable_generate(const lc_chain_model *model, lc_mattable **out, lc_error *err)
{
    if (!model || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_mattable_generate: NULL argument");
    *out = NULL;
    if (!(model->photon_scale > 0))
        return lc_error_set(err, LC_ERR_ARG, "table: photon_scale must be positive");
    lc_matlib *lib = NULL;
    lc_spectrum *spec = NULL;
    lc_detector *det = NULL;
    lc_signal_model *sm = NULL;
    lc_mattable *t = NULL;
    const lc_material *mats[LC__NZ];
    lc_status st = lc_matlib_new(&lib, err);
    if (st != LC_OK)
        goto done;
    for (int z = 0; z < LC__NZ; z++) {
        st = lc_matlib_get(lib, element_symbol[z], &mats[z], err);
        if (st != LC_OK)
            goto done;
    }
    st = lc_tube_spectrum(&model->tube, &spec, err);
    if (st != LC_OK)
        goto done;
    st = lc_detector_new(lib, &model->det, &det, err);
    if (st != LC_OK)
        goto done;
    st = lc_signal_model_new(spec, det, mats, LC__NZ, model->photon_scale, &sm, err);
    if (st != LC_OK)
        goto done;
    t = lc__mattable_alloc(GEN_POINTS);
    if (!t) {
        st = lc_error_set(err, LC_ERR_NOMEM, "table: out of memory");
        goto done;
    }
    t->model = *model;
    t->du = GEN_U_MAX / (GEN_POINTS - 1);
    lc__strlcpy(t->source, "model", sizeof t->source);
    for (uint32_t z = 0; z < LC__NZ; z++) {
        st = element_curve(sm, z, t->ratio + (size_t)z * t->n_ah, t->n_ah, t->du, err);
        if (st != LC_OK)
            goto done;
    }
    if ((st = lc__mattable_build_lut(t, err)) != LC_OK)
        goto done;
    *out = t;
    t = NULL;
done:
    lc_mattable_free(t);
    lc_signal_model_free(sm);
    lc_detector_free(det);
    lc_spectrum_free(spec);
    lc_matlib_free(lib);
    return st;
}

double lc__mattable_zeff_r(const lc_mattable *t, double a_high, double r)
{
    double u = sqrt(a_high > 0 ? a_high : 0) / t->du;
    uint32_t i = u < (double)(t->n_ah - 1) ? (uint32_t)u : t->n_ah - 1; /* NaN: last */
    double f;
    if (i >= t->n_ah - 1) {
        i = t->n_ah - 2;
        f = 1.0;
    } else {
        f = u - i;
    }
    double rz[LC__NZ];
    for (uint32_t z = 0; z < LC__NZ; z++) {
        const double *c = t->ratio + (size_t)z * t->n_ah;
        rz[z] = c[i] + f * (c[i + 1] - c[i]);
    }
    if (r <= rz[0])
        return LC_TABLE_ZMIN;
    for (uint32_t z = 0; z + 1 < LC__NZ; z++) {
        if (r < rz[z + 1]) {
            double d = rz[z + 1] - rz[z];
            double fz = d > 0 ? (r - rz[z]) / d : 0.0;
            if (fz < 0)
                fz = 0;
            return LC_TABLE_ZMIN + z + fz;
        }
    }
    return LC_TABLE_ZMAX;
}

double lc_mattable_zeff(const lc_mattable *t, double a_high, double a_low)
{
    if (!t || !isfinite(a_high) || !isfinite(a_low) || a_high < 0.02)
        return NAN;
    return lc__mattable_zeff_r(t, a_high, a_low / a_high);
}

double lc_mattable_max_diff(const lc_mattable *a, const lc_mattable *b, double max_a_high)
{
    double worst = 0;
    for (double ah = 0.1; ah <= max_a_high + 1e-9; ah += 0.1) {
        for (double r = 1.0; r <= 3.0; r += 0.01) {
            double za = lc__mattable_zeff_r(a, ah, r), zb = lc__mattable_zeff_r(b, ah, r);
            /* Only where both are inside their curves. */
            if (za <= LC_TABLE_ZMIN || za >= LC_TABLE_ZMAX || zb <= LC_TABLE_ZMIN ||
                zb >= LC_TABLE_ZMAX)
                continue;
            worst = fmax(worst, fabs(za - zb));
        }
    }
    return worst;
}

/* ---------------------------------------------------------------------- */
/* File format                                                            */
/* ---------------------------------------------------------------------- */

/* A growing text buffer for the writer. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) LC_PRINTF(2, 3);

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

lc_status lc_mattable_save(const lc_mattable *t, const char *path, lc_error *err)
{
    if (!t || !path)
        return lc_error_set(err, LC_ERR_ARG, "lc_mattable_save: NULL argument");
    const lc_chain_model *m = &t->model;
    sbuf b = {0};
    sb_printf(&b, "{\n  \"lucent_calib\": 1,\n  \"source\": \"");
    for (const char *s = t->source; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_printf(&b, "\\%c", *s);
        else if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
            sb_printf(&b, "%c", *s);
    }
    sb_printf(&b, "\",\n  \"fit_rms\": %.6g,\n", t->fit_rms);
    sb_printf(&b,
              "  \"model\": {\n    \"tube\": {\"kvp\": %.6g, \"anode_angle_deg\": %.6g, "
              "\"inherent_al_mm\": %.6g, \"added_al_mm\": %.6g, \"added_cu_mm\": %.6g, "
              "\"self_absorption\": %s, \"k_lines\": %s},\n",
              m->tube.kvp, m->tube.anode_angle_deg, m->tube.inherent_al_mm, m->tube.added_al_mm,
              m->tube.added_cu_mm, m->tube.self_absorption ? "true" : "false",
              m->tube.k_lines ? "true" : "false");
    sb_printf(&b,
              "    \"detector\": {\"front\": \"%s\", \"front_mm\": %.6g, \"filter\": \"%s\", "
              "\"filter_mm\": %.6g, \"rear\": \"%s\", \"rear_mm\": %.6g},\n"
              "    \"photon_scale\": %.6g\n  },\n",
              m->det.front, m->det.front_mm, m->det.filter, m->det.filter_mm, m->det.rear,
              m->det.rear_mm, m->photon_scale);
    sb_printf(&b, "  \"zmin\": %d,\n  \"zmax\": %d,\n  \"sqrt_a_high_step\": %.9g,\n",
              LC_TABLE_ZMIN, LC_TABLE_ZMAX, t->du);
    sb_printf(&b, "  \"ratio\": [\n");
    for (uint32_t z = 0; z < LC__NZ; z++) {
        sb_printf(&b, "    [");
        for (uint32_t i = 0; i < t->n_ah; i++)
            sb_printf(&b, "%s%.7g", i ? ", " : "", t->ratio[(size_t)z * t->n_ah + i]);
        sb_printf(&b, "]%s\n", z + 1 < LC__NZ ? "," : "");
    }
    sb_printf(&b, "  ]\n}\n");
    if (b.oom) {
        free(b.p);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    }
    lc_status st = lc__write_file_atomic(path, b.p, b.len, err);
    free(b.p);
    return st;
}

/* Reads a number member; LC_ERR_FORMAT naming the field when absent, not a
 * number or outside lo..hi. */
static lc_status get_num(const json_t *obj, const char *key, const char *name, const char *where,
                         double lo, double hi, double *out, lc_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || !json_is_number(v))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s%s: missing or not a number", name, where,
                            key);
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s%s: must be %g..%g", name, where, key, lo,
                            hi);
    *out = d;
    return LC_OK;
}

static lc_status get_str(const json_t *obj, const char *key, const char *name, const char *where,
                         char *dst, size_t cap, lc_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || !json_is_string(v))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s%s: missing or not a string", name, where,
                            key);
    const char *s = json_string_value(v);
    if (strlen(s) == 0 || !lc__strlcpy(dst, s, cap))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s%s: empty or too long", name, where, key);
    return LC_OK;
}

static lc_status get_bool(const json_t *obj, const char *key, const char *name, const char *where,
                          int *out, lc_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || !json_is_boolean(v))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s%s: missing or not true/false", name, where,
                            key);
    *out = json_is_true(v);
    return LC_OK;
}

static lc_status parse_model(const json_t *jm, const char *name, lc_chain_model *m, lc_error *err)
{
    if (!json_is_object(jm))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: model: missing or not an object", name);
    json_t *jt = json_object_get(jm, "tube"), *jd = json_object_get(jm, "detector");
    if (!json_is_object(jt) || !json_is_object(jd))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: model.tube / model.detector: missing", name);
    lc_status st;
    if ((st = get_num(jt, "kvp", name, "model.tube.", LC_PHYS_KVP_MIN, LC_PHYS_KVP_MAX,
                      &m->tube.kvp, err)) != LC_OK ||
        (st = get_num(jt, "anode_angle_deg", name, "model.tube.", 5, 45, &m->tube.anode_angle_deg,
                      err)) != LC_OK ||
        (st = get_num(jt, "inherent_al_mm", name, "model.tube.", 0, 100, &m->tube.inherent_al_mm,
                      err)) != LC_OK ||
        (st = get_num(jt, "added_al_mm", name, "model.tube.", 0, 100, &m->tube.added_al_mm, err)) !=
            LC_OK ||
        (st = get_num(jt, "added_cu_mm", name, "model.tube.", 0, 100, &m->tube.added_cu_mm, err)) !=
            LC_OK ||
        (st = get_bool(jt, "self_absorption", name, "model.tube.", &m->tube.self_absorption,
                       err)) != LC_OK ||
        (st = get_bool(jt, "k_lines", name, "model.tube.", &m->tube.k_lines, err)) != LC_OK)
        return st;
    if ((st = get_str(jd, "front", name, "model.detector.", m->det.front, sizeof m->det.front,
                      err)) != LC_OK ||
        (st = get_num(jd, "front_mm", name, "model.detector.", 0, 100, &m->det.front_mm, err)) !=
            LC_OK ||
        (st = get_str(jd, "filter", name, "model.detector.", m->det.filter, sizeof m->det.filter,
                      err)) != LC_OK ||
        (st = get_num(jd, "filter_mm", name, "model.detector.", 0, 100, &m->det.filter_mm, err)) !=
            LC_OK ||
        (st = get_str(jd, "rear", name, "model.detector.", m->det.rear, sizeof m->det.rear, err)) !=
            LC_OK ||
        (st = get_num(jd, "rear_mm", name, "model.detector.", 0, 100, &m->det.rear_mm, err)) !=
            LC_OK)
        return st;
    return get_num(jm, "photon_scale", name, "model.", 1e-12, 1e12, &m->photon_scale, err);
}

lc_status lc_mattable_parse(const void *buf, size_t len, const char *name, lc_mattable **out,
                            lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_mattable_parse: NULL argument");
    *out = NULL;
    if (!buf && len > 0)
        return lc_error_set(err, LC_ERR_ARG, "lc_mattable_parse: NULL buffer");
    if (!name)
        name = "calibration table";
    if (len > TABLE_MAX_FILE)
        return lc_error_set(err, LC_ERR_LIMIT, "%s: larger than %zu bytes", name, TABLE_MAX_FILE);
    json_error_t je;
    json_t *root = json_loadb(buf ? buf : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: line %d, column %d: %s", name, je.line,
                            je.column, je.text);
    lc_status st = LC_OK;
    lc_mattable *t = NULL;
    if (!json_is_object(root)) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: not a JSON object", name);
        goto done;
    }
    json_t *ver = json_object_get(root, "lucent_calib");
    if (!json_is_integer(ver)) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: lucent_calib: missing (not a calibration table)",
                          name);
        goto done;
    }
    if (json_integer_value(ver) != 1) {
        st = lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: lucent_calib: version %lld not supported",
                          name, (long long)json_integer_value(ver));
        goto done;
    }
    json_t *zmin = json_object_get(root, "zmin"), *zmax = json_object_get(root, "zmax");
    if (!json_is_integer(zmin) || !json_is_integer(zmax) ||
        json_integer_value(zmin) != LC_TABLE_ZMIN || json_integer_value(zmax) != LC_TABLE_ZMAX) {
        st = lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: zmin/zmax: must be %d and %d", name,
                          LC_TABLE_ZMIN, LC_TABLE_ZMAX);
        goto done;
    }
    json_t *ratio = json_object_get(root, "ratio");
    if (!json_is_array(ratio) || json_array_size(ratio) != LC__NZ) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: ratio: must be an array of %d curves", name,
                          LC__NZ);
        goto done;
    }
    json_t *c0 = json_array_get(ratio, 0);
    size_t n = json_is_array(c0) ? json_array_size(c0) : 0;
    if (n < 2 || n > LC__TABLE_MAX_AH) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: ratio[0]: must hold 2..%d values", name,
                          LC__TABLE_MAX_AH);
        goto done;
    }
    t = lc__mattable_alloc((uint32_t)n);
    if (!t) {
        st = lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", name);
        goto done;
    }
    if ((st = get_num(root, "sqrt_a_high_step", name, "", 1e-4, 1.0, &t->du, err)) != LC_OK)
        goto done;
    if (t->du * (double)(n - 1) > 10.0) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: sqrt_a_high_step: grid beyond A_H = 100", name);
        goto done;
    }
    for (size_t z = 0; z < LC__NZ; z++) {
        json_t *c = json_array_get(ratio, z);
        if (!json_is_array(c) || json_array_size(c) != n) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: ratio[%zu]: must hold %zu numbers", name, z,
                              n);
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(c, i);
            double d = json_is_number(v) ? json_number_value(v) : NAN;
            if (!isfinite(d) || d < 0.2 || d > 50) {
                st = lc_error_set(err, LC_ERR_FORMAT,
                                  "%s: ratio[%zu][%zu]: must be a number in "
                                  "0.2..50",
                                  name, z, i);
                goto done;
            }
            t->ratio[z * n + i] = d;
        }
    }
    if ((st = parse_model(json_object_get(root, "model"), name, &t->model, err)) != LC_OK)
        goto done;
    json_t *src = json_object_get(root, "source");
    if (src && json_is_string(src))
        lc__strlcpy(t->source, json_string_value(src), sizeof t->source);
    json_t *rms = json_object_get(root, "fit_rms");
    if (rms && json_is_number(rms) && isfinite(json_number_value(rms)))
        t->fit_rms = json_number_value(rms);
    if ((st = lc__mattable_build_lut(t, err)) != LC_OK)
        goto done;
    *out = t;
    t = NULL;
done:
    lc_mattable_free(t);
    json_decref(root);
    return st;
}

lc_status lc_mattable_load(const char *path, lc_mattable **out, lc_error *err)
{
    if (!path || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_mattable_load: NULL argument");
    *out = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, TABLE_MAX_FILE, &buf, &len, err);
    if (st != LC_OK)
        return st;
    st = lc_mattable_parse(buf, len, path, out, err);
    free(buf);
    return st;
}
