/* model.h: the public model interface (load a model folder onto a backend,
 * embed texts in length-bucketed batches), and the small internal table of
 * architecture entry points that model.c dispatches on config.json's
 * model_type. Tasks call only the bb_model_* functions. */
#ifndef BB_MODEL_H
#define BB_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/status.h"
#include "tokenizer/tokenizer.h"

struct bb_model_opts {
    enum bb_dtype weights; /* BB_F32 (default, 0) or BB_F16 storage */
    int max_seq_len;       /* 0: the model's */
};
struct bb_model;

enum bb_status bb_model_load(const char *dir, struct bb_backend *be,
                             const struct bb_model_opts *opts, struct bb_model **out,
                             struct bb_error *err);
void bb_model_free(struct bb_model *m);
int bb_model_dim(const struct bb_model *m);
const char *bb_model_arch(const struct bb_model *m); /* "bert", "mpnet" */
const char *bb_model_dir(const struct bb_model *m);
struct bb_tokenizer *bb_model_tokenizer(struct bb_model *m);
double bb_model_load_seconds(const struct bb_model *m); /* load+upload time */
/* Embed n texts -> out (n, dim), in input order (a sentence encoder's
   embedding, or a language model's mean-pooled final hidden states:
   BB_CAP_POOL). Sorts by token length and forms batches of at most
   batch_size (length-bucketed padding), shows bb_progress on a TTY. */
enum bb_status bb_model_embed_texts(struct bb_model *m, const char *const *texts, size_t n,
                                    int batch_size, float *out, struct bb_error *err);
/* The same, with `label` (e.g. "task/model") on the progress line. */
enum bb_status bb_model_embed_texts_labeled(struct bb_model *m, const char *const *texts, size_t n,
                                            int batch_size, const char *label, float *out,
                                            struct bb_error *err);
/* Embed b already-tokenized sequences, padded to the longest, -> out (b, dim). */
enum bb_status bb_model_embed_batch(struct bb_model *m, const struct bb_encoding *encs, int b,
                                    float *out, struct bb_error *err);

/* ---- result cache (core/rescache.h) ------------------------------------------
 * With a cache attached, bb_model_embed_texts* and bb_model_score_seqs look each
 * sequence up by ns (what else decides the output: the caller's model sha256,
 * backend, device, precision) and its exact token ids before computing it, and
 * store what they compute, batch by batch. c NULL detaches. The counts are in
 * bb_rescache_stats(c). */
struct bb_rescache;
void bb_model_set_rescache(struct bb_model *m, struct bb_rescache *c, const char *ns);

/* ---- capabilities ----------------------------------------------------------
 * A model says what it can do; a task asks for a capability, never an
 * architecture. Sentence encoders embed; causal language models score text
 * (log-likelihoods) and generate. */
enum bb_model_cap {
    BB_CAP_EMBED = 1u << 0,    /* bb_model_embed_texts */
    BB_CAP_LOGLIK = 1u << 1,   /* bb_model_loglik, bb_model_token_logprobs */
    BB_CAP_GENERATE = 1u << 2, /* bb_model_generate */
    /* A language model's text vector: bb_model_embed_texts returns the mean over
       the text's tokens of the final hidden state (after the last norm). Not a
       sentence embedding: tasks that compare texts by cosine still ask for
       BB_CAP_EMBED; the linear probe takes either. */
    BB_CAP_POOL = 1u << 3,
};
unsigned bb_model_caps(const struct bb_model *m);
/* "sentence encoder" or "causal language model". */
const char *bb_model_kind(const struct bb_model *m);
/* BB_OK when m has every capability in caps; else BB_E_UNSUPPORTED with
 * "model ID cannot score text: it is a sentence encoder" (ID = model_id, or
 * the model's folder when NULL). */
enum bb_status bb_model_require(const struct bb_model *m, unsigned caps, const char *model_id,
                                struct bb_error *err);
/* "embed text", "score text", "generate text", "pool hidden states" */
const char *bb_model_cap_verb(unsigned cap);

/* ---- likelihoods (BB_CAP_LOGLIK) ---------------------------------------------
 * lm-evaluation-harness semantics: the context is encoded alone, the whole
 * string context + continuation is encoded, and the continuation's tokens are
 * those past the context's (trailing spaces of the context move to the
 * continuation first). An empty context scores the continuation after the
 * model's prefix token (BOS when the model defines one, else EOS). */
struct bb_loglik_request {
    const char *context;      /* may be "" */
    const char *continuation; /* non-empty */
};
struct bb_loglik_result {
    double logprob;   /* sum of log P(token | everything before it), nats */
    int n_tokens;     /* continuation tokens scored */
    bool is_greedy;   /* every continuation token was the argmax */
};
/* Score n requests in length-sorted batches of at most batch_size sequences;
 * results in request order. `label` names the progress line (may be NULL). */
enum bb_status bb_model_loglik(struct bb_model *m, const struct bb_loglik_request *reqs, size_t n,
                               int batch_size, const char *label, struct bb_loglik_result *out,
                               struct bb_error *err);
/* logprobs[i] = log P(ids[i] | ids[0..i-1]) for i = 1 .. n-1; logprobs[0] = 0.
 * argmax (may be NULL): the most likely token at each position given the
 * tokens before it, argmax[i] for i = 1 .. n-1. */
enum bb_status bb_model_token_logprobs(struct bb_model *m, const int32_t *ids, int n,
                                       float *logprobs, int32_t *argmax, struct bb_error *err);

/* Many token sequences at once, in length-sorted batches of at most
 * batch_size: lp[i][j] = log P(ids[j] | ids[<j]) for first <= j < n (other
 * entries 0), am[i][j] the argmax there (-1 elsewhere; am may be NULL).
 * lp[i] and am[i] hold seqs[i].n entries, allocated by the caller. */
struct bb_token_seq {
    const int32_t *ids;
    int n;     /* 1 .. context length + 1 */
    int first; /* first position scored, >= 1 */
};
enum bb_status bb_model_score_seqs(struct bb_model *m, const struct bb_token_seq *seqs, size_t n,
                                   int batch_size, const char *label, float **lp, int32_t **am,
                                   struct bb_error *err);

/* ---- generation (BB_CAP_GENERATE) ------------------------------------------- */
struct bb_generate_opts {
    int max_tokens;    /* new tokens at most */
    float temperature; /* 0: greedy */
    uint64_t seed;
    bool stop_at_eos;
    /* Called for every new token as it is produced (may be NULL). */
    void (*on_token)(void *ud, int32_t id);
    void *ud;
};
/* out_ids gets at most opts->max_tokens ids; *n_out how many. */
enum bb_status bb_model_generate(struct bb_model *m, const int32_t *prompt, int n_prompt,
                                 const struct bb_generate_opts *opts, int32_t *out_ids,
                                 int *n_out, struct bb_error *err);

/* ---- internal to src/model: architecture entry points ------------------- */
struct bb_model_config;
struct bb_tensor_source;

struct bb_arch {
    const char *name;       /* "bert" */
    const char *model_type; /* config.json model_type it serves */
    /* Check every tensor against cfg and upload the weights; *state is the arch's own. */
    enum bb_status (*load)(const struct bb_model_config *cfg, const struct bb_tensor_source *src,
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
