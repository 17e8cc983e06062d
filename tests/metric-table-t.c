/* metric-table-t.c: the metric registry (src/metrics/table.c): every row is
 * well formed and unique, lookups, the ideal gate uses, compare's paired
 * test, and the task type a set of metric names identifies (what the report
 * falls back to for a run without suite or manifest). */
#include <math.h>
#include <string.h>

#include "metrics/table.h"
#include "suite/suite.h"
#include "tap.h"

static void test_rows(void)
{
    size_t n;
    const struct bb_metric_info *t = bb_metric_table(&n);
    ok(n >= 50, "the table has every metric (%zu rows)", n);
    size_t bad = 0, dup = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bb_metric_info *m = &t[i];
        if (!m->name || !*m->name || !m->definition || !*m->definition || !m->ideal_text ||
            !m->unit || !m->threshold || !m->ci || !m->tasks ||
            (m->tasks >> BB_SUITE_N_TASK_TYPES) ||
            (m->kind == BB_KIND_TIMING) != (m->tasks == 1u << BB_TASK_LATENCY) ||
            (m->dir == BB_DIR_NONE && m->kind == BB_KIND_QUALITY && isfinite(m->ideal)))
            bad++, diag("ill-formed row: %s", m->name ? m->name : "(null)");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t[j].name, m->name))
                dup++, diag("listed twice: %s", m->name);
        if (bb_metric_find(m->name) != m)
            bad++;
    }
    is_int(0, (long long)bad,
           "every row has a name, definition, texts, task types; timing rows "
           "are latency's and only they");
    is_int(0, (long long)dup, "no metric is listed twice");
}

static void test_lookups(void)
{
    ok(bb_metric_find("no_such_metric") == NULL, "an unknown metric is not found");
    ok(bb_metric_find(NULL) == NULL, "NULL is not found");
    is_double(50, bb_metric_ideal("pct_stereotype"), 0, "ideal of pct_stereotype is 50");
    is_double(50, bb_metric_ideal("ss"), 0, "ideal of ss is 50");
    is_double(0, bb_metric_ideal("effect_size"), 0, "ideal of effect_size is 0");
    is_double(0, bb_metric_ideal("mean_score"), 0, "no ideal on file: 0");
    is_double(0, bb_metric_ideal("no_such_metric"), 0, "unknown metric: 0");
    const struct bb_metric_info *m = bb_metric_find("impact_ratio");
    ok(m && m->dir == BB_DIR_HIGHER && m->kind == BB_KIND_BIAS && m->ideal == 1,
       "impact_ratio: bias, higher is better, ideal 1");
    is_int(BB_TEST_WEAT, bb_metric_test_of("mean_abs_effect_size"), "WEAT metrics: WEAT test");
    is_int(BB_TEST_MCNEMAR, bb_metric_test_of("accuracy"), "accuracy: McNemar");
    is_int(BB_TEST_GAP, bb_metric_test_of("max_abs_score_gap"), "gaps: over sets");
    is_int(BB_TEST_CORR, bb_metric_test_of("spearman"), "correlations: paired bootstrap");
    is_int(BB_TEST_NONE, bb_metric_test_of("latency_p50_ms"), "timings: no paired test");
    is_int(BB_TEST_NONE, bb_metric_test_of("no_such_metric"), "unknown: no paired test");
}

static void test_task_type(void)
{
    const char *zs[] = {"accuracy", "macro_f1", "precision", "skipped_rows"};
    const char *choice[] = {"accuracy", "acc_norm", "ece"};
    const char *bbq[] = {"accuracy", "acc_norm", "s_amb", "n_no_target"};
    const char *acc[] = {"accuracy"};
    const char *cf[] = {"mean_score", "impact_ratio", "score_gap", "something_new"};
    const char *lat[] = {"latency_p50_ms", "model_load_s"};
    const char *mixed[] = {"spearman", "pct_stereotype"};
    const char *unknown[] = {"something_new"};
    is_int(BB_TASK_ZERO_SHOT, bb_metric_task_type(zs, 4), "zero-shot metrics");
    is_int(BB_TASK_CHOICE, bb_metric_task_type(choice, 3), "multiple-choice metrics");
    is_int(BB_TASK_BBQ, bb_metric_task_type(bbq, 4), "BBQ metrics");
    is_int(-1, bb_metric_task_type(acc, 1), "accuracy alone: several types fit");
    is_int(BB_TASK_COUNTERFACTUAL, bb_metric_task_type(cf, 4),
           "counterfactual metrics (an unknown name is ignored)");
    is_int(BB_TASK_LATENCY, bb_metric_task_type(lat, 2), "latency metrics");
    is_int(-1, bb_metric_task_type(mixed, 2), "no type emits both");
    is_int(-1, bb_metric_task_type(unknown, 1), "only unknown names");
    is_int(-1, bb_metric_task_type(NULL, 0), "no names");
}

int main(void)
{
    plan_lazy();
    test_rows();
    test_lookups();
    test_task_type();
    return tap_failures() != 0;
}
