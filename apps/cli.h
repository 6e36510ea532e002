/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: what the subcommands of the `lucent` program share: the command
 * table entry, strict number parsing, error reporting with DESIGN.md's exit
 * codes (0 ok, 1 bad input, 2 usage) and terminal-only progress.
 */
#ifndef LUCENT_CLI_H
#define LUCENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lucent/lucent.h"

#define CLI_OK        0
#define CLI_BAD_INPUT 1
#define CLI_USAGE     2

typedef struct cli_command {
    const char *name;
    const char *summary;               /* one line for `lucent help` */
    const char *help;                  /* full text for `lucent help NAME` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} cli_command;

/* Prints "lucent CMD: message" and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) LC_PRINTF(2, 3);
/* Prints "lucent CMD: <cli_error_text>" to stderr; returns CLI_BAD_INPUT,
 * or CLI_USAGE when the status is LC_ERR_ARG. */
int cli_fail(const char *cmd, const lc_error *err);
/* err's message without a leading "CMD: " (a library module named like the
 * command: "lucent simulate: simulate: ..." would say it twice), or the
 * status's text when there is no message. */
const char *cli_error_text(const char *cmd, const lc_error *err);

/* Strict parsers: the whole string must be a number in range. */
bool cli_parse_double(const char *s, double *out);
bool cli_parse_long(const char *s, long min, long max, long *out);
/* An operating point: "S" (0..1) for every class, or "CLASS=S,..." for some
 * (explosive, weapon, dense), the others left as they are. */
bool cli_parse_sensitivity(const char *s, double sensitivity[LC_ATR_CLASSES]);

/* Progress on stderr when it is a terminal, nothing otherwise. frac in 0..1;
 * call cli_progress_done() at the end to clear the line. */
void cli_progress(const char *what, double frac);
void cli_progress_done(void);

/* An lc_progress_fn that forwards to cli_progress with `user` as the label. */
void cli_progress_cb(void *user, double frac);

/* The material calibration table a command uses: the file calib (from
 * --calib), else $LUCENT_CALIB, else one generated from the default scanner
 * model at the scan's tube voltage (scan may be NULL: the model's default).
 * Caller owns *out (lc_mattable_free). */
lc_status cli_load_table(const char *calib, const lc_scan *scan, lc_mattable **out, lc_error *err);

/* Reads a secret (a passphrase) from the first line of standard input when
 * from_stdin, else of file (when non-NULL); buf is "" when neither is given.
 * Returns 0 when it cannot be read. Never from argv, never echoed. */
int cli_read_passphrase(const char *file, int from_stdin, char *buf, size_t cap);

#endif
