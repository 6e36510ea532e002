/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merkle.c: RFC 6962 / RFC 9162 Merkle trees over SHA-256 (see
 * lucent/trust.h). Tree heads and proofs are computed by the recursive
 * definitions of RFC 6962 section 2.1 (split at the largest power of two
 * below n); verification follows the iterative algorithms of RFC 9162
 * sections 2.1.3.2 and 2.1.4.2, which never need the leaves.
 */
#include <sodium.h>
#include <string.h>

#include "lucent/trust.h"

void lc_merkle_leaf_hash(const void *data, size_t len, uint8_t out[LC_HASH_SIZE])
{
    crypto_hash_sha256_state st;
    const uint8_t prefix = 0x00;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, out);
}

void lc_merkle_node_hash(const uint8_t left[LC_HASH_SIZE], const uint8_t right[LC_HASH_SIZE],
                         uint8_t out[LC_HASH_SIZE])
{
    crypto_hash_sha256_state st;
    const uint8_t prefix = 0x01;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, left, LC_HASH_SIZE);
    crypto_hash_sha256_update(&st, right, LC_HASH_SIZE);
    crypto_hash_sha256_final(&st, out);
}

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

/* MTH(D[lo..lo+n)) for n >= 1. Recursion depth is at most 64. */
static void subtree_root(const uint8_t *leaves, uint64_t lo, uint64_t n, uint8_t out[LC_HASH_SIZE])
{
    if (n == 1) {
        memcpy(out, leaves + lo * LC_HASH_SIZE, LC_HASH_SIZE);
        return;
    }
    uint64_t k = split_point(n);
    uint8_t l[LC_HASH_SIZE], r[LC_HASH_SIZE];
    subtree_root(leaves, lo, k, l);
    subtree_root(leaves, lo + k, n - k, r);
    lc_merkle_node_hash(l, r, out);
}

lc_status lc_merkle_root(const uint8_t *leaves, uint64_t n, uint8_t out[LC_HASH_SIZE],
                         lc_error *err)
{
    if (n == 0) {
        crypto_hash_sha256(out, (const unsigned char *)"", 0);
        return LC_OK;
    }
    if (!leaves)
        return lc_error_set(err, LC_ERR_ARG, "merkle: no leaves");
    subtree_root(leaves, 0, n, out);
    return LC_OK;
}

/* PATH(m, D[lo..lo+n)) of RFC 6962 2.1.1, appended bottom-up to proof. */
static void path(const uint8_t *leaves, uint64_t m, uint64_t lo, uint64_t n,
                 uint8_t proof[][LC_HASH_SIZE], size_t *count)
{
    if (n <= 1)
        return;
    uint64_t k = split_point(n);
    if (m < k) {
        path(leaves, m, lo, k, proof, count);
        subtree_root(leaves, lo + k, n - k, proof[(*count)++]);
    } else {
        path(leaves, m - k, lo + k, n - k, proof, count);
        subtree_root(leaves, lo, k, proof[(*count)++]);
    }
}

lc_status lc_merkle_inclusion_proof(const uint8_t *leaves, uint64_t size, uint64_t index,
                                    uint8_t proof[][LC_HASH_SIZE], size_t *count, lc_error *err)
{
    *count = 0;
    if (index >= size)
        return lc_error_set(err, LC_ERR_ARG, "merkle: leaf %llu is not in a tree of %llu",
                            (unsigned long long)index, (unsigned long long)size);
    path(leaves, index, 0, size, proof, count);
    return LC_OK;
}

/* SUBPROOF(m, D[lo..lo+n), b) of RFC 6962 2.1.2. */
static void subproof(const uint8_t *leaves, uint64_t m, uint64_t lo, uint64_t n, int b,
                     uint8_t proof[][LC_HASH_SIZE], size_t *count)
{
    if (m == n) {
        if (!b)
            subtree_root(leaves, lo, n, proof[(*count)++]);
        return;
    }
    uint64_t k = split_point(n);
    if (m <= k) {
        subproof(leaves, m, lo, k, b, proof, count);
        subtree_root(leaves, lo + k, n - k, proof[(*count)++]);
    } else {
        subproof(leaves, m - k, lo + k, n - k, 0, proof, count);
        subtree_root(leaves, lo, k, proof[(*count)++]);
    }
}

lc_status lc_merkle_consistency_proof(const uint8_t *leaves, uint64_t size1, uint64_t size2,
                                      uint8_t proof[][LC_HASH_SIZE], size_t *count, lc_error *err)
{
    *count = 0;
    if (size1 == 0 || size1 > size2)
        return lc_error_set(err, LC_ERR_ARG, "merkle: no consistency proof from %llu to %llu",
                            (unsigned long long)size1, (unsigned long long)size2);
    if (size1 < size2)
        subproof(leaves, size1, 0, size2, 1, proof, count);
    return LC_OK;
}

static int same_hash(const uint8_t *a, const uint8_t *b, size_t blen)
{
    return blen == LC_HASH_SIZE && sodium_memcmp(a, b, LC_HASH_SIZE) == 0;
}

lc_status lc_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t *leaf_hash,
                                     size_t leaf_len, const uint8_t *proof, size_t proof_len,
                                     const uint8_t *root, size_t root_len, lc_error *err)
{
    if (index >= size)
        return lc_error_set(err, LC_ERR_FORMAT, "inclusion: leaf %llu is not in a tree of %llu",
                            (unsigned long long)index, (unsigned long long)size);
    if (leaf_len != LC_HASH_SIZE)
        return lc_error_set(err, LC_ERR_FORMAT, "inclusion: leaf hash has %zu bytes, not 32",
                            leaf_len);
    if (proof_len % LC_HASH_SIZE != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "inclusion: proof of %zu bytes is not whole hashes",
                            proof_len);
    uint64_t fn = index, sn = size - 1;
    uint8_t r[LC_HASH_SIZE];
    memcpy(r, leaf_hash, LC_HASH_SIZE);
    for (size_t i = 0; i < proof_len / LC_HASH_SIZE; i++) {
        const uint8_t *p = proof + i * LC_HASH_SIZE;
        if (sn == 0)
            return lc_error_set(err, LC_ERR_FORMAT, "inclusion: proof is too long");
        if ((fn & 1) || fn == sn) {
            lc_merkle_node_hash(p, r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            lc_merkle_node_hash(r, p, r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "inclusion: proof is too short");
    if (!same_hash(r, root, root_len))
        return lc_error_set(err, LC_ERR_FORMAT, "inclusion: root does not match");
    return LC_OK;
}

lc_status lc_merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t *root1,
                                       size_t root1_len, const uint8_t *root2, size_t root2_len,
                                       const uint8_t *proof, size_t proof_len, lc_error *err)
{
    if (size2 < size1)
        return lc_error_set(err, LC_ERR_FORMAT, "consistency: size1 %llu exceeds size2 %llu",
                            (unsigned long long)size1, (unsigned long long)size2);
    if (size1 == 0)
        return lc_error_set(err, LC_ERR_FORMAT,
                            "consistency: a proof from the empty tree proves nothing");
    if (proof_len % LC_HASH_SIZE != 0)
        return lc_error_set(err, LC_ERR_FORMAT,
                            "consistency: proof of %zu bytes is not whole hashes", proof_len);
    if (size1 == size2) {
        if (proof_len != 0)
            return lc_error_set(err, LC_ERR_FORMAT, "consistency: equal sizes need an empty proof");
        if (root1_len != root2_len || sodium_memcmp(root1, root2, root1_len) != 0)
            return lc_error_set(err, LC_ERR_FORMAT, "consistency: equal sizes, different roots");
        return LC_OK;
    }
    if (proof_len == 0)
        return lc_error_set(err, LC_ERR_FORMAT, "consistency: empty proof");
    if (root1_len != LC_HASH_SIZE || root2_len != LC_HASH_SIZE)
        return lc_error_set(err, LC_ERR_FORMAT, "consistency: a root is not 32 bytes");
    size_t n = proof_len / LC_HASH_SIZE;
    size_t i = 0;
    uint8_t fr[LC_HASH_SIZE], sr[LC_HASH_SIZE];
    /* When size1 is a power of two, the old root itself starts the path. */
    if ((size1 & (size1 - 1)) == 0) {
        memcpy(fr, root1, LC_HASH_SIZE);
    } else {
        memcpy(fr, proof, LC_HASH_SIZE);
        i = 1;
    }
    memcpy(sr, fr, LC_HASH_SIZE);
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < n; i++) {
        const uint8_t *c = proof + i * LC_HASH_SIZE;
        if (sn == 0)
            return lc_error_set(err, LC_ERR_FORMAT, "consistency: proof is too long");
        if ((fn & 1) || fn == sn) {
            lc_merkle_node_hash(c, fr, fr);
            lc_merkle_node_hash(c, sr, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            lc_merkle_node_hash(sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "consistency: proof is too short");
    if (!same_hash(fr, root1, root1_len))
        return lc_error_set(err, LC_ERR_FORMAT, "consistency: old root does not match");
    if (!same_hash(sr, root2, root2_len))
        return lc_error_set(err, LC_ERR_FORMAT, "consistency: new root does not match");
    return LC_OK;
}
