/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_trust.c: audit log append throughput (durable appends, a signed
 * checkpoint every N events) and the cost of encryption at rest as a ratio
 * to writing the same bytes in the clear, measured in one run.
 * usage: bench_trust [EVENTS] [CHECKPOINT_EVERY]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lucent/trust.h"
#include "util/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
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
    lc_keys_free(k);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
