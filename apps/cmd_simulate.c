/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_simulate.c: `lucent simulate SCENE -o SCAN_DIR`: simulates a bag passing
 * through the scanner and writes the raw scan as DICOS DX for processing, the
 * ground-truth labels.json and, with --png, a quick-look image per view.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"

static const char help[] =
    "usage: lucent simulate SCENE -o SCAN_DIR [--scanner FILE] [--seed N] [--no-noise]\n"
    "                       [--spectrum FILE|mono:E_keV] [--threads N] [--png]\n"
    "\n"
    "Simulates the bag described by the scene file SCENE (JSON, see DESIGN.md)\n"
    "passing on the belt through a dual-energy line scanner and writes into SCAN_DIR:\n"
    "  *.dcs        the raw scan: DICOS DX 'for processing', high and low planes\n"
    "               of every view with dark and air reference lines\n"
    "  labels.json  ground truth: every object's id, material, threat class and\n"
    "               its bounding box [x0,y0,x1,y1] in each view's image (x along\n"
    "               lines, y along pixels; x0,y0 inclusive, x1,y1 exclusive)\n"
    "  view0.png..  with --png: quick-look grey images (high channel, log scale)\n"
    "\n"
    "options:\n"
    "  -o DIR               output folder (created if missing)\n"
    "  --scanner FILE       scanner description (JSON, docs/simulator.md);\n"
    "                       default: the two-view 60x40 cm tunnel scanner\n"
    "  --seed N             random seed (default 1); equal seeds give equal scans\n"
    "  --no-noise           write the expected signal (no random noise)\n"
    "  --spectrum S         'mono:E_keV' or a two-column spectrum file instead of\n"
    "                       the tube model\n"
    "  --threads N          worker threads (default: all cores; the result does\n"
    "                       not depend on it)\n"
    "  --png                also write view0.png, view1.png, ...\n"
    "\n"
    "Exit codes: 0 success, 1 bad input (scene, scanner, spectrum), 2 usage.\n";

static int run(int argc, char **argv)
{
    const char *cmd = "simulate";
    const char *scene_path = NULL, *out_dir = NULL, *scanner_path = NULL, *spectrum = NULL;
    long seed = 1, threads = 0;
    int noise = 1, png = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!has_val)
                return cli_usage(cmd, "%s needs a folder", a);
            out_dir = argv[++i];
        } else if (strcmp(a, "--scanner") == 0) {
            if (!has_val)
                return cli_usage(cmd, "--scanner needs a file");
            scanner_path = argv[++i];
        } else if (strcmp(a, "--spectrum") == 0) {
            if (!has_val)
                return cli_usage(cmd, "--spectrum needs a file or mono:E_keV");
            spectrum = argv[++i];
        } else if (strcmp(a, "--seed") == 0) {
            if (!has_val || !cli_parse_long(argv[i + 1], 0, 9007199254740991L, &seed))
                return cli_usage(cmd, "--seed needs a non-negative integer");
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (!has_val || !cli_parse_long(argv[i + 1], 1, 256, &threads))
                return cli_usage(cmd, "--threads needs an integer 1..256");
            i++;
        } else if (strcmp(a, "--no-noise") == 0) {
            noise = 0;
        } else if (strcmp(a, "--png") == 0) {
            png = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", a);
        } else if (!scene_path) {
            scene_path = a;
        } else {
            return cli_usage(cmd, "unexpected argument '%s'", a);
        }
    }
    if (!scene_path)
        return cli_usage(cmd, "missing SCENE");
    if (!out_dir)
        return cli_usage(cmd, "missing -o SCAN_DIR");

    lc_error err;
    lc_error_clear(&err);
    lc_scene *scene = NULL;
    lc_scanner *sc = NULL;
    lc_scan *scan = NULL;
    lc_sim_labels *labels = NULL;
    int rc = CLI_OK;
    if (lc_scene_load(scene_path, &scene, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    lc_status st =
        scanner_path ? lc_scanner_load(scanner_path, &sc, &err) : lc_scanner_new(&sc, &err);
    if (st != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    lc_sim_options opts;
    lc_sim_options_init(&opts);
    opts.seed = (uint64_t)seed;
    opts.noise = noise;
    opts.threads = (int)threads;
    opts.spectrum = spectrum;
    opts.progress = cli_progress_cb;
    opts.progress_user = (void *)"simulating";
    st = lc_simulate(scene, sc, &opts, &scan, &labels, &err);
    cli_progress_done();
    if (st != LC_OK) {
        /* A bad --spectrum argument is bad input, not a usage error. */
        if (err.status == LC_ERR_ARG)
            err.status = LC_ERR_FORMAT;
        rc = cli_fail(cmd, &err);
        goto done;
    }
    lc_scan_info *info = lc_scan_info_mut(scan);
    snprintf(info->scan_id, sizeof info->scan_id, "SIM-%ld", seed);
    info->acquired_unix_us = (int64_t)time(NULL) * 1000000;
    if (lc_dicos_write_scan(scan, out_dir, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/labels.json", out_dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "lucent %s: output path too long\n", cmd);
        rc = CLI_BAD_INPUT;
        goto done;
    }
    if (lc_sim_labels_write(labels, path, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    for (size_t v = 0; png && v < lc_scan_view_count(scan); v++) {
        snprintf(path, sizeof path, "%s/view%zu.png", out_dir, v);
        if (lc_sim_write_png(scan, v, path, &err) != LC_OK) {
            rc = cli_fail(cmd, &err);
            goto done;
        }
    }
done:
    lc_sim_labels_free(labels);
    lc_scan_free(scan);
    lc_scanner_free(sc);
    lc_scene_free(scene);
    return rc;
}

const cli_command cmd_simulate = {"simulate", "simulate a bag passing through the scanner", help,
                                  run};
