/* matmul.cl: register-blocked GEMM with a fused epilogue,
 *   out (m, n) = act(x (m, k) . W^T + bias (n)) + residual (m, n),
 * for weights pre-packed at load into panels of BB_MM_NR output columns
 * (see src/backend/opencl_matmul.c): panel p holds, for every kk < k, the
 * BB_MM_NR weights W[p*NR + j][kk] (j < NR) side by side, zero-padded past n.
 *
 * One work-item computes a BB_MM_MR x BB_MM_NR block of out in registers
 * (BB_MM_MR x NR/VW vector accumulators), streaming its x rows and its weight
 * panel; no local memory, no barriers (both are slow on PoCL's CPU device).
 * Global size (ceil(m / MR), n_panels), dimension 0 varies fastest, so
 * neighbouring work-items share one weight panel in cache.
 *
 * Tuning knobs (-D options from bb_cl_matmul_build_options):
 *   BB_MM_MR  rows per work-item (any; 4 on AVX2, 8 on AVX-512)
 *   BB_MM_NR  columns per work-item = panel width (multiple of BB_MM_VW)
 *   BB_MM_VW  vector width: 4, 8 or 16
 *   BB_MM_KU  k unroll factor of the inner loop
 *   BB_MM_FAST_ERF  1: GELU uses the rational erf below instead of the built-in
 * F16 storage reads halves with vload_halfN, so it needs no cl_khr_fp16. */

#ifndef BB_MM_MR
#define BB_MM_MR 4
#endif
#ifndef BB_MM_NR
#define BB_MM_NR 16
#endif
#ifndef BB_MM_VW
#define BB_MM_VW 8
#endif
#ifndef BB_MM_KU
#define BB_MM_KU 4
#endif

#define BB_MM_NV (BB_MM_NR / BB_MM_VW)
#define BB_MM_CAT_(a, b) a##b
#define BB_MM_CAT(a, b) BB_MM_CAT_(a, b)
#define bb_mm_floatv BB_MM_CAT(float, BB_MM_VW)
#define bb_mm_vload BB_MM_CAT(vload, BB_MM_VW)
#define bb_mm_vstore BB_MM_CAT(vstore, BB_MM_VW)
#define bb_mm_vload_half BB_MM_CAT(vload_half, BB_MM_VW)

#define BB_MM_BIAS 1
#define BB_MM_RESIDUAL 2
#define BB_MM_GELU 4
#define BB_MM_GELU_TANH 8 /* GPT-2's tanh GELU */
#define BB_MM_SILU 16

#ifndef BB_MM_FAST_ERF
#define BB_MM_FAST_ERF 0
#endif

#if BB_MM_FAST_ERF
/* erf(x) = x P(x^2) / Q(x^2), a rational least-squares fit on |x| <= 3.92
 * (beyond it erf is +-1 to float precision). Max abs error 4e-7 evaluated
 * in float (the built-in erf, SLEEF on PoCL, is 1 ulp but costs about five
 * times the instructions, which showed as ~20% of an FFN-up GEMM). */
#define BB_MM_ERF_BODY(T)                                                                     \
    x = clamp(x, -3.92f, 3.92f);                                                              \
    T t = x * x;                                                                              \
    T p = fma(t, 2.034585174e-06f, 2.874829538e-04f);                                         \
    p = fma(p, t, 3.868732835e-03f);                                                          \
    p = fma(p, t, 5.306171724e-02f);                                                          \
    p = fma(p, t, 1.927742626e-01f);                                                          \
    p = fma(p, t, 1.128379022e+00f);                                                          \
    T q = fma(t, 3.806927109e-05f, 1.188202974e-03f);                                         \
    q = fma(q, t, 1.517311379e-02f);                                                          \
    q = fma(q, t, 1.150887337e-01f);                                                          \
    q = fma(q, t, 5.041734075e-01f);                                                          \
    q = fma(q, t, 1.0f);                                                                      \
    return x * p / q;
static inline float bb_mm_erf(float x) { BB_MM_ERF_BODY(float) }
static inline bb_mm_floatv bb_mm_erf_v(bb_mm_floatv x) { BB_MM_ERF_BODY(bb_mm_floatv) }
#else
#define bb_mm_erf erf
#define bb_mm_erf_v erf
#endif

/* erf GELU, as torch.nn.GELU() (not the tanh approximation) */
static inline float bb_mm_gelu(float v) { return 0.5f * v * (1.0f + bb_mm_erf(v * M_SQRT1_2_F)); }

static inline bb_mm_floatv bb_mm_gelu_v(bb_mm_floatv v)
{
    return 0.5f * v * (1.0f + bb_mm_erf_v(v * M_SQRT1_2_F));
}

/* tanh GELU as x sigmoid(2u): 0.5 x (1 + tanh u) = x / (1 + exp(-2u)),
 * u = sqrt(2/pi) (x + 0.044715 x^3); one exp instead of a tanh. */
#define BB_MM_GELU_TANH_BODY(v)                                                               \
    ((v) / (1.0f + exp(-1.5957691216057308f * fma(0.044715f * (v), (v) * (v), (v)))))
static inline float bb_mm_gelu_tanh(float v) { return BB_MM_GELU_TANH_BODY(v); }
static inline bb_mm_floatv bb_mm_gelu_tanh_v(bb_mm_floatv v) { return BB_MM_GELU_TANH_BODY(v); }
/* SiLU: x sigmoid(x) */
static inline float bb_mm_silu(float v) { return v / (1.0f + exp(-v)); }
static inline bb_mm_floatv bb_mm_silu_v(bb_mm_floatv v) { return v / (1.0f + exp(-v)); }

/* Epilogue for one row: bias, activation, residual, store (masked at n). */
static inline void bb_mm_store_row(bb_mm_floatv *acc, __global const float *bias,
                                   __global const float *res, __global float *out, int row,
                                   int col0, int n, int flags)
{
    size_t base = (size_t)row * n + col0;
    if (col0 + BB_MM_NR <= n) {
#pragma unroll
        for (int v = 0; v < BB_MM_NV; v++) {
            bb_mm_floatv o = acc[v];
            if (flags & BB_MM_BIAS)
                o += bb_mm_vload(0, bias + col0 + v * BB_MM_VW);
            if (flags & BB_MM_GELU)
                o = bb_mm_gelu_v(o);
            else if (flags & BB_MM_GELU_TANH)
                o = bb_mm_gelu_tanh_v(o);
            else if (flags & BB_MM_SILU)
                o = bb_mm_silu_v(o);
            if (flags & BB_MM_RESIDUAL)
                o += bb_mm_vload(0, res + base + v * BB_MM_VW);
            bb_mm_vstore(o, 0, out + base + v * BB_MM_VW);
        }
        return;
    }
    /* column tail: element by element */
    for (int v = 0; v < BB_MM_NV; v++) {
        float tmp[BB_MM_VW];
        bb_mm_vstore(acc[v], 0, tmp);
        for (int j = 0; j < BB_MM_VW; j++) {
            int col = col0 + v * BB_MM_VW + j;
            if (col >= n)
                return;
            float o = tmp[j];
            if (flags & BB_MM_BIAS)
                o += bias[col];
            if (flags & BB_MM_GELU)
                o = bb_mm_gelu(o);
            else if (flags & BB_MM_GELU_TANH)
                o = bb_mm_gelu_tanh(o);
            else if (flags & BB_MM_SILU)
                o = bb_mm_silu(o);
            if (flags & BB_MM_RESIDUAL)
                o += res[(size_t)row * n + col];
            out[(size_t)row * n + col] = o;
        }
    }
}

/* The kernel body, shared by the F32 and F16 weight variants; LOADW(off)
 * loads BB_MM_VW packed weights starting at element offset off. */
#define BB_MM_BODY(LOADW)                                                                     \
    int mb = get_global_id(0);                                                                \
    int p = get_global_id(1);                                                                 \
    int row0 = mb * BB_MM_MR;                                                                 \
    int col0 = p * BB_MM_NR;                                                                  \
    if (row0 >= m || col0 >= n)                                                               \
        return;                                                                               \
    __global const float *xr[BB_MM_MR]; /* row pointers, the m tail clamped to row m-1 */     \
    _Pragma("unroll") for (int r = 0; r < BB_MM_MR; r++) xr[r] =                              \
        x + (size_t)min(row0 + r, m - 1) * k;                                                 \
    size_t wbase = (size_t)p * k * BB_MM_NR;                                                  \
    bb_mm_floatv acc[BB_MM_MR][BB_MM_NV];                                                     \
    _Pragma("unroll") for (int r = 0; r < BB_MM_MR; r++)                                      \
        _Pragma("unroll") for (int v = 0; v < BB_MM_NV; v++) acc[r][v] = (bb_mm_floatv)(0.0f); \
    int kk = 0;                                                                               \
    for (; kk + BB_MM_KU <= k; kk += BB_MM_KU) {                                              \
        _Pragma("unroll") for (int u = 0; u < BB_MM_KU; u++)                                  \
        {                                                                                     \
            bb_mm_floatv b[BB_MM_NV];                                                         \
            _Pragma("unroll") for (int v = 0; v < BB_MM_NV; v++) b[v] =                       \
                LOADW(wbase + (size_t)(kk + u) * BB_MM_NR + v * BB_MM_VW);                    \
            _Pragma("unroll") for (int r = 0; r < BB_MM_MR; r++)                              \
            {                                                                                 \
                float a = xr[r][kk + u];                                                      \
                _Pragma("unroll") for (int v = 0; v < BB_MM_NV; v++) acc[r][v] =              \
                    fma((bb_mm_floatv)(a), b[v], acc[r][v]);                                  \
            }                                                                                 \
        }                                                                                     \
    }                                                                                         \
    for (; kk < k; kk++) {                                                                    \
        bb_mm_floatv b[BB_MM_NV];                                                             \
        _Pragma("unroll") for (int v = 0; v < BB_MM_NV; v++) b[v] =                           \
            LOADW(wbase + (size_t)kk * BB_MM_NR + v * BB_MM_VW);                              \
        _Pragma("unroll") for (int r = 0; r < BB_MM_MR; r++)                                  \
        {                                                                                     \
            float a = xr[r][kk];                                                              \
            _Pragma("unroll") for (int v = 0; v < BB_MM_NV; v++) acc[r][v] =                  \
                fma((bb_mm_floatv)(a), b[v], acc[r][v]);                                      \
        }                                                                                     \
    }                                                                                         \
    _Pragma("unroll") for (int r = 0; r < BB_MM_MR; r++) if (row0 + r < m)                    \
        bb_mm_store_row(acc[r], bias, res, out, row0 + r, col0, n, flags);

#define BB_MM_LOAD_F32(off) bb_mm_vload(0, w + (off))
#define BB_MM_LOAD_F16(off) bb_mm_vload_half(0, w + (off))

/* x (m, k), w packed F32 panels, bias (n) or unused, res (m, n) or unused
 * (may alias out), out (m, n); flags: BB_MM_BIAS | BB_MM_RESIDUAL | at most one of
 * BB_MM_GELU, BB_MM_GELU_TANH, BB_MM_SILU. */
__kernel void bb_matmul_f32(__global const float *x, __global const float *w,
                            __global const float *bias, __global const float *res,
                            __global float *out, int m, int n, int k, int flags)
{
    BB_MM_BODY(BB_MM_LOAD_F32)
}

/* As bb_matmul_f32 with the packed panels stored as half. */
__kernel void bb_matmul_f16(__global const float *x, __global const half *w,
                            __global const float *bias, __global const float *res,
                            __global float *out, int m, int n, int k, int flags)
{
    BB_MM_BODY(BB_MM_LOAD_F16)
}
