/* compare_lm.c: paired per-item tests of the likelihood tasks' metrics for
 * `compare` and `gate` (compare.h, bb_compare_lm). The two per-item files
 * are joined on item_id and restricted to the result row's group (the
 * items' bias_type, domain or category column); then
 *   - accuracies (bbq accuracy, acc_norm, accuracy_ambig/_disambig;
 *     multiple-choice accuracy, acc_norm): McNemar on the per-item
 *     correctness; the CI of the difference of paired proportions by the
 *     normal approximation (d = (c - b) / n, var = ((b + c) / n - d^2) / n);
 *   - everything else (pct_stereotype, mean_abs_delta_loglik, ss, lms, icat,
 *     s_dis, s_amb, ece, perplexity, bits_per_byte, word_perplexity): the
 *     paired bootstrap over pairs / contexts / items / texts, the statistic
 *     recomputed on both sides from the same resampled items (StereoSet
 *     pooled over contexts). */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite/dataset.h"
#include "metrics/lmbias.h"
#include "metrics/stats.h"
#include "metrics/table.h"
#include "model/model.h"
#include "suite/suite.h"
#include "tasks/task.h"

enum lm_kind { LM_NONE, LM_PAIRS, LM_STEREOSET, LM_BBQ, LM_CHOICE, LM_PPL };

static enum lm_kind kind_of(const struct bb_table *t)
{
    if (bb_table_col(t, "ll_more") >= 0)
        return LM_PAIRS;
    if (bb_table_col(t, "score_stereotype") >= 0)
        return LM_STEREOSET;
    if (bb_table_col(t, "ll_ans0") >= 0)
        return LM_BBQ;
    if (bb_table_col(t, "n_choices") >= 0)
        return LM_CHOICE;
    if (bb_table_col(t, "windows") >= 0 && bb_table_col(t, "logprob") >= 0)
        return LM_PPL;
    return LM_NONE;
}

static const char *group_col(enum lm_kind k)
{
    return k == LM_PAIRS ? "bias_type" : k == LM_STEREOSET ? "domain" : k == LM_BBQ ? "category"
                                                                                    : NULL;
}

#define MAXC 6
/* x[side][col][i] for the items of both files joined on item_id. */
struct joined {
    size_t n;
    double *x[2][MAXC];
    bool *ambig; /* bbq: context_condition == ambig (side A) */
};

static void joined_free(struct joined *j)
{
    for (int s = 0; s < 2; s++)
        for (int c = 0; c < MAXC; c++)
            free(j->x[s][c]);
    free(j->ambig);
}

static int find_row(const struct bb_table *t, int idc, const char *id)
{
    size_t n = bb_table_rows(t);
    for (size_t i = 0; i < n; i++) {
        const char *v = bb_table_get(t, i, idc);
        if (v && !strcmp(v, id))
            return (int)i;
    }
    return -1;
}

/* Numeric cell; blank -> dflt. false when not a number. */
static bool num(const struct bb_table *t, size_t i, int c, double dflt, double *out)
{
    const char *v = bb_table_get(t, i, c);
    if (!v || !*v) {
        *out = dflt;
        return !isnan(dflt);
    }
    char *end;
    *out = strtod(v, &end);
    return end != v;
}

static enum bb_status join(const struct bb_table *ta, const struct bb_table *tb, const char *gcol,
                           const char *group, const char *const *cols, int nc, const double *dflt,
                           struct joined *j, struct bb_error *err)
{
    memset(j, 0, sizeof *j);
    size_t na = bb_table_rows(ta);
    int ida = bb_table_col(ta, "item_id"), idb = bb_table_col(tb, "item_id");
    int g = gcol ? bb_table_col(ta, gcol) : -1, cond = bb_table_col(ta, "context_condition");
    int ca[MAXC], cb[MAXC];
    for (int c = 0; c < nc; c++) {
        ca[c] = bb_table_col(ta, cols[c]), cb[c] = bb_table_col(tb, cols[c]);
        if (ca[c] < 0 || cb[c] < 0)
            return BB_OK;
    }
    if (ida < 0 || idb < 0)
        return BB_OK;
    for (int s = 0; s < 2; s++)
        for (int c = 0; c < nc; c++)
            if (!(j->x[s][c] = malloc((na ? na : 1) * sizeof(double))))
                return bb_fail(err, BB_E_NOMEM, "out of memory");
    if (!(j->ambig = malloc((na ? na : 1) * sizeof *j->ambig)))
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    /* item files are written in the same order for the same suite and data:
       try the same row first, search otherwise */
    for (size_t i = 0; i < na; i++) {
        const char *id = bb_table_get(ta, i, ida);
        if (!id)
            continue;
        if (strcmp(group, "all")) {
            const char *v = g >= 0 ? bb_table_get(ta, i, g) : NULL;
            if (!v || strcmp(v, group))
                continue;
        }
        const char *ib = i < bb_table_rows(tb) ? bb_table_get(tb, i, idb) : NULL;
        int r = ib && !strcmp(ib, id) ? (int)i : find_row(tb, idb, id);
        if (r < 0)
            continue;
        bool ok = true;
        for (int c = 0; c < nc && ok; c++)
            ok = num(ta, i, ca[c], dflt ? dflt[c] : NAN, &j->x[0][c][j->n]) &&
                 num(tb, (size_t)r, cb[c], dflt ? dflt[c] : NAN, &j->x[1][c][j->n]);
        if (!ok)
            continue;
        const char *cv = cond >= 0 ? bb_table_get(ta, i, cond) : NULL;
        j->ambig[j->n] = cv && !strcmp(cv, "ambig");
        j->n++;
    }
    return BB_OK;
}

struct sctx {
    const struct joined *j;
    int side;
    const char *metric;
    enum lm_kind kind;
    struct bb_lm_bbq_item *items;
};

static double stat(const int *idx, size_t n, void *vc)
{
    struct sctx *c = vc;
    double *const *x = c->j->x[c->side];
    const char *m = c->metric;
    if (!n)
        return NAN;
    switch (c->kind) {
    case LM_PAIRS: {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += !strcmp(m, "pct_stereotype") ? 100.0 * (x[0][idx[i]] > x[1][idx[i]])
                                               : fabs(x[0][idx[i]] - x[1][idx[i]]);
        return s / (double)n;
    }
    case LM_STEREOSET: {
        struct bb_lm_ss r = bb_lm_stereoset(x[0], x[1], x[2], idx, n);
        return !strcmp(m, "ss") ? r.ss : !strcmp(m, "lms") ? r.lms : r.icat;
    }
    case LM_BBQ: {
        struct bb_lm_bbq r = bb_lm_bbq_scores(c->items, idx, n);
        return !strcmp(m, "s_dis") ? r.s_dis : r.s_amb;
    }
    case LM_CHOICE: {
        bool *corr = malloc(n * sizeof *corr);
        double *conf = malloc(n * sizeof *conf), e = NAN;
        if (corr && conf) {
            for (size_t i = 0; i < n; i++)
                conf[i] = x[0][idx[i]], corr[i] = x[1][idx[i]] > 0.5;
            e = bb_lm_ece(conf, corr, NULL, n, 10);
        }
        free(corr);
        free(conf);
        return e;
    }
    case LM_PPL: {
        double lp = 0, d = 0;
        for (size_t i = 0; i < n; i++)
            lp += x[0][idx[i]], d += x[1][idx[i]];
        return !strcmp(m, "bits_per_byte") ? bb_lm_bits_per_byte(lp, d) : bb_lm_perplexity(lp, d);
    }
    default: return NAN;
    }
}

/* accuracy-like metrics: per-item correctness column, optional ambiguity filter */
static bool accuracy_metric(enum lm_kind k, const char *m, const char **col, int *filter)
{
    *filter = -1;
    if (k != LM_BBQ && k != LM_CHOICE)
        return false;
    if (!strcmp(m, "accuracy") || !strcmp(m, "acc_norm")) {
        *col = !strcmp(m, "acc_norm") ? "correct_norm" : "correct";
        return true;
    }
    if (k == LM_BBQ && (!strcmp(m, "accuracy_ambig") || !strcmp(m, "accuracy_disambig"))) {
        *col = "correct";
        *filter = !strcmp(m, "accuracy_ambig");
        return true;
    }
    return false;
}

bool bb_compare_lm_handles(const struct bb_table *t, const char *metric)
{
    const unsigned lm = bb_task_type_mask(BB_CAP_LOGLIK); /* the likelihood tasks */
    const struct bb_metric_info *m = bb_metric_find(metric);
    return kind_of(t) != LM_NONE && m && (m->tasks & lm) &&
           (m->test == BB_TEST_MCNEMAR || m->test == BB_TEST_RECOMPUTE);
}

enum bb_status bb_compare_lm(const struct bb_table *ta, const struct bb_table *tb,
                             const struct bb_result_row *a, const struct bb_cmp_opts *o,
                             struct bb_cmp *out, struct bb_error *err)
{
    enum lm_kind k = kind_of(ta);
    const char *m = a->metric, *acol = NULL;
    int filter;
    const char *cols[MAXC];
    double dflt[MAXC] = {NAN, NAN, NAN, NAN, NAN, NAN};
    int nc = 0;
    bool acc = accuracy_metric(k, m, &acol, &filter);
    bool ece = !strcmp(m, "ece"); /* any kind: recomputed from confidence and correctness */
    if (acc)
        cols[nc++] = acol;
    else if (ece)
        cols[nc++] = "confidence", cols[nc++] = "correct";
    else if (k == LM_PAIRS)
        cols[nc++] = "ll_more", cols[nc++] = "ll_less";
    else if (k == LM_STEREOSET)
        cols[nc++] = "score_stereotype", cols[nc++] = "score_anti_stereotype",
        cols[nc++] = "score_unrelated";
    else if (k == LM_BBQ)
        cols[nc++] = "pred", cols[nc++] = "label", cols[nc++] = "unknown", cols[nc++] = "biased",
        dflt[3] = -1;
    else if (k == LM_CHOICE)
        cols[nc++] = "confidence", cols[nc++] = "correct";
    else if (k == LM_PPL)
        cols[nc++] = "logprob", cols[nc++] = !strcmp(m, "bits_per_byte") ? "bytes"
                                            : !strcmp(m, "word_perplexity") ? "words" : "tokens";
    struct joined j;
    enum bb_status st = join(ta, tb, group_col(k), a->group, cols, nc, dflt, &j, err);
    if (st) {
        joined_free(&j);
        return st;
    }
    if (acc && filter >= 0) { /* keep the ambiguous (or disambiguated) items only */
        size_t w = 0;
        for (size_t i = 0; i < j.n; i++)
            if (j.ambig[i] == (filter == 1)) {
                j.x[0][0][w] = j.x[0][0][i], j.x[1][0][w] = j.x[1][0][i];
                w++;
            }
        j.n = w;
    }
    out->n_paired = (long)j.n;
    if (j.n < 3) {
        joined_free(&j);
        return BB_OK; /* the caller falls back */
    }
    struct bb_lm_bbq_item *items[2] = {NULL, NULL};
    if (k == LM_BBQ && !acc && !ece)
        for (int s = 0; s < 2; s++) {
            if (!(items[s] = malloc(j.n * sizeof *items[s]))) {
                st = bb_fail(err, BB_E_NOMEM, "out of memory");
                break;
            }
            for (size_t i = 0; i < j.n; i++)
                items[s][i] = (struct bb_lm_bbq_item){(int)j.x[s][0][i], (int)j.x[s][1][i],
                                                      (int)j.x[s][2][i], (int)j.x[s][3][i],
                                                      j.ambig[i]};
        }
    struct bb_bootstrap_opts bo = bb_bootstrap_opts_default();
    bo.replicates = o->replicates;
    bo.seed = o->seed;
    bo.level = 1 - o->alpha; /* the interval excludes 0 iff p < alpha */
    struct bb_paired r;
    if (!st && acc) {
        size_t b = 0, c = 0;
        for (size_t i = 0; i < j.n; i++) {
            bool ra = j.x[0][0][i] > 0.5, rb = j.x[1][0][i] > 0.5;
            b += ra && !rb;
            c += !ra && rb;
        }
        bb_compare_mcnemar(b, c, j.n, o->alpha, out); /* exact, with the CI it inverts */
    } else if (!st) {
        enum lm_kind sk = ece ? LM_CHOICE : k; /* LM_CHOICE's statistic is the ECE */
        struct sctx cb = {&j, 1, m, sk, items[1]}, ca = {&j, 0, m, sk, items[0]};
        struct bb_error e2 = {0};
        enum bb_status bs = bb_stats_paired_bootstrap(&j.n, 1, stat, &cb, stat, &ca, &bo, &r, &e2);
        if (bs == BB_E_NOMEM)
            st = bb_fail(err, bs, "%s", e2.msg);
        else if (bs) /* the statistic is undefined on these items: no test (caller falls back) */
            out->method = BB_CMP_NONE;
        else {
            bb_compare_boot_result(out, &r, BB_CMP_BOOTSTRAP, j.n);
            snprintf(out->note, sizeof out->note,
                     "paired bootstrap over %zu %s (%d replicates, %s recomputed on both sides)",
                     j.n,
                     k == LM_PAIRS       ? "pairs"
                     : k == LM_STEREOSET ? "contexts"
                     : k == LM_PPL       ? "texts"
                                         : "items",
                     r.replicates_used, m);
        }
    }
    free(items[0]);
    free(items[1]);
    joined_free(&j);
    return st;
}
