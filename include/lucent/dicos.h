/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/dicos.h: reading and writing DICOS (NEMA IIC 1, DICOM-based) files.
 *
 * A scan on disk is a folder of `.dcs` files that share one Study Instance UID:
 *   dx_v<N>_high.dcs, dx_v<N>_low.dcs   DX "for processing" (SOP class
 *                                        1.2.840.10008.5.1.4.1.1.501.2.2), the raw
 *                                        16-bit plane of view N and one energy,
 *                                        with its dark/air reference lines;
 *   dxp_v<N>.dcs                         DX "for presentation" (...501.2.1), a
 *                                        processed image of view N;
 *   tdr_<type>.dcs                       TDR (...501.3), the threat objects found,
 *                                        referencing the images by SOP Instance UID.
 * docs/dicos.md explains the tag choices. Files are written explicit VR little
 * endian; the reader also accepts implicit VR little endian, and DX, TDR and CT
 * files of other writers. Every write is atomic (temporary file + rename).
 *
 * Image order follows scan.h: DICOS Columns are scan lines (x), Rows are detector
 * pixels (y); a plane is row-major, sample (x, y) at plane[y * columns + x].
 *
 * Thread safety: functions keep no global state; distinct objects may be used
 * from distinct threads. UIDs come from getrandom() (ISO/IEC 9834-8 "2.25." form).
 */
#ifndef LUCENT_DICOS_H
#define LUCENT_DICOS_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/atr.h"
#include "lucent/error.h"
#include "lucent/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SOP class UIDs (DICOS). */
#define LC_DICOS_SOP_DX_PROCESSING   "1.2.840.10008.5.1.4.1.1.501.2.2"
#define LC_DICOS_SOP_DX_PRESENTATION "1.2.840.10008.5.1.4.1.1.501.2.1"
#define LC_DICOS_SOP_TDR             "1.2.840.10008.5.1.4.1.1.501.3"
#define LC_DICOS_SOP_CT              "1.2.840.10008.5.1.4.1.1.501.1"

/* Largest file the reader accepts (bytes). */
#define LC_DICOS_MAX_FILE ((size_t)1 << 30)
/* Deepest sequence nesting the reader accepts. */
#define LC_DICOS_MAX_DEPTH 16
/* Most threat objects in one TDR. */
#define LC_DICOS_MAX_THREATS 1024

/* ------------------------------------------------------------------ */
/* Where the files go: a folder, memory, or the caller's I/O            */
/* ------------------------------------------------------------------ */

/* The files of one scan as named blobs ("dx_v0_high.dcs", "tdr_machine.dcs",
 * ...). Every function below that takes a folder has an _io variant taking
 * one of these; the folder functions are the folder I/O (lc_dicos_folder_io)
 * plus the folder checks, so both run the same code. An I/O lets a caller keep
 * every plaintext byte off the disk: the station writes a scan into memory
 * (lc_dicos_mem) and seals each file, and reads sealed files through an I/O
 * that opens them. */
typedef struct lc_dicos_io {
    /* Stores the bytes of the named file (borrowed for the call), replacing
     * any earlier file of that name. Returns LC_OK or a status with err set. */
    lc_status (*put)(void *user, const char *name, const void *data, size_t len, lc_error *err);
    /* Gives the bytes of the named file in a new buffer (*data, caller owns,
     * free()); LC_ERR_NOT_FOUND (err set) when there is no such file. */
    lc_status (*get)(void *user, const char *name, uint8_t **data, size_t *len, lc_error *err);
    void *user;        /* passed to put and get */
    const char *label; /* names the set of files in messages ("DIR", "scans/ID"); may be NULL */
} lc_dicos_io;

/* The I/O of a folder: files dir/<name>, written atomically (temporary file,
 * fsync, rename); put does not create the folder. dir is borrowed and must
 * outlive the I/O; it is also the label. */
lc_dicos_io lc_dicos_folder_io(const char *dir);

/* Files held in memory. Buffers are wiped (zeroed) when replaced and freed. */
typedef struct lc_dicos_mem lc_dicos_mem;

/* A new empty set. Caller owns *out; free with lc_dicos_mem_free(). Returns
 * LC_OK or LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_mem_new(lc_dicos_mem **out, lc_error *err);

/* Wipes and frees every file and the set. NULL is a no-op. */
void lc_dicos_mem_free(lc_dicos_mem *m);

/* The I/O of a set (label "memory"); valid while m lives. */
lc_dicos_io lc_dicos_mem_io(lc_dicos_mem *m);

/* The files in the order first written: their count, and the name and bytes
 * of file i (borrowed until m changes or is freed; NULL when i is out of
 * range). */
size_t lc_dicos_mem_count(const lc_dicos_mem *m);
const char *lc_dicos_mem_file(const lc_dicos_mem *m, size_t i, const uint8_t **data, size_t *len);

/* ------------------------------------------------------------------ */
/* Scans: DX for processing                                            */
/* ------------------------------------------------------------------ */

/* Writes the DX "for processing" files (one per view and energy, see above) of
 * every view of scan into folder dir (created if missing). All files get the
 * scan's Study Instance UID, or, when scan info has none, one freshly generated
 * UID shared by all of them. Existing files of the same names are replaced.
 * Returns LC_OK, LC_ERR_ARG (NULL argument, scan without views, a study_uid
 * that is not a valid UID), LC_ERR_IO,
 * LC_ERR_NOMEM. The scan is not modified. */
LC_MUST_CHECK lc_status lc_dicos_write_scan(const lc_scan *scan, const char *dir, lc_error *err);

/* As lc_dicos_write_scan, and copies the Study Instance UID used into
 * study_uid_out[LC_ID_MAX] (may be NULL) on success. */
LC_MUST_CHECK lc_status lc_dicos_write_scan_uid(const lc_scan *scan, const char *dir,
                                                char study_uid_out[LC_ID_MAX], lc_error *err);

/* Reads the DX "for processing" files of folder dir back into a new scan with
 * all metadata, planes and reference lines. On success *out is set; caller owns
 * it, free with lc_scan_free(); on failure *out is NULL. Returns LC_OK,
 * LC_ERR_NOT_FOUND (no DX for processing files), LC_ERR_FORMAT (malformed file,
 * inconsistent views or studies), LC_ERR_UNSUPPORTED, LC_ERR_LIMIT, LC_ERR_IO,
 * LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_read_scan(const char *dir, lc_scan **out, lc_error *err);

/* The same through an I/O: the files are put (write) or got (read) by name;
 * study_uid_out may be NULL. Statuses as above; a file the I/O cannot give
 * fails the read with the I/O's status and message (e.g. LC_ERR_FORMAT from
 * a sealed file that does not open). */
LC_MUST_CHECK lc_status lc_dicos_write_scan_io(const lc_scan *scan, const lc_dicos_io *io,
                                               char study_uid_out[LC_ID_MAX], lc_error *err);
LC_MUST_CHECK lc_status lc_dicos_read_scan_io(const lc_dicos_io *io, lc_scan **out, lc_error *err);

/* ------------------------------------------------------------------ */
/* Presentation images: DX for presentation                            */
/* ------------------------------------------------------------------ */

typedef enum lc_dicos_pixels {
    LC_DICOS_GRAY16 = 0, /* one uint16 per pixel, MONOCHROME2 */
    LC_DICOS_RGB8 = 1    /* three uint8 (R, G, B) per pixel, interleaved, RGB */
} lc_dicos_pixels;

/* An image in scan.h order: width = columns = lines, height = rows = pixels.
 * data holds width*height samples (GRAY16, uint16_t) or width*height*3 bytes
 * (RGB8), row-major. Borrowed by the functions that take it. */
typedef struct lc_dicos_image {
    lc_dicos_pixels kind;
    uint32_t width;
    uint32_t height;
    const void *data;
} lc_dicos_image;

/* Writes dxp_v<view>.dcs into scan folder dir, holding img as the processed
 * image of that view. The Study UID and scan metadata are taken from the
 * folder's DX for processing file of that view, which must exist; img must have
 * that view's size. Returns LC_OK, LC_ERR_ARG (bad image), LC_ERR_NOT_FOUND (no
 * such view in dir), LC_ERR_FORMAT, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_write_presentation(const char *dir, uint32_t view,
                                                    const lc_dicos_image *img, lc_error *err);

/* Reads dxp_v<view>.dcs of scan folder dir. On success *pixels is a new buffer
 * (caller owns; free()) in img's layout, and img (kind, width, height; data =
 * *pixels) describes it. Returns LC_OK, LC_ERR_NOT_FOUND, LC_ERR_FORMAT,
 * LC_ERR_UNSUPPORTED, LC_ERR_LIMIT, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_read_presentation(const char *dir, uint32_t view,
                                                   lc_dicos_image *img, void **pixels,
                                                   lc_error *err);

/* The same through an I/O. */
LC_MUST_CHECK lc_status lc_dicos_write_presentation_io(const lc_dicos_io *io, uint32_t view,
                                                       const lc_dicos_image *img, lc_error *err);
LC_MUST_CHECK lc_status lc_dicos_read_presentation_io(const lc_dicos_io *io, uint32_t view,
                                                      lc_dicos_image *img, void **pixels,
                                                      lc_error *err);

/* ------------------------------------------------------------------ */
/* Threat detection reports (TDR)                                      */
/* ------------------------------------------------------------------ */

/* ATD Assessment Flag (4010,1015). */
typedef enum lc_dicos_assessment {
    LC_ASSESS_UNKNOWN = 0,  /* "UNKNOWN" */
    LC_ASSESS_THREAT = 1,   /* "THREAT" */
    LC_ASSESS_NO_THREAT = 2 /* "NO_THREAT" */
} lc_dicos_assessment;

/* Alarm Decision (4010,1031). */
typedef enum lc_dicos_alarm {
    LC_ALARM_UNKNOWN = 0, /* "UNKNOWN" */
    LC_ALARM_CLEAR = 1,   /* "CLEAR" */
    LC_ALARM_ALARM = 2    /* "ALARM" */
} lc_dicos_alarm;

/* TDR Type (4010,1027). */
typedef enum lc_dicos_tdr_type {
    LC_TDR_MACHINE = 0,     /* "MACHINE": automatic threat recognition */
    LC_TDR_OPERATOR = 1,    /* "OPERATOR": a screener's decision */
    LC_TDR_GROUND_TRUTH = 2 /* "GROUND_TRUTH": known contents (simulation, test bags) */
} lc_dicos_tdr_type;

/* Where a threat object was seen on one view: an axis-aligned box in image
 * coordinates of that view (x = line, y = detector pixel), corners (x0, y0)
 * top-left and (x1, y1) bottom-right, inclusive, in pixels (may be fractional).
 * Written as a Bounding Polygon (4010,101D) of the four corners, with a
 * Referenced Instance Sequence naming the view's image(s). */
typedef struct lc_dicos_box {
    uint32_t view;
    double x0, y0, x1, y1;
} lc_dicos_box;

/* One potential threat object (an item of Threat Sequence (4010,1011)). */
typedef struct lc_dicos_threat {
    uint32_t id;                    /* Potential Threat Object ID (4010,1010) */
    char category[LC_ID_MAX];       /* Threat Category (4010,1012), a DICOS term
                                       such as "EXPLOSIVE", "PROHIBITED_ITEM",
                                       "ANOMALY", "CONTRABAND", "OTHER" */
    char description[LC_TEXT_MAX];  /* Threat Category Description (4010,1013) */
    lc_dicos_assessment assessment; /* ATD Assessment Flag (4010,1015) */
    double probability;             /* ATD Assessment Probability (4010,1016), 0..1;
                                       negative = not stated */
    double mass_g;                  /* Mass (4010,1017), g; 0 = not stated */
    double density_g_cm3;           /* Density (4010,1018), g/cm3; 0 = not stated */
    double zeff;                    /* Zeffective (4010,1019); 0 = not stated */
    uint32_t n_boxes;               /* 0..LC_SCAN_MAX_VIEWS */
    lc_dicos_box boxes[LC_SCAN_MAX_VIEWS];
} lc_dicos_threat;

/* A whole report. */
typedef struct lc_dicos_tdr {
    lc_dicos_tdr_type type;
    lc_dicos_alarm alarm;      /* Alarm Decision (4010,1031) */
    char algorithm[LC_ID_MAX]; /* who decided: ATR name and version, or operator id */
    int64_t decided_unix_us;   /* time of the decision; 0 = now (on write) */
    size_t n_threats;          /* 0..LC_DICOS_MAX_THREATS */
    lc_dicos_threat *threats;  /* n_threats items */
} lc_dicos_tdr;

/* Writes tdr into scan folder dir as tdr_<type>.dcs ("machine", "operator",
 * "ground_truth"), replacing an earlier one of the same type. The Study UID and
 * the SOP Instance UIDs the boxes reference come from the folder's DX files
 * (for processing, and for presentation where present), which must exist for
 * every view a box names. tdr is borrowed. Returns LC_OK, LC_ERR_ARG (NULL,
 * too many threats or boxes, probability > 1), LC_ERR_NOT_FOUND (a view without
 * images), LC_ERR_FORMAT, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_write_tdr(const char *dir, const lc_dicos_tdr *tdr, lc_error *err);

/* Reads one TDR file (a path to a .dcs file; from any DICOS writer). Views are
 * resolved from the referenced SOP Instance UIDs when the referenced images are
 * in the same folder, otherwise from lucent's private view number, otherwise 0.
 * On success *out is new; caller owns it, free with lc_dicos_tdr_free(); on
 * failure *out is NULL. Returns LC_OK, LC_ERR_FORMAT, LC_ERR_UNSUPPORTED,
 * LC_ERR_LIMIT, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_read_tdr(const char *path, lc_dicos_tdr **out, lc_error *err);

/* The same through an I/O: writes the file lc_dicos_tdr_file_name(type), and
 * reads the named file, resolving views from the I/O's other files. */
LC_MUST_CHECK lc_status lc_dicos_write_tdr_io(const lc_dicos_io *io, const lc_dicos_tdr *tdr,
                                              lc_error *err);
LC_MUST_CHECK lc_status lc_dicos_read_tdr_io(const lc_dicos_io *io, const char *name,
                                             lc_dicos_tdr **out, lc_error *err);

/* The file name of a TDR of a type: "tdr_machine.dcs", "tdr_operator.dcs",
 * "tdr_ground_truth.dcs" (static). */
const char *lc_dicos_tdr_file_name(lc_dicos_tdr_type t);

/* The machine's report of a threat recognition result: one threat object
 * per alarm whose score reaches min_score, with its box and, when the same
 * object alarmed in another view (lc_atr_alarm.paired), that view's box too
 * (that alarm is then not a threat object of its own). Category EXPLOSIVE,
 * PROHIBITED_ITEM (weapons) or ANOMALY (dense); probability = score; Zeff
 * where known; mass and density for explosives only (metal's
 * water-equivalent values mislead, docs/atr.md); description "explosive
 * 0.83, Zeff 7.3, 722 g". Alarm decision ALARM with any threat, else CLEAR.
 * algorithm (may be NULL: "lucent atr") names the decider. On success *out is
 * new; free with lc_dicos_tdr_free(). Returns LC_OK, LC_ERR_ARG (NULL),
 * LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_tdr_from_atr(const lc_atr_result *r, double min_score,
                                              const char *algorithm, lc_dicos_tdr **out,
                                              lc_error *err);

/* Frees a TDR from lc_dicos_read_tdr and its threats. NULL is a no-op. */
void lc_dicos_tdr_free(lc_dicos_tdr *tdr);

/* Names of the enums as written to file ("THREAT", "ALARM", "MACHINE", ...). */
const char *lc_dicos_assessment_name(lc_dicos_assessment a);
const char *lc_dicos_alarm_name(lc_dicos_alarm a);
const char *lc_dicos_tdr_type_name(lc_dicos_tdr_type t);

/* ------------------------------------------------------------------ */
/* Any DICOS file: parse and summarise                                 */
/* ------------------------------------------------------------------ */

typedef struct lc_dicos_file lc_dicos_file;

/* Parses a DICOS/DICOM Part 10 file held in buf[len] (meta header, explicit or
 * implicit VR little endian, sequences of defined and undefined length). The
 * bytes are copied; buf may be freed afterwards. On success *out is new;
 * caller owns it, free with lc_dicos_file_free(); on failure *out is NULL.
 * Returns LC_OK, LC_ERR_FORMAT (malformed: the message names the tag and byte
 * offset), LC_ERR_UNSUPPORTED (e.g. a compressed transfer syntax, named in the
 * message), LC_ERR_LIMIT (depth, length or image size beyond the limits),
 * LC_ERR_NOMEM, LC_ERR_ARG. */
LC_MUST_CHECK lc_status lc_dicos_parse(const void *buf, size_t len, lc_dicos_file **out,
                                       lc_error *err);

/* Reads and parses a file; as lc_dicos_parse plus LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_dicos_open(const char *path, lc_dicos_file **out, lc_error *err);

/* Frees a parsed file. NULL is a no-op. */
void lc_dicos_file_free(lc_dicos_file *f);

/* Value of a top-level element (tag = group << 16 | element) as text: strings
 * trimmed of padding, binary numbers formatted, multiple values joined by '\'.
 * Copies at most cap-1 bytes into buf (always NUL-terminated). Returns LC_OK,
 * LC_ERR_NOT_FOUND (absent), LC_ERR_ARG. */
lc_status lc_dicos_file_get(const lc_dicos_file *f, uint32_t tag, char *buf, size_t cap);

/* What a file is. */
typedef enum lc_dicos_kind {
    LC_DICOS_OTHER = 0,
    LC_DICOS_DX_PROCESSING = 1,
    LC_DICOS_DX_PRESENTATION = 2,
    LC_DICOS_TDR = 3,
    LC_DICOS_CT = 4
} lc_dicos_kind;

/* The key facts of one file, for `lucent info`. Strings empty when absent. */
typedef struct lc_dicos_summary {
    lc_dicos_kind kind;
    char sop_class_uid[LC_ID_MAX];
    char sop_class_name[48]; /* "DX for processing", "TDR", ... */
    char transfer_syntax[LC_ID_MAX];
    char sop_instance_uid[LC_ID_MAX];
    char study_uid[LC_ID_MAX];
    char series_uid[LC_ID_MAX];
    char scan_id[LC_ID_MAX];    /* OOI ID (0010,0020) */
    char station_id[LC_ID_MAX]; /* Station Name (0008,1010) */
    char manufacturer[LC_ID_MAX];
    char model[LC_ID_MAX];
    char acquired[32]; /* Acquisition DateTime (0008,002A) as written */
    char photometric[16];
    int view; /* lucent view number, -1 when unknown */
    char view_label[32];
    char energy[16]; /* "high", "low", or "" */
    uint32_t rows, columns, frames, samples_per_pixel, bits_allocated, bits_stored;
    double kvp;       /* 0 when absent */
    size_t n_threats; /* TDR only */
    char alarm[16];   /* TDR only: Alarm Decision as written */
} lc_dicos_summary;

/* Fills s from f. Never fails on a parsed file; absent fields stay empty/0. */
void lc_dicos_file_summary(const lc_dicos_file *f, lc_dicos_summary *s);

/* Interprets a parsed TDR file as a report (views from lucent's private view
 * number when present, else 0). Caller owns *out (lc_dicos_tdr_free()).
 * Returns LC_OK, LC_ERR_FORMAT (not a TDR, bad values), LC_ERR_LIMIT,
 * LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_dicos_file_tdr(const lc_dicos_file *f, lc_dicos_tdr **out,
                                          lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
