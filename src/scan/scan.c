/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan.c: the in-memory scan object (see lucent/scan.h). Views own their
 * planes; the scan owns its views. No global state; every failure path frees
 * what it allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "lucent/scan.h"
#include "util/util.h"

struct lc_view {
    lc_view_info info;
    uint32_t lines, pixels;
    uint16_t *plane[LC_CHANNELS];
    uint32_t ref_lines[2];
    uint16_t *ref[2][LC_CHANNELS];
};

struct lc_scan {
    lc_scan_info info;
    size_t nviews;
    lc_view *views[LC_SCAN_MAX_VIEWS];
};

void lc_scan_info_init(lc_scan_info *info)
{
    memset(info, 0, sizeof *info);
}

void lc_view_info_init(lc_view_info *vi)
{
    memset(vi, 0, sizeof *vi);
}

/* Forces NUL termination of every string field so a caller's unterminated
 * array can never make a later strlen run off the end. */
static void terminate_info_strings(lc_scan_info *i)
{
    i->scan_id[LC_ID_MAX - 1] = '\0';
    i->station_id[LC_ID_MAX - 1] = '\0';
    i->study_uid[LC_ID_MAX - 1] = '\0';
    i->manufacturer[LC_ID_MAX - 1] = '\0';
    i->model[LC_ID_MAX - 1] = '\0';
    i->detector[LC_TEXT_MAX - 1] = '\0';
}

lc_status lc_scan_new(const lc_scan_info *info, lc_scan **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_scan_new: out is NULL");
    *out = NULL;
    if (info && (info->bits_stored < 0 || info->bits_stored > 16))
        return lc_error_set(err, LC_ERR_ARG, "scan: bits_stored %d is not in 0..16",
                            info->bits_stored);
    lc_scan *s = calloc(1, sizeof *s);
    if (!s)
        return lc_error_set(err, LC_ERR_NOMEM, "scan: out of memory");
    if (info)
        s->info = *info;
    terminate_info_strings(&s->info);
    *out = s;
    return LC_OK;
}

static void view_free(lc_view *v)
{
    if (!v)
        return;
    for (int c = 0; c < LC_CHANNELS; c++) {
        free(v->plane[c]);
        free(v->ref[0][c]);
        free(v->ref[1][c]);
    }
    free(v);
}

void lc_scan_free(lc_scan *scan)
{
    if (!scan)
        return;
    for (size_t i = 0; i < scan->nviews; i++)
        view_free(scan->views[i]);
    free(scan);
}

const lc_scan_info *lc_scan_get_info(const lc_scan *scan)
{
    return &scan->info;
}

lc_scan_info *lc_scan_info_mut(lc_scan *scan)
{
    return &scan->info;
}

lc_status lc_scan_add_view(lc_scan *scan, const lc_view_info *vi, uint32_t lines, uint32_t pixels,
                           lc_view **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!scan)
        return lc_error_set(err, LC_ERR_ARG, "lc_scan_add_view: scan is NULL");
    if (scan->nviews >= LC_SCAN_MAX_VIEWS)
        return lc_error_set(err, LC_ERR_LIMIT, "scan: more than %d views", LC_SCAN_MAX_VIEWS);
    if (lines < 1 || lines > LC_SCAN_MAX_LINES)
        return lc_error_set(err, LC_ERR_LIMIT, "scan: %u lines is not in 1..%d", lines,
                            LC_SCAN_MAX_LINES);
    if (pixels < 1 || pixels > LC_SCAN_MAX_PIXELS)
        return lc_error_set(err, LC_ERR_LIMIT, "scan: %u pixels per line is not in 1..%d", pixels,
                            LC_SCAN_MAX_PIXELS);
    lc_view *v = calloc(1, sizeof *v);
    if (!v)
        return lc_error_set(err, LC_ERR_NOMEM, "scan: out of memory");
    if (vi) {
        v->info = *vi;
        v->info.label[sizeof v->info.label - 1] = '\0';
    }
    v->lines = lines;
    v->pixels = pixels;
    size_t n = (size_t)lines * pixels;
    for (int c = 0; c < LC_CHANNELS; c++) {
        v->plane[c] = lc__calloc(n, sizeof(uint16_t));
        if (!v->plane[c]) {
            view_free(v);
            return lc_error_set(err, LC_ERR_NOMEM, "scan: out of memory for a %ux%u view", lines,
                                pixels);
        }
    }
    scan->views[scan->nviews++] = v;
    if (out)
        *out = v;
    return LC_OK;
}

size_t lc_scan_view_count(const lc_scan *scan)
{
    return scan ? scan->nviews : 0;
}

lc_view *lc_scan_view(const lc_scan *scan, size_t i)
{
    if (!scan || i >= scan->nviews)
        return NULL;
    return scan->views[i];
}

uint32_t lc_view_lines(const lc_view *view)
{
    return view->lines;
}

uint32_t lc_view_pixels(const lc_view *view)
{
    return view->pixels;
}

const lc_view_info *lc_view_get_info(const lc_view *view)
{
    return &view->info;
}

lc_view_info *lc_view_info_mut(lc_view *view)
{
    return &view->info;
}

uint16_t *lc_view_plane(const lc_view *view, lc_channel ch)
{
    if ((unsigned)ch >= LC_CHANNELS)
        return NULL;
    return view->plane[ch];
}

uint16_t lc_view_get(const lc_view *view, lc_channel ch, uint32_t x, uint32_t y)
{
    if ((unsigned)ch >= LC_CHANNELS || x >= view->lines || y >= view->pixels)
        return 0;
    return view->plane[ch][(size_t)y * view->lines + x];
}

void lc_view_set(lc_view *view, lc_channel ch, uint32_t x, uint32_t y, uint16_t value)
{
    if ((unsigned)ch >= LC_CHANNELS || x >= view->lines || y >= view->pixels)
        return;
    view->plane[ch][(size_t)y * view->lines + x] = value;
}

lc_status lc_view_alloc_ref(lc_view *view, lc_ref_kind kind, uint32_t nlines, lc_error *err)
{
    if (!view || (kind != LC_REF_DARK && kind != LC_REF_AIR))
        return lc_error_set(err, LC_ERR_ARG, "lc_view_alloc_ref: bad view or kind");
    if (nlines < 1 || nlines > LC_SCAN_MAX_REF_LINES)
        return lc_error_set(err, LC_ERR_LIMIT, "scan: %u %s reference lines is not in 1..%d",
                            nlines, lc_ref_kind_name(kind), LC_SCAN_MAX_REF_LINES);
    uint16_t *fresh[LC_CHANNELS] = {NULL, NULL};
    for (int c = 0; c < LC_CHANNELS; c++) {
        fresh[c] = lc__calloc((size_t)nlines * view->pixels, sizeof(uint16_t));
        if (!fresh[c]) {
            free(fresh[0]);
            return lc_error_set(err, LC_ERR_NOMEM, "scan: out of memory for reference lines");
        }
    }
    for (int c = 0; c < LC_CHANNELS; c++) {
        free(view->ref[kind][c]);
        view->ref[kind][c] = fresh[c];
    }
    view->ref_lines[kind] = nlines;
    return LC_OK;
}

uint32_t lc_view_ref_lines(const lc_view *view, lc_ref_kind kind)
{
    if (kind != LC_REF_DARK && kind != LC_REF_AIR)
        return 0;
    return view->ref_lines[kind];
}

uint16_t *lc_view_ref(const lc_view *view, lc_ref_kind kind, lc_channel ch)
{
    if ((kind != LC_REF_DARK && kind != LC_REF_AIR) || (unsigned)ch >= LC_CHANNELS)
        return NULL;
    return view->ref[kind][ch];
}

lc_status lc_scan_clone(const lc_scan *scan, lc_scan **out, lc_error *err)
{
    lc_scan *c = NULL;
    lc_status st = lc_scan_new(&scan->info, &c, err);
    if (st != LC_OK)
        return st;
    for (size_t i = 0; i < scan->nviews; i++) {
        const lc_view *v = scan->views[i];
        lc_view *nv = NULL;
        st = lc_scan_add_view(c, &v->info, v->lines, v->pixels, &nv, err);
        if (st != LC_OK)
            goto fail;
        size_t n = (size_t)v->lines * v->pixels;
        for (int ch = 0; ch < LC_CHANNELS; ch++)
            memcpy(nv->plane[ch], v->plane[ch], n * sizeof(uint16_t));
        for (int k = 0; k < 2; k++) {
            if (!v->ref_lines[k])
                continue;
            st = lc_view_alloc_ref(nv, (lc_ref_kind)k, v->ref_lines[k], err);
            if (st != LC_OK)
                goto fail;
            for (int ch = 0; ch < LC_CHANNELS; ch++)
                memcpy(nv->ref[k][ch], v->ref[k][ch],
                       (size_t)v->ref_lines[k] * v->pixels * sizeof(uint16_t));
        }
    }
    *out = c;
    return LC_OK;
fail:
    lc_scan_free(c);
    *out = NULL;
    return st;
}

uint16_t lc_scan_max_value(const lc_scan *scan)
{
    int bits = scan->info.bits_stored;
    if (bits <= 0 || bits >= 16)
        return 65535;
    return (uint16_t)((1u << bits) - 1u);
}

const char *lc_channel_name(lc_channel ch)
{
    switch (ch) {
    case LC_HIGH:
        return "high";
    case LC_LOW:
        return "low";
    }
    return "?";
}

const char *lc_ref_kind_name(lc_ref_kind kind)
{
    switch (kind) {
    case LC_REF_DARK:
        return "dark";
    case LC_REF_AIR:
        return "air";
    }
    return "?";
}
