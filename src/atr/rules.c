/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c: the class scores of a candidate. Each score is a product of soft
 * terms (logistic steps in 0..1) on the measured features, so that every
 * alarm can be explained by the measurements in the report. The constants
 * were set on the tuning corpus (seed 1) and are checked on a held-out corpus
 * of another seed (docs/atr.md); PHYSICS.md explains why the explosive rule
 * needs mass, areal density and homogeneity besides Zeff.
 */
#include <math.h>

#include "atr/atr_int.h"

/* A soft step: 0.5 at x = at, rising over about `width`. */
static double step(double x, double at, double width)
{
    return 1.0 / (1.0 + exp(-(x - at) / width));
}

/* 1 inside [lo, hi], falling off outside over `soft`. */
static double band(double x, double lo, double hi, double soft)
{
    return step(x, lo, soft) * (1.0 - step(x, hi, soft));
}

/* The Zeff of the candidate's edges, the ring's standing in when the edges
 * cannot be read (tenth pass). */
static double zeff_edge_or_ring(const lc__atr_cand *c)
{
    return isfinite(c->zeff_edge) ? c->zeff_edge : c->zeff;
}

static double explosive_score(const lc_atr_options *o, const lc__atr_cand *c)
{
    if (!isfinite(c->zeff) || c->imp_frac > 0.2)
        return 0;
    /* explosives are Zeff 7.0-7.5 (PHYSICS.md): the band ends 0.3 above
     * them (water, 7.4-7.5, is inside: Zeff alone cannot tell it) and 1.0
     * below, where a stripped Zeff reads low in clutter. Ninth pass: the
     * band was 6.5-8.5, which let in the foods that read 8-8.5 (honey, jam,
     * chocolate, cheese) */
    double z = band(c->zeff, 6.0, 7.8, 0.25);
    /* ... and so must the Zeff of its edges' steps (tenth pass): the two
     * strip different backgrounds (the ring's, and the one just outside each
     * edge), so a food on a tray or a fold that the ring misses reads in the
     * band in one of them only */
    z *= band(zeff_edge_or_ring(c), 6.0, 7.8, 0.25);
    double m = step(c->mass_g, o->min_mass_g, 0.25 * o->min_mass_g);
    double s = step(c->sigma, 0.45, 0.12);
    double h = 1.0 - step(c->cv, 0.6, 0.12);
    double k = step(c->contrast, 1.8, 0.5);
    return z * m * s * h * k;
}

static double weapon_score(const lc__atr_cand *c)
{
    /* metal by the ring's Zeff and by the edges' (tenth pass): a laptop's
     * battery (cobalt and copper among carbon and electrolyte) reads about
     * 21 by the ring but 18 at its edges; a steel blade about 24-25 by both */
    double metal = 1.0;
    if (c->imp_frac <= 0.3)
        metal = isfinite(c->zeff) ? step(c->zeff, 17.8, 1.2) * step(zeff_edge_or_ring(c), 17.8, 1.2)
                                  : 0;
    if (metal <= 0.01)
        return 0;
    /* thicker than sheet metal: 1 mm of steel (a ruler) reads ~2 g/cm2
     * water-equivalent, a 2 mm blade alone 4.3 */
    double thick = step(c->sigma, 3.0, 0.6);
    /* a blade: long, narrow, well filled. Seen face-on a blade is its
     * breadth wide (15 mm or more); a narrower strip of thin metal is a rod,
     * a rib or the edge of a case. The step is sharp (ninth pass; it was a
     * ramp at 8 mm, 4 mm wide, which took up to a quarter off a folding
     * knife's 18-26 mm blade). Seen edge-on a blade is only its thickness
     * wide (2 mm, 8-16 mm after the blur) but thick along the beam (its
     * breadth of steel): the narrow limit falls to 3 mm as the areal density
     * passes 9 g/cm2 (seventh pass) */
    double narrow = 12.0 - 9.0 * step(c->sigma, 9.0, 1.0);
    double blade = step(c->length_mm, 66, 10) * step(c->width_mm, narrow, 2) *
                   (1.0 - step(c->width_mm, 62, 4)) * step(c->length_mm / c->width_mm, 2.5, 0.5) *
                   step(c->fill, 0.52, 0.08);
    /* ... and flat across: parallel rods (an umbrella's ribs round its
     * shaft) or a hollow case dip between their parts (sixth pass) */
    if (c->valley >= 0)
        blade *= 1.0 - step(c->valley, 0.2, 0.04);
    /* a gun: a large, compact metal mass (the grip makes it an L: not a plain
     * rectangle, and not long and thin like a folded umbrella's bundle of rods) */
    double gun = step(c->area_mm2, 3500, 600) * step(c->length_mm, 123, 15) *
                 (1.0 - step(c->fill, 0.70, 0.04)) *
                 (1.0 - step(c->length_mm / c->width_mm, 2.5, 0.3));
    double shape = blade > gun ? blade : gun;
    /* what goes on along the long axis (seventh pass): a knife's handle or
     * tang continues one end; a battery inside a laptop seen edge-on, or a
     * rib inside an umbrella, is continued at both */
    double on = (0.9 + 0.1 * fmax(c->handle, 0)) * (1.0 - 0.3 * fmax(c->handle_lo, 0));
    /* the power maps the tuning corpus's 10 % (weapon-only) false-alarm point
     * to 0.5 */
    return pow(metal * thick * shape * on, 3.12);
}

static double dense_score(const lc_atr_options *o, const lc__atr_cand *c)
{
    if (c->imp_frac < 0.6)
        return 0;
    /* what it can hide is what the other view cannot see either (eighth
     * pass): no more than the other view's impenetrable area over its lines */
    double a = c->area_mm2 * c->imp_frac;
    if (c->imp_other_mm2 >= 0)
        a = fmin(a, c->imp_other_mm2);
    return step(a, o->dense_area_mm2, 0.2 * o->dense_area_mm2);
}

/* How much higher the rim's Zeff reads than the core's (-9 unknown). */
static double rim_dz(const lc__atr_cand *c)
{
    return isfinite(c->zeff_rim) && isfinite(c->zeff) ? c->zeff_rim - c->zeff : -9;
}

/* The hand-set rules (first and second pass), kept as features of the
 * learned models and as the score of a class without a model. */
static void rule_scores(const lc_atr_options *o, lc__atr_cand *c, const lc__atr_cand *pair)
{
    c->rule[LC_ATR_EXPLOSIVE] = explosive_score(o, c);
    c->rule[LC_ATR_WEAPON] = weapon_score(c);
    c->rule[LC_ATR_DENSE] = dense_score(o, c);
    if (pair) {
        /* seen in the other view as well: an explosive must look organic and
         * massive there too, and be dense (explosives 1.5..1.9 g/cm3; water,
         * sugar, books and clothing are lighter) */
        double pe = explosive_score(o, pair);
        double rho;
        if (c->density_geom) /* from the fan geometry: explosives 1.5..1.9 read 1.4..1.8,
                                water 0.9, honey 1.2; metal reads above 2.5 */
            rho = step(c->density, 1.3, 0.2) * (1.0 - step(c->density, 2.5, 0.15));
        else /* the rough estimate reads low (docs/atr.md) */
            rho = c->density > 0 ? step(c->density, 0.88, 0.095) : 0.3;
        c->rule[LC_ATR_EXPLOSIVE] =
            sqrt(c->rule[LC_ATR_EXPLOSIVE] * (0.3 + 0.7 * pe)) * (0.2 + 0.8 * rho);
        /* the power maps the tuning corpus's 8 % (explosive) false-alarm point to 0.5 */
        if (c->density_geom)
            c->rule[LC_ATR_EXPLOSIVE] = pow(c->rule[LC_ATR_EXPLOSIVE], 0.6);
    } else {
        c->rule[LC_ATR_EXPLOSIVE] *= 0.35;
    }
}

/* the rule scores' places in the feature vector */
#define F_RULE_EXPL 17
#define F_RULE_WEAP 18

const char *const lc__atr_feature_names[LC__ATR_NF] = {
    "zeff",     "zeff_raw",   "sigma",      "log_mass",   "cv",        "contrast", "density",
    "imp_frac", "log_area",   "length",     "width",      "elong",     "fill",     "bg_h",
    "d_h",      "ratio",      "level",      "rule_expl",  "rule_weap", "paired",   "p_zeff",
    "p_sigma",  "p_cv",       "p_contrast", "p_imp_frac", "p_fill",    "p_elong",  "p_width",
    "p_bg_h",   "mass_ratio", "dzeff",      "p_ratio",    "rim_dz",    "p_rim_dz", "valley",
    "p_valley", "handle",     "handle_lo"};

static double finite_or(double v, double dflt)
{
    return isfinite(v) ? v : dflt;
}

/* Stripped high/low ratio: the object's own A_L / A_H (beam hardening aside,
 * the material without its overlap), -1 when too faint to tell. */
static double stripped_ratio(const lc__atr_cand *c)
{
    return c->d_h > 0.02 ? fmin(c->d_l / c->d_h, 5.0) : -1;
}

void lc__atr_features(const lc__atr_cand *c, const lc__atr_cand *p, double f[LC__ATR_NF])
{
    f[0] = finite_or(c->zeff, -1);
    f[1] = finite_or(c->zeff_raw, -1);
    f[2] = c->sigma;
    f[3] = c->mass_g > 0 ? log10(c->mass_g) : -1;
    f[4] = fmin(c->cv, 10);
    f[5] = fmin(c->contrast, 100);
    f[6] = c->density > 0 ? fmin(c->density, 20) : -1;
    f[7] = c->imp_frac;
    f[8] = c->area_mm2 > 0 ? log10(c->area_mm2) : -1;
    f[9] = c->length_mm;
    f[10] = c->width_mm;
    f[11] = c->width_mm > 0 ? c->length_mm / c->width_mm : -1;
    f[12] = c->fill;
    f[13] = c->bg_h;
    f[14] = c->d_h;
    f[15] = stripped_ratio(c);
    f[16] = c->level;
    f[F_RULE_EXPL] = c->rule[LC_ATR_EXPLOSIVE];
    f[F_RULE_WEAP] = c->rule[LC_ATR_WEAPON];
    f[19] = p != NULL;
    f[20] = p ? finite_or(p->zeff, -1) : -1;
    f[21] = p ? p->sigma : -1;
    f[22] = p ? fmin(p->cv, 10) : -1;
    f[23] = p ? fmin(p->contrast, 100) : -1;
    f[24] = p ? p->imp_frac : -1;
    f[25] = p ? p->fill : -1;
    f[26] = p && p->width_mm > 0 ? p->length_mm / p->width_mm : -1;
    f[27] = p ? p->width_mm : -1;
    f[28] = p ? p->bg_h : -1;
    f[29] = p && c->mass_g > 0 && p->mass_g > 0
                ? fmin(c->mass_g, p->mass_g) / fmax(c->mass_g, p->mass_g)
                : -1;
    f[30] = p && isfinite(c->zeff) && isfinite(p->zeff) ? fabs(c->zeff - p->zeff) : -1;
    f[31] = p ? stripped_ratio(p) : -1;
    f[32] = rim_dz(c);
    f[33] = p ? rim_dz(p) : -9;
    f[34] = c->valley;
    f[35] = p ? p->valley : -1;
    f[36] = c->handle;
    f[37] = c->handle_lo;
}

double lc__atr_model_logit(const lc__atr_model *m, int cls, const double f[LC__ATR_NF], double rule,
                           double contrib[LC__ATR_NF])
{
    if (contrib)
        for (int k = 0; k < LC__ATR_NF; k++)
            contrib[k] = 0;
    double z = m->bias;
    if (m->rule_weight != 0) {
        double r = fmin(fmax(rule, 1e-4), 1 - 1e-4);
        double v = m->rule_weight * log(r / (1 - r));
        z += v;
        if (contrib)
            contrib[cls == LC_ATR_WEAPON ? F_RULE_WEAP : F_RULE_EXPL] += v;
    }
    for (size_t i = 0; i < m->n; i++) {
        const lc__atr_stump *s = &m->stumps[i];
        if (s->feature >= LC__ATR_NF)
            continue;
        double v = f[s->feature] < (double)s->at ? s->lo : s->hi;
        z += v;
        if (contrib)
            contrib[s->feature] += v;
    }
    return z;
}

int lc__atr_gate(const lc__atr_cand *c, int cls)
{
    switch (cls) {
    case LC_ATR_EXPLOSIVE:
        return isfinite(c->zeff) && c->imp_frac <= 0.2;
    case LC_ATR_WEAPON:
        return c->imp_frac > 0.3 || (isfinite(c->zeff) && c->zeff > 12.0);
    default:
        return 1;
    }
}

void lc__atr_score(const lc_atr_options *o, lc__atr_cand *c, const lc__atr_cand *pair)
{
    rule_scores(o, c, pair);
    double f[LC__ATR_NF];
    int have_f = 0;
    for (int k = 0; k < LC_ATR_CLASSES; k++) {
        const lc__atr_model *m = &lc__atr_models[k];
        c->score[k] = c->rule[k];
        if (m->n == 0) {
            if (m->rule_power > 0 && m->rule_power != 1.0 && c->score[k] > 0)
                c->score[k] = pow(c->score[k], m->rule_power);
            continue;
        }
        /* the models are trained on candidates a class's gate lets through
         * (scripts/train_atr.py): not metal for explosives, metal for weapons */
        if (!lc__atr_gate(c, k)) {
            c->score[k] = 0;
            continue;
        }
        if (!have_f) {
            lc__atr_features(c, pair, f);
            have_f = 1;
        }
        c->score[k] = 1.0 / (1.0 + exp(-lc__atr_model_logit(m, k, f, c->rule[k], NULL)));
    }
}
