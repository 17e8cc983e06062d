/* probe.c: the `linear-probe` task (transfer learning) for sentence encoders
 * and language models (whose text vector is the mean over the text's tokens
 * of the final hidden state after the last norm: BB_CAP_POOL), following
 * MTEB's classification protocol (AbsTaskClassification with the logReg
 * evaluator): `experiments` runs (MTEB: 10); before each, the train
 * rows' index list is shuffled again (the permutation carries over between
 * runs, as MTEB's idxs does) and the first `samples_per_label` rows of each
 * label in that order are kept (MTEB: 8; 0 keeps every row); a multinomial
 * L2 logistic regression (src/metrics/logreg.h: C = `c`, max_iter, tol 1e-4,
 * as scikit-learn's LogisticRegression in MTEB) is fitted on their frozen,
 * L2-normalised embeddings and predicts every test row. The main score is
 * the accuracy averaged over experiments (MTEB's main_score), with macro-F1
 * beside it. The shuffle uses this project's seeded generator, not numpy's,
 * so the samples differ from MTEB's and single runs are not bit-comparable;
 * the mean over 10 experiments is what compares.
 *
 * Rows: accuracy (headline) and macro_f1, each the mean over experiments with
 * a bootstrap 95% CI over test items (a replicate resamples the test items
 * and averages the experiments' scores on them); accuracy_sd and
 * macro_f1_sd (sample standard deviation over experiments); ece (expected
 * calibration error of the regression's softmax confidence, 10 equal-width
 * bins as the multiple-choice task's, mean over experiments, bootstrap CI
 * over test items); train_size (rows per experiment). Per item: item_id,
 * text, label, correct (fraction of experiments that got it right),
 * prediction, confidence (its probability) and correct_first (0/1), the last
 * three of the first experiment (the report's reliability diagram). */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "metrics/lmbias.h"
#include "metrics/logreg.h"
#include "metrics/rng.h"
#include "model/model.h"

/* The labels of the train rows a (na) and the test rows b (nb) as class ids
 * ya, yb into their distinct values, sorted (*names, borrowed; *m of them). */
static enum bb_status label_set(const char *const *a, size_t na, const char *const *b, size_t nb,
                                int *ya, int *yb, const char ***names, size_t *m,
                                struct bb_error *err)
{
    size_t n = na + nb;
    const char **all = malloc((n ? n : 1) * sizeof *all);
    int *ids = malloc((n ? n : 1) * sizeof *ids);
    *names = malloc((n ? n : 1) * sizeof **names);
    enum bb_status st = all && ids && *names
                            ? BB_OK
                            : bb_fail(err, BB_E_NOMEM, "out of memory for %zu labels", n);
    if (!st) {
        memcpy(all, a, na * sizeof *all);
        memcpy(all + na, b, nb * sizeof *all);
        st = bb_task_label_ids(all, n, ids, *names, m, err);
    }
    if (!st) {
        memcpy(ya, ids, na * sizeof *ya);
        memcpy(yb, ids + na, nb * sizeof *yb);
    }
    free(all);
    free(ids);
    return st;
}

struct probe_stat {
    const int *gold; /* (n_test) */
    const int *pred; /* (E, n_test) */
    size_t n_test, E;
    int k;
    int *pidx;          /* scratch (n_test): replicate indices */
    long *scratch;      /* (3k) */
    const double *conf; /* (E, n_test): confidence of the prediction */
    const bool *right;  /* (E, n_test) */
};

static double stat_ece(const int *idx, size_t n, void *ctx)
{
    const struct probe_stat *d = ctx;
    double s = 0;
    for (size_t e = 0; e < d->E; e++)
        s += bb_lm_ece(d->conf + e * d->n_test, d->right + e * d->n_test, idx, n, 10);
    return n ? s / (double)d->E : NAN;
}

static double stat_acc(const int *idx, size_t n, void *ctx)
{
    const struct probe_stat *d = ctx;
    double s = 0;
    for (size_t e = 0; e < d->E; e++) {
        const int *p = d->pred + e * d->n_test;
        size_t ok = 0;
        for (size_t i = 0; i < n; i++)
            ok += p[idx[i]] == d->gold[idx[i]];
        s += (double)ok / (double)n;
    }
    return n ? s / (double)d->E : NAN;
}

static double stat_f1(const int *idx, size_t n, void *ctx)
{
    const struct probe_stat *d = ctx;
    double s = 0;
    for (size_t e = 0; e < d->E; e++) {
        double f = bb_macro_f1(d->gold, d->pred + e * d->n_test, idx, n, d->k, d->scratch);
        if (isnan(f))
            return NAN;
        s += f;
    }
    return s / (double)d->E;
}

static enum bb_status read_rows(struct bb_table *t, size_t n, const char **text, const char **label,
                                struct bb_error *err)
{
    int ct, cl;
    enum bb_status st;
    if ((st = bb_table_require_col(t, "text", &ct, err)) ||
        (st = bb_table_require_col(t, "label", &cl, err)))
        return st;
    for (size_t i = 0; i < n; i++) {
        text[i] = bb_table_get(t, i, ct);
        label[i] = bb_table_get(t, i, cl);
        if (!text[i] || !label[i])
            return bb_fail(err, BB_E_INPUT, "%s:%ld: the text or the label is missing",
                           bb_table_path(t), bb_table_line(t, i));
    }
    return BB_OK;
}

enum bb_status bb_task_linear_probe(struct bb_task_ctx *ctx, struct bb_error *err)
{
    const struct bb_suite_linear_probe *lp = &ctx->task->u.linear_probe;
    struct bb_table *tr = NULL, *te = NULL;
    const char **trt = NULL, **trl = NULL, **tet = NULL, **tel = NULL, **names = NULL;
    const char **etexts = NULL;
    int *ytr = NULL, *yte = NULL, *perm = NULL, *pred = NULL, *ysel = NULL, *pidx = NULL;
    size_t *chosen = NULL, *slot = NULL, *count = NULL;
    float *emb = NULL, *xsel = NULL;
    double *acc = NULL, *f1 = NULL, *conf = NULL;
    bool *right = NULL;
    long *scratch = NULL;
    /* a sentence encoder's embeddings, or a language model's mean-pooled hidden states */
    unsigned need = bb_model_caps(ctx->model) & BB_CAP_POOL ? BB_CAP_POOL : BB_CAP_EMBED;
    enum bb_status st = bb_task_require(ctx, need, err);
    if (st || (st = bb_task_load_table(ctx, lp->train, &tr, err)) ||
        (st = bb_task_load_table(ctx, ctx->task->dataset, &te, err)))
        goto done;
    size_t ntr = bb_table_rows(tr), nte = bb_task_limit(ctx, bb_table_rows(te));
    size_t E = (size_t)lp->experiments, k = 0;
    int dim = bb_task_dim(ctx);
    trt = malloc((ntr ? ntr : 1) * sizeof *trt);
    trl = malloc((ntr ? ntr : 1) * sizeof *trl);
    tet = malloc((nte ? nte : 1) * sizeof *tet);
    tel = malloc((nte ? nte : 1) * sizeof *tel);
    ytr = malloc((ntr ? ntr : 1) * sizeof *ytr);
    yte = malloc((nte ? nte : 1) * sizeof *yte);
    if (!trt || !trl || !tet || !tel || !ytr || !yte) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu + %zu rows", ntr, nte);
        goto done;
    }
    if ((st = read_rows(tr, ntr, trt, trl, err)) || (st = read_rows(te, nte, tet, tel, err)) ||
        (st = label_set(trl, ntr, tel, nte, ytr, yte, &names, &k, err)))
        goto done;
    if (ntr < 2 || nte < 2 || k < 2) {
        st = bb_fail(err, BB_E_INPUT,
                     "%s: %zu train and %zu test rows with %zu label(s); a "
                     "linear-probe task needs at least 2 of each",
                     bb_table_path(te), ntr, nte, k);
        goto done;
    }
    perm = malloc(ntr * sizeof *perm);
    chosen = malloc(E * ntr * sizeof *chosen); /* per experiment, its train rows */
    size_t *n_chosen = NULL;
    count = calloc(k, sizeof *count);
    slot = malloc(ntr * sizeof *slot);
    if (!perm || !chosen || !count || !slot ||
        !(n_chosen = calloc(E, sizeof *n_chosen))) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu train rows", ntr);
        free(n_chosen);
        goto done;
    }
    /* MTEB's undersampling: reshuffle the same index list before each experiment */
    struct bb_rng rng;
    bb_rng_seed(&rng, bb_task_subseed(ctx, "undersample"));
    for (size_t i = 0; i < ntr; i++)
        perm[i] = (int)i, slot[i] = (size_t)-1;
    size_t n_embed = 0;
    for (size_t e = 0; e < E; e++) {
        bb_rng_shuffle(&rng, perm, ntr);
        memset(count, 0, k * sizeof *count);
        for (size_t i = 0; i < ntr; i++) {
            size_t r = (size_t)perm[i];
            if (lp->samples_per_label && count[ytr[r]] >= (size_t)lp->samples_per_label)
                continue;
            count[ytr[r]]++;
            chosen[e * ntr + n_chosen[e]++] = r;
            if (slot[r] == (size_t)-1)
                slot[r] = n_embed++;
        }
    }
    /* embed the train rows any experiment uses, then the test rows */
    etexts = malloc((n_embed + nte) * sizeof *etexts);
    emb = malloc((n_embed + nte) * (size_t)dim * sizeof *emb);
    size_t maxc = 0;
    for (size_t e = 0; e < E; e++)
        maxc = n_chosen[e] > maxc ? n_chosen[e] : maxc;
    xsel = malloc(maxc * (size_t)dim * sizeof *xsel);
    ysel = malloc(maxc * sizeof *ysel);
    pred = malloc(E * nte * sizeof *pred);
    acc = malloc(E * sizeof *acc);
    f1 = malloc(E * sizeof *f1);
    scratch = malloc(3 * k * sizeof *scratch);
    pidx = malloc(nte * sizeof *pidx);
    conf = malloc(E * nte * sizeof *conf);
    right = malloc(E * nte * sizeof *right);
    if (!etexts || !emb || !xsel || !ysel || !pred || !acc || !f1 || !scratch || !pidx || !conf ||
        !right) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu embeddings", n_embed + nte);
        free(n_chosen);
        goto done;
    }
    for (size_t r = 0; r < ntr; r++)
        if (slot[r] != (size_t)-1)
            etexts[slot[r]] = trt[r];
    for (size_t i = 0; i < nte; i++)
        etexts[n_embed + i] = tet[i];
    if ((st = bb_task_embed(ctx, etexts, n_embed + nte, emb, err))) {
        free(n_chosen);
        goto done;
    }
    const float *xte = emb + n_embed * (size_t)dim;
    struct bb_logreg_opts lo = bb_logreg_opts_default();
    lo.C = lp->c;
    lo.max_iter = (int)lp->max_iter;
    for (size_t e = 0; e < E && !st; e++) {
        size_t m = n_chosen[e];
        for (size_t j = 0; j < m; j++) {
            size_t r = chosen[e * ntr + j];
            memcpy(xsel + j * (size_t)dim, emb + slot[r] * (size_t)dim, (size_t)dim * sizeof *xsel);
            ysel[j] = ytr[r];
        }
        struct bb_logreg model;
        if ((st = bb_logreg_fit(xsel, ysel, m, dim, (int)k, &lo, &model, err)))
            break;
        if (!model.converged)
            bb_debug("%s/%s: experiment %zu: logistic regression stopped after %d iterations "
                     "(max |gradient| %.2g; MTEB's max_iter is the same)",
                     ctx->task->id, ctx->model_id, e, model.iterations, model.grad_max);
        size_t ok = 0;
        for (size_t i = 0; i < nte; i++) {
            pred[e * nte + i] =
                bb_logreg_predict_conf(&model, xte + i * (size_t)dim, &conf[e * nte + i]);
            right[e * nte + i] = pred[e * nte + i] == yte[i];
            ok += right[e * nte + i];
        }
        bb_logreg_free(&model);
        acc[e] = (double)ok / (double)nte;
        f1[e] = bb_macro_f1(yte, pred + e * nte, NULL, nte, (int)k, scratch);
    }
    size_t train_size = n_chosen[0];
    free(n_chosen);
    if (st)
        goto done;
    struct probe_stat d = {yte, pred, nte, E, (int)k, pidx, scratch, conf, right};
    struct bb_task_row row =
        bb_task_row_make("accuracy", NAN, (long)nte, BB_DIR_HIGHER, BB_KIND_QUALITY);
    row.headline = true;
    if ((st = bb_task_emit_boot(ctx, &row, nte, stat_acc, &d, "accuracy", err)))
        goto done;
    row = bb_task_row_make("macro_f1", NAN, (long)nte, BB_DIR_HIGHER, BB_KIND_QUALITY);
    if ((st = bb_task_emit_boot(ctx, &row, nte, stat_f1, &d, "macro_f1", err)))
        goto done;
    row = bb_task_row_make("accuracy_sd", E > 1 ? bb_stats_stddev(acc, E) : NAN, (long)E,
                           BB_DIR_NONE, BB_KIND_QUALITY);
    if ((st = bb_task_emit(ctx, &row, err)))
        goto done;
    row = bb_task_row_make("macro_f1_sd", E > 1 ? bb_stats_stddev(f1, E) : NAN, (long)E,
                           BB_DIR_NONE, BB_KIND_QUALITY);
    if ((st = bb_task_emit(ctx, &row, err)))
        goto done;
    row = bb_task_row_make("ece", NAN, (long)nte, BB_DIR_LOWER, BB_KIND_QUALITY);
    if ((st = bb_task_emit_boot(ctx, &row, nte, stat_ece, &d, "ece", err)))
        goto done;
    row = bb_task_row_make("train_size", (double)train_size, (long)train_size, BB_DIR_NONE,
                           BB_KIND_QUALITY);
    if ((st = bb_task_emit(ctx, &row, err)))
        goto done;
    {
        static const char *const cols[] = {"item_id",    "text",       "label",        "correct",
                                           "prediction", "confidence", "correct_first"};
        struct bb_items *w;
        char id[32];
        if ((st = bb_items_open(ctx, NULL, cols, 7, &w, err)))
            goto done;
        for (size_t i = 0; i < nte && !st; i++) {
            size_t ok = 0;
            for (size_t e = 0; e < E; e++)
                ok += pred[e * nte + i] == yte[i];
            bb_items_str(w, bb_task_item_id(te, i, id, sizeof id));
            bb_items_str(w, tet[i]);
            bb_items_str(w, tel[i]);
            bb_items_num(w, (double)ok / (double)E);
            bb_items_str(w, names[pred[i]]);
            bb_items_num(w, conf[i]);
            bb_items_int(w, right[i]);
            st = bb_items_end_row(w, err);
        }
        st = bb_items_finish(w, st, err);
    }
done:
    bb_table_free(tr);
    bb_table_free(te);
    free(trt);
    free(trl);
    free(tet);
    free(tel);
    free(names);
    free(etexts);
    free(ytr);
    free(yte);
    free(perm);
    free(pred);
    free(ysel);
    free(pidx);
    free(chosen);
    free(slot);
    free(count);
    free(emb);
    free(xsel);
    free(acc);
    free(f1);
    free(scratch);
    free(conf);
    free(right);
    return st;
}
