/* fairness.c: selection/scoring rates, impact ratios, demographic parity,
 * equalized odds and the REPORT.md rate-test rule (see fairness.h). */
#include "metrics/fairness.h"

#include <math.h>
#include <stdlib.h>

#include "metrics/stats.h"

static enum bb_status check_groups(const int *group, size_t n, int n_groups, struct bb_error *err)
{
    if (n == 0)
        return bb_fail(err, BB_E_INPUT, "fairness: no items");
    if (n_groups < 1)
        return bb_fail(err, BB_E_INPUT, "fairness: n_groups must be >= 1, found %d", n_groups);
    for (size_t i = 0; i < n; i++)
        if (group[i] < 0 || group[i] >= n_groups)
            return bb_fail(err, BB_E_INPUT,
                           "fairness: item %zu: group must be in [0, %d), found %d", i, n_groups,
                           group[i]);
    return BB_OK;
}

static enum bb_status check_binary(const int *v, size_t n, const char *what, struct bb_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != 0 && v[i] != 1)
            return bb_fail(err, BB_E_INPUT, "fairness: item %zu: %s must be 0 or 1, found %d", i,
                           what, v[i]);
    return BB_OK;
}

enum bb_status bb_fairness_rate_test(size_t k1, size_t n1, size_t k2, size_t n2,
                                     enum bb_rate_test_method *method, double *p_value,
                                     struct bb_error *err)
{
    struct bb_test_result r;
    enum bb_status st;
    if (n1 >= BB_FAIRNESS_ZTEST_MIN_N && n2 >= BB_FAIRNESS_ZTEST_MIN_N) {
        st = bb_stats_ztest_2prop(k1, n1, k2, n2, &r, err);
        *method = BB_RATE_TEST_Z;
    } else {
        if (k1 > n1 || k2 > n2)
            return bb_fail(err, BB_E_INPUT,
                           "rate test: successes exceed group size (%zu/%zu, %zu/%zu)", k1, n1, k2,
                           n2);
        st = bb_stats_fisher_exact(k1, n1 - k1, k2, n2 - k2, &r, err);
        *method = BB_RATE_TEST_FISHER;
    }
    if (st == BB_OK)
        *p_value = r.p_value;
    return st;
}

/* Fill rates, CIs, small flags, the reference group, IRs and tests from n and selected. */
static enum bb_status finish_table(struct bb_group_rate *out, int n_groups, size_t n_total,
                                   struct bb_error *err)
{
    int n_big = 0;
    for (int g = 0; g < n_groups; g++) {
        struct bb_group_rate *r = &out[g];
        r->group = g;
        r->rate = r->ci_low = r->ci_high = r->impact_ratio = r->p_value = NAN;
        r->reference = false;
        r->test = BB_RATE_TEST_NONE;
        r->small = (double)r->n < BB_FAIRNESS_SMALL_SHARE * (double)n_total;
        if (r->n == 0)
            continue;
        r->rate = (double)r->selected / (double)r->n;
        enum bb_status st =
            bb_stats_wilson_ci(r->selected, r->n, 0.95, &r->ci_low, &r->ci_high, err);
        if (st != BB_OK)
            return st;
        n_big += !r->small;
    }
    int ref = -1;
    for (int g = 0; g < n_groups; g++) {
        bool eligible = out[g].n > 0 && (n_big == 0 || !out[g].small);
        if (eligible && (ref < 0 || out[g].rate > out[ref].rate))
            ref = g;
    }
    if (ref < 0)
        return BB_OK;
    out[ref].reference = true;
    double max = out[ref].rate;
    for (int g = 0; g < n_groups; g++) {
        struct bb_group_rate *r = &out[g];
        if (r->n == 0)
            continue;
        if ((n_big == 0 || !r->small) && max > 0)
            r->impact_ratio = r->rate / max;
        if (g == ref)
            continue;
        enum bb_status st = bb_fairness_rate_test(r->selected, r->n, out[ref].selected, out[ref].n,
                                                  &r->test, &r->p_value, err);
        if (st != BB_OK)
            return st;
    }
    return BB_OK;
}

static void clear_counts(struct bb_group_rate *out, int n_groups)
{
    for (int g = 0; g < n_groups; g++)
        out[g].n = out[g].selected = 0;
}

enum bb_status bb_fairness_selection_rates(const int *group, const int *pred, size_t n,
                                           int n_groups, struct bb_group_rate *out,
                                           struct bb_error *err)
{
    enum bb_status st = check_groups(group, n, n_groups, err);
    if (st == BB_OK)
        st = check_binary(pred, n, "prediction", err);
    if (st != BB_OK)
        return st;
    clear_counts(out, n_groups);
    for (size_t i = 0; i < n; i++) {
        out[group[i]].n++;
        out[group[i]].selected += pred[i] == 1;
    }
    return finish_table(out, n_groups, n, err);
}

enum bb_status bb_fairness_scoring_rates(const int *group, const double *score, size_t n,
                                         int n_groups, struct bb_group_rate *out,
                                         struct bb_error *err)
{
    enum bb_status st = check_groups(group, n, n_groups, err);
    if (st != BB_OK)
        return st;
    double median;
    if ((st = bb_stats_percentile(score, n, 50.0, &median, err)) != BB_OK) {
        bb_error_prefix(err, "fairness: scores: ");
        return st;
    }
    clear_counts(out, n_groups);
    for (size_t i = 0; i < n; i++) {
        out[group[i]].n++;
        out[group[i]].selected += score[i] > median;
    }
    return finish_table(out, n_groups, n, err);
}

/* max - min and min / max over the non-NaN values of v[0..n). Returns how many were used. */
static int spread(const double *v, int n, double *diff, double *ratio)
{
    double lo = INFINITY, hi = -INFINITY;
    int used = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i]))
            continue;
        used++;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    *diff = used ? hi - lo : NAN;
    *ratio = used && hi > 0 ? lo / hi : NAN;
    return used;
}

enum bb_status bb_fairness_demographic_parity(const struct bb_group_rate *rates, int n_groups,
                                              struct bb_parity *out, struct bb_error *err)
{
    double *v = malloc((n_groups > 0 ? (size_t)n_groups : 1) * sizeof *v);
    if (!v)
        return bb_fail(err, BB_E_NOMEM, "demographic parity: out of memory");
    for (int g = 0; g < n_groups; g++)
        v[g] = rates[g].rate;
    int used = spread(v, n_groups, &out->difference, &out->ratio);
    free(v);
    if (used == 0)
        return bb_fail(err, BB_E_INPUT, "demographic parity: no non-empty group");
    return BB_OK;
}

enum bb_status bb_fairness_equalized_odds(const int *group, const int *pred, const int *label,
                                          size_t n, int n_groups, struct bb_eq_odds *out,
                                          double *tpr, double *fpr, struct bb_error *err)
{
    enum bb_status st = check_groups(group, n, n_groups, err);
    if (st == BB_OK)
        st = check_binary(pred, n, "prediction", err);
    if (st == BB_OK)
        st = check_binary(label, n, "label", err);
    if (st != BB_OK)
        return st;
    /* cnt[g][label][pred] */
    size_t (*cnt)[2][2] = calloc((size_t)n_groups, sizeof *cnt);
    double *t = malloc((size_t)n_groups * 2 * sizeof *t);
    if (!cnt || !t) {
        st = bb_fail(err, BB_E_NOMEM, "equalized odds: out of memory");
        goto done;
    }
    double *f = t + n_groups;
    for (size_t i = 0; i < n; i++)
        cnt[group[i]][label[i]][pred[i]]++;
    for (int g = 0; g < n_groups; g++) {
        size_t pos = cnt[g][1][0] + cnt[g][1][1], neg = cnt[g][0][0] + cnt[g][0][1];
        t[g] = pos ? (double)cnt[g][1][1] / (double)pos : NAN;
        f[g] = neg ? (double)cnt[g][0][1] / (double)neg : NAN;
        if (tpr)
            tpr[g] = t[g];
        if (fpr)
            fpr[g] = f[g];
    }
    int ut = spread(t, n_groups, &out->tpr_difference, &out->tpr_ratio);
    int uf = spread(f, n_groups, &out->fpr_difference, &out->fpr_ratio);
    if (ut == 0 || uf == 0) {
        st = bb_fail(err, BB_E_INPUT,
                     "equalized odds: no group has both positive and negative labels "
                     "(TPR defined in %d groups, FPR in %d)",
                     ut, uf);
        goto done;
    }
    out->difference = fmax(out->tpr_difference, out->fpr_difference);
    out->ratio = fmin(out->tpr_ratio, out->fpr_ratio); /* fmin ignores one NaN */
done:
    free(cnt);
    free(t);
    return st;
}
