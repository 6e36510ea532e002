/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_scan.c: the scan object: creation, views, planes in image order,
 * reference lines, limits, clone, and that failures leak nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lucent/lucent.h"

static void test_new_and_views(void **state)
{
    (void)state;
    lc_scan_info info;
    lc_scan_info_init(&info);
    strcpy(info.scan_id, "BAG-0001");
    info.kvp = 160;
    info.bits_stored = 12;
    lc_scan *s = NULL;
    lc_error err;
    assert_int_equal(lc_scan_new(&info, &s, &err), LC_OK);
    assert_non_null(s);
    assert_string_equal(lc_scan_get_info(s)->scan_id, "BAG-0001");
    assert_int_equal(lc_scan_max_value(s), 4095);
    assert_int_equal(lc_scan_view_count(s), 0);

    lc_view_info vi;
    lc_view_info_init(&vi);
    strcpy(vi.label, "bottom");
    lc_view *v = NULL;
    assert_int_equal(lc_scan_add_view(s, &vi, 300, 64, &v, &err), LC_OK);
    assert_int_equal(lc_view_lines(v), 300);
    assert_int_equal(lc_view_pixels(v), 64);
    assert_string_equal(lc_view_get_info(v)->label, "bottom");
    assert_ptr_equal(lc_scan_view(s, 0), v);
    assert_null(lc_scan_view(s, 1));

    /* Image order: line x is a column, pixel y a row. */
    lc_view_set(v, LC_LOW, 7, 3, 1234);
    assert_int_equal(lc_view_plane(v, LC_LOW)[3 * 300 + 7], 1234);
    assert_int_equal(lc_view_get(v, LC_LOW, 7, 3), 1234);
    assert_int_equal(lc_view_get(v, LC_HIGH, 7, 3), 0);
    /* Out of range is harmless. */
    lc_view_set(v, LC_LOW, 300, 0, 1);
    assert_int_equal(lc_view_get(v, LC_LOW, 300, 0), 0);
    assert_int_equal(lc_view_get(v, (lc_channel)5, 0, 0), 0);
    assert_null(lc_view_plane(v, (lc_channel)2));
    lc_scan_free(s);
}

static void test_refs_and_clone(void **state)
{
    (void)state;
    lc_scan *s = NULL;
    assert_int_equal(lc_scan_new(NULL, &s, NULL), LC_OK);
    lc_view *v = NULL;
    assert_int_equal(lc_scan_add_view(s, NULL, 10, 4, &v, NULL), LC_OK);
    assert_int_equal(lc_view_ref_lines(v, LC_REF_AIR), 0);
    assert_null(lc_view_ref(v, LC_REF_AIR, LC_HIGH));
    assert_int_equal(lc_view_alloc_ref(v, LC_REF_AIR, 8, NULL), LC_OK);
    assert_int_equal(lc_view_ref_lines(v, LC_REF_AIR), 8);
    lc_view_ref(v, LC_REF_AIR, LC_HIGH)[2 * 8 + 1] = 4000;
    lc_view_set(v, LC_HIGH, 9, 3, 77);

    lc_scan *c = NULL;
    assert_int_equal(lc_scan_clone(s, &c, NULL), LC_OK);
    lc_view *cv = lc_scan_view(c, 0);
    assert_int_equal(lc_view_get(cv, LC_HIGH, 9, 3), 77);
    assert_int_equal(lc_view_ref(cv, LC_REF_AIR, LC_HIGH)[2 * 8 + 1], 4000);
    assert_int_equal(lc_view_ref_lines(cv, LC_REF_DARK), 0);
    /* The clone is independent. */
    lc_view_set(cv, LC_HIGH, 9, 3, 1);
    assert_int_equal(lc_view_get(v, LC_HIGH, 9, 3), 77);
    lc_scan_free(c);
    lc_scan_free(s);
    lc_scan_free(NULL);
}

static void test_limits(void **state)
{
    (void)state;
    lc_scan *s = NULL;
    lc_error err;
    assert_int_equal(lc_scan_new(NULL, &s, &err), LC_OK);
    lc_view *v = (lc_view *)1;
    assert_int_equal(lc_scan_add_view(s, NULL, 0, 10, &v, &err), LC_ERR_LIMIT);
    assert_null(v);
    assert_non_null(strstr(err.msg, "lines"));
    assert_int_equal(lc_scan_add_view(s, NULL, 10, LC_SCAN_MAX_PIXELS + 1, NULL, &err),
                     LC_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "pixels"));
    for (int i = 0; i < LC_SCAN_MAX_VIEWS; i++)
        assert_int_equal(lc_scan_add_view(s, NULL, 2, 2, NULL, NULL), LC_OK);
    assert_int_equal(lc_scan_add_view(s, NULL, 2, 2, NULL, &err), LC_ERR_LIMIT);
    assert_int_equal(lc_view_alloc_ref(lc_scan_view(s, 0), LC_REF_DARK, 0, &err), LC_ERR_LIMIT);
    lc_scan_free(s);

    lc_scan_info bad;
    lc_scan_info_init(&bad);
    bad.bits_stored = 17;
    s = (lc_scan *)1;
    assert_int_equal(lc_scan_new(&bad, &s, &err), LC_ERR_ARG);
    assert_null(s);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(lc_strerror(LC_OK), "ok");
    assert_string_equal(lc_strerror(LC_ERR_FORMAT), "malformed input");
    lc_error e;
    assert_int_equal(lc_error_set(&e, LC_ERR_IO, "x %d", 5), LC_ERR_IO);
    lc_error_prefix(&e, "%s: ", "file");
    assert_string_equal(e.msg, "file: x 5");
    assert_string_equal(lc_channel_name(LC_HIGH), "high");
    assert_string_equal(lc_ref_kind_name(LC_REF_AIR), "air");
}

/* ---- raw import ---------------------------------------------------------- */

/* Value of the synthetic sample at (channel, line, pixel). */
static uint16_t synth(int ch, uint32_t x, uint32_t y)
{
    return (uint16_t)(ch * 2000 + x * 10 + y);
}

static void put16(unsigned char *p, uint16_t v, int big)
{
    p[big ? 0 : 1] = (unsigned char)(v >> 8);
    p[big ? 1 : 0] = (unsigned char)(v & 0xff);
}

/* Writes a dump the way a vendor would, written independently of the reader:
 * explicit loops in file order. */
static size_t make_dump(unsigned char *buf, uint32_t lines, uint32_t pixels, int hdr, int big,
                        int interleaved, int pixel_major, const int chans[2], int nplanes)
{
    size_t o = (size_t)hdr;
    memset(buf, 0xEE, (size_t)hdr);
    if (interleaved) {
        for (uint32_t x = 0; x < lines; x++)
            for (int p = 0; p < nplanes; p++)
                for (uint32_t y = 0; y < pixels; y++, o += 2)
                    put16(buf + o, synth(chans[p], x, y), big);
    } else {
        for (int p = 0; p < nplanes; p++) {
            if (pixel_major) {
                for (uint32_t y = 0; y < pixels; y++)
                    for (uint32_t x = 0; x < lines; x++, o += 2)
                        put16(buf + o, synth(chans[p], x, y), big);
            } else {
                for (uint32_t x = 0; x < lines; x++)
                    for (uint32_t y = 0; y < pixels; y++, o += 2)
                        put16(buf + o, synth(chans[p], x, y), big);
            }
        }
    }
    return o;
}

static void check_planes(const lc_scan *s, uint32_t lines, uint32_t pixels, int nplanes,
                         const int chans[2])
{
    const lc_view *v = lc_scan_view(s, 0);
    assert_int_equal(lc_view_lines(v), lines);
    assert_int_equal(lc_view_pixels(v), pixels);
    for (int p = 0; p < nplanes; p++)
        for (uint32_t y = 0; y < pixels; y++)
            for (uint32_t x = 0; x < lines; x++)
                assert_int_equal(lc_view_get(v, (lc_channel)chans[p], x, y), synth(chans[p], x, y));
}

static void test_import_layouts(void **state)
{
    (void)state;
    enum { L = 23, P = 17 };
    static unsigned char buf[64 + 2 * L * P * 2];
    const int hl[2] = {LC_HIGH, LC_LOW}, lh[2] = {LC_LOW, LC_HIGH};
    struct {
        int hdr, big, interleaved, pixel_major, nplanes;
        const int *chans;
    } cases[] = {
        {16, 0, 0, 0, 2, hl}, {0, 1, 0, 0, 2, lh}, {8, 0, 1, 0, 2, hl},
        {0, 0, 0, 1, 2, hl},  {4, 1, 0, 1, 1, lh}, {0, 0, 0, 0, 1, hl},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = make_dump(buf, L, P, cases[c].hdr, cases[c].big, cases[c].interleaved,
                             cases[c].pixel_major, cases[c].chans, cases[c].nplanes);
        lc_raw_layout l;
        lc_raw_layout_init(&l);
        l.header_bytes = (uint64_t)cases[c].hdr;
        l.pixels = P;
        l.big_endian = cases[c].big;
        l.plane_layout = cases[c].interleaved ? LC_PLANES_INTERLEAVED : LC_PLANES_SEQUENTIAL;
        l.order = cases[c].pixel_major ? LC_ORDER_PIXEL_MAJOR : LC_ORDER_LINE_MAJOR;
        l.nplanes = cases[c].nplanes;
        l.planes[0] = (lc_channel)cases[c].chans[0];
        l.planes[1] = (lc_channel)cases[c].chans[1];
        l.bits = 13;
        lc_scan *s = NULL;
        lc_error err;
        lc_error_clear(&err);
        lc_status st = lc_import_raw(buf, n, &l, "case", &s, &err);
        if (st != LC_OK)
            fail_msg("case %zu: %s", c, err.msg);
        check_planes(s, L, P, cases[c].nplanes, cases[c].chans);
        assert_int_equal(lc_scan_get_info(s)->bits_stored, 13);
        lc_scan_free(s);
    }
}

/* The vendor dump of the issue: an integer header holding the line count,
 * then the whole high plane, then the whole low plane, 640 pixels, 12-bit. */
static void test_import_vendor_header(void **state)
{
    (void)state;
    enum { L = 50, P = 640, H = 16 };
    static unsigned char buf[H + 2 * L * P * 2];
    const int hl[2] = {LC_HIGH, LC_LOW};
    size_t n = make_dump(buf, L, P, H, 0, 0, 0, hl, 2);
    memset(buf, 0, H);
    buf[4] = L; /* 32-bit little-endian line count at byte 4 */
    lc_raw_layout l;
    lc_raw_layout_init(&l);
    l.header_bytes = H;
    l.lines_at = 4;
    l.pixels = P;
    l.bits = 13;
    l.air = 7999;
    lc_scan *s = NULL;
    lc_error err;
    assert_int_equal(lc_import_raw(buf, n, &l, "dump", &s, &err), LC_OK);
    check_planes(s, L, P, 2, hl);
    assert_int_equal(lc_scan_get_info(s)->air_value, 7999);
    lc_scan_free(s);

    /* Truncated by one byte: refused, with the reason. */
    s = (lc_scan *)1;
    assert_int_equal(lc_import_raw(buf, n - 1, &l, "dump", &s, &err), LC_ERR_FORMAT);
    assert_null(s);
    assert_non_null(strstr(err.msg, "truncated"));
    /* Two bytes too many: inconsistent. */
    static unsigned char big[sizeof buf + 2];
    memcpy(big, buf, n);
    assert_int_equal(lc_import_raw(big, n + 2, &l, "dump", &s, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "does not match"));
    /* Header line count disagreeing with --lines. */
    l.lines = L + 1;
    assert_int_equal(lc_import_raw(buf, n, &l, "dump", &s, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "header says"));
    l.lines = 0;
    /* Line count field outside the header. */
    l.lines_at = 14;
    assert_int_equal(lc_import_raw(buf, n, &l, "dump", &s, &err), LC_ERR_ARG);
    l.lines_at = 4;
    /* A header claiming a huge line count is a truncation, not a big allocation. */
    buf[7] = 0x7f;
    assert_int_equal(lc_import_raw(buf, n, &l, "dump", &s, &err), LC_ERR_LIMIT);
    buf[7] = 0;
    buf[5] = 0x10; /* 4096 + 50 lines */
    assert_int_equal(lc_import_raw(buf, n, &l, "dump", &s, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "truncated"));
    buf[5] = 0;
    /* A sample above the stated bit depth names its byte offset. */
    /* synth() stays below 4096 everywhere; raise one sample above it. */
    l.bits = 12;
    l.air = 0;
    put16(buf + H + 2 * (3 * P + 5), 5000, 0);
    assert_int_equal(lc_import_raw(buf, n, &l, "dump", &s, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "exceeds the 12-bit maximum"));
    assert_non_null(strstr(err.msg, "line 3, pixel 5"));
    assert_null(s);
}

static void test_import_bad_layouts(void **state)
{
    (void)state;
    unsigned char buf[40] = {0};
    lc_raw_layout l;
    lc_scan *s = NULL;
    lc_error err;
    lc_raw_layout_init(&l);
    /* No pixels given. */
    assert_int_equal(lc_import_raw(buf, sizeof buf, &l, "x", &s, &err), LC_ERR_ARG);
    l.pixels = 3;
    /* 40 bytes are not a whole number of 12-byte lines. */
    assert_int_equal(lc_import_raw(buf, sizeof buf, &l, "x", &s, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "whole number"));
    assert_int_equal(lc_import_raw(buf, 36, &l, "x", &s, &err), LC_OK);
    assert_int_equal(lc_view_lines(lc_scan_view(s, 0)), 3);
    lc_scan_free(s);
    /* Empty data. */
    assert_int_equal(lc_import_raw(buf, 0, &l, "x", &s, &err), LC_ERR_FORMAT);
    /* Header longer than the file. */
    l.header_bytes = 41;
    assert_int_equal(lc_import_raw(buf, sizeof buf, &l, "x", &s, &err), LC_ERR_FORMAT);
    l.header_bytes = 0;
    /* Same channel twice, bits too wide, air above the bit depth. */
    l.planes[1] = LC_HIGH;
    assert_int_equal(lc_import_raw(buf, 36, &l, "x", &s, &err), LC_ERR_ARG);
    l.planes[1] = LC_LOW;
    l.bits = 17;
    assert_int_equal(lc_import_raw(buf, 36, &l, "x", &s, &err), LC_ERR_ARG);
    l.bits = 12;
    l.air = 4096;
    assert_int_equal(lc_import_raw(buf, 36, &l, "x", &s, &err), LC_ERR_ARG);
    l.air = 0;
    /* 8-bit samples. */
    l.bytes_per_sample = 1;
    l.bits = 0;
    assert_int_equal(lc_import_raw(buf, 36, &l, "x", &s, &err), LC_OK);
    assert_int_equal(lc_view_lines(lc_scan_view(s, 0)), 6);
    assert_int_equal(lc_scan_max_value(s), 255);
    lc_scan_free(s);
    /* Missing file. */
    assert_int_equal(lc_import_raw_file("/nonexistent/dump.raw", &l, &s, &err), LC_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/dump.raw"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_views),
        cmocka_unit_test(test_refs_and_clone),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_import_layouts),
        cmocka_unit_test(test_import_vendor_header),
        cmocka_unit_test(test_import_bad_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
