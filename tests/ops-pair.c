/* ops-pair.c: the seeded PRNG and the ref/under-test buffer pairs the op
 * tests share (ops-pair.h). */
#include "ops-pair.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

struct bb_backend *R, *C;
long want_count[2][BB_OP_COUNT];
double worst[BB_OP_COUNT];

/* ---- seeded PRNG (splitmix64) ----------------------------------------- */

static uint64_t rng;

void rnd_seed(uint64_t seed) { rng = seed; }

uint64_t rnd_u64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

float rnd_uniform(float lo, float hi)
{
    double u = (double)(rnd_u64() >> 11) * (1.0 / 9007199254740992.0); /* [0, 1), 53 bits */
    return (float)(lo + (hi - lo) * u);
}

int rnd_int(int lo, int hi) { return lo + (int)(rnd_u64() % (uint64_t)(hi - lo + 1)); }

float *rnd_floats(size_t n, float lo, float hi)
{
    float *v = malloc(n * sizeof *v + 4);
    if (!v)
        bail("out of memory for %zu floats", n);
    for (size_t i = 0; i < n; i++)
        v[i] = rnd_uniform(lo, hi);
    return v;
}

void check(enum bb_status st, const struct bb_error *err, const char *what)
{
    if (st)
        bail("%s: %s", what, err->msg);
}

void ops_open(const char *cache_name)
{
    struct bb_error err = {0};
    check(bb_backend_ref_create(&R, &err), &err, "ref backend");
    char cache[4096];
    snprintf(cache, sizeof cache, "%s/%s", test_tmp_dir(), cache_name);
    struct bb_backend_opts opts = {.device = "auto", .cache_dir = cache};
    enum bb_status st = bb_backend_create("opencl", &opts, &C, &err);
    if (st == BB_E_NODEVICE) {
        bb_backend_free(R);
        skip_all("no OpenCL device: %s", err.msg); /* bails under CI */
    }
    check(st, &err, "opencl backend");
    diag("device: %s (%s, %s, driver %s), %d compute units, programs built so far in %.3f s%s",
         C->info.name, C->info.platform, C->info.version, C->info.driver, C->info.compute_units,
         C->info.build_seconds, C->info.program_cached ? " (cached)" : "");
}

/* ---- buffers on both backends ----------------------------------------- */

struct pair pair_new(size_t bytes)
{
    struct bb_error err = {0};
    struct pair p = {NULL, NULL, bytes};
    check(bb_buffer_alloc(R, bytes, &p.r, &err), &err, "ref alloc");
    check(bb_buffer_alloc(C, bytes, &p.c, &err), &err, "opencl alloc");
    return p;
}

void pair_upload(struct pair *p, const void *data)
{
    struct bb_error err = {0};
    check(bb_backend_upload(R, p->r, 0, data, p->bytes, &err), &err, "ref upload");
    check(bb_backend_upload(C, p->c, 0, data, p->bytes, &err), &err, "opencl upload");
}

struct pair pair_floats(size_t n, float lo, float hi)
{
    float *v = rnd_floats(n, lo, hi);
    struct pair p = pair_new(n * sizeof *v);
    pair_upload(&p, v);
    free(v);
    return p;
}

struct pair pair_ints(const int32_t *v, size_t n)
{
    struct pair p = pair_new(n * sizeof *v);
    pair_upload(&p, v);
    return p;
}

void pair_free(struct pair *p)
{
    bb_buffer_free(R, p->r);
    bb_buffer_free(C, p->c);
    p->r = p->c = NULL;
}

void pair_download(struct pair *p, size_t n, float *a, float *b)
{
    struct bb_error err = {0};
    check(bb_backend_download(R, p->r, 0, a, n * 4, &err), &err, "ref download");
    check(bb_backend_download(C, p->c, 0, b, n * 4, &err), &err, "opencl download");
}

double norm_error(const float *a, const float *b, size_t n, size_t cols, const bool *row_ok)
{
    double maxdiff = 0, maxref = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(b[i]) || !isfinite(a[i]))
            return INFINITY;
        if (row_ok && !row_ok[i / cols])
            continue;
        maxdiff = fmax(maxdiff, fabs((double)a[i] - b[i]));
        maxref = fmax(maxref, fabs((double)a[i]));
    }
    return maxdiff / fmax(1.0, maxref);
}

double pair_error_rows(struct pair *p, size_t n, size_t cols, const bool *row_ok)
{
    float *a = malloc(n * 4 + 4), *b = malloc(n * 4 + 4);
    if (!a || !b)
        bail("out of memory for %zu floats", n);
    pair_download(p, n, a, b);
    double e = norm_error(a, b, n, cols, row_ok);
    free(a);
    free(b);
    return e;
}

double pair_error(struct pair *p, size_t n) { return pair_error_rows(p, n, 1, NULL); }

double pair_matmul(const void *src, enum bb_dtype src_dtype, enum bb_dtype storage, int m, int n,
                   int k, bool bias, bool res, enum bb_act act, float x_span)
{
    struct bb_weight wr, wc;
    struct bb_error er = {0}, ec = {0};
    check(bb_weight_upload(R, src, src_dtype, n, k, storage, &wr, &er), &er, "ref weight");
    check(bb_weight_upload(C, src, src_dtype, n, k, storage, &wc, &ec), &ec, "opencl weight");
    struct pair x = pair_floats((size_t)m * k, -x_span, x_span);
    struct pair pb = bias ? pair_floats((size_t)n, -1, 1) : (struct pair){0};
    struct pair pr = res ? pair_floats((size_t)m * n, -1, 1) : (struct pair){0};
    struct pair out = res ? pr : pair_new((size_t)m * n * 4); /* out may alias the residual */
    ran(BB_OP_MATMUL, bb_op_matmul(R, x.r, &wr, pb.r, pr.r, out.r, m, act, &er),
        bb_op_matmul(C, x.c, &wc, pb.c, pr.c, out.c, m, act, &ec), &er, &ec);
    double e = pair_error(&out, (size_t)m * n);
    pair_free(&x);
    if (bias)
        pair_free(&pb);
    pair_free(&out);
    bb_weight_free(R, &wr);
    bb_weight_free(C, &wc);
    return e;
}

/* ---- points and op counts --------------------------------------------- */

void expect(enum bb_op_kind op, double e, double tol, const char *desc)
{
    if (e > worst[op] || isinf(e))
        worst[op] = e;
    ok(e <= tol, "%s %s: error %.2e <= %.0e", bb_op_name(op), desc, e, tol);
}

void ran(enum bb_op_kind op, enum bb_status st_r, enum bb_status st_c, const struct bb_error *er,
         const struct bb_error *ec)
{
    check(st_r, er, "ref op");
    check(st_c, ec, "opencl op");
    want_count[0][op]++;
    want_count[1][op]++;
}
