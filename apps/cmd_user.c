/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_user.c: `lucent user add|list|passwd|role|disable|enable`: manages the
 * station's accounts in DATA/lucent.db (lucent/store.h). This is how the
 * first admin comes to exist: there is no default account. Passwords are
 * read from the terminal without echo (asked twice) or, when stdin is not a
 * terminal, as the first line of stdin; never from the command line, where
 * other users and shell histories could see them.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "lucent/store.h"

static const char help[] =
    "usage: lucent user add    --data DIR --role ROLE NAME\n"
    "       lucent user list   --data DIR\n"
    "       lucent user passwd --data DIR NAME\n"
    "       lucent user role   --data DIR NAME ROLE\n"
    "       lucent user disable|enable --data DIR NAME\n"
    "\n"
    "Manages the accounts of the station whose data folder is DIR. Roles:\n"
    "screener, supervisor, auditor, admin. Names are 1 to 32 characters of\n"
    "A-Z a-z 0-9 . _ -; passwords 8 to 256 bytes, stored only as Argon2id.\n"
    "The password is read from the terminal (without echo, twice) or, when\n"
    "stdin is not a terminal, from the first line of stdin:\n"
    "  printf '%s\\n' \"$PW\" | lucent user add --data DIR --role admin alice\n"
    "Every change is recorded as an event (actor \"cli\").\n";

/* Reads a password into buf (without the newline). */
static int read_password(char *buf, size_t cap)
{
    int tty = isatty(STDIN_FILENO);
    for (int round = 0; round < (tty ? 2 : 1); round++) {
        char line[LC_PASSWORD_MAX + 8];
        struct termios old, quiet;
        if (tty) {
            fprintf(stderr, round == 0 ? "password: " : "again: ");
            fflush(stderr);
            tcgetattr(STDIN_FILENO, &old);
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
        char *ok = fgets(line, sizeof line, stdin);
        if (tty) {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
            fputc('\n', stderr);
        }
        if (!ok)
            return 0;
        line[strcspn(line, "\r\n")] = 0;
        if (round == 0) {
            if (strlen(line) >= cap)
                return 0;
            strcpy(buf, line);
        } else if (strcmp(buf, line) != 0) {
            memset(line, 0, sizeof line);
            fprintf(stderr, "lucent user: the passwords differ\n");
            return 0;
        }
        memset(line, 0, sizeof line);
    }
    return 1;
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("user", "missing subcommand (add, list, passwd, role, disable, enable)");
    const char *sub = argv[1];
    const char *data = NULL, *role = NULL, *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (argv[i][0] == '-')
            return cli_usage("user", "unknown option %s", argv[i]);
        else if (npos < 2)
            pos[npos++] = argv[i];
        else
            return cli_usage("user", "too many arguments");
    }
    if (!data)
        return cli_usage("user", "--data DIR is required");
    lc_error err;
    lc_store *st = NULL;
    int rc = CLI_OK;
    char pw[LC_PASSWORD_MAX + 2];
    memset(pw, 0, sizeof pw);

    if (strcmp(sub, "list") == 0) {
        if (npos != 0)
            return cli_usage("user", "list takes no names");
        if (lc_store_open(data, &st, &err) != LC_OK)
            return cli_fail("user", &err);
        lc_user_info *v = NULL;
        size_t n = 0;
        if (lc_store_user_list(st, &v, &n, &err) != LC_OK) {
            rc = cli_fail("user", &err);
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%-32s %-10s %s\n", v[i].name, lc_role_name(v[i].role),
                       v[i].active ? "active" : "disabled");
            free(v);
        }
        lc_store_close(st);
        return rc;
    }
    if (strcmp(sub, "add") == 0) {
        lc_role r;
        if (npos != 1 || !role)
            return cli_usage("user", "add needs --role ROLE and one NAME");
        if (lc_role_parse(role, &r) != LC_OK)
            return cli_usage("user", "--role: must be screener, supervisor, auditor or admin");
        if (!lc_user_name_valid(pos[0]))
            return cli_usage("user", "NAME: 1 to 32 characters of A-Z a-z 0-9 . _ -");
        if (!read_password(pw, sizeof pw)) {
            fprintf(stderr, "lucent user: no password read from stdin\n");
            return CLI_BAD_INPUT;
        }
        if (lc_store_open(data, &st, &err) != LC_OK)
            return cli_fail("user", &err);
        if (lc_store_user_add(st, pos[0], r, pw, "cli", &err) != LC_OK)
            rc = cli_fail("user", &err);
        else
            printf("added %s (%s)\n", pos[0], lc_role_name(r));
    } else if (strcmp(sub, "passwd") == 0 || strcmp(sub, "disable") == 0 ||
               strcmp(sub, "enable") == 0 || strcmp(sub, "role") == 0) {
        int is_role = strcmp(sub, "role") == 0;
        if (npos != (is_role ? 2 : 1))
            return cli_usage("user", is_role ? "role needs NAME ROLE" : "%s needs one NAME", sub);
        int newrole = -1, active = -1;
        if (is_role) {
            lc_role r;
            if (lc_role_parse(pos[1], &r) != LC_OK)
                return cli_usage("user", "ROLE must be screener, supervisor, auditor or admin");
            newrole = (int)r;
        }
        if (strcmp(sub, "disable") == 0)
            active = 0;
        if (strcmp(sub, "enable") == 0)
            active = 1;
        if (strcmp(sub, "passwd") == 0 && !read_password(pw, sizeof pw)) {
            fprintf(stderr, "lucent user: no password read from stdin\n");
            return CLI_BAD_INPUT;
        }
        if (lc_store_open(data, &st, &err) != LC_OK)
            return cli_fail("user", &err);
        if (lc_store_user_change(st, pos[0], newrole, active, pw[0] ? pw : NULL, "cli", &err) !=
            LC_OK)
            rc = cli_fail("user", &err);
        else
            printf("changed %s\n", pos[0]);
    } else {
        return cli_usage("user", "unknown subcommand '%s'", sub);
    }
    memset(pw, 0, sizeof pw);
    lc_store_close(st);
    return rc;
}

const cli_command cmd_user = {"user", "manage station accounts (add, list, passwd, role, ...)",
                              help, run};
