/* weat.h: the Word/Sentence Embedding Association Test (WEAT, Caliskan et
 * al. 2017; SEAT, May et al. 2019, with sent-bias's formulas): effect size,
 * test statistic, one-sided permutation p-value (exact or sampled, as
 * DESIGN.md decides), a bootstrap CI of the effect size and a paired
 * bootstrap for the difference between two models on the same items.
 * Pure functions over embedding matrices; deterministic under a seed.
 *
 * Definitions (w a target embedding, X, Y targets, A, B attributes):
 *   s(w) = mean_{a in A} cos(w, a) - mean_{b in B} cos(w, b)
 *   statistic   = sum_{x in X} s(x) - sum_{y in Y} s(y)
 *   effect size = (mean_X s - mean_Y s) / std_{w in X u Y} s(w), sample std (ddof = 1)
 *   p (one-sided, "X is more associated with A than Y is"):
 *     exact when C(|X|+|Y|, |X|) <= budget:
 *       #{partitions (Xi, Yi) of X u Y with |Xi| = |X|, the observed one
 *         included, whose statistic >= observed} / C(|X|+|Y|, |X|)
 *     else sampled with N = budget seeded random partitions:
 *       (1 + #{samples >= observed}) / (1 + N)
 *   ">=" is taken with slack: statistic >= observed - 1e-12 * sum_w |s(w)|,
 *   so float summation order cannot drop the observed partition or a tie.
 * |X| != |Y| is allowed: the effect size uses both sets whole (no
 * truncation) and the permutation test partitions X u Y into sizes |X| and
 * |Y| (for equal sizes this is exactly the equal-size partition test of
 * sent-bias, which itself asserts equal sizes). The shipped SEAT tests all
 * have |X| = |Y|; attribute sets may differ in size (sent-weat1: 215 / 250).
 */
#ifndef BB_METRICS_WEAT_H
#define BB_METRICS_WEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/stats.h"
#include "core/status.h"

/* Embeddings as row-major matrices, one row per item, dim columns. */
struct bb_weat_sets {
    const float *x, *y, *a, *b; /* (nx, dim), (ny, dim), (na, dim), (nb, dim) */
    size_t nx, ny, na, nb, dim;
};
struct bb_weat_sets_d {
    const double *x, *y, *a, *b; /* (nx, dim), (ny, dim), (na, dim), (nb, dim) */
    size_t nx, ny, na, nb, dim;
};

/* Cosine similarities of every target with every attribute, computed once:
 * cos[t * (na + nb) + j], rows t = X then Y, columns j = A then B. */
struct bb_weat_cos {
    double *cos; /* (nx + ny, na + nb) */
    size_t nx, ny, na, nb;
};

/* Compute the cosine table. Every set needs >= 1 row, nx + ny >= 2, dim >= 1;
 * a zero-norm or non-finite row is BB_E_INPUT naming the set and row. */
enum bb_status bb_weat_cos_init(struct bb_weat_cos *c, const struct bb_weat_sets *s,
                                struct bb_error *err);
enum bb_status bb_weat_cos_init_d(struct bb_weat_cos *c, const struct bb_weat_sets_d *s,
                                  struct bb_error *err);
void bb_weat_cos_free(struct bb_weat_cos *c);

/* s(w) for every target into s[0 .. nx+ny), X first. */
void bb_weat_s(const struct bb_weat_cos *c, double *s);

struct bb_weat_opts {
    uint64_t budget; /* exact when C(nx+ny, nx) <= budget, else this many samples; default 100000 */
    uint64_t seed;   /* for the sampled p-value; default 0 */
};
struct bb_weat_opts bb_weat_opts_default(void);

struct bb_weat_result {
    double effect_size; /* NaN when every s(w) is equal (std 0) */
    double statistic;
    double p_value;
    double mean_x, mean_y, std_xy; /* mean s over X, over Y; sample std over X u Y */
    bool p_exact;
    uint64_t permutations; /* partitions enumerated (exact) or samples drawn (sampled) */
    uint64_t count_ge;     /* of those, how many had statistic >= observed */
};

/* Effect size, statistic and p-value. budget == 0: BB_E_INPUT. */
enum bb_status bb_weat_run(const struct bb_weat_cos *c, const struct bb_weat_opts *opt,
                           struct bb_weat_result *out, struct bb_error *err);

/* Effect size on resampled items. idx has nx+ny+na+nb global indices in
 * four blocks (X, Y, A, B), each entry inside its own block's range, as
 * bb_stats_bootstrap_ci_strata produces. NaN when undefined. */
double bb_weat_effect_size_idx(const struct bb_weat_cos *c, const int *idx);

/* Percentile bootstrap CI of the effect size, resampling X, Y, A and B
 * (each within itself) once per replicate. */
enum bb_status bb_weat_bootstrap_ci(const struct bb_weat_cos *c,
                                    const struct bb_bootstrap_opts *opt, struct bb_ci *out,
                                    struct bb_error *err);

/* Paired bootstrap of effect_size(m1) - effect_size(m2): two models' cosine
 * tables over the same items (sizes must match), one resample of X, Y, A, B
 * per replicate applied to both. CI and two-sided p as bb_stats_paired_bootstrap. */
enum bb_status bb_weat_paired_bootstrap(const struct bb_weat_cos *m1, const struct bb_weat_cos *m2,
                                        const struct bb_bootstrap_opts *opt,
                                        struct bb_paired *out, struct bb_error *err);

/* C(n, k), or UINT64_MAX when it exceeds cap (used to pick exact/sampled). */
uint64_t bb_weat_binom_capped(uint64_t n, uint64_t k, uint64_t cap);

#endif
