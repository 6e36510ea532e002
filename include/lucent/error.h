/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/error.h: the one status enum of the library and the error object that
 * carries a detailed message from the function that detected a failure to the
 * caller. There is no global error state: every fallible call takes an
 * lc_error pointer (which may be NULL when the caller only wants the status).
 */
#ifndef LUCENT_ERROR_H
#define LUCENT_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LC_MUST_CHECK   __attribute__((warn_unused_result))
#define LC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LC_MUST_CHECK
#define LC_PRINTF(a, b)
#endif

/* Status codes. Values are stable: new codes are only ever added at the end. */
typedef enum lc_status {
    LC_OK = 0,
    LC_ERR_NOMEM = 1,       /* an allocation failed */
    LC_ERR_ARG = 2,         /* the caller passed an invalid argument */
    LC_ERR_IO = 3,          /* a file could not be opened, read or written */
    LC_ERR_FORMAT = 4,      /* input bytes are malformed (file, JSON, DICOS, raw dump) */
    LC_ERR_UNSUPPORTED = 5, /* well-formed input that lucent does not handle */
    LC_ERR_LIMIT = 6,       /* input exceeds a size, count or depth limit */
    LC_ERR_NOT_FOUND = 7,   /* a named thing (material, file, tag) does not exist */
    LC_ERR_PHYSICS = 8,     /* a physics library call failed or was out of range */
    LC_ERR_STATE = 9        /* the object is not in a state that allows the call */
} lc_status;

/* Returns a static, human-readable name for a status ("out of memory", ...). */
const char *lc_strerror(lc_status status);

/* Detail of the last failure of a call. Caller owns the struct (usually on the
 * stack); functions fill it only on failure. The message names what failed and
 * where (file, field, byte offset) and never contains secrets. */
typedef struct lc_error {
    lc_status status;
    char msg[512];
} lc_error;

/* Sets err (if non-NULL) to status and a printf-style message; returns status
 * so that a failing path can read `return lc_error_set(err, LC_ERR_..., ...)`. */
lc_status lc_error_set(lc_error *err, lc_status status, const char *fmt, ...) LC_PRINTF(3, 4);

/* Prefixes an existing message with context ("scene.json: " + msg). */
lc_status lc_error_prefix(lc_error *err, const char *fmt, ...) LC_PRINTF(2, 3);

/* Clears err to LC_OK and an empty message. NULL is a no-op. */
void lc_error_clear(lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
