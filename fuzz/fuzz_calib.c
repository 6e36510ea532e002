/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_calib.c: fuzz target for the material calibration table reader
 * (lc_mattable_parse). A table file comes from outside (a lab's calibration,
 * a copied file): any bytes must either load or be refused with an error.
 * A table that loads is then used: Zeff at a few points and a small material
 * map, so a table that parses but misbehaves in use is caught too.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lucent/chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lc_mattable *t = NULL;
    lc_error err;
    if (lc_mattable_parse(data, size, "fuzz", &t, &err) != LC_OK)
        return 0;
    volatile double sink = 0;
    for (double ah = 0.0; ah < 12.0; ah += 0.7)
        for (double r = 0.5; r < 6.0; r += 0.3) {
            double z = lc_mattable_zeff(t, ah, ah * r);
            if (!isnan(z) && (z < LC_TABLE_ZMIN || z > LC_TABLE_ZMAX))
                abort(); /* the contract: clamped to the element range */
            sink += z;
        }
    lc_atten *a = NULL;
    if (lc_atten_new(8, 4, &a, &err) == LC_OK) {
        for (uint32_t i = 0; i < 32; i++) {
            a->a[LC_HIGH][i] = (float)(i * 0.4);
            a->a[LC_LOW][i] = (float)(i * 0.4 * (1.0 + (i % 5) * 0.3));
        }
        lc_matmap *m = NULL;
        if (lc_matmap_compute(t, a, NULL, &m, &err) == LC_OK)
            sink += m->cls[0];
        lc_matmap_free(m);
        lc_atten_free(a);
    }
    (void)sink;
    lc_mattable_free(t);
    return 0;
}
