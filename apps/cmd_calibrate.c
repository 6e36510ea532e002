/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_calibrate.c: `lucent calibrate`: builds a material calibration table
 * from a scan of a step-wedge kit, simulated (--simulate) or real (--scan, a
 * scan folder, e.g. from `lucent import raw`). Prints what it measured and
 * fitted, writes the table.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lucent/chain.h"
#include "lucent/dicos.h"

static const char help[] =
    "usage: lucent calibrate --kit KIT.json (--simulate | --scan SCAN_DIR) -o TABLE.json\n"
    "                        [--scanner SCANNER.json] [--seed N] [--save-scan DIR] [--quiet]\n"
    "\n"
    "Builds a material calibration table (Zeff lookup) from a scan of a step-wedge\n"
    "kit. The kit file lists known materials at known thicknesses and where each\n"
    "step lies in the image (data/kits/default.json). The mean attenuations of\n"
    "every step fit the physics model (tube filtration, detector layer\n"
    "thicknesses); the fitted model then generates a reference curve for every\n"
    "element Z = 5..30, and a pixel's Zeff is interpolated between them.\n"
    "\n"
    "  --kit FILE          the kit description (required)\n"
    "  --simulate          scan the kit with lucent's slab synthesiser (phys signal\n"
    "                      model, noise, per-pixel gain/offset, dark/air lines)\n"
    "  --scan DIR          use a real (or simulated) kit scan folder instead\n"
    "  --scanner FILE      tube and detector sections to start the fit from\n"
    "                      (default: the default scanner)\n"
    "  --seed N            noise seed of --simulate (default 1)\n"
    "  --save-scan DIR     with --simulate: also write the kit scan as a DICOS scan\n"
    "                      folder (what --scan reads back)\n"
    "  -o, --output FILE   the table to write\n"
    "  --quiet             do not print the per-step report\n"
    "\n"
    "The shipped default table is made with:\n"
    "  lucent calibrate --kit data/kits/default.json --simulate -o data/calib/default.json\n";

static int run(int argc, char **argv)
{
    const char *cmd = "calibrate";
    const char *kit_path = NULL, *scan_dir = NULL, *out = NULL, *scanner = NULL, *save = NULL;
    int simulate = 0, quiet = 0;
    long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--kit") == 0 && has)
            kit_path = argv[++i];
        else if (strcmp(a, "--scan") == 0 && has)
            scan_dir = argv[++i];
        else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has)
            out = argv[++i];
        else if (strcmp(a, "--scanner") == 0 && has)
            scanner = argv[++i];
        else if (strcmp(a, "--save-scan") == 0 && has)
            save = argv[++i];
        else if (strcmp(a, "--seed") == 0 && has) {
            if (!cli_parse_long(argv[++i], 0, 2147483647L, &seed))
                return cli_usage(cmd, "--seed: not a number 0..2147483647: '%s'", argv[i]);
        } else if (strcmp(a, "--simulate") == 0)
            simulate = 1;
        else if (strcmp(a, "--quiet") == 0)
            quiet = 1;
        else
            return cli_usage(cmd, "unknown or incomplete argument '%s'", a);
    }
    if (!kit_path)
        return cli_usage(cmd, "--kit is required");
    if (!out)
        return cli_usage(cmd, "-o TABLE.json is required");
    if (simulate == (scan_dir != NULL))
        return cli_usage(cmd, "give exactly one of --simulate and --scan DIR");
    if (save && !simulate)
        return cli_usage(cmd, "--save-scan needs --simulate");

    lc_error err;
    lc_matlib *lib = NULL;
    lc_kit *kit = NULL;
    lc_scan *scan = NULL;
    lc_mattable *table = NULL;
    int rc = CLI_OK;
    lc_chain_model model;
    lc_chain_model_init(&model);
    if (scanner && lc_phys_scanner_load(scanner, &model.tube, &model.det, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (lc_matlib_new(&lib, &err) != LC_OK || lc_kit_load(kit_path, lib, &kit, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (simulate) {
        lc_synth_options so;
        lc_synth_options_init(&so);
        so.seed = (uint64_t)seed;
        if (lc_kit_simulate(kit, lib, &model, &so, &scan, &err) != LC_OK ||
            (save && lc_dicos_write_scan(scan, save, &err) != LC_OK)) {
            rc = cli_fail(cmd, &err);
            goto done;
        }
    } else {
        if (lc_dicos_read_scan(scan_dir, &scan, &err) != LC_OK) {
            rc = cli_fail(cmd, &err);
            goto done;
        }
        double kvp = lc_scan_get_info(scan)->kvp;
        if (kvp >= LC_PHYS_KVP_MIN && kvp <= LC_PHYS_KVP_MAX)
            model.tube.kvp = kvp;
    }
    lc_calib_report rep;
    if (lc_mattable_calibrate(kit, lib, scan, NULL, &model, &rep, &table, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (lc_mattable_save(table, out, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (!quiet) {
        const lc_chain_model *fm = lc_mattable_model(table);
        printf("kit: %s (%zu steps)\n", kit->name, kit->n_steps);
        printf("%-14s %9s %9s %9s %9s %9s\n", "material", "g/cm2", "A_H", "A_H fit", "A_L",
               "A_L fit");
        for (size_t i = 0; i < kit->n_steps && i < 64; i++)
            printf("%-14s %9.3f %9.4f %9.4f %9.4f %9.4f\n", kit->steps[i].material,
                   kit->steps[i].areal_g_cm2, rep.measured[i][LC_HIGH], rep.fitted[i][LC_HIGH],
                   rep.measured[i][LC_LOW], rep.fitted[i][LC_LOW]);
        printf("fit: rms A residual %.5f -> %.5f in %d model evaluations\n", rep.rms_before,
               rep.rms_after, rep.evaluations);
        printf("model: %.0f kVp, inherent Al %.3f mm, detector %s %.3f mm / %s %.3f mm / %s "
               "%.3f mm\n",
               fm->tube.kvp, fm->tube.inherent_al_mm, fm->det.front, fm->det.front_mm,
               fm->det.filter, fm->det.filter_mm, fm->det.rear, fm->det.rear_mm);
        printf("wrote %s\n", out);
    }
done:
    lc_mattable_free(table);
    lc_scan_free(scan);
    lc_kit_free(kit);
    lc_matlib_free(lib);
    return rc;
}

const cli_command cmd_calibrate = {"calibrate",
                                   "build a material calibration table from a "
                                   "step-wedge kit scan",
                                   help, run};
