/* loader.c: tensor lookup and upload for the encoder architectures: find a
 * tensor through the tensor source (with or without the arch's prefix), check
 * its dtype and its shape against config.json, convert it to float32 (float
 * and quantised block types alike), upload it as a float32 buffer or a linear
 * weight. The encoder itself is encoder.c. */
#include "model/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/quant.h"

void bb_loader_init(struct bb_loader *L, const struct bb_tensor_source *src,
                    struct bb_backend *be, const struct bb_model_config *cfg,
                    const struct bb_model_opts *opts, const char *prefix)
{
    L->src = src;
    L->be = be;
    L->cfg = cfg;
    L->storage = opts && opts->weights == BB_F16 ? BB_F16 : BB_F32;
    L->prefix = prefix;
}

static const char *st_file(const struct bb_loader *L)
{
    const char *s = strrchr(L->src->path, '/');
    return s ? s + 1 : L->src->path;
}

/* "[d0, d1, ...]" of t into got (256 bytes). */
static void shape_str(const struct bb_tensor *t, char *got, size_t size)
{
    snprintf(got, size, "[");
    for (int i = 0; i < t->ndim; i++) /* at most 8 dims of 20 digits: fits */
        snprintf(got + strlen(got), size - strlen(got), "%s%lld", i ? ", " : "",
                 (long long)t->shape[i]);
    snprintf(got + strlen(got), size - strlen(got), "]");
}

enum bb_status bb_loader_tensor(const struct bb_loader *L, const char *name, int d0, int d1,
                                const char *why, const struct bb_tensor **out,
                                struct bb_error *err)
{
    char alt[256];
    snprintf(alt, sizeof alt, "%s%s", L->prefix, name);
    const struct bb_tensor *t = bb_tensors_find(L->src, name);
    if (!t)
        t = bb_tensors_find(L->src, alt);
    if (!t)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s' is missing (also looked for '%s')",
                       st_file(L), name, alt);
    int ndim = d1 ? 2 : 1;
    if (!(t->ndim == ndim && t->shape[0] == d0 && (ndim == 1 || t->shape[1] == d1))) {
        char got[256], want[64];
        shape_str(t, got, sizeof got);
        if (d1)
            snprintf(want, sizeof want, "[%d, %d]", d0, d1);
        else
            snprintf(want, sizeof want, "[%d]", d0);
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': shape %s but config.json says %s -> "
                       "expected %s", st_file(L), t->name, got, why, want);
    }
    if (t->dtype == BB_I32 || (unsigned)t->dtype >= BB_DTYPE_COUNT)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': dtype %s, expected F32, F16, BF16 or "
                       "a quantised block type", st_file(L), t->name,
                       t->dtype == BB_I32 ? "I32" : t->file_dtype ? t->file_dtype : "unknown");
    *out = t;
    return BB_OK;
}

void bb_loader_to_f32(const struct bb_tensor *t, float *dst)
{
    int64_t row = t->shape[t->ndim - 1], rows = row ? t->numel / row : 0;
    size_t rb = bb_dtype_row_bytes(t->dtype, row);
    for (int64_t i = 0; i < rows; i++) // (rows, row)
        bb_dequantize_row(t->dtype, (const char *)t->data + (size_t)i * rb, dst + i * row, row);
}

enum bb_status bb_loader_read_f32(const struct bb_loader *L, const char *name, int d0, int d1,
                                  const char *why, float **out, struct bb_error *err)
{
    const struct bb_tensor *t;
    *out = NULL;
    enum bb_status s = bb_loader_tensor(L, name, d0, d1, why, &t, err);
    if (s)
        return s;
    if (!(*out = malloc((size_t)t->numel * sizeof(float))))
        return bb_fail(err, BB_E_NOMEM, "%s: tensor '%s': out of memory", st_file(L), t->name);
    bb_loader_to_f32(t, *out);
    return BB_OK;
}

enum bb_status bb_loader_upload_floats(struct bb_backend *be, const float *src, size_t n,
                                       struct bb_buffer **out, struct bb_error *err)
{
    enum bb_status s = bb_buffer_alloc(be, n * sizeof(float), out, err);
    return s ? s : bb_backend_upload(be, *out, 0, src, n * sizeof(float), err);
}

enum bb_status bb_loader_upload_vec(const struct bb_loader *L, const char *name, int d0, int d1,
                                    const char *why, struct bb_buffer **out,
                                    struct bb_error *err)
{
    float *tmp = NULL;
    enum bb_status s = bb_loader_read_f32(L, name, d0, d1, why, &tmp, err);
    if (!s)
        s = bb_loader_upload_floats(L->be, tmp, (size_t)d0 * (size_t)(d1 ? d1 : 1), out, err);
    free(tmp);
    return s;
}

enum bb_status bb_loader_upload_linear(const struct bb_loader *L, const char *name, int n, int k,
                                       const char *why, struct bb_weight *w,
                                       struct bb_error *err)
{
    const struct bb_tensor *t;
    enum bb_status s = bb_loader_tensor(L, name, n, k, why, &t, err);
    if (s)
        return s;
    if (bb_dtype_is_quant(t->dtype)) /* blocks stay blocks */
        return bb_weight_upload(L->be, t->data, t->dtype, n, k, t->dtype, w, err);
    float *tmp = NULL;
    if (!(s = bb_loader_read_f32(L, name, n, k, why, &tmp, err)))
        s = bb_weight_upload(L->be, tmp, BB_F32, n, k, L->storage, w, err);
    free(tmp);
    return s;
}
