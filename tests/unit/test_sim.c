/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sim.c: the simulator against independent numbers. Scene parsing and
 * its field-naming errors; exact path lengths of the analytic shapes; STL
 * meshes (binary and ASCII) against the analytic box, including rays through
 * shared edges, vertices and grazing a silhouette edge; the monoenergetic
 * signal against Beer-Lambert with xraylib's mu/rho; the polychromatic signal
 * through a step wedge against a numerical integration written here from
 * xraylib calls; a sphere's image size against the magnification; noise
 * statistics of air and dark lines against the model; reproducibility and
 * independence of the thread count; that threat labels never change the
 * signal; and the labels.
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
#include <xraylib.h>

#include "lucent/lucent.h"
#include "sim/sim_int.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lc_test_sim_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static lc_scene *parse(const char *json, lc_status want, const char *msg_part)
{
    lc_scene *s = NULL;
    lc_error err;
    lc_error_clear(&err);
    lc_status st = lc_scene_parse(json, strlen(json), "t.json", tmpdir, &s, &err);
    if (st != want)
        fprintf(stderr, "parse: status %d, message: %s\n", st, err.msg);
    assert_int_equal(st, want);
    if (msg_part) {
        if (!strstr(err.msg, msg_part))
            fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, msg_part);
        assert_non_null(strstr(err.msg, msg_part));
        assert_null(s);
    }
    return s;
}

/* ---------------------------------------------------------------- scenes */

static void test_scene_ok(void **state)
{
    (void)state;
    lc_scene *s = parse("{\"lucent_scene\":1,\"name\":\"demo\",\"objects\":["
                        "{\"id\":\"a\",\"shape\":\"box\",\"size\":[100,50,20],\"wall\":2,"
                        "\"position\":[200,0,10],\"material\":\"water\"},"
                        "{\"shape\":\"sphere\",\"radius\":10,\"position\":[0,0,50],"
                        "\"material\":{\"composition\":\"C3H8O3\",\"density\":1.26},"
                        "\"threat\":\"explosive\"}]}",
                        LC_OK, NULL);
    assert_string_equal(lc_scene_name(s), "demo");
    assert_int_equal(lc_scene_object_count(s), 2);
    assert_string_equal(lc_scene_object_id(s, 0), "a");
    assert_string_equal(lc_scene_object_id(s, 1), "object1");
    assert_null(lc_scene_object_id(s, 2));
    double lo[3], hi[3];
    lc_scene_object_bounds(s, 0, lo, hi);
    assert_true(fabs(lo[0] - 150) < 1e-3 && fabs(hi[0] - 250) < 1e-3);
    assert_true(fabs(lo[2] - 0) < 1e-3 && fabs(hi[2] - 20) < 1e-3);
    lc_scene_free(s);
    lc_scene_free(NULL);
}

static void test_scene_errors(void **state)
{
    (void)state;
    parse("{\"lucent_scene\":1,\n\"objects\":[", LC_ERR_FORMAT, "line 2");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"box\",\"size\":[100,-5,10],"
          "\"position\":[0,0,0],\"material\":\"water\"}]}",
          LC_ERR_FORMAT, "t.json: objects[0].size[1]: must be positive");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"box\",\"size\":[1,1,1],"
          "\"position\":[0,0,0],\"material\":\"water\"},{\"shape\":\"cone\",\"position\":[0,0,"
          "0],\"material\":\"water\"}]}",
          LC_ERR_FORMAT, "objects[1].shape: unknown shape");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"mesh\",\"file\":\"nope.stl\","
          "\"position\":[0,0,0],\"material\":\"water\"}]}",
          LC_ERR_NOT_FOUND, "objects[0].file");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"sphere\",\"radious\":3,"
          "\"position\":[0,0,0],\"material\":\"water\"}]}",
          LC_ERR_FORMAT, "objects[0].radious: unknown key");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"box\",\"size\":[10,10,10],\"wall\":5,"
          "\"position\":[0,0,0],\"material\":\"water\"}]}",
          LC_ERR_FORMAT, "objects[0].wall");
    parse("{\"lucent_scene\":1,\"objects\":[{\"id\":\"x\",\"shape\":\"sphere\",\"radius\":1,"
          "\"position\":[0,0,0],\"material\":\"water\"},{\"id\":\"x\",\"shape\":\"sphere\","
          "\"radius\":1,\"position\":[0,0,0],\"material\":\"water\"}]}",
          LC_ERR_FORMAT, "objects[1].id: duplicate");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"sphere\",\"radius\":1,"
          "\"position\":[0,0],\"material\":\"water\"}]}",
          LC_ERR_FORMAT, "objects[0].position");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"sphere\",\"radius\":1,"
          "\"position\":[0,0,0],\"material\":{\"composition\":\"H2O\",\"density\":-1}}]}",
          LC_ERR_FORMAT, "objects[0].material.density: must be positive");
    parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"sphere\",\"radius\":1,"
          "\"position\":[0,0,0],\"material\":\"water\",\"threat\":\"bomb\"}]}",
          LC_ERR_FORMAT, "objects[0].threat");
    parse("{\"lucent_scene\":2,\"objects\":[]}", LC_ERR_FORMAT, "lucent_scene");
    /* A scene's name is a description: 1024 bytes are kept whole, more are
     * refused, not cut. */
    char js[1200], nm[1030];
    memset(nm, 'n', 1024);
    nm[1024] = '\0';
    snprintf(js, sizeof js, "{\"lucent_scene\":1,\"name\":\"%s\",\"objects\":[]}", nm);
    lc_scene *named = parse(js, LC_OK, NULL);
    assert_string_equal(lc_scene_name(named), nm);
    lc_scene_free(named);
    snprintf(js, sizeof js, "{\"lucent_scene\":1,\"name\":\"%sn\",\"objects\":[]}", nm);
    parse(js, LC_ERR_FORMAT, "t.json: name: longer than 1024 bytes");
    parse("[1,2]", LC_ERR_FORMAT, "JSON object");
    /* Unknown material: found when the run resolves materials. */
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"sphere\",\"radius\":5,"
                        "\"position\":[0,0,50],\"material\":\"water\"},{\"shape\":\"sphere\","
                        "\"radius\":5,\"position\":[0,0,50],\"material\":\"unobtainium\"}]}",
                        LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    lc_scan *scan = (lc_scan *)1;
    lc_sim_labels *lab = (lc_sim_labels *)1;
    lc_error err;
    assert_int_equal(lc_simulate(s, sc, NULL, &scan, &lab, &err), LC_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "t.json: objects[1].material: unknown material"));
    assert_null(scan);
    assert_null(lab);
    lc_scene_free(s);
    lc_scanner_free(sc);
}

/* ---------------------------------------------------------------- shapes */

static double path_of(const lc_scene *s, size_t i, const double a[3], const double b[3])
{
    double d[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    lc__hitbuf hb = {0};
    double l =
        lc__object_path(&s->objects[i], a, d, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]), &hb);
    free(hb.h);
    return l;
}

static void test_shapes_exact(void **state)
{
    (void)state;
    lc_scene *s = parse(
        "{\"lucent_scene\":1,\"objects\":["
        "{\"shape\":\"sphere\",\"radius\":30,\"position\":[10,20,30],\"material\":\"water\"},"
        "{\"shape\":\"box\",\"size\":[40,40,10],\"rotation\":[0,0,45],\"position\":[0,0,0],"
        "\"material\":\"water\"},"
        "{\"shape\":\"cylinder\",\"radius\":20,\"height\":100,\"rotation\":[0,90,0],"
        "\"position\":[0,0,0],\"material\":\"water\"},"
        "{\"shape\":\"ellipsoid\",\"radii\":[50,20,10],\"position\":[0,0,0],"
        "\"material\":\"water\"},"
        "{\"shape\":\"box\",\"size\":[100,60,40],\"wall\":3,\"position\":[0,0,0],"
        "\"material\":\"water\"},"
        "{\"shape\":\"cylinder\",\"radius\":20,\"height\":100,\"wall\":2,\"position\":[0,0,0],"
        "\"material\":\"water\"}]}",
        LC_OK, NULL);
    /* Sphere: chord at distance b from the centre is 2 sqrt(R^2 - b^2). */
    double a[3] = {-100, 20 + 12, 30}, b[3] = {100, 20 + 12, 30};
    assert_true(fabs(path_of(s, 0, a, b) - 2 * sqrt(900.0 - 144.0)) < 1e-9);
    /* Segment ending inside the sphere: only the part inside counts. */
    double c[3] = {10, 20, 30};
    double a2[3] = {-100, 20, 30};
    assert_true(fabs(path_of(s, 0, a2, c) - 30.0) < 1e-9);
    /* Square box turned 45 degrees about z: the diagonal along x. */
    double a3[3] = {-100, 0, 0}, b3[3] = {100, 0, 0};
    assert_true(fabs(path_of(s, 1, a3, b3) - 40 * sqrt(2.0)) < 1e-9);
    /* Cylinder turned onto x: along its axis 100, across at offset 5. */
    assert_true(fabs(path_of(s, 2, a3, b3) - 100.0) < 1e-9);
    double a4[3] = {0, -100, 5}, b4[3] = {0, 100, 5};
    assert_true(fabs(path_of(s, 2, a4, b4) - 2 * sqrt(400.0 - 25.0)) < 1e-9);
    /* Ellipsoid along its axes. */
    assert_true(fabs(path_of(s, 3, a3, b3) - 100.0) < 1e-9);
    double a5[3] = {0, 0, -100}, b5[3] = {0, 0, 100};
    assert_true(fabs(path_of(s, 3, a5, b5) - 20.0) < 1e-9);
    /* Ellipsoid off-axis: x = 30 chord along y: 2*20*sqrt(1 - (30/50)^2). */
    double a6[3] = {30, -100, 0}, b6[3] = {30, 100, 0};
    assert_true(fabs(path_of(s, 3, a6, b6) - 40.0 * sqrt(1 - 0.36)) < 1e-9);
    /* Hollow box: through the middle, two walls; through a side wall lengthwise. */
    assert_true(fabs(path_of(s, 4, a3, b3) - 6.0) < 1e-9);
    double a7[3] = {-100, 28.5, 0}, b7[3] = {100, 28.5, 0};
    assert_true(fabs(path_of(s, 4, a7, b7) - 100.0) < 1e-9);
    /* Hollow cylinder (closed can): along the axis, the two end walls. */
    assert_true(fabs(path_of(s, 5, a5, b5) - 4.0) < 1e-9);
    /* Across the middle: two walls of the tube, 2 (sqrt(20^2) - sqrt(18^2)). */
    assert_true(fabs(path_of(s, 5, a3, b3) - 4.0) < 1e-9);
    lc_scene_free(s);
}

/* ---------------------------------------------------------------- meshes */

/* A cube of side 2h centred on the origin, 12 triangles, outward normals;
 * faces split along a diagonal (shared edges inside faces). */
static void cube_tris(double h, double t[12][9])
{
    static const int q[6][4][3] = {{{-1, -1, -1}, {-1, 1, -1}, {1, 1, -1}, {1, -1, -1}}, /* z- */
                                   {{-1, -1, 1}, {1, -1, 1}, {1, 1, 1}, {-1, 1, 1}},     /* z+ */
                                   {{-1, -1, -1}, {1, -1, -1}, {1, -1, 1}, {-1, -1, 1}}, /* y- */
                                   {{-1, 1, -1}, {-1, 1, 1}, {1, 1, 1}, {1, 1, -1}},     /* y+ */
                                   {{-1, -1, -1}, {-1, -1, 1}, {-1, 1, 1}, {-1, 1, -1}}, /* x- */
                                   {{1, -1, -1}, {1, 1, -1}, {1, 1, 1}, {1, -1, 1}}};    /* x+ */
    for (int f = 0; f < 6; f++) {
        const int idx[2][3] = {{0, 1, 2}, {0, 2, 3}};
        for (int k = 0; k < 2; k++)
            for (int v = 0; v < 3; v++)
                for (int c = 0; c < 3; c++)
                    t[f * 2 + k][v * 3 + c] = h * q[f][idx[k][v]][c];
    }
}

static void write_cube_binary(const char *path, double h)
{
    double t[12][9];
    cube_tris(h, t);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char hdr[80] = {0};
    fwrite(hdr, 1, 80, f);
    uint32_t n = 12;
    unsigned char nb[4] = {(unsigned char)n, 0, 0, 0};
    fwrite(nb, 1, 4, f);
    for (int i = 0; i < 12; i++) {
        float v[12] = {0};
        for (int k = 0; k < 9; k++)
            v[3 + k] = (float)t[i][k];
        fwrite(v, 4, 12, f); /* little-endian host (x86, arm64) */
        unsigned char attr[2] = {0, 0};
        fwrite(attr, 1, 2, f);
    }
    fclose(f);
}

/* The cube with one triangle's vertex order reversed (a common STL defect). */
static void write_cube_flipped(const char *path, double h)
{
    double t[12][9];
    cube_tris(h, t);
    for (int c = 0; c < 3; c++) {
        double tmp = t[4][3 + c];
        t[4][3 + c] = t[4][6 + c];
        t[4][6 + c] = tmp;
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "solid flipped\n");
    for (int i = 0; i < 12; i++) {
        fprintf(f, "facet normal 0 0 0\nouter loop\n");
        for (int v = 0; v < 3; v++)
            fprintf(f, "vertex %.17g %.17g %.17g\n", t[i][v * 3], t[i][v * 3 + 1], t[i][v * 3 + 2]);
        fprintf(f, "endloop\nendfacet\n");
    }
    fprintf(f, "endsolid flipped\n");
    fclose(f);
}

static void write_cube_ascii(const char *path, double h)
{
    double t[12][9];
    cube_tris(h, t);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "solid cube made by test_sim\n");
    for (int i = 0; i < 12; i++) {
        fprintf(f, "  facet normal 0 0 0\n    outer loop\n");
        for (int v = 0; v < 3; v++)
            fprintf(f, "      vertex %.17g %.17g %.17g\n", t[i][v * 3], t[i][v * 3 + 1],
                    t[i][v * 3 + 2]);
        fprintf(f, "    endloop\n  endfacet\n");
    }
    fprintf(f, "endsolid cube\n");
    fclose(f);
}

static void test_mesh_vs_box(void **state)
{
    (void)state;
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/cube.stl", tmpdir);
    snprintf(p2, sizeof p2, "%s/cube_ascii.stl", tmpdir);
    write_cube_binary(p1, 40);
    write_cube_ascii(p2, 40);
    char p3[512];
    snprintf(p3, sizeof p3, "%s/cube_flipped.stl", tmpdir);
    write_cube_flipped(p3, 40);
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":["
                        "{\"shape\":\"box\",\"size\":[80,80,80],\"position\":[0,0,0],"
                        "\"rotation\":[10,20,30],\"material\":\"water\"},"
                        "{\"shape\":\"mesh\",\"file\":\"cube.stl\",\"position\":[0,0,0],"
                        "\"rotation\":[10,20,30],\"material\":\"water\"},"
                        "{\"shape\":\"mesh\",\"file\":\"cube_ascii.stl\",\"position\":[0,0,0],"
                        "\"rotation\":[10,20,30],\"material\":\"water\"},"
                        "{\"shape\":\"mesh\",\"file\":\"cube.stl\",\"position\":[0,0,0],"
                        "\"material\":\"water\"},"
                        "{\"shape\":\"mesh\",\"file\":\"cube.stl\",\"scale\":0.5,"
                        "\"position\":[0,0,0],\"material\":\"water\"},"
                        "{\"shape\":\"mesh\",\"file\":\"cube_flipped.stl\",\"position\":[0,0,0],"
                        "\"rotation\":[10,20,30],\"material\":\"water\"}]}",
                        LC_OK, NULL);
    assert_int_equal(s->nmeshes, 3); /* cube.stl loaded once */
    /* Random rays: mesh and analytic box agree. */
    lc__simrng r;
    lc__simrng_seed(&r, 7, 0, 0);
    int crossing = 0;
    for (int i = 0; i < 3000; i++) {
        double a[3], b[3];
        for (int c = 0; c < 3; c++) {
            a[c] = 200 * lc__simrng_uniform(&r) - 100;
            b[c] = 200 * lc__simrng_uniform(&r) - 100;
        }
        double lb = path_of(s, 0, a, b), lm = path_of(s, 1, a, b), la = path_of(s, 2, a, b);
        assert_true(fabs(lb - lm) < 1e-6);
        assert_true(fabs(lb - la) < 1e-6);
        /* A flipped triangle only changes which rule decides, not the length
         * (for segments that start and end outside). */
        double r2a = 0, r2b = 0;
        for (int c = 0; c < 3; c++) {
            r2a += a[c] * a[c];
            r2b += b[c] * b[c];
        }
        if (r2a > 3 * 40 * 40 && r2b > 3 * 40 * 40)
            assert_true(fabs(lb - path_of(s, 5, a, b)) < 1e-6);
        crossing += lb > 0;
    }
    assert_true(crossing > 300);
    /* Unrotated cube: a ray hitting the faces on their triangle diagonal
     * (a shared edge) at y = z. */
    double a1[3] = {-100, 10, 10}, b1[3] = {100, 10, 10};
    assert_true(fabs(path_of(s, 3, a1, b1) - 80.0) < 1e-9);
    /* Through two opposite vertices (six triangles meet at each). */
    double a2[3] = {-100, -100, -100}, b2[3] = {100, 100, 100};
    assert_true(fabs(path_of(s, 3, a2, b2) - 80.0 * sqrt(3.0)) < 1e-9);
    /* Through the middle of a shared edge of two faces (x = 40, y = 0 .. the
     * edge between faces x+ and z+ at z = 40): enters at that edge. */
    double a3[3] = {40 + 60, 0, 40 + 60}, b3[3] = {40 - 160, 0, 40 - 160};
    assert_true(fabs(path_of(s, 3, a3, b3) - 80.0 * sqrt(2.0)) < 1e-9);
    /* Grazing: touches only the edge x = 40, y = 40: nothing inside. */
    double a4[3] = {40 + 50, 40 - 50, 0}, b4[3] = {40 - 50, 40 + 50, 0};
    assert_true(fabs(path_of(s, 3, a4, b4)) < 1e-9);
    /* Grazing a vertex from outside. */
    double a5[3] = {40 + 50, 40 - 50, 40}, b5[3] = {40 - 50, 40 + 50, 40};
    assert_true(fabs(path_of(s, 3, a5, b5)) < 1e-9);
    /* Scale 0.5: side 40. */
    assert_true(fabs(path_of(s, 4, a1, b1) - 40.0) < 1e-9);
    lc_scene_free(s);
}

/* The per-line section of a mesh: the unit cube's section is a square; rays
 * through its corners (section vertices shared by two segments), along the
 * diagonal, grazing a corner, and sections exactly at a face plane. */
static void test_mesh_slices(void **state)
{
    (void)state;
    double t[12][9];
    cube_tris(40, t);
    lc__slice sl = {0};
    lc__hitbuf hb = {0};
    const double xs[] = {0.0, 17.3, 39.999, 40.0};
    for (size_t k = 0; k < 4; k++) {
        assert_true(lc__slice_build(&t[0][0], 12, xs[k], &sl));
        assert_true(sl.n >= 4);
        assert_true(fabs(sl.lo[0] + 40) < 1e-12 && fabs(sl.hi[1] - 40) < 1e-12);
        /* Straight across at y = 10: 80 mm of the 200 mm segment. */
        double o[2] = {-100, 10}, d[2] = {200, 0};
        assert_true(fabs(lc__slice_inside_t(&sl, o, d, 0, 1, &hb) * 200 - 80) < 1e-9);
        /* Corner to corner through two section vertices. */
        double o2[2] = {-100, -100}, d2[2] = {200, 200};
        assert_true(
            fabs(lc__slice_inside_t(&sl, o2, d2, 0, 1, &hb) * sqrt(2) * 200 - 80 * sqrt(2)) < 1e-9);
        /* Grazing the corner (40, 40) from outside. */
        double o3[2] = {90, -10}, d3[2] = {-100, 100};
        assert_true(fabs(lc__slice_inside_t(&sl, o3, d3, 0, 1, &hb)) < 1e-12);
        /* Along an edge of the square, and a segment starting inside. */
        double o4[2] = {0, 0}, d4[2] = {100, 0};
        assert_true(fabs(lc__slice_inside_t(&sl, o4, d4, 0, 1, &hb) * 100 - 40) < 1e-9);
    }
    /* Beyond the cube: no section. */
    assert_true(lc__slice_build(&t[0][0], 12, 40.5, &sl));
    assert_int_equal(sl.n, 0);
    free(sl.s);
    free(hb.h);
}

static void test_stl_malformed(void **state)
{
    (void)state;
    lc__mesh *m = NULL;
    lc_error err;
    /* Binary whose count claims more triangles than the file holds, no "solid". */
    unsigned char bin[84 + 50] = {0};
    bin[80] = 2;
    assert_int_equal(lc__mesh_parse_stl(bin, sizeof bin, "x.stl", &m, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "does not match"));
    assert_null(m);
    /* Zero triangles. */
    unsigned char empty[84] = {0};
    assert_int_equal(lc__mesh_parse_stl(empty, sizeof empty, "x.stl", &m, &err), LC_ERR_FORMAT);
    const char *bad = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 nan\n";
    assert_int_equal(lc__mesh_parse_stl((const unsigned char *)bad, strlen(bad), "a.stl", &m, &err),
                     LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "a.stl: line 5"));
    const char *trunc = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n";
    assert_int_equal(
        lc__mesh_parse_stl((const unsigned char *)trunc, strlen(trunc), "a.stl", &m, &err),
        LC_ERR_FORMAT);
    assert_int_equal(lc__mesh_parse_stl((const unsigned char *)"so", 2, "a.stl", &m, &err),
                     LC_ERR_FORMAT);
    /* A binary file whose header starts with "solid" is still binary when the
     * count matches the size. */
    unsigned char b2[84 + 50] = {0};
    memcpy(b2, "solid trap", 10);
    b2[80] = 1;
    float v[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0};
    memcpy(b2 + 84 + 12, v, sizeof v);
    assert_int_equal(lc__mesh_parse_stl(b2, sizeof b2, "b.stl", &m, &err), LC_OK);
    assert_int_equal(m->ntris, 1);
    lc__mesh_free(m);
    lc__mesh_free(NULL);
}

/* ---------------------------------------------------------------- signal */

static lc__sim *make_sim(const lc_scene *s, const lc_scanner *sc, const char *spectrum)
{
    lc_sim_options o;
    lc_sim_options_init(&o);
    o.noise = 0;
    o.spectrum = spectrum;
    lc__sim *sim = NULL;
    lc_error err;
    lc_status st = lc__sim_new(s, sc, &o, &sim, &err);
    if (st != LC_OK)
        fprintf(stderr, "sim: %s\n", err.msg);
    assert_int_equal(st, LC_OK);
    return sim;
}

/* View 0's pixel on the roof arm (z = 440) nearest to y. */
static uint32_t roof_pixel(const lc__sim *sim, double y)
{
    const lc__sim_view *sv = &sim->views[0];
    uint32_t best = 0;
    double bd = 1e300;
    for (uint32_t p = 0; p < sv->npix; p++) {
        if (fabs(sv->pos[2 * p + 1] - 440.0) > 1e-9)
            continue;
        double d = fabs(sv->pos[2 * p] - y);
        if (d < bd) {
            bd = d;
            best = p;
        }
    }
    return best;
}

/* Slab path length along the ray from view 0's source to pixel p, for a slab
 * of thickness t bounded by z planes (the ray leaves through them). */
static double slab_path(const lc__sim *sim, uint32_t p, double t)
{
    const double *src = sim->sc->views[0].src;
    double dy = sim->views[0].pos[2 * p] - src[0], dz = sim->views[0].pos[2 * p + 1] - src[1];
    return t * sqrt(dy * dy + dz * dz) / dz;
}

static double mu_rho_xrl(const char *what, double e)
{
    xrl_error *xe = NULL;
    double v;
    if (strcmp(what, "steel") == 0)
        v = 0.98 * CS_Total(26, e, &xe) + 0.02 * CS_Total(25, e, &xe);
    else
        v = CS_Total_CP(what, e, &xe);
    assert_null(xe);
    return v;
}

static void test_mono_beer_lambert(void **state)
{
    (void)state;
    /* Three slabs along x, each 200 mm long, 500 mm wide. */
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":["
                        "{\"shape\":\"box\",\"size\":[200,500,50],\"position\":[100,0,100],"
                        "\"material\":\"water\"},"
                        "{\"shape\":\"box\",\"size\":[200,500,20],\"position\":[400,0,100],"
                        "\"material\":\"aluminium\"},"
                        "{\"shape\":\"box\",\"size\":[200,500,5],\"position\":[700,0,100],"
                        "\"material\":\"steel\",\"threat\":\"dense\"}]}",
                        LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    const double energies[] = {40, 60, 100};
    for (size_t ie = 0; ie < 3; ie++) {
        char spec[32];
        snprintf(spec, sizeof spec, "mono:%g", energies[ie]);
        lc__sim *sim = make_sim(s, sc, spec);
        uint32_t p = roof_pixel(sim, 0.0);
        lc_signal air, sig;
        assert_int_equal(lc__sim_ray(sim, 0, p, 2000.0, &air, NULL), LC_OK);
        assert_true(air.mean[LC_HIGH] > 0 && air.mean[LC_LOW] > 0);
        const char *mat[] = {"H2O", "Al", "steel"};
        const double rho[] = {1.00, 2.70, 7.85}, t[] = {50, 20, 5}, x[] = {100, 400, 700};
        for (int m = 0; m < 3; m++) {
            assert_int_equal(lc__sim_ray(sim, 0, p, x[m], &sig, NULL), LC_OK);
            double want =
                exp(-mu_rho_xrl(mat[m], energies[ie]) * rho[m] * slab_path(sim, p, t[m]) / 10.0);
            for (int k = 0; k < LC_CHANNELS; k++) {
                double got = sig.mean[k] / air.mean[k];
                if (fabs(got / want - 1) >= 1e-6)
                    fprintf(stderr, "E %g %s ch %d: got %.9g want %.9g\n", energies[ie], mat[m], k,
                            got, want);
                assert_true(fabs(got / want - 1) < 1e-6);
            }
        }
        lc__sim_free(sim);
    }
    lc_scanner_free(sc);
    lc_scene_free(s);
}

static void test_poly_step_wedge(void **state)
{
    (void)state;
    /* Aluminium steps 2.5, 5, 10, 20, 40 mm along x. */
    const double t[] = {2.5, 5, 10, 20, 40};
    char json[2048];
    int n = snprintf(json, sizeof json, "{\"lucent_scene\":1,\"objects\":[");
    for (int i = 0; i < 5; i++)
        n += snprintf(json + n, sizeof json - (size_t)n,
                      "%s{\"shape\":\"box\",\"size\":[100,500,%g],\"position\":[%d,0,100],"
                      "\"material\":\"aluminium\"}",
                      i ? "," : "", t[i], 100 + 150 * i);
    snprintf(json + n, sizeof json - (size_t)n, "]}");
    lc_scene *s = parse(json, LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    lc__sim *sim = make_sim(s, sc, NULL);
    /* Independent integration: the tube spectrum (the input), detector
     * efficiencies and transmissions straight from xraylib. */
    const lc_spectrum *spec = sim->spec;
    size_t ns = lc_spectrum_count(spec);
    const double *e = lc_spectrum_energies(spec), *np = lc_spectrum_photons(spec);
    xrl_error *xe = NULL;
    double cu_density = ElementDensity(29, &xe);
    assert_null(xe);
    uint32_t p = roof_pixel(sim, -50.0);
    lc_signal air, sig;
    assert_int_equal(lc__sim_ray(sim, 0, p, 5000.0, &air, NULL), LC_OK);
    for (int i = 0; i < 5; i++) {
        double L = slab_path(sim, p, t[i]);
        double num[2] = {0, 0}, den[2] = {0, 0};
        for (size_t j = 0; j < ns; j++) {
            double E = e[j];
            double mcsi = CS_Total_CP("CsI", E, &xe) * 4.51;
            double mcu = CS_Total(29, E, &xe) * cu_density;
            double mal = CS_Total(13, E, &xe) * 2.70;
            assert_null(xe);
            double etal = 1 - exp(-mcsi * 0.03);
            double etah = exp(-mcsi * 0.03 - mcu * 0.03) * (1 - exp(-mcsi * 0.4));
            double tr = exp(-mal * L / 10.0);
            num[LC_LOW] += np[j] * etal * E * tr;
            den[LC_LOW] += np[j] * etal * E;
            num[LC_HIGH] += np[j] * etah * E * tr;
            den[LC_HIGH] += np[j] * etah * E;
        }
        assert_int_equal(lc__sim_ray(sim, 0, p, 100.0 + 150 * i, &sig, NULL), LC_OK);
        for (int k = 0; k < LC_CHANNELS; k++) {
            double want = num[k] / den[k], got = sig.mean[k] / air.mean[k];
            if (fabs(got / want - 1) >= 1e-4)
                fprintf(stderr, "step %g mm ch %d: got %.8g want %.8g\n", t[i], k, got, want);
            assert_true(fabs(got / want - 1) < 1e-4);
        }
    }
    lc__sim_free(sim);
    lc_scanner_free(sc);
    lc_scene_free(s);
}

/* ---------------------------------------------------------------- runs */

static void run_sim(const lc_scene *s, const lc_scanner *sc, uint64_t seed, int noise, int threads,
                    lc_scan **scan, lc_sim_labels **lab)
{
    lc_sim_options o;
    lc_sim_options_init(&o);
    o.seed = seed;
    o.noise = noise;
    o.threads = threads;
    lc_error err;
    lc_status st = lc_simulate(s, sc, &o, scan, lab, &err);
    if (st != LC_OK)
        fprintf(stderr, "simulate: %s\n", err.msg);
    assert_int_equal(st, LC_OK);
}

static bool same_planes(const lc_scan *a, const lc_scan *b)
{
    if (lc_scan_view_count(a) != lc_scan_view_count(b))
        return false;
    for (size_t v = 0; v < lc_scan_view_count(a); v++) {
        lc_view *va = lc_scan_view(a, v), *vb = lc_scan_view(b, v);
        size_t n = (size_t)lc_view_lines(va) * lc_view_pixels(va);
        if (lc_view_lines(va) != lc_view_lines(vb) || lc_view_pixels(va) != lc_view_pixels(vb))
            return false;
        for (int k = 0; k < LC_CHANNELS; k++)
            if (memcmp(lc_view_plane(va, (lc_channel)k), lc_view_plane(vb, (lc_channel)k), n * 2) !=
                0)
                return false;
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < LC_CHANNELS; k++)
                if (memcmp(lc_view_ref(va, (lc_ref_kind)r, (lc_channel)k),
                           lc_view_ref(vb, (lc_ref_kind)r, (lc_channel)k),
                           (size_t)lc_view_ref_lines(va, (lc_ref_kind)r) * lc_view_pixels(va) *
                               2) != 0)
                    return false;
    }
    return true;
}

static void test_sphere_magnification(void **state)
{
    (void)state;
    const double R = 50, zc = 150;
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":[{\"id\":\"ball\",\"shape\":\"sphere\","
                        "\"radius\":50,\"position\":[200,0,150],\"material\":\"aluminium\"},"
                        "{\"id\":\"high\",\"shape\":\"sphere\",\"radius\":50,"
                        "\"position\":[450,0,300],\"material\":\"aluminium\"}]}",
                        LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    lc_scan *scan = NULL;
    lc_sim_labels *lab = NULL;
    run_sim(s, sc, 1, 0, 2, &scan, &lab);
    /* Tangent rays from the bottom source (y -300, z -350) to the circle of
     * radius R around (0, zc) meet the roof arm z = 440 at y = ys + 790 tan(.). */
    double dy = 0 - (-300.0), dz = zc - (-350.0);
    double phi = atan2(dy, dz), alpha = asin(R / sqrt(dy * dy + dz * dz));
    double ya = -300.0 + 790.0 * tan(phi - alpha), yb = -300.0 + 790.0 * tan(phi + alpha);
    double want_px = (yb - ya) / 1.6;
    uint32_t box[4];
    assert_int_equal(lc_sim_labels_bbox(lab, 0, 0, box), 1);
    double got_px = box[3] - box[1];
    fprintf(stderr, "sphere: predicted %.2f px, labels %.0f px\n", want_px, got_px);
    assert_true(fabs(got_px - want_px) <= 1.0);
    /* Along the belt there is no magnification: 2R / line pitch lines. */
    assert_true(fabs((double)(box[2] - box[0]) - 2 * R / 1.6) <= 1.0);
    /* The image itself: pixels of the middle line darker than their air
     * reference (noiseless, so any attenuation shows). */
    lc_view *v = lc_scan_view(scan, 0);
    uint32_t lines = lc_view_lines(v), mid = (box[0] + box[2]) / 2;
    const uint16_t *hi = lc_view_plane(v, LC_HIGH), *air = lc_view_ref(v, LC_REF_AIR, LC_HIGH);
    uint32_t nref = lc_view_ref_lines(v, LC_REF_AIR);
    int count = 0;
    for (uint32_t p = 0; p < lc_view_pixels(v); p++)
        count += hi[(size_t)p * lines + mid] < air[(size_t)p * nref];
    fprintf(stderr, "sphere: image %d px\n", count);
    assert_true(fabs(count - want_px) <= 1.0);
    /* The side view: the higher sphere's tangent rays from the side source
     * (y -650, z 420) meet the far-wall arm y = 340 at z = zs + 990 tan(.). */
    {
        double ey = 0 - (-650.0), ez = 300.0 - 420.0;
        double th = atan2(ez, ey), al = asin(R / sqrt(ey * ey + ez * ez));
        double za = 420.0 + 990.0 * tan(th - al), zb = 420.0 + 990.0 * tan(th + al);
        assert_true(za > -40 && zb < 420); /* both on the wall arm */
        double want1 = (zb - za) / 1.6;
        assert_int_equal(lc_sim_labels_bbox(lab, 1, 1, box), 1);
        fprintf(stderr, "side view sphere: predicted %.2f px, labels %u px\n", want1,
                box[3] - box[1]);
        assert_true(fabs((double)(box[3] - box[1]) - want1) <= 1.0);
    }
    /* Nothing is labelled for objects or views that do not exist. */
    assert_int_equal(lc_sim_labels_bbox(lab, 2, 0, box), 0);
    assert_int_equal(lc_sim_labels_bbox(lab, 0, 2, box), 0);
    lc_sim_labels_free(lab);
    lc_scan_free(scan);
    lc_scanner_free(sc);
    lc_scene_free(s);
}

static void test_mesh_box_signal(void **state)
{
    (void)state;
    char p1[512];
    snprintf(p1, sizeof p1, "%s/cube.stl", tmpdir);
    write_cube_binary(p1, 40);
    lc_scene *a = parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"box\",\"size\":[80,80,80],"
                        "\"position\":[100,20,60],\"rotation\":[10,20,30],"
                        "\"material\":\"aluminium\"}]}",
                        LC_OK, NULL);
    lc_scene *b = parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"mesh\",\"file\":"
                        "\"cube.stl\",\"position\":[100,20,60],\"rotation\":[10,20,30],"
                        "\"material\":\"aluminium\"}]}",
                        LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    /* Same expected signal on every ray of the middle slice of both views. */
    lc__sim *sa = make_sim(a, sc, NULL), *sb = make_sim(b, sc, NULL);
    int shadowed = 0;
    for (size_t v = 0; v < 2; v++)
        for (uint32_t p = 0; p < sa->views[v].npix; p++) {
            lc_signal qa, qb;
            assert_int_equal(lc__sim_ray(sa, v, p, 100.0, &qa, NULL), LC_OK);
            assert_int_equal(lc__sim_ray(sb, v, p, 100.0, &qb, NULL), LC_OK);
            for (int k = 0; k < LC_CHANNELS; k++)
                assert_true(fabs(qa.mean[k] - qb.mean[k]) <= 1e-9 * qa.mean[k]);
            const lc_signal *air = lc_signal_model_air(sa->model);
            shadowed +=
                qa.mean[0] < 0.99 * sa->views[v].gain[0][p] * sa->views[v].flux[p] * air->mean[0];
        }
    assert_true(shadowed > 50);
    lc__sim_free(sa);
    lc__sim_free(sb);
    /* And the whole noiseless scans are equal. */
    lc_scan *ka = NULL, *kb = NULL;
    run_sim(a, sc, 3, 0, 1, &ka, NULL);
    run_sim(b, sc, 3, 0, 1, &kb, NULL);
    assert_true(same_planes(ka, kb));
    lc_scan_free(ka);
    lc_scan_free(kb);
    lc_scanner_free(sc);
    lc_scene_free(a);
    lc_scene_free(b);
}

static void test_reproducible_threads_threat(void **state)
{
    (void)state;
#define BASE_SCENE(extra)                                                                          \
    "{\"lucent_scene\":1,\"objects\":[{\"id\":\"c\",\"shape\":\"cylinder\",\"radius\":30,"         \
    "\"height\":80,\"position\":[60,30,40],\"material\":\"rdx\"" extra "}]}"
    const char *j1 = BASE_SCENE(""), *j2 = BASE_SCENE(",\"threat\":\"explosive\"");
    lc_scene *s1 = parse(j1, LC_OK, NULL), *s2 = parse(j2, LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    lc_scan *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    run_sim(s1, sc, 42, 1, 1, &a, NULL);
    run_sim(s1, sc, 42, 1, 3, &b, NULL);
    run_sim(s2, sc, 42, 1, 2, &c, NULL);
    run_sim(s1, sc, 43, 1, 2, &d, NULL);
    assert_true(same_planes(a, b));  /* thread count does not matter */
    assert_true(same_planes(a, c));  /* the threat label never changes the signal */
    assert_false(same_planes(a, d)); /* another seed is another scan */
    const lc_scan_info *info = lc_scan_get_info(a);
    assert_true(info->kvp == 160 && info->bits_stored == 16);
    assert_true(fabs(info->line_period_s - 0.008) < 1e-12);
    assert_string_equal(lc_view_get_info(lc_scan_view(a, 0))->label, "bottom");
    assert_string_equal(lc_view_get_info(lc_scan_view(a, 1))->label, "side");
    assert_int_equal(lc_view_ref_lines(lc_scan_view(a, 0), LC_REF_AIR), 16);
    /* Detector defects: a dead pixel reads its dark level in air, a hot one
     * sits near full scale even in the dark; the rest read air well above
     * dark and below saturation. */
    for (size_t v = 0; v < 2; v++) {
        lc_view *view = lc_scan_view(a, v);
        const uint16_t *air = lc_view_ref(view, LC_REF_AIR, LC_HIGH);
        const uint16_t *dark = lc_view_ref(view, LC_REF_DARK, LC_HIGH);
        int dead = 0, hot = 0, normal = 0;
        for (uint32_t p = 0; p < lc_view_pixels(view); p++) {
            double am = 0, dm = 0;
            for (int l = 0; l < 16; l++) {
                am += air[p * 16 + (uint32_t)l] / 16.0;
                dm += dark[p * 16 + (uint32_t)l] / 16.0;
            }
            if (dm > 50000)
                hot++;
            else if (am - dm < 50)
                dead++;
            else if (am > 5000 && am < 0.9 * 65535)
                normal++;
        }
        assert_true(dead >= 1 && dead <= 2);
        assert_int_equal(hot, 1);
        assert_int_equal(normal + dead + hot, (int)lc_view_pixels(view));
    }
    lc_scan_free(a);
    lc_scan_free(b);
    lc_scan_free(c);
    lc_scan_free(d);
    lc_scanner_free(sc);
    lc_scene_free(s1);
    lc_scene_free(s2);
}

static void test_noise_statistics(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/scanner.json", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"acquisition\":{\"reference_lines\":1200,\"dead_pixels\":0,\"hot_pixels\":0},"
               "\"geometry\":{\"pixel_pitch_mm\":1.6}}\n");
    fclose(f);
    lc_scanner *sc = NULL;
    lc_error err;
    assert_int_equal(lc_scanner_load(path, &sc, &err), LC_OK);
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":[]}", LC_OK, NULL);
    lc_scan *scan = NULL;
    run_sim(s, sc, 9, 1, 2, &scan, NULL);
    lc__sim *sim = make_sim(s, sc, NULL); /* the same detector: same seed */
    const lc_signal *air = lc_signal_model_air(sim->model);
    double sig_e = sc->electronic_noise;
    for (size_t v = 0; v < 2; v++) {
        lc_view *view = lc_scan_view(scan, v);
        uint32_t np = lc_view_pixels(view), nl = lc_view_ref_lines(view, LC_REF_AIR);
        assert_int_equal(nl, 1200);
        for (int k = 0; k < LC_CHANNELS; k++) {
            double rmean = 0, rvar = 0, dvar = 0;
            int used = 0;
            const uint16_t *ra = lc_view_ref(view, LC_REF_AIR, (lc_channel)k);
            const uint16_t *rd = lc_view_ref(view, LC_REF_DARK, (lc_channel)k);
            for (uint32_t p = 0; p < np; p += 7) {
                double a = sim->views[v].gain[k][p], fl = sim->views[v].flux[p];
                double off = sim->views[v].offset[k][p];
                double m_model = a * fl * air->mean[k] + off;
                double v_model = a * a * fl * air->var[k] + sig_e * sig_e + 1.0 / 12;
                double sum = 0, sum2 = 0, ds = 0, ds2 = 0;
                for (uint32_t l = 0; l < nl; l++) {
                    double x = ra[(size_t)p * nl + l], y = rd[(size_t)p * nl + l];
                    sum += x;
                    sum2 += x * x;
                    ds += y;
                    ds2 += y * y;
                }
                double mean = sum / nl, var = (sum2 - sum * mean) / (nl - 1);
                double dmean = ds / nl, dv = (ds2 - ds * dmean) / (nl - 1);
                assert_true(fabs(mean / m_model - 1) < 0.03);
                assert_true(fabs(dmean - off) < 1.0);
                rmean += mean / m_model;
                rvar += var / v_model;
                dvar += dv / (sig_e * sig_e + 1.0 / 12);
                used++;
            }
            rmean /= used;
            rvar /= used;
            dvar /= used;
            fprintf(stderr,
                    "view %zu %s: air mean ratio %.5f, air variance ratio %.4f, "
                    "dark variance ratio %.4f\n",
                    v, k ? "low" : "high", rmean, rvar, dvar);
            assert_true(fabs(rmean - 1) < 0.03);
            assert_true(fabs(rvar - 1) < 0.03);
            assert_true(fabs(dvar - 1) < 0.03);
        }
    }
    /* The quantum part dominates the air variance (a noise model, not just
     * electronics): variance well above the electronic noise. */
    double a = sim->views[0].gain[0][100];
    assert_true(a * a * sim->views[0].flux[100] * air->var[0] > 10 * sig_e * sig_e);
    lc__sim_free(sim);
    lc_scan_free(scan);
    lc_scanner_free(sc);
    lc_scene_free(s);
}

/* Behind an object the noise follows the model too: a long uniform steel
 * slab gives the same expected signal on every line of a pixel, so the
 * sample variance over the lines is the model's variance there. */
static void test_noise_behind_object(void **state)
{
    (void)state;
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"box\","
                        "\"size\":[500,500,8],\"position\":[250,0,100],\"material\":\"steel\"}]}",
                        LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    lc_scan *scan = NULL;
    run_sim(s, sc, 11, 1, 2, &scan, NULL);
    lc__sim *sim = make_sim(s, sc, NULL);
    lc_view *view = lc_scan_view(scan, 0);
    uint32_t lines = lc_view_lines(view);
    double sig_e = sc->electronic_noise;
    for (int k = 0; k < LC_CHANNELS; k++) {
        const uint16_t *pl = lc_view_plane(view, (lc_channel)k);
        double rmean = 0, rvar = 0;
        int used = 0;
        for (uint32_t p = 0; p < sim->views[0].npix; p += 3) {
            lc_signal q;
            assert_int_equal(lc__sim_ray(sim, 0, p, 250.0, &q, NULL), LC_OK);
            double air = sim->views[0].gain[k][p] * sim->views[0].flux[p] *
                         lc_signal_model_air(sim->model)->mean[k];
            if (!(q.mean[k] < 0.5 * air) || q.mean[k] < 20)
                continue; /* only pixels well behind the slab */
            double sum = 0, sum2 = 0;
            int n = 0;
            for (uint32_t x = 0; x < lines; x++) {
                double xc = sim->x0 - x * sim->line_pitch;
                if (xc < 20 || xc > 480)
                    continue;
                double v = pl[(size_t)p * lines + x];
                sum += v;
                sum2 += v * v;
                n++;
            }
            double mean = sum / n, var = (sum2 - sum * mean) / (n - 1);
            double off = sim->views[0].offset[k][p];
            rmean += mean / (q.mean[k] + off);
            rvar += var / (q.var[k] + sig_e * sig_e + 1.0 / 12);
            used++;
        }
        assert_true(used > 50);
        rmean /= used;
        rvar /= used;
        fprintf(stderr, "behind 8 mm steel, %s: mean ratio %.5f, variance ratio %.4f (%d px)\n",
                k ? "low" : "high", rmean, rvar, used);
        assert_true(fabs(rmean - 1) < 0.01);
        assert_true(fabs(rvar - 1) < 0.03);
    }
    lc__sim_free(sim);
    lc_scan_free(scan);
    lc_scanner_free(sc);
    lc_scene_free(s);
}

static void test_labels_json(void **state)
{
    (void)state;
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":["
                        "{\"id\":\"knife\",\"shape\":\"box\",\"size\":[120,20,3],"
                        "\"position\":[100,0,20],\"material\":\"stainless_steel\","
                        "\"threat\":\"weapon\"},"
                        "{\"id\":\"far\",\"shape\":\"sphere\",\"radius\":5,"
                        "\"position\":[100,2000,20],\"material\":\"water\"},"
                        "{\"id\":\"gel\",\"shape\":\"sphere\",\"radius\":10,\"position\":[100,0,"
                        "100],\"material\":{\"composition\":\"C3H8O3\",\"density\":1.26}}]}",
                        LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    lc_scan *scan = NULL;
    lc_sim_labels *lab = NULL;
    run_sim(s, sc, 1, 0, 1, &scan, &lab);
    char *txt = NULL;
    assert_int_equal(lc_sim_labels_json(lab, &txt, NULL), LC_OK);
    json_error_t je;
    json_t *root = json_loads(txt, 0, &je);
    assert_non_null(root);
    json_t *objs = json_object_get(root, "objects");
    assert_int_equal(json_array_size(objs), 3);
    json_t *k = json_array_get(objs, 0);
    assert_string_equal(json_string_value(json_object_get(k, "id")), "knife");
    assert_string_equal(json_string_value(json_object_get(k, "material")), "stainless_steel");
    assert_string_equal(json_string_value(json_object_get(k, "threat")), "weapon");
    json_t *views = json_object_get(k, "views");
    assert_int_equal(json_array_size(views), 2);
    json_t *bb = json_object_get(json_array_get(views, 0), "bbox");
    assert_int_equal(json_array_size(bb), 4);
    /* 120 mm along the belt is 75 lines. */
    json_int_t x0 = json_integer_value(json_array_get(bb, 0));
    json_int_t x1 = json_integer_value(json_array_get(bb, 2));
    assert_true(llabs((long long)(x1 - x0) - 75) <= 1);
    /* Outside the tunnel: in no view. */
    json_t *far = json_array_get(objs, 1);
    assert_int_equal(json_array_size(json_object_get(far, "views")), 0);
    assert_true(json_is_null(json_object_get(far, "threat")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(objs, 2), "material")),
                        "C3H8O3");
    json_decref(root);
    free(txt);
    /* Labels file and PNG. */
    char path[512];
    snprintf(path, sizeof path, "%s/labels.json", tmpdir);
    assert_int_equal(lc_sim_labels_write(lab, path, NULL), LC_OK);
    snprintf(path, sizeof path, "%s/v0.png", tmpdir);
    assert_int_equal(lc_sim_write_png(scan, 0, path, NULL), LC_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char sig[8];
    assert_int_equal(fread(sig, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(lc_sim_write_png(scan, 5, path, NULL), LC_ERR_ARG);
    lc_sim_labels_free(lab);
    lc_sim_labels_free(NULL);
    lc_scan_free(scan);
    lc_scanner_free(sc);
    lc_scene_free(s);
}

static void test_too_long(void **state)
{
    (void)state;
    /* 200 m of bag at 1.6 mm per line needs more than 65535 lines. */
    lc_scene *s = parse("{\"lucent_scene\":1,\"objects\":[{\"shape\":\"sphere\",\"radius\":5,"
                        "\"position\":[0,0,50],\"material\":\"water\"},{\"shape\":\"sphere\","
                        "\"radius\":5,\"position\":[200000,0,50],\"material\":\"water\"}]}",
                        LC_OK, NULL);
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    lc_scan *scan = NULL;
    lc_error err;
    assert_int_equal(lc_simulate(s, sc, NULL, &scan, NULL, &err), LC_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "lines"));
    assert_null(scan);
    lc_scanner_free(sc);
    lc_scene_free(s);
}

static void test_scanner_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/sc.json", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"tube\":{\"kvp\":140},\"geometry\":{\"pixel_pitch_mm\":2.0,\"views\":["
               "{\"label\":\"top\",\"source\":[0,-400],\"detector\":[[-400,500],[400,500]]}]}}");
    fclose(f);
    lc_scanner *sc = NULL;
    lc_error err;
    assert_int_equal(lc_scanner_load(path, &sc, &err), LC_OK);
    assert_int_equal(lc_scanner_view_count(sc), 1);
    assert_int_equal(lc_scanner_pixels(sc, 0), 400);
    assert_int_equal(lc_scanner_pixels(sc, 1), 0);
    lc_scanner_free(sc);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"acquisition\":{\"belt_sped\":3}}");
    fclose(f);
    assert_int_equal(lc_scanner_load(path, &sc, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "acquisition.belt_sped: unknown key"));
    assert_null(sc);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"geometry\":{\"views\":[{\"source\":[0,1],\"detector\":[[0,0]]}]}}");
    fclose(f);
    assert_int_equal(lc_scanner_load(path, &sc, &err), LC_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "geometry.views[0].detector"));
    lc_scanner_free(NULL);
}

static void test_rng(void **state)
{
    (void)state;
    lc__simrng r;
    lc__simrng_seed(&r, 5, 1, 2);
    /* Poisson means and variances at small and large means. */
    const double lam[] = {0.7, 12.0, 400.0};
    for (int i = 0; i < 3; i++) {
        double s = 0, s2 = 0;
        const int n = 200000;
        for (int k = 0; k < n; k++) {
            double x = lc__simrng_poisson(&r, lam[i]);
            s += x;
            s2 += x * x;
        }
        double m = s / n, v = s2 / n - m * m;
        assert_true(fabs(m / lam[i] - 1) < 0.01);
        assert_true(fabs(v / lam[i] - 1) < 0.03);
    }
    lc__simrng a, b;
    lc__simrng_seed(&a, 5, 1, 2);
    lc__simrng_seed(&b, 5, 1, 3);
    assert_true(lc__simrng_next(&a) != lc__simrng_next(&b));
}

/* The public view geometry: one centre per pixel, neighbours one pitch apart
 * along the detector line (a little less across the corner of the L), unit
 * normals all facing the source's side, and a clear refusal when the arrays
 * are short. */
static void test_scanner_view_geometry(void **state)
{
    (void)state;
    lc_scanner *sc = NULL;
    assert_int_equal(lc_scanner_new(&sc, NULL), LC_OK);
    double pitch = lc_scanner_pixel_pitch(sc);
    assert_true(pitch > 0);
    for (size_t v = 0; v < lc_scanner_view_count(sc); v++) {
        uint32_t n = lc_scanner_pixels(sc, v);
        double *pos = malloc(sizeof(double) * 2 * n), *nrm = malloc(sizeof(double) * 2 * n);
        double src[2];
        int side = 0;
        lc_error err;
        assert_int_equal(lc_scanner_view_geometry(sc, v, src, pos, nrm, n - 1, &err), LC_ERR_LIMIT);
        assert_int_equal(lc_scanner_view_geometry(sc, v, src, pos, nrm, n, &err), LC_OK);
        for (uint32_t p = 0; p < n; p++) {
            assert_true(fabs(hypot(nrm[2 * p], nrm[2 * p + 1]) - 1.0) < 1e-9);
            /* Every normal faces the same way relative to the source: the
             * detector line never folds back on itself. */
            double ty = src[0] - pos[2 * p], tz = src[1] - pos[2 * p + 1];
            double dot = (ty * nrm[2 * p] + tz * nrm[2 * p + 1]) / hypot(ty, tz);
            if (p == 0)
                side = dot > 0 ? 1 : -1;
            assert_true(dot * side > 0.2);
            if (p > 0) {
                double d = hypot(pos[2 * p] - pos[2 * p - 2], pos[2 * p + 1] - pos[2 * p - 1]);
                assert_true(d <= pitch + 1e-9 && d > 0.7 * pitch);
            }
        }
        /* Without normals it gives the same positions. */
        double *pos2 = malloc(sizeof(double) * 2 * n);
        assert_int_equal(lc_scanner_view_geometry(sc, v, src, pos2, NULL, n, &err), LC_OK);
        assert_memory_equal(pos, pos2, sizeof(double) * 2 * n);
        free(pos2);
        free(pos);
        free(nrm);
    }
    double src[2], pos[2];
    assert_int_equal(lc_scanner_view_geometry(sc, 99, src, pos, NULL, 1, NULL), LC_ERR_ARG);
    lc_scanner_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scene_ok),
        cmocka_unit_test(test_scene_errors),
        cmocka_unit_test(test_shapes_exact),
        cmocka_unit_test(test_mesh_vs_box),
        cmocka_unit_test(test_mesh_slices),
        cmocka_unit_test(test_stl_malformed),
        cmocka_unit_test(test_mono_beer_lambert),
        cmocka_unit_test(test_poly_step_wedge),
        cmocka_unit_test(test_sphere_magnification),
        cmocka_unit_test(test_mesh_box_signal),
        cmocka_unit_test(test_reproducible_threads_threat),
        cmocka_unit_test(test_noise_statistics),
        cmocka_unit_test(test_noise_behind_object),
        cmocka_unit_test(test_labels_json),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_scanner_file),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_scanner_view_geometry),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
