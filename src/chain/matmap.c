/* SPDX-License-Identifier: Apache-2.0 */
/*
 * matmap.c: per-pixel material estimates (lc_matmap_compute). The two
 * attenuation images are smoothed with a small box filter (the noise of R =
 * A_L/A_H per pixel is ~0.05 at 2e4 photons, PHYSICS.md: smoothing before the
 * lookup is what keeps the class map free of salt-and-pepper speckle), then
 * each pixel's (sqrt A_H, R) indexes the table's lookup table for Zeff; the
 * class follows from the Zeff boundaries, and the confidence from the
 * expected Zeff noise at that point of the table for the scan's photon
 * statistics (a small per-call table). One fused pass per image row: no
 * per-pixel allocation, no libm call per pixel except sqrt.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain_int.h"
#include "util/util.h"

/* Coarse confidence table: every 3rd u bin and 8th R bin. */
#define CONF_SU 3
#define CONF_SR 8
#define CONF_NU (LC__LUT_NU / CONF_SU)
#define CONF_NR (LC__LUT_NR / CONF_SR)

const char *lc_class_name(lc_class c)
{
    switch (c) {
    case LC_CLASS_AIR:
        return "air";
    case LC_CLASS_ORGANIC:
        return "organic";
    case LC_CLASS_MIXED:
        return "mixed";
    case LC_CLASS_INORGANIC:
        return "inorganic";
    case LC_CLASS_IMPENETRABLE:
        return "impenetrable";
    }
    return "unknown";
}

void lc_matmap_options_init(lc_matmap_options *o)
{
    o->smooth_radius = 1;
    o->air_threshold = 0.03;
    o->zeff_mixed = LC_ZEFF_MIXED;
    o->zeff_inorganic = LC_ZEFF_INORGANIC;
}

void lc_matmap_free(lc_matmap *m)
{
    if (!m)
        return;
    free(m->zeff);
    free(m->cls);
    free(m->conf);
    free(m);
}

/* The lookup table: for each u row the element curves are interpolated once,
 * then the R bins are walked upwards with a pointer into the (increasing)
 * curve values, so building costs O(NU * (NR + NZ)). */
lc_status lc__mattable_build_lut(lc_mattable *t, lc_error *err)
{
    double rmin = 1e9, rmax = 0;
    for (size_t i = 0; i < (size_t)LC__NZ * t->n_ah; i++) {
        rmin = fmin(rmin, t->ratio[i]);
        rmax = fmax(rmax, t->ratio[i]);
    }
    rmin = fmax(0.2, rmin - 0.05);
    rmax = fmin(50.0, rmax + 0.05);
    free(t->lut);
    t->lut = lc__mallocn((size_t)LC__LUT_NU * LC__LUT_NR, sizeof(uint16_t));
    if (!t->lut)
        return lc_error_set(err, LC_ERR_NOMEM, "table: out of memory");
    t->lut_du = (float)(LC__LUT_UMAX / (LC__LUT_NU - 1));
    t->lut_r0 = (float)rmin;
    t->lut_dr = (float)((rmax - rmin) / (LC__LUT_NR - 1));
    for (uint32_t iu = 0; iu < LC__LUT_NU; iu++) {
        double u = iu * (double)t->lut_du;
        /* Keep away from A_H = 0 where R is the zero-thickness limit. */
        double ah = fmax(u * u, 1e-4);
        uint16_t *row = t->lut + (size_t)iu * LC__LUT_NR;
        for (uint32_t ir = 0; ir < LC__LUT_NR; ir++) {
            double r = t->lut_r0 + ir * (double)t->lut_dr;
            double z = lc__mattable_zeff_r(t, ah, r);
            row[ir] = (uint16_t)(z * 256.0 + 0.5);
        }
    }
    return LC_OK;
}

/* Box-smoothed row y of plane a (radius r, window clipped at the image
 * edges) into out[w]; vs[w] is scratch. Straight sums of 2r+1 taps (no
 * running sums: those serialise and do not vectorise). */
static inline __attribute__((always_inline)) void
smooth_row_body(const float *a, uint32_t w, uint32_t h, uint32_t y, int r, float *vs, float *out)
{
    uint32_t y0 = y >= (uint32_t)r ? y - (uint32_t)r : 0;
    uint32_t y1 = y + (uint32_t)r < h ? y + (uint32_t)r : h - 1;
    const float *first = a + (size_t)y0 * w;
    float ny = (float)(y1 - y0 + 1), inv = 1.0f / ny;
    if (y1 - y0 == 2) {
        const float *r1 = first + w, *r2 = first + 2 * (size_t)w;
        for (uint32_t x = 0; x < w; x++)
            vs[x] = first[x] + r1[x] + r2[x];
    } else {
        memcpy(vs, first, sizeof(float) * w);
        for (uint32_t yy = y0 + 1; yy <= y1; yy++) {
            const float *row = a + (size_t)yy * w;
            for (uint32_t x = 0; x < w; x++)
                vs[x] += row[x];
        }
    }
    uint32_t ur = (uint32_t)r;
    if (r == 0 || w < 2 * ur + 1) {
        for (uint32_t x = 0; x < w; x++)
            out[x] = vs[x] * inv;
        return;
    }
    /* Edges: clipped windows. */
    for (uint32_t x = 0; x < ur; x++) {
        float s = 0;
        uint32_t hi = x + ur;
        for (uint32_t i = 0; i <= hi; i++)
            s += vs[i];
        out[x] = s / (ny * (float)(hi + 1));
        float t = 0;
        uint32_t xr = w - 1 - x;
        for (uint32_t i = xr - ur; i < w; i++)
            t += vs[i];
        out[xr] = t / (ny * (float)(w - (xr - ur)));
    }
    const float k = 1.0f / (ny * (float)(2 * ur + 1));
    if (ur == 1) {
        for (uint32_t x = 1; x + 1 < w; x++)
            out[x] = (vs[x - 1] + vs[x] + vs[x + 1]) * k;
    } else {
        for (uint32_t x = ur; x + ur < w; x++) {
            float s = 0;
            for (uint32_t i = x - ur; i <= x + ur; i++)
                s += vs[i];
            out[x] = s * k;
        }
    }
}

/* smooth_row_body compiled for the baseline and (x86-64) for AVX2: the
 * compiler vectorises the plain sums at either width with the same
 * per-element operations. */
static void smooth_row(const float *a, uint32_t w, uint32_t h, uint32_t y, int r, float *vs,
                       float *out)
{
    smooth_row_body(a, w, h, y, r, vs, out);
}

#if LC__HAVE_AVX2_PATH
__attribute__((target("avx2"))) static void
smooth_row_avx2(const float *a, uint32_t w, uint32_t h, uint32_t y, int r, float *vs, float *out)
{
    smooth_row_body(a, w, h, y, r, vs, out);
}
#endif

/* The SSE2 index arithmetic below shifts by these sizes. */
_Static_assert(LC__LUT_NR == 1024 && CONF_NR == 128, "lookup table sizes changed");

typedef struct lut_params {
    float inv_du, inv_dr, r0, umax, rmax;
} lut_params;

/* The lookup-table indices of one row: idx = iu * NR + ir into the Zeff table
 * and cidx into the coarse confidence table, from u = sqrt(A_H) and R =
 * A_L / A_H. Clamps are max/min (a NaN goes to the low end); with SSE2 four
 * pixels at a time (the same IEEE operations as the scalar tail, so results
 * do not depend on the path). */
static void lut_index_row(const float *sh, const float *sl, uint32_t w, const lut_params *p,
                          int32_t *idx, int32_t *cidx)
{
    uint32_t x = 0;
#if defined(__SSE2__)
    const __m128 zero = _mm_setzero_ps(), half = _mm_set1_ps(0.5f);
    const __m128 inv_du = _mm_set1_ps(p->inv_du), inv_dr = _mm_set1_ps(p->inv_dr);
    const __m128 r0 = _mm_set1_ps(p->r0), umax = _mm_set1_ps(p->umax), rmax = _mm_set1_ps(p->rmax);
    const __m128 dmin = _mm_set1_ps(1e-3f), third = _mm_set1_ps(1.0f / CONF_SU);
    for (; x + 4 <= w; x += 4) {
        __m128 ah = _mm_loadu_ps(sh + x), al = _mm_loadu_ps(sl + x);
        __m128 u = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(_mm_max_ps(ah, zero)), inv_du), half);
        __m128i iu = _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(u, zero), umax));
        __m128 fr = _mm_add_ps(
            _mm_mul_ps(_mm_sub_ps(_mm_div_ps(al, _mm_max_ps(ah, dmin)), r0), inv_dr), half);
        __m128i ir = _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(fr, zero), rmax));
        __m128i i = _mm_add_epi32(_mm_slli_epi32(iu, 10), ir);
        __m128i cu = _mm_cvttps_epi32(_mm_mul_ps(_mm_cvtepi32_ps(iu), third));
        __m128i ci = _mm_add_epi32(_mm_slli_epi32(cu, 7), _mm_srli_epi32(ir, 3));
        _mm_storeu_si128((__m128i *)(void *)(idx + x), i);
        _mm_storeu_si128((__m128i *)(void *)(cidx + x), ci);
    }
#endif
    for (; x < w; x++) {
        float ah = sh[x], al = sl[x];
        float u = sqrtf(lc__clampf(ah, 0.0f, INFINITY)) * p->inv_du + 0.5f;
        int iu = (int)lc__clampf(u, 0.0f, p->umax);
        float den = lc__clampf(ah, 1e-3f, INFINITY);
        int ir = (int)lc__clampf((al / den - p->r0) * p->inv_dr + 0.5f, 0.0f, p->rmax);
        idx[x] = iu * LC__LUT_NR + ir;
        cidx[x] = (int)((float)iu * (1.0f / CONF_SU)) * CONF_NR + ir / CONF_SR;
    }
}

#if LC__HAVE_AVX2_PATH
/* lut_index_row eight pixels at a time (AVX2; the same operations per
 * pixel). Returns how many pixels it did (w & ~7). */
__attribute__((target("avx2"))) static uint32_t lut_index_row_avx2(const float *sh, const float *sl,
                                                                   uint32_t w, const lut_params *p,
                                                                   int32_t *idx, int32_t *cidx)
{
    const __m256 zero = _mm256_setzero_ps(), half = _mm256_set1_ps(0.5f);
    const __m256 inv_du = _mm256_set1_ps(p->inv_du), inv_dr = _mm256_set1_ps(p->inv_dr);
    const __m256 r0 = _mm256_set1_ps(p->r0), umax = _mm256_set1_ps(p->umax);
    const __m256 rmax = _mm256_set1_ps(p->rmax);
    const __m256 dmin = _mm256_set1_ps(1e-3f), third = _mm256_set1_ps(1.0f / CONF_SU);
    uint32_t x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256 ah = _mm256_loadu_ps(sh + x), al = _mm256_loadu_ps(sl + x);
        __m256 u =
            _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(_mm256_max_ps(ah, zero)), inv_du), half);
        __m256i iu = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(u, zero), umax));
        __m256 fr = _mm256_add_ps(
            _mm256_mul_ps(_mm256_sub_ps(_mm256_div_ps(al, _mm256_max_ps(ah, dmin)), r0), inv_dr),
            half);
        __m256i ir = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(fr, zero), rmax));
        __m256i i = _mm256_add_epi32(_mm256_slli_epi32(iu, 10), ir);
        __m256i cu = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(iu), third));
        __m256i ci = _mm256_add_epi32(_mm256_slli_epi32(cu, 7), _mm256_srli_epi32(ir, 3));
        _mm256_storeu_si256((__m256i *)(void *)(idx + x), i);
        _mm256_storeu_si256((__m256i *)(void *)(cidx + x), ci);
    }
    return x;
}
#endif

/* Zeff, class and confidence of one row from the gathered table entries zq
 * (Zeff * 256) and cq, the smoothed A_H row sh and the flags: impenetrable
 * pixels are LC_CLASS_IMPENETRABLE, A_H below `air` is LC_CLASS_AIR, both with
 * Zeff NaN and confidence 0. z = zq / 256 is exact in float, so comparing
 * zq with the thresholds times 256 gives the same classes. With SSE2 four
 * pixels at a time without branches (gcc left the plain loop scalar, with a
 * branch per pixel); the tail does the same comparisons. */
static void classify_row(const uint16_t *zq, const uint8_t *cq, const float *sh, const uint8_t *fl,
                         uint32_t w, float air, float zm, float zi, float *zo, uint8_t *co,
                         uint8_t *cf)
{
    const float zm256 = zm * 256.0f, zi256 = zi * 256.0f;
    uint32_t x = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi32(1);
    const __m128i cimp = _mm_set1_epi32(LC_CLASS_IMPENETRABLE);
    const __m128i cimpflag = _mm_set1_epi32(LC_PIX_IMPENETRABLE);
    const __m128i nanbits = _mm_set1_epi32(0x7fc00000);
    const __m128 vzm = _mm_set1_ps(zm256), vzi = _mm_set1_ps(zi256), vair = _mm_set1_ps(air);
    const __m128 inv256 = _mm_set1_ps(1.0f / 256.0f);
    for (; x + 4 <= w; x += 4) {
        int32_t f4, c4;
        memcpy(&f4, fl + x, 4);
        memcpy(&c4, cq + x, 4);
        __m128i zi32 =
            _mm_unpacklo_epi16(_mm_loadl_epi64((const __m128i *)(const void *)(zq + x)), zero);
        __m128 zf = _mm_cvtepi32_ps(zi32);
        __m128i f32 = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(f4), zero), zero);
        __m128i c32 = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(c4), zero), zero);
        __m128i imp = _mm_cmpeq_epi32(_mm_and_si128(f32, cimpflag), cimpflag);
        __m128i airm = _mm_castps_si128(_mm_cmplt_ps(_mm_loadu_ps(sh + x), vair));
        __m128i none = _mm_or_si128(imp, airm);
        __m128i c = _mm_sub_epi32(_mm_sub_epi32(one, _mm_castps_si128(_mm_cmpge_ps(zf, vzm))),
                                  _mm_castps_si128(_mm_cmpge_ps(zf, vzi)));
        c = _mm_andnot_si128(airm, c);
        c = _mm_or_si128(_mm_andnot_si128(imp, c), _mm_and_si128(imp, cimp));
        __m128i zb = _mm_castps_si128(_mm_mul_ps(zf, inv256));
        zb = _mm_or_si128(_mm_andnot_si128(none, zb), _mm_and_si128(none, nanbits));
        _mm_storeu_si128((__m128i *)(void *)(zo + x), zb);
        c32 = _mm_andnot_si128(none, c32);
        __m128i cb = _mm_packus_epi16(_mm_packs_epi32(c, c32), zero);
        uint8_t out8[16];
        _mm_storeu_si128((__m128i *)(void *)out8, cb);
        memcpy(co + x, out8, 4);
        memcpy(cf + x, out8 + 4, 4);
    }
#endif
    for (; x < w; x++) {
        float zf = (float)zq[x];
        int imp = fl[x] & LC_PIX_IMPENETRABLE, airp = sh[x] < air;
        uint8_t c = (uint8_t)(LC_CLASS_ORGANIC + (zf >= zm256) + (zf >= zi256));
        c = imp ? (uint8_t)LC_CLASS_IMPENETRABLE : airp ? (uint8_t)LC_CLASS_AIR : c;
        zo[x] = (imp | airp) ? NAN : zf * (1.0f / 256.0f);
        co[x] = c;
        cf[x] = (imp | airp) ? 0 : cq[x];
    }
}

#if LC__HAVE_AVX2_PATH
/* classify_row eight pixels at a time (AVX2; the same operations per pixel).
 * Returns how many pixels it did (w & ~7). */
__attribute__((target("avx2"))) static uint32_t
classify_row_avx2(const uint16_t *zq, const uint8_t *cq, const float *sh, const uint8_t *fl,
                  uint32_t w, float air, float zm, float zi, float *zo, uint8_t *co, uint8_t *cf)
{
    const __m256i one = _mm256_set1_epi32(1), cimp = _mm256_set1_epi32(LC_CLASS_IMPENETRABLE);
    const __m256i cimpflag = _mm256_set1_epi32(LC_PIX_IMPENETRABLE);
    const __m256i nanbits = _mm256_set1_epi32(0x7fc00000);
    const __m256 vzm = _mm256_set1_ps(zm * 256.0f), vzi = _mm256_set1_ps(zi * 256.0f);
    const __m256 vair = _mm256_set1_ps(air), inv256 = _mm256_set1_ps(1.0f / 256.0f);
    uint32_t x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256 zf = _mm256_cvtepi32_ps(
            _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(zq + x))));
        __m256i f32 =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(fl + x)));
        __m256i c32 =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(cq + x)));
        __m256i imp = _mm256_cmpeq_epi32(_mm256_and_si256(f32, cimpflag), cimpflag);
        __m256i airm =
            _mm256_castps_si256(_mm256_cmp_ps(_mm256_loadu_ps(sh + x), vair, _CMP_LT_OQ));
        __m256i none = _mm256_or_si256(imp, airm);
        __m256i c = _mm256_sub_epi32(
            _mm256_sub_epi32(one, _mm256_castps_si256(_mm256_cmp_ps(zf, vzm, _CMP_GE_OQ))),
            _mm256_castps_si256(_mm256_cmp_ps(zf, vzi, _CMP_GE_OQ)));
        c = _mm256_andnot_si256(airm, c);
        c = _mm256_or_si256(_mm256_andnot_si256(imp, c), _mm256_and_si256(imp, cimp));
        __m256i zb = _mm256_castps_si256(_mm256_mul_ps(zf, inv256));
        zb = _mm256_or_si256(_mm256_andnot_si256(none, zb), _mm256_and_si256(none, nanbits));
        _mm256_storeu_si256((__m256i *)(void *)(zo + x), zb);
        c32 = _mm256_andnot_si256(none, c32);
        __m128i c16 = _mm_packs_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
        __m128i f16 =
            _mm_packs_epi32(_mm256_castsi256_si128(c32), _mm256_extracti128_si256(c32, 1));
        _mm_storel_epi64((__m128i *)(void *)(co + x), _mm_packus_epi16(c16, c16));
        _mm_storel_epi64((__m128i *)(void *)(cf + x), _mm_packus_epi16(f16, f16));
    }
    return x;
}
#endif

/* The confidence table for a scan: sigma_Z^2 = (dZ/dR)^2 sigma_R^2 with
 * sigma_R^2 = (var A_L + R^2 var A_H) / A_H^2, var A_k = exp(A_k) / N_k / S
 * (N_k effective photons in air, S pixels averaged by the smoothing). */
static void build_conf(const lc_mattable *t, const lc_atten *a, int radius, uint8_t *conf)
{
    double nh = a->neff_air[LC_HIGH] > 0 ? a->neff_air[LC_HIGH] : 2e4;
    double nl = a->neff_air[LC_LOW] > 0 ? a->neff_air[LC_LOW] : 2e4;
    double s = (2.0 * radius + 1) * (2.0 * radius + 1);
    for (uint32_t cu = 0; cu < CONF_NU; cu++) {
        uint32_t iu = cu * CONF_SU + CONF_SU / 2;
        double u = iu * (double)t->lut_du, ah = fmax(u * u, 1e-4);
        const uint16_t *row = t->lut + (size_t)iu * LC__LUT_NR;
        for (uint32_t cr = 0; cr < CONF_NR; cr++) {
            uint32_t ir = cr * CONF_SR + CONF_SR / 2;
            uint32_t i0 = ir >= 4 ? ir - 4 : 0, i1 = ir + 4 < LC__LUT_NR ? ir + 4 : LC__LUT_NR - 1;
            double dzdr = ((double)row[i1] - row[i0]) / 256.0 / ((i1 - i0) * (double)t->lut_dr);
            double r = t->lut_r0 + ir * (double)t->lut_dr, al = r * ah;
            double vh = exp(fmin(ah, 30.0)) / nh / s, vl = exp(fmin(al, 30.0)) / nl / s;
            double vr = (vl + r * r * vh) / (ah * ah);
            double sz2 = dzdr * dzdr * vr;
            double c = 255.0 / (1.0 + sz2 / (1.5 * 1.5));
            conf[cu * CONF_NR + cr] = (uint8_t)(c + 0.5);
        }
    }
}

lc_status lc_matmap_compute(const lc_mattable *t, const lc_atten *a, const lc_matmap_options *opts,
                            lc_matmap **out, lc_error *err)
{
    if (!t || !a || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_matmap_compute: NULL argument");
    *out = NULL;
    lc_matmap *m = NULL;
    lc_status st = lc__matmap_alloc(a->width, a->height, &m, err);
    if (st == LC_OK)
        st = lc__matmap_fill(t, a, opts, m, err);
    if (st != LC_OK) {
        lc_matmap_free(m);
        return st;
    }
    *out = m;
    return LC_OK;
}

lc_status lc__matmap_alloc(uint32_t w, uint32_t h, lc_matmap **out, lc_error *err)
{
    size_t n = (size_t)w * h;
    lc_matmap *m = lc__calloc(1, sizeof *m);
    if (m) {
        m->width = w;
        m->height = h;
        m->zeff = lc__mallocn(n, sizeof(float));
        m->cls = lc__mallocn(n, 1);
        m->conf = lc__mallocn(n, 1);
    }
    if (!m || !m->zeff || !m->cls || !m->conf) {
        lc_matmap_free(m);
        return lc_error_set(err, LC_ERR_NOMEM, "material map: out of memory");
    }
    *out = m;
    return LC_OK;
}

lc_status lc__matmap_fill(const lc_mattable *t, const lc_atten *a, const lc_matmap_options *opts,
                          lc_matmap *m, lc_error *err)
{
    lc_matmap_options defo;
    if (!opts) {
        lc_matmap_options_init(&defo);
        opts = &defo;
    }
    if (opts->smooth_radius < 0 || opts->smooth_radius > 8)
        return lc_error_set(err, LC_ERR_ARG, "material map: smooth_radius must be 0..8");
    uint32_t w = a->width, h = a->height;
    if (m->width != w || m->height != h)
        return lc_error_set(err, LC_ERR_ARG, "material map: size differs from the image's");
    /* 3 float rows, 2 index rows, the gathered Zeff and confidence rows */
    float *scratch = lc__mallocn((size_t)w * 7, sizeof(float));
    uint8_t *conf = lc__mallocn((size_t)CONF_NU * CONF_NR, 1);
    if (!scratch || !conf) {
        free(scratch);
        free(conf);
        return lc_error_set(err, LC_ERR_NOMEM, "material map: out of memory");
    }
    build_conf(t, a, opts->smooth_radius, conf);
    float *vs = scratch, *sh = scratch + w, *sl = scratch + 2 * (size_t)w;
    const float inv_du = 1.0f / t->lut_du, inv_dr = 1.0f / t->lut_dr, r0 = t->lut_r0;
    const float air = (float)opts->air_threshold;
    const float zm = (float)opts->zeff_mixed, zi = (float)opts->zeff_inorganic;
    const uint16_t *lut = t->lut;
    const lut_params lp = {inv_du, inv_dr, r0, (float)LC__LUT_NU - 0.5f, (float)LC__LUT_NR - 0.5f};
    int32_t *idx = (int32_t *)(scratch + 3 * (size_t)w), *cidx = idx + w;
    uint16_t *zq = (uint16_t *)(cidx + w);
    uint8_t *cq = (uint8_t *)(zq + w);
#if LC__HAVE_AVX2_PATH
    const int avx2 = lc__cpu_avx2();
#endif
    for (uint32_t y = 0; y < h; y++) {
#if LC__HAVE_AVX2_PATH
        if (avx2) {
            smooth_row_avx2(a->a[LC_HIGH], w, h, y, opts->smooth_radius, vs, sh);
            smooth_row_avx2(a->a[LC_LOW], w, h, y, opts->smooth_radius, vs, sl);
        } else
#endif
        {
            smooth_row(a->a[LC_HIGH], w, h, y, opts->smooth_radius, vs, sh);
            smooth_row(a->a[LC_LOW], w, h, y, opts->smooth_radius, vs, sl);
        }
        const uint8_t *fl = a->flags + (size_t)y * w;
        float *zo = m->zeff + (size_t)y * w;
        uint8_t *co = m->cls + (size_t)y * w, *cf = m->conf + (size_t)y * w;
        uint32_t x0 = 0;
#if LC__HAVE_AVX2_PATH
        if (avx2)
            x0 = lut_index_row_avx2(sh, sl, w, &lp, idx, cidx);
#endif
        lut_index_row(sh + x0, sl + x0, w - x0, &lp, idx + x0, cidx + x0);
        /* The gathers alone (scalar), then the rest in a loop the compiler
         * vectorises. */
        for (uint32_t x = 0; x < w; x++) {
            zq[x] = lut[idx[x]];
            cq[x] = conf[cidx[x]];
        }
        x0 = 0;
#if LC__HAVE_AVX2_PATH
        if (avx2)
            x0 = classify_row_avx2(zq, cq, sh, fl, w, air, zm, zi, zo, co, cf);
#endif
        classify_row(zq + x0, cq + x0, sh + x0, fl + x0, w - x0, air, zm, zi, zo + x0, co + x0,
                     cf + x0);
    }
    free(scratch);
    free(conf);
    return LC_OK;
}

lc_status lc_probe_region(const lc_atten *a, const lc_matmap *m, const uint32_t rect[4],
                          lc_probe *out, lc_error *err)
{
    if (!a || !m || !rect || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_probe_region: NULL argument");
    memset(out, 0, sizeof *out);
    memcpy(out->rect, rect, sizeof out->rect);
    uint32_t x0 = rect[0], y0 = rect[1];
    uint32_t x1 = rect[2] < a->width ? rect[2] : a->width;
    uint32_t y1 = rect[3] < a->height ? rect[3] : a->height;
    if (x0 >= x1 || y0 >= y1)
        return lc_error_set(err, LC_ERR_ARG, "region [%u,%u,%u,%u] is empty inside the %ux%u image",
                            rect[0], rect[1], rect[2], rect[3], a->width, a->height);
    double s[LC_CHANNELS] = {0}, s2[LC_CHANNELS] = {0}, zs = 0, zs2 = 0;
    size_t n = 0, nz = 0, cnt[LC_CLASS_COUNT] = {0};
    for (uint32_t y = y0; y < y1; y++)
        for (uint32_t x = x0; x < x1; x++) {
            size_t p = (size_t)y * a->width + x;
            for (int k = 0; k < LC_CHANNELS; k++) {
                s[k] += a->a[k][p];
                s2[k] += (double)a->a[k][p] * a->a[k][p];
            }
            n++;
            if (m->cls[p] < LC_CLASS_COUNT)
                cnt[m->cls[p]]++;
            if (isfinite(m->zeff[p])) {
                zs += m->zeff[p];
                zs2 += (double)m->zeff[p] * m->zeff[p];
                nz++;
            }
        }
    for (int k = 0; k < LC_CHANNELS; k++) {
        out->a_mean[k] = s[k] / n;
        out->a_std[k] = sqrt(fmax(0.0, s2[k] / n - out->a_mean[k] * out->a_mean[k]));
    }
    out->zeff_mean = nz ? zs / nz : NAN;
    out->zeff_std = nz ? sqrt(fmax(0.0, zs2 / nz - out->zeff_mean * out->zeff_mean)) : NAN;
    for (int c = 0; c < LC_CLASS_COUNT; c++)
        out->frac[c] = (double)cnt[c] / n;
    return LC_OK;
}
