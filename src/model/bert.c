/* bert.c: the BERT encoder (all-MiniLM-L6-v2 and kin): its tensor names,
 * embedding tables (word, position, token type) and positions 0..T-1; the
 * layers and pooling are the shared encoder's (loader.c). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/encoder.h"
#include "model/model.h"
#include "model/tensors.h"

/* BERT is the plain encoder: nothing beyond what struct bb_encoder holds. */
struct bert {
    struct bb_encoder e;
};

/* ---- load: find, check and upload tensors --------------------------------- */

static const struct bb_enc_attn_names bert_attn = {
    {"self.query", "self.key", "self.value"}, "output.dense", "output.LayerNorm"};

/* The shared tables, then BERT's token-type table. */
static enum bb_status load_embeddings(const struct bb_loader *L, struct bert *m,
                                      struct bb_error *err)
{
    const struct bb_model_config *cfg = L->cfg;
    int c = cfg->hidden_size;
    char wt[96];
    snprintf(wt, sizeof wt, "type_vocab_size %d, hidden_size %d", cfg->type_vocab_size, c);
    if (cfg->type_vocab_size < 1)
        return bb_fail(err, BB_E_UNSUPPORTED, "config.json: BERT needs type_vocab_size >= 1, "
                       "found %d", cfg->type_vocab_size);
    enum bb_status s = bb_encoder_load_embeddings(&m->e, L, err);
    if (!s)
        s = bb_loader_upload_vec(L, "embeddings.token_type_embeddings.weight",
                                 cfg->type_vocab_size, c, wt, &m->e.typeemb, err);
    return s;
}

static void bert_free(void *state);

static enum bb_status bert_load(const struct bb_model_config *cfg,
                                const struct bb_tensor_source *src, struct bb_backend *be,
                                const struct bb_model_opts *opts, void **state,
                                struct bb_error *err)
{
    *state = NULL;
    struct bert *m = calloc(1, sizeof *m);
    if (!m)
        return bb_fail(err, BB_E_NOMEM, "out of memory for the BERT model");
    m->e.cfg = *cfg;
    m->e.be = be;
    struct bb_loader L;
    bb_loader_init(&L, src, be, cfg, opts, "bert.");
    enum bb_status s = load_embeddings(&L, m, err);
    if (!s)
        s = bb_encoder_load_layers(&m->e, &L, &bert_attn, err);
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
    bb_encoder_free(&m->e);
    free(m);
}

/* ---- forward ----------------------------------------------------------------- */

/* Positions 0..T-1 per row; the layers are the shared encoder's. */
static enum bb_status bert_forward(void *state, const int32_t *ids, const int32_t *lengths,
                                   int b, int t, float *out, struct bb_error *err)
{
    struct bb_encoder *e = &((struct bert *)state)->e;
    if (t > e->cfg.max_position_embeddings)
        return bb_fail(err, BB_E_INTERNAL, "bert: sequence length %d exceeds "
                       "max_position_embeddings %d", t, e->cfg.max_position_embeddings);
    size_t n = (size_t)b * (size_t)t;
    enum bb_status st = bb_enc_scratch_ensure(e->be, &e->cfg, &e->s, n, b, err);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        e->s.pos_host[i] = (int32_t)(i % (size_t)t);
    st = bb_encoder_inputs(e, ids, lengths, b, t, err);
    return st ? st : bb_encoder_forward(e, NULL, b, t, out, err);
}

const struct bb_arch bb_arch_bert = {
    .name = "bert",
    .model_type = "bert",
    .load = bert_load,
    .forward = bert_forward,
    .free = bert_free,
};
