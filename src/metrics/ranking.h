/* ranking.h: retrieval metrics over one query's ranking of a corpus, as
 * MTEB/BEIR compute them with pytrec_eval (trec_eval semantics):
 *   nDCG@k  = DCG@k / IDCG@k, DCG@k = sum_{i<=k} rel_i / log2(i + 1) (linear
 *             gain, trec_eval's "ndcg_cut"), IDCG@k the DCG@k of the
 *             relevance grades sorted descending; 0 when no document is
 *             relevant;
 *   MRR@k   = 1 / rank of the first relevant document within the top k, else 0;
 *   recall@k = (relevant documents in the top k) / (relevant documents);
 *   AP@k    = (sum over relevant documents at ranks i <= k of precision@i)
 *             / (relevant documents) (trec_eval "map_cut_k").
 * "Relevant" means grade > 0. A query with no relevant document scores 0 on
 * every metric (trec_eval drops such queries; callers should not pass them).
 *
 * Ties: documents with equal scores are ordered by their index, ascending
 * (trec_eval orders ties by document id, descending; the index here is the
 * corpus order, so the result is deterministic and independent of the sort).
 * Pure functions; no I/O. */
#ifndef BB_METRICS_RANKING_H
#define BB_METRICS_RANKING_H

#include <stddef.h>

/* order[0..n) = 0..n-1 sorted by score descending, ties by index ascending.
   NaN scores sort last. */
void bb_rank_order(const double *score, size_t n, size_t *order);

/* Metrics of a ranking order[0..n) of documents whose grades are rel[doc]
   (length n, indexed by document). k >= 1; k > n is treated as n. */
double bb_rank_ndcg(const size_t *order, const double *rel, size_t n, size_t k);
double bb_rank_mrr(const size_t *order, const double *rel, size_t n, size_t k);
double bb_rank_recall(const size_t *order, const double *rel, size_t n, size_t k);
double bb_rank_ap(const size_t *order, const double *rel, size_t n, size_t k);

#endif
