/* quant-t.c: ggml block formats. (1) bb_dequantize_row bit for bit against
 * gguf.quants.dequantize and bb_quantize_row against gguf.quants.quantize
 * (tests/golden/quant-*.bin from tests/reference/make_quant_golden.py), and
 * the quantise round trip; (2) quantised weights on the ref backend (its
 * matmul equals the matmul with the dequantised f32 weight, exactly); (3)
 * OpenCL against ref: matmul for every quantised type at odd m and
 * realistic/odd n, k with bias, residual and GELU; get_rows bit-exact for
 * every weight dtype, with accumulate; argument errors.
 * BB_QUANT_BENCH=1 adds GFLOP/s of Q4_1 / Q8_0 / F32 at SmolLM2-135M shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/quant.h"
#include "ops-pair.h" /* R, C (C may be NULL here), rnd_*, check, norm_error */
#include "tap.h"

/* ---- (1) golden files ---------------------------------------------------- */

static const enum bb_dtype all_types[] = {BB_F32,  BB_F16,  BB_BF16, BB_Q8_0, BB_Q4_0, BB_Q4_1,
                                          BB_Q5_0, BB_Q5_1, BB_Q4_K, BB_Q5_K, BB_Q6_K};
#define N_ALL (sizeof all_types / sizeof all_types[0])

static uint32_t rd_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_golden(enum bb_dtype t)
{
    char rel[64];
    snprintf(rel, sizeof rel, "tests/golden/quant-%s.bin", bb_dtype_name(t));
    size_t len;
    unsigned char *f = (unsigned char *)test_slurp_or_bail(test_src_path(rel), &len);
    if (len < 40 || memcmp(f, "BBQG", 4) || rd_u32(f + 4) != 1)
        bail("%s: not a version 1 quant golden file", rel);
    char ver[17] = {0};
    memcpy(ver, f + 8, 16);
    uint32_t dtype = rd_u32(f + 24), n = rd_u32(f + 32), nbytes = rd_u32(f + 36);
    is_int(t, dtype, "%s: dtype field", rel);
    is_int((long long)bb_dtype_row_bytes(t, n), nbytes, "%s: %u elements take %u bytes", rel, n,
           nbytes);
    size_t off = 40;
    if (off + nbytes + 4 * (size_t)n + 4 > len)
        bail("%s: truncated", rel);
    const unsigned char *blocks = f + off, *want = f + off + nbytes;
    off += nbytes + 4 * (size_t)n;
    float *got = malloc(4 * (size_t)n);
    bb_dequantize_row(t, blocks, got, n);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(got + i, want + 4 * i, 4) && !bad++)
            first = i;
    ok(!bad, "dequantize %s: %u elements bit-exact with gguf %s (%zu differ, first at %zu)",
       bb_dtype_name(t), n, ver, bad, first);
    free(got);

    uint32_t has_q = rd_u32(f + off);
    off += 4;
    if (!has_q) {
        float x[256] = {0};
        unsigned char q[256];
        is_int(-1, bb_quantize_row(t, x, q, 256), "quantize %s is refused", bb_dtype_name(t));
        free(f);
        return;
    }
    uint32_t nq = rd_u32(f + off);
    off += 4;
    size_t qbytes = bb_dtype_row_bytes(t, nq);
    if (off + 4 * (size_t)nq + qbytes > len)
        bail("%s: truncated quantise section", rel);
    float *x = malloc(4 * (size_t)nq), *back = malloc(4 * (size_t)nq);
    memcpy(x, f + off, 4 * (size_t)nq);
    const unsigned char *qwant = f + off + 4 * (size_t)nq;
    unsigned char *q = malloc(qbytes);
    is_int(0, bb_quantize_row(t, x, q, nq), "quantize %s succeeds", bb_dtype_name(t));
    bad = 0;
    for (size_t i = 0; i < qbytes; i++)
        if (q[i] != qwant[i] && !bad++)
            first = i;
    ok(!bad, "quantize %s: %zu bytes equal gguf.quants.quantize's (%zu differ, first at %zu)",
       bb_dtype_name(t), qbytes, bad, first);
    /* round trip: every element within the block's step of its source */
    bb_dequantize_row(t, q, back, nq);
    double worst = 0;
    for (size_t b = 0; b < nq / 32; b++) {
        float lo = INFINITY, hi = -INFINITY, amax = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[b * 32 + j];
            lo = fminf(lo, v);
            hi = fmaxf(hi, v);
            amax = fmaxf(amax, fabsf(v));
        }
        double step = t == BB_Q8_0 ? amax / 127.0 : t == BB_Q4_0 ? amax / 8.0
                    : t == BB_Q5_0 ? amax / 16.0 : t == BB_Q4_1 ? (hi - lo) / 15.0
                    : t == BB_Q5_1 ? (hi - lo) / 31.0 : 0.0;
        for (int j = 0; j < 32; j++) {
            double e = fabs((double)back[b * 32 + j] - x[b * 32 + j]);
            double tol = (t == BB_F32 ? 0.0 : t == BB_F16 ? fabs(x[b * 32 + j]) / 1024.0 + 6e-8
                          : t == BB_BF16 ? fabs(x[b * 32 + j]) / 128.0
                          /* Q4_0/Q5_0 clip the end opposite the absmax: a whole step */
                          : step * (t == BB_Q4_0 || t == BB_Q5_0 ? 1.01 : 0.51) + amax / 1024.0 +
                                1e-7);
            if (tol > 0 ? e / tol > worst : e > 0)
                worst = tol > 0 ? e / tol : INFINITY;
        }
    }
    ok(worst <= 1.0, "quantize %s round trip: every element within its rounding bound (worst "
       "%.2f of it)", bb_dtype_name(t), worst);
    free(x);
    free(back);
    free(q);
    free(f);
}

/* ---- random quantised weights -------------------------------------------- */

static uint16_t f16_bits(float v)
{
    float x[32] = {0};
    uint16_t h[32];
    x[0] = v;
    bb_quantize_row(BB_F16, x, h, 32);
    return h[0];
}

/* n rows of k elements of type t: random quants, scales giving weights of
 * order 0.1 (mins of either sign), so that matmul outputs stay O(1). */
static unsigned char *rand_weight(enum bb_dtype t, int n, int k)
{
    size_t row = bb_dtype_row_bytes(t, k), bytes = (size_t)n * row;
    unsigned char *w = malloc(bytes + 1);
    if (!bb_dtype_is_quant(t)) {
        float *v = malloc((size_t)k * 4);
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < k; j++)
                v[j] = rnd_uniform(-0.2f, 0.2f);
            bb_quantize_row(t, v, w + (size_t)r * row, k);
        }
        free(v);
        return w;
    }
    for (size_t i = 0; i < bytes; i++)
        w[i] = (unsigned char)rnd_u64();
    size_t bb = bb_dtype_block_bytes(t);
    for (size_t b = 0; b < bytes / bb; b++) {
        unsigned char *p = w + b * bb;
        uint16_t d, mn;
        switch (t) {
        case BB_Q8_0: d = f16_bits(rnd_uniform(1e-3f, 2e-3f)); memcpy(p, &d, 2); break;
        case BB_Q4_0: case BB_Q5_0:
            d = f16_bits(rnd_uniform(0.005f, 0.02f));
            memcpy(p, &d, 2);
            break;
        case BB_Q4_1: case BB_Q5_1:
            d = f16_bits(rnd_uniform(0.005f, 0.015f));
            mn = f16_bits(rnd_uniform(-0.15f, 0.05f));
            memcpy(p, &d, 2);
            memcpy(p + 2, &mn, 2);
            break;
        case BB_Q4_K: case BB_Q5_K:
            d = f16_bits(rnd_uniform(1e-4f, 4e-4f));
            mn = f16_bits(rnd_uniform(1e-4f, 2e-3f));
            memcpy(p, &d, 2);
            memcpy(p + 2, &mn, 2);
            break;
        case BB_Q6_K: d = f16_bits(rnd_uniform(1e-4f, 2e-4f)); memcpy(p + 208, &d, 2); break;
        default: break;
        }
    }
    return w;
}

static struct bb_buffer *buf_with(struct bb_backend *be, const void *data, size_t bytes)
{
    struct bb_error err = {0};
    struct bb_buffer *b;
    check(bb_buffer_alloc(be, bytes, &b, &err), &err, "alloc");
    if (data)
        check(bb_backend_upload(be, b, 0, data, bytes, &err), &err, "upload");
    return b;
}

static float *download(struct bb_backend *be, struct bb_buffer *b, size_t n)
{
    struct bb_error err = {0};
    float *v = malloc(n * 4 + 4);
    check(bb_backend_download(be, b, 0, v, n * 4, &err), &err, "download");
    return v;
}

/* y = act(x W^T + bias) + res on backend be; returns the downloaded (m, n). */
static float *run_matmul(struct bb_backend *be, const struct bb_weight *w, const float *x,
                         const float *bias, const float *res, int m, enum bb_act act)
{
    struct bb_error err = {0};
    size_t mn = (size_t)m * w->n;
    struct bb_buffer *bx = buf_with(be, x, (size_t)m * w->k * 4 + 4);
    struct bb_buffer *bb = bias ? buf_with(be, bias, (size_t)w->n * 4) : NULL;
    struct bb_buffer *bo = buf_with(be, res, mn * 4 + 4); /* out aliases the residual */
    check(bb_op_matmul(be, bx, w, bb, res ? bo : NULL, bo, m, act, &err), &err, "matmul");
    float *y = download(be, bo, mn);
    bb_buffer_free(be, bx);
    bb_buffer_free(be, bb);
    bb_buffer_free(be, bo);
    return y;
}

/* ---- (2) ref: quantised weight == its dequantised f32 weight -------------- */

static void test_ref_matmul(enum bb_dtype t, int m, int n, int k)
{
    struct bb_error err = {0};
    unsigned char *wq = rand_weight(t, n, k);
    float *wf = malloc((size_t)n * k * 4);
    size_t row = bb_dtype_row_bytes(t, k);
    for (int j = 0; j < n; j++)
        bb_dequantize_row(t, wq + (size_t)j * row, wf + (size_t)j * k, k);
    struct bb_weight a, b;
    check(bb_weight_upload(R, wq, t, n, k, t, &a, &err), &err, "ref quant upload");
    check(bb_weight_upload(R, wf, BB_F32, n, k, BB_F32, &b, &err), &err, "ref f32 upload");
    float *x = rnd_floats((size_t)m * k, -1, 1), *bias = rnd_floats(n, -1, 1);
    float *res = rnd_floats((size_t)m * n, -1, 1);
    float *ya = run_matmul(R, &a, x, bias, res, m, BB_ACT_GELU);
    float *yb = run_matmul(R, &b, x, bias, res, m, BB_ACT_GELU);
    ok(!memcmp(ya, yb, (size_t)m * n * 4), "ref matmul %s (%d, %d, %d) equals the f32 matmul "
       "of the dequantised weight exactly", bb_dtype_name(t), m, n, k);
    bb_weight_free(R, &a);
    bb_weight_free(R, &b);
    free(wq);
    free(wf);
    free(x);
    free(bias);
    free(res);
    free(ya);
    free(yb);
}

/* ---- (3) OpenCL against ref ------------------------------------------------ */

static double worst_mm, worst_rows;

static void test_cl_matmul(enum bb_dtype t, int m, int n, int k, bool with_bias, bool with_res,
                           enum bb_act act)
{
    struct bb_error err = {0};
    unsigned char *wq = rand_weight(t, n, k);
    struct bb_weight wr, wc;
    check(bb_weight_upload(R, wq, t, n, k, t, &wr, &err), &err, "ref upload");
    check(bb_weight_upload(C, wq, t, n, k, t, &wc, &err), &err, "opencl upload");
    float *x = rnd_floats((size_t)m * k, -1, 1);
    float *bias = with_bias ? rnd_floats(n, -1, 1) : NULL;
    float *res = with_res ? rnd_floats((size_t)m * n, -1, 1) : NULL;
    float *yr = run_matmul(R, &wr, x, bias, res, m, act);
    float *yc = run_matmul(C, &wc, x, bias, res, m, act);
    double e = norm_error(yr, yc, (size_t)m * n, 1, NULL), tol = k >= 1024 ? 1e-4 : 2e-5;
    if (e > worst_mm || isinf(e))
        worst_mm = e;
    ok(e <= tol, "opencl matmul %s m=%d n=%d k=%d%s%s%s: error %.2e <= %.0e", bb_dtype_name(t),
       m, n, k, with_bias ? " +bias" : "", act == BB_ACT_GELU ? " gelu" : "",
       with_res ? " +res" : "", e, tol);
    bb_weight_free(R, &wr);
    bb_weight_free(C, &wc);
    free(wq);
    free(x);
    free(bias);
    free(res);
    free(yr);
    free(yc);
}

/* get_rows on both backends: bit-exact, overwrite then accumulate. */
static void test_get_rows(enum bb_dtype t, int n, int k, int n_ids)
{
    struct bb_error err = {0};
    enum bb_dtype src = t == BB_F16 ? BB_F32 : t;
    unsigned char *wq = rand_weight(src, n, k);
    struct bb_weight wr, wc;
    check(bb_weight_upload(R, wq, src, n, k, t, &wr, &err), &err, "ref upload");
    check(bb_weight_upload(C, wq, src, n, k, t, &wc, &err), &err, "opencl upload");
    int32_t *ids = malloc((size_t)n_ids * 4 + 4);
    for (int i = 0; i < n_ids; i++)
        ids[i] = i == 0 ? n - 1 : i == 1 ? 0 : (int32_t)(rnd_u64() % (uint64_t)n);
    float *init = rnd_floats((size_t)n_ids * k, -1, 1);
    bool same = true;
    for (int accumulate = 0; accumulate < 2; accumulate++) {
        float *y[2];
        struct bb_backend *be[2] = {R, C};
        for (int s = 0; s < 2; s++) {
            struct bb_buffer *bi = buf_with(be[s], ids, (size_t)n_ids * 4 + 4);
            struct bb_buffer *bo = buf_with(be[s], init, (size_t)n_ids * k * 4 + 4);
            check(bb_op_get_rows(be[s], s ? &wc : &wr, bi, bo, n_ids, accumulate, &err), &err,
                  "get_rows");
            y[s] = download(be[s], bo, (size_t)n_ids * k);
            bb_buffer_free(be[s], bi);
            bb_buffer_free(be[s], bo);
        }
        bool eq = !memcmp(y[0], y[1], (size_t)n_ids * k * 4);
        double e = norm_error(y[0], y[1], (size_t)n_ids * k, 1, NULL);
        if (e > worst_rows)
            worst_rows = e;
        ok(eq, "get_rows %s (%d, %d), %d ids%s: opencl bit-exact with ref (error %.2e)",
           bb_dtype_name(t), n, k, n_ids, accumulate ? ", accumulate" : "", e);
        if (!accumulate && t != BB_F16 && t != BB_F32) { /* ref rows = bb_dequantize_row */
            size_t row = bb_dtype_row_bytes(t, k);
            float *want = malloc((size_t)k * 4);
            for (int i = 0; i < n_ids; i++) {
                bb_dequantize_row(t, wq + (size_t)ids[i] * row, want, k);
                same &= !memcmp(want, y[0] + (size_t)i * k, (size_t)k * 4);
            }
            free(want);
        }
        free(y[0]);
        free(y[1]);
    }
    if (t != BB_F16 && t != BB_F32)
        ok(same, "get_rows %s: ref rows are bb_dequantize_row's", bb_dtype_name(t));
    bb_weight_free(R, &wr);
    bb_weight_free(C, &wc);
    free(wq);
    free(ids);
    free(init);
}

static void test_errors(void)
{
    struct bb_error err = {0};
    struct bb_weight w;
    unsigned char blk[34 * 4] = {0};
    struct bb_backend *bes[2] = {R, C};
    for (int s = 0; s < 2 && bes[s]; s++) {
        struct bb_backend *be = bes[s];
        const char *nm = be->vt->name;
        is_int(BB_E_UNSUPPORTED, bb_weight_upload(be, blk, BB_F32, 1, 32, BB_Q8_0, &w, &err),
               "%s: q8_0 storage from f32 is refused (no quantisation at load)", nm);
        is_int(BB_E_INPUT, bb_weight_upload(be, blk, BB_Q8_0, 1, 48, BB_Q8_0, &w, &err),
               "%s: a q8_0 row of 48 elements is refused", nm);
        check(bb_weight_upload(be, blk, BB_Q8_0, 4, 32, BB_Q8_0, &w, &err), &err, "upload");
        int32_t bad[2] = {1, 4};
        struct bb_buffer *ids = buf_with(be, bad, sizeof bad), *out = buf_with(be, NULL, 2 * 32 * 4);
        struct bb_buffer *small = buf_with(be, NULL, 32 * 4);
        is_int(BB_E_INTERNAL, bb_op_get_rows(be, &w, ids, small, 2, false, &err),
               "%s get_rows: too small an out buffer is refused", nm);
        enum bb_status st = bb_op_get_rows(be, &w, ids, out, 2, false, &err);
        if (s == 0)
            is_int(BB_E_INPUT, st, "ref get_rows: id 4 of a 4-row weight is an input error");
        else {
            is_int(BB_OK, st, "opencl get_rows: an out-of-range id is clamped, not an error");
            float *y = download(be, out, 64);
            bool zero = true;
            for (int i = 0; i < 64; i++)
                zero &= y[i] == 0.0f;
            ok(zero, "opencl get_rows: the clamped row is read in bounds (all-zero weight)");
            free(y);
        }
        bb_buffer_free(be, ids);
        bb_buffer_free(be, out);
        bb_buffer_free(be, small);
        bb_weight_free(be, &w);
    }
}

/* ---- benchmark (BB_QUANT_BENCH=1) --------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The fastest of repeated synced matmuls over about 0.4 s: the host is
 * shared, so the minimum is the steadiest figure. */
static double best_time(const struct bb_weight *w, struct bb_buffer *bx, struct bb_buffer *bo,
                        int m)
{
    struct bb_error err = {0};
    double best = INFINITY, start = now_s(), t;
    int reps = 0;
    do {
        double t0 = now_s();
        check(bb_op_matmul(C, bx, w, NULL, NULL, bo, m, BB_ACT_NONE, &err), &err, "mm");
        check(bb_backend_sync(C, &err), &err, "sync");
        t = now_s();
        if (reps++ && t - t0 < best) /* the first run warms caches and the kernel */
            best = t - t0;
    } while (t - start < 0.4 || reps < 3);
    return best;
}

/* every quantised type at one shape (BB_QUANT_BENCH=all) */
static void bench_types(void)
{
    static const enum bb_dtype types[] = {BB_F32,  BB_Q8_0, BB_Q4_0, BB_Q4_1, BB_Q5_0,
                                          BB_Q5_1, BB_Q4_K, BB_Q5_K, BB_Q6_K};
    struct bb_error err = {0};
    int n = 1536, k = 768;
    for (int m = 1; m <= 64; m += 63) {
        float *x = rnd_floats((size_t)m * k, -1, 1);
        struct bb_buffer *bx = buf_with(C, x, (size_t)m * k * 4);
        struct bb_buffer *bo = buf_with(C, NULL, (size_t)m * n * 4);
        for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
            enum bb_dtype t = types[ti];
            unsigned char *wq = rand_weight(t, n, k);
            struct bb_weight w;
            check(bb_weight_upload(C, wq, t, n, k, t, &w, &err), &err, "bench upload");
            double sec = best_time(&w, bx, bo, m);
            diag("n=%d k=%d m=%d %-5s %7.2f GFLOP/s (%.3f ms)", n, k, m, bb_dtype_name(t),
                 2.0 * m * n * k / sec * 1e-9, sec * 1e3);
            bb_weight_free(C, &w);
            free(wq);
        }
        bb_buffer_free(C, bx);
        bb_buffer_free(C, bo);
        free(x);
    }
}

static void bench(bool quick)
{
    static const int shapes[][2] = {{576, 576}, {192, 576}, {1536, 576}, {576, 1536},
                                    {49152, 576}};
    static const int ms[] = {1, 32, 512};
    static const enum bb_dtype types[] = {BB_F32, BB_Q4_1, BB_Q8_0};
    struct bb_error err = {0};
    diag("GFLOP/s (2 m n k / best time), opencl %s", C->info.name);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int n = shapes[si][0], k = shapes[si][1];
        if (quick && si != 0 && si != 3)
            continue;
        for (size_t mi = 0; mi < 3; mi++) {
            int m = ms[mi];
            if (n == 49152 && m == 512)
                m = 128; /* keep the LM head run short */
            char line[256];
            int o = snprintf(line, sizeof line, "n=%5d k=%4d m=%3d:", n, k, m);
            float *x = rnd_floats((size_t)m * k, -1, 1);
            struct bb_buffer *bx = buf_with(C, x, (size_t)m * k * 4);
            struct bb_buffer *bo = buf_with(C, NULL, (size_t)m * n * 4);
            for (size_t ti = 0; ti < 3; ti++) {
                enum bb_dtype t = types[ti];
                unsigned char *wq = rand_weight(t, n, k);
                struct bb_weight w;
                check(bb_weight_upload(C, wq, t, n, k, t, &w, &err), &err, "bench upload");
                double sec = best_time(&w, bx, bo, m);
                o += snprintf(line + o, sizeof line - o, "  %s %7.2f (%6.3f ms)", bb_dtype_name(t),
                              2.0 * m * n * k / sec * 1e-9, sec * 1e3);
                bb_weight_free(C, &w);
                free(wq);
            }
            diag("%s", line);
            bb_buffer_free(C, bx);
            bb_buffer_free(C, bo);
            free(x);
        }
    }
}

int main(void)
{
    plan_lazy();
    rnd_seed(0x9a4715eedULL);
    struct bb_error err = {0};
    for (size_t i = 0; i < N_ALL; i++)
        test_golden(all_types[i]);

    check(bb_backend_ref_create(&R, &err), &err, "ref backend");
    static const enum bb_dtype qt[] = {BB_Q8_0, BB_Q4_0, BB_Q4_1, BB_Q5_0,
                                       BB_Q5_1, BB_Q4_K, BB_Q5_K, BB_Q6_K};
    for (size_t i = 0; i < sizeof qt / sizeof qt[0]; i++)
        test_ref_matmul(qt[i], 3, 7, 512);

    char cache[4096];
    snprintf(cache, sizeof cache, "%s/cache", test_tmp_dir());
    struct bb_backend_opts opts = {.device = "auto", .cache_dir = cache};
    enum bb_status st = bb_backend_create("opencl", &opts, &C, &err);
    if (st == BB_E_NODEVICE) {
        const char *ci = getenv("CI");
        if (ci && !strcmp(ci, "true"))
            bail("no OpenCL device and CI=true: %s", err.msg);
        skip("no OpenCL device: %s", err.msg);
        C = NULL;
        test_errors();
        bb_backend_free(R);
        return 0;
    }
    check(st, &err, "opencl backend");
    diag("device: %s (%s), %d compute units", C->info.name, C->info.version,
         C->info.compute_units);

    /* every type at odd m and odd n, with and without the epilogue */
    static const int ms[] = {1, 3, 5, 37};
    for (size_t i = 0; i < sizeof qt / sizeof qt[0]; i++) {
        int k = bb_dtype_block_size(qt[i]) == 256 ? 768 : 352;
        for (size_t j = 0; j < sizeof ms / sizeof ms[0]; j++)
            test_cl_matmul(qt[i], ms[j], 37, k, j & 1, j >= 2, j == 3 ? BB_ACT_GELU : BB_ACT_NONE);
    }
    /* SmolLM2-135M's shapes for its types (Q4_1 layers, Q8_0 LM head) */
    test_cl_matmul(BB_Q4_1, 7, 576, 576, false, false, BB_ACT_NONE);
    test_cl_matmul(BB_Q4_1, 1, 192, 576, false, false, BB_ACT_NONE);
    test_cl_matmul(BB_Q4_1, 33, 1536, 576, false, false, BB_ACT_NONE);
    test_cl_matmul(BB_Q4_1, 65, 576, 1536, false, true, BB_ACT_NONE);
    test_cl_matmul(BB_Q8_0, 5, 4099, 576, false, false, BB_ACT_NONE);
    test_cl_matmul(BB_Q8_0, 129, 1000, 576, true, true, BB_ACT_GELU);
    test_cl_matmul(BB_Q6_K, 9, 100, 1536, true, false, BB_ACT_NONE);
    test_cl_matmul(BB_Q4_K, 6, 130, 2560, false, true, BB_ACT_NONE);

    static const enum bb_dtype rt[] = {BB_F32,  BB_F16,  BB_Q8_0, BB_Q4_0, BB_Q4_1,
                                       BB_Q5_0, BB_Q5_1, BB_Q4_K, BB_Q5_K, BB_Q6_K};
    for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++) {
        int k = bb_dtype_block_size(rt[i]) == 256 ? 512 : 96;
        test_get_rows(rt[i], 37, k, 11);
    }
    test_get_rows(BB_F32, 29, 77, 5);  /* k % 32 tail */
    test_get_rows(BB_F16, 50, 45, 6);
    test_get_rows(BB_F32, 5, 7, 3);    /* k < 32: the tail kernel alone */
    test_get_rows(BB_Q8_0, 49152 / 64, 576, 9);
    test_errors();
    /* each get_rows above ran once per backend per accumulate mode, plus the
     * error cases (the refused too-small call is counted as dispatched too) */
    is_int((long long)R->op_count[BB_OP_GET_ROWS], (long long)C->op_count[BB_OP_GET_ROWS],
           "get_rows is counted alike on both backends");
    is_int(2 * 14 + 2, (long long)C->op_count[BB_OP_GET_ROWS], "get_rows op count");
    diag("worst normalised error: matmul %.2e, get_rows %.2e", worst_mm, worst_rows);

    const char *b = getenv("BB_QUANT_BENCH");
    if (b && *b && strcmp(b, "0"))
    {
        if (!strcmp(b, "all"))
            bench_types();
        else
            bench(!strcmp(b, "quick"));
    }
    bb_backend_free(C);
    bb_backend_free(R);
    return 0;
}
