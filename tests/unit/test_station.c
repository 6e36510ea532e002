/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_station.c: the station's internals without a socket: sessions and
 * their expiry, CSRF tokens, login rate limiting, query parsing, the
 * attenuation and material classes, the pipeline on a synthetic bag (files
 * and index agree), TIP projection (attenuations add, Beer-Lambert), and the
 * API handlers end to end: login, roles, CSRF, hostile bodies, decisions,
 * statistics and events; scans sealed at rest, damaged sealed files, and
 * retention by crypto-erasure.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lucent/sim.h"
#include "station/station_int.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/lc_test_station_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ sessions */

static void test_sessions(void **state)
{
    (void)state;
    lc__sessions s;
    assert_int_equal(lc__sessions_init(&s, 2, 1000000, NULL), LC_OK);
    char tok[LC__TOKEN_HEX + 1], csrf[LC__TOKEN_HEX + 1], tok2[LC__TOKEN_HEX + 1],
        csrf2[LC__TOKEN_HEX + 1], tok3[LC__TOKEN_HEX + 1];
    lc__session se;
    lc__session_create(&s, "bob", LC_ROLE_SCREENER, 100, tok, csrf);
    assert_int_equal(strlen(tok), LC__TOKEN_HEX);
    assert_string_not_equal(tok, csrf);
    assert_true(lc__session_lookup(&s, tok, 200, &se));
    assert_string_equal(se.user, "bob");
    assert_true(lc__csrf_ok(&se, csrf));
    char bad[LC__TOKEN_HEX + 1];
    memcpy(bad, csrf, sizeof bad);
    bad[5] = bad[5] == 'a' ? 'b' : 'a';
    assert_false(lc__csrf_ok(&se, bad));
    assert_false(lc__csrf_ok(&se, NULL));
    assert_false(lc__csrf_ok(&se, "abc"));
    assert_false(lc__session_lookup(&s, bad, 200, &se));
    assert_false(lc__session_lookup(&s, "short", 200, &se));
    assert_false(lc__session_lookup(&s, NULL, 200, &se));
    /* Idle timeout: 1 s after the last use. */
    assert_true(lc__session_lookup(&s, tok, 900000, &se));
    assert_false(lc__session_lookup(&s, tok, 900000 + 1000001, &se));
    /* Capacity 2: a third session evicts the least recently used. */
    lc__session_create(&s, "a", LC_ROLE_ADMIN, 10, tok, csrf);
    lc__session_create(&s, "b", LC_ROLE_ADMIN, 20, tok2, csrf2);
    assert_true(lc__session_lookup(&s, tok, 30, &se)); /* a now more recent than b */
    lc__session_create(&s, "c", LC_ROLE_AUDITOR, 40, tok3, csrf);
    assert_true(lc__session_lookup(&s, tok, 50, &se));
    assert_false(lc__session_lookup(&s, tok2, 50, &se));
    assert_true(lc__session_lookup(&s, tok3, 50, &se));
    lc__session_end(&s, tok);
    assert_false(lc__session_lookup(&s, tok, 60, &se));
    lc__session_end_user(&s, "c");
    assert_false(lc__session_lookup(&s, tok3, 60, &se));
    lc__sessions_destroy(&s);
}

static void test_ratelimit(void **state)
{
    (void)state;
    lc__ratelimit *rl = malloc(sizeof *rl);
    assert_non_null(rl);
    lc__rl_init(rl);
    int64_t t = 1000000000;
    for (int i = 0; i < LC__RL_FREE - 1; i++) {
        lc__rl_fail(rl, "u:bob", t, LC__RL_FREE);
        assert_int_equal(lc__rl_wait_s(rl, "u:bob", t), 0);
    }
    lc__rl_fail(rl, "u:bob", t, LC__RL_FREE); /* 5th: locked 1 s */
    assert_int_equal(lc__rl_wait_s(rl, "u:bob", t), 1);
    assert_int_equal(lc__rl_wait_s(rl, "u:alice", t), 0);
    lc__rl_fail(rl, "u:bob", t, LC__RL_FREE); /* 6th: 2 s */
    assert_int_equal(lc__rl_wait_s(rl, "u:bob", t), 2);
    assert_int_equal(lc__rl_wait_s(rl, "u:bob", t + 2000000), 0);
    for (int i = 0; i < 20; i++)
        lc__rl_fail(rl, "u:bob", t, LC__RL_FREE);
    assert_int_equal(lc__rl_wait_s(rl, "u:bob", t), LC__RL_MAX_S);
    lc__rl_ok(rl, "u:bob");
    for (int i = 0; i < LC__RL_FREE_ADDR - 1; i++)
        lc__rl_fail(rl, "ip:10.0.0.1", t, LC__RL_FREE_ADDR);
    assert_int_equal(lc__rl_wait_s(rl, "ip:10.0.0.1", t), 0);
    lc__rl_fail(rl, "ip:10.0.0.1", t, LC__RL_FREE_ADDR);
    assert_int_equal(lc__rl_wait_s(rl, "ip:10.0.0.1", t), 1);
    assert_int_equal(lc__rl_wait_s(rl, "u:bob", t), 0);
    lc__rl_destroy(rl);
    free(rl);
}

static void test_query(void **state)
{
    (void)state;
    char b[16];
    assert_true(lc__query_get("after=12&wait=3", "wait", b, sizeof b));
    assert_string_equal(b, "3");
    assert_true(lc__query_get("after=12&wait=3", "after", b, sizeof b));
    assert_string_equal(b, "12");
    assert_false(lc__query_get("after=12", "aft", b, sizeof b));
    assert_false(lc__query_get("x=12345678901234567890", "x", b, sizeof b));
    assert_true(lc__query_get("pending", "pending", b, sizeof b));
    assert_string_equal(b, "");
    assert_false(lc__query_get("", "x", b, sizeof b));
    assert_false(lc__query_get(NULL, "x", b, sizeof b));
}

/* ------------------------------------------------------------ images */

#define LINES  80
#define PIXELS 60
#define DARK   200.0
#define AIR    50200.0

/* A synthetic two-view bag: air everywhere except a square where the high
 * channel sees attenuation ah and the low channel al. */
/* A station without threads or network on the test's folder: demo seed,
 * recognition on or off, every other setting its default. */
static lc_station *headless(uint64_t seed, int atr)
{
    lc_station_config cfg;
    lc_station_config_init(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.seed = seed;
    cfg.atr = atr;
    lc_station *st = NULL;
    lc_error err;
    assert_int_equal(lc__station_new_headless(&cfg, &st, &err), LC_OK);
    return st;
}

static lc_scan *synthetic(double ah, double al)
{
    lc_scan *scan = NULL;
    assert_int_equal(lc_scan_new(NULL, &scan, NULL), LC_OK);
    for (int v = 0; v < 2; v++) {
        lc_view *view = NULL;
        lc_view_info vi;
        lc_view_info_init(&vi);
        snprintf(vi.label, sizeof vi.label, "%s", v ? "side" : "bottom");
        assert_int_equal(lc_scan_add_view(scan, &vi, LINES, PIXELS, &view, NULL), LC_OK);
        assert_int_equal(lc_view_alloc_ref(view, LC_REF_DARK, 4, NULL), LC_OK);
        assert_int_equal(lc_view_alloc_ref(view, LC_REF_AIR, 4, NULL), LC_OK);
        for (int c = 0; c < 2; c++) {
            uint16_t *d = lc_view_ref(view, LC_REF_DARK, (lc_channel)c);
            uint16_t *a = lc_view_ref(view, LC_REF_AIR, (lc_channel)c);
            for (int i = 0; i < 4 * PIXELS; i++)
                d[i] = (uint16_t)DARK, a[i] = (uint16_t)AIR;
            uint16_t *p = lc_view_plane(view, (lc_channel)c);
            double att = c == 0 ? ah : al;
            for (int y = 0; y < PIXELS; y++)
                for (int x = 0; x < LINES; x++) {
                    int inside = x >= 20 && x < 50 && y >= 10 && y < 40;
                    double s = DARK + (AIR - DARK) * (inside ? exp(-att) : 1.0);
                    p[y * LINES + x] = (uint16_t)lrint(s);
                }
        }
    }
    return scan;
}

static void test_attenuation_and_classes(void **state)
{
    (void)state;
    lc_scan *scan = synthetic(1.0, 1.16);
    uint16_t *ah = malloc(LINES * PIXELS * 2), *al = malloc(LINES * PIXELS * 2);
    lc__attenuation(scan, 0, ah, al);
    /* -ln of the rounded transmission: within 1e-4 of the exact value. */
    assert_float_equal(ah[20 * LINES + 30] / (double)LC__ATT_SCALE, 1.0, 1e-3);
    assert_float_equal(al[20 * LINES + 30] / (double)LC__ATT_SCALE, 1.16, 1e-3);
    assert_true(ah[0] < 2);
    free(ah);
    free(al);
    lc_scan_free(scan);
    /* Classes at slab values measured with the simulator (docs/station.md). */
#define Q(a) ((uint16_t)lrint((a)*LC__ATT_SCALE))
    assert_int_equal(lc__material_class(Q(0.001), Q(0.001)), 0);
    assert_int_equal(lc__material_class(Q(1.10), Q(1.10 * 1.24)), 1); /* water 5 cm */
    assert_int_equal(lc__material_class(Q(4.88), Q(4.88 * 1.16)), 1); /* semtex 20 cm */
    assert_int_equal(lc__material_class(Q(1.29), Q(1.29 * 1.53)), 2); /* aluminium 2 cm */
    assert_int_equal(lc__material_class(Q(2.67), Q(2.67 * 1.46)), 2); /* salt 5 cm */
    assert_int_equal(lc__material_class(Q(3.46), Q(3.46 * 1.51)), 3); /* steel 1 cm */
    assert_int_equal(lc__material_class(Q(5.99), Q(5.99 * 1.32)), 3); /* steel 2 cm */
    assert_int_equal(lc__material_class(Q(11.0), Q(12.0)), 4);
    /* Modes are named and render without touching outside the buffer. */
    assert_int_equal(lc__mode_parse("grey"), 1);
    assert_int_equal(lc__mode_parse("nope"), -1);
    assert_null(lc__mode_name(LC__MODES));
    uint16_t a2[4] = {0, Q(1), Q(3), Q(12)}, l2[4] = {0, Q(1.2), Q(4.5), Q(13)};
    uint8_t rgb[12];
    lc__render(a2, l2, NULL, 2, 2, 0, rgb);
    assert_int_equal(rgb[0], 255); /* air is white */
    assert_true(rgb[3] > rgb[5]);  /* organic: orange, more red than blue */
    assert_true(rgb[11] < 10);     /* impenetrable: black */
    unsigned char *png = NULL;
    size_t len = 0;
    assert_int_equal(lc__png_encode(rgb, 2, 2, &png, &len, NULL), LC_OK);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    free(png);
}

/* The console's alarm boxes from a machine TDR: one per threat object and
 * view; a view the bag lacks is skipped, and coordinates a file may hold
 * (negative, beyond the image, NaN) are clamped to the image. */
static void test_alarms_from_tdr(void **state)
{
    (void)state;
    lc_scan *scan = synthetic(1.0, 1.2);
    lc__bag *bag = NULL;
    assert_int_equal(lc__bag_from_scan(scan, NULL, &bag, NULL), LC_OK);
    lc_dicos_threat th[2];
    memset(th, 0, sizeof th);
    strcpy(th[0].description, "explosive 0.83, Zeff 7.3, 722 g");
    th[0].n_boxes = 2;
    th[0].boxes[0] = (lc_dicos_box){0, 20, 10, 49, 39};
    th[0].boxes[1] = (lc_dicos_box){1, 21, 11, 48, 38};
    strcpy(th[1].description, "weapon 0.70");
    th[1].n_boxes = 2;
    th[1].boxes[0] = (lc_dicos_box){5, 1, 1, 2, 2}; /* no such view */
    th[1].boxes[1] = (lc_dicos_box){1, -7, NAN, 1e12, INFINITY};
    lc_dicos_tdr tdr = {LC_TDR_MACHINE, LC_ALARM_ALARM, "t", 0, 2, th};
    lc__bag_alarms_from_tdr(bag, &tdr);
    assert_int_equal(bag->n_alarms, 3);
    const lc__alarm *a = &bag->alarms[0];
    assert_true(a->view == 0 && a->box[0] == 20 && a->box[1] == 10 && a->box[2] == 50 &&
                a->box[3] == 40);
    assert_string_equal(a->label, "explosive 0.83, Zeff 7.3, 722 g");
    assert_int_equal(bag->alarms[1].view, 1);
    a = &bag->alarms[2];
    assert_true(a->view == 1 && a->box[0] == 0 && a->box[1] == 0 && a->box[2] == bag->w[1] &&
                a->box[3] == bag->h[1]);
    assert_string_equal(a->label, "weapon 0.70");
    lc__bag_alarms_from_tdr(bag, NULL);
    assert_int_equal(bag->n_alarms, 0);
    lc__bag_free(bag);
    lc_scan_free(scan);
}

/* Simulates a 400 x 300 x 100 mm box of a material, noise-free. */
static lc_scan *sim_box(const char *material)
{
    char js[400];
    snprintf(js, sizeof js,
             "{\"lucent_scene\":1,\"objects\":[{\"id\":\"b\",\"shape\":\"box\","
             "\"size\":[400,300,100],\"position\":[220,0,50],\"material\":\"%s\"}]}",
             material);
    lc_scene *scene = NULL;
    lc_scanner *sc = NULL;
    lc_scan *scan = NULL;
    lc_sim_options o;
    lc_sim_options_init(&o);
    o.noise = 0;
    assert_int_equal(lc_scene_parse(js, strlen(js), "box", NULL, &scene, NULL), LC_OK);
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    assert_int_equal(lc_simulate(scene, sc, &o, &scan, NULL, NULL), LC_OK);
    lc_scene_free(scene);
    lc_scanner_free(sc);
    return scan;
}

/* TIP: projecting a threat adds its attenuation (Beer-Lambert), whatever lies
 * under it: the increase in A is the same over a thin plastic sheet and over
 * 10 cm of water, and it is large where the threat is. */
static void test_tip_projection(void **state)
{
    (void)state;
    lc__tip_lib *lib = NULL;
    lc_error err;
    assert_int_equal(lc__tip_lib_new(&lib, &err), LC_OK);
    assert_int_equal(lc__tip_lib_count(lib), 4);
    lc_scan *base[2] = {sim_box("polyethylene"), sim_box("water")};
    uint32_t box[2][LC_SCAN_MAX_VIEWS][4];
    double *delta[2] = {NULL, NULL};
    uint16_t *after[2] = {NULL, NULL};
    const lc_view *v0 = lc_scan_view(base[0], 0);
    uint32_t w = lc_view_lines(v0), h = lc_view_pixels(v0);
    assert_int_equal(lc_view_lines(lc_scan_view(base[1], 0)), w);
    for (int b = 0; b < 2; b++) {
        lc_scan *tipped = NULL;
        assert_int_equal(lc_scan_clone(base[b], &tipped, NULL), LC_OK);
        uint64_t rng = 42; /* the same place in both */
        char name[32];
        assert_int_equal(lc__tip_project(lib, 1, tipped, &rng, box[b], name, &err), LC_OK);
        assert_string_equal(name, "gun");
        uint16_t *a0 = malloc((size_t)w * h * 2), *l0 = malloc((size_t)w * h * 2),
                 *l1 = malloc((size_t)w * h * 2);
        after[b] = malloc((size_t)w * h * 2);
        delta[b] = calloc((size_t)w * h, sizeof(double));
        lc__attenuation(base[b], 0, a0, l0);
        lc__attenuation(tipped, 0, after[b], l1);
        for (size_t i = 0; i < (size_t)w * h; i++) {
            assert_true(after[b][i] + 2 >= a0[i]); /* never less attenuation */
            delta[b][i] = (double)(after[b][i] - a0[i]) / LC__ATT_SCALE;
        }
        /* Left of the box nothing changed. */
        for (uint32_t x = 0; x < box[b][0][0]; x++)
            assert_int_equal(after[b][(size_t)(h / 2) * w + x], a0[(size_t)(h / 2) * w + x]);
        free(a0), free(l0), free(l1);
        lc_scan_free(tipped);
    }
    assert_memory_equal(box[0], box[1], 2 * sizeof box[0][0]); /* both views */
    /* Over the pixels where the threat adds attenuation and neither image is
     * near starvation, the added attenuation is the same over plastic and
     * over water: projection is additive in A. */
    double s0 = 0, s1 = 0;
    size_t npix = 0;
    for (uint32_t y = box[0][0][1]; y < box[0][0][3]; y++)
        for (uint32_t x = box[0][0][0]; x < box[0][0][2]; x++) {
            size_t i = (size_t)y * w + x;
            if (delta[0][i] > 0.05 && after[0][i] < 6 * LC__ATT_SCALE &&
                after[1][i] < 6 * LC__ATT_SCALE) {
                s0 += delta[0][i];
                s1 += delta[1][i];
                npix++;
            }
        }
    assert_true(npix > 100);
    assert_true(s0 > 0.3 * (double)npix);
    assert_float_equal(s1 / s0, 1.0, 0.01);
    for (int b = 0; b < 2; b++)
        free(delta[b]), free(after[b]);
    lc_scan_free(base[0]);
    lc_scan_free(base[1]);
    lc__tip_lib_free(lib);
}

/* ------------------------------------------------------------- the API */

typedef struct client {
    char cookie[128];
    char csrf[LC__TOKEN_HEX + 1];
} client;

static int call(lc_station *st, client *c, const char *method, const char *path, const char *query,
                const char *body, const char *csrf_override, json_t **out)
{
    lc__req rq = {.method = method,
                  .path = path,
                  .query = query ? query : "",
                  .cookie = c && c->cookie[0] ? c->cookie : NULL,
                  .csrf = csrf_override ? csrf_override : (c && c->csrf[0] ? c->csrf : NULL),
                  .content_type = body ? "application/json" : NULL,
                  .client = "127.0.0.1",
                  .host = "127.0.0.1:8080",
                  .body = body ? body : "",
                  .body_len = body ? strlen(body) : 0};
    lc__resp rs;
    lc__api_handle(st, &rq, &rs);
    if (out)
        *out = rs.body && rs.ctype && strstr(rs.ctype, "json")
                   ? json_loadb(rs.body, rs.len, 0, NULL)
                   : NULL;
    if (c && rs.set_cookie[0]) {
        const char *semi = strchr(rs.set_cookie, ';');
        size_t n = semi ? (size_t)(semi - rs.set_cookie) : strlen(rs.set_cookie);
        memcpy(c->cookie, rs.set_cookie, n);
        c->cookie[n] = 0;
        assert_non_null(strstr(rs.set_cookie, "HttpOnly"));
        assert_non_null(strstr(rs.set_cookie, "SameSite=Strict"));
    }
    if (getenv("LC_TEST_VERBOSE") && rs.body)
        fprintf(stderr, "%s %s -> %d %.*s\n", method, path, rs.status, (int)rs.len, rs.body);
    lc__resp_free(&rs);
    return rs.status;
}

static void login(lc_station *st, client *c, const char *user, const char *pw, int want)
{
    char body[200];
    snprintf(body, sizeof body, "{\"user\":\"%s\",\"password\":\"%s\"}", user, pw);
    json_t *j = NULL;
    memset(c, 0, sizeof *c);
    assert_int_equal(call(st, c, "POST", "/api/login", NULL, body, NULL, &j), want);
    if (want == 200) {
        snprintf(c->csrf, sizeof c->csrf, "%s", json_string_value(json_object_get(j, "csrf")));
        assert_int_equal(strlen(c->csrf), LC__TOKEN_HEX);
    }
    json_decref(j);
}

static void test_api(void **state)
{
    (void)state;
    lc_station *st = headless(7, 1);
    lc_error err;
    assert_int_equal(
        lc_store_user_add(st->store, "sam", LC_ROLE_SCREENER, "screen-pass", "cli", &err), LC_OK);
    assert_int_equal(
        lc_store_user_add(st->store, "sue", LC_ROLE_SUPERVISOR, "super-pass", "cli", &err), LC_OK);
    assert_int_equal(
        lc_store_user_add(st->store, "aud", LC_ROLE_AUDITOR, "audit-pass", "cli", &err), LC_OK);

    client anon = {{0}, {0}}, sam, sue, aud;
    json_t *j = NULL;
    assert_int_equal(call(st, &anon, "GET", "/api/health", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(call(st, &anon, "GET", "/api/me", NULL, NULL, NULL, NULL), 401);
    assert_int_equal(call(st, &anon, "GET", "/api/stats", NULL, NULL, NULL, NULL), 401);
    assert_int_equal(call(st, &anon, "GET", "/nope.html", NULL, NULL, NULL, NULL), 404);
    assert_int_equal(call(st, &anon, "DELETE", "/", NULL, NULL, NULL, NULL), 405);
    assert_int_equal(call(st, &anon, "GET", "/api/login", NULL, NULL, NULL, NULL), 405);
    assert_int_equal(call(st, &anon, "GET", "/", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(call(st, &anon, "GET", "/../etc/passwd", NULL, NULL, NULL, NULL), 404);

    login(st, &sam, "sam", "wrong-pass", 401);
    login(st, &sam, "sam", "screen-pass", 200);
    login(st, &sue, "sue", "super-pass", 200);
    login(st, &aud, "aud", "audit-pass", 200);
    assert_int_equal(call(st, &sam, "GET", "/api/me", NULL, NULL, NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "role")), "screener");
    json_decref(j);

    /* Hostile and malformed requests. */
    assert_int_equal(call(st, &anon, "POST", "/api/login", NULL, "{\"user\":", NULL, NULL), 400);
    assert_int_equal(call(st, &anon, "POST", "/api/login", NULL, "[1]", NULL, NULL), 400);
    assert_int_equal(call(st, &anon, "POST", "/api/login", NULL, "{\"user\":1}", NULL, NULL), 400);
    lc__req big = {.method = "POST",
                   .path = "/api/login",
                   .query = "",
                   .content_type = "application/json",
                   .client = "127.0.0.1",
                   .body = "",
                   .body_too_large = 1};
    lc__resp rs;
    lc__api_handle(st, &big, &rs);
    assert_int_equal(rs.status, 413);
    lc__resp_free(&rs);
    lc__req form = {.method = "POST",
                    .path = "/api/login",
                    .query = "",
                    .content_type = "application/x-www-form-urlencoded",
                    .client = "127.0.0.1",
                    .body = "user=a",
                    .body_len = 6};
    lc__api_handle(st, &form, &rs);
    assert_int_equal(rs.status, 415);
    lc__resp_free(&rs);
    lc__req evil = {.method = "POST",
                    .path = "/api/login",
                    .query = "",
                    .content_type = "application/json",
                    .origin = "https://evil.example",
                    .host = "127.0.0.1:8080",
                    .client = "127.0.0.1",
                    .body = "{}",
                    .body_len = 2};
    lc__api_handle(st, &evil, &rs);
    assert_int_equal(rs.status, 403);
    lc__resp_free(&rs);
    /* Wrong roles. */
    assert_int_equal(call(st, &sam, "GET", "/api/stats", NULL, NULL, NULL, NULL), 403);
    assert_int_equal(call(st, &sam, "GET", "/api/events", NULL, NULL, NULL, NULL), 403);
    assert_int_equal(call(st, &aud, "GET", "/api/bags/next", "wait=0", NULL, NULL, NULL), 403);
    assert_int_equal(call(st, &sue, "GET", "/api/events", NULL, NULL, NULL, NULL), 403);
    /* CSRF: a state change without or with a wrong token is refused. */
    client nocsrf = sam;
    nocsrf.csrf[0] = 0;
    assert_int_equal(call(st, &nocsrf, "POST", "/api/bags/1/decision", NULL,
                          "{\"decision\":\"clear\"}", NULL, NULL),
                     403);
    assert_int_equal(call(st, &sam, "POST", "/api/bags/1/decision", NULL,
                          "{\"decision\":\"clear\"}", "0000", NULL),
                     403);
    /* Bad parameters. */
    assert_int_equal(call(st, &sam, "GET", "/api/bags/next", "after=-1", NULL, NULL, NULL), 400);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/next", "wait=99", NULL, NULL, NULL), 400);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/next", "wait=0", NULL, NULL, NULL), 204);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/99", NULL, NULL, NULL, NULL), 404);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/x", NULL, NULL, NULL, NULL), 404);

    /* A bag through the pipeline: stored, indexed, published. */
    lc__feed_item item = {.scan = synthetic(1.0, 1.2), .gt_threat = 0, .name = "synthetic"};
    assert_int_equal(lc__pipeline_bag(st, &item, lc__now_us(), &err), LC_OK);
    lc_scan_row row;
    assert_int_equal(lc_store_scan_get(st->store, 1, &row, &err), LC_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/%s/dx_v0_high.dcs", dir, row.dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(
        call(st, &sam, "GET", "/api/bags/next", "after=0&wait=0&pending=1", NULL, NULL, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "none");
    assert_null(json_object_get(j, "tip")); /* never before a decision */
    json_t *v0 = json_array_get(json_object_get(j, "views"), 0);
    assert_int_equal(json_integer_value(json_object_get(v0, "width")), LINES);
    assert_int_equal(json_integer_value(json_object_get(v0, "height")), PIXELS);
    json_decref(j);
    assert_int_equal(
        call(st, &sam, "GET", "/api/bags/1/views/1.png", "mode=inverse", NULL, NULL, NULL), 200);
    assert_int_equal(
        call(st, &sam, "GET", "/api/bags/1/views/1.png", "mode=xray", NULL, NULL, NULL), 400);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/1/views/7.png", NULL, NULL, NULL, NULL), 404);
    assert_int_equal(call(st, &sam, "POST", "/api/bags/1/decision", NULL,
                          "{\"decision\":\"maybe\"}", NULL, NULL),
                     400);
    assert_int_equal(
        call(st, &sam, "POST", "/api/bags/1/decision", NULL, "{\"decision\":\"search\"}", NULL, &j),
        200);
    assert_string_equal(json_string_value(json_object_get(j, "decided_by")), "sam");
    assert_true(json_is_null(json_object_get(j, "tip")));
    json_decref(j);
    assert_int_equal(call(st, &sam, "POST", "/api/bags/1/decision", NULL,
                          "{\"decision\":\"clear\"}", NULL, NULL),
                     409);
    assert_int_equal(
        call(st, &sam, "GET", "/api/bags/next", "after=0&wait=0&pending=1", NULL, NULL, NULL), 204);
    /* A bag evicted from memory is read back from its DICOS files. */
    for (int i = 0; i < st->cfg.cache_bags; i++) {
        lc__bag_free(st->cache[i]);
        st->cache[i] = NULL;
    }
    assert_int_equal(call(st, &sam, "GET", "/api/bags/1/views/0.png", NULL, NULL, NULL, NULL), 200);

    /* Supervisor: statistics and screener accounts only. */
    assert_int_equal(call(st, &sue, "GET", "/api/stats", NULL, NULL, NULL, &j), 200);
    json_t *scr = json_array_get(json_object_get(j, "screeners"), 0);
    assert_string_equal(json_string_value(json_object_get(scr, "user")), "sam");
    assert_int_equal(json_integer_value(json_object_get(scr, "false_alarms")), 1);
    json_decref(j);
    assert_int_equal(call(st, &sue, "POST", "/api/users", NULL,
                          "{\"name\":\"new1\",\"role\":\"screener\",\"password\":\"pass-word1\"}",
                          NULL, NULL),
                     201);
    assert_int_equal(call(st, &sue, "POST", "/api/users", NULL,
                          "{\"name\":\"boss\",\"role\":\"admin\",\"password\":\"pass-word1\"}",
                          NULL, NULL),
                     403);
    assert_int_equal(call(st, &sue, "POST", "/api/users", NULL,
                          "{\"name\":\"new1\",\"role\":\"screener\",\"password\":\"pass-word1\"}",
                          NULL, NULL),
                     409);
    assert_int_equal(
        call(st, &sue, "POST", "/api/users/aud", NULL, "{\"active\":false}", NULL, NULL), 403);
    /* Disabling sam ends sam's session at once. */
    assert_int_equal(
        call(st, &sue, "POST", "/api/users/sam", NULL, "{\"active\":false}", NULL, NULL), 200);
    assert_int_equal(call(st, &sam, "GET", "/api/me", NULL, NULL, NULL, NULL), 401);
    login(st, &sam, "sam", "screen-pass", 401);
    assert_int_equal(
        call(st, &sue, "POST", "/api/users/sue", NULL, "{\"role\":\"screener\"}", NULL, NULL), 403);
    assert_int_equal(call(st, &sue, "POST", "/api/config", NULL, "{\"tip_share\":0.25}", NULL, &j),
                     200);
    assert_float_equal(json_real_value(json_object_get(j, "tip_share")), 0.25, 1e-12);
    json_t *atr = json_object_get(j, "atr");
    assert_true(json_is_true(json_object_get(atr, "enabled")));
    assert_float_equal(
        json_real_value(json_object_get(json_object_get(atr, "sensitivity"), "weapon")), 0.5, 0);
    json_decref(j);
    assert_int_equal(call(st, &sue, "POST", "/api/config", NULL, "{\"tip_share\":2}", NULL, NULL),
                     400);

    /* Auditor: the history holds the logins, the decision, the changes. */
    assert_int_equal(call(st, &aud, "GET", "/api/events", "limit=1000", NULL, NULL, &j), 200);
    char *text = json_dumps(j, 0);
    assert_non_null(strstr(text, "\"login.ok\""));
    assert_non_null(strstr(text, "\"login.fail\""));
    assert_non_null(strstr(text, "\"decision\": \"search\""));
    assert_non_null(strstr(text, "\"config.change\""));
    assert_null(strstr(text, "screen-pass"));
    assert_null(strstr(text, "wrong-pass"));
    free(text);
    json_decref(j);
    assert_int_equal(call(st, &aud, "GET", "/api/events", "limit=0", NULL, NULL, NULL), 400);

    /* Logout ends the session. */
    assert_int_equal(call(st, &aud, "POST", "/api/logout", NULL, "{}", NULL, NULL), 200);
    assert_int_equal(call(st, &aud, "GET", "/api/events", NULL, NULL, NULL, NULL), 401);

    /* Login rate limiting: five failures lock the account name. */
    client x;
    for (int i = 0; i < LC__RL_FREE; i++)
        login(st, &x, "new1", "not-it-at-all", 401);
    login(st, &x, "new1", "pass-word1", 429);
    lc__station_free(st);
}

static void test_recover(void **state)
{
    (void)state;
    lc_station *st = headless(0, 1);
    lc_error err;
    lc__feed_item item = {.scan = synthetic(2.0, 2.5), .gt_threat = 0, .name = "synthetic"};
    assert_int_equal(lc__pipeline_bag(st, &item, lc__now_us(), &err), LC_OK);
    /* A crash after the files but before the index row, and one mid-write. */
    char p[600];
    snprintf(p, sizeof p, "%s/scans/B-orphan", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/scans/B-orphan/dx_v0_high.dcs", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(p, sizeof p, "%s/scans/.tmp-B-half", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(lc__recover(st), 2);
    assert_int_equal(lc__recover(st), 0);
    lc_scan_row row;
    assert_int_equal(lc_store_scan_get(st->store, 1, &row, &err), LC_OK);
    snprintf(p, sizeof p, "%s/%s", dir, row.dir);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    lc__station_free(st);
}

/* Whether a file holds the bytes s (a DICOM magic, say). */
static int file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf, f), k = strlen(needle);
    fclose(f);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(buf + i, needle, k) == 0)
            return 1;
    return 0;
}

static void evict_all(lc_station *st)
{
    for (int i = 0; i < st->cfg.cache_bags; i++) {
        lc__bag_free(st->cache[i]);
        st->cache[i] = NULL;
    }
}

/* Encryption at rest in the pipeline: with site keys every stored file is
 * sealed (no DICOM magic on disk), the row holds the wrapped key, and a bag
 * evicted from memory is opened again from its sealed files. A flipped byte
 * or two swapped file names make that bag fail with an error naming the
 * file (500 through the API), while other bags load. Retention erases the
 * bags nothing keeps: images 410, listed as erased, files gone, a search
 * decision keeps its bag, and recovery removes files of an erased row. */
static void test_sealed_and_retention(void **state)
{
    (void)state;
    lc_station *st = headless(11, 0);
    lc_error err;
    char kdir[400];
    snprintf(kdir, sizeof kdir, "%s/keys", dir);
    assert_int_equal(lc_keys_init(kdir, "lucent.test", NULL, &err), LC_OK);
    assert_int_equal(lc_keys_load(kdir, NULL, &st->keys, &err), LC_OK);
    assert_int_equal(
        lc_store_user_add(st->store, "sam", LC_ROLE_SCREENER, "screen-pass", "cli", &err), LC_OK);
    client sam;
    login(st, &sam, "sam", "screen-pass", 200);
    lc_scan_row rows[3];
    for (int i = 0; i < 3; i++) {
        lc__feed_item item = {.scan = synthetic(1.0 + i * 0.1, 1.2 + i * 0.1), .name = "synthetic"};
        assert_int_equal(lc__pipeline_bag(st, &item, lc__now_us() + i * 1000, &err), LC_OK);
        assert_int_equal(lc_store_scan_get(st->store, i + 1, &rows[i], &err), LC_OK);
        assert_int_equal(rows[i].sealed, 1);
    }
    static const char *const names[] = {"dx_v0_high.dcs", "dx_v0_low.dcs", "dx_v1_high.dcs",
                                        "dx_v1_low.dcs"};
    char p[800], q[800];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) {
            snprintf(p, sizeof p, "%s/%s/%s", dir, rows[i].dir, names[k]);
            assert_false(file_has(p, "DICM"));
            assert_true(file_has(p, "LCSEAL01"));
        }
    evict_all(st);
    json_t *j = NULL;
    assert_int_equal(call(st, &sam, "GET", "/api/bags/2/views/1.png", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/2", NULL, NULL, NULL, &j), 200);
    assert_true(json_is_true(json_object_get(j, "sealed")));
    json_decref(j);
    /* Bag 1: a flipped byte. Bag 2: two file names swapped. */
    snprintf(p, sizeof p, "%s/%s/dx_v1_low.dcs", dir, rows[0].dir);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    fseek(f, 5000, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 5000, SEEK_SET);
    fputc(c ^ 0x04, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/%s/dx_v0_high.dcs", dir, rows[1].dir);
    snprintf(q, sizeof q, "%s/%s/x", dir, rows[1].dir);
    assert_int_equal(rename(p, q), 0);
    char p2[800];
    snprintf(p2, sizeof p2, "%s/%s/dx_v0_low.dcs", dir, rows[1].dir);
    assert_int_equal(rename(p2, p), 0);
    assert_int_equal(rename(q, p2), 0);
    evict_all(st);
    lc__bag *bag = NULL;
    assert_int_equal(lc__cache_get(st, 1, &bag, &err), LC_ERR_FORMAT);
    assert_null(bag);
    snprintf(p, sizeof p, "scans/%s/dx_v1_low.dcs", rows[0].scan_id);
    assert_non_null(strstr(err.msg, p));
    assert_int_equal(lc__cache_get(st, 2, &bag, &err), LC_ERR_FORMAT);
    snprintf(p, sizeof p, "scans/%s/dx_v0_high.dcs", rows[1].scan_id);
    assert_non_null(strstr(err.msg, p));
    assert_int_equal(call(st, &sam, "GET", "/api/bags/1/views/0.png", NULL, NULL, NULL, &j), 500);
    snprintf(p, sizeof p, "scans/%s/dx_v1_low.dcs", rows[0].scan_id);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), p));
    json_decref(j);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/3/views/0.png", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(call(st, &sam, "POST", "/api/bags/3/decision", NULL,
                          "{\"decision\":\"search\"}", NULL, NULL),
                     200);

    /* Retention: bags 1 and 2 go, bag 3 (searched) stays. */
    st->cfg.retention_days = 1e-6;
    assert_int_equal(lc__retention_sweep(st, rows[0].stored_unix_us - 1000000), 0);
    assert_int_equal(lc__retention_sweep(st, lc__now_us() + 1000000), 2);
    assert_int_equal(lc__retention_sweep(st, lc__now_us() + 1000000), 0);
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, rows[0].dir);
    assert_int_not_equal(stat(p, &sb), 0);
    snprintf(p, sizeof p, "%s/%s", dir, rows[2].dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/2/views/0.png", NULL, NULL, NULL, &j), 410);
    assert_non_null(
        strstr(json_string_value(json_object_get(j, "error")), "erased by retention on "));
    json_decref(j);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/1", NULL, NULL, NULL, &j), 200);
    assert_non_null(strstr(json_string_value(json_object_get(j, "erased")), "erased by retention"));
    assert_int_equal(json_array_size(json_object_get(j, "views")), 0);
    json_decref(j);
    assert_int_equal(call(st, &sam, "POST", "/api/bags/1/decision", NULL,
                          "{\"decision\":\"clear\"}", NULL, NULL),
                     410);
    assert_int_equal(
        call(st, &sam, "GET", "/api/bags/next", "after=0&wait=0&pending=1", NULL, NULL, NULL), 204);
    assert_int_equal(call(st, &sam, "GET", "/api/bags/3/views/0.png", NULL, NULL, NULL, NULL), 200);
    /* A crash between key and files: recovery deletes the files. */
    snprintf(p, sizeof p, "%s/%s", dir, rows[1].dir);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(lc__recover(st), 1);
    assert_int_not_equal(stat(p, &sb), 0);
    lc__station_free(st);
}

static void test_config(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/c.json", dir);
    lc_station_config cfg;
    lc_station_config_init(&cfg);
    lc_error err;
    FILE *f = fopen(path, "w");
    fputs("{\"port\": 9090, \"demo\": true, \"tip_share\": 0.5, \"data_dir\": \"/x\"}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_OK);
    assert_int_equal(cfg.port, 9090);
    assert_int_equal(cfg.demo, 1);
    assert_float_equal(cfg.tip_share, 0.5, 0);
    assert_string_equal(cfg.address, "127.0.0.1");
    f = fopen(path, "w");
    fputs("{\"port\": 70000}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "port"));
    f = fopen(path, "w");
    fputs("{\"prot\": 1}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "prot"));
    f = fopen(path, "w");
    fputs("{\"port\": 1,}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_ERR_FORMAT);
    assert_int_equal(cfg.port, 9090); /* unchanged on failure */
    assert_float_equal(cfg.retention_days, 30, 0);
    f = fopen(path, "w");
    fputs("{\"retention_days\": 0.25}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_OK);
    assert_float_equal(cfg.retention_days, 0.25, 0);
    f = fopen(path, "w");
    fputs("{\"retention_days\": -1}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "retention_days"));
    /* the recognition's operating point: one number, or some classes' */
    assert_float_equal(cfg.atr_sensitivity[LC_ATR_WEAPON], 0.5, 0);
    f = fopen(path, "w");
    fputs("{\"atr_sensitivity\": 0.7}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_OK);
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        assert_float_equal(cfg.atr_sensitivity[c], 0.7, 0);
    f = fopen(path, "w");
    fputs("{\"atr_sensitivity\": {\"weapon\": 0.53, \"dense\": 0.4}}", f);
    fclose(f);
    assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_OK);
    assert_float_equal(cfg.atr_sensitivity[LC_ATR_EXPLOSIVE], 0.7, 0);
    assert_float_equal(cfg.atr_sensitivity[LC_ATR_WEAPON], 0.53, 0);
    assert_float_equal(cfg.atr_sensitivity[LC_ATR_DENSE], 0.4, 0);
    static const char *const bad[] = {"{\"atr_sensitivity\": 1.5}",
                                      "{\"atr_sensitivity\": \"high\"}",
                                      "{\"atr_sensitivity\": {\"bomb\": 0.5}}",
                                      "{\"atr_sensitivity\": {\"weapon\": 0.6, \"dense\": -1}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        assert_int_equal(lc_station_config_load(path, &cfg, &err), LC_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "atr_sensitivity"));
        assert_float_equal(cfg.atr_sensitivity[LC_ATR_WEAPON], 0.53, 0); /* unchanged */
    }
}

/* The station analyses every bag at the site's operating point: at
 * sensitivity 1 every candidate of a bag holding one block is an alarm, at 0
 * none is. */
static void test_atr_operating_point(void **state)
{
    (void)state;
    lc_station *st = headless(0, 1);
    lc_error err;
    assert_non_null(st->table);
    lc_scan *scan = synthetic(1.0, 1.3);
    size_t n[2];
    for (int k = 0; k < 2; k++) {
        for (int c = 0; c < LC_ATR_CLASSES; c++)
            st->cfg.atr_sensitivity[c] = k == 0 ? 1.0 : 0.0;
        lc_dicos_tdr *tdr = NULL;
        assert_int_equal(lc__analyse(st, scan, &tdr, &err), LC_OK);
        assert_non_null(tdr);
        n[k] = tdr->n_threats;
        assert_int_equal(tdr->alarm, n[k] ? LC_ALARM_ALARM : LC_ALARM_CLEAR);
        lc_dicos_tdr_free(tdr);
    }
    assert_true(n[0] >= 1);
    assert_int_equal(n[1], 0);
    lc_scan_free(scan);
    lc__station_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_ratelimit),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_attenuation_and_classes),
        cmocka_unit_test(test_alarms_from_tdr),
        cmocka_unit_test(test_tip_projection),
        cmocka_unit_test_setup_teardown(test_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_and_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atr_operating_point, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
