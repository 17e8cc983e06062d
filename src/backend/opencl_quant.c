/* opencl_quant.c: the OpenCL backend's quantised weights: upload (every
 * block type repacked into 16-column panels, layouts in
 * kernels/matmul_quant.cl; Q4_1 and Q8_0 keep their bytes, the others get
 * float scales), the GEMM that dequantises in its inner loop, and get_rows for
 * every weight layout (these and opencl_matmul.c's F32/F16 panels). The
 * layout follows from the weight's dtype, so nothing else is recorded. */
#include "backend/opencl_internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/log.h"

#define QP 16 /* BB_QP: columns per panel */
#ifndef QL1
#define QL1 4
#endif
enum { QF_BIAS = 1, QF_RESIDUAL = 2, QF_GELU = 4 };

/* bytes of one (panel, 32-element k-block); kernels/matmul_quant.cl's PB */
static size_t q_panel_block(enum bb_dtype t)
{
    switch (t) {
    case BB_Q4_1: return 320;
    case BB_Q8_0: return 544;
    case BB_Q4_0: case BB_Q4_K: return 384;
    case BB_Q5_0: case BB_Q5_1: case BB_Q5_K: return 448;
    case BB_Q6_K: return 640;
    default: return 0;
    }
}

static bool q_five(enum bb_dtype t) { return t == BB_Q5_0 || t == BB_Q5_1 || t == BB_Q5_K; }

/* 6-bit scale and min of sub-block j of a Q4_K / Q5_K super-block */
static void q_kscale(const uint8_t *sc, int j, int *s, int *mn)
{
    if (j < 4) {
        *s = sc[j] & 63;
        *mn = sc[j + 4] & 63;
    } else {
        *s = (sc[j + 4] & 15) | ((sc[j - 4] >> 2) & 48);
        *mn = (sc[j + 4] >> 4) | ((sc[j] >> 2) & 48);
    }
}

static float q_h(const uint8_t *p) { return bb_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

/* 32-element sub-block s of a row of a nibble type: q (0..31), d and a with
 * w = q d + a, formed in float32 as gguf.quants does. */
static void q_nibbles(enum bb_dtype t, const uint8_t *row, size_t s, float *d, float *a,
                      uint8_t *q)
{
    const uint8_t *b;
    uint32_t qh = 0;
    switch (t) {
    case BB_Q4_0: case BB_Q5_0: case BB_Q5_1: {
        size_t bb = bb_dtype_block_bytes(t), off = t == BB_Q4_0 ? 2 : t == BB_Q5_0 ? 6 : 8;
        b = row + s * bb;
        *d = q_h(b);
        *a = t == BB_Q4_0 ? -8.0f * *d : t == BB_Q5_0 ? -16.0f * *d : q_h(b + 2);
        if (t != BB_Q4_0)
            memcpy(&qh, b + off - 4, 4); /* little-endian host */
        for (int l = 0; l < 16; l++) {
            q[l] = (uint8_t)((b[off + l] & 15) | ((qh >> l) & 1) << 4);
            q[l + 16] = (uint8_t)((b[off + l] >> 4) | ((qh >> (l + 16)) & 1) << 4);
        }
        return;
    }
    default: { /* Q4_K, Q5_K */
        bool five = t == BB_Q5_K;
        int j = (int)(s % 8), sc, mn;
        b = row + s / 8 * (five ? 176 : 144);
        q_kscale(b + 4, j, &sc, &mn);
        *d = q_h(b) * (float)sc;
        *a = -(q_h(b + 2) * (float)mn);
        const uint8_t *qs = b + (five ? 48 : 16) + 32 * (j / 2);
        for (int l = 0; l < 32; l++)
            q[l] = (uint8_t)(((qs[l] >> (4 * (j & 1))) & 15) |
                             (five ? ((b[16 + l] >> j) & 1) << 4 : 0));
        return;
    }
    }
}

/* n rows (k) of type t -> panels of QP columns (zero past n). */
static void q_pack(const uint8_t *src, enum bb_dtype t, int n, int k, uint8_t *dst)
{
    size_t nb = (size_t)k / 32, row = bb_dtype_row_bytes(t, k), pb = q_panel_block(t);
    size_t n_panels = ((size_t)n + QP - 1) / QP;
    memset(dst, 0, n_panels * nb * pb);
    for (size_t col = 0; col < (size_t)n; col++) {
        size_t p = col / QP, c = col % QP;
        const uint8_t *r = src + col * row;
        for (size_t b = 0; b < nb; b++) {
            uint8_t *o = dst + (p * nb + b) * pb;
            if (t == BB_Q4_1 || t == BB_Q8_0) {
                const uint8_t *blk = r + b * bb_dtype_block_bytes(t);
                memcpy(o + 2 * c, blk, 2); /* d */
                if (t == BB_Q4_1) {
                    memcpy(o + 32 + 2 * c, blk + 2, 2); /* m */
                    for (int i = 0; i < 16; i++)
                        o[64 + i * QP + c] = blk[4 + i];
                } else {
                    for (int i = 0; i < 32; i++)
                        o[32 + i * QP + c] = blk[2 + i];
                }
            } else if (t == BB_Q6_K) {
                const uint8_t *blk = r + b / 8 * 210;
                int j = (int)(b % 8), h = j / 4;
                float d = q_h(blk + 208);
                float s0 = d * (float)(int8_t)blk[192 + 2 * j];
                float s1 = d * (float)(int8_t)blk[192 + 2 * j + 1];
                memcpy(o + 4 * c, &s0, 4);
                memcpy(o + 64 + 4 * c, &s1, 4);
                for (int l = 0; l < 32; l++) {
                    int rr = (j % 4) * 32 + l;
                    int lo = (blk[64 * h + rr % 64] >> (4 * (rr / 64))) & 15;
                    int hi = (blk[128 + 32 * h + l] >> (2 * (j % 4))) & 3;
                    o[128 + l * QP + c] = (uint8_t)(int8_t)((lo | hi << 4) - 32);
                }
            } else {
                float d, a;
                uint8_t q[32];
                uint32_t qh = 0;
                q_nibbles(t, r, b, &d, &a, q);
                memcpy(o + 4 * c, &d, 4);
                memcpy(o + 64 + 4 * c, &a, 4);
                for (int i = 0; i < 16; i++)
                    o[128 + i * QP + c] = (uint8_t)((q[i] & 15) | (q[i + 16] & 15) << 4);
                for (int l = 0; l < 32; l++)
                    qh |= (uint32_t)(q[l] >> 4 & 1) << l;
                if (q_five(t))
                    memcpy(o + 384 + 4 * c, &qh, 4);
            }
        }
    }
}

enum bb_status bb_cl_quant_weight_upload(struct bb_cl *cl, const void *src, enum bb_dtype t,
                                         int n, int k, struct bb_weight *out,
                                         struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    if (!src || n < 1 || k < 1 || !bb_dtype_is_quant(t) || k % bb_dtype_block_size(t))
        return bb_fail(err, BB_E_INPUT, "weight upload: expected a (n, k) %s weight with n >= 1 "
                       "and k a positive multiple of %d, found (%d, %d)%s", bb_dtype_name(t),
                       bb_dtype_block_size(t), n, k, src ? "" : " and no data");
    size_t row = bb_dtype_row_bytes(t, k);
    if (row > INT_MAX || (size_t)n > SIZE_MAX / 4 / (row + 64))
        return bb_fail(err, BB_E_INPUT, "weight upload: %s (%d, %d) is too large",
                       bb_dtype_name(t), n, k);
    size_t bytes = ((size_t)n + QP - 1) / QP * ((size_t)k / 32) * q_panel_block(t);
    uint8_t *packed = malloc(bytes);
    struct bb_buffer *buf = NULL;
    enum bb_status s;
    if (!packed)
        return bb_fail(err, BB_E_NOMEM, "weight upload: cannot allocate %zu bytes", bytes);
    q_pack(src, t, n, k, packed);
    if ((s = bb_cl_buffer_new(cl, bytes, &buf, err)))
        goto done;
    s = bb_cl_check(err, clEnqueueWriteBuffer(cl->queue, buf->mem, CL_TRUE, 0, bytes, packed, 0,
                                              NULL, NULL),
                    "clEnqueueWriteBuffer (quantised weight)");
    if (s) {
        clReleaseMemObject(buf->mem); /* as opencl.c's buffer_free */
        free(buf);
        goto done;
    }
    out->buf = buf;
    out->n = n;
    out->k = k;
    out->dtype = t;
done:
    free(packed);
    return s;
}

static size_t q_need(size_t a, size_t b) { return a * b * sizeof(float); }

enum bb_status bb_cl_quant_matmul(struct bb_cl *cl, struct bb_buffer *x, const struct bb_weight *w,
                                  struct bb_buffer *bias, struct bb_buffer *residual,
                                  struct bb_buffer *out, int m, enum bb_act act,
                                  struct bb_error *err)
{
    static const char *const names[BB_DTYPE_COUNT][2] = {
        [BB_Q8_0] = {"bb_matmul_q8_0_r1", "bb_matmul_q8_0_rm"},
        [BB_Q4_1] = {"bb_matmul_q4_1_r1", "bb_matmul_q4_1_rm"},
        [BB_Q4_0] = {"bb_matmul_q4n_r1", "bb_matmul_q4n_rm"},
        [BB_Q5_0] = {"bb_matmul_q5n_r1", "bb_matmul_q5n_rm"},
        [BB_Q5_1] = {"bb_matmul_q5n_r1", "bb_matmul_q5n_rm"},
        [BB_Q4_K] = {"bb_matmul_q4n_r1", "bb_matmul_q4n_rm"},
        [BB_Q5_K] = {"bb_matmul_q5n_r1", "bb_matmul_q5n_rm"},
        [BB_Q6_K] = {"bb_matmul_q6_k_r1", "bb_matmul_q6_k_rm"},
    };
    if (!w || !w->buf || !bb_dtype_is_quant(w->dtype) || w->n < 1 || w->k < 1 ||
        w->k % bb_dtype_block_size(w->dtype))
        return bb_fail(err, BB_E_INTERNAL, "quantised matmul: weight was not uploaded by the "
                       "opencl backend");
    size_t n = (size_t)w->n, k = (size_t)w->k, mm = m > 0 ? (size_t)m : 0;
    if (m < 0 || x->bytes < q_need(mm, k) || out->bytes < q_need(mm, n) ||
        (bias && bias->bytes < q_need(1, n)) || (residual && residual->bytes < q_need(mm, n)))
        return bb_fail(err, BB_E_INTERNAL, "quantised matmul: a buffer is too small for "
                       "(%d, %zu) x (%zu, %zu)^T", m, k, n, k);
    if (x == out || x->mem == out->mem)
        return bb_fail(err, BB_E_INTERNAL, "matmul: out must not alias x");
    if (m == 0)
        return BB_OK;
    int mr = bb_cl_matmul_mr(cl), big = m >= mr, rows = big ? mr : 1;
    const char *name = names[w->dtype][big];
    if (m == 1 && w->dtype == BB_Q4_1)
        name = "bb_matmul_q4_1_m1"; /* a generation step: scales out of the inner loop */
    cl_kernel kern;
    enum bb_status s;
    if ((s = bb_cl_kernel(cl, name, &kern, err)))
        return s;
    int nn = w->n, kk = w->k;
    int flags = (bias ? QF_BIAS : 0) | (residual ? QF_RESIDUAL : 0) |
                (act == BB_ACT_GELU ? QF_GELU : 0);
    /* unused bias/residual slots get x: never read (flags), but a valid buffer */
    cl_mem args[5] = {x->mem, w->buf->mem, bias ? bias->mem : x->mem,
                      residual ? residual->mem : x->mem, out->mem};
    cl_int rc = CL_SUCCESS;
    cl_uint a = 0;
    for (; a < 5; a++)
        rc |= clSetKernelArg(kern, a, sizeof(cl_mem), &args[a]);
    rc |= clSetKernelArg(kern, a++, sizeof(int), &m);
    rc |= clSetKernelArg(kern, a++, sizeof(int), &nn);
    rc |= clSetKernelArg(kern, a++, sizeof(int), &kk);
    rc |= clSetKernelArg(kern, a++, sizeof(int), &flags);
    if ((s = bb_cl_check(err, rc, "clSetKernelArg (quantised matmul)")))
        return s;
    size_t l0 = cl->is_cpu ? 1 : 64, m_blocks = (mm + rows - 1) / rows;
    size_t l1 = cl->is_cpu && !big ? QL1 : 1, g1 = (n + QP - 1) / QP;
    size_t local[2] = {l0, l1};
    size_t global[2] = {(m_blocks + l0 - 1) / l0 * l0, (g1 + l1 - 1) / l1 * l1};
    return bb_cl_launch(cl, kern, 2, global, local, err);
}

enum bb_status bb_cl_get_rows(struct bb_cl *cl, const struct bb_weight *w, struct bb_buffer *ids,
                              struct bb_buffer *out, int n, bool accumulate,
                              struct bb_error *err)
{
    bool quant = bb_dtype_is_quant(w->dtype);
    if (!w->buf || w->n < 1 || w->k < 1 ||
        (!quant && w->dtype != BB_F32 && w->dtype != BB_F16) ||
        (quant && w->k % bb_dtype_block_size(w->dtype)))
        return bb_fail(err, BB_E_INTERNAL, "get_rows: weight was not uploaded by the opencl "
                       "backend");
    if (n < 0 || ids->bytes < (size_t)n * 4 || out->bytes < q_need((size_t)n, (size_t)w->k))
        return bb_fail(err, BB_E_INTERNAL, "get_rows: a buffer is too small for %d rows", n);
    if (n == 0)
        return BB_OK;
    int k = w->k;
    const struct bb_cl_arg args[] = {BB_CL_MEM(w->buf), BB_CL_MEM(ids),  BB_CL_MEM(out),
                                     BB_CL_INT((int)w->dtype), BB_CL_INT(w->n), BB_CL_INT(k),
                                     BB_CL_INT(n),      BB_CL_INT(accumulate)};
    size_t local[2] = {cl->is_cpu ? 1 : 32, 1};
    size_t whole[2] = {(size_t)k / 32, (size_t)n}, tail[2] = {(size_t)k % 32, (size_t)n};
    enum bb_status s = BB_OK;
    if (k >= 32) /* one work-item per 32 columns */
        s = bb_cl_run(cl, "bb_get_rows", args, 8, 2, whole, local, err);
    if (!s && k % 32) /* F32/F16 only: quantised rows are whole blocks */
        s = bb_cl_run(cl, "bb_get_rows_tail", args, 8, 2, tail, local, err);
    return s;
}
