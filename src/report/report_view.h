/* report_view.h: how the report shows each task type, as one table row per
 * enum bb_suite_task_type (report_view.c): its section-6 renderer, its lines
 * in the findings summary, its caveats, how it uses its data, its section-7
 * matrix columns, side-by-side rows and comparison chart, its significance
 * grid and its calibration columns. The sections dispatch through the row;
 * a new task type adds its renderer file(s) and one row here, no switch. */
#ifndef BB_REPORT_VIEW_H
#define BB_REPORT_VIEW_H

#include "report/report_tables.h"

/* What a section-7 matrix cell of a task shows for a model (the order
 * matters: accuracy, then bias (mean |d| .. min IR), then timing). */
enum bb_rep_cell {
    BB_CELL_METRIC,     /* the metric at group all, with its 95% CI */
    BB_CELL_MEAN_ABS_D, /* mean |d| over the association tests */
    BB_CELL_MAX_GAP,    /* the headline gap row, else the largest |gap| */
    BB_CELL_MIN_IR,     /* the lowest impact ratio */
    BB_CELL_P50,        /* p50 latency at the smallest grid cell */
    BB_CELL_ITEMS_PER_S /* the best throughput */
};
struct bb_rep_col_spec {
    enum bb_rep_cell what;
    const char *metric;  /* BB_CELL_METRIC only */
    enum bb_direction dir;
    const char *title;   /* after "<task>: "; NULL: no column */
};

/* Notes a task type adds to the findings' caveats and section 8's risks. */
enum {
    BB_REP_NOTE_ACCURACY = 1u << 0,      /* accuracy on public benchmarks: contamination */
    BB_REP_NOTE_PROXY_GROUPS = 1u << 1,  /* counterfactual groups are proxies; impact ratios */
    BB_REP_NOTE_ASSOCIATION = 1u << 2,   /* WEAT/SEAT effect sizes vary, correlate weakly */
    BB_REP_NOTE_PAIR_VALIDITY = 1u << 3, /* CrowS-Pairs / StereoSet validity problems */
    BB_REP_NOTE_TIMING = 1u << 4         /* timings hold on this machine only */
};

/* Section 7's per-task tiles: significance (association) or rates (counterfactual). */
enum bb_rep_grid { BB_REP_GRID_NONE, BB_REP_GRID_SIG, BB_REP_GRID_RATE };

typedef enum bb_status (*bb_rep_section_fn)(struct bb_rep *R, struct sel *S,
                                            struct bb_error *err);
typedef void (*bb_rep_summary_fn)(struct bb_rep *R, const char *task, const char *model);
typedef const char *(*bb_rep_key_fn)(const struct bb_rep *R, size_t i, char *buf, size_t n);
typedef bool (*bb_rep_row_fn)(const struct bb_rep *R, size_t i);
typedef const char *(*bb_rep_use_fn)(const struct bb_suite_task *t,
                                     const struct bb_suite_dataset *ds);
typedef void (*bb_rep_factors_fn)(struct bb_rep *R, const struct bb_suite_task *t);

struct bb_report_task_view {
    bb_rep_section_fn section;  /* section 6: tables and charts of one task x model */
    int summary_rank;           /* findings order (accuracy, bias, efficiency); 0: none */
    bb_rep_summary_fn summary;  /* its findings lines for one model */
    unsigned notes;             /* BB_REP_NOTE_* */
    bool partial_limit;         /* a limit reads a subset of published data (caveat) */
    bool accuracy_data;         /* section 5: its data are accuracy data, else bias probes */
    const char *data_use;       /* section 5: its main dataset's use; NULL: labelled texts */
    bb_rep_use_fn other_data;   /* section 5: the use of ds among its other datasets, or NULL */
    bb_rep_factors_fn factors;  /* section 3: the factors it examines; NULL: none */
    const struct bb_strlist *(*factor_names)(const struct bb_suite_task *t);
    bool group_column;          /* section 3: may report per the dataset's group column */
    struct bb_rep_col_spec matrix[2]; /* section 7's matrix columns */
    bb_rep_row_fn side_row;     /* rows of the side-by-side table; NULL: every row */
    bb_rep_key_fn compare_key;  /* comparison chart clusters; NULL: metrics at group all */
    const char *compare_ylabel; /* NULL: "value (units: section 4)" */
    const char *compare_note;   /* after the chart title; NULL: " (95% CI)" */
    bool compare_log;           /* log-scale chart (timings) */
    bool test_names;            /* effect_size clusters are named by their test */
    enum bb_rep_grid grid;
    struct {
        const char *conf, *correct; /* per-item columns; NULL: no calibration */
        const char *what;           /* what the confidence is */
    } calib;
};

/* The row of a task type (enum bb_suite_task_type), NULL for -1 or a type without one. */
const struct bb_report_task_view *bb_rep_view(int type);
/* The row of a results task id's type (bb_rep_task_type), or NULL. */
const struct bb_report_task_view *bb_rep_task_view(const struct bb_rep *R, const char *task);

/* ---- the functions the rows name (each in its section's file) ---------------------- */

/* section 6 (report_tables.c, report_encoder.c, report_lm.c) */
enum bb_status bb_rep_do_rest(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_pairs(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_stereoset(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_bbq(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_choice(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_perplexity(struct bb_rep *R, struct sel *S, struct bb_error *err);
/* findings lines (report_summary.c) */
void bb_rep_sum_similarity(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_accuracy(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_association(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_counterfactual(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_pairs(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_stereoset(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_bbq(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_perplexity(struct bb_rep *R, const char *task, const char *model);
void bb_rep_sum_latency(struct bb_rep *R, const char *task, const char *model);
/* sections 3 and 5 (report_text.c) */
void bb_rep_factors_counterfactual(struct bb_rep *R, const struct bb_suite_task *t);
void bb_rep_factors_association(struct bb_rep *R, const struct bb_suite_task *t);
const char *bb_rep_use_association(const struct bb_suite_task *t,
                                   const struct bb_suite_dataset *ds);
const char *bb_rep_use_counterfactual(const struct bb_suite_task *t,
                                      const struct bb_suite_dataset *ds);
const struct bb_strlist *bb_rep_cf_factors(const struct bb_suite_task *t);
/* section 7 (report_side.c, report_matrix.c) */
bool bb_rep_side_latency(const struct bb_rep *R, size_t i);
bool bb_rep_side_overall(const struct bb_rep *R, size_t i);
bool bb_rep_side_zeroshot(const struct bb_rep *R, size_t i);
bool bb_rep_side_association(const struct bb_rep *R, size_t i);
bool bb_rep_side_counterfactual(const struct bb_rep *R, size_t i);
const char *bb_rep_key_latency(const struct bb_rep *R, size_t i, char *buf, size_t n);
const char *bb_rep_key_association(const struct bb_rep *R, size_t i, char *buf, size_t n);
const char *bb_rep_key_counterfactual(const struct bb_rep *R, size_t i, char *buf, size_t n);

#endif
