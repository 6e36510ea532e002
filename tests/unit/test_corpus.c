/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_corpus.c: the bag generator. Same seed gives the same bytes, another
 * seed other bags; every scene loads with the simulator's own parser; no two
 * items interpenetrate (checked with the simulator's world bounds, not the
 * generator's) and everything lies inside the container; threat rate, class
 * mix and the mass range are honoured; the recorded explosive mass equals
 * density x volume recomputed here from the scene file; the truth names
 * scene objects that carry the threat; lc_corpus_write writes the files; bad
 * options are refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "lucent/lucent.h"

static lc_corpus_bag *gen(uint64_t seed, size_t i, double rate)
{
    lc_corpus_options o;
    lc_corpus_options_init(&o);
    o.seed = seed;
    o.threat_rate = rate;
    lc_corpus_bag *b = NULL;
    lc_error err;
    assert_int_equal(lc_corpus_bag_generate(&o, i, &b, &err), LC_OK);
    assert_non_null(b);
    return b;
}

static void test_deterministic(void **state)
{
    (void)state;
    for (size_t i = 0; i < 10; i++) {
        lc_corpus_bag *a = gen(7, i, 0.5), *b = gen(7, i, 0.5), *c = gen(8, i, 0.5);
        assert_string_equal(a->scene, b->scene);
        assert_int_equal(a->n_threats, b->n_threats);
        assert_true(strcmp(a->scene, c->scene) != 0);
        lc_corpus_bag_free(a);
        lc_corpus_bag_free(b);
        lc_corpus_bag_free(c);
    }
}

/* The item an object belongs to: its id up to the second '_' ("food_3_"). */
static size_t item_prefix(const char *id)
{
    const char *p = strchr(id, '_');
    if (!p)
        return strlen(id);
    p = strchr(p + 1, '_');
    return p ? (size_t)(p - id) + 1 : strlen(id);
}

static void test_scenes_load_no_interpenetration(void **state)
{
    (void)state;
    size_t objects = 0;
    for (size_t i = 0; i < 40; i++) {
        lc_corpus_bag *b = gen(3, i, 0.5);
        lc_scene *sc = NULL;
        lc_error err;
        lc_status st = lc_scene_parse(b->scene, strlen(b->scene), "bag", NULL, &sc, &err);
        if (st != LC_OK)
            fail_msg("bag %zu: %s", i, err.msg);
        size_t n = lc_scene_object_count(sc);
        assert_int_equal(n, b->n_objects);
        assert_string_equal(lc_scene_object_id(sc, 0), "container");
        double clo[3], chi[3];
        lc_scene_object_bounds(sc, 0, clo, chi);
        for (size_t a = 1; a < n; a++) {
            double alo[3], ahi[3];
            lc_scene_object_bounds(sc, a, alo, ahi);
            for (int k = 0; k < 3; k++) {
                assert_true(alo[k] >= clo[k] - 1e-6);
                assert_true(ahi[k] <= chi[k] + 1e-6);
            }
            assert_true(alo[2] >= 0);
            const char *ida = lc_scene_object_id(sc, a);
            size_t pa = item_prefix(ida);
            for (size_t c = a + 1; c < n; c++) {
                const char *idc = lc_scene_object_id(sc, c);
                if (item_prefix(idc) == pa && strncmp(ida, idc, pa) == 0)
                    continue; /* parts of one item (contents of a hollow part) */
                double blo[3], bhi[3];
                lc_scene_object_bounds(sc, c, blo, bhi);
                int sep = 0;
                for (int k = 0; k < 3; k++)
                    if (ahi[k] <= blo[k] + 0.02 || bhi[k] <= alo[k] + 0.02)
                        sep = 1;
                if (!sep)
                    fail_msg("bag %zu: %s and %s interpenetrate", i, ida, idc);
            }
        }
        objects += n;
        lc_scene_free(sc);
        lc_corpus_bag_free(b);
    }
    assert_true(objects > 40 * 8); /* bags are not empty */
}

/* Volume of a box or cylinder part of a scene, mm^3. */
static double volume(json_t *o)
{
    const char *shape = json_string_value(json_object_get(o, "shape"));
    if (strcmp(shape, "box") == 0) {
        json_t *s = json_object_get(o, "size");
        return json_number_value(json_array_get(s, 0)) * json_number_value(json_array_get(s, 1)) *
               json_number_value(json_array_get(s, 2));
    }
    double r = json_number_value(json_object_get(o, "radius"));
    return 3.14159265358979 * r * r * json_number_value(json_object_get(o, "height"));
}

static void test_threats_and_truth(void **state)
{
    (void)state;
    lc_matlib *lib = NULL;
    lc_error err;
    assert_int_equal(lc_matlib_new(&lib, &err), LC_OK);
    size_t with = 0, n = 200, expl = 0;
    for (size_t i = 0; i < n; i++) {
        lc_corpus_bag *b = gen(11, i, 0.5);
        with += b->n_threats > 0;
        json_t *root = json_loads(b->scene, 0, NULL);
        assert_non_null(root);
        json_t *objs = json_object_get(root, "objects");
        for (size_t t = 0; t < b->n_threats; t++) {
            const lc_corpus_threat *th = &b->threats[t];
            assert_true(th->n_parts >= 1);
            assert_true(strcmp(th->difficulty, "easy") == 0 ||
                        strcmp(th->difficulty, "medium") == 0 ||
                        strcmp(th->difficulty, "hard") == 0);
            /* every part is in the scene and marked with the class */
            for (size_t p = 0; p < th->n_parts; p++) {
                int found = 0;
                for (size_t k = 0; k < json_array_size(objs); k++) {
                    json_t *o = json_array_get(objs, k);
                    if (strcmp(json_string_value(json_object_get(o, "id")), th->parts[p]) == 0) {
                        found = 1;
                        assert_string_equal(json_string_value(json_object_get(o, "threat")),
                                            th->cls);
                        if (strcmp(th->cls, "explosive") == 0) {
                            /* mass = library density x volume, recomputed here */
                            const lc_material *m = NULL;
                            assert_int_equal(
                                lc_matlib_get(lib,
                                              json_string_value(json_object_get(o, "material")), &m,
                                              &err),
                                LC_OK);
                            double mass = volume(o) / 1000.0 * lc_material_density(m);
                            assert_true(fabs(mass - th->mass_g) < 0.01 * th->mass_g + 0.5);
                            assert_true(th->mass_g >= 150 * 0.98 && th->mass_g <= 1500 * 1.02);
                            expl++;
                        }
                    }
                }
                assert_true(found);
            }
        }
        json_decref(root);
        lc_corpus_bag_free(b);
    }
    assert_true(with > n * 0.38 && with < n * 0.62);
    assert_true(expl > 20);
    lc_matlib_free(lib);

    /* rates 0 and 1, and a class mix of explosives only */
    lc_corpus_options o;
    lc_corpus_options_init(&o);
    o.seed = 5;
    o.threat_rate = 1.0;
    o.w_weapon = o.w_dense = 0;
    for (size_t i = 0; i < 30; i++) {
        lc_corpus_bag *b = NULL;
        assert_int_equal(lc_corpus_bag_generate(&o, i, &b, &err), LC_OK);
        assert_int_equal(b->n_threats, 1);
        assert_string_equal(b->threats[0].cls, "explosive");
        lc_corpus_bag_free(b);
        lc_corpus_bag *c = gen(5, i, 0.0);
        assert_int_equal(c->n_threats, 0);
        assert_null(strstr(c->scene, "\"threat\""));
        lc_corpus_bag_free(c);
    }
}

static void test_write_and_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/lc_test_corpus_XXXXXX";
    assert_non_null(mkdtemp(dir));
    lc_corpus_options o;
    lc_corpus_options_init(&o);
    o.n = 3;
    o.seed = 9;
    lc_error err;
    assert_int_equal(lc_corpus_write(&o, dir, NULL, NULL, &err), LC_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/truth.json", dir);
    json_t *t = json_load_file(path, 0, NULL);
    assert_non_null(t);
    assert_int_equal(json_integer_value(json_object_get(t, "lucent_corpus")), 1);
    assert_int_equal(json_array_size(json_object_get(t, "bags")), 3);
    json_decref(t);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/bag_%04d.json", dir, i);
        lc_scene *sc = NULL;
        assert_int_equal(lc_scene_load(path, &sc, &err), LC_OK);
        lc_scene_free(sc);
        /* the file is the generated text */
        lc_corpus_bag *b = gen(9, (size_t)i, 0.5);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *buf = calloc(1, strlen(b->scene) + 16);
        size_t got = fread(buf, 1, strlen(b->scene) + 8, f);
        fclose(f);
        assert_int_equal(got, strlen(b->scene));
        assert_memory_equal(buf, b->scene, got);
        free(buf);
        lc_corpus_bag_free(b);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/truth.json", dir);
    unlink(path);
    rmdir(dir);

    lc_corpus_bag *b = NULL;
    o.threat_rate = 1.5;
    assert_int_equal(lc_corpus_bag_generate(&o, 0, &b, &err), LC_ERR_ARG);
    assert_null(b);
    o.threat_rate = 0.5;
    o.w_explosive = o.w_weapon = o.w_dense = 0;
    assert_int_equal(lc_corpus_bag_generate(&o, 0, &b, &err), LC_ERR_ARG);
    lc_corpus_options_init(&o);
    o.min_mass_g = 0;
    assert_int_equal(lc_corpus_bag_generate(&o, 0, &b, &err), LC_ERR_ARG);
    lc_corpus_options_init(&o);
    o.min_fill = 0.5, o.max_fill = 0.4;
    assert_int_equal(lc_corpus_bag_generate(&o, 0, &b, &err), LC_ERR_ARG);
    o.min_fill = 0, o.max_fill = 0.4;
    assert_int_equal(lc_corpus_bag_generate(&o, 0, &b, &err), LC_ERR_ARG);
    o.min_fill = 0.5, o.max_fill = 1.5;
    assert_int_equal(lc_corpus_bag_generate(&o, 0, &b, &err), LC_ERR_ARG);
    lc_corpus_options_init(&o);
    /* the check on its own: the defaults pass, each bad value is named */
    assert_int_equal(lc_corpus_options_check(&o, &err), LC_OK);
    o.max_mass_g = 25000;
    assert_int_equal(lc_corpus_options_check(&o, &err), LC_ERR_ARG);
    assert_non_null(strstr(err.msg, "mass range"));
    o.max_mass_g = 1500, o.w_weapon = -1;
    assert_int_equal(lc_corpus_options_check(&o, &err), LC_ERR_ARG);
    assert_non_null(strstr(err.msg, "class weights"));
    assert_int_equal(lc_corpus_options_check(NULL, &err), LC_ERR_ARG);
    lc_corpus_options_init(&o);
    assert_int_equal(lc_corpus_bag_generate(NULL, 0, &b, &err), LC_ERR_ARG);
    assert_int_equal(lc_corpus_bag_generate(&o, 0, NULL, &err), LC_ERR_ARG);
    lc_corpus_bag_free(NULL);
}

/* The packing range: near-empty bags (trays) hold a fraction of the objects
 * of the default packing, and every threat is still placed. */
static void test_fill_range(void **state)
{
    (void)state;
    size_t n_default = 0, n_sparse = 0, threats = 0;
    for (size_t i = 0; i < 30; i++) {
        lc_corpus_options o;
        lc_corpus_options_init(&o);
        o.seed = 5;
        o.threat_rate = 1.0;
        lc_corpus_bag *a = NULL, *b = NULL;
        lc_error err;
        assert_int_equal(lc_corpus_bag_generate(&o, i, &a, &err), LC_OK);
        o.min_fill = 0.05, o.max_fill = 0.15;
        assert_int_equal(lc_corpus_bag_generate(&o, i, &b, &err), LC_OK);
        n_default += a->n_objects;
        n_sparse += b->n_objects;
        threats += b->n_threats;
        lc_corpus_bag_free(a);
        lc_corpus_bag_free(b);
    }
    assert_int_equal(threats, 30);
    assert_true(n_sparse > 30 * 2);        /* the container, the threat and a little clutter */
    assert_true(n_sparse * 2 < n_default); /* packing 0.05..0.15 against 0.45..0.9 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_scenes_load_no_interpenetration),
        cmocka_unit_test(test_threats_and_truth),
        cmocka_unit_test(test_write_and_errors),
        cmocka_unit_test(test_fill_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
