/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_audit.c: the audit log reader on arbitrary bytes. An auditor verifies
 * a log file handed over from a site, so its bytes are outside bytes. The
 * input is written to a private temporary file, then read for proofs
 * (lc_audit_read_leaves) and verified without a key (lc_audit_verify): each
 * must report intact entries or the first bad one, never crash, never leak,
 * and never change the file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lucent/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/lucent-fuzz-audit-%ld.log", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        remove(path);
        return 0;
    }
    fclose(f);
    lc_error err;
    uint8_t *leaves = NULL;
    uint64_t n = 0;
    if (lc_audit_read_leaves(path, &leaves, &n, &err) == LC_OK) {
        /* Each entry takes more than a hash's worth of file bytes. */
        if (n > size)
            abort();
        free(leaves);
    } else if (leaves) {
        abort();
    }
    lc_audit_report rep;
    lc_status st = lc_audit_verify(path, NULL, NULL, &rep, &err);
    if (st == LC_OK && rep.entries > size)
        abort();
    /* Reading never alters the file. */
    f = fopen(path, "rb");
    if (f) {
        uint8_t *back = malloc(size + 1);
        size_t got = back ? fread(back, 1, size + 1, f) : 0;
        fclose(f);
        if (back && (got != size || (size && memcmp(back, data, size) != 0)))
            abort();
        free(back);
    }
    remove(path);
    return 0;
}
