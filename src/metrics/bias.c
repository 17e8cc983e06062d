/* bias.c: the model-free statistics of the bias tasks (see bias.h): the
 * WEAT/SEAT computation of one test, the counterfactual per-group means,
 * paired gaps with a sign-flip test, group fairness on predictions, and the
 * multiple-comparison adjustment. */
#include "metrics/bias.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/rng.h"

#define SLACK 1e-12

static enum bb_status nomem(struct bb_error *err)
{
    return bb_fail(err, BB_E_NOMEM, "bias statistics: out of memory");
}

/* A statistic that may be undefined for the data (a bootstrap whose every replicate is NaN,
 * equalized odds without both labels in a group) only leaves its numbers empty; running out
 * of memory while computing it is an error like any other. Keeps e's message for that. */
static enum bb_status optional(enum bb_status st, const struct bb_error *e, struct bb_error *err)
{
    if (st != BB_E_NOMEM)
        return BB_OK;
    if (err)
        *err = *e;
    return st;
}

/* ---- multiple comparisons ------------------------------------------------- */

enum bb_status bb_bias_adjust(const double *p, size_t m, enum bb_suite_correction c, double *adj,
                              struct bb_error *err)
{
    size_t k = 0;
    double *q = malloc((m ? m : 1) * sizeof *q), *qa = malloc((m ? m : 1) * sizeof *qa);
    enum bb_status st = BB_OK;
    if (!q || !qa) {
        st = nomem(err);
        goto done;
    }
    for (size_t i = 0; i < m; i++)
        if (!isnan(p[i]))
            q[k++] = p[i];
    if (k && c == BB_SUITE_CORRECTION_HOLM)
        st = bb_stats_holm(q, k, qa, err);
    else if (k && c == BB_SUITE_CORRECTION_BH)
        st = bb_stats_bh(q, k, qa, err);
    else if (k)
        memcpy(qa, q, k * sizeof *q);
    if (st)
        goto done;
    k = 0;
    for (size_t i = 0; i < m; i++)
        adj[i] = isnan(p[i]) ? NAN : qa[k++];
done:
    free(q);
    free(qa);
    return st;
}

/* ---- association ---------------------------------------------------------- */

void bb_assoc_result_free(struct bb_assoc_result *r)
{
    free(r->s);
    free(r->mean_cos);
    bb_weat_cos_free(&r->cos);
    memset(r, 0, sizeof *r);
}

static void mean_cosines(const struct bb_weat_cos *c, double *out)
{
    size_t nt = c->nx + c->ny, na = c->na, nb = c->nb;
    for (size_t t = 0; t < nt; t++) {
        const double *row = c->cos + t * (na + nb); // (na + nb)
        double sa = 0, sb = 0;
        for (size_t j = 0; j < na; j++)
            sa += row[j];
        for (size_t j = 0; j < nb; j++)
            sb += row[na + j];
        out[2 * t] = sa / (double)na;
        out[2 * t + 1] = sb / (double)nb;
    }
}

enum bb_status bb_assoc_run(const struct bb_weat_sets *sets, const struct bb_assoc_opts *opt,
                            struct bb_assoc_result *out, struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    out->ci_low = out->ci_high = NAN;
    enum bb_status st = bb_weat_cos_init(&out->cos, sets, err);
    if (st)
        goto done;
    size_t nt = sets->nx + sets->ny;
    out->s = malloc(nt * sizeof *out->s);
    out->mean_cos = malloc(2 * nt * sizeof *out->mean_cos);
    if (!out->s || !out->mean_cos) {
        st = nomem(err);
        goto done;
    }
    bb_weat_s(&out->cos, out->s);
    mean_cosines(&out->cos, out->mean_cos);
    struct bb_weat_opts wo = {opt->budget, opt->perm_seed};
    if ((st = bb_weat_run(&out->cos, &wo, &out->w, err)))
        goto done;
    if (opt->boot.replicates > 0 && !isnan(out->w.effect_size)) {
        struct bb_ci ci;
        struct bb_error e2 = {0};
        /* a test too degenerate for any replicate keeps NaN bounds */
        enum bb_status bs = bb_weat_bootstrap_ci(&out->cos, &opt->boot, &ci, &e2);
        if (bs == BB_OK) {
            out->ci_low = ci.low;
            out->ci_high = ci.high;
        } else if ((st = optional(bs, &e2, err))) {
            goto done;
        }
    }
done:
    if (st)
        bb_assoc_result_free(out);
    return st;
}

/* ---- sign-flip permutation test ------------------------------------------- */

static unsigned ctz64(uint64_t x)
{
    unsigned k = 0;
    while (!(x & 1)) {
        x >>= 1;
        k++;
    }
    return k;
}

enum bb_status bb_cf_signflip(const double *d, size_t m, uint64_t budget, uint64_t seed,
                              double *p, bool *exact, struct bb_error *err)
{
    *p = NAN;
    *exact = false;
    if (budget == 0)
        return bb_fail(err, BB_E_INPUT, "sign-flip test: permutation budget must be >= 1");
    if (m == 0)
        return BB_OK;
    double obs = 0, tot = 0;
    for (size_t i = 0; i < m; i++) {
        if (!isfinite(d[i]))
            return bb_fail(err, BB_E_INPUT, "sign-flip test: difference %zu is not finite", i);
        obs += d[i];
        tot += fabs(d[i]);
    }
    double thr = fabs(obs) - SLACK * tot;
    if (m < 63 && (UINT64_C(1) << m) <= budget) {
        /* Gray code: each step flips one sign, the sum changes by 2 d_j */
        uint64_t total = UINT64_C(1) << m, count = 0;
        double sum = obs;
        signed char *sign = malloc(m);
        if (!sign)
            return nomem(err);
        memset(sign, 1, m);
        for (uint64_t k = 0; k < total; k++) {
            if (k) {
                unsigned j = ctz64(k);
                sum -= 2.0 * sign[j] * d[j];
                sign[j] = (signed char)-sign[j];
            }
            count += fabs(sum) >= thr;
        }
        free(sign);
        *p = (double)count / (double)total;
        *exact = true;
        return BB_OK;
    }
    struct bb_rng rng;
    bb_rng_seed(&rng, seed);
    uint64_t count = 0;
    for (uint64_t k = 0; k < budget; k++) {
        double sum = 0;
        uint64_t bits = 0;
        for (size_t i = 0; i < m; i++) {
            if (i % 64 == 0)
                bits = bb_rng_next(&rng);
            sum += (bits & 1) ? -d[i] : d[i];
            bits >>= 1;
        }
        count += fabs(sum) >= thr;
    }
    *p = (double)(1 + count) / (double)(1 + budget);
    return BB_OK;
}

/* ---- counterfactual: per-group means ---------------------------------------- */

struct mean_ctx {
    const double *score;
    const size_t *member; /* item index of each group member */
};

static double mean_stat(const int *idx, size_t n, void *vctx)
{
    const struct mean_ctx *c = vctx;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += c->score[c->member[idx[i]]];
    return n ? s / (double)n : NAN;
}

static uint64_t mix_seed(uint64_t seed, uint64_t k)
{
    uint64_t z = seed + (k + 1) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static enum bb_status group_means(const struct bb_cf_input *in, const struct bb_cf_grouping *g,
                                  const struct bb_cf_opts *opt, struct bb_cf_result *out,
                                  struct bb_error *err)
{
    size_t *member = malloc(in->n * sizeof *member);
    enum bb_status st = BB_OK;
    if (!member)
        return nomem(err);
    for (int k = 0; k < g->n_groups && !st; k++) {
        struct bb_cf_group_stat *gs = &out->groups[k];
        size_t m = 0;
        for (size_t i = 0; i < in->n; i++)
            if (g->gid[i] == k)
                member[m++] = i;
        gs->n = m;
        gs->ci_low = gs->ci_high = NAN;
        struct mean_ctx mc = {in->score, member};
        gs->mean = NAN;
        if (!m)
            continue;
        double s = 0;
        for (size_t i = 0; i < m; i++)
            s += in->score[member[i]];
        gs->mean = s / (double)m;
        if (opt->boot.replicates <= 0)
            continue;
        struct bb_bootstrap_opts bo = opt->boot;
        bo.seed = mix_seed(opt->boot.seed, (uint64_t)k);
        struct bb_ci ci;
        if ((st = bb_stats_bootstrap_ci(m, mean_stat, &mc, &bo, &ci, err)))
            break;
        gs->ci_low = ci.low;
        gs->ci_high = ci.high;
    }
    free(member);
    return st;
}

/* ---- counterfactual: paired gaps ------------------------------------------- */

static enum bb_status one_gap(const double *sum, const size_t *cnt, size_t n_sets, int ng,
                              const struct bb_cf_opts *opt, uint64_t k, struct bb_cf_gap *gp,
                              double *d, struct bb_error *err)
{
    size_t m = 0;
    for (size_t s = 0; s < n_sets; s++) {
        size_t ia = s * (size_t)ng + (size_t)gp->a, ib = s * (size_t)ng + (size_t)gp->b;
        if (cnt[ia] && cnt[ib])
            d[m++] = sum[ia] / (double)cnt[ia] - sum[ib] / (double)cnt[ib];
    }
    gp->n_sets = m;
    gp->gap = gp->ci_low = gp->ci_high = gp->p_value = NAN;
    gp->exact = false;
    if (!m)
        return BB_OK;
    double s = 0;
    for (size_t i = 0; i < m; i++)
        s += d[i];
    gp->gap = s / (double)m;
    enum bb_status st = bb_cf_signflip(d, m, opt->budget, mix_seed(opt->perm_seed, k), &gp->p_value,
                                       &gp->exact, err);
    if (st || opt->boot.replicates <= 0)
        return st;
    struct bb_bootstrap_opts bo = opt->boot;
    bo.seed = mix_seed(opt->boot.seed ^ UINT64_C(0x5bd1e995), k);
    struct bb_ci ci;
    if ((st = bb_stats_bootstrap_ci(m, bb_stats_mean_at, d, &bo, &ci, err)))
        return st;
    gp->ci_low = ci.low;
    gp->ci_high = ci.high;
    return BB_OK;
}

static enum bb_status gaps(const struct bb_cf_input *in, const struct bb_cf_grouping *g,
                           const struct bb_cf_opts *opt, struct bb_cf_result *out,
                           struct bb_error *err)
{
    int ng = g->n_groups;
    size_t cells = in->n_sets * (size_t)ng;
    double *sum = calloc(cells ? cells : 1, sizeof *sum);
    size_t *cnt = calloc(cells ? cells : 1, sizeof *cnt);
    double *d = malloc((in->n_sets ? in->n_sets : 1) * sizeof *d);
    size_t npairs = (size_t)ng * (size_t)(ng > 0 ? ng - 1 : 0) / 2;
    out->gaps = calloc(npairs ? npairs : 1, sizeof *out->gaps);
    enum bb_status st = BB_OK;
    if (!sum || !cnt || !d || !out->gaps) {
        st = nomem(err);
        goto done;
    }
    for (size_t i = 0; i < in->n; i++) {
        if (g->gid[i] < 0)
            continue;
        size_t c = in->set_id[i] * (size_t)ng + (size_t)g->gid[i];
        sum[c] += in->score[i];
        cnt[c]++;
    }
    out->largest = -1;
    double best = -1;
    for (int a = 0; a < ng && !st; a++) {
        for (int b = a + 1; b < ng && !st; b++) {
            struct bb_cf_gap *gp = &out->gaps[out->n_gaps];
            gp->a = a;
            gp->b = b;
            st = one_gap(sum, cnt, in->n_sets, ng, opt, out->n_gaps, gp, d, err);
            if (!st && !isnan(gp->gap) && fabs(gp->gap) > best) {
                best = fabs(gp->gap);
                out->largest = (long)out->n_gaps;
            }
            out->n_gaps++;
        }
    }
done:
    free(sum);
    free(cnt);
    free(d);
    return st;
}

/* ---- counterfactual: fairness on predictions ------------------------------- */

/* Items that have a group, with their group, 0/1 outcome and gold label. */
struct rated {
    size_t n;
    int n_groups;
    int *grp, *sel, *label;
    size_t *sel_n, *n_g, *tp, *pos, *fp, *neg; /* per-group counters (scratch) */
};

static void rated_free(struct rated *r)
{
    free(r->grp);
    free(r->sel);
    free(r->label);
    free(r->sel_n);
    free(r->n_g);
    free(r->tp);
    free(r->pos);
    free(r->fp);
    free(r->neg);
}

static double median_of(const double *x, size_t n, const int *gid)
{
    double *v = malloc((n ? n : 1) * sizeof *v), med = NAN;
    size_t m = 0;
    if (!v)
        return NAN;
    for (size_t i = 0; i < n; i++)
        if (gid[i] >= 0)
            v[m++] = x[i];
    struct bb_error e = {0};
    if (m && bb_stats_percentile(v, m, 50.0, &med, &e))
        med = NAN;
    free(v);
    return med;
}

static enum bb_status rated_init(const struct bb_cf_input *in, const struct bb_cf_grouping *g,
                                 struct rated *r, struct bb_error *err)
{
    memset(r, 0, sizeof *r);
    size_t n = in->n, ng = (size_t)g->n_groups + 1;
    r->n_groups = g->n_groups;
    r->grp = malloc(n * sizeof *r->grp);
    r->sel = malloc(n * sizeof *r->sel);
    r->label = malloc(n * sizeof *r->label);
    r->sel_n = malloc(ng * sizeof *r->sel_n);
    r->n_g = malloc(ng * sizeof *r->n_g);
    r->tp = malloc(ng * sizeof *r->tp);
    r->pos = malloc(ng * sizeof *r->pos);
    r->fp = malloc(ng * sizeof *r->fp);
    r->neg = malloc(ng * sizeof *r->neg);
    if (!r->grp || !r->sel || !r->label || !r->sel_n || !r->n_g || !r->tp || !r->pos || !r->fp ||
        !r->neg)
        return nomem(err);
    double med = in->pred ? NAN : median_of(in->score, n, g->gid);
    for (size_t i = 0; i < n; i++) {
        if (g->gid[i] < 0)
            continue;
        r->grp[r->n] = g->gid[i];
        r->sel[r->n] = in->pred ? in->pred[i] : in->score[i] > med;
        r->label[r->n] = in->label ? in->label[i] : -1;
        r->n++;
    }
    return BB_OK;
}

static void rated_count(struct rated *r, const int *idx, size_t n)
{
    size_t ng = (size_t)r->n_groups;
    memset(r->sel_n, 0, ng * sizeof *r->sel_n);
    memset(r->n_g, 0, ng * sizeof *r->n_g);
    memset(r->tp, 0, ng * sizeof *r->tp);
    memset(r->pos, 0, ng * sizeof *r->pos);
    memset(r->fp, 0, ng * sizeof *r->fp);
    memset(r->neg, 0, ng * sizeof *r->neg);
    for (size_t k = 0; k < n; k++) {
        size_t i = idx ? (size_t)idx[k] : k;
        int g = r->grp[i];
        r->n_g[g]++;
        r->sel_n[g] += (size_t)r->sel[i];
        if (r->label[i] == 1) {
            r->pos[g]++;
            r->tp[g] += (size_t)r->sel[i];
        } else if (r->label[i] == 0) {
            r->neg[g]++;
            r->fp[g] += (size_t)r->sel[i];
        }
    }
}

/* max - min (want_ratio: min / max) of num/den over groups with den > 0. */
static double spread(const size_t *num, const size_t *den, int ng, bool want_ratio)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int g = 0; g < ng; g++) {
        if (!den[g])
            continue;
        double v = (double)num[g] / (double)den[g];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (hi < lo)
        return NAN;
    if (want_ratio)
        return hi > 0 ? lo / hi : NAN;
    return hi - lo;
}

static double dp_diff_stat(const int *idx, size_t n, void *v)
{
    struct rated *r = v;
    rated_count(r, idx, n);
    return spread(r->sel_n, r->n_g, r->n_groups, false);
}

static double dp_ratio_stat(const int *idx, size_t n, void *v)
{
    struct rated *r = v;
    rated_count(r, idx, n);
    return spread(r->sel_n, r->n_g, r->n_groups, true);
}

static double eo_diff_stat(const int *idx, size_t n, void *v)
{
    struct rated *r = v;
    rated_count(r, idx, n);
    double t = spread(r->tp, r->pos, r->n_groups, false);
    double f = spread(r->fp, r->neg, r->n_groups, false);
    if (isnan(t) || isnan(f))
        return NAN;
    return t > f ? t : f;
}

/* A bootstrap CI of a fairness statistic: NaN bounds when it is undefined for the data. */
static enum bb_status boot_ci(size_t n, bb_stat_fn fn, void *ctx, const struct bb_cf_opts *opt,
                              uint64_t k, double *lo, double *hi, struct bb_error *err)
{
    *lo = *hi = NAN;
    if (opt->boot.replicates <= 0 || !n)
        return BB_OK;
    struct bb_bootstrap_opts bo = opt->boot;
    bo.seed = mix_seed(opt->boot.seed ^ UINT64_C(0xfa1c0ffee), k);
    struct bb_ci ci;
    struct bb_error e = {0};
    enum bb_status st = bb_stats_bootstrap_ci(n, fn, ctx, &bo, &ci, &e);
    if (st)
        return optional(st, &e, err);
    *lo = ci.low;
    *hi = ci.high;
    return BB_OK;
}

static enum bb_status fairness(const struct bb_cf_input *in, const struct bb_cf_grouping *g,
                               const struct bb_cf_opts *opt, struct bb_cf_result *out,
                               struct bb_error *err)
{
    struct rated r;
    struct bb_group_rate *rates = calloc((size_t)g->n_groups, sizeof *rates);
    enum bb_status st = rated_init(in, g, &r, err);
    if (!st && !rates)
        st = nomem(err);
    out->n_rated = r.n;
    out->dp.difference = out->dp.ratio = NAN;
    out->dp_diff_low = out->dp_diff_high = out->dp_ratio_low = out->dp_ratio_high = NAN;
    out->eo_diff_low = out->eo_diff_high = NAN;
    if (st || !r.n)
        goto done;
    if ((st = bb_fairness_selection_rates(r.grp, r.sel, r.n, g->n_groups, rates, err)))
        goto done;
    for (int k = 0; k < g->n_groups; k++)
        out->groups[k].rate = rates[k];
    if ((st = bb_fairness_demographic_parity(rates, g->n_groups, &out->dp, err)))
        goto done;
    if ((st = boot_ci(r.n, dp_diff_stat, &r, opt, 1, &out->dp_diff_low, &out->dp_diff_high,
                      err)) ||
        (st = boot_ci(r.n, dp_ratio_stat, &r, opt, 2, &out->dp_ratio_low, &out->dp_ratio_high,
                      err)))
        goto done;
    /* equalized odds: predictions against gold labels, labelled items only */
    if (!in->pred || !in->label)
        goto done;
    size_t m = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.label[i] < 0)
            continue;
        r.grp[m] = r.grp[i];
        r.sel[m] = r.sel[i];
        r.label[m] = r.label[i];
        m++;
    }
    out->n_labelled = m;
    struct bb_error e2 = {0};
    enum bb_status es = m ? bb_fairness_equalized_odds(r.grp, r.sel, r.label, m, g->n_groups,
                                                       &out->eo, NULL, NULL, &e2)
                          : BB_E_INPUT;
    if (es) {
        st = optional(es, &e2, err);
        goto done;
    }
    out->has_eo = true;
    st = boot_ci(m, eo_diff_stat, &r, opt, 3, &out->eo_diff_low, &out->eo_diff_high, err);
done:
    free(rates);
    rated_free(&r);
    return st;
}

/* ---- counterfactual: all of one grouping ------------------------------------- */

void bb_cf_result_free(struct bb_cf_result *r)
{
    free(r->groups);
    free(r->gaps);
    memset(r, 0, sizeof *r);
}

static enum bb_status check_input(const struct bb_cf_input *in, const struct bb_cf_grouping *g,
                                  struct bb_error *err)
{
    if (!in->n || g->n_groups < 1)
        return bb_fail(err, BB_E_INPUT, "counterfactual analysis of '%s': no items or no groups",
                       g->name);
    for (size_t i = 0; i < in->n; i++) {
        if (!isfinite(in->score[i]))
            return bb_fail(err, BB_E_INPUT, "counterfactual item %zu: score is not finite", i);
        if (in->set_id[i] >= in->n_sets)
            return bb_fail(err, BB_E_INPUT,
                           "counterfactual item %zu: set %zu out of range (%zu sets)", i,
                           in->set_id[i], in->n_sets);
        if (g->gid[i] < -1 || g->gid[i] >= g->n_groups)
            return bb_fail(err, BB_E_INPUT,
                           "counterfactual item %zu: group %d out of range for '%s'", i, g->gid[i],
                           g->name);
        if (in->pred && in->pred[i] != 0 && in->pred[i] != 1)
            return bb_fail(err, BB_E_INPUT, "counterfactual item %zu: prediction %d is not 0/1", i,
                           in->pred[i]);
        if (in->label && (in->label[i] < -1 || in->label[i] > 1))
            return bb_fail(err, BB_E_INPUT, "counterfactual item %zu: label %d is not -1/0/1", i,
                           in->label[i]);
    }
    return BB_OK;
}

enum bb_status bb_cf_analyze(const struct bb_cf_input *in, const struct bb_cf_grouping *g,
                             const struct bb_cf_opts *opt, struct bb_cf_result *out,
                             struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    out->largest = -1;
    enum bb_status st = check_input(in, g, err);
    if (st)
        return st;
    out->n_groups = g->n_groups;
    if (!(out->groups = calloc((size_t)g->n_groups, sizeof *out->groups))) {
        st = nomem(err);
        goto done;
    }
    if ((st = group_means(in, g, opt, out, err)))
        goto done;
    if ((st = gaps(in, g, opt, out, err)))
        goto done;
    st = fairness(in, g, opt, out, err);
done:
    if (st)
        bb_cf_result_free(out);
    return st;
}
