/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.c: status names and the lc_error object (see lucent/error.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lucent/error.h"
#include "util/util.h"

const char *lc_strerror(lc_status status)
{
    switch (status) {
    case LC_OK:
        return "ok";
    case LC_ERR_NOMEM:
        return "out of memory";
    case LC_ERR_ARG:
        return "invalid argument";
    case LC_ERR_IO:
        return "input/output error";
    case LC_ERR_FORMAT:
        return "malformed input";
    case LC_ERR_UNSUPPORTED:
        return "unsupported";
    case LC_ERR_LIMIT:
        return "limit exceeded";
    case LC_ERR_NOT_FOUND:
        return "not found";
    case LC_ERR_PHYSICS:
        return "physics error";
    case LC_ERR_STATE:
        return "invalid state";
    }
    return "unknown status";
}

/* Drops a character cut short at the end of s: messages quote outside text
 * (file names, field values), and a message truncated inside a UTF-8
 * character would be invalid where it is shown as JSON. */
static void trim_partial_utf8(char *s)
{
    size_t n = strlen(s);
    if (n == 0 || !((unsigned char)s[n - 1] & 0x80))
        return;
    size_t j = n - 1;
    while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
        j--;
    if (lc__utf8_len((const unsigned char *)s + j, n - j) != n - j)
        s[j] = '\0';
}

lc_status lc_error_set(lc_error *err, lc_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        trim_partial_utf8(err->msg);
    }
    return status;
}

lc_status lc_error_prefix(lc_error *err, const char *fmt, ...)
{
    if (!err)
        return LC_OK;
    char head[256];
    char old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    /* Truncation is acceptable: the head and the start of the old message
     * carry the information. */
    size_t hl = strnlen(head, sizeof err->msg - 1);
    size_t ol = strnlen(old, sizeof err->msg - 1 - hl);
    memcpy(err->msg, head, hl);
    memcpy(err->msg + hl, old, ol);
    err->msg[hl + ol] = '\0';
    trim_partial_utf8(err->msg);
    return err->status;
}

void lc_error_clear(lc_error *err)
{
    if (err) {
        err->status = LC_OK;
        err->msg[0] = '\0';
    }
}
