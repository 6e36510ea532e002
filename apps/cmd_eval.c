/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_eval.c: `lucent eval DIR`: the evaluation bench. Simulates (or reuses)
 * and analyses every bag of a corpus written by `lucent corpus` and reports
 * detection rates per class and difficulty, false alarms and the ROC curve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lucent/atr.h"
#include "lucent/chain.h"

static const char help[] =
    "usage: lucent eval DIR [--sensitivity S|CLASS=S,...] [--threads N] [--limit N]\n"
    "                   [--resimulate] [--calib FILE] [--features FILE]\n"
    "\n"
    "Evaluates threat recognition on the corpus in DIR (lucent corpus): bag i is\n"
    "simulated with seed i+1 into DIR/scans/<bag>/ unless that scan exists, then\n"
    "analysed. A threat counts as detected when an alarm of its class overlaps its\n"
    "box (the simulator's labels) in either view with intersection over union\n"
    ">= 0.1. Writes into DIR/eval/:\n"
    "  results.csv   per bag: threat (class, kind, material), difficulty, mass,\n"
    "                best detecting score, decision\n"
    "  roc.csv       per threshold 0..1 (with per-class sensitivities, each\n"
    "                class's threshold moves with it, shifted by its operating\n"
    "                point's offset from 0.5): false-alarm rate on clean bags and\n"
    "                detection rates (explosives >= 300 g, weapons, dense, all)\n"
    "  roc.png       the ROC curves (x false-alarm rate, y detection rate; orange\n"
    "                explosives >= 300 g, blue weapons, black dense, grey all;\n"
    "                squares: the operating point; labelled axes and legend)\n"
    "  summary.json  the metrics at the operating point (headline rates with their\n"
    "                95 % Wilson intervals), by class and difficulty, by kind,\n"
    "                and for explosives by material\n"
    "and prints the summary.\n"
    "\n"
    "options:\n"
    "  --sensitivity S  operating point 0..1 (default 0.5): alarm at score >= 1-S;\n"
    "                   or per class: explosive=0.6,weapon=0.4\n"
    "  --threads N      simulation threads (default: all cores)\n"
    "  --limit N        only the first N bags\n"
    "  --resimulate     simulate even when a scan exists\n"
    "  --calib FILE     material calibration table; default $LUCENT_CALIB, else\n"
    "                   generated from the default model\n"
    "  --features FILE  also write every candidate's measurements, scores and the\n"
    "                   threat it overlaps (CSV) to FILE, for scripts/train_atr.py\n"
    "\n"
    "Exit codes: 0 success, 1 bad input (missing or malformed corpus), 2 usage.\n";

static int run(int argc, char **argv)
{
    const char *cmd = "eval";
    const char *dir = NULL, *calib = NULL;
    lc_atr_eval_options o;
    lc_atr_eval_options_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        long v;
        if (strcmp(a, "--sensitivity") == 0) {
            if (!has_val || !cli_parse_sensitivity(argv[i + 1], o.atr.sensitivity))
                return cli_usage(cmd, "--sensitivity needs 0..1 or CLASS=S,... with classes "
                                      "explosive, weapon, dense");
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (!has_val || !cli_parse_long(argv[i + 1], 1, 256, &v))
                return cli_usage(cmd, "--threads needs an integer 1..256");
            o.threads = (int)v;
            i++;
        } else if (strcmp(a, "--limit") == 0) {
            if (!has_val || !cli_parse_long(argv[i + 1], 1, 1000000, &v))
                return cli_usage(cmd, "--limit needs a positive integer");
            o.limit = (size_t)v;
            i++;
        } else if (strcmp(a, "--resimulate") == 0) {
            o.resimulate = 1;
        } else if (strcmp(a, "--calib") == 0) {
            if (!has_val)
                return cli_usage(cmd, "--calib needs a file");
            calib = argv[++i];
        } else if (strcmp(a, "--features") == 0) {
            if (!has_val)
                return cli_usage(cmd, "--features needs a file");
            o.features = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", a);
        } else if (!dir) {
            dir = a;
        } else {
            return cli_usage(cmd, "unexpected argument '%s'", a);
        }
    }
    if (!dir)
        return cli_usage(cmd, "missing DIR");
    lc_error err;
    lc_error_clear(&err);
    lc_mattable *table = NULL;
    /* The corpus is simulated with the default scanner: its model's table. */
    lc_status st = cli_load_table(calib, NULL, &table, &err);
    if (st != LC_OK)
        return cli_fail(cmd, &err);
    o.progress = cli_progress_cb;
    o.progress_user = (void *)"evaluating";
    char *summary = NULL;
    st = lc_atr_eval_run(table, dir, &o, NULL, &summary, &err);
    cli_progress_done();
    lc_mattable_free(table);
    if (st != LC_OK) {
        if (err.status == LC_ERR_ARG)
            err.status = LC_ERR_FORMAT;
        return cli_fail(cmd, &err);
    }
    fputs(summary, stdout);
    free(summary);
    return CLI_OK;
}

const cli_command cmd_eval = {"eval", "evaluate threat recognition on a bag corpus (ROC)", help,
                              run};
