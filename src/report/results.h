/* results.h: the long-form results table every task appends to, and its
 * results.csv writer (columns as DESIGN.md decides). */
#ifndef BB_RESULTS_H
#define BB_RESULTS_H

#include <stddef.h>

#include "status.h"

enum bb_result_kind { BB_KIND_QUALITY = 0, BB_KIND_BIAS, BB_KIND_TIMING };
enum bb_direction { BB_DIR_NONE = 0, BB_DIR_HIGHER, BB_DIR_LOWER };

struct bb_result_row {
    char *suite, *task, *dataset, *model, *variant, *group, *metric;
    double value, ci_low, ci_high; /* NAN when absent */
    long n;
    double p_value;                /* NAN when none */
    enum bb_direction higher_is_better;
    enum bb_result_kind kind;
};

struct bb_results {
    struct bb_result_row *rows;
    size_t n, cap;
};

/* Append a row (strings are copied; NULL group -> "all", NULL variant -> ""). */
enum bb_status bb_results_add(struct bb_results *r, const struct bb_result_row *row,
                              struct bb_error *err);
void bb_results_free(struct bb_results *r);
const char *bb_result_kind_name(enum bb_result_kind k);

/* Write results.csv atomically (header: suite,task,dataset,model,variant,group,
 * metric,value,ci_low,ci_high,n,p_value,higher_is_better,kind). */
enum bb_status bb_results_write_csv(const struct bb_results *r, const char *path,
                                    struct bb_error *err);

#endif
