/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_dicos.c: libFuzzer target for the DICOS reader. Any bytes go through
 * lc_dicos_parse; a file that parses is then summarised, every top-level tag it
 * might hold is formatted, and it is interpreted as a TDR, so the accessors
 * and the TDR decoder see hostile trees too. The seed corpus (fuzz/corpus/
 * dicos) holds lucent's own DX, presentation and TDR files and the pydicom
 * fixtures of tests/data/dicos; it replays as the CTest test fuzz_replay_dicos.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lucent/dicos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lc_dicos_file *f = NULL;
    lc_error err = {LC_OK, ""};
    lc_status st = lc_dicos_parse(data, size, &f, &err);
    if (st != LC_OK) {
        if (f != NULL || err.msg[0] == '\0')
            abort(); /* a failure must leave *out NULL and say why */
        return 0;
    }
    lc_dicos_summary s;
    lc_dicos_file_summary(f, &s);
    if (strlen(s.sop_class_uid) >= sizeof s.sop_class_uid)
        abort();
    static const uint32_t tags[] = {0x00020010, 0x00080016, 0x00080018, 0x00100020,
                                    0x00280010, 0x00280100, 0x7FE00010, 0x40101011,
                                    0x40101016, 0x4010101D, 0x00291002, 0x00181164};
    char buf[96];
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (lc_dicos_file_get(f, tags[i], buf, sizeof buf) == LC_OK && strlen(buf) >= sizeof buf)
            abort();
    lc_dicos_tdr *t = NULL;
    if (lc_dicos_file_tdr(f, &t, &err) == LC_OK) {
        if (t->n_threats > LC_DICOS_MAX_THREATS)
            abort();
        for (size_t i = 0; i < t->n_threats; i++)
            if (t->threats[i].n_boxes > LC_SCAN_MAX_VIEWS)
                abort();
        lc_dicos_tdr_free(t);
    } else if (t != NULL) {
        abort();
    }
    lc_dicos_file_free(f);
    return 0;
}
