/* backend.c: backend creation by name and the bb_op_* wrappers that check
 * support, count ops per backend and dispatch through the vtable. */
#include "backend/backend_impl.h"

#include "core/log.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

static const struct {
    const char *name;
    int block;       /* elements per block */
    size_t bytes;    /* bytes per block */
} dtypes[BB_DTYPE_COUNT] = {
    [BB_F32] = {"f32", 1, 4},       [BB_F16] = {"f16", 1, 2},
    [BB_BF16] = {"bf16", 1, 2},     [BB_I32] = {"i32", 1, 4},
    [BB_Q8_0] = {"q8_0", 32, 34},   [BB_Q4_0] = {"q4_0", 32, 18},
    [BB_Q4_1] = {"q4_1", 32, 20},   [BB_Q5_0] = {"q5_0", 32, 22},
    [BB_Q5_1] = {"q5_1", 32, 24},   [BB_Q4_K] = {"q4_k", 256, 144},
    [BB_Q5_K] = {"q5_k", 256, 176}, [BB_Q6_K] = {"q6_k", 256, 210},
};

static bool dtype_ok(enum bb_dtype t)
{
    return (unsigned)t < BB_DTYPE_COUNT;
}

size_t bb_dtype_size(enum bb_dtype t)
{
    return dtype_ok(t) && dtypes[t].block == 1 ? dtypes[t].bytes : 0;
}

const char *bb_dtype_name(enum bb_dtype t)
{
    return dtype_ok(t) ? dtypes[t].name : "?";
}

int bb_dtype_block_size(enum bb_dtype t)
{
    return dtype_ok(t) ? dtypes[t].block : 0;
}

size_t bb_dtype_block_bytes(enum bb_dtype t)
{
    return dtype_ok(t) ? dtypes[t].bytes : 0;
}

bool bb_dtype_is_quant(enum bb_dtype t)
{
    return dtype_ok(t) && dtypes[t].block > 1;
}

size_t bb_dtype_row_bytes(enum bb_dtype t, int64_t n)
{
    if (!dtype_ok(t) || n < 0 || n % dtypes[t].block)
        return 0;
    return (size_t)(n / dtypes[t].block) * dtypes[t].bytes;
}

const char *bb_op_name(enum bb_op_kind op)
{
    static const char *const names[BB_OP_COUNT] = {"embed", "matmul", "layernorm", "attention",
                                                   "pool",
                                                   "rmsnorm", "rope", "attn_causal", "kv_store",
                                                   "glu", "logprobs", "copy_rows", "get_rows"};
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

const char *bb_backend_name(const struct bb_backend *be)
{
    return be->vt->name;
}

const struct bb_device_info *bb_backend_info(const struct bb_backend *be)
{
    return &be->info;
}

uint64_t bb_backend_op_count(const struct bb_backend *be, enum bb_op_kind op)
{
    return (unsigned)op < BB_OP_COUNT ? be->op_count[op] : 0;
}

bool bb_backend_supports(struct bb_backend *be, enum bb_op_kind op, enum bb_dtype dtype)
{
    return (unsigned)op < BB_OP_COUNT && dtype_ok(dtype) && be->vt->supports_op(be, op, dtype);
}

enum bb_status bb_backend_profile(struct bb_backend *be, struct bb_profile *out,
                                  struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    if (!be->vt->profile)
        return bb_fail(err, BB_E_USAGE, "the %s backend has no kernels to profile (use the "
                       "opencl backend)", be->vt->name);
    return be->vt->profile(be, out, err);
}

/* A buffer used on a backend that did not allocate it: an error, never undefined behaviour. */
static enum bb_status owned(struct bb_backend *be, const struct bb_buffer *b, const char *what,
                            const char *name, struct bb_error *err)
{
    if (!b || b->be == be)
        return BB_OK;
    return bb_fail(err, BB_E_INTERNAL, "%s %s: buffer '%s' belongs to another backend ('%s')",
                   be->vt->name, what, name, b->be ? b->be->vt->name : "(none)");
}

enum bb_status bb_buffer_alloc(struct bb_backend *be, size_t bytes, struct bb_buffer **out,
                               struct bb_error *err)
{
    enum bb_status st = be->vt->buffer_alloc(be, bytes, out, err);
    if (!st)
        (*out)->be = be;
    return st;
}

/* A buffer is released by the backend that allocated it, whichever one the caller names. */
void bb_buffer_free(struct bb_backend *be, struct bb_buffer *buf)
{
    if (!buf)
        return;
    if (buf->be && buf->be != be) {
        bb_warn("internal: a '%s' buffer was freed through backend '%s'", buf->be->vt->name,
                be->vt->name);
        be = buf->be;
    }
    be->vt->buffer_free(be, buf);
}

static enum bb_status check_range(struct bb_backend *be, const struct bb_buffer *b, size_t offset,
                                  size_t bytes, const char *what, struct bb_error *err)
{
    enum bb_status st = owned(be, b, what, "buffer", err);
    if (st)
        return st;
    size_t size = be->vt->buffer_bytes(b);
    if (offset > size || bytes > size - offset)
        return bb_fail(err, BB_E_INTERNAL,
                       "%s %s of %zu bytes at offset %zu overruns a buffer of %zu bytes",
                       be->vt->name, what, bytes, offset, size);
    return BB_OK;
}

enum bb_status bb_backend_upload(struct bb_backend *be, struct bb_buffer *dst, size_t offset,
                                 const void *src, size_t bytes, struct bb_error *err)
{
    enum bb_status st = check_range(be, dst, offset, bytes, "upload", err);
    return st ? st : be->vt->upload(be, dst, offset, src, bytes, err);
}

enum bb_status bb_backend_download(struct bb_backend *be, struct bb_buffer *src, size_t offset,
                                   void *dst, size_t bytes, struct bb_error *err)
{
    enum bb_status st = check_range(be, src, offset, bytes, "download", err);
    return st ? st : be->vt->download(be, src, offset, dst, bytes, err);
}

void bb_backend_prepare(struct bb_backend *be, enum bb_kernel_set set)
{
    if (be && be->vt->prepare)
        be->vt->prepare(be, set);
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
    if (bb_dtype_is_quant(storage)) {
        if (src_dtype != storage)
            return bb_fail(err, BB_E_UNSUPPORTED,
                           "weight storage %s needs %s source blocks, found %s (weights are "
                           "not quantised at load)", bb_dtype_name(storage),
                           bb_dtype_name(storage), bb_dtype_name(src_dtype));
        if (k <= 0 || k % bb_dtype_block_size(storage))
            return bb_fail(err, BB_E_INPUT, "%s weight: row length %d is not a multiple of the "
                           "block size %d", bb_dtype_name(storage), k,
                           bb_dtype_block_size(storage));
    } else if (storage != BB_F32 && storage != BB_F16) {
        return bb_fail(err, BB_E_UNSUPPORTED, "weight storage %s is not supported",
                       bb_dtype_name(storage));
    }
    enum bb_status st = be->vt->weight_upload(be, src, src_dtype, n, k, storage, out, err);
    if (!st && out->buf)
        out->buf->be = be;
    return st;
}

void bb_weight_free(struct bb_backend *be, struct bb_weight *w)
{
    if (w && w->buf)
        bb_buffer_free(be, w->buf);
    if (w)
        w->buf = NULL;
}

/* ---- argument checks, once for every backend ---- */

/* Buffer b (NULL allowed when optional) must hold elems 4-byte elements. */
static enum bb_status arg(struct bb_backend *be, const struct bb_buffer *b, size_t elems,
                         bool optional, enum bb_op_kind op, const char *name, struct bb_error *err)
{
    if (!b)
        return optional ? BB_OK
                        : bb_fail(err, BB_E_INTERNAL, "%s %s: argument '%s' is NULL",
                                  be->vt->name, bb_op_name(op), name);
    enum bb_status st = owned(be, b, bb_op_name(op), name, err);
    if (st)
        return st;
    size_t have = be->vt->buffer_bytes(b) / 4;
    if (have < elems)
        return bb_fail(err, BB_E_INTERNAL, "%s %s: argument '%s' holds %zu bytes, the op needs %zu",
                       be->vt->name, bb_op_name(op), name, have * 4, elems * 4);
    if (have > INT_MAX)
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s %s: argument '%s' has %zu elements, more than ops index (2^31 - 1)",
                       be->vt->name, bb_op_name(op), name, have);
    return BB_OK;
}

static enum bb_status dims(struct bb_backend *be, enum bb_op_kind op, bool ok,
                           struct bb_error *err)
{
    return ok ? BB_OK
              : bb_fail(err, BB_E_INTERNAL, "%s %s: negative count or non-positive size",
                        be->vt->name, bb_op_name(op));
}

/* Every op goes through here: no silent fallback to another backend. dtype: the weight's for
 * matmul and get_rows, BB_F32 for the rest. */
static enum bb_status op_begin_t(struct bb_backend *be, enum bb_op_kind op, enum bb_dtype dtype,
                                 struct bb_error *err)
{
    if (!be->vt->supports_op(be, op, dtype))
        return dtype == BB_F32
                   ? bb_fail(err, BB_E_UNSUPPORTED, "backend '%s' does not implement op '%s'",
                             be->vt->name, bb_op_name(op))
                   : bb_fail(err, BB_E_UNSUPPORTED,
                             "backend '%s' does not implement op '%s' for %s weights",
                             be->vt->name, bb_op_name(op), bb_dtype_name(dtype));
    be->op_count[op]++;
    return BB_OK;
}

static enum bb_status op_begin(struct bb_backend *be, enum bb_op_kind op, struct bb_error *err)
{
    return op_begin_t(be, op, BB_F32, err);
}

/* A weight of another backend is refused like a buffer. */
static enum bb_status weight_owned(struct bb_backend *be, const struct bb_weight *w,
                                   enum bb_op_kind op, struct bb_error *err)
{
    return w ? owned(be, w->buf, bb_op_name(op), "weight", err) : BB_OK;
}

enum bb_status bb_op_embed(struct bb_backend *be, struct bb_buffer *ids, struct bb_buffer *pos,
                           struct bb_buffer *type_ids, struct bb_buffer *word,
                           struct bb_buffer *pos_emb, struct bb_buffer *type_emb,
                           struct bb_buffer *out, int n_tok, int c, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_EMBED;
    size_t nt = n_tok > 0 ? (size_t)n_tok : 0, cc = c > 0 ? (size_t)c : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, n_tok >= 0 && c > 0, err)) ||
        (st = arg(be, ids, nt, false, K, "ids", err)) ||
        (st = arg(be, pos, nt, false, K, "pos", err)) ||
        (st = arg(be, type_ids, nt, true, K, "type_ids", err)) ||
        (st = arg(be, word, cc, false, K, "word", err)) ||
        (st = arg(be, pos_emb, cc, false, K, "pos_emb", err)) ||
        (st = arg(be, type_emb, cc, false, K, "type_emb", err)) ||
        (st = arg(be, out, nt * cc, false, K, "out", err)))
        return st;
    return be->vt->embed(be, ids, pos, type_ids, word, pos_emb, type_emb, out, n_tok, c, err);
}

enum bb_status bb_op_matmul(struct bb_backend *be, struct bb_buffer *x, const struct bb_weight *w,
                            struct bb_buffer *bias, struct bb_buffer *residual,
                            struct bb_buffer *out, int m, enum bb_act act, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_MATMUL;
    size_t mm = m > 0 ? (size_t)m : 0, n = w->n > 0 ? (size_t)w->n : 0;
    size_t k = w->k > 0 ? (size_t)w->k : 0;
    enum bb_status st;
    if ((st = op_begin_t(be, K, w->dtype, err)) ||
        (st = dims(be, K, m >= 0 && n && k && w->buf, err)) || (st = weight_owned(be, w, K, err)) ||
        (st = arg(be, x, mm * k, false, K, "x", err)) ||
        (st = arg(be, bias, n, true, K, "bias", err)) ||
        (st = arg(be, residual, mm * n, true, K, "residual", err)) ||
        (st = arg(be, out, mm * n, false, K, "out", err)))
        return st;
    if (x == out)
        return bb_fail(err, BB_E_INTERNAL, "%s matmul: out aliases x", be->vt->name);
    return be->vt->matmul(be, x, w, bias, residual, out, m, act, err);
}

enum bb_status bb_op_layernorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *gamma,
                               struct bb_buffer *beta, struct bb_buffer *out, int m, int c,
                               float eps, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_LAYERNORM;
    size_t mm = m > 0 ? (size_t)m : 0, cc = c > 0 ? (size_t)c : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, m >= 0 && c > 0, err)) ||
        (st = arg(be, x, mm * cc, false, K, "x", err)) ||
        (st = arg(be, gamma, cc, false, K, "gamma", err)) ||
        (st = arg(be, beta, cc, false, K, "beta", err)) ||
        (st = arg(be, out, mm * cc, false, K, "out", err)))
        return st;
    return be->vt->layernorm(be, x, gamma, beta, out, m, c, eps, err);
}

enum bb_status bb_op_attention(struct bb_backend *be, struct bb_buffer *qkv,
                               struct bb_buffer *lengths, struct bb_buffer *pos_bias,
                               struct bb_buffer *out, int b, int t, int n_head, int head_dim,
                               float scale, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_ATTENTION;
    bool good = b >= 0 && t >= 0 && n_head > 0 && head_dim > 0;
    size_t bb = good ? (size_t)b : 0, tt = good ? (size_t)t : 0, nh = good ? (size_t)n_head : 0;
    size_t c = good ? nh * (size_t)head_dim : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, good, err)) ||
        (st = arg(be, qkv, bb * tt * 3 * c, false, K, "qkv", err)) ||
        (st = arg(be, lengths, bb, false, K, "lengths", err)) ||
        (st = arg(be, pos_bias, nh * tt * tt, true, K, "pos_bias", err)) ||
        (st = arg(be, out, bb * tt * c, false, K, "out", err)))
        return st;
    return be->vt->attention(be, qkv, lengths, pos_bias, out, b, t, n_head, head_dim, scale, err);
}

enum bb_status bb_op_pool(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *lengths,
                          struct bb_buffer *out, int b, int t, int c, enum bb_pool_mode mode,
                          bool normalize, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_POOL;
    bool good = b >= 0 && t >= 0 && c > 0;
    size_t bb = good ? (size_t)b : 0, tt = good ? (size_t)t : 0, cc = good ? (size_t)c : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, good, err)) ||
        (st = arg(be, x, bb * tt * cc, false, K, "x", err)) ||
        (st = arg(be, lengths, bb, false, K, "lengths", err)) ||
        (st = arg(be, out, bb * cc, false, K, "out", err)))
        return st;
    return be->vt->pool(be, x, lengths, out, b, t, c, mode, normalize, err);
}

/* ---- decoder ops ---- */

/* a * b, saturating at SIZE_MAX (so that a huge shape fails the size check
 * instead of wrapping around to a small one) */
static size_t prod(size_t a, size_t b)
{
    return a && b > SIZE_MAX / a ? SIZE_MAX : a * b;
}

/* Buffers that must be distinct (an in-place kernel would race). */
static enum bb_status distinct(struct bb_backend *be, enum bb_op_kind op,
                               const struct bb_buffer *a, const struct bb_buffer *b,
                               const char *na, const char *nb, struct bb_error *err)
{
    return a && a == b ? bb_fail(err, BB_E_INTERNAL, "%s %s: '%s' aliases '%s'", be->vt->name,
                                 bb_op_name(op), na, nb)
                       : BB_OK;
}

/* Rows n_past .. n_past+tq-1 of a cache of t_cap rows per sequence. */
static enum bb_status cache_rows(struct bb_backend *be, enum bb_op_kind op, int tq, int n_past,
                                 int t_cap, struct bb_error *err)
{
    return (long long)n_past + tq <= t_cap
               ? BB_OK
               : bb_fail(err, BB_E_INTERNAL,
                         "%s %s: n_past %d + tq %d rows do not fit a cache of t_cap %d rows",
                         be->vt->name, bb_op_name(op), n_past, tq, t_cap);
}

enum bb_status bb_op_rmsnorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g,
                             struct bb_buffer *out, int m, int c, float eps,
                             struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_RMSNORM;
    size_t mm = m > 0 ? (size_t)m : 0, cc = c > 0 ? (size_t)c : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, m >= 0 && c > 0, err)) ||
        (st = arg(be, x, mm * cc, false, K, "x", err)) ||
        (st = arg(be, g, cc, false, K, "g", err)) ||
        (st = arg(be, out, mm * cc, false, K, "out", err)))
        return st;
    return be->vt->rmsnorm(be, x, g, out, m, c, eps, err);
}

enum bb_status bb_op_rope(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos,
                          int n_tok, int n_head, int head_dim, int n_rot, float base,
                          enum bb_rope_mode mode, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_ROPE;
    bool good = n_tok >= 0 && n_head > 0 && head_dim > 0;
    size_t nt = good ? (size_t)n_tok : 0, c = good ? prod((size_t)n_head, (size_t)head_dim) : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, good, err)))
        return st;
    if (n_rot <= 0 || n_rot % 2 || n_rot > head_dim || !(base > 0.0f) ||
        (mode != BB_ROPE_NORM && mode != BB_ROPE_NEOX))
        return bb_fail(err, BB_E_INTERNAL,
                       "%s rope: n_rot %d (head_dim %d), base %g, mode %d: expected an even "
                       "0 < n_rot <= head_dim, base > 0 and a bb_rope_mode",
                       be->vt->name, n_rot, head_dim, (double)base, (int)mode);
    if ((st = arg(be, x, prod(nt, c), false, K, "x", err)) ||
        (st = arg(be, pos, nt, false, K, "pos", err)))
        return st;
    return be->vt->rope(be, x, pos, n_tok, n_head, head_dim, n_rot, base, mode, err);
}

enum bb_status bb_op_attn_causal(struct bb_backend *be, struct bb_buffer *q, struct bb_buffer *k,
                                 struct bb_buffer *v, struct bb_buffer *out, int b, int tq,
                                 int n_past, int t_cap, int n_head, int n_kv_head, int head_dim,
                                 float scale, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_ATTN_CAUSAL;
    bool good = b >= 0 && tq >= 0 && n_past >= 0 && t_cap >= 0 && n_head > 0 && n_kv_head > 0 &&
                head_dim > 0;
    size_t bb = good ? (size_t)b : 0, hd = good ? (size_t)head_dim : 0;
    size_t qrows = good ? prod(bb, (size_t)tq) : 0, krows = good ? prod(bb, (size_t)t_cap) : 0;
    size_t cq = good ? prod((size_t)n_head, hd) : 0, ckv = good ? prod((size_t)n_kv_head, hd) : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, good, err)) ||
        (st = cache_rows(be, K, tq, n_past, t_cap, err)))
        return st;
    if (n_head % n_kv_head)
        return bb_fail(err, BB_E_INTERNAL, "%s attn_causal: n_head %d is not a multiple of "
                       "n_kv_head %d", be->vt->name, n_head, n_kv_head);
    if ((st = arg(be, q, prod(qrows, cq), false, K, "q", err)) ||
        (st = arg(be, k, prod(krows, ckv), false, K, "k", err)) ||
        (st = arg(be, v, prod(krows, ckv), false, K, "v", err)) ||
        (st = arg(be, out, prod(qrows, cq), false, K, "out", err)) ||
        (st = distinct(be, K, out, q, "out", "q", err)) ||
        (st = distinct(be, K, out, k, "out", "k", err)) ||
        (st = distinct(be, K, out, v, "out", "v", err)))
        return st;
    return be->vt->attn_causal(be, q, k, v, out, b, tq, n_past, t_cap, n_head, n_kv_head,
                               head_dim, scale, err);
}

enum bb_status bb_op_kv_store(struct bb_backend *be, struct bb_buffer *src,
                              struct bb_buffer *cache, int b, int tq, int n_past, int t_cap,
                              int c, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_KV_STORE;
    bool good = b >= 0 && tq >= 0 && n_past >= 0 && t_cap >= 0 && c > 0;
    size_t bb = good ? (size_t)b : 0, cc = good ? (size_t)c : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, good, err)) ||
        (st = cache_rows(be, K, tq, n_past, t_cap, err)) ||
        (st = arg(be, src, prod(prod(bb, (size_t)tq), cc), false, K, "src", err)) ||
        (st = arg(be, cache, prod(prod(bb, (size_t)t_cap), cc), false, K, "cache", err)) ||
        (st = distinct(be, K, src, cache, "src", "cache", err)))
        return st;
    return be->vt->kv_store(be, src, cache, b, tq, n_past, t_cap, c, err);
}

enum bb_status bb_op_glu(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out, int m,
                         int f, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_GLU;
    size_t mm = m > 0 ? (size_t)m : 0, ff = f > 0 ? (size_t)f : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, m >= 0 && f > 0, err)) ||
        (st = arg(be, x, prod(mm, 2 * ff), false, K, "x", err)) ||
        (st = arg(be, out, prod(mm, ff), false, K, "out", err)) ||
        (st = distinct(be, K, out, x, "out", "x", err)))
        return st;
    return be->vt->glu(be, x, out, m, f, err);
}

enum bb_status bb_op_logprobs(struct bb_backend *be, struct bb_buffer *logits,
                              struct bb_buffer *tgt, struct bb_buffer *lp, struct bb_buffer *am,
                              int m, int n_vocab, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_LOGPROBS;
    size_t mm = m > 0 ? (size_t)m : 0, nv = n_vocab > 0 ? (size_t)n_vocab : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, m >= 0 && n_vocab > 0, err)) ||
        (st = arg(be, logits, prod(mm, nv), false, K, "logits", err)) ||
        (st = arg(be, tgt, mm, false, K, "tgt", err)) ||
        (st = arg(be, lp, mm, false, K, "lp", err)) ||
        (st = arg(be, am, mm, true, K, "am", err)) ||
        (st = distinct(be, K, lp, logits, "lp", "logits", err)) ||
        (st = distinct(be, K, am, logits, "am", "logits", err)) ||
        (st = distinct(be, K, am, lp, "am", "lp", err)))
        return st;
    return be->vt->logprobs(be, logits, tgt, lp, am, m, n_vocab, err);
}

enum bb_status bb_op_copy_rows(struct bb_backend *be, struct bb_buffer *src, int src_row0,
                               struct bb_buffer *dst, int dst_row0, int n_rows, int c,
                               struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_COPY_ROWS;
    bool good = src_row0 >= 0 && dst_row0 >= 0 && n_rows >= 0 && c > 0;
    size_t cc = good ? (size_t)c : 0;
    size_t s_end = good ? (size_t)src_row0 + (size_t)n_rows : 0;
    size_t d_end = good ? (size_t)dst_row0 + (size_t)n_rows : 0;
    enum bb_status st;
    if ((st = op_begin(be, K, err)) || (st = dims(be, K, good, err)) ||
        (st = arg(be, src, prod(s_end, cc), false, K, "src", err)) ||
        (st = arg(be, dst, prod(d_end, cc), false, K, "dst", err)) ||
        (st = distinct(be, K, src, dst, "src", "dst", err)))
        return st;
    return be->vt->copy_rows(be, src, src_row0, dst, dst_row0, n_rows, c, err);
}

enum bb_status bb_op_get_rows(struct bb_backend *be, const struct bb_weight *w,
                              struct bb_buffer *ids, struct bb_buffer *out, int n,
                              bool accumulate, struct bb_error *err)
{
    const enum bb_op_kind K = BB_OP_GET_ROWS;
    bool good = n >= 0 && w && w->buf && w->n > 0 && w->k > 0;
    size_t nn = good ? (size_t)n : 0, kk = good ? (size_t)w->k : 0;
    enum bb_status st;
    if ((st = op_begin_t(be, K, w ? w->dtype : BB_F32, err)) || (st = dims(be, K, good, err)) ||
        (st = weight_owned(be, w, K, err)) || (st = arg(be, ids, nn, false, K, "ids", err)) ||
        (st = arg(be, out, nn * kk, false, K, "out", err)))
        return st;
    return be->vt->get_rows(be, w, ids, out, n, accumulate, err);
}
