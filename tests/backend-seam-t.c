/* backend-seam-t.c: the backend seam (issue 7): a buffer or weight used on a backend that did not
 * allocate it is refused with BB_E_INTERNAL before any backend code runs (ref with ref, ref with
 * opencl both ways), freeing through the wrong backend still frees it with its owner, and
 * supports_op answers per element type (matmul on f16 and quantised weights, activation ops on
 * f32 only), which the op wrappers enforce with BB_E_UNSUPPORTED. */
#include <string.h>

#include "backend/backend.h"
#include "tap.h"

static void must(enum bb_status st, const struct bb_error *err, const char *what)
{
    if (st)
        bail("%s: %s", what, err->msg);
}

/* a's buffers used on b: every entry point refuses them and names the owner. */
static void cross_use(struct bb_backend *a, struct bb_backend *b, const char *owner)
{
    struct bb_error err = {0};
    struct bb_buffer *xa, *xb, *yb, *ga, *oa;
    float row[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    must(bb_buffer_alloc(a, sizeof row, &xa, &err), &err, "alloc");
    must(bb_buffer_alloc(b, sizeof row, &xb, &err), &err, "alloc");
    must(bb_buffer_alloc(b, sizeof row, &yb, &err), &err, "alloc");
    must(bb_buffer_alloc(a, sizeof row, &ga, &err), &err, "alloc");
    must(bb_buffer_alloc(a, sizeof row, &oa, &err), &err, "alloc");
    const char *bn = bb_backend_name(b);

    memset(&err, 0, sizeof err);
    is_int(BB_E_INTERNAL, bb_backend_upload(b, xa, 0, row, sizeof row, &err),
           "%s buffer uploaded through %s -> BB_E_INTERNAL", owner, bn);
    contains(err.msg, owner, "the message names the owning backend (%s)", err.msg);
    memset(&err, 0, sizeof err);
    is_int(BB_E_INTERNAL, bb_backend_download(b, xa, 0, row, sizeof row, &err),
           "%s buffer downloaded through %s -> BB_E_INTERNAL", owner, bn);
    memset(&err, 0, sizeof err);
    uint64_t before = bb_backend_op_count(b, BB_OP_LAYERNORM);
    is_int(BB_E_INTERNAL, bb_op_layernorm(b, xb, ga, ga, xb, 1, 8, 1e-5f, &err),
           "%s gamma in a %s layernorm -> BB_E_INTERNAL", owner, bn);
    contains(err.msg, "'gamma'", "the message names the argument (%s)", err.msg);
    memset(&err, 0, sizeof err);
    is_int(BB_E_INTERNAL, bb_op_layernorm(b, xa, ga, ga, oa, 1, 8, 1e-5f, &err),
           "every buffer of another backend -> BB_E_INTERNAL");
    is_int((long long)before + 2, (long long)bb_backend_op_count(b, BB_OP_LAYERNORM),
           "op counts are the backend's own (refused calls included)");

    struct bb_weight w;
    float wsrc[2 * 8] = {0};
    must(bb_weight_upload(a, wsrc, BB_F32, 2, 8, BB_F32, &w, &err), &err, "weight");
    memset(&err, 0, sizeof err);
    is_int(BB_E_INTERNAL, bb_op_matmul(b, xb, &w, NULL, NULL, yb, 1, BB_ACT_NONE, &err),
           "%s weight in a %s matmul -> BB_E_INTERNAL", owner, bn);
    contains(err.msg, "'weight'", "the message names the weight (%s)", err.msg);
    memset(&err, 0, sizeof err);
    is_int(BB_E_INTERNAL, bb_op_get_rows(b, &w, xb, xb, 1, false, &err),
           "%s weight in a %s get_rows -> BB_E_INTERNAL", owner, bn);

    /* freeing through the wrong backend frees with the owner (ASan/LSan check the rest) */
    bb_weight_free(b, &w);
    ok(w.buf == NULL, "a weight freed through the wrong backend is released");
    bb_buffer_free(b, xa);
    bb_buffer_free(a, ga);
    bb_buffer_free(a, oa);
    bb_buffer_free(b, xb);
    bb_buffer_free(b, yb);
}

/* supports_op per dtype, and the wrappers refusing what it refuses. */
static void dtypes(struct bb_backend *be)
{
    const char *n = bb_backend_name(be);
    ok(bb_backend_supports(be, BB_OP_MATMUL, BB_F32) &&
           bb_backend_supports(be, BB_OP_MATMUL, BB_F16),
       "%s: matmul on f32 and f16 weights", n);
    ok(bb_backend_supports(be, BB_OP_MATMUL, BB_Q4_1) &&
           bb_backend_supports(be, BB_OP_MATMUL, BB_Q6_K) &&
           bb_backend_supports(be, BB_OP_GET_ROWS, BB_Q8_0),
       "%s: matmul and get_rows on quantised weights", n);
    ok(!bb_backend_supports(be, BB_OP_MATMUL, BB_BF16) &&
           !bb_backend_supports(be, BB_OP_MATMUL, BB_I32),
       "%s: no matmul on bf16 or i32 weights (bf16 is widened at upload)", n);
    ok(bb_backend_supports(be, BB_OP_ATTENTION, BB_F32) &&
           !bb_backend_supports(be, BB_OP_ATTENTION, BB_F16) &&
           !bb_backend_supports(be, BB_OP_LAYERNORM, BB_Q4_0),
       "%s: activation ops on f32 only", n);
    ok(!bb_backend_supports(be, BB_OP_COUNT, BB_F32) &&
           !bb_backend_supports(be, BB_OP_MATMUL, BB_DTYPE_COUNT),
       "%s: out-of-range op or dtype is not supported", n);

    struct bb_error err = {0};
    struct bb_buffer *x;
    must(bb_buffer_alloc(be, 64, &x, &err), &err, "alloc");
    struct bb_weight w = {.buf = x, .n = 2, .k = 8, .dtype = BB_BF16};
    is_int(BB_E_UNSUPPORTED, bb_op_matmul(be, x, &w, NULL, NULL, x, 1, BB_ACT_NONE, &err),
           "%s: matmul with a bf16 weight -> BB_E_UNSUPPORTED", n);
    contains(err.msg, "for bf16 weights", "the message names the dtype (%s)", err.msg);
    bb_buffer_free(be, x);
}

int main(void)
{
    plan_lazy();
    struct bb_error err = {0};
    struct bb_backend *r1, *r2, *cl = NULL;
    must(bb_backend_create("ref", NULL, &r1, &err), &err, "ref");
    must(bb_backend_create("ref", NULL, &r2, &err), &err, "ref");
    cross_use(r1, r2, "ref");
    dtypes(r1);

    struct bb_backend_opts o = {.device = "auto"};
    enum bb_status st = bb_backend_create("opencl", &o, &cl, &err);
    if (st == BB_E_NODEVICE && !test_in_ci()) {
        skip("no OpenCL device: %s", err.msg);
    } else {
        must(st, &err, "opencl");
        cross_use(r1, cl, "ref");
        cross_use(cl, r1, "opencl");
        dtypes(cl);
    }
    bb_backend_free(cl);
    bb_backend_free(r2);
    bb_backend_free(r1);
    return tap_failures() ? 1 : 0;
}
