/* model.h: the public model interface (load a model folder onto a backend,
 * embed texts in length-bucketed batches), and the small internal table of
 * architecture entry points that model.c dispatches on config.json's
 * model_type. Tasks call only the bb_model_* functions. */
#ifndef BB_MODEL_H
#define BB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "status.h"
#include "tokenizer/tokenizer.h"

struct bb_model_opts {
    enum bb_dtype weights; /* BB_F32 (default, 0) or BB_F16 storage */
    int max_seq_len;       /* 0: the model's */
};
struct bb_model;

enum bb_status bb_model_load(const char *dir, struct bb_backend *be, const struct bb_model_opts *opts,
                             struct bb_model **out, struct bb_error *err);
void bb_model_free(struct bb_model *m);
int bb_model_dim(const struct bb_model *m);
const char *bb_model_arch(const struct bb_model *m); /* "bert", "mpnet" */
const char *bb_model_dir(const struct bb_model *m);
struct bb_tokenizer *bb_model_tokenizer(struct bb_model *m);
double bb_model_load_seconds(const struct bb_model *m); /* load+upload time */
/* Embed n texts -> out (n, dim), in input order. Sorts by token length and forms batches of at
   most batch_size (length-bucketed padding), shows bb_progress on a TTY. */
enum bb_status bb_model_embed_texts(struct bb_model *m, const char *const *texts, size_t n,
                                    int batch_size, float *out, struct bb_error *err);
/* The same, with `label` (e.g. "task/model") on the progress line. */
enum bb_status bb_model_embed_texts_labeled(struct bb_model *m, const char *const *texts, size_t n,
                                            int batch_size, const char *label, float *out,
                                            struct bb_error *err);
/* Embed b already-tokenized sequences, padded to the longest, -> out (b, dim). */
enum bb_status bb_model_embed_batch(struct bb_model *m, const struct bb_encoding *encs, int b,
                                    float *out, struct bb_error *err);

/* ---- internal to src/model: architecture entry points ------------------- */
struct bb_model_config;
struct bb_safetensors;

struct bb_arch {
    const char *name;       /* "bert" */
    const char *model_type; /* config.json model_type it serves */
    /* Check every tensor against cfg and upload the weights; *state is the arch's own. */
    enum bb_status (*load)(const struct bb_model_config *cfg, struct bb_safetensors *st,
                           struct bb_backend *be, const struct bb_model_opts *opts, void **state,
                           struct bb_error *err);
    /* ids (b, t) int32 padded, lengths (b) in 1..t -> out (b, dim) on the host. */
    enum bb_status (*forward)(void *state, const int32_t *ids, const int32_t *lengths, int b,
                              int t, float *out, struct bb_error *err);
    void (*free)(void *state);
};
extern const struct bb_arch bb_arch_bert;
extern const struct bb_arch bb_arch_mpnet;
/* MPNet's relative position bucket (transformers' relative_position_bucket with
 * 32 buckets, max_distance 128) of key position minus query position. */
int bb_mpnet_position_bucket(int relative_position);

#endif
