/* pool.cl: mean / CLS pooling over each sequence's first lengths[bi] rows,
 * then (separately) L2 normalisation of each pooled row with
 * max(norm, 1e-12) as torch.nn.functional.normalize. */

/* Global b*c rounded up, local 64: one work-item per output element. */
__kernel void bb_pool_rows(__global const float *x,       // (b*t, c)
                           __global const int *lengths,   // (b)
                           __global float *out,           // (b, c)
                           int b, int t, int c, int cls)
{
    int gid = get_global_id(0);
    if (gid >= b * c)
        return;
    int bi = gid / c, j = gid % c;
    int len = clamp(lengths[bi], 0, t);
    int rows = cls ? min(len, 1) : len;
    __global const float *col = x + (size_t)bi * t * c + j;
    float s = 0.0f;
    for (int i = 0; i < rows; i++)
        s += col[i * c];
    out[gid] = rows > 0 ? s / (float)rows : 0.0f;
}

/* Global b rounded up, local 64: one work-item per row. */
__kernel void bb_l2_normalize_rows(__global float *y, // (b, c)
                                   int b, int c)
{
    int bi = get_global_id(0);
    if (bi >= b)
        return;
    __global float *r = y + (size_t)bi * c;
    float s = 0.0f;
    for (int j = 0; j < c; j++)
        s += r[j] * r[j];
    float inv = 1.0f / fmax(sqrt(s), 1e-12f);
    for (int j = 0; j < c; j++)
        r[j] *= inv;
}
