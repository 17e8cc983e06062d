/* layernorm.cl: y = (x - mean) / sqrt(var + eps) * gamma + beta per row,
 * biased variance, two passes. One work-item per row (no local memory or
 * barriers: they are slow on PoCL's CPU device); global m rounded up, local 64.
 * out may alias x. */
__kernel void bb_layernorm_rows(__global const float *x,     // (m, c)
                                __global const float *gamma, // (c)
                                __global const float *beta,  // (c)
                                __global float *y,           // (m, c)
                                int m, int c, float eps)
{
    int i = get_global_id(0);
    if (i >= m)
        return;
    __global const float *r = x + (size_t)i * c;
    __global float *o = y + (size_t)i * c;
    int c4 = c / 4;
    float4 s4 = (float4)(0.0f);
    for (int j = 0; j < c4; j++)
        s4 += vload4(j, r);
    float s = (s4.x + s4.y) + (s4.z + s4.w);
    for (int j = c4 * 4; j < c; j++)
        s += r[j];
    float mean = s / (float)c;
    float4 v4 = (float4)(0.0f);
    for (int j = 0; j < c4; j++) {
        float4 d = vload4(j, r) - mean;
        v4 += d * d;
    }
    float v = (v4.x + v4.y) + (v4.z + v4.w);
    for (int j = c4 * 4; j < c; j++)
        v += (r[j] - mean) * (r[j] - mean);
    float inv = 1.0f / sqrt(v / (float)c + eps);
    for (int j = 0; j < c4; j++)
        vstore4((vload4(j, r) - mean) * inv * vload4(j, gamma) + vload4(j, beta), j, o);
    for (int j = c4 * 4; j < c; j++)
        o[j] = (r[j] - mean) * inv * gamma[j] + beta[j];
}
