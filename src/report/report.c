/* report.c: the bias audit report of a run (report.md and a self-contained
 * report.html) with its gnuplot charts, in the sections of
 * docs/report-standard.md, from the suite, the results rows and the files the
 * run left (manifest.json, items/). Never touches models or backends.
 *
 * Rows are read by task type (from the suite; guessed from metric names for
 * a task the suite does not define) and metric name. Counterfactual rows:
 * group "factor=value" (unitary) or "f1=v1&f2=v2" (intersectional);
 * mean_score, selection_rate / scoring_rate, impact_ratio (p = its test
 * against the reference group), gap (group names the pair), max_gap and the
 * group-fairness summaries with group "all" or the factor. Association rows:
 * effect_size per test (group = test). Adjusted p-values are computed here
 * with the suite's correction over each family (task x model x metric). Any
 * row no table takes is still shown, under "other results". */
#include "config.h"

#include "report/report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileout.h"
#include "core/json.h"
#include "core/log.h"
#include "metrics/stats.h"
#include "metrics/table.h"
#include "report/doc.h"
#include "report/plot.h"
#include "report/report_int.h"

/* ---- small helpers ------------------------------------------------------------------ */

const char *bb_rep_num(struct bb_rep *R, double v)
{
    char *b = R->ring[R->ring_i++ % BB_REP_RING];
    if (isnan(v) || isinf(v))
        snprintf(b, BB_REP_CELL, "—");
    else if (fabs(v) >= 1000)
        snprintf(b, BB_REP_CELL, "%.0f", v);
    else if (fabs(v) >= 100)
        snprintf(b, BB_REP_CELL, "%.1f", v);
    else
        snprintf(b, BB_REP_CELL, "%.3f", v);
    return b;
}

const char *bb_rep_ci(struct bb_rep *R, double lo, double hi)
{
    char *b = R->ring[R->ring_i++ % BB_REP_RING];
    if (isnan(lo) || isnan(hi)) {
        snprintf(b, BB_REP_CELL, "—");
        return b;
    }
    char l[40], h[40];
    snprintf(l, sizeof l, "%s", bb_rep_num(R, lo));
    snprintf(h, sizeof h, "%s", bb_rep_num(R, hi));
    snprintf(b, BB_REP_CELL, "[%s, %s]", l, h);
    return b;
}

const char *bb_rep_p(struct bb_rep *R, double p)
{
    char *b = R->ring[R->ring_i++ % BB_REP_RING];
    if (isnan(p))
        snprintf(b, BB_REP_CELL, "—");
    else if (p <= 1.0000001e-4) /* at or below a permutation test's resolution */
        snprintf(b, BB_REP_CELL, "≤ 1e-4");
    else
        snprintf(b, BB_REP_CELL, "%.4f", p);
    return b;
}

const char *bb_rep_long(struct bb_rep *R, long v)
{
    char *b = R->ring[R->ring_i++ % BB_REP_RING];
    snprintf(b, BB_REP_CELL, "%ld", v);
    return b;
}

const char *bb_rep_dir(enum bb_direction d)
{
    return d == BB_DIR_HIGHER ? "higher is better" : d == BB_DIR_LOWER ? "lower is better" : "—";
}

const char *bb_rep_arrow(enum bb_direction d)
{
    return d == BB_DIR_HIGHER ? " ↑" : d == BB_DIR_LOWER ? " ↓" : "";
}

/* A string field of a JSON object, or NULL. */
const char *bb_rep_jstr(const json_t *o, const char *key)
{
    const json_t *v = o ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Plain names of the WEAT/SEAT tests (May et al. 2019; Caliskan et al. 2017). */
static const char *const TEST_NAMES[][2] = { /* at most 36 characters: chart tic labels */
    {"weat10", "WEAT 10: young/old names, pleasant"},
    {"weat1", "WEAT 1: flowers/insects, pleasant"},
    {"weat2", "WEAT 2: instruments/weapons, pleasant"},
    {"weat3b", "WEAT 3b: white/black terms, pleasant"},
    {"weat3", "WEAT 3: white/black names, pleasant"},
    {"weat4", "WEAT 4: white/black names, pleasant"},
    {"weat5b", "WEAT 5b: white/black terms, pleasant"},
    {"weat5", "WEAT 5: white/black names, pleasant"},
    {"weat6b", "WEAT 6b: career/family, male terms"},
    {"weat6", "WEAT 6: career/family, male names"},
    {"weat7b", "WEAT 7b: math/arts, male names"},
    {"weat7", "WEAT 7: math/arts, male terms"},
    {"weat8b", "WEAT 8b: science/arts, male names"},
    {"weat8", "WEAT 8: science/arts, male terms"},
    {"weat9", "WEAT 9: mental/physical disease"},
    {"heilman_double_bind_competent", "Heilman double bind, competent"},
    {"heilman_double_bind_likable", "Heilman double bind, likable"},
    {"angry_black_woman_stereotype_b", "Angry black woman stereotype (b)"},
    {"angry_black_woman_stereotype", "Angry black woman stereotype"},
};

const char *bb_rep_test_name(const char *id, char *buf, size_t n)
{
    const char *s = id ? id : "";
    if (!strncmp(s, "sent-", 5))
        s += 5;
    for (size_t i = 0; i < sizeof TEST_NAMES / sizeof TEST_NAMES[0]; i++) {
        size_t len = strlen(TEST_NAMES[i][0]);
        if (!strncmp(s, TEST_NAMES[i][0], len) && (!s[len] || s[len] == '_' || s[len] == '-')) {
            snprintf(buf, n, "%s", TEST_NAMES[i][1]);
            return buf;
        }
    }
    /* unknown: underscores to spaces, first letter upper case */
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        buf[k++] = *s == '_' ? ' ' : *s;
    buf[k] = 0;
    if (k)
        buf[0] = (char)toupper((unsigned char)buf[0]);
    return buf;
}

static bool local_paths(void)
{
    const char *e = getenv("BIASBENCH_REPORT_LOCAL_PATHS");
    return e && !strcmp(e, "1");
}

const char *bb_rep_path(const char *path, char *buf, size_t n)
{
    if (!path)
        return NULL;
    if (local_paths() || path[0] != '/') {
        snprintf(buf, n, "%s", path);
        return buf;
    }
    static const char *const roots[] = {"/datasets/", "/models/"};
    for (size_t i = 0; i < 2; i++) {
        const char *at = NULL;
        for (const char *p = strstr(path, roots[i]); p; p = strstr(p + 1, roots[i]))
            at = p;
        if (at) {
            snprintf(buf, n, "%s", at + strlen(roots[i]));
            return buf;
        }
    }
    const char *slash = strrchr(path, '/');
    snprintf(buf, n, "%s", slash && slash[1] ? slash + 1 : path);
    return buf;
}

/* ---- task kinds -------------------------------------------------------------------- */

static bool metric_is(const char *m, const char *const *names)
{
    for (; *names; names++)
        if (!strcmp(m, *names))
            return true;
    return false;
}

static const char *const SCORE_METRICS[] = {"mean_score", "score", "mean", NULL};
static const char *const RATE_METRICS[] = {"selection_rate", "scoring_rate", NULL};
static const char *const GAP_METRICS[] = {"gap", "paired_gap", "score_gap", NULL};

const char *bb_rep_label(const struct bb_result_row *r)
{
    return !strcmp(r->group, "all") && r->dataset[0] && strstr(r->metric, "effect_size")
               ? r->dataset : r->group;
}

bool bb_rep_is_score(const char *m) { return metric_is(m, SCORE_METRICS); }
bool bb_rep_is_rate(const char *m) { return metric_is(m, RATE_METRICS); }
bool bb_rep_is_gap(const char *m) { return metric_is(m, GAP_METRICS); }

/* The task type of a results task id: from the suite, else from the
 * manifest's tasks[].type, else the one type the metric registry says emits
 * every metric of the task (metrics/table.h); -1 when none fits. */
static int task_type(const struct bb_rep *R, const char *task)
{
    const struct bb_suite_task *t = R->suite ? bb_suite_find_task(R->suite, task) : NULL;
    if (t)
        return (int)t->type;
    json_t *tasks = R->manifest ? json_object_get(R->manifest, "tasks") : NULL;
    size_t k;
    json_t *o;
    json_array_foreach(tasks, k, o) {
        const char *id = bb_rep_jstr(o, "id"), *type = bb_rep_jstr(o, "type");
        if (id && type && !strcmp(id, task))
            for (int ty = 0; ty < BB_SUITE_N_TASK_TYPES; ty++)
                if (!strcmp(type, bb_suite_task_type_name((enum bb_suite_task_type)ty)))
                    return ty;
    }
    const char **names = malloc((R->res->n ? R->res->n : 1) * sizeof *names);
    size_t n = 0;
    for (size_t i = 0; names && i < R->res->n; i++)
        if (!strcmp(R->res->rows[i].task, task))
            names[n++] = R->res->rows[i].metric;
    int ty = names ? bb_metric_task_type(names, n) : -1;
    free(names);
    return ty;
}

/* Distinct strings of a field, in order of first appearance. */
static enum bb_status distinct(struct bb_rep *R, size_t off, const char ***out, size_t *n,
                               struct bb_error *err)
{
    *out = calloc(R->res->n ? R->res->n : 1, sizeof **out);
    *n = 0;
    if (!*out)
        return bb_fail(err, BB_E_NOMEM, "out of memory listing results");
    for (size_t i = 0; i < R->res->n; i++) {
        const char *s = *(const char *const *)((const char *)&R->res->rows[i] + off);
        size_t k = 0;
        while (k < *n && strcmp((*out)[k], s))
            k++;
        if (k == *n)
            (*out)[(*n)++] = s;
    }
    return BB_OK;
}

/* A task's own adjusted p-values (results.csv p_adjusted; its reader folds
 * an old run's "<metric>_p_<correction>" rows into it) win over ours. No row
 * is an annotation of another (aux) since the reader folds an old run's
 * "small_group" rows into the small_group column too. */
static enum bb_status use_task_adjusted(struct bb_rep *R, struct bb_error *err)
{
    size_t n = R->res->n;
    R->aux = calloc(n ? n : 1, 1);
    if (!R->aux)
        return bb_fail(err, BB_E_NOMEM, "out of memory adjusting p-values");
    for (size_t i = 0; i < n; i++) {
        const struct bb_result_row *r = &R->res->rows[i];
        if (!isnan(r->p_value) && *r->adjust_method && !isnan(r->p_adjusted))
            R->adj[i] = r->p_adjusted;
    }
    return BB_OK;
}

/* Adjusted p-values: one family per task x model x metric (rows with a p). */
static enum bb_status adjust(struct bb_rep *R, struct bb_error *err)
{
    size_t n = R->res->n;
    enum bb_status st = BB_OK;
    R->adj = malloc((n ? n : 1) * sizeof *R->adj);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    double *p = malloc((n ? n : 1) * sizeof *p), *a = malloc((n ? n : 1) * sizeof *a);
    char *done = calloc(n ? n : 1, 1);
    if (!R->adj || !idx || !p || !a || !done) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory adjusting p-values");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        R->adj[i] = NAN;
    for (size_t i = 0; i < n && !st; i++) {
        const struct bb_result_row *r = &R->res->rows[i];
        if (done[i] || isnan(r->p_value) || !strncmp(r->metric, "max_", 4))
            continue; /* a maximum's p is its pair's; not a family of its own */
        size_t m = 0;
        for (size_t k = i; k < n; k++) {
            const struct bb_result_row *q = &R->res->rows[k];
            if (!done[k] && !isnan(q->p_value) && !strcmp(q->task, r->task) &&
                !strcmp(q->model, r->model) && !strcmp(q->variant, r->variant) &&
                !strcmp(q->metric, r->metric)) {
                done[k] = 1;
                idx[m] = k;
                p[m++] = q->p_value < 0 ? 0 : q->p_value > 1 ? 1 : q->p_value;
            }
        }
        if (R->correction == BB_SUITE_CORRECTION_BH)
            st = bb_stats_bh(p, m, a, err);
        else if (R->correction == BB_SUITE_CORRECTION_HOLM)
            st = bb_stats_holm(p, m, a, err);
        else
            memcpy(a, p, m * sizeof *a);
        for (size_t k = 0; k < m && !st; k++)
            R->adj[idx[k]] = a[k];
    }
out:
    free(idx), free(p), free(a), free(done);
    return st ? st : use_task_adjusted(R, err);
}

/* ---- the report ---------------------------------------------------------------- */

static void utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static enum bb_status load_manifest(struct bb_rep *R)
{
    char path[1000];
    struct bb_error e = {0};
    if (snprintf(path, sizeof path, "%s/manifest.json", R->run_dir) >= (int)sizeof path) {
        snprintf(R->manifest_err, sizeof R->manifest_err, "run folder name too long");
        return BB_OK;
    }
    if (bb_json_load_file(path, &R->manifest, &e)) {
        R->manifest = NULL;
        snprintf(R->manifest_err, sizeof R->manifest_err, "%s", e.msg);
        bb_warn("report: %s (the report's provenance sections say so)", e.msg);
    } else if (!json_is_object(R->manifest)) {
        json_decref(R->manifest);
        R->manifest = NULL;
        snprintf(R->manifest_err, sizeof R->manifest_err, "%s: expected a JSON object", path);
    }
    return BB_OK;
}

static enum bb_status write_doc(struct bb_rep *R, struct bb_error *err)
{
    enum bb_status st;
    char title[600];
    snprintf(title, sizeof title, "Bias audit report: %s",
             R->suite && R->suite->name ? R->suite->name : "(unnamed suite)");
    bb_doc_html_begin(&R->doc, title);
    bb_doc_h(&R->doc, 1, "top", "%s", title);
    bb_doc_p(&R->doc, "Written by biasbench from the run in this folder (results.csv, "
             "manifest.json, items/). Numbers are rounded for reading; results.csv holds them "
             "in full. 95%% CI: percentile bootstrap unless a table says otherwise; \"—\" means "
             "not computed.");
    if (R->notice)
        bb_doc_lead(&R->doc, "Incomplete report.", "%s", R->notice);
    if ((st = bb_rep_section_summary(R, err)) || (st = bb_rep_section_toc(R, err)) ||
        (st = bb_rep_section_header(R, err)) || (st = bb_rep_section_use(R, err)) ||
        (st = bb_rep_section_factors(R, err)) || (st = bb_rep_section_metrics(R, err)) ||
        (st = bb_rep_section_data(R, err)) || (st = bb_rep_section_analyses(R, err)) ||
        (st = bb_rep_section_matrix(R, err)) || (st = bb_report_robustness(R, R->all, err)) ||
        (st = bb_rep_section_risks(R, err)) ||
        (st = bb_rep_section_repro(R, err)))
        return st;
    bb_doc_html_end(&R->doc);
    return BB_OK;
}

enum bb_status bb_report_write(const char *run_dir, const struct bb_suite *suite,
                               const struct bb_results *results, struct bb_error *err)
{
    return bb_report_write_notice(run_dir, suite, results, NULL, err);
}

enum bb_status bb_report_write_notice(const char *run_dir, const struct bb_suite *suite,
                                      const struct bb_results *results, const char *notice,
                                      struct bb_error *err)
{
    static const struct bb_results empty;
    struct bb_rep R = {.run_dir = run_dir, .suite = suite, .res = results ? results : &empty,
                       .notice = notice};
    struct bb_fileout md = {0}, html = {0};
    char path[4200];
    enum bb_status st;
    /* robustness rows (perturbation set) go to their own section only */
    struct bb_results clean = {.rows = malloc((R.res->n ? R.res->n : 1) * sizeof *clean.rows)};
    if (!clean.rows)
        return bb_fail(err, BB_E_NOMEM, "out of memory writing the report");
    for (size_t i = 0; i < R.res->n; i++)
        if (!R.res->rows[i].perturbation || !*R.res->rows[i].perturbation)
            clean.rows[clean.n++] = R.res->rows[i]; /* borrowed */
    R.all = R.res, R.res = &clean;
    R.correction = suite ? suite->defaults.correction : BB_SUITE_CORRECTION_HOLM;
    R.alpha = suite ? suite->defaults.alpha : 0.05;
    utc_now(R.date, sizeof R.date);
    if ((st = bb_plot_init(&R.plot, run_dir, err)) || (st = load_manifest(&R)) ||
        (st = adjust(&R, err)) ||
        (st = distinct(&R, offsetof(struct bb_result_row, task), &R.tasks, &R.n_tasks, err)) ||
        (st = distinct(&R, offsetof(struct bb_result_row, model), &R.models, &R.n_models, err)))
        goto done;
    if (!local_paths()) {
        /* no local paths or user names in the report: the run folder, the
         * current directory and the home directory are replaced wherever
         * they appear (a path the sections shorten first never gets here) */
        char real[4096], cwd[4096];
        if (realpath(run_dir, real))
            bb_doc_redact(real, "RUN_DIR");
        if (run_dir[0] == '/')
            bb_doc_redact(run_dir, "RUN_DIR");
        if (getcwd(cwd, sizeof cwd - 1) && strlen(cwd) > 1) {
            strcat(cwd, "/");
            bb_doc_redact(cwd, "");
        }
        const char *home = getenv("HOME");
        if (home && strlen(home) > 1)
            bb_doc_redact(home, "~");
    }
    if (!bb_plot_available(&R.plot))
        bb_warn("charts not drawn: gnuplot not found (%s); the .gp and .dat files are in %s",
                getenv("BIASBENCH_GNUPLOT") && *getenv("BIASBENCH_GNUPLOT")
                    ? getenv("BIASBENCH_GNUPLOT") : "gnuplot on PATH", R.plot.dir);
    snprintf(path, sizeof path, "%s/report.md", run_dir);
    if ((st = bb_fileout_open(&md, path, err)))
        goto done;
    snprintf(path, sizeof path, "%s/report.html", run_dir);
    if ((st = bb_fileout_open(&html, path, err)))
        goto done;
    R.doc.md = md.fp;
    R.doc.html = html.fp;
    if ((st = write_doc(&R, err)))
        goto done;
    if ((st = bb_fileout_commit(&md, err)) || (st = bb_fileout_commit(&html, err)))
        goto done;
done:
    bb_doc_redact_clear();
    bb_fileout_abort(&md);
    bb_fileout_abort(&html);
    json_decref(R.manifest);
    free(R.adj);
    free(R.aux);
    free(R.tasks);
    free(R.models);
    free(clean.rows);
    return st;
}

/* Task index helpers for the sections. */
int bb_rep_task_type(const struct bb_rep *R, const char *task)
{
    return task_type(R, task);
}
