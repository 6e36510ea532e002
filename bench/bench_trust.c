/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_trust.c: audit log append throughput (durable appends, a signed
 * checkpoint every N events) and the cost of encryption at rest as a ratio
 * to writing the same bytes in the clear, measured in one run: a raw 4 MB
 * object, and a realistic two-view scan's DICOS files plus its machine TDR
 * stored as the station stores them (built in memory, each file sealed under
 * a fresh per-scan key, fsync'ed) against the same files written in the
 * clear (fsync'ed), and read back (open + authenticate + parse) against a
 * clear read.
 * usage: bench_trust [EVENTS] [CHECKPOINT_EVERY]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lucent/dicos.h"
#include "lucent/scan.h"
#include "lucent/trust.h"
#include "util/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A two-view dual-energy scan of a carry-on bag: 640 detector pixels x
 * 900 lines per view, 16-bit, with noise-like content (DICOS is stored
 * uncompressed, so content does not change sizes). */
static lc_scan *bench_scan(void)
{
    lc_scan *s = NULL;
    if (lc_scan_new(NULL, &s, NULL) != LC_OK)
        return NULL;
    uint32_t seed = 12345;
    for (int v = 0; v < 2; v++) {
        lc_view_info vi;
        lc_view_info_init(&vi);
        lc_view *view;
        if (lc_scan_add_view(s, &vi, 900, 640, &view, NULL) != LC_OK)
            return NULL;
        for (int c = 0; c < 2; c++) {
            uint16_t *p = lc_view_plane(view, (lc_channel)c);
            for (size_t i = 0; i < (size_t)900 * 640; i++) {
                seed = seed * 1664525u + 1013904223u;
                p[i] = (uint16_t)(seed >> 18);
            }
        }
    }
    return s;
}

static const lc_dicos_tdr *bench_tdr(void)
{
    static lc_dicos_threat th = {.id = 1,
                                 .category = "EXPLOSIVE",
                                 .description = "organic block",
                                 .assessment = LC_ASSESS_THREAT,
                                 .probability = 0.8,
                                 .n_boxes = 2,
                                 .boxes = {{0, 100, 200, 220, 300}, {1, 110, 150, 230, 260}}};
    static lc_dicos_tdr t = {LC_TDR_MACHINE, LC_ALARM_ALARM, "bench", 1, 1, &th};
    return &t;
}

typedef struct sealed_dir {
    const char *dir;
    char ident[64];
    const uint8_t *key;
} sealed_dir;

static lc_status sealed_get(void *user, const char *name, uint8_t **data, size_t *len,
                            lc_error *err)
{
    const sealed_dir *sd = user;
    char path[512], ident[160];
    snprintf(path, sizeof path, "%s/%s", sd->dir, name);
    snprintf(ident, sizeof ident, "%s/%s", sd->ident, name);
    if (access(path, F_OK) != 0)
        return lc_error_set(err, LC_ERR_NOT_FOUND, "%s: no such file", ident);
    return lc_unseal_file(sd->key, path, ident, data, len, err);
}

/* The station's way: files built in memory, each sealed and fsync'ed. */
static int store_sealed(const lc_scan *scan, const char *dir, const uint8_t key[32])
{
    lc_error err;
    lc_dicos_mem *m = NULL;
    if (lc_dicos_mem_new(&m, &err) != LC_OK)
        return 1;
    lc_dicos_io io = lc_dicos_mem_io(m);
    if (lc_dicos_write_scan_io(scan, &io, NULL, &err) != LC_OK ||
        lc_dicos_write_tdr_io(&io, bench_tdr(), &err) != LC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < lc_dicos_mem_count(m); i++) {
        const uint8_t *d;
        size_t len;
        const char *name = lc_dicos_mem_file(m, i, &d, &len);
        char path[512], ident[160];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        snprintf(ident, sizeof ident, "scans/BENCH/%s", name);
        if (lc_seal_file(key, path, ident, d, len, &err) != LC_OK)
            return 1;
    }
    lc_dicos_mem_free(m);
    return 0;
}

static int store_clear(const lc_scan *scan, const char *dir)
{
    lc_error err;
    return lc_dicos_write_scan(scan, dir, &err) != LC_OK ||
           lc_dicos_write_tdr(dir, bench_tdr(), &err) != LC_OK;
}

static int load(const lc_dicos_io *io)
{
    lc_error err;
    lc_scan *s = NULL;
    lc_dicos_tdr *t = NULL;
    int bad = lc_dicos_read_scan_io(io, &s, &err) != LC_OK ||
              lc_dicos_read_tdr_io(io, "tdr_machine.dcs", &t, &err) != LC_OK;
    if (bad)
        fprintf(stderr, "%s\n", err.msg);
    lc_scan_free(s);
    lc_dicos_tdr_free(t);
    return bad;
}

static int bench_scan_files(const char *dir)
{
    lc_scan *scan = bench_scan();
    if (!scan)
        return 1;
    char cdir[256], sdir[256];
    snprintf(cdir, sizeof cdir, "%s/clear", dir);
    snprintf(sdir, sizeof sdir, "%s/sealed", dir);
    lc_error err;
    if (lc__mkdir_p(sdir, &err) != LC_OK)
        return 1;
    uint8_t key[32];
    if (lc_key_random(key, &err) != LC_OK)
        return 1;
    int reps = 8;
    double t_clear = 0, t_seal = 0, r_clear = 0, r_seal = 0;
    sealed_dir sd = {sdir, "scans/BENCH", key};
    lc_dicos_io sio = {NULL, sealed_get, &sd, "scans/BENCH"};
    lc_dicos_io cio = lc_dicos_folder_io(cdir);
    for (int r = 0; r < reps; r++) { /* interleaved, so drift hits both */
        double t0 = now();
        if (store_clear(scan, cdir))
            return 1;
        double t1 = now();
        if (store_sealed(scan, sdir, key))
            return 1;
        double t2 = now();
        if (load(&cio))
            return 1;
        double t3 = now();
        if (load(&sio))
            return 1;
        double t4 = now();
        t_clear += t1 - t0, t_seal += t2 - t1, r_clear += t3 - t2, r_seal += t4 - t3;
    }
    size_t bytes = 0;
    lc_dicos_mem *m = NULL;
    if (lc_dicos_mem_new(&m, &err) == LC_OK) {
        lc_dicos_io io = lc_dicos_mem_io(m);
        if (lc_dicos_write_scan_io(scan, &io, NULL, &err) == LC_OK &&
            lc_dicos_write_tdr_io(&io, bench_tdr(), &err) == LC_OK)
            for (size_t i = 0; i < lc_dicos_mem_count(m); i++) {
                size_t len;
                lc_dicos_mem_file(m, i, NULL, &len);
                bytes += len;
            }
        lc_dicos_mem_free(m);
    }
    printf("scan at rest: two views 640x900 dual energy + machine TDR = 5 files, %.2f MB\n"
           "  store (fsync each file): clear %.1f ms, sealed %.1f ms: ratio %.2f\n"
           "  load (read, parse):      clear %.1f ms, sealed %.1f ms: ratio %.2f\n",
           (double)bytes / 1e6, 1e3 * t_clear / reps, 1e3 * t_seal / reps, t_seal / t_clear,
           1e3 * r_clear / reps, 1e3 * r_seal / reps, r_seal / r_clear);
    lc_scan_free(scan);
    return 0;
}

int main(int argc, char **argv)
{
    long events = argc > 1 ? atol(argv[1]) : 2000;
    long every = argc > 2 ? atol(argv[2]) : 100;
    char dir[] = "/tmp/lucent-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char kdir[256], log[256], path[256];
    snprintf(kdir, sizeof kdir, "%s/keys", dir);
    snprintf(log, sizeof log, "%s/audit.log", dir);
    lc_error err;
    lc_site_keys *k = NULL;
    if (lc_keys_init(kdir, "bench", NULL, &err) != LC_OK ||
        lc_keys_load(kdir, NULL, &k, &err) != LC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    lc_audit *a = NULL;
    if (lc_audit_open(log, &a, NULL, &err) != LC_OK)
        return 1;
    char e[256];
    double t0 = now();
    for (long i = 0; i < events; i++) {
        int n = snprintf(e, sizeof e,
                         "{\"t\":%ld,\"event\":\"decision\",\"scan\":\"BAG-%08ld\",\"user\":"
                         "\"op1\",\"decision\":\"clear\"}",
                         i, i);
        if (lc_audit_append(a, e, (size_t)n, NULL, &err) != LC_OK)
            return 1;
        if (every > 0 && (i + 1) % every == 0 && lc_audit_checkpoint(a, k, NULL, &err) != LC_OK)
            return 1;
    }
    double t_log = now() - t0;
    lc_audit_close(a);
    /* The same appends without fdatasync, to show what durability costs:
     * plain write() of the same record sizes. */
    snprintf(path, sizeof path, "%s/plain.log", dir);
    FILE *f = fopen(path, "wb");
    t0 = now();
    for (long i = 0; i < events; i++) {
        int n = snprintf(e, sizeof e, "{\"t\":%ld,\"event\":\"decision\"}", i);
        fwrite(e, 1, (size_t)n + 40, f);
    }
    fclose(f);
    double t_plain = now() - t0;
    printf("audit log: %ld durable appends, checkpoint every %ld: %.0f events/s "
           "(%.1f us each; buffered plain writes %.0fx faster: durability = fdatasync per "
           "event)\n",
           events, every, events / t_log, 1e6 * t_log / events,
           t_log / (t_plain > 0 ? t_plain : 1e-9));

    /* Encryption at rest: a 2-view scan's worth of DICOS bytes (~4 MB). */
    size_t len = 4u << 20;
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    uint8_t key[32];
    if (lc_key_random(key, &err) != LC_OK)
        return 1;
    int reps = 10;
    snprintf(path, sizeof path, "%s/clear.bin", dir);
    t0 = now();
    for (int r = 0; r < reps; r++)
        if (lc__write_file_atomic(path, data, len, &err) != LC_OK)
            return 1;
    double t_clear = now() - t0;
    snprintf(path, sizeof path, "%s/sealed.bin", dir);
    t0 = now();
    for (int r = 0; r < reps; r++)
        if (lc_seal_file(key, path, "scan/bench.dcs", data, len, &err) != LC_OK)
            return 1;
    double t_seal = now() - t0;
    uint8_t *back;
    size_t bl;
    t0 = now();
    for (int r = 0; r < reps; r++) {
        if (lc_unseal_file(key, path, "scan/bench.dcs", &back, &bl, &err) != LC_OK)
            return 1;
        free(back);
    }
    double t_open = now() - t0;
    double mb = (double)len * reps / 1e6;
    printf("encryption at rest: clear write %.0f MB/s, sealed write %.0f MB/s (ratio %.2f), "
           "open+authenticate %.0f MB/s\n",
           mb / t_clear, mb / t_seal, t_seal / t_clear, mb / t_open);
    free(data);
    if (bench_scan_files(dir) != 0)
        return 1;
    lc_keys_free(k);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
