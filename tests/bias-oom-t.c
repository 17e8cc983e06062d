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
static bool assoc_same(const void *x, const void *y)
{
    const struct bb_assoc_result *a = x, *b = y;
    return same(a->w.effect_size, b->w.effect_size) && same(a->ci_low, b->ci_low) &&
           same(a->ci_high, b->ci_high);
}

static enum bb_status assoc(void *r, struct bb_error *err)
{
    const size_t d = 3;
    struct bb_weat_sets s = {g_vec, g_vec + 4 * d, g_vec + 8 * d, g_vec + 11 * d, 4, 4, 3, 3, d};
    struct bb_assoc_opts o = {1000, 3, {50, 0.95, 7}};
    return bb_assoc_run(&s, &o, r, err);
}

static bool assoc_has_ci(const void *x)
{
    return !isnan(((const struct bb_assoc_result *)x)->ci_low);
}

static void assoc_free(void *r)
{
    bb_assoc_result_free(r);
}

/* Three sets of four sentences (two per group), gold labels of both kinds in each group. */
static const double CF_SCORE[12] = {.9, .8, .4, .3, .7, .6, .5, .2, .8, .3, .6, .1};
static const size_t CF_SET[12] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
static const int CF_GID[12] = {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1};
static const int CF_PRED[12] = {1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0};
static const int CF_LABEL[12] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
static const char *const CF_GROUPS[2] = {"g=a", "g=b"};

static bool cf_same(const void *x, const void *y)
{
    const struct bb_cf_result *a = x, *b = y;
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

static enum bb_status cf(void *r, struct bb_error *err)
{
    struct bb_cf_input in = {12, CF_SCORE, CF_SET, 3, CF_PRED, CF_LABEL};
    struct bb_cf_grouping g = {"g", 2, CF_GROUPS, CF_GID};
    struct bb_cf_opts o = {{50, 0.95, 5}, 1000, 3};
    return bb_cf_analyze(&in, &g, &o, r, err);
}

static bool cf_has_cis(const void *x)
{
    const struct bb_cf_result *r = x;
    return r->has_eo && !isnan(r->eo_diff_low) && !isnan(r->dp_diff_low);
}

static void cf_free(void *r)
{
    bb_cf_result_free(r);
}

/* ---- the sweep ------------------------------------------------------------------ */

struct subject {
    const char *name;
    enum bb_status (*run)(void *res, struct bb_error *err);
    bool (*has_cis)(const void *res);           /* the clean run has the CIs at stake */
    bool (*same)(const void *a, const void *b); /* two results agree */
    void (*release)(void *res);
};

/* Run s cleanly into clean, then with its Kth allocation failing into res, K = 1, 2, ... */
static void sweep(const struct subject *s, void *clean, void *res)
{
    struct bb_error err = {0};
    if (!ok(s->run(clean, &err) == BB_OK && s->has_cis(clean), "%s, clean: %s", s->name,
            err.msg[0] ? err.msg : "every CI present"))
        return;
    unsigned long k, bad = 0, first_bad = 0;
    for (k = 1; k < 100000; k++) {
        struct bb_error e = {0};
        g_calls = 0;
        g_fail_at = k;
        g_armed = true;
        enum bb_status st = s->run(res, &e);
        g_armed = false;
        bool reached = g_calls >= k;
        bool fine = st == BB_E_NOMEM ? strstr(e.msg, "memory") != NULL
                                     : st == BB_OK && s->same(clean, res);
        if (st == BB_OK)
            s->release(res);
        if (!fine && !bad++)
            first_bad = k;
        if (!reached)
            break;
    }
    ok(bad == 0, "%s: each of its %lu allocations, failed, gives BB_E_NOMEM or the clean "
       "result (%lu do neither, the first: allocation %lu)", s->name, k - 1, bad, first_bad);
    s->release(clean);
}

int main(void)
{
    static const struct subject assoc_s = {"association", assoc, assoc_has_ci, assoc_same,
                                           assoc_free};
    static const struct subject cf_s = {"counterfactual", cf, cf_has_cis, cf_same, cf_free};
    struct bb_assoc_result a0, a1;
    struct bb_cf_result c0, c1;
    plan(4);
    make_vectors();
    sweep(&assoc_s, &a0, &a1);
    sweep(&cf_s, &c0, &c1);
    return tap_failures() ? 1 : 0;
}
