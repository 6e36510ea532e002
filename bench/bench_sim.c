/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_sim.c: simulation rate of a realistic two-view bag (about 40 objects,
 * one of them a triangle mesh, noise on) in the default scanner, as a multiple
 * of the scanner's real-time line rate (belt speed / line pitch), on one
 * thread and on all cores. Also prints the rate of an empty tunnel of the same
 * length measured in the same run (the cost of noise and the ADC alone), so
 * the ratio shows what the ray casting and the signal model add.
 *
 * usage: bench_sim [SCENE.json]   (default: a built-in 40-object suitcase)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lucent/lucent.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A closed UV sphere of radius r as binary STL (a "hair dryer" body part). */
static int write_sphere_stl(const char *path, double r, int nu, int nv)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    unsigned char hdr[80] = {0};
    fwrite(hdr, 1, 80, f);
    uint32_t n = (uint32_t)(2 * nu * (nv - 1));
    unsigned char nb[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                           (unsigned char)(n >> 24)};
    fwrite(nb, 1, 4, f);
    const double pi = 3.14159265358979323846;
    for (int j = 0; j < nv; j++)
        for (int i = 0; i < nu; i++) {
            double t0 = pi * j / nv, t1 = pi * (j + 1) / nv;
            double p0 = 2 * pi * i / nu, p1 = 2 * pi * (i + 1) / nu;
            double v[4][3] = {
                {r * sin(t0) * cos(p0), r * sin(t0) * sin(p0), r * cos(t0)},
                {r * sin(t1) * cos(p0), r * sin(t1) * sin(p0), r * cos(t1)},
                {r * sin(t1) * cos(p1), r * sin(t1) * sin(p1), r * cos(t1)},
                {r * sin(t0) * cos(p1), r * sin(t0) * sin(p1), r * cos(t0)},
            };
            int tris[2][3] = {{0, 1, 2}, {0, 2, 3}};
            for (int k = 0; k < 2; k++) {
                if ((j == 0 && k == 1) || (j == nv - 1 && k == 0))
                    continue; /* degenerate at the poles */
                float rec[12] = {0};
                for (int a = 0; a < 3; a++)
                    for (int c = 0; c < 3; c++)
                        rec[3 + a * 3 + c] = (float)v[tris[k][a]][c];
                fwrite(rec, 4, 12, f);
                unsigned char attr[2] = {0, 0};
                fwrite(attr, 1, 2, f);
            }
        }
    fclose(f);
    return 0;
}

/* Appends one object to the JSON text. */
static void obj(char *buf, size_t cap, const char *fmt, double a, double b, double c)
{
    size_t n = strlen(buf);
    char tmp[512];
    snprintf(tmp, sizeof tmp, fmt, a, b, c);
    snprintf(buf + n, cap - n, "%s%s", buf[n - 1] == '[' ? "" : ",", tmp);
}

/* A 40-object suitcase: shell, clothing, laptop, bottles, shoes, books,
 * cables, toiletries, a knife and a meshed hair dryer. */
static void builtin_bag(char *buf, size_t cap)
{
    snprintf(buf, cap, "{\"lucent_scene\":1,\"name\":\"bench suitcase\",\"objects\":[");
    obj(buf, cap,
        "{\"shape\":\"box\",\"size\":[700,420,240],\"wall\":3,\"position\":[%g,%g,%g],"
        "\"material\":\"polypropylene\"}",
        400, 0, 120);
    for (int i = 0; i < 8; i++)
        obj(buf, cap,
            "{\"shape\":\"box\",\"size\":[280,180,30],\"position\":[%g,%g,%g],"
            "\"material\":\"cotton_clothing\"}",
            220 + 330 * (i % 2), i < 4 ? -100 : 100, 20 + 32 * (i % 4));
    obj(buf, cap,
        "{\"shape\":\"box\",\"size\":[320,225,10],\"wall\":1.2,\"position\":[%g,%g,%g],"
        "\"material\":\"aluminium\"}",
        400, 0, 150);
    obj(buf, cap,
        "{\"shape\":\"box\",\"size\":[200,75,6],\"position\":[%g,%g,%g],"
        "\"material\":\"lithium_ion_cell\"}",
        400, -60, 150);
    obj(buf, cap,
        "{\"shape\":\"box\",\"size\":[300,205,2],\"position\":[%g,%g,%g],\"material\":\"glass\"}",
        400, 0, 158);
    for (int i = 0; i < 3; i++) {
        obj(buf, cap,
            "{\"shape\":\"cylinder\",\"radius\":35,\"height\":220,\"wall\":0.4,"
            "\"rotation\":[0,90,0],\"position\":[%g,%g,%g],\"material\":\"pet\"}",
            250 + 150 * i, 150, 200);
        obj(buf, cap,
            "{\"shape\":\"cylinder\",\"radius\":34.5,\"height\":200,\"rotation\":[0,90,0],"
            "\"position\":[%g,%g,%g],\"material\":\"water\"}",
            250 + 150 * i, 150, 200);
    }
    for (int i = 0; i < 2; i++)
        obj(buf, cap,
            "{\"shape\":\"box\",\"size\":[280,100,25],\"position\":[%g,%g,%g],"
            "\"material\":\"leather\"}",
            150 + 500 * i, -160, 180);
    for (int i = 0; i < 3; i++)
        obj(buf, cap,
            "{\"shape\":\"box\",\"size\":[210,150,25],\"position\":[%g,%g,%g],"
            "\"material\":\"cellulose\"}",
            300 + 220 * i, 40, 210);
    for (int i = 0; i < 6; i++)
        obj(buf, cap,
            "{\"shape\":\"cylinder\",\"radius\":2,\"height\":400,\"rotation\":[0,90,%g],"
            "\"position\":[%g,%g,195],\"material\":\"copper\"}",
            15.0 * i, 400, -150 + 12 * i);
    for (int i = 0; i < 6; i++)
        obj(buf, cap,
            "{\"shape\":\"ellipsoid\",\"radii\":[40,25,20],\"rotation\":[0,0,%g],"
            "\"position\":[%g,%g,60],\"material\":\"water\"}",
            30.0 * i, 150 + 90 * i, 0);
    obj(buf, cap,
        "{\"shape\":\"box\",\"size\":[200,25,2],\"rotation\":[0,0,%g],\"position\":[%g,%g,100],"
        "\"material\":\"stainless_steel\",\"threat\":\"weapon\"}",
        30, 500, -30);
    obj(buf, cap,
        "{\"shape\":\"box\",\"size\":[150,100,30],\"position\":[%g,%g,%g],\"material\":\"rdx\","
        "\"threat\":\"explosive\"}",
        600, 80, 230 - 200);
    obj(buf, cap,
        "{\"shape\":\"sphere\",\"radius\":30,\"position\":[%g,%g,%g],\"material\":\"chocolate\"}",
        650, -100, 90);
    obj(buf, cap,
        "{\"shape\":\"mesh\",\"file\":\"sphere.stl\",\"position\":[%g,%g,%g],"
        "\"material\":\"pmma\"}",
        180, 100, 120);
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "]}");
}

/* Best of three runs: wall time, and the process CPU time of that run (on a
 * loaded machine the single-thread CPU time is the fairer measure). */
static double run(const lc_scene *scene, const lc_scanner *sc, int threads, uint32_t *lines,
                  double *cpu)
{
    double best = 1e300;
    for (int rep = 0; rep < 3; rep++) {
        lc_sim_options o;
        lc_sim_options_init(&o);
        o.threads = threads;
        o.seed = 5;
        lc_scan *scan = NULL;
        lc_error err;
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (lc_simulate(scene, sc, &o, &scan, NULL, &err) != LC_OK) {
            fprintf(stderr, "bench_sim: %s\n", err.msg);
            exit(1);
        }
        double t = clock_s(CLOCK_MONOTONIC) - t0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        *lines = lc_view_lines(lc_scan_view(scan, 0));
        lc_scan_free(scan);
        if (t < best) {
            best = t;
            *cpu = c;
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/lc_bench_sim_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[512], stl[512];
    snprintf(stl, sizeof stl, "%s/sphere.stl", dir);
    snprintf(path, sizeof path, "%s/bag.json", dir);
    if (write_sphere_stl(stl, 45, 48, 24) != 0)
        return 1;
    lc_error err;
    lc_scene *scene = NULL, *empty = NULL;
    static char json[65536];
    if (argc > 1) {
        if (lc_scene_load(argv[1], &scene, &err) != LC_OK) {
            fprintf(stderr, "bench_sim: %s\n", err.msg);
            return 1;
        }
    } else {
        builtin_bag(json, sizeof json);
        if (lc_scene_parse(json, strlen(json), "bench", dir, &scene, &err) != LC_OK) {
            fprintf(stderr, "bench_sim: %s\n", err.msg);
            return 1;
        }
    }
    /* Baseline: the same bag length with nothing in the beam (one object
     * far outside the tunnel spanning the same x range). */
    double lo[3], hi[3], xlo = 1e300, xhi = -1e300;
    for (size_t i = 0; i < lc_scene_object_count(scene); i++) {
        lc_scene_object_bounds(scene, i, lo, hi);
        xlo = fmin(xlo, lo[0]);
        xhi = fmax(xhi, hi[0]);
    }
    char ej[512];
    snprintf(ej, sizeof ej,
             "{\"lucent_scene\":1,\"objects\":[{\"shape\":\"box\",\"size\":[%.3f,10,10],"
             "\"position\":[%.3f,5000,5000],\"material\":\"water\"}]}",
             xhi - xlo, 0.5 * (xlo + xhi));
    if (lc_scene_parse(ej, strlen(ej), "empty", dir, &empty, &err) != LC_OK) {
        fprintf(stderr, "bench_sim: %s\n", err.msg);
        return 1;
    }
    lc_scanner *sc = NULL;
    if (lc_scanner_new(&sc, &err) != LC_OK)
        return 1;
    /* Default scanner: belt 200 mm/s, 1.6 mm per line. */
    const double realtime_lines_s = 200.0 / 1.6;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t lines = 0, elines = 0;
    printf("bench_sim: %zu objects, 2 views x %u pixels, real time = %.0f lines/s\n",
           lc_scene_object_count(scene), lc_scanner_pixels(sc, 0), realtime_lines_s);
    double ce1, c1, cn;
    double te1 = run(empty, sc, 1, &elines, &ce1);
    double t1 = run(scene, sc, 1, &lines, &c1);
    double tn = run(scene, sc, 0, &lines, &cn);
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1)
            load = 0;
        fclose(lf);
    }
    printf("  (load average %.2f on %ld cores; single-thread rates from CPU time)\n", load, cpus);
    printf("  empty tunnel, 1 thread: %5u lines, %.3f s CPU (%.3f s wall) = %6.1fx real time\n",
           elines, ce1, te1, elines / ce1 / realtime_lines_s);
    printf("  bag, 1 thread         : %5u lines, %.3f s CPU (%.3f s wall) = %6.1fx real time, "
           "%.2fx the empty tunnel's time\n",
           lines, c1, t1, lines / c1 / realtime_lines_s, c1 / ce1);
    printf("  bag, all %ld threads   : %5u lines, %.3f s wall (%.3f s CPU) = %6.1fx real time, "
           "%.2fx the 1-thread wall time\n",
           cpus, lines, tn, cn, lines / tn / realtime_lines_s, t1 / tn);
    lc_scanner_free(sc);
    lc_scene_free(scene);
    lc_scene_free(empty);
    remove(stl);
    remove(dir);
    return 0;
}
