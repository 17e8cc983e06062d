/* opencl_quant.c: the OpenCL backend's quantised weights: upload (Q4_1 and
 * Q8_0 repacked into 16-column panels, the other block types kept as ggml's
 * rows; layouts in kernels/matmul_quant.cl), the GEMM that dequantises in its
 * inner loop, and get_rows for every weight layout (these and
 * opencl_matmul.c's F32/F16 panels). The layout follows from the weight's
 * dtype, so nothing else is recorded. */
#include "backend/opencl_internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define QP 16 /* BB_QP: columns per panel */
#ifndef QL1
#define QL1 4
#endif
enum { QF_BIAS = 1, QF_RESIDUAL = 2, QF_GELU = 4 };

static bool q_panelled(enum bb_dtype t) { return t == BB_Q4_1 || t == BB_Q8_0; }

/* bytes of one (panel, 32-element k-block) */
static size_t q_panel_block(enum bb_dtype t) { return t == BB_Q4_1 ? 320 : 544; }

/* Q4_1 / Q8_0 rows (n, k) -> panels of QP columns (zero blocks past n). */
static void q_pack(const uint8_t *src, enum bb_dtype t, int n, int k, uint8_t *dst)
{
    size_t nb = (size_t)k / 32, bb = bb_dtype_block_bytes(t), pb = q_panel_block(t);
    size_t n_panels = ((size_t)n + QP - 1) / QP;
    memset(dst, 0, n_panels * nb * pb);
    for (size_t col = 0; col < (size_t)n; col++) {
        size_t p = col / QP, c = col % QP;
        for (size_t b = 0; b < nb; b++) {
            const uint8_t *blk = src + (col * nb + b) * bb;
            uint8_t *o = dst + (p * nb + b) * pb;
            memcpy(o + 2 * c, blk, 2); /* d */
            if (t == BB_Q4_1) {
                memcpy(o + 32 + 2 * c, blk + 2, 2); /* m */
                for (int i = 0; i < 16; i++)
                    o[64 + i * QP + c] = blk[4 + i];
            } else {
                for (int i = 0; i < 32; i++)
                    o[32 + i * QP + c] = blk[2 + i];
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
    if (row > INT_MAX || (size_t)n > SIZE_MAX / 2 / (row + QP * 34))
        return bb_fail(err, BB_E_INPUT, "weight upload: %s (%d, %d) is too large",
                       bb_dtype_name(t), n, k);
    size_t bytes = q_panelled(t) ? ((size_t)n + QP - 1) / QP * ((size_t)k / 32) * q_panel_block(t)
                                 : (size_t)n * row;
    uint8_t *packed = NULL;
    const void *data = src;
    struct bb_buffer *buf = NULL;
    enum bb_status s;
    if (q_panelled(t)) {
        packed = malloc(bytes);
        if (!packed)
            return bb_fail(err, BB_E_NOMEM, "weight upload: cannot allocate %zu bytes", bytes);
        q_pack(src, t, n, k, packed);
        data = packed;
    }
    if ((s = bb_cl_buffer_new(cl, bytes, &buf, err)))
        goto done;
    s = bb_cl_check(err, clEnqueueWriteBuffer(cl->queue, buf->mem, CL_TRUE, 0, bytes, data, 0,
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
        [BB_Q4_0] = {"bb_matmul_q4_0_r1", "bb_matmul_q4_0_rm"},
        [BB_Q5_0] = {"bb_matmul_q5_0_r1", "bb_matmul_q5_0_rm"},
        [BB_Q5_1] = {"bb_matmul_q5_1_r1", "bb_matmul_q5_1_rm"},
        [BB_Q4_K] = {"bb_matmul_q4_k_r1", "bb_matmul_q4_k_rm"},
        [BB_Q5_K] = {"bb_matmul_q5_k_r1", "bb_matmul_q5_k_rm"},
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
    cl_kernel kern;
    enum bb_status s;
    if ((s = bb_cl_kernel(cl, name, &kern, err)))
        return s;
    int nn = w->n, kk = w->k, row_bytes = (int)bb_dtype_row_bytes(w->dtype, kk);
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
    if (!q_panelled(w->dtype))
        rc |= clSetKernelArg(kern, a++, sizeof(int), &row_bytes);
    rc |= clSetKernelArg(kern, a++, sizeof(int), &flags);
    if ((s = bb_cl_check(err, rc, "clSetKernelArg (quantised matmul)")))
        return s;
    size_t l0 = cl->is_cpu ? 1 : 64, m_blocks = (mm + rows - 1) / rows;
    size_t l1 = cl->is_cpu && !big ? QL1 : 1, g1 = q_panelled(w->dtype) ? (n + QP - 1) / QP : n;
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
    int t = (int)w->dtype, nw = w->n, k = w->k, acc = accumulate;
    int row_bytes = quant && !q_panelled(w->dtype) ? (int)bb_dtype_row_bytes(w->dtype, k) : 0;
    cl_kernel kern;
    enum bb_status s;
    size_t l0 = cl->is_cpu ? 1 : 32;
    if (k >= 32) {
        if ((s = bb_cl_kernel(cl, "bb_get_rows", &kern, err)))
            return s;
        cl_int rc = clSetKernelArg(kern, 0, sizeof(cl_mem), &w->buf->mem);
        rc |= clSetKernelArg(kern, 1, sizeof(cl_mem), &ids->mem);
        rc |= clSetKernelArg(kern, 2, sizeof(cl_mem), &out->mem);
        rc |= clSetKernelArg(kern, 3, sizeof(int), &t);
        rc |= clSetKernelArg(kern, 4, sizeof(int), &nw);
        rc |= clSetKernelArg(kern, 5, sizeof(int), &k);
        rc |= clSetKernelArg(kern, 6, sizeof(int), &row_bytes);
        rc |= clSetKernelArg(kern, 7, sizeof(int), &n);
        rc |= clSetKernelArg(kern, 8, sizeof(int), &acc);
        if ((s = bb_cl_check(err, rc, "clSetKernelArg (get_rows)")))
            return s;
        size_t g0 = (size_t)k / 32;
        size_t local[2] = {l0, 1}, global[2] = {(g0 + l0 - 1) / l0 * l0, (size_t)n};
        if ((s = bb_cl_launch(cl, kern, 2, global, local, err)))
            return s;
    }
    if (k % 32) { /* F32/F16 only: quantised rows are whole blocks */
        if ((s = bb_cl_kernel(cl, "bb_get_rows_tail", &kern, err)))
            return s;
        cl_int rc = clSetKernelArg(kern, 0, sizeof(cl_mem), &w->buf->mem);
        rc |= clSetKernelArg(kern, 1, sizeof(cl_mem), &ids->mem);
        rc |= clSetKernelArg(kern, 2, sizeof(cl_mem), &out->mem);
        rc |= clSetKernelArg(kern, 3, sizeof(int), &t);
        rc |= clSetKernelArg(kern, 4, sizeof(int), &nw);
        rc |= clSetKernelArg(kern, 5, sizeof(int), &k);
        rc |= clSetKernelArg(kern, 6, sizeof(int), &n);
        rc |= clSetKernelArg(kern, 7, sizeof(int), &acc);
        if ((s = bb_cl_check(err, rc, "clSetKernelArg (get_rows tail)")))
            return s;
        size_t g0 = (size_t)k % 32;
        size_t local[2] = {l0, 1}, global[2] = {(g0 + l0 - 1) / l0 * l0, (size_t)n};
        if ((s = bb_cl_launch(cl, kern, 2, global, local, err)))
            return s;
    }
    return BB_OK;
}
