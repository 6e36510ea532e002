/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_scene.c: libFuzzer target for the simulator's parsers of outside
 * bytes. An input that starts with '{' (after blanks) is a scene file: it is
 * parsed (mesh paths resolve under a folder that does not exist, and inputs
 * naming paths with '/' are skipped, so no real file is ever read) and, when
 * accepted, rays are cast through every object. Any other input is an STL
 * file (binary or ASCII): it is parsed and, when accepted, rays are cast
 * through the mesh in 3-D and through two of its sections in 2-D. Path lengths must be finite and
 * non-negative.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cast_rays(const lc__object *ob, lc__hitbuf *hb)
{
    static const double rays[][6] = {
        {-1000, 0, 0, 1000, 0, 0},           {0, -1000, 0, 0, 1000, 0},
        {0, 0, -1000, 0, 0, 1000},           {-700, -600, -500, 700, 600, 500},
        {-1000, 1.5, -0.5, 1000, 1.5, -0.5}, {0.25, -1000, 3, 0.25, 1000, 3},
    };
    for (size_t r = 0; r < sizeof rays / sizeof rays[0]; r++) {
        double s[3] = {rays[r][0] + ob->pos[0], rays[r][1] + ob->pos[1], rays[r][2] + ob->pos[2]};
        double d[3] = {rays[r][3] - rays[r][0], rays[r][4] - rays[r][1], rays[r][5] - rays[r][2]};
        double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        double l = lc__object_path(ob, s, d, len, hb);
        /* A path is never NaN nor longer than the segment. */
        if (isnan(l) || l > len * (1 + 1e-9) + 1e-9)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r'))
        i++;
    lc__hitbuf hb = {0};
    if (i < size && data[i] == '{') {
        if (memchr(data, '/', size))
            return 0;
        lc_scene *s = NULL;
        if (lc_scene_parse((const char *)data, size, "fuzz.json", "/nonexistent-lucent-fuzz", &s,
                           NULL) == LC_OK) {
            for (size_t k = 0; k < s->nobjects; k++)
                cast_rays(&s->objects[k], &hb);
            lc_scene_free(s);
        }
    } else {
        lc__mesh *m = NULL;
        if (lc__mesh_parse_stl(data, size, "fuzz.stl", &m, NULL) == LC_OK) {
            lc__object ob;
            memset(&ob, 0, sizeof ob);
            ob.shape = LC__MESH;
            ob.mesh = m;
            ob.scale = 1.0;
            double zero[3] = {0, 0, 0};
            lc__euler_to_matrix(zero, ob.rot);
            cast_rays(&ob, &hb);
            /* Sections through the middle and at a vertex's plane, and 2-D rays. */
            lc__slice sl = {0};
            double xs[2] = {0.5 * (m->lo[0] + m->hi[0]), m->v[0]};
            for (int k = 0; k < 2; k++) {
                if (!lc__slice_build(m->v, m->ntris, xs[k], &sl))
                    break;
                double o[2] = {m->lo[1] - 10, m->lo[2] - 10};
                double d[2] = {m->hi[1] - m->lo[1] + 20, m->hi[2] - m->lo[2] + 20};
                double l = lc__slice_inside_t(&sl, o, d, 0, 1, &hb);
                if (isnan(l) || l > 1 + 1e-9)
                    abort();
            }
            free(sl.s);
            lc__mesh_free(m);
        }
    }
    free(hb.h);
    return 0;
}
