/* ops-decoder-t.c: the decoder ops (rmsnorm, rope, attn_causal, kv_store, glu,
 * logprobs) and the matmul's tanh-GELU and SiLU epilogues, OpenCL against the
 * ref backend on seeded random inputs (odd sizes, SmolLM2's and Qwen2's real
 * ones), with normalised error bounds max|cl - ref| / max(1, max|ref|); rope
 * and logprobs also against hand-computed values; the wrappers' argument
 * checks; and the op counters (OpenCL ran every op, ref only its own).
 * BIASBENCH_OPS_BENCH=1 adds rough kernel timings at SmolLM2-135M's shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops-pair.h" /* R, C, pair_*, rnd_*, expect, ran */
#include "tap.h"

static double worst_act[4]; /* largest matmul error per activation */

/* ---- ops -------------------------------------------------------------- */

static void test_rmsnorm(int m, int c, float eps, bool in_place)
{
    /* a residual stream: an offset, a spread and a few large channels */
    float *xv = rnd_floats((size_t)m * c, -3, 5);
    for (int i = 0; i < m; i++)
        xv[(size_t)i * c + (size_t)(i * 7) % (size_t)c] = 60.0f;
    struct pair x = pair_new((size_t)m * c * 4), g = pair_floats((size_t)c, -1.5f, 1.5f);
    pair_upload(&x, xv);
    struct pair out = in_place ? x : pair_new((size_t)m * c * 4);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_RMSNORM, bb_op_rmsnorm(R, x.r, g.r, out.r, m, c, eps, &er),
        bb_op_rmsnorm(C, x.c, g.c, out.c, m, c, eps, &ec), &er, &ec);
    char d[128];
    snprintf(d, sizeof d, "m=%d c=%d eps=%g%s", m, c, eps, in_place ? " in place (out == x)" : "");
    expect(BB_OP_RMSNORM, pair_error(&out, (size_t)m * c), 1e-5, d);
    pair_free(&x);
    pair_free(&g);
    if (!in_place)
        pair_free(&out);
    free(xv);
}

static void test_rope(int n_tok, int n_head, int hd, int n_rot, float base,
                      enum bb_rope_mode mode, int max_pos)
{
    int32_t *pos = malloc((size_t)n_tok * 4);
    for (int i = 0; i < n_tok; i++)
        pos[i] = i == 0 ? 0 : i == 1 ? max_pos : rnd_int(0, max_pos);
    struct pair pp = pair_ints(pos, (size_t)n_tok);
    size_t n = (size_t)n_tok * n_head * hd;
    struct pair x = pair_floats(n, -2, 2);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_ROPE, bb_op_rope(R, x.r, pp.r, n_tok, n_head, hd, n_rot, base, mode, &er),
        bb_op_rope(C, x.c, pp.c, n_tok, n_head, hd, n_rot, base, mode, &ec), &er, &ec);
    char d[160];
    snprintf(d, sizeof d, "%s n_tok=%d heads=%d hd=%d n_rot=%d base=%g positions<=%d",
             mode == BB_ROPE_NEOX ? "neox" : "norm", n_tok, n_head, hd, n_rot, base, max_pos);
    /* theta = pos * freq in float (as ggml and HF compute it) is off by up to
     * half an ulp of theta, ~6e-8 * pos radians, against the oracle's double */
    expect(BB_OP_ROPE, pair_error(&x, n), fmax(2e-5, 8e-8 * max_pos), d);
    pair_free(&pp);
    pair_free(&x);
    free(pos);
}

/* x = [1 2 3 4 5 6] (one token, one head, head_dim 6, n_rot 4) at position 3,
 * base 10000: theta_0 = 3, theta_1 = 3 / 100; values computed in Python. */
static void test_rope_by_hand(enum bb_rope_mode mode)
{
    static const double want_norm[6] = {-1.27223251, -1.83886499, 2.8786681, 4.08818664, 5, 6};
    static const double want_neox[6] = {-1.41335252, 1.87911807, -2.82885748, 4.05819114, 5, 6};
    const double *want = mode == BB_ROPE_NEOX ? want_neox : want_norm;
    const float x0[6] = {1, 2, 3, 4, 5, 6};
    int32_t p = 3;
    struct pair x = pair_new(sizeof x0), pp = pair_ints(&p, 1);
    pair_upload(&x, x0);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_ROPE, bb_op_rope(R, x.r, pp.r, 1, 1, 6, 4, 10000.0f, mode, &er),
        bb_op_rope(C, x.c, pp.c, 1, 1, 6, 4, 10000.0f, mode, &ec), &er, &ec);
    float a[6], b[6];
    pair_download(&x, 6, a, b);
    double ea = 0, eb = 0;
    for (int i = 0; i < 6; i++) {
        ea = fmax(ea, fabs(a[i] - want[i]));
        eb = fmax(eb, fabs(b[i] - want[i]));
    }
    const char *m = mode == BB_ROPE_NEOX ? "neox" : "norm";
    ok(ea < 1e-6, "rope %s by hand: ref [%.6f %.6f %.6f %.6f %g %g] (error %.1e)", m, a[0], a[1],
       a[2], a[3], a[4], a[5], ea);
    ok(eb < 1e-6, "rope %s by hand: opencl [%.6f %.6f %.6f %.6f %g %g] (error %.1e)", m, b[0],
       b[1], b[2], b[3], b[4], b[5], eb);
    pair_free(&x);
    pair_free(&pp);
}

/* k and v caches get random rows 0 .. n_past+tq-1 and NaN past them: a kernel
 * that reads a key or value it must not turns the output NaN. */
static struct pair cache_pair(int b, int t_cap, int valid, int ckv, float lo, float hi)
{
    size_t n = (size_t)b * t_cap * ckv;
    float *v = rnd_floats(n, lo, hi);
    for (int bi = 0; bi < b; bi++)
        for (int j = valid; j < t_cap; j++)
            for (int d = 0; d < ckv; d++)
                v[((size_t)bi * t_cap + j) * ckv + d] = NAN;
    struct pair p = pair_new(n * 4);
    pair_upload(&p, v);
    free(v);
    return p;
}

static void test_attn(int b, int tq, int n_past, int t_cap, int n_head, int n_kv, int hd,
                      float qrange)
{
    int cq = n_head * hd, ckv = n_kv * hd;
    struct pair q = pair_floats((size_t)b * tq * cq, -qrange, qrange);
    struct pair k = cache_pair(b, t_cap, n_past + tq, ckv, -2, 2);
    struct pair v = cache_pair(b, t_cap, n_past + tq, ckv, -2, 2);
    struct pair out = pair_new((size_t)b * tq * cq * 4 + 4);
    float scale = 1.0f / sqrtf((float)hd);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_ATTN_CAUSAL,
        bb_op_attn_causal(R, q.r, k.r, v.r, out.r, b, tq, n_past, t_cap, n_head, n_kv, hd, scale,
                          &er),
        bb_op_attn_causal(C, q.c, k.c, v.c, out.c, b, tq, n_past, t_cap, n_head, n_kv, hd, scale,
                          &ec),
        &er, &ec);
    char d[160];
    snprintf(d, sizeof d, "b=%d tq=%d n_past=%d t_cap=%d heads=%d kv_heads=%d hd=%d |q|<=%g", b,
             tq, n_past, t_cap, n_head, n_kv, hd, qrange);
    expect(BB_OP_ATTN_CAUSAL, pair_error(&out, (size_t)b * tq * cq), 1e-4, d);
    pair_free(&q);
    pair_free(&k);
    pair_free(&v);
    pair_free(&out);
}

/* The first query of a decode step after a prefill equals the prefill's last
 * row: attention over a cache filled by kv_store in two steps agrees with one
 * pass over the whole sequence (OpenCL only; the ops compose). */
static void test_attn_incremental(int b, int t, int n_head, int n_kv, int hd)
{
    int cq = n_head * hd, ckv = n_kv * hd, t1 = t - 3;
    float *qv = rnd_floats((size_t)b * t * cq, -2, 2), *kv = rnd_floats((size_t)b * t * ckv, -2, 2),
          *vv = rnd_floats((size_t)b * t * ckv, -2, 2);
    struct bb_error ec = {0};
    struct bb_buffer *q, *k, *v, *out, *kc, *vc, *q2, *k2, *v2, *out2;
    size_t fq = (size_t)b * t * cq * 4, fk = (size_t)b * t * ckv * 4;
    check(bb_buffer_alloc(C, fq, &q, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, fk, &k, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, fk, &v, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, fq, &out, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, fk, &kc, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, fk, &vc, &ec), &ec, "alloc");
    check(bb_backend_upload(C, q, 0, qv, fq, &ec), &ec, "upload");
    check(bb_backend_upload(C, k, 0, kv, fk, &ec), &ec, "upload");
    check(bb_backend_upload(C, v, 0, vv, fk, &ec), &ec, "upload");
    /* one pass: the whole batch, n_past 0, t_cap t */
    check(bb_op_attn_causal(C, q, k, v, out, b, t, 0, t, n_head, n_kv, hd, 0.125f, &ec), &ec,
          "attn");
    want_count[1][BB_OP_ATTN_CAUSAL]++;
    /* two steps: t1 rows, then 3 more, each stored into the caches first */
    size_t tail = (size_t)t - t1;
    float *buf = malloc(fq);
    check(bb_buffer_alloc(C, (size_t)b * t1 * cq * 4, &q2, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, (size_t)b * t1 * ckv * 4, &k2, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, (size_t)b * t1 * ckv * 4, &v2, &ec), &ec, "alloc");
    check(bb_buffer_alloc(C, (size_t)b * t1 * cq * 4, &out2, &ec), &ec, "alloc");
    float *step = malloc(fq);
    double maxdiff = 0;
    check(bb_backend_download(C, out, 0, buf, fq, &ec), &ec, "download");
    for (int s = 0; s < 2; s++) {
        int n_past = s ? t1 : 0, tq = s ? (int)tail : t1;
        /* gather rows n_past .. n_past+tq-1 of every sequence */
        const float *srcs[3] = {qv, kv, vv};
        struct bb_buffer *dst[3] = {q2, k2, v2};
        int cols[3] = {cq, ckv, ckv};
        for (int a = 0; a < 3; a++) {
            float *g = malloc((size_t)b * tq * cols[a] * 4 + 4);
            for (int bi = 0; bi < b; bi++)
                memcpy(g + (size_t)bi * tq * cols[a],
                       srcs[a] + ((size_t)bi * t + n_past) * cols[a], (size_t)tq * cols[a] * 4);
            check(bb_backend_upload(C, dst[a], 0, g, (size_t)b * tq * cols[a] * 4, &ec), &ec,
                  "upload");
            free(g);
        }
        check(bb_op_kv_store(C, k2, kc, b, tq, n_past, t, ckv, &ec), &ec, "kv_store k");
        check(bb_op_kv_store(C, v2, vc, b, tq, n_past, t, ckv, &ec), &ec, "kv_store v");
        want_count[1][BB_OP_KV_STORE] += 2;
        check(bb_op_attn_causal(C, q2, kc, vc, out2, b, tq, n_past, t, n_head, n_kv, hd, 0.125f,
                                &ec),
              &ec, "attn step");
        want_count[1][BB_OP_ATTN_CAUSAL]++;
        check(bb_backend_download(C, out2, 0, step, (size_t)b * tq * cq * 4, &ec), &ec,
              "download");
        for (int bi = 0; bi < b; bi++)
            for (int i = 0; i < tq; i++)
                for (int d = 0; d < cq; d++)
                    maxdiff = fmax(maxdiff, fabs(step[((size_t)bi * tq + i) * cq + d] -
                                                 buf[((size_t)bi * t + n_past + i) * cq + d]));
    }
    ok(maxdiff < 1e-5, "attn_causal in two steps through kv_store (b=%d t=%d = %d + %zu) agrees "
       "with one pass: max diff %.1e", b, t, t1, tail, maxdiff);
    struct bb_buffer *all[] = {q, k, v, out, kc, vc, q2, k2, v2, out2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        bb_buffer_free(C, all[i]);
    free(qv);
    free(kv);
    free(vv);
    free(buf);
    free(step);
}

static void test_kv_store(int b, int tq, int n_past, int t_cap, int c)
{
    struct pair src = pair_floats((size_t)b * tq * c, -3, 3);
    struct pair cache = pair_floats((size_t)b * t_cap * c, -3, 3);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_KV_STORE, bb_op_kv_store(R, src.r, cache.r, b, tq, n_past, t_cap, c, &er),
        bb_op_kv_store(C, src.c, cache.c, b, tq, n_past, t_cap, c, &ec), &er, &ec);
    char d[128];
    snprintf(d, sizeof d, "b=%d tq=%d n_past=%d t_cap=%d c=%d (the whole cache, exact)", b, tq,
             n_past, t_cap, c);
    expect(BB_OP_KV_STORE, pair_error(&cache, (size_t)b * t_cap * c), 0, d);
    pair_free(&src);
    pair_free(&cache);
}

static void test_copy_rows(int n_src, int src_row0, int n_dst, int dst_row0, int n, int c)
{
    struct pair src = pair_floats((size_t)n_src * c, -3, 3);
    struct pair dst = pair_floats((size_t)n_dst * c, -3, 3);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_COPY_ROWS, bb_op_copy_rows(R, src.r, src_row0, dst.r, dst_row0, n, c, &er),
        bb_op_copy_rows(C, src.c, src_row0, dst.c, dst_row0, n, c, &ec), &er, &ec);
    char d[128];
    snprintf(d, sizeof d, "rows %d.. of %d -> rows %d.. of %d, %d rows of %d (the whole dst, exact)",
             src_row0, n_src, dst_row0, n_dst, n, c);
    expect(BB_OP_COPY_ROWS, pair_error(&dst, (size_t)n_dst * c), 0, d);
    pair_free(&src);
    pair_free(&dst);
}

static void test_glu(int m, int f)
{
    struct pair x = pair_floats((size_t)m * 2 * f, -8, 8), out = pair_new((size_t)m * f * 4);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_GLU, bb_op_glu(R, x.r, out.r, m, f, &er), bb_op_glu(C, x.c, out.c, m, f, &ec), &er,
        &ec);
    char d[64];
    snprintf(d, sizeof d, "m=%d f=%d", m, f);
    expect(BB_OP_GLU, pair_error(&out, (size_t)m * f), 1e-5, d);
    pair_free(&x);
    pair_free(&out);
}

/* Logit rows of vocabulary n_vocab over [-spread, spread]; row kinds by i % 4:
 * 0 plain, 1 the maximum tied at two places (far apart, or 7 apart when
 * i % 8 == 5), 2 a constant row (every index ties), 3 the maximum in the last
 * element (the tail past the float8s), tied with an earlier one when i % 8 == 7. */
static void test_logprobs(int m, int n_vocab, float spread, bool with_am)
{
    size_t n = (size_t)m * n_vocab;
    float *z = rnd_floats(n, -spread, spread);
    int32_t *tgt = malloc((size_t)m * 4 + 4), *want_am = malloc((size_t)m * 4 + 4);
    for (int i = 0; i < m; i++) {
        float *row = z + (size_t)i * n_vocab;
        int kind = i % 4, a = rnd_int(0, n_vocab - 1), bpos = rnd_int(0, n_vocab - 1);
        if (kind == 1) {
            if (i % 8 == 5) /* nearby: the same block of vectors, other lanes */
                bpos = a + 7 < n_vocab ? a + 7 : a;
            int lo = a < bpos ? a : bpos, hi = a < bpos ? bpos : a;
            row[lo] = row[hi] = spread + 1.0f;
            want_am[i] = lo;
        } else if (kind == 2) {
            for (int j = 0; j < n_vocab; j++)
                row[j] = 0.25f;
            want_am[i] = 0;
        } else if (kind == 3) {
            row[n_vocab - 1] = spread + 2.0f;
            want_am[i] = n_vocab - 1;
            if (i % 8 == 7) { /* tied with an earlier element */
                row[a] = spread + 2.0f;
                want_am[i] = a;
            }
        } else {
            row[a] = spread + 0.5f;
            want_am[i] = a;
        }
        /* targets: -1 (no target), the argmax, or anything */
        tgt[i] = i % 5 == 4 ? -1 : i % 5 == 1 ? want_am[i] : rnd_int(0, n_vocab - 1);
    }
    struct pair lg = pair_new(n * 4), pt = pair_ints(tgt, (size_t)m);
    pair_upload(&lg, z);
    struct pair lp = pair_new((size_t)m * 4), am = pair_new((size_t)m * 4);
    struct bb_error er = {0}, ec = {0};
    ran(BB_OP_LOGPROBS,
        bb_op_logprobs(R, lg.r, pt.r, lp.r, with_am ? am.r : NULL, m, n_vocab, &er),
        bb_op_logprobs(C, lg.c, pt.c, lp.c, with_am ? am.c : NULL, m, n_vocab, &ec), &er, &ec);
    char d[128];
    snprintf(d, sizeof d, "m=%d vocab=%d spread=%g%s", m, n_vocab, spread,
             with_am ? "" : " (no argmax)");
    expect(BB_OP_LOGPROBS, pair_error(&lp, (size_t)m), 1e-5, d);
    /* by hand: a constant row's log-probability is -log(n_vocab); no target is 0 */
    float *a = malloc((size_t)m * 4), *b = malloc((size_t)m * 4);
    pair_download(&lp, (size_t)m, a, b);
    double hand = 0;
    for (int i = 0; i < m; i++) {
        if (i % 4 == 2 && tgt[i] >= 0)
            hand = fmax(hand, fabs(b[i] + log((double)n_vocab)));
        if (tgt[i] < 0)
            hand = fmax(hand, fabs(b[i]));
    }
    ok(hand < 1e-5, "logprobs %s: constant rows give -log(vocab), no target gives 0 (error %.1e)",
       d, hand);
    if (with_am) {
        int32_t *ar = (int32_t *)a, *ac = (int32_t *)b;
        pair_download(&am, (size_t)m, (float *)ar, (float *)ac);
        int bad_r = 0, bad_c = 0;
        for (int i = 0; i < m; i++) {
            bad_r += ar[i] != want_am[i];
            bad_c += ac[i] != want_am[i];
        }
        ok(bad_r == 0 && bad_c == 0,
           "logprobs %s: argmax is the lowest index on ties (wrong rows: ref %d, opencl %d)", d,
           bad_r, bad_c);
    }
    free(a);
    free(b);
    pair_free(&lg);
    pair_free(&pt);
    pair_free(&lp);
    pair_free(&am);
    free(z);
    free(tgt);
    free(want_am);
}

static const char *act_name(enum bb_act act)
{
    return act == BB_ACT_GELU_TANH ? "gelu_tanh" : act == BB_ACT_SILU ? "silu"
                                   : act == BB_ACT_GELU ? "gelu" : "none";
}

static void test_matmul_act(int m, int n, int k, enum bb_dtype storage, bool bias, bool res,
                            enum bb_act act)
{
    float *wf = rnd_floats((size_t)n * k, -1, 1);
    char d[160];
    snprintf(d, sizeof d, "m=%d n=%d k=%d %s %s%s%s", m, n, k, bb_dtype_name(storage),
             act_name(act), bias ? " +bias" : "", res ? " +residual(in place)" : "");
    /* x spread so the pre-activations cover the tails (|v| up to ~20) */
    double e = pair_matmul(wf, BB_F32, storage, m, n, k, bias, res, act, 2);
    if (e > worst_act[act] || isinf(e))
        worst_act[act] = e;
    expect(BB_OP_MATMUL, e, 2e-5, d);
    free(wf);
}

/* ---- argument checks ---------------------------------------------------- */

static void test_refusals(void)
{
    struct bb_error err = {0};
    struct pair a = pair_new(4096 * 4), b = pair_new(4096 * 4), c = pair_new(4096 * 4);
    struct pair big = pair_new(16 * 129 * 4), small = pair_new(64 * 4);
    int32_t zeros[64] = {0};
    struct pair p = pair_ints(zeros, 64);
#define REFUSE(op, want, call, what)                                                          \
    do {                                                                                      \
        is_int(want, call, what);                                                             \
        want_count[1][op]++;                                                                  \
    } while (0)
    REFUSE(BB_OP_ATTN_CAUSAL, BB_E_INTERNAL,
           bb_op_attn_causal(C, a.c, b.c, c.c, big.c, 1, 2, 0, 2, 4, 3, 8, 1.0f, &err),
           "attn_causal with n_head 4 not a multiple of n_kv_head 3 is refused");
    contains(err.msg, "n_kv_head 3", "the message names n_kv_head");
    REFUSE(BB_OP_ATTN_CAUSAL, BB_E_INTERNAL,
           bb_op_attn_causal(C, a.c, b.c, c.c, big.c, 1, 3, 6, 8, 2, 1, 8, 1.0f, &err),
           "attn_causal with n_past + tq > t_cap is refused");
    contains(err.msg, "t_cap 8", "the message names t_cap");
    REFUSE(BB_OP_ATTN_CAUSAL, BB_E_INTERNAL,
           bb_op_attn_causal(C, a.c, b.c, c.c, a.c, 1, 2, 0, 2, 2, 1, 8, 1.0f, &err),
           "attn_causal with out aliasing q is refused");
    REFUSE(BB_OP_ATTN_CAUSAL, BB_E_INTERNAL,
           bb_op_attn_causal(C, a.c, b.c, c.c, small.c, 1, 16, 0, 16, 2, 1, 64, 1.0f, &err),
           "attn_causal with a too-small out is refused");
    contains(err.msg, "'out'", "the message names the argument");
    REFUSE(BB_OP_ATTN_CAUSAL, BB_E_UNSUPPORTED,
           bb_op_attn_causal(C, big.c, b.c, c.c, a.c, 1, 1, 0, 1, 1, 1, 129, 1.0f, &err),
           "opencl attn_causal with head_dim 129 -> BB_E_UNSUPPORTED");
    contains(err.msg, "head_dim 129", "the message names the head_dim");
    REFUSE(BB_OP_ROPE, BB_E_INTERNAL,
           bb_op_rope(C, a.c, p.c, 4, 2, 8, 5, 10000.0f, BB_ROPE_NEOX, &err),
           "rope with an odd n_rot is refused");
    REFUSE(BB_OP_ROPE, BB_E_INTERNAL,
           bb_op_rope(C, a.c, p.c, 4, 2, 8, 10, 10000.0f, BB_ROPE_NORM, &err),
           "rope with n_rot > head_dim is refused");
    REFUSE(BB_OP_ROPE, BB_E_INTERNAL,
           bb_op_rope(C, a.c, p.c, 4, 2, 8, 8, 10000.0f, (enum bb_rope_mode)7, &err),
           "rope with an unknown mode is refused");
    REFUSE(BB_OP_ROPE, BB_E_INTERNAL,
           bb_op_rope(C, a.c, p.c, 65, 1, 8, 8, 10000.0f, BB_ROPE_NORM, &err),
           "rope with too few positions is refused");
    contains(err.msg, "'pos'", "the message names the argument");
    REFUSE(BB_OP_KV_STORE, BB_E_INTERNAL, bb_op_kv_store(C, a.c, b.c, 2, 3, 14, 16, 8, &err),
           "kv_store past t_cap is refused");
    REFUSE(BB_OP_KV_STORE, BB_E_INTERNAL, bb_op_kv_store(C, a.c, a.c, 1, 1, 0, 2, 8, &err),
           "kv_store with src aliasing cache is refused");
    REFUSE(BB_OP_COPY_ROWS, BB_E_INTERNAL, bb_op_copy_rows(C, a.c, 3, big.c, 0, 1000, 8, &err),
           "copy_rows past the end of src is refused");
    REFUSE(BB_OP_GLU, BB_E_INTERNAL, bb_op_glu(C, a.c, a.c, 2, 8, &err),
           "glu in place is refused");
    REFUSE(BB_OP_GLU, BB_E_INTERNAL, bb_op_glu(C, a.c, b.c, 3, 0, &err),
           "glu with f = 0 is refused");
    REFUSE(BB_OP_LOGPROBS, BB_E_INTERNAL, bb_op_logprobs(C, a.c, p.c, b.c, NULL, 65, 8, &err),
           "logprobs with too few targets is refused");
    REFUSE(BB_OP_LOGPROBS, BB_E_INTERNAL, bb_op_logprobs(C, a.c, p.c, a.c, NULL, 4, 8, &err),
           "logprobs with lp aliasing logits is refused");
    REFUSE(BB_OP_RMSNORM, BB_E_INTERNAL, bb_op_rmsnorm(C, a.c, b.c, big.c, 64, 64, 1e-5f, &err),
           "rmsnorm into a too-small buffer is refused");
#undef REFUSE
    /* a target past the vocabulary: ref fails, opencl writes NaN */
    int32_t bad = 8;
    struct pair pt = pair_ints(&bad, 1);
    is_int(BB_E_INPUT, bb_op_logprobs(R, a.r, pt.r, b.r, NULL, 1, 8, &err),
           "ref logprobs with a target >= n_vocab -> BB_E_INPUT");
    want_count[0][BB_OP_LOGPROBS]++;
    check(bb_op_logprobs(C, a.c, pt.c, b.c, NULL, 1, 8, &err), &err, "opencl logprobs");
    want_count[1][BB_OP_LOGPROBS]++;
    float lp = 0;
    check(bb_backend_download(C, b.c, 0, &lp, 4, &err), &err, "download");
    ok(isnan(lp), "opencl logprobs with a target >= n_vocab writes NaN");
    pair_free(&pt);
    pair_free(&a);
    pair_free(&b);
    pair_free(&c);
    pair_free(&big);
    pair_free(&small);
    pair_free(&p);
}

static void test_counts(void)
{
    static const enum bb_op_kind dec[] = {BB_OP_RMSNORM, BB_OP_ROPE, BB_OP_ATTN_CAUSAL,
                                          BB_OP_KV_STORE, BB_OP_GLU, BB_OP_LOGPROBS};
    for (size_t i = 0; i < sizeof dec / sizeof *dec; i++)
        ok(C->op_count[dec[i]] > 0 && (long)C->op_count[dec[i]] == want_count[1][dec[i]],
           "opencl ran %s %llu times (expected %ld)", bb_op_name(dec[i]),
           (unsigned long long)C->op_count[dec[i]], want_count[1][dec[i]]);
    bool same_c = true, same_r = true;
    for (int op = 0; op < BB_OP_COUNT; op++) {
        same_c = same_c && (long)C->op_count[op] == want_count[1][op];
        same_r = same_r && (long)R->op_count[op] == want_count[0][op];
    }
    ok(same_c, "opencl backend counted every op it ran (matmul %llu)",
       (unsigned long long)C->op_count[BB_OP_MATMUL]);
    ok(same_r, "ref backend counted only its own ops (no op of the opencl side ran on ref)");
    ok(bb_backend_supports(R, BB_OP_LOGPROBS, BB_F32) &&
           bb_backend_supports(C, BB_OP_LOGPROBS, BB_F32) &&
           !bb_backend_supports(C, BB_OP_COUNT, BB_F32),
       "supports_op lists the decoder ops on both backends");
}

/* ---- rough timings at SmolLM2-135M's shapes (BIASBENCH_OPS_BENCH=1) ----- */

/* CPU seconds of the whole process (PoCL's worker threads included): on a
 * loaded machine a steadier measure of a kernel's work than wall time */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench(void)
{
    const int b = 8, c = 576, nh = 9, nkv = 3, hd = 64, f = 1536, vocab = 49152;
    struct bb_error err = {0};
    for (int t = 32; t <= 128; t *= 2) {
        int m = b * t;
        struct bb_buffer *x, *g, *y, *q, *k, *v, *o, *pos, *big, *lg, *tg, *lp, *am, *kc;
        size_t fl = 4;
        check(bb_buffer_alloc(C, (size_t)m * c * fl, &x, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)c * fl, &g, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * c * fl, &y, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * nh * hd * fl, &q, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * nkv * hd * fl, &k, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * nkv * hd * fl, &v, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * nkv * hd * fl, &kc, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * nh * hd * fl, &o, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * 4, &pos, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * 2 * f * fl, &big, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * vocab * fl, &lg, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * 4, &tg, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * 4, &lp, &err), &err, "alloc");
        check(bb_buffer_alloc(C, (size_t)m * 4, &am, &err), &err, "alloc");
        float *h = rnd_floats((size_t)m * vocab, -5, 5);
        int32_t *pi = malloc((size_t)m * 4);
        for (int i = 0; i < m; i++)
            pi[i] = i % t;
        check(bb_backend_upload(C, lg, 0, h, (size_t)m * vocab * fl, &err), &err, "up");
        check(bb_backend_upload(C, big, 0, h, (size_t)m * 2 * f * fl, &err), &err, "up");
        check(bb_backend_upload(C, x, 0, h, (size_t)m * c * fl, &err), &err, "up");
        check(bb_backend_upload(C, g, 0, h, (size_t)c * fl, &err), &err, "up");
        check(bb_backend_upload(C, q, 0, h, (size_t)m * nh * hd * fl, &err), &err, "up");
        check(bb_backend_upload(C, k, 0, h, (size_t)m * nkv * hd * fl, &err), &err, "up");
        check(bb_backend_upload(C, v, 0, h, (size_t)m * nkv * hd * fl, &err), &err, "up");
        check(bb_backend_upload(C, pos, 0, pi, (size_t)m * 4, &err), &err, "up");
        check(bb_backend_upload(C, tg, 0, pi, (size_t)m * 4, &err), &err, "up");
        double ms[7] = {0};
        const int reps = 3;
        for (int op = 0; op < 7; op++) {
            for (int r = 0; r <= reps; r++) { /* r = 0 warms up */
                double t0 = now();
                enum bb_status st = BB_OK;
                switch (op) {
                case 0: st = bb_op_rmsnorm(C, x, g, y, m, c, 1e-5f, &err); break;
                case 1:
                    st = bb_op_rope(C, q, pos, m, nh, hd, hd, 10000.0f, BB_ROPE_NEOX, &err);
                    break;
                case 2:
                    st = bb_op_attn_causal(C, q, k, v, o, b, t, 0, t, nh, nkv, hd, 0.125f, &err);
                    break;
                case 3: st = bb_op_kv_store(C, k, kc, b, t, 0, t, nkv * hd, &err); break;
                case 4: st = bb_op_glu(C, big, lg, m, f, &err); break;
                case 5: st = bb_op_logprobs(C, lg, tg, lp, am, m, vocab, &err); break;
                case 6: /* a decode step: one new query per sequence over t cached keys */
                    st = bb_op_attn_causal(C, q, k, v, o, b, 1, t - 1, t, nh, nkv, hd, 0.125f,
                                           &err);
                    break;
                }
                check(st, &err, "bench op");
                check(bb_backend_sync(C, &err), &err, "sync");
                if (r)
                    ms[op] += (now() - t0) * 1e3 / reps;
            }
        }
        diag("SmolLM2 shapes b=%d T=%d (m=%d), CPU ms (all threads): rmsnorm %.2f ms, "
             "rope(q) %.2f ms, attn_causal %.2f ms, kv_store %.2f ms, glu(f=%d) %.2f ms, "
             "logprobs %.2f ms; decode step attn_causal (tq 1, n_past %d) %.3f ms",
             b, t, m, ms[0], ms[1], ms[2], ms[3], f, ms[4], ms[5], t - 1, ms[6]);
        struct bb_buffer *all[] = {x, g, y, q, k, v, o, pos, big, lg, tg, lp, am, kc};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            bb_buffer_free(C, all[i]);
        free(h);
        free(pi);
    }
}

int main(void)
{
    plan_lazy();
    rnd_seed(0xdec0de5eed99ULL);
    ops_open("main-cache");

    static const int ms[] = {1, 7, 385}, cs[] = {1, 7, 576, 577, 1536};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 5; j++)
            test_rmsnorm(ms[i], cs[j], 1e-5f, (i + j) % 2 == 1);
    test_rmsnorm(1024, 576, 1e-5f, true);
    test_rmsnorm(127, 896, 1e-6f, false);

    test_rope_by_hand(BB_ROPE_NORM);
    test_rope_by_hand(BB_ROPE_NEOX);
    for (int mode = 0; mode < 2; mode++) {
        enum bb_rope_mode md = mode ? BB_ROPE_NEOX : BB_ROPE_NORM;
        test_rope(1, 1, 2, 2, 10000.0f, md, 5);
        test_rope(7, 9, 64, 64, 10000.0f, md, 300);      /* SmolLM2 q */
        test_rope(7, 3, 64, 64, 10000.0f, md, 300);      /* SmolLM2 k */
        test_rope(33, 14, 64, 64, 1000000.0f, md, 900);  /* Qwen2-0.5B q */
        test_rope(5, 3, 14, 6, 10000.0f, md, 50);        /* partial rotation, odd head_dim */
        test_rope(130, 2, 128, 128, 500000.0f, md, 4000);
    }

    test_attn(1, 1, 0, 1, 1, 1, 1, 2);
    test_attn(3, 7, 0, 7, 9, 3, 64, 2);     /* SmolLM2 scoring */
    test_attn(2, 33, 0, 33, 9, 3, 64, 2);
    test_attn(8, 1, 37, 64, 9, 3, 64, 2);   /* a decode step */
    test_attn(2, 5, 11, 19, 9, 3, 64, 2);   /* a chunk after a prefix */
    test_attn(2, 17, 0, 20, 9, 3, 64, 20);  /* large scores: max subtraction */
    test_attn(1, 130, 0, 130, 14, 2, 64, 2); /* Qwen2-0.5B */
    test_attn(2, 17, 3, 21, 4, 4, 128, 2);  /* plain multi-head, head_dim 128 */
    test_attn(2, 9, 2, 12, 6, 2, 48, 2);    /* generic kernel */
    test_attn(1, 3, 0, 5, 2, 1, 7, 3);
    test_attn(3, 2, 40, 45, 12, 12, 64, 2);  /* GPT-2 style */
    test_attn_incremental(3, 19, 9, 3, 64);

    test_kv_store(1, 1, 0, 1, 1);
    test_kv_store(3, 5, 7, 16, 192);
    test_kv_store(8, 1, 37, 64, 192);
    test_kv_store(2, 9, 0, 9, 7);

    test_copy_rows(1, 0, 1, 0, 1, 1);
    test_copy_rows(700, 513, 200, 0, 187, 576);
    test_copy_rows(9, 2, 12, 5, 7, 65);

    static const int gm[] = {1, 7, 385}, gf[] = {1, 7, 1536, 1537};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 4; j++)
            test_glu(gm[i], gf[j]);

    test_logprobs(37, 49152, 5, true);
    test_logprobs(9, 49152, 30, false);
    test_logprobs(13, 49157, 12, true);
    test_logprobs(6, 7, 3, true);
    test_logprobs(4, 1, 3, true);
    test_logprobs(5, 151936, 8, true); /* Qwen2's vocabulary */

    for (int s = 0; s < 2; s++) {
        enum bb_dtype storage = s ? BB_F16 : BB_F32;
        for (int a = 0; a < 2; a++) {
            enum bb_act act = a ? BB_ACT_SILU : BB_ACT_GELU_TANH;
            test_matmul_act(7, 385, 384, storage, true, false, act);
            test_matmul_act(127, 7, 385, storage, false, true, act);
            test_matmul_act(33, 3072 / 4 + 1, 768 / 4, storage, true, true, act);
            test_matmul_act(1, 1, 1, storage, true, false, act);
        }
    }

    test_refusals();
    test_counts();
    if (getenv("BIASBENCH_OPS_BENCH"))
        bench();

    static const enum bb_op_kind dec[] = {BB_OP_RMSNORM, BB_OP_ROPE, BB_OP_ATTN_CAUSAL,
                                          BB_OP_KV_STORE, BB_OP_GLU, BB_OP_LOGPROBS};
    for (size_t i = 0; i < sizeof dec / sizeof *dec; i++)
        diag("worst normalised error %-11s %.2e", bb_op_name(dec[i]), worst[dec[i]]);
    diag("worst normalised error matmul gelu_tanh %.2e, silu %.2e", worst_act[BB_ACT_GELU_TANH],
         worst_act[BB_ACT_SILU]);
    bb_backend_free(C);
    bb_backend_free(R);
    return 0;
}
