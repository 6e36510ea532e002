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
