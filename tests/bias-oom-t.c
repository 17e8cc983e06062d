/* bias-oom-t.c: out of memory inside the bias statistics (src/metrics/bias.c) is an
 * error, never a result with its confidence intervals silently missing. This program is
 * linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, so every allocation made by
 * the library can be failed: each of bb_assoc_run (WEAT/SEAT with a bootstrap CI) and
 * bb_cf_analyze (counterfactual means, gaps, fairness CIs) is run once cleanly, then once
 * with its Kth allocation failing for K = 1, 2, ... until a run makes fewer than K. Every
 * faulted run must return BB_E_NOMEM with a message about memory, or BB_OK with results
 * identical to the clean run's (a caller that recovers). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/bias.h"
#include "tap.h"

/* ---- the allocation hook -------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

static bool g_armed;
static unsigned long g_calls, g_fail_at; /* while armed: the call that fails (from 1) */

static bool fail_here(void)
{
    if (!g_armed || ++g_calls != g_fail_at)
        return false;
    errno = ENOMEM;
    return true;
}

void *__wrap_malloc(size_t n)
{
    return fail_here() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fail_here() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_here() ? NULL : __real_realloc(p, n);
}

/* ---- fixtures ------------------------------------------------------------------- */

static bool same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* 14 deterministic vectors of dimension 3 (x4, y4, a3, b3), none zero. */
static float g_vec[14 * 3];

static void make_vectors(void)
{
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof g_vec / sizeof g_vec[0]; i++) {
        s = s * 1103515245u + 12345u;
        g_vec[i] = (float)((s >> 8) % 1000) / 1000.0f + 0.05f * (float)(i % 3 + 1);
    }
}

/* The numbers of an association result that its CI-less twin would differ in. */
static bool assoc_same(const struct bb_assoc_result *a, const struct bb_assoc_result *b)
{
    return same(a->w.effect_size, b->w.effect_size) && same(a->ci_low, b->ci_low) &&
           same(a->ci_high, b->ci_high);
}

static enum bb_status assoc(struct bb_assoc_result *r, struct bb_error *err)
{
    const size_t d = 3;
    struct bb_weat_sets s = {g_vec, g_vec + 4 * d, g_vec + 8 * d, g_vec + 11 * d, 4, 4, 3, 3, d};
    struct bb_assoc_opts o = {1000, 3, {50, 0.95, 7}};
    return bb_assoc_run(&s, &o, r, err);
}

/* Three sets of four sentences (two per group), gold labels of both kinds in each group. */
static const double CF_SCORE[12] = {.9, .8, .4, .3, .7, .6, .5, .2, .8, .3, .6, .1};
static const size_t CF_SET[12] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
static const int CF_GID[12] = {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1};
static const int CF_PRED[12] = {1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0};
static const int CF_LABEL[12] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
static const char *const CF_GROUPS[2] = {"g=a", "g=b"};

static bool cf_same(const struct bb_cf_result *a, const struct bb_cf_result *b)
{
    bool eq = a->n_groups == b->n_groups && a->n_gaps == b->n_gaps && a->has_eo == b->has_eo &&
              same(a->dp.difference, b->dp.difference) && same(a->dp_diff_low, b->dp_diff_low) &&
              same(a->dp_diff_high, b->dp_diff_high) && same(a->dp_ratio_low, b->dp_ratio_low) &&
              same(a->dp_ratio_high, b->dp_ratio_high) && same(a->eo_diff_low, b->eo_diff_low) &&
              same(a->eo_diff_high, b->eo_diff_high);
    for (int k = 0; eq && k < a->n_groups; k++)
        eq = same(a->groups[k].mean, b->groups[k].mean) &&
             same(a->groups[k].ci_low, b->groups[k].ci_low) &&
             same(a->groups[k].ci_high, b->groups[k].ci_high);
    return eq;
}

static enum bb_status cf(struct bb_cf_result *r, struct bb_error *err)
{
    struct bb_cf_input in = {12, CF_SCORE, CF_SET, 3, CF_PRED, CF_LABEL};
    struct bb_cf_grouping g = {"g", 2, CF_GROUPS, CF_GID};
    struct bb_cf_opts o = {{50, 0.95, 5}, 1000, 3};
    return bb_cf_analyze(&in, &g, &o, r, err);
}

/* ---- the sweeps ----------------------------------------------------------------- */

static bool says_memory(const char *msg)
{
    return strstr(msg, "memory") != NULL;
}

static void sweep_assoc(void)
{
    struct bb_assoc_result clean, r;
    struct bb_error err = {0};
    if (!ok(assoc(&clean, &err) == BB_OK && !isnan(clean.ci_low), "association, clean: %s",
            err.msg[0] ? err.msg : "effect size and a CI"))
        return;
    unsigned long k, bad = 0, first_bad = 0;
    for (k = 1; k < 100000; k++) {
        struct bb_error e = {0};
        g_calls = 0;
        g_fail_at = k;
        g_armed = true;
        enum bb_status st = assoc(&r, &e);
        g_armed = false;
        bool reached = g_calls >= k;
        bool fine = st == BB_E_NOMEM ? says_memory(e.msg) : st == BB_OK && assoc_same(&clean, &r);
        if (st == BB_OK)
            bb_assoc_result_free(&r);
        if (!fine && !bad++)
            first_bad = k;
        if (!reached)
            break;
    }
    ok(bad == 0, "association: each of its %lu allocations, failed, gives BB_E_NOMEM or the "
       "clean result (%lu do neither, the first: allocation %lu)", k - 1, bad, first_bad);
    bb_assoc_result_free(&clean);
}

static void sweep_cf(void)
{
    struct bb_cf_result clean, r;
    struct bb_error err = {0};
    if (!ok(cf(&clean, &err) == BB_OK && clean.has_eo && !isnan(clean.eo_diff_low) &&
            !isnan(clean.dp_diff_low), "counterfactual, clean: %s",
            err.msg[0] ? err.msg : "means, gaps, parity and equalized odds with CIs"))
        return;
    unsigned long k, bad = 0, first_bad = 0;
    for (k = 1; k < 100000; k++) {
        struct bb_error e = {0};
        g_calls = 0;
        g_fail_at = k;
        g_armed = true;
        enum bb_status st = cf(&r, &e);
        g_armed = false;
        bool reached = g_calls >= k;
        bool fine = st == BB_E_NOMEM ? says_memory(e.msg) : st == BB_OK && cf_same(&clean, &r);
        if (st == BB_OK)
            bb_cf_result_free(&r);
        if (!fine && !bad++)
            first_bad = k;
        if (!reached)
            break;
    }
    ok(bad == 0, "counterfactual: each of its %lu allocations, failed, gives BB_E_NOMEM or the "
       "clean result (%lu do neither, the first: allocation %lu)", k - 1, bad, first_bad);
    bb_cf_result_free(&clean);
}

int main(void)
{
    plan(4);
    make_vectors();
    sweep_assoc();
    sweep_cf();
    return tap_failures() ? 1 : 0;
}
