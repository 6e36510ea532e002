/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dicos_int.h: internals of the DICOS module (not API). A parsed file is a
 * tree of data sets (lc__dset) whose element values point into the file's own
 * copy of the bytes; a file being written is built as a tree of encoded
 * elements (lc__wset) that is sorted by tag and serialised at the end, so the
 * writer never has to emit elements in order by hand.
 */
#ifndef LUCENT_DICOS_INT_H
#define LUCENT_DICOS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lucent/dicos.h"

#define LC__TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))

/* Transfer syntaxes. */
#define LC__TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define LC__TS_EXPLICIT_LE "1.2.840.10008.1.2.1"

/* Private block: creator (0029,0010) "LUCENT 1", elements (0029,10xx). */
#define LC__PRIV_GROUP   0x0029u
#define LC__PRIV_CREATOR "LUCENT 1"

/* ---- parsed files ---------------------------------------------------- */

typedef struct lc__dset lc__dset;

typedef struct lc__elem {
    uint32_t tag;
    char vr[3];           /* "UN" when unknown (implicit VR, tag not in dictionary) */
    uint32_t len;         /* value length in bytes (defined) */
    const uint8_t *value; /* points into the file buffer; NULL for sequences */
    size_t offset;        /* byte offset of the element header in the file */
    lc__dset *items;      /* sequence items (SQ only) */
    size_t n_items;
} lc__elem;

struct lc__dset {
    lc__elem *els;
    size_t n, cap;
};

struct lc_dicos_file {
    uint8_t *buf;
    size_t len;
    lc__dset meta;
    lc__dset ds;
    char ts[LC_ID_MAX];
    char path[512]; /* where it came from ("" when parsed from memory) */
};

/* Parses and takes ownership of buf (malloc'd, freed even on failure). */
lc_status lc__dicos_parse_owned(uint8_t *buf, size_t len, lc_dicos_file **out, lc_error *err);

/* Reads a whole regular file of at most LC_DICOS_MAX_FILE bytes into a new
 * buffer (caller owns). LC_ERR_NOT_FOUND when it does not exist. */
lc_status lc__dicos_read_whole(const char *path, uint8_t **out, size_t *len, lc_error *err);

/* Gets file `name` through io and parses it. LC_ERR_NOT_FOUND (from the I/O)
 * when absent; parse errors are prefixed "<label>/<name>: ". */
lc_status lc__dicos_io_open(const lc_dicos_io *io, const char *name, lc_dicos_file **f,
                            lc_error *err);

/* The label of an I/O for messages ("" when it has none). */
const char *lc__dicos_io_label(const lc_dicos_io *io);

/* Finds a tag in a data set (NULL when absent). */
const lc__elem *lc__dset_find(const lc__dset *ds, uint32_t tag);
/* Finds lucent's private element (0029,10xx) whose creator is "LUCENT 1". */
const lc__elem *lc__dset_find_priv(const lc__dset *ds, uint8_t elem);

/* Value accessors; false when absent or malformed. Strings are trimmed. */
bool lc__el_str(const lc__elem *e, char *buf, size_t cap);
bool lc__el_uint(const lc__elem *e, uint32_t *out);               /* US, UL, IS, or text */
bool lc__el_double(const lc__elem *e, size_t index, double *out); /* FL, FD, DS */
size_t lc__el_count(const lc__elem *e); /* number of binary/backslash values */

/* Dictionary entry for a tag (VR and name) or NULL. */
typedef struct lc__dict_entry {
    uint32_t tag;
    const char *vr;
    const char *name;
} lc__dict_entry;
const lc__dict_entry *lc__dict_find(uint32_t tag);

/* ---- writing ------------------------------------------------------- */

typedef struct lc__wel {
    uint32_t tag;
    uint8_t *bytes; /* header + value, ready to copy */
    size_t len;
    const uint8_t *ext; /* borrowed value bytes that follow (even length), or NULL */
    size_t ext_len;
} lc__wel;

typedef struct lc__wset {
    lc__wel *els;
    size_t n, cap;
    bool failed; /* an allocation failed: the set is unusable */
} lc__wset;

void lc__wset_free(lc__wset *ws);
/* Adds an element with a raw value (padded to even length: pad byte is NUL
 * for UI/OB/binary, space for text). */
void lc__w_raw(lc__wset *ws, uint32_t tag, const char *vr, const void *val, size_t len);
void lc__w_str(lc__wset *ws, uint32_t tag, const char *vr, const char *s);
void lc__w_us(lc__wset *ws, uint32_t tag, uint16_t v);
void lc__w_ul(lc__wset *ws, uint32_t tag, uint32_t v);
void lc__w_fl(lc__wset *ws, uint32_t tag, const float *v, size_t n);
void lc__w_fd(lc__wset *ws, uint32_t tag, const double *v, size_t n);
void lc__w_ds(lc__wset *ws, uint32_t tag, const double *v, size_t n);
void lc__w_is(lc__wset *ws, uint32_t tag, long v);
/* OW of n samples. On little-endian hosts v is borrowed (not copied) until
 * the set is serialised by lc__w_file or freed. */
void lc__w_ow(lc__wset *ws, uint32_t tag, const uint16_t *v, size_t n);
/* Adds a sequence of n item sets (each serialised sorted, defined lengths).
 * Takes ownership of the items' contents and frees them, even on failure. */
void lc__w_seq(lc__wset *ws, uint32_t tag, lc__wset *items, size_t n);
/* Adds the private creator (0029,0010) "LUCENT 1". */
void lc__w_priv_creator(lc__wset *ws);

/* Serialises ds as a Part 10 file (preamble, meta, explicit VR LE data set)
 * into a new buffer (caller owns; free()). sop_class/sop_uid go into the meta. */
lc_status lc__w_file(lc__wset *ds, const char *sop_class, const char *sop_uid, uint8_t **out,
                     size_t *len, lc_error *err);

/* A fresh UID "2.25.<128-bit random decimal>" into buf[LC_ID_MAX]. */
lc_status lc__dicos_uid(char buf[LC_ID_MAX], lc_error *err);

/* DICOS date-time "YYYYMMDDHHMMSS.FFFFFF+0000" of unix microseconds (UTC). */
void lc__dicos_dt(int64_t unix_us, char buf[32]);
/* Parses a DT value (with optional fraction and offset) to unix microseconds. */
bool lc__dicos_parse_dt(const char *s, int64_t *unix_us);

/* ---- scan folders ---------------------------------------------------- */

/* What the folder index knows about one DX file. */
typedef struct lc__dx_ref {
    char path[1024];
    char sop_class[LC_ID_MAX];
    char sop_uid[LC_ID_MAX];
} lc__dx_ref;

/* File names. */
void lc__dicos_raw_name(char *buf, size_t cap, uint32_t view, lc_channel ch);
void lc__dicos_pres_name(char *buf, size_t cap, uint32_t view);

/* UIDs shared by every file of one scan. */
typedef struct lc__scan_uids {
    char study[LC_ID_MAX];
    char raw_series[LC_ID_MAX];
    char pres_series[LC_ID_MAX];
    char tdr_series[LC_ID_MAX];
} lc__scan_uids;

/* The attributes every lucent file of a scan carries: SOP common, general
 * study/series/equipment, object of inspection, and the exact private copies
 * of the scan metadata. */
void lc__dicos_add_common(lc__wset *ws, const lc_scan_info *in, const lc__scan_uids *u,
                          const char *series, const char *sop_class, const char *sop_uid,
                          const char *modality, int series_no, int instance_no);

/* The UIDs and scan metadata of a scan, from the high-energy DX file of view
 * `view` got through io. info may be NULL. */
lc_status lc__dicos_view_uids(const lc_dicos_io *io, uint32_t view, lc__scan_uids *u,
                              lc_scan_info *info, lc_error *err);

#endif
