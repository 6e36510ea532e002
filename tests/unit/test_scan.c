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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_views),
        cmocka_unit_test(test_refs_and_clone),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
