/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim_int.h: internals of the simulator module (not API). The scene object
 * (parsed objects with their shapes and world transforms), triangle meshes with
 * their bounding-volume hierarchy, the path-length functions of every shape, the
 * scanner geometry and acquisition settings, and the small deterministic random
 * number generator that makes a run reproducible bit for bit.
 */
#ifndef LUCENT_SIM_INT_H
#define LUCENT_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lucent/sim.h"

/* ---------------------------------------------------------------- limits */

#define LC__SCENE_MAX_BYTES   (16u << 20) /* scene JSON file */
#define LC__SCENE_MAX_OBJECTS 10000
#define LC__STL_MAX_BYTES     (512u << 20)
#define LC__STL_MAX_TRIS      (8u << 20)
#define LC__MAX_SIZE_MM       1.0e5 /* any length in a scene */
#define LC__MAX_POS_MM        1.0e6
#define LC__COMPOSITION_MAX   512

/* ---------------------------------------------------------------- meshes */

typedef struct lc__bvh_node {
    float lo[3], hi[3];
    uint32_t first; /* leaf: first triangle index; inner: index of left child */
    uint32_t count; /* leaf: number of triangles; inner: 0 */
} lc__bvh_node;

/* A triangle mesh in its own (STL) coordinates. Triangles are stored as three
 * vertices each (9 doubles), reordered by the BVH build. */
typedef struct lc__mesh {
    char path[4096];
    size_t ntris;
    double *v; /* 9 * ntris */
    lc__bvh_node *nodes;
    size_t nnodes;
    double lo[3], hi[3]; /* bounds */
} lc__mesh;

/* Parses binary or ASCII STL bytes (the format is told apart by content: a
 * binary file whose triangle count matches its size is binary, otherwise the
 * text must start with "solid"). name is used in error messages. Caller owns
 * *out (lc__mesh_free). Bounds-checked; never reads past len. */
lc_status lc__mesh_parse_stl(const unsigned char *buf, size_t len, const char *name, lc__mesh **out,
                             lc_error *err);
void lc__mesh_free(lc__mesh *m);

/* One hit of a ray with a mesh triangle: parameter t along the ray and +1 when
 * the ray enters (against the triangle's right-hand normal), -1 when it exits. */
typedef struct lc__hit {
    double t;
    int sign;
} lc__hit;

/* Growable scratch buffer of hits; one per thread. */
typedef struct lc__hitbuf {
    lc__hit *h;
    size_t n, cap;
} lc__hitbuf;

/* Length in units of t of the part of the ray o + t d, t in [t0, t1], inside
 * the closed mesh. Hits at equal t with equal orientation (shared edges and
 * vertices) count once; grazing hits (enter and exit at the same t) cancel.
 * Returns a negative value when the scratch buffer cannot grow. */
double lc__mesh_inside_t(const lc__mesh *m, const double o[3], const double d[3], double t0,
                         double t1, lc__hitbuf *hb);

/* Appends a hit; false when the buffer cannot grow. */
bool lc__push_hit(lc__hitbuf *hb, double t, int sign);

/* Sorts the hits in hb, merges equal-orientation hits at the same place and
 * returns the length in t within [t0, t1] where the winding number along the
 * whole line is non-zero. */
double lc__hits_inside(lc__hitbuf *hb, double t0, double t1);

/* The cross-section of a mesh (in world coordinates) with the scan plane
 * x = const: 2-D segments in (y, z) with the outward normal projected from
 * their triangle. Shared edges give bit-identical end points, so the section
 * is as closed as the mesh. */
typedef struct lc__seg {
    double p[2], q[2], n[2];
} lc__seg;

typedef struct lc__slice {
    lc__seg *s;
    size_t n, cap;
    double lo[2], hi[2]; /* bounds of the segments in (y, z) */
} lc__slice;

/* Builds the section of triangles wt (9 doubles each, world frame) with the
 * plane x; vertices on the plane count as beyond it (a symbolic
 * perturbation), so every triangle crosses with exactly two edges or not at
 * all. Returns false when memory runs out. */
bool lc__slice_build(const double *wt, size_t ntris, double x, lc__slice *out);

/* Length in t within [t0, t1] of the 2-D ray o + t d inside the section. */
double lc__slice_inside_t(const lc__slice *sl, const double o[2], const double d[2], double t0,
                          double t1, lc__hitbuf *hb);

/* ---------------------------------------------------------------- scene */

typedef enum lc__shape { LC__BOX = 0, LC__CYLINDER, LC__SPHERE, LC__ELLIPSOID, LC__MESH } lc__shape;

typedef struct lc__object {
    char id[LC_ID_MAX];
    char threat[16];                       /* "" when absent */
    char material[LC_TEXT_MAX];            /* library name, "" when inline */
    char composition[LC__COMPOSITION_MAX]; /* inline composition, "" when named */
    double density;                        /* inline density, g/cm3 */
    lc__shape shape;
    double half[3];       /* box: half extents; ellipsoid: radii; sphere: r,r,r;
                             cylinder: r, r, height/2 */
    double wall;          /* 0 = solid */
    double scale;         /* mesh only */
    const lc__mesh *mesh; /* mesh only; borrowed from the scene's mesh list */
    double pos[3];
    double rot[9];       /* local to world, row-major: world = R * local + pos */
    double lo[3], hi[3]; /* world bounding box */
} lc__object;

struct lc_scene {
    char name[1025]; /* a description: up to 1024 bytes, longer ones are refused */
    char file[256];  /* name used in error messages */
    char path[4096];
    size_t nobjects;
    lc__object *objects;
    size_t nmeshes;
    lc__mesh **meshes;
};

/* Path length in mm of the segment source + t*d, t in [0, 1], inside the
 * object (outer minus inner for hollow shapes). dlen is |d| in mm.
 * Returns a negative value only when scratch memory cannot grow. */
double lc__object_path(const lc__object *ob, const double s[3], const double d[3], double dlen,
                       lc__hitbuf *hb);

/* Euler angles (degrees, about x then y then z) to a row-major rotation
 * matrix R = Rz * Ry * Rx. */
void lc__euler_to_matrix(const double deg[3], double r[9]);

/* ---------------------------------------------------------------- scanner */

#include "lucent/phys.h"

#define LC__MAX_VERTS 16

typedef struct lc__view_geom {
    char label[32];
    double src[2];                 /* source (y, z), mm */
    size_t nvert;                  /* detector polyline vertices (2..LC__MAX_VERTS) */
    double vert[LC__MAX_VERTS][2]; /* (y, z), mm */
} lc__view_geom;

struct lc_scanner {
    lc_tube tube;
    lc_detector_desc det;
    size_t nviews;
    lc__view_geom views[LC_SCAN_MAX_VIEWS];
    double pixel_pitch_mm;  /* along the detector line */
    double pixel_height_mm; /* along the belt (x) */
    double belt_speed_mm_s;
    double line_pitch_mm;        /* belt travel per line; line period = pitch / speed */
    double margin_mm;            /* air before and after the bag */
    int ref_lines;               /* dark and air reference lines per view */
    double air_fraction;         /* air level of the brightest pixel, fraction of full scale */
    double dark_level;           /* mean offset, ADC counts */
    double offset_spread;        /* std. dev. of pixel offsets, ADC counts */
    double gain_spread;          /* std. dev. of pixel gains, relative */
    double electronic_noise;     /* std. dev., ADC counts */
    int dead_pixels, hot_pixels; /* per view */
    uint64_t detector_seed;      /* draws gains, offsets and defective pixels */
};

/* Pixel centres of a view: n pixels at pitch along the polyline, centred on
 * it. pos[2*i] = y, pos[2*i+1] = z; nrm the unit normal of the segment. */
uint32_t lc__view_pixel_count(const lc__view_geom *g, double pitch);
void lc__view_pixels(const lc__view_geom *g, double pitch, uint32_t n, double *pos, double *nrm);

/* ---------------------------------------------------------------- run */

/* One view's detector: pixel centres, flux factors and electronics. */
typedef struct lc__sim_view {
    uint32_t npix;
    double *pos;                 /* 2 per pixel: y, z */
    double *flux;                /* (1 m / r)^2 cos(incidence): photons relative to 1 m, normal */
    double *gain[LC_CHANNELS];   /* ADC counts per keV (0 for a dead pixel) */
    double *offset[LC_CHANNELS]; /* ADC counts */
    double source_detector_mm;
    double beam_angle_deg;
} lc__sim_view;

/* A prepared simulation: resolved materials, the signal model, the
 * detectors, and the belt sampling. Immutable while lines are simulated. */
typedef struct lc__sim {
    const lc_scene *scene;
    const lc_scanner *sc;
    lc_matlib *lib;
    lc_spectrum *spec;
    lc_detector *det;
    lc_signal_model *model;
    uint32_t *obj_mat; /* model material index per object */
    double *obj_rho;   /* density per object, g/cm3 */
    const char **obj_matname;
    double **obj_wt; /* mesh objects: their triangles in the world frame (9 per triangle) */
    size_t nviews;
    lc__sim_view views[LC_SCAN_MAX_VIEWS];
    uint32_t lines;
    double x0;                    /* x of line 0's slice */
    double line_pitch;            /* mm per line; line i samples x0 - i * line_pitch */
    double adc_gain[LC_CHANNELS]; /* ADC counts per keV before pixel gain */
    int noise;
    uint64_t seed;
    double adc_max;
} lc__sim;

lc_status lc__sim_new(const lc_scene *scene, const lc_scanner *sc, const lc_sim_options *opts,
                      lc__sim **out, lc_error *err);
void lc__sim_free(lc__sim *sim);

/* Expected quantum signal of one ray (view v, pixel p, slice at x mm) in ADC
 * counts before offset: mean and variance per channel, computed exactly as a
 * run does (per-line mesh sections included). Sets hit[object] = 1 for each
 * object the ray crosses (hit may be NULL). Returns LC_OK or LC_ERR_NOMEM. */
lc_status lc__sim_ray(const lc__sim *sim, size_t v, uint32_t p, double x, lc_signal *out,
                      uint8_t *hit);

/* ---------------------------------------------------------------- RNG */

/* xoshiro256** seeded by splitmix64: small, fast and fully deterministic. */
typedef struct lc__simrng {
    uint64_t s[4];
    bool have_spare;
    double spare;
} lc__simrng;

/* Seeds a stream from (seed, a, b): distinct triples give independent streams. */
void lc__simrng_seed(lc__simrng *r, uint64_t seed, uint64_t a, uint64_t b);
uint64_t lc__simrng_next(lc__simrng *r);
/* Uniform in (0, 1). */
double lc__simrng_uniform(lc__simrng *r);
/* Standard normal. */
double lc__simrng_normal(lc__simrng *r);
/* Poisson with mean lambda >= 0 (exact for lambda < 30, normal approximation
 * with continuity beyond, where its error is far below the model's). */
double lc__simrng_poisson(lc__simrng *r, double lambda);

#endif
