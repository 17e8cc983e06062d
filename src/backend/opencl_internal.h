/* opencl_internal.h: state shared between the OpenCL backend's files
 * (opencl.c: context, programs, buffers, small ops; opencl_matmul.c: the
 * register-blocked GEMM and its weight packing; opencl_decoder.c: the decoder
 * ops). Not a public header. */
#ifndef BB_OPENCL_INTERNAL_H
#define BB_OPENCL_INTERNAL_H

#include <CL/cl.h>

#include "backend/backend_impl.h"

/* Buffers are backend_impl.h's struct bb_buffer: mem is the cl_mem; on CPU devices host is the
 * zero-copy allocation behind it (CL_MEM_USE_HOST_PTR), else NULL. */

struct bb_cl {
    struct bb_backend *be;    /* the backend this is the state of (every buffer's owner) */
    cl_platform_id platform;
    cl_device_id device;
    cl_context ctx;
    cl_command_queue queue;   /* in-order; ops are enqueued without host syncs */
    void *progs;              /* opencl.c's programs, one per kernel-file group, built on use */
    bool is_cpu;              /* CL_DEVICE_TYPE_CPU: zero-copy host buffers */
    double build_seconds;     /* program build (or binary load) time so far, all programs */
    bool cache_hit;           /* every program built so far came from the binary cache */
    void *kernels;            /* opencl.c's name -> cl_kernel table */
    void *matmul;             /* opencl_matmul.c's private state (tuning params) */
    void *prof;               /* opencl.c's kernel-time table when BIASBENCH_PROFILE is set */
};

/* The bb_cl of an OpenCL backend (be->impl). */
static inline struct bb_cl *bb_cl_of(struct bb_backend *be) { return (struct bb_cl *)be->impl; }

/* Name of an OpenCL error code, e.g. "CL_OUT_OF_RESOURCES". */
const char *bb_cl_error_name(cl_int rc);
/* If rc != CL_SUCCESS record "<call> failed: <CL name> (<rc>)" as BB_E_DEVICE and return it. */
enum bb_status bb_cl_check_at(struct bb_error *err, cl_int rc, const char *call, const char *file,
                              int line);
#define bb_cl_check(err, rc, call) bb_cl_check_at((err), (rc), (call), __FILE__, __LINE__)

/* The kernel `name` (created once, cached), building its file's program on first use; a
 * build failure is BB_E_DEVICE with the build log. */
enum bb_status bb_cl_kernel(struct bb_cl *cl, const char *name, cl_kernel *out,
                            struct bb_error *err);
/* Set args then enqueue an NDRange kernel (no host sync). local may be NULL. */
enum bb_status bb_cl_launch(struct bb_cl *cl, cl_kernel k, cl_uint dims, const size_t *global,
                            const size_t *local, struct bb_error *err);
/* The same with a global work offset (NULL: none). */
enum bb_status bb_cl_launch_at(struct bb_cl *cl, cl_kernel k, cl_uint dims, const size_t *offset,
                               const size_t *global, const size_t *local, struct bb_error *err);
/* One kernel argument, set in order: a cl_mem or a 4-byte scalar. */
struct bb_cl_arg {
    size_t size;
    const void *ptr;
};
#define BB_CL_MEM(b) ((struct bb_cl_arg){sizeof(cl_mem), &(b)->mem})
#define BB_CL_INT(v) ((struct bb_cl_arg){sizeof(cl_int), &(cl_int){(v)}})
#define BB_CL_FLT(v) ((struct bb_cl_arg){sizeof(cl_float), &(cl_float){(v)}})
/* Look up `name`, set its nargs arguments, enqueue it over global rounded up to
 * local (nothing when a global size is 0). */
enum bb_status bb_cl_run(struct bb_cl *cl, const char *name, const struct bb_cl_arg *args,
                         int nargs, cl_uint dims, const size_t *global, const size_t *local,
                         struct bb_error *err);
/* Allocate a buffer (zero-copy on CPU devices). */
enum bb_status bb_cl_buffer_new(struct bb_cl *cl, size_t bytes, struct bb_buffer **out,
                                struct bb_error *err);

/* ---- opencl_matmul.c ---- */
/* Build options (#defines of tile sizes) the GEMM kernels need; appended to
 * the program's options by opencl.c before building. */
const char *bb_cl_matmul_build_options(const struct bb_cl *cl);
/* Pack and upload a linear weight (n, k) as the GEMM kernel wants it. */
enum bb_status bb_cl_matmul_weight_upload(struct bb_cl *cl, const void *src,
                                          enum bb_dtype src_dtype, int n, int k,
                                          enum bb_dtype storage, struct bb_weight *out,
                                          struct bb_error *err);
/* out (m, n) = act(x (m, k) W^T + bias) + residual; enqueued, no host sync. */
enum bb_status bb_cl_matmul(struct bb_cl *cl, struct bb_buffer *x, const struct bb_weight *w,
                            struct bb_buffer *bias, struct bb_buffer *residual,
                            struct bb_buffer *out, int m, enum bb_act act, struct bb_error *err);
void bb_cl_matmul_free(struct bb_cl *cl);
/* Rows of x per work-item of the device's GEMM variant (BB_MM_MR). */
int bb_cl_matmul_mr(const struct bb_cl *cl);

/* ---- opencl_quant.c ---- */
/* Upload n rows of ggml blocks of quantised type t (kept quantised). */
enum bb_status bb_cl_quant_weight_upload(struct bb_cl *cl, const void *src, enum bb_dtype t,
                                         int n, int k, struct bb_weight *out,
                                         struct bb_error *err);
/* bb_cl_matmul for a weight of a quantised dtype. */
enum bb_status bb_cl_quant_matmul(struct bb_cl *cl, struct bb_buffer *x, const struct bb_weight *w,
                                  struct bb_buffer *bias, struct bb_buffer *residual,
                                  struct bb_buffer *out, int m, enum bb_act act,
                                  struct bb_error *err);
/* out (n, w->k) (+)= rows ids[i] (clamped) of any weight this backend uploaded. */
enum bb_status bb_cl_get_rows(struct bb_cl *cl, const struct bb_weight *w, struct bb_buffer *ids,
                              struct bb_buffer *out, int n, bool accumulate,
                              struct bb_error *err);

/* ---- opencl_decoder.c: the decoder ops (vtable entries; see backend.h) ---- */
enum bb_status bb_cl_rmsnorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g,
                             struct bb_buffer *out, int m, int c, float eps, struct bb_error *err);
enum bb_status bb_cl_rope(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos,
                          int n_tok, int n_head, int head_dim, int n_rot, float base,
                          enum bb_rope_mode mode, struct bb_error *err);
enum bb_status bb_cl_attn_causal(struct bb_backend *be, struct bb_buffer *q, struct bb_buffer *k,
                                 struct bb_buffer *v, struct bb_buffer *out, int b, int tq,
                                 int n_past, int t_cap, int n_head, int n_kv_head, int head_dim,
                                 float scale, struct bb_error *err);
enum bb_status bb_cl_kv_store(struct bb_backend *be, struct bb_buffer *src,
                              struct bb_buffer *cache, int b, int tq, int n_past, int t_cap,
                              int c, struct bb_error *err);
enum bb_status bb_cl_glu(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out, int m,
                         int f, struct bb_error *err);
enum bb_status bb_cl_copy_rows(struct bb_backend *be, struct bb_buffer *src, int src_row0,
                               struct bb_buffer *dst, int dst_row0, int n_rows, int c,
                               struct bb_error *err);
enum bb_status bb_cl_logprobs(struct bb_backend *be, struct bb_buffer *logits,
                              struct bb_buffer *tgt, struct bb_buffer *lp, struct bb_buffer *am,
                              int m, int n_vocab, struct bb_error *err);

#endif
