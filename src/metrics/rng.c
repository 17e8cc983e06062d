/* rng.c: xoshiro256** (Blackman and Vigna) seeded by splitmix64, and the
 * uniform, bounded, shuffle and resampling helpers built on it. */
#include "metrics/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void bb_rng_seed(struct bb_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t bb_rng_next(struct bb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double bb_rng_uniform(struct bb_rng *r)
{
    return (double)(bb_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t bb_rng_below(struct bb_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Reject the lowest (2^64 mod n) values so every residue is equally likely. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = bb_rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

void bb_rng_shuffle(struct bb_rng *r, int *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bb_rng_below(r, i);
        int t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

void bb_rng_choose(struct bb_rng *r, int *a, size_t n, size_t k)
{
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)bb_rng_below(r, n - i);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void bb_rng_resample(struct bb_rng *r, int base, size_t n, int *out, size_t k)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < k; i++)
        out[i] = base + (int)bb_rng_below(r, n);
}
