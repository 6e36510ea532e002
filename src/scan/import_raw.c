/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import_raw.c: vendor raw dumps to a one-view scan (see lucent/import.h).
 * The whole layout is validated against the byte count before a single
 * sample is read, so a hostile or truncated file can never cause an
 * out-of-bounds read; then each sample is checked against the bit depth.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lucent/import.h"
#include "util/util.h"

void lc_raw_layout_init(lc_raw_layout *layout)
{
    memset(layout, 0, sizeof *layout);
    layout->lines_at = -1;
    layout->nplanes = 2;
    layout->planes[0] = LC_HIGH;
    layout->planes[1] = LC_LOW;
    layout->plane_layout = LC_PLANES_SEQUENTIAL;
    layout->order = LC_ORDER_LINE_MAJOR;
    layout->bytes_per_sample = 2;
}

static uint32_t read_u32(const unsigned char *p, int big)
{
    if (big)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Checks the layout on its own, before looking at any bytes. */
static lc_status check_layout(const lc_raw_layout *l, const char *what, int *bps, int *bits,
                              lc_error *err)
{
    if (l->pixels < 1 || l->pixels > LC_SCAN_MAX_PIXELS)
        return lc_error_set(err, LC_ERR_ARG, "%s: --pixels %u is not in 1..%d", what, l->pixels,
                            LC_SCAN_MAX_PIXELS);
    if (l->nplanes < 1 || l->nplanes > 2)
        return lc_error_set(err, LC_ERR_ARG, "%s: %d planes; 1 or 2 expected", what, l->nplanes);
    for (int i = 0; i < l->nplanes; i++)
        if (l->planes[i] != LC_HIGH && l->planes[i] != LC_LOW)
            return lc_error_set(err, LC_ERR_ARG, "%s: plane %d has no valid channel", what, i);
    if (l->nplanes == 2 && l->planes[0] == l->planes[1])
        return lc_error_set(err, LC_ERR_ARG, "%s: both planes are the %s channel", what,
                            lc_channel_name(l->planes[0]));
    if (l->plane_layout != LC_PLANES_SEQUENTIAL && l->plane_layout != LC_PLANES_INTERLEAVED)
        return lc_error_set(err, LC_ERR_ARG, "%s: bad plane layout", what);
    if (l->order != LC_ORDER_LINE_MAJOR && l->order != LC_ORDER_PIXEL_MAJOR)
        return lc_error_set(err, LC_ERR_ARG, "%s: bad sample order", what);
    if (l->plane_layout == LC_PLANES_INTERLEAVED && l->order == LC_ORDER_PIXEL_MAJOR &&
        l->nplanes == 2)
        return lc_error_set(err, LC_ERR_ARG,
                            "%s: interleaved planes alternate line by line, so they need "
                            "line-major order",
                            what);
    *bps = l->bytes_per_sample ? l->bytes_per_sample : 2;
    if (*bps != 1 && *bps != 2)
        return lc_error_set(err, LC_ERR_ARG, "%s: %d bytes per sample; 1 or 2 expected", what,
                            *bps);
    *bits = l->bits ? l->bits : 8 * *bps;
    if (*bits < 1 || *bits > 8 * *bps)
        return lc_error_set(err, LC_ERR_ARG, "%s: --bits %d does not fit %d-byte samples", what,
                            *bits, *bps);
    if (l->air > ((1u << *bits) - 1u))
        return lc_error_set(err, LC_ERR_ARG, "%s: --air %u exceeds the %d-bit maximum %u", what,
                            l->air, *bits, (1u << *bits) - 1u);
    if (l->kvp < 0 || l->pixel_pitch_mm < 0)
        return lc_error_set(err, LC_ERR_ARG, "%s: negative --kvp or --pixel-pitch", what);
    return LC_OK;
}

/* Works out the line count from the header or the size, and checks that the
 * file holds exactly header + samples. */
static lc_status resolve_lines(const unsigned char *buf, size_t len, const lc_raw_layout *l,
                               int bps, const char *what, uint32_t *lines, lc_error *err)
{
    if (l->header_bytes > len)
        return lc_error_set(err, LC_ERR_FORMAT,
                            "%s: truncated: %zu bytes, shorter than the %" PRIu64 "-byte header",
                            what, len, l->header_bytes);
    size_t data = len - (size_t)l->header_bytes;
    uint64_t per_line = (uint64_t)l->pixels * (uint64_t)l->nplanes * (uint64_t)bps;
    uint64_t n = l->lines;
    const char *source = "--lines";
    if (l->lines_at >= 0) {
        if ((uint64_t)l->lines_at + 4 > l->header_bytes)
            return lc_error_set(err, LC_ERR_ARG,
                                "%s: --lines-at %" PRId64 " is not inside the %" PRIu64
                                "-byte header",
                                what, l->lines_at, l->header_bytes);
        uint32_t hn = read_u32(buf + l->lines_at, l->big_endian);
        if (l->lines && hn != l->lines)
            return lc_error_set(err, LC_ERR_FORMAT,
                                "%s: header says %u lines at byte %" PRId64 ", --lines says %u",
                                what, hn, l->lines_at, l->lines);
        n = hn;
        source = "the header";
    }
    if (n == 0) {
        if (l->lines_at >= 0)
            return lc_error_set(err, LC_ERR_FORMAT, "%s: header says 0 lines at byte %" PRId64,
                                what, l->lines_at);
        if (data == 0 || data % per_line != 0)
            return lc_error_set(err, LC_ERR_FORMAT,
                                "%s: %zu data bytes after the header are not a whole number of "
                                "lines of %" PRIu64 " bytes (%u pixels x %d planes x %d bytes)",
                                what, data, per_line, l->pixels, l->nplanes, bps);
        n = data / per_line;
    }
    if (n > LC_SCAN_MAX_LINES)
        return lc_error_set(err, LC_ERR_LIMIT, "%s: %" PRIu64 " lines exceeds the limit of %d",
                            what, n, LC_SCAN_MAX_LINES);
    uint64_t need = n * per_line;
    if (data < need)
        return lc_error_set(err, LC_ERR_FORMAT,
                            "%s: truncated: %s gives %" PRIu64 " lines needing %" PRIu64
                            " data bytes, but only %zu follow the header (%" PRIu64 " whole lines)",
                            what, source, n, need, data, (uint64_t)data / per_line);
    if (data > need)
        return lc_error_set(err, LC_ERR_FORMAT,
                            "%s: %zu bytes after the last of %" PRIu64
                            " lines (from %s): the layout does not match the file",
                            what, data - (size_t)need, n, source);
    *lines = (uint32_t)n;
    return LC_OK;
}

/* Byte offset, from the start of the data, of sample (plane p, line x, pixel y). */
static size_t sample_offset(const lc_raw_layout *l, uint32_t lines, int bps, int p, uint32_t x,
                            uint32_t y)
{
    size_t px = l->pixels, ln = lines;
    size_t idx;
    if (l->plane_layout == LC_PLANES_INTERLEAVED && l->nplanes == 2)
        idx = ((size_t)x * 2 + (size_t)p) * px + y;
    else if (l->order == LC_ORDER_LINE_MAJOR)
        idx = (size_t)p * ln * px + (size_t)x * px + y;
    else
        idx = (size_t)p * ln * px + (size_t)y * ln + x;
    return idx * (size_t)bps;
}

lc_status lc_import_raw(const unsigned char *buf, size_t len, const lc_raw_layout *layout,
                        const char *what, lc_scan **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_import_raw: out is NULL");
    *out = NULL;
    if (!what)
        what = "raw dump";
    if (!layout || (!buf && len))
        return lc_error_set(err, LC_ERR_ARG, "%s: no layout or no data", what);
    if (len > LC_RAW_MAX_BYTES)
        return lc_error_set(err, LC_ERR_LIMIT, "%s: %zu bytes exceeds the limit", what, len);
    int bps = 0, bits = 0; /* set by check_layout; gcc -O3 cannot see it */
    lc_status st = check_layout(layout, what, &bps, &bits, err);
    if (st != LC_OK)
        return st;
    uint32_t lines = 0;
    st = resolve_lines(buf, len, layout, bps, what, &lines, err);
    if (st != LC_OK)
        return st;

    lc_scan_info info;
    lc_scan_info_init(&info);
    info.bits_stored = bits;
    info.air_value = (uint16_t)layout->air;
    info.kvp = layout->kvp;
    info.pixel_pitch_mm = layout->pixel_pitch_mm;
    lc__strlcpy(info.detector, "imported raw dump", sizeof info.detector);
    lc_scan *scan = NULL;
    st = lc_scan_new(&info, &scan, err);
    if (st != LC_OK)
        return st;
    lc_view_info vi;
    lc_view_info_init(&vi);
    lc__strlcpy(vi.label, "view0", sizeof vi.label);
    lc_view *view = NULL;
    st = lc_scan_add_view(scan, &vi, lines, layout->pixels, &view, err);
    if (st != LC_OK) {
        lc_scan_free(scan);
        return lc_error_prefix(err, "%s: ", what);
    }

    const unsigned char *data = buf + layout->header_bytes;
    const uint32_t maxv = (1u << bits) - 1u;
    for (int p = 0; p < layout->nplanes; p++) {
        uint16_t *plane = lc_view_plane(view, layout->planes[p]);
        for (uint32_t y = 0; y < layout->pixels; y++) {
            for (uint32_t x = 0; x < lines; x++) {
                size_t off = sample_offset(layout, lines, bps, p, x, y);
                const unsigned char *s = data + off;
                uint32_t v;
                if (bps == 1)
                    v = s[0];
                else if (layout->big_endian)
                    v = (uint32_t)s[0] << 8 | s[1];
                else
                    v = (uint32_t)s[1] << 8 | s[0];
                if (v > maxv) {
                    lc_scan_free(scan);
                    return lc_error_set(err, LC_ERR_FORMAT,
                                        "%s: byte %" PRIu64 " (%s plane, line %u, pixel %u): "
                                        "value %u exceeds the %d-bit maximum %u (check --bits "
                                        "and --endian)",
                                        what, layout->header_bytes + (uint64_t)off,
                                        lc_channel_name(layout->planes[p]), x, y, v, bits, maxv);
                }
                plane[(size_t)y * lines + x] = (uint16_t)v;
            }
        }
    }
    *out = scan;
    return LC_OK;
}

lc_status lc_import_raw_file(const char *path, const lc_raw_layout *layout, lc_scan **out,
                             lc_error *err)
{
    if (out)
        *out = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, LC_RAW_MAX_BYTES, &buf, &len, err);
    if (st != LC_OK)
        return st;
    st = lc_import_raw(buf, len, layout, path, out, err);
    free(buf);
    return st;
}
