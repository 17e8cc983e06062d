/* model.c: loads a model: a sentence-encoder folder (config, tokenizer,
 * safetensors weights) dispatched to the architecture named by config.json,
 * or a causal language model (a GGUF file, or a folder whose model_type is a
 * decoder) handed to decoder.c; says what the model can do (capabilities);
 * and drives batched embedding: tokenize, sort by length, pad each batch to
 * its longest. Likelihoods and generation are in lm.c. */
#include "model/model.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "core/rescache.h"
#include "model/config.h"
#include "model/decoder.h"
#include "model/model_int.h"
#include "model/tensors.h"
#include "core/paths.h"

struct bb_model {
    char *dir;
    struct bb_lm *lm;     /* a causal language model; NULL for an encoder */
    const struct bb_arch *arch;
    void *state;
    struct bb_model_config cfg;
    struct bb_tokenizer *tok;
    int max_seq;          /* tokens per sequence the forward accepts */
    int pad_id;
    double load_seconds;
    int32_t *ids;         /* (cap_tok) padded batch, reused */
    int32_t *lengths;     /* (cap_b) */
    size_t cap_tok;
    int cap_b;
    struct bb_rescache *rc; /* result cache, may be NULL (bb_model_set_rescache) */
    char rc_ns[512];
};

static const struct bb_arch *const archs[] = {&bb_arch_bert, &bb_arch_mpnet};

static const struct bb_arch *arch_find(const char *model_type)
{
    for (size_t i = 0; i < sizeof archs / sizeof *archs; i++)
        if (!strcmp(archs[i]->model_type, model_type))
            return archs[i];
    return NULL;
}

static enum bb_status check_dir(const char *dir, struct bb_error *err)
{
    if (!bb_path_exists(dir))
        return bb_fail(err, BB_E_IO, "model folder '%s' does not exist", dir);
    if (!bb_path_is_dir(dir))
        return bb_fail(err, BB_E_IO, "model '%s' is not a folder (expected config.json, "
                       "model.safetensors, tokenizer files)", dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!bb_path_exists(path))
        return bb_fail(err, BB_E_IO, "%s/model.safetensors: not found (the model folder must "
                       "hold the weights as model.safetensors)", dir);
    return BB_OK;
}

static enum bb_status load_weights(struct bb_model *m, struct bb_backend *be,
                                   const struct bb_model_opts *opts, struct bb_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", m->dir);
    struct bb_tensor_source *src = NULL;
    enum bb_status s = bb_tensors_open(path, &src, err);
    if (!s)
        s = m->arch->load(&m->cfg, src, be, opts, &m->state, err);
    bb_tensors_close(src);
    return s;
}

static enum bb_status load_parts(struct bb_model *m, struct bb_backend *be,
                                 const struct bb_model_opts *opts, struct bb_error *err)
{
    enum bb_status s = bb_model_config_load(m->dir, &m->cfg, err);
    if (s)
        return s;
    if (!(m->arch = arch_find(m->cfg.model_type)))
        return bb_fail(err, BB_E_UNSUPPORTED, "config.json: model_type '%s' is not supported "
                       "(supported: bert, mpnet)", m->cfg.model_type);
    if (opts && opts->max_seq_len &&
        (opts->max_seq_len < 2 || opts->max_seq_len > m->cfg.max_position_embeddings))
        return bb_fail(err, BB_E_USAGE, "max sequence length %d: expected 2 .. %d "
                       "(max_position_embeddings)", opts->max_seq_len,
                       m->cfg.max_position_embeddings);
    if ((s = bb_tokenizer_load(m->dir, &m->tok, err)))
        return s;
    if (opts && opts->max_seq_len)
        bb_tokenizer_set_max_len(m->tok, opts->max_seq_len);
    /* the tokenizer truncates; pack_one() enforces the same bound on encodings from elsewhere */
    m->max_seq = bb_tokenizer_max_len(m->tok);
    if (m->max_seq > m->cfg.max_position_embeddings || m->max_seq < 2)
        m->max_seq = m->cfg.max_position_embeddings;
    m->pad_id = bb_tokenizer_pad_id(m->tok);
    return load_weights(m, be, opts, err);
}

/* A folder without config.json that holds exactly one .gguf file (as the
 * model cache keeps GGUF models): that file in out. */
static bool single_gguf(const char *dir, char *out, size_t size)
{
    char cfg[4096];
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    if (!bb_path_is_dir(dir) || bb_path_exists(cfg))
        return false;
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".gguf") && e->d_name[0] != '.') {
            if (n++ == 0)
                snprintf(out, size, "%s/%s", dir, e->d_name);
        }
    }
    if (d)
        closedir(d);
    return n == 1;
}

/* A GGUF file, or a folder whose config.json names a decoder model_type. */
static bool is_decoder(const char *path)
{
    if (!bb_path_is_dir(path))
        return true; /* a file: decoder.c says whether it is GGUF */
    char cfg[4200];
    json_t *j = NULL;
    const char *type = NULL;
    snprintf(cfg, sizeof cfg, "%s/config.json", path);
    bool yes = !bb_json_load_file(cfg, &j, NULL) &&
               !bb_json_get_string(j, "model_type", "config.json", true, &type, NULL) &&
               bb_lm_arch_by_hf(type);
    json_decref(j);
    return yes;
}

static enum bb_status load_decoder(struct bb_model *m, struct bb_backend *be,
                                   const struct bb_model_opts *opts, struct bb_error *err)
{
    enum bb_status s = bb_lm_load(m->dir, be, opts, &m->lm, &m->tok, err);
    if (s)
        return s;
    const struct bb_lm_hparams *hp = bb_lm_hparams(m->lm);
    m->cfg.hidden_size = hp->n_embd;
    m->cfg.num_hidden_layers = hp->n_layer;
    m->cfg.vocab_size = hp->n_vocab;
    m->max_seq = opts && opts->max_seq_len && opts->max_seq_len < hp->n_ctx ? opts->max_seq_len
                                                                            : hp->n_ctx;
    snprintf(m->cfg.model_type, sizeof m->cfg.model_type, "%s", bb_lm_arch_name(m->lm));
    return BB_OK;
}

enum bb_status bb_model_load(const char *dir, struct bb_backend *be,
                             const struct bb_model_opts *opts, struct bb_model **out,
                             struct bb_error *err)
{
    *out = NULL;
    double t0 = bb_now();
    char gguf[4096];
    if (!bb_path_exists(dir))
        return bb_fail(err, BB_E_IO, "model '%s' does not exist", dir);
    if (single_gguf(dir, gguf, sizeof gguf))
        dir = gguf;
    bool decoder = is_decoder(dir);
    enum bb_status s = decoder ? BB_OK : check_dir(dir, err);
    if (s)
        return s;
    bb_backend_prepare(be, decoder ? BB_KERNELS_DECODER : BB_KERNELS_ENCODER);
    struct bb_model *m = calloc(1, sizeof *m);
    if (!m || !(m->dir = strdup(dir))) {
        free(m);
        return bb_fail(err, BB_E_NOMEM, "out of memory loading %s", dir);
    }
    s = decoder ? load_decoder(m, be, opts, err) : load_parts(m, be, opts, err);
    if (s || (s = bb_backend_sync(be, err))) {
        bb_error_prefix(err, "loading model %s", dir);
        bb_model_free(m);
        return s;
    }
    m->load_seconds = bb_now() - t0;
    bb_info("loaded %s (%s, %d layers, dim %d, max %d tokens) in %.2f s", dir, bb_model_arch(m),
            m->cfg.num_hidden_layers, m->cfg.hidden_size, m->max_seq, m->load_seconds);
    *out = m;
    return BB_OK;
}

void bb_model_free(struct bb_model *m)
{
    if (!m)
        return;
    if (m->arch && m->state)
        m->arch->free(m->state);
    bb_lm_free(m->lm);
    bb_tokenizer_free(m->tok);
    free(m->ids);
    free(m->lengths);
    free(m->dir);
    free(m);
}

int bb_model_dim(const struct bb_model *m) { return m->cfg.hidden_size; }
const char *bb_model_arch(const struct bb_model *m)
{
    return m->lm ? bb_lm_arch_name(m->lm) : m->arch->name;
}
struct bb_lm *bb_model_lm(struct bb_model *m) { return m->lm; }
int bb_model_max_seq(const struct bb_model *m) { return m->max_seq; }

void bb_model_set_rescache(struct bb_model *m, struct bb_rescache *c, const char *ns)
{
    m->rc = c;
    snprintf(m->rc_ns, sizeof m->rc_ns, "%s", c && ns ? ns : "");
}

struct bb_rescache *bb_model_rescache(const struct bb_model *m, const char **ns)
{
    *ns = m->rc_ns;
    return m->rc;
}

/* ---- capabilities ----------------------------------------------------------- */

unsigned bb_model_caps(const struct bb_model *m)
{
    return m->lm ? BB_CAP_LOGLIK | BB_CAP_GENERATE | BB_CAP_POOL : BB_CAP_EMBED;
}

const char *bb_model_kind(const struct bb_model *m)
{
    return m->lm ? "causal language model" : "sentence encoder";
}

const char *bb_model_cap_verb(unsigned cap)
{
    return cap & BB_CAP_EMBED     ? "embed text"
           : cap & BB_CAP_LOGLIK  ? "score text"
           : cap & BB_CAP_POOL    ? "pool hidden states"
                                  : "generate text";
}

enum bb_status bb_model_require(const struct bb_model *m, unsigned caps, const char *model_id,
                                struct bb_error *err)
{
    unsigned missing = caps & ~bb_model_caps(m);
    if (!missing)
        return BB_OK;
    return bb_fail(err, BB_E_UNSUPPORTED, "model %s cannot %s: it is a %s",
                   model_id ? model_id : m->dir, bb_model_cap_verb(missing), bb_model_kind(m));
}
const char *bb_model_dir(const struct bb_model *m) { return m->dir; }
struct bb_tokenizer *bb_model_tokenizer(struct bb_model *m) { return m->tok; }
double bb_model_load_seconds(const struct bb_model *m) { return m->load_seconds; }

/* ---- batching --------------------------------------------------------------- */

static enum bb_status host_ensure(struct bb_model *m, size_t n_tok, int b, struct bb_error *err)
{
    if (n_tok > m->cap_tok) {
        int32_t *p = realloc(m->ids, n_tok * sizeof *p);
        if (!p)
            return bb_fail(err, BB_E_NOMEM, "out of memory for a batch of %zu tokens", n_tok);
        m->ids = p;
        m->cap_tok = n_tok;
    }
    if (b > m->cap_b) {
        int32_t *p = realloc(m->lengths, (size_t)b * sizeof *p);
        if (!p)
            return bb_fail(err, BB_E_NOMEM, "out of memory for a batch of %d", b);
        m->lengths = p;
        m->cap_b = b;
    }
    return BB_OK;
}

/* What bb_model_embed_* needs: an encoder's embedding or a decoder's pooling. */
static enum bb_status require_vectors(const struct bb_model *m, struct bb_error *err)
{
    return bb_model_require(m, m->lm ? BB_CAP_POOL : BB_CAP_EMBED, NULL, err);
}

/* Tokens of one sequence after truncation to max_seq (bb_tokenizer_truncate). */
static int seq_len(const struct bb_model *m, const struct bb_encoding *e)
{
    return e->n > m->max_seq ? m->max_seq : e->n;
}

/* Row i of the padded batch (t): e cut to max_seq by the tokenizer, then padding. */
static enum bb_status pack_one(struct bb_model *m, const struct bb_encoding *e, int i, int t,
                               struct bb_error *err)
{
    int32_t *row = m->ids + (size_t)i * (size_t)t; // (t)
    if (e->n < 1)
        return bb_fail(err, BB_E_INPUT, "batch item %d: empty token sequence", i);
    int len = bb_tokenizer_truncate(m->tok, e->ids, e->n, m->max_seq, row);
    for (int j = 0; j < len; j++)
        if (row[j] < 0 || row[j] >= m->cfg.vocab_size)
            return bb_fail(err, BB_E_INPUT, "batch item %d: token id %d at position %d is "
                           "outside the vocabulary (0 .. %d)", i, row[j], j,
                           m->cfg.vocab_size - 1);
    for (int j = len; j < t; j++)
        row[j] = m->pad_id;
    m->lengths[i] = len;
    return BB_OK;
}

/* A decoder's text vectors: the mean over each sequence's lengths[i] tokens
 * of the final hidden state, ids (b, t) right-padded -> out (b, C). */
static enum bb_status pool_batch(struct bb_model *m, int b, int t, float *out, struct bb_error *err)
{
    size_t C = (size_t)m->cfg.hidden_size;
    float *h = malloc((size_t)b * (size_t)t * C * sizeof *h); // (b, t, C)
    double *acc = malloc(C * sizeof *acc);                      // (C)
    enum bb_status s = h && acc ? bb_lm_hidden(m->lm, m->ids, b, t, h, err)
                                : bb_fail(err, BB_E_NOMEM, "out of memory for %d x %d hidden "
                                          "states", b, t);
    for (int i = 0; i < b && !s; i++) {
        memset(acc, 0, C * sizeof *acc);
        for (int j = 0; j < m->lengths[i]; j++)
            for (size_t c = 0; c < C; c++)
                acc[c] += h[((size_t)i * (size_t)t + (size_t)j) * C + c];
        for (size_t c = 0; c < C; c++)
            out[(size_t)i * C + c] = (float)(acc[c] / m->lengths[i]);
    }
    free(acc);
    free(h);
    return s;
}

enum bb_status bb_model_embed_batch(struct bb_model *m, const struct bb_encoding *encs, int b,
                                    float *out, struct bb_error *err)
{
    enum bb_status rs = require_vectors(m, err);
    if (rs)
        return rs;
    if (b <= 0)
        return b == 0 ? BB_OK : bb_fail(err, BB_E_INTERNAL, "batch size %d", b);
    int t = 1;
    for (int i = 0; i < b; i++)
        if (seq_len(m, &encs[i]) > t)
            t = seq_len(m, &encs[i]);
    enum bb_status s = host_ensure(m, (size_t)b * (size_t)t, b, err);
    for (int i = 0; i < b && !s; i++)
        s = pack_one(m, &encs[i], i, t, err);
    if (!s && m->lm)
        s = pool_batch(m, b, t, out, err); // (b, dim)
    else if (!s)
        s = m->arch->forward(m->state, m->ids, m->lengths, b, t, out, err); // (b, dim)
    return s;
}

/* Sort order: longest first, ties by input index (deterministic batches). */
struct sort_key {
    int len;
    size_t idx;
};
static int cmp_len_desc(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static enum bb_status tokenize_all(struct bb_model *m, const char *const *texts, size_t n,
                                   struct bb_encoding *encs, struct bb_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!texts[i])
            return bb_fail(err, BB_E_INPUT, "text %zu is missing (NULL)", i);
        enum bb_status s = bb_tokenizer_encode(m->tok, texts[i], strlen(texts[i]), &encs[i], err);
        if (s) {
            bb_error_prefix(err, "text %zu", i);
            return s;
        }
    }
    return BB_OK;
}

/* Size of the batch starting at sorted position i0: at most batch_size, and
 * cut short where padding would exceed half the batch's tokens (a few very
 * long texts then do not drag a whole batch of short ones to their length). */
static int batch_count(const struct bb_model *m, const struct bb_encoding *encs,
                       const size_t *order, size_t i0, size_t n, int batch_size)
{
    size_t t = (size_t)seq_len(m, &encs[order[i0]]), real = t; /* longest first */
    int b = 1;
    while (b < batch_size && i0 + (size_t)b < n) {
        size_t len = (size_t)seq_len(m, &encs[order[i0 + (size_t)b]]);
        if (2 * (real + len) < (size_t)(b + 1) * t)
            break;
        real += len;
        b++;
    }
    return b;
}

/* Embed batches of the sorted order, scattering rows back to input order;
 * with keys (per input index), each row is stored in the result cache as its
 * batch finishes, so an interrupted run keeps what it computed. */
static enum bb_status run_batches(struct bb_model *m, const struct bb_encoding *encs,
                                  const size_t *order, size_t n, int batch_size,
                                  const char *label, const char (*keys)[BB_SHA256_HEX_LEN],
                                  float *out, struct bb_error *err)
{
    size_t dim = (size_t)m->cfg.hidden_size;
    struct bb_encoding *batch = malloc((size_t)batch_size * sizeof *batch);
    float *tmp = malloc((size_t)batch_size * dim * sizeof(float)); // (batch, dim)
    enum bb_status s = BB_OK;
    struct bb_progress prog;
    if (!batch || !tmp) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for a batch of %d", batch_size);
        goto done;
    }
    bb_progress_start(&prog, label, n);
    for (size_t i0 = 0, b = 0; i0 < n && !s; i0 += b) {
        b = (size_t)batch_count(m, encs, order, i0, n, batch_size);
        for (size_t i = 0; i < b; i++)
            batch[i] = encs[order[i0 + i]];
        s = bb_model_embed_batch(m, batch, (int)b, tmp, err);
        for (size_t i = 0; i < b && !s; i++) {
            memcpy(out + order[i0 + i] * dim, tmp + i * dim, dim * sizeof(float));
            if (keys)
                bb_rescache_put(m->rc, keys[order[i0 + i]], tmp + i * dim, dim * sizeof(float));
        }
        bb_progress_update(&prog, i0 + b);
    }
    bb_progress_end(&prog);
done:
    free(batch);
    free(tmp);
    return s;
}

/* Look every sequence up in the result cache by its ids as the forward sees
 * them (truncated as pack_one does): hits go straight to out, (*hit)[i] says
 * which, (*keys)[i] is each key (for storing the misses). */
static enum bb_status cache_lookup(struct bb_model *m, const struct bb_encoding *encs, size_t n,
                                   float *out, bool **hit, char (**keys)[BB_SHA256_HEX_LEN],
                                   struct bb_error *err)
{
    size_t dim = (size_t)m->cfg.hidden_size;
    int32_t *ids = malloc((size_t)m->max_seq * sizeof *ids); // (max_seq)
    *hit = calloc(n, sizeof **hit);
    *keys = malloc(n * sizeof **keys);
    if (!ids || !*hit || !*keys) {
        free(ids);
        return bb_fail(err, BB_E_NOMEM, "out of memory looking up %zu texts in the cache", n);
    }
    for (size_t i = 0; i < n; i++) {
        const struct bb_encoding *e = &encs[i];
        int len = seq_len(m, e);
        for (int j = 0; j < len; j++)
            ids[j] = (j == len - 1 && e->n > len) ? e->ids[e->n - 1] : e->ids[j];
        bb_rescache_key(m->rc_ns, 0, ids, (size_t)len, (*keys)[i]);
        (*hit)[i] = bb_rescache_get(m->rc, (*keys)[i], out + i * dim, dim * sizeof(float));
    }
    free(ids);
    return BB_OK;
}

enum bb_status bb_model_embed_texts(struct bb_model *m, const char *const *texts, size_t n,
                                    int batch_size, float *out, struct bb_error *err)
{
    return bb_model_embed_texts_labeled(m, texts, n, batch_size, "embedding", out, err);
}

enum bb_status bb_model_embed_texts_labeled(struct bb_model *m, const char *const *texts, size_t n,
                                            int batch_size, const char *label, float *out,
                                            struct bb_error *err)
{
    if (batch_size < 1)
        return bb_fail(err, BB_E_USAGE, "batch size %d: expected at least 1", batch_size);
    enum bb_status rs = require_vectors(m, err);
    if (rs)
        return rs;
    if (n == 0)
        return BB_OK;
    struct bb_encoding *encs = calloc(n, sizeof *encs);
    size_t *order = malloc(n * sizeof *order);
    struct sort_key *keys = malloc(n * sizeof *keys);
    bool *hit = NULL;
    char (*ckeys)[BB_SHA256_HEX_LEN] = NULL;
    enum bb_status s = BB_OK;
    if (!encs || !order || !keys) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for %zu texts", n);
        goto done;
    }
    if ((s = tokenize_all(m, texts, n, encs, err)) ||
        (m->rc && (s = cache_lookup(m, encs, n, out, &hit, &ckeys, err))))
        goto done;
    size_t todo = 0;
    for (size_t i = 0; i < n; i++)
        if (!hit || !hit[i])
            keys[todo++] = (struct sort_key){seq_len(m, &encs[i]), i};
    qsort(keys, todo, sizeof *keys, cmp_len_desc);
    for (size_t i = 0; i < todo; i++)
        order[i] = keys[i].idx;
    if (todo)
        s = run_batches(m, encs, order, todo, batch_size, label,
                        (const char (*)[BB_SHA256_HEX_LEN])ckeys, out, err);
done:
    free(hit);
    free(ckeys);
    for (size_t i = 0; encs && i < n; i++)
        bb_encoding_free(&encs[i]);
    free(encs);
    free(order);
    free(keys);
    return s;
}
