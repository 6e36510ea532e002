/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.c: the demo feeder of `lucent station --demo`. It stands in for the
 * scanner (and for the corpus generator of issue 5, which will replace it
 * behind the same lc__feeder interface): a background thread builds random
 * bags (a suitcase shell with everyday items placed in a grid of cells so
 * they do not overlap; optionally one real threat) or picks a scene file from
 * cfg->scenes_dir, simulates them with the sim module, and queues the raw
 * scans. next() hands out a fresh bag when one is ready; when the simulator
 * is slower than the configured rate it hands out a recent bag mirrored along
 * the belt, so the station still runs at the rate it was asked for.
 */
#define _DEFAULT_SOURCE /* DT_REG via dirent */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lucent/sim.h"
#include "station/station_int.h"
#include "util/util.h"

uint64_t lc__rand(uint64_t *state)
{
    /* splitmix64 (Steele, Lea, Flood 2014). */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double lc__randu(uint64_t *state)
{
    return (double)(lc__rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

static double uni(uint64_t *r, double lo, double hi)
{
    return lo + (hi - lo) * lc__randu(r);
}

/* ----------------------------------------------------------- scene maker */

typedef struct item_kind {
    const char *id, *material, *shape;
    double size[3]; /* box: full sizes; cylinder: radius, height, wall */
} item_kind;

/* Everyday contents, sized to fit a cell of about 180 x 170 x 80 mm. */
static const item_kind items[] = {
    {"clothes", "cotton_clothing", "box", {170, 160, 70}},
    {"book", "cellulose", "box", {150, 110, 30}},
    {"bottle", "water", "cylinder", {35, 160, 0}},
    {"tablet", "aluminium", "box", {170, 120, 8}},
    {"shoe", "leather", "box", {170, 80, 70}},
    {"chocolate", "chocolate", "box", {120, 60, 15}},
    {"cheese", "cheese", "box", {100, 80, 50}},
    {"cable", "copper", "cylinder", {2, 150, 0}},
    {"power_bank", "lithium_ion_cell", "box", {100, 60, 20}},
    {"umbrella", "steel", "cylinder", {6, 170, 0}},
    {"honey", "honey", "cylinder", {35, 80, 0}},
    {"glass_jar", "glass", "cylinder", {40, 90, 3}},
};
#define NITEMS (sizeof items / sizeof items[0])

static const item_kind threats[] = {
    {"knife", "stainless_steel", "box", {170, 25, 2.5}},
    {"explosive", "semtex", "box", {140, 90, 30}},
    {"explosive", "tnt", "box", {120, 80, 40}},
    {"gun_barrel", "steel", "box", {120, 25, 30}},
};
#define NTHREATS (sizeof threats / sizeof threats[0])

static json_t *vec3(double a, double b, double c)
{
    return json_pack("[f,f,f]", a, b, c);
}

static json_t *make_object(const item_kind *k, int n, double cx, double cy, double cz, double rotz,
                           const char *threat)
{
    char id[48];
    snprintf(id, sizeof id, "%s_%d", k->id, n);
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", id, "shape", k->shape, "material", k->material);
    if (!o)
        return NULL;
    if (strcmp(k->shape, "box") == 0) {
        json_object_set_new(o, "size", vec3(k->size[0], k->size[1], k->size[2]));
        json_object_set_new(o, "rotation", vec3(0, 0, rotz));
    } else {
        json_object_set_new(o, "radius", json_real(k->size[0]));
        json_object_set_new(o, "height", json_real(k->size[1]));
        if (k->size[2] > 0)
            json_object_set_new(o, "wall", json_real(k->size[2]));
        /* Lying down, along the belt or across it. */
        json_object_set_new(o, "rotation", vec3(0, 90, rotz));
    }
    json_object_set_new(o, "position", vec3(cx, cy, cz));
    if (threat)
        json_object_set_new(o, "threat", json_string(threat));
    return o;
}

lc_status lc__demo_scene_json(uint64_t *rng, double threat_share, char **json, int *threat,
                              lc_error *err)
{
    *json = NULL;
    *threat = 0;
    /* Shell: 3 x 2 x 2 cells of 200 x 190 x 95 mm inside a 3 mm shell. */
    const double cx = 200, cy = 190, cz = 95, wall = 3;
    double L = 3 * cx + 2 * wall + 20, W = 2 * cy + 2 * wall + 10, H = 2 * cz + 2 * wall + 10;
    double x0 = 40; /* gap before the bag on the belt */
    json_t *root = json_pack("{s:i, s:s}", "lucent_scene", 1, "name", "demo suitcase");
    json_t *objs = json_array();
    if (!root || !objs) {
        json_decref(root), json_decref(objs);
        return lc_error_set(err, LC_ERR_NOMEM, "demo: out of memory");
    }
    json_object_set_new(root, "objects", objs);
    json_t *shell = json_pack("{s:s, s:s, s:o, s:f, s:o, s:s}", "id", "shell", "shape", "box",
                              "size", vec3(L, W, H), "wall", wall, "position",
                              vec3(x0 + L / 2, 0, H / 2), "material", "polypropylene");
    json_array_append_new(objs, shell);

    int cells[12];
    for (int i = 0; i < 12; i++)
        cells[i] = i;
    for (int i = 11; i > 0; i--) { /* shuffle */
        int j = (int)(lc__rand(rng) % (uint64_t)(i + 1));
        int t = cells[i];
        cells[i] = cells[j], cells[j] = t;
    }
    int nitems = 3 + (int)(lc__rand(rng) % 7);
    int with_threat = lc__randu(rng) < threat_share;
    for (int i = 0; i < nitems + with_threat; i++) {
        int c = cells[i];
        int ix = c % 3, iy = (c / 3) % 2, iz = c / 6;
        double px = x0 + wall + 10 + cx * (ix + 0.5) + uni(rng, -8, 8);
        double py = -W / 2 + wall + 5 + cy * (iy + 0.5) + uni(rng, -6, 6);
        double pz = wall + 5 + cz * (iz + 0.5);
        const item_kind *k;
        const char *tclass = NULL;
        if (i == nitems) {
            k = &threats[lc__rand(rng) % NTHREATS];
            tclass = strcmp(k->id, "explosive") == 0 ? "explosive" : "weapon";
        } else {
            k = &items[lc__rand(rng) % NITEMS];
        }
        /* Small turns keep items inside their cell; cylinders lie along x. */
        double rot = strcmp(k->shape, "box") == 0 ? uni(rng, -8, 8) : uni(rng, -6, 6);
        json_t *o = make_object(k, i, px, py, pz, rot, tclass);
        if (o)
            json_array_append_new(objs, o);
    }
    *threat = with_threat;
    *json = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!*json)
        return lc_error_set(err, LC_ERR_NOMEM, "demo: out of memory");
    return LC_OK;
}

/* ---------------------------------------------------------------- feeder */

#define QCAP 4 /* simulated bags waiting */
#define POOL 8 /* recent bags kept for reuse */

typedef struct demo {
    lc_station_config cfg;
    lc_scanner *scanner;
    pthread_t thread;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    lc__feed_item q[QCAP];
    int qn;
    lc_scan *pool[POOL];
    int pool_gt[POOL];
    int pooln, pool_next;
    uint64_t rng;
    char **scenes; /* paths of scene files */
    size_t nscenes;
} demo;

/* Scene files in a folder (*.json), for variety next to the generated bags. */
static void list_scenes(demo *d)
{
    if (!d->cfg.scenes_dir[0])
        return;
    DIR *dir = opendir(d->cfg.scenes_dir);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char **nv = realloc(d->scenes, (d->nscenes + 1) * sizeof *nv);
        if (!nv)
            break;
        d->scenes = nv;
        size_t plen = strlen(d->cfg.scenes_dir) + n + 2;
        char *p = malloc(plen);
        if (!p)
            break;
        snprintf(p, plen, "%s/%s", d->cfg.scenes_dir, e->d_name);
        d->scenes[d->nscenes++] = p;
    }
    closedir(dir);
}

/* Simulates one bag; returns LC_OK with item filled. */
static lc_status simulate_one(demo *d, uint64_t *rng, lc__feed_item *item, lc_error *err)
{
    memset(item, 0, sizeof *item);
    lc_scene *scene = NULL;
    lc_status s;
    int threat = 0;
    if (d->nscenes > 0 && lc__randu(rng) < 0.3) {
        const char *path = d->scenes[lc__rand(rng) % d->nscenes];
        s = lc_scene_load(path, &scene, err);
        threat = -1; /* known below from the labels */
        /* a long description is cut for the log, and says so */
        if (s == LC_OK && !lc__strlcpy(item->name, lc_scene_name(scene), sizeof item->name)) {
            lc__strlcpy(item->name, lc_scene_name(scene), sizeof item->name - 3);
            memcpy(item->name + strlen(item->name), "\u2026", sizeof "\u2026");
        }
    } else {
        char *json = NULL;
        s = lc__demo_scene_json(rng, d->cfg.threat_share, &json, &threat, err);
        if (s == LC_OK)
            s = lc_scene_parse(json, strlen(json), "demo bag", NULL, &scene, err);
        free(json);
        snprintf(item->name, sizeof item->name, "demo suitcase%s", threat ? " (threat)" : "");
    }
    if (s != LC_OK)
        return s;
    lc_sim_options opt;
    lc_sim_options_init(&opt);
    opt.seed = lc__rand(rng) | 1;
    opt.threads = d->cfg.sim_threads > 0 ? d->cfg.sim_threads : 1;
    lc_sim_labels *labels = NULL;
    s = lc_simulate(scene, d->scanner, &opt, &item->scan, &labels, err);
    lc_scene_free(scene);
    if (s == LC_OK && threat < 0) {
        /* A scene file: ground truth from its labels' threat fields. */
        char *lj = NULL;
        threat = 0;
        if (lc_sim_labels_json(labels, &lj, NULL) == LC_OK) {
            json_t *root = json_loads(lj, 0, NULL);
            json_t *objs = json_object_get(root, "objects"), *o;
            size_t i;
            json_array_foreach(objs, i, o)
            {
                if (json_is_string(json_object_get(o, "threat")))
                    threat = 1;
            }
            json_decref(root);
            free(lj);
        }
    }
    lc_sim_labels_free(labels);
    item->gt_threat = threat;
    return s;
}

static void *demo_thread(void *arg)
{
    demo *d = arg;
    uint64_t rng;
    pthread_mutex_lock(&d->mu);
    rng = lc__rand(&d->rng);
    pthread_mutex_unlock(&d->mu);
    for (;;) {
        pthread_mutex_lock(&d->mu);
        while (!d->stop && d->qn >= QCAP)
            pthread_cond_wait(&d->cv, &d->mu);
        int stop = d->stop;
        pthread_mutex_unlock(&d->mu);
        if (stop)
            break;
        lc__feed_item item;
        lc_error err;
        if (simulate_one(d, &rng, &item, &err) != LC_OK)
            continue; /* a bad scene file: skip it (the station logs nothing secret) */
        pthread_mutex_lock(&d->mu);
        d->q[d->qn++] = item;
        pthread_mutex_unlock(&d->mu);
    }
    return NULL;
}

/* A copy of a pooled scan with the lines in reverse order (the bag entered
 * the tunnel the other way round). */
static lc_scan *mirrored(const lc_scan *src)
{
    lc_scan *c = NULL;
    if (lc_scan_clone(src, &c, NULL) != LC_OK)
        return NULL;
    for (size_t v = 0; v < lc_scan_view_count(c); v++) {
        lc_view *view = lc_scan_view(c, v);
        uint32_t w = lc_view_lines(view), h = lc_view_pixels(view);
        for (int ch = 0; ch < LC_CHANNELS; ch++) {
            uint16_t *p = lc_view_plane(view, (lc_channel)ch);
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w / 2; x++) {
                    uint16_t t = p[(size_t)y * w + x];
                    p[(size_t)y * w + x] = p[(size_t)y * w + (w - 1 - x)];
                    p[(size_t)y * w + (w - 1 - x)] = t;
                }
        }
    }
    return c;
}

static lc_status demo_next(void *impl, lc__feed_item *out, lc_error *err)
{
    demo *d = impl;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&d->mu);
    if (d->qn > 0) {
        *out = d->q[0];
        memmove(d->q, d->q + 1, (size_t)(d->qn - 1) * sizeof d->q[0]);
        d->qn--;
        pthread_cond_signal(&d->cv);
        /* Keep a copy for reuse when the simulator falls behind. */
        lc_scan *keep = NULL;
        if (lc_scan_clone(out->scan, &keep, NULL) == LC_OK) {
            lc_scan_free(d->pool[d->pool_next]);
            d->pool[d->pool_next] = keep;
            d->pool_gt[d->pool_next] = out->gt_threat;
            d->pool_next = (d->pool_next + 1) % POOL;
            if (d->pooln < POOL)
                d->pooln++;
        }
        pthread_mutex_unlock(&d->mu);
        return LC_OK;
    }
    if (d->pooln == 0) {
        pthread_mutex_unlock(&d->mu);
        return lc_error_set(err, LC_ERR_NOT_FOUND, "demo: no bag ready yet");
    }
    int k = (int)(lc__rand(&d->rng) % (uint64_t)d->pooln);
    out->scan = mirrored(d->pool[k]);
    out->gt_threat = d->pool_gt[k];
    snprintf(out->name, sizeof out->name, "reused demo bag");
    pthread_mutex_unlock(&d->mu);
    if (!out->scan)
        return lc_error_set(err, LC_ERR_NOMEM, "demo: out of memory");
    return LC_OK;
}

static void demo_free(void *impl)
{
    demo *d = impl;
    if (!d)
        return;
    if (d->running) {
        pthread_mutex_lock(&d->mu);
        d->stop = 1;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
    }
    for (int i = 0; i < d->qn; i++)
        lc_scan_free(d->q[i].scan);
    for (int i = 0; i < POOL; i++)
        lc_scan_free(d->pool[i]);
    for (size_t i = 0; i < d->nscenes; i++)
        free(d->scenes[i]);
    free(d->scenes);
    lc_scanner_free(d->scanner);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

lc_status lc__demo_feeder_new(const lc_station_config *cfg, lc__feeder *out, lc_error *err)
{
    memset(out, 0, sizeof *out);
    demo *d = lc__calloc(1, sizeof *d);
    if (!d)
        return lc_error_set(err, LC_ERR_NOMEM, "demo: out of memory");
    d->cfg = *cfg;
    d->rng = cfg->seed ? cfg->seed : (uint64_t)lc__now_us();
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    lc_status s = lc_scanner_new(&d->scanner, err);
    if (s != LC_OK) {
        demo_free(d);
        return s;
    }
    list_scenes(d);
    if (pthread_create(&d->thread, NULL, demo_thread, d) != 0) {
        demo_free(d);
        return lc_error_set(err, LC_ERR_NOMEM, "demo: cannot start the simulator thread");
    }
    d->running = 1;
    out->impl = d;
    out->next = demo_next;
    out->free = demo_free;
    return LC_OK;
}
