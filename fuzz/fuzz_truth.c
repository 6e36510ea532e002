/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_truth.c: the evaluation's truth.json parser (lc__atr_parse_truth) on
 * arbitrary bytes: it must return an error naming the field, or bags whose
 * strings are terminated and whose counts are within their arrays; never
 * crash, never leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atr/atr_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lc__atr_ebag *bags = NULL;
    size_t n = 0;
    lc_error err;
    if (lc__atr_parse_truth("fuzz", (const char *)data, size, &bags, &n, &err) == LC_OK) {
        for (size_t i = 0; i < n; i++) {
            if (strlen(bags[i].name) >= sizeof bags[i].name || bags[i].n_threats > 4)
                abort();
            for (size_t k = 0; k < bags[i].n_threats; k++)
                if (bags[i].th[k].n_parts > LC_CORPUS_EVAL_PARTS ||
                    bags[i].th[k].t.difficulty < 0 || bags[i].th[k].t.difficulty > 2)
                    abort();
        }
        free(bags);
    } else if (bags || n) {
        abort();
    }
    return 0;
}
