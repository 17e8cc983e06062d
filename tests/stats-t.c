/* stats-t.c: unit tests of src/metrics/rng, stats and weat: hand-computed
 * cases (values also checked once against scipy), bootstrap reproducibility,
 * hand-enumerated WEAT permutations, and the WEFE/sent-bias WEAT golden
 * (tests/golden/weat-synthetic.txt from tests/reference/weat_reference.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/rng.h"
#include "metrics/stats.h"
#include "metrics/weat.h"
#include "tap.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_rng(void)
{
    struct bb_rng a, b;
    bb_rng_seed(&a, 42);
    bb_rng_seed(&b, 42);
    uint64_t first = bb_rng_next(&a);
    ok(first == bb_rng_next(&b), "rng: same seed, same first output");
    /* Expected outputs from an independent big-integer Python transcription
     * of splitmix64 + xoshiro256** (Blackman & Vigna's reference code). */
    ok(first == 0x15780b2e0c2ec716ULL && bb_rng_next(&a) == 0x6104d9866d113a7eULL &&
           bb_rng_next(&a) == 0xae17533239e499a1ULL,
       "rng: seed 42 gives the reference stream (first %016llx)", (unsigned long long)first);
    bb_rng_seed(&b, 43);
    ok(bb_rng_next(&b) != first, "rng: different seed, different output");

    struct bb_rng r;
    bb_rng_seed(&r, 7);
    long counts[7] = {0};
    int bad = 0;
    for (int i = 0; i < 70000; i++) {
        uint64_t v = bb_rng_below(&r, 7);
        if (v >= 7)
            bad++;
        else
            counts[v]++;
    }
    int spread_ok = !bad;
    for (int k = 0; k < 7; k++)
        spread_ok &= labs(counts[k] - 10000) < 500; /* 5 sigma is ~475 */
    ok(spread_ok, "rng: below(7) stays in range and is near-uniform");
    is_int(0, (long long)bb_rng_below(&r, 0), "rng: below(0) is 0");

    double umin = 1, umax = 0;
    for (int i = 0; i < 10000; i++) {
        double u = bb_rng_uniform(&r);
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
    }
    ok(umin >= 0 && umax < 1 && umin < 0.01 && umax > 0.99, "rng: uniform in [0, 1)");

    int p[10], seen[10] = {0};
    for (int i = 0; i < 10; i++)
        p[i] = i;
    bb_rng_shuffle(&r, p, 10);
    int perm = 1;
    for (int i = 0; i < 10; i++)
        perm &= p[i] >= 0 && p[i] < 10 && !seen[p[i]]++;
    ok(perm, "rng: shuffle is a permutation");

    int ch[8] = {0, 1, 2, 3, 4, 5, 6, 7}, seen2[8] = {0}, chosen_ok = 1;
    bb_rng_choose(&r, ch, 8, 3);
    for (int i = 0; i < 8; i++)
        chosen_ok &= ch[i] >= 0 && ch[i] < 8 && !seen2[ch[i]]++;
    ok(chosen_ok, "rng: choose keeps a permutation of the items");

    int out[50], inrange = 1;
    bb_rng_resample(&r, 100, 5, out, 50);
    for (int i = 0; i < 50; i++)
        inrange &= out[i] >= 100 && out[i] < 105;
    ok(inrange, "rng: resample draws from [base, base + n)");
}

static void test_descriptive(void)
{
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    is_double(5.0, bb_stats_mean(x, 8), 1e-15, "mean");
    is_double(32.0 / 7.0, bb_stats_variance(x, 8), 1e-14, "sample variance (ddof 1) = 32/7");
    is_double(sqrt(32.0 / 7.0), bb_stats_stddev(x, 8), 1e-14, "sample stddev");
    ok(isnan(bb_stats_variance(x, 1)), "variance of 1 value is NaN");
    ok(isnan(bb_stats_mean(x, 0)), "mean of 0 values is NaN");

    double px[] = {1, 2, 3, 4, 5}, py[] = {2, 4, 5, 4, 5};
    /* sxy = 6, sxx = 10, syy = 6: r = 6 / sqrt(60) (scipy: 0.7745966692414834) */
    is_double(6.0 / sqrt(60.0), bb_stats_pearson(px, py, 5), 1e-14, "pearson = 6/sqrt(60)");
    double cst[] = {3, 3, 3, 3, 3};
    ok(isnan(bb_stats_pearson(px, cst, 5)), "pearson with a constant side is NaN");

    double sx[] = {1, 2, 2, 3, 4}, sy[] = {10, 20, 30, 30, 50}, rk[5];
    bb_stats_rank(sx, 5, rk, NULL);
    ok(rk[0] == 1 && rk[1] == 2.5 && rk[2] == 2.5 && rk[3] == 4 && rk[4] == 5,
       "rank: ties get average ranks (1, 2.5, 2.5, 4, 5)");
    double rho = 0;
    enum bb_status st = bb_stats_spearman(sx, sy, 5, &rho, NULL);
    /* ranks (1,2.5,2.5,4,5) vs (1,2,3.5,3.5,5): 8.75 / 9.5 (scipy: 0.9210526315789475) */
    ok(st == BB_OK, "spearman with ties returns OK");
    is_double(8.75 / 9.5, rho, 1e-14, "spearman with ties = 8.75/9.5");
    double nx[] = {1, NAN, 3};
    struct bb_error err = {0};
    st = bb_stats_spearman(nx, nx, 3, &rho, &err);
    is_int(BB_E_INPUT, st, "spearman with NaN is BB_E_INPUT");
    contains(err.msg, "NaN", "spearman NaN error names the problem");

    double q[] = {4, 1, 3, 2}, v = 0;
    bb_stats_percentile(q, 4, 25, &v, NULL);
    is_double(1.75, v, 1e-15, "percentile 25 of 1..4 = 1.75 (numpy linear)");
    bb_stats_percentile(q, 4, 50, &v, NULL);
    is_double(2.5, v, 1e-15, "percentile 50 of 1..4 = 2.5");
    bb_stats_percentile(q, 4, 100, &v, NULL);
    is_double(4.0, v, 0, "percentile 100 = max");
    double ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    is_double(1.225, bb_stats_percentile_sorted(ten, 10, 2.5), 1e-14, "percentile 2.5 of 1..10 = 1.225");
    is_int(BB_E_INPUT, bb_stats_percentile(q, 4, 101, &v, NULL), "percentile q > 100 is BB_E_INPUT");
}

static double mean_cb(const int *idx, size_t n, void *ctx)
{
    const double *x = ctx;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[idx[i]];
    return s / (double)n;
}

static double mean_plus1_cb(const int *idx, size_t n, void *ctx)
{
    return mean_cb(idx, n, ctx) + 1.0;
}

static double nan_cb(const int *idx, size_t n, void *ctx)
{
    (void)idx, (void)n, (void)ctx;
    return NAN;
}

/* 1 when every idx entry stays in its block (sizes 3, 5, 2), else NaN. */
static double strata_cb(const int *idx, size_t n, void *ctx)
{
    (void)ctx;
    if (n != 10)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        int lo = i < 3 ? 0 : (i < 8 ? 3 : 8), hi = i < 3 ? 3 : (i < 8 ? 8 : 10);
        if (idx[i] < lo || idx[i] >= hi)
            return NAN;
    }
    return 1.0;
}

static void test_bootstrap(void)
{
    size_t sizes[] = {3, 5, 2};
    struct bb_ci sc;
    struct bb_bootstrap_opts so = bb_bootstrap_opts_default();
    enum bb_status sst = bb_stats_bootstrap_ci_strata(sizes, 3, strata_cb, NULL, &so, &sc, NULL);
    ok(sst == BB_OK && sc.replicates_used == 1000, "stratified bootstrap keeps indices in their blocks");
    size_t bad_sizes[] = {3, 0};
    is_int(BB_E_INPUT, bb_stats_bootstrap_ci_strata(bad_sizes, 2, strata_cb, NULL, &so, &sc, NULL),
           "stratified bootstrap rejects an empty block");

    double x[200];
    struct bb_rng r;
    bb_rng_seed(&r, 1);
    for (int i = 0; i < 200; i++)
        x[i] = bb_rng_uniform(&r); /* sd ~ 0.2887 */
    struct bb_bootstrap_opts o = bb_bootstrap_opts_default();
    is_int(1000, o.replicates, "bootstrap default B = 1000");
    o.seed = 11;
    struct bb_ci a, b, c;
    bb_stats_bootstrap_ci(200, mean_cb, x, &o, &a, NULL);
    bb_stats_bootstrap_ci(200, mean_cb, x, &o, &b, NULL);
    ok(a.low == b.low && a.high == b.high, "bootstrap: same seed, identical CI");
    o.seed = 12;
    bb_stats_bootstrap_ci(200, mean_cb, x, &o, &c, NULL);
    ok(a.low != c.low || a.high != c.high, "bootstrap: different seed, different CI");
    is_double(bb_stats_mean(x, 200), a.estimate, 1e-15, "bootstrap estimate is the statistic on all items");
    is_int(1000, a.replicates_used, "bootstrap: all replicates used");
    ok(a.low < a.estimate && a.estimate < a.high, "bootstrap CI contains the estimate");
    double se = bb_stats_stddev(x, 200) / sqrt(200.0);
    is_double(2 * 1.96 * se, a.high - a.low, 0.25 * 2 * 1.96 * se,
              "bootstrap CI width ~ 2 * 1.96 * SE of the mean");
    struct bb_error err = {0};
    is_int(BB_E_INPUT, bb_stats_bootstrap_ci(200, nan_cb, x, &o, &a, &err),
           "bootstrap: all-NaN statistic is BB_E_INPUT");
    contains(err.msg, "NaN", "bootstrap NaN error says so");
    o.replicates = 0;
    is_int(BB_E_INPUT, bb_stats_bootstrap_ci(200, mean_cb, x, &o, &a, NULL), "bootstrap: B = 0 rejected");

    o = bb_bootstrap_opts_default();
    size_t n = 200;
    struct bb_paired pr;
    bb_stats_paired_bootstrap(&n, 1, mean_cb, x, mean_plus1_cb, x, &o, &pr, NULL);
    is_double(-1.0, pr.diff, 1e-12, "paired bootstrap: diff of mean and mean+1 is -1");
    ok(fabs(pr.low + 1) < 1e-12 && fabs(pr.high + 1) < 1e-12, "paired bootstrap: constant diff, CI [-1, -1]");
    is_double(2.0 / 1001.0, pr.p_value, 1e-15, "paired bootstrap: p = 2 (1 + 0) / (1 + B)");
    bb_stats_paired_bootstrap(&n, 1, mean_cb, x, mean_cb, x, &o, &pr, NULL);
    is_double(1.0, pr.p_value, 0, "paired bootstrap: identical statistics, p = 1");
}

static void test_tests(void)
{
    is_double(0.975, bb_stats_normal_cdf(1.959963984540054), 1e-15, "normal cdf(1.96) = 0.975");
    is_double(0.06680720126885807, bb_stats_normal_cdf(-1.5), 1e-15, "normal cdf(-1.5)");
    is_double(1.959963984540054, bb_stats_normal_quantile(0.975), 1e-12, "normal quantile(0.975)");

    struct bb_test_result t;
    bb_stats_ztest_2prop(45, 100, 30, 100, &t, NULL);
    /* p = .375, se = sqrt(.375 .625 .02), z = .15 / se (scipy: 2.1908902300206647, p 0.02845973691631055) */
    is_double(0.15 / sqrt(0.375 * 0.625 * 0.02), t.statistic, 1e-12, "z-test 45/100 vs 30/100: z");
    is_double(0.02845973691631055, t.p_value, 1e-12, "z-test 45/100 vs 30/100: p");
    bb_stats_ztest_2prop(0, 10, 0, 20, &t, NULL);
    is_double(1.0, t.p_value, 0, "z-test with pooled rate 0: p = 1");
    is_int(BB_E_INPUT, bb_stats_ztest_2prop(11, 10, 0, 20, &t, NULL), "z-test k > n rejected");

    bb_stats_fisher_exact(3, 1, 1, 3, &t, NULL);
    is_double(34.0 / 70.0, t.p_value, 1e-12, "Fisher tea tasting 3/1/1/3: p = 34/70 = 0.4857");
    is_double(9.0, t.statistic, 1e-12, "Fisher tea tasting odds ratio 9");
    bb_stats_fisher_exact(8, 2, 1, 5, &t, NULL);
    is_double(0.034965034965034975, t.p_value, 1e-12, "Fisher 8/2/1/5: p (scipy 0.034965)");

    enum bb_mcnemar_method m;
    bb_stats_mcnemar(10, 2, &t, &m, NULL);
    is_int(BB_MCNEMAR_EXACT, m, "McNemar b+c = 12 uses the exact binomial");
    is_double(158.0 / 4096.0, t.p_value, 1e-14, "McNemar exact 10/2: p = 2 (1+12+66)/4096");
    bb_stats_mcnemar(30, 12, &t, &m, NULL);
    is_int(BB_MCNEMAR_CHI2_CC, m, "McNemar b+c = 42 uses chi-square with continuity");
    is_double(289.0 / 42.0, t.statistic, 1e-12, "McNemar chi2 = (|30-12|-1)^2/42");
    is_double(0.008711912962379598, t.p_value, 1e-12, "McNemar chi2 p (scipy chi2.sf)");
    bb_stats_mcnemar(0, 0, &t, &m, NULL);
    is_double(1.0, t.p_value, 0, "McNemar with no discordant pairs: p = 1");

    double lo, hi;
    bb_stats_wilson_ci(5, 10, 0.95, &lo, &hi, NULL);
    is_double(0.236593090512564, lo, 1e-9, "Wilson 5/10 95%% low");
    is_double(0.7634069094874361, hi, 1e-9, "Wilson 5/10 95%% high");
    bb_stats_wilson_ci(1, 50, 0.90, &lo, &hi, NULL);
    is_double(0.00447456410650985, lo, 1e-9, "Wilson 1/50 90%% low");
    is_double(0.08480529424830946, hi, 1e-9, "Wilson 1/50 90%% high");

    double p[] = {0.01, 0.04, 0.03, 0.005}, adj[4];
    bb_stats_holm(p, 4, adj, NULL);
    /* sorted .005 .01 .03 .04 times 4 3 2 1 = .02 .03 .06 .04 -> running max .02 .03 .06 .06 */
    ok(fabs(adj[0] - 0.03) < 1e-15 && fabs(adj[1] - 0.06) < 1e-15 && fabs(adj[2] - 0.06) < 1e-15 &&
           fabs(adj[3] - 0.02) < 1e-15,
       "Holm on {.01,.04,.03,.005} = {.03,.06,.06,.02}");
    bb_stats_bh(p, 4, adj, NULL);
    ok(fabs(adj[0] - 0.02) < 1e-15 && fabs(adj[1] - 0.04) < 1e-15 && fabs(adj[2] - 0.04) < 1e-15 &&
           fabs(adj[3] - 0.02) < 1e-15,
       "BH on {.01,.04,.03,.005} = {.02,.04,.04,.02} (scipy false_discovery_control)");
    double big[] = {0.5, 0.9};
    bb_stats_holm(big, 2, adj, NULL);
    ok(adj[0] == 1.0 && adj[1] == 1.0, "Holm caps at 1");
    double badp[] = {0.5, 1.5};
    is_int(BB_E_INPUT, bb_stats_bh(badp, 2, adj, NULL), "BH rejects p > 1");
}

/* A cosine table with one A and one B column where cos(t, A) = s[t] and
 * cos(t, B) = 0, so s(t) is exactly s[t]. */
static struct bb_weat_cos table_from_s(const double *s, size_t nx, size_t ny, double *buf)
{
    for (size_t t = 0; t < nx + ny; t++) {
        buf[2 * t] = s[t];
        buf[2 * t + 1] = 0;
    }
    return (struct bb_weat_cos){.cos = buf, .nx = nx, .ny = ny, .na = 1, .nb = 1};
}

static void test_weat_by_hand(void)
{
    double buf[64];
    /* X = {.9, .1}, Y = {.5, -.3}: observed .8; the 6 partitions give
     * .8, 1.6, 0, 0, -1.6, -.8, so p = 2/6. es = .4 / sqrt(.8/3). */
    double s1[] = {0.9, 0.1, 0.5, -0.3};
    struct bb_weat_cos c = table_from_s(s1, 2, 2, buf);
    struct bb_weat_result r;
    bb_weat_run(&c, NULL, &r, NULL);
    ok(r.p_exact, "weat n=2: exact");
    is_int(6, (long long)r.permutations, "weat n=2: C(4,2) = 6 partitions");
    is_int(2, (long long)r.count_ge, "weat n=2: 2 partitions >= observed");
    is_double(2.0 / 6.0, r.p_value, 0, "weat n=2: p = 2/6");
    is_double(0.8, r.statistic, 1e-15, "weat n=2: statistic .8");
    is_double(0.4 / sqrt(0.8 / 3.0), r.effect_size, 1e-14, "weat n=2: effect size .4/sqrt(.8/3)");

    /* Ties that only floating point tells apart: X = {.1, .2}, Y = {.3, 0}.
     * Partitions: {.1,.2} 0 (observed), {.1,.3} .2, {.1,0} -.4, {.2,.3} .4,
     * {.2,0} -.2, {.3,0} 0 (a tie): 4/6. */
    double s2[] = {0.1, 0.2, 0.3, 0.0};
    c = table_from_s(s2, 2, 2, buf);
    bb_weat_run(&c, NULL, &r, NULL);
    is_int(4, (long long)r.count_ge, "weat ties: 0.1+0.2 vs 0.3 counted as equal (slack)");

    /* n = 3: X = {3, 1, 2}, Y = {0, -1, 1}: observed 6 = 2 sum(S) - 6 needs
     * sum(S) >= 6: {3,1,2} and {3,2,1'} only, 2 of C(6,3) = 20. */
    double s3[] = {3, 1, 2, 0, -1, 1};
    c = table_from_s(s3, 3, 3, buf);
    bb_weat_run(&c, NULL, &r, NULL);
    is_int(20, (long long)r.permutations, "weat n=3: C(6,3) = 20 partitions");
    is_double(0.1, r.p_value, 0, "weat n=3: p = 2/20");

    /* Sampled: budget 5 < C(6,3) = 20 forces sampling; p = (1 + k) / (1 + 5). */
    struct bb_weat_opts o = {.budget = 5, .seed = 3};
    struct bb_weat_result r2;
    bb_weat_run(&c, &o, &r, NULL);
    bb_weat_run(&c, &o, &r2, NULL);
    ok(!r.p_exact && r.permutations == 5, "weat sampled when C(2n,n) > budget");
    is_double((1.0 + (double)r.count_ge) / 6.0, r.p_value, 0, "weat sampled p = (1 + count) / (1 + N)");
    ok(r.count_ge == r2.count_ge, "weat sampled p is reproducible under a seed");
    o.budget = 20000;
    bb_weat_run(&c, &o, &r, NULL);
    /* Budget above C(6,3) = 20: every partition enumerated, so the exact p
     * of the hand case above (2/20), never a sampled estimate. */
    ok(r.p_exact, "weat: budget 20000 on C(6,3)=20 is exact (p_exact set)");
    is_int(20, (long long)r.permutations, "weat: budget 20000: all 20 partitions enumerated");
    is_int(2, (long long)r.count_ge, "weat: budget 20000: 2 partitions >= the observed");
    is_double(0.1, r.p_value, 0, "weat: budget 20000: p = 2/20 exactly");

    is_int(12870, (long long)bb_weat_binom_capped(16, 8, 100000), "C(16,8) = 12870");
    ok(bb_weat_binom_capped(20, 10, 100000) == UINT64_MAX, "C(20,10) over the budget is capped");
    is_int(BB_E_INPUT, bb_weat_run(&c, &(struct bb_weat_opts){.budget = 0}, &r, NULL),
           "weat budget 0 rejected");
}

struct golden_case {
    char name[64];
    size_t nx, ny, na, nb, dim;
    double es1, es0, stat;
    long long parts, count;
    float *m; /* (nx+ny+na+nb, dim) */
};

static int read_case(FILE *f, struct golden_case *g)
{
    if (fscanf(f, " case %63s %zu %zu %zu %zu %zu", g->name, &g->nx, &g->ny, &g->na, &g->nb, &g->dim) != 6)
        return 0;
    if (fscanf(f, " expect %lf %lf %lf %lld %lld", &g->es1, &g->es0, &g->stat, &g->parts, &g->count) != 5)
        return 0;
    size_t rows = g->nx + g->ny + g->na + g->nb;
    if (rows == 0 || rows > 4096 || g->dim == 0 || g->dim > 4096)
        return 0;
    g->m = malloc(rows * g->dim * sizeof *g->m);
    if (!g->m)
        return 0;
    for (size_t i = 0; i < rows * g->dim; i++)
        if (fscanf(f, "%f", &g->m[i]) != 1)
            return 0;
    return 1;
}

static struct bb_weat_sets case_sets(const struct golden_case *g)
{
    const float *x = g->m, *y = x + g->nx * g->dim, *a = y + g->ny * g->dim, *b = a + g->na * g->dim;
    return (struct bb_weat_sets){x, y, a, b, g->nx, g->ny, g->na, g->nb, g->dim};
}

static void check_golden_case(struct golden_case *g, struct bb_weat_cos *planted)
{
    struct bb_weat_sets s = case_sets(g);
    struct bb_weat_cos c;
    struct bb_error err = {0};
    if (bb_weat_cos_init(&c, &s, &err) != BB_OK) {
        ok(0, "golden %s: cosine table (%s)", g->name, err.msg);
        return;
    }
    struct bb_weat_result r;
    bb_weat_run(&c, NULL, &r, NULL);
    is_double(g->es1, r.effect_size, 1e-6, "golden %s: effect size (ddof 1) vs WEFE", g->name);
    double n = (double)(g->nx + g->ny);
    is_double(g->es0, r.effect_size * sqrt(n / (n - 1)), 1e-6, "golden %s: WEFE's ddof-0 effect size",
              g->name);
    is_double(g->stat, r.statistic, 1e-9, "golden %s: test statistic vs WEFE", g->name);
    ok(r.p_exact && (long long)r.permutations == g->parts && (long long)r.count_ge == g->count,
       "golden %s: exact p = %lld/%lld (got %llu/%llu)", g->name, g->count, g->parts,
       (unsigned long long)r.count_ge, (unsigned long long)r.permutations);
    if (!strcmp(g->name, "weak9")) {
        /* Sampled with 20000 draws must land near the exact p (sd ~ 0.0013). */
        struct bb_weat_opts o = {.budget = 20000, .seed = 17};
        struct bb_weat_result rs;
        bb_weat_run(&c, &o, &rs, NULL);
        is_double((double)g->count / (double)g->parts, rs.p_value, 0.006,
                  "golden %s: sampled p (20000 draws) near the exact p", g->name);
    }
    if (!strcmp(g->name, "planted8") && planted)
        *planted = c;
    else
        bb_weat_cos_free(&c);
}

static void test_weat_golden(void)
{
    const char *path = test_src_path("tests/golden/weat-synthetic.txt");
    FILE *f = fopen(path, "r");
    if (!f)
        bail("%s: cannot open", path);
    char magic[16] = "";
    int version = 0, ncases = 0;
    char line[512];
    if (fscanf(f, "%15s %d", magic, &version) != 2 || strcmp(magic, "BBWEAT") || version != 1)
        bail("%s: expected header 'BBWEAT 1', found '%s %d'", path, magic, version);
    while (fscanf(f, " #%511[^\n]", line) == 1)
        ;
    if (fscanf(f, " cases %d", &ncases) != 1 || ncases < 1 || ncases > 100)
        bail("%s: expected 'cases N'", path);
    is_int(5, ncases, "golden: 5 WEAT cases");
    struct bb_weat_cos planted = {0};
    struct golden_case planted_case = {0};
    for (int k = 0; k < ncases; k++) {
        struct golden_case g = {0};
        if (!read_case(f, &g))
            bail("%s: case %d is malformed", path, k + 1);
        check_golden_case(&g, &planted);
        if (!strcmp(g.name, "planted8"))
            planted_case = g;
        else
            free(g.m);
    }
    fclose(f);
    if (!planted.cos)
        bail("%s: no case named planted8", path);

    /* The double-precision entry point gives the same table. */
    struct bb_weat_sets s = case_sets(&planted_case);
    size_t rows = planted_case.nx + planted_case.ny + planted_case.na + planted_case.nb;
    double *md = malloc(rows * planted_case.dim * sizeof *md);
    for (size_t i = 0; i < rows * planted_case.dim; i++)
        md[i] = planted_case.m[i];
    size_t d = s.dim;
    struct bb_weat_sets_d sd = {md, md + s.nx * d, md + (s.nx + s.ny) * d,
                                md + (s.nx + s.ny + s.na) * d, s.nx, s.ny, s.na, s.nb, d};
    struct bb_weat_cos cd;
    bb_weat_cos_init_d(&cd, &sd, NULL);
    double maxdiff = 0;
    for (size_t i = 0; i < (s.nx + s.ny) * (s.na + s.nb); i++)
        maxdiff = fmax(maxdiff, fabs(cd.cos[i] - planted.cos[i]));
    is_double(0, maxdiff, 0, "weat: float and double inputs give the same cosine table");
    bb_weat_cos_free(&cd);

    /* Sampled p on planted8 (exact 1/12870): with 2000 samples p = (1+k)/2001, tiny. */
    struct bb_weat_opts o = {.budget = 2000, .seed = 5};
    struct bb_weat_result r;
    bb_weat_run(&planted, &o, &r, NULL);
    ok(!r.p_exact && r.p_value < 0.01, "weat planted8 sampled p < 0.01 (got %g)", r.p_value);

    /* Bootstrap CI of the effect size and the paired bootstrap. */
    struct bb_bootstrap_opts bo = bb_bootstrap_opts_default();
    bo.seed = 9;
    struct bb_ci ci, ci2;
    bb_weat_bootstrap_ci(&planted, &bo, &ci, NULL);
    bb_weat_bootstrap_ci(&planted, &bo, &ci2, NULL);
    ok(ci.low < ci.estimate && ci.estimate <= ci.high && ci.low == ci2.low && ci.high == ci2.high,
       "weat bootstrap CI [%g, %g] contains %g, reproducible", ci.low, ci.high, ci.estimate);
    struct bb_paired pr;
    bb_weat_paired_bootstrap(&planted, &planted, &bo, &pr, NULL);
    ok(pr.diff == 0 && pr.low == 0 && pr.high == 0 && pr.p_value == 1,
       "weat paired bootstrap of a model with itself: diff 0, CI [0,0], p 1");

    /* Model 2: the same items with A and B swapped, so s flips sign. */
    size_t nat = planted.na + planted.nb, nt = planted.nx + planted.ny;
    double *flip = malloc(nt * nat * sizeof *flip);
    for (size_t t = 0; t < nt; t++)
        for (size_t j = 0; j < nat; j++)
            flip[t * nat + j] = planted.cos[t * nat + (j < planted.na ? planted.na + j : j - planted.na)];
    struct bb_weat_cos m2 = {flip, planted.nx, planted.ny, planted.nb, planted.na};
    bb_weat_paired_bootstrap(&planted, &m2, &bo, &pr, NULL);
    is_double(2 * ci.estimate, pr.diff, 1e-12, "weat paired: diff of es and -es is 2 es");
    ok(pr.low > 0 && pr.p_value < 0.01, "weat paired: CI [%g, %g] excludes 0, p = %g", pr.low,
       pr.high, pr.p_value);
    struct bb_weat_cos bad = {flip, planted.nx, planted.ny - 1, planted.nb, planted.na};
    struct bb_error err = {0};
    is_int(BB_E_INPUT, bb_weat_paired_bootstrap(&planted, &bad, &bo, &pr, &err),
           "weat paired: different set sizes rejected");
    contains(err.msg, "set sizes differ", "weat paired size error says so");
    free(flip);
    free(md);
    free(planted_case.m);
    bb_weat_cos_free(&planted);
}

static void test_weat_bad_input(void)
{
    float x[] = {1, 0, 0, 0, 1, 0}, y[] = {0, 0, 0, 0, 0, 1}; /* y row 0 is a zero vector */
    float a[] = {1, 1, 0}, b[] = {0, 1, 1};
    struct bb_weat_sets s = {x, y, a, b, 2, 2, 1, 1, 3};
    struct bb_weat_cos c;
    struct bb_error err = {0};
    is_int(BB_E_INPUT, bb_weat_cos_init(&c, &s, &err), "weat: zero vector rejected");
    contains(err.msg, "set Y row 0", "weat zero-vector error names set and row");
    s.ny = 0;
    is_int(BB_E_INPUT, bb_weat_cos_init(&c, &s, &err), "weat: empty set rejected");
    s = (struct bb_weat_sets){x, y + 3, a, b, 1, 1, 1, 1, 0};
    is_int(BB_E_INPUT, bb_weat_cos_init(&c, &s, &err), "weat: dim 0 rejected");
    float nanv[] = {NAN, 0, 0};
    s = (struct bb_weat_sets){nanv, y + 3, a, b, 1, 1, 1, 1, 3};
    is_int(BB_E_INPUT, bb_weat_cos_init(&c, &s, &err), "weat: NaN embedding rejected");
}

int main(void)
{
    plan_lazy();
    test_rng();
    test_descriptive();
    test_bootstrap();
    test_tests();
    test_weat_by_hand();
    test_weat_golden();
    test_weat_bad_input();
    return tap_failures() ? 1 : 0;
}
