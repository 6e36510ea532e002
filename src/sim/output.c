/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.c: what a simulation run writes besides the raw scan: the
 * ground-truth labels as JSON (the labels.json contract of `lucent simulate`)
 * and a quick-look grey PNG per view (high channel, dark/air corrected,
 * log-scaled) for people to look at.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/util.h"

const char *lc__labels_id(const lc_sim_labels *l, size_t i);
const char *lc__labels_material(const lc_sim_labels *l, size_t i);
const char *lc__labels_threat(const lc_sim_labels *l, size_t i);
size_t lc__labels_views(const lc_sim_labels *l);

lc_status lc_sim_labels_json(const lc_sim_labels *labels, char **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!labels || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_sim_labels_json: NULL argument");
    json_t *root = json_object();
    json_t *objs = json_array();
    bool ok = root && objs && json_object_set(root, "objects", objs) == 0;
    size_t nv = lc__labels_views(labels);
    for (size_t i = 0; ok && i < lc_sim_labels_count(labels); i++) {
        json_t *o = json_object();
        json_t *views = json_array();
        const char *threat = lc__labels_threat(labels, i);
        ok = o && views && json_array_append(objs, o) == 0 &&
             json_object_set_new(o, "id", json_string(lc__labels_id(labels, i))) == 0 &&
             json_object_set_new(o, "material", json_string(lc__labels_material(labels, i))) == 0 &&
             json_object_set_new(o, "threat", threat[0] ? json_string(threat) : json_null()) == 0 &&
             json_object_set(o, "views", views) == 0;
        for (size_t v = 0; ok && v < nv; v++) {
            uint32_t b[4];
            if (!lc_sim_labels_bbox(labels, i, v, b))
                continue;
            json_t *e =
                json_pack("{s:I,s:[I,I,I,I]}", "view", (json_int_t)v, "bbox", (json_int_t)b[0],
                          (json_int_t)b[1], (json_int_t)b[2], (json_int_t)b[3]);
            ok = e && json_array_append_new(views, e) == 0;
        }
        json_decref(o);
        json_decref(views);
    }
    char *s = ok ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(objs);
    json_decref(root);
    if (!s)
        return lc_error_set(err, LC_ERR_NOMEM, "labels: out of memory");
    *out = s;
    return LC_OK;
}

lc_status lc_sim_labels_write(const lc_sim_labels *labels, const char *path, lc_error *err)
{
    char *s = NULL;
    lc_status st = lc_sim_labels_json(labels, &s, err);
    if (st != LC_OK)
        return st;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return lc_error_set(err, LC_ERR_NOMEM, "labels: out of memory");
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    st = lc__write_file_atomic(path, t, n + 1, err);
    free(t);
    return st;
}

/* ---------------------------------------------------------------- PNG */

typedef struct png_state {
    lc_error *err;
    const char *path;
} png_state;

static void png_err(png_structp png, png_const_charp msg)
{
    png_state *ps = png_get_error_ptr(png);
    lc_error_set(ps->err, LC_ERR_IO, "%s: PNG: %s", ps->path, msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* libpng reports errors by longjmp; every object the jump can skip over is
 * owned outside this function. */
static lc_status write_gray(const char *path, const uint8_t *img, uint32_t w, uint32_t h,
                            lc_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot create", path);
    png_state ps = {err, path};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ps, png_err, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return LC_ERR_IO;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(img + (size_t)y * w));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0)
        return lc_error_set(err, LC_ERR_IO, "%s: write failed", path);
    return LC_OK;
}

lc_status lc_sim_write_png(const lc_scan *scan, size_t v, const char *path, lc_error *err)
{
    const lc_view *view = scan ? lc_scan_view(scan, v) : NULL;
    if (!view || !path)
        return lc_error_set(err, LC_ERR_ARG, "lc_sim_write_png: no view %zu", v);
    uint32_t w = lc_view_lines(view), h = lc_view_pixels(view);
    const uint16_t *pl = lc_view_plane(view, LC_HIGH);
    const uint16_t *dark = lc_view_ref(view, LC_REF_DARK, LC_HIGH);
    const uint16_t *air = lc_view_ref(view, LC_REF_AIR, LC_HIGH);
    uint32_t nd = lc_view_ref_lines(view, LC_REF_DARK), na = lc_view_ref_lines(view, LC_REF_AIR);
    uint8_t *img = lc__mallocn((size_t)w * h, 1);
    if (!img)
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    for (uint32_t y = 0; y < h; y++) {
        double d = 0, a = (double)lc_scan_max_value(scan);
        if (dark && nd) {
            d = 0;
            for (uint32_t l = 0; l < nd; l++)
                d += dark[(size_t)y * nd + l];
            d /= nd;
        }
        if (air && na) {
            a = 0;
            for (uint32_t l = 0; l < na; l++)
                a += air[(size_t)y * na + l];
            a /= na;
        }
        for (uint32_t x = 0; x < w; x++) {
            double t = (a - d) > 1 ? (pl[(size_t)y * w + x] - d) / (a - d) : 0;
            double att = t > 1e-6 ? -log(t) : 6.0 * 2;
            double g = 255.0 * (1.0 - att / 6.0);
            img[(size_t)y * w + x] = (uint8_t)(g < 0 ? 0 : (g > 255 ? 255 : g + 0.5));
        }
    }
    lc_status st = write_gray(path, img, w, h, err);
    free(img);
    return st;
}
