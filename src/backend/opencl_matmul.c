/* opencl_matmul.c: the OpenCL backend's GEMM: picks the tile variant for the
 * device (its -D build options), packs linear weights into the panels
 * kernels/matmul.cl reads, and enqueues the fused
 *   out (m, n) = act(x (m, k) W^T + bias) + residual.
 *
 * Packed layout: W (n, k) becomes ceil(n / NR) panels; panel p is (k, NR),
 * element [kk][j] = W[p*NR + j][kk], zero past n. Stored as float or half.
 * Variants (BIASBENCH_MATMUL_VARIANT overrides the automatic choice):
 *   cpu-avx2    4 x 24 tile, float8  (16 ymm registers: 12 accumulators)
 *   cpu-avx512  8 x 32 tile, float16 (32 zmm registers: 16 accumulators)
 *   cpu-sse     4 x 8 tile, float4
 *   gpu         2 x 8 tile, float4, 64 work-items per group
 * CPU variants use local size 1 (PoCL compiles once per local size, and
 * barriers/local memory are slow there). */
#include "backend/opencl_internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/log.h"

/* kernel flags, as kernels/matmul.cl defines them */
enum { MM_BIAS = 1, MM_RESIDUAL = 2, MM_GELU = 4, MM_GELU_TANH = 8, MM_SILU = 16 };

struct mm_variant {
    const char *name;
    int mr, nr;    /* tile rows (of x / out) and columns (panel width) */
    size_t local0; /* work-group size along the row-block dimension */
    const char *opts;
};

/* fast_erf: GELU's erf as a rational function (kernels/matmul.cl) on CPUs,
 * where the built-in one is several times dearer; GPUs have a cheap erf */
#define MM_OPTS(mr, nr, vw, ku, fast_erf)                                                     \
    " -DBB_MM_MR=" #mr " -DBB_MM_NR=" #nr " -DBB_MM_VW=" #vw " -DBB_MM_KU=" #ku             \
    " -DBB_MM_FAST_ERF=" #fast_erf
static const struct mm_variant mm_variants[] = {
    {"cpu-avx2", 4, 24, 1, MM_OPTS(4, 24, 8, 4, 1)},
    {"cpu-avx512", 8, 32, 1, MM_OPTS(8, 32, 16, 4, 1)},
    {"cpu-sse", 4, 8, 1, MM_OPTS(4, 8, 4, 4, 1)},
    {"gpu", 2, 8, 64, MM_OPTS(2, 8, 4, 4, 0)},
};
#define MM_N_VARIANTS (sizeof mm_variants / sizeof mm_variants[0])

/* opencl_matmul.c's private state behind bb_cl.matmul */
struct mm_state {
    const struct mm_variant *v;
};

/* The variant named by BIASBENCH_MATMUL_VARIANT, or NULL when unset/unknown. */
static const struct mm_variant *mm_variant_env(bool *unknown)
{
    const char *s = getenv("BIASBENCH_MATMUL_VARIANT");
    *unknown = false;
    if (!s || !*s || !strcmp(s, "auto"))
        return NULL;
    for (size_t i = 0; i < MM_N_VARIANTS; i++)
        if (!strcmp(s, mm_variants[i].name))
            return &mm_variants[i];
    *unknown = true;
    return NULL;
}

/* The variant for cl's device: env override, else by device type and the
 * preferred float vector width (8 on AVX2, 16 on AVX-512). */
static const struct mm_variant *mm_variant_pick(const struct bb_cl *cl)
{
    bool unknown;
    const struct mm_variant *v = mm_variant_env(&unknown);
    if (v)
        return v;
    cl_device_type type = CL_DEVICE_TYPE_CPU;
    cl_uint width = 8;
    clGetDeviceInfo(cl->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    clGetDeviceInfo(cl->device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof width, &width,
                    NULL);
    if (!(type & CL_DEVICE_TYPE_CPU))
        return &mm_variants[3];
    if (width >= 16)
        return &mm_variants[1];
    if (width >= 8)
        return &mm_variants[0];
    return &mm_variants[2];
}

const char *bb_cl_matmul_build_options(const struct bb_cl *cl)
{
    return mm_variant_pick(cl)->opts;
}

int bb_cl_matmul_mr(const struct bb_cl *cl)
{
    return mm_variant_pick(cl)->mr;
}

/* cl's matmul state, created on first use. */
static enum bb_status mm_state_get(struct bb_cl *cl, struct mm_state **out, struct bb_error *err)
{
    if (!cl->matmul) {
        bool unknown;
        mm_variant_env(&unknown);
        if (unknown)
            return bb_fail(err, BB_E_USAGE,
                           "BIASBENCH_MATMUL_VARIANT: expected auto, cpu-avx2, cpu-avx512, "
                           "cpu-sse or gpu, found '%s'",
                           getenv("BIASBENCH_MATMUL_VARIANT"));
        struct mm_state *st = calloc(1, sizeof *st);
        if (!st)
            return bb_fail(err, BB_E_NOMEM, "matmul: out of host memory");
        st->v = mm_variant_pick(cl);
        bb_debug("opencl matmul: variant %s (%s)", st->v->name, st->v->opts);
        cl->matmul = st;
    }
    *out = cl->matmul;
    return BB_OK;
}

void bb_cl_matmul_free(struct bb_cl *cl)
{
    free(cl->matmul);
    cl->matmul = NULL;
}

/* ---- host-side conversions ---- */

static float mm_load(const void *src, enum bb_dtype t, size_t i)
{
    switch (t) {
    case BB_F16: return bb_f16_to_f32(((const uint16_t *)src)[i]);
    case BB_BF16: return bb_bf16_to_f32(((const uint16_t *)src)[i]);
    default: return ((const float *)src)[i];
    }
}

/* packed (n_panels, k, nr) <- src (n, k), zero-padded columns past n */
static void mm_pack(const void *src, enum bb_dtype src_dtype, int n, int k, int nr,
                    enum bb_dtype storage, void *packed)
{
    int n_panels = (n + nr - 1) / nr;
    for (int p = 0; p < n_panels; p++)
        for (int kk = 0; kk < k; kk++)
            for (int j = 0; j < nr; j++) {
                int col = p * nr + j;
                float v = col < n ? mm_load(src, src_dtype, (size_t)col * k + kk) : 0.0f;
                size_t o = ((size_t)p * k + kk) * nr + j;
                if (storage == BB_F16)
                    ((uint16_t *)packed)[o] = bb_f32_to_f16(v);
                else
                    ((float *)packed)[o] = v;
            }
}

enum bb_status bb_cl_matmul_weight_upload(struct bb_cl *cl, const void *src,
                                          enum bb_dtype src_dtype, int n, int k,
                                          enum bb_dtype storage, struct bb_weight *out,
                                          struct bb_error *err)
{
    struct mm_state *st;
    void *packed = NULL;
    struct bb_buffer *buf = NULL;
    enum bb_status s;
    memset(out, 0, sizeof *out);
    if ((s = mm_state_get(cl, &st, err)))
        return s;
    if (!src || n < 1 || k < 1)
        return bb_fail(err, BB_E_INPUT, "weight upload: expected a (n, k) weight with n, k >= 1, "
                       "found (%d, %d)%s", n, k, src ? "" : " and no data");
    if (src_dtype != BB_F32 && src_dtype != BB_F16 && src_dtype != BB_BF16)
        return bb_fail(err, BB_E_UNSUPPORTED, "weight upload: source dtype %s: expected f32, "
                       "f16 or bf16", bb_dtype_name(src_dtype));
    if (storage != BB_F32 && storage != BB_F16)
        return bb_fail(err, BB_E_UNSUPPORTED, "weight upload: storage %s: expected f32 or f16",
                       bb_dtype_name(storage));
    size_t n_panels = ((size_t)n + st->v->nr - 1) / st->v->nr, esz = bb_dtype_size(storage);
    if ((size_t)k > SIZE_MAX / esz / st->v->nr / n_panels)
        return bb_fail(err, BB_E_INPUT, "weight upload: (%d, %d) is too large", n, k);
    size_t bytes = n_panels * st->v->nr * (size_t)k * esz;
    /* packed straight into the mapped buffer (on CPUs its own host memory): no staging copy,
     * which cost a MiniLM start about a tenth of its warm CPU time in page faults and memcpy */
    if ((s = bb_cl_buffer_new(cl, bytes, &buf, err)))
        goto done;
    cl_int rc;
    packed = clEnqueueMapBuffer(cl->queue, buf->mem, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, 0,
                                bytes, 0, NULL, NULL, &rc);
    if ((s = bb_cl_check(err, rc, "clEnqueueMapBuffer (matmul weight)")))
        goto done;
    mm_pack(src, src_dtype, n, k, st->v->nr, storage, packed);
    rc = clEnqueueUnmapMemObject(cl->queue, buf->mem, packed, 0, NULL, NULL);
    packed = NULL;
    if ((s = bb_cl_check(err, rc, "clEnqueueUnmapMemObject (matmul weight)")))
        goto done;
    out->buf = buf;
    out->n = n;
    out->k = k;
    out->dtype = storage;
    buf = NULL;
done:
    if (buf) { /* as opencl.c's buffer_free: the host side goes with the cl_mem */
        if (packed)
            clEnqueueUnmapMemObject(cl->queue, buf->mem, packed, 0, NULL, NULL);
        clReleaseMemObject(buf->mem);
        free(buf);
    }
    return s;
}

/* Check that buf holds at least `need` bytes for argument `what`. */
static enum bb_status mm_check_size(const struct bb_buffer *buf, size_t need, const char *what,
                                    struct bb_error *err)
{
    if (!buf)
        return bb_fail(err, BB_E_INTERNAL, "matmul: %s buffer missing", what);
    if (buf->bytes < need)
        return bb_fail(err, BB_E_INTERNAL, "matmul: %s buffer holds %zu bytes, expected %zu",
                       what, buf->bytes, need);
    return BB_OK;
}

static enum bb_status mm_check_args(struct bb_buffer *x, const struct bb_weight *w,
                                    struct bb_buffer *bias, struct bb_buffer *residual,
                                    struct bb_buffer *out, int m, struct bb_error *err)
{
    enum bb_status s;
    if (!w || !w->buf || w->n < 1 || w->k < 1 || (w->dtype != BB_F32 && w->dtype != BB_F16))
        return bb_fail(err, BB_E_INTERNAL, "matmul: weight was not uploaded by the opencl backend");
    if (m < 0 || (size_t)m > SIZE_MAX / sizeof(float) / (size_t)w->n / (size_t)w->k)
        return bb_fail(err, BB_E_INTERNAL, "matmul: bad row count %d", m);
    size_t mk = (size_t)m * w->k * sizeof(float), mn = (size_t)m * w->n * sizeof(float);
    if ((s = mm_check_size(x, mk, "x", err)) || (s = mm_check_size(out, mn, "out", err)))
        return s;
    if (bias && (s = mm_check_size(bias, (size_t)w->n * sizeof(float), "bias", err)))
        return s;
    if (residual && (s = mm_check_size(residual, mn, "residual", err)))
        return s;
    if (x == out || x->mem == out->mem)
        return bb_fail(err, BB_E_INTERNAL, "matmul: out must not alias x");
    return BB_OK;
}

/* Cache budget (KiB) for a row chunk's slice of x on CPUs: BIASBENCH_MM_CHUNK_KIB (0: one
 * launch per matmul), default 4096. At 4 MiB only the large GEMMs of a big batch are cut: for
 * MiniLM at batch 128 (m about 2,560) the FFN's down projection (k = 1536, x 15 MB) runs as four
 * launches of about 680 rows; the k = 384 GEMMs stay whole (m <= 2 chunks). Measured on 2 EPYC
 * Zen 3 cores (2026-12-07, idle, STS-B test, 6 vs 3 interleaved reps): batch 128 7.0-8.1 s
 * (median 7.1) against 7.7-8.1 s (median 8.0) unchunked; 1 and 2 MiB chunks, which cut every
 * GEMM, gained less; batch 32 is not cut. Output is bit-identical (tests/mm-chunk-t.sh). */
static int mm_chunk_kib(void)
{
    static int kib = -1;
    if (kib < 0) {
        const char *e = getenv("BIASBENCH_MM_CHUNK_KIB");
        kib = e && *e ? atoi(e) : 4096;
        if (kib < 0)
            kib = 0;
    }
    return kib;
}

enum bb_status bb_cl_matmul(struct bb_cl *cl, struct bb_buffer *x, const struct bb_weight *w,
                            struct bb_buffer *bias, struct bb_buffer *residual,
                            struct bb_buffer *out, int m, enum bb_act act, struct bb_error *err)
{
    struct mm_state *st;
    cl_kernel kern;
    enum bb_status s;
    if ((s = mm_state_get(cl, &st, err)) || (s = mm_check_args(x, w, bias, residual, out, m, err)))
        return s;
    if (m == 0)
        return BB_OK;
    const char *name = w->dtype == BB_F16 ? "bb_matmul_f16" : "bb_matmul_f32";
    if ((s = bb_cl_kernel(cl, name, &kern, err)))
        return s;
    int n = w->n, k = w->k;
    int flags = (bias ? MM_BIAS : 0) | (residual ? MM_RESIDUAL : 0) |
                (act == BB_ACT_GELU ? MM_GELU : 0) |
                (act == BB_ACT_GELU_TANH ? MM_GELU_TANH : 0) | (act == BB_ACT_SILU ? MM_SILU : 0);
    /* unused bias/residual slots get x: never read (flags), but a valid buffer */
    cl_mem args[5] = {x->mem, w->buf->mem, bias ? bias->mem : x->mem,
                      residual ? residual->mem : x->mem, out->mem};
    cl_int rc = CL_SUCCESS;
    for (cl_uint i = 0; i < 5; i++)
        rc |= clSetKernelArg(kern, i, sizeof(cl_mem), &args[i]);
    rc |= clSetKernelArg(kern, 5, sizeof(int), &m);
    rc |= clSetKernelArg(kern, 6, sizeof(int), &n);
    rc |= clSetKernelArg(kern, 7, sizeof(int), &k);
    rc |= clSetKernelArg(kern, 8, sizeof(int), &flags);
    if ((s = bb_cl_check(err, rc, "clSetKernelArg (matmul)")))
        return s;
    size_t l0 = st->v->local0, m_blocks = ((size_t)m + st->v->mr - 1) / st->v->mr;
    size_t local[2] = {l0, 1};
    size_t global[2] = {(m_blocks + l0 - 1) / l0 * l0, ((size_t)n + st->v->nr - 1) / st->v->nr};
    /* Work-groups run dimension 0 (row blocks) fastest, so one launch streams
     * all of x once per weight panel: fine while x stays in cache, not for
     * large m (batch 128 was slower than batch 32). On CPUs, optionally launch row chunks
     * whose slice of x fits in about chunk_kib of cache (global offset; each
     * chunk a whole number of work-groups, so no row is written twice). */
    size_t step = l0 * (size_t)st->v->mr, chunk = 0;
    if (cl->is_cpu && mm_chunk_kib() > 0) {
        chunk = (size_t)mm_chunk_kib() * 1024 / ((size_t)k * sizeof(float)) / step * step;
        if (chunk < step)
            chunk = step;
    }
    if (!chunk || (size_t)m <= 2 * chunk)
        return bb_cl_launch_at(cl, kern, 2, NULL, global, local, err);
    for (size_t r0 = 0; r0 < (size_t)m; r0 += chunk) {
        size_t rows = (size_t)m - r0 < chunk ? (size_t)m - r0 : chunk;
        size_t blocks = (rows + st->v->mr - 1) / st->v->mr;
        size_t off[2] = {r0 / st->v->mr, 0};
        size_t g[2] = {(blocks + l0 - 1) / l0 * l0, global[1]};
        if ((s = bb_cl_launch_at(cl, kern, 2, off, g, local, err)))
            return s;
    }
    return BB_OK;
}
