/* bert.c: the BERT encoder (all-MiniLM-L6-v2 and kin) written against the
 * backend ops: weight checks and upload at load, then one plain function per
 * layer of the forward pass, ending in sentence-transformers pooling. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/model.h"
#include "model/safetensors.h"

struct bert_layer {
    struct bb_weight qkv;      /* (3C, C): query, key, value rows concatenated */
    struct bb_weight attn_out; /* (C, C) */
    struct bb_weight inter;    /* (I, C) */
    struct bb_weight out;      /* (C, I) */
    struct bb_buffer *qkv_b;   /* (3C) */
    struct bb_buffer *attn_out_b, *ln1_g, *ln1_b; /* (C) each */
    struct bb_buffer *inter_b; /* (I) */
    struct bb_buffer *out_b, *ln2_g, *ln2_b;      /* (C) each */
};

/* Activations, reused across calls; grown when a batch is larger. */
struct bert_scratch {
    size_t cap_tok; /* N = b*t rows the buffers hold */
    int cap_b;
    struct bb_buffer *ids, *pos;  /* int32 (N) */
    struct bb_buffer *lengths;    /* int32 (B) */
    struct bb_buffer *x;          /* (N, C) hidden state */
    struct bb_buffer *h;          /* (N, C) after attention + LayerNorm */
    struct bb_buffer *qkv;        /* (N, 3C) */
    struct bb_buffer *ctx;        /* (N, C) attention output */
    struct bb_buffer *ffn;        /* (N, I) */
    struct bb_buffer *pooled;     /* (B, C) */
    int32_t *pos_host;            /* (N) */
};

struct bert {
    struct bb_model_config cfg;
    struct bb_backend *be;
    struct bb_buffer *word;    /* (V, C) */
    struct bb_buffer *posemb;  /* (P, C) */
    struct bb_buffer *typeemb; /* (n_types, C) */
    struct bb_buffer *emb_ln_g, *emb_ln_b; /* (C) */
    struct bert_layer *layers; /* num_hidden_layers */
    struct bert_scratch s;
};

/* ---- load: find, check and upload tensors --------------------------------- */

struct loader {
    struct bb_safetensors *st;
    struct bb_backend *be;
    const struct bb_model_config *cfg;
    enum bb_dtype storage;
};

static const char *st_file(const struct loader *L)
{
    const char *s = strrchr(L->st->path, '/');
    return s ? s + 1 : L->st->path;
}

/* Find name, or "bert." + name; check its shape is (d0) or (d0, d1). `why`
 * names the config.json fields the shape derives from. */
static enum bb_status get_tensor(const struct loader *L, const char *name, int d0, int d1,
                                 const char *why, const struct bb_st_tensor **out,
                                 struct bb_error *err)
{
    char alt[256];
    snprintf(alt, sizeof alt, "bert.%s", name);
    const struct bb_st_tensor *t = bb_safetensors_find(L->st, name);
    if (!t)
        t = bb_safetensors_find(L->st, alt);
    if (!t)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s' is missing (also looked for '%s')",
                       st_file(L), name, alt);
    int ndim = d1 ? 2 : 1;
    bool good = t->ndim == ndim && t->shape[0] == d0 && (ndim == 1 || t->shape[1] == d1);
    if (!good) {
        char got[256] = "[", want[64];
        for (int i = 0; i < t->ndim; i++) /* at most 8 dims of 20 digits: fits */
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "",
                     (long long)t->shape[i]);
        snprintf(got + strlen(got), sizeof got - strlen(got), "]");
        if (d1)
            snprintf(want, sizeof want, "[%d, %d]", d0, d1);
        else
            snprintf(want, sizeof want, "[%d]", d0);
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': shape %s but config.json says %s -> "
                       "expected %s", st_file(L), t->name, got, why, want);
    }
    enum bb_dtype dt;
    if (!bb_st_dtype_to_bb(t->dtype, &dt))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': dtype %s, expected F32, F16 or BF16",
                       st_file(L), t->name, bb_st_dtype_name(t->dtype));
    *out = t;
    return BB_OK;
}

/* A float32 copy of a tensor (any usable dtype); caller frees. */
static enum bb_status tensor_f32(const struct loader *L, const struct bb_st_tensor *t, float **out,
                                 struct bb_error *err)
{
    *out = malloc((size_t)t->numel * sizeof(float));
    if (!*out)
        return bb_fail(err, BB_E_NOMEM, "%s: tensor '%s': out of memory", st_file(L), t->name);
    enum bb_status s = bb_safetensors_to_f32(L->st, t, *out, err);
    if (s) {
        free(*out);
        *out = NULL;
    }
    return s;
}

/* A plain float32 buffer (biases, LayerNorm, embedding tables). */
static enum bb_status upload_vec(const struct loader *L, const char *name, int d0, int d1,
                                 const char *why, struct bb_buffer **out, struct bb_error *err)
{
    const struct bb_st_tensor *t;
    float *tmp = NULL;
    enum bb_status s = get_tensor(L, name, d0, d1, why, &t, err);
    if (!s)
        s = tensor_f32(L, t, &tmp, err);
    if (!s)
        s = bb_buffer_alloc(L->be, (size_t)t->numel * sizeof(float), out, err);
    if (!s)
        s = bb_backend_upload(L->be, *out, 0, tmp, (size_t)t->numel * sizeof(float), err);
    free(tmp);
    return s;
}

/* A linear weight (n, k) through bb_weight_upload in the chosen storage. */
static enum bb_status upload_linear(const struct loader *L, const char *name, int n, int k,
                                    const char *why, struct bb_weight *w, struct bb_error *err)
{
    const struct bb_st_tensor *t;
    float *tmp = NULL;
    enum bb_status s = get_tensor(L, name, n, k, why, &t, err);
    if (!s)
        s = tensor_f32(L, t, &tmp, err);
    if (!s)
        s = bb_weight_upload(L->be, tmp, BB_F32, n, k, L->storage, w, err);
    free(tmp);
    return s;
}

/* Query, key and value (C, C) each -> one (3C, C) weight and a (3C) bias. */
static enum bb_status upload_qkv(const struct loader *L, int li, struct bert_layer *ly,
                                 struct bb_error *err)
{
    static const char *const part[3] = {"query", "key", "value"};
    int c = L->cfg->hidden_size;
    size_t cc = (size_t)c * (size_t)c;
    char why[96], name[160];
    snprintf(why, sizeof why, "hidden_size %d", c);
    float *w = malloc(3 * cc * sizeof(float)); /* (3C, C) */
    float *b = malloc(3 * (size_t)c * sizeof(float)); /* (3C) */
    enum bb_status s = BB_OK;
    if (!w || !b) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for layer %d's QKV weights", li);
        goto done;
    }
    for (int p = 0; p < 3 && !s; p++) {
        const struct bb_st_tensor *tw, *tb;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.weight", li, part[p]);
        if ((s = get_tensor(L, name, c, c, why, &tw, err)))
            break;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.bias", li, part[p]);
        if ((s = get_tensor(L, name, c, 0, why, &tb, err)) ||
            (s = bb_safetensors_to_f32(L->st, tw, w + (size_t)p * cc, err)))
            break;
        s = bb_safetensors_to_f32(L->st, tb, b + (size_t)p * c, err);
    }
    if (!s)
        s = bb_weight_upload(L->be, w, BB_F32, 3 * c, c, L->storage, &ly->qkv, err);
    if (!s)
        s = bb_buffer_alloc(L->be, 3 * (size_t)c * sizeof(float), &ly->qkv_b, err);
    if (!s)
        s = bb_backend_upload(L->be, ly->qkv_b, 0, b, 3 * (size_t)c * sizeof(float), err);
done:
    free(w);
    free(b);
    return s;
}

static enum bb_status load_layer(const struct loader *L, int li, struct bert_layer *ly,
                                 struct bb_error *err)
{
    int c = L->cfg->hidden_size, in = L->cfg->intermediate_size;
    char n[160], whyc[64], whyi[96], whyo[96];
    snprintf(whyc, sizeof whyc, "hidden_size %d", c);
    snprintf(whyi, sizeof whyi, "intermediate_size %d, hidden_size %d", in, c);
    snprintf(whyo, sizeof whyo, "hidden_size %d, intermediate_size %d", c, in);
    enum bb_status s = upload_qkv(L, li, ly, err);
#define P(fmt) (snprintf(n, sizeof n, "encoder.layer.%d." fmt, li), n)
    if (!s) s = upload_linear(L, P("attention.output.dense.weight"), c, c, whyc, &ly->attn_out, err);
    if (!s) s = upload_vec(L, P("attention.output.dense.bias"), c, 0, whyc, &ly->attn_out_b, err);
    if (!s) s = upload_vec(L, P("attention.output.LayerNorm.weight"), c, 0, whyc, &ly->ln1_g, err);
    if (!s) s = upload_vec(L, P("attention.output.LayerNorm.bias"), c, 0, whyc, &ly->ln1_b, err);
    if (!s) s = upload_linear(L, P("intermediate.dense.weight"), in, c, whyi, &ly->inter, err);
    if (!s) s = upload_vec(L, P("intermediate.dense.bias"), in, 0, whyi, &ly->inter_b, err);
    if (!s) s = upload_linear(L, P("output.dense.weight"), c, in, whyo, &ly->out, err);
    if (!s) s = upload_vec(L, P("output.dense.bias"), c, 0, whyc, &ly->out_b, err);
    if (!s) s = upload_vec(L, P("output.LayerNorm.weight"), c, 0, whyc, &ly->ln2_g, err);
    if (!s) s = upload_vec(L, P("output.LayerNorm.bias"), c, 0, whyc, &ly->ln2_b, err);
#undef P
    return s;
}

static enum bb_status load_embeddings(const struct loader *L, struct bert *m, struct bb_error *err)
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
    enum bb_status s = upload_vec(L, "embeddings.word_embeddings.weight", cfg->vocab_size, c, wv,
                                  &m->word, err);
    if (!s)
        s = upload_vec(L, "embeddings.position_embeddings.weight", cfg->max_position_embeddings,
                       c, wp, &m->posemb, err);
    if (!s)
        s = upload_vec(L, "embeddings.token_type_embeddings.weight", cfg->type_vocab_size, c, wt,
                       &m->typeemb, err);
    if (!s)
        s = upload_vec(L, "embeddings.LayerNorm.weight", c, 0, wc, &m->emb_ln_g, err);
    if (!s)
        s = upload_vec(L, "embeddings.LayerNorm.bias", c, 0, wc, &m->emb_ln_b, err);
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
    struct loader L = {st, be, cfg, opts && opts->weights == BB_F16 ? BB_F16 : BB_F32};
    enum bb_status s = load_embeddings(&L, m, err);
    for (int i = 0; i < cfg->num_hidden_layers && !s; i++)
        s = load_layer(&L, i, &m->layers[i], err);
    if (s) {
        bert_free(m);
        return s;
    }
    *state = m;
    return BB_OK;
}

static void scratch_free(struct bb_backend *be, struct bert_scratch *s)
{
    struct bb_buffer **bufs[] = {&s->ids, &s->pos, &s->lengths, &s->x, &s->h,
                                 &s->qkv, &s->ctx, &s->ffn, &s->pooled};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        bb_buffer_free(be, *bufs[i]);
        *bufs[i] = NULL;
    }
    free(s->pos_host);
    s->pos_host = NULL;
    s->cap_tok = 0;
    s->cap_b = 0;
}

static void layer_free(struct bb_backend *be, struct bert_layer *ly)
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

static void bert_free(void *state)
{
    struct bert *m = state;
    if (!m)
        return;
    scratch_free(m->be, &m->s);
    for (int i = 0; i < m->cfg.num_hidden_layers; i++)
        layer_free(m->be, &m->layers[i]);
    bb_buffer_free(m->be, m->word);
    bb_buffer_free(m->be, m->posemb);
    bb_buffer_free(m->be, m->typeemb);
    bb_buffer_free(m->be, m->emb_ln_g);
    bb_buffer_free(m->be, m->emb_ln_b);
    free(m->layers);
    free(m);
}

/* ---- forward ----------------------------------------------------------------- */

static enum bb_status scratch_ensure(struct bert *m, size_t n_tok, int b, struct bb_error *err)
{
    struct bert_scratch *s = &m->s;
    if (n_tok <= s->cap_tok && b <= s->cap_b)
        return BB_OK;
    if (n_tok < s->cap_tok)
        n_tok = s->cap_tok;
    if (b < s->cap_b)
        b = s->cap_b;
    scratch_free(m->be, s);
    size_t c = (size_t)m->cfg.hidden_size, in = (size_t)m->cfg.intermediate_size, f = sizeof(float);
    struct bb_backend *be = m->be;
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
    if (st) {
        scratch_free(be, s);
        return st;
    }
    s->cap_tok = n_tok;
    s->cap_b = b;
    return BB_OK;
}

/* x (N, C) = LayerNorm(word[ids] + pos_emb[pos] + type_emb[0]) */
static enum bb_status bert_embeddings(struct bert *m, int n_tok, struct bb_error *err)
{
    struct bert_scratch *s = &m->s;
    int c = m->cfg.hidden_size;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_embed(m->be, s->ids, s->pos, NULL, m->word, m->posemb, m->typeemb,
                                    s->x, n_tok, c, err);
    return st ? st : bb_op_layernorm(m->be, s->x, m->emb_ln_g, m->emb_ln_b, s->x, n_tok, c, eps, err);
}

/* h (N, C) = LayerNorm(x + Wo . attention(Wqkv . x + bqkv) + bo) */
static enum bb_status bert_attention(struct bert *m, const struct bert_layer *ly, int b, int t,
                                     struct bb_error *err)
{
    struct bert_scratch *s = &m->s;
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
static enum bb_status bert_ffn(struct bert *m, const struct bert_layer *ly, int n,
                               struct bb_error *err)
{
    struct bert_scratch *s = &m->s;
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
    struct bert_scratch *s = &m->s;
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
    enum bb_status st = scratch_ensure(m, (size_t)b * (size_t)t, b, err);
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
