/* report_encoder.c: section 6's tables and charts for the encoder tasks:
 * similarity, zero-shot classification, WEAT/SEAT association, counterfactual
 * probes and latency. */
#include <csv.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_tables.h"

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

enum bb_status bb_rep_do_similarity(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    char t[256], m[256], path[4800], name[600], title[700];
    struct items it;
    bb_rep_safe(t, sizeof t, S->task);
    bb_rep_safe(m, sizeof m, S->model);
    snprintf(path, sizeof path, "%s/items/%s__%s.csv", R->run_dir, t, m);
    bb_rep_rest_table(R, S, "Correlation with gold similarity");
    read_items(path, &it);
    enum bb_status st = BB_OK;
    if (it.n) {
        long k = bb_rep_find(R, S, "all", "spearman");
        bb_plot_name(name, sizeof name, "sts", S->task, S->model);
        snprintf(title, sizeof title, "%s: gold vs predicted similarity, %s (%zu pairs%s%s)",
                 S->task, S->model, it.n, k >= 0 ? ", Spearman x100 = " : "",
                 k >= 0 ? bb_rep_num(R, ROW(k)->value) : "");
        st =
            bb_plot_chart_scatter(&R->plot, name, title, "gold similarity (dataset scale)",
                                  "cosine of the two sentence embeddings", it.n, it.xs, it.ys, err);
        if (!st)
            bb_rep_chart_ref(R, name, title);
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

enum bb_status bb_rep_do_zeroshot(struct bb_rep *R, struct sel *S, struct bb_error *err)
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
            long p = bb_rep_find(R, S, g, "precision"), r = bb_rep_find(R, S, g, "recall"),
                 f = bb_rep_find(R, S, g, "f1");
            long s = bb_rep_find(R, S, g, "support");
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
            long i = bb_rep_find(R, S, grp, "confusion");
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
            bb_rep_chart_ref(R, name, title);
    }
    free(cnt), free(names);
    if (!st)
        bb_rep_rest_table(R, S,
                          "Accuracy (overall, and per value of the dataset's group column where "
                          "it has one)");
    return st;
}

/* ---- association ---------------------------------------------------------------------------- */

enum bb_status bb_rep_do_association(struct bb_rep *R, struct sel *S, struct bb_error *err)
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
                                       "p (one-sided, raw)", "p (adjusted)", "significant"};
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
                                bb_rep_sig_word(R, r->p_value, R->adj[i])};
        bb_doc_row(&R->doc, 8, cells);
        S->used[i] = 1;
        lab[n] = plain[n];
        es[3 * n] = r->value, es[3 * n + 1] = r->ci_low, es[3 * n + 2] = r->ci_high;
        sig[n++] = bb_rep_sig_level(R, r->p_value, R->adj[i]);
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
            bb_rep_chart_ref(R, name, title);
    }
    if (!st)
        bb_rep_rest_table(R, S, "Other results of this task");
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

/* A group's small_group flag from the task (results.csv's small_group column
 * on the group's rows: 1/0), or -1 when it gave none. */
static int small_flag(const struct bb_rep *R, const struct sel *S, const char *group)
{
    for (size_t k = 0; k < S->n; k++) {
        const struct bb_result_row *r = ROW(S->idx[k]);
        if (r->small_group != BB_SMALL_UNSET && !strcmp(r->group, group))
            return r->small_group == BB_SMALL_YES;
    }
    return -1;
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
            if (bb_rep_is_score(r->metric) && bb_rep_is_group(r->group) &&
                (strchr(r->group, '&') != NULL) == inter)
                total += (double)r->n;
        }
        for (size_t k = 0; k < S->n; k++) {
            size_t i = S->idx[k];
            const struct bb_result_row *r = ROW(i);
            if (!bb_rep_is_score(r->metric) || !bb_rep_is_group(r->group) ||
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
                if (!bb_rep_is_score(q->metric) || !bb_rep_is_group(q->group))
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
            bb_rep_chart_ref(R, name, title);
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
                                bb_rep_p(R, R->adj[i]), bb_rep_sig_word(R, r->p_value, R->adj[i])};
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
            bb_rep_chart_ref(R, name, title);
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
        if (done_f[k0] || !bb_rep_is_group(r0->group) ||
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
            if (!bb_rep_is_group(r->group) ||
                !(bb_rep_is_rate(r->metric) || !strcmp(r->metric, "impact_ratio")))
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
            snprintf(note, sizeof note, "%s%s%s", L[j].small ? "small (< 2%): not compared" : "",
                     !L[j].small && !isnan(L[j].ir) && L[j].ir >= 1 - 1e-12
                         ? "reference (highest rate)"
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
            bb_rep_chart_ref(R, name, title);
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
        long d = bb_rep_find(R, S, r->group, "equalized_odds_difference");
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

enum bb_status bb_rep_do_counterfactual(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    enum bb_status st = cf_scores(R, S, err);
    if (!st)
        st = cf_gaps(R, S, err);
    if (!st)
        st = cf_ir(R, S, err);
    if (!st) {
        bb_rep_rest_table(R, S, "Group-fairness summary and other results of this task");
        eo_note(R, S);
    }
    return st;
}

/* ---- latency --------------------------------------------------------------------------- */

enum bb_status bb_rep_do_latency(struct bb_rep *R, struct sel *S, struct bb_error *err)
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
    static const char *const head[] = {"batch size", "tokens per sentence", "timed batches",
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
            long i = bb_rep_find(R, S, grp[j], ms[m]);
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
            bb_rep_chart_ref(R, name, title);
        bb_plot_name(name, sizeof name, "throughput", S->task, S->model);
        snprintf(title, sizeof title, "%s: throughput against batch size, %s", S->task, S->model);
        if (!st)
            st = bb_plot_chart_latency(&R->plot, name, title, "throughput (sentences per second)",
                                       n, b, t, v + 2 * cap, NULL, err);
        if (!st)
            bb_rep_chart_ref(R, name, title);
    }
    if (!st)
        bb_rep_rest_table(R, S, "Start-up and memory");
done:
    free(b), free(t), free(v), free(grp);
    return st;
}

