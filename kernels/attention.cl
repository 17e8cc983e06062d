/* attention.cl: multi-head self-attention over a padded batch, one work-item
 * per (batch, head, query row) with an online softmax over the keys (no local
 * memory). qkv rows are [q | k | v]; keys j >= lengths[bi] are masked.
 * Global b*n_head*t rounded up, local 64; head_dim <= BB_MAX_HEAD_DIM. */
__kernel void bb_attention(__global const float *qkv,      // (b*t, 3c)
                           __global const int *lengths,    // (b)
                           __global const float *pos_bias, // (n_head, t, t) if has_bias
                           int has_bias,
                           __global float *out,            // (b*t, c)
                           int b, int t, int n_head, int hd, float scale)
{
    int gid = get_global_id(0);
    if (gid >= b * n_head * t)
        return;
    int i = gid % t, h = (gid / t) % n_head, bi = gid / (t * n_head);
    int c = n_head * hd, stride = 3 * c;
    int len = clamp(lengths[bi], 0, t);
    __global const float *base = qkv + (size_t)bi * t * stride;   // (t, 3c)
    __global const float *q = base + i * stride + h * hd;          // (hd)
    __global const float *bias = pos_bias + ((size_t)h * t + i) * t; // (t)
    float qs[BB_MAX_HEAD_DIM], acc[BB_MAX_HEAD_DIM];
    for (int d = 0; d < hd; d++) {
        qs[d] = q[d];
        acc[d] = 0.0f;
    }
    float mx = -INFINITY, l = 0.0f;
    for (int j = 0; j < len; j++) {
        __global const float *kj = base + j * stride + c + h * hd;
        float s = 0.0f;
        for (int d = 0; d < hd; d++)
            s += qs[d] * kj[d];
        s *= scale;
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
        __global const float *vj = base + j * stride + 2 * c + h * hd;
        for (int d = 0; d < hd; d++)
            acc[d] += p * vj[d];
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    __global float *o = out + ((size_t)bi * t + i) * c + h * hd;
    for (int d = 0; d < hd; d++)
        o[d] = acc[d] * inv;
}
