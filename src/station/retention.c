/* SPDX-License-Identifier: Apache-2.0 */
/*
 * retention.c: retention by crypto-erasure. A sweep (at start, then every
 * minute on a small thread of its own that sleeps on the station's
 * condition variable, so it never spins) finds the scans older than
 * cfg.retention_days that nothing keeps (no machine alarm, not sent to
 * search, not a known threat: lc_store_scan_expired) and erases each: the
 * wrapped key is destroyed in the index first (one transaction with the
 * audited "scan.erased" event, secure_delete on, WAL truncated), then the
 * sealed files are deleted and the bag leaves the memory cache. A crash
 * between the two leaves files nobody can open any more; lc__recover
 * deletes them at the next start. Sweeping again is harmless.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "station/station_int.h"

#define SWEEP_BATCH 256

int lc__retention_sweep(lc_station *st, int64_t now_us)
{
    double days = st->cfg.retention_days;
    if (!(days > 0))
        return 0;
    int64_t before = now_us - (int64_t)(days * 86400.0 * 1e6);
    int erased = 0;
    lc_error perr;
    if (lc_store_purge(st->store, &perr) != LC_OK)
        lc__log(st, "retention: %s", perr.msg);
    for (;;) {
        lc_scan_row *rows = NULL;
        size_t n = 0;
        lc_error err;
        if (lc_store_scan_expired(st->store, before, SWEEP_BATCH, &rows, &n, &err) != LC_OK) {
            lc__log(st, "retention: cannot list old scans: %s", err.msg);
            break;
        }
        int done = 0;
        for (size_t i = 0; i < n; i++) {
            lc_status s = lc_store_scan_erase(st->store, rows[i].id, "retention", days, &err);
            if (s == LC_ERR_STATE) /* decided to search meanwhile: kept */
                continue;
            if (s != LC_OK)
                lc__log(st, "retention: scan %s: %s", rows[i].scan_id, err.msg);
            /* Whatever the status, the files go once the row says erased. */
            lc_scan_row row;
            if (lc_store_scan_get(st->store, rows[i].id, &row, &err) != LC_OK ||
                !row.erased_unix_us)
                continue;
            char dir[4400];
            snprintf(dir, sizeof dir, "%s/%s", st->cfg.data_dir, row.dir);
            lc__remove_dir(dir);
            lc__cache_drop(st, row.id);
            done++;
        }
        free(rows);
        erased += done;
        if (n < SWEEP_BATCH || done == 0)
            break;
    }
    if (erased > 0)
        lc__log(st,
                "retention: erased %d scan(s) older than %g days (keys destroyed, files deleted)",
                erased, days);
    return erased;
}

static void *sweep_thread(void *arg)
{
    lc_station *st = arg;
    double period_s = st->cfg.retention_days * 86400.0 / 4.0;
    if (period_s > 60)
        period_s = 60;
    if (period_s < 1)
        period_s = 1;
    for (;;) {
        lc__retention_sweep(st, lc__now_us());
        int64_t due = lc__now_us() + (int64_t)(period_s * 1e6);
        pthread_mutex_lock(&st->mu);
        /* The station's condition variable is also signalled on every new
         * bag: wait again until the sweep is due or the station stops. */
        while (!st->stopping && lc__now_us() < due) {
            struct timespec ts = {(time_t)(due / 1000000), (long)(due % 1000000) * 1000};
            pthread_cond_timedwait(&st->published, &st->mu, &ts);
        }
        int stop = st->stopping;
        pthread_mutex_unlock(&st->mu);
        if (stop)
            break;
    }
    return NULL;
}

void lc__retention_start(lc_station *st)
{
    if (!(st->cfg.retention_days > 0) || st->sweep_running)
        return;
    if (pthread_create(&st->sweep_thread, NULL, sweep_thread, st) == 0)
        st->sweep_running = 1;
    else
        lc__log(st, "retention: cannot start the sweep thread; scans are kept");
}

void lc__retention_stop(lc_station *st)
{
    if (!st->sweep_running)
        return;
    pthread_join(st->sweep_thread, NULL);
    st->sweep_running = 0;
}
