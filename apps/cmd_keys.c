/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_keys.c: `lucent keys init`: creates a site's keys on the site. The
 * passphrase (optional) is read from standard input or a file, never from
 * the command line, and never printed.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lucent/trust.h"

static const char help[] =
    "usage: lucent keys init --dir DIR --name NAME [--passphrase-stdin | --passphrase-file F]\n"
    "\n"
    "Creates the keys of this site in DIR (mode 0700): site.key (Ed25519 signing key for\n"
    "audit checkpoints), data.key (data key for encryption at rest), both mode 0600, and\n"
    "site.vkey, the public verifier key that auditors use with 'lucent audit verify'.\n"
    "No key is built into lucent and none comes from a vendor. Existing keys are never\n"
    "replaced. With a passphrase, the secrets are sealed with Argon2id; the station then\n"
    "needs the same passphrase to start.\n"
    "\n"
    "  --dir DIR              where to create the keys\n"
    "  --name NAME            key name shown in signed checkpoints, e.g. lucent.embassy-07\n"
    "                         (printable, no spaces, no '+')\n"
    "  --passphrase-stdin     read the passphrase from the first line of standard input\n"
    "  --passphrase-file F    read it from the first line of file F\n";

static int run(int argc, char **argv)
{
    const char *cmd = "keys";
    if (argc < 2 || strcmp(argv[1], "init") != 0)
        return cli_usage(cmd, "expected 'init'");
    const char *dir = NULL, *name = NULL, *pfile = NULL;
    int pstdin = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--passphrase-stdin") == 0) {
            pstdin = 1;
            continue;
        }
        if (!v)
            return cli_usage(cmd, "%s needs a value", a);
        i++;
        if (strcmp(a, "--dir") == 0)
            dir = v;
        else if (strcmp(a, "--name") == 0)
            name = v;
        else if (strcmp(a, "--passphrase-file") == 0)
            pfile = v;
        else
            return cli_usage(cmd, "unknown option '%s'", a);
    }
    if (!dir || !name)
        return cli_usage(cmd, "--dir and --name are required");
    char pass[1024];
    if (!cli_read_passphrase(pfile, pstdin, pass, sizeof pass)) {
        fprintf(stderr, "lucent keys: cannot read the passphrase\n");
        return CLI_BAD_INPUT;
    }
    lc_error err;
    lc_error_clear(&err);
    lc_status st = lc_keys_init(dir, name, pass[0] ? pass : NULL, &err);
    memset(pass, 0, sizeof pass);
    if (st != LC_OK)
        return cli_fail(cmd, &err);
    printf("created the keys of %s in %s (verifier key: %s/site.vkey)\n", name, dir, dir);
    return CLI_OK;
}

const cli_command cmd_keys = {"keys", "create this site's signing and data keys", help, run};
