/* safetensors.h: a strict, memory-mapped reader of .safetensors weight files.
 *
 * The whole header is validated at open: 8-byte little-endian header length
 * inside the file, JSON header, known dtypes, shapes whose byte size matches
 * data_offsets, spans inside the data section and not overlapping. Every
 * error names the file, the tensor and the problem. Tensor data stays in the
 * mapping (valid until bb_safetensors_close). */
#ifndef BB_SAFETENSORS_H
#define BB_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/status.h"

#define BB_ST_MAX_DIMS 8

/* Every dtype the format defines; only F32, F16 and BF16 are usable as weights. */
enum bb_st_dtype {
    BB_ST_F32 = 0, BB_ST_F16, BB_ST_BF16, BB_ST_F64,
    BB_ST_I64, BB_ST_I32, BB_ST_I16, BB_ST_I8,
    BB_ST_U64, BB_ST_U32, BB_ST_U16, BB_ST_U8,
    BB_ST_BOOL, BB_ST_F8_E4M3, BB_ST_F8_E5M2,
    BB_ST_DTYPE_COUNT
};

struct bb_st_tensor {
    char *name;
    enum bb_st_dtype dtype;
    int ndim;
    int64_t shape[BB_ST_MAX_DIMS];
    int64_t numel;
    size_t begin, end;  /* data_offsets, relative to the data section */
    const void *data;   /* inside the mapping; not necessarily aligned */
};

struct bb_safetensors {
    char *path;
    void *map;
    size_t map_size;
    size_t data_start;  /* 8 + header length */
    size_t data_size;
    struct bb_st_tensor *tensors; /* sorted by begin */
    int n_tensors;
};

/* Map and validate path. Missing/unreadable file -> BB_E_IO; malformed -> BB_E_INPUT. */
enum bb_status bb_safetensors_open(const char *path, struct bb_safetensors **out,
                                   struct bb_error *err);
void bb_safetensors_close(struct bb_safetensors *st);

/* NULL when absent. */
const struct bb_st_tensor *bb_safetensors_find(const struct bb_safetensors *st, const char *name);

const char *bb_st_dtype_name(enum bb_st_dtype t);
/* F32/F16/BF16 -> the backend dtype; false for the others. */
bool bb_st_dtype_to_bb(enum bb_st_dtype t, enum bb_dtype *out);

/* Convert a usable (F32/F16/BF16) tensor to float32 into dst (numel floats).
 * Other dtypes -> BB_E_UNSUPPORTED naming the file and tensor. */
enum bb_status bb_safetensors_to_f32(const struct bb_safetensors *st, const struct bb_st_tensor *t,
                                     float *dst, struct bb_error *err);


#endif
