/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seal.c: encryption at rest with libsodium's secretstream
 * (XChaCha20-Poly1305). A sealed object is "LCSEAL01", the stream header,
 * then chunks of u32 BE ciphertext length and ciphertext, each chunk
 * authenticated with the object's identity as associated data; the last
 * chunk carries TAG_FINAL and nothing may follow it. So truncation (no final
 * tag), splicing (chunks of other streams fail), renaming (other identity)
 * and editing all fail to open. Per-object keys are wrapped under the site
 * data key with crypto_secretbox, so destroying a wrapped key erases the
 * object (crypto-erasure).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"
#include "util/util.h"

static const char SEAL_MAGIC[8] = {'L', 'C', 'S', 'E', 'A', 'L', '0', '1'};
#define CHUNK    (64 * 1024)
#define HDR      crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ABYTES   crypto_secretstream_xchacha20poly1305_ABYTES
#define SEAL_MAX ((size_t)1 << 32)

lc_status lc_seal(const uint8_t key[LC_DATA_KEY_SIZE], const char *identity, const void *data,
                  size_t len, uint8_t **out, size_t *out_len, lc_error *err)
{
    *out = NULL;
    *out_len = 0;
    lc_status st = lc__sodium_ready(err);
    if (st != LC_OK)
        return st;
    if (!identity || len > SEAL_MAX)
        return lc_error_set(err, LC_ERR_ARG, "seal: no identity or data too large");
    size_t nchunks = len / CHUNK + 1; /* the last (possibly empty) chunk is final */
    size_t cap = sizeof SEAL_MAGIC + HDR + nchunks * (4 + ABYTES) + len;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return lc_error_set(err, LC_ERR_NOMEM, "seal: out of memory");
    crypto_secretstream_xchacha20poly1305_state s;
    memcpy(buf, SEAL_MAGIC, sizeof SEAL_MAGIC);
    crypto_secretstream_xchacha20poly1305_init_push(&s, buf + sizeof SEAL_MAGIC, key);
    size_t o = sizeof SEAL_MAGIC + HDR;
    const uint8_t *p = data;
    size_t left = len;
    for (size_t c = 0; c < nchunks; c++) {
        size_t n = left > CHUNK ? CHUNK : left;
        uint8_t tag = c + 1 == nchunks ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
        uint32_t clen = (uint32_t)(n + ABYTES);
        buf[o] = (uint8_t)(clen >> 24), buf[o + 1] = (uint8_t)(clen >> 16);
        buf[o + 2] = (uint8_t)(clen >> 8), buf[o + 3] = (uint8_t)clen;
        crypto_secretstream_xchacha20poly1305_push(
            &s, buf + o + 4, NULL, p, n, (const uint8_t *)identity, strlen(identity), tag);
        o += 4 + clen;
        p += n;
        left -= n;
    }
    sodium_memzero(&s, sizeof s);
    *out = buf;
    *out_len = o;
    return LC_OK;
}

lc_status lc_unseal(const uint8_t key[LC_DATA_KEY_SIZE], const char *identity, const uint8_t *in,
                    size_t in_len, uint8_t **out, size_t *out_len, lc_error *err)
{
    *out = NULL;
    *out_len = 0;
    lc_status st = lc__sodium_ready(err);
    if (st != LC_OK)
        return st;
    if (!identity)
        return lc_error_set(err, LC_ERR_ARG, "unseal: no identity");
    if (in_len < sizeof SEAL_MAGIC + HDR || memcmp(in, SEAL_MAGIC, sizeof SEAL_MAGIC) != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: not a sealed lucent object", identity);
    crypto_secretstream_xchacha20poly1305_state s;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&s, in + sizeof SEAL_MAGIC, key) != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: bad stream header", identity);
    uint8_t *buf = malloc(in_len); /* plaintext is always shorter */
    if (!buf)
        return lc_error_set(err, LC_ERR_NOMEM, "unseal: out of memory");
    size_t o = sizeof SEAL_MAGIC + HDR, w = 0;
    int final = 0;
    while (o < in_len) {
        if (final) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: data after the final chunk (spliced)",
                              identity);
            break;
        }
        if (in_len - o < 4) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: truncated chunk header", identity);
            break;
        }
        uint32_t clen = (uint32_t)in[o] << 24 | (uint32_t)in[o + 1] << 16 |
                        (uint32_t)in[o + 2] << 8 | in[o + 3];
        if (clen < ABYTES || clen > CHUNK + ABYTES || clen > in_len - o - 4) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: bad or truncated chunk at byte %zu",
                              identity, o);
            break;
        }
        unsigned long long mlen = 0;
        uint8_t tag = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(&s, buf + w, &mlen, &tag, in + o + 4, clen,
                                                       (const uint8_t *)identity,
                                                       strlen(identity)) != 0) {
            st = lc_error_set(err, LC_ERR_FORMAT,
                              "%s: chunk at byte %zu fails authentication (altered, other key "
                              "or other identity)",
                              identity, o);
            break;
        }
        w += (size_t)mlen;
        final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
        o += 4 + clen;
    }
    if (st == LC_OK && !final)
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: no final chunk (truncated)", identity);
    sodium_memzero(&s, sizeof s);
    if (st != LC_OK) {
        sodium_memzero(buf, in_len);
        free(buf);
        return st;
    }
    *out = buf;
    *out_len = w;
    return LC_OK;
}

lc_status lc_seal_file(const uint8_t key[LC_DATA_KEY_SIZE], const char *path, const char *identity,
                       const void *data, size_t len, lc_error *err)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    lc_status st = lc_seal(key, identity, data, len, &buf, &n, err);
    if (st != LC_OK)
        return st;
    st = lc__write_file_atomic(path, buf, n, err);
    free(buf);
    return st;
}

lc_status lc_unseal_file(const uint8_t key[LC_DATA_KEY_SIZE], const char *path,
                         const char *identity, uint8_t **out, size_t *out_len, lc_error *err)
{
    *out = NULL;
    *out_len = 0;
    unsigned char *buf = NULL;
    size_t n = 0;
    lc_status st = lc__read_file(path, SEAL_MAX, &buf, &n, err);
    if (st != LC_OK)
        return st;
    st = lc_unseal(key, identity, buf, n, out, out_len, err);
    free(buf);
    return st;
}

lc_status lc_key_random(uint8_t key[LC_DATA_KEY_SIZE], lc_error *err)
{
    lc_status st = lc__sodium_ready(err);
    if (st == LC_OK)
        randombytes_buf(key, LC_DATA_KEY_SIZE);
    return st;
}

void lc_key_wrap(const uint8_t kek[LC_DATA_KEY_SIZE], const uint8_t key[LC_DATA_KEY_SIZE],
                 uint8_t wrapped[LC_WRAPPED_KEY_SIZE])
{
    randombytes_buf(wrapped, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(wrapped + crypto_secretbox_NONCEBYTES, key, LC_DATA_KEY_SIZE, wrapped,
                          kek);
}

lc_status lc_key_unwrap(const uint8_t kek[LC_DATA_KEY_SIZE],
                        const uint8_t wrapped[LC_WRAPPED_KEY_SIZE], uint8_t key[LC_DATA_KEY_SIZE],
                        lc_error *err)
{
    if (crypto_secretbox_open_easy(key, wrapped + crypto_secretbox_NONCEBYTES,
                                   LC_WRAPPED_KEY_SIZE - crypto_secretbox_NONCEBYTES, wrapped,
                                   kek) != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "wrapped key fails authentication");
    return LC_OK;
}
