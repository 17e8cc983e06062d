/* task_schema.h: the suite layer's table of task types (issue 7): one row per
 * enum bb_suite_task_type with what the suite parser (suite.c), the model-free
 * check (precheck.c) and the perturbations (perturb.c) know about the type.
 * They dispatch through the row, never switch on the type. A new task type is
 * an enum value (suite.h, with BB_SUITE_N_TASK_TYPES), its struct in the
 * task union, its conv function (suite.c), its check (precheck.c, or
 * ts_check_files) and one row in task_schema.c; tests/suite-t.c fails when a
 * row is missing or incomplete. */
#ifndef BB_SUITE_TASK_SCHEMA_H
#define BB_SUITE_TASK_SCHEMA_H

#include <stddef.h>

#include "core/status.h"
#include "suite/suite.h"

#define BB_SUITE_TASK_MAX_KEYS 12

struct ctx;           /* suite_yaml.h: the parser's state */
struct field;         /* suite_field.h: the map being converted, with its path */
struct precheck_ctx;  /* precheck.c: the check's state */

struct bb_suite_task_schema {
    enum bb_suite_task_type type; /* its index in the table */
    const char *name;             /* as suites write it: "zero-shot-classification" */
    /* its keys besides id, type and models, NULL-terminated; a key listed
       here for one type is "a key of another type" for the others */
    const char *keys[BB_SUITE_TASK_MAX_KEYS];
    /* read the type's own keys of f into t (limit, batch_size: already read) */
    void (*conv)(struct ctx *c, const struct field *f, struct bb_suite_task *t);
    /* check suite task ti without a model: its files found and parsed, its columns */
    enum bb_status (*check)(struct precheck_ctx *C, size_t ti);
    /* for ts_check_files: the i-th dataset the task reads besides t->dataset,
       NULL past the last (NULL: none) */
    const struct bb_suite_dataset *(*extra_dataset)(const struct bb_suite_task *t, size_t i);
    /* the dataset roles whose text perturbations edit, NULL-terminated
       (NULL: perturb does not apply to the type) */
    const char *const *perturb_roles;
    /* the metrics a gate on the type may name (NULL: any, not checked) */
    const char *const *metrics;
};

/* The row of type t; NULL when t is not a task type. */
const struct bb_suite_task_schema *bb_suite_task_schema(enum bb_suite_task_type t);

/* ---- the rows' functions: private to src/suite/ ---- */

/* suite.c */
void ts_conv_similarity(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_zero_shot(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_association(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_counterfactual(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_latency(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_pairs(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_stereoset(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_bbq(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_choice(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_perplexity(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_retrieval(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_clustering(struct ctx *c, const struct field *f, struct bb_suite_task *t);
void ts_conv_linear_probe(struct ctx *c, const struct field *f, struct bb_suite_task *t);

/* precheck.c */
enum bb_status ts_check_similarity(struct precheck_ctx *C, size_t ti);
enum bb_status ts_check_zero_shot(struct precheck_ctx *C, size_t ti);
enum bb_status ts_check_association(struct precheck_ctx *C, size_t ti);
enum bb_status ts_check_counterfactual(struct precheck_ctx *C, size_t ti);
/* every file the task reads (t->dataset, then extra_dataset) is found and
   parses; the task checks its columns itself when it runs */
enum bb_status ts_check_files(struct precheck_ctx *C, size_t ti);
/* a type that reads no data (latency) */
enum bb_status ts_check_nothing(struct precheck_ctx *C, size_t ti);

#endif
