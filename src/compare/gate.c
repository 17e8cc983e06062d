/* gate.c: evaluate CI gates (suite `gates:`, or the documented default) on a
 * candidate run against a baseline, and write TAP version 13 and JUnit XML.
 *
 * Expansion: a gate applies to every candidate row with its metric (and its
 * task and model when given); where a task/model/dataset has a group `all`
 * row for the metric, only that row is gated (not each subgroup). A gate
 * that matches no row is a failing point (a typo must not pass silently).
 * Worsening against the baseline uses the row's direction: higher is better
 * -> baseline - candidate; lower is better -> candidate - baseline; no
 * direction (signed effect sizes, ideal 0) -> |candidate| - |baseline|;
 * the metric registry's ideal (pct_stereotype and ss: 50) ->
 * |candidate - ideal| - |baseline - ideal|.
 * `relative` divides it by |baseline|. `significant` needs the paired test's
 * Benjamini-Hochberg-adjusted p (over the gate points) below the suite's
 * alpha, or, without per-item data, non-overlapping 95% CIs; metrics with
 * no test possible are decided by the threshold alone (except under the
 * default gate, where an untestable worsening passes with a note: it cannot
 * be shown significant).
 *
 * Timing rows do not flake: a timing median carries an order-statistic CI,
 * so `significant` compares the two runs' CIs (a worsening whose CIs overlap
 * passes); the slowdown the machine explains is taken out: a candidate cell
 * that waited longer for a CPU (latency_contention, c = cand / base when > 1)
 * or ran on a slower CPU (machine_probe_ms, f = cand / base when > 1) may be
 * f c times the threshold slower; and every timing gate allows at least the
 * noise floor measured in the runs themselves (latency_noise_rel of the task
 * and model: each grid cell timed again at the end of the run; the two runs'
 * drift factors compound: (1 + n_base)(1 + n_cand) f c - 1). */
#include "gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileout.h"
#include "metrics/table.h"

/* The default gate: any significant worsening of a quality metric. */
static const struct bb_suite_gate DEFAULT_GATE = {
    .metric = "*", .has_max_regression = true, .max_regression = 0, .significant = true};

static bool matches(const struct bb_suite_gate *g, const struct bb_result_row *r)
{
    if (r->perturbation && *r->perturbation) /* robustness rows: not gated (yet) */
        return false;
    if (g == &DEFAULT_GATE)
        return r->kind == BB_KIND_QUALITY && r->higher_is_better != BB_DIR_NONE;
    if (strcmp(g->metric, r->metric))
        return false;
    if (g->task && strcmp(g->task->id, r->task))
        return false;
    return !g->model || !strcmp(g->model->id, r->model);
}

/* Keep a subgroup row only when its task/model/dataset has no `all` row. */
static bool keep_row(const struct bb_suite_gate *g, const struct bb_results *res, size_t i)
{
    const struct bb_result_row *r = &res->rows[i];
    if (!strcmp(r->group, "all"))
        return true;
    for (size_t j = 0; j < res->n; j++) {
        const struct bb_result_row *x = &res->rows[j];
        if (matches(g, x) && !strcmp(x->group, "all") && !strcmp(x->metric, r->metric) &&
            !strcmp(x->task, r->task) && !strcmp(x->model, r->model) &&
            !strcmp(x->dataset, r->dataset))
            return false;
    }
    return true;
}

static void fmt_threshold(const struct bb_suite_gate *g, double alpha, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    if (g == &DEFAULT_GATE) {
        snprintf(buf, n, "default gate: no statistically significant worsening (alpha %g, BH)",
                 alpha);
        return;
    }
    if (g->has_min && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%smin %g", k ? ", " : "", g->min);
    if (g->has_max && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%smax %g", k ? ", " : "", g->max);
    if (g->has_max_regression && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%smax_regression %g%s%s", k ? ", " : "",
                              g->max_regression, g->relative ? " (relative)" : " (absolute)",
                              g->significant ? ", only if significant" : "");
}

static double worsening(const struct bb_result_row *b, const struct bb_result_row *c, bool relative)
{
    double w;
    if (c->higher_is_better == BB_DIR_HIGHER)
        w = b->value - c->value;
    else if (c->higher_is_better == BB_DIR_LOWER)
        w = c->value - b->value;
    else { /* distance from the ideal (the metric registry's; 0 when it has none) */
        double ideal = bb_metric_ideal(c->metric);
        w = fabs(c->value - ideal) - fabs(b->value - ideal);
    }
    if (!relative)
        return w;
    if (b->value == 0)
        return w > 0 ? INFINITY : 0;
    return w / fabs(b->value);
}

static void name_point(struct bb_gate_point *p, const struct bb_suite_gate *g)
{
    const struct bb_result_row *r = p->cand;
    char buf[512];
    if (!r)
        snprintf(buf, sizeof buf, "gate %d: %s%s%s%s%s: no such row in the candidate", p->gate + 1,
                 g->metric, g->task ? " task " : "", g->task ? g->task->id : "",
                 g->model ? " model " : "", g->model ? g->model->id : "");
    else
        snprintf(buf, sizeof buf, "%s%.0d: %s %s/%s%s%s [%s]", p->gate < 0 ? "default" : "gate ",
                 p->gate + 1, r->metric, r->task, r->model, *r->dataset ? " " : "", r->dataset,
                 r->group);
    /* '#' would start a TAP directive; newlines would end the line */
    for (char *s = buf; *s; s++)
        if (*s == '#' || *s == '\n' || *s == '\r')
            *s = ' ';
    snprintf(p->name, sizeof p->name, "%s", buf);
}

/* Bounds and the threshold (significance is settled after BH). */
static void check_bounds(struct bb_gate_point *p, const struct bb_suite_gate *g)
{
    const struct bb_result_row *c = p->cand;
    p->pass = true;
    if (g->has_min && !(c->value >= g->min)) {
        p->pass = false;
        snprintf(p->message, sizeof p->message, "candidate %.6g is below the minimum %g", c->value,
                 g->min);
    } else if (g->has_max && !(c->value <= g->max)) {
        p->pass = false;
        snprintf(p->message, sizeof p->message, "candidate %.6g is above the maximum %g", c->value,
                 g->max);
    } else if (g->has_min || g->has_max) {
        snprintf(p->message, sizeof p->message, "candidate %.6g is within the bounds", c->value);
    }
}

/* Why a gate matched nothing: its task did not run, or the metric/model is
 * not in results.csv (a typo must not pass). */
static void no_row_message(struct bb_gate_point *p, const struct bb_rundata *cand)
{
    const char *status = NULL;
    json_t *tasks = cand->manifest ? json_object_get(cand->manifest, "tasks") : NULL, *t;
    size_t i;
    json_array_foreach(tasks, i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        if (p->g->task && id && !strcmp(id, p->g->task->id))
            status = json_string_value(json_object_get(t, "status"));
    }
    if (p->g->task && cand->manifest && !status)
        snprintf(p->message, sizeof p->message,
                 "task '%s' is not part of the candidate run (was it run with --task?)",
                 p->g->task->id);
    else if (status && strcmp(status, "ran"))
        snprintf(p->message, sizeof p->message,
                 "task '%s' did not run in the candidate (status '%s'; see the manifest's "
                 "'skipped' list)", p->g->task->id, status);
    else
        snprintf(p->message, sizeof p->message,
                 "the gate matches no row of the candidate's results.csv (check metric, task "
                 "and model)");
}

/* The largest value of metric in res on row's task and model (any model with
 * ignore_model), and with cell also on row's dataset and group, else NAN:
 * a run's latency_noise_rel and machine_probe_ms, or a grid cell's own
 * latency_contention, taken while it was timed. */
static double run_value(const struct bb_results *res, const struct bb_result_row *row,
                        bool ignore_model, bool cell, const char *metric)
{
    double v = NAN;
    for (size_t i = 0; i < res->n; i++) {
        const struct bb_result_row *x = &res->rows[i];
        if (strcmp(x->metric, metric) || strcmp(x->task, row->task) ||
            (!ignore_model && strcmp(x->model, row->model)) || !isfinite(x->value) ||
            (cell && (strcmp(x->group, row->group) || strcmp(x->dataset, row->dataset))))
            continue;
        if (isnan(v) || x->value > v)
            v = x->value;
    }
    return v;
}

static enum bb_status add_point(struct bb_gate_report *r, int gi, const struct bb_suite_gate *g,
                                struct bb_rundata *base, struct bb_rundata *cand, long ci,
                                const struct bb_cmp_opts *o, struct bb_error *err)
{
    struct bb_gate_point *v = realloc(r->v, (r->n + 1) * sizeof *v);
    if (!v)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    r->v = v;
    struct bb_gate_point *p = &v[r->n++];
    memset(p, 0, sizeof *p);
    p->gate = gi, p->g = g, p->regression = NAN, p->pass = true, p->noise_floor = NAN;
    p->machine_factor = p->contention_factor = p->regression_adjusted = NAN;
    p->cand = ci >= 0 ? &cand->results.rows[ci] : NULL;
    name_point(p, g);
    fmt_threshold(g, r->alpha, p->threshold, sizeof p->threshold);
    if (!p->cand) {
        p->pass = false;
        no_row_message(p, cand);
        return BB_OK;
    }
    check_bounds(p, g);
    long bi = bb_compare_find(&base->results, p->cand, o->ignore_model, NULL);
    if (bi < 0) {
        if (g->has_max_regression && p->pass) {
            p->pass = false;
            snprintf(p->message, sizeof p->message, "no matching row in the baseline, so the "
                     "regression cannot be checked");
        }
        return BB_OK;
    }
    p->base = &base->results.rows[bi];
    p->has_cmp = true;
    p->regression = worsening(p->base, p->cand, g->relative);
    if (p->cand->kind == BB_KIND_TIMING) {
        double nc = run_value(&cand->results, p->cand, false, false, "latency_noise_rel");
        double nb = run_value(&base->results, p->base, o->ignore_model, false, "latency_noise_rel");
        /* each run's medians may be off by its own drift, in opposite
         * directions: the ratio of the two is uncertain by the product */
        p->noise_floor = isnan(nc) ? nb : isnan(nb) ? nc : (1 + nc) * (1 + nb) - 1;
        /* the machine's share of a difference: the candidate's CPU f times as
         * slow (machine_probe_ms, a fixed workload less its waits), and its
         * cell lengthened c times as much by waiting for a CPU
         * (latency_contention, measured per batch while the cell was timed);
         * decide_timing compares the two runs at equal f and c */
        double pc = run_value(&cand->results, p->cand, false, false, "machine_probe_ms");
        double pb = run_value(&base->results, p->base, o->ignore_model, false, "machine_probe_ms");
        if (isfinite(p->noise_floor) && pc > 0 && pb > 0)
            p->machine_factor = pc / pb;
        double cc = run_value(&cand->results, p->cand, false, true, "latency_contention");
        double cb = run_value(&base->results, p->base, o->ignore_model, true, "latency_contention");
        if (isfinite(p->noise_floor) && cc > 0 && cb > 0)
            p->contention_factor = cc / cb;
    }
    return bb_compare_pair(base, p->base, cand, p->cand, o, &p->cmp, err);
}

/* A timing row whose runs measured their noise: the candidate is compared
 * with the baseline as if it had run on the baseline's CPU and contention
 * (its value, and CI, divided by f c when lower is better, times f c when
 * higher is better), then against the threshold, the runs' noise floor and,
 * under `significant`, the non-overlap of the CIs. */
static void decide_timing(struct bb_gate_point *p)
{
    const struct bb_suite_gate *g = p->g;
    const struct bb_result_row *b = p->base;
    struct bb_result_row c = *p->cand;
    double mf = isfinite(p->machine_factor) ? p->machine_factor : 1;
    double cf = isfinite(p->contention_factor) ? p->contention_factor : 1;
    double f = c.higher_is_better == BB_DIR_NONE ? 1 : mf * cf;
    double k = c.higher_is_better == BB_DIR_HIGHER ? f : 1 / f;
    c.value *= k, c.ci_low *= k, c.ci_high *= k;
    double w = worsening(b, &c, g->relative);
    double rel = g->relative ? w : b->value != 0 ? w / fabs(b->value) : w > 0 ? INFINITY : 0;
    const char *what = g->relative ? "relative worsening" : "worsening";
    char why[256] = "", adj[160] = "";
    p->regression_adjusted = w;
    if (fabs(f - 1) > 0.005) {
        int n = snprintf(why, sizeof why, " (the candidate's CPU %.3gx as slow: machine_probe_ms",
                         mf);
        if (n > 0 && (size_t)n < sizeof why && isfinite(p->contention_factor))
            snprintf(why + n, sizeof why - (size_t)n, "; waiting for a CPU lengthening its cell "
                     "%.3gx as much: latency_contention)", cf);
        else if (n > 0 && (size_t)n < sizeof why)
            snprintf(why + n, sizeof why - (size_t)n, ")");
        snprintf(adj, sizeof adj, ", %.6g at the baseline's CPU speed and contention (x%.3g)", w,
                 1 / f);
    }
    if (!(w > g->max_regression + 1e-12)) {
        snprintf(p->message, sizeof p->message, "%s %.6g%s is within %g%s", what, p->regression,
                 adj, g->max_regression, why);
        return;
    }
    if (rel <= p->noise_floor + 1e-12) {
        snprintf(p->message, sizeof p->message,
                 "%s %.6g%s exceeds %g but is within the noise floor %.3g measured in these "
                 "runs (grid cells timed again within each run: latency_noise_rel)%s", what,
                 p->regression, adj, g->max_regression, p->noise_floor, why);
        return;
    }
    bool cis = isfinite(c.ci_low) && isfinite(c.ci_high) && isfinite(b->ci_low) &&
               isfinite(b->ci_high);
    if (g->significant && cis &&
        (c.higher_is_better == BB_DIR_HIGHER ? !(c.ci_high < b->ci_low)
                                             : !(c.ci_low > b->ci_high))) {
        snprintf(p->message, sizeof p->message,
                 "%s %.6g%s exceeds %g but is not statistically significant (the 95%% CIs "
                 "overlap)%s", what, p->regression, adj, g->max_regression, why);
        return;
    }
    p->pass = false;
    snprintf(p->message, sizeof p->message,
             "%s %.6g%s exceeds %g%s, beyond the runs' noise floor %.3g (latency_noise_rel)%s",
             what, p->regression, adj, g->max_regression,
             !g->significant ? ""
             : cis           ? " and the 95% CIs do not overlap"
                             : " (no CIs: the threshold decides)",
             p->noise_floor, why);
}

/* After BH: decide each max_regression. */
static void decide(struct bb_gate_point *p, double alpha)
{
    const struct bb_suite_gate *g = p->g;
    if (!p->pass || !g->has_max_regression || !p->has_cmp)
        return;
    bool timing = p->cand->kind == BB_KIND_TIMING;
    if (timing && isfinite(p->noise_floor)) {
        decide_timing(p);
        return;
    }
    bool exceeds = p->regression > g->max_regression + 1e-12;
    /* timing rows are testable once their medians carry CIs (CI non-overlap) */
    bool testable = p->cmp.method != BB_CMP_NONE &&
                    (!timing || p->cmp.method == BB_CMP_CI_OVERLAP);
    const char *what = g->relative ? "relative worsening" : "worsening";
    if (!exceeds) {
        snprintf(p->message, sizeof p->message, "%s %.6g is within %g", what, p->regression,
                 g->max_regression);
        return;
    }
    if (g == &DEFAULT_GATE && !testable) {
        snprintf(p->message, sizeof p->message,
                 "%s %.6g, not tested: no per-item data and no CIs, so no significant "
                 "worsening can be shown", what, p->regression);
        return;
    }
    if (g->significant && testable && !p->cmp.significant) {
        char v[160]; /* compare's verdict: CI contains 0, not after BH, or cannot be significant */
        snprintf(p->message, sizeof p->message,
                 "%s %.6g exceeds %g but is not statistically significant (%s)", what,
                 p->regression, g->max_regression,
                 p->cmp.method == BB_CMP_CI_OVERLAP
                     ? "the 95% CIs overlap"
                     : bb_cmp_verdict(&p->cmp, alpha, v, sizeof v));
        return;
    }
    p->pass = false;
    snprintf(p->message, sizeof p->message, "%s %.6g exceeds %g%s", what, p->regression,
             g->max_regression,
             !g->significant ? ""
             : !testable ? " (no significance test possible for this metric: the threshold decides)"
             : p->cmp.method == BB_CMP_CI_OVERLAP ? " and the 95% CIs do not overlap"
                                                  : " and is statistically significant");
}

static enum bb_status expand_gate(struct bb_gate_report *r, int gi, const struct bb_suite_gate *g,
                                  struct bb_rundata *base, struct bb_rundata *cand,
                                  const struct bb_cmp_opts *o, struct bb_error *err)
{
    const struct bb_results *res = &cand->results;
    size_t before = r->n;
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < res->n && !st; i++)
        if (matches(g, &res->rows[i]) && keep_row(g, res, i))
            st = add_point(r, gi, g, base, cand, (long)i, o, err);
    if (!st && r->n == before && g != &DEFAULT_GATE)
        st = add_point(r, gi, g, base, cand, -1, o, err);
    return st;
}

static enum bb_status adjust(struct bb_gate_report *r, struct bb_error *err)
{
    struct bb_cmp *c = malloc((r->n ? r->n : 1) * sizeof *c);
    size_t *ix = malloc((r->n ? r->n : 1) * sizeof *ix), m = 0;
    enum bb_status st = c && ix ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n && !st; i++)
        if (r->v[i].has_cmp && r->v[i].cand->kind != BB_KIND_TIMING)
            c[m] = r->v[i].cmp, ix[m++] = i; /* timing: CI non-overlap, no p to adjust */
    if (!st)
        st = bb_compare_adjust(c, m, r->alpha, err);
    for (size_t k = 0; k < m && !st; k++) {
        struct bb_cmp *d = &r->v[ix[k]].cmp;
        d->p_adj = c[k].p_adj;
        if (isfinite(d->p_value))
            d->significant = c[k].significant;
    }
    free(c);
    free(ix);
    return st;
}

static bool same_models(const struct bb_rundata *a, const struct bb_rundata *b)
{
    const char *ma[64], *mb[64];
    size_t na = bb_rundata_models(a, ma, 64), nb = bb_rundata_models(b, mb, 64);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        bool found = false;
        for (size_t j = 0; j < nb && !found; j++)
            found = !strcmp(ma[i], mb[j]);
        if (!found)
            return false;
    }
    return true;
}

enum bb_status bb_gate_evaluate(const struct bb_suite *s, struct bb_rundata *base,
                                struct bb_rundata *cand, const struct bb_cmp_opts *opt,
                                struct bb_gate_report *out, struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    struct bb_cmp_opts o = *opt;
    out->alpha = s->defaults.alpha > 0 && s->defaults.alpha < 1 ? s->defaults.alpha : 0.05;
    o.alpha = out->alpha; /* the tests' intervals are at 1 - alpha, as their verdicts */
    out->defaults = s->n_gates == 0;
    out->bare_baseline = base->dir == NULL;
    snprintf(out->suite, sizeof out->suite, "%s", s->name);
    snprintf(out->baseline, sizeof out->baseline, "%s", base->path);
    snprintf(out->candidate, sizeof out->candidate, "%s", cand->path);
    /* a baseline of one model and a candidate of other models (new models
     * against the deployed one): every candidate model is checked against
     * the baseline's model */
    if (!same_models(base, cand)) {
        const char *m[2];
        if (bb_rundata_models(base, m, 2) == 1)
            o.ignore_model = true;
    }
    struct bb_error w = {0};
    if (bb_compare_check_same(base, cand, &w))
        snprintf(out->warning, sizeof out->warning, "%s", w.msg);
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < s->n_gates && !st; i++)
        st = expand_gate(out, (int)i, &s->gates[i], base, cand, &o, err);
    if (!st && out->defaults)
        st = expand_gate(out, -1, &DEFAULT_GATE, base, cand, &o, err);
    if (!st)
        st = adjust(out, err);
    for (size_t i = 0; i < out->n && !st; i++) {
        decide(&out->v[i], out->alpha);
        out->n_failed += !out->v[i].pass;
    }
    if (st)
        bb_gate_report_free(out);
    return st;
}

void bb_gate_report_free(struct bb_gate_report *r)
{
    if (!r)
        return;
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* ---- diagnostics (YAML for TAP; the same text for JUnit) --------------------------- */

static void yaml_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", fp);
        else if (c < 0x20)
            fprintf(fp, "\\x%02x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void yaml_num(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, "%.6g", v);
    else
        fputs("null", fp);
}

static void yaml_kv(FILE *fp, const char *ind, const char *k, const char *v)
{
    fprintf(fp, "%s%s: ", ind, k);
    if (v)
        yaml_str(fp, v);
    else
        fputs("null", fp);
    fputc('\n', fp);
}

static void yaml_kn(FILE *fp, const char *ind, const char *k, double v)
{
    fprintf(fp, "%s%s: ", ind, k);
    yaml_num(fp, v);
    fputc('\n', fp);
}

static void method_text(const struct bb_gate_point *p, char *buf, size_t n)
{
    if (!p->has_cmp)
        snprintf(buf, n, "%s", p->cand ? "absolute bounds only (no baseline row)" : "none");
    else
        snprintf(buf, n, "%s", bb_cmp_method_name(p->cmp.method));
}

static void write_diag(const struct bb_gate_report *r, const struct bb_gate_point *p, FILE *fp,
                       const char *ind)
{
    const struct bb_result_row *c = p->cand;
    char gate[600] = "default", method[256];
    if (p->gate >= 0) {
        char pos[512];
        bb_suite_pos_str(p->g->pos, pos, sizeof pos);
        snprintf(gate, sizeof gate, "%d (%s)", p->gate + 1, pos);
    }
    method_text(p, method, sizeof method);
    yaml_kv(fp, ind, "gate", gate);
    yaml_kv(fp, ind, "metric", c ? c->metric : p->g->metric);
    yaml_kv(fp, ind, "task", c ? c->task : p->g->task ? p->g->task->id : NULL);
    yaml_kv(fp, ind, "dataset", c ? c->dataset : NULL);
    yaml_kv(fp, ind, "model", c ? c->model : p->g->model ? p->g->model->id : NULL);
    yaml_kv(fp, ind, "group", c ? c->group : NULL);
    yaml_kv(fp, ind, "kind", c ? bb_result_kind_name(c->kind) : NULL);
    yaml_kv(fp, ind, "higher_is_better",
            !c ? NULL : c->higher_is_better == BB_DIR_HIGHER ? "true"
                      : c->higher_is_better == BB_DIR_LOWER ? "false" : "none");
    yaml_kn(fp, ind, "baseline", p->base ? p->base->value : NAN);
    yaml_kn(fp, ind, "candidate", c ? c->value : NAN);
    yaml_kn(fp, ind, "delta", p->has_cmp ? p->cmp.diff : NAN);
    fprintf(fp, "%sci: ", ind);
    if (p->has_cmp && isfinite(p->cmp.ci_low)) {
        fputc('[', fp);
        yaml_num(fp, p->cmp.ci_low);
        fputs(", ", fp);
        yaml_num(fp, p->cmp.ci_high);
        fputs("]\n", fp);
    } else {
        fputs("null\n", fp);
    }
    yaml_kn(fp, ind, "p_value", p->has_cmp ? p->cmp.p_value : NAN);
    yaml_kn(fp, ind, "p_adjusted", p->has_cmp ? p->cmp.p_adj : NAN);
    yaml_kn(fp, ind, "regression", p->regression);
    if (isfinite(p->noise_floor))
        yaml_kn(fp, ind, "noise_floor", p->noise_floor);
    if (isfinite(p->machine_factor))
        yaml_kn(fp, ind, "machine_factor", p->machine_factor);
    if (isfinite(p->contention_factor))
        yaml_kn(fp, ind, "contention_factor", p->contention_factor);
    if (isfinite(p->regression_adjusted))
        yaml_kn(fp, ind, "regression_adjusted", p->regression_adjusted);
    yaml_kv(fp, ind, "threshold", p->threshold);
    yaml_kv(fp, ind, "method", method);
    yaml_kv(fp, ind, "method_detail", p->has_cmp ? p->cmp.note : NULL);
    yaml_kv(fp, ind, "message", p->message);
    (void)r;
}

void bb_gate_write_tap(const struct bb_gate_report *r, FILE *fp)
{
    if (r->n)
        fprintf(fp, "TAP version 13\n1..%zu\n", r->n);
    else
        fprintf(fp, "TAP version 13\n1..0 # SKIP no gate applies to the candidate's rows\n");
    fprintf(fp, "# biasbench gate: suite %s, baseline %s, candidate %s\n", r->suite, r->baseline,
            r->candidate);
    if (r->defaults)
        fputs("# the suite declares no gates: applying the default gate (fail on any "
              "statistically significant worsening of a quality metric)\n", fp);
    if (r->bare_baseline)
        fputs("# the baseline is a bare results.csv without per-item data: significance is "
              "judged by non-overlap of the 95% CIs\n", fp);
    if (r->warning[0]) {
        fputs("# warning: ", fp);
        for (const char *s = r->warning; *s; s++)
            fputc(*s == '\n' ? ' ' : *s, fp);
        fputc('\n', fp);
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct bb_gate_point *p = &r->v[i];
        fprintf(fp, "%s %zu - %s\n", p->pass ? "ok" : "not ok", i + 1, p->name);
        fputs("  ---\n", fp);
        write_diag(r, p, fp, "  ");
        fputs("  ...\n", fp);
    }
    fprintf(fp, "# %zu passed, %zu failed\n", r->n - r->n_failed, r->n_failed);
}

/* ---- JUnit ---------------------------------------------------------------------------- */

static void xml_str(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&apos;", fp); break;
        default:
            if (c >= 0x20 || c == '\n' || c == '\t')
                fputc(c, fp);
        }
    }
}

/* The YAML diagnostic of a point as a string (for the XML body). */
static char *diag_text(const struct bb_gate_report *r, const struct bb_gate_point *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    write_diag(r, p, m, "");
    fclose(m);
    return buf;
}

enum bb_status bb_gate_write_junit(const struct bb_gate_report *r, const char *path,
                                   struct bb_error *err)
{
    struct bb_fileout fo;
    enum bb_status st = bb_fileout_open(&fo, path, err);
    if (st)
        return st;
    FILE *fp = fo.fp;
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<testsuites name=\"biasbench gate\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n"
                "  <testsuite name=\"biasbench gate: ",
            r->n, r->n_failed);
    xml_str(fp, r->suite);
    fprintf(fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", r->n,
            r->n_failed);
    for (size_t i = 0; i < r->n && !st; i++) {
        const struct bb_gate_point *p = &r->v[i];
        char *d = diag_text(r, p);
        if (!d) {
            st = bb_fail(err, BB_E_NOMEM, "out of memory writing %s", path);
            break;
        }
        fputs("    <testcase classname=\"biasbench.gate.", fp);
        xml_str(fp, p->cand ? p->cand->task : "suite");
        fputs("\" name=\"", fp);
        xml_str(fp, p->name);
        fputs("\">\n", fp);
        if (!p->pass) {
            fputs("      <failure type=\"gate\" message=\"", fp);
            xml_str(fp, p->message);
            fputs("\">", fp);
            xml_str(fp, d);
            fputs("</failure>\n", fp);
        } else {
            fputs("      <system-out>", fp);
            xml_str(fp, d);
            fputs("</system-out>\n", fp);
        }
        fputs("    </testcase>\n", fp);
        free(d);
    }
    fputs("  </testsuite>\n</testsuites>\n", fp);
    if (!st)
        return bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}
