/* compare_write.c: a comparison (compare.c) as CSV, Markdown or HTML: the
 * verdict beside the interval of the test that reached it, p-values at their
 * resolution floor printed as "<= floor". */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics/table.h"

static void num(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, "%.6g", v);
}

static const char *dir_name(enum bb_direction d)
{
    return d == BB_DIR_HIGHER ? "higher" : d == BB_DIR_LOWER ? "lower" : "";
}

/* p as "%.2g" without "e-0" noise: 1e-4, 0.002, 0.0625. */
static void short_num(double p, char *buf, size_t n)
{
    if (!(p > 1e-300)) /* 0 (an exact p that underflowed), or below: no exponent to take */
        snprintf(buf, n, "%s", p > 0 || p == 0 ? "< 1e-300" : "-");
    else if (p >= 1e-3)
        snprintf(buf, n, "%.3g", p);
    else {
        int e = (int)floor(log10(p));
        double m = p / pow(10, e);
        if (m >= 9.95)
            m = 1, e++;
        snprintf(buf, n, m < 1.05 ? "%.0fe%d" : "%.1fe%d", m, e);
    }
}

const char *bb_cmp_p_text(double p, double floor_p, char *buf, size_t n)
{
    char s[32];
    if (!isfinite(p))
        snprintf(buf, n, "-");
    else if (isfinite(floor_p) && p <= floor_p * (1 + 1e-9)) {
        short_num(floor_p, s, sizeof s);
        snprintf(buf, n, "≤ %s", s); /* at the test's resolution: "≤ 1e-4" */
    } else {
        short_num(p, s, sizeof s);
        snprintf(buf, n, "%s", s);
    }
    return buf;
}

const char *bb_cmp_verdict(const struct bb_cmp *c, double alpha, char *buf, size_t n)
{
    enum bb_direction d = c->a->higher_is_better;
    const char *dir = d == BB_DIR_NONE ? "differs"
                      : (c->diff > 0) == (d == BB_DIR_HIGHER) ? "B better" : "B worse";
    char f[32], pa[32];
    if (c->method == BB_CMP_NONE)
        snprintf(buf, n, "not tested");
    else if (c->method == BB_CMP_CI_OVERLAP)
        snprintf(buf, n, "%s (CIs %s)", c->significant ? dir : "no significant change",
                 c->significant ? "apart" : "overlap");
    else if (c->cannot_reach)
        snprintf(buf, n, "cannot be significant (n=%ld%s, min p %s)", c->n_floor,
                 c->method == BB_CMP_MCNEMAR ? " discordant" : "",
                 (short_num(c->p_floor, f, sizeof f), f));
    else if (!c->ci_excludes_0)
        snprintf(buf, n, "no significant change");
    else if (!c->significant)
        snprintf(buf, n, "not significant after BH (p_BH %s >= %g)",
                 bb_cmp_p_text(c->p_adj, NAN, pa, sizeof pa), alpha);
    else
        snprintf(buf, n, "%s", dir);
    return buf;
}

static void csv_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void html_str(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

/* Markdown cell text: '|' escaped, newlines to spaces. */
static void md_str(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", fp);
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
    }
}

static void model_cell(const struct bb_cmp *c, char *buf, size_t n)
{
    if (!strcmp(c->a->model, c->b->model))
        snprintf(buf, n, "%s", c->a->model);
    else
        snprintf(buf, n, "%s vs %s", c->a->model, c->b->model);
}

static void write_csv(const struct bb_comparison *c, FILE *fp)
{
    fputs("task,dataset,model_a,model_b,variant,group,metric,kind,higher_is_better,value_a,"
          "value_b,diff,diff_ci_low,diff_ci_high,p_value,p_bh,significant,method,n_paired,note,"
          "perturbation,p_floor,verdict\n",
          fp);
    for (size_t i = 0; i < c->n; i++) {
        const struct bb_cmp *x = &c->v[i];
        const char *s[] = {x->a->task, x->a->dataset, x->a->model, x->b->model, x->a->variant,
                           x->a->group, x->a->metric, bb_result_kind_name(x->a->kind),
                           dir_name(x->a->higher_is_better)};
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            csv_str(fp, s[k]), fputc(',', fp);
        double v[] = {x->a->value, x->b->value, x->diff, x->ci_low,
                      x->ci_high,  x->p_value,  x->p_adj};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            num(fp, v[k]), fputc(',', fp);
        fprintf(fp, "%s,", x->method == BB_CMP_NONE ? "" : x->significant ? "true" : "false");
        csv_str(fp, bb_cmp_method_name(x->method));
        fprintf(fp, ",%ld,", x->n_paired);
        csv_str(fp, x->note);
        fputc(',', fp);
        csv_str(fp, x->a->perturbation ? x->a->perturbation : "");
        fputc(',', fp);
        num(fp, x->p_floor);
        char vd[160];
        fputc(',', fp);
        csv_str(fp, bb_cmp_verdict(x, c->alpha, vd, sizeof vd));
        fputc('\n', fp);
    }
}

/* The metric cell: "spearman", or "spearman (typo)" for a robustness row. */
static const char *metric_cell(const struct bb_cmp *x, char *buf, size_t n)
{
    const char *p = x->a->perturbation;
    if (!p || !*p)
        return x->a->metric;
    snprintf(buf, n, "%s (%s)", x->a->metric, p);
    return buf;
}

static void ci_text(const struct bb_cmp *x, char *buf, size_t n)
{
    if (isfinite(x->ci_low) && isfinite(x->ci_high))
        snprintf(buf, n, "[%.4g, %.4g]", x->ci_low, x->ci_high);
    else
        snprintf(buf, n, "-");
}

/* A row's formatted cells: the model column, the CI, p and BH-adjusted p. */
struct row_cells {
    char model[256], ci[96], p[32], pa[32], verdict[160];
};

static void row_cells(const struct bb_cmp *x, double alpha, struct row_cells *r)
{
    bb_cmp_verdict(x, alpha, r->verdict, sizeof r->verdict);
    model_cell(x, r->model, sizeof r->model);
    ci_text(x, r->ci, sizeof r->ci);
    bb_cmp_p_text(x->p_value, x->p_floor, r->p, sizeof r->p);
    bb_cmp_p_text(x->p_adj, x->p_floor, r->pa, sizeof r->pa);
}

static void summary_lines(const struct bb_comparison *c, size_t *n_sig, size_t *n_overlap)
{
    *n_sig = *n_overlap = 0;
    for (size_t i = 0; i < c->n; i++) {
        *n_sig += c->v[i].significant;
        *n_overlap += c->v[i].method == BB_CMP_CI_OVERLAP;
    }
}

static const char method_text[] =
    "Differences are B - A. Every test here is two-sided, and the verdict comes from the same "
    "test as the interval beside it: accuracies by McNemar's exact binomial test with the "
    "Clopper-Pearson interval it inverts (the interval excludes 0 exactly when p < alpha); "
    "correlations (pairs resampled, both recomputed), means, macro-F1, per-class "
    "precision/recall/F1, counterfactual gaps (sets resampled) and WEAT/SEAT effect sizes (X, "
    "Y, A, B resampled once per replicate) by a paired bootstrap whose percentile interval "
    "decides (different when it excludes 0). A difference is called only when its test says so "
    "and it survives Benjamini-Hochberg across every metric tested here (p_BH < alpha). A test "
    "whose smallest possible p (McNemar: 2^(1-d) with d discordant pairs; bootstrap: 2/(1+B) "
    "and 2^(1-n) over n units) is not below alpha is flagged 'cannot be significant' instead "
    "of 'no significant change'; a p at that floor prints as '≤ floor'. Metrics without "
    "per-item data are judged by whether the two runs' own 95% CIs overlap (unpaired; no "
    "interval of the difference). A significant difference can still be too small to matter: "
    "read the CI";

static void write_md(const struct bb_comparison *c, const char *la, const char *lb, FILE *fp)
{
    size_t n_sig, n_ov;
    summary_lines(c, &n_sig, &n_ov);
    fputs("# biasbench compare\n\n- A: ", fp);
    md_str(fp, la);
    fputs("\n- B: ", fp);
    md_str(fp, lb);
    fprintf(fp,
            "\n- %zu metrics matched (%zu only in A, %zu only in B); %zu differ "
            "significantly at q = %g\n\n%s. Intervals are %g%% (alpha %g). %zu metric(s) had no "
            "paired per-item test (no per-item data, or none for that metric) and were judged "
            "by CI non-overlap instead (no p-value).\n\n",
            c->n, c->n_only_a, c->n_only_b, n_sig, c->alpha, method_text, 100 * (1 - c->alpha),
            c->alpha, n_ov);
    fputs("| task | dataset | model | group | metric | A | B | B - A | CI of B - A | p (two-sided) "
          "| p (BH) | "
          "method | verdict |\n|---|---|---|---|---|---:|---:|---:|---|---:|---:|---|---|\n",
          fp);
    for (size_t i = 0; i < c->n; i++) {
        const struct bb_cmp *x = &c->v[i];
        struct row_cells r;
        row_cells(x, c->alpha, &r);
        char mc[300];
        const char *cells[] = {x->a->task, x->a->dataset, r.model, x->a->group,
                               metric_cell(x, mc, sizeof mc)};
        fputs("|", fp);
        for (size_t k = 0; k < 5; k++)
            fputc(' ', fp), md_str(fp, cells[k]), fputs(" |", fp);
        fprintf(fp, " %.6g | %.6g | %+.4g | %s | %s | %s | %s | %s |\n", x->a->value,
                x->b->value, x->diff, r.ci, r.p, r.pa, bb_cmp_method_name(x->method), r.verdict);
    }
}

static void write_html(const struct bb_comparison *c, const char *la, const char *lb, FILE *fp)
{
    size_t n_sig, n_ov;
    summary_lines(c, &n_sig, &n_ov);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>biasbench compare</title>\n<style>body{font-family:sans-serif;margin:2em}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
          "td.n{text-align:right}tr.worse{background:#fdd}tr.better{background:#dfd}"
          "</style></head><body>\n<h1>biasbench compare</h1>\n<ul><li>A: ",
          fp);
    html_str(fp, la);
    fputs("</li><li>B: ", fp);
    html_str(fp, lb);
    fprintf(fp, "</li><li>%zu metrics matched (%zu only in A, %zu only in B); %zu differ "
                "significantly at q = %g</li></ul>\n<p>",
            c->n, c->n_only_a, c->n_only_b, n_sig, c->alpha);
    html_str(fp, method_text);
    fprintf(fp,
            ". Intervals are %g%% (alpha %g). %zu metric(s) had no paired "
            "per-item test (no per-item data, or none for that metric) and were judged by CI "
            "non-overlap instead (no p-value).</p>\n<table>\n<tr><th>task"
            "</th><th>dataset</th><th>model</th><th>group</th><th>metric</th><th>A</th><th>B"
            "</th><th>B &minus; A</th><th>CI of B &minus; A</th><th>p (two-sided)</th><th>p (BH)"
            "</th><th>method</th><th>verdict</th></tr>\n",
            100 * (1 - c->alpha), c->alpha, n_ov);
    for (size_t i = 0; i < c->n; i++) {
        const struct bb_cmp *x = &c->v[i];
        struct row_cells r;
        row_cells(x, c->alpha, &r);
        const char *v = r.verdict;
        fprintf(fp, "<tr class=\"%s\">",
                !strcmp(v, "B worse")    ? "worse"
                : !strcmp(v, "B better") ? "better"
                                         : "");
        char mc[300];
        const char *cells[] = {x->a->task, x->a->dataset, r.model, x->a->group,
                               metric_cell(x, mc, sizeof mc)};
        for (size_t k = 0; k < 5; k++)
            fputs("<td>", fp), html_str(fp, cells[k]), fputs("</td>", fp);
        fprintf(fp, "<td class=\"n\">%.6g</td><td class=\"n\">%.6g</td><td class=\"n\">%+.4g</td>"
                    "<td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td title=\"",
                x->a->value, x->b->value, x->diff, r.ci, r.p, r.pa);
        html_str(fp, x->note);
        fprintf(fp, "\">%s</td><td>%s</td></tr>\n", bb_cmp_method_name(x->method), v);
    }
    fputs("</table>\n</body></html>\n", fp);
}

void bb_compare_write(const struct bb_comparison *c, enum bb_cmp_format f, const char *label_a,
                      const char *label_b, FILE *fp)
{
    if (f == BB_CMP_CSV)
        write_csv(c, fp);
    else if (f == BB_CMP_HTML)
        write_html(c, label_a, label_b, fp);
    else
        write_md(c, label_a, label_b, fp);
}
