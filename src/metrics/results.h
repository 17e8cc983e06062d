/* results.h: the long-form results table every task appends to, and
 * results.csv: its writer and its reader (columns as DESIGN.md decides, and
 * docs/run-directory.md documents). The one module that knows the file's
 * columns: tasks, the runner, the report, compare and gate all use it. */
#ifndef BB_RESULTS_H
#define BB_RESULTS_H

#include <stddef.h>

#include "core/status.h"

enum bb_result_kind { BB_KIND_QUALITY = 0, BB_KIND_BIAS, BB_KIND_TIMING };
enum bb_direction { BB_DIR_NONE = 0, BB_DIR_HIGHER, BB_DIR_LOWER };
/* A group's size flag (the counterfactual task's per-group rows): UNSET on
 * rows it does not apply to (an empty cell), NO / YES when the group holds at
 * least / under 2% of the grouped sentences (0 / 1 in results.csv). */
enum bb_small_group { BB_SMALL_UNSET = 0, BB_SMALL_NO, BB_SMALL_YES };

struct bb_result_row {
    char *suite, *task, *dataset, *model, *variant, *group, *metric;
    double value, ci_low, ci_high; /* NAN when absent */
    long n;
    double p_value;                /* NAN when none */
    /* p_value adjusted over the family the task chose, and the method
       ("holm", "bh"); NAN and "" when none. Only written when the method is
       not empty. */
    double p_adjusted;
    char *adjust_method;
    enum bb_small_group small_group;
    enum bb_direction higher_is_better;
    enum bb_result_kind kind;
    /* robustness (suite `perturb:`): "" for rows measured on the data as
       it is; "<id>" for the same metric on text perturbed by perturbation
       <id>; "delta:<id>" for the paired difference perturbed - clean (its
       CI and p-value from a paired test over items). NULL -> "". */
    char *perturbation;
};

struct bb_results {
    struct bb_result_row *rows;
    size_t n, cap;
};

/* Append a row (strings are copied; NULL group -> "all", NULL variant and
 * adjust_method -> ""). */
enum bb_status bb_results_add(struct bb_results *r, const struct bb_result_row *row,
                              struct bb_error *err);
void bb_results_free(struct bb_results *r);
const char *bb_result_kind_name(enum bb_result_kind k);

/* Write results.csv atomically (header: suite,task,dataset,model,variant,group,
 * metric,value,ci_low,ci_high,n,p_value,p_adjusted,adjust_method,small_group,
 * perturbation,higher_is_better,kind,unit: the two adjusted-p columns beside
 * the p-value and the small_group flag after them, then perturbation (empty
 * for clean rows), so that the first fourteen columns keep their places; unit
 * last, the metric registry's (metrics/table.h), empty for a plain number). */
enum bb_status bb_results_write_csv(const struct bb_results *r, const char *path,
                                    struct bb_error *err);

/* Read a results.csv into out (appending). Every problem names the file,
 * line and column (BB_E_IO missing, BB_E_INPUT malformed; a header without
 * rows is BB_E_INPUT). A file written before p_adjusted/adjust_method were
 * columns holds the adjusted p-values as rows of their own
 * ("<metric>_p_<holm|bh>", and "p_<holm|bh>" beside an association test's
 * effect sizes): they are folded into the p_adjusted/adjust_method of the
 * rows they adjust and dropped, so old and new runs read the same. Likewise a
 * file without the small_group column holds the flag as a "small_group" row
 * per group: its value becomes the small_group of the rows of the same task,
 * model, variant, dataset, perturbation and group, and the row is dropped. The unit
 * column is optional (files written before it have none): units are the
 * registry's, not stored in the rows. A file without the perturbation column
 * reads as every row perturbation "". */
enum bb_status bb_results_read_csv(const char *path, struct bb_results *out,
                                   struct bb_error *err);

/* A task, model or suffix id as it stands in a per-item file's name
 * (items/<task>__<model>[__suffix].csv): every byte outside [A-Za-z0-9._-]
 * becomes '_', cut to fit out (n bytes); NULL id -> "". The writer (tasks)
 * and the readers (compare, fuzz/fuzz_rundata.c) name the files through it. */
void bb_items_name_part(char *out, size_t n, const char *id);

#endif
