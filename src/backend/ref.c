/* ref.c: the reference backend: naive plain C (libc and libm only), written
 * for obviousness, never optimised; the oracle the OpenCL backend is tested
 * against. Buffers are malloc'd host memory; sums accumulate in double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_impl.h"
#include "backend/quant.h"

/* ---- buffers ---------------------------------------------------------- */

static enum bb_status ref_buffer_alloc(struct bb_backend *be, size_t bytes, struct bb_buffer **out,
                                       struct bb_error *err)
{
    *out = NULL;
    struct bb_buffer *b = calloc(1, sizeof *b);
    void *mem = calloc(1, bytes ? bytes : 1);
    if (!b || !mem) {
        free(b);
        free(mem);
        return bb_fail(err, BB_E_NOMEM, "ref backend: cannot allocate a buffer of %zu bytes",
                       bytes);
    }
    b->be = be;
    b->bytes = bytes;
    b->host = mem;
    *out = b;
    return BB_OK;
}

static size_t ref_buffer_bytes(const struct bb_buffer *buf) { return buf->bytes; }

static void ref_buffer_free(struct bb_backend *be, struct bb_buffer *buf)
{
    (void)be;
    free(buf->host);
    free(buf);
}

static enum bb_status ref_upload(struct bb_backend *be, struct bb_buffer *dst, size_t offset,
                                 const void *src, size_t bytes, struct bb_error *err)
{
    (void)be;
    (void)err;
    if (bytes)
        memcpy((char *)dst->host + offset, src, bytes);
    return BB_OK;
}

static enum bb_status ref_download(struct bb_backend *be, struct bb_buffer *src, size_t offset,
                                   void *dst, size_t bytes, struct bb_error *err)
{
    (void)be;
    (void)err;
    if (bytes)
        memcpy(dst, (const char *)src->host + offset, bytes);
    return BB_OK;
}

static enum bb_status ref_sync(struct bb_backend *be, struct bb_error *err)
{
    (void)be;
    (void)err;
    return BB_OK;
}

/* ---- half precision conversions (IEEE binary16, bfloat16) -------------- */
/* Written separately from src/core/half.c on purpose: the oracle must not share
 * the product's rounding. */

static float half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24); /* subnormal */
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 0x400), exp - 25);
    return sign ? -v : v;
}

/* Round to nearest even, like vstore_half_rte and numpy's float16. */
static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    float a = fabsf(f);
    if (isnan(f))
        return sign | 0x7e00;
    if (a >= 65520.0f) /* rounds to infinity */
        return sign | 0x7c00;
    if (a < 6.103515625e-05f) { /* subnormal half: multiples of 2^-24 */
        float q = nearbyintf(a * 16777216.0f); /* default rounding mode: to nearest even */
        return sign | (uint16_t)q;
    }
    uint32_t ax;
    memcpy(&ax, &a, 4);
    uint32_t mant = ax & 0x7fffff, e = (ax >> 23) - 127 + 15;
    uint32_t h = (e << 10) | (mant >> 13), rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++; /* carries into the exponent correctly */
    return sign | (uint16_t)h;
}

static float bf16_to_float(uint16_t b)
{
    uint32_t x = (uint32_t)b << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static float src_elem(const void *src, enum bb_dtype t, size_t i)
{
    if (t == BB_F32)
        return ((const float *)src)[i];
    uint16_t h;
    memcpy(&h, (const char *)src + 2 * i, 2);
    return t == BB_F16 ? half_to_float(h) : bf16_to_float(h);
}

/* ---- weights ---------------------------------------------------------- */

/* Stored as (n, k) row-major, float32 or IEEE half. */
static enum bb_status ref_weight_upload(struct bb_backend *be, const void *src,
                                        enum bb_dtype src_dtype, int n, int k,
                                        enum bb_dtype storage, struct bb_weight *out,
                                        struct bb_error *err)
{
    if (bb_dtype_is_quant(storage)) { /* ggml blocks, kept as they are: (n, row bytes) */
        size_t row = bb_dtype_row_bytes(storage, k);
        if (src_dtype != storage || n <= 0 || !row)
            return bb_fail(err, BB_E_UNSUPPORTED, "ref backend: %s weight (%d, %d) from %s",
                           bb_dtype_name(storage), n, k, bb_dtype_name(src_dtype));
        struct bb_buffer *qb;
        enum bb_status qs = ref_buffer_alloc(be, (size_t)n * row, &qb, err);
        if (qs)
            return qs;
        memcpy(qb->host, src, (size_t)n * row);
        out->buf = qb;
        out->n = n;
        out->k = k;
        out->dtype = storage;
        return BB_OK;
    }
    if (src_dtype != BB_F32 && src_dtype != BB_F16 && src_dtype != BB_BF16)
        return bb_fail(err, BB_E_UNSUPPORTED, "ref backend: weight source dtype %s",
                       bb_dtype_name(src_dtype));
    if (n <= 0 || k <= 0)
        return bb_fail(err, BB_E_INTERNAL, "ref backend: weight shape (%d, %d)", n, k);
    size_t count = (size_t)n * (size_t)k;
    struct bb_buffer *buf;
    enum bb_status st = ref_buffer_alloc(be, count * bb_dtype_size(storage), &buf, err);
    if (st)
        return st;
    for (size_t i = 0; i < count; i++) {
        float v = src_elem(src, src_dtype, i);
        if (storage == BB_F16)
            ((uint16_t *)buf->host)[i] = float_to_half(v);
        else
            ((float *)buf->host)[i] = v;
    }
    out->buf = buf;
    out->n = n;
    out->k = k;
    out->dtype = storage;
    return BB_OK;
}

/* Every op on f32 activations; matmul and get_rows also on f16 and every quantised weight
 * (widened row by row, see quant.c). */
static bool ref_supports_op(struct bb_backend *be, enum bb_op_kind op, enum bb_dtype dtype)
{
    (void)be;
    if ((unsigned)op >= BB_OP_COUNT)
        return false;
    if (op == BB_OP_MATMUL || op == BB_OP_GET_ROWS)
        return dtype == BB_F32 || dtype == BB_F16 || bb_dtype_is_quant(dtype);
    return dtype == BB_F32;
}

/* ---- ops -------------------------------------------------------------- */

static enum bb_status ref_embed(struct bb_backend *be, struct bb_buffer *ids, struct bb_buffer *pos,
                                struct bb_buffer *type_ids, struct bb_buffer *word,
                                struct bb_buffer *pos_emb, struct bb_buffer *type_emb,
                                struct bb_buffer *out, int n_tok, int c, struct bb_error *err)
{
    (void)be;
    size_t nt = (size_t)n_tok, cc = (size_t)c;
    const int32_t *id = ids->host, *ps = pos->host;                   // (n_tok)
    const int32_t *ty = type_ids ? type_ids->host : NULL;             // (n_tok)
    const float *w = word->host, *p = pos_emb->host, *t = type_emb->host; // (V|P|types, c)
    float *y = out->host;                                             // (n_tok, c)
    size_t n_word = word->bytes / 4 / cc, n_pos = pos_emb->bytes / 4 / cc;
    size_t n_type = type_emb->bytes / 4 / cc;
    for (size_t i = 0; i < nt; i++) {
        int32_t a = id[i], b = ps[i], d = ty ? ty[i] : 0;
        if (a < 0 || (size_t)a >= n_word || b < 0 || (size_t)b >= n_pos || d < 0 ||
            (size_t)d >= n_type)
            return bb_fail(err, BB_E_INPUT,
                           "ref embed: token %zu: id %d / position %d / type %d outside the "
                           "tables (%zu words, %zu positions, %zu types)",
                           i, a, b, d, n_word, n_pos, n_type);
        for (size_t j = 0; j < cc; j++)
            y[i * cc + j] = (float)((double)w[a * cc + j] + (double)p[b * cc + j] +
                                    (double)t[d * cc + j]);
    }
    return BB_OK;
}

/* Exact GELU: 0.5 x (1 + erf(x / sqrt 2)). */
static double gelu(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

/* GPT-2's tanh GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
static double gelu_tanh(double x)
{
    const double pi = 3.14159265358979323846;
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / pi) * (x + 0.044715 * x * x * x)));
}

/* SiLU (swish): x sigmoid(x). */
static double silu(double x) { return x / (1.0 + exp(-x)); }

/* Dot product of two float rows of length k, in double (4 partial sums so the
 * oracle stays fast enough for ~100-sentence golden runs). */
static double dot(const float *a, const float *b, size_t k)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= k; i += 4) {
        s0 += (double)a[i] * b[i];
        s1 += (double)a[i + 1] * b[i + 1];
        s2 += (double)a[i + 2] * b[i + 2];
        s3 += (double)a[i + 3] * b[i + 3];
    }
    for (; i < k; i++)
        s0 += (double)a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* matmul with a quantised weight: one weight row dequantised at a time. */
/* A matmul output element: acc + bias[j], activated, + residual[i, j]. */
static float epilogue(double acc, const float *b, const float *r, enum bb_act act, size_t i,
                      size_t j, size_t n)
{
    double v = acc + (b ? b[j] : 0.0);
    if (act == BB_ACT_GELU)
        v = gelu(v);
    else if (act == BB_ACT_GELU_TANH)
        v = gelu_tanh(v);
    else if (act == BB_ACT_SILU)
        v = silu(v);
    return (float)(r ? v + r[i * n + j] : v);
}

static enum bb_status ref_matmul_quant(const struct bb_weight *w, const float *xs,
                                       const float *b, const float *r, float *y, size_t mm,
                                       enum bb_act act, struct bb_error *err)
{
    size_t n = (size_t)w->n, k = (size_t)w->k, row = bb_dtype_row_bytes(w->dtype, w->k);
    if (!row || w->buf->bytes < n * row)
        return bb_fail(err, BB_E_INTERNAL, "ref matmul: %s weight buffer too small for (%zu, %zu)",
                       bb_dtype_name(w->dtype), n, k);
    float *wr = malloc(k * sizeof *wr);
    if (!wr)
        return bb_fail(err, BB_E_NOMEM, "ref matmul: cannot allocate a row of %zu floats", k);
    for (size_t j = 0; j < n; j++) {
        bb_dequantize_row(w->dtype, (const char *)w->buf->host + j * row, wr, (int64_t)k);
        for (size_t i = 0; i < mm; i++) {
            y[i * n + j] = epilogue(dot(xs + i * k, wr, k), b, r, act, i, j, n);
        }
    }
    free(wr);
    return BB_OK;
}

static enum bb_status ref_matmul(struct bb_backend *be, struct bb_buffer *x,
                                 const struct bb_weight *w, struct bb_buffer *bias,
                                 struct bb_buffer *residual, struct bb_buffer *out, int m,
                                 enum bb_act act, struct bb_error *err)
{
    (void)be;
    if (bb_dtype_is_quant(w->dtype))
        return ref_matmul_quant(w, x->host, bias ? bias->host : NULL,
                                residual ? residual->host : NULL, out->host, (size_t)m, act, err);
    size_t mm = (size_t)m, n = (size_t)w->n, k = (size_t)w->k;
    if (w->buf->bytes < n * k * bb_dtype_size(w->dtype))
        return bb_fail(err, BB_E_INTERNAL, "ref matmul: weight buffer too small for (%zu, %zu)",
                       n, k);
    const float *xs = x->host;                          // (m, k)
    const float *b = bias ? bias->host : NULL;          // (n)
    const float *r = residual ? residual->host : NULL;  // (m, n), may alias out
    float *y = out->host;                               // (m, n)
    const float *wf = w->buf->host;                     // (n, k)
    float *tmp = NULL;
    if (w->dtype == BB_F16) { /* widen the half weights once per call */
        tmp = malloc(n * k * sizeof *tmp);
        if (!tmp)
            return bb_fail(err, BB_E_NOMEM, "ref matmul: cannot widen a (%zu, %zu) weight", n, k);
        for (size_t i = 0; i < n * k; i++)
            tmp[i] = half_to_float(((const uint16_t *)w->buf->host)[i]);
        wf = tmp;
    }
    for (size_t i = 0; i < mm; i++)
        for (size_t j = 0; j < n; j++) {
            y[i * n + j] = epilogue(dot(xs + i * k, wf + j * k, k), b, r, act, i, j, n);
        }
    free(tmp);
    return BB_OK;
}

static enum bb_status ref_layernorm(struct bb_backend *be, struct bb_buffer *x,
                                    struct bb_buffer *gamma, struct bb_buffer *beta,
                                    struct bb_buffer *out, int m, int c, float eps,
                                    struct bb_error *err)
{
    (void)be;
    (void)err;
    size_t mm = (size_t)m, cc = (size_t)c;
    const float *xs = x->host;                          // (m, c)
    const float *g = gamma->host, *bt = beta->host;     // (c)
    float *y = out->host;                               // (m, c), may alias x
    for (size_t i = 0; i < mm; i++) {
        const float *row = xs + i * cc;
        double mean = 0, var = 0;
        for (size_t j = 0; j < cc; j++)
            mean += row[j];
        mean /= (double)cc;
        for (size_t j = 0; j < cc; j++)
            var += (row[j] - mean) * (row[j] - mean);
        var /= (double)cc; /* biased, as torch.nn.LayerNorm */
        double inv = 1.0 / sqrt(var + (double)eps);
        for (size_t j = 0; j < cc; j++)
            y[i * cc + j] = (float)((row[j] - mean) * inv * g[j] + bt[j]);
    }
    return BB_OK;
}

/* One query row of one head: out_i = sum_j softmax_j(s_ij) v_j over keys j < len. */
static void attend_row(const float *q, const float *kv_base, size_t row_stride, size_t koff,
                       size_t voff, const float *bias_row, double scale, int len, size_t hd,
                       double *scores, float *o)
{
    double mx = -INFINITY, sum = 0;
    for (int j = 0; j < len; j++) {
        const float *kj = kv_base + (size_t)j * row_stride + koff;
        double s = 0;
        for (size_t d = 0; d < hd; d++)
            s += (double)q[d] * kj[d];
        s = s * scale + (bias_row ? bias_row[j] : 0.0);
        scores[j] = s;
        if (s > mx)
            mx = s;
    }
    for (int j = 0; j < len; j++) {
        scores[j] = exp(scores[j] - mx);
        sum += scores[j];
    }
    for (size_t d = 0; d < hd; d++) {
        double acc = 0;
        for (int j = 0; j < len; j++)
            acc += scores[j] * kv_base[(size_t)j * row_stride + voff + d];
        o[d] = len > 0 ? (float)(acc / sum) : 0.0f;
    }
}

static enum bb_status ref_attention(struct bb_backend *be, struct bb_buffer *qkv,
                                    struct bb_buffer *lengths, struct bb_buffer *pos_bias,
                                    struct bb_buffer *out, int b, int t, int n_head, int head_dim,
                                    float scale, struct bb_error *err)
{
    (void)be;
    size_t bb = (size_t)b, tt = (size_t)t, nh = (size_t)n_head, hd = (size_t)head_dim;
    size_t c = nh * hd;
    const float *in = qkv->host;                          // (b*t, 3c) = [q | k | v]
    const int32_t *len = lengths->host;                   // (b)
    const float *pb = pos_bias ? pos_bias->host : NULL;   // (n_head, t, t)
    float *y = out->host;                                 // (b*t, c)
    double *scores = malloc((tt ? tt : 1) * sizeof *scores);
    if (!scores)
        return bb_fail(err, BB_E_NOMEM, "ref attention: cannot allocate %zu scores", tt);
    for (size_t bi = 0; bi < bb; bi++) {
        int l = len[bi] < 0 ? 0 : len[bi] > t ? t : len[bi];
        const float *base = in + bi * tt * 3 * c;
        for (size_t h = 0; h < nh; h++)
            for (size_t i = 0; i < tt; i++)
                attend_row(base + i * 3 * c + h * hd, base, 3 * c, c + h * hd, 2 * c + h * hd,
                           pb ? pb + (h * tt + i) * tt : NULL, scale, l, hd, scores,
                           y + (bi * tt + i) * c + h * hd);
    }
    free(scores);
    return BB_OK;
}

static enum bb_status ref_pool(struct bb_backend *be, struct bb_buffer *x,
                               struct bb_buffer *lengths, struct bb_buffer *out, int b, int t,
                               int c, enum bb_pool_mode mode, bool normalize,
                               struct bb_error *err)
{
    (void)be;
    size_t bb = (size_t)b, tt = (size_t)t, cc = (size_t)c;
    const float *xs = x->host;              // (b*t, c)
    const int32_t *len = lengths->host;     // (b)
    float *y = out->host;                   // (b, c)
    double *row = malloc((cc ? cc : 1) * sizeof *row);
    if (!row)
        return bb_fail(err, BB_E_NOMEM, "ref pool: cannot allocate %zu floats", cc);
    for (size_t bi = 0; bi < bb; bi++) {
        int l = len[bi] < 0 ? 0 : len[bi] > t ? t : len[bi];
        int rows = mode == BB_POOL_CLS ? (l > 0) : l;
        double norm = 0;
        for (size_t j = 0; j < cc; j++) {
            double s = 0;
            for (int i = 0; i < rows; i++)
                s += xs[(bi * tt + (size_t)i) * cc + j];
            row[j] = rows ? s / rows : 0.0;
            norm += row[j] * row[j];
        }
        norm = sqrt(norm);
        double div = normalize ? (norm > 1e-12 ? norm : 1e-12) : 1.0;
        for (size_t j = 0; j < cc; j++)
            y[bi * cc + j] = (float)(row[j] / div);
    }
    free(row);
    return BB_OK;
}

/* ---- decoder ops ---- */

static enum bb_status ref_rmsnorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g,
                                  struct bb_buffer *out, int m, int c, float eps,
                                  struct bb_error *err)
{
    (void)be;
    (void)err;
    size_t mm = (size_t)m, cc = (size_t)c;
    const float *xs = x->host;  // (m, c)
    const float *gs = g->host;  // (c)
    float *y = out->host;       // (m, c), may alias x
    for (size_t i = 0; i < mm; i++) {
        const float *row = xs + i * cc;
        double ss = 0;
        for (size_t j = 0; j < cc; j++)
            ss += (double)row[j] * row[j];
        double inv = 1.0 / sqrt(ss / (double)cc + (double)eps);
        for (size_t j = 0; j < cc; j++)
            y[i * cc + j] = (float)(row[j] * inv * gs[j]);
    }
    return BB_OK;
}

static enum bb_status ref_rope(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos,
                               int n_tok, int n_head, int head_dim, int n_rot, float base,
                               enum bb_rope_mode mode, struct bb_error *err)
{
    (void)be;
    (void)err;
    size_t nt = (size_t)n_tok, nh = (size_t)n_head, hd = (size_t)head_dim;
    size_t half = (size_t)n_rot / 2;
    float *xs = x->host;              // (n_tok, n_head*head_dim), in place
    const int32_t *ps = pos->host;    // (n_tok)
    for (size_t r = 0; r < nt; r++)
        for (size_t h = 0; h < nh; h++) {
            float *v = xs + (r * nh + h) * hd; // (head_dim)
            for (size_t i = 0; i < half; i++) {
                double theta = ps[r] * pow((double)base, -2.0 * (double)i / n_rot);
                double cs = cos(theta), sn = sin(theta);
                size_t ia = mode == BB_ROPE_NORM ? 2 * i : i;
                size_t ib = mode == BB_ROPE_NORM ? 2 * i + 1 : i + half;
                double a = v[ia], b = v[ib];
                v[ia] = (float)(a * cs - b * sn);
                v[ib] = (float)(a * sn + b * cs);
            }
        }
    return BB_OK;
}

static enum bb_status ref_attn_causal(struct bb_backend *be, struct bb_buffer *q,
                                      struct bb_buffer *k, struct bb_buffer *v,
                                      struct bb_buffer *out, int b, int tq, int n_past, int t_cap,
                                      int n_head, int n_kv_head, int head_dim, float scale,
                                      struct bb_error *err)
{
    (void)be;
    size_t bb = (size_t)b, tt = (size_t)tq, tc = (size_t)t_cap, nh = (size_t)n_head;
    size_t hd = (size_t)head_dim, group = nh / (size_t)n_kv_head;
    size_t cq = nh * hd, ckv = (size_t)n_kv_head * hd;
    const float *qs = q->host;                  // (b*tq, n_head*hd)
    const float *ks = k->host, *vs = v->host;   // (b, t_cap, n_kv_head*hd)
    float *y = out->host;                       // (b*tq, n_head*hd)
    size_t n_keys = (size_t)n_past + tt;
    double *scores = malloc((n_keys ? n_keys : 1) * sizeof *scores);
    if (!scores)
        return bb_fail(err, BB_E_NOMEM, "ref attn_causal: cannot allocate %zu scores", n_keys);
    for (size_t bi = 0; bi < bb; bi++)
        for (size_t h = 0; h < nh; h++) {
            size_t kvh = h / group;
            for (size_t i = 0; i < tt; i++) {
                const float *qi = qs + (bi * tt + i) * cq + h * hd;  // (hd)
                size_t len = (size_t)n_past + i + 1;                  // keys 0 .. n_past+i
                double mx = -INFINITY, sum = 0;
                for (size_t j = 0; j < len; j++) {
                    const float *kj = ks + (bi * tc + j) * ckv + kvh * hd;
                    double s = 0;
                    for (size_t d = 0; d < hd; d++)
                        s += (double)qi[d] * kj[d];
                    scores[j] = s * scale;
                    mx = scores[j] > mx ? scores[j] : mx;
                }
                for (size_t j = 0; j < len; j++) {
                    scores[j] = exp(scores[j] - mx);
                    sum += scores[j];
                }
                float *o = y + (bi * tt + i) * cq + h * hd;
                for (size_t d = 0; d < hd; d++) {
                    double acc = 0;
                    for (size_t j = 0; j < len; j++)
                        acc += scores[j] * vs[(bi * tc + j) * ckv + kvh * hd + d];
                    o[d] = (float)(acc / sum);
                }
            }
        }
    free(scores);
    return BB_OK;
}

static enum bb_status ref_copy_rows(struct bb_backend *be, struct bb_buffer *src, int src_row0,
                                    struct bb_buffer *dst, int dst_row0, int n_rows, int c,
                                    struct bb_error *err)
{
    (void)be;
    (void)err;
    const float *s = (const float *)src->host + (size_t)src_row0 * (size_t)c; // (n_rows, c)
    float *d = (float *)dst->host + (size_t)dst_row0 * (size_t)c;             // (n_rows, c)
    for (size_t i = 0; i < (size_t)n_rows * (size_t)c; i++)
        d[i] = s[i];
    return BB_OK;
}

static enum bb_status ref_kv_store(struct bb_backend *be, struct bb_buffer *src,
                                   struct bb_buffer *cache, int b, int tq, int n_past, int t_cap,
                                   int c, struct bb_error *err)
{
    (void)be;
    (void)err;
    size_t bb = (size_t)b, tt = (size_t)tq, tc = (size_t)t_cap, cc = (size_t)c;
    const float *s = src->host;  // (b*tq, c)
    float *kv = cache->host;     // (b, t_cap, c)
    for (size_t bi = 0; bi < bb; bi++)
        for (size_t i = 0; i < tt; i++)
            for (size_t j = 0; j < cc; j++)
                kv[(bi * tc + (size_t)n_past + i) * cc + j] = s[(bi * tt + i) * cc + j];
    return BB_OK;
}

static enum bb_status ref_glu(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out,
                              int m, int f, struct bb_error *err)
{
    (void)be;
    (void)err;
    size_t mm = (size_t)m, ff = (size_t)f;
    const float *xs = x->host;  // (m, 2f) = [gate | up]
    float *y = out->host;       // (m, f)
    for (size_t i = 0; i < mm; i++)
        for (size_t j = 0; j < ff; j++)
            y[i * ff + j] = (float)(silu(xs[i * 2 * ff + j]) * xs[i * 2 * ff + ff + j]);
    return BB_OK;
}

static enum bb_status ref_logprobs(struct bb_backend *be, struct bb_buffer *logits,
                                   struct bb_buffer *tgt, struct bb_buffer *lp,
                                   struct bb_buffer *am, int m, int n_vocab, struct bb_error *err)
{
    (void)be;
    size_t mm = (size_t)m, nv = (size_t)n_vocab;
    const float *z = logits->host;              // (m, n_vocab)
    const int32_t *t = tgt->host;               // (m)
    float *l = lp->host;                        // (m)
    int32_t *a = am ? am->host : NULL;          // (m) or NULL
    for (size_t i = 0; i < mm; i++) {
        const float *row = z + i * nv;
        size_t best = 0;
        for (size_t j = 1; j < nv; j++)
            if (row[j] > row[best])
                best = j;
        double mx = row[best], sum = 0;
        for (size_t j = 0; j < nv; j++)
            sum += exp((double)row[j] - mx);
        int32_t ti = t[i];
        if (ti >= n_vocab)
            return bb_fail(err, BB_E_INPUT, "ref logprobs: row %zu: target %d outside the "
                           "vocabulary of %d", i, ti, n_vocab);
        l[i] = ti < 0 ? 0.0f : (float)((double)row[ti] - mx - log(sum));
        if (a)
            a[i] = (int32_t)best;
    }
    return BB_OK;
}

/* out (n, k) (+)= rows ids[i] of w, dequantised exactly as bb_dequantize_row. */
static enum bb_status ref_get_rows(struct bb_backend *be, const struct bb_weight *w,
                                   struct bb_buffer *ids, struct bb_buffer *out, int n,
                                   bool accumulate, struct bb_error *err)
{
    (void)be;
    size_t k = (size_t)w->k, row = bb_dtype_row_bytes(w->dtype, w->k);
    const int32_t *id = ids->host; // (n)
    float *y = out->host;          // (n, k)
    if (!row || w->buf->bytes < (size_t)w->n * row)
        return bb_fail(err, BB_E_INTERNAL, "ref get_rows: bad %s weight (%d, %d)",
                       bb_dtype_name(w->dtype), w->n, w->k);
    float *tmp = malloc(k * sizeof *tmp);
    if (!tmp)
        return bb_fail(err, BB_E_NOMEM, "ref get_rows: cannot allocate %zu floats", k);
    for (int i = 0; i < n; i++) {
        if (id[i] < 0 || id[i] >= w->n) {
            free(tmp);
            return bb_fail(err, BB_E_INPUT, "ref get_rows: id %d (at %d) outside [0, %d)",
                           id[i], i, w->n);
        }
        const char *src = (const char *)w->buf->host + (size_t)id[i] * row;
        if (w->dtype == BB_F16) /* the oracle's own half conversion */
            for (size_t j = 0; j < k; j++)
                tmp[j] = src_elem(src, BB_F16, j);
        else
            bb_dequantize_row(w->dtype, src, tmp, (int64_t)k);
        for (size_t j = 0; j < k; j++)
            y[(size_t)i * k + j] = accumulate ? y[(size_t)i * k + j] + tmp[j] : tmp[j];
    }
    free(tmp);
    return BB_OK;
}

static void ref_free(struct bb_backend *be) { free(be); }

static const struct bb_backend_vtable ref_vtable = {
    .name = "ref",
    .free = ref_free,
    .buffer_alloc = ref_buffer_alloc,
    .buffer_free = ref_buffer_free,
    .buffer_bytes = ref_buffer_bytes,
    .upload = ref_upload,
    .download = ref_download,
    .sync = ref_sync,
    .weight_upload = ref_weight_upload,
    .supports_op = ref_supports_op,
    .embed = ref_embed,
    .matmul = ref_matmul,
    .layernorm = ref_layernorm,
    .attention = ref_attention,
    .pool = ref_pool,
    .rmsnorm = ref_rmsnorm,
    .rope = ref_rope,
    .attn_causal = ref_attn_causal,
    .kv_store = ref_kv_store,
    .glu = ref_glu,
    .logprobs = ref_logprobs,
    .copy_rows = ref_copy_rows,
    .get_rows = ref_get_rows,
};

enum bb_status bb_backend_ref_create(struct bb_backend **out, struct bb_error *err)
{
    struct bb_backend *be = calloc(1, sizeof *be);
    if (!be)
        return bb_fail(err, BB_E_NOMEM, "ref backend: out of memory");
    be->vt = &ref_vtable;
    snprintf(be->info.name, sizeof be->info.name, "reference (plain C)");
    snprintf(be->info.vendor, sizeof be->info.vendor, "biasbench");
    snprintf(be->info.driver, sizeof be->info.driver, "none");
    snprintf(be->info.platform, sizeof be->info.platform, "ref");
    snprintf(be->info.version, sizeof be->info.version, "plain C");
    be->info.compute_units = 1;
    *out = be;
    return BB_OK;
}
