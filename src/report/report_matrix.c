/* report_matrix.c: section 7 of the audit report: the accuracy / bias /
 * efficiency matrix across models, the comparison charts and the "which model
 * and why" rules; the side tables come from report_side.c. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_view.h"

/* ---- section 7: the matrix ------------------------------------------------------------- */

struct column {
    char title[300];
    const char *task;
    enum bb_rep_cell what;
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
        case BB_CELL_METRIC:
            if (!strcmp(r->metric, c->metric) && !strcmp(r->group, "all")) {
                *lo = r->ci_low, *hi = r->ci_high;
                return r->value;
            }
            break;
        case BB_CELL_MEAN_ABS_D:
            if (!strcmp(r->metric, "effect_size"))
                acc = (cnt++ ? acc : 0) + fabs(r->value);
            break;
        case BB_CELL_MAX_GAP: /* the task's headline row when it has one, else the largest |gap| */
            if (!strcmp(r->metric, "max_abs_score_gap") && !strcmp(r->group, "all")) {
                acc = r->value, *lo = r->ci_low, *hi = r->ci_high, headline = true;
            } else if (!headline && bb_rep_is_gap(r->metric) &&
                       (isnan(acc) || fabs(r->value) > acc)) {
                acc = fabs(r->value);
                abs_interval(r->ci_low, r->ci_high, lo, hi);
            }
            break;
        case BB_CELL_MIN_IR:
            if (!strcmp(r->metric, "impact_ratio") && (isnan(acc) || r->value < acc))
                acc = r->value;
            break;
        case BB_CELL_P50:
            if (!strcmp(r->metric, "latency_p50_ms") &&
                sscanf(r->group, "b=%ld,t=%ld", &b, &t) == 2 &&
                (best_b < 0 || b < best_b || (b == best_b && t < best_t)))
                best_b = b, best_t = t, acc = r->value;
            break;
        case BB_CELL_ITEMS_PER_S:
            if (!strcmp(r->metric, "items_per_s") && (isnan(acc) || r->value > acc))
                acc = r->value;
            break;
        }
    }
    return c->what == BB_CELL_MEAN_ABS_D && cnt ? acc / (double)cnt : acc;
}

static size_t columns(const struct bb_rep *R, struct column *cols, size_t max)
{
    size_t n = 0;
    for (size_t t = 0; t < R->n_tasks && n + 2 < max; t++) {
        const struct bb_report_task_view *v = bb_rep_task_view(R, R->tasks[t]);
        for (size_t k = 0; v && k < 2 && v->matrix[k].title; k++) {
            const struct bb_rep_col_spec *c = &v->matrix[k];
            cols[n] = (struct column){.task = R->tasks[t], .what = c->what, .metric = c->metric,
                                      .dir = c->dir};
            snprintf(cols[n].title, sizeof cols[n].title, "%s: %s", R->tasks[t], c->title);
            n++;
        }
    }
    return n;
}

/* Comparison keys (bar clusters) of a row, or NULL when the row is not compared. Rows every
 * type leaves out (annotations, timings, support, |d|) and the per-test effect sizes decide
 * here (true, *key set). */
static bool key_decided(const struct bb_rep *R, size_t i, const char **key)
{
    const struct bb_result_row *r = ROW(i);
    *key = NULL;
    if (R->aux[i] || r->kind == BB_KIND_TIMING || !strcmp(r->metric, "support") ||
        !strcmp(r->metric, "abs_effect_size"))
        return true;
    if (!strcmp(r->metric, "effect_size"))
        *key = bb_rep_label(r);
    return *key != NULL;
}

/* Default: the metrics at group all. */
static const char *key_default(const struct bb_rep *R, size_t i, char *buf, size_t n)
{
    const char *key;
    (void)buf, (void)n;
    if (key_decided(R, i, &key))
        return key;
    return strcmp(ROW(i)->group, "all") ? NULL : ROW(i)->metric;
}

/* Latency: p50 per grid cell. */
const char *bb_rep_key_latency(const struct bb_rep *R, size_t i, char *buf, size_t n)
{
    const struct bb_result_row *r = ROW(i);
    (void)buf, (void)n;
    if (R->aux[i])
        return NULL;
    return !strcmp(r->metric, "latency_p50_ms") && strchr(r->group, '=') ? r->group : NULL;
}

/* Association: the signed d per test only (mean |d| is another quantity: the matrix's). */
const char *bb_rep_key_association(const struct bb_rep *R, size_t i, char *buf, size_t n)
{
    const char *key;
    (void)buf, (void)n;
    key_decided(R, i, &key);
    return key;
}

/* Counterfactual: the differences per grouping, all ideal 0. */
const char *bb_rep_key_counterfactual(const struct bb_rep *R, size_t i, char *buf, size_t n)
{
    const struct bb_result_row *r = ROW(i);
    const char *key;
    if (key_decided(R, i, &key))
        return key;
    if (strchr(r->group, '=') || strstr(r->group, " vs ") ||
        !(!strcmp(r->metric, "max_abs_score_gap") ||
          !strcmp(r->metric, "demographic_parity_difference") ||
          !strcmp(r->metric, "equalized_odds_difference")))
        return NULL;
    snprintf(buf, n, "%s (%s)", r->metric[0] == 'm' ? "max |gap|" : r->metric[0] == 'd'
             ? "DP difference" : "EO difference", r->group);
    return buf;
}

static const char *compare_key(const struct bb_rep *R, const struct bb_report_task_view *v,
                               size_t i, char *buf, size_t n)
{
    return (v && v->compare_key ? v->compare_key : key_default)(R, i, buf, n);
}

/* Is the cluster of row i named by its association test? */
static bool test_named(const struct bb_rep *R, const struct bb_report_task_view *v, size_t i)
{
    return v && v->test_names && !strcmp(ROW(i)->metric, "effect_size");
}

/* One comparison chart per task: clusters (metrics, tests or latency grid
 * cells) x models, with 95% CIs. */
static enum bb_status compare_charts(struct bb_rep *R, struct bb_error *err)
{
    size_t ns = R->n_models < 8 ? R->n_models : 8;
    for (size_t t = 0; t < R->n_tasks; t++) {
        const struct bb_report_task_view *vw = bb_rep_task_view(R, R->tasks[t]);
        const char *cl[16];
        char own[16][300], kb[300];
        double v[16 * 8], lo[16 * 8], hi[16 * 8];
        size_t k = 0;
        for (size_t i = 0; i < R->res->n && k < 16; i++) {
            const char *key = strcmp(ROW(i)->task, R->tasks[t]) ? NULL
                              : compare_key(R, vw, i, kb, sizeof kb);
            bool seen = false;
            for (size_t j = 0; key && j < k && !seen; j++)
                seen = !strcmp(cl[j], key);
            if (key && !seen) {
                if (test_named(R, vw, i))
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
                              : compare_key(R, vw, i, kb, sizeof kb);
            char pk[300];
            if (key && test_named(R, vw, i))
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
                 vw && vw->compare_note ? vw->compare_note : " (95% CI)");
        const char *ylabel = vw && vw->compare_ylabel ? vw->compare_ylabel
                                                      : "value (units: section 4)";
        enum bb_status st =
            (vw && vw->compare_log ? bb_plot_chart_clusters_log : bb_plot_chart_clusters)(
                &R->plot, name, title, ylabel, k, cl, ns, R->models, v, lo, hi, err);
        if (st)
            return st;
        bb_rep_chart_ref(R, name, title);
    }
    return BB_OK;
}

/* ---- section 7: which model and why ----------------------------------------------- */

enum { CLS_ACC, CLS_BIAS, CLS_TIME };

static int col_class(const struct column *c)
{
    return c->what == BB_CELL_METRIC ? CLS_ACC : c->what <= BB_CELL_MIN_IR ? CLS_BIAS : CLS_TIME;
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
/* One comparison of the best model b against model m in column c, appended to out. */
static void one_comparison(struct bb_rep *R, const struct column *c, size_t b, size_t m,
                           const double *v, const double *lo, const double *hi, char *out,
                           size_t n)
{
    size_t k = strlen(out), ib = b, im = m;
    char sb[160], sm[160], what[700];
    const double xb = v[ib], xm = v[im];
    if (col_class(c) == CLS_TIME) {
        double ratio = c->what == BB_CELL_P50 ? xm / xb : xb / xm;
        snprintf(what, sizeof what, "%s %s vs %s %s: %s %s %.2fx %s (timing on this machine: no "
                 "CI, not tested)", R->models[b],
                 bb_rep_num(R, xb), R->models[m], bb_rep_num(R, xm), R->models[b],
                 c->what == BB_CELL_P50 ? "is" : "has", isfinite(ratio) ? ratio : NAN,
                 c->what == BB_CELL_P50 ? "faster at p50" : "the throughput");
    } else if (c->what == BB_CELL_MEAN_ABS_D) {
        struct assoc_cmp a = assoc_compare(R, c->task, R->models[b], R->models[m]);
        snprintf(what, sizeof what, "%s %s vs %s %s (lower is better); per test, %s has the "
                 "smaller |d| in %zu of %zu; the |d| CIs are apart in %zu test(s) in %s's favour "
                 "and %zu in %s's", R->models[b], bb_rep_num(R, xb), R->models[m],
                 bb_rep_num(R, xm), R->models[b], a.a_smaller, a.tests, a.a_beyond,
                 R->models[b], a.b_beyond, R->models[m]);
    } else {
        int j = judge(c->dir, xb, lo[ib], hi[ib], xm, lo[im], hi[im]);
        snprintf(what, sizeof what, "%s %s vs %s %s (%s%s): %s", R->models[b],
                 bb_rep_val_ci(R, xb, lo[ib], hi[ib], sb, sizeof sb), R->models[m],
                 bb_rep_val_ci(R, xm, lo[im], hi[im], sm, sizeof sm), xb - xm >= 0 ? "+" : "",
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
        if (c->what == BB_CELL_MEAN_ABS_D) {
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
        if (cols[c].what == BB_CELL_P50)
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
        if (cols[c].what == BB_CELL_P50) {
            bool f0 = v[0] <= v[1];
            snprintf(item, sizeof item, "%s is %.2fx faster at p50 (%s)", f0 ? m0 : m1,
                     f0 ? v[1] / v[0] : v[0] / v[1], cols[c].task);
            append(timing, N, item);
        } else if (cols[c].what == BB_CELL_MEAN_ABS_D) {
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
        bb_doc_kv(&R->doc, cols[c].title, "%s%s%s%s",
                  strchr(who, ',') ? "tied at best: " : "best: ", who,
                  line[0] ? "; " : " (the only model with this figure)", line);
    }
    bb_doc_end_list(&R->doc);
    if (nm == 2)
        in_short(R, cols, nc, val, lo, hi);
    recommend(R, cols, nc, val, lo, hi);
    free(line);
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
    if (nm > 1 && R->res->n && !(st = bb_rep_side_by_side(R, err)) &&
        !(st = compare_charts(R, err)))
        st = bb_rep_section_paired(R, err);
    bool any = false;
    for (size_t t = 0; t < R->n_tasks && !st; t++) {
        const struct bb_report_task_view *v = bb_rep_task_view(R, R->tasks[t]);
        if (!v || v->grid == BB_REP_GRID_NONE)
            continue;
        if (!any)
            bb_doc_h(&R->doc, 3, "at-a-glance", "Significance and rates per model");
        any = true;
        st = bb_rep_grid_chart(R, R->tasks[t], v->grid == BB_REP_GRID_RATE, err);
    }
    return st;
}
