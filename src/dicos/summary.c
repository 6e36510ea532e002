/* SPDX-License-Identifier: Apache-2.0 */
/*
 * summary.c: the key facts of any parsed DICOS file (what `lucent info`
 * shows): SOP class by name, identifiers, image geometry, acquisition values,
 * lucent's view and energy when present, and for a TDR the object count and
 * the alarm decision.
 */
#include <string.h>

#include "dicos/dicos_int.h"
#include "util/util.h"

static void text(const lc_dicos_file *f, uint32_t tag, char *buf, size_t cap)
{
    lc__el_str(lc__dset_find(&f->ds, tag), buf, cap);
}

static uint32_t num(const lc_dicos_file *f, uint32_t tag, uint32_t dflt)
{
    uint32_t v;
    return lc__el_uint(lc__dset_find(&f->ds, tag), &v) ? v : dflt;
}

void lc_dicos_file_summary(const lc_dicos_file *f, lc_dicos_summary *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof *s);
    s->view = -1;
    if (!f)
        return;
    text(f, LC__TAG(0x0008, 0x0016), s->sop_class_uid, sizeof s->sop_class_uid);
    static const struct {
        const char *uid, *name;
        lc_dicos_kind kind;
    } classes[] = {
        {LC_DICOS_SOP_DX_PROCESSING, "DX for processing", LC_DICOS_DX_PROCESSING},
        {LC_DICOS_SOP_DX_PRESENTATION, "DX for presentation", LC_DICOS_DX_PRESENTATION},
        {LC_DICOS_SOP_TDR, "TDR", LC_DICOS_TDR},
        {LC_DICOS_SOP_CT, "CT", LC_DICOS_CT},
        {"1.2.840.10008.5.1.4.1.1.501.2", "DX", LC_DICOS_OTHER},
        {"1.2.840.10008.5.1.4.1.1.501.4", "AIT 2D", LC_DICOS_OTHER},
        {"1.2.840.10008.5.1.4.1.1.501.5", "AIT 3D", LC_DICOS_OTHER},
        {"1.2.840.10008.5.1.4.1.1.501.6", "QR", LC_DICOS_OTHER},
    };
    lc__strlcpy(s->sop_class_name, "unknown", sizeof s->sop_class_name);
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strcmp(s->sop_class_uid, classes[i].uid) == 0) {
            lc__strlcpy(s->sop_class_name, classes[i].name, sizeof s->sop_class_name);
            s->kind = classes[i].kind;
        }
    lc__strlcpy(s->transfer_syntax, f->ts, sizeof s->transfer_syntax);
    text(f, LC__TAG(0x0008, 0x0018), s->sop_instance_uid, sizeof s->sop_instance_uid);
    text(f, LC__TAG(0x0020, 0x000D), s->study_uid, sizeof s->study_uid);
    text(f, LC__TAG(0x0020, 0x000E), s->series_uid, sizeof s->series_uid);
    if (!lc__el_str(lc__dset_find_priv(&f->ds, 0x0B), s->scan_id, sizeof s->scan_id))
        text(f, LC__TAG(0x0010, 0x0020), s->scan_id, sizeof s->scan_id);
    if (!lc__el_str(lc__dset_find_priv(&f->ds, 0x0A), s->station_id, sizeof s->station_id))
        text(f, LC__TAG(0x0008, 0x1010), s->station_id, sizeof s->station_id);
    text(f, LC__TAG(0x0008, 0x0070), s->manufacturer, sizeof s->manufacturer);
    text(f, LC__TAG(0x0008, 0x1090), s->model, sizeof s->model);
    text(f, LC__TAG(0x0008, 0x002A), s->acquired, sizeof s->acquired);
    text(f, LC__TAG(0x0028, 0x0004), s->photometric, sizeof s->photometric);
    uint32_t v;
    if (lc__el_uint(lc__dset_find_priv(&f->ds, 0x02), &v) && v < LC_SCAN_MAX_VIEWS)
        s->view = (int)v;
    lc__el_str(lc__dset_find_priv(&f->ds, 0x03), s->view_label, sizeof s->view_label);
    char ch[16] = "";
    lc__el_str(lc__dset_find_priv(&f->ds, 0x01), ch, sizeof ch);
    if (strcmp(ch, "HIGH") == 0)
        lc__strlcpy(s->energy, "high", sizeof s->energy);
    else if (strcmp(ch, "LOW") == 0)
        lc__strlcpy(s->energy, "low", sizeof s->energy);
    s->rows = num(f, LC__TAG(0x0028, 0x0010), 0);
    s->columns = num(f, LC__TAG(0x0028, 0x0011), 0);
    bool image = s->rows && s->columns;
    s->frames = num(f, LC__TAG(0x0028, 0x0008), image ? 1 : 0);
    s->samples_per_pixel = num(f, LC__TAG(0x0028, 0x0002), image ? 1 : 0);
    s->bits_allocated = num(f, LC__TAG(0x0028, 0x0100), 0);
    s->bits_stored = num(f, LC__TAG(0x0028, 0x0101), 0);
    lc__el_double(lc__dset_find(&f->ds, LC__TAG(0x0018, 0x0060)), 0, &s->kvp);
    if (s->kind == LC_DICOS_TDR) {
        const lc__elem *seq = lc__dset_find(&f->ds, LC__TAG(0x4010, 0x1011));
        s->n_threats = seq ? seq->n_items : 0;
        text(f, LC__TAG(0x4010, 0x1031), s->alarm, sizeof s->alarm);
    }
}
