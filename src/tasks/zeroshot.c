/* zeroshot.c: the `zero-shot-classification` task for encoders. Each label
 * is described by one or more prompts; its embedding is the normalised mean
 * of the normalised prompt embeddings; a text is assigned the label with the
 * largest cosine. Rows: accuracy (headline) and macro-F1 with bootstrap 95%
 * CIs; per class (group = label name) precision, recall, F1 and support;
 * the confusion matrix as rows metric=confusion, group "gold->pred",
 * value = count (n = the gold class's size); ece (expected calibration error,
 * 10 equal-width bins, of the confidence: the predicted label's probability,
 * softmax over cosines / BB_LABEL_TEMPERATURE, or over log-likelihoods for a
 * language model), with a bootstrap CI; per group accuracy when the dataset
 * maps a `group` role. Per item: item_id, text, gold, pred, correct,
 * confidence, one cosine column per label (cos_<label>) and prob_<positive label> (softmax
 * over cosines / BB_LABEL_TEMPERATURE) when the task names positive_label.
 *
 * Language models (a model that scores text but does not embed): the task's
 * template with {text} filled is the context and each label's verbalizer the
 * continuation; the predicted label is the one whose verbalizer is most
 * likely. The rows are the same; the per-item columns are ll_<label> (the
 * verbalizer's log-likelihood, nats) instead of cos_<label>, and
 * prob_<positive> is the softmax over those log-likelihoods (temperature 1). */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "metrics/classify.h"
#include "metrics/lmbias.h"
#include "model/model.h"

struct zs_data {
    const int *gold, *pred; /* (n) label indices */
    size_t n_labels;
    int cls;                /* class for precision/recall/F1 */
    const size_t *sel;      /* item subset, NULL = all */
    long *tp, *fp, *fn;     /* scratch (n_labels) */
    const double *conf;     /* (n) the predicted label's probability */
    const bool *right;      /* (n) */
};

static size_t item(const struct zs_data *d, int i)
{
    return d->sel ? d->sel[i] : (size_t)i;
}

static double stat_accuracy(const int *idx, size_t n, void *ctx)
{
    struct zs_data *d = ctx;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = item(d, idx[i]);
        ok += d->gold[k] == d->pred[k];
    }
    return n ? (double)ok / (double)n : NAN;
}

static double stat_ece(const int *idx, size_t n, void *ctx)
{
    const struct zs_data *d = ctx;
    return bb_lm_ece(d->conf, d->right, idx, n, 10);
}

static void count(const int *idx, size_t n, struct zs_data *d)
{
    bb_class_counts(d->gold, d->pred, d->sel, idx, n, d->n_labels, d->tp, d->fp, d->fn);
}

static double stat_macro_f1(const int *idx, size_t n, void *ctx)
{
    struct zs_data *d = ctx;
    count(idx, n, d);
    return bb_class_macro_f1(d->tp, d->fp, d->fn, d->n_labels);
}

static double stat_precision(const int *idx, size_t n, void *ctx)
{
    struct zs_data *d = ctx;
    count(idx, n, d);
    return bb_class_precision(d->tp[d->cls], d->fp[d->cls]);
}

static double stat_recall(const int *idx, size_t n, void *ctx)
{
    struct zs_data *d = ctx;
    count(idx, n, d);
    return bb_class_recall(d->tp[d->cls], d->fn[d->cls]);
}

static double stat_f1(const int *idx, size_t n, void *ctx)
{
    struct zs_data *d = ctx;
    count(idx, n, d);
    return bb_class_f1(d->tp[d->cls], d->fp[d->cls], d->fn[d->cls]);
}

static enum bb_status emit(struct bb_task_ctx *ctx, struct zs_data *d, const char *metric,
                           const char *group, size_t n, bb_stat_fn fn, bool headline,
                           struct bb_error *err)
{
    char purpose[300];
    struct bb_task_row r = bb_task_row_make(metric, NAN, (long)n, BB_DIR_HIGHER, BB_KIND_QUALITY);
    r.group = group;
    r.headline = headline;
    snprintf(purpose, sizeof purpose, "%s/%s", metric, group ? group : "all");
    return bb_task_emit_boot(ctx, &r, n, fn, d, purpose, err);
}

/* Per class precision/recall/F1/support, then the confusion matrix. */
static enum bb_status emit_classes(struct bb_task_ctx *ctx, struct zs_data *d, size_t n,
                                   struct bb_error *err)
{
    const struct bb_suite_labels *L = &ctx->task->u.zero_shot.labels;
    enum bb_status st = BB_OK;
    long *conf = calloc(d->n_labels * d->n_labels, sizeof *conf); // (gold, pred)
    if (!conf)
        return bb_fail(err, BB_E_NOMEM, "out of memory for a confusion matrix");
    for (size_t i = 0; i < n; i++)
        conf[(size_t)d->gold[i] * d->n_labels + (size_t)d->pred[i]]++;
    for (size_t l = 0; l < d->n_labels && !st; l++) {
        long support = 0;
        for (size_t p = 0; p < d->n_labels; p++)
            support += conf[l * d->n_labels + p];
        d->cls = (int)l;
        const char *g = L->v[l].name;
        st = emit(ctx, d, "precision", g, n, stat_precision, false, err);
        if (!st)
            st = emit(ctx, d, "recall", g, n, stat_recall, false, err);
        if (!st)
            st = emit(ctx, d, "f1", g, n, stat_f1, false, err);
        if (!st) {
            struct bb_task_row r =
                bb_task_row_make("support", (double)support, (long)n, BB_DIR_NONE, BB_KIND_QUALITY);
            r.group = g;
            st = bb_task_emit(ctx, &r, err);
        }
    }
    for (size_t gl = 0; gl < d->n_labels && !st; gl++) {
        long support = 0;
        for (size_t p = 0; p < d->n_labels; p++)
            support += conf[gl * d->n_labels + p];
        for (size_t p = 0; p < d->n_labels && !st; p++) {
            char grp[512];
            snprintf(grp, sizeof grp, "%s->%s", L->v[gl].name, L->v[p].name);
            struct bb_task_row r = bb_task_row_make("confusion", (double)conf[gl * d->n_labels + p],
                                                    support, BB_DIR_NONE, BB_KIND_QUALITY);
            r.group = grp;
            st = bb_task_emit(ctx, &r, err);
        }
    }
    free(conf);
    return st;
}

/* Accuracy over one value of the dataset's `group` column. */
static enum bb_status emit_group(struct bb_task_ctx *ctx, const char *group, const size_t *sel,
                                 size_t m, void *data, struct bb_error *err)
{
    struct zs_data *d = data;
    d->sel = sel;
    enum bb_status st = emit(ctx, d, "accuracy", group, m, stat_accuracy, false, err);
    d->sel = NULL;
    return st;
}

/* Gold label index of each row; a value that is no label's is an error. */
static enum bb_status read_gold(struct bb_task_ctx *ctx, const struct bb_table *t, int ct, int cl,
                                size_t n, const char **texts, int *gold, struct bb_error *err)
{
    const struct bb_suite_labels *L = &ctx->task->u.zero_shot.labels;
    for (size_t i = 0; i < n; i++) {
        texts[i] = bb_table_get(t, i, ct);
        const char *v = bb_table_get(t, i, cl);
        if (!texts[i] || !v)
            return bb_fail(err, BB_E_INPUT, "%s:%ld: the %s is missing", bb_table_path(t),
                           bb_table_line(t, i), texts[i] ? "label" : "text");
        gold[i] = -1;
        for (size_t l = 0; l < L->n && gold[i] < 0; l++)
            if (!strcmp(v, L->v[l].value ? L->v[l].value : L->v[l].name))
                gold[i] = (int)l;
        if (gold[i] < 0) {
            char pos[512];
            bb_suite_pos_str(ctx->task->pos, pos, sizeof pos);
            return bb_fail(err, BB_E_INPUT,
                           "%s:%ld: label '%s' is not the value of any label of task '%s' (%s); "
                           "give it a label with value: '%s'",
                           bb_table_path(t), bb_table_line(t, i), v, ctx->task->id, pos, v);
        }
    }
    return BB_OK;
}

/* "<prefix><label>" as a new string in *name, also put in *col. */
static enum bb_status column_name(char **name, const char *prefix, const char *label,
                                  const char **col, struct bb_error *err)
{
    size_t len = strlen(prefix) + strlen(label) + 1;
    *name = malloc(len);
    if (!*name)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    snprintf(*name, len, "%s%s", prefix, label);
    *col = *name;
    return BB_OK;
}

static enum bb_status write_items(struct bb_task_ctx *ctx, const struct bb_table *t, int cg,
                                  const char **texts, const int *gold, const int *pred,
                                  const double *cos, const double *conf, size_t n, bool lm,
                                  struct bb_error *err)
{
    const struct bb_suite_zero_shot *z = &ctx->task->u.zero_shot;
    size_t L = z->labels.n, nc = 0;
    const char **cols = calloc(9 + L, sizeof *cols);
    char **names = calloc(L + 1, sizeof *names);
    struct bb_items *w = NULL;
    enum bb_status st = BB_OK;
    char id[32];
    double *probs = malloc(L * sizeof *probs);
    if (!cols || !names || !probs) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory writing per-item rows");
        goto done;
    }
    cols[nc++] = "item_id", cols[nc++] = "text", cols[nc++] = "gold", cols[nc++] = "pred";
    cols[nc++] = "correct", cols[nc++] = "confidence";
    for (size_t l = 0; l < L && !st; l++)
        st = column_name(&names[l], lm ? "ll_" : "cos_", z->labels.v[l].name, &cols[nc++], err);
    if (!st && z->has_positive_label)
        st = column_name(&names[L], "prob_", z->labels.v[z->positive_label].name, &cols[nc++], err);
    if (!st && cg >= 0)
        cols[nc++] = "group";
    if (!st)
        st = bb_items_open(ctx, NULL, cols, nc, &w, err);
    for (size_t i = 0; i < n && !st; i++) {
        bb_items_str(w, bb_task_item_id(t, i, id, sizeof id));
        bb_items_str(w, texts[i]);
        bb_items_str(w, z->labels.v[gold[i]].name);
        bb_items_str(w, z->labels.v[pred[i]].name);
        bb_items_int(w, gold[i] == pred[i]);
        bb_items_num(w, conf[i]);
        for (size_t l = 0; l < L; l++)
            bb_items_num(w, cos[i * L + l]);
        if (z->has_positive_label) {
            bb_vec_softmax(cos + i * L, L, lm ? 1.0 : BB_LABEL_TEMPERATURE, probs);
            bb_items_num(w, probs[z->positive_label]);
        }
        if (cg >= 0)
            bb_items_str(w, bb_table_get(t, i, cg));
        st = bb_items_end_row(w, err);
    }
    st = bb_items_finish(w, st, err);
done:
    for (size_t l = 0; names && l <= L; l++)
        free(names[l]);
    free(names);
    free(cols);
    free(probs);
    return st;
}

enum bb_status bb_task_zeroshot(struct bb_task_ctx *ctx, struct bb_error *err)
{
    const struct bb_suite_labels *L = &ctx->task->u.zero_shot.labels;
    struct bb_table *t = NULL;
    const char **texts = NULL, **grp = NULL;
    int *gold = NULL, *pred = NULL, ct, cl, cg;
    double *cos = NULL, *conf = NULL, *probs = NULL;
    bool *right = NULL;
    float *emb = NULL, *lab = NULL;
    long *scratch = NULL;
    enum bb_status st = bb_task_load_table(ctx, ctx->task->dataset, &t, err);
    if (st)
        return st;
    if ((st = bb_table_require_col(t, "text", &ct, err)) ||
        (st = bb_table_require_col(t, "label", &cl, err)))
        goto done;
    cg = bb_table_col(t, "group");
    size_t n = bb_task_limit(ctx, bb_table_rows(t)), nl = L->n;
    bool lm = !(bb_model_caps(ctx->model) & BB_CAP_EMBED);
    int dim = lm ? 1 : bb_task_dim(ctx);
    if (n == 0) {
        st = bb_fail(err, BB_E_INPUT, "%s: no rows to classify", bb_table_path(t));
        goto done;
    }
    texts = malloc(n * sizeof *texts);
    grp = malloc(n * sizeof *grp);
    gold = malloc(n * sizeof *gold);
    pred = malloc(n * sizeof *pred);
    cos = malloc(n * nl * sizeof *cos); // (n, labels)
    emb = malloc(n * (size_t)dim * sizeof *emb); // (n, dim)
    lab = malloc(nl * (size_t)dim * sizeof *lab); // (labels, dim)
    scratch = malloc(3 * nl * sizeof *scratch);
    conf = malloc(n * sizeof *conf);
    right = malloc(n * sizeof *right);
    probs = malloc(nl * sizeof *probs);
    if (!texts || !grp || !gold || !pred || !cos || !emb || !lab || !scratch || !conf || !right ||
        !probs) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu texts", n);
        goto done;
    }
    if ((st = read_gold(ctx, t, ct, cl, n, texts, gold, err)))
        goto done;
    if (lm) { /* a language model: verbalizer log-likelihoods after the template */
        const char *tpl = ctx->task->u.zero_shot.template;
        char pos[512];
        if (!tpl && bb_model_caps(ctx->model) & BB_CAP_LOGLIK) {
            st = bb_fail(err, BB_E_INPUT, "%s: task '%s': model '%s' is a %s; give the task a "
                         "template with {text} and each label a verbalizer",
                         bb_task_pos(ctx, pos, sizeof pos), ctx->task->id, ctx->model_id,
                         bb_model_kind(ctx->model));
            goto done;
        }
        if ((st = bb_task_require(ctx, BB_CAP_LOGLIK, err)) ||
            (st = bb_task_lm_label_scores(ctx, tpl, L, texts, n, cos, err)))
            goto done;
    } else {
        for (size_t l = 0; l < nl; l++)
            if (!L->v[l].prompts.n) {
                char pos[512];
                st = bb_fail(err, BB_E_INPUT, "%s: task '%s': label '%s' has no prompts, which "
                             "sentence encoder '%s' needs (verbalizers are for language models)",
                             bb_task_pos(ctx, pos, sizeof pos), ctx->task->id, L->v[l].name,
                             ctx->model_id);
                goto done;
            }
        if ((st = bb_task_label_embeddings(ctx, L, lab, err)) ||
            (st = bb_task_embed(ctx, texts, n, emb, err)))
            goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!lm)
            bb_vec_cosines(emb + i * (size_t)dim, lab, nl, dim, cos + i * nl);
        pred[i] = (int)bb_vec_argmax(cos + i * nl, nl);
        bb_vec_softmax(cos + i * nl, nl, lm ? 1.0 : BB_LABEL_TEMPERATURE, probs);
        conf[i] = probs[pred[i]];
        right[i] = pred[i] == gold[i];
        const char *g = cg >= 0 ? bb_table_get(t, i, cg) : NULL;
        grp[i] = g ? g : "";
    }
    struct zs_data d = {.gold = gold, .pred = pred, .n_labels = nl,
                        .tp = scratch, .fp = scratch + nl, .fn = scratch + 2 * nl,
                        .conf = conf, .right = right};
    st = emit(ctx, &d, "accuracy", NULL, n, stat_accuracy, true, err);
    if (!st)
        st = emit(ctx, &d, "macro_f1", NULL, n, stat_macro_f1, false, err);
    if (!st) {
        struct bb_task_row r = bb_task_row_make("ece", NAN, (long)n, BB_DIR_LOWER, BB_KIND_QUALITY);
        st = bb_task_emit_boot(ctx, &r, n, stat_ece, &d, "ece/all", err);
    }
    if (!st)
        st = emit_classes(ctx, &d, n, err);
    if (!st && cg >= 0)
        st = bb_task_each_group(ctx, grp, n, emit_group, &d, err); /* sorted groups */
    if (!st)
        st = write_items(ctx, t, cg, texts, gold, pred, cos, conf, n, lm, err);
done:
    bb_table_free(t);
    free(texts);
    free(grp);
    free(gold);
    free(pred);
    free(cos);
    free(conf);
    free(right);
    free(probs);
    free(emb);
    free(lab);
    free(scratch);
    return st;
}
