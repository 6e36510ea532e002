/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atr.c: threat recognition (lucent/atr.h). Per view: smoothing, the
 * threshold ladder with union-find labelling, candidate measurement with
 * ring-based background stripping, then cross-view pairing, scoring (rules.c)
 * and non-maximum suppression. The water-equivalent areal density comes
 * from the table's own physics model (phys's signal model with water), so
 * stripping works in areal density, where overlapping layers add, and not in
 * A, where beam hardening makes them sub-additive.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atr/atr_int.h"
#include "lucent/phys.h"
#include "lucent/sim.h"
#include "util/util.h"

const char *lc_atr_class_name(lc_atr_class c)
{
    switch (c) {
    case LC_ATR_EXPLOSIVE:
        return "explosive";
    case LC_ATR_WEAPON:
        return "weapon";
    case LC_ATR_DENSE:
        return "dense";
    }
    return "?";
}

int lc_atr_class_parse(const char *name, lc_atr_class *out)
{
    for (int c = 0; name && c < LC_ATR_CLASSES; c++)
        if (strcmp(name, lc_atr_class_name((lc_atr_class)c)) == 0) {
            if (out)
                *out = (lc_atr_class)c;
            return 0;
        }
    return -1;
}

void lc_atr_options_init(lc_atr_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        o->sensitivity[c] = 0.5;
    o->min_mass_g = 300;
    o->dense_area_mm2 = 1600;
}

void lc_atr_result_free(lc_atr_result *r)
{
    if (!r)
        return;
    free(r->alarms);
    free(r);
}

/* ------------------------------------------------------------------------ */
/* Water-equivalent areal density                                           */
/* ------------------------------------------------------------------------ */

#define SIG_N    801
#define SIG_STEP 0.05 /* g/cm^2: 0 .. 40 */

typedef struct sigma_inv {
    double a[SIG_N];  /* A_H of water at sigma = k * SIG_STEP (increasing) */
    double al[SIG_N]; /* A_L of water at the same areal densities */
} sigma_inv;

static lc_status sigma_inv_build(const lc_mattable *t, sigma_inv *inv, lc_error *err)
{
    const lc_chain_model *m = lc_mattable_model(t);
    lc_matlib *lib = NULL;
    lc_spectrum *spec = NULL;
    lc_detector *det = NULL;
    lc_signal_model *sm = NULL;
    const lc_material *water = NULL;
    lc_status st = lc_matlib_new(&lib, err);
    if (st == LC_OK)
        st = lc_matlib_get(lib, "water", &water, err);
    if (st == LC_OK)
        st = lc_tube_spectrum(&m->tube, &spec, err);
    if (st == LC_OK)
        st = lc_detector_new(lib, &m->det, &det, err);
    if (st == LC_OK)
        st = lc_signal_model_new(spec, det, &water, 1, m->photon_scale, &sm, err);
    if (st == LC_OK) {
        const lc_signal *air = lc_signal_model_air(sm);
        uint32_t idx = 0;
        inv->a[0] = 0;
        inv->al[0] = 0;
        for (int k = 1; k < SIG_N && st == LC_OK; k++) {
            double s = k * SIG_STEP;
            lc_signal sg;
            st = lc_signal_model_eval(sm, 1, &idx, &s, &sg);
            if (st != LC_OK || !(sg.mean[LC_HIGH] > 0)) {
                st = lc_error_set(err, LC_ERR_PHYSICS, "atr: water model failed at %g g/cm2", s);
                break;
            }
            inv->a[k] = -log(sg.mean[LC_HIGH] / air->mean[LC_HIGH]);
            inv->al[k] = -log(sg.mean[LC_LOW] / air->mean[LC_LOW]);
        }
    }
    lc_signal_model_free(sm);
    lc_detector_free(det);
    lc_spectrum_free(spec);
    lc_matlib_free(lib);
    return st;
}

/* Water-equivalent areal density of a total attenuation A_H. */
static double sigma_of(const sigma_inv *inv, double a)
{
    if (!(a > 0))
        return 0;
    if (a >= inv->a[SIG_N - 1]) /* beyond the table: continue with the last slope */
        return (SIG_N - 1) * SIG_STEP +
               (a - inv->a[SIG_N - 1]) / ((inv->a[SIG_N - 1] - inv->a[SIG_N - 2]) / SIG_STEP);
    size_t lo = 0, hi = SIG_N - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (inv->a[mid] <= a)
            lo = mid;
        else
            hi = mid;
    }
    double f = (a - inv->a[lo]) / (inv->a[hi] - inv->a[lo]);
    return (lo + f) * SIG_STEP;
}

/* A_L of water at areal density s (linear interpolation in the table). */
static double water_al(const sigma_inv *inv, double s)
{
    if (!(s > 0))
        return 0;
    double f = s / SIG_STEP;
    if (f >= SIG_N - 1)
        return inv->al[SIG_N - 1] + (f - (SIG_N - 1)) * (inv->al[SIG_N - 1] - inv->al[SIG_N - 2]);
    size_t k = (size_t)f;
    return inv->al[k] + (f - (double)k) * (inv->al[k + 1] - inv->al[k]);
}

static double water_ah(const sigma_inv *inv, double s)
{
    if (!(s > 0))
        return 0;
    double f = s / SIG_STEP;
    if (f >= SIG_N - 1)
        return inv->a[SIG_N - 1] + (f - (SIG_N - 1)) * (inv->a[SIG_N - 1] - inv->a[SIG_N - 2]);
    size_t k = (size_t)f;
    return inv->a[k] + (f - (double)k) * (inv->a[k + 1] - inv->a[k]);
}

/* Zeff of an object seen on top of a background (overlap stripping with a
 * beam-hardening correction). The background is taken as water of the areal
 * density that explains its A_H; the object's (d_h, d_l) excess over it is
 * compared with what water of the object's areal density would add on that
 * background: k = d_l / d_l(water on background). The object alone would then
 * show about (A_H, k A_L) of that water alone, and the table gives its Zeff.
 * First order in the difference from water, which is what separates the
 * organics. NaN when the object adds (almost) nothing. */
static double stripped_zeff(const lc_mattable *t, const sigma_inv *inv, double a_h, double a_l,
                            double bg_h, double bg_l)
{
    double s_bg = sigma_of(inv, bg_h), s_tot = sigma_of(inv, a_h), s_obj = s_tot - s_bg;
    double d_l = a_l - bg_l;
    if (!(s_obj > 0.05) || !(d_l > 0))
        return NAN;
    double dl_w = water_al(inv, s_tot) - water_al(inv, s_bg);
    if (!(dl_w > 0))
        return NAN;
    double k = d_l / dl_w;
    return lc_mattable_zeff(t, water_ah(inv, s_obj), k * water_al(inv, s_obj));
}

/* ------------------------------------------------------------------------ */
/* Fan-beam geometry                                                        */
/* ------------------------------------------------------------------------ */

void lc__atr_geom_free(lc__atr_geom *g)
{
    if (!g)
        return;
    free(g->pos);
    free(g->wr);
    memset(g, 0, sizeof *g);
}

/* Where the pixels of view v are. A scan records its source position, the
 * central ray's angle and the source-detector distance (lucent/scan.h), not
 * the shape of the detector line. When the source and pixel count are those
 * of the default scanner's view (lucent/sim.h: an L-shaped line), its
 * polyline is used; otherwise a straight line across the central ray at the
 * source-detector distance, pixels centred on the ray. */
lc_status lc__atr_geom_from_scan(const lc_scan *scan, size_t v, lc__atr_geom *g, lc_error *err)
{
    memset(g, 0, sizeof *g);
    const lc_view *view = lc_scan_view(scan, v);
    if (!view)
        return LC_OK;
    const lc_view_info *vi = lc_view_get_info(view);
    double pitch = lc_scan_get_info(scan)->pixel_pitch_mm;
    uint32_t n = lc_view_pixels(view);
    if (!(pitch > 0) || n == 0 || !(vi->source_detector_mm > 0) || !isfinite(vi->beam_angle_deg) ||
        !isfinite(vi->source_mm[1]) || !isfinite(vi->source_mm[2]))
        return LC_OK;
    g->pos = lc__mallocn((size_t)n * 2, sizeof *g->pos);
    g->wr = lc__mallocn(n, sizeof *g->wr);
    double *nrm = lc__mallocn((size_t)n * 2, sizeof *nrm);
    lc_scanner *sc = NULL;
    if (!g->pos || !g->wr || !nrm || lc_scanner_new(&sc, NULL) != LC_OK) {
        free(nrm);
        lc__atr_geom_free(g);
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    }
    g->npix = n;
    g->src[0] = vi->source_mm[1];
    g->src[1] = vi->source_mm[2];
    double dsrc[2] = {0, 0};
    if (v < lc_scanner_view_count(sc) && fabs(lc_scanner_pixel_pitch(sc) - pitch) < 1e-6 &&
        lc_scanner_pixels(sc, v) == n &&
        lc_scanner_view_geometry(sc, v, dsrc, g->pos, nrm, n, NULL) == LC_OK &&
        fabs(dsrc[0] - g->src[0]) < 1 && fabs(dsrc[1] - g->src[1]) < 1) {
        /* the default scanner's own detector line (positions filled above) */
    } else {
        double a = vi->beam_angle_deg * 3.14159265358979323846 / 180.0;
        double uy = sin(a), uz = cos(a), dy = cos(a), dz = -sin(a);
        for (uint32_t p = 0; p < n; p++) {
            double off = ((double)p - 0.5 * (n - 1)) * pitch;
            g->pos[2 * p] = g->src[0] + vi->source_detector_mm * uy + off * dy;
            g->pos[2 * p + 1] = g->src[1] + vi->source_detector_mm * uz + off * dz;
            nrm[2 * p] = uy;
            nrm[2 * p + 1] = uz;
        }
    }
    lc_scanner_free(sc);
    for (uint32_t p = 0; p < n; p++) {
        double ry = g->pos[2 * p] - g->src[0], rz = g->pos[2 * p + 1] - g->src[1];
        double r = hypot(ry, rz);
        double c = r > 0 ? fabs(nrm[2 * p] * ry + nrm[2 * p + 1] * rz) / r : 0;
        g->wr[p] = r > 0 ? pitch * c / r : 0;
    }
    free(nrm);
    g->known = 1;
    return LC_OK;
}

/* The point of the detector line at fractional pixel index f (pixel centres
 * at integers; linear between them, extrapolated past the ends). */
static void geom_at(const lc__atr_geom *g, double f, double out[2])
{
    if (g->npix < 2) {
        out[0] = g->pos[0], out[1] = g->pos[1];
        return;
    }
    size_t k = f <= 0 ? 0 : f >= g->npix - 1 ? g->npix - 2 : (size_t)f;
    double t = f - (double)k;
    for (int i = 0; i < 2; i++)
        out[i] = g->pos[2 * k + i] + t * (g->pos[2 * (k + 1) + i] - g->pos[2 * k + i]);
}

#define POLY_MAX 16

/* Keeps the part of the convex polygon p (n vertices) where
 * cross(d, q - o) >= 0 (Sutherland-Hodgman against one half-plane). */
static size_t clip_half(const double (*p)[2], size_t n, const double o[2], const double d[2],
                        double (*out)[2])
{
    size_t m = 0;
    for (size_t i = 0; i < n && m + 2 <= POLY_MAX; i++) {
        const double *a = p[i], *b = p[(i + 1) % n];
        double sa = d[0] * (a[1] - o[1]) - d[1] * (a[0] - o[0]);
        double sb = d[0] * (b[1] - o[1]) - d[1] * (b[0] - o[0]);
        if (sa >= 0) {
            out[m][0] = a[0], out[m][1] = a[1];
            m++;
        }
        if ((sa >= 0) != (sb >= 0)) {
            double t = sa / (sa - sb);
            out[m][0] = a[0] + t * (b[0] - a[0]);
            out[m][1] = a[1] + t * (b[1] - a[1]);
            m++;
        }
    }
    return m;
}

/* Clips polygon p to the wedge of rays from g's source through detector
 * pixels y0 .. y1 (fractional indices). Returns the new vertex count. */
static size_t clip_wedge(double (*p)[2], size_t n, const lc__atr_geom *g, double y0, double y1)
{
    double e0[2], e1[2], tmp[POLY_MAX][2];
    geom_at(g, y0, e0);
    geom_at(g, y1, e1);
    double d0[2] = {e0[0] - g->src[0], e0[1] - g->src[1]};
    double d1[2] = {e1[0] - g->src[0], e1[1] - g->src[1]};
    double turn = d0[0] * d1[1] - d0[1] * d1[0];
    if (turn == 0)
        return 0;
    /* inside: on e1's side of the ray through e0, and on e0's side of the other */
    double s0 = turn > 0 ? 1 : -1;
    double a0[2] = {s0 * d0[0], s0 * d0[1]}, a1[2] = {-s0 * d1[0], -s0 * d1[1]};
    n = clip_half((const double(*)[2])p, n, g->src, a0, tmp);
    n = clip_half((const double(*)[2])tmp, n, g->src, a1, p);
    return n;
}

static double poly_area_centroid(const double (*p)[2], size_t n, double c[2])
{
    double a = 0, cx = 0, cy = 0;
    for (size_t i = 0; i < n; i++) {
        const double *u = p[i], *w = p[(i + 1) % n];
        double k = u[0] * w[1] - w[0] * u[1];
        a += k;
        cx += (u[0] + w[0]) * k;
        cy += (u[1] + w[1]) * k;
    }
    a *= 0.5;
    if (fabs(a) < 1e-9)
        return 0;
    c[0] = cx / (6 * a);
    c[1] = cy / (6 * a);
    return fabs(a);
}

/* Length of the line from src through c inside the convex polygon p. */
static double chord(const double (*p)[2], size_t n, const double src[2], const double c[2])
{
    double u[2] = {c[0] - src[0], c[1] - src[1]};
    double L = hypot(u[0], u[1]);
    if (!(L > 0) || n < 3)
        return 0;
    u[0] /= L, u[1] /= L;
    /* signed area decides the inside of each edge */
    double sa = 0;
    for (size_t i = 0; i < n; i++)
        sa += p[i][0] * p[(i + 1) % n][1] - p[(i + 1) % n][0] * p[i][1];
    double sgn = sa >= 0 ? 1 : -1;
    double tmin = -1e9, tmax = 1e9;
    for (size_t i = 0; i < n; i++) {
        const double *a = p[i], *b = p[(i + 1) % n];
        double e[2] = {b[0] - a[0], b[1] - a[1]};
        /* inside: sgn * cross(e, q - a) >= 0 with q = c + t u */
        double k0 = sgn * (e[0] * (c[1] - a[1]) - e[1] * (c[0] - a[0]));
        double k1 = sgn * (e[0] * u[1] - e[1] * u[0]);
        if (fabs(k1) < 1e-12) {
            if (k0 < 0)
                return 0;
            continue;
        }
        double t = -k0 / k1;
        if (k1 > 0)
            tmin = fmax(tmin, t);
        else
            tmax = fmin(tmax, t);
    }
    return tmax > tmin ? tmax - tmin : 0;
}

/* Half a pixel of each edge of a region's pixel range is blur (the 3x3
 * smoothing and the partial pixels at the object's edges). */
#define EDGE_PX 0.5

/* The cross-section (in the y-z plane) common to candidate a's wedge in its
 * view and b's in another: vertex count, polygon in p. */
static size_t pair_poly(const lc__atr_geom *geom, const lc__atr_cand *a, const lc__atr_cand *b,
                        double (*p)[2])
{
    /* the tunnel, generously (the belt is z = 0) */
    static const double box[4][2] = {{-700, -20}, {700, -20}, {700, 800}, {-700, 800}};
    size_t n = 4;
    memcpy(p, box, sizeof box);
    const lc__atr_cand *cs[2] = {a, b};
    for (int k = 0; k < 2 && n >= 3; k++) {
        const lc__atr_cand *c = cs[k];
        double y0 = (double)c->bbox[1] - 0.5 + EDGE_PX, y1 = (double)c->bbox[3] - 0.5 - EDGE_PX;
        if (y1 <= y0)
            y0 = y1 = 0.5 * (y0 + y1);
        if (y1 - y0 < 0.5) {
            double m = 0.5 * (y0 + y1);
            y0 = m - 0.25;
            y1 = m + 0.25;
        }
        n = clip_wedge(p, n, &geom[c->view], y0, y1);
    }
    return n >= 3 ? n : 0;
}

/* ------------------------------------------------------------------------ */
/* Per-view images                                                          */
/* ------------------------------------------------------------------------ */

typedef struct view_img {
    uint32_t w, h;
    const double *wr; /* per detector pixel (lc__atr_geom), NULL when unknown */
    float *hs, *ls;   /* smoothed A_H, A_L */
    uint8_t *imp;     /* impenetrable */
} view_img;

static void view_img_free(view_img *v)
{
    free(v->hs);
    free(v->ls);
    free(v->imp);
}

/* 3x3 box smoothing of one plane (edges use the available neighbours). */
static void box3(const float *in, float *out, uint32_t w, uint32_t h)
{
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double s = 0;
            int n = 0;
            for (int dy = -1; dy <= 1; dy++) {
                int64_t yy = (int64_t)y + dy;
                if (yy < 0 || yy >= h)
                    continue;
                for (int dx = -1; dx <= 1; dx++) {
                    int64_t xx = (int64_t)x + dx;
                    if (xx < 0 || xx >= w)
                        continue;
                    s += in[yy * w + xx];
                    n++;
                }
            }
            out[(size_t)y * w + x] = (float)(s / n);
        }
}

static lc_status view_img_make(const lc_atten *a, view_img *v, lc_error *err)
{
    memset(v, 0, sizeof *v);
    v->w = a->width;
    v->h = a->height;
    size_t n = (size_t)v->w * v->h;
    v->hs = lc__mallocn(n, sizeof *v->hs);
    v->ls = lc__mallocn(n, sizeof *v->ls);
    v->imp = lc__calloc(n, 1);
    if (!v->hs || !v->ls || !v->imp) {
        view_img_free(v);
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    }
    box3(a->a[LC_HIGH], v->hs, v->w, v->h);
    box3(a->a[LC_LOW], v->ls, v->w, v->h);
    for (size_t i = 0; i < n; i++) {
        if (a->flags && (a->flags[i] & LC_PIX_IMPENETRABLE)) {
            v->imp[i] = 1;
            v->hs[i] = (float)a->a_max[LC_HIGH];
            v->ls[i] = (float)a->a_max[LC_LOW];
        }
        if (!isfinite(v->hs[i]))
            v->hs[i] = 0;
        if (!isfinite(v->ls[i]))
            v->ls[i] = 0;
    }
    return LC_OK;
}

/* ------------------------------------------------------------------------ */
/* Union-find labelling                                                     */
/* ------------------------------------------------------------------------ */

static uint32_t uf_find(uint32_t *p, uint32_t i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

static void uf_union(uint32_t *p, uint32_t a, uint32_t b)
{
    a = uf_find(p, a);
    b = uf_find(p, b);
    if (a < b)
        p[b] = a;
    else if (b < a)
        p[a] = b;
}

#define NONE UINT32_MAX

/* Labels the 4-connected components of mask; lab[i] = root index or NONE. */
static void label(const uint8_t *mask, uint32_t w, uint32_t h, uint32_t *lab)
{
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++)
        lab[i] = mask[i] ? (uint32_t)i : NONE;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (lab[i] == NONE)
                continue;
            if (x > 0 && lab[i - 1] != NONE)
                uf_union(lab, (uint32_t)i, (uint32_t)(i - 1));
            if (y > 0 && lab[i - w] != NONE)
                uf_union(lab, (uint32_t)i, (uint32_t)(i - w));
        }
    for (size_t i = 0; i < n; i++)
        if (lab[i] != NONE)
            lab[i] = uf_find(lab, (uint32_t)i);
}

/* ------------------------------------------------------------------------ */
/* Candidate measurement                                                    */
/* ------------------------------------------------------------------------ */

typedef struct comp_stat {
    uint32_t x0, y0, x1, y1;
    uint32_t area;
} comp_stat;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef struct scratch {
    float *runs; /* per-line runs of the candidate being measured (3 per line) */
    size_t cap_runs;
    float *buf; /* ring values; edge steps (2 cap) */
    float *buf2;
    double *sig;                /* stripped sigma of the region's pixels (local box) */
    uint8_t *m;                 /* local masks */
    size_t *edge_in, *edge_out; /* the edge steps' pixels (2 cap each) */
    size_t cap, cap_edges;
} scratch;

static int scratch_fit(scratch *s, size_t n)
{
    if (n <= s->cap)
        return 1;
    free(s->buf);
    free(s->buf2);
    free(s->sig);
    free(s->m);
    free(s->edge_in);
    free(s->edge_out);
    s->buf = lc__mallocn(n, 2 * sizeof(float));
    s->buf2 = lc__mallocn(n, sizeof(float));
    s->sig = lc__mallocn(n, sizeof(double));
    s->m = lc__mallocn(n, 2);
    s->edge_in = lc__mallocn(n, 2 * sizeof(size_t));
    s->edge_out = lc__mallocn(n, 2 * sizeof(size_t));
    s->cap = (s->buf && s->buf2 && s->sig && s->m && s->edge_in && s->edge_out) ? n : 0;
    s->cap_edges = 2 * s->cap;
    return s->cap != 0;
}

#define RING_IN  2 /* ring starts this many pixels outside the region */
#define RING_OUT 7 /* ... and ends here */

#define PROF_BINS 96

/* The stripped sigma of a region's pixels in measure()'s local box, which
 * starts at (x0, y0) and is w pixels wide. */
typedef struct local_sig {
    const double *sig;
    uint32_t x0, y0, w;
} local_sig;

/* A region's centroid (mm), the unit vector of its minor principal axis and
 * the variance of its pixels along that axis (mm^2). */
typedef struct moments {
    double mx, my, ex, ey, l2;
} moments;

/* The profile of a region across its principal axis: the mean stripped
 * areal density in strips one pixel wide parallel to the axis, and the
 * depth of its deepest dip between two higher parts, over its maximum. A
 * blade or a solid bar is a plateau or a single hump (~0); parallel rods (an
 * umbrella's ribs round its shaft), a hollow case seen through its walls or
 * two objects side by side dip between their parts. -1 when the region is
 * too narrow (under 5 strips) or too faint to tell. ls: the region's
 * stripped sigma, mo: its centroid and minor axis (measure() has both). */
static double profile_valley(const view_img *v, const uint32_t *lab, uint32_t root,
                             const comp_stat *st, double px_mm, double line_mm, const local_sig *ls,
                             const moments *mo)
{
    double mx = mo->mx, my = mo->my, ex = mo->ex, ey = mo->ey, l2 = mo->l2;
    /* a strip as wide as a pixel is long across it */
    double bin = fabs(ex) * line_mm + fabs(ey) * px_mm;
    double half = sqrt(12 * l2) / 2 + 2 * bin;
    if (2 * half / bin + 1 > PROF_BINS)
        bin = 2 * half / (PROF_BINS - 1);
    int nb = (int)(2 * half / bin) + 1;
    double sum[PROF_BINS] = {0}, cnt[PROF_BINS] = {0};
    for (uint32_t y = st->y0; y < st->y1; y++)
        for (uint32_t x = st->x0; x < st->x1; x++) {
            size_t gi = (size_t)y * v->w + x;
            if (lab[gi] != root)
                continue;
            double t = (x * line_mm - mx) * ex + (y * px_mm - my) * ey;
            int b = (int)floor((t + half) / bin);
            if (b < 0 || b >= nb)
                continue;
            sum[b] += ls->sig[(size_t)(y - ls->y0) * ls->w + (x - ls->x0)];
            cnt[b]++;
        }
    double cmax = 0;
    for (int b = 0; b < nb; b++)
        cmax = fmax(cmax, cnt[b]);
    double p[PROF_BINS];
    int np = 0;
    for (int b = 0; b < nb; b++)
        if (cnt[b] >= 0.25 * cmax && cnt[b] > 0)
            p[np++] = sum[b] / cnt[b];
    if (np < 5)
        return -1;
    double q[PROF_BINS], m = 0;
    for (int i = 0; i < np; i++) {
        double a = p[i > 0 ? i - 1 : i], c = p[i + 1 < np ? i + 1 : i];
        q[i] = 0.25 * a + 0.5 * p[i] + 0.25 * c;
        m = fmax(m, q[i]);
    }
    if (!(m > 0.1))
        return -1;
    /* the deepest dip: at i, the lower of the highest values on either side
     * minus the value at i (how much water the profile would hold there) */
    double left[PROF_BINS], right, dip = 0;
    left[0] = q[0];
    for (int i = 1; i < np; i++)
        left[i] = fmax(left[i - 1], q[i]);
    right = q[np - 1];
    for (int i = np - 1; i >= 0; i--) {
        right = fmax(right, q[i]);
        dip = fmax(dip, fmin(left[i], right) - q[i]);
    }
    return dip / m;
}

/* Zeff from the region's edges: at every place a line or a row enters or
 * leaves the region, the pixel EDGE_IN inside (in the core) against the
 * pixel EDGE_OUT outside (in the ring, beyond the blur). What lies over and
 * under the object there is on both sides of the step, so each step is the
 * object's own attenuation on a local background, whatever the clutter does
 * elsewhere (an object on a tray, a book or a fold of clothing a little
 * larger than itself, which the ring's background misses). */
#define EDGE_IN  3
#define EDGE_OUT 3
typedef struct edge_ctx {
    const view_img *v;
    int64_t bx0, by0;
    uint32_t lw, lh;
    const uint8_t *d, *core;
} edge_ctx;

/* The image index of the pixel at index li of the local box. */
static size_t edge_global(const edge_ctx *e, size_t li)
{
    return (size_t)(e->by0 + (int64_t)(li / e->lw)) * e->v->w +
           (size_t)(e->bx0 + (int64_t)(li % e->lw));
}

/* The steps of the region: global indices of the inside and outside pixels
 * in in[] and out[] (at most cap), and how many there are. */
static size_t edge_steps(const edge_ctx *e, size_t *in, size_t *out, size_t cap)
{
    size_t n = 0;
    for (int axis = 0; axis < 2; axis++) { /* 0: along y in each line x; 1: along x */
        uint32_t na = axis ? e->lh : e->lw, nb = axis ? e->lw : e->lh;
        for (uint32_t a = 0; a < na; a++)
            for (uint32_t b = 1; b < nb; b++) {
                size_t lp = axis ? (size_t)a * e->lw + (b - 1) : (size_t)(b - 1) * e->lw + a;
                size_t lq = axis ? lp + 1 : lp + e->lw;
                int pin = e->d[lp] == 0, qin = e->d[lq] == 0;
                if (pin == qin)
                    continue;
                /* entering at b: inside b + EDGE_IN - 1, outside b - EDGE_OUT;
                 * leaving: inside b - EDGE_IN, outside b + EDGE_OUT - 1 */
                int64_t bi = qin ? (int64_t)b + EDGE_IN - 1 : (int64_t)b - EDGE_IN;
                int64_t bo = qin ? (int64_t)b - EDGE_OUT : (int64_t)b + EDGE_OUT - 1;
                if (bi < 0 || bi >= nb || bo < 0 || bo >= nb)
                    continue;
                size_t li = axis ? (size_t)a * e->lw + (size_t)bi : (size_t)bi * e->lw + a;
                size_t lo = axis ? (size_t)a * e->lw + (size_t)bo : (size_t)bo * e->lw + a;
                if (!e->core[li] || e->d[lo] < RING_IN || e->d[lo] > RING_OUT)
                    continue;
                size_t gi = edge_global(e, li), go = edge_global(e, lo);
                if (e->v->imp[gi] || e->v->imp[go] || n >= cap)
                    continue;
                in[n] = gi, out[n] = go;
                n++;
            }
    }
    return n;
}

/* The edge Zeff: the steps near the median step (0.6-1.6 times it: not a
 * neighbour just outside, nor a thin corner) averaged, and stripped. NaN
 * with fewer than 8 steps. */
static double edge_zeff(const lc_mattable *t, const sigma_inv *inv, const edge_ctx *e, scratch *sc)
{
    size_t cap = sc->cap_edges;
    size_t n = edge_steps(e, sc->edge_in, sc->edge_out, cap);
    if (n < 8)
        return NAN;
    const float *hs = e->v->hs, *ls = e->v->ls;
    for (size_t k = 0; k < n; k++)
        sc->buf[k] = hs[sc->edge_in[k]] - hs[sc->edge_out[k]];
    qsort(sc->buf, n, sizeof(float), cmp_float);
    double med = sc->buf[n / 2];
    if (!(med > 0.01))
        return NAN;
    double sih = 0, sil = 0, soh = 0, sol = 0;
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        size_t gi = sc->edge_in[j], go = sc->edge_out[j];
        double step = hs[gi] - hs[go];
        if (step < 0.6 * med || step > 1.6 * med)
            continue;
        sih += hs[gi], sil += ls[gi], soh += hs[go], sol += ls[go];
        k++;
    }
    if (k < 8)
        return NAN;
    return stripped_zeff(t, inv, sih / k, sil / k, soh / k, sol / k);
}

/* Measures component `root` (pixels with lab == root inside st's box). */
static int measure(const lc_mattable *t, const sigma_inv *inv, const view_img *v,
                   const uint32_t *lab, uint32_t root, const comp_stat *st, double level,
                   double px_mm, double line_mm, const float *const bg_img[2], scratch *sc,
                   lc__atr_cand *c)
{
    memset(c, 0, sizeof *c);
    int64_t bx0 = (int64_t)st->x0 - RING_OUT, by0 = (int64_t)st->y0 - RING_OUT;
    int64_t bx1 = (int64_t)st->x1 + RING_OUT, by1 = (int64_t)st->y1 + RING_OUT;
    if (bx0 < 0)
        bx0 = 0;
    if (by0 < 0)
        by0 = 0;
    if (bx1 > v->w)
        bx1 = v->w;
    if (by1 > v->h)
        by1 = v->h;
    uint32_t lw = (uint32_t)(bx1 - bx0), lh = (uint32_t)(by1 - by0);
    size_t ln = (size_t)lw * lh;
    if (!scratch_fit(sc, ln))
        return -1;
    size_t nl = (size_t)(st->x1 - st->x0);
    if (nl * 3 > sc->cap_runs) {
        float *r = realloc(sc->runs, nl * 3 * sizeof *r);
        if (!r)
            return -1;
        sc->runs = r;
        sc->cap_runs = nl * 3;
    }
    for (size_t k = 0; k < nl; k++) {
        sc->runs[3 * k] = -1;
        sc->runs[3 * k + 1] = -1;
        sc->runs[3 * k + 2] = 0;
    }
    /* distance (chessboard) from the region, capped at RING_OUT + 1, in m[] */
    uint8_t *d = sc->m;
    for (uint32_t y = 0; y < lh; y++)
        for (uint32_t x = 0; x < lw; x++) {
            size_t gi = (size_t)(by0 + y) * v->w + (size_t)(bx0 + x);
            d[(size_t)y * lw + x] = lab[gi] == root ? 0 : RING_OUT + 1;
        }
    for (int pass = 0; pass < RING_OUT; pass++)
        for (uint32_t y = 0; y < lh; y++)
            for (uint32_t x = 0; x < lw; x++) {
                uint8_t *p = &d[(size_t)y * lw + x];
                if (*p != RING_OUT + 1)
                    continue;
                uint8_t best = RING_OUT + 1;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int64_t xx = (int64_t)x + dx, yy = (int64_t)y + dy;
                        if (xx < 0 || yy < 0 || xx >= lw || yy >= lh)
                            continue;
                        uint8_t q = d[(size_t)yy * lw + xx];
                        if (q == pass && q + 1 < best)
                            best = (uint8_t)(q + 1);
                    }
                *p = best;
            }
    /* interior distance: is the pixel at least 2 from the region's edge? */
    uint8_t *core = sc->m + ln;
    size_t ncore = 0;
    for (uint32_t y = 0; y < lh; y++)
        for (uint32_t x = 0; x < lw; x++) {
            size_t li = (size_t)y * lw + x;
            core[li] = 0;
            if (d[li] != 0)
                continue;
            int ok = 1;
            for (int dy = -2; dy <= 2 && ok; dy++)
                for (int dx = -2; dx <= 2 && ok; dx++) {
                    int64_t xx = (int64_t)x + dx, yy = (int64_t)y + dy;
                    if (xx < 0 || yy < 0 || xx >= lw || yy >= lh || d[(size_t)yy * lw + xx] != 0)
                        ok = 0;
                }
            core[li] = (uint8_t)ok;
            ncore += (size_t)ok;
        }
    int use_core = ncore >= 12;
    /* ring values */
    size_t nr = 0;
    for (size_t li = 0; li < ln; li++)
        if (d[li] >= RING_IN && d[li] <= RING_OUT) {
            uint32_t y = (uint32_t)(li / lw), x = (uint32_t)(li % lw);
            size_t gi = (size_t)(by0 + y) * v->w + (size_t)(bx0 + x);
            sc->buf[nr] = v->hs[gi];
            sc->buf2[nr] = v->ls[gi];
            nr++;
        }
    double bgh = 0, bgl = 0, spread = 0.02;
    if (nr > 0) {
        /* the lower-middle of the ring: what lies over and under the object,
         * without the neighbours that stand on the same clutter */
        qsort(sc->buf, nr, sizeof(float), cmp_float);
        qsort(sc->buf2, nr, sizeof(float), cmp_float);
        size_t q = nr * 35 / 100;
        bgh = sc->buf[q];
        bgl = sc->buf2[q];
        double s = sc->buf[nr * 75 / 100] - sc->buf[nr * 10 / 100];
        if (s > spread)
            spread = s;
    }
    if (bg_img) {
        /* a pixel-wise background (the opening of excess_candidates): its
         * mean under the region */
        double sh = 0, sl = 0, nb = 0;
        for (uint32_t y = 0; y < lh; y++)
            for (uint32_t x = 0; x < lw; x++) {
                if (d[(size_t)y * lw + x] != 0)
                    continue;
                size_t gi = (size_t)(by0 + y) * v->w + (size_t)(bx0 + x);
                sh += bg_img[0][gi];
                sl += bg_img[1][gi];
                nb++;
            }
        if (nb > 0) {
            bgh = sh / nb;
            bgl = sl / nb;
        }
    }
    /* region statistics */
    double sum_h = 0, sum_l = 0, sum_h2 = 0, n_in = 0, n_imp = 0, mass_sig = 0, sw = 0, gw = 0;
    double rim_h = 0, rim_l = 0, n_rim = 0;
    double mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0, n_all = 0;
    double sig_bg = sigma_of(inv, bgh);
    for (uint32_t y = 0; y < lh; y++)
        for (uint32_t x = 0; x < lw; x++) {
            size_t li = (size_t)y * lw + x;
            if (d[li] != 0)
                continue;
            size_t gi = (size_t)(by0 + y) * v->w + (size_t)(bx0 + x);
            double X = (double)(bx0 + x) * line_mm, Y = (double)(by0 + y) * px_mm;
            n_all++;
            mx += X, my += Y, mxx += X * X, myy += Y * Y, mxy += X * Y;
            if (v->imp[gi])
                n_imp++;
            double s = sigma_of(inv, v->hs[gi]) - sig_bg;
            sc->sig[li] = s;
            mass_sig += s > 0 ? s : 0;
            if (v->wr) {
                sw += (s > 0 ? s : 0) * v->wr[by0 + y];
                gw += v->wr[by0 + y];
            }
            if (use_core && !core[li]) {
                rim_h += v->hs[gi];
                rim_l += v->ls[gi];
                n_rim++;
                continue;
            }
            sum_h += v->hs[gi];
            sum_l += v->ls[gi];
            sum_h2 += (double)v->hs[gi] * v->hs[gi];
            n_in++;
        }
    if (n_all < 1 || n_in < 1)
        return 0;
    c->bbox[0] = st->x0, c->bbox[1] = st->y0, c->bbox[2] = st->x1, c->bbox[3] = st->y1;
    c->level = level;
    c->area_px = n_all;
    c->area_mm2 = n_all * px_mm * line_mm;
    mx /= n_all, my /= n_all;
    double cxx = mxx / n_all - mx * mx, cyy = myy / n_all - my * my, cxy = mxy / n_all - mx * my;
    double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
    double disc = sqrt(fmax(tr * tr / 4 - det, 0));
    double l1 = tr / 2 + disc, l2 = fmax(tr / 2 - disc, 0);
    c->length_mm = sqrt(12 * l1);
    c->width_mm = sqrt(12 * l2);
    if (c->width_mm < px_mm)
        c->width_mm = px_mm;
    c->fill = c->area_mm2 / (c->length_mm * c->width_mm);
    c->imp_frac = n_imp / n_all;
    c->a_h = sum_h / n_in;
    c->a_l = sum_l / n_in;
    c->bg_h = bgh;
    c->bg_l = bgl;
    c->d_h = c->a_h - bgh;
    c->d_l = c->a_l - bgl;
    c->zeff = stripped_zeff(t, inv, c->a_h, c->a_l, bgh, bgl);
    c->zeff_raw = lc_mattable_zeff(t, c->a_h, c->a_l);
    if (use_core) {
        const edge_ctx e = {v, bx0, by0, lw, lh, d, core};
        c->zeff_edge = edge_zeff(t, inv, &e, sc);
    } else {
        c->zeff_edge = NAN;
    }
    /* the rim's own Zeff: a container's walls seen edge-on (a glass jar
     * around honey) read higher than its contents; a solid charge does not */
    c->zeff_rim = n_rim >= 8 ? stripped_zeff(t, inv, rim_h / n_rim, rim_l / n_rim, bgh, bgl) : NAN;
    double var = sum_h2 / n_in - c->a_h * c->a_h;
    c->cv = c->d_h > 0.01 ? sqrt(fmax(var, 0)) / c->d_h : 10;
    c->contrast = c->d_h / spread;
    c->sigma = sigma_of(inv, c->a_h) - sig_bg;
    c->mass_g = mass_sig * px_mm * line_mm / 100.0;
    c->sw = sw;
    c->gw = gw;
    /* per-line runs for the two-view density: the extent is where the
     * object reaches half its core areal density (the half-maximum width of
     * a blurred edge, and not the clutter the region leans on at a low
     * threshold); the mass counts every pixel */
    for (uint32_t y = 0; v->wr && y < lh; y++)
        for (uint32_t x = 0; x < lw; x++) {
            if (d[(size_t)y * lw + x] != 0)
                continue;
            double s = sc->sig[(size_t)y * lw + x];
            float *run = &sc->runs[3 * (size_t)(bx0 + x - st->x0)];
            run[2] += (float)((s > 0 ? s : 0) * v->wr[by0 + y]);
            if (!(s >= 0.5 * c->sigma))
                continue;
            float py = (float)(by0 + y);
            if (run[0] < 0 || py < run[0])
                run[0] = py;
            if (py > run[1])
                run[1] = py;
        }
    /* the principal axes from the angle of the long one, which stays well
     * conditioned when cxy is only rounding noise (an upright box), unlike
     * an eigenvector (cxy, l - cxx) */
    double th = 0.5 * atan2(2 * cxy, cxx - cyy);
    c->axis[0] = mx, c->axis[1] = my, c->axis[2] = cos(th), c->axis[3] = sin(th);
    const moments mo = {mx, my, -sin(th), cos(th), l2};
    const local_sig ls = {sc->sig, (uint32_t)bx0, (uint32_t)by0, lw};
    c->valley = profile_valley(v, lab, root, st, px_mm, line_mm, &ls, &mo);
    c->handle = -1;
    c->handle_lo = -1;
    c->imp_other_mm2 = -1;
    c->pair = -1;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Candidates of one view                                                   */
/* ------------------------------------------------------------------------ */

static lc_status push(lc__atr_cands *cs, const lc__atr_cand *c, const float *runs, lc_error *err)
{
    size_t nr = 3 * (size_t)(c->bbox[2] - c->bbox[0]);
    if (runs) {
        if (cs->n_runs + nr > cs->cap_runs) {
            size_t cap = cs->cap_runs ? cs->cap_runs * 2 : 4096;
            while (cap < cs->n_runs + nr)
                cap *= 2;
            float *p = realloc(cs->runs, cap * sizeof *p);
            if (!p)
                return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
            cs->runs = p;
            cs->cap_runs = cap;
        }
        memcpy(cs->runs + cs->n_runs, runs, nr * sizeof *runs);
    }
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 256;
        lc__atr_cand *p = realloc(cs->c, cap * sizeof *p);
        if (!p)
            return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
        cs->c = p;
        cs->cap = cap;
    }
    cs->c[cs->n] = *c;
    cs->c[cs->n].run_off = runs ? cs->n_runs : (size_t)-1;
    if (runs)
        cs->n_runs += nr;
    cs->n++;
    return LC_OK;
}

#define MIN_AREA_PX 30
#define N_LEVELS    34

/* Box and area of every component of lab (at its root's index). */
static void comp_stats(const uint32_t *lab, uint32_t w, uint32_t h, comp_stat *stat)
{
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++)
        if (lab[i] == i) {
            stat[i].x0 = stat[i].x1 = (uint32_t)(i % w);
            stat[i].y0 = stat[i].y1 = (uint32_t)(i / w);
            stat[i].area = 0;
        }
    for (size_t i = 0; i < n; i++) {
        uint32_t r = lab[i];
        if (r == NONE)
            continue;
        uint32_t x = (uint32_t)(i % w), y = (uint32_t)(i / w);
        comp_stat *s = &stat[r];
        if (x < s->x0)
            s->x0 = x;
        if (x + 1 > s->x1)
            s->x1 = x + 1;
        if (y < s->y0)
            s->y0 = y;
        if (y + 1 > s->y1)
            s->y1 = y + 1;
        s->area++;
    }
}

/* The statistics of the component rooted at pixel i when it is a candidate's
 * size (MIN_AREA_PX up to 35 % of the n pixels of the view), else NULL. */
static const comp_stat *candidate_comp(const uint32_t *lab, const comp_stat *stat, size_t i,
                                       size_t n)
{
    if (lab[i] != i)
        return NULL;
    const comp_stat *s = &stat[i];
    return s->area < MIN_AREA_PX || s->area > 0.35 * (double)n ? NULL : s;
}

/* Running minimum (is_max = 0) or maximum of the n values in[0..n-1] over
 * the window of radius r centred on each, written to out[0], out[stride],
 * ...; outside the line counts as absent. van Herk / Gil-Werman: three
 * comparisons per value whatever r. ext, g, hb: room for n + 2r values. */
static void run_minmax(const float *in, float *out, size_t n, size_t stride, size_t r, int is_max,
                       float *ext, float *g, float *hb)
{
    size_t k = 2 * r + 1, m = n + 2 * r;
    float pad = is_max ? -INFINITY : INFINITY;
    for (size_t i = 0; i < m; i++)
        ext[i] = i < r || i >= r + n ? pad : in[i - r];
    for (size_t b = 0; b < m; b += k) {
        size_t e = b + k < m ? b + k : m;
        g[b] = ext[b];
        for (size_t i = b + 1; i < e; i++)
            g[i] = is_max ? fmaxf(g[i - 1], ext[i]) : fminf(g[i - 1], ext[i]);
        hb[e - 1] = ext[e - 1];
        for (size_t i = e - 1; i > b; i--)
            hb[i - 1] = is_max ? fmaxf(hb[i], ext[i - 1]) : fminf(hb[i], ext[i - 1]);
    }
    for (size_t i = 0; i < n; i++) {
        float a = hb[i], b = g[i + 2 * r];
        out[i * stride] = is_max ? fmaxf(a, b) : fminf(a, b);
    }
}

/* Grey-scale opening of a w x h plane (in place) by a rectangle of radius
 * rx along x and ry along y: the plane with every structure narrower than
 * the rectangle removed, i.e. the smooth background under thin objects. */
static int opening(float *p, uint32_t w, uint32_t h, size_t rx, size_t ry)
{
    size_t m = (w > h ? w : h) + 2 * (rx > ry ? rx : ry);
    float *buf = lc__mallocn(4 * m, sizeof *buf);
    if (!buf)
        return -1;
    float *ext = buf, *g = buf + m, *hb = buf + 2 * m, *line = buf + 3 * m;
    for (int is_max = 0; is_max <= 1; is_max++) {
        for (uint32_t y = 0; y < h; y++) {
            float *row = p + (size_t)y * w;
            memcpy(line, row, w * sizeof *line);
            run_minmax(line, row, w, 1, rx, is_max, ext, g, hb);
        }
        for (uint32_t x = 0; x < w; x++) {
            for (uint32_t y = 0; y < h; y++)
                line[y] = p[(size_t)y * w + x];
            run_minmax(line, p + x, h, w, ry, is_max, ext, g, hb);
        }
    }
    free(buf);
    return 0;
}

/* Measures component `root` as a candidate of `view` and adds it to cs; a
 * region measure() rejects is skipped. */
static lc_status add_candidate(const lc_mattable *t, const sigma_inv *inv, const view_img *v,
                               uint32_t view, const uint32_t *lab, uint32_t root,
                               const comp_stat *s, double level, double px_mm, double line_mm,
                               const float *const bg[2], scratch *sc, lc__atr_cands *cs,
                               lc_error *err)
{
    lc__atr_cand c;
    int r = measure(t, inv, v, lab, root, s, level, px_mm, line_mm, bg, sc, &c);
    if (r < 0)
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    if (r == 0)
        return LC_OK;
    c.view = view;
    return push(cs, &c, v->wr ? sc->runs : NULL, err);
}

/* Whether component s is one of candidates [from, to) again: the same box
 * within a pixel and nearly the same area. */
static int is_dup(const lc__atr_cands *cs, size_t from, size_t to, const comp_stat *s)
{
    for (size_t j = from; j < to; j++) {
        const lc__atr_cand *p = &cs->c[j];
        if (abs((int)p->bbox[0] - (int)s->x0) <= 1 && abs((int)p->bbox[1] - (int)s->y0) <= 1 &&
            abs((int)p->bbox[2] - (int)s->x1) <= 1 && abs((int)p->bbox[3] - (int)s->y1) <= 1 &&
            s->area > 0.93 * p->area_px)
            return 1;
    }
    return 0;
}

/* Metal-excess candidates: a steel blade over clothing or beside its handle
 * merges, at every A_H threshold, with what has a similar total attenuation,
 * and the merged region reads organic. Here the background of every pixel
 * is bg, the opening of A_H and of A_L by a rectangle wider than a blade
 * (EXC_WIN_MM, view_candidates); the pixels whose excess over it is thick (EXC_SIGMA
 * water-equivalent) and reads as metal after the same stripping as a
 * candidate's (EXC_ZEFF), or are impenetrable, form the candidates, measured
 * against that background. They carry level 0 (the tree's levels start at
 * 0.06). A component that repeats one of the candidates from dup_from on
 * (is_dup) is skipped; dup_from = cs->n skips none. */
#define EXC_WIN_MM  32.0
#define EXC_WIN2_MM 56.0 /* the second, wider window (view_candidates) */
#define EXC_SIGMA   1.5
#define EXC_ZEFF    15.0

static lc_status excess_candidates(const lc_mattable *t, const sigma_inv *inv, const view_img *v,
                                   uint32_t view, double px_mm, double line_mm,
                                   const float *const bg[2], uint8_t *mask, uint32_t *lab,
                                   comp_stat *stat, size_t dup_from, scratch *sc, lc__atr_cands *cs,
                                   lc_error *err)
{
    size_t n = (size_t)v->w * v->h;
    const float *bh = bg[0], *bl = bg[1];
    lc_status st = LC_OK;
    /* water of EXC_SIGMA adds at least this much A_H on any background of
     * the table (the slope falls with hardening): a cheap first test */
    double dh_min = 0.9 * EXC_SIGMA * (inv->a[SIG_N - 1] - inv->a[SIG_N - 2]) / SIG_STEP;
    for (size_t i = 0; i < n; i++) {
        mask[i] = 0;
        if (v->imp[i]) {
            /* impenetrable: metal, unless wider than the window (then the
             * tree's impenetrable level has it) */
            mask[i] = bh[i] < 0.98f * v->hs[i];
            continue;
        }
        if (!(v->hs[i] - bh[i] > dh_min))
            continue;
        if (!(sigma_of(inv, v->hs[i]) - sigma_of(inv, bh[i]) >= EXC_SIGMA))
            continue;
        double z = stripped_zeff(t, inv, v->hs[i], v->ls[i], bh[i], bl[i]);
        mask[i] = isfinite(z) && z >= EXC_ZEFF;
    }
    label(mask, v->w, v->h, lab);
    comp_stats(lab, v->w, v->h, stat);
    size_t dup_to = cs->n;
    for (size_t i = 0; i < n && st == LC_OK; i++) {
        const comp_stat *s = candidate_comp(lab, stat, i, n);
        if (!s || is_dup(cs, dup_from, dup_to, s))
            continue;
        st = add_candidate(t, inv, v, view, lab, (uint32_t)i, s, 0.0, px_mm, line_mm, bg, sc, cs,
                           err);
    }
    return st;
}

/* The handle cues (lc__atr_cand.handle, handle_lo): what goes on along an
 * elongated metal candidate's long axis beyond its ends. A knife's blade goes
 * on at one end into its handle or tang; a bare blade, a ruler or a coin
 * stops at both; a battery inside a laptop seen edge-on, or a rib inside an
 * umbrella, is continued at both by the longer object around it. Beyond each
 * end the excess over the opening background (view_candidates: wider objects
 * are the background) is sampled every HANDLE_STEP for HANDLE_LEN, on the
 * axis (within HANDLE_HALF) and on either flank (HANDLE_FLANK0..1 off it). A
 * step counts when the axis stands out by HANDLE_SIGMA water-equivalent (a
 * plastic or wooden handle: 1.3..2.2 g/cm2) both from the background and
 * from either flank: something as narrow as a handle goes on along the axis,
 * not clutter lying across it. An end's cue is the fraction of its steps
 * that count (steps off the image do not). */
#define HANDLE_GAP    3.0 /* mm past the end: the blurred edge is the candidate's */
#define HANDLE_STEP   2.0 /* mm */
#define HANDLE_N      31  /* steps: HANDLE_LEN = 60 mm */
#define HANDLE_HALF   5.0 /* mm */
#define HANDLE_FLANK0 18.0
#define HANDLE_FLANK1 26.0
#define HANDLE_SIGMA  0.5 /* g/cm2 */

/* One end of a candidate, looking away from it along its axis. */
typedef struct handle_probe {
    const sigma_inv *inv;
    const view_img *v;
    const float *bh; /* the opening background of A_H */
    double o[2];     /* the candidate's centroid, mm */
    double e[2];     /* unit vector along the axis, towards the end */
    double px_mm, line_mm;
} handle_probe;

/* Mean excess sigma over u in [u0, u1] (mm across the axis, in steps of
 * HANDLE_STEP) at t along it; NaN when off the image. */
static double handle_mean(const handle_probe *p, double t, double u0, double u1)
{
    const view_img *v = p->v;
    int nu = (int)lround((u1 - u0) / HANDLE_STEP) + 1;
    double s = 0;
    for (int k = 0; k < nu; k++) {
        double u = u0 + k * HANDLE_STEP;
        double X = p->o[0] + t * p->e[0] - u * p->e[1], Y = p->o[1] + t * p->e[1] + u * p->e[0];
        long x = lround(X / p->line_mm), y = lround(Y / p->px_mm);
        if (x < 0 || y < 0 || x >= (long)v->w || y >= (long)v->h)
            return NAN;
        size_t gi = (size_t)y * v->w + (size_t)x;
        s += v->imp[gi] ? 10.0 : sigma_of(p->inv, v->hs[gi]) - sigma_of(p->inv, p->bh[gi]);
    }
    return s / nu;
}

/* The cue of the end of c in direction sign (+1 or -1 along its axis). */
static double handle_end(const sigma_inv *inv, const view_img *v, const float *bh,
                         const lc__atr_cand *c, double sign, double px_mm, double line_mm)
{
    const handle_probe p = {
        inv,   v,      bh, {c->axis[0], c->axis[1]}, {sign * c->axis[2], sign * c->axis[3]},
        px_mm, line_mm};
    int hit = 0;
    for (int k = 0; k < HANDLE_N; k++) {
        double t = 0.5 * c->length_mm + HANDLE_GAP + k * HANDLE_STEP;
        double on = handle_mean(&p, t, -HANDLE_HALF, HANDLE_HALF);
        double f1 = handle_mean(&p, t, HANDLE_FLANK0, HANDLE_FLANK1);
        double f2 = handle_mean(&p, t, -HANDLE_FLANK1, -HANDLE_FLANK0);
        if (isfinite(on) && isfinite(f1) && isfinite(f2))
            hit += on >= HANDLE_SIGMA && on - fmax(f1, f2) >= HANDLE_SIGMA;
    }
    return (double)hit / HANDLE_N;
}

static void handle_cues(const sigma_inv *inv, const view_img *v, const float *bh, double px_mm,
                        double line_mm, lc__atr_cands *cs, size_t first)
{
    for (size_t i = first; i < cs->n; i++) {
        lc__atr_cand *c = &cs->c[i];
        int metal = c->imp_frac > 0.3 || (isfinite(c->zeff) && c->zeff >= EXC_ZEFF);
        if (!metal || c->length_mm < 40 || c->length_mm < 2.5 * c->width_mm)
            continue;
        double h1 = handle_end(inv, v, bh, c, 1, px_mm, line_mm);
        double h2 = handle_end(inv, v, bh, c, -1, px_mm, line_mm);
        c->handle = fmax(h1, h2);
        c->handle_lo = fmin(h1, h2);
    }
}

/* bh, bl = the opening of the view's A_H and A_L by a win_mm square. */
static int open_bg(const view_img *v, double win_mm, double px_mm, double line_mm, float *bh,
                   float *bl)
{
    size_t n = (size_t)v->w * v->h;
    memcpy(bh, v->hs, n * sizeof *bh);
    memcpy(bl, v->ls, n * sizeof *bl);
    size_t rx = (size_t)lround(0.5 * win_mm / line_mm), ry = (size_t)lround(0.5 * win_mm / px_mm);
    return opening(bh, v->w, v->h, rx, ry) != 0 || opening(bl, v->w, v->h, rx, ry) != 0 ? -1 : 0;
}

static lc_status view_candidates(const lc_mattable *t, const sigma_inv *inv, const view_img *v,
                                 uint32_t view, double px_mm, double line_mm, double a_max,
                                 lc__atr_cands *cs, lc_error *err)
{
    size_t n = (size_t)v->w * v->h;
    uint8_t *mask = lc__mallocn(n, 1);
    uint32_t *lab = lc__mallocn(n, sizeof *lab);
    comp_stat *stat = lc__mallocn(n, sizeof *stat);
    float *bh = lc__mallocn(n, sizeof *bh), *bl = lc__mallocn(n, sizeof *bl);
    float *bh2 = lc__mallocn(n, sizeof *bh2), *bl2 = lc__mallocn(n, sizeof *bl2);
    scratch sc = {0};
    lc_status st = LC_OK;
    if (!mask || !lab || !stat || !bh || !bl || !bh2 || !bl2) {
        st = lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
        goto done;
    }
    /* the background under thin objects: the opening of A_H and A_L by a
     * rectangle wider than a blade (EXC_WIN_MM) */
    if (open_bg(v, EXC_WIN_MM, px_mm, line_mm, bh, bl) != 0) {
        st = lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
        goto done;
    }
    size_t first_view = cs->n, first_prev = cs->n, first_cur = cs->n;
    for (int k = 0; k <= N_LEVELS && st == LC_OK; k++) {
        /* levels 0.06 .. ~8 geometric, then the impenetrable mask itself */
        int imp_level = k == N_LEVELS;
        double level = imp_level ? a_max : 0.06 * pow(1.155, k);
        if (!imp_level && level >= a_max * 0.98)
            continue;
        for (size_t i = 0; i < n; i++)
            mask[i] = imp_level ? v->imp[i] : v->hs[i] >= level;
        label(mask, v->w, v->h, lab);
        comp_stats(lab, v->w, v->h, stat);
        first_prev = first_cur;
        first_cur = cs->n;
        for (size_t i = 0; i < n && st == LC_OK; i++) {
            const comp_stat *s = candidate_comp(lab, stat, i, n);
            if (!s)
                continue;
            /* the same region as at the level below (stable): keep one */
            if (is_dup(cs, first_prev, first_cur, s))
                continue;
            st = add_candidate(t, inv, v, view, lab, (uint32_t)i, s, level, px_mm, line_mm, NULL,
                               &sc, cs, err);
        }
    }
    const float *bg[2] = {bh, bl};
    size_t first_exc = cs->n;
    if (st == LC_OK) /* (the tree's candidates are not compared with) */
        st = excess_candidates(t, inv, v, view, px_mm, line_mm, bg, mask, lab, stat, cs->n, &sc, cs,
                               err);
    /* ... and again over a wider window, for blades broader than the first
     * (a chef's knife is up to about 50 mm at the heel): candidates the
     * first window gave already are not measured twice */
    if (st == LC_OK && open_bg(v, EXC_WIN2_MM, px_mm, line_mm, bh2, bl2) != 0)
        st = lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    const float *bg2[2] = {bh2, bl2};
    if (st == LC_OK)
        st = excess_candidates(t, inv, v, view, px_mm, line_mm, bg2, mask, lab, stat, first_exc,
                               &sc, cs, err);
    if (st == LC_OK)
        handle_cues(inv, v, bh, px_mm, line_mm, cs, first_view);
done:
    free(bh);
    free(bl);
    free(bh2);
    free(bl2);
    free(sc.runs);
    free(sc.buf);
    free(sc.buf2);
    free(sc.sig);
    free(sc.m);
    free(sc.edge_in);
    free(sc.edge_out);
    free(mask);
    free(lab);
    free(stat);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Pairing, scoring, suppression                                            */
/* ------------------------------------------------------------------------ */

static double x_overlap(const lc__atr_cand *a, const lc__atr_cand *b)
{
    double lo = fmax(a->bbox[0], b->bbox[0]), hi = fmin(a->bbox[2], b->bbox[2]);
    double u = fmax(a->bbox[2], b->bbox[2]) - fmin(a->bbox[0], b->bbox[0]);
    return hi > lo && u > 0 ? (hi - lo) / u : 0;
}

/* For every candidate, the candidate of another view with the most similar
 * line range and stripped material (mass, Zeff), when the line ranges
 * overlap by at least 60 %. */
static void pair_views(lc__atr_cands *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        lc__atr_cand *a = &cs->c[i];
        double best = 0;
        for (size_t j = 0; j < cs->n; j++) {
            lc__atr_cand *b = &cs->c[j];
            if (b->view == a->view)
                continue;
            double ov = x_overlap(a, b);
            if (ov < 0.6)
                continue;
            double m = (a->mass_g > 0 && b->mass_g > 0)
                           ? fmin(a->mass_g, b->mass_g) / fmax(a->mass_g, b->mass_g)
                           : 0.1;
            double z =
                (isfinite(a->zeff) && isfinite(b->zeff)) ? exp(-fabs(a->zeff - b->zeff)) : 0.3;
            double q = ov * (0.3 + m) * z;
            if (q > best) {
                best = q;
                a->pair = (int32_t)j;
            }
        }
    }
}

/* With the fan geometry: a candidate and one of another view whose line
 * ranges overlap by at least 50 % and whose wedges cross inside the tunnel
 * are the same object seen twice when the masses computed at the crossing
 * (sigma x the pixel widths at that distance) agree; the best such pair by
 * line overlap, mass agreement and stripped Zeff agreement. The pair fixes
 * the object's position, so its mass and the path length of each view's
 * beam through it (the chord of the crossing along the ray) follow. */
static void pair_views_geom(lc__atr_cands *cs, const lc__atr_geom *geom, double line_mm)
{
    for (size_t i = 0; i < cs->n; i++) {
        lc__atr_cand *a = &cs->c[i];
        double best = 0;
        for (size_t j = 0; j < cs->n; j++) {
            lc__atr_cand *b = &cs->c[j];
            if (b->view == a->view || !geom[b->view].known)
                continue;
            double ov = x_overlap(a, b);
            if (ov < 0.5)
                continue;
            double p[POLY_MAX][2], cen[2];
            size_t n = pair_poly(geom, a, b, p);
            if (n < 3 || poly_area_centroid((const double(*)[2])p, n, cen) <= 0)
                continue;
            const double *sa = geom[a->view].src, *sb = geom[b->view].src;
            double ma = a->sw * hypot(cen[0] - sa[0], cen[1] - sa[1]);
            double mb = b->sw * hypot(cen[0] - sb[0], cen[1] - sb[1]);
            double m = (ma > 0 && mb > 0) ? fmin(ma, mb) / fmax(ma, mb) : 0.05;
            double z =
                (isfinite(a->zeff) && isfinite(b->zeff)) ? exp(-fabs(a->zeff - b->zeff)) : 0.3;
            double q = ov * ov * m * m * z;
            if (q > best) {
                best = q;
                a->pair = (int32_t)j;
                a->pos[0] = cen[0];
                a->pos[1] = cen[1];
                a->chord_mm = chord((const double(*)[2])p, n, sa, cen);
                a->mass_g = ma * line_mm / 100.0;
            }
        }
    }
}

static double box_iou_min(const uint32_t *a, const uint32_t *b)
{
    double ix = fmin(a[2], b[2]) - fmax(a[0], b[0]);
    double iy = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (ix <= 0 || iy <= 0)
        return 0;
    double aa = (double)(a[2] - a[0]) * (a[3] - a[1]), ab = (double)(b[2] - b[0]) * (b[3] - b[1]);
    return ix * iy / fmin(aa, ab);
}

typedef struct order {
    double score;
    size_t idx;
    int cls;
} order;

static int cmp_order(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    return x->cls - y->cls;
}

void lc__atr_cands_free(lc__atr_cands *cs)
{
    if (!cs)
        return;
    free(cs->c);
    free(cs->runs);
    memset(cs, 0, sizeof *cs);
}

/* A region can hide a threat only where every view is blocked: a hair
 * dryer's motor and heater can be impenetrable in the side view while the
 * top view sees through most of them. For every candidate, the impenetrable
 * area each other view has over the candidate's lines (wherever across the
 * belt: which pixels of one view lie behind which of another depends on the
 * depth), the least of them; views without pixel flags say nothing. */
static lc_status imp_other_views(const lc_atten *const *views, size_t n_views, double px_mm,
                                 double line_mm, lc__atr_cands *cs, lc_error *err)
{
    size_t total = 0;
    for (size_t v = 0; v < n_views; v++)
        total += (size_t)views[v]->width + 1;
    size_t *pre = lc__mallocn(total, sizeof *pre);
    size_t **at = lc__mallocn(n_views, sizeof *at);
    if (!pre || !at) {
        free(pre);
        free(at);
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    }
    /* per view, the impenetrable pixels of lines 0 .. x-1 */
    size_t off = 0;
    for (size_t v = 0; v < n_views; v++) {
        const lc_atten *a = views[v];
        at[v] = &pre[off];
        off += (size_t)a->width + 1;
        at[v][0] = 0;
        for (uint32_t x = 0; x < a->width; x++) {
            size_t n = 0;
            for (uint32_t y = 0; a->flags && y < a->height; y++)
                n += (a->flags[(size_t)y * a->width + x] & LC_PIX_IMPENETRABLE) != 0;
            at[v][x + 1] = at[v][x] + n;
        }
    }
    for (size_t i = 0; i < cs->n; i++) {
        lc__atr_cand *c = &cs->c[i];
        for (size_t v = 0; v < n_views; v++) {
            if (v == c->view || !views[v]->flags)
                continue;
            uint32_t w = views[v]->width;
            uint32_t x0 = c->bbox[0] < w ? c->bbox[0] : w, x1 = c->bbox[2] < w ? c->bbox[2] : w;
            double a = (double)(at[v][x1] - at[v][x0]) * px_mm * line_mm;
            if (c->imp_other_mm2 < 0 || a < c->imp_other_mm2)
                c->imp_other_mm2 = a;
        }
    }
    free(at);
    free(pre);
    return LC_OK;
}

/* Density of a paired object line by line: in every line both views see it,
 * their runs of pixels cut a cross-section out of the y-z plane (the
 * crossing of the two wedges); the views' masses in that line (sigma x the
 * pixel widths at the crossing's distance) over its area give the density.
 * Line by line because an object turned about the vertical (a bottle lying
 * diagonally) spans a wide range of pixels over its length but a narrow one
 * in each line. 0 when fewer than 3 lines are usable. */
static double pair_density_lines(const lc__atr_cands *cs, const lc__atr_geom *geom,
                                 const lc__atr_cand *a, const lc__atr_cand *b)
{
    if (a->run_off == (size_t)-1 || b->run_off == (size_t)-1)
        return 0;
    uint32_t x0 = a->bbox[0] > b->bbox[0] ? a->bbox[0] : b->bbox[0];
    uint32_t x1 = a->bbox[2] < b->bbox[2] ? a->bbox[2] : b->bbox[2];
    double m = 0, area = 0;
    int used = 0;
    for (uint32_t x = x0; x < x1; x++) {
        const float *ra = cs->runs + a->run_off + 3 * (size_t)(x - a->bbox[0]);
        const float *rb = cs->runs + b->run_off + 3 * (size_t)(x - b->bbox[0]);
        if (ra[0] < 0 || rb[0] < 0)
            continue;
        static const double box[4][2] = {{-700, -20}, {700, -20}, {700, 800}, {-700, 800}};
        double p[POLY_MAX][2], cen[2];
        size_t n = 4;
        memcpy(p, box, sizeof box);
        const float *rr[2] = {ra, rb};
        const lc__atr_geom *gg[2] = {&geom[a->view], &geom[b->view]};
        for (int k = 0; k < 2 && n >= 3; k++) {
            double y0 = rr[k][0] - 0.5 + EDGE_PX, y1 = rr[k][1] + 0.5 - EDGE_PX;
            if (y1 - y0 < 0.5) {
                double mid = 0.5 * (y0 + y1);
                y0 = mid - 0.25;
                y1 = mid + 0.25;
            }
            n = clip_wedge(p, n, gg[k], y0, y1);
        }
        double ar = n >= 3 ? poly_area_centroid((const double(*)[2])p, n, cen) : 0;
        if (!(ar > 0))
            continue;
        double ma = ra[2] * hypot(cen[0] - gg[0]->src[0], cen[1] - gg[0]->src[1]);
        double mb = rb[2] * hypot(cen[0] - gg[1]->src[0], cen[1] - gg[1]->src[1]);
        m += 0.5 * (ma + mb);
        area += ar;
        used++;
    }
    return used >= 3 && area > 0 ? 10.0 * m / area : 0;
}

lc_status lc__atr_candidates(const lc_mattable *t, const lc_atten *const *views, size_t n_views,
                             const lc__atr_geom *geom, const lc_atr_options *o, lc__atr_cands *out,
                             lc_error *err)
{
    int use_geom = geom != NULL && n_views >= 2;
    for (size_t v = 0; use_geom && v < n_views; v++)
        if (!geom[v].known || geom[v].npix != views[v]->height)
            use_geom = 0;
    memset(out, 0, sizeof *out);
    sigma_inv *inv = lc__calloc(1, sizeof *inv);
    if (!inv)
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    lc_status st = sigma_inv_build(t, inv, err);
    double px_mm = o->pixel_mm > 0 ? o->pixel_mm : 0.8;
    double line_mm = o->line_mm > 0 ? o->line_mm : 1.6;
    for (size_t v = 0; v < n_views && st == LC_OK; v++) {
        view_img img;
        if ((st = view_img_make(views[v], &img, err)) != LC_OK)
            break;
        img.wr = use_geom ? geom[v].wr : NULL;
        double a_max = views[v]->a_max[LC_HIGH] > 0 ? views[v]->a_max[LC_HIGH] : 12;
        st = view_candidates(t, inv, &img, (uint32_t)v, px_mm, line_mm, a_max, out, err);
        view_img_free(&img);
    }
    free(inv);
    if (st == LC_OK && n_views >= 2)
        st = imp_other_views(views, n_views, px_mm, line_mm, out, err);
    if (st != LC_OK) {
        lc__atr_cands_free(out);
        return st;
    }
    if (use_geom) {
        /* until paired, an object is taken at the middle of the tunnel */
        for (size_t i = 0; i < out->n; i++) {
            lc__atr_cand *c = &out->c[i];
            const double *sv = geom[c->view].src;
            c->mass_g = c->sw * hypot(0 - sv[0], 200 - sv[1]) * line_mm / 100.0;
        }
        pair_views_geom(out, geom, line_mm);
        /* density: mass over volume line by line (pair_density_lines) */
        for (size_t i = 0; i < out->n; i++) {
            lc__atr_cand *c = &out->c[i];
            c->density = c->pair >= 0 ? pair_density_lines(out, geom, c, &out->c[c->pair]) : 0;
            c->density_geom = c->density > 0;
        }
    } else {
        pair_views(out);
        /* two-view density: view a sees the object's areal density sigma_a over a
         * mean width w_a (area / length along the belt, common to both views); for a
         * box the cross-section is w_a x w_b, so rho = sqrt(sigma_a sigma_b / (w_a w_b))
         * (a cylinder reads pi/4 of its density) */
        for (size_t i = 0; i < out->n; i++) {
            lc__atr_cand *c = &out->c[i];
            c->density = 0;
            if (c->pair < 0)
                continue;
            const lc__atr_cand *p = &out->c[c->pair];
            double wa = c->area_mm2 / ((double)(c->bbox[2] - c->bbox[0]) * line_mm);
            double wb = p->area_mm2 / ((double)(p->bbox[2] - p->bbox[0]) * line_mm);
            if (c->sigma > 0 && p->sigma > 0 && wa > 0 && wb > 0)
                c->density = 10.0 * sqrt(c->sigma * p->sigma / (wa * wb));
        }
    }
    for (size_t i = 0; i < out->n; i++) {
        lc__atr_cand *c = &out->c[i];
        const lc__atr_cand *p = c->pair >= 0 ? &out->c[c->pair] : NULL;
        lc__atr_score(o, c, p);
    }
    return LC_OK;
}

/* The reasons of a learned score: the features with the largest positive
 * shares of the logit. */
static void explain(lc_atr_alarm *a, const lc__atr_cand *c, const lc__atr_cand *pair)
{
    const lc__atr_model *m = &lc__atr_models[a->cls];
    a->n_why = 0;
    if (m->n == 0 || !lc__atr_gate(c, (int)a->cls))
        return;
    double f[LC__ATR_NF], contrib[LC__ATR_NF];
    lc__atr_features(c, pair, f);
    lc__atr_model_logit(m, (int)a->cls, f, c->rule[a->cls], contrib);
    for (int r = 0; r < LC_ATR_WHY; r++) {
        int best = -1;
        for (int k = 0; k < LC__ATR_NF; k++) {
            int used = 0;
            for (size_t j = 0; j < a->n_why; j++)
                used |= a->why[j].feature == lc__atr_feature_names[k];
            if (!used && contrib[k] > 0 && (best < 0 || contrib[k] > contrib[best]))
                best = k;
        }
        if (best < 0)
            break;
        a->why[a->n_why++] = (lc_atr_reason){lc__atr_feature_names[best], f[best], contrib[best]};
    }
}

static lc_status analyze_common(const lc_mattable *t, const lc_atten *const *views, size_t n_views,
                                const lc__atr_geom *geom, const lc_atr_options *opts,
                                lc_atr_result **out, lc__atr_cands *keep, lc_error *err,
                                struct timespec t0)
{
    lc_atr_options o;
    if (opts)
        o = *opts;
    else
        lc_atr_options_init(&o);
    lc__atr_cands cs;
    lc_status st = lc__atr_candidates(t, views, n_views, geom, &o, &cs, err);
    if (st != LC_OK)
        return st;
    order *ord = lc__mallocn(cs.n * LC_ATR_CLASSES + 1, sizeof *ord);
    lc_atr_result *r = lc__calloc(1, sizeof *r);
    lc_atr_alarm *al = lc__mallocn(cs.n * LC_ATR_CLASSES + 1, sizeof *al);
    if (!ord || !r || !al) {
        free(ord);
        free(r);
        free(al);
        lc__atr_cands_free(&cs);
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    }
    size_t no = 0;
    for (size_t i = 0; i < cs.n; i++)
        for (int c = 0; c < LC_ATR_CLASSES; c++) {
            double thr = 1.0 - o.sensitivity[c];
            if (o.sensitivity[c] <= 0 || cs.c[i].score[c] < thr || cs.c[i].score[c] <= 0.0)
                continue;
            ord[no++] = (order){cs.c[i].score[c], i, c};
        }
    qsort(ord, no, sizeof *ord, cmp_order);
    size_t na = 0;
    size_t *src = lc__mallocn(no + 1, sizeof *src); /* alarm -> candidate */
    if (!src) {
        free(ord);
        free(r);
        free(al);
        lc__atr_cands_free(&cs);
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory");
    }
    for (size_t k = 0; k < no; k++) {
        const lc__atr_cand *c = &cs.c[ord[k].idx];
        int suppressed = 0;
        for (size_t j = 0; j < na && !suppressed; j++)
            if (al[j].view == c->view && (int)al[j].cls == ord[k].cls &&
                box_iou_min(al[j].bbox, c->bbox) > 0.3)
                suppressed = 1;
        if (suppressed)
            continue;
        src[na] = ord[k].idx;
        lc_atr_alarm *a = &al[na++];
        memset(a, 0, sizeof *a);
        a->cls = (lc_atr_class)ord[k].cls;
        a->view = c->view;
        memcpy(a->bbox, c->bbox, sizeof a->bbox);
        a->score = ord[k].score;
        /* over a mostly impenetrable region the mean is the starvation
         * clamp's, not the object's (it read 5.0 for a lead box) */
        a->zeff = c->imp_frac < 0.5 ? c->zeff : NAN;
        a->zeff_edge = c->imp_frac < 0.5 ? c->zeff_edge : NAN;
        a->mass_g = c->mass_g;
        a->area_mm2 = c->area_mm2;
        a->areal_g_cm2 = c->sigma;
        /* a water-equivalent density means something for organic matter
         * only: a steel blade's reads about 1 (docs/atr.md) */
        a->density_g_cm3 = a->cls == LC_ATR_EXPLOSIVE ? c->density : 0;
        a->paired = -1;
        explain(a, c, c->pair >= 0 ? &cs.c[c->pair] : NULL);
    }
    /* the same object's alarm of the same class in the other view */
    for (size_t j = 0; j < na; j++) {
        int32_t pc = cs.c[src[j]].pair;
        for (size_t k = 0; pc >= 0 && k < na && al[j].paired < 0; k++)
            if (k != j && al[k].cls == al[j].cls && al[k].view == cs.c[pc].view &&
                (src[k] == (size_t)pc || box_iou_min(al[k].bbox, cs.c[pc].bbox) > 0.3))
                al[j].paired = (int32_t)k; /* the pair, or the alarm that suppressed it */
    }
    free(src);
    free(ord);
    if (keep)
        *keep = cs;
    else
        lc__atr_cands_free(&cs);
    r->alarms = al;
    r->n = na;
    r->alarm = na > 0;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    *out = r;
    return LC_OK;
}

lc_status lc_atr_analyze_atten(const lc_mattable *t, const lc_atten *const *views, size_t n_views,
                               const lc_atr_options *opts, lc_atr_result **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!t || !views || !out || n_views == 0 || n_views > LC_SCAN_MAX_VIEWS)
        return lc_error_set(err, LC_ERR_ARG, "lc_atr_analyze_atten: bad argument");
    for (size_t v = 0; v < n_views; v++)
        if (!views[v] || views[v]->width == 0 || views[v]->height == 0 ||
            views[v]->width != views[0]->width)
            return lc_error_set(err, LC_ERR_ARG,
                                "lc_atr_analyze_atten: view %zu missing or of another width", v);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    return analyze_common(t, views, n_views, NULL, opts, out, NULL, err, t0);
}

lc_status lc_atr_analyze(const lc_mattable *t, const lc_scan *scan, const lc_atr_options *opts,
                         lc_atr_result **out, lc_error *err)
{
    return lc__atr_analyze_scan(t, scan, opts, out, NULL, err);
}

lc_status lc__atr_analyze_scan(const lc_mattable *t, const lc_scan *scan,
                               const lc_atr_options *opts, lc_atr_result **out, lc__atr_cands *keep,
                               lc_error *err)
{
    if (out)
        *out = NULL;
    if (keep)
        memset(keep, 0, sizeof *keep);
    if (!t || !scan || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_atr_analyze: NULL argument");
    size_t nv = lc_scan_view_count(scan);
    if (nv == 0 || nv > LC_SCAN_MAX_VIEWS)
        return lc_error_set(err, LC_ERR_ARG, "lc_atr_analyze: the scan has no views");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lc_atr_options o;
    if (opts)
        o = *opts;
    else
        lc_atr_options_init(&o);
    const lc_scan_info *info = lc_scan_get_info(scan);
    if (!(o.pixel_mm > 0))
        o.pixel_mm = info->pixel_pitch_mm > 0 ? 0.5 * info->pixel_pitch_mm : 0.8;
    if (!(o.line_mm > 0))
        o.line_mm = info->belt_speed_mm_s > 0 && info->line_period_s > 0
                        ? info->belt_speed_mm_s * info->line_period_s
                        : 1.6;
    lc_atten *at[LC_SCAN_MAX_VIEWS] = {0};
    lc__atr_geom geom[LC_SCAN_MAX_VIEWS];
    memset(geom, 0, sizeof geom);
    lc_status st = LC_OK;
    for (size_t v = 0; v < nv && st == LC_OK; v++)
        st = lc_atten_compute(scan, v, NULL, &at[v], err);
    for (size_t v = 0; v < nv && st == LC_OK; v++)
        st = lc__atr_geom_from_scan(scan, v, &geom[v], err);
    if (st == LC_OK) {
        for (size_t v = 1; v < nv; v++)
            if (at[v]->width != at[0]->width)
                st = lc_error_set(err, LC_ERR_FORMAT, "atr: views of different line counts");
    }
    if (st == LC_OK)
        st = analyze_common(t, (const lc_atten *const *)at, nv, geom, &o, out, keep, err, t0);
    for (size_t v = 0; v < nv; v++) {
        lc_atten_free(at[v]);
        lc__atr_geom_free(&geom[v]);
    }
    return st;
}

/* ------------------------------------------------------------------------ */
/* JSON report                                                              */
/* ------------------------------------------------------------------------ */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

lc_status lc_atr_result_json(const lc_atr_result *r, char **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!r || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_atr_result_json: NULL argument");
    json_t *root = json_object();
    json_t *arr = json_array();
    int ok =
        root && arr &&
        json_object_set_new(root, "decision", json_string(r->alarm ? "alarm" : "clear")) == 0 &&
        json_object_set(root, "alarms", arr) == 0;
    for (size_t i = 0; ok && i < r->n; i++) {
        const lc_atr_alarm *a = &r->alarms[i];
        json_t *o = json_object();
        ok =
            o && json_array_append_new(arr, o) == 0 &&
            json_object_set_new(o, "class", json_string(lc_atr_class_name(a->cls))) == 0 &&
            json_object_set_new(o, "view", json_integer(a->view)) == 0 &&
            json_object_set_new(o, "bbox",
                                json_pack("[iiii]", (int)a->bbox[0], (int)a->bbox[1],
                                          (int)a->bbox[2], (int)a->bbox[3])) == 0 &&
            json_object_set_new(o, "score", num_or_null(a->score)) == 0 &&
            json_object_set_new(o, "zeff", num_or_null(a->zeff)) == 0 &&
            json_object_set_new(o, "zeff_edge", num_or_null(a->zeff_edge)) == 0 &&
            json_object_set_new(o, "mass_g", num_or_null(a->mass_g)) == 0 &&
            json_object_set_new(o, "area_mm2", num_or_null(a->area_mm2)) == 0 &&
            json_object_set_new(o, "areal_g_cm2", num_or_null(a->areal_g_cm2)) == 0 &&
            json_object_set_new(o, "density_g_cm3",
                                a->density_g_cm3 > 0 ? num_or_null(a->density_g_cm3)
                                                     : json_null()) == 0 &&
            /* the same object's alarm in another view (its index), or null */
            json_object_set_new(o, "paired",
                                a->paired >= 0 && (size_t)a->paired < r->n ? json_integer(a->paired)
                                                                           : json_null()) == 0;
        json_t *why = ok && a->n_why > 0 ? json_array() : NULL;
        for (size_t k = 0; why && ok && k < a->n_why && k < LC_ATR_WHY; k++)
            ok = json_array_append_new(why, json_pack("{s:s,s:o,s:o}", "feature", a->why[k].feature,
                                                      "value", num_or_null(a->why[k].value),
                                                      "logit", num_or_null(a->why[k].logit))) == 0;
        if (why)
            ok = ok && json_object_set_new(o, "why", why) == 0;
    }
    json_decref(arr);
    char *text =
        ok ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
           : NULL;
    json_decref(root);
    if (!text)
        return lc_error_set(err, LC_ERR_NOMEM, "atr: out of memory writing the report");
    *out = text;
    return LC_OK;
}
