/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_info.c: `lucent info PATH [--json]`, a summary of a DICOS file or of a
 * scan folder: SOP class, views, energies, image sizes, key metadata and the
 * threat objects of any TDR, as text for people or JSON for machines.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "lucent/dicos.h"

#define MAX_FILES 4096

/* ---- JSON output (hand-written: apps use only lucent's public headers) ---- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = p[0] < 0x80         ? 1
               : (p[0] >> 5) == 6  ? 2
               : (p[0] >> 4) == 14 ? 3
               : (p[0] >> 3) == 30 ? 4
                                   : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* A JSON string; bytes that are not valid UTF-8 become U+FFFD. */
static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_len(p);
        if (n == 0) {
            printf("\\ufffd");
            p++;
        } else if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
            p++;
        } else if (*p < 0x20 || *p == 0x7F) {
            printf("\\u%04x", *p);
            p++;
        } else {
            fwrite(p, 1, n, stdout);
            p += n;
        }
    }
    putchar('"');
}

/* Control characters from a file never reach the terminal as they are. */
static void tame(char *s, size_t cap)
{
    for (size_t i = 0; i < cap && s[i]; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            s[i] = '?';
}

static void tame_summary(lc_dicos_summary *s)
{
    tame(s->sop_class_uid, sizeof s->sop_class_uid);
    tame(s->transfer_syntax, sizeof s->transfer_syntax);
    tame(s->sop_instance_uid, sizeof s->sop_instance_uid);
    tame(s->study_uid, sizeof s->study_uid);
    tame(s->series_uid, sizeof s->series_uid);
    tame(s->scan_id, sizeof s->scan_id);
    tame(s->station_id, sizeof s->station_id);
    tame(s->manufacturer, sizeof s->manufacturer);
    tame(s->model, sizeof s->model);
    tame(s->acquired, sizeof s->acquired);
    tame(s->photometric, sizeof s->photometric);
    tame(s->view_label, sizeof s->view_label);
    tame(s->alarm, sizeof s->alarm);
}

static void tame_tdr(lc_dicos_tdr *t)
{
    tame(t->algorithm, sizeof t->algorithm);
    for (size_t i = 0; i < t->n_threats; i++) {
        tame(t->threats[i].category, sizeof t->threats[i].category);
        tame(t->threats[i].description, sizeof t->threats[i].description);
    }
}

static void tame_scan(lc_scan *scan)
{
    lc_scan_info *in = lc_scan_info_mut(scan);
    tame(in->scan_id, sizeof in->scan_id);
    tame(in->station_id, sizeof in->station_id);
    tame(in->study_uid, sizeof in->study_uid);
    tame(in->manufacturer, sizeof in->manufacturer);
    tame(in->model, sizeof in->model);
    tame(in->detector, sizeof in->detector);
    for (size_t v = 0; v < lc_scan_view_count(scan); v++) {
        lc_view_info *vi = lc_view_info_mut(lc_scan_view(scan, v));
        tame(vi->label, sizeof vi->label);
    }
}

static void json_kv_str(const char *k, const char *v, bool comma)
{
    json_str(k);
    putchar(':');
    json_str(v);
    if (comma)
        putchar(',');
}

static void json_kv_num(const char *k, double v, bool comma)
{
    json_str(k);
    printf(":%.17g%s", v, comma ? "," : "");
}

static void json_summary(const lc_dicos_summary *s)
{
    putchar('{');
    json_kv_str("sop_class", s->sop_class_name, true);
    json_kv_str("sop_class_uid", s->sop_class_uid, true);
    json_kv_str("transfer_syntax", s->transfer_syntax, true);
    json_kv_str("sop_instance_uid", s->sop_instance_uid, true);
    json_kv_str("study_uid", s->study_uid, true);
    json_kv_str("series_uid", s->series_uid, true);
    json_kv_str("scan_id", s->scan_id, true);
    json_kv_str("station_id", s->station_id, true);
    json_kv_str("manufacturer", s->manufacturer, true);
    json_kv_str("model", s->model, true);
    json_kv_str("acquired", s->acquired, true);
    json_kv_num("view", s->view, true);
    json_kv_str("view_label", s->view_label, true);
    json_kv_str("energy", s->energy, true);
    json_kv_str("photometric", s->photometric, true);
    json_kv_num("rows", s->rows, true);
    json_kv_num("columns", s->columns, true);
    json_kv_num("frames", s->frames, true);
    json_kv_num("samples_per_pixel", s->samples_per_pixel, true);
    json_kv_num("bits_allocated", s->bits_allocated, true);
    json_kv_num("bits_stored", s->bits_stored, true);
    json_kv_num("kvp", s->kvp, s->kind == LC_DICOS_TDR);
    if (s->kind == LC_DICOS_TDR) {
        json_kv_num("threat_objects", (double)s->n_threats, true);
        json_kv_str("alarm", s->alarm, false);
    }
    putchar('}');
}

static void json_tdr(const lc_dicos_tdr *t)
{
    putchar('{');
    json_kv_str("type", lc_dicos_tdr_type_name(t->type), true);
    json_kv_str("alarm", lc_dicos_alarm_name(t->alarm), true);
    json_kv_str("algorithm", t->algorithm, true);
    json_kv_num("decided_unix_us", (double)t->decided_unix_us, true);
    printf("\"threats\":[");
    for (size_t i = 0; i < t->n_threats; i++) {
        const lc_dicos_threat *th = &t->threats[i];
        printf("%s{", i ? "," : "");
        json_kv_num("id", th->id, true);
        json_kv_str("category", th->category, true);
        json_kv_str("description", th->description, true);
        json_kv_str("assessment", lc_dicos_assessment_name(th->assessment), true);
        if (th->probability >= 0)
            json_kv_num("probability", th->probability, true);
        if (th->mass_g > 0)
            json_kv_num("mass_g", th->mass_g, true);
        if (th->density_g_cm3 > 0)
            json_kv_num("density_g_cm3", th->density_g_cm3, true);
        if (th->zeff > 0)
            json_kv_num("zeff", th->zeff, true);
        printf("\"boxes\":[");
        for (uint32_t b = 0; b < th->n_boxes; b++) {
            const lc_dicos_box *bx = &th->boxes[b];
            printf("%s{\"view\":%u,\"x0\":%.9g,\"y0\":%.9g,\"x1\":%.9g,\"y1\":%.9g}", b ? "," : "",
                   bx->view, bx->x0, bx->y0, bx->x1, bx->y1);
        }
        printf("]}");
    }
    printf("]}");
}

static void json_scan(const lc_scan *scan)
{
    const lc_scan_info *in = lc_scan_get_info(scan);
    putchar('{');
    json_kv_str("scan_id", in->scan_id, true);
    json_kv_str("study_uid", in->study_uid, true);
    json_kv_str("station_id", in->station_id, true);
    json_kv_str("manufacturer", in->manufacturer, true);
    json_kv_str("model", in->model, true);
    json_kv_str("detector", in->detector, true);
    json_kv_num("kvp", in->kvp, true);
    json_kv_num("tube_ma", in->tube_ma, true);
    json_kv_num("pixel_pitch_mm", in->pixel_pitch_mm, true);
    json_kv_num("line_period_s", in->line_period_s, true);
    json_kv_num("belt_speed_mm_s", in->belt_speed_mm_s, true);
    json_kv_num("acquired_unix_us", (double)in->acquired_unix_us, true);
    json_kv_num("bits_stored", in->bits_stored, true);
    json_kv_num("air_value", in->air_value, true);
    printf("\"views\":[");
    for (size_t v = 0; v < lc_scan_view_count(scan); v++) {
        const lc_view *view = lc_scan_view(scan, v);
        const lc_view_info *vi = lc_view_get_info(view);
        printf("%s{", v ? "," : "");
        json_kv_num("index", (double)v, true);
        json_kv_str("label", vi->label, true);
        json_kv_num("lines", lc_view_lines(view), true);
        json_kv_num("pixels", lc_view_pixels(view), true);
        printf("\"energies\":[\"high\",\"low\"],");
        json_kv_num("dark_lines", lc_view_ref_lines(view, LC_REF_DARK), true);
        json_kv_num("air_lines", lc_view_ref_lines(view, LC_REF_AIR), true);
        printf("\"source_mm\":[%.17g,%.17g,%.17g],", vi->source_mm[0], vi->source_mm[1],
               vi->source_mm[2]);
        json_kv_num("beam_angle_deg", vi->beam_angle_deg, true);
        json_kv_num("source_detector_mm", vi->source_detector_mm, false);
        putchar('}');
    }
    printf("]}");
}

/* ---- text output ----------------------------------------------------------- */

static void text_summary(const char *name, const lc_dicos_summary *s, const char *indent)
{
    printf("%s%s: %s", indent, name, s->sop_class_name);
    if (s->view >= 0)
        printf(", view %d%s%s%s", s->view, s->view_label[0] ? " \"" : "", s->view_label,
               s->view_label[0] ? "\"" : "");
    if (s->energy[0])
        printf(", %s energy", s->energy);
    if (s->rows && s->columns) {
        printf(", %u x %u", s->columns, s->rows);
        if (s->frames > 1)
            printf(" x %u frames", s->frames);
        printf(" (%s, %u bits", s->photometric, s->bits_allocated);
        if (s->bits_stored && s->bits_stored != s->bits_allocated)
            printf(", %u stored", s->bits_stored);
        printf(")");
    }
    if (s->kind == LC_DICOS_TDR)
        printf(", %zu threat objects, alarm %s", s->n_threats, s->alarm[0] ? s->alarm : "?");
    printf("\n");
}

static void text_file_details(const lc_dicos_summary *s)
{
    printf("  SOP class:        %s (%s)\n", s->sop_class_name, s->sop_class_uid);
    printf("  transfer syntax:  %s\n", s->transfer_syntax);
    printf("  SOP instance UID: %s\n", s->sop_instance_uid);
    printf("  study UID:        %s\n", s->study_uid);
    printf("  series UID:       %s\n", s->series_uid);
    if (s->scan_id[0])
        printf("  scan id:          %s\n", s->scan_id);
    if (s->station_id[0])
        printf("  station:          %s\n", s->station_id);
    if (s->manufacturer[0] || s->model[0])
        printf("  equipment:        %s %s\n", s->manufacturer, s->model);
    if (s->acquired[0])
        printf("  acquired:         %s\n", s->acquired);
    if (s->kvp > 0)
        printf("  kVp:              %g\n", s->kvp);
}

static void text_tdr(const char *name, const lc_dicos_tdr *t)
{
    printf("report %s: %s, alarm %s, %zu threat objects%s%s\n", name,
           lc_dicos_tdr_type_name(t->type), lc_dicos_alarm_name(t->alarm), t->n_threats,
           t->algorithm[0] ? ", by " : "", t->algorithm);
    for (size_t i = 0; i < t->n_threats; i++) {
        const lc_dicos_threat *th = &t->threats[i];
        printf("  #%u %s %s", th->id, th->category, lc_dicos_assessment_name(th->assessment));
        if (th->probability >= 0)
            printf(" p=%.3g", th->probability);
        if (th->description[0])
            printf(" \"%s\"", th->description);
        for (uint32_t b = 0; b < th->n_boxes; b++)
            printf(" view %u [%g,%g - %g,%g]", th->boxes[b].view, th->boxes[b].x0, th->boxes[b].y0,
                   th->boxes[b].x1, th->boxes[b].y1);
        printf("\n");
    }
}

static void text_scan(const lc_scan *scan)
{
    const lc_scan_info *in = lc_scan_get_info(scan);
    printf("scan %s (study %s)\n", in->scan_id[0] ? in->scan_id : "?", in->study_uid);
    if (in->station_id[0])
        printf("  station:     %s\n", in->station_id);
    if (in->manufacturer[0] || in->model[0])
        printf("  equipment:   %s %s\n", in->manufacturer, in->model);
    if (in->detector[0])
        printf("  detector:    %s\n", in->detector);
    if (in->acquired_unix_us) {
        time_t t = (time_t)(in->acquired_unix_us / 1000000);
        struct tm tm;
        char buf[64] = "?";
        if (gmtime_r(&t, &tm))
            strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
        printf("  acquired:    %s\n", buf);
    }
    printf("  tube:        %g kV, %g mA; pixel pitch %g mm, line period %g ms, belt %g mm/s, "
           "%d bits\n",
           in->kvp, in->tube_ma, in->pixel_pitch_mm, in->line_period_s * 1e3, in->belt_speed_mm_s,
           in->bits_stored ? in->bits_stored : 16);
    printf("  views:       %zu, energies high and low\n", lc_scan_view_count(scan));
    for (size_t v = 0; v < lc_scan_view_count(scan); v++) {
        const lc_view *view = lc_scan_view(scan, v);
        const lc_view_info *vi = lc_view_get_info(view);
        printf("    view %zu \"%s\": %u lines x %u pixels, dark %u / air %u reference lines, "
               "beam %g deg\n",
               v, vi->label, lc_view_lines(view), lc_view_pixels(view),
               lc_view_ref_lines(view, LC_REF_DARK), lc_view_ref_lines(view, LC_REF_AIR),
               vi->beam_angle_deg);
    }
}

/* ---- driver ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int info_file(const char *path, bool json)
{
    lc_error err;
    lc_dicos_file *f;
    if (lc_dicos_open(path, &f, &err) != LC_OK)
        return cli_fail("info", &err);
    lc_dicos_summary s;
    lc_dicos_file_summary(f, &s);
    tame_summary(&s);
    lc_dicos_tdr *t = NULL;
    if (s.kind == LC_DICOS_TDR && lc_dicos_read_tdr(path, &t, &err) != LC_OK) {
        lc_dicos_file_free(f);
        return cli_fail("info", &err);
    }
    if (t)
        tame_tdr(t);
    if (json) {
        printf("{\"path\":");
        json_str(path);
        printf(",\"kind\":\"file\",\"file\":");
        json_summary(&s);
        if (t) {
            printf(",\"report\":");
            json_tdr(t);
        }
        printf("}\n");
    } else {
        text_summary(path, &s, "");
        text_file_details(&s);
        if (t)
            text_tdr(path, t);
    }
    lc_dicos_tdr_free(t);
    lc_dicos_file_free(f);
    return CLI_OK;
}

static int info_folder(const char *dir, bool json)
{
    lc_error err;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "lucent info: %s: cannot open folder\n", dir);
        return CLI_BAD_INPUT;
    }
    char **names = calloc(MAX_FILES, sizeof *names);
    size_t n = 0;
    struct dirent *de;
    while (names && (de = readdir(d)) != NULL && n < MAX_FILES) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".dcs") == 0)
            names[n++] = strdup(de->d_name);
    }
    closedir(d);
    int rc = CLI_OK;
    lc_scan *scan = NULL;
    lc_dicos_summary *sums = NULL;
    lc_dicos_tdr **tdrs = NULL;
    if (!names || n == 0) {
        fprintf(stderr, "lucent info: %s: no .dcs files\n", dir);
        rc = CLI_BAD_INPUT;
        goto out;
    }
    qsort(names, n, sizeof *names, cmp_str);
    sums = calloc(n, sizeof *sums);
    tdrs = calloc(n, sizeof *tdrs);
    if (!sums || !tdrs) {
        fprintf(stderr, "lucent info: out of memory\n");
        rc = CLI_BAD_INPUT;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        lc_dicos_file *f;
        if (!names[i] || lc_dicos_open(path, &f, &err) != LC_OK) {
            rc = cli_fail("info", &err);
            goto out;
        }
        lc_dicos_file_summary(f, &sums[i]);
        tame_summary(&sums[i]);
        lc_dicos_file_free(f);
        if (sums[i].kind == LC_DICOS_TDR && lc_dicos_read_tdr(path, &tdrs[i], &err) != LC_OK) {
            rc = cli_fail("info", &err);
            goto out;
        }
        if (tdrs[i])
            tame_tdr(tdrs[i]);
    }
    lc_status st = lc_dicos_read_scan(dir, &scan, &err);
    if (st != LC_OK && st != LC_ERR_NOT_FOUND) {
        rc = cli_fail("info", &err);
        goto out;
    }
    if (scan)
        tame_scan(scan);
    if (json) {
        printf("{\"path\":");
        json_str(dir);
        printf(",\"kind\":\"folder\",\"scan\":");
        if (scan)
            json_scan(scan);
        else
            printf("null");
        printf(",\"files\":[");
        for (size_t i = 0; i < n; i++) {
            printf("%s{\"name\":", i ? "," : "");
            json_str(names[i]);
            printf(",\"summary\":");
            json_summary(&sums[i]);
            putchar('}');
        }
        printf("],\"reports\":[");
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            if (!tdrs[i])
                continue;
            printf("%s{\"name\":", first ? "" : ",");
            json_str(names[i]);
            printf(",\"report\":");
            json_tdr(tdrs[i]);
            putchar('}');
            first = false;
        }
        printf("]}\n");
    } else {
        if (scan)
            text_scan(scan);
        else
            printf("folder %s: no DX for processing files (not a lucent scan)\n", dir);
        printf("files:\n");
        for (size_t i = 0; i < n; i++)
            text_summary(names[i], &sums[i], "  ");
        for (size_t i = 0; i < n; i++)
            if (tdrs[i])
                text_tdr(names[i], tdrs[i]);
    }
out:
    lc_scan_free(scan);
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        if (tdrs)
            lc_dicos_tdr_free(tdrs[i]);
    }
    free(names);
    free(sums);
    free(tdrs);
    return rc;
}

static int run(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("info", "unknown option %s", argv[i]);
        else if (path)
            return cli_usage("info", "more than one PATH");
        else
            path = argv[i];
    }
    if (!path)
        return cli_usage("info", "PATH is required");
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "lucent info: %s: no such file or folder\n", path);
        return CLI_BAD_INPUT;
    }
    return S_ISDIR(sb.st_mode) ? info_folder(path, json) : info_file(path, json);
}

const cli_command cmd_info = {
    "info", "summarise a DICOS file or scan folder",
    "usage: lucent info PATH [--json]\n"
    "\n"
    "PATH is a .dcs file or a scan folder. Prints the SOP class of each file,\n"
    "the scan's metadata (scan id, study UID, station, equipment, kVp, geometry),\n"
    "its views with their energies and sizes, and the threat objects of every\n"
    "threat detection report (TDR). Files of other DICOS writers (DX, CT, TDR;\n"
    "explicit or implicit VR little endian) are summarised too.\n"
    "\n"
    "  --json   one JSON object on stdout instead of text\n"
    "\n"
    "exit codes: 0 ok, 1 unreadable or malformed input (the file and reason are\n"
    "named on stderr), 2 usage.\n",
    run};
