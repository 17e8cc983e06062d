/* task_schema.c: the table of task types of the suite layer (task_schema.h),
 * one row per enum bb_suite_task_type: name, keys, conv and check functions,
 * extra datasets, perturbed roles and gate metrics. */
#include "suite/task_schema.h"

/* ---- the text perturbations edit (perturb.h) ---- */

static const char *const PAIR_TEXT[] = {"s1", "s2", NULL};
static const char *const TEXT[] = {"text", NULL};
static const char *const QUERY[] = {"query", NULL};

/* ---- the metrics a gate may name (precheck.h) ---- */

static const char *const SIMILARITY_METRICS[] = {"spearman", "pearson", "skipped_rows", NULL};
static const char *const ZERO_SHOT_METRICS[] = {
    "accuracy", "macro_f1", "precision", "recall", "f1", "support", "confusion", "skipped_rows",
    NULL};
static const char *const ASSOCIATION_METRICS[] = {
    "effect_size", "abs_effect_size", "mean_abs_effect_size", "p_holm", "p_bh", "p_none", NULL};
static const char *const COUNTERFACTUAL_METRICS[] = {
    "mean_score", "selection_rate", "scoring_rate", "impact_ratio", "impact_ratio_p_holm",
    "impact_ratio_p_bh", "impact_ratio_p_none", "score_gap", "score_gap_p_holm",
    "score_gap_p_bh", "score_gap_p_none", "max_abs_score_gap", "demographic_parity_difference",
    "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio", "skipped_rows",
    NULL};
static const char *const LATENCY_METRICS[] = {
    "latency_mean_ms", "latency_stddev_ms", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
    "items_per_s", "tokens_per_s", "latency_noise_rel", "latency_contention", "machine_probe_ms",
    "model_load_s", "peak_rss_mb", "kernel_build_s", "kernel_build_warm_s", "kernel_build_cold_s",
    "first_forward_cold_ms", "warm_start_process_s", "cold_start_process_s", NULL};

/* ---- datasets a task reads besides t->dataset ---- */

static const struct bb_suite_dataset *pairs_extra(const struct bb_suite_task *t, size_t i)
{
    return i == 0 ? t->u.pairs.less_dataset : NULL;
}

static const struct bb_suite_dataset *bbq_extra(const struct bb_suite_task *t, size_t i)
{
    return i < t->u.bbq.n_datasets ? t->u.bbq.datasets[i] : NULL;
}

static const struct bb_suite_dataset *linear_probe_extra(const struct bb_suite_task *t, size_t i)
{
    return i == 0 ? t->u.linear_probe.train : NULL;
}

/* ---- the table ---- */

static const struct bb_suite_task_schema table[BB_SUITE_N_TASK_TYPES] = {
    [BB_TASK_SIMILARITY] = {
        .type = BB_TASK_SIMILARITY, .name = "similarity",
        .keys = {"dataset", "limit", "batch_size", "score_range"},
        .conv = ts_conv_similarity, .check = ts_check_similarity,
        .perturb_roles = PAIR_TEXT, .metrics = SIMILARITY_METRICS},
    [BB_TASK_ZERO_SHOT] = {
        .type = BB_TASK_ZERO_SHOT, .name = "zero-shot-classification",
        .keys = {"dataset", "limit", "batch_size", "labels", "positive_label", "template"},
        .conv = ts_conv_zero_shot, .check = ts_check_zero_shot,
        .perturb_roles = TEXT, .metrics = ZERO_SHOT_METRICS},
    [BB_TASK_ASSOCIATION] = {
        .type = BB_TASK_ASSOCIATION, .name = "association",
        .keys = {"datasets", "batch_size", "permutations"},
        .conv = ts_conv_association, .check = ts_check_association,
        .metrics = ASSOCIATION_METRICS},
    [BB_TASK_COUNTERFACTUAL] = {
        .type = BB_TASK_COUNTERFACTUAL, .name = "counterfactual",
        .keys = {"templates", "fillers", "factors", "score", "limit", "batch_size"},
        .conv = ts_conv_counterfactual, .check = ts_check_counterfactual,
        .metrics = COUNTERFACTUAL_METRICS},
    [BB_TASK_LATENCY] = {
        .type = BB_TASK_LATENCY, .name = "latency",
        .keys = {"batch_sizes", "seq_lens", "warmup", "repetitions"},
        .conv = ts_conv_latency, .check = ts_check_nothing,
        .metrics = LATENCY_METRICS},
    [BB_TASK_PAIRS] = {
        .type = BB_TASK_PAIRS, .name = "pairs",
        .keys = {"dataset", "limit", "batch_size", "paired_dataset", "strip_markup", "bias_type"},
        .conv = ts_conv_pairs, .check = ts_check_files, .extra_dataset = pairs_extra},
    [BB_TASK_STEREOSET] = {
        .type = BB_TASK_STEREOSET, .name = "stereoset",
        .keys = {"dataset", "limit", "batch_size", "normalization", "average"},
        .conv = ts_conv_stereoset, .check = ts_check_files},
    [BB_TASK_BBQ] = {
        .type = BB_TASK_BBQ, .name = "bbq",
        .keys = {"datasets", "limit", "batch_size", "prompt"},
        .conv = ts_conv_bbq, .check = ts_check_files, .extra_dataset = bbq_extra},
    [BB_TASK_CHOICE] = {
        .type = BB_TASK_CHOICE, .name = "multiple-choice",
        .keys = {"dataset", "limit", "batch_size", "prompt", "continuation", "choices"},
        .conv = ts_conv_choice, .check = ts_check_files},
    [BB_TASK_PERPLEXITY] = {
        .type = BB_TASK_PERPLEXITY, .name = "perplexity",
        .keys = {"dataset", "limit", "batch_size", "max_length", "stride"},
        .conv = ts_conv_perplexity, .check = ts_check_files, .perturb_roles = TEXT},
    [BB_TASK_RETRIEVAL] = {
        .type = BB_TASK_RETRIEVAL, .name = "retrieval",
        .keys = {"dataset", "limit", "batch_size", "min_score"},
        .conv = ts_conv_retrieval, .check = ts_check_files, .perturb_roles = QUERY},
    [BB_TASK_CLUSTERING] = {
        .type = BB_TASK_CLUSTERING, .name = "clustering",
        .keys = {"dataset", "limit", "batch_size", "k", "restarts", "max_iter"},
        .conv = ts_conv_clustering, .check = ts_check_files, .perturb_roles = TEXT},
    [BB_TASK_LINEAR_PROBE] = {
        .type = BB_TASK_LINEAR_PROBE, .name = "linear-probe",
        .keys = {"dataset", "train_dataset", "limit", "batch_size", "experiments",
                 "samples_per_label", "c", "max_iter"},
        .conv = ts_conv_linear_probe, .check = ts_check_files,
        .extra_dataset = linear_probe_extra, .perturb_roles = TEXT},
};

const struct bb_suite_task_schema *bb_suite_task_schema(enum bb_suite_task_type t)
{
    return (unsigned)t < BB_SUITE_N_TASK_TYPES ? &table[t] : NULL;
}
