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
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* ---- keys, notes, audit log, sealing -------------------------------------- */

static char tmpdir[256];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lucent-trust-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_keys_and_notes(void **state)
{
    (void)state;
    char dir[512], dir2[512];
    snprintf(dir, sizeof dir, "%s/keys", tmpdir);
    snprintf(dir2, sizeof dir2, "%s/keys-sealed", tmpdir);
    lc_error err;
    assert_int_equal(lc_keys_init(dir, "lucent.embassy-07", NULL, &err), LC_OK);
    /* Never replaced. */
    assert_int_equal(lc_keys_init(dir, "lucent.embassy-07", NULL, &err), LC_ERR_STATE);
    assert_int_equal(lc_keys_init(dir2, "bad name", NULL, &err), LC_ERR_ARG);
    char p[600];
    struct stat sb;
    snprintf(p, sizeof p, "%s/site.key", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(p, sizeof p, "%s/data.key", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    lc_site_keys *k = NULL;
    assert_int_equal(lc_keys_load(dir, NULL, &k, &err), LC_OK);
    assert_string_equal(lc_keys_name(k), "lucent.embassy-07");
    const char *vkey = lc_keys_vkey(k);
    assert_true(strncmp(vkey, "lucent.embassy-07+", 18) == 0);

    /* The key id is SHA-256(name || 0x0A || 0x01 || pk)[0:4], computed here. */
    const char *b64 = vkey + 18 + 9; /* after "<name>+<8 hex>+"; base64 may hold "+" */
    uint8_t raw[33], h[32];
    size_t got;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, b64, strlen(b64), NULL, &got, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(got, 33);
    assert_int_equal(raw[0], 1);
    uint8_t msg[64];
    size_t nl = strlen("lucent.embassy-07");
    memcpy(msg, "lucent.embassy-07", nl);
    msg[nl] = 0x0A;
    memcpy(msg + nl + 1, raw, 33);
    crypto_hash_sha256(h, msg, nl + 34);
    char hex[9];
    sodium_bin2hex(hex, sizeof hex, h, 4);
    assert_memory_equal(vkey + 18, hex, 8);

    /* A signed note verifies, and its signature is plain Ed25519 over the text. */
    const char *text = "lucent.embassy-07\n42\nq5Yf5mS0aKr9fGZ2Xc6qZyWgF0QxA0h8lC6w6kzZrxM=\n";
    char *note = NULL;
    assert_int_equal(lc_note_sign(k, text, &note, &err), LC_OK);
    size_t tl = 0;
    assert_int_equal(lc_note_verify(vkey, note, strlen(note), &tl, &err), LC_OK);
    assert_int_equal(tl, strlen(text));
    const char *sigline = strstr(note, "\xe2\x80\x94 lucent.embassy-07 ");
    assert_non_null(sigline);
    uint8_t sig[68];
    const char *sb64 = sigline + strlen("\xe2\x80\x94 lucent.embassy-07 ");
    assert_int_equal(sodium_base642bin(sig, sizeof sig, sb64, strcspn(sb64, "\n"), NULL, &got, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(got, 68);
    assert_memory_equal(sig, h, 4);
    assert_int_equal(
        crypto_sign_verify_detached(sig + 4, (const uint8_t *)text, strlen(text), raw + 1), 0);
    /* Any change to the text breaks it. */
    for (size_t i = 0; i < strlen(text); i += 5) {
        note[i] ^= 0x01;
        assert_int_not_equal(lc_note_verify(vkey, note, strlen(note), NULL, NULL), LC_OK);
        note[i] ^= 0x01;
    }
    /* Bad texts are refused at signing. */
    char *bad = NULL;
    assert_int_equal(lc_note_sign(k, "no newline", &bad, NULL), LC_ERR_ARG);
    assert_int_equal(lc_note_sign(k, "a\n\nb\n", &bad, NULL), LC_ERR_ARG);
    assert_null(bad);

    /* Sealed keys: the right passphrase opens them, a wrong one does not, and
     * another site's key does not verify this site's notes. */
    assert_int_equal(lc_keys_init(dir2, "lucent.other", "correct horse", &err), LC_OK);
    lc_site_keys *k2 = NULL;
    assert_int_equal(lc_keys_load(dir2, "wrong", &k2, &err), LC_ERR_FORMAT);
    assert_null(k2);
    assert_null(strstr(err.msg, "wrong\"")); /* the passphrase is not echoed */
    assert_int_equal(lc_keys_load(dir2, NULL, &k2, &err), LC_ERR_ARG);
    assert_int_equal(lc_keys_load(dir2, "correct horse", &k2, &err), LC_OK);
    assert_int_not_equal(lc_note_verify(lc_keys_vkey(k2), note, strlen(note), NULL, &err), LC_OK);
    assert_non_null(strstr(err.msg, "not signed by"));
    /* The secret never appears in the key file in the clear when sealed. */
    snprintf(p, sizeof p, "%s/site.key", dir2);
    FILE *f = fopen(p, "r");
    char filebuf[4096];
    size_t fl = fread(filebuf, 1, sizeof filebuf - 1, f);
    fclose(f);
    filebuf[fl] = 0;
    assert_null(strstr(filebuf, "\"secret\""));
    assert_non_null(strstr(filebuf, "argon2id"));

    /* Checkpoint bodies. */
    uint8_t root[32], root2[32];
    for (int i = 0; i < 32; i++)
        root[i] = (uint8_t)i;
    char body[256], origin[LC_KEY_NAME_MAX];
    uint64_t size = 0;
    assert_int_equal(lc_checkpoint_format("lucent.embassy-07", 1234, root, body, sizeof body, NULL),
                     LC_OK);
    assert_int_equal(lc_checkpoint_parse(body, strlen(body), origin, &size, root2, NULL), LC_OK);
    assert_string_equal(origin, "lucent.embassy-07");
    assert_int_equal(size, 1234);
    assert_memory_equal(root, root2, 32);
    assert_int_equal(lc_checkpoint_parse("o\n01\nAA==\n", 10, origin, &size, root2, NULL),
                     LC_ERR_FORMAT);
    free(note);
    lc_keys_free(k);
    lc_keys_free(k2);
}

static void read_all(const char *path, uint8_t **buf, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(*n + 1);
    assert_int_equal(fread(*buf, 1, *n, f), *n);
    fclose(f);
}

static void write_all(const char *path, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void test_audit_log(void **state)
{
    (void)state;
    char kdir[512], log[512];
    snprintf(kdir, sizeof kdir, "%s/audit-keys", tmpdir);
    snprintf(log, sizeof log, "%s/audit.log", tmpdir);
    lc_error err;
    assert_int_equal(lc_keys_init(kdir, "lucent.site", NULL, &err), LC_OK);
    lc_site_keys *k = NULL;
    assert_int_equal(lc_keys_load(kdir, NULL, &k, &err), LC_OK);

    lc_audit *a = NULL;
    uint64_t torn = 99;
    assert_int_equal(lc_audit_open(log, &a, &torn, &err), LC_OK);
    assert_int_equal(torn, 0);
    enum { N = 6 };
    uint8_t leaves[N][32];
    for (int i = 0; i < N; i++) {
        char e[64];
        int n = snprintf(e, sizeof e, "{\"event\":\"decision\",\"bag\":%d}", i);
        uint64_t idx;
        assert_int_equal(lc_audit_append(a, e, (size_t)n, &idx, &err), LC_OK);
        assert_int_equal(idx, (uint64_t)i);
        lc_merkle_leaf_hash(e, (size_t)n, leaves[i]);
        uint8_t head[32], want[32];
        lc_audit_head(a, head);
        assert_int_equal(lc_merkle_root(&leaves[0][0], (uint64_t)i + 1, want, NULL), LC_OK);
        assert_memory_equal(head, want, 32);
        if (i == 2) {
            char *note = NULL;
            assert_int_equal(lc_audit_checkpoint(a, k, &note, &err), LC_OK);
            assert_non_null(strstr(note, "lucent.site\n3\n"));
            free(note);
        }
    }
    assert_int_equal(lc_audit_checkpoint(a, k, NULL, &err), LC_OK);
    assert_int_equal(lc_audit_append(a, "", 0, NULL, &err), LC_ERR_ARG);
    lc_audit_close(a);

    lc_audit_report rep;
    const char *vkey = lc_keys_vkey(k);
    lc_status st = lc_audit_verify(log, vkey, NULL, &rep, &err);
    if (st != LC_OK)
        fail_msg("verify: %s", err.msg);
    assert_int_equal(rep.entries, N);
    assert_int_equal(rep.checkpoints, 2);
    /* Checkpoints cannot be checked without the verifier key. */
    assert_int_equal(lc_audit_verify(log, NULL, NULL, &rep, &err), LC_ERR_ARG);

    /* Every single flipped bit of the log file is detected. */
    uint8_t *orig;
    size_t n;
    read_all(log, &orig, &n);
    int missed = 0;
    for (size_t bit = 0; bit < n * 8; bit++) {
        orig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        write_all(log, orig, n);
        if (lc_audit_verify(log, vkey, NULL, &rep, NULL) == LC_OK)
            missed++;
        orig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(missed, 0);
    write_all(log, orig, n);
    assert_int_equal(lc_audit_verify(log, vkey, NULL, &rep, NULL), LC_OK);

    /* Record boundaries, for truncating, reordering and splicing. */
    size_t off[N + 1];
    off[0] = 8;
    for (int i = 0; i < N; i++) {
        uint32_t len = (uint32_t)orig[off[i]] << 24 | (uint32_t)orig[off[i] + 1] << 16 |
                       (uint32_t)orig[off[i] + 2] << 8 | orig[off[i] + 3];
        off[i + 1] = off[i] + 8 + len + 32;
    }
    assert_int_equal(off[N], n);
    /* Truncated by whole records: the last checkpoint (6 entries) catches it. */
    write_all(log, orig, off[N - 1]);
    assert_int_equal(lc_audit_verify(log, vkey, NULL, &rep, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "removed or truncated"));
    /* Reordered: swap entries 1 and 2 (same lengths are not needed). */
    uint8_t *re = malloc(n);
    size_t o = 0;
    int order[N] = {0, 2, 1, 3, 4, 5};
    for (int i = 0; i < N; i++) {
        size_t len = off[order[i] + 1] - off[order[i]];
        memcpy(re + 8 + o, orig + off[order[i]], len);
        o += len;
    }
    memcpy(re, orig, 8);
    write_all(log, re, n);
    assert_int_equal(lc_audit_verify(log, vkey, NULL, &rep, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "do not match the signed checkpoint"));
    /* Spliced: entry 4 replaced by a well-formed record of other content. */
    char other[512];
    snprintf(other, sizeof other, "%s/other.log", tmpdir);
    lc_audit *b = NULL;
    assert_int_equal(lc_audit_open(other, &b, NULL, &err), LC_OK);
    for (int i = 0; i < N; i++) {
        char e[64];
        int m = snprintf(e, sizeof e, "{\"event\":\"decision\",\"bag\":%d}", i == 4 ? 9 : i);
        assert_int_equal(lc_audit_append(b, e, (size_t)m, NULL, &err), LC_OK);
    }
    lc_audit_close(b);
    uint8_t *ob;
    size_t on;
    read_all(other, &ob, &on);
    assert_int_equal(on, n);
    memcpy(re, orig, n);
    memcpy(re + off[4], ob + off[4], off[5] - off[4]);
    write_all(log, re, n);
    assert_int_equal(lc_audit_verify(log, vkey, NULL, &rep, &err), LC_ERR_FORMAT);
    /* An earlier checkpoint still proves the first 3 entries of a log that
     * was later cut back and re-grown differently. */
    char ck3[600];
    snprintf(ck3, sizeof ck3, "%s.ckpt/%020d.note", log, 3);
    struct stat sb;
    assert_int_equal(stat(ck3, &sb), 0);

    /* A torn final record (never acknowledged) is dropped on open. */
    write_all(log, orig, n);
    uint8_t *torn_buf = malloc(n + 20);
    memcpy(torn_buf, orig, n);
    memcpy(torn_buf + n, orig + off[0], 20); /* a record cut after 20 bytes */
    write_all(log, torn_buf, n + 20);
    assert_int_equal(lc_audit_verify(log, vkey, NULL, &rep, &err), LC_OK);
    assert_int_equal(rep.torn_bytes, 20);
    assert_int_equal(lc_audit_open(log, &a, &torn, &err), LC_OK);
    assert_int_equal(torn, 20);
    assert_int_equal(lc_audit_size(a), N);
    assert_int_equal(lc_audit_append(a, "after", 5, NULL, &err), LC_OK);
    lc_audit_close(a);
    assert_int_equal(lc_audit_verify(log, vkey, NULL, &rep, &err), LC_OK);
    assert_int_equal(rep.entries, N + 1);
    assert_int_equal(rep.torn_bytes, 0);
    /* A damaged log is not opened for appending. */
    memcpy(re, orig, n);
    re[off[4] + 12] ^= 0x08;
    write_all(log, re, n);
    assert_int_equal(lc_audit_open(log, &a, NULL, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "entry 4"));

    free(torn_buf);
    free(ob);
    free(re);
    free(orig);
    lc_keys_free(k);
}

/* kill -9 at a random moment during appends loses no acknowledged entry. */
static void test_audit_crash(void **state)
{
    (void)state;
    char log[512];
    snprintf(log, sizeof log, "%s/crash.log", tmpdir);
    for (int round = 0; round < 5; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            lc_audit *a = NULL;
            if (lc_audit_open(log, &a, NULL, NULL) != LC_OK)
                _exit(3);
            for (uint64_t i = 0;; i++) {
                char e[64];
                int m = snprintf(e, sizeof e, "entry %d/%llu", round, (unsigned long long)i);
                uint64_t idx;
                if (lc_audit_append(a, e, (size_t)m, &idx, NULL) != LC_OK)
                    _exit(4);
                /* Acknowledge only after append returned. */
                if (write(fds[1], &idx, sizeof idx) != sizeof idx)
                    _exit(5);
            }
        }
        close(fds[1]);
        struct timespec ts = {0, (long)(20 + 17 * round) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int wst;
        waitpid(pid, &wst, 0);
        uint64_t idx, last = 0;
        int acked = 0;
        while (read(fds[0], &idx, sizeof idx) == sizeof idx) {
            last = idx;
            acked = 1;
        }
        close(fds[0]);
        lc_audit *a = NULL;
        lc_error err;
        lc_status st = lc_audit_open(log, &a, NULL, &err);
        if (st != LC_OK)
            fail_msg("reopen after kill -9: %s", err.msg);
        if (acked)
            assert_true(lc_audit_size(a) >= last + 1);
        lc_audit_close(a);
    }
    lc_audit_report rep;
    assert_int_equal(lc_audit_verify(log, NULL, NULL, &rep, NULL), LC_OK);
    print_message("crash test: %llu entries survive 5 kill -9 rounds\n",
                  (unsigned long long)rep.entries);
}

static void test_seal(void **state)
{
    (void)state;
    uint8_t key[32], key2[32];
    assert_int_equal(lc_key_random(key, NULL), LC_OK);
    assert_int_equal(lc_key_random(key2, NULL), LC_OK);
    size_t sizes[] = {0, 1, 65536, 65537, 200000};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t len = sizes[t];
        uint8_t *data = malloc(len + 1);
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)(i * 31 + 7);
        uint8_t *sealed, *plain;
        size_t sl, pl;
        assert_int_equal(lc_seal(key, "scan/BAG-1/view0.dcs", data, len, &sealed, &sl, NULL),
                         LC_OK);
        assert_int_equal(lc_unseal(key, "scan/BAG-1/view0.dcs", sealed, sl, &plain, &pl, NULL),
                         LC_OK);
        assert_int_equal(pl, len);
        if (len)
            assert_memory_equal(plain, data, len);
        free(plain);
        lc_error err;
        /* Renamed (other identity), other key, truncated, extended, edited. */
        assert_int_equal(lc_unseal(key, "scan/BAG-2/view0.dcs", sealed, sl, &plain, &pl, &err),
                         LC_ERR_FORMAT);
        assert_null(plain);
        assert_int_equal(lc_unseal(key2, "scan/BAG-1/view0.dcs", sealed, sl, &plain, &pl, &err),
                         LC_ERR_FORMAT);
        for (size_t cut = 1; cut < sl; cut += (sl / 7 + 1))
            assert_int_equal(
                lc_unseal(key, "scan/BAG-1/view0.dcs", sealed, sl - cut, &plain, &pl, &err),
                LC_ERR_FORMAT);
        for (size_t i = 0; i < sl; i += (sl / 13 + 1)) {
            sealed[i] ^= 0x40;
            assert_int_equal(lc_unseal(key, "scan/BAG-1/view0.dcs", sealed, sl, &plain, &pl, &err),
                             LC_ERR_FORMAT);
            sealed[i] ^= 0x40;
        }
        free(sealed);
        free(data);
    }
    /* Splicing: the first chunk of one object cannot start another. */
    uint8_t big[150000];
    memset(big, 7, sizeof big);
    uint8_t *s1, *s2, *plain;
    size_t l1, l2, pl;
    assert_int_equal(lc_seal(key, "a", big, sizeof big, &s1, &l1, NULL), LC_OK);
    assert_int_equal(lc_seal(key, "a", big, sizeof big, &s2, &l2, NULL), LC_OK);
    assert_int_equal(l1, l2);
    size_t chunk1 = 8 + 24 + 4 + 65536 + 17;
    memcpy(s2 + chunk1, s1 + chunk1, l1 - chunk1);
    assert_int_equal(lc_unseal(key, "a", s2, l2, &plain, &pl, NULL), LC_ERR_FORMAT);
    free(s1);
    free(s2);

    /* Files, and crypto-erasure by wrapped per-object keys. */
    char path[512];
    snprintf(path, sizeof path, "%s/sealed.bin", tmpdir);
    uint8_t obj[32], wrapped[LC_WRAPPED_KEY_SIZE], back[32];
    assert_int_equal(lc_key_random(obj, NULL), LC_OK);
    lc_key_wrap(key, obj, wrapped);
    assert_int_equal(lc_key_unwrap(key, wrapped, back, NULL), LC_OK);
    assert_memory_equal(obj, back, 32);
    assert_int_equal(lc_key_unwrap(key2, wrapped, back, NULL), LC_ERR_FORMAT);
    assert_int_equal(lc_seal_file(obj, path, "sealed.bin", "report", 6, NULL), LC_OK);
    uint8_t *out;
    size_t ol;
    assert_int_equal(lc_unseal_file(obj, path, "sealed.bin", &out, &ol, NULL), LC_OK);
    assert_int_equal(ol, 6);
    assert_memory_equal(out, "report", 6);
    free(out);
    assert_int_equal(lc_unseal_file(obj, path, "renamed.bin", &out, &ol, NULL), LC_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),        cmocka_unit_test(test_produce_and_verify),
        cmocka_unit_test(test_keys_and_notes), cmocka_unit_test(test_audit_log),
        cmocka_unit_test(test_audit_crash),    cmocka_unit_test(test_seal),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
