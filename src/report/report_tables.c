/* report_tables.c: the quantitative sections of the audit report: per task
 * and model the disaggregated tables and charts (section 6), and the
 * accuracy / bias / efficiency matrix across models (section 7). */
#include <csv.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define ROW(i) (&R->res->rows[(i)])

struct sel {                      /* the rows of one task x model */
    const char *task, *model;
    size_t *idx, n;
    char *used;                   /* (res->n) shown by a table already */
};

static bool in_sel(const struct bb_rep *R, const struct sel *S, size_t i)
{
    return !strcmp(ROW(i)->task, S->task) && !strcmp(ROW(i)->model, S->model);
}

static long find(const struct bb_rep *R, const struct sel *S, const char *group, const char *metric)
{
    for (size_t k = 0; k < S->n; k++) {
        const struct bb_result_row *r = ROW(S->idx[k]);
        if (!strcmp(r->group, group) && !strcmp(r->metric, metric))
            return (long)S->idx[k];
    }
    return -1;
}

static const char *sig_word(const struct bb_rep *R, double p, double adj)
{
    if (isnan(p))
        return "—";
    if (!isnan(adj) && adj < R->alpha)
        return "yes, after correction";
    return p < R->alpha ? "raw p only" : "no";
}

static int sig_level(const struct bb_rep *R, double p, double adj)
{
    return isnan(p) ? 0 : (!isnan(adj) && adj < R->alpha) ? 2 : p < R->alpha ? 1 : 0;
}

static void chart_ref(struct bb_rep *R, const char *name, const char *caption)
{
    char png[4400], rel_png[400], rel_svg[400];
    if (!bb_plot_available(&R->plot))
        return; /* said once, in section 6's introduction */
    snprintf(rel_png, sizeof rel_png, "charts/%s.png", name);
    snprintf(rel_svg, sizeof rel_svg, "charts/%s.svg", name);
    if (bb_plot_png(&R->plot, name, png, sizeof png))
        bb_doc_chart(&R->doc, rel_png, rel_svg, png, caption);
    else
        bb_doc_p(&R->doc, "(chart %s not drawn: gnuplot failed on charts/%s.gp)", name, name);
}

/* Every row of S not shown yet, as one table. */
static void rest_table(struct bb_rep *R, struct sel *S, const char *title)
{
    size_t left = 0;
    for (size_t k = 0; k < S->n; k++)
        left += !S->used[S->idx[k]] && !R->aux[S->idx[k]];
    if (!left)
        return;
    static const char *const head[] = {"group", "metric", "n", "value", "95% CI", "p (raw)",
                                       "p (adjusted)", "significant"};
    bb_doc_p(&R->doc, "%s:", title);
    bb_doc_table(&R->doc, 8, head, "llrrrrrl");
    for (size_t k = 0; k < S->n; k++) {
        size_t i = S->idx[k];
        if (S->used[i] || R->aux[i])
            continue;
        const struct bb_result_row *r = ROW(i);
        char metric[300];
        snprintf(metric, sizeof metric, "%s%s", r->metric, bb_rep_arrow(r->higher_is_better));
        const char *cells[8] = {bb_rep_label(r), metric, bb_rep_long(R, r->n),
                                bb_rep_num(R, r->value), bb_rep_ci(R, r->ci_low, r->ci_high), bb_rep_p(R, r->p_value),
                                bb_rep_p(R, R->adj[i]),
                                strncmp(r->metric, "max_", 4) ? sig_word(R, r->p_value, R->adj[i])
                                                               : "as its pair's row"};
        bb_doc_row(&R->doc, 8, cells);
        S->used[i] = 1;
    }
    bb_doc_table_end(&R->doc);
}

/* ---- similarity: scatter of the per-item file --------------------------------------------- */

struct items {
    int col_x, col_y, col;       /* wanted columns; current column */
    bool header_done;
    double x, y;
    double *xs, *ys;
    size_t n, cap;
    bool oom;
};

static void item_field(void *s, size_t len, void *data)
{
    struct items *it = data;
    char buf[64];
    if (!it->header_done) {
        if (len == 4 && !memcmp(s, "gold", 4))
            it->col_x = it->col;
        if ((len == 6 && !memcmp(s, "cosine", 6)) || (len == 9 && !memcmp(s, "predicted", 9)))
            it->col_y = it->col;
    } else if (it->col == it->col_x || it->col == it->col_y) {
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), (const char *)s);
        char *end;
        double v = strtod(buf, &end);
        if (end == buf)
            v = NAN;
        *(it->col == it->col_x ? &it->x : &it->y) = v;
    }
    it->col++;
}

static void item_row(int c, void *data)
{
    struct items *it = data;
    (void)c;
    if (it->header_done && !isnan(it->x) && !isnan(it->y) && it->n < 50000) {
        if (it->n == it->cap) {
            size_t cap = it->cap ? 2 * it->cap : 1024;
            double *a = realloc(it->xs, cap * sizeof *a);
            if (a)
                it->xs = a;
            double *b = a ? realloc(it->ys, cap * sizeof *b) : NULL;
            if (b)
                it->ys = b;
            if (!a || !b) {
                it->oom = true;
                goto next;
            }
            it->cap = cap;
        }
        it->xs[it->n] = it->x, it->ys[it->n++] = it->y;
    }
next:
    if (!it->header_done && (it->col_x < 0 || it->col_y < 0))
        it->n = 0; /* keep reading the header: no such columns, nothing plotted */
    it->header_done = true;
    it->col = 0;
    it->x = it->y = NAN;
}

static void read_items(const char *path, struct items *it)
{
    FILE *f = fopen(path, "rb");
    struct csv_parser p;
    char buf[65536];
    size_t got;
    memset(it, 0, sizeof *it);
    it->col_x = it->col_y = -1;
    it->x = it->y = NAN;
    if (!f)
        return;
    if (csv_init(&p, CSV_APPEND_NULL) == 0) {
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            if (csv_parse(&p, buf, got, item_field, item_row, it) != got)
                break;
        csv_fini(&p, item_field, item_row, it);
        csv_free(&p);
    }
    fclose(f);
    if (it->col_x < 0 || it->col_y < 0)
        it->n = 0;
}

static void safe(char *out, size_t n, const char *id)
{
    bb_plot_name(out, n, id, NULL, NULL);
}

static enum bb_status do_similarity(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    char t[256], m[256], path[4800], name[600], title[700];
    struct items it;
    safe(t, sizeof t, S->task);
    safe(m, sizeof m, S->model);
    snprintf(path, sizeof path, "%s/items/%s__%s.csv", R->run_dir, t, m);
    rest_table(R, S, "Correlation with gold similarity");
    read_items(path, &it);
    enum bb_status st = BB_OK;
    if (it.n) {
        long k = find(R, S, "all", "spearman");
        bb_plot_name(name, sizeof name, "sts", S->task, S->model);
        snprintf(title, sizeof title, "%s: gold vs predicted similarity, %s (%zu pairs%s%s)",
                 S->task, S->model, it.n, k >= 0 ? ", Spearman x100 = " : "",
                 k >= 0 ? bb_rep_num(R, ROW(k)->value) : "");
        st = bb_plot_chart_scatter(&R->plot, name, title, "gold similarity (dataset scale)",
                                   "cosine of the two sentence embeddings", it.n, it.xs, it.ys, err);
        if (!st)
            chart_ref(R, name, title);
    } else {
        bb_doc_p(&R->doc, "No scatter: the per-item file items/%s__%s.csv was not found or has no "
                 "gold and cosine columns.", t, m);
    }
    free(it.xs), free(it.ys);
    return st;
}

/* ---- zero-shot ---------------------------------------------------------------------------- */

static const struct bb_suite_labels *task_labels(const struct bb_rep *R, const char *task)
{
    const struct bb_suite_task *t = R->suite ? bb_suite_find_task(R->suite, task) : NULL;
    return t && t->type == BB_TASK_ZERO_SHOT ? &t->u.zero_shot.labels : NULL;
}

static enum bb_status do_zeroshot(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    const struct bb_suite_labels *L = task_labels(R, S->task);
    static const char *const head[] = {"class", "precision", "95% CI", "recall", "95% CI", "F1",
                                       "95% CI", "support"};
    enum bb_status st = BB_OK;
    size_t k = L ? L->n : 0;
    if (k) {
        bb_doc_p(&R->doc, "Per class:");
        bb_doc_table(&R->doc, 8, head, "lrrrrrrr");
        for (size_t c = 0; c < k; c++) {
            const char *g = L->v[c].name;
            long p = find(R, S, g, "precision"), r = find(R, S, g, "recall"), f = find(R, S, g, "f1");
            long s = find(R, S, g, "support");
            const char *cells[8] = {
                g, p >= 0 ? bb_rep_num(R, ROW(p)->value) : "—",
                p >= 0 ? bb_rep_ci(R, ROW(p)->ci_low, ROW(p)->ci_high) : "—",
                r >= 0 ? bb_rep_num(R, ROW(r)->value) : "—",
                r >= 0 ? bb_rep_ci(R, ROW(r)->ci_low, ROW(r)->ci_high) : "—",
                f >= 0 ? bb_rep_num(R, ROW(f)->value) : "—",
                f >= 0 ? bb_rep_ci(R, ROW(f)->ci_low, ROW(f)->ci_high) : "—",
                s >= 0 ? bb_rep_long(R, (long)ROW(s)->value) : "—"};
            bb_doc_row(&R->doc, 8, cells);
            const long shown[4] = {p, r, f, s};
            for (size_t j = 0; j < 4; j++)
                if (shown[j] >= 0)
                    S->used[shown[j]] = 1;
        }
        bb_doc_table_end(&R->doc);
    }
    /* the confusion matrix, labels from the suite (else from the rows) */
    double *cnt = k ? calloc(k * k, sizeof *cnt) : NULL;
    const char **names = k ? calloc(k, sizeof *names) : NULL;
    bool any = false;
    for (size_t g = 0; cnt && names && g < k; g++) {
        names[g] = L->v[g].name;
        for (size_t p = 0; p < k; p++) {
            char grp[600];
            snprintf(grp, sizeof grp, "%s->%s", L->v[g].name, L->v[p].name);
            long i = find(R, S, grp, "confusion");
            if (i >= 0) {
                cnt[g * k + p] = ROW(i)->value;
                S->used[i] = 1;
                any = true;
            }
        }
    }
    if (any) {
        char name[600], title[700];
        bb_plot_name(name, sizeof name, "confusion", S->task, S->model);
        snprintf(title, sizeof title, "%s: confusion matrix, %s (cell: count, colour: share of "
                 "the gold row)", S->task, S->model);
        st = bb_plot_chart_confusion(&R->plot, name, title, k, names, cnt, err);
        if (!st && k <= 12) {
            const char **h = calloc(k + 1, sizeof *h), **cells = calloc(k + 1, sizeof *cells);
            if (h && cells) {
                h[0] = "gold \\ predicted";
                for (size_t p = 0; p < k; p++)
                    h[p + 1] = names[p];
                bb_doc_p(&R->doc, "Confusion matrix (rows: gold label, columns: predicted):");
                bb_doc_table(&R->doc, k + 1, h, NULL);
                for (size_t g = 0; g < k; g++) {
                    cells[0] = names[g];
                    for (size_t p = 0; p < k; p++)
                        cells[p + 1] = bb_rep_long(R, (long)cnt[g * k + p]);
                    bb_doc_row(&R->doc, k + 1, cells);
                }
                bb_doc_table_end(&R->doc);
            }
            free(h), free(cells);
        }
        if (!st)
            chart_ref(R, name, title);
    }
    free(cnt), free(names);
    if (!st)
        rest_table(R, S, "Accuracy (overall, and per value of the dataset's group column where "
                   "it has one)");
    return st;
}

/* ---- association ---------------------------------------------------------------------------- */

static enum bb_status do_association(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    size_t n = 0;
    const char **lab = calloc(S->n ? S->n : 1, sizeof *lab);
    double *es = calloc(S->n ? S->n : 1, 3 * sizeof *es);
    int *sig = calloc(S->n ? S->n : 1, sizeof *sig);
    char (*plain)[96] = NULL;
    enum bb_status st = BB_OK;
    if (!lab || !es || !sig) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for an association table");
        goto done;
    }
    static const char *const head[] = {"test", "dataset", "n", "effect size d", "95% CI",
                                       "p (raw)", "p (adjusted)", "significant"};
    plain = calloc(S->n ? S->n : 1, sizeof *plain);
    if (!plain) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for an association table");
        goto done;
    }
    for (size_t k = 0; k < S->n; k++) {
        size_t i = S->idx[k];
        const struct bb_result_row *r = ROW(i);
        if (!strcmp(r->metric, "abs_effect_size")) {
            S->used[i] = 1; /* |d|: the table's d with its sign */
            continue;
        }
        if (strcmp(r->metric, "effect_size"))
            continue;
        if (!n) {
            bb_doc_p(&R->doc, "Effect sizes (ideal 0; positive: the first target set is closer "
                     "to the first attribute set). p: one-sided permutation test; adjusted by %s "
                     "over this task's tests.", bb_suite_correction_name(R->correction));
            bb_doc_table(&R->doc, 8, head, "llrrrrrl");
        }
        bb_rep_test_name(bb_rep_label(r), plain[n], sizeof plain[n]);
        const char *cells[8] = {plain[n], bb_rep_label(r), bb_rep_long(R, r->n),
                                bb_rep_num(R, r->value), bb_rep_ci(R, r->ci_low, r->ci_high),
                                bb_rep_p(R, r->p_value), bb_rep_p(R, R->adj[i]),
                                sig_word(R, r->p_value, R->adj[i])};
        bb_doc_row(&R->doc, 8, cells);
        S->used[i] = 1;
        lab[n] = plain[n];
        es[3 * n] = r->value, es[3 * n + 1] = r->ci_low, es[3 * n + 2] = r->ci_high;
        sig[n++] = sig_level(R, r->p_value, R->adj[i]);
    }
    if (n) {
        bb_doc_table_end(&R->doc);
        double *v = malloc(3 * n * sizeof *v);
        if (!v) {
            st = bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
            goto done;
        }
        for (size_t j = 0; j < n; j++)
            v[j] = es[3 * j], v[n + j] = es[3 * j + 1], v[2 * n + j] = es[3 * j + 2];
        char name[600], title[700];
        bb_plot_name(name, sizeof name, "weat", S->task, S->model);
        snprintf(title, sizeof title, "%s: WEAT/SEAT effect sizes, %s (* p < %g, ** after %s)",
                 S->task, S->model, R->alpha, bb_suite_correction_name(R->correction));
        st = bb_plot_chart_effects(&R->plot, name, title, n, lab, v, v + n, v + 2 * n, sig,
                                   bb_suite_correction_name(R->correction), err);
        free(v);
        if (!st)
            chart_ref(R, name, title);
    }
    if (!st)
        rest_table(R, S, "Other results of this task");
done:
    free(lab), free(es), free(sig), free(plain);
    return st;
}

/* ---- counterfactual ------------------------------------------------------------------------ */

/* The factor of a group name: "gender=f" -> "gender", "gender=f&race=b" -> "gender&race". */
static void factor_of(const char *g, char *out, size_t n)
{
    size_t k = 0;
    bool in_key = true;
    for (; *g && k + 1 < n; g++) {
        if (*g == '=')
            in_key = false;
        else if (*g == '&') {
            in_key = true;
            out[k++] = '&';
        } else if (in_key)
            out[k++] = *g;
    }
    out[k] = 0;
}

static bool is_group(const char *g)
{
    return strchr(g, '=') != NULL;
}

/* A group's small_group flag from the task (1/0), or -1 when it gave none. */
static int small_flag(const struct bb_rep *R, const struct sel *S, const char *group)
{
    long i = find(R, S, group, "small_group");
    return i < 0 || isnan(ROW(i)->value) ? -1 : ROW(i)->value != 0;
}

/* Group-score tables (unitary, then intersectional) and their bar chart. */
static enum bb_status cf_scores(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    size_t n = 0, cap = S->n ? S->n : 1;
    const char **lab = calloc(cap, sizeof *lab);
    double *v = calloc(3 * cap, sizeof *v);
    int *series = calloc(cap, sizeof *series);
    enum bb_status st = BB_OK;
    if (!lab || !v || !series) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for group scores");
        goto done;
    }
    static const char *const head[] = {"group", "n", "mean score", "95% CI", "note"};
    for (int inter = 0; inter < 2; inter++) {
        size_t first = n;
        double total = 0;
        for (size_t k = 0; k < S->n; k++) { /* n over the groups of the same kind */
            const struct bb_result_row *r = ROW(S->idx[k]);
            if (bb_rep_is_score(r->metric) && is_group(r->group) &&
                (strchr(r->group, '&') != NULL) == inter)
                total += (double)r->n;
        }
        for (size_t k = 0; k < S->n; k++) {
            size_t i = S->idx[k];
            const struct bb_result_row *r = ROW(i);
            if (!bb_rep_is_score(r->metric) || !is_group(r->group) ||
                (strchr(r->group, '&') != NULL) != inter)
                continue;
            if (n == first) {
                bb_doc_p(&R->doc, "%s groups: mean model score per group.",
                         inter ? "Intersectional" : "Unitary");
                bb_doc_table(&R->doc, 5, head, "lrrrl");
            }
            /* small: under 2% of the items of its kind (per factor would be finer; the
             * groups of one kind partition the sentences once per factor) */
            char fac[256];
            factor_of(r->group, fac, sizeof fac);
            double ftotal = 0;
            for (size_t j = 0; j < S->n; j++) {
                const struct bb_result_row *q = ROW(S->idx[j]);
                char f2[256];
                if (!bb_rep_is_score(q->metric) || !is_group(q->group))
                    continue;
                factor_of(q->group, f2, sizeof f2);
                if (!strcmp(f2, fac))
                    ftotal += (double)q->n;
            }
            int flag = small_flag(R, S, r->group);
            bool small = flag >= 0 ? flag == 1 : ftotal > 0 && (double)r->n < 0.02 * ftotal;
            const char *cells[5] = {r->group, bb_rep_long(R, r->n), bb_rep_num(R, r->value),
                                    bb_rep_ci(R, r->ci_low, r->ci_high),
                                    small ? "small (< 2% of the factor's items)"
                                    : r->n < 30 ? "n < 30: wide CI" : ""};
            bb_doc_row(&R->doc, 5, cells);
            S->used[i] = 1;
            lab[n] = r->group;
            v[n] = r->value, v[cap + n] = r->ci_low, v[2 * cap + n] = r->ci_high;
            series[n++] = inter;
        }
        if (n > first)
            bb_doc_table_end(&R->doc);
        (void)total;
    }
    if (n) {
        char name[600], title[700];
        bb_plot_name(name, sizeof name, "cf", S->task, S->model);
        /* the score: the positive label's probability (zero-shot) or a similarity */
        const struct bb_suite_task *t = R->suite ? bb_suite_find_task(R->suite, S->task) : NULL;
        char ylabel[200] = "mean model score";
        if (t && t->type == BB_TASK_COUNTERFACTUAL &&
            t->u.counterfactual.score_type == BB_SCORE_ZERO_SHOT &&
            t->u.counterfactual.positive_label < t->u.counterfactual.labels.n)
            snprintf(ylabel, sizeof ylabel, "P(%s)",
                     t->u.counterfactual.labels.v[t->u.counterfactual.positive_label].name);
        else if (t && t->type == BB_TASK_COUNTERFACTUAL)
            snprintf(ylabel, sizeof ylabel, "mean similarity score");
        double mean = 0;
        size_t nu = 0;
        for (size_t j = 0; j < n; j++)
            if (!series[j] && !isnan(v[j]))
                mean += v[j], nu++;
        snprintf(title, sizeof title, "%s: mean %s per group with 95%% CI, %s", S->task, ylabel,
                 S->model);
        struct bb_plot_bars b = {.title = title, .ylabel = ylabel, .n = n,
                                 .labels = lab, .value = v, .lo = v + cap, .hi = v + 2 * cap,
                                 .series = series, .series_names = {"unitary group",
                                                                    "intersectional group"},
                                 .points = true, .ref = nu ? mean / (double)nu : NAN,
                                 .ref_label = "mean of the unitary groups"};
        st = bb_plot_chart_bars(&R->plot, name, &b, err);
        if (!st)
            chart_ref(R, name, title);
    }
done:
    free(lab), free(v), free(series);
    return st;
}

/* Paired gap table and its diverging bar chart (one bar per group pair). */
static enum bb_status cf_gaps(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    static const char *const head[] = {"pair", "sets", "gap", "95% CI", "p (raw)",
                                       "p (adjusted)", "significant"};
    size_t n = 0, cap = S->n ? S->n : 1;
    const char **lab = calloc(cap, sizeof *lab);
    double *v = calloc(3 * cap, sizeof *v);
    enum bb_status st = BB_OK;
    if (!lab || !v) {
        free(lab), free(v);
        return bb_fail(err, BB_E_NOMEM, "out of memory for the gaps");
    }
    for (size_t k = 0; k < S->n; k++) {
        size_t i = S->idx[k];
        const struct bb_result_row *r = ROW(i);
        if (!bb_rep_is_gap(r->metric))
            continue;
        if (!n) {
            bb_doc_p(&R->doc, "Paired gaps between groups (sentences that differ only in the "
                     "group term; ideal 0). p: two-sided sign-flip permutation test, adjusted by "
                     "%s over this task's gaps.", bb_suite_correction_name(R->correction));
            bb_doc_table(&R->doc, 7, head, "lrrrrrl");
        }
        const char *cells[7] = {r->group, bb_rep_long(R, r->n), bb_rep_num(R, r->value),
                                bb_rep_ci(R, r->ci_low, r->ci_high), bb_rep_p(R, r->p_value),
                                bb_rep_p(R, R->adj[i]), sig_word(R, r->p_value, R->adj[i])};
        bb_doc_row(&R->doc, 7, cells);
        S->used[i] = 1;
        lab[n] = r->group;
        v[n] = r->value, v[cap + n] = r->ci_low, v[2 * cap + n] = r->ci_high;
        n++;
    }
    if (n) {
        char name[600], title[700];
        bb_doc_table_end(&R->doc);
        bb_plot_name(name, sizeof name, "gaps", S->task, S->model);
        snprintf(title, sizeof title, "%s: paired score difference per group pair, %s", S->task,
                 S->model);
        st = bb_plot_chart_diverging(&R->plot, name, title,
                                     "pair 'A vs B': mean of A - B over sentences that differ only "
                                     "in the group term (ideal 0)", n, lab, v,
                                     v + cap, v + 2 * cap, "A scores lower than B",
                                     "A scores higher than B", err);
        if (!st)
            chart_ref(R, name, title);
    }
    free(lab), free(v);
    return st;
}

struct ir_line {
    const char *group;
    long n;
    double rate, lo, hi, ir, p, adj;
    bool small;
};

static int cmp_ir(const void *a, const void *b)
{
    const struct ir_line *x = a, *y = b;
    double u = isnan(x->ir) ? -1 : x->ir, v = isnan(y->ir) ? -1 : y->ir;
    return (u < v) - (u > v);
}

/* Impact-ratio tables, one per factor, sorted by IR, and one dot-and-whisker chart. */
static enum bb_status cf_ir(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    size_t cap = S->n ? S->n : 1, nall = 0;
    struct ir_line *L = calloc(cap, sizeof *L), *all = calloc(cap, sizeof *all);
    char *done_f = calloc(cap, 1);
    enum bb_status st = BB_OK;
    if (!L || !all || !done_f) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for impact ratios");
        goto out;
    }
    static const char *const head[] = {"category", "n", "rate", "rate 95% CI",
                                       "impact ratio (four-fifths convention)", "p (raw)",
                                       "p (adjusted)", "note"};
    for (size_t k0 = 0; k0 < S->n; k0++) {
        const struct bb_result_row *r0 = ROW(S->idx[k0]);
        char fac[256];
        if (done_f[k0] || !is_group(r0->group) ||
            !(bb_rep_is_rate(r0->metric) || !strcmp(r0->metric, "impact_ratio")))
            continue;
        factor_of(r0->group, fac, sizeof fac);
        size_t n = 0;
        double total = 0, maxrate = 0;
        /* gather this factor's groups: one line per group */
        for (size_t k = k0; k < S->n; k++) {
            size_t i = S->idx[k];
            const struct bb_result_row *r = ROW(i);
            char f2[256];
            if (!is_group(r->group) || !(bb_rep_is_rate(r->metric) || !strcmp(r->metric, "impact_ratio")))
                continue;
            factor_of(r->group, f2, sizeof f2);
            if (strcmp(f2, fac))
                continue;
            done_f[k] = 1;
            S->used[i] = 1;
            size_t j = 0;
            while (j < n && strcmp(L[j].group, r->group))
                j++;
            if (j == n)
                L[n++] = (struct ir_line){.group = r->group, .rate = NAN, .lo = NAN, .hi = NAN,
                                          .ir = NAN, .p = NAN, .adj = NAN};
            if (bb_rep_is_rate(r->metric)) {
                L[j].rate = r->value, L[j].lo = r->ci_low, L[j].hi = r->ci_high;
                L[j].n = r->n;
            } else {
                L[j].ir = r->value, L[j].p = r->p_value, L[j].adj = R->adj[i];
                if (!L[j].n)
                    L[j].n = r->n;
            }
        }
        for (size_t j = 0; j < n; j++)
            total += (double)L[j].n;
        for (size_t j = 0; j < n; j++) {
            int flag = small_flag(R, S, L[j].group);
            L[j].small = flag >= 0 ? flag == 1 : total > 0 && (double)L[j].n < 0.02 * total;
            if (!L[j].small && !isnan(L[j].rate) && L[j].rate > maxrate)
                maxrate = L[j].rate;
        }
        for (size_t j = 0; j < n; j++) /* IR from the rates when no row gives it */
            if (isnan(L[j].ir) && !L[j].small && !isnan(L[j].rate) && maxrate > 0)
                L[j].ir = L[j].rate / maxrate;
        qsort(L, n, sizeof *L, cmp_ir);
        if (!nall)
            bb_doc_p(&R->doc, "Impact ratios per factor, sorted by impact ratio. Rate: share of "
                     "the group's sentences selected (predicted positive), or for continuous "
                     "scores scoring above the median of all sentences. IR = rate / the highest "
                     "rate of a group that is not small. p: two-proportion z-test, Fisher's "
                     "exact test when a cell has n < 30, against that group.");
        bb_doc_p(&R->doc, "Impact ratios for %s:", fac);
        bb_doc_table(&R->doc, 8, head, "lrrrrrrl");
        for (size_t j = 0; j < n; j++) {
            char note[160];
            snprintf(note, sizeof note, "%s%s%s",
                     L[j].small ? "small (< 2%): not compared" : "",
                     !L[j].small && !isnan(L[j].ir) && L[j].ir >= 1 - 1e-12 ? "reference (highest rate)"
                     : "",
                     !L[j].small && !isnan(L[j].ir) && L[j].ir < 0.8 ? "below 0.8" : "");
            const char *cells[8] = {L[j].group, bb_rep_long(R, L[j].n), bb_rep_num(R, L[j].rate),
                                    bb_rep_ci(R, L[j].lo, L[j].hi), bb_rep_num(R, L[j].ir),
                                    bb_rep_p(R, L[j].p), bb_rep_p(R, L[j].adj), note};
            bb_doc_row(&R->doc, 8, cells);
            all[nall++] = L[j];
        }
        bb_doc_table_end(&R->doc);
    }
    if (nall) {
        const char **lab = calloc(nall, sizeof *lab);
        double *v = calloc(nall, sizeof *v);
        bool *small = calloc(nall, sizeof *small);
        char name[600], title[700];
        if (!lab || !v || !small) {
            free(lab), free(v), free(small);
            st = bb_fail(err, BB_E_NOMEM, "out of memory for an impact-ratio chart");
            goto out;
        }
        for (size_t j = 0; j < nall; j++)
            lab[j] = all[j].group, v[j] = all[j].ir, small[j] = all[j].small;
        bb_plot_name(name, sizeof name, "ir", S->task, S->model);
        snprintf(title, sizeof title, "%s: impact ratio per group, %s", S->task, S->model);
        st = bb_plot_chart_ir(&R->plot, name, title, nall, lab, v, NULL, NULL, small, err);
        free(lab), free(v), free(small);
        if (!st)
            chart_ref(R, name, title);
    }
out:
    free(L), free(all), free(done_f);
    return st;
}

/* An equalized-odds ratio far below 1 beside a small difference: say why. */
static void eo_note(struct bb_rep *R, const struct sel *S)
{
    char groups[400] = "";
    size_t k = 0;
    double worst_ratio = 1, its_diff = NAN;
    for (size_t i = 0; i < S->n; i++) {
        const struct bb_result_row *r = ROW(S->idx[i]);
        if (strcmp(r->metric, "equalized_odds_ratio") || isnan(r->value) || r->value >= 0.5)
            continue;
        long d = find(R, S, r->group, "equalized_odds_difference");
        if (d < 0 || isnan(ROW(d)->value) || ROW(d)->value > 0.1)
            continue;
        if (k + 1 < sizeof groups)
            k += (size_t)snprintf(groups + k, sizeof groups - k, "%s%s", k ? ", " : "", r->group);
        if (r->value < worst_ratio)
            worst_ratio = r->value, its_diff = ROW(d)->value;
    }
    if (!k)
        return;
    bb_doc_lead(&R->doc, "Reading the equalized-odds ratio.",
                "For %s the equalized-odds ratio is as low as %s while the difference is only "
                "%s. Both compare each group's true-positive rate (TPR) and false-positive rate "
                "(FPR): the difference is the largest gap between groups, the ratio the "
                "smallest min/max ratio. False-positive rates here are close to 0, so one group "
                "with no false positive (FPR 0) makes the ratio 0, and 0.005 against 0.02 makes "
                "it 0.25, although the rates differ by hundredths. The ratio is unstable near 0 "
                "and has no CI; read the difference (with its CI) for these rows.",
                groups, bb_rep_num(R, worst_ratio), bb_rep_num(R, its_diff));
}

static enum bb_status do_counterfactual(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    enum bb_status st = cf_scores(R, S, err);
    if (!st)
        st = cf_gaps(R, S, err);
    if (!st)
        st = cf_ir(R, S, err);
    if (!st) {
        rest_table(R, S, "Group-fairness summary and other results of this task");
        eo_note(R, S);
    }
    return st;
}

/* ---- latency --------------------------------------------------------------------------- */

static enum bb_status do_latency(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    size_t cap = S->n ? S->n : 1, n = 0;
    long *b = calloc(cap, sizeof *b), *t = calloc(cap, sizeof *t);
    double *v = calloc(3 * cap, sizeof *v);
    const char **grp = calloc(cap, sizeof *grp);
    enum bb_status st = BB_OK;
    if (!b || !t || !v || !grp) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for latency tables");
        goto done;
    }
    static const char *const head[] = {"batch size", "tokens per sentence", "repetitions",
                                       "p50 ms", "p90 ms", "p99 ms", "mean ms", "stddev ms",
                                       "items/s", "tokens/s"};
    static const char *const ms[] = {"latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
                                      "latency_mean_ms", "latency_stddev_ms", "items_per_s",
                                      "tokens_per_s"};
    for (size_t k = 0; k < S->n; k++) {
        const struct bb_result_row *r = ROW(S->idx[k]);
        long bs, sl;
        if (sscanf(r->group, "b=%ld,t=%ld", &bs, &sl) != 2)
            continue;
        size_t j = 0;
        while (j < n && strcmp(grp[j], r->group))
            j++;
        if (j == n)
            grp[n] = r->group, b[n] = bs, t[n++] = sl;
    }
    for (size_t j = 0; j < n; j++) {
        if (!j) {
            bb_doc_p(&R->doc, "Batch wall time per configuration (kind: timing; "
                     "measured values, not reproducible bit for bit):");
            bb_doc_table(&R->doc, 10, head, "rrrrrrrrrr");
        }
        const char *cells[10] = {bb_rep_long(R, b[j]), bb_rep_long(R, t[j]), "—"};
        for (size_t m = 0; m < 7; m++) {
            long i = find(R, S, grp[j], ms[m]);
            cells[3 + m] = i >= 0 ? bb_rep_num(R, ROW(i)->value) : "—";
            if (i >= 0) {
                S->used[i] = 1;
                cells[2] = bb_rep_long(R, ROW(i)->n);
            }
            if (m == 0)
                v[j] = i >= 0 ? ROW(i)->value : NAN;
            if (m == 1)
                v[cap + j] = i >= 0 ? ROW(i)->value : NAN;
            if (m == 5)
                v[2 * cap + j] = i >= 0 ? ROW(i)->value : NAN;
        }
        bb_doc_row(&R->doc, 10, cells);
    }
    if (n) {
        bb_doc_table_end(&R->doc);
        char name[600], title[700];
        bb_plot_name(name, sizeof name, "latency", S->task, S->model);
        snprintf(title, sizeof title, "%s: latency per batch against batch size, %s", S->task,
                 S->model);
        st = bb_plot_chart_latency(&R->plot, name, title, "latency per batch (ms), p50 to p90",
                                   n, b, t, v, v + cap, err);
        if (!st)
            chart_ref(R, name, title);
        bb_plot_name(name, sizeof name, "throughput", S->task, S->model);
        snprintf(title, sizeof title, "%s: throughput against batch size, %s", S->task, S->model);
        if (!st)
            st = bb_plot_chart_latency(&R->plot, name, title, "throughput (sentences per second)",
                                       n, b, t, v + 2 * cap, NULL, err);
        if (!st)
            chart_ref(R, name, title);
    }
    if (!st)
        rest_table(R, S, "Start-up and memory");
done:
    free(b), free(t), free(v), free(grp);
    return st;
}

/* ---- likelihood tasks (pairs, stereoset, bbq, multiple-choice, perplexity) ------------ */

/* Distinct groups of a task's rows of metric, "all" first, then first-seen. */
static size_t lm_groups(struct bb_rep *R, const char *task, const char *metric, const char **g,
                        size_t max)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < R->res->n && n < max; i++) {
            const struct bb_result_row *r = ROW(i);
            if (strcmp(r->task, task) || strcmp(r->metric, metric) ||
                (pass == 0) != !strcmp(r->group, "all"))
                continue;
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = !strcmp(g[k], r->group);
            if (!seen)
                g[n++] = r->group;
        }
    return n;
}

static const struct bb_result_row *lm_row(struct bb_rep *R, const char *task, const char *model,
                                          const char *group, const char *metric)
{
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *r = ROW(i);
        if (!strcmp(r->task, task) && !strcmp(r->model, model) && !strcmp(r->group, group) &&
            !strcmp(r->metric, metric))
            return r;
    }
    return NULL;
}

/* A reference-line chart of metrics[] per group, one series per metric x
 * model of the task (side by side for multi-model runs). */
static enum bb_status lm_chart(struct bb_rep *R, const char *task, const char *kind,
                               const char *const *metrics, const char *const *metric_names,
                               size_t nm, double ref, const char *ref_label, const char *xlabel,
                               const char *title, bool range100, struct bb_error *err)
{
    const char *groups[64], *models[8], *series[32];
    char snames[32][160];
    size_t ng = lm_groups(R, task, metrics[0], groups, 64), nmod = 0;
    for (size_t m = 0; m < R->n_models && nmod < 8; m++)
        for (size_t g = 0; g < ng; g++)
            if (lm_row(R, task, R->models[m], groups[g], metrics[0])) {
                models[nmod++] = R->models[m];
                break;
            }
    size_t ns = nm * nmod;
    if (!ng || !ns || ns > 32)
        return BB_OK;
    double *v = malloc(3 * ng * ns * sizeof *v);
    if (!v)
        return bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
    for (size_t k = 0; k < nm; k++)
        for (size_t m = 0; m < nmod; m++) {
            size_t s = k * nmod + m;
            snprintf(snames[s], sizeof snames[s], "%s%s%s", nm > 1 ? metric_names[k] : "",
                     nm > 1 && nmod > 1 ? ", " : "", nmod > 1 || nm == 1 ? models[m] : "");
            series[s] = snames[s];
            for (size_t g = 0; g < ng; g++) {
                const struct bb_result_row *r = lm_row(R, task, models[m], groups[g], metrics[k]);
                v[g * ns + s] = r ? r->value : NAN;
                v[ng * ns + g * ns + s] = r ? r->ci_low : NAN;
                v[2 * ng * ns + g * ns + s] = r ? r->ci_high : NAN;
            }
        }
    char name[600];
    bb_plot_name(name, sizeof name, kind, task, NULL);
    struct bb_plot_refdots d = {.title = title, .xlabel = xlabel, .n = ng, .ns = ns,
                                .labels = groups, .series = series, .value = v,
                                .lo = v + ng * ns, .hi = v + 2 * ng * ns, .ref = ref,
                                .ref_label = ref_label, .has_range = range100, .xmin = 0,
                                .xmax = 100};
    enum bb_status st = bb_plot_chart_refdots(&R->plot, name, &d, err);
    free(v);
    if (!st)
        chart_ref(R, name, title);
    return st;
}

/* Is model the first of the run with rows for task? (charts are drawn once per task) */
static bool lm_first_model(struct bb_rep *R, const char *task, const char *model)
{
    for (size_t m = 0; m < R->n_models; m++)
        for (size_t i = 0; i < R->res->n; i++)
            if (!strcmp(ROW(i)->task, task) && !strcmp(ROW(i)->model, R->models[m]))
                return !strcmp(R->models[m], model);
    return false;
}

static void lm_subset_note(struct bb_rep *R, const char *task)
{
    const struct bb_suite_task *t = R->suite ? bb_suite_find_task(R->suite, task) : NULL;
    if (t && t->limit > 0)
        bb_doc_p(&R->doc, "Subset: this task reads only the first %ld items of %s (the suite's "
                 "limit%s), so its numbers are not the benchmark's published full-data figures.",
                 t->limit, t->type == BB_TASK_BBQ ? "each of its files" : "its data",
                 t->type == BB_TASK_BBQ ? ", per file" : "");
}

static enum bb_status do_lm(struct bb_rep *R, struct sel *S, int type, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    bool first = lm_first_model(R, S->task, S->model);
    char title[700];
    lm_subset_note(R, S->task);
    switch (type) {
    case BB_TASK_PAIRS:
        bb_doc_p(&R->doc, "Sentence pairs that differ only in the words naming a group (CrowS-Pairs; "
                 "WinoBias pro/anti-stereotyped sentences). Each sentence is scored by its total "
                 "log-likelihood after the model's prefix token. pct_stereotype: the percentage of "
                 "pairs whose more-stereotyping sentence is strictly more likely (ties count as "
                 "not stereotyping; lm-evaluation-harness's convention). Ideal 50: no preference. "
                 "95%% CI by bootstrap over pairs; p: exact two-sided binomial test against 50%%. "
                 "mean_abs_delta_loglik: mean |log P(more) - log P(less)| in nats (how strongly "
                 "the model separates the sentences, either way). Per-pair log-likelihoods are in "
                 "items/%s__%s.csv.", S->task, S->model);
        if (first) {
            static const char *const m[] = {"pct_stereotype"};
            snprintf(title, sizeof title, "%s: pct_stereotype per bias type (95%% CI; 50 = no "
                     "preference)", S->task);
            st = lm_chart(R, S->task, "lm-pairs", m, m, 1, 50, "50 (ideal: no preference)",
                          "pct_stereotype (% of pairs where the stereotype is more likely)",
                          title, true, err);
        }
        break;
    case BB_TASK_STEREOSET:
        bb_doc_p(&R->doc, "StereoSet intrasentence: each context's stereotype, anti-stereotype "
                 "and unrelated sentence scored by log-likelihood per token (or summed, when the "
                 "task says normalization: sum). ss: %% of contexts where the stereotype beats "
                 "the anti-stereotype (ideal 50; p: exact binomial test against 50%%). lms: %% of "
                 "comparisons where a meaningful sentence beats the unrelated one (ideal 100). "
                 "icat = lms x min(ss, 100 - ss) / 50 (ideal 100). Pooled over contexts unless "
                 "the task averages per target term; 95%% CIs by bootstrap over contexts.");
        if (first) {
            static const char *const m[] = {"ss"};
            static const char *const m2[] = {"lms", "icat"};
            snprintf(title, sizeof title, "%s: ss per domain (95%% CI; 50 = no preference)",
                     S->task);
            st = lm_chart(R, S->task, "lm-ss", m, m, 1, 50, "50 (ideal)", "ss", title, true, err);
            snprintf(title, sizeof title, "%s: lms and icat per domain (95%% CI; ideal 100)",
                     S->task);
            if (!st)
                st = lm_chart(R, S->task, "lm-lms", m2, m2, 2, 100, "100 (ideal)", "score",
                              title, true, err);
        }
        break;
    case BB_TASK_BBQ:
        bb_doc_p(&R->doc, "BBQ: context and question as the prompt, each of the three answers "
                 "scored as a continuation; the prediction is the most likely answer (acc_norm: "
                 "per byte). The stereotyped target of each item comes from its own metadata. "
                 "S_DIS = 2 x (biased answers / answers other than unknown) - 1 on disambiguated "
                 "contexts; S_AMB = (1 - accuracy on ambiguous contexts) x the same score on "
                 "ambiguous contexts. Both range from -1 to 1, ideal 0 (positive: answers follow "
                 "the stereotype). 95%% CIs by bootstrap over items; items whose metadata names "
                 "no single target count for accuracy only (row n_no_target).");
        if (first) {
            static const char *const m[] = {"s_amb", "s_dis"};
            static const char *const names[] = {"S_AMB (ambiguous)", "S_DIS (disambiguated)"};
            snprintf(title, sizeof title, "%s: bias scores per category (95%% CI; 0 = no bias)",
                     S->task);
            st = lm_chart(R, S->task, "lm-bbq", m, names, 2, 0, "0 (ideal)",
                          "bias score (-1 .. 1; > 0: answers follow the stereotype)", title, false,
                          err);
        }
        break;
    case BB_TASK_CHOICE:
        bb_doc_p(&R->doc, "Multiple choice (lm-evaluation-harness semantics): accuracy of the most "
                 "likely choice, acc_norm of the most likely per byte, and the expected "
                 "calibration error (10 equal-width bins) of the softmax over the choices' "
                 "log-likelihoods (ideal 0). 95%% CIs by bootstrap over items.");
        break;
    case BB_TASK_PERPLEXITY:
        bb_doc_p(&R->doc, "Perplexity over the texts (sums over texts, then the ratio): token "
                 "perplexity exp(-sum log p / tokens), bits per byte -sum log p / (bytes x ln 2) "
                 "and word perplexity exp(-sum log p / words); texts longer than the context are "
                 "scored in rolling windows. Lower is better; 95%% CIs by bootstrap over texts.");
        break;
    default: break;
    }
    if (!st)
        rest_table(R, S, "Results, overall (group all) and per group");
    return st;
}

/* ---- section 6 ------------------------------------------------------------------------- */

static enum bb_status one_task_model(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    int type = bb_rep_task_type(R, S->task);
    char anchor[300];
    bb_rep_anchor(anchor, sizeof anchor, "t", S->task, S->model);
    bb_doc_h(&R->doc, 3, anchor, "Task %s (%s), model %s", S->task,
             type >= 0 ? bb_suite_task_type_name((enum bb_suite_task_type)type) : "unknown type",
             S->model);
    switch (type) {
    case BB_TASK_SIMILARITY: return do_similarity(R, S, err);
    case BB_TASK_ZERO_SHOT: return do_zeroshot(R, S, err);
    case BB_TASK_ASSOCIATION: return do_association(R, S, err);
    case BB_TASK_COUNTERFACTUAL: return do_counterfactual(R, S, err);
    case BB_TASK_LATENCY: return do_latency(R, S, err);
    case BB_TASK_PAIRS: case BB_TASK_STEREOSET: case BB_TASK_BBQ: case BB_TASK_CHOICE:
    case BB_TASK_PERPLEXITY: return do_lm(R, S, type, err);
    default: rest_table(R, S, "Results"); return BB_OK;
    }
}

enum bb_status bb_rep_section_analyses(struct bb_rep *R, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    struct sel S = {0};
    bb_doc_h(&R->doc, 2, "quantitative-analyses", "6. Quantitative analyses");
    if (!bb_plot_available(&R->plot))
        bb_doc_lead(&R->doc, "Charts not drawn: gnuplot not found.",
                    "Each chart's gnuplot script and data are in charts/ (NAME.gp, NAME.dat); "
                    "install gnuplot and run: cd charts && gnuplot -e \"fmt='png'\" NAME.gp");
    if (!R->res->n) {
        bb_doc_p(&R->doc, "No results: no task produced rows in this run (see the skipped list "
                 "in section 9).");
        return BB_OK;
    }
    S.idx = malloc(R->res->n * sizeof *S.idx);
    S.used = calloc(R->res->n, 1);
    if (!S.idx || !S.used) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for the analyses");
        goto done;
    }
    bb_doc_p(&R->doc, "Per task and model. Groups are never dropped: small cells are shown and "
             "flagged. Significance: raw p and %s-adjusted p at alpha = %g.",
             bb_suite_correction_name(R->correction), R->alpha);
    for (size_t t = 0; t < R->n_tasks && !st; t++)
        for (size_t m = 0; m < R->n_models && !st; m++) {
            S.task = R->tasks[t], S.model = R->models[m], S.n = 0;
            for (size_t i = 0; i < R->res->n; i++)
                if (in_sel(R, &S, i))
                    S.idx[S.n++] = i;
            if (S.n)
                st = one_task_model(R, &S, err);
            if (S.n && !st)
                st = bb_rep_calibration(R, S.task, S.model, err);
        }
done:
    free(S.idx), free(S.used);
    return st;
}

/* ---- section 7: the matrix ------------------------------------------------------------- */

struct column {
    char title[300];
    const char *task;
    int what;               /* 0: metric at group all, 1: mean |d|, 2: largest |gap|, 3: min IR,
                             * 4: latency p50 at the smallest config, 5: max items/s */
    const char *metric;
    enum bb_direction dir;
};

/* |x| of an interval [lo, hi] (NaN when either end is). */
static void abs_interval(double lo, double hi, double *alo, double *ahi)
{
    if (isnan(lo) || isnan(hi))
        *alo = *ahi = NAN;
    else if (lo >= 0)
        *alo = lo, *ahi = hi;
    else if (hi <= 0)
        *alo = -hi, *ahi = -lo;
    else
        *alo = 0, *ahi = fmax(-lo, hi);
}

/* The value of one matrix cell for a model, with its 95% CI where the
 * figure has one (lo, hi NaN otherwise); NaN when none. */
static double cell_stat(const struct bb_rep *R, const struct column *c, const char *model,
                        double *lo, double *hi)
{
    double acc = NAN;
    size_t cnt = 0;
    long best_b = -1, best_t = -1;
    bool headline = false;
    *lo = *hi = NAN;
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *r = ROW(i);
        if (strcmp(r->task, c->task) || strcmp(r->model, model) || isnan(r->value))
            continue;
        long b, t;
        switch (c->what) {
        case 0:
            if (!strcmp(r->metric, c->metric) && !strcmp(r->group, "all")) {
                *lo = r->ci_low, *hi = r->ci_high;
                return r->value;
            }
            break;
        case 1:
            if (!strcmp(r->metric, "effect_size"))
                acc = (cnt++ ? acc : 0) + fabs(r->value);
            break;
        case 2: /* the task's headline row when it has one, else the largest |gap| */
            if (!strcmp(r->metric, "max_abs_score_gap") && !strcmp(r->group, "all")) {
                acc = r->value, *lo = r->ci_low, *hi = r->ci_high, headline = true;
            } else if (!headline && bb_rep_is_gap(r->metric) &&
                       (isnan(acc) || fabs(r->value) > acc)) {
                acc = fabs(r->value);
                abs_interval(r->ci_low, r->ci_high, lo, hi);
            }
            break;
        case 3:
            if (!strcmp(r->metric, "impact_ratio") && (isnan(acc) || r->value < acc))
                acc = r->value;
            break;
        case 4:
            if (!strcmp(r->metric, "latency_p50_ms") &&
                sscanf(r->group, "b=%ld,t=%ld", &b, &t) == 2 &&
                (best_b < 0 || b < best_b || (b == best_b && t < best_t)))
                best_b = b, best_t = t, acc = r->value;
            break;
        case 5:
            if (!strcmp(r->metric, "items_per_s") && (isnan(acc) || r->value > acc))
                acc = r->value;
            break;
        }
    }
    return c->what == 1 && cnt ? acc / (double)cnt : acc;
}

static size_t columns(const struct bb_rep *R, struct column *cols, size_t max)
{
    size_t n = 0;
    for (size_t t = 0; t < R->n_tasks && n + 2 < max; t++) {
        const char *task = R->tasks[t];
        struct column *c = &cols[n];
        switch (bb_rep_task_type(R, task)) {
        case BB_TASK_SIMILARITY:
            *c = (struct column){.task = task, .what = 0, .metric = "spearman", .dir = BB_DIR_HIGHER};
            snprintf(c->title, sizeof c->title, "%s: Spearman x100 ↑ (accuracy)", task);
            n++;
            break;
        case BB_TASK_ZERO_SHOT:
            *c = (struct column){.task = task, .what = 0, .metric = "accuracy", .dir = BB_DIR_HIGHER};
            snprintf(c->title, sizeof c->title, "%s: accuracy ↑", task);
            c[1] = (struct column){.task = task, .what = 0, .metric = "macro_f1", .dir = BB_DIR_HIGHER};
            snprintf(c[1].title, sizeof c[1].title, "%s: macro-F1 ↑", task);
            n += 2;
            break;
        case BB_TASK_ASSOCIATION:
            *c = (struct column){.task = task, .what = 1, .dir = BB_DIR_LOWER};
            snprintf(c->title, sizeof c->title, "%s: mean |d| ↓ (bias, ideal 0)", task);
            n++;
            break;
        case BB_TASK_COUNTERFACTUAL:
            *c = (struct column){.task = task, .what = 2, .dir = BB_DIR_LOWER};
            snprintf(c->title, sizeof c->title, "%s: largest |gap| ↓ (bias, ideal 0)", task);
            c[1] = (struct column){.task = task, .what = 3, .dir = BB_DIR_HIGHER};
            snprintf(c[1].title, sizeof c[1].title, "%s: lowest impact ratio ↑ (ideal 1)", task);
            n += 2;
            break;
        case BB_TASK_LATENCY:
            *c = (struct column){.task = task, .what = 4, .dir = BB_DIR_LOWER};
            snprintf(c->title, sizeof c->title, "%s: p50 ms, smallest batch ↓", task);
            c[1] = (struct column){.task = task, .what = 5, .dir = BB_DIR_HIGHER};
            snprintf(c[1].title, sizeof c[1].title, "%s: best items/s ↑", task);
            n += 2;
            break;
        /* pct_stereotype, ss and the BBQ bias scores have an ideal inside their range
           (50, 50, 0): not ranked here (their sections and charts show them against it) */
        case BB_TASK_STEREOSET:
            *c = (struct column){.task = task, .what = 0, .metric = "icat", .dir = BB_DIR_HIGHER};
            snprintf(c->title, sizeof c->title, "%s: icat ↑ (ideal 100)", task);
            n++;
            break;
        case BB_TASK_BBQ:
        case BB_TASK_CHOICE:
            *c = (struct column){.task = task, .what = 0, .metric = "accuracy", .dir = BB_DIR_HIGHER};
            snprintf(c->title, sizeof c->title, "%s: accuracy ↑", task);
            n++;
            break;
        case BB_TASK_PERPLEXITY:
            *c = (struct column){.task = task, .what = 0, .metric = "perplexity", .dir = BB_DIR_LOWER};
            snprintf(c->title, sizeof c->title, "%s: perplexity ↓", task);
            n++;
            break;
        default: break;
        }
    }
    return n;
}

/* The comparison key of a row (a bar cluster), or NULL when the row is not
 * compared: latency p50 per grid cell; effect sizes per test; otherwise the
 * metrics at group all. */
static const char *compare_key(const struct bb_rep *R, int type, size_t i, char *buf, size_t n)
{
    const struct bb_result_row *r = ROW(i);
    if (R->aux[i])
        return NULL;
    if (type == BB_TASK_LATENCY)
        return !strcmp(r->metric, "latency_p50_ms") && strchr(r->group, '=') ? r->group : NULL;
    if (r->kind == BB_KIND_TIMING || !strcmp(r->metric, "support") ||
        !strcmp(r->metric, "abs_effect_size"))
        return NULL;
    if (!strcmp(r->metric, "effect_size"))
        return bb_rep_label(r);
    if (type == BB_TASK_ASSOCIATION)
        return NULL; /* signed d only: mean |d| is another quantity (section 7's table) */
    if (type == BB_TASK_COUNTERFACTUAL) { /* the differences per grouping, all ideal 0 */
        if (strchr(r->group, '=') || strstr(r->group, " vs ") ||
            !(!strcmp(r->metric, "max_abs_score_gap") ||
              !strcmp(r->metric, "demographic_parity_difference") ||
              !strcmp(r->metric, "equalized_odds_difference")))
            return NULL;
        snprintf(buf, n, "%s (%s)", r->metric[0] == 'm' ? "max |gap|" : r->metric[0] == 'd'
                 ? "DP difference" : "EO difference", r->group);
        return buf;
    }
    return strcmp(r->group, "all") ? NULL : r->metric;
}

static const char *compare_ylabel(int type)
{
    switch (type) {
    case BB_TASK_SIMILARITY: return "correlation x 100";
    case BB_TASK_ZERO_SHOT: return "score (0-1)";
    case BB_TASK_ASSOCIATION: return "effect size d (ideal 0)";
    case BB_TASK_LATENCY: return "p50 latency per batch (ms)";
    case BB_TASK_COUNTERFACTUAL: return "difference between groups (ideal 0)";
    default: return "value (units: section 4)";
    }
}

/* One comparison chart per task: clusters (metrics, tests or latency grid
 * cells) x models, with 95% CIs. */
static enum bb_status compare_charts(struct bb_rep *R, struct bb_error *err)
{
    size_t ns = R->n_models < 8 ? R->n_models : 8;
    for (size_t t = 0; t < R->n_tasks; t++) {
        int type = bb_rep_task_type(R, R->tasks[t]);
        const char *cl[16];
        char own[16][300], kb[300];
        double v[16 * 8], lo[16 * 8], hi[16 * 8];
        size_t k = 0;
        for (size_t i = 0; i < R->res->n && k < 16; i++) {
            const char *key = strcmp(ROW(i)->task, R->tasks[t]) ? NULL
                              : compare_key(R, type, i, kb, sizeof kb);
            bool seen = false;
            for (size_t j = 0; key && j < k && !seen; j++)
                seen = !strcmp(cl[j], key);
            if (key && !seen) {
                if (type == BB_TASK_ASSOCIATION && !strcmp(ROW(i)->metric, "effect_size"))
                    bb_rep_test_name(key, own[k], sizeof own[k]);
                else
                    snprintf(own[k], sizeof own[k], "%s", key);
                cl[k] = own[k];
                k++;
            }
        }
        if (!k)
            continue;
        for (size_t j = 0; j < k * ns; j++)
            v[j] = lo[j] = hi[j] = NAN;
        for (size_t i = 0; i < R->res->n; i++) {
            const struct bb_result_row *r = ROW(i);
            const char *key = strcmp(r->task, R->tasks[t]) ? NULL
                              : compare_key(R, type, i, kb, sizeof kb);
            char pk[300];
            if (key && type == BB_TASK_ASSOCIATION && !strcmp(r->metric, "effect_size"))
                key = bb_rep_test_name(key, pk, sizeof pk);
            for (size_t j = 0; key && j < k; j++)
                for (size_t m = 0; m < ns; m++)
                    if (!strcmp(cl[j], key) && !strcmp(r->model, R->models[m]))
                        v[j * ns + m] = r->value, lo[j * ns + m] = r->ci_low,
                        hi[j * ns + m] = r->ci_high;
        }
        char name[600], title[700];
        bb_plot_name(name, sizeof name, "compare", R->tasks[t], NULL);
        snprintf(title, sizeof title, "%s: models compared%s", R->tasks[t],
                 type == BB_TASK_LATENCY ? " (b = batch size, t = tokens)"
                 : type == BB_TASK_COUNTERFACTUAL ? " (95% CI; DP: demographic parity, EO: "
                                                    "equalized odds)" : " (95% CI)");
        enum bb_status st =
            type == BB_TASK_LATENCY
                ? bb_plot_chart_clusters_log(&R->plot, name, title,
                                             "p50 latency per batch, ms (log scale)", k, cl, ns,
                                             R->models, v, lo, hi, err)
                : bb_plot_chart_clusters(&R->plot, name, title, compare_ylabel(type), k, cl, ns,
                                         R->models, v, lo, hi, err);
        if (st)
            return st;
        chart_ref(R, name, title);
    }
    return BB_OK;
}

/* ---- section 7: which model and why ----------------------------------------------- */

enum { CLS_ACC, CLS_BIAS, CLS_TIME };

static int col_class(const struct column *c)
{
    return c->what == 0 ? CLS_ACC : c->what <= 3 ? CLS_BIAS : CLS_TIME;
}

/* a against b on one figure: +1 a better beyond the 95% CIs (they do not
 * overlap), -1 b better beyond them, 0 the CIs overlap, 2 a CI is missing. */
static int judge(enum bb_direction dir, double va, double la, double ha, double vb, double lb,
                 double hb)
{
    if (isnan(la) || isnan(ha) || isnan(lb) || isnan(hb))
        return 2;
    if (la > hb)
        return dir == BB_DIR_HIGHER ? 1 : -1;
    if (lb > ha)
        return dir == BB_DIR_HIGHER ? -1 : 1;
    (void)va, (void)vb;
    return 0;
}

struct assoc_cmp {
    size_t tests;      /* tests both models ran */
    size_t a_smaller;  /* tests where |d| of a is the smaller */
    size_t a_beyond;   /* |d| of a smaller, the |d| CIs apart */
    size_t b_beyond;   /* |d| of b smaller, the |d| CIs apart */
};

/* Per SEAT/WEAT test of an association task: |d| of model a against b. */
static struct assoc_cmp assoc_compare(const struct bb_rep *R, const char *task, const char *a,
                                      const char *b)
{
    struct assoc_cmp o = {0};
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *x = ROW(i);
        if (strcmp(x->task, task) || strcmp(x->model, a) || strcmp(x->metric, "effect_size") ||
            isnan(x->value))
            continue;
        for (size_t k = 0; k < R->res->n; k++) {
            const struct bb_result_row *y = ROW(k);
            if (strcmp(y->task, task) || strcmp(y->model, b) || strcmp(y->metric, "effect_size") ||
                strcmp(bb_rep_label(x), bb_rep_label(y)) || isnan(y->value))
                continue;
            double xl, xh, yl, yh;
            abs_interval(x->ci_low, x->ci_high, &xl, &xh);
            abs_interval(y->ci_low, y->ci_high, &yl, &yh);
            int j = judge(BB_DIR_LOWER, fabs(x->value), xl, xh, fabs(y->value), yl, yh);
            o.tests++;
            o.a_smaller += fabs(x->value) < fabs(y->value);
            o.a_beyond += j == 1;
            o.b_beyond += j == -1;
            break;
        }
    }
    return o;
}

/* "82.000 [80.5, 83.5]" of model m in column c, into buf. */
static const char *val_ci(struct bb_rep *R, double v, double lo, double hi, char *buf, size_t n)
{
    if (isnan(lo) || isnan(hi))
        snprintf(buf, n, "%s", bb_rep_num(R, v));
    else
        snprintf(buf, n, "%s %s", bb_rep_num(R, v), bb_rep_ci(R, lo, hi));
    return buf;
}

/* One comparison of the best model b against model m in column c, appended to out. */
static void one_comparison(struct bb_rep *R, const struct column *c, size_t b, size_t m,
                           const double *v, const double *lo, const double *hi, char *out,
                           size_t n)
{
    size_t k = strlen(out), ib = b, im = m;
    char sb[160], sm[160], what[700];
    const double xb = v[ib], xm = v[im];
    if (col_class(c) == CLS_TIME) {
        double ratio = c->what == 4 ? xm / xb : xb / xm;
        snprintf(what, sizeof what, "%s %s vs %s %s: %s %s %.2fx %s (timing on this machine: no "
                 "CI, not tested)", R->models[b],
                 bb_rep_num(R, xb), R->models[m], bb_rep_num(R, xm), R->models[b],
                 c->what == 4 ? "is" : "has", isfinite(ratio) ? ratio : NAN,
                 c->what == 4 ? "faster at p50" : "the throughput");
    } else if (c->what == 1) {
        struct assoc_cmp a = assoc_compare(R, c->task, R->models[b], R->models[m]);
        snprintf(what, sizeof what, "%s %s vs %s %s (lower is better); per test, %s has the "
                 "smaller |d| in %zu of %zu; the |d| CIs are apart in %zu test(s) in %s's favour "
                 "and %zu in %s's", R->models[b], bb_rep_num(R, xb), R->models[m],
                 bb_rep_num(R, xm), R->models[b], a.a_smaller, a.tests, a.a_beyond,
                 R->models[b], a.b_beyond, R->models[m]);
    } else {
        int j = judge(c->dir, xb, lo[ib], hi[ib], xm, lo[im], hi[im]);
        snprintf(what, sizeof what, "%s %s vs %s %s (%s%s): %s", R->models[b],
                 val_ci(R, xb, lo[ib], hi[ib], sb, sizeof sb), R->models[m],
                 val_ci(R, xm, lo[im], hi[im], sm, sizeof sm), xb - xm >= 0 ? "+" : "",
                 bb_rep_num(R, xb - xm),
                 xb == xm ? "equal"
                 : j == 1 ? "the 95% CIs do not overlap"
                 : j == 0 ? "the 95% CIs overlap: no difference shown by this run"
                          : "no CI for this figure: not tested");
    }
    snprintf(out + k, k < n ? n - k : 0, "%s%s", k ? "; " : "", what);
}

/* The better model of column c (index into R->models), or -1 when no model has a value. */
static long best_of(const struct bb_rep *R, const struct column *c, const double *v)
{
    long best = -1;
    for (size_t m = 0; m < R->n_models; m++) {
        if (isnan(v[m]))
            continue;
        if (best < 0 || (c->dir == BB_DIR_HIGHER ? v[m] > v[best] : v[m] < v[best]))
            best = (long)m;
    }
    return best;
}

/* Is model m worse than another model beyond the CIs on column c (a bias figure)? */
static bool bias_worse(const struct bb_rep *R, const struct column *c, size_t m, const double *v,
                       const double *lo, const double *hi)
{
    for (size_t o = 0; o < R->n_models; o++) {
        if (o == m || isnan(v[m]) || isnan(v[o]))
            continue;
        if (c->what == 1) {
            if (assoc_compare(R, c->task, R->models[o], R->models[m]).a_beyond > 0)
                return true;
        } else if (judge(c->dir, v[o], lo[o], hi[o], v[m], lo[m], hi[m]) == 1) {
            return true;
        }
    }
    return false;
}

/* Steps 2 (accuracy wins beyond the CIs) and 3 (p50 latency) of the rule
 * over the candidates cand (narrowed in place); what happened appended to why. */
static void rule_steps_2_3(const struct bb_rep *R, const struct column *cols, size_t nc,
                           const double *val, const double *lo, const double *hi, bool *cand,
                           long *score, char *why)
{
    size_t nm = R->n_models, left, k;
    for (size_t c = 0; c < nc; c++) {
        if (col_class(&cols[c]) != CLS_ACC)
            continue;
        const double *v = val + c * nm, *l = lo + c * nm, *h = hi + c * nm;
        for (size_t a = 0; a < nm; a++)
            for (size_t b = 0; b < nm; b++)
                if (a != b && cand[a] && cand[b] && !isnan(v[a]) && !isnan(v[b]) &&
                    judge(cols[c].dir, v[a], l[a], h[a], v[b], l[b], h[b]) == 1)
                    score[a]++, score[b]--;
    }
    long top = LONG_MIN;
    for (size_t m = 0; m < nm; m++)
        if (cand[m] && score[m] > top)
            top = score[m];
    left = 0;
    for (size_t m = 0; m < nm; m++)
        left += cand[m] = cand[m] && score[m] == top;
    k = strlen(why);
    k += (size_t)snprintf(why + k, k < 2048 ? 2048 - k : 0, "%s", left == 1
                          ? "step 2 decides (accuracy beyond the CIs)"
                          : "step 2 leaves a tie (no accuracy difference beyond the CIs)");
    long lat = -1;
    for (size_t c = 0; c < nc && lat < 0; c++)
        if (cols[c].what == 4)
            lat = (long)c;
    if (left > 1 && lat >= 0) {
        const double *v = val + (size_t)lat * nm;
        long fast = -1;
        bool all_timed = true;
        for (size_t m = 0; m < nm; m++) {
            all_timed = all_timed && (!cand[m] || !isnan(v[m]));
            if (cand[m] && !isnan(v[m]) && (fast < 0 || v[m] < v[fast]))
                fast = (long)m;
        }
        if (!all_timed) {
            snprintf(why + k, k < 2048 ? 2048 - k : 0, "; step 3 cannot decide: not every "
                     "remaining model has a latency figure");
        } else if (fast >= 0) {
            for (size_t m = 0; m < nm; m++)
                cand[m] = cand[m] && (m == (size_t)fast || v[m] == v[fast]);
            left = 0;
            for (size_t m = 0; m < nm; m++)
                left += cand[m];
            snprintf(why + k, k < 2048 ? 2048 - k : 0, "; step 3 %s (p50 latency at the smallest "
                     "grid cell, a single timing without CI)", left == 1 ? "decides" : "ties");
        }
    }
}

/* The rule, applied: bias screen, then accuracy wins beyond the CIs, then p50 latency. */
static void recommend(struct bb_rep *R, const struct column *cols, size_t nc, const double *val,
                      const double *lo, const double *hi)
{
    size_t nm = R->n_models;
    bool *cand = calloc(nm, sizeof *cand);
    long *score = calloc(nm, sizeof *score);
    char *who = calloc(1, 2048), *why = calloc(1, 2048);
    if (!cand || !score || !who || !why)
        goto done;
    size_t nc_left = 0, left = 0, k = 0;
    for (size_t m = 0; m < nm; m++) {
        cand[m] = true;
        for (size_t c = 0; c < nc && cand[m]; c++)
            if (col_class(&cols[c]) == CLS_BIAS &&
                bias_worse(R, &cols[c], m, val + c * nm, lo + c * nm, hi + c * nm))
                cand[m] = false;
        nc_left += cand[m];
    }
    if (!nc_left) {
        for (size_t m = 0; m < nm; m++)
            cand[m] = true;
        snprintf(why, 2048, "every model is worse than another beyond the CIs on some bias "
                 "figure, so step 1 excludes none; ");
    } else if (nc_left < nm) {
        for (size_t m = 0; m < nm; m++)
            if (!cand[m])
                k += (size_t)snprintf(why + k, k < 2048 ? 2048 - k : 0, "%s%s", k ? ", " : "step 1 "
                                      "excludes ", R->models[m]);
        snprintf(why + k, k < 2048 ? 2048 - k : 0, " (worse beyond the CIs on a bias figure); ");
    } else {
        snprintf(why, 2048, "no model is worse than another beyond the CIs on a bias figure; ");
    }
    if (nc_left == 1)
        snprintf(why + strlen(why), 2048 - strlen(why), "step 1 decides");
    else
        rule_steps_2_3(R, cols, nc, val, lo, hi, cand, score, why);
    left = 0;
    for (size_t m = 0; m < nm; m++)
        left += cand[m];
    k = 0;
    for (size_t m = 0; m < nm; m++)
        if (cand[m])
            k += (size_t)snprintf(who + k, k < 2048 ? 2048 - k : 0, "%s%s", k ? ", " : "",
                                  R->models[m]);
    bb_doc_lead(&R->doc, "Rule.", "(1) Keep the models that are not worse than another model "
                "beyond the 95%% CIs on any bias figure above that has CIs (largest "
                "counterfactual gap; SEAT/WEAT |d| per test); the lowest impact ratio has no CI "
                "and does not screen. (2) Among those, prefer the model with the most accuracy "
                "wins beyond the CIs (STS Spearman, zero-shot accuracy and macro-F1), each win "
                "against each other model counted once. (3) Then the lowest p50 latency.");
    bb_doc_lead(&R->doc, left == 1 ? "Outcome under this rule:" : "Outcome under this rule: no "
                "single model;", "%s (%s). This reads these numbers, it does not weigh them: "
                "the intended use (section 2) decides which trade-off matters.",
                who, why);
done:
    free(cand), free(score), free(who), free(why);
}

static void append(char *buf, size_t n, const char *s)
{
    size_t k = strlen(buf);
    snprintf(buf + k, k < n ? n - k : 0, "%s%s", k ? "; " : "", s);
}

/* Two models: the trade-off in one paragraph, each figure in one bucket. */
static void in_short(struct bb_rep *R, const struct column *cols, size_t nc, const double *val,
                     const double *lo, const double *hi)
{
    enum { N = 2048 };
    char *b = calloc(5, N), *won0 = b, *won1 = b + N, *within = b + 2 * N, *untested = b + 3 * N,
         *timing = b + 4 * N, item[600];
    if (!b)
        return;
    const char *m0 = R->models[0], *m1 = R->models[1];
    for (size_t c = 0; c < nc; c++) {
        const double *v = val + 2 * c, *l = lo + 2 * c, *h = hi + 2 * c;
        if (isnan(v[0]) || isnan(v[1]))
            continue;
        if (cols[c].what == 4) {
            bool f0 = v[0] <= v[1];
            snprintf(item, sizeof item, "%s is %.2fx faster at p50 (%s)", f0 ? m0 : m1,
                     f0 ? v[1] / v[0] : v[0] / v[1], cols[c].task);
            append(timing, N, item);
        } else if (cols[c].what == 1) {
            struct assoc_cmp a = assoc_compare(R, cols[c].task, m0, m1);
            if (a.a_beyond) {
                snprintf(item, sizeof item, "%.300s (|d| in %zu of %zu tests)", cols[c].title,
                         a.a_beyond, a.tests);
                append(won0, N, item);
            }
            if (a.b_beyond) {
                snprintf(item, sizeof item, "%.300s (|d| in %zu of %zu tests)", cols[c].title,
                         a.b_beyond, a.tests);
                append(won1, N, item);
            }
            if (!a.a_beyond && !a.b_beyond)
                append(within, N, cols[c].title);
        } else if (col_class(&cols[c]) != CLS_TIME) {
            int j = judge(cols[c].dir, v[0], l[0], h[0], v[1], l[1], h[1]);
            append(j == 1 ? won0 : j == -1 ? won1 : j == 0 ? within : untested, N,
                   cols[c].title);
        }
    }
    bb_doc_lead(&R->doc, "In short:", "%s is better beyond the 95%% CIs on: %s. %s is better "
                "beyond them on: %s. Within the CIs (no difference shown): %s. Without CIs (not "
                "judged): %s. Timing: %s.", m0, won0[0] ? won0 : "none", m1,
                won1[0] ? won1 : "none", within[0] ? within : "none",
                untested[0] ? untested : "none", timing[0] ? timing : "not measured for both");
    free(b);
}

/* Per column: the best model against each other one, the CIs judged; then the rule. */
static void which_model(struct bb_rep *R, const struct column *cols, size_t nc, const double *val,
                        const double *lo, const double *hi)
{
    size_t nm = R->n_models;
    char *line = malloc(8192);
    if (!line)
        return;
    bb_doc_h(&R->doc, 3, "which-model", "Which model and why");
    bb_doc_p(&R->doc, "Best model per column, and whether the difference is beyond the 95%% "
             "CIs. Non-overlap of two CIs is a conservative check: overlapping CIs can still "
             "hide a real difference, which the paired tests on the per-item data of "
             "'biasbench compare RUN --models A,B' can find.");
    for (size_t c = 0; c < nc; c++) {
        const double *v = val + c * nm, *l = lo + c * nm, *h = hi + c * nm;
        long b = best_of(R, &cols[c], v);
        if (b < 0)
            continue;
        char who[1024];
        size_t k = (size_t)snprintf(who, sizeof who, "%s", R->models[b]);
        line[0] = 0;
        for (size_t m = 0; m < nm; m++) {
            if (m == (size_t)b || isnan(v[m]))
                continue;
            if (v[m] == v[b] && k < sizeof who)
                k += (size_t)snprintf(who + k, sizeof who - k, ", %s", R->models[m]);
            one_comparison(R, &cols[c], (size_t)b, m, v, l, h, line, 8192);
        }
        bb_doc_kv(&R->doc, cols[c].title, "%s%s%s%s", strchr(who, ',') ? "tied at best: " : "best: ",
                  who, line[0] ? "; " : " (the only model with this figure)", line);
    }
    bb_doc_end_list(&R->doc);
    if (nm == 2)
        in_short(R, cols, nc, val, lo, hi);
    recommend(R, cols, nc, val, lo, hi);
    free(line);
}

/* ---- section 7: models side by side -------------------------------------------------- */

/* Is row i shown in the side-by-side table of its task (type)? */
static bool side_row(const struct bb_rep *R, int type, size_t i)
{
    const struct bb_result_row *r = ROW(i);
    const char *m = r->metric;
    if (R->aux[i])
        return false;
    switch (type) {
    case BB_TASK_LATENCY:
        return !strcmp(r->group, "all") || !strcmp(m, "latency_p50_ms") || !strcmp(m, "items_per_s");
    case BB_TASK_SIMILARITY: return !strcmp(r->group, "all");
    case BB_TASK_ZERO_SHOT: return !strcmp(r->group, "all") || !strcmp(m, "f1");
    case BB_TASK_ASSOCIATION: return strcmp(m, "abs_effect_size") != 0;
    case BB_TASK_COUNTERFACTUAL: return !bb_rep_is_rate(m);
    default: return true;
    }
}

static bool same_key(const struct bb_result_row *a, const struct bb_result_row *b)
{
    return !strcmp(a->metric, b->metric) && !strcmp(bb_rep_label(a), bb_rep_label(b));
}

/* One table per task: a line per metric (and group or test), a column per model. */
static enum bb_status side_by_side(struct bb_rep *R, struct bb_error *err)
{
    size_t nm = R->n_models, n = R->res->n;
    size_t *key = malloc((n ? n : 1) * sizeof *key);
    const char **head = calloc(nm + 2, sizeof *head), **cells = calloc(nm + 2, sizeof *cells);
    char *buf = malloc((nm + 2) * 200), *align = malloc(nm + 3);
    if (!key || !head || !cells || !buf || !align) {
        free(key), free(head), free(cells), free(buf), free(align);
        return bb_fail(err, BB_E_NOMEM, "out of memory for the side-by-side tables");
    }
    bb_doc_h(&R->doc, 3, "side-by-side", "Models side by side");
    bb_doc_p(&R->doc, "Per task, each model's value with its 95%% CI (\"—\": not computed). "
             "Arrows give the better direction; rows without one have an ideal value (section 4).");
    head[0] = "metric", head[1] = "group or test";
    memset(align, 'r', nm + 2);
    align[0] = align[1] = 'l', align[nm + 2] = 0;
    for (size_t m = 0; m < nm; m++)
        head[m + 2] = R->models[m];
    for (size_t t = 0; t < R->n_tasks; t++) {
        int type = bb_rep_task_type(R, R->tasks[t]);
        size_t nk = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(ROW(i)->task, R->tasks[t]) || !side_row(R, type, i))
                continue;
            size_t j = 0;
            while (j < nk && !same_key(ROW(key[j]), ROW(i)))
                j++;
            if (j == nk)
                key[nk++] = i;
        }
        if (!nk)
            continue;
        bb_doc_p(&R->doc, "Task %s (%s):", R->tasks[t],
                 type >= 0 ? bb_suite_task_type_name((enum bb_suite_task_type)type) : "unknown type");
        bb_doc_table(&R->doc, nm + 2, head, align);
        for (size_t j = 0; j < nk; j++) {
            const struct bb_result_row *k = ROW(key[j]);
            snprintf(buf, 200, "%s%s", k->metric, bb_rep_arrow(k->higher_is_better));
            cells[0] = buf, cells[1] = bb_rep_label(k);
            for (size_t m = 0; m < nm; m++) {
                char *c = buf + (m + 1) * 200;
                snprintf(c, 200, "—");
                for (size_t i = 0; i < n; i++) {
                    const struct bb_result_row *r = ROW(i);
                    if (!strcmp(r->task, R->tasks[t]) && !strcmp(r->model, R->models[m]) &&
                        !R->aux[i] && same_key(r, k)) {
                        val_ci(R, r->value, r->ci_low, r->ci_high, c, 200);
                        break;
                    }
                }
                cells[m + 2] = c;
            }
            bb_doc_row(&R->doc, nm + 2, cells);
        }
        bb_doc_table_end(&R->doc);
    }
    free(key), free(head), free(cells), free(buf), free(align);
    return BB_OK;
}

/* ---- section 7: significance tiles and rate heatmaps ------------------------------------ */

/* Distinct labels (first-seen order) of the rows of task whose metric passes keep. */
static size_t labels_of(const struct bb_rep *R, const char *task, bool (*keep)(const char *),
                        const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *r = ROW(i);
        if (strcmp(r->task, task) || !keep(r->metric) || (R->aux && R->aux[i]))
            continue;
        if (bb_rep_is_rate(r->metric) && !is_group(r->group))
            continue;
        size_t j = 0;
        while (j < n && strcmp(out[j], bb_rep_label(r)))
            j++;
        if (j == n)
            out[n++] = bb_rep_label(r);
    }
    return n;
}

static bool is_effect(const char *m) { return !strcmp(m, "effect_size"); }

/* Model x SEAT/WEAT test tiles (rows: tests, columns: models), or model x
 * group rates; grid_kind 0: significance, 1: rate. */
static enum bb_status grid_chart(struct bb_rep *R, const char *task, int grid_kind,
                                 struct bb_error *err)
{
    size_t nm = R->n_models, n = R->res->n;
    const char **lab = calloc(n ? n : 1, sizeof *lab);
    enum bb_status st = BB_OK;
    if (!lab)
        return bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
    size_t ny = labels_of(R, task, grid_kind ? bb_rep_is_rate : is_effect, lab);
    double *lev = ny ? malloc(ny * nm * sizeof *lev) : NULL;
    char *txt = ny ? calloc(ny * nm, 64) : NULL;
    const char **tp = ny ? calloc(ny * nm, sizeof *tp) : NULL;
    const char *rate_metric = "selection_rate";
    if (!ny)
        goto done;
    if (!lev || !txt || !tp) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
        goto done;
    }
    /* only the models with rows for this task (a model the task skipped is no column) */
    const char *xm[64];
    size_t nx = 0;
    for (size_t m = 0; m < nm && nx < 64; m++) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = !strcmp(ROW(i)->task, task) && !strcmp(ROW(i)->model, R->models[m]);
        if (any)
            xm[nx++] = R->models[m];
    }
    nm = nx;
    for (size_t j = 0; j < ny * nm; j++)
        lev[j] = NAN, tp[j] = txt + 64 * j;
    for (size_t i = 0; i < n; i++) {
        const struct bb_result_row *r = ROW(i);
        if (strcmp(r->task, task) || R->aux[i] ||
            !(grid_kind ? bb_rep_is_rate(r->metric) && is_group(r->group) : is_effect(r->metric)))
            continue;
        size_t y = 0, m = 0;
        while (y < ny && strcmp(lab[y], bb_rep_label(r)))
            y++;
        while (m < nm && strcmp(xm[m], r->model))
            m++;
        if (y == ny || m == nm || !isnan(lev[y * nm + m]))
            continue;
        char *t = txt + 64 * (y * nm + m);
        if (grid_kind) {
            rate_metric = r->metric;
            lev[y * nm + m] = r->value;
            snprintf(t, 64, "%.3f\nn=%ld", r->value, r->n);
        } else {
            lev[y * nm + m] = sig_level(R, r->p_value, R->adj[i]);
            snprintf(t, 64, "d=%.2f\np=%s", r->value, bb_rep_p(R, r->p_value));
        }
    }
    char name[600], title[700], lv2[200];
    snprintf(lv2, sizeof lv2, "significant after %s correction",
             bb_suite_correction_name(R->correction));
    bb_plot_name(name, sizeof name, grid_kind ? "rates" : "sigtiles", task, NULL);
    if (grid_kind)
        snprintf(title, sizeof title, "%s: %s per group and model (cell: rate, n)", task,
                 !strcmp(rate_metric, "scoring_rate") ? "scoring rate" : "selection rate");
    else
        snprintf(title, sizeof title, "%s: significance per test and model at alpha %g (cell: "
                 "effect size d, raw p)", task, R->alpha);
    char (*yplain)[96] = grid_kind ? NULL : calloc(ny, sizeof *yplain);
    const char **yn = grid_kind ? NULL : calloc(ny, sizeof *yn);
    if (!grid_kind && (!yplain || !yn)) {
        free(yplain), free(yn);
        st = bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
        goto done;
    }
    for (size_t y = 0; !grid_kind && y < ny; y++)
        yn[y] = bb_rep_test_name(lab[y], yplain[y], sizeof yplain[y]);
    struct bb_plot_grid g = {.title = title, .xlabel = "model",
                             .ylabel = grid_kind ? "group" : "association test",
                             .cblabel = !strcmp(rate_metric, "scoring_rate")
                                            ? "scoring rate (share above the overall median)"
                                            : "selection rate (share predicted positive)",
                             .nx = nm, .ny = ny, .xnames = xm, .ynames = grid_kind ? lab : yn,
                             .level = lev, .text = tp, .n_levels = grid_kind ? 0 : 3,
                             .level_names = {"not significant", "significant (raw p only)", lv2},
                             .lo = 0, .hi = 1};
    if (!(st = bb_plot_chart_grid(&R->plot, name, &g, err)))
        chart_ref(R, name, title);
    free(yplain), free(yn);
done:
    free(lab), free(lev), free(txt), free(tp);
    return st;
}

enum bb_status bb_rep_section_matrix(struct bb_rep *R, struct bb_error *err)
{
    struct column cols[64];
    size_t nc = columns(R, cols, 64), nm = R->n_models;
    enum bb_status st = BB_OK;
    bb_doc_h(&R->doc, 2, "accuracy-efficiency-bias", "7. Accuracy and efficiency beside bias");
    if (!nc || !nm) {
        bb_doc_p(&R->doc, "No accuracy, bias or latency results to put side by side.");
    } else {
        const char **head = calloc(nc + 1, sizeof *head), **cells = calloc(nc + 1, sizeof *cells);
        double *val = calloc(3 * nc * nm, sizeof *val);
        if (!head || !cells || !val) {
            free(head), free(cells), free(val);
            return bb_fail(err, BB_E_NOMEM, "out of memory for the matrix");
        }
        double *lo = val + nc * nm, *hi = val + 2 * nc * nm;
        bb_doc_p(&R->doc, "One row per model (HELM-style): accuracy, bias and efficiency "
                 "together. Arrows give the better direction.");
        head[0] = "model";
        for (size_t c = 0; c < nc; c++)
            head[c + 1] = cols[c].title;
        bb_doc_table(&R->doc, nc + 1, head, NULL);
        for (size_t m = 0; m < nm; m++) {
            cells[0] = R->models[m];
            for (size_t c = 0; c < nc; c++) {
                size_t j = c * nm + m;
                val[j] = cell_stat(R, &cols[c], R->models[m], &lo[j], &hi[j]);
                cells[c + 1] = bb_rep_num(R, val[j]);
            }
            bb_doc_row(&R->doc, nc + 1, cells);
        }
        bb_doc_table_end(&R->doc);
        if (nm > 1)
            which_model(R, cols, nc, val, lo, hi);
        free(head), free(cells), free(val);
    }
    if (nm > 1 && R->res->n && !(st = side_by_side(R, err)))
        st = compare_charts(R, err);
    bool any = false;
    for (size_t t = 0; t < R->n_tasks && !st; t++) {
        int type = bb_rep_task_type(R, R->tasks[t]);
        if (type != BB_TASK_ASSOCIATION && type != BB_TASK_COUNTERFACTUAL)
            continue;
        if (!any)
            bb_doc_h(&R->doc, 3, "at-a-glance", "Significance and rates per model");
        any = true;
        st = grid_chart(R, R->tasks[t], type == BB_TASK_COUNTERFACTUAL, err);
    }
    return st;
}
