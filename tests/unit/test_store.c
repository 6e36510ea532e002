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

    char *js = NULL;
    assert_int_equal(lc_store_stats_json(st, 0, &js, &err), LC_OK);
    json_t *s = json_loads(js, 0, NULL);
    free(js);
    json_t *tot = json_object_get(s, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "scans")), 32);
    assert_int_equal(json_integer_value(json_object_get(tot, "pending")), 1);
    assert_int_equal(json_integer_value(json_object_get(tot, "searched")), 11);
    assert_int_equal(json_integer_value(json_object_get(tot, "tip_presented")), 10);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scans_and_stats, setup, teardown),
        cmocka_unit_test(test_normal_quantile),
        cmocka_unit_test_setup_teardown(test_bad_database, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
