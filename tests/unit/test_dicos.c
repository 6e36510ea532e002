/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dicos.c: unit tests of the DICOS module: scan, presentation and TDR
 * round trips through files, UID form and uniqueness, date-times, the files of
 * other writers in tests/data/dicos (implicit VR, CT, nested undefined-length
 * sequences, a refused JPEG Lossless file), and malformed input (truncation at
 * every offset step, lengths past the end, deep nesting, wrong pixel lengths)
 * that must give LC error codes, never a crash.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dicos/dicos_int.h"
#include "lucent/lucent.h"
#include "util/util.h"

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/lc_dicos_XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A 2-view scan with every metadata field set and reference lines. */
static lc_scan *make_scan(void)
{
    lc_scan_info in;
    lc_scan_info_init(&in);
    strcpy(in.scan_id, "BAG-0042\\x");
    strcpy(in.station_id, "embassy-gate-2-long-station-name");
    strcpy(in.manufacturer, "lucent project");
    strcpy(in.model, "sim-2view");
    strcpy(in.detector, "dual-layer CsI 0.3/Cu 0.3/CsI 4");
    in.kvp = 160;
    in.tube_ma = 1.25;
    in.pixel_pitch_mm = 0.8;
    in.line_period_s = 0.004;
    in.belt_speed_mm_s = 200;
    in.acquired_unix_us = 1795000000123456LL;
    in.bits_stored = 14;
    in.air_value = 15000;
    lc_scan *s;
    assert_int_equal(lc_scan_new(&in, &s, NULL), LC_OK);
    for (int v = 0; v < 2; v++) {
        lc_view_info vi;
        lc_view_info_init(&vi);
        strcpy(vi.label, v ? "side" : "bottom");
        vi.source_mm[0] = 100 + v;
        vi.source_mm[1] = -350.5;
        vi.source_mm[2] = v ? 200 : -400;
        vi.beam_angle_deg = v ? 90 : 0;
        vi.source_detector_mm = 900.25 + v;
        lc_view *view;
        uint32_t lines = 37 + 3 * (uint32_t)v, pixels = 23;
        assert_int_equal(lc_scan_add_view(s, &vi, lines, pixels, &view, NULL), LC_OK);
        for (int c = 0; c < 2; c++) {
            uint16_t *p = lc_view_plane(view, (lc_channel)c);
            for (uint32_t i = 0; i < lines * pixels; i++)
                p[i] = (uint16_t)((i * 7919u + (uint32_t)c * 131u + (uint32_t)v) & 0x3FFF);
        }
        assert_int_equal(lc_view_alloc_ref(view, LC_REF_DARK, 4, NULL), LC_OK);
        assert_int_equal(lc_view_alloc_ref(view, LC_REF_AIR, 3, NULL), LC_OK);
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < 2; c++) {
                uint16_t *r = lc_view_ref(view, (lc_ref_kind)k, (lc_channel)c);
                uint32_t nl = lc_view_ref_lines(view, (lc_ref_kind)k);
                for (uint32_t i = 0; i < nl * pixels; i++)
                    r[i] = (uint16_t)(k * 10000 + c * 1000 + (int)i);
            }
    }
    return s;
}

static void assert_scans_equal(const lc_scan *a, const lc_scan *b)
{
    const lc_scan_info *x = lc_scan_get_info(a), *y = lc_scan_get_info(b);
    assert_string_equal(x->scan_id, y->scan_id);
    assert_string_equal(x->station_id, y->station_id);
    assert_string_equal(x->manufacturer, y->manufacturer);
    assert_string_equal(x->model, y->model);
    assert_string_equal(x->detector, y->detector);
    assert_true(x->kvp == y->kvp && x->tube_ma == y->tube_ma);
    assert_true(x->pixel_pitch_mm == y->pixel_pitch_mm);
    assert_true(x->line_period_s == y->line_period_s);
    assert_true(x->belt_speed_mm_s == y->belt_speed_mm_s);
    assert_true(x->acquired_unix_us == y->acquired_unix_us);
    assert_int_equal(x->bits_stored, y->bits_stored);
    assert_int_equal(x->air_value, y->air_value);
    assert_int_equal(lc_scan_view_count(a), lc_scan_view_count(b));
    for (size_t v = 0; v < lc_scan_view_count(a); v++) {
        const lc_view *va = lc_scan_view(a, v), *vb = lc_scan_view(b, v);
        const lc_view_info *ia = lc_view_get_info(va), *ib = lc_view_get_info(vb);
        assert_string_equal(ia->label, ib->label);
        for (int k = 0; k < 3; k++)
            assert_true(ia->source_mm[k] == ib->source_mm[k]);
        assert_true(ia->beam_angle_deg == ib->beam_angle_deg);
        assert_true(ia->source_detector_mm == ib->source_detector_mm);
        assert_int_equal(lc_view_lines(va), lc_view_lines(vb));
        assert_int_equal(lc_view_pixels(va), lc_view_pixels(vb));
        size_t n = (size_t)lc_view_lines(va) * lc_view_pixels(va);
        for (int c = 0; c < 2; c++)
            assert_memory_equal(lc_view_plane(va, (lc_channel)c), lc_view_plane(vb, (lc_channel)c),
                                n * 2);
        for (int k = 0; k < 2; k++) {
            uint32_t nl = lc_view_ref_lines(va, (lc_ref_kind)k);
            assert_int_equal(nl, lc_view_ref_lines(vb, (lc_ref_kind)k));
            for (int c = 0; c < 2; c++)
                assert_memory_equal(lc_view_ref(va, (lc_ref_kind)k, (lc_channel)c),
                                    lc_view_ref(vb, (lc_ref_kind)k, (lc_channel)c),
                                    (size_t)nl * lc_view_pixels(va) * 2);
        }
    }
}

static void test_scan_roundtrip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char sub[1100];
    snprintf(sub, sizeof sub, "%s/a/b", dir); /* created by the writer */
    lc_scan *s = make_scan();
    char study[LC_ID_MAX];
    lc_error err;
    assert_int_equal(lc_dicos_write_scan_uid(s, sub, study, &err), LC_OK);
    assert_memory_equal(study, "2.25.", 5);
    lc_scan *r = NULL;
    assert_int_equal(lc_dicos_read_scan(sub, &r, &err), LC_OK);
    assert_string_equal(lc_scan_get_info(r)->study_uid, study);
    assert_scans_equal(s, r);
    lc_scan_free(r);
    /* A study UID already in the scan is kept. */
    strcpy(lc_scan_info_mut(s)->study_uid, "1.2.3.4.5");
    assert_int_equal(lc_dicos_write_scan_uid(s, sub, study, &err), LC_OK);
    assert_string_equal(study, "1.2.3.4.5");
    assert_int_equal(lc_dicos_read_scan(sub, &r, &err), LC_OK);
    assert_string_equal(lc_scan_get_info(r)->study_uid, "1.2.3.4.5");
    lc_scan_free(r);
    /* An invalid UID is refused, not written. */
    static const char *const bad[] = {"1.2.03", "1..2", "1.2.", "abc", ".1", ""};
    for (size_t i = 0; i < 5; i++) {
        strcpy(lc_scan_info_mut(s)->study_uid, bad[i]);
        assert_int_equal(lc_dicos_write_scan_uid(s, sub, study, &err), LC_ERR_ARG);
    }
    strcpy(lc_scan_info_mut(s)->study_uid, "1.0.3");
    assert_int_equal(lc_dicos_write_scan_uid(s, sub, study, &err), LC_OK);
    /* Summary of one file. */
    char path[1200];
    snprintf(path, sizeof path, "%s/dx_v1_low.dcs", sub);
    lc_dicos_file *f;
    assert_int_equal(lc_dicos_open(path, &f, &err), LC_OK);
    lc_dicos_summary sm;
    lc_dicos_file_summary(f, &sm);
    assert_int_equal(sm.kind, LC_DICOS_DX_PROCESSING);
    assert_int_equal(sm.view, 1);
    assert_string_equal(sm.energy, "low");
    assert_string_equal(sm.view_label, "side");
    assert_int_equal(sm.rows, 23);
    assert_int_equal(sm.columns, 40);
    assert_int_equal(sm.bits_stored, 14);
    assert_true(sm.kvp == 160);
    assert_string_equal(sm.scan_id, "BAG-0042\\x");
    assert_string_equal(sm.transfer_syntax, "1.2.840.10008.1.2.1");
    char buf[64];
    assert_int_equal(lc_dicos_file_get(f, LC__TAG(0x0008, 0x0060), buf, sizeof buf), LC_OK);
    assert_string_equal(buf, "DX");
    assert_int_equal(lc_dicos_file_get(f, LC__TAG(0x0028, 0x0010), buf, sizeof buf), LC_OK);
    assert_string_equal(buf, "23");
    assert_int_equal(lc_dicos_file_get(f, LC__TAG(0x0010, 0x0020), buf, sizeof buf), LC_OK);
    assert_string_equal(buf, "BAG-0042 x"); /* backslash is not allowed in LO */
    assert_int_equal(lc_dicos_file_get(f, LC__TAG(0x0009, 0x0001), buf, sizeof buf),
                     LC_ERR_NOT_FOUND);
    lc_dicos_file_free(f);
    /* A missing view file is reported. */
    snprintf(path, sizeof path, "%s/dx_v1_high.dcs", sub);
    assert_int_equal(unlink(path), 0);
    assert_int_not_equal(lc_dicos_read_scan(sub, &r, &err), LC_OK);
    assert_null(r);
    lc_scan_free(s);
    rm_rf(dir);
    free(dir);
}

static void test_empty_folder(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    lc_scan *r = (lc_scan *)1;
    lc_error err;
    assert_int_equal(lc_dicos_read_scan(dir, &r, &err), LC_ERR_NOT_FOUND);
    assert_null(r);
    assert_non_null(strstr(err.msg, "not a lucent scan folder"));
    /* A missing folder and a plain file say so. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    assert_int_equal(lc_dicos_read_scan(missing, &r, &err), LC_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "no such scan folder"));
    char file[600];
    snprintf(file, sizeof file, "%s/file.dcs", dir);
    FILE *fp = fopen(file, "wb");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(lc_dicos_read_scan(file, &r, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "not a folder"));
    assert_null(r);
    lc_scan *s;
    assert_int_equal(lc_scan_new(NULL, &s, NULL), LC_OK);
    assert_int_equal(lc_dicos_write_scan(s, dir, &err), LC_ERR_ARG);
    lc_scan_free(s);
    rm_rf(dir);
    free(dir);
}

static void test_uids(void **state)
{
    (void)state;
    char a[LC_ID_MAX], b[LC_ID_MAX];
    for (int i = 0; i < 200; i++) {
        assert_int_equal(lc__dicos_uid(a, NULL), LC_OK);
        assert_int_equal(lc__dicos_uid(b, NULL), LC_OK);
        assert_string_not_equal(a, b);
        assert_true(strlen(a) <= 64 && strlen(a) > 5);
        assert_memory_equal(a, "2.25.", 5);
        for (const char *p = a + 5; *p; p++)
            assert_true(*p >= '0' && *p <= '9');
        assert_true(a[5] != '0' || a[6] == '\0'); /* no leading zero */
    }
}

static void test_datetime(void **state)
{
    (void)state;
    char dt[32];
    lc__dicos_dt(0, dt);
    assert_string_equal(dt, "19700101000000.000000+0000");
    /* 2026-11-27 04:47:19.5 UTC = 1795754839.5 s (date -d @1795754839). */
    lc__dicos_dt(1795754839500000LL, dt);
    assert_string_equal(dt, "20261127044719.500000+0000");
    int64_t us;
    assert_true(lc__dicos_parse_dt(dt, &us));
    assert_true(us == 1795754839500000LL);
    assert_true(lc__dicos_parse_dt("20261127064719.5+0200", &us));
    assert_true(us == 1795754839500000LL);
    assert_true(lc__dicos_parse_dt("19700102", &us));
    assert_true(us == 86400000000LL);
    assert_false(lc__dicos_parse_dt("2026x127", &us));
    assert_false(lc__dicos_parse_dt("20261327", &us));
}

static void test_presentation(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    lc_scan *s = make_scan();
    lc_error err;
    assert_int_equal(lc_dicos_write_scan(s, dir, &err), LC_OK);
    uint32_t w0 = 37, h = 23, w1 = 40;
    uint16_t *g = calloc((size_t)w0 * h, 2);
    uint8_t *rgb = calloc((size_t)w1 * h * 3, 1);
    for (uint32_t i = 0; i < w0 * h; i++)
        g[i] = (uint16_t)(i * 977u);
    for (uint32_t i = 0; i < w1 * h * 3; i++)
        rgb[i] = (uint8_t)(i * 31u);
    lc_dicos_image img = {LC_DICOS_GRAY16, w0, h, g};
    assert_int_equal(lc_dicos_write_presentation(dir, 0, &img, &err), LC_OK);
    lc_dicos_image bad = {LC_DICOS_RGB8, w0, h, rgb};
    assert_int_equal(lc_dicos_write_presentation(dir, 1, &bad, &err), LC_ERR_ARG);
    assert_int_equal(lc_dicos_write_presentation(dir, 5, &img, &err), LC_ERR_NOT_FOUND);
    lc_dicos_image col = {LC_DICOS_RGB8, w1, h, rgb};
    assert_int_equal(lc_dicos_write_presentation(dir, 1, &col, &err), LC_OK);
    lc_dicos_image back;
    void *px;
    assert_int_equal(lc_dicos_read_presentation(dir, 0, &back, &px, &err), LC_OK);
    assert_int_equal(back.kind, LC_DICOS_GRAY16);
    assert_int_equal(back.width, w0);
    assert_int_equal(back.height, h);
    assert_memory_equal(px, g, (size_t)w0 * h * 2);
    free(px);
    assert_int_equal(lc_dicos_read_presentation(dir, 1, &back, &px, &err), LC_OK);
    assert_int_equal(back.kind, LC_DICOS_RGB8);
    assert_memory_equal(px, rgb, (size_t)w1 * h * 3);
    free(px);
    /* Presentation files share the study and are not mistaken for raw data. */
    lc_scan *r;
    assert_int_equal(lc_dicos_read_scan(dir, &r, &err), LC_OK);
    assert_scans_equal(s, r);
    lc_scan_free(r);
    char path[1100];
    snprintf(path, sizeof path, "%s/dxp_v1.dcs", dir);
    lc_dicos_file *f;
    assert_int_equal(lc_dicos_open(path, &f, &err), LC_OK);
    lc_dicos_summary sm;
    lc_dicos_file_summary(f, &sm);
    assert_int_equal(sm.kind, LC_DICOS_DX_PRESENTATION);
    assert_string_equal(sm.photometric, "RGB");
    assert_int_equal(sm.samples_per_pixel, 3);
    lc_dicos_file_free(f);
    free(g);
    free(rgb);
    lc_scan_free(s);
    rm_rf(dir);
    free(dir);
}

/* The machine's report of a recognition result: an object that alarmed in
 * both views is one threat object with two boxes; categories, probability,
 * Zeff, and mass and density for explosives only; alarms under the minimum
 * score are left out. */
static void test_tdr_from_atr(void **state)
{
    (void)state;
    lc_atr_alarm al[5];
    memset(al, 0, sizeof al);
    al[0] = (lc_atr_alarm){.cls = LC_ATR_EXPLOSIVE,
                           .view = 0,
                           .bbox = {10, 20, 40, 60},
                           .score = 0.9,
                           .zeff = 7.31,
                           .mass_g = 722,
                           .density_g_cm3 = 1.6,
                           .paired = 1};
    al[1] = (lc_atr_alarm){.cls = LC_ATR_EXPLOSIVE,
                           .view = 1,
                           .bbox = {11, 5, 41, 30},
                           .score = 0.8,
                           .zeff = 7.4,
                           .mass_g = 700,
                           .paired = 0};
    al[2] = (lc_atr_alarm){.cls = LC_ATR_WEAPON,
                           .view = 0,
                           .bbox = {50, 50, 51, 51},
                           .score = 0.7,
                           .zeff = 25,
                           .mass_g = 140,
                           .density_g_cm3 = 1.0,
                           .paired = -1};
    al[3] = (lc_atr_alarm){.cls = LC_ATR_DENSE,
                           .view = 1,
                           .bbox = {1, 2, 3, 4},
                           .score = 0.6,
                           .zeff = NAN,
                           .mass_g = 900,
                           .paired = -1};
    al[4] = (lc_atr_alarm){.cls = LC_ATR_WEAPON,
                           .view = 1,
                           .bbox = {5, 5, 9, 9},
                           .score = 0.3,
                           .zeff = 26,
                           .paired = -1};
    lc_atr_result r = {1, 5, al, 0.1};
    lc_dicos_tdr *t = NULL;
    lc_error err;
    assert_int_equal(lc_dicos_tdr_from_atr(&r, 0.5, NULL, &t, &err), LC_OK);
    assert_int_equal(t->type, LC_TDR_MACHINE);
    assert_int_equal(t->alarm, LC_ALARM_ALARM);
    assert_string_equal(t->algorithm, "lucent atr");
    assert_int_equal(t->n_threats, 3);
    const lc_dicos_threat *e = &t->threats[0], *w = &t->threats[1], *d = &t->threats[2];
    assert_int_equal(e->id, 1);
    assert_string_equal(e->category, "EXPLOSIVE");
    assert_string_equal(e->description, "explosive 0.90, Zeff 7.3, 722 g");
    assert_int_equal(e->assessment, LC_ASSESS_THREAT);
    assert_true(fabs(e->probability - 0.9) < 1e-12 && e->mass_g == 722 && e->density_g_cm3 == 1.6 &&
                fabs(e->zeff - 7.31) < 1e-12);
    assert_int_equal(e->n_boxes, 2);
    assert_int_equal(e->boxes[0].view, 0);
    assert_true(e->boxes[0].x0 == 10 && e->boxes[0].y0 == 20 && e->boxes[0].x1 == 39 &&
                e->boxes[0].y1 == 59);
    assert_int_equal(e->boxes[1].view, 1);
    assert_true(e->boxes[1].x0 == 11 && e->boxes[1].y1 == 29);
    assert_string_equal(w->category, "PROHIBITED_ITEM");
    assert_string_equal(w->description, "weapon 0.70, Zeff 25.0");
    assert_true(w->mass_g == 0 && w->density_g_cm3 == 0 && w->zeff == 25);
    assert_true(w->n_boxes == 1 && w->boxes[0].x0 == 50 && w->boxes[0].x1 == 50);
    assert_string_equal(d->category, "ANOMALY");
    assert_string_equal(d->description, "dense 0.60");
    assert_true(d->zeff == 0 && d->mass_g == 0 && d->n_boxes == 1 && d->boxes[0].view == 1);
    lc_dicos_tdr_free(t);
    /* nothing at or above the minimum: a clear report */
    assert_int_equal(lc_dicos_tdr_from_atr(&r, 0.95, "x 1", &t, &err), LC_OK);
    assert_int_equal(t->alarm, LC_ALARM_CLEAR);
    assert_int_equal(t->n_threats, 0);
    assert_string_equal(t->algorithm, "x 1");
    lc_dicos_tdr_free(t);
    t = (lc_dicos_tdr *)1;
    assert_int_equal(lc_dicos_tdr_from_atr(NULL, 0.5, NULL, &t, &err), LC_ERR_ARG);
    assert_null(t);
}

static void test_tdr_roundtrip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    lc_scan *s = make_scan();
    lc_error err;
    assert_int_equal(lc_dicos_write_scan(s, dir, &err), LC_OK);
    lc_dicos_threat th[2];
    memset(th, 0, sizeof th);
    th[0].id = 1;
    strcpy(th[0].category, "EXPLOSIVE");
    strcpy(th[0].description, "organic block, Zeff 7.2\\sheet");
    th[0].assessment = LC_ASSESS_THREAT;
    th[0].probability = 0.875;
    th[0].mass_g = 350;
    th[0].zeff = 7.25;
    th[0].n_boxes = 2;
    th[0].boxes[0] = (lc_dicos_box){0, 3, 4, 20.5, 18};
    th[0].boxes[1] = (lc_dicos_box){1, 5, 1, 30, 22};
    th[1].id = 7;
    strcpy(th[1].category, "anomaly");
    /* a stray Latin-1 byte (another writer's ISO_IR 100) before a UTF-8
     * ellipsis: read back as valid UTF-8 */
    strcpy(th[1].description, "caf\xe9 \xe2\x80\xa6");
    th[1].assessment = LC_ASSESS_NO_THREAT;
    th[1].probability = -1;
    th[1].n_boxes = 1;
    th[1].boxes[0] = (lc_dicos_box){1, 0, 0, 39, 22};
    lc_dicos_tdr t = {LC_TDR_MACHINE, LC_ALARM_ALARM, "lucent-atr 0.1", 1795754839000000LL, 2, th};
    assert_int_equal(lc_dicos_write_tdr(dir, &t, &err), LC_OK);
    char path[1100];
    snprintf(path, sizeof path, "%s/tdr_machine.dcs", dir);
    lc_dicos_tdr *r;
    assert_int_equal(lc_dicos_read_tdr(path, &r, &err), LC_OK);
    assert_int_equal(r->type, LC_TDR_MACHINE);
    assert_int_equal(r->alarm, LC_ALARM_ALARM);
    assert_string_equal(r->algorithm, "lucent-atr 0.1");
    assert_true(r->decided_unix_us == 1795754839000000LL);
    assert_int_equal(r->n_threats, 2);
    assert_int_equal(r->threats[0].id, 1);
    assert_string_equal(r->threats[0].category, "EXPLOSIVE");
    assert_string_equal(r->threats[0].description, "organic block, Zeff 7.2\\sheet");
    assert_int_equal(r->threats[0].assessment, LC_ASSESS_THREAT);
    assert_true(r->threats[0].probability == 0.875);
    assert_true(r->threats[0].mass_g == 350 && r->threats[0].zeff == 7.25);
    assert_int_equal(r->threats[0].n_boxes, 2);
    assert_int_equal(r->threats[0].boxes[1].view, 1);
    assert_true(r->threats[0].boxes[0].x1 == 20.5 && r->threats[0].boxes[0].y1 == 18);
    assert_true(r->threats[0].boxes[1].x0 == 5 && r->threats[0].boxes[1].y0 == 1);
    assert_string_equal(r->threats[1].category, "ANOMALY");
    assert_string_equal(r->threats[1].description, "caf\xc3\xa9 \xe2\x80\xa6");
    assert_int_equal(r->threats[1].assessment, LC_ASSESS_NO_THREAT);
    assert_true(r->threats[1].probability < 0);
    assert_int_equal(r->threats[1].boxes[0].view, 1);
    lc_dicos_tdr_free(r);
    /* The references name the images' SOP Instance UIDs. */
    lc_dicos_file *f, *img;
    assert_int_equal(lc_dicos_open(path, &f, &err), LC_OK);
    snprintf(path, sizeof path, "%s/dx_v1_low.dcs", dir);
    assert_int_equal(lc_dicos_open(path, &img, &err), LC_OK);
    char uid[LC_ID_MAX];
    assert_int_equal(lc_dicos_file_get(img, LC__TAG(0x0008, 0x0018), uid, sizeof uid), LC_OK);
    const lc__elem *seq = lc__dset_find(&f->ds, LC__TAG(0x4010, 0x1011));
    assert_non_null(seq);
    const lc__elem *reps = lc__dset_find(&seq->items[1], LC__TAG(0x4010, 0x1037));
    const lc__elem *ris = lc__dset_find(&reps->items[0], LC__TAG(0x0008, 0x114A));
    assert_int_equal(ris->n_items, 2);
    char got[LC_ID_MAX];
    assert_true(
        lc__el_str(lc__dset_find(&ris->items[1], LC__TAG(0x0008, 0x1155)), got, sizeof got));
    assert_string_equal(got, uid);
    lc_dicos_summary sm;
    lc_dicos_file_summary(f, &sm);
    assert_int_equal(sm.kind, LC_DICOS_TDR);
    assert_int_equal(sm.n_threats, 2);
    assert_string_equal(sm.alarm, "ALARM");
    lc_dicos_file_free(img);
    lc_dicos_file_free(f);
    /* Bad reports are refused before anything is written. */
    th[1].probability = 1.5;
    assert_int_equal(lc_dicos_write_tdr(dir, &t, &err), LC_ERR_ARG);
    th[1].probability = 0.5;
    th[1].boxes[0].view = 3;
    assert_int_equal(lc_dicos_write_tdr(dir, &t, &err), LC_ERR_NOT_FOUND);
    lc_scan_free(s);
    rm_rf(dir);
    free(dir);
}

static unsigned char *fixture(const char *name, size_t *len)
{
    const char *data = getenv("LC_TEST_DATA");
    assert_non_null(data);
    char path[1024];
    snprintf(path, sizeof path, "%s/dicos/%s", data, name);
    unsigned char *buf;
    assert_int_equal(lc__read_file(path, 1 << 26, &buf, len, NULL), LC_OK);
    return buf;
}

static void test_other_writers(void **state)
{
    (void)state;
    size_t len;
    lc_error err;
    lc_dicos_file *f;
    lc_dicos_summary sm;
    /* Implicit VR little endian DX for processing made by pydicom. */
    unsigned char *b = fixture("implicit_dx.dcs", &len);
    assert_int_equal(lc_dicos_parse(b, len, &f, &err), LC_OK);
    free(b);
    lc_dicos_file_summary(f, &sm);
    assert_int_equal(sm.kind, LC_DICOS_DX_PROCESSING);
    assert_string_equal(sm.transfer_syntax, "1.2.840.10008.1.2");
    assert_int_equal(sm.rows, 4);
    assert_int_equal(sm.columns, 6);
    assert_string_equal(sm.scan_id, "IMPL-1");
    const lc__elem *pd = lc__dset_find(&f->ds, LC__TAG(0x7FE0, 0x0010));
    assert_non_null(pd);
    assert_int_equal(pd->len, 48);
    /* pixel i = 1000 + 3 i (make_fixtures.py) */
    assert_int_equal(pd->value[2 * 5] | (pd->value[2 * 5 + 1] << 8), 1015);
    lc_dicos_file_free(f);
    /* A DICOS CT volume (2 frames). */
    b = fixture("ct.dcs", &len);
    assert_int_equal(lc_dicos_parse(b, len, &f, &err), LC_OK);
    free(b);
    lc_dicos_file_summary(f, &sm);
    assert_int_equal(sm.kind, LC_DICOS_CT);
    assert_int_equal(sm.frames, 2);
    assert_int_equal(sm.rows, 8);
    assert_string_equal(sm.sop_class_name, "CT");
    lc_dicos_file_free(f);
    /* A TDR with nested undefined-length sequences, implicit VR. */
    b = fixture("tdr_undefined.dcs", &len);
    assert_int_equal(lc_dicos_parse(b, len, &f, &err), LC_OK);
    free(b);
    lc_dicos_tdr *t;
    assert_int_equal(lc_dicos_file_tdr(f, &t, &err), LC_OK);
    assert_int_equal(t->alarm, LC_ALARM_ALARM);
    assert_int_equal(t->type, LC_TDR_MACHINE);
    assert_int_equal(t->n_threats, 2);
    assert_int_equal(t->threats[0].id, 11);
    assert_string_equal(t->threats[0].category, "EXPLOSIVE");
    assert_int_equal(t->threats[0].assessment, LC_ASSESS_THREAT);
    assert_true(t->threats[0].probability == 0.75);
    assert_int_equal(t->threats[0].n_boxes, 1);
    assert_true(t->threats[0].boxes[0].x0 == 10 && t->threats[0].boxes[0].y1 == 40);
    assert_string_equal(t->threats[1].category, "PROHIBITED_ITEM");
    lc_dicos_tdr_free(t);
    lc_dicos_file_free(f);
    /* JPEG Lossless is refused by name. */
    b = fixture("jpeg_lossless.dcs", &len);
    f = (lc_dicos_file *)1;
    assert_int_equal(lc_dicos_parse(b, len, &f, &err), LC_ERR_UNSUPPORTED);
    assert_null(f);
    assert_non_null(strstr(err.msg, "JPEG Lossless"));
    assert_non_null(strstr(err.msg, "1.2.840.10008.1.2.4.70"));
    free(b);
}

/* Every prefix of a valid file and a byte flip at many places: no crash and
 * either success or an LC error status. */
static void test_malformed(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    lc_scan *s = make_scan();
    lc_error err;
    assert_int_equal(lc_dicos_write_scan(s, dir, &err), LC_OK);
    lc_dicos_threat th;
    memset(&th, 0, sizeof th);
    th.n_boxes = 1;
    th.probability = 0.5;
    lc_dicos_tdr t = {LC_TDR_OPERATOR, LC_ALARM_CLEAR, "", 0, 1, &th};
    assert_int_equal(lc_dicos_write_tdr(dir, &t, &err), LC_OK);
    char path[1100];
    snprintf(path, sizeof path, "%s/tdr_operator.dcs", dir);
    unsigned char *buf;
    size_t len;
    assert_int_equal(lc__read_file(path, 1 << 24, &buf, &len, NULL), LC_OK);
    lc_dicos_file *f;
    assert_int_equal(lc_dicos_parse(buf, len, &f, &err), LC_OK);
    lc_dicos_file_free(f);
    for (size_t cut = 0; cut < len; cut++) {
        lc_status st = lc_dicos_parse(buf, cut, &f, &err);
        if (st == LC_OK) {
            lc_dicos_tdr *r = NULL;
            if (lc_dicos_file_tdr(f, &r, &err) == LC_OK)
                lc_dicos_tdr_free(r);
            lc_dicos_file_free(f);
        } else {
            assert_true(st == LC_ERR_FORMAT || st == LC_ERR_LIMIT || st == LC_ERR_UNSUPPORTED);
            assert_null(f);
        }
    }
    unsigned char *copy = malloc(len);
    for (size_t i = 132; i < len; i++) {
        for (int flip = 0; flip < 2; flip++) {
            memcpy(copy, buf, len);
            copy[i] = flip ? (unsigned char)0xFF : (unsigned char)(copy[i] ^ 0x80);
            if (lc_dicos_parse(copy, len, &f, &err) == LC_OK) {
                lc_dicos_tdr *r = NULL;
                lc_dicos_summary sm;
                lc_dicos_file_summary(f, &sm);
                if (lc_dicos_file_tdr(f, &r, &err) == LC_OK)
                    lc_dicos_tdr_free(r);
                lc_dicos_file_free(f);
            }
        }
    }
    free(copy);
    free(buf);
    /* A DX whose pixel data length disagrees with Rows x Columns. */
    snprintf(path, sizeof path, "%s/dx_v0_high.dcs", dir);
    assert_int_equal(lc__read_file(path, 1 << 24, &buf, &len, NULL), LC_OK);
    assert_int_equal(lc_dicos_parse(buf, len - 2, &f, &err), LC_ERR_FORMAT);
    /* Rows is the first US 23 after (0028,0010): make it 24. */
    for (size_t i = 132; i + 10 < len; i++)
        if (buf[i] == 0x28 && buf[i + 1] == 0 && buf[i + 2] == 0x10 && buf[i + 3] == 0 &&
            buf[i + 4] == 'U' && buf[i + 5] == 'S') {
            buf[i + 8] = 24;
            break;
        }
    assert_int_equal(lc_dicos_parse(buf, len, &f, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "Pixel Data"));
    free(buf);
    lc_scan_free(s);
    rm_rf(dir);
    free(dir);
}

/* Builds a Part 10 header + an implicit VR data set by hand. */
static size_t header(unsigned char *b, const char *ts)
{
    memset(b, 0, 128);
    memcpy(b + 128, "DICM", 4);
    size_t tl = strlen(ts) + (strlen(ts) & 1);
    unsigned char *p = b + 132;
    memcpy(p, "\x02\x00\x00\x00UL\x04\x00", 8);
    p[8] = (unsigned char)(8 + tl);
    p[9] = p[10] = p[11] = 0;
    memcpy(p + 12, "\x02\x00\x10\x00UI", 6);
    p[18] = (unsigned char)tl;
    p[19] = 0;
    memset(p + 20, 0, tl);
    memcpy(p + 20, ts, strlen(ts));
    return 132 + 20 + tl;
}

static void test_limits(void **state)
{
    (void)state;
    unsigned char b[4096];
    lc_dicos_file *f;
    lc_error err;
    /* Nesting of 40 undefined-length sequences. */
    size_t n = header(b, LC__TS_IMPLICIT_LE);
    for (int d = 0; d < 40; d++) {
        memcpy(b + n, "\x10\x40\x11\x10\xff\xff\xff\xff", 8);     /* (4010,1011) SQ, undefined */
        memcpy(b + n + 8, "\xfe\xff\x00\xe0\xff\xff\xff\xff", 8); /* item, undefined */
        n += 16;
    }
    assert_int_equal(lc_dicos_parse(b, n, &f, &err), LC_ERR_LIMIT);
    assert_null(f);
    /* A length far beyond the end. */
    n = header(b, LC__TS_IMPLICIT_LE);
    memcpy(b + n, "\x10\x00\x20\x00\x00\x00\x00\x70", 8);
    assert_int_equal(lc_dicos_parse(b, n + 8, &f, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "(0010,0020)"));
    /* Explicit VR with garbage VR bytes. */
    n = header(b, LC__TS_EXPLICIT_LE);
    memcpy(b + n, "\x10\x00\x20\x00\x01\x02\x00\x00", 8);
    assert_int_equal(lc_dicos_parse(b, n + 8, &f, &err), LC_ERR_FORMAT);
    /* Big endian is refused by name; no DICM is a format error. */
    n = header(b, "1.2.840.10008.1.2.2");
    assert_int_equal(lc_dicos_parse(b, n, &f, &err), LC_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "Big Endian"));
    b[128] = 'X';
    assert_int_equal(lc_dicos_parse(b, n, &f, &err), LC_ERR_FORMAT);
    assert_int_equal(lc_dicos_parse(b, 10, &f, &err), LC_ERR_FORMAT);
    /* An unterminated undefined-length sequence. */
    n = header(b, LC__TS_IMPLICIT_LE);
    memcpy(b + n, "\x10\x40\x11\x10\xff\xff\xff\xff\xfe\xff\x00\xe0\x00\x00\x00\x00", 16);
    assert_int_equal(lc_dicos_parse(b, n + 16, &f, &err), LC_ERR_FORMAT);
    /* ... and terminated: fine. */
    memcpy(b + n + 16, "\xfe\xff\xdd\xe0\x00\x00\x00\x00", 8);
    assert_int_equal(lc_dicos_parse(b, n + 24, &f, &err), LC_OK);
    lc_dicos_file_free(f);
    lc_dicos_file_free(NULL);
    lc_dicos_tdr_free(NULL);
}

/* Expected sample values of the exported folder; tests/integration/
 * dicos_check.py computes the same numbers independently. */
static uint16_t export_raw(uint32_t x, uint32_t y, uint32_t v, uint32_t c)
{
    return (uint16_t)((x * 37u + y * 101u + v * 1000u + c * 5000u) % 16384u);
}

/* Writes a complete scan folder (2 views, references, presentation images in
 * grey and RGB, a TDR) for the integration test that checks lucent's files
 * with dcmdump and pydicom. */
static int export_folder(const char *dir)
{
    lc_scan_info in;
    lc_scan_info_init(&in);
    strcpy(in.scan_id, "EXPORT-1");
    strcpy(in.station_id, "station-7");
    strcpy(in.manufacturer, "lucent");
    strcpy(in.model, "unit-test");
    strcpy(in.detector, "dual-layer");
    in.kvp = 160;
    in.tube_ma = 1;
    in.pixel_pitch_mm = 0.8;
    in.line_period_s = 0.004;
    in.belt_speed_mm_s = 200;
    in.acquired_unix_us = 1795754839123456LL;
    in.bits_stored = 14;
    lc_scan *s;
    lc_error err;
    if (lc_scan_new(&in, &s, &err) != LC_OK)
        return 1;
    uint32_t lines[2] = {61, 53}, pixels = 47;
    for (uint32_t v = 0; v < 2; v++) {
        lc_view_info vi;
        lc_view_info_init(&vi);
        strcpy(vi.label, v ? "side" : "bottom");
        lc_view *view;
        if (lc_scan_add_view(s, &vi, lines[v], pixels, &view, &err) != LC_OK ||
            lc_view_alloc_ref(view, LC_REF_DARK, 2, &err) != LC_OK ||
            lc_view_alloc_ref(view, LC_REF_AIR, 2, &err) != LC_OK)
            return 1;
        for (uint32_t c = 0; c < 2; c++)
            for (uint32_t y = 0; y < pixels; y++)
                for (uint32_t x = 0; x < lines[v]; x++)
                    lc_view_set(view, (lc_channel)c, x, y, export_raw(x, y, v, c));
    }
    int rc = 1;
    uint16_t *g = calloc((size_t)lines[0] * pixels, 2);
    uint8_t *rgb = calloc((size_t)lines[1] * pixels * 3, 1);
    if (!g || !rgb || lc_dicos_write_scan(s, dir, &err) != LC_OK)
        goto out;
    for (uint32_t y = 0; y < pixels; y++)
        for (uint32_t x = 0; x < lines[0]; x++)
            g[y * lines[0] + x] = (uint16_t)((x * 257u + y * 4099u) & 0xFFFFu);
    for (uint32_t y = 0; y < pixels; y++)
        for (uint32_t x = 0; x < lines[1]; x++) {
            uint8_t *p = rgb + 3 * ((size_t)y * lines[1] + x);
            p[0] = (uint8_t)(x * 3u);
            p[1] = (uint8_t)(y * 5u);
            p[2] = (uint8_t)(x + y);
        }
    lc_dicos_image gi = {LC_DICOS_GRAY16, lines[0], pixels, g};
    lc_dicos_image ci = {LC_DICOS_RGB8, lines[1], pixels, rgb};
    if (lc_dicos_write_presentation(dir, 0, &gi, &err) != LC_OK ||
        lc_dicos_write_presentation(dir, 1, &ci, &err) != LC_OK)
        goto out;
    lc_dicos_threat th[2];
    memset(th, 0, sizeof th);
    th[0] = (lc_dicos_threat){.id = 1,
                              .category = "EXPLOSIVE",
                              .description = "sheet explosive",
                              .assessment = LC_ASSESS_THREAT,
                              .probability = 0.75,
                              .mass_g = 250,
                              .density_g_cm3 = 1.5,
                              .zeff = 7.5,
                              .n_boxes = 2,
                              .boxes = {{0, 10, 5, 30, 20}, {1, 12, 7, 25, 40}}};
    th[1] = (lc_dicos_threat){.id = 2,
                              .category = "PROHIBITED_ITEM",
                              .description = "knife",
                              .assessment = LC_ASSESS_NO_THREAT,
                              .probability = 0.25,
                              .n_boxes = 1,
                              .boxes = {{1, 1, 2, 3, 4}}};
    lc_dicos_tdr t = {LC_TDR_MACHINE, LC_ALARM_ALARM, "lucent-test 1", 0, 2, th};
    if (lc_dicos_write_tdr(dir, &t, &err) != LC_OK)
        goto out;
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "export failed: %s\n", err.msg);
    free(g);
    free(rgb);
    lc_scan_free(s);
    return rc;
}

/* An I/O over a memory set that refuses one file as a sealed store would
 * refuse a damaged file. */
typedef struct failing_io {
    lc_dicos_io inner;
    const char *bad;
} failing_io;

static lc_status failing_get(void *user, const char *name, uint8_t **data, size_t *len,
                             lc_error *err)
{
    failing_io *f = user;
    if (strcmp(name, f->bad) == 0)
        return lc_error_set(err, LC_ERR_FORMAT, "sealed/%s: does not open", name);
    return f->inner.get(f->inner.user, name, data, len, err);
}

static void assert_tdrs_equal(const lc_dicos_tdr *a, const lc_dicos_tdr *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->alarm, b->alarm);
    assert_string_equal(a->algorithm, b->algorithm);
    assert_true(a->decided_unix_us == b->decided_unix_us);
    assert_int_equal(a->n_threats, b->n_threats);
    for (size_t i = 0; i < a->n_threats; i++) {
        const lc_dicos_threat *x = &a->threats[i], *y = &b->threats[i];
        assert_int_equal(x->id, y->id);
        assert_string_equal(x->category, y->category);
        assert_string_equal(x->description, y->description);
        assert_int_equal(x->assessment, y->assessment);
        assert_memory_equal(&x->probability, &y->probability, sizeof x->probability);
        assert_memory_equal(&x->mass_g, &y->mass_g, sizeof x->mass_g);
        assert_memory_equal(&x->zeff, &y->zeff, sizeof x->zeff);
        assert_int_equal(x->n_boxes, y->n_boxes);
        assert_memory_equal(x->boxes, y->boxes, x->n_boxes * sizeof x->boxes[0]);
    }
}

/* A scan, a presentation image and a TDR written through a memory I/O read
 * back equal, bit for bit, to what the folder functions read from the same
 * bytes put in a folder, and to what went in; and a folder's files moved into
 * memory read back the same. No file is written by the memory I/O. */
static void test_memory_io(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    lc_scan *s = make_scan();
    lc_error err;
    lc_dicos_mem *mem = NULL;
    assert_int_equal(lc_dicos_mem_new(&mem, &err), LC_OK);
    lc_dicos_io io = lc_dicos_mem_io(mem);
    lc_scan *r = NULL;
    assert_int_equal(lc_dicos_read_scan_io(&io, &r, &err), LC_ERR_NOT_FOUND);
    assert_null(r);
    char study[LC_ID_MAX];
    assert_int_equal(lc_dicos_write_scan_io(s, &io, study, &err), LC_OK);
    assert_int_equal(lc_dicos_mem_count(mem), 4);
    uint32_t w = lc_view_lines(lc_scan_view(s, 1)), h = lc_view_pixels(lc_scan_view(s, 1));
    uint16_t *gray = malloc((size_t)w * h * 2);
    assert_non_null(gray);
    for (uint32_t i = 0; i < w * h; i++)
        gray[i] = (uint16_t)(i * 977u);
    lc_dicos_image img = {LC_DICOS_GRAY16, w, h, gray};
    assert_int_equal(lc_dicos_write_presentation_io(&io, 1, &img, &err), LC_OK);
    lc_dicos_threat th[1];
    memset(th, 0, sizeof th);
    th[0].id = 3;
    strcpy(th[0].category, "EXPLOSIVE");
    strcpy(th[0].description, "organic block");
    th[0].assessment = LC_ASSESS_THREAT;
    th[0].probability = 0.625;
    th[0].mass_g = 120;
    th[0].n_boxes = 2;
    th[0].boxes[0] = (lc_dicos_box){0, 1, 2, 10, 12};
    th[0].boxes[1] = (lc_dicos_box){1, 4, 3, 20, 15};
    lc_dicos_tdr t = {LC_TDR_MACHINE, LC_ALARM_ALARM, "lucent-atr test", 1795754839000000LL, 1, th};
    assert_int_equal(lc_dicos_write_tdr_io(&io, &t, &err), LC_OK);
    assert_int_equal(lc_dicos_mem_count(mem), 6);
    assert_string_equal(lc_dicos_tdr_file_name(LC_TDR_MACHINE), "tdr_machine.dcs");
    /* The memory files, byte for byte, into a folder. */
    char path[1200];
    for (size_t i = 0; i < lc_dicos_mem_count(mem); i++) {
        const uint8_t *data;
        size_t len;
        const char *name = lc_dicos_mem_file(mem, i, &data, &len);
        assert_non_null(name);
        assert_memory_equal(data + 128, "DICM", 4);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        assert_int_equal(lc__write_file_atomic(path, data, len, &err), LC_OK);
    }
    assert_null(lc_dicos_mem_file(mem, 6, NULL, NULL));
    /* Scan. */
    lc_scan *rf = NULL;
    assert_int_equal(lc_dicos_read_scan_io(&io, &r, &err), LC_OK);
    assert_int_equal(lc_dicos_read_scan(dir, &rf, &err), LC_OK);
    assert_scans_equal(s, r);
    assert_scans_equal(rf, r);
    assert_string_equal(lc_scan_get_info(r)->study_uid, study);
    assert_string_equal(lc_scan_get_info(rf)->study_uid, study);
    lc_scan_free(rf);
    lc_scan_free(r);
    /* Presentation. */
    lc_dicos_image a, b;
    void *pa = NULL, *pb = NULL;
    assert_int_equal(lc_dicos_read_presentation_io(&io, 1, &a, &pa, &err), LC_OK);
    assert_int_equal(lc_dicos_read_presentation(dir, 1, &b, &pb, &err), LC_OK);
    assert_int_equal(a.width, w);
    assert_int_equal(b.height, h);
    assert_memory_equal(pa, gray, (size_t)w * h * 2);
    assert_memory_equal(pb, gray, (size_t)w * h * 2);
    free(pa);
    free(pb);
    assert_int_equal(lc_dicos_read_presentation_io(&io, 0, &a, &pa, &err), LC_ERR_NOT_FOUND);
    /* TDR: the same report from memory and from the folder, views resolved. */
    lc_dicos_tdr *tm = NULL, *tf = NULL;
    assert_int_equal(lc_dicos_read_tdr_io(&io, "tdr_machine.dcs", &tm, &err), LC_OK);
    snprintf(path, sizeof path, "%s/tdr_machine.dcs", dir);
    assert_int_equal(lc_dicos_read_tdr(path, &tf, &err), LC_OK);
    assert_tdrs_equal(tm, tf);
    assert_tdrs_equal(tm, &t);
    lc_dicos_tdr_free(tm);
    lc_dicos_tdr_free(tf);
    assert_int_equal(lc_dicos_read_tdr_io(&io, "tdr_operator.dcs", &tm, &err), LC_ERR_NOT_FOUND);
    assert_null(tm);
    /* A file the I/O refuses fails the read with the I/O's status and words. */
    failing_io fio = {io, "dx_v1_low.dcs"};
    lc_dicos_io bad = {NULL, failing_get, &fio, "sealed"};
    assert_int_equal(lc_dicos_read_scan_io(&bad, &r, &err), LC_ERR_FORMAT);
    assert_null(r);
    assert_non_null(strstr(err.msg, "sealed/dx_v1_low.dcs: does not open"));
    /* A folder written by the folder functions, moved into memory. */
    lc_dicos_mem *mem2 = NULL;
    assert_int_equal(lc_dicos_mem_new(&mem2, &err), LC_OK);
    lc_dicos_io io2 = lc_dicos_mem_io(mem2);
    snprintf(path, sizeof path, "%s/w", dir);
    assert_int_equal(lc_dicos_write_scan(s, path, &err), LC_OK);
    lc_dicos_io fo = lc_dicos_folder_io(path);
    static const char *const names[] = {"dx_v0_high.dcs", "dx_v0_low.dcs", "dx_v1_high.dcs",
                                        "dx_v1_low.dcs"};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        assert_int_equal(fo.get(fo.user, names[i], &data, &len, &err), LC_OK);
        assert_int_equal(io2.put(io2.user, names[i], data, len, &err), LC_OK);
        free(data);
    }
    uint8_t *none = NULL;
    size_t nlen = 0;
    assert_int_equal(fo.get(fo.user, "dxp_v0.dcs", &none, &nlen, &err), LC_ERR_NOT_FOUND);
    assert_int_equal(lc_dicos_read_scan_io(&io2, &r, &err), LC_OK);
    assert_scans_equal(s, r);
    lc_scan_free(r);
    lc_dicos_mem_free(mem2);
    lc_dicos_mem_free(mem);
    lc_dicos_mem_free(NULL);
    free(gray);
    lc_scan_free(s);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const char *export_dir = getenv("LC_DICOS_EXPORT");
    if (export_dir)
        return export_folder(export_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_roundtrip), cmocka_unit_test(test_empty_folder),
        cmocka_unit_test(test_uids),           cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_presentation),   cmocka_unit_test(test_tdr_roundtrip),
        cmocka_unit_test(test_tdr_from_atr),   cmocka_unit_test(test_other_writers),
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_limits),
        cmocka_unit_test(test_memory_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
