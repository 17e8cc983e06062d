/* qwen2.c: the Qwen2 architecture: Llama with biases on the query, key and
 * value projections, and rotate-half RoPE in both formats (the GGUF converter
 * does not permute Qwen2's Q/K). */
#include "model/decoder.h"


enum bb_status bb_lm_hf_llama_hparams(const void *root, struct bb_lm_hparams *hp,
                                      struct bb_error *err);

const struct bb_lm_arch bb_lm_qwen2 = {
    .name = "qwen2",
    .gguf_arch = "qwen2",
    .hf_model_type = "qwen2",
    .norm = BB_LM_RMSNORM,
    .ffn = BB_LM_SWIGLU,
    .pos = BB_LM_ROPE,
    .qkv_bias = true,
    .rope_gguf = BB_ROPE_NEOX,
    .rope_hf = BB_ROPE_NEOX,
    .hf_names = {
        [BB_LM_TOK_EMB] = "model.embed_tokens.weight",
        [BB_LM_OUT_NORM] = "model.norm.weight",
        [BB_LM_OUTPUT] = "lm_head.weight",
        [BB_LM_ATTN_NORM] = "model.layers.%d.input_layernorm.weight",
        [BB_LM_Q] = "model.layers.%d.self_attn.q_proj.weight",
        [BB_LM_K] = "model.layers.%d.self_attn.k_proj.weight",
        [BB_LM_V] = "model.layers.%d.self_attn.v_proj.weight",
        [BB_LM_Q_B] = "model.layers.%d.self_attn.q_proj.bias",
        [BB_LM_K_B] = "model.layers.%d.self_attn.k_proj.bias",
        [BB_LM_V_B] = "model.layers.%d.self_attn.v_proj.bias",
        [BB_LM_O] = "model.layers.%d.self_attn.o_proj.weight",
        [BB_LM_FFN_NORM] = "model.layers.%d.post_attention_layernorm.weight",
        [BB_LM_GATE] = "model.layers.%d.mlp.gate_proj.weight",
        [BB_LM_UP] = "model.layers.%d.mlp.up_proj.weight",
        [BB_LM_DOWN] = "model.layers.%d.mlp.down_proj.weight",
    },
    .hf_hparams = bb_lm_hf_llama_hparams,
};
