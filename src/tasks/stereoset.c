/* stereoset.c: the `stereoset` task (StereoSet intrasentence, Nadeem et al.
 * 2021) for language models. Each context comes with three full sentences
 * (stereotype, anti-stereotype, unrelated); each is scored by its
 * log-likelihood after the model's prefix token, divided by its token count
 * (normalization: token, the default, as the StereoSet authors score GPT-2)
 * or not (normalization: sum).
 *
 * Rows, overall (group "all") and per domain (gender, profession, race,
 * religion): ss (headline; 100 x share of contexts whose stereotype beats the
 * anti-stereotype; ideal 50; p_value: exact binomial test against 50), lms
 * (100 x share of the 2 comparisons per context in which the meaningful
 * sentence beats the unrelated one; ideal 100) and icat = lms x min(ss,
 * 100 - ss) / 50 (ideal 100), each with a bootstrap 95% CI over contexts.
 * average: contexts (default) pools the contexts; average: target averages
 * ss and lms per target term first, as the official evaluation script.
 * Per item: item_id, domain, target, the three sentences, their scores,
 * pro (1 when stereotype > anti-stereotype) and related (0-2). */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/lmbias.h"
#include "model/model.h"

struct ss_data {
    size_t n, n_targets;
    const char **sent;   /* (n, 3): stereotype, anti, unrelated */
    const char **domain, **target;
    size_t *row;         /* table row of each context */
    int *tid;            /* target index */
    double *score;       /* (3, n): stereotype scores, then anti, then unrelated */
    bool macro;
};

struct ss_stat {
    const struct ss_data *d;
    const size_t *sel;
    int *buf;
    int which; /* 0 ss, 1 lms, 2 icat */
};

static double st_ss(const int *idx, size_t n, void *c)
{
    struct ss_stat *s = c;
    const struct ss_data *d = s->d;
    const int *ix = bb_task_map_idx(s->sel, idx, n, s->buf);
    struct bb_lm_ss r = d->macro ? bb_lm_stereoset_macro(d->score, d->score + d->n,
                                                         d->score + 2 * d->n, d->tid, d->n_targets,
                                                         ix, n)
                                 : bb_lm_stereoset(d->score, d->score + d->n, d->score + 2 * d->n,
                                                   ix, n);
    return s->which == 0 ? r.ss : s->which == 1 ? r.lms : r.icat;
}

static enum bb_status emit_group(struct bb_task_ctx *ctx, const char *group, const size_t *sel,
                                 size_t m, void *data, struct bb_error *err)
{
    const struct ss_data *d = data;
    struct ss_stat s = {d, sel, malloc((m ? m : 1) * sizeof(int)), 0};
    if (!s.buf)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    long pro = 0;
    for (size_t i = 0; i < m; i++) {
        size_t j = sel ? sel[i] : i;
        pro += d->score[j] > d->score[d->n + j];
    }
    static const char *const names[] = {"ss", "lms", "icat"};
    static const enum bb_direction dirs[] = {BB_DIR_NONE, BB_DIR_HIGHER, BB_DIR_HIGHER};
    enum bb_status st = BB_OK;
    for (int k = 0; k < 3 && !st; k++) {
        char purpose[300];
        s.which = k;
        struct bb_task_row r = bb_task_row_make(names[k], NAN, (long)m, dirs[k],
                                                k == 1 ? BB_KIND_QUALITY : BB_KIND_BIAS);
        r.group = group;
        r.headline = !sel && k == 0;
        if (k == 0)
            r.p_value = bb_lm_binom_test(pro, (long)m, 0.5);
        snprintf(purpose, sizeof purpose, "%s/%s", names[k], group ? group : "all");
        st = bb_task_emit_boot(ctx, &r, m, st_ss, &s, purpose, err);
    }
    free(s.buf);
    return st;
}

static enum bb_status read_data(struct bb_task_ctx *ctx, const struct bb_table *t,
                                struct ss_data *d, struct bb_error *err)
{
    static const char *const roles[] = {"stereotype", "anti_stereotype", "unrelated"};
    int cs[3], cd, ct, ck;
    enum bb_status st;
    for (int k = 0; k < 3; k++)
        if ((st = bb_table_require_col(t, roles[k], &cs[k], err)))
            return st;
    if ((st = bb_table_require_col(t, "domain", &cd, err)))
        return st;
    ct = bb_table_col(t, "target");
    ck = bb_table_col(t, "kind");
    size_t rows = bb_table_rows(t), lim = ctx->limit > 0 ? (size_t)ctx->limit : rows;
    d->sent = malloc(3 * (rows ? rows : 1) * sizeof *d->sent);
    d->domain = malloc((rows ? rows : 1) * sizeof *d->domain);
    d->target = malloc((rows ? rows : 1) * sizeof *d->target);
    d->row = malloc((rows ? rows : 1) * sizeof *d->row);
    d->tid = malloc((rows ? rows : 1) * sizeof *d->tid);
    if (!d->sent || !d->domain || !d->target || !d->row || !d->tid)
        return bb_fail(err, BB_E_NOMEM, "out of memory for %zu contexts", rows);
    for (size_t i = 0; i < rows && d->n < lim; i++) {
        if (ck >= 0) { /* intersentence rows of a mixed file are left out */
            const char *kind = bb_table_get(t, i, ck);
            if (kind && strcmp(kind, "intrasentence") != 0)
                continue;
        }
        size_t j = d->n;
        for (int k = 0; k < 3; k++) {
            const char *v = bb_table_get(t, i, cs[k]);
            if (!v || !*v)
                return bb_fail(err, BB_E_INPUT, "%s:%ld: the %s sentence (role '%s') is missing",
                               bb_table_path(t), bb_table_line(t, i), roles[k], roles[k]);
            d->sent[3 * j + (size_t)k] = v;
        }
        const char *dom = bb_table_get(t, i, cd), *tg = ct >= 0 ? bb_table_get(t, i, ct) : NULL;
        if (!dom || !*dom)
            return bb_fail(err, BB_E_INPUT, "%s:%ld: the domain (role 'domain') is missing",
                           bb_table_path(t), bb_table_line(t, i));
        d->domain[j] = dom;
        d->target[j] = tg ? tg : "";
        d->row[j] = i;
        d->tid[j] = -1;
        for (size_t q = 0; q < j && d->tid[j] < 0; q++)
            if (!strcmp(d->target[q], d->target[j]))
                d->tid[j] = d->tid[q];
        if (d->tid[j] < 0)
            d->tid[j] = (int)d->n_targets++;
        d->n++;
    }
    if (!d->n)
        return bb_fail(err, BB_E_INPUT, "%s: no intrasentence contexts", bb_table_path(t));
    return BB_OK;
}

static enum bb_status score(struct bb_task_ctx *ctx, struct ss_data *d, struct bb_error *err)
{
    size_t n = d->n, m = 3 * n;
    struct bb_loglik_request *req = malloc(m * sizeof *req);
    struct bb_loglik_result *res = malloc(m * sizeof *res);
    d->score = malloc(m * sizeof *d->score);
    enum bb_status st = BB_OK;
    if (!req || !res || !d->score)
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu requests", m);
    for (size_t k = 0; k < m && !st; k++)
        req[k] = (struct bb_loglik_request){"", d->sent[k]};
    if (!st)
        st = bb_task_loglik(ctx, req, m, res, err);
    for (size_t j = 0; j < n && !st; j++)
        for (size_t k = 0; k < 3; k++) {
            const struct bb_loglik_result *r = &res[3 * j + k];
            d->score[k * n + j] = ctx->task->u.stereoset.sum || r->n_tokens <= 0
                                      ? r->logprob : r->logprob / r->n_tokens;
        }
    free(req);
    free(res);
    return st;
}

static enum bb_status write_items(struct bb_task_ctx *ctx, const struct bb_table *t,
                                  const struct ss_data *d, struct bb_error *err)
{
    static const char *const cols[] = {
        "item_id",         "domain",    "target",           "stereotype",
        "anti_stereotype", "unrelated", "score_stereotype", "score_anti_stereotype",
        "score_unrelated", "pro",       "related"};
    struct bb_items *w = NULL;
    char id[32];
    size_t n = d->n;
    enum bb_status st = bb_items_open(ctx, NULL, cols, sizeof cols / sizeof *cols, &w, err);
    for (size_t j = 0; j < n && !st; j++) {
        double s = d->score[j], a = d->score[n + j], u = d->score[2 * n + j];
        bb_items_str(w, bb_task_item_id(t, d->row[j], id, sizeof id));
        bb_items_str(w, d->domain[j]);
        bb_items_str(w, d->target[j]);
        for (int k = 0; k < 3; k++)
            bb_items_str(w, d->sent[3 * j + (size_t)k]);
        bb_items_num(w, s);
        bb_items_num(w, a);
        bb_items_num(w, u);
        bb_items_int(w, s > a);
        bb_items_int(w, (s > u) + (a > u));
        st = bb_items_end_row(w, err);
    }
    st = bb_items_finish(w, st, err);
    return st;
}

enum bb_status bb_task_stereoset(struct bb_task_ctx *ctx, struct bb_error *err)
{
    struct bb_table *t = NULL;
    struct ss_data d = {.macro = ctx->task->u.stereoset.macro};
    enum bb_status st = bb_task_load_table(ctx, ctx->task->dataset, &t, err);
    if (!st)
        st = read_data(ctx, t, &d, err);
    if (!st)
        st = bb_task_require(ctx, BB_CAP_LOGLIK, err);
    if (!st)
        st = score(ctx, &d, err);
    if (!st)
        st = emit_group(ctx, NULL, NULL, d.n, &d, err);
    if (!st)
        st = bb_task_each_group(ctx, d.domain, d.n, emit_group, &d, err);
    if (!st)
        st = write_items(ctx, t, &d, err);
    free(d.sent);
    free(d.domain);
    free(d.target);
    free(d.row);
    free(d.tid);
    free(d.score);
    bb_table_free(t);
    return st;
}
