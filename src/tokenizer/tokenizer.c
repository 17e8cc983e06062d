/* tokenizer.c: the tokenizer interface (tokenizer.h) over its implementations:
 * loading dispatched on tokenizer.json's model.type, the template special
 * tokens and truncation that keeps the closing special, decoding, the
 * accessors every kind shares, and the vocabulary table of bpe.c and
 * wordpiece.c. */
#include "tokenizer/tokenizer-impl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/paths.h"

bool bb_strbuf_add(struct bb_strbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            return false;
        b->s = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return true;
}

bool bb_tok_push(struct bb_encoding *enc, int32_t id)
{
    if (enc->n == enc->cap) {
        int cap = enc->cap ? 2 * enc->cap : 64;
        int32_t *ids = realloc(enc->ids, (size_t)cap * sizeof *ids);
        if (!ids)
            return false;
        enc->ids = ids;
        enc->cap = cap;
    }
    enc->ids[enc->n++] = id;
    return true;
}

/* ---- the vocabulary table ------------------------------------------------------------ */

static uint32_t vocab_hash(const char *s, size_t n) /* FNV-1a, folded to 32 bits */
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return (uint32_t)(h ^ (h >> 32));
}

int32_t bb_tok_vocab_find(const struct bb_tok_vocab *v, const char *s, size_t n)
{
    if (!v->slots)
        return -1;
    for (uint32_t i = vocab_hash(s, n) & v->mask;; i = (i + 1) & v->mask) {
        const struct bb_tok_vslot *sl = &v->slots[i];
        if (sl->id < 0)
            return -1;
        if (sl->len == n && !memcmp(v->arena + sl->off, s, n))
            return sl->id;
    }
}

/* Move the entries into a table of `size` slots (a power of two). */
static bool vocab_resize(struct bb_tok_vocab *v, uint32_t size)
{
    struct bb_tok_vslot *sl = malloc(size * sizeof *sl);
    if (!sl)
        return false;
    for (uint32_t i = 0; i < size; i++)
        sl[i].id = -1;
    for (uint32_t i = 0; v->slots && i <= v->mask; i++) {
        if (v->slots[i].id < 0)
            continue;
        uint32_t j = vocab_hash(v->arena + v->slots[i].off, v->slots[i].len) & (size - 1);
        while (sl[j].id >= 0)
            j = (j + 1) & (size - 1);
        sl[j] = v->slots[i];
    }
    free(v->slots);
    v->slots = sl;
    v->mask = size - 1;
    return true;
}

bool bb_tok_vocab_reserve(struct bb_tok_vocab *v, size_t n)
{
    uint32_t size = 1024;
    while (size < 2 * n + 16)
        size *= 2;
    return size <= v->mask + 1 || vocab_resize(v, size);
}

uint32_t bb_tok_vocab_arena_add(struct bb_tok_vocab *v, const char *s, size_t n)
{
    if (v->arena_len + n + 1 > v->arena_cap) {
        size_t cap = v->arena_cap ? v->arena_cap : 1 << 16;
        while (cap < v->arena_len + n + 1)
            cap *= 2;
        char *a = cap <= UINT32_MAX ? realloc(v->arena, cap) : NULL;
        if (!a)
            return UINT32_MAX;
        v->arena = a;
        v->arena_cap = cap;
    }
    uint32_t off = (uint32_t)v->arena_len;
    memcpy(v->arena + off, s, n);
    v->arena[off + n] = '\0';
    v->arena_len += n + 1;
    return off;
}

bool bb_tok_vocab_put(struct bb_tok_vocab *v, const char *s, size_t n, int32_t id, uint32_t *off)
{
    if ((!v->slots || 2 * (v->used + 1) > v->mask + 1) &&
        !vocab_resize(v, v->slots ? 2 * (v->mask + 1) : 1024))
        return false;
    uint32_t i = vocab_hash(s, n) & v->mask;
    for (; v->slots[i].id >= 0; i = (i + 1) & v->mask) {
        struct bb_tok_vslot *sl = &v->slots[i];
        if (sl->len == n && !memcmp(v->arena + sl->off, s, n)) {
            sl->id = id;
            if (off)
                *off = sl->off;
            return true;
        }
    }
    uint32_t o = bb_tok_vocab_arena_add(v, s, n);
    if (o == UINT32_MAX)
        return false;
    v->slots[i] = (struct bb_tok_vslot){o, (uint32_t)n, id};
    v->used++;
    if (off)
        *off = o;
    return true;
}

void bb_tok_vocab_free(struct bb_tok_vocab *v)
{
    free(v->slots);
    free(v->arena);
    *v = (struct bb_tok_vocab){0};
}

/* ---- tokenizer.json's added_tokens -------------------------------------------------------- */

enum bb_status bb_tok_json_added(const json_t *arr, const char *what, bool special_default,
                                 enum bb_status (*fn)(void *ctx, const struct bb_tok_added *a,
                                                      const char *field, struct bb_error *err),
                                 void *ctx, struct bb_error *err)
{
    size_t i;
    json_t *v;
    if (!arr || json_is_null(arr))
        return BB_OK;
    if (!json_is_array(arr))
        return bb_fail(err, BB_E_INPUT, "%s: field 'added_tokens': expected an array", what);
    json_array_foreach(arr, i, v) {
        char field[4200];
        snprintf(field, sizeof field, "%.4000s: added_tokens[%zu]", what, i);
        struct bb_tok_added a = {.id = -1, .special = special_default};
        enum bb_status st;
        if ((st = bb_json_get_string(v, "content", field, true, &a.content, err)) ||
            (st = bb_json_get_int(v, "id", field, true, &a.id, err)) ||
            (st = bb_json_get_bool(v, "normalized", field, false, &a.normalized, err)) ||
            (st = bb_json_get_bool(v, "lstrip", field, false, &a.lstrip, err)) ||
            (st = bb_json_get_bool(v, "rstrip", field, false, &a.rstrip, err)) ||
            (st = bb_json_get_bool(v, "single_word", field, false, &a.single_word, err)) ||
            (st = bb_json_get_bool(v, "special", field, false, &a.special, err)) ||
            (st = fn(ctx, &a, field, err)))
            return st;
    }
    return BB_OK;
}

/* ---- the common part ------------------------------------------------------------------ */

struct bb_tokenizer *bb_tok_new(void)
{
    struct bb_tokenizer *t = calloc(1, sizeof *t);
    if (t)
        t->sp = (struct bb_special_ids){-1, -1, -1, -1, -1, -1, -1};
    return t;
}

void bb_tok_finish(struct bb_tokenizer *t)
{
    t->n_pre = t->n_suf = 0;
    if (t->add_bos && t->sp.bos >= 0)
        t->pre[t->n_pre++] = t->sp.bos;
    if (t->add_eos && t->sp.eos >= 0)
        t->suf[t->n_suf++] = t->sp.eos;
    t->pad_id = t->sp.pad >= 0 ? t->sp.pad : t->sp.eos >= 0 ? t->sp.eos : 0;
    if (t->max_len < t->n_pre + t->n_suf)
        t->max_len = t->n_pre + t->n_suf;
}

/* model.type of dir/tokenizer.json; "" when there is none or it cannot be told. */
static void json_model_type(const char *path, char *type, size_t cap)
{
    type[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char *buf = NULL;
    long size;
    if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
        (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        buf[size] = '\0';
        if (!bb_tok_json_model_type(buf, (size_t)size, type, cap))
            type[0] = '\0';
    }
    free(buf);
    fclose(f);
}

enum bb_status bb_tokenizer_load(const char *model_dir, struct bb_tokenizer **out,
                                 struct bb_error *err)
{
    char path[4096], type[64];
    *out = NULL;
    struct bb_tokenizer *t = bb_tok_new();
    if (!t)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    snprintf(path, sizeof path, "%s/tokenizer.json", model_dir);
    json_model_type(path, type, sizeof type);
    enum bb_status st = !strcmp(type, "BPE") ? bb_bpe_load_dir(t, model_dir, err)
                                             : bb_wordpiece_load(t, model_dir, err);
    if (st) {
        bb_tokenizer_free(t);
        return st;
    }
    *out = t;
    return BB_OK;
}

void bb_tokenizer_free(struct bb_tokenizer *tok)
{
    if (!tok)
        return;
    if (tok->ops)
        tok->ops->free(tok->impl);
    free(tok->chat_template);
    free(tok);
}

enum bb_status bb_tokenizer_encode_ex(const struct bb_tokenizer *tok, const char *text, size_t len,
                                      unsigned flags, struct bb_encoding *enc,
                                      struct bb_error *err)
{
    bool special = flags & BB_TOK_ADD_SPECIAL;
    int n_tmpl = special ? tok->n_pre + tok->n_suf : 0;
    int limit = flags & BB_TOK_TRUNCATE ? tok->max_len - n_tmpl : INT_MAX;
    enum bb_status st = BB_OK;
    enc->n = 0;
    for (int i = 0; special && i < tok->n_pre; i++)
        if (!bb_tok_push(enc, tok->pre[i]))
            goto nomem;
    if (limit < 0)
        limit = 0;
    if ((st = tok->ops->encode(tok, text ? text : "", text ? len : 0, limit, enc, err)))
        goto fail;
    for (int i = 0; special && i < tok->n_suf; i++)
        if (!bb_tok_push(enc, tok->suf[i]))
            goto nomem;
    if ((flags & BB_TOK_TRUNCATE) && enc->n > tok->max_len) /* only when max_len < n_tmpl */
        enc->n = tok->max_len;
    return BB_OK;
nomem:
    st = bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
fail:
    enc->n = 0;
    return st;
}

enum bb_status bb_tokenizer_encode(const struct bb_tokenizer *tok, const char *text, size_t len,
                                   struct bb_encoding *enc, struct bb_error *err)
{
    return bb_tokenizer_encode_ex(tok, text, len, BB_TOK_ADD_SPECIAL | BB_TOK_TRUNCATE, enc,
                                  err);
}

enum bb_status bb_tokenizer_decode(const struct bb_tokenizer *tok, const int32_t *ids, int n,
                                   bool skip_special, char **out, size_t *out_len,
                                   struct bb_error *err)
{
    struct bb_strbuf b = {0};
    *out = NULL;
    if (out_len)
        *out_len = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= tok->n_ids || !tok->ops->piece(tok, ids[i]))
            return bb_fail(err, BB_E_INPUT,
                           "tokenizer: decode: id %d at position %d is not in the vocabulary "
                           "(%d ids)", (int)ids[i], i, tok->n_ids);
    if (!bb_strbuf_add(&b, "", 0))
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory decoding");
    enum bb_status st = tok->ops->decode(tok, ids, n, skip_special, &b, err);
    if (st) {
        free(b.s);
        return st;
    }
    *out = b.s;
    if (out_len)
        *out_len = b.n;
    return BB_OK;
}

void bb_encoding_free(struct bb_encoding *enc)
{
    if (!enc)
        return;
    free(enc->ids);
    enc->ids = NULL;
    enc->n = enc->cap = 0;
}

/* ids (n) end with the k closing template specials */
static bool ends_with_suffix(const struct bb_tokenizer *tok, const int32_t *ids, int n, int k)
{
    for (int i = 0; i < k; i++)
        if (ids[n - k + i] != tok->suf[tok->n_suf - k + i])
            return false;
    return true;
}

int bb_tokenizer_truncate(const struct bb_tokenizer *tok, const int32_t *ids, int n, int max_len,
                          int32_t *out)
{
    int len = n < max_len ? n : max_len, k = tok->n_suf < len ? tok->n_suf : len;
    if (len < n && !ends_with_suffix(tok, ids, n, k))
        k = 0;
    memcpy(out, ids, (size_t)(len - k) * sizeof *out);              /* leading tokens */
    memcpy(out + len - k, ids + n - k, (size_t)k * sizeof *out);    /* closing specials */
    return len;
}

const char *bb_tokenizer_kind(const struct bb_tokenizer *tok) { return tok->ops->kind; }

int bb_tokenizer_max_len(const struct bb_tokenizer *tok) { return tok->max_len; }

void bb_tokenizer_set_max_len(struct bb_tokenizer *tok, int max_len)
{
    int min = tok->n_pre + tok->n_suf;
    tok->max_len = max_len < min ? min : max_len;
}

int bb_tokenizer_pad_id(const struct bb_tokenizer *tok) { return tok->pad_id; }

int bb_tokenizer_vocab_size(const struct bb_tokenizer *tok) { return tok->n_ids; }

const char *bb_tokenizer_piece(const struct bb_tokenizer *tok, int id)
{
    return tok->ops->piece(tok, id);
}

const struct bb_special_ids *bb_tokenizer_special(const struct bb_tokenizer *tok)
{
    return &tok->sp;
}

bool bb_tokenizer_adds_bos(const struct bb_tokenizer *tok)
{
    return tok->n_pre > 0 && tok->add_bos;
}

const char *bb_tokenizer_chat_template(const struct bb_tokenizer *tok)
{
    return tok->chat_template;
}
