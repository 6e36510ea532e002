/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scene.c: parses a scene file (DESIGN.md, "Scene format", a contract) into
 * the simulator's objects. Strict: unknown keys, wrong types, non-finite or
 * non-positive sizes, walls thicker than the shape allows, duplicate ids and
 * missing mesh files are errors whose message names the field
 * ("bag.json: objects[3].size[1]: must be positive"). Meshes are loaded once
 * per file even when several objects use them.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/util.h"

void lc_scene_free(lc_scene *scene)
{
    if (!scene)
        return;
    for (size_t i = 0; i < scene->nmeshes; i++)
        lc__mesh_free(scene->meshes[i]);
    free(scene->meshes);
    free(scene->objects);
    free(scene);
}

const char *lc_scene_name(const lc_scene *scene)
{
    return scene ? scene->name : "";
}

size_t lc_scene_object_count(const lc_scene *scene)
{
    return scene ? scene->nobjects : 0;
}

const char *lc_scene_object_id(const lc_scene *scene, size_t i)
{
    return (scene && i < scene->nobjects) ? scene->objects[i].id : NULL;
}

void lc_scene_object_bounds(const lc_scene *scene, size_t i, double lo[3], double hi[3])
{
    for (int c = 0; c < 3; c++)
        lo[c] = hi[c] = 0.0;
    if (!scene || i >= scene->nobjects)
        return;
    memcpy(lo, scene->objects[i].lo, 3 * sizeof(double));
    memcpy(hi, scene->objects[i].hi, 3 * sizeof(double));
}

/* Parsing state: the scene being built and where errors point. */
typedef struct pctx {
    lc_scene *sc;
    const char *name;
    const char *base_dir;
    lc_error *err;
    char field[96]; /* "objects[3]" */
} pctx;

/* Reports a bad field: "<file>: <objects[i]>.<key>: <what>". */
static lc_status ferr(pctx *p, const char *key, const char *what)
{
    return lc_error_set(p->err, LC_ERR_FORMAT, "%s: %s%s%s: %s", p->name, p->field,
                        key && *key ? "." : "", key ? key : "", what);
}

static lc_status get_number(pctx *p, json_t *o, const char *key, double *out, double lo, double hi,
                            bool positive)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return ferr(p, key, "must be a number");
    double x = json_number_value(v);
    if (!isfinite(x))
        return ferr(p, key, "must be finite");
    if (positive && !(x > 0.0))
        return ferr(p, key, "must be positive");
    if (x < lo || x > hi)
        return ferr(p, key, "out of range");
    *out = x;
    return LC_OK;
}

static lc_status get_vec3(pctx *p, json_t *o, const char *key, double out[3], double lim,
                          bool positive)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != 3)
        return ferr(p, key, "must be an array of 3 numbers");
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_array_get(a, i);
        char k[48];
        snprintf(k, sizeof k, "%s[%zu]", key, i);
        if (!json_is_number(v))
            return ferr(p, k, "must be a number");
        double x = json_number_value(v);
        if (!isfinite(x) || fabs(x) > lim)
            return ferr(p, k, "out of range");
        if (positive && !(x > 0.0))
            return ferr(p, k, "must be positive");
        out[i] = x;
    }
    return LC_OK;
}

static lc_status load_mesh(pctx *p, const char *file, const lc__mesh **out)
{
    char path[4096];
    if (file[0] == '/' || !p->base_dir || !*p->base_dir) {
        if (!lc__strlcpy(path, file, sizeof path))
            return ferr(p, "file", "path too long");
    } else if (!lc__path_join(path, sizeof path, p->base_dir, file)) {
        return ferr(p, "file", "path too long");
    }
    for (size_t i = 0; i < p->sc->nmeshes; i++) {
        if (strcmp(p->sc->meshes[i]->path, path) == 0) {
            *out = p->sc->meshes[i];
            return LC_OK;
        }
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_error e2;
    lc_status st = lc__read_file(path, LC__STL_MAX_BYTES, &buf, &len, &e2);
    if (st != LC_OK)
        return lc_error_set(p->err, st, "%s: %s.file: %s", p->name, p->field, e2.msg);
    lc__mesh *m = NULL;
    st = lc__mesh_parse_stl(buf, len, path, &m, &e2);
    free(buf);
    if (st != LC_OK)
        return lc_error_set(p->err, st, "%s: %s.file: %s", p->name, p->field, e2.msg);
    lc__mesh **nm = realloc(p->sc->meshes, (p->sc->nmeshes + 1) * sizeof *nm);
    if (!nm) {
        lc__mesh_free(m);
        return lc_error_set(p->err, LC_ERR_NOMEM, "%s: out of memory", p->name);
    }
    p->sc->meshes = nm;
    nm[p->sc->nmeshes++] = m;
    *out = m;
    return LC_OK;
}

static bool key_allowed(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(key, allowed[i]) == 0)
            return true;
    return false;
}

/* World bounding box: the local box's 8 corners moved into the world. Exact
 * for boxes, a safe overestimate for the round shapes. */
static void world_bounds(lc__object *ob)
{
    double h[3];
    double llo[3], lhi[3];
    if (ob->shape == LC__MESH) {
        for (int c = 0; c < 3; c++) {
            llo[c] = ob->mesh->lo[c] * ob->scale;
            lhi[c] = ob->mesh->hi[c] * ob->scale;
        }
    } else {
        memcpy(h, ob->half, sizeof h);
        for (int c = 0; c < 3; c++) {
            llo[c] = -h[c];
            lhi[c] = h[c];
        }
    }
    for (int c = 0; c < 3; c++) {
        ob->lo[c] = INFINITY;
        ob->hi[c] = -INFINITY;
    }
    for (int k = 0; k < 8; k++) {
        double l[3] = {(k & 1) ? lhi[0] : llo[0], (k & 2) ? lhi[1] : llo[1],
                       (k & 4) ? lhi[2] : llo[2]};
        for (int c = 0; c < 3; c++) {
            double w = ob->rot[c * 3] * l[0] + ob->rot[c * 3 + 1] * l[1] +
                       ob->rot[c * 3 + 2] * l[2] + ob->pos[c];
            if (w < ob->lo[c])
                ob->lo[c] = w;
            if (w > ob->hi[c])
                ob->hi[c] = w;
        }
    }
    /* A hair of slack so rays exactly on a face are not pruned. */
    for (int c = 0; c < 3; c++) {
        ob->lo[c] -= 1e-6 * (1.0 + fabs(ob->lo[c]));
        ob->hi[c] += 1e-6 * (1.0 + fabs(ob->hi[c]));
    }
}

static lc_status parse_object(pctx *p, json_t *jo, size_t idx, lc__object *ob)
{
    static const char *const allowed[] = {"id",       "shape", "material", "threat", "position",
                                          "rotation", "size",  "radius",   "height", "radii",
                                          "wall",     "file",  "scale",    NULL};
    lc_status st;
    snprintf(p->field, sizeof p->field, "objects[%zu]", idx);
    if (!json_is_object(jo))
        return ferr(p, NULL, "must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(jo, key, val)
    {
        if (!key_allowed(key, allowed)) {
            char k[40];
            lc__strlcpy(k, key, sizeof k);
            return ferr(p, k, "unknown key");
        }
    }
    /* id */
    json_t *jid = json_object_get(jo, "id");
    if (jid) {
        if (!json_is_string(jid) || json_string_length(jid) == 0)
            return ferr(p, "id", "must be a non-empty string");
        if (json_string_length(jid) >= LC_ID_MAX)
            return ferr(p, "id", "longer than 64 characters");
        lc__strlcpy(ob->id, json_string_value(jid), sizeof ob->id);
    } else {
        snprintf(ob->id, sizeof ob->id, "object%zu", idx);
    }
    for (size_t j = 0; j < idx; j++)
        if (strcmp(p->sc->objects[j].id, ob->id) == 0)
            return ferr(p, "id", "duplicate id");
    /* threat */
    json_t *jt = json_object_get(jo, "threat");
    if (jt && !json_is_null(jt)) {
        const char *t = json_string_value(jt);
        if (!t ||
            (strcmp(t, "explosive") != 0 && strcmp(t, "weapon") != 0 && strcmp(t, "dense") != 0))
            return ferr(p, "threat", "must be \"explosive\", \"weapon\" or \"dense\"");
        lc__strlcpy(ob->threat, t, sizeof ob->threat);
    }
    /* material */
    json_t *jm = json_object_get(jo, "material");
    if (!jm)
        return ferr(p, "material", "missing");
    if (json_is_string(jm)) {
        if (json_string_length(jm) == 0 || json_string_length(jm) >= LC_TEXT_MAX)
            return ferr(p, "material", "must be a name of 1..128 characters");
        lc__strlcpy(ob->material, json_string_value(jm), sizeof ob->material);
    } else if (json_is_object(jm)) {
        json_object_foreach(jm, key, val)
        {
            if (strcmp(key, "composition") != 0 && strcmp(key, "density") != 0) {
                char k[40];
                snprintf(k, sizeof k, "material.%.24s", key);
                return ferr(p, k, "unknown key");
            }
        }
        json_t *jc = json_object_get(jm, "composition");
        if (!json_is_string(jc) || json_string_length(jc) == 0)
            return ferr(p, "material.composition", "must be a non-empty string");
        if (json_string_length(jc) >= LC__COMPOSITION_MAX)
            return ferr(p, "material.composition", "too long");
        lc__strlcpy(ob->composition, json_string_value(jc), sizeof ob->composition);
        char save[64];
        lc__strlcpy(save, p->field, sizeof save);
        snprintf(p->field, sizeof p->field, "%s.material", save);
        st = get_number(p, jm, "density", &ob->density, 0.0, 30.0, true);
        lc__strlcpy(p->field, save, sizeof p->field);
        if (st != LC_OK)
            return st;
    } else {
        return ferr(p, "material", "must be a name or {\"composition\", \"density\"}");
    }
    /* placement */
    if ((st = get_vec3(p, jo, "position", ob->pos, LC__MAX_POS_MM, false)) != LC_OK)
        return st;
    double rot[3] = {0, 0, 0};
    if (json_object_get(jo, "rotation") &&
        (st = get_vec3(p, jo, "rotation", rot, 1.0e4, false)) != LC_OK)
        return st;
    lc__euler_to_matrix(rot, ob->rot);
    /* shape */
    json_t *js = json_object_get(jo, "shape");
    const char *shape = json_string_value(js);
    if (!shape)
        return ferr(p, "shape", "missing or not a string");
    const char *wall_ok = NULL;
    if (strcmp(shape, "box") == 0) {
        ob->shape = LC__BOX;
        double s[3];
        if ((st = get_vec3(p, jo, "size", s, LC__MAX_SIZE_MM, true)) != LC_OK)
            return st;
        for (int c = 0; c < 3; c++)
            ob->half[c] = s[c] / 2;
        wall_ok = "box";
    } else if (strcmp(shape, "cylinder") == 0) {
        ob->shape = LC__CYLINDER;
        double r, h;
        if ((st = get_number(p, jo, "radius", &r, 0, LC__MAX_SIZE_MM, true)) != LC_OK ||
            (st = get_number(p, jo, "height", &h, 0, LC__MAX_SIZE_MM, true)) != LC_OK)
            return st;
        ob->half[0] = ob->half[1] = r;
        ob->half[2] = h / 2;
        wall_ok = "cylinder";
    } else if (strcmp(shape, "sphere") == 0) {
        ob->shape = LC__SPHERE;
        double r;
        if ((st = get_number(p, jo, "radius", &r, 0, LC__MAX_SIZE_MM, true)) != LC_OK)
            return st;
        ob->half[0] = ob->half[1] = ob->half[2] = r;
        wall_ok = "sphere";
    } else if (strcmp(shape, "ellipsoid") == 0) {
        ob->shape = LC__ELLIPSOID;
        if ((st = get_vec3(p, jo, "radii", ob->half, LC__MAX_SIZE_MM, true)) != LC_OK)
            return st;
        wall_ok = "ellipsoid";
    } else if (strcmp(shape, "mesh") == 0) {
        ob->shape = LC__MESH;
        json_t *jf = json_object_get(jo, "file");
        if (!json_is_string(jf) || json_string_length(jf) == 0)
            return ferr(p, "file", "missing or not a string");
        ob->scale = 1.0;
        if (json_object_get(jo, "scale") &&
            (st = get_number(p, jo, "scale", &ob->scale, 0, 1.0e4, true)) != LC_OK)
            return st;
        if ((st = load_mesh(p, json_string_value(jf), &ob->mesh)) != LC_OK)
            return st;
        for (int c = 0; c < 3; c++)
            if (fabs(ob->mesh->lo[c]) * ob->scale > LC__MAX_POS_MM ||
                fabs(ob->mesh->hi[c]) * ob->scale > LC__MAX_POS_MM)
                return ferr(p, "file", "mesh extends beyond 1000 m from its origin");
    } else {
        return ferr(p, "shape",
                    "unknown shape (box, cylinder, sphere, ellipsoid or mesh expected)");
    }
    /* Keys that belong to another shape are mistakes worth reporting. */
    static const char *const by_shape[][2] = {{"size", "box"},        {"radius", "cylinder sphere"},
                                              {"height", "cylinder"}, {"radii", "ellipsoid"},
                                              {"file", "mesh"},       {"scale", "mesh"}};
    for (size_t k = 0; k < sizeof by_shape / sizeof by_shape[0]; k++)
        if (json_object_get(jo, by_shape[k][0]) && !strstr(by_shape[k][1], shape))
            return ferr(p, by_shape[k][0], "not a parameter of this shape");
    /* wall */
    if (json_object_get(jo, "wall")) {
        if (!wall_ok)
            return ferr(p, "wall", "meshes cannot have a wall");
        if ((st = get_number(p, jo, "wall", &ob->wall, 0, LC__MAX_SIZE_MM, true)) != LC_OK)
            return st;
        double mn = ob->half[0];
        for (int c = 1; c < 3; c++)
            if (ob->half[c] < mn)
                mn = ob->half[c];
        if (ob->wall >= mn)
            return ferr(p, "wall", "must be less than half the smallest size");
    }
    world_bounds(ob);
    return LC_OK;
}

lc_status lc_scene_parse(const char *json, size_t len, const char *name, const char *base_dir,
                         lc_scene **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!json || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_scene_parse: NULL argument");
    if (!name)
        name = "scene";
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: line %d, column %d: %s", name, je.line,
                            je.column, je.text);
    lc_scene *sc = calloc(1, sizeof *sc);
    if (!sc) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", name);
    }
    pctx p = {sc, name, base_dir, err, ""};
    lc__strlcpy(sc->file, name, sizeof sc->file);
    lc_status st = LC_OK;
    if (!json_is_object(root)) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: the scene must be a JSON object", name);
        goto done;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "lucent_scene") != 0 && strcmp(key, "name") != 0 &&
            strcmp(key, "objects") != 0) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: %.40s: unknown key", name, key);
            goto done;
        }
    }
    json_t *ver = json_object_get(root, "lucent_scene");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: lucent_scene: must be 1", name);
        goto done;
    }
    json_t *jn = json_object_get(root, "name");
    if (jn) {
        if (!json_is_string(jn)) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: name: must be a string", name);
            goto done;
        }
        if (json_string_length(jn) >= sizeof sc->name) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: name: longer than %zu bytes", name,
                              sizeof sc->name - 1);
            goto done;
        }
        lc__strlcpy(sc->name, json_string_value(jn), sizeof sc->name);
    }
    if (base_dir)
        lc__strlcpy(sc->path, base_dir, sizeof sc->path);
    json_t *objs = json_object_get(root, "objects");
    if (!json_is_array(objs)) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: objects: missing or not an array", name);
        goto done;
    }
    size_t n = json_array_size(objs);
    if (n > LC__SCENE_MAX_OBJECTS) {
        st = lc_error_set(err, LC_ERR_LIMIT, "%s: objects: more than %d objects", name,
                          LC__SCENE_MAX_OBJECTS);
        goto done;
    }
    sc->objects = lc__calloc(n, sizeof *sc->objects);
    if (!sc->objects) {
        st = lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", name);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        st = parse_object(&p, json_array_get(objs, i), i, &sc->objects[i]);
        if (st != LC_OK)
            goto done;
        sc->nobjects = i + 1;
    }
done:
    json_decref(root);
    if (st != LC_OK) {
        lc_scene_free(sc);
        return st;
    }
    *out = sc;
    return LC_OK;
}

lc_status lc_scene_load(const char *path, lc_scene **out, lc_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_scene_load: NULL argument");
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, LC__SCENE_MAX_BYTES, &buf, &len, err);
    if (st != LC_OK)
        return st;
    /* Mesh paths are relative to the scene's folder. */
    char dir[4096];
    lc__strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        lc__strlcpy(dir, ".", sizeof dir);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    st = lc_scene_parse((const char *)buf, len, base, dir, out, err);
    free(buf);
    return st;
}
