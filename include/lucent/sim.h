/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lucent/sim.h: the scanner simulator. A scene (DESIGN.md's scene format: a bag
 * as a list of shapes with materials) passes on the belt through a line
 * scanner (a scanner description: views with a point source and a detector
 * line in the y-z plane, the tube and dual-layer detector of phys.h, and the
 * acquisition electronics). The result is a raw scan (lucent/scan.h) with dark
 * and air reference lines, and ground-truth labels: where each object appears
 * in each view.
 *
 * Acquisition model (docs/simulator.md): the belt carries the bag along +x
 * through the fixed scan plane; line i samples the scene slice at
 * x_i = x_max + margin - (i + 1/2) * line_pitch, so the leading edge of the bag
 * appears first (left of the image). For every (view, pixel, line) a ray runs
 * from the source to the pixel centre; per-material path lengths (exact for the
 * analytic shapes; winding-number ray casting for meshes) feed phys's signal
 * model; then quantum noise (compound Poisson, as a scaled Poisson with the
 * model's mean and variance), per-pixel gain and offset, Gaussian electronic
 * noise, dead and hot pixels, and a 16-bit ADC.
 *
 * Thread safety: scenes and scanners are immutable after loading and may be
 * shared by threads; lc_simulate may run concurrently on distinct outputs.
 */
#ifndef LUCENT_SIM_H
#define LUCENT_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "lucent/error.h"
#include "lucent/progress.h"
#include "lucent/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Scenes                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct lc_scene lc_scene;

/* Loads a scene file (DESIGN.md, "Scene format"). Mesh files are read
 * relative to the scene file's folder. Errors name the file, the field and the
 * reason ("bag.json: objects[3].size[1]: must be positive"; JSON syntax errors
 * give line and column). Material names are checked later, by lc_simulate,
 * with the same field naming. Caller owns *out; free with lc_scene_free(). On
 * failure *out is NULL. Returns LC_OK, LC_ERR_IO, LC_ERR_NOT_FOUND (scene or
 * mesh file missing), LC_ERR_FORMAT, LC_ERR_LIMIT, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_scene_load(const char *path, lc_scene **out, lc_error *err);

/* As lc_scene_load, from JSON bytes in memory. name labels error messages
 * (e.g. the file name); base_dir is the folder mesh paths are relative to
 * (NULL: the current folder). json need not be NUL-terminated. */
LC_MUST_CHECK lc_status lc_scene_parse(const char *json, size_t len, const char *name,
                                       const char *base_dir, lc_scene **out, lc_error *err);

/* Frees a scene and its meshes. NULL is a no-op. */
void lc_scene_free(lc_scene *scene);

/* The scene's "name" ("" when absent) and number of objects. */
const char *lc_scene_name(const lc_scene *scene);
size_t lc_scene_object_count(const lc_scene *scene);

/* Object i's id, and its world-frame bounding box in mm (lo[3], hi[3]).
 * The id is borrowed for the scene's life; NULL when i is out of range. */
const char *lc_scene_object_id(const lc_scene *scene, size_t i);
void lc_scene_object_bounds(const lc_scene *scene, size_t i, double lo[3], double hi[3]);

/* ------------------------------------------------------------------------ */
/* Scanners                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct lc_scanner lc_scanner;

/* The default scanner of DESIGN.md: a 600 x 400 mm tunnel; view 0 "bottom"
 * (source below the belt, L-shaped detector along the top and the far side),
 * view 1 "side" (source beside the tunnel, L along the far side and under the
 * belt); 1.6 mm pixels; 160 kVp, 1 mA; CsI 0.3 / Cu 0.3 / CsI 4 mm; belt
 * 200 mm/s; 16-bit ADC. Caller owns *out; free with lc_scanner_free(). */
LC_MUST_CHECK lc_status lc_scanner_new(lc_scanner **out, lc_error *err);

/* Loads a scanner description file (JSON, docs/simulator.md). Sections
 * "tube" and "detector" are phys's (lc_phys_scanner_load); "geometry" and
 * "acquisition" are the simulator's. Absent sections and keys keep the
 * defaults of lc_scanner_new(). Unknown keys, wrong types and values out of
 * range are LC_ERR_FORMAT naming the file and key. Caller owns *out. */
LC_MUST_CHECK lc_status lc_scanner_load(const char *path, lc_scanner **out, lc_error *err);

/* Frees a scanner. NULL is a no-op. */
void lc_scanner_free(lc_scanner *sc);

/* Number of views, and pixels per line of view v (0 when out of range). */
size_t lc_scanner_view_count(const lc_scanner *sc);
uint32_t lc_scanner_pixels(const lc_scanner *sc, size_t v);

/* Pixel pitch along the detector line, mm. */
double lc_scanner_pixel_pitch(const lc_scanner *sc);

/* The geometry of view v in the tunnel cross-section (belt frame, mm): the
 * focal spot (y, z) into src_yz, and for each of the view's
 * lc_scanner_pixels() pixels its centre (y, z) into pos_yz[2p..2p+1] and the
 * unit normal of the detector there into normal_yz (may be NULL). The
 * arrays hold 2 * cap doubles. Returns LC_OK, LC_ERR_ARG (bad view) or
 * LC_ERR_LIMIT (cap smaller than the pixel count). */
LC_MUST_CHECK lc_status lc_scanner_view_geometry(const lc_scanner *sc, size_t v, double src_yz[2],
                                                 double *pos_yz, double *normal_yz, uint32_t cap,
                                                 lc_error *err);

/* ------------------------------------------------------------------------ */
/* Simulation                                                               */
/* ------------------------------------------------------------------------ */

/* Options of one run. Initialise with lc_sim_options_init(). */
typedef struct lc_sim_options {
    uint64_t seed;           /* random stream; equal seeds give equal scans bit for bit */
    int noise;               /* 1 (default): noise; 0: the expected signal, rounded */
    int threads;             /* worker threads; 0 (default): one per online CPU */
    const char *spectrum;    /* NULL (default): the scanner's tube; else "mono:E" or a file */
    lc_progress_fn progress; /* may be NULL */
    void *progress_user;
} lc_sim_options;

/* Fills opts with the defaults above (seed 1). */
void lc_sim_options_init(lc_sim_options *opts);

/* Ground truth of a run: per object its id, material, threat class and its
 * bounding box in each view's image. */
typedef struct lc_sim_labels lc_sim_labels;

/* Simulates the scene in the scanner. Every material named by the scene is
 * resolved in a new material library; an unknown one is LC_ERR_NOT_FOUND
 * naming the field ("objects[2].material: unknown material 'unobtainium'").
 * The result does not depend on opts->threads. On success *scan_out (caller
 * owns; lc_scan_free) and, when labels_out is non-NULL, *labels_out (caller
 * owns; lc_sim_labels_free) are set; on failure both are NULL. Returns LC_OK,
 * LC_ERR_NOT_FOUND, LC_ERR_FORMAT, LC_ERR_ARG, LC_ERR_LIMIT (the bag is too
 * long for LC_SCAN_MAX_LINES lines), LC_ERR_PHYSICS, LC_ERR_IO, LC_ERR_NOMEM. */
LC_MUST_CHECK lc_status lc_simulate(const lc_scene *scene, const lc_scanner *sc,
                                    const lc_sim_options *opts, lc_scan **scan_out,
                                    lc_sim_labels **labels_out, lc_error *err);

/* Frees labels. NULL is a no-op. */
void lc_sim_labels_free(lc_sim_labels *labels);

/* Number of objects, and object i's bounding box in view v: x0, y0 inclusive,
 * x1, y1 exclusive (x along lines, y along pixels). Returns 0 when the object
 * is outside that view's field (or i, v out of range), 1 when box is set. */
size_t lc_sim_labels_count(const lc_sim_labels *labels);
int lc_sim_labels_bbox(const lc_sim_labels *labels, size_t i, size_t v, uint32_t box[4]);

/* The labels as JSON text ({"objects":[{"id","material","threat","views":
 * [{"view":0,"bbox":[x0,y0,x1,y1]}]}]}; "threat" is null when absent). Caller
 * owns *out (free()). */
LC_MUST_CHECK lc_status lc_sim_labels_json(const lc_sim_labels *labels, char **out, lc_error *err);

/* Writes the labels JSON to path (atomically). */
LC_MUST_CHECK lc_status lc_sim_labels_write(const lc_sim_labels *labels, const char *path,
                                            lc_error *err);

/* Writes a quick-look 8-bit grey PNG of view v: the high channel, corrected
 * with the view's dark and air reference lines, log-scaled (white = air,
 * black = attenuation 6 or more). Lines are columns. */
LC_MUST_CHECK lc_status lc_sim_write_png(const lc_scan *scan, size_t v, const char *path,
                                         lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
