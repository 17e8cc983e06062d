/* clustering.c: k-means (k-means++ seeding, Lloyd) and the V-measure (see
 * clustering.h). */
#include "metrics/clustering.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/rng.h"

static double xlogx_sum(const double *c, size_t m, double total)
{
    double h = 0;
    for (size_t i = 0; i < m; i++)
        if (c[i] > 0)
            h -= c[i] / total * log(c[i] / total);
    return h;
}

enum bb_status bb_vmeasure(const int *labels, size_t n_labels, const int *clusters,
                           size_t n_clusters, size_t n, struct bb_vmeasure *out,
                           struct bb_error *err)
{
    if (!n || !n_labels || !n_clusters)
        return bb_fail(err, BB_E_INPUT, "v-measure: no items");
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= n_labels || clusters[i] < 0 ||
            (size_t)clusters[i] >= n_clusters)
            return bb_fail(err, BB_E_INPUT,
                           "v-measure: item %zu has a label or cluster id out "
                           "of range",
                           i);
    double *tab = calloc(n_labels * n_clusters + n_labels + n_clusters, sizeof *tab);
    if (!tab)
        return bb_fail(err, BB_E_NOMEM, "out of memory for a %zu x %zu contingency table", n_labels,
                       n_clusters);
    double *rc = tab + n_labels * n_clusters, *kc = rc + n_labels, N = (double)n;
    for (size_t i = 0; i < n; i++) {
        tab[(size_t)labels[i] * n_clusters + (size_t)clusters[i]] += 1;
        rc[labels[i]] += 1;
        kc[clusters[i]] += 1;
    }
    double hc = xlogx_sum(rc, n_labels, N), hk = xlogx_sum(kc, n_clusters, N);
    double hc_k = 0, hk_c = 0; /* H(C|K), H(K|C) */
    for (size_t a = 0; a < n_labels; a++)
        for (size_t b = 0; b < n_clusters; b++) {
            double v = tab[a * n_clusters + b];
            if (v > 0) {
                hc_k -= v / N * log(v / kc[b]);
                hk_c -= v / N * log(v / rc[a]);
            }
        }
    free(tab);
    out->homogeneity = hc > 0 ? 1.0 - hc_k / hc : 1.0;
    out->completeness = hk > 0 ? 1.0 - hk_c / hk : 1.0;
    double s = out->homogeneity + out->completeness;
    out->v = s > 0 ? 2.0 * out->homogeneity * out->completeness / s : 0.0;
    return BB_OK;
}

static double dist2(const float *a, const double *c, int dim)
{
    double s = 0;
    for (int j = 0; j < dim; j++) {
        double d = (double)a[j] - c[j];
        s += d * d;
    }
    return s;
}

enum bb_status bb_kmeans(const float *x, size_t n, int dim, size_t k, int max_iter, uint64_t seed,
                         int *assign, struct bb_kmeans_result *out, struct bb_error *err)
{
    if (!k || k > n || dim < 1 || max_iter < 1)
        return bb_fail(err, BB_E_INPUT, "k-means: need 1 <= k <= n (k = %zu, n = %zu)", k, n);
    double *c = malloc(k * (size_t)dim * sizeof *c), *d = malloc(n * sizeof *d);
    size_t *cnt = malloc(k * sizeof *cnt);
    if (!c || !d || !cnt) {
        free(c);
        free(d);
        free(cnt);
        return bb_fail(err, BB_E_NOMEM, "out of memory for k-means (%zu x %d, k = %zu)", n, dim, k);
    }
    struct bb_rng rng;
    bb_rng_seed(&rng, seed);
    /* k-means++ seeding */
    size_t first = (size_t)bb_rng_below(&rng, n);
    for (int j = 0; j < dim; j++)
        c[j] = x[first * (size_t)dim + (size_t)j];
    for (size_t i = 0; i < n; i++)
        d[i] = dist2(x + i * (size_t)dim, c, dim);
    for (size_t m = 1; m < k; m++) {
        double tot = 0;
        for (size_t i = 0; i < n; i++)
            tot += d[i];
        size_t pick = n - 1;
        if (tot > 0) {
            double r = bb_rng_uniform(&rng) * tot, acc = 0;
            for (size_t i = 0; i < n; i++) {
                acc += d[i];
                if (d[i] > 0 && acc > r) {
                    pick = i;
                    break;
                }
            }
            while (d[pick] <= 0) /* rounding at the end: the last point still away */
                pick--;
        } else { /* every point sits on a centre: any point */
            pick = (size_t)bb_rng_below(&rng, n);
        }
        double *cm = c + m * (size_t)dim;
        for (int j = 0; j < dim; j++)
            cm[j] = x[pick * (size_t)dim + (size_t)j];
        for (size_t i = 0; i < n; i++) {
            double e = dist2(x + i * (size_t)dim, cm, dim);
            if (e < d[i])
                d[i] = e;
        }
    }
    for (size_t i = 0; i < n; i++)
        assign[i] = -1;
    int it = 0, changed = 1;
    double inertia = 0;
    while (it < max_iter && changed) {
        it++;
        changed = 0;
        inertia = 0;
        for (size_t i = 0; i < n; i++) { /* assignment */
            const float *xi = x + i * (size_t)dim;
            double best = INFINITY;
            int bi = 0;
            for (size_t m = 0; m < k; m++) {
                double e = dist2(xi, c + m * (size_t)dim, dim);
                if (e < best) {
                    best = e;
                    bi = (int)m;
                }
            }
            if (assign[i] != bi) {
                assign[i] = bi;
                changed = 1;
            }
            d[i] = best;
            inertia += best;
        }
        if (!changed)
            break;
        /* update */
        memset(c, 0, k * (size_t)dim * sizeof *c);
        memset(cnt, 0, k * sizeof *cnt);
        for (size_t i = 0; i < n; i++) {
            double *cm = c + (size_t)assign[i] * (size_t)dim;
            const float *xi = x + i * (size_t)dim;
            cnt[assign[i]]++;
            for (int j = 0; j < dim; j++)
                cm[j] += xi[j];
        }
        for (size_t m = 0; m < k; m++) {
            double *cm = c + m * (size_t)dim;
            if (cnt[m]) {
                for (int j = 0; j < dim; j++)
                    cm[j] /= (double)cnt[m];
                continue;
            }
            /* empty: the point farthest from its centre moves here */
            size_t far = 0;
            for (size_t i = 1; i < n; i++)
                if (d[i] > d[far])
                    far = i;
            for (int j = 0; j < dim; j++)
                cm[j] = x[far * (size_t)dim + (size_t)j];
            d[far] = 0;
        }
    }
    out->inertia = inertia;
    out->iterations = it;
    out->converged = !changed;
    free(c);
    free(d);
    free(cnt);
    return BB_OK;
}
