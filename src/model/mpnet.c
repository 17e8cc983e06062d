/* mpnet.c: the MPNet encoder (all-mpnet-base-v2) written against the backend
 * ops, with Hugging Face transformers' MPNetModel semantics: word + position
 * embeddings (positions counted from padding_idx + 1, no token types), then
 * BERT-style layers whose attention adds a relative position bias (T5-style
 * buckets, one table shared by all layers), then sentence-transformers
 * pooling. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/loader.h"
#include "model/model.h"
#include "model/safetensors.h"

/* transformers hard-codes these: MPNetEmbeddings.padding_idx = 1, and
 * MPNetEncoder.compute_position_bias buckets with its defaults whatever
 * relative_attention_num_buckets says (the table only has to be that large). */
#define MPNET_PAD 1
#define MPNET_BUCKETS 32
#define MPNET_MAX_DISTANCE 128

/* Activations, reused across calls; grown when a batch is larger. */
struct mpnet_scratch {
    struct bb_enc_scratch enc; /* what every BERT-style encoder needs */
    int cap_t;                 /* T the position bias buffers hold */
    int bias_t;                /* t the uploaded position bias is for; 0: none */
    struct bb_buffer *bias;    /* (n_head, T, T) relative position bias */
    float *bias_host;          /* (n_head, T, T) */
};

struct mpnet {
    struct bb_model_config cfg;
    struct bb_backend *be;
    struct bb_buffer *word;      /* (V, C) */
    struct bb_buffer *posemb;    /* (P, C) */
    struct bb_buffer *notype;    /* (1, C) zeros: MPNet has no token types */
    struct bb_buffer *emb_ln_g, *emb_ln_b; /* (C) */
    float *rel;                  /* (num_buckets, n_head) on the host */
    struct bb_enc_layer *layers; /* num_hidden_layers */
    struct mpnet_scratch s;
};

/* ---- relative position buckets --------------------------------------------- */

/* Bucket of rel = key position - query position: 16 buckets per direction
 * (keys after the query get +16), exact below 8, logarithmic up to 128, in
 * float arithmetic as torch does it (tests/golden/mpnet-buckets.txt checks). */
int bb_mpnet_position_bucket(int relative_position)
{
    int half = MPNET_BUCKETS / 2, max_exact = half / 2, ret = 0;
    long n = -(long)relative_position;
    if (n < 0) {
        ret = half;
        n = -n;
    }
    if (n < max_exact)
        return ret + (int)n;
    float v = logf((float)n / (float)max_exact) /
              (float)log((double)MPNET_MAX_DISTANCE / max_exact) * (float)(half - max_exact);
    long large = max_exact + (long)v;
    return ret + (int)(large < half - 1 ? large : half - 1);
}

/* bias (n_head, t, t)[h][i][j] = rel[bucket(j - i)][h] */
static void position_bias(const float *rel, int n_head, int t, float *bias)
{
    for (int i = 0; i < t; i++)
        for (int j = 0; j < t; j++) {
            const float *r = rel + (size_t)bb_mpnet_position_bucket(j - i) * (size_t)n_head;
            for (int h = 0; h < n_head; h++)
                bias[((size_t)h * (size_t)t + (size_t)i) * (size_t)t + (size_t)j] = r[h];
        }
}

/* ---- load: find, check and upload tensors --------------------------------- */

static const struct bb_enc_attn_names mpnet_attn = {
    {"attn.q", "attn.k", "attn.v"}, "attn.o", "LayerNorm"};

/* Embedding tables, the all-zero token-type row, and the relative bias table. */
static enum bb_status load_embeddings(const struct bb_loader *L, struct mpnet *m, struct bb_error *err)
{
    const struct bb_model_config *cfg = L->cfg;
    int c = cfg->hidden_size, nb = cfg->relative_attention_num_buckets;
    char wv[96], wp[96], wc[64], wr[112];
    snprintf(wv, sizeof wv, "vocab_size %d, hidden_size %d", cfg->vocab_size, c);
    snprintf(wp, sizeof wp, "max_position_embeddings %d, hidden_size %d",
             cfg->max_position_embeddings, c);
    snprintf(wc, sizeof wc, "hidden_size %d", c);
    snprintf(wr, sizeof wr, "relative_attention_num_buckets %d, num_attention_heads %d", nb,
             cfg->num_attention_heads);
    if (nb < MPNET_BUCKETS)
        return bb_fail(err, BB_E_INPUT, "config.json: field 'relative_attention_num_buckets': "
                       "MPNet buckets relative positions into %d, expected at least %d, found %d",
                       MPNET_BUCKETS, MPNET_BUCKETS, nb);
    if (cfg->max_position_embeddings < MPNET_PAD + 3)
        return bb_fail(err, BB_E_INPUT, "config.json: field 'max_position_embeddings': MPNet "
                       "positions start at %d, expected at least %d, found %d", MPNET_PAD + 1,
                       MPNET_PAD + 3, cfg->max_position_embeddings);
    float *zero = calloc((size_t)c, sizeof *zero); // (1, C)
    if (!zero)
        return bb_fail(err, BB_E_NOMEM, "out of memory for the MPNet embeddings");
    enum bb_status s = bb_loader_upload_vec(L, "embeddings.word_embeddings.weight",
                                            cfg->vocab_size, c, wv, &m->word, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.position_embeddings.weight",
                                 cfg->max_position_embeddings, c, wp, &m->posemb, err);
    if (!s)
        s = bb_loader_upload_floats(L->be, zero, (size_t)c, &m->notype, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.LayerNorm.weight", c, 0, wc, &m->emb_ln_g, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.LayerNorm.bias", c, 0, wc, &m->emb_ln_b, err);
    if (!s)
        s = bb_loader_read_f32(L, "encoder.relative_attention_bias.weight", nb,
                               cfg->num_attention_heads, wr, &m->rel, err);
    free(zero);
    return s;
}

static void mpnet_free(void *state);

static enum bb_status mpnet_load(const struct bb_model_config *cfg, struct bb_safetensors *st,
                                 struct bb_backend *be, const struct bb_model_opts *opts,
                                 void **state, struct bb_error *err)
{
    *state = NULL;
    struct mpnet *m = calloc(1, sizeof *m);
    if (m)
        m->layers = calloc((size_t)cfg->num_hidden_layers, sizeof *m->layers);
    if (!m || !m->layers) {
        free(m);
        return bb_fail(err, BB_E_NOMEM, "out of memory for the MPNet model");
    }
    m->cfg = *cfg;
    m->be = be;
    struct bb_loader L;
    bb_loader_init(&L, st, be, cfg, opts, "mpnet.");
    enum bb_status s = load_embeddings(&L, m, err);
    for (int i = 0; i < cfg->num_hidden_layers && !s; i++)
        s = bb_enc_layer_load(&L, i, &mpnet_attn, &m->layers[i], err);
    if (s) {
        mpnet_free(m);
        return s;
    }
    *state = m;
    return BB_OK;
}

static void scratch_free(struct bb_backend *be, struct mpnet_scratch *s)
{
    bb_enc_scratch_free(be, &s->enc);
    bb_buffer_free(be, s->bias);
    free(s->bias_host);
    memset(s, 0, sizeof *s);
}

static void mpnet_free(void *state)
{
    struct mpnet *m = state;
    if (!m)
        return;
    scratch_free(m->be, &m->s);
    for (int i = 0; i < m->cfg.num_hidden_layers; i++)
        bb_enc_layer_free(m->be, &m->layers[i]);
    struct bb_buffer *bufs[] = {m->word, m->posemb, m->notype, m->emb_ln_g, m->emb_ln_b};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        bb_buffer_free(m->be, bufs[i]);
    free(m->rel);
    free(m->layers);
    free(m);
}

/* ---- forward ----------------------------------------------------------------- */

/* The encoder's buffers for n_tok rows and b sequences, and the position
 * bias buffers for T = t (each set reallocated when it grows). */
static enum bb_status scratch_ensure(struct mpnet *m, size_t n_tok, int b, int t,
                                     struct bb_error *err)
{
    struct mpnet_scratch *s = &m->s;
    enum bb_status st = bb_enc_scratch_ensure(m->be, &m->cfg, &s->enc, n_tok, b, err);
    if (st || t <= s->cap_t)
        return st;
    bb_buffer_free(m->be, s->bias);
    free(s->bias_host);
    s->bias = NULL;
    s->cap_t = s->bias_t = 0;
    size_t nbias = (size_t)m->cfg.num_attention_heads * (size_t)t * (size_t)t;
    if (!(s->bias_host = malloc(nbias * sizeof(float))))
        return bb_fail(err, BB_E_NOMEM, "out of memory for %zu positions", n_tok);
    if (!(st = bb_buffer_alloc(m->be, nbias * sizeof(float), &s->bias, err)))
        s->cap_t = t;
    return st;
}

/* Upload ids (B, T), lengths (B), positions as transformers'
 * create_position_ids_from_input_ids (per row: padding_idx + the count of
 * non-padding ids so far, padding_idx itself on padding ids), and the
 * (n_head, T, T) position bias when T changed since the last batch. */
static enum bb_status mpnet_inputs(struct mpnet *m, const int32_t *ids, const int32_t *lengths,
                                   int b, int t, struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s.enc;
    size_t n = (size_t)b * (size_t)t;
    for (int bi = 0; bi < b; bi++) {
        int32_t count = 0;
        for (int j = 0; j < t; j++) {
            size_t i = (size_t)bi * (size_t)t + (size_t)j;
            bool real = ids[i] != MPNET_PAD;
            count += real;
            s->pos_host[i] = real ? MPNET_PAD + count : MPNET_PAD;
        }
    }
    enum bb_status st = bb_backend_upload(m->be, s->ids, 0, ids, n * sizeof(int32_t), err);
    if (!st)
        st = bb_backend_upload(m->be, s->pos, 0, s->pos_host, n * sizeof(int32_t), err);
    if (!st)
        st = bb_backend_upload(m->be, s->lengths, 0, lengths, (size_t)b * sizeof(int32_t), err);
    if (!st && m->s.bias_t != t) {
        size_t nbias = (size_t)m->cfg.num_attention_heads * (size_t)t * (size_t)t;
        position_bias(m->rel, m->cfg.num_attention_heads, t, m->s.bias_host); // (n_head, t, t)
        st = bb_backend_upload(m->be, m->s.bias, 0, m->s.bias_host, nbias * sizeof(float), err);
        m->s.bias_t = st ? 0 : t;
    }
    return st;
}

/* x (N, C) = LayerNorm(word[ids] + pos_emb[pos]) */
static enum bb_status mpnet_embeddings(struct mpnet *m, int n_tok, struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s.enc;
    int c = m->cfg.hidden_size;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_embed(m->be, s->ids, s->pos, NULL, m->word, m->posemb, m->notype,
                                    s->x, n_tok, c, err);
    return st ? st : bb_op_layernorm(m->be, s->x, m->emb_ln_g, m->emb_ln_b, s->x, n_tok, c, eps, err);
}

/* h (N, C) = LayerNorm(x + Wo . attention(Wqkv . x + bqkv, bias) + bo) */
static enum bb_status mpnet_attention(struct mpnet *m, const struct bb_enc_layer *ly, int b, int t,
                                      struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s.enc;
    int c = m->cfg.hidden_size, nh = m->cfg.num_attention_heads, hd = c / nh, n = b * t;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_matmul(m->be, s->x, &ly->qkv, ly->qkv_b, NULL, s->qkv, n,
                                     BB_ACT_NONE, err);                      // (N, 3C)
    if (!st)
        st = bb_op_attention(m->be, s->qkv, s->lengths, m->s.bias, s->ctx, b, t, nh, hd,
                             1.0f / sqrtf((float)hd), err);                  // (N, C)
    if (!st)
        st = bb_op_matmul(m->be, s->ctx, &ly->attn_out, ly->attn_out_b, s->x, s->h, n,
                          BB_ACT_NONE, err);                                 // (N, C)
    if (!st)
        st = bb_op_layernorm(m->be, s->h, ly->ln1_g, ly->ln1_b, s->h, n, c, eps, err);
    return st;
}

/* x (N, C) = LayerNorm(h + Wout . gelu(Wi . h + bi) + bout) */
static enum bb_status mpnet_ffn(struct mpnet *m, const struct bb_enc_layer *ly, int n,
                                struct bb_error *err)
{
    struct bb_enc_scratch *s = &m->s.enc;
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

static enum bb_status mpnet_forward(void *state, const int32_t *ids, const int32_t *lengths,
                                    int b, int t, float *out, struct bb_error *err)
{
    struct mpnet *m = state;
    const struct bb_enc_scratch *s = &m->s.enc;
    int c = m->cfg.hidden_size;
    if (t + MPNET_PAD >= m->cfg.max_position_embeddings)
        return bb_fail(err, BB_E_USAGE, "mpnet: sequence length %d needs position %d, beyond "
                       "max_position_embeddings %d (at most %d tokens)", t, t + MPNET_PAD,
                       m->cfg.max_position_embeddings,
                       m->cfg.max_position_embeddings - MPNET_PAD - 1);
    enum bb_status st = scratch_ensure(m, (size_t)b * (size_t)t, b, t, err);
    if (!st)
        st = mpnet_inputs(m, ids, lengths, b, t, err);
    if (!st)
        st = mpnet_embeddings(m, b * t, err);
    for (int i = 0; i < m->cfg.num_hidden_layers && !st; i++) {
        st = mpnet_attention(m, &m->layers[i], b, t, err);
        if (!st)
            st = mpnet_ffn(m, &m->layers[i], b * t, err);
    }
    if (!st)
        st = bb_op_pool(m->be, s->x, s->lengths, s->pooled, b, t, c, m->cfg.pooling,
                        m->cfg.normalize, err);                               // (B, C)
    if (!st)
        st = bb_backend_download(m->be, s->pooled, 0, out, (size_t)b * c * sizeof(float), err);
    return st;
}

const struct bb_arch bb_arch_mpnet = {
    .name = "mpnet",
    .model_type = "mpnet",
    .load = mpnet_load,
    .forward = mpnet_forward,
    .free = mpnet_free,
};
