/* SPDX-License-Identifier: Apache-2.0 */
/*
 * render.c: the station's images. Attenuation from raw planes (dark and air
 * corrected), a dual-energy material class per pixel from the ratio of low- to
 * high-energy attenuation, the operator modes of the console (pseudo-colour,
 * grey, inverse, organic-only, inorganic/metal-only, high penetration, low
 * energy) and PNG encoding with libpng into memory.
 *
 * This is the station's fallback image chain: when the chain module's public
 * header lands, lc__attenuation and lc__render switch to it; the modes and
 * the PNG interface stay.
 */
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "station/station_int.h"
#include "util/util.h"

static const char *const mode_names[LC__MODES] = {"colour",    "grey",  "inverse", "organic",
                                                  "inorganic", "dense", "low"};

const char *lc__mode_name(int mode)
{
    return mode >= 0 && mode < LC__MODES ? mode_names[mode] : NULL;
}

int lc__mode_parse(const char *name)
{
    for (int i = 0; name && i < LC__MODES; i++)
        if (strcmp(name, mode_names[i]) == 0)
            return i;
    return -1;
}

/* Mean of each pixel's reference lines of a kind and channel into out[pixels];
 * false when the view has none. */
static bool ref_mean(const lc_view *view, lc_ref_kind kind, lc_channel ch, double *out)
{
    uint32_t n = lc_view_ref_lines(view, kind), h = lc_view_pixels(view);
    const uint16_t *r = lc_view_ref(view, kind, ch);
    if (n == 0 || !r)
        return false;
    for (uint32_t y = 0; y < h; y++) {
        double s = 0;
        for (uint32_t x = 0; x < n; x++)
            s += r[(size_t)y * n + x];
        out[y] = s / n;
    }
    return true;
}

void lc__attenuation(const lc_scan *scan, size_t v, uint16_t *ah, uint16_t *al)
{
    const lc_view *view = lc_scan_view(scan, v);
    uint32_t w = lc_view_lines(view), h = lc_view_pixels(view);
    double *dark = lc__calloc(h, sizeof *dark), *air = lc__calloc(h, sizeof *air);
    uint16_t *outs[2] = {ah, al};
    double airv = lc_scan_get_info(scan)->air_value ? lc_scan_get_info(scan)->air_value
                                                    : lc_scan_max_value(scan);
    for (int c = 0; c < LC_CHANNELS; c++) {
        const uint16_t *p = lc_view_plane(view, (lc_channel)c);
        bool have_dark = dark && ref_mean(view, LC_REF_DARK, (lc_channel)c, dark);
        bool have_air = air && ref_mean(view, LC_REF_AIR, (lc_channel)c, air);
        for (uint32_t y = 0; y < h; y++) {
            double d = have_dark ? dark[y] : 0.0, a = have_air ? air[y] : airv;
            double span = a - d;
            for (uint32_t x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                double t = span > 1.0 ? ((double)p[i] - d) / span : 0.0;
                double att = t > 1e-6 ? -log(t) : 13.8;
                if (att < 0)
                    att = 0;
                if (att > 15.0)
                    att = 15.0;
                outs[c][i] = (uint16_t)lrint(att * LC__ATT_SCALE);
            }
        }
    }
    free(dark);
    free(air);
}

/* Material classes from R = A_low / A_high, whose class boundaries depend on
 * the high-energy attenuation A because of beam hardening. The boundaries
 * below are midpoints between noise-free slabs simulated with the default
 * scanner of sim.h (dual-layer CsI 0.3 / Cu 0.3 / CsI 4 mm, 160 kVp), run on
 * 2026-11-27 (docs/station.md has the table): organics (polyethylene, water,
 * cellulose, leather, TNT, Semtex) lie at R 1.14-1.28 for every thickness;
 * aluminium and glass fall from R 1.78 at A 0.34 to 1.37 at A 3 and 1.20 at
 * A 9; steel from 1.75 at A 2 to 1.51 at A 3.5 and 1.32 at A 6. Above
 * A of about 6 the classes overlap within noise: a real calibration (the
 * chain module's step-wedge tables) replaces this. */
static const double org_a[] = {0.1, 0.3, 1.2, 3.0, 5.5, 9.0};
static const double org_r[] = {1.56, 1.53, 1.385, 1.285, 1.215, 1.175};
static const double met_a[] = {0.3, 1.0, 2.0, 3.5, 6.0, 9.0};
static const double met_r[] = {2.00, 1.80, 1.60, 1.435, 1.29, 1.22};
#define A_MIN    (0.04 * LC__ATT_SCALE) /* below: air or too thin to tell */
#define A_OPAQUE (9.5 * LC__ATT_SCALE)  /* above: impenetrable */

/* Piecewise-linear table lookup, clamped at both ends. */
static double interp(const double *x, const double *y, int n, double v)
{
    if (v <= x[0])
        return y[0];
    for (int i = 1; i < n; i++)
        if (v <= x[i])
            return y[i - 1] + (y[i] - y[i - 1]) * (v - x[i - 1]) / (x[i] - x[i - 1]);
    return y[n - 1];
}

int lc__material_class(uint16_t ah, uint16_t al)
{
    if (ah < A_MIN && al < A_MIN)
        return 0;
    if (ah >= A_OPAQUE)
        return 4;
    double a = (double)ah / LC__ATT_SCALE;
    double r = (double)al / (double)(ah > 0 ? ah : 1);
    if (r < interp(org_a, org_r, 6, a))
        return 1;
    if (r < interp(met_a, met_r, 6, a))
        return 2;
    return 3;
}

/* Brightness of an attenuation: 1 for air, 0 at A = amax (log display). */
static double bright(uint16_t a, double amax)
{
    double v = 1.0 - (double)a / (amax * LC__ATT_SCALE);
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static uint8_t u8(double v)
{
    v *= 255.0;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v));
}

/* Class hues: organic orange, inorganic green, metal blue (the convention of
 * checkpoint scanners), impenetrable black. */
static const double hue[5][3] = {
    {1, 1, 1}, {1.00, 0.62, 0.18}, {0.25, 0.80, 0.30}, {0.25, 0.45, 1.00}, {0, 0, 0}};

void lc__render(const uint16_t *ah, const uint16_t *al, const uint8_t *cls_map, uint32_t w,
                uint32_t h, int mode, uint8_t *rgb)
{
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++) {
        double r, g, b;
        int cls = cls_map ? (cls_map[i] <= 4 ? cls_map[i] : 0) : lc__material_class(ah[i], al[i]);
        double t = bright(ah[i], 8.0);
        switch (mode) {
        case 1: /* grey */
            r = g = b = t;
            break;
        case 2: /* inverse */
            r = g = b = 1.0 - t;
            break;
        case 5: /* dense: window on A 2..9, to see into thick objects */
            r = g = b =
                pow(1.0 - fmin(fmax(((double)ah[i] / LC__ATT_SCALE - 2.0) / 7.0, 0), 1), 0.8);
            if ((double)ah[i] / LC__ATT_SCALE < 2.0)
                r = g = b = 1.0;
            break;
        case 6: /* low energy */
            r = g = b = bright(al[i], 7.0);
            break;
        default: { /* colour, organic-only, inorganic-only */
            int show =
                mode == 0 || (mode == 3 && cls == 1) || (mode == 4 && (cls == 2 || cls == 3));
            if (!show || cls == 0) {
                double grey = mode == 0 ? t : 0.55 + 0.45 * t;
                r = g = b = grey;
                break;
            }
            /* Saturation grows with thickness so thin layers stay light. */
            double sat = fmin(1.0, (double)ah[i] / (0.6 * LC__ATT_SCALE));
            double lum = 0.15 + 0.85 * t;
            r = lum * ((1 - sat) + sat * hue[cls][0]);
            g = lum * ((1 - sat) + sat * hue[cls][1]);
            b = lum * ((1 - sat) + sat * hue[cls][2]);
            if (cls == 4)
                r = g = b = 0.02;
        }
        }
        rgb[3 * i] = u8(r);
        rgb[3 * i + 1] = u8(g);
        rgb[3 * i + 2] = u8(b);
    }
}

/* ------------------------------------------------------------------ PNG */

typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} membuf;

static void png_mem_write(png_structp png, png_bytep data, png_size_t n)
{
    membuf *m = png_get_io_ptr(png);
    if (m->oom)
        return;
    if (m->len + n > m->cap) {
        size_t cap = (m->len + n) * 2;
        unsigned char *np = realloc(m->p, cap);
        if (!np) {
            m->oom = 1;
            return;
        }
        m->p = np, m->cap = cap;
    }
    memcpy(m->p + m->len, data, n);
    m->len += n;
}

static void png_mem_flush(png_structp png)
{
    (void)png;
}

static void png_quiet(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void png_quiet_warn(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;
}

lc_status lc__png_encode(const uint8_t *rgb, uint32_t w, uint32_t h, unsigned char **out,
                         size_t *len, lc_error *err)
{
    *out = NULL;
    *len = 0;
    membuf m = {0};
    /* volatile: modified between setjmp and a possible longjmp. */
    png_structp volatile png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet, png_quiet_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct((png_structpp)&png, NULL);
        return lc_error_set(err, LC_ERR_NOMEM, "png: out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct((png_structpp)&png, &info);
        free(m.p);
        return lc_error_set(err, LC_ERR_NOMEM, "png: encoding failed");
    }
    png_set_write_fn(png, &m, png_mem_write, png_mem_flush);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 2);
    png_set_filter(png, 0, PNG_FILTER_SUB);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * w * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct((png_structpp)&png, &info);
    if (m.oom) {
        free(m.p);
        return lc_error_set(err, LC_ERR_NOMEM, "png: out of memory");
    }
    *out = m.p;
    *len = m.len;
    return LC_OK;
}

/* ----------------------------------------------------------------- bags */

/* The chain's calibration and material classes of view v into the bag's
 * planes; false when the chain refuses the view (the caller falls back). */
static bool chain_view(const lc_scan *scan, const lc_mattable *t, size_t v, lc__bag *bag)
{
    lc_atten *a = NULL;
    lc_matmap *m = NULL;
    bool ok = lc_atten_compute(scan, v, NULL, &a, NULL) == LC_OK &&
              lc_matmap_compute(t, a, NULL, &m, NULL) == LC_OK && a->width == bag->w[v] &&
              a->height == bag->h[v];
    size_t n = (size_t)bag->w[v] * bag->h[v];
    if (ok && !bag->cls[v])
        bag->cls[v] = lc__mallocn(n, 1);
    ok = ok && bag->cls[v];
    for (size_t i = 0; ok && i < n; i++) {
        float ah = a->a[LC_HIGH][i], al = a->a[LC_LOW][i];
        ah = ah > 0 ? (ah < 15 ? ah : 15) : 0; /* also maps NaN to 0 */
        al = al > 0 ? (al < 15 ? al : 15) : 0;
        bag->ah[v][i] = (uint16_t)lrintf(ah * LC__ATT_SCALE);
        bag->al[v][i] = (uint16_t)lrintf(al * LC__ATT_SCALE);
        bag->cls[v][i] = m->cls[i];
    }
    lc_matmap_free(m);
    lc_atten_free(a);
    if (!ok) {
        free(bag->cls[v]);
        bag->cls[v] = NULL;
    }
    return ok;
}

lc_status lc__bag_from_scan(const lc_scan *scan, const lc_mattable *t, lc__bag **out, lc_error *err)
{
    *out = NULL;
    size_t nv = lc_scan_view_count(scan);
    if (nv == 0)
        return lc_error_set(err, LC_ERR_ARG, "bag: scan has no views");
    if (nv > LC__MAX_VIEWS)
        nv = LC__MAX_VIEWS;
    lc__bag *bag = lc__calloc(1, sizeof *bag);
    if (!bag)
        return lc_error_set(err, LC_ERR_NOMEM, "bag: out of memory");
    pthread_mutex_init(&bag->mu, NULL);
    bag->refs = 1;
    bag->nviews = (int)nv;
    for (size_t v = 0; v < nv; v++) {
        const lc_view *view = lc_scan_view(scan, v);
        bag->w[v] = lc_view_lines(view);
        bag->h[v] = lc_view_pixels(view);
        const lc_view_info *vi = lc_view_get_info(view);
        lc__strlcpy(bag->label[v], vi->label[0] ? vi->label : (v == 0 ? "view 1" : "view 2"),
                    sizeof bag->label[v]);
        size_t n = (size_t)bag->w[v] * bag->h[v];
        bag->ah[v] = lc__mallocn(n, sizeof(uint16_t));
        bag->al[v] = lc__mallocn(n, sizeof(uint16_t));
        if (!bag->ah[v] || !bag->al[v]) {
            lc__bag_free(bag);
            return lc_error_set(err, LC_ERR_NOMEM, "bag: out of memory");
        }
        if (!t || !chain_view(scan, t, v, bag))
            lc__attenuation(scan, v, bag->ah[v], bag->al[v]);
    }
    *out = bag;
    return LC_OK;
}

void lc__bag_free(lc__bag *bag)
{
    if (!bag)
        return;
    for (int v = 0; v < LC__MAX_VIEWS; v++) {
        free(bag->ah[v]);
        free(bag->al[v]);
        free(bag->cls[v]);
        for (int m = 0; m < LC__MODES; m++)
            free(bag->png[v][m]);
    }
    pthread_mutex_destroy(&bag->mu);
    free(bag);
}

lc_status lc__bag_png(lc__bag *bag, int view, int mode, const unsigned char **png, size_t *len,
                      lc_error *err)
{
    if (view < 0 || view >= bag->nviews || mode < 0 || mode >= LC__MODES)
        return lc_error_set(err, LC_ERR_NOT_FOUND, "no such view or mode");
    lc_status s = LC_OK;
    pthread_mutex_lock(&bag->mu);
    if (!bag->png[view][mode]) {
        size_t n = (size_t)bag->w[view] * bag->h[view];
        uint8_t *rgb = lc__mallocn(n, 3);
        if (!rgb) {
            s = lc_error_set(err, LC_ERR_NOMEM, "render: out of memory");
        } else {
            lc__render(bag->ah[view], bag->al[view], bag->cls[view], bag->w[view], bag->h[view],
                       mode, rgb);
            s = lc__png_encode(rgb, bag->w[view], bag->h[view], &bag->png[view][mode],
                               &bag->png_len[view][mode], err);
            free(rgb);
        }
    }
    if (s == LC_OK) {
        *png = bag->png[view][mode];
        *len = bag->png_len[view][mode];
    }
    pthread_mutex_unlock(&bag->mu);
    return s;
}
