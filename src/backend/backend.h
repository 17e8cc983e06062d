/* backend.h: the compute backend interface (a vtable, like ggml-backend).
 *
 * A backend owns device buffers and executes ops on them. It knows nothing of
 * models or tasks. Two implementations: "ref" (plain C, the test oracle) and
 * "opencl" (the product). Models call the bb_op_* wrappers below, which check
 * supports_op, count every op per backend, and dispatch; a backend that lacks
 * an op returns BB_E_UNSUPPORTED and never falls back to another backend.
 *
 * The wrappers also check every op's arguments once, for all backends: counts
 * (tokens, rows, batch, time) >= 0, sizes (channels, heads, head_dim) > 0,
 * no NULL required buffer, every buffer large enough for the shapes, and at
 * most 2^31 - 1 elements per buffer (kernels index with int). Uploads and
 * downloads are checked against the buffer's size.
 *
 * Conventions: activations are float32, row-major, contiguous. A "(M, K)"
 * comment means M rows of K floats. Ops are enqueued asynchronously;
 * bb_backend_download and bb_backend_sync are the only host sync points. */
#ifndef BB_BACKEND_H
#define BB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/profile.h"
#include "core/status.h"

/* Element types of buffers and weights. The quantised types are ggml's block
 * formats (as stored in GGUF files): a row of n elements is n / block_size
 * blocks of block_bytes each; n must be a multiple of the block size. */
enum bb_dtype {
    BB_F32 = 0, BB_F16, BB_BF16, BB_I32,
    BB_Q8_0, BB_Q4_0, BB_Q4_1, BB_Q5_0, BB_Q5_1, /* 32-element blocks */
    BB_Q4_K, BB_Q5_K, BB_Q6_K,                   /* 256-element super-blocks */
    BB_DTYPE_COUNT
};
/* Bytes per element of an unblocked type (F32, F16, BF16, I32); 0 for a quantised type. */
size_t bb_dtype_size(enum bb_dtype t);
const char *bb_dtype_name(enum bb_dtype t);
int bb_dtype_block_size(enum bb_dtype t);     /* elements per block: 1 for unblocked types */
size_t bb_dtype_block_bytes(enum bb_dtype t); /* bytes per block */
bool bb_dtype_is_quant(enum bb_dtype t);
/* Bytes of a row of n elements (n a multiple of the block size, else 0). */
size_t bb_dtype_row_bytes(enum bb_dtype t, int64_t n);

enum bb_op_kind {
    BB_OP_EMBED = 0, /* token + position + type embedding sum      */
    BB_OP_MATMUL,    /* y = act(x W^T + b) + r                     */
    BB_OP_LAYERNORM, /* y = (x - mean) / sqrt(var + eps) * g + b   */
    BB_OP_ATTENTION, /* multi-head softmax(QK^T*s + mask + bias) V */
    BB_OP_POOL,      /* mean / CLS pooling, optional L2 normalise  */
    /* decoder (causal LM) ops */
    BB_OP_RMSNORM,     /* y = x / sqrt(mean x^2 + eps) * g            */
    BB_OP_ROPE,        /* rotary position embedding, in place         */
    BB_OP_ATTN_CAUSAL, /* causal grouped-query attention over a KV cache */
    BB_OP_KV_STORE,    /* rows of a KV cache = new keys / values      */
    BB_OP_GLU,         /* y = silu(gate) * up                         */
    BB_OP_LOGPROBS,    /* per-row target log-probability and argmax   */
    BB_OP_COPY_ROWS,   /* dst rows = src rows (a range of each)       */
    BB_OP_GET_ROWS,  /* rows of a (possibly quantised) weight      */
    BB_OP_COUNT
};
const char *bb_op_name(enum bb_op_kind op);

enum bb_act {
    BB_ACT_NONE = 0,
    BB_ACT_GELU,      /* exact erf GELU */
    BB_ACT_GELU_TANH, /* GPT-2's tanh GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    BB_ACT_SILU       /* x / (1 + exp(-x)) */
};
/* Rotary embedding pairing: which two dims of a head rotate together. */
enum bb_rope_mode {
    BB_ROPE_NORM = 0, /* ggml NORM: pairs (2i, 2i+1), for GGUF llama */
    BB_ROPE_NEOX      /* rotate-half: pairs (i, i + n_rot/2), HF llama/qwen2 */
};
enum bb_pool_mode { BB_POOL_MEAN = 0, BB_POOL_CLS };

struct bb_backend;
struct bb_buffer; /* opaque (backend_impl.h); belongs to the backend that allocated it: passing
                     it to another backend is BB_E_INTERNAL */

/* A linear layer's weight in the backend's preferred layout (it may repack
 * into panels at upload). Logical shape (N, K): N outputs, K inputs, as in
 * PyTorch nn.Linear.weight. */
struct bb_weight {
    struct bb_buffer *buf;
    int n, k;
    enum bb_dtype dtype; /* storage: BB_F32, BB_F16, or a quantised type (kept as blocks) */
};

struct bb_device_info {
    char name[256];
    char vendor[256];
    char driver[256];   /* driver version string */
    char platform[256];
    char version[256];  /* device OpenCL version, or "plain C" for ref */
    int compute_units;
    uint64_t global_mem;
    uint64_t max_alloc;
    double build_seconds; /* OpenCL program build (or binary cache load) time; 0 for ref */
    bool program_cached;  /* the OpenCL program came from biasbench's binary cache */
    char kernel_sha256[65]; /* kernel sources read from a folder (BIASBENCH_KERNEL_DIR): their
                               sha256, for result-cache keys; "" for the embedded copies */
};

/* The calls every backend answers besides the ops: its name and device, how many ops of each
 * kind it has run (tests read this to prove there was no fallback), and whether it implements
 * an op for an element type (dtype: the weight's storage for matmul and get_rows, BB_F32 for
 * the activation ops). */
const char *bb_backend_name(const struct bb_backend *be);
const struct bb_device_info *bb_backend_info(const struct bb_backend *be);
uint64_t bb_backend_op_count(const struct bb_backend *be, enum bb_op_kind op);
bool bb_backend_supports(struct bb_backend *be, enum bb_op_kind op, enum bb_dtype dtype);

/* ---- creation ---- */
struct bb_backend_opts {
    const char *device;      /* OpenCL device selector: "auto", an index "0"/"1:0"
                                (platform:device), or a case-insensitive substring of the
                                device or platform name */
    const char *kernel_dir;  /* NULL: $BIASBENCH_KERNEL_DIR, else the embedded kernels */
    const char *cache_dir;   /* program binary cache; NULL: the per-user cache, except on PoCL,
                                which caches programs itself; "" disables */
    bool profile;            /* time every kernel launch with OpenCL events (bb_backend_profile);
                                also on when $BIASBENCH_PROFILE is set (then printed at exit) */
    bool no_prebuilt;        /* ignore the prebuilt kernels (opencl.c: prebuilt_dir_of) */
};
/* name: "ref" or "opencl". Unknown name -> BB_E_USAGE. No OpenCL platform or
 * no matching device -> BB_E_NODEVICE. */
enum bb_status bb_backend_create(const char *name, const struct bb_backend_opts *opts,
                                 struct bb_backend **out, struct bb_error *err);
void bb_backend_free(struct bb_backend *be);

enum bb_status bb_backend_ref_create(struct bb_backend **out, struct bb_error *err);
enum bb_status bb_backend_opencl_create(const struct bb_backend_opts *opts,
                                        struct bb_backend **out, struct bb_error *err);
/* Build every kernel group program for the device opts selects, from source, and store the
 * binaries in dir (the prebuilt kernels `make` installs); *n: programs stored. */
enum bb_status bb_opencl_prebuild(const struct bb_backend_opts *opts, const char *dir, int *n,
                                  struct bb_error *err);
/* Print every OpenCL platform and device, and which one `auto` picks. */
enum bb_status bb_opencl_list_devices(FILE *out, struct bb_error *err);

/* Kernel times so far (waits for the launches in flight), most time first, into out (free with
 * bb_profile_free). BB_E_USAGE when the backend was not created with profiling or has no
 * kernels (ref). */
enum bb_status bb_backend_profile(struct bb_backend *be, struct bb_profile *out,
                                  struct bb_error *err);

/* The kernels a model family launches; bb_backend_prepare's argument. */
enum bb_kernel_set { BB_KERNELS_ENCODER, BB_KERNELS_DECODER };
/* A hint, given before a model's weights load: start building the kernels `set` needs now,
 * beside the load (the OpenCL backend builds that program on a thread of its own; others do
 * nothing). Never fails: a build error surfaces at the first launch, as without the hint. */
void bb_backend_prepare(struct bb_backend *be, enum bb_kernel_set set);

/* ---- buffers ---- */
enum bb_status bb_buffer_alloc(struct bb_backend *be, size_t bytes, struct bb_buffer **out,
                               struct bb_error *err);
void bb_buffer_free(struct bb_backend *be, struct bb_buffer *buf);
enum bb_status bb_backend_upload(struct bb_backend *be, struct bb_buffer *dst, size_t offset,
                                 const void *src, size_t bytes, struct bb_error *err);
enum bb_status bb_backend_download(struct bb_backend *be, struct bb_buffer *src, size_t offset,
                                   void *dst, size_t bytes, struct bb_error *err);
enum bb_status bb_backend_sync(struct bb_backend *be, struct bb_error *err);
enum bb_status bb_weight_upload(struct bb_backend *be, const void *src, enum bb_dtype src_dtype,
                                int n, int k, enum bb_dtype storage, struct bb_weight *out,
                                struct bb_error *err);
void bb_weight_free(struct bb_backend *be, struct bb_weight *w);

/* ---- ops ---- */

/* out (n_tok, c) = word[ids[i]] + pos_emb[pos[i]] + type_emb[type_ids[i]]
 * ids, pos, type_ids: int32 (n_tok); type_ids may be NULL (type 0).
 * word (V, c), pos_emb (P, c), type_emb (n_types, c): float32. */
enum bb_status bb_op_embed(struct bb_backend *be, struct bb_buffer *ids, struct bb_buffer *pos,
                           struct bb_buffer *type_ids, struct bb_buffer *word,
                           struct bb_buffer *pos_emb, struct bb_buffer *type_emb,
                           struct bb_buffer *out, int n_tok, int c, struct bb_error *err);

/* out (m, n) = act(x (m, k) . W^T + bias (n)) + residual (m, n)
 * W is (n, k); bias and residual may be NULL. out must not alias x;
 * it may alias residual. */
enum bb_status bb_op_matmul(struct bb_backend *be, struct bb_buffer *x, const struct bb_weight *w,
                            struct bb_buffer *bias, struct bb_buffer *residual,
                            struct bb_buffer *out, int m, enum bb_act act, struct bb_error *err);

/* out (m, c) = layernorm over each row of x (m, c); gamma, beta (c). out may alias x. */
enum bb_status bb_op_layernorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *gamma,
                               struct bb_buffer *beta, struct bb_buffer *out, int m, int c,
                               float eps, struct bb_error *err);

/* Multi-head self-attention over a padded batch.
 * qkv (b*t, 3*c) with c = n_head*head_dim: row = [q | k | v], head h uses
 *   columns h*head_dim .. (h+1)*head_dim-1 of each part.
 * lengths int32 (b): tokens j >= lengths[bi] are padding and masked out as keys.
 * pos_bias (n_head, t, t) float32 added to the scores, or NULL.
 * out (b*t, c): out[bi,i,h] = sum_j softmax_j(scale * q_i.k_j + pos_bias[h,i,j]) v_j.
 * Rows i >= lengths[bi] are written with finite values (contents unspecified). */
enum bb_status bb_op_attention(struct bb_backend *be, struct bb_buffer *qkv,
                               struct bb_buffer *lengths, struct bb_buffer *pos_bias,
                               struct bb_buffer *out, int b, int t, int n_head, int head_dim,
                               float scale, struct bb_error *err);

/* out (b, c) = pool over the first lengths[bi] rows of x (b*t, c):
 * MEAN averages them, CLS takes row 0; then optionally divides by the L2 norm
 * (max(norm, 1e-12), as torch.nn.functional.normalize). */
enum bb_status bb_op_pool(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *lengths,
                          struct bb_buffer *out, int b, int t, int c, enum bb_pool_mode mode,
                          bool normalize, struct bb_error *err);

/* ---- decoder ops (Llama, Qwen2, GPT-2) ---- */

/* out (m, c) = x / sqrt(mean_j x^2 + eps) * g; x (m, c), g (c) float32. out may alias x. */
enum bb_status bb_op_rmsnorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g,
                             struct bb_buffer *out, int m, int c, float eps,
                             struct bb_error *err);

/* Rotary position embedding, in place on x (n_tok, n_head*head_dim): for each
 * token r at position pos[r] (int32 buffer, n_tok) and each head, rotate the
 * first n_rot dims of the head (the rest are unchanged):
 *   theta_i = pos * base^(-2i/n_rot), i in 0 .. n_rot/2-1,
 *   (a, b) -> (a cos theta_i - b sin theta_i, a sin theta_i + b cos theta_i)
 * where (a, b) is dims (2i, 2i+1) for BB_ROPE_NORM and (i, i + n_rot/2) for
 * BB_ROPE_NEOX. n_rot even, 0 < n_rot <= head_dim. */
enum bb_status bb_op_rope(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos,
                          int n_tok, int n_head, int head_dim, int n_rot, float base,
                          enum bb_rope_mode mode, struct bb_error *err);

/* Causal grouped-query attention over a KV cache.
 * q (b*tq, n_head*hd); k, v (b, t_cap, n_kv_head*hd): sequence bi's row j is
 *   row bi*t_cap + j; rows 0 .. n_past+tq-1 are valid (n_past + tq <= t_cap).
 * Query i of sequence bi is at position n_past+i and attends keys j <= n_past+i;
 * head h reads KV head h / (n_head / n_kv_head) (n_head % n_kv_head == 0).
 * out (b*tq, n_head*hd) = softmax_j(scale * q.k_j) v_j, in f32 with max
 * subtraction. For scoring pass the whole batch's k and v with n_past = 0,
 * t_cap = tq. out must not alias q, k or v. */
enum bb_status bb_op_attn_causal(struct bb_backend *be, struct bb_buffer *q, struct bb_buffer *k,
                                 struct bb_buffer *v, struct bb_buffer *out, int b, int tq,
                                 int n_past, int t_cap, int n_head, int n_kv_head, int head_dim,
                                 float scale, struct bb_error *err);

/* cache (b, t_cap, c): rows n_past .. n_past+tq-1 of each sequence = src (b*tq, c)
 * (n_past + tq <= t_cap). src must not alias cache. */
enum bb_status bb_op_kv_store(struct bb_backend *be, struct bb_buffer *src,
                              struct bb_buffer *cache, int b, int tq, int n_past, int t_cap,
                              int c, struct bb_error *err);

/* out (m, f) = silu(x[:, :f]) * x[:, f:2f]; x (m, 2f) is the fused gate|up
 * projection, gate first. out must not alias x. */
enum bb_status bb_op_glu(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out, int m,
                         int f, struct bb_error *err);

/* For each row i of logits (m, n_vocab) float32:
 *   lp[i] = logits[i, tgt[i]] - logsumexp_j logits[i, j]  (0 when tgt[i] < 0),
 *   am[i] = argmax_j logits[i, j] (the lowest index on ties).
 * tgt int32 (m), lp float32 (m), am int32 (m) or NULL. Only lp and am need
 * come back to the host, never a vocabulary row. A target >= n_vocab is an
 * input error: ref fails with BB_E_INPUT, opencl writes NaN to lp[i]. */
enum bb_status bb_op_logprobs(struct bb_backend *be, struct bb_buffer *logits,
                              struct bb_buffer *tgt, struct bb_buffer *lp, struct bb_buffer *am,
                              int m, int n_vocab, struct bb_error *err);

/* dst rows dst_row0 .. dst_row0+n_rows-1 = src rows src_row0 .. src_row0+n_rows-1,
 * rows of c floats; src and dst distinct buffers. (The LM head reads a chunk of
 * the hidden states this way.) */
enum bb_status bb_op_copy_rows(struct bb_backend *be, struct bb_buffer *src, int src_row0,
                               struct bb_buffer *dst, int dst_row0, int n_rows, int c,
                               struct bb_error *err);
/* out (n, w->k) (+)= dequantised rows w[ids[i]] of a weight (any dtype the
 * backend supports for weights); ids int32 (n). An id outside [0, w->n) is an
 * error (BB_E_INPUT) where the backend can see it on the host (ref), else it
 * is clamped into range (OpenCL). accumulate: add into out instead of
 * overwriting (GPT-2 adds position embeddings this way). */
enum bb_status bb_op_get_rows(struct bb_backend *be, const struct bb_weight *w,
                              struct bb_buffer *ids, struct bb_buffer *out, int n,
                              bool accumulate, struct bb_error *err);

#endif
