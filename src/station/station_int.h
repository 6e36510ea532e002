/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station_int.h: internals of the station module (not API). The station
 * object, the bag cache shared by the pipeline and the HTTP threads, the
 * request/response pair the API handlers work on (independent of
 * libmicrohttpd, so the handlers can be fuzzed and unit-tested without a
 * socket), sessions, CSRF tokens, login rate limiting, rendering, the feeder
 * interface and threat image projection.
 */
#ifndef LUCENT_STATION_INT_H
#define LUCENT_STATION_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lucent/atr.h"
#include "lucent/chain.h"
#include "lucent/dicos.h"
#include "lucent/scan.h"
#include "lucent/station.h"
#include "lucent/store.h"

#define LC__MAX_VIEWS  4    /* views the console shows */
#define LC__MODES      7    /* rendering modes, keys 1..7 */
#define LC__ATT_SCALE  4096 /* attenuation stored as uint16 A * scale */
#define LC__MAX_ALARMS 32
#define LC__BODY_MAX   65536 /* largest request body accepted */
#define LC__TOKEN_HEX  64    /* session token and CSRF token: 32 random bytes as hex */

/* The embedded console files (generated from web/ by CMakeLists.txt). */
struct lc__web_asset {
    const char *name;
    const unsigned char *data;
    size_t len;
};
extern const struct lc__web_asset lc__web_assets[];

/* Current time, microseconds since the epoch, and a monotonic clock in us. */
int64_t lc__now_us(void);
int64_t lc__mono_us(void);

/* ------------------------------------------------------------ rendering */

/* Mode names in key order ("colour", "grey", ...); NULL past the end. */
const char *lc__mode_name(int mode);
/* Index of a mode name, or -1. */
int lc__mode_parse(const char *name);

/* Attenuation A = -ln((S - dark) / (air - dark)) of both channels of view v,
 * corrected with the view's mean dark and air reference lines (or 0 and the
 * scan's air value / maximum when it has none), as uint16 A * LC__ATT_SCALE in
 * image order. ah and al must hold lines * pixels values. */
void lc__attenuation(const lc_scan *scan, size_t v, uint16_t *ah, uint16_t *al);

/* Encodes an RGB8 image (w x h, row-major) as PNG. Caller owns *out (free()). */
lc_status lc__png_encode(const uint8_t *rgb, uint32_t w, uint32_t h, unsigned char **out,
                         size_t *len, lc_error *err);

/* Renders attenuation planes (w x h) in a mode into rgb (w * h * 3 bytes).
 * cls, when non-NULL, gives each pixel's material class (the chain's
 * lc_class numbering, which lc__material_class shares); NULL derives the
 * class from the two attenuations. */
void lc__render(const uint16_t *ah, const uint16_t *al, const uint8_t *cls, uint32_t w, uint32_t h,
                int mode, uint8_t *rgb);

/* Material class of a pixel from its two attenuations (A * scale): 0 air or
 * too thin to tell, 1 organic, 2 inorganic, 3 metal, 4 impenetrable. */
int lc__material_class(uint16_t ah, uint16_t al);

/* --------------------------------------------------------------- bags */

typedef struct lc__alarm {
    uint32_t view;
    uint32_t box[4]; /* x0, y0, x1, y1 (exclusive) in the view's image */
    char label[64];
} lc__alarm;

/* A processed bag as the console sees it. Reference counted: the cache holds
 * one reference, each HTTP thread using it another (lc__bag_ref/unref under
 * the station's cache lock). The planes are immutable after publication; the
 * PNG cache is guarded by mu. */
typedef struct lc__bag {
    int refs;
    lc_scan_row row;
    int nviews;
    char label[LC__MAX_VIEWS][32];
    uint32_t w[LC__MAX_VIEWS], h[LC__MAX_VIEWS];
    uint16_t *ah[LC__MAX_VIEWS], *al[LC__MAX_VIEWS];
    uint8_t *cls[LC__MAX_VIEWS]; /* material class per pixel from the chain, or NULL */
    pthread_mutex_t mu;
    unsigned char *png[LC__MAX_VIEWS][LC__MODES];
    size_t png_len[LC__MAX_VIEWS][LC__MODES];
    int tip_known;                      /* the projection details are in memory */
    uint32_t tip_box[LC__MAX_VIEWS][4]; /* where the TIP threat was put, per view */
    size_t n_alarms;
    lc__alarm alarms[LC__MAX_ALARMS];
} lc__bag;

/* Makes a bag from a scan (planes computed, nothing rendered yet). With a
 * material table t the chain module calibrates each view (lc_atten_compute)
 * and classifies its pixels (lc_matmap_compute); without one, or when the
 * chain refuses a view, lc__attenuation and the station's own ratio classes
 * are used. Caller owns *out (lc__bag_free). */
lc_status lc__bag_from_scan(const lc_scan *scan, const lc_mattable *t, lc__bag **out,
                            lc_error *err);
void lc__bag_free(lc__bag *bag);
/* The PNG of a view and mode, rendered on first use. Borrowed for the bag's
 * life. */
lc_status lc__bag_png(lc__bag *bag, int view, int mode, const unsigned char **png, size_t *len,
                      lc_error *err);

/* ------------------------------------------------------------- feeder */

/* One acquired bag. The feeder's caller owns scan (lc_scan_free). */
typedef struct lc__feed_item {
    lc_scan *scan;
    int gt_threat;          /* ground truth if known: 1 threat, 0 none, -1 unknown */
    char name[LC_TEXT_MAX]; /* what it is (scene name), for logs */
} lc__feed_item;

/* Where bags come from: the demo simulator now, the corpus generator of
 * issue 5 or a scanner driver later. next() returns the next bag if one is
 * ready (LC_OK), LC_ERR_NOT_FOUND when none is ready yet, or an error. */
typedef struct lc__feeder {
    void *impl;
    lc_status (*next)(void *impl, lc__feed_item *out, lc_error *err);
    void (*free)(void *impl); /* stops its threads and frees */
} lc__feeder;

/* The demo feeder: random procedural bags (and scenes from cfg->scenes_dir),
 * simulated on a background thread into a small queue. When the simulator is
 * slower than the demo rate, next() reuses a recent bag mirrored, so the
 * station still sees the configured rate. */
lc_status lc__demo_feeder_new(const lc_station_config *cfg, lc__feeder *out, lc_error *err);

/* 64-bit random generator (splitmix64) and a uniform double in [0, 1). */
uint64_t lc__rand(uint64_t *state);
double lc__randu(uint64_t *state);

/* ----------------------------------------------------------------- TIP */

/* The library of fictional threats: each simulated once, alone, without
 * noise, giving its transmission per channel and view. */
typedef struct lc__tip_lib lc__tip_lib;

/* Builds the library (simulates every threat; takes a few seconds). */
lc_status lc__tip_lib_new(lc__tip_lib **out, lc_error *err);
void lc__tip_lib_free(lc__tip_lib *lib);
size_t lc__tip_lib_count(const lc__tip_lib *lib);

/* Projects threat k into scan (in place): in every view and channel the
 * transmitted signal above dark is multiplied by the threat's transmission
 * (Beer-Lambert: attenuations add), at a random position along the belt.
 * box[v] receives the threat's box in view v. name gets the threat's name. */
lc_status lc__tip_project(const lc__tip_lib *lib, size_t k, lc_scan *scan, uint64_t *rng,
                          uint32_t box[][4], char name[32], lc_error *err);

/* --------------------------------------------------------- sessions */

typedef struct lc__session {
    int in_use;
    uint8_t token_hash[32]; /* SHA-256 of the cookie token; the token is not kept */
    char csrf[LC__TOKEN_HEX + 1];
    char user[LC_USER_NAME_MAX];
    lc_role role;
    int64_t created_us, last_us;
} lc__session;

typedef struct lc__sessions {
    pthread_mutex_t mu;
    lc__session *v;
    int cap;
    int64_t idle_us, max_age_us;
} lc__sessions;

lc_status lc__sessions_init(lc__sessions *s, int cap, int64_t idle_us, lc_error *err);
void lc__sessions_destroy(lc__sessions *s);
/* Creates a session; token receives the cookie value (hex, NUL-terminated),
 * csrf the CSRF token. When full, the least recently used session is dropped. */
void lc__session_create(lc__sessions *s, const char *user, lc_role role, int64_t now,
                        char token[LC__TOKEN_HEX + 1], char csrf[LC__TOKEN_HEX + 1]);
/* Looks a cookie token up (constant-time compare); refreshes last use. Copies
 * the session into *out. Returns false when unknown or expired. */
bool lc__session_lookup(lc__sessions *s, const char *token, int64_t now, lc__session *out);
/* Ends the session of a token. */
void lc__session_end(lc__sessions *s, const char *token);
/* Ends every session of an account (disabled, role or password changed). */
void lc__session_end_user(lc__sessions *s, const char *user);
/* Constant-time check of a CSRF token sent by the client against the session's. */
bool lc__csrf_ok(const lc__session *se, const char *sent);

/* --------------------------------------------------------- rate limit */

/* Failed logins per key (account name or client address). After `free`
 * failures in a row (LC__RL_FREE for an account name, LC__RL_FREE_ADDR for a
 * client address, which several operators may share) the key is locked for
 * 2^(n - free) seconds, at most LC__RL_MAX_S; a success clears the key. */
#define LC__RL_FREE      5
#define LC__RL_FREE_ADDR 20
#define LC__RL_MAX_S     300
#define LC__RL_SLOTS     1024

typedef struct lc__rl_slot {
    char key[72];
    int fails;
    int64_t last_us, locked_until_us;
} lc__rl_slot;

typedef struct lc__ratelimit {
    pthread_mutex_t mu;
    lc__rl_slot slot[LC__RL_SLOTS];
} lc__ratelimit;

void lc__rl_init(lc__ratelimit *rl);
void lc__rl_destroy(lc__ratelimit *rl);
/* Seconds the key must still wait (0: may try now). */
int lc__rl_wait_s(lc__ratelimit *rl, const char *key, int64_t now);
void lc__rl_fail(lc__ratelimit *rl, const char *key, int64_t now, int free);
void lc__rl_ok(lc__ratelimit *rl, const char *key);

/* --------------------------------------------------------- requests */

/* A request as the handlers see it. All strings borrowed for the call. */
typedef struct lc__req {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* without the query */
    const char *query;        /* "a=1&b=2" (values not percent-decoded), may be "" */
    const char *cookie;       /* the Cookie header or NULL */
    const char *csrf;         /* the X-CSRF-Token header or NULL */
    const char *content_type; /* or NULL */
    const char *origin;       /* the Origin header or NULL */
    const char *host;         /* the Host header or NULL */
    const char *client;       /* client address text */
    const char *body;
    size_t body_len;
    int body_too_large; /* the body exceeded LC__BODY_MAX and was dropped */
} lc__req;

typedef struct lc__resp {
    int status;
    const char *ctype;
    char *body; /* owned (free()) unless body_static */
    const unsigned char *body_static;
    size_t len;
    char set_cookie[256];
    int retry_after_s;
    int cacheable; /* static assets */
    int no_wait;   /* internal */
} lc__resp;

void lc__resp_free(lc__resp *rs);

/* Finds the value of name in a query string into buf (cap bytes). */
bool lc__query_get(const char *query, const char *name, char *buf, size_t cap);

/* ------------------------------------------------------------ station */

struct lc_station {
    lc_station_config cfg;
    lc_store *store;
    lc_site_keys *keys; /* signs audit checkpoints; outlives store */
    lc_station_log_fn log;
    void *log_user;
    struct MHD_Daemon *mhd;
    int port;
    char *tls_cert_pem, *tls_key_pem;

    lc__sessions sessions;
    lc__ratelimit rl;
    pthread_mutex_t hash_mu; /* at most two password hashes at once */
    pthread_cond_t hash_cv;
    int hashing;

    /* bag cache and publication */
    pthread_mutex_t mu;
    pthread_cond_t published;
    lc__bag **cache; /* ring, cfg.cache_bags entries */
    int cache_next;
    int64_t latest_id;
    int stopping;
    int longpoll_max_s; /* longest long-poll wait (25; the fuzz target uses 0) */
    double tip_share;   /* may be changed at run time (supervisor) */

    /* pipeline */
    pthread_t pipe_thread, tip_thread;
    int pipe_running, tip_running;
    lc__feeder feeder;
    int have_feeder;
    lc__tip_lib *tip;
    lc_mattable *table; /* the chain's material table (NULL: station fallback) */
    uint64_t rng;
    int64_t seq;
    double stage_ms[4]; /* last bag: process, analyse, files, index (pipeline thread only) */

    /* retention (retention.c) */
    pthread_t sweep_thread;
    int sweep_running;
};

/* Creates a station without the HTTP server and pipeline (for the API
 * handlers alone: tests and the fuzz target). */
lc_status lc__station_new_headless(const lc_station_config *cfg, lc_station **out, lc_error *err);
/* Frees a station made by lc__station_new_headless or lc_station_start after
 * its threads stopped. */
void lc__station_free(lc_station *st);

/* Log a line through the configured logger (printf-style). */
void lc__log(lc_station *st, const char *fmt, ...) LC_PRINTF(2, 3);

/* Handles one request. Never fails: errors become 4xx/5xx responses. May block
 * up to the long-poll wait on GET /api/bags/next. */
void lc__api_handle(lc_station *st, const lc__req *rq, lc__resp *rs);

/* Bag cache: publishes a bag (takes ownership), and finds one by id with a
 * new reference (loading it from disk when not cached). */
void lc__cache_publish(lc_station *st, lc__bag *bag);
lc_status lc__cache_get(lc_station *st, int64_t id, lc__bag **out, lc_error *err);
void lc__bag_unref(lc_station *st, lc__bag *bag);

/* Runs one bag through process -> analyse -> store -> publish (the pipeline
 * thread's body; exposed for tests). Takes ownership of item->scan. */
lc_status lc__pipeline_bag(lc_station *st, lc__feed_item *item, int64_t acquired_us, lc_error *err);

/* Removes scan folders with no index row (a crash between writing files and
 * committing) and the folders of erased scans (a crash between destroying
 * the key and deleting the files). Returns the number removed. */
int lc__recover(lc_station *st);

/* Removes a folder of plain files (and the folder). */
void lc__remove_dir(const char *path);

/* Drops bag id from the in-memory cache (after its erasure). */
void lc__cache_drop(lc_station *st, int64_t id);

/* The error of an erased scan: LC_ERR_STATE, "erased by <reason> on <date>". */
lc_status lc__erased_error(const lc_scan_row *row, lc_error *err);

/* Reading (and writing) the sealed files of one scan: the scan folder, the
 * identity prefix "scans/<scan id>" and the scan's key (secret: wipe the
 * whole struct with sodium_memzero after use). */
typedef struct lc__sealed_io {
    char dir[4400];
    char ident[300];
    uint8_t key[32];
} lc__sealed_io;

/* Points io at the files of row's scan, DATA_DIR/<row->dir> (its path in
 * sio->dir, which io borrows: sio must outlive io): the folder itself for a
 * clear scan; for a sealed one, row's key is unwrapped with the data key of
 * keys into sio and io seals and opens the files. Returns LC_OK, LC_ERR_STATE
 * (sealed, no keys loaded), LC_ERR_FORMAT (the wrapped key does not open:
 * wrong site key, or altered). The caller wipes sio when done. */
lc_status lc__scan_io_open(const char *data_dir, const lc_site_keys *keys, const lc_scan_row *row,
                           lc__sealed_io *sio, lc_dicos_io *io, lc_error *err);

/* Writes the operator's TDR (tdr_operator.dcs: TDR Type OPERATOR, Alarm
 * Decision ALARM for "search" or CLEAR, the screener's account as the
 * decider, the decision's time) beside the scan's other files, sealed with
 * the scan's own key like them. row must be the decided row (decision,
 * decided_by, decided_unix_us set). The index row stays the record the
 * station works from; this is the decision in the scan's own DICOS set, for
 * export and for other DICOS readers. Returns LC_OK or the failing status. */
lc_status lc__write_operator_tdr(lc_station *st, const lc_scan_row *row, lc_error *err);

/* Retention: erases every scan stored more than cfg.retention_days before
 * now_us that the policy lets go (lc_store_scan_expired): its key first
 * (lc_store_scan_erase, audited), then its files, then its cached bag.
 * Returns the number erased; failures are logged and retried next time. */
int lc__retention_sweep(lc_station *st, int64_t now_us);

/* Starts / stops the retention thread (a sweep at start, then every
 * minute, or sooner for retentions shorter than four minutes). */
void lc__retention_start(lc_station *st);
void lc__retention_stop(lc_station *st);

/* The analyse stage: automatic threat recognition (atr.h) on the scan as
 * acquired (without a TIP projection, so the machine never points at a test
 * threat). *machine is the machine's report of the alarms at or above their
 * thresholds (lc_dicos_tdr_from_atr; free with lc_dicos_tdr_free), or NULL
 * without a material table, with recognition off, or when recognition fails
 * on the scan (logged). */
lc_status lc__analyse(lc_station *st, const lc_scan *scan, lc_dicos_tdr **machine, lc_error *err);

/* The bag's alarm boxes from its machine report: one per threat object and
 * view, labelled with the threat's description; boxes of a view the bag
 * lacks are skipped and coordinates are clamped to the image. NULL: none. */
void lc__bag_alarms_from_tdr(lc__bag *bag, const lc_dicos_tdr *tdr);

#endif
