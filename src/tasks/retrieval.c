/* retrieval.c: the `retrieval` task (MTEB/BEIR-style dense retrieval) for
 * sentence encoders. The dataset gives (query, document) rows; the corpus is
 * every distinct document of the rows used (in order of first appearance),
 * the queries are the distinct query texts of the rows that count as
 * relevant (all rows, or those with score >= min_score), and a query's
 * relevant documents are the documents of its relevant rows (grade 1). Every
 * document is ranked for every query by cosine (brute force: dot products of
 * L2-normalised embeddings), and the metrics of src/metrics/ranking.h are
 * averaged over queries: nDCG@10 (the headline, MTEB's main score), MRR@10,
 * recall@1/10/100 and MAP@100, each with a bootstrap 95% CI over queries.
 * Per item (one row per query): item_id (the line of the query's first
 * relevant row), query, n_relevant, first_rank (1-based rank of the first
 * relevant document), the per-query metrics and the top-ranked document. */
#include "tasks/task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/ranking.h"
#include "model/model.h"

#define N_METRICS 6
static const char *const metric_names[N_METRICS] = {"ndcg_at_10",   "mrr_at_10",     "recall_at_1",
                                                    "recall_at_10", "recall_at_100", "map_at_100"};

/* id[i] for rows i with text[i] != NULL: the index of the distinct text in
   order of first appearance (0..*m); rows with NULL text get -1. first[j]: the
   first row of distinct text j. */
static enum bb_status dedupe(const char *const *text, size_t n, long *id, size_t *first, size_t *m,
                             struct bb_error *err)
{
    const char **s = calloc(n ? n : 1, sizeof *s);
    int *sorted = malloc((n ? n : 1) * sizeof *sorted); /* id in strcmp order */
    long *seen = malloc((n ? n : 1) * sizeof *seen);     /* strcmp order -> first appearance */
    enum bb_status st = s && sorted && seen
                            ? BB_OK
                            : bb_fail(err, BB_E_NOMEM, "out of memory for %zu texts", n);
    size_t k = 0, distinct = 0;
    for (size_t i = 0; !st && i < n; i++)
        if (text[i])
            s[k++] = text[i];
    if (!st)
        st = bb_task_label_ids(s, k, sorted, NULL, &distinct, err);
    for (size_t j = 0; !st && j < distinct; j++)
        seen[j] = -1;
    *m = 0;
    k = 0;
    for (size_t i = 0; !st && i < n; i++) {
        id[i] = -1;
        if (!text[i])
            continue;
        int c = sorted[k++];
        if (seen[c] < 0) {
            first[*m] = i;
            seen[c] = (long)(*m)++;
        }
        id[i] = seen[c];
    }
    free(s);
    free(sorted);
    free(seen);
    return st;
}

struct ret {
    struct bb_table *t;
    size_t n;                    /* rows used */
    const char **qtext, **dtext; /* per row */
    bool *relevant;              /* per row */
    long *qid, *did;             /* per row: query id (-1: not a query row), document id */
    size_t *qfirst, *dfirst;     /* first row of each query / document */
    size_t nq, nd;
    const char **texts;       /* documents then queries, for embedding */
    float *emb;               /* (nd + nq, dim) */
    double *score, *rel;      /* (nd) scratch */
    size_t *order;            /* (nd) */
    double *m[N_METRICS];     /* (nq) per-query metrics */
    long *first_rank, *n_rel; /* (nq) */
    size_t *top;              /* (nq) top document */
};

static void ret_free(struct ret *r)
{
    bb_table_free(r->t);
    free(r->qtext);
    free(r->dtext);
    free(r->relevant);
    free(r->qid);
    free(r->did);
    free(r->qfirst);
    free(r->dfirst);
    free(r->texts);
    free(r->emb);
    free(r->score);
    free(r->rel);
    free(r->order);
    for (int k = 0; k < N_METRICS; k++)
        free(r->m[k]);
    free(r->first_rank);
    free(r->n_rel);
    free(r->top);
}

static enum bb_status read_rows(struct bb_task_ctx *ctx, struct ret *r, struct bb_error *err)
{
    const struct bb_suite_retrieval *rp = &ctx->task->u.retrieval;
    int cq, cd, cs = -1;
    enum bb_status st;
    if ((st = bb_table_require_col(r->t, "query", &cq, err)) ||
        (st = bb_table_require_col(r->t, "document", &cd, err)))
        return st;
    if (rp->has_min_score && (st = bb_table_require_col(r->t, "score", &cs, err)))
        return st;
    for (size_t i = 0; i < r->n; i++) {
        r->qtext[i] = bb_table_get(r->t, i, cq);
        r->dtext[i] = bb_table_get(r->t, i, cd);
        if (!r->qtext[i] || !r->dtext[i] || !r->dtext[i][0])
            return bb_fail(err, BB_E_INPUT, "%s:%ld: the query or the document is missing",
                           bb_table_path(r->t), bb_table_line(r->t, i));
        r->relevant[i] = true;
        if (cs >= 0) {
            double s;
            if ((st = bb_table_get_double(r->t, i, cs, &s, err)))
                return st;
            r->relevant[i] = s >= rp->min_score;
        }
    }
    return BB_OK;
}

static enum bb_status write_items(struct bb_task_ctx *ctx, const struct ret *r,
                                  struct bb_error *err)
{
    static const char *const cols[] = {"item_id",       "query",      "n_relevant",  "first_rank",
                                       "ndcg_at_10",    "mrr_at_10",  "recall_at_1", "recall_at_10",
                                       "recall_at_100", "map_at_100", "top_document"};
    struct bb_items *w;
    char id[32];
    enum bb_status st = bb_items_open(ctx, NULL, cols, sizeof cols / sizeof *cols, &w, err);
    if (st)
        return st;
    for (size_t q = 0; q < r->nq && !st; q++) {
        bb_items_str(w, bb_task_item_id(r->t, r->qfirst[q], id, sizeof id));
        bb_items_str(w, r->qtext[r->qfirst[q]]);
        bb_items_int(w, r->n_rel[q]);
        bb_items_int(w, r->first_rank[q]);
        for (int k = 0; k < N_METRICS; k++)
            bb_items_num(w, r->m[k][q]);
        bb_items_str(w, r->dtext[r->dfirst[r->top[q]]]);
        st = bb_items_end_row(w, err);
    }
    return bb_items_finish(w, st, err);
}

/* Rank the corpus for every query and fill the per-query metrics. */
static void score_queries(struct ret *r, int dim)
{
    const float *D = r->emb, *Q = r->emb + r->nd * (size_t)dim;
    for (size_t q = 0; q < r->nq; q++) {
        const float *qv = Q + q * (size_t)dim;
        for (size_t d = 0; d < r->nd; d++) {
            const float *dv = D + d * (size_t)dim;
            double s = 0;
            for (int j = 0; j < dim; j++)
                s += (double)qv[j] * dv[j];
            r->score[d] = s;
            r->rel[d] = 0;
        }
        for (size_t i = 0; i < r->n; i++) /* this query's relevant rows */
            if (r->relevant[i] && r->qid[i] == (long)q)
                r->rel[r->did[i]] = 1;
        bb_rank_order(r->score, r->nd, r->order);
        r->m[0][q] = bb_rank_ndcg(r->order, r->rel, r->nd, 10);
        r->m[1][q] = bb_rank_mrr(r->order, r->rel, r->nd, 10);
        r->m[2][q] = bb_rank_recall(r->order, r->rel, r->nd, 1);
        r->m[3][q] = bb_rank_recall(r->order, r->rel, r->nd, 10);
        r->m[4][q] = bb_rank_recall(r->order, r->rel, r->nd, 100);
        r->m[5][q] = bb_rank_ap(r->order, r->rel, r->nd, 100);
        r->n_rel[q] = 0;
        r->first_rank[q] = 0;
        for (size_t d = 0; d < r->nd; d++)
            r->n_rel[q] += r->rel[d] > 0;
        for (size_t i = 0; i < r->nd; i++)
            if (r->rel[r->order[i]] > 0) {
                r->first_rank[q] = (long)i + 1;
                break;
            }
        r->top[q] = r->order[0];
    }
}

enum bb_status bb_task_retrieval(struct bb_task_ctx *ctx, struct bb_error *err)
{
    struct ret r = {0};
    enum bb_status st = bb_task_require(ctx, BB_CAP_EMBED, err);
    if (st || (st = bb_task_load_table(ctx, ctx->task->dataset, &r.t, err)))
        return st;
    r.n = bb_task_limit(ctx, bb_table_rows(r.t));
    size_t n = r.n ? r.n : 1;
    int dim = bb_task_dim(ctx);
    r.qtext = calloc(n, sizeof *r.qtext);
    r.dtext = calloc(n, sizeof *r.dtext);
    r.relevant = calloc(n, sizeof *r.relevant);
    r.qid = calloc(n, sizeof *r.qid);
    r.did = calloc(n, sizeof *r.did);
    r.qfirst = calloc(n, sizeof *r.qfirst);
    r.dfirst = calloc(n, sizeof *r.dfirst);
    if (!r.qtext || !r.dtext || !r.relevant || !r.qid || !r.did || !r.qfirst || !r.dfirst) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu rows", n);
        goto done;
    }
    if ((st = read_rows(ctx, &r, err)) || (st = dedupe(r.dtext, r.n, r.did, r.dfirst, &r.nd, err)))
        goto done;
    {
        const char **qt = r.texts =
            calloc(n, sizeof *qt); /* scratch: query texts of relevant rows */
        if (!qt) {
            st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu rows", n);
            goto done;
        }
        for (size_t i = 0; i < r.n; i++)
            qt[i] = r.relevant[i] ? r.qtext[i] : NULL;
        st = dedupe(qt, r.n, r.qid, r.qfirst, &r.nq, err);
        free(r.texts);
        r.texts = NULL;
        if (st)
            goto done;
    }
    if (r.nq < 2 || r.nd < 2) {
        st = bb_fail(err, BB_E_INPUT,
                     "%s: %zu quer%s over %zu document(s); a retrieval task needs "
                     "at least 2 queries with a relevant document and 2 documents",
                     bb_table_path(r.t), r.nq, r.nq == 1 ? "y" : "ies", r.nd);
        goto done;
    }
    r.texts = malloc((r.nd + r.nq) * sizeof *r.texts);
    r.emb = malloc((r.nd + r.nq) * (size_t)dim * sizeof *r.emb);
    r.score = malloc(r.nd * sizeof *r.score);
    r.rel = malloc(r.nd * sizeof *r.rel);
    r.order = malloc(r.nd * sizeof *r.order);
    r.first_rank = malloc(r.nq * sizeof *r.first_rank);
    r.n_rel = malloc(r.nq * sizeof *r.n_rel);
    r.top = malloc(r.nq * sizeof *r.top);
    bool ok = r.texts && r.emb && r.score && r.rel && r.order && r.first_rank && r.n_rel && r.top;
    for (int k = 0; k < N_METRICS; k++)
        ok &= (r.m[k] = malloc(r.nq * sizeof *r.m[k])) != NULL;
    if (!ok) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu queries x %zu documents", r.nq, r.nd);
        goto done;
    }
    for (size_t d = 0; d < r.nd; d++)
        r.texts[d] = r.dtext[r.dfirst[d]];
    for (size_t q = 0; q < r.nq; q++)
        r.texts[r.nd + q] = r.qtext[r.qfirst[q]];
    if ((st = bb_task_embed(ctx, r.texts, r.nd + r.nq, r.emb, err)))
        goto done;
    score_queries(&r, dim);
    for (int k = 0; k < N_METRICS && !st; k++) {
        struct bb_task_row row =
            bb_task_row_make(metric_names[k], NAN, (long)r.nq, BB_DIR_HIGHER, BB_KIND_QUALITY);
        row.headline = k == 0;
        st = bb_task_emit_boot(ctx, &row, r.nq, bb_stats_mean_at, r.m[k], metric_names[k],
                               err);
    }
    if (!st) { /* the corpus size, so a reader can judge the scores (no CI) */
        struct bb_task_row row =
            bb_task_row_make("corpus_size", (double)r.nd, (long)r.nd, BB_DIR_NONE, BB_KIND_QUALITY);
        st = bb_task_emit(ctx, &row, err);
    }
    if (!st)
        st = write_items(ctx, &r, err);
done:
    ret_free(&r);
    return st;
}
