/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c: the station's SQLite index (lucent/store.h): schema, accounts with
 * Argon2id password hashes, scan rows, decisions, events with canonical JSON
 * bodies, and the screening statistics (TIP hit rate, false-alarm rate, d').
 *
 * Durability: WAL journal with synchronous=FULL, every write in one
 * BEGIN IMMEDIATE ... COMMIT transaction together with its event, so a row and
 * its event are both present or both absent after a crash. One connection per
 * store, serialised by a mutex; other processes (`lucent user add` while the
 * station runs) are handled by SQLite's file locks and a busy timeout.
 */
#define _DEFAULT_SOURCE /* gettimeofday */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "lucent/store.h"
#include "util/util.h"

#define SCHEMA_VERSION 2
#define SQRT2          1.41421356237309504880
#define PI             3.14159265358979323846

struct lc_store {
    sqlite3 *db;
    pthread_mutex_t mu;
    char data_dir[4096];
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown names */
    lc_audit *audit;                         /* NULL until lc_store_audit_attach */
    const lc_site_keys *keys;                /* borrowed; signs checkpoints */
    uint64_t ckpt_every, since_ckpt;
    char build_sha[65], atr_sha[65];
    int wal_pending; /* an erasure's WAL truncation failed: retry (lc_store_purge) */
};

static int64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static const char *const role_names[] = {"screener", "supervisor", "auditor", "admin"};

const char *lc_role_name(lc_role role)
{
    if ((int)role < 0 || (int)role > 3)
        return "?";
    return role_names[role];
}

lc_status lc_role_parse(const char *name, lc_role *out)
{
    for (int i = 0; name && i < 4; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (lc_role)i;
            return LC_OK;
        }
    }
    return LC_ERR_ARG;
}

const char *lc_decision_name(lc_decision d)
{
    switch (d) {
    case LC_DECISION_CLEAR:
        return "clear";
    case LC_DECISION_SEARCH:
        return "search";
    default:
        return "none";
    }
}

int lc_user_name_valid(const char *name)
{
    if (!name)
        return 0;
    size_t n = strlen(name);
    if (n < 1 || n >= LC_USER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Reports a SQLite failure: what we were doing plus SQLite's message (which
 * never holds bound values, so no secret can leak through it). */
static lc_status db_fail(lc_store *st, lc_error *err, const char *what)
{
    return lc_error_set(err, LC_ERR_IO, "%s/lucent.db: %s: %s", st->data_dir, what,
                        sqlite3_errmsg(st->db));
}

static int exec(lc_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " role INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 1, pwhash TEXT NOT NULL,"
    " created_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS scans(id INTEGER PRIMARY KEY, scan_id TEXT UNIQUE NOT NULL,"
    " dir TEXT NOT NULL, acquired_us INTEGER NOT NULL, stored_us INTEGER NOT NULL,"
    " n_views INTEGER NOT NULL, atr_alarms INTEGER NOT NULL, gt_threat INTEGER NOT NULL,"
    " tip INTEGER NOT NULL, tip_threat TEXT NOT NULL, decision INTEGER NOT NULL DEFAULT 0,"
    " decided_by TEXT NOT NULL DEFAULT '', decided_us INTEGER NOT NULL DEFAULT 0,"
    " process_ms REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS scans_decided ON scans(decided_by, decision);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL,"
    " kind TEXT NOT NULL, actor TEXT NOT NULL, body TEXT NOT NULL);";

/* Schema 2 (encryption at rest): the scans columns an older database lacks
 * are added in place, so a data folder of clear-text scans still opens; its
 * rows read as sealed = 0. Inside the caller's transaction. */
static lc_status migrate(lc_store *st, lc_error *err)
{
    static const char *const cols[][2] = {
        {"sealed", "ALTER TABLE scans ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;"},
        {"wrapped_key", "ALTER TABLE scans ADD COLUMN wrapped_key BLOB;"},
        {"erased_us", "ALTER TABLE scans ADD COLUMN erased_us INTEGER NOT NULL DEFAULT 0;"},
        {"erase_reason", "ALTER TABLE scans ADD COLUMN erase_reason TEXT NOT NULL DEFAULT '';"}};
    int have[4] = {0};
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA table_info(scans)", -1, &q, NULL) != SQLITE_OK)
        return db_fail(st, err, "cannot read the scans table");
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 1);
        for (int i = 0; name && i < 4; i++)
            if (strcmp(name, cols[i][0]) == 0)
                have[i] = 1;
    }
    sqlite3_finalize(q);
    for (int i = 0; i < 4; i++)
        if (!have[i] && exec(st, cols[i][1]) != SQLITE_OK)
            return db_fail(st, err, "cannot add a column to the scans table");
    return LC_OK;
}

lc_status lc_store_open(const char *data_dir, lc_store **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!data_dir || !out || !*data_dir)
        return lc_error_set(err, LC_ERR_ARG, "store: no data folder given");
    if (sodium_init() < 0)
        return lc_error_set(err, LC_ERR_STATE, "store: libsodium failed to initialise");
    lc_status s = lc__mkdir_p(data_dir, err);
    if (s != LC_OK)
        return s;
    lc_store *st = lc__calloc(1, sizeof *st);
    if (!st)
        return lc_error_set(err, LC_ERR_NOMEM, "store: out of memory");
    if (!lc__strlcpy(st->data_dir, data_dir, sizeof st->data_dir)) {
        free(st);
        return lc_error_set(err, LC_ERR_ARG, "store: data folder path too long");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/lucent.db", data_dir);
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        s = lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path,
                         st->db ? sqlite3_errmsg(st->db) : "out of memory");
        sqlite3_close(st->db);
        free(st);
        return s;
    }
    pthread_mutex_init(&st->mu, NULL);
    sqlite3_busy_timeout(st->db, 10000);
    if (exec(st, "PRAGMA journal_mode=WAL;") != SQLITE_OK ||
        exec(st, "PRAGMA synchronous=FULL;") != SQLITE_OK ||
        exec(st, "PRAGMA secure_delete=ON;") != SQLITE_OK ||
        exec(st, "BEGIN IMMEDIATE;") != SQLITE_OK) {
        s = db_fail(st, err, "cannot set up the journal");
        lc_store_close(st);
        return s;
    }
    if (exec(st, schema_sql) != SQLITE_OK) {
        s = db_fail(st, err, "cannot create the schema (corrupt database?)");
        exec(st, "ROLLBACK;");
        lc_store_close(st);
        return s;
    }
    sqlite3_stmt *q = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key='schema'", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        version = atoi((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (version > SCHEMA_VERSION) {
        exec(st, "ROLLBACK;");
        lc_store_close(st);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: schema version %d is newer than this lucent",
                            path, version);
    }
    if ((s = migrate(st, err)) != LC_OK) {
        exec(st, "ROLLBACK;");
        lc_store_close(st);
        return s;
    }
    if (version < SCHEMA_VERSION &&
        exec(st, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema', '2');") != SQLITE_OK) {
        s = db_fail(st, err, "cannot write the schema version");
        exec(st, "ROLLBACK;");
        lc_store_close(st);
        return s;
    }
    if (exec(st, "COMMIT;") != SQLITE_OK) {
        s = db_fail(st, err, "cannot commit the schema");
        lc_store_close(st);
        return s;
    }
    /* A hash of a random password, so that checking an unknown name costs as
     * much as checking a known one. */
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    if (crypto_pwhash_str(st->dummy_hash, (const char *)rnd, sizeof rnd,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        lc_store_close(st);
        return lc_error_set(err, LC_ERR_NOMEM, "store: password hashing ran out of memory");
    }
    *out = st;
    return LC_OK;
}

void lc_store_close(lc_store *st)
{
    if (!st)
        return;
    if (st->audit) {
        /* A last checkpoint covers every event of this run. */
        if (lc_audit_checkpoint(st->audit, st->keys, NULL, NULL) != LC_OK) {
            /* nothing more to do: the entries themselves are durable */
        }
        lc_audit_close(st->audit);
    }
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

const char *lc_store_data_dir(const lc_store *st)
{
    return st ? st->data_dir : "";
}

/* ---------------------------------------------------------------- events */

/* Inserts one event inside the caller's transaction. The body is canonical
 * JSON: the fields of detail (an object or NULL) plus v, id, t, kind, actor,
 * compact with sorted keys, so the same event always has the same bytes. */
static lc_status event_insert(lc_store *st, const char *kind, const char *actor, json_t *detail,
                              lc_error *err)
{
    int64_t id = 1, t = now_us();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT COALESCE(MAX(id), 0) + 1 FROM events", -1, &q, NULL) !=
        SQLITE_OK)
        return db_fail(st, err, "events");
    if (sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);

    json_t *body = detail ? json_deep_copy(detail) : json_object();
    if (!body)
        return lc_error_set(err, LC_ERR_NOMEM, "events: out of memory");
    json_object_set_new(body, "v", json_integer(1));
    json_object_set_new(body, "id", json_integer(id));
    json_object_set_new(body, "t", json_integer(t));
    json_object_set_new(body, "kind", json_string(kind));
    json_object_set_new(body, "actor", json_string(actor ? actor : ""));
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(body);
    if (!text)
        return lc_error_set(err, LC_ERR_NOMEM, "events: out of memory");
    lc_status s = LC_OK;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO events(id, ts_us, kind, actor, body) VALUES(?,?,?,?,?)", -1,
                           &q, NULL) != SQLITE_OK) {
        free(text);
        return db_fail(st, err, "events");
    }
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, t);
    sqlite3_bind_text(q, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, actor ? actor : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        s = db_fail(st, err, "cannot append an event");
    sqlite3_finalize(q);
    free(text);
    return s;
}

/* Begins a write transaction; on failure reports and returns the status. */
static lc_status begin(lc_store *st, lc_error *err)
{
    if (exec(st, "BEGIN IMMEDIATE;") != SQLITE_OK)
        return db_fail(st, err, "cannot begin a transaction");
    return LC_OK;
}

static lc_status audit_sync(lc_store *st, lc_error *err);

/* Commits when s is LC_OK, rolls back otherwise; returns the final status.
 * After a commit, the new events go to the audit log before returning. */
static lc_status finish(lc_store *st, lc_status s, lc_error *err)
{
    if (s == LC_OK) {
        if (exec(st, "COMMIT;") != SQLITE_OK) {
            s = db_fail(st, err, "cannot commit");
            exec(st, "ROLLBACK;");
        } else {
            s = audit_sync(st, err);
        }
    } else {
        exec(st, "ROLLBACK;");
    }
    return s;
}

/* Appends to the audit log every committed event it does not hold yet (event
 * id N is leaf N-1), and signs a checkpoint when due. Caller holds st->mu or
 * owns st exclusively. */
static lc_status audit_sync(lc_store *st, lc_error *err)
{
    if (!st->audit)
        return LC_OK;
    uint64_t have = lc_audit_size(st->audit);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT id, body FROM events WHERE id > ? ORDER BY id", -1, &q,
                           NULL) != SQLITE_OK)
        return db_fail(st, err, "audit: cannot read events");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)have);
    lc_status s = LC_OK;
    int rc;
    while (s == LC_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const void *body = sqlite3_column_blob(q, 1);
        int len = sqlite3_column_bytes(q, 1);
        if ((uint64_t)id != lc_audit_size(st->audit) + 1) {
            s = lc_error_set(err, LC_ERR_FORMAT,
                             "audit: event %lld follows leaf %llu: the event index has a gap",
                             (long long)id, (unsigned long long)lc_audit_size(st->audit));
            break;
        }
        s = lc_audit_append(st->audit, body, (size_t)len, NULL, err);
        if (s == LC_OK && st->ckpt_every && ++st->since_ckpt >= st->ckpt_every) {
            s = lc_audit_checkpoint(st->audit, st->keys, NULL, err);
            st->since_ckpt = 0;
        }
    }
    sqlite3_finalize(q);
    return s;
}

lc_status lc_store_audit_attach(lc_store *st, const lc_site_keys *keys, uint64_t checkpoint_every,
                                lc_error *err)
{
    if (!st || !keys)
        return lc_error_set(err, LC_ERR_ARG, "audit: no store or no keys");
    char path[4200];
    snprintf(path, sizeof path, "%s/audit.log", st->data_dir);
    pthread_mutex_lock(&st->mu);
    lc_status s = LC_OK;
    if (st->audit) {
        s = lc_error_set(err, LC_ERR_STATE, "audit: already attached");
        goto out;
    }
    if ((s = lc_audit_open(path, &st->audit, NULL, err)) != LC_OK)
        goto out;
    st->keys = keys;
    st->ckpt_every = checkpoint_every;
    sqlite3_stmt *q = NULL;
    int64_t max_id = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT COALESCE(MAX(id), 0) FROM events", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        max_id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (lc_audit_size(st->audit) > (uint64_t)max_id) {
        s = lc_error_set(err, LC_ERR_FORMAT,
                         "%s: holds %llu entries but the index only %lld events: the index "
                         "lost events",
                         path, (unsigned long long)lc_audit_size(st->audit), (long long)max_id);
    } else {
        s = audit_sync(st, err);
    }
    if (s == LC_OK)
        s = lc_audit_checkpoint(st->audit, keys, NULL, err);
    if (s != LC_OK) {
        lc_audit_close(st->audit);
        st->audit = NULL;
        st->keys = NULL;
    }
out:
    pthread_mutex_unlock(&st->mu);
    return s;
}

lc_status lc_store_audit_checkpoint(lc_store *st, lc_error *err)
{
    if (!st || !st->audit)
        return LC_OK;
    pthread_mutex_lock(&st->mu);
    lc_status s = lc_audit_checkpoint(st->audit, st->keys, NULL, err);
    st->since_ckpt = 0;
    pthread_mutex_unlock(&st->mu);
    return s;
}

void lc_store_set_provenance(lc_store *st, const char *build_sha256, const char *atr_sha256)
{
    pthread_mutex_lock(&st->mu);
    lc__strlcpy(st->build_sha, build_sha256 ? build_sha256 : "", sizeof st->build_sha);
    lc__strlcpy(st->atr_sha, atr_sha256 ? atr_sha256 : "", sizeof st->atr_sha);
    pthread_mutex_unlock(&st->mu);
}

/* Adds the provenance fields to an event's detail object. */
static void add_provenance(const lc_store *st, json_t *detail)
{
    if (st->build_sha[0])
        json_object_set_new(detail, "build", json_string(st->build_sha));
    if (st->atr_sha[0])
        json_object_set_new(detail, "atr_config", json_string(st->atr_sha));
}

lc_status lc_store_event_add(lc_store *st, const char *kind, const char *actor,
                             const char *detail_json, lc_error *err)
{
    if (!st || !kind)
        return lc_error_set(err, LC_ERR_ARG, "events: missing kind");
    json_t *detail = NULL;
    if (detail_json) {
        detail = json_loads(detail_json, 0, NULL);
        if (!json_is_object(detail)) {
            json_decref(detail);
            return lc_error_set(err, LC_ERR_ARG, "events: detail is not a JSON object");
        }
    }
    pthread_mutex_lock(&st->mu);
    lc_status s = begin(st, err);
    if (s == LC_OK)
        s = finish(st, event_insert(st, kind, actor, detail, err), err);
    pthread_mutex_unlock(&st->mu);
    json_decref(detail);
    return s;
}

lc_status lc_store_event_list_json(lc_store *st, int64_t before_id, size_t max, char **out,
                                   lc_error *err)
{
    *out = NULL;
    if (max > 1000)
        max = 1000;
    if (before_id <= 0)
        before_id = INT64_MAX;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    lc_status s = LC_OK;
    /* The bodies are JSON already: join them into an array without reparsing. */
    size_t cap = 4096, len = 1;
    char *buf = malloc(cap);
    if (!buf) {
        s = lc_error_set(err, LC_ERR_NOMEM, "events: out of memory");
        goto done;
    }
    buf[0] = '[';
    if (sqlite3_prepare_v2(st->db, "SELECT body FROM events WHERE id < ? ORDER BY id DESC LIMIT ?",
                           -1, &q, NULL) != SQLITE_OK) {
        s = db_fail(st, err, "events");
        goto done;
    }
    sqlite3_bind_int64(q, 1, before_id);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
    int first = 1;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *b = (const char *)sqlite3_column_text(q, 0);
        size_t bl = b ? strlen(b) : 0;
        if (len + bl + 3 > cap) {
            size_t ncap = (len + bl + 3) * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                s = lc_error_set(err, LC_ERR_NOMEM, "events: out of memory");
                goto done;
            }
            buf = nb, cap = ncap;
        }
        if (!first)
            buf[len++] = ',';
        first = 0;
        memcpy(buf + len, b, bl);
        len += bl;
    }
    buf[len++] = ']';
    buf[len] = 0;
done:
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    if (s != LC_OK) {
        free(buf);
        return s;
    }
    *out = buf;
    return LC_OK;
}

/* -------------------------------------------------------------- accounts */

static lc_status check_password(const char *password, lc_error *err)
{
    size_t n = password ? strlen(password) : 0;
    if (n < LC_PASSWORD_MIN || n > LC_PASSWORD_MAX)
        return lc_error_set(err, LC_ERR_ARG, "password must be %d to %d bytes long",
                            LC_PASSWORD_MIN, LC_PASSWORD_MAX);
    return LC_OK;
}

static lc_status hash_password(const char *password, char hash[crypto_pwhash_STRBYTES],
                               lc_error *err)
{
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return lc_error_set(err, LC_ERR_NOMEM, "password hashing ran out of memory");
    return LC_OK;
}

lc_status lc_store_user_add(lc_store *st, const char *name, lc_role role, const char *password,
                            const char *actor, lc_error *err)
{
    if (!st || !lc_user_name_valid(name))
        return lc_error_set(err, LC_ERR_ARG,
                            "account name must be 1 to 32 characters of A-Z a-z 0-9 . _ -");
    if ((int)role < 0 || (int)role > 3)
        return lc_error_set(err, LC_ERR_ARG, "invalid role");
    lc_status s = check_password(password, err);
    if (s != LC_OK)
        return s;
    char hash[crypto_pwhash_STRBYTES];
    /* Hash outside the lock: it takes a tenth of a second on purpose. */
    if ((s = hash_password(password, hash, err)) != LC_OK)
        return s;
    pthread_mutex_lock(&st->mu);
    if ((s = begin(st, err)) != LC_OK)
        goto out;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO users(name, role, active, pwhash, created_us)"
                           " VALUES(?,?,1,?,?)",
                           -1, &q, NULL) != SQLITE_OK) {
        s = finish(st, db_fail(st, err, "users"), err);
        goto out;
    }
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)role);
    sqlite3_bind_text(q, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, now_us());
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_CONSTRAINT)
        s = lc_error_set(err, LC_ERR_STATE, "account '%s' already exists", name);
    else if (rc != SQLITE_DONE)
        s = db_fail(st, err, "cannot add the account");
    if (s == LC_OK) {
        json_t *d = json_pack("{s:s, s:s}", "user", name, "role", lc_role_name(role));
        s = d ? event_insert(st, "user.add", actor, d, err)
              : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        json_decref(d);
    }
    s = finish(st, s, err);
out:
    pthread_mutex_unlock(&st->mu);
    sodium_memzero(hash, sizeof hash);
    return s;
}

lc_status lc_store_user_change(lc_store *st, const char *name, int role, int active,
                               const char *password, const char *actor, lc_error *err)
{
    if (!st || !lc_user_name_valid(name))
        return lc_error_set(err, LC_ERR_ARG, "invalid account name");
    if (role > 3 || active > 1)
        return lc_error_set(err, LC_ERR_ARG, "invalid role or active flag");
    lc_status s;
    char hash[crypto_pwhash_STRBYTES] = {0};
    if (password) {
        if ((s = check_password(password, err)) != LC_OK)
            return s;
        if ((s = hash_password(password, hash, err)) != LC_OK)
            return s;
    }
    pthread_mutex_lock(&st->mu);
    if ((s = begin(st, err)) != LC_OK)
        goto out;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE users SET role = CASE WHEN ?1 >= 0 THEN ?1 ELSE role END,"
                           " active = CASE WHEN ?2 >= 0 THEN ?2 ELSE active END,"
                           " pwhash = CASE WHEN ?3 IS NOT NULL THEN ?3 ELSE pwhash END"
                           " WHERE name = ?4",
                           -1, &q, NULL) != SQLITE_OK) {
        s = finish(st, db_fail(st, err, "users"), err);
        goto out;
    }
    sqlite3_bind_int(q, 1, role);
    sqlite3_bind_int(q, 2, active);
    if (password)
        sqlite3_bind_text(q, 3, hash, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 3);
    sqlite3_bind_text(q, 4, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        s = db_fail(st, err, "cannot change the account");
    else if (sqlite3_changes(st->db) == 0)
        s = lc_error_set(err, LC_ERR_NOT_FOUND, "no account '%s'", name);
    if (s == LC_OK) {
        json_t *d = json_pack("{s:s}", "user", name);
        if (d && role >= 0)
            json_object_set_new(d, "role", json_string(lc_role_name((lc_role)role)));
        if (d && active >= 0)
            json_object_set_new(d, "active", json_boolean(active));
        if (d && password)
            json_object_set_new(d, "password_changed", json_true());
        s = d ? event_insert(st, "user.change", actor, d, err)
              : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        json_decref(d);
    }
    s = finish(st, s, err);
out:
    pthread_mutex_unlock(&st->mu);
    sodium_memzero(hash, sizeof hash);
    return s;
}

static void user_from_row(sqlite3_stmt *q, void *dst)
{
    lc_user_info *u = dst;
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(q, 0);
    lc__strlcpy(u->name, (const char *)sqlite3_column_text(q, 1), sizeof u->name);
    u->role = (lc_role)sqlite3_column_int(q, 2);
    u->active = sqlite3_column_int(q, 3);
    u->created_unix_us = sqlite3_column_int64(q, 4);
}

lc_status lc_store_user_get(lc_store *st, const char *name, lc_user_info *out, lc_error *err)
{
    if (!st || !name)
        return lc_error_set(err, LC_ERR_ARG, "invalid account name");
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    lc_status s = LC_OK;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, name, role, active, created_us FROM users WHERE name = ?",
                           -1, &q, NULL) != SQLITE_OK) {
        s = db_fail(st, err, "users");
    } else {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            user_from_row(q, out);
        else if (rc == SQLITE_DONE)
            s = lc_error_set(err, LC_ERR_NOT_FOUND, "no account '%s'", name);
        else
            s = db_fail(st, err, "users");
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    return s;
}

lc_status lc_store_user_verify(lc_store *st, const char *name, const char *password,
                               lc_user_info *out, lc_error *err)
{
    char hash[crypto_pwhash_STRBYTES];
    lc_user_info u;
    int found = 0;
    memset(&u, 0, sizeof u);
    lc__strlcpy(hash, st->dummy_hash, sizeof hash);
    if (lc_user_name_valid(name)) {
        pthread_mutex_lock(&st->mu);
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(st->db,
                               "SELECT id, name, role, active, created_us, pwhash FROM users"
                               " WHERE name = ?",
                               -1, &q, NULL) != SQLITE_OK) {
            lc_status s = db_fail(st, err, "users");
            pthread_mutex_unlock(&st->mu);
            return s;
        }
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            user_from_row(q, &u);
            const char *h = (const char *)sqlite3_column_text(q, 5);
            if (h && lc__strlcpy(hash, h, sizeof hash))
                found = 1;
        }
        sqlite3_finalize(q);
        pthread_mutex_unlock(&st->mu);
    }
    size_t plen = password ? strlen(password) : 0;
    int ok =
        password && plen <= LC_PASSWORD_MAX && crypto_pwhash_str_verify(hash, password, plen) == 0;
    sodium_memzero(hash, sizeof hash);
    if (!(ok && found && u.active))
        return lc_error_set(err, LC_ERR_ARG, "wrong account name or password");
    *out = u;
    return LC_OK;
}

/* Steps a prepared query to its end, converting each row with from_row into
 * a growing array of elem-byte records. Caller owns *out (free()); on
 * failure *out is NULL. Caller holds st->mu. */
static lc_status collect_rows(lc_store *st, sqlite3_stmt *q, size_t elem,
                              void (*from_row)(sqlite3_stmt *, void *), const char *what,
                              void **out, size_t *n, lc_error *err)
{
    size_t cap = 0, cnt = 0;
    unsigned char *v = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            unsigned char *nv = lc__mallocn(cap, elem);
            if (!nv) {
                free(v);
                return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", what);
            }
            if (cnt)
                memcpy(nv, v, cnt * elem);
            free(v);
            v = nv;
        }
        from_row(q, v + cnt++ * elem);
    }
    if (rc != SQLITE_DONE) {
        free(v);
        return db_fail(st, err, what);
    }
    *out = v;
    *n = cnt;
    return LC_OK;
}

lc_status lc_store_user_list(lc_store *st, lc_user_info **out, size_t *n, lc_error *err)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    void *rows = NULL;
    lc_status s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, name, role, active, created_us FROM users ORDER BY name", -1,
                           &q, NULL) != SQLITE_OK)
        s = db_fail(st, err, "users");
    else
        s = collect_rows(st, q, sizeof **out, user_from_row, "users", &rows, n, err);
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    *out = rows;
    return s;
}

int64_t lc_store_user_count(lc_store *st)
{
    int64_t n = 0;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT COUNT(*) FROM users", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    return n;
}

/* ----------------------------------------------------------------- scans */

#define SCAN_COLS                                                                                  \
    "id, scan_id, dir, acquired_us, stored_us, n_views, atr_alarms, gt_threat, tip, tip_threat,"   \
    " decision, decided_by, decided_us, process_ms, sealed, wrapped_key, erased_us, erase_reason"

static void scan_from_row(sqlite3_stmt *q, void *dst)
{
    lc_scan_row *r = dst;
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q, 0);
    lc__strlcpy(r->scan_id, (const char *)sqlite3_column_text(q, 1), sizeof r->scan_id);
    lc__strlcpy(r->dir, (const char *)sqlite3_column_text(q, 2), sizeof r->dir);
    r->acquired_unix_us = sqlite3_column_int64(q, 3);
    r->stored_unix_us = sqlite3_column_int64(q, 4);
    r->n_views = sqlite3_column_int(q, 5);
    r->atr_alarms = sqlite3_column_int(q, 6);
    r->gt_threat = sqlite3_column_int(q, 7);
    r->tip = sqlite3_column_int(q, 8);
    lc__strlcpy(r->tip_threat, (const char *)sqlite3_column_text(q, 9), sizeof r->tip_threat);
    r->decision = (lc_decision)sqlite3_column_int(q, 10);
    lc__strlcpy(r->decided_by, (const char *)sqlite3_column_text(q, 11), sizeof r->decided_by);
    r->decided_unix_us = sqlite3_column_int64(q, 12);
    r->process_ms = sqlite3_column_double(q, 13);
    r->sealed = sqlite3_column_int(q, 14);
    if (sqlite3_column_bytes(q, 15) == LC_WRAPPED_KEY_SIZE)
        memcpy(r->wrapped_key, sqlite3_column_blob(q, 15), LC_WRAPPED_KEY_SIZE);
    r->erased_unix_us = sqlite3_column_int64(q, 16);
    const char *why = (const char *)sqlite3_column_text(q, 17);
    lc__strlcpy(r->erase_reason, why ? why : "", sizeof r->erase_reason);
}

lc_status lc_store_scan_add(lc_store *st, lc_scan_row *row, lc_error *err)
{
    if (!st || !row || !row->scan_id[0])
        return lc_error_set(err, LC_ERR_ARG, "scans: missing scan id");
    pthread_mutex_lock(&st->mu);
    lc_status s = begin(st, err);
    if (s != LC_OK)
        goto out;
    row->stored_unix_us = now_us();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO scans(scan_id, dir, acquired_us, stored_us, n_views,"
                           " atr_alarms, gt_threat, tip, tip_threat, process_ms, sealed,"
                           " wrapped_key) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK) {
        s = finish(st, db_fail(st, err, "scans"), err);
        goto out;
    }
    sqlite3_bind_text(q, 1, row->scan_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, row->dir, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, row->acquired_unix_us);
    sqlite3_bind_int64(q, 4, row->stored_unix_us);
    sqlite3_bind_int(q, 5, row->n_views);
    sqlite3_bind_int(q, 6, row->atr_alarms);
    sqlite3_bind_int(q, 7, row->gt_threat);
    sqlite3_bind_int(q, 8, row->tip);
    sqlite3_bind_text(q, 9, row->tip_threat, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 10, row->process_ms);
    sqlite3_bind_int(q, 11, row->sealed ? 1 : 0);
    if (row->sealed)
        sqlite3_bind_blob(q, 12, row->wrapped_key, LC_WRAPPED_KEY_SIZE, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 12);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_CONSTRAINT)
        s = lc_error_set(err, LC_ERR_STATE, "scan '%s' is already stored", row->scan_id);
    else if (rc != SQLITE_DONE)
        s = db_fail(st, err, "cannot add the scan");
    if (s == LC_OK) {
        row->id = sqlite3_last_insert_rowid(st->db);
        /* The event says a real bag was stored; whether it carried a TIP
         * projection is not part of it (the stored images never do). */
        json_t *d =
            json_pack("{s:s, s:I, s:s, s:i, s:i}", "scan", row->scan_id, "row", (json_int_t)row->id,
                      "dir", row->dir, "views", row->n_views, "atr_alarms", row->atr_alarms);
        if (d)
            json_object_set_new(d, "sealed", json_boolean(row->sealed));
        if (d)
            add_provenance(st, d);
        s = d ? event_insert(st, "scan.stored", "station", d, err)
              : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        json_decref(d);
    }
    s = finish(st, s, err);
out:
    pthread_mutex_unlock(&st->mu);
    return s;
}

/* One scan row, by row id (scan_id NULL) or by scan id. */
static lc_status scan_one(lc_store *st, int64_t id, const char *scan_id, lc_scan_row *out,
                          lc_error *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    lc_status s = LC_OK;
    if (sqlite3_prepare_v2(st->db,
                           scan_id ? "SELECT " SCAN_COLS " FROM scans WHERE scan_id = ?"
                                   : "SELECT " SCAN_COLS " FROM scans WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK) {
        s = db_fail(st, err, "scans");
    } else {
        if (scan_id)
            sqlite3_bind_text(q, 1, scan_id, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            scan_from_row(q, out);
        else if (rc == SQLITE_DONE && scan_id)
            s = lc_error_set(err, LC_ERR_NOT_FOUND, "no scan '%s'", scan_id);
        else if (rc == SQLITE_DONE)
            s = lc_error_set(err, LC_ERR_NOT_FOUND, "no scan %lld", (long long)id);
        else
            s = db_fail(st, err, "scans");
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    return s;
}

lc_status lc_store_scan_get(lc_store *st, int64_t id, lc_scan_row *out, lc_error *err)
{
    return scan_one(st, id, NULL, out, err);
}

lc_status lc_store_scan_find(lc_store *st, const char *scan_id, lc_scan_row *out, lc_error *err)
{
    if (!scan_id)
        return lc_error_set(err, LC_ERR_ARG, "scans: no scan id");
    return scan_one(st, 0, scan_id, out, err);
}

/* The scan rows `sql` selects with its two parameters bound to arg and max
 * (at most 100,000 rows; max 0 gives none). */
static lc_status scan_rows(lc_store *st, const char *sql, int64_t arg, size_t max,
                           lc_scan_row **out, size_t *n, lc_error *err)
{
    *out = NULL;
    *n = 0;
    if (max == 0)
        return LC_OK;
    if (max > 100000)
        max = 100000;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    void *rows = NULL;
    lc_status s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        s = db_fail(st, err, "scans");
    } else {
        sqlite3_bind_int64(q, 1, arg);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
        s = collect_rows(st, q, sizeof **out, scan_from_row, "scans", &rows, n, err);
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    *out = rows;
    return s;
}

lc_status lc_store_scan_list(lc_store *st, int64_t after_id, size_t max, lc_scan_row **out,
                             size_t *n, lc_error *err)
{
    return scan_rows(st, "SELECT " SCAN_COLS " FROM scans WHERE id > ? ORDER BY id LIMIT ?",
                     after_id, max, out, n, err);
}

int64_t lc_store_scan_latest(lc_store *st)
{
    int64_t n = 0;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT COALESCE(MAX(id), 0) FROM scans", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    return n;
}

lc_status lc_store_scan_expired(lc_store *st, int64_t before_unix_us, size_t max, lc_scan_row **out,
                                size_t *n, lc_error *err)
{
    return scan_rows(st,
                     "SELECT " SCAN_COLS " FROM scans WHERE stored_us < ? AND erased_us = 0"
                     " AND atr_alarms = 0 AND decision <> 2 AND gt_threat <> 1"
                     " ORDER BY id LIMIT ?",
                     before_unix_us, max, out, n, err);
}

/* Copies the WAL into the database and truncates it to zero bytes, when an
 * erasure left key bytes in it. Caller holds st->mu. */
static lc_status purge_wal(lc_store *st, lc_error *err)
{
    if (!st->wal_pending)
        return LC_OK;
    /* Without waiting: a reader that holds the WAL back is retried later,
     * it must not stall the caller for the busy timeout. */
    sqlite3_busy_timeout(st->db, 0);
    int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_busy_timeout(st->db, 10000);
    if (rc != SQLITE_OK)
        return db_fail(st, err, "key erased, but the WAL could not be truncated (retried later)");
    st->wal_pending = 0;
    return LC_OK;
}

lc_status lc_store_purge(lc_store *st, lc_error *err)
{
    if (!st)
        return LC_OK;
    pthread_mutex_lock(&st->mu);
    lc_status s = purge_wal(st, err);
    pthread_mutex_unlock(&st->mu);
    return s;
}

lc_status lc_store_scan_erase(lc_store *st, int64_t id, const char *reason, double retention_days,
                              lc_error *err)
{
    if (!st || !reason || !*reason)
        return lc_error_set(err, LC_ERR_ARG, "scans: erase needs a reason");
    pthread_mutex_lock(&st->mu);
    lc_status s = begin(st, err);
    if (s != LC_OK)
        goto out;
    sqlite3_stmt *q = NULL;
    char scan_id[LC_ID_MAX] = "";
    int sealed = 0, already = 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT scan_id, sealed, erased_us, atr_alarms > 0 OR decision = 2 OR"
                           " gt_threat = 1 FROM scans WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK) {
        s = finish(st, db_fail(st, err, "scans"), err);
        goto out;
    }
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        lc__strlcpy(scan_id, (const char *)sqlite3_column_text(q, 0), sizeof scan_id);
        sealed = sqlite3_column_int(q, 1);
        already = sqlite3_column_int64(q, 2) != 0;
        /* Checked again here, in the transaction, so that a search decided
         * while a sweep runs keeps the bag. */
        if (!already && sqlite3_column_int(q, 3))
            s = lc_error_set(err, LC_ERR_STATE,
                             "scan %lld is kept: it has an alarm or was sent to search",
                             (long long)id);
    } else if (rc == SQLITE_DONE) {
        s = lc_error_set(err, LC_ERR_NOT_FOUND, "no scan %lld", (long long)id);
    } else {
        s = db_fail(st, err, "scans");
    }
    sqlite3_finalize(q);
    if (s != LC_OK || already) {
        s = finish(st, s, err);
        goto out;
    }
    /* NULL the key: with secure_delete the old bytes are zeroed in the page. */
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE scans SET wrapped_key = NULL, erased_us = ?, erase_reason = ?"
                           " WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK) {
        s = finish(st, db_fail(st, err, "scans"), err);
        goto out;
    }
    sqlite3_bind_int64(q, 1, now_us());
    sqlite3_bind_text(q, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, id);
    if (sqlite3_step(q) != SQLITE_DONE)
        s = db_fail(st, err, "cannot erase the scan's key");
    sqlite3_finalize(q);
    if (s == LC_OK) {
        json_t *d = json_pack("{s:s, s:I, s:s, s:f, s:b}", "scan", scan_id, "row", (json_int_t)id,
                              "reason", reason, "retention_days", retention_days, "sealed", sealed);
        s = d ? event_insert(st, "scan.erased", "station", d, err)
              : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        json_decref(d);
    }
    s = finish(st, s, err);
    /* The pages that held the key may still be in the WAL: copy the WAL into
     * the database and truncate it to zero bytes. A reader of another
     * process can hold it back; lc_store_purge tries again. */
    if (s == LC_OK) {
        st->wal_pending = 1;
        s = purge_wal(st, err);
    }
out:
    pthread_mutex_unlock(&st->mu);
    return s;
}

lc_status lc_store_decide(lc_store *st, int64_t id, lc_decision d, const char *user,
                          const char *extra_json, lc_error *err)
{
    if (d != LC_DECISION_CLEAR && d != LC_DECISION_SEARCH)
        return lc_error_set(err, LC_ERR_ARG, "decision must be clear or search");
    if (!lc_user_name_valid(user))
        return lc_error_set(err, LC_ERR_ARG, "invalid account name");
    json_t *extra = NULL;
    if (extra_json) {
        extra = json_loads(extra_json, 0, NULL);
        if (!json_is_object(extra)) {
            json_decref(extra);
            return lc_error_set(err, LC_ERR_ARG, "decision: detail is not a JSON object");
        }
    } else {
        extra = json_object();
        if (!extra)
            return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_lock(&st->mu);
    lc_status s = begin(st, err);
    if (s != LC_OK)
        goto out;
    sqlite3_stmt *q = NULL;
    char scan_id[LC_ID_MAX] = "";
    int64_t t = now_us();
    if (sqlite3_prepare_v2(st->db, "SELECT scan_id, decision, erased_us FROM scans WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK) {
        s = finish(st, db_fail(st, err, "scans"), err);
        goto out;
    }
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        lc__strlcpy(scan_id, (const char *)sqlite3_column_text(q, 0), sizeof scan_id);
        if (sqlite3_column_int(q, 1) != 0)
            s = lc_error_set(err, LC_ERR_STATE, "scan %lld is already decided", (long long)id);
        else if (sqlite3_column_int64(q, 2) != 0)
            s = lc_error_set(err, LC_ERR_STATE, "scan %lld was erased", (long long)id);
    } else if (rc == SQLITE_DONE) {
        s = lc_error_set(err, LC_ERR_NOT_FOUND, "no scan %lld", (long long)id);
    } else {
        s = db_fail(st, err, "scans");
    }
    sqlite3_finalize(q);
    if (s == LC_OK) {
        if (sqlite3_prepare_v2(st->db,
                               "UPDATE scans SET decision = ?, decided_by = ?, decided_us = ?"
                               " WHERE id = ? AND decision = 0",
                               -1, &q, NULL) != SQLITE_OK) {
            s = db_fail(st, err, "scans");
        } else {
            sqlite3_bind_int(q, 1, (int)d);
            sqlite3_bind_text(q, 2, user, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 3, t);
            sqlite3_bind_int64(q, 4, id);
            if (sqlite3_step(q) != SQLITE_DONE)
                s = db_fail(st, err, "cannot record the decision");
            sqlite3_finalize(q);
        }
    }
    if (s == LC_OK) {
        json_object_set_new(extra, "scan", json_string(scan_id));
        json_object_set_new(extra, "row", json_integer(id));
        json_object_set_new(extra, "decision", json_string(lc_decision_name(d)));
        add_provenance(st, extra);
        s = event_insert(st, "decision", user, extra, err);
    }
    s = finish(st, s, err);
out:
    pthread_mutex_unlock(&st->mu);
    json_decref(extra);
    return s;
}

/* ------------------------------------------------------------ statistics */

double lc_normal_quantile(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return NAN;
    /* Newton's method on Phi(z) - p, Phi(z) = erfc(-z / sqrt 2) / 2, from a
     * start that is within a few tenths everywhere; converges to machine
     * precision in a handful of steps. Bisection guards the far tails. */
    double lo = -40.0, hi = 40.0, z = 0.0;
    for (int i = 0; i < 200; i++) {
        double cdf = 0.5 * erfc(-z / SQRT2);
        double f = cdf - p;
        if (f > 0)
            hi = z;
        else
            lo = z;
        double pdf = exp(-0.5 * z * z) / sqrt(2.0 * PI);
        double step = pdf > 1e-300 ? f / pdf : 0.0;
        double nz = z - step;
        if (!(nz > lo && nz < hi) || pdf <= 1e-300)
            nz = 0.5 * (lo + hi);
        if (fabs(nz - z) < 1e-15 * (1.0 + fabs(z))) {
            z = nz;
            break;
        }
        z = nz;
    }
    return z;
}

double lc_dprime(int64_t hits, int64_t n_signal, int64_t false_alarms, int64_t n_noise)
{
    if (n_signal <= 0 || n_noise <= 0)
        return NAN;
    double h = ((double)hits + 0.5) / ((double)n_signal + 1.0);
    double f = ((double)false_alarms + 0.5) / ((double)n_noise + 1.0);
    return lc_normal_quantile(h) - lc_normal_quantile(f);
}

/* A rate as JSON: a number, or null when there is no denominator. */
static json_t *rate(int64_t num, int64_t den)
{
    return den > 0 ? json_real((double)num / (double)den) : json_null();
}

static json_t *finite_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

lc_status lc_store_stats_json(lc_store *st, int64_t since_unix_us, char **out, lc_error *err)
{
    *out = NULL;
    json_t *root = json_object(), *screeners = json_array(), *hours = json_array();
    if (!root || !screeners || !hours) {
        json_decref(root), json_decref(screeners), json_decref(hours);
        return lc_error_set(err, LC_ERR_NOMEM, "stats: out of memory");
    }
    lc_status s = LC_OK;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = NULL;
    /* Totals over every stored scan (stored_us >= since). */
    if (sqlite3_prepare_v2(
            st->db,
            "SELECT COUNT(*), SUM(decision <> 0), SUM(decision = 1), SUM(decision = 2),"
            " SUM(atr_alarms > 0), SUM(tip), SUM(gt_threat = 1 AND tip = 0),"
            " AVG(process_ms), AVG(CASE WHEN decision <> 0 THEN decided_us - stored_us END),"
            " MIN(stored_us), MAX(stored_us), SUM(erased_us <> 0),"
            " SUM(decision = 0 AND erased_us = 0)"
            " FROM scans WHERE stored_us >= ?",
            -1, &q, NULL) != SQLITE_OK) {
        s = db_fail(st, err, "stats");
        goto done;
    }
    sqlite3_bind_int64(q, 1, since_unix_us);
    if (sqlite3_step(q) == SQLITE_ROW) {
        json_t *tot = json_object();
        json_object_set_new(tot, "scans", json_integer(sqlite3_column_int64(q, 0)));
        json_object_set_new(tot, "decided", json_integer(sqlite3_column_int64(q, 1)));
        /* Waiting for a decision: an erased bag cannot be decided any more. */
        json_object_set_new(tot, "pending", json_integer(sqlite3_column_int64(q, 12)));
        json_object_set_new(tot, "cleared", json_integer(sqlite3_column_int64(q, 2)));
        json_object_set_new(tot, "searched", json_integer(sqlite3_column_int64(q, 3)));
        json_object_set_new(tot, "atr_alarm_scans", json_integer(sqlite3_column_int64(q, 4)));
        json_object_set_new(tot, "tip_presented", json_integer(sqlite3_column_int64(q, 5)));
        json_object_set_new(tot, "real_threats", json_integer(sqlite3_column_int64(q, 6)));
        json_object_set_new(tot, "mean_process_ms",
                            sqlite3_column_type(q, 7) == SQLITE_NULL
                                ? json_null()
                                : json_real(sqlite3_column_double(q, 7)));
        json_object_set_new(tot, "mean_decision_s",
                            sqlite3_column_type(q, 8) == SQLITE_NULL
                                ? json_null()
                                : json_real(sqlite3_column_double(q, 8) / 1e6));
        int64_t t0 = sqlite3_column_int64(q, 9), t1 = sqlite3_column_int64(q, 10);
        int64_t n = sqlite3_column_int64(q, 0);
        json_object_set_new(tot, "bags_per_hour",
                            n > 1 && t1 > t0
                                ? json_real((double)(n - 1) * 3.6e9 / (double)(t1 - t0))
                                : json_null());
        json_object_set_new(tot, "erased", json_integer(sqlite3_column_int64(q, 11)));
        json_object_set_new(root, "totals", tot);
    }
    sqlite3_finalize(q);
    q = NULL;

    /* Per screener: TIP hits, false alarms on clean bags, real threats. */
    if (sqlite3_prepare_v2(
            st->db,
            "SELECT decided_by, COUNT(*),"
            " SUM(tip = 1), SUM(tip = 1 AND decision = 2),"
            " SUM(tip = 0 AND gt_threat <> 1 AND atr_alarms = 0),"
            " SUM(tip = 0 AND gt_threat <> 1 AND atr_alarms = 0 AND decision = 2),"
            " SUM(tip = 0 AND gt_threat = 1), SUM(tip = 0 AND gt_threat = 1 AND decision = 2),"
            " AVG(decided_us - stored_us)"
            " FROM scans WHERE decision <> 0 AND decided_us >= ? GROUP BY decided_by"
            " ORDER BY decided_by",
            -1, &q, NULL) != SQLITE_OK) {
        s = db_fail(st, err, "stats");
        goto done;
    }
    sqlite3_bind_int64(q, 1, since_unix_us);
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(q, 1), tip = sqlite3_column_int64(q, 2),
                hit = sqlite3_column_int64(q, 3), clean = sqlite3_column_int64(q, 4),
                fa = sqlite3_column_int64(q, 5), real = sqlite3_column_int64(q, 6),
                realhit = sqlite3_column_int64(q, 7);
        json_t *o = json_object();
        json_object_set_new(o, "user", json_string((const char *)sqlite3_column_text(q, 0)));
        json_object_set_new(o, "decisions", json_integer(n));
        json_object_set_new(o, "tip_presented", json_integer(tip));
        json_object_set_new(o, "tip_hits", json_integer(hit));
        json_object_set_new(o, "hit_rate", rate(hit, tip));
        json_object_set_new(o, "clean_bags", json_integer(clean));
        json_object_set_new(o, "false_alarms", json_integer(fa));
        json_object_set_new(o, "false_alarm_rate", rate(fa, clean));
        json_object_set_new(o, "dprime", finite_or_null(lc_dprime(hit, tip, fa, clean)));
        json_object_set_new(o, "real_threats", json_integer(real));
        json_object_set_new(o, "real_threat_hits", json_integer(realhit));
        json_object_set_new(o, "mean_decision_s", json_real(sqlite3_column_double(q, 8) / 1e6));
        json_array_append_new(screeners, o);
    }
    sqlite3_finalize(q);
    q = NULL;

    /* Throughput: bags stored per hour over the last 24 hours, oldest first. */
    int64_t now = now_us(), hour = 3600LL * 1000000;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT (stored_us - ?1) / ?2, COUNT(*), SUM(decision = 2),"
                           " SUM(atr_alarms > 0) FROM scans WHERE stored_us >= ?1"
                           " GROUP BY 1 ORDER BY 1",
                           -1, &q, NULL) != SQLITE_OK) {
        s = db_fail(st, err, "stats");
        goto done;
    }
    int64_t start = now - 24 * hour;
    sqlite3_bind_int64(q, 1, start);
    sqlite3_bind_int64(q, 2, hour);
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *o = json_pack("{s:I, s:I, s:I, s:I}", "hour_start_us",
                              (json_int_t)(start + sqlite3_column_int64(q, 0) * hour), "scans",
                              (json_int_t)sqlite3_column_int64(q, 1), "searched",
                              (json_int_t)sqlite3_column_int64(q, 2), "atr_alarms",
                              (json_int_t)sqlite3_column_int64(q, 3));
        if (o)
            json_array_append_new(hours, o);
    }
done:
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    json_object_set_new(root, "screeners", screeners);
    json_object_set_new(root, "hours", hours);
    if (s == LC_OK) {
        *out = json_dumps(root, JSON_COMPACT);
        if (!*out)
            s = lc_error_set(err, LC_ERR_NOMEM, "stats: out of memory");
    }
    json_decref(root);
    return s;
}
