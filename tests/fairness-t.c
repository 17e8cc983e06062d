/* fairness-t.c: unit tests of src/metrics/fairness on hand-made label
 * arrays: selection rates, impact ratios with a small group, demographic
 * parity, equalized odds, scoring rates, the z/Fisher rule, bad input. */
#include <math.h>
#include <stdlib.h>

#include "metrics/fairness.h"
#include "tap.h"

/* 100 items: group 0 has 50 (30 selected), group 1 has 49 (24 selected),
 * group 2 has 1 (selected): 1% of the data, so "small". */
static void make_hiring(int *group, int *pred)
{
    int i = 0;
    for (int k = 0; k < 50; k++, i++)
        group[i] = 0, pred[i] = k < 30;
    for (int k = 0; k < 49; k++, i++)
        group[i] = 1, pred[i] = k < 24;
    group[i] = 2, pred[i] = 1;
}

static void test_selection_rates(void)
{
    int group[100], pred[100];
    make_hiring(group, pred);
    struct bb_group_rate r[4];
    enum bb_status st = bb_fairness_selection_rates(group, pred, 100, 4, r, NULL);
    is_int(BB_OK, st, "selection rates: OK");
    ok(r[0].n == 50 && r[0].selected == 30 && r[1].n == 49 && r[1].selected == 24 && r[2].n == 1,
       "selection rates: counts per group");
    is_double(0.6, r[0].rate, 1e-15, "SR_0 = 30/50");
    is_double(24.0 / 49.0, r[1].rate, 1e-15, "SR_1 = 24/49");
    is_double(1.0, r[2].rate, 0, "SR_2 = 1/1 (small group still listed with its rate)");
    ok(r[2].small && !r[0].small && !r[1].small, "group 2 (1%% of items) flagged small, others not");
    ok(r[0].reference && !r[1].reference && !r[2].reference,
       "reference = highest rate among groups in the IR (group 0, not small group 2)");
    is_double(1.0, r[0].impact_ratio, 0, "IR_0 = 1.00");
    is_double((24.0 / 49.0) / 0.6, r[1].impact_ratio, 1e-15, "IR_1 = (24/49)/0.6 = 0.8163");
    ok(isnan(r[2].impact_ratio), "IR of the small group is NaN (left out of the IR computation)");
    ok(r[3].n == 0 && isnan(r[3].rate) && isnan(r[3].impact_ratio) && r[3].test == BB_RATE_TEST_NONE,
       "empty group 3: n 0, NaN rate and IR, no test");

    is_int(BB_RATE_TEST_Z, r[1].test, "group 1 vs 0 (n 49, 50 >= 30): z-test");
    is_double(0.2708879809064292, r[1].p_value, 1e-12, "group 1 vs 0: z-test p (scipy/numpy value)");
    is_int(BB_RATE_TEST_FISHER, r[2].test, "group 2 vs 0 (n 1 < 30): Fisher");
    is_double(1.0, r[2].p_value, 1e-12, "group 2 vs 0: Fisher p = 1");
    ok(r[0].test == BB_RATE_TEST_NONE && isnan(r[0].p_value), "reference group has no test");
    ok(r[0].ci_low < 0.6 && r[0].ci_high > 0.6, "Wilson CI around SR_0");

    struct bb_parity dp;
    bb_fairness_demographic_parity(r, 4, &dp, NULL);
    is_double(1.0 - 24.0 / 49.0, dp.difference, 1e-15, "demographic parity difference = 1 - 24/49");
    is_double(24.0 / 49.0, dp.ratio, 1e-15, "demographic parity ratio = (24/49)/1");
}

static void test_equalized_odds(void)
{
    /* g0: labels 1 1 1 1 0 0 0 0, preds 1 1 1 0 1 0 0 0 -> TPR 3/4, FPR 1/4
     * g1: labels 1 1 0 0 0 0,     preds 1 0 1 1 1 0     -> TPR 1/2, FPR 3/4 */
    int group[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    int label[] = {1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0};
    int pred[] = {1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0};
    struct bb_eq_odds eo;
    double tpr[2], fpr[2];
    enum bb_status st = bb_fairness_equalized_odds(group, pred, label, 14, 2, &eo, tpr, fpr, NULL);
    is_int(BB_OK, st, "equalized odds: OK");
    ok(tpr[0] == 0.75 && tpr[1] == 0.5 && fpr[0] == 0.25 && fpr[1] == 0.75,
       "per-group TPR (3/4, 1/2) and FPR (1/4, 3/4)");
    is_double(0.25, eo.tpr_difference, 1e-15, "TPR difference 0.25");
    is_double(0.5, eo.fpr_difference, 1e-15, "FPR difference 0.5");
    is_double(0.5, eo.difference, 1e-15, "equalized odds difference = max(0.25, 0.5)");
    is_double(1.0 / 3.0, eo.ratio, 1e-15, "equalized odds ratio = min(2/3, 1/3)");

    /* A group without positives has no TPR; it is left out of the TPR gap. */
    int g2[] = {0, 0, 1, 1}, l2[] = {1, 0, 0, 0}, p2[] = {1, 0, 1, 0};
    bb_fairness_equalized_odds(g2, p2, l2, 4, 2, &eo, tpr, fpr, NULL);
    ok(isnan(tpr[1]) && eo.tpr_difference == 0 && eo.fpr_difference == 0.5,
       "group without positives: TPR NaN, skipped in the TPR gap");
    struct bb_error err = {0};
    int l3[] = {0, 0, 0, 0};
    is_int(BB_E_INPUT, bb_fairness_equalized_odds(g2, p2, l3, 4, 2, &eo, NULL, NULL, &err),
           "equalized odds with no positive label anywhere is BB_E_INPUT");
}

static void test_scoring_rates(void)
{
    /* Median of {1,3,5,2,3} is 3; strictly above: 5 only. g0 = {1,3,5}, g1 = {2,3}. */
    int group[] = {0, 0, 0, 1, 1};
    double score[] = {1, 3, 5, 2, 3};
    struct bb_group_rate r[2];
    bb_fairness_scoring_rates(group, score, 5, 2, r, NULL);
    is_double(1.0 / 3.0, r[0].rate, 1e-15, "scoring rate g0 = 1/3 (strictly above the median 3)");
    is_double(0.0, r[1].rate, 0, "scoring rate g1 = 0");
    is_double(0.0, r[1].impact_ratio, 0, "scoring IR g1 = 0");
    ok(r[0].reference, "scoring reference is g0");
    double bad[] = {1, NAN, 5, 2, 3};
    is_int(BB_E_INPUT, bb_fairness_scoring_rates(group, bad, 5, 2, r, NULL), "NaN score rejected");
}

static void test_rules_and_errors(void)
{
    enum bb_rate_test_method m;
    double p;
    bb_fairness_rate_test(15, 30, 5, 30, &m, &p, NULL);
    is_int(BB_RATE_TEST_Z, m, "rate test n 30/30: z-test");
    bb_fairness_rate_test(3, 4, 1, 4, &m, &p, NULL);
    is_int(BB_RATE_TEST_FISHER, m, "rate test n 4/4: Fisher");
    is_double(0.4857142857142857, p, 1e-12, "rate test 3/4 vs 1/4 = Fisher tea tasting 0.4857");
    bb_fairness_rate_test(10, 29, 5, 40, &m, &p, NULL);
    is_int(BB_RATE_TEST_FISHER, m, "rate test with one group n 29: Fisher");

    int group[] = {0, 1, 2}, pred[] = {1, 0, 1};
    struct bb_group_rate r[2];
    struct bb_error err = {0};
    is_int(BB_E_INPUT, bb_fairness_selection_rates(group, pred, 3, 2, r, &err), "group id out of range rejected");
    contains(err.msg, "item 2", "group error names the item");
    int g_ok[] = {0, 1, 1}, p_bad[] = {1, 2, 0};
    is_int(BB_E_INPUT, bb_fairness_selection_rates(g_ok, p_bad, 3, 2, r, &err), "prediction 2 rejected");
    contains(err.msg, "prediction must be 0 or 1", "prediction error says what was expected");
    is_int(BB_E_INPUT, bb_fairness_selection_rates(g_ok, pred, 0, 2, r, NULL), "no items rejected");

    /* Every group small (60 groups of 1 of 60 items): none is left out. */
    int gg[60], pp[60];
    for (int i = 0; i < 60; i++)
        gg[i] = i, pp[i] = i % 2;
    struct bb_group_rate *many = malloc(60 * sizeof *many);
    bb_fairness_selection_rates(gg, pp, 60, 60, many, NULL);
    ok(many[0].small && many[0].impact_ratio == 0 && many[1].impact_ratio == 1,
       "all groups small: IR computed over all of them");
    free(many);
}

int main(void)
{
    plan_lazy();
    test_selection_rates();
    test_equalized_odds();
    test_scoring_rates();
    test_rules_and_errors();
    return tap_failures() ? 1 : 0;
}
