/* stats.c: descriptive statistics, Spearman/Pearson, percentiles, bootstrap
 * CIs, proportion tests and multiple-comparison adjustments (see stats.h). */
#include "metrics/stats.h"

#include <math.h>
#include <stdlib.h>

#include "metrics/rng.h"

/* ---- descriptive --------------------------------------------------------- */

double bb_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

double bb_stats_mean_at(const int *idx, size_t n, void *ctx)
{
    const double *x = ctx;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[idx[i]];
    return n ? s / (double)n : NAN;
}

double bb_stats_variance(const double *x, size_t n)
{
    if (n < 2)
        return NAN;
    double m = bb_stats_mean(x, n), ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    return ss / (double)(n - 1);
}

double bb_stats_stddev(const double *x, size_t n)
{
    return sqrt(bb_stats_variance(x, n));
}

double bb_stats_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return NAN;
    double mx = bb_stats_mean(x, n), my = bb_stats_mean(y, n);
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0 || syy == 0)
        return NAN;
    double r = sxy / sqrt(sxx * syy);
    return r > 1 ? 1 : (r < -1 ? -1 : r);
}

struct keyed {
    double v;
    size_t i;
};

static int cmp_keyed(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;
    if (a->v < b->v)
        return -1;
    if (a->v > b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static bool has_nan(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return true;
    return false;
}

enum bb_status bb_stats_rank(const double *x, size_t n, double *ranks, struct bb_error *err)
{
    if (has_nan(x, n))
        return bb_fail(err, BB_E_INPUT, "rank: input contains NaN");
    if (n == 0)
        return BB_OK;
    struct keyed *k = malloc(n * sizeof *k);
    if (!k)
        return bb_fail(err, BB_E_NOMEM, "rank: out of memory for %zu values", n);
    for (size_t i = 0; i < n; i++)
        k[i] = (struct keyed){x[i], i};
    qsort(k, n, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && k[j + 1].v == k[i].v)
            j++;
        double avg = 0.5 * (double)(i + j) + 1.0; /* mean of 1-based ranks i+1..j+1 */
        for (size_t t = i; t <= j; t++)
            ranks[k[t].i] = avg;
        i = j + 1;
    }
    free(k);
    return BB_OK;
}

enum bb_status bb_stats_spearman(const double *x, const double *y, size_t n, double *rho,
                                 struct bb_error *err)
{
    enum bb_status st = BB_OK;
    double *rx = malloc((n ? n : 1) * sizeof *rx), *ry = malloc((n ? n : 1) * sizeof *ry);
    if (!rx || !ry) {
        st = bb_fail(err, BB_E_NOMEM, "spearman: out of memory for %zu pairs", n);
        goto done;
    }
    if ((st = bb_stats_rank(x, n, rx, err)) != BB_OK ||
        (st = bb_stats_rank(y, n, ry, err)) != BB_OK) {
        bb_error_prefix(err, "spearman: ");
        goto done;
    }
    *rho = bb_stats_pearson(rx, ry, n);
done:
    free(rx);
    free(ry);
    return st;
}

double bb_stats_percentile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 0 || !(q >= 0 && q <= 100))
        return NAN;
    double h = (double)(n - 1) * q / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    double frac = h - (double)lo;
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

enum bb_status bb_stats_percentile(const double *x, size_t n, double q, double *out,
                                   struct bb_error *err)
{
    if (n == 0)
        return bb_fail(err, BB_E_INPUT, "percentile: no values");
    if (!(q >= 0 && q <= 100))
        return bb_fail(err, BB_E_INPUT, "percentile: q must be in [0, 100], found %g", q);
    if (has_nan(x, n))
        return bb_fail(err, BB_E_INPUT, "percentile: input contains NaN");
    double *s = malloc(n * sizeof *s);
    if (!s)
        return bb_fail(err, BB_E_NOMEM, "percentile: out of memory for %zu values", n);
    for (size_t i = 0; i < n; i++)
        s[i] = x[i];
    qsort(s, n, sizeof *s, cmp_double);
    *out = bb_stats_percentile_sorted(s, n, q);
    free(s);
    return BB_OK;
}

/* ---- bootstrap ----------------------------------------------------------- */

struct bb_bootstrap_opts bb_bootstrap_opts_default(void)
{
    return (struct bb_bootstrap_opts){.replicates = 1000, .level = 0.95, .seed = 0};
}

/* Validate strata and options; total item count into *total. */
static enum bb_status check_boot_args(const size_t *sizes, size_t n_strata,
                                      const struct bb_bootstrap_opts *o, size_t *total,
                                      struct bb_error *err)
{
    if (n_strata == 0 || !sizes)
        return bb_fail(err, BB_E_INPUT, "bootstrap: no item blocks given");
    *total = 0;
    for (size_t k = 0; k < n_strata; k++) {
        if (sizes[k] == 0)
            return bb_fail(err, BB_E_INPUT, "bootstrap: item block %zu is empty", k);
        *total += sizes[k];
    }
    if (*total > (size_t)INT32_MAX)
        return bb_fail(err, BB_E_INPUT, "bootstrap: %zu items exceed the int index range", *total);
    if (o->replicates < 1)
        return bb_fail(err, BB_E_INPUT, "bootstrap: replicates must be >= 1, found %d",
                       o->replicates);
    if (!(o->level > 0 && o->level < 1))
        return bb_fail(err, BB_E_INPUT, "bootstrap: level must be in (0, 1), found %g", o->level);
    return BB_OK;
}

static void identity_idx(int *idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = (int)i;
}

static void resample_strata(struct bb_rng *r, const size_t *sizes, size_t n_strata, int *idx)
{
    size_t base = 0;
    for (size_t k = 0; k < n_strata; k++) {
        bb_rng_resample(r, (int)base, sizes[k], idx + base, sizes[k]);
        base += sizes[k];
    }
}

/* Percentile interval of the first `used` replicate values (sorted in place). */
static void percentile_interval(double *v, int used, double level, double *low, double *high)
{
    qsort(v, (size_t)used, sizeof *v, cmp_double);
    double tail = (1.0 - level) / 2.0;
    *low = bb_stats_percentile_sorted(v, (size_t)used, 100.0 * tail);
    *high = bb_stats_percentile_sorted(v, (size_t)used, 100.0 * (1.0 - tail));
}

static double paired_p(const double *d, int used)
{
    long le = 0, ge = 0;
    for (int i = 0; i < used; i++) {
        le += d[i] <= 0;
        ge += d[i] >= 0;
    }
    double p = 2.0 * (double)(1 + (le < ge ? le : ge)) / (double)(1 + used);
    return p > 1 ? 1 : p;
}

/* What a bootstrap resamples: stat_a, or stat_a - stat_b when stat_b is set;
 * `what` and `quantity` name the caller and the value in messages. */
struct boot_stat {
    bb_stat_fn a, b;
    void *ctx_a, *ctx_b;
    const char *what, *quantity;
};

static double boot_eval(const struct boot_stat *s, const int *idx, size_t total)
{
    double v = s->a(idx, total, s->ctx_a);
    return s->b ? v - s->b(idx, total, s->ctx_b) : v;
}

/* Both bootstraps: check the arguments, evaluate s on the original items
 * (*estimate) and on the stratified resamples; *used gets the replicates
 * that were not NaN, whose percentile interval goes to *low, *high (and
 * whose two-sided p-value to *p_value when p_value is not NULL). */
static enum bb_status boot_run(const struct boot_stat *s, const size_t *sizes, size_t n_strata,
                               const struct bb_bootstrap_opts *opt, double *estimate, int *used,
                               double *low, double *high, double *p_value, struct bb_error *err)
{
    struct bb_bootstrap_opts o = opt ? *opt : bb_bootstrap_opts_default();
    size_t total = 0;
    enum bb_status st = check_boot_args(sizes, n_strata, &o, &total, err);
    if (st != BB_OK)
        return st;
    int *idx = malloc(total * sizeof *idx);
    double *rep = malloc((size_t)o.replicates * sizeof *rep);
    if (!idx || !rep) {
        st = bb_fail(err, BB_E_NOMEM, "%s: out of memory", s->what);
        goto done;
    }
    identity_idx(idx, total);
    *estimate = boot_eval(s, idx, total);
    struct bb_rng rng;
    bb_rng_seed(&rng, o.seed);
    int n = 0;
    for (int b = 0; b < o.replicates; b++) {
        resample_strata(&rng, sizes, n_strata, idx);
        double v = boot_eval(s, idx, total);
        if (!isnan(v))
            rep[n++] = v;
    }
    *used = n;
    if (n == 0) {
        st = bb_fail(err, BB_E_INPUT, "%s: the %s was undefined (NaN) in all %d replicates",
                     s->what, s->quantity, o.replicates);
        goto done;
    }
    if (p_value)
        *p_value = paired_p(rep, n);
    percentile_interval(rep, n, o.level, low, high);
done:
    free(idx);
    free(rep);
    return st;
}

enum bb_status bb_stats_bootstrap_ci_strata(const size_t *sizes, size_t n_strata, bb_stat_fn stat,
                                            void *ctx, const struct bb_bootstrap_opts *opt,
                                            struct bb_ci *out, struct bb_error *err)
{
    struct boot_stat s = {stat, NULL, ctx, NULL, "bootstrap", "statistic"};
    return boot_run(&s, sizes, n_strata, opt, &out->estimate, &out->replicates_used, &out->low,
                    &out->high, NULL, err);
}

enum bb_status bb_stats_bootstrap_ci(size_t n, bb_stat_fn stat, void *ctx,
                                     const struct bb_bootstrap_opts *opt, struct bb_ci *out,
                                     struct bb_error *err)
{
    return bb_stats_bootstrap_ci_strata(&n, 1, stat, ctx, opt, out, err);
}

enum bb_status bb_stats_paired_bootstrap(const size_t *sizes, size_t n_strata, bb_stat_fn stat_a,
                                         void *ctx_a, bb_stat_fn stat_b, void *ctx_b,
                                         const struct bb_bootstrap_opts *opt,
                                         struct bb_paired *out, struct bb_error *err)
{
    struct boot_stat s = {stat_a, stat_b, ctx_a, ctx_b, "paired bootstrap", "difference"};
    return boot_run(&s, sizes, n_strata, opt, &out->diff, &out->replicates_used, &out->low,
                    &out->high, &out->p_value, err);
}

/* ---- distributions ------------------------------------------------------- */

double bb_stats_normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

double bb_stats_normal_quantile(double p)
{
    if (!(p > 0 && p < 1))
        return NAN;
    /* Bisection on the CDF: slow-ish but exact to double precision and simple. */
    double lo = -40, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 0; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi)
            break;
        if (bb_stats_normal_cdf(mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ---- tests on proportions ------------------------------------------------ */

enum bb_status bb_stats_ztest_2prop(size_t k1, size_t n1, size_t k2, size_t n2,
                                    struct bb_test_result *out, struct bb_error *err)
{
    if (n1 == 0 || n2 == 0)
        return bb_fail(err, BB_E_INPUT, "z-test: group size must be > 0, found n1=%zu n2=%zu", n1,
                       n2);
    if (k1 > n1 || k2 > n2)
        return bb_fail(err, BB_E_INPUT, "z-test: successes exceed group size (%zu/%zu, %zu/%zu)",
                       k1, n1, k2, n2);
    double p1 = (double)k1 / (double)n1, p2 = (double)k2 / (double)n2;
    double p = (double)(k1 + k2) / (double)(n1 + n2);
    double se = sqrt(p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
    if (se == 0) {
        *out = (struct bb_test_result){0.0, 1.0};
        return BB_OK;
    }
    double z = (p1 - p2) / se;
    double pv = 2.0 * bb_stats_normal_cdf(-fabs(z));
    *out = (struct bb_test_result){z, pv > 1 ? 1 : pv};
    return BB_OK;
}

static double log_choose(double n, double k)
{
    return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/* log P(a) for the hypergeometric table with row sums r1, r2 and first column sum c1. */
static double log_hyper(double a, double r1, double r2, double c1)
{
    return log_choose(r1, a) + log_choose(r2, c1 - a) - log_choose(r1 + r2, c1);
}

enum bb_status bb_stats_fisher_exact(size_t a, size_t b, size_t c, size_t d,
                                     struct bb_test_result *out, struct bb_error *err)
{
    double r1 = (double)a + (double)b, r2 = (double)c + (double)d, c1 = (double)a + (double)c;
    if (r1 + r2 > 1e7)
        return bb_fail(
            err, BB_E_INPUT,
            "fisher: table total %.0f exceeds 10^7; use the z-test for tables this large", r1 + r2);
    double bc = (double)b * (double)c, ad = (double)a * (double)d;
    out->statistic = bc == 0 ? (ad == 0 ? NAN : INFINITY) : ad / bc;
    size_t amin = c1 > r2 ? (size_t)(c1 - r2) : 0;
    size_t amax = (size_t)(c1 < r1 ? c1 : r1);
    double lobs = log_hyper((double)a, r1, r2, c1);
    double p = 0;
    for (size_t x = amin; x <= amax; x++) {
        double lx = log_hyper((double)x, r1, r2, c1);
        if (lx <= lobs + log1p(1e-7))
            p += exp(lx);
    }
    out->p_value = p > 1 ? 1 : p;
    return BB_OK;
}

enum bb_status bb_stats_mcnemar(size_t b, size_t c, struct bb_test_result *out,
                                enum bb_mcnemar_method *method, struct bb_error *err)
{
    (void)err;
    size_t n = b + c;
    if (n < BB_MCNEMAR_EXACT_BELOW) {
        size_t k = b < c ? b : c;
        double cdf = 0;
        for (size_t i = 0; i <= k; i++)
            cdf += exp(log_choose((double)n, (double)i) - (double)n * log(2.0));
        out->statistic = (double)k;
        out->p_value = n == 0 ? 1.0 : (2 * cdf > 1 ? 1.0 : 2 * cdf);
        if (method)
            *method = BB_MCNEMAR_EXACT;
        return BB_OK;
    }
    double diff = fabs((double)b - (double)c) - 1.0;
    if (diff < 0)
        diff = 0;
    double chi2 = diff * diff / (double)n;
    out->statistic = chi2;
    out->p_value = erfc(sqrt(chi2 / 2.0)); /* chi-square(1) survival function */
    if (method)
        *method = BB_MCNEMAR_CHI2_CC;
    return BB_OK;
}

enum bb_status bb_stats_wilson_ci(size_t k, size_t n, double level, double *low, double *high,
                                  struct bb_error *err)
{
    if (n == 0 || k > n)
        return bb_fail(err, BB_E_INPUT, "wilson: need 0 <= k <= n and n > 0, found k=%zu n=%zu", k,
                       n);
    if (!(level > 0 && level < 1))
        return bb_fail(err, BB_E_INPUT, "wilson: level must be in (0, 1), found %g", level);
    double z = bb_stats_normal_quantile(0.5 + level / 2.0);
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double denom = 1 + z2 / nn;
    double center = (p + z2 / (2 * nn)) / denom;
    double half = z / denom * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    *low = center - half < 0 ? 0 : center - half;
    *high = center + half > 1 ? 1 : center + half;
    return BB_OK;
}

/* ---- multiple comparisons ------------------------------------------------ */

/* Validate p-values and return the ascending order of them in *order (caller frees). */
static enum bb_status sort_pvalues(const double *p, size_t m, size_t **order, const char *who,
                                   struct bb_error *err)
{
    *order = NULL;
    for (size_t i = 0; i < m; i++)
        if (!(p[i] >= 0 && p[i] <= 1))
            return bb_fail(err, BB_E_INPUT, "%s: p-value %zu must be in [0, 1], found %g", who, i,
                           p[i]);
    struct keyed *k = malloc((m ? m : 1) * sizeof *k);
    size_t *o = malloc((m ? m : 1) * sizeof *o);
    if (!k || !o) {
        free(k);
        free(o);
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", who);
    }
    for (size_t i = 0; i < m; i++)
        k[i] = (struct keyed){p[i], i};
    qsort(k, m, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < m; i++)
        o[i] = k[i].i;
    free(k);
    *order = o;
    return BB_OK;
}

enum bb_status bb_stats_holm(const double *p, size_t m, double *adj, struct bb_error *err)
{
    size_t *o;
    enum bb_status st = sort_pvalues(p, m, &o, "holm", err);
    if (st != BB_OK)
        return st;
    double run = 0;
    for (size_t j = 0; j < m; j++) {
        double v = (double)(m - j) * p[o[j]];
        if (v > 1)
            v = 1;
        if (v > run)
            run = v;
        adj[o[j]] = run;
    }
    free(o);
    return BB_OK;
}

enum bb_status bb_stats_bh(const double *p, size_t m, double *adj, struct bb_error *err)
{
    size_t *o;
    enum bb_status st = sort_pvalues(p, m, &o, "bh", err);
    if (st != BB_OK)
        return st;
    double run = 1;
    for (size_t j = m; j-- > 0;) {
        double v = (double)m * p[o[j]] / (double)(j + 1);
        if (v < run)
            run = v;
        adj[o[j]] = run;
    }
    free(o);
    return BB_OK;
}
