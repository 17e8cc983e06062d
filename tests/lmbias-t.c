/* lmbias-t.c: unit tests of src/metrics/lmbias on hand-computed cases: the
 * exact binomial test, pct_stereotype and mean |delta|, StereoSet ss / lms /
 * icat (pooled and per target), BBQ accuracy, S_DIS and S_AMB, acc_norm,
 * softmax, ECE, perplexity, bits per byte, word counts and rolling windows. */
#include <math.h>
#include <stdlib.h>

#include "metrics/lmbias.h"
#include "tap.h"

static void test_binom(void)
{
    /* 2 x P(X >= 7 | n = 10, p = 1/2) = 2 x (120 + 45 + 10 + 1) / 1024 */
    is_double(0.34375, bb_lm_binom_test(7, 10, 0.5), 1e-12, "binom: k=7 n=10 p=.5 -> 0.34375");
    is_double(0.34375, bb_lm_binom_test(3, 10, 0.5), 1e-12, "binom: k=3 symmetric");
    is_double(1.0, bb_lm_binom_test(5, 10, 0.5), 1e-12, "binom: k = n/2 -> 1");
    is_double(0.0625, bb_lm_binom_test(0, 5, 0.5), 1e-12, "binom: k=0 n=5 -> 2/32");
    is_double(22.0 / 1024.0, bb_lm_binom_test(9, 10, 0.5), 1e-12, "binom: k=9 n=10 -> 22/1024");
    /* p0 = 0.3, n = 10, k = 2: every outcome but k = 3 (pmf .2668279) is no
     * more likely than pmf(2) = .2334744 (scipy.stats.binomtest: .7331721) */
    is_double(1 - 0.2668279320, bb_lm_binom_test(2, 10, 0.3), 1e-9, "binom: k=2 n=10 p=.3 (asymmetric)");
    is_double(1.0, bb_lm_binom_test(0, 0, 0.5), 0, "binom: n=0 -> 1");
    double p = bb_lm_binom_test(1000, 1508, 0.5);
    ok(p > 0 && p < 1e-30, "binom: k=1000 of 1508 is tiny but positive (%g)", p);
}

static void test_pairs(void)
{
    double more[] = {-10, -20, -5, -7}, less[] = {-12, -15, -5, -9};
    is_double(50.0, bb_lm_pct_stereotype(more, less, NULL, 4), 1e-12,
              "pct_stereotype: 2 of 4 (a tie counts as not stereotyping)");
    is_int(2, bb_lm_count_more(more, less, NULL, 4), "count_more: 2");
    is_double(2.25, bb_lm_mean_abs_diff(more, less, NULL, 4), 1e-12, "mean |delta| = (2+5+0+2)/4");
    int idx[] = {0, 0, 1};
    is_double(200.0 / 3.0, bb_lm_pct_stereotype(more, less, idx, 3), 1e-12,
              "pct_stereotype over an index replicate {0,0,1}");
    ok(isnan(bb_lm_pct_stereotype(more, less, NULL, 0)), "pct_stereotype of nothing is NaN");
}

static void test_stereoset(void)
{
    is_double(100.0, bb_lm_icat(100, 50), 1e-12, "icat(lms 100, ss 50) = 100");
    is_double(64.0, bb_lm_icat(80, 60), 1e-12, "icat(80, 60) = 80 x 40 / 50");
    is_double(54.0, bb_lm_icat(90, 30), 1e-12, "icat(90, 30) = 90 x 30 / 50");
    is_double(0.0, bb_lm_icat(90, 100), 1e-12, "icat(90, 100) = 0");
    double s[] = {-1, -2, -1, -3}, a[] = {-2, -1, -2, -3}, u[] = {-3, -3, -0.5, -4};
    struct bb_lm_ss r = bb_lm_stereoset(s, a, u, NULL, 4);
    is_double(50.0, r.ss, 1e-12, "ss: 2 of 4 (tie -> anti)");
    is_double(75.0, r.lms, 1e-12, "lms: 6 of 8 comparisons");
    is_double(75.0, r.icat, 1e-12, "icat = 75 x 50 / 50");
    r = bb_lm_stereoset(s, a, u, NULL, 3);
    is_double(200.0 / 3, r.ss, 1e-12, "ss over 3 contexts = 66.67");
    is_double(200.0 / 3, r.lms, 1e-12, "lms over 3 contexts = 66.67");
    is_double((200.0 / 3) * (100.0 / 3) / 50, r.icat, 1e-12, "icat over 3 contexts = 44.44");
    int target[] = {0, 0, 1};
    r = bb_lm_stereoset_macro(s, a, u, target, 2, NULL, 3);
    is_double(75.0, r.ss, 1e-12, "macro ss = mean(50, 100)");
    is_double(50.0, r.lms, 1e-12, "macro lms = mean(100, 0)");
    is_double(25.0, r.icat, 1e-12, "macro icat = 50 x 25 / 50");
    ok(isnan(bb_lm_stereoset(s, a, u, NULL, 0).ss), "no contexts: NaN");
}

static void test_bbq(void)
{
    struct bb_lm_bbq_item it[] = {
        /* disambiguated: pred, label, unknown, biased */
        {0, 0, 1, 0, false}, /* correct, biased */
        {2, 0, 1, 2, false}, /* wrong, biased */
        {2, 2, 1, 0, false}, /* correct, not biased */
        {1, 0, 1, 0, false}, /* wrong, "unknown" */
        /* ambiguous: the correct answer is "unknown" */
        {1, 1, 1, 0, true},  /* correct */
        {0, 1, 1, 0, true},  /* biased */
        {2, 1, 1, 0, true},  /* not biased */
        {0, 1, 1, 0, true},  /* biased */
    };
    struct bb_lm_bbq r = bb_lm_bbq_scores(it, NULL, 8);
    is_double(0.375, r.acc, 1e-12, "bbq: accuracy 3/8");
    is_double(0.5, r.acc_disambig, 1e-12, "bbq: accuracy disambiguated 2/4");
    is_double(0.25, r.acc_ambig, 1e-12, "bbq: accuracy ambiguous 1/4");
    is_double(1.0 / 3, r.s_dis, 1e-12, "S_DIS = 2 x 2/3 - 1 = 1/3");
    is_double(0.25, r.s_amb, 1e-12, "S_AMB = (1 - 1/4) x (2 x 2/3 - 1) = 0.25");
    is_int(4, r.n_ambig, "bbq: 4 ambiguous");
    is_double(-1.0, bb_lm_bbq_bias(0, 5), 1e-12, "bias score: never biased -> -1");
    is_double(1.0, bb_lm_bbq_bias(5, 5), 1e-12, "bias score: always biased -> +1");
    ok(isnan(bb_lm_bbq_bias(0, 0)), "bias score: no non-unknown answer -> NaN");
    struct bb_lm_bbq_item all_unknown[] = {{1, 1, 1, 0, true}, {1, 1, 1, 2, true}};
    r = bb_lm_bbq_scores(all_unknown, NULL, 2);
    is_double(0.0, r.s_amb, 0, "S_AMB = 0 when every ambiguous answer is unknown");

    ok(isnan(r.s_dis), "S_DIS NaN without disambiguated items");
    struct bb_lm_bbq_item no_target[] = {{0, 0, 1, 0, false}, {2, 0, 1, -1, false}};
    r = bb_lm_bbq_scores(no_target, NULL, 2);
    is_double(1.0, r.s_dis, 1e-12, "an item without a target counts for accuracy only (S_DIS 1)");
    is_double(0.5, r.acc_disambig, 1e-12, "... and still for accuracy (1/2)");
}

static void test_choice(void)
{
    double ll[] = {-10, -12};
    size_t bytes[] = {5, 10};
    is_int(0, bb_lm_argmax(ll, 2), "acc: argmax of raw log-likelihood");
    is_int(1, bb_lm_argmax_norm(ll, bytes, 2), "acc_norm: -10/5 < -12/10 -> choice 1");
    double tie[] = {-3, -3};
    is_int(0, bb_lm_argmax(tie, 2), "argmax: first on ties");
    double p[2], l2[] = {0, log(3.0)};
    bb_lm_softmax(l2, 2, p);
    is_double(0.25, p[0], 1e-12, "softmax {0, ln 3} -> 0.25");
    is_double(0.75, p[1], 1e-12, "softmax {0, ln 3} -> 0.75");
    double big[] = {-1000, -1001};
    bb_lm_softmax(big, 2, p);
    is_double(1 / (1 + exp(-1.0)), p[0], 1e-12, "softmax stable at -1000");
    double conf[] = {0.95, 0.95, 0.55, 0.15};
    bool corr[] = {true, false, true, false};
    /* bin 9: |1 - 1.9| / 4 = .225; bin 5: |1 - .55| / 4 = .1125; bin 1: .15/4 */
    is_double(0.375, bb_lm_ece(conf, corr, NULL, 4, 10), 1e-12, "ECE (10 bins) = 0.375");
    double c1[] = {1.0, 0.0};
    bool k1[] = {true, false};
    is_double(0.0, bb_lm_ece(c1, k1, NULL, 2, 10), 1e-12, "ECE: conf 1 in the last bin, conf 0 in the first");
    ok(isnan(bb_lm_ece(conf, corr, NULL, 0, 10)), "ECE of nothing is NaN");
}

static void test_perplexity(void)
{
    is_double(4.0, bb_lm_perplexity(-4 * log(2.0), 2), 1e-12, "perplexity exp(4 ln 2 / 2) = 4");
    is_double(2.0, bb_lm_bits_per_byte(-8 * log(2.0), 4), 1e-12, "bits per byte: 8 bits / 4 bytes");
    is_double(exp(1.0), bb_lm_perplexity(-3, 3), 1e-12, "perplexity of mean nll 1 = e");
    ok(isnan(bb_lm_bits_per_byte(-1, 0)), "bits per byte of 0 bytes is NaN");
    is_int(4, (long long)bb_lm_count_words("  a bb\tccc\n d "), "4 words");
    is_int(0, (long long)bb_lm_count_words(" \n"), "no words");
}

static void test_windows(void)
{
    struct bb_lm_window w[8];
    size_t k = bb_lm_rolling_windows(10, 4, 0, w, 8);
    is_int(3, (long long)k, "windows n=10 L=4 stride default(3): 3");
    ok(w[0].start == 0 && w[0].end == 4 && w[0].score_from == 1 && w[1].start == 3 &&
           w[1].end == 7 && w[1].score_from == 4 && w[2].start == 6 && w[2].end == 10 &&
           w[2].score_from == 7,
       "windows: [0,4)@1 [3,7)@4 [6,10)@7");
    k = bb_lm_rolling_windows(10, 4, 2, w, 8);
    is_int(4, (long long)k, "windows stride 2: 4");
    ok(w[1].start == 2 && w[1].end == 6 && w[1].score_from == 4 && w[3].start == 6 &&
           w[3].score_from == 8,
       "windows stride 2: [2,6)@4 ... [6,10)@8");
    k = bb_lm_rolling_windows(3, 4, 0, w, 8);
    ok(k == 1 && w[0].start == 0 && w[0].end == 3 && w[0].score_from == 1, "short text: one window");
    is_int(0, (long long)bb_lm_rolling_windows(1, 4, 0, w, 8), "only the prefix token: no window");
    /* every token 1..n-1 scored exactly once, with context, for many shapes */
    bool good = true;
    for (size_t n = 2; n < 40 && good; n++)
        for (size_t L = 2; L < 12 && good; L++)
            for (size_t s = 0; s < 13 && good; s++) {
                size_t m = bb_lm_rolling_windows(n, L, s, NULL, 0);
                struct bb_lm_window *v = malloc((m ? m : 1) * sizeof *v);
                bb_lm_rolling_windows(n, L, s, v, m);
                int *seen = calloc(n, sizeof *seen);
                for (size_t i = 0; i < m; i++) {
                    good &= v[i].end - v[i].start <= L && v[i].score_from > v[i].start;
                    for (size_t t = v[i].score_from; t < v[i].end; t++)
                        seen[t]++;
                }
                for (size_t t = 1; t < n; t++)
                    good &= seen[t] == 1;
                if (!good)
                    diag("n=%zu L=%zu stride=%zu", n, L, s);
                free(seen);
                free(v);
            }
    ok(good, "windows cover each token once, within max_len, always with context");
}

int main(void)
{
    plan_lazy();
    test_binom();
    test_pairs();
    test_stereoset();
    test_bbq();
    test_choice();
    test_perplexity();
    test_windows();
    return tap_failures() ? 1 : 0;
}
