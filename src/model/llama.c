/* llama.c: the Llama architecture (SmolLM2, Llama 2/3, Mistral, TinyLlama):
 * RMSNorm, RoPE, grouped-query attention, SwiGLU feed-forward, optional tied
 * output. Its config.json reader is shared with qwen2.c (bb_lm_hf_llama_hparams). */
#include "model/decoder.h"

#include <string.h>

#include "core/json.h"

enum bb_status bb_lm_hf_int(const void *root, const char *key, bool required, int min, int *out,
                            struct bb_error *err)
{
    const json_t *j = root;
    long long v = *out;
    enum bb_status s = bb_json_get_int(j, key, "config.json", required, &v, err);
    if (s)
        return s;
    if (v < min || v > (1 << 24))
        return bb_fail(err, BB_E_INPUT, "config.json: %s = %lld: expected %d .. %d", key, v, min,
                       1 << 24);
    *out = (int)v;
    return BB_OK;
}

enum bb_status bb_lm_hf_llama_hparams(const void *root, struct bb_lm_hparams *hp,
                                      struct bb_error *err)
{
    const json_t *j = root;
    double theta = 10000.0, eps = 1e-6;
    bool tied = false;
    enum bb_status s;
    hp->n_kv_head = 0;
    hp->head_dim = 0;
    if ((s = bb_lm_hf_int(j, "hidden_size", true, 1, &hp->n_embd, err)) ||
        (s = bb_lm_hf_int(j, "num_hidden_layers", true, 1, &hp->n_layer, err)) ||
        (s = bb_lm_hf_int(j, "num_attention_heads", true, 1, &hp->n_head, err)) ||
        (s = bb_lm_hf_int(j, "num_key_value_heads", false, 0, &hp->n_kv_head, err)) ||
        (s = bb_lm_hf_int(j, "head_dim", false, 0, &hp->head_dim, err)) ||
        (s = bb_lm_hf_int(j, "intermediate_size", true, 1, &hp->n_ff, err)) ||
        (s = bb_lm_hf_int(j, "vocab_size", true, 1, &hp->n_vocab, err)) ||
        (s = bb_lm_hf_int(j, "max_position_embeddings", true, 1, &hp->n_ctx, err)) ||
        (s = bb_json_get_real(j, "rope_theta", "config.json", false, &theta, err)) ||
        (s = bb_json_get_real(j, "rms_norm_eps", "config.json", false, &eps, err)) ||
        (s = bb_json_get_bool(j, "tie_word_embeddings", "config.json", false, &tied, err)))
        return s;
    /* transformers 5 writes rope_parameters {rope_theta, rope_type}; older
     * configs rope_theta and rope_scaling */
    const json_t *rp = json_object_get(j, "rope_parameters");
    const char *rtype = "default";
    if (rp && json_is_object(rp) &&
        ((s = bb_json_get_real(rp, "rope_theta", "config.json rope_parameters", false, &theta,
                               err)) ||
         (s = bb_json_get_string(rp, "rope_type", "config.json rope_parameters", false, &rtype,
                                 err))))
        return s;
    const json_t *rs = json_object_get(j, "rope_scaling");
    if ((rs && !json_is_null(rs)) || strcmp(rtype, "default"))
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "config.json: RoPE scaling ('%s') is set; "
                       "biasbench supports plain RoPE only",
                       rs && !json_is_null(rs) ? "rope_scaling" : rtype);
    bool attn_bias = false, mlp_bias = false;
    if ((s = bb_json_get_bool(j, "attention_bias", "config.json", false, &attn_bias, err)) ||
        (s = bb_json_get_bool(j, "mlp_bias", "config.json", false, &mlp_bias, err)))
        return s;
    const json_t *mt = json_object_get(j, "model_type");
    if ((attn_bias || mlp_bias) && mt && json_is_string(mt) &&
        !strcmp(json_string_value(mt), "llama"))
        return bb_fail(err, BB_E_UNSUPPORTED, "config.json: %s is true; biasbench's llama has no "
                       "biases", attn_bias ? "attention_bias" : "mlp_bias");
    if (!hp->n_kv_head)
        hp->n_kv_head = hp->n_head;
    if (!hp->head_dim)
        hp->head_dim = hp->n_embd / hp->n_head;
    hp->n_rot = hp->head_dim;
    hp->rope_base = (float)theta;
    hp->eps = (float)eps;
    hp->tied = tied;
    return BB_OK;
}

const struct bb_lm_arch bb_lm_llama = {
    .name = "llama",
    .gguf_arch = "llama",
    .hf_model_type = "llama",
    .norm = BB_LM_RMSNORM,
    .ffn = BB_LM_SWIGLU,
    .pos = BB_LM_ROPE,
    .rope_gguf = BB_ROPE_NORM,
    .rope_hf = BB_ROPE_NEOX,
    .hf_names = {BB_LM_HF_LLAMA_NAMES},
    .hf_hparams = bb_lm_hf_llama_hparams,
};
