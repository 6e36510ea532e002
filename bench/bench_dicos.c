/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_dicos.c: DICOS write and read throughput for a 2-view dual-energy scan,
 * as ratios to moving the same sample bytes in the same run: memcpy, and a
 * plain file write (open, write, fsync, close; one file per plane, as lucent
 * writes one file per view and energy) and read. Each figure is the best of
 * several repetitions. Usage: bench_dicos [LINES [PIXELS [REPS]]]
 * (defaults 1500 lines, 768 and 640 pixels for the two views, 7 repetitions).
 * Prints, never fails: a benchmark, not a test.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lucent/lucent.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_plain(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    int rc = fsync(fd);
    return close(fd) | rc;
}

static int read_plain(const char *path, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd);
}

int main(int argc, char **argv)
{
    long lines = argc > 1 ? atol(argv[1]) : 1500;
    long pix0 = argc > 2 ? atol(argv[2]) : 768;
    int reps = argc > 3 ? atoi(argv[3]) : 7;
    long pix[2] = {pix0, pix0 * 5 / 6};
    if (lines < 1 || lines > LC_SCAN_MAX_LINES || pix0 < 2 || pix0 > LC_SCAN_MAX_PIXELS ||
        reps < 1) {
        fprintf(stderr, "usage: bench_dicos [LINES [PIXELS [REPS]]]\n");
        return 2;
    }
    lc_error err;
    lc_scan *scan;
    if (lc_scan_new(NULL, &scan, &err) != LC_OK)
        return 1;
    strcpy(lc_scan_info_mut(scan)->scan_id, "BENCH");
    size_t total = 0;
    for (int v = 0; v < 2; v++) {
        lc_view *view;
        if (lc_scan_add_view(scan, NULL, (uint32_t)lines, (uint32_t)pix[v], &view, &err) != LC_OK) {
            fprintf(stderr, "bench_dicos: %s\n", err.msg);
            return 1;
        }
        for (int c = 0; c < 2; c++) {
            uint16_t *p = lc_view_plane(view, (lc_channel)c);
            size_t n = (size_t)lines * (size_t)pix[v];
            for (size_t i = 0; i < n; i++)
                p[i] = (uint16_t)((i * 2654435761u) >> 18);
            total += n * 2;
        }
    }
    char dir[] = "/tmp/lc_bench_dicos_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *dst = malloc(total);
    if (!dst)
        return 1;
    double best_memcpy = 1e9, best_fw = 1e9, best_fr = 1e9, best_dw = 1e9, best_dr = 1e9,
           best_frf = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        size_t off = 0;
        for (int v = 0; v < 2; v++)
            for (int c = 0; c < 2; c++) {
                size_t n = (size_t)lines * (size_t)pix[v] * 2;
                memcpy(dst + off, lc_view_plane(lc_scan_view(scan, (size_t)v), (lc_channel)c), n);
                off += n;
            }
        double t1 = now_s();
        for (int v = 0; v < 2; v++)
            for (int c = 0; c < 2; c++) {
                char path[128];
                snprintf(path, sizeof path, "%s/plain_%d_%d.bin", dir, v, c);
                if (write_plain(path, lc_view_plane(lc_scan_view(scan, (size_t)v), (lc_channel)c),
                                (size_t)lines * (size_t)pix[v] * 2) != 0)
                    return 1;
            }
        double t2 = now_s();
        off = 0;
        for (int v = 0; v < 2; v++)
            for (int c = 0; c < 2; c++) {
                char path[128];
                size_t n = (size_t)lines * (size_t)pix[v] * 2;
                snprintf(path, sizeof path, "%s/plain_%d_%d.bin", dir, v, c);
                if (read_plain(path, dst + off, n) != 0)
                    return 1;
                off += n;
            }
        double t3 = now_s();
        /* Plain read into fresh buffers, as a reader that returns new objects must. */
        for (int v = 0; v < 2; v++)
            for (int c = 0; c < 2; c++) {
                char path[128];
                size_t n = (size_t)lines * (size_t)pix[v] * 2;
                snprintf(path, sizeof path, "%s/plain_%d_%d.bin", dir, v, c);
                char *fresh = malloc(n);
                if (!fresh || read_plain(path, fresh, n) != 0)
                    return 1;
                free(fresh);
            }
        double t3b = now_s();
        best_frf = t3b - t3 < best_frf ? t3b - t3 : best_frf;
        t3 = t3b;
        if (lc_dicos_write_scan(scan, dir, &err) != LC_OK) {
            fprintf(stderr, "bench_dicos: %s\n", err.msg);
            return 1;
        }
        double t4 = now_s();
        lc_scan *back;
        if (lc_dicos_read_scan(dir, &back, &err) != LC_OK) {
            fprintf(stderr, "bench_dicos: %s\n", err.msg);
            return 1;
        }
        double t5 = now_s();
        if (memcmp(lc_view_plane(lc_scan_view(back, 1), LC_LOW),
                   lc_view_plane(lc_scan_view(scan, 1), LC_LOW),
                   (size_t)lines * (size_t)pix[1] * 2) != 0) {
            fprintf(stderr, "bench_dicos: read back differs\n");
            return 1;
        }
        lc_scan_free(back);
        best_memcpy = t1 - t0 < best_memcpy ? t1 - t0 : best_memcpy;
        best_fw = t2 - t1 < best_fw ? t2 - t1 : best_fw;
        best_fr = t3 - t2 < best_fr ? t3 - t2 : best_fr;
        best_dw = t4 - t3 < best_dw ? t4 - t3 : best_dw;
        best_dr = t5 - t4 < best_dr ? t5 - t4 : best_dr;
    }
    double mb = (double)total / 1e6;
    printf("bench_dicos: 2 views x 2 energies, %ld lines x %ld/%ld pixels, %.2f MB of samples, "
           "best of %d\n",
           lines, pix[0], pix[1], mb, reps);
    printf("  memcpy            %8.1f MB/s\n", mb / best_memcpy);
    printf("  plain file write  %8.1f MB/s  (4 files, fsync)\n", mb / best_fw);
    printf("  plain file read   %8.1f MB/s\n", mb / best_fr);
    printf("  plain file read   %8.1f MB/s  (into freshly allocated buffers)\n", mb / best_frf);
    printf("  DICOS write       %8.1f MB/s  = %.3f x memcpy, %.3f x plain write\n", mb / best_dw,
           best_memcpy / best_dw, best_fw / best_dw);
    printf("  DICOS read        %8.1f MB/s  = %.3f x memcpy, %.3f x plain read, %.3f x plain "
           "read into fresh buffers\n",
           mb / best_dr, best_memcpy / best_dr, best_fr / best_dr, best_frf / best_dr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_dicos: could not remove %s\n", dir);
    free(dst);
    lc_scan_free(scan);
    return 0;
}
