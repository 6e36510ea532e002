/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phys_int.h: internals of the physics module (not API): the material struct
 * shared by the material library, detector and signal model, the embedded
 * materials table, and helpers that call xraylib with an error pointer and
 * turn its failures into lucent errors.
 */
#ifndef LUCENT_PHYS_INT_H
#define LUCENT_PHYS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lucent/phys.h"

/* Highest atomic number handled (xraylib covers Z = 1..103 for CS_Total). */
#define LC__PHYS_ZMAX 103

/* Elemental composition: nel elements with atomic numbers z[] and mass
 * fractions w[] summing to 1. */
typedef struct lc__composition {
    size_t nel;
    int z[LC__PHYS_ZMAX];
    double w[LC__PHYS_ZMAX];
} lc__composition;

struct lc_material {
    char *name;        /* owned */
    char *composition; /* owned: the text as given */
    char *category;    /* owned */
    char *notes;       /* owned */
    double density;    /* g/cm^3 */
    lc__composition comp;
    double zeff;
    double z_over_a;
    double mu[LC_PHYS_EMAX_KEV + 1]; /* mu[e] at e keV, e = 1..EMAX; mu[0] unused (0) */
};

/* The embedded copy of data/materials.tsv (generated at build time by CMake;
 * see the top-level CMakeLists.txt). Not NUL-terminated: use the length. */
extern const unsigned char lc__materials_tsv[];
extern const size_t lc__materials_tsv_len;

/* mu/rho (cm^2/g) of a composition at energy e_kev from xraylib's CS_Total,
 * summed with the mass fractions. On an xraylib failure returns
 * LC_ERR_PHYSICS with xraylib's message. */
lc_status lc__comp_mu_rho(const lc__composition *c, double e_kev, double *out, lc_error *err);

/* Parses a chemical formula or a "mix:" recipe into c. LC_ERR_FORMAT with a
 * message naming the part that is wrong. */
lc_status lc__comp_parse(const char *text, lc__composition *c, lc_error *err);

/* Power-law Zeff and sum w Z/A of a composition. */
lc_status lc__comp_zeff(const lc__composition *c, double *zeff, double *z_over_a, lc_error *err);

/* Case-insensitive ASCII string equality. */
bool lc__ci_equal(const char *a, const char *b);

/* A heap copy of s (NULL on allocation failure). */
char *lc__strdup(const char *s);

/* A vectorisable exp() for x <= 0: relative error below 1e-12 for
 * x >= -708; below that it returns exp(-708) ~ 3e-308 (zero for every use
 * here). Used in the signal model's inner loop, where libm's exp() would stop
 * the compiler from vectorising. Branch-free: the rounding uses the 1.5*2^52
 * shifter trick and 2^k is built from the shifter's low bits. */
static inline double lc__exp_neg(double x)
{
    const double log2e = 1.4426950408889634;
    const double ln2_hi = 6.93147180369123816490e-01; /* few mantissa bits: k*ln2_hi exact */
    const double ln2_lo = 1.90821492927058770002e-10;
    const double shifter = 6755399441055744.0; /* 1.5 * 2^52 */
    /* Clamp x to -708 with integer selects: a floating-point compare here
     * would be a branch the vectoriser refuses under -ftrapping-math. */
    {
        const double lo = -708.0;
        double d = x - lo;
        uint64_t db, xb, lb, m;
        memcpy(&db, &d, sizeof db);
        memcpy(&xb, &x, sizeof xb);
        memcpy(&lb, &lo, sizeof lb);
        m = 0u - (db >> 63); /* all ones when x < lo */
        xb = (xb & ~m) | (lb & m);
        memcpy(&x, &xb, sizeof x);
    }
    double t = x * log2e + shifter; /* round(x / ln2) in the low mantissa bits */
    double kd = t - shifter;
    double r = (x - kd * ln2_hi) - kd * ln2_lo; /* |r| <= ln2 / 2 */
    /* Taylor series to degree 10 on |r| <= 0.347: truncation below 1e-12 (measured 3e-13). */
    double p = 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* 2^k: the low bits of t hold k in two's complement; shifting (k + 1023)
     * into the exponent field drops everything above. */
    uint64_t tb, sb;
    double s;
    memcpy(&tb, &t, sizeof tb);
    sb = (tb + 1023u) << 52;
    memcpy(&s, &sb, sizeof s);
    return p * s;
}

#endif
