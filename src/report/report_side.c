/* report_side.c: section 7's side tables: every model side by side per
 * task, and the significance tiles and rate heatmaps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_view.h"

/* ---- section 7: models side by side -------------------------------------------------- */

/* Which rows of a task the side-by-side table shows (the row of its type in the view
   table names one of these; a type without one shows every row). */
bool bb_rep_side_latency(const struct bb_rep *R, size_t i)
{
    const struct bb_result_row *r = ROW(i);
    return !strcmp(r->group, "all") || !strcmp(r->metric, "latency_p50_ms") ||
           !strcmp(r->metric, "items_per_s");
}

bool bb_rep_side_overall(const struct bb_rep *R, size_t i)
{
    return !strcmp(ROW(i)->group, "all");
}

bool bb_rep_side_zeroshot(const struct bb_rep *R, size_t i)
{
    return !strcmp(ROW(i)->group, "all") || !strcmp(ROW(i)->metric, "f1");
}

bool bb_rep_side_association(const struct bb_rep *R, size_t i)
{
    return strcmp(ROW(i)->metric, "abs_effect_size") != 0;
}

bool bb_rep_side_counterfactual(const struct bb_rep *R, size_t i)
{
    return !bb_rep_is_rate(ROW(i)->metric);
}

/* Is row i shown in the side-by-side table of its task (view v, may be NULL)? */
static bool side_row(const struct bb_rep *R, const struct bb_report_task_view *v, size_t i)
{
    return !R->aux[i] && (!v || !v->side_row || v->side_row(R, i));
}

static bool same_key(const struct bb_result_row *a, const struct bb_result_row *b)
{
    return !strcmp(a->metric, b->metric) && !strcmp(bb_rep_label(a), bb_rep_label(b));
}

/* One table per task: a line per metric (and group or test), a column per model. */
enum bb_status bb_rep_side_by_side(struct bb_rep *R, struct bb_error *err)
{
    size_t nm = R->n_models, n = R->res->n;
    size_t *key = malloc((n ? n : 1) * sizeof *key);
    const char **head = calloc(nm + 2, sizeof *head), **cells = calloc(nm + 2, sizeof *cells);
    char *buf = malloc((nm + 2) * 200), *align = malloc(nm + 3);
    if (!key || !head || !cells || !buf || !align) {
        free(key), free(head), free(cells), free(buf), free(align);
        return bb_fail(err, BB_E_NOMEM, "out of memory for the side-by-side tables");
    }
    bb_doc_h(&R->doc, 3, "side-by-side", "Models side by side");
    bb_doc_p(&R->doc, "Per task, each model's value with its 95%% CI (\"—\": not computed). "
             "Arrows give the better direction; rows without one have an ideal value (section 4).");
    head[0] = "metric", head[1] = "group or test";
    memset(align, 'r', nm + 2);
    align[0] = align[1] = 'l', align[nm + 2] = 0;
    for (size_t m = 0; m < nm; m++)
        head[m + 2] = R->models[m];
    for (size_t t = 0; t < R->n_tasks; t++) {
        int type = bb_rep_task_type(R, R->tasks[t]);
        const struct bb_report_task_view *v = bb_rep_view(type);
        size_t nk = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(ROW(i)->task, R->tasks[t]) || !side_row(R, v, i))
                continue;
            size_t j = 0;
            while (j < nk && !same_key(ROW(key[j]), ROW(i)))
                j++;
            if (j == nk)
                key[nk++] = i;
        }
        if (!nk)
            continue;
        bb_doc_p(&R->doc, "Task %s (%s):", R->tasks[t],
                 type >= 0 ? bb_suite_task_type_name((enum bb_suite_task_type)type)
                           : "unknown type");
        bb_doc_table(&R->doc, nm + 2, head, align);
        for (size_t j = 0; j < nk; j++) {
            const struct bb_result_row *k = ROW(key[j]);
            snprintf(buf, 200, "%s%s", k->metric, bb_rep_arrow(k->higher_is_better));
            cells[0] = buf, cells[1] = bb_rep_label(k);
            for (size_t m = 0; m < nm; m++) {
                char *c = buf + (m + 1) * 200;
                snprintf(c, 200, "—");
                for (size_t i = 0; i < n; i++) {
                    const struct bb_result_row *r = ROW(i);
                    if (!strcmp(r->task, R->tasks[t]) && !strcmp(r->model, R->models[m]) &&
                        !R->aux[i] && same_key(r, k)) {
                        bb_rep_val_ci(R, r->value, r->ci_low, r->ci_high, c, 200);
                        break;
                    }
                }
                cells[m + 2] = c;
            }
            bb_doc_row(&R->doc, nm + 2, cells);
        }
        bb_doc_table_end(&R->doc);
    }
    free(key), free(head), free(cells), free(buf), free(align);
    return BB_OK;
}

/* ---- section 7: significance tiles and rate heatmaps ------------------------------------ */

/* Distinct labels (first-seen order) of the rows of task whose metric passes keep. */
static size_t labels_of(const struct bb_rep *R, const char *task, bool (*keep)(const char *),
                        const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *r = ROW(i);
        if (strcmp(r->task, task) || !keep(r->metric) || (R->aux && R->aux[i]))
            continue;
        if (bb_rep_is_rate(r->metric) && !bb_rep_is_group(r->group))
            continue;
        size_t j = 0;
        while (j < n && strcmp(out[j], bb_rep_label(r)))
            j++;
        if (j == n)
            out[n++] = bb_rep_label(r);
    }
    return n;
}

static bool is_effect(const char *m) { return !strcmp(m, "effect_size"); }

/* Model x SEAT/WEAT test tiles (rows: tests, columns: models), or model x
 * group rates; grid_kind 0: significance, 1: rate. */
enum bb_status bb_rep_grid_chart(struct bb_rep *R, const char *task, int grid_kind,
                                 struct bb_error *err)
{
    size_t nm = R->n_models, n = R->res->n;
    const char **lab = calloc(n ? n : 1, sizeof *lab);
    enum bb_status st = BB_OK;
    if (!lab)
        return bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
    size_t ny = labels_of(R, task, grid_kind ? bb_rep_is_rate : is_effect, lab);
    double *lev = ny ? malloc(ny * nm * sizeof *lev) : NULL;
    char *txt = ny ? calloc(ny * nm, 64) : NULL;
    const char **tp = ny ? calloc(ny * nm, sizeof *tp) : NULL;
    const char *rate_metric = "selection_rate";
    if (!ny)
        goto done;
    if (!lev || !txt || !tp) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
        goto done;
    }
    /* only the models with rows for this task (a model the task skipped is no column) */
    const char *xm[64];
    size_t nx = 0;
    for (size_t m = 0; m < nm && nx < 64; m++) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = !strcmp(ROW(i)->task, task) && !strcmp(ROW(i)->model, R->models[m]);
        if (any)
            xm[nx++] = R->models[m];
    }
    nm = nx;
    for (size_t j = 0; j < ny * nm; j++)
        lev[j] = NAN, tp[j] = txt + 64 * j;
    for (size_t i = 0; i < n; i++) {
        const struct bb_result_row *r = ROW(i);
        if (strcmp(r->task, task) || R->aux[i] ||
            !(grid_kind ? bb_rep_is_rate(r->metric) && bb_rep_is_group(r->group)
                        : is_effect(r->metric)))
            continue;
        size_t y = 0, m = 0;
        while (y < ny && strcmp(lab[y], bb_rep_label(r)))
            y++;
        while (m < nm && strcmp(xm[m], r->model))
            m++;
        if (y == ny || m == nm || !isnan(lev[y * nm + m]))
            continue;
        char *t = txt + 64 * (y * nm + m);
        if (grid_kind) {
            rate_metric = r->metric;
            lev[y * nm + m] = r->value;
            snprintf(t, 64, "%.3f\nn=%ld", r->value, r->n);
        } else {
            lev[y * nm + m] = bb_rep_sig_level(R, r->p_value, R->adj[i]);
            snprintf(t, 64, "d=%.2f\np=%s", r->value, bb_rep_p(R, r->p_value));
        }
    }
    char name[600], title[700], lv2[200];
    snprintf(lv2, sizeof lv2, "significant after %s correction",
             bb_suite_correction_name(R->correction));
    bb_plot_name(name, sizeof name, grid_kind ? "rates" : "sigtiles", task, NULL);
    if (grid_kind)
        snprintf(title, sizeof title, "%s: %s per group and model (cell: rate, n)", task,
                 !strcmp(rate_metric, "scoring_rate") ? "scoring rate" : "selection rate");
    else
        snprintf(title, sizeof title, "%s: significance per test and model at alpha %g (cell: "
                 "effect size d, raw one-sided permutation p)", task, R->alpha);
    char (*yplain)[96] = grid_kind ? NULL : calloc(ny, sizeof *yplain);
    const char **yn = grid_kind ? NULL : calloc(ny, sizeof *yn);
    if (!grid_kind && (!yplain || !yn)) {
        free(yplain), free(yn);
        st = bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
        goto done;
    }
    for (size_t y = 0; !grid_kind && y < ny; y++)
        yn[y] = bb_rep_test_name(lab[y], yplain[y], sizeof yplain[y]);
    struct bb_plot_grid g = {.title = title, .xlabel = "model",
                             .ylabel = grid_kind ? "group" : "association test",
                             .cblabel = !strcmp(rate_metric, "scoring_rate")
                                            ? "scoring rate (share above the overall median)"
                                            : "selection rate (share predicted positive)",
                             .nx = nm, .ny = ny, .xnames = xm, .ynames = grid_kind ? lab : yn,
                             .level = lev, .text = tp, .n_levels = grid_kind ? 0 : 3,
                             .level_names = {"not significant", "significant (raw p only)", lv2},
                             .lo = 0, .hi = 1};
    if (!(st = bb_plot_chart_grid(&R->plot, name, &g, err)))
        bb_rep_chart_ref(R, name, title);
    free(yplain), free(yn);
done:
    free(lab), free(lev), free(txt), free(tp);
    return st;
}

