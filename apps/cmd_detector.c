/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_detector.c: `lucent detector`, the response of the dual-layer detector:
 * the absorption efficiencies eta_L(E), eta_H(E) as CSV, or a summary with
 * what each channel records of the scanner's spectrum.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char help[] =
    "usage: lucent detector [--csv] [--scanner FILE]\n"
    "\n"
    "Prints the response of the dual-layer detector (front scintillator = low-energy\n"
    "channel, filter, rear scintillator = high-energy channel) of the default scanner\n"
    "or of the \"detector\" (and \"tube\") sections of a scanner JSON file.\n"
    "\n"
    "eta_low(E) = 1 - exp(-mu_F t_F) and eta_high(E) = exp(-mu_F t_F - mu_X t_X)\n"
    "(1 - exp(-mu_B t_B)) are the fractions of photons of energy E that interact in\n"
    "each layer (mu from xraylib's CS_Total). The energy weight per photon of a\n"
    "channel is eta * E.\n"
    "\n"
    "  --csv           print columns energy_keV,eta_low,eta_high for 1..200 keV\n"
    "  --scanner FILE  scanner description (JSON); default: CsI 0.3 mm / Cu 0.3 mm /\n"
    "                  CsI 4 mm with the 160 kV tube\n"
    "\n"
    "Without --csv: the layers, for the scanner's spectrum the fraction of photons\n"
    "each channel absorbs and the mean energy of the absorbed photons weighted by\n"
    "deposited energy (what the energy-integrating channel averages), and a table\n"
    "every 10 keV.\n";

static int run(int argc, char **argv)
{
    const char *cmd = "detector";
    const char *scanner = NULL;
    bool csv = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0) {
            csv = true;
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
    lc_detector_desc desc;
    lc_tube_init(&tube);
    lc_detector_desc_init(&desc);
    if (scanner && lc_phys_scanner_load(scanner, &tube, &desc, &err) != LC_OK) {
        if (err.status == LC_ERR_ARG)
            err.status = LC_ERR_FORMAT;
        return cli_fail(cmd, &err);
    }
    lc_matlib *lib = NULL;
    lc_detector *det = NULL;
    lc_spectrum *spec = NULL;
    int rc = CLI_OK;
    if (lc_matlib_new(&lib, &err) != LC_OK || lc_detector_new(lib, &desc, &det, &err) != LC_OK) {
        if (err.status == LC_ERR_ARG)
            err.status = LC_ERR_FORMAT;
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (csv) {
        printf("energy_keV,eta_low,eta_high\n");
        for (int e = 1; e <= LC_PHYS_EMAX_KEV; e++) {
            double l, h;
            if (lc_detector_eta(det, e, &l, &h, &err) != LC_OK) {
                rc = cli_fail(cmd, &err);
                goto done;
            }
            printf("%d,%.10g,%.10g\n", e, l, h);
        }
    } else {
        if (lc_tube_spectrum(&tube, &spec, &err) != LC_OK) {
            if (err.status == LC_ERR_ARG)
                err.status = LC_ERR_FORMAT;
            rc = cli_fail(cmd, &err);
            goto done;
        }
        char text[256];
        lc_detector_describe(det, text, sizeof text);
        printf("detector: %s\n", text);
        size_t n = lc_spectrum_count(spec);
        const double *e = lc_spectrum_energies(spec), *ph = lc_spectrum_photons(spec);
        double tot = 0, nl = 0, nh = 0, el1 = 0, el2 = 0, eh1 = 0, eh2 = 0;
        for (size_t i = 0; i < n; i++) {
            double l, h;
            if (lc_detector_eta(det, e[i], &l, &h, &err) != LC_OK) {
                rc = cli_fail(cmd, &err);
                goto done;
            }
            tot += ph[i];
            nl += ph[i] * l;
            nh += ph[i] * h;
            el1 += ph[i] * l * e[i];
            el2 += ph[i] * l * e[i] * e[i];
            eh1 += ph[i] * h * e[i];
            eh2 += ph[i] * h * e[i] * e[i];
        }
        printf("spectrum: %s, mean energy %.2f keV\n",
               tube.spectrum[0] ? tube.spectrum : "tube model", lc_spectrum_mean_energy(spec));
        printf("%-6s %12s %22s %22s\n", "channel", "absorbed", "mean E (photons), keV",
               "mean E (energy), keV");
        printf("%-6s %11.1f%% %22.2f %22.2f\n", "low", 100.0 * nl / tot, nl > 0 ? el1 / nl : 0.0,
               el1 > 0 ? el2 / el1 : 0.0);
        printf("%-6s %11.1f%% %22.2f %22.2f\n", "high", 100.0 * nh / tot, nh > 0 ? eh1 / nh : 0.0,
               eh1 > 0 ? eh2 / eh1 : 0.0);
        printf("\n%10s  %9s  %9s\n", "energy_keV", "eta_low", "eta_high");
        for (int en = 10; en <= LC_PHYS_EMAX_KEV; en += 10) {
            double l, h;
            if (lc_detector_eta(det, en, &l, &h, &err) != LC_OK) {
                rc = cli_fail(cmd, &err);
                goto done;
            }
            printf("%10d  %9.4f  %9.4f\n", en, l, h);
        }
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "lucent %s: cannot write the output\n", cmd);
        rc = CLI_BAD_INPUT;
    }
done:
    lc_spectrum_free(spec);
    lc_detector_free(det);
    lc_matlib_free(lib);
    return rc;
}

const cli_command cmd_detector = {"detector", "print the dual-layer detector's response", help,
                                  run};
