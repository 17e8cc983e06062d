/* attention.cl: multi-head self-attention over a padded batch, one work-item
 * per (batch, head, query row) with an online softmax over the keys (no local
 * memory). qkv rows are [q | k | v]; keys j >= lengths[bi] are masked.
 * bb_attend is inlined with a constant head dimension into kernels for the
 * common sizes (so q and the accumulator live in registers), plus a generic
 * kernel for any head_dim <= BB_MAX_HEAD_DIM.
 * Global b*n_head*t rounded up, local 64. */
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
                float8 r8 = p.lo + p.hi;
                float4 r4 = r8.lo + r8.hi;
                s = (r4.x + r4.y) + (r4.z + r4.w);
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
        float8 l8 = p16.lo + p16.hi;
        float4 l4 = l8.lo + l8.hi;
        l += (l4.x + l4.y) + (l4.z + l4.w);
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

__kernel void bb_attention_hd32(BB_ATTENTION_ARGS)
{
    bb_attend_v16(qkv, lengths, pos_bias, has_bias, out, b, t, n_head, 2, scale);
}

__kernel void bb_attention_hd64(BB_ATTENTION_ARGS)
{
    bb_attend_v16(qkv, lengths, pos_bias, has_bias, out, b, t, n_head, 4, scale);
}

__kernel void bb_attention_hd128(BB_ATTENTION_ARGS)
{
    bb_attend_v16(qkv, lengths, pos_bias, has_bias, out, b, t, n_head, 8, scale);
}
