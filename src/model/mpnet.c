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
#include "model/model.h"
#include "model/safetensors.h"

/* transformers hard-codes these: MPNetEmbeddings.padding_idx = 1, and
 * MPNetEncoder.compute_position_bias buckets with its defaults whatever
 * relative_attention_num_buckets says (the table only has to be that large). */
#define MPNET_PAD 1
#define MPNET_BUCKETS 32
#define MPNET_MAX_DISTANCE 128

struct mpnet_layer {
    struct bb_weight qkv;      /* (3C, C): q, k, v rows concatenated */
    struct bb_weight attn_out; /* (C, C): attn.o */
    struct bb_weight inter;    /* (I, C) */
    struct bb_weight out;      /* (C, I) */
    struct bb_buffer *qkv_b;   /* (3C) */
    struct bb_buffer *attn_out_b, *ln1_g, *ln1_b; /* (C) each */
    struct bb_buffer *inter_b; /* (I) */
    struct bb_buffer *out_b, *ln2_g, *ln2_b;      /* (C) each */
};

/* Activations, reused across calls; grown when a batch is larger. */
struct mpnet_scratch {
    size_t cap_tok; /* N = b*t rows the buffers hold */
    int cap_b, cap_t;
    int bias_t;                  /* t the uploaded position bias is for; 0: none */
    struct bb_buffer *ids, *pos; /* int32 (N) */
    struct bb_buffer *lengths;   /* int32 (B) */
    struct bb_buffer *x;         /* (N, C) hidden state */
    struct bb_buffer *h;         /* (N, C) after attention + LayerNorm */
    struct bb_buffer *qkv;       /* (N, 3C) */
    struct bb_buffer *ctx;       /* (N, C) attention output */
    struct bb_buffer *ffn;       /* (N, I) */
    struct bb_buffer *pooled;    /* (B, C) */
    struct bb_buffer *bias;      /* (n_head, T, T) relative position bias */
    int32_t *pos_host;           /* (N) */
    float *bias_host;            /* (n_head, T, T) */
};

struct mpnet {
    struct bb_model_config cfg;
    struct bb_backend *be;
    struct bb_buffer *word;      /* (V, C) */
    struct bb_buffer *posemb;    /* (P, C) */
    struct bb_buffer *notype;    /* (1, C) zeros: MPNet has no token types */
    struct bb_buffer *emb_ln_g, *emb_ln_b; /* (C) */
    float *rel;                  /* (num_buckets, n_head) on the host */
    struct mpnet_layer *layers;  /* num_hidden_layers */
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

/* Find name, or "mpnet." + name; check its shape is (d0) or (d0, d1). `why`
 * names the config.json fields the shape derives from. */
static enum bb_status get_tensor(const struct loader *L, const char *name, int d0, int d1,
                                 const char *why, const struct bb_st_tensor **out,
                                 struct bb_error *err)
{
    char alt[256];
    snprintf(alt, sizeof alt, "mpnet.%s", name);
    const struct bb_st_tensor *t = bb_safetensors_find(L->st, name);
    if (!t)
        t = bb_safetensors_find(L->st, alt);
    if (!t)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s' is missing (also looked for '%s')",
                       st_file(L), name, alt);
    int ndim = d1 ? 2 : 1;
    if (!(t->ndim == ndim && t->shape[0] == d0 && (ndim == 1 || t->shape[1] == d1))) {
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

/* A float32 host copy of tensor `name` (shape checked); caller frees. */
static enum bb_status read_f32(const struct loader *L, const char *name, int d0, int d1,
                               const char *why, float **out, struct bb_error *err)
{
    const struct bb_st_tensor *t;
    *out = NULL;
    enum bb_status s = get_tensor(L, name, d0, d1, why, &t, err);
    if (s)
        return s;
    if (!(*out = malloc((size_t)t->numel * sizeof(float))))
        return bb_fail(err, BB_E_NOMEM, "%s: tensor '%s': out of memory", st_file(L), t->name);
    if ((s = bb_safetensors_to_f32(L->st, t, *out, err))) {
        free(*out);
        *out = NULL;
    }
    return s;
}

static enum bb_status upload_floats(struct bb_backend *be, const float *src, size_t n,
                                    struct bb_buffer **out, struct bb_error *err)
{
    enum bb_status s = bb_buffer_alloc(be, n * sizeof(float), out, err);
    return s ? s : bb_backend_upload(be, *out, 0, src, n * sizeof(float), err);
}

/* A plain float32 buffer (biases, LayerNorm, embedding tables). */
static enum bb_status upload_vec(const struct loader *L, const char *name, int d0, int d1,
                                 const char *why, struct bb_buffer **out, struct bb_error *err)
{
    float *tmp = NULL;
    enum bb_status s = read_f32(L, name, d0, d1, why, &tmp, err);
    if (!s)
        s = upload_floats(L->be, tmp, (size_t)d0 * (size_t)(d1 ? d1 : 1), out, err);
    free(tmp);
    return s;
}

/* A linear weight (n, k) through bb_weight_upload in the chosen storage. */
static enum bb_status upload_linear(const struct loader *L, const char *name, int n, int k,
                                    const char *why, struct bb_weight *w, struct bb_error *err)
{
    float *tmp = NULL;
    enum bb_status s = read_f32(L, name, n, k, why, &tmp, err);
    if (!s)
        s = bb_weight_upload(L->be, tmp, BB_F32, n, k, L->storage, w, err);
    free(tmp);
    return s;
}

/* attn.q, attn.k, attn.v (C, C) each -> one (3C, C) weight and a (3C) bias. */
static enum bb_status upload_qkv(const struct loader *L, int li, struct mpnet_layer *ly,
                                 struct bb_error *err)
{
    static const char part[3] = {'q', 'k', 'v'};
    int c = L->cfg->hidden_size;
    size_t cc = (size_t)c * (size_t)c;
    char why[64], name[160];
    snprintf(why, sizeof why, "hidden_size %d", c);
    float *w = malloc(3 * cc * sizeof(float));        /* (3C, C) */
    float *b = malloc(3 * (size_t)c * sizeof(float)); /* (3C) */
    enum bb_status s = BB_OK;
    if (!w || !b) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for layer %d's QKV weights", li);
        goto done;
    }
    for (int p = 0; p < 3 && !s; p++) {
        const struct bb_st_tensor *tw, *tb;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.attn.%c.weight", li, part[p]);
        if ((s = get_tensor(L, name, c, c, why, &tw, err)))
            break;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.attn.%c.bias", li, part[p]);
        if ((s = get_tensor(L, name, c, 0, why, &tb, err)) ||
            (s = bb_safetensors_to_f32(L->st, tw, w + (size_t)p * cc, err)))
            break;
        s = bb_safetensors_to_f32(L->st, tb, b + (size_t)p * (size_t)c, err);
    }
    if (!s)
        s = bb_weight_upload(L->be, w, BB_F32, 3 * c, c, L->storage, &ly->qkv, err);
    if (!s)
        s = upload_floats(L->be, b, 3 * (size_t)c, &ly->qkv_b, err);
done:
    free(w);
    free(b);
    return s;
}

static enum bb_status load_layer(const struct loader *L, int li, struct mpnet_layer *ly,
                                 struct bb_error *err)
{
    int c = L->cfg->hidden_size, in = L->cfg->intermediate_size;
    char n[160], whyc[64], whyi[96], whyo[96];
    snprintf(whyc, sizeof whyc, "hidden_size %d", c);
    snprintf(whyi, sizeof whyi, "intermediate_size %d, hidden_size %d", in, c);
    snprintf(whyo, sizeof whyo, "hidden_size %d, intermediate_size %d", c, in);
    enum bb_status s = upload_qkv(L, li, ly, err);
#define P(fmt) (snprintf(n, sizeof n, "encoder.layer.%d." fmt, li), n)
    if (!s) s = upload_linear(L, P("attention.attn.o.weight"), c, c, whyc, &ly->attn_out, err);
    if (!s) s = upload_vec(L, P("attention.attn.o.bias"), c, 0, whyc, &ly->attn_out_b, err);
    if (!s) s = upload_vec(L, P("attention.LayerNorm.weight"), c, 0, whyc, &ly->ln1_g, err);
    if (!s) s = upload_vec(L, P("attention.LayerNorm.bias"), c, 0, whyc, &ly->ln1_b, err);
    if (!s) s = upload_linear(L, P("intermediate.dense.weight"), in, c, whyi, &ly->inter, err);
    if (!s) s = upload_vec(L, P("intermediate.dense.bias"), in, 0, whyi, &ly->inter_b, err);
    if (!s) s = upload_linear(L, P("output.dense.weight"), c, in, whyo, &ly->out, err);
    if (!s) s = upload_vec(L, P("output.dense.bias"), c, 0, whyc, &ly->out_b, err);
    if (!s) s = upload_vec(L, P("output.LayerNorm.weight"), c, 0, whyc, &ly->ln2_g, err);
    if (!s) s = upload_vec(L, P("output.LayerNorm.bias"), c, 0, whyc, &ly->ln2_b, err);
#undef P
    return s;
}

/* Embedding tables, the all-zero token-type row, and the relative bias table. */
static enum bb_status load_embeddings(const struct loader *L, struct mpnet *m, struct bb_error *err)
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
    enum bb_status s = upload_vec(L, "embeddings.word_embeddings.weight", cfg->vocab_size, c, wv,
                                  &m->word, err);
    if (!s)
        s = upload_vec(L, "embeddings.position_embeddings.weight", cfg->max_position_embeddings,
                       c, wp, &m->posemb, err);
    if (!s)
        s = upload_floats(L->be, zero, (size_t)c, &m->notype, err);
    if (!s)
        s = upload_vec(L, "embeddings.LayerNorm.weight", c, 0, wc, &m->emb_ln_g, err);
    if (!s)
        s = upload_vec(L, "embeddings.LayerNorm.bias", c, 0, wc, &m->emb_ln_b, err);
    if (!s)
        s = read_f32(L, "encoder.relative_attention_bias.weight", nb, cfg->num_attention_heads,
                     wr, &m->rel, err);
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
    struct loader L = {st, be, cfg, opts && opts->weights == BB_F16 ? BB_F16 : BB_F32};
    enum bb_status s = load_embeddings(&L, m, err);
    for (int i = 0; i < cfg->num_hidden_layers && !s; i++)
        s = load_layer(&L, i, &m->layers[i], err);
    if (s) {
        mpnet_free(m);
        return s;
    }
    *state = m;
    return BB_OK;
}

static void scratch_free(struct bb_backend *be, struct mpnet_scratch *s)
{
    struct bb_buffer **bufs[] = {&s->ids, &s->pos, &s->lengths, &s->x,      &s->h,
                                 &s->qkv, &s->ctx, &s->ffn,     &s->pooled, &s->bias};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        bb_buffer_free(be, *bufs[i]);
        *bufs[i] = NULL;
    }
    free(s->pos_host);
    free(s->bias_host);
    memset(s, 0, sizeof *s);
}

static void layer_free(struct bb_backend *be, struct mpnet_layer *ly)
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

static void mpnet_free(void *state)
{
    struct mpnet *m = state;
    if (!m)
        return;
    scratch_free(m->be, &m->s);
    for (int i = 0; i < m->cfg.num_hidden_layers; i++)
        layer_free(m->be, &m->layers[i]);
    struct bb_buffer *bufs[] = {m->word, m->posemb, m->notype, m->emb_ln_g, m->emb_ln_b};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        bb_buffer_free(m->be, bufs[i]);
    free(m->rel);
    free(m->layers);
    free(m);
}

/* ---- forward ----------------------------------------------------------------- */

static enum bb_status scratch_alloc(struct mpnet *m, size_t n_tok, int b, int t,
                                    struct bb_error *err)
{
    struct mpnet_scratch *s = &m->s;
    struct bb_backend *be = m->be;
    size_t c = (size_t)m->cfg.hidden_size, in = (size_t)m->cfg.intermediate_size, f = sizeof(float);
    size_t nbias = (size_t)m->cfg.num_attention_heads * (size_t)t * (size_t)t;
    enum bb_status st = BB_OK;
    s->pos_host = malloc(n_tok * sizeof(int32_t));
    s->bias_host = malloc(nbias * f);
    if (!s->pos_host || !s->bias_host)
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
    if (!st) st = bb_buffer_alloc(be, nbias * f, &s->bias, err);
    return st;
}

static enum bb_status scratch_ensure(struct mpnet *m, size_t n_tok, int b, int t,
                                    struct bb_error *err)
{
    struct mpnet_scratch *s = &m->s;
    if (n_tok <= s->cap_tok && b <= s->cap_b && t <= s->cap_t)
        return BB_OK;
    if (n_tok < s->cap_tok)
        n_tok = s->cap_tok;
    if (b < s->cap_b)
        b = s->cap_b;
    if (t < s->cap_t)
        t = s->cap_t;
    scratch_free(m->be, s);
    enum bb_status st = scratch_alloc(m, n_tok, b, t, err);
    if (st) {
        scratch_free(m->be, s);
        return st;
    }
    s->cap_tok = n_tok;
    s->cap_b = b;
    s->cap_t = t;
    return BB_OK;
}

/* Upload ids (B, T), lengths (B), positions as transformers'
 * create_position_ids_from_input_ids (per row: padding_idx + the count of
 * non-padding ids so far, padding_idx itself on padding ids), and the
 * (n_head, T, T) position bias when T changed since the last batch. */
static enum bb_status mpnet_inputs(struct mpnet *m, const int32_t *ids, const int32_t *lengths,
                                   int b, int t, struct bb_error *err)
{
    struct mpnet_scratch *s = &m->s;
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
    if (!st && s->bias_t != t) {
        size_t nbias = (size_t)m->cfg.num_attention_heads * (size_t)t * (size_t)t;
        position_bias(m->rel, m->cfg.num_attention_heads, t, s->bias_host); // (n_head, t, t)
        st = bb_backend_upload(m->be, s->bias, 0, s->bias_host, nbias * sizeof(float), err);
        s->bias_t = st ? 0 : t;
    }
    return st;
}

/* x (N, C) = LayerNorm(word[ids] + pos_emb[pos]) */
static enum bb_status mpnet_embeddings(struct mpnet *m, int n_tok, struct bb_error *err)
{
    struct mpnet_scratch *s = &m->s;
    int c = m->cfg.hidden_size;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_embed(m->be, s->ids, s->pos, NULL, m->word, m->posemb, m->notype,
                                    s->x, n_tok, c, err);
    return st ? st : bb_op_layernorm(m->be, s->x, m->emb_ln_g, m->emb_ln_b, s->x, n_tok, c, eps, err);
}

/* h (N, C) = LayerNorm(x + Wo . attention(Wqkv . x + bqkv, bias) + bo) */
static enum bb_status mpnet_attention(struct mpnet *m, const struct mpnet_layer *ly, int b, int t,
                                      struct bb_error *err)
{
    struct mpnet_scratch *s = &m->s;
    int c = m->cfg.hidden_size, nh = m->cfg.num_attention_heads, hd = c / nh, n = b * t;
    float eps = (float)m->cfg.layer_norm_eps;
    enum bb_status st = bb_op_matmul(m->be, s->x, &ly->qkv, ly->qkv_b, NULL, s->qkv, n,
                                     BB_ACT_NONE, err);                      // (N, 3C)
    if (!st)
        st = bb_op_attention(m->be, s->qkv, s->lengths, s->bias, s->ctx, b, t, nh, hd,
                             1.0f / sqrtf((float)hd), err);                  // (N, C)
    if (!st)
        st = bb_op_matmul(m->be, s->ctx, &ly->attn_out, ly->attn_out_b, s->x, s->h, n,
                          BB_ACT_NONE, err);                                 // (N, C)
    if (!st)
        st = bb_op_layernorm(m->be, s->h, ly->ln1_g, ly->ln1_b, s->h, n, c, eps, err);
    return st;
}

/* x (N, C) = LayerNorm(h + Wout . gelu(Wi . h + bi) + bout) */
static enum bb_status mpnet_ffn(struct mpnet *m, const struct mpnet_layer *ly, int n,
                                struct bb_error *err)
{
    struct mpnet_scratch *s = &m->s;
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
        st = bb_op_pool(m->be, m->s.x, m->s.lengths, m->s.pooled, b, t, c, m->cfg.pooling,
                        m->cfg.normalize, err);                               // (B, C)
    if (!st)
        st = bb_backend_download(m->be, m->s.pooled, 0, out, (size_t)b * c * sizeof(float), err);
    return st;
}

const struct bb_arch bb_arch_mpnet = {
    .name = "mpnet",
    .model_type = "mpnet",
    .load = mpnet_load,
    .forward = mpnet_forward,
    .free = mpnet_free,
};
