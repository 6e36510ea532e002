/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.c: the append-only audit log file and its signed checkpoints (see
 * lucent/trust.h for the format). The writer keeps only the "frontier" of
 * the Merkle tree (the roots of its perfect subtrees, at most 64), so an
 * append costs one leaf hash plus O(log n) node hashes and a tree head is
 * O(log n). Every append is made durable (fdatasync) before it returns.
 * Verification streams the file once and computes the tree head at every
 * checkpointed size on the way.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust/trust_int.h"
#include "util/util.h"

static const char MAGIC[8] = {'L', 'C', 'A', 'U', 'D', 'I', 'T', '1'};
#define REC_HEAD 8

/* Roots of the perfect subtrees of a tree, largest first. */
typedef struct frontier {
    uint8_t h[64][LC_HASH_SIZE];
    uint64_t size[64];
    int n;
    uint64_t count;
} frontier;

static void frontier_push(frontier *f, const uint8_t leaf[LC_HASH_SIZE])
{
    memcpy(f->h[f->n], leaf, LC_HASH_SIZE);
    f->size[f->n] = 1;
    f->n++;
    while (f->n >= 2 && f->size[f->n - 1] == f->size[f->n - 2]) {
        lc_merkle_node_hash(f->h[f->n - 2], f->h[f->n - 1], f->h[f->n - 2]);
        f->size[f->n - 2] *= 2;
        f->n--;
    }
    f->count++;
}

/* RFC 6962 MTH of the leaves pushed so far: fold the subtree roots from the
 * smallest (rightmost) up. */
static void frontier_root(const frontier *f, uint8_t out[LC_HASH_SIZE])
{
    if (f->n == 0) {
        crypto_hash_sha256(out, (const unsigned char *)"", 0);
        return;
    }
    uint8_t r[LC_HASH_SIZE];
    memcpy(r, f->h[f->n - 1], LC_HASH_SIZE);
    for (int i = f->n - 2; i >= 0; i--)
        lc_merkle_node_hash(f->h[i], r, r);
    memcpy(out, r, LC_HASH_SIZE);
}

struct lc_audit {
    int fd;
    char path[4096];
    uint64_t end; /* file size after the last complete record */
    frontier fr;
};

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Result of scanning a log file. */
typedef struct scan_result {
    uint64_t good_end;   /* offset after the last intact record */
    uint64_t torn_bytes; /* bytes of an incomplete final record */
    int64_t bad_entry;   /* first damaged record, -1 if none */
    uint64_t bad_offset;
} scan_result;

/* Called for each intact leaf during a scan. */
typedef void (*leaf_fn)(void *user, const uint8_t leaf[LC_HASH_SIZE]);

/* Reads a log file record by record, checking framing and leaf hashes. */
static lc_status scan_file(int fd, const char *path, leaf_fn fn, void *user, scan_result *res,
                           lc_error *err)
{
    memset(res, 0, sizeof *res);
    res->bad_entry = -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot stat", path);
    uint64_t fsize = (uint64_t)sb.st_size;
    FILE *f = fdopen(dup(fd), "rb");
    if (!f)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot read", path);
    lc_status st = LC_OK;
    uint8_t *buf = malloc(LC_AUDIT_MAX_ENTRY + LC_HASH_SIZE);
    if (!buf) {
        fclose(f);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    if (fsize == 0) {
        res->good_end = 0;
        goto done;
    }
    uint8_t magic[8];
    if (fsize < sizeof magic || fread(magic, 1, sizeof magic, f) != sizeof magic ||
        memcmp(magic, MAGIC, sizeof magic) != 0) {
        res->bad_entry = 0;
        res->bad_offset = 0;
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: byte 0: not a lucent audit log", path);
        goto done;
    }
    uint64_t off = sizeof magic;
    int64_t idx = 0;
    for (;;) {
        res->good_end = off;
        if (off == fsize)
            break;
        uint8_t head[REC_HEAD];
        if (fsize - off < REC_HEAD) {
            res->torn_bytes = fsize - off;
            break;
        }
        if (fread(head, 1, REC_HEAD, f) != REC_HEAD) {
            st = lc_error_set(err, LC_ERR_IO, "%s: read error", path);
            break;
        }
        uint32_t len = get_be32(head), inv = get_be32(head + 4);
        if (len != (uint32_t)~inv || len == 0 || len > LC_AUDIT_MAX_ENTRY) {
            res->bad_entry = idx;
            res->bad_offset = off;
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "%s: entry %" PRId64 " at byte %" PRIu64 ": damaged record header",
                              path, idx, off);
            break;
        }
        uint64_t rest = (uint64_t)len + LC_HASH_SIZE;
        if (fsize - off - REC_HEAD < rest) {
            res->torn_bytes = fsize - off;
            break;
        }
        if (fread(buf, 1, rest, f) != rest) {
            st = lc_error_set(err, LC_ERR_IO, "%s: read error", path);
            break;
        }
        uint8_t leaf[LC_HASH_SIZE];
        lc_merkle_leaf_hash(buf, len, leaf);
        if (sodium_memcmp(leaf, buf + len, LC_HASH_SIZE) != 0) {
            res->bad_entry = idx;
            res->bad_offset = off;
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "%s: entry %" PRId64 " at byte %" PRIu64
                              ": content does not match its hash (altered)",
                              path, idx, off);
            break;
        }
        if (fn)
            fn(user, leaf);
        off += REC_HEAD + rest;
        idx++;
    }
done:
    free(buf);
    fclose(f);
    return st;
}

static void push_leaf(void *user, const uint8_t leaf[LC_HASH_SIZE])
{
    frontier_push((frontier *)user, leaf);
}

lc_status lc_audit_open(const char *path, lc_audit **out, uint64_t *torn_bytes, lc_error *err)
{
    *out = NULL;
    if (torn_bytes)
        *torn_bytes = 0;
    lc_status st = lc__sodium_ready(err);
    if (st != LC_OK)
        return st;
    lc_audit *a = calloc(1, sizeof *a);
    if (!a)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    if (!lc__strlcpy(a->path, path, sizeof a->path)) {
        free(a);
        return lc_error_set(err, LC_ERR_ARG, "audit log path too long");
    }
    a->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (a->fd < 0) {
        int e = errno;
        free(a);
        return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    scan_result res;
    st = scan_file(a->fd, path, push_leaf, &a->fr, &res, err);
    if (st != LC_OK) {
        close(a->fd);
        free(a);
        return st;
    }
    if (res.good_end == 0) {
        /* New (or empty) log: write the magic durably. */
        if (ftruncate(a->fd, 0) != 0 || pwrite(a->fd, MAGIC, sizeof MAGIC, 0) != sizeof MAGIC ||
            fdatasync(a->fd) != 0) {
            close(a->fd);
            free(a);
            return lc_error_set(err, LC_ERR_IO, "%s: cannot initialise", path);
        }
        res.good_end = sizeof MAGIC;
    } else if (res.torn_bytes) {
        /* An incomplete final record was never acknowledged: drop it. */
        if (ftruncate(a->fd, (off_t)res.good_end) != 0 || fdatasync(a->fd) != 0) {
            close(a->fd);
            free(a);
            return lc_error_set(err, LC_ERR_IO, "%s: cannot drop a torn final record", path);
        }
        if (torn_bytes)
            *torn_bytes = res.torn_bytes;
    }
    a->end = res.good_end;
    *out = a;
    return LC_OK;
}

lc_status lc_audit_append(lc_audit *log, const void *entry, size_t len, uint64_t *index,
                          lc_error *err)
{
    if (len == 0 || len > LC_AUDIT_MAX_ENTRY)
        return lc_error_set(err, LC_ERR_ARG, "audit: entry of %zu bytes (1..%u allowed)", len,
                            LC_AUDIT_MAX_ENTRY);
    size_t total = REC_HEAD + len + LC_HASH_SIZE;
    uint8_t *rec = malloc(total);
    if (!rec)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    put_be32(rec, (uint32_t)len);
    put_be32(rec + 4, ~(uint32_t)len);
    memcpy(rec + REC_HEAD, entry, len);
    uint8_t leaf[LC_HASH_SIZE];
    lc_merkle_leaf_hash(entry, len, leaf);
    memcpy(rec + REC_HEAD + len, leaf, LC_HASH_SIZE);
    size_t done = 0;
    while (done < total) {
        ssize_t w = pwrite(log->fd, rec + done, total - done, (off_t)(log->end + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            free(rec);
            /* Cut back what was written, so the file ends at a record. */
            if (ftruncate(log->fd, (off_t)log->end) != 0) {
                /* the next open drops the torn record */
            }
            return lc_error_set(err, LC_ERR_IO, "%s: append failed: %s", log->path, strerror(e));
        }
        done += (size_t)w;
    }
    free(rec);
    if (fdatasync(log->fd) != 0)
        return lc_error_set(err, LC_ERR_IO, "%s: sync failed: %s", log->path, strerror(errno));
    log->end += total;
    if (index)
        *index = log->fr.count;
    frontier_push(&log->fr, leaf);
    return LC_OK;
}

uint64_t lc_audit_size(const lc_audit *log)
{
    return log->fr.count;
}

void lc_audit_head(const lc_audit *log, uint8_t root[LC_HASH_SIZE])
{
    frontier_root(&log->fr, root);
}

static lc_status checkpoint_dir(const char *path, char *dir, size_t cap, lc_error *err)
{
    int n = snprintf(dir, cap, "%s.ckpt", path);
    if (n < 0 || (size_t)n >= cap)
        return lc_error_set(err, LC_ERR_ARG, "%s: path too long", path);
    return LC_OK;
}

lc_status lc_audit_checkpoint(lc_audit *log, const lc_site_keys *keys, char **note, lc_error *err)
{
    if (note)
        *note = NULL;
    uint8_t root[LC_HASH_SIZE];
    frontier_root(&log->fr, root);
    char body[512];
    lc_status st = lc_checkpoint_format(keys->name, log->fr.count, root, body, sizeof body, err);
    if (st != LC_OK)
        return st;
    char *signed_note = NULL;
    st = lc_note_sign(keys, body, &signed_note, err);
    if (st != LC_OK)
        return st;
    char dir[4096], p[4200], latest[4200];
    st = checkpoint_dir(log->path, dir, sizeof dir, err);
    if (st == LC_OK)
        st = lc__mkdir_p(dir, err);
    if (st == LC_OK) {
        snprintf(p, sizeof p, "%s/%020" PRIu64 ".note", dir, log->fr.count);
        st = lc__write_file_atomic(p, signed_note, strlen(signed_note), err);
    }
    if (st == LC_OK) {
        snprintf(latest, sizeof latest, "%s.checkpoint", log->path);
        st = lc__write_file_atomic(latest, signed_note, strlen(signed_note), err);
    }
    if (st == LC_OK && note)
        *note = signed_note;
    else
        free(signed_note);
    return st;
}

void lc_audit_close(lc_audit *log)
{
    if (!log)
        return;
    close(log->fd);
    free(log);
}

/* A checkpoint to check during verification. */
typedef struct ckpt {
    uint64_t size;
    uint8_t root[LC_HASH_SIZE];
    char source[300];
    int checked;
} ckpt;

typedef struct verify_state {
    frontier fr;
    ckpt *c;
    size_t nc;
    int mismatch; /* index into c of the first mismatch + 1 */
} verify_state;

static void verify_leaf(void *user, const uint8_t leaf[LC_HASH_SIZE])
{
    verify_state *vs = user;
    frontier_push(&vs->fr, leaf);
    for (size_t i = 0; i < vs->nc; i++) {
        if (vs->c[i].size == vs->fr.count) {
            uint8_t r[LC_HASH_SIZE];
            frontier_root(&vs->fr, r);
            vs->c[i].checked = 1;
            if (memcmp(r, vs->c[i].root, LC_HASH_SIZE) != 0 && !vs->mismatch)
                vs->mismatch = (int)i + 1;
        }
    }
}

/* Loads, verifies the signature of and parses one checkpoint note. */
static lc_status load_ckpt(const char *file, const char *vkey, ckpt *out, lc_error *err)
{
    unsigned char *buf = NULL;
    size_t n = 0;
    lc_status st = lc__read_file(file, 1 << 20, &buf, &n, err);
    if (st != LC_OK)
        return st;
    size_t tl = 0;
    char origin[LC_KEY_NAME_MAX];
    st = lc_note_verify(vkey, (const char *)buf, n, &tl, err);
    if (st == LC_OK)
        st = lc_checkpoint_parse((const char *)buf, tl, origin, &out->size, out->root, err);
    free(buf);
    if (st != LC_OK)
        return lc_error_prefix(err, "%s: ", file);
    lc__strlcpy(out->source, file, sizeof out->source);
    out->checked = 0;
    return LC_OK;
}

lc_status lc_audit_verify(const char *path, const char *vkey, const char *checkpoint_path,
                          lc_audit_report *report, lc_error *err)
{
    memset(report, 0, sizeof *report);
    report->bad_entry = -1;
    lc_status st = lc__sodium_ready(err);
    if (st != LC_OK)
        return st;
    verify_state vs;
    memset(&vs, 0, sizeof vs);
    size_t cap = 0;
    /* Gather the checkpoints: the one given, and the log's own folder. */
    char dir[4096];
    st = checkpoint_dir(path, dir, sizeof dir, err);
    if (st != LC_OK)
        return st;
    char **files = NULL;
    size_t nfiles = 0;
    if (checkpoint_path) {
        files = malloc(sizeof *files);
        if (!files || !(files[0] = strdup(checkpoint_path))) {
            free(files);
            return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        }
        nfiles = 1;
    }
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t nl = strlen(e->d_name);
            if (nl < 6 || strcmp(e->d_name + nl - 5, ".note") != 0)
                continue;
            char **nf = realloc(files, (nfiles + 1) * sizeof *files);
            char *p = malloc(strlen(dir) + nl + 2);
            if (!nf || !p) {
                free(p);
                if (nf)
                    files = nf;
                st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
                break;
            }
            files = nf;
            sprintf(p, "%s/%s", dir, e->d_name);
            files[nfiles++] = p;
        }
        closedir(d);
    }
    if (st == LC_OK && nfiles > 0 && !vkey)
        st = lc_error_set(err, LC_ERR_ARG, "checkpoints need the site's verifier key to check");
    for (size_t i = 0; st == LC_OK && i < nfiles; i++) {
        if (vs.nc == cap) {
            cap = cap ? cap * 2 : 16;
            ckpt *nc = realloc(vs.c, cap * sizeof *nc);
            if (!nc) {
                st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
                break;
            }
            vs.c = nc;
        }
        st = load_ckpt(files[i], vkey, &vs.c[vs.nc], err);
        if (st == LC_OK)
            vs.nc++;
    }
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    if (st != LC_OK) {
        free(vs.c);
        return st;
    }
    /* An empty tree's head is checked without reading any entry. */
    for (size_t i = 0; i < vs.nc; i++) {
        if (vs.c[i].size == 0) {
            uint8_t r[LC_HASH_SIZE];
            frontier_root(&vs.fr, r);
            vs.c[i].checked = 1;
            if (memcmp(r, vs.c[i].root, LC_HASH_SIZE) != 0 && !vs.mismatch)
                vs.mismatch = (int)i + 1;
        }
    }

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        free(vs.c);
        return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    scan_result res;
    st = scan_file(fd, path, verify_leaf, &vs, &res, err);
    close(fd);
    report->entries = vs.fr.count;
    report->torn_bytes = res.torn_bytes;
    report->bad_entry = res.bad_entry;
    report->bad_offset = res.bad_offset;
    frontier_root(&vs.fr, report->root);
    if (st == LC_OK && vs.mismatch) {
        ckpt *c = &vs.c[vs.mismatch - 1];
        st = lc_error_set(err, LC_ERR_FORMAT,
                          "%s: the first %" PRIu64 " entries do not match the signed checkpoint "
                          "%s (entries altered, reordered or spliced)",
                          path, c->size, c->source);
    }
    for (size_t i = 0; st == LC_OK && i < vs.nc; i++) {
        if (!vs.c[i].checked) {
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "%s: has %" PRIu64 " intact entries but checkpoint %s signed %" PRIu64
                              " (entries removed or truncated)",
                              path, vs.fr.count, vs.c[i].source, vs.c[i].size);
        } else {
            report->checkpoints++;
        }
    }
    free(vs.c);
    return st;
}

static void collect_leaf(void *user, const uint8_t leaf[LC_HASH_SIZE])
{
    struct {
        uint8_t *p;
        uint64_t n, cap;
        int oom;
    } *c = user;
    if (c->oom)
        return;
    if (c->n == c->cap) {
        uint64_t nc = c->cap ? c->cap * 2 : 1024;
        uint8_t *np = realloc(c->p, nc * LC_HASH_SIZE);
        if (!np) {
            c->oom = 1;
            return;
        }
        c->p = np;
        c->cap = nc;
    }
    memcpy(c->p + c->n * LC_HASH_SIZE, leaf, LC_HASH_SIZE);
    c->n++;
}

lc_status lc_audit_read_leaves(const char *path, uint8_t **leaves, uint64_t *n, lc_error *err)
{
    *leaves = NULL;
    *n = 0;
    struct {
        uint8_t *p;
        uint64_t n, cap;
        int oom;
    } c = {NULL, 0, 0, 0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    scan_result res;
    lc_status st = scan_file(fd, path, collect_leaf, &c, &res, err);
    close(fd);
    if (st == LC_OK && c.oom)
        st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    if (st != LC_OK) {
        free(c.p);
        return st;
    }
    *leaves = c.p;
    *n = c.n;
    return LC_OK;
}
