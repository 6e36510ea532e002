/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_phys.c: the physics module against independent numbers: NIST XCOM
 * mass attenuation coefficients, the Zeff values noted in materials.tsv,
 * TASMIP mean energies, Beer-Lambert and a polychromatic integration written
 * here directly from xraylib calls (not from the module's tables); error
 * handling of materials, recipes, tube settings, spectrum files and scanner
 * files; and that the embedded table equals data/materials.tsv.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xraylib/xraylib.h>

#include "lucent/lucent.h"
#include "phys/phys_int.h"

/* A temporary file with the given contents; the path is written into buf. */
static void write_temp(char *buf, size_t cap, const char *name, const char *text)
{
    const char *dir = getenv("LC_BUILD_DIR");
    snprintf(buf, cap, "%s/test_phys_%s", dir ? dir : "/tmp", name);
    FILE *f = fopen(buf, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static lc_matlib *new_lib(void)
{
    lc_matlib *lib = NULL;
    lc_error err;
    lc_status st = lc_matlib_new(&lib, &err);
    if (st != LC_OK)
        fail_msg("lc_matlib_new: %s", err.msg);
    return lib;
}

static const lc_material *get(lc_matlib *lib, const char *name)
{
    const lc_material *m = NULL;
    lc_error err;
    if (lc_matlib_get(lib, name, &m, &err) != LC_OK)
        fail_msg("lc_matlib_get(%s): %s", name, err.msg);
    return m;
}

static void assert_rel(double got, double want, double tol, const char *what)
{
    double rel = fabs(got / want - 1.0);
    if (!(rel <= tol))
        fail_msg("%s: got %.9g, want %.9g (relative %.3g > %.3g)", what, got, want, rel, tol);
}

/* xraylib directly: mass-fraction weighted CS_Total. */
static double xrl_mu(const int *z, const double *w, int n, double e)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        xrl_error *xe = NULL;
        s += w[i] * CS_Total(z[i], e, &xe);
        assert_null(xe);
    }
    return s;
}

static double xrl_mu_cp(const char *formula, double e)
{
    xrl_error *xe = NULL;
    double v = CS_Total_CP(formula, e, &xe);
    assert_null(xe);
    return v;
}

/* ------------------------------------------------------------------ */

static void test_xcom_values(void **state)
{
    (void)state;
    /* NIST XCOM total attenuation with coherent scattering, cm^2/g, at
     * 30 / 60 / 100 keV (PHYSICS.md). Must hold within 0.1 %. */
    static const struct {
        const char *name;
        double v[3];
    } ref[] = {
        {"water", {0.3756, 0.2059, 0.1708}},
        {"pmma", {0.3032, 0.1924, 0.1641}},
        {"aluminium", {1.128, 0.2778, 0.1704}},
        {"Fe", {8.177, 1.205, 0.3717}},
    };
    static const int e[3] = {30, 60, 100};
    lc_matlib *lib = new_lib();
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        const lc_material *m = get(lib, ref[i].name);
        for (int k = 0; k < 3; k++) {
            char what[64];
            snprintf(what, sizeof what, "%s at %d keV (table)", ref[i].name, e[k]);
            assert_rel(lc_material_mu_rho_at(m, e[k]), ref[i].v[k], 1e-3, what);
            double direct;
            lc_error err;
            assert_int_equal(lc_material_mu_rho(m, e[k], &direct, &err), LC_OK);
            snprintf(what, sizeof what, "%s at %d keV (direct)", ref[i].name, e[k]);
            assert_rel(direct, ref[i].v[k], 1e-3, what);
        }
    }
    /* Table entries are exactly xraylib's compound value at that energy. */
    const lc_material *w = get(lib, "water");
    assert_rel(lc_material_mu_rho_at(w, 77), xrl_mu_cp("H2O", 77.0), 1e-12, "water 77 keV");
    assert_true(lc_material_mu_rho_at(w, 0) == 0.0);
    assert_true(lc_material_mu_rho_at(w, LC_PHYS_EMAX_KEV + 1) == 0.0);
    double v;
    lc_error err;
    assert_int_equal(lc_material_mu_rho(w, 0.5, &v, &err), LC_ERR_ARG);
    assert_int_equal(lc_material_mu_rho(w, 900, &v, &err), LC_ERR_ARG);
    lc_matlib_free(lib);
}

static void test_zeff_notes(void **state)
{
    (void)state;
    lc_matlib *lib = new_lib();
    int checked = 0;
    for (size_t i = 0; i < lc_matlib_count(lib); i++) {
        const lc_material *m = lc_matlib_at(lib, i);
        const char *notes = lc_material_notes(m);
        const char *z = strstr(notes, "Zeff ");
        if (strcmp(lc_material_category(m), "detector") == 0)
            continue;
        if (!z) {
            /* Elements: Zeff is Z. */
            if (lc_material_element_count(m) == 1) {
                assert_true(fabs(lc_material_zeff(m) - lc_material_element(m, 0, NULL)) < 1e-9);
                checked++;
            }
            continue;
        }
        z += 5;
        char *end = NULL;
        double want = strtod(z, &end);
        assert_true(end > z);
        const char *dot = strchr(z, '.');
        int decimals = dot && dot < end ? (int)(end - dot - 1) : 0;
        double tol = 0.5 * pow(10.0, -decimals) + 1e-9;
        double got = lc_material_zeff(m);
        if (!(fabs(got - want) <= tol))
            fail_msg("%s: Zeff %.4f, notes say %s", lc_material_name(m), got, z);
        checked++;
    }
    /* 24 rows note a Zeff, and the pure elements Al, Ti, Cu, Pb, W. */
    assert_true(checked >= 28);
    assert_true(fabs(lc_material_zeff(get(lib, "water")) - 7.42) < 0.005);
    assert_true(fabs(lc_material_zeff(get(lib, "tnt")) - 7.06) < 0.005);
    lc_matlib_free(lib);
}

static void test_embedded_table(void **state)
{
    (void)state;
    const char *src = getenv("LC_SOURCE_DIR");
    assert_non_null(src);
    char path[1024];
    snprintf(path, sizeof path, "%s/data/materials.tsv", src);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n < sizeof buf);
    assert_int_equal(n, lc__materials_tsv_len);
    assert_memory_equal(buf, lc__materials_tsv, n);

    /* Every data row became a material, in file order, with its fields. */
    lc_matlib *lib = new_lib();
    size_t rows = 0;
    char *save = NULL, *text = malloc(n + 1);
    assert_non_null(text);
    memcpy(text, buf, n);
    text[n] = '\0';
    int header = 1;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (header) {
            header = 0;
            continue;
        }
        char name[64];
        double dens = 0;
        char comp[512];
        assert_int_equal(sscanf(line, "%63[^\t]\t%511[^\t]\t%lf", name, comp, &dens), 3);
        const lc_material *m = lc_matlib_at(lib, rows);
        assert_non_null(m);
        assert_string_equal(lc_material_name(m), name);
        assert_string_equal(lc_material_composition(m), comp);
        assert_true(lc_material_density(m) == dens);
        double wsum = 0.0;
        for (size_t k = 0; k < lc_material_element_count(m); k++) {
            double w;
            assert_true(lc_material_element(m, k, &w) > 0);
            wsum += w;
        }
        assert_true(fabs(wsum - 1.0) < 1e-12);
        rows++;
    }
    free(text);
    assert_int_equal(rows, 39);
    /* The detector materials follow the table. */
    assert_string_equal(lc_material_category(lc_matlib_at(lib, rows)), "detector");
    lc_matlib_free(lib);
}

static void test_lookup_and_add(void **state)
{
    (void)state;
    lc_matlib *lib = new_lib();
    lc_error err;
    size_t n0 = lc_matlib_count(lib);
    /* Case-insensitive table names. */
    assert_ptr_equal(get(lib, "WATER"), get(lib, "water"));
    /* NIST compound from xraylib, added once. */
    const lc_material *nw = get(lib, "Water, Liquid");
    assert_string_equal(lc_material_category(nw), "nist");
    assert_true(fabs(lc_material_density(nw) - 1.0) < 1e-9);
    assert_rel(lc_material_mu_rho_at(nw, 60), 0.2059, 1e-3, "NIST water 60 keV");
    assert_ptr_equal(get(lib, "Water, Liquid"), nw);
    /* Element symbol. */
    const lc_material *cu = get(lib, "Cu");
    assert_string_equal(lc_material_category(cu), "element");
    assert_true(fabs(lc_material_density(cu) - 8.96) < 0.01);
    assert_int_equal(lc_matlib_count(lib), n0 + 2);

    /* Unknown names. */
    const lc_material *m = (const lc_material *)&err; /* must be reset to NULL */
    assert_int_equal(lc_matlib_get(lib, "unobtainium", &m, &err), LC_ERR_NOT_FOUND);
    assert_null(m);
    assert_non_null(strstr(err.msg, "unobtainium"));
    assert_int_equal(lc_matlib_get(lib, "Xx", &m, &err), LC_ERR_NOT_FOUND);
    assert_int_equal(lc_matlib_get(lib, "", &m, &err), LC_ERR_NOT_FOUND);

    /* Formulas and recipes. */
    assert_int_equal(lc_matlib_add(lib, "glycerol", "C3H8O3", 1.26, NULL, &m, &err), LC_OK);
    assert_string_equal(lc_material_category(m), "custom");
    assert_rel(lc_material_mu_rho_at(m, 50), xrl_mu_cp("C3H8O3", 50.0), 1e-12, "glycerol");
    assert_int_equal(lc_matlib_add(lib, "glycerol", "C3H8O3", 1.26, NULL, &m, &err), LC_ERR_ARG);
    const lc_material *a1 = NULL, *a2 = NULL;
    assert_int_equal(lc_matlib_add(lib, NULL, "mix: 0.9 H2O + 0.1 NaCl", 1.07, NULL, &a1, &err),
                     LC_OK);
    assert_int_equal(lc_matlib_add(lib, NULL, "mix: 0.9 H2O + 0.1 NaCl", 1.07, NULL, &a2, &err),
                     LC_OK);
    assert_ptr_equal(a1, a2);
    /* Case is chemistry in compositions: carbon monoxide is not cobalt. */
    const lc_material *co = NULL, *cobalt = NULL;
    assert_int_equal(lc_matlib_add(lib, NULL, "CO", 1.0, NULL, &co, &err), LC_OK);
    assert_int_equal(lc_matlib_add(lib, NULL, "Co", 1.0, NULL, &cobalt, &err), LC_OK);
    assert_ptr_not_equal(co, cobalt);
    assert_int_equal(lc_material_element_count(co), 2);
    assert_int_equal(lc_material_element(cobalt, 0, NULL), 27);
    /* Mix = mass-weighted sum of the parts. */
    double want = 0.9 * xrl_mu_cp("H2O", 40.0) + 0.1 * xrl_mu_cp("NaCl", 40.0);
    assert_rel(lc_material_mu_rho_at(a1, 40), want, 1e-12, "brine");

    /* Bad formulas and recipes: clear errors, nothing added. */
    size_t before = lc_matlib_count(lib);
    static const char *bad[] = {
        "H2Xx",                     /* unknown element */
        "",                         /* empty */
        "C3H8O3)",                  /* unbalanced */
        "mix: 0.5 H2O + 0.2 NaCl",  /* fractions sum to 0.7 */
        "mix: -0.5 H2O + 1.5 NaCl", /* negative fraction */
        "mix: 0.5 H2O + 0.5",       /* missing formula */
        "mix: H2O + NaCl",          /* missing fractions */
        "mix: 0.5 H2O + 0.5 Qq2",   /* bad formula in a term */
        "mix: 0.5 H2O +",           /* dangling */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = (const lc_material *)&err;
        lc_status st = lc_matlib_add(lib, NULL, bad[i], 1.0, NULL, &m, &err);
        if (st != LC_ERR_FORMAT)
            fail_msg("\"%s\": status %d (%s), want LC_ERR_FORMAT", bad[i], st, err.msg);
        assert_null(m);
        assert_true(strlen(err.msg) > 0);
    }
    assert_int_equal(lc_matlib_add(lib, NULL, "mix: 0.5 H2O + 0.2 NaCl", 1.0, NULL, &m, &err),
                     LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "sum to 0.7"));
    assert_int_equal(lc_matlib_add(lib, NULL, "H2O", -1.0, NULL, &m, &err), LC_ERR_ARG);
    assert_int_equal(lc_matlib_add(lib, NULL, "H2O", NAN, NULL, &m, &err), LC_ERR_ARG);
    assert_int_equal(lc_matlib_count(lib), before);
    lc_matlib_free(lib);
    lc_matlib_free(NULL);
}

/* ------------------------------------------------------------------ */

static double tube_mean(double kvp, double al_mm, int full)
{
    lc_tube t;
    lc_tube_init(&t);
    t.kvp = kvp;
    t.inherent_al_mm = al_mm;
    t.self_absorption = full;
    t.k_lines = full;
    lc_spectrum *s = NULL;
    lc_error err;
    if (lc_tube_spectrum(&t, &s, &err) != LC_OK)
        fail_msg("tube: %s", err.msg);
    double m = lc_spectrum_mean_energy(s);
    lc_spectrum_free(s);
    return m;
}

static void test_tasmip(void **state)
{
    (void)state;
    /* TASMIP (Boone & Seibert 1997) mean energies; PHYSICS.md: a bare
     * Kramers spectrum needs 3.0-3.35 mm Al to match them. */
    static const double kvp[4] = {80, 100, 120, 140};
    static const double tasmip[4] = {41.8, 47.7, 52.5, 56.5};
    for (int i = 0; i < 4; i++) {
        /* (1) Bare Kramers + filtration, the regression of PHYSICS.md: the
         * 3.0..3.35 mm bracket contains TASMIP to within 0.2 keV (the
         * residual is the bracket's own rounding; measured 140 kV: 56.67 at
         * 3.0 mm). */
        double lo = tube_mean(kvp[i], 3.0, 0);
        double hi = tube_mean(kvp[i], 3.35, 0);
        if (!(lo - 0.2 <= tasmip[i] && tasmip[i] <= hi + 0.2))
            fail_msg("%g kV bare Kramers: %.2f..%.2f keV does not bracket %.1f", kvp[i], lo, hi,
                     tasmip[i]);
        /* (2) The full model (target self-absorption at 12 deg, K lines)
         * with 1.5 mm Al. Tolerance +-1.5 keV: about what 0.5 mm Al of
         * filtration changes, and of the order of TASMIP's own deviation
         * from measured spectra. The depth scale of the model was tuned on
         * these four numbers (one parameter), so this is a regression test,
         * not an independent validation; measured -1.38/-0.98/-0.26/+0.78. */
        double full = tube_mean(kvp[i], 1.5, 1);
        if (!(fabs(full - tasmip[i]) <= 1.5))
            fail_msg("%g kV full model: mean %.2f keV, TASMIP %.1f", kvp[i], full, tasmip[i]);
    }
    /* Physics sanity: self-absorption and filtration harden the beam; more kV
     * raises the mean. */
    assert_true(tube_mean(120, 1.5, 1) > tube_mean(120, 1.5, 0));
    assert_true(tube_mean(120, 3.0, 1) > tube_mean(120, 1.5, 1));
    assert_true(tube_mean(160, 2.5, 1) > tube_mean(120, 2.5, 1));
}

static void test_tube_shape_and_errors(void **state)
{
    (void)state;
    lc_tube t;
    lc_tube_init(&t);
    assert_true(t.kvp == 160.0 && t.inherent_al_mm == 2.5 && t.spectrum[0] == '\0');
    lc_spectrum *s = NULL;
    lc_error err;
    assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_OK);
    size_t n = lc_spectrum_count(s);
    const double *e = lc_spectrum_energies(s), *ph = lc_spectrum_photons(s);
    assert_int_equal(n, 160);
    assert_true(e[0] == 1.0 && e[n - 1] == 160.0);
    assert_true(ph[n - 1] == 0.0); /* Duane-Hunt limit */
    /* K lines: Kalpha1 (59.3 keV) bin stands above its neighbours; above the
     * W K edge (69.5 keV) the continuum drops (self-absorption). */
    assert_true(ph[58] > 2.0 * ph[60]);
    assert_true(ph[66] > 1.5 * ph[64]);
    assert_true(ph[70] < 0.8 * ph[67]);
    /* Order of magnitude of the output (photons / mAs / mm^2 at 1 m). */
    assert_true(lc_spectrum_total(s) > 1e6 && lc_spectrum_total(s) < 3e7);
    lc_spectrum_free(s);

    /* Kramers constant: without absorption the bare continuum is
     * 2.2e-6 * 74 * (E0 - E) / E per electron per keV into 4 pi. */
    t.inherent_al_mm = 0;
    t.self_absorption = 0;
    t.k_lines = 0;
    t.output_scale = 2.0;
    assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_OK);
    double per_mas = 1e-3 / 1.602176634e-19 * 1e-6 / (4.0 * 3.14159265358979323846);
    assert_rel(lc_spectrum_photons(s)[49], 2.0 * 2.2e-6 * 74 * (160.0 - 50.0) / 50.0 * per_mas,
               1e-12, "bare Kramers at 50 keV");
    lc_spectrum_free(s);

    /* Out-of-range settings. */
    static const struct {
        double kvp, angle, al, cu;
    } bad[] = {{30, 12, 2.5, 0}, {250, 12, 2.5, 0}, {NAN, 12, 2.5, 0},
               {120, 2, 2.5, 0}, {120, 12, -1, 0},  {120, 12, 2.5, -0.1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc_tube_init(&t);
        t.kvp = bad[i].kvp;
        t.anode_angle_deg = bad[i].angle;
        t.inherent_al_mm = bad[i].al;
        t.added_cu_mm = bad[i].cu;
        s = (lc_spectrum *)&err;
        assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_ERR_ARG);
        assert_null(s);
    }
    lc_tube_init(&t);
    t.kvp = 250;
    assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_ERR_ARG);
    assert_non_null(strstr(err.msg, "kVp 250"));

    /* Added copper hardens more than the same thickness of aluminium. */
    lc_tube_init(&t);
    t.added_cu_mm = 0.5;
    assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_OK);
    double cu_mean = lc_spectrum_mean_energy(s);
    lc_spectrum_free(s);
    lc_tube_init(&t);
    t.added_al_mm = 0.5;
    assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_OK);
    assert_true(cu_mean > lc_spectrum_mean_energy(s) + 3.0);
    lc_spectrum_free(s);
    lc_spectrum_free(NULL);
}

static void test_spectrum_files(void **state)
{
    (void)state;
    char path[1024];
    lc_spectrum *s = NULL;
    lc_error err;
    write_temp(path, sizeof path, "ok.csv",
               "# measured\nenergy_keV,photons\n20,100\n30, 250\n40\t300\n\n50 50\n");
    assert_int_equal(lc_spectrum_load(path, &s, &err), LC_OK);
    assert_int_equal(lc_spectrum_count(s), 4);
    assert_true(lc_spectrum_photons(s)[2] == 300.0);
    assert_rel(lc_spectrum_mean_energy(s), (20 * 100 + 30 * 250 + 40 * 300 + 50 * 50) / 700.0,
               1e-12, "mean");
    lc_spectrum_free(s);

    static const char *bad[] = {
        "20,100\n30,abc\n", /* not a number */
        "20,100\n10,100\n", /* not increasing */
        "20,-1\n",          /* negative */
        "0.5,1\n",          /* below 1 keV */
        "20,0\n30,0\n",     /* all zero */
        "# nothing\n",      /* empty */
        "20,1,3\n",         /* three columns */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_temp(path, sizeof path, "bad.csv", bad[i]);
        s = (lc_spectrum *)&err;
        lc_status st = lc_spectrum_load(path, &s, &err);
        if (st != LC_ERR_FORMAT)
            fail_msg("bad spectrum %zu: status %d (%s)", i, st, err.msg);
        assert_null(s);
        assert_non_null(strstr(err.msg, "test_phys_bad.csv"));
    }
    write_temp(path, sizeof path, "bad.csv", "20,100\n30,abc\n");
    assert_int_equal(lc_spectrum_load(path, &s, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, ":2:"));
    assert_int_not_equal(lc_spectrum_load("/nonexistent/spectrum.csv", &s, &err), LC_OK);

    assert_int_equal(lc_spectrum_from_arg("mono:59.5", &s, &err), LC_OK);
    assert_int_equal(lc_spectrum_count(s), 1);
    assert_true(lc_spectrum_energies(s)[0] == 59.5);
    lc_spectrum_free(s);
    assert_int_equal(lc_spectrum_from_arg("mono:abc", &s, &err), LC_ERR_ARG);
    assert_int_equal(lc_spectrum_from_arg("mono:0", &s, &err), LC_ERR_ARG);
    assert_int_equal(lc_spectrum_from_arg("mono:900", &s, &err), LC_ERR_ARG);

    /* A tube with a spectrum set uses it. */
    lc_tube t;
    lc_tube_init(&t);
    strcpy(t.spectrum, "mono:80");
    assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_OK);
    assert_true(lc_spectrum_mean_energy(s) == 80.0);
    lc_spectrum_free(s);

    double e2[2] = {30, 20}, n2[2] = {1, 1};
    assert_int_equal(lc_spectrum_new(e2, n2, 2, &s, &err), LC_ERR_ARG);
    assert_int_equal(lc_spectrum_new(e2, n2, 0, &s, &err), LC_ERR_ARG);
}

/* ------------------------------------------------------------------ */

static lc_detector *new_detector(lc_matlib *lib)
{
    lc_detector_desc d;
    lc_detector_desc_init(&d);
    lc_detector *det = NULL;
    lc_error err;
    if (lc_detector_new(lib, &d, &det, &err) != LC_OK)
        fail_msg("detector: %s", err.msg);
    return det;
}

/* eta_L, eta_H written here from xraylib: CsI 4.51 g/cm^3 0.3 mm, Cu
 * (xraylib density) 0.3 mm, CsI 4 mm. */
static void ref_eta(double e, double *el, double *eh)
{
    xrl_error *xe = NULL;
    double rho_cu = ElementDensity(29, &xe);
    assert_null(xe);
    double f = xrl_mu_cp("CsI", e) * 4.51 * 0.03;
    double x = CS_Total(29, e, &xe) * rho_cu * 0.03;
    assert_null(xe);
    double b = xrl_mu_cp("CsI", e) * 4.51 * 0.4;
    *el = 1.0 - exp(-f);
    *eh = exp(-f - x) * (1.0 - exp(-b));
}

static void test_detector(void **state)
{
    (void)state;
    lc_matlib *lib = new_lib();
    lc_detector *det = new_detector(lib);
    lc_error err;
    for (double e = 15; e <= 200; e += 7.25) {
        double l, h, rl, rh;
        assert_int_equal(lc_detector_eta(det, e, &l, &h, &err), LC_OK);
        ref_eta(e, &rl, &rh);
        assert_rel(l, rl, 1e-9, "eta_low");
        if (rh > 1e-12)
            assert_rel(h, rh, 1e-9, "eta_high");
        assert_true(l >= 0 && l <= 1 && h >= 0 && h <= 1 && l + h <= 1.0 + 1e-12);
    }
    double l, h;
    assert_int_equal(lc_detector_eta(det, 0.1, &l, &h, &err), LC_ERR_ARG);
    char text[128];
    lc_detector_describe(det, text, sizeof text);
    assert_string_equal(text, "dual-layer csi 0.3 mm / Cu 0.3 mm / csi 4 mm");
    lc_detector_free(det);

    lc_detector_desc d;
    lc_detector_desc_init(&d);
    strcpy(d.front, "kryptonite");
    det = (lc_detector *)&err;
    assert_int_equal(lc_detector_new(lib, &d, &det, &err), LC_ERR_NOT_FOUND);
    assert_null(det);
    assert_non_null(strstr(err.msg, "front"));
    lc_detector_desc_init(&d);
    d.rear_mm = -1;
    assert_int_equal(lc_detector_new(lib, &d, &det, &err), LC_ERR_ARG);
    lc_detector_desc_init(&d);
    d.front_mm = 0;
    d.rear_mm = 0;
    assert_int_equal(lc_detector_new(lib, &d, &det, &err), LC_ERR_ARG);
    /* A GOS front and no filter. */
    lc_detector_desc_init(&d);
    strcpy(d.front, "gos");
    d.filter_mm = 0;
    assert_int_equal(lc_detector_new(lib, &d, &det, &err), LC_OK);
    assert_int_equal(lc_detector_eta(det, 60, &l, &h, &err), LC_OK);
    assert_rel(l, 1.0 - exp(-xrl_mu_cp("Gd2O2S", 60) * 7.32 * 0.03), 1e-9, "GOS front");
    lc_detector_free(det);
    lc_detector_free(NULL);
    lc_matlib_free(lib);
}

/* ------------------------------------------------------------------ */

static void test_signal_mono(void **state)
{
    (void)state;
    lc_matlib *lib = new_lib();
    lc_detector *det = new_detector(lib);
    const lc_material *mats[3] = {get(lib, "water"), get(lib, "aluminium"), get(lib, "steel")};
    /* xraylib's mu/rho for the three, written out here. */
    static const int zw[2] = {1, 8};
    static const int zal[1] = {13};
    static const int zst[2] = {26, 25};
    static const double wst[2] = {0.98, 0.02};
    lc_error err;
    static const double energies[] = {30.0, 60.0, 100.0, 141.7};
    for (size_t ie = 0; ie < sizeof energies / sizeof energies[0]; ie++) {
        double e = energies[ie];
        lc_spectrum *s = NULL;
        assert_int_equal(lc_spectrum_mono(e, 1e5, &s, &err), LC_OK);
        lc_signal_model *sm = NULL;
        assert_int_equal(lc_signal_model_new(s, det, mats, 3, 1.0, &sm, &err), LC_OK);
        double el, eh;
        ref_eta(e, &el, &eh);
        const lc_signal *air = lc_signal_model_air(sm);
        assert_rel(air->mean[LC_LOW], 1e5 * el * e, 1e-9, "air low");
        assert_rel(air->var[LC_LOW], 1e5 * el * e * e, 1e-9, "air low var");
        double wh[2] = {0.1119, 0.8881};
        /* Water's mass fractions from xraylib, not rounded. */
        xrl_error *xe = NULL;
        struct compoundData *cd = CompoundParser("H2O", &xe);
        assert_non_null(cd);
        wh[0] = cd->Elements[0] == 1 ? cd->massFractions[0] : cd->massFractions[1];
        wh[1] = 1.0 - wh[0];
        FreeCompoundData(cd);
        double mu[3] = {xrl_mu(zw, wh, 2, e), xrl_mu(zal, (const double[]){1.0}, 1, e),
                        xrl_mu(zst, wst, 2, e)};
        static const double rho[3] = {1.00, 2.70, 7.85};
        for (uint32_t m = 0; m < 3; m++) {
            for (double t_mm = 1; t_mm <= 200; t_mm *= 3) {
                double areal = rho[m] * t_mm / 10.0;
                if (mu[m] * areal > 200)
                    continue;
                lc_signal out;
                assert_int_equal(lc_signal_model_eval(sm, 1, &m, &areal, &out), LC_OK);
                double want = exp(-mu[m] * areal);
                char what[96];
                snprintf(what, sizeof what, "mono %g keV material %u %g mm", e, m, t_mm);
                for (int k = 0; k < LC_CHANNELS; k++) {
                    if (air->mean[k] == 0.0)
                        continue;
                    assert_rel(out.mean[k] / air->mean[k], want, 1e-6, what);
                    assert_rel(out.var[k] / air->var[k], want, 1e-6, what);
                }
            }
        }
        lc_signal_model_free(sm);
        lc_spectrum_free(s);
    }
    lc_detector_free(det);
    lc_matlib_free(lib);
}

static void test_signal_poly(void **state)
{
    (void)state;
    lc_matlib *lib = new_lib();
    lc_detector *det = new_detector(lib);
    const lc_material *mats[3] = {get(lib, "water"), get(lib, "aluminium"), get(lib, "steel")};
    lc_tube t;
    lc_tube_init(&t);
    lc_spectrum *s = NULL;
    lc_error err;
    assert_int_equal(lc_tube_spectrum(&t, &s, &err), LC_OK);
    const double scale = 0.008 * 2.56; /* 1 mA x 8 ms x 1.6 mm x 1.6 mm */
    lc_signal_model *sm = NULL;
    assert_int_equal(lc_signal_model_new(s, det, mats, 3, scale, &sm, &err), LC_OK);
    assert_int_equal(lc_signal_model_material_count(sm), 3);
    size_t n = lc_spectrum_count(s);
    const double *e = lc_spectrum_energies(s), *ph = lc_spectrum_photons(s);
    /* Rays: water, aluminium, steel step wedges and a mixed ray with a
     * repeated index. */
    static const struct {
        int n;
        uint32_t idx[3];
        double t_mm[3];
    } rays[] = {
        {0, {0}, {0}},
        {1, {0}, {10}},
        {1, {0}, {100}},
        {1, {0}, {400}},
        {1, {1}, {5}},
        {1, {1}, {40}},
        {1, {2}, {2}},
        {1, {2}, {12}},
        {1, {2}, {30}},
        {3, {0, 1, 2}, {50, 3, 1}},
        {3, {2, 0, 2}, {1, 20, 1.5}},
    };
    static const double rho[3] = {1.00, 2.70, 7.85};
    static const char *formula[2] = {"H2O", "Al"}; /* steel: below */
    double worst = 0.0;
    for (size_t r = 0; r < sizeof rays / sizeof rays[0]; r++) {
        double areal[3];
        for (int j = 0; j < rays[r].n; j++)
            areal[j] = rho[rays[r].idx[j]] * rays[r].t_mm[j] / 10.0;
        lc_signal out;
        assert_int_equal(lc_signal_model_eval(sm, (size_t)rays[r].n, rays[r].idx, areal, &out),
                         LC_OK);
        /* Independent integration over the spectrum's bins. */
        double ref1[2] = {0, 0}, ref2[2] = {0, 0};
        for (size_t i = 0; i < n; i++) {
            double expo = 0.0;
            for (int j = 0; j < rays[r].n; j++) {
                uint32_t m = rays[r].idx[j];
                double mu;
                if (m == 2) {
                    /* steel: 98 % Fe, 2 % Mn by mass. */
                    xrl_error *xe = NULL;
                    mu = 0.98 * CS_Total(26, e[i], &xe) + 0.02 * CS_Total(25, e[i], &xe);
                    assert_null(xe);
                } else {
                    mu = xrl_mu_cp(formula[m], e[i]);
                }
                expo += mu * areal[j];
            }
            double el, eh;
            ref_eta(e[i], &el, &eh);
            double n0 = ph[i] * scale * exp(-expo);
            ref1[LC_HIGH] += n0 * eh * e[i];
            ref1[LC_LOW] += n0 * el * e[i];
            ref2[LC_HIGH] += n0 * eh * e[i] * e[i];
            ref2[LC_LOW] += n0 * el * e[i] * e[i];
        }
        char what[64];
        for (int k = 0; k < LC_CHANNELS; k++) {
            worst = fmax(worst, fabs(out.mean[k] / ref1[k] - 1.0));
            worst = fmax(worst, fabs(out.var[k] / ref2[k] - 1.0));
            snprintf(what, sizeof what, "poly ray %zu channel %d mean", r, k);
            assert_rel(out.mean[k], ref1[k], 1e-4, what);
            snprintf(what, sizeof what, "poly ray %zu channel %d var", r, k);
            assert_rel(out.var[k], ref2[k], 1e-4, what);
        }
        if (r == 0) {
            /* Order of magnitude of PHYSICS.md: 1-3e4 photons per pixel per
             * line at 160 kV, 1 mA, 1 m, 1.6 mm pixels; this tube gives a
             * few times more (see docs/physics.md). */
            double photons = lc_spectrum_total(s) * scale;
            assert_true(photons > 1e4 && photons < 1e6);
        }
    }
    print_message("polychromatic: largest relative deviation %.2g (tolerance 1e-4)\n", worst);
    /* Dual energy: the low/high attenuation ratio of steel exceeds water's. */
    lc_signal w, st;
    uint32_t i0 = 0, i2 = 2;
    double aw = 10.0, as = 1.5;
    assert_int_equal(lc_signal_model_eval(sm, 1, &i0, &aw, &w), LC_OK);
    assert_int_equal(lc_signal_model_eval(sm, 1, &i2, &as, &st), LC_OK);
    const lc_signal *air = lc_signal_model_air(sm);
    double rw = log(air->mean[LC_LOW] / w.mean[LC_LOW]) / log(air->mean[LC_HIGH] / w.mean[LC_HIGH]);
    double rs =
        log(air->mean[LC_LOW] / st.mean[LC_LOW]) / log(air->mean[LC_HIGH] / st.mean[LC_HIGH]);
    assert_true(rw > 1.05 && rs > rw + 0.1);

    /* Invalid inputs: reported, the valid pairs still evaluated. */
    uint32_t bad_idx[2] = {0, 7};
    double bad_a[2] = {10.0, 1.0};
    lc_signal o2;
    assert_int_equal(lc_signal_model_eval(sm, 2, bad_idx, bad_a, &o2), LC_ERR_ARG);
    assert_true(o2.mean[LC_HIGH] == w.mean[LC_HIGH]);
    double neg = -1.0;
    assert_int_equal(lc_signal_model_eval(sm, 1, &i0, &neg, &o2), LC_ERR_ARG);
    lc_signal_model *sm2 = NULL;
    assert_int_equal(lc_signal_model_new(s, det, mats, 3, 0.0, &sm2, &err), LC_ERR_ARG);
    assert_null(sm2);
    lc_signal_model_free(sm);
    lc_signal_model_free(NULL);
    lc_spectrum_free(s);
    lc_detector_free(det);
    lc_matlib_free(lib);
}

/* ------------------------------------------------------------------ */

static void test_scanner_file(void **state)
{
    (void)state;
    char path[1024];
    lc_tube t;
    lc_detector_desc d;
    lc_error err;
    write_temp(path, sizeof path, "scanner.json",
               "{\"geometry\": {\"anything\": 1},\n"
               " \"tube\": {\"kvp\": 140, \"added_cu_mm\": 0.2, \"k_lines\": false,\n"
               "          \"spectrum\": \"my.csv\"},\n"
               " \"detector\": {\"front\": \"gos\", \"front_mm\": 0.2}}\n");
    assert_int_equal(lc_phys_scanner_load(path, &t, &d, &err), LC_OK);
    assert_true(t.kvp == 140 && t.added_cu_mm == 0.2 && t.k_lines == 0 && t.ma == 1.0);
    assert_true(t.inherent_al_mm == 2.5);
    /* Relative to the scanner file's folder. */
    char want[1100];
    snprintf(want, sizeof want, "%.*s/my.csv", (int)(strrchr(path, '/') - path), path);
    assert_string_equal(t.spectrum, want);
    assert_string_equal(d.front, "gos");
    assert_true(d.front_mm == 0.2 && d.rear_mm == 4.0);
    assert_string_equal(d.rear, "csi");

    write_temp(path, sizeof path, "scanner.json", "{}");
    assert_int_equal(lc_phys_scanner_load(path, &t, &d, &err), LC_OK);
    assert_true(t.kvp == 160.0 && d.filter_mm == 0.3);

    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"{\"tube\": {\"kvP\": 140}}", "tube.kvP: unknown key"},
        {"{\"tube\": {\"kvp\": 250}}", "tube.kvp"},
        {"{\"tube\": {\"kvp\": \"high\"}}", "tube.kvp: must be a number"},
        {"{\"tube\": []}", "tube: must be an object"},
        {"{\"detector\": {\"front\": 3}}", "detector.front: must be a string"},
        {"{\"detector\": {\"pitch\": 3}}", "detector.pitch: unknown key"},
        {"{\"tube\": {\"k_lines\": 1}}", "tube.k_lines"},
        {"{\"tube\": {\"kvp\": 100,}}", ":1:"},
        {"[1]", "top level"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_temp(path, sizeof path, "scanner.json", bad[i].text);
        lc_status st = lc_phys_scanner_load(path, &t, &d, &err);
        if (st != LC_ERR_FORMAT || !strstr(err.msg, bad[i].needle))
            fail_msg("%s: status %d, message \"%s\", want \"%s\"", bad[i].text, st, err.msg,
                     bad[i].needle);
        assert_non_null(strstr(err.msg, "test_phys_scanner.json"));
    }
    assert_int_not_equal(lc_phys_scanner_load("/nonexistent/scanner.json", &t, &d, &err), LC_OK);
}

/* lucent parses formulas itself (xraylib's CompoundParser leaks on some
 * inputs); its mass fractions must equal CompoundParser's on valid formulas,
 * and what CompoundParser refuses must be refused too. (A formula that
 * starts with a bracket, such as "(C2H4)10", is left out of the comparison:
 * CompoundParser itself leaks on it, which fails the sanitizer run.) */
static void test_formula_parser_vs_xraylib(void **state)
{
    (void)state;
    const char *good[] = {"H2O",
                          "C4.41H6.94N1.14O1.44S0.031",
                          "Ca3(PO4)2",
                          "C57H104O6",
                          "NaCl",
                          "LiCoO2",
                          "Gd2O2S",
                          "H(C2H4)10H",
                          "Fe0.7Cr0.19Ni0.09Mn0.02",
                          "K2(SO4)",
                          "Al2(SO4)3(H2O)18",
                          "U",
                          "C3H6N6O6"};
    lc_matlib *lib = NULL;
    assert_int_equal(lc_matlib_new(&lib, NULL), LC_OK);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const lc_material *m = NULL;
        lc_error err;
        if (lc_matlib_add(lib, NULL, good[i], 1.0, NULL, &m, &err) != LC_OK)
            fail_msg("%s: %s", good[i], err.msg);
        xrl_error *xe = NULL;
        struct compoundData *cd = CompoundParser(good[i], &xe);
        assert_non_null(cd);
        assert_int_equal((int)lc_material_element_count(m), cd->nElements);
        for (int k = 0; k < cd->nElements; k++) {
            int found = 0;
            for (size_t j = 0; j < lc_material_element_count(m); j++) {
                double w;
                if (lc_material_element(m, j, &w) == cd->Elements[k]) {
                    assert_true(fabs(w - cd->massFractions[k]) < 1e-9);
                    found = 1;
                }
            }
            assert_true(found);
        }
        FreeCompoundData(cd);
    }
    const char *bad[] = {"",           "h2o", "H2O)", "(H2O", "()",
                         "H0",         "Xx2", "H2O.", "H 2O", "((((((((((H))))))))))",
                         "H1234567890"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const lc_material *m = NULL;
        lc_error err;
        assert_int_equal(lc_matlib_add(lib, NULL, bad[i], 1.0, NULL, &m, &err), LC_ERR_FORMAT);
        assert_null(m);
        assert_non_null(strstr(err.msg, "composition"));
    }
    lc_matlib_free(lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xcom_values),    cmocka_unit_test(test_zeff_notes),
        cmocka_unit_test(test_embedded_table), cmocka_unit_test(test_lookup_and_add),
        cmocka_unit_test(test_tasmip),         cmocka_unit_test(test_tube_shape_and_errors),
        cmocka_unit_test(test_spectrum_files), cmocka_unit_test(test_detector),
        cmocka_unit_test(test_signal_mono),    cmocka_unit_test(test_signal_poly),
        cmocka_unit_test(test_scanner_file),   cmocka_unit_test(test_formula_parser_vs_xraylib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
