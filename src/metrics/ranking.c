/* ranking.c: retrieval metrics (see ranking.h). */
#include "metrics/ranking.h"

#include <math.h>
#include <stdlib.h>

struct key {
    double s;
    size_t i;
};

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int xn = isnan(x->s), yn = isnan(y->s);
    if (xn != yn)
        return xn - yn; /* NaN last */
    if (!xn && x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

void bb_rank_order(const double *score, size_t n, size_t *order)
{
    struct key *k = malloc((n ? n : 1) * sizeof *k);
    if (!k) { /* out of memory: the corpus order (still a valid ranking) */
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        return;
    }
    for (size_t i = 0; i < n; i++)
        k[i] = (struct key){score[i], i};
    qsort(k, n, sizeof *k, cmp_key);
    for (size_t i = 0; i < n; i++)
        order[i] = k[i].i;
    free(k);
}

static size_t n_relevant(const double *rel, size_t n)
{
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += rel[i] > 0;
    return r;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

double bb_rank_ndcg(const size_t *order, const double *rel, size_t n, size_t k)
{
    if (k > n)
        k = n;
    double dcg = 0, idcg = 0;
    for (size_t i = 0; i < k; i++) {
        double g = rel[order[i]];
        if (g > 0)
            dcg += g / log2((double)i + 2.0);
    }
    /* the ideal ranking: the positive grades, largest first */
    size_t m = n_relevant(rel, n), j = 0;
    if (!m)
        return 0.0;
    double *g = malloc(m * sizeof *g);
    if (!g)
        return NAN;
    for (size_t i = 0; i < n; i++)
        if (rel[i] > 0)
            g[j++] = rel[i];
    qsort(g, m, sizeof *g, cmp_desc);
    for (size_t i = 0; i < k && i < m; i++)
        idcg += g[i] / log2((double)i + 2.0);
    free(g);
    return idcg > 0 ? dcg / idcg : 0.0;
}

double bb_rank_mrr(const size_t *order, const double *rel, size_t n, size_t k)
{
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++)
        if (rel[order[i]] > 0)
            return 1.0 / (double)(i + 1);
    return 0.0;
}

double bb_rank_recall(const size_t *order, const double *rel, size_t n, size_t k)
{
    size_t m = n_relevant(rel, n), hit = 0;
    if (!m)
        return 0.0;
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++)
        hit += rel[order[i]] > 0;
    return (double)hit / (double)m;
}

double bb_rank_ap(const size_t *order, const double *rel, size_t n, size_t k)
{
    size_t m = n_relevant(rel, n), hit = 0;
    if (!m)
        return 0.0;
    if (k > n)
        k = n;
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        if (rel[order[i]] > 0)
            sum += (double)++hit / (double)(i + 1);
    return sum / (double)m;
}
