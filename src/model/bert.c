/* bert.c: the BERT encoder (all-MiniLM-L6-v2 and kin) written against the
 * backend ops: weight checks and upload at load, then one plain function per
 * layer of the forward pass, ending in sentence-transformers pooling. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/loader.h"
#include "model/model.h"
#include "model/safetensors.h"

struct bert {
    struct bb_model_config cfg;
    struct bb_backend *be;
    struct bb_buffer *word;    /* (V, C) */
    struct bb_buffer *posemb;  /* (P, C) */
    struct bb_buffer *typeemb; /* (n_types, C) */
    struct bb_buffer *emb_ln_g, *emb_ln_b; /* (C) */
    struct bb_enc_layer *layers; /* num_hidden_layers */
    struct bb_enc_scratch s;
};

/* ---- load: find, check and upload tensors --------------------------------- */

static const struct bb_enc_attn_names bert_attn = {
    {"self.query", "self.key", "self.value"}, "output.dense", "output.LayerNorm"};

static enum bb_status load_embeddings(const struct bb_loader *L, struct bert *m, struct bb_error *err)
{
    const struct bb_model_config *cfg = L->cfg;
    int c = cfg->hidden_size;
    char wv[96], wp[96], wt[96], wc[64];
    snprintf(wv, sizeof wv, "vocab_size %d, hidden_size %d", cfg->vocab_size, c);
    snprintf(wp, sizeof wp, "max_position_embeddings %d, hidden_size %d",
             cfg->max_position_embeddings, c);
    snprintf(wt, sizeof wt, "type_vocab_size %d, hidden_size %d", cfg->type_vocab_size, c);
    snprintf(wc, sizeof wc, "hidden_size %d", c);
    if (cfg->type_vocab_size < 1)
        return bb_fail(err, BB_E_UNSUPPORTED, "config.json: BERT needs type_vocab_size >= 1, "
                       "found %d", cfg->type_vocab_size);
    enum bb_status s = bb_loader_upload_vec(L, "embeddings.word_embeddings.weight",
                                            cfg->vocab_size, c, wv, &m->word, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.position_embeddings.weight",
                                 cfg->max_position_embeddings, c, wp, &m->posemb, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.token_type_embeddings.weight",
                                 cfg->type_vocab_size, c, wt, &m->typeemb, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.LayerNorm.weight", c, 0, wc, &m->emb_ln_g, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.LayerNorm.bias", c, 0, wc, &m->emb_ln_b, err);
    return s;
}

static void bert_free(void *state);

static enum bb_status bert_load(const struct bb_model_config *cfg, struct bb_safetensors *st,
                                struct bb_backend *be, const struct bb_model_opts *opts,
                                void **state, struct bb_error *err)
{
    *state = NULL;
    struct bert *m = calloc(1, sizeof *m);
    if (m)
        m->layers = calloc((size_t)cfg->num_hidden_layers, sizeof *m->layers);
    if (!m || !m->layers) {
        free(m);
        return bb_fail(err, BB_E_NOMEM, "out of memory for the BERT model");
    }
    m->cfg = *cfg;
    m->be = be;
    struct bb_loader L;
    bb_loader_init(&L, st, be, cfg, opts, "bert.");
    enum bb_status s = load_embeddings(&L, m, err);
    for (int i = 0; i < cfg->num_hidden_layers && !s; i++)
        s = bb_enc_layer_load(&L, i, &bert_attn, &m->layers[i], err);
    if (s) {
        bert_free(m);
        return s;
    }
    *state = m;
    return BB_OK;
}

static void bert_free(void *state)
{
    struct bert *m = state;
    if (!m)
        return;
    bb_enc_scratch_free(m->be, &m->s);
    for (int i = 0; i < m->cfg.num_hidden_layers; i++)
        bb_enc_layer_free(m->be, &m->layers[i]);
    bb_buffer_free(m->be, m->word);
    bb_buffer_free(m->be, m->posemb);
    bb_buffer_free(m->be, m->typeemb);
    bb_buffer_free(m->be, m->emb_ln_g);
    bb_buffer_free(m->be, m->emb_ln_b);
    free(m->layers);
    free(m);
}

/* ---- forward ----------------------------------------------------------------- */

/* x (N, C) = LayerNorm(word[ids] + pos_emb[pos] + type_emb[0]) */
static enum bb_status bert_embeddings(struct bert *m, int n_tok, struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s;
    int c = m->cfg.hidden_size;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_embed(m->be, s->ids, s->pos, NULL, m->word, m->posemb, m->typeemb,
                                    s->x, n_tok, c, err);
    return st ? st : bb_op_layernorm(m->be, s->x, m->emb_ln_g, m->emb_ln_b, s->x, n_tok, c, eps, err);
}

/* h (N, C) = LayerNorm(x + Wo . attention(Wqkv . x + bqkv) + bo) */
static enum bb_status bert_attention(struct bert *m, const struct bb_enc_layer *ly, int b, int t,
                                     struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s;
    int c = m->cfg.hidden_size, nh = m->cfg.num_attention_heads, hd = c / nh, n = b * t;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_matmul(m->be, s->x, &ly->qkv, ly->qkv_b, NULL, s->qkv, n,
                                     BB_ACT_NONE, err);                      // (N, 3C)
    if (!st)
        st = bb_op_attention(m->be, s->qkv, s->lengths, NULL, s->ctx, b, t, nh, hd,
                             1.0f / sqrtf((float)hd), err);                  // (N, C)
    if (!st)
        st = bb_op_matmul(m->be, s->ctx, &ly->attn_out, ly->attn_out_b, s->x, s->h, n,
                          BB_ACT_NONE, err);                                 // (N, C)
    if (!st)
        st = bb_op_layernorm(m->be, s->h, ly->ln1_g, ly->ln1_b, s->h, n, c, eps, err);
    return st;
}

/* x (N, C) = LayerNorm(h + Wout . gelu(Wi . h + bi) + bout) */
static enum bb_status bert_ffn(struct bert *m, const struct bb_enc_layer *ly, int n,
                               struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s;
    int c = m->cfg.hidden_size;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_matmul(m->be, s->h, &ly->inter, ly->inter_b, NULL, s->ffn, n,
                                     BB_ACT_GELU, err);                      // (N, I)
    if (!st)
        st = bb_op_matmul(m->be, s->ffn, &ly->out, ly->out_b, s->h, s->x, n, BB_ACT_NONE,
                          err);                                              // (N, C)
    if (!st)
        st = bb_op_layernorm(m->be, s->x, ly->ln2_g, ly->ln2_b, s->x, n, c, eps, err);
    return st;
}

/* Upload ids (B, T), positions 0..T-1 per row, and lengths (B). */
static enum bb_status bert_inputs(struct bert *m, const int32_t *ids, const int32_t *lengths,
                                  int b, int t, struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s;
    size_t n = (size_t)b * (size_t)t;
    for (size_t i = 0; i < n; i++)
        s->pos_host[i] = (int32_t)(i % (size_t)t);
    enum bb_status st = bb_backend_upload(m->be, s->ids, 0, ids, n * sizeof(int32_t), err);
    if (!st)
        st = bb_backend_upload(m->be, s->pos, 0, s->pos_host, n * sizeof(int32_t), err);
    if (!st)
        st = bb_backend_upload(m->be, s->lengths, 0, lengths, (size_t)b * sizeof(int32_t), err);
    return st;
}

static enum bb_status bert_forward(void *state, const int32_t *ids, const int32_t *lengths,
                                   int b, int t, float *out, struct bb_error *err)
{
    struct bert *m = state;
    int c = m->cfg.hidden_size;
    if (t > m->cfg.max_position_embeddings)
        return bb_fail(err, BB_E_INTERNAL, "bert: sequence length %d exceeds "
                       "max_position_embeddings %d", t, m->cfg.max_position_embeddings);
    enum bb_status st = bb_enc_scratch_ensure(m->be, &m->cfg, &m->s, (size_t)b * (size_t)t, b,
                                              err);
    if (!st)
        st = bert_inputs(m, ids, lengths, b, t, err);
    if (!st)
        st = bert_embeddings(m, b * t, err);
    for (int i = 0; i < m->cfg.num_hidden_layers && !st; i++) {
        st = bert_attention(m, &m->layers[i], b, t, err);
        if (!st)
            st = bert_ffn(m, &m->layers[i], b * t, err);
    }
    if (!st)
        st = bb_op_pool(m->be, m->s.x, m->s.lengths, m->s.pooled, b, t, c, m->cfg.pooling,
                        m->cfg.normalize, err);                               // (B, C)
    if (!st)
        st = bb_backend_download(m->be, m->s.pooled, 0, out, (size_t)b * c * sizeof(float), err);
    return st;
}

const struct bb_arch bb_arch_bert = {
    .name = "bert",
    .model_type = "bert",
    .load = bert_load,
    .forward = bert_forward,
    .free = bert_free,
};
