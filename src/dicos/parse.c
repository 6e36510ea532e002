/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse.c: the DICOS (DICOM Part 10) reader. It turns the bytes of a file into
 * a tree of data sets whose values point into the file's own buffer. Every
 * length is checked against the bytes that are left before it is used, sequence
 * nesting is limited to LC_DICOS_MAX_DEPTH, the element count is limited, and a
 * top-level Pixel Data element must match Rows x Columns x frames x samples x
 * bytes per sample. Malformed input is an LC_ERR_FORMAT (or _LIMIT,
 * _UNSUPPORTED) with the tag and byte offset in the message, never a crash.
 *
 * Supported transfer syntaxes: implicit VR little endian and explicit VR little
 * endian. Everything else (big endian, deflate, JPEG, JPEG-LS, JPEG 2000, RLE)
 * is refused by name.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dicos/dicos_int.h"
#include "util/util.h"

#define MAX_ELEMENTS (1u << 20)
#define UNDEFINED    0xFFFFFFFFu

#define TAG_ITEM       LC__TAG(0xFFFE, 0xE000)
#define TAG_ITEM_DELIM LC__TAG(0xFFFE, 0xE00D)
#define TAG_SEQ_DELIM  LC__TAG(0xFFFE, 0xE0DD)
#define TAG_PIXEL_DATA LC__TAG(0x7FE0, 0x0010)

typedef struct pctx {
    const uint8_t *buf;
    size_t len;
    size_t n_elems;
    lc_error *err;
} pctx;

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* VRs whose explicit encoding has 2 reserved bytes and a 32-bit length. */
static bool vr_long(const char *vr)
{
    static const char *const longs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                        "UC", "UN", "UR", "UT", "SV", "UV"};
    for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++)
        if (vr[0] == longs[i][0] && vr[1] == longs[i][1])
            return true;
    return false;
}

static void dset_free(lc__dset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n; i++) {
        for (size_t k = 0; k < ds->els[i].n_items; k++)
            dset_free(&ds->els[i].items[k]);
        free(ds->els[i].items);
    }
    free(ds->els);
    ds->els = NULL;
    ds->n = ds->cap = 0;
}

static lc_status dset_push(pctx *c, lc__dset *ds, lc__elem **out)
{
    if (++c->n_elems > MAX_ELEMENTS)
        return lc_error_set(c->err, LC_ERR_LIMIT, "more than %u elements", MAX_ELEMENTS);
    if (ds->n == ds->cap) {
        size_t ncap = ds->cap ? ds->cap * 2 : 16;
        lc__elem *n = realloc(ds->els, ncap * sizeof *n);
        if (!n)
            return lc_error_set(c->err, LC_ERR_NOMEM, "out of memory parsing DICOS");
        ds->els = n;
        ds->cap = ncap;
    }
    *out = &ds->els[ds->n++];
    memset(*out, 0, sizeof **out);
    return LC_OK;
}

static lc_status parse_set(pctx *c, lc__dset *ds, size_t pos, size_t end, bool undefined,
                           bool implicit, bool meta_only, int depth, size_t *after);

/* Reads the items of a sequence starting at pos. With a defined length the
 * items end exactly at end; with an undefined one they end at a sequence
 * delimiter, which must come before end (the enclosing limit). */
static lc_status parse_items(pctx *c, lc__elem *sq, size_t pos, size_t end, bool undefined,
                             bool implicit, int depth, size_t *after)
{
    if (depth > LC_DICOS_MAX_DEPTH)
        return lc_error_set(c->err, LC_ERR_LIMIT,
                            "sequence (%04X,%04X) at byte %zu nested deeper than %d", sq->tag >> 16,
                            sq->tag & 0xFFFF, sq->offset, LC_DICOS_MAX_DEPTH);
    for (;;) {
        if (!undefined && pos == end)
            break;
        if (end - pos < 8)
            return lc_error_set(c->err, LC_ERR_FORMAT,
                                "sequence (%04X,%04X) at byte %zu: truncated item at byte %zu",
                                sq->tag >> 16, sq->tag & 0xFFFF, sq->offset, pos);
        const uint8_t *p = c->buf + pos;
        uint32_t tag = ((uint32_t)rd16(p) << 16) | rd16(p + 2);
        uint32_t ilen = rd32(p + 4);
        if (tag == TAG_SEQ_DELIM) {
            if (!undefined)
                return lc_error_set(c->err, LC_ERR_FORMAT,
                                    "sequence delimiter in a defined-length sequence at byte %zu",
                                    pos);
            *after = pos + 8;
            return LC_OK;
        }
        if (tag != TAG_ITEM)
            return lc_error_set(c->err, LC_ERR_FORMAT,
                                "expected an item in sequence (%04X,%04X), found (%04X,%04X) at "
                                "byte %zu",
                                sq->tag >> 16, sq->tag & 0xFFFF, tag >> 16, tag & 0xFFFF, pos);
        pos += 8;
        if (++c->n_elems > MAX_ELEMENTS)
            return lc_error_set(c->err, LC_ERR_LIMIT, "more than %u elements", MAX_ELEMENTS);
        lc__dset *items = realloc(sq->items, (sq->n_items + 1) * sizeof *items);
        if (!items)
            return lc_error_set(c->err, LC_ERR_NOMEM, "out of memory parsing DICOS");
        sq->items = items;
        lc__dset *item = &items[sq->n_items++];
        memset(item, 0, sizeof *item);
        lc_status st;
        if (ilen == UNDEFINED) {
            st = parse_set(c, item, pos, end, true, implicit, false, depth + 1, &pos);
        } else {
            if (ilen > end - pos)
                return lc_error_set(c->err, LC_ERR_FORMAT,
                                    "item length %u at byte %zu runs past its sequence", ilen,
                                    pos - 8);
            size_t ignored;
            st = parse_set(c, item, pos, pos + ilen, false, implicit, false, depth + 1, &ignored);
            pos += ilen;
        }
        if (st != LC_OK)
            return st;
    }
    if (undefined)
        return lc_error_set(c->err, LC_ERR_FORMAT,
                            "sequence (%04X,%04X) at byte %zu not terminated", sq->tag >> 16,
                            sq->tag & 0xFFFF, sq->offset);
    *after = pos;
    return LC_OK;
}

/* Reads the elements of a data set from pos up to end (defined length) or up
 * to an item delimiter (undefined length). meta_only stops before the first
 * element outside group 0002. */
static lc_status parse_set(pctx *c, lc__dset *ds, size_t pos, size_t end, bool undefined,
                           bool implicit, bool meta_only, int depth, size_t *after)
{
    if (depth > LC_DICOS_MAX_DEPTH)
        return lc_error_set(c->err, LC_ERR_LIMIT, "data set at byte %zu nested deeper than %d", pos,
                            LC_DICOS_MAX_DEPTH);
    while (pos < end) {
        if (end - pos < 8)
            return lc_error_set(c->err, LC_ERR_FORMAT, "truncated element header at byte %zu", pos);
        const uint8_t *p = c->buf + pos;
        uint16_t group = rd16(p);
        uint32_t tag = ((uint32_t)group << 16) | rd16(p + 2);
        if (meta_only && group != 0x0002)
            break;
        if (tag == TAG_ITEM_DELIM) {
            if (!undefined)
                return lc_error_set(c->err, LC_ERR_FORMAT,
                                    "item delimiter in a defined-length item at byte %zu", pos);
            *after = pos + 8;
            return LC_OK;
        }
        if (group == 0xFFFE)
            return lc_error_set(c->err, LC_ERR_FORMAT,
                                "unexpected delimiter (FFFE,%04X) at byte %zu", tag & 0xFFFF, pos);
        lc__elem *e = NULL;
        lc_status st = dset_push(c, ds, &e);
        if (st != LC_OK)
            return st;
        e->tag = tag;
        e->offset = pos;
        uint32_t len;
        if (implicit && group != 0x0002) {
            const lc__dict_entry *d = lc__dict_find(tag);
            memcpy(e->vr, d ? d->vr : "UN", 2);
            len = rd32(p + 4);
            pos += 8;
        } else {
            if (p[4] < 'A' || p[4] > 'Z' || p[5] < 'A' || p[5] > 'Z')
                return lc_error_set(c->err, LC_ERR_FORMAT,
                                    "element (%04X,%04X) at byte %zu: invalid VR bytes 0x%02X%02X",
                                    group, tag & 0xFFFF, pos, p[4], p[5]);
            e->vr[0] = (char)p[4];
            e->vr[1] = (char)p[5];
            if (vr_long(e->vr)) {
                if (end - pos < 12)
                    return lc_error_set(c->err, LC_ERR_FORMAT,
                                        "truncated element header at byte %zu", pos);
                len = rd32(p + 8);
                pos += 12;
            } else {
                len = rd16(p + 6);
                pos += 8;
            }
        }
        e->vr[2] = '\0';
        bool is_sq = strcmp(e->vr, "SQ") == 0;
        if (is_sq || (len == UNDEFINED && strcmp(e->vr, "UN") == 0)) {
            /* UN of undefined length is a sequence in implicit VR (PS3.5 6.2.2). */
            bool item_implicit = is_sq ? implicit : true;
            if (!is_sq)
                memcpy(e->vr, "SQ", 3);
            if (len == UNDEFINED) {
                st = parse_items(c, e, pos, end, true, item_implicit, depth + 1, &pos);
            } else {
                if (len > end - pos)
                    return lc_error_set(c->err, LC_ERR_FORMAT,
                                        "sequence (%04X,%04X) at byte %zu: length %u runs past the "
                                        "end",
                                        group, tag & 0xFFFF, e->offset, len);
                size_t ignored;
                st = parse_items(c, e, pos, pos + len, false, item_implicit, depth + 1, &ignored);
                pos += len;
            }
            if (st != LC_OK)
                return st;
            continue;
        }
        if (len == UNDEFINED) {
            if (tag == TAG_PIXEL_DATA)
                return lc_error_set(c->err, LC_ERR_FORMAT,
                                    "encapsulated (undefined-length) Pixel Data at byte %zu in a "
                                    "native transfer syntax",
                                    e->offset);
            return lc_error_set(c->err, LC_ERR_FORMAT,
                                "element (%04X,%04X) at byte %zu: undefined length on VR %s", group,
                                tag & 0xFFFF, e->offset, e->vr);
        }
        if (len > end - pos)
            return lc_error_set(c->err, LC_ERR_FORMAT,
                                "element (%04X,%04X) at byte %zu: length %u runs past the end (%zu "
                                "bytes left)",
                                group, tag & 0xFFFF, e->offset, len, end - pos);
        e->len = len;
        e->value = c->buf + pos;
        pos += len;
    }
    if (undefined && !meta_only)
        return lc_error_set(c->err, LC_ERR_FORMAT, "item at byte %zu not terminated", pos);
    *after = pos;
    return LC_OK;
}

/* Names of transfer syntaxes lucent refuses, for the error message. */
static const char *ts_name(const char *uid)
{
    static const struct {
        const char *uid, *name;
    } names[] = {
        {"1.2.840.10008.1.2.2", "Explicit VR Big Endian"},
        {"1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian"},
        {"1.2.840.10008.1.2.4.50", "JPEG Baseline"},
        {"1.2.840.10008.1.2.4.51", "JPEG Extended"},
        {"1.2.840.10008.1.2.4.57", "JPEG Lossless"},
        {"1.2.840.10008.1.2.4.70", "JPEG Lossless, First-Order Prediction"},
        {"1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"},
        {"1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"},
        {"1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless"},
        {"1.2.840.10008.1.2.4.91", "JPEG 2000"},
        {"1.2.840.10008.1.2.5", "RLE Lossless"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(uid, names[i].uid) == 0)
            return names[i].name;
    return "unknown transfer syntax";
}

/* A top-level Pixel Data element must hold exactly the image its attributes
 * describe (one pad byte allowed for odd 8-bit sizes). */
static lc_status check_image(const lc__dset *ds, lc_error *err)
{
    const lc__elem *pd = lc__dset_find(ds, TAG_PIXEL_DATA);
    if (!pd)
        return LC_OK;
    uint32_t rows = 0, cols = 0, bits = 0, spp = 1, frames = 1;
    if (!lc__el_uint(lc__dset_find(ds, LC__TAG(0x0028, 0x0010)), &rows) ||
        !lc__el_uint(lc__dset_find(ds, LC__TAG(0x0028, 0x0011)), &cols) ||
        !lc__el_uint(lc__dset_find(ds, LC__TAG(0x0028, 0x0100)), &bits))
        return lc_error_set(err, LC_ERR_FORMAT,
                            "Pixel Data without Rows, Columns or Bits Allocated");
    const lc__elem *e = lc__dset_find(ds, LC__TAG(0x0028, 0x0002));
    if (e && !lc__el_uint(e, &spp))
        return lc_error_set(err, LC_ERR_FORMAT, "bad Samples per Pixel");
    e = lc__dset_find(ds, LC__TAG(0x0028, 0x0008));
    if (e && !lc__el_uint(e, &frames))
        return lc_error_set(err, LC_ERR_FORMAT, "bad Number of Frames");
    if (rows == 0 || cols == 0 || frames == 0 || (spp != 1 && spp != 3) ||
        (bits != 8 && bits != 16))
        return lc_error_set(err, LC_ERR_UNSUPPORTED,
                            "image %u x %u x %u frames, %u samples of %u bits not supported", rows,
                            cols, frames, spp, bits);
    if (rows > 65535 || cols > 65535 || frames > 100000)
        return lc_error_set(err, LC_ERR_LIMIT, "image %u x %u x %u frames too large", rows, cols,
                            frames);
    uint64_t want = (uint64_t)rows * cols * frames * spp * (bits / 8);
    if (pd->len != want && !(pd->len == want + 1 && (want & 1)))
        return lc_error_set(err, LC_ERR_FORMAT,
                            "Pixel Data at byte %zu has %u bytes, Rows x Columns x frames x "
                            "samples x bytes = %llu",
                            pd->offset, pd->len, (unsigned long long)want);
    return LC_OK;
}

lc_status lc__dicos_parse_owned(uint8_t *buf, size_t len, lc_dicos_file **out, lc_error *err)
{
    *out = NULL;
    if (len < 132 || memcmp(buf + 128, "DICM", 4) != 0) {
        lc__free_wiped(buf, len);
        return lc_error_set(err, LC_ERR_FORMAT,
                            "not a DICOS file: no \"DICM\" at byte 128 (%zu bytes)", len);
    }
    lc_dicos_file *f = calloc(1, sizeof *f);
    if (!f) {
        lc__free_wiped(buf, len);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    f->buf = buf;
    f->len = len;
    pctx c = {buf, len, 0, err};
    size_t pos;
    lc_status st = parse_set(&c, &f->meta, 132, len, false, false, true, 0, &pos);
    if (st != LC_OK)
        goto fail;
    char ts[LC_ID_MAX];
    if (!lc__el_str(lc__dset_find(&f->meta, LC__TAG(0x0002, 0x0010)), ts, sizeof ts) || !ts[0]) {
        st = lc_error_set(err, LC_ERR_FORMAT, "file meta header has no Transfer Syntax UID");
        goto fail;
    }
    lc__strlcpy(f->ts, ts, sizeof f->ts);
    bool implicit;
    if (strcmp(ts, LC__TS_EXPLICIT_LE) == 0) {
        implicit = false;
    } else if (strcmp(ts, LC__TS_IMPLICIT_LE) == 0) {
        implicit = true;
    } else {
        st = lc_error_set(err, LC_ERR_UNSUPPORTED, "transfer syntax %s (%s) is not supported", ts,
                          ts_name(ts));
        goto fail;
    }
    st = parse_set(&c, &f->ds, pos, len, false, implicit, false, 0, &pos);
    if (st != LC_OK)
        goto fail;
    st = check_image(&f->ds, err);
    if (st != LC_OK)
        goto fail;
    *out = f;
    return LC_OK;
fail:
    lc_dicos_file_free(f);
    return st;
}

lc_status lc_dicos_parse(const void *buf, size_t len, lc_dicos_file **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_parse: out is NULL");
    *out = NULL;
    if (!buf && len)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_parse: buf is NULL");
    if (len > LC_DICOS_MAX_FILE)
        return lc_error_set(err, LC_ERR_LIMIT, "file of %zu bytes exceeds the limit", len);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    if (len)
        memcpy(copy, buf, len);
    return lc__dicos_parse_owned(copy, len, out, err);
}

/* Reads a whole regular file in one exact-size allocation (lc__read_file
 * grows its buffer by doubling, which costs copies on large images). */
lc_status lc__dicos_read_whole(const char *path, uint8_t **out, size_t *len, lc_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return lc_error_set(err, errno == ENOENT ? LC_ERR_NOT_FOUND : LC_ERR_IO,
                            "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return lc_error_set(err, LC_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > LC_DICOS_MAX_FILE) {
        close(fd);
        return lc_error_set(err, LC_ERR_LIMIT, "%s: %lld bytes exceed the limit of %zu", path,
                            (long long)sb.st_size, LC_DICOS_MAX_FILE);
    }
    size_t size = (size_t)sb.st_size, got = 0;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            close(fd);
            return lc_error_set(err, LC_ERR_IO, "%s: read error or file shrank", path);
        }
        got += (size_t)n;
    }
    close(fd);
    *out = buf;
    *len = size;
    return LC_OK;
}

lc_status lc_dicos_open(const char *path, lc_dicos_file **out, lc_error *err)
{
    if (!out || !path)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_open: NULL argument");
    *out = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    lc_status st = lc__dicos_read_whole(path, &buf, &len, err);
    if (st != LC_OK)
        return st;
    st = lc__dicos_parse_owned(buf, len, out, err);
    if (st != LC_OK)
        return lc_error_prefix(err, "%s: ", path);
    lc__strlcpy((*out)->path, path, sizeof(*out)->path);
    return LC_OK;
}

void lc_dicos_file_free(lc_dicos_file *f)
{
    if (!f)
        return;
    dset_free(&f->meta);
    dset_free(&f->ds);
    /* The bytes may be the plaintext of a sealed file. */
    lc__free_wiped(f->buf, f->len);
    free(f);
}

/* ---- accessors -------------------------------------------------------- */

const lc__elem *lc__dset_find(const lc__dset *ds, uint32_t tag)
{
    if (!ds)
        return NULL;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->els[i].tag == tag)
            return &ds->els[i];
    return NULL;
}

const lc__elem *lc__dset_find_priv(const lc__dset *ds, uint8_t elem)
{
    if (!ds)
        return NULL;
    /* Find the block (0029,00bb) reserved by our creator, then (0029,bbxx). */
    for (size_t i = 0; i < ds->n; i++) {
        uint32_t t = ds->els[i].tag;
        if ((t >> 16) != LC__PRIV_GROUP || (t & 0xFFFF) < 0x10 || (t & 0xFFFF) > 0xFF)
            continue;
        char name[64];
        if (lc__el_str(&ds->els[i], name, sizeof name) && strcmp(name, LC__PRIV_CREATOR) == 0)
            return lc__dset_find(ds, LC__TAG(LC__PRIV_GROUP, ((t & 0xFF) << 8) | elem));
    }
    return NULL;
}

static bool vr_is(const lc__elem *e, const char *vr)
{
    return e->vr[0] == vr[0] && e->vr[1] == vr[1];
}

static bool vr_text(const lc__elem *e)
{
    static const char *const texts[] = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT",
                                        "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (vr_is(e, texts[i]))
            return true;
    return false;
}

bool lc__el_str(const lc__elem *e, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return false;
    buf[0] = '\0';
    if (!e || !e->value)
        return false;
    size_t a = 0, b = e->len;
    while (a < b && e->value[a] == ' ')
        a++;
    while (b > a && (e->value[b - 1] == ' ' || e->value[b - 1] == '\0'))
        b--;
    /* as valid UTF-8 whatever the file holds (lucent writes ISO_IR 192;
     * other writers' bytes outside it are read as Latin-1, ISO_IR 100) */
    lc__utf8_copy(buf, cap, (const char *)e->value + a, b - a);
    return true;
}

size_t lc__el_count(const lc__elem *e)
{
    if (!e || !e->value)
        return 0;
    if (vr_is(e, "US") || vr_is(e, "SS"))
        return e->len / 2;
    if (vr_is(e, "UL") || vr_is(e, "SL") || vr_is(e, "FL"))
        return e->len / 4;
    if (vr_is(e, "FD"))
        return e->len / 8;
    if (vr_text(e)) {
        if (e->len == 0)
            return 0;
        size_t n = 1;
        for (size_t i = 0; i < e->len; i++)
            n += e->value[i] == '\\';
        return n;
    }
    return 1;
}

/* The index-th backslash-separated text value, trimmed, into buf. */
static bool text_value(const lc__elem *e, size_t index, char *buf, size_t cap)
{
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= e->len; i++) {
        if (i == e->len || e->value[i] == '\\') {
            if (k == index) {
                size_t a = start, b = i;
                while (a < b && (e->value[a] == ' '))
                    a++;
                while (b > a && (e->value[b - 1] == ' ' || e->value[b - 1] == '\0'))
                    b--;
                if (b - a >= cap)
                    return false;
                memcpy(buf, e->value + a, b - a);
                buf[b - a] = '\0';
                return true;
            }
            k++;
            start = i + 1;
        }
    }
    return false;
}

bool lc__el_double(const lc__elem *e, size_t index, double *out)
{
    if (!e || !e->value || index >= lc__el_count(e))
        return false;
    const uint8_t *p = e->value;
    if (vr_is(e, "FL")) {
        uint32_t u = rd32(p + 4 * index);
        float f;
        memcpy(&f, &u, 4);
        *out = f;
        return true;
    }
    if (vr_is(e, "FD")) {
        uint64_t u = (uint64_t)rd32(p + 8 * index) | ((uint64_t)rd32(p + 8 * index + 4) << 32);
        double d;
        memcpy(&d, &u, 8);
        *out = d;
        return true;
    }
    if (vr_is(e, "US")) {
        *out = rd16(p + 2 * index);
        return true;
    }
    if (vr_is(e, "UL")) {
        *out = rd32(p + 4 * index);
        return true;
    }
    if (vr_is(e, "DS") || vr_is(e, "IS")) {
        char tmp[64];
        if (!text_value(e, index, tmp, sizeof tmp) || !tmp[0])
            return false;
        char *end;
        double d = strtod(tmp, &end);
        if (*end)
            return false;
        *out = d;
        return true;
    }
    return false;
}

bool lc__el_uint(const lc__elem *e, uint32_t *out)
{
    if (!e || !e->value)
        return false;
    if (vr_is(e, "US") && e->len >= 2) {
        *out = rd16(e->value);
        return true;
    }
    if (vr_is(e, "UL") && e->len >= 4) {
        *out = rd32(e->value);
        return true;
    }
    if (vr_is(e, "IS") || vr_is(e, "DS") || vr_is(e, "UN")) {
        /* UN: implicit VR of a tag not in our dictionary; 2 or 4 bytes binary. */
        if (vr_is(e, "UN")) {
            if (e->len == 2) {
                *out = rd16(e->value);
                return true;
            }
            if (e->len == 4) {
                *out = rd32(e->value);
                return true;
            }
            return false;
        }
        double d;
        if (!lc__el_double(e, 0, &d) || d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d)
            return false;
        *out = (uint32_t)d;
        return true;
    }
    return false;
}

lc_status lc_dicos_file_get(const lc_dicos_file *f, uint32_t tag, char *buf, size_t cap)
{
    if (!f || !buf || cap == 0)
        return LC_ERR_ARG;
    buf[0] = '\0';
    const lc__elem *e = lc__dset_find((tag >> 16) == 0x0002 ? &f->meta : &f->ds, tag);
    if (!e)
        return LC_ERR_NOT_FOUND;
    if (vr_is(e, "SQ")) {
        snprintf(buf, cap, "<sequence of %zu items>", e->n_items);
        return LC_OK;
    }
    if (vr_text(e)) {
        lc__el_str(e, buf, cap);
        return LC_OK;
    }
    bool numeric = vr_is(e, "US") || vr_is(e, "UL") || vr_is(e, "FL") || vr_is(e, "FD") ||
                   vr_is(e, "SS") || vr_is(e, "SL");
    if (!numeric || e->len > 256) {
        snprintf(buf, cap, "<%u bytes>", e->len);
        return LC_OK;
    }
    size_t used = 0, n = lc__el_count(e);
    for (size_t i = 0; i < n && used < cap; i++) {
        char one[40];
        if (vr_is(e, "SS"))
            snprintf(one, sizeof one, "%d", (int16_t)rd16(e->value + 2 * i));
        else if (vr_is(e, "SL"))
            snprintf(one, sizeof one, "%ld", (long)(int32_t)rd32(e->value + 4 * i));
        else {
            double d = 0;
            lc__el_double(e, i, &d);
            snprintf(one, sizeof one, "%.9g", d);
        }
        int w = snprintf(buf + used, cap - used, "%s%s", i ? "\\" : "", one);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return LC_OK;
}
