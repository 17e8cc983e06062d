/* decoder.h: internal to the model layer. Causal language models (GPT-style
 * decoders): the architecture table, hyperparameters read from a GGUF file or
 * a Hugging Face config.json, and the forward pass on the backend ops (one
 * function per layer), with a KV cache for generation and on-device
 * log-probabilities for scoring.
 *
 * An architecture is one file (llama.c, qwen2.c, gpt2.c) holding one struct
 * bb_lm_arch: what kind of norm, feed-forward and positions it uses, which
 * biases it has, and the Hugging Face names of its tensors. GGUF tensor names
 * are common to all of them (decoder.c). */
#ifndef BB_MODEL_DECODER_H
#define BB_MODEL_DECODER_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "model/model.h"
#include "model/tensors.h"
#include "core/status.h"

/* What a tensor is for; a name table maps roles to names ("%d": layer). */
enum bb_lm_role {
    BB_LM_TOK_EMB = 0, BB_LM_POS_EMB, BB_LM_OUT_NORM, BB_LM_OUT_NORM_B, BB_LM_OUTPUT,
    BB_LM_ATTN_NORM, BB_LM_ATTN_NORM_B,
    BB_LM_Q, BB_LM_K, BB_LM_V, BB_LM_QKV, BB_LM_Q_B, BB_LM_K_B, BB_LM_V_B, BB_LM_QKV_B,
    BB_LM_O, BB_LM_O_B,
    BB_LM_FFN_NORM, BB_LM_FFN_NORM_B,
    BB_LM_GATE, BB_LM_UP, BB_LM_DOWN, BB_LM_UP_B, BB_LM_DOWN_B,
    BB_LM_ROLE_COUNT
};

enum bb_lm_norm { BB_LM_RMSNORM = 0, BB_LM_LAYERNORM };
enum bb_lm_ffn { BB_LM_SWIGLU = 0, BB_LM_GELU_MLP };
enum bb_lm_pos { BB_LM_ROPE = 0, BB_LM_LEARNED };

struct bb_lm_hparams {
    int n_layer, n_embd, n_head, n_kv_head, head_dim, n_ff, n_vocab, n_ctx, n_rot;
    float rope_base, eps;
    bool tied;             /* no separate output matrix: the token embedding is reused */
    int rope_mode;         /* enum bb_rope_mode for this file */
    int32_t bos, eos;      /* from the file; -1 when none */
};

struct bb_lm_arch {
    const char *name;          /* "llama" */
    const char *gguf_arch;     /* general.architecture */
    const char *hf_model_type; /* config.json model_type */
    enum bb_lm_norm norm;
    enum bb_lm_ffn ffn;
    enum bb_lm_pos pos;
    bool qkv_bias, fused_qkv;  /* fused_qkv: one (3C, C) weight (GPT-2's c_attn) */
    bool out_bias, ffn_bias;   /* biases on the attention output and the MLP */
    /* RoPE pairing: GGUF llama files hold Q/K permuted for ggml's NORM mode;
     * Hugging Face folders (and GGUF qwen2) use rotate-half (NEOX). */
    int rope_gguf, rope_hf;    /* enum bb_rope_mode */
    bool hf_conv1d;            /* HF stores linear weights (in, out): GPT-2's Conv1D */
    const char *hf_names[BB_LM_ROLE_COUNT]; /* NULL: the arch has no such tensor */
    /* Read the arch's hyperparameters from config.json (jansson object). */
    enum bb_status (*hf_hparams)(const void *json_root, struct bb_lm_hparams *hp,
                                 struct bb_error *err);
};


extern const struct bb_lm_arch bb_lm_llama, bb_lm_qwen2, bb_lm_gpt2;

/* The Hugging Face tensor names Llama and Qwen2 share (LlamaForCausalLM and
 * Qwen2ForCausalLM lay their modules out alike), as designated initializers
 * of hf_names. */
#define BB_LM_HF_LLAMA_NAMES                                                          \
    [BB_LM_TOK_EMB] = "model.embed_tokens.weight",                                    \
    [BB_LM_OUT_NORM] = "model.norm.weight", [BB_LM_OUTPUT] = "lm_head.weight",        \
    [BB_LM_ATTN_NORM] = "model.layers.%d.input_layernorm.weight",                     \
    [BB_LM_Q] = "model.layers.%d.self_attn.q_proj.weight",                            \
    [BB_LM_K] = "model.layers.%d.self_attn.k_proj.weight",                            \
    [BB_LM_V] = "model.layers.%d.self_attn.v_proj.weight",                            \
    [BB_LM_O] = "model.layers.%d.self_attn.o_proj.weight",                            \
    [BB_LM_FFN_NORM] = "model.layers.%d.post_attention_layernorm.weight",             \
    [BB_LM_GATE] = "model.layers.%d.mlp.gate_proj.weight",                            \
    [BB_LM_UP] = "model.layers.%d.mlp.up_proj.weight",                                \
    [BB_LM_DOWN] = "model.layers.%d.mlp.down_proj.weight"

/* An integer of config.json in min .. 2^24 (absent and optional: *out kept), llama.c. */
enum bb_status bb_lm_hf_int(const void *root, const char *key, bool required, int min, int *out,
                            struct bb_error *err);
/* config.json of a Llama or Qwen2 folder (llama.c). */
enum bb_status bb_lm_hf_llama_hparams(const void *root, struct bb_lm_hparams *hp,
                                      struct bb_error *err);
/* NULL when no arch serves the name. */
const struct bb_lm_arch *bb_lm_arch_by_gguf(const char *gguf_arch);
const struct bb_lm_arch *bb_lm_arch_by_hf(const char *model_type);
/* Comma-separated names of the supported archs, for messages. */
const char *bb_lm_arch_list(void);

struct bb_lm;

/* Load a decoder from a .gguf file or a Hugging Face folder onto be; *tok is
 * the model's tokenizer (owned by the caller). */
enum bb_status bb_lm_load(const char *path, struct bb_backend *be, const struct bb_model_opts *opts,
                          struct bb_lm **out, struct bb_tokenizer **tok, struct bb_error *err);
void bb_lm_free(struct bb_lm *lm);
const struct bb_lm_hparams *bb_lm_hparams(const struct bb_lm *lm);
const char *bb_lm_arch_name(const struct bb_lm *lm);
const char *bb_lm_format(const struct bb_lm *lm); /* "gguf" or "safetensors" */

/* Scoring: b sequences padded to t, ids (b, t), tgt (b, t) the token each
 * position should predict (-1: not scored). lp (b, t) gets log P(tgt | prefix),
 * am (b, t) the argmax token (may be NULL). */
enum bb_status bb_lm_score(struct bb_lm *lm, const int32_t *ids, const int32_t *tgt, int b, int t,
                           float *lp, int32_t *am, struct bb_error *err);

/* Final hidden states (after the last norm) of b right-padded sequences,
 * ids (b, t) -> h (b * t, n_embd) on the host. A position's state depends on
 * the tokens before it only (causal attention), so padding after a sequence
 * never changes its rows. */
enum bb_status bb_lm_hidden(struct bb_lm *lm, const int32_t *ids, int b, int t, float *h,
                            struct bb_error *err);

/* Generation with a KV cache, one sequence: feed n ids at positions
 * n_past .. n_past+n-1 (n_past 0 starts over); the logits of the last one go
 * to logits (n_vocab floats) when not NULL, its argmax to *next. */
enum bb_status bb_lm_step(struct bb_lm *lm, const int32_t *ids, int n, int n_past, int max_ctx,
                          float *logits, int32_t *next, struct bb_error *err);

/* The step path's final hidden states of the n ids fed (as bb_lm_step feeds
 * them, through the KV cache) -> h (n, n_embd) on the host; no logits. */
enum bb_status bb_lm_step_hidden(struct bb_lm *lm, const int32_t *ids, int n, int n_past,
                                 int max_ctx, float *h, struct bb_error *err);

#endif
