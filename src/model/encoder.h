/* encoder.h: internal to the model layer. The BERT-style encoder that bert.c
 * and mpnet.c share: one layer's weights (fused QKV, attention output,
 * feed-forward, two LayerNorms) loaded through loader.h, the activation
 * scratch buffers grown for larger batches, and the forward pass (embeddings,
 * one function per layer, pooling) on the backend ops. An arch supplies its
 * tensor names, its position ids and, for MPNet, an attention position bias. */
#ifndef BB_MODEL_ENCODER_H
#define BB_MODEL_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/status.h"
#include "model/config.h"
#include "model/loader.h"

/* One BERT-style encoder layer: fused attention input, attention output,
 * feed-forward, two LayerNorms. */
struct bb_enc_layer {
    struct bb_weight qkv;      /* (3C, C): query, key, value rows concatenated */
    struct bb_weight attn_out; /* (C, C) */
    struct bb_weight inter;    /* (I, C) */
    struct bb_weight out;      /* (C, I) */
    struct bb_buffer *qkv_b;   /* (3C) */
    struct bb_buffer *attn_out_b, *ln1_g, *ln1_b; /* (C) each */
    struct bb_buffer *inter_b; /* (I) */
    struct bb_buffer *out_b, *ln2_g, *ln2_b;      /* (C) each */
};

/* Where an arch keeps its attention tensors, below
 * "encoder.layer.<i>.attention.", each with ".weight" and ".bias":
 * BERT {{"self.query", "self.key", "self.value"}, "output.dense",
 * "output.LayerNorm"}; MPNet {{"attn.q", "attn.k", "attn.v"}, "attn.o",
 * "LayerNorm"}. The feed-forward names are common to both. */
struct bb_enc_attn_names {
    const char *qkv[3]; /* query, key, value (C, C) each */
    const char *out;    /* (C, C) */
    const char *ln;     /* LayerNorm after attention (C) */
};

/* Load, check and upload layer li's weights into ly. */
enum bb_status bb_enc_layer_load(const struct bb_loader *L, int li,
                                 const struct bb_enc_attn_names *names, struct bb_enc_layer *ly,
                                 struct bb_error *err);
void bb_enc_layer_free(struct bb_backend *be, struct bb_enc_layer *ly);

/* Activations, reused across calls; grown when a batch is larger. */
struct bb_enc_scratch {
    size_t cap_tok; /* N = b*t rows the buffers hold */
    int cap_b;
    struct bb_buffer *ids, *pos; /* int32 (N) */
    struct bb_buffer *lengths;   /* int32 (B) */
    struct bb_buffer *x;         /* (N, C) hidden state */
    struct bb_buffer *h;         /* (N, C) after attention + LayerNorm */
    struct bb_buffer *qkv;       /* (N, 3C) */
    struct bb_buffer *ctx;       /* (N, C) attention output */
    struct bb_buffer *ffn;       /* (N, I) */
    struct bb_buffer *pooled;    /* (B, C) */
    int32_t *pos_host;           /* (N) */
};

/* Make s hold at least n_tok rows and b sequences (reallocating all of it
 * when either grows); on failure s is left empty. */
enum bb_status bb_enc_scratch_ensure(struct bb_backend *be, const struct bb_model_config *cfg,
                                     struct bb_enc_scratch *s, size_t n_tok, int b,
                                     struct bb_error *err);
void bb_enc_scratch_free(struct bb_backend *be, struct bb_enc_scratch *s);

/* A BERT-style encoder: what bert.c and mpnet.c hold alike. */
struct bb_encoder {
    struct bb_model_config cfg;
    struct bb_backend *be;
    struct bb_buffer *word;     /* (V, C) */
    struct bb_buffer *posemb;   /* (P, C) */
    struct bb_buffer *typeemb;  /* (n_types, C); MPNet: one row of zeros */
    struct bb_buffer *emb_ln_g, *emb_ln_b; /* (C) */
    struct bb_enc_layer *layers; /* cfg.num_hidden_layers */
    struct bb_enc_scratch s;
};

/* Load the word and position tables and the embedding LayerNorm (the token
 * type table is the arch's). */
enum bb_status bb_encoder_load_embeddings(struct bb_encoder *e, const struct bb_loader *L,
                                          struct bb_error *err);
/* Allocate and load every layer's weights (e->cfg and e->be set). */
enum bb_status bb_encoder_load_layers(struct bb_encoder *e, const struct bb_loader *L,
                                      const struct bb_enc_attn_names *names,
                                      struct bb_error *err);
/* Free everything e holds (not e itself). */
void bb_encoder_free(struct bb_encoder *e);
/* Upload ids (B, T), the positions the arch wrote into e->s.pos_host, and
 * lengths (B). */
enum bb_status bb_encoder_inputs(struct bb_encoder *e, const int32_t *ids, const int32_t *lengths,
                                 int b, int t, struct bb_error *err);
/* Embeddings, every layer, pooling: out (B, C) on the host. pos_bias
 * (n_head, T, T) is added to the attention scores, or NULL. */
enum bb_status bb_encoder_forward(struct bb_encoder *e, struct bb_buffer *pos_bias, int b, int t,
                                  float *out, struct bb_error *err);

#endif
