/* matmul_quant.cl: GEMM and row gathers for weights kept in ggml's block
 * formats (src/backend/opencl_quant.c uploads them):
 *   out (m, n) = act(x (m, k) . W^T + bias (n)) + residual (m, n)
 * with W dequantised in the inner loop, never expanded to f32/f16 in memory.
 *
 * Every type is repacked at upload into panels of BB_QP (16) output columns;
 * panel p, 32-element k-block b starts at (p * (k / 32) + b) * PB bytes.
 * Columns past n are zero. Quant bytes are laid out (row i, column c) so one
 * 16-byte vector load serves the 16 columns.
 *   Q4_1 (PB 320): d[16] half, m[16] half (the file's bits), qs[16][16]:
 *        byte (i, c) = ggml's qs[i] of the column's block: low nibble is
 *        k = 32b + i, high nibble k = 32b + i + 16.      w = q d + m
 *   Q8_0 (PB 544): d[16] half, qs[32][16] int8.          w = q d
 *   "nibble" types Q4_0, Q5_0, Q5_1, Q4_K, Q5_K (PB 384, or 448 with 5 bits):
 *        d[16] float, a[16] float, qs[16][16] as Q4_1, then for 5-bit types
 *        qh[16] uint (bit l: fifth bit of k = 32b + l). w = q d + a, where
 *        Q4_0: a = -8d, Q5_0: a = -16d, Q5_1: a = m, Q4_K/Q5_K: d = d_super
 *        * scale, a = -(dmin * min) of the 32-element sub-block (all formed
 *        on the host in float32 exactly as gguf.quants does).
 *   Q6_K (PB 640): s0[16], s1[16] float (d * scale of elements 0-15 and
 *        16-31 of the block), qs[32][16] int8 = q - 32.    w = q s
 *
 * One work-item computes an R x 16 tile in registers (R = BB_MM_MR, the f32
 * GEMM's tile height for the device, or 1 for m < BB_MM_MR): no local memory,
 * no barriers (both slow on PoCL's CPU device). Global size (ceil(m / R),
 * panels); dimension 0 fastest, so neighbours share a panel in cache.
 *
 * get_rows dequantises exactly as gguf.quants.dequantize (float32, rounding
 * as numpy: FP_CONTRACT off, fma only where it equals numpy's one rounding);
 * the GEMMs accumulate with fma. */

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

/* ---- the 32 weights of k-block b of column col, from its panel ----------- */
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

/* nibble panels; exact: _0 types form d (q - 8) as one rounding (fma of
 * exact terms), the others d q + a as two */
static inline void bb_deq32_np(__global const uchar *w, int nb, int col, int b, int five,
                               int one_rounding, float *y)
{
    __global const uchar *blk = w + ((size_t)(col / BB_QP) * nb + b) * (five ? 448 : 384);
    int c = col % BB_QP;
    float d = ((__global const float *)blk)[c], a = ((__global const float *)blk)[BB_QP + c];
    uint qh = five ? ((__global const uint *)(blk + 384))[c] : 0;
    for (int l = 0; l < 32; l++) {
        uchar byte = blk[128 + (l % 16) * BB_QP + c];
        int q = (l < 16 ? byte & 15 : byte >> 4) | (int)((qh >> l) & 1) << 4;
        if (one_rounding) {
            y[l] = fma((float)q, d, a);
        } else {
            float t = d * (float)q;
            y[l] = t + a;
        }
    }
}

static inline void bb_deq32_q6p(__global const uchar *w, int nb, int col, int b, float *y)
{
    __global const uchar *blk = w + ((size_t)(col / BB_QP) * nb + b) * 640;
    int c = col % BB_QP;
    float s0 = ((__global const float *)blk)[c], s1 = ((__global const float *)blk)[BB_QP + c];
    for (int l = 0; l < 32; l++)
        y[l] = (l < 16 ? s0 : s1) * (float)((__global const char *)blk)[128 + l * BB_QP + c];
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
 * (high nibbles) of the panel's 16 columns; BB_Q4_1_PANEL: w = q d + m, then
 * R fmas each (rm and r1 do the same arithmetic per row, so a text scores the
 * same alone and in a batch).
 * BB_Q4_1_PANEL_BS, for m = 1 (one generation step): the scales stay out of
 * the inner loop: per k-block s = sum q x (2 fmas per 16 k), then
 * acc += d s + m sum(x) (2 fmas per block) instead of 2 more fmas per 16 k;
 * about 1.6x faster at m = 1, but slower than BB_Q4_1_PANEL at R = 4 on
 * PoCL's CPU device, so scoring keeps the latter. */
static inline float bb_q_xsum32(__global const float *p)
{
    float8 s8 = (vload8(0, p) + vload8(1, p)) + (vload8(2, p) + vload8(3, p));
    float4 s4 = s8.lo + s8.hi;
    return (s4.x + s4.y) + (s4.z + s4.w);
}

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

#define BB_Q4_1_PANEL_BS(NAME, R)                                                               \
    __kernel void NAME(__global const float *x, __global const uchar *w,                     \
                       __global const float *bias, __global const float *res,                \
                       __global float *out, int m, int n, int k, int flags)                  \
    {                                                                                         \
        BB_Q_PANEL_HEAD(R, 320)                                                               \
        for (int b = 0; b < nb; b++, wp += 320) {                                             \
            __global const half *hp = (__global const half *)wp;                              \
            __global const uchar *qs = wp + 64;                                               \
            int kb = b * 32;                                                                  \
            float16 s[R];                                                                     \
            _Pragma("unroll") for (int r = 0; r < (R); r++) s[r] = (float16)(0.0f);           \
            _Pragma("unroll 4") for (int i = 0; i < 16; i++)                                  \
            {                                                                                 \
                uchar16 q = vload16(i, qs);                                                   \
                float16 lo = convert_float16(q & (uchar16)(15));                              \
                float16 hi = convert_float16(q >> (uchar16)(4));                              \
                _Pragma("unroll") for (int r = 0; r < (R); r++)                               \
                {                                                                             \
                    s[r] = fma((float16)(xr[r][kb + i]), lo, s[r]);                           \
                    s[r] = fma((float16)(xr[r][kb + i + 16]), hi, s[r]);                      \
                }                                                                             \
            }                                                                                 \
            float16 d = vload_half16(0, hp), mn = vload_half16(1, hp);                        \
            _Pragma("unroll") for (int r = 0; r < (R); r++)                                   \
            {                                                                                 \
                float xs = bb_q_xsum32(xr[r] + kb);                                           \
                acc[r] = fma(d, s[r], acc[r]);                                                \
                acc[r] = fma(mn, (float16)(xs), acc[r]);                                      \
            }                                                                                 \
        }                                                                                     \
        BB_Q_PANEL_TAIL(R)                                                                    \
    }

/* Q8_0: one char16 load per k; s = sum q x per block, then acc += d s (one
 * multiply per 16 k fewer than dequantising; faster at R = 1 and R = 4). */
#define BB_Q8_0_PANEL(NAME, R)                                                               \
    __kernel void NAME(__global const float *x, __global const uchar *w,                     \
                       __global const float *bias, __global const float *res,                \
                       __global float *out, int m, int n, int k, int flags)                  \
    {                                                                                         \
        BB_Q_PANEL_HEAD(R, 544)                                                               \
        for (int b = 0; b < nb; b++, wp += 544) {                                             \
            __global const char *qs = (__global const char *)(wp + 32);                       \
            int kb = b * 32;                                                                  \
            float16 s[R];                                                                     \
            _Pragma("unroll") for (int r = 0; r < (R); r++) s[r] = (float16)(0.0f);           \
            _Pragma("unroll 4") for (int i = 0; i < 32; i++)                                  \
            {                                                                                 \
                float16 q = convert_float16(vload16(i, qs));                                  \
                _Pragma("unroll") for (int r = 0; r < (R); r++)                               \
                    s[r] = fma((float16)(xr[r][kb + i]), q, s[r]);                            \
            }                                                                                 \
            float16 d = vload_half16(0, (__global const half *)wp);                           \
            _Pragma("unroll") for (int r = 0; r < (R); r++)                                   \
                acc[r] = fma(d, s[r], acc[r]);                                                \
        }                                                                                     \
        BB_Q_PANEL_TAIL(R)                                                                    \
    }

/* _rm: BB_MM_MR rows per work-item (the f32 GEMM's tile height for the
 * device); _r1: one row, for m < BB_MM_MR (generation) */
BB_Q4_1_PANEL(bb_matmul_q4_1_rm, BB_MM_MR)
BB_Q4_1_PANEL(bb_matmul_q4_1_r1, 1)
BB_Q4_1_PANEL_BS(bb_matmul_q4_1_m1, 1)
BB_Q8_0_PANEL(bb_matmul_q8_0_rm, BB_MM_MR)
BB_Q8_0_PANEL(bb_matmul_q8_0_r1, 1)

/* nibble types: d, a as float; FIVE adds the fifth bit from qh */
#define BB_QNP_PANEL(NAME, R, FIVE)                                                          \
    __kernel void NAME(__global const float *x, __global const uchar *w,                     \
                       __global const float *bias, __global const float *res,                \
                       __global float *out, int m, int n, int k, int flags)                  \
    {                                                                                         \
        BB_Q_PANEL_HEAD(R, (FIVE) ? 448 : 384)                                                \
        for (int b = 0; b < nb; b++, wp += (FIVE) ? 448 : 384) {                              \
            __global const float *fp = (__global const float *)wp;                            \
            float16 d = vload16(0, fp), a = vload16(1, fp);                                   \
            __global const uchar *qs = wp + 128;                                              \
            uint16 qh = (FIVE) ? vload16(0, (__global const uint *)(wp + 384)) : (uint16)(0); \
            int kb = b * 32;                                                                  \
            _Pragma("unroll 4") for (int i = 0; i < 16; i++)                                  \
            {                                                                                 \
                uint16 q = convert_uint16(vload16(i, qs));                                    \
                uint16 ql = q & (uint16)(15), qu = q >> (uint16)(4);                          \
                if (FIVE) {                                                                   \
                    ql |= ((qh >> (uint16)(i)) & (uint16)(1)) << (uint16)(4);                 \
                    qu |= ((qh >> (uint16)(i + 16)) & (uint16)(1)) << (uint16)(4);            \
                }                                                                             \
                float16 lo = fma(convert_float16(ql), d, a);                                  \
                float16 hi = fma(convert_float16(qu), d, a);                                  \
                _Pragma("unroll") for (int r = 0; r < (R); r++)                               \
                {                                                                             \
                    acc[r] = fma((float16)(xr[r][kb + i]), lo, acc[r]);                       \
                    acc[r] = fma((float16)(xr[r][kb + i + 16]), hi, acc[r]);                  \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
        BB_Q_PANEL_TAIL(R)                                                                    \
    }

/* Q6_K: int8 q - 32 with a float scale per 16 k */
#define BB_Q6_PANEL(NAME, R)                                                                 \
    __kernel void NAME(__global const float *x, __global const uchar *w,                     \
                       __global const float *bias, __global const float *res,                \
                       __global float *out, int m, int n, int k, int flags)                  \
    {                                                                                         \
        BB_Q_PANEL_HEAD(R, 640)                                                               \
        for (int b = 0; b < nb; b++, wp += 640) {                                             \
            __global const float *fp = (__global const float *)wp;                            \
            __global const char *qs = (__global const char *)(wp + 128);                      \
            int kb = b * 32;                                                                  \
            for (int h = 0; h < 2; h++) {                                                     \
                float16 s = vload16(h, fp);                                                   \
                _Pragma("unroll 4") for (int i = 16 * h; i < 16 * h + 16; i++)                \
                {                                                                             \
                    float16 wv = convert_float16(vload16(i, qs)) * s;                         \
                    _Pragma("unroll") for (int r = 0; r < (R); r++)                           \
                        acc[r] = fma((float16)(xr[r][kb + i]), wv, acc[r]);                   \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
        BB_Q_PANEL_TAIL(R)                                                                    \
    }

BB_QNP_PANEL(bb_matmul_q4n_rm, BB_MM_MR, 0)
BB_QNP_PANEL(bb_matmul_q4n_r1, 1, 0)
BB_QNP_PANEL(bb_matmul_q5n_rm, BB_MM_MR, 1)
BB_QNP_PANEL(bb_matmul_q5n_r1, 1, 1)
BB_Q6_PANEL(bb_matmul_q6_k_rm, BB_MM_MR)
BB_Q6_PANEL(bb_matmul_q6_k_r1, 1)

/* ---- get_rows ------------------------------------------------------------ */
#pragma OPENCL FP_CONTRACT OFF

/* out (n_ids, k) (+)= rows ids[i] (clamped into [0, n)) of weight w (type t, in
 * the panels above or opencl_matmul.c's). Global (k / 32, n_ids):
 * one work-item per 32 outputs. F32/F16 weights are opencl_matmul.c's panels
 * of BB_MM_NR columns, element (kk, j) of panel p at (p * k + kk) * NR + j. */
__kernel void bb_get_rows(__global const uchar *w, __global const int *ids,
                          __global float *out, int t, int n, int k, int n_ids, int accumulate)
{
    int s = get_global_id(0), i = get_global_id(1);
    if (s >= k / 32 || i >= n_ids)
        return;
    int id = clamp(ids[i], 0, n - 1);
    float y[32];
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
    case BB_T_Q4_0: bb_deq32_np(w, k / 32, id, s, 0, 1, y); break;
    case BB_T_Q5_0: bb_deq32_np(w, k / 32, id, s, 1, 1, y); break;
    case BB_T_Q5_1: bb_deq32_np(w, k / 32, id, s, 1, 0, y); break;
    case BB_T_Q4_K: bb_deq32_np(w, k / 32, id, s, 0, 0, y); break;
    case BB_T_Q5_K: bb_deq32_np(w, k / 32, id, s, 1, 0, y); break;
    case BB_T_Q6_K: bb_deq32_q6p(w, k / 32, id, s, y); break;
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
