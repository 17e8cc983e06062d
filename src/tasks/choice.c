/* choice.c: the generic `multiple-choice` task for language models
 * (lm-evaluation-harness semantics). The task's prompt template, filled with
 * the row's mapped roles ({role}), is the context; each choice fills the
 * continuation template (default " {choice}") and is scored by its
 * log-likelihood. Choices come from the columns the task names (choices:
 * [a, b, c]) or from a list cell mapped to role `choices`; the gold answer
 * (role `label`) is a 0-based index or the text of a choice.
 *
 * Rows: accuracy (headline; argmax of the log-likelihood), acc_norm (argmax
 * of the log-likelihood per byte of the continuation) and ece (expected
 * calibration error, 10 equal-width bins, of the softmax over the choices'
 * log-likelihoods: confidence = the predicted choice's probability; ideal 0),
 * with bootstrap 95% CIs; per `group` role value when the dataset maps one.
 * Per item: item_id, label, pred, pred_norm, correct, correct_norm,
 * confidence, n_choices, ll_0 .. ll_<max-1>. */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/lmbias.h"
#include "model/model.h"

#define MAX_CHOICES 32

struct mc {
    size_t n, max_k;
    size_t *k;            /* choices per item */
    int *label, *pred, *pred_norm;
    double *ll;           /* (n, MAX_CHOICES) */
    double *conf;
    bool *correct;
    const char **grp;
};

static void mc_free(struct mc *m)
{
    free(m->k);
    free(m->label);
    free(m->pred);
    free(m->pred_norm);
    free(m->ll);
    free(m->conf);
    free(m->correct);
    free(m->grp);
}

struct mstat {
    const struct mc *m;
    const size_t *sel;
    int *buf;
    int which;
};

static double st_mc(const int *idx, size_t n, void *c)
{
    struct mstat *s = c;
    const int *ix = bb_task_map_idx(s->sel, idx, n, s->buf);
    if (s->which == 2)
        return bb_lm_ece(s->m->conf, s->m->correct, ix, n, 10);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        int p = s->which == 0 ? s->m->pred[ix[i]] : s->m->pred_norm[ix[i]];
        ok += p == s->m->label[ix[i]];
    }
    return n ? (double)ok / (double)n : NAN;
}

static enum bb_status emit_group(struct bb_task_ctx *ctx, const char *group, const size_t *sel,
                                 size_t n, void *data, struct bb_error *err)
{
    struct mstat s = {data, sel, malloc((n ? n : 1) * sizeof(int)), 0};
    if (!s.buf)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    static const char *const names[] = {"accuracy", "acc_norm", "ece"};
    enum bb_status st = BB_OK;
    for (int k = 0; k < 3 && !st; k++) {
        char purpose[300];
        s.which = k;
        struct bb_task_row r = bb_task_row_make(names[k], NAN, (long)n,
                                                k == 2 ? BB_DIR_LOWER : BB_DIR_HIGHER,
                                                BB_KIND_QUALITY);
        r.group = group;
        r.headline = !sel && k == 0;
        snprintf(purpose, sizeof purpose, "%s/%s", names[k], group ? group : "all");
        st = bb_task_emit_boot(ctx, &r, n, st_mc, &s, purpose, err);
    }
    free(s.buf);
    return st;
}

/* The row's choices into ch (at most MAX_CHOICES); *k how many. */
static enum bb_status row_choices(struct bb_task_ctx *ctx, const struct bb_table *t, size_t i,
                                  const char **ch, size_t *k, struct bb_error *err)
{
    const struct bb_suite_choice *cfg = &ctx->task->u.choice;
    *k = 0;
    if (cfg->choices.n) {
        for (size_t j = 0; j < cfg->choices.n && *k < MAX_CHOICES; j++) {
            int c = bb_table_col(t, cfg->choices.v[j]);
            const char *v = c >= 0 ? bb_table_get(t, i, c) : NULL;
            if (!v)
                return bb_fail(err, BB_E_INPUT, "%s:%ld: choice '%s' is missing", bb_table_path(t),
                               bb_table_line(t, i), cfg->choices.v[j]);
            ch[(*k)++] = v;
        }
    } else {
        int c = bb_table_col(t, "choices");
        size_t nl = 0;
        const char *const *l = c >= 0 ? bb_table_list(t, i, c, &nl) : NULL;
        for (size_t j = 0; l && j < nl && *k < MAX_CHOICES; j++)
            ch[(*k)++] = l[j];
    }
    if (*k < 2)
        return bb_fail(err, BB_E_INPUT, "%s:%ld: expected at least 2 choices, found %zu",
                       bb_table_path(t), bb_table_line(t, i), *k);
    return BB_OK;
}

static enum bb_status run(struct bb_task_ctx *ctx, const struct bb_table *t, struct mc *m,
                          struct bb_error *err)
{
    const struct bb_suite_dataset *ds = ctx->task->dataset;
    const struct bb_suite_choice *cfg = &ctx->task->u.choice;
    size_t n = bb_task_limit(ctx, bb_table_rows(t)), nr = ds->n_columns;
    int cl = bb_table_col(t, "label"), cg = bb_table_col(t, "group");
    const char **names = calloc(nr + 1, sizeof *names), **vals = calloc(nr + 1, sizeof *vals);
    char **prompts = calloc(n ? n : 1, sizeof *prompts), **conts = NULL;
    struct bb_loglik_request *req = NULL;
    struct bb_loglik_result *res = NULL;
    size_t m_req = 0;
    enum bb_status st = BB_OK;
    m->k = calloc(n ? n : 1, sizeof *m->k);
    m->label = calloc(n ? n : 1, sizeof *m->label);
    m->pred = calloc(n ? n : 1, sizeof *m->pred);
    m->pred_norm = calloc(n ? n : 1, sizeof *m->pred_norm);
    m->ll = calloc((n ? n : 1) * MAX_CHOICES, sizeof *m->ll);
    m->conf = calloc(n ? n : 1, sizeof *m->conf);
    m->correct = calloc(n ? n : 1, sizeof *m->correct);
    m->grp = calloc(n ? n : 1, sizeof *m->grp);
    conts = calloc((n ? n : 1) * MAX_CHOICES, sizeof *conts);
    req = malloc((n ? n : 1) * MAX_CHOICES * sizeof *req);
    if (!names || !vals || !prompts || !m->k || !m->label || !m->pred || !m->pred_norm || !m->ll ||
        !m->conf || !m->correct || !m->grp || !conts || !req) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu items", n);
        goto done;
    }
    if (!n) {
        st = bb_fail(err, BB_E_INPUT, "%s: no items", bb_table_path(t));
        goto done;
    }
    m->n = n;
    for (size_t r = 0; r < nr; r++)
        names[r + 1] = ds->columns[r].role;
    names[0] = "choice";
    for (size_t i = 0; i < n && !st; i++) {
        const char *ch[MAX_CHOICES];
        if ((st = row_choices(ctx, t, i, ch, &m->k[i], err)))
            break;
        for (size_t r = 0; r < nr; r++)
            vals[r + 1] = bb_table_get(t, i, bb_table_col(t, names[r + 1]));
        const char *lab = bb_table_get(t, i, cl);
        if (!lab) {
            st = bb_fail(err, BB_E_INPUT, "%s:%ld: the label is missing", bb_table_path(t),
                         bb_table_line(t, i));
            break;
        }
        char *end;
        long li = strtol(lab, &end, 10);
        m->label[i] = -1;
        if (end != lab && !*end && li >= 0 && (size_t)li < m->k[i])
            m->label[i] = (int)li;
        for (size_t j = 0; j < m->k[i] && m->label[i] < 0; j++)
            if (!strcmp(ch[j], lab))
                m->label[i] = (int)j;
        if (m->label[i] < 0) {
            st = bb_fail(err, BB_E_INPUT,
                         "%s:%ld: label '%s' is neither a choice index (0-%zu) nor "
                         "the text of a choice",
                         bb_table_path(t), bb_table_line(t, i), lab, m->k[i] - 1);
            break;
        }
        const char *g = cg >= 0 ? bb_table_get(t, i, cg) : NULL;
        m->grp[i] = g ? g : "";
        vals[0] = "";
        if (!(prompts[i] = bb_task_fill(cfg->prompt, names + 1, vals + 1, nr))) {
            st = bb_fail(err, BB_E_NOMEM, "out of memory");
            break;
        }
        for (size_t j = 0; j < m->k[i] && !st; j++) {
            vals[0] = ch[j];
            char *c = bb_task_fill(cfg->continuation, names, vals, nr + 1);
            if (!c || !*c) {
                free(c);
                st = c ? bb_fail(err, BB_E_INPUT, "%s:%ld: choice %zu gives an empty continuation",
                                 bb_table_path(t), bb_table_line(t, i), j)
                       : bb_fail(err, BB_E_NOMEM, "out of memory");
                break;
            }
            conts[m_req] = c;
            req[m_req++] = (struct bb_loglik_request){prompts[i], c};
        }
        if (m->k[i] > m->max_k)
            m->max_k = m->k[i];
    }
    if (!st)
        st = bb_task_require(ctx, BB_CAP_LOGLIK, err);
    if (!st && !(res = malloc(m_req * sizeof *res)))
        st = bb_fail(err, BB_E_NOMEM, "out of memory");
    if (!st)
        st = bb_task_loglik(ctx, req, m_req, res, err);
    for (size_t i = 0, q = 0; i < n && !st; i++) {
        double *ll = m->ll + i * MAX_CHOICES, p[MAX_CHOICES];
        size_t bytes[MAX_CHOICES];
        for (size_t j = 0; j < m->k[i]; j++, q++) {
            ll[j] = res[q].logprob;
            bytes[j] = strlen(conts[q]);
        }
        m->pred[i] = bb_lm_argmax(ll, m->k[i]);
        m->pred_norm[i] = bb_lm_argmax_norm(ll, bytes, m->k[i]);
        bb_lm_softmax(ll, m->k[i], p);
        m->conf[i] = p[m->pred[i]];
        m->correct[i] = m->pred[i] == m->label[i];
    }
done:
    for (size_t i = 0; prompts && i < n; i++)
        free(prompts[i]);
    for (size_t q = 0; conts && q < m_req; q++)
        free(conts[q]);
    free(prompts);
    free(conts);
    free(names);
    free(vals);
    free(req);
    free(res);
    return st;
}

static enum bb_status write_items(struct bb_task_ctx *ctx, const struct bb_table *t,
                                  const struct mc *m, struct bb_error *err)
{
    size_t nc = 8 + m->max_k;
    const char **cols = calloc(nc, sizeof *cols);
    char (*llnames)[24] = calloc(m->max_k ? m->max_k : 1, sizeof *llnames);
    struct bb_items *w = NULL;
    enum bb_status st = cols && llnames ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory");
    if (!st) {
        static const char *const head[] = {"item_id", "label", "pred", "pred_norm", "correct",
                                           "correct_norm", "confidence", "n_choices"};
        for (size_t c = 0; c < 8; c++)
            cols[c] = head[c];
        for (size_t j = 0; j < m->max_k; j++) {
            snprintf(llnames[j], sizeof llnames[j], "ll_%zu", j);
            cols[8 + j] = llnames[j];
        }
        st = bb_items_open(ctx, NULL, cols, nc, &w, err);
    }
    for (size_t i = 0; i < m->n && !st; i++) {
        char id[32];
        bb_items_str(w, bb_task_item_id(t, i, id, sizeof id));
        bb_items_int(w, m->label[i]);
        bb_items_int(w, m->pred[i]);
        bb_items_int(w, m->pred_norm[i]);
        bb_items_int(w, m->pred[i] == m->label[i]);
        bb_items_int(w, m->pred_norm[i] == m->label[i]);
        bb_items_num(w, m->conf[i]);
        bb_items_int(w, (long)m->k[i]);
        for (size_t j = 0; j < m->max_k; j++)
            bb_items_num(w, j < m->k[i] ? m->ll[i * MAX_CHOICES + j] : NAN);
        st = bb_items_end_row(w, err);
    }
    st = bb_items_finish(w, st, err);
    free(cols);
    free(llnames);
    return st;
}

enum bb_status bb_task_choice(struct bb_task_ctx *ctx, struct bb_error *err)
{
    struct bb_table *t = NULL;
    struct mc m = {0};
    enum bb_status st = bb_task_load_table(ctx, ctx->task->dataset, &t, err);
    if (!st)
        st = run(ctx, t, &m, err);
    if (!st)
        st = emit_group(ctx, NULL, NULL, m.n, &m, err);
    if (!st && bb_table_col(t, "group") >= 0)
        st = bb_task_each_group(ctx, m.grp, m.n, emit_group, &m, err);
    if (!st)
        st = write_items(ctx, t, &m, err);
    mc_free(&m);
    bb_table_free(t);
    return st;
}
