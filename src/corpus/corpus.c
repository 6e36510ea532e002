/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corpus.c: the random bag generator (lucent/corpus.h). A bag is built as a
 * list of items, each a group of parts in its own frame; the packer turns an
 * item about the vertical axis, drops it at a random spot of the container's
 * floor and lets it rest on the highest item under its footprint, keeping
 * every item's axis-aligned box apart from the others. Threats are items with
 * a ground-truth class; their difficulty factors (mass, form, tilt, overlap,
 * shielding) are chosen first and the packing is steered to realise them.
 * The scene JSON is written with jansson with values rounded to 0.01 mm, so
 * that equal seeds give equal bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lucent/corpus.h"
#include "util/util.h"

#define PI 3.14159265358979323846

/* ------------------------------------------------------------------------ */
/* Random numbers (splitmix64: small, portable, exactly reproducible)       */
/* ------------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double urand(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double uni(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * urand(s);
}

static int irand(uint64_t *s, int lo, int hi) /* inclusive */
{
    return lo + (int)(urand(s) * (double)(hi - lo + 1));
}

static int chance(uint64_t *s, double p)
{
    return urand(s) < p;
}

/* ------------------------------------------------------------------------ */
/* Parts and items                                                          */
/* ------------------------------------------------------------------------ */

enum shape { SH_BOX, SH_CYL, SH_SPHERE, SH_ELLIPSOID };

typedef struct part {
    enum shape shape;
    double size[3]; /* box: full size; cyl: radius, height, -; sphere: r; ellipsoid: radii */
    double wall;    /* 0 = solid */
    double pos[3];  /* in the item's frame */
    double rot[3];  /* Euler degrees, x then y then z */
    char name[24];
    char material[32]; /* library name, or "" when composition is set */
    char composition[96];
    double density;
    const char *threat; /* NULL or class */
} part;

#define MAX_PARTS 24

typedef struct item {
    char name[24];
    size_t n;
    part p[MAX_PARTS];
    /* after placement */
    double lo[3], hi[3];
    int threat_index; /* -1 or index into the bag's threats */
} item;

static part *add_part(item *it, enum shape sh, const char *name, const char *mat)
{
    if (it->n >= MAX_PARTS)
        return NULL;
    part *p = &it->p[it->n++];
    memset(p, 0, sizeof *p);
    p->shape = sh;
    lc__strlcpy(p->name, name, sizeof p->name);
    lc__strlcpy(p->material, mat, sizeof p->material);
    return p;
}

static void set_custom(part *p, const char *composition, double density)
{
    p->material[0] = '\0';
    lc__strlcpy(p->composition, composition, sizeof p->composition);
    p->density = density;
}

static part *box(item *it, const char *name, const char *mat, double sx, double sy, double sz,
                 double x, double y, double z)
{
    part *p = add_part(it, SH_BOX, name, mat);
    if (p) {
        p->size[0] = sx, p->size[1] = sy, p->size[2] = sz;
        p->pos[0] = x, p->pos[1] = y, p->pos[2] = z;
    }
    return p;
}

/* A cylinder of radius r and height h whose axis is x (axis 0), y (1) or z (2). */
static part *cyl(item *it, const char *name, const char *mat, double r, double h, int axis,
                 double x, double y, double z)
{
    part *p = add_part(it, SH_CYL, name, mat);
    if (p) {
        p->size[0] = r, p->size[1] = h;
        p->pos[0] = x, p->pos[1] = y, p->pos[2] = z;
        if (axis == 0)
            p->rot[1] = 90;
        else if (axis == 1)
            p->rot[0] = 90;
    }
    return p;
}

static void euler(const double deg[3], double r[9])
{
    const double k = PI / 180.0;
    double cx = cos(deg[0] * k), sx = sin(deg[0] * k);
    double cy = cos(deg[1] * k), sy = sin(deg[1] * k);
    double cz = cos(deg[2] * k), sz = sin(deg[2] * k);
    r[0] = cz * cy;
    r[1] = cz * sy * sx - sz * cx;
    r[2] = cz * sy * cx + sz * sx;
    r[3] = sz * cy;
    r[4] = sz * sy * sx + cz * cx;
    r[5] = sz * sy * cx - cz * sx;
    r[6] = -sy;
    r[7] = cy * sx;
    r[8] = cy * cx;
}

/* Half extents of a part in its own frame. */
static void part_half(const part *p, double h[3])
{
    h[0] = h[1] = h[2] = 0.0; /* every shape sets them; the compiler cannot see that */
    switch (p->shape) {
    case SH_BOX:
        h[0] = p->size[0] / 2, h[1] = p->size[1] / 2, h[2] = p->size[2] / 2;
        break;
    case SH_CYL:
        h[0] = h[1] = p->size[0], h[2] = p->size[1] / 2;
        break;
    case SH_SPHERE:
        h[0] = h[1] = h[2] = p->size[0];
        break;
    case SH_ELLIPSOID:
        h[0] = p->size[0], h[1] = p->size[1], h[2] = p->size[2];
        break;
    }
}

/* Axis-aligned bounds of a part after the item's turn by `yaw` degrees about
 * z: |R| h around the turned centre (exact for boxes, conservative else). */
static void part_bounds(const part *p, double yaw, double lo[3], double hi[3])
{
    double rot[3] = {p->rot[0], p->rot[1], p->rot[2] + yaw};
    double r[9], h[3];
    euler(rot, r);
    part_half(p, h);
    double c = cos(yaw * PI / 180), s = sin(yaw * PI / 180);
    double ctr[3] = {c * p->pos[0] - s * p->pos[1], s * p->pos[0] + c * p->pos[1], p->pos[2]};
    for (int i = 0; i < 3; i++) {
        double e = fabs(r[i * 3]) * h[0] + fabs(r[i * 3 + 1]) * h[1] + fabs(r[i * 3 + 2]) * h[2];
        lo[i] = ctr[i] - e;
        hi[i] = ctr[i] + e;
    }
}

static void item_bounds(const item *it, double yaw, double lo[3], double hi[3])
{
    for (int i = 0; i < 3; i++)
        lo[i] = 1e30, hi[i] = -1e30;
    for (size_t k = 0; k < it->n; k++) {
        double a[3], b[3];
        part_bounds(&it->p[k], yaw, a, b);
        for (int i = 0; i < 3; i++) {
            if (a[i] < lo[i])
                lo[i] = a[i];
            if (b[i] > hi[i])
                hi[i] = b[i];
        }
    }
}

static double part_volume_cm3(const part *p)
{
    double h[3];
    part_half(p, h);
    double v;
    switch (p->shape) {
    case SH_BOX:
        v = 8 * h[0] * h[1] * h[2];
        if (p->wall > 0)
            v -= 8 * (h[0] - p->wall) * (h[1] - p->wall) * (h[2] - p->wall);
        break;
    case SH_CYL:
        v = PI * h[0] * h[0] * 2 * h[2];
        if (p->wall > 0)
            v -= PI * (h[0] - p->wall) * (h[0] - p->wall) * 2 * (h[2] - p->wall);
        break;
    default:
        v = 4.0 / 3.0 * PI * h[0] * h[1] * h[2];
        break;
    }
    return v / 1000.0;
}

/* ------------------------------------------------------------------------ */
/* The catalogue of benign items                                            */
/* ------------------------------------------------------------------------ */

#define RUBBER "mix: 0.70 C5H8 + 0.20 C + 0.10 SiO2"
#define BOARD  "mix: 0.55 SiO2 + 0.30 C15H16O2 + 0.15 Cu"
#define ABS    "C15H17N"
#define WOOL   "C4.41H6.94N1.14O1.44S0.031"
#define ALKALI "mix: 0.35 MnO2 + 0.25 Zn + 0.25 Fe + 0.10 KOH + 0.05 C"

static void it_clothing(item *it, uint64_t *s)
{
    part *p = box(it, "clothes", "cotton_clothing", uni(s, 180, 340), uni(s, 150, 300),
                  uni(s, 25, 80), 0, 0, 0);
    if (p && chance(s, 0.4))
        set_custom(p, chance(s, 0.5) ? WOOL : "C6H10O5", uni(s, 0.15, 0.45));
}

static void it_shoes(item *it, uint64_t *s)
{
    double l = uni(s, 240, 300), w = uni(s, 80, 100);
    for (int k = 0; k < 2; k++) {
        double y = (k ? 1 : -1) * (w / 2 + 3);
        part *p = box(it, k ? "sole_r" : "sole_l", "", l, w, 25, 0, y, -25);
        if (p)
            set_custom(p, RUBBER, 1.15);
        p = box(it, k ? "upper_r" : "upper_l", "leather", l - 20, w - 8, 55, 0, y, 15);
        if (p)
            p->wall = 2.5;
    }
}

static void it_laptop(item *it, uint64_t *s)
{
    double l = uni(s, 300, 360), w = uni(s, 210, 250), t = uni(s, 15, 22);
    part *p = box(it, "shell", chance(s, 0.6) ? "aluminium" : "", l, w, t, 0, 0, 0);
    if (p) {
        p->wall = 1.5;
        if (!p->material[0])
            set_custom(p, "C16H14O3", 1.2);
    }
    box(it, "battery", "lithium_ion_cell", l * 0.7, 60, 7, 0, w / 2 - 40, -t / 2 + 6);
    p = box(it, "board", "", l * 0.8, w * 0.5, 1.6, 0, -w / 2 + w * 0.3, -t / 2 + 3);
    if (p)
        set_custom(p, BOARD, 1.9);
}

static void it_phone(item *it, uint64_t *s)
{
    double l = uni(s, 140, 165), w = uni(s, 68, 78);
    part *p = box(it, "body", "aluminium", l, w, 8.5, 0, 0, 0);
    if (p)
        p->wall = 1.0;
    box(it, "cell", "lithium_ion_cell", l * 0.5, w * 0.7, 4.5, 0, 0, 0);
}

static void it_powerbank(item *it, uint64_t *s)
{
    int cells = irand(s, 2, 4);
    double l = 75, w = 20.0 * cells + 6;
    part *p = box(it, "case", "", l, w, 26, 0, 0, 0);
    if (p) {
        set_custom(p, ABS, 1.05);
        p->wall = 1.5;
    }
    for (int k = 0; k < cells; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "cell_%d", k);
        cyl(it, nm, "lithium_ion_cell", 9, 65, 0, 0, -w / 2 + 13 + 20.0 * k, 0);
    }
}

static void it_charger(item *it, uint64_t *s)
{
    part *p = box(it, "case", "", 60, 45, 28, 0, 0, 0);
    if (p) {
        set_custom(p, ABS, 1.05);
        p->wall = 2;
    }
    p = cyl(it, "coil", "", 9, 12, 2, -12, 0, 0);
    if (p)
        set_custom(p, "mix: 0.90 Cu + 0.10 C10H8O4", 6.0);
    p = box(it, "board", "", 50, 38, 1.6, 8, 0, -8);
    if (p)
        set_custom(p, BOARD, 1.9);
    /* the cable: copper cores in a PVC sheath, coiled as a few straight runs */
    double len = uni(s, 250, 500);
    for (int k = 0; k < 2; k++) {
        double y = 35 + 8.0 * k;
        char nm[16];
        snprintf(nm, sizeof nm, "cable_%d", k);
        p = cyl(it, nm, "pvc", 2.2, len, 0, len / 2 - 30, y, -10);
        if (p)
            p->wall = 1.2;
        snprintf(nm, sizeof nm, "core_%d", k);
        cyl(it, nm, "copper", 0.6, len - 4, 0, len / 2 - 30, y, -10);
    }
}

static void bottle(item *it, const char *nm, double r, double h, const char *liquid,
                   const char *comp, double dens, const char *shell_mat, double x, double y,
                   double z, int axis)
{
    char n1[24], n2[24];
    snprintf(n1, sizeof n1, "%s_shell", nm);
    snprintf(n2, sizeof n2, "%s_fill", nm);
    part *p = cyl(it, n1, shell_mat, r, h, axis, x, y, z);
    double wall = strcmp(shell_mat, "glass") == 0 ? 3.0 : 0.6;
    if (p)
        p->wall = wall;
    p = cyl(it, n2, liquid, r - wall - 0.1, h - 2 * wall - 0.2 - h * 0.05, axis, x, y, z);
    if (p && comp)
        set_custom(p, comp, dens);
}

static void it_toiletries(item *it, uint64_t *s)
{
    double l = uni(s, 200, 260), w = uni(s, 110, 150), h = uni(s, 70, 90);
    part *p = box(it, "bag", "nylon", l, w, h, 0, 0, 0);
    if (p)
        p->wall = 1.0;
    double x = -l / 2 + 5;
    int k = 0;
    while (x < l / 2 - 40 && k < 5) {
        double r = uni(s, 12, 28);
        if (x + 2 * r > l / 2 - 5)
            break;
        double hh = w - 10;
        char nm[16];
        snprintf(nm, sizeof nm, "b%d", k);
        int kind = irand(s, 0, 3);
        if (kind == 0)
            bottle(it, nm, r, hh, "", "mix: 0.85 H2O + 0.15 C12H25NaO4S", 1.02, "pet", x + r, 0,
                   -h / 2 + r + 2, 1);
        else if (kind == 1)
            bottle(it, nm, r, hh, "", "C3H8O3", 1.26, "polyethylene", x + r, 0, -h / 2 + r + 2, 1);
        else if (kind == 2)
            bottle(it, nm, r, hh, "", "mix: 0.45 CaCO3 + 0.25 C3H8O3 + 0.30 H2O", 1.5,
                   "polyethylene", x + r, 0, -h / 2 + r + 2, 1);
        else
            bottle(it, nm, r, hh, "", "mix: 0.5 C4H10 + 0.4 C2H6O + 0.1 C3H8O3", 0.75, "aluminium",
                   x + r, 0, -h / 2 + r + 2, 1);
        x += 2 * r + 4;
        k++;
    }
    if (chance(s, 0.5))
        box(it, "razor", "stainless_steel", 40, 35, 3, l / 2 - 30, 0, h / 2 - 8);
}

static void it_water(item *it, uint64_t *s)
{
    double r = uni(s, 30, 40), h = uni(s, 180, 260);
    if (chance(s, 0.2))
        bottle(it, "flask", r, h, "water", NULL, 0, "stainless_steel", 0, 0, 0, 0);
    else
        bottle(it, "bottle", r, h, "water", NULL, 0, "pet", 0, 0, 0, 0);
}

static void it_food(item *it, uint64_t *s)
{
    int kind = irand(s, 0, 5);
    switch (kind) {
    case 0: { /* cheese: a block 200..1000 g */
        double m = uni(s, 200, 1000) / 1.15 * 1000.0, t = uni(s, 35, 70);
        double a = sqrt(m / t * uni(s, 1.0, 2.0)), b = m / t / a;
        box(it, "cheese", "cheese", a, b, t, 0, 0, 0);
        break;
    }
    case 1: { /* chocolate bars */
        int n = irand(s, 1, 4);
        for (int k = 0; k < n; k++) {
            char nm[16];
            snprintf(nm, sizeof nm, "choc_%d", k);
            box(it, nm, "chocolate", 160, 80, 10, 0, 0, -15 + 10.5 * k);
        }
        break;
    }
    case 2: /* honey jar */
        bottle(it, "honey", uni(s, 35, 45), uni(s, 90, 130), "honey", NULL, 0, "glass", 0, 0, 0, 2);
        break;
    case 3: { /* sugar, 1 kg bag of granulated (bulk density ~0.85) */
        part *p = box(it, "sugar", "", 160, 100, uni(s, 65, 80), 0, 0, 0);
        if (p)
            set_custom(p, "C12H22O11", 0.85);
        break;
    }
    case 4: { /* a jar of a gel or jam */
        bottle(it, "jam", uni(s, 35, 45), uni(s, 80, 110), "", "mix: 0.6 C6H12O6 + 0.4 H2O", 1.33,
               "glass", 0, 0, 0, 2);
        break;
    }
    default: { /* sausage or dried meat */
        part *p = cyl(it, "sausage", "", uni(s, 20, 35), uni(s, 150, 250), 0, 0, 0, 0);
        if (p)
            set_custom(p, "mix: 0.45 H2O + 0.30 C57H104O6 + 0.22 " WOOL " + 0.03 NaCl", 1.05);
        break;
    }
    }
}

static void it_books(item *it, uint64_t *s)
{
    int n = irand(s, 1, 3);
    double z = 0;
    for (int k = 0; k < n; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "book_%d", k);
        double t = uni(s, 12, 40);
        part *p = box(it, nm, "cellulose", uni(s, 170, 290), uni(s, 110, 210), t, 0, 0, z + t / 2);
        if (p && chance(s, 0.5))
            set_custom(p, "C6H10O5", uni(s, 0.6, 0.95));
        z += t + 0.5;
    }
}

static void it_umbrella(item *it, uint64_t *s)
{
    double len = uni(s, 230, 330);
    part *p = cyl(it, "canopy", "nylon", 24, len, 0, 0, 0, 0);
    if (p)
        p->wall = 3;
    p = cyl(it, "shaft", "steel", 5, len - 10, 0, 0, 0, 0);
    if (p)
        p->wall = 0.8;
    for (int k = 0; k < 6; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "rib_%d", k);
        double a = k * PI / 3;
        cyl(it, nm, "steel", 1.0, len - 30, 0, 0, 13 * cos(a), 13 * sin(a));
    }
    p = cyl(it, "handle", "", 14, 60, 0, len / 2 + 31, 0, 0);
    if (p)
        set_custom(p, ABS, 1.05);
}

static void it_small_metal(item *it, uint64_t *s)
{
    int kind = irand(s, 0, 3);
    if (kind == 0) { /* keys on a ring */
        for (int k = 0; k < irand(s, 2, 4); k++) {
            char nm[16];
            snprintf(nm, sizeof nm, "key_%d", k);
            box(it, nm, "brass", 55, 22, 2.5, 0, 24.0 * k, 0);
        }
    } else if (kind == 1) { /* coins */
        for (int k = 0; k < irand(s, 3, 8); k++) {
            char nm[16];
            snprintf(nm, sizeof nm, "coin_%d", k);
            cyl(it, nm, k % 2 ? "brass" : "steel", uni(s, 9, 13), 2, 2, 28.0 * (k % 4),
                28.0 * (k / 4), 0);
        }
    } else if (kind == 2) { /* belt with buckle */
        box(it, "buckle", "steel", 50, 40, 6, 0, 0, 0);
        cyl(it, "belt", "leather", 40, 35, 2, 80, 0, 14.5);
    } else { /* steel ruler or scissors-like tool: a benign elongated metal */
        box(it, "ruler", "steel", uni(s, 150, 300), 15, 1, 0, 0, 0);
    }
}

static void it_electronics(item *it, uint64_t *s)
{
    int kind = irand(s, 0, 2);
    if (kind == 0) { /* hair dryer */
        part *p = cyl(it, "body", "", 40, 180, 0, 0, 0, 0);
        if (p) {
            set_custom(p, ABS, 1.05);
            p->wall = 2;
        }
        p = cyl(it, "motor", "", 18, 40, 0, -30, 0, 0);
        if (p)
            set_custom(p, "mix: 0.6 Fe + 0.4 Cu", 7.0);
        p = cyl(it, "heater", "", 25, 60, 0, 40, 0, 0);
        if (p)
            set_custom(p, "mix: 0.8 Ni + 0.2 Cr", 1.0);
        /* the grip hangs below the body, outside its box */
        p = box(it, "grip", "", 35, 90, 30, -20, -40 - 46, 0);
        if (p)
            set_custom(p, ABS, 1.05);
    } else if (kind == 1) { /* tablet */
        double l = uni(s, 230, 260), w = uni(s, 160, 180);
        part *p = box(it, "body", "aluminium", l, w, 7, 0, 0, 0);
        if (p)
            p->wall = 0.8;
        box(it, "cell", "lithium_ion_cell", l * 0.6, w * 0.6, 3.5, 0, 0, 0);
    } else { /* headphones in a case */
        part *p = box(it, "case", "nylon", 190, 160, 60, 0, 0, 0);
        if (p)
            p->wall = 2;
        for (int k = 0; k < 2; k++) {
            char nm[16];
            snprintf(nm, sizeof nm, "cup_%d", k);
            p = cyl(it, nm, "", 35, 25, 2, k ? 45 : -45, 0, 0);
            if (p)
                set_custom(p, ABS, 1.05);
            snprintf(nm, sizeof nm, "magnet_%d", k);
            p = cyl(it, nm, "", 12, 5, 2, k ? 45 : -45, 0, -15);
            if (p)
                set_custom(p, "mix: 0.7 Fe + 0.3 Nd", 7.4);
        }
    }
}

typedef void (*item_fn)(item *, uint64_t *);
static const struct {
    const char *name;
    item_fn fn;
    double weight;
} catalogue[] = {
    {"clothes", it_clothing, 3.0},
    {"shoes", it_shoes, 0.6},
    {"laptop", it_laptop, 0.5},
    {"phone", it_phone, 0.4},
    {"powerbank", it_powerbank, 0.4},
    {"charger", it_charger, 0.6},
    {"toiletries", it_toiletries, 0.7},
    {"water", it_water, 0.6},
    {"food", it_food, 1.2},
    {"books", it_books, 0.8},
    {"umbrella", it_umbrella, 0.3},
    {"metal", it_small_metal, 0.6},
    {"electronics", it_electronics, 0.5},
};
#define N_CATALOGUE (sizeof catalogue / sizeof catalogue[0])

/* ------------------------------------------------------------------------ */
/* Threats                                                                  */
/* ------------------------------------------------------------------------ */

static const char *const explosives[] = {
    "tnt", "rdx", "petn", "c4", "semtex", "tatp", "ammonium_nitrate", "hmx", "anfo"};
static const double explosive_density[] = {1.65, 1.82, 1.77, 1.59, 1.55, 1.22, 1.72, 1.91, 0.85};

typedef struct plan {
    int tilted, overlap, shield;
} plan;

static void make_explosive(item *it, uint64_t *s, const lc_corpus_options *o, lc_corpus_threat *t,
                           plan *pl)
{
    int k = irand(s, 0, (int)(sizeof explosives / sizeof explosives[0]) - 1);
    double rho = explosive_density[k];
    double m = exp(uni(s, log(o->min_mass_g), log(o->max_mass_g)));
    double vol = m / rho * 1000.0; /* mm^3 */
    int form = irand(s, 0, 2);
    part *p = NULL;
    if (form == 0) { /* block */
        double th = uni(s, 25, 60);
        double a = sqrt(vol / th * uni(s, 1.0, 2.5)), b = vol / th / a;
        if (a > 300)
            a = 300, b = vol / th / a;
        p = box(it, "charge", explosives[k], a, b, th, 0, 0, 0);
        lc__strlcpy(t->kind, "block", sizeof t->kind);
    } else if (form == 1) { /* sheet */
        double th = uni(s, 3, 9);
        double a = sqrt(vol / th * uni(s, 1.0, 1.8)), b = vol / th / a;
        if (a > 320) {
            a = 320, b = vol / th / a;
        }
        if (b > 250) {
            b = 250, th = vol / a / b;
        }
        p = box(it, "charge", explosives[k], a, b, th, 0, 0, 0);
        lc__strlcpy(t->kind, "sheet", sizeof t->kind);
    } else { /* cylinder: one stick or a pipe-like charge */
        double r = uni(s, 15, 35), h = vol / (PI * r * r);
        if (h > 300) {
            h = 300, r = sqrt(vol / (PI * h));
        }
        if (h < 2 * r) {
            h = 2 * r, r = cbrt(vol / (2 * PI));
            h = 2 * r;
        }
        p = cyl(it, "charge", explosives[k], r, h, 0, 0, 0, 0);
        lc__strlcpy(t->kind, "cylinder", sizeof t->kind);
    }
    if (!p)
        return;
    p->threat = "explosive";
    lc__strlcpy(t->material, explosives[k], sizeof t->material);
    t->mass_g = part_volume_cm3(p) * rho;
    if (pl->tilted) {
        if (form == 2)
            p->rot[0] = 0, p->rot[1] = 90 - uni(s, 30, 80); /* a stick standing up at an angle */
        else
            p->rot[0] = uni(s, 35, 90) * (chance(s, 0.5) ? 1 : -1);
    }
    if (chance(s, 0.3)) { /* a detonator and wires next to the charge */
        double lo[3], hi[3];
        item_bounds(it, 0, lo, hi);
        part *d = cyl(it, "detonator", "aluminium", 3.5, 45, 0, hi[0] + 30, 0, 0);
        (void)d;
        cyl(it, "wire", "copper", 0.6, 25, 0, hi[0] + 3, 0, 0);
    }
}

static void make_weapon(item *it, uint64_t *s, lc_corpus_threat *t, plan *pl)
{
    int kind = irand(s, 0, 2);
    double steel_mass = 0;
    if (kind == 0) { /* kitchen knife */
        double bl = uni(s, 130, 220), bw = uni(s, 22, 45), bt = uni(s, 1.5, 2.5);
        part *p = box(it, "blade", "stainless_steel", bl, bw, bt, bl / 2, 0, 0);
        if (p)
            p->threat = "weapon", steel_mass += part_volume_cm3(p) * 8.0;
        p = box(it, "handle", "", 115, 24, 18, -58.5, 0, 0);
        if (p) {
            set_custom(p, chance(s, 0.5) ? "C3H6" : "C6H10O5", chance(s, 0.5) ? 0.9 : 0.7);
            p->threat = "weapon";
        }
        p = box(it, "tang", "stainless_steel", 100, 14, bt, -58.5, 0, 9 + bt / 2 + 0.1);
        if (p)
            p->threat = "weapon", steel_mass += part_volume_cm3(p) * 8.0;
        lc__strlcpy(t->kind, "kitchen_knife", sizeof t->kind);
        lc__strlcpy(t->material, "stainless_steel", sizeof t->material);
    } else if (kind == 1) { /* folding knife, open */
        double bl = uni(s, 70, 100), bw = uni(s, 18, 26);
        part *p = box(it, "blade", "stainless_steel", bl, bw, 2.5, bl / 2, 0, 0);
        if (p)
            p->threat = "weapon", steel_mass += part_volume_cm3(p) * 8.0;
        p = box(it, "handle", chance(s, 0.5) ? "aluminium" : "stainless_steel", 105, 24, 11, -53, 0,
                0);
        if (p) {
            p->wall = 1.2;
            p->threat = "weapon";
        }
        p = box(it, "liner", "stainless_steel", 100, 18, 1.5, -53, 0, 0);
        if (p)
            p->threat = "weapon", steel_mass += part_volume_cm3(p) * 8.0;
        lc__strlcpy(t->kind, "folding_knife", sizeof t->kind);
        lc__strlcpy(t->material, "stainless_steel", sizeof t->material);
    } else { /* gun-like assembly lying on its side: x along the barrel, y the grip */
        double sl = uni(s, 160, 200);
        part *p = box(it, "slide", "steel", sl, 30, 25, 0, 0, 0);
        if (p)
            p->wall = 4, p->threat = "weapon", steel_mass += part_volume_cm3(p) * 7.85;
        p = cyl(it, "barrel", "steel", 7, sl - 20, 0, 0, 0, 0);
        if (p)
            p->wall = 3, p->threat = "weapon", steel_mass += part_volume_cm3(p) * 7.85;
        p = box(it, "frame", "steel", sl * 0.7, 14, 22, -sl * 0.1, -23, 0);
        if (p)
            p->threat = "weapon", steel_mass += part_volume_cm3(p) * 7.85;
        p = box(it, "grip", "", 32, 105, 28, -sl * 0.35, -30 - 55.5, 0);
        if (p) {
            set_custom(p, "C6H11NO", 1.3);
            p->wall = 3;
            p->threat = "weapon";
        }
        p = box(it, "magazine", "steel", 22, 96, 18, -sl * 0.35, -30 - 55.5, 0);
        if (p)
            p->wall = 1.0, p->threat = "weapon", steel_mass += part_volume_cm3(p) * 7.85;
        p = box(it, "trigger_guard", "steel", 40, 4, 10, -sl * 0.35 + 40, -48, 0);
        if (p)
            p->threat = "weapon";
        lc__strlcpy(t->kind, "gun", sizeof t->kind);
        lc__strlcpy(t->material, "steel", sizeof t->material);
    }
    t->mass_g = steel_mass;
    if (pl->tilted) { /* on edge: turn every part about the item's x axis */
        double a = uni(s, 60, 90);
        double c = cos(a * PI / 180), sn = sin(a * PI / 180);
        for (size_t k = 0; k < it->n; k++) {
            part *p = &it->p[k];
            double y = p->pos[1], z = p->pos[2];
            p->pos[1] = c * y - sn * z;
            p->pos[2] = sn * y + c * z;
            if (p->rot[1] == 0) /* boxes; a cylinder along x is symmetric about x */
                p->rot[0] += a;
        }
    }
}

static void make_dense(item *it, uint64_t *s, lc_corpus_threat *t)
{
    int lead = chance(s, 0.5);
    double a = uni(s, 70, 150), b = uni(s, 60, 120), c = uni(s, 40, 80);
    part *p = box(it, "shield", lead ? "lead" : "steel", a, b, c, 0, 0, 0);
    if (!p)
        return;
    p->wall = lead ? uni(s, 3, 6) : uni(s, 8, 14);
    p->threat = "dense";
    t->mass_g = part_volume_cm3(p) * (lead ? 11.35 : 7.85);
    lc__strlcpy(t->kind, lead ? "lead_box" : "steel_box", sizeof t->kind);
    lc__strlcpy(t->material, lead ? "lead" : "steel", sizeof t->material);
    /* something hidden inside */
    part *q = box(it, "hidden", explosives[irand(s, 0, 4)], a - 2 * p->wall - 2,
                  b - 2 * p->wall - 2, c - 2 * p->wall - 2, 0, 0, 0);
    (void)q;
}

/* ------------------------------------------------------------------------ */
/* Packing                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct bag_frame {
    double lo[3], hi[3]; /* interior */
} bag_frame;

static int boxes_overlap(const double alo[3], const double ahi[3], const double blo[3],
                         const double bhi[3], int dims)
{
    for (int i = 0; i < dims; i++)
        if (ahi[i] <= blo[i] || bhi[i] <= alo[i])
            return 0;
    return 1;
}

/* Drops an item (already turned by yaw) at (x, y): z rests on the highest
 * placed item under its footprint. Returns 1 and fills lo/hi on success. */
static int drop(const item *items, size_t n, const bag_frame *f, const double rlo[3],
                const double rhi[3], double x, double y, double lo[3], double hi[3])
{
    double w0 = rhi[0] - rlo[0], w1 = rhi[1] - rlo[1], w2 = rhi[2] - rlo[2];
    lo[0] = x - w0 / 2, hi[0] = x + w0 / 2;
    lo[1] = y - w1 / 2, hi[1] = y + w1 / 2;
    if (lo[0] < f->lo[0] || hi[0] > f->hi[0] || lo[1] < f->lo[1] || hi[1] > f->hi[1])
        return 0;
    double z = f->lo[2];
    for (size_t k = 0; k < n; k++)
        if (boxes_overlap(lo, hi, items[k].lo, items[k].hi, 2) && items[k].hi[2] > z)
            z = items[k].hi[2];
    lo[2] = z + 0.5;
    hi[2] = lo[2] + w2;
    return hi[2] <= f->hi[2];
}

static int place(item *items, size_t n, item *it, const bag_frame *f, uint64_t *s,
                 const double *near_xy, double yaw_fixed)
{
    for (int attempt = 0; attempt < 40; attempt++) {
        double yaw = yaw_fixed >= -360 ? yaw_fixed
                     : chance(s, 0.6)  ? 90.0 * irand(s, 0, 3) + uni(s, -8, 8)
                                       : uni(s, 0, 360);
        double rlo[3], rhi[3];
        item_bounds(it, yaw, rlo, rhi);
        double w0 = rhi[0] - rlo[0], w1 = rhi[1] - rlo[1];
        double x, y;
        if (near_xy && attempt < 30) {
            x = near_xy[0] + uni(s, -0.3, 0.3) * w0;
            y = near_xy[1] + uni(s, -0.3, 0.3) * w1;
        } else {
            x = uni(s, f->lo[0] + w0 / 2, f->hi[0] - w0 / 2);
            y = uni(s, f->lo[1] + w1 / 2, f->hi[1] - w1 / 2);
        }
        double lo[3], hi[3];
        if (!drop(items, n, f, rlo, rhi, x, y, lo, hi))
            continue;
        /* turn the parts and move them to the world */
        double c = cos(yaw * PI / 180), sn = sin(yaw * PI / 180);
        double off[3];
        for (int i = 0; i < 3; i++)
            off[i] = lo[i] - rlo[i];
        for (size_t k = 0; k < it->n; k++) {
            part *p = &it->p[k];
            double px = c * p->pos[0] - sn * p->pos[1], py = sn * p->pos[0] + c * p->pos[1];
            p->pos[0] = px + off[0];
            p->pos[1] = py + off[1];
            p->pos[2] += off[2];
            p->rot[2] += yaw;
        }
        memcpy(it->lo, lo, sizeof lo);
        memcpy(it->hi, hi, sizeof hi);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Scene output                                                             */
/* ------------------------------------------------------------------------ */

static double r2(double v)
{
    double r = round(v * 100.0) / 100.0;
    return r == 0.0 ? 0.0 : r; /* no "-0" */
}

static double rot_norm(double a)
{
    a = fmod(a, 360.0);
    if (a > 180)
        a -= 360;
    if (a <= -180)
        a += 360;
    return r2(a);
}

static json_t *vec3(double a, double b, double c)
{
    return json_pack("[fff]", r2(a), r2(b), r2(c));
}

static json_t *part_json(const part *p, const char *id)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    static const char *const names[] = {"box", "cylinder", "sphere", "ellipsoid"};
    int ok = json_object_set_new(o, "id", json_string(id)) == 0 &&
             json_object_set_new(o, "shape", json_string(names[p->shape])) == 0;
    switch (p->shape) {
    case SH_BOX:
        ok = ok && json_object_set_new(o, "size", vec3(p->size[0], p->size[1], p->size[2])) == 0;
        break;
    case SH_CYL:
        ok = ok && json_object_set_new(o, "radius", json_real(r2(p->size[0]))) == 0 &&
             json_object_set_new(o, "height", json_real(r2(p->size[1]))) == 0;
        break;
    case SH_SPHERE:
        ok = ok && json_object_set_new(o, "radius", json_real(r2(p->size[0]))) == 0;
        break;
    case SH_ELLIPSOID:
        ok = ok && json_object_set_new(o, "radii", vec3(p->size[0], p->size[1], p->size[2])) == 0;
        break;
    }
    if (p->wall > 0)
        ok = ok && json_object_set_new(o, "wall", json_real(r2(p->wall))) == 0;
    ok = ok && json_object_set_new(o, "position", vec3(p->pos[0], p->pos[1], p->pos[2])) == 0;
    double rx = rot_norm(p->rot[0]), ry = rot_norm(p->rot[1]), rz = rot_norm(p->rot[2]);
    if (rx != 0 || ry != 0 || rz != 0)
        ok = ok && json_object_set_new(o, "rotation", vec3(rx, ry, rz)) == 0;
    if (p->material[0])
        ok = ok && json_object_set_new(o, "material", json_string(p->material)) == 0;
    else
        ok = ok && json_object_set_new(o, "material",
                                       json_pack("{s:s,s:f}", "composition", p->composition,
                                                 "density", r2(p->density))) == 0;
    if (p->threat)
        ok = ok && json_object_set_new(o, "threat", json_string(p->threat)) == 0;
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------------------------ */
/* A bag                                                                    */
/* ------------------------------------------------------------------------ */

void lc_corpus_options_init(lc_corpus_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->n = 100;
    o->threat_rate = 0.5;
    o->w_explosive = 0.5;
    o->w_weapon = 0.3;
    o->w_dense = 0.2;
    o->min_mass_g = 150;
    o->max_mass_g = 1500;
    o->min_fill = 0.45;
    o->max_fill = 0.9;
}

void lc_corpus_bag_free(lc_corpus_bag *bag)
{
    if (!bag)
        return;
    free(bag->scene);
    free(bag);
}

lc_status lc_corpus_options_check(const lc_corpus_options *o, lc_error *err)
{
    if (!o)
        return lc_error_set(err, LC_ERR_ARG, "corpus: NULL options");
    if (!(o->threat_rate >= 0 && o->threat_rate <= 1))
        return lc_error_set(err, LC_ERR_ARG, "corpus: threat rate must be 0..1");
    if (!(o->w_explosive >= 0 && o->w_weapon >= 0 && o->w_dense >= 0) ||
        !(o->w_explosive + o->w_weapon + o->w_dense > 0))
        return lc_error_set(err, LC_ERR_ARG, "corpus: class weights must be >= 0, not all 0");
    if (!(o->min_mass_g > 0 && o->max_mass_g >= o->min_mass_g && o->max_mass_g <= 20000))
        return lc_error_set(err, LC_ERR_ARG, "corpus: mass range must be 0 < min <= max <= 20 kg");
    if (!(o->min_fill > 0 && o->max_fill >= o->min_fill && o->max_fill <= 1))
        return lc_error_set(err, LC_ERR_ARG, "corpus: fill range must be 0 < min <= max <= 1");
    return LC_OK;
}

static const char *difficulty_name(int score)
{
    return score == 0 ? "easy" : score <= 1 ? "medium" : "hard";
}

#define MAX_ITEMS 40

lc_status lc_corpus_bag_generate(const lc_corpus_options *o, size_t index, lc_corpus_bag **out,
                                 lc_error *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "corpus: NULL argument");
    lc_status st = lc_corpus_options_check(o, err);
    if (st != LC_OK)
        return st;
    lc_corpus_bag *bag = lc__calloc(1, sizeof *bag);
    item *items = lc__calloc(MAX_ITEMS + 2, sizeof *items);
    if (!bag || !items) {
        free(bag);
        free(items);
        return lc_error_set(err, LC_ERR_NOMEM, "corpus: out of memory");
    }
    snprintf(bag->name, sizeof bag->name, "bag_%04zu", index);
    uint64_t s = o->seed * 0x9E3779B97F4A7C15ull ^ (uint64_t)index * 0xD1B54A32D192ED03ull;
    rng_next(&s);

    /* the container */
    static const struct {
        const char *name;
        double l[2], w[2], h[2], wall;
        const char *mat;
    } kinds[] = {
        {"suitcase", {550, 700}, {350, 450}, {180, 260}, 3, "polypropylene"},
        {"carry-on", {400, 550}, {300, 380}, {150, 230}, 2.5, "polypropylene"},
        {"backpack", {380, 480}, {260, 320}, {120, 200}, 2, "nylon"},
        {"briefcase", {380, 450}, {280, 330}, {80, 110}, 3, "leather"},
    };
    int kind = irand(&s, 0, 3);
    double L = uni(&s, kinds[kind].l[0], kinds[kind].l[1]);
    double W = uni(&s, kinds[kind].w[0], kinds[kind].w[1]);
    double H = uni(&s, kinds[kind].h[0], kinds[kind].h[1]);
    double wall = kinds[kind].wall;
    double x0 = 20;
    part shell;
    memset(&shell, 0, sizeof shell);
    shell.shape = SH_BOX;
    shell.size[0] = L, shell.size[1] = W, shell.size[2] = H;
    shell.wall = wall;
    shell.pos[0] = x0 + L / 2, shell.pos[1] = 0, shell.pos[2] = H / 2;
    lc__strlcpy(shell.material, kinds[kind].mat, sizeof shell.material);
    bag_frame f = {{x0 + wall + 0.5, -W / 2 + wall + 0.5, wall + 0.5},
                   {x0 + L - wall - 0.5, W / 2 - wall - 0.5, H - wall - 0.5}};
    size_t n = 0;

    /* the threat, placed first (at the bottom) when it should be overlapped */
    int has_threat = chance(&s, o->threat_rate);
    plan pl = {0, 0, 0};
    lc_corpus_threat *t = &bag->threats[0];
    size_t threat_item = (size_t)-1;
    double threat_xy[2] = {0, 0};
    item threat;
    memset(&threat, 0, sizeof threat);
    threat.threat_index = 0;
    if (has_threat) {
        double wsum = o->w_explosive + o->w_weapon + o->w_dense, u = urand(&s) * wsum;
        const char *cls = u < o->w_explosive                 ? "explosive"
                          : u < o->w_explosive + o->w_weapon ? "weapon"
                                                             : "dense";
        lc__strlcpy(t->cls, cls, sizeof t->cls);
        pl.tilted = chance(&s, 0.3);
        pl.overlap = chance(&s, 0.5);
        pl.shield = strcmp(cls, "explosive") == 0 && chance(&s, 0.15);
        /* draw the threat again (upright after a few tries) until it fits the bag */
        for (int tries = 0; tries < 20; tries++) {
            memset(&threat, 0, sizeof threat);
            threat.threat_index = 0;
            char keep[16];
            lc__strlcpy(keep, t->cls, sizeof keep);
            memset(t, 0, sizeof *t);
            lc__strlcpy(t->cls, keep, sizeof t->cls);
            if (tries >= 10)
                pl.tilted = 0;
            if (strcmp(cls, "explosive") == 0) {
                make_explosive(&threat, &s, o, t, &pl);
            } else if (strcmp(cls, "weapon") == 0) {
                make_weapon(&threat, &s, t, &pl);
            } else {
                pl.tilted = 0;
                make_dense(&threat, &s, t);
            }
            double lo[3], hi[3];
            item_bounds(&threat, 0, lo, hi);
            if (hi[0] - lo[0] < f.hi[0] - f.lo[0] - 10 && hi[1] - lo[1] < f.hi[1] - f.lo[1] - 10 &&
                hi[2] - lo[2] < f.hi[2] - f.lo[2] - 1)
                break;
            if (tries == 19)
                has_threat = 0;
        }
        lc__strlcpy(threat.name, cls, sizeof threat.name);
        /* overlapped threats go in first so that clutter lands on them */
        if (has_threat && (pl.overlap || pl.shield)) {
            if (place(items, n, &threat, &f, &s, NULL, -1000)) {
                threat_item = n;
                items[n++] = threat;
                threat_xy[0] = (threat.lo[0] + threat.hi[0]) / 2;
                threat_xy[1] = (threat.lo[1] + threat.hi[1]) / 2;
            }
            if (pl.shield && threat_item != (size_t)-1) {
                item plate;
                memset(&plate, 0, sizeof plate);
                plate.threat_index = -1;
                lc__strlcpy(plate.name, "tray", sizeof plate.name);
                double pw = items[threat_item].hi[0] - items[threat_item].lo[0] + 20;
                double ph = items[threat_item].hi[1] - items[threat_item].lo[1] + 20;
                part *pp = box(&plate, "plate", chance(&s, 0.5) ? "steel" : "aluminium", pw, ph,
                               chance(&s, 0.5) ? 1.5 : 3.0, 0, 0, 0);
                (void)pp;
                if (place(items, n, &plate, &f, &s, threat_xy, 0))
                    items[n++] = plate;
            }
        }
    }

    /* clutter: fill to a random packing density */
    double fill_target =
        uni(&s, o->min_fill, o->max_fill) * (f.hi[0] - f.lo[0]) * (f.hi[1] - f.lo[1]);
    double fill = 0;
    int misses = 0;
    double wsum = 0;
    for (size_t k = 0; k < N_CATALOGUE; k++)
        wsum += catalogue[k].weight;
    int have_confuser = 0;
    while (n < MAX_ITEMS && misses < 25 && fill < fill_target * 2.2) {
        item it;
        memset(&it, 0, sizeof it);
        it.threat_index = -1;
        double u = urand(&s) * wsum;
        size_t k = 0;
        while (k + 1 < N_CATALOGUE && u >= catalogue[k].weight) {
            u -= catalogue[k].weight;
            k++;
        }
        if (!have_confuser && n >= 2) { /* most bags hold at least one food or liquid */
            if (chance(&s, 0.7))
                k = chance(&s, 0.6) ? 8 : 7;
            have_confuser = 1;
        }
        catalogue[k].fn(&it, &s);
        lc__strlcpy(it.name, catalogue[k].name, sizeof it.name);
        const double *near = NULL;
        if (pl.overlap && threat_item != (size_t)-1 && chance(&s, 0.5))
            near = threat_xy;
        if (place(items, n, &it, &f, &s, near, -1000)) {
            fill += (it.hi[0] - it.lo[0]) * (it.hi[1] - it.lo[1]);
            items[n++] = it;
        } else {
            misses++;
        }
    }
    /* a threat not meant to be overlapped goes in last (on top of the clutter) */
    if (has_threat && threat_item == (size_t)-1) {

        if (place(items, n, &threat, &f, &s, NULL, -1000)) {
            threat_item = n;
            items[n++] = threat;
        } else {
            /* no room: empty the bag of its last items until it fits */
            while (n > 0 && threat_item == (size_t)-1) {
                n--;
                if (place(items, n, &threat, &f, &s, NULL, 0)) {
                    threat_item = n;
                    items[n++] = threat;
                }
            }
        }
    }

    /* ground truth */
    if (threat_item != (size_t)-1) {
        item *ti = &items[threat_item];
        t->tilted = pl.tilted;
        t->shielded = pl.shield;
        int ov = 0;
        for (size_t k = 0; k < n; k++)
            if (k != threat_item && boxes_overlap(ti->lo, ti->hi, items[k].lo, items[k].hi, 2))
                ov++;
        t->overlap = ov;
        int score = 0;
        if (strcmp(t->cls, "explosive") == 0) {
            score = (t->mass_g < 300) + (strcmp(t->kind, "sheet") == 0) + t->tilted + (ov >= 2) +
                    t->shielded;
        } else if (strcmp(t->cls, "weapon") == 0) {
            score = (strcmp(t->kind, "folding_knife") == 0) + t->tilted + (ov >= 2);
        } else {
            score = (t->mass_g < 1000) + (ov >= 2);
        }
        lc__strlcpy(t->difficulty, difficulty_name(score), sizeof t->difficulty);
        bag->n_threats = 1;
    } else {
        memset(t, 0, sizeof *t);
    }

    /* the scene */
    json_t *root = json_object();
    json_t *objs = json_array();
    int ok = root && objs;
    char name[128];
    snprintf(name, sizeof name, "corpus seed %llu %s: %s%s%s", (unsigned long long)o->seed,
             bag->name, kinds[kind].name, bag->n_threats ? " with " : "",
             bag->n_threats ? t->cls : "");
    ok = ok && json_object_set_new(root, "lucent_scene", json_integer(1)) == 0 &&
         json_object_set_new(root, "name", json_string(name)) == 0 &&
         json_object_set(root, "objects", objs) == 0;
    ok = ok && json_array_append_new(objs, part_json(&shell, "container")) == 0;
    size_t nobj = 1;
    for (size_t k = 0; ok && k < n; k++) {
        for (size_t j = 0; ok && j < items[k].n; j++) {
            char id[96];
            snprintf(id, sizeof id, "%s_%zu_%s", items[k].name, k, items[k].p[j].name);
            ok = json_array_append_new(objs, part_json(&items[k].p[j], id)) == 0;
            nobj++;
            if (ok && k == threat_item && t->n_parts < LC_CORPUS_MAX_PARTS && items[k].p[j].threat)
                lc__strlcpy(t->parts[t->n_parts++], id, sizeof t->parts[0]);
        }
    }
    json_decref(objs);
    char *text =
        ok ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
           : NULL;
    json_decref(root);
    free(items);
    if (!text) {
        free(bag);
        return lc_error_set(err, LC_ERR_NOMEM, "corpus: out of memory writing the scene");
    }
    bag->scene = text;
    bag->n_objects = nobj;
    *out = bag;
    return LC_OK;
}

static json_t *truth_json(const lc_corpus_bag *bag)
{
    json_t *o = json_object();
    json_t *arr = json_array();
    char scene[48];
    snprintf(scene, sizeof scene, "%s.json", bag->name);
    int ok = o && arr && json_object_set_new(o, "name", json_string(bag->name)) == 0 &&
             json_object_set_new(o, "scene", json_string(scene)) == 0 &&
             json_object_set(o, "threats", arr) == 0;
    for (size_t i = 0; ok && i < bag->n_threats; i++) {
        const lc_corpus_threat *t = &bag->threats[i];
        json_t *parts = json_array();
        for (size_t k = 0; parts && k < t->n_parts; k++)
            json_array_append_new(parts, json_string(t->parts[k]));
        json_t *jt = json_pack("{s:s,s:s,s:s,s:f,s:b,s:i,s:b,s:s,s:o*}", "class", t->cls, "kind",
                               t->kind, "material", t->material, "mass_g", r2(t->mass_g), "tilted",
                               t->tilted, "overlap", t->overlap, "shielded", t->shielded,
                               "difficulty", t->difficulty, "parts", parts);
        ok = jt && json_array_append_new(arr, jt) == 0;
    }
    json_decref(arr);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

lc_status lc_corpus_bag_truth_json(const lc_corpus_bag *bag, char **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!bag || !out)
        return lc_error_set(err, LC_ERR_ARG, "corpus: NULL argument");
    json_t *o = truth_json(bag);
    char *text = o ? json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    if (!text)
        return lc_error_set(err, LC_ERR_NOMEM, "corpus: out of memory");
    *out = text;
    return LC_OK;
}

lc_status lc_corpus_write(const lc_corpus_options *o, const char *dir, lc_progress_fn progress,
                          void *progress_user, lc_error *err)
{
    lc_status st = lc_corpus_options_check(o, err);
    if (st != LC_OK)
        return st;
    if (!dir)
        return lc_error_set(err, LC_ERR_ARG, "corpus: NULL folder");
    if ((st = lc__mkdir_p(dir, err)) != LC_OK)
        return st;
    json_t *root = json_object();
    json_t *bags = json_array();
    if (!root || !bags) {
        json_decref(root);
        json_decref(bags);
        return lc_error_set(err, LC_ERR_NOMEM, "corpus: out of memory");
    }
    int ok = json_object_set_new(root, "lucent_corpus", json_integer(1)) == 0 &&
             json_object_set_new(root, "seed", json_integer((json_int_t)o->seed)) == 0 &&
             json_object_set_new(root, "n", json_integer((json_int_t)o->n)) == 0 &&
             json_object_set_new(root, "threat_rate", json_real(o->threat_rate)) == 0 &&
             json_object_set_new(root, "fill", json_pack("[f,f]", o->min_fill, o->max_fill)) == 0 &&
             json_object_set(root, "bags", bags) == 0;
    for (size_t i = 0; ok && i < o->n; i++) {
        lc_corpus_bag *bag = NULL;
        if ((st = lc_corpus_bag_generate(o, i, &bag, err)) != LC_OK)
            break;
        char path[4096], file[48];
        snprintf(file, sizeof file, "%s.json", bag->name);
        if (!lc__path_join(path, sizeof path, dir, file)) {
            lc_corpus_bag_free(bag);
            st = lc_error_set(err, LC_ERR_ARG, "corpus: folder path too long");
            break;
        }
        st = lc__write_file_atomic(path, bag->scene, strlen(bag->scene), err);
        json_t *tj = st == LC_OK ? truth_json(bag) : NULL;
        lc_corpus_bag_free(bag);
        if (st != LC_OK)
            break;
        if (!tj || json_array_append_new(bags, tj) != 0) {
            st = lc_error_set(err, LC_ERR_NOMEM, "corpus: out of memory");
            break;
        }
        if (progress)
            progress(progress_user, (double)(i + 1) / (double)o->n);
    }
    json_decref(bags);
    if (st == LC_OK && !ok)
        st = lc_error_set(err, LC_ERR_NOMEM, "corpus: out of memory");
    if (st == LC_OK) {
        char *text =
            json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        char path[4096];
        if (!text)
            st = lc_error_set(err, LC_ERR_NOMEM, "corpus: out of memory");
        else if (!lc__path_join(path, sizeof path, dir, "truth.json"))
            st = lc_error_set(err, LC_ERR_ARG, "corpus: folder path too long");
        else
            st = lc__write_file_atomic(path, text, strlen(text), err);
        free(text);
    }
    json_decref(root);
    return st;
}
