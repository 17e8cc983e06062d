/* results-t.c: results.csv, written and read by one module
 * (src/metrics/results.c): a run written before p_adjusted/adjust_method
 * were columns (tests/data/oldrun, from the default suite) reads with its
 * adjusted-p rows folded into the rows they adjust and its small_group rows
 * into the small_group column of their group's rows; a file written now reads
 * back the same, with the registry's unit as its last column (a file
 * without that column, like the old run, still reads); a file that is not a
 * results.csv is refused with its missing column named. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/results.h"
#include "tap.h"

static const struct bb_result_row *find(const struct bb_results *r, const char *task,
                                        const char *dataset, const char *group, const char *metric)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->rows[i].task, task) && !strcmp(r->rows[i].dataset, dataset) &&
            !strcmp(r->rows[i].group, group) && !strcmp(r->rows[i].metric, metric))
            return &r->rows[i];
    return NULL;
}

static size_t count_old_rows(const struct bb_results *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        const char *m = r->rows[i].metric;
        size_t len = strlen(m);
        k += !strcmp(m, "p_holm") || !strcmp(m, "p_bh") || !strcmp(m, "small_group") ||
             (len > 7 && !strcmp(m + len - 7, "_p_holm")) ||
             (len > 5 && !strcmp(m + len - 5, "_p_bh"));
    }
    return k;
}

static void check_folded(const struct bb_results *r, const char *what)
{
    is_int(133, (long long)r->n, "%s: 160 rows less the 19 adjusted-p and 8 small_group rows",
           what);
    is_int(0, (long long)count_old_rows(r),
           "%s: no <metric>_p_holm, p_holm or small_group row left", what);
    size_t flagged = 0, cf = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct bb_result_row *q = &r->rows[i];
        bool group_row = !strcmp(q->metric, "mean_score") || !strcmp(q->metric, "selection_rate") ||
                         !strcmp(q->metric, "impact_ratio");
        cf += group_row;
        flagged += group_row ? q->small_group == BB_SMALL_NO : q->small_group != BB_SMALL_UNSET;
    }
    is_int(24, (long long)cf, "%s: 8 counterfactual groups x mean_score, selection_rate, IR", what);
    is_int(24, (long long)flagged,
           "%s: ... each with small_group 0 from its group's row, every other row without", what);
    const struct bb_result_row *g =
        find(r, "cf-sentiment", "cf-templates", "gender=male vs gender=female", "score_gap");
    ok(g && !strcmp(g->adjust_method, "holm"), "%s: score_gap: adjust_method holm", what);
    is_double(0.00390625, g ? g->p_adjusted : NAN, 1e-12, "%s: score_gap: its Holm p", what);
    const struct bb_result_row *ir =
        find(r, "cf-sentiment", "cf-templates", "race=black", "impact_ratio");
    is_double(1, ir ? ir->p_adjusted : NAN, 0, "%s: impact_ratio: its Holm p", what);
    const struct bb_result_row *e =
        find(r, "seat", "sent-heilman_double_bind_likable_one_word", "all", "effect_size");
    const struct bb_result_row *a =
        find(r, "seat", "sent-heilman_double_bind_likable_one_word", "all", "abs_effect_size");
    is_double(1, e ? e->p_adjusted : NAN, 0, "%s: effect_size: the test's p_holm", what);
    is_double(1, a ? a->p_adjusted : NAN, 0, "%s: abs_effect_size: the same", what);
    const struct bb_result_row *m = find(r, "seat", "", "all", "mean_abs_effect_size");
    ok(m && isnan(m->p_adjusted) && !*m->adjust_method,
       "%s: a row without a p-value gets no adjusted p", what);
    const struct bb_result_row *c = find(r, "crows-pairs", "crows-pairs", "all", "pct_stereotype");
    ok(c && !isnan(c->p_value) && isnan(c->p_adjusted),
       "%s: a p-value the task did not adjust stays unadjusted", what);
}

int main(void)
{
    plan_lazy();
    struct bb_error err = {0};
    struct bb_results old = {0}, back = {0}, none = {0};
    const char *path = test_src_path("tests/data/oldrun/results.csv");
    if (bb_results_read_csv(path, &old, &err))
        bail("%s", err.msg);
    check_folded(&old, "old run");

    char out[4096];
    snprintf(out, sizeof out, "%s/results.csv", test_tmp_dir());
    is_int(BB_OK, bb_results_write_csv(&old, out, &err), "written in the new format");
    char *text = test_slurp(out, NULL);
    contains(text,
             "n,p_value,p_adjusted,adjust_method,small_group,perturbation,higher_is_better,kind,"
             "unit\n",
             "new header, small_group after the adjusted p, perturbation before the last three, "
             "unit last");
    contains(text, "\"score_gap\",0.02084472177", "a score_gap row");
    contains(text, ",0.00048828125,0.00390625,\"holm\",,,,bias,\"score\"\n",
             "... with its adjusted p and method as columns beside its p, its unit last");
    contains(text, "\"pct_stereotype\",", "a pct_stereotype row");
    ok(strstr(text, ",true,quality,\"0-1\"\n") != NULL, "an accuracy-like share's unit is 0-1");
    contains(text, "\"race=black\",\"impact_ratio\",", "an impact_ratio row");
    ok(strstr(text, ",480,0.8464476351,1,\"holm\",0,,true,bias,\"ratio\"\n") != NULL,
       "... with small_group 0 after adjust_method");
    ok(strstr(text, ",bias,\"d\"\n") != NULL, "an effect size's unit is d");
    ok(strstr(text, ",timing,\"ms\"\n") != NULL, "a latency's unit is ms");
    free(text);
    is_int(BB_OK, bb_results_read_csv(out, &back, &err), "read back");
    check_folded(&back, "new format");

    FILE *f = fopen(out, "w");
    fputs("suite,task,metric\nx,y,z\n", f);
    fclose(f);
    is_int(BB_E_INPUT, bb_results_read_csv(out, &none, &err), "not a results.csv: refused");
    contains(err.msg, "column 'dataset' is missing", "... naming the missing column");
    /* found by the rundata fuzz harness: an n too large for a long was cast (UB) */
    f = fopen(out, "w");
    fputs("suite,task,dataset,model,variant,group,metric,value,ci_low,ci_high,n,p_value,"
          "higher_is_better,kind\ns,t,d,m,f32,all,accuracy,0.5,,,3.33333e49,,true,quality\n", f);
    /* (a header without unit, as before the column: read, then refused for n) */
    fclose(f);
    struct bb_results huge = {0};
    is_int(BB_E_INPUT, bb_results_read_csv(out, &huge, &err), "n of 3.3e49: refused");
    contains(err.msg, "column 'n': 3.33333e+49 is not a whole count", "... naming the column");
    bb_results_free(&huge);
    /* the small_group column: 1 reads as small, anything but 0, 1 or empty is refused */
    const char *head = "suite,task,dataset,model,variant,group,metric,value,ci_low,ci_high,n,"
                       "p_value,p_adjusted,adjust_method,small_group,perturbation,"
                       "higher_is_better,kind,unit\n";
    struct bb_results flag = {0}, bad = {0};
    f = fopen(out, "w");
    fprintf(f, "%ss,cf,d,m,f32,g=a,mean_score,0.5,,,3,,,,1,,,bias,score\n"
               "s,cf,d,m,f32,all,max_abs_score_gap,0.1,,,3,,,,,,false,bias,score\n", head);
    fclose(f);
    is_int(BB_OK, bb_results_read_csv(out, &flag, &err), "a small_group of 1 read");
    ok(flag.n == 2 && flag.rows[0].small_group == BB_SMALL_YES &&
           flag.rows[1].small_group == BB_SMALL_UNSET,
       "... as small; an empty cell as no flag");
    f = fopen(out, "w");
    fprintf(f, "%ss,cf,d,m,f32,g=a,mean_score,0.5,,,3,,,,yes,,,bias,score\n", head);
    fclose(f);
    is_int(BB_E_INPUT, bb_results_read_csv(out, &bad, &err), "a small_group of 'yes': refused");
    contains(err.msg, ":2: column 'small_group': expected 0, 1 or empty, found 'yes'",
             "... naming the line, the column and the value");
    bb_results_free(&flag);
    bb_results_free(&bad);
    bb_results_free(&old);
    bb_results_free(&back);
    bb_results_free(&none);
    return tap_failures() != 0;
}
