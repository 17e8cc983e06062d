/* report_tables.h: what the per-task tables of sections 6 and 7 share: the
 * selection of one task x model's rows, row lookup, significance words,
 * chart references and the table of rows not shown yet (report_tables.c);
 * one function per task type's subsection (report_encoder.c, report_lm.c);
 * section 7's side tables (report_side.c). */
#ifndef BB_REPORT_TABLES_H
#define BB_REPORT_TABLES_H

#include "report/report_int.h"

#define ROW(i) (&R->res->rows[(i)])

struct sel {                      /* the rows of one task x model */
    const char *task, *model;
    size_t *idx, n;
    char *used;                   /* (res->n) shown by a table already */
};

bool bb_rep_in_sel(const struct bb_rep *R, const struct sel *S, size_t i);
/* Index of S's row of group and metric, or -1. */
long bb_rep_find(const struct bb_rep *R, const struct sel *S, const char *group,
                 const char *metric);
/* "yes, after correction", "raw p only", "no" or "—" (no p); as a level 2/1/0. */
const char *bb_rep_sig_word(const struct bb_rep *R, double p, double adj);
int bb_rep_sig_level(const struct bb_rep *R, double p, double adj);
/* The chart charts/NAME.png (drawn from NAME.gp) with its caption, or a line
 * saying why it is missing. */
void bb_rep_chart_ref(struct bb_rep *R, const char *name, const char *caption);
/* Every row of S not shown yet, as one table. */
void bb_rep_rest_table(struct bb_rep *R, struct sel *S, const char *title);
/* Is g a group ("factor=value"), not "all" or a test id? */
bool bb_rep_is_group(const char *g);
/* "v [lo, hi]" (or "v" without a CI) into buf. */
const char *bb_rep_val_ci(struct bb_rep *R, double v, double lo, double hi, char *buf, size_t n);
/* A chart file name part from an id. */
void bb_rep_safe(char *out, size_t n, const char *id);

/* Section 6, one task type's tables and charts for one task x model. */
enum bb_status bb_rep_do_similarity(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_zeroshot(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_association(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_counterfactual(struct bb_rep *R, struct sel *S, struct bb_error *err);
enum bb_status bb_rep_do_latency(struct bb_rep *R, struct sel *S, struct bb_error *err);

/* Section 7's side tables: one table per task with a column per model, and
 * the significance tiles (grid_kind 0) or rate heatmap (1) of a task. */
enum bb_status bb_rep_side_by_side(struct bb_rep *R, struct bb_error *err);
enum bb_status bb_rep_grid_chart(struct bb_rep *R, const char *task, int grid_kind,
                                 struct bb_error *err);

/* Section 7's paired tests between models (report_paired.c): the first
 * model against each other one, as `compare RUN --models A,B` tests them. */
enum bb_status bb_rep_section_paired(struct bb_rep *R, struct bb_error *err);

#endif
