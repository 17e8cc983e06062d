/* wordpiece.c: WordPiece tokenizer (BERT, MPNet) reproducing Hugging Face
 * `tokenizers`: added/special tokens matched in the raw text, BertNormalizer,
 * BertPreTokenizer, greedy longest-match-first WordPiece, the
 * post-processor's special tokens, and truncation to max_len. Loads
 * tokenizer.json, or vocab.txt + tokenizer_config.json. */
#include "tokenizer/tokenizer-impl.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/paths.h"
#include "tokenizer/unicode.h"

#define MAX_SPECIALS BB_TOK_MAX_TEMPLATE
#define MAX_VOCAB_ID (1 << 24)  /* sanity bound on ids read from files */


struct added_token {
    char *content;  /* as written in the file (its piece) */
    uint32_t *cps;  /* content as code points (normalized when `normalized`) */
    size_t n;
    int32_t id;
    bool lstrip, rstrip, single_word, normalized, special;
};

struct wordpiece {
    struct bb_tok_vocab v;       /* piece -> id; its arena holds every piece string */
    bool vocab_ready;            /* model.vocab already read by the fast path */
    uint32_t *piece_off;         /* (n_ids) arena offset of id's piece, UINT32_MAX: none */
    int n_ids;
    size_t max_piece_bytes;
    /* normalizer (BertNormalizer) */
    bool clean_text, chinese, strip_accents, lowercase;
    bool bert_pretok;            /* BertPreTokenizer, else the whole text is one word */
    /* WordPiece model */
    char prefix[32];
    size_t prefix_len;
    int max_chars;
    int32_t unk_id;
    struct added_token *added;
    int n_added;
    /* post-processor */
    int32_t pre[MAX_SPECIALS], suf[MAX_SPECIALS];
    int n_pre, n_suf;
    int max_len;
    int32_t pad_id;
};

/* ---- vocabulary ------------------------------------------------------------ */

static enum bb_status vocab_init(struct wordpiece *t, size_t n_entries, struct bb_error *err)
{
    if (!bb_tok_vocab_reserve(&t->v, n_entries))
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory for %zu vocab entries",
                       n_entries);
    return BB_OK;
}

/* Insert or overwrite piece -> id (a later duplicate wins, as in a dict). */
static enum bb_status vocab_put(struct wordpiece *t, const char *s, size_t n, int32_t id,
                                const char *what, struct bb_error *err)
{
    if (id < 0 || id >= MAX_VOCAB_ID)
        return bb_fail(err, BB_E_INPUT,
                       "%s: vocab entry '%.40s': expected an id in 0..%d, found %d", what, s,
                       MAX_VOCAB_ID - 1, (int)id);
    if (!bb_tok_vocab_put(&t->v, s, n, id, NULL))
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory storing the vocabulary", what);
    if (n > t->max_piece_bytes)
        t->max_piece_bytes = n;
    return BB_OK;
}

/* Build the id -> piece table from the hash table and the added tokens. */
static enum bb_status build_id_table(struct wordpiece *t, struct bb_error *err)
{
    const struct bb_tok_vocab *v = &t->v;
    int32_t max_id = -1;
    for (uint32_t i = 0; v->slots && i <= v->mask; i++)
        if (v->slots[i].id > max_id)
            max_id = v->slots[i].id;
    for (int i = 0; i < t->n_added; i++)
        if (t->added[i].id > max_id)
            max_id = t->added[i].id;
    t->n_ids = max_id + 1;
    t->piece_off = malloc(((size_t)t->n_ids + 1) * sizeof *t->piece_off);
    if (!t->piece_off)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory for %d ids", t->n_ids);
    for (int i = 0; i < t->n_ids; i++)
        t->piece_off[i] = UINT32_MAX;
    for (uint32_t i = 0; v->slots && i <= v->mask; i++) {
        const struct bb_tok_vslot *sl = &v->slots[i];
        if (sl->id >= 0 && (t->piece_off[sl->id] == UINT32_MAX || sl->off < t->piece_off[sl->id]))
            t->piece_off[sl->id] = sl->off;
    }
    for (int i = 0; i < t->n_added; i++) {
        const struct added_token *a = &t->added[i];
        if (t->piece_off[a->id] != UINT32_MAX)
            continue;
        t->piece_off[a->id] = bb_tok_vocab_arena_add(&t->v, a->content, strlen(a->content));
        if (t->piece_off[a->id] == UINT32_MAX)
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    }
    return BB_OK;
}

/* ---- normalization ------------------------------------------------------------ */

struct cpbuf { uint32_t *v; size_t n, cap; };

static bool cpbuf_reserve(struct cpbuf *b, size_t cap)
{
    if (cap <= b->cap)
        return true;
    size_t c = b->cap ? b->cap : 64;
    while (c < cap)
        c *= 2;
    uint32_t *v = realloc(b->v, c * sizeof *v);
    if (!v)
        return false;
    b->v = v;
    b->cap = c;
    return true;
}

/* clean_text and CJK spacing: in (n) -> out. */
static bool norm_clean(const struct wordpiece *t, const uint32_t *in, size_t n,
                       struct cpbuf *out)
{
    if (!cpbuf_reserve(out, 3 * n + 1))
        return false;
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = in[i];
        if (t->clean_text) {
            if (c == 0 || c == 0xFFFD || bb_uni_is_control(c))
                continue;
            if (bb_uni_is_whitespace(c))
                c = ' ';
        }
        if (t->chinese && bb_uni_is_cjk(c)) {
            out->v[out->n++] = ' ';
            out->v[out->n++] = c;
            out->v[out->n++] = ' ';
        } else {
            out->v[out->n++] = c;
        }
    }
    return true;
}

/* NFD and removal of nonspacing marks: in -> out. */
static bool norm_strip_accents(const struct cpbuf *in, struct cpbuf *out)
{
    size_t need = bb_uni_nfd(in->v, in->n, out->v, out->cap);
    if (need > out->cap) {
        if (!cpbuf_reserve(out, need))
            return false;
        bb_uni_nfd(in->v, in->n, out->v, out->cap);
    }
    size_t k = 0;
    for (size_t i = 0; i < need; i++)
        if (!bb_uni_is_nonspacing_mark(out->v[i]))
            out->v[k++] = out->v[i];
    out->n = k;
    return true;
}

static bool norm_lower(const struct cpbuf *in, struct cpbuf *out)
{
    if (!cpbuf_reserve(out, 2 * in->n + 1))
        return false;
    out->n = 0;
    for (size_t i = 0; i < in->n; i++)
        out->n += (size_t)bb_uni_lower(in->v[i], out->v + out->n);
    return true;
}

/* The whole BertNormalizer: in (n) -> *res (points at a or b). */
static bool normalize(const struct wordpiece *t, const uint32_t *in, size_t n,
                      struct cpbuf *a, struct cpbuf *b, struct cpbuf **res)
{
    struct cpbuf *cur = a, *other = b, *sw;
    if (!norm_clean(t, in, n, cur))
        return false;
    if (t->strip_accents) {
        if (!norm_strip_accents(cur, other))
            return false;
        sw = cur, cur = other, other = sw;
    }
    if (t->lowercase) {
        if (!norm_lower(cur, other))
            return false;
        sw = cur, cur = other, other = sw;
    }
    *res = cur;
    return true;
}

/* ---- encoding ------------------------------------------------------------------ */

struct work {
    const struct wordpiece *tok;
    struct bb_encoding *enc;
    int start;               /* enc->n when the text began */
    int limit;               /* ids allowed for the text */
    bool full;               /* limit reached: stop */
    struct cpbuf na, nb;     /* normalization scratch */
    char *key;               /* prefix + UTF-8 of a word (lookup keys) */
    char *utf8;              /* UTF-8 of the current word */
    size_t *off;             /* (n + 1) byte offset of each char of the word */
    size_t key_cap, utf8_cap, off_cap;
};

#define enc_push bb_tok_push

/* Apply truncation after the ids of one word / token were added. */
static void enc_truncate(struct work *w)
{
    if (w->enc->n - w->start >= w->limit) {
        w->enc->n = w->start + w->limit;
        w->full = true;
    }
}

static bool grow_bytes(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    char *b = realloc(*buf, need);
    if (!b)
        return false;
    *buf = b;
    *cap = need;
    return true;
}

/* Room for a word of n_chars code points in key, utf8 and off. */
static bool word_buffers(struct work *w, size_t n_chars)
{
    if (!grow_bytes(&w->key, &w->key_cap, w->tok->prefix_len + 4 * n_chars + 1) ||
        !grow_bytes(&w->utf8, &w->utf8_cap, 4 * n_chars + 1))
        return false;
    if (n_chars + 1 > w->off_cap) {
        size_t *o = realloc(w->off, (n_chars + 1) * sizeof *o);
        if (!o)
            return false;
        w->off = o;
        w->off_cap = n_chars + 1;
    }
    return true;
}

/* Greedy longest-match-first over the n chars in w->utf8 (offsets w->off);
 * false when the word cannot be pieced. */
static bool wordpiece_pieces(struct work *w, size_t n, bool *nomem)
{
    const struct wordpiece *t = w->tok;
    memcpy(w->key, t->prefix, t->prefix_len);
    for (size_t i = 0; i < n;) {
        size_t plen = i > 0 ? t->prefix_len : 0;
        char *k = w->key + t->prefix_len - plen;  /* "##" + rest, or the rest */
        memcpy(w->key + t->prefix_len, w->utf8 + w->off[i], w->off[n] - w->off[i]);
        int32_t id = -1;
        size_t j = n;
        for (; j > i; j--) {
            size_t klen = plen + w->off[j] - w->off[i];
            if (klen <= t->max_piece_bytes && (id = bb_tok_vocab_find(&t->v, k, klen)) >= 0)
                break;
        }
        if (id < 0)
            return false;
        if (!enc_push(w->enc, id)) {
            *nomem = true;
            return false;
        }
        i = j;
    }
    return true;
}

/* One pre-token: its pieces, or [UNK] when too long or not pieceable. */
static enum bb_status wordpiece_word(struct work *w, const uint32_t *cps, size_t n,
                                     struct bb_error *err)
{
    const struct wordpiece *t = w->tok;
    int start = w->enc->n;
    bool nomem = false, good = false;
    if (n <= (size_t)t->max_chars) {
        if (!word_buffers(w, n))
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
        w->off[0] = 0;
        for (size_t i = 0; i < n; i++)
            w->off[i + 1] = w->off[i] + (size_t)bb_uni_encode(cps[i], w->utf8 + w->off[i]);
        good = wordpiece_pieces(w, n, &nomem);
    }
    if (nomem)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    if (!good) {
        w->enc->n = start;
        if (!enc_push(w->enc, t->unk_id))
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    }
    enc_truncate(w);
    return BB_OK;
}

/* BertPreTokenizer: split on whitespace, isolate punctuation. */
static enum bb_status pretokenize(struct work *w, const uint32_t *s, size_t n,
                                  struct bb_error *err)
{
    if (!w->tok->bert_pretok)
        return n ? wordpiece_word(w, s, n, err) : BB_OK;
    size_t i = 0;
    while (i < n && !w->full) {
        if (bb_uni_is_whitespace(s[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        if (!bb_uni_is_punct(s[i]))
            while (j < n && !bb_uni_is_whitespace(s[j]) && !bb_uni_is_punct(s[j]))
                j++;
        enum bb_status st = wordpiece_word(w, s + i, j - i, err);
        if (st)
            return st;
        i = j;
    }
    return BB_OK;
}

static bool is_word_char(uint32_t c)
{
    if (c == '_')
        return true;
    if (c < 0x80)
        return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
    return !bb_uni_is_whitespace(c) && !bb_uni_is_punct(c) && !bb_uni_is_control(c);
}

/* Longest added token (of the given normalized kind) starting at s[i]. */
static const struct added_token *added_at(const struct wordpiece *t, const uint32_t *s,
                                          size_t n, size_t i, bool normalized)
{
    const struct added_token *best = NULL;
    for (int k = 0; k < t->n_added; k++) {
        const struct added_token *a = &t->added[k];
        if (a->normalized != normalized || a->n == 0 || a->n > n - i || a->cps[0] != s[i])
            continue;
        if (memcmp(a->cps, s + i, a->n * sizeof *s) == 0 && (!best || a->n > best->n))
            best = a;
    }
    return best;
}

typedef enum bb_status (*gap_fn)(struct work *w, const uint32_t *s, size_t n,
                                 struct bb_error *err);

/* Split s on added tokens (leftmost-longest); gaps go to `gap`, tokens to ids. */
static enum bb_status split_added(struct work *w, const uint32_t *s, size_t n, bool normalized,
                                  gap_fn gap, struct bb_error *err)
{
    size_t seg = 0, i = 0;
    enum bb_status st = BB_OK;
    while (i < n && !w->full) {
        const struct added_token *a = added_at(w->tok, s, n, i, normalized);
        if (!a || (a->single_word && ((i > 0 && is_word_char(s[i - 1])) ||
                                      (i + a->n < n && is_word_char(s[i + a->n]))))) {
            i += a ? a->n : 1;
            continue;
        }
        size_t start = i, end = i + a->n;
        while (a->lstrip && start > seg && bb_uni_is_whitespace(s[start - 1]))
            start--;
        while (a->rstrip && end < n && bb_uni_is_whitespace(s[end]))
            end++;
        if (start > seg && (st = gap(w, s + seg, start - seg, err)))
            return st;
        if (w->full)
            return BB_OK;
        if (!enc_push(w->enc, a->id))
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
        enc_truncate(w);
        seg = i = end;
    }
    if (seg < n && !w->full)
        st = gap(w, s + seg, n - seg, err);
    return st;
}

/* A stretch of raw text between non-normalized added tokens. */
static enum bb_status raw_segment(struct work *w, const uint32_t *s, size_t n,
                                  struct bb_error *err)
{
    struct cpbuf *norm;
    if (!normalize(w->tok, s, n, &w->na, &w->nb, &norm))
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory normalizing %zu chars", n);
    /* pretokenize() and below use neither na nor nb */
    return split_added(w, norm->v, norm->n, true, pretokenize, err);
}

/* The text's ids (no template specials), at most `limit`. */
static enum bb_status wp_encode(const struct bb_tokenizer *base, const char *text, size_t len,
                                int limit, struct bb_encoding *enc, struct bb_error *err)
{
    const struct wordpiece *tok = base->impl;
    enum bb_status st = BB_OK;
    struct work w = {.tok = tok, .enc = enc, .start = enc->n, .limit = limit};
    uint32_t *cps = len < SIZE_MAX / 16 ? malloc((len + 1) * sizeof *cps) : NULL;
    if (!cps) {
        st = bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory for %zu bytes of text", len);
        goto done;
    }
    size_t n = bb_uni_decode_lossy(text ? text : "", text ? len : 0, cps);
    if (w.limit <= 0)
        w.full = true;
    st = split_added(&w, cps, n, false, raw_segment, err);
done:
    free(cps);
    free(w.na.v);
    free(w.nb.v);
    free(w.key);
    free(w.utf8);
    free(w.off);
    return st;
}

/* ---- loading ------------------------------------------------------------------- */

/* Id of a token given as text: a non-normalized added token, else the vocab. */
static int32_t token_id(const struct wordpiece *t, const char *s)
{
    for (int i = 0; i < t->n_added; i++)
        if (!t->added[i].normalized && !strcmp(t->added[i].content, s))
            return t->added[i].id;
    return bb_tok_vocab_find(&t->v, s, strlen(s));
}

static enum bb_status read_vocab_json(struct wordpiece *t, const json_t *vocab,
                                      const char *what, struct bb_error *err)
{
    if (!json_is_object(vocab))
        return bb_fail(
            err, BB_E_INPUT,
            "%s: field 'model.vocab': expected an object mapping pieces to ids, found %s", what,
            vocab ? "another type" : "nothing (missing vocabulary)");
    enum bb_status st = vocab_init(t, json_object_size(vocab), err);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)vocab, key, v) {
        if (st)
            break;
        if (!json_is_integer(v))
            return bb_fail(err, BB_E_INPUT, "%s: model.vocab['%.40s']: expected an integer id",
                           what, key);
        json_int_t id = json_integer_value(v);
        if (id < 0 || id >= MAX_VOCAB_ID)
            return bb_fail(err, BB_E_INPUT, "%s: model.vocab['%.40s']: expected an id in 0..%d, "
                           "found %lld", what, key, MAX_VOCAB_ID - 1, (long long)id);
        st = vocab_put(t, key, strlen(key), (int32_t)id, what, err);
    }
    if (!st && json_object_size(vocab) == 0)
        st = bb_fail(err, BB_E_INPUT, "%s: field 'model.vocab' is empty", what);
    return st;
}

/* Read the whole file into a NUL-terminated buffer. */
static enum bb_status slurp(const char *path, char **out, size_t *len, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bb_fail(err, BB_E_IO, "%s: cannot open", path);
    long size;
    if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        st = bb_fail(err, BB_E_IO, "%s: cannot determine the size", path);
        goto done;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        st = bb_fail(err, BB_E_NOMEM, "%s: out of memory (%ld bytes)", path, size);
        goto done;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        st = bb_fail(err, BB_E_IO, "%s: read error", path);
        goto done;
    }
    buf[size] = '\0';
    *out = buf;
    *len = (size_t)size;
    buf = NULL;
done:
    free(buf);
    fclose(f);
    return st;
}

/* vocab.txt: one piece per line, id = line number - 1 ('\n' ends a line). */
static enum bb_status read_vocab_txt(struct wordpiece *t, const char *path,
                                     struct bb_error *err)
{
    char *buf = NULL;
    size_t len = 0, lines = 0;
    enum bb_status st = slurp(path, &buf, &len, err);
    if (st)
        return st;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    if ((st = vocab_init(t, lines + 1, err)))
        goto done;
    int32_t id = 0;
    for (size_t p = 0; p < len && !st; id++) {
        char *nl = memchr(buf + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - buf) : len;
        st = vocab_put(t, buf + p, e - p, id, path, err);
        p = e + 1;
    }
    if (!st && id == 0)
        st = bb_fail(err, BB_E_INPUT, "%s: empty vocabulary", path);
done:
    free(buf);
    return st;
}

static enum bb_status add_token(struct wordpiece *t, const char *content, int32_t id,
                                bool normalized, struct bb_error *err)
{
    struct added_token *a = realloc(t->added, (size_t)(t->n_added + 1) * sizeof *a);
    if (!a)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    t->added = a;
    a = &t->added[t->n_added];
    memset(a, 0, sizeof *a);
    size_t len = strlen(content);
    a->cps = malloc((len + 1) * sizeof *a->cps);
    a->content = strdup(content);
    t->n_added++;  /* counted now so that bb_tokenizer_free releases it */
    if (!a->cps || !a->content)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    a->n = bb_uni_decode_lossy(content, len, a->cps);
    a->id = id;
    a->normalized = normalized;
    a->special = true;
    return BB_OK;
}

/* One of added_tokens (bb_tok_json_added). */
static enum bb_status read_added_token(void *ctx, const struct bb_tok_added *a, const char *field,
                                       struct bb_error *err)
{
    struct wordpiece *t = ctx;
    if (a->id < 0 || a->id >= MAX_VOCAB_ID)
        return bb_fail(err, BB_E_INPUT, "%s: field 'id': expected 0..%d, found %lld", field,
                       MAX_VOCAB_ID - 1, a->id);
    enum bb_status st = add_token(t, a->content, (int32_t)a->id, a->normalized, err);
    if (st)
        return st;
    struct added_token *tk = &t->added[t->n_added - 1];
    tk->lstrip = a->lstrip, tk->rstrip = a->rstrip, tk->single_word = a->single_word;
    tk->special = a->special;
    return BB_OK;
}

/* Normalize the content of tokens marked "normalized" (they match normalized text). */
static enum bb_status normalize_added(struct wordpiece *t, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    struct cpbuf a = {0}, b = {0}, *res;
    for (int i = 0; i < t->n_added && !st; i++) {
        struct added_token *tk = &t->added[i];
        if (!tk->normalized)
            continue;
        uint32_t *v;
        if (!normalize(t, tk->cps, tk->n, &a, &b, &res) ||
            !(v = malloc((res->n + 1) * sizeof *v))) {
            st = bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
            break;
        }
        memcpy(v, res->v, res->n * sizeof *v);
        free(tk->cps);
        tk->cps = v;
        tk->n = res->n;
    }
    free(a.v);
    free(b.v);
    return st;
}

static enum bb_status read_normalizer(struct wordpiece *t, const json_t *n, const char *what,
                                      struct bb_error *err)
{
    const char *type = NULL;
    enum bb_status st;
    if (!n || json_is_null(n))
        return BB_OK; /* no normalization */
    if ((st = bb_json_get_string(n, "type", what, true, &type, err)))
        return st;
    if (strcmp(type, "BertNormalizer"))
        return bb_fail(
            err, BB_E_UNSUPPORTED,
            "%s: normalizer type '%s' is not supported (expected BertNormalizer or null)", what,
            type);
    t->clean_text = t->chinese = t->lowercase = true;
    if ((st = bb_json_get_bool(n, "clean_text", what, false, &t->clean_text, err)) ||
        (st = bb_json_get_bool(n, "handle_chinese_chars", what, false, &t->chinese, err)) ||
        (st = bb_json_get_bool(n, "lowercase", what, false, &t->lowercase, err)))
        return st;
    t->strip_accents = t->lowercase; /* strip_accents: null follows lowercase */
    return bb_json_get_bool(n, "strip_accents", what, false, &t->strip_accents, err);
}

static enum bb_status read_pretokenizer(struct wordpiece *t, const json_t *p,
                                        const char *what, struct bb_error *err)
{
    const char *type = NULL;
    enum bb_status st;
    t->bert_pretok = false;
    if (!p || json_is_null(p))
        return BB_OK;
    if ((st = bb_json_get_string(p, "type", what, true, &type, err)))
        return st;
    if (strcmp(type, "BertPreTokenizer"))
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: pre_tokenizer type '%s' is not supported (expected BertPreTokenizer)",
                       what, type);
    t->bert_pretok = true;
    return BB_OK;
}

/* BertProcessing / RobertaProcessing: "cls": ["[CLS]", 101], "sep": [...]. */
static enum bb_status read_pair(const json_t *pp, const char *key, const char *what,
                                int32_t *id, struct bb_error *err)
{
    json_t *v = json_object_get(pp, key);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(json_array_get(v, 1)))
        return bb_fail(err, BB_E_INPUT,
                       "%s: post_processor field '%s': expected [token, id]", what, key);
    json_int_t x = json_integer_value(json_array_get(v, 1));
    if (x < 0 || x >= MAX_VOCAB_ID)
        return bb_fail(err, BB_E_INPUT, "%s: post_processor '%s' id %lld out of range", what,
                       key, (long long)x);
    *id = (int32_t)x;
    return BB_OK;
}

static enum bb_status template_special(struct wordpiece *t, const json_t *pp,
                                       const json_t *item, bool after, const char *what,
                                       struct bb_error *err)
{
    const char *name = json_string_value(json_object_get(item, "id"));
    json_t *spec = json_object_get(json_object_get(pp, "special_tokens"), name ? name : "");
    json_t *ids = json_object_get(spec, "ids"), *x;
    size_t i;
    if (!json_is_array(ids))
        return bb_fail(err, BB_E_INPUT,
                       "%s: post_processor: special token '%s' has no 'ids' in special_tokens",
                       what, name ? name : "(no id)");
    json_array_foreach(ids, i, x) {
        int *n = after ? &t->n_suf : &t->n_pre;
        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
            json_integer_value(x) >= MAX_VOCAB_ID || *n >= MAX_SPECIALS)
            return bb_fail(err, BB_E_INPUT, "%s: post_processor: bad ids for special token '%s'",
                           what, name);
        (after ? t->suf : t->pre)[(*n)++] = (int32_t)json_integer_value(x);
    }
    return BB_OK;
}

static enum bb_status read_template(struct wordpiece *t, const json_t *pp, const char *what,
                                    struct bb_error *err)
{
    json_t *single = json_object_get(pp, "single"), *item;
    size_t i;
    bool seen_a = false;
    enum bb_status st;
    if (!json_is_array(single))
        return bb_fail(err, BB_E_INPUT, "%s: post_processor field 'single': expected an array",
                       what);
    json_array_foreach(single, i, item) {
        json_t *sp = json_object_get(item, "SpecialToken");
        json_t *sq = json_object_get(item, "Sequence");
        if (sp) {
            if ((st = template_special(t, pp, sp, seen_a, what, err)))
                return st;
        } else if (sq && !seen_a) {
            seen_a = true;
        } else {
            return bb_fail(err, BB_E_UNSUPPORTED,
                           "%s: post_processor 'single' item %zu: expected SpecialToken or one "
                           "Sequence", what, i);
        }
    }
    if (!seen_a)
        return bb_fail(err, BB_E_INPUT, "%s: post_processor 'single' has no Sequence", what);
    return BB_OK;
}

static enum bb_status read_post_processor(struct wordpiece *t, const json_t *pp,
                                          const char *what, struct bb_error *err)
{
    const char *type = NULL;
    enum bb_status st;
    t->n_pre = t->n_suf = 0;
    if (!pp || json_is_null(pp))
        return BB_OK;
    if ((st = bb_json_get_string(pp, "type", what, true, &type, err)))
        return st;
    if (!strcmp(type, "TemplateProcessing"))
        return read_template(t, pp, what, err);
    if (strcmp(type, "BertProcessing") && strcmp(type, "RobertaProcessing"))
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: post_processor type '%s' is not supported (expected "
                       "TemplateProcessing, BertProcessing or RobertaProcessing)", what, type);
    t->n_pre = t->n_suf = 1;
    if ((st = read_pair(pp, "cls", what, &t->pre[0], err)))
        return st;
    return read_pair(pp, "sep", what, &t->suf[0], err);
}

static enum bb_status read_model(struct wordpiece *t, const json_t *m, const char *what,
                                 struct bb_error *err)
{
    const char *type = NULL, *unk = "[UNK]", *prefix = "##";
    long long max_chars = 100;
    enum bb_status st;
    if (!json_is_object(m))
        return bb_fail(err, BB_E_INPUT, "%s: field 'model': expected an object", what);
    if ((st = bb_json_get_string(m, "type", what, true, &type, err)))
        return st;
    if (strcmp(type, "WordPiece"))
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: model type '%s' is not supported by the WordPiece tokenizer "
                       "(expected 'WordPiece', as BERT and MPNet use)", what, type);
    if ((st = bb_json_get_string(m, "unk_token", what, false, &unk, err)) ||
        (st = bb_json_get_string(m, "continuing_subword_prefix", what, false, &prefix, err)) ||
        (st = bb_json_get_int(m, "max_input_chars_per_word", what, false, &max_chars, err)))
        return st;
    if (strlen(prefix) >= sizeof t->prefix || max_chars < 0 || max_chars > 1000000)
        return bb_fail(err, BB_E_INPUT,
                       "%s: model: continuing_subword_prefix or max_input_chars_per_word out of "
                       "range", what);
    memcpy(t->prefix, prefix, strlen(prefix) + 1);
    t->prefix_len = strlen(prefix);
    t->max_chars = (int)max_chars;
    if (!t->vocab_ready && (st = read_vocab_json(t, json_object_get(m, "vocab"), what, err)))
        return st;
    if ((t->unk_id = bb_tok_vocab_find(&t->v, unk, strlen(unk))) < 0)
        return bb_fail(err, BB_E_INPUT, "%s: model.unk_token '%s' is not in model.vocab", what,
                       unk);
    return BB_OK;
}

/* ---- fast path for model.vocab ------------------------------------------------------
 * jansson needs tens of milliseconds for a 30k-entry vocab object. The vocab is
 * scanned here directly, then blanked out (spaces, so jansson's line:column
 * stay true) before jansson parses the rest. Anything unexpected abandons the
 * fast path, and the plain jansson route reports the error. */

struct scan { const char *p, *end; };

static void sc_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool sc_skip_string(struct scan *s)
{
    if (s->p >= s->end || *s->p != '"')
        return false;
    for (s->p++; s->p < s->end; s->p++) {
        if (*s->p == '\\')
            s->p++;
        else if (*s->p == '"') {
            s->p++;
            return true;
        }
    }
    return false;
}

/* Skip one value (structure only); stops before the ',' or closing bracket after it. */
static bool sc_skip_value(struct scan *s)
{
    int depth = 0;
    sc_ws(s);
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '"') {
            if (!sc_skip_string(s))
                return false;
        } else if (c == '{' || c == '[') {
            depth++, s->p++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return true;
            depth--, s->p++;
        } else if (c == ',' && depth == 0) {
            return true;
        } else {
            s->p++;
        }
        if (depth == 0 && (c == '"' || c == '}' || c == ']'))
            return true;
    }
    return false;
}

/* In the object at s->p, find member `key` (unescaped); s->p is left at its value. */
static bool sc_find_member(struct scan *s, const char *key)
{
    sc_ws(s);
    if (s->p >= s->end || *s->p++ != '{')
        return false;
    for (;;) {
        sc_ws(s);
        const char *k = s->p + 1;
        if (!sc_skip_string(s))
            return false;
        size_t klen = (size_t)(s->p - 1 - k);
        sc_ws(s);
        if (s->p >= s->end || *s->p++ != ':')
            return false;
        sc_ws(s);
        if (klen == strlen(key) && !memcmp(k, key, klen))
            return true;
        if (!sc_skip_value(s))
            return false;
        sc_ws(s);
        if (s->p >= s->end || *s->p++ != ',')
            return false;
    }
}

static int sc_hex4(struct scan *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++, s->p++) {
        if (s->p >= s->end)
            return -1;
        char c = *s->p;
        int d = c >= '0' && c <= '9'                 ? c - '0'
                : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10
                                                     : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* \uXXXX (s->p after the 'u'), with surrogate pairs; -1 when invalid or NUL. */
static long sc_unicode_escape(struct scan *s)
{
    long u = sc_hex4(s);
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
            return -1;
        s->p += 2;
        long lo = sc_hex4(s);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
        return -1;
    }
    return u > 0 ? u : -1;
}

/* Decode the string at s->p into out (room for the raw length); false if malformed. */
static bool sc_string(struct scan *s, char *out, size_t *n)
{
    static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
    size_t o = 0;
    if (s->p >= s->end || *s->p++ != '"')
        return false;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p++;
        if (c == '"') {
            *n = o;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            out[o++] = (char)c;
            continue;
        }
        if (s->p >= s->end)
            return false;
        c = (unsigned char)*s->p++;
        const char *e = c ? strchr(esc_in, c) : NULL;
        if (e) {
            out[o++] = esc_out[e - esc_in];
        } else if (c == 'u') {
            long u = sc_unicode_escape(s);
            if (u < 0)
                return false;
            o += (size_t)bb_uni_encode((uint32_t)u, out + o);
        } else {
            return false;
        }
    }
    return false;
}

static bool sc_int(struct scan *s, long long *v)
{
    bool neg = s->p < s->end && *s->p == '-';
    const char *start = s->p += neg;
    *v = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9' && *v < MAX_VOCAB_ID)
        *v = *v * 10 + (*s->p++ - '0');
    if (neg)
        *v = -*v;
    if (*start == '0' && s->p - start > 1)
        return false;
    return s->p > start && (s->p >= s->end || !strchr(".eE0123456789", *s->p));
}

/* Parse the vocab object at s->p into t; false (t partly filled) if anything is off. */
static bool sc_vocab(struct wordpiece *t, struct scan *s, char *key)
{
    size_t colons = 0;
    for (const char *q = s->p; q < s->end; q++)  /* >= entries: sizing only */
        colons += *q == ':';
    if (vocab_init(t, colons, NULL))
        return false;
    if (s->p >= s->end || *s->p++ != '{')
        return false;
    sc_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return false; /* empty: let the jansson route say so */
    }
    for (;;) {
        size_t n;
        long long id;
        sc_ws(s);
        if (!sc_string(s, key, &n))
            return false;
        sc_ws(s);
        if (s->p >= s->end || *s->p++ != ':')
            return false;
        sc_ws(s);
        if (!sc_int(s, &id) || id < 0 || id >= MAX_VOCAB_ID ||
            bb_tok_vocab_find(&t->v, key, n) >= 0 ||
            vocab_put(t, key, n, (int32_t)id, "", NULL))
            return false;
        sc_ws(s);
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return true;
        }
        if (s->p >= s->end || *s->p++ != ',')
            return false;
    }
}

static void vocab_reset(struct wordpiece *t)
{
    bb_tok_vocab_free(&t->v);
    t->max_piece_bytes = 0;
}

/* Parse model.vocab of the tokenizer.json text in buf directly and blank it
 * out in buf. Returns false (and leaves buf and t's vocab untouched) when the
 * text does not have the expected shape. */
static bool fast_vocab(struct wordpiece *t, char *buf, size_t len)
{
    struct scan s = {buf, buf + len};
    if (!sc_find_member(&s, "model") || !sc_find_member(&s, "vocab"))
        return false;
    char *start = (char *)s.p, *key = malloc(len + 1);
    bool good = key && sc_vocab(t, &s, key);
    free(key);
    if (!good) {
        vocab_reset(t);
        return false;
    }
    for (char *q = start + 1; q < s.p - 1; q++)
        if (*q != '\n')
            *q = ' ';
    t->vocab_ready = true;
    return true;
}

/* jansson over the text (vocab already blanked out when the fast path took it). */
static enum bb_status parse_json_text(const char *buf, size_t len, const char *path,
                                      json_t **out, struct bb_error *err)
{
    json_error_t je;
    *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (*out)
        return BB_OK;
    return bb_fail(err, BB_E_INPUT, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column,
                   je.text);
}

static enum bb_status load_tokenizer_json(struct wordpiece *t, const char *path,
                                          struct bb_error *err)
{
    json_t *root = NULL;
    char *buf = NULL;
    size_t len = 0;
    enum bb_status st = slurp(path, &buf, &len, err);
    if (st)
        return st;
    fast_vocab(t, buf, len);
    if ((st = parse_json_text(buf, len, path, &root, err)))
        goto done;
    if (!json_is_object(root)) {
        st = bb_fail(err, BB_E_INPUT, "%s: expected a JSON object at the top level", path);
        goto done;
    }
    if ((st = read_model(t, json_object_get(root, "model"), path, err)) ||
        (st = bb_tok_json_added(json_object_get(root, "added_tokens"), path, true, read_added_token,
                                  t, err)) ||
        (st = read_normalizer(t, json_object_get(root, "normalizer"), path, err)) ||
        (st = read_pretokenizer(t, json_object_get(root, "pre_tokenizer"), path, err)) ||
        (st = read_post_processor(t, json_object_get(root, "post_processor"), path, err)) ||
        (st = normalize_added(t, err)))
        goto done;
    json_t *pad = json_object_get(json_object_get(root, "padding"), "pad_id");
    if (json_is_integer(pad))
        t->pad_id = (int32_t)json_integer_value(pad);
done:
    json_decref(root);
    free(buf);
    return st;
}

/* A special token in tokenizer_config.json: "x" or {"content": "x"}. */
static const char *config_token(const json_t *cfg, const char *key, const char *dflt)
{
    json_t *v = json_object_get(cfg, key);
    if (json_is_object(v))
        v = json_object_get(v, "content");
    return json_is_string(v)                  ? json_string_value(v)
           : cfg && json_object_get(cfg, key) ? NULL
                                              : dflt;
}

/* vocab.txt + tokenizer_config.json (BertTokenizer's settings). */
static enum bb_status load_vocab_txt(struct wordpiece *t, const char *path, const json_t *cfg,
                                     const char *cfg_path, struct bb_error *err)
{
    static const char *keys[] = {"unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};
    static const char *dflt[] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};
    enum bb_status st;
    if ((st = read_vocab_txt(t, path, err)))
        return st;
    t->clean_text = t->chinese = t->lowercase = t->bert_pretok = true;
    memcpy(t->prefix, "##", 3);
    t->prefix_len = 2;
    t->max_chars = 100;
    if ((st = bb_json_get_bool(cfg, "do_lower_case", cfg_path, false, &t->lowercase, err)) ||
        (st = bb_json_get_bool(cfg, "tokenize_chinese_chars", cfg_path, false, &t->chinese, err)))
        return st;
    t->strip_accents = t->lowercase; /* null follows do_lower_case */
    if ((st = bb_json_get_bool(cfg, "strip_accents", cfg_path, false, &t->strip_accents, err)))
        return st;
    int32_t ids[5];
    for (int i = 0; i < 5; i++) {
        const char *s = config_token(cfg, keys[i], dflt[i]);
        ids[i] = s ? bb_tok_vocab_find(&t->v, s, strlen(s)) : -1;
        if (ids[i] >= 0 && (st = add_token(t, s, ids[i], false, err)))
            return st;
        if (ids[i] < 0 && i != 2 && i != 4)
            return bb_fail(err, BB_E_INPUT, "%s: %s '%s' is not in %s", cfg_path, keys[i],
                           s ? s : "(none)", path);
    }
    t->unk_id = ids[0];
    t->pad_id = ids[2] >= 0 ? ids[2] : 0;
    t->pre[0] = ids[3];
    t->suf[0] = ids[1];
    t->n_pre = t->n_suf = 1;
    return BB_OK;
}

/* Optional JSON file: *out NULL when absent. */
static enum bb_status load_optional_json(const char *path, json_t **out, struct bb_error *err)
{
    *out = NULL;
    if (!bb_path_exists(path))
        return BB_OK;
    return bb_json_load_file(path, out, err);
}

/* sentence_bert_config.json's max_seq_length, else model_max_length capped at 512. */
static enum bb_status read_max_len(struct wordpiece *t, const char *dir, const json_t *cfg,
                                   const char *cfg_path, struct bb_error *err)
{
    char path[4096];
    json_t *sb = NULL;
    long long n = 0;
    snprintf(path, sizeof path, "%s/sentence_bert_config.json", dir);
    enum bb_status st = load_optional_json(path, &sb, err);
    if (!st && sb)
        st = bb_json_get_int(sb, "max_seq_length", path, false, &n, err);
    json_decref(sb);
    if (st)
        return st;
    if (n <= 0) {
        double m = 512;
        if ((st = bb_json_get_real(cfg, "model_max_length", cfg_path, false, &m, err)))
            return st;
        n = m > 512 || m <= 0 ? 512 : (long long)m;
    }
    t->max_len = n > 1000000 ? 1000000 : (int)n;
    if (t->max_len < t->n_pre + t->n_suf)
        t->max_len = t->n_pre + t->n_suf;
    return BB_OK;
}

/* Every id the encoder can emit must have an embedding row (< vocab size). */
static enum bb_status check_ids(const struct wordpiece *t, const char *what,
                                struct bb_error *err)
{
    for (int i = 0; i < t->n_pre + t->n_suf; i++) {
        int32_t id = i < t->n_pre ? t->pre[i] : t->suf[i - t->n_pre];
        if (id >= t->n_ids)
            return bb_fail(err, BB_E_INPUT,
                           "%s: post_processor special token id %d is outside the vocabulary "
                           "(%d ids)", what, (int)id, t->n_ids);
    }
    if (t->pad_id >= t->n_ids)
        return bb_fail(err, BB_E_INPUT, "%s: padding.pad_id %d is outside the vocabulary (%d ids)",
                       what, (int)t->pad_id, t->n_ids);
    return BB_OK;
}

static enum bb_status load_dir(struct wordpiece *t, const char *dir, struct bb_error *err)
{
    char tj[4096], vt[4096], tc[4096];
    json_t *cfg = NULL;
    enum bb_status st;
    snprintf(tj, sizeof tj, "%s/tokenizer.json", dir);
    snprintf(vt, sizeof vt, "%s/vocab.txt", dir);
    snprintf(tc, sizeof tc, "%s/tokenizer_config.json", dir);
    if (!bb_path_is_dir(dir))
        return bb_fail(err, BB_E_IO, "%s: no such model directory", dir);
    if ((st = load_optional_json(tc, &cfg, err)))
        return st;
    if (bb_path_exists(tj))
        st = load_tokenizer_json(t, tj, err);
    else if (bb_path_exists(vt))
        st = load_vocab_txt(t, vt, cfg, tc, err);
    else
        st = bb_fail(err, BB_E_IO,
                     "%s: no tokenizer.json and no vocab.txt: cannot build a tokenizer", dir);
    if (!st)
        st = build_id_table(t, err);
    if (!st)
        st = check_ids(t, bb_path_exists(tj) ? tj : tc, err);
    if (!st)
        st = read_max_len(t, dir, cfg, tc, err);
    json_decref(cfg);
    return st;
}

static void wp_free(void *impl)
{
    struct wordpiece *tok = impl;
    if (!tok)
        return;
    for (int i = 0; i < tok->n_added; i++) {
        free(tok->added[i].cps);
        free(tok->added[i].content);
    }
    free(tok->added);
    bb_tok_vocab_free(&tok->v);
    free(tok->piece_off);
    free(tok);
}

static const char *wp_piece(const struct bb_tokenizer *base, int id)
{
    const struct wordpiece *tok = base->impl;
    if (id < 0 || id >= tok->n_ids || tok->piece_off[id] == UINT32_MAX)
        return NULL;
    return tok->v.arena + tok->piece_off[id];
}

static bool wp_is_special(const struct bb_tokenizer *base, int id)
{
    const struct wordpiece *tok = base->impl;
    for (int i = 0; i < tok->n_added; i++)
        if (tok->added[i].id == id && tok->added[i].special)
            return true;
    return false;
}

/* Hugging Face's WordPiece decoder: continuation pieces lose their prefix and join the
 * previous one, others follow a space; then its clean-up of each piece. */
static enum bb_status wp_decode(const struct bb_tokenizer *base, const int32_t *ids, int n,
                                bool skip_special, struct bb_strbuf *out, struct bb_error *err)
{
    static const char *const clean[][2] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    const struct wordpiece *tok = base->impl;
    struct bb_strbuf piece = {0};
    bool first = true, good = true;
    for (int i = 0; i < n && good; i++) {
        if (skip_special && wp_is_special(base, ids[i]))
            continue;
        const char *p = wp_piece(base, ids[i]);
        p = p ? p : "";
        piece.n = 0;
        if (!first && tok->prefix_len && !strncmp(p, tok->prefix, tok->prefix_len))
            p += tok->prefix_len;
        else if (!first)
            good = bb_strbuf_add(&piece, " ", 1);
        first = false;
        good = good && bb_strbuf_add(&piece, p, strlen(p)) && bb_strbuf_add(&piece, "", 0);
        for (size_t k = 0; good && k < sizeof clean / sizeof clean[0]; k++) {
            char *at;
            size_t lf = strlen(clean[k][0]), lt = strlen(clean[k][1]);
            while ((at = strstr(piece.s, clean[k][0]))) {
                memmove(at + lt, at + lf, strlen(at + lf) + 1);
                memcpy(at, clean[k][1], lt);
            }
        }
        good = good && bb_strbuf_add(out, piece.s, strlen(piece.s));
    }
    free(piece.s);
    return good ? BB_OK : bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory decoding");
}

static const struct bb_tok_ops wp_ops = {
    .kind = "wordpiece", .encode = wp_encode, .piece = wp_piece, .is_special = wp_is_special,
    .decode = wp_decode, .free = wp_free};

enum bb_status bb_wordpiece_load(struct bb_tokenizer *base, const char *model_dir,
                                 struct bb_error *err)
{
    struct wordpiece *t = calloc(1, sizeof *t);
    if (!t)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    t->pad_id = -1;
    enum bb_status st = load_dir(t, model_dir, err);
    if (st) {
        wp_free(t);
        return st;
    }
    if (t->pad_id < 0) {
        static const char *names[] = {"[PAD]", "<pad>"};
        for (int i = 0; i < 2 && t->pad_id < 0; i++)
            t->pad_id = token_id(t, names[i]);
        if (t->pad_id < 0)
            t->pad_id = 0;
    }
    base->ops = &wp_ops;
    base->impl = t;
    memcpy(base->pre, t->pre, sizeof t->pre);
    memcpy(base->suf, t->suf, sizeof t->suf);
    base->n_pre = t->n_pre;
    base->n_suf = t->n_suf;
    base->max_len = t->max_len;
    base->pad_id = t->pad_id;
    base->n_ids = t->n_ids;
    base->sp.pad = t->pad_id;
    base->sp.unk = t->unk_id;
    base->sp.cls = t->n_pre ? t->pre[0] : -1;
    base->sp.sep = t->n_suf ? t->suf[t->n_suf - 1] : -1;
    static const char *masks[] = {"[MASK]", "<mask>"};
    for (int i = 0; i < 2 && base->sp.mask < 0; i++)
        base->sp.mask = token_id(t, masks[i]);
    return BB_OK;
}

bool bb_tok_json_model_type(const char *buf, size_t len, char *type, size_t cap)
{
    struct scan s = {buf, buf + len};
    size_t n;
    if (!sc_find_member(&s, "model"))
        return false;
    const char *model = s.p;
    if (!sc_find_member(&s, "type")) {
        s.p = model;  /* no "type" member (or an unexpected shape): tell which */
        if (!sc_skip_value(&s))
            return false;
        snprintf(type, cap, "%s", "");
        return true;
    }
    char *tmp = malloc((size_t)(s.end - s.p) + 1);
    bool good = tmp && sc_string(&s, tmp, &n) && n < cap;
    if (good) {
        memcpy(type, tmp, n);
        type[n] = '\0';
    }
    free(tmp);
    return good;
}
