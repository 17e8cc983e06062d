/* backend_impl.h: what a backend implementation fills in (the vtable), the backend object and
 * the one definition of a buffer. Included by backend.c, ref.c and opencl*.c, and by tests
 * that count ops or build a fake backend; never by models or tasks, which see only backend.h.
 * A new backend is a new file that fills struct bb_backend_vtable and sets every buffer's be. */
#ifndef BB_BACKEND_IMPL_H
#define BB_BACKEND_IMPL_H

#include "backend/backend.h"

/* A buffer. be is the backend that allocated it: the bb_* wrappers refuse a buffer of another
 * backend with BB_E_INTERNAL before any backend code sees it. */
struct bb_buffer {
    struct bb_backend *be;
    void *mem;    /* opencl: the cl_mem; ref: NULL */
    size_t bytes; /* size asked for (the allocation may be rounded up) */
    void *host;   /* host memory behind it: ref's allocation, opencl's zero-copy memory on CPU
                     devices, else NULL */
};

struct bb_backend_vtable {
    const char *name;
    void (*free)(struct bb_backend *be);
    enum bb_status (*buffer_alloc)(struct bb_backend *be, size_t bytes, struct bb_buffer **out,
                                   struct bb_error *err);
    void (*buffer_free)(struct bb_backend *be, struct bb_buffer *buf);
    size_t (*buffer_bytes)(const struct bb_buffer *buf);
    enum bb_status (*upload)(struct bb_backend *be, struct bb_buffer *dst, size_t offset,
                             const void *src, size_t bytes, struct bb_error *err);
    /* Blocks until every op writing dst is done. */
    enum bb_status (*download)(struct bb_backend *be, struct bb_buffer *src, size_t offset,
                               void *dst, size_t bytes, struct bb_error *err);
    enum bb_status (*sync)(struct bb_backend *be, struct bb_error *err);
    /* Upload a linear weight: src is (n, k) of src_dtype (F32, F16 or BF16),
     * stored as `storage` (BB_F32 or BB_F16) in whatever layout matmul wants;
     * or src_dtype == storage == a quantised type: src is n rows of ggml blocks
     * (k a multiple of the block size), kept quantised (never widened). */
    enum bb_status (*weight_upload)(struct bb_backend *be, const void *src, enum bb_dtype src_dtype,
                                    int n, int k, enum bb_dtype storage, struct bb_weight *out,
                                    struct bb_error *err);
    /* Does this backend implement op for dtype (the weight's storage for matmul and get_rows,
     * BB_F32 for every other op)? The wrappers ask before every op. */
    bool (*supports_op)(struct bb_backend *be, enum bb_op_kind op, enum bb_dtype dtype);
    /* bb_backend_prepare; NULL: nothing to prepare */
    void (*prepare)(struct bb_backend *be, enum bb_kernel_set set);
    /* bb_backend_profile; NULL: the backend has no kernels to time */
    enum bb_status (*profile)(struct bb_backend *be, struct bb_profile *out, struct bb_error *err);

    /* ---- ops; argument meaning as in the bb_op_* wrappers below ---- */
    enum bb_status (*embed)(struct bb_backend *be, struct bb_buffer *ids, struct bb_buffer *pos,
                            struct bb_buffer *type_ids, struct bb_buffer *word,
                            struct bb_buffer *pos_emb, struct bb_buffer *type_emb,
                            struct bb_buffer *out, int n_tok, int c, struct bb_error *err);
    enum bb_status (*matmul)(struct bb_backend *be, struct bb_buffer *x, const struct bb_weight *w,
                             struct bb_buffer *bias, struct bb_buffer *residual,
                             struct bb_buffer *out, int m, enum bb_act act, struct bb_error *err);
    enum bb_status (*layernorm)(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *gamma,
                                struct bb_buffer *beta, struct bb_buffer *out, int m, int c,
                                float eps, struct bb_error *err);
    enum bb_status (*attention)(struct bb_backend *be, struct bb_buffer *qkv,
                                struct bb_buffer *lengths, struct bb_buffer *pos_bias,
                                struct bb_buffer *out, int b, int t, int n_head, int head_dim,
                                float scale, struct bb_error *err);
    enum bb_status (*pool)(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *lengths,
                           struct bb_buffer *out, int b, int t, int c, enum bb_pool_mode mode,
                           bool normalize, struct bb_error *err);
    /* decoder ops (after the encoder ones) */
    enum bb_status (*rmsnorm)(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g,
                              struct bb_buffer *out, int m, int c, float eps,
                              struct bb_error *err);
    enum bb_status (*rope)(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos,
                           int n_tok, int n_head, int head_dim, int n_rot, float base,
                           enum bb_rope_mode mode, struct bb_error *err);
    enum bb_status (*attn_causal)(struct bb_backend *be, struct bb_buffer *q, struct bb_buffer *k,
                                  struct bb_buffer *v, struct bb_buffer *out, int b, int tq,
                                  int n_past, int t_cap, int n_head, int n_kv_head, int head_dim,
                                  float scale, struct bb_error *err);
    enum bb_status (*kv_store)(struct bb_backend *be, struct bb_buffer *src,
                               struct bb_buffer *cache, int b, int tq, int n_past, int t_cap,
                               int c, struct bb_error *err);
    enum bb_status (*glu)(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out,
                          int m, int f, struct bb_error *err);
    enum bb_status (*logprobs)(struct bb_backend *be, struct bb_buffer *logits,
                               struct bb_buffer *tgt, struct bb_buffer *lp, struct bb_buffer *am,
                               int m, int n_vocab, struct bb_error *err);
    enum bb_status (*copy_rows)(struct bb_backend *be, struct bb_buffer *src, int src_row0,
                                struct bb_buffer *dst, int dst_row0, int n_rows, int c,
                                struct bb_error *err);
    enum bb_status (*get_rows)(struct bb_backend *be, const struct bb_weight *w,
                               struct bb_buffer *ids, struct bb_buffer *out, int n,
                               bool accumulate, struct bb_error *err);
};

struct bb_backend {
    const struct bb_backend_vtable *vt;
    struct bb_device_info info;
    uint64_t op_count[BB_OP_COUNT]; /* ops dispatched through this backend */
    void *impl;                     /* backend-private state */
};

#endif
