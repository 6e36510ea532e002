/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_phys.c: fuzz target for the physics module's parsers of outside
 * bytes: spectrum files, scanner description files and material
 * compositions (formulas and "mix:" recipes). The first byte picks the
 * parser; the rest is its input. Every input must be accepted or refused
 * with a message, never crash.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lucent/phys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lc_matlib *lib;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    if (!lib && lc_matlib_new(&lib, NULL) != LC_OK)
        abort();
    uint8_t which = data[0] % 3;
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    lc_error err;
    if (which == 2) {
        char *text = malloc(n + 1);
        if (!text)
            return 0;
        memcpy(text, in, n);
        text[n] = '\0';
        const lc_material *m = NULL;
        lc_status st = lc_matlib_add(lib, NULL, text, 1.0, NULL, &m, &err);
        if (st != LC_OK && (m != NULL || err.msg[0] == '\0'))
            abort();
        free(text);
        /* Materials added stay in the library: start afresh now and then. */
        if (lc_matlib_count(lib) > 2000) {
            lc_matlib_free(lib);
            lib = NULL;
        }
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/lucent-fuzz-phys-%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(in, 1, n, f);
    fclose(f);
    if (which == 0) {
        lc_spectrum *s = NULL;
        if (lc_spectrum_load(path, &s, &err) == LC_OK) {
            if (lc_spectrum_count(s) == 0)
                abort();
        } else if (s != NULL || err.msg[0] == '\0') {
            abort();
        }
        lc_spectrum_free(s);
    } else {
        lc_tube tube;
        lc_detector_desc det;
        if (lc_phys_scanner_load(path, &tube, &det, &err) != LC_OK && err.msg[0] == '\0')
            abort();
    }
    unlink(path);
    return 0;
}
