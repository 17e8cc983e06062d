/* qwen2.c: the Qwen2 architecture: Llama with biases on the query, key and
 * value projections, and rotate-half RoPE in both formats (the GGUF converter
 * does not permute Qwen2's Q/K). */
#include "model/decoder.h"

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
        BB_LM_HF_LLAMA_NAMES,
        [BB_LM_Q_B] = "model.layers.%d.self_attn.q_proj.bias",
        [BB_LM_K_B] = "model.layers.%d.self_attn.k_proj.bias",
        [BB_LM_V_B] = "model.layers.%d.self_attn.v_proj.bias",
    },
    .hf_hparams = bb_lm_hf_llama_hparams,
};
