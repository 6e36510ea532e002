/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.c: the demo feeder of `lucent station --demo`. It stands in for the
 * scanner: a background thread draws random bags from the evaluation
 * corpus's generator (lc_corpus_bag_generate: packed containers, clutter,
 * confusers; a real threat in cfg->threat_share of them) or picks a scene
 * file from cfg->scenes_dir, simulates them with the sim module, and queues the raw
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

#include "lucent/corpus.h"
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
        /* a random bag of the evaluation corpus (src/corpus): packed
         * containers with everyday clutter and the classic confusers, a real
         * threat in threat_share of them */
        lc_corpus_options co;
        lc_corpus_options_init(&co);
        co.seed = lc__rand(rng);
        co.threat_rate = d->cfg.threat_share;
        lc_corpus_bag *bag = NULL;
        s = lc_corpus_bag_generate(&co, 0, &bag, err);
        if (s == LC_OK) {
            threat = bag->n_threats > 0;
            s = lc_scene_parse(bag->scene, strlen(bag->scene), "demo bag", NULL, &scene, err);
        }
        lc_corpus_bag_free(bag);
        if (s == LC_OK) {
            /* "corpus seed S bag_0000: carry-on with weapon" -> "carry-on with weapon" */
            const char *n = strstr(lc_scene_name(scene), ": ");
            snprintf(item->name, sizeof item->name, "demo %s", n ? n + 2 : "bag");
        }
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
