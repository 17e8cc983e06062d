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

enum bb_status bb_cl_rmsnorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g,
                             struct bb_buffer *out, int m, int c, float eps, struct bb_error *err)
{
    const struct bb_cl_arg args[] = {BB_CL_MEM(x), BB_CL_MEM(g), BB_CL_MEM(out),
                                     BB_CL_INT(m), BB_CL_INT(c), BB_CL_FLT(eps)};
    const size_t global[1] = {(size_t)m}, local[1] = {DEC_LOCAL};
    return bb_cl_run(bb_cl_of(be), "bb_rmsnorm_rows", args, 6, 1, global, local, err);
}

enum bb_status bb_cl_rope(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos,
                          int n_tok, int n_head, int head_dim, int n_rot, float base,
                          enum bb_rope_mode mode, struct bb_error *err)
{
    /* one work-item per (token, pair), looping over the heads; n_tok*n_rot/2 <=
     * the elements of x, which the wrapper bounds by INT_MAX */
    size_t items = (size_t)n_tok * (size_t)(n_rot / 2);
    const struct bb_cl_arg args[] = {BB_CL_MEM(x),
                                     BB_CL_MEM(pos),
                                     BB_CL_INT(n_tok),
                                     BB_CL_INT(n_head),
                                     BB_CL_INT(head_dim),
                                     BB_CL_INT(n_rot),
                                     BB_CL_FLT((float)log2((double)base)),
                                     BB_CL_INT(mode == BB_ROPE_NEOX)};
    const size_t global[1] = {items}, local[1] = {DEC_LOCAL};
    return bb_cl_run(bb_cl_of(be), "bb_rope", args, 8, 1, global, local, err);
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
    const struct bb_cl_arg args[] = {BB_CL_MEM(q),         BB_CL_MEM(k),        BB_CL_MEM(v),
                                     BB_CL_MEM(out),       BB_CL_INT(b),        BB_CL_INT(tq),
                                     BB_CL_INT(n_past),    BB_CL_INT(t_cap),    BB_CL_INT(n_head),
                                     BB_CL_INT(n_kv_head), BB_CL_INT(head_dim), BB_CL_FLT(scale)};
    const size_t global[1] = {items}, local[1] = {DEC_LOCAL_ATTN};
    const char *name = head_dim == 64    ? "bb_attn_causal_hd64"
                       : head_dim == 128 ? "bb_attn_causal_hd128"
                                         : "bb_attn_causal";
    return bb_cl_run(bb_cl_of(be), name, args, 12, 1, global, local, err);
}

enum bb_status bb_cl_kv_store(struct bb_backend *be, struct bb_buffer *src,
                              struct bb_buffer *cache, int b, int tq, int n_past, int t_cap,
                              int c, struct bb_error *err)
{
    const struct bb_cl_arg args[] = {BB_CL_MEM(src), BB_CL_MEM(cache),  BB_CL_INT(b),
                                     BB_CL_INT(tq),  BB_CL_INT(n_past), BB_CL_INT(t_cap),
                                     BB_CL_INT(c)};
    const size_t global[2] = {(size_t)c, (size_t)b * (size_t)tq}, local[2] = {DEC_LOCAL, 1};
    return bb_cl_run(bb_cl_of(be), "bb_kv_store", args, 7, 2, global, local, err);
}

enum bb_status bb_cl_copy_rows(struct bb_backend *be, struct bb_buffer *src, int src_row0,
                               struct bb_buffer *dst, int dst_row0, int n_rows, int c,
                               struct bb_error *err)
{
    const struct bb_cl_arg args[] = {BB_CL_MEM(src),      BB_CL_INT(src_row0), BB_CL_MEM(dst),
                                     BB_CL_INT(dst_row0), BB_CL_INT(n_rows),   BB_CL_INT(c)};
    const size_t global[2] = {(size_t)c, (size_t)n_rows}, local[2] = {DEC_LOCAL, 1};
    return bb_cl_run(bb_cl_of(be), "bb_copy_rows", args, 6, 2, global, local, err);
}

enum bb_status bb_cl_glu(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out, int m,
                         int f, struct bb_error *err)
{
    const struct bb_cl_arg args[] = {BB_CL_MEM(x), BB_CL_MEM(out), BB_CL_INT(m), BB_CL_INT(f)};
    /* one work-item per 8 columns */
    const size_t global[2] = {((size_t)f + 7) / 8, (size_t)m}, local[2] = {16, 1};
    return bb_cl_run(bb_cl_of(be), "bb_glu", args, 4, 2, global, local, err);
}

enum bb_status bb_cl_logprobs(struct bb_backend *be, struct bb_buffer *logits,
                              struct bb_buffer *tgt, struct bb_buffer *lp, struct bb_buffer *am,
                              int m, int n_vocab, struct bb_error *err)
{
    /* no am: pass lp in its slot (never written: has_am is 0) */
    struct bb_buffer *am_or = am ? am : lp;
    const struct bb_cl_arg args[] = {BB_CL_MEM(logits), BB_CL_MEM(tgt),        BB_CL_MEM(lp),
                                     BB_CL_MEM(am_or),  BB_CL_INT(am != NULL), BB_CL_INT(m),
                                     BB_CL_INT(n_vocab)};
    const size_t global[1] = {(size_t)m}, local[1] = {1};
    return bb_cl_run(bb_cl_of(be), "bb_logprobs", args, 7, 1, global, local, err);
}
