/* SPDX-License-Identifier: Apache-2.0 */
/*
 * write.c: the DICOS encoder. Elements are encoded one by one (explicit VR
 * little endian, values padded to even length as PS3.5 requires) into a set
 * that is sorted by tag when serialised, sequences and items with defined
 * lengths. Also here: UID generation (ISO/IEC 9834-8 "2.25." + a random
 * 128-bit number from getrandom()) and DICOM DT date-times.
 */
#define _DEFAULT_SOURCE /* gmtime_r, getrandom */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dicos/dicos_int.h"
#include "util/util.h"

/* Implementation Class UID of lucent's writer: a fixed UUID-derived UID. */
#define LC__IMPL_UID  "2.25.98018807377227146520330658432937170432"
#define LC__IMPL_NAME "LUCENT_0"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static bool is_long_vr(const char *vr)
{
    static const char *const longs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                        "UC", "UN", "UR", "UT", "SV", "UV"};
    for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++)
        if (strcmp(vr, longs[i]) == 0)
            return true;
    return false;
}

void lc__wset_free(lc__wset *ws)
{
    if (!ws)
        return;
    for (size_t i = 0; i < ws->n; i++)
        free(ws->els[i].bytes);
    free(ws->els);
    memset(ws, 0, sizeof *ws);
}

/* Appends an element of `len` value bytes; returns a pointer to where the
 * value goes (NULL after a failure). The header is filled in here. */
static uint8_t *w_begin(lc__wset *ws, uint32_t tag, const char *vr, size_t len)
{
    if (ws->failed)
        return NULL;
    bool lng = is_long_vr(vr);
    size_t hdr = lng ? 12 : 8;
    if ((!lng && len > 0xFFFE) || len > 0xFFFFFFF0u) {
        ws->failed = true;
        return NULL;
    }
    if (ws->n == ws->cap) {
        size_t ncap = ws->cap ? ws->cap * 2 : 32;
        lc__wel *n = realloc(ws->els, ncap * sizeof *n);
        if (!n) {
            ws->failed = true;
            return NULL;
        }
        ws->els = n;
        ws->cap = ncap;
    }
    uint8_t *b = malloc(hdr + len);
    if (!b) {
        ws->failed = true;
        return NULL;
    }
    put16(b, (uint16_t)(tag >> 16));
    put16(b + 2, (uint16_t)tag);
    b[4] = (uint8_t)vr[0];
    b[5] = (uint8_t)vr[1];
    if (lng) {
        b[6] = b[7] = 0;
        put32(b + 8, (uint32_t)len);
    } else {
        put16(b + 6, (uint16_t)len);
    }
    ws->els[ws->n].tag = tag;
    ws->els[ws->n].bytes = b;
    ws->els[ws->n].len = hdr + len;
    ws->els[ws->n].ext = NULL;
    ws->els[ws->n].ext_len = 0;
    ws->n++;
    return b + hdr;
}

void lc__w_raw(lc__wset *ws, uint32_t tag, const char *vr, const void *val, size_t len)
{
    size_t padded = len + (len & 1);
    uint8_t *v = w_begin(ws, tag, vr, padded);
    if (!v)
        return;
    if (len)
        memcpy(v, val, len);
    if (padded != len) {
        bool nul = strcmp(vr, "UI") == 0 || strcmp(vr, "OB") == 0 || strcmp(vr, "UN") == 0;
        v[len] = nul ? '\0' : ' ';
    }
}

void lc__w_str(lc__wset *ws, uint32_t tag, const char *vr, const char *s)
{
    lc__w_raw(ws, tag, vr, s ? s : "", s ? strlen(s) : 0);
}

void lc__w_us(lc__wset *ws, uint32_t tag, uint16_t v)
{
    uint8_t *p = w_begin(ws, tag, "US", 2);
    if (p)
        put16(p, v);
}

void lc__w_ul(lc__wset *ws, uint32_t tag, uint32_t v)
{
    uint8_t *p = w_begin(ws, tag, "UL", 4);
    if (p)
        put32(p, v);
}

void lc__w_fl(lc__wset *ws, uint32_t tag, const float *v, size_t n)
{
    uint8_t *p = w_begin(ws, tag, "FL", 4 * n);
    for (size_t i = 0; p && i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        put32(p + 4 * i, u);
    }
}

void lc__w_fd(lc__wset *ws, uint32_t tag, const double *v, size_t n)
{
    uint8_t *p = w_begin(ws, tag, "FD", 8 * n);
    for (size_t i = 0; p && i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], 8);
        put32(p + 8 * i, (uint32_t)u);
        put32(p + 8 * i + 4, (uint32_t)(u >> 32));
    }
}

/* DS values are at most 16 characters: the shortest %g form that fits. */
void lc__w_ds(lc__wset *ws, uint32_t tag, const double *v, size_t n)
{
    char buf[17 * 8 + 1];
    size_t used = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        char one[32];
        for (int prec = 10; prec >= 1; prec--) {
            snprintf(one, sizeof one, "%.*g", prec, v[i]);
            if (strlen(one) <= 16)
                break;
        }
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? "\\" : "", one);
    }
    lc__w_raw(ws, tag, "DS", buf, used);
}

void lc__w_is(lc__wset *ws, uint32_t tag, long v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%ld", v);
    lc__w_raw(ws, tag, "IS", buf, (size_t)n);
}

void lc__w_ow(lc__wset *ws, uint32_t tag, const uint16_t *v, size_t n)
{
    size_t bytes;
    if (!lc__mul_size(n, 2, &bytes) || bytes > 0xFFFFFFF0u) {
        ws->failed = true;
        return;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Borrow the samples: they are copied once, straight into the file buffer. */
    uint8_t *p = w_begin(ws, tag, "OW", 0);
    if (!p)
        return;
    lc__wel *e = &ws->els[ws->n - 1];
    put32(e->bytes + 8, (uint32_t)bytes);
    e->ext = (const uint8_t *)v;
    e->ext_len = bytes;
#else
    uint8_t *p = w_begin(ws, tag, "OW", bytes);
    for (size_t i = 0; p && i < n; i++)
        put16(p + 2 * i, v[i]);
#endif
}

void lc__w_priv_creator(lc__wset *ws)
{
    lc__w_str(ws, LC__TAG(LC__PRIV_GROUP, 0x0010), "LO", LC__PRIV_CREATOR);
}

static int cmp_wel(const void *a, const void *b)
{
    uint32_t x = ((const lc__wel *)a)->tag, y = ((const lc__wel *)b)->tag;
    return x < y ? -1 : x > y ? 1 : 0;
}

static size_t wel_len(const lc__wel *e)
{
    return e->len + e->ext_len;
}

/* Sorts ws by tag; returns its encoded size. */
static size_t sort_size(lc__wset *ws)
{
    qsort(ws->els, ws->n, sizeof ws->els[0], cmp_wel);
    size_t total = 0;
    for (size_t i = 0; i < ws->n; i++)
        total += wel_len(&ws->els[i]);
    return total;
}

/* Copies the sorted ws into b (sort_size(ws) bytes). */
static void emit(const lc__wset *ws, uint8_t *b)
{
    size_t pos = 0;
    for (size_t i = 0; i < ws->n; i++) {
        memcpy(b + pos, ws->els[i].bytes, ws->els[i].len);
        pos += ws->els[i].len;
        if (ws->els[i].ext_len) {
            memcpy(b + pos, ws->els[i].ext, ws->els[i].ext_len);
            pos += ws->els[i].ext_len;
        }
    }
}

/* Sorts ws and copies it into a new buffer. */
static bool serialise(lc__wset *ws, uint8_t **out, size_t *len)
{
    if (ws->failed)
        return false;
    size_t total = sort_size(ws);
    uint8_t *b = malloc(total ? total : 1);
    if (!b)
        return false;
    emit(ws, b);
    *out = b;
    *len = total;
    return true;
}

void lc__w_seq(lc__wset *ws, uint32_t tag, lc__wset *items, size_t n)
{
    uint8_t **bufs = calloc(n ? n : 1, sizeof *bufs);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    size_t total = 0;
    bool ok = bufs && lens;
    for (size_t i = 0; ok && i < n; i++) {
        ok = serialise(&items[i], &bufs[i], &lens[i]);
        total += 8 + (ok ? lens[i] : 0);
    }
    uint8_t *p = ok ? w_begin(ws, tag, "SQ", total) : NULL;
    if (!ok)
        ws->failed = true;
    for (size_t i = 0; p && i < n; i++) {
        put16(p, 0xFFFE);
        put16(p + 2, 0xE000);
        put32(p + 4, (uint32_t)lens[i]);
        memcpy(p + 8, bufs[i], lens[i]);
        p += 8 + lens[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (bufs)
            free(bufs[i]);
        lc__wset_free(&items[i]);
    }
    free(bufs);
    free(lens);
}

lc_status lc__w_file(lc__wset *ds, const char *sop_class, const char *sop_uid, uint8_t **out,
                     size_t *len, lc_error *err)
{
    *out = NULL;
    *len = 0;
    lc__wset meta = {0};
    static const uint8_t version[2] = {0, 1};
    lc__w_raw(&meta, LC__TAG(2, 0x0001), "OB", version, 2);
    lc__w_str(&meta, LC__TAG(2, 0x0002), "UI", sop_class);
    lc__w_str(&meta, LC__TAG(2, 0x0003), "UI", sop_uid);
    lc__w_str(&meta, LC__TAG(2, 0x0010), "UI", LC__TS_EXPLICIT_LE);
    lc__w_str(&meta, LC__TAG(2, 0x0012), "UI", LC__IMPL_UID);
    lc__w_str(&meta, LC__TAG(2, 0x0013), "SH", LC__IMPL_NAME);
    uint8_t *mb = NULL;
    size_t ml = 0;
    bool ok = !ds->failed && serialise(&meta, &mb, &ml);
    lc__wset_free(&meta);
    size_t dl = ok ? sort_size(ds) : 0;
    uint8_t *b = NULL;
    size_t total = 128 + 4 + 12 + ml + dl;
    if (ok)
        b = malloc(total);
    if (!b) {
        free(mb);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory encoding DICOS");
    }
    memset(b, 0, 128);
    memcpy(b + 128, "DICM", 4);
    put16(b + 132, 2);
    put16(b + 134, 0);
    b[136] = 'U';
    b[137] = 'L';
    put16(b + 138, 4);
    put32(b + 140, (uint32_t)ml);
    memcpy(b + 144, mb, ml);
    emit(ds, b + 144 + ml);
    free(mb);
    *out = b;
    *len = total;
    return LC_OK;
}

lc_status lc__dicos_uid(char buf[LC_ID_MAX], lc_error *err)
{
    uint8_t r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n <= 0)
            return lc_error_set(err, LC_ERR_IO, "getrandom failed: no randomness for a UID");
        got += (size_t)n;
    }
    /* Decimal digits of the 128-bit big-endian number by repeated division. */
    char digits[48];
    size_t nd = 0;
    bool zero;
    do {
        unsigned rem = 0;
        zero = true;
        for (size_t i = 0; i < sizeof r; i++) {
            unsigned cur = (rem << 8) | r[i];
            r[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            if (r[i])
                zero = false;
        }
        digits[nd++] = (char)('0' + rem);
    } while (!zero);
    memcpy(buf, "2.25.", 5);
    for (size_t i = 0; i < nd; i++)
        buf[5 + i] = digits[nd - 1 - i];
    buf[5 + nd] = '\0';
    return LC_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void lc__dicos_dt(int64_t unix_us, char buf[32])
{
    int64_t s = unix_us / 1000000, us = unix_us % 1000000;
    if (us < 0) {
        us += 1000000;
        s -= 1;
    }
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        buf[0] = '\0';
        return;
    }
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d%02d%02d%02d%02d%02d.%06d+0000", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
    lc__strlcpy(buf, tmp, 32);
}

static bool digits_at(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool lc__dicos_parse_dt(const char *s, int64_t *unix_us)
{
    int y, mo = 1, d = 1, h = 0, mi = 0, se = 0;
    size_t n = strlen(s), i = 0;
    if (n < 8 || !digits_at(s, 4, &y) || !digits_at(s + 4, 2, &mo) || !digits_at(s + 6, 2, &d))
        return false;
    i = 8;
    if (i + 2 <= n && digits_at(s + i, 2, &h))
        i += 2;
    if (i + 2 <= n && digits_at(s + i, 2, &mi))
        i += 2;
    if (i + 2 <= n && digits_at(s + i, 2, &se))
        i += 2;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        int64_t scale = 100000;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    int off_min = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (i + 5 > n || !digits_at(s + i + 1, 2, &oh) || !digits_at(s + i + 3, 2, &om))
            return false;
        off_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 5;
    }
    if (i != n || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
                   (int64_t)off_min * 60;
    *unix_us = secs * 1000000 + frac;
    return true;
}
