/* loader.h: internal to the model layer. Tensor lookup and upload for the
 * encoder architectures (bert.c, mpnet.c, encoder.c): find a tensor through the
 * tensor source (tensors.h, so the file format stays hidden) with or without
 * the arch's prefix, check its shape against config.json and its dtype, turn
 * any float or quantised block type into float32 on the host, and upload
 * vectors and linear weights to the backend. */
#ifndef BB_MODEL_LOADER_H
#define BB_MODEL_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/status.h"
#include "model/config.h"
#include "model/model.h"
#include "model/tensors.h"

struct bb_loader {
    const struct bb_tensor_source *src;
    struct bb_backend *be;
    const struct bb_model_config *cfg;
    enum bb_dtype storage; /* of float linear weights: BB_F32 or BB_F16 */
    const char *prefix;    /* tried when a name is missing: "bert.", "mpnet." */
};

/* Fill L; float weights are stored as F16 when opts asks so, else F32. */
void bb_loader_init(struct bb_loader *L, const struct bb_tensor_source *src,
                    struct bb_backend *be, const struct bb_model_config *cfg,
                    const struct bb_model_opts *opts, const char *prefix);

/* Find name, or prefix + name; check its shape is (d0) or (d0, d1) (d1 == 0:
 * one dim) and its dtype is usable (a float or quantised block type). `why`
 * names the config.json fields the shape derives from. */
enum bb_status bb_loader_tensor(const struct bb_loader *L, const char *name, int d0, int d1,
                                const char *why, const struct bb_tensor **out,
                                struct bb_error *err);

/* dst (t->numel floats) = t's elements as float32 (t found by bb_loader_tensor). */
void bb_loader_to_f32(const struct bb_tensor *t, float *dst);

/* A float32 host copy of tensor `name` (shape checked); caller frees. */
enum bb_status bb_loader_read_f32(const struct bb_loader *L, const char *name, int d0, int d1,
                                  const char *why, float **out, struct bb_error *err);

/* A new device buffer holding src (n floats). */
enum bb_status bb_loader_upload_floats(struct bb_backend *be, const float *src, size_t n,
                                       struct bb_buffer **out, struct bb_error *err);

/* A plain float32 buffer (biases, LayerNorm, embedding tables). */
enum bb_status bb_loader_upload_vec(const struct bb_loader *L, const char *name, int d0, int d1,
                                    const char *why, struct bb_buffer **out,
                                    struct bb_error *err);

/* A linear weight (n, k) through bb_weight_upload: float data in L's storage,
 * quantised blocks kept as they are. */
enum bb_status bb_loader_upload_linear(const struct bb_loader *L, const char *name, int n, int k,
                                       const char *why, struct bb_weight *w,
                                       struct bb_error *err);

#endif
