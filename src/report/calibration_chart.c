/* calibration_chart.c: the calibration paragraph and reliability diagram of
 * every classification task (zero-shot, BBQ, multiple choice, linear probe)
 * in section 6 of the report, after the task's own tables. The ECE comes
 * from the task's `ece` row (group all); the diagram's 10 equal-width bins
 * are recomputed from the per-item file's confidence and correctness
 * columns (metrics/classify.h), the same bins the ece row summarises. A run
 * without an ece row (made before calibration was measured) gets nothing; a
 * run whose per-item file lacks the columns gets a sentence saying so. */
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/classify.h"
#include "report/report_view.h"

#define N_BINS 10

/* ---- the two columns of the per-item file -------------------------------------------------- */

struct calib_read {
    const char *want[2];
    int col[2], at;
    bool header_done;
    double v[2];
    double *conf, *correct; /* (n) */
    size_t n, cap;
    bool oom;
};

static void cell(void *s, size_t len, void *data)
{
    struct calib_read *r = data;
    for (int k = 0; k < 2; k++) {
        if (!r->header_done && strlen(r->want[k]) == len && !memcmp(s, r->want[k], len))
            r->col[k] = r->at;
        if (r->header_done && r->at == r->col[k]) {
            char buf[64], *end;
            snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), (const char *)s);
            r->v[k] = strtod(buf, &end);
            if (end == buf || *end)
                r->v[k] = NAN;
        }
    }
    r->at++;
}

static void row_end(int c, void *data)
{
    struct calib_read *r = data;
    (void)c;
    if (r->header_done && !isnan(r->v[0]) && !isnan(r->v[1]) && !r->oom) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 1024;
            double *a = realloc(r->conf, cap * sizeof *a);
            double *b = a ? realloc(r->correct, cap * sizeof *b) : NULL;
            if (a)
                r->conf = a;
            if (b)
                r->correct = b;
            r->oom = !a || !b;
            r->cap = r->oom ? r->cap : cap;
        }
        if (!r->oom) {
            r->conf[r->n] = r->v[0];
            r->correct[r->n++] = r->v[1];
        }
    }
    r->header_done = true;
    r->at = 0;
    r->v[0] = r->v[1] = NAN;
}

/* Read the (confidence, correct) pairs of path; false when the file or a column is missing. */
static bool read_pairs(const char *path, struct calib_read *r)
{
    FILE *f = fopen(path, "rb");
    struct csv_parser p;
    char buf[65536];
    size_t got;
    r->col[0] = r->col[1] = -1;
    r->v[0] = r->v[1] = NAN;
    if (!f)
        return false;
    if (csv_init(&p, CSV_APPEND_NULL) == 0) {
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            if (csv_parse(&p, buf, got, cell, row_end, r) != got)
                break;
        csv_fini(&p, cell, row_end, r);
        csv_free(&p);
    }
    fclose(f);
    return r->col[0] >= 0 && r->col[1] >= 0;
}

/* ---- the section ---------------------------------------------------------------------------- */

static const struct bb_result_row *ece_row(const struct bb_rep *R, const char *task,
                                           const char *model)
{
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *r = &R->res->rows[i];
        if (!strcmp(r->task, task) && !strcmp(r->model, model) && !strcmp(r->metric, "ece") &&
            !strcmp(r->group, "all"))
            return r;
    }
    return NULL;
}

static enum bb_status draw(struct bb_rep *R, const char *task, const char *model,
                           const struct calib_read *rd, struct bb_error *err)
{
    struct bb_class_bin bins[N_BINS];
    long count[N_BINS];
    double conf[N_BINS], acc[N_BINS];
    char name[600], title[700];
    bb_class_reliability(rd->conf, rd->correct, NULL, rd->n, N_BINS, bins);
    for (int b = 0; b < N_BINS; b++)
        count[b] = bins[b].count, conf[b] = bins[b].conf, acc[b] = bins[b].acc;
    bb_plot_name(name, sizeof name, "calibration", task, model);
    snprintf(title, sizeof title, "%s, %s: reliability diagram (%zu items, 10 bins)", task, model,
             rd->n);
    enum bb_status st = bb_plot_chart_reliability(&R->plot, name, title,
                                                  "confidence (probability of the prediction)",
                                                  N_BINS, count, conf, acc, err);
    if (!st)
        bb_rep_chart_ref(R, name, title);
    return st;
}

enum bb_status bb_rep_calibration(struct bb_rep *R, const char *task, const char *model,
                                  struct bb_error *err)
{
    /* which per-item columns hold the confidence and correctness: the type's view row */
    const struct bb_report_task_view *v = bb_rep_task_view(R, task);
    const struct bb_report_task_view *cc = v && v->calib.conf ? v : NULL;
    const struct bb_result_row *e = cc ? ece_row(R, task, model) : NULL;
    if (!e)
        return BB_OK;
    char t[256], m[256], path[4800];
    bb_plot_name(t, sizeof t, task, NULL, NULL);
    bb_plot_name(m, sizeof m, model, NULL, NULL);
    snprintf(path, sizeof path, "%s/items/%s__%s.csv", R->run_dir, t, m);
    bb_doc_p(&R->doc, "Calibration: ECE = %s (95%% CI %s; 10 equal-width confidence bins, "
             "sum over bins of the bin's share of items x |accuracy - mean confidence|; 0 = "
             "confidence matches accuracy). Confidence: %s.", bb_rep_num(R, e->value),
             bb_rep_ci(R, e->ci_low, e->ci_high), cc->calib.what);
    struct calib_read rd = {.want = {cc->calib.conf, cc->calib.correct}};
    enum bb_status st = BB_OK;
    if (!read_pairs(path, &rd) || rd.oom || !rd.n)
        bb_doc_p(&R->doc, "No reliability diagram: items/%s__%s.csv %s.", t, m,
                 rd.oom ? "is too large to read into memory"
                        : "was not found or has no confidence and correctness columns");
    else
        st = draw(R, task, model, &rd, err);
    free(rd.conf);
    free(rd.correct);
    return st;
}
