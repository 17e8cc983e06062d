/* matmul_quant.cl: GEMM and row gathers for weights kept in ggml's block
 * formats (src/backend/opencl_quant.c uploads them):
 *   out (m, n) = act(x (m, k) . W^T + bias (n)) + residual (m, n)
 * with W dequantised in the inner loop, never expanded in device memory.
 *
 * Layouts (bytes; halves little-endian, as in the GGUF file):
 *   Q4_1 and Q8_0 are repacked into panels of BB_QP (16) output columns.
 *   Panel p, 32-element k-block b starts at (p * (k / 32) + b) * PB:
 *     Q4_1, PB = 320: d[16] half, m[16] half, then 16 rows i of 16 bytes:
 *           byte (i, c) = ggml's qs[i] of column 16p + c (low nibble: k = 32b + i,
 *           high nibble: k = 32b + i + 16)
 *     Q8_0, PB = 544: d[16] half, then 32 rows kk of 16 int8: (kk, c)
 *   Columns past n are zero blocks. Same bytes as the ggml blocks, reordered.
 *   Every other quantised type is kept as ggml's rows (row j at j * row_bytes).
 *
 * One work-item computes an R x 16 tile (panel kernels; R = 4, or 1 for
 * m < 4) or an R x 1 column (raw-layout kernels) in registers: no local
 * memory, no barriers (both slow on PoCL's CPU device). Global size
 * (ceil(m / R), panels or n); dimension 0 fastest so neighbours share a panel.
 *
 * The dequantisation helpers compute exactly as gguf.quants.dequantize
 * (float32, no contraction), so get_rows is bit-exact with the host's
 * bb_dequantize_row; the GEMMs then accumulate with fma. */

/* erf GELU on float8 (matmul.cl's rational erf on CPUs) */
#if BB_MM_FAST_ERF
static inline float8 bb_q_erf8(float8 x) { BB_MM_ERF_BODY(float8) }
#else
#define bb_q_erf8 erf
#endif
static inline float8 bb_q_gelu8(float8 v) { return 0.5f * v * (1.0f + bb_q_erf8(v * M_SQRT1_2_F)); }

#pragma OPENCL FP_CONTRACT OFF

#define BB_QP 16 /* columns per panel */
#define BB_QF_BIAS 1
#define BB_QF_RESIDUAL 2
#define BB_QF_GELU 4

/* bb_dtype values (src/backend/backend.h) */
#define BB_T_F32 0
#define BB_T_F16 1
#define BB_T_Q8_0 4
#define BB_T_Q4_0 5
#define BB_T_Q4_1 6
#define BB_T_Q5_0 7
#define BB_T_Q5_1 8
#define BB_T_Q4_K 9
#define BB_T_Q5_K 10
#define BB_T_Q6_K 11

static inline float bb_q_half(__global const uchar *p) { return vload_half(0, (__global const half *)p); }

static inline uint bb_q_u32(__global const uchar *p)
{
    return (uint)p[0] | (uint)p[1] << 8 | (uint)p[2] << 16 | (uint)p[3] << 24;
}

/* ---- the 32 weights of sub-block s of a raw ggml row ------------------- */

static inline void bb_deq32_q4_0(__global const uchar *row, int s, float *y)
{
    __global const uchar *b = row + (size_t)s * 18;
    float d = bb_q_half(b);
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)((b[2 + j] & 15) - 8);
        y[j + 16] = d * (float)((b[2 + j] >> 4) - 8);
    }
}

static inline void bb_deq32_q5_0(__global const uchar *row, int s, float *y)
{
    __global const uchar *b = row + (size_t)s * 22;
    float d = bb_q_half(b);
    uint qh = bb_q_u32(b + 2);
    for (int j = 0; j < 16; j++) {
        int lo = (b[6 + j] & 15) | (int)((qh >> j) & 1) << 4;
        int hi = (b[6 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        y[j] = d * (float)(lo - 16);
        y[j + 16] = d * (float)(hi - 16);
    }
}

static inline void bb_deq32_q5_1(__global const uchar *row, int s, float *y)
{
    __global const uchar *b = row + (size_t)s * 24;
    float d = bb_q_half(b), m = bb_q_half(b + 2);
    uint qh = bb_q_u32(b + 4);
    for (int j = 0; j < 16; j++) {
        int lo = (b[8 + j] & 15) | (int)((qh >> j) & 1) << 4;
        int hi = (b[8 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        float a = d * (float)lo, c = d * (float)hi;
        y[j] = a + m;
        y[j + 16] = c + m;
    }
}

/* 6-bit scale and min of sub-block j of a Q4_K / Q5_K super-block */
static inline void bb_q_kscale(__global const uchar *sc, int j, int *s, int *mn)
{
    if (j < 4) {
        *s = sc[j] & 63;
        *mn = sc[j + 4] & 63;
    } else {
        *s = (sc[j + 4] & 15) | ((sc[j - 4] >> 2) & 48);
        *mn = (sc[j + 4] >> 4) | ((sc[j] >> 2) & 48);
    }
}

static inline void bb_deq32_q4_k(__global const uchar *row, int s, float *y)
{
    __global const uchar *b = row + (size_t)(s / 8) * 144;
    int j = s % 8, sc, mn;
    bb_q_kscale(b + 4, j, &sc, &mn);
    float dl = bb_q_half(b) * (float)sc, ml = bb_q_half(b + 2) * (float)mn;
    __global const uchar *qs = b + 16 + 32 * (j / 2);
    int sh = 4 * (j & 1);
    for (int l = 0; l < 32; l++) {
        float t = dl * (float)((qs[l] >> sh) & 15);
        y[l] = t - ml;
    }
}

static inline void bb_deq32_q5_k(__global const uchar *row, int s, float *y)
{
    __global const uchar *b = row + (size_t)(s / 8) * 176;
    int j = s % 8, sc, mn;
    bb_q_kscale(b + 4, j, &sc, &mn);
    float dl = bb_q_half(b) * (float)sc, ml = bb_q_half(b + 2) * (float)mn;
    __global const uchar *qh = b + 16, *qs = b + 48 + 32 * (j / 2);
    int sh = 4 * (j & 1);
    for (int l = 0; l < 32; l++) {
        int q = ((qs[l] >> sh) & 15) | ((qh[l] >> j) & 1) << 4;
        float t = dl * (float)q;
        y[l] = t - ml;
    }
}

static inline void bb_deq32_q6_k(__global const uchar *row, int s, float *y)
{
    __global const uchar *b = row + (size_t)(s / 8) * 210;
    int j = s % 8, h = j / 4, r0 = (j % 4) * 32;
    __global const uchar *ql = b + 64 * h, *qh = b + 128 + 32 * h;
    __global const char *sc = (__global const char *)(b + 192);
    float d = bb_q_half(b + 208);
    float d0 = d * (float)sc[2 * j], d1 = d * (float)sc[2 * j + 1];
    for (int l = 0; l < 32; l++) {
        int r = r0 + l;
        int lo = (ql[r % 64] >> (4 * (r / 64))) & 15;
        int hi = (qh[l] >> (2 * (j % 4))) & 3;
        y[l] = (l < 16 ? d0 : d1) * (float)((lo | hi << 4) - 32);
    }
}

/* the 32 weights of k-block b of column c from a Q4_1 / Q8_0 panel layout */
static inline void bb_deq32_q4_1p(__global const uchar *w, int nb, int col, int b, float *y)
{
    __global const uchar *blk = w + ((size_t)(col / BB_QP) * nb + b) * 320;
    int c = col % BB_QP;
    float d = bb_q_half(blk + 2 * c), m = bb_q_half(blk + 32 + 2 * c);
    for (int i = 0; i < 16; i++) {
        uchar q = blk[64 + i * BB_QP + c];
        float lo = d * (float)(q & 15), hi = d * (float)(q >> 4);
        y[i] = lo + m;
        y[i + 16] = hi + m;
    }
}

static inline void bb_deq32_q8_0p(__global const uchar *w, int nb, int col, int b, float *y)
{
    __global const uchar *blk = w + ((size_t)(col / BB_QP) * nb + b) * 544;
    int c = col % BB_QP;
    float d = bb_q_half(blk + 2 * c);
    for (int i = 0; i < 32; i++)
        y[i] = (float)((__global const char *)blk)[32 + i * BB_QP + c] * d;
}

/* ---- epilogue ----------------------------------------------------------- */

static inline float bb_q_epi(float v, __global const float *bias, __global const float *res,
                             int row, int col, int n, int flags)
{
    if (flags & BB_QF_BIAS)
        v += bias[col];
    if (flags & BB_QF_GELU)
        v = bb_mm_gelu(v);
    if (flags & BB_QF_RESIDUAL)
        v += res[(size_t)row * n + col];
    return v;
}

/* a row's 16 panel outputs (two float8), masked at n */
static inline void bb_q_store16(float8 a0, float8 a1, __global const float *bias,
                                __global const float *res, __global float *out, int row,
                                int col0, int n, int flags)
{
    size_t base = (size_t)row * n + col0;
    if (col0 + BB_QP <= n) {
        if (flags & BB_QF_BIAS) {
            a0 += vload8(0, bias + col0);
            a1 += vload8(1, bias + col0);
        }
        if (flags & BB_QF_GELU) {
            a0 = bb_q_gelu8(a0);
            a1 = bb_q_gelu8(a1);
        }
        if (flags & BB_QF_RESIDUAL) {
            a0 += vload8(0, res + base);
            a1 += vload8(1, res + base);
        }
        vstore8(a0, 0, out + base);
        vstore8(a1, 1, out + base);
        return;
    }
    float t[16];
    vstore8(a0, 0, t);
    vstore8(a1, 1, t);
    for (int j = 0; j < 16 && col0 + j < n; j++)
        out[base + j] = bb_q_epi(t[j], bias, res, row, col0 + j, n, flags);
}

#pragma OPENCL FP_CONTRACT ON

/* ---- panel GEMMs: Q4_1 and Q8_0 ------------------------------------------ */

#ifndef BB_MM_MR
#define BB_MM_MR 4
#endif

#define BB_Q_PANEL_HEAD(R, PB)                                                               \
    int row0 = get_global_id(0) * (R), p = get_global_id(1);                                  \
    int col0 = p * BB_QP, nb = k / 32;                                                        \
    if (row0 >= m || col0 >= n)                                                               \
        return;                                                                               \
    __global const float *xr[R];                                                              \
    float16 acc[R];                                                                           \
    _Pragma("unroll") for (int r = 0; r < (R); r++)                                           \
    {                                                                                         \
        xr[r] = x + (size_t)min(row0 + r, m - 1) * k;                                         \
        acc[r] = (float16)(0.0f);                                                             \
    }                                                                                         \
    __global const uchar *wp = w + (size_t)p * nb * (PB);

#define BB_Q_PANEL_TAIL(R)                                                                   \
    _Pragma("unroll") for (int r = 0; r < (R); r++) if (row0 + r < m)                         \
        bb_q_store16(acc[r].lo, acc[r].hi, bias, res, out, row0 + r, col0, n, flags);

/* Q4_1: one uchar16 load gives k = 32b + i (low nibbles) and 32b + i + 16
 * (high nibbles) of the panel's 16 columns; w = q d + m, then R fmas each. */
#define BB_Q4_1_PANEL(NAME, R)                                                               \
    __kernel void NAME(__global const float *x, __global const uchar *w,                     \
                       __global const float *bias, __global const float *res,                \
                       __global float *out, int m, int n, int k, int flags)                  \
    {                                                                                         \
        BB_Q_PANEL_HEAD(R, 320)                                                               \
        for (int b = 0; b < nb; b++, wp += 320) {                                             \
            __global const half *hp = (__global const half *)wp;                              \
            float16 d = vload_half16(0, hp), mn = vload_half16(1, hp);                        \
            __global const uchar *qs = wp + 64;                                               \
            int kb = b * 32;                                                                  \
            _Pragma("unroll 4") for (int i = 0; i < 16; i++)                                  \
            {                                                                                 \
                uchar16 q = vload16(i, qs);                                                   \
                float16 lo = fma(convert_float16(q & (uchar16)(15)), d, mn);                  \
                float16 hi = fma(convert_float16(q >> (uchar16)(4)), d, mn);                  \
                _Pragma("unroll") for (int r = 0; r < (R); r++)                               \
                {                                                                             \
                    acc[r] = fma((float16)(xr[r][kb + i]), lo, acc[r]);                       \
                    acc[r] = fma((float16)(xr[r][kb + i + 16]), hi, acc[r]);                  \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
        BB_Q_PANEL_TAIL(R)                                                                    \
    }

/* Q8_0: one char16 load per k; w = q d, then R fmas. */
#define BB_Q8_0_PANEL(NAME, R)                                                               \
    __kernel void NAME(__global const float *x, __global const uchar *w,                     \
                       __global const float *bias, __global const float *res,                \
                       __global float *out, int m, int n, int k, int flags)                  \
    {                                                                                         \
        BB_Q_PANEL_HEAD(R, 544)                                                               \
        for (int b = 0; b < nb; b++, wp += 544) {                                             \
            float16 d = vload_half16(0, (__global const half *)wp);                           \
            __global const char *qs = (__global const char *)(wp + 32);                       \
            int kb = b * 32;                                                                  \
            _Pragma("unroll 4") for (int i = 0; i < 32; i++)                                  \
            {                                                                                 \
                float16 wv = convert_float16(vload16(i, qs)) * d;                             \
                _Pragma("unroll") for (int r = 0; r < (R); r++)                               \
                    acc[r] = fma((float16)(xr[r][kb + i]), wv, acc[r]);                       \
            }                                                                                 \
        }                                                                                     \
        BB_Q_PANEL_TAIL(R)                                                                    \
    }

/* _rm: BB_MM_MR rows per work-item (the f32 GEMM's tile height for the
 * device); _r1: one row, for m < BB_MM_MR (generation) */
BB_Q4_1_PANEL(bb_matmul_q4_1_rm, BB_MM_MR)
BB_Q4_1_PANEL(bb_matmul_q4_1_r1, 1)
BB_Q8_0_PANEL(bb_matmul_q8_0_rm, BB_MM_MR)
BB_Q8_0_PANEL(bb_matmul_q8_0_r1, 1)

/* ---- raw-layout GEMMs: the other block types ----------------------------- */
/* Work-item (row block, column j): R rows of x against weight row j, one
 * 32-element sub-block at a time (dequantised to private memory). */
#define BB_Q_RAW(NAME, DEQ, R)                                                               \
    __kernel void NAME(__global const float *x, __global const uchar *w,                     \
                       __global const float *bias, __global const float *res,                \
                       __global float *out, int m, int n, int k, int row_bytes, int flags)   \
    {                                                                                         \
        int row0 = get_global_id(0) * (R), j = get_global_id(1);                              \
        if (row0 >= m || j >= n)                                                              \
            return;                                                                           \
        __global const float *xr[R];                                                          \
        float8 acc[R];                                                                        \
        for (int r = 0; r < (R); r++) {                                                       \
            xr[r] = x + (size_t)min(row0 + r, m - 1) * k;                                     \
            acc[r] = (float8)(0.0f);                                                          \
        }                                                                                     \
        __global const uchar *wr = w + (size_t)j * row_bytes;                                 \
        for (int s = 0; s < k / 32; s++) {                                                    \
            float y[32];                                                                      \
            DEQ(wr, s, y);                                                                    \
            float8 w0 = vload8(0, y), w1 = vload8(1, y), w2 = vload8(2, y), w3 = vload8(3, y); \
            for (int r = 0; r < (R); r++) {                                                   \
                __global const float *xs = xr[r] + s * 32;                                    \
                acc[r] = fma(vload8(0, xs), w0, acc[r]);                                      \
                acc[r] = fma(vload8(1, xs), w1, acc[r]);                                      \
                acc[r] = fma(vload8(2, xs), w2, acc[r]);                                      \
                acc[r] = fma(vload8(3, xs), w3, acc[r]);                                      \
            }                                                                                 \
        }                                                                                     \
        for (int r = 0; r < (R); r++)                                                         \
            if (row0 + r < m) {                                                               \
                float4 s4 = acc[r].lo + acc[r].hi;                                            \
                float v = (s4.x + s4.y) + (s4.z + s4.w);                                      \
                out[(size_t)(row0 + r) * n + j] = bb_q_epi(v, bias, res, row0 + r, j, n, flags); \
            }                                                                                 \
    }

#define BB_Q_RAW2(T)                                                                         \
    BB_Q_RAW(bb_matmul_##T##_rm, bb_deq32_##T, BB_MM_MR)                                     \
    BB_Q_RAW(bb_matmul_##T##_r1, bb_deq32_##T, 1)
BB_Q_RAW2(q4_0)
BB_Q_RAW2(q5_0)
BB_Q_RAW2(q5_1)
BB_Q_RAW2(q4_k)
BB_Q_RAW2(q5_k)
BB_Q_RAW2(q6_k)

/* ---- get_rows ------------------------------------------------------------ */
#pragma OPENCL FP_CONTRACT OFF

/* out (n_ids, k) (+)= rows ids[i] (clamped into [0, n)) of weight w (type t, in
 * the layout opencl_quant.c / opencl_matmul.c gave it). Global (k / 32, n_ids):
 * one work-item per 32 outputs. F32/F16 weights are opencl_matmul.c's panels
 * of BB_MM_NR columns, element (kk, j) of panel p at (p * k + kk) * NR + j. */
__kernel void bb_get_rows(__global const uchar *w, __global const int *ids,
                          __global float *out, int t, int n, int k, int row_bytes, int n_ids,
                          int accumulate)
{
    int s = get_global_id(0), i = get_global_id(1);
    if (s >= k / 32 || i >= n_ids)
        return;
    int id = clamp(ids[i], 0, n - 1);
    float y[32];
    __global const uchar *row = w + (size_t)id * row_bytes;
    switch (t) {
    case BB_T_F32:
    case BB_T_F16: {
        size_t base = ((size_t)(id / BB_MM_NR) * k + (size_t)s * 32) * BB_MM_NR + id % BB_MM_NR;
        for (int l = 0; l < 32; l++) {
            size_t o = base + (size_t)l * BB_MM_NR;
            y[l] = t == BB_T_F32 ? ((__global const float *)w)[o]
                                 : vload_half(o, (__global const half *)w);
        }
        break;
    }
    case BB_T_Q8_0: bb_deq32_q8_0p(w, k / 32, id, s, y); break;
    case BB_T_Q4_1: bb_deq32_q4_1p(w, k / 32, id, s, y); break;
    case BB_T_Q4_0: bb_deq32_q4_0(row, s, y); break;
    case BB_T_Q5_0: bb_deq32_q5_0(row, s, y); break;
    case BB_T_Q5_1: bb_deq32_q5_1(row, s, y); break;
    case BB_T_Q4_K: bb_deq32_q4_k(row, s, y); break;
    case BB_T_Q5_K: bb_deq32_q5_k(row, s, y); break;
    case BB_T_Q6_K: bb_deq32_q6_k(row, s, y); break;
    default:
        for (int l = 0; l < 32; l++)
            y[l] = 0.0f;
    }
    __global float *o = out + (size_t)i * k + (size_t)s * 32;
    for (int l = 0; l < 32; l++)
        o[l] = accumulate ? o[l] + y[l] : y[l];
}

/* The k % 32 tail columns of F32/F16 panel weights (k need not be a
 * multiple of 32 there): global (k % 32, n_ids). */
__kernel void bb_get_rows_tail(__global const uchar *w, __global const int *ids,
                               __global float *out, int t, int n, int k, int n_ids,
                               int accumulate)
{
    int l = get_global_id(0), i = get_global_id(1);
    int kk = k / 32 * 32 + l;
    if (kk >= k || i >= n_ids)
        return;
    int id = clamp(ids[i], 0, n - 1);
    size_t o = ((size_t)(id / BB_MM_NR) * k + kk) * BB_MM_NR + id % BB_MM_NR;
    float y = t == BB_T_F32 ? ((__global const float *)w)[o]
                            : vload_half(o, (__global const half *)w);
    __global float *d = out + (size_t)i * k + kk;
    *d = accumulate ? *d + y : y;
}

#pragma OPENCL FP_CONTRACT ON
