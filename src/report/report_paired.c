/* report_paired.c: section 7's "Paired tests between models": the first model
 * of the run against each other one, tested on the per-item files by the same
 * code and options as `biasbench compare RUN --models A,B` (compare.h), so the
 * report and compare reach the same verdicts, shown beside the interval of
 * the test that made them. Every task type is included, the likelihood tasks
 * too. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare/compare.h"
#include "report/report_tables.h"

/* One comparison's table: a row per metric compare matched. */
static void paired_table(struct bb_rep *R, const struct bb_comparison *c)
{
    static const char *const head[] = {"task", "dataset", "group", "metric", "A", "B", "B − A",
                                       "CI of B − A", "p (two-sided)", "p (BH)", "test",
                                       "verdict"};
    bb_doc_table(&R->doc, 12, head, "llllrrrrrrll");
    for (size_t i = 0; i < c->n; i++) {
        const struct bb_cmp *x = &c->v[i];
        char p[32], pa[32], v[160], d[32];
        snprintf(d, sizeof d, "%+.4g", x->diff);
        const char *cells[12] = {x->a->task, x->a->dataset, bb_rep_label(x->a), x->a->metric,
                                 bb_rep_num(R, x->a->value), bb_rep_num(R, x->b->value), d,
                                 bb_rep_ci(R, x->ci_low, x->ci_high),
                                 bb_cmp_p_text(x->p_value, x->p_floor, p, sizeof p),
                                 bb_cmp_p_text(x->p_adj, x->p_floor, pa, sizeof pa),
                                 bb_cmp_method_name(x->method),
                                 bb_cmp_verdict(x, c->alpha, v, sizeof v)};
        bb_doc_row(&R->doc, 12, cells);
    }
    bb_doc_table_end(&R->doc);
}

static void count_verdicts(const struct bb_comparison *c, size_t *sig, size_t *cannot)
{
    *sig = *cannot = 0;
    for (size_t i = 0; i < c->n; i++) {
        *sig += c->v[i].significant;
        *cannot += c->v[i].cannot_reach;
    }
}

/* Model 0 (A) against model m (B). A run that cannot be read back is an error
 * naming what failed: the section is not silently left out. */
static enum bb_status one_pair(struct bb_rep *R, struct bb_rundata *run, size_t m,
                               struct bb_error *err)
{
    struct bb_cmp_opts o = bb_cmp_opts_default();
    o.alpha = R->alpha;
    o.model_a = R->models[0], o.model_b = R->models[m];
    struct bb_comparison c;
    enum bb_status st = bb_compare_runs(run, run, &o, &c, err);
    if (st) {
        bb_error_prefix(err, "report: section 7, paired tests %s vs %s", o.model_a, o.model_b);
        return st;
    }
    size_t sig, cannot;
    count_verdicts(&c, &sig, &cannot);
    bb_doc_p(&R->doc,
             "A = %s, B = %s: %zu metrics compared, %zu differ significantly, %zu "
             "cannot be significant with their n. The same verdicts as biasbench compare RUN "
             "--models %s,%s --alpha %g.",
             o.model_a, o.model_b, c.n, sig, cannot, o.model_a, o.model_b, R->alpha);
    if (c.n)
        paired_table(R, &c);
    bb_comparison_free(&c);
    return BB_OK;
}

enum bb_status bb_rep_section_paired(struct bb_rep *R, struct bb_error *err)
{
    if (R->n_models < 2)
        return BB_OK;
    bb_doc_h(&R->doc, 3, "paired-tests", "Paired tests between models");
    bb_doc_p(&R->doc, "Each model against the first on the same items, every task type "
             "included (likelihood tasks too). Every test is two-sided; the verdict comes from "
             "the test whose interval is shown: McNemar's exact test with the Clopper-Pearson "
             "interval it inverts for accuracies, the paired bootstrap's percentile interval "
             "(different when it excludes 0) for the rest, then Benjamini-Hochberg across the "
             "metrics of the comparison (alpha %g). Without per-item data a row is judged by "
             "whether the two CIs overlap (unpaired), and says so. A test that cannot reach "
             "alpha with its n is flagged, not reported as 'no significant change'.",
             R->alpha);
    /* the run as compare sees it, over the rows the report shows (results.csv
       may not be written yet) and the per-item files of its folder */
    struct bb_rundata run = {.dir = (char *)R->run_dir, .results = *R->res};
    enum bb_status st = BB_OK;
    for (size_t m = 1; m < R->n_models && !st; m++)
        st = one_pair(R, &run, m, err);
    run.dir = NULL, run.results = (struct bb_results){0}; /* borrowed, not freed */
    bb_rundata_free(&run);
    return st;
}
