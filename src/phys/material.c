/* SPDX-License-Identifier: Apache-2.0 */
/*
 * material.c: the material library. It holds the rows of the embedded
 * materials table (data/materials.tsv), the built-in detector materials, and
 * materials added on request: NIST compounds and elements from xraylib,
 * chemical formulas and "mix:" mass-fraction recipes. For each material it
 * computes the elemental composition, the power-law Zeff and a mu/rho table in
 * 1 keV steps from xraylib's CS_Total (PHYSICS.md: never the energy-absorption
 * or Kissel functions). Every xraylib call passes an error pointer; failures
 * become LC_ERR_PHYSICS with xraylib's message.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xraylib/xraylib.h>

#include "phys/phys_int.h"
#include "util/util.h"

/* Built-in detector materials (not in the reference table; PHYSICS.md's
 * detector sweep). Densities: CsI 4.51, Gd2O2S 7.32, CdWO4 7.9 g/cm^3. */
static const struct {
    const char *name, *formula;
    double density;
    const char *notes;
} builtin_detector[] = {
    {"csi", "CsI", 4.51, "scintillator, caesium iodide"},
    {"gos", "Gd2O2S", 7.32, "scintillator, gadolinium oxysulfide"},
    {"cdwo4", "CdWO4", 7.90, "scintillator, cadmium tungstate"},
};

struct lc_matlib {
    lc_material **mats; /* owned array of owned materials (pointers stay put) */
    size_t count, cap;
};

/* --------------------------------------------------------------------- */
/* Small helpers                                                          */
/* --------------------------------------------------------------------- */

bool lc__ci_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb)
            return false;
        if (ca == 0)
            return true;
    }
}

char *lc__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Turns an xraylib error into an lc error and frees it. */
static lc_status xrl_fail(lc_error *err, xrl_error *xe, const char *what)
{
    lc_status st = lc_error_set(err, LC_ERR_PHYSICS, "%s: xraylib: %s", what,
                                xe && xe->message ? xe->message : "unknown failure");
    xrl_error_free(xe);
    return st;
}

lc_status lc__comp_mu_rho(const lc__composition *c, double e_kev, double *out, lc_error *err)
{
    double sum = 0.0;
    for (size_t i = 0; i < c->nel; i++) {
        xrl_error *xe = NULL;
        double v = CS_Total(c->z[i], e_kev, &xe);
        if (xe) {
            char what[64];
            snprintf(what, sizeof what, "CS_Total(Z=%d, %g keV)", c->z[i], e_kev);
            return xrl_fail(err, xe, what);
        }
        sum += c->w[i] * v;
    }
    *out = sum;
    return LC_OK;
}

lc_status lc__comp_zeff(const lc__composition *c, double *zeff, double *z_over_a, lc_error *err)
{
    /* Electron fractions f_i = (w_i Z_i / A_i) / sum_j (w_j Z_j / A_j). */
    double za = 0.0, acc = 0.0;
    double ne[LC__PHYS_ZMAX];
    for (size_t i = 0; i < c->nel; i++) {
        xrl_error *xe = NULL;
        double a = AtomicWeight(c->z[i], &xe);
        if (xe)
            return xrl_fail(err, xe, "AtomicWeight");
        ne[i] = c->w[i] * c->z[i] / a;
        za += ne[i];
    }
    for (size_t i = 0; i < c->nel; i++)
        acc += ne[i] / za * pow(c->z[i], LC_PHYS_ZEFF_EXPONENT);
    *zeff = pow(acc, 1.0 / LC_PHYS_ZEFF_EXPONENT);
    *z_over_a = za;
    return LC_OK;
}

/* Element symbols by atomic number (index 0 unused), for Z = 1..103. */
static const char *const symbols[LC__PHYS_ZMAX + 1] = {
    "",   "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si",
    "P",  "S",  "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu",
    "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru",
    "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr",
    "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",
    "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac",
    "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr"};

/* Atomic number of an element symbol of length len at s, 0 if none. */
static int symbol_z(const char *s, size_t len)
{
    for (int z = 1; z <= LC__PHYS_ZMAX; z++)
        if (strlen(symbols[z]) == len && strncmp(symbols[z], s, len) == 0)
            return z;
    return 0;
}

/* Why: formulas come from scene files (outside bytes), and xraylib 4.0.0's
 * CompoundParser leaks memory on some input, malformed or not (fuzzing found
 * repeated symbols such as "CaSSSSS"). So lucent parses formulas itself,
 * with the grammar CompoundParser accepts:
 *   formula = part+ ; part = (Symbol | "(" formula ")") [count]
 *   count = digits ["." digits]
 * known element symbols, brackets nested at most 8 deep, counts > 0. The
 * atom counts per element are accumulated with each bracket's multiplier,
 * and mass fractions come from xraylib's AtomicWeight. */
#define FORMULA_DEPTH 8

/* Parses an optional count at f[*i]; 1 when absent. */
static lc_status parse_count(const char *f, size_t *i, double *count, lc_error *err)
{
    *count = 1.0;
    size_t k = *i;
    if (!(f[k] >= '0' && f[k] <= '9'))
        return LC_OK;
    double v = 0.0, scale = 1.0;
    size_t digits = 0;
    while (f[k] >= '0' && f[k] <= '9') {
        if (++digits > 9)
            return lc_error_set(err, LC_ERR_FORMAT, "bad chemical formula \"%s\": count too long",
                                f);
        v = v * 10.0 + (f[k++] - '0');
    }
    if (f[k] == '.') {
        k++;
        if (!(f[k] >= '0' && f[k] <= '9'))
            return lc_error_set(err, LC_ERR_FORMAT, "bad chemical formula \"%s\": bad count at %zu",
                                f, k);
        size_t frac = 0;
        while (f[k] >= '0' && f[k] <= '9') {
            if (++frac > 9)
                return lc_error_set(err, LC_ERR_FORMAT,
                                    "bad chemical formula \"%s\": count too long", f);
            scale /= 10.0;
            v += (f[k++] - '0') * scale;
        }
    }
    if (!(v > 0.0))
        return lc_error_set(err, LC_ERR_FORMAT, "bad chemical formula \"%s\": zero count at %zu", f,
                            k);
    *count = v;
    *i = k;
    return LC_OK;
}

/* Atom counts per Z of a formula (n[Z] += atoms). */
static lc_status parse_formula(const char *f, double n[LC__PHYS_ZMAX + 1], lc_error *err)
{
    /* One accumulator per bracket level; level 0 is the whole formula. */
    static const size_t LEVELS = FORMULA_DEPTH + 1;
    double acc[FORMULA_DEPTH + 1][LC__PHYS_ZMAX + 1];
    bool empty[FORMULA_DEPTH + 1];
    int depth = 0;
    memset(acc[0], 0, sizeof acc[0]);
    empty[0] = true;
    for (size_t i = 0; f[i];) {
        char c = f[i];
        if (c >= 'A' && c <= 'Z') {
            size_t len = 1;
            if (f[i + 1] >= 'a' && f[i + 1] <= 'z')
                len = 2;
            int z = symbol_z(f + i, len);
            if (!z)
                return lc_error_set(err, LC_ERR_FORMAT,
                                    "bad chemical formula \"%s\": unknown element \"%.*s\"", f,
                                    (int)len, f + i);
            i += len;
            double cnt;
            lc_status st = parse_count(f, &i, &cnt, err);
            if (st != LC_OK)
                return st;
            acc[depth][z] += cnt;
            empty[depth] = false;
        } else if (c == '(') {
            if ((size_t)depth + 1 >= LEVELS)
                return lc_error_set(err, LC_ERR_FORMAT,
                                    "bad chemical formula \"%s\": brackets nested too deep", f);
            depth++;
            memset(acc[depth], 0, sizeof acc[depth]);
            empty[depth] = true;
            i++;
        } else if (c == ')') {
            if (depth == 0 || empty[depth])
                return lc_error_set(err, LC_ERR_FORMAT,
                                    "bad chemical formula \"%s\": unbalanced or empty brackets", f);
            i++;
            double cnt;
            lc_status st = parse_count(f, &i, &cnt, err);
            if (st != LC_OK)
                return st;
            for (int z = 1; z <= LC__PHYS_ZMAX; z++)
                acc[depth - 1][z] += cnt * acc[depth][z];
            depth--;
            empty[depth] = false;
        } else {
            return lc_error_set(err, LC_ERR_FORMAT,
                                "bad chemical formula \"%s\": unexpected character at %zu", f,
                                i + 1);
        }
    }
    if (depth != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "bad chemical formula \"%s\": unbalanced brackets",
                            f);
    if (empty[0])
        return lc_error_set(err, LC_ERR_FORMAT, "bad chemical formula \"%s\": empty", f);
    memcpy(n, acc[0], sizeof acc[0]);
    return LC_OK;
}

/* Adds weight * (formula's mass fractions) into per-Z accumulators. */
static lc_status add_formula(const char *formula, double weight, double wz[LC__PHYS_ZMAX + 1],
                             lc_error *err)
{
    double n[LC__PHYS_ZMAX + 1];
    lc_status st = parse_formula(formula, n, err);
    if (st != LC_OK)
        return st;
    double mass[LC__PHYS_ZMAX + 1], total = 0.0;
    for (int z = 1; z <= LC__PHYS_ZMAX; z++) {
        mass[z] = 0.0;
        if (n[z] <= 0.0)
            continue;
        xrl_error *xe = NULL;
        double a = AtomicWeight(z, &xe);
        if (xe || !(a > 0.0)) {
            xrl_error_free(xe);
            return lc_error_set(err, LC_ERR_UNSUPPORTED, "element Z=%d in \"%s\" not supported", z,
                                formula);
        }
        mass[z] = n[z] * a;
        total += mass[z];
    }
    for (int z = 1; z <= LC__PHYS_ZMAX; z++)
        if (mass[z] > 0.0)
            wz[z] += weight * mass[z] / total;
    return LC_OK;
}

static void compress(const double wz[LC__PHYS_ZMAX + 1], lc__composition *c)
{
    double total = 0.0;
    for (int z = 1; z <= LC__PHYS_ZMAX; z++)
        total += wz[z];
    c->nel = 0;
    for (int z = 1; z <= LC__PHYS_ZMAX; z++) {
        if (wz[z] > 0.0) {
            c->z[c->nel] = z;
            c->w[c->nel] = wz[z] / total;
            c->nel++;
        }
    }
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Why: the recipe syntax of materials.tsv, "mix: 0.9 A + 0.1 B", is parsed
 * here strictly (positive fractions, a formula per term, sum 1 +- 0.005) so
 * that a typo in a scene or table is an error, not a silently different
 * material. */
static lc_status parse_mix(const char *body, double wz[LC__PHYS_ZMAX + 1], lc_error *err)
{
    double sum = 0.0;
    int term = 0;
    const char *p = body;
    for (;;) {
        term++;
        p = skip_space(p);
        char *end = NULL;
        double f = strtod(p, &end);
        if (end == p || !isfinite(f))
            return lc_error_set(err, LC_ERR_FORMAT, "mix term %d: expected a mass fraction", term);
        if (f <= 0.0 || f > 1.0)
            return lc_error_set(err, LC_ERR_FORMAT,
                                "mix term %d: mass fraction %g must be in (0, 1]", term, f);
        p = skip_space(end);
        const char *q = p;
        while (*q && *q != '+')
            q++;
        size_t len = (size_t)(q - p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0)
            return lc_error_set(err, LC_ERR_FORMAT, "mix term %d: missing formula", term);
        char formula[256];
        if (len >= sizeof formula)
            return lc_error_set(err, LC_ERR_LIMIT, "mix term %d: formula too long", term);
        memcpy(formula, p, len);
        formula[len] = '\0';
        lc_status st = add_formula(formula, f, wz, err);
        if (st != LC_OK)
            return lc_error_prefix(err, "mix term %d: ", term);
        sum += f;
        if (*q == '\0')
            break;
        p = q + 1;
    }
    if (fabs(sum - 1.0) > 0.005)
        return lc_error_set(err, LC_ERR_FORMAT, "mix fractions sum to %g, not 1", sum);
    return LC_OK;
}

lc_status lc__comp_parse(const char *text, lc__composition *c, lc_error *err)
{
    double wz[LC__PHYS_ZMAX + 1] = {0};
    const char *s = skip_space(text);
    lc_status st;
    if (strncmp(s, "mix:", 4) == 0) {
        st = parse_mix(s + 4, wz, err);
    } else {
        char formula[256];
        if (!lc__strlcpy(formula, s, sizeof formula))
            return lc_error_set(err, LC_ERR_LIMIT, "formula too long");
        size_t len = strlen(formula);
        while (len > 0 && (formula[len - 1] == ' ' || formula[len - 1] == '\t'))
            formula[--len] = '\0';
        if (len == 0)
            return lc_error_set(err, LC_ERR_FORMAT, "empty composition");
        st = add_formula(formula, 1.0, wz, err);
    }
    if (st != LC_OK)
        return st;
    compress(wz, c);
    if (c->nel == 0)
        return lc_error_set(err, LC_ERR_FORMAT, "composition has no elements");
    return LC_OK;
}

/* --------------------------------------------------------------------- */
/* Materials                                                              */
/* --------------------------------------------------------------------- */

static void material_free(lc_material *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->composition);
    free(m->category);
    free(m->notes);
    free(m);
}

/* Builds a material from a composition and computes Zeff and the mu table.
 * On failure nothing is allocated. */
static lc_status material_make(const char *name, const char *composition_text,
                               const lc__composition *comp, double density, const char *category,
                               const char *notes, lc_material **out, lc_error *err)
{
    *out = NULL;
    if (!(density > 0.0 && density <= 30.0))
        return lc_error_set(err, LC_ERR_ARG, "material \"%s\": density %g g/cm3 not in (0, 30]",
                            name, density);
    lc_material *m = calloc(1, sizeof *m);
    if (!m)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    m->name = lc__strdup(name);
    m->composition = lc__strdup(composition_text);
    m->category = lc__strdup(category ? category : "custom");
    m->notes = lc__strdup(notes ? notes : "");
    if (!m->name || !m->composition || !m->category || !m->notes) {
        material_free(m);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    m->density = density;
    m->comp = *comp;
    lc_status st = lc__comp_zeff(&m->comp, &m->zeff, &m->z_over_a, err);
    for (int e = 1; st == LC_OK && e <= LC_PHYS_EMAX_KEV; e++)
        st = lc__comp_mu_rho(&m->comp, (double)e, &m->mu[e], err);
    if (st != LC_OK) {
        material_free(m);
        return lc_error_prefix(err, "material \"%s\": ", name);
    }
    *out = m;
    return LC_OK;
}

static lc_status lib_push(lc_matlib *lib, lc_material *m, lc_error *err)
{
    if (lib->count == lib->cap) {
        size_t ncap = lib->cap ? lib->cap * 2 : 64;
        lc_material **n = realloc(lib->mats, ncap * sizeof *n);
        if (!n) {
            material_free(m);
            return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        }
        lib->mats = n;
        lib->cap = ncap;
    }
    lib->mats[lib->count++] = m;
    return LC_OK;
}

/* Finds a material by name: an exact match first, then ignoring case (table
 * names). Exact first matters for composition-derived names, where case is
 * chemistry: "CO@1" is not "Co@1". */
static lc_material *lib_find(const lc_matlib *lib, const char *name)
{
    for (size_t i = 0; i < lib->count; i++)
        if (strcmp(lib->mats[i]->name, name) == 0)
            return lib->mats[i];
    for (size_t i = 0; i < lib->count; i++)
        if (lc__ci_equal(lib->mats[i]->name, name) && !strchr(name, '@'))
            return lib->mats[i];
    return NULL;
}

/* Splits one TSV line (modified in place) into up to max fields. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

/* Why: the table is compiled in (no file access at run time), but it is
 * still parsed with the same checks as any input, so a bad edit of
 * data/materials.tsv is a clear error from lc_matlib_new, not a crash. */
static lc_status load_table(lc_matlib *lib, lc_error *err)
{
    size_t len = lc__materials_tsv_len;
    char *text = malloc(len + 1);
    if (!text)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    memcpy(text, lc__materials_tsv, len);
    text[len] = '\0';
    lc_status st = LC_OK;
    bool header_seen = false;
    int lineno = 0;
    char *save = text;
    while (st == LC_OK && save && *save) {
        char *line = save;
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
            save = nl + 1;
        } else {
            save = NULL;
        }
        lineno++;
        size_t l = strlen(line);
        if (l > 0 && line[l - 1] == '\r')
            line[--l] = '\0';
        if (l == 0 || line[0] == '#')
            continue;
        char *f[6];
        size_t nf = split_tabs(line, f, 6);
        if (!header_seen) {
            header_seen = true;
            if (nf < 4 || strcmp(f[0], "name") != 0) {
                st = lc_error_set(err, LC_ERR_FORMAT, "materials.tsv:%d: expected the header line",
                                  lineno);
            }
            continue;
        }
        if (nf < 4) {
            st = lc_error_set(err, LC_ERR_FORMAT, "materials.tsv:%d: expected 4-5 fields", lineno);
            break;
        }
        char *end = NULL;
        double density = strtod(f[2], &end);
        if (end == f[2] || *end != '\0') {
            st = lc_error_set(err, LC_ERR_FORMAT, "materials.tsv:%d: bad density \"%s\"", lineno,
                              f[2]);
            break;
        }
        if (lib_find(lib, f[0])) {
            st = lc_error_set(err, LC_ERR_FORMAT, "materials.tsv:%d: duplicate name \"%s\"", lineno,
                              f[0]);
            break;
        }
        lc__composition comp;
        st = lc__comp_parse(f[1], &comp, err);
        if (st != LC_OK) {
            lc_error_prefix(err, "materials.tsv:%d: %s: ", lineno, f[0]);
            break;
        }
        lc_material *m = NULL;
        st = material_make(f[0], f[1], &comp, density, f[3], nf > 4 ? f[4] : "", &m, err);
        if (st == LC_OK)
            st = lib_push(lib, m, err);
    }
    free(text);
    return st;
}

lc_status lc_matlib_new(lc_matlib **out, lc_error *err)
{
    *out = NULL;
    lc_matlib *lib = calloc(1, sizeof *lib);
    if (!lib)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    lc_status st = load_table(lib, err);
    for (size_t i = 0; st == LC_OK && i < sizeof builtin_detector / sizeof builtin_detector[0];
         i++) {
        lc__composition comp;
        st = lc__comp_parse(builtin_detector[i].formula, &comp, err);
        lc_material *m = NULL;
        if (st == LC_OK)
            st = material_make(builtin_detector[i].name, builtin_detector[i].formula, &comp,
                               builtin_detector[i].density, "detector", builtin_detector[i].notes,
                               &m, err);
        if (st == LC_OK)
            st = lib_push(lib, m, err);
    }
    if (st != LC_OK) {
        lc_matlib_free(lib);
        return st;
    }
    *out = lib;
    return LC_OK;
}

void lc_matlib_free(lc_matlib *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->count; i++)
        material_free(lib->mats[i]);
    free(lib->mats);
    free(lib);
}

size_t lc_matlib_count(const lc_matlib *lib)
{
    return lib ? lib->count : 0;
}

const lc_material *lc_matlib_at(const lc_matlib *lib, size_t i)
{
    return lib && i < lib->count ? lib->mats[i] : NULL;
}

/* Tries xraylib's NIST compound list. LC_ERR_NOT_FOUND when not there. */
static lc_status add_nist(lc_matlib *lib, const char *name, const lc_material **out, lc_error *err)
{
    xrl_error *xe = NULL;
    struct compoundDataNIST *cd = GetCompoundDataNISTByName(name, &xe);
    if (!cd) {
        xrl_error_free(xe);
        return LC_ERR_NOT_FOUND;
    }
    xrl_error_free(xe);
    double wz[LC__PHYS_ZMAX + 1] = {0};
    for (int i = 0; i < cd->nElements; i++)
        if (cd->Elements[i] >= 1 && cd->Elements[i] <= LC__PHYS_ZMAX)
            wz[cd->Elements[i]] += cd->massFractions[i];
    lc__composition comp;
    compress(wz, &comp);
    double density = cd->density;
    FreeCompoundDataNIST(cd);
    if (comp.nel == 0)
        return lc_error_set(err, LC_ERR_PHYSICS, "NIST compound \"%s\" has no elements", name);
    lc_material *m = NULL;
    lc_status st =
        material_make(name, name, &comp, density, "nist", "xraylib NIST compound", &m, err);
    if (st == LC_OK)
        st = lib_push(lib, m, err);
    if (st == LC_OK)
        *out = m;
    return st;
}

/* Tries an element symbol ("Cu"); LC_ERR_NOT_FOUND when it is not one. */
static lc_status add_element(lc_matlib *lib, const char *name, const lc_material **out,
                             lc_error *err)
{
    size_t n = strlen(name);
    if (n < 1 || n > 2 || !isupper((unsigned char)name[0]) ||
        (n == 2 && !islower((unsigned char)name[1])))
        return LC_ERR_NOT_FOUND;
    int z = symbol_z(name, n);
    if (z == 0)
        return LC_ERR_NOT_FOUND;
    xrl_error *xe = NULL;
    double density = ElementDensity(z, &xe);
    if (xe)
        return xrl_fail(err, xe, "ElementDensity");
    lc__composition comp = {.nel = 1};
    comp.z[0] = z;
    comp.w[0] = 1.0;
    lc_material *m = NULL;
    lc_status st = material_make(name, name, &comp, density, "element", "xraylib element", &m, err);
    if (st == LC_OK)
        st = lib_push(lib, m, err);
    if (st == LC_OK)
        *out = m;
    return st;
}

lc_status lc_matlib_get(lc_matlib *lib, const char *name, const lc_material **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!lib || !name || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_matlib_get: NULL argument");
    if (name[0] == '\0')
        return lc_error_set(err, LC_ERR_NOT_FOUND, "empty material name");
    lc_material *m = lib_find(lib, name);
    if (m) {
        *out = m;
        return LC_OK;
    }
    lc_status st = add_nist(lib, name, out, err);
    if (st != LC_ERR_NOT_FOUND)
        return st;
    st = add_element(lib, name, out, err);
    if (st != LC_ERR_NOT_FOUND)
        return st;
    return lc_error_set(err, LC_ERR_NOT_FOUND,
                        "unknown material \"%s\" (not in the material table, not an xraylib "
                        "NIST compound, not an element symbol)",
                        name);
}

lc_status lc_matlib_add(lc_matlib *lib, const char *name, const char *composition, double density,
                        const char *category, const lc_material **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!lib || !composition || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_matlib_add: NULL argument");
    if (!(density > 0.0 && density <= 30.0))
        return lc_error_set(err, LC_ERR_ARG, "density %g g/cm3 not in (0, 30]", density);
    char autoname[512];
    if (!name) {
        int k = snprintf(autoname, sizeof autoname, "%s@%.17g", composition, density);
        if (k < 0 || (size_t)k >= sizeof autoname)
            return lc_error_set(err, LC_ERR_LIMIT, "composition too long");
        lc_material *m = lib_find(lib, autoname);
        if (m) {
            *out = m;
            return LC_OK;
        }
        name = autoname;
    } else {
        if (name[0] == '\0')
            return lc_error_set(err, LC_ERR_ARG, "empty material name");
        if (lib_find(lib, name))
            return lc_error_set(err, LC_ERR_ARG, "material \"%s\" already defined", name);
    }
    lc__composition comp;
    lc_status st = lc__comp_parse(composition, &comp, err);
    if (st != LC_OK)
        return lc_error_prefix(err, "composition \"%s\": ", composition);
    lc_material *m = NULL;
    st = material_make(name, composition, &comp, density, category, "", &m, err);
    if (st == LC_OK)
        st = lib_push(lib, m, err);
    if (st == LC_OK)
        *out = m;
    return st;
}

const char *lc_material_name(const lc_material *m)
{
    return m->name;
}

const char *lc_material_composition(const lc_material *m)
{
    return m->composition;
}

const char *lc_material_category(const lc_material *m)
{
    return m->category;
}

const char *lc_material_notes(const lc_material *m)
{
    return m->notes;
}

double lc_material_density(const lc_material *m)
{
    return m->density;
}

size_t lc_material_element_count(const lc_material *m)
{
    return m->comp.nel;
}

int lc_material_element(const lc_material *m, size_t i, double *mass_fraction)
{
    if (i >= m->comp.nel)
        return 0;
    if (mass_fraction)
        *mass_fraction = m->comp.w[i];
    return m->comp.z[i];
}

double lc_material_zeff(const lc_material *m)
{
    return m->zeff;
}

double lc_material_z_over_a(const lc_material *m)
{
    return m->z_over_a;
}

double lc_material_mu_rho_at(const lc_material *m, int e_kev)
{
    if (e_kev < 1 || e_kev > LC_PHYS_EMAX_KEV)
        return 0.0;
    return m->mu[e_kev];
}

lc_status lc_material_mu_rho(const lc_material *m, double e_kev, double *out, lc_error *err)
{
    *out = 0.0;
    if (!(e_kev >= LC_PHYS_E_MIN_KEV && e_kev <= LC_PHYS_E_MAX_KEV))
        return lc_error_set(err, LC_ERR_ARG, "energy %g keV outside %g..%g keV", e_kev,
                            LC_PHYS_E_MIN_KEV, LC_PHYS_E_MAX_KEV);
    return lc__comp_mu_rho(&m->comp, e_kev, out, err);
}
