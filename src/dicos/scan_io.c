/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_io.c: scans as folders of DICOS DX files. lc_dicos_write_scan writes one
 * DX "for processing" file per view and energy (single-frame, 16-bit OW,
 * MONOCHROME2), carrying the scan's metadata both in standard attributes (for
 * other readers) and, exactly, in lucent's private block (0029,"LUCENT 1") so a
 * scan round-trips bit for bit. lc_dicos_read_scan reads such a folder back;
 * the presentation functions add and read a processed image per view.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dicos/dicos_int.h"
#include "util/util.h"

/* Private elements (0029,10xx) of block "LUCENT 1". */
enum {
    P_CHANNEL = 0x01,
    P_VIEW = 0x02,
    P_LABEL = 0x03,
    P_SOURCE = 0x04,
    P_ANGLE = 0x05,
    P_SDD = 0x06,
    P_NUMBERS = 0x07,
    P_AIR_VALUE = 0x09,
    P_STATION = 0x0A,
    P_SCAN_ID = 0x0B,
    P_MANUFACTURER = 0x0C,
    P_MODEL = 0x0D,
    P_DETECTOR = 0x0E,
    P_NVIEWS = 0x0F,
    P_DARK_LINES = 0x10,
    P_DARK = 0x11,
    P_AIR_LINES = 0x12,
    P_AIR = 0x13,
    P_BITS = 0x14,
    P_PRES_SERIES = 0x15,
    P_TDR_SERIES = 0x16,
    P_ACQ_US = 0x17
};

#define PRIV(x) LC__TAG(LC__PRIV_GROUP, 0x1000 | (x))

void lc__dicos_raw_name(char *buf, size_t cap, uint32_t view, lc_channel ch)
{
    snprintf(buf, cap, "dx_v%u_%s.dcs", view, ch == LC_HIGH ? "high" : "low");
}

void lc__dicos_pres_name(char *buf, size_t cap, uint32_t view)
{
    snprintf(buf, cap, "dxp_v%u.dcs", view);
}

/* Copy of s fit for a standard string VR: no backslash or control characters,
 * at most max characters. */
static void clean(char *dst, size_t cap, const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n] && n < max && n + 1 < cap; n++) {
        unsigned char c = (unsigned char)s[n];
        dst[n] = (c == '\\' || c < 0x20) ? ' ' : (char)c;
    }
    dst[n] = '\0';
}

void lc__dicos_add_common(lc__wset *ws, const lc_scan_info *in, const lc__scan_uids *u,
                          const char *series, const char *sop_class, const char *sop_uid,
                          const char *modality, int series_no, int instance_no)
{
    char tmp[LC_TEXT_MAX], dt[32];
    int64_t now_us = (int64_t)time(NULL) * 1000000;
    int64_t acq = in->acquired_unix_us ? in->acquired_unix_us : now_us;
    lc__w_str(ws, LC__TAG(0x0008, 0x0005), "CS", "ISO_IR 192");
    lc__dicos_dt(now_us, dt);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0012), "DA", dt, 8);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0013), "TM", dt + 8, 6);
    lc__w_str(ws, LC__TAG(0x0008, 0x0016), "UI", sop_class);
    lc__w_str(ws, LC__TAG(0x0008, 0x0018), "UI", sop_uid);
    lc__dicos_dt(acq, dt);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0020), "DA", dt, 8);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0021), "DA", dt, 8);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0023), "DA", dt, 8);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0030), "TM", dt + 8, 13);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0031), "TM", dt + 8, 13);
    lc__w_raw(ws, LC__TAG(0x0008, 0x0033), "TM", dt + 8, 13);
    if (in->acquired_unix_us) {
        lc__w_str(ws, LC__TAG(0x0008, 0x002A), "DT", dt);
        double us = (double)in->acquired_unix_us;
        lc__w_fd(ws, PRIV(P_ACQ_US), &us, 1);
    }
    lc__w_str(ws, LC__TAG(0x0008, 0x0060), "CS", modality);
    clean(tmp, sizeof tmp, in->manufacturer, 64);
    lc__w_str(ws, LC__TAG(0x0008, 0x0070), "LO", tmp);
    lc__w_str(ws, LC__TAG(0x0008, 0x0090), "PN", "");
    clean(tmp, sizeof tmp, in->station_id, 16);
    lc__w_str(ws, LC__TAG(0x0008, 0x1010), "SH", tmp);
    clean(tmp, sizeof tmp, in->model, 64);
    lc__w_str(ws, LC__TAG(0x0008, 0x1090), "LO", tmp);
    lc__w_str(ws, LC__TAG(0x0010, 0x0010), "PN", "");
    clean(tmp, sizeof tmp, in->scan_id, 64);
    lc__w_str(ws, LC__TAG(0x0010, 0x0020), "LO", tmp);
    lc__w_str(ws, LC__TAG(0x0010, 0x0030), "DA", "");
    lc__w_str(ws, LC__TAG(0x0010, 0x0040), "CS", "");
    lc__w_str(ws, LC__TAG(0x0020, 0x000D), "UI", u->study);
    lc__w_str(ws, LC__TAG(0x0020, 0x000E), "UI", series);
    clean(tmp, sizeof tmp, in->scan_id, 16);
    lc__w_str(ws, LC__TAG(0x0020, 0x0010), "SH", tmp);
    lc__w_is(ws, LC__TAG(0x0020, 0x0011), series_no);
    lc__w_is(ws, LC__TAG(0x0020, 0x0013), instance_no);
    lc__w_str(ws, LC__TAG(0x4010, 0x1042), "CS", "BAGGAGE");
    lc__w_priv_creator(ws);
    lc__w_str(ws, PRIV(P_STATION), "UT", in->station_id);
    lc__w_str(ws, PRIV(P_SCAN_ID), "UT", in->scan_id);
    lc__w_str(ws, PRIV(P_MANUFACTURER), "UT", in->manufacturer);
    lc__w_str(ws, PRIV(P_MODEL), "UT", in->model);
    lc__w_str(ws, PRIV(P_DETECTOR), "UT", in->detector);
    double nums[5] = {in->kvp, in->tube_ma, in->pixel_pitch_mm, in->line_period_s,
                      in->belt_speed_mm_s};
    lc__w_fd(ws, PRIV(P_NUMBERS), nums, 5);
    lc__w_us(ws, PRIV(P_AIR_VALUE), in->air_value);
    lc__w_us(ws, PRIV(P_BITS), (uint16_t)in->bits_stored);
    lc__w_str(ws, PRIV(P_PRES_SERIES), "UI", u->pres_series);
    lc__w_str(ws, PRIV(P_TDR_SERIES), "UI", u->tdr_series);
}

/* Acquisition attributes of a DX image of view vi. */
static void add_acquisition(lc__wset *ws, const lc_scan_info *in, const lc_view_info *vi,
                            uint32_t view, size_t nviews)
{
    if (in->kvp > 0)
        lc__w_ds(ws, LC__TAG(0x0018, 0x0060), &in->kvp, 1);
    if (vi->source_detector_mm > 0)
        lc__w_ds(ws, LC__TAG(0x0018, 0x1110), &vi->source_detector_mm, 1);
    if (in->pixel_pitch_mm > 0 && in->belt_speed_mm_s > 0 && in->line_period_s > 0) {
        double sp[2] = {in->pixel_pitch_mm, in->belt_speed_mm_s * in->line_period_s};
        lc__w_ds(ws, LC__TAG(0x0018, 0x1164), sp, 2);
    }
    if (in->detector[0]) {
        char tmp[LC_TEXT_MAX];
        clean(tmp, sizeof tmp, in->detector, 128);
        lc__w_str(ws, LC__TAG(0x0018, 0x7006), "LT", tmp);
    }
    if (in->belt_speed_mm_s > 0)
        lc__w_fd(ws, LC__TAG(0x0018, 0x9309), &in->belt_speed_mm_s, 1);
    if (in->tube_ma > 0)
        lc__w_fd(ws, LC__TAG(0x0018, 0x9330), &in->tube_ma, 1);
    lc__w_str(ws, LC__TAG(0x0020, 0x0020), "CS", "");
    lc__w_ul(ws, PRIV(P_VIEW), view);
    lc__w_ul(ws, PRIV(P_NVIEWS), (uint32_t)nviews);
    lc__w_str(ws, PRIV(P_LABEL), "UT", vi->label);
    lc__w_fd(ws, PRIV(P_SOURCE), vi->source_mm, 3);
    lc__w_fd(ws, PRIV(P_ANGLE), &vi->beam_angle_deg, 1);
    lc__w_fd(ws, PRIV(P_SDD), &vi->source_detector_mm, 1);
}

/* Image Pixel attributes (the Pixel Data itself is added by the caller). */
static void add_pixel_module(lc__wset *ws, uint32_t rows, uint32_t cols, int spp, int bits,
                             int stored)
{
    lc__w_us(ws, LC__TAG(0x0028, 0x0002), (uint16_t)spp);
    lc__w_str(ws, LC__TAG(0x0028, 0x0004), "CS", spp == 3 ? "RGB" : "MONOCHROME2");
    if (spp == 3)
        lc__w_us(ws, LC__TAG(0x0028, 0x0006), 0);
    lc__w_us(ws, LC__TAG(0x0028, 0x0010), (uint16_t)rows);
    lc__w_us(ws, LC__TAG(0x0028, 0x0011), (uint16_t)cols);
    lc__w_us(ws, LC__TAG(0x0028, 0x0100), (uint16_t)bits);
    lc__w_us(ws, LC__TAG(0x0028, 0x0101), (uint16_t)stored);
    lc__w_us(ws, LC__TAG(0x0028, 0x0102), (uint16_t)(stored - 1));
    lc__w_us(ws, LC__TAG(0x0028, 0x0103), 0);
    if (spp == 1) {
        lc__w_str(ws, LC__TAG(0x0028, 0x1040), "CS", "LIN");
        lc__w_raw(ws, LC__TAG(0x0028, 0x1041), "SS", "\x01\x00", 2);
        static const double zero = 0, one = 1;
        lc__w_ds(ws, LC__TAG(0x0028, 0x1052), &zero, 1);
        lc__w_ds(ws, LC__TAG(0x0028, 0x1053), &one, 1);
        lc__w_str(ws, LC__TAG(0x0028, 0x1054), "LO", "US");
    }
    lc__w_str(ws, LC__TAG(0x0028, 0x2110), "CS", "00");
}

/* Serialises ws (freed here) and puts it through io as file `name`. The
 * serialised bytes are wiped before they are freed: they may be a scan the
 * caller keeps off the disk. */
static lc_status write_one(const lc_dicos_io *io, const char *name, lc__wset *ws,
                           const char *sop_class, const char *sop_uid, lc_error *err)
{
    uint8_t *buf;
    size_t len;
    lc_status st = lc__w_file(ws, sop_class, sop_uid, &buf, &len, err);
    lc__wset_free(ws);
    if (st != LC_OK)
        return st;
    st = io->put(io->user, name, buf, len, err);
    explicit_bzero(buf, len);
    free(buf);
    return st;
}

/* A UID per PS3.5 9.1: components of digits without leading zeros, separated
 * by single dots, at most 64 characters. */
static bool uid_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    bool start = true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (start)
                return false;
            start = true;
        } else if (s[i] >= '0' && s[i] <= '9') {
            if (start && s[i] == '0' && i + 1 < n && s[i + 1] != '.')
                return false;
            start = false;
        } else {
            return false;
        }
    }
    return !start;
}

lc_status lc_dicos_write_scan_io(const lc_scan *scan, const lc_dicos_io *io,
                                 char study_uid_out[LC_ID_MAX], lc_error *err)
{
    if (!scan || !io || !io->put)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_scan: NULL argument");
    size_t nv = lc_scan_view_count(scan);
    if (nv == 0)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_scan: the scan has no views");
    const lc_scan_info *in = lc_scan_get_info(scan);
    lc__scan_uids u;
    lc_status st;
    if (in->study_uid[0] && !uid_valid(in->study_uid))
        return lc_error_set(err, LC_ERR_ARG,
                            "study_uid \"%s\" is not a valid UID (digits and dots, at most 64, "
                            "no leading zeros)",
                            in->study_uid);
    if (in->study_uid[0])
        lc__strlcpy(u.study, in->study_uid, sizeof u.study);
    else if ((st = lc__dicos_uid(u.study, err)) != LC_OK)
        return st;
    if ((st = lc__dicos_uid(u.raw_series, err)) != LC_OK ||
        (st = lc__dicos_uid(u.pres_series, err)) != LC_OK ||
        (st = lc__dicos_uid(u.tdr_series, err)) != LC_OK)
        return st;
    int stored = in->bits_stored > 0 && in->bits_stored <= 16 ? in->bits_stored : 16;
    for (size_t v = 0; v < nv; v++) {
        const lc_view *view = lc_scan_view(scan, v);
        const lc_view_info *vi = lc_view_get_info(view);
        for (int c = 0; c < LC_CHANNELS; c++) {
            lc_channel ch = (lc_channel)c;
            char sop[LC_ID_MAX], name[64];
            if ((st = lc__dicos_uid(sop, err)) != LC_OK)
                return st;
            lc__wset ws = {0};
            lc__dicos_add_common(&ws, in, &u, u.raw_series, LC_DICOS_SOP_DX_PROCESSING, sop, "DX",
                                 1, (int)(v * 2 + (size_t)c + 1));
            add_acquisition(&ws, in, vi, (uint32_t)v, nv);
            lc__w_str(&ws, LC__TAG(0x0008, 0x0008), "CS", "ORIGINAL\\PRIMARY");
            lc__w_str(&ws, LC__TAG(0x0008, 0x0068), "CS", "FOR PROCESSING");
            lc__w_str(&ws, PRIV(P_CHANNEL), "CS", ch == LC_HIGH ? "HIGH" : "LOW");
            char comment[96];
            snprintf(comment, sizeof comment, "%s energy, view %zu", lc_channel_name(ch), v);
            lc__w_str(&ws, LC__TAG(0x0020, 0x4000), "LT", comment);
            add_pixel_module(&ws, lc_view_pixels(view), lc_view_lines(view), 1, 16, stored);
            lc__w_ow(&ws, LC__TAG(0x7FE0, 0x0010), lc_view_plane(view, ch),
                     (size_t)lc_view_pixels(view) * lc_view_lines(view));
            for (int k = 0; k < 2; k++) {
                lc_ref_kind kind = (lc_ref_kind)k;
                uint32_t nl = lc_view_ref_lines(view, kind);
                if (!nl)
                    continue;
                lc__w_ul(&ws, PRIV(k == 0 ? P_DARK_LINES : P_AIR_LINES), nl);
                lc__w_ow(&ws, PRIV(k == 0 ? P_DARK : P_AIR), lc_view_ref(view, kind, ch),
                         (size_t)nl * lc_view_pixels(view));
            }
            lc__dicos_raw_name(name, sizeof name, (uint32_t)v, ch);
            st = write_one(io, name, &ws, LC_DICOS_SOP_DX_PROCESSING, sop, err);
            if (st != LC_OK)
                return st;
        }
    }
    if (study_uid_out)
        lc__strlcpy(study_uid_out, u.study, LC_ID_MAX);
    return LC_OK;
}

lc_status lc_dicos_write_scan_uid(const lc_scan *scan, const char *dir,
                                  char study_uid_out[LC_ID_MAX], lc_error *err)
{
    if (!scan || !dir)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_scan: NULL argument");
    if (lc_scan_view_count(scan) == 0)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_scan: the scan has no views");
    lc_status st = lc__mkdir_p(dir, err);
    if (st != LC_OK)
        return st;
    lc_dicos_io io = lc_dicos_folder_io(dir);
    return lc_dicos_write_scan_io(scan, &io, study_uid_out, err);
}

lc_status lc_dicos_write_scan(const lc_scan *scan, const char *dir, lc_error *err)
{
    return lc_dicos_write_scan_uid(scan, dir, NULL, err);
}

/* ---- reading ---------------------------------------------------------- */

/* Text of a private element, else of a standard one. */
static void get_text(const lc__dset *ds, uint8_t priv, uint32_t tag, char *buf, size_t cap)
{
    if (!lc__el_str(lc__dset_find_priv(ds, priv), buf, cap))
        lc__el_str(lc__dset_find(ds, tag), buf, cap);
}

/* What one DX for processing file says about its scan and view. */
typedef struct dx_meta {
    lc_scan_info info;
    lc_view_info vi;
    lc__scan_uids u;
    uint32_t view, nviews, rows, cols;
    int channel; /* LC_HIGH, LC_LOW, or -1 */
} dx_meta;

/* Decodes the metadata of a DX for processing (or presentation) file. */
static lc_status dx_decode(const lc_dicos_file *f, dx_meta *m, lc_error *err)
{
    const lc__dset *ds = &f->ds;
    memset(m, 0, sizeof *m);
    lc_scan_info_init(&m->info);
    lc_view_info_init(&m->vi);
    m->channel = -1;
    get_text(ds, P_SCAN_ID, LC__TAG(0x0010, 0x0020), m->info.scan_id, sizeof m->info.scan_id);
    get_text(ds, P_STATION, LC__TAG(0x0008, 0x1010), m->info.station_id, sizeof m->info.station_id);
    get_text(ds, P_MANUFACTURER, LC__TAG(0x0008, 0x0070), m->info.manufacturer,
             sizeof m->info.manufacturer);
    get_text(ds, P_MODEL, LC__TAG(0x0008, 0x1090), m->info.model, sizeof m->info.model);
    get_text(ds, P_DETECTOR, LC__TAG(0x0018, 0x7006), m->info.detector, sizeof m->info.detector);
    lc__el_str(lc__dset_find(ds, LC__TAG(0x0020, 0x000D)), m->u.study, sizeof m->u.study);
    lc__el_str(lc__dset_find(ds, LC__TAG(0x0020, 0x000E)), m->u.raw_series, sizeof m->u.raw_series);
    lc__el_str(lc__dset_find_priv(ds, P_PRES_SERIES), m->u.pres_series, sizeof m->u.pres_series);
    lc__el_str(lc__dset_find_priv(ds, P_TDR_SERIES), m->u.tdr_series, sizeof m->u.tdr_series);
    lc__strlcpy(m->info.study_uid, m->u.study, sizeof m->info.study_uid);
    const lc__elem *e = lc__dset_find_priv(ds, P_NUMBERS);
    if (e && lc__el_count(e) >= 5) {
        lc__el_double(e, 0, &m->info.kvp);
        lc__el_double(e, 1, &m->info.tube_ma);
        lc__el_double(e, 2, &m->info.pixel_pitch_mm);
        lc__el_double(e, 3, &m->info.line_period_s);
        lc__el_double(e, 4, &m->info.belt_speed_mm_s);
    } else {
        lc__el_double(lc__dset_find(ds, LC__TAG(0x0018, 0x0060)), 0, &m->info.kvp);
        lc__el_double(lc__dset_find(ds, LC__TAG(0x0018, 0x9330)), 0, &m->info.tube_ma);
        lc__el_double(lc__dset_find(ds, LC__TAG(0x0018, 0x1164)), 0, &m->info.pixel_pitch_mm);
        lc__el_double(lc__dset_find(ds, LC__TAG(0x0018, 0x9309)), 0, &m->info.belt_speed_mm_s);
    }
    double d;
    if (lc__el_double(lc__dset_find_priv(ds, P_ACQ_US), 0, &d)) {
        m->info.acquired_unix_us = (int64_t)d;
    } else {
        char dt[40];
        if (lc__el_str(lc__dset_find(ds, LC__TAG(0x0008, 0x002A)), dt, sizeof dt))
            lc__dicos_parse_dt(dt, &m->info.acquired_unix_us);
    }
    uint32_t u;
    if (lc__el_uint(lc__dset_find_priv(ds, P_BITS), &u) && u <= 16)
        m->info.bits_stored = (int)u;
    else if (lc__el_uint(lc__dset_find(ds, LC__TAG(0x0028, 0x0101)), &u) && u <= 16)
        m->info.bits_stored = (int)u;
    if (lc__el_uint(lc__dset_find_priv(ds, P_AIR_VALUE), &u) && u <= 0xFFFF)
        m->info.air_value = (uint16_t)u;
    get_text(ds, P_LABEL, 0, m->vi.label, sizeof m->vi.label);
    e = lc__dset_find_priv(ds, P_SOURCE);
    for (size_t i = 0; i < 3; i++)
        lc__el_double(e, i, &m->vi.source_mm[i]);
    lc__el_double(lc__dset_find_priv(ds, P_ANGLE), 0, &m->vi.beam_angle_deg);
    if (!lc__el_double(lc__dset_find_priv(ds, P_SDD), 0, &m->vi.source_detector_mm))
        lc__el_double(lc__dset_find(ds, LC__TAG(0x0018, 0x1110)), 0, &m->vi.source_detector_mm);
    if (!lc__el_uint(lc__dset_find_priv(ds, P_VIEW), &m->view))
        m->view = 0;
    if (!lc__el_uint(lc__dset_find_priv(ds, P_NVIEWS), &m->nviews))
        m->nviews = 0;
    char ch[16] = "";
    lc__el_str(lc__dset_find_priv(ds, P_CHANNEL), ch, sizeof ch);
    m->channel = strcmp(ch, "HIGH") == 0 ? LC_HIGH : strcmp(ch, "LOW") == 0 ? LC_LOW : -1;
    if (!lc__el_uint(lc__dset_find(ds, LC__TAG(0x0028, 0x0010)), &m->rows) ||
        !lc__el_uint(lc__dset_find(ds, LC__TAG(0x0028, 0x0011)), &m->cols))
        return lc_error_set(err, LC_ERR_FORMAT, "DX file without Rows/Columns");
    if (m->view >= LC_SCAN_MAX_VIEWS || m->nviews > LC_SCAN_MAX_VIEWS)
        return lc_error_set(err, LC_ERR_LIMIT, "view %u of %u beyond the limit of %d views",
                            m->view, m->nviews, LC_SCAN_MAX_VIEWS);
    if (m->rows > LC_SCAN_MAX_PIXELS || m->cols > LC_SCAN_MAX_LINES || !m->rows || !m->cols)
        return lc_error_set(err, LC_ERR_LIMIT, "image of %u rows x %u columns out of range",
                            m->rows, m->cols);
    return LC_OK;
}

/* The 16-bit samples of an OW/OB element of n samples (copied, as the file
 * buffer may be unaligned and of either byte order on the host). */
static bool get_samples(const lc__elem *e, uint16_t *dst, size_t n)
{
    if (!e || !e->value || e->len / 2 < n)
        return false;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(dst, e->value, n * 2);
#else
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint16_t)(e->value[2 * i] | (e->value[2 * i + 1] << 8));
#endif
    return true;
}

static bool sop_is(const lc_dicos_file *f, const char *uid)
{
    char s[LC_ID_MAX];
    return lc__el_str(lc__dset_find(&f->ds, LC__TAG(0x0008, 0x0016)), s, sizeof s) &&
           strcmp(s, uid) == 0;
}

lc_status lc_dicos_read_scan(const char *dir, lc_scan **out, lc_error *err)
{
    if (!out || !dir)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_read_scan: NULL argument");
    *out = NULL;
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return lc_error_set(err, LC_ERR_NOT_FOUND, "%s: no such scan folder", dir);
    if (!S_ISDIR(sb.st_mode))
        return lc_error_set(err, LC_ERR_FORMAT,
                            "%s: not a folder (a scan is a folder of .dcs files)", dir);
    lc_dicos_io io = lc_dicos_folder_io(dir);
    return lc_dicos_read_scan_io(&io, out, err);
}

lc_status lc_dicos_read_scan_io(const lc_dicos_io *io, lc_scan **out, lc_error *err)
{
    if (!out || !io || !io->get)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_read_scan: NULL argument");
    *out = NULL;
    const char *dir = lc__dicos_io_label(io);
    lc_scan *scan = NULL;
    lc_dicos_file *f = NULL;
    lc_status st;
    char study[LC_ID_MAX] = "";
    uint32_t nviews = 0;
    for (uint32_t v = 0; v < LC_SCAN_MAX_VIEWS; v++) {
        lc_view *view = NULL;
        for (int c = 0; c < LC_CHANNELS; c++) {
            char name[64];
            lc__dicos_raw_name(name, sizeof name, v, (lc_channel)c);
            st = lc__dicos_io_open(io, name, &f, err);
            if (st == LC_ERR_NOT_FOUND && c == 0 && v > 0 && (nviews == 0 || v == nviews)) {
                lc_error_clear(err);
                goto done;
            }
            if (st == LC_ERR_NOT_FOUND && v == 0 && c == 0) {
                st = lc_error_set(err, LC_ERR_NOT_FOUND,
                                  "%s: not a lucent scan folder (no %s; 'lucent info' reads "
                                  "other writers' files)",
                                  dir, name);
                goto fail;
            }
            if (st != LC_OK)
                goto fail;
            dx_meta m;
            if (!sop_is(f, LC_DICOS_SOP_DX_PROCESSING)) {
                st = lc_error_set(err, LC_ERR_FORMAT, "%s/%s: not a DX for processing file", dir,
                                  name);
                goto fail;
            }
            if ((st = dx_decode(f, &m, err)) != LC_OK) {
                lc_error_prefix(err, "%s/%s: ", dir, name);
                goto fail;
            }
            if (m.view != v || m.channel != c) {
                st = lc_error_set(err, LC_ERR_FORMAT,
                                  "%s/%s: holds view %u channel %d, not what its name says", dir,
                                  name, m.view, m.channel);
                goto fail;
            }
            if (v == 0 && c == 0) {
                lc__strlcpy(study, m.u.study, sizeof study);
                nviews = m.nviews;
                if ((st = lc_scan_new(&m.info, &scan, err)) != LC_OK)
                    goto fail;
            } else if (strcmp(study, m.u.study) != 0) {
                st = lc_error_set(err, LC_ERR_FORMAT,
                                  "%s/%s: Study Instance UID differs from view 0's", dir, name);
                goto fail;
            }
            if (c == 0) {
                st = lc_scan_add_view(scan, &m.vi, m.cols, m.rows, &view, err);
                if (st != LC_OK)
                    goto fail;
            } else if (lc_view_lines(view) != m.cols || lc_view_pixels(view) != m.rows) {
                st = lc_error_set(err, LC_ERR_FORMAT,
                                  "%s/%s: size differs from the high energy "
                                  "image",
                                  dir, name);
                goto fail;
            }
            size_t n = (size_t)m.rows * m.cols;
            const lc__elem *pd = lc__dset_find(&f->ds, LC__TAG(0x7FE0, 0x0010));
            uint32_t bits = 0;
            lc__el_uint(lc__dset_find(&f->ds, LC__TAG(0x0028, 0x0100)), &bits);
            if (bits != 16 || !get_samples(pd, lc_view_plane(view, (lc_channel)c), n)) {
                st = lc_error_set(err, LC_ERR_FORMAT, "%s/%s: no 16-bit Pixel Data of %zu samples",
                                  dir, name, n);
                goto fail;
            }
            for (int k = 0; k < 2; k++) {
                uint32_t nl = 0;
                if (!lc__el_uint(lc__dset_find_priv(&f->ds, k == 0 ? P_DARK_LINES : P_AIR_LINES),
                                 &nl) ||
                    nl == 0)
                    continue;
                if (nl > LC_SCAN_MAX_REF_LINES) {
                    st =
                        lc_error_set(err, LC_ERR_LIMIT, "%s/%s: %u reference lines", dir, name, nl);
                    goto fail;
                }
                if (c == 0 || lc_view_ref_lines(view, (lc_ref_kind)k) != nl) {
                    if (c != 0) {
                        st = lc_error_set(err, LC_ERR_FORMAT,
                                          "%s/%s: reference lines differ between energies", dir,
                                          name);
                        goto fail;
                    }
                    if ((st = lc_view_alloc_ref(view, (lc_ref_kind)k, nl, err)) != LC_OK)
                        goto fail;
                }
                if (!get_samples(lc__dset_find_priv(&f->ds, k == 0 ? P_DARK : P_AIR),
                                 lc_view_ref(view, (lc_ref_kind)k, (lc_channel)c),
                                 (size_t)nl * m.rows)) {
                    st =
                        lc_error_set(err, LC_ERR_FORMAT, "%s/%s: short reference lines", dir, name);
                    goto fail;
                }
            }
            lc_dicos_file_free(f);
            f = NULL;
        }
        if (nviews && v + 1 == nviews)
            break;
    }
done:
    if (nviews && lc_scan_view_count(scan) != nviews) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: %zu views found, the files say %u", dir,
                          lc_scan_view_count(scan), nviews);
        goto fail;
    }
    *out = scan;
    return LC_OK;
fail:
    lc_dicos_file_free(f);
    lc_scan_free(scan);
    return st;
}

/* ---- presentation ----------------------------------------------------- */

/* Reads the metadata of view `view` from its high-energy DX file. */
static lc_status view_meta(const lc_dicos_io *io, uint32_t view, dx_meta *m, char sop[LC_ID_MAX],
                           lc_error *err)
{
    char name[64];
    lc_dicos_file *f;
    lc__dicos_raw_name(name, sizeof name, view, LC_HIGH);
    lc_status st = lc__dicos_io_open(io, name, &f, err);
    if (st != LC_OK)
        return st;
    st = dx_decode(f, m, err);
    if (sop)
        lc__el_str(lc__dset_find(&f->ds, LC__TAG(0x0008, 0x0018)), sop, LC_ID_MAX);
    lc_dicos_file_free(f);
    return st;
}

lc_status lc__dicos_view_uids(const lc_dicos_io *io, uint32_t view, lc__scan_uids *u,
                              lc_scan_info *info, lc_error *err)
{
    dx_meta m;
    lc_status st = view_meta(io, view, &m, NULL, err);
    if (st != LC_OK)
        return st;
    *u = m.u;
    if (info)
        *info = m.info;
    return LC_OK;
}

lc_status lc_dicos_write_presentation(const char *dir, uint32_t view, const lc_dicos_image *img,
                                      lc_error *err)
{
    if (!dir)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_presentation: NULL argument");
    lc_dicos_io io = lc_dicos_folder_io(dir);
    return lc_dicos_write_presentation_io(&io, view, img, err);
}

lc_status lc_dicos_write_presentation_io(const lc_dicos_io *io, uint32_t view,
                                         const lc_dicos_image *img, lc_error *err)
{
    if (!io || !io->put || !img || !img->data)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_presentation: NULL argument");
    if (img->kind != LC_DICOS_GRAY16 && img->kind != LC_DICOS_RGB8)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_presentation: bad pixel kind");
    dx_meta m;
    lc_status st = view_meta(io, view, &m, NULL, err);
    if (st != LC_OK)
        return st;
    if (img->width != m.cols || img->height != m.rows)
        return lc_error_set(err, LC_ERR_ARG,
                            "presentation image %u x %u does not match view %u (%u x %u)",
                            img->width, img->height, view, m.cols, m.rows);
    if (!m.u.pres_series[0] && (st = lc__dicos_uid(m.u.pres_series, err)) != LC_OK)
        return st;
    char sop[LC_ID_MAX], name[64];
    if ((st = lc__dicos_uid(sop, err)) != LC_OK)
        return st;
    lc__wset ws = {0};
    lc__dicos_add_common(&ws, &m.info, &m.u, m.u.pres_series, LC_DICOS_SOP_DX_PRESENTATION, sop,
                         "DX", 2, (int)view + 1);
    add_acquisition(&ws, &m.info, &m.vi, view, m.nviews);
    lc__w_str(&ws, LC__TAG(0x0008, 0x0008), "CS", "DERIVED\\PRIMARY");
    lc__w_str(&ws, LC__TAG(0x0008, 0x0068), "CS", "FOR PRESENTATION");
    size_t n = (size_t)m.rows * m.cols;
    if (img->kind == LC_DICOS_GRAY16) {
        add_pixel_module(&ws, m.rows, m.cols, 1, 16, 16);
        /* A VOI window over the full 16-bit range, so viewers show it as is. */
        static const double center = 32768, width = 65536;
        lc__w_ds(&ws, LC__TAG(0x0028, 0x1050), &center, 1);
        lc__w_ds(&ws, LC__TAG(0x0028, 0x1051), &width, 1);
        lc__w_ow(&ws, LC__TAG(0x7FE0, 0x0010), img->data, n);
    } else {
        add_pixel_module(&ws, m.rows, m.cols, 3, 8, 8);
        lc__w_raw(&ws, LC__TAG(0x7FE0, 0x0010), "OB", img->data, n * 3);
    }
    lc__dicos_pres_name(name, sizeof name, view);
    return write_one(io, name, &ws, LC_DICOS_SOP_DX_PRESENTATION, sop, err);
}

lc_status lc_dicos_read_presentation(const char *dir, uint32_t view, lc_dicos_image *img,
                                     void **pixels, lc_error *err)
{
    if (!dir || !img || !pixels)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_read_presentation: NULL argument");
    lc_dicos_io io = lc_dicos_folder_io(dir);
    return lc_dicos_read_presentation_io(&io, view, img, pixels, err);
}

lc_status lc_dicos_read_presentation_io(const lc_dicos_io *io, uint32_t view, lc_dicos_image *img,
                                        void **pixels, lc_error *err)
{
    if (!io || !io->get || !img || !pixels)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_read_presentation: NULL argument");
    *pixels = NULL;
    const char *dir = lc__dicos_io_label(io);
    char name[64];
    lc__dicos_pres_name(name, sizeof name, view);
    lc_dicos_file *f;
    lc_status st = lc__dicos_io_open(io, name, &f, err);
    if (st != LC_OK)
        return st;
    uint32_t rows = 0, cols = 0, spp = 1, bits = 0;
    lc__el_uint(lc__dset_find(&f->ds, LC__TAG(0x0028, 0x0010)), &rows);
    lc__el_uint(lc__dset_find(&f->ds, LC__TAG(0x0028, 0x0011)), &cols);
    lc__el_uint(lc__dset_find(&f->ds, LC__TAG(0x0028, 0x0002)), &spp);
    lc__el_uint(lc__dset_find(&f->ds, LC__TAG(0x0028, 0x0100)), &bits);
    const lc__elem *pd = lc__dset_find(&f->ds, LC__TAG(0x7FE0, 0x0010));
    size_t n = (size_t)rows * cols;
    void *buf = NULL;
    if (!pd || !n || rows > LC_SCAN_MAX_PIXELS || cols > LC_SCAN_MAX_LINES) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s/%s: no usable image", dir, name);
    } else if (spp == 1 && bits == 16) {
        buf = lc__mallocn(n, 2);
        if (!buf)
            st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        else if (!get_samples(pd, buf, n))
            st = lc_error_set(err, LC_ERR_FORMAT, "%s/%s: short Pixel Data", dir, name);
        img->kind = LC_DICOS_GRAY16;
    } else if (spp == 3 && bits == 8) {
        buf = lc__mallocn(n, 3);
        if (!buf)
            st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        else if (pd->len < n * 3)
            st = lc_error_set(err, LC_ERR_FORMAT, "%s/%s: short Pixel Data", dir, name);
        else
            memcpy(buf, pd->value, n * 3);
        img->kind = LC_DICOS_RGB8;
    } else {
        st = lc_error_set(err, LC_ERR_UNSUPPORTED, "%s/%s: %u samples of %u bits", dir, name, spp,
                          bits);
    }
    lc_dicos_file_free(f);
    if (st != LC_OK) {
        free(buf);
        return st;
    }
    img->width = cols;
    img->height = rows;
    img->data = buf;
    *pixels = buf;
    return LC_OK;
}
