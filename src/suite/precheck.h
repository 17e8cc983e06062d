/* precheck.h: everything about a suite that can be checked without loading a
 * model, shared by `biasbench validate` and `biasbench run` (which runs it
 * before the first model is loaded, so a typo in the last task does not cost
 * the whole run): every dataset file a task reads exists (next to the suite,
 * then along the data search path) and parses, every row; the columns each
 * task names exist; similarity scores are numbers; every {SLOT} of a
 * counterfactual template has a filler list; model sources resolve; gate
 * metrics are metrics the gated task emits (with a did-you-mean). */
#ifndef BB_PRECHECK_H
#define BB_PRECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/status.h"
#include "suite.h"

struct bb_precheck_opts {
    const char *data_dir;        /* --data-dir, may be NULL */
    const bool *task_selected;   /* per suite task: check it; NULL: every task */
    bool check_models;           /* resolve every model source (validate; run checks its own) */
};

/* Problems, each one line "FILE:LINE:COL: KEY.PATH: MESSAGE" (the suite
 * position of what is wrong; data-file positions follow in the message). */
struct bb_precheck {
    size_t n_errors;
    char **errors;
    size_t n_missing;            /* datasets not found anywhere: `run` skips their tasks */
    char **missing;
    size_t n_tasks;              /* the suite's */
    bool *task_missing_data;     /* per suite task: a dataset of it was not found */
    char **task_missing_reason;  /* per suite task: why (NULL when none) */
};

/* Check suite s. Fills out (bb_precheck_free it); returns BB_OK unless memory
 * runs out: problems are in out->errors, not in the status. */
enum bb_status bb_precheck_suite(const struct bb_suite *s, const struct bb_precheck_opts *o,
                                 struct bb_precheck *out, struct bb_error *err);
/* Print each error line, then "N error(s)". */
void bb_precheck_print(const struct bb_precheck *p, FILE *f);
void bb_precheck_free(struct bb_precheck *p);

/* Whether a task of type t can emit metric; a type this table does not know
 * accepts any metric (*type_known false). */
bool bb_precheck_metric_known(enum bb_suite_task_type t, const char *metric, bool *type_known);
/* The closest known metric of type t to metric (edit distance <= 2), or NULL. */
const char *bb_precheck_metric_suggest(enum bb_suite_task_type t, const char *metric);

#endif
