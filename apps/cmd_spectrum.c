/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_spectrum.c: `lucent spectrum`, the photon spectrum of the scanner's
 * tube after the tube's filtration (what reaches the detector face through
 * air), as CSV or as a readable table with a summary.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char help[] =
    "usage: lucent spectrum [--kvp K] [--csv] [--scanner FILE]\n"
    "\n"
    "Prints the photon spectrum of the X-ray tube at the detector face, after the\n"
    "tube's inherent and added filtration, for the default scanner or the \"tube\"\n"
    "section of a scanner JSON file.\n"
    "\n"
    "Units: photons per 1 keV bin (centred on the energy) per mAs per mm^2 at 1 m\n"
    "from the focal spot. The tube model is a Kramers continuum with self-absorption\n"
    "in the tungsten target, tungsten K lines and Al/Cu filtration (docs/physics.md).\n"
    "\n"
    "  --kvp K         tube voltage in kV (40..200), overriding the scanner's\n"
    "  --csv           print columns energy_keV,photons (one header line)\n"
    "  --scanner FILE  scanner description (JSON); default: the built-in scanner\n"
    "                  (160 kV, 12 deg anode, 2.5 mm Al)\n"
    "\n"
    "Without --csv a summary (total photons, mean energy, filtration) and a table\n"
    "every 5 keV are printed.\n";

static int run(int argc, char **argv)
{
    const char *cmd = "spectrum";
    const char *scanner = NULL;
    bool csv = false, have_kvp = false;
    double kvp = 0.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0) {
            csv = true;
        } else if (strcmp(argv[i], "--kvp") == 0) {
            if (++i >= argc)
                return cli_usage(cmd, "--kvp needs a value");
            if (!cli_parse_double(argv[i], &kvp))
                return cli_usage(cmd, "--kvp: '%s' is not a number", argv[i]);
            have_kvp = true;
        } else if (strcmp(argv[i], "--scanner") == 0) {
            if (++i >= argc)
                return cli_usage(cmd, "--scanner needs a file");
            scanner = argv[i];
        } else {
            return cli_usage(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    lc_error err;
    lc_error_clear(&err);
    lc_tube tube;
    lc_tube_init(&tube);
    if (scanner) {
        if (lc_phys_scanner_load(scanner, &tube, NULL, &err) != LC_OK) {
            if (err.status == LC_ERR_ARG)
                err.status = LC_ERR_FORMAT;
            return cli_fail(cmd, &err);
        }
    }
    if (have_kvp) {
        if (!(kvp >= LC_PHYS_KVP_MIN && kvp <= LC_PHYS_KVP_MAX)) {
            fprintf(stderr, "lucent %s: --kvp %g outside %g..%g kV\n", cmd, kvp, LC_PHYS_KVP_MIN,
                    LC_PHYS_KVP_MAX);
            return CLI_BAD_INPUT;
        }
        if (tube.spectrum[0]) {
            fprintf(stderr, "lucent %s: --kvp does not apply: %s sets tube.spectrum\n", cmd,
                    scanner);
            return CLI_BAD_INPUT;
        }
        tube.kvp = kvp;
    }
    lc_spectrum *s = NULL;
    if (lc_tube_spectrum(&tube, &s, &err) != LC_OK) {
        if (err.status == LC_ERR_ARG)
            err.status = LC_ERR_FORMAT; /* a bad scanner value, not a usage error */
        return cli_fail(cmd, &err);
    }
    size_t n = lc_spectrum_count(s);
    const double *e = lc_spectrum_energies(s), *ph = lc_spectrum_photons(s);
    if (csv) {
        printf("energy_keV,photons\n");
        for (size_t i = 0; i < n; i++)
            printf("%.10g,%.10g\n", e[i], ph[i]);
    } else {
        if (tube.spectrum[0])
            printf("spectrum: %s\n", tube.spectrum);
        else
            printf("tube: %g kV, anode %g deg, filtration %g mm Al (inherent) + %g mm Al + %g mm "
                   "Cu%s%s\n",
                   tube.kvp, tube.anode_angle_deg, tube.inherent_al_mm, tube.added_al_mm,
                   tube.added_cu_mm, tube.self_absorption ? "" : ", no target self-absorption",
                   tube.k_lines ? "" : ", no K lines");
        printf("total: %.4g photons per mAs per mm^2 at 1 m\n", lc_spectrum_total(s));
        printf("mean energy: %.2f keV\n", lc_spectrum_mean_energy(s));
        printf("\n%10s  %14s\n", "energy_keV", "photons");
        for (size_t i = 0; i < n; i++) {
            bool step = n <= 40 || (e[i] == (double)(long)e[i] && (long)e[i] % 5 == 0);
            if (step)
                printf("%10g  %14.6g\n", e[i], ph[i]);
        }
    }
    lc_spectrum_free(s);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "lucent %s: cannot write the output\n", cmd);
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

const cli_command cmd_spectrum = {"spectrum", "print the tube's photon spectrum", help, run};
