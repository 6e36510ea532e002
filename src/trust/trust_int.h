/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trust_int.h: internals shared by the files of the trust module.
 */
#ifndef LUCENT_TRUST_INT_H
#define LUCENT_TRUST_INT_H

#include <sodium.h>

#include "lucent/trust.h"

struct lc_site_keys {
    char name[LC_KEY_NAME_MAX];
    char vkey[LC_VKEY_MAX];
    uint8_t key_id[4];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    uint8_t data_key[LC_DATA_KEY_SIZE];
};

/* Initialises libsodium once (thread-safe, idempotent); LC_ERR_STATE if it
 * cannot. */
lc_status lc__sodium_ready(lc_error *err);

/* C2SP key id: SHA-256(name || 0x0A || 0x01 || pk)[0:4]. */
void lc__key_id(const char *name, const uint8_t pk[crypto_sign_PUBLICKEYBYTES], uint8_t id[4]);

/* Key names: non-empty, at most LC_KEY_NAME_MAX - 1 bytes, printable ASCII
 * without spaces or '+'. */
int lc__key_name_ok(const char *name);

#endif
