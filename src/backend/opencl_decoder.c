/* opencl_decoder.c: the OpenCL backend's decoder ops (kernels/decoder.cl):
 * RMSNorm, rotary embedding, causal grouped-query attention over a KV cache,
 * KV cache stores, the SiLU gate and per-row target log-probabilities. Each
 * op is one kernel enqueued on the in-order queue, no host sync. Arguments
 * were checked by the bb_op_* wrappers (backend.c). Local sizes are fixed per
 * kernel (PoCL compiles a kernel again for each new local size). */
#include "backend/opencl_internal.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>

#define DEC_LOCAL 64 /* local size of the row and elementwise kernels */
/* attn_causal's: small, so that a decode step (b * n_head work-items, e.g.
 * 72 for SmolLM2 at b = 8) still spreads over several cores */
#define DEC_LOCAL_ATTN 16

/* Kernel arguments, set in order: a cl_mem or a 4-byte scalar. */
struct dec_arg {
    size_t size;
    const void *ptr;
};
#define DMEM(b) ((struct dec_arg){sizeof(cl_mem), &(b)->mem})
#define DINT(v) ((struct dec_arg){sizeof(cl_int), &(cl_int){(v)}})
#define DFLT(v) ((struct dec_arg){sizeof(cl_float), &(cl_float){(v)}})

/* Look up `name`, set its arguments, enqueue it over global rounded up to local. */
static enum bb_status dec_run(struct bb_cl *cl, const char *name, const struct dec_arg *args,
                              int nargs, cl_uint dims, const size_t *global, const size_t *local,
                              struct bb_error *err)
{
    cl_kernel k;
    size_t g[2];
    enum bb_status st = bb_cl_kernel(cl, name, &k, err);
    if (st)
        return st;
    for (cl_uint d = 0; d < dims; d++) {
        if (global[d] == 0)
            return BB_OK; /* nothing to do */
        g[d] = (global[d] + local[d] - 1) / local[d] * local[d];
    }
    for (int i = 0; i < nargs; i++) {
        cl_int rc = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (rc != CL_SUCCESS)
            return bb_fail(err, BB_E_DEVICE, "clSetKernelArg(%s, %d) failed: %s (%d)", name, i,
                           bb_cl_error_name(rc), (int)rc);
    }
    return bb_cl_launch(cl, k, dims, g, local, err);
}

enum bb_status bb_cl_rmsnorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g,
                             struct bb_buffer *out, int m, int c, float eps, struct bb_error *err)
{
    const struct dec_arg args[] = {DMEM(x), DMEM(g), DMEM(out), DINT(m), DINT(c), DFLT(eps)};
    const size_t global[1] = {(size_t)m}, local[1] = {DEC_LOCAL};
    return dec_run(bb_cl_of(be), "bb_rmsnorm_rows", args, 6, 1, global, local, err);
}

enum bb_status bb_cl_rope(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos,
                          int n_tok, int n_head, int head_dim, int n_rot, float base,
                          enum bb_rope_mode mode, struct bb_error *err)
{
    /* one work-item per (token, pair), looping over the heads; n_tok*n_rot/2 <=
     * the elements of x, which the wrapper bounds by INT_MAX */
    size_t items = (size_t)n_tok * (size_t)(n_rot / 2);
    const struct dec_arg args[] = {DMEM(x),        DMEM(pos),  DINT(n_tok),
                                   DINT(n_head),   DINT(head_dim), DINT(n_rot),
                                   DFLT((float)log2((double)base)), DINT(mode == BB_ROPE_NEOX)};
    const size_t global[1] = {items}, local[1] = {DEC_LOCAL};
    return dec_run(bb_cl_of(be), "bb_rope", args, 8, 1, global, local, err);
}

enum bb_status bb_cl_attn_causal(struct bb_backend *be, struct bb_buffer *q, struct bb_buffer *k,
                                 struct bb_buffer *v, struct bb_buffer *out, int b, int tq,
                                 int n_past, int t_cap, int n_head, int n_kv_head, int head_dim,
                                 float scale, struct bb_error *err)
{
    if (head_dim > 128)
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "opencl attn_causal: head_dim %d is larger than the kernel's 128",
                       head_dim);
    size_t items = (size_t)b * (size_t)n_head * (size_t)tq;
    if (items > INT_MAX)
        return bb_fail(err, BB_E_UNSUPPORTED, "opencl attn_causal: batch too large");
    const struct dec_arg args[] = {DMEM(q),       DMEM(k),        DMEM(v),      DMEM(out),
                                   DINT(b),       DINT(tq),       DINT(n_past), DINT(t_cap),
                                   DINT(n_head),  DINT(n_kv_head), DINT(head_dim), DFLT(scale)};
    const size_t global[1] = {items}, local[1] = {DEC_LOCAL_ATTN};
    const char *name = head_dim == 64    ? "bb_attn_causal_hd64"
                       : head_dim == 128 ? "bb_attn_causal_hd128"
                                         : "bb_attn_causal";
    return dec_run(bb_cl_of(be), name, args, 12, 1, global, local, err);
}

enum bb_status bb_cl_kv_store(struct bb_backend *be, struct bb_buffer *src,
                              struct bb_buffer *cache, int b, int tq, int n_past, int t_cap,
                              int c, struct bb_error *err)
{
    const struct dec_arg args[] = {DMEM(src),    DMEM(cache), DINT(b), DINT(tq),
                                   DINT(n_past), DINT(t_cap), DINT(c)};
    const size_t global[2] = {(size_t)c, (size_t)b * (size_t)tq}, local[2] = {DEC_LOCAL, 1};
    return dec_run(bb_cl_of(be), "bb_kv_store", args, 7, 2, global, local, err);
}

enum bb_status bb_cl_copy_rows(struct bb_backend *be, struct bb_buffer *src, int src_row0,
                               struct bb_buffer *dst, int dst_row0, int n_rows, int c,
                               struct bb_error *err)
{
    const struct dec_arg args[] = {DMEM(src), DINT(src_row0), DMEM(dst), DINT(dst_row0),
                                   DINT(n_rows), DINT(c)};
    const size_t global[2] = {(size_t)c, (size_t)n_rows}, local[2] = {DEC_LOCAL, 1};
    return dec_run(bb_cl_of(be), "bb_copy_rows", args, 6, 2, global, local, err);
}

enum bb_status bb_cl_glu(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out, int m,
                         int f, struct bb_error *err)
{
    const struct dec_arg args[] = {DMEM(x), DMEM(out), DINT(m), DINT(f)};
    /* one work-item per 8 columns */
    const size_t global[2] = {((size_t)f + 7) / 8, (size_t)m}, local[2] = {16, 1};
    return dec_run(bb_cl_of(be), "bb_glu", args, 4, 2, global, local, err);
}

enum bb_status bb_cl_logprobs(struct bb_backend *be, struct bb_buffer *logits,
                              struct bb_buffer *tgt, struct bb_buffer *lp, struct bb_buffer *am,
                              int m, int n_vocab, struct bb_error *err)
{
    /* no am: pass lp in its slot (never written: has_am is 0) */
    struct bb_buffer *am_or = am ? am : lp;
    const struct dec_arg args[] = {DMEM(logits), DMEM(tgt), DMEM(lp),     DMEM(am_or),
                                   DINT(am != NULL), DINT(m), DINT(n_vocab)};
    const size_t global[1] = {(size_t)m}, local[1] = {1};
    return dec_run(bb_cl_of(be), "bb_logprobs", args, 7, 1, global, local, err);
}
