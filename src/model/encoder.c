/* encoder.c: the BERT-style encoder that bert.c and mpnet.c share: load one
 * layer's weights (query/key/value fused into one weight) through loader.h,
 * grow the activation buffers, and the forward pass itself, one plain
 * function per layer on the backend ops, then pooling. */
#include "model/encoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Query, key and value (C, C) each -> one (3C, C) weight and a (3C) bias. */
static enum bb_status upload_qkv(const struct bb_loader *L, int li,
                                 const struct bb_enc_attn_names *names, struct bb_enc_layer *ly,
                                 struct bb_error *err)
{
    int c = L->cfg->hidden_size;
    size_t cc = (size_t)c * (size_t)c;
    char why[64], name[192];
    snprintf(why, sizeof why, "hidden_size %d", c);
    float *w = malloc(3 * cc * sizeof(float));        /* (3C, C) */
    float *b = malloc(3 * (size_t)c * sizeof(float)); /* (3C) */
    enum bb_status s = BB_OK;
    if (!w || !b) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for layer %d's QKV weights", li);
        goto done;
    }
    for (int p = 0; p < 3 && !s; p++) {
        const struct bb_tensor *tw, *tb;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.%s.weight", li, names->qkv[p]);
        if ((s = bb_loader_tensor(L, name, c, c, why, &tw, err)))
            break;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.%s.bias", li, names->qkv[p]);
        if ((s = bb_loader_tensor(L, name, c, 0, why, &tb, err)))
            break;
        bb_loader_to_f32(tw, w + (size_t)p * cc);
        bb_loader_to_f32(tb, b + (size_t)p * (size_t)c);
    }
    if (!s)
        s = bb_weight_upload(L->be, w, BB_F32, 3 * c, c, L->storage, &ly->qkv, err);
    if (!s)
        s = bb_loader_upload_floats(L->be, b, 3 * (size_t)c, &ly->qkv_b, err);
done:
    free(w);
    free(b);
    return s;
}

enum bb_status bb_enc_layer_load(const struct bb_loader *L, int li,
                                 const struct bb_enc_attn_names *names, struct bb_enc_layer *ly,
                                 struct bb_error *err)
{
    int c = L->cfg->hidden_size, in = L->cfg->intermediate_size;
    char n[192], whyc[64], whyi[96], whyo[96];
    snprintf(whyc, sizeof whyc, "hidden_size %d", c);
    snprintf(whyi, sizeof whyi, "intermediate_size %d, hidden_size %d", in, c);
    snprintf(whyo, sizeof whyo, "hidden_size %d, intermediate_size %d", c, in);
    enum bb_status s = upload_qkv(L, li, names, ly, err);
#define A(part, what) (snprintf(n, sizeof n, "encoder.layer.%d.attention.%s." what, li, part), n)
#define P(fmt) (snprintf(n, sizeof n, "encoder.layer.%d." fmt, li), n)
    if (!s) s = bb_loader_upload_linear(L, A(names->out, "weight"), c, c, whyc, &ly->attn_out, err);
    if (!s) s = bb_loader_upload_vec(L, A(names->out, "bias"), c, 0, whyc, &ly->attn_out_b, err);
    if (!s) s = bb_loader_upload_vec(L, A(names->ln, "weight"), c, 0, whyc, &ly->ln1_g, err);
    if (!s) s = bb_loader_upload_vec(L, A(names->ln, "bias"), c, 0, whyc, &ly->ln1_b, err);
    if (!s)
        s = bb_loader_upload_linear(L, P("intermediate.dense.weight"), in, c, whyi, &ly->inter,
                                    err);
    if (!s)
        s = bb_loader_upload_vec(L, P("intermediate.dense.bias"), in, 0, whyi, &ly->inter_b, err);
    if (!s) s = bb_loader_upload_linear(L, P("output.dense.weight"), c, in, whyo, &ly->out, err);
    if (!s) s = bb_loader_upload_vec(L, P("output.dense.bias"), c, 0, whyc, &ly->out_b, err);
    if (!s) s = bb_loader_upload_vec(L, P("output.LayerNorm.weight"), c, 0, whyc, &ly->ln2_g, err);
    if (!s) s = bb_loader_upload_vec(L, P("output.LayerNorm.bias"), c, 0, whyc, &ly->ln2_b, err);
#undef P
#undef A
    return s;
}

void bb_enc_layer_free(struct bb_backend *be, struct bb_enc_layer *ly)
{
    bb_weight_free(be, &ly->qkv);
    bb_weight_free(be, &ly->attn_out);
    bb_weight_free(be, &ly->inter);
    bb_weight_free(be, &ly->out);
    struct bb_buffer *bufs[] = {ly->qkv_b, ly->attn_out_b, ly->ln1_g, ly->ln1_b,
                                ly->inter_b, ly->out_b, ly->ln2_g, ly->ln2_b};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        bb_buffer_free(be, bufs[i]);
}

void bb_enc_scratch_free(struct bb_backend *be, struct bb_enc_scratch *s)
{
    struct bb_buffer **bufs[] = {&s->ids, &s->pos, &s->lengths, &s->x,     &s->h,
                                 &s->qkv, &s->ctx, &s->ffn,     &s->pooled};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        bb_buffer_free(be, *bufs[i]);
        *bufs[i] = NULL;
    }
    free(s->pos_host);
    s->pos_host = NULL;
    s->cap_tok = 0;
    s->cap_b = 0;
}

static enum bb_status scratch_alloc(struct bb_backend *be, const struct bb_model_config *cfg,
                                    struct bb_enc_scratch *s, size_t n_tok, int b,
                                    struct bb_error *err)
{
    size_t c = (size_t)cfg->hidden_size, in = (size_t)cfg->intermediate_size, f = sizeof(float);
    enum bb_status st = BB_OK;
    if (!(s->pos_host = malloc(n_tok * sizeof(int32_t))))
        return bb_fail(err, BB_E_NOMEM, "out of memory for %zu positions", n_tok);
    if (!st) st = bb_buffer_alloc(be, n_tok * sizeof(int32_t), &s->ids, err);
    if (!st) st = bb_buffer_alloc(be, n_tok * sizeof(int32_t), &s->pos, err);
    if (!st) st = bb_buffer_alloc(be, (size_t)b * sizeof(int32_t), &s->lengths, err);
    if (!st) st = bb_buffer_alloc(be, n_tok * c * f, &s->x, err);
    if (!st) st = bb_buffer_alloc(be, n_tok * c * f, &s->h, err);
    if (!st) st = bb_buffer_alloc(be, n_tok * 3 * c * f, &s->qkv, err);
    if (!st) st = bb_buffer_alloc(be, n_tok * c * f, &s->ctx, err);
    if (!st) st = bb_buffer_alloc(be, n_tok * in * f, &s->ffn, err);
    if (!st) st = bb_buffer_alloc(be, (size_t)b * c * f, &s->pooled, err);
    return st;
}

enum bb_status bb_enc_scratch_ensure(struct bb_backend *be, const struct bb_model_config *cfg,
                                     struct bb_enc_scratch *s, size_t n_tok, int b,
                                     struct bb_error *err)
{
    if (n_tok <= s->cap_tok && b <= s->cap_b)
        return BB_OK;
    if (n_tok < s->cap_tok)
        n_tok = s->cap_tok;
    if (b < s->cap_b)
        b = s->cap_b;
    bb_enc_scratch_free(be, s);
    enum bb_status st = scratch_alloc(be, cfg, s, n_tok, b, err);
    if (st) {
        bb_enc_scratch_free(be, s);
        return st;
    }
    s->cap_tok = n_tok;
    s->cap_b = b;
    return BB_OK;
}

enum bb_status bb_encoder_load_embeddings(struct bb_encoder *e, const struct bb_loader *L,
                                          struct bb_error *err)
{
    const struct bb_model_config *cfg = L->cfg;
    int c = cfg->hidden_size;
    char wv[96], wp[96], wc[64];
    snprintf(wv, sizeof wv, "vocab_size %d, hidden_size %d", cfg->vocab_size, c);
    snprintf(wp, sizeof wp, "max_position_embeddings %d, hidden_size %d",
             cfg->max_position_embeddings, c);
    snprintf(wc, sizeof wc, "hidden_size %d", c);
    enum bb_status s = bb_loader_upload_vec(L, "embeddings.word_embeddings.weight",
                                            cfg->vocab_size, c, wv, &e->word, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.position_embeddings.weight",
                                 cfg->max_position_embeddings, c, wp, &e->posemb, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.LayerNorm.weight", c, 0, wc, &e->emb_ln_g, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.LayerNorm.bias", c, 0, wc, &e->emb_ln_b, err);
    return s;
}

enum bb_status bb_encoder_load_layers(struct bb_encoder *e, const struct bb_loader *L,
                                      const struct bb_enc_attn_names *names,
                                      struct bb_error *err)
{
    e->layers = calloc((size_t)e->cfg.num_hidden_layers, sizeof *e->layers);
    if (!e->layers)
        return bb_fail(err, BB_E_NOMEM, "out of memory for %d encoder layers",
                       e->cfg.num_hidden_layers);
    enum bb_status st = BB_OK;
    for (int i = 0; i < e->cfg.num_hidden_layers && !st; i++)
        st = bb_enc_layer_load(L, i, names, &e->layers[i], err);
    return st;
}

void bb_encoder_free(struct bb_encoder *e)
{
    bb_enc_scratch_free(e->be, &e->s);
    for (int i = 0; e->layers && i < e->cfg.num_hidden_layers; i++)
        bb_enc_layer_free(e->be, &e->layers[i]);
    struct bb_buffer *bufs[] = {e->word, e->posemb, e->typeemb, e->emb_ln_g, e->emb_ln_b};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        bb_buffer_free(e->be, bufs[i]);
    free(e->layers);
    e->layers = NULL;
}

enum bb_status bb_encoder_inputs(struct bb_encoder *e, const int32_t *ids, const int32_t *lengths,
                                 int b, int t, struct bb_error *err)
{
    struct bb_enc_scratch *s = &e->s;
    size_t n = (size_t)b * (size_t)t;
    enum bb_status st = bb_backend_upload(e->be, s->ids, 0, ids, n * sizeof(int32_t), err);
    if (!st)
        st = bb_backend_upload(e->be, s->pos, 0, s->pos_host, n * sizeof(int32_t), err);
    if (!st)
        st = bb_backend_upload(e->be, s->lengths, 0, lengths, (size_t)b * sizeof(int32_t), err);
    return st;
}

/* x (N, C) = LayerNorm(word[ids] + pos_emb[pos] + type_emb[0]) */
static enum bb_status enc_embeddings(struct bb_encoder *e, int n_tok, struct bb_error *err)
{
    struct bb_enc_scratch *s = &e->s;
    int c = e->cfg.hidden_size;
    float eps = (float)e->cfg.layer_norm_eps;
    enum bb_status st = bb_op_embed(e->be, s->ids, s->pos, NULL, e->word, e->posemb, e->typeemb,
                                    s->x, n_tok, c, err);
    return st ? st
              : bb_op_layernorm(e->be, s->x, e->emb_ln_g, e->emb_ln_b, s->x, n_tok, c, eps, err);
}

/* h (N, C) = LayerNorm(x + Wo . attention(Wqkv . x + bqkv, pos_bias) + bo) */
static enum bb_status enc_attention(struct bb_encoder *e, const struct bb_enc_layer *ly,
                                    struct bb_buffer *pos_bias, int b, int t, struct bb_error *err)
{
    struct bb_enc_scratch *s = &e->s;
    int c = e->cfg.hidden_size, nh = e->cfg.num_attention_heads, hd = c / nh, n = b * t;
    float eps = (float)e->cfg.layer_norm_eps;
    enum bb_status st = bb_op_matmul(e->be, s->x, &ly->qkv, ly->qkv_b, NULL, s->qkv, n,
                                     BB_ACT_NONE, err);                      // (N, 3C)
    if (!st)
        st = bb_op_attention(e->be, s->qkv, s->lengths, pos_bias, s->ctx, b, t, nh, hd,
                             1.0f / sqrtf((float)hd), err);                  // (N, C)
    if (!st)
        st = bb_op_matmul(e->be, s->ctx, &ly->attn_out, ly->attn_out_b, s->x, s->h, n,
                          BB_ACT_NONE, err);                                 // (N, C)
    if (!st)
        st = bb_op_layernorm(e->be, s->h, ly->ln1_g, ly->ln1_b, s->h, n, c, eps, err);
    return st;
}

/* x (N, C) = LayerNorm(h + Wout . gelu(Wi . h + bi) + bout) */
static enum bb_status enc_ffn(struct bb_encoder *e, const struct bb_enc_layer *ly, int n,
                              struct bb_error *err)
{
    struct bb_enc_scratch *s = &e->s;
    int c = e->cfg.hidden_size;
    float eps = (float)e->cfg.layer_norm_eps;
    enum bb_status st = bb_op_matmul(e->be, s->h, &ly->inter, ly->inter_b, NULL, s->ffn, n,
                                     BB_ACT_GELU, err);                      // (N, I)
    if (!st)
        st = bb_op_matmul(e->be, s->ffn, &ly->out, ly->out_b, s->h, s->x, n, BB_ACT_NONE,
                          err);                                              // (N, C)
    if (!st)
        st = bb_op_layernorm(e->be, s->x, ly->ln2_g, ly->ln2_b, s->x, n, c, eps, err);
    return st;
}

enum bb_status bb_encoder_forward(struct bb_encoder *e, struct bb_buffer *pos_bias, int b, int t,
                                  float *out, struct bb_error *err)
{
    struct bb_enc_scratch *s = &e->s;
    int c = e->cfg.hidden_size;
    enum bb_status st = enc_embeddings(e, b * t, err);
    for (int i = 0; i < e->cfg.num_hidden_layers && !st; i++) {
        st = enc_attention(e, &e->layers[i], pos_bias, b, t, err);
        if (!st)
            st = enc_ffn(e, &e->layers[i], b * t, err);
    }
    if (!st)
        st = bb_op_pool(e->be, s->x, s->lengths, s->pooled, b, t, c, e->cfg.pooling,
                        e->cfg.normalize, err);                               // (B, C)
    if (!st)
        st = bb_backend_download(e->be, s->pooled, 0, out, (size_t)b * c * sizeof(float), err);
    return st;
}
