/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chain_int.h: internals of the image chain (not API): the material table
 * struct shared by the table generator, its file reader and the material map,
 * a vectorisable natural logarithm for the calibration loop, a small random
 * generator for synthetic scans, and order statistics.
 */
#ifndef LUCENT_CHAIN_INT_H
#define LUCENT_CHAIN_INT_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* x86-64 with gcc or clang: the hottest loops also have an AVX2 version
 * (a function with __attribute__((target("avx2")))), chosen at run time, so
 * the library still runs on any x86-64. The AVX2 versions do the same IEEE
 * operations per pixel (no FMA contraction), so results do not depend on
 * the CPU. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__)
#define LC__HAVE_AVX2_PATH 1
#include <immintrin.h>
#include <stdlib.h>
/* 1 when the CPU (and OS) support AVX2 and LC_NO_AVX2 is not set to "1"
 * (the switch lets tests compare both paths, and a site run the portable
 * one). Read once per view, not per pixel. */
static inline int lc__cpu_avx2(void)
{
    const char *off = getenv("LC_NO_AVX2");
    if (off && off[0] == '1')
        return 0;
    return __builtin_cpu_supports("avx2");
}
#else
#define LC__HAVE_AVX2_PATH 0
#endif

#include "lucent/chain.h"

/* The reference curves: for every element Z = LC_TABLE_ZMIN..LC_TABLE_ZMAX,
 * A_L at each A_H of a common grid. The grid is uniform in u = sqrt(A_H):
 * a_high[i] = (i * du)^2, i = 0..n_ah-1, with a_low = R * a_high extrapolated
 * at i = 0 (a_low[z][0] = 0 and r0[z] = the ratio at zero thickness). */
#define LC__NZ           (LC_TABLE_ZMAX - LC_TABLE_ZMIN + 1)
#define LC__TABLE_MAX_AH 4096

struct lc_mattable {
    lc_chain_model model;
    uint32_t n_ah;            /* grid points, 2..LC__TABLE_MAX_AH */
    double du;                /* step of sqrt(A_H) */
    double *ratio;            /* [LC__NZ * n_ah]: R = A_L / A_H on the grid (row per Z);
                                 ratio[z*n_ah + 0] is the zero-thickness limit */
    double fit_rms;           /* residual of the kit fit (0 when generated directly) */
    char source[LC_TEXT_MAX]; /* "simulate", "kit: <name>", "model" */
    /* The fast lookup table of lc_matmap_compute, built with the curves:
     * Zeff * 256 at bin centres u = iu * lut_du (u = sqrt(A_H)) and
     * R = lut_r0 + ir * lut_dr, iu < LC__LUT_NU, ir < LC__LUT_NR. */
    uint16_t *lut;
    float lut_du, lut_r0, lut_dr;
};

#define LC__LUT_NU   192
#define LC__LUT_NR   1024
#define LC__LUT_UMAX 3.0

/* Builds t->lut from the curves; LC_ERR_NOMEM on failure. */
lc_status lc__mattable_build_lut(lc_mattable *t, lc_error *err);

/* Allocates a table with n_ah grid points (ratio zeroed). NULL on failure. */
lc_mattable *lc__mattable_alloc(uint32_t n_ah);

/* Zeff by interpolation in Z between the two curves bracketing ratio r at
 * A_H = a_high (u = sqrt(a_high) must be within the grid: clamped). */
double lc__mattable_zeff_r(const lc_mattable *t, double a_high, double r);

/* Natural log of x > 0 (normal floats), relative error below 1e-6: the
 * exponent from the float's bits and ln of the mantissa in [sqrt(1/2),
 * sqrt(2)) from the atanh series. Branch-free, so loops over it vectorise. */
static inline float lc__fast_logf(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    /* Shift so that the mantissa lands in [sqrt(1/2), sqrt(2)). */
    uint32_t ux = u - 0x3f3504f3u;
    int32_t e = (int32_t)ux >> 23;
    uint32_t um = (ux & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &um, sizeof m);
    float s = (m - 1.0f) / (m + 1.0f);
    float s2 = s * s;
    float p = s * (2.0f + s2 * (0.6666666f + s2 * (0.4f + s2 * 0.2857143f)));
    return (float)e * 0.69314718f + p;
}

/* The work of lc_atten_compute, lc_matmap_compute and lc_render_colour into
 * objects the caller already has, of the right size (so a long-running
 * caller, lc_chain, reuses its buffers instead of faulting in new pages for
 * every bag). On failure the object's contents are unspecified. */
lc_status lc__atten_fill(const lc_scan *scan, size_t view, const lc_calib_options *opts,
                         lc_atten *at, lc_error *err);
lc_status lc__matmap_alloc(uint32_t w, uint32_t h, lc_matmap **out, lc_error *err);
lc_status lc__matmap_fill(const lc_mattable *t, const lc_atten *a, const lc_matmap_options *opts,
                          lc_matmap *m, lc_error *err);
lc_status lc__render_colour_into(const lc_atten *a, const lc_matmap *m, double lo, double hi,
                                 unsigned show, lc_rgb *img, lc_error *err);

/* The window, coloured classes and material map (NULL for black-and-white)
 * of a rendering mode. */
lc_status lc__render_params(const lc_render_options *opts, double *lo, double *hi, unsigned *show,
                            const lc_matmap **m, lc_error *err);

/* max(v, lo) then min(.., hi) without a branch (a NaN v gives lo). Noisy
 * data around a clamp (attenuation of air is +-0.01 around 0) make a branch
 * mispredict half the time: measured 3x slower colour and lookup loops.
 * gcc turns the plain C version into branches, so x86 uses SSE directly. */
static inline float lc__clampf(float v, float lo, float hi)
{
#if defined(__SSE2__)
    return _mm_cvtss_f32(_mm_min_ss(_mm_max_ss(_mm_set_ss(v), _mm_set_ss(lo)), _mm_set_ss(hi)));
#else
    v = v > lo ? v : lo;
    return v < hi ? v : hi;
#endif
}

/* splitmix64: a small, good-quality generator for synthetic scans. */
typedef struct lc__rng {
    uint64_t s;
} lc__rng;

static inline uint64_t lc__rng_next(lc__rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static inline double lc__rng_unif(lc__rng *r)
{
    return ((double)(lc__rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Box-Muller, one value per call). */
double lc__rng_normal(lc__rng *r);

/* Poisson with mean lambda >= 0 (exact below 30, normal approximation above). */
double lc__rng_poisson(lc__rng *r, double lambda);

/* Median of v[0..n-1] (n >= 1); reorders v. */
double lc__median(double *v, size_t n);

#endif
