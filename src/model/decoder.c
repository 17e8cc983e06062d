/* decoder.c: causal language models on the backend ops. Loads a decoder from
 * a GGUF file or a Hugging Face folder through the tensor-source interface
 * (the architecture table row says which tensors and blocks it has), keeps
 * quantised weights quantised on the device, and runs the forward pass one
 * plain function per block: token (+ position) embedding, per layer
 * norm -> Q/K/V -> RoPE -> causal grouped-query attention -> output
 * projection + residual, norm -> SwiGLU or GELU MLP + residual; final norm,
 * LM head in row chunks, and log-probabilities gathered on the device. */
#include "model/decoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/quant.h"
#include "core/json.h"
#include "core/log.h"
#include "model/gguf.h"
#include "core/paths.h"

/* ---- the architecture table ------------------------------------------------- */

static const struct bb_lm_arch *const archs[] = {&bb_lm_llama, &bb_lm_qwen2, &bb_lm_gpt2};
#define N_ARCHS (sizeof archs / sizeof *archs)

const struct bb_lm_arch *bb_lm_arch_by_gguf(const char *gguf_arch)
{
    for (size_t i = 0; i < N_ARCHS; i++)
        if (!strcmp(archs[i]->gguf_arch, gguf_arch))
            return archs[i];
    return NULL;
}

const struct bb_lm_arch *bb_lm_arch_by_hf(const char *model_type)
{
    for (size_t i = 0; i < N_ARCHS; i++)
        if (!strcmp(archs[i]->hf_model_type, model_type))
            return archs[i];
    return NULL;
}

const char *bb_lm_arch_list(void)
{
    return "llama, qwen2, gpt2";
}

/* GGUF tensor names are the same for every architecture. */
static const char *const gguf_names[BB_LM_ROLE_COUNT] = {
    [BB_LM_TOK_EMB] = "token_embd.weight",
    [BB_LM_POS_EMB] = "position_embd.weight",
    [BB_LM_OUT_NORM] = "output_norm.weight",
    [BB_LM_OUT_NORM_B] = "output_norm.bias",
    [BB_LM_OUTPUT] = "output.weight",
    [BB_LM_ATTN_NORM] = "blk.%d.attn_norm.weight",
    [BB_LM_ATTN_NORM_B] = "blk.%d.attn_norm.bias",
    [BB_LM_Q] = "blk.%d.attn_q.weight",
    [BB_LM_K] = "blk.%d.attn_k.weight",
    [BB_LM_V] = "blk.%d.attn_v.weight",
    [BB_LM_QKV] = "blk.%d.attn_qkv.weight",
    [BB_LM_Q_B] = "blk.%d.attn_q.bias",
    [BB_LM_K_B] = "blk.%d.attn_k.bias",
    [BB_LM_V_B] = "blk.%d.attn_v.bias",
    [BB_LM_QKV_B] = "blk.%d.attn_qkv.bias",
    [BB_LM_O] = "blk.%d.attn_output.weight",
    [BB_LM_O_B] = "blk.%d.attn_output.bias",
    [BB_LM_FFN_NORM] = "blk.%d.ffn_norm.weight",
    [BB_LM_FFN_NORM_B] = "blk.%d.ffn_norm.bias",
    [BB_LM_GATE] = "blk.%d.ffn_gate.weight",
    [BB_LM_UP] = "blk.%d.ffn_up.weight",
    [BB_LM_DOWN] = "blk.%d.ffn_down.weight",
    [BB_LM_UP_B] = "blk.%d.ffn_up.bias",
    [BB_LM_DOWN_B] = "blk.%d.ffn_down.bias",
};

/* ---- the model -------------------------------------------------------------- */

struct lm_layer {
    struct bb_buffer *attn_norm, *attn_norm_b;  /* (C) */
    struct bb_weight wq, wk, wv, wo;            /* (Hq, C), (Hkv, C) x2, (C, Hq) */
    struct bb_buffer *bq, *bk, *bv, *bo;        /* (Hq), (Hkv) x2, (C); NULL when absent */
    struct bb_buffer *ffn_norm, *ffn_norm_b;    /* (C) */
    struct bb_weight w_in;   /* SwiGLU: (2F, C), gate rows then up rows; GELU MLP: (F, C) */
    struct bb_weight w_down; /* (C, F) */
    struct bb_buffer *b_in, *b_down;            /* GELU MLP biases (F), (C) */
    struct bb_buffer *kc, *vc;                  /* KV cache (t_cap, Hkv), generation only */
};

/* Activations for up to cap rows (tokens), reused across calls. */
struct lm_scratch {
    int cap;
    struct bb_buffer *ids, *pos;       /* int32 (N) */
    struct bb_buffer *x, *h;           /* (N, C) */
    struct bb_buffer *q, *att;         /* (N, Hq) */
    struct bb_buffer *k, *v;           /* (N, Hkv) */
    struct bb_buffer *ff, *ffo;        /* (N, 2F) or (N, F); (N, F) */
    int cap_logit;                     /* rows of the LM head chunk */
    struct bb_buffer *hc, *logits;     /* (R, C), (R, V) */
    struct bb_buffer *tgt, *lp, *am;   /* int32 (R), f32 (R), int32 (R) */
    int32_t *pos_host;                 /* (N) */
};

struct bb_lm {
    const struct bb_lm_arch *arch;
    struct bb_lm_hparams hp;
    const char *format;
    struct bb_backend *be;
    struct bb_weight tok_emb, pos_emb, output; /* output: NULL buf when tied */
    struct bb_buffer *out_norm, *out_norm_b;
    struct lm_layer *layers;
    struct lm_scratch s;
    int kv_cap; /* rows of the KV caches (0: none yet) */
};

/* Rows of logits computed at once: (R, V) floats of at most 64 MiB. */
static int logit_rows(const struct bb_lm *lm)
{
    long r = (64L << 20) / ((long)lm->hp.n_vocab * 4);
    return r < 1 ? 1 : r > 512 ? 512 : (int)r;
}

/* ---- loading: tensors by role ----------------------------------------------- */

struct lm_loader {
    struct bb_lm *lm;
    const struct bb_tensor_source *src;
    bool gguf;
    enum bb_dtype storage; /* float weights from HF folders: F32 or F16 */
};

static const char *role_name(const struct lm_loader *L, enum bb_lm_role r, int layer, char *buf,
                             size_t size)
{
    const char *fmt = L->gguf ? gguf_names[r] : L->lm->arch->hf_names[r];
    if (!fmt)
        return NULL;
    snprintf(buf, size, fmt, layer);
    return buf;
}

/* The tensor for role r of layer `layer`, or NULL (*name set when the arch names one). */
static const struct bb_tensor *find_role(const struct lm_loader *L, enum bb_lm_role r, int layer,
                                         char *name, size_t size)
{
    name[0] = 0;
    if (!role_name(L, r, layer, name, size))
        return NULL;
    const struct bb_tensor *t = bb_tensors_find(L->src, name);
    if (!t && !L->gguf) { /* GPT2LMHeadModel: "transformer." + the GPT2Model name */
        char alt[300];
        snprintf(alt, sizeof alt, "transformer.%s", name);
        t = bb_tensors_find(L->src, alt);
    }
    return t;
}

/* Shape check: want {d0} or {d0, d1} (outermost first); HF Conv1D weights are
 * stored transposed, so `transposed` swaps d0 and d1 for the check. */
static enum bb_status check_shape(const struct lm_loader *L, const struct bb_tensor *t, int64_t d0,
                                  int64_t d1, bool transposed, struct bb_error *err)
{
    int64_t a = transposed ? d1 : d0, b = transposed ? d0 : d1;
    bool ok = d1 ? (t->ndim == 2 && t->shape[0] == a && t->shape[1] == b)
                 : (t->ndim == 1 && t->shape[0] == d0);
    if (ok)
        return BB_OK;
    char got[128] = "[";
    for (int i = 0; i < t->ndim; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "",
                 (long long)t->shape[i]);
    if (d1)
        return bb_fail(err, BB_E_INPUT,
                       "%s: tensor '%s': shape %s], expected [%lld, %lld] from the "
                       "model's hyperparameters",
                       L->src->path, t->name, got, (long long)a, (long long)b);
    return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': shape %s], expected [%lld] from the model's "
                   "hyperparameters", L->src->path, t->name, got, (long long)d0);
}

static enum bb_status need(const struct lm_loader *L, enum bb_lm_role r, int layer,
                           const struct bb_tensor **out, struct bb_error *err)
{
    char name[256];
    if (!(*out = find_role(L, r, layer, name, sizeof name)))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s' is missing (%s architecture)",
                       L->src->path, name[0] ? name : "?", L->lm->arch->name);
    return BB_OK;
}

/* A float32 host copy of t's n elements (any supported dtype). */
static enum bb_status to_f32(const struct bb_tensor *t, float **out, struct bb_error *err)
{
    if (t->dtype == BB_I32 || !(*out = malloc((size_t)t->numel * sizeof(float))))
        return t->dtype == BB_I32
                   ? bb_fail(err, BB_E_INPUT, "tensor '%s': dtype i32, expected a float or "
                             "quantised type", t->name)
                   : bb_fail(err, BB_E_NOMEM, "out of memory reading tensor '%s'", t->name);
    int64_t row = t->shape[t->ndim - 1], rows = t->numel / row;
    size_t rb = bb_dtype_row_bytes(t->dtype, row);
    for (int64_t i = 0; i < rows; i++)
        bb_dequantize_row(t->dtype, (const char *)t->data + (size_t)i * rb, *out + i * row, row);
    return BB_OK;
}

/* A vector (norm weight, bias) of n floats as a float32 device buffer; role
 * absent and optional -> *out NULL. */
static enum bb_status load_vec(const struct lm_loader *L, enum bb_lm_role r, int layer, int64_t n,
                               bool required, struct bb_buffer **out, struct bb_error *err)
{
    char name[256];
    const struct bb_tensor *t = find_role(L, r, layer, name, sizeof name);
    *out = NULL;
    if (!t)
        return required ? need(L, r, layer, &t, err) : BB_OK;
    float *f = NULL;
    enum bb_status s = check_shape(L, t, n, 0, false, err);
    if (!s)
        s = to_f32(t, &f, err);
    if (!s)
        s = bb_buffer_alloc(L->lm->be, (size_t)n * sizeof(float), out, err);
    if (!s)
        s = bb_backend_upload(L->lm->be, *out, 0, f, (size_t)n * sizeof(float), err);
    free(f);
    return s;
}

/* Upload rows [r0, r0+n) of tensor t (k columns) as a linear weight (n, k).
 * Quantised data stays quantised; float data is stored as L->storage. HF
 * Conv1D tensors (k rows of all-outputs columns) are transposed on the host. */
static enum bb_status upload_rows(const struct lm_loader *L, const struct bb_tensor *t, bool conv1d,
                                  int64_t r0, int64_t n, int64_t k, struct bb_weight *w,
                                  struct bb_error *err)
{
    struct bb_backend *be = L->lm->be;
    if (!conv1d) {
        const char *p = (const char *)t->data + (size_t)r0 * bb_dtype_row_bytes(t->dtype, k);
        enum bb_dtype st = bb_dtype_is_quant(t->dtype) ? t->dtype : L->storage;
        return bb_weight_upload(be, p, t->dtype, (int)n, (int)k, st, w, err);
    }
    float *all = NULL, *tr = malloc((size_t)n * (size_t)k * sizeof(float));
    enum bb_status s = tr ? to_f32(t, &all, err)
                          : bb_fail(err, BB_E_NOMEM, "out of memory for tensor '%s'", t->name);
    int64_t cols = t->shape[1]; /* (k, cols): stored in -> out */
    for (int64_t i = 0; !s && i < n; i++)
        for (int64_t j = 0; j < k; j++)
            tr[i * k + j] = all[j * cols + r0 + i];
    if (!s)
        s = bb_weight_upload(be, tr, BB_F32, (int)n, (int)k, L->storage, w, err);
    free(all);
    free(tr);
    return s;
}

/* GPT-2's Conv1D layers (not its embeddings) store HF weights as (in, out). */
static bool conv1d(const struct lm_loader *L, enum bb_lm_role r)
{
    return !L->gguf && L->lm->arch->hf_conv1d && r != BB_LM_TOK_EMB && r != BB_LM_POS_EMB &&
           r != BB_LM_OUTPUT;
}

static enum bb_status load_linear(const struct lm_loader *L, enum bb_lm_role r, int layer,
                                  int64_t n, int64_t k, struct bb_weight *w, struct bb_error *err)
{
    const struct bb_tensor *t;
    bool conv = conv1d(L, r);
    enum bb_status s = need(L, r, layer, &t, err);
    if (!s)
        s = check_shape(L, t, n, k, conv, err);
    return s ? s : upload_rows(L, t, conv, 0, n, k, w, err);
}

/* SwiGLU's gate and up projections as one (2F, C) weight: gate rows first. */
static enum bb_status load_gate_up(const struct lm_loader *L, int li, struct bb_weight *w,
                                   struct bb_error *err)
{
    const struct { int f, c; } d = {L->lm->hp.n_ff, L->lm->hp.n_embd};
    const struct bb_tensor *g, *u;
    enum bb_status s;
    if ((s = need(L, BB_LM_GATE, li, &g, err)) || (s = need(L, BB_LM_UP, li, &u, err)) ||
        (s = check_shape(L, g, d.f, d.c, false, err)) ||
        (s = check_shape(L, u, d.f, d.c, false, err)))
        return s;
    bool same = g->dtype == u->dtype;
    enum bb_dtype dt = same ? g->dtype : BB_F32;
    size_t half = same ? g->bytes : (size_t)d.f * (size_t)d.c * sizeof(float);
    char *cat = malloc(2 * half);
    if (!cat)
        return bb_fail(err, BB_E_NOMEM, "out of memory for layer %d's feed-forward", li);
    float *fg = NULL, *fu = NULL;
    if (same) {
        memcpy(cat, g->data, half);
        memcpy(cat + half, u->data, half);
    } else if (!(s = to_f32(g, &fg, err)) && !(s = to_f32(u, &fu, err))) {
        memcpy(cat, fg, half);
        memcpy(cat + half, fu, half);
    }
    enum bb_dtype st = bb_dtype_is_quant(dt) ? dt : L->storage;
    if (!s)
        s = bb_weight_upload(L->lm->be, cat, dt, 2 * d.f, d.c, st, w, err);
    free(fg);
    free(fu);
    free(cat);
    return s;
}

/* Q, K and V: three tensors, or GPT-2's fused one split by rows. */
static enum bb_status load_qkv(const struct lm_loader *L, int li, struct lm_layer *ly,
                               struct bb_error *err)
{
    const struct bb_lm_hparams *hp = &L->lm->hp;
    int64_t c = hp->n_embd, hq = (int64_t)hp->n_head * hp->head_dim;
    int64_t hkv = (int64_t)hp->n_kv_head * hp->head_dim;
    enum bb_status s;
    if (!L->lm->arch->fused_qkv) {
        if ((s = load_linear(L, BB_LM_Q, li, hq, c, &ly->wq, err)) ||
            (s = load_linear(L, BB_LM_K, li, hkv, c, &ly->wk, err)) ||
            (s = load_linear(L, BB_LM_V, li, hkv, c, &ly->wv, err)))
            return s;
        if (!L->lm->arch->qkv_bias)
            return BB_OK;
        if ((s = load_vec(L, BB_LM_Q_B, li, hq, true, &ly->bq, err)) ||
            (s = load_vec(L, BB_LM_K_B, li, hkv, true, &ly->bk, err)))
            return s;
        return load_vec(L, BB_LM_V_B, li, hkv, true, &ly->bv, err);
    }
    const struct bb_tensor *t, *b;
    bool conv = conv1d(L, BB_LM_QKV);
    if ((s = need(L, BB_LM_QKV, li, &t, err)) ||
        (s = check_shape(L, t, hq + 2 * hkv, c, conv, err)) ||
        (s = upload_rows(L, t, conv, 0, hq, c, &ly->wq, err)) ||
        (s = upload_rows(L, t, conv, hq, hkv, c, &ly->wk, err)) ||
        (s = upload_rows(L, t, conv, hq + hkv, hkv, c, &ly->wv, err)))
        return s;
    if (!L->lm->arch->qkv_bias)
        return BB_OK;
    float *f = NULL;
    if ((s = need(L, BB_LM_QKV_B, li, &b, err)) ||
        (s = check_shape(L, b, hq + 2 * hkv, 0, false, err)) || (s = to_f32(b, &f, err)))
        return s;
    struct bb_backend *be = L->lm->be;
    struct { struct bb_buffer **dst; int64_t off, n; } parts[3] = {
        {&ly->bq, 0, hq}, {&ly->bk, hq, hkv}, {&ly->bv, hq + hkv, hkv}};
    for (int i = 0; i < 3 && !s; i++) {
        s = bb_buffer_alloc(be, (size_t)parts[i].n * sizeof(float), parts[i].dst, err);
        if (!s)
            s = bb_backend_upload(be, *parts[i].dst, 0, f + parts[i].off,
                                  (size_t)parts[i].n * sizeof(float), err);
    }
    free(f);
    return s;
}

static enum bb_status load_layer(const struct lm_loader *L, int li, struct lm_layer *ly,
                                 struct bb_error *err)
{
    const struct bb_lm_arch *a = L->lm->arch;
    const struct bb_lm_hparams *hp = &L->lm->hp;
    int64_t c = hp->n_embd, hq = (int64_t)hp->n_head * hp->head_dim, f = hp->n_ff;
    bool ln = a->norm == BB_LM_LAYERNORM;
    enum bb_status s;
    if ((s = load_vec(L, BB_LM_ATTN_NORM, li, c, true, &ly->attn_norm, err)) ||
        (s = load_vec(L, BB_LM_ATTN_NORM_B, li, c, ln, &ly->attn_norm_b, err)) ||
        (s = load_qkv(L, li, ly, err)) ||
        (s = load_linear(L, BB_LM_O, li, c, hq, &ly->wo, err)) ||
        (s = load_vec(L, BB_LM_O_B, li, c, a->out_bias, &ly->bo, err)) ||
        (s = load_vec(L, BB_LM_FFN_NORM, li, c, true, &ly->ffn_norm, err)) ||
        (s = load_vec(L, BB_LM_FFN_NORM_B, li, c, ln, &ly->ffn_norm_b, err)) ||
        (s = load_linear(L, BB_LM_DOWN, li, c, f, &ly->w_down, err)))
        return s;
    if (a->ffn == BB_LM_SWIGLU)
        return load_gate_up(L, li, &ly->w_in, err);
    if ((s = load_linear(L, BB_LM_UP, li, f, c, &ly->w_in, err)) ||
        (s = load_vec(L, BB_LM_UP_B, li, f, a->ffn_bias, &ly->b_in, err)))
        return s;
    return load_vec(L, BB_LM_DOWN_B, li, c, a->ffn_bias, &ly->b_down, err);
}

static enum bb_status load_weights(struct lm_loader *L, struct bb_error *err)
{
    struct bb_lm *lm = L->lm;
    const struct bb_lm_hparams *hp = &lm->hp;
    const struct bb_tensor *t;
    char name[256];
    enum bb_status s;
    /* The vocabulary is the token embedding's row count. */
    if ((s = need(L, BB_LM_TOK_EMB, 0, &t, err)))
        return s;
    if (t->ndim == 2 && t->shape[1] == hp->n_embd && t->shape[0] > 0 && t->shape[0] < (1 << 24))
        lm->hp.n_vocab = (int)t->shape[0];
    if ((s = load_linear(L, BB_LM_TOK_EMB, 0, hp->n_vocab, hp->n_embd, &lm->tok_emb, err)))
        return s;
    if (lm->arch->pos == BB_LM_LEARNED &&
        (s = load_linear(L, BB_LM_POS_EMB, 0, hp->n_ctx, hp->n_embd, &lm->pos_emb, err)))
        return s;
    const struct bb_tensor *out = find_role(L, BB_LM_OUTPUT, 0, name, sizeof name);
    lm->hp.tied = !out || (!L->gguf && hp->tied);
    if (!lm->hp.tied && (s = load_linear(L, BB_LM_OUTPUT, 0, hp->n_vocab, hp->n_embd, &lm->output,
                                         err)))
        return s;
    bool ln = lm->arch->norm == BB_LM_LAYERNORM;
    if ((s = load_vec(L, BB_LM_OUT_NORM, 0, hp->n_embd, true, &lm->out_norm, err)) ||
        (s = load_vec(L, BB_LM_OUT_NORM_B, 0, hp->n_embd, ln, &lm->out_norm_b, err)))
        return s;
    if (!(lm->layers = calloc((size_t)hp->n_layer, sizeof *lm->layers)))
        return bb_fail(err, BB_E_NOMEM, "out of memory for %d layers", hp->n_layer);
    for (int i = 0; i < hp->n_layer; i++)
        if ((s = load_layer(L, i, &lm->layers[i], err)))
            return s;
    return BB_OK;
}

/* ---- hyperparameters -------------------------------------------------------- */

static enum bb_status check_hparams(const char *path, struct bb_lm_hparams *hp,
                                    struct bb_error *err)
{
    if (hp->n_head < 1 || hp->n_kv_head < 1 || hp->n_head % hp->n_kv_head)
        return bb_fail(err, BB_E_INPUT, "%s: %d attention heads and %d KV heads: the heads must be "
                       "a multiple of the KV heads", path, hp->n_head, hp->n_kv_head);
    if (hp->head_dim < 2 || hp->head_dim > 1024)
        return bb_fail(err, BB_E_INPUT, "%s: head dimension %d: expected 2 .. 1024", path,
                       hp->head_dim);
    if (hp->n_rot < 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2)
        return bb_fail(err, BB_E_INPUT, "%s: RoPE dimension count %d: expected an even number up "
                       "to the head dimension %d", path, hp->n_rot, hp->head_dim);
    if (hp->n_layer < 1 || hp->n_embd < 1 || hp->n_ff < 1 || hp->n_ctx < 2 || hp->n_vocab < 2)
        return bb_fail(err, BB_E_INPUT, "%s: implausible sizes (layers %d, hidden %d, FFN %d, "
                       "context %d, vocabulary %d)", path, hp->n_layer, hp->n_embd, hp->n_ff,
                       hp->n_ctx, hp->n_vocab);
    if (!(hp->eps > 0 && hp->eps < 1))
        return bb_fail(err, BB_E_INPUT, "%s: norm epsilon %g: expected 0 < eps < 1", path,
                       (double)hp->eps);
    return BB_OK;
}

static enum bb_status gguf_u32(const struct bb_gguf *g, const char *arch, const char *key,
                               bool required, int def, int *out, struct bb_error *err)
{
    char k[128];
    uint32_t v;
    snprintf(k, sizeof k, "%s.%s", arch, key);
    if (!required) {
        *out = bb_gguf_opt_u32(g, k, &v) && v < (1u << 24) ? (int)v : def;
        return BB_OK;
    }
    enum bb_status s = bb_gguf_get_u32(g, k, &v, err);
    if (!s && v >= (1u << 24))
        return bb_fail(err, BB_E_INPUT, "%s: metadata %s = %u is implausibly large",
                       bb_gguf_path(g), k, v);
    if (!s)
        *out = (int)v;
    return s;
}

static enum bb_status gguf_hparams(const struct bb_gguf *g, struct bb_lm *lm, struct bb_error *err)
{
    struct bb_lm_hparams *hp = &lm->hp;
    const char *a = lm->arch->gguf_arch;
    char k[128];
    enum bb_status s;
    if ((s = gguf_u32(g, a, "block_count", true, 0, &hp->n_layer, err)) ||
        (s = gguf_u32(g, a, "embedding_length", true, 0, &hp->n_embd, err)) ||
        (s = gguf_u32(g, a, "attention.head_count", true, 0, &hp->n_head, err)) ||
        (s = gguf_u32(g, a, "feed_forward_length", true, 0, &hp->n_ff, err)) ||
        (s = gguf_u32(g, a, "context_length", true, 0, &hp->n_ctx, err)))
        return s;
    gguf_u32(g, a, "attention.head_count_kv", false, hp->n_head, &hp->n_kv_head, err);
    hp->head_dim = hp->n_head ? hp->n_embd / hp->n_head : 0;
    gguf_u32(g, a, "attention.key_length", false, hp->head_dim, &hp->head_dim, err);
    gguf_u32(g, a, "rope.dimension_count", false, lm->arch->pos == BB_LM_ROPE ? hp->head_dim : 0,
             &hp->n_rot, err);
    gguf_u32(g, a, "vocab_size", false, 0, &hp->n_vocab, err);
    hp->rope_base = 10000.0f;
    snprintf(k, sizeof k, "%s.rope.freq_base", a);
    bb_gguf_opt_f32(g, k, &hp->rope_base);
    snprintf(k, sizeof k, "%s.attention.%s", a,
             lm->arch->norm == BB_LM_RMSNORM ? "layer_norm_rms_epsilon" : "layer_norm_epsilon");
    if ((s = bb_gguf_get_f32(g, k, &hp->eps, err)))
        return s;
    snprintf(k, sizeof k, "%s.rope.scaling.type", a);
    char *scaling = NULL;
    if (bb_gguf_find(g, k) && !bb_gguf_get_str(g, k, &scaling, NULL) && strcmp(scaling, "none")) {
        s = bb_fail(err, BB_E_UNSUPPORTED, "%s: %s is '%s'; biasbench supports plain RoPE only",
                    bb_gguf_path(g), k, scaling);
        free(scaling);
        return s;
    }
    free(scaling);
    hp->rope_mode = lm->arch->rope_gguf;
    hp->n_vocab = hp->n_vocab ? hp->n_vocab : 2; /* refined from token_embd at load */
    return BB_OK;
}

/* ---- load / free ------------------------------------------------------------ */

static bool is_gguf_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    bool yes = f && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "GGUF", 4);
    if (f)
        fclose(f);
    return yes;
}

static enum bb_status open_gguf(struct bb_lm *lm, const char *path, struct bb_tensor_source **src,
                                struct bb_tokenizer **tok, struct bb_error *err)
{
    struct bb_gguf *g = NULL;
    char *arch = NULL;
    enum bb_status s = bb_gguf_open(path, &g, err);
    if (!s)
        s = bb_gguf_get_str(g, "general.architecture", &arch, err);
    if (!s && !(lm->arch = bb_lm_arch_by_gguf(arch)))
        s = bb_fail(err, BB_E_UNSUPPORTED, "%s: general.architecture '%s' is not supported "
                    "(supported decoders: %s)", path, arch, bb_lm_arch_list());
    if (!s)
        s = gguf_hparams(g, lm, err);
    if (!s)
        s = bb_tokenizer_from_gguf(g, tok, err);
    if (!s) {
        s = bb_gguf_tensor_source(g, src, err);
        g = s ? g : NULL; /* the source owns it now */
    }
    free(arch);
    bb_gguf_close(g);
    lm->format = "gguf";
    return s;
}

static enum bb_status open_hf(struct bb_lm *lm, const char *dir, const struct bb_model_opts *opts,
                              struct bb_tensor_source **src, struct bb_tokenizer **tok,
                              struct bb_error *err)
{
    char path[4096];
    json_t *j = NULL;
    const char *type = NULL;
    snprintf(path, sizeof path, "%s/config.json", dir);
    enum bb_status s = bb_json_load_file(path, &j, err);
    if (!s)
        s = bb_json_get_string(j, "model_type", "config.json", true, &type, err);
    if (!s && !(lm->arch = bb_lm_arch_by_hf(type)))
        s = bb_fail(err, BB_E_UNSUPPORTED, "%s: model_type '%s' is not a supported decoder "
                    "(supported: %s)", path, type, bb_lm_arch_list());
    if (!s)
        s = lm->arch->hf_hparams(j, &lm->hp, err);
    json_decref(j);
    if (s) {
        bb_error_prefix(err, "%s", dir);
        return s;
    }
    lm->hp.rope_mode = lm->arch->rope_hf;
    if ((s = bb_tokenizer_load(dir, tok, err)))
        return s;
    (void)opts;
    lm->format = "safetensors";
    return bb_tensors_open(dir, src, err);
}

/* An id from generation_config.json: an integer, or the first of a list. */
static void gen_config_id(const json_t *j, const char *key, int32_t *out)
{
    const json_t *v = json_object_get(j, key);
    if (json_is_array(v))
        v = json_array_get(v, 0);
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < (1 << 24))
        *out = (int32_t)json_integer_value(v);
}

/* Special ids: the tokenizer's, then (HF folders) generation_config.json's
 * bos_token_id / eos_token_id where present, as transformers' generate reads them. */
static void read_specials(struct bb_lm *lm, const char *path, const struct bb_tokenizer *tok)
{
    const struct bb_special_ids *sp = bb_tokenizer_special(tok);
    lm->hp.bos = sp ? sp->bos : -1;
    lm->hp.eos = sp ? sp->eos : -1;
    char gc[4200];
    json_t *j = NULL;
    snprintf(gc, sizeof gc, "%s/generation_config.json", path);
    if (!bb_path_is_dir(path) || !bb_path_exists(gc) || bb_json_load_file(gc, &j, NULL))
        return;
    gen_config_id(j, "bos_token_id", &lm->hp.bos);
    gen_config_id(j, "eos_token_id", &lm->hp.eos);
    json_decref(j);
}

enum bb_status bb_lm_load(const char *path, struct bb_backend *be, const struct bb_model_opts *opts,
                          struct bb_lm **out, struct bb_tokenizer **tok, struct bb_error *err)
{
    struct bb_lm *lm = calloc(1, sizeof *lm);
    struct bb_tensor_source *src = NULL;
    *out = NULL;
    *tok = NULL;
    if (!lm)
        return bb_fail(err, BB_E_NOMEM, "out of memory loading %s", path);
    lm->be = be;
    bool gguf = !bb_path_is_dir(path);
    enum bb_status s;
    if (gguf && !is_gguf_file(path))
        s = bb_fail(err, BB_E_INPUT, "%s: not a GGUF file (no GGUF magic) and not a model folder",
                    path);
    else
        s = gguf ? open_gguf(lm, path, &src, tok, err) : open_hf(lm, path, opts, &src, tok, err);
    if (!s) {
        read_specials(lm, path, *tok);
        s = check_hparams(path, &lm->hp, err);
    }
    if (!s) {
        struct lm_loader L = {lm, src, gguf,
                              opts && opts->weights == BB_F16 ? BB_F16 : BB_F32};
        s = load_weights(&L, err);
    }
    if (src)
        bb_tensors_close(src);
    if (s) {
        bb_lm_free(lm);
        bb_tokenizer_free(*tok);
        *tok = NULL;
        return s;
    }
    const struct bb_lm_hparams *hp = &lm->hp;
    bb_info("%s: %s decoder (%s), %d layers, hidden %d, %d heads / %d KV heads of %d, FFN %d, "
            "vocab %d, context %d, RoPE %s base %g over %d dims, eps %g%s", path, lm->arch->name,
            lm->format, hp->n_layer, hp->n_embd, hp->n_head, hp->n_kv_head, hp->head_dim,
            hp->n_ff, hp->n_vocab, hp->n_ctx, hp->rope_mode == BB_ROPE_NORM ? "norm" : "neox",
            (double)hp->rope_base, hp->n_rot, (double)hp->eps, hp->tied ? ", tied output" : "");
    *out = lm;
    return BB_OK;
}

static void free_buf(struct bb_backend *be, struct bb_buffer **b)
{
    if (*b)
        bb_buffer_free(be, *b);
    *b = NULL;
}

static void scratch_free(struct bb_lm *lm)
{
    struct lm_scratch *s = &lm->s;
    struct bb_buffer **all[] = {&s->ids, &s->pos, &s->x, &s->h, &s->q, &s->att, &s->k, &s->v,
                                &s->ff, &s->ffo, &s->hc, &s->logits, &s->tgt, &s->lp, &s->am};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free_buf(lm->be, all[i]);
    free(s->pos_host);
    memset(s, 0, sizeof *s);
}

void bb_lm_free(struct bb_lm *lm)
{
    if (!lm)
        return;
    struct bb_backend *be = lm->be;
    for (int i = 0; lm->layers && i < lm->hp.n_layer; i++) {
        struct lm_layer *ly = &lm->layers[i];
        struct bb_weight *ws[] = {&ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->w_in, &ly->w_down};
        struct bb_buffer **bs[] = {&ly->attn_norm, &ly->attn_norm_b, &ly->bq, &ly->bk, &ly->bv,
                                   &ly->bo, &ly->ffn_norm, &ly->ffn_norm_b, &ly->b_in,
                                   &ly->b_down, &ly->kc, &ly->vc};
        for (size_t j = 0; j < sizeof ws / sizeof *ws; j++)
            bb_weight_free(be, ws[j]);
        for (size_t j = 0; j < sizeof bs / sizeof *bs; j++)
            free_buf(be, bs[j]);
    }
    free(lm->layers);
    bb_weight_free(be, &lm->tok_emb);
    bb_weight_free(be, &lm->pos_emb);
    bb_weight_free(be, &lm->output);
    free_buf(be, &lm->out_norm);
    free_buf(be, &lm->out_norm_b);
    scratch_free(lm);
    free(lm);
}

const struct bb_lm_hparams *bb_lm_hparams(const struct bb_lm *lm) { return &lm->hp; }
const char *bb_lm_arch_name(const struct bb_lm *lm) { return lm->arch->name; }
const char *bb_lm_format(const struct bb_lm *lm) { return lm->format; }

/* ---- activations ------------------------------------------------------------ */

static enum bb_status alloc_f32(struct bb_backend *be, size_t n, struct bb_buffer **out,
                                struct bb_error *err)
{
    return bb_buffer_alloc(be, n * sizeof(float), out, err);
}

/* Make the scratch hold n rows (and the LM head chunk). */
static enum bb_status scratch_ensure(struct bb_lm *lm, int n, struct bb_error *err)
{
    if (n <= lm->s.cap)
        return BB_OK;
    scratch_free(lm);
    const struct bb_lm_hparams *hp = &lm->hp;
    struct lm_scratch *s = &lm->s;
    struct bb_backend *be = lm->be;
    size_t N = (size_t)n, C = (size_t)hp->n_embd, Hq = (size_t)hp->n_head * hp->head_dim;
    size_t Hkv = (size_t)hp->n_kv_head * hp->head_dim, F = (size_t)hp->n_ff;
    size_t FF = lm->arch->ffn == BB_LM_SWIGLU ? 2 * F : F;
    int R = logit_rows(lm);
    enum bb_status st;
    if ((st = alloc_f32(be, N, &s->ids, err)) || (st = alloc_f32(be, N, &s->pos, err)) ||
        (st = alloc_f32(be, N * C, &s->x, err)) || (st = alloc_f32(be, N * C, &s->h, err)) ||
        (st = alloc_f32(be, N * Hq, &s->q, err)) || (st = alloc_f32(be, N * Hq, &s->att, err)) ||
        (st = alloc_f32(be, N * Hkv, &s->k, err)) || (st = alloc_f32(be, N * Hkv, &s->v, err)) ||
        (st = alloc_f32(be, N * FF, &s->ff, err)) || (st = alloc_f32(be, N * F, &s->ffo, err)) ||
        (st = alloc_f32(be, (size_t)R * C, &s->hc, err)) ||
        (st = alloc_f32(be, (size_t)R * (size_t)hp->n_vocab, &s->logits, err)) ||
        (st = alloc_f32(be, (size_t)R, &s->tgt, err)) ||
        (st = alloc_f32(be, (size_t)R, &s->lp, err)) ||
        (st = alloc_f32(be, (size_t)R, &s->am, err))) {
        scratch_free(lm);
        return st;
    }
    if (!(s->pos_host = malloc(N * sizeof *s->pos_host))) {
        scratch_free(lm);
        return bb_fail(err, BB_E_NOMEM, "out of memory for %d positions", n);
    }
    s->cap = n;
    s->cap_logit = R;
    return BB_OK;
}

/* ---- the forward pass, one function per block ------------------------------- */

static enum bb_status norm(struct bb_lm *lm, struct bb_buffer *x, struct bb_buffer *g,
                           struct bb_buffer *b, struct bb_buffer *out, int n, struct bb_error *err)
{
    if (lm->arch->norm == BB_LM_RMSNORM)
        return bb_op_rmsnorm(lm->be, x, g, out, n, lm->hp.n_embd, lm->hp.eps, err);
    return bb_op_layernorm(lm->be, x, g, b, out, n, lm->hp.n_embd, lm->hp.eps, err);
}

/* x (n, C) = token embedding of ids (+ position embedding of pos). */
static enum bb_status embed(struct bb_lm *lm, int n, struct bb_error *err)
{
    enum bb_status s = bb_op_get_rows(lm->be, &lm->tok_emb, lm->s.ids, lm->s.x, n, false, err);
    if (!s && lm->arch->pos == BB_LM_LEARNED)
        s = bb_op_get_rows(lm->be, &lm->pos_emb, lm->s.pos, lm->s.x, n, true, err);
    return s;
}

/* Where attention reads keys and values: the batch's own (scoring) or the
 * layer's KV cache (generation, one sequence). */
struct kv_view {
    bool cache;
    int b, tq, n_past, t_cap;
};

/* x += Wo . attention(rope(Wq h), rope(Wk h), Wv h), h = norm(x). */
static enum bb_status attention_block(struct bb_lm *lm, struct lm_layer *ly, int n,
                                      const struct kv_view *kv, struct bb_error *err)
{
    struct bb_backend *be = lm->be;
    struct lm_scratch *s = &lm->s;
    const struct bb_lm_hparams *hp = &lm->hp;
    int hkv = hp->n_kv_head * hp->head_dim;
    enum bb_status st;
    if ((st = norm(lm, s->x, ly->attn_norm, ly->attn_norm_b, s->h, n, err)) ||
        (st =
             bb_op_matmul(be, s->h, &ly->wq, ly->bq, NULL, s->q, n, BB_ACT_NONE, err)) || // (n, Hq)
        (st = bb_op_matmul(be, s->h, &ly->wk, ly->bk, NULL, s->k, n, BB_ACT_NONE,
                           err)) ||                                                      // (n, Hkv)
        (st = bb_op_matmul(be, s->h, &ly->wv, ly->bv, NULL, s->v, n, BB_ACT_NONE, err))) // (n, Hkv)
        return st;
    if (lm->arch->pos == BB_LM_ROPE &&
        ((st = bb_op_rope(be, s->q, s->pos, n, hp->n_head, hp->head_dim, hp->n_rot, hp->rope_base,
                          (enum bb_rope_mode)hp->rope_mode, err)) ||
         (st = bb_op_rope(be, s->k, s->pos, n, hp->n_kv_head, hp->head_dim, hp->n_rot,
                          hp->rope_base, (enum bb_rope_mode)hp->rope_mode, err))))
        return st;
    struct bb_buffer *k = s->k, *v = s->v;
    if (kv->cache) {
        if ((st = bb_op_kv_store(be, s->k, ly->kc, 1, kv->tq, kv->n_past, kv->t_cap, hkv, err)) ||
            (st = bb_op_kv_store(be, s->v, ly->vc, 1, kv->tq, kv->n_past, kv->t_cap, hkv, err)))
            return st;
        k = ly->kc;
        v = ly->vc;
    }
    float scale = 1.0f / sqrtf((float)hp->head_dim);
    if ((st = bb_op_attn_causal(be, s->q, k, v, s->att, kv->b, kv->tq, kv->n_past, kv->t_cap,
                                hp->n_head, hp->n_kv_head, hp->head_dim, scale, err)))
        return st;
    return bb_op_matmul(be, s->att, &ly->wo, ly->bo, s->x, s->x, n, BB_ACT_NONE,
                        err); // x += (n, C)
}

/* x += MLP(norm(x)): SwiGLU down(silu(gate h) * up h), or GPT-2's down(gelu(up h)). */
static enum bb_status ffn_block(struct bb_lm *lm, struct lm_layer *ly, int n, struct bb_error *err)
{
    struct bb_backend *be = lm->be;
    struct lm_scratch *s = &lm->s;
    enum bb_status st = norm(lm, s->x, ly->ffn_norm, ly->ffn_norm_b, s->h, n, err);
    if (st)
        return st;
    if (lm->arch->ffn == BB_LM_SWIGLU) {
        if ((st = bb_op_matmul(be, s->h, &ly->w_in, NULL, NULL, s->ff, n, BB_ACT_NONE,
                               err)) ||                               // (n, 2F)
            (st = bb_op_glu(be, s->ff, s->ffo, n, lm->hp.n_ff, err))) // (n, F)
            return st;
        return bb_op_matmul(be, s->ffo, &ly->w_down, NULL, s->x, s->x, n, BB_ACT_NONE, err);
    }
    if ((st = bb_op_matmul(be, s->h, &ly->w_in, ly->b_in, NULL, s->ff, n, BB_ACT_GELU_TANH, err)))
        return st;
    return bb_op_matmul(be, s->ff, &ly->w_down, ly->b_down, s->x, s->x, n, BB_ACT_NONE, err);
}

/* Every layer, then the final norm into h: (n, C). */
static enum bb_status body(struct bb_lm *lm, int n, const struct kv_view *kv, struct bb_error *err)
{
    enum bb_status s = embed(lm, n, err);
    for (int i = 0; !s && i < lm->hp.n_layer; i++) {
        s = attention_block(lm, &lm->layers[i], n, kv, err);
        if (!s)
            s = ffn_block(lm, &lm->layers[i], n, err);
    }
    if (!s)
        s = norm(lm, lm->s.x, lm->out_norm, lm->out_norm_b, lm->s.h, n, err);
    return s;
}

static const struct bb_weight *lm_head(const struct bb_lm *lm)
{
    return lm->hp.tied ? &lm->tok_emb : &lm->output;
}

/* Logits of h rows [r0, r0+r) into s.logits (r, V). */
static enum bb_status head_rows(struct bb_lm *lm, int r0, int r, struct bb_error *err)
{
    struct lm_scratch *s = &lm->s;
    enum bb_status st = bb_op_copy_rows(lm->be, s->h, r0, s->hc, 0, r, lm->hp.n_embd, err);
    return st ? st : bb_op_matmul(lm->be, s->hc, lm_head(lm), NULL, NULL, s->logits, r,
                                  BB_ACT_NONE, err); // (r, V)
}

static enum bb_status upload_inputs(struct bb_lm *lm, const int32_t *ids, int n, int n_past,
                                    int t, struct bb_error *err)
{
    for (int i = 0; i < n; i++)
        lm->s.pos_host[i] = n_past + i % t;
    enum bb_status s = bb_backend_upload(lm->be, lm->s.ids, 0, ids, (size_t)n * 4, err);
    return s ? s : bb_backend_upload(lm->be, lm->s.pos, 0, lm->s.pos_host, (size_t)n * 4, err);
}

static enum bb_status check_ids(const struct bb_lm *lm, const int32_t *ids, size_t n,
                                struct bb_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= lm->hp.n_vocab)
            return bb_fail(err, BB_E_INPUT, "token id %d at position %zu is outside the "
                           "vocabulary (0 .. %d)", ids[i], i, lm->hp.n_vocab - 1);
    return BB_OK;
}

/* The whole-sequence forward pass (no KV cache) of ids (b, t) up to the final
 * norm: the hidden states are in lm->s.h (b * t, C) afterwards. */
static enum bb_status forward_full(struct bb_lm *lm, const int32_t *ids, int b, int t,
                                   struct bb_error *err)
{
    if (b < 1 || t < 1 || t > lm->hp.n_ctx)
        return bb_fail(err, BB_E_INPUT, "a batch of %d sequences of %d tokens: expected at least "
                       "one and at most the context length %d", b, t, lm->hp.n_ctx);
    int n = b * t;
    struct kv_view kv = {false, b, t, 0, t};
    enum bb_status s = check_ids(lm, ids, (size_t)n, err);
    if (!s)
        s = scratch_ensure(lm, n, err);
    if (!s)
        s = upload_inputs(lm, ids, n, 0, t, err);
    if (!s)
        s = body(lm, n, &kv, err);
    return s;
}

enum bb_status bb_lm_score(struct bb_lm *lm, const int32_t *ids, const int32_t *tgt, int b, int t,
                           float *lp, int32_t *am, struct bb_error *err)
{
    int n = b * t;
    enum bb_status s = forward_full(lm, ids, b, t, err);
    struct lm_scratch *sc = &lm->s;
    for (int r0 = 0; !s && r0 < n; r0 += sc->cap_logit) {
        int r = n - r0 < sc->cap_logit ? n - r0 : sc->cap_logit;
        bool any = false;
        for (int i = 0; i < r && !any; i++)
            any = tgt[r0 + i] >= 0;
        if (!any && !am) {
            memset(lp + r0, 0, (size_t)r * sizeof *lp);
            continue;
        }
        if ((s = head_rows(lm, r0, r, err)) ||
            (s = bb_backend_upload(lm->be, sc->tgt, 0, tgt + r0, (size_t)r * 4, err)) ||
            (s = bb_op_logprobs(lm->be, sc->logits, sc->tgt, sc->lp, am ? sc->am : NULL, r,
                                lm->hp.n_vocab, err)) ||
            (s = bb_backend_download(lm->be, sc->lp, 0, lp + r0, (size_t)r * 4, err)))
            break;
        if (am)
            s = bb_backend_download(lm->be, sc->am, 0, am + r0, (size_t)r * 4, err);
    }
    return s;
}

/* KV caches of t_cap rows per layer (one sequence). */
static enum bb_status kv_ensure(struct bb_lm *lm, int t_cap, struct bb_error *err)
{
    if (t_cap <= lm->kv_cap)
        return BB_OK;
    size_t bytes = (size_t)t_cap * (size_t)lm->hp.n_kv_head * (size_t)lm->hp.head_dim * 4;
    for (int i = 0; i < lm->hp.n_layer; i++) {
        struct lm_layer *ly = &lm->layers[i];
        free_buf(lm->be, &ly->kc);
        free_buf(lm->be, &ly->vc);
        enum bb_status s = bb_buffer_alloc(lm->be, bytes, &ly->kc, err);
        if (!s)
            s = bb_buffer_alloc(lm->be, bytes, &ly->vc, err);
        if (s) {
            lm->kv_cap = 0;
            return s;
        }
    }
    lm->kv_cap = t_cap;
    return BB_OK;
}

enum bb_status bb_lm_hidden(struct bb_lm *lm, const int32_t *ids, int b, int t, float *h,
                            struct bb_error *err)
{
    int n = b * t;
    enum bb_status s = forward_full(lm, ids, b, t, err); // h (n, C)
    if (!s)
        s = bb_backend_download(lm->be, lm->s.h, 0, h, (size_t)n * (size_t)lm->hp.n_embd * 4, err);
    return s;
}

/* The step path up to the final norm: n ids after n_past cached ones -> s.h (n, C). */
static enum bb_status step_body(struct bb_lm *lm, const int32_t *ids, int n, int n_past,
                                int max_ctx, struct bb_error *err)
{
    if (max_ctx > lm->hp.n_ctx)
        max_ctx = lm->hp.n_ctx;
    if (n < 1 || n_past < 0 || n_past + n > max_ctx)
        return bb_fail(err, BB_E_INPUT, "%d tokens after %d: the context holds %d", n, n_past,
                       max_ctx);
    if (n_past > 0 && max_ctx > lm->kv_cap)
        return bb_fail(err, BB_E_INTERNAL, "the KV cache was sized for %d tokens, not %d",
                       lm->kv_cap, max_ctx);
    struct kv_view kv = {true, 1, n, n_past, max_ctx};
    enum bb_status s = check_ids(lm, ids, (size_t)n, err);
    if (!s && n_past == 0)
        s = kv_ensure(lm, max_ctx, err);
    kv.t_cap = lm->kv_cap;
    if (!s)
        s = scratch_ensure(lm, n, err);
    if (!s)
        s = upload_inputs(lm, ids, n, n_past, n, err);
    if (!s)
        s = body(lm, n, &kv, err);
    return s;
}

enum bb_status bb_lm_step_hidden(struct bb_lm *lm, const int32_t *ids, int n, int n_past,
                                 int max_ctx, float *h, struct bb_error *err)
{
    enum bb_status s = step_body(lm, ids, n, n_past, max_ctx, err);
    return s ? s : bb_backend_download(lm->be, lm->s.h, 0, h,
                                       (size_t)n * (size_t)lm->hp.n_embd * 4, err);
}

enum bb_status bb_lm_step(struct bb_lm *lm, const int32_t *ids, int n, int n_past, int max_ctx,
                          float *logits, int32_t *next, struct bb_error *err)
{
    enum bb_status s = step_body(lm, ids, n, n_past, max_ctx, err);
    int32_t none = -1, am = 0;
    struct lm_scratch *sc = &lm->s;
    if (!s)
        s = head_rows(lm, n - 1, 1, err);
    if (!s)
        s = bb_backend_upload(lm->be, sc->tgt, 0, &none, 4, err);
    if (!s)
        s = bb_op_logprobs(lm->be, sc->logits, sc->tgt, sc->lp, sc->am, 1, lm->hp.n_vocab, err);
    if (!s)
        s = bb_backend_download(lm->be, sc->am, 0, &am, 4, err);
    if (!s && logits)
        s = bb_backend_download(lm->be, sc->logits, 0, logits, (size_t)lm->hp.n_vocab * 4, err);
    if (!s && next)
        *next = am;
    return s;
}
