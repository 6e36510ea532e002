/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store.c: the station's SQLite index (lucent/store.h): accounts and
 * Argon2id verification, refusals, scan rows and decisions, canonical event
 * bodies, persistence across reopening, and the statistics (TIP hit rate,
 * false-alarm rate, d') against numbers computed independently with Python's
 * statistics.NormalDist.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include "lucent/store.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/lc_test_store_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static lc_store *open_store(void)
{
    lc_store *st = NULL;
    lc_error err;
    assert_int_equal(lc_store_open(dir, &st, &err), LC_OK);
    return st;
}

static void test_roles(void **state)
{
    (void)state;
    lc_role r;
    assert_int_equal(lc_role_parse("auditor", &r), LC_OK);
    assert_int_equal(r, LC_ROLE_AUDITOR);
    assert_string_equal(lc_role_name(LC_ROLE_SUPERVISOR), "supervisor");
    assert_int_equal(lc_role_parse("root", &r), LC_ERR_ARG);
    assert_true(lc_user_name_valid("a.b-c_9"));
    assert_false(lc_user_name_valid(""));
    assert_false(lc_user_name_valid("with space"));
    assert_false(lc_user_name_valid("x'; DROP TABLE users;--"));
    assert_false(lc_user_name_valid("abcdefghijabcdefghijabcdefghijabc")); /* 33 */
}

static void test_accounts(void **state)
{
    (void)state;
    lc_store *st = open_store();
    lc_error err;
    lc_user_info u;
    assert_int_equal(lc_store_user_count(st), 0);
    assert_int_equal(lc_store_user_add(st, "alice", LC_ROLE_ADMIN, "correct horse", "cli", &err),
                     LC_OK);
    assert_int_equal(lc_store_user_add(st, "alice", LC_ROLE_SCREENER, "another one", "cli", &err),
                     LC_ERR_STATE);
    assert_int_equal(lc_store_user_add(st, "bob", LC_ROLE_SCREENER, "short", "cli", &err),
                     LC_ERR_ARG);
    assert_int_equal(lc_store_user_add(st, "b b", LC_ROLE_SCREENER, "long enough", "cli", &err),
                     LC_ERR_ARG);
    assert_int_equal(lc_store_user_verify(st, "alice", "correct horse", &u, &err), LC_OK);
    assert_string_equal(u.name, "alice");
    assert_int_equal(u.role, LC_ROLE_ADMIN);
    assert_int_equal(lc_store_user_verify(st, "alice", "correct horsE", &u, &err), LC_ERR_ARG);
    assert_null(strstr(err.msg, "horse")); /* no secret in the message */
    assert_int_equal(lc_store_user_verify(st, "nobody", "correct horse", &u, &err), LC_ERR_ARG);
    assert_int_equal(lc_store_user_verify(st, "alice", "", &u, &err), LC_ERR_ARG);

    /* Disable, re-enable, new password, new role. */
    assert_int_equal(lc_store_user_change(st, "alice", -1, 0, NULL, "cli", &err), LC_OK);
    assert_int_equal(lc_store_user_verify(st, "alice", "correct horse", &u, &err), LC_ERR_ARG);
    assert_int_equal(lc_store_user_change(st, "alice", (int)LC_ROLE_SUPERVISOR, 1, "battery staple",
                                          "cli", &err),
                     LC_OK);
    assert_int_equal(lc_store_user_verify(st, "alice", "correct horse", &u, &err), LC_ERR_ARG);
    assert_int_equal(lc_store_user_verify(st, "alice", "battery staple", &u, &err), LC_OK);
    assert_int_equal(u.role, LC_ROLE_SUPERVISOR);
    assert_int_equal(lc_store_user_change(st, "ghost", -1, 0, NULL, "cli", &err), LC_ERR_NOT_FOUND);

    /* The hash is Argon2id, never the password. */
    lc_store_close(st);
    char cmd[800];
    snprintf(cmd, sizeof cmd,
             "grep -c 'battery staple' '%s/lucent.db' '%s/lucent.db-wal' 2>/dev/null | "
             "grep -v ':0' | wc -l",
             dir, dir);
    FILE *p = popen(cmd, "r");
    int hits = -1;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &hits), 1);
    pclose(p);
    assert_int_equal(hits, 0);

    /* Persistence: a reopened store knows alice. */
    st = open_store();
    assert_int_equal(lc_store_user_count(st), 1);
    assert_int_equal(lc_store_user_get(st, "alice", &u, &err), LC_OK);
    lc_user_info *v = NULL;
    size_t n = 0;
    assert_int_equal(lc_store_user_list(st, &v, &n, &err), LC_OK);
    assert_int_equal(n, 1);
    free(v);

    /* Events: user.add then two user.change, canonical bodies with ids 1..3. */
    char *ev = NULL;
    assert_int_equal(lc_store_event_list_json(st, 0, 10, &ev, &err), LC_OK);
    json_t *arr = json_loads(ev, 0, NULL);
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), 3);
    json_t *first = json_array_get(arr, 2);
    assert_string_equal(json_string_value(json_object_get(first, "kind")), "user.add");
    assert_int_equal(json_integer_value(json_object_get(first, "id")), 1);
    /* Canonical: keys sorted, compact. */
    char *again = json_dumps(first, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    assert_non_null(strstr(ev, again));
    free(again);
    json_t *chg = json_array_get(arr, 0);
    assert_true(json_is_true(json_object_get(chg, "password_changed")));
    assert_null(strstr(ev, "battery"));
    json_decref(arr);
    free(ev);
    assert_int_equal(lc_store_event_add(st, "x", "cli", "[1,2]", &err), LC_ERR_ARG);
    lc_store_close(st);
}

/* The store's statistics, parsed (caller decrefs). */
static json_t *stats_of(lc_store *st)
{
    char *js = NULL;
    lc_error err;
    assert_int_equal(lc_store_stats_json(st, 0, &js, &err), LC_OK);
    json_t *s = json_loads(js, 0, NULL);
    free(js);
    assert_non_null(s);
    return s;
}

/* The integer `key` of the statistics' totals. */
static json_int_t total(json_t *stats, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(stats, "totals"), key));
}

static void add_scan(lc_store *st, const char *id, int tip, int gt, int64_t *row_id)
{
    lc_scan_row r;
    lc_error err;
    memset(&r, 0, sizeof r);
    snprintf(r.scan_id, sizeof r.scan_id, "%s", id);
    snprintf(r.dir, sizeof r.dir, "scans/%s", id);
    r.n_views = 2;
    r.tip = tip;
    r.gt_threat = gt;
    snprintf(r.tip_threat, sizeof r.tip_threat, "%s", tip ? "knife" : "");
    assert_int_equal(lc_store_scan_add(st, &r, &err), LC_OK);
    assert_true(r.id > 0);
    *row_id = r.id;
}

static void test_scans_and_stats(void **state)
{
    (void)state;
    lc_store *st = open_store();
    lc_error err;
    int64_t id;
    /* 10 TIP bags: 8 searched. 20 clean bags: 2 searched. 1 real threat: found. */
    char name[32];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "tip%d", i);
        add_scan(st, name, 1, 0, &id);
        assert_int_equal(lc_store_decide(st, id, i < 8 ? LC_DECISION_SEARCH : LC_DECISION_CLEAR,
                                         "bob", NULL, &err),
                         LC_OK);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "clean%d", i);
        add_scan(st, name, 0, 0, &id);
        assert_int_equal(lc_store_decide(st, id, i < 2 ? LC_DECISION_SEARCH : LC_DECISION_CLEAR,
                                         "bob", "{\"tip\":false}", &err),
                         LC_OK);
    }
    add_scan(st, "real", 0, 1, &id);
    assert_int_equal(lc_store_decide(st, id, LC_DECISION_SEARCH, "carol", NULL, &err), LC_OK);
    assert_int_equal(lc_store_decide(st, id, LC_DECISION_CLEAR, "carol", NULL, &err), LC_ERR_STATE);
    assert_int_equal(lc_store_decide(st, 99999, LC_DECISION_CLEAR, "carol", NULL, &err),
                     LC_ERR_NOT_FOUND);
    assert_int_equal(lc_store_decide(st, id, LC_DECISION_NONE, "carol", NULL, &err), LC_ERR_ARG);
    add_scan(st, "open", 0, 0, &id);
    lc_scan_row dup;
    memset(&dup, 0, sizeof dup);
    snprintf(dup.scan_id, sizeof dup.scan_id, "open");
    assert_int_equal(lc_store_scan_add(st, &dup, &err), LC_ERR_STATE);
    assert_int_equal(lc_store_scan_latest(st), id);
    lc_scan_row found;
    assert_int_equal(lc_store_scan_find(st, "real", &found, &err), LC_OK);
    assert_int_equal(found.gt_threat, 1);
    assert_string_equal(found.dir, "scans/real");
    assert_int_equal(lc_store_scan_find(st, "nope", &found, &err), LC_ERR_NOT_FOUND);

    lc_scan_row row;
    assert_int_equal(lc_store_scan_get(st, 1, &row, &err), LC_OK);
    assert_string_equal(row.scan_id, "tip0");
    assert_int_equal(row.decision, LC_DECISION_SEARCH);
    assert_string_equal(row.decided_by, "bob");
    assert_string_equal(row.tip_threat, "knife");
    lc_scan_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(lc_store_scan_list(st, 30, 100, &rows, &n, &err), LC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].scan_id, "real");
    assert_int_equal(rows[1].decision, LC_DECISION_NONE);
    free(rows);

    json_t *s = stats_of(st);
    assert_int_equal(total(s, "scans"), 32);
    assert_int_equal(total(s, "pending"), 1);
    assert_int_equal(total(s, "searched"), 11);
    assert_int_equal(total(s, "tip_presented"), 10);
    json_t *scr = json_object_get(s, "screeners");
    assert_int_equal(json_array_size(scr), 2);
    json_t *bob = json_array_get(scr, 0);
    assert_string_equal(json_string_value(json_object_get(bob, "user")), "bob");
    assert_int_equal(json_integer_value(json_object_get(bob, "tip_hits")), 8);
    assert_float_equal(json_real_value(json_object_get(bob, "hit_rate")), 0.8, 1e-12);
    assert_int_equal(json_integer_value(json_object_get(bob, "clean_bags")), 20);
    assert_float_equal(json_real_value(json_object_get(bob, "false_alarm_rate")), 0.1, 1e-12);
    /* Python: NormalDist().inv_cdf(8.5/11) - NormalDist().inv_cdf(2.5/21) */
    assert_float_equal(json_real_value(json_object_get(bob, "dprime")), 1.9276197123751624, 1e-9);
    json_t *carol = json_array_get(scr, 1);
    assert_int_equal(json_integer_value(json_object_get(carol, "real_threat_hits")), 1);
    assert_true(json_is_null(json_object_get(carol, "hit_rate")));
    assert_true(json_is_null(json_object_get(carol, "dprime")));
    json_decref(s);

    /* The decision event carries the extra detail and the decision. */
    char *ev = NULL;
    assert_int_equal(lc_store_event_list_json(st, 0, 1, &ev, &err), LC_OK);
    assert_non_null(strstr(ev, "\"kind\":\"scan.stored\""));
    free(ev);
    lc_store_close(st);
}

static void test_normal_quantile(void **state)
{
    (void)state;
    /* Reference values from Python's statistics.NormalDist().inv_cdf. */
    assert_float_equal(lc_normal_quantile(0.975), 1.9599639845400536, 1e-12);
    assert_float_equal(lc_normal_quantile(0.3), -0.5244005127080407, 1e-12);
    assert_float_equal(lc_normal_quantile(1e-10), -6.361340902404056, 1e-9);
    assert_float_equal(lc_normal_quantile(0.5), 0.0, 1e-15);
    assert_true(isnan(lc_normal_quantile(0.0)));
    assert_true(isnan(lc_normal_quantile(1.0)));
    assert_float_equal(lc_dprime(0, 3, 0, 5), 0.23264474672463087, 1e-12);
    assert_true(isnan(lc_dprime(1, 0, 1, 5)));
}

static void test_bad_database(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/lucent.db", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++)
        fputc(i * 7 & 0xff, f);
    fclose(f);
    lc_store *st = NULL;
    lc_error err;
    assert_int_equal(lc_store_open(dir, &st, &err), LC_ERR_IO);
    assert_null(st);
    assert_non_null(strstr(err.msg, "lucent.db"));
    lc_store_close(NULL);
}

/* Whether the file holds the bytes needle[n]. */
static int file_holds(const char *path, const uint8_t *needle, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    int found = 0;
    for (size_t i = 0; !found && i + n <= got; i++)
        found = memcmp(buf + i, needle, n) == 0;
    free(buf);
    return found;
}

static void add_row(lc_store *st, const char *id, int alarms, int gt, int sealed, uint8_t fill,
                    int64_t *row_id)
{
    lc_scan_row r;
    lc_error err;
    memset(&r, 0, sizeof r);
    snprintf(r.scan_id, sizeof r.scan_id, "%s", id);
    snprintf(r.dir, sizeof r.dir, "scans/%s", id);
    r.n_views = 2;
    r.atr_alarms = alarms;
    r.gt_threat = gt;
    r.sealed = sealed;
    memset(r.wrapped_key, fill, sizeof r.wrapped_key);
    assert_int_equal(lc_store_scan_add(st, &r, &err), LC_OK);
    *row_id = r.id;
}

/* An index of schema 1 (clear-text scans, before encryption at rest) opens:
 * the columns are added, its rows read as not sealed. Then the retention
 * policy and the crypto-erasure of a sealed row: the key is NULL in the
 * database and its bytes are in neither the database file nor the WAL. */
static void test_sealed_rows_and_erasure(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/lucent.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "INSERT INTO meta VALUES('schema','1');"
                     "CREATE TABLE scans(id INTEGER PRIMARY KEY, scan_id TEXT UNIQUE NOT NULL,"
                     " dir TEXT NOT NULL, acquired_us INTEGER NOT NULL, stored_us INTEGER NOT NULL,"
                     " n_views INTEGER NOT NULL, atr_alarms INTEGER NOT NULL, gt_threat INTEGER "
                     "NOT NULL, tip INTEGER NOT NULL, tip_threat TEXT NOT NULL, decision INTEGER "
                     "NOT NULL DEFAULT 0, decided_by TEXT NOT NULL DEFAULT '', decided_us INTEGER "
                     "NOT NULL DEFAULT 0, process_ms REAL NOT NULL);"
                     "INSERT INTO scans(scan_id, dir, acquired_us, stored_us, n_views, atr_alarms,"
                     " gt_threat, tip, tip_threat, process_ms) VALUES('OLD-1','scans/OLD-1',1,1,2,"
                     "0,0,0,'',5);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    lc_store *st = open_store();
    lc_error err;
    lc_scan_row row;
    assert_int_equal(lc_store_scan_find(st, "OLD-1", &row, &err), LC_OK);
    assert_int_equal(row.sealed, 0);
    assert_true(row.erased_unix_us == 0);
    int64_t a, b, c, d, e, f;
    add_row(st, "A", 0, 0, 1, 0xA1, &a); /* undecided, no alarm: goes */
    add_row(st, "B", 2, 0, 1, 0xB2, &b); /* machine alarm: kept */
    add_row(st, "C", 0, 0, 1, 0xC3, &c); /* sent to search: kept */
    add_row(st, "D", 0, 0, 1, 0xD4, &d); /* cleared: goes */
    add_row(st, "E", 0, 1, 1, 0xE5, &e); /* known threat: kept */
    add_row(st, "F", 0, 0, 1, 0xF6, &f); /* searched while the sweep runs: kept */
    assert_int_equal(lc_store_decide(st, c, LC_DECISION_SEARCH, "sam", NULL, &err), LC_OK);
    assert_int_equal(lc_store_decide(st, d, LC_DECISION_CLEAR, "sam", NULL, &err), LC_OK);
    assert_int_equal(lc_store_scan_get(st, a, &row, &err), LC_OK);
    assert_int_equal(row.sealed, 1);
    uint8_t key_a[LC_WRAPPED_KEY_SIZE];
    memset(key_a, 0xA1, sizeof key_a);
    assert_memory_equal(row.wrapped_key, key_a, sizeof key_a);
    lc_scan_row *rows = NULL;
    size_t n = 0;
    /* Nothing is old enough before the rows' time. */
    assert_int_equal(lc_store_scan_expired(st, 1, 100, &rows, &n, &err), LC_OK);
    assert_int_equal(n, 0);
    free(rows);
    assert_int_equal(lc_store_scan_expired(st, INT64_MAX / 2, 100, &rows, &n, &err), LC_OK);
    assert_int_equal(n, 4); /* OLD-1, A, D, F */
    assert_string_equal(rows[0].scan_id, "OLD-1");
    assert_string_equal(rows[1].scan_id, "A");
    assert_string_equal(rows[2].scan_id, "D");
    assert_string_equal(rows[3].scan_id, "F");
    free(rows);
    assert_int_equal(lc_store_decide(st, f, LC_DECISION_SEARCH, "sam", NULL, &err), LC_OK);
    assert_int_equal(lc_store_scan_erase(st, f, "retention", 30, &err), LC_ERR_STATE);
    assert_int_equal(lc_store_scan_erase(st, b, "retention", 30, &err), LC_ERR_STATE);
    assert_int_equal(lc_store_scan_erase(st, 999, "retention", 30, &err), LC_ERR_NOT_FOUND);
    /* Erase A: the key bytes go from the database and the WAL. */
    snprintf(path, sizeof path, "%s/lucent.db-wal", dir);
    char dbpath[400];
    snprintf(dbpath, sizeof dbpath, "%s/lucent.db", dir);
    assert_true(file_holds(path, key_a, sizeof key_a) || file_holds(dbpath, key_a, sizeof key_a));
    assert_int_equal(lc_store_scan_erase(st, a, "retention", 0.5, &err), LC_OK);
    assert_int_equal(lc_store_scan_get(st, a, &row, &err), LC_OK);
    assert_true(row.erased_unix_us > 0);
    assert_string_equal(row.erase_reason, "retention");
    assert_int_equal(row.sealed, 1);
    uint8_t zero[LC_WRAPPED_KEY_SIZE] = {0};
    assert_memory_equal(row.wrapped_key, zero, sizeof zero);
    assert_false(file_holds(dbpath, key_a, sizeof key_a));
    assert_false(file_holds(path, key_a, sizeof key_a));
    struct stat sb;
    assert_true(stat(path, &sb) != 0 || sb.st_size == 0);
    /* Another row's key is still there. */
    uint8_t key_b[LC_WRAPPED_KEY_SIZE];
    memset(key_b, 0xB2, sizeof key_b);
    assert_true(file_holds(dbpath, key_b, sizeof key_b));
    /* Erased scans cannot be decided; erasing again adds no event. */
    assert_int_equal(lc_store_decide(st, a, LC_DECISION_CLEAR, "sam", NULL, &err), LC_ERR_STATE);
    assert_int_equal(lc_store_scan_erase(st, a, "retention", 0.5, &err), LC_OK);
    assert_int_equal(lc_store_scan_erase(st, 1, "retention", 0.5, &err), LC_OK); /* clear-text */
    /* An erased bag is no longer waiting for a decision: pending are B and E. */
    json_t *sj = stats_of(st);
    assert_int_equal(total(sj, "scans"), 7);
    assert_int_equal(total(sj, "erased"), 2);
    assert_int_equal(total(sj, "pending"), 2);
    json_decref(sj);
    char *ev = NULL;
    assert_int_equal(lc_store_event_list_json(st, 0, 1000, &ev, &err), LC_OK);
    json_t *j = json_loads(ev, 0, NULL);
    free(ev);
    assert_non_null(j);
    int erased_events = 0, sealed_a = -1, sealed_old = -1;
    for (size_t i = 0; i < json_array_size(j); i++) {
        json_t *o = json_array_get(j, i);
        if (strcmp(json_string_value(json_object_get(o, "kind")), "scan.erased") != 0)
            continue;
        erased_events++;
        const char *sc = json_string_value(json_object_get(o, "scan"));
        assert_string_equal(json_string_value(json_object_get(o, "reason")), "retention");
        assert_float_equal(json_number_value(json_object_get(o, "retention_days")), 0.5, 0);
        if (strcmp(sc, "A") == 0)
            sealed_a = json_is_true(json_object_get(o, "sealed"));
        if (strcmp(sc, "OLD-1") == 0)
            sealed_old = json_is_true(json_object_get(o, "sealed"));
    }
    json_decref(j);
    assert_int_equal(erased_events, 2);
    assert_int_equal(sealed_a, 1);
    assert_int_equal(sealed_old, 0);
    assert_int_equal(lc_store_scan_expired(st, INT64_MAX / 2, 100, &rows, &n, &err), LC_OK);
    assert_int_equal(n, 1); /* D */
    free(rows);
    /* A reader of another connection holds the WAL back: the key is NULL in
     * the index at once, its old page stays in the WAL until the reader is
     * gone and lc_store_purge truncates it. */
    uint8_t key_d[LC_WRAPPED_KEY_SIZE];
    memset(key_d, 0xD4, sizeof key_d);
    sqlite3 *rd = NULL;
    assert_int_equal(sqlite3_open(dbpath, &rd), SQLITE_OK);
    assert_int_equal(sqlite3_exec(rd, "BEGIN; SELECT COUNT(*) FROM scans;", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(lc_store_scan_erase(st, d, "retention", 0.5, &err), LC_ERR_IO);
    assert_non_null(strstr(err.msg, "WAL"));
    assert_int_equal(lc_store_scan_get(st, d, &row, &err), LC_OK);
    assert_true(row.erased_unix_us > 0);
    assert_int_equal(lc_store_purge(st, &err), LC_ERR_IO);
    assert_int_equal(sqlite3_exec(rd, "COMMIT;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(rd);
    assert_int_equal(lc_store_purge(st, &err), LC_OK);
    assert_false(file_holds(dbpath, key_d, sizeof key_d));
    assert_false(file_holds(path, key_d, sizeof key_d));
    assert_int_equal(lc_store_purge(st, &err), LC_OK);
    char *stats = NULL;
    assert_int_equal(lc_store_stats_json(st, 0, &stats, &err), LC_OK);
    assert_non_null(strstr(stats, "\"erased\":3"));
    free(stats);
    lc_store_close(st);
    /* Reopened: schema 2 now, nothing lost. */
    st = open_store();
    assert_int_equal(lc_store_scan_get(st, b, &row, &err), LC_OK);
    assert_memory_equal(row.wrapped_key, key_b, sizeof key_b);
    lc_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scans_and_stats, setup, teardown),
        cmocka_unit_test(test_normal_quantile),
        cmocka_unit_test_setup_teardown(test_bad_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_rows_and_erasure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
