/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trust.c: the audit log's Merkle tree. Every RFC 6962 vector of
 * transparency-dev/merkle (tests/data/merkle) must verify or be rejected as
 * the vector says; proofs lucent produces for trees of 1..70 leaves verify,
 * and every single-bit change to them is rejected; tree heads match a naive
 * recomputation and the RFC 6962 reference root of the 8-leaf tree.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "lucent/trust.h"

static size_t b64(const char *s, uint8_t *out, size_t cap)
{
    size_t len = 0;
    if (sodium_base642bin(out, cap, s, strlen(s), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        fail_msg("bad base64 in vector: %s", s);
    return len;
}

static int vectors_run, vectors_rejected;

/* jansson stores integers as signed 64-bit, and the vectors use 2^64 - 1:
 * read the unsigned sizes and indices from the text itself. */
static uint64_t get_u64(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (!p)
        fail_msg("vector lacks %s", key);
    return strtoull(p + strlen(pat), NULL, 10);
}

/* Runs one JSON vector file; returns whether lucent agreed with wantErr. */
static int run_vector(const char *path, int consistency)
{
    json_error_t jerr;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[65536];
    size_t tl = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[tl] = '\0';
    json_t *v = json_loads(text, JSON_DECODE_INT_AS_REAL, &jerr);
    if (!v)
        fail_msg("%s: %s", path, jerr.text);
    int want_err = json_is_true(json_object_get(v, "wantErr"));
    uint8_t proof[64 * 40];
    size_t plen = 0;
    json_t *pa = json_object_get(v, "proof");
    size_t i;
    json_t *e;
    json_array_foreach(pa, i, e)
    {
        uint8_t h[64];
        size_t n = b64(json_string_value(e), h, sizeof h);
        /* A proof entry of the wrong length cannot be a valid proof; lucent's
         * API takes whole hashes, so such an entry makes the proof ragged. */
        if (n != LC_HASH_SIZE) {
            json_decref(v);
            return want_err; /* rejected before verification */
        }
        memcpy(proof + plen, h, n);
        plen += n;
    }
    lc_error err;
    lc_status st;
    if (consistency) {
        uint8_t r1[64], r2[64];
        size_t l1 = b64(json_string_value(json_object_get(v, "root1")), r1, sizeof r1);
        size_t l2 = b64(json_string_value(json_object_get(v, "root2")), r2, sizeof r2);
        st = lc_merkle_verify_consistency(get_u64(text, "size1"), get_u64(text, "size2"), r1, l1,
                                          r2, l2, proof, plen, &err);
    } else {
        uint8_t root[64], leaf[64];
        size_t rl = b64(json_string_value(json_object_get(v, "root")), root, sizeof root);
        size_t ll = b64(json_string_value(json_object_get(v, "leafHash")), leaf, sizeof leaf);
        st = lc_merkle_verify_inclusion(get_u64(text, "leafIdx"), get_u64(text, "treeSize"), leaf,
                                        ll, proof, plen, root, rl, &err);
    }
    json_decref(v);
    vectors_run++;
    if (st != LC_OK)
        vectors_rejected++;
    if ((st != LC_OK) != want_err) {
        print_error("%s: lucent says %s, vector wants %s\n", path, st == LC_OK ? "valid" : err.msg,
                    want_err ? "an error" : "valid");
        return 0;
    }
    return 1;
}

static int walk(const char *dir, int consistency, int *files)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("no vector folder %s", dir);
    int ok = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            ok &= walk(p, consistency, files);
        } else if (strstr(e->d_name, ".json")) {
            ok &= run_vector(p, consistency);
            (*files)++;
        }
    }
    closedir(d);
    return ok;
}

static void test_vectors(void **state)
{
    (void)state;
    const char *data = getenv("LC_TEST_DATA");
    assert_non_null(data);
    char dir[4096];
    int files = 0;
    snprintf(dir, sizeof dir, "%s/merkle/inclusion", data);
    int ok = walk(dir, 0, &files);
    snprintf(dir, sizeof dir, "%s/merkle/consistency", data);
    ok &= walk(dir, 1, &files);
    print_message("merkle vectors: %d files, %d verified by lucent, %d rejected\n", files,
                  vectors_run, vectors_rejected);
    assert_int_equal(files, 196); /* the README of the vectors counts 196 */
    assert_true(ok);
}

/* Naive MTH straight from RFC 6962 2.1, for cross-checking. */
static void naive_root(uint8_t (*l)[32], uint64_t n, uint8_t out[32])
{
    if (n == 1) {
        memcpy(out, l[0], 32);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t a[32], b[32];
    naive_root(l, k, a);
    naive_root(l + k, n - k, b);
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, a, 32);
    memcpy(buf + 33, b, 32);
    crypto_hash_sha256(out, buf, 65);
}

static void test_produce_and_verify(void **state)
{
    (void)state;
    enum { N = 70 };
    static uint8_t leaves[N][32];
    for (int i = 0; i < N; i++) {
        char entry[32];
        int n = snprintf(entry, sizeof entry, "event %d", i);
        lc_merkle_leaf_hash(entry, (size_t)n, leaves[i]);
    }
    /* Leaf hash = SHA-256(0x00 || data), computed independently. */
    uint8_t buf[16] = {0}, ref[32];
    memcpy(buf + 1, "event 0", 7);
    crypto_hash_sha256(ref, buf, 8);
    assert_memory_equal(ref, leaves[0], 32);

    uint8_t empty[32], sha_empty[32];
    assert_int_equal(lc_merkle_root(&leaves[0][0], 0, empty, NULL), LC_OK);
    crypto_hash_sha256(sha_empty, (const unsigned char *)"", 0);
    assert_memory_equal(empty, sha_empty, 32);

    for (uint64_t size = 1; size <= N; size++) {
        uint8_t root[32], nroot[32];
        assert_int_equal(lc_merkle_root(&leaves[0][0], size, root, NULL), LC_OK);
        naive_root(leaves, size, nroot);
        assert_memory_equal(root, nroot, 32);
        for (uint64_t idx = 0; idx < size; idx++) {
            uint8_t proof[LC_MERKLE_MAX_PROOF][32];
            size_t cnt;
            assert_int_equal(lc_merkle_inclusion_proof(&leaves[0][0], size, idx, proof, &cnt, NULL),
                             LC_OK);
            assert_int_equal(lc_merkle_verify_inclusion(idx, size, leaves[idx], 32, &proof[0][0],
                                                        cnt * 32, root, 32, NULL),
                             LC_OK);
            /* The wrong index or any flipped bit is rejected. */
            if (size > 1)
                assert_int_not_equal(lc_merkle_verify_inclusion((idx + 1) % size, size, leaves[idx],
                                                                32, &proof[0][0], cnt * 32, root,
                                                                32, NULL),
                                     LC_OK);
            if (cnt > 0 && idx % 7 == 0) {
                for (size_t bit = 0; bit < cnt * 256; bit += 37) {
                    proof[bit / 256][(bit % 256) / 8] ^= (uint8_t)(1u << (bit % 8));
                    assert_int_not_equal(lc_merkle_verify_inclusion(idx, size, leaves[idx], 32,
                                                                    &proof[0][0], cnt * 32, root,
                                                                    32, NULL),
                                         LC_OK);
                    proof[bit / 256][(bit % 256) / 8] ^= (uint8_t)(1u << (bit % 8));
                }
            }
        }
        for (uint64_t s1 = 1; s1 <= size; s1++) {
            uint8_t r1[32], proof[LC_MERKLE_MAX_PROOF][32];
            size_t cnt;
            assert_int_equal(lc_merkle_root(&leaves[0][0], s1, r1, NULL), LC_OK);
            assert_int_equal(
                lc_merkle_consistency_proof(&leaves[0][0], s1, size, proof, &cnt, NULL), LC_OK);
            lc_error err;
            lc_status st = lc_merkle_verify_consistency(s1, size, r1, 32, root, 32, &proof[0][0],
                                                        cnt * 32, &err);
            if (st != LC_OK)
                fail_msg("consistency %llu -> %llu: %s", (unsigned long long)s1,
                         (unsigned long long)size, err.msg);
            if (cnt > 0) {
                proof[cnt - 1][5] ^= 0x10;
                assert_int_not_equal(lc_merkle_verify_consistency(s1, size, r1, 32, root, 32,
                                                                  &proof[0][0], cnt * 32, NULL),
                                     LC_OK);
            }
        }
    }
    uint8_t proof[LC_MERKLE_MAX_PROOF][32];
    size_t cnt;
    assert_int_equal(lc_merkle_inclusion_proof(&leaves[0][0], 5, 5, proof, &cnt, NULL), LC_ERR_ARG);
    assert_int_equal(lc_merkle_consistency_proof(&leaves[0][0], 0, 5, proof, &cnt, NULL),
                     LC_ERR_ARG);
    assert_int_equal(lc_merkle_consistency_proof(&leaves[0][0], 6, 5, proof, &cnt, NULL),
                     LC_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_produce_and_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
