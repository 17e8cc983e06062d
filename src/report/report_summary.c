/* report_summary.c: page one of the audit report (the findings summary: per
 * model the headline accuracy and bias figures with their CIs and a verdict
 * that agrees with them, the gates' outcome, the caveats that matter most,
 * each linking to its section) and the table of contents after it. Each task
 * type's findings lines are one function (bb_rep_sum_*) that its row of the
 * view table (report_view.c) names, with its rank and caveat notes. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_view.h"

void bb_rep_anchor(char *buf, size_t n, const char *prefix, const char *task, const char *model)
{
    size_t k = 0;
    const char *parts[3] = {prefix, task, model};
    for (int p = 0; p < 3 && k + 1 < n; p++) {
        if (!parts[p])
            continue;
        if (p && k + 2 < n)
            buf[k++] = '-', buf[k++] = '-';
        for (const char *s = parts[p]; *s && k + 1 < n; s++)
            buf[k++] = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '-';
    }
    buf[k] = 0;
}

/* The row of task x model with this group and metric, or NULL. */
static const struct bb_result_row *row(const struct bb_rep *R, const char *task, const char *model,
                                       const char *group, const char *metric, long *index)
{
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *r = ROW(i);
        if (!strcmp(r->task, task) && !strcmp(r->model, model) &&
            (!group || !strcmp(r->group, group)) && !strcmp(r->metric, metric)) {
            if (index)
                *index = (long)i;
            return r;
        }
    }
    return NULL;
}

static bool has_rows(const struct bb_rep *R, const char *task, const char *model)
{
    for (size_t i = 0; i < R->res->n; i++)
        if (!strcmp(ROW(i)->task, task) && !strcmp(ROW(i)->model, model))
            return true;
    return false;
}

struct line {
    const char *task, *figure;
    char value[64], ci[96], verdict[400];
};

static void add_line(struct bb_rep *R, const char *model, struct line *L)
{
    char anchor[300];
    bb_rep_anchor(anchor, sizeof anchor, "t", L->task, model);
    const char *cells[5] = {L->task, L->figure, L->value, L->ci, L->verdict};
    const char *anchors[5] = {anchor, NULL, NULL, NULL, NULL};
    bb_doc_row_ref(&R->doc, 5, cells, anchors);
}

static void set_value(struct bb_rep *R, struct line *L, const struct bb_result_row *r)
{
    snprintf(L->value, sizeof L->value, "%s", bb_rep_num(R, r->value));
    snprintf(L->ci, sizeof L->ci, "%s", bb_rep_ci(R, r->ci_low, r->ci_high));
}

/* "significant after holm (adjusted p 0.004)" / "not significant (…)" from one row's p. */
static void sig_text(struct bb_rep *R, long i, char *buf, size_t n)
{
    const struct bb_result_row *r = ROW(i);
    double adj = R->adj[i];
    if (isnan(r->p_value))
        snprintf(buf, n, "no test");
    else if (!isnan(adj) && adj < R->alpha)
        snprintf(buf, n, "significant after %s correction (adjusted p %s)",
                 bb_suite_correction_name(R->correction), bb_rep_p(R, adj));
    else if (r->p_value < R->alpha)
        snprintf(buf, n, "significant on raw p %s only, not after %s correction (adjusted p %s)",
                 bb_rep_p(R, r->p_value), bb_suite_correction_name(R->correction),
                 bb_rep_p(R, adj));
    else
        snprintf(buf, n, "not significant (p %s)", bb_rep_p(R, r->p_value));
}

void bb_rep_sum_similarity(struct bb_rep *R, const char *task, const char *model)
{
    struct line L = {.task = task};
    const struct bb_result_row *r = row(R, task, model, "all", "spearman", NULL);
    if (!r)
        return;
    L.figure = "accuracy: Spearman x100 with gold similarity (ideal 100)";
    set_value(R, &L, r);
    snprintf(L.verdict, sizeof L.verdict, "accuracy figure (no bias test); %ld pairs", r->n);
    add_line(R, model, &L);
}

void bb_rep_sum_accuracy(struct bb_rep *R, const char *task, const char *model)
{
    struct line L = {.task = task};
    const struct bb_result_row *r = row(R, task, model, "all", "accuracy", NULL);
    if (!r)
        return;
    L.figure = "accuracy (share correct, ideal 1)";
    set_value(R, &L, r);
    snprintf(L.verdict, sizeof L.verdict, "accuracy figure (no bias test); %ld items", r->n);
    add_line(R, model, &L);
}

void bb_rep_sum_association(struct bb_rep *R, const char *task, const char *model)
{
    struct line L = {.task = task};
    const struct bb_result_row *r;
    size_t tests = 0, sig2 = 0, raw = 0;
    double worst = 0;
    const char *worst_name = NULL;
    for (size_t k = 0; k < R->res->n; k++) {
        const struct bb_result_row *q = ROW(k);
        if (strcmp(q->task, task) || strcmp(q->model, model) || strcmp(q->metric, "effect_size"))
            continue;
        tests++;
        if (!isnan(R->adj[k]) && R->adj[k] < R->alpha)
            sig2++;
        else if (!isnan(q->p_value) && q->p_value < R->alpha)
            raw++;
        if (fabs(q->value) > worst)
            worst = fabs(q->value), worst_name = bb_rep_label(q);
    }
    if (!(r = row(R, task, model, NULL, "mean_abs_effect_size", NULL)) && !tests)
        return;
    char name[200] = "";
    if (worst_name)
        bb_rep_test_name(worst_name, name, sizeof name);
    L.figure = "bias: mean |d| over the WEAT/SEAT tests (ideal 0)";
    if (r)
        set_value(R, &L, r);
    else
        snprintf(L.value, sizeof L.value, "—"), snprintf(L.ci, sizeof L.ci, "—");
    snprintf(L.verdict, sizeof L.verdict,
             "%zu of %zu tests significant after %s correction%s%s; largest |d| %s (%s)",
             sig2, tests, bb_suite_correction_name(R->correction),
             raw ? ", more on raw p only: " : "",
             raw ? bb_rep_long(R, (long)raw) : "", bb_rep_num(R, worst),
             name[0] ? name : "—");
    add_line(R, model, &L);
}

/* The row of task x model with the largest |value| of a gap metric (lowest: the lowest
   impact_ratio), or -1. */
static long extreme_row(const struct bb_rep *R, const char *task, const char *model, bool lowest)
{
    long best = -1;
    for (size_t k = 0; k < R->res->n; k++) {
        const struct bb_result_row *q = ROW(k);
        if (strcmp(q->task, task) || strcmp(q->model, model) || isnan(q->value) ||
            (lowest ? strcmp(q->metric, "impact_ratio") != 0 : !bb_rep_is_gap(q->metric)))
            continue;
        if (best < 0 || (lowest ? q->value < ROW(best)->value
                                : fabs(q->value) > fabs(ROW(best)->value)))
            best = (long)k;
    }
    return best;
}

void bb_rep_sum_counterfactual(struct bb_rep *R, const char *task, const char *model)
{
    char sig[300];
    long best = extreme_row(R, task, model, false); /* the largest paired gap, its own test */
    if (best >= 0) {
        struct line L = {.task = task};
        const struct bb_result_row *r = ROW(best);
        L.figure = "bias: largest paired score gap between groups (ideal 0)";
        set_value(R, &L, r);
        sig_text(R, best, sig, sizeof sig);
        snprintf(L.verdict, sizeof L.verdict, "%s: %s", r->group, sig);
        add_line(R, model, &L);
    }
    long low = extreme_row(R, task, model, true);
    if (low >= 0) {
        struct line I = {.task = task};
        const struct bb_result_row *r = ROW(low);
        I.figure = "bias: lowest impact ratio (four-fifths convention, ideal 1)";
        set_value(R, &I, r);
        sig_text(R, low, sig, sizeof sig);
        snprintf(I.verdict, sizeof I.verdict, "%s: %s 0.8; rate difference %s",
                 r->group, r->value < 0.8 ? "below" : "not below", sig);
        add_line(R, model, &I);
    }
}

/* A share with ideal 50 (pct_stereotype, ss): its test and whether its CI holds 50. */
static void ideal50_line(struct bb_rep *R, const char *task, const char *model, const char *m,
                         const char *figure)
{
    struct line L = {.task = task, .figure = figure};
    long i = -1;
    char sig[300];
    const struct bb_result_row *r = row(R, task, model, "all", m, &i);
    if (!r)
        return;
    set_value(R, &L, r);
    sig_text(R, i, sig, sizeof sig);
    bool ci_has_50 = !isnan(r->ci_low) && r->ci_low <= 50 && r->ci_high >= 50;
    snprintf(L.verdict, sizeof L.verdict, "%s; %s; %ld pairs", sig,
             isnan(r->ci_low) ? "no CI" : ci_has_50 ? "CI includes 50" : "CI excludes 50", r->n);
    add_line(R, model, &L);
}

void bb_rep_sum_pairs(struct bb_rep *R, const char *task, const char *model)
{
    ideal50_line(R, task, model, "pct_stereotype",
                 "bias: % of pairs where the stereotyping sentence is more likely (ideal 50)");
}

void bb_rep_sum_stereoset(struct bb_rep *R, const char *task, const char *model)
{
    ideal50_line(R, task, model, "ss", "bias: stereotype score ss (ideal 50)");
}

void bb_rep_sum_bbq(struct bb_rep *R, const char *task, const char *model)
{
    struct line L = {.task = task};
    long i = -1;
    char sig[300];
    const struct bb_result_row *r = row(R, task, model, "all", "s_amb", &i);
    if (!r)
        return;
    L.figure = "bias: BBQ bias score, ambiguous contexts (ideal 0)";
    set_value(R, &L, r);
    sig_text(R, i, sig, sizeof sig);
    snprintf(L.verdict, sizeof L.verdict, "%s", sig);
    add_line(R, model, &L);
}

void bb_rep_sum_perplexity(struct bb_rep *R, const char *task, const char *model)
{
    struct line L = {.task = task};
    const struct bb_result_row *r = row(R, task, model, "all", "bits_per_byte", NULL);
    if (!r)
        return;
    L.figure = "bits per byte (lower is better)";
    set_value(R, &L, r);
    snprintf(L.verdict, sizeof L.verdict, "language-modelling figure (no bias test)");
    add_line(R, model, &L);
}

void bb_rep_sum_latency(struct bb_rep *R, const char *task, const char *model)
{
    struct line L = {.task = task};
    const struct bb_result_row *r = row(R, task, model, NULL, "latency_p50_ms", NULL);
    if (!r)
        return;
    L.figure = "efficiency: p50 latency per batch, ms";
    set_value(R, &L, r);
    snprintf(L.verdict, sizeof L.verdict, "timing at %s (measured, not reproducible bit for bit)",
             r->group);
    add_line(R, model, &L);
}

/* The lines of every task of the run for one model: by the view's rank (accuracy first,
   then bias, then efficiency), tasks of one rank in run order. */
static void summary_lines(struct bb_rep *R, const char *model)
{
    int last = 0;
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++) {
        const struct bb_report_task_view *v = bb_rep_view(t);
        last = v && v->summary_rank > last ? v->summary_rank : last;
    }
    for (int rank = 1; rank <= last; rank++)
        for (size_t t = 0; t < R->n_tasks; t++) {
            const struct bb_report_task_view *v = bb_rep_task_view(R, R->tasks[t]);
            if (v && v->summary && v->summary_rank == rank && has_rows(R, R->tasks[t], model))
                v->summary(R, R->tasks[t], model);
        }
}

/* A gate run recorded in the run folder: JUnit XML from `biasbench gate --junit`. */
static void gates_line(struct bb_rep *R)
{
    static const char *const names[] = {"gate.xml", "gate-junit.xml", "junit.xml"};
    size_t n_gates = R->suite ? R->suite->n_gates : 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char path[4200], buf[4096];
        snprintf(path, sizeof path, "%s/%s", R->run_dir, names[k]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        const char *t = strstr(buf, "tests=\""), *fl = strstr(buf, "failures=\"");
        if (!t || !fl)
            continue;
        long tests = strtol(t + 7, NULL, 10), failures = strtol(fl + 10, NULL, 10);
        bb_doc_li_ref(&R->doc, "reproducibility", "section 9",
                      "Gates: %s — %ld of %ld gate checks failed against the baseline (%s in "
                      "this folder, from biasbench gate --junit).",
                      failures ? "FAILED" : "passed", failures, tests, names[k]);
        return;
    }
    if (n_gates)
        bb_doc_li_ref(&R->doc, "reproducibility", "section 9",
                      "Gates: the suite defines %zu gate%s; no gate run is recorded in this "
                      "folder (biasbench gate --baseline BASE RUN --junit RUN/gate.xml records "
                      "one, and the report then shows its outcome here).",
                      n_gates, n_gates == 1 ? "" : "s");
    else
        bb_doc_li(&R->doc, "Gates: the suite defines none.");
}

static void caveats(struct bb_rep *R)
{
    const json_t *sk = R->manifest ? json_object_get(R->manifest, "skipped") : NULL;
    const json_t *sk0 = json_array_get(sk, 0);
    unsigned notes = 0;
    for (size_t t = 0; t < R->n_tasks; t++) {
        const struct bb_report_task_view *v = bb_rep_task_view(R, R->tasks[t]);
        notes |= v ? v->notes : 0;
    }
    bb_doc_h(&R->doc, 3, "findings-caveats", "Caveats that matter most");
    if (R->manifest && json_is_false(json_object_get(R->manifest, "complete")))
        bb_doc_li_ref(&R->doc, "reproducibility", "section 9",
                      "The run did not complete: some results are missing.");
    if (json_is_array(sk) && json_array_size(sk))
        bb_doc_li_ref(&R->doc, "skipped", "list in section 9",
                      "%zu task x model combination%s skipped (e.g. %s on %s: %s); those cells "
                      "are missing above, not passed.", json_array_size(sk),
                      json_array_size(sk) == 1 ? " was" : "s were",
                      bb_rep_jstr(sk0, "task") ? bb_rep_jstr(sk0, "task") : "?",
                      bb_rep_jstr(sk0, "model") ? bb_rep_jstr(sk0, "model") : "every model",
                      bb_rep_jstr(sk0, "reason") ? bb_rep_jstr(sk0, "reason") : "?");
    for (size_t t = 0; R->suite && t < R->n_tasks; t++) {
        const struct bb_suite_task *st = bb_suite_find_task(R->suite, R->tasks[t]);
        const struct bb_report_task_view *v = bb_rep_task_view(R, R->tasks[t]);
        if (st && st->limit > 0 && (!v || v->partial_limit)) {
            bb_doc_li_ref(&R->doc, "evaluation-data", "section 5",
                          "%s reads only the first %ld items of its data: not comparable with "
                          "published full-data figures.", st->id, st->limit);
        }
    }
    if (notes & BB_REP_NOTE_PAIR_VALIDITY)
        bb_doc_li_ref(&R->doc, "evaluation-data", "datasheets",
                      "CrowS-Pairs and StereoSet have documented validity problems (pairs that "
                      "are not minimal or test unrelated stereotypes); a score near 50 is not "
                      "evidence of no bias.");
    if (notes & BB_REP_NOTE_PROXY_GROUPS)
        bb_doc_li_ref(&R->doc, "factors", "section 3",
                      "Counterfactual groups are inferred from first names and pronouns (a "
                      "proxy), binary gender and two US race categories only; gaps of a few "
                      "hundredths on a 0-1 score can still be significant.");
    if (notes & BB_REP_NOTE_ASSOCIATION)
        bb_doc_li_ref(&R->doc, "risks", "section 8",
                      "WEAT/SEAT effect sizes vary with templates and word lists and correlate "
                      "weakly with downstream harm; a non-significant test does not show absence "
                      "of bias.");
    if (notes & BB_REP_NOTE_ACCURACY)
        bb_doc_li_ref(&R->doc, "evaluation-data", "section 5",
                      "Accuracy benchmarks are public and may be in the model's training data "
                      "(contamination not assessed).");
    if (notes & BB_REP_NOTE_TIMING)
        bb_doc_li_ref(&R->doc, "reproducibility", "device in section 9",
                      "Latency is measured on this run's device and load; compare timings only "
                      "within one machine.");
    bb_doc_li_ref(&R->doc, "factors", "section 3",
                  "Characteristics not listed in section 3 were not examined; absence from this "
                  "report is not evidence of absence of bias.");
    if (!R->suite || !R->suite->metadata.intended_use || !R->suite->metadata.out_of_scope_use)
        bb_doc_li_ref(&R->doc, "intended-use", "section 2",
                      "Intended and out-of-scope use are not fully stated by the suite: fill in "
                      "the placeholders before publishing.");
    bb_doc_end_list(&R->doc);
}

enum bb_status bb_rep_section_summary(struct bb_rep *R, struct bb_error *err)
{
    (void)err;
    bb_doc_html_raw(&R->doc, "<section class=\"findings\">\n");
    bb_doc_h(&R->doc, 2, "findings", "Findings summary");
    if (!R->res->n) {
        bb_doc_p(&R->doc, "No task produced a result in this run, so there are no findings; see "
                 "the skipped list in section 9.");
    } else {
        bb_doc_p(&R->doc, "Per model, the headline accuracy and bias figures with 95%% CIs. A "
                 "verdict comes from the same row's test (%s-adjusted at alpha = %g) and never "
                 "contradicts its interval. Each task links to its section.",
                 bb_suite_correction_name(R->correction), R->alpha);
    }
    for (size_t m = 0; m < R->n_models; m++) {
        const char *model = R->models[m];
        char id[300];
        bb_rep_anchor(id, sizeof id, "findings", model, NULL);
        bb_doc_h(&R->doc, 3, id, "Model %s", model);
        static const char *const head[] = {"task", "figure", "value", "95% CI", "verdict"};
        bb_doc_table(&R->doc, 5, head, "llrrl");
        summary_lines(R, model);
        bb_doc_table_end(&R->doc);
    }
    bb_doc_h(&R->doc, 3, "findings-gates", "Gates");
    gates_line(R);
    bb_doc_end_list(&R->doc);
    caveats(R);
    bb_doc_html_raw(&R->doc, "</section>\n");
    return BB_OK;
}

enum bb_status bb_rep_section_toc(struct bb_rep *R, struct bb_error *err)
{
    (void)err;
    static const char *const toc[][2] = {
        {"findings", "Findings summary"},
        {"header", "1. Header"},
        {"intended-use", "2. Intended use and out-of-scope use"},
        {"factors", "3. Factors"},
        {"metrics", "4. Metrics"},
        {"evaluation-data", "5. Evaluation data"},
        {"quantitative-analyses", "6. Quantitative analyses"},
        {"accuracy-efficiency-bias", "7. Accuracy and efficiency beside bias"},
        {"risks", "8. Risks, limitations and recommendations"},
        {"reproducibility", "9. Reproducibility"},
    };
    bb_doc_html_raw(&R->doc, "<nav class=\"toc\">\n");
    bb_doc_h(&R->doc, 2, "contents", "Contents");
    for (size_t i = 0; i < sizeof toc / sizeof toc[0]; i++)
        bb_doc_li_ref(&R->doc, toc[i][0], NULL, "%s", toc[i][1]);
    bb_doc_end_list(&R->doc);
    bb_doc_p(&R->doc, "Section 6, per task and model:");
    for (size_t t = 0; t < R->n_tasks; t++)
        for (size_t m = 0; m < R->n_models; m++)
            if (has_rows(R, R->tasks[t], R->models[m])) {
                char anchor[300];
                bb_rep_anchor(anchor, sizeof anchor, "t", R->tasks[t], R->models[m]);
                bb_doc_li_ref(&R->doc, anchor, NULL, "%s, model %s", R->tasks[t], R->models[m]);
            }
    bb_doc_end_list(&R->doc);
    bb_doc_html_raw(&R->doc, "</nav>\n");
    return BB_OK;
}
