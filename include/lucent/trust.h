/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/trust.h: the Merkle tree of the tamper-evident audit log (RFC 6962,
 * RFC 9162 section 2.1): SHA-256 leaf hashes with prefix 0x00, node hashes with
 * prefix 0x01, tree heads of any size, and inclusion and consistency proofs,
 * both produced and verified. SHA-256 is kept (rather than BLAKE2b) so the
 * public test vectors of other transparency logs apply.
 *
 * Also here: the site's keys, C2SP signed notes and checkpoints, the
 * append-only audit log file, and encryption at rest (issue 7).
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

/* ------------------------------------------------------------------------ */
/* Site keys                                                                */
/* ------------------------------------------------------------------------ */

/* The keys of one site, created on the site by lc_keys_init and never by a
 * vendor: an Ed25519 signing key (checkpoints, records) and a 256-bit data
 * key (encryption at rest). Files in the key folder are mode 0600; the secret
 * files may be sealed under a passphrase (Argon2id + XSalsa20-Poly1305).
 * Secrets are wiped from memory on free and never appear in messages. */
typedef struct lc_site_keys lc_site_keys;

#define LC_KEY_NAME_MAX  128
#define LC_DATA_KEY_SIZE 32
#define LC_VKEY_MAX      256

/* Creates the keys of a site in folder dir (created 0700 if missing):
 * site.key (signing key), data.key (data key) and site.vkey (the public
 * verifier key, shareable). name is the key name shown in signed notes (no
 * spaces or '+'; e.g. "lucent.embassy-07"). passphrase NULL or "" stores the
 * secrets unsealed (readable only by the owner). Refuses to overwrite
 * existing keys (LC_ERR_STATE). Returns LC_OK, LC_ERR_ARG, LC_ERR_IO,
 * LC_ERR_STATE, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_keys_init(const char *dir, const char *name, const char *passphrase,
                                     lc_error *err);

/* Loads the keys of folder dir; passphrase as given to lc_keys_init. A wrong
 * passphrase or an altered file is LC_ERR_FORMAT. Caller owns *out; free with
 * lc_keys_free(). */
LC_MUST_CHECK lc_status lc_keys_load(const char *dir, const char *passphrase, lc_site_keys **out,
                                     lc_error *err);

/* Wipes and frees. NULL is a no-op. */
void lc_keys_free(lc_site_keys *keys);

/* The key name, and the verifier key text "<name>+<8 hex key id>+<base64(0x01
 * || public key)>" (C2SP signed-note), borrowed for the keys' life. */
const char *lc_keys_name(const lc_site_keys *keys);
const char *lc_keys_vkey(const lc_site_keys *keys);

/* The site's data key (borrowed; secret: never log it). */
const uint8_t *lc_keys_data_key(const lc_site_keys *keys);

/* ------------------------------------------------------------------------ */
/* Signed notes and checkpoints (C2SP signed-note, tlog-checkpoint)         */
/* ------------------------------------------------------------------------ */

/* Signs text (non-empty, ending in '\n', no blank line, no control characters
 * but '\n') as a C2SP signed note with the site key. Caller owns *out
 * (NUL-terminated; free()). */
LC_MUST_CHECK lc_status lc_note_sign(const lc_site_keys *keys, const char *text, char **out,
                                     lc_error *err);

/* Verifies a signed note against a verifier key (lc_keys_vkey's format): a
 * signature line of that key must be present and valid. On success *text_len
 * is the length of the signed text at the start of note. Returns LC_OK or
 * LC_ERR_FORMAT with the reason (LC_ERR_ARG for a malformed vkey). */
LC_MUST_CHECK lc_status lc_note_verify(const char *vkey, const char *note, size_t note_len,
                                       size_t *text_len, lc_error *err);

/* A checkpoint body: "<origin>\n<size>\n<base64 root>\n" into buf[cap]. */
LC_MUST_CHECK lc_status lc_checkpoint_format(const char *origin, uint64_t size,
                                             const uint8_t root[LC_HASH_SIZE], char *buf,
                                             size_t cap, lc_error *err);

/* Parses the body of a checkpoint (the first three lines of text; further
 * extension lines are allowed). origin receives at most LC_KEY_NAME_MAX bytes. */
LC_MUST_CHECK lc_status lc_checkpoint_parse(const char *text, size_t len,
                                            char origin[LC_KEY_NAME_MAX], uint64_t *size,
                                            uint8_t root[LC_HASH_SIZE], lc_error *err);

/* ------------------------------------------------------------------------ */
/* The append-only audit log                                                */
/* ------------------------------------------------------------------------ */

/* An audit log file: "LCAUDIT1", then records of
 *   u32 length (big endian) | u32 ~length | entry bytes | SHA-256(0x00 || entry)
 * Each entry is a leaf of the RFC 6962 tree. A record cut short at the end of
 * the file (a torn write: never acknowledged) is dropped when the log is
 * opened for appending; any other damage (a flipped bit anywhere, a bad
 * header) is reported with the entry index and byte offset and the log is
 * not opened. Signed checkpoints are written next to the log: PATH.checkpoint
 * (the latest, replaced atomically) and PATH.checkpoints (all, appended). */
typedef struct lc_audit lc_audit;

#define LC_AUDIT_MAX_ENTRY (1u << 20)

/* Opens (creating if missing) a log for appending. *torn_bytes (if non-NULL)
 * receives the size of a dropped torn tail. Not thread-safe: one writer. */
LC_MUST_CHECK lc_status lc_audit_open(const char *path, lc_audit **out, uint64_t *torn_bytes,
                                      lc_error *err);

/* Appends one entry (1..LC_AUDIT_MAX_ENTRY bytes) and makes it durable
 * (fdatasync) before returning: an acknowledged entry survives a crash.
 * *index (if non-NULL) receives its leaf index. */
LC_MUST_CHECK lc_status lc_audit_append(lc_audit *log, const void *entry, size_t len,
                                        uint64_t *index, lc_error *err);

/* Number of entries, and the tree head of the whole log (O(log n)). */
uint64_t lc_audit_size(const lc_audit *log);
void lc_audit_head(const lc_audit *log, uint8_t root[LC_HASH_SIZE]);

/* Signs a checkpoint of the current tree with the site key (origin = the key
 * name), stores it as PATH.checkpoint and appends it to PATH.checkpoints.
 * *note (if non-NULL) receives a copy; caller frees. */
LC_MUST_CHECK lc_status lc_audit_checkpoint(lc_audit *log, const lc_site_keys *keys, char **note,
                                            lc_error *err);

/* Closes the log. NULL is a no-op. */
void lc_audit_close(lc_audit *log);

/* What lc_audit_verify found. */
typedef struct lc_audit_report {
    uint64_t entries;           /* complete, intact entries before any damage */
    uint64_t torn_bytes;        /* bytes of an incomplete final record */
    int64_t bad_entry;          /* index of the first bad entry, or -1 */
    uint64_t bad_offset;        /* its byte offset in the file */
    uint64_t checkpoints;       /* signed checkpoints verified */
    uint8_t root[LC_HASH_SIZE]; /* tree head of the intact entries */
} lc_audit_report;

/* Verifies a log file read-only: every record's framing and leaf hash, then
 * every checkpoint given: the note file checkpoint_path (may be NULL) and, if
 * present, every note in PATH.checkpoints. Each must carry a valid signature
 * of vkey (required when there are checkpoints to check) and match the tree
 * head of its size: a log truncated below, reordered or spliced since a
 * checkpoint fails here. report is filled as far as verification got.
 * Returns LC_OK when everything holds, LC_ERR_FORMAT naming the first
 * problem, LC_ERR_IO. */
LC_MUST_CHECK lc_status lc_audit_verify(const char *path, const char *vkey,
                                        const char *checkpoint_path, lc_audit_report *report,
                                        lc_error *err);

/* Reads a log read-only into memory for proofs: the leaf hashes of its intact
 * entries. Caller owns *leaves (n * 32 bytes; free()). */
LC_MUST_CHECK lc_status lc_audit_read_leaves(const char *path, uint8_t **leaves, uint64_t *n,
                                             lc_error *err);

/* ------------------------------------------------------------------------ */
/* Encryption at rest                                                       */
/* ------------------------------------------------------------------------ */

/* Seals data with libsodium's secretstream (XChaCha20-Poly1305) under a
 * 32-byte key, in 64 KiB chunks, with identity (e.g. "scan/BAG-1/view0.dcs")
 * bound as associated data of every chunk and the final tag required, so a
 * truncated, spliced, renamed (other identity) or edited file fails to open.
 * Format: "LCSEAL01" | secretstream header | chunks of u32 BE length |
 * ciphertext. Caller owns *out (free()). */
LC_MUST_CHECK lc_status lc_seal(const uint8_t key[LC_DATA_KEY_SIZE], const char *identity,
                                const void *data, size_t len, uint8_t **out, size_t *out_len,
                                lc_error *err);

/* Opens what lc_seal made. Any change gives LC_ERR_FORMAT; *out is NULL then. */
LC_MUST_CHECK lc_status lc_unseal(const uint8_t key[LC_DATA_KEY_SIZE], const char *identity,
                                  const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
                                  lc_error *err);

/* Seals data into a file atomically (temporary file, fsync, rename), and
 * reads one back. identity is bound as above (commonly the file's path
 * relative to the data folder). */
LC_MUST_CHECK lc_status lc_seal_file(const uint8_t key[LC_DATA_KEY_SIZE], const char *path,
                                     const char *identity, const void *data, size_t len,
                                     lc_error *err);
LC_MUST_CHECK lc_status lc_unseal_file(const uint8_t key[LC_DATA_KEY_SIZE], const char *path,
                                       const char *identity, uint8_t **out, size_t *out_len,
                                       lc_error *err);

/* A fresh random key per object (crypto-erasure: destroy the key, the data
 * are gone), wrapped under the site data key for storage beside an index:
 * wrapped = nonce(24) | secretbox(key) = 72 bytes. */
#define LC_WRAPPED_KEY_SIZE 72
LC_MUST_CHECK lc_status lc_key_random(uint8_t key[LC_DATA_KEY_SIZE], lc_error *err);
void lc_key_wrap(const uint8_t kek[LC_DATA_KEY_SIZE], const uint8_t key[LC_DATA_KEY_SIZE],
                 uint8_t wrapped[LC_WRAPPED_KEY_SIZE]);
LC_MUST_CHECK lc_status lc_key_unwrap(const uint8_t kek[LC_DATA_KEY_SIZE],
                                      const uint8_t wrapped[LC_WRAPPED_KEY_SIZE],
                                      uint8_t key[LC_DATA_KEY_SIZE], lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
