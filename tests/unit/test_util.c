/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.c: the string helpers every module copies outside text with,
 * and error messages that quote it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lucent/error.h"
#include "util/util.h"

/* Truncation keeps whole UTF-8 characters: a label or a name cut inside a
 * character would be invalid UTF-8, which the JSON encoder refuses. */
static void test_strlcpy_utf8(void **state)
{
    (void)state;
    char d[8];
    assert_true(lc__strlcpy(d, "abc", sizeof d));
    assert_string_equal(d, "abc");
    assert_false(lc__strlcpy(d, "abcdefghij", sizeof d));
    assert_string_equal(d, "abcdefg");
    /* "M" + "é" (2 bytes) + "nage" fills 7 bytes exactly */
    assert_false(lc__strlcpy(d, "M\xc3\xa9nage \xc3\xa0", sizeof d));
    assert_string_equal(d, "M\xc3\xa9nage");
    char e[4];
    /* "éé" is 4 bytes: the second does not fit whole */
    assert_false(lc__strlcpy(e, "\xc3\xa9\xc3\xa9", sizeof e));
    assert_string_equal(e, "\xc3\xa9");
    json_t *j = json_string(e);
    assert_non_null(j);
    json_decref(j);
    /* a 4-byte character (U+1F512) after one byte: only the byte stays */
    char f[5];
    assert_false(lc__strlcpy(f, "a\xf0\x9f\x94\x92", sizeof f));
    assert_string_equal(f, "a");
    /* a 3-byte character that does not fit at all */
    char g[3];
    assert_false(lc__strlcpy(g, "\xe2\x80\xa6", sizeof g));
    assert_string_equal(g, "");
    assert_false(lc__strlcpy(g, "x", 0));
    assert_true(lc__strlcpy(g, NULL, sizeof g));
    assert_string_equal(g, "");
}

/* An error message quoting long non-ASCII text is cut between characters,
 * by lc_error_set and by lc_error_prefix. */
static void test_error_message_utf8(void **state)
{
    (void)state;
    char big[2000];
    size_t n = 0;
    while (n + 2 < sizeof big) { /* "é" repeated, longer than any message */
        big[n++] = '\xc3';
        big[n++] = '\xa9';
    }
    big[n] = '\0';
    lc_error err;
    for (int shift = 0; shift < 2; shift++) {
        lc_error_set(&err, LC_ERR_FORMAT, "%.*s%s", shift, "x", big);
        assert_int_equal(err.status, LC_ERR_FORMAT);
        json_t *j = json_string(err.msg);
        assert_non_null(j);
        json_decref(j);
        assert_true(strlen(err.msg) >= sizeof err.msg - 4);
        lc_error_prefix(&err, "%.*sfile.json: ", shift, "y");
        j = json_string(err.msg);
        assert_non_null(j);
        json_decref(j);
    }
}

/* Well-formed UTF-8 as jansson and RFC 3629 define it. */
static void test_utf8_len(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
    } cases[] = {
        {"a", 1},
        {"\xc3\xa9", 2},         /* e acute */
        {"\xe2\x80\xa6", 3},     /* ellipsis */
        {"\xf0\x9f\x94\x92", 4}, /* U+1F512 */
        {"\xf4\x8f\xbf\xbf", 4}, /* U+10FFFF */
        {"\xe9", 0},             /* Latin-1 e acute */
        {"\xc0\x80", 0},         /* overlong NUL */
        {"\xc1\xbf", 0},         /* overlong */
        {"\xe0\x80\xaf", 0},     /* overlong */
        {"\xed\xa0\x80", 0},     /* surrogate U+D800 */
        {"\xf0\x80\x80\xaf", 0}, /* overlong */
        {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 0}, /* above U+10FFFF */
        {"\xc3", 0},             /* cut short */
        {"\xe2\x80", 0},         /* cut short */
        {"\x80", 0},             /* a lone continuation byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(lc__utf8_len((const unsigned char *)cases[i].s, strlen(cases[i].s)),
                         cases[i].len);
    assert_int_equal(lc__utf8_len((const unsigned char *)"\xc3\xa9", 1), 0);
}

/* Outside bytes become valid UTF-8: stray bytes read as Latin-1, NUL as a
 * space, cut between characters. */
static void test_utf8_copy(void **state)
{
    (void)state;
    char d[16];
    assert_int_equal(lc__utf8_copy(d, sizeof d, "caf\xe9", 4), 5);
    assert_string_equal(d, "caf\xc3\xa9");
    assert_int_equal(lc__utf8_copy(d, sizeof d, "a\0b", 3), 3);
    assert_string_equal(d, "a b");
    assert_int_equal(lc__utf8_copy(d, sizeof d, "\xe2\x80\xa6\xed\xa0\x80", 6), 9);
    assert_string_equal(d, "\xe2\x80\xa6\xc3\xad\xc2\xa0\xc2\x80");
    char e[4];
    assert_int_equal(lc__utf8_copy(e, sizeof e, "ab\xe9", 3), 2); /* the 2-byte form does not fit */
    assert_string_equal(e, "ab");
    assert_int_equal(lc__utf8_copy(e, sizeof e, "\xf0\x9f\x94\x92", 4), 0);
    assert_string_equal(e, "");
    json_t *j = json_string(d);
    assert_non_null(j);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strlcpy_utf8),
        cmocka_unit_test(test_error_message_utf8),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_utf8_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
