/* SPDX-License-Identifier: Apache-2.0 */
/*
 * render.c: what the screener sees. Small operations, each producing a new
 * image and never modifying its input (the libvips rule): the colour stage
 * (class colour and attenuation brightness through one small per-call lookup
 * table indexed by class and quantised A_H), negative, edge enhancement
 * (unsharp mask), side-by-side assembly, and a PNG writer (libpng into memory,
 * then an atomic file write). lc_render composes them for the operator modes
 * (PHYSICS.md, "Image conventions operators expect").
 */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain_int.h"
#include "util/util.h"

/* Brightness levels of the colour table: A_H quantised over the window. */
#define NLEVEL 1024
_Static_assert(NLEVEL == 1 << 10, "the SSE2 colour loop shifts the class by 10");

lc_status lc_rgb_new(uint32_t width, uint32_t height, lc_rgb **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_rgb_new: NULL argument");
    *out = NULL;
    if (width == 0 || height == 0 || width > (1u << 20) || height > (1u << 16))
        return lc_error_set(err, LC_ERR_ARG, "image: bad size %ux%u", width, height);
    lc_rgb *img = lc__calloc(1, sizeof *img);
    if (img)
        img->data = lc__calloc((size_t)width * height, 3);
    if (!img || !img->data) {
        free(img);
        return lc_error_set(err, LC_ERR_NOMEM, "image: out of memory");
    }
    img->width = width;
    img->height = height;
    *out = img;
    return LC_OK;
}

void lc_rgb_free(lc_rgb *img)
{
    if (!img)
        return;
    free(img->data);
    free(img);
}

static const struct {
    const char *name;
    lc_render_mode mode;
} mode_names[] = {
    {"colour", LC_RENDER_COLOUR},
    {"color", LC_RENDER_COLOUR},
    {"bw", LC_RENDER_BW},
    {"organic", LC_RENDER_ORGANIC},
    {"inorganic", LC_RENDER_INORGANIC},
    {"high", LC_RENDER_HIGH_PEN},
    {"low", LC_RENDER_LOW_PEN},
};

int lc_render_mode_parse(const char *name, lc_render_mode *mode)
{
    if (!name || !mode)
        return -1;
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcmp(name, mode_names[i].name) == 0) {
            *mode = mode_names[i].mode;
            return 0;
        }
    return -1;
}

const char *lc_render_mode_name(lc_render_mode mode)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (mode_names[i].mode == mode)
            return mode_names[i].name;
    return "unknown";
}

void lc_render_options_init(lc_render_options *o)
{
    o->mode = LC_RENDER_COLOUR;
    o->window_lo = 0;
    o->window_hi = 0;
    o->negative = 0;
    o->edge = 0;
}

/* Class colours at full saturation (R, G, B). */
static const uint8_t palette[LC_CLASS_COUNT][3] = {
    {255, 255, 255}, /* air */
    {255, 150, 20},  /* organic: orange */
    {40, 190, 50},   /* mixed: green */
    {40, 90, 255},   /* inorganic: blue */
    {0, 0, 0},       /* impenetrable: black */
};

/* The colour table: for class c and level q (A_H = lo + (q + 0.5)/NLEVEL *
 * (hi - lo)) brightness b = (1 - t)^2 with t the position in the window,
 * and saturation rising from white to the class colour over the first 0.4 of
 * A_H (thin objects look pale, as on operators' screens). Classes not in
 * `show` are drawn as grey. */
static void build_colour_lut(double lo, double hi, unsigned show, uint8_t *lut)
{
    for (int c = 0; c < LC_CLASS_COUNT; c++)
        for (int q = 0; q < NLEVEL; q++) {
            double ah = lo + (q + 0.5) / NLEVEL * (hi - lo);
            double t = (double)q / (NLEVEL - 1);
            double b = (1.0 - t) * (1.0 - t);
            double sat = fmin(1.0, fmax(0.0, ah) / 0.4);
            uint8_t *o = lut + ((size_t)c * NLEVEL + q) * 3;
            int coloured = (show >> c) & 1u;
            for (int k = 0; k < 3; k++) {
                double v;
                if (c == LC_CLASS_IMPENETRABLE)
                    v = 0;
                else if (!coloured)
                    v = 255.0 * (0.55 + 0.45 * b); /* pale grey: de-emphasised */
                else
                    v = (255.0 * (1 - sat) + palette[c][k] * sat) * b;
                o[k] = (uint8_t)fmin(255.0, fmax(0.0, v + 0.5));
            }
        }
}

lc_status lc_render_colour(const lc_atten *a, const lc_matmap *m, double lo, double hi,
                           unsigned show, lc_rgb **out, lc_error *err)
{
    if (!a || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_render_colour: NULL argument");
    *out = NULL;
    lc_rgb *img = NULL;
    lc_status st = lc_rgb_new(a->width, a->height, &img, err);
    if (st == LC_OK)
        st = lc__render_colour_into(a, m, lo, hi, show, img, err);
    if (st != LC_OK) {
        lc_rgb_free(img);
        return st;
    }
    *out = img;
    return LC_OK;
}

lc_status lc__render_colour_into(const lc_atten *a, const lc_matmap *m, double lo, double hi,
                                 unsigned show, lc_rgb *img, lc_error *err)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi))
        return lc_error_set(err, LC_ERR_ARG, "render: window %g..%g is empty", lo, hi);
    if (m && (m->width != a->width || m->height != a->height))
        return lc_error_set(err, LC_ERR_ARG, "render: material map and image sizes differ");
    if (img->width != a->width || img->height != a->height)
        return lc_error_set(err, LC_ERR_ARG, "render: output and image sizes differ");
    uint8_t *lut = lc__mallocn((size_t)LC_CLASS_COUNT * NLEVEL, 3);
    if (!lut)
        return lc_error_set(err, LC_ERR_NOMEM, "render: out of memory");
    if (!m)
        show = 0; /* grey only: every class drawn through the grey ramp below */
    build_colour_lut(lo, hi, show, lut);
    if (!m) {
        /* Black-and-white: a plain grey ramp white..black. */
        for (int q = 0; q < NLEVEL; q++) {
            double b = pow(1.0 - (double)q / (NLEVEL - 1), 2.0);
            for (int k = 0; k < 3; k++)
                lut[((size_t)LC_CLASS_AIR * NLEVEL + q) * 3 + k] = (uint8_t)(255.0 * b + 0.5);
        }
    }
    const float scale = (float)(NLEVEL / (hi - lo)), off = (float)lo;
    const float qmax = (float)NLEVEL - 0.5f;
    size_t n = (size_t)a->width * a->height;
    const float *restrict ah = a->a[LC_HIGH];
    const uint8_t *restrict flags = a->flags;
    uint8_t *restrict d = img->data;
    /* Branch-free clamps (lc__clampf): NaN goes to level 0. */
    /* Packed entries (R, G, B, 0) so a pixel is one 4-byte load and store;
     * the stores overlap by one byte and the last pixel is written bytewise. */
    uint32_t lut4[LC_CLASS_COUNT * NLEVEL];
    for (size_t i = 0; i < (size_t)LC_CLASS_COUNT * NLEVEL; i++)
        memcpy(&lut4[i], lut + 3 * i, 3), ((uint8_t *)&lut4[i])[3] = 0;
    int32_t q[1024];
    const uint8_t *restrict cls = m ? m->cls : NULL;
    size_t i0 = 0;
#if defined(__SSE2__)
    /* Colour modes: level and class index of four pixels at a time, and the
     * four table entries stored straight from the register (the same
     * operations as the loops below: max/min clamps, NaN to level 0, a class
     * out of range drawn as air). The image's last pixel is left to them. */
    if (cls && n > 4) {
        const __m128 voff = _mm_set1_ps(off), vscale = _mm_set1_ps(scale);
        const __m128 vzero = _mm_setzero_ps(), vqmax = _mm_set1_ps(qmax);
        const __m128i zero = _mm_setzero_si128(), ncls = _mm_set1_epi32(LC_CLASS_COUNT);
        for (; i0 + 4 < n; i0 += 4) {
            __m128 f = _mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(ah + i0), voff), vscale);
            __m128i qv = _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(f, vzero), vqmax));
            int32_t c4;
            memcpy(&c4, cls + i0, 4);
            __m128i c = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(c4), zero), zero);
            c = _mm_and_si128(c, _mm_cmplt_epi32(c, ncls));
            qv = _mm_add_epi32(qv, _mm_slli_epi32(c, 10));
            int32_t qi[4];
            _mm_storeu_si128((__m128i *)(void *)qi, qv);
            uint8_t *o = d + 3 * i0;
            memcpy(o, &lut4[qi[0]], 4);
            memcpy(o + 3, &lut4[qi[1]], 4);
            memcpy(o + 6, &lut4[qi[2]], 4);
            memcpy(o + 9, &lut4[qi[3]], 4);
        }
    }
#endif
    for (; i0 < n; i0 += 1024) {
        size_t nb = n - i0 < 1024 ? n - i0 : 1024;
        /* Levels first: a loop without gathers, vectorised. */
        for (size_t j = 0; j < nb; j++) {
            float f = (ah[i0 + j] - off) * scale;
            f = f > 0.0f ? f : 0.0f;
            f = f < qmax ? f : qmax;
            q[j] = (int32_t)f;
        }
        if (cls) {
            for (size_t j = 0; j < nb; j++) {
                unsigned c = cls[i0 + j];
                c = c < LC_CLASS_COUNT ? c : 0;
                q[j] += (int32_t)(c * NLEVEL);
            }
        } else {
            for (size_t j = 0; j < nb; j++)
                q[j] += (flags[i0 + j] & LC_PIX_IMPENETRABLE) ? LC_CLASS_IMPENETRABLE * NLEVEL
                                                              : LC_CLASS_AIR * NLEVEL;
        }
        size_t last = (i0 + nb == n) ? nb - 1 : nb; /* the image's last pixel: bytewise */
        for (size_t j = 0; j < last; j++)
            memcpy(d + 3 * (i0 + j), &lut4[q[j]], 4);
        if (last < nb)
            memcpy(d + 3 * (i0 + last), &lut4[q[last]], 3);
    }
    free(lut);
    return LC_OK;
}

lc_status lc_rgb_negative(const lc_rgb *in, lc_rgb **out, lc_error *err)
{
    if (!in || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_rgb_negative: NULL argument");
    lc_status st = lc_rgb_new(in->width, in->height, out, err);
    if (st != LC_OK)
        return st;
    size_t n = (size_t)in->width * in->height * 3;
    for (size_t i = 0; i < n; i++)
        (*out)->data[i] = (uint8_t)(255 - in->data[i]);
    return LC_OK;
}

lc_status lc_rgb_edge(const lc_rgb *in, double strength, lc_rgb **out, lc_error *err)
{
    if (!in || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_rgb_edge: NULL argument");
    *out = NULL;
    if (!(strength >= 0 && strength <= 4))
        return lc_error_set(err, LC_ERR_ARG, "edge enhancement: strength must be 0..4");
    lc_status st = lc_rgb_new(in->width, in->height, out, err);
    if (st != LC_OK)
        return st;
    uint32_t w = in->width, h = in->height;
    int s256 = (int)(strength * 256 + 0.5);
    for (uint32_t y = 0; y < h; y++) {
        uint32_t ya = y ? y - 1 : 0, yb = y + 1 < h ? y + 1 : h - 1;
        for (uint32_t x = 0; x < w; x++) {
            uint32_t xa = x ? x - 1 : 0, xb = x + 1 < w ? x + 1 : w - 1;
            for (int k = 0; k < 3; k++) {
                int sum = 0;
                uint32_t ys[3] = {ya, y, yb}, xs[3] = {xa, x, xb};
                for (int j = 0; j < 3; j++)
                    for (int i = 0; i < 3; i++)
                        sum += in->data[((size_t)ys[j] * w + xs[i]) * 3 + k];
                int c = in->data[((size_t)y * w + x) * 3 + k];
                int v = c + ((c * 9 - sum) * s256) / (9 * 256);
                (*out)->data[((size_t)y * w + x) * 3 + k] = (uint8_t)(v < 0     ? 0
                                                                      : v > 255 ? 255
                                                                                : v);
            }
        }
    }
    return LC_OK;
}

lc_status lc_rgb_hconcat(const lc_rgb *const *imgs, size_t n, uint32_t gap, lc_rgb **out,
                         lc_error *err)
{
    if (!imgs || !out || n == 0)
        return lc_error_set(err, LC_ERR_ARG, "lc_rgb_hconcat: no images");
    *out = NULL;
    uint64_t w = 0;
    uint32_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (!imgs[i])
            return lc_error_set(err, LC_ERR_ARG, "lc_rgb_hconcat: NULL image");
        w += imgs[i]->width + (i ? gap : 0);
        h = imgs[i]->height > h ? imgs[i]->height : h;
    }
    if (w > (1u << 20))
        return lc_error_set(err, LC_ERR_LIMIT, "side-by-side image too wide");
    lc_status st = lc_rgb_new((uint32_t)w, h, out, err);
    if (st != LC_OK)
        return st;
    memset((*out)->data, 255, (size_t)w * h * 3);
    uint64_t x0 = 0;
    for (size_t i = 0; i < n; i++) {
        for (uint32_t y = 0; y < imgs[i]->height; y++)
            memcpy((*out)->data + ((size_t)y * w + x0) * 3,
                   imgs[i]->data + (size_t)y * imgs[i]->width * 3, (size_t)imgs[i]->width * 3);
        x0 += imgs[i]->width + gap;
    }
    return LC_OK;
}

lc_status lc__render_params(const lc_render_options *opts, double *lo, double *hi, unsigned *show,
                            const lc_matmap **m, lc_error *err)
{
    *lo = 0;
    *hi = 7.0;
    *show = (1u << LC_CLASS_COUNT) - 1;
    switch (opts->mode) {
    case LC_RENDER_COLOUR:
        break;
    case LC_RENDER_BW:
        *m = NULL;
        break;
    case LC_RENDER_ORGANIC:
        *show = 1u << LC_CLASS_ORGANIC;
        break;
    case LC_RENDER_INORGANIC:
        *show = 1u << LC_CLASS_INORGANIC;
        break;
    case LC_RENDER_HIGH_PEN:
        *lo = 2.0, *hi = 9.0;
        break;
    case LC_RENDER_LOW_PEN:
        *lo = 0, *hi = 2.0;
        break;
    default:
        return lc_error_set(err, LC_ERR_ARG, "render: unknown mode %d", (int)opts->mode);
    }
    if (opts->window_hi > opts->window_lo) {
        *lo = opts->window_lo;
        *hi = opts->window_hi;
    }
    return LC_OK;
}

lc_status lc_render(const lc_atten *a, const lc_matmap *m, const lc_render_options *opts,
                    lc_rgb **out, lc_error *err)
{
    if (!a || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_render: NULL argument");
    *out = NULL;
    lc_render_options defo;
    if (!opts) {
        lc_render_options_init(&defo);
        opts = &defo;
    }
    double lo, hi;
    unsigned show;
    const lc_matmap *mm = m;
    lc_status st0 = lc__render_params(opts, &lo, &hi, &show, &mm, err);
    if (st0 != LC_OK)
        return st0;
    lc_rgb *img = NULL, *tmp = NULL;
    lc_status st = lc_render_colour(a, mm, lo, hi, show, &img, err);
    if (st == LC_OK && opts->edge > 0) {
        st = lc_rgb_edge(img, opts->edge * 2.0, &tmp, err);
        lc_rgb_free(img);
        img = tmp;
        tmp = NULL;
    }
    if (st == LC_OK && opts->negative) {
        st = lc_rgb_negative(img, &tmp, err);
        lc_rgb_free(img);
        img = tmp;
        tmp = NULL;
    }
    if (st != LC_OK) {
        lc_rgb_free(img);
        return st;
    }
    *out = img;
    return LC_OK;
}

/* ---------------------------------------------------------------------- */
/* PNG                                                                    */
/* ---------------------------------------------------------------------- */

typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} membuf;

static void png_mem_write(png_structp png, png_bytep data, png_size_t len)
{
    membuf *b = png_get_io_ptr(png);
    if (b->oom)
        return;
    if (b->len + len > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->len + len)
            nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void png_mem_flush(png_structp png)
{
    (void)png;
}

lc_status lc_rgb_write_png(const lc_rgb *img, const char *path, lc_error *err)
{
    if (!img || !path)
        return lc_error_set(err, LC_ERR_ARG, "lc_rgb_write_png: NULL argument");
    membuf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(b.p);
        return lc_error_set(err, LC_ERR_IO, "%s: PNG encoding failed", path);
    }
    png_set_write_fn(png, &b, png_mem_write, png_mem_flush);
    png_set_IHDR(png, info, img->width, img->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (uint32_t y = 0; y < img->height; y++)
        png_write_row(png, img->data + (size_t)y * img->width * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (b.oom) {
        free(b.p);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    }
    lc_status st = lc__write_file_atomic(path, b.p, b.len, err);
    free(b.p);
    return st;
}
