/* quant.c: ggml's block formats on the host (see quant.h).
 *
 * Block layouts (ggml / GGUF; all scales little-endian IEEE half unless noted):
 *   Q8_0  (32, 34 B): d, qs[32] int8                      x = qs * d
 *   Q4_0  (32, 18 B): d, qs[16]                           x = (nibble - 8) * d
 *   Q4_1  (32, 20 B): d, m, qs[16]                        x = nibble * d + m
 *   Q5_0  (32, 22 B): d, qh[4] (u32), qs[16]              x = (q5 - 16) * d
 *   Q5_1  (32, 24 B): d, m, qh[4], qs[16]                 x = q5 * d + m
 *     element j < 16 is the low nibble of qs[j], j >= 16 the high nibble of
 *     qs[j - 16]; Q5's fifth bit of element j is bit j of qh.
 *   Q4_K (256, 144 B): d, dmin, scales[12], qs[128]
 *   Q5_K (256, 176 B): d, dmin, scales[12], qh[32], qs[128]
 *     eight sub-blocks of 32 with 6-bit scale sc and min mn packed in scales;
 *     sub-block j takes nibble (j & 1) of qs[32 (j / 2) + l], Q5_K also bit j
 *     of qh[l]; x = (d * sc) * q - (dmin * mn).
 *   Q6_K (256, 210 B): ql[128], qh[64], scales[16] int8, d
 *     element 128 h + r: low 4 bits from ql[64 h + r % 64] >> 4 (r / 64),
 *     high 2 bits from qh[32 h + r % 32] >> 2 (r / 32); x = (d * sc[e / 16]) * (q - 32).
 *
 * Arithmetic follows gguf.quants (numpy float32, one rounding per operation,
 * no fused multiply-add): every product and sum below is a separate float
 * statement so that no compiler contracts it into an fma. */
#include "backend/quant.h"

#include <math.h>
#include <string.h>

/* ---- scalar conversions ------------------------------------------------ */

/* IEEE half bits -> float, exactly as numpy (NaN payloads shifted, not quieted). */
static float q_f16(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (e == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (e == 0) {
        if (!man) {
            bits = sign;
        } else { /* subnormal: normalise */
            int shift = 0;
            while (!(man & 0x400)) {
                man <<= 1;
                shift++;
            }
            man &= 0x3ff;
            bits = sign | ((uint32_t)(127 - 15 + 1 - shift) << 23) | (man << 13);
        }
    } else {
        bits = sign | ((e + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* float -> IEEE half bits, round to nearest even (numpy's astype(float16)). */
static uint16_t q_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) { /* NaN: the top payload bits, kept non-zero (as numpy) */
        uint16_t h = (uint16_t)(0x7c00 + ((ax & 0x7fffff) >> 13));
        return sign | (h == 0x7c00 ? 0x7c01 : h);
    }
    if (ax >= 0x477ff000u) /* >= 65520: rounds to infinity */
        return sign | 0x7c00;
    if (ax < 0x38800000u) { /* below 2^-14: subnormal half or zero */
        if (ax < 0x33000000u) /* <= 2^-25: rounds to zero */
            return sign;
        uint32_t e = ax >> 23, man = (ax & 0x7fffff) | 0x800000;
        /* value = man 2^(e - 150); in units of 2^-24 (the half subnormal step) that is
         * man >> (126 - e), rounded to nearest even */
        uint32_t s = 126 - e; /* 14..24 */
        uint32_t q = man >> s, rest = man & ((1u << s) - 1), half = 1u << (s - 1);
        if (rest > half || (rest == half && (q & 1)))
            q++;
        return sign | (uint16_t)q;
    }
    uint32_t h = ((ax >> 23) - 112) << 10 | ((ax >> 13) & 0x3ff), rest = ax & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
    return sign | (uint16_t)h;
}

static float q_bf16(uint16_t b)
{
    uint32_t x = (uint32_t)b << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* ggml_compute_fp32_to_bf16: NaN -> quiet NaN, else round to nearest even. */
static uint16_t q_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 64);
    return (uint16_t)((x + (0x7fffu + ((x >> 16) & 1))) >> 16);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* ---- dequantisation, one block at a time ------------------------------- */

static void dq_q8_0(const uint8_t *b, float *y)
{
    float d = q_f16(rd16(b));
    for (int j = 0; j < 32; j++)
        y[j] = (float)(int8_t)b[2 + j] * d;
}

static void dq_q4_0(const uint8_t *b, float *y)
{
    float d = q_f16(rd16(b));
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)((b[2 + j] & 0xf) - 8);
        y[j + 16] = d * (float)((b[2 + j] >> 4) - 8);
    }
}

static void dq_q4_1(const uint8_t *b, float *y)
{
    float d = q_f16(rd16(b)), m = q_f16(rd16(b + 2));
    for (int j = 0; j < 16; j++) {
        float lo = d * (float)(b[4 + j] & 0xf), hi = d * (float)(b[4 + j] >> 4);
        y[j] = lo + m;
        y[j + 16] = hi + m;
    }
}

static void dq_q5_0(const uint8_t *b, float *y)
{
    float d = q_f16(rd16(b));
    uint32_t qh = rd32(b + 2);
    for (int j = 0; j < 16; j++) {
        int lo = (b[6 + j] & 0xf) | (int)((qh >> j) & 1) << 4;
        int hi = (b[6 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        y[j] = d * (float)(lo - 16);
        y[j + 16] = d * (float)(hi - 16);
    }
}

static void dq_q5_1(const uint8_t *b, float *y)
{
    float d = q_f16(rd16(b)), m = q_f16(rd16(b + 2));
    uint32_t qh = rd32(b + 4);
    for (int j = 0; j < 16; j++) {
        int lo = (b[8 + j] & 0xf) | (int)((qh >> j) & 1) << 4;
        int hi = (b[8 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        float a = d * (float)lo, c = d * (float)hi;
        y[j] = a + m;
        y[j + 16] = c + m;
    }
}

/* The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block. */
static void k_scale_min(const uint8_t *s, int j, int *sc, int *mn)
{
    if (j < 4) {
        *sc = s[j] & 0x3f;
        *mn = s[j + 4] & 0x3f;
    } else {
        *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 2) & 0x30);
        *mn = (s[j + 4] >> 4) | ((s[j] >> 2) & 0x30);
    }
}

static void dq_q4_k(const uint8_t *b, float *y)
{
    float d = q_f16(rd16(b)), dmin = q_f16(rd16(b + 2));
    const uint8_t *sc = b + 4, *qs = b + 16;
    for (int j = 0; j < 8; j++) {
        int s, mn;
        k_scale_min(sc, j, &s, &mn);
        float dl = d * (float)s, ml = dmin * (float)mn;
        for (int l = 0; l < 32; l++) {
            int q = (qs[32 * (j / 2) + l] >> (4 * (j & 1))) & 0xf;
            float t = dl * (float)q;
            y[32 * j + l] = t - ml;
        }
    }
}

static void dq_q5_k(const uint8_t *b, float *y)
{
    float d = q_f16(rd16(b)), dmin = q_f16(rd16(b + 2));
    const uint8_t *sc = b + 4, *qh = b + 16, *qs = b + 48;
    for (int j = 0; j < 8; j++) {
        int s, mn;
        k_scale_min(sc, j, &s, &mn);
        float dl = d * (float)s, ml = dmin * (float)mn;
        for (int l = 0; l < 32; l++) {
            int q = ((qs[32 * (j / 2) + l] >> (4 * (j & 1))) & 0xf) | ((qh[l] >> j) & 1) << 4;
            float t = dl * (float)q;
            y[32 * j + l] = t - ml;
        }
    }
}

static void dq_q6_k(const uint8_t *b, float *y)
{
    const uint8_t *ql = b, *qh = b + 128, *sc = b + 192;
    float d = q_f16(rd16(b + 208));
    for (int e = 0; e < 256; e++) {
        int h = e / 128, r = e % 128;
        int lo = (ql[64 * h + r % 64] >> (4 * (r / 64))) & 0xf;
        int hi = (qh[32 * h + r % 32] >> (2 * (r / 32))) & 3;
        float dl = d * (float)(int8_t)sc[e / 16];
        y[e] = dl * (float)((lo | hi << 4) - 32);
    }
}

void bb_dequantize_row(enum bb_dtype t, const void *src, float *dst, int64_t n)
{
    const uint8_t *s = src;
    switch (t) {
    case BB_F32:
        memcpy(dst, src, (size_t)n * 4);
        return;
    case BB_F16:
        for (int64_t i = 0; i < n; i++)
            dst[i] = q_f16(rd16(s + 2 * i));
        return;
    case BB_BF16:
        for (int64_t i = 0; i < n; i++)
            dst[i] = q_bf16(rd16(s + 2 * i));
        return;
    default:
        break;
    }
    void (*fn)(const uint8_t *, float *) = NULL;
    switch (t) {
    case BB_Q8_0: fn = dq_q8_0; break;
    case BB_Q4_0: fn = dq_q4_0; break;
    case BB_Q4_1: fn = dq_q4_1; break;
    case BB_Q5_0: fn = dq_q5_0; break;
    case BB_Q5_1: fn = dq_q5_1; break;
    case BB_Q4_K: fn = dq_q4_k; break;
    case BB_Q5_K: fn = dq_q5_k; break;
    case BB_Q6_K: fn = dq_q6_k; break;
    default: return; /* I32 and unknown types: nothing to dequantise */
    }
    int bs = bb_dtype_block_size(t);
    size_t bb = bb_dtype_block_bytes(t);
    for (int64_t i = 0; i < n / bs; i++)
        fn(s + (size_t)i * bb, dst + i * bs);
}

/* ---- quantisation (ggml's quantize_row_*_ref) ---------------------------- */

static void q_q8_0(const float *x, uint8_t *b)
{
    float amax = 0;
    for (int j = 0; j < 32; j++)
        if (amax < fabsf(x[j]))
            amax = fabsf(x[j]);
    float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    wr16(b, q_to_f16(d));
    for (int j = 0; j < 32; j++) {
        float v = x[j] * id;
        b[2 + j] = (uint8_t)(int8_t)roundf(v); /* half away from zero, as np_roundf */
    }
}

/* The signed value of largest magnitude (the first one on ties). */
static float absmax_signed(const float *x)
{
    float amax = 0, max = 0;
    for (int j = 0; j < 32; j++)
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    return max;
}

static int clampq(float v, int hi)
{
    int q = (int)(int8_t)v; /* truncation toward zero, as ggml's (int8_t) cast */
    return q < 0 ? 0 : q > hi ? hi : q;
}

static void q_q4_0(const float *x, uint8_t *b)
{
    float d = absmax_signed(x) / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    wr16(b, q_to_f16(d));
    for (int j = 0; j < 16; j++) {
        float a = x[j] * id, c = x[j + 16] * id;
        int q0 = clampq(a + 8.5f, 15), q1 = clampq(c + 8.5f, 15);
        b[2 + j] = (uint8_t)(q0 | q1 << 4);
    }
}

static void minmax(const float *x, float *mn, float *mx)
{
    float lo = INFINITY, hi = -INFINITY;
    for (int j = 0; j < 32; j++) {
        if (x[j] < lo)
            lo = x[j];
        if (x[j] > hi)
            hi = x[j];
    }
    *mn = lo;
    *mx = hi;
}

static void q_q4_1(const float *x, uint8_t *b)
{
    float mn, mx;
    minmax(x, &mn, &mx);
    float d = (mx - mn) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    wr16(b, q_to_f16(d));
    wr16(b + 2, q_to_f16(mn));
    for (int j = 0; j < 16; j++) {
        float a = (x[j] - mn) * id, c = (x[j + 16] - mn) * id;
        int q0 = clampq(a + 0.5f, 15), q1 = clampq(c + 0.5f, 15);
        b[4 + j] = (uint8_t)(q0 | q1 << 4);
    }
}

static void q_q5_0(const float *x, uint8_t *b)
{
    float d = absmax_signed(x) / -16.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    uint32_t qh = 0;
    wr16(b, q_to_f16(d));
    for (int j = 0; j < 16; j++) {
        float a = x[j] * id, c = x[j + 16] * id;
        int q0 = clampq(a + 16.5f, 31), q1 = clampq(c + 16.5f, 31);
        b[6 + j] = (uint8_t)((q0 & 0xf) | (q1 & 0xf) << 4);
        qh |= (uint32_t)(q0 >> 4) << j | (uint32_t)(q1 >> 4) << (j + 16);
    }
    for (int i = 0; i < 4; i++)
        b[2 + i] = (uint8_t)(qh >> (8 * i));
}

static void q_q5_1(const float *x, uint8_t *b)
{
    float mn, mx;
    minmax(x, &mn, &mx);
    float d = (mx - mn) / 31.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    uint32_t qh = 0;
    wr16(b, q_to_f16(d));
    wr16(b + 2, q_to_f16(mn));
    for (int j = 0; j < 16; j++) {
        float a = (x[j] - mn) * id, c = (x[j + 16] - mn) * id;
        int q0 = clampq(a + 0.5f, 31), q1 = clampq(c + 0.5f, 31);
        b[8 + j] = (uint8_t)((q0 & 0xf) | (q1 & 0xf) << 4);
        qh |= (uint32_t)(q0 >> 4) << j | (uint32_t)(q1 >> 4) << (j + 16);
    }
    for (int i = 0; i < 4; i++)
        b[4 + i] = (uint8_t)(qh >> (8 * i));
}

int bb_quantize_row(enum bb_dtype t, const float *src, void *dst, int64_t n)
{
    uint8_t *d = dst;
    void (*fn)(const float *, uint8_t *) = NULL;
    switch (t) {
    case BB_F32:
        memcpy(dst, src, (size_t)n * 4);
        return 0;
    case BB_F16:
        for (int64_t i = 0; i < n; i++)
            wr16(d + 2 * i, q_to_f16(src[i]));
        return 0;
    case BB_BF16:
        for (int64_t i = 0; i < n; i++)
            wr16(d + 2 * i, q_to_bf16(src[i]));
        return 0;
    case BB_Q8_0: fn = q_q8_0; break;
    case BB_Q4_0: fn = q_q4_0; break;
    case BB_Q4_1: fn = q_q4_1; break;
    case BB_Q5_0: fn = q_q5_0; break;
    case BB_Q5_1: fn = q_q5_1; break;
    default: return -1;
    }
    if (n % 32)
        return -1;
    size_t bb = bb_dtype_block_bytes(t);
    for (int64_t i = 0; i < n / 32; i++)
        fn(src + i * 32, d + (size_t)i * bb);
    return 0;
}
