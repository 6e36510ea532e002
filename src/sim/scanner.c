/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scanner.c: the scanner description of the simulator. Defaults are DESIGN.md's
 * two-view 60 x 40 cm tunnel checkpoint scanner; a scanner JSON file may change
 * any of it. The "tube" and "detector" sections are read by phys
 * (lc_phys_scanner_load); this file reads "geometry" (views: source and
 * detector polyline in the y-z plane, pixel pitch) and "acquisition" (belt,
 * line pitch, reference lines, ADC levels, noise, defective pixels).
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/util.h"

static void set_defaults(lc_scanner *sc)
{
    memset(sc, 0, sizeof *sc);
    lc_tube_init(&sc->tube);
    lc_detector_desc_init(&sc->det);
    sc->nviews = 2;
    /* View 0: source under the belt below the near wall (y = -300); the beam
     * goes up; the detector runs along the roof, then down the far wall. Every
     * point of the tunnel y -300..300, z 0..400 lies in the fan. */
    lc__view_geom *b = &sc->views[0];
    lc__strlcpy(b->label, "bottom", sizeof b->label);
    b->src[0] = -300;
    b->src[1] = -350;
    b->nvert = 3;
    b->vert[0][0] = -310, b->vert[0][1] = 440;
    b->vert[1][0] = 340, b->vert[1][1] = 440;
    b->vert[2][0] = 340, b->vert[2][1] = 10;
    /* View 1: source beside the tunnel near the roof; the beam goes across;
     * the detector runs down the far wall, then under the belt. */
    lc__view_geom *s = &sc->views[1];
    lc__strlcpy(s->label, "side", sizeof s->label);
    s->src[0] = -650;
    s->src[1] = 420;
    s->nvert = 3;
    s->vert[0][0] = 340, s->vert[0][1] = 420;
    s->vert[1][0] = 340, s->vert[1][1] = -40;
    s->vert[2][0] = -280, s->vert[2][1] = -40;
    sc->pixel_pitch_mm = 1.6;
    sc->pixel_height_mm = 1.6;
    sc->belt_speed_mm_s = 200.0;
    sc->line_pitch_mm = 1.6;
    sc->margin_mm = 40.0;
    sc->ref_lines = 16;
    sc->air_fraction = 0.80;
    sc->dark_level = 400.0;
    sc->offset_spread = 40.0;
    sc->gain_spread = 0.03;
    sc->electronic_noise = 4.0;
    sc->dead_pixels = 2;
    sc->hot_pixels = 1;
    sc->detector_seed = 20240611u;
}

lc_status lc_scanner_new(lc_scanner **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_scanner_new: NULL argument");
    *out = malloc(sizeof **out);
    if (!*out)
        return lc_error_set(err, LC_ERR_NOMEM, "scanner: out of memory");
    set_defaults(*out);
    return LC_OK;
}

void lc_scanner_free(lc_scanner *sc)
{
    free(sc);
}

size_t lc_scanner_view_count(const lc_scanner *sc)
{
    return sc ? sc->nviews : 0;
}

uint32_t lc_scanner_pixels(const lc_scanner *sc, size_t v)
{
    if (!sc || v >= sc->nviews)
        return 0;
    return lc__view_pixel_count(&sc->views[v], sc->pixel_pitch_mm);
}

double lc_scanner_pixel_pitch(const lc_scanner *sc)
{
    return sc ? sc->pixel_pitch_mm : 0.0;
}

lc_status lc_scanner_view_geometry(const lc_scanner *sc, size_t v, double src_yz[2], double *pos_yz,
                                   double *normal_yz, uint32_t cap, lc_error *err)
{
    if (!sc || v >= sc->nviews || !pos_yz)
        return lc_error_set(err, LC_ERR_ARG, "scanner: no view %zu", v);
    uint32_t n = lc__view_pixel_count(&sc->views[v], sc->pixel_pitch_mm);
    if (n > cap)
        return lc_error_set(err, LC_ERR_LIMIT, "scanner: view %zu has %u pixels, room for %u", v, n,
                            cap);
    src_yz[0] = sc->views[v].src[0];
    src_yz[1] = sc->views[v].src[1];
    double *nrm = normal_yz;
    if (!nrm && !(nrm = lc__mallocn((size_t)n * 2, sizeof *nrm)))
        return lc_error_set(err, LC_ERR_NOMEM, "scanner: out of memory");
    lc__view_pixels(&sc->views[v], sc->pixel_pitch_mm, n, pos_yz, nrm);
    if (nrm != normal_yz)
        free(nrm);
    return LC_OK;
}

static double poly_length(const lc__view_geom *g)
{
    double L = 0;
    for (size_t i = 0; i + 1 < g->nvert; i++)
        L += hypot(g->vert[i + 1][0] - g->vert[i][0], g->vert[i + 1][1] - g->vert[i][1]);
    return L;
}

uint32_t lc__view_pixel_count(const lc__view_geom *g, double pitch)
{
    double n = floor(poly_length(g) / pitch);
    return n < 1 ? 0 : (n > LC_SCAN_MAX_PIXELS ? LC_SCAN_MAX_PIXELS + 1u : (uint32_t)n);
}

void lc__view_pixels(const lc__view_geom *g, double pitch, uint32_t n, double *pos, double *nrm)
{
    double L = poly_length(g);
    double s = (L - n * pitch) / 2 + pitch / 2; /* arc length of pixel 0's centre */
    size_t seg = 0;
    double seg_start = 0;
    for (uint32_t i = 0; i < n; i++) {
        double a = s + i * pitch;
        for (;;) {
            double sl =
                hypot(g->vert[seg + 1][0] - g->vert[seg][0], g->vert[seg + 1][1] - g->vert[seg][1]);
            if (a <= seg_start + sl || seg + 2 >= g->nvert) {
                double f = sl > 0 ? (a - seg_start) / sl : 0;
                double dy = g->vert[seg + 1][0] - g->vert[seg][0];
                double dz = g->vert[seg + 1][1] - g->vert[seg][1];
                pos[2 * i] = g->vert[seg][0] + f * dy;
                pos[2 * i + 1] = g->vert[seg][1] + f * dz;
                nrm[2 * i] = sl > 0 ? -dz / sl : 0;
                nrm[2 * i + 1] = sl > 0 ? dy / sl : 1;
                break;
            }
            seg_start += sl;
            seg++;
        }
    }
}

/* ---------------------------------------------------------------- JSON */

typedef struct sctx {
    const char *name;
    lc_error *err;
} sctx;

static lc_status num(sctx *c, json_t *o, const char *sec, const char *key, double *out, double lo,
                     double hi)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return LC_OK;
    if (!json_is_number(v))
        return lc_error_set(c->err, LC_ERR_FORMAT, "%s: %s.%s: must be a number", c->name, sec,
                            key);
    double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi)
        return lc_error_set(c->err, LC_ERR_FORMAT, "%s: %s.%s: must be %g..%g", c->name, sec, key,
                            lo, hi);
    *out = x;
    return LC_OK;
}

static lc_status check_keys(sctx *c, json_t *o, const char *sec, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(key, allowed[i]) == 0;
        if (!ok)
            return lc_error_set(c->err, LC_ERR_FORMAT, "%s: %s.%.40s: unknown key", c->name, sec,
                                key);
    }
    return LC_OK;
}

static lc_status point(sctx *c, json_t *a, const char *field, double out[2])
{
    if (!json_is_array(a) || json_array_size(a) != 2 || !json_is_number(json_array_get(a, 0)) ||
        !json_is_number(json_array_get(a, 1)))
        return lc_error_set(c->err, LC_ERR_FORMAT, "%s: %s: must be [y, z] in mm", c->name, field);
    for (size_t i = 0; i < 2; i++) {
        out[i] = json_number_value(json_array_get(a, i));
        if (!isfinite(out[i]) || fabs(out[i]) > 1e5)
            return lc_error_set(c->err, LC_ERR_FORMAT, "%s: %s: out of range", c->name, field);
    }
    return LC_OK;
}

static lc_status parse_geometry(sctx *c, json_t *g, lc_scanner *sc)
{
    static const char *const keys[] = {"pixel_pitch_mm", "pixel_height_mm", "views", NULL};
    lc_status st;
    if (!json_is_object(g))
        return lc_error_set(c->err, LC_ERR_FORMAT, "%s: geometry: must be an object", c->name);
    if ((st = check_keys(c, g, "geometry", keys)) != LC_OK ||
        (st = num(c, g, "geometry", "pixel_pitch_mm", &sc->pixel_pitch_mm, 0.05, 20)) != LC_OK ||
        (st = num(c, g, "geometry", "pixel_height_mm", &sc->pixel_height_mm, 0.05, 20)) != LC_OK)
        return st;
    json_t *vs = json_object_get(g, "views");
    if (!vs)
        return LC_OK;
    if (!json_is_array(vs) || json_array_size(vs) == 0 || json_array_size(vs) > LC_SCAN_MAX_VIEWS)
        return lc_error_set(c->err, LC_ERR_FORMAT, "%s: geometry.views: must be an array of 1..%d",
                            c->name, LC_SCAN_MAX_VIEWS);
    sc->nviews = json_array_size(vs);
    for (size_t i = 0; i < sc->nviews; i++) {
        static const char *const vkeys[] = {"label", "source", "detector", NULL};
        json_t *v = json_array_get(vs, i);
        char field[64];
        snprintf(field, sizeof field, "geometry.views[%zu]", i);
        if (!json_is_object(v))
            return lc_error_set(c->err, LC_ERR_FORMAT, "%s: %s: must be an object", c->name, field);
        if ((st = check_keys(c, v, field, vkeys)) != LC_OK)
            return st;
        lc__view_geom *vg = &sc->views[i];
        memset(vg, 0, sizeof *vg);
        json_t *l = json_object_get(v, "label");
        if (l && (!json_is_string(l) || json_string_length(l) >= sizeof vg->label))
            return lc_error_set(c->err, LC_ERR_FORMAT, "%s: %s.label: must be a short string",
                                c->name, field);
        if (l)
            lc__strlcpy(vg->label, json_string_value(l), sizeof vg->label);
        else
            snprintf(vg->label, sizeof vg->label, "view%zu", i);
        char f2[96];
        snprintf(f2, sizeof f2, "%s.source", field);
        if ((st = point(c, json_object_get(v, "source"), f2, vg->src)) != LC_OK)
            return st;
        json_t *d = json_object_get(v, "detector");
        if (!json_is_array(d) || json_array_size(d) < 2 || json_array_size(d) > LC__MAX_VERTS)
            return lc_error_set(c->err, LC_ERR_FORMAT,
                                "%s: %s.detector: must be an array of 2..%d points [y, z]", c->name,
                                field, LC__MAX_VERTS);
        vg->nvert = json_array_size(d);
        for (size_t k = 0; k < vg->nvert; k++) {
            snprintf(f2, sizeof f2, "%s.detector[%zu]", field, k);
            if ((st = point(c, json_array_get(d, k), f2, vg->vert[k])) != LC_OK)
                return st;
        }
    }
    return LC_OK;
}

static lc_status parse_acq(sctx *c, json_t *a, lc_scanner *sc)
{
    static const char *const keys[] = {
        "belt_speed_mm_s", "line_pitch_mm", "margin_mm",   "reference_lines",  "air_fraction",
        "dark_level",      "offset_spread", "gain_spread", "electronic_noise", "dead_pixels",
        "hot_pixels",      "detector_seed", NULL};
    lc_status st;
    const char *s = "acquisition";
    if (!json_is_object(a))
        return lc_error_set(c->err, LC_ERR_FORMAT, "%s: acquisition: must be an object", c->name);
    double refl = sc->ref_lines, dead = sc->dead_pixels, hot = sc->hot_pixels,
           seed = (double)sc->detector_seed;
    if ((st = check_keys(c, a, s, keys)) != LC_OK ||
        (st = num(c, a, s, "belt_speed_mm_s", &sc->belt_speed_mm_s, 1, 1e4)) != LC_OK ||
        (st = num(c, a, s, "line_pitch_mm", &sc->line_pitch_mm, 0.05, 20)) != LC_OK ||
        (st = num(c, a, s, "margin_mm", &sc->margin_mm, 0, 1e4)) != LC_OK ||
        (st = num(c, a, s, "reference_lines", &refl, 1, LC_SCAN_MAX_REF_LINES)) != LC_OK ||
        (st = num(c, a, s, "air_fraction", &sc->air_fraction, 0.01, 1.0)) != LC_OK ||
        (st = num(c, a, s, "dark_level", &sc->dark_level, 0, 30000)) != LC_OK ||
        (st = num(c, a, s, "offset_spread", &sc->offset_spread, 0, 5000)) != LC_OK ||
        (st = num(c, a, s, "gain_spread", &sc->gain_spread, 0, 0.3)) != LC_OK ||
        (st = num(c, a, s, "electronic_noise", &sc->electronic_noise, 0, 5000)) != LC_OK ||
        (st = num(c, a, s, "dead_pixels", &dead, 0, 1000)) != LC_OK ||
        (st = num(c, a, s, "hot_pixels", &hot, 0, 1000)) != LC_OK ||
        (st = num(c, a, s, "detector_seed", &seed, 0, 9007199254740992.0)) != LC_OK)
        return st;
    if (refl != floor(refl) || dead != floor(dead) || hot != floor(hot) || seed != floor(seed))
        return lc_error_set(c->err, LC_ERR_FORMAT,
                            "%s: acquisition: reference_lines, dead_pixels, hot_pixels and "
                            "detector_seed must be integers",
                            c->name);
    sc->ref_lines = (int)refl;
    sc->dead_pixels = (int)dead;
    sc->hot_pixels = (int)hot;
    sc->detector_seed = (uint64_t)seed;
    return LC_OK;
}

lc_status lc_scanner_load(const char *path, lc_scanner **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_scanner_load: NULL argument");
    lc_scanner *sc = malloc(sizeof *sc);
    if (!sc)
        return lc_error_set(err, LC_ERR_NOMEM, "scanner: out of memory");
    set_defaults(sc);
    lc_status st = lc_phys_scanner_load(path, &sc->tube, &sc->det, err);
    if (st != LC_OK) {
        free(sc);
        return st;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    sctx c = {base, err};
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        free(sc);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: line %d, column %d: %s", base, je.line,
                            je.column, je.text);
    }
    static const char *const top[] = {"lucent_scanner", "name",        "tube", "detector",
                                      "geometry",       "acquisition", NULL};
    if (!json_is_object(root))
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: must be a JSON object", base);
    else if ((st = check_keys(&c, root, "scanner", top)) == LC_OK) {
        json_t *g = json_object_get(root, "geometry");
        json_t *a = json_object_get(root, "acquisition");
        if (g)
            st = parse_geometry(&c, g, sc);
        if (st == LC_OK && a)
            st = parse_acq(&c, a, sc);
    }
    json_decref(root);
    for (size_t v = 0; st == LC_OK && v < sc->nviews; v++) {
        uint32_t n = lc__view_pixel_count(&sc->views[v], sc->pixel_pitch_mm);
        if (n == 0 || n > LC_SCAN_MAX_PIXELS)
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "%s: geometry.views[%zu].detector: %u pixels (must be 1..%d)", base,
                              v, n, LC_SCAN_MAX_PIXELS);
    }
    if (st != LC_OK) {
        free(sc);
        return st;
    }
    *out = sc;
    return LC_OK;
}
