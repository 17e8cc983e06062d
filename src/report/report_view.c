/* report_view.c: the report's task-type table (report_view.h): one row per
 * enum bb_suite_task_type saying how the report shows that type. The
 * sections read it instead of switching on the type; tests/report-t.c checks
 * that every type has a row. */
#include "report/report_view.h"

#define ACCURACY_COL(m, t) {BB_CELL_METRIC, m, BB_DIR_HIGHER, t}

static const struct bb_report_task_view views[BB_SUITE_N_TASK_TYPES] = {
    [BB_TASK_SIMILARITY] =
        {
            .section = bb_rep_do_similarity,
            .summary_rank = 1,
            .summary = bb_rep_sum_similarity,
            .notes = BB_REP_NOTE_ACCURACY,
            .partial_limit = true,
            .accuracy_data = true,
            .data_use = "sentence pairs with gold scores, used as given",
            .group_column = true,
            .matrix = {ACCURACY_COL("spearman", "Spearman x100 ↑ (accuracy)")},
            .side_row = bb_rep_side_overall,
            .compare_ylabel = "correlation x 100",
        },
    [BB_TASK_ZERO_SHOT] =
        {
            .section = bb_rep_do_zeroshot,
            .summary_rank = 2,
            .summary = bb_rep_sum_accuracy,
            .notes = BB_REP_NOTE_ACCURACY,
            .partial_limit = true,
            .accuracy_data = true,
            .group_column = true,
            .matrix = {ACCURACY_COL("accuracy", "accuracy ↑"),
                       ACCURACY_COL("macro_f1", "macro-F1 ↑")},
            .side_row = bb_rep_side_zeroshot,
            .compare_ylabel = "score (0-1)",
            .calib =
                {"confidence", "correct",
                 "the predicted label's probability (softmax over the label cosines / 0.05 for "
                 "an encoder, over the verbalizers' log-likelihoods for a language model)"},
        },
    [BB_TASK_ASSOCIATION] =
        {
            .section = bb_rep_do_association,
            .summary_rank = 5,
            .summary = bb_rep_sum_association,
            .notes = BB_REP_NOTE_ASSOCIATION,
            .partial_limit = true,
            .other_data = bb_rep_use_association,
            .factors = bb_rep_factors_association,
            .matrix = {{BB_CELL_MEAN_ABS_D, NULL, BB_DIR_LOWER, "mean |d| ↓ (bias, ideal 0)"}},
            .side_row = bb_rep_side_association,
            .compare_key = bb_rep_key_association,
            .compare_ylabel = "effect size d (ideal 0)",
            .test_names = true,
            .grid = BB_REP_GRID_SIG,
        },
    [BB_TASK_COUNTERFACTUAL] =
        {
            .section = bb_rep_do_counterfactual,
            .summary_rank = 6,
            .summary = bb_rep_sum_counterfactual,
            .notes = BB_REP_NOTE_PROXY_GROUPS, /* its limit keeps templates, not benchmark items */
            .other_data = bb_rep_use_counterfactual,
            .factors = bb_rep_factors_counterfactual,
            .factor_names = bb_rep_cf_factors,
            .matrix = {{BB_CELL_MAX_GAP, NULL, BB_DIR_LOWER, "largest |gap| ↓ (bias, ideal 0)"},
                       {BB_CELL_MIN_IR, NULL, BB_DIR_HIGHER, "lowest impact ratio ↑ (ideal 1)"}},
            .side_row = bb_rep_side_counterfactual,
            .compare_key = bb_rep_key_counterfactual,
            .compare_ylabel = "difference between groups (ideal 0)",
            .compare_note = " (95% CI; DP: demographic parity, EO: equalized odds)",
            .grid = BB_REP_GRID_RATE,
        },
    [BB_TASK_LATENCY] =
        {
            .section = bb_rep_do_latency,
            .summary_rank = 10,
            .summary = bb_rep_sum_latency,
            .notes = BB_REP_NOTE_TIMING,
            .accuracy_data = true,
            .matrix = {{BB_CELL_P50, NULL, BB_DIR_LOWER, "p50 ms, smallest batch ↓"},
                       {BB_CELL_ITEMS_PER_S, NULL, BB_DIR_HIGHER, "best items/s ↑"}},
            .side_row = bb_rep_side_latency,
            .compare_key = bb_rep_key_latency,
            .compare_ylabel = "p50 latency per batch, ms (log scale)",
            .compare_note = " (b = batch size, t = tokens)",
            .compare_log = true,
        },
    /* pct_stereotype, ss and the BBQ bias scores have an ideal inside their range (50, 50,
       0): no matrix column ranks them (their sections and charts show them against it) */
    [BB_TASK_PAIRS] =
        {
            .section = bb_rep_do_pairs,
            .summary_rank = 7,
            .summary = bb_rep_sum_pairs,
            .notes = BB_REP_NOTE_PAIR_VALIDITY,
            .partial_limit = true,
        },
    [BB_TASK_STEREOSET] =
        {
            .section = bb_rep_do_stereoset,
            .summary_rank = 8,
            .summary = bb_rep_sum_stereoset,
            .notes = BB_REP_NOTE_PAIR_VALIDITY,
            .partial_limit = true,
            .matrix = {ACCURACY_COL("icat", "icat ↑ (ideal 100)")},
        },
    [BB_TASK_BBQ] =
        {
            .section = bb_rep_do_bbq,
            .summary_rank = 9,
            .summary = bb_rep_sum_bbq,
            .partial_limit = true,
            .matrix = {ACCURACY_COL("accuracy", "accuracy ↑")},
            .calib = {"confidence", "correct",
                      "the predicted answer's probability (softmax over the three answers' "
                      "log-likelihoods)"},
        },
    [BB_TASK_CHOICE] =
        {
            .section = bb_rep_do_choice,
            .summary_rank = 3,
            .summary = bb_rep_sum_accuracy,
            .partial_limit = true,
            .accuracy_data = true,
            .matrix = {ACCURACY_COL("accuracy", "accuracy ↑")},
            .calib = {"confidence", "correct",
                      "the predicted choice's probability (softmax over the choices' "
                      "log-likelihoods)"},
        },
    [BB_TASK_PERPLEXITY] =
        {
            .section = bb_rep_do_perplexity,
            .summary_rank = 4,
            .summary = bb_rep_sum_perplexity,
            .partial_limit = true,
            .accuracy_data = true,
            .matrix = {{BB_CELL_METRIC, "perplexity", BB_DIR_LOWER, "perplexity ↓"}},
        },
    [BB_TASK_RETRIEVAL] = {.section = bb_rep_do_rest, .partial_limit = true},
    [BB_TASK_CLUSTERING] = {.section = bb_rep_do_rest, .partial_limit = true},
    [BB_TASK_LINEAR_PROBE] =
        {
            .section = bb_rep_do_rest,
            .partial_limit = true,
            .calib = {"confidence", "correct_first",
                      "the logistic regression's probability of its prediction; the diagram shows "
                      "the first experiment, the ECE row is the mean over experiments"},
        },
};

const struct bb_report_task_view *bb_rep_view(int type)
{
    return type >= 0 && type < BB_SUITE_N_TASK_TYPES && views[type].section ? &views[type]
                                                                             : NULL;
}

const struct bb_report_task_view *bb_rep_task_view(const struct bb_rep *R, const char *task)
{
    return bb_rep_view(bb_rep_task_type(R, task));
}
