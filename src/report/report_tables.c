/* report_tables.c: section 6 of the audit report (quantitative analyses): one
 * subsection per task x model, handed to the task type's tables (report_encoder.c,
 * report_lm.c) through its row of the task-type view table (report_view.h), and the
 * helpers those tables share (report_tables.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_view.h"

bool bb_rep_in_sel(const struct bb_rep *R, const struct sel *S, size_t i)
{
    return !strcmp(ROW(i)->task, S->task) && !strcmp(ROW(i)->model, S->model);
}

long bb_rep_find(const struct bb_rep *R, const struct sel *S, const char *group, const char *metric)
{
    for (size_t k = 0; k < S->n; k++) {
        const struct bb_result_row *r = ROW(S->idx[k]);
        if (!strcmp(r->group, group) && !strcmp(r->metric, metric))
            return (long)S->idx[k];
    }
    return -1;
}

const char *bb_rep_sig_word(const struct bb_rep *R, double p, double adj)
{
    if (isnan(p))
        return "—";
    if (!isnan(adj) && adj < R->alpha)
        return "yes, after correction";
    return p < R->alpha ? "raw p only" : "no";
}

int bb_rep_sig_level(const struct bb_rep *R, double p, double adj)
{
    return isnan(p) ? 0 : (!isnan(adj) && adj < R->alpha) ? 2 : p < R->alpha ? 1 : 0;
}

void bb_rep_chart_ref(struct bb_rep *R, const char *name, const char *caption)
{
    char png[4400], rel_png[400], rel_svg[400];
    if (!bb_plot_available(&R->plot))
        return; /* said once, in section 6's introduction */
    snprintf(rel_png, sizeof rel_png, "charts/%s.png", name);
    snprintf(rel_svg, sizeof rel_svg, "charts/%s.svg", name);
    if (bb_plot_png(&R->plot, name, png, sizeof png))
        bb_doc_chart(&R->doc, rel_png, rel_svg, png, caption);
    else
        bb_doc_p(&R->doc, "(chart %s not drawn: gnuplot failed on charts/%s.gp)", name, name);
}

/* Every row of S not shown yet, as one table. */
void bb_rep_rest_table(struct bb_rep *R, struct sel *S, const char *title)
{
    size_t left = 0;
    for (size_t k = 0; k < S->n; k++)
        left += !S->used[S->idx[k]] && !R->aux[S->idx[k]];
    if (!left)
        return;
    static const char *const head[] = {"group", "metric", "n", "value", "95% CI", "p (raw)",
                                       "p (adjusted)", "significant"};
    bb_doc_p(&R->doc, "%s:", title);
    bb_doc_table(&R->doc, 8, head, "llrrrrrl");
    for (size_t k = 0; k < S->n; k++) {
        size_t i = S->idx[k];
        if (S->used[i] || R->aux[i])
            continue;
        const struct bb_result_row *r = ROW(i);
        char metric[300];
        snprintf(metric, sizeof metric, "%s%s", r->metric, bb_rep_arrow(r->higher_is_better));
        const char *sig = strncmp(r->metric, "max_", 4) ? bb_rep_sig_word(R, r->p_value, R->adj[i])
                                                        : "as its pair's row";
        const char *cells[8] = {bb_rep_label(r), metric, bb_rep_long(R, r->n),
                                bb_rep_num(R, r->value), bb_rep_ci(R, r->ci_low, r->ci_high),
                                bb_rep_p(R, r->p_value), bb_rep_p(R, R->adj[i]), sig};
        bb_doc_row(&R->doc, 8, cells);
        S->used[i] = 1;
    }
    bb_doc_table_end(&R->doc);
}


bool bb_rep_is_group(const char *g)
{
    return strchr(g, '=') != NULL;
}

const char *bb_rep_val_ci(struct bb_rep *R, double v, double lo, double hi, char *buf, size_t n)
{
    if (isnan(lo) || isnan(hi))
        snprintf(buf, n, "%s", bb_rep_num(R, v));
    else
        snprintf(buf, n, "%s %s", bb_rep_num(R, v), bb_rep_ci(R, lo, hi));
    return buf;
}

void bb_rep_safe(char *out, size_t n, const char *id)
{
    bb_plot_name(out, n, id, NULL, NULL);
}


/* ---- section 6 ------------------------------------------------------------------------- */

static enum bb_status one_task_model(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    int type = bb_rep_task_type(R, S->task);
    char anchor[300];
    bb_rep_anchor(anchor, sizeof anchor, "t", S->task, S->model);
    bb_doc_h(&R->doc, 3, anchor, "Task %s (%s), model %s", S->task,
             type >= 0 ? bb_suite_task_type_name((enum bb_suite_task_type)type) : "unknown type",
             S->model);
    const struct bb_report_task_view *v = bb_rep_view(type);
    return v ? v->section(R, S, err) : bb_rep_do_rest(R, S, err);
}

/* A task type without tables of its own: every row in one table. */
enum bb_status bb_rep_do_rest(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    (void)err;
    bb_rep_rest_table(R, S, "Results");
    return BB_OK;
}

enum bb_status bb_rep_section_analyses(struct bb_rep *R, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    struct sel S = {0};
    bb_doc_h(&R->doc, 2, "quantitative-analyses", "6. Quantitative analyses");
    if (!bb_plot_available(&R->plot))
        bb_doc_lead(&R->doc, "Charts not drawn: gnuplot not found.",
                    "Each chart's gnuplot script and data are in charts/ (NAME.gp, NAME.dat); "
                    "install gnuplot and run: cd charts && gnuplot -e \"fmt='png'\" NAME.gp");
    if (!R->res->n) {
        bb_doc_p(&R->doc, "No results: no task produced rows in this run (see the skipped list "
                 "in section 9).");
        return BB_OK;
    }
    S.idx = malloc(R->res->n * sizeof *S.idx);
    S.used = calloc(R->res->n, 1);
    if (!S.idx || !S.used) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for the analyses");
        goto done;
    }
    bb_doc_p(&R->doc, "Per task and model. Groups are never dropped: small cells are shown and "
             "flagged. Significance: raw p and %s-adjusted p at alpha = %g.",
             bb_suite_correction_name(R->correction), R->alpha);
    for (size_t t = 0; t < R->n_tasks && !st; t++)
        for (size_t m = 0; m < R->n_models && !st; m++) {
            S.task = R->tasks[t], S.model = R->models[m], S.n = 0;
            for (size_t i = 0; i < R->res->n; i++)
                if (bb_rep_in_sel(R, &S, i))
                    S.idx[S.n++] = i;
            if (S.n)
                st = one_task_model(R, &S, err);
            if (S.n && !st)
                st = bb_rep_calibration(R, S.task, S.model, err);
        }
done:
    free(S.idx), free(S.used);
    return st;
}

