/* gpt2.c: the GPT-2 architecture: learned absolute positions, pre-LayerNorm,
 * fused c_attn (Hugging Face stores its Conv1D weights transposed, (in, out)),
 * tanh GELU MLP, biases everywhere, tied LM head. */
#include "model/decoder.h"

#include <string.h>

#include "core/json.h"

static enum bb_status hf_hparams(const void *root, struct bb_lm_hparams *hp, struct bb_error *err)
{
    const json_t *j = root;
    double eps = 1e-5;
    const char *act = "gelu_new";
    enum bb_status s;
    if ((s = bb_lm_hf_int(j, "n_embd", true, 1, &hp->n_embd, err)) ||
        (s = bb_lm_hf_int(j, "n_layer", true, 1, &hp->n_layer, err)) ||
        (s = bb_lm_hf_int(j, "n_head", true, 1, &hp->n_head, err)) ||
        (s = bb_lm_hf_int(j, "vocab_size", true, 1, &hp->n_vocab, err)) ||
        (s = bb_lm_hf_int(j, "n_positions", true, 1, &hp->n_ctx, err)) ||
        (s = bb_json_get_real(j, "layer_norm_epsilon", "config.json", false, &eps, err)) ||
        (s = bb_json_get_string(j, "activation_function", "config.json", false, &act, err)))
        return s;
    hp->n_ff = 4 * hp->n_embd;
    const json_t *inner = json_object_get(j, "n_inner");
    if (inner && !json_is_null(inner) &&
        (s = bb_lm_hf_int(j, "n_inner", true, 1, &hp->n_ff, err)))
        return s;
    if (strcmp(act, "gelu_new") && strcmp(act, "gelu_pytorch_tanh"))
        return bb_fail(err, BB_E_UNSUPPORTED, "config.json: activation_function '%s': "
                       "biasbench supports gelu_new (tanh GELU)", act);
    hp->n_kv_head = hp->n_head;
    hp->head_dim = hp->n_embd / hp->n_head;
    hp->n_rot = 0;
    hp->eps = (float)eps;
    hp->tied = true;
    return BB_OK;
}

const struct bb_lm_arch bb_lm_gpt2 = {
    .name = "gpt2",
    .gguf_arch = "gpt2",
    .hf_model_type = "gpt2",
    .norm = BB_LM_LAYERNORM,
    .ffn = BB_LM_GELU_MLP,
    .pos = BB_LM_LEARNED,
    .qkv_bias = true,
    .fused_qkv = true,
    .out_bias = true,
    .ffn_bias = true,
    .hf_conv1d = true,
    /* GPT2LMHeadModel prefixes these with "transformer." (tried as well). */
    .hf_names = {
        [BB_LM_TOK_EMB] = "wte.weight",
        [BB_LM_POS_EMB] = "wpe.weight",
        [BB_LM_OUT_NORM] = "ln_f.weight",
        [BB_LM_OUT_NORM_B] = "ln_f.bias",
        [BB_LM_ATTN_NORM] = "h.%d.ln_1.weight",
        [BB_LM_ATTN_NORM_B] = "h.%d.ln_1.bias",
        [BB_LM_QKV] = "h.%d.attn.c_attn.weight",
        [BB_LM_QKV_B] = "h.%d.attn.c_attn.bias",
        [BB_LM_O] = "h.%d.attn.c_proj.weight",
        [BB_LM_O_B] = "h.%d.attn.c_proj.bias",
        [BB_LM_FFN_NORM] = "h.%d.ln_2.weight",
        [BB_LM_FFN_NORM_B] = "h.%d.ln_2.bias",
        [BB_LM_UP] = "h.%d.mlp.c_fc.weight",
        [BB_LM_UP_B] = "h.%d.mlp.c_fc.bias",
        [BB_LM_DOWN] = "h.%d.mlp.c_proj.weight",
        [BB_LM_DOWN_B] = "h.%d.mlp.c_proj.bias",
    },
    .hf_hparams = hf_hparams,
};
