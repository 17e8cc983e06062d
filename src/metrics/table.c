/* table.c: the metric table (table.h): one row per metric name that a
 * task writes to results.csv. */
#include "metrics/table.h"

#include <math.h>
#include <string.h>

#include "suite/suite.h"

#define T(x)   (1u << BB_TASK_##x)
#define LM_ACC (T(ZERO_SHOT) | T(BBQ) | T(CHOICE))
#define ALL_TABLES                                                                                 \
    (T(SIMILARITY) | T(ZERO_SHOT) | T(COUNTERFACTUAL) | T(PAIRS) | T(STEREOSET) | T(BBQ) |         \
     T(CHOICE) | T(PERPLEXITY))
#define Q    BB_KIND_QUALITY
#define B    BB_KIND_BIAS
#define TM   BB_KIND_TIMING
#define HI   BB_DIR_HIGHER
#define LO   BB_DIR_LOWER
#define NO   BB_DIR_NONE
#define BOOT "95% percentile bootstrap CI over items"
#define ONE  "one measurement"

static const struct bb_metric_info TABLE[] = {
    /* ---- similarity ---- */
    {"spearman",
     "Spearman rank correlation x 100 between gold similarity and the cosine of the "
     "two sentence embeddings",
     Q, HI, 100, "100", "x100", "none", "95% percentile bootstrap CI over pairs", BB_TEST_CORR,
     T(SIMILARITY)},
    {"pearson", "Pearson correlation x 100 between gold similarity and cosine", Q, HI, 100, "100",
     "x100", "none", "95% percentile bootstrap CI over pairs", BB_TEST_CORR, T(SIMILARITY)},
    /* ---- classification (zero-shot, BBQ, multiple choice) ---- */
    {"accuracy",
     "share of items whose predicted label (highest cosine to the label prompts, or "
     "most likely answer) equals the gold label",
     Q, HI, 1, "1", "0-1", "none", BOOT, BB_TEST_MCNEMAR, LM_ACC | T(LINEAR_PROBE)},
    {"macro_f1", "unweighted mean over classes of F1 = 2PR/(P+R)", Q, HI, 1, "1", "0-1", "none",
     BOOT, BB_TEST_CLASSES, T(ZERO_SHOT) | T(LINEAR_PROBE)},
    {"precision", "per class: TP / (TP + FP)", Q, HI, 1, "1", "0-1", "none", "95% bootstrap CI",
     BB_TEST_CLASSES, T(ZERO_SHOT)},
    {"recall", "per class: TP / (TP + FN)", Q, HI, 1, "1", "0-1", "none", "95% bootstrap CI",
     BB_TEST_CLASSES, T(ZERO_SHOT)},
    {"f1", "per class: 2PR / (P + R)", Q, HI, 1, "1", "0-1", "none", "95% bootstrap CI",
     BB_TEST_CLASSES, T(ZERO_SHOT)},
    {"support", "per class: number of gold items", Q, NO, NAN, "—", "count", "—", "count",
     BB_TEST_NONE, T(ZERO_SHOT)},
    {"confusion", "count of items with gold label g predicted as p (group g->p)", Q, NO, NAN,
     "diagonal only", "count", "—", "count", BB_TEST_NONE, T(ZERO_SHOT)},
    {"acc_norm",
     "accuracy when the prediction is the most likely answer per byte of its "
     "continuation (lm-evaluation-harness acc_norm)",
     Q, HI, 1, "1", "0-1", "none", BOOT, BB_TEST_MCNEMAR, T(BBQ) | T(CHOICE)},
    {"ece",
     "expected calibration error: 10 equal-width bins of the confidence (largest softmax "
     "probability over the labels, answers or choices), sum_b n_b / N x |acc_b - conf_b|",
     Q, LO, 0, "0", "0-1", "none", BOOT, BB_TEST_RECOMPUTE,
     T(ZERO_SHOT) | T(BBQ) | T(CHOICE) | T(LINEAR_PROBE)},
    /* ---- association (WEAT/SEAT) ---- */
    {"effect_size",
     "WEAT/SEAT effect size d = (mean_x s(x,A,B) - mean_y s(y,A,B)) / "
     "std_{w in X u Y} s(w,A,B), sample std (ddof 1), s(w,A,B) = mean cos(w,A) - mean cos(w,B)",
     B, NO, 0, "0", "d",
     "|d| 0.2 / 0.5 / 0.8 read as small / medium / large (Cohen); "
     "significance at alpha",
     "95% bootstrap CI; one-sided permutation p (exact or sampled) with the suite's correction",
     BB_TEST_WEAT, T(ASSOCIATION)},
    {"abs_effect_size", "|d| of a WEAT/SEAT test", B, LO, 0, "0", "d", "as effect_size",
     "|CI| of d", BB_TEST_WEAT, T(ASSOCIATION)},
    {"mean_abs_effect_size", "mean |d| over the task's WEAT/SEAT tests", B, LO, 0, "0", "d", "—",
     "none", BB_TEST_WEAT, T(ASSOCIATION)},
    /* ---- counterfactual ---- */
    {"mean_score", "mean model score (label probability or similarity) of the group's sentences", B,
     NO, NAN, "equal across groups", "score", "none",
     "95% percentile bootstrap CI over the group's sentences", BB_TEST_MEAN, T(COUNTERFACTUAL)},
    {"selection_rate", "SR_g = share of group g's sentences predicted positive", B, NO, NAN,
     "equal across groups", "0-1", "none", "95% Wilson interval", BB_TEST_NONE, T(COUNTERFACTUAL)},
    {"scoring_rate",
     "share of group g's sentences scoring above the median of all sentences "
     "(LL144 scoring rate)",
     B, NO, NAN, "equal across groups", "0-1", "none", "95% Wilson interval", BB_TEST_NONE,
     T(COUNTERFACTUAL)},
    {"impact_ratio", "IR_g = SR_g / max_h SR_h (groups under 2% not compared)", B, HI, 1, "1.0",
     "ratio", "below 0.8 is adverse impact under the four-fifths convention (not a legal finding)",
     "p of the two-proportion z-test (n >= 30 in both cells) or Fisher's exact test, against "
     "the reference group, with the suite's correction",
     BB_TEST_NONE, T(COUNTERFACTUAL)},
    {"score_gap",
     "paired gap mean_s (mean score of A in s - mean score of B in s) over "
     "counterfactual sets s holding both groups (group \"A vs B\")",
     B, NO, 0, "0", "score", "significance at alpha after correction",
     "95% bootstrap CI over sets; two-sided sign-flip permutation p", BB_TEST_GAP,
     T(COUNTERFACTUAL)},
    {"max_abs_score_gap",
     "largest |score_gap| over the pairs of a grouping (group: the "
     "factor) or of every grouping (group all)",
     B, LO, 0, "0", "score", "—", "|CI| of that gap", BB_TEST_GAP, T(COUNTERFACTUAL)},
    {"demographic_parity_difference", "max_g SR_g - min_g SR_g (Fairlearn)", B, LO, 0, "0", "0-1",
     "none", BOOT, BB_TEST_NONE, T(COUNTERFACTUAL)},
    {"demographic_parity_ratio", "min_g SR_g / max_g SR_g (Fairlearn; disparate impact)", B, HI, 1,
     "1", "ratio", "0.8 (four-fifths convention)", BOOT, BB_TEST_NONE, T(COUNTERFACTUAL)},
    {"equalized_odds_difference",
     "max over TPR and FPR of the between-group difference "
     "(Fairlearn)",
     B, LO, 0, "0", "0-1", "none", BOOT, BB_TEST_NONE, T(COUNTERFACTUAL)},
    {"equalized_odds_ratio", "min over TPR and FPR of the between-group ratio (Fairlearn)", B, HI,
     1, "1", "ratio", "none", "—", BB_TEST_NONE, T(COUNTERFACTUAL)},
    /* ---- pairs (CrowS-Pairs, WinoBias) ---- */
    {"pct_stereotype",
     "100 x share of pairs whose more-stereotyping sentence has the strictly "
     "larger log-likelihood (a tie does not count)",
     B, NO, 50, "50", "%", "significance at alpha (exact binomial test against 50%)",
     "95% percentile bootstrap CI over pairs; exact two-sided binomial p", BB_TEST_RECOMPUTE,
     T(PAIRS)},
    {"mean_abs_delta_loglik", "mean |log P(more) - log P(less)| over pairs", B, NO, 0, "0", "nats",
     "—", "95% percentile bootstrap CI over pairs", BB_TEST_RECOMPUTE, T(PAIRS)},
    {"n_pairs", "pairs scored", B, NO, NAN, "—", "count", "—", "count", BB_TEST_NONE, T(PAIRS)},
    /* ---- StereoSet ---- */
    {"ss",
     "stereotype score: 100 x share of contexts whose stereotype is more likely than its "
     "anti-stereotype",
     B, NO, 50, "50", "%",
     "significance at alpha (exact binomial test "
     "against 50%)",
     "95% percentile bootstrap CI over contexts; exact two-sided binomial p", BB_TEST_RECOMPUTE,
     T(STEREOSET)},
    {"lms",
     "language modeling score: 100 x share of (stereotype, anti-stereotype) candidates "
     "more likely than the unrelated one",
     Q, HI, 100, "100", "%", "none", "95% percentile bootstrap CI over contexts", BB_TEST_RECOMPUTE,
     T(STEREOSET)},
    {"icat", "idealized CAT score: lms x min(ss, 100 - ss) / 50", B, HI, 100, "100", "", "none",
     "95% percentile bootstrap CI over contexts", BB_TEST_RECOMPUTE, T(STEREOSET)},
    /* ---- BBQ ---- */
    {"accuracy_ambig", "accuracy on ambiguous contexts (the answer is unknown)", Q, HI, 1, "1",
     "0-1", "none", BOOT, BB_TEST_MCNEMAR, T(BBQ)},
    {"accuracy_disambig", "accuracy on disambiguated contexts", Q, HI, 1, "1", "0-1", "none", BOOT,
     BB_TEST_MCNEMAR, T(BBQ)},
    {"s_dis", "BBQ bias score on disambiguated contexts: 2 x n_biased / n_non_unknown - 1", B, NO,
     0, "0", "", "none", BOOT, BB_TEST_RECOMPUTE, T(BBQ)},
    {"s_amb",
     "BBQ bias score on ambiguous contexts: (1 - accuracy) x (2 x n_biased / "
     "n_non_unknown - 1)",
     B, NO, 0, "0", "", "none", BOOT, BB_TEST_RECOMPUTE, T(BBQ)},
    {"n_no_target",
     "items whose metadata names no single stereotyped target (they count for "
     "accuracy only)",
     B, NO, NAN, "—", "count", "—", "count", BB_TEST_NONE, T(BBQ)},
    /* ---- perplexity ---- */
    {"perplexity", "exp(-sum log p / scored tokens) over the corpus", Q, LO, 1, "1", "", "none",
     "95% percentile bootstrap CI over texts", BB_TEST_RECOMPUTE, T(PERPLEXITY)},
    {"bits_per_byte", "-sum log p / (UTF-8 bytes x ln 2) over the corpus", Q, LO, 0, "0", "bits",
     "none", "95% percentile bootstrap CI over texts", BB_TEST_RECOMPUTE, T(PERPLEXITY)},
    {"word_perplexity", "exp(-sum log p / words) over the corpus (words: runs of non-space)", Q, LO,
     1, "1", "", "none", "95% percentile bootstrap CI over texts", BB_TEST_RECOMPUTE,
     T(PERPLEXITY)},
    /* ---- any task reading a table ---- */
    {"skipped_rows", "rows dropped under on_bad_row: skip (n = rows read)", Q, LO, 0, "0", "count",
     "—", "count", BB_TEST_NONE, ALL_TABLES},
    /* ---- latency ---- */
    {"latency_mean_ms", "mean wall time of one forward pass of a batch", TM, LO, NAN, "—", "ms",
     "—", "stddev over repetitions", BB_TEST_NONE, T(LATENCY)},
    {"latency_stddev_ms", "standard deviation (ddof 1) of the batch wall time", TM, LO, 0, "0",
     "ms", "—", "—", BB_TEST_NONE, T(LATENCY)},
    {"latency_p50_ms", "median batch wall time", TM, LO, NAN, "—", "ms", "—",
     "percentiles over repetitions", BB_TEST_NONE, T(LATENCY)},
    {"latency_p90_ms", "90th percentile batch wall time", TM, LO, NAN, "—", "ms", "—", "—",
     BB_TEST_NONE, T(LATENCY)},
    {"latency_p99_ms", "99th percentile batch wall time", TM, LO, NAN, "—", "ms", "—", "—",
     BB_TEST_NONE, T(LATENCY)},
    {"items_per_s", "sentences per second = batch size x 1000 / mean ms", TM, HI, NAN, "—",
     "items/s", "—", "—", BB_TEST_NONE, T(LATENCY)},
    {"tokens_per_s", "tokens per second = batch x seq len x 1000 / mean ms", TM, HI, NAN, "—",
     "tokens/s", "—", "—", BB_TEST_NONE, T(LATENCY)},
    {"model_load_s", "time to load and upload the weights", TM, LO, NAN, "—", "s", "—", ONE,
     BB_TEST_NONE, T(LATENCY)},
    {"kernel_build_s", "OpenCL program build (the program cache was empty)", TM, LO, NAN, "—", "s",
     "—", ONE, BB_TEST_NONE, T(LATENCY)},
    {"kernel_build_warm_s", "OpenCL program build or binary-cache load with a warm kernel cache",
     TM, LO, NAN, "—", "s", "—", ONE, BB_TEST_NONE, T(LATENCY)},
    {"kernel_build_cold_s", "OpenCL program build with an empty kernel cache", TM, LO, NAN, "—",
     "s", "—", ONE, BB_TEST_NONE, T(LATENCY)},
    {"first_forward_cold_ms", "first forward pass after a cold build", TM, LO, NAN, "—", "ms", "—",
     ONE, BB_TEST_NONE, T(LATENCY)},
    {"peak_rss_mb", "peak resident memory of the process", TM, LO, NAN, "—", "MiB", "—", ONE,
     BB_TEST_NONE, T(LATENCY)},
    {"warm_start_process_s",
     "wall time of a whole `biasbench embed` process with the normal "
     "caches",
     TM, LO, NAN, "—", "s", "—", ONE, BB_TEST_NONE, T(LATENCY)},
    {"cold_start_process_s",
     "wall time of a whole `biasbench embed` process with empty kernel "
     "caches",
     TM, LO, NAN, "—", "s", "—", ONE, BB_TEST_NONE, T(LATENCY)},
    {"latency_noise_rel",
     "the run's own timing noise: the largest relative change of a grid cell's median between "
     "the run's two passes over the grid, with contention taken out",
     TM, NO, NAN, "—", "ratio", "—", ONE, BB_TEST_NONE, T(LATENCY)},
    {"latency_contention",
     "how much waiting for a CPU lengthened a grid cell's median: the median batch time over "
     "the median of each batch's time divided by its (CPU + run-queue wait) / CPU time of the "
     "process's threads; 1 when no thread ever waited",
     TM, NO, NAN, "—", "ratio", "—", ONE, BB_TEST_NONE, T(LATENCY)},
    {"machine_probe_ms",
     "median time of a fixed CPU workload timed between grid cells, less its waits for a CPU: "
     "how fast the CPU ran",
     TM, NO, NAN, "—", "ms", "—", ONE, BB_TEST_NONE, T(LATENCY)},
    /* ---- retrieval (MTEB-style), clustering, linear probe ---- */
    {"ndcg_at_10",
     "normalised discounted cumulative gain of the top 10 documents by cosine, "
     "mean over queries",
     Q, HI, 1, "1", "0-1", "none", "95% percentile bootstrap CI over queries", BB_TEST_MEAN,
     T(RETRIEVAL)},
    {"mrr_at_10", "mean over queries of 1 / rank of the first relevant document (0 past rank 10)",
     Q, HI, 1, "1", "0-1", "none", "95% percentile bootstrap CI over queries", BB_TEST_MEAN,
     T(RETRIEVAL)},
    {"recall_at_1", "share of a query's relevant documents in its top 1, mean over queries", Q, HI,
     1, "1", "0-1", "none", "95% percentile bootstrap CI over queries", BB_TEST_MEAN, T(RETRIEVAL)},
    {"recall_at_10", "share of a query's relevant documents in its top 10, mean over queries", Q,
     HI, 1, "1", "0-1", "none", "95% percentile bootstrap CI over queries", BB_TEST_MEAN,
     T(RETRIEVAL)},
    {"recall_at_100", "share of a query's relevant documents in its top 100, mean over queries", Q,
     HI, 1, "1", "0-1", "none", "95% percentile bootstrap CI over queries", BB_TEST_MEAN,
     T(RETRIEVAL)},
    {"map_at_100", "mean average precision over the top 100 documents", Q, HI, 1, "1", "0-1",
     "none", "95% percentile bootstrap CI over queries", BB_TEST_MEAN, T(RETRIEVAL)},
    {"corpus_size", "distinct documents searched", Q, NO, NAN, "—", "count", "—", "count",
     BB_TEST_NONE, T(RETRIEVAL)},
    {"v_measure",
     "V-measure (harmonic mean of homogeneity and completeness) of k-means clusters "
     "against the labels, mean over seeded restarts",
     Q, HI, 1, "1", "0-1", "none", "spread over restarts (sd, min, max)", BB_TEST_NONE,
     T(CLUSTERING)},
    {"v_measure_sd", "standard deviation of V-measure over restarts", Q, NO, NAN, "—", "0-1", "—",
     ONE, BB_TEST_NONE, T(CLUSTERING)},
    {"v_measure_min", "lowest V-measure over restarts", Q, HI, 1, "1", "0-1", "none", ONE,
     BB_TEST_NONE, T(CLUSTERING)},
    {"v_measure_max", "highest V-measure over restarts", Q, HI, 1, "1", "0-1", "none", ONE,
     BB_TEST_NONE, T(CLUSTERING)},
    {"homogeneity", "each cluster holds one label only (mean over restarts)", Q, HI, 1, "1", "0-1",
     "none", ONE, BB_TEST_NONE, T(CLUSTERING)},
    {"completeness", "each label sits in one cluster only (mean over restarts)", Q, HI, 1, "1",
     "0-1", "none", ONE, BB_TEST_NONE, T(CLUSTERING)},
    {"accuracy_sd", "standard deviation of the probe's accuracy over its experiments", Q, NO, NAN,
     "—", "0-1", "—", ONE, BB_TEST_NONE, T(LINEAR_PROBE)},
    {"macro_f1_sd", "standard deviation of the probe's macro-F1 over its experiments", Q, NO, NAN,
     "—", "0-1", "—", ONE, BB_TEST_NONE, T(LINEAR_PROBE)},
    {"train_size", "training rows of one probe experiment (samples per label x labels)", Q, NO, NAN,
     "—", "count", "—", "count", BB_TEST_NONE, T(LINEAR_PROBE)},
};

#define N_TABLE (sizeof TABLE / sizeof TABLE[0])

const struct bb_metric_info *bb_metric_table(size_t *n)
{
    *n = N_TABLE;
    return TABLE;
}

const struct bb_metric_info *bb_metric_find(const char *name)
{
    for (size_t i = 0; name && i < N_TABLE; i++)
        if (!strcmp(TABLE[i].name, name))
            return &TABLE[i];
    return NULL;
}

double bb_metric_ideal(const char *name)
{
    const struct bb_metric_info *m = bb_metric_find(name);
    return m && isfinite(m->ideal) ? m->ideal : 0.0;
}

const char *bb_metric_unit(const char *name)
{
    const struct bb_metric_info *m = bb_metric_find(name);
    return m ? m->unit : "";
}

enum bb_metric_test bb_metric_test_of(const char *name)
{
    const struct bb_metric_info *m = bb_metric_find(name);
    return m ? m->test : BB_TEST_NONE;
}

const char *bb_metric_test_name(enum bb_metric_test t)
{
    switch (t) {
    case BB_TEST_NONE: return "none (CI non-overlap)";
    case BB_TEST_CORR: return "paired bootstrap of the correlation";
    case BB_TEST_MCNEMAR: return "McNemar on per-item correctness";
    case BB_TEST_MEAN: return "paired bootstrap of the mean";
    case BB_TEST_CLASSES: return "paired bootstrap, F1 recomputed";
    case BB_TEST_WEAT: return "paired item bootstrap (X, Y, A, B)";
    case BB_TEST_GAP: return "paired bootstrap over counterfactual sets";
    case BB_TEST_RECOMPUTE: return "paired bootstrap, statistic recomputed";
    }
    return "?";
}

int bb_metric_task_type(const char *const *names, size_t n)
{
    unsigned set = ~0u;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const struct bb_metric_info *m = bb_metric_find(names[i]);
        if (m)
            set &= m->tasks, any = true;
    }
    if (!any || !set)
        return -1;
    if (set & (set - 1)) { /* several: the one that has every metric only the candidates emit */
        unsigned full = 0;
        for (int ty = 0; ty < BB_SUITE_N_TASK_TYPES; ty++) {
            bool all = (set >> ty) & 1u;
            for (size_t k = 0; all && k < N_TABLE; k++)
                if (((TABLE[k].tasks >> ty) & 1u) && !(TABLE[k].tasks & ~set)) {
                    bool seen = false;
                    for (size_t i = 0; i < n && !seen; i++)
                        seen = !strcmp(names[i], TABLE[k].name);
                    all = seen;
                }
            full |= all ? 1u << ty : 0;
        }
        set = full;
        if (!set || (set & (set - 1)))
            return -1;
    }
    int t = 0;
    while (!(set & 1u))
        set >>= 1, t++;
    return t < BB_SUITE_N_TASK_TYPES ? t : -1;
}

static const char *dir_text(const struct bb_metric_info *m)
{
    if (m->dir == BB_DIR_HIGHER)
        return "higher";
    if (m->dir == BB_DIR_LOWER)
        return "lower";
    return isfinite(m->ideal) ? "closer to ideal" : "—";
}

/* s with '|' escaped for a Markdown table cell. */
static void md_cell(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', fp);
        fputc(*s, fp);
    }
}

void bb_metric_write_md(FILE *fp)
{
    fputs("| metric | kind | direction | ideal | unit | task types | compare's paired test | "
          "definition |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
          fp);
    for (size_t i = 0; i < N_TABLE; i++) {
        const struct bb_metric_info *m = &TABLE[i];
        fprintf(fp, "| `%s` | %s | %s | %s | %s | ", m->name, bb_result_kind_name(m->kind),
                dir_text(m), m->ideal_text, *m->unit ? m->unit : "—");
        if (m->tasks == ALL_TABLES)
            fputs("any reading a table", fp);
        else
            for (int t = 0, first = 1; t < BB_SUITE_N_TASK_TYPES; t++)
                if (m->tasks & (1u << t)) {
                    fprintf(fp, "%s%s", first ? "" : ", ",
                            bb_suite_task_type_name((enum bb_suite_task_type)t));
                    first = 0;
                }
        fprintf(fp, " | %s | ", bb_metric_test_name(m->test));
        md_cell(fp, m->definition);
        fputs(" |\n", fp);
    }
}
