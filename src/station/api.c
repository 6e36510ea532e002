/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.c: the station's JSON HTTP API and the console's static files
 * (docs/api.md). Every handler works on an lc__req and fills an lc__resp;
 * nothing here touches a socket, so the whole surface is fuzzed directly
 * (fuzz/fuzz_http.c).
 *
 * Rules applied to every request: a session cookie for everything but the
 * console files, /api/health and /api/login; a role check per route; on
 * every POST a JSON body (Content-Type application/json, which a cross-site
 * form cannot send without a CORS preflight), an Origin that matches the
 * Host when the browser sends one, and the session's CSRF token in the
 * X-CSRF-Token header. Errors are JSON {"error": "..."} with the right 4xx
 * and never echo secrets.
 */
#define _DEFAULT_SOURCE
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "station/station_int.h"
#include "util/util.h"

#define ROLE(r)      (1u << (r))
#define R_SCREEN     (ROLE(LC_ROLE_SCREENER) | ROLE(LC_ROLE_SUPERVISOR))
#define R_SUPERVISE  (ROLE(LC_ROLE_SUPERVISOR) | ROLE(LC_ROLE_ADMIN))
#define R_AUDIT      (ROLE(LC_ROLE_AUDITOR) | ROLE(LC_ROLE_ADMIN))
#define R_ANY        0xFu
#define JSON_CT      "application/json; charset=utf-8"
#define MAX_LONGPOLL 25

void lc__resp_free(lc__resp *rs)
{
    free(rs->body);
    rs->body = NULL;
}

static void resp_json(lc__resp *rs, int status, json_t *j)
{
    rs->status = status;
    rs->ctype = JSON_CT;
    rs->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!rs->body) {
        rs->status = 500;
        rs->body = strdup("{\"error\":\"out of memory\"}");
    }
    rs->len = rs->body ? strlen(rs->body) : 0;
}

static void resp_error(lc__resp *rs, int status, const char *msg)
{
    resp_json(rs, status, json_pack("{s:s}", "error", msg));
}

/* -------------------------------------------------------------- helpers */

/* The value of cookie `name` from a Cookie header into buf. */
static bool cookie_get(const char *header, const char *name, char *buf, size_t cap)
{
    if (!header)
        return false;
    size_t nl = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t seg = end ? (size_t)(end - p) : strlen(p);
        if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = seg - nl - 1;
            if (vl >= cap)
                return false;
            memcpy(buf, p + nl + 1, vl);
            buf[vl] = 0;
            return true;
        }
        p += seg;
    }
    return false;
}

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s || !*s || strlen(s) > 18) /* 18 digits cannot overflow int64 */
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncmp(ct, "application/json", n) == 0 && (ct[n] == 0 || ct[n] == ';');
}

/* An Origin header, when present, must name this host. */
static bool origin_ok(const lc__req *rq)
{
    if (!rq->origin)
        return true;
    if (!rq->host)
        return false;
    const char *o = rq->origin;
    if (strncmp(o, "http://", 7) == 0)
        o += 7;
    else if (strncmp(o, "https://", 8) == 0)
        o += 8;
    else
        return false;
    return strcmp(o, rq->host) == 0;
}

/* Parses the request body as a JSON object; answers 400/413/415 itself. */
static json_t *body_object(const lc__req *rq, lc__resp *rs)
{
    if (rq->body_too_large) {
        resp_error(rs, 413, "request body too large");
        return NULL;
    }
    if (!is_json_type(rq->content_type)) {
        resp_error(rs, 415, "Content-Type must be application/json");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        char msg[200];
        snprintf(msg, sizeof msg, "bad JSON at line %d column %d", je.line, je.column);
        resp_error(rs, 400, msg);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        resp_error(rs, 400, "body must be a JSON object");
        return NULL;
    }
    return j;
}

/* The caller's session; answers 401 itself when there is none. */
static bool authenticate(lc_station *st, const lc__req *rq, lc__resp *rs, lc__session *se)
{
    char token[LC__TOKEN_HEX + 2];
    if (!cookie_get(rq->cookie, "lc_session", token, sizeof token) ||
        !lc__session_lookup(&st->sessions, token, lc__now_us(), se)) {
        resp_error(rs, 401, "not logged in");
        return false;
    }
    return true;
}

/* Authenticates, checks the role and, for POST, origin and CSRF token. */
static bool guard(lc_station *st, const lc__req *rq, lc__resp *rs, lc__session *se, unsigned roles)
{
    if (!authenticate(st, rq, rs, se))
        return false;
    if (!(roles & ROLE(se->role))) {
        resp_error(rs, 403, "your role may not do this");
        return false;
    }
    if (strcmp(rq->method, "POST") == 0) {
        if (!origin_ok(rq)) {
            resp_error(rs, 403, "cross-origin request refused");
            return false;
        }
        if (!lc__csrf_ok(se, rq->csrf)) {
            resp_error(rs, 403, "missing or wrong CSRF token");
            return false;
        }
    }
    return true;
}

static void record(lc_station *st, const char *kind, const char *actor, json_t *detail)
{
    char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (lc_store_event_add(st->store, kind, actor, d, NULL) != LC_OK)
        lc__log(st, "cannot record event %s", kind);
    free(d);
}

/* ------------------------------------------------------------- static */

static bool serve_asset(const char *path, lc__resp *rs)
{
    if (path[0] != '/') /* libmicrohttpd always sends one; the handlers do not assume it */
        return false;
    const char *name = strcmp(path, "/") == 0 ? "index.html" : path + 1;
    if (strchr(name, '/'))
        return false;
    for (const struct lc__web_asset *a = lc__web_assets; a->name; a++) {
        if (strcmp(a->name, name) != 0)
            continue;
        const char *ext = strrchr(name, '.');
        rs->status = 200;
        rs->ctype = !ext                        ? "application/octet-stream"
                    : strcmp(ext, ".html") == 0 ? "text/html; charset=utf-8"
                    : strcmp(ext, ".css") == 0  ? "text/css; charset=utf-8"
                    : strcmp(ext, ".js") == 0   ? "text/javascript; charset=utf-8"
                    : strcmp(ext, ".svg") == 0  ? "image/svg+xml"
                                                : "application/octet-stream";
        rs->body_static = a->data;
        rs->len = a->len;
        rs->cacheable = 1;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------- accounts */

static void handle_login(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    if (!origin_ok(rq)) {
        resp_error(rs, 403, "cross-origin request refused");
        return;
    }
    json_t *b = body_object(rq, rs);
    if (!b)
        return;
    const char *user = json_string_value(json_object_get(b, "user"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    if (!user || !pw) {
        json_decref(b);
        resp_error(rs, 400, "user and password (strings) are required");
        return;
    }
    char ukey[72], ikey[72];
    snprintf(ukey, sizeof ukey, "u:%.60s", user);
    snprintf(ikey, sizeof ikey, "ip:%.60s", rq->client ? rq->client : "?");
    int64_t now = lc__now_us();
    int wait = lc__rl_wait_s(&st->rl, ukey, now);
    int wait2 = lc__rl_wait_s(&st->rl, ikey, now);
    if (wait2 > wait)
        wait = wait2;
    if (wait > 0) {
        json_decref(b);
        rs->retry_after_s = wait;
        resp_error(rs, 429, "too many failed logins; try again later");
        return;
    }
    /* At most two Argon2id checks at once: each takes 64 MiB. */
    pthread_mutex_lock(&st->hash_mu);
    while (st->hashing >= 2)
        pthread_cond_wait(&st->hash_cv, &st->hash_mu);
    st->hashing++;
    pthread_mutex_unlock(&st->hash_mu);
    lc_user_info u;
    lc_status s = lc_store_user_verify(st->store, user, pw, &u, NULL);
    pthread_mutex_lock(&st->hash_mu);
    st->hashing--;
    pthread_cond_signal(&st->hash_cv);
    pthread_mutex_unlock(&st->hash_mu);
    if (s != LC_OK) {
        lc__rl_fail(&st->rl, ukey, now, LC__RL_FREE);
        lc__rl_fail(&st->rl, ikey, now, LC__RL_FREE_ADDR);
        /* Name the account only when it exists: a password typed into the
         * name field must not end up in the event history. */
        lc_user_info known;
        int exists =
            lc_user_name_valid(user) && lc_store_user_get(st->store, user, &known, NULL) == LC_OK;
        record(
            st, "login.fail", exists ? user : "",
            json_pack("{s:s, s:b}", "client", rq->client ? rq->client : "?", "known_user", exists));
        json_decref(b);
        resp_error(rs, 401, "wrong account name or password");
        return;
    }
    json_decref(b);
    lc__rl_ok(&st->rl, ukey);
    lc__rl_ok(&st->rl, ikey);
    char token[LC__TOKEN_HEX + 1], csrf[LC__TOKEN_HEX + 1];
    lc__session_create(&st->sessions, u.name, u.role, now, token, csrf);
    snprintf(rs->set_cookie, sizeof rs->set_cookie,
             "lc_session=%s; Path=/; HttpOnly; SameSite=Strict%s", token,
             st->cfg.tls_cert[0] ? "; Secure" : "");
    sodium_memzero(token, sizeof token);
    record(st, "login.ok", u.name,
           json_pack("{s:s, s:s}", "client", rq->client ? rq->client : "?", "role",
                     lc_role_name(u.role)));
    resp_json(
        rs, 200,
        json_pack("{s:s, s:s, s:s}", "user", u.name, "role", lc_role_name(u.role), "csrf", csrf));
}

static void handle_logout(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_ANY))
        return;
    char token[LC__TOKEN_HEX + 2];
    if (cookie_get(rq->cookie, "lc_session", token, sizeof token))
        lc__session_end(&st->sessions, token);
    record(st, "logout", se.user, NULL);
    snprintf(rs->set_cookie, sizeof rs->set_cookie,
             "lc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    resp_json(rs, 200, json_pack("{s:b}", "ok", 1));
}

static json_t *user_json(const lc_user_info *u)
{
    return json_pack("{s:s, s:s, s:b, s:I}", "name", u->name, "role", lc_role_name(u->role),
                     "active", u->active, "created_us", (json_int_t)u->created_unix_us);
}

static void handle_users_get(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_SUPERVISE))
        return;
    lc_user_info *v = NULL;
    size_t n = 0;
    if (lc_store_user_list(st->store, &v, &n, NULL) != LC_OK) {
        resp_error(rs, 500, "cannot list accounts");
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, user_json(&v[i]));
    free(v);
    resp_json(rs, 200, json_pack("{s:o}", "users", a));
}

static int status_of(lc_status s)
{
    switch (s) {
    case LC_OK:
        return 200;
    case LC_ERR_ARG:
        return 400;
    case LC_ERR_NOT_FOUND:
        return 404;
    case LC_ERR_STATE:
        return 409;
    default:
        return 500;
    }
}

/* POST /api/users (create) and POST /api/users/NAME (change). A supervisor
 * manages screener accounts only; an admin every account but cannot demote
 * or disable itself (which could leave a site without an admin). */
static void handle_users_post(lc_station *st, const lc__req *rq, lc__resp *rs, const char *name)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_SUPERVISE))
        return;
    json_t *b = body_object(rq, rs);
    if (!b)
        return;
    lc_error err;
    lc_status s;
    json_t *jrole = json_object_get(b, "role"), *jpw = json_object_get(b, "password"),
           *jact = json_object_get(b, "active");
    int role = -1;
    if (jrole) {
        lc_role r;
        if (!json_is_string(jrole) || lc_role_parse(json_string_value(jrole), &r) != LC_OK) {
            json_decref(b);
            resp_error(rs, 400, "role must be screener, supervisor, auditor or admin");
            return;
        }
        role = (int)r;
    }
    if ((jpw && !json_is_string(jpw)) || (jact && !json_is_boolean(jact))) {
        json_decref(b);
        resp_error(rs, 400, "password must be a string and active a boolean");
        return;
    }
    bool supervisor = se.role == LC_ROLE_SUPERVISOR;
    if (!name) { /* create */
        const char *nm = json_string_value(json_object_get(b, "name"));
        if (!nm || !jpw || role < 0) {
            json_decref(b);
            resp_error(rs, 400, "name, role and password are required");
            return;
        }
        if (supervisor && role != LC_ROLE_SCREENER) {
            json_decref(b);
            resp_error(rs, 403, "a supervisor may only create screener accounts");
            return;
        }
        char newname[LC_USER_NAME_MAX] = "";
        lc__strlcpy(newname, nm, sizeof newname);
        s = lc_store_user_add(st->store, nm, (lc_role)role, json_string_value(jpw), se.user, &err);
        json_decref(b);
        nm = newname;
        if (s != LC_OK) {
            resp_error(rs, status_of(s), err.msg);
            return;
        }
        lc_user_info u;
        if (lc_store_user_get(st->store, nm, &u, NULL) == LC_OK)
            resp_json(rs, 201, user_json(&u));
        else
            resp_error(rs, 500, "account created but cannot be read back");
        return;
    }
    lc_user_info target;
    if (lc_store_user_get(st->store, name, &target, NULL) != LC_OK) {
        json_decref(b);
        resp_error(rs, 404, "no such account");
        return;
    }
    if (supervisor &&
        (target.role != LC_ROLE_SCREENER || (role >= 0 && role != LC_ROLE_SCREENER))) {
        json_decref(b);
        resp_error(rs, 403, "a supervisor may only manage screener accounts");
        return;
    }
    if (strcmp(target.name, se.user) == 0 &&
        ((role >= 0 && role != (int)se.role) || (jact && !json_is_true(jact)))) {
        json_decref(b);
        resp_error(rs, 409, "you cannot change your own role or disable yourself");
        return;
    }
    s = lc_store_user_change(st->store, name, role, jact ? json_is_true(jact) : -1,
                             jpw ? json_string_value(jpw) : NULL, se.user, &err);
    json_decref(b);
    if (s != LC_OK) {
        resp_error(rs, status_of(s), err.msg);
        return;
    }
    /* Whatever changed, that account's sessions end (new role, new password,
     * disabled); except a change of one's own password keeps one's session. */
    if (strcmp(target.name, se.user) != 0)
        lc__session_end_user(&st->sessions, name);
    lc_user_info u;
    if (lc_store_user_get(st->store, name, &u, NULL) == LC_OK)
        resp_json(rs, 200, user_json(&u));
    else
        resp_error(rs, 500, "account changed but cannot be read back");
}

/* ----------------------------------------------------------------- bags */

static json_t *bag_json(const lc_scan_row *row, const lc__bag *bag)
{
    json_t *views = json_array(), *alarms = json_array();
    for (int v = 0; bag && v < bag->nviews; v++)
        json_array_append_new(views,
                              json_pack("{s:i, s:s, s:i, s:i}", "index", v, "label", bag->label[v],
                                        "width", (int)bag->w[v], "height", (int)bag->h[v]));
    for (size_t i = 0; bag && i < bag->n_alarms; i++) {
        const lc__alarm *a = &bag->alarms[i];
        json_array_append_new(alarms, json_pack("{s:i, s:[i,i,i,i], s:s}", "view", (int)a->view,
                                                "box", (int)a->box[0], (int)a->box[1],
                                                (int)a->box[2], (int)a->box[3], "label", a->label));
    }
    json_t *j =
        json_pack("{s:I, s:s, s:I, s:I, s:o, s:o, s:s, s:f}", "id", (json_int_t)row->id, "scan_id",
                  row->scan_id, "acquired_us", (json_int_t)row->acquired_unix_us, "stored_us",
                  (json_int_t)row->stored_unix_us, "views", views, "alarms", alarms, "decision",
                  lc_decision_name(row->decision), "process_ms", row->process_ms);
    if (j && row->decision != LC_DECISION_NONE) {
        json_object_set_new(j, "decided_by", json_string(row->decided_by));
        json_object_set_new(j, "decided_us", json_integer(row->decided_unix_us));
    }
    if (j) {
        /* false: stored in the clear by an older lucent (flagged) */
        json_object_set_new(j, "sealed", json_boolean(row->sealed));
        if (row->erased_unix_us) {
            lc_error e;
            lc__erased_error(row, &e);
            json_object_set_new(j, "erased", json_string(e.msg));
            json_object_set_new(j, "erased_us", json_integer(row->erased_unix_us));
        }
    }
    return j;
}

/* Answers the error of a bag that cannot be loaded: 404 (no such bag), 410
 * (erased: its images are gone for good), or 500 naming the scan and the file
 * that failed to open (the message never holds a key). */
static void bag_load_error(lc__resp *rs, lc_status s, const lc_error *err)
{
    if (s == LC_ERR_NOT_FOUND) {
        resp_error(rs, 404, "no such bag");
    } else if (s == LC_ERR_STATE && strncmp(err->msg, "erased by ", 10) == 0) {
        resp_error(rs, 410, err->msg);
    } else {
        char msg[sizeof err->msg + 40];
        snprintf(msg, sizeof msg, "bag images cannot be read: %s", err->msg);
        resp_error(rs, 500, msg);
    }
}

/* The TIP outcome shown after a decision (never before it). */
static json_t *tip_json(const lc_scan_row *row, const lc__bag *bag)
{
    if (!row->tip)
        return json_null();
    int hit = row->decision == LC_DECISION_SEARCH;
    json_t *boxes = json_array();
    for (int v = 0; bag && bag->tip_known && v < bag->nviews; v++)
        json_array_append_new(boxes, json_pack("{s:i, s:[i,i,i,i]}", "view", v, "box",
                                               (int)bag->tip_box[v][0], (int)bag->tip_box[v][1],
                                               (int)bag->tip_box[v][2], (int)bag->tip_box[v][3]));
    char msg[200];
    if (hit)
        snprintf(msg, sizeof msg,
                 "TIP: well found. This bag carried a projected %s (a test image, not a real "
                 "threat).",
                 row->tip_threat);
    else
        snprintf(msg, sizeof msg,
                 "TIP: missed. A projected %s was in this bag (a test image, not a real "
                 "threat); see the marked box.",
                 row->tip_threat);
    return json_pack("{s:s, s:b, s:o, s:s}", "threat", row->tip_threat, "hit", hit, "boxes", boxes,
                     "message", msg);
}

/* Answers with bag `id`: 200 and its JSON, or 404. */
static void answer_bag(lc_station *st, int64_t id, lc__resp *rs)
{
    lc_scan_row row;
    if (lc_store_scan_get(st->store, id, &row, NULL) != LC_OK) {
        resp_error(rs, 404, "no such bag");
        return;
    }
    lc__bag *bag = NULL;
    lc_error err;
    if (row.erased_unix_us) { /* listed as erased, without images */
        json_t *j = bag_json(&row, NULL);
        if (j && row.decision != LC_DECISION_NONE)
            json_object_set_new(j, "tip", tip_json(&row, NULL));
        resp_json(rs, 200, j);
        return;
    }
    lc_status s = lc__cache_get(st, id, &bag, &err);
    if (s != LC_OK) {
        bag_load_error(rs, s, &err);
        return;
    }
    json_t *j = bag_json(&row, bag);
    if (j && row.decision != LC_DECISION_NONE)
        json_object_set_new(j, "tip", tip_json(&row, bag));
    lc__bag_unref(st, bag);
    resp_json(rs, 200, j);
}

/* GET /api/bags/next?after=ID&wait=S[&pending=1]: the first bag after ID
 * (undecided ones only with pending=1), waiting up to S seconds for one. */
static void handle_next(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_SCREEN | R_SUPERVISE))
        return;
    char buf[32];
    int64_t after = 0, wait = 0;
    if (lc__query_get(rq->query, "after", buf, sizeof buf) &&
        !parse_i64(buf, 0, INT64_MAX / 2, &after)) {
        resp_error(rs, 400, "after must be a bag id");
        return;
    }
    if (lc__query_get(rq->query, "wait", buf, sizeof buf) &&
        !parse_i64(buf, 0, MAX_LONGPOLL, &wait)) {
        resp_error(rs, 400, "wait must be 0 to 25 seconds");
        return;
    }
    bool pending = lc__query_get(rq->query, "pending", buf, sizeof buf) && strcmp(buf, "1") == 0;
    if (wait > st->longpoll_max_s)
        wait = st->longpoll_max_s;
    int64_t deadline = lc__now_us() + wait * 1000000;
    for (;;) {
        lc_scan_row *rows = NULL;
        size_t n = 0;
        if (lc_store_scan_list(st->store, after, 64, &rows, &n, NULL) != LC_OK) {
            resp_error(rs, 500, "cannot read the index");
            return;
        }
        int64_t found = 0; /* an erased bag is never pending: nothing to screen */
        for (size_t i = 0; i < n && !found; i++)
            if (!pending || (rows[i].decision == LC_DECISION_NONE && !rows[i].erased_unix_us))
                found = rows[i].id;
        if (n > 0)
            after = rows[n - 1].id;
        free(rows);
        if (found) {
            answer_bag(st, found, rs);
            return;
        }
        if (n == 64)
            continue; /* a page of decided bags: look further */
        pthread_mutex_lock(&st->mu);
        int64_t now = lc__now_us();
        bool timeout = now >= deadline || st->stopping;
        if (!timeout && st->latest_id <= after) {
            struct timespec ts = {(time_t)(deadline / 1000000), (long)(deadline % 1000000) * 1000};
            pthread_cond_timedwait(&st->published, &st->mu, &ts);
        }
        bool stop = st->stopping;
        pthread_mutex_unlock(&st->mu);
        if (timeout || stop) {
            rs->status = 204;
            rs->ctype = JSON_CT;
            return;
        }
    }
}

static void handle_bag_png(lc_station *st, const lc__req *rq, lc__resp *rs, int64_t id, int view)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_SCREEN | R_SUPERVISE))
        return;
    char buf[32] = "colour";
    int mode = 0;
    if (lc__query_get(rq->query, "mode", buf, sizeof buf) && (mode = lc__mode_parse(buf)) < 0) {
        resp_error(rs, 400, "unknown mode");
        return;
    }
    lc__bag *bag = NULL;
    lc_error err;
    lc_scan_row row;
    /* The index first: an erased bag answers 410 even while a copy of it
     * may still sit in the cache. */
    lc_status s = lc_store_scan_get(st->store, id, &row, &err);
    if (s == LC_OK && row.erased_unix_us)
        s = lc__erased_error(&row, &err);
    if (s == LC_OK)
        s = lc__cache_get(st, id, &bag, &err);
    if (s != LC_OK) {
        bag_load_error(rs, s, &err);
        return;
    }
    const unsigned char *png;
    size_t len;
    s = lc__bag_png(bag, view, mode, &png, &len, &err);
    if (s == LC_OK) {
        rs->body = malloc(len);
        if (rs->body) {
            memcpy(rs->body, png, len);
            rs->len = len;
            rs->status = 200;
            rs->ctype = "image/png";
        }
    }
    lc__bag_unref(st, bag);
    if (s != LC_OK)
        resp_error(rs, s == LC_ERR_NOT_FOUND ? 404 : 500,
                   s == LC_ERR_NOT_FOUND ? "no such view" : "cannot render");
    else if (!rs->body)
        resp_error(rs, 500, "out of memory");
}

static void handle_decision(lc_station *st, const lc__req *rq, lc__resp *rs, int64_t id)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_SCREEN))
        return;
    json_t *b = body_object(rq, rs);
    if (!b)
        return;
    const char *d = json_string_value(json_object_get(b, "decision"));
    lc_decision dec = d && strcmp(d, "clear") == 0    ? LC_DECISION_CLEAR
                      : d && strcmp(d, "search") == 0 ? LC_DECISION_SEARCH
                                                      : LC_DECISION_NONE;
    json_decref(b);
    if (dec == LC_DECISION_NONE) {
        resp_error(rs, 400, "decision must be \"clear\" or \"search\"");
        return;
    }
    lc_scan_row row;
    if (lc_store_scan_get(st->store, id, &row, NULL) != LC_OK) {
        resp_error(rs, 404, "no such bag");
        return;
    }
    json_t *extra = json_pack("{s:b}", "tip", row.tip);
    if (row.tip) {
        json_object_set_new(extra, "tip_threat", json_string(row.tip_threat));
        json_object_set_new(extra, "tip_hit", json_boolean(dec == LC_DECISION_SEARCH));
    }
    char *ex = json_dumps(extra, JSON_COMPACT);
    json_decref(extra);
    lc_error err;
    lc_status s = row.erased_unix_us ? lc__erased_error(&row, &err)
                                     : lc_store_decide(st->store, id, dec, se.user, ex, &err);
    free(ex);
    if (s == LC_ERR_STATE && strstr(err.msg, "erased")) {
        resp_error(rs, 410, err.msg);
        return;
    }
    if (s != LC_OK) {
        resp_error(rs, status_of(s), s == LC_ERR_STATE ? "bag already decided" : err.msg);
        return;
    }
    /* The decision is committed and audited; its DICOS TDR joins the scan's
     * files. A failure there is logged, not a refusal of the decision. */
    if (lc_store_scan_get(st->store, id, &row, &err) != LC_OK ||
        lc__write_operator_tdr(st, &row, &err) != LC_OK)
        lc__log(st, "bag %lld: the operator TDR was not written: %s", (long long)id, err.msg);
    answer_bag(st, id, rs);
}

/* ---------------------------------------------------- stats, events, config */

static void handle_stats(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_SUPERVISE))
        return;
    char buf[32];
    int64_t since = 0;
    if (lc__query_get(rq->query, "since_us", buf, sizeof buf) &&
        !parse_i64(buf, 0, INT64_MAX / 2, &since)) {
        resp_error(rs, 400, "since_us must be a time in microseconds");
        return;
    }
    char *text = NULL;
    if (lc_store_stats_json(st->store, since, &text, NULL) != LC_OK) {
        resp_error(rs, 500, "cannot compute statistics");
        return;
    }
    rs->status = 200;
    rs->ctype = JSON_CT;
    rs->body = text;
    rs->len = strlen(text);
}

static void handle_events(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    lc__session se;
    if (!guard(st, rq, rs, &se, R_AUDIT))
        return;
    char buf[32];
    int64_t before = 0, limit = 100;
    if ((lc__query_get(rq->query, "before", buf, sizeof buf) &&
         !parse_i64(buf, 0, INT64_MAX / 2, &before)) ||
        (lc__query_get(rq->query, "limit", buf, sizeof buf) && !parse_i64(buf, 1, 1000, &limit))) {
        resp_error(rs, 400, "before must be an event id and limit 1 to 1000");
        return;
    }
    char *text = NULL;
    if (lc_store_event_list_json(st->store, before, (size_t)limit, &text, NULL) != LC_OK) {
        resp_error(rs, 500, "cannot read events");
        return;
    }
    size_t n = strlen(text);
    rs->body = malloc(n + 16);
    if (!rs->body) {
        free(text);
        resp_error(rs, 500, "out of memory");
        return;
    }
    rs->len = (size_t)snprintf(rs->body, n + 16, "{\"events\":%s}", text);
    free(text);
    rs->status = 200;
    rs->ctype = JSON_CT;
}

static json_t *config_json(lc_station *st)
{
    pthread_mutex_lock(&st->mu);
    double tip = st->tip_share;
    int64_t latest = st->latest_id;
    pthread_mutex_unlock(&st->mu);
    json_t *modes = json_array();
    for (int m = 0; m < LC__MODES; m++)
        json_array_append_new(modes, json_string(lc__mode_name(m)));
    /* the recognition's operating point: set where the station starts
     * (docs/station.md), read-only here */
    json_t *sens = json_object();
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        json_object_set_new(sens, lc_atr_class_name((lc_atr_class)c),
                            json_real(st->cfg.atr_sensitivity[c]));
    json_t *atr = json_pack("{s:b, s:o}", "enabled", st->cfg.atr, "sensitivity", sens);
    return json_pack("{s:f, s:b, s:f, s:o, s:s, s:I, s:o}", "tip_share", tip, "demo", st->cfg.demo,
                     "demo_rate", st->cfg.demo_rate, "modes", modes, "version", LC_VERSION,
                     "latest_id", (json_int_t)latest, "atr", atr);
}

static void handle_config(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    lc__session se;
    bool post = strcmp(rq->method, "POST") == 0;
    if (!guard(st, rq, rs, &se, post ? R_SUPERVISE : R_ANY))
        return;
    if (post) {
        json_t *b = body_object(rq, rs);
        if (!b)
            return;
        json_t *t = json_object_get(b, "tip_share");
        if (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 1) {
            json_decref(b);
            resp_error(rs, 400, "tip_share must be a number from 0 to 1");
            return;
        }
        double v = json_number_value(t);
        json_decref(b);
        pthread_mutex_lock(&st->mu);
        double old = st->tip_share;
        st->tip_share = v;
        pthread_mutex_unlock(&st->mu);
        record(st, "config.change", se.user,
               json_pack("{s:s, s:f, s:f}", "key", "tip_share", "old", old, "new", v));
    }
    resp_json(rs, 200, config_json(st));
}

/* --------------------------------------------------------------- router */

void lc__api_handle(lc_station *st, const lc__req *rq, lc__resp *rs)
{
    memset(rs, 0, sizeof *rs);
    const char *p = rq->path ? rq->path : "";
    const char *m = rq->method ? rq->method : "";
    bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
    if (strncmp(p, "/api/", 5) != 0) {
        if (get && serve_asset(p, rs))
            return;
        resp_error(rs, get ? 404 : 405, get ? "not found" : "method not allowed");
        return;
    }
    p += 5;
    if (strcmp(p, "health") == 0 && get) {
        resp_json(rs, 200, json_pack("{s:b, s:s}", "ok", 1, "version", LC_VERSION));
    } else if (strcmp(p, "login") == 0) {
        if (post)
            handle_login(st, rq, rs);
        else
            resp_error(rs, 405, "method not allowed");
    } else if (strcmp(p, "logout") == 0) {
        if (post)
            handle_logout(st, rq, rs);
        else
            resp_error(rs, 405, "method not allowed");
    } else if (strcmp(p, "me") == 0 && get) {
        lc__session se;
        if (authenticate(st, rq, rs, &se))
            resp_json(rs, 200,
                      json_pack("{s:s, s:s, s:s}", "user", se.user, "role", lc_role_name(se.role),
                                "csrf", se.csrf));
    } else if (strcmp(p, "config") == 0 && (get || post)) {
        handle_config(st, rq, rs);
    } else if (strcmp(p, "stats") == 0 && get) {
        handle_stats(st, rq, rs);
    } else if (strcmp(p, "events") == 0 && get) {
        handle_events(st, rq, rs);
    } else if (strcmp(p, "users") == 0 && (get || post)) {
        if (get)
            handle_users_get(st, rq, rs);
        else
            handle_users_post(st, rq, rs, NULL);
    } else if (strncmp(p, "users/", 6) == 0 && post) {
        handle_users_post(st, rq, rs, p + 6);
    } else if (strcmp(p, "bags/next") == 0 && get) {
        handle_next(st, rq, rs);
    } else if (strncmp(p, "bags/", 5) == 0) {
        /* bags/ID, bags/ID/decision, bags/ID/views/V.png */
        const char *q = p + 5;
        char idbuf[24];
        size_t k = 0;
        while (q[k] >= '0' && q[k] <= '9' && k < sizeof idbuf - 1) {
            idbuf[k] = q[k];
            k++;
        }
        idbuf[k] = 0;
        int64_t id;
        if (!parse_i64(idbuf, 1, INT64_MAX / 2, &id)) {
            resp_error(rs, 404, "not found");
            return;
        }
        q += k;
        if (*q == 0 && get) {
            lc__session se;
            if (guard(st, rq, rs, &se, R_SCREEN | R_SUPERVISE))
                answer_bag(st, id, rs);
        } else if (strcmp(q, "/decision") == 0 && post) {
            handle_decision(st, rq, rs, id);
        } else if (strncmp(q, "/views/", 7) == 0 && get && q[7] >= '0' && q[7] <= '9' &&
                   strcmp(q + 8, ".png") == 0) {
            handle_bag_png(st, rq, rs, id, q[7] - '0');
        } else {
            resp_error(rs, 404, "not found");
        }
    } else {
        resp_error(rs, 404, "not found");
    }
}
