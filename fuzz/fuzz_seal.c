/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_seal.c: lc_unseal (encryption at rest: "LCSEAL01", secretstream header,
 * length-prefixed chunks) on arbitrary bytes under a fixed key and identity.
 * A sealed file on disk is outside bytes: it must open to exactly what was
 * sealed or fail with LC_ERR_FORMAT and no output; never crash, never leak.
 * The seed corpus (fuzz/corpus/seal/) holds small files sealed with lc_seal
 * under this key and identity, one of several chunks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lucent/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t key[LC_DATA_KEY_SIZE];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(0x42 + i);
    uint8_t *out = NULL;
    size_t n = 0;
    lc_error err;
    lc_status st = lc_unseal(key, "scans/FUZZ/dx_v0_high.dcs", data, size, &out, &n, &err);
    if (st == LC_OK) {
        /* What opens is never larger than what was stored. */
        if (n > size)
            abort();
        free(out);
    } else if (out || st == LC_ERR_NOMEM) {
        abort();
    }
    return 0;
}
