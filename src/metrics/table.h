/* table.h: the metric registry. One row per metric name the tool can write
 * to results.csv: its definition, direction, ideal value, kind, unit, how its CI
 * is made and which paired test `compare` runs on it, and the task types that
 * emit it. The report's metric table, `compare`'s choice of test, `gate`'s
 * ideal values and the metric list in docs/run-directory.md (`biasbench
 * metrics --format md`) all read it; bb_task_emit refuses a row whose metric
 * is not in it, or whose direction or kind disagree with it. A new metric is
 * one row in table.c. */
#ifndef BB_METRICS_TABLE_H
#define BB_METRICS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "metrics/results.h"

/* The paired test `compare` runs on two runs' per-item files for a metric. */
enum bb_metric_test {
    BB_TEST_NONE = 0, /* no paired per-item test: CI non-overlap at most */
    BB_TEST_CORR,     /* paired bootstrap of a correlation over pairs */
    BB_TEST_MCNEMAR,  /* McNemar on per-item correctness; CI by paired bootstrap */
    BB_TEST_MEAN,     /* paired bootstrap of a mean over items */
    BB_TEST_CLASSES,  /* paired bootstrap, per-class or macro F1 recomputed */
    BB_TEST_WEAT,     /* paired item bootstrap, X, Y, A, B resampled, d recomputed */
    BB_TEST_GAP,      /* paired bootstrap over counterfactual sets, gap recomputed */
    BB_TEST_RECOMPUTE /* likelihood tasks: paired bootstrap, statistic recomputed */
};

struct bb_metric_info {
    const char *name;
    const char *definition;
    enum bb_result_kind kind;
    /* BB_DIR_HIGHER / BB_DIR_LOWER: better that way. BB_DIR_NONE with a
       finite ideal: better the closer to the ideal (distance from ideal);
       BB_DIR_NONE with ideal NAN: no order (counts, descriptive values). */
    enum bb_direction dir;
    double ideal;           /* NAN when none */
    const char *ideal_text; /* how the report writes the ideal ("1", "equal across groups") */
    const char *unit;       /* "" when a plain number */
    const char *threshold;  /* the threshold the report uses, or "—" */
    const char *ci;         /* how the CI (uncertainty) is made */
    enum bb_metric_test test;
    unsigned tasks; /* (1u << BB_TASK_*) of the task types that emit it */
};

/* The row of metric name, or NULL. */
const struct bb_metric_info *bb_metric_find(const char *name);
/* The whole table, in documentation order; *n rows. */
const struct bb_metric_info *bb_metric_table(size_t *n);
/* The ideal value gate measures "distance from ideal" against for a metric
 * without a direction: the registry's ideal, 0 when it has none or the
 * metric is unknown. */
double bb_metric_ideal(const char *name);
/* The unit results.csv's unit column and the run summary give a metric
 * ("x100", "0-1", "ms", "items/s", "d", ...): the registry's, "" when it is a
 * plain number or the metric is unknown. */
const char *bb_metric_unit(const char *name);
/* The paired test of a metric (BB_TEST_NONE when unknown). */
enum bb_metric_test bb_metric_test_of(const char *name);
const char *bb_metric_test_name(enum bb_metric_test t);
/* The task type (enum bb_suite_task_type) whose metrics are exactly
 * consistent with the metric names given: the one type every known name's
 * task set contains; when several, the one of those that has every metric
 * the table gives to those candidates alone (multiple-choice's accuracy,
 * acc_norm and ece are all BBQ's too, but BBQ's s_amb is missing); -1 when
 * none or several. Names not in the table are ignored. */
int bb_metric_task_type(const char *const *names, size_t n);
/* The table as Markdown (the section of docs/run-directory.md). */
void bb_metric_write_md(FILE *fp);

#endif
