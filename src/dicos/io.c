/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io.c: where a scan's DICOS files go. An lc_dicos_io is a pair of callbacks
 * (put a named file's bytes, get them back); the folder functions of the
 * module are the folder I/O below, and lc_dicos_mem keeps the files in
 * memory so that a caller (the station) can seal them before any byte
 * reaches the disk. Memory buffers are wiped before they are freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dicos/dicos_int.h"
#include "util/util.h"

/* ---- folder ------------------------------------------------------------ */

static lc_status folder_put(void *user, const char *name, const void *data, size_t len,
                            lc_error *err)
{
    const char *dir = user;
    char path[1024];
    if (!lc__path_join(path, sizeof path, dir, name))
        return lc_error_set(err, LC_ERR_ARG, "path too long: %s/%s", dir, name);
    return lc__write_file_atomic(path, data, len, err);
}

static lc_status folder_get(void *user, const char *name, uint8_t **data, size_t *len,
                            lc_error *err)
{
    const char *dir = user;
    char path[1024];
    *data = NULL;
    *len = 0;
    if (!lc__path_join(path, sizeof path, dir, name))
        return lc_error_set(err, LC_ERR_ARG, "path too long: %s/%s", dir, name);
    lc_status st = lc__dicos_read_whole(path, data, len, err);
    if (st == LC_ERR_NOT_FOUND)
        return lc_error_set(err, LC_ERR_NOT_FOUND, "%s: no such file", path);
    return st;
}

lc_dicos_io lc_dicos_folder_io(const char *dir)
{
    lc_dicos_io io = {folder_put, folder_get, (void *)(uintptr_t)dir, dir};
    return io;
}

/* ---- memory ------------------------------------------------------------ */

typedef struct mem_file {
    char name[64];
    uint8_t *data;
    size_t len;
} mem_file;

struct lc_dicos_mem {
    mem_file *files;
    size_t n, cap;
};

lc_status lc_dicos_mem_new(lc_dicos_mem **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_mem_new: NULL argument");
    *out = lc__calloc(1, sizeof **out);
    return *out ? LC_OK : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
}

void lc_dicos_mem_free(lc_dicos_mem *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        lc__free_wiped(m->files[i].data, m->files[i].len);
    free(m->files);
    free(m);
}

static lc_status mem_put(void *user, const char *name, const void *data, size_t len, lc_error *err)
{
    lc_dicos_mem *m = user;
    if (strlen(name) >= sizeof m->files[0].name)
        return lc_error_set(err, LC_ERR_ARG, "memory: file name too long: %s", name);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return lc_error_set(err, LC_ERR_NOMEM, "memory: out of memory for %s", name);
    if (len)
        memcpy(copy, data, len);
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->files[i].name, name) == 0) {
            lc__free_wiped(m->files[i].data, m->files[i].len);
            m->files[i].data = copy;
            m->files[i].len = len;
            return LC_OK;
        }
    }
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 8;
        mem_file *nf = realloc(m->files, ncap * sizeof *nf);
        if (!nf) {
            lc__free_wiped(copy, len);
            return lc_error_set(err, LC_ERR_NOMEM, "memory: out of memory for %s", name);
        }
        m->files = nf;
        m->cap = ncap;
    }
    mem_file *f = &m->files[m->n++];
    lc__strlcpy(f->name, name, sizeof f->name);
    f->data = copy;
    f->len = len;
    return LC_OK;
}

static lc_status mem_get(void *user, const char *name, uint8_t **data, size_t *len, lc_error *err)
{
    const lc_dicos_mem *m = user;
    *data = NULL;
    *len = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->files[i].name, name) != 0)
            continue;
        uint8_t *copy = malloc(m->files[i].len ? m->files[i].len : 1);
        if (!copy)
            return lc_error_set(err, LC_ERR_NOMEM, "memory: out of memory for %s", name);
        if (m->files[i].len)
            memcpy(copy, m->files[i].data, m->files[i].len);
        *data = copy;
        *len = m->files[i].len;
        return LC_OK;
    }
    return lc_error_set(err, LC_ERR_NOT_FOUND, "memory/%s: no such file", name);
}

lc_dicos_io lc_dicos_mem_io(lc_dicos_mem *m)
{
    lc_dicos_io io = {mem_put, mem_get, m, "memory"};
    return io;
}

size_t lc_dicos_mem_count(const lc_dicos_mem *m)
{
    return m ? m->n : 0;
}

const char *lc_dicos_mem_file(const lc_dicos_mem *m, size_t i, const uint8_t **data, size_t *len)
{
    if (!m || i >= m->n)
        return NULL;
    if (data)
        *data = m->files[i].data;
    if (len)
        *len = m->files[i].len;
    return m->files[i].name;
}

/* ---- reading through an I/O ------------------------------------------- */

const char *lc__dicos_io_label(const lc_dicos_io *io)
{
    return io && io->label ? io->label : "";
}

lc_status lc__dicos_io_open(const lc_dicos_io *io, const char *name, lc_dicos_file **f,
                            lc_error *err)
{
    *f = NULL;
    if (!io || !io->get)
        return lc_error_set(err, LC_ERR_ARG, "no I/O to read %s from", name);
    uint8_t *buf = NULL;
    size_t len = 0;
    lc_status st = io->get(io->user, name, &buf, &len, err);
    if (st != LC_OK) {
        free(buf);
        return st;
    }
    if (len > LC_DICOS_MAX_FILE) {
        lc__free_wiped(buf, len);
        return lc_error_set(err, LC_ERR_LIMIT, "%s/%s: %zu bytes exceed the limit of %zu",
                            lc__dicos_io_label(io), name, len, LC_DICOS_MAX_FILE);
    }
    st = lc__dicos_parse_owned(buf, len, f, err);
    if (st != LC_OK)
        return lc_error_prefix(err, "%s/%s: ", lc__dicos_io_label(io), name);
    if (!lc__path_join((*f)->path, sizeof(*f)->path, lc__dicos_io_label(io), name))
        lc__strlcpy((*f)->path, name, sizeof(*f)->path);
    return LC_OK;
}
