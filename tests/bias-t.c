/* bias-t.c: tests of the bias tasks' statistics (src/tasks/bias.c): the
 * multiple-comparison adjustment, the sign-flip test, the counterfactual
 * aggregation on a hand-computed case, and the WEAT/SEAT computation
 * against tests/golden/seat-minilm.txt (WEFE and sent-bias's exact p over
 * the sentence-transformers embeddings in seat-minilm-emb.bin). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite/dataset.h"
#include "tap.h"
#include "metrics/bias.h"

/* ---- adjust, sign flip ------------------------------------------------------ */

static void test_adjust(void)
{
    double p[4] = {0.01, NAN, 0.04, 0.03}, adj[4];
    struct bb_error err = {0};
    ok(bb_bias_adjust(p, 4, BB_SUITE_CORRECTION_HOLM, adj, &err) == BB_OK, "holm with a NaN");
    /* family of 3: sorted .01 .03 .04 -> .03, .06, .06 */
    is_double(0.03, adj[0], 1e-15, "holm p1");
    ok(isnan(adj[1]), "NaN stays NaN and is not in the family");
    is_double(0.06, adj[2], 1e-15, "holm p3 (monotone)");
    is_double(0.06, adj[3], 1e-15, "holm p4");
    ok(bb_bias_adjust(p, 4, BB_SUITE_CORRECTION_BH, adj, &err) == BB_OK, "bh");
    /* bh: .01*3/1=.03, .03*3/2=.045, .04*3/3=.04 -> step-up min: .03, .04, .04 */
    is_double(0.03, adj[0], 1e-15, "bh p1");
    is_double(0.04, adj[3], 1e-15, "bh p4 = min(.045, .04)");
    ok(bb_bias_adjust(p, 4, BB_SUITE_CORRECTION_NONE, adj, &err) == BB_OK && adj[2] == 0.04,
       "none copies");
}

static void test_signflip(void)
{
    struct bb_error err = {0};
    double d[3] = {1, 2, 3}, p;
    bool exact;
    /* sums over the 8 sign vectors: +-6, +-4, +-2, 0, 0: |sum| >= 6 twice */
    ok(bb_cf_signflip(d, 3, 8, 1, &p, &exact, &err) == BB_OK && exact, "exact when 2^3 <= 8");
    is_double(0.25, p, 0, "sign-flip p = 2/8");
    double z[2] = {1, -1};
    bb_cf_signflip(z, 2, 100, 1, &p, &exact, &err);
    is_double(1.0, p, 0, "observed mean 0: p = 1");
    double p2;
    ok(bb_cf_signflip(d, 3, 4, 7, &p, &exact, &err) == BB_OK && !exact, "sampled when 2^3 > 4");
    bb_cf_signflip(d, 3, 4, 7, &p2, &exact, &err);
    /* Seed 7's first four xoshiro256** outputs (splitmix64-seeded), low three
     * bits as signs (bit set = flip): sums 2, 2, -4, 6 (worked out by hand from
     * the published algorithms in a separate Python transcription). |sum| >= 6
     * once, so p = (1 + 1) / (1 + 4) = 0.4. */
    is_double(0.4, p, 0, "sampled p = (1+k)/(1+N) = 2/5 for seed 7 (k = 1 of 4 draws)");
    is_double(p, p2, 0, "sampled p is reproducible under a seed");
    ok(bb_cf_signflip(d, 0, 4, 7, &p, &exact, &err) == BB_OK && isnan(p), "no sets: NaN");
    ok(bb_cf_signflip(d, 3, 0, 7, &p, &exact, &err) == BB_E_INPUT, "budget 0 is an input error");
}

/* ---- counterfactual aggregation ---------------------------------------------- */

/* Two sets of four sentences (two female, two male names) and one sentence
 * without a gender (gid -1, an absurd score that must not count). */
static const double SCORE[9] = {0.9, 0.7, 0.5, 0.3, 0.8, 0.6, 0.6, 0.2, 100};
static const size_t SET[9] = {0, 0, 0, 0, 1, 1, 1, 1, 0};
static const int GID[9] = {0, 0, 1, 1, 0, 0, 1, 1, -1};
static const int PRED[9] = {1, 1, 0, 0, 1, 1, 1, 0, 1};
static const int LABEL[9] = {1, 1, 1, 1, 0, 0, 0, 0, -1};
static const char *const GNAMES[2] = {"gender=female", "gender=male"};

static void test_cf_hand(void)
{
    struct bb_cf_input in = {9, SCORE, SET, 2, PRED, LABEL};
    struct bb_cf_grouping g = {"gender", 2, GNAMES, GID};
    struct bb_cf_opts o = {{200, 0.95, 11}, 100000, 3};
    struct bb_cf_result r;
    struct bb_error err = {0};
    ok(bb_cf_analyze(&in, &g, &o, &r, &err) == BB_OK, "analyze: %s", err.msg);
    is_int(4, (long long)r.groups[0].n, "female n");
    is_double(0.75, r.groups[0].mean, 1e-12, "female mean (item without gender left out)");
    is_double(0.40, r.groups[1].mean, 1e-12, "male mean");
    ok(r.groups[0].ci_low <= 0.75 && r.groups[0].ci_high >= 0.75 && r.groups[0].ci_low >= 0.6 &&
       r.groups[0].ci_high <= 0.9, "female CI [%g, %g] inside the data", r.groups[0].ci_low,
       r.groups[0].ci_high);
    is_int(1, (long long)r.n_gaps, "one pair");
    /* set 0: 0.8 - 0.4 = 0.4; set 1: 0.7 - 0.4 = 0.3 */
    is_double(0.35, r.gaps[0].gap, 1e-12, "paired gap female - male");
    ok(r.gaps[0].exact, "exact sign flip over 2 sets");
    is_double(0.5, r.gaps[0].p_value, 0, "p = #{|+-.4+-.3| >= .7}/4 = 2/4");
    /* Bootstrap over the two set gaps {.4, .3}: a replicate's mean is .3, .35
     * or .4, the extremes each with probability 1/4 (about 50 of 200), so the
     * 2.5% and 97.5% percentiles are exactly .3 and .4. */
    is_double(0.3, r.gaps[0].ci_low, 1e-12, "gap CI low = .3 (both sets the .3 gap)");
    is_double(0.4, r.gaps[0].ci_high, 1e-12, "gap CI high = .4 (both sets the .4 gap)");
    is_int(0, r.largest, "largest gap");
    is_int(8, (long long)r.n_rated, "fairness sample: items with a gender");
    is_double(1.0, r.groups[0].rate.rate, 0, "female selection rate 4/4");
    is_double(0.25, r.groups[1].rate.rate, 0, "male selection rate 1/4");
    is_double(0.75, r.dp.difference, 1e-15, "demographic parity difference");
    is_double(0.25, r.dp.ratio, 1e-15, "demographic parity ratio");
    is_double(0.25, r.groups[1].rate.impact_ratio, 1e-15, "male impact ratio");
    ok(r.groups[0].rate.reference, "female is the reference group");
    ok(r.groups[1].rate.test == BB_RATE_TEST_FISHER, "n < 30: Fisher");
    /* [[4,0],[1,3]]: tables with a = 4 and a = 1 each 5/70 */
    is_double(10.0 / 70.0, r.groups[1].rate.p_value, 1e-9, "Fisher p = 10/70");
    ok(r.has_eo, "gold labels: equalized odds");
    /* TPR f 1, m 0; FPR f 1, m 1/2 */
    is_double(1.0, r.eo.difference, 1e-15, "equalized odds difference");
    is_double(0.0, r.eo.ratio, 1e-15, "equalized odds ratio");
    bb_cf_result_free(&r);

    /* Predictions constant within each group (female 1, male 0): every item
     * bootstrap replicate that holds both groups has DP difference 1 - 0 = 1
     * and ratio 0; a replicate of 8 draws misses a group with probability
     * 2/256, far too rarely to move the 2.5% percentile of 200. So the DP CI
     * is exactly [1, 1], the ratio's [0, 0]. */
    static const int PRED2[9] = {1, 1, 0, 0, 1, 1, 0, 0, 1};
    in.pred = PRED2;
    ok(bb_cf_analyze(&in, &g, &o, &r, &err) == BB_OK, "analyze, predictions constant per group");
    is_double(1.0, r.dp.difference, 0, "constant per group: DP difference 1");
    is_double(1.0, r.dp_diff_low, 0, "constant per group: DP difference CI low 1");
    is_double(1.0, r.dp_diff_high, 0, "constant per group: DP difference CI high 1");
    is_double(0.0, r.dp_ratio_low, 0, "constant per group: DP ratio CI low 0");
    is_double(0.0, r.dp_ratio_high, 0, "constant per group: DP ratio CI high 0");
    bb_cf_result_free(&r);
    in.pred = PRED;

    /* continuous scores: scoring rate, threshold = median 0.6 (strictly above) */
    in.pred = NULL;
    ok(bb_cf_analyze(&in, &g, &o, &r, &err) == BB_OK, "analyze without predictions");
    is_double(0.75, r.groups[0].rate.rate, 0, "female scoring rate 3/4");
    is_double(0.0, r.groups[1].rate.rate, 0, "male scoring rate 0/4");
    ok(!r.has_eo, "no predictions: no equalized odds");
    bb_cf_result_free(&r);

    /* bad input */
    int bad[9];
    memcpy(bad, GID, sizeof bad);
    bad[3] = 2;
    g.gid = bad;
    ok(bb_cf_analyze(&in, &g, &o, &r, &err) == BB_E_INPUT && strstr(err.msg, "item 3"),
       "group out of range names the item: %s", err.msg);
}

/* ---- SEAT golden --------------------------------------------------------------- */

struct golden_test {
    char name[256];
    uint32_t n[4];
    float *v; /* (nx + ny + na + nb, dim) */
};

static uint32_t rd_u32(FILE *f, bool *good)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) {
        *good = false;
        return 0;
    }
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int read_emb(const char *path, struct golden_test *t, int max, uint32_t *dim)
{
    FILE *f = fopen(path, "rb");
    char magic[8];
    bool good = f && fread(magic, 1, 8, f) == 8 && !memcmp(magic, "BBSEAT1", 8);
    uint32_t ver = good ? rd_u32(f, &good) : 0, nt = good ? rd_u32(f, &good) : 0;
    *dim = good ? rd_u32(f, &good) : 0;
    good = good && ver == 1 && nt <= (uint32_t)max && *dim > 0 && *dim <= 4096;
    int k = 0;
    for (; good && k < (int)nt; k++) {
        uint32_t len = rd_u32(f, &good);
        good = good && len < sizeof t[k].name && fread(t[k].name, 1, len, f) == len;
        if (!good)
            break;
        t[k].name[len] = 0;
        size_t rows = 0;
        for (int s = 0; s < 4; s++)
            rows += (t[k].n[s] = rd_u32(f, &good));
        good = good && rows > 0 && rows < 100000;
        t[k].v = good ? malloc(rows * *dim * sizeof(float)) : NULL;
        good = t[k].v && fread(t[k].v, sizeof(float), rows * *dim, f) == rows * *dim;
    }
    if (f)
        fclose(f);
    return good ? k : -1;
}

static void check_seat_counts(const struct golden_test *t)
{
    const char *path = test_shared_data(t->name);
    struct bb_seat_test st;
    struct bb_error err = {0};
    if (bb_seat_load(path, &st, &err) != BB_OK) {
        ok(false, "%s loads: %s", t->name, err.msg);
        return;
    }
    ok(st.targ1.n == t->n[0] && st.targ2.n == t->n[1] && st.attr1.n == t->n[2] &&
       st.attr2.n == t->n[3], "%s: set sizes match the golden's items", t->name);
    bb_seat_free(&st);
}

static void test_seat_golden(void)
{
    struct golden_test t[16];
    memset(t, 0, sizeof t);
    uint32_t dim = 0;
    int nt = read_emb(test_src_path("tests/golden/seat-minilm-emb.bin"), t, 16, &dim);
    ok(nt == 8, "golden embeddings read (%d tests, dim %u)", nt, dim);
    FILE *f = fopen(test_src_path("tests/golden/seat-minilm.txt"), "r");
    char line[1024];
    int k = -1;
    double es1 = NAN, es0 = NAN, stat = NAN, worst = 0;
    while (f && nt > 0 && fgets(line, sizeof line, f)) {
        char name[256];
        unsigned long parts, count;
        if (!strncmp(line, "test ", 5) && sscanf(line + 5, "%255s", name) == 1) {
            k++;
            ok(k < nt && !strcmp(name, t[k].name), "golden test %d is %s", k, name);
            if (k >= nt)
                break;
            check_seat_counts(&t[k]);
        } else if (sscanf(line, "es %lf %lf %lf", &es1, &es0, &stat) == 3 && k >= 0 && k < nt) {
            const struct golden_test *g = &t[k];
            size_t off[4] = {0, g->n[0], g->n[0] + g->n[1], g->n[0] + g->n[1] + g->n[2]};
            struct bb_weat_sets s = {g->v, g->v + off[1] * dim, g->v + off[2] * dim,
                                     g->v + off[3] * dim, g->n[0], g->n[1], g->n[2], g->n[3], dim};
            struct bb_assoc_opts o = {100000, 5, {k == 0 ? 300 : 0, 0.95, 9}};
            struct bb_assoc_result r;
            struct bb_error err = {0};
            if (!ok(bb_assoc_run(&s, &o, &r, &err) == BB_OK, "%s: association runs", g->name))
                continue;
            double n = g->n[0] + g->n[1];
            double diff = fabs(r.w.effect_size - es1);
            worst = diff > worst ? diff : worst;
            ok(diff <= 1e-6, "%s: effect size %.12f vs WEFE (ddof 1) %.12f, |diff| %.2e", g->name,
               r.w.effect_size, es1, diff);
            is_double(es0, r.w.effect_size * sqrt(n / (n - 1)), 1e-6,
                      "%s: WEFE's own ddof-0 number", g->name);
            is_double(stat, r.w.statistic, 1e-9, "%s: test statistic", g->name);
            if (k == 0)
                ok(r.ci_low < r.w.effect_size && r.w.effect_size < r.ci_high,
                   "%s: bootstrap CI [%g, %g] holds the effect size", g->name, r.ci_low, r.ci_high);
            /* the next line says how the p-value compares */
            if (fgets(line, sizeof line, f) &&
                sscanf(line, "p exact %lu %lu", &parts, &count) == 2) {
                ok(r.w.p_exact && r.w.permutations == parts && r.w.count_ge == count,
                   "%s: exact p %llu/%llu = sent-bias's %lu/%lu", g->name,
                   (unsigned long long)r.w.count_ge, (unsigned long long)r.w.permutations, count,
                   parts);
                ok(r.w.p_value == (double)count / (double)parts, "%s: p-value bit-equal", g->name);
            } else {
                ok(!r.w.p_exact && r.w.permutations == 100000 && r.w.p_value > 0 && r.w.p_value <= 1,
                   "%s: sampled p %g (C(%g, %u) > budget)", g->name, r.w.p_value, n, g->n[0]);
            }
            bb_assoc_result_free(&r);
        }
    }
    ok(f && k == nt - 1, "every golden test checked");
    diag("SEAT golden: largest |effect size - WEFE(ddof 1)| = %.3e", worst);
    if (f)
        fclose(f);
    for (int i = 0; i < 16; i++)
        free(t[i].v);
}

int main(void)
{
    plan_lazy();
    test_adjust();
    test_signflip();
    test_cf_hand();
    test_seat_golden();
    return tap_failures() ? 1 : 0;
}
