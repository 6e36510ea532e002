/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/chain.h: the image chain. It turns the raw detector lines of a scan
 * into what a screener sees and what threat recognition reasons on:
 *
 *   raw scan ─► lc_atten_compute: dark/air calibration, bad detector pixels,
 *               line-to-line source fluctuation, A = −ln(I/I0) per channel with
 *               a photon-starvation floor (impenetrable pixels are flagged)
 *            ─► lc_matmap_compute: per pixel Zeff, class and confidence through
 *               a material calibration table (lc_mattable), a 2-D lookup over
 *               (A_H, A_L) built from a physics model fitted to step-wedge scans
 *            ─► lc_render: pseudo-colour and the operator tools (black-and-white,
 *               organic / inorganic only, high / low penetration, negative, edge
 *               enhancement, variable density), each a small operation that never
 *               modifies its input.
 *
 * The material calibration table follows PHYSICS.md ("What dual energy can and
 * cannot tell"): the kit scans (lc_kit) fit the spectrum and detector parameters
 * of phys's signal model, and the fitted model generates one reference curve
 * A_L(A_H) per element Z = 5..30; a pixel's Zeff is found by interpolating in Z
 * between the neighbouring curves at its A_H. docs/chain.md has the details and
 * the measured accuracy.
 *
 * Image order is scan.h's: width = lines (x), height = detector pixels (y),
 * sample (x, y) at [y * width + x].
 *
 * Thread safety: tables, kits and images are immutable after creation (except
 * through their documented writable fields) and may be read from any number of
 * threads; the functions keep no global state.
 */
#ifndef LUCENT_CHAIN_H
#define LUCENT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"
#include "lucent/phys.h"
#include "lucent/progress.h"
#include "lucent/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Calibration and attenuation                                              */
/* ------------------------------------------------------------------------ */

/* Flags per image pixel (lc_atten.flags). */
#define LC_PIX_IMPENETRABLE 0x01u /* too few photons in a channel: A is clamped */
#define LC_PIX_BAD          0x02u /* a bad detector pixel, interpolated from neighbours */

/* Flags per detector pixel (lc_atten.detector). */
#define LC_DET_DEAD  0x01u /* gain far below the others (or no signal) */
#define LC_DET_HOT   0x02u /* gain or dark offset far above the others */
#define LC_DET_NOISY 0x04u /* noise in the reference lines far above the others */
#define LC_DET_REF   0x08u /* sees only air in every line: used for source fluctuation */

/* Options of lc_atten_compute. Initialise with lc_calib_options_init(). */
typedef struct lc_calib_options {
    double starve_fraction; /* a channel whose I/I0 is below this is starved; default 2e-4 */
    double starve_sigma;    /* ... or whose signal is below this many dark-noise sigmas;
                               default 5 */
    int fix_bad_pixels;     /* 1 (default): detect and interpolate bad detector pixels */
    int fluctuation;        /* 1 (default): correct line-to-line source fluctuation */
} lc_calib_options;

/* Fills o with the defaults above. */
void lc_calib_options_init(lc_calib_options *o);

/* Calibrated attenuation of one view. All arrays hold width*height samples in
 * image order, except detector[] (height entries, one per detector pixel). */
typedef struct lc_atten {
    uint32_t width;               /* lines */
    uint32_t height;              /* detector pixels */
    float *a[LC_CHANNELS];        /* A = -ln(I/I0), natural log, indexed by lc_channel */
    uint8_t *flags;               /* LC_PIX_* */
    uint8_t *detector;            /* LC_DET_* per detector pixel */
    uint32_t n_bad;               /* detector pixels flagged dead, hot or noisy */
    uint32_t n_ref;               /* detector pixels used as air references for fluctuation */
    int air_estimated;            /* 1 when the air reference came from bag-free lines */
    double a_max[LC_CHANNELS];    /* the clamp applied to starved samples */
    double neff_air[LC_CHANNELS]; /* effective photons per pixel in air, mean^2/var,
                                     estimated from the data (0 when unknown) */
} lc_atten;

/* Calibrates view `view` of scan:
 * - offset per pixel and channel from the dark reference lines (0 without);
 * - gain from the air reference lines; without them, from the bag-free lines
 *   at the start and end of the scan (lines whose mean over the detector is
 *   within 4 % of the 90th percentile of all lines), or from the scan's
 *   air_value when even those are darker than half of it;
 * - dead, hot and noisy detector pixels from the reference lines, replaced by
 *   linear interpolation between the nearest good pixels of the same line;
 * - line-to-line source fluctuation from detector pixels that see only air in
 *   every line (when at least 4 do);
 * - A = -ln(I/I0); samples below the starvation floor are flagged
 *   LC_PIX_IMPENETRABLE and clamped at the floor's A.
 * opts may be NULL (defaults). The scan is not modified. Caller owns *out;
 * free with lc_atten_free(). On failure *out is NULL. Returns LC_OK, LC_ERR_ARG
 * (NULL, view out of range), LC_ERR_FORMAT (no usable air reference: the message
 * says why), LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_atten_compute(const lc_scan *scan, size_t view,
                                         const lc_calib_options *opts, lc_atten **out,
                                         lc_error *err);

/* An all-zero (air) attenuation image; for callers that build images directly.
 * Caller owns *out (lc_atten_free). Returns LC_OK, LC_ERR_ARG, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_atten_new(uint32_t width, uint32_t height, lc_atten **out,
                                     lc_error *err);

/* Frees an attenuation image. NULL is a no-op. */
void lc_atten_free(lc_atten *a);

/* ------------------------------------------------------------------------ */
/* Material calibration table                                               */
/* ------------------------------------------------------------------------ */

/* The physics model behind a table: tube, detector and the photons per pixel
 * per line in air (photon_scale of lc_signal_model_new). */
typedef struct lc_chain_model {
    lc_tube tube;
    lc_detector_desc det;
    double photon_scale; /* default 0.0205: 1 mA x 8 ms x 2.56 mm^2 at 1 m */
} lc_chain_model;

/* Fills m with phys's default tube and detector and the photon scale above. */
void lc_chain_model_init(lc_chain_model *m);

/* Lowest and highest element of the reference curves. */
#define LC_TABLE_ZMIN 5
#define LC_TABLE_ZMAX 30
/* Class boundaries in Zeff (PHYSICS.md). */
#define LC_ZEFF_MIXED     10.0
#define LC_ZEFF_INORGANIC 18.0

typedef struct lc_mattable lc_mattable;

/* Generates a table from a model: one curve per element Z = LC_TABLE_ZMIN..
 * LC_TABLE_ZMAX (xraylib through phys). Caller owns *out (lc_mattable_free).
 * Returns LC_OK, LC_ERR_ARG, LC_ERR_PHYSICS, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_mattable_generate(const lc_chain_model *model, lc_mattable **out,
                                             lc_error *err);

/* Reads a table file written by lc_mattable_save (JSON, "lucent_calib": 1).
 * Every field is checked: sizes, finite values, increasing grids. Errors name
 * the file and field. Caller owns *out. Returns LC_OK, LC_ERR_IO,
 * LC_ERR_FORMAT, LC_ERR_UNSUPPORTED (another version), LC_ERR_LIMIT, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_mattable_load(const char *path, lc_mattable **out, lc_error *err);

/* As lc_mattable_load, from bytes in memory (need not be NUL-terminated);
 * name labels the messages. */
LC_MUST_CHECK lc_status lc_mattable_parse(const void *buf, size_t len, const char *name,
                                          lc_mattable **out, lc_error *err);

/* Writes the table (atomically). Returns LC_OK, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_mattable_save(const lc_mattable *t, const char *path, lc_error *err);

/* Frees a table. NULL is a no-op. */
void lc_mattable_free(lc_mattable *t);

/* The model the table was generated from (borrowed for the table's life). */
const lc_chain_model *lc_mattable_model(const lc_mattable *t);

/* Zeff of a pixel with attenuations (a_high, a_low) by interpolation between
 * the element curves (exact path, no lookup table quantisation). Returns NaN
 * when a_high is below the air threshold (0.02) or either value is not
 * finite; clamps to LC_TABLE_ZMIN..LC_TABLE_ZMAX outside the curves. */
double lc_mattable_zeff(const lc_mattable *t, double a_high, double a_low);

/* Largest difference in Zeff between two tables over a grid of (A_H, R)
 * points inside both tables' range with A_H in 0.1..max_a_high (for checking a
 * shipped table against a regenerated one). */
double lc_mattable_max_diff(const lc_mattable *a, const lc_mattable *b, double max_a_high);

/* ------------------------------------------------------------------------ */
/* Step-wedge kit                                                           */
/* ------------------------------------------------------------------------ */

/* One step of the kit: a material at an areal density, and where it lies in
 * the image of a view (x0, y0 inclusive, x1, y1 exclusive). */
typedef struct lc_kit_step {
    char material[LC_PHYS_NAME_MAX];
    double areal_g_cm2;
    uint32_t view;
    uint32_t rect[4];
} lc_kit_step;

typedef struct lc_kit {
    char name[LC_TEXT_MAX];
    uint32_t lines; /* image size of the kit scan (for lc_kit_simulate) */
    uint32_t pixels;
    size_t n_steps;
    lc_kit_step *steps;
} lc_kit;

/* Reads a kit description (data/kits/default.json; docs/chain.md):
 *   {"lucent_kit": 1, "name": "...", "image": {"lines": L, "pixels": P},
 *    "steps": [{"material": "pom", "thickness_mm": 10 | "areal_g_cm2": 1.4,
 *               "view": 0, "rect": [x0, y0, x1, y1]}, ...]}
 * Materials are checked against lib. Errors name the file and field. Caller
 * owns *out (lc_kit_free). Returns LC_OK, LC_ERR_IO, LC_ERR_FORMAT,
 * LC_ERR_NOT_FOUND (unknown material), LC_ERR_LIMIT, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_kit_load(const char *path, lc_matlib *lib, lc_kit **out, lc_error *err);

/* Frees a kit. NULL is a no-op. */
void lc_kit_free(lc_kit *kit);

/* Detector effects of a synthetic scan. */
typedef struct lc_synth_options {
    uint64_t seed;        /* default 1 */
    int noise;            /* 1 (default): compound Poisson + electronic noise */
    double adc_air;       /* mean air level in ADC counts; default 50000 */
    double offset;        /* mean dark offset, counts; default 200 */
    double gain_spread;   /* relative per-pixel gain spread (sd); default 0.05 */
    double offset_spread; /* per-pixel offset spread (sd, counts); default 20 */
    double electronic;    /* electronic noise sd, counts; default 3 */
    uint32_t dead_pixel;  /* detector pixel made dead (0 = none; default 7) */
    uint32_t hot_pixel;   /* detector pixel made hot (0 = none; default 13) */
    uint32_t ref_lines;   /* dark and air reference lines; default 32; 0 = none */
    double fluctuation;   /* relative sd of the source intensity from line to line;
                             default 0 */
} lc_synth_options;

/* Fills o with the defaults above. */
void lc_synth_options_init(lc_synth_options *o);

/* One uniform region of a synthetic scan: materials (up to 4 layers) with
 * their areal densities over a rectangle of a view (x0,y0 inclusive, x1,y1
 * exclusive). */
typedef struct lc_synth_region {
    uint32_t view;
    uint32_t rect[4];
    size_t n;
    const lc_material *mats[4];
    double areal_g_cm2[4];
} lc_synth_region;

/* Synthesises a raw scan of `views` views of lines x pixels from phys's signal
 * model (a slab scanner: every ray crosses each region's areal density
 * exactly), with per-pixel gain and offset, noise, a dead and a hot pixel and
 * dark/air reference lines as in opts. Regions must not overlap. Caller owns
 * *out (lc_scan_free). Returns LC_OK, LC_ERR_ARG, LC_ERR_PHYSICS, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_synth_scan(const lc_chain_model *model, uint32_t views, uint32_t lines,
                                      uint32_t pixels, const lc_synth_region *regions,
                                      size_t nregions, const lc_synth_options *opts, lc_scan **out,
                                      lc_error *err);

/* Scans the kit with lc_synth_scan (one view; the kit's image size). Materials
 * are resolved in lib. Caller owns *out. */
LC_MUST_CHECK lc_status lc_kit_simulate(const lc_kit *kit, lc_matlib *lib,
                                        const lc_chain_model *model, const lc_synth_options *opts,
                                        lc_scan **out, lc_error *err);

/* What the calibration measured and fitted. */
typedef struct lc_calib_report {
    size_t n_steps;
    double measured[64][LC_CHANNELS]; /* mean A per step (first 64 steps) */
    double fitted[64][LC_CHANNELS];   /* the fitted model's A per step */
    double rms_before;                /* rms of A residuals with the starting model */
    double rms_after;                 /* ... with the fitted model */
    int evaluations;                  /* model evaluations the fit used */
} lc_calib_report;

/* Builds a table from kit scans: measures the mean A_H, A_L of every step
 * (the middle of each rect, trimmed by 2 pixels) in scan (calibrated with
 * opts), fits the model's inherent filtration, front, filter and rear
 * thicknesses (Nelder-Mead from `start`, least squares on A) and generates
 * the table from the fitted model. report may be NULL. Caller owns *out.
 * Returns LC_OK, LC_ERR_ARG (a step outside the image, fewer than 4 steps),
 * LC_ERR_FORMAT (a step that is impenetrable or air), LC_ERR_PHYSICS,
 * LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_mattable_calibrate(const lc_kit *kit, lc_matlib *lib,
                                              const lc_scan *scan, const lc_calib_options *opts,
                                              const lc_chain_model *start, lc_calib_report *report,
                                              lc_mattable **out, lc_error *err);

/* ------------------------------------------------------------------------ */
/* Material map: Zeff, class, confidence                                    */
/* ------------------------------------------------------------------------ */

typedef enum lc_class {
    LC_CLASS_AIR = 0,         /* too little attenuation to say (background) */
    LC_CLASS_ORGANIC = 1,     /* Zeff < LC_ZEFF_MIXED */
    LC_CLASS_MIXED = 2,       /* LC_ZEFF_MIXED .. LC_ZEFF_INORGANIC */
    LC_CLASS_INORGANIC = 3,   /* Zeff >= LC_ZEFF_INORGANIC */
    LC_CLASS_IMPENETRABLE = 4 /* photon starvation */
} lc_class;
#define LC_CLASS_COUNT 5

/* Name of a class ("air", "organic", "mixed", "inorganic", "impenetrable"). */
const char *lc_class_name(lc_class c);

typedef struct lc_matmap_options {
    int smooth_radius;     /* box filter radius on A before the lookup; default 1 (3x3) */
    double air_threshold;  /* A_H below this is LC_CLASS_AIR; default 0.03 */
    double zeff_mixed;     /* default LC_ZEFF_MIXED */
    double zeff_inorganic; /* default LC_ZEFF_INORGANIC */
} lc_matmap_options;

/* Fills o with the defaults above. */
void lc_matmap_options_init(lc_matmap_options *o);

/* Per pixel material estimates of one view (width*height each, image order). */
typedef struct lc_matmap {
    uint32_t width, height;
    float *zeff;   /* NaN for air and impenetrable pixels */
    uint8_t *cls;  /* lc_class */
    uint8_t *conf; /* confidence 0..255: falls with noise and thickness */
} lc_matmap;

/* Zeff, class and confidence for every pixel of a through table t (the
 * table's lookup table over (sqrt A_H, A_L/A_H), nearest bin, quantisation
 * below 0.07 in Zeff, built when the table is generated or loaded). The confidence is 255 / (1 +
 * (sigma_Z / 1.5)^2) with sigma_Z the expected Zeff noise from the photon statistics of a
 * (neff_air) at that pixel's attenuation. opts may be NULL. Caller owns *out
 * (lc_matmap_free). Returns LC_OK, LC_ERR_ARG, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_matmap_compute(const lc_mattable *t, const lc_atten *a,
                                          const lc_matmap_options *opts, lc_matmap **out,
                                          lc_error *err);

/* Frees a map. NULL is a no-op. */
void lc_matmap_free(lc_matmap *m);

/* ------------------------------------------------------------------------ */
/* Rendering                                                                */
/* ------------------------------------------------------------------------ */

/* An 8-bit RGB image, interleaved, row-major (width*height*3 bytes). */
typedef struct lc_rgb {
    uint32_t width, height;
    uint8_t *data;
} lc_rgb;

/* A black image. Caller owns *out (lc_rgb_free). */
LC_MUST_CHECK lc_status lc_rgb_new(uint32_t width, uint32_t height, lc_rgb **out, lc_error *err);
/* Frees an image. NULL is a no-op. */
void lc_rgb_free(lc_rgb *img);

typedef enum lc_render_mode {
    LC_RENDER_COLOUR = 0,    /* pseudo-colour by class, brightness from attenuation */
    LC_RENDER_BW = 1,        /* grey from attenuation */
    LC_RENDER_ORGANIC = 2,   /* colour for organic pixels, the rest pale grey */
    LC_RENDER_INORGANIC = 3, /* colour for inorganic pixels, the rest pale grey */
    LC_RENDER_HIGH_PEN = 4,  /* colour, brightness stretched over dense regions */
    LC_RENDER_LOW_PEN = 5    /* colour, brightness stretched over thin regions */
} lc_render_mode;

/* Parses a mode name ("colour"/"color", "bw", "organic", "inorganic", "high",
 * "low"); returns 0 on success, -1 for an unknown name. */
int lc_render_mode_parse(const char *name, lc_render_mode *mode);
const char *lc_render_mode_name(lc_render_mode mode);

typedef struct lc_render_options {
    lc_render_mode mode;
    double window_lo; /* variable density: A shown as white .. */
    double window_hi; /* .. and as black; default 0 .. 0 = the mode's own window */
    int negative;     /* 1: invert the result */
    double edge;      /* edge enhancement strength, 0 (default) = off, 1 = strong */
} lc_render_options;

/* Fills o: colour, the mode's window, no negative, no edge enhancement. */
void lc_render_options_init(lc_render_options *o);

/* Brightness/colour stage: maps A_H (window lo..hi, white..black, brightness (1 - t)^2)
 * and the class to colour: orange organic, green mixed, blue inorganic, black
 * impenetrable, white air. `show` selects which classes are coloured (bit 1 <<
 * lc_class); the others are drawn pale grey. m may be NULL (grey only). */
LC_MUST_CHECK lc_status lc_render_colour(const lc_atten *a, const lc_matmap *m, double lo,
                                         double hi, unsigned show, lc_rgb **out, lc_error *err);

/* A new image with every channel inverted (255 - v). */
LC_MUST_CHECK lc_status lc_rgb_negative(const lc_rgb *in, lc_rgb **out, lc_error *err);

/* A new image sharpened by an unsharp mask (3x3 box) of the given strength
 * (0..4). */
LC_MUST_CHECK lc_status lc_rgb_edge(const lc_rgb *in, double strength, lc_rgb **out, lc_error *err);

/* Places images side by side with `gap` white columns between them (heights
 * may differ: the result is as tall as the tallest; the rest is white). */
LC_MUST_CHECK lc_status lc_rgb_hconcat(const lc_rgb *const *imgs, size_t n, uint32_t gap,
                                       lc_rgb **out, lc_error *err);

/* The full rendering of one view for the options: lc_render_colour with the
 * mode's window and classes, then edge enhancement, then the negative. */
LC_MUST_CHECK lc_status lc_render(const lc_atten *a, const lc_matmap *m,
                                  const lc_render_options *opts, lc_rgb **out, lc_error *err);

/* Writes an RGB image as an 8-bit PNG (libpng), atomically. Returns LC_OK,
 * LC_ERR_ARG, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_rgb_write_png(const lc_rgb *img, const char *path, lc_error *err);

/* ------------------------------------------------------------------------ */
/* The whole chain with reusable buffers                                    */
/* ------------------------------------------------------------------------ */

/* A chain object runs calibration, material map and rendering for one view
 * after another, reusing its images (a station processing bag after bag does
 * not fault in ~30 MB of fresh pages per view). */
typedef struct lc_chain lc_chain;

/* Creates a chain. t is borrowed and must outlive the chain; the options are
 * copied (NULL: defaults). Caller owns *out; free with lc_chain_free(). Returns
 * LC_OK, LC_ERR_ARG, LC_ERR_NOMEM. Not thread-safe: one chain per thread. */
LC_MUST_CHECK lc_status lc_chain_new(const lc_mattable *t, const lc_calib_options *co,
                                     const lc_matmap_options *mo, const lc_render_options *ro,
                                     lc_chain **out, lc_error *err);

/* Frees a chain and its images. NULL is a no-op. */
void lc_chain_free(lc_chain *c);

/* Runs the chain on view `view` of scan. The results are read with the
 * accessors below. Returns what lc_atten_compute, lc_matmap_compute and
 * lc_render return. After a failure the accessors return NULL. */
LC_MUST_CHECK lc_status lc_chain_run(lc_chain *c, const lc_scan *scan, size_t view, lc_error *err);

/* The results of the last successful lc_chain_run: borrowed until the next
 * lc_chain_run or lc_chain_free; NULL before a successful run. */
const lc_atten *lc_chain_atten(const lc_chain *c);
const lc_matmap *lc_chain_matmap(const lc_chain *c);
const lc_rgb *lc_chain_rgb(const lc_chain *c);

/* ------------------------------------------------------------------------ */
/* Region statistics (lucent process --probe)                               */
/* ------------------------------------------------------------------------ */

typedef struct lc_probe {
    uint32_t rect[4]; /* x0, y0 inclusive; x1, y1 exclusive */
    double a_mean[LC_CHANNELS];
    double a_std[LC_CHANNELS];
    double zeff_mean, zeff_std;  /* over pixels with a Zeff; NaN when none */
    double frac[LC_CLASS_COUNT]; /* fraction of the region's pixels per class */
} lc_probe;

/* Statistics of a rectangle (clipped to the image; LC_ERR_ARG when empty
 * after clipping). */
LC_MUST_CHECK lc_status lc_probe_region(const lc_atten *a, const lc_matmap *m,
                                        const uint32_t rect[4], lc_probe *out, lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
