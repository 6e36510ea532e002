/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_raw.c: fuzz target for the raw dump importer. The first 8 bytes of the
 * input choose the layout (pixels, header size, line-count offset, flags,
 * bits); the rest is the dump. Any layout/dump pair must be either imported or
 * refused with an error, never crash or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lucent/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    lc_raw_layout l;
    lc_raw_layout_init(&l);
    l.pixels = (uint32_t)(data[0] | (data[1] & 0x0f) << 8);
    l.header_bytes = data[2] & 0x3f;
    l.lines_at = (data[3] & 0x80) ? (int64_t)(data[3] & 0x3f) : -1;
    uint8_t f = data[4];
    l.big_endian = f & 1;
    l.plane_layout = (f & 2) ? LC_PLANES_INTERLEAVED : LC_PLANES_SEQUENTIAL;
    l.order = (f & 4) ? LC_ORDER_PIXEL_MAJOR : LC_ORDER_LINE_MAJOR;
    l.nplanes = (f & 8) ? 1 : 2;
    l.planes[0] = (f & 16) ? LC_LOW : LC_HIGH;
    l.planes[1] = (f & 16) ? LC_HIGH : LC_LOW;
    l.bytes_per_sample = (f & 32) ? 1 : 2;
    l.bits = data[5] & 0x1f;
    l.lines = data[6];
    l.air = data[7] & 0x80 ? (uint32_t)(data[7] & 0x7f) * 32u : 0;

    /* Copy so that reads past the end hit the sanitizer's redzone. */
    size_t n = size - 8;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 8, n);
    lc_scan *scan = NULL;
    lc_error err;
    if (lc_import_raw(buf, n, &l, "fuzz", &scan, &err) == LC_OK) {
        const lc_view *v = lc_scan_view(scan, 0);
        volatile uint32_t sum = 0;
        for (uint32_t y = 0; y < lc_view_pixels(v); y++)
            sum += lc_view_get(v, LC_HIGH, 0, y);
        (void)sum;
    } else if (scan != NULL || err.msg[0] == '\0') {
        abort(); /* a failure must leave no scan and always say why */
    }
    lc_scan_free(scan);
    free(buf);
    return 0;
}
