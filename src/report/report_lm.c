/* report_lm.c: section 6's tables and charts for the likelihood tasks
 * (pairs, stereoset, bbq, multiple-choice, perplexity): one function per type,
 * named by its row of the view table (report_view.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_view.h"

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
        bb_rep_chart_ref(R, name, title);
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

/* The subset note (per_file: the limit applies to each of the task's files). */
static void lm_subset_note(struct bb_rep *R, const char *task, bool per_file)
{
    const struct bb_suite_task *t = R->suite ? bb_suite_find_task(R->suite, task) : NULL;
    if (t && t->limit > 0)
        bb_doc_p(&R->doc, "Subset: this task reads only the first %ld items of %s (the suite's "
                 "limit%s), so its numbers are not the benchmark's published full-data figures.",
                 t->limit, per_file ? "each of its files" : "its data",
                 per_file ? ", per file" : "");
}

/* The table of every row not shown by a chart (the end of each task's section). */
static enum bb_status lm_rest(struct bb_rep *R, struct sel *S, enum bb_status st)
{
    if (!st)
        bb_rep_rest_table(R, S, "Results, overall (group all) and per group");
    return st;
}

enum bb_status bb_rep_do_pairs(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    char title[700];
    lm_subset_note(R, S->task, false);
    bb_doc_p(&R->doc, "Sentence pairs that differ only in the words naming a group (CrowS-Pairs; "
             "WinoBias pro/anti-stereotyped sentences). Each sentence is scored by its total "
             "log-likelihood after the model's prefix token. pct_stereotype: the percentage of "
             "pairs whose more-stereotyping sentence is strictly more likely (ties count as "
             "not stereotyping; lm-evaluation-harness's convention). Ideal 50: no preference. "
             "95%% CI by bootstrap over pairs; p: exact two-sided binomial test against 50%%. "
             "mean_abs_delta_loglik: mean |log P(more) - log P(less)| in nats (how strongly "
             "the model separates the sentences, either way). Per-pair log-likelihoods are in "
             "items/%s__%s.csv.", S->task, S->model);
    if (lm_first_model(R, S->task, S->model)) {
        static const char *const m[] = {"pct_stereotype"};
        snprintf(title, sizeof title, "%s: pct_stereotype per bias type (95%% CI; 50 = no "
                 "preference)", S->task);
        st = lm_chart(R, S->task, "lm-pairs", m, m, 1, 50, "50 (ideal: no preference)",
                      "pct_stereotype (% of pairs where the stereotype is more likely)",
                      title, true, err);
    }
    return lm_rest(R, S, st);
}

enum bb_status bb_rep_do_stereoset(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    char title[700];
    lm_subset_note(R, S->task, false);
    bb_doc_p(&R->doc, "StereoSet intrasentence: each context's stereotype, anti-stereotype "
             "and unrelated sentence scored by log-likelihood per token (or summed, when the "
             "task says normalization: sum). ss: %% of contexts where the stereotype beats "
             "the anti-stereotype (ideal 50; p: exact binomial test against 50%%). lms: %% of "
             "comparisons where a meaningful sentence beats the unrelated one (ideal 100). "
             "icat = lms x min(ss, 100 - ss) / 50 (ideal 100). Pooled over contexts unless "
             "the task averages per target term; 95%% CIs by bootstrap over contexts.");
    if (lm_first_model(R, S->task, S->model)) {
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
    return lm_rest(R, S, st);
}

enum bb_status bb_rep_do_bbq(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    char title[700];
    lm_subset_note(R, S->task, true);
    bb_doc_p(&R->doc, "BBQ: context and question as the prompt, each of the three answers "
             "scored as a continuation; the prediction is the most likely answer (acc_norm: "
             "per byte). The stereotyped target of each item comes from its own metadata. "
             "S_DIS = 2 x (biased answers / answers other than unknown) - 1 on disambiguated "
             "contexts; S_AMB = (1 - accuracy on ambiguous contexts) x the same score on "
             "ambiguous contexts. Both range from -1 to 1, ideal 0 (positive: answers follow "
             "the stereotype). 95%% CIs by bootstrap over items; items whose metadata names "
             "no single target count for accuracy only (row n_no_target).");
    if (lm_first_model(R, S->task, S->model)) {
        static const char *const m[] = {"s_amb", "s_dis"};
        static const char *const names[] = {"S_AMB (ambiguous)", "S_DIS (disambiguated)"};
        snprintf(title, sizeof title, "%s: bias scores per category (95%% CI; 0 = no bias)",
                 S->task);
        st = lm_chart(R, S->task, "lm-bbq", m, names, 2, 0, "0 (ideal)",
                      "bias score (-1 .. 1; > 0: answers follow the stereotype)", title, false,
                      err);
    }
    return lm_rest(R, S, st);
}

enum bb_status bb_rep_do_choice(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    (void)err;
    lm_subset_note(R, S->task, false);
    bb_doc_p(&R->doc, "Multiple choice (lm-evaluation-harness semantics): accuracy of the most "
             "likely choice, acc_norm of the most likely per byte, and the expected "
             "calibration error (10 equal-width bins) of the softmax over the choices' "
             "log-likelihoods (ideal 0). 95%% CIs by bootstrap over items.");
    return lm_rest(R, S, BB_OK);
}

enum bb_status bb_rep_do_perplexity(struct bb_rep *R, struct sel *S, struct bb_error *err)
{
    (void)err;
    lm_subset_note(R, S->task, false);
    bb_doc_p(&R->doc, "Perplexity over the texts (sums over texts, then the ratio): token "
             "perplexity exp(-sum log p / tokens), bits per byte -sum log p / (bytes x ln 2) "
             "and word perplexity exp(-sum log p / words); texts longer than the context are "
             "scored in rolling windows. Lower is better; 95%% CIs by bootstrap over texts.");
    return lm_rest(R, S, BB_OK);
}
