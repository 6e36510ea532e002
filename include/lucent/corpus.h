/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/corpus.h: the random bag corpus generator. It writes realistic bags
 * as scene files (DESIGN.md's scene format, loadable by lc_scene_load and
 * `lucent simulate`) and the ground truth the evaluation scores against.
 *
 * A bag is a container (suitcase, carry-on, backpack, briefcase) packed by
 * dropping items into it: each item (a group of parts: a laptop is a shell,
 * a battery and a board) gets a random position and turn in the belt plane
 * and settles on the highest item below its footprint. Items are kept apart
 * by their axis-aligned bounding boxes, so no two items interpenetrate; only
 * the parts of one item that sit inside a hollow part (the contents of a
 * toiletry bag, a bottle's liquid) share space, by design. The catalogue has
 * clothing, shoes, laptops, phones, power banks with cells, chargers and
 * cables, toiletries, water bottles, food (including the classic confusers:
 * cheese, chocolate, honey, sugar, gels), books, umbrellas, keys and coins.
 *
 * Threats are inserted at a set rate with a controlled difficulty:
 *   explosive  material from the library's explosives, mass 150..1500 g,
 *              form block / sheet / cylinder, flat or tilted, optionally
 *              placed under clutter (overlap) or under a metal plate (shield);
 *   weapon     kitchen knife, folding knife or gun-like steel assembly, flat
 *              or on edge, optionally under clutter;
 *   dense      a lead- or steel-walled box large enough to hide a threat.
 * The difficulty ("easy", "medium", "hard") counts the hard factors.
 *
 * Determinism: bag i of a corpus depends only on (seed, i); the same seed
 * gives the same files, bit for bit, on every platform with IEEE doubles.
 *
 * Thread safety: the functions keep no global state.
 */
#ifndef LUCENT_CORPUS_H
#define LUCENT_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"
#include "lucent/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options of a corpus. Initialise with lc_corpus_options_init(). */
typedef struct lc_corpus_options {
    uint64_t seed;      /* default 1 */
    size_t n;           /* number of bags; default 100 */
    double threat_rate; /* fraction of bags with one threat; default 0.5 */
    double w_explosive; /* relative frequency of each threat class among */
    double w_weapon;    /* threat bags; defaults 0.5, 0.3, 0.2 */
    double w_dense;
    double min_mass_g; /* explosive mass range (log-uniform); default 150 */
    double max_mass_g; /* default 1500 */
    double min_fill;   /* packing: each bag's clutter covers a fraction of its floor */
    double max_fill;   /* drawn uniformly in min..max (before stacking); defaults
                          0.45, 0.9; a tray holding a coat and a knife is ~0.1 */
} lc_corpus_options;

/* Fills o with the defaults above. */
void lc_corpus_options_init(lc_corpus_options *o);

/* LC_OK if o's values are in range (threat rate 0..1; class weights >= 0,
 * not all 0; 0 < min mass <= max mass <= 20 kg; 0 < min fill <= max fill
 * <= 1), else LC_ERR_ARG naming the first that is not. Generating checks
 * this too; a caller parsing options calls it to report them first. */
LC_MUST_CHECK lc_status lc_corpus_options_check(const lc_corpus_options *o, lc_error *err);

/* Most threats in one bag. */
#define LC_CORPUS_MAX_THREATS 4
/* Most parts (scene objects) one threat is made of. */
#define LC_CORPUS_MAX_PARTS 8

/* Ground truth of one threat in a generated bag. */
typedef struct lc_corpus_threat {
    char cls[16];       /* "explosive", "weapon", "dense" */
    char kind[32];      /* "block", "sheet", "cylinder", "kitchen_knife",
                           "folding_knife", "gun", "lead_box", "steel_box" */
    char material[32];  /* main material name */
    double mass_g;      /* mass of the threat's main material */
    int tilted;         /* 1: turned out of the belt plane (on edge or tilted) */
    int overlap;        /* other items whose footprint overlaps it (from above or below) */
    int shielded;       /* 1: a metal plate lies over it */
    char difficulty[8]; /* "easy", "medium", "hard" */
    size_t n_parts;
    char parts[LC_CORPUS_MAX_PARTS][64]; /* scene object ids of its parts */
} lc_corpus_threat;

/* One generated bag: its scene JSON text and ground truth. */
typedef struct lc_corpus_bag {
    char name[32]; /* "bag_0007" */
    char *scene;   /* scene JSON (NUL-terminated), owned by the bag */
    size_t n_objects;
    size_t n_threats;
    lc_corpus_threat threats[LC_CORPUS_MAX_THREATS];
} lc_corpus_bag;

/* Generates bag `index` of the corpus described by o (only o->seed,
 * threat_rate, the weights and the mass range matter; o->n does not). Caller
 * owns *out; free with lc_corpus_bag_free(). On failure *out is NULL. Returns
 * LC_OK, LC_ERR_ARG (NULL, rates or weights out of range), LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_corpus_bag_generate(const lc_corpus_options *o, size_t index,
                                               lc_corpus_bag **out, lc_error *err);

/* Frees a bag. NULL is a no-op. */
void lc_corpus_bag_free(lc_corpus_bag *bag);

/* The ground truth of a bag as a JSON object text ({"name", "scene",
 * "threats": [{"class", "kind", "material", "mass_g", "tilted", "overlap",
 * "shielded", "difficulty", "parts": [...]}]}). Caller owns *out (free()). */
LC_MUST_CHECK lc_status lc_corpus_bag_truth_json(const lc_corpus_bag *bag, char **out,
                                                 lc_error *err);

/* Writes a whole corpus into dir (created if missing): bag_NNNN.json scene
 * files and truth.json ({"lucent_corpus": 1, "seed", "n", "threat_rate",
 * "bags": [truth of each bag]}). Every write is atomic. progress may be NULL.
 * Returns LC_OK, LC_ERR_ARG, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_corpus_write(const lc_corpus_options *o, const char *dir,
                                        lc_progress_fn progress, void *progress_user,
                                        lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
