/* association.c: the `association` task (WEAT/SEAT). For each SEAT/WEAT
 * json file of the task: embed the four sets as they are (targets X = targ1,
 * Y = targ2, attributes A = attr1, B = attr2), then effect size (ddof = 1),
 * one-sided permutation p (exact when C(nx+ny, nx) <= the permutation
 * budget, else sampled and seeded), a bootstrap CI of the effect size
 * (bias.h, weat.h), and across the task's tests the suite's multiple-
 * comparison correction.
 *
 * Rows (kind bias, dataset = the test's dataset id):
 *   effect_size        signed d, CI, n = nx + ny, p_value = raw p; direction
 *                      none (the sign says which way the association goes;
 *                      ideal 0)
 *   abs_effect_size    |d|, lower is better (ideal 0); CI from |CI| (0 when
 *                      the CI spans 0); p_value = raw p
 *                      both with p_adjusted / adjust_method: the p adjusted
 *                      by the suite's correction (holm or bh) over the task's
 *                      tests; empty with correction none
 *   mean_abs_effect_size (dataset "", group all) the mean |d| over the tests:
 *                      the task's headline, lower is better
 * The --limit option does not apply (a WEAT test is one item).
 * Per item (items/<task>__<model>.csv): item_id "<test>/<set>/<index>", test,
 * set (X, Y, A, B), index, text, s = s(w, A, B) (targets; empty for
 * attributes), mean_cos_a, mean_cos_b. Per target x attribute cosine
 * (items/<task>__<model>__cos.csv): item_id "<test>/<X|Y>/<i>|<A|B>/<j>",
 * test, target, attribute, cos — what a paired item bootstrap between two
 * models (compare) needs. */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/bias.h"

static const char SET_NAMES[4] = {'X', 'Y', 'A', 'B'};

struct test_out {
    const struct bb_suite_dataset *ds;
    bool done;
    struct bb_assoc_result r;
    size_t n_targets;
};

/* Texts of the four sets in order X, Y, A, B (borrowed from the test). */
static const char **all_texts(const struct bb_seat_test *t, size_t *n)
{
    const struct bb_word_set *s[4] = {&t->targ1, &t->targ2, &t->attr1, &t->attr2};
    *n = t->targ1.n + t->targ2.n + t->attr1.n + t->attr2.n;
    const char **v = malloc((*n ? *n : 1) * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (int i = 0; i < 4; i++)
        for (size_t j = 0; j < s[i]->n; j++)
            v[k++] = s[i]->items[j];
    return v;
}

static enum bb_status write_items(struct bb_items *w, struct bb_items *wc, const char *test,
                                  const struct bb_seat_test *t, const struct bb_assoc_result *r,
                                  struct bb_error *err)
{
    const struct bb_word_set *s[4] = {&t->targ1, &t->targ2, &t->attr1, &t->attr2};
    enum bb_status st = BB_OK;
    size_t target = 0;
    for (int k = 0; k < 4 && !st; k++) {
        for (size_t j = 0; j < s[k]->n && !st; j++) {
            char id[600];
            snprintf(id, sizeof id, "%s/%c/%zu", test, SET_NAMES[k], j);
            bool is_t = k < 2;
            bb_items_str(w, id);
            bb_items_str(w, test);
            char set[2] = {SET_NAMES[k], 0};
            bb_items_str(w, set);
            bb_items_int(w, (long)j);
            bb_items_str(w, s[k]->items[j]);
            bb_items_num(w, is_t ? r->s[target] : NAN);
            bb_items_num(w, is_t ? r->mean_cos[2 * target] : NAN);
            bb_items_num(w, is_t ? r->mean_cos[2 * target + 1] : NAN);
            st = bb_items_end_row(w, err);
            target += is_t;
        }
    }
    /* cosine table: rows X then Y, columns A then B */
    const struct bb_weat_cos *c = &r->cos;
    size_t na = c->na, nb = c->nb;
    for (size_t ti = 0; ti < c->nx + c->ny && !st; ti++) {
        char tname[64];
        snprintf(tname, sizeof tname, "%c/%zu", ti < c->nx ? 'X' : 'Y',
                 ti < c->nx ? ti : ti - c->nx);
        for (size_t aj = 0; aj < na + nb && !st; aj++) {
            char aname[64], id[800];
            snprintf(aname, sizeof aname, "%c/%zu", aj < na ? 'A' : 'B', aj < na ? aj : aj - na);
            snprintf(id, sizeof id, "%s/%s|%s", test, tname, aname);
            bb_items_str(wc, id);
            bb_items_str(wc, test);
            bb_items_str(wc, tname);
            bb_items_str(wc, aname);
            bb_items_num(wc, c->cos[ti * (na + nb) + aj]);
            st = bb_items_end_row(wc, err);
        }
    }
    return st;
}

/* Embed one test and compute its statistics into out. */
static enum bb_status run_test(struct bb_task_ctx *ctx, struct test_out *out, struct bb_items *w,
                               struct bb_items *wc, struct bb_error *err)
{
    struct bb_seat_test t;
    memset(&t, 0, sizeof t);
    enum bb_status st = bb_task_load_seat(ctx, out->ds, &t, err);
    if (st)
        return st;
    size_t n = 0;
    int dim = bb_task_dim(ctx);
    const char **texts = all_texts(&t, &n);
    float *emb = texts ? malloc(n * (size_t)dim * sizeof *emb) : NULL; // (n, dim)
    if (!emb) {
        st = bb_fail(err, BB_E_NOMEM, "%s: out of memory for %zu embeddings", out->ds->id, n);
        goto done;
    }
    if ((st = bb_task_embed(ctx, texts, n, emb, err)))
        goto done;
    size_t off_y = t.targ1.n, off_a = off_y + t.targ2.n, off_b = off_a + t.attr1.n;
    struct bb_weat_sets sets = {emb, emb + off_y * (size_t)dim, emb + off_a * (size_t)dim,
                                emb + off_b * (size_t)dim, t.targ1.n, t.targ2.n, t.attr1.n,
                                t.attr2.n, (size_t)dim};
    char purpose[600];
    snprintf(purpose, sizeof purpose, "permutation/%s", out->ds->id);
    struct bb_assoc_opts o = {(uint64_t)(ctx->permutations > 0 ? ctx->permutations : 100000),
                              bb_task_subseed(ctx, purpose), {0, 0.95, 0}};
    snprintf(purpose, sizeof purpose, "bootstrap/%s", out->ds->id);
    o.boot = bb_task_bootstrap_opts(ctx, purpose);
    if (ctx->bootstrap <= 0)
        o.boot.replicates = 0;
    if ((st = bb_assoc_run(&sets, &o, &out->r, err))) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        bb_fail(err, st, "association test '%s': %s", out->ds->id, msg);
        goto done;
    }
    out->done = true;
    out->n_targets = t.targ1.n + t.targ2.n;
    st = write_items(w, wc, out->ds->id, &t, &out->r, err);
done:
    free(emb);
    free(texts);
    bb_seat_free(&t);
    return st;
}

static void abs_ci(double lo, double hi, double *alo, double *ahi)
{
    if (isnan(lo) || isnan(hi)) {
        *alo = *ahi = NAN;
    } else if (lo >= 0) {
        *alo = lo, *ahi = hi;
    } else if (hi <= 0) {
        *alo = -hi, *ahi = -lo;
    } else {
        *alo = 0, *ahi = fmax(-lo, hi);
    }
}

static enum bb_status emit_test(struct bb_task_ctx *ctx, const struct test_out *o, double p_adj,
                                struct bb_error *err)
{
    const struct bb_weat_result *w = &o->r.w;
    enum bb_suite_correction c = ctx->suite->defaults.correction;
    struct bb_task_row r = bb_task_row_make("effect_size", w->effect_size, (long)o->n_targets,
                                            BB_DIR_NONE, BB_KIND_BIAS);
    r.dataset = o->ds->id;
    r.ci_low = o->r.ci_low;
    r.ci_high = o->r.ci_high;
    r.p_value = w->p_value;
    if (c != BB_SUITE_CORRECTION_NONE && !isnan(w->p_value))
        r.p_adjusted = p_adj, r.adjust_method = bb_suite_correction_name(c);
    enum bb_status st = bb_task_emit(ctx, &r, err);
    if (st)
        return st;
    r.metric = "abs_effect_size";
    r.value = fabs(w->effect_size);
    r.dir = BB_DIR_LOWER;
    abs_ci(o->r.ci_low, o->r.ci_high, &r.ci_low, &r.ci_high);
    return bb_task_emit(ctx, &r, err);
}

static enum bb_status emit_all(struct bb_task_ctx *ctx, struct test_out *t, size_t n,
                               struct bb_error *err)
{
    double *p = malloc((n ? n : 1) * sizeof *p), *adj = malloc((n ? n : 1) * sizeof *adj);
    enum bb_status st = BB_OK;
    if (!p || !adj) {
        st = bb_fail(err, BB_E_NOMEM, "association: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        p[i] = t[i].done ? t[i].r.w.p_value : NAN;
    if ((st = bb_bias_adjust(p, n, ctx->suite->defaults.correction, adj, err)))
        goto done;
    double sum = 0;
    long m = 0;
    for (size_t i = 0; i < n && !st; i++) {
        if (!t[i].done)
            continue;
        st = emit_test(ctx, &t[i], adj[i], err);
        if (!isnan(t[i].r.w.effect_size))
            sum += fabs(t[i].r.w.effect_size), m++;
    }
    if (!st && m) {
        struct bb_task_row r = bb_task_row_make("mean_abs_effect_size", sum / (double)m, m,
                                                BB_DIR_LOWER, BB_KIND_BIAS);
        r.dataset = "";
        r.headline = true;
        st = bb_task_emit(ctx, &r, err);
    }
done:
    free(p);
    free(adj);
    return st;
}

enum bb_status bb_task_association(struct bb_task_ctx *ctx, struct bb_error *err)
{
    const struct bb_suite_association *a = &ctx->task->u.association;
    static const char *const cols[] = {"item_id", "test", "set", "index", "text",
                                       "s", "mean_cos_a", "mean_cos_b"};
    static const char *const ccols[] = {"item_id", "test", "target", "attribute", "cos"};
    struct bb_error local = {0};
    if (!err)
        err = &local;
    struct bb_items *w = NULL, *wc = NULL;
    struct test_out *t = calloc(a->n_datasets ? a->n_datasets : 1, sizeof *t);
    enum bb_status st = t ? BB_OK : bb_fail(err, BB_E_NOMEM, "association: out of memory");
    if (!st)
        st = bb_items_open(ctx, NULL, cols, 8, &w, err);
    if (!st)
        st = bb_items_open(ctx, "cos", ccols, 5, &wc, err);
    for (size_t i = 0; i < a->n_datasets && !st; i++) {
        t[i].ds = a->datasets[i];
        st = run_test(ctx, &t[i], w, wc, err);
        if (st == BB_E_IO) { /* one missing file among several: note it, go on */
            bb_task_note_skip(ctx, t[i].ds->id, err->msg);
            st = BB_OK;
        }
    }
    if (!st)
        st = emit_all(ctx, t, a->n_datasets, err);
    st = bb_items_finish(w, st, err);
    st = bb_items_finish(wc, st, err);
    for (size_t i = 0; t && i < a->n_datasets; i++)
        bb_assoc_result_free(&t[i].r);
    free(t);
    return st;
}
