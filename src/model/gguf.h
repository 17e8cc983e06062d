/* gguf.h: a strict, memory-mapped reader of GGUF files (versions 2 and 3).
 *
 * Everything is validated at open, before any use: magic and version;
 * metadata of every value type, arrays included (nested arrays refused);
 * every string and array length inside the file; tensor infos (n_dims <= 4,
 * innermost dimension a multiple of the type's block size, element count
 * without overflow, a known type); general.alignment (a power of two, default
 * 32); each tensor's offset relative to the aligned data start, inside the
 * file and not overlapping another. Errors name the file, the key or tensor,
 * and the problem (BB_E_INPUT; BB_E_IO when the file cannot be read; an
 * unsupported tensor type is BB_E_UNSUPPORTED naming the tensor and type). */
#ifndef BB_MODEL_GGUF_H
#define BB_MODEL_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/tensors.h"
#include "core/status.h"

/* GGUF metadata value types, numbered as in the file format. */
enum bb_gguf_type {
    BB_GGUF_U8 = 0, BB_GGUF_I8, BB_GGUF_U16, BB_GGUF_I16, BB_GGUF_U32, BB_GGUF_I32,
    BB_GGUF_F32, BB_GGUF_BOOL, BB_GGUF_STRING, BB_GGUF_ARRAY, BB_GGUF_U64, BB_GGUF_I64,
    BB_GGUF_F64, BB_GGUF_TYPE_COUNT
};

struct bb_gguf_str {
    const char *s; /* inside the mapping: NOT NUL-terminated */
    uint64_t len;
};

struct bb_gguf_kv {
    struct bb_gguf_str key;
    enum bb_gguf_type type;
    enum bb_gguf_type arr_type; /* element type when type is BB_GGUF_ARRAY */
    uint64_t arr_len;
    const void *data; /* scalar value, or the first array element, inside the mapping */
};

struct bb_gguf;

enum bb_status bb_gguf_open(const char *path, struct bb_gguf **out, struct bb_error *err);
void bb_gguf_close(struct bb_gguf *g);
uint32_t bb_gguf_version(const struct bb_gguf *g);
const char *bb_gguf_path(const struct bb_gguf *g);

/* ---- metadata ---- */
int bb_gguf_kv_count(const struct bb_gguf *g);
const struct bb_gguf_kv *bb_gguf_kv_at(const struct bb_gguf *g, int i);
const struct bb_gguf_kv *bb_gguf_find(const struct bb_gguf *g, const char *key); /* NULL: absent */
/* Typed getters: BB_OK and *out set; absent key -> BB_E_INPUT "FILE: metadata KEY is missing";
 * wrong type -> BB_E_INPUT naming key, expected and found type. Integer getters accept any
 * integer type whose value fits. */
enum bb_status bb_gguf_get_u32(const struct bb_gguf *g, const char *key, uint32_t *out,
                               struct bb_error *err);
enum bb_status bb_gguf_get_f32(const struct bb_gguf *g, const char *key, float *out,
                               struct bb_error *err);
enum bb_status bb_gguf_get_bool(const struct bb_gguf *g, const char *key, bool *out,
                                struct bb_error *err);
/* *out is malloc'd and NUL-terminated. */
enum bb_status bb_gguf_get_str(const struct bb_gguf *g, const char *key, char **out,
                               struct bb_error *err);
/* Optional forms: return false when absent (true and *out set when present with a usable type). */
bool bb_gguf_opt_u32(const struct bb_gguf *g, const char *key, uint32_t *out);
bool bb_gguf_opt_f32(const struct bb_gguf *g, const char *key, float *out);
bool bb_gguf_opt_bool(const struct bb_gguf *g, const char *key, bool *out);
/* Array access (kv->type == BB_GGUF_ARRAY). String elements: i-th string; scalars: i-th value. */
struct bb_gguf_str bb_gguf_arr_str(const struct bb_gguf_kv *kv, uint64_t i);
int64_t bb_gguf_arr_int(const struct bb_gguf_kv *kv, uint64_t i);
double bb_gguf_arr_float(const struct bb_gguf_kv *kv, uint64_t i);
const char *bb_gguf_type_name(enum bb_gguf_type t);

/* ---- tensors (shapes outermost first, as in tensors.h) ---- */
int bb_gguf_tensor_count(const struct bb_gguf *g);
const struct bb_tensor *bb_gguf_tensor_at(const struct bb_gguf *g, int i);
const struct bb_tensor *bb_gguf_tensor_find(const struct bb_gguf *g, const char *name);
/* The file as a tensor source (the source borrows g; closing the source closes g). */
enum bb_status bb_gguf_tensor_source(struct bb_gguf *g, struct bb_tensor_source **out,
                                     struct bb_error *err);
/* ggml type id (as in the file) -> bb_dtype; false for types biasbench does not support. */
bool bb_gguf_ggml_type(uint32_t ggml_type, enum bb_dtype *out);
const char *bb_gguf_ggml_type_name(uint32_t ggml_type); /* "q4_1", "iq2_xxs", ...; "type N" */

#endif
