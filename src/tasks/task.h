/* task.h: the task interface. A task turns one suite task x one loaded model
 * into result rows (results.csv) and one per-item CSV
 * (items/<task>__<model>.csv), using only the model interface, the dataset
 * loader and the metrics: it never knows which backend ran. The runner
 * (run.c) owns the loop, the run directory and the manifest; tasks reach them
 * only through struct bb_task_ctx and the helpers below (common.c).
 *
 * Per-item CSV contract (read by compare/gate for paired tests):
 *   - the first column is `item_id`, stable across runs of the same suite and
 *     data: the source line of the row ("L<line>") for CSV/TSV/JSONL, the row
 *     index ("R<index>") for JSON documents, or a task-defined key (e.g.
 *     "<test>/<set>/<index>" for WEAT items, "<template>/<fillers>" for
 *     counterfactual sentences);
 *   - every other column is either text (inputs, labels, group names) or a
 *     number written with "%.9g"; an empty cell means missing;
 *   - the header names the columns; compare/gate join two runs on item_id.
 * A task that needs several tables per model (WEAT: one per test) writes them
 * all in one file with a discriminating column (e.g. `test`) and a unique
 * item_id, or opens extra files with a suffix (items/<task>__<model>__<suffix>.csv). */
#ifndef BB_TASKS_TASK_H
#define BB_TASKS_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "suite/dataset.h"
#include "metrics/rng.h"
#include "metrics/stats.h"
#include "metrics/vec.h"
#include "metrics/results.h"
#include "core/status.h"
#include "suite/suite.h"

struct bb_model;
struct bb_backend;
struct bb_embed_cache; /* per-model cache of embeddings of repeated texts */
struct bb_perturb_lexicon;

/* What tasks record for the manifest (owned by the runner, filled by the
 * helpers below; tasks do not touch it directly). */
struct bb_task_file {
    char *dataset_id, *path, *sha256, *format;
    unsigned long long bytes;
    long rows, skipped_rows; /* -1 when not a table */
};
struct bb_task_skip {
    char *task_id, *model_id, *what, *reason;
};
struct bb_task_records {
    struct bb_task_file *files;
    size_t n_files, cap_files;
    struct bb_task_skip *skips;
    size_t n_skips, cap_skips;
};
void bb_task_records_free(struct bb_task_records *r);

/* Default temperature of label probabilities (bb_vec_softmax): p = softmax(cos / T). Cosines
 * of sentence embeddings to label prompts differ by a few hundredths between
 * labels; T = 0.05 turns a 0.05 cosine lead into odds of e : 1, so the
 * probability is informative without being saturated. */
#define BB_LABEL_TEMPERATURE 0.05

/* What a task's run function gets. Everything is owned by the runner. */
struct bb_task_ctx {
    const struct bb_suite *suite;
    const struct bb_suite_task *task;
    const struct bb_suite_model *model_spec; /* the suite's model entry */
    struct bb_model *model;                  /* loaded, ready to embed */
    const char *model_id;                    /* model_spec->id */
    const char *variant;                     /* "f32" / "f16" (precision), for result rows */
    const char *run_dir;                     /* output folder (exists) */
    const char *data_dir;                    /* --data-dir or NULL */
    long limit;       /* items to use: 0 = all (the --limit option overrides the task's) */
    int batch_size;   /* the task's batch size */
    long bootstrap;   /* replicates for CIs (suite defaults.bootstrap); 0 = no CI */
    long permutations;/* permutation budget (association: the task's, else the default) */
    double alpha;     /* suite defaults.alpha */
    uint64_t seed;    /* this task x model's seed: bb_task_seed(suite seed, task id, model id) */
    struct bb_results *results; /* rows are appended here */
    struct bb_task_records *records; /* datasets read, things skipped (manifest) */
    struct bb_embed_cache *cache; /* may be NULL: no caching */
    /* The backend the model runs on: only for bb_backend_sync / device info
     * (latency); tasks never call ops. backend_name "opencl"/"ref",
     * device_sel the --device selector (to create a second, cold backend). */
    struct bb_backend *backend;
    const char *backend_name, *device_sel;
    /* Robustness (suite `perturb:`): NULL for the run on the data as it is;
     * else this run's perturbation: bb_task_load_table perturbs the text roles
     * of the task's datasets (tasks/perturb.c), rows carry its id in their
     * perturbation column and per-item files are
     * items/<task>__<model>__perturb-<id>[__<suffix>].csv. */
    const struct bb_suite_perturbation *perturb;
    uint64_t perturb_seed;                      /* perturb.seed, else the suite's */
    const struct bb_perturb_lexicon *lexicon;   /* kind names: the swap lexicon */
    /* Set by bb_task_emit for a row marked headline (the runner's summary
     * table); the runner clears it before each task. */
    bool has_headline;
    size_t headline; /* index into results->rows */
};

/* A task type's run function: appends its rows to ctx->results and commits
 * its per-item file; returns BB_OK, or an error that stops the run (BB_E_INPUT
 * for bad data, BB_E_DEVICE, ...). It must not leave files half written. */
typedef enum bb_status (*bb_task_fn)(struct bb_task_ctx *ctx, struct bb_error *err);

/* The task implementations (one file each under src/tasks/). */
enum bb_status bb_task_similarity(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_zeroshot(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_association(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_counterfactual(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_latency(struct bb_task_ctx *ctx, struct bb_error *err);
/* likelihood tasks for language models (lmcommon.c, pairs.c, stereoset.c,
   bbq.c, choice.c, perplexity.c) */
enum bb_status bb_task_pairs(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_stereoset(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_bbq(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_choice(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_perplexity(struct bb_task_ctx *ctx, struct bb_error *err);
/* MTEB-style embedding tasks (issue 12): retrieval.c, clustering.c */
enum bb_status bb_task_retrieval(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_clustering(struct bb_task_ctx *ctx, struct bb_error *err);
enum bb_status bb_task_linear_probe(struct bb_task_ctx *ctx, struct bb_error *err); /* probe.c */

/* The task-type table (registry.c): one row per type. */
struct bb_task_type_info {
    enum bb_suite_task_type type;
    const char *name;            /* as in suites */
    unsigned caps;               /* BB_CAP_* the model needs; 0: either kind (the task
                                    picks its scoring by the model's capabilities) */
    bb_task_fn run;
    const char *report_section;  /* title of its report section */
    const char *compare;         /* how compare tests two runs of it (for docs/report) */
};
/* NULL for a type not built in. */
const struct bb_task_type_info *bb_task_type_info(enum bb_suite_task_type t);
/* Can a model with capabilities caps (BB_CAP_*) run task t? (the type's
   capability; for zero-shot and counterfactual, label prompts for encoders, a
   template with verbalizers for language models). false: why (n bytes). */
bool bb_task_model_fits(const struct bb_suite_task *t, unsigned caps, char *why, size_t n);
/* The run function of a task type (bb_task_type_info(t)->run, or NULL). */
bb_task_fn bb_task_runner(enum bb_suite_task_type t);
/* The task types (bits 1u << type) whose model capability includes every bit of caps
   (BB_CAP_*): bb_task_type_mask(BB_CAP_LOGLIK) are the likelihood tasks. */
unsigned bb_task_type_mask(unsigned caps);

/* ---- language models (lmcommon.c) ------------------------------------------------ */

struct bb_loglik_request;
struct bb_loglik_result;
/* BB_OK when ctx->model has caps; else BB_E_UNSUPPORTED "task T (suite:line):
   model M cannot score text: it is a sentence encoder". */
enum bb_status bb_task_require(struct bb_task_ctx *ctx, unsigned caps, struct bb_error *err);
/* bb_model_loglik with the task's batch size and progress label. */
enum bb_status bb_task_loglik(struct bb_task_ctx *ctx, const struct bb_loglik_request *reqs,
                              size_t n, struct bb_loglik_result *out, struct bb_error *err);
/* tpl with every {names[k]} replaced by values[k] (other braces kept as
   written); a new string, NULL when out of memory. */
char *bb_task_fill(const char *tpl, const char *const *names, const char *const *values, size_t n);
/* Decoder zero-shot scoring: ll[i * L + l] = log P(verbalizer_l | template
   with {text} = texts[i]) for the L labels. */
enum bb_status bb_task_lm_label_scores(struct bb_task_ctx *ctx, const char *tpl,
                                       const struct bb_suite_labels *labels,
                                       const char *const *texts, size_t n, double *ll,
                                       struct bb_error *err);
/* out[i] = sel[idx[i]] (sel NULL: idx[i]); returns out. */
const int *bb_task_map_idx(const size_t *sel, const int *idx, size_t n, int *out);
/* "suite-file:line:col" of the task into buf; returns buf. */
const char *bb_task_pos(const struct bb_task_ctx *ctx, char *buf, size_t n);

/* ---- seeds ---------------------------------------------------------------- */

/* Seed of one task x model: splitmix-style mix of the suite seed with FNV-1a
 * hashes of the task id and the model id. Stable across runs and platforms. */
uint64_t bb_task_seed(uint64_t suite_seed, const char *task_id, const char *model_id);
/* A sub-seed for one purpose within a task (e.g. "bootstrap", a test name). */
uint64_t bb_task_subseed(const struct bb_task_ctx *ctx, const char *purpose);
/* Bootstrap options: B = ctx->bootstrap, level 0.95, seed = subseed(purpose). */
struct bb_bootstrap_opts bb_task_bootstrap_opts(const struct bb_task_ctx *ctx, const char *purpose);

/* ---- datasets --------------------------------------------------------------- */

/* Resolve a suite dataset's path along the search path (--data-dir,
 * BIASBENCH_DATA, datasets/, ../shared/datasets, cache) into out. Not found:
 * BB_E_IO naming the places looked (the runner turns that into a skip). */
enum bb_status bb_task_resolve_dataset(const struct bb_task_ctx *ctx,
                                       const struct bb_suite_dataset *ds, char *out, size_t n,
                                       struct bb_error *err);
/* Resolve and load a suite dataset as a table (its format, header, delimiter,
 * column mapping and on_bad_row applied) and record it in the manifest
 * (id, resolved path, sha256, bytes, rows, skipped rows). Errors name the
 * suite position of the dataset. */
enum bb_status bb_task_load_table(struct bb_task_ctx *ctx, const struct bb_suite_dataset *ds,
                                  struct bb_table **out, struct bb_error *err);
/* Resolve and load a SEAT/WEAT test file and record it in the manifest. */
enum bb_status bb_task_load_seat(struct bb_task_ctx *ctx, const struct bb_suite_dataset *ds,
                                 struct bb_seat_test *out, struct bb_error *err);
/* Record a file read by other means (path already resolved) in the manifest. */
enum bb_status bb_task_record_file(struct bb_task_ctx *ctx, const char *dataset_id,
                                   const char *path, struct bb_error *err);
/* Perturb the text roles (suite/perturb.h bb_perturb_text_roles) of table t,
 * loaded from ds, with ctx->perturb, each cell seeded by its item id and
 * role; no-op when ctx->perturb is NULL or ds is not the task's dataset.
 * Called by bb_task_load_table (tasks/perturb.c). */
enum bb_status bb_task_perturb_table(const struct bb_task_ctx *ctx,
                                     const struct bb_suite_dataset *ds, struct bb_table *t,
                                     struct bb_error *err);
/* The swap lexicon of a `names` perturbation: every filler list of pt
 * (loaded and recorded like any dataset; columns value and pt->swap_on). */
enum bb_status bb_task_perturb_lexicon(struct bb_task_ctx *ctx,
                                       const struct bb_suite_perturbation *pt,
                                       struct bb_perturb_lexicon *lex, struct bb_error *err);
/* Rows to use out of n_rows given ctx->limit (the first N rows, in file order). */
size_t bb_task_limit(const struct bb_task_ctx *ctx, size_t n_rows);
/* Stable item id of a table row: "L<line>" when the row has a source line,
 * else "R<row>". buf needs >= 24 bytes; returns buf. */
const char *bb_task_item_id(const struct bb_table *t, size_t row, char *buf, size_t n);
/* Record something this task left out (a missing file among several, ...):
 * a warning on stderr and an entry in manifest.json's "skipped" list. */
void bb_task_note_skip(struct bb_task_ctx *ctx, const char *what, const char *reason);
/* Called per distinct group value with the indices sel (m) of its items. */
typedef enum bb_status (*bb_task_group_fn)(struct bb_task_ctx *ctx, const char *group,
                                           const size_t *sel, size_t m, void *data,
                                           struct bb_error *err);
/* fn for each distinct value of grp[0..n), in sorted order (deterministic). */
enum bb_status bb_task_each_group(struct bb_task_ctx *ctx, const char *const *grp, size_t n,
                                  bb_task_group_fn fn, void *data, struct bb_error *err);

/* ---- embeddings ------------------------------------------------------------- */

/* A cache of embeddings keyed by text, for one model (dim floats per text). */
enum bb_status bb_embed_cache_new(int dim, struct bb_embed_cache **out, struct bb_error *err);
void bb_embed_cache_free(struct bb_embed_cache *c);

/* Embed n texts -> out (n, dim), L2-normalised rows. Repeated texts (within
 * the call, and across calls for the same model through ctx->cache) are
 * embedded once. Tokenizes, sorts by length and batches (ctx->batch_size) itself, with a
 * progress line "task/model" on a terminal. */
enum bb_status bb_task_embed(struct bb_task_ctx *ctx, const char *const *texts, size_t n,
                             float *out, struct bb_error *err);
int bb_task_dim(const struct bb_task_ctx *ctx);
/* Zero-shot label embeddings: for each label, embed its prompts, normalise
 * each, average, normalise again -> out (n_labels, dim). */
enum bb_status bb_task_label_embeddings(struct bb_task_ctx *ctx,
                                        const struct bb_suite_labels *labels, float *out,
                                        struct bb_error *err);
/* Class ids of string labels: ids[i] is the index of labels[i] among the
 * distinct labels in strcmp order (0 .. *m - 1); names (NULL, or room for n)
 * gets those distinct labels in that order, borrowed from labels. */
enum bb_status bb_task_label_ids(const char *const *labels, size_t n, int *ids, const char **names,
                                 size_t *m, struct bb_error *err);
/* Cosines to the labels (bb_vec_cosines), label probabilities
 * (bb_vec_softmax with T = BB_LABEL_TEMPERATURE for encoders, 1 over
 * log-likelihoods for language models) and the prediction (bb_vec_argmax):
 * metrics/vec.h. */

/* ---- result rows ------------------------------------------------------------ */

/* One metric row; unset strings/values take the defaults noted. */
struct bb_task_row {
    const char *dataset;  /* dataset id; NULL -> the task's dataset id or "" */
    const char *group;    /* NULL -> "all" */
    const char *variant;  /* NULL -> ctx->variant */
    const char *metric;
    double value;
    double ci_low, ci_high; /* NAN when none */
    long n;
    double p_value;         /* NAN when none */
    double p_adjusted;      /* p_value adjusted over the task's family; NAN when none */
    const char *adjust_method; /* "holm", "bh"; NULL when none */
    enum bb_direction dir;
    enum bb_result_kind kind;
    bool headline;          /* the task's headline metric (summary table on stdout) */
};
/* A row with value v, CIs and p-values NAN, n, dir, kind — fill the rest by hand. */
struct bb_task_row bb_task_row_make(const char *metric, double v, long n, enum bb_direction dir,
                                    enum bb_result_kind kind);
/* Append a row with suite/task/model taken from ctx. A metric that is not in
 * the metric table (metrics/table.h), or whose direction or kind differ from
 * the table's, is BB_E_INTERNAL: the table must describe every row. */
enum bb_status bb_task_emit(struct bb_task_ctx *ctx, const struct bb_task_row *row,
                            struct bb_error *err);
/* Bootstrap CI of stat over n items into row (value = the statistic on all
 * items, ci_low/ci_high; CIs left NAN when ctx->bootstrap == 0 or no valid
 * replicate), then emit it. */
enum bb_status bb_task_emit_boot(struct bb_task_ctx *ctx, struct bb_task_row *row, size_t n,
                                 bb_stat_fn stat, void *stat_ctx, const char *purpose,
                                 struct bb_error *err);

/* ---- per-item CSV ----------------------------------------------------------- */

struct bb_items; /* an open items/<task>__<model>[__suffix].csv (atomic) */

/* Open the per-item file with header cols[0..ncols) (cols[0] must be
 * "item_id"). suffix may be NULL. */
enum bb_status bb_items_open(struct bb_task_ctx *ctx, const char *suffix, const char *const *cols,
                             size_t ncols, struct bb_items **out, struct bb_error *err);
/* Append cells to the current row, left to right (quoted as CSV needs). */
void bb_items_str(struct bb_items *w, const char *s); /* NULL -> empty */
void bb_items_num(struct bb_items *w, double v);      /* "%.9g"; NaN -> empty */
void bb_items_int(struct bb_items *w, long v);
/* End the row: its cell count must equal ncols (else BB_E_INTERNAL). */
enum bb_status bb_items_end_row(struct bb_items *w, struct bb_error *err);
/* Flush, rename into place, free. */
enum bb_status bb_items_commit(struct bb_items *w, struct bb_error *err);
/* Remove the temporary and free (error paths). NULL is fine. */
void bb_items_abort(struct bb_items *w);
/* The end of writing w (NULL: never opened): st from the rows written, then
 * bb_items_abort when st is an error, else bb_items_commit. Returns the status. */
enum bb_status bb_items_finish(struct bb_items *w, enum bb_status st, struct bb_error *err);

/* ---- progress ----------------------------------------------------------------- */

/* Progress label "task/model" for bb_progress (buf >= 128 bytes); returns buf. */
const char *bb_task_label(const struct bb_task_ctx *ctx, char *buf, size_t n);

#endif
