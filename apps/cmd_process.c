/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_process.c: `lucent process SCAN_DIR`: runs the image chain on a scan
 * folder (calibration, attenuation, Zeff and class, rendering), writes the DX
 * for presentation of every view into the folder and optionally a PNG, and
 * answers --probe questions about regions with one JSON line each.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lucent/chain.h"
#include "lucent/dicos.h"

#define MAX_PROBES 64

static const char help[] =
    "usage: lucent process SCAN_DIR [--calib FILE] [--png OUT.png] [--mode MODE]\n"
    "                      [--window LO,HI] [--negative] [--edge S] [--no-dx]\n"
    "                      [--probe VIEW:X0,Y0,X1,Y1]...\n"
    "\n"
    "Runs the image chain on a scan folder: dark/air calibration, bad pixels,\n"
    "source fluctuation, attenuation A = -ln(I/I0), Zeff and material class per\n"
    "pixel, and the operator rendering. Writes dxp_v<N>.dcs (DX for presentation,\n"
    "RGB) for every view into SCAN_DIR and, with --png, one PNG with the views\n"
    "side by side.\n"
    "\n"
    "  --calib FILE     material calibration table (lucent calibrate); default:\n"
    "                   $LUCENT_CALIB, else the table of the default scanner model\n"
    "  --png FILE       write the rendering as PNG (views side by side)\n"
    "  --mode MODE      colour (default: orange organic, green mixed, blue\n"
    "                   inorganic, black impenetrable), bw, organic, inorganic,\n"
    "                   high (high penetration), low (low penetration)\n"
    "  --window LO,HI   variable density: attenuation LO shown white, HI black\n"
    "  --negative       invert the image\n"
    "  --edge S         edge enhancement, strength 0..2\n"
    "  --no-dx          do not write the DX for presentation files\n"
    "  --probe V:X0,Y0,X1,Y1\n"
    "                   print JSON statistics of a region of view V (x along lines,\n"
    "                   y along pixels, x0,y0 inclusive, x1,y1 exclusive):\n"
    "                   {\"view\":0,\"rect\":[x0,y0,x1,y1],\"a_high\":{\"mean\":..,\"std\":..},\n"
    "                    \"a_low\":{..},\"zeff\":{\"mean\":..,\"std\":..},\"classes\":\n"
    "                    {\"organic\":..,\"mixed\":..,\"inorganic\":..,\"impenetrable\":..}}\n"
    "                   (class values are fractions of the region's pixels; the rest\n"
    "                   is air). May be repeated.\n";

typedef struct probe_arg {
    unsigned view;
    uint32_t rect[4];
} probe_arg;

static int parse_probe(const char *s, probe_arg *p)
{
    const char *colon = strchr(s, ':');
    if (!colon)
        return 0;
    char buf[32];
    size_t n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    long v;
    if (!cli_parse_long(buf, 0, LC_SCAN_MAX_VIEWS - 1, &v))
        return 0;
    p->view = (unsigned)v;
    const char *q = colon + 1;
    for (int i = 0; i < 4; i++) {
        const char *e = strchr(q, ',');
        size_t len = e ? (size_t)(e - q) : strlen(q);
        if ((i < 3) != (e != NULL) || len == 0 || len >= sizeof buf)
            return 0;
        memcpy(buf, q, len);
        buf[len] = 0;
        long c;
        if (!cli_parse_long(buf, 0, LC_SCAN_MAX_LINES, &c))
            return 0;
        p->rect[i] = (uint32_t)c;
        q = e ? e + 1 : q + len;
    }
    return p->rect[2] > p->rect[0] && p->rect[3] > p->rect[1];
}

static void print_num(double v)
{
    if (isfinite(v))
        printf("%.6g", v);
    else
        printf("null");
}

static void print_probe(unsigned view, const lc_probe *p)
{
    printf("{\"view\":%u,\"rect\":[%u,%u,%u,%u],", view, p->rect[0], p->rect[1], p->rect[2],
           p->rect[3]);
    printf("\"a_high\":{\"mean\":");
    print_num(p->a_mean[LC_HIGH]);
    printf(",\"std\":");
    print_num(p->a_std[LC_HIGH]);
    printf("},\"a_low\":{\"mean\":");
    print_num(p->a_mean[LC_LOW]);
    printf(",\"std\":");
    print_num(p->a_std[LC_LOW]);
    printf("},\"zeff\":{\"mean\":");
    print_num(p->zeff_mean);
    printf(",\"std\":");
    print_num(p->zeff_std);
    printf("},\"classes\":{\"organic\":%.6g,\"mixed\":%.6g,\"inorganic\":%.6g,"
           "\"impenetrable\":%.6g}}\n",
           p->frac[LC_CLASS_ORGANIC], p->frac[LC_CLASS_MIXED], p->frac[LC_CLASS_INORGANIC],
           p->frac[LC_CLASS_IMPENETRABLE]);
}

static int run(int argc, char **argv)
{
    const char *cmd = "process";
    const char *dir = NULL, *calib = NULL, *png = NULL;
    int no_dx = 0;
    lc_render_options ro;
    lc_render_options_init(&ro);
    probe_arg probes[MAX_PROBES];
    size_t nprobes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--calib") == 0 && has)
            calib = argv[++i];
        else if (strcmp(a, "--png") == 0 && has)
            png = argv[++i];
        else if (strcmp(a, "--mode") == 0 && has) {
            if (lc_render_mode_parse(argv[++i], &ro.mode) != 0)
                return cli_usage(cmd, "--mode: unknown mode '%s'", argv[i]);
        } else if (strcmp(a, "--window") == 0 && has) {
            char buf[64];
            const char *s = argv[++i], *c = strchr(s, ',');
            if (!c || (size_t)(c - s) >= sizeof buf)
                return cli_usage(cmd, "--window: expected LO,HI, got '%s'", s);
            memcpy(buf, s, (size_t)(c - s));
            buf[c - s] = 0;
            if (!cli_parse_double(buf, &ro.window_lo) || !cli_parse_double(c + 1, &ro.window_hi) ||
                !(ro.window_hi > ro.window_lo) || ro.window_lo < 0 || ro.window_hi > 30)
                return cli_usage(cmd, "--window: expected 0 <= LO < HI <= 30, got '%s'", s);
        } else if (strcmp(a, "--edge") == 0 && has) {
            if (!cli_parse_double(argv[++i], &ro.edge) || ro.edge < 0 || ro.edge > 2)
                return cli_usage(cmd, "--edge: expected a number 0..2, got '%s'", argv[i]);
        } else if (strcmp(a, "--negative") == 0)
            ro.negative = 1;
        else if (strcmp(a, "--no-dx") == 0)
            no_dx = 1;
        else if (strcmp(a, "--probe") == 0 && has) {
            if (nprobes == MAX_PROBES)
                return cli_usage(cmd, "--probe: at most %d", MAX_PROBES);
            if (!parse_probe(argv[++i], &probes[nprobes]))
                return cli_usage(cmd,
                                 "--probe: expected VIEW:X0,Y0,X1,Y1 with X0<X1, Y0<Y1, "
                                 "got '%s'",
                                 argv[i]);
            nprobes++;
        } else if (a[0] == '-' && a[1] != 0)
            return cli_usage(cmd, "unknown or incomplete argument '%s'", a);
        else if (!dir)
            dir = a;
        else
            return cli_usage(cmd, "more than one scan folder ('%s')", a);
    }
    if (!dir)
        return cli_usage(cmd, "missing SCAN_DIR");
    lc_error err;
    lc_scan *scan = NULL;
    lc_mattable *table = NULL;
    lc_rgb *imgs[LC_SCAN_MAX_VIEWS] = {0};
    lc_atten *at[LC_SCAN_MAX_VIEWS] = {0};
    lc_matmap *mm[LC_SCAN_MAX_VIEWS] = {0};
    lc_rgb *all = NULL;
    int rc = CLI_OK;
    if (lc_dicos_read_scan(dir, &scan, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (cli_load_table(calib, scan, &table, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    size_t nv = lc_scan_view_count(scan);
    for (size_t i = 0; i < nprobes; i++)
        if (probes[i].view >= nv) {
            rc =
                cli_usage(cmd, "--probe: view %u not in the scan (it has %zu)", probes[i].view, nv);
            goto done;
        }
    for (size_t v = 0; v < nv; v++) {
        cli_progress("process", (double)v / nv);
        if (lc_atten_compute(scan, v, NULL, &at[v], &err) != LC_OK ||
            lc_matmap_compute(table, at[v], NULL, &mm[v], &err) != LC_OK ||
            lc_render(at[v], mm[v], &ro, &imgs[v], &err) != LC_OK) {
            cli_progress_done();
            lc_error_prefix(&err, "%s: ", dir);
            rc = cli_fail(cmd, &err);
            goto done;
        }
        if (!no_dx) {
            lc_dicos_image di = {LC_DICOS_RGB8, imgs[v]->width, imgs[v]->height, imgs[v]->data};
            if (lc_dicos_write_presentation(dir, (uint32_t)v, &di, &err) != LC_OK) {
                cli_progress_done();
                rc = cli_fail(cmd, &err);
                goto done;
            }
        }
    }
    cli_progress_done();
    if (png) {
        if (lc_rgb_hconcat((const lc_rgb *const *)imgs, nv, 16, &all, &err) != LC_OK ||
            lc_rgb_write_png(all, png, &err) != LC_OK) {
            rc = cli_fail(cmd, &err);
            goto done;
        }
    }
    for (size_t i = 0; i < nprobes; i++) {
        lc_probe p;
        if (lc_probe_region(at[probes[i].view], mm[probes[i].view], probes[i].rect, &p, &err) !=
            LC_OK) {
            rc = cli_usage(cmd, "--probe: %s", err.msg);
            goto done;
        }
        print_probe(probes[i].view, &p);
    }
done:
    for (size_t v = 0; v < LC_SCAN_MAX_VIEWS; v++) {
        lc_rgb_free(imgs[v]);
        lc_matmap_free(mm[v]);
        lc_atten_free(at[v]);
    }
    lc_rgb_free(all);
    lc_mattable_free(table);
    lc_scan_free(scan);
    return rc;
}

const cli_command cmd_process = {
    "process", "run the image chain: calibrated images, Zeff, class, rendering", help, run};
