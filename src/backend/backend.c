/* backend.c: backend creation by name and the bb_op_* wrappers that check
 * support, count ops per backend and dispatch through the vtable. */
#include "backend.h"

#include <string.h>

size_t bb_dtype_size(enum bb_dtype t)
{
    switch (t) {
    case BB_F32: case BB_I32: return 4;
    case BB_F16: case BB_BF16: return 2;
    }
    return 0;
}

const char *bb_dtype_name(enum bb_dtype t)
{
    switch (t) {
    case BB_F32: return "f32";
    case BB_F16: return "f16";
    case BB_BF16: return "bf16";
    case BB_I32: return "i32";
    }
    return "?";
}

const char *bb_op_name(enum bb_op_kind op)
{
    static const char *const names[BB_OP_COUNT] = {"embed", "matmul", "layernorm", "attention",
                                                   "pool"};
    return (unsigned)op < BB_OP_COUNT ? names[op] : "?";
}

enum bb_status bb_backend_create(const char *name, const struct bb_backend_opts *opts,
                                 struct bb_backend **out, struct bb_error *err)
{
    *out = NULL;
    if (!name || !strcmp(name, "opencl"))
        return bb_backend_opencl_create(opts, out, err);
    if (!strcmp(name, "ref"))
        return bb_backend_ref_create(out, err);
    return bb_fail(err, BB_E_USAGE, "unknown backend '%s' (expected 'opencl' or 'ref')", name);
}

void bb_backend_free(struct bb_backend *be)
{
    if (be)
        be->vt->free(be);
}

enum bb_status bb_buffer_alloc(struct bb_backend *be, size_t bytes, struct bb_buffer **out,
                               struct bb_error *err)
{
    return be->vt->buffer_alloc(be, bytes, out, err);
}

void bb_buffer_free(struct bb_backend *be, struct bb_buffer *buf)
{
    if (buf)
        be->vt->buffer_free(be, buf);
}

enum bb_status bb_backend_upload(struct bb_backend *be, struct bb_buffer *dst, size_t offset,
                                 const void *src, size_t bytes, struct bb_error *err)
{
    return be->vt->upload(be, dst, offset, src, bytes, err);
}

enum bb_status bb_backend_download(struct bb_backend *be, struct bb_buffer *src, size_t offset,
                                   void *dst, size_t bytes, struct bb_error *err)
{
    return be->vt->download(be, src, offset, dst, bytes, err);
}

enum bb_status bb_backend_sync(struct bb_backend *be, struct bb_error *err)
{
    return be->vt->sync(be, err);
}

enum bb_status bb_weight_upload(struct bb_backend *be, const void *src, enum bb_dtype src_dtype,
                                int n, int k, enum bb_dtype storage, struct bb_weight *out,
                                struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    if (storage != BB_F32 && storage != BB_F16)
        return bb_fail(err, BB_E_UNSUPPORTED, "weight storage %s is not supported",
                       bb_dtype_name(storage));
    return be->vt->weight_upload(be, src, src_dtype, n, k, storage, out, err);
}

void bb_weight_free(struct bb_backend *be, struct bb_weight *w)
{
    if (w && w->buf)
        be->vt->buffer_free(be, w->buf);
    if (w)
        w->buf = NULL;
}

/* Every op goes through here: no silent fallback to another backend. */
static enum bb_status op_begin(struct bb_backend *be, enum bb_op_kind op, struct bb_error *err)
{
    if (!be->vt->supports_op(be, op))
        return bb_fail(err, BB_E_UNSUPPORTED, "backend '%s' does not implement op '%s'",
                       be->vt->name, bb_op_name(op));
    be->op_count[op]++;
    return BB_OK;
}

enum bb_status bb_op_embed(struct bb_backend *be, struct bb_buffer *ids, struct bb_buffer *pos,
                           struct bb_buffer *type_ids, struct bb_buffer *word,
                           struct bb_buffer *pos_emb, struct bb_buffer *type_emb,
                           struct bb_buffer *out, int n_tok, int c, struct bb_error *err)
{
    enum bb_status st = op_begin(be, BB_OP_EMBED, err);
    return st ? st : be->vt->embed(be, ids, pos, type_ids, word, pos_emb, type_emb, out, n_tok, c, err);
}

enum bb_status bb_op_matmul(struct bb_backend *be, struct bb_buffer *x, const struct bb_weight *w,
                            struct bb_buffer *bias, struct bb_buffer *residual,
                            struct bb_buffer *out, int m, enum bb_act act, struct bb_error *err)
{
    enum bb_status st = op_begin(be, BB_OP_MATMUL, err);
    return st ? st : be->vt->matmul(be, x, w, bias, residual, out, m, act, err);
}

enum bb_status bb_op_layernorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *gamma,
                               struct bb_buffer *beta, struct bb_buffer *out, int m, int c,
                               float eps, struct bb_error *err)
{
    enum bb_status st = op_begin(be, BB_OP_LAYERNORM, err);
    return st ? st : be->vt->layernorm(be, x, gamma, beta, out, m, c, eps, err);
}

enum bb_status bb_op_attention(struct bb_backend *be, struct bb_buffer *qkv,
                               struct bb_buffer *lengths, struct bb_buffer *pos_bias,
                               struct bb_buffer *out, int b, int t, int n_head, int head_dim,
                               float scale, struct bb_error *err)
{
    enum bb_status st = op_begin(be, BB_OP_ATTENTION, err);
    return st ? st
              : be->vt->attention(be, qkv, lengths, pos_bias, out, b, t, n_head, head_dim, scale,
                                  err);
}

enum bb_status bb_op_pool(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *lengths,
                          struct bb_buffer *out, int b, int t, int c, enum bb_pool_mode mode,
                          bool normalize, struct bb_error *err)
{
    enum bb_status st = op_begin(be, BB_OP_POOL, err);
    return st ? st : be->vt->pool(be, x, lengths, out, b, t, c, mode, normalize, err);
}
