/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c: checked allocation, bounded strings and atomic file writes shared by
 * the modules (see util/util.h).
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void lc__free_wiped(void *p, size_t len)
{
    if (p)
        explicit_bzero(p, len);
    free(p);
}

bool lc__mul_size(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

void *lc__calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0)
        return calloc(1, 1);
    return calloc(n, size);
}

void *lc__mallocn(size_t n, size_t size)
{
    size_t total;
    if (!lc__mul_size(n, size, &total))
        return NULL;
    return malloc(total ? total : 1);
}

bool lc__strlcpy(char *dst, const char *src, size_t cap)
{
    if (cap == 0)
        return false;
    size_t n = src ? strlen(src) : 0;
    bool fits = n < cap;
    if (!fits) {
        /* cut before a character, not inside one: every string here is
         * UTF-8, and half a character makes the rest invalid (jansson
         * refuses to encode it) */
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

size_t lc__utf8_len(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

size_t lc__utf8_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (cap == 0)
        return 0;
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0, i = 0;
    while (src && i < n) {
        size_t k = lc__utf8_len(p + i, n - i);
        unsigned char two[2];
        const unsigned char *from = p + i;
        size_t w = k;
        if (k == 0) { /* a stray byte: Latin-1 */
            two[0] = (unsigned char)(0xC0 | (p[i] >> 6));
            two[1] = (unsigned char)(0x80 | (p[i] & 0x3F));
            from = two;
            w = 2;
            k = 1;
        } else if (p[i] == 0) {
            two[0] = ' ';
            from = two;
        }
        if (o + w > cap - 1)
            break;
        memcpy(dst + o, from, w);
        o += w;
        i += k;
    }
    dst[o] = '\0';
    return o;
}

bool lc__path_join(char *dst, size_t cap, const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    int n;
    if (dl > 0 && dir[dl - 1] == '/')
        n = snprintf(dst, cap, "%s%s", dir, name);
    else
        n = snprintf(dst, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap;
}

lc_status lc__read_file(const char *path, size_t max_bytes, unsigned char **out, size_t *len,
                        lc_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lc_error_set(err, errno == ENOENT ? LC_ERR_NOT_FOUND : LC_ERR_IO,
                            "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes + 1) {
                free(buf);
                fclose(f);
                return lc_error_set(err, LC_ERR_LIMIT, "%s: larger than the limit of %zu bytes",
                                    path, max_bytes);
            }
            size_t ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            unsigned char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                fclose(f);
                return lc_error_set(err, LC_ERR_IO, "%s: read error", path);
            }
            break;
        }
    }
    fclose(f);
    if (n > max_bytes) {
        free(buf);
        return lc_error_set(err, LC_ERR_LIMIT, "%s: larger than the limit of %zu bytes", path,
                            max_bytes);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return LC_OK;
}

lc_status lc__write_file_atomic(const char *path, const void *buf, size_t len, lc_error *err)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return lc_error_set(err, LC_ERR_ARG, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    const unsigned char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return lc_error_set(err, LC_ERR_IO, "%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return lc_error_set(err, LC_ERR_IO, "%s: sync failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return lc_error_set(err, LC_ERR_IO, "%s: rename failed: %s", path, strerror(e));
    }
    return LC_OK;
}

lc_status lc__mkdir_p(const char *path, lc_error *err)
{
    char buf[4096];
    if (!lc__strlcpy(buf, path, sizeof buf))
        return lc_error_set(err, LC_ERR_ARG, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return lc_error_set(err, LC_ERR_IO, "%s: cannot create folder: %s", buf,
                                    strerror(errno));
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_error_set(err, LC_ERR_IO, "%s: exists and is not a folder", buf);
    return LC_OK;
}
