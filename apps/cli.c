/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.c: shared helpers of the subcommands (see cli.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lucent %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'lucent help %s')\n", cmd);
    return CLI_USAGE;
}

const char *cli_error_text(const char *cmd, const lc_error *err)
{
    if (!err->msg[0])
        return lc_strerror(err->status);
    size_t n = strlen(cmd);
    if (strncmp(err->msg, cmd, n) == 0 && err->msg[n] == ':' && err->msg[n + 1] == ' ')
        return err->msg + n + 2;
    return err->msg;
}

int cli_fail(const char *cmd, const lc_error *err)
{
    fprintf(stderr, "lucent %s: %s\n", cmd, cli_error_text(cmd, err));
    return err->status == LC_ERR_ARG ? CLI_USAGE : CLI_BAD_INPUT;
}

bool cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool cli_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int progress_shown;

void cli_progress(const char *what, double frac)
{
    if (!isatty(STDERR_FILENO))
        return;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    fprintf(stderr, "\r%s %3d%%", what, (int)(frac * 100.0 + 0.5));
    fflush(stderr);
    progress_shown = 1;
}

void cli_progress_done(void)
{
    if (progress_shown && isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K");
    progress_shown = 0;
}

void cli_progress_cb(void *user, double frac)
{
    cli_progress(user ? (const char *)user : "working", frac);
}

/* Reads the first line of f into buf (without the newline). */
static int read_line(FILE *f, char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, f))
        return 0;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 1;
}

int cli_read_passphrase(const char *file, int from_stdin, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (from_stdin)
        return read_line(stdin, buf, cap);
    if (file) {
        FILE *f = fopen(file, "r");
        if (!f)
            return 0;
        int ok = read_line(f, buf, cap);
        fclose(f);
        return ok;
    }
    return 1;
}

lc_status cli_load_table(const char *calib, const lc_scan *scan, lc_mattable **out, lc_error *err)
{
    if (!calib || !*calib)
        calib = getenv("LUCENT_CALIB");
    if (calib && *calib)
        return lc_mattable_load(calib, out, err);
    lc_chain_model m;
    lc_chain_model_init(&m);
    double kvp = scan ? lc_scan_get_info(scan)->kvp : 0.0;
    if (kvp >= LC_PHYS_KVP_MIN && kvp <= LC_PHYS_KVP_MAX)
        m.tube.kvp = kvp;
    return lc_mattable_generate(&m, out, err);
}

bool cli_parse_sensitivity(const char *s, double sensitivity[LC_ATR_CLASSES])
{
    double v;
    if (cli_parse_double(s, &v)) {
        if (!(v >= 0 && v <= 1))
            return false;
        for (int c = 0; c < LC_ATR_CLASSES; c++)
            sensitivity[c] = v;
        return true;
    }
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    bool any = false;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","), any = true) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return false;
        *eq = '\0';
        lc_atr_class c;
        if (lc_atr_class_parse(tok, &c) != 0 || !cli_parse_double(eq + 1, &v) ||
            !(v >= 0 && v <= 1))
            return false;
        sensitivity[c] = v;
    }
    return any;
}
