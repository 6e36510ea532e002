/* SPDX-License-Identifier: Apache-2.0 */
/*
 * calib.c: detector calibration and attenuation (lc_atten_compute). Raw
 * samples become A = -ln(I/I0) per channel: dark offset and air gain per
 * detector pixel from the reference lines (or estimated from bag-free lines),
 * bad detector pixels found in the references and interpolated across,
 * line-to-line source fluctuation removed with the pixels that only ever see
 * air, and a photon-starvation floor below which a pixel is impenetrable.
 *
 * The inner loop is one pass per detector row with a vectorisable logarithm
 * (chain_int.h): no per-pixel allocation, no libm call per sample.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain_int.h"
#include "util/util.h"

void lc_calib_options_init(lc_calib_options *o)
{
    o->starve_fraction = 2e-4;
    o->starve_sigma = 5.0;
    o->fix_bad_pixels = 1;
    o->fluctuation = 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double lc__median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void lc_atten_free(lc_atten *a)
{
    if (!a)
        return;
    free(a->a[0]);
    free(a->a[1]);
    free(a->flags);
    free(a->detector);
    free(a);
}

lc_status lc_atten_new(uint32_t width, uint32_t height, lc_atten **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_atten_new: NULL argument");
    *out = NULL;
    if (width == 0 || height == 0 || width > LC_SCAN_MAX_LINES || height > LC_SCAN_MAX_PIXELS)
        return lc_error_set(err, LC_ERR_ARG, "lc_atten_new: bad size %ux%u", width, height);
    lc_atten *a = lc__calloc(1, sizeof *a);
    size_t n = (size_t)width * height;
    if (a) {
        a->width = width;
        a->height = height;
        a->a[0] = lc__calloc(n, sizeof(float));
        a->a[1] = lc__calloc(n, sizeof(float));
        a->flags = lc__calloc(n, 1);
        a->detector = lc__calloc(height, 1);
    }
    if (!a || !a->a[0] || !a->a[1] || !a->flags || !a->detector) {
        lc_atten_free(a);
        return lc_error_set(err, LC_ERR_NOMEM, "attenuation image: out of memory");
    }
    *out = a;
    return LC_OK;
}

/* Per detector pixel statistics of a set of reference (or air) lines: mean
 * and standard deviation of every pixel over the chosen lines. `plane` has
 * `stride` samples per detector row; cols lists the lines to use. */
static void ref_stats(const uint16_t *plane, size_t stride, uint32_t height, const uint32_t *cols,
                      uint32_t ncols, double *mean, double *sd)
{
    for (uint32_t y = 0; y < height; y++) {
        const uint16_t *row = plane + (size_t)y * stride;
        double s = 0, s2 = 0;
        for (uint32_t i = 0; i < ncols; i++) {
            double v = row[cols[i]];
            s += v;
            s2 += v * v;
        }
        double m = s / ncols;
        mean[y] = m;
        sd[y] = ncols > 1 ? sqrt(fmax(0.0, (s2 - s * m) / (ncols - 1))) : 0.0;
    }
}

/* Chooses the bag-free lines of a scan without air reference lines: the mean
 * over detector pixels of every line; lines within 4 % of the 90th percentile
 * of these means are air (the tolerance covers source fluctuation, which is
 * corrected later). The leading and trailing runs of such lines are used;
 * when both are empty, every such line. Returns the number chosen into cols;
 * tmp holds `width` doubles of scratch. */
static uint32_t find_air_lines(const uint16_t *plane, uint32_t width, uint32_t height,
                               uint32_t *cols, double *score, double *tmp)
{
    memset(score, 0, sizeof(double) * width);
    for (uint32_t y = 0; y < height; y++) {
        const uint16_t *row = plane + (size_t)y * width;
        for (uint32_t x = 0; x < width; x++)
            score[x] += row[x];
    }
    memcpy(tmp, score, sizeof(double) * width);
    qsort(tmp, width, sizeof *tmp, cmp_double);
    double thr = 0.96 * tmp[(size_t)(0.9 * (width - 1))];
    uint32_t n = 0;
    for (uint32_t x = 0; x < width && score[x] >= thr; x++)
        cols[n++] = x;
    uint32_t lead_end = n; /* lines 0..lead_end-1 are taken */
    for (uint32_t x = width; x-- > lead_end && score[x] >= thr;)
        cols[n++] = x;
    if (n == 0) {
        for (uint32_t x = 0; x < width; x++)
            if (score[x] >= thr)
                cols[n++] = x;
    }
    return n;
}

/* Flags dead, hot and noisy detector pixels by comparison with the median
 * pixel: dead when the gain (air - dark) is below 30 % of the median or not
 * positive, hot when the gain is above twice the median or the offset exceeds
 * the median offset by a fifth of the median gain, noisy when the air or dark
 * noise is above four times the median (plus one count). */
static lc_status flag_bad(const double *dark_m, const double *dark_sd, const double *air_m,
                          const double *air_sd, uint32_t h, uint8_t *det, lc_error *err)
{
    double *tmp = lc__mallocn(h, sizeof(double));
    if (!tmp)
        return lc_error_set(err, LC_ERR_NOMEM, "calibration: out of memory");
    for (uint32_t y = 0; y < h; y++)
        tmp[y] = air_m[y] - dark_m[y];
    double med_g = lc__median(tmp, h);
    memcpy(tmp, dark_m, sizeof(double) * h);
    double med_d = lc__median(tmp, h);
    memcpy(tmp, air_sd, sizeof(double) * h);
    double med_asd = lc__median(tmp, h);
    memcpy(tmp, dark_sd, sizeof(double) * h);
    double med_dsd = lc__median(tmp, h);
    free(tmp);
    for (uint32_t y = 0; y < h; y++) {
        double g = air_m[y] - dark_m[y];
        if (!(g > 0.3 * med_g) || g <= 0)
            det[y] |= LC_DET_DEAD;
        if (g > 2.0 * med_g || dark_m[y] > med_d + 0.2 * med_g)
            det[y] |= LC_DET_HOT;
        if (air_sd[y] > 4.0 * med_asd + 1.0 || dark_sd[y] > 4.0 * med_dsd + 1.0)
            det[y] |= LC_DET_NOISY;
    }
    return LC_OK;
}

/* The calibration constants of one detector row and channel. */
typedef struct row_cal {
    float dark, floor_i, ln_i0;
} row_cal;

/* Attenuation of one detector row in both channels: A = ln(I0) - ln(raw -
 * dark), starved samples (I below the floor) clamped to the floor; flags
 * are set (not or-ed) to LC_PIX_IMPENETRABLE where either channel starved.
 * Returns the sum of the row's A_H (for the fluctuation correction, which
 * so needs no pass of its own). With SSE2 four samples at a time with the
 * same IEEE operations as lc__fast_logf, so A does not depend on the path;
 * the sum uses four partial sums. */
static double row_atten2(const uint16_t *rh, const uint16_t *rl, uint32_t width, row_cal ch,
                         row_cal cl, float *ah, float *al, uint8_t *flags, uint32_t x, double sum)
{
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128(), bias = _mm_set1_epi32(0x3f3504f3);
    const __m128i mant = _mm_set1_epi32(0x007fffff), onei = _mm_set1_epi32(1);
    const __m128 one = _mm_set1_ps(1.0f), two = _mm_set1_ps(2.0f), ln2 = _mm_set1_ps(0.69314718f);
    const __m128 c3 = _mm_set1_ps(0.6666666f), c5 = _mm_set1_ps(0.4f);
    const __m128 c7 = _mm_set1_ps(0.2857143f);
    const __m128 dk[2] = {_mm_set1_ps(ch.dark), _mm_set1_ps(cl.dark)};
    const __m128 fl[2] = {_mm_set1_ps(ch.floor_i), _mm_set1_ps(cl.floor_i)};
    const __m128 l0[2] = {_mm_set1_ps(ch.ln_i0), _mm_set1_ps(cl.ln_i0)};
    const uint16_t *raw[2] = {rh, rl};
    float *out[2] = {ah, al};
    __m128 acc = _mm_setzero_ps();
    for (; x + 4 <= width; x += 4) {
        __m128i starved = zero;
        for (int k = 0; k < 2; k++) {
            __m128i r = _mm_unpacklo_epi16(
                _mm_loadl_epi64((const __m128i *)(const void *)(raw[k] + x)), zero);
            __m128 v = _mm_sub_ps(_mm_cvtepi32_ps(r), dk[k]);
            __m128 st = _mm_cmplt_ps(v, fl[k]);
            v = _mm_or_ps(_mm_and_ps(st, fl[k]), _mm_andnot_ps(st, v));
            starved = _mm_or_si128(starved, _mm_castps_si128(st));
            /* lc__fast_logf */
            __m128i ux = _mm_sub_epi32(_mm_castps_si128(v), bias);
            __m128 e = _mm_cvtepi32_ps(_mm_srai_epi32(ux, 23));
            __m128 m = _mm_castsi128_ps(_mm_add_epi32(_mm_and_si128(ux, mant), bias));
            __m128 sv = _mm_div_ps(_mm_sub_ps(m, one), _mm_add_ps(m, one));
            __m128 s2 = _mm_mul_ps(sv, sv);
            __m128 p = _mm_mul_ps(
                sv,
                _mm_add_ps(
                    two,
                    _mm_mul_ps(
                        s2, _mm_add_ps(c3, _mm_mul_ps(s2, _mm_add_ps(c5, _mm_mul_ps(s2, c7)))))));
            __m128 lg = _mm_add_ps(_mm_mul_ps(e, ln2), p);
            __m128 a = _mm_sub_ps(l0[k], lg);
            _mm_storeu_ps(out[k] + x, a);
            if (k == 0)
                acc = _mm_add_ps(acc, a);
        }
        __m128i f = _mm_and_si128(starved, onei);
        f = _mm_packus_epi16(_mm_packs_epi32(f, zero), zero);
        int32_t f4 = _mm_cvtsi128_si32(f);
        memcpy(flags + x, &f4, 4);
    }
    float part[4];
    _mm_storeu_ps(part, acc);
    sum += (double)part[0] + part[1] + part[2] + part[3];
#endif
    for (; x < width; x++) {
        float v = (float)rh[x] - ch.dark;
        uint8_t sh = v < ch.floor_i;
        v = sh ? ch.floor_i : v;
        ah[x] = ch.ln_i0 - lc__fast_logf(v);
        sum += ah[x];
        float u = (float)rl[x] - cl.dark;
        uint8_t sl = u < cl.floor_i;
        u = sl ? cl.floor_i : u;
        al[x] = cl.ln_i0 - lc__fast_logf(u);
        flags[x] = (uint8_t)(sh | sl);
    }
    return sum;
}

#if LC__HAVE_AVX2_PATH
/* The loop of row_atten2 eight samples at a time with AVX2 (the same IEEE
 * operations per sample, so A is bit-identical; only the order of the row
 * sum differs). Processes the first width & ~7 samples, adds their A_H to
 * *sum and returns how many it did. Called only when the CPU has AVX2. */
__attribute__((target("avx2"))) static uint32_t
row_atten2_avx2(const uint16_t *rh, const uint16_t *rl, uint32_t width, row_cal ch, row_cal cl,
                float *ah, float *al, uint8_t *flags, double *sum)
{
    const __m256i bias = _mm256_set1_epi32(0x3f3504f3), mant = _mm256_set1_epi32(0x007fffff);
    const __m256i onei = _mm256_set1_epi32(1);
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    const __m256 ln2 = _mm256_set1_ps(0.69314718f), c3 = _mm256_set1_ps(0.6666666f);
    const __m256 c5 = _mm256_set1_ps(0.4f), c7 = _mm256_set1_ps(0.2857143f);
    const __m256 dk[2] = {_mm256_set1_ps(ch.dark), _mm256_set1_ps(cl.dark)};
    const __m256 fl[2] = {_mm256_set1_ps(ch.floor_i), _mm256_set1_ps(cl.floor_i)};
    const __m256 l0[2] = {_mm256_set1_ps(ch.ln_i0), _mm256_set1_ps(cl.ln_i0)};
    const uint16_t *raw[2] = {rh, rl};
    float *out[2] = {ah, al};
    __m256 acc = _mm256_setzero_ps();
    uint32_t x = 0;
    for (; x + 8 <= width; x += 8) {
        __m256i starved = _mm256_setzero_si256();
        for (int k = 0; k < 2; k++) {
            __m256i r =
                _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(raw[k] + x)));
            __m256 v = _mm256_sub_ps(_mm256_cvtepi32_ps(r), dk[k]);
            __m256 st = _mm256_cmp_ps(v, fl[k], _CMP_LT_OQ);
            v = _mm256_blendv_ps(v, fl[k], st);
            starved = _mm256_or_si256(starved, _mm256_castps_si256(st));
            __m256i ux = _mm256_sub_epi32(_mm256_castps_si256(v), bias);
            __m256 e = _mm256_cvtepi32_ps(_mm256_srai_epi32(ux, 23));
            __m256 m = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_and_si256(ux, mant), bias));
            __m256 sv = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
            __m256 s2 = _mm256_mul_ps(sv, sv);
            __m256 p = _mm256_mul_ps(
                sv,
                _mm256_add_ps(
                    two,
                    _mm256_mul_ps(
                        s2, _mm256_add_ps(
                                c3, _mm256_mul_ps(s2, _mm256_add_ps(c5, _mm256_mul_ps(s2, c7)))))));
            __m256 lg = _mm256_add_ps(_mm256_mul_ps(e, ln2), p);
            __m256 a = _mm256_sub_ps(l0[k], lg);
            _mm256_storeu_ps(out[k] + x, a);
            if (k == 0)
                acc = _mm256_add_ps(acc, a);
        }
        __m256i f = _mm256_and_si256(starved, onei);
        __m128i f16 = _mm_packs_epi32(_mm256_castsi256_si128(f), _mm256_extracti128_si256(f, 1));
        _mm_storel_epi64((__m128i *)(void *)(flags + x), _mm_packus_epi16(f16, f16));
    }
    float part[8];
    _mm256_storeu_ps(part, acc);
    double s = 0;
    for (int j = 0; j < 8; j++)
        s += part[j];
    *sum += s;
    return x;
}
#endif

/* Replaces bad detector rows by linear interpolation between the nearest good
 * rows above and below (or a copy of the one good neighbour at an edge). */
static void interpolate_bad(lc_atten *at)
{
    uint32_t w = at->width, h = at->height;
    for (uint32_t y = 0; y < h; y++) {
        if (!(at->detector[y] & (LC_DET_DEAD | LC_DET_HOT | LC_DET_NOISY)))
            continue;
        int64_t lo = (int64_t)y - 1, hi = (int64_t)y + 1;
        while (lo >= 0 && (at->detector[lo] & (LC_DET_DEAD | LC_DET_HOT | LC_DET_NOISY)))
            lo--;
        while (hi < (int64_t)h && (at->detector[hi] & (LC_DET_DEAD | LC_DET_HOT | LC_DET_NOISY)))
            hi++;
        if (lo < 0 && hi >= (int64_t)h)
            return; /* nothing good to interpolate from */
        double t = 0;
        if (lo < 0)
            lo = hi;
        else if (hi >= (int64_t)h)
            hi = lo;
        else
            t = (double)((int64_t)y - lo) / (double)(hi - lo);
        for (int k = 0; k < LC_CHANNELS; k++) {
            const float *a0 = at->a[k] + (size_t)lo * w, *a1 = at->a[k] + (size_t)hi * w;
            float *d = at->a[k] + (size_t)y * w;
            for (uint32_t x = 0; x < w; x++)
                d[x] = (float)((1 - t) * a0[x] + t * a1[x]);
        }
        const uint8_t *f0 = at->flags + (size_t)lo * w, *f1 = at->flags + (size_t)hi * w;
        uint8_t *fd = at->flags + (size_t)y * w;
        for (uint32_t x = 0; x < w; x++)
            fd[x] = (uint8_t)(((f0[x] | f1[x]) & LC_PIX_IMPENETRABLE) | LC_PIX_BAD);
    }
}

/* Source fluctuation: detector rows that see only air in every line give,
 * per line, the common offset of A that the source's intensity change caused;
 * it is removed from every row. Candidates are the rows whose mean A_H is
 * within 0.1 of the least attenuated row; f(x) is their median per line; the
 * reference rows are the candidates that follow f within 0.1 in every line
 * (a row that an object crosses departs from it). */
static lc_status fix_fluctuation(lc_atten *at, const double *rowsum, lc_error *err)
{
    uint32_t w = at->width, h = at->height;
    const uint8_t bad = LC_DET_DEAD | LC_DET_HOT | LC_DET_NOISY;
    double *rowmean = lc__calloc(h, sizeof(double));
    double *f = lc__calloc(w, sizeof(double));
    float *ff = lc__calloc(w, sizeof(float));
    double *col = lc__calloc(h, sizeof(double));
    uint8_t *cand = lc__calloc(h, 1);
    lc_status st = LC_OK;
    if (!rowmean || !f || !ff || !col || !cand) {
        st = lc_error_set(err, LC_ERR_NOMEM, "calibration: out of memory");
        goto done;
    }
    double best = INFINITY;
    for (uint32_t y = 0; y < h; y++) {
        double s = rowsum[y];
        rowmean[y] = s / w;
        if (!(at->detector[y] & bad))
            best = fmin(best, rowmean[y]);
    }
    uint32_t ncand = 0;
    for (uint32_t y = 0; y < h; y++)
        if (!(at->detector[y] & bad) && rowmean[y] < best + 0.1)
            cand[y] = 1, ncand++;
    if (ncand < 4)
        goto done;
    /* The per-line median over at most 15 candidates spread across the
     * detector (a robust level; sorting all candidates per line would cost
     * more than the whole calibration). */
    uint32_t pick[15], npick = 0, step = ncand / 15 + 1, seen = 0;
    for (uint32_t y = 0; y < h && npick < 15; y++)
        if (cand[y] && seen++ % step == 0)
            pick[npick++] = y;
    for (uint32_t x = 0; x < w; x++) {
        for (uint32_t i = 0; i < npick; i++)
            col[i] = at->a[LC_HIGH][(size_t)pick[i] * w + x];
        /* insertion sort of <= 15 values */
        for (uint32_t i = 1; i < npick; i++) {
            double v = col[i];
            uint32_t j = i;
            while (j > 0 && col[j - 1] > v) {
                col[j] = col[j - 1];
                j--;
            }
            col[j] = v;
        }
        f[x] = (npick % 2) ? col[npick / 2] : 0.5 * (col[npick / 2 - 1] + col[npick / 2]);
        ff[x] = (float)f[x];
    }
    uint32_t nref = 0;
    for (uint32_t y = 0; y < h; y++) {
        if (!cand[y])
            continue;
        const float *r = at->a[LC_HIGH] + (size_t)y * w;
        /* Count the lines that depart by 0.1 or more: an integer sum the
         * compiler vectorises (a running maximum with a branch on noisy data
         * was a third of the calibration time). */
        uint32_t away = 0;
        for (uint32_t x = 0; x < w; x++) {
            float d = r[x] - ff[x];
            away += (d >= 0.1f) | (d <= -0.1f);
        }
        if (away == 0) {
            at->detector[y] |= LC_DET_REF;
            nref++;
        }
    }
    at->n_ref = nref;
    if (nref < 4)
        goto done;
    for (int k = 0; k < LC_CHANNELS; k++) {
        memset(f, 0, sizeof(double) * w);
        for (uint32_t y = 0; y < h; y++) {
            if (!(at->detector[y] & LC_DET_REF))
                continue;
            const float *r = at->a[k] + (size_t)y * w;
            for (uint32_t x = 0; x < w; x++)
                f[x] += r[x];
        }
        for (uint32_t x = 0; x < w; x++)
            ff[x] = (float)(f[x] / nref);
        for (uint32_t y = 0; y < h; y++) {
            float *r = at->a[k] + (size_t)y * w;
            for (uint32_t x = 0; x < w; x++)
                r[x] -= ff[x];
        }
    }
done:
    free(rowmean);
    free(f);
    free(ff);
    free(col);
    free(cand);
    return st;
}

lc_status lc_atten_compute(const lc_scan *scan, size_t view, const lc_calib_options *opts,
                           lc_atten **out, lc_error *err)
{
    if (!scan || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_atten_compute: NULL argument");
    *out = NULL;
    const lc_view *v = lc_scan_view(scan, view);
    if (!v)
        return lc_error_set(err, LC_ERR_ARG, "view %zu: no such view (the scan has %zu)", view,
                            lc_scan_view_count(scan));
    lc_atten *at = NULL;
    lc_status st = lc_atten_new(lc_view_lines(v), lc_view_pixels(v), &at, err);
    if (st != LC_OK)
        return st;
    st = lc__atten_fill(scan, view, opts, at, err);
    if (st != LC_OK) {
        lc_atten_free(at);
        return st;
    }
    *out = at;
    return LC_OK;
}

lc_status lc__atten_fill(const lc_scan *scan, size_t view, const lc_calib_options *opts,
                         lc_atten *at, lc_error *err)
{
    const lc_view *v = lc_scan_view(scan, view);
    if (!v)
        return lc_error_set(err, LC_ERR_ARG, "view %zu: no such view (the scan has %zu)", view,
                            lc_scan_view_count(scan));
    lc_calib_options defo;
    if (!opts) {
        lc_calib_options_init(&defo);
        opts = &defo;
    }
    if (!(opts->starve_fraction > 0 && opts->starve_fraction < 1) || !(opts->starve_sigma >= 0))
        return lc_error_set(err, LC_ERR_ARG, "calibration: starvation floor out of range");
    uint32_t w = lc_view_lines(v), h = lc_view_pixels(v);
    if (at->width != w || at->height != h)
        return lc_error_set(err, LC_ERR_ARG, "calibration: image size differs from the view's");
    memset(at->detector, 0, h);
    at->n_bad = at->n_ref = 0;
    at->air_estimated = 0;
    lc_status st = LC_OK;
    double *rowsum = NULL;

    uint32_t nd = lc_view_ref_lines(v, LC_REF_DARK), na = lc_view_ref_lines(v, LC_REF_AIR);
    uint32_t ncols_max = w > nd ? w : nd;
    if (na > ncols_max)
        ncols_max = na;
    double *stats = lc__mallocn((size_t)h * 8, sizeof(double));
    uint32_t *cols = lc__mallocn(ncols_max, sizeof(uint32_t));
    size_t wh = w > h ? w : h;
    double *score = lc__mallocn(wh * 2, sizeof(double));
    if (!stats || !cols || !score) {
        st = lc_error_set(err, LC_ERR_NOMEM, "calibration: out of memory");
        goto fail;
    }
    /* stats: dark mean/sd and air mean/sd for both channels. */
    double *dm[2] = {stats, stats + h}, *dsd[2] = {stats + 2 * (size_t)h, stats + 3 * (size_t)h};
    double *am[2] = {stats + 4 * (size_t)h, stats + 5 * (size_t)h};
    double *asd[2] = {stats + 6 * (size_t)h, stats + 7 * (size_t)h};

    for (int k = 0; k < LC_CHANNELS; k++) {
        if (nd > 0) {
            for (uint32_t i = 0; i < nd; i++)
                cols[i] = i;
            ref_stats(lc_view_ref(v, LC_REF_DARK, (lc_channel)k), nd, h, cols, nd, dm[k], dsd[k]);
        } else {
            memset(dm[k], 0, sizeof(double) * h);
            memset(dsd[k], 0, sizeof(double) * h);
        }
    }
    uint32_t nair;
    const uint16_t *air_src[2];
    size_t air_stride;
    if (na > 0) {
        for (uint32_t i = 0; i < na; i++)
            cols[i] = i;
        nair = na;
        air_src[0] = lc_view_ref(v, LC_REF_AIR, LC_HIGH);
        air_src[1] = lc_view_ref(v, LC_REF_AIR, LC_LOW);
        air_stride = na;
    } else {
        nair = find_air_lines(lc_view_plane(v, LC_HIGH), w, h, cols, score, score + wh);
        air_src[0] = lc_view_plane(v, LC_HIGH);
        air_src[1] = lc_view_plane(v, LC_LOW);
        air_stride = w;
        at->air_estimated = 1;
    }
    for (int k = 0; k < LC_CHANNELS; k++)
        ref_stats(air_src[k], air_stride, h, cols, nair, am[k], asd[k]);
    if (at->air_estimated) {
        /* A stated air value overrides bag-free lines that are far too dark
         * (a scan without any bag-free line). */
        uint16_t av = lc_scan_get_info(scan)->air_value;
        double mean_air = 0;
        for (uint32_t y = 0; y < h; y++)
            mean_air += am[LC_HIGH][y];
        mean_air /= h;
        if (av > 0 && mean_air < 0.5 * av) {
            for (int k = 0; k < LC_CHANNELS; k++)
                for (uint32_t y = 0; y < h; y++)
                    am[k][y] = av, asd[k][y] = 0;
        }
    }
    if (opts->fix_bad_pixels) {
        for (int k = 0; k < LC_CHANNELS; k++) {
            st = flag_bad(dm[k], dsd[k], am[k], asd[k], h, at->detector, err);
            if (st != LC_OK)
                goto fail;
        }
    }
    for (int k = 0; k < LC_CHANNELS; k++) {
        uint32_t live = 0;
        for (uint32_t y = 0; y < h; y++)
            live += am[k][y] - dm[k][y] > 0;
        if (live == 0) {
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "view %zu: the %s-energy channel has no signal above dark in any "
                              "detector pixel (a single-energy dump?)",
                              view, lc_channel_name((lc_channel)k));
            goto fail;
        }
    }
    uint32_t ngood = 0;
    for (uint32_t y = 0; y < h; y++) {
        if (at->detector[y] & (LC_DET_DEAD | LC_DET_HOT | LC_DET_NOISY))
            at->n_bad++;
        else
            ngood++;
    }
    if (ngood == 0) {
        st = lc_error_set(err, LC_ERR_FORMAT,
                          "view %zu: no detector pixel has a usable air reference "
                          "(air not above dark)",
                          view);
        goto fail;
    }

    /* Effective photons in air, mean^2 / (quantum variance), median over the
     * good pixels; only meaningful with at least 4 air lines. */
    for (int k = 0; k < LC_CHANNELS; k++) {
        size_t n = 0;
        if (nair >= 4) {
            for (uint32_t y = 0; y < h; y++) {
                if (at->detector[y] & (LC_DET_DEAD | LC_DET_HOT | LC_DET_NOISY))
                    continue;
                double g = am[k][y] - dm[k][y];
                double q = asd[k][y] * asd[k][y] - dsd[k][y] * dsd[k][y];
                if (g > 0 && q > 0)
                    score[n++] = g * g / q;
            }
        }
        at->neff_air[k] = n > 0 ? lc__median(score, n) : 0.0;
        at->a_max[k] = -log(opts->starve_fraction);
    }

    /* Per detector row and channel: dark, starvation floor and ln(gain). */
    row_cal *rc = lc__mallocn((size_t)h * LC_CHANNELS, sizeof(row_cal));
    rowsum = lc__mallocn(h, sizeof(double));
    if (!rc || !rowsum) {
        free(rc);
        st = lc_error_set(err, LC_ERR_NOMEM, "calibration: out of memory");
        goto fail;
    }
    for (int k = 0; k < LC_CHANNELS; k++) {
        for (uint32_t y = 0; y < h; y++) {
            double g = am[k][y] - dm[k][y];
            if (!(g > 0))
                g = 1.0; /* a dead pixel: replaced by interpolation below */
            double fl = fmax(opts->starve_fraction * g, opts->starve_sigma * dsd[k][y]);
            if (fl < 1e-3)
                fl = 1e-3;
            rc[(size_t)y * LC_CHANNELS + (size_t)k] =
                (row_cal){(float)dm[k][y], (float)fl, (float)log(g)};
        }
    }
    const uint16_t *ph = lc_view_plane(v, LC_HIGH), *pl = lc_view_plane(v, LC_LOW);
#if LC__HAVE_AVX2_PATH
    const int avx2 = lc__cpu_avx2();
#endif
    for (uint32_t y = 0; y < h; y++) {
        size_t o = (size_t)y * w;
        row_cal ch = rc[(size_t)y * LC_CHANNELS + LC_HIGH];
        row_cal cl = rc[(size_t)y * LC_CHANNELS + LC_LOW];
        uint32_t x0 = 0;
        double sum = 0;
#if LC__HAVE_AVX2_PATH
        if (avx2)
            x0 = row_atten2_avx2(ph + o, pl + o, w, ch, cl, at->a[LC_HIGH] + o, at->a[LC_LOW] + o,
                                 at->flags + o, &sum);
#endif
        rowsum[y] = row_atten2(ph + o, pl + o, w, ch, cl, at->a[LC_HIGH] + o, at->a[LC_LOW] + o,
                               at->flags + o, x0, sum);
    }
    free(rc);
    if (opts->fix_bad_pixels)
        interpolate_bad(at);
    if (opts->fluctuation) {
        st = fix_fluctuation(at, rowsum, err);
        if (st != LC_OK)
            goto fail;
    }
    free(stats);
    free(cols);
    free(score);
    free(rowsum);
    return LC_OK;
fail:
    free(stats);
    free(cols);
    free(score);
    free(rowsum);
    return st;
}
