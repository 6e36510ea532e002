/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.h: internal helpers shared by every module of the library (not API):
 * checked allocation, bounded string copies, overflow-checked size arithmetic
 * and small file helpers. Modules include it as "util/util.h".
 */
#ifndef LUCENT_UTIL_H
#define LUCENT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"

/* calloc(n, size) with overflow check; NULL on failure (the caller reports). */
void *lc__calloc(size_t n, size_t size);
/* malloc(n * size) with overflow check. */
void *lc__mallocn(size_t n, size_t size);

/* Zeroes len bytes of p (the compiler may not drop it) and frees p. NULL is a
 * no-op. For buffers that held plaintext of sealed files. */
void lc__free_wiped(void *p, size_t len);

/* a*b into *out; false on overflow. */
bool lc__mul_size(size_t a, size_t b, size_t *out);

/* Copies src into dst[cap] always NUL-terminated; returns false when
 * truncated. A UTF-8 src is cut between characters (so dst may hold up to 3
 * bytes fewer than cap - 1). */
bool lc__strlcpy(char *dst, const char *src, size_t cap);

/* Length (1..4) of the well-formed UTF-8 character at p[0..n), or 0 when
 * the bytes there are not one (overlong forms, surrogates and code points
 * above U+10FFFF are not). */
size_t lc__utf8_len(const unsigned char *p, size_t n);

/* Copies the n bytes at src into dst[cap] as valid UTF-8, NUL-terminated:
 * well-formed characters as they are, every other byte b >= 0x80 read as
 * Latin-1 (U+0080..U+00FF, the DICOS repertoire ISO_IR 100), NUL as a space;
 * cut between characters when it does not fit. Returns the bytes written. */
size_t lc__utf8_copy(char *dst, size_t cap, const char *src, size_t n);

/* Reads a whole file into a new buffer (NUL-appended, not counted in *len).
 * max_bytes bounds the size (LC_ERR_LIMIT beyond it). Caller owns *out (free()). */
lc_status lc__read_file(const char *path, size_t max_bytes, unsigned char **out, size_t *len,
                        lc_error *err);

/* Writes buf to path atomically: a temporary file in the same folder, fsync,
 * rename. A failure leaves any earlier file at path untouched. */
lc_status lc__write_file_atomic(const char *path, const void *buf, size_t len, lc_error *err);

/* Creates a folder (and its parents) if missing. */
lc_status lc__mkdir_p(const char *path, lc_error *err);

/* Joins dir and name with one '/' into dst[cap]; false when it does not fit. */
bool lc__path_join(char *dst, size_t cap, const char *dir, const char *name);

#endif
