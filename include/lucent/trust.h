/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/trust.h: the Merkle tree of the tamper-evident audit log (RFC 6962,
 * RFC 9162 section 2.1): SHA-256 leaf hashes with prefix 0x00, node hashes with
 * prefix 0x01, tree heads of any size, and inclusion and consistency proofs,
 * both produced and verified. SHA-256 is kept (rather than BLAKE2b) so the
 * public test vectors of other transparency logs apply.
 *
 * Verification functions take every hash as bytes plus a length, because
 * proofs come from outside: a hash of the wrong length is a failed proof,
 * never an out-of-bounds read. All functions are pure and thread-safe.
 */
#ifndef LUCENT_TRUST_H
#define LUCENT_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LC_HASH_SIZE 32
/* Longest proof for any tree of up to 2^64 leaves. */
#define LC_MERKLE_MAX_PROOF 64

/* SHA-256(0x00 || data): the hash of a log entry. */
void lc_merkle_leaf_hash(const void *data, size_t len, uint8_t out[LC_HASH_SIZE]);

/* SHA-256(0x01 || left || right): the hash of an inner node. */
void lc_merkle_node_hash(const uint8_t left[LC_HASH_SIZE], const uint8_t right[LC_HASH_SIZE],
                         uint8_t out[LC_HASH_SIZE]);

/* Leaf hashes are passed as one array of n * LC_HASH_SIZE bytes.
 *
 * The tree head (root hash) of the first n leaf hashes; for n = 0 it is
 * SHA-256 of the empty string. Borrowed input. Returns LC_OK or LC_ERR_ARG. */
LC_MUST_CHECK lc_status lc_merkle_root(const uint8_t *leaves, uint64_t n, uint8_t out[LC_HASH_SIZE],
                                       lc_error *err);

/* The inclusion proof of leaf `index` in the tree of the first `size` leaves
 * into proof[LC_MERKLE_MAX_PROOF], its length in *count. Returns LC_OK or
 * LC_ERR_ARG (index >= size). */
LC_MUST_CHECK lc_status lc_merkle_inclusion_proof(const uint8_t *leaves, uint64_t size,
                                                  uint64_t index, uint8_t proof[][LC_HASH_SIZE],
                                                  size_t *count, lc_error *err);

/* The consistency proof between the trees of the first size1 and size2
 * leaves (0 < size1 <= size2) into proof[LC_MERKLE_MAX_PROOF]. */
LC_MUST_CHECK lc_status lc_merkle_consistency_proof(const uint8_t *leaves, uint64_t size1,
                                                    uint64_t size2, uint8_t proof[][LC_HASH_SIZE],
                                                    size_t *count, lc_error *err);

/* Verifies that leaf_hash is leaf `index` of the tree of `size` leaves with
 * root `root`, given the proof as `proof_len` bytes (a multiple of 32).
 * Returns LC_OK when proven, LC_ERR_FORMAT with the reason otherwise. */
LC_MUST_CHECK lc_status lc_merkle_verify_inclusion(uint64_t index, uint64_t size,
                                                   const uint8_t *leaf_hash, size_t leaf_len,
                                                   const uint8_t *proof, size_t proof_len,
                                                   const uint8_t *root, size_t root_len,
                                                   lc_error *err);

/* Verifies that the tree of size2 leaves with root2 extends the tree of size1
 * leaves with root1. A proof from size 0 is refused; equal sizes need an empty
 * proof and equal roots. Returns LC_OK or LC_ERR_FORMAT with the reason. */
LC_MUST_CHECK lc_status lc_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                                     const uint8_t *root1, size_t root1_len,
                                                     const uint8_t *root2, size_t root2_len,
                                                     const uint8_t *proof, size_t proof_len,
                                                     lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
