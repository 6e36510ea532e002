/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export.c: lc_station_export, the one way a stored scan leaves the station
 * as plain DICOS: every file of the scan is opened (unwrapped key, sealed
 * identity checked) into memory first, so a damaged scan exports nothing;
 * then the export is recorded as an event (audited); then the files are
 * written. The memory copies are wiped.
 */
#define _DEFAULT_SOURCE /* DT_REG */
#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/station_int.h"
#include "util/util.h"

static int by_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The names of the scan's files (not hidden, not temporary), sorted. */
static lc_status list_files(const char *dir, char (**names)[64], size_t *n, lc_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return lc_error_set(err, LC_ERR_NOT_FOUND, "%s: no scan folder", dir);
    size_t cap = 0;
    struct dirent *e;
    lc_status s = LC_OK;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || len >= 64 || strstr(e->d_name, ".tmp.") ||
            strcmp(e->d_name + len - 4, ".dcs") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char(*nn)[64] = realloc(*names, cap * sizeof **names);
            if (!nn) {
                s = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
                break;
            }
            *names = nn;
        }
        lc__strlcpy((*names)[(*n)++], e->d_name, 64);
    }
    closedir(d);
    if (s == LC_OK && *n > 1)
        qsort(*names, *n, sizeof **names, by_name);
    return s;
}

lc_status lc_station_export(const char *data_dir, const char *passphrase, const char *scan_id,
                            const char *out_dir, const char *actor, size_t *n_files, lc_error *err)
{
    if (n_files)
        *n_files = 0;
    if (!data_dir || !scan_id || !out_dir || !*out_dir)
        return lc_error_set(err, LC_ERR_ARG, "export: data folder, scan and folder are required");
    lc_store *store = NULL;
    lc_site_keys *keys = NULL;
    char(*names)[64] = NULL;
    size_t n = 0;
    lc_dicos_mem *mem = NULL;
    lc__sealed_io sio;
    memset(&sio, 0, sizeof sio);
    lc_scan_row row;
    lc_status s = lc_store_open(data_dir, &store, err);
    if (s == LC_OK)
        s = lc_store_scan_find(store, scan_id, &row, err);
    if (s == LC_OK && row.erased_unix_us)
        s = lc__erased_error(&row, err);
    char kdir[4200];
    snprintf(kdir, sizeof kdir, "%s/keys", data_dir);
    if (s == LC_OK && row.sealed)
        s = lc_keys_load(kdir, passphrase && *passphrase ? passphrase : NULL, &keys, err);
    lc_dicos_io in = {0};
    if (s == LC_OK)
        s = lc__scan_io_open(data_dir, keys, &row, &sio, &in, err);
    if (s == LC_OK)
        s = list_files(sio.dir, &names, &n, err);
    if (s == LC_OK && n == 0)
        s = lc_error_set(err, LC_ERR_NOT_FOUND, "scans/%s: no files", scan_id);
    if (s == LC_OK)
        s = lc_dicos_mem_new(&mem, err);
    /* Open every file first: a scan that does not open exports nothing. */
    lc_dicos_io mio = lc_dicos_mem_io(mem);
    for (size_t i = 0; s == LC_OK && i < n; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        s = in.get(in.user, names[i], &data, &len, err);
        if (s == LC_OK)
            s = mio.put(mio.user, names[i], data, len, err);
        if (data)
            sodium_memzero(data, len);
        free(data);
    }
    if (s == LC_OK) {
        json_t *d =
            json_pack("{s:s, s:I, s:s, s:I, s:b}", "scan", row.scan_id, "row", (json_int_t)row.id,
                      "folder", out_dir, "files", (json_int_t)n, "sealed", row.sealed);
        char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        s = detail ? lc_store_event_add(store, "scan.export", actor && *actor ? actor : "cli",
                                        detail, err)
                   : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        free(detail);
    }
    if (s == LC_OK)
        s = lc__mkdir_p(out_dir, err);
    lc_dicos_io out = lc_dicos_folder_io(out_dir);
    for (size_t i = 0; s == LC_OK && i < lc_dicos_mem_count(mem); i++) {
        const uint8_t *data;
        size_t len;
        const char *name = lc_dicos_mem_file(mem, i, &data, &len);
        s = out.put(out.user, name, data, len, err);
        if (s == LC_OK && n_files)
            (*n_files)++;
    }
    sodium_memzero(&sio, sizeof sio);
    lc_dicos_mem_free(mem);
    free(names);
    lc_keys_free(keys);
    lc_store_close(store);
    return s;
}
