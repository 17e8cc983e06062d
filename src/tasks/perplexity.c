/* perplexity.c: the `perplexity` task for language models over a text
 * dataset (role `text`), as lm-evaluation-harness's loglikelihood_rolling
 * tasks (wikitext): every token of a text is scored given the text before it.
 *
 * A text that fits the model (its token count, by the model's tokenizer, at
 * most max_length: the task's, else the tokenizer's maximum length) is scored
 * in one request, after the model's prefix token (bb_model_loglik with an
 * empty context). A longer text is scored in rolling windows of max_length
 * tokens that start every `stride` tokens (default max_length - 1: windows
 * share one token), each token scored once, with the window's earlier tokens
 * as context (bb_lm_rolling_windows; bb_model_token_logprobs). The windows
 * read the tokenizer's own encoding, whose first token is the context of the
 * second: when the tokenizer adds no BOS, the first text token of a long text
 * is not scored (tokens counts what was scored).
 *
 * Rows (corpus level, like lm-eval: sums over texts, then the ratio), each
 * with a bootstrap 95% CI over texts; lower is better:
 *   perplexity       exp(-sum log p / scored tokens)      (headline)
 *   bits_per_byte    -sum log p / (UTF-8 bytes x ln 2)
 *   word_perplexity  exp(-sum log p / words)  (words: runs of non-space)
 * Per item: item_id, tokens, bytes, words, logprob, perplexity, windows. */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/lmbias.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

struct ppl {
    size_t n;
    const char **text;
    double *lp, *tokens, *bytes, *words;
    int *windows;
};

static void ppl_free(struct ppl *p)
{
    free(p->text);
    free(p->lp);
    free(p->tokens);
    free(p->bytes);
    free(p->words);
    free(p->windows);
}

struct pstat {
    const struct ppl *p;
    int which;
};

static double st_ppl(const int *idx, size_t n, void *c)
{
    struct pstat *s = c;
    double lp = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (size_t)idx[i];
        lp += s->p->lp[j];
        d += s->which == 0 ? s->p->tokens[j] : s->which == 1 ? s->p->bytes[j] : s->p->words[j];
    }
    return s->which == 1 ? bb_lm_bits_per_byte(lp, d) : bb_lm_perplexity(lp, d);
}

/* Rolling windows over the tokenizer's encoding of a long text. */
static enum bb_status rolling(struct bb_task_ctx *ctx, const struct bb_encoding *enc,
                              size_t max_len, size_t stride, double *lp, double *tokens,
                              int *windows, struct bb_error *err)
{
    size_t n = (size_t)enc->n, nw = bb_lm_rolling_windows(n, max_len, stride, NULL, 0);
    struct bb_lm_window *w = malloc((nw ? nw : 1) * sizeof *w);
    float *lps = malloc(max_len * sizeof *lps);
    enum bb_status st = w && lps ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory");
    if (!st)
        bb_lm_rolling_windows(n, max_len, stride, w, nw);
    *lp = 0;
    *tokens = 0;
    for (size_t k = 0; k < nw && !st; k++) {
        int len = (int)(w[k].end - w[k].start);
        st = bb_model_token_logprobs(ctx->model, enc->ids + w[k].start, len, lps, NULL, err);
        for (size_t i = w[k].score_from; i < w[k].end && !st; i++) {
            *lp += lps[i - w[k].start];
            *tokens += 1;
        }
    }
    *windows = (int)nw;
    free(w);
    free(lps);
    return st;
}

static enum bb_status score(struct bb_task_ctx *ctx, struct ppl *p, struct bb_error *err)
{
    const struct bb_suite_perplexity *cfg = &ctx->task->u.perplexity;
    struct bb_tokenizer *tok = bb_model_tokenizer(ctx->model);
    size_t max_len = cfg->max_length > 0 ? (size_t)cfg->max_length
                     : tok ? (size_t)bb_tokenizer_max_len(tok) : 0;
    if (max_len < 2)
        return bb_fail(err, BB_E_UNSUPPORTED, "task '%s': the model's context length is unknown; "
                       "give the task a max_length", ctx->task->id);
    size_t n = p->n, nshort = 0;
    struct bb_loglik_request *req = malloc(n * sizeof *req);
    struct bb_loglik_result *res = malloc(n * sizeof *res);
    size_t *which = malloc(n * sizeof *which);
    struct bb_encoding enc = {0};
    enum bb_status st = req && res && which ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        p->windows[i] = 1;
        if (tok && (st = bb_tokenizer_encode(tok, p->text[i], strlen(p->text[i]), &enc, err)))
            break;
        if (tok && (size_t)enc.n > max_len) { /* a long text: rolling windows */
            st = rolling(ctx, &enc, max_len, (size_t)cfg->stride, &p->lp[i], &p->tokens[i],
                         &p->windows[i], err);
            continue;
        }
        which[nshort] = i;
        req[nshort++] = (struct bb_loglik_request){"", p->text[i]};
    }
    if (!st && nshort)
        st = bb_task_loglik(ctx, req, nshort, res, err);
    for (size_t k = 0; k < nshort && !st; k++) {
        p->lp[which[k]] = res[k].logprob;
        p->tokens[which[k]] = res[k].n_tokens;
    }
    bb_encoding_free(&enc);
    free(req);
    free(res);
    free(which);
    return st;
}

enum bb_status bb_task_perplexity(struct bb_task_ctx *ctx, struct bb_error *err)
{
    struct bb_table *t = NULL;
    struct ppl p = {0};
    int ct;
    enum bb_status st = bb_task_load_table(ctx, ctx->task->dataset, &t, err);
    if (!st)
        st = bb_table_require_col(t, "text", &ct, err);
    size_t n = st ? 0 : bb_task_limit(ctx, bb_table_rows(t));
    if (!st && !n)
        st = bb_fail(err, BB_E_INPUT, "%s: no texts", bb_table_path(t));
    if (!st) {
        p.n = n;
        p.text = calloc(n, sizeof *p.text);
        p.lp = calloc(n, sizeof *p.lp);
        p.tokens = calloc(n, sizeof *p.tokens);
        p.bytes = calloc(n, sizeof *p.bytes);
        p.words = calloc(n, sizeof *p.words);
        p.windows = calloc(n, sizeof *p.windows);
        if (!p.text || !p.lp || !p.tokens || !p.bytes || !p.words || !p.windows)
            st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu texts", n);
    }
    for (size_t i = 0; i < n && !st; i++) {
        p.text[i] = bb_table_get(t, i, ct);
        if (!p.text[i] || !*p.text[i])
            st = bb_fail(err, BB_E_INPUT, "%s:%ld: the text is missing or empty", bb_table_path(t),
                         bb_table_line(t, i));
        else {
            p.bytes[i] = (double)strlen(p.text[i]);
            p.words[i] = (double)bb_lm_count_words(p.text[i]);
        }
    }
    if (!st)
        st = bb_task_require(ctx, BB_CAP_LOGLIK, err);
    if (!st)
        st = score(ctx, &p, err);
    static const char *const names[] = {"perplexity", "bits_per_byte", "word_perplexity"};
    for (int k = 0; k < 3 && !st; k++) {
        struct pstat s = {&p, k};
        struct bb_task_row r =
            bb_task_row_make(names[k], NAN, (long)n, BB_DIR_LOWER, BB_KIND_QUALITY);
        r.headline = k == 0;
        st = bb_task_emit_boot(ctx, &r, n, st_ppl, &s, names[k], err);
    }
    if (!st) {
        static const char *const cols[] = {"item_id", "tokens", "bytes", "words", "logprob",
                                           "perplexity", "windows"};
        struct bb_items *w = NULL;
        st = bb_items_open(ctx, NULL, cols, 7, &w, err);
        for (size_t i = 0; i < n && !st; i++) {
            char id[32];
            bb_items_str(w, bb_task_item_id(t, i, id, sizeof id));
            bb_items_num(w, p.tokens[i]);
            bb_items_num(w, p.bytes[i]);
            bb_items_num(w, p.words[i]);
            bb_items_num(w, p.lp[i]);
            bb_items_num(w, bb_lm_perplexity(p.lp[i], p.tokens[i]));
            bb_items_int(w, p.windows[i]);
            st = bb_items_end_row(w, err);
        }
        st = bb_items_finish(w, st, err);
    }
    ppl_free(&p);
    bb_table_free(t);
    return st;
}
