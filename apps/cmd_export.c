/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_export.c: `lucent export --data DIR SCAN_ID OUT`: one stored scan out of
 * the station as plain DICOS files (lc_station_export), for an auditor. The
 * scan's sealed files are opened with the site keys, checked, the export is
 * recorded as an audited "scan.export" event, then the files are written.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lucent/station.h"

static const char help[] =
    "usage: lucent export --data DIR [--passphrase-file F] [--actor NAME] SCAN_ID OUT\n"
    "\n"
    "Writes the stored scan SCAN_ID (a bag id such as B20261127-065427-701-a2ea)\n"
    "of the station data folder DIR into folder OUT as plain DICOS files (DX for\n"
    "processing of every view and energy, and its TDRs), readable by any DICOM\n"
    "tool. The station stores scans sealed; this opens them with the site keys in\n"
    "DIR/keys (--passphrase-file: first line is the passphrase of sealed keys),\n"
    "checks every file before writing any, and records a 'scan.export' event\n"
    "(scan, folder, files, actor) that goes to the audit log. A scan erased by\n"
    "retention cannot be exported: its key is gone.\n"
    "\n"
    "  --actor NAME   who exports, recorded in the event (default: cli)\n"
    "\n"
    "example:\n"
    "  lucent export --data lucent-data --actor auditor1 B20261127-065427-701-a2ea out/\n";

static int run(int argc, char **argv)
{
    const char *data = NULL, *pfile = NULL, *actor = "cli", *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--data") == 0 || strcmp(a, "--passphrase-file") == 0 ||
            strcmp(a, "--actor") == 0) {
            if (i + 1 >= argc)
                return cli_usage("export", "%s needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'd')
                data = v;
            else if (a[2] == 'p')
                pfile = v;
            else
                actor = v;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("export", "unknown option %s", a);
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            return cli_usage("export", "too many arguments");
        }
    }
    if (!data || npos != 2)
        return cli_usage("export", "--data DIR, a scan id and an output folder are required");
    char pass[1024] = "";
    if (pfile) {
        FILE *f = fopen(pfile, "r");
        if (!f || !fgets(pass, sizeof pass, f)) {
            if (f)
                fclose(f);
            fprintf(stderr, "lucent export: %s: cannot read the passphrase\n", pfile);
            return CLI_BAD_INPUT;
        }
        fclose(f);
        pass[strcspn(pass, "\r\n")] = '\0';
    }
    lc_error err;
    size_t n = 0;
    lc_status s = lc_station_export(data, pass, pos[0], pos[1], actor, &n, &err);
    memset(pass, 0, sizeof pass);
    if (s != LC_OK)
        return cli_fail("export", &err);
    printf("exported %s: %zu plain DICOS file(s) in %s (recorded as scan.export)\n", pos[0], n,
           pos[1]);
    return CLI_OK;
}

const cli_command cmd_export = {"export", "export one stored scan as plain DICOS (audited)", help,
                                run};
