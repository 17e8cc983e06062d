/* opencl_matmul_stub.c: TEMPORARY simple, correct implementation of the
 * bb_cl_matmul_* functions (naive kernels/matmul_naive.cl, weights stored
 * (n, k) row-major) so the backend and its tests work until the
 * register-blocked opencl_matmul.c lands; then this file, its Makefile.am
 * line and kernels/matmul_naive.cl are removed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/opencl_internal.h"

const char *bb_cl_matmul_build_options(const struct bb_cl *cl)
{
    (void)cl;
    return "";
}

static float stub_half_to_float(uint16_t h)
{
    int exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v = exp == 0 ? ldexpf((float)man, -24)
              : exp == 31 ? (man ? NAN : INFINITY)
                          : ldexpf((float)(man | 0x400), exp - 25);
    return (h >> 15) ? -v : v;
}

/* Round to nearest even. */
static uint16_t stub_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    float a = fabsf(f);
    if (isnan(f))
        return sign | 0x7e00;
    if (a >= 65520.0f)
        return sign | 0x7c00;
    if (a < 6.103515625e-05f)
        return sign | (uint16_t)nearbyintf(a * 16777216.0f);
    uint32_t ax;
    memcpy(&ax, &a, 4);
    uint32_t mant = ax & 0x7fffff, e = (ax >> 23) - 127 + 15;
    uint32_t h = (e << 10) | (mant >> 13), rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
    return sign | (uint16_t)h;
}

static float stub_src_elem(const void *src, enum bb_dtype t, size_t i)
{
    if (t == BB_F32)
        return ((const float *)src)[i];
    uint16_t h;
    memcpy(&h, (const char *)src + 2 * i, 2);
    if (t == BB_F16)
        return stub_half_to_float(h);
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

enum bb_status bb_cl_matmul_weight_upload(struct bb_cl *cl, const void *src,
                                          enum bb_dtype src_dtype, int n, int k,
                                          enum bb_dtype storage, struct bb_weight *out,
                                          struct bb_error *err)
{
    if (src_dtype != BB_F32 && src_dtype != BB_F16 && src_dtype != BB_BF16)
        return bb_fail(err, BB_E_UNSUPPORTED, "opencl: weight source dtype %s",
                       bb_dtype_name(src_dtype));
    if (n <= 0 || k <= 0)
        return bb_fail(err, BB_E_INTERNAL, "opencl: weight shape (%d, %d)", n, k);
    size_t count = (size_t)n * (size_t)k, bytes = count * bb_dtype_size(storage);
    void *host = malloc(bytes);
    struct bb_buffer *buf = NULL;
    enum bb_status st = BB_OK;
    if (!host) {
        st = bb_fail(err, BB_E_NOMEM, "opencl: cannot stage a (%d, %d) weight", n, k);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        float v = stub_src_elem(src, src_dtype, i);
        if (storage == BB_F16)
            ((uint16_t *)host)[i] = stub_float_to_half(v);
        else
            ((float *)host)[i] = v;
    }
    if ((st = bb_cl_buffer_new(cl, bytes, &buf, err)))
        goto done;
    st = bb_cl_check(err, clEnqueueWriteBuffer(cl->queue, buf->mem, CL_TRUE, 0, bytes, host, 0,
                                               NULL, NULL),
                     "clEnqueueWriteBuffer(weight)");
    if (st) {
        clReleaseMemObject(buf->mem);
        free(buf);
        goto done;
    }
    out->buf = buf;
    out->n = n;
    out->k = k;
    out->dtype = storage;
done:
    free(host);
    return st;
}

enum bb_status bb_cl_matmul(struct bb_cl *cl, struct bb_buffer *x, const struct bb_weight *w,
                            struct bb_buffer *bias, struct bb_buffer *residual,
                            struct bb_buffer *out, int m, enum bb_act act, struct bb_error *err)
{
    cl_kernel kern;
    enum bb_status st = bb_cl_kernel(
        cl, w->dtype == BB_F16 ? "bb_matmul_naive_f16" : "bb_matmul_naive_f32", &kern, err);
    if (st)
        return st;
    cl_int has_bias = bias != NULL, has_res = residual != NULL, gelu = act == BB_ACT_GELU;
    cl_int mm = m, n = w->n, k = w->k;
    cl_mem bmem = bias ? bias->mem : out->mem, rmem = residual ? residual->mem : out->mem;
    cl_int rc = clSetKernelArg(kern, 0, sizeof(cl_mem), &x->mem);
    rc |= clSetKernelArg(kern, 1, sizeof(cl_mem), &w->buf->mem);
    rc |= clSetKernelArg(kern, 2, sizeof(cl_mem), &bmem);
    rc |= clSetKernelArg(kern, 3, sizeof(cl_mem), &rmem);
    rc |= clSetKernelArg(kern, 4, sizeof(cl_mem), &out->mem);
    rc |= clSetKernelArg(kern, 5, sizeof mm, &mm);
    rc |= clSetKernelArg(kern, 6, sizeof n, &n);
    rc |= clSetKernelArg(kern, 7, sizeof k, &k);
    rc |= clSetKernelArg(kern, 8, sizeof has_bias, &has_bias);
    rc |= clSetKernelArg(kern, 9, sizeof has_res, &has_res);
    rc |= clSetKernelArg(kern, 10, sizeof gelu, &gelu);
    if ((st = bb_cl_check(err, rc, "clSetKernelArg(bb_matmul_naive)")))
        return st;
    size_t local[2] = {16, 16};
    size_t global[2] = {((size_t)n + 15) / 16 * 16, ((size_t)m + 15) / 16 * 16};
    if (m == 0)
        return BB_OK;
    return bb_cl_launch(cl, kern, 2, global, local, err);
}

void bb_cl_matmul_free(struct bb_cl *cl) { (void)cl; }
