/* verdict-unit-t.c: compare's verdict machinery (compare.h): McNemar's exact
 * test and the Clopper-Pearson interval it inverts agree on every table (the
 * interval excludes 0 exactly when p < alpha), p at a test's floor prints as
 * "≤ floor", and the verdict words follow the test, the BH adjustment and the
 * floor ("cannot be significant (n=…, min p …)"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare/compare.h"
#include "metrics/stats.h"
#include "tap.h"

static void exact_values(void)
{
    struct bb_cmp c = {0};
    bb_compare_mcnemar(0, 5, 20, 0.05, &c);
    is_double(0.0625, c.p_value, 1e-12, "5 of 5 discordant: exact p 0.0625");
    is_double(0.0625, c.p_floor, 1e-12, "... floor 2^(1-5)");
    /* Clopper-Pearson lower bound of 5/5: 0.025^(1/5); the difference is (5/20)(2 pi - 1) */
    is_double(0.25 * (2 * pow(0.025, 0.2) - 1), c.ci_low, 1e-9, "... CI low from Clopper-Pearson");
    is_double(0.25, c.ci_high, 1e-12, "... CI high: every discordant pair favours B");
    ok(c.ci_low < 0, "... and the interval contains 0 (p > 0.05)");
    bb_compare_mcnemar(0, 6, 20, 0.05, &c);
    is_double(0.03125, c.p_value, 1e-12, "6 of 6: p 0.03125");
    ok(c.ci_low > 0, "... its interval excludes 0");
    bb_compare_mcnemar(0, 0, 20, 0.05, &c);
    ok(c.p_value == 1 && c.ci_low == 0 && c.ci_high == 0 && isnan(c.p_floor),
       "no discordant pair: p 1, CI [0, 0], no floor (not 'cannot be significant')");
}

static void agree_everywhere(void)
{
    size_t bad = 0, tables = 0, p_differs = 0;
    for (size_t d = 1; d <= 60; d++)
        for (size_t c = 0; c <= d; c++) {
            struct bb_cmp x = {0};
            bb_compare_mcnemar(d - c, c, 100, 0.05, &x);
            bool excl = x.ci_low > 0 || x.ci_high < 0;
            bad += excl != (x.p_value < 0.05);
            tables++;
            if (d < BB_MCNEMAR_EXACT_BELOW) {
                struct bb_test_result t;
                bb_stats_mcnemar(d - c, c, &t, NULL, NULL);
                p_differs += fabs(t.p_value - x.p_value) > 1e-12;
            }
        }
    is_int(0, (long long)bad, "interval excludes 0 <=> p < 0.05 on all %zu tables (d <= 60)",
           tables);
    is_int(0, (long long)p_differs, "exact p equals stats' exact McNemar below 25 discordant");
}

static void p_texts(void)
{
    char b[32];
    is_string("≤ 1e-4", bb_cmp_p_text(1e-4, 1e-4, b, sizeof b), "p at a 1e-4 floor");
    is_string("≤ 0.002", bb_cmp_p_text(2.0 / 1001, 2.0 / 1001, b, sizeof b),
              "p at the floor of 1000 bootstrap replicates");
    is_string("0.0312", bb_cmp_p_text(0.03125, 2.0 / 1001, b, sizeof b), "p above its floor");
    is_string("2.5e-7", bb_cmp_p_text(2.5e-7, NAN, b, sizeof b), "a small exact p");
    is_string("-", bb_cmp_p_text(NAN, NAN, b, sizeof b), "no p");
    is_string("< 1e-300", bb_cmp_p_text(0, NAN, b, sizeof b), "an exact p that underflowed to 0");
}

static void verdicts(void)
{
    struct bb_result_row a = {.higher_is_better = BB_DIR_HIGHER};
    struct bb_cmp c = {.a = &a, .b = &a, .method = BB_CMP_BOOTSTRAP, .diff = -2, .ci_low = -3,
                       .ci_high = -1, .p_value = 0.01, .p_adj = 0.01, .ci_excludes_0 = true,
                       .significant = true};
    char v[160];
    is_string("B worse", bb_cmp_verdict(&c, 0.05, v, sizeof v), "a lower accuracy, CI below 0");
    c.significant = false, c.p_adj = 0.08;
    is_string("not significant after BH (p_BH 0.08 >= 0.05)", bb_cmp_verdict(&c, 0.05, v, sizeof v),
              "CI excludes 0 but BH does not keep it: said so, never 'no significant change'");
    c.ci_excludes_0 = false, c.ci_high = 0.5;
    is_string("no significant change", bb_cmp_verdict(&c, 0.05, v, sizeof v), "CI contains 0");
    c.cannot_reach = true, c.n_floor = 5, c.p_floor = 0.0625;
    is_string("cannot be significant (n=5, min p 0.0625)", bb_cmp_verdict(&c, 0.05, v, sizeof v),
              "5 sets: flagged with its n and smallest p");
    c.method = BB_CMP_CI_OVERLAP, c.cannot_reach = false, c.significant = true;
    is_string("B worse (CIs apart)", bb_cmp_verdict(&c, 0.05, v, sizeof v),
              "the unpaired method says which decided");
}

int main(void)
{
    plan_lazy();
    exact_values();
    agree_everywhere();
    p_texts();
    verdicts();
    return tap_failures() != 0;
}
