/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.c: lc_chain, the whole image chain (calibration -> Zeff, class,
 * confidence -> rendering) for one view after another with reusable images.
 * Fresh multi-megabyte buffers per view cost page faults comparable to the
 * arithmetic itself; a chain keeps its attenuation, material map and colour
 * image and reallocates them only when the image size changes.
 */
#include <stdlib.h>
#include <string.h>

#include "chain/chain_int.h"
#include "util/util.h"

struct lc_chain {
    const lc_mattable *table; /* borrowed */
    lc_calib_options co;
    lc_matmap_options mo;
    lc_render_options ro;
    lc_atten *a;
    lc_matmap *m;
    lc_rgb *img;
    int valid;
};

lc_status lc_chain_new(const lc_mattable *t, const lc_calib_options *co,
                       const lc_matmap_options *mo, const lc_render_options *ro, lc_chain **out,
                       lc_error *err)
{
    if (!t || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_chain_new: NULL argument");
    *out = NULL;
    lc_chain *c = lc__calloc(1, sizeof *c);
    if (!c)
        return lc_error_set(err, LC_ERR_NOMEM, "chain: out of memory");
    c->table = t;
    if (co)
        c->co = *co;
    else
        lc_calib_options_init(&c->co);
    if (mo)
        c->mo = *mo;
    else
        lc_matmap_options_init(&c->mo);
    if (ro)
        c->ro = *ro;
    else
        lc_render_options_init(&c->ro);
    *out = c;
    return LC_OK;
}

void lc_chain_free(lc_chain *c)
{
    if (!c)
        return;
    lc_atten_free(c->a);
    lc_matmap_free(c->m);
    lc_rgb_free(c->img);
    free(c);
}

/* Makes sure the three images have the view's size. */
static lc_status ensure(lc_chain *c, uint32_t w, uint32_t h, lc_error *err)
{
    lc_status st;
    if (c->a && (c->a->width != w || c->a->height != h)) {
        lc_atten_free(c->a);
        lc_matmap_free(c->m);
        lc_rgb_free(c->img);
        c->a = NULL, c->m = NULL, c->img = NULL;
    }
    if (!c->a && (st = lc_atten_new(w, h, &c->a, err)) != LC_OK)
        return st;
    if (!c->m && (st = lc__matmap_alloc(w, h, &c->m, err)) != LC_OK)
        return st;
    if (!c->img && (st = lc_rgb_new(w, h, &c->img, err)) != LC_OK)
        return st;
    return LC_OK;
}

lc_status lc_chain_run(lc_chain *c, const lc_scan *scan, size_t view, lc_error *err)
{
    if (!c || !scan)
        return lc_error_set(err, LC_ERR_ARG, "lc_chain_run: NULL argument");
    c->valid = 0;
    const lc_view *v = lc_scan_view(scan, view);
    if (!v)
        return lc_error_set(err, LC_ERR_ARG, "view %zu: no such view (the scan has %zu)", view,
                            lc_scan_view_count(scan));
    double lo, hi;
    unsigned show;
    const lc_matmap *mm = NULL;
    lc_status st = ensure(c, lc_view_lines(v), lc_view_pixels(v), err);
    if (st == LC_OK)
        st = lc__atten_fill(scan, view, &c->co, c->a, err);
    if (st == LC_OK)
        st = lc__matmap_fill(c->table, c->a, &c->mo, c->m, err);
    mm = c->m;
    if (st == LC_OK)
        st = lc__render_params(&c->ro, &lo, &hi, &show, &mm, err);
    if (st == LC_OK)
        st = lc__render_colour_into(c->a, mm, lo, hi, show, c->img, err);
    if (st == LC_OK && c->ro.edge > 0) {
        lc_rgb *e = NULL;
        st = lc_rgb_edge(c->img, c->ro.edge * 2.0, &e, err);
        if (st == LC_OK) {
            lc_rgb_free(c->img);
            c->img = e;
        }
    }
    if (st == LC_OK && c->ro.negative) {
        size_t n = (size_t)c->img->width * c->img->height * 3;
        for (size_t i = 0; i < n; i++)
            c->img->data[i] = (uint8_t)(255 - c->img->data[i]);
    }
    if (st == LC_OK)
        c->valid = 1;
    return st;
}

const lc_atten *lc_chain_atten(const lc_chain *c)
{
    return c && c->valid ? c->a : NULL;
}

const lc_matmap *lc_chain_matmap(const lc_chain *c)
{
    return c && c->valid ? c->m : NULL;
}

const lc_rgb *lc_chain_rgb(const lc_chain *c)
{
    return c && c->valid ? c->img : NULL;
}
