/* robustness.c: robustness results (robustness.h): the paired differences
 * between a task's clean and perturbed reruns, appended to the results as
 * "delta:<id>" rows, and the report's robustness section with its chart. */
#include "report/robustness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "report/report_int.h"
#include "suite/perturb.h"

/* ---- paired differences (called by the runner) ------------------------------------ */

static bool same_cell(const struct bb_result_row *a, const struct bb_result_row *b)
{
    return !strcmp(a->task, b->task) && !strcmp(a->dataset, b->dataset) &&
           !strcmp(a->model, b->model) && !strcmp(a->variant, b->variant) &&
           !strcmp(a->group, b->group) && !strcmp(a->metric, b->metric);
}

/* The delta row of clean row c and perturbed row p, tested on run rd's items. */
static enum bb_status delta_row(struct bb_rundata *rd, const struct bb_result_row *c,
                                const struct bb_result_row *p, const struct bb_cmp_opts *o,
                                struct bb_results *out, struct bb_error *err)
{
    struct bb_cmp cmp = {.ci_low = NAN, .ci_high = NAN, .p_value = NAN};
    enum bb_status st = o->replicates > 0 ? bb_compare_pair(rd, c, rd, p, o, &cmp, err) : BB_OK;
    if (st) /* defaults.bootstrap 0: no CIs anywhere, so none here either */
        return st;
    char pert[300];
    snprintf(pert, sizeof pert, "delta:%s", p->perturbation);
    struct bb_result_row d = *p;
    d.value = p->value - c->value;
    d.ci_low = cmp.ci_low, d.ci_high = cmp.ci_high;
    d.p_value = cmp.p_value;
    d.p_adjusted = NAN, d.adjust_method = NULL;
    d.n = cmp.n_paired > 0 ? cmp.n_paired : p->n;
    d.perturbation = pert;
    return bb_results_add(out, &d, err);
}

enum bb_status bb_robustness_deltas(const char *run_dir, struct bb_results *res, size_t clean_from,
                                    size_t clean_to, size_t pert_from, size_t pert_to,
                                    uint64_t seed, int replicates, struct bb_error *err)
{
    struct bb_rundata rd = {.dir = strdup(run_dir)};
    struct bb_results add = {0};
    struct bb_cmp_opts o = bb_cmp_opts_default();
    o.seed = seed, o.replicates = replicates;
    enum bb_status st = rd.dir ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t i = pert_from; i < pert_to && !st; i++) {
        const struct bb_result_row *p = &res->rows[i];
        if (p->kind == BB_KIND_TIMING || p->higher_is_better == BB_DIR_NONE)
            continue; /* timings, counts and confusion cells: no "worse" to measure */
        for (size_t k = clean_from; k < clean_to; k++)
            if (same_cell(&res->rows[k], p)) {
                st = delta_row(&rd, &res->rows[k], p, &o, &add, err);
                break;
            }
    }
    for (size_t i = 0; i < add.n && !st; i++) /* res->rows moves as it grows: append last */
        st = bb_results_add(res, &add.rows[i], err);
    bb_results_free(&add);
    bb_rundata_free(&rd);
    return st;
}

/* ---- the report section ----------------------------------------------------------------- */

/* A delta row's perturbation id ("delta:<id>" -> "<id>"), or NULL. */
static const char *delta_of(const struct bb_result_row *r)
{
    return r->perturbation && !strncmp(r->perturbation, "delta:", 6) ? r->perturbation + 6 : NULL;
}

/* The row of res matching r's cell with perturbation pert ("" clean), or NULL. */
static const struct bb_result_row *partner(const struct bb_results *res,
                                           const struct bb_result_row *r, const char *pert)
{
    for (size_t i = 0; i < res->n; i++)
        if (same_cell(&res->rows[i], r) && res->rows[i].perturbation &&
            !strcmp(res->rows[i].perturbation, pert))
            return &res->rows[i];
    return NULL;
}

/* "typo, rate 0.05" from the suite, or the id alone. */
static const char *describe_pert(const struct bb_rep *R, const char *id, char *buf, size_t n)
{
    const struct bb_suite_perturb *pb = R->suite ? &R->suite->perturb : NULL;
    snprintf(buf, n, "%s", id);
    for (size_t k = 0; pb && k < pb->n; k++)
        if (!strcmp(pb->v[k].id, id) && pb->v[k].kind >= 0)
            snprintf(buf, n, "%s (%s, rate %g)", id, bb_perturb_kind_names[pb->v[k].kind],
                     pb->v[k].rate);
    return buf;
}

/* One table row per overall ("all") delta row. */
static size_t delta_table(struct bb_rep *R, const struct bb_results *all)
{
    static const char *const head[] = {"task",
                                       "model",
                                       "perturbation",
                                       "metric",
                                       "clean [95% CI]",
                                       "perturbed [95% CI]",
                                       "difference [95% CI]",
                                       "p",
                                       "n"};
    size_t shown = 0;
    bb_doc_table(&R->doc, 9, head, "lllllllrr");
    for (size_t i = 0; i < all->n; i++) {
        const struct bb_result_row *d = &all->rows[i], *c, *p;
        const char *id = delta_of(d);
        if (!id || strcmp(d->group, "all") || !(c = partner(all, d, "")) ||
            !(p = partner(all, d, id)))
            continue;
        char pert[200], cl[200], pe[200], df[200];
        snprintf(cl, sizeof cl, "%s %s", bb_rep_num(R, c->value),
                 bb_rep_ci(R, c->ci_low, c->ci_high));
        snprintf(pe, sizeof pe, "%s %s", bb_rep_num(R, p->value),
                 bb_rep_ci(R, p->ci_low, p->ci_high));
        snprintf(df, sizeof df, "%s %s", bb_rep_num(R, d->value),
                 bb_rep_ci(R, d->ci_low, d->ci_high));
        const char *cells[] = {d->task,
                               d->model,
                               describe_pert(R, id, pert, sizeof pert),
                               d->metric,
                               cl,
                               pe,
                               df,
                               bb_rep_p(R, d->p_value),
                               bb_rep_long(R, d->n)};
        bb_doc_row(&R->doc, 9, cells);
        shown++;
    }
    bb_doc_table_end(&R->doc);
    return shown;
}

/* The chart: each overall delta as a percentage of its clean score. */
static enum bb_status delta_chart(struct bb_rep *R, const struct bb_results *all, size_t n,
                                  struct bb_error *err)
{
    const char **lab = calloc(n ? n : 1, sizeof *lab);
    char(*text)[160] = calloc(n ? n : 1, sizeof *text);
    double *v = calloc(3 * (n ? n : 1), sizeof *v);
    enum bb_status st = BB_OK;
    size_t k = 0;
    if (!lab || !text || !v)
        st = bb_fail(err, BB_E_NOMEM, "out of memory for the robustness chart");
    for (size_t i = 0; i < all->n && !st && k < n; i++) {
        const struct bb_result_row *d = &all->rows[i], *c;
        const char *id = delta_of(d);
        if (!id || strcmp(d->group, "all") || !(c = partner(all, d, "")) || !partner(all, d, id))
            continue;
        double scale = fabs(c->value) > 0 ? 100 / fabs(c->value) : NAN;
        snprintf(text[k], sizeof text[k], "%s / %s / %s / %s", d->task, d->model, id, d->metric);
        lab[k] = text[k];
        v[k] = d->value * scale, v[n + k] = d->ci_low * scale, v[2 * n + k] = d->ci_high * scale;
        k++;
    }
    if (!st && k) {
        char title[300];
        snprintf(title, sizeof title,
                 "Robustness: change under perturbation (%% of the clean "
                 "score)");
        st = bb_plot_chart_diverging(&R->plot, "robustness", title,
                                     "perturbed - clean, in % of the clean score (95% CI of the "
                                     "paired difference, same scale)",
                                     k, lab, v, v + n, v + 2 * n, "worse when higher is better",
                                     "better when higher is better", err);
        if (!st && bb_plot_available(&R->plot)) {
            char png[4400];
            if (bb_plot_png(&R->plot, "robustness", png, sizeof png))
                bb_doc_chart(&R->doc, "charts/robustness.png", "charts/robustness.svg", png, title);
        }
    }
    free(lab), free(text), free(v);
    return st;
}

enum bb_status bb_report_robustness(struct bb_rep *R, const struct bb_results *all,
                                    struct bb_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < all->n; i++)
        n += delta_of(&all->rows[i]) && !strcmp(all->rows[i].group, "all");
    bb_doc_h(&R->doc, 3, "robustness", "Robustness to perturbed input");
    if (!n) {
        bb_doc_p(&R->doc, "Not measured: the suite has no perturb: key (docs/suite-format.md), "
                          "so no task was rerun on perturbed text.");
        return BB_OK;
    }
    bb_doc_p(&R->doc,
             "Each task listed was run again on its own items with the text perturbed "
             "(the same perturbed text for every model; labels and gold scores untouched). "
             "Difference = perturbed - clean on the same items, with a paired test over items "
             "(paired bootstrap; McNemar for accuracy). Per-group rows are in results.csv "
             "(column perturbation: \"<id>\" and \"delta:<id>\").");
    size_t shown = delta_table(R, all);
    return delta_chart(R, all, shown, err);
}
