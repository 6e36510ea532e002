/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/atr.h: automatic threat recognition on a two-view dual-energy scan.
 *
 * Pipeline (docs/atr.md has the details and the measured performance):
 *   1. The image chain (chain.h) gives per view the attenuations A_H, A_L and
 *      the impenetrable flags.
 *   2. Segmentation: connected components of {A_H >= t} over a ladder of
 *      thresholds t (a component tree): every object that adds attenuation
 *      to its surroundings becomes, at some level, a component of its own.
 *   3. Background (overlap) stripping: a ring around each candidate gives the
 *      attenuation of whatever lies over and under it; the object's own
 *      (A_H, A_L) is the candidate's minus the ring's, and its Zeff comes
 *      from the material table at the stripped values, its areal density
 *      from the stripped A_H, its mass from the areal density summed over
 *      its pixels.
 *   4. Both views: candidates of the same class whose line ranges (x, the
 *      belt direction, common to all views) overlap are paired; a pair's
 *      mass is the mean of the views' estimates and its score combines both.
 *   5. Rules give each candidate a score in 0..1 per class:
 *        explosive  organic stripped Zeff in the explosives' band, enough
 *                   mass and areal density, homogeneous, in both views;
 *        weapon     metal (high stripped Zeff, high areal density) with the
 *                   shape of a blade (long, narrow, thin) or of a gun (a large
 *                   metal mass with an L-shaped outline);
 *        dense      impenetrable regions large enough to hide a threat,
 *                   in every view (a region one view sees past hides nothing).
 *      The weapon score is a learned model (boosted stumps started from the
 *      rule, trained on simulated corpora by scripts/train_atr.py); every
 *      class's operating point was set on training corpora (docs/atr.md).
 *   6. Alarms: candidates whose score reaches 1 - sensitivity, after
 *      non-maximum suppression within a class and view.
 *
 * Thread safety: a result is immutable; lc_atr_analyze keeps no global state
 * and may run concurrently on distinct scans with a shared table.
 */
#ifndef LUCENT_ATR_H
#define LUCENT_ATR_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/chain.h"
#include "lucent/error.h"
#include "lucent/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Threat classes of an alarm. */
typedef enum lc_atr_class {
    LC_ATR_EXPLOSIVE = 0,
    LC_ATR_WEAPON = 1,
    LC_ATR_DENSE = 2
} lc_atr_class;
#define LC_ATR_CLASSES 3

/* "explosive", "weapon", "dense"; "?" for other values. */
const char *lc_atr_class_name(lc_atr_class c);

/* Parses a class name; returns 0 on success, -1 for an unknown name. */
int lc_atr_class_parse(const char *name, lc_atr_class *out);

/* Options of an analysis. Initialise with lc_atr_options_init(). */
typedef struct lc_atr_options {
    /* Operating point per class, 0..1 (default 0.5): a candidate alarms when
     * its score >= 1 - sensitivity. 1 reports every candidate (for ROC
     * curves); 0 reports nothing. */
    double sensitivity[LC_ATR_CLASSES];
    double pixel_mm;       /* detector pixel size at the object, mm, across the belt,
                              for areas and shapes, and for masses and densities
                              when the scan gives no fan geometry (lc_view_info);
                              0 (default) = 0.5 x the scan's pixel pitch (the mean
                              magnification of the default tunnel) or 0.8. With the
                              geometry, masses and densities use each object's own
                              position (docs/atr.md) */
    double line_mm;        /* belt travel per line, mm; 0 (default) = from the scan
                              (belt speed x line period) or 1.6 */
    double min_mass_g;     /* explosive rule: mass where the mass term reaches 0.5;
                              default 300 */
    double dense_area_mm2; /* dense rule: impenetrable area where the score reaches
                              0.5; default 1600 (a 40 x 40 mm hiding place) */
} lc_atr_options;

/* Fills o with the defaults above. */
void lc_atr_options_init(lc_atr_options *o);

/* Most reasons given for a learned score (lc_atr_alarm.why). */
#define LC_ATR_WHY 3

/* One reason behind a learned score: a measured feature (the names are
 * docs/atr.md's, e.g. "zeff", "density", "p_sigma" for the paired view's areal
 * density), its value and its additive share of the score's logit (positive:
 * towards the threat). `feature` points to a static string. */
typedef struct lc_atr_reason {
    const char *feature;
    double value;
    double logit;
} lc_atr_reason;

/* One alarm (or candidate) in one view, with the measurements behind it. */
typedef struct lc_atr_alarm {
    lc_atr_class cls;
    uint32_t view;
    uint32_t bbox[4];              /* x0, y0 inclusive; x1, y1 exclusive (x = line, y = pixel) */
    double score;                  /* 0..1 */
    double zeff;                   /* stripped Zeff (NaN when unknown, e.g. impenetrable) */
    double zeff_edge;              /* Zeff of the steps at its edges (NaN when unknown) */
    double mass_g;                 /* estimated mass of the object itself (0 when unknown) */
    double area_mm2;               /* area at the object */
    double areal_g_cm2;            /* mean stripped areal density (water-equivalent) */
    double density_g_cm3;          /* two-view estimate (fan geometry when the scan has it);
                                      explosive alarms only, 0 when unknown */
    int32_t paired;                /* index (in the result) of the same object's alarm of the same
                                      class in another view, or -1 */
    size_t n_why;                  /* reasons in why[] (0 when the score is a hand-set rule's) */
    lc_atr_reason why[LC_ATR_WHY]; /* the features that pushed a learned score up
                                      most, strongest first */
} lc_atr_alarm;

/* The result of an analysis. */
typedef struct lc_atr_result {
    int alarm; /* 1 when any alarm reaches its class's threshold */
    size_t n;  /* alarms, sorted by falling score */
    lc_atr_alarm *alarms;
    double seconds; /* analysis time (single thread) */
} lc_atr_result;

/* Frees a result. NULL is a no-op. */
void lc_atr_result_free(lc_atr_result *r);

/* Analyses a scan: calibrates every view (lc_atten_compute with defaults),
 * segments, strips, measures and scores as above. t is the material table
 * (borrowed). opts may be NULL (defaults). Caller owns *out
 * (lc_atr_result_free); on failure *out is NULL. Returns LC_OK, LC_ERR_ARG,
 * LC_ERR_FORMAT (a view the chain cannot calibrate), LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_atr_analyze(const lc_mattable *t, const lc_scan *scan,
                                       const lc_atr_options *opts, lc_atr_result **out,
                                       lc_error *err);

/* As lc_atr_analyze, on calibrated views (one lc_atten per view, borrowed;
 * all of the same width). For callers that already ran the chain and for
 * tests on synthetic images. */
LC_MUST_CHECK lc_status lc_atr_analyze_atten(const lc_mattable *t, const lc_atten *const *views,
                                             size_t n_views, const lc_atr_options *opts,
                                             lc_atr_result **out, lc_error *err);

/* The report JSON of DESIGN.md / issue 5:
 * {"decision":"alarm"|"clear","alarms":[{"class","view","bbox":[x0,y0,x1,y1],
 *  "score","zeff","zeff_edge","mass_g","area_mm2","areal_g_cm2","density_g_cm3",
 *  "why":[{"feature","value","logit"}]}]}
 * (zeff, zeff_edge null when unknown). Only alarms at or above their thresholds are
 * listed. Caller owns *out (free()). */
LC_MUST_CHECK lc_status lc_atr_result_json(const lc_atr_result *r, char **out, lc_error *err);

/* ------------------------------------------------------------------------ */
/* Evaluation                                                               */
/* ------------------------------------------------------------------------ */

/* Difficulty levels of the corpus (lucent/corpus.h). */
#define LC_ATR_DIFFICULTIES 3 /* 0 easy, 1 medium, 2 hard */

/* Ground truth of one threat: class, difficulty, mass and its box in each
 * view (from the simulator's labels: the union of its parts' boxes). */
typedef struct lc_atr_truth {
    lc_atr_class cls;
    int difficulty; /* 0..LC_ATR_DIFFICULTIES-1 */
    double mass_g;
    char kind[32];      /* form or type: block, sheet, cylinder; kitchen_knife, gun, ... */
    char material[32];  /* the threat's material ("" when truth.json has none) */
    int has_box[2];     /* views 0 and 1 */
    uint32_t box[2][4]; /* x0, y0 inclusive; x1, y1 exclusive */
} lc_atr_truth;

/* One analysed bag for the metrics: its threats and every alarm (normally
 * from an analysis at sensitivity 1, so that thresholds can be swept). */
typedef struct lc_atr_eval_bag {
    size_t n_truth;
    lc_atr_truth truth[4];
    size_t n_alarms;
    const lc_atr_alarm *alarms; /* borrowed */
} lc_atr_eval_bag;

/* A detection (issue 5): an alarm of the threat's class whose box overlaps
 * the threat's box in the same view with an intersection over union of at
 * least 0.1. Returns 1 or 0. */
int lc_atr_alarm_detects(const lc_atr_alarm *a, const lc_atr_truth *t);

/* Metrics at one operating point. */
typedef struct lc_atr_metrics {
    double threshold[LC_ATR_CLASSES]; /* an alarm counts when score >= threshold */
    size_t bags;
    size_t clean;                                    /* bags without a threat */
    size_t clean_alarmed;                            /* ... of which with at least one alarm */
    size_t alarmed;                                  /* bags with at least one alarm */
    size_t false_alarms;                             /* alarms (all bags) that detect no threat */
    size_t n[LC_ATR_CLASSES][LC_ATR_DIFFICULTIES];   /* threats */
    size_t hit[LC_ATR_CLASSES][LC_ATR_DIFFICULTIES]; /* ... detected */
    size_t n_expl300, hit_expl300;                   /* explosives of 300 g or more */
} lc_atr_metrics;

/* Computes the metrics of bags at the given per-class thresholds. */
void lc_atr_eval_metrics(const lc_atr_eval_bag *bags, size_t n, const double threshold[3],
                         lc_atr_metrics *m);

/* Options of lc_atr_eval_run. Initialise with lc_atr_eval_options_init(). */
typedef struct lc_atr_eval_options {
    lc_atr_options atr;      /* the operating point: thresholds 1 - sensitivity */
    int threads;             /* simulation threads (0 = all cores) */
    int resimulate;          /* 1: simulate even when a scan folder exists */
    size_t limit;            /* evaluate only the first `limit` bags (0 = all) */
    const char *features;    /* when not NULL: write every candidate's measurements,
                                scores and matching threat (if any) as CSV to this file
                                (for training the scoring models; docs/atr.md) */
    lc_progress_fn progress; /* may be NULL */
    void *progress_user;
} lc_atr_eval_options;

/* Fills o with defaults (sensitivity 0.5, all cores, reuse scans). */
void lc_atr_eval_options_init(lc_atr_eval_options *o);

/* Evaluates the corpus in dir (written by lc_corpus_write: truth.json and
 * the scene files). Bag i is simulated with seed i + 1 into
 * dir/scans/<name>/ (DICOS and labels.json) unless that folder already holds
 * a scan; then analysed at sensitivity 1. Writes into dir/eval/:
 *   results.csv  one row per bag: threat class, kind, difficulty, mass, best
 *                score of a detecting alarm, best score of any alarm
 *   roc.csv      for thresholds 0..1: false-alarm rate on clean bags,
 *                detection rates per class, explosives >= 300 g, all threats
 *   roc.png      the ROC curves (x: false-alarm rate, y: detection rate;
 *                orange explosives >= 300 g, blue weapons, black dense, grey
 *                all; the square marks the operating point)
 *   summary.json the metrics at the operating point and the timings
 * *m receives the metrics at the operating point; *summary (caller owns,
 * free()) a human-readable report; either may be NULL. Returns LC_OK,
 * LC_ERR_ARG, LC_ERR_IO, LC_ERR_FORMAT (truth or labels malformed: the
 * message names the file and field), LC_ERR_NOT_FOUND, LC_ERR_NOMEM, or what
 * the simulator returns. */
LC_MUST_CHECK lc_status lc_atr_eval_run(const lc_mattable *t, const char *dir,
                                        const lc_atr_eval_options *o, lc_atr_metrics *m,
                                        char **summary, lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
