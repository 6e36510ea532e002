/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_atr.c: threat recognition CPU time per two-view bag on one thread (thread CPU
 * time, so that other load on the machine does not count),
 * against the time budget of the tunnel (a bag every ~3 s) and, as the
 * baseline measured in the same run, the image chain's calibration of the
 * same two views (lc_atten_compute), which every analysis includes. Bags are
 * corpus bags (lucent/corpus.h, seed 1, half with a threat) simulated here
 * once with noise.
 *
 * usage: bench_atr [N_BAGS] [REPEATS]   (defaults 6 and 3)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lucent/lucent.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int nbags = argc > 1 ? atoi(argv[1]) : 6, reps = argc > 2 ? atoi(argv[2]) : 3;
    if (nbags < 1 || reps < 1) {
        fprintf(stderr, "usage: bench_atr [N_BAGS] [REPEATS]\n");
        return 2;
    }
    lc_error err;
    lc_chain_model m;
    lc_chain_model_init(&m);
    lc_mattable *t = NULL;
    lc_scanner *sc = NULL;
    if (lc_mattable_generate(&m, &t, &err) != LC_OK || lc_scanner_new(&sc, &err) != LC_OK) {
        fprintf(stderr, "bench_atr: %s\n", err.msg);
        return 1;
    }
    lc_corpus_options co;
    lc_corpus_options_init(&co);
    double t_chain = 0, t_atr = 0, worst = 0;
    size_t lines = 0, alarms = 0;
    for (int b = 0; b < nbags; b++) {
        lc_corpus_bag *bag = NULL;
        lc_scene *scene = NULL;
        lc_scan *scan = NULL;
        lc_sim_options so;
        lc_sim_options_init(&so);
        so.seed = (uint64_t)b + 1;
        if (lc_corpus_bag_generate(&co, (size_t)b, &bag, &err) != LC_OK ||
            lc_scene_parse(bag->scene, strlen(bag->scene), bag->name, NULL, &scene, &err) !=
                LC_OK ||
            lc_simulate(scene, sc, &so, &scan, NULL, &err) != LC_OK) {
            fprintf(stderr, "bench_atr: bag %d: %s\n", b, err.msg);
            return 1;
        }
        lines += lc_view_lines(lc_scan_view(scan, 0));
        for (int r = 0; r < reps; r++) {
            double t0 = now_s();
            for (size_t v = 0; v < lc_scan_view_count(scan); v++) {
                lc_atten *a = NULL;
                if (lc_atten_compute(scan, v, NULL, &a, &err) != LC_OK) {
                    fprintf(stderr, "bench_atr: %s\n", err.msg);
                    return 1;
                }
                lc_atten_free(a);
            }
            double t1 = now_s();
            lc_atr_result *res = NULL;
            if (lc_atr_analyze(t, scan, NULL, &res, &err) != LC_OK) {
                fprintf(stderr, "bench_atr: %s\n", err.msg);
                return 1;
            }
            double t2 = now_s();
            t_chain += t1 - t0;
            t_atr += t2 - t1;
            if (t2 - t1 > worst)
                worst = t2 - t1;
            if (r == 0)
                alarms += res->n;
            lc_atr_result_free(res);
        }
        lc_scan_free(scan);
        lc_scene_free(scene);
        lc_corpus_bag_free(bag);
    }
    double n = (double)nbags * reps;
    printf("bench_atr: %d corpus bags x %d runs, %.0f lines per view on average, %zu alarms\n",
           nbags, reps, (double)lines / nbags, alarms);
    printf("  calibration of both views (baseline): %8.3f s per bag\n", t_chain / n);
    printf("  full analysis (incl. calibration):    %8.3f s per bag (worst %.3f s)\n", t_atr / n,
           worst);
    printf("  ratio analysis / calibration:         %8.2f\n", t_atr / t_chain);
    printf("  share of the 3 s tunnel budget:       %8.1f %%\n", 100 * t_atr / n / 3.0);
    lc_scanner_free(sc);
    lc_mattable_free(t);
    return 0;
}
