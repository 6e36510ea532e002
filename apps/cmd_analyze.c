/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_analyze.c: `lucent analyze SCAN_DIR [--json REPORT] [--sensitivity S]`:
 * runs automatic threat recognition on a scan folder, writes the machine TDR
 * (tdr_machine.dcs) into the folder and the JSON report of issue 5.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lucent/atr.h"
#include "lucent/chain.h"
#include "lucent/dicos.h"
#include "lucent/lucent.h"

static const char help[] =
    "usage: lucent analyze SCAN_DIR [--json REPORT] [--sensitivity S|CLASS=S,...]\n"
    "                      [--calib FILE]\n"
    "\n"
    "Runs automatic threat recognition on the scan in SCAN_DIR (DICOS DX files):\n"
    "segmentation per view, overlap stripping, both views together, and rules\n"
    "for three alarm classes: explosive (organic masses in the explosives' Zeff\n"
    "band), weapon (knife- and gun-shaped metal) and dense (impenetrable regions\n"
    "large enough to hide a threat). Writes:\n"
    "  SCAN_DIR/tdr_machine.dcs  DICOS TDR: alarm decision and one threat object\n"
    "                            per alarmed object (its box in each view that\n"
    "                            alarmed, score, Zeff; mass for explosives)\n"
    "  REPORT (with --json; '-' = standard output) the JSON report:\n"
    "    {\"decision\":\"alarm\"|\"clear\",\"alarms\":[{\"class\",\"view\",\n"
    "     \"bbox\":[x0,y0,x1,y1],\"score\",\"zeff\",\"mass_g\",\"area_mm2\",\n"
    "     \"areal_g_cm2\",\"density_g_cm3\",\"paired\"}]}\n"
    "    paired: the index of the same object's alarm in the other view, or null\n"
    "    bbox in image pixels of that view (x = line, y = detector pixel;\n"
    "    x0, y0 inclusive, x1, y1 exclusive).\n"
    "Prints the decision and one line per alarm (Zeff where known; mass and\n"
    "density for explosives).\n"
    "\n"
    "options:\n"
    "  --json REPORT    write the JSON report to REPORT ('-': standard output)\n"
    "  --sensitivity S  operating point 0..1 for every class (default 0.5; higher\n"
    "                   alarms more), or per class: explosive=0.6,weapon=0.4\n"
    "  --calib FILE     material calibration table (lucent calibrate); default:\n"
    "                   $LUCENT_CALIB, else generated from the default model\n"
    "\n"
    "Exit codes: 0 success (whatever the decision), 1 bad input, 2 usage.\n";

static int run(int argc, char **argv)
{
    const char *cmd = "analyze";
    const char *dir = NULL, *json_path = NULL, *calib = NULL;
    lc_atr_options o;
    lc_atr_options_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--json") == 0) {
            if (!has_val)
                return cli_usage(cmd, "--json needs a file ('-' for standard output)");
            json_path = argv[++i];
        } else if (strcmp(a, "--sensitivity") == 0) {
            if (!has_val || !cli_parse_sensitivity(argv[i + 1], o.sensitivity))
                return cli_usage(cmd, "--sensitivity needs 0..1 or CLASS=S,... with classes "
                                      "explosive, weapon, dense");
            i++;
        } else if (strcmp(a, "--calib") == 0) {
            if (!has_val)
                return cli_usage(cmd, "--calib needs a file");
            calib = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", a);
        } else if (!dir) {
            dir = a;
        } else {
            return cli_usage(cmd, "unexpected argument '%s'", a);
        }
    }
    if (!dir)
        return cli_usage(cmd, "missing SCAN_DIR");
    lc_error err;
    lc_error_clear(&err);
    lc_scan *scan = NULL;
    lc_mattable *table = NULL;
    lc_atr_result *res = NULL;
    lc_dicos_tdr *tdr = NULL;
    char *text = NULL;
    int rc = CLI_OK;
    if (lc_dicos_read_scan(dir, &scan, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (cli_load_table(calib, scan, &table, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (lc_atr_analyze(table, scan, &o, &res, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    /* the TDR: one threat object per object (an alarm and its paired
     * alarm in the other view) */
    char algorithm[64];
    snprintf(algorithm, sizeof algorithm, "lucent atr %s", lc_version());
    if (lc_dicos_tdr_from_atr(res, 0, algorithm, &tdr, &err) != LC_OK ||
        lc_dicos_write_tdr(dir, tdr, &err) != LC_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (json_path) {
        if (lc_atr_result_json(res, &text, &err) != LC_OK) {
            rc = cli_fail(cmd, &err);
            goto done;
        }
        if (strcmp(json_path, "-") == 0) {
            fputs(text, stdout);
            fputc('\n', stdout);
        } else {
            FILE *f = fopen(json_path, "w");
            if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "lucent %s: %s: cannot write the report\n", cmd, json_path);
                rc = CLI_BAD_INPUT;
                goto done;
            }
        }
    }
    if (!json_path || strcmp(json_path, "-") != 0) {
        printf("%s: %s (%zu alarm%s, %.2f s)\n", dir, res->alarm ? "ALARM" : "CLEAR", res->n,
               res->n == 1 ? "" : "s", res->seconds);
        /* the measurements that mean something for the class, as in the
         * TDR: Zeff where known, mass and density for explosives */
        for (size_t i = 0; i < res->n; i++) {
            const lc_atr_alarm *a = &res->alarms[i];
            printf("  %-9s view %u bbox [%u,%u,%u,%u] score %.2f", lc_atr_class_name(a->cls),
                   a->view, a->bbox[0], a->bbox[1], a->bbox[2], a->bbox[3], a->score);
            if (isfinite(a->zeff))
                printf(" zeff %.2f", a->zeff);
            if (a->cls == LC_ATR_EXPLOSIVE && isfinite(a->zeff_edge))
                printf(" (edges %.2f)", a->zeff_edge);
            if (a->cls == LC_ATR_EXPLOSIVE && a->mass_g > 0)
                printf(" mass %.0f g", a->mass_g);
            if (a->cls == LC_ATR_EXPLOSIVE && a->density_g_cm3 > 0)
                printf(" density %.2f g/cm3", a->density_g_cm3);
            putchar('\n');
        }
    }
done:
    free(text);
    lc_dicos_tdr_free(tdr);
    lc_atr_result_free(res);
    lc_mattable_free(table);
    lc_scan_free(scan);
    return rc;
}

const cli_command cmd_analyze = {"analyze", "automatic threat recognition: TDR and JSON report",
                                 help, run};
