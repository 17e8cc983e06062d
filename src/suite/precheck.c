/* precheck.c: the model-free checks of a suite (see precheck.h): dataset
 * files found and parsed whole, the task's columns, scores, template slots,
 * model sources and gate metrics. Every problem is one line that starts at
 * the suite position of the thing to fix. */
#include "precheck.h"
#include "suite/perturb.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "core/paths.h"

/* ---- metric names ------------------------------------------------------------------ */

static const char *const SIMILARITY[] = {"spearman", "pearson", "skipped_rows", NULL};
static const char *const ZERO_SHOT[] = {"accuracy", "macro_f1", "precision", "recall", "f1",
                                        "support", "confusion", "skipped_rows", NULL};
static const char *const ASSOCIATION[] = {"effect_size", "abs_effect_size", "mean_abs_effect_size",
                                          "p_holm", "p_bh", "p_none", NULL};
static const char *const COUNTERFACTUAL[] = {
    "mean_score", "selection_rate", "scoring_rate", "impact_ratio", "impact_ratio_p_holm",
    "impact_ratio_p_bh", "impact_ratio_p_none", "small_group", "score_gap", "score_gap_p_holm",
    "score_gap_p_bh", "score_gap_p_none", "max_abs_score_gap", "demographic_parity_difference",
    "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio", "skipped_rows",
    NULL};
static const char *const LATENCY[] = {
    "latency_mean_ms", "latency_stddev_ms", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
    "items_per_s", "tokens_per_s", "latency_noise_rel", "latency_contention", "machine_probe_ms", "model_load_s",
    "peak_rss_mb",
    "kernel_build_s", "kernel_build_warm_s", "kernel_build_cold_s", "first_forward_cold_ms",
    "warm_start_process_s", "cold_start_process_s", NULL};

static const char *const *metrics_of(enum bb_suite_task_type t)
{
    switch ((int)t) {
    case BB_TASK_SIMILARITY: return SIMILARITY;
    case BB_TASK_ZERO_SHOT: return ZERO_SHOT;
    case BB_TASK_ASSOCIATION: return ASSOCIATION;
    case BB_TASK_COUNTERFACTUAL: return COUNTERFACTUAL;
    case BB_TASK_LATENCY: return LATENCY;
    default: return NULL; /* a task type this table does not know: anything goes */
    }
}

bool bb_precheck_metric_known(enum bb_suite_task_type t, const char *metric, bool *type_known)
{
    const char *const *v = metrics_of(t);
    if (type_known)
        *type_known = v != NULL;
    if (!v)
        return true;
    for (; *v; v++)
        if (!strcmp(*v, metric))
            return true;
    return false;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

const char *bb_precheck_metric_suggest(enum bb_suite_task_type t, const char *metric)
{
    const char *const *v = metrics_of(t), *best = NULL;
    size_t bd = 3;
    for (; v && *v; v++) {
        size_t d = edit_distance(metric, *v);
        if (d < bd)
            bd = d, best = *v;
    }
    return best;
}

/* ---- collecting problems ------------------------------------------------------------ */

static enum bb_status push(char ***v, size_t *n, struct bb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum bb_status push(char ***v, size_t *n, struct bb_error *err, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **w = realloc(*v, (*n + 1) * sizeof *w);
    if (!w || !(w[*n] = strdup(buf))) {
        if (w)
            *v = w;
        return bb_fail(err, BB_E_NOMEM, "out of memory listing suite problems");
    }
    *v = w;
    (*n)++;
    return BB_OK;
}

/* One dataset file, loaded at most once. */
struct loaded {
    bool tried, found;
    enum bb_status st;        /* of parsing */
    char msg[1100];           /* why it failed (missing or unparsable) */
    struct bb_table *table;   /* tables only */
};

struct ctx {
    const struct bb_suite *s;
    const struct bb_precheck_opts *o;
    struct bb_precheck *out;
    struct loaded *ds;        /* per suite dataset */
    struct bb_error *err;
};

static size_t ds_index(const struct ctx *C, const struct bb_suite_dataset *d)
{
    return (size_t)(d - C->s->datasets);
}

static enum bb_dataset_format format_of(enum bb_suite_format f)
{
    switch (f) {
    case BB_SUITE_CSV: return BB_FORMAT_CSV;
    case BB_SUITE_TSV: return BB_FORMAT_TSV;
    case BB_SUITE_JSONL: return BB_FORMAT_JSONL;
    case BB_SUITE_JSON: return BB_FORMAT_JSON;
    }
    return BB_FORMAT_AUTO;
}

/* Find and parse dataset d (a table, or a SEAT file when seat). */
static struct loaded *load(struct ctx *C, const struct bb_suite_dataset *d, bool seat)
{
    struct loaded *L = &C->ds[ds_index(C, d)];
    if (L->tried)
        return L;
    L->tried = true;
    char path[4096];
    struct bb_error e = {0};
    if (bb_paths_find_data_near(d->path, d->path_pos.file, C->s->path, C->o->data_dir, path,
                                sizeof path, &e)) {
        snprintf(L->msg, sizeof L->msg, "%s", e.msg);
        return L;
    }
    L->found = true;
    if (seat) {
        struct bb_seat_test t;
        L->st = bb_seat_load(path, &t, &e);
        if (!L->st)
            bb_seat_free(&t);
    } else {
        struct bb_column_map *cols = calloc(d->n_columns ? d->n_columns : 1, sizeof *cols);
        if (!cols) {
            L->st = BB_E_NOMEM;
            snprintf(L->msg, sizeof L->msg, "out of memory");
            return L;
        }
        for (size_t i = 0; i < d->n_columns; i++) {
            cols[i].role = d->columns[i].role;
            cols[i].name = d->columns[i].name;
            cols[i].index = d->columns[i].name ? -1 : (int)d->columns[i].index;
        }
        struct bb_dataset_spec spec = {
            .path = path,
            .format = format_of(d->format),
            .header = d->header ? BB_HEADER_YES : BB_HEADER_NO,
            .delimiter = d->delimiter,
            .fields = d->drop_extra_fields ? BB_FIELDS_ALLOW_EXTRA : BB_FIELDS_EXACT,
            .on_bad_row = d->on_bad_row == BB_SUITE_BAD_ROW_SKIP ? BB_BAD_ROW_SKIP
                                                                 : BB_BAD_ROW_ERROR,
            .columns = cols,
            .n_columns = d->n_columns,
        };
        L->st = bb_dataset_load(&spec, &L->table, &e);
        free(cols);
    }
    if (L->st)
        snprintf(L->msg, sizeof L->msg, "%s", e.msg);
    return L;
}

/* "FILE:LINE:COL" of a position. */
static const char *at(struct bb_suite_pos p, char *buf, size_t n)
{
    bb_suite_pos_str(p, buf, n);
    return buf;
}

/* Dataset d of task t (index ti) as role holder: found, parsed, with roles.
 * Returns the table (NULL when missing or broken: already reported). */
static const struct bb_table *need(struct ctx *C, size_t ti, const struct bb_suite_dataset *d,
                                   bool seat, const char *const *roles, size_t n_roles,
                                   enum bb_status *st)
{
    const struct bb_suite_task *t = &C->s->tasks[ti];
    struct loaded *L = load(C, d, seat);
    char pos[512];
    if (!L->found) {
        if (!C->out->task_missing_data[ti]) {
            char why[1400];
            snprintf(why, sizeof why, "%s (suite dataset '%s')", L->msg, d->id);
            C->out->task_missing_data[ti] = true;
            C->out->task_missing_reason[ti] = strdup(why);
        }
        return NULL;
    }
    if (L->st) {
        if (L->st == BB_E_NOMEM)
            *st = bb_fail(C->err, BB_E_NOMEM, "out of memory loading dataset '%s'", d->id);
        return NULL; /* reported once per dataset, by check_datasets */
    }
    for (size_t r = 0; r < n_roles && !*st && L->table; r++) {
        int col;
        struct bb_error e = {0};
        if (bb_table_require_col(L->table, roles[r], &col, &e))
            *st = push(&C->out->errors, &C->out->n_errors, C->err,
                       "%s: task '%s': dataset '%s': %s", at(t->pos, pos, sizeof pos), t->id,
                       d->id, e.msg);
    }
    return L->table;
}

static enum bb_status check_similarity(struct ctx *C, size_t ti)
{
    const struct bb_suite_task *t = &C->s->tasks[ti];
    static const char *const roles[] = {"s1", "s2", "score"};
    enum bb_status st = BB_OK;
    const struct bb_table *tb = need(C, ti, t->dataset, false, roles, 3, &st);
    int cs = tb ? bb_table_col(tb, "score") : -1;
    for (size_t r = 0; tb && cs >= 0 && !st && r < bb_table_rows(tb); r++) {
        double v;
        struct bb_error e = {0};
        char pos[512];
        const struct bb_suite_similarity *sp = &t->u.similarity;
        if (bb_table_get_double(tb, r, cs, &v, &e))
            return push(&C->out->errors, &C->out->n_errors, C->err, "%s: task '%s': %s",
                        at(t->pos, pos, sizeof pos), t->id, e.msg);
        if (sp->has_score_range && (v < sp->score_min || v > sp->score_max))
            return push(&C->out->errors, &C->out->n_errors, C->err,
                        "%s: task '%s': %s:%ld: score %g is outside score_range [%g, %g]",
                        at(t->pos, pos, sizeof pos), t->id, bb_table_path(tb),
                        bb_table_line(tb, r), v, sp->score_min, sp->score_max);
    }
    return st;
}

static enum bb_status check_zero_shot(struct ctx *C, size_t ti)
{
    static const char *const roles[] = {"text", "label"};
    enum bb_status st = BB_OK;
    need(C, ti, C->s->tasks[ti].dataset, false, roles, 2, &st);
    return st;
}

static enum bb_status check_association(struct ctx *C, size_t ti)
{
    const struct bb_suite_association *a = &C->s->tasks[ti].u.association;
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < a->n_datasets && !st; i++)
        need(C, ti, a->datasets[i], true, NULL, 0, &st);
    return st;
}

/* The likelihood, retrieval, clustering and probe tasks check their columns
 * themselves when they run; here every file they read must be found and parse. */
static enum bb_status check_lm(struct ctx *C, size_t ti)
{
    const struct bb_suite_task *t = &C->s->tasks[ti];
    enum bb_status st = BB_OK;
    if (t->dataset)
        need(C, ti, t->dataset, false, NULL, 0, &st);
    if (!st && t->type == BB_TASK_PAIRS && t->u.pairs.less_dataset)
        need(C, ti, t->u.pairs.less_dataset, false, NULL, 0, &st);
    for (size_t i = 0; !st && t->type == BB_TASK_BBQ && i < t->u.bbq.n_datasets; i++)
        need(C, ti, t->u.bbq.datasets[i], false, NULL, 0, &st);
    if (!st && t->type == BB_TASK_LINEAR_PROBE && t->u.linear_probe.train)
        need(C, ti, t->u.linear_probe.train, false, NULL, 0, &st);
    return st;
}

/* Is {name} (len bytes) a filler of cf? Also {Name} for filler `name`. */
static bool has_filler(const struct bb_suite_counterfactual *cf, const char *name, size_t len)
{
    for (size_t i = 0; i < cf->n_fillers; i++) {
        const char *p = cf->fillers[i].placeholder;
        if (strlen(p) != len)
            continue;
        if (!memcmp(p, name, len))
            return true;
        if (name[0] >= 'A' && name[0] <= 'Z' && p[0] == name[0] - 'A' + 'a' &&
            !memcmp(p + 1, name + 1, len - 1))
            return true;
    }
    return false;
}

static enum bb_status check_counterfactual(struct ctx *C, size_t ti)
{
    const struct bb_suite_task *t = &C->s->tasks[ti];
    const struct bb_suite_counterfactual *cf = &t->u.counterfactual;
    static const char *const troles[] = {"template"};
    enum bb_status st = BB_OK;
    char pos[512];
    for (size_t i = 0; i < cf->n_fillers && !st; i++) {
        const struct bb_suite_dataset *d = cf->fillers[i].dataset;
        const char *roles[65] = {"value"};
        size_t n = 1;
        for (size_t f = 0; f < cf->factors.n && n < 65; f++)
            if (bb_suite_dataset_column(d, cf->factors.v[f]))
                roles[n++] = cf->factors.v[f];
        need(C, ti, d, false, roles, n, &st);
    }
    const struct bb_table *tb = st ? NULL : need(C, ti, cf->templates, false, troles, 1, &st);
    int tc = tb ? bb_table_col(tb, "template") : -1;
    for (size_t r = 0; tb && tc >= 0 && !st && r < bb_table_rows(tb); r++) {
        const char *s = bb_table_get(tb, r, tc);
        while (s && *s) {
            if ((s[0] == '{' || s[0] == '}') && s[1] == s[0]) {
                s += 2;
                continue;
            }
            if (s[0] != '{') {
                s++;
                continue;
            }
            const char *close = strpbrk(s + 1, "{}");
            if (!close || *close != '}') /* the template loader names this one */
                break;
            if (!has_filler(cf, s + 1, (size_t)(close - s - 1))) {
                char names[512] = "";
                size_t k = 0;
                for (size_t i = 0; i < cf->n_fillers && k < sizeof names; i++)
                    k += (size_t)snprintf(names + k, sizeof names - k, "%s{%s}", i ? ", " : "",
                                          cf->fillers[i].placeholder);
                return push(&C->out->errors, &C->out->n_errors, C->err,
                            "%s: task '%s': %s:%ld: template slot {%.*s} has no filler list "
                            "(fillers: %s)", at(t->pos, pos, sizeof pos), t->id,
                            bb_table_path(tb), bb_table_line(tb, r), (int)(close - s - 1), s + 1,
                            names);
            }
            s = close + 1;
        }
    }
    return st;
}

/* Every dataset that failed to parse, once, at its suite position. */
/* The filler lists of the names perturbations of a perturbed task (perturb.h). */
static enum bb_status check_perturb(struct ctx *C, size_t ti)
{
    enum bb_status st = BB_OK;
    if (!bb_perturb_applies(C->s, &C->s->tasks[ti]))
        return st;
    for (size_t k = 0; k < C->s->perturb.n && !st; k++) {
        const struct bb_suite_perturbation *pt = &C->s->perturb.v[k];
        const char *roles[] = {"value", pt->swap_on};
        for (size_t l = 0; l < pt->n_lists && !st; l++)
            if (pt->lists[l])
                need(C, ti, pt->lists[l], false, roles, 2, &st);
    }
    return st;
}

static enum bb_status report_broken(struct ctx *C)
{
    enum bb_status st = BB_OK;
    char pos[512];
    for (size_t i = 0; i < C->s->n_datasets && !st; i++) {
        const struct loaded *L = &C->ds[i];
        const struct bb_suite_dataset *d = &C->s->datasets[i];
        if (L->tried && L->found && L->st && L->st != BB_E_NOMEM)
            st = push(&C->out->errors, &C->out->n_errors, C->err, "%s: datasets[%zu] '%s': %s",
                      at(d->path_pos, pos, sizeof pos), i, d->id, L->msg);
        else if (L->tried && !L->found)
            st = push(&C->out->missing, &C->out->n_missing, C->err, "%s: note: dataset '%s': %s",
                      at(d->path_pos, pos, sizeof pos), d->id, L->msg);
    }
    return st;
}

static enum bb_status check_models(struct ctx *C)
{
    enum bb_status st = BB_OK;
    char pos[512], path[4096];
    for (size_t i = 0; i < C->s->n_models && !st; i++) {
        const struct bb_suite_model *m = &C->s->models[i];
        struct bb_error e = {0};
        if (bb_paths_find_model(m->source, path, sizeof path, &e))
            st = push(&C->out->errors, &C->out->n_errors, C->err, "%s: models[%zu].source: %s",
                      at(m->source_pos, pos, sizeof pos), i, e.msg);
    }
    return st;
}

static enum bb_status check_gates(struct ctx *C)
{
    enum bb_status st = BB_OK;
    char pos[512];
    for (size_t i = 0; i < C->s->n_gates && !st; i++) {
        const struct bb_suite_gate *g = &C->s->gates[i];
        bool known_type = true, found = false;
        const char *hint = NULL;
        if (g->task) {
            found = bb_precheck_metric_known(g->task->type, g->metric, &known_type);
            hint = found ? NULL : bb_precheck_metric_suggest(g->task->type, g->metric);
        } else {
            for (size_t k = 0; k < C->s->n_tasks && !found; k++) {
                bool kt;
                found = bb_precheck_metric_known(C->s->tasks[k].type, g->metric, &kt);
                if (!hint)
                    hint = bb_precheck_metric_suggest(C->s->tasks[k].type, g->metric);
            }
        }
        if (found)
            continue;
        char what[256];
        if (g->task)
            snprintf(what, sizeof what, "task '%s' (%s) emits no metric '%s'", g->task->id,
                     bb_suite_task_type_name(g->task->type), g->metric);
        else
            snprintf(what, sizeof what, "no task of the suite emits a metric '%s'", g->metric);
        st = push(&C->out->errors, &C->out->n_errors, C->err, "%s: gates[%zu].metric: %s%s%s%s",
                  at(g->pos, pos, sizeof pos), i, what, hint ? " (did you mean '" : "",
                  hint ? hint : "", hint ? "'?)" : " (docs/run-directory.md lists the metrics)");
    }
    return st;
}

enum bb_status bb_precheck_suite(const struct bb_suite *s, const struct bb_precheck_opts *o,
                                 struct bb_precheck *out, struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    out->n_tasks = s->n_tasks;
    struct ctx C = {.s = s, .o = o, .out = out, .err = err};
    size_t nt = s->n_tasks ? s->n_tasks : 1;
    C.ds = calloc(s->n_datasets ? s->n_datasets : 1, sizeof *C.ds);
    out->task_missing_data = calloc(nt, sizeof *out->task_missing_data);
    out->task_missing_reason = calloc(nt, sizeof *out->task_missing_reason);
    enum bb_status st = C.ds && out->task_missing_data && out->task_missing_reason
                            ? BB_OK
                            : bb_fail(err, BB_E_NOMEM, "out of memory checking the suite");
    for (size_t i = 0; i < s->n_tasks && !st; i++) {
        if (o->task_selected && !o->task_selected[i])
            continue;
        switch ((int)s->tasks[i].type) {
        case BB_TASK_SIMILARITY: st = check_similarity(&C, i); break;
        case BB_TASK_ZERO_SHOT: st = check_zero_shot(&C, i); break;
        case BB_TASK_ASSOCIATION: st = check_association(&C, i); break;
        case BB_TASK_COUNTERFACTUAL: st = check_counterfactual(&C, i); break;
        case BB_TASK_PAIRS: case BB_TASK_STEREOSET: case BB_TASK_BBQ: case BB_TASK_CHOICE:
        case BB_TASK_PERPLEXITY: case BB_TASK_RETRIEVAL: case BB_TASK_CLUSTERING:
        case BB_TASK_LINEAR_PROBE: st = check_lm(&C, i); break;
        default: break; /* latency reads no data */
        }
        if (!st)
            st = check_perturb(&C, i);
    }
    if (!st)
        st = report_broken(&C);
    if (!st && o->check_models)
        st = check_models(&C);
    if (!st)
        st = check_gates(&C);
    for (size_t i = 0; C.ds && i < s->n_datasets; i++)
        bb_table_free(C.ds[i].table);
    free(C.ds);
    return st;
}

void bb_precheck_print(const struct bb_precheck *p, FILE *f)
{
    for (size_t i = 0; i < p->n_errors; i++)
        fprintf(f, "%s\n", p->errors[i]);
    if (p->n_errors)
        fprintf(f, "%zu error%s\n", p->n_errors, p->n_errors == 1 ? "" : "s");
}

void bb_precheck_free(struct bb_precheck *p)
{
    for (size_t i = 0; i < p->n_errors; i++)
        free(p->errors[i]);
    for (size_t i = 0; i < p->n_missing; i++)
        free(p->missing[i]);
    for (size_t i = 0; p->task_missing_reason && i < p->n_tasks; i++)
        free(p->task_missing_reason[i]);
    free(p->task_missing_reason);
    free(p->errors);
    free(p->missing);
    free(p->task_missing_data);
    p->task_missing_reason = NULL;
    p->task_missing_data = NULL;
    p->errors = p->missing = NULL;
    p->n_errors = p->n_missing = 0;
}
