/* rng.h: a small seeded pseudo-random generator for the metrics (bootstrap,
 * permutation sampling). xoshiro256** seeded through splitmix64: the same
 * seed gives the same stream on every platform and compiler. Not for
 * cryptography. No global state: each caller owns a struct bb_rng. */
#ifndef BB_METRICS_RNG_H
#define BB_METRICS_RNG_H

#include <stddef.h>
#include <stdint.h>

struct bb_rng {
    uint64_t s[4];
};

/* Seed the state from one 64-bit seed (any value, 0 included). */
void bb_rng_seed(struct bb_rng *r, uint64_t seed);
/* Next raw 64-bit output. */
uint64_t bb_rng_next(struct bb_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double bb_rng_uniform(struct bb_rng *r);
/* Uniform integer in [0, n) without modulo bias (rejection); n == 0 gives 0. */
uint64_t bb_rng_below(struct bb_rng *r, uint64_t n);
/* Fisher-Yates shuffle of a[0..n) in place. */
void bb_rng_shuffle(struct bb_rng *r, int *a, size_t n);
/* Move a uniform random k-subset of a[0..n) into a[0..k) (partial
 * Fisher-Yates); a[k..n) holds the rest. k > n is treated as n. */
void bb_rng_choose(struct bb_rng *r, int *a, size_t n, size_t k);
/* k draws with replacement from {base, ..., base + n - 1} into out[0..k).
 * n == 0 writes nothing. */
void bb_rng_resample(struct bb_rng *r, int base, size_t n, int *out, size_t k);

#endif
