/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eval.c: the evaluation bench (lucent/atr.h, "Evaluation"). Reads a corpus
 * (truth.json of lc_corpus_write), simulates or reuses each bag's scan,
 * analyses it at sensitivity 1 so that every candidate alarm and its score is
 * kept, and sweeps the threshold to get detection and false-alarm rates per
 * class and difficulty, written as CSV, a PNG plot and a JSON summary. The
 * metrics arithmetic (lc_atr_eval_metrics) is separate so that tests can
 * check it on hand-made cases.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atr/atr_int.h"
#include "lucent/dicos.h"
#include "lucent/sim.h"
#include "util/util.h"

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

static double iou(const uint32_t *a, const uint32_t *b)
{
    double ix = fmin(a[2], b[2]) - fmax(a[0], b[0]);
    double iy = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (ix <= 0 || iy <= 0)
        return 0;
    double aa = ((double)a[2] - a[0]) * ((double)a[3] - a[1]);
    double ab = ((double)b[2] - b[0]) * ((double)b[3] - b[1]);
    double u = aa + ab - ix * iy;
    return u > 0 ? ix * iy / u : 0;
}

int lc_atr_alarm_detects(const lc_atr_alarm *a, const lc_atr_truth *t)
{
    if (!a || !t || a->cls != t->cls || a->view >= 2 || !t->has_box[a->view])
        return 0;
    return iou(a->bbox, t->box[a->view]) >= 0.1;
}

/* Whether an alarm of bag b at or above its class's threshold detects t. */
static int threat_detected(const lc_atr_eval_bag *b, const lc_atr_truth *t,
                           const double threshold[3])
{
    for (size_t k = 0; k < b->n_alarms; k++)
        if (b->alarms[k].score >= threshold[t->cls] && lc_atr_alarm_detects(&b->alarms[k], t))
            return 1;
    return 0;
}

void lc_atr_eval_metrics(const lc_atr_eval_bag *bags, size_t n, const double threshold[3],
                         lc_atr_metrics *m)
{
    if (!m)
        return;
    memset(m, 0, sizeof *m);
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        m->threshold[c] = threshold ? threshold[c] : 0.5;
    for (size_t i = 0; bags && i < n; i++) {
        const lc_atr_eval_bag *b = &bags[i];
        m->bags++;
        int any = 0;
        for (size_t k = 0; k < b->n_alarms; k++) {
            const lc_atr_alarm *a = &b->alarms[k];
            if ((int)a->cls < 0 || a->cls >= LC_ATR_CLASSES || a->score < m->threshold[a->cls])
                continue;
            any = 1;
            int det = 0;
            for (size_t j = 0; j < b->n_truth && !det; j++)
                det = lc_atr_alarm_detects(a, &b->truth[j]);
            if (!det)
                m->false_alarms++;
        }
        if (b->n_truth == 0) {
            m->clean++;
            m->clean_alarmed += (size_t)any;
        }
        m->alarmed += (size_t)any;
        for (size_t j = 0; j < b->n_truth; j++) {
            const lc_atr_truth *t = &b->truth[j];
            if ((int)t->cls < 0 || t->cls >= LC_ATR_CLASSES)
                continue;
            int d = t->difficulty < 0                      ? 0
                    : t->difficulty >= LC_ATR_DIFFICULTIES ? LC_ATR_DIFFICULTIES - 1
                                                           : t->difficulty;
            int det = threat_detected(b, t, m->threshold);
            m->n[t->cls][d]++;
            m->hit[t->cls][d] += (size_t)det;
            if (t->cls == LC_ATR_EXPLOSIVE && t->mass_g >= 300) {
                m->n_expl300++;
                m->hit_expl300 += (size_t)det;
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Reading the corpus                                                       */
/* ------------------------------------------------------------------------ */

typedef lc__atr_ebag ebag;

static lc_status read_json(const char *path, json_t **out, lc_error *err)
{
    *out = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, 64u << 20, &buf, &len, err);
    if (st != LC_OK)
        return st;
    json_error_t je;
    json_t *j = json_loadb((const char *)buf, len, 0, &je);
    free(buf);
    if (!j)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: line %d column %d: %s", path, je.line,
                            je.column, je.text);
    *out = j;
    return LC_OK;
}

static int difficulty_of(const char *s)
{
    if (strcmp(s, "easy") == 0)
        return 0;
    if (strcmp(s, "medium") == 0)
        return 1;
    if (strcmp(s, "hard") == 0)
        return 2;
    return -1;
}

lc_status lc__atr_parse_truth(const char *path, const char *text, size_t len, ebag **out,
                              size_t *n_out, lc_error *err)
{
    *out = NULL;
    *n_out = 0;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: line %d column %d: %s", path, je.line,
                            je.column, je.text);
    lc_status st = LC_OK;
    json_t *bags = json_object_get(root, "bags");
    json_t *ver = json_object_get(root, "lucent_corpus");
    if (!json_is_object(root) || !json_is_integer(ver) || json_integer_value(ver) != 1) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: lucent_corpus: must be 1", path);
    }
    if (!json_is_array(bags)) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: bags: must be an array", path);
    }
    if (json_array_size(bags) > 100000) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_LIMIT, "%s: bags: at most 100000", path);
    }
    size_t n = json_array_size(bags);
    ebag *eb = lc__calloc(n ? n : 1, sizeof *eb);
    if (!eb) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
    }
    for (size_t i = 0; i < n && st == LC_OK; i++) {
        json_t *b = json_array_get(bags, i);
        json_t *name = json_object_get(b, "name"), *scene = json_object_get(b, "scene");
        json_t *ths = json_object_get(b, "threats");
        if (!json_is_string(name) || !json_is_string(scene) || !json_is_array(ths) ||
            strlen(json_string_value(name)) >= sizeof eb[i].name ||
            strlen(json_string_value(scene)) >= sizeof eb[i].scene ||
            strchr(json_string_value(name), '/') || strchr(json_string_value(scene), '/') ||
            json_string_value(name)[0] == '.' || json_string_value(name)[0] == '\0') {
            st =
                lc_error_set(err, LC_ERR_FORMAT,
                             "%s: bags[%zu]: needs a plain 'name', 'scene' and 'threats'", path, i);
            break;
        }
        lc__strlcpy(eb[i].name, json_string_value(name), sizeof eb[i].name);
        lc__strlcpy(eb[i].scene, json_string_value(scene), sizeof eb[i].scene);
        if (json_array_size(ths) > 4) {
            st = lc_error_set(err, LC_ERR_LIMIT, "%s: bags[%zu].threats: at most 4", path, i);
            break;
        }
        for (size_t k = 0; k < json_array_size(ths); k++) {
            json_t *t = json_array_get(ths, k);
            json_t *cls = json_object_get(t, "class"), *diff = json_object_get(t, "difficulty");
            json_t *mass = json_object_get(t, "mass_g"), *parts = json_object_get(t, "parts");
            json_t *kind = json_object_get(t, "kind"), *mat = json_object_get(t, "material");
            lc_atr_class c;
            if (!json_is_string(cls) || lc_atr_class_parse(json_string_value(cls), &c) != 0 ||
                !json_is_string(diff) || difficulty_of(json_string_value(diff)) < 0 ||
                !json_is_number(mass) || !json_is_array(parts) ||
                json_array_size(parts) > LC_CORPUS_EVAL_PARTS) {
                st = lc_error_set(err, LC_ERR_FORMAT,
                                  "%s: bags[%zu].threats[%zu]: needs class, difficulty, mass_g "
                                  "and parts (at most %d)",
                                  path, i, k, LC_CORPUS_EVAL_PARTS);
                break;
            }
            eb[i].th[k].t.cls = c;
            eb[i].th[k].t.difficulty = difficulty_of(json_string_value(diff));
            eb[i].th[k].t.mass_g = json_number_value(mass);
            if (json_is_string(kind))
                lc__strlcpy(eb[i].th[k].t.kind, json_string_value(kind), sizeof eb[i].th[k].t.kind);
            if (json_is_string(mat))
                lc__strlcpy(eb[i].th[k].t.material, json_string_value(mat),
                            sizeof eb[i].th[k].t.material);
            for (size_t p = 0; p < json_array_size(parts); p++) {
                json_t *pj = json_array_get(parts, p);
                if (!json_is_string(pj) || strlen(json_string_value(pj)) >= 64) {
                    st = lc_error_set(err, LC_ERR_FORMAT,
                                      "%s: bags[%zu].threats[%zu].parts[%zu]: must be a short "
                                      "string",
                                      path, i, k, p);
                    break;
                }
                lc__strlcpy(eb[i].th[k].parts[p], json_string_value(pj), 64);
                eb[i].th[k].n_parts++;
            }
            eb[i].n_threats++;
            if (st != LC_OK)
                break;
        }
    }
    json_decref(root);
    if (st != LC_OK) {
        free(eb);
        return st;
    }
    *out = eb;
    *n_out = n;
    return LC_OK;
}

/* Fills the threats' boxes from the simulator's labels.json. */
static lc_status read_boxes(const char *path, ebag *b, lc_error *err)
{
    json_t *root = NULL;
    lc_status st = read_json(path, &root, err);
    if (st != LC_OK)
        return st;
    json_t *objs = json_object_get(root, "objects");
    if (!json_is_array(objs)) {
        json_decref(root);
        return lc_error_set(err, LC_ERR_FORMAT, "%s: objects: must be an array", path);
    }
    for (size_t k = 0; k < b->n_threats; k++) {
        lc_atr_truth *t = &b->th[k].t;
        t->has_box[0] = t->has_box[1] = 0;
        for (size_t i = 0; i < json_array_size(objs); i++) {
            json_t *o = json_array_get(objs, i);
            json_t *id = json_object_get(o, "id"), *views = json_object_get(o, "views");
            if (!json_is_string(id) || !json_is_array(views))
                continue;
            int mine = 0;
            for (size_t p = 0; p < b->th[k].n_parts && !mine; p++)
                mine = strcmp(b->th[k].parts[p], json_string_value(id)) == 0;
            if (!mine)
                continue;
            for (size_t v = 0; v < json_array_size(views); v++) {
                json_t *vj = json_array_get(views, v);
                json_t *vi = json_object_get(vj, "view"), *bb = json_object_get(vj, "bbox");
                if (!json_is_integer(vi) || !json_is_array(bb) || json_array_size(bb) != 4)
                    continue;
                json_int_t view = json_integer_value(vi);
                if (view < 0 || view > 1)
                    continue;
                uint32_t box[4];
                int ok = 1;
                for (int c = 0; c < 4; c++) {
                    json_t *e = json_array_get(bb, (size_t)c);
                    if (!json_is_integer(e) || json_integer_value(e) < 0 ||
                        json_integer_value(e) > 1000000)
                        ok = 0;
                    else
                        box[c] = (uint32_t)json_integer_value(e);
                }
                if (!ok)
                    continue;
                uint32_t *tb = t->box[view];
                if (!t->has_box[view]) {
                    memcpy(tb, box, sizeof box);
                    t->has_box[view] = 1;
                } else {
                    tb[0] = box[0] < tb[0] ? box[0] : tb[0];
                    tb[1] = box[1] < tb[1] ? box[1] : tb[1];
                    tb[2] = box[2] > tb[2] ? box[2] : tb[2];
                    tb[3] = box[3] > tb[3] ? box[3] : tb[3];
                }
            }
        }
    }
    json_decref(root);
    return LC_OK;
}

/* ------------------------------------------------------------------------ */
/* The ROC plot                                                             */
/* ------------------------------------------------------------------------ */

static void put(lc_rgb *img, int x, int y, const uint8_t c[3])
{
    if (x < 0 || y < 0 || (uint32_t)x >= img->width || (uint32_t)y >= img->height)
        return;
    uint8_t *p = img->data + ((size_t)y * img->width + (size_t)x) * 3;
    p[0] = c[0], p[1] = c[1], p[2] = c[2];
}

static void line(lc_rgb *img, double x0, double y0, double x1, double y1, const uint8_t c[3],
                 int thick)
{
    int steps = (int)(fmax(fabs(x1 - x0), fabs(y1 - y0)) + 1);
    for (int s = 0; s <= steps; s++) {
        double f = (double)s / steps;
        int x = (int)lround(x0 + f * (x1 - x0)), y = (int)lround(y0 + f * (y1 - y0));
        for (int dy = -thick / 2; dy <= thick / 2; dy++)
            for (int dx = -thick / 2; dx <= thick / 2; dx++)
                put(img, x + dx, y + dy, c);
    }
}

/* A 5 x 7 bitmap font for the plot's labels: each glyph is 7 rows of 5
 * bits, the top row first and the leftmost pixel in bit 4. Only the
 * characters the labels use; others draw as blanks. */
typedef struct glyph {
    char c;
    uint8_t rows[7];
} glyph;

static const glyph font5x7[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
    {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'>', {0x10, 0x08, 0x04, 0x02, 0x04, 0x08, 0x10}},
    {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
    {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
    {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
    {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
    {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
    {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
    {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
};

#define GLYPH_SCALE 2
#define GLYPH_ADV   (6 * GLYPH_SCALE) /* 5 columns and a space */

/* The width of s drawn by text(), in pixels. */
static int text_width(const char *s)
{
    return (int)strlen(s) * GLYPH_ADV;
}

/* Draws text with its top-left corner at (x, y). */
static void text(lc_rgb *img, int x, int y, const char *s, const uint8_t c[3])
{
    for (; *s; s++, x += GLYPH_ADV) {
        const glyph *g = NULL;
        for (size_t k = 0; k < sizeof font5x7 / sizeof font5x7[0] && !g; k++)
            if (font5x7[k].c == *s)
                g = &font5x7[k];
        for (int r = 0; g && r < 7; r++)
            for (int col = 0; col < 5; col++)
                if (g->rows[r] & (0x10 >> col))
                    for (int dy = 0; dy < GLYPH_SCALE; dy++)
                        for (int dx = 0; dx < GLYPH_SCALE; dx++)
                            put(img, x + col * GLYPH_SCALE + dx, y + r * GLYPH_SCALE + dy, c);
    }
}

#define PW       560
#define MARGIN   70            /* left, right and top */
#define MARGIN_B (MARGIN + 50) /* bottom: the legend's two rows too */
#define PH       (PW - 2 * MARGIN + MARGIN + MARGIN_B)
#define NT       101

static lc_status write_roc_png(const char *path, const double *fa, const double (*det)[4],
                               double op_fa, const double op_det[4], lc_error *err)
{
    lc_rgb *img = NULL;
    lc_status st = lc_rgb_new(PW, PH, &img, err);
    if (st != LC_OK)
        return st;
    memset(img->data, 255, (size_t)PW * PH * 3);
    const uint8_t grid[3] = {225, 225, 225}, axis[3] = {0, 0, 0};
    const uint8_t col[4][3] = {{230, 120, 0}, {30, 80, 220}, {20, 20, 20}, {150, 150, 150}};
    double side = PW - 2 * MARGIN;
#define PX(f) (MARGIN + (f)*side)
#define PY(d) (PH - MARGIN_B - (d)*side)
    for (int k = 0; k <= 10; k++) {
        line(img, PX(k / 10.0), PY(0), PX(k / 10.0), PY(1), grid, 1);
        line(img, PX(0), PY(k / 10.0), PX(1), PY(k / 10.0), grid, 1);
    }
    line(img, PX(0), PY(0), PX(1), PY(0), axis, 2);
    line(img, PX(0), PY(0), PX(0), PY(1), axis, 2);
    /* ticks every 20 %, and what the axes are */
    for (int k = 0; k <= 5; k++) {
        char lab[8];
        snprintf(lab, sizeof lab, "%d%%", 20 * k);
        int w = text_width(lab);
        text(img, (int)PX(k / 5.0) - w / 2, (int)PY(0) + 8, lab, axis);
        text(img, (int)PX(0) - w - 6, (int)PY(k / 5.0) - 7, lab, axis);
    }
    static const char xtitle[] = "FALSE ALARMS, CLEAN BAGS", note[] = "BOX = OPERATING POINT";
    text(img, (int)PX(0.5) - text_width(xtitle) / 2, (int)PY(0) + 32, xtitle, axis);
    text(img, (int)PX(0), (int)PY(1) - 26, "DETECTION", axis);
    for (int c = 3; c >= 0; c--)
        for (int i = 0; i + 1 < NT; i++)
            line(img, PX(fa[i]), PY(det[i][c]), PX(fa[i + 1]), PY(det[i + 1][c]), col[c],
                 c == 3 ? 1 : 3);
    for (int c = 0; c < 3; c++)
        for (int dy = -5; dy <= 5; dy++)
            for (int dx = -5; dx <= 5; dx++)
                if (abs(dx) == 5 || abs(dy) == 5)
                    put(img, (int)PX(op_fa) + dx, (int)PY(op_det[c]) + dy, col[c]);
    /* the legend, under the plot in two rows of two */
    static const char *const names[4] = {"EXPLOSIVES >=300 G", "WEAPONS", "DENSE", "ALL"};
    for (int c = 0; c < 4; c++) {
        int lx = (int)PX(c % 2 ? 0.62 : 0.0), ly = (int)PY(0) + 62 + 20 * (c / 2);
        line(img, lx, ly + 7, lx + 26, ly + 7, col[c], c == 3 ? 1 : 3);
        text(img, lx + 34, ly, names[c], c == 3 ? axis : col[c]);
    }
    text(img, (int)PX(1) - text_width(note), (int)PY(1) - 26, note, axis);
#undef PX
#undef PY
    st = lc_rgb_write_png(img, path, err);
    lc_rgb_free(img);
    return st;
}

/* ------------------------------------------------------------------------ */
/* The run                                                                  */
/* ------------------------------------------------------------------------ */

void lc_atr_eval_options_init(lc_atr_eval_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    lc_atr_options_init(&o->atr);
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static double rate(size_t a, size_t b)
{
    return b ? (double)a / (double)b : NAN;
}

void lc__atr_wilson(size_t k, size_t n, double ci[2])
{
    if (n == 0 || k > n) {
        ci[0] = ci[1] = NAN;
        return;
    }
    const double z = 1.959963984540054; /* the normal 97.5 % quantile */
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double mid = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
    ci[0] = k == 0 ? 0 : fmax(0, mid - half);
    ci[1] = k == n ? 1 : fmin(1, mid + half);
}

/* The threats of class c in m, and those detected, over every difficulty. */
static void class_total(const lc_atr_metrics *m, int c, size_t *n, size_t *hit)
{
    *n = *hit = 0;
    for (int d = 0; d < LC_ATR_DIFFICULTIES; d++)
        *n += m->n[c][d], *hit += m->hit[c][d];
}

static void class_rates(const lc_atr_metrics *m, double out[4])
{
    size_t n_all = 0, h_all = 0;
    for (int c = 0; c < LC_ATR_CLASSES; c++) {
        size_t n, h;
        class_total(m, c, &n, &h);
        out[c] = rate(h, n);
        n_all += n, h_all += h;
    }
    out[LC_ATR_EXPLOSIVE] = rate(m->hit_expl300, m->n_expl300);
    out[3] = rate(h_all, n_all);
}

static lc_status append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) LC_PRINTF(4, 5);

static lc_status append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return LC_ERR_FORMAT;
        if (*buf && *len + (size_t)n < *cap) {
            *len += (size_t)n;
            return LC_OK;
        }
        size_t nc = (*cap ? *cap * 2 : 4096) + (size_t)n;
        char *p = realloc(*buf, nc);
        if (!p)
            return LC_ERR_NOMEM;
        *buf = p;
        *cap = nc;
    }
}

/* Appends the rate k/n as "21.8 % (17/78, 95 % CI 14.1-32.2 %)" (Wilson),
 * without the interval unless ci, and as "    - (0/0)" without a sample. */
static lc_status append_rate(char **buf, size_t *len, size_t *cap, size_t k, size_t n, int ci)
{
    if (n == 0)
        return append(buf, len, cap, "    - (0/0)");
    if (!ci)
        return append(buf, len, cap, "%5.1f %% (%zu/%zu)", 100 * rate(k, n), k, n);
    double w[2];
    lc__atr_wilson(k, n, w);
    return append(buf, len, cap, "%5.1f %% (%zu/%zu, 95 %% CI %.1f-%.1f %%)", 100 * rate(k, n), k,
                  n, 100 * w[0], 100 * w[1]);
}

/* [lo, hi] of the 95 % Wilson interval, or null without a sample. */
static json_t *ci95(size_t k, size_t n)
{
    double ci[2];
    lc__atr_wilson(k, n, ci);
    return n ? json_pack("[ff]", ci[0], ci[1]) : json_null();
}

static const char *const diff_names[LC_ATR_DIFFICULTIES] = {"easy", "medium", "hard"};

static const char features_head[] =
    "bag,idx,view,x0,y0,x1,y1,level,area_mm2,length_mm,width_mm,fill,imp_frac,imp_other_mm2,a_h,"
    "a_l,bg_h,bg_l,d_h,d_l,zeff,zeff_raw,sigma,mass_g,cv,contrast,density,density_geom,chord_mm,"
    "pos_y,pos_z,pair,s_explosive,s_weapon,s_dense,clean,t_idx,t_class,t_kind,t_difficulty,"
    "t_mass_g,t_iou,zeff_edge,gate_e,gate_w";

/* Appends one row per candidate of bag b to the feature dump: the
 * measurements, the scores, and the threat of the bag this candidate
 * overlaps most in its view (t_idx -1 when none). */
static lc_status features_rows(char **buf, size_t *len, size_t *cap, const ebag *b,
                               const lc__atr_cands *cs)
{
    lc_status st = LC_OK;
    for (size_t i = 0; i < cs->n && st == LC_OK; i++) {
        const lc__atr_cand *c = &cs->c[i];
        int best = -1;
        double bi = 0;
        for (size_t k = 0; k < b->n_threats; k++) {
            const lc_atr_truth *t = &b->th[k].t;
            if (c->view > 1 || !t->has_box[c->view])
                continue;
            double v = iou(c->bbox, t->box[c->view]);
            if (v > bi) {
                bi = v;
                best = (int)k;
            }
        }
        const lc_atr_truth *t = best >= 0 ? &b->th[best].t : NULL;
        st = append(buf, len, cap,
                    "%s,%zu,%u,%u,%u,%u,%u,%.4g,%.1f,%.1f,%.1f,%.3f,%.3f,%.1f,%.4f,%.4f,%.4f,%.4f,"
                    "%.4f,%.4f,%.3f,%.3f,%.4f,%.1f,%.3f,%.3f,%.3f,%d,%.1f,%.1f,%.1f,%d,%.4f,%.4f,"
                    "%.4f,%d,%d,%s,%s,%s,%.1f,%.3f",
                    b->name, i, c->view, c->bbox[0], c->bbox[1], c->bbox[2], c->bbox[3], c->level,
                    c->area_mm2, c->length_mm, c->width_mm, c->fill, c->imp_frac, c->imp_other_mm2,
                    c->a_h, c->a_l, c->bg_h, c->bg_l, c->d_h, c->d_l, c->zeff, c->zeff_raw,
                    c->sigma, c->mass_g, c->cv, c->contrast, c->density, c->density_geom,
                    c->chord_mm, c->pos[0], c->pos[1], (int)c->pair, c->score[0], c->score[1],
                    c->score[2], b->n_threats == 0, best, t ? lc_atr_class_name(t->cls) : "",
                    t ? t->kind : "", t ? diff_names[t->difficulty] : "", t ? t->mass_g : 0.0, bi);
        double f[LC__ATR_NF];
        lc__atr_features(c, c->pair >= 0 ? &cs->c[c->pair] : NULL, f);
        if (st == LC_OK)
            st = append(buf, len, cap, ",%.3f,%d,%d", c->zeff_edge,
                        lc__atr_gate(c, LC_ATR_EXPLOSIVE), lc__atr_gate(c, LC_ATR_WEAPON));
        for (int k = 0; k < LC__ATR_NF && st == LC_OK; k++)
            st = append(buf, len, cap, ",%.5g", f[k]);
        if (st == LC_OK)
            st = append(buf, len, cap, "\n");
    }
    return st;
}

/* The feature dump's header line. */
static lc_status features_header(char **buf, size_t *len, size_t *cap)
{
    lc_status st = append(buf, len, cap, "%s", features_head);
    for (int k = 0; k < LC__ATR_NF && st == LC_OK; k++)
        st = append(buf, len, cap, ",f_%s", lc__atr_feature_names[k]);
    if (st == LC_OK)
        st = append(buf, len, cap, "\n");
    return st;
}

/* Detection at the operating point by a threat's kind or material: one
 * tally per (class, breakdown, key). */
enum { BY_KIND, BY_MATERIAL, BY_MATERIAL_300G, BY_N };
static const char *const by_names[BY_N] = {"by_kind", "by_material", "by_material_300g"};
static const char *const by_titles[BY_N] = {"by kind", "by material", ">= 300 g by material"};

typedef struct tally {
    int cls, by;
    char key[32];
    size_t n, hit;
} tally;

static int cmp_tally(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    if (x->by != y->by)
        return x->by - y->by;
    return strcmp(x->key, y->key);
}

/* Tallies every threat of bags at thresholds thr into *out (caller frees),
 * sorted by class, breakdown and key. Material breakdowns are kept for
 * explosives only (a weapon's material follows from its kind). */
static lc_status breakdown(const lc_atr_eval_bag *bags, size_t n, const double thr[3], tally **out,
                           size_t *n_out)
{
    tally *tl = NULL;
    size_t nt = 0, cap = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < bags[i].n_truth; j++) {
            const lc_atr_truth *t = &bags[i].truth[j];
            if ((int)t->cls < 0 || t->cls >= LC_ATR_CLASSES)
                continue;
            int det = threat_detected(&bags[i], t, thr);
            for (int by = 0; by < BY_N; by++) {
                if (by != BY_KIND &&
                    (t->cls != LC_ATR_EXPLOSIVE || (by == BY_MATERIAL_300G && t->mass_g < 300)))
                    continue;
                const char *key = by == BY_KIND ? t->kind : t->material;
                if (!key[0])
                    key = "?";
                size_t k = 0;
                while (k < nt &&
                       !(tl[k].cls == (int)t->cls && tl[k].by == by && strcmp(tl[k].key, key) == 0))
                    k++;
                if (k == nt) {
                    if (nt == cap) {
                        size_t nc = cap ? 2 * cap : 16;
                        tally *p = realloc(tl, nc * sizeof *p);
                        if (!p) {
                            free(tl);
                            return LC_ERR_NOMEM;
                        }
                        tl = p, cap = nc;
                    }
                    memset(&tl[nt], 0, sizeof tl[nt]);
                    tl[nt].cls = (int)t->cls, tl[nt].by = by;
                    lc__strlcpy(tl[nt].key, key, sizeof tl[nt].key);
                    nt++;
                }
                tl[k].n++;
                tl[k].hit += (size_t)det;
            }
        }
    if (nt > 1)
        qsort(tl, nt, sizeof *tl, cmp_tally);
    *out = tl;
    *n_out = nt;
    return LC_OK;
}

lc_status lc_atr_eval_run(const lc_mattable *t, const char *dir, const lc_atr_eval_options *opts,
                          lc_atr_metrics *m_out, char **summary, lc_error *err)
{
    if (summary)
        *summary = NULL;
    if (!t || !dir)
        return lc_error_set(err, LC_ERR_ARG, "lc_atr_eval_run: NULL argument");
    lc_atr_eval_options o;
    if (opts)
        o = *opts;
    else
        lc_atr_eval_options_init(&o);
    char path[4096], sub[4096];
    if (!lc__path_join(path, sizeof path, dir, "truth.json"))
        return lc_error_set(err, LC_ERR_ARG, "atr eval: folder path too long");
    unsigned char *text = NULL;
    size_t len = 0;
    lc_status st = lc__read_file(path, 256u << 20, &text, &len, err);
    if (st != LC_OK)
        return st;
    ebag *bags = NULL;
    size_t n = 0;
    st = lc__atr_parse_truth(path, (const char *)text, len, &bags, &n, err);
    free(text);
    if (st != LC_OK)
        return st;
    if (o.limit && o.limit < n)
        n = o.limit;
    lc_scanner *sc = NULL;
    tally *tl = NULL;
    size_t ntl = 0;
    lc_atr_eval_bag *eb = lc__calloc(n ? n : 1, sizeof *eb);
    double *fa = lc__calloc(NT, sizeof(double));
    double(*det)[4] = lc__calloc(NT, sizeof *det);
    char *sum = NULL;
    size_t slen = 0, scap = 0;
    double t_analysis = 0;
    char *feat = NULL;
    size_t flen = 0, fcap = 0;
    if (o.features && features_header(&feat, &flen, &fcap) != LC_OK) {
        st = lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
        goto done;
    }
    if (!eb || !fa || !det) {
        st = lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
        goto done;
    }
    if ((st = lc_scanner_new(&sc, err)) != LC_OK)
        goto done;
    lc_atr_options all = o.atr;
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        all.sensitivity[c] = 1.0;
    for (size_t i = 0; i < n && st == LC_OK; i++) {
        ebag *b = &bags[i];
        char scans[4096];
        if (!lc__path_join(scans, sizeof scans, dir, "scans") ||
            !lc__path_join(sub, sizeof sub, scans, b->name)) {
            st = lc_error_set(err, LC_ERR_ARG, "atr eval: folder path too long");
            break;
        }
        char labels[4096];
        if (!lc__path_join(labels, sizeof labels, sub, "labels.json")) {
            st = lc_error_set(err, LC_ERR_ARG, "atr eval: folder path too long");
            break;
        }
        lc_scan *scan = NULL;
        if (o.resimulate || !exists(labels)) {
            char scene_path[4096];
            lc_scene *scene = NULL;
            lc_sim_labels *lab = NULL;
            if (!lc__path_join(scene_path, sizeof scene_path, dir, b->scene)) {
                st = lc_error_set(err, LC_ERR_ARG, "atr eval: folder path too long");
                break;
            }
            lc_sim_options so;
            lc_sim_options_init(&so);
            so.seed = (uint64_t)i + 1;
            so.threads = o.threads;
            st = lc_scene_load(scene_path, &scene, err);
            if (st == LC_OK)
                st = lc_simulate(scene, sc, &so, &scan, &lab, err);
            if (st == LC_OK)
                st = lc__mkdir_p(sub, err);
            if (st == LC_OK)
                st = lc_dicos_write_scan(scan, sub, err);
            if (st == LC_OK)
                st = lc_sim_labels_write(lab, labels, err);
            lc_sim_labels_free(lab);
            lc_scene_free(scene);
        } else {
            st = lc_dicos_read_scan(sub, &scan, err);
        }
        if (st == LC_OK)
            st = read_boxes(labels, b, err);
        /* with a feature dump, every candidate behind the result too */
        lc__atr_cands cs = {0};
        if (st == LC_OK)
            st = lc__atr_analyze_scan(t, scan, &all, &b->res, o.features ? &cs : NULL, err);
        if (st == LC_OK && o.features && features_rows(&feat, &flen, &fcap, b, &cs) != LC_OK)
            st = lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
        lc__atr_cands_free(&cs);
        lc_scan_free(scan);
        if (st != LC_OK) {
            lc_error_prefix(err, "%s: ", b->name);
            break;
        }
        t_analysis += b->res->seconds;
        eb[i].n_truth = b->n_threats;
        for (size_t k = 0; k < b->n_threats; k++)
            eb[i].truth[k] = b->th[k].t;
        eb[i].n_alarms = b->res->n;
        eb[i].alarms = b->res->alarms;
        if (o.progress)
            o.progress(o.progress_user, (double)(i + 1) / (double)n);
    }
    if (st != LC_OK)
        goto done;
    if (o.features && (st = lc__write_file_atomic(o.features, feat, flen, err)) != LC_OK)
        goto done;

    /* outputs */
    char outdir[4096];
    if (!lc__path_join(outdir, sizeof outdir, dir, "eval")) {
        st = lc_error_set(err, LC_ERR_ARG, "atr eval: folder path too long");
        goto done;
    }
    if ((st = lc__mkdir_p(outdir, err)) != LC_OK)
        goto done;
    double thr_op[3];
    for (int c = 0; c < LC_ATR_CLASSES; c++)
        thr_op[c] = 1.0 - o.atr.sensitivity[c];
    lc_atr_metrics mop;
    lc_atr_eval_metrics(eb, n, thr_op, &mop);
    if (m_out)
        *m_out = mop;

    /* results.csv */
    char *csv = NULL;
    size_t clen = 0, ccap = 0;
    lc_status ast = append(&csv, &clen, &ccap,
                           "bag,class,kind,material,difficulty,mass_g,detect_score,max_score,"
                           "detected,alarmed,seconds\n");
    for (size_t i = 0; i < n && ast == LC_OK; i++) {
        double best_det = 0, best_any = 0;
        int alarmed = 0;
        for (size_t k = 0; k < eb[i].n_alarms; k++) {
            const lc_atr_alarm *a = &eb[i].alarms[k];
            if (a->score > best_any)
                best_any = a->score;
            if (a->score >= thr_op[a->cls])
                alarmed = 1;
            for (size_t j = 0; j < eb[i].n_truth; j++)
                if (lc_atr_alarm_detects(a, &eb[i].truth[j]) && a->score > best_det)
                    best_det = a->score;
        }
        const lc_atr_truth *tr = eb[i].n_truth ? &eb[i].truth[0] : NULL;
        int detected = tr && threat_detected(&eb[i], tr, thr_op);
        ast = append(&csv, &clen, &ccap, "%s,%s,%s,%s,%s,%.1f,%.4f,%.4f,%d,%d,%.3f\n", bags[i].name,
                     tr ? lc_atr_class_name(tr->cls) : "none", tr ? tr->kind : "",
                     tr ? tr->material : "", tr ? diff_names[tr->difficulty] : "",
                     tr ? tr->mass_g : 0.0, best_det, best_any, detected, alarmed,
                     bags[i].res->seconds);
    }
    if (ast == LC_OK && lc__path_join(path, sizeof path, outdir, "results.csv"))
        st = lc__write_file_atomic(path, csv, clen, err);
    else
        st = lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
    free(csv);
    if (st != LC_OK)
        goto done;

    /* roc.csv and roc.png */
    csv = NULL;
    clen = ccap = 0;
    ast = append(&csv, &clen, &ccap,
                 "threshold,fa_clean,det_explosive_300g,det_weapon,det_dense,det_all,"
                 "false_alarms_per_bag\n");
    /* the thresholds move together through the operating point: class c's
     * is th + (its operating threshold - 0.5), so with per-class
     * sensitivities the curves still pass through the squares (with the
     * default, one threshold th for all) */
    for (int k = 0; k < NT && ast == LC_OK; k++) {
        double th = (double)k / (NT - 1), thr[3];
        for (int c = 0; c < 3; c++)
            thr[c] = fmin(fmax(th + thr_op[c] - 0.5, 0.0), 1.0);
        lc_atr_metrics m;
        lc_atr_eval_metrics(eb, n, thr, &m);
        fa[k] = m.clean ? (double)m.clean_alarmed / (double)m.clean : 0;
        class_rates(&m, det[k]);
        ast = append(&csv, &clen, &ccap, "%.2f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", th, fa[k],
                     det[k][0], det[k][1], det[k][2], det[k][3], rate(m.false_alarms, m.bags));
        for (int c = 0; c < 4; c++)
            if (!isfinite(det[k][c]))
                det[k][c] = 0;
    }
    if (ast == LC_OK && lc__path_join(path, sizeof path, outdir, "roc.csv"))
        st = lc__write_file_atomic(path, csv, clen, err);
    else
        st = lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
    free(csv);
    if (st != LC_OK)
        goto done;
    double op_det[4];
    class_rates(&mop, op_det);
    for (int c = 0; c < 4; c++)
        if (!isfinite(op_det[c]))
            op_det[c] = 0;
    if (!lc__path_join(path, sizeof path, outdir, "roc.png")) {
        st = lc_error_set(err, LC_ERR_ARG, "atr eval: folder path too long");
        goto done;
    }
    st = write_roc_png(path, fa, (const double(*)[4])det, rate(mop.clean_alarmed, mop.clean),
                       op_det, err);
    if (st != LC_OK)
        goto done;

    /* the summary */
    ast = append(&sum, &slen, &scap,
                 "bags %zu (clean %zu), thresholds explosive %.2f weapon %.2f dense %.2f\n"
                 "false alarms (clean bags):",
                 mop.bags, mop.clean, thr_op[0], thr_op[1], thr_op[2]);
    if (ast == LC_OK)
        ast = append_rate(&sum, &slen, &scap, mop.clean_alarmed, mop.clean, 1);
    if (ast == LC_OK)
        ast = append(&sum, &slen, &scap, ", %.2f unmatched alarms per bag\nexplosives >= 300 g:",
                     rate(mop.false_alarms, mop.bags));
    if (ast == LC_OK)
        ast = append_rate(&sum, &slen, &scap, mop.hit_expl300, mop.n_expl300, 1);
    if (ast == LC_OK)
        ast = append(&sum, &slen, &scap, "\n");
    for (int c = 0; c < LC_ATR_CLASSES && ast == LC_OK; c++) {
        size_t nn, hh;
        class_total(&mop, c, &nn, &hh);
        ast = append(&sum, &slen, &scap, "%-9s all ", lc_atr_class_name(c));
        if (ast == LC_OK)
            ast = append_rate(&sum, &slen, &scap, hh, nn, 1);
        for (int d = 0; d < LC_ATR_DIFFICULTIES && ast == LC_OK; d++) {
            ast = append(&sum, &slen, &scap, "  %s ", diff_names[d]);
            if (ast == LC_OK)
                ast = append_rate(&sum, &slen, &scap, mop.hit[c][d], mop.n[c][d], 0);
        }
        if (ast == LC_OK)
            ast = append(&sum, &slen, &scap, "\n");
    }
    if (ast == LC_OK)
        ast = breakdown(eb, n, thr_op, &tl, &ntl);
    for (size_t k = 0; k < ntl && ast == LC_OK; k++) {
        int first = k == 0 || tl[k].cls != tl[k - 1].cls || tl[k].by != tl[k - 1].by;
        int last = k + 1 == ntl || tl[k + 1].cls != tl[k].cls || tl[k + 1].by != tl[k].by;
        if (first)
            ast = append(&sum, &slen, &scap, "%-9s %s: ", lc_atr_class_name(tl[k].cls),
                         by_titles[tl[k].by]);
        if (ast == LC_OK)
            ast = append(&sum, &slen, &scap, "%s %zu/%zu%s", tl[k].key, tl[k].hit, tl[k].n,
                         last ? "\n" : ", ");
    }
    if (ast == LC_OK)
        ast = append(&sum, &slen, &scap, "analysis: %.3f s per bag (mean, single thread)\n",
                     n ? t_analysis / (double)n : 0.0);
    if (ast != LC_OK) {
        st = lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
        goto done;
    }
    {
        json_t *j = json_object();
        json_t *cls = json_object();
        int ok =
            j && cls && json_object_set_new(j, "bags", json_integer((json_int_t)mop.bags)) == 0 &&
            json_object_set_new(j, "clean", json_integer((json_int_t)mop.clean)) == 0 &&
            json_object_set_new(j, "clean_alarmed", json_integer((json_int_t)mop.clean_alarmed)) ==
                0 &&
            json_object_set_new(j, "false_alarms", json_integer((json_int_t)mop.false_alarms)) ==
                0 &&
            json_object_set_new(j, "clean_alarmed_ci95", ci95(mop.clean_alarmed, mop.clean)) == 0 &&
            json_object_set_new(j, "explosives_300g",
                                json_pack("{s:I,s:I,s:o}", "n", (json_int_t)mop.n_expl300,
                                          "detected", (json_int_t)mop.hit_expl300, "ci95",
                                          ci95(mop.hit_expl300, mop.n_expl300))) == 0 &&
            json_object_set_new(j, "seconds_per_bag",
                                json_real(n ? t_analysis / (double)n : 0.0)) == 0 &&
            json_object_set(j, "classes", cls) == 0;
        for (int c = 0; ok && c < LC_ATR_CLASSES; c++) {
            json_t *cj = json_object();
            size_t nn, hh;
            class_total(&mop, c, &nn, &hh);
            ok = cj && json_object_set_new(cls, lc_atr_class_name(c), cj) == 0 &&
                 json_object_set_new(cj, "threshold", json_real(thr_op[c])) == 0 &&
                 json_object_set_new(cj, "all",
                                     json_pack("{s:I,s:I,s:o}", "n", (json_int_t)nn, "detected",
                                               (json_int_t)hh, "ci95", ci95(hh, nn))) == 0;
            for (int d = 0; ok && d < LC_ATR_DIFFICULTIES; d++)
                ok = json_object_set_new(cj, diff_names[d],
                                         json_pack("{s:I,s:I}", "n", (json_int_t)mop.n[c][d],
                                                   "detected", (json_int_t)mop.hit[c][d])) == 0;
            /* "by_kind": {"block": {"n": .., "detected": ..}, ..}, and for
             * explosives "by_material" and "by_material_300g" */
            for (size_t k = 0; ok && k < ntl; k++) {
                if (tl[k].cls != c)
                    continue;
                json_t *g = json_object_get(cj, by_names[tl[k].by]);
                if (!g)
                    ok = (g = json_object()) && json_object_set_new(cj, by_names[tl[k].by], g) == 0;
                ok = ok && json_object_set_new(g, tl[k].key,
                                               json_pack("{s:I,s:I}", "n", (json_int_t)tl[k].n,
                                                         "detected", (json_int_t)tl[k].hit)) == 0;
            }
        }
        json_decref(cls);
        char *js = ok ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!js) {
            st = lc_error_set(err, LC_ERR_NOMEM, "atr eval: out of memory");
            goto done;
        }
        if (lc__path_join(path, sizeof path, outdir, "summary.json"))
            st = lc__write_file_atomic(path, js, strlen(js), err);
        free(js);
        if (st != LC_OK)
            goto done;
    }
    if (summary) {
        *summary = sum;
        sum = NULL;
    }
done:
    free(tl);
    free(feat);
    free(sum);
    for (size_t i = 0; bags && i < n; i++)
        lc_atr_result_free(bags[i].res);
    free(bags);
    free(eb);
    free(fa);
    free(det);
    lc_scanner_free(sc);
    return st;
}
