/* tensors.h: one interface over a weight container (a safetensors file, a
 * sharded safetensors folder, a GGUF file). Architecture code looks tensors up
 * by name through it and never sees the file format.
 *
 * Shapes are listed outermost first, as PyTorch prints them: a linear weight
 * of N outputs and K inputs is {N, K}, and K (the innermost, contiguous
 * dimension) is the one a quantised type's blocks run along. A GGUF source
 * reverses ggml's ne[] order to give this. Data stays in the container's
 * mapping and is valid until the source is closed. */
#ifndef BB_MODEL_TENSORS_H
#define BB_MODEL_TENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/status.h"

#define BB_TENSOR_MAX_DIMS 8 /* safetensors' own limit; a GGUF tensor has at most 4 */

struct bb_tensor {
    const char *name;
    enum bb_dtype dtype; /* float or ggml block type; BB_DTYPE_COUNT: none of ours */
    const char *file_dtype; /* the container's name for it ("I64"), for messages; may be NULL */
    int ndim;
    int64_t shape[BB_TENSOR_MAX_DIMS]; /* outermost first */
    int64_t numel;
    const void *data;    /* bb_dtype_row_bytes(dtype, shape[ndim-1]) * rows bytes */
    size_t bytes;
};

struct bb_tensor_source;

struct bb_tensor_source_ops {
    const char *format; /* "safetensors", "gguf" */
    /* NULL when absent. */
    const struct bb_tensor *(*find)(const struct bb_tensor_source *src, const char *name);
    int (*count)(const struct bb_tensor_source *src);
    const struct bb_tensor *(*at)(const struct bb_tensor_source *src, int i);
    void (*close)(struct bb_tensor_source *src);
};

struct bb_tensor_source {
    const struct bb_tensor_source_ops *ops;
    const char *path; /* for messages */
    void *impl;
};

static inline const struct bb_tensor *bb_tensors_find(const struct bb_tensor_source *src,
                                                      const char *name)
{
    return src->ops->find(src, name);
}

/* Open a container: a .gguf file, a .safetensors file, or a folder with
 * model.safetensors or model.safetensors.index.json (shards). */
enum bb_status bb_tensors_open(const char *path, struct bb_tensor_source **out,
                               struct bb_error *err);
void bb_tensors_close(struct bb_tensor_source *src);

#endif
