/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tdr.c: DICOS Threat Detection Reports. A TDR (SOP class ...501.3) lists the
 * potential threat objects (PTOs) found in a scan with the group 4010 tags of
 * the DICOS data dictionary: Threat Sequence (4010,1011) of items holding the
 * PTO ID (4010,1010), a PTO Representation Sequence (4010,1037) with one item
 * per view (Referenced Instance Sequence (0008,114A) naming the images, Bounding
 * Polygon (4010,101D) of the box corners as (column, row) pairs) and an ATD
 * Assessment Sequence (4010,1038) with category (4010,1012), description
 * (4010,1013), ability assessment (4010,1014), flag (4010,1015) and probability
 * (4010,1016). The report carries TDR Type (4010,1027), Alarm Decision
 * (4010,1031), its time (4010,102B) and the object counts (4010,1033/1034).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dicos/dicos_int.h"
#include "util/util.h"

#define PRIV_VIEW LC__TAG(LC__PRIV_GROUP, 0x1002)

const char *lc_dicos_assessment_name(lc_dicos_assessment a)
{
    switch (a) {
    case LC_ASSESS_THREAT:
        return "THREAT";
    case LC_ASSESS_NO_THREAT:
        return "NO_THREAT";
    default:
        return "UNKNOWN";
    }
}

const char *lc_dicos_alarm_name(lc_dicos_alarm a)
{
    switch (a) {
    case LC_ALARM_ALARM:
        return "ALARM";
    case LC_ALARM_CLEAR:
        return "CLEAR";
    default:
        return "UNKNOWN";
    }
}

const char *lc_dicos_tdr_type_name(lc_dicos_tdr_type t)
{
    switch (t) {
    case LC_TDR_OPERATOR:
        return "OPERATOR";
    case LC_TDR_GROUND_TRUTH:
        return "GROUND_TRUTH";
    default:
        return "MACHINE";
    }
}

void lc_dicos_tdr_free(lc_dicos_tdr *tdr)
{
    if (!tdr)
        return;
    free(tdr->threats);
    free(tdr);
}

/* A CS value: upper case letters, digits, space and '_', at most 16. */
static void to_cs(char *dst, const char *s)
{
    size_t n = 0;
    for (; s[n] && n < 16; n++) {
        char c = s[n];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_'))
            c = '_';
        dst[n] = c;
    }
    dst[n] = '\0';
}

/* SOP class and instance UIDs of the images of one view in a scan folder. */
typedef struct view_refs {
    int n;
    const char *cls[3];
    char uid[3][LC_ID_MAX];
} view_refs;

static lc_status load_refs(const lc_dicos_io *io, uint32_t view, view_refs *r, lc_error *err)
{
    r->n = 0;
    for (int k = 0; k < 3; k++) {
        char name[64];
        if (k < 2)
            lc__dicos_raw_name(name, sizeof name, view, (lc_channel)k);
        else
            lc__dicos_pres_name(name, sizeof name, view);
        lc_dicos_file *f;
        lc_status st = lc__dicos_io_open(io, name, &f, err);
        if (st == LC_ERR_NOT_FOUND) {
            if (k < 2)
                return lc_error_set(err, LC_ERR_NOT_FOUND, "%s/%s: no image of view %u",
                                    lc__dicos_io_label(io), name, view);
            continue;
        }
        if (st != LC_OK)
            return st;
        bool ok =
            lc__el_str(lc__dset_find(&f->ds, LC__TAG(0x0008, 0x0018)), r->uid[r->n], LC_ID_MAX);
        lc_dicos_file_free(f);
        if (!ok)
            return lc_error_set(err, LC_ERR_FORMAT, "%s/%s: no SOP Instance UID",
                                lc__dicos_io_label(io), name);
        r->cls[r->n] = k < 2 ? LC_DICOS_SOP_DX_PROCESSING : LC_DICOS_SOP_DX_PRESENTATION;
        r->n++;
    }
    return LC_OK;
}

static lc_status check_tdr(const lc_dicos_tdr *t, lc_error *err)
{
    if (t->n_threats > LC_DICOS_MAX_THREATS || (t->n_threats && !t->threats))
        return lc_error_set(err, LC_ERR_ARG, "TDR: %zu threats (at most %d, non-NULL)",
                            t->n_threats, LC_DICOS_MAX_THREATS);
    if ((unsigned)t->type > LC_TDR_GROUND_TRUTH || (unsigned)t->alarm > LC_ALARM_ALARM)
        return lc_error_set(err, LC_ERR_ARG, "TDR: bad type or alarm value");
    for (size_t i = 0; i < t->n_threats; i++) {
        const lc_dicos_threat *th = &t->threats[i];
        if (th->n_boxes > LC_SCAN_MAX_VIEWS || th->probability > 1 || th->id > 0xFFFF ||
            (unsigned)th->assessment > LC_ASSESS_NO_THREAT)
            return lc_error_set(err, LC_ERR_ARG,
                                "TDR threat %zu: bad id, box count, assessment or probability", i);
        for (uint32_t b = 0; b < th->n_boxes; b++)
            if (th->boxes[b].view >= LC_SCAN_MAX_VIEWS)
                return lc_error_set(err, LC_ERR_ARG, "TDR threat %zu: view %u out of range", i,
                                    th->boxes[b].view);
    }
    return LC_OK;
}

const char *lc_dicos_tdr_file_name(lc_dicos_tdr_type t)
{
    return t == LC_TDR_OPERATOR       ? "tdr_operator.dcs"
           : t == LC_TDR_GROUND_TRUTH ? "tdr_ground_truth.dcs"
                                      : "tdr_machine.dcs";
}

lc_status lc_dicos_write_tdr(const char *dir, const lc_dicos_tdr *tdr, lc_error *err)
{
    if (!dir || !tdr)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_tdr: NULL argument");
    lc_dicos_io io = lc_dicos_folder_io(dir);
    return lc_dicos_write_tdr_io(&io, tdr, err);
}

lc_status lc_dicos_write_tdr_io(const lc_dicos_io *io, const lc_dicos_tdr *tdr, lc_error *err)
{
    if (!io || !io->put || !io->get || !tdr)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_write_tdr: NULL argument");
    lc_status st = check_tdr(tdr, err);
    if (st != LC_OK)
        return st;
    lc__scan_uids u;
    memset(&u, 0, sizeof u);
    lc_scan_info info;
    if ((st = lc__dicos_view_uids(io, 0, &u, &info, err)) != LC_OK)
        return st;
    if (!u.tdr_series[0] && (st = lc__dicos_uid(u.tdr_series, err)) != LC_OK)
        return st;
    view_refs *refs = calloc(LC_SCAN_MAX_VIEWS, sizeof *refs);
    bool loaded[LC_SCAN_MAX_VIEWS] = {false};
    if (!refs)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    char sop[LC_ID_MAX];
    if ((st = lc__dicos_uid(sop, err)) != LC_OK) {
        free(refs);
        return st;
    }
    int type_no = (int)tdr->type;
    lc__wset ws = {0};
    lc__dicos_add_common(&ws, &info, &u, u.tdr_series, LC_DICOS_SOP_TDR, sop, "TDR", 10 + type_no,
                         1);
    lc__w_str(&ws, LC__TAG(0x4010, 0x1027), "CS", lc_dicos_tdr_type_name(tdr->type));
    if (tdr->algorithm[0]) {
        char alg[LC_ID_MAX];
        size_t k = 0;
        for (; tdr->algorithm[k] && k + 1 < sizeof alg; k++)
            alg[k] = (tdr->algorithm[k] == '\\' || (unsigned char)tdr->algorithm[k] < 0x20)
                         ? ' '
                         : tdr->algorithm[k];
        alg[k] = '\0';
        lc__w_str(&ws, LC__TAG(0x4010, 0x1029), "LO", alg);
    }
    char dt[32];
    lc__dicos_dt(tdr->decided_unix_us ? tdr->decided_unix_us : (int64_t)time(NULL) * 1000000, dt);
    lc__w_str(&ws, LC__TAG(0x4010, 0x102B), "DT", dt);
    lc__w_str(&ws, LC__TAG(0x4010, 0x1031), "CS", lc_dicos_alarm_name(tdr->alarm));
    size_t n_alarm = 0;
    for (size_t i = 0; i < tdr->n_threats; i++)
        n_alarm += tdr->threats[i].assessment == LC_ASSESS_THREAT;
    lc__w_us(&ws, LC__TAG(0x4010, 0x1033), (uint16_t)tdr->n_threats);
    lc__w_us(&ws, LC__TAG(0x4010, 0x1034), (uint16_t)n_alarm);
    lc__wset *items = calloc(tdr->n_threats ? tdr->n_threats : 1, sizeof *items);
    if (!items)
        ws.failed = true;
    for (size_t i = 0; items && i < tdr->n_threats; i++) {
        const lc_dicos_threat *th = &tdr->threats[i];
        lc__wset *it = &items[i];
        lc__w_us(it, LC__TAG(0x4010, 0x1010), (uint16_t)th->id);
        float f;
        if (th->mass_g > 0) {
            f = (float)th->mass_g;
            lc__w_fl(it, LC__TAG(0x4010, 0x1017), &f, 1);
        }
        if (th->density_g_cm3 > 0) {
            f = (float)th->density_g_cm3;
            lc__w_fl(it, LC__TAG(0x4010, 0x1018), &f, 1);
        }
        if (th->zeff > 0) {
            f = (float)th->zeff;
            lc__w_fl(it, LC__TAG(0x4010, 0x1019), &f, 1);
        }
        lc__wset *reps = calloc(th->n_boxes ? th->n_boxes : 1, sizeof *reps);
        if (!reps) {
            it->failed = true;
            continue;
        }
        for (uint32_t b = 0; b < th->n_boxes; b++) {
            const lc_dicos_box *bx = &th->boxes[b];
            if (!loaded[bx->view]) {
                st = load_refs(io, bx->view, &refs[bx->view], err);
                if (st != LC_OK) {
                    for (uint32_t k = 0; k < th->n_boxes; k++)
                        lc__wset_free(&reps[k]);
                    free(reps);
                    goto fail;
                }
                loaded[bx->view] = true;
            }
            const view_refs *r = &refs[bx->view];
            lc__wset ris[3];
            memset(ris, 0, sizeof ris);
            for (int k = 0; k < r->n; k++) {
                lc__w_str(&ris[k], LC__TAG(0x0008, 0x1150), "UI", r->cls[k]);
                lc__w_str(&ris[k], LC__TAG(0x0008, 0x1155), "UI", r->uid[k]);
            }
            lc__w_seq(&reps[b], LC__TAG(0x0008, 0x114A), ris, (size_t)r->n);
            float poly[8] = {(float)bx->x0, (float)bx->y0, (float)bx->x1, (float)bx->y0,
                             (float)bx->x1, (float)bx->y1, (float)bx->x0, (float)bx->y1};
            lc__w_fl(&reps[b], LC__TAG(0x4010, 0x101D), poly, 8);
            lc__w_priv_creator(&reps[b]);
            lc__w_ul(&reps[b], PRIV_VIEW, bx->view);
        }
        lc__w_seq(it, LC__TAG(0x4010, 0x1037), reps, th->n_boxes);
        free(reps);
        lc__wset as = {0};
        char cs[17];
        to_cs(cs, th->category[0] ? th->category : "UNKNOWN");
        lc__w_str(&as, LC__TAG(0x4010, 0x1012), "CS", cs);
        lc__w_str(&as, LC__TAG(0x4010, 0x1013), "LT", th->description);
        lc__w_str(&as, LC__TAG(0x4010, 0x1014), "CS", "NO_INTERFERENCE");
        lc__w_str(&as, LC__TAG(0x4010, 0x1015), "CS", lc_dicos_assessment_name(th->assessment));
        if (th->probability >= 0) {
            f = (float)th->probability;
            lc__w_fl(&as, LC__TAG(0x4010, 0x1016), &f, 1);
        }
        lc__w_seq(it, LC__TAG(0x4010, 0x1038), &as, 1);
    }
    if (items) {
        lc__w_seq(&ws, LC__TAG(0x4010, 0x1011), items, tdr->n_threats);
        free(items);
        items = NULL;
    }
    free(refs);
    if (ws.failed) {
        lc__wset_free(&ws);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory encoding the TDR");
    }
    uint8_t *buf;
    size_t len;
    st = lc__w_file(&ws, LC_DICOS_SOP_TDR, sop, &buf, &len, err);
    lc__wset_free(&ws);
    if (st != LC_OK)
        return st;
    st = io->put(io->user, lc_dicos_tdr_file_name(tdr->type), buf, len, err);
    free(buf);
    return st;
fail:
    if (items) {
        for (size_t i = 0; i < tdr->n_threats; i++)
            lc__wset_free(&items[i]);
        free(items);
    }
    free(refs);
    lc__wset_free(&ws);
    return st;
}

/* ---- reading ---------------------------------------------------------- */

/* SOP Instance UID -> view of the images in a scan folder. */
typedef struct uid_map {
    size_t n;
    char uid[LC_SCAN_MAX_VIEWS * 3][LC_ID_MAX];
    uint32_t view[LC_SCAN_MAX_VIEWS * 3];
} uid_map;

static void map_folder(const lc_dicos_io *io, uid_map *m)
{
    m->n = 0;
    for (uint32_t v = 0; v < LC_SCAN_MAX_VIEWS; v++) {
        view_refs r;
        lc_error e;
        if (load_refs(io, v, &r, &e) != LC_OK)
            break;
        for (int k = 0; k < r.n; k++) {
            lc__strlcpy(m->uid[m->n], r.uid[k], LC_ID_MAX);
            m->view[m->n++] = v;
        }
    }
}

static lc_dicos_assessment parse_flag(const char *s)
{
    if (strcmp(s, "THREAT") == 0 || strcmp(s, "HIGH_THREAT") == 0)
        return LC_ASSESS_THREAT;
    if (strcmp(s, "NO_THREAT") == 0)
        return LC_ASSESS_NO_THREAT;
    return LC_ASSESS_UNKNOWN;
}

/* Decodes a TDR; io (may be NULL) holds the images to resolve references. */
static lc_status decode_tdr(const lc_dicos_file *f, const lc_dicos_io *io, lc_dicos_tdr **out,
                            lc_error *err)
{
    *out = NULL;
    const lc__dset *ds = &f->ds;
    char s[LC_TEXT_MAX];
    bool is_tdr = lc__el_str(lc__dset_find(ds, LC__TAG(0x0008, 0x0016)), s, sizeof s) &&
                  strcmp(s, LC_DICOS_SOP_TDR) == 0;
    if (!is_tdr)
        return lc_error_set(err, LC_ERR_FORMAT, "not a TDR (SOP Class UID %s)", s);
    const lc__elem *seq = lc__dset_find(ds, LC__TAG(0x4010, 0x1011));
    size_t n = seq ? seq->n_items : 0;
    if (seq && strcmp(seq->vr, "SQ") != 0)
        return lc_error_set(err, LC_ERR_FORMAT, "Threat Sequence (4010,1011) is not a sequence");
    if (n > LC_DICOS_MAX_THREATS)
        return lc_error_set(err, LC_ERR_LIMIT, "TDR with %zu threat objects (limit %d)", n,
                            LC_DICOS_MAX_THREATS);
    lc_dicos_tdr *t = calloc(1, sizeof *t);
    if (t)
        t->threats = calloc(n ? n : 1, sizeof *t->threats);
    if (!t || !t->threats) {
        lc_dicos_tdr_free(t);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    uid_map *map = NULL;
    lc__el_str(lc__dset_find(ds, LC__TAG(0x4010, 0x1027)), s, sizeof s);
    t->type = strcmp(s, "OPERATOR") == 0       ? LC_TDR_OPERATOR
              : strcmp(s, "GROUND_TRUTH") == 0 ? LC_TDR_GROUND_TRUTH
                                               : LC_TDR_MACHINE;
    s[0] = '\0';
    lc__el_str(lc__dset_find(ds, LC__TAG(0x4010, 0x1031)), s, sizeof s);
    t->alarm = strcmp(s, "ALARM") == 0                                   ? LC_ALARM_ALARM
               : (strcmp(s, "CLEAR") == 0 || strcmp(s, "NO_ALARM") == 0) ? LC_ALARM_CLEAR
                                                                         : LC_ALARM_UNKNOWN;
    lc__el_str(lc__dset_find(ds, LC__TAG(0x4010, 0x1029)), t->algorithm, sizeof t->algorithm);
    if (lc__el_str(lc__dset_find(ds, LC__TAG(0x4010, 0x102B)), s, sizeof s))
        lc__dicos_parse_dt(s, &t->decided_unix_us);
    t->n_threats = n;
    for (size_t i = 0; i < n; i++) {
        const lc__dset *it = &seq->items[i];
        lc_dicos_threat *th = &t->threats[i];
        uint32_t id = 0;
        lc__el_uint(lc__dset_find(it, LC__TAG(0x4010, 0x1010)), &id);
        th->id = id;
        th->probability = -1;
        lc__el_double(lc__dset_find(it, LC__TAG(0x4010, 0x1017)), 0, &th->mass_g);
        lc__el_double(lc__dset_find(it, LC__TAG(0x4010, 0x1018)), 0, &th->density_g_cm3);
        lc__el_double(lc__dset_find(it, LC__TAG(0x4010, 0x1019)), 0, &th->zeff);
        const lc__elem *as = lc__dset_find(it, LC__TAG(0x4010, 0x1038));
        if (as && as->n_items > 0) {
            const lc__dset *a = &as->items[0];
            lc__el_str(lc__dset_find(a, LC__TAG(0x4010, 0x1012)), th->category,
                       sizeof th->category);
            lc__el_str(lc__dset_find(a, LC__TAG(0x4010, 0x1013)), th->description,
                       sizeof th->description);
            s[0] = '\0';
            lc__el_str(lc__dset_find(a, LC__TAG(0x4010, 0x1015)), s, sizeof s);
            th->assessment = parse_flag(s);
            lc__el_double(lc__dset_find(a, LC__TAG(0x4010, 0x1016)), 0, &th->probability);
        }
        const lc__elem *reps = lc__dset_find(it, LC__TAG(0x4010, 0x1037));
        size_t nr = reps ? reps->n_items : 0;
        if (nr > LC_SCAN_MAX_VIEWS) {
            free(map);
            lc_dicos_tdr_free(t);
            return lc_error_set(err, LC_ERR_LIMIT, "threat %zu has %zu representations (limit %d)",
                                i, nr, LC_SCAN_MAX_VIEWS);
        }
        for (size_t r = 0; r < nr; r++) {
            const lc__dset *rep = &reps->items[r];
            lc_dicos_box *bx = &th->boxes[th->n_boxes];
            const lc__elem *poly = lc__dset_find(rep, LC__TAG(0x4010, 0x101D));
            size_t np = lc__el_count(poly) / 2;
            if (np < 1)
                continue; /* a representation without a 2D polygon (e.g. a CT bitmap) */
            double x, y;
            lc__el_double(poly, 0, &bx->x0);
            lc__el_double(poly, 1, &bx->y0);
            bx->x1 = bx->x0;
            bx->y1 = bx->y0;
            for (size_t k = 1; k < np; k++) {
                lc__el_double(poly, 2 * k, &x);
                lc__el_double(poly, 2 * k + 1, &y);
                bx->x0 = x < bx->x0 ? x : bx->x0;
                bx->y0 = y < bx->y0 ? y : bx->y0;
                bx->x1 = x > bx->x1 ? x : bx->x1;
                bx->y1 = y > bx->y1 ? y : bx->y1;
            }
            uint32_t view = 0;
            if (!lc__el_uint(lc__dset_find_priv(rep, 0x02), &view) || view >= LC_SCAN_MAX_VIEWS) {
                view = 0;
                const lc__elem *ris = lc__dset_find(rep, LC__TAG(0x0008, 0x114A));
                char uid[LC_ID_MAX];
                if (io && ris && ris->n_items &&
                    lc__el_str(lc__dset_find(&ris->items[0], LC__TAG(0x0008, 0x1155)), uid,
                               sizeof uid)) {
                    if (!map && (map = malloc(sizeof *map)) != NULL)
                        map_folder(io, map);
                    for (size_t k = 0; map && k < map->n; k++)
                        if (strcmp(map->uid[k], uid) == 0)
                            view = map->view[k];
                }
            }
            bx->view = view;
            th->n_boxes++;
        }
    }
    free(map);
    *out = t;
    return LC_OK;
}

lc_status lc_dicos_file_tdr(const lc_dicos_file *f, lc_dicos_tdr **out, lc_error *err)
{
    if (!f || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_file_tdr: NULL argument");
    return decode_tdr(f, NULL, out, err);
}

lc_status lc_dicos_read_tdr(const char *path, lc_dicos_tdr **out, lc_error *err)
{
    if (!path || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_read_tdr: NULL argument");
    *out = NULL;
    lc_dicos_file *f;
    lc_status st = lc_dicos_open(path, &f, err);
    if (st != LC_OK)
        return st;
    char dir[1024];
    lc__strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        lc__strlcpy(dir, ".", sizeof dir);
    lc_dicos_io io = lc_dicos_folder_io(dir);
    st = decode_tdr(f, &io, out, err);
    lc_dicos_file_free(f);
    if (st != LC_OK)
        lc_error_prefix(err, "%s: ", path);
    return st;
}

lc_status lc_dicos_read_tdr_io(const lc_dicos_io *io, const char *name, lc_dicos_tdr **out,
                               lc_error *err)
{
    if (!io || !io->get || !name || !out)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_read_tdr: NULL argument");
    *out = NULL;
    lc_dicos_file *f;
    lc_status st = lc__dicos_io_open(io, name, &f, err);
    if (st != LC_OK)
        return st;
    st = decode_tdr(f, io, out, err);
    lc_dicos_file_free(f);
    if (st != LC_OK)
        lc_error_prefix(err, "%s/%s: ", lc__dicos_io_label(io), name);
    return st;
}

/* ---------------------------------------------------------------- from ATR */

static void atr_box(const lc_atr_alarm *a, lc_dicos_box *b)
{
    b->view = a->view;
    b->x0 = a->bbox[0];
    b->y0 = a->bbox[1];
    b->x1 = a->bbox[2] > a->bbox[0] ? a->bbox[2] - 1 : a->bbox[0];
    b->y1 = a->bbox[3] > a->bbox[1] ? a->bbox[3] - 1 : a->bbox[1];
}

lc_status lc_dicos_tdr_from_atr(const lc_atr_result *r, double min_score, const char *algorithm,
                                lc_dicos_tdr **out, lc_error *err)
{
    if (!out)
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_tdr_from_atr: NULL argument");
    *out = NULL;
    if (!r || (r->n > 0 && !r->alarms))
        return lc_error_set(err, LC_ERR_ARG, "lc_dicos_tdr_from_atr: NULL argument");
    lc_dicos_tdr *t = calloc(1, sizeof *t);
    unsigned char *used = calloc(r->n ? r->n : 1, 1);
    if (t)
        t->threats = calloc(r->n ? r->n : 1, sizeof *t->threats);
    if (!t || !t->threats || !used) {
        free(used);
        lc_dicos_tdr_free(t);
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    t->type = LC_TDR_MACHINE;
    lc__strlcpy(t->algorithm, algorithm ? algorithm : "lucent atr", sizeof t->algorithm);
    for (size_t i = 0; i < r->n && t->n_threats < LC_DICOS_MAX_THREATS; i++) {
        const lc_atr_alarm *a = &r->alarms[i];
        if (used[i] || !(a->score >= min_score))
            continue;
        used[i] = 1;
        lc_dicos_threat *th = &t->threats[t->n_threats++];
        th->id = (uint32_t)t->n_threats;
        int expl = a->cls == LC_ATR_EXPLOSIVE;
        lc__strlcpy(th->category,
                    expl                      ? "EXPLOSIVE"
                    : a->cls == LC_ATR_WEAPON ? "PROHIBITED_ITEM"
                                              : "ANOMALY",
                    sizeof th->category);
        th->assessment = LC_ASSESS_THREAT;
        th->probability = a->score > 1 ? 1 : a->score < 0 ? 0 : a->score;
        th->zeff = isfinite(a->zeff) && a->zeff > 0 ? a->zeff : 0;
        th->mass_g = expl && a->mass_g > 0 ? a->mass_g : 0;
        th->density_g_cm3 = expl && a->density_g_cm3 > 0 ? a->density_g_cm3 : 0;
        int k = snprintf(th->description, sizeof th->description, "%s %.2f",
                         lc_atr_class_name(a->cls), th->probability);
        if (th->zeff > 0 && k > 0 && (size_t)k < sizeof th->description)
            k += snprintf(th->description + k, sizeof th->description - (size_t)k, ", Zeff %.1f",
                          th->zeff);
        if (th->mass_g > 0 && k > 0 && (size_t)k < sizeof th->description)
            snprintf(th->description + k, sizeof th->description - (size_t)k, ", %.0f g",
                     th->mass_g);
        th->n_boxes = 1;
        atr_box(a, &th->boxes[0]);
        int32_t j = a->paired;
        if (j >= 0 && (size_t)j < r->n && !used[j] && r->alarms[j].view != a->view &&
            r->alarms[j].score >= min_score) {
            used[j] = 1;
            atr_box(&r->alarms[j], &th->boxes[th->n_boxes++]);
        }
    }
    t->alarm = t->n_threats ? LC_ALARM_ALARM : LC_ALARM_CLEAR;
    free(used);
    *out = t;
    return LC_OK;
}
