/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.c: login sessions, CSRF tokens and login rate limiting.
 *
 * A session is identified by a random 256-bit token held only by the browser
 * (an HttpOnly, SameSite=Strict cookie); the station keeps its SHA-256, so a
 * memory dump does not hand out live cookies, and compares in constant time.
 * Each session has its own random CSRF token that the console sends back in
 * the X-CSRF-Token header on every state-changing request. Sessions live in
 * memory: a restart logs everyone out, which is the safe failure.
 */
#define _DEFAULT_SOURCE /* clock_gettime, gettimeofday */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "station/station_int.h"
#include "util/util.h"

int64_t lc__now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int64_t lc__mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void random_hex(char out[LC__TOKEN_HEX + 1])
{
    unsigned char b[LC__TOKEN_HEX / 2];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(out, LC__TOKEN_HEX + 1, b, sizeof b);
    sodium_memzero(b, sizeof b);
}

static void token_hash(const char *token, uint8_t out[32])
{
    crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

lc_status lc__sessions_init(lc__sessions *s, int cap, int64_t idle_us, lc_error *err)
{
    memset(s, 0, sizeof *s);
    if (cap < 1)
        cap = 1;
    s->v = lc__calloc((size_t)cap, sizeof *s->v);
    if (!s->v)
        return lc_error_set(err, LC_ERR_NOMEM, "sessions: out of memory");
    s->cap = cap;
    s->idle_us = idle_us;
    s->max_age_us = 12LL * 3600 * 1000000; /* one shift */
    pthread_mutex_init(&s->mu, NULL);
    return LC_OK;
}

void lc__sessions_destroy(lc__sessions *s)
{
    if (!s->v)
        return;
    sodium_memzero(s->v, (size_t)s->cap * sizeof *s->v);
    free(s->v);
    s->v = NULL;
    pthread_mutex_destroy(&s->mu);
}

static bool expired(const lc__sessions *s, const lc__session *se, int64_t now)
{
    return now - se->last_us > s->idle_us || now - se->created_us > s->max_age_us;
}

void lc__session_create(lc__sessions *s, const char *user, lc_role role, int64_t now,
                        char token[LC__TOKEN_HEX + 1], char csrf[LC__TOKEN_HEX + 1])
{
    random_hex(token);
    random_hex(csrf);
    pthread_mutex_lock(&s->mu);
    int slot = -1, lru = 0;
    for (int i = 0; i < s->cap; i++) {
        if (!s->v[i].in_use || expired(s, &s->v[i], now)) {
            slot = i;
            break;
        }
        if (s->v[i].last_us < s->v[lru].last_us)
            lru = i;
    }
    if (slot < 0)
        slot = lru;
    lc__session *se = &s->v[slot];
    memset(se, 0, sizeof *se);
    se->in_use = 1;
    token_hash(token, se->token_hash);
    memcpy(se->csrf, csrf, LC__TOKEN_HEX + 1);
    lc__strlcpy(se->user, user, sizeof se->user);
    se->role = role;
    se->created_us = se->last_us = now;
    pthread_mutex_unlock(&s->mu);
}

/* Index of the live session of a token, or -1; caller holds the lock. */
static int find(lc__sessions *s, const char *token)
{
    if (!token || strlen(token) != LC__TOKEN_HEX)
        return -1;
    uint8_t h[32];
    token_hash(token, h);
    int found = -1;
    for (int i = 0; i < s->cap; i++)
        if (s->v[i].in_use && sodium_memcmp(h, s->v[i].token_hash, 32) == 0)
            found = i;
    return found;
}

bool lc__session_lookup(lc__sessions *s, const char *token, int64_t now, lc__session *out)
{
    pthread_mutex_lock(&s->mu);
    int i = find(s, token);
    bool ok = false;
    if (i >= 0) {
        if (expired(s, &s->v[i], now)) {
            sodium_memzero(&s->v[i], sizeof s->v[i]);
        } else {
            s->v[i].last_us = now;
            *out = s->v[i];
            ok = true;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

void lc__session_end(lc__sessions *s, const char *token)
{
    pthread_mutex_lock(&s->mu);
    int i = find(s, token);
    if (i >= 0)
        sodium_memzero(&s->v[i], sizeof s->v[i]);
    pthread_mutex_unlock(&s->mu);
}

void lc__session_end_user(lc__sessions *s, const char *user)
{
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->cap; i++)
        if (s->v[i].in_use && strcmp(s->v[i].user, user) == 0)
            sodium_memzero(&s->v[i], sizeof s->v[i]);
    pthread_mutex_unlock(&s->mu);
}

bool lc__csrf_ok(const lc__session *se, const char *sent)
{
    if (!sent || strlen(sent) != LC__TOKEN_HEX)
        return false;
    return sodium_memcmp(se->csrf, sent, LC__TOKEN_HEX) == 0;
}

/* ------------------------------------------------------------ rate limit */

void lc__rl_init(lc__ratelimit *rl)
{
    memset(rl->slot, 0, sizeof rl->slot);
    pthread_mutex_init(&rl->mu, NULL);
}

void lc__rl_destroy(lc__ratelimit *rl)
{
    pthread_mutex_destroy(&rl->mu);
}

/* The slot of a key; with create, a free or the least recently used slot
 * is taken over. Caller holds the lock. */
static lc__rl_slot *rl_slot(lc__ratelimit *rl, const char *key, bool create)
{
    int lru = 0;
    for (int i = 0; i < LC__RL_SLOTS; i++) {
        if (rl->slot[i].key[0] && strcmp(rl->slot[i].key, key) == 0)
            return &rl->slot[i];
        if (rl->slot[i].last_us < rl->slot[lru].last_us)
            lru = i;
    }
    if (!create)
        return NULL;
    lc__rl_slot *s = &rl->slot[lru];
    memset(s, 0, sizeof *s);
    lc__strlcpy(s->key, key, sizeof s->key);
    return s;
}

int lc__rl_wait_s(lc__ratelimit *rl, const char *key, int64_t now)
{
    pthread_mutex_lock(&rl->mu);
    lc__rl_slot *s = rl_slot(rl, key, false);
    int wait = 0;
    if (s && s->locked_until_us > now)
        wait = (int)((s->locked_until_us - now + 999999) / 1000000);
    pthread_mutex_unlock(&rl->mu);
    return wait;
}

void lc__rl_fail(lc__ratelimit *rl, const char *key, int64_t now, int free)
{
    pthread_mutex_lock(&rl->mu);
    lc__rl_slot *s = rl_slot(rl, key, true);
    /* A quiet hour forgives earlier failures. */
    if (now - s->last_us > 3600LL * 1000000)
        s->fails = 0;
    s->fails++;
    s->last_us = now;
    if (s->fails >= free) {
        int shift = s->fails - free;
        int64_t secs = shift >= 9 ? LC__RL_MAX_S : (int64_t)1 << shift;
        if (secs > LC__RL_MAX_S)
            secs = LC__RL_MAX_S;
        s->locked_until_us = now + secs * 1000000;
    }
    pthread_mutex_unlock(&rl->mu);
}

void lc__rl_ok(lc__ratelimit *rl, const char *key)
{
    pthread_mutex_lock(&rl->mu);
    lc__rl_slot *s = rl_slot(rl, key, false);
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&rl->mu);
}

/* ---------------------------------------------------------------- query */

bool lc__query_get(const char *query, const char *name, char *buf, size_t cap)
{
    if (!query || !name || cap == 0)
        return false;
    size_t nl = strlen(name);
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t seg = end ? (size_t)(end - p) : strlen(p);
        if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = seg - nl - 1;
            if (vl >= cap)
                return false;
            memcpy(buf, p + nl + 1, vl);
            buf[vl] = 0;
            return true;
        }
        if (seg == nl && strncmp(p, name, nl) == 0) {
            buf[0] = 0;
            return true;
        }
        p += seg;
        if (*p == '&')
            p++;
    }
    return false;
}
