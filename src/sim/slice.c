/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slice.c: meshes cut by the scan plane. Every ray of a scan line lies in the
 * plane x = x_line, so its crossings with a mesh are its crossings with the
 * mesh's cross-section in that plane: a set of 2-D segments, one per triangle
 * that straddles the plane. Building the section once per line and mesh and
 * testing each ray against a few dozen segments is much cheaper than walking
 * the 3-D hierarchy for each of the ~700 rays of the line, and gives the same
 * path lengths (the tests compare scans of a mesh cube and an analytic box).
 *
 * Robustness: a vertex is "beyond" the plane when x >= x_line, so a triangle
 * with a vertex on the plane is cut consistently by its neighbours, and an
 * edge's crossing point is computed from its endpoints in a fixed order
 * (the near one first), so the two triangles sharing the edge produce the
 * identical point and the section stays closed. Ray hits at a shared
 * section vertex are merged by lc__hits_inside like 3-D edge hits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

/* Point where the edge from a (x < x0) to b (x >= x0) meets the plane x0. */
static void cut(const double *a, const double *b, double x0, double out[2])
{
    double f = (x0 - a[0]) / (b[0] - a[0]);
    out[0] = a[1] + f * (b[1] - a[1]);
    out[1] = a[2] + f * (b[2] - a[2]);
}

bool lc__slice_build(const double *wt, size_t ntris, double x, lc__slice *out)
{
    out->n = 0;
    out->lo[0] = out->lo[1] = INFINITY;
    out->hi[0] = out->hi[1] = -INFINITY;
    for (size_t i = 0; i < ntris; i++) {
        const double *v = &wt[i * 9];
        int above[3];
        int na = 0;
        for (int k = 0; k < 3; k++) {
            above[k] = v[k * 3] >= x;
            na += above[k];
        }
        if (na == 0 || na == 3)
            continue;
        /* The two edges whose ends lie on different sides. */
        double pts[2][2];
        int np = 0;
        for (int k = 0; k < 3 && np < 2; k++) {
            int a = k, b = (k + 1) % 3;
            if (above[a] == above[b])
                continue;
            if (above[a])
                cut(&v[b * 3], &v[a * 3], x, pts[np++]);
            else
                cut(&v[a * 3], &v[b * 3], x, pts[np++]);
        }
        double e1[3] = {v[3] - v[0], v[4] - v[1], v[5] - v[2]};
        double e2[3] = {v[6] - v[0], v[7] - v[1], v[8] - v[2]};
        /* y and z components of the normal e1 x e2. */
        double ny = e1[2] * e2[0] - e1[0] * e2[2];
        double nz = e1[0] * e2[1] - e1[1] * e2[0];
        if (out->n == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 64;
            lc__seg *ns = realloc(out->s, nc * sizeof *ns);
            if (!ns)
                return false;
            out->s = ns;
            out->cap = nc;
        }
        lc__seg *sg = &out->s[out->n++];
        memcpy(sg->p, pts[0], sizeof sg->p);
        memcpy(sg->q, pts[1], sizeof sg->q);
        sg->n[0] = ny;
        sg->n[1] = nz;
        for (int c = 0; c < 2; c++) {
            double lo = fmin(pts[0][c], pts[1][c]), hi = fmax(pts[0][c], pts[1][c]);
            if (lo < out->lo[c])
                out->lo[c] = lo;
            if (hi > out->hi[c])
                out->hi[c] = hi;
        }
    }
    return true;
}

double lc__slice_inside_t(const lc__slice *sl, const double o[2], const double d[2], double t0,
                          double t1, lc__hitbuf *hb)
{
    hb->n = 0;
    const double eps = 1e-10;
    for (size_t i = 0; i < sl->n; i++) {
        const lc__seg *s = &sl->s[i];
        double dn = d[0] * s->n[0] + d[1] * s->n[1];
        if (dn == 0.0)
            continue;
        double e[2] = {s->q[0] - s->p[0], s->q[1] - s->p[1]};
        double den = d[0] * e[1] - d[1] * e[0];
        if (den == 0.0)
            continue;
        double w[2] = {s->p[0] - o[0], s->p[1] - o[1]};
        double u = (w[0] * d[1] - w[1] * d[0]) / den;
        if (u < -eps || u > 1.0 + eps)
            continue;
        double t = (w[0] * e[1] - w[1] * e[0]) / den;
        if (!lc__push_hit(hb, t, dn < 0 ? 1 : -1))
            return -1.0;
    }
    return lc__hits_inside(hb, t0, t1);
}
