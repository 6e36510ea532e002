/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scanner.c: the "tube" and "detector" sections of a scanner description
 * (JSON, parsed with jansson). Absent sections and keys keep the defaults of
 * lc_tube_init() and lc_detector_desc_init(); unknown keys, wrong types and
 * out-of-range values are errors that name the file and the key. The other
 * sections belong to the simulator and are not looked at here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "phys/phys_int.h"
#include "util/util.h"

#define SCANNER_MAX_BYTES (1u << 20)

/* Reads a number key into *out if present, checking [lo, hi]. */
static lc_status get_number(const char *path, const char *sec, const char *key, json_t *v,
                            double lo, double hi, double *out, lc_error *err)
{
    if (!json_is_number(v))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s.%s: must be a number", path, sec, key);
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s.%s: %g outside %g..%g", path, sec, key, d,
                            lo, hi);
    *out = d;
    return LC_OK;
}

static lc_status get_string(const char *path, const char *sec, const char *key, json_t *v,
                            char *dst, size_t cap, lc_error *err)
{
    if (!json_is_string(v))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s.%s: must be a string", path, sec, key);
    const char *s = json_string_value(v);
    if (s[0] == '\0')
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s.%s: must not be empty", path, sec, key);
    if (!lc__strlcpy(dst, s, cap))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s.%s: longer than %zu characters", path, sec,
                            key, cap - 1);
    return LC_OK;
}

static lc_status get_bool(const char *path, const char *sec, const char *key, json_t *v, int *out,
                          lc_error *err)
{
    if (!json_is_boolean(v))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: %s.%s: must be true or false", path, sec, key);
    *out = json_is_true(v) ? 1 : 0;
    return LC_OK;
}

/* A spectrum file named in the scanner file is relative to its folder. */
static lc_status resolve_spectrum(const char *path, const char *value, char *dst, size_t cap,
                                  lc_error *err)
{
    if (strncmp(value, "mono:", 5) == 0 || value[0] == '/' || !strchr(path, '/')) {
        if (!lc__strlcpy(dst, value, cap))
            return lc_error_set(err, LC_ERR_FORMAT, "%s: tube.spectrum: too long", path);
        return LC_OK;
    }
    const char *slash = strrchr(path, '/');
    int n = snprintf(dst, cap, "%.*s/%s", (int)(slash - path), path, value);
    if (n < 0 || (size_t)n >= cap)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: tube.spectrum: path too long", path);
    return LC_OK;
}

static lc_status parse_tube(const char *path, json_t *sec, lc_tube *t, lc_error *err)
{
    if (!json_is_object(sec))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: tube: must be an object", path);
    const char *key;
    json_t *v;
    lc_status st = LC_OK;
    json_object_foreach(sec, key, v)
    {
        if (strcmp(key, "kvp") == 0)
            st = get_number(path, "tube", key, v, LC_PHYS_KVP_MIN, LC_PHYS_KVP_MAX, &t->kvp, err);
        else if (strcmp(key, "ma") == 0)
            st = get_number(path, "tube", key, v, 0.0, 1000.0, &t->ma, err);
        else if (strcmp(key, "anode_angle_deg") == 0)
            st = get_number(path, "tube", key, v, 5.0, 45.0, &t->anode_angle_deg, err);
        else if (strcmp(key, "inherent_al_mm") == 0)
            st = get_number(path, "tube", key, v, 0.0, 100.0, &t->inherent_al_mm, err);
        else if (strcmp(key, "added_al_mm") == 0)
            st = get_number(path, "tube", key, v, 0.0, 100.0, &t->added_al_mm, err);
        else if (strcmp(key, "added_cu_mm") == 0)
            st = get_number(path, "tube", key, v, 0.0, 20.0, &t->added_cu_mm, err);
        else if (strcmp(key, "output_scale") == 0) {
            st = get_number(path, "tube", key, v, 0.0, 1e6, &t->output_scale, err);
            if (st == LC_OK && t->output_scale == 0.0)
                st = lc_error_set(err, LC_ERR_FORMAT, "%s: tube.output_scale: must be > 0", path);
        } else if (strcmp(key, "self_absorption") == 0)
            st = get_bool(path, "tube", key, v, &t->self_absorption, err);
        else if (strcmp(key, "k_lines") == 0)
            st = get_bool(path, "tube", key, v, &t->k_lines, err);
        else if (strcmp(key, "spectrum") == 0) {
            char tmp[LC_PHYS_PATH_MAX];
            st = get_string(path, "tube", key, v, tmp, sizeof tmp, err);
            if (st == LC_OK)
                st = resolve_spectrum(path, tmp, t->spectrum, sizeof t->spectrum, err);
        } else
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: tube.%s: unknown key", path, key);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

static lc_status parse_detector(const char *path, json_t *sec, lc_detector_desc *d, lc_error *err)
{
    if (!json_is_object(sec))
        return lc_error_set(err, LC_ERR_FORMAT, "%s: detector: must be an object", path);
    const char *key;
    json_t *v;
    lc_status st = LC_OK;
    json_object_foreach(sec, key, v)
    {
        if (strcmp(key, "front") == 0)
            st = get_string(path, "detector", key, v, d->front, sizeof d->front, err);
        else if (strcmp(key, "filter") == 0)
            st = get_string(path, "detector", key, v, d->filter, sizeof d->filter, err);
        else if (strcmp(key, "rear") == 0)
            st = get_string(path, "detector", key, v, d->rear, sizeof d->rear, err);
        else if (strcmp(key, "front_mm") == 0)
            st = get_number(path, "detector", key, v, 0.0, 100.0, &d->front_mm, err);
        else if (strcmp(key, "filter_mm") == 0)
            st = get_number(path, "detector", key, v, 0.0, 100.0, &d->filter_mm, err);
        else if (strcmp(key, "rear_mm") == 0)
            st = get_number(path, "detector", key, v, 0.0, 100.0, &d->rear_mm, err);
        else
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: detector.%s: unknown key", path, key);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

lc_status lc_phys_scanner_load(const char *path, lc_tube *tube, lc_detector_desc *det,
                               lc_error *err)
{
    if (tube)
        lc_tube_init(tube);
    if (det)
        lc_detector_desc_init(det);
    if (!path)
        return lc_error_set(err, LC_ERR_ARG, "lc_phys_scanner_load: NULL path");
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, SCANNER_MAX_BYTES, &buf, &len, err);
    if (st != LC_OK)
        return st;
    json_error_t je;
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!root)
        return lc_error_set(err, LC_ERR_FORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: the top level must be an object", path);
    }
    json_t *sec = json_object_get(root, "tube");
    if (tube && sec)
        st = parse_tube(path, sec, tube, err);
    sec = json_object_get(root, "detector");
    if (st == LC_OK && det && sec)
        st = parse_detector(path, sec, det, err);
    json_decref(root);
    if (st != LC_OK) {
        if (tube)
            lc_tube_init(tube);
        if (det)
            lc_detector_desc_init(det);
    }
    return st;
}
