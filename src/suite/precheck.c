/* precheck.c: the model-free checks of a suite (see precheck.h): dataset
 * files found and parsed whole, the task's columns, scores, template slots,
 * model sources and gate metrics. Every problem is one line that starts at
 * the suite position of the thing to fix. */
#include "precheck.h"
#include "suite/perturb.h"
#include "suite/task_schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "core/paths.h"

/* ---- metric names ------------------------------------------------------------------ */

static const char *const *metrics_of(enum bb_suite_task_type t)
{
    const struct bb_suite_task_schema *ts = bb_suite_task_schema(t);
    return ts ? ts->metrics : NULL; /* NULL: a type without a list: anything goes */
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

struct precheck_ctx {
    const struct bb_suite *s;
    const struct bb_precheck_opts *o;
    struct bb_precheck *out;
    struct loaded *ds;        /* per suite dataset */
    struct bb_error *err;
};

static size_t ds_index(const struct precheck_ctx *C, const struct bb_suite_dataset *d)
{
    return (size_t)(d - C->s->datasets);
}

/* Find and parse dataset d (a table, or a SEAT file when seat). */
static struct loaded *load(struct precheck_ctx *C, const struct bb_suite_dataset *d, bool seat)
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
    } else
        L->st = bb_dataset_load_suite(d, path, &L->table, &e);
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
static const struct bb_table *need(struct precheck_ctx *C, size_t ti,
                                   const struct bb_suite_dataset *d, bool seat,
                                   const char *const *roles, size_t n_roles, enum bb_status *st)
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

enum bb_status ts_check_similarity(struct precheck_ctx *C, size_t ti)
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

enum bb_status ts_check_zero_shot(struct precheck_ctx *C, size_t ti)
{
    static const char *const roles[] = {"text", "label"};
    enum bb_status st = BB_OK;
    need(C, ti, C->s->tasks[ti].dataset, false, roles, 2, &st);
    return st;
}

enum bb_status ts_check_association(struct precheck_ctx *C, size_t ti)
{
    const struct bb_suite_association *a = &C->s->tasks[ti].u.association;
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < a->n_datasets && !st; i++)
        need(C, ti, a->datasets[i], true, NULL, 0, &st);
    return st;
}

/* The likelihood, retrieval, clustering and probe tasks check their columns
 * themselves when they run; here every file they read must be found and parse. */
enum bb_status ts_check_files(struct precheck_ctx *C, size_t ti)
{
    const struct bb_suite_task *t = &C->s->tasks[ti];
    const struct bb_suite_task_schema *ts = bb_suite_task_schema(t->type);
    const struct bb_suite_dataset *d;
    enum bb_status st = BB_OK;
    if (t->dataset)
        need(C, ti, t->dataset, false, NULL, 0, &st);
    for (size_t i = 0; !st && ts->extra_dataset && (d = ts->extra_dataset(t, i)); i++)
        need(C, ti, d, false, NULL, 0, &st);
    return st;
}

enum bb_status ts_check_nothing(struct precheck_ctx *C, size_t ti)
{
    (void)C, (void)ti;
    return BB_OK;
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

enum bb_status ts_check_counterfactual(struct precheck_ctx *C, size_t ti)
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
static enum bb_status check_perturb(struct precheck_ctx *C, size_t ti)
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

static enum bb_status report_broken(struct precheck_ctx *C)
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

static enum bb_status check_models(struct precheck_ctx *C)
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

static enum bb_status check_gates(struct precheck_ctx *C)
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
    struct precheck_ctx C = {.s = s, .o = o, .out = out, .err = err};
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
        const struct bb_suite_task_schema *ts = bb_suite_task_schema(s->tasks[i].type);
        if (ts)
            st = ts->check(&C, i);
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
