/* stats.h: descriptive statistics, correlation, bootstrap confidence
 * intervals and the hypothesis tests biasbench reports (pure functions over
 * arrays of double; no I/O; deterministic under a seed).
 *
 * Conventions
 * - Functions that cannot fail return a double; an undefined result
 *   (too few values, zero variance, NaN input) is NaN, never a crash.
 * - Functions that allocate or validate input return enum bb_status and fill
 *   the optional struct bb_error (BB_E_INPUT names the argument and problem,
 *   BB_E_NOMEM on allocation failure).
 * - Definitions follow numpy/scipy so results can be checked against them:
 *   variance and stddev use ddof = 1; percentile is numpy's default linear
 *   interpolation; spearman is Pearson on average ("fractional") ranks, as
 *   scipy.stats.spearmanr. */
#ifndef BB_METRICS_STATS_H
#define BB_METRICS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* ---- descriptive --------------------------------------------------------- */

double bb_stats_mean(const double *x, size_t n);     /* NaN if n == 0 */
double bb_stats_variance(const double *x, size_t n); /* ddof = 1; NaN if n < 2 */
double bb_stats_stddev(const double *x, size_t n);   /* sqrt(variance) */
/* Pearson r; NaN if n < 2 or either side is constant. */
double bb_stats_pearson(const double *x, const double *y, size_t n);

/* Average ranks (1-based, ties get the mean of their positions) into
 * ranks[0..n). NaN in x: BB_E_INPUT. */
enum bb_status bb_stats_rank(const double *x, size_t n, double *ranks, struct bb_error *err);
/* Spearman rho = Pearson on average ranks (scipy.stats.spearmanr). NaN in
 * either input: BB_E_INPUT. Constant input gives *rho = NaN and BB_OK. */
enum bb_status bb_stats_spearman(const double *x, const double *y, size_t n, double *rho,
                                 struct bb_error *err);

/* Percentile q in [0, 100] of ascending-sorted data, numpy's default
 * 'linear' method: h = (n-1) q/100, x[floor h] + frac(h) (x[floor h+1] - x[floor h]).
 * NaN if n == 0 or q is outside [0, 100]. */
double bb_stats_percentile_sorted(const double *sorted, size_t n, double q);
/* Same on unsorted data (sorts a copy). NaN in x or bad q: BB_E_INPUT. */
enum bb_status bb_stats_percentile(const double *x, size_t n, double q, double *out,
                                   struct bb_error *err);

/* ---- bootstrap ----------------------------------------------------------- */

/* A statistic over resampled items: idx[0..n) are item indices (with
 * repeats) into the caller's data, ctx its data. Return NaN when the
 * statistic is undefined for this resample; that replicate is dropped. */
typedef double (*bb_stat_fn)(const int *idx, size_t n, void *ctx);
/* The bb_stat_fn of a plain mean: ctx is the (const double *) values, the
 * statistic their mean over idx (NaN when n == 0). */
double bb_stats_mean_at(const int *idx, size_t n, void *ctx);

struct bb_bootstrap_opts {
    int replicates; /* B; default 1000 */
    double level;   /* two-sided confidence level; default 0.95 */
    uint64_t seed;  /* default 0 */
};
/* Defaults: B = 1000, level = 0.95, seed = 0. */
struct bb_bootstrap_opts bb_bootstrap_opts_default(void);

struct bb_ci {
    double estimate;     /* the statistic on the original items (idx = 0..n-1) */
    double low, high;    /* percentile interval of the replicates */
    int replicates_used; /* replicates whose statistic was not NaN */
};

/* Percentile bootstrap CI: B resamples of n items with replacement; the
 * interval is the (1-level)/2 and (1+level)/2 percentiles (numpy linear) of
 * the non-NaN replicates. n == 0, B < 1, level outside (0,1), or no valid
 * replicate: BB_E_INPUT. */
enum bb_status bb_stats_bootstrap_ci(size_t n, bb_stat_fn stat, void *ctx,
                                     const struct bb_bootstrap_opts *opt, struct bb_ci *out,
                                     struct bb_error *err);

/* Stratified variant: items come in n_strata consecutive blocks of
 * sizes[k] items (global indices); each replicate resamples every block
 * within itself, so idx has sum(sizes) entries and block k's entries stay
 * in block k's index range. This is how a WEAT resamples X, Y, A, B. Every
 * block needs at least one item. */
enum bb_status bb_stats_bootstrap_ci_strata(const size_t *sizes, size_t n_strata, bb_stat_fn stat,
                                            void *ctx, const struct bb_bootstrap_opts *opt,
                                            struct bb_ci *out, struct bb_error *err);

struct bb_paired {
    double diff;         /* stat_a - stat_b on the original items */
    double low, high;    /* percentile interval of the replicate differences */
    double p_value;      /* two-sided, see below */
    int replicates_used; /* replicates where both statistics were defined */
};

/* Paired bootstrap of stat_a - stat_b over the same items (the same idx is
 * passed to both per replicate). Two-sided p-value by inverting the
 * percentile interval, with the +1 correction:
 *   p = min(1, 2 min(1 + #{d* <= 0}, 1 + #{d* >= 0}) / (1 + B_used)).
 * Strata as in bb_stats_bootstrap_ci_strata (pass &n, 1 for plain items). */
enum bb_status bb_stats_paired_bootstrap(const size_t *sizes, size_t n_strata, bb_stat_fn stat_a,
                                         void *ctx_a, bb_stat_fn stat_b, void *ctx_b,
                                         const struct bb_bootstrap_opts *opt,
                                         struct bb_paired *out, struct bb_error *err);

/* ---- distributions ------------------------------------------------------- */

double bb_stats_normal_cdf(double x);
/* Inverse of the standard normal CDF for p in (0,1); NaN outside. */
double bb_stats_normal_quantile(double p);

/* ---- tests on proportions ------------------------------------------------ */

struct bb_test_result {
    double statistic; /* z for the z-test, the sample odds ratio for Fisher,
                         the chi-square or the smaller discordant count for McNemar */
    double p_value;   /* two-sided */
};

/* Two-proportion z-test with the pooled standard error:
 * z = (k1/n1 - k2/n2) / sqrt(p (1-p) (1/n1 + 1/n2)), p = (k1+k2)/(n1+n2),
 * two-sided p = 2 (1 - Phi(|z|)). A pooled rate of 0 or 1 gives z = 0, p = 1.
 * n1 or n2 == 0, or k > n: BB_E_INPUT. */
enum bb_status bb_stats_ztest_2prop(size_t k1, size_t n1, size_t k2, size_t n2,
                                    struct bb_test_result *out, struct bb_error *err);

/* Fisher's exact test, two-sided, on the 2x2 table [[a, b], [c, d]]:
 * the sum of hypergeometric probabilities of all tables with the same
 * margins that are no more likely than the observed one (relative slack
 * 1e-7, as scipy). statistic = a d / (b c) (Inf or NaN where undefined).
 * Tables with more than 10^7 items: BB_E_INPUT (use the z-test). */
enum bb_status bb_stats_fisher_exact(size_t a, size_t b, size_t c, size_t d,
                                     struct bb_test_result *out, struct bb_error *err);

enum bb_mcnemar_method { BB_MCNEMAR_EXACT, BB_MCNEMAR_CHI2_CC };
/* Discordant counts at or above this use the chi-square; below, exact binomial. */
#define BB_MCNEMAR_EXACT_BELOW 25
/* McNemar's test on discordant counts b (yes/no) and c (no/yes).
 * b + c < 25: exact, p = min(1, 2 BinomCDF(min(b,c); b+c, 1/2)),
 * statistic = min(b, c). Otherwise chi-square with continuity correction,
 * (|b-c| - 1)^2 / (b+c), df 1. b + c == 0 gives p = 1 (exact).
 * *method (optional) says which was used. */
enum bb_status bb_stats_mcnemar(size_t b, size_t c, struct bb_test_result *out,
                                enum bb_mcnemar_method *method, struct bb_error *err);

/* Wilson score interval for k successes in n at a two-sided level (e.g.
 * 0.95). n == 0, k > n or level outside (0,1): BB_E_INPUT. */
enum bb_status bb_stats_wilson_ci(size_t k, size_t n, double level, double *low, double *high,
                                  struct bb_error *err);

/* ---- multiple comparisons ------------------------------------------------ */

/* Holm-Bonferroni step-down adjusted p-values (family-wise error):
 * sorted ascending p_(1..m): adj_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)),
 * written back in the input order. NaN or p outside [0,1]: BB_E_INPUT. */
enum bb_status bb_stats_holm(const double *p, size_t m, double *adj, struct bb_error *err);
/* Benjamini-Hochberg step-up adjusted p-values (false discovery rate):
 * adj_(i) = min_{j>=i} min(1, m p_(j) / j). Same input rules. */
enum bb_status bb_stats_bh(const double *p, size_t m, double *adj, struct bb_error *err);

#endif
