/* decoder.cl: the decoder (causal LM) ops: RMSNorm, rotary embedding, causal
 * grouped-query attention over a KV cache, KV cache stores, the SiLU gate
 * (GLU) and per-row target log-probabilities. Written for PoCL's CPU device:
 * no local memory and no barriers; long rows go one work-item per row with
 * vector loads; elementwise kernels one work-item per element (PoCL
 * vectorises across the work-group). Host side: src/backend/opencl_decoder.c,
 * which fixes every kernel's local size. */

/* Sum of the 8 lanes. */
inline float bb_hsum8(float8 p)
{
    float4 r4 = p.lo + p.hi;
    return (r4.x + r4.y) + (r4.z + r4.w);
}

/* y = x / sqrt(mean x^2 + eps) * g per row. One work-item per row; global m
 * rounded up, local 64. y may alias x (each row is read before it is written). */
__kernel void bb_rmsnorm_rows(__global const float *x, // (m, c)
                              __global const float *g, // (c)
                              __global float *y,       // (m, c)
                              int m, int c, float eps)
{
    int i = get_global_id(0);
    if (i >= m)
        return;
    __global const float *r = x + (size_t)i * c;
    __global float *o = y + (size_t)i * c;
    int c8 = c / 8;
    float8 s8 = (float8)(0.0f);
    for (int j = 0; j < c8; j++) {
        float8 v = vload8(j, r);
        s8 = fma(v, v, s8);
    }
    float s = bb_hsum8(s8);
    for (int j = c8 * 8; j < c; j++)
        s = fma(r[j], r[j], s);
    float inv = 1.0f / sqrt(s / (float)c + eps);
    for (int j = 0; j < c8; j++)
        vstore8(vload8(j, r) * inv * vload8(j, g), j, o);
    for (int j = c8 * 8; j < c; j++)
        o[j] = r[j] * inv * g[j];
}

/* Rotary embedding in place on x (n_tok, n_head*hd): one work-item per
 * (token, pair i < n_rot/2), which computes theta's sine and cosine once and
 * rotates that pair in every head; global n_tok*n_rot/2 rounded up, local 64.
 * theta = pos * 2^(-(2i/n_rot) log2(base)); the pair is dims (2i, 2i+1) when
 * neox is 0 (ggml NORM), (i, i + n_rot/2) when 1 (rotate-half). */
__kernel void bb_rope(__global float *x,         // (n_tok, n_head*hd)
                      __global const int *pos,   // (n_tok)
                      int n_tok, int n_head, int hd, int n_rot, float log2_base, int neox)
{
    int hr = n_rot / 2;
    int gid = get_global_id(0);
    if (gid >= n_tok * hr)
        return;
    int i = gid % hr, r = gid / hr;
    float freq = exp2(-(float)(2 * i) / (float)n_rot * log2_base);
    float theta = (float)pos[r] * freq;
    float cs, sn = sincos(theta, &cs);
    int ia = neox ? i : 2 * i, ib = neox ? i + hr : 2 * i + 1;
    __global float *v = x + (size_t)r * n_head * hd;
    for (int h = 0; h < n_head; h++, v += hd) {
        float a = v[ia], b = v[ib];
        v[ia] = a * cs - b * sn;
        v[ib] = a * sn + b * cs;
    }
}

/* Causal grouped-query attention over a KV cache, one work-item per
 * (sequence, head, query row) with an online softmax over keys 0 .. n_past+i.
 * q, out (b*tq, n_head*hd); k, v (b, t_cap, n_kv*hd); head h reads KV head
 * h / (n_head / n_kv). Global b*n_head*tq rounded up, local 16; the query row
 * varies fastest, so neighbouring work-items read the same keys. */
#define BB_ATTN_CAUSAL_ARGS                                                                   \
    __global const float *q, __global const float *k, __global const float *v,              \
        __global float *out, int b, int tq, int n_past, int t_cap, int n_head, int n_kv,     \
        int hd, float scale

/* Generic head_dim <= BB_MAX_HEAD_DIM, one key at a time. */
__kernel void bb_attn_causal(BB_ATTN_CAUSAL_ARGS)
{
    int gid = get_global_id(0);
    if (gid >= b * n_head * tq)
        return;
    int i = gid % tq, h = (gid / tq) % n_head, bi = gid / (tq * n_head);
    int kvh = h / (n_head / n_kv), cq = n_head * hd, ckv = n_kv * hd;
    int len = n_past + i + 1;
    __global const float *qi = q + ((size_t)bi * tq + i) * cq + h * hd;  // (hd)
    __global const float *kb = k + (size_t)bi * t_cap * ckv + kvh * hd;  // key j at j*ckv
    __global const float *vb = v + (size_t)bi * t_cap * ckv + kvh * hd;  // value j at j*ckv
    float qs[BB_MAX_HEAD_DIM], acc[BB_MAX_HEAD_DIM];
    for (int d = 0; d < hd; d++) {
        qs[d] = qi[d] * scale;
        acc[d] = 0.0f;
    }
    float mx = -INFINITY, l = 0.0f;
    for (int j = 0; j < len; j++) {
        __global const float *kj = kb + (size_t)j * ckv;
        float s = 0.0f;
        for (int d = 0; d < hd; d++)
            s = fma(qs[d], kj[d], s);
        if (s > mx) { /* new maximum: rescale what was accumulated */
            float corr = exp(mx - s);
            l *= corr;
            for (int d = 0; d < hd; d++)
                acc[d] *= corr;
            mx = s;
        }
        float p = exp(s - mx);
        l += p;
        __global const float *vj = vb + (size_t)j * ckv;
        for (int d = 0; d < hd; d++)
            acc[d] = fma(p, vj[d], acc[d]);
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    __global float *o = out + ((size_t)bi * tq + i) * cq + h * hd;
    for (int d = 0; d < hd; d++)
        o[d] = acc[d] * inv;
}

/* Head dims that are a multiple of 16 (nv = hd / 16 float16 vectors, a
 * constant after inlining): keys in blocks of 16, so the softmax's exp runs
 * on a float16 and the running max and accumulator are rescaled once per block. */
inline void bb_attn_causal_v16(BB_ATTN_CAUSAL_ARGS, const int nv)
{
    int gid = get_global_id(0);
    if (gid >= b * n_head * tq)
        return;
    int i = gid % tq, h = (gid / tq) % n_head, bi = gid / (tq * n_head);
    int kvh = h / (n_head / n_kv), cq = n_head * hd, ckv = n_kv * hd;
    int len = n_past + i + 1;
    __global const float *qi = q + ((size_t)bi * tq + i) * cq + h * hd;
    __global const float *kb = k + (size_t)bi * t_cap * ckv + kvh * hd;
    __global const float *vb = v + (size_t)bi * t_cap * ckv + kvh * hd;
    float16 qv[BB_MAX_HEAD_DIM / 16], acc[BB_MAX_HEAD_DIM / 16];
    for (int u = 0; u < nv; u++) {
        qv[u] = vload16(u, qi) * scale;
        acc[u] = (float16)(0.0f);
    }
    float mx = -INFINITY, l = 0.0f;
    for (int j0 = 0; j0 < len; j0 += 16) {
        int jn = min(16, len - j0);
        float sc[16];
        for (int jj = 0; jj < 16; jj++) {
            float s = -INFINITY;
            if (jj < jn) {
                __global const float *kj = kb + (size_t)(j0 + jj) * ckv;
                float16 p = qv[0] * vload16(0, kj);
                for (int u = 1; u < nv; u++)
                    p = fma(qv[u], vload16(u, kj), p);
                float8 p8 = p.lo + p.hi;
                s = bb_hsum8(p8);
            }
            sc[jj] = s;
        }
        float16 s16 = vload16(0, sc);
        float8 m8 = fmax(s16.lo, s16.hi);
        float4 m4 = fmax(m8.lo, m8.hi);
        float bm = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));
        if (bm > mx) {
            float corr = exp(mx - bm);
            l *= corr;
            for (int u = 0; u < nv; u++)
                acc[u] *= corr;
            mx = bm;
        }
        float16 p16 = exp(s16 - mx); /* keys past the block's end: exp(-inf) = 0 */
        float8 p8 = p16.lo + p16.hi;
        l += bb_hsum8(p8);
        vstore16(p16, 0, sc);
        for (int jj = 0; jj < jn; jj++) {
            __global const float *vj = vb + (size_t)(j0 + jj) * ckv;
            for (int u = 0; u < nv; u++)
                acc[u] = fma((float16)(sc[jj]), vload16(u, vj), acc[u]);
        }
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    __global float *o = out + ((size_t)bi * tq + i) * cq + h * hd;
    for (int u = 0; u < nv; u++)
        vstore16(acc[u] * inv, u, o);
}

__kernel void bb_attn_causal_hd64(BB_ATTN_CAUSAL_ARGS)
{
    bb_attn_causal_v16(q, k, v, out, b, tq, n_past, t_cap, n_head, n_kv, hd, scale, 4);
}

__kernel void bb_attn_causal_hd128(BB_ATTN_CAUSAL_ARGS)
{
    bb_attn_causal_v16(q, k, v, out, b, tq, n_past, t_cap, n_head, n_kv, hd, scale, 8);
}

/* cache (b, t_cap, c) rows n_past .. n_past+tq-1 of each sequence = src
 * (b*tq, c). One work-item per element; global (c, b*tq) rounded up, local (64, 1). */
__kernel void bb_kv_store(__global const float *src, __global float *cache, int b, int tq,
                          int n_past, int t_cap, int c)
{
    int j = get_global_id(0), row = get_global_id(1);
    if (j >= c || row >= b * tq)
        return;
    int bi = row / tq, i = row % tq;
    cache[((size_t)bi * t_cap + n_past + i) * c + j] = src[(size_t)row * c + j];
}

/* dst rows dst_row0 .. +n_rows-1 = src rows src_row0 .. (c floats each). One
 * work-item per element; global (c, n_rows) rounded up, local (64, 1). */
__kernel void bb_copy_rows(__global const float *src, int src_row0, __global float *dst,
                           int dst_row0, int n_rows, int c)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (j >= c || i >= n_rows)
        return;
    dst[((size_t)dst_row0 + i) * c + j] = src[((size_t)src_row0 + i) * c + j];
}

/* out (m, f) = silu(x[:, :f]) * x[:, f:2f]. One work-item per 8 columns of a
 * row (float8 loads, the last columns of a row one by one); global
 * (ceil(f / 8), m) rounded up, local (16, 1). */
__kernel void bb_glu(__global const float *x, // (m, 2f)
                     __global float *out,     // (m, f)
                     int m, int f)
{
    int j = get_global_id(0) * 8, i = get_global_id(1);
    if (j >= f || i >= m)
        return;
    __global const float *gate = x + (size_t)i * 2 * f, *up = gate + f;
    __global float *o = out + (size_t)i * f;
    if (j + 8 <= f) {
        float8 g = vload8(0, gate + j);
        vstore8(g / (1.0f + exp(-g)) * vload8(0, up + j), 0, o + j);
        return;
    }
    for (; j < f; j++)
        o[j] = gate[j] / (1.0f + exp(-gate[j])) * up[j];
}

/* Per row of logits (m, n_vocab): lp = logits[tgt] - logsumexp (0 when
 * tgt < 0, NaN when tgt >= n_vocab), am = the first argmax (when has_am).
 * One work-item per row (local 1: each is long), one pass over the row in
 * blocks of 32 float8 vectors (1 KiB, read again from L1): the block's max
 * and argmax (lane-wise, strict '>' keeps each lane's first maximum; across
 * lanes the lowest index wins ties), the running sum rescaled when the max
 * grows, then the block's sum of exp(x - max) (per-block partial sums keep
 * the float rounding small). */
__kernel void bb_logprobs(__global const float *logits, // (m, n_vocab)
                          __global const int *tgt,      // (m)
                          __global float *lp,           // (m)
                          __global int *am, int has_am, // (m) when has_am
                          int m, int n_vocab)
{
    int i = get_global_id(0);
    if (i >= m)
        return;
    __global const float *r = logits + (size_t)i * n_vocab;
    int n8 = n_vocab / 8;
    const int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7);
    float mx = -INFINITY, sum = 0.0f;
    int best = 0;
    for (int j0 = 0; j0 < n8; j0 += 32) {
        int jn = min(n8, j0 + 32);
        float8 m8 = (float8)(-INFINITY);
        int8 i8 = (int8)(0);
        for (int j = j0; j < jn; j++) {
            float8 x = vload8(j, r);
            int8 gt = isgreater(x, m8);
            m8 = select(m8, x, gt);
            i8 = select(i8, (int8)(j * 8) + lane, gt);
        }
        float4 m4 = fmax(m8.lo, m8.hi);
        float bm = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));
        if (bm > mx) { /* strict: an earlier block keeps a tie */
            int8 at = select((int8)(INT_MAX), i8, m8 == (float8)(bm));
            int4 a4 = min(at.lo, at.hi);
            sum *= exp(mx - bm);
            mx = bm;
            best = min(min(a4.x, a4.y), min(a4.z, a4.w));
        }
        float8 s8 = (float8)(0.0f);
        for (int j = j0; j < jn; j++)
            s8 += exp(vload8(j, r) - mx);
        sum += bb_hsum8(s8);
    }
    for (int j = n8 * 8; j < n_vocab; j++) {
        float x = r[j];
        if (x > mx) {
            sum *= exp(mx - x);
            mx = x;
            best = j;
        }
        sum += exp(x - mx);
    }
    int t = tgt[i];
    lp[i] = t < 0 ? 0.0f : t >= n_vocab ? NAN : r[t] - mx - log(sum);
    if (has_am)
        am[i] = best;
}
