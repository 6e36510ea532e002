/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atr_int.h: internals of threat recognition (not API): the candidate record
 * with every measured feature, the water-equivalent areal-density inverter,
 * and the scoring rules, shared by the analysis, the tests and the tuning
 * tools.
 */
#ifndef LUCENT_ATR_INT_H
#define LUCENT_ATR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/atr.h"

/* Everything measured about one candidate region of one view. */
typedef struct lc__atr_cand {
    uint32_t view;
    uint32_t bbox[4]; /* x0, y0 inclusive; x1, y1 exclusive */
    double level;     /* the A_H threshold that cut it out */
    double area_px;
    double area_mm2;
    double length_mm; /* principal axes (rectangle-equivalent), mm */
    double width_mm;
    double fill;                  /* area / (length x width) */
    double imp_frac;              /* fraction of impenetrable pixels */
    double imp_other_mm2;         /* impenetrable area of the other view(s) over this
                                     candidate's lines (the least of them); -1 with one view */
    double a_h, a_l;              /* mean A of the core (eroded region) */
    double bg_h, bg_l;            /* background from the surrounding ring */
    double d_h, d_l;              /* stripped: own A_H, A_L */
    double zeff;                  /* lc_mattable_zeff(d_h, d_l); NaN when unknown */
    double zeff_raw;              /* lc_mattable_zeff(a_h, a_l) (with the overlap) */
    double zeff_rim;              /* stripped Zeff of the region's rim (outside the core); NaN when
                                     unknown */
    double zeff_edge;             /* Zeff from the steps at the region's edges (inside against
                                     just outside, along both axes); NaN when unknown */
    double sigma;                 /* mean stripped water-equivalent areal density, g/cm^2 */
    double mass_g;                /* sigma summed over the pixels x pixel area */
    double cv;                    /* std / mean of the stripped A_H over the core */
    double contrast;              /* d_h over the ring's spread */
    double valley;                /* depth of the deepest dip of the profile across the
                                     principal axis, over its maximum: ~0 for a plate or a
                                     solid bar, large for parallel rods or a hollow case;
                                     -1 when too narrow to tell */
    double axis[4];               /* centroid (x along the belt, y across; mm) and the unit
                                     vector of the principal (long) axis */
    double handle;                /* what continues the object along its long axis beyond an
                                     end (a knife's handle or tang), 0..1: the larger of the
                                     two ends' cues (atr.c, handle_cues); -1 not measured
                                     (not metal, or not elongated) */
    double handle_lo;             /* the smaller of the two: continued at both ends (a
                                     battery inside a laptop seen edge-on); -1 not measured */
    double density;               /* two-view density estimate, g/cm^3 (0 unknown) */
    int density_geom;             /* 1: density from the fan geometry (line by line), 0: the rough
                                     fixed-pixel estimate */
    double sw;                    /* fan geometry: sum of stripped sigma x wr over the region */
    double gw;                    /* fan geometry: sum of wr over the region */
    double chord_mm;              /* path through the object along this view's beam (0 unknown) */
    double pos[2];                /* (y, z) of the paired object's cross-section centre, mm */
    size_t run_off;               /* this candidate's per-line runs in lc__atr_cands.runs: for each
                                     line x0 .. x1-1, 3 floats: first and last pixel (-1: none) and
                                     the sum of stripped sigma x wr over the line */
    int32_t pair;                 /* index of the best matching candidate in another view */
    double rule[LC_ATR_CLASSES];  /* the hand-set rules' scores (rules.c) */
    double score[LC_ATR_CLASSES]; /* the final scores: the learned model's where the
                                     class has one, else the rule's */
} lc__atr_cand;

/* All candidates of an analysis (before thresholds and suppression). */
typedef struct lc__atr_cands {
    size_t n, cap;
    lc__atr_cand *c;
    float *runs; /* per-line runs of every candidate (see run_off) */
    size_t n_runs, cap_runs;
} lc__atr_cands;

/* Frees what lc__atr_candidates filled in (not cs itself). NULL is a no-op. */
void lc__atr_cands_free(lc__atr_cands *cs);

/* Fan-beam geometry of one view in the belt's y-z plane: the point source
 * and every detector pixel's centre. wr[p] = pitch x cos(incidence) / r: a
 * pixel's width across its ray at distance R from the source is wr[p] x R.
 * known = 0 when the scan does not say where its source and pixels are. */
typedef struct lc__atr_geom {
    int known;
    uint32_t npix;
    double src[2];
    double *pos; /* 2 per pixel: y, z (owned; free with lc__atr_geom_free) */
    double *wr;
} lc__atr_geom;

/* The geometry of view v of scan: the default scanner's detector polyline
 * (lucent/sim.h) when the view's source and pixel count match it, otherwise a
 * flat detector line across the central ray at the source-detector distance
 * (from the view's metadata); known = 0 without metadata. */
lc_status lc__atr_geom_from_scan(const lc_scan *scan, size_t v, lc__atr_geom *g, lc_error *err);
void lc__atr_geom_free(lc__atr_geom *g);

/* Runs segmentation, stripping, measurement, pairing and scoring; fills
 * *out (caller frees with lc__atr_cands_free()). geom: one per view, or NULL
 * (unknown geometry: fixed pixel size from o). */
lc_status lc__atr_candidates(const lc_mattable *t, const lc_atten *const *views, size_t n_views,
                             const lc__atr_geom *geom, const lc_atr_options *o, lc__atr_cands *out,
                             lc_error *err);

/* lc_atr_analyze, and when keep is not NULL also every candidate behind the
 * result (caller frees with lc__atr_cands_free; zeroed on failure), for the
 * evaluation's feature dump. */
lc_status lc__atr_analyze_scan(const lc_mattable *t, const lc_scan *scan,
                               const lc_atr_options *opts, lc_atr_result **out, lc__atr_cands *keep,
                               lc_error *err);

/* The class scores of one candidate from its features (and its pair's). */
void lc__atr_score(const lc_atr_options *o, lc__atr_cand *c, const lc__atr_cand *pair);

/* The learned scoring models (scripts/train_atr.py). A model is an additive
 * sum of stumps on the feature vector of lc__atr_features: the score is
 * 1 / (1 + exp(-(bias + sum of the stumps' values))), and a stump adds lo
 * when its feature is below `at`, hi otherwise. Being additive, the logit
 * splits exactly into one contribution per feature, which explains a score. */
#define LC__ATR_NF 38
typedef struct lc__atr_stump {
    uint8_t feature;
    float at, lo, hi;
} lc__atr_stump;
typedef struct lc__atr_model {
    double bias;
    size_t n; /* 0: no model, the class keeps its rule */
    const lc__atr_stump *stumps;
    double rule_power;  /* without a model: the score is rule^rule_power (the power
                           that maps the trained operating point to 0.5) */
    double rule_weight; /* with a model: the logit starts from rule_weight x the
                           rule's logit (the stumps correct the rule) */
} lc__atr_model;

/* The embedded models per class (src/atr/atr_model.c, generated). */
extern const lc__atr_model lc__atr_models[LC_ATR_CLASSES];

/* Names of the LC__ATR_NF features (column names of the feature dump). */
extern const char *const lc__atr_feature_names[LC__ATR_NF];

/* The feature vector of a candidate (its rule scores must be set) and of its
 * pair in the other view (NULL: unpaired). Unknown values are -1. */
void lc__atr_features(const lc__atr_cand *c, const lc__atr_cand *pair, double f[LC__ATR_NF]);

/* Whether a candidate can be of class cls at all (explosive: organic, not
 * impenetrable; weapon: metal): the learned models only see, and only score,
 * candidates that pass. */
int lc__atr_gate(const lc__atr_cand *c, int cls);

/* A model's logit on f and the rule's score; contrib (may be NULL) receives
 * each feature's share (the rule's term counts as the share of its feature,
 * rule_expl or rule_weap). */
double lc__atr_model_logit(const lc__atr_model *m, int cls, const double f[LC__ATR_NF], double rule,
                           double contrib[LC__ATR_NF]);

/* The 95 % Wilson score interval of a rate of k in n: ci = {lo, hi} in
 * 0..1 (NaN, NaN when n is 0). It stays inside 0..1 and is not degenerate
 * at 0/n or n/n, where a normal approximation is. */
void lc__atr_wilson(size_t k, size_t n, double ci[2]);

/* Most parts of one threat in truth.json (lucent/corpus.h's LC_CORPUS_MAX_PARTS). */
#define LC_CORPUS_EVAL_PARTS 8

/* One bag of a corpus being evaluated: truth.json's record, the boxes from
 * labels.json and the analysis result (owned). */
typedef struct lc__atr_ebag {
    char name[64];
    char scene[128];
    size_t n_threats;
    struct {
        lc_atr_truth t;
        size_t n_parts;
        char parts[LC_CORPUS_EVAL_PARTS][64];
    } th[4];
    lc_atr_result *res;
} lc__atr_ebag;

/* Parses the bytes of a truth.json (lc_corpus_write) into *out (caller
 * frees with free(); n_out bags). path labels the messages. Malformed input
 * is LC_ERR_FORMAT or LC_ERR_LIMIT naming the field; never a crash. */
lc_status lc__atr_parse_truth(const char *path, const char *text, size_t len, lc__atr_ebag **out,
                              size_t *n_out, lc_error *err);

#endif
