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
#include "model/encoder.h"
#include "model/model.h"
#include "model/tensors.h"

/* transformers hard-codes these: MPNetEmbeddings.padding_idx = 1, and
 * MPNetEncoder.compute_position_bias buckets with its defaults whatever
 * relative_attention_num_buckets says (the table only has to be that large). */
#define MPNET_PAD 1
#define MPNET_BUCKETS 32
#define MPNET_MAX_DISTANCE 128

/* MPNet: the shared encoder plus its relative position bias. */
struct mpnet {
    struct bb_encoder e;         /* typeemb: one row of zeros (no token types) */
    float *rel;                  /* (num_buckets, n_head) on the host */
    int cap_t;                   /* T the position bias buffers hold */
    int bias_t;                  /* t the uploaded position bias is for; 0: none */
    struct bb_buffer *bias;      /* (n_head, T, T) relative position bias */
    float *bias_host;            /* (n_head, T, T) */
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

/* The shared tables, the all-zero token-type row, and the relative bias table. */
static enum bb_status load_embeddings(const struct bb_loader *L, struct mpnet *m,
                                      struct bb_error *err)
{
    const struct bb_model_config *cfg = L->cfg;
    int c = cfg->hidden_size, nb = cfg->relative_attention_num_buckets;
    char wr[112];
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
    enum bb_status s = bb_encoder_load_embeddings(&m->e, L, err);
    if (!s)
        s = bb_loader_upload_floats(L->be, zero, (size_t)c, &m->e.typeemb, err);
    if (!s)
        s = bb_loader_read_f32(L, "encoder.relative_attention_bias.weight", nb,
                               cfg->num_attention_heads, wr, &m->rel, err);
    free(zero);
    return s;
}

static void mpnet_free(void *state);

static enum bb_status mpnet_load(const struct bb_model_config *cfg,
                                 const struct bb_tensor_source *src, struct bb_backend *be,
                                 const struct bb_model_opts *opts, void **state,
                                 struct bb_error *err)
{
    *state = NULL;
    struct mpnet *m = calloc(1, sizeof *m);
    if (!m)
        return bb_fail(err, BB_E_NOMEM, "out of memory for the MPNet model");
    m->e.cfg = *cfg;
    m->e.be = be;
    struct bb_loader L;
    bb_loader_init(&L, src, be, cfg, opts, "mpnet.");
    enum bb_status s = load_embeddings(&L, m, err);
    if (!s)
        s = bb_encoder_load_layers(&m->e, &L, &mpnet_attn, err);
    if (s) {
        mpnet_free(m);
        return s;
    }
    *state = m;
    return BB_OK;
}

static void mpnet_free(void *state)
{
    struct mpnet *m = state;
    if (!m)
        return;
    bb_buffer_free(m->e.be, m->bias);
    bb_encoder_free(&m->e);
    free(m->bias_host);
    free(m->rel);
    free(m);
}

/* ---- forward ----------------------------------------------------------------- */

/* The position bias buffers for T = t (reallocated when t grows). */
static enum bb_status bias_ensure(struct mpnet *m, int t, struct bb_error *err)
{
    if (t <= m->cap_t)
        return BB_OK;
    bb_buffer_free(m->e.be, m->bias);
    free(m->bias_host);
    m->bias = NULL;
    m->cap_t = m->bias_t = 0;
    size_t nbias = (size_t)m->e.cfg.num_attention_heads * (size_t)t * (size_t)t;
    if (!(m->bias_host = malloc(nbias * sizeof(float))))
        return bb_fail(err, BB_E_NOMEM, "out of memory for the position bias of %d tokens", t);
    enum bb_status st = bb_buffer_alloc(m->e.be, nbias * sizeof(float), &m->bias, err);
    if (!st)
        m->cap_t = t;
    return st;
}

/* Positions as transformers' create_position_ids_from_input_ids (per row:
 * padding_idx + the count of non-padding ids so far, padding_idx itself on
 * padding ids), and the (n_head, T, T) position bias when T changed since the
 * last batch. */
static enum bb_status mpnet_positions(struct mpnet *m, const int32_t *ids, int b, int t,
                                      struct bb_error *err)
{
    int32_t *pos = m->e.s.pos_host; // (B, T)
    for (int bi = 0; bi < b; bi++) {
        int32_t count = 0;
        for (int j = 0; j < t; j++) {
            size_t i = (size_t)bi * (size_t)t + (size_t)j;
            bool real = ids[i] != MPNET_PAD;
            count += real;
            pos[i] = real ? MPNET_PAD + count : MPNET_PAD;
        }
    }
    if (m->bias_t == t)
        return BB_OK;
    int nh = m->e.cfg.num_attention_heads;
    size_t nbias = (size_t)nh * (size_t)t * (size_t)t;
    position_bias(m->rel, nh, t, m->bias_host); // (n_head, t, t)
    enum bb_status st = bb_backend_upload(m->e.be, m->bias, 0, m->bias_host,
                                          nbias * sizeof(float), err);
    m->bias_t = st ? 0 : t;
    return st;
}

static enum bb_status mpnet_forward(void *state, const int32_t *ids, const int32_t *lengths,
                                    int b, int t, float *out, struct bb_error *err)
{
    struct mpnet *m = state;
    struct bb_encoder *e = &m->e;
    if (t + MPNET_PAD >= e->cfg.max_position_embeddings)
        return bb_fail(err, BB_E_USAGE, "mpnet: sequence length %d needs position %d, beyond "
                       "max_position_embeddings %d (at most %d tokens)", t, t + MPNET_PAD,
                       e->cfg.max_position_embeddings,
                       e->cfg.max_position_embeddings - MPNET_PAD - 1);
    enum bb_status st = bb_enc_scratch_ensure(e->be, &e->cfg, &e->s, (size_t)b * (size_t)t, b,
                                              err);
    if (!st)
        st = bias_ensure(m, t, err);
    if (!st)
        st = mpnet_positions(m, ids, b, t, err);
    if (!st)
        st = bb_encoder_inputs(e, ids, lengths, b, t, err);
    return st ? st : bb_encoder_forward(e, m->bias, b, t, out, err);
}

const struct bb_arch bb_arch_mpnet = {
    .name = "mpnet",
    .model_type = "mpnet",
    .load = mpnet_load,
    .forward = mpnet_forward,
    .free = mpnet_free,
};
