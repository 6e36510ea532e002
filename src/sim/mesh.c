/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mesh.c: triangle meshes for the simulator. Parses binary and ASCII STL with
 * strict bounds checks (the triangle count of a binary file must match its
 * size; every number must be finite), builds a bounding-volume hierarchy over
 * the triangles, and measures how much of a ray segment lies inside the closed
 * mesh: intersections are collected along the ray, sorted, hits at the same
 * place with the same orientation (a ray through a shared edge or vertex) are
 * merged, and the winding number decides inside from outside, so grazing rays
 * through a silhouette edge (enter and exit at once) add nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/util.h"

void lc__mesh_free(lc__mesh *m)
{
    if (!m)
        return;
    free(m->v);
    free(m->nodes);
    free(m);
}

static float le_f32(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---------------------------------------------------------------- ASCII STL */

typedef struct tok {
    const unsigned char *p, *end;
    size_t line;
} tok;

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Next whitespace-separated token into buf (truncated tokens are rejected by
 * the caller through their length). Returns its length, 0 at the end. */
static size_t next_token(tok *t, char *buf, size_t cap)
{
    while (t->p < t->end && is_space(*t->p)) {
        if (*t->p == '\n')
            t->line++;
        t->p++;
    }
    size_t n = 0;
    while (t->p < t->end && !is_space(*t->p)) {
        if (n + 1 < cap)
            buf[n] = (char)*t->p;
        n++;
        t->p++;
    }
    buf[n + 1 < cap ? n : cap - 1] = '\0';
    return n;
}

/* Skips the rest of the current line (the solid's name may contain spaces). */
static void skip_line(tok *t)
{
    while (t->p < t->end && *t->p != '\n')
        t->p++;
}

static bool parse_num(const char *s, size_t n, double *out)
{
    if (n == 0 || n >= 64)
        return false;
    char *e = NULL;
    double v = strtod(s, &e);
    if (e == s || *e != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static lc_status grow(double **v, size_t *cap, size_t need, lc_error *err, const char *name)
{
    if (need <= *cap)
        return LC_OK;
    size_t nc = *cap ? *cap * 2 : 64 * 9;
    while (nc < need)
        nc *= 2;
    double *nv = lc__mallocn(nc, sizeof *nv);
    if (!nv)
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", name);
    if (*v)
        memcpy(nv, *v, *cap * sizeof *nv);
    free(*v);
    *v = nv;
    *cap = nc;
    return LC_OK;
}

static lc_status parse_ascii(const unsigned char *buf, size_t len, const char *name, double **vout,
                             size_t *nout, lc_error *err)
{
    tok t = {buf, buf + len, 1};
    char w[80];
    double *v = NULL;
    size_t cap = 0, n = 0;
    lc_status st;
    size_t wl = next_token(&t, w, sizeof w);
    if (wl != 5 || strcmp(w, "solid") != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: not an STL file", name);
    skip_line(&t);
    for (;;) {
        wl = next_token(&t, w, sizeof w);
        if (wl == 0) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: line %zu: missing 'endsolid'", name, t.line);
            goto fail;
        }
        if (strcmp(w, "endsolid") == 0)
            break;
        if (strcmp(w, "facet") != 0) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: line %zu: expected 'facet', got '%.20s'",
                              name, t.line, w);
            goto fail;
        }
        /* "normal nx ny nz" (ignored: orientation comes from the vertex order). */
        skip_line(&t);
        wl = next_token(&t, w, sizeof w);
        if (strcmp(w, "outer") != 0 || next_token(&t, w, sizeof w) == 0 || strcmp(w, "loop") != 0) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: line %zu: expected 'outer loop'", name,
                              t.line);
            goto fail;
        }
        if (n >= LC__STL_MAX_TRIS) {
            st = lc_error_set(err, LC_ERR_LIMIT, "%s: more than %u triangles", name,
                              (unsigned)LC__STL_MAX_TRIS);
            goto fail;
        }
        if ((st = grow(&v, &cap, (n + 1) * 9, err, name)) != LC_OK)
            goto fail;
        for (int k = 0; k < 3; k++) {
            wl = next_token(&t, w, sizeof w);
            if (strcmp(w, "vertex") != 0) {
                st = lc_error_set(err, LC_ERR_FORMAT, "%s: line %zu: expected 'vertex'", name,
                                  t.line);
                goto fail;
            }
            for (int c = 0; c < 3; c++) {
                wl = next_token(&t, w, sizeof w);
                if (!parse_num(w, wl, &v[n * 9 + (size_t)k * 3 + (size_t)c])) {
                    st = lc_error_set(err, LC_ERR_FORMAT, "%s: line %zu: bad vertex coordinate",
                                      name, t.line);
                    goto fail;
                }
            }
        }
        wl = next_token(&t, w, sizeof w);
        if (strcmp(w, "endloop") != 0 || next_token(&t, w, sizeof w) == 0 ||
            strcmp(w, "endfacet") != 0) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: line %zu: expected 'endloop endfacet'", name,
                              t.line);
            goto fail;
        }
        n++;
    }
    *vout = v;
    *nout = n;
    return LC_OK;
fail:
    free(v);
    return st;
}

/* ---------------------------------------------------------------- BVH */

typedef struct build_ctx {
    double *v;
    double *cent; /* 3 per triangle */
    uint32_t *idx;
    lc__bvh_node *nodes;
    size_t nnodes;
    struct keyed *scratch;
} build_ctx;

static void bounds_of(const build_ctx *b, uint32_t first, uint32_t count, double lo[3],
                      double hi[3])
{
    for (int c = 0; c < 3; c++) {
        lo[c] = INFINITY;
        hi[c] = -INFINITY;
    }
    for (uint32_t i = first; i < first + count; i++) {
        const double *t = &b->v[(size_t)b->idx[i] * 9];
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 3; c++) {
                double x = t[k * 3 + c];
                if (x < lo[c])
                    lo[c] = x;
                if (x > hi[c])
                    hi[c] = x;
            }
    }
}

typedef struct keyed {
    double key;
    uint32_t idx;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Orders idx[first..first+count) by centroid along axis, so the first half
 * and the second half become the two children (a median split). */
static bool sort_axis(build_ctx *b, uint32_t first, uint32_t count, int axis, keyed *scratch)
{
    for (uint32_t i = 0; i < count; i++) {
        scratch[i].idx = b->idx[first + i];
        scratch[i].key = b->cent[(size_t)scratch[i].idx * 3 + (size_t)axis];
    }
    qsort(scratch, count, sizeof *scratch, cmp_keyed);
    for (uint32_t i = 0; i < count; i++)
        b->idx[first + i] = scratch[i].idx;
    return true;
}

#define LEAF_TRIS 4

static void build(build_ctx *b, size_t node, uint32_t first, uint32_t count)
{
    /* Iterative with an explicit stack: depth is bounded by log2 of the count
     * because every split is at the median. */
    struct item {
        size_t node;
        uint32_t first, count;
    } stack[64];
    int sp = 0;
    stack[sp++] = (struct item){node, first, count};
    while (sp > 0) {
        struct item it = stack[--sp];
        double lo[3], hi[3];
        bounds_of(b, it.first, it.count, lo, hi);
        lc__bvh_node *nd = &b->nodes[it.node];
        for (int c = 0; c < 3; c++) {
            nd->lo[c] = nextafterf((float)lo[c], -INFINITY);
            nd->hi[c] = nextafterf((float)hi[c], INFINITY);
        }
        if (it.count <= LEAF_TRIS || sp >= 62) {
            nd->first = it.first;
            nd->count = it.count;
            continue;
        }
        int axis = 0;
        for (int c = 1; c < 3; c++)
            if (hi[c] - lo[c] > hi[axis] - lo[axis])
                axis = c;
        sort_axis(b, it.first, it.count, axis, b->scratch);
        uint32_t nl = it.count / 2;
        size_t left = b->nnodes;
        b->nnodes += 2;
        nd->first = (uint32_t)left;
        nd->count = 0;
        stack[sp++] = (struct item){left, it.first, nl};
        stack[sp++] = (struct item){left + 1, it.first + nl, it.count - nl};
    }
}

static lc_status finish_mesh(double *v, size_t n, const char *name, lc__mesh **out, lc_error *err)
{
    if (n == 0) {
        free(v);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: no triangles", name);
    }
    lc__mesh *m = calloc(1, sizeof *m);
    build_ctx b = {0};
    b.cent = lc__mallocn(n * 3, sizeof(double));
    b.idx = lc__mallocn(n, sizeof(uint32_t));
    b.nodes = lc__calloc(2 * n, sizeof(lc__bvh_node));
    double *sorted = lc__mallocn(n * 9, sizeof(double));
    b.scratch = lc__mallocn(n, sizeof(keyed));
    if (!m || !b.cent || !b.idx || !b.nodes || !sorted || !b.scratch) {
        free(b.scratch);
        free(m);
        free(b.cent);
        free(b.idx);
        free(b.nodes);
        free(sorted);
        free(v);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", name);
    }
    b.v = v;
    for (size_t i = 0; i < n; i++) {
        b.idx[i] = (uint32_t)i;
        for (int c = 0; c < 3; c++)
            b.cent[i * 3 + (size_t)c] =
                (v[i * 9 + (size_t)c] + v[i * 9 + 3 + (size_t)c] + v[i * 9 + 6 + (size_t)c]) / 3.0;
    }
    b.nnodes = 1;
    build(&b, 0, 0, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        memcpy(&sorted[i * 9], &v[(size_t)b.idx[i] * 9], 9 * sizeof(double));
    bounds_of(&b, 0, (uint32_t)n, m->lo, m->hi);
    free(v);
    free(b.cent);
    free(b.idx);
    free(b.scratch);
    m->v = sorted;
    m->ntris = n;
    m->nodes = b.nodes;
    m->nnodes = b.nnodes;
    lc__strlcpy(m->path, name, sizeof m->path);
    *out = m;
    return LC_OK;
}

lc_status lc__mesh_parse_stl(const unsigned char *buf, size_t len, const char *name, lc__mesh **out,
                             lc_error *err)
{
    *out = NULL;
    if (len >= 84) {
        uint32_t n = (uint32_t)buf[80] | (uint32_t)buf[81] << 8 | (uint32_t)buf[82] << 16 |
                     (uint32_t)buf[83] << 24;
        if ((uint64_t)n * 50u + 84u == (uint64_t)len) {
            if (n > LC__STL_MAX_TRIS)
                return lc_error_set(err, LC_ERR_LIMIT, "%s: %u triangles exceed the limit of %u",
                                    name, n, (unsigned)LC__STL_MAX_TRIS);
            double *v = lc__mallocn((size_t)n * 9, sizeof *v);
            if (!v)
                return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", name);
            for (size_t i = 0; i < n; i++) {
                const unsigned char *p = buf + 84 + i * 50 + 12;
                for (int k = 0; k < 9; k++) {
                    float f = le_f32(p + 4 * k);
                    if (!isfinite(f)) {
                        free(v);
                        return lc_error_set(err, LC_ERR_FORMAT,
                                            "%s: triangle %zu: coordinate is not finite", name, i);
                    }
                    v[i * 9 + (size_t)k] = f;
                }
            }
            return finish_mesh(v, n, name, out, err);
        }
    }
    /* Not a consistent binary file: it must be ASCII ("solid ..."). */
    size_t i = 0;
    while (i < len && is_space(buf[i]))
        i++;
    if (len - i < 5 || memcmp(buf + i, "solid", 5) != 0) {
        if (len >= 84)
            return lc_error_set(err, LC_ERR_FORMAT,
                                "%s: binary STL triangle count does not match the file size (%zu "
                                "bytes)",
                                name, len);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: not an STL file (too short)", name);
    }
    double *v = NULL;
    size_t n = 0;
    lc_status st = parse_ascii(buf, len, name, &v, &n, err);
    if (st != LC_OK)
        return st;
    return finish_mesh(v, n, name, out, err);
}

/* ---------------------------------------------------------------- ray casting */

bool lc__push_hit(lc__hitbuf *hb, double t, int sign)
{
    if (hb->n == hb->cap) {
        size_t nc = hb->cap ? hb->cap * 2 : 64;
        lc__hit *nh = realloc(hb->h, nc * sizeof *nh);
        if (!nh)
            return false;
        hb->h = nh;
        hb->cap = nc;
    }
    hb->h[hb->n++] = (lc__hit){t, sign};
    return true;
}

/* Möller-Trumbore with edges included up to a tiny tolerance, so that a ray
 * through a shared edge hits both neighbours (merged later) rather than
 * slipping between them. */
static int tri_hit(const double *tv, const double o[3], const double d[3], double *t_out)
{
    double e1[3] = {tv[3] - tv[0], tv[4] - tv[1], tv[5] - tv[2]};
    double e2[3] = {tv[6] - tv[0], tv[7] - tv[1], tv[8] - tv[2]};
    double p[3] = {d[1] * e2[2] - d[2] * e2[1], d[2] * e2[0] - d[0] * e2[2],
                   d[0] * e2[1] - d[1] * e2[0]};
    double det = e1[0] * p[0] + e1[1] * p[1] + e1[2] * p[2];
    if (det == 0.0 || !isfinite(det))
        return 0;
    double inv = 1.0 / det;
    double s[3] = {o[0] - tv[0], o[1] - tv[1], o[2] - tv[2]};
    const double eps = 1e-10;
    double u = (s[0] * p[0] + s[1] * p[1] + s[2] * p[2]) * inv;
    if (u < -eps || u > 1.0 + eps)
        return 0;
    double q[3] = {s[1] * e1[2] - s[2] * e1[1], s[2] * e1[0] - s[0] * e1[2],
                   s[0] * e1[1] - s[1] * e1[0]};
    double v = (d[0] * q[0] + d[1] * q[1] + d[2] * q[2]) * inv;
    if (v < -eps || u + v > 1.0 + eps)
        return 0;
    *t_out = (e2[0] * q[0] + e2[1] * q[1] + e2[2] * q[2]) * inv;
    /* det = -d . (e1 x e2): positive when the ray runs against the normal. */
    return det > 0 ? 1 : -1;
}

static bool node_hit(const lc__bvh_node *nd, const double o[3], const double inv[3], double t0,
                     double t1)
{
    for (int c = 0; c < 3; c++) {
        double a = ((double)nd->lo[c] - o[c]) * inv[c];
        double b = ((double)nd->hi[c] - o[c]) * inv[c];
        if (a > b) {
            double tmp = a;
            a = b;
            b = tmp;
        }
        if (a != a) /* 0 * inf: the ray lies in the slab's plane */
            a = -INFINITY;
        if (b != b)
            b = INFINITY;
        if (a > t0)
            t0 = a;
        if (b < t1)
            t1 = b;
        if (t0 > t1)
            return false;
    }
    return true;
}

static int cmp_hit(const void *a, const void *b)
{
    const lc__hit *x = a, *y = b;
    if (x->t < y->t)
        return -1;
    if (x->t > y->t)
        return 1;
    return x->sign - y->sign;
}

double lc__mesh_inside_t(const lc__mesh *m, const double o[3], const double d[3], double t0,
                         double t1, lc__hitbuf *hb)
{
    hb->n = 0;
    double inv[3];
    for (int c = 0; c < 3; c++)
        inv[c] = 1.0 / d[c];
    uint32_t stack[128];
    int sp = 0;
    stack[sp++] = 0;
    while (sp > 0) {
        const lc__bvh_node *nd = &m->nodes[stack[--sp]];
        if (!node_hit(nd, o, inv, -INFINITY, INFINITY))
            continue;
        if (nd->count > 0) {
            for (uint32_t i = nd->first; i < nd->first + nd->count; i++) {
                double t;
                int sg = tri_hit(&m->v[(size_t)i * 9], o, d, &t);
                if (sg != 0 && !lc__push_hit(hb, t, sg))
                    return -1.0;
            }
        } else if (sp + 2 <= 128) {
            stack[sp++] = nd->first;
            stack[sp++] = nd->first + 1;
        }
    }
    return lc__hits_inside(hb, t0, t1);
}

double lc__hits_inside(lc__hitbuf *hb, double t0, double t1)
{
    if (hb->n == 0)
        return 0.0;
    /* Insertion sort by (t, sign): the lists are short. */
    for (size_t i = 1; i < hb->n; i++) {
        lc__hit h = hb->h[i];
        size_t j = i;
        while (j > 0 && cmp_hit(&hb->h[j - 1], &h) > 0) {
            hb->h[j] = hb->h[j - 1];
            j--;
        }
        hb->h[j] = h;
    }
    /* Merge hits of equal orientation at the same place (shared edges and
     * vertices). The tolerance is far below any real wall thickness. */
    const double tol = 1e-9 * (t1 - t0 > 1.0 ? t1 - t0 : 1.0);
    size_t k = 0;
    for (size_t i = 0; i < hb->n; i++) {
        bool dup = false;
        for (size_t j = k; j > 0; j--) {
            if (hb->h[i].t - hb->h[j - 1].t > tol)
                break;
            if (hb->h[j - 1].sign == hb->h[i].sign) {
                dup = true;
                break;
            }
        }
        if (!dup)
            hb->h[k++] = hb->h[i];
    }
    /* Winding number along the whole line (so a segment may start inside);
     * length counted where it is non-zero within [t0, t1]. A closed mesh with
     * consistent orientation keeps the winding in -1..1 and ends at 0; when it
     * does not (a flipped triangle, an open or self-intersecting mesh), the
     * even-odd rule decides instead, which only needs the crossings. */
    int w = 0;
    bool consistent = true;
    for (size_t i = 0; i < k && consistent; i++) {
        w += hb->h[i].sign;
        consistent = w >= -1 && w <= 1;
    }
    consistent = consistent && w == 0;
    double len = 0.0, prev = -INFINITY;
    bool inside = false;
    w = 0;
    for (size_t i = 0; i < k; i++) {
        double t = hb->h[i].t;
        if (inside) {
            double a = prev > t0 ? prev : t0, b = t < t1 ? t : t1;
            if (b > a)
                len += b - a;
        }
        prev = t;
        w += hb->h[i].sign;
        inside = consistent ? w != 0 : !inside;
    }
    if (inside && prev < t1) /* an open mesh: inside to the end */
        len += t1 - (prev > t0 ? prev : t0);
    return len;
}
