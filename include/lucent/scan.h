/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/scan.h: the in-memory scan. A scan is what one bag passing through the
 * scanner produces: 1..LC_SCAN_MAX_VIEWS views, each a detector line read out
 * `lines` times, with one 16-bit plane per energy channel (high, low), optional
 * dark (offset) and air (gain) reference lines per channel, and the metadata that
 * the image chain, DICOS files and the station need.
 *
 * Image order (contract, DESIGN.md): lines are columns (time runs left to right)
 * and detector pixels are rows. A plane is stored row-major in that order, so the
 * sample of line x at pixel y is plane[y * lines + x]. Reference lines use the
 * same order with their own line count.
 *
 * Thread safety: a scan is not locked; distinct scans may be used from distinct
 * threads, and one scan may be read from several threads while nobody writes it.
 */
#ifndef LUCENT_SCAN_H
#define LUCENT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LC_SCAN_MAX_VIEWS     16
#define LC_SCAN_MAX_PIXELS    8192  /* detector pixels per line (DICOS Rows) */
#define LC_SCAN_MAX_LINES     65535 /* lines per view (DICOS Columns is 16-bit) */
#define LC_SCAN_MAX_REF_LINES 4096
#define LC_ID_MAX             65  /* identifiers and UIDs: 64 characters + NUL */
#define LC_TEXT_MAX           129 /* descriptions: 128 characters + NUL */

typedef enum lc_channel { LC_HIGH = 0, LC_LOW = 1 } lc_channel;
#define LC_CHANNELS 2

typedef enum lc_ref_kind { LC_REF_DARK = 0, LC_REF_AIR = 1 } lc_ref_kind;

/* Scan-wide metadata. All strings are NUL-terminated; an empty string means
 * unknown. Numbers are in DESIGN.md's units; 0 means unknown. */
typedef struct lc_scan_info {
    char scan_id[LC_ID_MAX];      /* operator-facing scan (bag) identifier */
    char station_id[LC_ID_MAX];   /* site / station identifier */
    char study_uid[LC_ID_MAX];    /* DICOS Study Instance UID; the writer generates one if empty */
    char manufacturer[LC_ID_MAX]; /* equipment manufacturer */
    char model[LC_ID_MAX];        /* equipment model name */
    char detector[LC_TEXT_MAX];   /* detector description, e.g. "dual-layer CsI 0.3/Cu 0.3/CsI 4" */
    double kvp;                   /* tube voltage, kV */
    double tube_ma;               /* tube current, mA */
    double pixel_pitch_mm;        /* detector pixel pitch, mm */
    double line_period_s;         /* time between two read-outs of a line, s */
    double belt_speed_mm_s;       /* belt speed, mm/s */
    int64_t acquired_unix_us;     /* start of acquisition, microseconds since the epoch, UTC */
    int bits_stored;              /* bits per sample the detector delivers (1..16); 0 = 16 */
    uint16_t air_value; /* sample value meaning unattenuated air, if the source states it */
} lc_scan_info;

/* Per-view geometry and description. */
typedef struct lc_view_info {
    char label[32];            /* short name, e.g. "bottom" or "side" */
    double source_mm[3];       /* focal spot in the belt frame, mm */
    double beam_angle_deg;     /* central ray in the y-z plane: 0 = up from below, 90 = across */
    double source_detector_mm; /* distance focal spot to detector line along the central ray */
} lc_view_info;

typedef struct lc_scan lc_scan;
typedef struct lc_view lc_view;

/* Fills info with zeros and empty strings (every field "unknown"). */
void lc_scan_info_init(lc_scan_info *info);
/* Fills vi with zeros and empty strings. */
void lc_view_info_init(lc_view_info *vi);

/* Creates an empty scan (no views) with a copy of info (NULL: all unknown).
 * On success *out is set; caller owns it, free with lc_scan_free(). On failure
 * *out is NULL. Returns LC_OK or LC_ERR_NOMEM, LC_ERR_ARG. */
LC_MUST_CHECK lc_status lc_scan_new(const lc_scan_info *info, lc_scan **out, lc_error *err);

/* Frees the scan, its views and planes. NULL is a no-op. */
void lc_scan_free(lc_scan *scan);

/* Deep copy. Caller owns *out; free with lc_scan_free(). */
LC_MUST_CHECK lc_status lc_scan_clone(const lc_scan *scan, lc_scan **out, lc_error *err);

/* The scan's metadata. Borrowed for the scan's life; writable through
 * lc_scan_info_mut() (a pointer into the scan, same lifetime). */
const lc_scan_info *lc_scan_get_info(const lc_scan *scan);
lc_scan_info *lc_scan_info_mut(lc_scan *scan);

/* Appends a view of `lines` x `pixels` samples per channel, all zero.
 * vi may be NULL. lines in 1..LC_SCAN_MAX_LINES, pixels in 1..LC_SCAN_MAX_PIXELS,
 * at most LC_SCAN_MAX_VIEWS views (LC_ERR_LIMIT otherwise). On success *out
 * (if out is non-NULL) is the new view, borrowed for the scan's life. */
LC_MUST_CHECK lc_status lc_scan_add_view(lc_scan *scan, const lc_view_info *vi, uint32_t lines,
                                         uint32_t pixels, lc_view **out, lc_error *err);

size_t lc_scan_view_count(const lc_scan *scan);
/* View i (0-based), borrowed for the scan's life; NULL when i is out of range. */
lc_view *lc_scan_view(const lc_scan *scan, size_t i);

uint32_t lc_view_lines(const lc_view *view);
uint32_t lc_view_pixels(const lc_view *view);
const lc_view_info *lc_view_get_info(const lc_view *view);
lc_view_info *lc_view_info_mut(lc_view *view);

/* The plane of one channel in image order (plane[y * lines + x]); borrowed for
 * the scan's life. NULL for an invalid channel. */
uint16_t *lc_view_plane(const lc_view *view, lc_channel ch);

/* Bounds-checked sample access: line x, pixel y. lc_view_get returns 0 and
 * lc_view_set does nothing when (x, y, ch) is out of range. */
uint16_t lc_view_get(const lc_view *view, lc_channel ch, uint32_t x, uint32_t y);
void lc_view_set(lc_view *view, lc_channel ch, uint32_t x, uint32_t y, uint16_t value);

/* Allocates (or replaces) `nlines` reference lines of a kind for both channels,
 * all zero; nlines in 1..LC_SCAN_MAX_REF_LINES. */
LC_MUST_CHECK lc_status lc_view_alloc_ref(lc_view *view, lc_ref_kind kind, uint32_t nlines,
                                          lc_error *err);
/* Number of reference lines of that kind (0 when there are none). */
uint32_t lc_view_ref_lines(const lc_view *view, lc_ref_kind kind);
/* Reference plane of a kind and channel in image order (ref[y * nlines + x]);
 * borrowed until the next lc_view_alloc_ref of that kind or the scan is freed.
 * NULL when there are none. */
uint16_t *lc_view_ref(const lc_view *view, lc_ref_kind kind, lc_channel ch);

/* Largest sample value the detector can deliver: 2^bits_stored - 1. */
uint16_t lc_scan_max_value(const lc_scan *scan);

/* Name of a channel ("high", "low") and of a reference kind ("dark", "air"). */
const char *lc_channel_name(lc_channel ch);
const char *lc_ref_kind_name(lc_ref_kind kind);

#ifdef __cplusplus
}
#endif
#endif
