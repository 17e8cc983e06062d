/* clustering.h: k-means and the V-measure (pure functions; no I/O).
 *
 * V-measure (Rosenberg & Hirschberg 2007; sklearn.metrics.v_measure_score with
 * beta = 1): for classes C (the gold labels) and clusters K over n items,
 *   homogeneity  h = 1 - H(C|K) / H(C)   (1 when H(C) = 0),
 *   completeness c = 1 - H(K|C) / H(K)   (1 when H(K) = 0),
 *   V = 2 h c / (h + c)                  (0 when h + c = 0),
 * entropies in nats from the contingency counts.
 *
 * k-means: Lloyd's iterations on squared Euclidean distance from k-means++
 * seeding (Arthur & Vassilvitskii 2007: the first centre uniform, each next
 * one drawn with probability proportional to the squared distance to the
 * nearest centre chosen so far), seeded by a bb_rng. Stops when no assignment
 * changes or after max_iter iterations. A cluster left empty takes the point
 * farthest from its centre (lowest index on ties). Deterministic under the seed. */
#ifndef BB_METRICS_CLUSTERING_H
#define BB_METRICS_CLUSTERING_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

struct bb_vmeasure {
    double homogeneity, completeness, v;
};

/* labels and clusters: n integer ids each (any non-negative values below
   n_labels / n_clusters). n == 0 or an id out of range: BB_E_INPUT. */
enum bb_status bb_vmeasure(const int *labels, size_t n_labels, const int *clusters,
                           size_t n_clusters, size_t n, struct bb_vmeasure *out,
                           struct bb_error *err);

struct bb_kmeans_result {
    double inertia; /* sum of squared distances to the assigned centres */
    int iterations; /* Lloyd iterations run */
    int converged;  /* 1: the last iteration changed no assignment */
};

/* Cluster x (n rows of dim floats) into k clusters: assign[0..n) in [0, k).
   1 <= k <= n, else BB_E_INPUT. max_iter >= 1. */
enum bb_status bb_kmeans(const float *x, size_t n, int dim, size_t k, int max_iter, uint64_t seed,
                         int *assign, struct bb_kmeans_result *out, struct bb_error *err);

#endif
