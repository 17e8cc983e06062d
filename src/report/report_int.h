/* report_int.h: what the report's source files share: the report state, the
 * number formatting of its tables, and one function per section. */
#ifndef BB_REPORT_INT_H
#define BB_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "report/doc.h"
#include "report/plot.h"
#include "metrics/results.h"
#include "core/status.h"
#include "suite/suite.h"

#define BB_REP_RING 48
#define BB_REP_CELL 96

struct bb_rep {
    const char *run_dir;
    const char *notice;               /* what could not be rebuilt, or NULL */
    const struct bb_suite *suite;     /* may be NULL */
    const struct bb_results *res;     /* clean rows (perturbation ""): every section but */
    const struct bb_results *all;     /* robustness, which reads every row */
    json_t *manifest;                 /* NULL when missing or unreadable */
    char manifest_err[1200];
    struct bb_plot plot;
    struct bb_doc doc;
    enum bb_suite_correction correction;
    double alpha;
    double *adj;                      /* (res->n) adjusted p per row, NaN when none */
    char *aux;                        /* (res->n) 1: an annotation of another row
                                       * (none now: small_group is a column) */
    const char **tasks, **models;     /* distinct task / model ids, first-seen order */
    size_t n_tasks, n_models;
    char date[64];
    char ring[BB_REP_RING][BB_REP_CELL];
    unsigned ring_i;
};

/* Table cells (valid for the next BB_REP_RING calls). */
const char *bb_rep_num(struct bb_rep *R, double v);
const char *bb_rep_ci(struct bb_rep *R, double lo, double hi);
const char *bb_rep_p(struct bb_rep *R, double p);
const char *bb_rep_long(struct bb_rep *R, long v);
const char *bb_rep_dir(enum bb_direction d);
const char *bb_rep_arrow(enum bb_direction d);
const char *bb_rep_jstr(const json_t *o, const char *key);
bool bb_rep_is_score(const char *metric);
bool bb_rep_is_rate(const char *metric);
bool bb_rep_is_gap(const char *metric);
/* What a row is about: its group, or for a group "all" row of a task with
 * one row per dataset (association tests), its dataset id. */
const char *bb_rep_label(const struct bb_result_row *r);
/* enum bb_suite_task_type of a results task id, or -1 when unknown. */
int bb_rep_task_type(const struct bb_rep *R, const char *task);

/* An HTML id / Markdown anchor "prefix--task--model" in [a-z0-9-] (NULL parts left out). */
void bb_rep_anchor(char *buf, size_t n, const char *prefix, const char *task, const char *model);
/* A WEAT/SEAT test's plain name ("Heilman double bind, competent") from its id. */
const char *bb_rep_test_name(const char *id, char *buf, size_t n);
/* A local path as the report shows it: relative to the data root (datasets/)
 * or the model cache (models/), else its file name; unchanged when
 * BIASBENCH_REPORT_LOCAL_PATHS=1. */
const char *bb_rep_path(const char *path, char *buf, size_t n);

enum bb_status bb_rep_section_summary(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_toc(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_header(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_use(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_factors(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_metrics(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_data(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_analyses(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_matrix(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_risks(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_section_repro(struct bb_rep *R, struct bb_error *err);
/* robustness.c: clean, perturbed and paired difference per perturbation
 * (all: every row; R->res holds the clean rows only). */
enum bb_status bb_report_robustness(struct bb_rep *R, const struct bb_results *all,
                                    struct bb_error *err);
/* Section 6, after a classification task's tables: its ECE and reliability
   diagram (calibration_chart.c); nothing for other tasks. */
enum bb_status bb_rep_calibration(struct bb_rep *R, const char *task, const char *model,
                                  struct bb_error *err);

#endif
