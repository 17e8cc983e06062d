/* clustering.c: the `clustering` task (MTEB-style) for sentence encoders:
 * k-means over the L2-normalised embeddings of the dataset's texts (k = the
 * number of distinct labels unless the task gives k; k-means++ seeding;
 * `restarts` runs, run r seeded by the task's sub-seed "kmeans/r"), scored
 * by the V-measure against the labels (src/metrics/clustering.h). MTEB's
 * clustering evaluator does the same with scikit-learn's MiniBatchKMeans and
 * reports the V-measure's mean over runs; here every run is full-batch
 * Lloyd. Rows: v_measure (mean over restarts, the headline), v_measure_sd
 * (sample standard deviation over restarts), v_measure_min, v_measure_max,
 * homogeneity and completeness (means). No bootstrap CI: the spread over
 * restarts is the uncertainty this task reports. Per item: item_id, text,
 * label and the cluster of the restart with the lowest inertia. */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "metrics/clustering.h"
#include "model/model.h"

static enum bb_status emit(struct bb_task_ctx *ctx, const char *metric, double v, size_t n,
                           enum bb_direction dir, bool headline, struct bb_error *err)
{
    struct bb_task_row row = bb_task_row_make(metric, v, (long)n, dir, BB_KIND_QUALITY);
    row.headline = headline;
    return bb_task_emit(ctx, &row, err);
}

enum bb_status bb_task_clustering(struct bb_task_ctx *ctx, struct bb_error *err)
{
    const struct bb_suite_clustering *cp = &ctx->task->u.clustering;
    struct bb_table *t = NULL;
    const char **texts = NULL, **labels = NULL;
    int *lab = NULL, *asg = NULL, *best = NULL;
    float *emb = NULL;
    double *v = NULL, *h = NULL, *c = NULL;
    int ct, cl;
    enum bb_status st = bb_task_require(ctx, BB_CAP_EMBED, err);
    if (st || (st = bb_task_load_table(ctx, ctx->task->dataset, &t, err)))
        return st;
    if ((st = bb_table_require_col(t, "text", &ct, err)) ||
        (st = bb_table_require_col(t, "label", &cl, err)))
        goto done;
    size_t n = bb_task_limit(ctx, bb_table_rows(t)), R = (size_t)cp->restarts, m = 0;
    int dim = bb_task_dim(ctx);
    texts = malloc((n ? n : 1) * sizeof *texts);
    labels = malloc((n ? n : 1) * sizeof *labels);
    lab = malloc((n ? n : 1) * sizeof *lab);
    asg = malloc((n ? n : 1) * sizeof *asg);
    best = malloc((n ? n : 1) * sizeof *best);
    emb = malloc((n ? n : 1) * (size_t)dim * sizeof *emb);
    v = malloc(R * sizeof *v);
    h = malloc(R * sizeof *h);
    c = malloc(R * sizeof *c);
    if (!texts || !labels || !lab || !asg || !best || !emb || !v || !h || !c) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu texts", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        texts[i] = bb_table_get(t, i, ct);
        labels[i] = bb_table_get(t, i, cl);
        if (!texts[i] || !labels[i]) {
            st = bb_fail(err, BB_E_INPUT, "%s:%ld: the text or the label is missing",
                         bb_table_path(t), bb_table_line(t, i));
            goto done;
        }
    }
    if ((st = bb_task_label_ids(labels, n, lab, NULL, &m, err)))
        goto done;
    size_t k = cp->k > 0 ? (size_t)cp->k : m;
    if (m < 2 || k < 2 || k > n) {
        st = bb_fail(err, BB_E_INPUT,
                     "%s: %zu text(s) with %zu distinct label(s), k = %zu; a "
                     "clustering task needs at least 2 labels and 2 <= k <= the texts",
                     bb_table_path(t), n, m, k);
        goto done;
    }
    if ((st = bb_task_embed(ctx, texts, n, emb, err)))
        goto done;
    double best_inertia = INFINITY;
    for (size_t r = 0; r < R; r++) {
        char purpose[64];
        struct bb_kmeans_result km;
        struct bb_vmeasure vm;
        snprintf(purpose, sizeof purpose, "kmeans/%zu", r);
        if ((st = bb_kmeans(emb, n, dim, k, (int)cp->max_iter, bb_task_subseed(ctx, purpose), asg,
                            &km, err)) ||
            (st = bb_vmeasure(lab, m, asg, k, n, &vm, err)))
            goto done;
        if (!km.converged)
            bb_warn("%s/%s: k-means restart %zu stopped at max_iter %ld before converging",
                    ctx->task->id, ctx->model_id, r, cp->max_iter);
        v[r] = vm.v;
        h[r] = vm.homogeneity;
        c[r] = vm.completeness;
        if (km.inertia < best_inertia) {
            best_inertia = km.inertia;
            memcpy(best, asg, n * sizeof *best);
        }
    }
    double vmin = v[0], vmax = v[0];
    for (size_t r = 1; r < R; r++) {
        vmin = fmin(vmin, v[r]);
        vmax = fmax(vmax, v[r]);
    }
    if ((st = emit(ctx, "v_measure", bb_stats_mean(v, R), n, BB_DIR_HIGHER, true, err)) ||
        (st = emit(ctx, "v_measure_sd", R > 1 ? bb_stats_stddev(v, R) : NAN, n, BB_DIR_NONE, false,
                   err)) ||
        (st = emit(ctx, "v_measure_min", vmin, n, BB_DIR_HIGHER, false, err)) ||
        (st = emit(ctx, "v_measure_max", vmax, n, BB_DIR_HIGHER, false, err)) ||
        (st = emit(ctx, "homogeneity", bb_stats_mean(h, R), n, BB_DIR_HIGHER, false, err)) ||
        (st = emit(ctx, "completeness", bb_stats_mean(c, R), n, BB_DIR_HIGHER, false, err)))
        goto done;
    {
        static const char *const cols[] = {"item_id", "text", "label", "cluster"};
        struct bb_items *w;
        char id[32];
        if ((st = bb_items_open(ctx, NULL, cols, 4, &w, err)))
            goto done;
        for (size_t i = 0; i < n && !st; i++) {
            bb_items_str(w, bb_task_item_id(t, i, id, sizeof id));
            bb_items_str(w, texts[i]);
            bb_items_str(w, labels[i]);
            bb_items_int(w, best[i]);
            st = bb_items_end_row(w, err);
        }
        st = bb_items_finish(w, st, err);
    }
done:
    bb_table_free(t);
    free(texts);
    free(labels);
    free(lab);
    free(asg);
    free(best);
    free(emb);
    free(v);
    free(h);
    free(c);
    return st;
}
