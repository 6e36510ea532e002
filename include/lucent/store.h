/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/store.h: the station's index: accounts, scans, decisions and events,
 * in one SQLite database (DATA/lucent.db) in WAL mode with synchronous=FULL, so
 * a committed row survives kill -9 and power loss. The scan images themselves
 * are DICOS files under DATA/scans/; the index row of a scan is committed only
 * after its files are written and synced (the station's pipeline does that),
 * so every row names a complete scan folder.
 *
 * Accounts: passwords are stored only as Argon2id strings (libsodium
 * crypto_pwhash_str, "interactive" limits); plain passwords are wiped from
 * memory the store owns as soon as they are hashed or checked.
 *
 * Events: every login, decision, account change and station start/stop is an
 * event row whose `body` is canonical JSON (compact, keys sorted) holding the
 * event's id, time, kind, actor and details. The body bytes are what the audit
 * log of issue 7 will use as Merkle leaves, so they never change once written.
 *
 * Thread safety: one lc_store may be used from several threads at once; calls
 * are serialised on an internal mutex (SQLite's connection is not shared).
 */
#ifndef LUCENT_STORE_H
#define LUCENT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"
#include "lucent/scan.h"
#include "lucent/trust.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Account roles. Values are stored in the database: never renumber. */
typedef enum lc_role {
    LC_ROLE_SCREENER = 0,   /* watches bags, clears or sends to search */
    LC_ROLE_SUPERVISOR = 1, /* statistics, manages screener accounts, may also screen */
    LC_ROLE_AUDITOR = 2,    /* reads the event history */
    LC_ROLE_ADMIN = 3       /* manages every account */
} lc_role;

/* Name of a role ("screener", ...); "?" for an invalid value. */
const char *lc_role_name(lc_role role);
/* Parses a role name; returns LC_OK or LC_ERR_ARG. */
lc_status lc_role_parse(const char *name, lc_role *out);

/* Account names: 1..32 characters of [A-Za-z0-9._-]. Passwords: 8..256 bytes. */
#define LC_USER_NAME_MAX 33
#define LC_PASSWORD_MIN  8
#define LC_PASSWORD_MAX  256

/* Returns 1 when name is an acceptable account name, else 0. */
int lc_user_name_valid(const char *name);

typedef struct lc_store lc_store;

/* Opens (creating when missing) DATA/lucent.db under data_dir, which is
 * created if missing, and brings the schema up to date. Caller owns *out; close
 * with lc_store_close(). On failure *out is NULL. Returns LC_OK, LC_ERR_IO
 * (folder or database cannot be opened or is corrupt), LC_ERR_FORMAT (a
 * database of a newer schema), LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_store_open(const char *data_dir, lc_store **out, lc_error *err);

/* Closes the database. NULL is a no-op. */
void lc_store_close(lc_store *st);

/* The data folder the store was opened on (borrowed for the store's life). */
const char *lc_store_data_dir(const lc_store *st);

/* ----------------------------------------------------------------------- */
/* Accounts                                                                */
/* ----------------------------------------------------------------------- */

typedef struct lc_user_info {
    int64_t id;
    char name[LC_USER_NAME_MAX];
    lc_role role;
    int active; /* 0: disabled, cannot log in */
    int64_t created_unix_us;
} lc_user_info;

/* Adds an account. password is borrowed and not kept. actor names who did it
 * (an account name, or "cli" for `lucent user add`); it is recorded in a
 * "user.add" event in the same transaction. Returns LC_OK, LC_ERR_ARG (bad
 * name, role or password length), LC_ERR_STATE (name taken), LC_ERR_IO,
 * LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_store_user_add(lc_store *st, const char *name, lc_role role,
                                          const char *password, const char *actor, lc_error *err);

/* Changes an account: role (when role >= 0), active flag (when active >= 0)
 * and password (when non-NULL). Recorded as a "user.change" event naming what
 * changed (never the password). Returns LC_OK, LC_ERR_NOT_FOUND, LC_ERR_ARG,
 * LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_user_change(lc_store *st, const char *name, int role, int active,
                                             const char *password, const char *actor,
                                             lc_error *err);

/* Looks an account up by name. Returns LC_OK or LC_ERR_NOT_FOUND, LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_user_get(lc_store *st, const char *name, lc_user_info *out,
                                          lc_error *err);

/* Checks a password. Takes the same time whether or not the account exists
 * (a dummy hash is verified for unknown names). Returns LC_OK and fills *out
 * when the account exists, is active and the password matches; LC_ERR_ARG
 * otherwise (one status for every kind of refusal); LC_ERR_IO. Records no
 * event: the caller (the station) records the login with its client. */
LC_MUST_CHECK lc_status lc_store_user_verify(lc_store *st, const char *name, const char *password,
                                             lc_user_info *out, lc_error *err);

/* All accounts ordered by name. Caller owns *out (free()); *n is its length. */
LC_MUST_CHECK lc_status lc_store_user_list(lc_store *st, lc_user_info **out, size_t *n,
                                           lc_error *err);

/* Number of accounts (0 on error). */
int64_t lc_store_user_count(lc_store *st);

/* ----------------------------------------------------------------------- */
/* Scans and decisions                                                     */
/* ----------------------------------------------------------------------- */

typedef enum lc_decision {
    LC_DECISION_NONE = 0,  /* not decided yet */
    LC_DECISION_CLEAR = 1, /* the screener cleared the bag */
    LC_DECISION_SEARCH = 2 /* the screener sent the bag to a hand search */
} lc_decision;

/* "none", "clear", "search". */
const char *lc_decision_name(lc_decision d);

/* One scan's index row. */
typedef struct lc_scan_row {
    int64_t id;               /* index row id, increasing with arrival */
    char scan_id[LC_ID_MAX];  /* operator-facing bag id */
    char dir[256];            /* scan folder relative to the data folder */
    int64_t acquired_unix_us; /* when the bag's last line was read out */
    int64_t stored_unix_us;   /* when the row was committed */
    int n_views;
    int atr_alarms;      /* alarms from recognition (0 while atr does not exist) */
    int gt_threat;       /* ground truth: 1 threat, 0 none, -1 unknown (real bags) */
    int tip;             /* 1 when a fictional threat was projected into it */
    char tip_threat[32]; /* what was projected ("" unless tip) */
    lc_decision decision;
    char decided_by[LC_USER_NAME_MAX];
    int64_t decided_unix_us;
    double process_ms; /* acquisition end to stored */
    /* Encryption at rest (docs/trust.md). sealed = 1: every file of the scan
     * is sealed (lc_seal) under its own key, stored here wrapped under the
     * site data key (lc_key_wrap); 0: a scan stored in the clear by an older
     * lucent (or a station without keys), readable as such and flagged. */
    int sealed;
    uint8_t wrapped_key[LC_WRAPPED_KEY_SIZE]; /* meaningful when sealed and not erased */
    int64_t erased_unix_us; /* 0, or when the scan was erased (its key destroyed) */
    char erase_reason[32];  /* why ("retention"), "" unless erased */
} lc_scan_row;

/* Inserts a scan row (row->id and stored_unix_us are set by the store) and a
 * "scan.stored" event, in one transaction. The wrapped key is stored when
 * row->sealed is 1 (the event says "sealed" but never holds the key).
 * Returns LC_OK, LC_ERR_STATE (scan_id already present), LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_scan_add(lc_store *st, lc_scan_row *row, lc_error *err);

/* Reads one row by its scan (bag) id. Returns LC_OK, LC_ERR_NOT_FOUND,
 * LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_scan_find(lc_store *st, const char *scan_id, lc_scan_row *out,
                                           lc_error *err);

/* Reads one row by id. Returns LC_OK, LC_ERR_NOT_FOUND, LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_scan_get(lc_store *st, int64_t id, lc_scan_row *out,
                                          lc_error *err);

/* Rows with id > after_id, oldest first, at most max. Caller owns *out
 * (free()). */
LC_MUST_CHECK lc_status lc_store_scan_list(lc_store *st, int64_t after_id, size_t max,
                                           lc_scan_row **out, size_t *n, lc_error *err);

/* The id of the newest scan row (0 when there is none or on error). */
int64_t lc_store_scan_latest(lc_store *st);

/* Crypto-erasure of scan id: in one transaction its wrapped key is
 * overwritten with NULL, the row marked erased (now, reason) and a
 * "scan.erased" event recorded (scan, row, reason, retention_days, sealed);
 * then the WAL is checkpointed and truncated. The database runs with
 * secure_delete on, so the key bytes leave no copy in free pages or the WAL.
 * The caller deletes the files afterwards (key first, then files: a crash in
 * between leaves files nobody can open, which recovery removes). Erasing an
 * erased scan is a no-op (LC_OK, no event). A scan with a machine alarm, sent
 * to search or known to hold a threat is kept (LC_ERR_STATE; checked in the
 * same transaction, so a decision made while a sweep runs wins). An erased
 * scan cannot be decided (lc_store_decide: LC_ERR_STATE). Returns LC_OK,
 * LC_ERR_NOT_FOUND, LC_ERR_STATE, LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_scan_erase(lc_store *st, int64_t id, const char *reason,
                                            double retention_days, lc_error *err);

/* Retries the WAL truncation of an earlier erasure that another reader held
 * back (a no-op otherwise). Returns LC_OK or LC_ERR_IO (still held back). */
LC_MUST_CHECK lc_status lc_store_purge(lc_store *st, lc_error *err);

/* Rows a retention sweep may erase: stored before before_unix_us, not
 * erased, with no machine alarm (atr_alarms == 0), not sent to search by a
 * screener (undecided or cleared) and not a bag known to hold a real threat
 * (gt_threat == 1). Oldest first, at most max. Caller owns *out (free()). */
LC_MUST_CHECK lc_status lc_store_scan_expired(lc_store *st, int64_t before_unix_us, size_t max,
                                              lc_scan_row **out, size_t *n, lc_error *err);

/* Records a screener's decision on scan id, with the event (kind "decision",
 * the detail JSON object `extra` merged in when non-NULL, e.g. the TIP
 * outcome), in one transaction. A scan is decided once. Returns LC_OK,
 * LC_ERR_NOT_FOUND, LC_ERR_STATE (already decided), LC_ERR_ARG, LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_decide(lc_store *st, int64_t id, lc_decision d, const char *user,
                                        const char *extra_json, lc_error *err);

/* ----------------------------------------------------------------------- */
/* Events                                                                  */
/* ----------------------------------------------------------------------- */

/* Appends an event. kind is a short dotted name ("login.ok"); actor an account
 * name or "station"/"cli"; detail_json a JSON object (may be NULL) whose keys
 * are merged into the body. Returns LC_OK, LC_ERR_ARG (detail not an object),
 * LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_store_event_add(lc_store *st, const char *kind, const char *actor,
                                           const char *detail_json, lc_error *err);

/* Events with id < before_id (0: from the newest), newest first, at most max,
 * as a JSON array text of their bodies. Caller owns *out (free()). */
LC_MUST_CHECK lc_status lc_store_event_list_json(lc_store *st, int64_t before_id, size_t max,
                                                 char **out, lc_error *err);

/* ----------------------------------------------------------------------- */
/* Statistics                                                              */
/* ----------------------------------------------------------------------- */

/* Statistics as a JSON object text (docs/api.md, GET /api/stats): totals,
 * alarms, decisions, throughput per hour over the last day, and per screener
 * the TIP hit rate, false-alarm rate and d'. since_unix_us limits it to
 * decisions after that time (0: all). Caller owns *out (free()). */
LC_MUST_CHECK lc_status lc_store_stats_json(lc_store *st, int64_t since_unix_us, char **out,
                                            lc_error *err);

/* Signal detection sensitivity d' = z(H) - z(F) from hits of n_signal TIP
 * presentations and false alarms of n_noise clean bags, with the log-linear
 * correction (count + 0.5) / (n + 1) so rates of 0 and 1 stay finite. Returns
 * NAN when either n is 0. */
double lc_dprime(int64_t hits, int64_t n_signal, int64_t false_alarms, int64_t n_noise);

/* The standard normal quantile z with Phi(z) = p, 0 < p < 1 (NAN outside). */
double lc_normal_quantile(double p);

/* ------------------------------------------------------------------------ */
/* Audit log and provenance (issue 7)                                       */
/* ------------------------------------------------------------------------ */

/* Attaches the tamper-evident audit log DATA/audit.log (lucent/trust.h):
 * every event committed from now on is appended to it (durably) before the
 * committing call returns, so an acknowledged event is in the log. Events
 * already in the index but not yet in the log (made by `lucent user` while
 * the station was down, or cut off by a crash between commit and append)
 * are appended first, in id order: event id N is leaf N-1. A gap in the ids
 * or a log longer than the index is refused (LC_ERR_FORMAT): one of them was
 * tampered with. A checkpoint signed with keys (borrowed until the store is
 * closed) is written every checkpoint_every events (0 = only on request and
 * at close). */
LC_MUST_CHECK lc_status lc_store_audit_attach(lc_store *st, const lc_site_keys *keys,
                                              uint64_t checkpoint_every, lc_error *err);

/* Signs a checkpoint of the audit log now (no-op without an attached log). */
LC_MUST_CHECK lc_status lc_store_audit_checkpoint(lc_store *st, lc_error *err);

/* Provenance stamped on every "scan.stored" and "decision" event: the
 * SHA-256 (hex) of the lucent build that runs and of the recognition
 * configuration that produced the alarms. Copied. */
void lc_store_set_provenance(lc_store *st, const char *build_sha256, const char *atr_sha256);

#ifdef __cplusplus
}
#endif
#endif
