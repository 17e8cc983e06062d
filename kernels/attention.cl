/* attention.cl: multi-head self-attention over a padded batch with an online
 * softmax over the keys (no local memory, no barriers). qkv rows are
 * [q | k | v]; keys j >= lengths[bi] are masked. Kernels:
 *   bb_attention       any head_dim <= BB_MAX_HEAD_DIM, one query row per item
 *   bb_attention_hd32  two query rows per item, float16 vectors
 *   bb_attention_hd64, bb_attention_hd128  one row per item, float16 vectors
 * Each has local size 64 and a global size rounded up to it. */

/* Generic: one work-item per (batch, head, query row); global b*n_head*t. */
inline void bb_attend(__global const float *qkv,      // (b*t, 3c)
                      __global const int *lengths,    // (b)
                      __global const float *pos_bias, // (n_head, t, t) if has_bias
                      int has_bias,
                      __global float *out,            // (b*t, c)
                      int b, int t, int n_head, const int hd, float scale)
{
    int gid = get_global_id(0);
    if (gid >= b * n_head * t)
        return;
    int i = gid % t, h = (gid / t) % n_head, bi = gid / (t * n_head);
    int c = n_head * hd, stride = 3 * c;
    int len = clamp(lengths[bi], 0, t);
    __global const float *base = qkv + (size_t)bi * t * stride;     // (t, 3c)
    __global const float *q = base + i * stride + h * hd;            // (hd)
    __global const float *kv = base + c + h * hd;                    // key j at j*stride, value at +c
    __global const float *bias = pos_bias + ((size_t)h * t + i) * t; // (t)
    float qs[BB_MAX_HEAD_DIM], acc[BB_MAX_HEAD_DIM];
    for (int d = 0; d < hd; d++) {
        qs[d] = q[d] * scale;
        acc[d] = 0.0f;
    }
    float mx = -INFINITY, l = 0.0f;
    for (int j = 0; j < len; j++) {
        __global const float *kj = kv + j * stride;
        float s = 0.0f;
        for (int d = 0; d < hd; d++)
            s += qs[d] * kj[d];
        if (has_bias)
            s += bias[j];
        if (s == -INFINITY)
            continue;
        if (s > mx) { /* new maximum: rescale what was accumulated */
            float corr = exp(mx - s);
            l *= corr;
            for (int d = 0; d < hd; d++)
                acc[d] *= corr;
            mx = s;
        }
        float p = exp(s - mx);
        l += p;
        for (int d = 0; d < hd; d++)
            acc[d] += p * kj[c + d];
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    __global float *o = out + ((size_t)bi * t + i) * c + h * hd;
    for (int d = 0; d < hd; d++)
        o[d] = acc[d] * inv;
}

/* head_dim 32 (MiniLM), two query rows per work-item: each key and value row
 * is loaded once for both, and q and the accumulators of both rows fill the
 * 16 AVX2 registers (measured 1.8x faster on PoCL than one row per item).
 * Global b*n_head*ceil(t/2) rounded up, local 64. */
/* Sum of the 16 lanes. */
inline float bb_hsum16(float16 p)
{
    float8 r8 = p.lo + p.hi;
    float4 r4 = r8.lo + r8.hi;
    return (r4.x + r4.y) + (r4.z + r4.w);
}

/* One block of 16 scores s16 into a row's running max, sum and (two-part)
 * accumulator; the block's probabilities are left in sc. */
inline void bb_softmax_block(float16 s16, float *mx, float *l, float16 *a0, float16 *a1, float *sc)
{
    float8 m8 = fmax(s16.lo, s16.hi);
    float4 m4 = fmax(m8.lo, m8.hi);
    float bm = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));
    if (bm > *mx) {
        float corr = exp(*mx - bm);
        *l *= corr;
        *a0 *= corr;
        *a1 *= corr;
        *mx = bm;
    }
    float16 p16 = *mx == -INFINITY ? (float16)(0.0f) : exp(s16 - *mx);
    *l += bb_hsum16(p16);
    vstore16(p16, 0, sc);
}

__kernel void bb_attention_hd32(__global const float *qkv, __global const int *lengths,
                                  __global const float *pos_bias, int has_bias, __global float *out,
                                  int b, int t, int n_head, int hd, float scale)
{
    int nq = (t + 1) / 2;
    int gid = get_global_id(0);
    if (gid >= b * n_head * nq)
        return;
    int i0 = (gid % nq) * 2, h = (gid / nq) % n_head, bi = gid / (nq * n_head);
    int i1 = min(i0 + 1, t - 1);
    int c = n_head * 32, stride = 3 * c;
    int len = clamp(lengths[bi], 0, t);
    __global const float *base = qkv + (size_t)bi * t * stride;
    __global const float *kv = base + c + h * 32;
    __global const float *b0 = pos_bias + ((size_t)h * t + i0) * t;
    __global const float *b1 = pos_bias + ((size_t)h * t + i1) * t;
    float16 q0a = vload16(0, base + i0 * stride + h * 32) * scale;
    float16 q0b = vload16(1, base + i0 * stride + h * 32) * scale;
    float16 q1a = vload16(0, base + i1 * stride + h * 32) * scale;
    float16 q1b = vload16(1, base + i1 * stride + h * 32) * scale;
    float16 a0a = 0.0f, a0b = 0.0f, a1a = 0.0f, a1b = 0.0f;
    float mx0 = -INFINITY, mx1 = -INFINITY, l0 = 0.0f, l1 = 0.0f;
    for (int j0 = 0; j0 < len; j0 += 16) {
        int jn = min(16, len - j0);
        float sc0[16], sc1[16];
        for (int jj = 0; jj < 16; jj++) {
            float s0 = -INFINITY, s1 = -INFINITY;
            if (jj < jn) {
                __global const float *kj = kv + (j0 + jj) * stride;
                float16 ka = vload16(0, kj), kb = vload16(1, kj);
                s0 = bb_hsum16(fma(q0b, kb, q0a * ka));
                s1 = bb_hsum16(fma(q1b, kb, q1a * ka));
                if (has_bias) {
                    s0 += b0[j0 + jj];
                    s1 += b1[j0 + jj];
                }
            }
            sc0[jj] = s0;
            sc1[jj] = s1;
        }
        bb_softmax_block(vload16(0, sc0), &mx0, &l0, &a0a, &a0b, sc0);
        bb_softmax_block(vload16(0, sc1), &mx1, &l1, &a1a, &a1b, sc1);
        for (int jj = 0; jj < jn; jj++) {
            __global const float *vj = kv + (j0 + jj) * stride + c;
            float16 va = vload16(0, vj), vb = vload16(1, vj);
            a0a = fma((float16)(sc0[jj]), va, a0a);
            a0b = fma((float16)(sc0[jj]), vb, a0b);
            a1a = fma((float16)(sc1[jj]), va, a1a);
            a1b = fma((float16)(sc1[jj]), vb, a1b);
        }
    }
    float inv0 = l0 > 0.0f ? 1.0f / l0 : 0.0f, inv1 = l1 > 0.0f ? 1.0f / l1 : 0.0f;
    __global float *o0 = out + ((size_t)bi * t + i0) * c + h * 32;
    vstore16(a0a * inv0, 0, o0);
    vstore16(a0b * inv0, 1, o0);
    if (i0 + 1 < t) {
        __global float *o1 = out + ((size_t)bi * t + i0 + 1) * c + h * 32;
        vstore16(a1a * inv1, 0, o1);
        vstore16(a1b * inv1, 1, o1);
    }
}

/* The same for head dims that are a multiple of 16 (nv = hd / 16 float16
 * vectors, a constant after inlining): keys go in blocks of 16 so that the
 * softmax's exp runs on a float16 vector and the running maximum and
 * accumulator are rescaled once per block. */
inline void bb_attend_v16(__global const float *qkv, __global const int *lengths,
                          __global const float *pos_bias, int has_bias, __global float *out,
                          int b, int t, int n_head, const int nv, float scale)
{
    int gid = get_global_id(0);
    if (gid >= b * n_head * t)
        return;
    const int hd = nv * 16;
    int i = gid % t, h = (gid / t) % n_head, bi = gid / (t * n_head);
    int c = n_head * hd, stride = 3 * c;
    int len = clamp(lengths[bi], 0, t);
    __global const float *base = qkv + (size_t)bi * t * stride;     // (t, 3c)
    __global const float *q = base + i * stride + h * hd;            // (hd)
    __global const float *kv = base + c + h * hd;                    // key j at j*stride, value at +c
    __global const float *bias = pos_bias + ((size_t)h * t + i) * t; // (t)
    float16 qv[BB_MAX_HEAD_DIM / 16], acc[BB_MAX_HEAD_DIM / 16];
    for (int v = 0; v < nv; v++) {
        qv[v] = vload16(v, q) * scale;
        acc[v] = (float16)(0.0f);
    }
    float mx = -INFINITY, l = 0.0f;
    for (int j0 = 0; j0 < len; j0 += 16) {
        float sc[16];
        for (int jj = 0; jj < 16; jj++) {
            int j = j0 + jj;
            float s = -INFINITY;
            if (j < len) {
                __global const float *kj = kv + j * stride;
                float16 p = qv[0] * vload16(0, kj);
                for (int v = 1; v < nv; v++)
                    p = fma(qv[v], vload16(v, kj), p);
                s = bb_hsum16(p);
                if (has_bias)
                    s += bias[j];
            }
            sc[jj] = s;
        }
        float16 s16 = vload16(0, sc);
        float8 m8 = fmax(s16.lo, s16.hi);
        float4 m4 = fmax(m8.lo, m8.hi);
        float bm = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));
        if (bm == -INFINITY)
            continue;
        if (bm > mx) {
            float corr = exp(mx - bm);
            l *= corr;
            for (int v = 0; v < nv; v++)
                acc[v] *= corr;
            mx = bm;
        }
        float16 p16 = exp(s16 - mx); /* masked keys: exp(-inf) = 0 */
        l += bb_hsum16(p16);
        vstore16(p16, 0, sc);
        int jn = min(16, len - j0);
        for (int jj = 0; jj < jn; jj++) {
            __global const float *vj = kv + (j0 + jj) * stride + c;
            for (int v = 0; v < nv; v++)
                acc[v] = fma((float16)(sc[jj]), vload16(v, vj), acc[v]);
        }
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    __global float *o = out + ((size_t)bi * t + i) * c + h * hd;
    for (int v = 0; v < nv; v++)
        vstore16(acc[v] * inv, v, o);
}

#define BB_ATTENTION_ARGS                                                               \
    __global const float *qkv, __global const int *lengths, __global const float *pos_bias, \
        int has_bias, __global float *out, int b, int t, int n_head, int hd, float scale

__kernel void bb_attention(BB_ATTENTION_ARGS)
{
    bb_attend(qkv, lengths, pos_bias, has_bias, out, b, t, n_head, hd, scale);
}

__kernel void bb_attention_hd64(BB_ATTENTION_ARGS)
{
    bb_attend_v16(qkv, lengths, pos_bias, has_bias, out, b, t, n_head, 4, scale);
}

__kernel void bb_attention_hd128(BB_ATTENTION_ARGS)
{
    bb_attend_v16(qkv, lengths, pos_bias, has_bias, out, b, t, n_head, 8, scale);
}
