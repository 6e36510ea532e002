/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.c: the station object and its bag pipeline. Lifecycle (start,
 * stop, the headless variant for tests), the configuration file, crash
 * recovery, the bag cache shared with the HTTP threads, and the pipeline
 * thread: acquire (feeder) -> TIP projection -> process -> analyse -> store
 * -> publish.
 *
 * Crash safety of a scan: its DICOS files are written into a hidden
 * temporary folder, every file and the folder are fsync'ed, the folder is
 * renamed to its final name and the parent folder fsync'ed; only then is the
 * index row committed (one SQLite transaction with its event). A crash before
 * the commit leaves at most a folder without a row, which the API never shows
 * and lc__recover() removes at the next start. A TIP bag's stored files are
 * the bag as scanned, without the projected threat.
 */
#define _DEFAULT_SOURCE /* fsync, DT_DIR, localtime_r */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lucent/dicos.h"
#include "station/station_int.h"
#include "util/util.h"

void lc__log(lc_station *st, const char *fmt, ...)
{
    if (!st || !st->log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    st->log(st->log_user, line);
}

/* -------------------------------------------------------------- config */

void lc_station_config_init(lc_station_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    lc__strlcpy(cfg->address, "127.0.0.1", sizeof cfg->address);
    cfg->port = 8080;
    lc__strlcpy(cfg->data_dir, "lucent-data", sizeof cfg->data_dir);
    cfg->demo_rate = 0.2;
    cfg->tip_share = 0.1;
    cfg->threat_share = 0.05;
    cfg->max_sessions = 256;
    cfg->session_idle_s = 1800;
    cfg->cache_bags = 32;
    cfg->sim_threads = 1;
    cfg->atr = 1;
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        cfg->atr_sensitivity[c] = 0.5;
    lc__strlcpy(cfg->site_name, "lucent.station", sizeof cfg->site_name);
    cfg->checkpoint_every = 64;
    cfg->retention_days = 30;
}

static lc_status cfg_string(json_t *v, const char *key, char *dst, size_t cap, const char *path,
                            lc_error *err)
{
    if (!json_is_string(v))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s: must be a string", path, key);
    if (!lc__strlcpy(dst, json_string_value(v), cap))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s: too long", path, key);
    return LC_OK;
}

static lc_status cfg_number(json_t *v, const char *key, double lo, double hi, double *out,
                            const char *path, lc_error *err)
{
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s: must be a number from %g to %g", path, key,
                            lo, hi);
    *out = json_number_value(v);
    return LC_OK;
}

/* "atr_sensitivity": a number for every class, or an object of some classes'
 * numbers ({"weapon": 0.53}), each 0..1. */
static lc_status cfg_sensitivity(json_t *v, const char *path, double out[LC_ATR_CLASSES],
                                 lc_error *err)
{
    static const char *const key = "atr_sensitivity";
    double d = 0;
    if (json_is_number(v)) {
        lc_status s = cfg_number(v, key, 0, 1, &d, path, err);
        for (int c = 0; s == LC_OK && c < LC_ATR_CLASSES; c++)
            out[c] = d;
        return s;
    }
    if (!json_is_object(v))
        return lc_error_set(err, LC_ERR_FORMAT,
                            "%s: %s: must be a number 0..1 or an object of classes "
                            "(explosive, weapon, dense) and numbers",
                            path, key);
    const char *name;
    json_t *x;
    json_object_foreach(v, name, x)
    {
        lc_atr_class c;
        if (lc_atr_class_parse(name, &c) != 0)
            return lc_error_set(err, LC_ERR_FORMAT,
                                "%s: %s: unknown class '%s' (explosive, weapon, dense)", path, key,
                                name);
        char k[64];
        snprintf(k, sizeof k, "%s: %s", key, lc_atr_class_name(c));
        lc_status s = cfg_number(x, k, 0, 1, &out[c], path, err);
        if (s != LC_OK)
            return s;
    }
    return LC_OK;
}

lc_status lc_station_config_load(const char *path, lc_station_config *cfg, lc_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (je.line < 0)
            return lc_error_set(err, LC_ERR_IO, "%s: cannot read: %s", path, je.text);
        return lc_error_set(err, LC_ERR_FORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: must be a JSON object", path);
    }
    lc_station_config c = *cfg;
    lc_status s = LC_OK;
    const char *key;
    json_t *v;
    double d;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "address") == 0)
            s = cfg_string(v, key, c.address, sizeof c.address, path, err);
        else if (strcmp(key, "data_dir") == 0)
            s = cfg_string(v, key, c.data_dir, sizeof c.data_dir, path, err);
        else if (strcmp(key, "scenes_dir") == 0)
            s = cfg_string(v, key, c.scenes_dir, sizeof c.scenes_dir, path, err);
        else if (strcmp(key, "tls_cert") == 0)
            s = cfg_string(v, key, c.tls_cert, sizeof c.tls_cert, path, err);
        else if (strcmp(key, "tls_key") == 0)
            s = cfg_string(v, key, c.tls_key, sizeof c.tls_key, path, err);
        else if (strcmp(key, "site_name") == 0)
            s = cfg_string(v, key, c.site_name, sizeof c.site_name, path, err);
        else if (strcmp(key, "key_passphrase_file") == 0)
            s = cfg_string(v, key, c.key_passphrase_file, sizeof c.key_passphrase_file, path, err);
        else if (strcmp(key, "checkpoint_every") == 0) {
            if ((s = cfg_number(v, key, 1, 1e6, &d, path, err)) == LC_OK)
                c.checkpoint_every = (int)d;
        } else if (strcmp(key, "retention_days") == 0) {
            s = cfg_number(v, key, 0, 36500, &c.retention_days, path, err);
        } else if (strcmp(key, "port") == 0) {
            if ((s = cfg_number(v, key, 0, 65535, &d, path, err)) == LC_OK)
                c.port = (int)d;
        } else if (strcmp(key, "demo") == 0) {
            if (!json_is_boolean(v))
                s = lc_error_set(err, LC_ERR_FORMAT, "%s: demo: must be true or false", path);
            else
                c.demo = json_is_true(v);
        } else if (strcmp(key, "atr") == 0) {
            if (!json_is_boolean(v))
                s = lc_error_set(err, LC_ERR_FORMAT, "%s: atr: must be true or false", path);
            else
                c.atr = json_is_true(v);
        } else if (strcmp(key, "atr_sensitivity") == 0) {
            s = cfg_sensitivity(v, path, c.atr_sensitivity, err);
        } else if (strcmp(key, "demo_rate") == 0) {
            s = cfg_number(v, key, 0.001, 20, &c.demo_rate, path, err);
        } else if (strcmp(key, "tip_share") == 0) {
            s = cfg_number(v, key, 0, 1, &c.tip_share, path, err);
        } else if (strcmp(key, "threat_share") == 0) {
            s = cfg_number(v, key, 0, 1, &c.threat_share, path, err);
        } else if (strcmp(key, "seed") == 0) {
            if ((s = cfg_number(v, key, 0, 9007199254740992.0, &d, path, err)) == LC_OK)
                c.seed = (uint64_t)d;
        } else if (strcmp(key, "max_sessions") == 0) {
            if ((s = cfg_number(v, key, 1, 100000, &d, path, err)) == LC_OK)
                c.max_sessions = (int)d;
        } else if (strcmp(key, "session_idle_s") == 0) {
            if ((s = cfg_number(v, key, 10, 86400, &d, path, err)) == LC_OK)
                c.session_idle_s = (int)d;
        } else if (strcmp(key, "cache_bags") == 0) {
            if ((s = cfg_number(v, key, 2, 1024, &d, path, err)) == LC_OK)
                c.cache_bags = (int)d;
        } else if (strcmp(key, "sim_threads") == 0) {
            if ((s = cfg_number(v, key, 1, 64, &d, path, err)) == LC_OK)
                c.sim_threads = (int)d;
        } else {
            s = lc_error_set(err, LC_ERR_FORMAT, "%s: unknown key '%s'", path, key);
        }
        if (s != LC_OK)
            break;
    }
    json_decref(root);
    if (s == LC_OK)
        *cfg = c;
    return s;
}

/* --------------------------------------------------------------- cache */

void lc__bag_unref(lc_station *st, lc__bag *bag)
{
    if (!bag)
        return;
    pthread_mutex_lock(&st->mu);
    int left = --bag->refs;
    pthread_mutex_unlock(&st->mu);
    if (left == 0)
        lc__bag_free(bag);
}

void lc__cache_publish(lc_station *st, lc__bag *bag)
{
    lc__bag *old;
    pthread_mutex_lock(&st->mu);
    old = st->cache[st->cache_next];
    st->cache[st->cache_next] = bag;
    st->cache_next = (st->cache_next + 1) % st->cfg.cache_bags;
    if (bag->row.id > st->latest_id)
        st->latest_id = bag->row.id;
    pthread_cond_broadcast(&st->published);
    pthread_mutex_unlock(&st->mu);
    lc__bag_unref(st, old);
}

lc_status lc__cache_get(lc_station *st, int64_t id, lc__bag **out, lc_error *err)
{
    *out = NULL;
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < st->cfg.cache_bags; i++) {
        lc__bag *b = st->cache[i];
        if (b && b->row.id == id) {
            b->refs++;
            *out = b;
            break;
        }
    }
    pthread_mutex_unlock(&st->mu);
    if (*out)
        return LC_OK;
    /* Not cached (an older bag, or after a restart): load from its files. */
    lc_scan_row row;
    lc_status s = lc_store_scan_get(st->store, id, &row, err);
    if (s != LC_OK)
        return s;
    if (row.erased_unix_us)
        return lc__erased_error(&row, err);
    lc__sealed_io sio;
    lc_dicos_io io;
    if ((s = lc__scan_io_open(st->cfg.data_dir, st->keys, &row, &sio, &io, err)) != LC_OK)
        return s;
    lc_scan *scan = NULL;
    lc__bag *bag = NULL;
    lc_dicos_tdr *tdr = NULL;
    if ((s = lc_dicos_read_scan_io(&io, &scan, err)) != LC_OK)
        goto done;
    /* The machine's alarms as stored in the scan's TDR (none when the
     * recognition did not run). A TDR that does not open fails the load. */
    s = lc_dicos_read_tdr_io(&io, lc_dicos_tdr_file_name(LC_TDR_MACHINE), &tdr, err);
    if (s == LC_ERR_NOT_FOUND) {
        lc_error_clear(err);
        s = LC_OK;
    }
    if (s != LC_OK)
        goto done;
    if ((s = lc__bag_from_scan(scan, st->table, &bag, err)) != LC_OK)
        goto done;
    bag->row = row;
    lc__bag_alarms_from_tdr(bag, tdr);
done:
    sodium_memzero(&sio, sizeof sio);
    lc_dicos_tdr_free(tdr);
    lc_scan_free(scan);
    if (s != LC_OK) {
        lc__bag_free(bag);
        return s;
    }
    *out = bag;
    return LC_OK;
}

void lc__cache_drop(lc_station *st, int64_t id)
{
    lc__bag *drop = NULL;
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < st->cfg.cache_bags; i++) {
        if (st->cache[i] && st->cache[i]->row.id == id) {
            drop = st->cache[i];
            st->cache[i] = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&st->mu);
    lc__bag_unref(st, drop);
}

/* -------------------------------------------------------------- analyse */

/* A TDR coordinate as a pixel index in 0..max (a file may hold anything,
 * NaN included). */
static uint32_t box_px(double v, uint32_t max)
{
    return !(v > 0) ? 0 : v >= (double)max ? max : (uint32_t)v;
}

void lc__bag_alarms_from_tdr(lc__bag *bag, const lc_dicos_tdr *tdr)
{
    bag->n_alarms = 0;
    for (size_t i = 0; tdr && i < tdr->n_threats; i++) {
        const lc_dicos_threat *th = &tdr->threats[i];
        for (uint32_t k = 0; k < th->n_boxes && bag->n_alarms < LC__MAX_ALARMS; k++) {
            const lc_dicos_box *b = &th->boxes[k];
            if (b->view >= (uint32_t)bag->nviews)
                continue;
            uint32_t w = bag->w[b->view], h = bag->h[b->view];
            lc__alarm *a = &bag->alarms[bag->n_alarms++];
            a->view = b->view;
            a->box[0] = box_px(b->x0, w);
            a->box[1] = box_px(b->y0, h);
            a->box[2] = box_px(b->x1 + 1, w);
            a->box[3] = box_px(b->y1 + 1, h);
            lc__strlcpy(a->label, th->description, sizeof a->label);
        }
    }
}

/* The options every bag is analysed with: the defaults at the site's
 * operating point. The provenance hash (open_trust) describes these. */
static void atr_options(const lc_station *st, lc_atr_options *o)
{
    lc_atr_options_init(o);
    memcpy(o->sensitivity, st->cfg.atr_sensitivity, sizeof o->sensitivity);
}

lc_status lc__analyse(lc_station *st, const lc_scan *scan, lc_dicos_tdr **machine, lc_error *err)
{
    *machine = NULL;
    if (!st->table || !st->cfg.atr)
        return LC_OK;
    lc_atr_result *r = NULL;
    lc_error aerr;
    lc_atr_options o;
    atr_options(st, &o);
    if (lc_atr_analyze(st->table, scan, &o, &r, &aerr) != LC_OK) {
        lc__log(st, "recognition skipped on this bag: %s", aerr.msg);
        return LC_OK;
    }
    /* the site's operating point: the analysis kept the candidates whose
     * score reaches 1 - sensitivity of their class, all of them alarms */
    lc_status s = lc_dicos_tdr_from_atr(r, 0, "lucent atr " LC_VERSION, machine, err);
    lc_atr_result_free(r);
    return s;
}

lc_status lc__write_operator_tdr(lc_station *st, const lc_scan_row *row, lc_error *err)
{
    if (row->decision == LC_DECISION_NONE)
        return lc_error_set(err, LC_ERR_ARG, "scans/%s: no decision to report", row->scan_id);
    if (row->erased_unix_us)
        return lc__erased_error(row, err);
    lc_dicos_tdr tdr;
    memset(&tdr, 0, sizeof tdr);
    tdr.type = LC_TDR_OPERATOR;
    tdr.alarm = row->decision == LC_DECISION_SEARCH ? LC_ALARM_ALARM : LC_ALARM_CLEAR;
    lc__strlcpy(tdr.algorithm, row->decided_by, sizeof tdr.algorithm);
    tdr.decided_unix_us = row->decided_unix_us;
    lc__sealed_io sio;
    lc_dicos_io io;
    lc_status s = lc__scan_io_open(st->cfg.data_dir, st->keys, row, &sio, &io, err);
    if (s == LC_OK)
        s = lc_dicos_write_tdr_io(&io, &tdr, err);
    sodium_memzero(&sio, sizeof sio);
    return s;
}

/* ------------------------------------------------------------- storage */

static lc_status fsync_path(const char *path, int dir, lc_error *err)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot open to sync: %s", path, strerror(errno));
    int rc = fsync(fd);
    close(fd);
    if (rc != 0)
        return lc_error_set(err, LC_ERR_IO, "%s: fsync failed: %s", path, strerror(errno));
    return LC_OK;
}

void lc__remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4400];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

/* ------------------------------------------------------ sealed scan files */

lc_status lc__erased_error(const lc_scan_row *row, lc_error *err)
{
    time_t secs = (time_t)(row->erased_unix_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[40];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return lc_error_set(err, LC_ERR_STATE, "erased by %s on %s",
                        row->erase_reason[0] ? row->erase_reason : "retention", when);
}

/* The file of a sealed scan: DATA/scans/<id>/<name>, opened with the scan's
 * key and its identity "scans/<id>/<name>" (so a file renamed, moved to
 * another scan, cut short or edited does not open). */
static lc_status sealed_get(void *user, const char *name, uint8_t **data, size_t *len,
                            lc_error *err)
{
    const lc__sealed_io *sio = user;
    char path[4700], ident[600];
    *data = NULL;
    *len = 0;
    snprintf(path, sizeof path, "%s/%s", sio->dir, name);
    snprintf(ident, sizeof ident, "%s/%s", sio->ident, name);
    unsigned char *buf = NULL;
    size_t n = 0;
    lc_status s = lc__read_file(path, LC_DICOS_MAX_FILE + (LC_DICOS_MAX_FILE >> 4), &buf, &n, err);
    if (s == LC_ERR_NOT_FOUND)
        return lc_error_set(err, LC_ERR_NOT_FOUND, "%s: no such file", ident);
    if (s != LC_OK)
        return lc_error_prefix(err, "%s: ", ident);
    s = lc_unseal(sio->key, ident, buf, n, data, len, err);
    free(buf);
    if (s != LC_OK)
        lc_error_prefix(err, "cannot open the sealed file: ");
    return s;
}

static lc_status sealed_put(void *user, const char *name, const void *data, size_t len,
                            lc_error *err)
{
    const lc__sealed_io *sio = user;
    char path[4700], ident[600];
    snprintf(path, sizeof path, "%s/%s", sio->dir, name);
    snprintf(ident, sizeof ident, "%s/%s", sio->ident, name);
    return lc_seal_file(sio->key, path, ident, data, len, err);
}

lc_status lc__scan_io_open(const char *data_dir, const lc_site_keys *keys, const lc_scan_row *row,
                           lc__sealed_io *sio, lc_dicos_io *io, lc_error *err)
{
    memset(sio, 0, sizeof *sio);
    snprintf(sio->dir, sizeof sio->dir, "%s/%s", data_dir, row->dir);
    snprintf(sio->ident, sizeof sio->ident, "scans/%s", row->scan_id);
    *io = lc_dicos_folder_io(sio->dir);
    if (!row->sealed)
        return LC_OK;
    if (!keys)
        return lc_error_set(err, LC_ERR_STATE, "%s: sealed, but the site keys are not loaded",
                            sio->ident);
    lc_status s = lc_key_unwrap(lc_keys_data_key(keys), row->wrapped_key, sio->key, err);
    if (s != LC_OK) {
        sodium_memzero(sio->key, sizeof sio->key);
        return lc_error_prefix(err, "%s: the scan's key does not open: ", sio->ident);
    }
    io->put = sealed_put;
    io->get = sealed_get;
    io->user = sio;
    io->label = sio->ident;
    return LC_OK;
}

/* Writes the scan's DICOS files into DATA/<row->dir>, durably. With site
 * keys (always, in a running station) the files are built in memory and
 * each is sealed under a fresh key of its own scan, whose wrapped form goes
 * into row; no plaintext byte reaches the disk and the memory copies are
 * wiped. Without keys (a headless test station) they are written clear. */
static lc_status store_files(lc_station *st, const lc_scan *scan, const lc_dicos_tdr *machine,
                             lc_scan_row *row, lc_error *err)
{
    char tmp[4400], fin[4400], parent[4400];
    snprintf(parent, sizeof parent, "%s/scans", st->cfg.data_dir);
    snprintf(fin, sizeof fin, "%s/%s", st->cfg.data_dir, row->dir);
    snprintf(tmp, sizeof tmp, "%s/scans/.tmp-%s", st->cfg.data_dir, row->scan_id);
    lc_status s = lc__mkdir_p(parent, err);
    if (s != LC_OK)
        return s;
    lc__remove_dir(tmp);
    lc_dicos_mem *mem = NULL;
    if ((s = lc_dicos_mem_new(&mem, err)) != LC_OK)
        return s;
    lc_dicos_io mio = lc_dicos_mem_io(mem);
    if ((s = lc_dicos_write_scan_io(scan, &mio, NULL, err)) != LC_OK ||
        (machine && (s = lc_dicos_write_tdr_io(&mio, machine, err)) != LC_OK)) {
        lc_dicos_mem_free(mem);
        return s;
    }
    lc__sealed_io sio;
    memset(&sio, 0, sizeof sio);
    snprintf(sio.dir, sizeof sio.dir, "%s", tmp);
    snprintf(sio.ident, sizeof sio.ident, "scans/%s", row->scan_id);
    lc_dicos_io out = lc_dicos_folder_io(tmp);
    if (st->keys) {
        if ((s = lc_key_random(sio.key, err)) != LC_OK) {
            lc_dicos_mem_free(mem);
            return s;
        }
        out.put = sealed_put;
        out.user = &sio;
    }
    s = lc__mkdir_p(tmp, err);
    /* Every file fsync'ed by its atomic write, then the folder. */
    for (size_t i = 0; s == LC_OK && i < lc_dicos_mem_count(mem); i++) {
        const uint8_t *data;
        size_t len;
        const char *name = lc_dicos_mem_file(mem, i, &data, &len);
        s = out.put(out.user, name, data, len, err);
    }
    lc_dicos_mem_free(mem); /* wipes the plaintext */
    if (s == LC_OK)
        s = fsync_path(tmp, 1, err);
    if (s == LC_OK && rename(tmp, fin) != 0)
        s = lc_error_set(err, LC_ERR_IO, "%s: cannot rename: %s", fin, strerror(errno));
    if (s == LC_OK)
        s = fsync_path(parent, 1, err);
    if (s == LC_OK && st->keys) {
        lc_key_wrap(lc_keys_data_key(st->keys), sio.key, row->wrapped_key);
        row->sealed = 1;
    }
    sodium_memzero(&sio, sizeof sio);
    if (s != LC_OK)
        lc__remove_dir(tmp);
    return s;
}

int lc__recover(lc_station *st)
{
    char parent[4400];
    snprintf(parent, sizeof parent, "%s/scans", st->cfg.data_dir);
    DIR *d = opendir(parent);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        /* A folder stays when its row exists (scan id = folder name, found
         * through the unique index) and names it; a .tmp- folder never has
         * one. On a database error nothing is removed. */
        if (e->d_name[0] != '.') {
            lc_scan_row row;
            lc_error err;
            lc_status s = lc_store_scan_find(st->store, e->d_name, &row, &err);
            /* ... unless the scan was erased: its key went first, the files
             * follow (a crash came between). */
            if (s != LC_ERR_NOT_FOUND && !(s == LC_OK && row.erased_unix_us))
                continue;
        }
        char p[4700];
        snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
        lc__remove_dir(p);
        removed++;
    }
    closedir(d);
    return removed;
}

/* ------------------------------------------------------------- pipeline */

lc_status lc__pipeline_bag(lc_station *st, lc__feed_item *item, int64_t acquired_us, lc_error *err)
{
    lc_scan *scan = item->scan, *shown = NULL;
    item->scan = NULL;
    lc__bag *bag = NULL;
    lc_status s = LC_OK;
    lc_scan_row row;
    memset(&row, 0, sizeof row);

    /* Identity: sortable by time, unique across restarts. */
    time_t secs = (time_t)(acquired_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(row.scan_id, sizeof row.scan_id, "B%s-%03d-%04x", stamp,
             (int)((acquired_us / 1000) % 1000), (unsigned)(lc__rand(&st->rng) & 0xffff));
    snprintf(row.dir, sizeof row.dir, "scans/%s", row.scan_id);
    lc_scan_info *info = lc_scan_info_mut(scan);
    lc__strlcpy(info->scan_id, row.scan_id, sizeof info->scan_id);
    if (!info->station_id[0])
        lc__strlcpy(info->station_id, "lucent-station", sizeof info->station_id);
    info->acquired_unix_us = acquired_us;
    row.acquired_unix_us = acquired_us;
    row.gt_threat = item->gt_threat;
    row.n_views = (int)lc_scan_view_count(scan);

    /* TIP: project a fictional threat into a copy; the copy is shown, the
     * original is stored. */
    uint32_t tip_box[LC_SCAN_MAX_VIEWS][4];
    double share;
    const lc__tip_lib *tip;
    pthread_mutex_lock(&st->mu);
    share = st->tip_share;
    tip = st->tip; /* set once by the TIP thread, freed only after it ends */
    pthread_mutex_unlock(&st->mu);
    if (tip && lc__tip_lib_count(tip) > 0 && lc__randu(&st->rng) < share) {
        size_t k = lc__rand(&st->rng) % lc__tip_lib_count(tip);
        if (lc_scan_clone(scan, &shown, NULL) == LC_OK &&
            lc__tip_project(tip, k, shown, &st->rng, tip_box, row.tip_threat, NULL) == LC_OK) {
            row.tip = 1;
        } else {
            lc_scan_free(shown);
            shown = NULL;
        }
    }

    /* process */
    int64_t t0 = lc__mono_us();
    s = lc__bag_from_scan(shown ? shown : scan, st->table, &bag, err);
    /* analyse: the bag as scanned, so the machine never marks a TIP threat */
    int64_t t1 = lc__mono_us();
    lc_dicos_tdr *machine = NULL;
    if (s == LC_OK)
        s = lc__analyse(st, scan, &machine, err);
    if (s == LC_OK)
        lc__bag_alarms_from_tdr(bag, machine);
    row.atr_alarms = bag ? (int)bag->n_alarms : 0;
    /* store: files (synced), then the index row */
    int64_t t2 = lc__mono_us();
    if (s == LC_OK)
        s = store_files(st, scan, machine, &row, err);
    lc_dicos_tdr_free(machine);
    int64_t t3 = lc__mono_us();
    if (s == LC_OK) {
        row.process_ms = (double)(lc__now_us() - acquired_us) / 1000.0;
        s = lc_store_scan_add(st->store, &row, err);
    }
    int64_t t4 = lc__mono_us();
    st->stage_ms[0] = (double)(t1 - t0) / 1000.0;
    st->stage_ms[1] = (double)(t2 - t1) / 1000.0;
    st->stage_ms[2] = (double)(t3 - t2) / 1000.0;
    st->stage_ms[3] = (double)(t4 - t3) / 1000.0;
    if (s == LC_OK) {
        bag->row = row;
        if (row.tip) {
            bag->tip_known = 1;
            for (int v = 0; v < bag->nviews; v++)
                memcpy(bag->tip_box[v], tip_box[v], sizeof tip_box[v]);
        }
        /* Render the default mode now so the console's first request is fast. */
        const unsigned char *png;
        size_t len;
        for (int v = 0; v < bag->nviews; v++)
            (void)lc__bag_png(bag, v, 0, &png, &len, NULL);
        lc__cache_publish(st, bag);
        bag = NULL;
    }
    lc__bag_free(bag);
    lc_scan_free(shown);
    lc_scan_free(scan);
    return s;
}

/* Builds the TIP library (a few noise-free simulations) on its own thread,
 * so the first bags do not wait for it; bags before it is ready get no TIP. */
static void *tip_thread(void *arg)
{
    lc_station *st = arg;
    lc__tip_lib *lib = NULL;
    lc_error err;
    if (lc__tip_lib_new(&lib, &err) != LC_OK) {
        lc__log(st, "TIP disabled: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&st->mu);
    st->tip = lib;
    pthread_mutex_unlock(&st->mu);
    lc__log(st, "TIP library ready: %zu threats", lc__tip_lib_count(lib));
    return NULL;
}

static void *pipeline_thread(void *arg)
{
    lc_station *st = arg;
    lc_error err;
    int64_t period = (int64_t)(1e6 / st->cfg.demo_rate);
    int64_t due = lc__mono_us();
    for (;;) {
        pthread_mutex_lock(&st->mu);
        while (!st->stopping) {
            int64_t now = lc__mono_us();
            if (now >= due)
                break;
            /* Timed wait on the wall clock: pthread's default clock. */
            int64_t wake = lc__now_us() + (due - now);
            struct timespec ts = {(time_t)(wake / 1000000), (long)(wake % 1000000) * 1000};
            pthread_cond_timedwait(&st->published, &st->mu, &ts);
        }
        int stop = st->stopping;
        pthread_mutex_unlock(&st->mu);
        if (stop)
            break;
        lc__feed_item item;
        lc_status s = st->feeder.next(st->feeder.impl, &item, &err);
        if (s == LC_ERR_NOT_FOUND) {
            due = lc__mono_us() + 50000; /* nothing ready: look again soon */
            continue;
        }
        if (s != LC_OK) {
            lc__log(st, "acquire: %s", err.msg);
            due = lc__mono_us() + period;
            continue;
        }
        int64_t t0 = lc__mono_us();
        s = lc__pipeline_bag(st, &item, lc__now_us(), &err);
        if (s != LC_OK)
            lc__log(st, "bag dropped: %s", err.msg);
        else
            lc__log(st,
                    "bag %lld stored (%s): %.0f ms (process %.0f, analyse %.0f, files %.0f, "
                    "index %.0f)",
                    (long long)st->latest_id, item.name, (double)(lc__mono_us() - t0) / 1000.0,
                    st->stage_ms[0], st->stage_ms[1], st->stage_ms[2], st->stage_ms[3]);
        due += period;
        if (lc__mono_us() - due > period)
            due = lc__mono_us(); /* fell behind: do not burst */
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

lc_status lc__station_new_headless(const lc_station_config *cfg, lc_station **out, lc_error *err)
{
    *out = NULL;
    if (!cfg)
        return lc_error_set(err, LC_ERR_ARG, "station: no configuration");
    if (cfg->cache_bags < 2 || cfg->cache_bags > 1024 || cfg->max_sessions < 1 ||
        cfg->session_idle_s < 1 || !(cfg->demo_rate > 0) || !(cfg->tip_share >= 0) ||
        cfg->tip_share > 1 || cfg->port < 0 || cfg->port > 65535)
        return lc_error_set(err, LC_ERR_ARG, "station: configuration value out of range");
    lc_station *st = lc__calloc(1, sizeof *st);
    if (!st)
        return lc_error_set(err, LC_ERR_NOMEM, "station: out of memory");
    st->cfg = *cfg;
    st->tip_share = cfg->tip_share;
    st->longpoll_max_s = 25;
    st->rng = cfg->seed ? cfg->seed * 0x9E3779B97F4A7C15ULL : (uint64_t)lc__now_us();
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->published, NULL);
    pthread_mutex_init(&st->hash_mu, NULL);
    pthread_cond_init(&st->hash_cv, NULL);
    lc__rl_init(&st->rl);
    st->cache = lc__calloc((size_t)cfg->cache_bags, sizeof *st->cache);
    lc_status s = st->cache ? LC_OK : lc_error_set(err, LC_ERR_NOMEM, "station: out of memory");
    if (s == LC_OK)
        s = lc__sessions_init(&st->sessions, cfg->max_sessions,
                              (int64_t)cfg->session_idle_s * 1000000, err);
    if (s == LC_OK)
        s = lc_store_open(cfg->data_dir, &st->store, err);
    if (s == LC_OK) {
        /* The chain's material table for the default scanner model; without
         * it the station falls back to its own classes and no recognition. */
        lc_chain_model model;
        lc_chain_model_init(&model);
        if (lc_mattable_generate(&model, &st->table, NULL) != LC_OK)
            st->table = NULL;
    }
    if (s != LC_OK) {
        lc__station_free(st);
        return s;
    }
    /* The latest stored bag, so long polls start from the right place. */
    pthread_mutex_lock(&st->mu);
    st->latest_id = lc_store_scan_latest(st->store);
    pthread_mutex_unlock(&st->mu);
    *out = st;
    return LC_OK;
}

void lc__station_free(lc_station *st)
{
    if (!st)
        return;
    for (int i = 0; st->cache && i < st->cfg.cache_bags; i++)
        lc__bag_free(st->cache[i]);
    free(st->cache);
    lc__tip_lib_free(st->tip);
    lc_mattable_free(st->table);
    lc_store_close(st->store);
    lc_keys_free(st->keys);
    lc__sessions_destroy(&st->sessions);
    lc__rl_destroy(&st->rl);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->published);
    pthread_mutex_destroy(&st->hash_mu);
    pthread_cond_destroy(&st->hash_cv);
    if (st->tls_key_pem) {
        sodium_memzero(st->tls_key_pem, strlen(st->tls_key_pem));
        free(st->tls_key_pem);
    }
    free(st->tls_cert_pem);
    free(st);
}

int lc_station_port(const lc_station *st)
{
    return st ? st->port : 0;
}

/* ---------------------------------------------------------------- trust */

/* SHA-256 (hex) of a file, streamed. */
static lc_status sha256_file(const char *path, char hex[65], lc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot read", path);
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return lc_error_set(err, LC_ERR_IO, "%s: read error", path);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(hex, 65, d, sizeof d);
    return LC_OK;
}

/* Loads (or, on first start, creates) the site keys in DATA/keys, attaches
 * the audit log to the store, and stamps the provenance of every stored scan
 * and decision: the SHA-256 of the running program and of the recognition
 * configuration (its options, version and material table model). */
static lc_status open_trust(lc_station *st, lc_error *err)
{
    char dir[4200], key[4300];
    snprintf(dir, sizeof dir, "%s/keys", st->cfg.data_dir);
    snprintf(key, sizeof key, "%s/site.key", dir);
    lc_status s;
    if (access(key, F_OK) != 0) {
        if ((s = lc_keys_init(dir, st->cfg.site_name, NULL, err)) != LC_OK)
            return s;
        lc__log(st, "created the site keys of %s in %s (share %s/site.vkey with auditors)",
                st->cfg.site_name, dir, dir);
    }
    char pass[1024] = "";
    if (st->cfg.key_passphrase_file[0]) {
        FILE *f = fopen(st->cfg.key_passphrase_file, "r");
        if (!f || !fgets(pass, sizeof pass, f)) {
            if (f)
                fclose(f);
            return lc_error_set(err, LC_ERR_IO, "%s: cannot read the key passphrase",
                                st->cfg.key_passphrase_file);
        }
        fclose(f);
        pass[strcspn(pass, "\r\n")] = '\0';
    }
    s = lc_keys_load(dir, pass[0] ? pass : NULL, &st->keys, err);
    sodium_memzero(pass, sizeof pass);
    if (s != LC_OK)
        return s;
    if ((s = lc_store_audit_attach(st->store, st->keys, (uint64_t)st->cfg.checkpoint_every, err)) !=
        LC_OK)
        return s;
    char build[65] = "", atr[65];
    if (sha256_file("/proc/self/exe", build, NULL) != LC_OK)
        build[0] = '\0';
    lc_atr_options o;
    atr_options(st, &o);
    char text[512];
    snprintf(text, sizeof text,
             "lucent-atr %s enabled=%d sensitivity=%.17g,%.17g,%.17g pixel_mm=%.17g "
             "line_mm=%.17g min_mass_g=%.17g dense_area_mm2=%.17g table=default-model",
             LC_VERSION, st->cfg.atr, o.sensitivity[0], o.sensitivity[1], o.sensitivity[2],
             o.pixel_mm, o.line_mm, o.min_mass_g, o.dense_area_mm2);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
    sodium_bin2hex(atr, sizeof atr, d, sizeof d);
    lc_store_set_provenance(st->store, build, atr);
    return LC_OK;
}

/* Implemented in http.c. */
lc_status lc__http_start(lc_station *st, lc_error *err);
void lc__http_stop(lc_station *st);

lc_status lc_station_start(const lc_station_config *cfg, lc_station_log_fn log, void *log_user,
                           lc_station **out, lc_error *err)
{
    *out = NULL;
    lc_station *st = NULL;
    lc_status s = lc__station_new_headless(cfg, &st, err);
    if (s != LC_OK)
        return s;
    st->log = log;
    st->log_user = log_user;
    if ((s = open_trust(st, err)) != LC_OK) {
        lc__station_free(st);
        return s;
    }
    int removed = lc__recover(st);
    if (removed > 0)
        lc__log(st, "recovery: removed %d scan folder(s) without an index row or of erased scans",
                removed);
    char detail[128];
    snprintf(detail, sizeof detail, "{\"demo\":%s,\"version\":\"%s\",\"recovered\":%d}",
             cfg->demo ? "true" : "false", LC_VERSION, removed);
    if ((s = lc_store_event_add(st->store, "station.start", "station", detail, err)) != LC_OK) {
        lc__station_free(st);
        return s;
    }
    if (cfg->demo) {
        if ((s = lc__demo_feeder_new(cfg, &st->feeder, err)) != LC_OK) {
            lc__station_free(st);
            return s;
        }
        st->have_feeder = 1;
        if (pthread_create(&st->tip_thread, NULL, tip_thread, st) == 0)
            st->tip_running = 1;
        if (pthread_create(&st->pipe_thread, NULL, pipeline_thread, st) != 0) {
            if (st->tip_running) /* it ends by itself once the TIP library is built */
                pthread_join(st->tip_thread, NULL);
            st->feeder.free(st->feeder.impl);
            lc__station_free(st);
            return lc_error_set(err, LC_ERR_NOMEM, "station: cannot start the pipeline");
        }
        st->pipe_running = 1;
    }
    if (cfg->atr)
        lc__log(st, "recognition: operating point explosive %g, weapon %g, dense %g",
                cfg->atr_sensitivity[LC_ATR_EXPLOSIVE], cfg->atr_sensitivity[LC_ATR_WEAPON],
                cfg->atr_sensitivity[LC_ATR_DENSE]);
    if (cfg->retention_days > 0)
        lc__log(st, "retention: scans with no alarm are erased after %g days", cfg->retention_days);
    lc__retention_start(st);
    if ((s = lc__http_start(st, err)) != LC_OK) {
        lc_station_stop(st);
        return s;
    }
    *out = st;
    return LC_OK;
}

void lc_station_stop(lc_station *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    st->stopping = 1;
    pthread_cond_broadcast(&st->published);
    pthread_mutex_unlock(&st->mu);
    lc__http_stop(st);
    if (st->pipe_running)
        pthread_join(st->pipe_thread, NULL);
    if (st->tip_running)
        pthread_join(st->tip_thread, NULL);
    lc__retention_stop(st);
    if (st->have_feeder)
        st->feeder.free(st->feeder.impl);
    if (lc_store_event_add(st->store, "station.stop", "station", NULL, NULL) != LC_OK)
        lc__log(st, "cannot record the stop event");
    lc__station_free(st);
}
