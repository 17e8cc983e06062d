/* fairness.h: group fairness metrics on predictions (Fairlearn definitions)
 * and the impact-ratio table of ../shared/REPORT.md "Definitions".
 * Pure functions over arrays; no I/O.
 *
 * Items carry a group id in [0, n_groups), a binary prediction (0/1:
 * "selected" / assigned the outcome) and, for equalized odds, a binary true
 * label. A group with no items is listed with n = 0 and NaN rates and takes
 * no part in differences, ratios or the impact-ratio maximum.
 *
 *   selection rate  SR_g = selected_g / n_g
 *   demographic parity difference = max_g SR_g - min_g SR_g; ratio = min / max
 *   TPR_g = P(pred = 1 | label = 1, g), FPR_g = P(pred = 1 | label = 0, g)
 *   equalized odds difference = max(TPR max-min, FPR max-min)
 *   equalized odds ratio      = min(TPR min/max, FPR min/max)
 *     (a group without positives has TPR NaN, without negatives FPR NaN; NaN
 *     rates are left out of that max/min. Fairlearn's sklearn-based rates
 *     would count them as 0 instead.)
 *   impact ratio IR_g = SR_g / max_h SR_h, the max over groups that are not
 *     small; a small group (n_g < 2% of all items, LL144 §5-301(d)) is still
 *     listed with n, rate and CI but gets IR = NaN and small = true. If every
 *     non-empty group is small, none is left out.
 *   scoring rate (continuous scores, LL144): the share of g scoring strictly
 *     above the median (numpy's) of the whole sample; IR then as above.
 *   rate test, each non-empty group (small ones too) against the reference
 *     group (the highest rate among those in the IR, lowest id on ties):
 *     two-proportion z-test when both groups have n >= 30, Fisher's exact
 *     test otherwise (REPORT.md: "every cell" read as every group). Raw p;
 *     adjust with bb_stats_holm / bb_stats_bh over the listed p-values. */
#ifndef BB_METRICS_FAIRNESS_H
#define BB_METRICS_FAIRNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

#define BB_FAIRNESS_SMALL_SHARE 0.02 /* groups below 2% of the data are "small" */
#define BB_FAIRNESS_ZTEST_MIN_N 30   /* z-test when both groups have n >= this */

enum bb_rate_test_method { BB_RATE_TEST_NONE, BB_RATE_TEST_Z, BB_RATE_TEST_FISHER };

struct bb_group_rate {
    int group;
    size_t n, selected;
    double rate;          /* selected / n; NaN when n == 0 */
    double ci_low, ci_high; /* 95% Wilson interval; NaN when n == 0 */
    double impact_ratio;  /* NaN when small, empty or the max rate is 0 */
    bool small;           /* n < 2% of all items */
    bool reference;       /* the group the IR and the test compare against */
    enum bb_rate_test_method test; /* NONE for the reference and empty groups */
    double p_value;       /* raw two-sided p against the reference; NaN when no test */
};

/* Per-group selection rates, impact ratios and tests into out[0..n_groups).
 * group[i] outside [0, n_groups), pred[i] not 0/1, or n == 0: BB_E_INPUT
 * naming the item. */
enum bb_status bb_fairness_selection_rates(const int *group, const int *pred, size_t n,
                                           int n_groups, struct bb_group_rate *out,
                                           struct bb_error *err);

/* Same table for continuous scores: "selected" = score > median of all
 * scores (the LL144 scoring rate). NaN scores: BB_E_INPUT. */
enum bb_status bb_fairness_scoring_rates(const int *group, const double *score, size_t n,
                                         int n_groups, struct bb_group_rate *out,
                                         struct bb_error *err);

struct bb_parity {
    double difference; /* max - min over non-empty groups (0 with one group) */
    double ratio;      /* min / max; NaN when max is 0 */
};
/* Demographic parity from the rates of a table filled above. Fewer than one
 * non-empty group: BB_E_INPUT. */
enum bb_status bb_fairness_demographic_parity(const struct bb_group_rate *rates, int n_groups,
                                              struct bb_parity *out, struct bb_error *err);

struct bb_eq_odds {
    double difference, ratio;     /* see the header comment */
    double tpr_difference, fpr_difference;
    double tpr_ratio, fpr_ratio;
};
/* Equalized odds from predictions and true labels (both 0/1). tpr and fpr
 * (optional, n_groups entries each) receive the per-group rates. No group
 * with a defined TPR and FPR: BB_E_INPUT. */
enum bb_status bb_fairness_equalized_odds(const int *group, const int *pred, const int *label,
                                          size_t n, int n_groups, struct bb_eq_odds *out,
                                          double *tpr, double *fpr, struct bb_error *err);

/* The REPORT.md rule for comparing two rates: z-test when n1, n2 >= 30,
 * Fisher otherwise. */
enum bb_status bb_fairness_rate_test(size_t k1, size_t n1, size_t k2, size_t n2,
                                     enum bb_rate_test_method *method, double *p_value,
                                     struct bb_error *err);

#endif
