/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_atr.c: threat recognition against independent numbers. Synthetic
 * two-view scans (the chain's slab synthesiser, with noise) of known
 * objects: an RDX block on a cellulose layer is found as an explosive with
 * its stripped Zeff in the organic band, its mass within 25 % of density x
 * volume and its two-view density within 25 % of 1.82; the same block of
 * water is not an explosive alarm; a thin steel blade is a weapon; a lead
 * slab is dense. The evaluation arithmetic on hand-made bags; the detection
 * criterion at its IoU boundary; the JSON report; the truth parser on
 * malformed input; argument errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "atr/atr_int.h"
#include "lucent/lucent.h"

static lc_mattable *table;
static lc_matlib *lib;

static int setup(void **state)
{
    (void)state;
    lc_chain_model m;
    lc_chain_model_init(&m);
    lc_error err;
    if (lc_mattable_generate(&m, &table, &err) != LC_OK)
        return -1;
    return lc_matlib_new(&lib, &err) == LC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    lc_mattable_free(table);
    lc_matlib_free(lib);
    return 0;
}

static const lc_material *mat(const char *name)
{
    const lc_material *m = NULL;
    lc_error err;
    assert_int_equal(lc_matlib_get(lib, name, &m, &err), LC_OK);
    return m;
}

/* Regions of one view: an object rect with layers (object + background)
 * inside a background slab rect, tiled without overlap. */
static size_t framed(lc_synth_region *r, uint32_t view, const uint32_t slab[4],
                     const uint32_t obj[4], const lc_material *bg, double bg_areal,
                     const lc_material *m, double areal)
{
    size_t n = 0;
    uint32_t rects[5][4] = {
        {slab[0], slab[1], slab[2], obj[1]}, /* above */
        {slab[0], obj[3], slab[2], slab[3]}, /* below */
        {slab[0], obj[1], obj[0], obj[3]},   /* left */
        {obj[2], obj[1], slab[2], obj[3]},   /* right */
        {obj[0], obj[1], obj[2], obj[3]},    /* the object */
    };
    for (int k = 0; k < 5; k++) {
        if (rects[k][0] >= rects[k][2] || rects[k][1] >= rects[k][3])
            continue;
        memset(&r[n], 0, sizeof r[n]);
        r[n].view = view;
        memcpy(r[n].rect, rects[k], sizeof rects[k]);
        r[n].n = 0;
        if (bg) {
            r[n].mats[r[n].n] = bg;
            r[n].areal_g_cm2[r[n].n++] = bg_areal;
        }
        if (k == 4) {
            r[n].mats[r[n].n] = m;
            r[n].areal_g_cm2[r[n].n++] = areal;
        }
        if (r[n].n > 0)
            n++;
    }
    return n;
}

/* A two-view noisy scan of lines x pixels from the chain's slab synthesiser
 * (default scanner model, noise seed `seed`). */
static lc_scan *synth(const lc_synth_region *r, size_t n, uint32_t lines, uint32_t pixels,
                      uint64_t seed)
{
    lc_chain_model model;
    lc_chain_model_init(&model);
    lc_synth_options so;
    lc_synth_options_init(&so);
    so.seed = seed;
    lc_scan *scan = NULL;
    lc_error err;
    if (lc_synth_scan(&model, 2, lines, pixels, r, n, &so, &scan, &err) != LC_OK)
        fail_msg("%s", err.msg);
    return scan;
}

/* The options of the analysis for the synthetic scans (0.8 mm pixels,
 * 1.6 mm lines). */
static lc_atr_options synth_options(void)
{
    lc_atr_options o;
    lc_atr_options_init(&o);
    o.pixel_mm = 0.8;
    o.line_mm = 1.6;
    return o;
}

/* A two-view scan of one box object (size_x along the belt, size_y across,
 * size_z up) of material name/density on a 1 g/cm^2 cellulose layer, with
 * the default pixel sizes of the analysis (0.8 mm across, 1.6 mm along). */
static lc_scan *box_scan(const char *name, double rho, double sx, double sy, double sz)
{
    const lc_material *m = mat(name), *bg = mat("cellulose");
    uint32_t lx = (uint32_t)lround(sx / 1.6), ly = (uint32_t)lround(sy / 0.8),
             lz = (uint32_t)lround(sz / 0.8);
    uint32_t slab[4] = {20, 20, 220, 180};
    uint32_t o0[4] = {60, 40, 60 + lx, 40 + ly}, o1[4] = {60, 50, 60 + lx, 50 + lz};
    lc_synth_region r[10];
    size_t n = framed(r, 0, slab, o0, bg, 1.0, m, rho * sz / 10.0);
    n += framed(r + n, 1, slab, o1, bg, 1.0, m, rho * sy / 10.0);
    lc_scan *scan = synth(r, n, 240, 200, 3);
    return scan;
}

static lc_atr_result *analyze(const lc_scan *scan, double sens)
{
    lc_atr_options o = synth_options();
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        o.sensitivity[c] = sens;
    lc_atr_result *res = NULL;
    lc_error err;
    if (lc_atr_analyze(table, scan, &o, &res, &err) != LC_OK)
        fail_msg("%s", err.msg);
    return res;
}

/* The analysis, keeping every candidate behind it (the caller frees both,
 * lc__atr_cands_free and lc_atr_result_free). */
static lc_atr_result *analyze_cands(const lc_scan *scan, const lc_atr_options *o, lc__atr_cands *cs)
{
    lc_atr_result *res = NULL;
    lc_error err;
    if (lc__atr_analyze_scan(table, scan, o, &res, cs, &err) != LC_OK)
        fail_msg("%s", err.msg);
    return res;
}

static const lc_atr_alarm *best(const lc_atr_result *r, lc_atr_class c, uint32_t view)
{
    const lc_atr_alarm *b = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (r->alarms[i].cls == c && r->alarms[i].view == view &&
            (!b || r->alarms[i].score > b->score))
            b = &r->alarms[i];
    return b;
}

static void test_explosive_block(void **state)
{
    (void)state;
    /* RDX 1.82 g/cm3, 120 x 60 x 40 mm: 524 g */
    lc_scan *scan = box_scan("rdx", 1.82, 120, 60, 40);
    lc_atr_result *r = analyze(scan, 0.5);
    assert_true(r->alarm);
    const lc_atr_alarm *a = best(r, LC_ATR_EXPLOSIVE, 0);
    assert_non_null(a);
    double mass = 12.0 * 6.0 * 4.0 * 1.82;
    assert_true(fabs(a->mass_g - mass) < 0.25 * mass);
    assert_true(a->zeff > 6.6 && a->zeff < 8.0);
    assert_true(fabs(a->density_g_cm3 - 1.82) < 0.25 * 1.82);
    /* the box: lines 60..135, pixels 40..115 */
    assert_true(abs((int)a->bbox[0] - 60) <= 3 && abs((int)a->bbox[2] - 135) <= 3);
    assert_true(abs((int)a->bbox[1] - 40) <= 3 && abs((int)a->bbox[3] - 115) <= 3);
    assert_true(a->score >= 0.5 && a->score <= 1.0);
    /* seen in the side view too, and linked to it */
    const lc_atr_alarm *a1 = best(r, LC_ATR_EXPLOSIVE, 1);
    assert_non_null(a1);
    assert_true(a->paired >= 0 && (size_t)a->paired < r->n);
    assert_int_equal(r->alarms[a->paired].view, 1);
    assert_int_equal(r->alarms[a->paired].cls, LC_ATR_EXPLOSIVE);
    assert_null(best(r, LC_ATR_DENSE, 0));
    lc_atr_result_free(r);
    lc_scan_free(scan);
}

static void test_water_block_not_explosive(void **state)
{
    (void)state;
    lc_scan *scan = box_scan("water", 1.0, 120, 60, 40);
    lc_atr_result *r = analyze(scan, 0.5);
    assert_null(best(r, LC_ATR_EXPLOSIVE, 0));
    assert_null(best(r, LC_ATR_EXPLOSIVE, 1));
    lc_atr_result_free(r);
    /* at sensitivity 1 it is a candidate, with a density near 1 */
    r = analyze(scan, 1.0);
    const lc_atr_alarm *a = best(r, LC_ATR_EXPLOSIVE, 0);
    assert_non_null(a);
    assert_true(fabs(a->density_g_cm3 - 1.0) < 0.25);
    assert_true(a->score < 0.5);
    lc_atr_result_free(r);
    lc_scan_free(scan);
}

static void test_blade_and_dense(void **state)
{
    (void)state;
    /* view 0: a steel blade 200 x 30 x 2 mm flat; a lead-walled box 80 x 64 x
     * 64 mm (two 5 mm walls in each view's way).
     * view 1: the blade on edge (2 mm wide), the box 64 mm high. */
    const lc_material *steel = mat("stainless_steel"), *lead = mat("lead");
    lc_synth_region r[4];
    memset(r, 0, sizeof r);
    uint32_t rects[4][4] = {
        {20, 30, 145, 68}, {160, 100, 210, 180}, {20, 40, 145, 43}, {160, 60, 210, 140}};
    for (int k = 0; k < 4; k++) {
        r[k].view = (uint32_t)(k / 2);
        memcpy(r[k].rect, rects[k], sizeof rects[k]);
        r[k].n = 1;
        r[k].mats[0] = k % 2 ? lead : steel;
    }
    r[0].areal_g_cm2[0] = 8.0 * 0.2;   /* 2 mm steel */
    r[1].areal_g_cm2[0] = 11.35 * 1.0; /* 10 mm of lead */
    r[2].areal_g_cm2[0] = 8.0 * 3.0;   /* 30 mm of steel on edge */
    r[3].areal_g_cm2[0] = 11.35 * 1.0;
    lc_scan *scan = synth(r, 4, 240, 200, 1);
    lc_atr_result *res = analyze(scan, 0.5);
    const lc_atr_alarm *w = best(res, LC_ATR_WEAPON, 0);
    assert_non_null(w);
    /* no water-equivalent density for metal */
    assert_true(w->density_g_cm3 == 0);
    /* the weapon score is the learned model's: it says why */
    if (lc__atr_models[LC_ATR_WEAPON].n > 0) {
        assert_true(w->n_why >= 1 && w->n_why <= LC_ATR_WHY);
        assert_non_null(w->why[0].feature);
        assert_true(w->why[0].logit > 0);
    }
    assert_true(w->bbox[0] <= 22 && w->bbox[2] >= 143 && w->bbox[1] <= 32 && w->bbox[3] >= 66);
    const lc_atr_alarm *d = best(res, LC_ATR_DENSE, 0);
    assert_non_null(d);
    assert_true(d->bbox[0] >= 158 && d->bbox[2] <= 212 && d->bbox[1] >= 98);
    assert_true(isnan(d->zeff)); /* impenetrable: no Zeff to report */
    /* the blade is not an explosive; the lead is not a weapon */
    for (size_t i = 0; i < res->n; i++) {
        assert_true(res->alarms[i].cls != LC_ATR_EXPLOSIVE);
        if (res->alarms[i].cls == LC_ATR_WEAPON && res->alarms[i].view == 0)
            assert_true(res->alarms[i].bbox[0] < 150);
    }
    lc_atr_result_free(res);
    /* sensitivity 0 reports nothing */
    res = analyze(scan, 0.0);
    assert_int_equal(res->n, 0);
    assert_false(res->alarm);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* A blade seen face-on is its breadth wide: a folding knife's 2.5 mm steel
 * blade 100 x 20 mm alarms, a strip of the same steel 136 x 10 mm (a rod, a
 * rib, the edge of a case) is too narrow to be one (ninth pass). The side
 * view sees both on edge and is not checked. */
static void test_blade_width(void **state)
{
    (void)state;
    const lc_material *steel = mat("stainless_steel"), *bg = mat("cellulose");
    lc_synth_region r[20];
    uint32_t slab0[4] = {10, 10, 120, 190}, slab1[4] = {130, 10, 230, 190};
    /* view 0: blade at lines 20..83 (100 mm), pixels 40..65 (20 mm); strip at
     * lines 140..225 (136 mm), pixels 100..112 (9.6 mm) */
    uint32_t b0[4] = {20, 40, 83, 65}, s0[4] = {140, 100, 225, 112};
    uint32_t b1[4] = {20, 50, 83, 53}, s1[4] = {140, 50, 225, 53};
    size_t n = framed(r, 0, slab0, b0, bg, 1.0, steel, 8.0 * 0.25);
    n += framed(r + n, 0, slab1, s0, bg, 1.0, steel, 8.0 * 0.25);
    n += framed(r + n, 1, slab0, b1, bg, 1.0, steel, 8.0 * 2.0);
    n += framed(r + n, 1, slab1, s1, bg, 1.0, steel, 8.0 * 1.0);
    lc_scan *scan = synth(r, n, 240, 200, 5);
    lc_atr_result *res = analyze(scan, 0.5);
    int blade = 0, strip = 0;
    for (size_t i = 0; i < res->n; i++) {
        const lc_atr_alarm *a = &res->alarms[i];
        if (a->cls != LC_ATR_WEAPON || a->view != 0)
            continue;
        blade += a->bbox[0] <= 22 && a->bbox[2] >= 81 && a->bbox[1] <= 42 && a->bbox[3] >= 63 &&
                 a->bbox[2] < 130;
        strip += a->bbox[2] > 130;
    }
    assert_int_equal(blade, 1);
    assert_int_equal(strip, 0);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* A 10 mm lead plate 80 x 64 mm lying flat is impenetrable in the top view,
 * but the side view sees it edge-on (10 mm high) and sees past it: nothing
 * is hidden from both views, so no dense alarm. With the top view alone
 * (a one-view scanner) it is one. */
static void test_dense_needs_both_views(void **state)
{
    (void)state;
    const lc_material *lead = mat("lead");
    lc_synth_region r[2];
    memset(r, 0, sizeof r);
    uint32_t rects[2][4] = {{100, 60, 150, 140}, {100, 90, 150, 102}};
    for (int k = 0; k < 2; k++) {
        r[k].view = (uint32_t)k;
        memcpy(r[k].rect, rects[k], sizeof rects[k]);
        r[k].n = 1;
        r[k].mats[0] = lead;
    }
    r[0].areal_g_cm2[0] = 11.35 * 1.0; /* 10 mm of lead */
    r[1].areal_g_cm2[0] = 11.35 * 8.0; /* 80 mm of lead along the side ray */
    lc_scan *scan = synth(r, 2, 240, 200, 5);
    lc_atr_options o = synth_options();
    lc__atr_cands cs;
    lc_atr_result *res = analyze_cands(scan, &o, &cs);
    assert_null(best(res, LC_ATR_DENSE, 0));
    assert_null(best(res, LC_ATR_DENSE, 1));
    lc_atr_result_free(res);
    /* the plate's candidate in the top view: the side view has only the
     * plate's edge (12 pixels x 50 lines = 768 mm2) impenetrable over its lines */
    int seen = 0;
    for (size_t i = 0; i < cs.n; i++) {
        const lc__atr_cand *c = &cs.c[i];
        if (c->view != 0 || c->imp_frac < 0.6 || c->area_mm2 < 3000)
            continue;
        seen = 1;
        assert_true(c->imp_other_mm2 > 500 && c->imp_other_mm2 < 1000);
        assert_true(c->score[LC_ATR_DENSE] < 0.1);
    }
    assert_true(seen);
    lc__atr_cands_free(&cs);
    lc_scan_free(scan);
    /* the top view alone */
    lc_chain_model model;
    lc_chain_model_init(&model);
    lc_synth_options so;
    lc_synth_options_init(&so);
    so.seed = 5;
    lc_error err;
    assert_int_equal(lc_synth_scan(&model, 1, 240, 200, r, 1, &so, &scan, &err), LC_OK);
    res = analyze(scan, 0.5);
    const lc_atr_alarm *d = best(res, LC_ATR_DENSE, 0);
    assert_non_null(d);
    assert_true(d->bbox[0] >= 98 && d->bbox[2] <= 152 && d->bbox[1] >= 58 && d->bbox[3] <= 142);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* A two-view scan of a 2 mm steel blade continued along x by a handle of
 * water-equivalent organic of a slightly higher total attenuation (5 g/cm2),
 * both on 1 g/cm2 of cellulose, the same in both views. blade and handle
 * are pixel rects side by side (blade[2] == handle[0]). */
static lc_scan *blade_handle_scan(const uint32_t blade[4], const uint32_t handle[4])
{
    const lc_material *steel = mat("stainless_steel"), *water = mat("water"),
                      *cell = mat("cellulose");
    uint32_t slab[4] = {20, 20, 220, 180};
    uint32_t y0 = blade[1] < handle[1] ? blade[1] : handle[1];
    uint32_t y1 = blade[3] > handle[3] ? blade[3] : handle[3];
    lc_synth_region r[24];
    size_t n = 0;
    for (uint32_t v = 0; v < 2; v++) {
        /* the cellulose slab around the blade-and-handle box, then the box
         * tiled: each part and the cellulose above and below it */
        uint32_t box[4] = {blade[0], y0, handle[2], y1};
        size_t k = framed(r + n, v, slab, box, cell, 1.0, cell, 0.0);
        n += k - 1; /* drop the frame's object part */
        const uint32_t *parts[2] = {blade, handle};
        for (int j = 0; j < 2; j++) {
            const uint32_t *p = parts[j];
            uint32_t rects[3][4] = {
                {p[0], y0, p[2], p[1]}, {p[0], p[3], p[2], y1}, {p[0], p[1], p[2], p[3]}};
            for (int q = 0; q < 3; q++) {
                if (rects[q][1] >= rects[q][3])
                    continue;
                memset(&r[n], 0, sizeof r[n]);
                r[n].view = v;
                memcpy(r[n].rect, rects[q], sizeof rects[q]);
                r[n].mats[0] = cell;
                r[n].areal_g_cm2[0] = 1.0;
                r[n].n = 1;
                if (q == 2) {
                    r[n].mats[1] = j == 0 ? steel : water;
                    r[n].areal_g_cm2[1] = j == 0 ? 8.0 * 0.2 : 5.0;
                    r[n].n = 2;
                }
                n++;
            }
        }
    }
    return synth(r, n, 240, 200, 5);
}

/* The metal-excess candidates of view 0 on the blade's box (within 2 px),
 * checked to read as the blade alone; how many there are. */
static int blade_excess_candidates(const lc__atr_cands *cs, const uint32_t blade[4],
                                   const uint32_t handle[4], double length_mm, double breadth_mm)
{
    int found = 0;
    for (size_t i = 0; i < cs->n; i++) {
        const lc__atr_cand *c = &cs->c[i];
        if (c->view != 0 || c->level != 0.0)
            continue;
        /* no metal-excess candidate on the handle */
        assert_true(c->bbox[2] <= handle[0] + 4);
        if (abs((int)c->bbox[0] - (int)blade[0]) <= 2 &&
            abs((int)c->bbox[1] - (int)blade[1]) <= 2 &&
            abs((int)c->bbox[2] - (int)blade[2]) <= 2 &&
            abs((int)c->bbox[3] - (int)blade[3]) <= 2) {
            found++;
            assert_true(c->zeff > 20.0);
            /* 2 mm steel alone reads ~4.3 g/cm2 water-equivalent */
            assert_true(c->sigma > 3.5 && c->sigma < 5.5);
            assert_true(fabs(c->length_mm - length_mm) < 8.0 &&
                        fabs(c->width_mm - breadth_mm) < 4.0);
            assert_true(c->rule[LC_ATR_WEAPON] > 0.5);
            /* the handle goes on along the blade's axis */
            assert_true(c->handle > 0.8);
        }
    }
    return found;
}

/* A 2 mm steel blade (128 x 26 mm) beside a handle (blade_handle_scan): at
 * every A_H threshold of the component tree the blade is either merged with
 * the handle or gone, but the metal-excess candidates (level 0) cut it out
 * alone, reading as metal. */
static void test_blade_beside_handle(void **state)
{
    (void)state;
    uint32_t blade[4] = {40, 60, 120, 92}, handle[4] = {120, 56, 180, 96};
    lc_scan *scan = blade_handle_scan(blade, handle);
    lc_atr_options o = synth_options();
    o.sensitivity[LC_ATR_WEAPON] = 1.0; /* keep every weapon candidate */
    lc__atr_cands cs;
    lc_atr_result *res = analyze_cands(scan, &o, &cs);
    assert_true(blade_excess_candidates(&cs, blade, handle, 128.0, 25.6) >= 1);
    /* the best weapon alarm is the blade on its own box */
    const lc_atr_alarm *w = best(res, LC_ATR_WEAPON, 0);
    assert_non_null(w);
    assert_true(w->bbox[0] <= blade[0] + 2 && w->bbox[2] >= blade[2] - 2 &&
                w->bbox[2] <= handle[0] + 4);
    lc__atr_cands_free(&cs);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* A broad blade (a chef's knife: 200 x 44 mm) beside a narrower handle (28
 * mm): the first metal-excess window (32 mm) keeps the blade in the
 * background, the second (56 mm) cuts it out, and at the default operating
 * point it alarms on its own box (twelfth pass). */
static void test_broad_blade(void **state)
{
    (void)state;
    uint32_t blade[4] = {30, 60, 155, 115}, handle[4] = {155, 70, 215, 105};
    lc_scan *scan = blade_handle_scan(blade, handle);
    lc_atr_options o = synth_options();
    lc__atr_cands cs;
    lc_atr_result *res = analyze_cands(scan, &o, &cs);
    assert_int_equal(blade_excess_candidates(&cs, blade, handle, 200.0, 44.0), 1);
    const lc_atr_alarm *w = best(res, LC_ATR_WEAPON, 0);
    assert_non_null(w);
    assert_true(w->bbox[0] <= blade[0] + 2 && w->bbox[2] >= blade[2] - 2 &&
                w->bbox[2] <= handle[0] + 4 && w->bbox[1] <= blade[1] + 2 &&
                w->bbox[3] >= blade[3] - 2);
    lc__atr_cands_free(&cs);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* The handle cue: three 2 mm steel strips in air. A bare blade (112 x 25.6
 * mm) reads nothing beyond its ends; a blade continued along its axis by a
 * 2 g/cm2 plastic handle (80 x 32 mm) reads it at one end; a strip (128 x 16
 * mm) in the middle of a longer plastic strip of its width, as a battery
 * inside a laptop seen edge-on, reads it at both ends. */
static bool near_box(const uint32_t *a, const uint32_t *b, int tol)
{
    for (int k = 0; k < 4; k++)
        if (abs((int)a[k] - (int)b[k]) > tol)
            return false;
    return true;
}

static void test_handle_cue(void **state)
{
    (void)state;
    const lc_material *steel = mat("stainless_steel"), *water = mat("water");
    uint32_t bare[4] = {30, 20, 100, 52}, blade[4] = {30, 80, 100, 112},
             handle[4] = {100, 76, 150, 116}, inner[4] = {40, 140, 120, 160},
             left[4] = {2, 140, 40, 160}, right[4] = {120, 140, 198, 160};
    const uint32_t *rects[6] = {bare, blade, handle, inner, left, right};
    lc_synth_region r[6];
    memset(r, 0, sizeof r);
    for (int k = 0; k < 6; k++) {
        memcpy(r[k].rect, rects[k], sizeof r[k].rect);
        int plastic = k >= 2, metal = k < 2 || k == 3;
        if (plastic) {
            r[k].mats[r[k].n] = water;
            r[k].areal_g_cm2[r[k].n++] = 2.0;
        }
        if (metal) {
            r[k].mats[r[k].n] = steel;
            r[k].areal_g_cm2[r[k].n++] = 8.0 * 0.2;
        }
    }
    lc_scan *scan = synth(r, 6, 200, 200, 3);
    lc_atr_options o = synth_options();
    lc__atr_cands cs;
    lc_atr_result *res = analyze_cands(scan, &o, &cs);
    int n_bare = 0, n_blade = 0, n_inner = 0;
    double h_blade = 0, lo_inner = 0;
    for (size_t i = 0; i < cs.n; i++) {
        const lc__atr_cand *c = &cs.c[i];
        if (c->view != 0 || c->handle < 0)
            continue;
        if (near_box(c->bbox, bare, 2)) {
            n_bare++;
            assert_true(c->handle < 0.15);
        } else if (near_box(c->bbox, blade, 2)) {
            n_blade++;
            assert_true(c->handle_lo < 0.15);
            h_blade = fmax(h_blade, c->handle);
        } else if (near_box(c->bbox, inner, 2)) {
            n_inner++;
            lo_inner = fmax(lo_inner, c->handle_lo);
        }
    }
    assert_true(n_bare >= 1 && n_blade >= 1 && n_inner >= 1);
    assert_true(h_blade > 0.8);
    assert_true(lo_inner > 0.8);
    lc__atr_cands_free(&cs);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* The profile across a region's axis: a steel plate (160 x 24 mm) is flat,
 * three 3.2 mm steel rods joined by a thin steel web (the same outline, 24 mm
 * wide) dip twice between the rods; the dip depth is the rods' areal density
 * minus the web's over the rods', ~0.6 here, less the blur. */
static void test_profile_valley(void **state)
{
    (void)state;
    const lc_material *steel = mat("stainless_steel"), *cell = mat("cellulose");
    /* y ranges (detector pixels) and steel areal density of each strip */
    const struct {
        uint32_t y0, y1;
        double steel;
    } strips[] = {{30, 60, 1.6},   {100, 104, 1.6}, {104, 113, 0.4},
                  {113, 117, 1.6}, {117, 126, 0.4}, {126, 130, 1.6}};
    lc_synth_region r[12];
    size_t n = 0;
    for (uint32_t v = 0; v < 2; v++)
        for (size_t k = 0; k < sizeof strips / sizeof strips[0]; k++) {
            memset(&r[n], 0, sizeof r[n]);
            r[n].view = v;
            r[n].rect[0] = 40, r[n].rect[1] = strips[k].y0;
            r[n].rect[2] = 140, r[n].rect[3] = strips[k].y1;
            r[n].mats[0] = cell, r[n].areal_g_cm2[0] = 1.0;
            r[n].mats[1] = steel, r[n].areal_g_cm2[1] = strips[k].steel;
            r[n].n = 2;
            n++;
        }
    lc_scan *scan = synth(r, n, 200, 180, 9);
    lc_atr_options o = synth_options();
    lc__atr_cands cs;
    lc_atr_result *res = analyze_cands(scan, &o, &cs);
    const uint32_t plate[4] = {40, 30, 140, 60}, rods[4] = {40, 100, 140, 130};
    double v_plate = -2, v_rods = -2;
    for (size_t i = 0; i < cs.n; i++) {
        const lc__atr_cand *c = &cs.c[i];
        int is_plate = 1, is_rods = 1;
        for (int k = 0; k < 4; k++) {
            is_plate &= abs((int)c->bbox[k] - (int)plate[k]) <= 3;
            is_rods &= abs((int)c->bbox[k] - (int)rods[k]) <= 3;
        }
        if (is_plate)
            v_plate = fmax(v_plate, c->valley);
        if (is_rods)
            v_rods = fmax(v_rods, c->valley);
    }
    /* found, and a plateau (the steepest candidate of it still flat) */
    assert_true(v_plate >= 0 && v_plate < 0.15);
    assert_true(v_rods > 0.3 && v_rods < 0.8);
    lc__atr_cands_free(&cs);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* An object on a tray a little larger than itself (a block on a laptop): the
 * ring around it is partly the tray, partly not, so the ring's background
 * misses what lies under the object; the steps at its edges do not. RDX
 * (Zeff 7.21, materials.tsv) 120 x 60 x 40 mm on 0.6 g/cm2 of aluminium
 * reaching 5 mm past it, all on 1 g/cm2 of cellulose. */
static void test_edge_zeff(void **state)
{
    (void)state;
    const lc_material *rdx = mat("rdx"), *al = mat("aluminium"), *cell = mat("cellulose");
    lc_synth_region r[24];
    size_t n = 0;
    const uint32_t slab[4] = {20, 20, 220, 180};
    const uint32_t blk[2][4] = {{60, 40, 135, 115}, {60, 50, 135, 100}};
    const double areal[2] = {1.82 * 4.0, 1.82 * 6.0};
    const uint32_t m = 6;   /* the tray's margin across, pixels (half that in lines) */
    const double tal = 0.6; /* the tray's aluminium, g/cm2 */
    for (uint32_t v = 0; v < 2; v++) {
        const uint32_t tray[4] = {blk[v][0] - m / 2, blk[v][1] - m, blk[v][2] + m / 2,
                                  blk[v][3] + m};
        /* the slab outside the tray (framed's last region, the tray, dropped) */
        n += framed(r + n, v, slab, tray, cell, 1.0, al, tal) - 1;
        /* the tray round the block (cellulose + aluminium), then the block */
        size_t k0 = n;
        n += framed(r + n, v, tray, blk[v], cell, 1.0, al, tal);
        for (size_t k = k0; k < n - 1; k++) {
            r[k].mats[r[k].n] = al;
            r[k].areal_g_cm2[r[k].n++] = tal;
        }
        r[n - 1].mats[r[n - 1].n] = rdx;
        r[n - 1].areal_g_cm2[r[n - 1].n++] = areal[v];
    }
    lc_scan *scan = synth(r, n, 240, 200, 11);
    lc_atr_options o = synth_options();
    lc__atr_cands cs;
    lc_atr_result *res = analyze_cands(scan, &o, &cs);
    for (uint32_t v = 0; v < 2; v++) {
        const lc__atr_cand *best_c = NULL;
        for (size_t i = 0; i < cs.n; i++) {
            const lc__atr_cand *c = &cs.c[i];
            int match = c->view == v;
            for (int k = 0; k < 4 && match; k++)
                match = abs((int)c->bbox[k] - (int)blk[v][k]) <= 3;
            if (match && (!best_c || c->area_mm2 > best_c->area_mm2))
                best_c = c;
        }
        assert_non_null(best_c);
        /* the edges read RDX within 0.35; the ring, half tray and half not,
         * takes some of the tray for the block's (it reads 7.9-8.1) */
        assert_true(fabs(best_c->zeff_edge - 7.21) < 0.35);
        assert_true(fabs(best_c->zeff - 7.21) > fabs(best_c->zeff_edge - 7.21) + 0.3);
    }
    lc__atr_cands_free(&cs);
    lc_atr_result_free(res);
    lc_scan_free(scan);
}

/* The learned model's arithmetic on a hand-made model: bias, the rule's
 * logit term and the stumps, and the per-feature shares. */
static void test_model_logit(void **state)
{
    (void)state;
    /* every feature has a name of its own (the dump's column names): an
     * initialiser shorter than LC__ATR_NF leaves NULLs */
    for (int k = 0; k < LC__ATR_NF; k++) {
        assert_non_null(lc__atr_feature_names[k]);
        for (int j = 0; j < k; j++)
            assert_string_not_equal(lc__atr_feature_names[j], lc__atr_feature_names[k]);
    }
    static const lc__atr_stump st[3] = {
        {0, 7.0f, -1.0f, 2.0f}, {2, 1.0f, 0.25f, -0.5f}, {0, 5.0f, 0.125f, 0.0f}};
    const lc__atr_model m = {0.5, 3, st, 1.0, 0.5};
    double f[LC__ATR_NF] = {0}, contrib[LC__ATR_NF];
    f[0] = 6.9;
    f[2] = 1.5;
    /* 0.5 + 0.5 ln(0.8 / 0.2) - 1 - 0.5 + 0 */
    double z = lc__atr_model_logit(&m, LC_ATR_WEAPON, f, 0.8, contrib);
    assert_true(fabs(z - (0.5 + 0.5 * log(4.0) - 1.5)) < 1e-12);
    assert_true(fabs(contrib[0] + 1.0) < 1e-12);
    assert_true(fabs(contrib[2] + 0.5) < 1e-12);
    assert_true(fabs(contrib[18] - 0.5 * log(4.0)) < 1e-12); /* rule_weap */
    assert_string_equal(lc__atr_feature_names[18], "rule_weap");
    f[0] = 4.0; /* below both splits of feature 0 */
    z = lc__atr_model_logit(&m, LC_ATR_EXPLOSIVE, f, 0.5, contrib);
    assert_true(fabs(z - (0.5 + 0.0 - 1.0 + 0.125 - 0.5)) < 1e-12);
    assert_true(fabs(contrib[0] + 0.875) < 1e-12);
    assert_true(fabs(contrib[17]) < 1e-12); /* the rule at 0.5 adds nothing */
}

static void test_empty_scan_is_clear(void **state)
{
    (void)state;
    lc_chain_model model;
    lc_chain_model_init(&model);
    lc_synth_options so;
    lc_synth_options_init(&so);
    lc_scan *scan = NULL;
    lc_error err;
    assert_int_equal(lc_synth_scan(&model, 2, 120, 100, NULL, 0, &so, &scan, &err), LC_OK);
    lc_atr_result *r = analyze(scan, 0.5);
    assert_false(r->alarm);
    assert_int_equal(r->n, 0);
    char *json = NULL;
    assert_int_equal(lc_atr_result_json(r, &json, &err), LC_OK);
    json_t *j = json_loads(json, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "clear");
    assert_int_equal(json_array_size(json_object_get(j, "alarms")), 0);
    json_decref(j);
    free(json);
    lc_atr_result_free(r);
    lc_scan_free(scan);
}

static void test_report_json(void **state)
{
    (void)state;
    lc_atr_alarm al[3] = {
        {LC_ATR_EXPLOSIVE,
         1,
         {10, 20, 30, 40},
         0.75,
         7.25,
         7.31,
         512.5,
         100,
         5,
         1.7,
         -1,
         1,
         {{"density", 1.625, 0.5}, {NULL, 0, 0}, {NULL, 0, 0}}},
        {LC_ATR_DENSE, 0, {1, 2, 3, 4}, 0.5, NAN, NAN, 0, 10, 0, 0, -1, 0, {{NULL, 0, 0}}},
        {LC_ATR_EXPLOSIVE, 0, {11, 5, 31, 25}, 0.7, 7.3, 7.2, 500, 90, 5, 0, 0, 0, {{NULL, 0, 0}}},
    };
    al[0].paired = 2; /* the same object seen in view 0 */
    lc_atr_result r = {1, 3, al, 0.1};
    char *text = NULL;
    lc_error err;
    assert_int_equal(lc_atr_result_json(&r, &text, &err), LC_OK);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "alarm");
    json_t *a = json_array_get(json_object_get(j, "alarms"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "class")), "explosive");
    assert_int_equal(json_integer_value(json_object_get(a, "view")), 1);
    json_t *bb = json_object_get(a, "bbox");
    assert_int_equal(json_integer_value(json_array_get(bb, 0)), 10);
    assert_int_equal(json_integer_value(json_array_get(bb, 3)), 40);
    assert_true(fabs(json_number_value(json_object_get(a, "score")) - 0.75) < 1e-9);
    assert_true(fabs(json_number_value(json_object_get(a, "zeff")) - 7.25) < 1e-9);
    assert_true(fabs(json_number_value(json_object_get(a, "zeff_edge")) - 7.31) < 1e-9);
    assert_true(fabs(json_number_value(json_object_get(a, "mass_g")) - 512.5) < 1e-9);
    json_t *why = json_object_get(a, "why");
    assert_int_equal(json_array_size(why), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(why, 0), "feature")),
                        "density");
    assert_true(fabs(json_number_value(json_object_get(json_array_get(why, 0), "value")) - 1.625) <
                1e-9);
    assert_true(fabs(json_number_value(json_object_get(json_array_get(why, 0), "logit")) - 0.5) <
                1e-9);
    assert_int_equal(json_integer_value(json_object_get(a, "paired")), 2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(j, "alarms"), 2), "paired")),
                     0);
    json_t *d = json_array_get(json_object_get(j, "alarms"), 1);
    assert_true(json_is_null(json_object_get(d, "paired")));
    assert_null(json_object_get(d, "why"));
    assert_true(json_is_null(json_object_get(d, "zeff")));
    assert_true(json_is_null(json_object_get(d, "zeff_edge")));
    assert_string_equal(json_string_value(json_object_get(d, "class")), "dense");
    json_decref(j);
    free(text);
    assert_int_equal(lc_atr_result_json(NULL, &text, &err), LC_ERR_ARG);
}

static lc_atr_alarm mk(lc_atr_class c, uint32_t view, uint32_t x0, uint32_t y0, uint32_t x1,
                       uint32_t y1, double score)
{
    lc_atr_alarm a;
    memset(&a, 0, sizeof a);
    a.cls = c;
    a.view = view;
    a.bbox[0] = x0, a.bbox[1] = y0, a.bbox[2] = x1, a.bbox[3] = y1;
    a.score = score;
    a.paired = -1;
    return a;
}

static void test_detection_criterion(void **state)
{
    (void)state;
    lc_atr_truth t;
    memset(&t, 0, sizeof t);
    t.cls = LC_ATR_WEAPON;
    t.has_box[1] = 1;
    t.box[1][0] = 0, t.box[1][1] = 0, t.box[1][2] = 100, t.box[1][3] = 100;
    /* IoU of [0,0,100,10] with [0,0,100,100] is 0.1 exactly: detects */
    lc_atr_alarm a = mk(LC_ATR_WEAPON, 1, 0, 0, 100, 10, 0.9);
    assert_int_equal(lc_atr_alarm_detects(&a, &t), 1);
    a.bbox[3] = 9; /* 0.09 */
    assert_int_equal(lc_atr_alarm_detects(&a, &t), 0);
    a.bbox[3] = 50;
    assert_int_equal(lc_atr_alarm_detects(&a, &t), 1);
    a.view = 0; /* no box in view 0 */
    assert_int_equal(lc_atr_alarm_detects(&a, &t), 0);
    a.view = 1;
    a.cls = LC_ATR_DENSE; /* wrong class */
    assert_int_equal(lc_atr_alarm_detects(&a, &t), 0);
    assert_int_equal(lc_atr_alarm_detects(NULL, &t), 0);
}

static void test_metrics_arithmetic(void **state)
{
    (void)state;
    /* bag 0: clean, one alarm 0.7 (a false alarm at 0.5)
     * bag 1: clean, one alarm 0.3
     * bag 2: 500 g explosive (hard); a detecting alarm 0.6 and a stray 0.8
     * bag 3: weapon (easy) with a dense alarm 0.9 over it (wrong class)
     * bag 4: 200 g explosive (medium), detected at 0.55 in view 1 only */
    lc_atr_alarm a0[1] = {mk(LC_ATR_EXPLOSIVE, 0, 0, 0, 10, 10, 0.7)};
    lc_atr_alarm a1[1] = {mk(LC_ATR_WEAPON, 0, 0, 0, 10, 10, 0.3)};
    lc_atr_alarm a2[2] = {mk(LC_ATR_EXPLOSIVE, 0, 10, 10, 50, 50, 0.6),
                          mk(LC_ATR_EXPLOSIVE, 1, 200, 200, 250, 250, 0.8)};
    lc_atr_alarm a3[1] = {mk(LC_ATR_DENSE, 0, 100, 100, 150, 150, 0.9)};
    lc_atr_alarm a4[1] = {mk(LC_ATR_EXPLOSIVE, 1, 5, 5, 25, 25, 0.55)};
    lc_atr_eval_bag b[5];
    memset(b, 0, sizeof b);
    b[0].n_alarms = 1, b[0].alarms = a0;
    b[1].n_alarms = 1, b[1].alarms = a1;
    b[2].n_alarms = 2, b[2].alarms = a2;
    b[2].n_truth = 1;
    b[2].truth[0].cls = LC_ATR_EXPLOSIVE;
    b[2].truth[0].difficulty = 2;
    b[2].truth[0].mass_g = 500;
    b[2].truth[0].has_box[0] = 1;
    memcpy(b[2].truth[0].box[0], (uint32_t[4]){12, 12, 48, 48}, 4 * sizeof(uint32_t));
    b[3].n_alarms = 1, b[3].alarms = a3;
    b[3].n_truth = 1;
    b[3].truth[0].cls = LC_ATR_WEAPON;
    b[3].truth[0].difficulty = 0;
    b[3].truth[0].has_box[0] = 1;
    memcpy(b[3].truth[0].box[0], (uint32_t[4]){100, 100, 150, 150}, 4 * sizeof(uint32_t));
    b[4].n_alarms = 1, b[4].alarms = a4;
    b[4].n_truth = 1;
    b[4].truth[0].cls = LC_ATR_EXPLOSIVE;
    b[4].truth[0].difficulty = 1;
    b[4].truth[0].mass_g = 200;
    b[4].truth[0].has_box[0] = 1;
    b[4].truth[0].has_box[1] = 1;
    memcpy(b[4].truth[0].box[0], (uint32_t[4]){300, 300, 320, 320}, 4 * sizeof(uint32_t));
    memcpy(b[4].truth[0].box[1], (uint32_t[4]){5, 5, 25, 25}, 4 * sizeof(uint32_t));

    lc_atr_metrics m;
    double thr[3] = {0.5, 0.5, 0.5};
    lc_atr_eval_metrics(b, 5, thr, &m);
    assert_int_equal(m.bags, 5);
    assert_int_equal(m.clean, 2);
    assert_int_equal(m.clean_alarmed, 1);
    assert_int_equal(m.alarmed, 4);
    assert_int_equal(m.false_alarms, 3); /* bag 0, the stray 0.8, the dense alarm */
    assert_int_equal(m.n[LC_ATR_EXPLOSIVE][2], 1);
    assert_int_equal(m.hit[LC_ATR_EXPLOSIVE][2], 1);
    assert_int_equal(m.n[LC_ATR_EXPLOSIVE][1], 1);
    assert_int_equal(m.hit[LC_ATR_EXPLOSIVE][1], 1);
    assert_int_equal(m.n[LC_ATR_WEAPON][0], 1);
    assert_int_equal(m.hit[LC_ATR_WEAPON][0], 0);
    assert_int_equal(m.n_expl300, 1);
    assert_int_equal(m.hit_expl300, 1);

    /* a higher explosive threshold loses both explosives and bag 0's alarm
     * (0.7 < 0.75) but keeps the stray 0.8 */
    double thr2[3] = {0.75, 0.5, 0.5};
    lc_atr_eval_metrics(b, 5, thr2, &m);
    assert_int_equal(m.clean_alarmed, 0);
    assert_int_equal(m.hit[LC_ATR_EXPLOSIVE][2], 0);
    assert_int_equal(m.hit[LC_ATR_EXPLOSIVE][1], 0);
    assert_int_equal(m.false_alarms, 2);
    assert_int_equal(m.hit_expl300, 0);
    /* threshold 0: every alarm counts; bag 1's weapon alarm too */
    double thr0[3] = {0, 0, 0};
    lc_atr_eval_metrics(b, 5, thr0, &m);
    assert_int_equal(m.clean_alarmed, 2);
    assert_int_equal(m.false_alarms, 4);
}

/* The 95 % Wilson score interval against published values (Newcombe 1998,
 * Statistics in Medicine 17:857, table I: 0/10 -> 0-0.2775; 5/10 is
 * symmetric, 0.2366-0.7634; 1/29 -> 0.0061-0.1718). */
static void test_wilson(void **state)
{
    (void)state;
    double ci[2];
    lc__atr_wilson(0, 10, ci);
    assert_true(ci[0] == 0 && fabs(ci[1] - 0.2775) < 5e-5);
    lc__atr_wilson(10, 10, ci);
    assert_true(fabs(ci[0] - 0.7225) < 5e-5 && ci[1] == 1);
    lc__atr_wilson(5, 10, ci);
    assert_true(fabs(ci[0] - 0.2366) < 5e-5 && fabs(ci[1] - 0.7634) < 5e-5);
    lc__atr_wilson(1, 29, ci);
    assert_true(fabs(ci[0] - 0.0061) < 5e-5 && fabs(ci[1] - 0.1718) < 5e-5);
    lc__atr_wilson(0, 0, ci);
    assert_true(isnan(ci[0]) && isnan(ci[1]));
    lc__atr_wilson(3, 2, ci);
    assert_true(isnan(ci[0]));
}

static void test_truth_parser(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"lucent_corpus\": 2, \"bags\": []}",
        "{\"lucent_corpus\": 1}",
        "{\"lucent_corpus\": 1, \"bags\": [{\"name\": \"a\"}]}",
        "{\"lucent_corpus\": 1, \"bags\": [{\"name\": \"../x\", \"scene\": \"a.json\", "
        "\"threats\": []}]}",
        "{\"lucent_corpus\": 1, \"bags\": [{\"name\": \"a\", \"scene\": \"a.json\", "
        "\"threats\": [{\"class\": \"bomb\", \"difficulty\": \"easy\", \"mass_g\": 1, "
        "\"parts\": []}]}]}",
        "{\"lucent_corpus\": 1, \"bags\": [{\"name\": \"a\", \"scene\": \"a.json\", "
        "\"threats\": [{\"class\": \"dense\", \"difficulty\": \"extreme\", \"mass_g\": 1, "
        "\"parts\": []}]}]}",
        "{\"lucent_corpus\": 1, \"bags\": [{\"name\": \"a\", \"scene\": \"a.json\", "
        "\"threats\": [{\"class\": \"dense\", \"difficulty\": \"easy\", \"mass_g\": 1, "
        "\"parts\": [1]}]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc__atr_ebag *b = NULL;
        size_t n = 7;
        lc_error err;
        lc_status st = lc__atr_parse_truth("truth.json", bad[i], strlen(bad[i]), &b, &n, &err);
        assert_true(st == LC_ERR_FORMAT || st == LC_ERR_LIMIT);
        assert_null(b);
        assert_int_equal(n, 0);
        assert_non_null(strstr(err.msg, "truth.json"));
    }
    const char *good = "{\"lucent_corpus\": 1, \"bags\": [{\"name\": \"a\", \"scene\": "
                       "\"a.json\", \"threats\": [{\"class\": \"weapon\", \"kind\": \"gun\", "
                       "\"material\": \"steel\", "
                       "\"difficulty\": \"hard\", \"mass_g\": 812.5, \"parts\": [\"g_1_slide\", "
                       "\"g_1_grip\"]}]}, {\"name\": \"b\", \"scene\": \"b.json\", "
                       "\"threats\": []}]}";
    lc__atr_ebag *b = NULL;
    size_t n = 0;
    lc_error err;
    assert_int_equal(lc__atr_parse_truth("t", good, strlen(good), &b, &n, &err), LC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(b[0].name, "a");
    assert_int_equal(b[0].n_threats, 1);
    assert_int_equal(b[0].th[0].t.cls, LC_ATR_WEAPON);
    assert_int_equal(b[0].th[0].t.difficulty, 2);
    assert_true(b[0].th[0].t.mass_g == 812.5);
    assert_string_equal(b[0].th[0].t.kind, "gun");
    assert_string_equal(b[0].th[0].t.material, "steel");
    assert_int_equal(b[0].th[0].n_parts, 2);
    assert_string_equal(b[0].th[0].parts[1], "g_1_grip");
    assert_int_equal(b[1].n_threats, 0);
    free(b);
}

/* The fan geometry of a scan made like the default scanner's: pixel centres
 * on its L-shaped detector (bottom view: the roof z = 440 from y = -310, then
 * the far wall y = 340), pixel widths across the ray from the source distance
 * and the incidence, recomputed here by hand; a view with another source falls
 * back to a straight detector across the central ray at the stated distance;
 * a scan without geometry is unknown. */
static void test_fan_geometry(void **state)
{
    (void)state;
    lc_error err;
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, &err), LC_OK);
    uint32_t n0 = lc_scanner_pixels(sc, 0), n1 = lc_scanner_pixels(sc, 1);
    lc_scanner_free(sc);
    assert_true(n0 > 100 && n1 > 100);
    lc_scan_info info;
    lc_scan_info_init(&info);
    info.pixel_pitch_mm = 1.6;
    lc_scan *scan = NULL;
    assert_int_equal(lc_scan_new(&info, &scan, &err), LC_OK);
    lc_view_info vi;
    lc_view_info_init(&vi);
    vi.source_mm[1] = -300, vi.source_mm[2] = -350;
    vi.beam_angle_deg = 30, vi.source_detector_mm = 800;
    assert_int_equal(lc_scan_add_view(scan, &vi, 4, n0, NULL, &err), LC_OK);
    vi.source_mm[1] = -600, vi.source_mm[2] = 100; /* not the default side view */
    vi.beam_angle_deg = 90, vi.source_detector_mm = 900;
    assert_int_equal(lc_scan_add_view(scan, &vi, 4, n1, NULL, &err), LC_OK);
    lc__atr_geom g0, g1;
    assert_int_equal(lc__atr_geom_from_scan(scan, 0, &g0, &err), LC_OK);
    assert_int_equal(lc__atr_geom_from_scan(scan, 1, &g1, &err), LC_OK);
    assert_true(g0.known && g1.known);
    assert_int_equal(g0.npix, n0);
    /* bottom view: the first pixels on the roof, the last on the far wall */
    assert_true(fabs(g0.pos[1] - 440) < 1e-6 && g0.pos[0] > -310 && g0.pos[0] < -300);
    assert_true(fabs(g0.pos[2 * (n0 - 1)] - 340) < 1e-6 && g0.pos[2 * (n0 - 1) + 1] < 30);
    for (uint32_t p = 0; p < 50; p++) {
        double dy = g0.pos[2 * p] + 300, r2 = dy * dy + 790.0 * 790.0;
        assert_true(fabs(g0.wr[p] - 1.6 * 790.0 / r2) < 1e-9);
    }
    /* side view fallback: the middle pixel at 900 mm along the central ray (+y) */
    double ym = 0.5 * (g1.pos[2 * (n1 / 2 - 1)] + g1.pos[2 * (n1 / 2)]);
    double zm = 0.5 * (g1.pos[2 * (n1 / 2 - 1) + 1] + g1.pos[2 * (n1 / 2) + 1]);
    if (n1 % 2) {
        ym = g1.pos[2 * (n1 / 2)];
        zm = g1.pos[2 * (n1 / 2) + 1];
    }
    assert_true(fabs(ym - 300) < 1e-6 && fabs(zm - 100) < 1e-6);
    assert_true(fabs(g1.wr[n1 / 2] - 1.6 / 900) < 2e-6);
    lc__atr_geom_free(&g0);
    lc__atr_geom_free(&g1);
    lc__atr_geom_free(NULL);
    lc_scan_free(scan);
    /* no metadata: unknown */
    assert_int_equal(lc_scan_new(&info, &scan, &err), LC_OK);
    lc_view_info_init(&vi);
    assert_int_equal(lc_scan_add_view(scan, &vi, 4, 10, NULL, &err), LC_OK);
    assert_int_equal(lc__atr_geom_from_scan(scan, 0, &g0, &err), LC_OK);
    assert_false(g0.known);
    lc__atr_geom_free(&g0);
    lc_scan_free(scan);
}

/* The simulator's default scanner, a block alone on a thin tray away from
 * the tunnel's middle (where a fixed pixel size is wrong by ~20 %): the
 * line-by-line two-view density must come out near the material's own
 * (RDX 1.82, water 1.00 g/cm3; water-equivalent areal densities read RDX a few
 * per cent low) and the mass near density x volume. */
static void fan_block(const char *material, double rho, double *dens, double *mass)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"lucent_scene\": 1, \"objects\": ["
             "{\"id\": \"tray\", \"shape\": \"box\", \"size\": [200, 300, 3], "
             "\"position\": [100, 60, 1.5], \"material\": \"polypropylene\"},"
             "{\"id\": \"b\", \"shape\": \"box\", \"size\": [100, 70, 45], "
             "\"position\": [100, 150, 60], \"rotation\": [0, 0, 25], \"material\": \"%s\"}]}",
             material);
    lc_error err;
    lc_scene *sc = NULL;
    lc_scanner *scn = NULL;
    lc_scan *scan = NULL;
    assert_int_equal(lc_scene_parse(json, strlen(json), "t.json", NULL, &sc, &err), LC_OK);
    assert_int_equal(lc_scanner_new(&scn, &err), LC_OK);
    lc_sim_options so;
    lc_sim_options_init(&so);
    so.seed = 5;
    so.threads = 2;
    if (lc_simulate(sc, scn, &so, &scan, NULL, &err) != LC_OK)
        fail_msg("%s", err.msg);
    lc_atr_options o;
    lc_atr_options_init(&o);
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        o.sensitivity[c] = 1;
    lc_atr_result *res = NULL;
    if (lc_atr_analyze(table, scan, &o, &res, &err) != LC_OK)
        fail_msg("%s", err.msg);
    /* the heaviest paired organic candidate is the block */
    *dens = 0, *mass = 0;
    for (size_t i = 0; i < res->n; i++) {
        const lc_atr_alarm *a = &res->alarms[i];
        if (a->cls == LC_ATR_EXPLOSIVE && a->density_g_cm3 > 0 && a->mass_g > *mass) {
            *mass = a->mass_g;
            *dens = a->density_g_cm3;
        }
    }
    (void)rho;
    lc_atr_result_free(res);
    lc_scan_free(scan);
    lc_scanner_free(scn);
    lc_scene_free(sc);
}

static void test_fan_density(void **state)
{
    (void)state;
    double d, m;
    fan_block("rdx", 1.82, &d, &m);
    print_message("rdx: density %.3f mass %.1f g (true 1.82, %.1f g)\n", d, m, 1.82 * 315);
    assert_true(d > 1.82 * 0.85 && d < 1.82 * 1.15);
    assert_true(m > 0.75 * 1.82 * 315 && m < 1.25 * 1.82 * 315);
    fan_block("water", 1.0, &d, &m);
    print_message("water: density %.3f mass %.1f g (true 1.00, 315 g)\n", d, m);
    assert_true(d > 0.85 && d < 1.15);
    assert_true(m > 0.75 * 315 && m < 1.25 * 315);
}

static void test_errors(void **state)
{
    (void)state;
    lc_atr_result *r = (lc_atr_result *)1;
    lc_error err;
    assert_int_equal(lc_atr_analyze(NULL, NULL, NULL, &r, &err), LC_ERR_ARG);
    assert_null(r);
    assert_int_equal(lc_atr_analyze_atten(table, NULL, 0, NULL, &r, &err), LC_ERR_ARG);
    lc_atten *a = NULL, *b = NULL;
    assert_int_equal(lc_atten_new(10, 10, &a, &err), LC_OK);
    assert_int_equal(lc_atten_new(12, 10, &b, &err), LC_OK);
    const lc_atten *v[2] = {a, b};
    assert_int_equal(lc_atr_analyze_atten(table, v, 2, NULL, &r, &err), LC_ERR_ARG);
    assert_int_equal(lc_atr_analyze_atten(table, v, 1, NULL, &r, &err), LC_OK);
    assert_int_equal(r->n, 0);
    lc_atr_result_free(r);
    lc_atr_result_free(NULL);
    lc_atten_free(a);
    lc_atten_free(b);
    lc_atr_class c;
    assert_int_equal(lc_atr_class_parse("weapon", &c), 0);
    assert_int_equal(c, LC_ATR_WEAPON);
    assert_int_equal(lc_atr_class_parse("bomb", &c), -1);
    assert_string_equal(lc_atr_class_name(LC_ATR_DENSE), "dense");
    assert_int_equal(lc_atr_eval_run(NULL, "/nonexistent", NULL, NULL, NULL, &err), LC_ERR_ARG);
    lc_status st = lc_atr_eval_run(table, "/nonexistent/corpus", NULL, NULL, NULL, &err);
    assert_true(st == LC_ERR_NOT_FOUND || st == LC_ERR_IO);
    assert_non_null(strstr(err.msg, "truth.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explosive_block),
        cmocka_unit_test(test_edge_zeff),
        cmocka_unit_test(test_water_block_not_explosive),
        cmocka_unit_test(test_blade_and_dense),
        cmocka_unit_test(test_blade_width),
        cmocka_unit_test(test_broad_blade),
        cmocka_unit_test(test_dense_needs_both_views),
        cmocka_unit_test(test_blade_beside_handle),
        cmocka_unit_test(test_handle_cue),
        cmocka_unit_test(test_profile_valley),
        cmocka_unit_test(test_model_logit),
        cmocka_unit_test(test_empty_scan_is_clear),
        cmocka_unit_test(test_report_json),
        cmocka_unit_test(test_detection_criterion),
        cmocka_unit_test(test_metrics_arithmetic),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_truth_parser),
        cmocka_unit_test(test_fan_geometry),
        cmocka_unit_test(test_fan_density),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
