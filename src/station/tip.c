/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tip.c: threat image projection. The station keeps a small library of
 * fictional threats (a knife, a gun, an improvised explosive device, a pipe
 * bomb), each simulated once alone on an empty belt without noise, and keeps
 * its transmission T_c = (S - dark) / (air - dark) per view and channel.
 *
 * Projecting a threat into a bag's raw scan multiplies the bag's signal above
 * dark by T_c at a chosen place along the belt. By Beer-Lambert the
 * transmission through bag and threat is the product of the two (their
 * attenuations add), so the projected threat passes through the same image
 * chain as the bag and looks like a real one, including its dual-energy
 * material colour. (The approximation: each channel's spectrum-integrated
 * transmissions multiply; beam hardening between bag and threat is ignored.)
 * Projection shifts the threat only along the belt, where the geometry is
 * invariant; its place across the belt and its height are those of the
 * library scene.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lucent/sim.h"
#include "station/station_int.h"
#include "util/util.h"

typedef struct tip_view {
    uint32_t w, h;   /* lines of the threat's footprint, pixels */
    float *t[2];     /* transmission per channel, w x h image order */
    uint32_t y0, y1; /* rows where it attenuates */
} tip_view;

typedef struct tip_threat {
    char name[32];
    int nviews;
    tip_view v[LC__MAX_VIEWS];
} tip_threat;

struct lc__tip_lib {
    size_t n;
    tip_threat t[8];
};

/* The library's scenes: fictional threats lying on the belt at mid height of
 * a bag, between x = 20 and x = 260 mm. */
static const struct {
    const char *name, *json;
} threat_scenes[] = {
    {"knife", "{\"lucent_scene\":1,\"name\":\"tip knife\",\"objects\":["
              "{\"id\":\"blade\",\"shape\":\"box\",\"size\":[200,28,2.5],\"position\":[130,30,100],"
              "\"rotation\":[0,0,15],\"material\":\"stainless_steel\"},"
              "{\"id\":\"handle\",\"shape\":\"box\",\"size\":[110,30,18],\"position\":[275,68,100],"
              "\"rotation\":[0,0,15],\"material\":\"polypropylene\"}]}"},
    {"gun", "{\"lucent_scene\":1,\"name\":\"tip gun\",\"objects\":["
            "{\"id\":\"slide\",\"shape\":\"box\",\"size\":[170,28,30],\"position\":[105,-40,100],"
            "\"material\":\"steel\"},"
            "{\"id\":\"grip\",\"shape\":\"box\",\"size\":[34,90,28],\"position\":[173,19,100],"
            "\"rotation\":[0,0,-12],\"material\":\"steel\"}]}"},
    {"ied", "{\"lucent_scene\":1,\"name\":\"tip ied\",\"objects\":["
            "{\"id\":\"charge\",\"shape\":\"box\",\"size\":[150,90,35],\"position\":[100,0,90],"
            "\"material\":\"semtex\"},"
            "{\"id\":\"battery\",\"shape\":\"cylinder\",\"radius\":10,\"height\":50,"
            "\"position\":[210,20,90],\"rotation\":[0,90,0],\"material\":\"steel\"},"
            "{\"id\":\"wire\",\"shape\":\"cylinder\",\"radius\":1.2,\"height\":110,"
            "\"position\":[200,-25,90],\"rotation\":[0,90,20],\"material\":\"copper\"}]}"},
    {"pipe bomb", "{\"lucent_scene\":1,\"name\":\"tip pipe bomb\",\"objects\":["
                  "{\"id\":\"pipe\",\"shape\":\"cylinder\",\"radius\":25,\"height\":200,\"wall\":4,"
                  "\"position\":[130,-20,100],\"rotation\":[0,90,0],\"material\":\"steel\"},"
                  "{\"id\":\"filler\",\"shape\":\"cylinder\",\"radius\":20.5,\"height\":190,"
                  "\"position\":[130,-20,100],\"rotation\":[0,90,0],\"material\":\"tnt\"}]}"},
};
#define NSCENES (sizeof threat_scenes / sizeof threat_scenes[0])

/* Per-pixel mean of a view's reference lines (0 or fallback when absent). */
static void ref_mean(const lc_view *view, lc_ref_kind kind, lc_channel ch, double fallback,
                     double *out)
{
    uint32_t n = lc_view_ref_lines(view, kind), h = lc_view_pixels(view);
    const uint16_t *r = lc_view_ref(view, kind, ch);
    for (uint32_t y = 0; y < h; y++) {
        double s = 0;
        for (uint32_t x = 0; r && x < n; x++)
            s += r[(size_t)y * n + x];
        out[y] = r && n ? s / n : fallback;
    }
}

static void tip_threat_free(tip_threat *t)
{
    for (int v = 0; v < LC__MAX_VIEWS; v++) {
        free(t->v[v].t[0]);
        free(t->v[v].t[1]);
    }
}

/* Transmission maps of one simulated threat, cropped to its footprint. */
static lc_status extract(const lc_scan *scan, tip_threat *t, lc_error *err)
{
    t->nviews = (int)lc_scan_view_count(scan);
    if (t->nviews > LC__MAX_VIEWS)
        t->nviews = LC__MAX_VIEWS;
    double maxv = lc_scan_max_value(scan);
    for (int v = 0; v < t->nviews; v++) {
        const lc_view *view = lc_scan_view(scan, (size_t)v);
        uint32_t w = lc_view_lines(view), h = lc_view_pixels(view);
        double *dark = lc__calloc(h, sizeof *dark), *air = lc__calloc(h, sizeof *air);
        float *full[2] = {lc__mallocn((size_t)w * h, sizeof(float)),
                          lc__mallocn((size_t)w * h, sizeof(float))};
        if (!dark || !air || !full[0] || !full[1]) {
            free(dark), free(air), free(full[0]), free(full[1]);
            return lc_error_set(err, LC_ERR_NOMEM, "tip: out of memory");
        }
        uint32_t xlo = w, xhi = 0, ylo = h, yhi = 0;
        for (int c = 0; c < 2; c++) {
            ref_mean(view, LC_REF_DARK, (lc_channel)c, 0, dark);
            ref_mean(view, LC_REF_AIR, (lc_channel)c, maxv, air);
            const uint16_t *p = lc_view_plane(view, (lc_channel)c);
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    double span = air[y] - dark[y];
                    double tr = span > 1 ? ((double)p[i] - dark[y]) / span : 1.0;
                    tr = tr < 1e-5 ? 1e-5 : tr > 1.0 ? 1.0 : tr;
                    full[c][i] = (float)tr;
                    if (tr < 0.995) {
                        if (x < xlo)
                            xlo = x;
                        if (x > xhi)
                            xhi = x;
                        if (y < ylo)
                            ylo = y;
                        if (y > yhi)
                            yhi = y;
                    }
                }
        }
        free(dark), free(air);
        tip_view *tv = &t->v[v];
        if (xlo > xhi) { /* not seen in this view */
            xlo = 0, xhi = 0, ylo = 0, yhi = 0;
        }
        tv->w = xhi - xlo + 1;
        tv->h = h;
        tv->y0 = ylo;
        tv->y1 = yhi + 1;
        for (int c = 0; c < 2; c++) {
            tv->t[c] = lc__mallocn((size_t)tv->w * h, sizeof(float));
            if (!tv->t[c]) {
                free(full[0]), free(full[1]);
                return lc_error_set(err, LC_ERR_NOMEM, "tip: out of memory");
            }
            for (uint32_t y = 0; y < h; y++)
                memcpy(tv->t[c] + (size_t)y * tv->w, full[c] + (size_t)y * w + xlo,
                       tv->w * sizeof(float));
        }
        free(full[0]), free(full[1]);
    }
    return LC_OK;
}

lc_status lc__tip_lib_new(lc__tip_lib **out, lc_error *err)
{
    *out = NULL;
    lc__tip_lib *lib = lc__calloc(1, sizeof *lib);
    if (!lib)
        return lc_error_set(err, LC_ERR_NOMEM, "tip: out of memory");
    lc_scanner *sc = NULL;
    lc_status s = lc_scanner_new(&sc, err);
    for (size_t i = 0; s == LC_OK && i < NSCENES; i++) {
        lc_scene *scene = NULL;
        s = lc_scene_parse(threat_scenes[i].json, strlen(threat_scenes[i].json),
                           threat_scenes[i].name, NULL, &scene, err);
        if (s != LC_OK)
            break;
        lc_sim_options opt;
        lc_sim_options_init(&opt);
        opt.noise = 0;
        opt.threads = 1;
        lc_scan *scan = NULL;
        s = lc_simulate(scene, sc, &opt, &scan, NULL, err);
        lc_scene_free(scene);
        if (s != LC_OK)
            break;
        tip_threat *t = &lib->t[lib->n];
        lc__strlcpy(t->name, threat_scenes[i].name, sizeof t->name);
        s = extract(scan, t, err);
        lc_scan_free(scan);
        lib->n++;
    }
    lc_scanner_free(sc);
    if (s != LC_OK) {
        lc__tip_lib_free(lib);
        return lc_error_prefix(err, "TIP library: ");
    }
    *out = lib;
    return LC_OK;
}

void lc__tip_lib_free(lc__tip_lib *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->n; i++)
        tip_threat_free(&lib->t[i]);
    free(lib);
}

size_t lc__tip_lib_count(const lc__tip_lib *lib)
{
    return lib ? lib->n : 0;
}

lc_status lc__tip_project(const lc__tip_lib *lib, size_t k, lc_scan *scan, uint64_t *rng,
                          uint32_t box[][4], char name[32], lc_error *err)
{
    if (!lib || k >= lib->n)
        return lc_error_set(err, LC_ERR_ARG, "tip: no threat %zu", k);
    const tip_threat *t = &lib->t[k];
    size_t nv = lc_scan_view_count(scan);
    if ((int)nv < t->nviews)
        return lc_error_set(err, LC_ERR_ARG, "tip: the bag has fewer views than the threat");
    /* One place along the belt for all views, as a fraction of the bag's
     * length, so the threat is where the bag is in every view. */
    double frac = 0.15 + 0.55 * lc__randu(rng);
    double maxv = lc_scan_max_value(scan);
    for (int v = 0; v < t->nviews; v++) {
        lc_view *view = lc_scan_view(scan, (size_t)v);
        uint32_t w = lc_view_lines(view), h = lc_view_pixels(view);
        const tip_view *tv = &t->v[v];
        if (h != tv->h || w < tv->w)
            return lc_error_set(err, LC_ERR_ARG,
                                "tip: view %d is %ux%u, the threat needs %u pixels and %u lines", v,
                                w, h, tv->h, tv->w);
        uint32_t x0 = (uint32_t)(frac * (double)(w - tv->w));
        double *dark = lc__calloc(h, sizeof *dark);
        if (!dark)
            return lc_error_set(err, LC_ERR_NOMEM, "tip: out of memory");
        for (int c = 0; c < 2; c++) {
            ref_mean(view, LC_REF_DARK, (lc_channel)c, 0, dark);
            uint16_t *p = lc_view_plane(view, (lc_channel)c);
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < tv->w; x++) {
                    size_t i = (size_t)y * w + x0 + x;
                    double sig = (double)p[i] - dark[y];
                    double nvv = dark[y] + sig * tv->t[c][(size_t)y * tv->w + x];
                    p[i] = (uint16_t)(nvv < 0 ? 0 : nvv > maxv ? maxv : lrint(nvv));
                }
        }
        free(dark);
        box[v][0] = x0;
        box[v][1] = tv->y0;
        box[v][2] = x0 + tv->w;
        box[v][3] = tv->y1;
    }
    lc__strlcpy(name, t->name, 32);
    return LC_OK;
}
