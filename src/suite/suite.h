/* suite.h: the YAML suite format (docs/suite-format.md) as typed structs.
 * bb_suite_load parses a suite with libyaml, follows its includes, validates
 * every key and reference, and reports EVERY problem it finds as a
 * "file:line:col: key.path: message" diagnostic. Every node keeps its source
 * position so later run-time errors can point back into the suite. */
#ifndef BB_SUITE_H
#define BB_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

#define BB_SUITE_FORMAT_VERSION 1

/* A position in a suite file: 1-based line and column; file is the path as
 * opened (the top file as given, includes joined to their includer's folder). */
/* The largest batch a suite (batch_size, latency batch_sizes) or
 * `biasbench embed --batch` accepts: one limit for every command. */
#define BB_BATCH_SIZE_MAX 65536

struct bb_suite_pos {
    const char *file;
    int line, col;
};

/* A list of strings, with the position of each item. */
struct bb_strlist {
    size_t n;
    const char **v;
    struct bb_suite_pos *pos;
};

enum bb_suite_backend { BB_SUITE_BACKEND_OPENCL, BB_SUITE_BACKEND_REF };
enum bb_suite_correction {
    BB_SUITE_CORRECTION_HOLM,
    BB_SUITE_CORRECTION_BH,
    BB_SUITE_CORRECTION_NONE
};
enum bb_suite_precision { BB_SUITE_F32, BB_SUITE_F16 };
enum bb_suite_format { BB_SUITE_CSV, BB_SUITE_TSV, BB_SUITE_JSONL, BB_SUITE_JSON };
enum bb_suite_on_bad_row { BB_SUITE_BAD_ROW_ERROR, BB_SUITE_BAD_ROW_SKIP };
enum bb_suite_task_type {
    BB_TASK_SIMILARITY,
    BB_TASK_ZERO_SHOT,      /* "zero-shot-classification" */
    BB_TASK_ASSOCIATION,
    BB_TASK_COUNTERFACTUAL,
    BB_TASK_LATENCY,
    /* likelihood tasks for language models (issue 9; need BB_CAP_LOGLIK) */
    BB_TASK_PAIRS,          /* "pairs": CrowS-Pairs, WinoBias pro/anti */
    BB_TASK_STEREOSET,      /* "stereoset": intrasentence */
    BB_TASK_BBQ,            /* "bbq" */
    BB_TASK_CHOICE,         /* "multiple-choice" */
    BB_TASK_PERPLEXITY,     /* "perplexity" */
    /* embedding tasks in the MTEB style (issue 12; need BB_CAP_EMBED) */
    BB_TASK_RETRIEVAL,      /* "retrieval" */
    BB_TASK_CLUSTERING,     /* "clustering" */
    BB_TASK_LINEAR_PROBE    /* "linear-probe" */
};
/* Each type has its row in the suite layer's table (suite/task_schema.h). */
#define BB_SUITE_N_TASK_TYPES 13
enum bb_suite_score_type { BB_SCORE_ZERO_SHOT, BB_SCORE_SIMILARITY };

struct bb_suite_metadata {          /* every string may be NULL (not given) */
    const char *description, *intended_use, *out_of_scope_use, *owner, *license, *contact;
    struct bb_strlist languages;
};

struct bb_suite_defaults {
    long batch_size;                /* >= 1, default 32 */
    long limit;                     /* >= 0, 0 = every item; default 0 */
    enum bb_suite_backend backend;  /* default opencl */
    const char *device;             /* default "auto" */
    long bootstrap;                 /* resamples for CIs, >= 0 (0 = no CI); default 1000 */
    long permutations;              /* >= 1, default 100000 */
    double alpha;                   /* 0 < alpha < 1, default 0.05 */
    enum bb_suite_correction correction; /* default holm */
    uint64_t cache_size;            /* result cache bound in bytes (docs/caching.md);
                                       0: not given */
};

struct bb_suite_model {
    struct bb_suite_pos pos;        /* the item's map */
    const char *id;
    const char *source;             /* path, cache name or Hugging Face id */
    struct bb_suite_pos source_pos;
    enum bb_suite_precision precision; /* default f32 */
    long max_seq_len;               /* 0 = the model's own; default 0 */
};

/* One column mapping: role -> column name (name != NULL, index == -1) or
 * 0-based column number (name == NULL, index >= 0). */
struct bb_suite_column {
    const char *role;
    const char *name;
    long index;
    struct bb_suite_pos pos;        /* the value */
};

struct bb_suite_datasheet {         /* every string may be NULL */
    const char *source, *version, *license, *description, *known_issues, *citation;
    struct bb_strlist languages;
};

struct bb_suite_dataset {
    struct bb_suite_pos pos;
    const char *id;
    const char *path;               /* as written; resolved at run time */
    struct bb_suite_pos path_pos;
    enum bb_suite_format format;    /* given, or from the path's extension */
    bool header;                    /* csv/tsv: first row names the columns; default false */
    char delimiter;                 /* csv ',' / tsv '\t' unless given; 0 for jsonl/json */
    size_t n_columns;
    struct bb_suite_column *columns;
    enum bb_suite_on_bad_row on_bad_row; /* default error */
    bool drop_extra_fields;         /* csv/tsv: extra_fields: drop (rows with more fields
                                       than the header/first row keep the first ones);
                                       default error */
    struct bb_suite_datasheet datasheet;
};

/* One class of a zero-shot label map (in the order written). */
struct bb_suite_label {
    struct bb_suite_pos pos;        /* the label's key */
    const char *name;
    const char *value;              /* the dataset's label value; default: name */
    struct bb_strlist prompts;      /* >= 1 unless verbalizer is given (encoders) */
    const char *verbalizer;         /* language models: the continuation scored after the
                                       task's template (e.g. " positive"); may be NULL */
};

struct bb_suite_labels {
    size_t n;
    struct bb_suite_label *v;
};

struct bb_suite_filler {
    struct bb_suite_pos pos;        /* the placeholder's key */
    const char *placeholder;        /* NAME for {NAME} in templates */
    const struct bb_suite_dataset *dataset;
};

struct bb_suite_similarity {
    bool has_score_range;
    double score_min, score_max;    /* score_range: [min, max] */
};

struct bb_suite_zero_shot {
    struct bb_suite_labels labels;  /* >= 2 */
    bool has_positive_label;        /* positive_label given (binary/fairness metrics) */
    size_t positive_label;          /* index into labels */
    const char *template;           /* language models: prompt with {text}; NULL if none */
};

struct bb_suite_association {
    size_t n_datasets;
    const struct bb_suite_dataset **datasets; /* SEAT/WEAT json files */
    long permutations;              /* the task's, else defaults.permutations */
};

struct bb_suite_counterfactual {
    const struct bb_suite_dataset *templates; /* role 'template' */
    size_t n_fillers;
    struct bb_suite_filler *fillers;          /* role 'value' + factor roles */
    struct bb_strlist factors;                /* >= 1 */
    enum bb_suite_score_type score_type;
    struct bb_suite_labels labels;            /* zero-shot scoring */
    size_t positive_label;                    /* zero-shot: index into labels */
    struct bb_strlist prompts;                /* similarity scoring */
    const char *template;                     /* zero-shot scoring by a language model:
                                                 prompt with {text}; NULL if none */
};

/* pairs: one sentence pair per row, roles `more` (the more-stereotyping
 * sentence) and `less`; or role `more` here and `less` in a row-aligned
 * second dataset (WinoBias pro / anti files). */
struct bb_suite_pairs {
    const struct bb_suite_dataset *less_dataset; /* NULL: role `less` in dataset */
    bool strip_markup;              /* drop a leading "N " and '[' ']' (WinoBias) */
    const char *bias_type;          /* group of every pair when the data has no bias_type role */
};

/* stereoset (intrasentence): roles stereotype, anti_stereotype, unrelated,
 * domain; optional target (per-target averaging) and kind (rows whose kind is
 * not "intrasentence" are left out). */
struct bb_suite_stereoset {
    bool sum;                       /* normalization: sum (default: per token) */
    bool macro;                     /* average: target (official script) vs contexts */
};

/* bbq: BBQ JSONL files read by their own field names. */
struct bb_suite_bbq {
    size_t n_datasets;
    const struct bb_suite_dataset **datasets;
    const char *prompt;             /* with {context} and {question} */
};

/* multiple-choice: prompt and continuation templates over the dataset's roles. */
struct bb_suite_choice {
    const char *prompt;             /* {role} placeholders; required */
    const char *continuation;       /* default " {choice}" */
    struct bb_strlist choices;      /* roles/columns of the choices; empty: role `choices`
                                       holds a list */
};

struct bb_suite_perplexity {
    long max_length;                /* 0: the model's */
    long stride;                    /* 0: max_length - 1 */
};

/* retrieval: one (query, document) pair per row, roles `query` and
 * `document` (and `score` with min_score). The corpus is every distinct
 * document of the rows used; a row makes its document relevant to its query
 * when it has no min_score, or its score >= min_score (other rows only add
 * their document to the corpus as a distractor). */
struct bb_suite_retrieval {
    bool has_min_score;
    double min_score;
};

/* clustering: roles `text` and `label`; k-means with k = the number of
 * distinct labels (or k), restarts seeded restarts, max_iter Lloyd iterations. */
struct bb_suite_clustering {
    long k;                         /* 0: the number of distinct labels */
    long restarts;                  /* >= 1, default 10 */
    long max_iter;                  /* >= 1, default 300 */
};

/* linear-probe: logistic regression on frozen embeddings of train_dataset,
 * scored on dataset (both roles `text`, `label`), MTEB's classification
 * protocol: experiments runs, each on samples_per_label train rows per label. */
struct bb_suite_linear_probe {
    const struct bb_suite_dataset *train; /* train_dataset */
    long experiments;               /* >= 1, default 10 */
    long samples_per_label;         /* >= 0 (0: every train row), default 8 */
    double c;                       /* > 0, default 1 */
    long max_iter;                  /* >= 1, default 100 */
};

struct bb_suite_latency {
    size_t n_batch_sizes;
    long *batch_sizes;              /* default 1, 8, 32 */
    size_t n_seq_lens;
    long *seq_lens;                 /* default 16, 64, 128 */
    long warmup;                    /* >= 0, default 2 */
    long repetitions;               /* >= 1, default 10 */
};

struct bb_suite_task {
    struct bb_suite_pos pos;
    const char *id;
    enum bb_suite_task_type type;
    const struct bb_suite_dataset *dataset; /* similarity, zero-shot, pairs, stereoset,
                                               multiple-choice, perplexity, retrieval,
                                               clustering; else NULL */
    size_t n_models;
    const struct bb_suite_model **models;   /* given, else every model of the suite */
    bool models_given;              /* the task has a `models` key */
    long limit;                     /* the task's, else defaults.limit */
    long batch_size;                /* the task's, else defaults.batch_size */
    union {
        struct bb_suite_similarity similarity;
        struct bb_suite_zero_shot zero_shot;
        struct bb_suite_association association;
        struct bb_suite_counterfactual counterfactual;
        struct bb_suite_latency latency;
        struct bb_suite_pairs pairs;
        struct bb_suite_stereoset stereoset;
        struct bb_suite_bbq bbq;
        struct bb_suite_choice choice;
        struct bb_suite_perplexity perplexity;
        struct bb_suite_retrieval retrieval;
        struct bb_suite_clustering clustering;
        struct bb_suite_linear_probe linear_probe;
    } u;
};

/* A CI gate (checked by the compare/gate module). */
struct bb_suite_gate {
    struct bb_suite_pos pos;
    const char *metric;
    const struct bb_suite_task *task;   /* NULL: every task */
    const struct bb_suite_model *model; /* NULL: every model */
    bool has_min, has_max, has_max_regression;
    double min, max, max_regression;
    bool relative;                  /* max_regression is a fraction of the baseline */
    bool significant;               /* fail only on a significant regression */
};

/* perturb: (robustness, issue 12): every task it applies to runs again on
 * perturbed text, once per perturbation (suite/perturb.h, tasks/perturb.c). */
struct bb_suite_perturbation {
    struct bb_suite_pos pos;        /* the item's map */
    const char *id;                 /* [A-Za-z0-9_-]; default: the kind's name */
    int kind;                       /* enum bb_perturb_kind */
    double rate;                    /* [0, 1]; default 0.1 */
    size_t n_lists;                 /* names: filler lists (role value + the swap_on column) */
    const struct bb_suite_dataset **lists;
    const char *swap_on;            /* names: attribute telling the groups apart; default gender */
};
struct bb_suite_perturb {
    bool has_seed;
    uint64_t seed;                  /* default: the suite's seed */
    bool tasks_given;
    size_t n_tasks;                 /* given; else every task of a type perturbation reads */
    const struct bb_suite_task **tasks;
    size_t n;                       /* 0: no perturb key */
    struct bb_suite_perturbation *v;
};

struct bb_suite {
    const char *name;
    const char *path;               /* the top file as given */
    int version;
    uint64_t seed;                  /* default 0 */
    struct bb_suite_metadata metadata;
    struct bb_suite_defaults defaults;
    size_t n_models;
    struct bb_suite_model *models;
    size_t n_datasets;
    struct bb_suite_dataset *datasets;
    size_t n_tasks;
    struct bb_suite_task *tasks;
    size_t n_gates;
    struct bb_suite_gate *gates;
    struct bb_suite_perturb perturb; /* robustness reruns; perturb.n == 0 when none */
    size_t n_files;
    const char **files;             /* the top file, then every include read */
    void *arena;                    /* owns every string and array above */
};

/* One problem found in a suite. */
struct bb_diag {
    char *file;
    int line, col;                  /* 1-based; 0 when unknown */
    char *path;                     /* key path, e.g. "tasks[2].dataset"; "" at the top */
    char *text;                     /* the problem, e.g. "unknown dataset 'x'" */
    char *msg;                      /* "file:line:col: path: text" */
};

struct bb_diagnostics {
    size_t n, cap;
    struct bb_diag *v;
};

/* Load and validate the suite at path. On success *out is a new suite
 * (bb_suite_free it). On failure *out is NULL, diag (if not NULL) lists every
 * problem found, err holds the first, and the status is BB_E_IO (the top file
 * cannot be read), BB_E_INPUT (anything wrong in the suite) or BB_E_NOMEM.
 * diag starts zeroed ({0}); each load appends to it; bb_diagnostics_free it.
 * Messages are sorted by file (reading order), line and column. */
enum bb_status bb_suite_load(const char *path, struct bb_suite **out,
                             struct bb_diagnostics *diag, struct bb_error *err);
void bb_suite_free(struct bb_suite *suite);

/* "file:line:col" (or "file" when the line is unknown) into buf, snprintf-style,
 * for run-time errors that point back into the suite. */
int bb_suite_pos_str(struct bb_suite_pos pos, char *buf, size_t size);

const struct bb_suite_model *bb_suite_find_model(const struct bb_suite *s, const char *id);
const struct bb_suite_dataset *bb_suite_find_dataset(const struct bb_suite *s, const char *id);
const struct bb_suite_task *bb_suite_find_task(const struct bb_suite *s, const char *id);
/* The column a dataset maps role to, or NULL. */
const struct bb_suite_column *bb_suite_dataset_column(const struct bb_suite_dataset *ds,
                                                      const char *role);

const char *bb_suite_task_type_name(enum bb_suite_task_type t);
const char *bb_suite_format_name(enum bb_suite_format f);
const char *bb_suite_backend_name(enum bb_suite_backend b);
const char *bb_suite_correction_name(enum bb_suite_correction c);
const char *bb_suite_precision_name(enum bb_suite_precision p);

/* Print every diagnostic, one per line, then "N error(s)" when N > 0. */
void bb_suite_print_errors(const struct bb_diagnostics *d, FILE *f);
void bb_diagnostics_free(struct bb_diagnostics *d);

#endif
