/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_import.c: `lucent import raw FILE --pixels N ... -o SCAN_DIR`: brings a
 * vendor raw dump in as a DICOS scan folder. The layout flags are a contract
 * (DESIGN.md, issue 2); every flag is checked before the file is read.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lucent/dicos.h"

static const char help[] =
    "usage: lucent import raw FILE -o SCAN_DIR --pixels N [layout flags]\n"
    "\n"
    "Reads a vendor raw dump (an optional header, then the samples of the\n"
    "high- and low-energy planes) and writes it as a DICOS scan folder\n"
    "(DX for processing). The file must hold exactly the header and the\n"
    "samples the layout describes: truncated or inconsistent files are refused\n"
    "with the reason.\n"
    "\n"
    "layout flags:\n"
    "  --header-bytes N      bytes to skip before the samples (default 0)\n"
    "  --pixels N            detector pixels per line (required)\n"
    "  --lines N             lines per plane (default: from --lines-at or the file size)\n"
    "  --lines-at OFFSET     read the line count as a 32-bit integer at this header offset\n"
    "  --planes LIST         channel order in the file: high,low (default), low,high,\n"
    "                        high or low (a single plane)\n"
    "  --plane-layout L      sequential (whole planes one after another, default) or\n"
    "                        interleaved (the channels alternate line by line)\n"
    "  --order O             line-major (a line's pixels contiguous, default) or\n"
    "                        pixel-major (a pixel's lines contiguous)\n"
    "  --endian E            little (default) or big\n"
    "  --sample-bytes N      1 or 2 bytes per sample (default 2)\n"
    "  --bits N              bits stored per sample (default 8 x sample bytes)\n"
    "  --air VALUE           the sample value that means full air\n"
    "  --kvp KV              tube voltage (metadata)\n"
    "  --pixel-pitch MM      detector pixel pitch (metadata)\n"
    "  --scan-id ID          scan identifier (default: the file name)\n"
    "  --station ID          station identifier\n"
    "\n"
    "example (a dump of 640-pixel lines, 12-bit, high plane then low plane,\n"
    "line count at byte 4 of a 16-byte header):\n"
    "  lucent import raw bag.raw -o bag/ --header-bytes 16 --lines-at 4 \\\n"
    "      --pixels 640 --bits 12 --air 4095 --kvp 160\n";

static int parse_planes(const char *s, lc_raw_layout *l)
{
    if (strcmp(s, "high,low") == 0) {
        l->nplanes = 2, l->planes[0] = LC_HIGH, l->planes[1] = LC_LOW;
    } else if (strcmp(s, "low,high") == 0) {
        l->nplanes = 2, l->planes[0] = LC_LOW, l->planes[1] = LC_HIGH;
    } else if (strcmp(s, "high") == 0) {
        l->nplanes = 1, l->planes[0] = LC_HIGH;
    } else if (strcmp(s, "low") == 0) {
        l->nplanes = 1, l->planes[0] = LC_LOW;
    } else {
        return 0;
    }
    return 1;
}

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int run(int argc, char **argv)
{
    const char *cmd = "import";
    if (argc < 2)
        return cli_usage(cmd, "missing format; only 'raw' is supported");
    if (strcmp(argv[1], "raw") != 0)
        return cli_usage(cmd, "unknown format '%s'; only 'raw' is supported", argv[1]);
    lc_raw_layout l;
    lc_raw_layout_init(&l);
    const char *file = NULL, *outdir = NULL, *scan_id = NULL, *station = NULL;
    int have_pixels = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double d;
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (file)
                return cli_usage(cmd, "more than one input file ('%s' and '%s')", file, a);
            file = a;
            continue;
        }
        if (!v)
            return cli_usage(cmd, "%s needs a value", a);
        i++;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            outdir = v;
        } else if (strcmp(a, "--header-bytes") == 0) {
            if (!cli_parse_long(v, 0, 1L << 30, &n))
                return cli_usage(cmd, "--header-bytes '%s' is not a byte count", v);
            l.header_bytes = (uint64_t)n;
        } else if (strcmp(a, "--pixels") == 0) {
            if (!cli_parse_long(v, 1, LC_SCAN_MAX_PIXELS, &n))
                return cli_usage(cmd, "--pixels '%s' is not in 1..%d", v, LC_SCAN_MAX_PIXELS);
            l.pixels = (uint32_t)n;
            have_pixels = 1;
        } else if (strcmp(a, "--lines") == 0) {
            if (!cli_parse_long(v, 1, LC_SCAN_MAX_LINES, &n))
                return cli_usage(cmd, "--lines '%s' is not in 1..%d", v, LC_SCAN_MAX_LINES);
            l.lines = (uint32_t)n;
        } else if (strcmp(a, "--lines-at") == 0) {
            if (!cli_parse_long(v, 0, 1L << 30, &n))
                return cli_usage(cmd, "--lines-at '%s' is not a byte offset", v);
            l.lines_at = n;
        } else if (strcmp(a, "--planes") == 0) {
            if (!parse_planes(v, &l))
                return cli_usage(cmd, "--planes '%s': use high,low, low,high, high or low", v);
        } else if (strcmp(a, "--plane-layout") == 0) {
            if (strcmp(v, "sequential") == 0)
                l.plane_layout = LC_PLANES_SEQUENTIAL;
            else if (strcmp(v, "interleaved") == 0)
                l.plane_layout = LC_PLANES_INTERLEAVED;
            else
                return cli_usage(cmd, "--plane-layout '%s': use sequential or interleaved", v);
        } else if (strcmp(a, "--order") == 0) {
            if (strcmp(v, "line-major") == 0)
                l.order = LC_ORDER_LINE_MAJOR;
            else if (strcmp(v, "pixel-major") == 0)
                l.order = LC_ORDER_PIXEL_MAJOR;
            else
                return cli_usage(cmd, "--order '%s': use line-major or pixel-major", v);
        } else if (strcmp(a, "--endian") == 0) {
            if (strcmp(v, "little") == 0)
                l.big_endian = 0;
            else if (strcmp(v, "big") == 0)
                l.big_endian = 1;
            else
                return cli_usage(cmd, "--endian '%s': use little or big", v);
        } else if (strcmp(a, "--sample-bytes") == 0) {
            if (!cli_parse_long(v, 1, 2, &n))
                return cli_usage(cmd, "--sample-bytes '%s': use 1 or 2", v);
            l.bytes_per_sample = (int)n;
        } else if (strcmp(a, "--bits") == 0) {
            if (!cli_parse_long(v, 1, 16, &n))
                return cli_usage(cmd, "--bits '%s' is not in 1..16", v);
            l.bits = (int)n;
        } else if (strcmp(a, "--air") == 0) {
            if (!cli_parse_long(v, 1, 65535, &n))
                return cli_usage(cmd, "--air '%s' is not in 1..65535", v);
            l.air = (uint32_t)n;
        } else if (strcmp(a, "--kvp") == 0) {
            if (!cli_parse_double(v, &d) || d <= 0 || d > 1000)
                return cli_usage(cmd, "--kvp '%s' is not a tube voltage in kV", v);
            l.kvp = d;
        } else if (strcmp(a, "--pixel-pitch") == 0) {
            if (!cli_parse_double(v, &d) || d <= 0 || d > 100)
                return cli_usage(cmd, "--pixel-pitch '%s' is not a pitch in mm", v);
            l.pixel_pitch_mm = d;
        } else if (strcmp(a, "--scan-id") == 0) {
            scan_id = v;
        } else if (strcmp(a, "--station") == 0) {
            station = v;
        } else {
            return cli_usage(cmd, "unknown option '%s'", a);
        }
    }
    if (!file)
        return cli_usage(cmd, "missing the raw FILE");
    if (!outdir)
        return cli_usage(cmd, "missing -o SCAN_DIR");
    if (!have_pixels)
        return cli_usage(cmd, "missing --pixels N (detector pixels per line)");

    lc_error err;
    lc_error_clear(&err);
    lc_scan *scan = NULL;
    if (lc_import_raw_file(file, &l, &scan, &err) != LC_OK)
        return cli_fail(cmd, &err);
    lc_scan_info *info = lc_scan_info_mut(scan);
    if (!scan_id) {
        /* The file name without its extension identifies the bag. */
        char id[LC_ID_MAX];
        snprintf(id, sizeof id, "%s", basename_of(file));
        char *dot = strrchr(id, '.');
        if (dot && dot != id)
            *dot = '\0';
        memcpy(info->scan_id, id, sizeof id);
    } else {
        snprintf(info->scan_id, sizeof info->scan_id, "%s", scan_id);
    }
    if (station)
        snprintf(info->station_id, sizeof info->station_id, "%s", station);

    lc_status st = lc_dicos_write_scan(scan, outdir, &err);
    const lc_view *v = lc_scan_view(scan, 0);
    if (st == LC_OK)
        printf("imported %s: %u lines x %u pixels, %d plane(s), %d-bit -> %s\n", file,
               lc_view_lines(v), lc_view_pixels(v), l.nplanes, info->bits_stored, outdir);
    lc_scan_free(scan);
    return st == LC_OK ? CLI_OK : cli_fail(cmd, &err);
}

const cli_command cmd_import = {"import", "bring a vendor raw dump in as a DICOS scan", help, run};
