/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/import.h: bringing vendor raw dumps in. A raw dump is an optional
 * header followed by unsigned integer samples of one or two energy planes; the
 * layout (header size, pixels per line, line count, channel order, plane and
 * sample order, byte order, bits) is described by the caller, usually from the
 * flags of `lucent import raw`. The result is a one-view lc_scan.
 *
 * Every inconsistency (a truncated file, trailing bytes, a line count in the
 * header that does not match the size, samples above the stated bit depth) is
 * refused with a message that names the reason and the byte offset.
 */
#ifndef LUCENT_IMPORT_H
#define LUCENT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"
#include "lucent/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest raw dump accepted (bytes). */
#define LC_RAW_MAX_BYTES ((size_t)1 << 31)

typedef enum lc_plane_layout {
    LC_PLANES_SEQUENTIAL = 0, /* whole planes one after another */
    LC_PLANES_INTERLEAVED = 1 /* the channels alternate line by line */
} lc_plane_layout;

typedef enum lc_sample_order {
    LC_ORDER_LINE_MAJOR = 0, /* a line's pixels are contiguous */
    LC_ORDER_PIXEL_MAJOR = 1 /* a pixel's lines are contiguous */
} lc_sample_order;

typedef struct lc_raw_layout {
    uint64_t header_bytes;          /* bytes to skip before the samples */
    uint32_t pixels;                /* detector pixels per line (required) */
    uint32_t lines;                 /* lines per plane; 0 = from lines_at or the file size */
    int64_t lines_at;               /* byte offset of a 32-bit line count in the header; -1 none */
    int nplanes;                    /* 1 or 2 */
    lc_channel planes[LC_CHANNELS]; /* channel of each plane in file order */
    lc_plane_layout plane_layout;
    lc_sample_order order;
    int big_endian;        /* 0 little, 1 big (samples and the line count) */
    int bytes_per_sample;  /* 1 or 2; 0 = 2 */
    int bits;              /* bits stored, 1..16; 0 = 8 * bytes_per_sample */
    uint32_t air;          /* value meaning full air; 0 = not stated */
    double kvp;            /* metadata; 0 = unknown */
    double pixel_pitch_mm; /* metadata; 0 = unknown */
} lc_raw_layout;

/* Fills a layout with the defaults: no header, two planes high then low,
 * sequential, line-major, little endian, 16-bit samples, lines_at = -1. */
void lc_raw_layout_init(lc_raw_layout *layout);

/* Parses buf[0..len) with the layout into a new one-view scan. A single-plane
 * dump fills only that channel (the other stays zero). Caller owns *out; free
 * with lc_scan_free(). *out is NULL on failure. Returns LC_OK, LC_ERR_ARG (a
 * layout that makes no sense), LC_ERR_FORMAT (the bytes do not fit the layout),
 * LC_ERR_LIMIT or LC_ERR_NOMEM. `what` names the input in messages (a path). */
LC_MUST_CHECK lc_status lc_import_raw(const unsigned char *buf, size_t len,
                                      const lc_raw_layout *layout, const char *what, lc_scan **out,
                                      lc_error *err);

/* Reads a file and calls lc_import_raw(). */
LC_MUST_CHECK lc_status lc_import_raw_file(const char *path, const lc_raw_layout *layout,
                                           lc_scan **out, lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
