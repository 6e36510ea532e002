/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_corpus.c: `lucent corpus --n N --seed S -o DIR`: writes a corpus of
 * random bags (scene files loadable by `lucent simulate`) and its ground
 * truth, for `lucent eval`.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lucent/corpus.h"

static const char help[] =
    "usage: lucent corpus --n N [--seed S] [--threat-rate R] [--mix E,W,D]\n"
    "                     [--mass MIN,MAX] [--fill MIN,MAX] -o DIR\n"
    "\n"
    "Generates N random bags (containers packed with clothing, shoes, electronics\n"
    "with batteries and cables, toiletries, bottles, food and the classic confusers,\n"
    "books, umbrellas, keys and coins) and inserts a threat into a fraction R of\n"
    "them, with controlled difficulty (mass, form, orientation, overlap with\n"
    "clutter, shielding). Writes into DIR:\n"
    "  bag_NNNN.json  scene files (DESIGN.md scene format)\n"
    "  truth.json     ground truth: per bag its threats with class, kind, material,\n"
    "                 mass, difficulty factors and the scene object ids of the parts\n"
    "Equal seeds give equal files, bit for bit.\n"
    "\n"
    "options:\n"
    "  --n N            number of bags (1..100000)\n"
    "  --seed S         random seed (default 1)\n"
    "  --threat-rate R  fraction of bags with a threat, 0..1 (default 0.5)\n"
    "  --mix E,W,D      relative frequency of explosive, weapon and dense threats\n"
    "                   (default 0.5,0.3,0.2)\n"
    "  --mass MIN,MAX   explosive mass range in g, log-uniform (default 150,1500)\n"
    "  --fill MIN,MAX   packing: the fraction of a bag's floor its clutter covers,\n"
    "                   uniform in MIN..MAX, 0 < MIN <= MAX <= 1 (default 0.45,0.9;\n"
    "                   0.05,0.3 gives near-empty bags and trays)\n"
    "  -o DIR           output folder (created if missing)\n"
    "\n"
    "Exit codes: 0 success, 1 bad input (unwritable folder), 2 usage.\n";

static int parse_list(const char *s, double *v, int n)
{
    char buf[128];
    if (strlen(s) >= sizeof buf)
        return 0;
    strcpy(buf, s);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        char *c = strchr(p, ',');
        if ((c == NULL) != (i == n - 1))
            return 0;
        if (c)
            *c = '\0';
        if (!cli_parse_double(p, &v[i]))
            return 0;
        p = c ? c + 1 : p;
    }
    return 1;
}

static int run(int argc, char **argv)
{
    const char *cmd = "corpus";
    lc_corpus_options o;
    lc_corpus_options_init(&o);
    const char *dir = NULL;
    long n = -1, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!has_val)
                return cli_usage(cmd, "%s needs a folder", a);
            dir = argv[++i];
        } else if (strcmp(a, "--n") == 0) {
            if (!has_val || !cli_parse_long(argv[i + 1], 1, 100000, &n))
                return cli_usage(cmd, "--n needs an integer 1..100000");
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (!has_val || !cli_parse_long(argv[i + 1], 0, 9007199254740991L, &seed))
                return cli_usage(cmd, "--seed needs a non-negative integer");
            i++;
        } else if (strcmp(a, "--threat-rate") == 0) {
            if (!has_val || !cli_parse_double(argv[i + 1], &o.threat_rate))
                return cli_usage(cmd, "--threat-rate needs a number 0..1");
            i++;
        } else if (strcmp(a, "--mix") == 0) {
            double w[3];
            if (!has_val || !parse_list(argv[i + 1], w, 3))
                return cli_usage(cmd, "--mix needs three non-negative weights E,W,D");
            o.w_explosive = w[0], o.w_weapon = w[1], o.w_dense = w[2];
            i++;
        } else if (strcmp(a, "--mass") == 0) {
            double m[2];
            if (!has_val || !parse_list(argv[i + 1], m, 2))
                return cli_usage(cmd, "--mass needs MIN,MAX in g with 0 < MIN <= MAX <= 20000");
            o.min_mass_g = m[0], o.max_mass_g = m[1];
            i++;
        } else if (strcmp(a, "--fill") == 0) {
            double m[2];
            if (!has_val || !parse_list(argv[i + 1], m, 2))
                return cli_usage(cmd, "--fill needs MIN,MAX with 0 < MIN <= MAX <= 1");
            o.min_fill = m[0], o.max_fill = m[1];
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", a);
        } else {
            return cli_usage(cmd, "unexpected argument '%s'", a);
        }
    }
    if (n < 0)
        return cli_usage(cmd, "missing --n N");
    if (!dir)
        return cli_usage(cmd, "missing -o DIR");
    o.n = (size_t)n;
    o.seed = (uint64_t)seed;
    lc_error err;
    lc_error_clear(&err);
    /* the ranges are the library's to check: a value out of range is a
     * usage error, reported before any folder is made */
    if (lc_corpus_options_check(&o, &err) != LC_OK)
        return cli_usage(cmd, "%s", cli_error_text(cmd, &err));
    lc_status st = lc_corpus_write(&o, dir, cli_progress_cb, (void *)"generating", &err);
    cli_progress_done();
    if (st != LC_OK)
        return cli_fail(cmd, &err);
    return CLI_OK;
}

const cli_command cmd_corpus = {"corpus", "generate a corpus of random bags with ground truth",
                                help, run};
