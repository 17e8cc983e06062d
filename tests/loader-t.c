/* loader-t.c: the encoder loader's tensor lookup and upload (src/model/loader.c)
 * over the tensor-source interface, on the two containers of one tiny Llama
 * (tests/data/models: tiny-llama-hf, float32 safetensors, and
 * tiny-llama-q8_0.gguf, the same weights in Q8_0 blocks): lookup with and
 * without the prefix, shape and dtype checks with their messages, float32
 * copies of float and quantised tensors (the Q8_0 copy within Q8_0's rounding
 * of the float one), and linear weights that keep their blocks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "golden-io.h" /* golden_ref_backend */
#include "model/config.h"
#include "model/loader.h"
#include "model/tensors.h"
#include "tap.h"

/* FFN down projection of layer 0: HF and GGUF names (not rope-permuted). */
#define HF_NAME "layers.0.mlp.down_proj.weight"
#define GGUF_NAME "blk.0.ffn_down.weight"

static struct bb_tensor_source *open_src(const char *rel)
{
    struct bb_tensor_source *src = NULL;
    struct bb_error err = {0};
    if (bb_tensors_open(test_src_path(rel), &src, &err))
        bail("%s: %s", rel, err.msg);
    return src;
}

/* Largest |a - b| over n floats, and largest |a|. */
static double max_diff(const float *a, const float *b, size_t n, double *amax)
{
    double d = 0;
    *amax = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        *amax = fmax(*amax, fabs((double)a[i]));
    }
    return d;
}

int main(void)
{
    plan_lazy();
    struct bb_backend *be = golden_ref_backend();
    struct bb_error err = {0};
    struct bb_tensor_source *hf = open_src("tests/data/models/tiny-llama-hf");
    struct bb_tensor_source *gg = open_src("tests/data/models/tiny-llama-q8_0.gguf");
    struct bb_model_config cfg = {0};
    struct bb_loader lh, lg;
    bb_loader_init(&lh, hf, be, &cfg, NULL, "model.");
    bb_loader_init(&lg, gg, be, &cfg, NULL, "");

    const struct bb_tensor *th = bb_tensors_find(hf, "model." HF_NAME);
    const struct bb_tensor *tg = bb_tensors_find(gg, GGUF_NAME);
    if (!th || !tg || th->ndim != 2)
        bail("fixture tensors '%s' / '%s' not found", HF_NAME, GGUF_NAME);
    int n = (int)th->shape[0], k = (int)th->shape[1];
    is_int(BB_Q8_0, tg->dtype, "the GGUF tensor is Q8_0 (a block type)");

    const struct bb_tensor *t = NULL;
    is_int(BB_OK, bb_loader_tensor(&lh, HF_NAME, n, k, "test", &t, &err),
           "found through the prefix 'model.': %s", err.msg);
    ok(t == th, "the prefixed tensor is the one returned");
    is_int(BB_OK, bb_loader_tensor(&lg, GGUF_NAME, n, k, "test", &t, &err),
           "a Q8_0 tensor passes the dtype check: %s", err.msg);

    float *fh = NULL, *fg = NULL;
    enum bb_status s1 = bb_loader_read_f32(&lh, HF_NAME, n, k, "test", &fh, &err);
    enum bb_status s2 = bb_loader_read_f32(&lg, GGUF_NAME, n, k, "test", &fg, &err);
    ok(!s1 && !s2, "float32 copies of the F32 and the Q8_0 tensor");
    if (!s1 && !s2) {
        double amax, d = max_diff(fh, fg, (size_t)n * (size_t)k, &amax);
        /* Q8_0: 32 values share one scale d = amax/127, stored as f16: |x - q*f16(d)| <=
         * d/2 + 127 * d * 2^-11 < 0.57 d; a misread block would be off by about amax */
        double bound = amax / 127.0 * 0.57;
        ok(d > 0 && d <= bound,
           "Q8_0 copy within Q8_0's rounding of the float one (max diff %.3g, bound %.3g)", d,
           bound);
    }
    free(fh);
    free(fg);

    struct bb_weight wq = {0}, wf = {0};
    is_int(BB_OK, bb_loader_upload_linear(&lg, GGUF_NAME, n, k, "test", &wq, &err),
           "Q8_0 linear weight uploads: %s", err.msg);
    is_int(BB_Q8_0, wq.dtype, "its blocks are kept (stored as Q8_0)");
    is_int(BB_OK, bb_loader_upload_linear(&lh, HF_NAME, n, k, "test", &wf, &err),
           "F32 linear weight uploads");
    is_int(BB_F32, wf.dtype, "a float weight is stored in the loader's storage (F32)");
    bb_weight_free(be, &wq);
    bb_weight_free(be, &wf);

    is_int(BB_E_INPUT, bb_loader_tensor(&lg, GGUF_NAME, n + 1, k, "hidden_size 9", &t, &err),
           "a shape that disagrees with config.json is refused");
    contains(err.msg, "but config.json says hidden_size 9", "the message names the shape's source");
    is_int(BB_E_INPUT, bb_loader_tensor(&lh, "no.such.weight", n, k, "test", &t, &err),
           "a missing tensor is refused");
    contains(err.msg, "'no.such.weight' is missing (also looked for 'model.no.such.weight')",
             "the message names both names tried");

    bb_tensors_close(hf);
    bb_tensors_close(gg);
    bb_backend_free(be);
    return tap_failures() ? 1 : 0;
}
