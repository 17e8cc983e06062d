/* compare.h: load run directories (or a bare results.csv), match the metric
 * rows of two runs (or of two models of one run), and test each difference
 * with a paired test on the per-item files: paired bootstrap for means and
 * correlations, macro-F1, per-class precision/recall/F1 and counterfactual
 * gaps (resampling counterfactual sets), McNemar for accuracy, a paired item
 * bootstrap for WEAT/SEAT effect sizes; Benjamini-Hochberg across the
 * metrics tested. Where per-item
 * data is missing the difference is judged by non-overlap of the two 95% CIs.
 * Used by `biasbench compare` and by the gates (gate.h). */
#ifndef BB_COMPARE_H
#define BB_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "metrics/results.h"
#include "core/status.h"

struct bb_table;

/* A run as compare/gate see it. */
struct bb_rundata {
    char *path;               /* as given */
    char *dir;                /* the run directory; NULL for a bare CSV */
    char *results_path;       /* .../results.csv */
    struct bb_results results;
    json_t *manifest;         /* NULL for a bare CSV */
    char *suite_path;         /* the manifest's suite as a path that opens from here, or NULL */
    /* per-item tables loaded so far (path -> table; table NULL: absent) */
    size_t n_items;
    char **item_paths;
    struct bb_table **item_tables;
};

/* Load a run directory (manifest.json + results.csv) or a bare results.csv
 * file. Every problem names the file, and for results.csv the line and
 * column: BB_E_IO (missing), BB_E_INPUT (malformed). */
enum bb_status bb_rundata_load(const char *path, struct bb_rundata *out, struct bb_error *err);
void bb_rundata_free(struct bb_rundata *r);
/* The manifest's suite as a path that opens from the current folder:
 * suite.abs_path, else suite.path from here or below a parent of the run
 * folder, else suite.path as given; NULL (bare CSV, key absent). */
const char *bb_rundata_suite_path(const struct bb_rundata *r);
/* Model ids that appear in results.csv, in first-seen order (borrowed);
 * returns the count (at most max). */
size_t bb_rundata_models(const struct bb_rundata *r, const char **ids, size_t max);

/* Refuse two runs of different suites or datasets: BB_E_INPUT naming the
 * sha256 values that differ (suite.sha256; a dataset id read by both runs
 * with different sha256). Bare CSVs have no manifest: BB_OK. */
enum bb_status bb_compare_check_same(const struct bb_rundata *a, const struct bb_rundata *b,
                                     struct bb_error *err);

enum bb_cmp_method {
    BB_CMP_NONE = 0,     /* no CI and no per-item data: the difference only */
    BB_CMP_BOOTSTRAP,    /* paired bootstrap over items */
    BB_CMP_MCNEMAR,      /* McNemar on per-item correct; CI by paired bootstrap */
    BB_CMP_WEAT,         /* paired item bootstrap (X, Y, A, B resampled once per replicate) */
    BB_CMP_CI_OVERLAP    /* no per-item data: significant when the 95% CIs do not overlap */
};
const char *bb_cmp_method_name(enum bb_cmp_method m);

struct bb_cmp_opts {
    int replicates;      /* paired bootstrap replicates; default 1000 */
    uint64_t seed;       /* default 0 */
    double alpha;        /* significance level (on BH-adjusted p); default 0.05 */
    bool ignore_model;   /* match rows whatever their model */
    const char *model_a, *model_b; /* both set: compare these two models (one run) */
};
struct bb_cmp_opts bb_cmp_opts_default(void);

/* One matched metric: a from the baseline (A), b from the candidate (B).
 * The verdict and the interval come from one test: McNemar's exact test and
 * the Clopper-Pearson interval it inverts (accuracies), or the paired
 * bootstrap's percentile interval (the rest: different when it excludes 0).
 * Every test here is two-sided. */
struct bb_cmp {
    const struct bb_result_row *a, *b;
    double diff;             /* b->value - a->value */
    double ci_low, ci_high;  /* (1 - alpha) CI of the difference from the test; NAN when none
                                (CI non-overlap shows the two runs' own CIs instead) */
    double p_value;          /* two-sided; NAN when none */
    double p_adj;            /* Benjamini-Hochberg over the comparison; NAN when none */
    double p_floor;          /* the smallest p the test can give here (McNemar: 2^(1-d) with d
                                discordant pairs; bootstrap: 2 / (1 + B), and 2^(1-n) over n
                                units); NAN when none */
    long n_floor;            /* the n that sets p_floor (discordant pairs, units) */
    enum bb_cmp_method method;
    bool ci_excludes_0;      /* the test's own verdict: its CI excludes 0 (p < alpha) */
    bool cannot_reach;       /* p_floor >= alpha: no outcome could be significant */
    bool significant;        /* ci_excludes_0, p_adj < alpha and not cannot_reach (CIs apart for
                                BB_CMP_CI_OVERLAP) */
    long n_paired;           /* items paired (0 when no per-item test) */
    char note[256];          /* how it was tested, or why it fell back */
};

/* The verdict of c as compare and the report print it: "B better", "B worse",
 * "differs" (no direction), "no significant change", "not significant after BH
 * (p_BH …)", "cannot be significant (n=…, min p …)", "not tested"; CI
 * non-overlap adds "(CIs apart)" / "(CIs overlap)". Into buf. */
const char *bb_cmp_verdict(const struct bb_cmp *c, double alpha, char *buf, size_t n);
/* A p-value as printed: "0.0312", "≤ 0.002" at the test's floor, "-" when none. */
const char *bb_cmp_p_text(double p, double floor, char *buf, size_t n);

/* McNemar's exact test of accuracies over n paired items, b right only in A,
 * c right only in B: two-sided exact binomial p (any b + c), the difference
 * (c - b) / n with the Clopper-Pearson interval of c / (b + c) at 1 - alpha
 * mapped onto it, so the interval excludes 0 exactly when p < alpha; the
 * floor 2^(1 - (b + c)). Fills out's numbers, method and note. */
void bb_compare_mcnemar(size_t b, size_t c, size_t n, double alpha, struct bb_cmp *out);
/* A paired bootstrap's result into out: CI, p, method m, and the floor
 * max(2 / (1 + B used), 2^(1 - units)) over `units` resampled units (items,
 * sets; an exact paired test over so few could not go lower). */
struct bb_paired;
void bb_compare_boot_result(struct bb_cmp *out, const struct bb_paired *r, enum bb_cmp_method m,
                            size_t units);

struct bb_comparison {
    struct bb_cmp *v;
    size_t n;
    size_t n_only_a, n_only_b; /* rows without a partner */
    double alpha;
    int replicates;
};

/* Index of the row of r that matches row (task, dataset, model, variant
 * without its " @ device" part, group, metric); with ignore_model, or with
 * model (the other side's model id) given, model and variant are not
 * compared. -1 if none. */
long bb_compare_find(const struct bb_results *r, const struct bb_result_row *row, bool ignore_model,
                     const char *model);

/* Test one pair of rows (a of run ra, b of run rb). Fills out. */
enum bb_status bb_compare_pair(struct bb_rundata *ra, const struct bb_result_row *a,
                               struct bb_rundata *rb, const struct bb_result_row *b,
                               const struct bb_cmp_opts *opt, struct bb_cmp *out,
                               struct bb_error *err);
/* Benjamini-Hochberg over the entries with a p-value, then significance. */
enum bb_status bb_compare_adjust(struct bb_cmp *v, size_t n, double alpha, struct bb_error *err);

/* Every metric present in both runs (or, with opt->model_a/model_b, of the
 * two models of run a; b is then a too). */
enum bb_status bb_compare_runs(struct bb_rundata *a, struct bb_rundata *b,
                               const struct bb_cmp_opts *opt, struct bb_comparison *out,
                               struct bb_error *err);
void bb_comparison_free(struct bb_comparison *c);

enum bb_cmp_format { BB_CMP_MD, BB_CMP_HTML, BB_CMP_CSV };
/* Write the comparison as a Markdown table, a self-contained HTML page or
 * CSV. label_a/label_b name the two sides. */
void bb_compare_write(const struct bb_comparison *c, enum bb_cmp_format f, const char *label_a,
                      const char *label_b, FILE *fp);

/* ---- likelihood tasks (compare_lm.c) ----
 * Whether t is a likelihood task's per-item file (pairs, stereoset, bbq,
 * multiple-choice, perplexity) and the metric table (metrics/table.h) gives
 * metric a likelihood task and a McNemar or recomputing test; then the test
 * of a (baseline) against the candidate's file tb: McNemar for accuracies,
 * else the paired bootstrap with the statistic recomputed on both sides.
 * out->method stays BB_CMP_NONE when fewer than 3 items pair up. */
struct bb_table;
bool bb_compare_lm_handles(const struct bb_table *t, const char *metric);
enum bb_status bb_compare_lm(const struct bb_table *ta, const struct bb_table *tb,
                             const struct bb_result_row *a, const struct bb_cmp_opts *o,
                             struct bb_cmp *out, struct bb_error *err);

#endif
