/* similarity.c: the `similarity` task (STS-style pairs with gold scores):
 * cosine of the two sentence embeddings; Spearman and Pearson x 100 against
 * the gold scores with bootstrap 95% CIs (resampling pairs); per group too
 * when the dataset maps a `group` role. Per item: item_id, s1, s2, gold,
 * cosine (and group). */
#include "tasks/task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct sim_data {
    const double *gold, *cos; /* (n) */
    double *xs, *ys;          /* scratch (n) */
    const size_t *sel;        /* item subset (a group), NULL = all */
};

static void gather(const int *idx, size_t n, struct sim_data *d)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = d->sel ? d->sel[idx[i]] : (size_t)idx[i];
        d->xs[i] = d->cos[k];
        d->ys[i] = d->gold[k];
    }
}

static double stat_spearman(const int *idx, size_t n, void *ctx)
{
    struct sim_data *d = ctx;
    double rho;
    gather(idx, n, d);
    if (bb_stats_spearman(d->xs, d->ys, n, &rho, NULL) != BB_OK || isnan(rho))
        return NAN;
    return 100.0 * rho;
}

static double stat_pearson(const int *idx, size_t n, void *ctx)
{
    struct sim_data *d = ctx;
    gather(idx, n, d);
    double r = bb_stats_pearson(d->xs, d->ys, n);
    return isnan(r) ? NAN : 100.0 * r;
}

/* Spearman (headline when group is NULL) and Pearson over a subset. */
static enum bb_status emit_corr(struct bb_task_ctx *ctx, struct sim_data *d, size_t n,
                                const char *group, struct bb_error *err)
{
    char purpose[300];
    struct bb_task_row r =
        bb_task_row_make("spearman", NAN, (long)n, BB_DIR_HIGHER, BB_KIND_QUALITY);
    r.group = group;
    r.headline = group == NULL;
    snprintf(purpose, sizeof purpose, "spearman/%s", group ? group : "all");
    enum bb_status st = bb_task_emit_boot(ctx, &r, n, stat_spearman, d, purpose, err);
    if (st)
        return st;
    r = bb_task_row_make("pearson", NAN, (long)n, BB_DIR_HIGHER, BB_KIND_QUALITY);
    r.group = group;
    snprintf(purpose, sizeof purpose, "pearson/%s", group ? group : "all");
    return bb_task_emit_boot(ctx, &r, n, stat_pearson, d, purpose, err);
}

/* One group's correlations (none, with a warning, under 3 pairs). */
static enum bb_status emit_group(struct bb_task_ctx *ctx, const char *group, const size_t *sel,
                                 size_t m, void *data, struct bb_error *err)
{
    struct sim_data *d = data;
    enum bb_status st = BB_OK;
    d->sel = sel;
    if (m >= 3)
        st = emit_corr(ctx, d, m, group, err);
    else
        bb_warn("%s/%s: group '%s' has %zu pair(s); no correlation for it", ctx->task->id,
                ctx->model_id, group, m);
    d->sel = NULL;
    return st;
}

static enum bb_status write_items(struct bb_task_ctx *ctx, const struct bb_table *t, int c1, int c2,
                                  int cg, const double *gold, const double *cos, size_t n,
                                  struct bb_error *err)
{
    static const char *const cols[] = {"item_id", "s1", "s2", "gold", "cosine", "group"};
    struct bb_items *w;
    char id[32];
    enum bb_status st = bb_items_open(ctx, NULL, cols, cg >= 0 ? 6 : 5, &w, err);
    if (st)
        return st;
    for (size_t i = 0; i < n && !st; i++) {
        bb_items_str(w, bb_task_item_id(t, i, id, sizeof id));
        bb_items_str(w, bb_table_get(t, i, c1));
        bb_items_str(w, bb_table_get(t, i, c2));
        bb_items_num(w, gold[i]);
        bb_items_num(w, cos[i]);
        if (cg >= 0)
            bb_items_str(w, bb_table_get(t, i, cg));
        st = bb_items_end_row(w, err);
    }
    return bb_items_finish(w, st, err);
}

/* Read the gold scores and texts of the first n rows, checking score_range. */
static enum bb_status read_pairs(struct bb_task_ctx *ctx, const struct bb_table *t, int c1, int c2,
                                 int cs, size_t n, const char **texts, double *gold,
                                 struct bb_error *err)
{
    const struct bb_suite_similarity *sp = &ctx->task->u.similarity;
    for (size_t i = 0; i < n; i++) {
        texts[2 * i] = bb_table_get(t, i, c1);
        texts[2 * i + 1] = bb_table_get(t, i, c2);
        if (!texts[2 * i] || !texts[2 * i + 1])
            return bb_fail(err, BB_E_INPUT, "%s:%ld: a sentence of the pair is missing",
                           bb_table_path(t), bb_table_line(t, i));
        enum bb_status st = bb_table_get_double(t, i, cs, &gold[i], err);
        if (st)
            return st;
        if (sp->has_score_range && (gold[i] < sp->score_min || gold[i] > sp->score_max))
            return bb_fail(err, BB_E_INPUT,
                           "%s:%ld: gold score %g is outside the task's score_range [%g, %g]",
                           bb_table_path(t), bb_table_line(t, i), gold[i], sp->score_min,
                           sp->score_max);
    }
    return BB_OK;
}

enum bb_status bb_task_similarity(struct bb_task_ctx *ctx, struct bb_error *err)
{
    struct bb_table *t = NULL;
    const char **texts = NULL, **grp = NULL;
    double *gold = NULL, *cos = NULL, *xs = NULL, *ys = NULL;
    float *emb = NULL;
    int c1, c2, cs, cg;
    enum bb_status st = bb_task_load_table(ctx, ctx->task->dataset, &t, err);
    if (st)
        return st;
    if ((st = bb_table_require_col(t, "s1", &c1, err)) ||
        (st = bb_table_require_col(t, "s2", &c2, err)) ||
        (st = bb_table_require_col(t, "score", &cs, err)))
        goto done;
    cg = bb_table_col(t, "group");
    size_t n = bb_task_limit(ctx, bb_table_rows(t));
    int dim = bb_task_dim(ctx);
    if (n < 3) {
        st = bb_fail(err, BB_E_INPUT, "%s: %zu pair(s); a similarity task needs at least 3",
                     bb_table_path(t), n);
        goto done;
    }
    texts = malloc(2 * n * sizeof *texts);
    grp = malloc(n * sizeof *grp);
    gold = malloc(n * sizeof *gold);
    cos = malloc(n * sizeof *cos);
    xs = malloc(n * sizeof *xs);
    ys = malloc(n * sizeof *ys);
    emb = malloc(2 * n * (size_t)dim * sizeof *emb); // (2n, dim): s1, s2 interleaved
    if (!texts || !grp || !gold || !cos || !xs || !ys || !emb) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu pairs", n);
        goto done;
    }
    if ((st = read_pairs(ctx, t, c1, c2, cs, n, texts, gold, err)))
        goto done;
    if ((st = bb_task_embed(ctx, texts, 2 * n, emb, err)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        cos[i] = bb_vec_cosine(emb + 2 * i * (size_t)dim, emb + (2 * i + 1) * (size_t)dim, dim);
        const char *g = cg >= 0 ? bb_table_get(t, i, cg) : NULL;
        grp[i] = g ? g : "";
    }
    struct sim_data d = {.gold = gold, .cos = cos, .xs = xs, .ys = ys};
    st = emit_corr(ctx, &d, n, NULL, err);
    if (!st && cg >= 0)
        st = bb_task_each_group(ctx, grp, n, emit_group, &d, err); /* sorted groups */
    if (!st)
        st = write_items(ctx, t, c1, c2, cg, gold, cos, n, err);
done:
    bb_table_free(t);
    free(texts);
    free(grp);
    free(gold);
    free(cos);
    free(xs);
    free(ys);
    free(emb);
    return st;
}
