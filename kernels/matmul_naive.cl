/* matmul_naive.cl: TEMPORARY naive GEMM used by opencl_matmul_stub.c until
 * the register-blocked kernels/matmul.cl lands. One work-item per output;
 * global (n, m) rounded up, local (16, 16).
 * out (m, n) = act(x (m, k) W^T + bias) + residual, W (n, k) row-major. */
#define BB_NAIVE_EPILOGUE                                                    \
    if (has_bias)                                                            \
        s += bias[j];                                                        \
    if (gelu)                                                                \
        s = bb_gelu(s);                                                      \
    if (has_res)                                                             \
        s += res[i * n + j];                                                 \
    out[i * n + j] = s;

__kernel void bb_matmul_naive_f32(__global const float *x,    // (m, k)
                                  __global const float *w,    // (n, k)
                                  __global const float *bias, // (n) if has_bias
                                  __global const float *res,  // (m, n) if has_res
                                  __global float *out,        // (m, n)
                                  int m, int n, int k, int has_bias, int has_res, int gelu)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (j >= n || i >= m)
        return;
    float s = 0.0f;
    for (int l = 0; l < k; l++)
        s += x[i * k + l] * w[j * k + l];
    BB_NAIVE_EPILOGUE
}

__kernel void bb_matmul_naive_f16(__global const float *x,    // (m, k)
                                  __global const half *w,     // (n, k)
                                  __global const float *bias, // (n) if has_bias
                                  __global const float *res,  // (m, n) if has_res
                                  __global float *out,        // (m, n)
                                  int m, int n, int k, int has_bias, int has_res, int gelu)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (j >= n || i >= m)
        return;
    float s = 0.0f;
    for (int l = 0; l < k; l++)
        s += x[i * k + l] * vload_half(j * k + l, w);
    BB_NAIVE_EPILOGUE
}
