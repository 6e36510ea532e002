/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_note.c: the signed-note verifier and the checkpoint parser (C2SP
 * signed-note, tlog-checkpoint) on arbitrary bytes. A checkpoint handed to an
 * auditor is outside bytes. The first byte picks the parser: even, the whole
 * rest is a note verified against a fixed verifier key (the public key of a
 * test site; its signed checkpoints are the seeds); odd, the rest is a
 * checkpoint body. Results must be consistent (the signed text lies inside
 * the note, origin terminated); never crash, never leak.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lucent/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vkey[] = "lucent.station+e5c48209+AZo2vxRdqsdA+ZSvt4Gcy8rDO6A10fn2ncjqzSrijHAh";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    lc_error err;
    if ((data[0] & 1) == 0) {
        size_t text_len = (size_t)-1;
        if (lc_note_verify(vkey, text, len, &text_len, &err) == LC_OK && text_len > len)
            abort();
    } else {
        char origin[LC_KEY_NAME_MAX];
        uint64_t tree_size = 0;
        uint8_t root[LC_HASH_SIZE];
        if (lc_checkpoint_parse(text, len, origin, &tree_size, root, &err) == LC_OK &&
            strnlen(origin, sizeof origin) == sizeof origin)
            abort();
    }
    return 0;
}
