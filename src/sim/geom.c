/* SPDX-License-Identifier: Apache-2.0 */
/*
 * geom.c: path lengths of a ray segment through the scene's shapes. Every
 * shape is intersected in its own local frame (the world ray is moved by the
 * inverse rotation and translation; a rigid motion keeps the ray parameter t,
 * so lengths are t-intervals times |d|). Box, cylinder, sphere and ellipsoid
 * are exact closed forms; hollow shapes are the outer solid minus the inner
 * solid shrunk by the wall. Meshes are delegated to mesh.c.
 */
#include <math.h>
#include <string.h>

#include "sim/sim_int.h"

void lc__euler_to_matrix(const double deg[3], double r[9])
{
    const double k = 3.14159265358979323846 / 180.0;
    double cx = cos(deg[0] * k), sx = sin(deg[0] * k);
    double cy = cos(deg[1] * k), sy = sin(deg[1] * k);
    double cz = cos(deg[2] * k), sz = sin(deg[2] * k);
    /* R = Rz * Ry * Rx: rotate about x first, then y, then z (fixed axes). */
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

/* Intersects t in [*t0, *t1] with the slab lo <= o + t d <= hi. Returns false
 * when the interval becomes empty. */
static bool clip_slab(double o, double d, double lo, double hi, double *t0, double *t1)
{
    if (d == 0.0)
        return o >= lo && o <= hi;
    double a = (lo - o) / d, b = (hi - o) / d;
    if (a > b) {
        double tmp = a;
        a = b;
        b = tmp;
    }
    if (a > *t0)
        *t0 = a;
    if (b < *t1)
        *t1 = b;
    return *t1 > *t0;
}

static double box_t(const double o[3], const double d[3], const double h[3])
{
    double t0 = 0.0, t1 = 1.0;
    for (int i = 0; i < 3; i++)
        if (!clip_slab(o[i], d[i], -h[i], h[i], &t0, &t1))
            return 0.0;
    return t1 - t0;
}

/* Solves |(o + t d) / r|^2 <= 1 (axis-aligned ellipsoid with radii r) clipped
 * to t in [0, 1]. Scaling by 1/r keeps t, so this is a unit-sphere test. */
static double ellipsoid_t(const double o[3], const double d[3], const double r[3])
{
    double a = 0, b = 0, c = -1.0;
    for (int i = 0; i < 3; i++) {
        double oi = o[i] / r[i], di = d[i] / r[i];
        a += di * di;
        b += oi * di;
        c += oi * oi;
    }
    if (a <= 0.0)
        return 0.0;
    double disc = b * b - a * c;
    if (disc <= 0.0)
        return 0.0;
    double sq = sqrt(disc);
    /* Numerically stable roots. */
    double q = (b > 0) ? -(b + sq) : -(b - sq);
    double ta, tb;
    if (q != 0.0) {
        ta = q / a;
        tb = c / q;
    } else {
        ta = -sq / a;
        tb = sq / a;
    }
    if (ta > tb) {
        double tmp = ta;
        ta = tb;
        tb = tmp;
    }
    if (ta < 0.0)
        ta = 0.0;
    if (tb > 1.0)
        tb = 1.0;
    return tb > ta ? tb - ta : 0.0;
}

/* Cylinder with its axis along local z: radius r, half height hz. */
static double cylinder_t(const double o[3], const double d[3], double r, double hz)
{
    double t0 = 0.0, t1 = 1.0;
    if (!clip_slab(o[2], d[2], -hz, hz, &t0, &t1))
        return 0.0;
    double a = d[0] * d[0] + d[1] * d[1];
    double b = o[0] * d[0] + o[1] * d[1];
    double c = o[0] * o[0] + o[1] * o[1] - r * r;
    if (a <= 1e-300) { /* ray parallel to the axis */
        return c <= 0.0 ? t1 - t0 : 0.0;
    }
    double disc = b * b - a * c;
    if (disc <= 0.0)
        return 0.0;
    double sq = sqrt(disc);
    double q = (b > 0) ? -(b + sq) : -(b - sq);
    double ta, tb;
    if (q != 0.0) {
        ta = q / a;
        tb = c / q;
    } else {
        ta = -sq / a;
        tb = sq / a;
    }
    if (ta > tb) {
        double tmp = ta;
        ta = tb;
        tb = tmp;
    }
    if (ta > t0)
        t0 = ta;
    if (tb < t1)
        t1 = tb;
    return t1 > t0 ? t1 - t0 : 0.0;
}

static double solid_t(const lc__object *ob, const double o[3], const double d[3], double shrink)
{
    double h[3] = {ob->half[0] - shrink, ob->half[1] - shrink, ob->half[2] - shrink};
    switch (ob->shape) {
    case LC__BOX:
        return box_t(o, d, h);
    case LC__CYLINDER:
        return cylinder_t(o, d, h[0], h[2]);
    case LC__SPHERE:
    case LC__ELLIPSOID:
        return ellipsoid_t(o, d, h);
    case LC__MESH:
        break;
    }
    return 0.0;
}

double lc__object_path(const lc__object *ob, const double s[3], const double d[3], double dlen,
                       lc__hitbuf *hb)
{
    /* Local ray: R^T (s - pos) and R^T d. */
    double rel[3] = {s[0] - ob->pos[0], s[1] - ob->pos[1], s[2] - ob->pos[2]};
    double o[3], dl[3];
    const double *r = ob->rot;
    for (int i = 0; i < 3; i++) {
        o[i] = r[i] * rel[0] + r[3 + i] * rel[1] + r[6 + i] * rel[2];
        dl[i] = r[i] * d[0] + r[3 + i] * d[1] + r[6 + i] * d[2];
    }
    if (ob->shape == LC__MESH) {
        /* Uniform scale: mesh coordinates are local / scale, t unchanged. */
        double inv = 1.0 / ob->scale;
        for (int i = 0; i < 3; i++) {
            o[i] *= inv;
            dl[i] *= inv;
        }
        double t = lc__mesh_inside_t(ob->mesh, o, dl, 0.0, 1.0, hb);
        return t < 0.0 ? t : t * dlen;
    }
    double t = solid_t(ob, o, dl, 0.0);
    if (t > 0.0 && ob->wall > 0.0)
        t -= solid_t(ob, o, dl, ob->wall);
    return t > 0.0 ? t * dlen : 0.0;
}
