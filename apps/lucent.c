/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent.c: the `lucent` program. Dispatches to the subcommands and answers
 * `lucent help [CMD]` and `lucent --version`. Uses only the public headers.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* One command per line, in the order `lucent help` lists them. */
/* clang-format off */
static const cli_command *const commands[] = {
    &cmd_import,
    &cmd_simulate,
    &cmd_corpus,
    &cmd_analyze,
    &cmd_eval,
    &cmd_calibrate,
    &cmd_process,
    &cmd_spectrum,
    &cmd_detector,
    &cmd_info,
    &cmd_keys,
    &cmd_audit,
    &cmd_station,
    &cmd_user,
    &cmd_export,
};
/* clang-format on */
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_overview(FILE *f)
{
    fprintf(f,
            "lucent %s: open software for dual-energy X-ray security screening\n\n"
            "usage: lucent COMMAND [ARGS...]\n\ncommands:\n",
            lc_version());
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-10s %s\n", "help", "show this overview, or 'lucent help COMMAND'");
    fprintf(f, "\nExit codes: 0 success, 1 bad input, 2 usage error.\n");
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("lucent %s\n", lc_version());
        return CLI_OK;
    }
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc < 3) {
            print_overview(stdout);
            return CLI_OK;
        }
        const cli_command *c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "lucent help: no command '%s' (see 'lucent help')\n", argv[2]);
            return CLI_USAGE;
        }
        fputs(c->help, stdout);
        return CLI_OK;
    }
    const cli_command *c = find(name);
    if (!c) {
        fprintf(stderr, "lucent: no command '%s' (see 'lucent help')\n", name);
        return CLI_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(c->help, stdout);
            return CLI_OK;
        }
    }
    return c->run(argc - 1, argv + 1);
}
