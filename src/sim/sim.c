/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim.c: line-scan acquisition. Prepares a run (materials resolved in a
 * material library, the signal model of phys, pixel positions and flux,
 * per-pixel gain, offset and defects drawn from the scanner's detector seed),
 * then simulates every (view, line) as an independent work unit on a pool of
 * threads. Each unit has its own random stream derived from (seed, view,
 * line), so the scan is identical whatever the number of threads.
 *
 * Signal chain per pixel p and channel k (PHYSICS.md):
 *   m = a_pk * f_p * mean_k,  v = a_pk^2 * f_p * var_k     (quantum part, ADC)
 *   S = scaledPoisson(m, v) + offset_pk + N(0, sigma_e^2), rounded, clamped to 16 bit
 * where mean_k, var_k are phys's expected signal and compound-Poisson variance
 * for the ray, f_p = (1 m / r_p)^2 cos(theta_p) the pixel's flux relative to a
 * pixel at 1 m facing the source, and a_pk the ADC gain times the pixel gain.
 * The scaled Poisson draws n ~ Poisson(m^2 / v) and returns n * v / m: the mean
 * and variance of the compound Poisson sum with the discreteness of the
 * effective photon number.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim_int.h"
#include "util/util.h"

void lc_sim_options_init(lc_sim_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->seed = 1;
    opts->noise = 1;
}

void lc__sim_free(lc__sim *sim)
{
    if (!sim)
        return;
    for (size_t v = 0; v < sim->nviews; v++) {
        lc__sim_view *sv = &sim->views[v];
        free(sv->pos);
        free(sv->flux);
        for (int k = 0; k < LC_CHANNELS; k++) {
            free(sv->gain[k]);
            free(sv->offset[k]);
        }
    }
    lc_signal_model_free(sim->model);
    lc_detector_free(sim->det);
    lc_spectrum_free(sim->spec);
    lc_matlib_free(sim->lib);
    free(sim->obj_mat);
    free(sim->obj_rho);
    free((void *)sim->obj_matname);
    if (sim->obj_wt)
        for (size_t i = 0; i < sim->scene->nobjects; i++)
            free(sim->obj_wt[i]);
    free(sim->obj_wt);
    free(sim);
}

/* Resolves every object's material; errors name the field. */
static lc_status resolve_materials(lc__sim *sim, const lc_material ***mats_out, size_t *nmat_out,
                                   lc_error *err)
{
    const lc_scene *sc = sim->scene;
    size_t n = sc->nobjects;
    const lc_material **mats = lc__calloc(n, sizeof *mats);
    sim->obj_mat = lc__calloc(n, sizeof *sim->obj_mat);
    sim->obj_rho = lc__calloc(n, sizeof *sim->obj_rho);
    sim->obj_matname = lc__calloc(n, sizeof *sim->obj_matname);
    if (!mats || !sim->obj_mat || !sim->obj_rho || !sim->obj_matname) {
        free(mats);
        return lc_error_set(err, LC_ERR_NOMEM, "simulate: out of memory");
    }
    size_t nmat = 0;
    for (size_t i = 0; i < n; i++) {
        const lc__object *ob = &sc->objects[i];
        const lc_material *m = NULL;
        lc_error e2;
        lc_status st;
        if (ob->material[0]) {
            st = lc_matlib_get(sim->lib, ob->material, &m, &e2);
            sim->obj_matname[i] = ob->material;
        } else {
            st = lc_matlib_add(sim->lib, NULL, ob->composition, ob->density, NULL, &m, &e2);
            sim->obj_matname[i] = ob->composition;
        }
        if (st != LC_OK) {
            free(mats);
            if (st == LC_ERR_NOT_FOUND)
                return lc_error_set(err, st, "%s: objects[%zu].material: unknown material '%s'",
                                    sc->file, i, ob->material);
            return lc_error_set(err, st, "%s: objects[%zu].material: %s", sc->file, i, e2.msg);
        }
        size_t j = 0;
        while (j < nmat && mats[j] != m)
            j++;
        if (j == nmat)
            mats[nmat++] = m;
        sim->obj_mat[i] = (uint32_t)j;
        sim->obj_rho[i] = lc_material_density(m);
    }
    *mats_out = mats;
    *nmat_out = nmat;
    return LC_OK;
}

static lc_status prepare_view(lc__sim *sim, size_t v, lc_error *err)
{
    const lc_scanner *sc = sim->sc;
    const lc__view_geom *g = &sc->views[v];
    lc__sim_view *sv = &sim->views[v];
    uint32_t n = lc__view_pixel_count(g, sc->pixel_pitch_mm);
    if (n == 0 || n > LC_SCAN_MAX_PIXELS)
        return lc_error_set(err, LC_ERR_ARG, "scanner: view %zu has %u pixels (1..%d allowed)", v,
                            n, LC_SCAN_MAX_PIXELS);
    sv->npix = n;
    sv->pos = lc__mallocn(2 * (size_t)n, sizeof(double));
    double *nrm = lc__mallocn(2 * (size_t)n, sizeof(double));
    sv->flux = lc__mallocn(n, sizeof(double));
    for (int k = 0; k < LC_CHANNELS; k++) {
        sv->gain[k] = lc__mallocn(n, sizeof(double));
        sv->offset[k] = lc__mallocn(n, sizeof(double));
    }
    if (!sv->pos || !nrm || !sv->flux || !sv->gain[0] || !sv->gain[1] || !sv->offset[0] ||
        !sv->offset[1]) {
        free(nrm);
        return lc_error_set(err, LC_ERR_NOMEM, "simulate: out of memory");
    }
    lc__view_pixels(g, sc->pixel_pitch_mm, n, sv->pos, nrm);
    /* Central ray: towards the middle of the 600 x 400 mm tunnel. */
    double cy = 0.0 - g->src[0], cz = 200.0 - g->src[1];
    sv->beam_angle_deg = atan2(cy, cz) * 180.0 / 3.14159265358979323846;
    double best = -2.0;
    for (uint32_t p = 0; p < n; p++) {
        double dy = sv->pos[2 * p] - g->src[0], dz = sv->pos[2 * p + 1] - g->src[1];
        double r = hypot(dy, dz);
        if (r <= 0.0) {
            free(nrm);
            return lc_error_set(err, LC_ERR_ARG, "scanner: view %zu: pixel %u at the source", v, p);
        }
        double c = fabs(nrm[2 * p] * dy + nrm[2 * p + 1] * dz) / r;
        sv->flux[p] = (1000.0 / r) * (1000.0 / r) * c;
        double cosc = (dy * cy + dz * cz) / (r * hypot(cy, cz));
        if (cosc > best) {
            best = cosc;
            sv->source_detector_mm = r;
        }
    }
    free(nrm);
    /* Pixel gains and offsets, dead and hot pixels: properties of the
     * detector, drawn from its own seed, the same in every run. */
    lc__simrng rng;
    lc__simrng_seed(&rng, sc->detector_seed, v, 0xde7ec7u);
    for (uint32_t p = 0; p < n; p++)
        for (int k = 0; k < LC_CHANNELS; k++) {
            double gp = 1.0 + sc->gain_spread * lc__simrng_normal(&rng);
            if (gp < 0.5)
                gp = 0.5;
            double off = sc->dark_level + sc->offset_spread * lc__simrng_normal(&rng);
            sv->gain[k][p] = gp; /* times the ADC gain below */
            sv->offset[k][p] = off < 0 ? 0 : off;
        }
    for (int d = 0; d < sc->dead_pixels + sc->hot_pixels && d < (int)n; d++) {
        uint32_t p = (uint32_t)(lc__simrng_next(&rng) % n);
        for (int k = 0; k < LC_CHANNELS; k++) {
            if (d < sc->dead_pixels)
                sv->gain[k][p] = 0.0;
            else
                sv->offset[k][p] = 0.92 * sim->adc_max;
        }
    }
    return LC_OK;
}

lc_status lc__sim_new(const lc_scene *scene, const lc_scanner *sc, const lc_sim_options *opts,
                      lc__sim **out, lc_error *err)
{
    *out = NULL;
    lc__sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return lc_error_set(err, LC_ERR_NOMEM, "simulate: out of memory");
    sim->scene = scene;
    sim->sc = sc;
    sim->noise = opts->noise;
    sim->seed = opts->seed;
    sim->adc_max = 65535.0;
    sim->nviews = sc->nviews;
    const lc_material **mats = NULL;
    size_t nmat = 0;
    lc_status st = lc_matlib_new(&sim->lib, err);
    if (st == LC_OK)
        st = resolve_materials(sim, &mats, &nmat, err);
    lc_tube tube = sc->tube;
    if (st == LC_OK && opts->spectrum &&
        !lc__strlcpy(tube.spectrum, opts->spectrum, sizeof tube.spectrum))
        st = lc_error_set(err, LC_ERR_ARG, "--spectrum: too long");
    if (st == LC_OK)
        st = lc_tube_spectrum(&tube, &sim->spec, err);
    if (st == LC_OK)
        st = lc_detector_new(sim->lib, &sc->det, &sim->det, err);
    double period = sc->line_pitch_mm / sc->belt_speed_mm_s;
    double photon_scale = tube.ma * period * sc->pixel_pitch_mm * sc->pixel_height_mm;
    if (st == LC_OK && !(photon_scale > 0))
        st = lc_error_set(err, LC_ERR_ARG, "scanner: tube current must be positive");
    if (st == LC_OK)
        st = lc_signal_model_new(sim->spec, sim->det, mats, nmat, photon_scale, &sim->model, err);
    free(mats);
    for (size_t v = 0; st == LC_OK && v < sim->nviews; v++)
        st = prepare_view(sim, v, err);
    if (st != LC_OK) {
        lc__sim_free(sim);
        return st;
    }
    /* ADC gain: the brightest nominal pixel of any view reads air_fraction of
     * full scale (offset included). */
    const lc_signal *air = lc_signal_model_air(sim->model);
    for (int k = 0; k < LC_CHANNELS; k++) {
        double fmax = 0;
        for (size_t v = 0; v < sim->nviews; v++)
            for (uint32_t p = 0; p < sim->views[v].npix; p++)
                if (sim->views[v].flux[p] > fmax)
                    fmax = sim->views[v].flux[p];
        double q = fmax * air->mean[k];
        if (!(q > 0)) {
            lc__sim_free(sim);
            return lc_error_set(err, LC_ERR_PHYSICS,
                                "simulate: the open beam gives no signal in the %s channel",
                                lc_channel_name((lc_channel)k));
        }
        double target = sc->air_fraction * sim->adc_max - sc->dark_level;
        sim->adc_gain[k] = (target > 1 ? target : 1) / q;
        for (size_t v = 0; v < sim->nviews; v++)
            for (uint32_t p = 0; p < sim->views[v].npix; p++)
                sim->views[v].gain[k][p] *= sim->adc_gain[k];
    }
    /* Mesh objects in the world frame, for the per-line sections. */
    sim->obj_wt = lc__calloc(scene->nobjects, sizeof *sim->obj_wt);
    if (!sim->obj_wt) {
        lc__sim_free(sim);
        return lc_error_set(err, LC_ERR_NOMEM, "simulate: out of memory");
    }
    for (size_t i = 0; i < scene->nobjects; i++) {
        const lc__object *ob = &scene->objects[i];
        if (ob->shape != LC__MESH)
            continue;
        size_t nt = ob->mesh->ntris;
        double *wt = lc__mallocn(nt * 9, sizeof *wt);
        if (!wt) {
            lc__sim_free(sim);
            return lc_error_set(err, LC_ERR_NOMEM, "simulate: out of memory");
        }
        for (size_t v = 0; v < nt * 3; v++) {
            const double *l = &ob->mesh->v[v * 3];
            for (int c = 0; c < 3; c++)
                wt[v * 3 + (size_t)c] =
                    ob->scale * (ob->rot[c * 3] * l[0] + ob->rot[c * 3 + 1] * l[1] +
                                 ob->rot[c * 3 + 2] * l[2]) +
                    ob->pos[c];
        }
        sim->obj_wt[i] = wt;
    }
    /* Belt sampling. */
    double xlo = 0, xhi = 0;
    for (size_t i = 0; i < scene->nobjects; i++) {
        if (i == 0 || scene->objects[i].lo[0] < xlo)
            xlo = scene->objects[i].lo[0];
        if (i == 0 || scene->objects[i].hi[0] > xhi)
            xhi = scene->objects[i].hi[0];
    }
    sim->line_pitch = sc->line_pitch_mm;
    double nl = ceil((xhi - xlo + 2 * sc->margin_mm) / sim->line_pitch);
    if (nl < 1)
        nl = 1;
    if (nl > LC_SCAN_MAX_LINES) {
        lc__sim_free(sim);
        return lc_error_set(err, LC_ERR_LIMIT,
                            "simulate: the bag needs %.0f lines, more than %d (bag too long "
                            "or line pitch too fine)",
                            nl, LC_SCAN_MAX_LINES);
    }
    sim->lines = (uint32_t)nl;
    double mid = 0.5 * (xlo + xhi);
    sim->x0 = mid + 0.5 * (nl - 1) * sim->line_pitch;
    *out = sim;
    return LC_OK;
}

/* Does the segment s + t d, t in [0,1], in the y-z plane meet the box? */
static bool seg_box_2d(double sy, double sz, double dy, double dz, const double lo[3],
                       const double hi[3])
{
    double t0 = 0, t1 = 1;
    double o[2] = {sy, sz}, d[2] = {dy, dz}, l[2] = {lo[1], lo[2]}, h[2] = {hi[1], hi[2]};
    for (int c = 0; c < 2; c++) {
        if (d[c] == 0) {
            if (o[c] < l[c] || o[c] > h[c])
                return false;
            continue;
        }
        double a = (l[c] - o[c]) / d[c], b = (h[c] - o[c]) / d[c];
        if (a > b) {
            double tmp = a;
            a = b;
            b = tmp;
        }
        if (a > t0)
            t0 = a;
        if (b < t1)
            t1 = b;
        if (t0 > t1)
            return false;
    }
    return true;
}

/* The last ray's signal at one pixel, keyed by its (material, areal
 * density) list. Slices of boxes and of cylinders lying along the belt are
 * the same from line to line, so consecutive lines often repeat a key
 * exactly; the signal model is a pure function, so reusing its result changes
 * nothing, bit for bit. */
#define CACHE_PAIRS 8
typedef struct cache_entry {
    uint32_t n; /* pairs; UINT32_MAX = empty */
    uint32_t idx[CACHE_PAIRS];
    double areal[CACHE_PAIRS];
    lc_signal sig;
} cache_entry;

/* Per-thread scratch of a ray evaluation. */
typedef struct scratch {
    lc__hitbuf hb;
    uint32_t *idx;
    double *areal;
    size_t *active; /* objects whose x-range contains the current slice */
    size_t nslices; /* entries of slices */
    size_t nactive;
    lc__slice *slices; /* per object: a mesh's section with the current line's plane */
} scratch;

static lc_status ray_eval(const lc__sim *sim, size_t v, uint32_t p, double x, const size_t *act,
                          size_t nact, scratch *w, lc_signal *out, uint8_t *hit, cache_entry *ce)
{
    const lc__view_geom *g = &sim->sc->views[v];
    const lc__sim_view *sv = &sim->views[v];
    double s[3] = {x, g->src[0], g->src[1]};
    double d[3] = {0.0, sv->pos[2 * p] - g->src[0], sv->pos[2 * p + 1] - g->src[1]};
    double dlen = hypot(d[1], d[2]);
    size_t n = 0;
    for (size_t a = 0; a < nact; a++) {
        size_t i = act[a];
        const lc__object *ob = &sim->scene->objects[i];
        if (!seg_box_2d(s[1], s[2], d[1], d[2], ob->lo, ob->hi))
            continue;
        double l;
        if (ob->shape == LC__MESH && w->slices) {
            const lc__slice *sl = &w->slices[i];
            if (sl->n == 0 ||
                !seg_box_2d(s[1], s[2], d[1], d[2], (const double[3]){0, sl->lo[0], sl->lo[1]},
                            (const double[3]){0, sl->hi[0], sl->hi[1]}))
                continue;
            double o2[2] = {s[1], s[2]}, d2[2] = {d[1], d[2]};
            l = lc__slice_inside_t(sl, o2, d2, 0.0, 1.0, &w->hb);
            l = l < 0 ? -1.0 : l * dlen;
        } else {
            l = lc__object_path(ob, s, d, dlen, &w->hb);
        }
        if (l < 0)
            return LC_ERR_NOMEM;
        if (l > 0) {
            w->idx[n] = sim->obj_mat[i];
            w->areal[n] = sim->obj_rho[i] * l * 0.1; /* g/cm3 * cm */
            n++;
            if (hit)
                hit[i] = 1;
        }
    }
    lc_signal sig;
    if (n == 0) {
        sig = *lc_signal_model_air(sim->model);
    } else if (ce && ce->n == n && memcmp(ce->idx, w->idx, n * sizeof *w->idx) == 0 &&
               memcmp(ce->areal, w->areal, n * sizeof *w->areal) == 0) {
        sig = ce->sig;
    } else {
        (void)lc_signal_model_eval(sim->model, n, w->idx, w->areal, &sig);
        if (ce && n <= CACHE_PAIRS) {
            ce->n = (uint32_t)n;
            memcpy(ce->idx, w->idx, n * sizeof *w->idx);
            memcpy(ce->areal, w->areal, n * sizeof *w->areal);
            ce->sig = sig;
        }
    }
    double f = sv->flux[p];
    for (int k = 0; k < LC_CHANNELS; k++) {
        double a = sv->gain[k][p];
        out->mean[k] = a * f * sig.mean[k];
        out->var[k] = a * a * f * sig.var[k];
    }
    return LC_OK;
}

/* The objects whose x-range holds the slice x, and the sections of the
 * meshes among them. Returns false when memory runs out. */
static bool set_line(const lc__sim *sim, scratch *w, double x)
{
    w->nactive = 0;
    for (size_t i = 0; i < sim->scene->nobjects; i++) {
        const lc__object *ob = &sim->scene->objects[i];
        if (x < ob->lo[0] || x > ob->hi[0])
            continue;
        w->active[w->nactive++] = i;
        if (ob->shape == LC__MESH &&
            !lc__slice_build(sim->obj_wt[i], ob->mesh->ntris, x, &w->slices[i]))
            return false;
    }
    return true;
}

static bool scratch_init(scratch *w, size_t nobj)
{
    memset(w, 0, sizeof *w);
    w->idx = lc__mallocn(nobj + 1, sizeof *w->idx);
    w->areal = lc__mallocn(nobj + 1, sizeof *w->areal);
    w->active = lc__mallocn(nobj + 1, sizeof *w->active);
    w->slices = lc__calloc(nobj + 1, sizeof *w->slices);
    w->nslices = nobj + 1;
    return w->idx && w->areal && w->active && w->slices;
}

static void scratch_free(scratch *w)
{
    free(w->hb.h);
    free(w->idx);
    free(w->areal);
    free(w->active);
    if (w->slices)
        for (size_t i = 0; i < w->nslices; i++)
            free(w->slices[i].s);
    free(w->slices);
}

lc_status lc__sim_ray(const lc__sim *sim, size_t v, uint32_t p, double x, lc_signal *out,
                      uint8_t *hit)
{
    scratch w;
    size_t nobj = sim->scene->nobjects;
    if (!scratch_init(&w, nobj)) {
        scratch_free(&w);
        return LC_ERR_NOMEM;
    }
    if (!set_line(sim, &w, x)) {
        scratch_free(&w);
        return LC_ERR_NOMEM;
    }
    lc_status st = ray_eval(sim, v, p, x, w.active, w.nactive, &w, out, hit, NULL);
    scratch_free(&w);
    return st;
}

/* Final sample value: noise (if on), offset, electronic noise, ADC. */
static uint16_t sample(const lc__sim *sim, double m, double var, double offset, lc__simrng *rng)
{
    double s;
    if (sim->noise) {
        double q = 0.0;
        if (m > 0 && var > 0) {
            double scale = var / m;
            q = lc__simrng_poisson(rng, m / scale) * scale;
        }
        s = q + offset + sim->sc->electronic_noise * lc__simrng_normal(rng);
    } else {
        s = m + offset;
    }
    s = floor(s + 0.5);
    if (!(s > 0))
        return 0;
    if (s > sim->adc_max)
        return (uint16_t)sim->adc_max;
    return (uint16_t)s;
}

/* ---------------------------------------------------------------- workers */

typedef struct job {
    const lc__sim *sim;
    lc_scan *scan;
    pthread_mutex_t mu;
    size_t next, total; /* work units: view * nblocks + block of LINE_BLOCK lines */
    size_t nblocks;
    size_t done;
    lc_status status;
    uint32_t *bbox; /* merged: per object, per view: x0 y0 x1 y1 */
} job;

typedef struct worker {
    job *j;
    scratch w;
    cache_entry *cache; /* one per pixel of the view being simulated */
    uint8_t *hit;
    uint32_t *bbox;
    lc_status status;
} worker;

static void bbox_add(uint32_t *b, uint32_t x, uint32_t y)
{
    if (x < b[0])
        b[0] = x;
    if (y < b[1])
        b[1] = y;
    if (x + 1 > b[2])
        b[2] = x + 1;
    if (y + 1 > b[3])
        b[3] = y + 1;
}

#define LINE_BLOCK 16

/* Simulates one line of one view. */
static lc_status run_line(worker *wk, size_t v, uint32_t line)
{
    const lc__sim *sim = wk->j->sim;
    lc_view *view = lc_scan_view(wk->j->scan, v);
    const lc__sim_view *sv = &sim->views[v];
    uint32_t lines = sim->lines;
    uint16_t *pl[LC_CHANNELS] = {lc_view_plane(view, LC_HIGH), lc_view_plane(view, LC_LOW)};
    double x = sim->x0 - line * sim->line_pitch;
    size_t nobj = sim->scene->nobjects;
    if (!set_line(sim, &wk->w, x))
        return LC_ERR_NOMEM;
    lc__simrng rng;
    lc__simrng_seed(&rng, sim->seed, v, line);
    for (uint32_t p = 0; p < sv->npix; p++) {
        lc_signal q;
        if (wk->w.nactive)
            memset(wk->hit, 0, nobj);
        lc_status st =
            ray_eval(sim, v, p, x, wk->w.active, wk->w.nactive, &wk->w, &q, wk->hit, &wk->cache[p]);
        if (st != LC_OK)
            return st;
        for (size_t a = 0; a < wk->w.nactive; a++) {
            size_t i = wk->w.active[a];
            if (wk->hit[i])
                bbox_add(&wk->bbox[(i * sim->nviews + v) * 4], line, p);
        }
        for (int k = 0; k < LC_CHANNELS; k++)
            pl[k][(size_t)p * lines + line] =
                sample(sim, q.mean[k], q.var[k], sv->offset[k][p], &rng);
    }
    return LC_OK;
}

/* A work unit: a block of consecutive lines of one view, so the per-pixel
 * cache sees line after line. */
static lc_status run_unit(worker *wk, size_t unit)
{
    const lc__sim *sim = wk->j->sim;
    size_t v = unit / wk->j->nblocks;
    uint32_t first = (uint32_t)(unit % wk->j->nblocks) * LINE_BLOCK;
    for (uint32_t p = 0; p < sim->views[v].npix; p++)
        wk->cache[p].n = UINT32_MAX;
    for (uint32_t l = first; l < first + LINE_BLOCK && l < sim->lines; l++) {
        lc_status st = run_line(wk, v, l);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

static void *worker_main(void *arg)
{
    worker *wk = arg;
    job *j = wk->j;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        if (j->status != LC_OK || j->next >= j->total) {
            pthread_mutex_unlock(&j->mu);
            break;
        }
        size_t unit = j->next++;
        pthread_mutex_unlock(&j->mu);
        lc_status st = run_unit(wk, unit);
        pthread_mutex_lock(&j->mu);
        j->done++;
        if (st != LC_OK && j->status == LC_OK)
            j->status = st;
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

static void fill_refs(const lc__sim *sim, lc_view *view, size_t v, int nref)
{
    const lc__sim_view *sv = &sim->views[v];
    const lc_signal *air = lc_signal_model_air(sim->model);
    for (int kind = 0; kind < 2; kind++) {
        for (int k = 0; k < LC_CHANNELS; k++) {
            uint16_t *r = lc_view_ref(view, (lc_ref_kind)kind, (lc_channel)k);
            for (int l = 0; l < nref; l++) {
                lc__simrng rng;
                lc__simrng_seed(&rng, sim->seed, v,
                                0x100000000ull + (uint64_t)kind * 0x10000u + (uint64_t)k * 0x1000u +
                                    (uint64_t)l);
                for (uint32_t p = 0; p < sv->npix; p++) {
                    double m = 0, var = 0;
                    if (kind == LC_REF_AIR) {
                        double a = sv->gain[k][p], f = sv->flux[p];
                        m = a * f * air->mean[k];
                        var = a * a * f * air->var[k];
                    }
                    r[(size_t)p * (size_t)nref + (size_t)l] =
                        sample(sim, m, var, sv->offset[k][p], &rng);
                }
            }
        }
    }
}

static long online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 256 ? 256 : n);
}

/* ---------------------------------------------------------------- labels */

typedef struct lc__label {
    char id[LC_ID_MAX];
    char material[LC__COMPOSITION_MAX];
    char threat[16];
} lc__label;

struct lc_sim_labels {
    size_t n, nviews;
    lc__label *obj;
    uint32_t *box; /* n * nviews * 4; x1 == 0 means absent */
};

void lc_sim_labels_free(lc_sim_labels *labels)
{
    if (!labels)
        return;
    free(labels->obj);
    free(labels->box);
    free(labels);
}

size_t lc_sim_labels_count(const lc_sim_labels *labels)
{
    return labels ? labels->n : 0;
}

int lc_sim_labels_bbox(const lc_sim_labels *labels, size_t i, size_t v, uint32_t box[4])
{
    if (!labels || i >= labels->n || v >= labels->nviews)
        return 0;
    const uint32_t *b = &labels->box[(i * labels->nviews + v) * 4];
    if (b[2] == 0)
        return 0;
    memcpy(box, b, 4 * sizeof *b);
    return 1;
}

const char *lc__labels_id(const lc_sim_labels *l, size_t i);
const char *lc__labels_material(const lc_sim_labels *l, size_t i);
const char *lc__labels_threat(const lc_sim_labels *l, size_t i);
size_t lc__labels_views(const lc_sim_labels *l);

const char *lc__labels_id(const lc_sim_labels *l, size_t i)
{
    return l->obj[i].id;
}
const char *lc__labels_material(const lc_sim_labels *l, size_t i)
{
    return l->obj[i].material;
}
const char *lc__labels_threat(const lc_sim_labels *l, size_t i)
{
    return l->obj[i].threat;
}
size_t lc__labels_views(const lc_sim_labels *l)
{
    return l->nviews;
}

/* ---------------------------------------------------------------- run */

static lc_status make_scan(const lc__sim *sim, lc_scan **out, lc_error *err)
{
    const lc_scanner *sc = sim->sc;
    lc_scan_info info;
    lc_scan_info_init(&info);
    lc__strlcpy(info.manufacturer, "lucent", sizeof info.manufacturer);
    lc__strlcpy(info.model, "lucent simulator", sizeof info.model);
    lc_detector_describe(sim->det, info.detector, sizeof info.detector);
    info.kvp = sc->tube.kvp;
    info.tube_ma = sc->tube.ma;
    info.pixel_pitch_mm = sc->pixel_pitch_mm;
    info.belt_speed_mm_s = sc->belt_speed_mm_s;
    info.line_period_s = sc->line_pitch_mm / sc->belt_speed_mm_s;
    info.bits_stored = 16;
    double air = sc->air_fraction * sim->adc_max;
    info.air_value = (uint16_t)(air > 65535 ? 65535 : air);
    lc_status st = lc_scan_new(&info, out, err);
    for (size_t v = 0; st == LC_OK && v < sim->nviews; v++) {
        lc_view_info vi;
        lc_view_info_init(&vi);
        lc__strlcpy(vi.label, sc->views[v].label, sizeof vi.label);
        vi.source_mm[0] = 0.0;
        vi.source_mm[1] = sc->views[v].src[0];
        vi.source_mm[2] = sc->views[v].src[1];
        vi.beam_angle_deg = sim->views[v].beam_angle_deg;
        vi.source_detector_mm = sim->views[v].source_detector_mm;
        lc_view *view = NULL;
        st = lc_scan_add_view(*out, &vi, sim->lines, sim->views[v].npix, &view, err);
        if (st == LC_OK)
            st = lc_view_alloc_ref(view, LC_REF_DARK, (uint32_t)sc->ref_lines, err);
        if (st == LC_OK)
            st = lc_view_alloc_ref(view, LC_REF_AIR, (uint32_t)sc->ref_lines, err);
        if (st == LC_OK)
            fill_refs(sim, view, v, sc->ref_lines);
    }
    if (st != LC_OK) {
        lc_scan_free(*out);
        *out = NULL;
    }
    return st;
}

lc_status lc_simulate(const lc_scene *scene, const lc_scanner *sc, const lc_sim_options *opts,
                      lc_scan **scan_out, lc_sim_labels **labels_out, lc_error *err)
{
    if (scan_out)
        *scan_out = NULL;
    if (labels_out)
        *labels_out = NULL;
    if (!scene || !sc || !scan_out)
        return lc_error_set(err, LC_ERR_ARG, "lc_simulate: NULL argument");
    lc_sim_options defaults;
    if (!opts) {
        lc_sim_options_init(&defaults);
        opts = &defaults;
    }
    lc__sim *sim = NULL;
    lc_status st = lc__sim_new(scene, sc, opts, &sim, err);
    if (st != LC_OK)
        return st;
    lc_scan *scan = NULL;
    st = make_scan(sim, &scan, err);
    if (st != LC_OK) {
        lc__sim_free(sim);
        return st;
    }
    size_t nobj = scene->nobjects, nv = sim->nviews;
    size_t nbox = nobj * nv * 4;
    long nthreads = opts->threads > 0 ? opts->threads : online_cpus();
    if (nthreads > 256)
        nthreads = 256;
    size_t nblocks = (sim->lines + LINE_BLOCK - 1) / LINE_BLOCK;
    uint32_t maxpix = 0;
    for (size_t v = 0; v < nv; v++)
        if (sim->views[v].npix > maxpix)
            maxpix = sim->views[v].npix;
    job j = {.sim = sim, .scan = scan, .total = nv * nblocks, .nblocks = nblocks, .status = LC_OK};
    worker *wk = lc__calloc((size_t)nthreads, sizeof *wk);
    j.bbox = lc__mallocn(nbox + 1, sizeof(uint32_t));
    bool mu_ok = wk && j.bbox && pthread_mutex_init(&j.mu, NULL) == 0;
    bool ok = mu_ok;
    long nw = 0;
    for (; ok && nw < nthreads; nw++) {
        wk[nw].j = &j;
        wk[nw].hit = lc__calloc(nobj + 1, 1);
        wk[nw].bbox = lc__mallocn(nbox + 1, sizeof(uint32_t));
        wk[nw].cache = lc__mallocn(maxpix, sizeof(cache_entry));
        if (!scratch_init(&wk[nw].w, nobj) || !wk[nw].hit || !wk[nw].bbox || !wk[nw].cache) {
            ok = false;
            nw++;
            break;
        }
        for (size_t b = 0; b < nbox; b += 4) {
            wk[nw].bbox[b] = wk[nw].bbox[b + 1] = UINT32_MAX;
            wk[nw].bbox[b + 2] = wk[nw].bbox[b + 3] = 0;
        }
    }
    if (!ok) {
        st = lc_error_set(err, LC_ERR_NOMEM, "simulate: out of memory");
    } else {
        pthread_t *tid = lc__calloc((size_t)nthreads, sizeof *tid);
        long started = 0;
        if (tid)
            for (long t = 1; t < nthreads; t++) {
                if (pthread_create(&tid[t], NULL, worker_main, &wk[t]) != 0)
                    break;
                started = t;
            }
        /* The calling thread works too, and reports progress between units. */
        for (;;) {
            pthread_mutex_lock(&j.mu);
            bool more = j.status == LC_OK && j.next < j.total;
            size_t unit = j.next;
            if (more)
                j.next++;
            double frac = (double)j.done / (double)j.total;
            pthread_mutex_unlock(&j.mu);
            if (!more)
                break;
            if (opts->progress && (unit % 4) == 0)
                opts->progress(opts->progress_user, frac);
            lc_status s2 = run_unit(&wk[0], unit);
            pthread_mutex_lock(&j.mu);
            j.done++;
            if (s2 != LC_OK && j.status == LC_OK)
                j.status = s2;
            pthread_mutex_unlock(&j.mu);
        }
        for (long t = 1; t <= started; t++)
            pthread_join(tid[t], NULL);
        free(tid);
        if (opts->progress)
            opts->progress(opts->progress_user, 1.0);
        if (j.status != LC_OK)
            st = lc_error_set(err, j.status, "simulate: out of memory");
    }
    if (mu_ok)
        pthread_mutex_destroy(&j.mu);
    lc_sim_labels *lab = NULL;
    if (st == LC_OK && labels_out) {
        lab = calloc(1, sizeof *lab);
        if (lab) {
            lab->n = nobj;
            lab->nviews = nv;
            lab->obj = lc__calloc(nobj, sizeof *lab->obj);
            lab->box = lc__calloc(nbox + 1, sizeof(uint32_t));
        }
        if (!lab || !lab->obj || !lab->box) {
            st = lc_error_set(err, LC_ERR_NOMEM, "simulate: out of memory");
        } else {
            for (size_t b = 0; b < nbox; b += 4) {
                uint32_t m[4] = {UINT32_MAX, UINT32_MAX, 0, 0};
                for (long t = 0; t < nw; t++) {
                    const uint32_t *wb = &wk[t].bbox[b];
                    if (wb[2] == 0)
                        continue;
                    m[0] = wb[0] < m[0] ? wb[0] : m[0];
                    m[1] = wb[1] < m[1] ? wb[1] : m[1];
                    m[2] = wb[2] > m[2] ? wb[2] : m[2];
                    m[3] = wb[3] > m[3] ? wb[3] : m[3];
                }
                if (m[2] == 0)
                    m[0] = m[1] = 0;
                memcpy(&lab->box[b], m, sizeof m);
            }
            for (size_t i = 0; i < nobj; i++) {
                lc__strlcpy(lab->obj[i].id, scene->objects[i].id, sizeof lab->obj[i].id);
                lc__strlcpy(lab->obj[i].material, sim->obj_matname[i], sizeof lab->obj[i].material);
                lc__strlcpy(lab->obj[i].threat, scene->objects[i].threat,
                            sizeof lab->obj[i].threat);
            }
        }
    }
    for (long t = 0; t < nw; t++) {
        scratch_free(&wk[t].w);
        free(wk[t].cache);
        free(wk[t].hit);
        free(wk[t].bbox);
    }
    free(wk);
    free(j.bbox);
    lc__sim_free(sim);
    if (st != LC_OK) {
        lc_sim_labels_free(lab);
        lc_scan_free(scan);
        return st;
    }
    *scan_out = scan;
    if (labels_out)
        *labels_out = lab;
    return LC_OK;
}
