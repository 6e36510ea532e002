/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/station.h: the screening station daemon. One process serves the web
 * console and its JSON API (docs/api.md) with libmicrohttpd and runs the bag
 * pipeline on its own thread: acquire (a feeder: the demo simulator now, a
 * scanner driver or the corpus generator later) -> project a TIP threat into
 * some bags -> process (attenuation, material classes, renderings) -> analyse
 * (automatic threat recognition; no alarms until the atr module lands) ->
 * store (DICOS files, fsync, then one SQLite transaction) -> publish to the
 * consoles (long poll). A slow console never stalls acquisition: the pipeline
 * only hands finished bags to a bounded in-memory cache.
 *
 * No outbound connection is ever made. Secrets (passwords, session tokens)
 * never appear in logs, URLs or error messages.
 *
 * Thread safety: lc_station_start/stop from one thread; everything else the
 * station does runs on its own threads.
 */
#ifndef LUCENT_STATION_H
#define LUCENT_STATION_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/atr.h"
#include "lucent/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Configuration. Initialise with lc_station_config_init(), then optionally
 * lc_station_config_load() a JSON file (docs/station.md), then override. */
typedef struct lc_station_config {
    char address[64];      /* IPv4 listen address; default "127.0.0.1" */
    int port;              /* default 8080; 0 = any free port (see lc_station_port) */
    char data_dir[4096];   /* default "lucent-data" */
    int demo;              /* 1: feed simulated bags */
    double demo_rate;      /* demo bags per second; default 0.2 */
    double tip_share;      /* share of bags that get a TIP threat, 0..1; default 0.1 */
    double threat_share;   /* demo: share of bags with a real (simulated) threat; default 0.05 */
    uint64_t seed;         /* demo random stream; 0 = from the clock */
    char scenes_dir[4096]; /* demo: also draw bags from *.json scenes here ("" = none) */
    char tls_cert[4096];   /* PEM certificate file; "" = plain HTTP */
    char tls_key[4096];    /* PEM private key file (required with tls_cert) */
    int max_sessions;      /* default 256 */
    int session_idle_s;    /* idle timeout, default 1800 */
    int cache_bags;        /* bags kept rendered in memory, default 32 */
    int sim_threads;       /* threads per simulated bag, default 1 */
    int atr;               /* 1 (default): automatic threat recognition on every bag */
    /* the recognition's operating point per class (explosive, weapon, dense),
     * 0..1: alarm at score >= 1 - sensitivity; default 0.5 each */
    double atr_sensitivity[LC_ATR_CLASSES];
    char site_name[128];            /* key name of the site's audit checkpoints; default
                                       "lucent.station". The keys live in DATA/keys (made there
                                       on first start when missing, or by `lucent keys init`) */
    char key_passphrase_file[4096]; /* first line: passphrase of sealed site keys ("" none) */
    int checkpoint_every;           /* sign an audit checkpoint every N events; default 64 */
    double retention_days; /* erase scans with no alarm after this many days (crypto-erasure:
                              their keys are destroyed, docs/trust.md); fractions allowed;
                              0 = keep forever; default 30 */
} lc_station_config;

/* Fills cfg with the defaults above. */
void lc_station_config_init(lc_station_config *cfg);

/* Reads a JSON configuration file into cfg (keys as the fields above; unknown
 * keys and wrong types are refused naming the key). Keys absent from the file
 * keep their value in cfg. Returns LC_OK, LC_ERR_IO, LC_ERR_FORMAT. */
LC_MUST_CHECK lc_status lc_station_config_load(const char *path, lc_station_config *cfg,
                                               lc_error *err);

typedef struct lc_station lc_station;

/* A log line from the station's threads (never holding a secret). The
 * library never prints: the program passes a function that does. */
typedef void (*lc_station_log_fn)(void *user, const char *line);

/* Opens the store under cfg->data_dir, recovers from an earlier crash
 * (removes scan folders that have no index row), starts the pipeline and the
 * HTTP server. cfg is copied. log may be NULL. Caller owns *out; stop with
 * lc_station_stop(). Returns LC_OK, LC_ERR_ARG (bad configuration), LC_ERR_IO
 * (cannot listen, cannot open the store or TLS files), LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_station_start(const lc_station_config *cfg, lc_station_log_fn log,
                                         void *log_user, lc_station **out, lc_error *err);

/* The port the server listens on (useful with port 0). */
int lc_station_port(const lc_station *st);

/* Stops accepting requests, finishes the bag in progress, records a
 * "station.stop" event, and frees everything. NULL is a no-op. */
void lc_station_stop(lc_station *st);

/* Exports one stored scan (bag id scan_id) of the data folder data_dir as
 * plain DICOS files into folder out_dir (created if missing; files of the same
 * names are replaced), for an auditor or an investigation. Every sealed file
 * is opened with the site keys of data_dir/keys (passphrase NULL or "" for
 * keys stored unsealed) and checked before anything is written; then a
 * "scan.export" event (scan, row, folder, files, sealed) is recorded in the
 * index under actor (the station appends it to the audit log, at once when
 * it runs, else at its next start); then the files are written. A scan stored
 * in the clear is copied. *n_files (may be NULL) receives the number written.
 * Returns LC_OK, LC_ERR_NOT_FOUND (no such scan), LC_ERR_STATE (erased by
 * retention), LC_ERR_FORMAT (a file does not open; no file written, no
 * event), LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_station_export(const char *data_dir, const char *passphrase,
                                          const char *scan_id, const char *out_dir,
                                          const char *actor, size_t *n_files, lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
