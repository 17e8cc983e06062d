/* lm.c: what causal language models offer tasks: log-likelihoods of
 * continuations (lm-evaluation-harness semantics, batched by length), per-token
 * log-probabilities of one sequence, and generation (greedy or sampled) with
 * the KV cache. The forward pass itself is decoder.c's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rescache.h"
#include "model/decoder.h"
#include "model/model_int.h"

/* Most tokens (batch x padded length) one scoring forward takes. */
#define LM_MAX_BATCH_TOKENS 4096

static enum bb_status need_lm(struct bb_model *m, struct bb_lm **lm, struct bb_error *err)
{
    enum bb_status s = bb_model_require(m, BB_CAP_LOGLIK, NULL, err);
    *lm = s ? NULL : bb_model_lm(m);
    return s;
}

/* The token lm-evaluation-harness puts before a text scored without context:
 * BOS when the model defines one, else EOS. */
static int32_t prefix_token(struct bb_model *m)
{
    const struct bb_lm_hparams *hp = bb_lm_hparams(bb_model_lm(m));
    return hp->bos >= 0 ? hp->bos : hp->eos >= 0 ? hp->eos : 0;
}

static enum bb_status encode(struct bb_model *m, const char *text, size_t len,
                             struct bb_encoding *e, struct bb_error *err)
{
    return bb_tokenizer_encode_ex(bb_model_tokenizer(m), text, len, 0, e, err);
}

/* One request, tokenized: seq = context tokens + continuation tokens (cut
 * from the left to the context length + 1); the forward reads seq[0 .. n-2]
 * and the last n_cont targets are scored. */
struct lm_seq {
    int32_t *ids;
    int n, n_cont;
};

static enum bb_status tokenize_request(struct bb_model *m, const struct bb_loglik_request *r,
                                       struct lm_seq *q, struct bb_error *err)
{
    struct bb_encoding ctx = {0}, whole = {0};
    const char *c = r->context ? r->context : "", *cont = r->continuation ? r->continuation : "";
    size_t lc = strlen(c), lcont = strlen(cont), keep = lc;
    enum bb_status s = BB_OK;
    if (!lcont)
        return bb_fail(err, BB_E_INPUT, "empty continuation: nothing to score");
    while (keep > 0 && (c[keep - 1] == ' ' || c[keep - 1] == '\t' || c[keep - 1] == '\n'))
        keep--; /* trailing white space moves to the continuation */
    char *joined = malloc(lc + lcont + 1);
    if (!joined)
        return bb_fail(err, BB_E_NOMEM, "out of memory tokenizing a request");
    memcpy(joined, c, lc);
    memcpy(joined + lc, cont, lcont + 1);
    int n_ctx = 0;
    if (keep == 0) { /* no context: the prefix token, then the continuation alone */
        s = encode(m, joined, lc + lcont, &whole, err);
    } else {
        s = encode(m, c, keep, &ctx, err);
        if (!s)
            s = encode(m, joined, lc + lcont, &whole, err);
        n_ctx = ctx.n;
    }
    int n_cont = whole.n - n_ctx;
    if (!s && n_cont < 1)
        s = bb_fail(err, BB_E_INPUT, "the continuation adds no token after the context");
    int total = (keep == 0 ? 1 : n_ctx) + (s ? 0 : n_cont);
    if (!s && !(q->ids = malloc((size_t)total * sizeof *q->ids)))
        s = bb_fail(err, BB_E_NOMEM, "out of memory tokenizing a request");
    if (!s) {
        if (keep == 0) {
            q->ids[0] = prefix_token(m);
            memcpy(q->ids + 1, whole.ids, (size_t)n_cont * sizeof *q->ids);
        } else {
            memcpy(q->ids, ctx.ids, (size_t)n_ctx * sizeof *q->ids); /* context as encoded alone */
            memcpy(q->ids + n_ctx, whole.ids + n_ctx, (size_t)n_cont * sizeof *q->ids);
        }
        q->n = total;
        q->n_cont = n_cont;
        int limit = bb_model_max_seq(m) + 1; /* keep the last context + 1 tokens */
        if (q->n > limit) {
            memmove(q->ids, q->ids + (q->n - limit), (size_t)limit * sizeof *q->ids);
            q->n = limit;
            if (q->n_cont > limit - 1)
                q->n_cont = limit - 1;
        }
    }
    free(joined);
    bb_encoding_free(&ctx);
    bb_encoding_free(&whole);
    return s;
}

struct order_key {
    int len;
    size_t idx;
};
static int cmp_desc(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Score sequences order[0 .. b-1] padded to t = the first one's length - 1;
 * lp[k][j] = log P(ids[j] | ids[<j]) for j >= first[k] (the rest 0). */
static enum bb_status score_batch(struct bb_lm *lm, const struct bb_token_seq *seqs,
                                  const size_t *order, int b, float **lp, int32_t **am,
                                  struct bb_error *err)
{
    int t = seqs[order[0]].n - 1;
    size_t nt = (size_t)b * (size_t)t;
    int32_t *ids = malloc(nt * 4), *tgt = malloc(nt * 4), *bam = malloc(nt * 4);
    float *blp = malloc(nt * 4);
    enum bb_status s = BB_OK;
    if (!ids || !tgt || !bam || !blp) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for a batch of %zu tokens", nt);
        goto done;
    }
    int32_t pad = bb_lm_hparams(lm)->eos >= 0 ? bb_lm_hparams(lm)->eos : 0;
    for (int i = 0; i < b; i++) {
        const struct bb_token_seq *q = &seqs[order[i]];
        int in = q->n - 1, first = q->first > 0 ? q->first - 1 : 0; /* first scored input row */
        for (int j = 0; j < t; j++) {
            ids[(size_t)i * t + j] = j < in ? q->ids[j] : pad;
            tgt[(size_t)i * t + j] = j < in && j >= first ? q->ids[j + 1] : -1;
        }
    }
    if ((s = bb_lm_score(lm, ids, tgt, b, t, blp, bam, err)))
        goto done;
    for (int i = 0; i < b; i++) {
        const struct bb_token_seq *q = &seqs[order[i]];
        float *o = lp[order[i]];
        int32_t *a = am ? am[order[i]] : NULL;
        o[0] = 0;
        if (a)
            a[0] = -1;
        for (int j = 0; j + 1 < q->n; j++) {
            size_t k = (size_t)i * t + j;
            o[j + 1] = tgt[k] < 0 ? 0.0f : blp[k];
            if (a)
                a[j + 1] = tgt[k] < 0 ? -1 : bam[k];
        }
    }
done:
    free(ids);
    free(tgt);
    free(bam);
    free(blp);
    return s;
}

/* ---- result cache: one entry per scored sequence -------------------------------
 * payload lp[0..n) (float) then am[0..n) (int32); keyed by the ids and the
 * first scored position (positions before it are 0 / -1). */
struct lm_cache {
    struct bb_rescache *rc;
    const char *ns;
    char (*keys)[BB_SHA256_HEX_LEN]; /* (n) */
    bool *hit;                       /* (n) */
    int32_t **own_am;                /* argmax rows when the caller passed none */
    uint8_t *buf;                    /* (longest * 8) */
};

static void lm_cache_free(struct lm_cache *c, size_t n)
{
    for (size_t i = 0; c->own_am && i < n; i++)
        free(c->own_am[i]);
    free(c->own_am);
    free(c->keys);
    free(c->hit);
    free(c->buf);
}

/* Look every sequence of two or more tokens up; hits fill lp and am. */
static enum bb_status lm_cache_lookup(struct lm_cache *c, const struct bb_token_seq *seqs,
                                      size_t n, float **lp, int32_t ***am, struct bb_error *err)
{
    size_t longest = 1;
    for (size_t i = 0; i < n; i++)
        longest = (size_t)seqs[i].n > longest ? (size_t)seqs[i].n : longest;
    c->keys = malloc((n ? n : 1) * sizeof *c->keys);
    c->hit = calloc(n ? n : 1, sizeof *c->hit);
    c->buf = malloc(longest * 8);
    if (!*am && (c->own_am = calloc(n ? n : 1, sizeof *c->own_am)))
        for (size_t i = 0; i < n; i++)
            if (!(c->own_am[i] = malloc((size_t)seqs[i].n * sizeof **c->own_am)))
                return bb_fail(err, BB_E_NOMEM, "out of memory for %zu sequences", n);
    if (!c->keys || !c->hit || !c->buf || (!*am && !c->own_am))
        return bb_fail(err, BB_E_NOMEM, "out of memory for %zu sequences", n);
    if (!*am)
        *am = c->own_am;
    for (size_t i = 0; i < n; i++) {
        const struct bb_token_seq *q = &seqs[i];
        size_t k = (size_t)q->n;
        if (q->n < 2)
            continue;
        bb_rescache_key(c->ns, q->first > 1 ? q->first : 1, q->ids, k, c->keys[i]);
        if ((c->hit[i] = bb_rescache_get(c->rc, c->keys[i], c->buf, k * 8))) {
            memcpy(lp[i], c->buf, k * 4);
            memcpy((*am)[i], c->buf + k * 4, k * 4);
        }
    }
    return BB_OK;
}

static void lm_cache_store(struct lm_cache *c, const struct bb_token_seq *seqs,
                           const size_t *order, size_t b, float **lp, int32_t **am)
{
    for (size_t i = 0; c->rc && i < b; i++) {
        size_t j = order[i], k = (size_t)seqs[j].n;
        memcpy(c->buf, lp[j], k * 4);
        memcpy(c->buf + k * 4, am[j], k * 4);
        bb_rescache_put(c->rc, c->keys[j], c->buf, k * 8);
    }
}

enum bb_status bb_model_score_seqs(struct bb_model *m, const struct bb_token_seq *seqs, size_t n,
                                   int batch_size, const char *label, float **lp, int32_t **am,
                                   struct bb_error *err)
{
    struct lm_cache cache = {0};
    size_t n_all = n;
    struct bb_lm *lm;
    enum bb_status s = need_lm(m, &lm, err);
    if (s)
        return s;
    if (batch_size < 1)
        return bb_fail(err, BB_E_USAGE, "batch size %d: expected at least 1", batch_size);
    for (size_t i = 0; i < n; i++)
        if (seqs[i].n < 1 || seqs[i].n > bb_model_max_seq(m) + 1)
            return bb_fail(err, BB_E_INPUT, "sequence %zu has %d tokens: expected 1 .. %d (the "
                           "context length + 1)", i, seqs[i].n, bb_model_max_seq(m) + 1);
    struct order_key *keys = malloc((n ? n : 1) * sizeof *keys);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    struct bb_progress prog;
    if (!keys || !order) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for %zu sequences", n);
        goto done;
    }
    cache.rc = bb_model_rescache(m, &cache.ns);
    if (cache.rc && (s = lm_cache_lookup(&cache, seqs, n, lp, &am, err)))
        goto done;
    size_t todo = 0;
    for (size_t i = 0; i < n; i++)
        if (!cache.hit || !cache.hit[i])
            keys[todo++] = (struct order_key){seqs[i].n, i};
    qsort(keys, todo, sizeof *keys, cmp_desc);
    for (size_t i = 0; i < todo; i++)
        order[i] = keys[i].idx;
    n = todo; /* the sequences left to score */
    size_t i0 = 0;
    bb_progress_start(&prog, label ? label : "scoring", n);
    for (size_t b = 0; i0 < n && !s; i0 += b) {
        size_t t = (size_t)seqs[order[i0]].n - 1;
        if (t == 0) { /* single-token sequences sort last: nothing to score */
            lp[order[i0]][0] = 0;
            if (am)
                am[order[i0]][0] = -1;
            b = 1;
            continue;
        }
        for (b = 1; b < (size_t)batch_size && i0 + b < n && seqs[order[i0 + b]].n > 1 &&
                    (b + 1) * t <= LM_MAX_BATCH_TOKENS; b++)
            ;
        s = score_batch(lm, seqs, order + i0, (int)b, lp, am, err);
        if (!s)
            lm_cache_store(&cache, seqs, order + i0, b, lp, am);
        bb_progress_update(&prog, i0 + b);
    }
    bb_progress_end(&prog);
done:
    lm_cache_free(&cache, n_all);
    free(keys);
    free(order);
    return s;
}

enum bb_status bb_model_loglik(struct bb_model *m, const struct bb_loglik_request *reqs, size_t n,
                               int batch_size, const char *label, struct bb_loglik_result *out,
                               struct bb_error *err)
{
    struct bb_lm *lm;
    enum bb_status s = need_lm(m, &lm, err);
    if (s)
        return s;
    struct lm_seq *q = calloc(n ? n : 1, sizeof *q);
    struct bb_token_seq *seqs = calloc(n ? n : 1, sizeof *seqs);
    float **lp = calloc(n ? n : 1, sizeof *lp);
    int32_t **am = calloc(n ? n : 1, sizeof *am);
    if (!q || !seqs || !lp || !am) {
        s = bb_fail(err, BB_E_NOMEM, "out of memory for %zu requests", n);
        goto done;
    }
    for (size_t i = 0; i < n && !s; i++) {
        if ((s = tokenize_request(m, &reqs[i], &q[i], err))) {
            bb_error_prefix(err, "request %zu", i);
            break;
        }
        seqs[i] = (struct bb_token_seq){q[i].ids, q[i].n, q[i].n - q[i].n_cont};
        if (!(lp[i] = malloc((size_t)q[i].n * sizeof **lp)) ||
            !(am[i] = malloc((size_t)q[i].n * sizeof **am)))
            s = bb_fail(err, BB_E_NOMEM, "out of memory for %zu requests", n);
    }
    if (!s)
        s = bb_model_score_seqs(m, seqs, n, batch_size, label, lp, am, err);
    for (size_t i = 0; i < n && !s; i++) {
        out[i] = (struct bb_loglik_result){0, q[i].n_cont, true};
        for (int j = q[i].n - q[i].n_cont; j < q[i].n; j++) {
            out[i].logprob += lp[i][j];
            out[i].is_greedy = out[i].is_greedy && am[i][j] == q[i].ids[j];
        }
    }
done:
    for (size_t i = 0; i < n && q && lp && am; i++) {
        free(q[i].ids);
        free(lp[i]);
        free(am[i]);
    }
    free(q);
    free(seqs);
    free(lp);
    free(am);
    return s;
}

enum bb_status bb_model_token_logprobs(struct bb_model *m, const int32_t *ids, int n,
                                       float *logprobs, int32_t *argmax, struct bb_error *err)
{
    struct bb_token_seq q = {ids, n, 1};
    return bb_model_score_seqs(m, &q, 1, 1, NULL, &logprobs, argmax ? &argmax : NULL, err);
}

/* ---- generation ------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A token drawn from softmax(logits / temperature). */
static int32_t sample(const float *logits, int v, float temperature, uint64_t *rng)
{
    float mx = logits[0];
    for (int i = 1; i < v; i++)
        mx = logits[i] > mx ? logits[i] : mx;
    double sum = 0;
    for (int i = 0; i < v; i++)
        sum += exp((double)(logits[i] - mx) / temperature);
    double u = (double)(splitmix(rng) >> 11) / 9007199254740992.0 * sum, acc = 0;
    for (int i = 0; i < v; i++) {
        acc += exp((double)(logits[i] - mx) / temperature);
        if (acc >= u)
            return i;
    }
    return v - 1;
}

enum bb_status bb_model_generate(struct bb_model *m, const int32_t *prompt, int n_prompt,
                                 const struct bb_generate_opts *o, int32_t *out_ids, int *n_out,
                                 struct bb_error *err)
{
    struct bb_lm *lm;
    *n_out = 0;
    enum bb_status s = bb_model_require(m, BB_CAP_GENERATE, NULL, err);
    if (s)
        return s;
    lm = bb_model_lm(m);
    const struct bb_lm_hparams *hp = bb_lm_hparams(lm);
    int max_ctx = n_prompt + o->max_tokens;
    if (n_prompt < 1 || o->max_tokens < 0 || max_ctx > bb_model_max_seq(m))
        return bb_fail(err, BB_E_INPUT, "a prompt of %d tokens plus %d new ones: the context "
                       "holds %d", n_prompt, o->max_tokens, bb_model_max_seq(m));
    bool sampled = o->temperature > 0;
    float *logits = sampled ? malloc((size_t)hp->n_vocab * sizeof *logits) : NULL;
    if (sampled && !logits)
        return bb_fail(err, BB_E_NOMEM, "out of memory for the logits");
    uint64_t rng = o->seed;
    int32_t next = 0;
    int n_past = 0;
    const int32_t *feed = prompt;
    int n_feed = n_prompt;
    while (*n_out < o->max_tokens) {
        if ((s = bb_lm_step(lm, feed, n_feed, n_past, max_ctx, logits, &next, err)))
            break;
        n_past += n_feed;
        if (sampled)
            next = sample(logits, hp->n_vocab, o->temperature, &rng);
        out_ids[(*n_out)++] = next;
        if (o->on_token)
            o->on_token(o->ud, next);
        if (o->stop_at_eos && next == hp->eos)
            break;
        feed = &out_ids[*n_out - 1];
        n_feed = 1;
    }
    free(logits);
    return s;
}
