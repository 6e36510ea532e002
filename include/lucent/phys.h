/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/phys.h: the physics of a dual-energy line scanner (PHYSICS.md).
 *
 * - Materials: a material library object (no global state) holding the
 *   reference table data/materials.tsv (embedded in the library at build time),
 *   a few detector materials (CsI, GOS, CdWO4), and on request xraylib's NIST
 *   compounds, element symbols, chemical formulas and "mix:" recipes. Each
 *   material carries its composition (elements, mass fractions), density,
 *   category, power-law effective atomic number and a mass attenuation table
 *   mu/rho(E) in 1 keV steps from xraylib's CS_Total.
 * - Spectra: a tungsten tube model (Kramers continuum with target
 *   self-absorption and anode angle, tungsten K lines, Al/Cu filtration), a
 *   two-column spectrum file, or a monoenergetic beam ("mono:E").
 * - Detector: a dual-layer (sandwich) detector, front scintillator, filter,
 *   rear scintillator, with the absorption efficiencies eta_L(E), eta_H(E).
 * - Signal model: the expected energy-integrated signal per channel and its
 *   quantum (compound Poisson) variance for a ray through a list of
 *   (material, areal density) pairs, precomputed once and evaluated fast.
 * - Scanner description: the "tube" and "detector" sections of a scanner JSON file.
 *
 * Units (DESIGN.md): keV, mm, g/cm^3 for densities, g/cm^2 for areal
 * densities, cm^2/g for mass attenuation coefficients.
 *
 * Thread safety: a material library is not locked; lookups that add materials
 * (lc_matlib_get of a NIST name, lc_matlib_add) must not run concurrently with
 * other calls on the same library. Materials, spectra, detectors and signal
 * models are immutable after creation and may be read from any number of
 * threads at once.
 */
#ifndef LUCENT_PHYS_H
#define LUCENT_PHYS_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"
#include "lucent/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Material tables hold mu/rho at every integer energy 1..LC_PHYS_EMAX_KEV keV. */
#define LC_PHYS_EMAX_KEV 200
/* Tube voltage range of the tube model, kV. */
#define LC_PHYS_KVP_MIN 40.0
#define LC_PHYS_KVP_MAX 200.0
/* Energies accepted in spectra (files, mono beams), keV. */
#define LC_PHYS_E_MIN_KEV 1.0
#define LC_PHYS_E_MAX_KEV 500.0
/* Most points a spectrum may have. */
#define LC_PHYS_MAX_POINTS 4096
/* Longest material name, composition and path strings, including the NUL. */
#define LC_PHYS_NAME_MAX 64
#define LC_PHYS_PATH_MAX 1024
/* Exponent m of the power-law effective atomic number. */
#define LC_PHYS_ZEFF_EXPONENT 2.94

/* ------------------------------------------------------------------------ */
/* Materials                                                                */
/* ------------------------------------------------------------------------ */

typedef struct lc_matlib lc_matlib;
typedef struct lc_material lc_material;

/* Creates a material library holding every row of the embedded materials
 * table (data/materials.tsv) and the built-in detector materials "csi"
 * (CsI, 4.51 g/cm^3), "gos" (Gd2O2S, 7.32) and "cdwo4" (CdWO4, 7.9).
 * Caller owns *out; free with lc_matlib_free(). On failure *out is NULL.
 * Returns LC_OK, LC_ERR_NOMEM, LC_ERR_PHYSICS or LC_ERR_FORMAT (a bad row in
 * the embedded table: a build defect, reported, never a crash). */
LC_MUST_CHECK lc_status lc_matlib_new(lc_matlib **out, lc_error *err);

/* Frees the library and every material in it. NULL is a no-op. */
void lc_matlib_free(lc_matlib *lib);

/* Number of materials currently in the library, and material i (0-based,
 * NULL when out of range; borrowed for the library's life). The first
 * lc_matlib_count() materials right after lc_matlib_new() are the table rows in
 * file order followed by the built-in detector materials. */
size_t lc_matlib_count(const lc_matlib *lib);
const lc_material *lc_matlib_at(const lc_matlib *lib, size_t i);

/* Finds a material by name. Resolution order: a name already in the library
 * (case-insensitive: "water", "CsI"); then an xraylib NIST compound name
 * ("Water, Liquid", exact as in xraylib) which is added to the library with
 * category "nist"; then an element symbol ("Cu", "W"), added with xraylib's
 * element density and category "element". *out is borrowed for the library's
 * life. Returns LC_OK, LC_ERR_NOT_FOUND (message names the material),
 * LC_ERR_ARG, LC_ERR_NOMEM or LC_ERR_PHYSICS. Adds to the library: not
 * thread-safe (see the top of this file). */
LC_MUST_CHECK lc_status lc_matlib_get(lc_matlib *lib, const char *name, const lc_material **out,
                                      lc_error *err);

/* Adds a material given by composition and density (g/cm^3, > 0 and <= 30).
 * composition is a chemical formula xraylib's CompoundParser accepts
 * ("C3H8O3", "Ca3(PO4)2", "C4.41H6.94N1.14O1.44S0.031") or a mass-fraction
 * recipe "mix: 0.9 A + 0.1 B" of such formulas (fractions > 0, summing to 1
 * within 0.005; they are renormalised to sum exactly 1). name may be NULL:
 * the material is then named "<composition>@<density>" and an existing
 * material with that name (same composition and density) is returned instead
 * of a new one. A non-NULL name that already exists is LC_ERR_ARG. category
 * may be NULL ("custom"). *out is borrowed for the library's life; NULL on
 * failure. Returns LC_OK, LC_ERR_FORMAT (bad formula or recipe; the message
 * says what), LC_ERR_ARG, LC_ERR_NOMEM or LC_ERR_PHYSICS. Not thread-safe. */
LC_MUST_CHECK lc_status lc_matlib_add(lc_matlib *lib, const char *name, const char *composition,
                                      double density, const char *category, const lc_material **out,
                                      lc_error *err);

/* Name, composition text as given (a NIST compound's name; an element's
 * symbol), category ("explosive", "benign-organic", "benign-inorganic",
 * "metal", "calibration", "detector", "nist", "element", "custom") and notes
 * (from the table; "" otherwise). Borrowed for the material's life. */
const char *lc_material_name(const lc_material *m);
const char *lc_material_composition(const lc_material *m);
const char *lc_material_category(const lc_material *m);
const char *lc_material_notes(const lc_material *m);

/* Density in g/cm^3. */
double lc_material_density(const lc_material *m);

/* Composition: number of elements, and element i's atomic number Z (0 when i
 * is out of range) with its mass fraction in *mass_fraction (if non-NULL). */
size_t lc_material_element_count(const lc_material *m);
int lc_material_element(const lc_material *m, size_t i, double *mass_fraction);

/* Power-law effective atomic number, Zeff = (sum_i f_i Z_i^m)^(1/m) with m =
 * LC_PHYS_ZEFF_EXPONENT and f_i the fraction of electrons of element i. */
double lc_material_zeff(const lc_material *m);

/* Electron density relative to mass, sum_i w_i Z_i / A_i (mol electrons per g). */
double lc_material_z_over_a(const lc_material *m);

/* mu/rho in cm^2/g from the material's table at an integer energy e_kev in
 * 1..LC_PHYS_EMAX_KEV (0.0 outside that range). Exactly xraylib's CS_Total
 * summed over the composition at that energy. */
double lc_material_mu_rho_at(const lc_material *m, int e_kev);

/* mu/rho in cm^2/g at any energy in LC_PHYS_E_MIN_KEV..LC_PHYS_E_MAX_KEV,
 * computed directly from xraylib (sum over elements of w_i CS_Total(Z_i, E)).
 * Returns LC_OK, LC_ERR_ARG (energy out of range) or LC_ERR_PHYSICS. */
LC_MUST_CHECK lc_status lc_material_mu_rho(const lc_material *m, double e_kev, double *out,
                                           lc_error *err);

/* ------------------------------------------------------------------------ */
/* Spectra                                                                  */
/* ------------------------------------------------------------------------ */

/* A photon spectrum: points (energy E_i in keV, photons N_i), energies strictly
 * increasing. For the tube model, E_i = 1, 2, ... floor(kVp) keV and N_i is
 * the number of photons in the 1 keV bin [E_i - 0.5, E_i + 0.5) per mAs per
 * mm^2 at 1 m from the focal spot (after the tube's filtration). A spectrum
 * from a file or a mono beam is taken in the same units. */
typedef struct lc_spectrum lc_spectrum;

/* The X-ray tube. Initialise with lc_tube_init() (the defaults), then change
 * fields. */
typedef struct lc_tube {
    double kvp;             /* tube voltage, LC_PHYS_KVP_MIN..LC_PHYS_KVP_MAX; default 160 */
    double ma;              /* tube current, mA; default 1.0 (used by callers, not the spectrum) */
    double anode_angle_deg; /* target (anode) angle, 5..45 degrees; default 12 */
    double inherent_al_mm;  /* inherent filtration, mm Al equivalent; default 2.5 */
    double added_al_mm;     /* added aluminium filter, mm; default 0 */
    double added_cu_mm;     /* added copper filter, mm; default 0 */
    int self_absorption;    /* 1: attenuate in the tungsten target (default); 0: bare Kramers */
    int k_lines;            /* 1: add tungsten K lines (default); 0: continuum only */
    double output_scale;    /* multiplies the whole spectrum (tube output calibration); default 1 */
    char spectrum[LC_PHYS_PATH_MAX]; /* "" (default): use the model; "mono:E" or a
                                        two-column file path instead */
} lc_tube;

/* Fills tube with the defaults above. */
void lc_tube_init(lc_tube *tube);

/* The spectrum of a tube: the model, or tube->spectrum when it is set (see
 * lc_spectrum_from_arg). Caller owns *out; free with lc_spectrum_free(). On
 * failure *out is NULL. Returns LC_OK, LC_ERR_ARG (a field out of range, named
 * in the message), LC_ERR_IO/LC_ERR_FORMAT (spectrum file), LC_ERR_NOMEM or
 * LC_ERR_PHYSICS. */
LC_MUST_CHECK lc_status lc_tube_spectrum(const lc_tube *tube, lc_spectrum **out, lc_error *err);

/* A spectrum from points. e_kev strictly increasing within LC_PHYS_E_MIN_KEV
 * ..LC_PHYS_E_MAX_KEV, photons >= 0 and finite, 1..LC_PHYS_MAX_POINTS points,
 * not all zero. The arrays are copied. Caller owns *out (lc_spectrum_free). */
LC_MUST_CHECK lc_status lc_spectrum_new(const double *e_kev, const double *photons, size_t n,
                                        lc_spectrum **out, lc_error *err);

/* A monoenergetic spectrum: one point (e_kev, photons). */
LC_MUST_CHECK lc_status lc_spectrum_mono(double e_kev, double photons, lc_spectrum **out,
                                         lc_error *err);

/* Reads a two-column text file: energy_keV and photons per line, separated by
 * a comma, tab or spaces; blank lines and lines starting with '#' are
 * skipped; a first line that is not numeric is taken as a header. Errors name
 * the file and line. Returns LC_OK, LC_ERR_NOT_FOUND (no such file), LC_ERR_IO,
 * LC_ERR_FORMAT, LC_ERR_LIMIT (over 4 MiB or LC_PHYS_MAX_POINTS points),
 * LC_ERR_NOMEM. Caller owns *out (lc_spectrum_free). */
LC_MUST_CHECK lc_status lc_spectrum_load(const char *path, lc_spectrum **out, lc_error *err);

/* "mono:E" (E in keV; 1e6 photons, the order of the tube model's output per
 * mAs per mm^2 at 1 m) or a file path (lc_spectrum_load). Caller owns *out. */
LC_MUST_CHECK lc_status lc_spectrum_from_arg(const char *arg, lc_spectrum **out, lc_error *err);

/* Frees a spectrum. NULL is a no-op. */
void lc_spectrum_free(lc_spectrum *s);

/* Number of points, and borrowed read-only arrays of energies (keV) and
 * photons, valid for the spectrum's life. */
size_t lc_spectrum_count(const lc_spectrum *s);
const double *lc_spectrum_energies(const lc_spectrum *s);
const double *lc_spectrum_photons(const lc_spectrum *s);

/* Total photons, and photon-weighted mean energy in keV. */
double lc_spectrum_total(const lc_spectrum *s);
double lc_spectrum_mean_energy(const lc_spectrum *s);

/* A new spectrum: s attenuated by areal_g_cm2 of material m (Beer-Lambert,
 * exact xraylib mu/rho at each point). Caller owns *out. */
LC_MUST_CHECK lc_status lc_spectrum_attenuate(const lc_spectrum *s, const lc_material *m,
                                              double areal_g_cm2, lc_spectrum **out, lc_error *err);

/* ------------------------------------------------------------------------ */
/* Dual-layer detector                                                      */
/* ------------------------------------------------------------------------ */

/* Detector layers: material names resolved with lc_matlib_get (table names,
 * "csi", "gos", NIST names, element symbols) and thicknesses in mm. A
 * thickness of 0 removes a layer (a filter of 0 mm is no filter). */
typedef struct lc_detector_desc {
    char front[LC_PHYS_NAME_MAX];  /* front (low-energy) scintillator; default "csi" */
    double front_mm;               /* default 0.3 */
    char filter[LC_PHYS_NAME_MAX]; /* filter between the layers; default "Cu" */
    double filter_mm;              /* default 0.3 */
    char rear[LC_PHYS_NAME_MAX];   /* rear (high-energy) scintillator; default "csi" */
    double rear_mm;                /* default 4.0 */
} lc_detector_desc;

/* Fills desc with the defaults above (CsI 0.3 mm / Cu 0.3 mm / CsI 4 mm). */
void lc_detector_desc_init(lc_detector_desc *desc);

typedef struct lc_detector lc_detector;

/* Creates a detector from a description; materials are looked up in lib
 * (which may gain materials, see lc_matlib_get) and copied: the detector
 * does not keep lib. Caller owns *out; free with lc_detector_free(). Returns
 * LC_OK, LC_ERR_NOT_FOUND (unknown material), LC_ERR_ARG (thickness
 * negative, above 100 mm, or front and rear both 0), LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_detector_new(lc_matlib *lib, const lc_detector_desc *desc,
                                        lc_detector **out, lc_error *err);

/* Frees a detector. NULL is a no-op. */
void lc_detector_free(lc_detector *det);

/* The description the detector was made from (borrowed for its life). */
const lc_detector_desc *lc_detector_get_desc(const lc_detector *det);

/* Absorption efficiencies at energy e_kev (PHYSICS.md, mu from CS_Total):
 *   eta_L = 1 - exp(-mu_F t_F)
 *   eta_H = exp(-mu_F t_F - mu_X t_X) (1 - exp(-mu_B t_B))
 * The energy weight per photon of channel k is eta_k(E) * E. Either output
 * pointer may be NULL. Returns LC_OK, LC_ERR_ARG (energy out of range),
 * LC_ERR_PHYSICS. */
LC_MUST_CHECK lc_status lc_detector_eta(const lc_detector *det, double e_kev, double *eta_low,
                                        double *eta_high, lc_error *err);

/* A short text like "dual-layer csi 0.3 mm / Cu 0.3 mm / csi 4 mm" into
 * buf[cap] (always NUL-terminated; truncated if too small). */
void lc_detector_describe(const lc_detector *det, char *buf, size_t cap);

/* ------------------------------------------------------------------------ */
/* Signal model                                                             */
/* ------------------------------------------------------------------------ */

/* Expected signal and quantum variance of both channels, indexed by
 * lc_channel (LC_HIGH, LC_LOW). Units: keV deposited-energy weight, i.e.
 *   mean[k] = sum_E N0(E) T(E) eta_k(E) E
 *   var[k]  = sum_E N0(E) T(E) eta_k(E) E^2     (compound Poisson)
 * with T(E) = exp(-sum_m mu/rho_m(E) rho t_m). No gain, offset or
 * electronic noise: the caller applies those (mean scales with a gain G,
 * variance with G^2). Both are linear in N0, so a caller may scale mean and
 * variance by the same factor for per-pixel flux differences. */
typedef struct lc_signal {
    double mean[LC_CHANNELS];
    double var[LC_CHANNELS];
} lc_signal;

typedef struct lc_signal_model lc_signal_model;

/* Precomputes everything a ray evaluation needs: for every spectrum point
 * with non-negligible weight (bins whose weights are below 1e-12 of the
 * largest channel total are dropped), the photon weights N0 eta_k E and N0
 * eta_k E^2 and, for each of the nmat materials, the exact xraylib mu/rho at
 * that energy. photon_scale multiplies N0 (e.g. mA x line period x pixel area
 * in mm^2 x (1000 mm / source distance)^2 turns the tube spectrum into photons
 * per pixel per line); it must be > 0. mats[0..nmat-1] are borrowed only
 * during the call (their data are copied); nmat may be 0 (air only), at most
 * 65535. Caller owns *out; free with lc_signal_model_free(). Returns LC_OK,
 * LC_ERR_ARG, LC_ERR_NOMEM, LC_ERR_PHYSICS. */
LC_MUST_CHECK lc_status lc_signal_model_new(const lc_spectrum *spec, const lc_detector *det,
                                            const lc_material *const *mats, size_t nmat,
                                            double photon_scale, lc_signal_model **out,
                                            lc_error *err);

/* Frees a signal model. NULL is a no-op. */
void lc_signal_model_free(lc_signal_model *model);

/* Number of materials the model was built with. */
size_t lc_signal_model_material_count(const lc_signal_model *model);

/* Evaluates one ray: n pairs (material index into the mats the model was
 * built with, areal density in g/cm^2). Indices may repeat (densities add).
 * Pure function of its inputs; thread-safe; does not allocate; results are
 * bit-identical on every x86-64 CPU. Invalid input (index >= material
 * count, negative or non-finite areal density, more than 64 distinct
 * materials on the ray) is left out and makes the function return LC_ERR_ARG
 * after filling *out with the result for the valid pairs; otherwise LC_OK.
 * n = 0 gives the open-beam (air) signal. Cost: about 0.3 us per ray for a
 * 160 kV spectrum (docs/physics.md). */
lc_status lc_signal_model_eval(const lc_signal_model *model, size_t n, const uint32_t *mat_idx,
                               const double *areal_g_cm2, lc_signal *out);

/* Open-beam (no object) signal, precomputed. */
const lc_signal *lc_signal_model_air(const lc_signal_model *model);

/* ------------------------------------------------------------------------ */
/* Scanner description                                                      */
/* ------------------------------------------------------------------------ */

/* Reads the "tube" and "detector" sections of a scanner JSON file into tube
 * and det. Both are first set to their defaults; an absent section or key
 * keeps the default; other top-level sections (the simulator's "geometry",
 * "acquisition", ...) are ignored here. Keys:
 *   "tube": {"kvp", "ma", "anode_angle_deg", "inherent_al_mm", "added_al_mm",
 *            "added_cu_mm", "self_absorption" (bool), "k_lines" (bool),
 *            "output_scale", "spectrum" (string: "mono:E" or a file path,
 *            relative to the scanner file's folder)}
 *   "detector": {"front", "front_mm", "filter", "filter_mm", "rear", "rear_mm"}
 * An unknown key in these sections, a wrong type or a value out of range is
 * LC_ERR_FORMAT with a message naming the file and key ("scanner.json:
 * tube.kvp: must be 40..200"); bad JSON gives line and column. Either output
 * may be NULL to skip that section's checks. On failure both outputs are
 * reset to the defaults. Returns LC_OK, LC_ERR_NOT_FOUND (no such file),
 * LC_ERR_IO, LC_ERR_FORMAT, LC_ERR_LIMIT (file over 1 MiB), LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_phys_scanner_load(const char *path, lc_tube *tube, lc_detector_desc *det,
                                             lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
