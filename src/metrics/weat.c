/* weat.c: WEAT/SEAT effect size, statistic, exact and sampled permutation
 * p-values and bootstraps over precomputed cosine tables (see weat.h). */
#include "metrics/weat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/rng.h"

#define WEAT_TIE_SLACK 1e-12

/* ---- cosine table -------------------------------------------------------- */

/* One input set: float or double rows, converted to double for the math. */
struct rows {
    const float *f;
    const double *d;
    size_t n;
    const char *name;
};

/* Double rows of r into *out (a copy when the input is float, else the input
 * itself; *owned says whether to free it) and their norms into norms[0..n). */
static enum bb_status prepare_rows(const struct rows *r, size_t dim, const double **out,
                                   double **owned, double *norms, struct bb_error *err)
{
    *owned = NULL;
    if (r->n == 0)
        return bb_fail(err, BB_E_INPUT, "weat: set %s is empty", r->name);
    if (!r->f && !r->d)
        return bb_fail(err, BB_E_INPUT, "weat: set %s has no data", r->name);
    const double *m = r->d;
    if (r->f) {
        if (!(*owned = malloc(r->n * dim * sizeof **owned)))
            return bb_fail(err, BB_E_NOMEM, "weat: out of memory for set %s", r->name);
        for (size_t i = 0; i < r->n * dim; i++)
            (*owned)[i] = (double)r->f[i];
        m = *owned;
    }
    *out = m;
    for (size_t i = 0; i < r->n; i++) {
        double ss = 0;
        for (size_t k = 0; k < dim; k++)
            ss += m[i * dim + k] * m[i * dim + k];
        if (!isfinite(ss) || ss == 0)
            return bb_fail(err, BB_E_INPUT,
                           "weat: set %s row %zu: expected a finite non-zero vector, found %s",
                           r->name, i, ss == 0 ? "norm 0" : "a non-finite value");
        norms[i] = sqrt(ss);
    }
    return BB_OK;
}

/* Dot product with four independent partial sums (the add latency, not the
 * multiplies, bounds a single-accumulator loop). */
static double dot(const double *u, const double *v, size_t dim)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t k = 0;
    for (; k + 4 <= dim; k += 4) {
        a0 += u[k] * v[k];
        a1 += u[k + 1] * v[k + 1];
        a2 += u[k + 2] * v[k + 2];
        a3 += u[k + 3] * v[k + 3];
    }
    for (; k < dim; k++)
        a0 += u[k] * v[k];
    return (a0 + a1) + (a2 + a3);
}

/* The (nx + ny, na + nb) table from prepared rows m[0..4) and norms. */
static void fill_cos(struct bb_weat_cos *c, const double *const m[4], double *const norms[4],
                     size_t dim)
{
    size_t nat = c->na + c->nb;
    for (size_t t = 0; t < c->nx + c->ny; t++) {
        int ts = t < c->nx ? 0 : 1;
        size_t ti = ts ? t - c->nx : t;
        for (size_t j = 0; j < nat; j++) {
            int as = j < c->na ? 2 : 3;
            size_t aj = as == 2 ? j : j - c->na;
            c->cos[t * nat + j] =
                dot(m[ts] + ti * dim, m[as] + aj * dim, dim) / (norms[ts][ti] * norms[as][aj]);
        }
    }
}

/* r[0..4) = X, Y, A, B. */
static enum bb_status cos_build(struct bb_weat_cos *c, const struct rows *r, size_t dim,
                                struct bb_error *err)
{
    enum bb_status st = BB_OK;
    c->cos = NULL;
    c->nx = r[0].n, c->ny = r[1].n, c->na = r[2].n, c->nb = r[3].n;
    if (dim == 0)
        return bb_fail(err, BB_E_INPUT, "weat: embedding dimension is 0");
    if (c->nx + c->ny < 2)
        return bb_fail(err, BB_E_INPUT, "weat: need at least 2 targets in X u Y, found %zu",
                       c->nx + c->ny);
    size_t nt = c->nx + c->ny, nat = c->na + c->nb;
    double *norms[4] = {0}, *owned[4] = {0};
    const double *m[4] = {0};
    for (int s = 0; s < 4; s++)
        if (!(norms[s] = malloc((r[s].n ? r[s].n : 1) * sizeof(double)))) {
            st = bb_fail(err, BB_E_NOMEM, "weat: out of memory");
            goto done;
        }
    for (int s = 0; s < 4; s++)
        if ((st = prepare_rows(&r[s], dim, &m[s], &owned[s], norms[s], err)) != BB_OK)
            goto done;
    if (!(c->cos = malloc(nt * nat * sizeof *c->cos))) {
        st = bb_fail(err, BB_E_NOMEM, "weat: out of memory for a %zu x %zu cosine table", nt, nat);
        goto done;
    }
    fill_cos(c, m, norms, dim);
done:
    for (int s = 0; s < 4; s++) {
        free(norms[s]);
        free(owned[s]);
    }
    return st;
}

enum bb_status bb_weat_cos_init(struct bb_weat_cos *c, const struct bb_weat_sets *s,
                                struct bb_error *err)
{
    struct rows r[4] = {{s->x, NULL, s->nx, "X"}, {s->y, NULL, s->ny, "Y"},
                        {s->a, NULL, s->na, "A"}, {s->b, NULL, s->nb, "B"}};
    return cos_build(c, r, s->dim, err);
}

enum bb_status bb_weat_cos_init_d(struct bb_weat_cos *c, const struct bb_weat_sets_d *s,
                                  struct bb_error *err)
{
    struct rows r[4] = {{NULL, s->x, s->nx, "X"}, {NULL, s->y, s->ny, "Y"},
                        {NULL, s->a, s->na, "A"}, {NULL, s->b, s->nb, "B"}};
    return cos_build(c, r, s->dim, err);
}

void bb_weat_cos_free(struct bb_weat_cos *c)
{
    if (!c)
        return;
    free(c->cos);
    c->cos = NULL;
}

/* ---- effect size and statistic ------------------------------------------- */

void bb_weat_s(const struct bb_weat_cos *c, double *s)
{
    size_t nat = c->na + c->nb;
    for (size_t t = 0; t < c->nx + c->ny; t++) {
        const double *row = c->cos + t * nat;
        double sa = 0, sb = 0;
        for (size_t j = 0; j < c->na; j++)
            sa += row[j];
        for (size_t j = c->na; j < nat; j++)
            sb += row[j];
        s[t] = sa / (double)c->na - sb / (double)c->nb;
    }
}

/* Mean over X, mean over Y, sample std over both, of s[0..nx+ny). */
static void s_moments(const double *s, size_t nx, size_t ny, double *mx, double *my, double *sd)
{
    *mx = bb_stats_mean(s, nx);
    *my = bb_stats_mean(s + nx, ny);
    *sd = bb_stats_stddev(s, nx + ny);
}

/* The doubles effect_size_in needs as scratch. */
static size_t scratch_len(const struct bb_weat_cos *c)
{
    return c->na + c->nb + 2 * (c->nx + c->ny);
}

/* bb_weat_effect_size_idx in the caller's scratch w (scratch_len(c) doubles). */
static double effect_size_in(const struct bb_weat_cos *c, const int *idx, double *w)
{
    size_t nt = c->nx + c->ny, nat = c->na + c->nb;
    /* One weight per attribute column: (times drawn) / na for A, -(times drawn) / nb
     * for B, so s(t) = row_t . w; then every target's s once, gathered by idx. */
    memset(w, 0, nat * sizeof *w);
    double *s_all = w + nat, *s = s_all + nt;
    for (size_t j = 0; j < c->na; j++)
        w[idx[nt + j] - (int)nt] += 1.0 / (double)c->na;
    for (size_t j = 0; j < c->nb; j++)
        w[idx[nt + c->na + j] - (int)nt] -= 1.0 / (double)c->nb;
    for (size_t t = 0; t < nt; t++) {
        s_all[t] = dot(c->cos + t * nat, w, nat);
    }
    for (size_t t = 0; t < nt; t++)
        s[t] = s_all[idx[t]];
    double mx, my, sd;
    s_moments(s, c->nx, c->ny, &mx, &my, &sd);
    return sd > 0 ? (mx - my) / sd : NAN;
}

double bb_weat_effect_size_idx(const struct bb_weat_cos *c, const int *idx)
{
    double *w = malloc(scratch_len(c) * sizeof *w);
    double d = w ? effect_size_in(c, idx, w) : NAN;
    free(w);
    return d;
}

/* ---- permutation p-value ------------------------------------------------- */

uint64_t bb_weat_binom_capped(uint64_t n, uint64_t k, uint64_t cap)
{
    if (k > n)
        return 0;
    if (k > n - k)
        k = n - k;
    uint64_t c = 1;
    for (uint64_t i = 1; i <= k; i++) {
        /* c * (n-k+i) / i is exact; stop once it passes cap (it only grows). */
        uint64_t f = n - k + i;
        if (c > UINT64_MAX / f)
            return UINT64_MAX;
        c = c * f / i;
        if (c > cap)
            return UINT64_MAX;
    }
    return c;
}

struct perm_ctx {
    const double *s;
    size_t n;
    double total, threshold; /* count 2*sum(S) - total >= threshold */
    uint64_t count;
};

/* Enumerate every k-subset of s[start..n) added to acc (depth-first). */
static void enumerate(struct perm_ctx *p, size_t start, size_t k, double acc)
{
    if (k == 0) {
        p->count += 2 * acc - p->total >= p->threshold;
        return;
    }
    for (size_t i = start; i + k <= p->n; i++)
        enumerate(p, i + 1, k - 1, acc + p->s[i]);
}

static enum bb_status sampled_count(struct perm_ctx *p, size_t k, uint64_t samples, uint64_t seed,
                                    struct bb_error *err)
{
    int *perm = malloc(p->n * sizeof *perm);
    if (!perm)
        return bb_fail(err, BB_E_NOMEM, "weat: out of memory");
    for (size_t i = 0; i < p->n; i++)
        perm[i] = (int)i;
    struct bb_rng rng;
    bb_rng_seed(&rng, seed);
    for (uint64_t t = 0; t < samples; t++) {
        bb_rng_choose(&rng, perm, p->n, k);
        double acc = 0;
        for (size_t i = 0; i < k; i++)
            acc += p->s[perm[i]];
        p->count += 2 * acc - p->total >= p->threshold;
    }
    free(perm);
    return BB_OK;
}

struct bb_weat_opts bb_weat_opts_default(void)
{
    return (struct bb_weat_opts){.budget = 100000, .seed = 0};
}

static enum bb_status p_value(const double *s, size_t nx, size_t ny, double observed,
                              const struct bb_weat_opts *o, struct bb_weat_result *out,
                              struct bb_error *err)
{
    size_t n = nx + ny;
    struct perm_ctx p = {.s = s, .n = n};
    double scale = 0;
    for (size_t i = 0; i < n; i++) {
        p.total += s[i];
        scale += fabs(s[i]);
    }
    p.threshold = observed - WEAT_TIE_SLACK * scale;
    uint64_t parts = bb_weat_binom_capped(n, nx, o->budget);
    if (parts != UINT64_MAX) {
        enumerate(&p, 0, nx, 0.0);
        out->p_exact = true;
        out->permutations = parts;
        out->count_ge = p.count;
        out->p_value = (double)p.count / (double)parts;
        return BB_OK;
    }
    enum bb_status st = sampled_count(&p, nx, o->budget, o->seed, err);
    if (st != BB_OK)
        return st;
    out->p_exact = false;
    out->permutations = o->budget;
    out->count_ge = p.count;
    out->p_value = (double)(1 + p.count) / (double)(1 + o->budget);
    return BB_OK;
}

enum bb_status bb_weat_run(const struct bb_weat_cos *c, const struct bb_weat_opts *opt,
                           struct bb_weat_result *out, struct bb_error *err)
{
    struct bb_weat_opts o = opt ? *opt : bb_weat_opts_default();
    if (o.budget == 0)
        return bb_fail(err, BB_E_INPUT, "weat: permutation budget must be > 0");
    if (!c->cos || c->nx == 0 || c->ny == 0 || c->na == 0 || c->nb == 0)
        return bb_fail(err, BB_E_INPUT, "weat: cosine table missing or a set is empty");
    size_t nt = c->nx + c->ny;
    double *s = malloc(nt * sizeof *s);
    if (!s)
        return bb_fail(err, BB_E_NOMEM, "weat: out of memory");
    bb_weat_s(c, s);
    s_moments(s, c->nx, c->ny, &out->mean_x, &out->mean_y, &out->std_xy);
    out->effect_size = out->std_xy > 0 ? (out->mean_x - out->mean_y) / out->std_xy : NAN;
    double sx = 0, sy = 0;
    for (size_t i = 0; i < c->nx; i++)
        sx += s[i];
    for (size_t i = c->nx; i < nt; i++)
        sy += s[i];
    out->statistic = sx - sy;
    enum bb_status st = p_value(s, c->nx, c->ny, out->statistic, &o, out, err);
    free(s);
    return st;
}

/* ---- bootstraps ---------------------------------------------------------- */

/* A bootstrap's statistic: the effect size in scratch allocated once, so that no replicate
 * can lose an allocation and come out NaN (dropped as undefined) instead of failing. */
struct es_ctx {
    const struct bb_weat_cos *c;
    double *w;
};

static double es_cb(const int *idx, size_t n, void *ctx)
{
    const struct es_ctx *e = ctx;
    (void)n;
    return effect_size_in(e->c, idx, e->w);
}

static void weat_strata(const struct bb_weat_cos *c, size_t sizes[4])
{
    sizes[0] = c->nx, sizes[1] = c->ny, sizes[2] = c->na, sizes[3] = c->nb;
}

enum bb_status bb_weat_bootstrap_ci(const struct bb_weat_cos *c,
                                    const struct bb_bootstrap_opts *opt, struct bb_ci *out,
                                    struct bb_error *err)
{
    size_t sizes[4];
    weat_strata(c, sizes);
    struct es_ctx e = {c, malloc(scratch_len(c) * sizeof *e.w)};
    enum bb_status st =
        e.w ? bb_stats_bootstrap_ci_strata(sizes, 4, es_cb, &e, opt, out, err)
            : bb_fail(err, BB_E_NOMEM, "bootstrap: out of memory");
    if (st != BB_OK)
        bb_error_prefix(err, "weat: ");
    free(e.w);
    return st;
}

enum bb_status bb_weat_paired_bootstrap(const struct bb_weat_cos *m1, const struct bb_weat_cos *m2,
                                        const struct bb_bootstrap_opts *opt,
                                        struct bb_paired *out, struct bb_error *err)
{
    if (m1->nx != m2->nx || m1->ny != m2->ny || m1->na != m2->na || m1->nb != m2->nb)
        return bb_fail(err, BB_E_INPUT,
                       "weat paired bootstrap: set sizes differ between the two models "
                       "(X %zu/%zu, Y %zu/%zu, A %zu/%zu, B %zu/%zu)",
                       m1->nx, m2->nx, m1->ny, m2->ny, m1->na, m2->na, m1->nb, m2->nb);
    size_t sizes[4];
    weat_strata(m1, sizes);
    struct es_ctx e1 = {m1, malloc(scratch_len(m1) * sizeof *e1.w)},
                  e2 = {m2, malloc(scratch_len(m2) * sizeof *e2.w)};
    enum bb_status st =
        e1.w && e2.w ? bb_stats_paired_bootstrap(sizes, 4, es_cb, &e1, es_cb, &e2, opt, out, err)
                     : bb_fail(err, BB_E_NOMEM, "paired bootstrap: out of memory");
    if (st != BB_OK)
        bb_error_prefix(err, "weat: ");
    free(e1.w);
    free(e2.w);
    return st;
}
