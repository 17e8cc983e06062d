/* bias.h: the model-free parts of the bias tasks (association.c,
 * counterfactual.c), factored out so that tests check them on hand-made
 * numbers and on golden embeddings without loading a model.
 *
 * Association (WEAT/SEAT): bb_assoc_run takes the four embedding sets of one
 * test and returns the effect size (ddof = 1), the one-sided permutation
 * p-value (exact or sampled as DESIGN.md decides; weat.h), a percentile
 * bootstrap CI of the effect size and s(w, A, B) of every target.
 *
 * Counterfactual: items are sentences with a model score, a counterfactual
 * set id (sentences that differ only in the group term share one), an
 * optional binary prediction and an optional binary gold label. A grouping
 * (one factor such as gender, or an intersection such as gender&race) gives
 * every item a group id, or -1 when the item has no value for it.
 * bb_cf_analyze computes, for one grouping:
 *   - per group: n, mean score with a percentile bootstrap CI over the
 *     group's items; selection rate (pred = 1, or for continuous scores the
 *     LL144 scoring rate: score above the median of all items), Wilson CI,
 *     impact ratio against the highest-rate group that is not small, and the
 *     two-proportion z-test / Fisher test of fairness.h; small groups (< 2%)
 *     are flagged, never dropped;
 *   - every pair of groups (a < b): the paired gap mean_a - mean_b over the
 *     counterfactual sets that hold both groups: per set
 *       d_s = mean score of a's items in s - mean score of b's items in s,
 *     gap = mean_s d_s, a percentile bootstrap CI resampling sets, and a
 *     two-sided sign-flip permutation p-value on the d_s: exact over all 2^m
 *     sign vectors when 2^m <= budget (the identity counted), else
 *     (1 + #{samples with |mean| >= observed}) / (1 + budget) with seeded
 *     random signs; ">=" with slack 1e-12 * sum |d_s|;
 *   - the pair with the largest |gap|;
 *   - demographic parity difference and ratio (bootstrap CIs over items) and,
 *     when gold labels exist, the equalized-odds difference and ratio
 *     (Fairlearn definitions, fairness.h; difference with a bootstrap CI).
 * Raw p-values only: bb_bias_adjust applies the suite's correction over a
 * family the caller chooses (all gaps of a task, all impact-ratio tests of a
 * task, all association tests of a task). */
#ifndef BB_METRICS_BIAS_H
#define BB_METRICS_BIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/fairness.h"
#include "metrics/stats.h"
#include "metrics/weat.h"
#include "core/status.h"
#include "suite/suite.h"

/* ---- multiple comparisons ------------------------------------------------- */

/* Adjusted p-values of p[0..m) by the suite's correction (holm, bh; none
 * copies). NaN entries are left out of the family and stay NaN. */
enum bb_status bb_bias_adjust(const double *p, size_t m, enum bb_suite_correction c, double *adj,
                              struct bb_error *err);

/* ---- association ---------------------------------------------------------- */

struct bb_assoc_opts {
    uint64_t budget;               /* permutation budget (exact when C(nx+ny, nx) <= budget) */
    uint64_t perm_seed;            /* for the sampled p-value */
    struct bb_bootstrap_opts boot; /* replicates 0: no CI */
};

struct bb_assoc_result {
    struct bb_weat_result w;       /* effect size, statistic, p, exact or not */
    double ci_low, ci_high;        /* NaN when no CI */
    double *s;                     /* (nx + ny): s(w, A, B) of X then Y; malloc'd */
    double *mean_cos;              /* (nx + ny, 2): mean cos to A, to B per target */
    struct bb_weat_cos cos;        /* the cosine table, kept for per-pair output */
};

enum bb_status bb_assoc_run(const struct bb_weat_sets *sets, const struct bb_assoc_opts *opt,
                            struct bb_assoc_result *out, struct bb_error *err);
void bb_assoc_result_free(struct bb_assoc_result *r);

/* ---- counterfactual --------------------------------------------------------- */

struct bb_cf_grouping {
    const char *name;          /* "gender", "gender&race" */
    int n_groups;
    const char *const *group_names; /* n_groups: "gender=female", "gender=female&race=black" */
    const int *gid;            /* per item: group in [0, n_groups) or -1 */
};

struct bb_cf_input {
    size_t n;
    const double *score;       /* (n) */
    const size_t *set_id;      /* (n), each < n_sets */
    size_t n_sets;
    const int *pred;           /* (n) 0/1, or NULL: scoring rate from the scores */
    const int *label;          /* (n) 0/1 or -1 (no gold label), or NULL: none */
};

struct bb_cf_opts {
    struct bb_bootstrap_opts boot; /* replicates 0: no CIs */
    uint64_t budget;           /* sign-flip permutations (exact when 2^m <= budget) */
    uint64_t perm_seed;
};

struct bb_cf_group_stat {
    size_t n;
    double mean, ci_low, ci_high;  /* score */
    struct bb_group_rate rate;     /* selection / scoring rate, IR, test (fairness.h) */
};

struct bb_cf_gap {
    int a, b;                      /* group ids, a < b */
    size_t n_sets;                 /* sets holding both groups */
    double gap, ci_low, ci_high;   /* NaN when n_sets == 0 */
    double p_value;                /* two-sided sign-flip; NaN when n_sets == 0 */
    bool exact;
};

struct bb_cf_result {
    int n_groups;
    struct bb_cf_group_stat *groups; /* (n_groups) */
    size_t n_gaps;
    struct bb_cf_gap *gaps;        /* pairs (a, b), a < b, in row-major order */
    long largest;                  /* index of the largest |gap|; -1 when none */
    size_t n_rated;                /* items with a group (the fairness sample) */
    struct bb_parity dp;
    double dp_diff_low, dp_diff_high, dp_ratio_low, dp_ratio_high; /* NaN when no CI */
    bool has_eo;                   /* gold labels on items of >= 1 group */
    struct bb_eq_odds eo;
    double eo_diff_low, eo_diff_high;
    size_t n_labelled;
};

enum bb_status bb_cf_analyze(const struct bb_cf_input *in, const struct bb_cf_grouping *g,
                             const struct bb_cf_opts *opt, struct bb_cf_result *out,
                             struct bb_error *err);
void bb_cf_result_free(struct bb_cf_result *r);

/* Two-sided sign-flip permutation test of mean(d) = 0 (see above). */
enum bb_status bb_cf_signflip(const double *d, size_t m, uint64_t budget, uint64_t seed,
                              double *p, bool *exact, struct bb_error *err);

#endif
