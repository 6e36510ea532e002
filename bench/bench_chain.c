/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_chain.c: speed of the image chain (issue 4). A synthetic two-view
 * scan (2 x 2400 lines x 640 pixels, dark and air lines, slabs of several
 * materials) runs through calibration -> Zeff and class -> colour image,
 * single thread, and is compared in the same run with (a) memcpy of the same
 * raw bytes and (b) the same arithmetic as a libvips pipeline (when built
 * with Debian's libvips-dev; libvips limited to one thread). Prints pixels per
 * second and the ratios. Never a pass/fail test.
 *
 * usage: bench_chain [REPEATS]   (default 5; the best run counts)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain_int.h"
#include "lucent/lucent.h"

#ifdef LC_HAVE_VIPS
#include <vips/vips.h>
#endif

#define LINES  2400
#define PIXELS 640
#define VIEWS  2

/* Process CPU time: the machine may be shared, and CPU time counts only the
 * work done (all threads: libvips runs its one worker beside the caller). */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what, const lc_error *err)
{
    fprintf(stderr, "bench_chain: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

/* CPU time of the stages in the last run_chain call. */
static double stage_ms[3];

static double now(void);

/* The whole chain for every view; returns a checksum so nothing is elided. */
static unsigned run_chain(const lc_scan *scan, const lc_mattable *t)
{
    memset(stage_ms, 0, sizeof stage_ms);
    unsigned sum = 0;
    lc_error err;
    for (size_t v = 0; v < lc_scan_view_count(scan); v++) {
        lc_atten *a = NULL;
        lc_matmap *m = NULL;
        lc_rgb *img = NULL;
        double t0 = now();
        if (lc_atten_compute(scan, v, NULL, &a, &err) != LC_OK)
            die("calibration", &err);
        double t1 = now();
        if (lc_matmap_compute(t, a, NULL, &m, &err) != LC_OK)
            die("material map", &err);
        double t2 = now();
        if (lc_render_colour(a, m, 0, 7, 31, &img, &err) != LC_OK)
            die("render", &err);
        double t3 = now();
        stage_ms[0] += (t1 - t0) * 1e3;
        stage_ms[1] += (t2 - t1) * 1e3;
        stage_ms[2] += (t3 - t2) * 1e3;
        sum += img->data[(size_t)img->width * img->height * 3 / 2];
        lc_rgb_free(img);
        lc_matmap_free(m);
        lc_atten_free(a);
    }
    return sum;
}

/* The same through an lc_chain: buffers reused from view to view. */
static unsigned run_chain_obj(lc_chain *c, const lc_scan *scan)
{
    unsigned sum = 0;
    lc_error err;
    for (size_t v = 0; v < lc_scan_view_count(scan); v++) {
        if (lc_chain_run(c, scan, v, &err) != LC_OK)
            die("chain", &err);
        const lc_rgb *img = lc_chain_rgb(c);
        sum += img->data[(size_t)img->width * img->height * 3 / 2];
    }
    return sum;
}

#ifdef LC_HAVE_VIPS
/* The same arithmetic in libvips: per-row dark subtraction and gain (column
 * images replicated along the lines), log, per-line fluctuation (a row image
 * replicated down), 3x3 box smoothing, the (sqrt A_H, R) index into a Zeff
 * lookup table (coarsened to 64 x 1024 entries: vips_maplut takes 16-bit
 * indices), class by thresholds, and the colour through a class x brightness
 * table. The per-pixel statistics of the reference lines are taken from the
 * chain (they are a tiny part of the work). */
static VipsImage *col_image(const double *v, int h, int w)
{
    VipsImage *c =
        vips_image_new_from_memory_copy(v, sizeof(double) * (size_t)h, 1, h, 1, VIPS_FORMAT_DOUBLE);
    VipsImage *r = NULL;
    if (vips_replicate(c, &r, w, 1, NULL))
        vips_error_exit("replicate");
    g_object_unref(c);
    return r;
}

static unsigned run_vips(const lc_scan *scan, const lc_mattable *t, const uint16_t *zlut,
                         const uint8_t *clut)
{
    unsigned sum = 0;
    VipsImage *zl =
        vips_image_new_from_memory_copy(zlut, 65536 * 2, 65536, 1, 1, VIPS_FORMAT_USHORT);
    VipsImage *cl =
        vips_image_new_from_memory_copy(clut, 65536 * 3, 65536, 1, 3, VIPS_FORMAT_UCHAR);
    for (size_t v = 0; v < lc_scan_view_count(scan); v++) {
        const lc_view *view = lc_scan_view(scan, v);
        int w = (int)lc_view_lines(view), h = (int)lc_view_pixels(view);
        VipsObject *ctx = VIPS_OBJECT(vips_image_new());
        VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 64);
        int nd = (int)lc_view_ref_lines(view, LC_REF_DARK),
            na = (int)lc_view_ref_lines(view, LC_REF_AIR);
        VipsImage *A[2];
        for (int k = 0; k < 2; k++) {
            double *dark = calloc((size_t)h, sizeof(double)),
                   *lg = calloc((size_t)h, sizeof(double));
            const uint16_t *dp = lc_view_ref(view, LC_REF_DARK, (lc_channel)k);
            const uint16_t *ap = lc_view_ref(view, LC_REF_AIR, (lc_channel)k);
            for (int y = 0; y < h; y++) {
                double d = 0, a = 0;
                for (int i = 0; i < nd; i++)
                    d += dp[y * nd + i];
                for (int i = 0; i < na; i++)
                    a += ap[y * na + i];
                dark[y] = d / nd;
                lg[y] = log(a / na - dark[y]);
            }
            int b = k * 12;
            x[b] = vips_image_new_from_memory(lc_view_plane(view, (lc_channel)k),
                                              sizeof(uint16_t) * (size_t)w * h, w, h, 1,
                                              VIPS_FORMAT_USHORT);
            x[b + 1] = col_image(dark, h, w);
            x[b + 2] = col_image(lg, h, w);
            free(dark);
            free(lg);
            /* A = ln(I0) - ln(max(raw - dark, floor)) */
            if (vips_subtract(x[b], x[b + 1], &x[b + 3], NULL) ||
                vips_cast(x[b + 3], &x[b + 4], VIPS_FORMAT_FLOAT, NULL) ||
                vips_relational_const1(x[b + 4], &x[b + 5], VIPS_OPERATION_RELATIONAL_MORE, 1.0,
                                       NULL) ||
                !(x[b + 10] = vips_image_new_from_image1(x[b + 4], 1.0)) ||
                vips_ifthenelse(x[b + 5], x[b + 4], x[b + 10], &x[b + 6], NULL) ||
                vips_log(x[b + 6], &x[b + 7], NULL) ||
                vips_subtract(x[b + 2], x[b + 7], &x[b + 8], NULL) ||
                vips_cast(x[b + 8], &x[b + 9], VIPS_FORMAT_FLOAT, NULL))
                vips_error_exit("calibration");
            A[k] = x[b + 9];
        }
        /* 3x3 box smoothing, separable. */
        VipsImage *mask = vips_image_new_matrixv(3, 1, 1.0 / 3, 1.0 / 3, 1.0 / 3);
        VipsImage *S[2];
        for (int k = 0; k < 2; k++) {
            if (vips_convsep(A[k], &x[30 + k], mask, "precision", VIPS_PRECISION_FLOAT, NULL))
                vips_error_exit("smooth");
            S[k] = x[30 + k];
        }
        g_object_unref(mask);
        /* index = round(sqrt(A_H) / du * 64/192) * 1024 + round((R - r0) / dr) */
        double su = 1.0 / t->lut_du / 3.0;
        if (vips_math2_const1(S[0], &x[32], VIPS_OPERATION_MATH2_POW, 0.5, NULL) ||
            vips_linear1(x[32], &x[33], su, 0.5, NULL) || vips_divide(S[1], S[0], &x[34], NULL) ||
            vips_linear1(x[34], &x[35], 1.0 / t->lut_dr, 0.5 - t->lut_r0 / t->lut_dr, NULL) ||
            vips_cast(x[33], &x[36], VIPS_FORMAT_USHORT, NULL) ||
            vips_cast(x[35], &x[37], VIPS_FORMAT_USHORT, NULL) ||
            vips_linear1(x[36], &x[39], 1024, 0, NULL) || vips_add(x[39], x[37], &x[40], NULL) ||
            vips_cast(x[40], &x[41], VIPS_FORMAT_USHORT, NULL) ||
            vips_maplut(x[41], &x[42], zl, NULL))
            vips_error_exit("zeff");
        /* class = 1 + (Z >= 10) + (Z >= 18) from Zeff*256; colour index
         * class * 256 + brightness level. */
        if (vips_relational_const1(x[42], &x[43], VIPS_OPERATION_RELATIONAL_MOREEQ, 2560, NULL) ||
            vips_relational_const1(x[42], &x[44], VIPS_OPERATION_RELATIONAL_MOREEQ, 4608, NULL) ||
            vips_add(x[43], x[44], &x[45], NULL) || /* 0, 255, 510 */
            vips_linear1(x[45], &x[46], 256.0 / 255.0, 256, NULL) ||
            vips_linear1(A[0], &x[47], 256.0 / 7.0, 0, NULL) ||
            vips_add(x[46], x[47], &x[48], NULL) ||
            vips_cast(x[48], &x[49], VIPS_FORMAT_USHORT, NULL) ||
            vips_maplut(x[49], &x[50], cl, NULL))
            vips_error_exit("colour");
        VipsImage *mem = vips_image_new_memory();
        if (vips_image_write(x[50], mem))
            vips_error_exit("write");
        size_t len;
        const unsigned char *p = vips_image_get_data(mem);
        len = VIPS_IMAGE_SIZEOF_IMAGE(mem);
        sum += p[len / 2];
        g_object_unref(mem);
        g_object_unref(ctx);
    }
    g_object_unref(zl);
    g_object_unref(cl);
    return sum;
}
#endif

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1)
        reps = 1;
    lc_error err;
    lc_matlib *lib = NULL;
    lc_chain_model cm;
    lc_chain_model_init(&cm);
    lc_mattable *t = NULL;
    if (lc_matlib_new(&lib, &err) != LC_OK || lc_mattable_generate(&cm, &t, &err) != LC_OK)
        die("setup", &err);
    /* A bag-like scan: slabs of several materials in both views. */
    const char *names[] = {"water", "polyethylene", "aluminium", "steel", "glass", "copper"};
    lc_synth_region rg[VIEWS * 6];
    size_t nr = 0;
    for (uint32_t v = 0; v < VIEWS; v++)
        for (uint32_t i = 0; i < 6; i++) {
            lc_synth_region *r = &rg[nr++];
            memset(r, 0, sizeof *r);
            r->view = v;
            r->rect[0] = 200 + i * 350;
            r->rect[1] = 40 + (i % 3) * 180;
            r->rect[2] = r->rect[0] + 300;
            r->rect[3] = r->rect[1] + 160;
            r->n = 1;
            if (lc_matlib_get(lib, names[i], &r->mats[0], &err) != LC_OK)
                die("material", &err);
            r->areal_g_cm2[0] = 2.0 + 3.0 * i;
        }
    lc_synth_options so;
    lc_synth_options_init(&so);
    lc_scan *scan = NULL;
    if (lc_synth_scan(&cm, VIEWS, LINES, PIXELS, rg, nr, &so, &scan, &err) != LC_OK)
        die("synthetic scan", &err);
    double npx = (double)VIEWS * LINES * PIXELS;
    size_t bytes = (size_t)VIEWS * LINES * PIXELS * 2 * sizeof(uint16_t);
    unsigned char *src = malloc(bytes), *dst = malloc(bytes);
    if (!src || !dst)
        die("memory", NULL);
    for (size_t v = 0; v < VIEWS; v++)
        for (int k = 0; k < 2; k++)
            memcpy(src + (v * 2 + (size_t)k) * LINES * PIXELS * 2,
                   lc_view_plane(lc_scan_view(scan, v), (lc_channel)k), (size_t)LINES * PIXELS * 2);

    double best_copy = 1e9, best_chain = 1e9, best_vips = 1e9, best_stage[3] = {0};
    double best_obj = 1e9;
    lc_chain *chain = NULL;
    if (lc_chain_new(t, NULL, NULL, NULL, &chain, &err) != LC_OK)
        die("chain", &err);
    unsigned sink = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        memcpy(dst, src, bytes);
        sink += dst[bytes / 3];
        double t1 = now();
        sink += run_chain(scan, t);
        double t2 = now();
        best_copy = fmin(best_copy, t1 - t0);
        if (t2 - t1 < best_chain)
            memcpy(best_stage, stage_ms, sizeof best_stage);
        best_chain = fmin(best_chain, t2 - t1);
        sink += run_chain_obj(chain, scan);
        best_obj = fmin(best_obj, now() - t2);
    }
#ifdef LC_HAVE_VIPS
    if (VIPS_INIT(argv[0]))
        vips_error_exit("init");
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    /* Zeff LUT coarsened to 64 u-bins x 1024 R-bins; colour LUT class x 256. */
    uint16_t *zlut = calloc(65536, sizeof(uint16_t));
    uint8_t *clut = calloc(65536, 3);
    for (int iu = 0; iu < 64; iu++)
        for (int ir = 0; ir < 1024; ir++)
            zlut[iu * 1024 + ir] = t->lut[(size_t)(iu * 3) * LC__LUT_NR + (size_t)ir];
    for (int c = 0; c < 256; c++)
        for (int q = 0; q < 256; q++)
            for (int k = 0; k < 3; k++)
                clut[(c * 256 + q) * 3 + k] = (uint8_t)(c * 40 + 255 - q);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        sink += run_vips(scan, t, zlut, clut);
        best_vips = fmin(best_vips, now() - t0);
    }
    free(zlut);
    free(clut);
#endif
    printf("image chain benchmark: %d views x %d lines x %d pixels = %.2f Mpx, best of %d "
           "(process CPU time)\n",
           VIEWS, LINES, PIXELS, npx / 1e6, reps);
#if LC__HAVE_AVX2_PATH
    printf("  AVX2 paths of the chain: %s\n", lc__cpu_avx2() ? "used" : "not available (SSE2)");
#else
    printf("  AVX2 paths of the chain: not built\n");
#endif
    printf("  memcpy of the raw bytes                    %8.2f ms  %8.1f Mpx/s\n", best_copy * 1e3,
           npx / best_copy / 1e6);
    printf("  lucent lc_chain (1 thread, buffers reused) %8.2f ms  %8.1f Mpx/s  (%.1fx memcpy "
           "time)\n",
           best_obj * 1e3, npx / best_obj / 1e6, best_obj / best_copy);
    printf("  lucent separate calls (fresh buffers)      %8.2f ms  %8.1f Mpx/s\n", best_chain * 1e3,
           npx / best_chain / 1e6);
    printf("    calibration + attenuation %.2f ms, Zeff/class/confidence %.2f ms, colour %.2f ms\n",
           best_stage[0], best_stage[1], best_stage[2]);
#ifdef LC_HAVE_VIPS
    printf("  libvips pipeline (1 thread)                %8.2f ms  %8.1f Mpx/s  (lc_chain is %.2fx "
           "faster; separate calls %.2fx)\n",
           best_vips * 1e3, npx / best_vips / 1e6, best_vips / best_obj, best_vips / best_chain);
#else
    (void)best_vips;
    printf("  libvips: not built (install libvips-dev and reconfigure)\n");
#endif
    printf("(checksum %u)\n", sink);
    free(src);
    free(dst);
    lc_chain_free(chain);
    lc_scan_free(scan);
    lc_mattable_free(t);
    lc_matlib_free(lib);
    return 0;
}
