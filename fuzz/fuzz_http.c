/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_http.c: fuzz target for the station's request handlers
 * (lc__api_handle), the whole HTTP surface behind libmicrohttpd's parser.
 * The input is a request in fields separated by newlines:
 *   METHOD \n PATH \n QUERY \n COOKIE \n CSRF \n CONTENT-TYPE \n ORIGIN \n BODY...
 * A COOKIE of "@s", "@v", "@a" or "@d" is replaced by a live session of a
 * screener, supervisor, auditor or admin, and a CSRF of "@" by that session's
 * token, so the fuzzer reaches the authenticated handlers. One headless
 * station (no socket, no threads) in a temporary folder holds one stored bag.
 * Every request must be answered with a status, never crash or leak.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/station_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lc_station *g_st;
static char g_dir[64];
static char g_cookie[4][LC__TOKEN_HEX + 16];
static char g_csrf[4][LC__TOKEN_HEX + 1];

static void cleanup(void)
{
    lc__station_free(g_st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_http: cannot remove %s\n", g_dir);
}

/* A small two-view bag with a dark square, stored through the pipeline. */
static void add_bag(void)
{
    lc_scan *scan = NULL;
    if (lc_scan_new(NULL, &scan, NULL) != LC_OK)
        abort();
    for (int v = 0; v < 2; v++) {
        lc_view *view = NULL;
        if (lc_scan_add_view(scan, NULL, 24, 16, &view, NULL) != LC_OK)
            abort();
        for (int c = 0; c < 2; c++) {
            uint16_t *p = lc_view_plane(view, (lc_channel)c);
            for (int i = 0; i < 24 * 16; i++)
                p[i] = (uint16_t)((i % 24 > 8 && i % 24 < 16) ? 9000 - 2000 * c : 65000);
        }
    }
    lc__feed_item item = {.scan = scan, .gt_threat = 0};
    lc_error err;
    if (lc__pipeline_bag(g_st, &item, lc__now_us(), &err) != LC_OK)
        abort();
}

static void init(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/lc_fuzz_http_XXXXXX");
    if (!mkdtemp(g_dir))
        abort();
    lc_station_config cfg;
    lc_station_config_init(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", g_dir);
    cfg.seed = 1;
    lc_error err;
    if (lc__station_new_headless(&cfg, &g_st, &err) != LC_OK)
        abort();
    g_st->longpoll_max_s = 0;
    static const char *names[4] = {"scr", "sup", "aud", "adm"};
    static const lc_role roles[4] = {LC_ROLE_SCREENER, LC_ROLE_SUPERVISOR, LC_ROLE_AUDITOR,
                                     LC_ROLE_ADMIN};
    for (int i = 0; i < 4; i++) {
        if (lc_store_user_add(g_st->store, names[i], roles[i], "fuzz-password", "cli", &err) !=
            LC_OK)
            abort();
        char tok[LC__TOKEN_HEX + 1];
        lc__session_create(&g_st->sessions, names[i], roles[i], lc__now_us(), tok, g_csrf[i]);
        snprintf(g_cookie[i], sizeof g_cookie[i], "lc_session=%s", tok);
    }
    add_bag();
    atexit(cleanup);
}

/* Splits off the next newline-terminated field into a new NUL-terminated
 * string (caller frees). */
static char *field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p;
    const uint8_t *nl = memchr(s, '\n', (size_t)(end - s));
    const uint8_t *e = nl ? nl : end;
    char *out = malloc((size_t)(e - s) + 1);
    if (!out)
        abort();
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = 0;
    *p = nl ? nl + 1 : end;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_st)
        init();
    const uint8_t *p = data, *end = data + size;
    char *f[7];
    for (int i = 0; i < 7; i++)
        f[i] = field(&p, end);
    int who = -1;
    if (f[3][0] == '@')
        who = f[3][1] == 's' ? 0 : f[3][1] == 'v' ? 1 : f[3][1] == 'a' ? 2 : 3;
    /* The body is copied exactly, so reads past it hit the redzone. */
    size_t blen = (size_t)(end - p);
    char *body = malloc(blen ? blen : 1);
    if (!body)
        abort();
    memcpy(body, p, blen);
    lc__req rq = {
        .method = f[0],
        .path = f[1],
        .query = f[2],
        .cookie = who >= 0 ? g_cookie[who] : (f[3][0] ? f[3] : NULL),
        .csrf = who >= 0 && strcmp(f[4], "@") == 0 ? g_csrf[who] : (f[4][0] ? f[4] : NULL),
        .content_type = f[5][0] ? f[5] : NULL,
        .origin = f[6][0] ? f[6] : NULL,
        .host = "127.0.0.1:8080",
        .client = "127.0.0.1",
        .body = body,
        .body_len = blen,
        .body_too_large = blen > LC__BODY_MAX,
    };
    lc__resp rs;
    lc__api_handle(g_st, &rq, &rs);
    if (rs.status < 200 || rs.status > 599)
        abort();
    lc__resp_free(&rs);
    free(body);
    for (int i = 0; i < 7; i++)
        free(f[i]);
    return 0;
}
