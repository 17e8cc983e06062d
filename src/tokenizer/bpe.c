/* bpe.c: byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2) reproducing Hugging
 * Face `tokenizers`: added/special tokens matched in the raw text first
 * (leftmost-longest), an optional NFC normalizer, the pre-tokenizer's regex
 * splits run with PCRE2 (UTF + UCP), GPT-2's byte-to-unicode alphabet, merges
 * applied lowest rank first (leftmost on ties), and a decoder that maps the
 * alphabet back to bytes. Loads tokenizer.json (+ tokenizer_config.json);
 * bpe-gguf.c builds the same from GGUF metadata. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/paths.h"
#include "tokenizer/tokenizer-impl.h"
#include "tokenizer/unicode.h"

#define MAX_ID (1 << 24)   /* sanity bound on ids */
#define MAX_STEPS 4        /* pre-tokenizer splits */
#define NO_LIMIT (1 << 20) /* truncation length when the model states none */

/* Pre-tokenizer regexes as the models define them (Hugging Face tokenizer.json /
 * llama.cpp's tokenizer.ggml.pre). Written in Oniguruma's terms; see onig_to_pcre(). */
static const char RE_GPT2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char RE_LLAMA3[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char RE_QWEN2[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char RE_DIGIT[] = "\\p{N}";
static const char RE_DIGITS[] = "\\p{N}+";

enum split_behavior { SPLIT_ISOLATED, SPLIT_REMOVED, SPLIT_MERGED_PREV, SPLIT_MERGED_NEXT };

struct step {
    pcre2_code *re;
    enum split_behavior behavior;
    bool invert;
};

struct mslot { uint64_t key; int32_t rank, id; };     /* rank < 0: empty */

struct added {
    char *s;     /* content, UTF-8 */
    size_t n;
    int32_t id;
    bool special, lstrip, rstrip;
};

struct bb_bpe {
    struct bb_tok_vocab v;         /* token string -> id */
    uint32_t *piece_off;           /* (n_ids) arena offset, UINT32_MAX: none */
    int n_ids, cap_ids;
    struct mslot *ms;              /* (a, b) -> rank, merged id */
    uint32_t mmask, mused;
    int32_t byte_id[256];          /* id of each byte's one-character token */
    uint32_t byte_cp[256];         /* GPT-2's byte -> code point */
    int16_t cp_byte[324];          /* and back; -1: not in the alphabet */
    struct added *added;
    int n_added;
    uint8_t added_first[32];       /* bitmap of the first bytes of added tokens */
    bool *special;                 /* (n_ids) added token of special type */
    struct step steps[MAX_STEPS];
    int n_steps;
    bool add_prefix_space, ignore_merges, nfc;
    int32_t unk;
};

/* ---- tables ------------------------------------------------------------------- */

static uint32_t hash_pair(uint64_t key)
{
    key *= 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(key >> 32);
}

int32_t bb_bpe_token_id(const struct bb_bpe *b, const char *s, size_t n)
{
    return bb_tok_vocab_find(&b->v, s, n);
}

enum bb_status bb_bpe_add_token(struct bb_bpe *b, const char *s, size_t n, int32_t id,
                                const char *what, struct bb_error *err)
{
    if (id < 0 || id >= MAX_ID)
        return bb_fail(err, BB_E_INPUT, "%s: token '%.40s': expected an id in 0..%d, found %d",
                       what, s, MAX_ID - 1, (int)id);
    if (id >= b->cap_ids) {
        int cap = b->cap_ids ? b->cap_ids : 1024;
        while (cap <= id)
            cap *= 2;
        uint32_t *po = realloc(b->piece_off, (size_t)cap * sizeof *po);
        if (!po)
            return bb_fail(err, BB_E_NOMEM, "%s: out of memory for the vocabulary", what);
        for (int i = b->cap_ids; i < cap; i++)
            po[i] = UINT32_MAX;
        b->piece_off = po;
        b->cap_ids = cap;
    }
    uint32_t off;
    if (!bb_tok_vocab_put(&b->v, s, n, id, &off)) /* a later duplicate wins */
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory for the vocabulary", what);
    if (b->piece_off[id] == UINT32_MAX)
        b->piece_off[id] = off;
    if (id >= b->n_ids)
        b->n_ids = id + 1;
    return BB_OK;
}

static bool merges_grow(struct bb_bpe *b)
{
    uint32_t size = b->ms ? 2 * (b->mmask + 1) : 1024;
    struct mslot *ms = malloc(size * sizeof *ms);
    if (!ms)
        return false;
    for (uint32_t i = 0; i < size; i++)
        ms[i].rank = -1;
    for (uint32_t i = 0; b->ms && i <= b->mmask; i++) {
        if (b->ms[i].rank < 0)
            continue;
        uint32_t j = hash_pair(b->ms[i].key) & (size - 1);
        while (ms[j].rank >= 0)
            j = (j + 1) & (size - 1);
        ms[j] = b->ms[i];
    }
    free(b->ms);
    b->ms = ms;
    b->mmask = size - 1;
    return true;
}

static const struct mslot *merge_find(const struct bb_bpe *b, int32_t x, int32_t y)
{
    uint64_t key = (uint64_t)(uint32_t)x << 32 | (uint32_t)y;
    for (uint32_t i = hash_pair(key) & b->mmask;; i = (i + 1) & b->mmask) {
        const struct mslot *m = &b->ms[i];
        if (m->rank < 0)
            return NULL;
        if (m->key == key)
            return m;
    }
}

enum bb_status bb_bpe_add_merge(struct bb_bpe *b, const char *a, size_t na, const char *bs,
                                size_t nb, int rank, const char *what, struct bb_error *err)
{
    char buf[512];
    int32_t x = bb_bpe_token_id(b, a, na), y = bb_bpe_token_id(b, bs, nb), z = -1;
    if (na + nb <= sizeof buf) {
        memcpy(buf, a, na);
        memcpy(buf + na, bs, nb);
        z = bb_bpe_token_id(b, buf, na + nb);
    }
    if (x < 0 || y < 0 || z < 0)
        return bb_fail(err, BB_E_INPUT,
                       "%s: merge %d ('%.*s' '%.*s'): %s is not in the vocabulary", what, rank,
                       (int)(na > 60 ? 60 : na), a, (int)(nb > 60 ? 60 : nb), bs,
                       x < 0 ? "its first token" : y < 0 ? "its second token" : "the merged token");
    if ((!b->ms || 2 * (b->mused + 1) > b->mmask + 1) && !merges_grow(b))
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory for the merges", what);
    uint64_t key = (uint64_t)(uint32_t)x << 32 | (uint32_t)y;
    uint32_t i = hash_pair(key) & b->mmask;
    while (b->ms[i].rank >= 0 && b->ms[i].key != key)
        i = (i + 1) & b->mmask;
    if (b->ms[i].rank >= 0)
        return BB_OK; /* a repeated merge keeps its first (lowest) rank */
    b->ms[i] = (struct mslot){key, rank, z};
    b->mused++;
    return BB_OK;
}

enum bb_status bb_bpe_add_special(struct bb_bpe *b, int32_t id, bool special,
                                  struct bb_error *err)
{
    if (id < 0 || id >= b->n_ids || b->piece_off[id] == UINT32_MAX)
        return bb_fail(err, BB_E_INPUT, "tokenizer: added token id %d is not in the vocabulary",
                       (int)id);
    const char *s = b->v.arena + b->piece_off[id];
    struct added *a = realloc(b->added, (size_t)(b->n_added + 1) * sizeof *a);
    if (!a)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    b->added = a;
    a = &b->added[b->n_added];
    *a = (struct added){.s = strdup(s), .n = strlen(s), .id = id, .special = special};
    if (!a->s)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    b->n_added++;
    if (a->n) {
        unsigned char c = (unsigned char)a->s[0];
        b->added_first[c >> 3] |= (uint8_t)(1u << (c & 7));
    }
    return BB_OK;
}

/* ---- pre-tokenizer regexes -------------------------------------------------------- */

/* Oniguruma's \s (what `tokenizers` runs) includes U+0085, PCRE2's does not: rewrite
 * \s and \S so that it does. */
static char *onig_to_pcre(const char *re)
{
    size_t n = strlen(re);
    char *out = malloc(6 * n + 1), *o = out;
    int in_class = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = re[i];
        if (c == '\\' && i + 1 < n) {
            char d = re[i + 1];
            i++;
            if (d == 's')
                o += sprintf(o, in_class ? "\\s\\x{85}" : "[\\s\\x{85}]");
            else if (d == 'S' && !in_class)
                o += sprintf(o, "[^\\s\\x{85}]");
            else
                *o++ = '\\', *o++ = d;
            continue;
        }
        if (c == '[' && !in_class) {
            in_class = 1;
            *o++ = c;
            if (re[i + 1] == '^')
                *o++ = re[++i];
            if (re[i + 1] == ']')
                *o++ = re[++i];
            continue;
        }
        if (c == ']' && in_class)
            in_class = 0;
        *o++ = c;
    }
    *o = '\0';
    return out;
}

static enum bb_status add_step(struct bb_bpe *b, const char *re, bool literal,
                               enum split_behavior behavior, bool invert, const char *what,
                               struct bb_error *err)
{
    if (b->n_steps == MAX_STEPS)
        return bb_fail(err, BB_E_UNSUPPORTED, "%s: more than %d pre-tokenizer splits", what,
                       MAX_STEPS);
    char *pat = literal ? strdup(re) : onig_to_pcre(re);
    if (!pat)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    int code;
    PCRE2_SIZE at;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                  PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP), &code,
                                  &at, NULL);
    free(pat);
    if (!c) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: pre-tokenizer regex '%.200s': PCRE2 cannot compile it at offset %zu: "
                       "%s", what, re, (size_t)at, (const char *)msg);
    }
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    b->steps[b->n_steps++] = (struct step){c, behavior, invert};
    return BB_OK;
}

enum bb_status bb_bpe_set_pre(struct bb_bpe *b, const char *name, const char *what,
                              struct bb_error *err)
{
    static const struct { const char *name; const char *re1, *re2; bool ignore_merges; } pres[] = {
        {"gpt2", RE_GPT2, NULL, false},       {"gpt-2", RE_GPT2, NULL, false},
        {"default", RE_GPT2, NULL, false}, /* no tokenizer.ggml.pre: HF's view (GPT-2) */
        {"llama-bpe", RE_LLAMA3, NULL, true}, {"llama3", RE_LLAMA3, NULL, true},
        {"qwen2", RE_QWEN2, NULL, false},     {"smollm", RE_DIGIT, RE_GPT2, false},
    };
    for (size_t i = 0; i < sizeof pres / sizeof pres[0]; i++) {
        if (strcmp(name, pres[i].name))
            continue;
        enum bb_status st = add_step(b, pres[i].re1, false, SPLIT_ISOLATED, false, what, err);
        if (!st && pres[i].re2)
            st = add_step(b, pres[i].re2, false, SPLIT_ISOLATED, false, what, err);
        b->ignore_merges = pres[i].ignore_merges;
        return st;
    }
    return bb_fail(err, BB_E_UNSUPPORTED,
                   "%s: pre-tokenizer '%s' is not supported (supported: gpt-2, default, llama-bpe, "
                   "qwen2, smollm)", what, name);
}

void bb_bpe_set_ignore_merges(struct bb_bpe *b, bool on) { b->ignore_merges = on; }

/* ---- encoding ---------------------------------------------------------------------- */

struct work {
    const struct bb_bpe *b;
    struct bb_encoding *enc;
    int start, limit;
    bool full;
    pcre2_match_data *md;
    int32_t *sym;        /* symbols of the current word */
    int *rank;           /* rank of the pair (sym[i], sym[i+1]) */
    size_t cap;
    char *key;           /* byte-level form of the word (ignore_merges) */
    size_t key_cap;
};

static bool push(struct work *w, int32_t id)
{
    if (w->full)
        return true;
    if (!bb_tok_push(w->enc, id))
        return false;
    if (w->enc->n - w->start >= w->limit)
        w->full = true;
    return true;
}

static int pair_rank(const struct bb_bpe *b, int32_t x, int32_t y, int32_t *merged)
{
    const struct mslot *m = b->ms ? merge_find(b, x, y) : NULL;
    if (!m)
        return INT_MAX;
    if (merged)
        *merged = m->id;
    return m->rank;
}

/* One pre-token (raw bytes): its BPE ids. */
static enum bb_status bpe_word(struct work *w, const char *s, size_t n, struct bb_error *err)
{
    const struct bb_bpe *b = w->b;
    if (!n || w->full)
        return BB_OK;
    if (n > w->cap) {
        size_t cap = 2 * n;
        int32_t *sym = realloc(w->sym, cap * sizeof *sym);
        if (sym)
            w->sym = sym;
        int *rank = sym ? realloc(w->rank, cap * sizeof *rank) : NULL;
        if (!rank)
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
        w->rank = rank;
        w->cap = cap;
    }
    if (b->ignore_merges) {
        if (4 * n + 1 > w->key_cap) {
            char *k = realloc(w->key, 4 * n + 1);
            if (!k)
                return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
            w->key = k;
            w->key_cap = 4 * n + 1;
        }
        size_t kl = 0;
        for (size_t i = 0; i < n; i++)
            kl += (size_t)bb_uni_encode(b->byte_cp[(unsigned char)s[i]], w->key + kl);
        int32_t id = bb_bpe_token_id(b, w->key, kl);
        if (id >= 0)
            return push(w, id) ? BB_OK : bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = b->byte_id[(unsigned char)s[i]];
        if (id < 0)
            id = b->unk;
        if (id >= 0)
            w->sym[m++] = id;
    }
    for (size_t i = 0; i + 1 < m; i++)
        w->rank[i] = pair_rank(b, w->sym[i], w->sym[i + 1], NULL);
    while (m > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (w->rank[i] < w->rank[best])
                best = i;
        if (w->rank[best] == INT_MAX)
            break;
        pair_rank(b, w->sym[best], w->sym[best + 1], &w->sym[best]);
        memmove(w->sym + best + 1, w->sym + best + 2, (m - best - 2) * sizeof *w->sym);
        memmove(w->rank + best + 1, w->rank + best + 2,
                (m > best + 3 ? m - best - 3 : 0) * sizeof *w->rank);
        m--;
        if (best > 0)
            w->rank[best - 1] = pair_rank(b, w->sym[best - 1], w->sym[best], NULL);
        if (best + 1 < m)
            w->rank[best] = pair_rank(b, w->sym[best], w->sym[best + 1], NULL);
    }
    for (size_t i = 0; i < m; i++)
        if (!push(w, w->sym[i]))
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    return BB_OK;
}

/* Split s by the pre-tokenizer steps from `step` on; words go to bpe_word. */
static enum bb_status pretok(struct work *w, const char *s, size_t n, int step,
                             struct bb_error *err)
{
    if (step == w->b->n_steps)
        return bpe_word(w, s, n, err);
    const struct step *sp = &w->b->steps[step];
    size_t pos = 0, pend_s = 0, pend_e = 0; /* pending piece of the merged behaviours */
    bool pending = false, pend_open = false;
    enum bb_status st = BB_OK;
    while (pos <= n && !st && !w->full) {
        size_t ms = n, me = n, from = pos;
        while (from < n) {
            int rc = pcre2_match(sp->re, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK, w->md,
                                 NULL);
            if (rc == PCRE2_ERROR_NOMATCH)
                break;
            if (rc < 0)
                return bb_fail(err, BB_E_INTERNAL, "tokenizer: PCRE2 match error %d", rc);
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(w->md);
            if (ov[1] > ov[0]) {
                ms = ov[0];
                me = ov[1];
                break;
            }
            from = ov[0] + 1; /* an empty match delimits nothing: search on */
            while (from < n && ((unsigned char)s[from] & 0xC0) == 0x80)
                from++;
        }
        /* spans: the gap [pos, ms) then the match [ms, me) */
        for (int part = 0; part < 2 && !st; part++) {
            size_t a = part ? ms : pos, e = part ? me : ms;
            if (a == e)
                continue;
            bool delim = (part == 1) != sp->invert;
            switch (sp->behavior) {
            case SPLIT_ISOLATED:
                st = pretok(w, s + a, e - a, step + 1, err);
                break;
            case SPLIT_REMOVED:
                if (!delim)
                    st = pretok(w, s + a, e - a, step + 1, err);
                break;
            case SPLIT_MERGED_PREV:
                if (delim && pending) {
                    pend_e = e;
                } else {
                    if (pending)
                        st = pretok(w, s + pend_s, pend_e - pend_s, step + 1, err);
                    pending = true, pend_s = a, pend_e = e;
                }
                break;
            case SPLIT_MERGED_NEXT:
                if (!delim && pending && pend_open) {
                    st = pretok(w, s + pend_s, e - pend_s, step + 1, err);
                    pending = pend_open = false;
                } else {
                    if (pending)
                        st = pretok(w, s + pend_s, pend_e - pend_s, step + 1, err);
                    pending = true, pend_open = delim, pend_s = a, pend_e = e;
                }
                break;
            }
        }
        if (me >= n)
            break;
        pos = me;
    }
    if (!st && pending)
        st = pretok(w, s + pend_s, pend_e - pend_s, step + 1, err);
    return st;
}

/* A stretch of text between added tokens: normalizer, prefix space, pre-tokenizer. */
static enum bb_status segment(struct work *w, const char *s, size_t n, struct bb_error *err)
{
    const struct bb_bpe *b = w->b;
    char *norm = NULL, *pre = NULL;
    enum bb_status st;
    if (b->nfc && n) {
        utf8proc_uint8_t *dst = NULL;
        utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (r < 0)
            return bb_fail(err, BB_E_INTERNAL, "tokenizer: NFC failed: %s",
                           utf8proc_errmsg(r));
        norm = (char *)dst;
        s = norm;
        n = (size_t)r;
    }
    if (b->add_prefix_space && n && s[0] != ' ') { /* every stretch, as HF's ByteLevel */
        if (!(pre = malloc(n + 1))) {
            free(norm);
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
        }
        pre[0] = ' ';
        memcpy(pre + 1, s, n);
        s = pre;
        n++;
    }
    st = pretok(w, s, n, 0, err);
    free(norm);
    free(pre);
    return st;
}

/* The longest added token at s[i] (NULL if none). */
static const struct added *added_at(const struct bb_bpe *b, const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    if (!(b->added_first[c >> 3] & (1u << (c & 7))))
        return NULL;
    const struct added *best = NULL;
    for (int k = 0; k < b->n_added; k++) {
        const struct added *a = &b->added[k];
        if (a->n && a->n <= n - i && (!best || a->n > best->n) && !memcmp(a->s, s + i, a->n))
            best = a;
    }
    return best;
}

static bool is_space(const char *s, size_t n, size_t i, size_t *len)
{
    uint32_t c;
    *len = 1;
    if ((unsigned char)s[i] < 0x80)
        return bb_uni_is_whitespace((unsigned char)s[i]);
    size_t k = 1;
    while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80 && k < 4)
        k++;
    if (bb_uni_decode_lossy(s + i, k, &c) != 1)
        return false;
    *len = k;
    return bb_uni_is_whitespace(c);
}

/* Step back over one whitespace character ending at e (0 if none). */
static size_t space_before(const char *s, size_t e)
{
    size_t a = e, len;
    if (!e)
        return 0;
    a--;
    while (a > 0 && ((unsigned char)s[a] & 0xC0) == 0x80)
        a--;
    return is_space(s, e, a, &len) && a + len == e ? e - a : 0;
}

static enum bb_status bpe_encode_valid(struct work *w, const char *s, size_t n,
                                       struct bb_error *err)
{
    const struct bb_bpe *b = w->b;
    size_t seg = 0, i = 0, k;
    enum bb_status st = BB_OK;
    while (i < n && !st && !w->full) {
        const struct added *a = added_at(b, s, n, i);
        if (!a) {
            i++;
            continue;
        }
        size_t start = i, end = i + a->n;
        while (a->lstrip && start > seg && (k = space_before(s, start)))
            start -= k;
        while (a->rstrip && end < n && is_space(s, n, end, &k))
            end += k;
        if (start > seg)
            st = segment(w, s + seg, start - seg, err);
        if (!st && !push(w, a->id))
            st = bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
        seg = i = end;
    }
    if (!st && seg < n && !w->full)
        st = segment(w, s + seg, n - seg, err);
    return st;
}

static enum bb_status bpe_encode(const struct bb_tokenizer *t, const char *text, size_t len,
                                 int limit, struct bb_encoding *enc, struct bb_error *err)
{
    struct work w = {.b = t->impl, .enc = enc, .start = enc->n, .limit = limit};
    char *fixed = NULL;
    enum bb_status st = BB_OK;
    if (limit <= 0)
        return BB_OK;
    /* invalid UTF-8: what HF sees when given the lossy-decoded string */
    bool bad = false;
    for (size_t i = 0; i < len && !bad;) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        uint32_t cp[4];
        if (!k || i + k > len || bb_uni_decode_lossy(text + i, k, cp) != 1 || cp[0] == 0xFFFD)
            bad = true;
        i += k;
    }
    if (bad) {
        uint32_t *cps = malloc((len + 1) * sizeof *cps);
        fixed = cps ? malloc(4 * len + 1) : NULL;
        if (!fixed) {
            free(cps);
            return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
        }
        size_t n = bb_uni_decode_lossy(text, len, cps), o = 0;
        for (size_t i = 0; i < n; i++)
            o += (size_t)bb_uni_encode(cps[i], fixed + o);
        free(cps);
        text = fixed;
        len = o;
    }
    w.md = pcre2_match_data_create(2, NULL);
    if (!w.md)
        st = bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    else
        st = bpe_encode_valid(&w, text, len, err);
    pcre2_match_data_free(w.md);
    free(w.sym);
    free(w.rank);
    free(w.key);
    free(fixed);
    return st;
}

/* ---- decoding and the rest of the interface ------------------------------------------ */

static const char *bpe_piece(const struct bb_tokenizer *t, int id)
{
    const struct bb_bpe *b = t->impl;
    if (id < 0 || id >= b->n_ids || b->piece_off[id] == UINT32_MAX)
        return NULL;
    return b->v.arena + b->piece_off[id];
}

static bool bpe_is_special(const struct bb_tokenizer *t, int id)
{
    const struct bb_bpe *b = t->impl;
    return id >= 0 && id < b->n_ids && b->special[id];
}

/* The ByteLevel decoder: each token's characters back to bytes (a token with a character
 * outside the alphabet, as an added token may have, gives its own UTF-8), then the bytes
 * read as UTF-8 with invalid sequences replaced by U+FFFD. */
static enum bb_status bpe_decode(const struct bb_tokenizer *t, const int32_t *ids, int n,
                                 bool skip_special, struct bb_strbuf *out, struct bb_error *err)
{
    const struct bb_bpe *b = t->impl;
    struct bb_strbuf raw = {0};
    bool good = true;
    for (int i = 0; i < n && good; i++) {
        if (skip_special && b->special[ids[i]])
            continue;
        const char *p = bpe_piece(t, ids[i]);
        size_t pl = strlen(p), k = 0, mark = raw.n;
        while (k < pl && good) {
            uint32_t c;
            size_t cl = 1;
            unsigned char c0 = (unsigned char)p[k];
            cl = c0 < 0x80 ? 1 : c0 >= 0xF0 ? 4 : c0 >= 0xE0 ? 3 : 2;
            if (k + cl > pl || bb_uni_decode_lossy(p + k, cl, &c) != 1 || c >= 324 ||
                b->cp_byte[c] < 0) {
                raw.n = mark; /* outside the alphabet: the token's own bytes */
                good = bb_strbuf_add(&raw, p, pl);
                break;
            }
            char byte = (char)b->cp_byte[c];
            good = bb_strbuf_add(&raw, &byte, 1);
            k += cl;
        }
    }
    if (good && raw.n) {
        uint32_t *cps = malloc(raw.n * sizeof *cps);
        good = cps != NULL;
        size_t m = good ? bb_uni_decode_lossy(raw.s, raw.n, cps) : 0;
        char u[4];
        for (size_t i = 0; i < m && good; i++)
            good = bb_strbuf_add(out, u, (size_t)bb_uni_encode(cps[i], u));
        free(cps);
    }
    free(raw.s);
    return good ? BB_OK : bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory decoding");
}

void bb_bpe_free(struct bb_bpe *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n_added; i++)
        free(b->added[i].s);
    for (int i = 0; i < b->n_steps; i++)
        pcre2_code_free(b->steps[i].re);
    free(b->added);
    free(b->special);
    bb_tok_vocab_free(&b->v);
    free(b->ms);
    free(b->piece_off);
    free(b);
}

static void bpe_free_impl(void *impl) { bb_bpe_free(impl); }

static const struct bb_tok_ops bpe_ops = {
    .kind = "bpe", .encode = bpe_encode, .piece = bpe_piece, .is_special = bpe_is_special,
    .decode = bpe_decode, .free = bpe_free_impl};

struct bb_bpe *bb_bpe_new(void)
{
    struct bb_bpe *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    /* GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the
     * others take 256, 257, ... in byte order. */
    uint32_t next = 256;
    for (int i = 0; i < 324; i++)
        b->cp_byte[i] = -1;
    for (int c = 0; c < 256; c++) {
        bool keep = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE);
        b->byte_cp[c] = keep ? (uint32_t)c : next++;
        b->cp_byte[b->byte_cp[c]] = (int16_t)c;
        b->byte_id[c] = -1;
    }
    b->unk = -1;
    return b;
}

enum bb_status bb_bpe_attach(struct bb_tokenizer *t, struct bb_bpe *b, const char *what,
                             struct bb_error *err)
{
    t->ops = &bpe_ops;
    t->impl = b;
    if (!b->n_ids)
        return bb_fail(err, BB_E_INPUT, "%s: the vocabulary is empty", what);
    if (!b->n_steps)
        return bb_fail(err, BB_E_UNSUPPORTED, "%s: no pre-tokenizer", what);
    if (!(b->special = calloc((size_t)b->n_ids, sizeof *b->special)))
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    for (int i = 0; i < b->n_added; i++)
        b->special[b->added[i].id] = b->added[i].special;
    for (int c = 0; c < 256; c++) {
        char u[4];
        b->byte_id[c] = bb_bpe_token_id(b, u, (size_t)bb_uni_encode(b->byte_cp[c], u));
    }
    b->unk = t->sp.unk;
    t->n_ids = b->n_ids;
    return BB_OK;
}

/* ---- tokenizer.json ---------------------------------------------------------------- */

static enum bb_status json_merges(struct bb_bpe *b, const json_t *merges, const char *what,
                                  struct bb_error *err)
{
    size_t i;
    json_t *m;
    if (!json_is_array(merges))
        return bb_fail(err, BB_E_INPUT, "%s: field 'model.merges': expected an array", what);
    json_array_foreach(merges, i, m) {
        const char *a, *c;
        size_t na, nc;
        if (json_is_string(m)) {
            a = json_string_value(m);
            const char *sp = strchr(a, ' ');
            if (!sp)
                return bb_fail(err, BB_E_INPUT,
                               "%s: model.merges[%zu]: expected \"a b\", found '%.60s'", what, i,
                               a);
            na = (size_t)(sp - a);
            c = sp + 1;
            nc = strlen(c);
        } else if (json_is_array(m) && json_array_size(m) == 2 &&
                   json_is_string(json_array_get(m, 0)) && json_is_string(json_array_get(m, 1))) {
            a = json_string_value(json_array_get(m, 0));
            c = json_string_value(json_array_get(m, 1));
            na = json_string_length(json_array_get(m, 0));
            nc = json_string_length(json_array_get(m, 1));
        } else {
            return bb_fail(err, BB_E_INPUT,
                           "%s: model.merges[%zu]: expected \"a b\" or [\"a\", \"b\"]", what, i);
        }
        enum bb_status st = bb_bpe_add_merge(b, a, na, c, nc, (int)i, what, err);
        if (st)
            return st;
    }
    return BB_OK;
}

/* An optional string member that may also be null. */
static enum bb_status opt_str(const json_t *o, const char *key, const char *what,
                              const char **out, struct bb_error *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return BB_OK;
    return bb_json_get_string(o, key, what, false, out, err);
}

static enum bb_status json_model(struct bb_tokenizer *t, struct bb_bpe *b, const json_t *m,
                                 const char *what, struct bb_error *err)
{
    const json_t *vocab = json_object_get(m, "vocab");
    const char *key, *unk = NULL, *prefix = "", *suffix = "";
    bool byte_fallback = false, ignore = false;
    json_t *v;
    enum bb_status st;
    if ((st = opt_str(m, "continuing_subword_prefix", what, &prefix, err)) ||
        (st = opt_str(m, "end_of_word_suffix", what, &suffix, err)) ||
        (st = bb_json_get_bool(m, "byte_fallback", what, false, &byte_fallback, err)) ||
        (st = bb_json_get_bool(m, "ignore_merges", what, false, &ignore, err)) ||
        (st = opt_str(m, "unk_token", what, &unk, err)))
        return st;
    json_t *dropout = json_object_get(m, "dropout");
    if (*prefix || *suffix || byte_fallback || (dropout && !json_is_null(dropout)))
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: model: only byte-level BPE is supported (found %s)", what,
                       *prefix ? "continuing_subword_prefix" : *suffix ? "end_of_word_suffix"
                       : byte_fallback ? "byte_fallback" : "dropout");
    if (!json_is_object(vocab) || !json_object_size(vocab))
        return bb_fail(err, BB_E_INPUT, "%s: field 'model.vocab': expected a non-empty object",
                       what);
    json_object_foreach((json_t *)vocab, key, v) {
        if (!json_is_integer(v))
            return bb_fail(err, BB_E_INPUT, "%s: model.vocab['%.40s']: expected an integer id",
                           what, key);
        json_int_t id = json_integer_value(v);
        if (id < 0 || id >= MAX_ID)
            return bb_fail(err, BB_E_INPUT, "%s: model.vocab['%.40s']: id %lld out of range",
                           what, key, (long long)id);
        if ((st = bb_bpe_add_token(b, key, strlen(key), (int32_t)id, what, err)))
            return st;
    }
    if (unk)
        t->sp.unk = bb_bpe_token_id(b, unk, strlen(unk));
    b->ignore_merges = ignore;
    return json_merges(b, json_object_get(m, "merges"), what, err);
}

/* One of added_tokens (bb_tok_json_added). */
static enum bb_status json_added(void *ctx, const struct bb_tok_added *a, const char *field,
                                 struct bb_error *err)
{
    struct bb_bpe *b = ctx;
    if (a->single_word)
        return bb_fail(err, BB_E_UNSUPPORTED, "%s: single_word added tokens are not supported",
                       field);
    if (a->id < 0 || a->id >= MAX_ID)
        return bb_fail(err, BB_E_INPUT, "%s: id %lld out of range", field, a->id);
    size_t n = strlen(a->content);
    int32_t have = bb_bpe_token_id(b, a->content, n);
    enum bb_status st;
    if ((have != a->id && (st = bb_bpe_add_token(b, a->content, n, (int32_t)a->id, field, err))) ||
        (st = bb_bpe_add_special(b, (int32_t)a->id, a->special, err)))
        return st;
    b->added[b->n_added - 1].lstrip = a->lstrip;
    b->added[b->n_added - 1].rstrip = a->rstrip;
    return BB_OK;
}

static enum bb_status json_split(struct bb_bpe *b, const json_t *p, const char *what,
                                 struct bb_error *err)
{
    static const char *names[] = {"Isolated", "Removed", "MergedWithPrevious", "MergedWithNext"};
    const json_t *pat = json_object_get(p, "pattern");
    const char *behavior = "Isolated", *re = NULL;
    bool invert = false, literal = false;
    enum bb_status st;
    if ((st = bb_json_get_string(p, "behavior", what, false, &behavior, err)) ||
        (st = bb_json_get_bool(p, "invert", what, false, &invert, err)))
        return st;
    if (json_is_string(json_object_get(pat, "Regex"))) {
        re = json_string_value(json_object_get(pat, "Regex"));
    } else if (json_is_string(json_object_get(pat, "String"))) {
        re = json_string_value(json_object_get(pat, "String"));
        literal = true;
    } else {
        return bb_fail(err, BB_E_INPUT,
                       "%s: Split pre-tokenizer: expected pattern {\"Regex\": ...} or "
                       "{\"String\": ...}", what);
    }
    for (int i = 0; i < 4; i++)
        if (!strcmp(behavior, names[i]))
            return add_step(b, re, literal, (enum split_behavior)i, invert, what, err);
    return bb_fail(err, BB_E_UNSUPPORTED, "%s: Split behavior '%s' is not supported", what,
                   behavior);
}

static enum bb_status json_pretok(struct bb_bpe *b, const json_t *p, const char *what,
                                  bool *byte_level, struct bb_error *err)
{
    const char *type = NULL;
    enum bb_status st;
    if (!json_is_object(p))
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: model type 'BPE' is not supported without a ByteLevel pre_tokenizer "
                       "(only byte-level BPE is; found no pre_tokenizer)", what);
    if ((st = bb_json_get_string(p, "type", what, true, &type, err)))
        return st;
    if (!strcmp(type, "Sequence")) {
        const json_t *seq = json_object_get(p, "pretokenizers"), *x;
        size_t i;
        if (!json_is_array(seq))
            return bb_fail(err, BB_E_INPUT, "%s: Sequence pre_tokenizer: no 'pretokenizers'",
                           what);
        json_array_foreach(seq, i, x)
            if ((st = json_pretok(b, x, what, byte_level, err)))
                return st;
        return BB_OK;
    }
    if (!strcmp(type, "Split"))
        return json_split(b, p, what, err);
    if (!strcmp(type, "Digits")) {
        bool each = false;
        if ((st = bb_json_get_bool(p, "individual_digits", what, false, &each, err)))
            return st;
        return add_step(b, each ? RE_DIGIT : RE_DIGITS, false, SPLIT_ISOLATED, false, what, err);
    }
    if (!strcmp(type, "ByteLevel")) {
        bool regex = true;
        if ((st = bb_json_get_bool(p, "add_prefix_space", what, false, &b->add_prefix_space,
                                   err)) ||
            (st = bb_json_get_bool(p, "use_regex", what, false, &regex, err)))
            return st;
        *byte_level = true;
        return regex ? add_step(b, RE_GPT2, false, SPLIT_ISOLATED, false, what, err) : BB_OK;
    }
    return bb_fail(err, BB_E_UNSUPPORTED,
                   "%s: pre_tokenizer type '%s' is not supported with BPE (expected ByteLevel, "
                   "Split, Digits or a Sequence of them)", what, type);
}

static enum bb_status json_normalizer(struct bb_bpe *b, const json_t *n, const char *what,
                                      struct bb_error *err)
{
    const char *type = NULL;
    enum bb_status st;
    if (!n || json_is_null(n))
        return BB_OK;
    if ((st = bb_json_get_string(n, "type", what, true, &type, err)))
        return st;
    if (!strcmp(type, "NFC")) {
        b->nfc = true;
        return BB_OK;
    }
    if (!strcmp(type, "Sequence") && json_is_array(json_object_get(n, "normalizers")) &&
        json_array_size(json_object_get(n, "normalizers")) == 0)
        return BB_OK;
    return bb_fail(err, BB_E_UNSUPPORTED,
                   "%s: normalizer type '%s' is not supported with BPE (expected null or NFC)",
                   what, type);
}

/* TemplateProcessing's specials before and after $A: BOS / EOS when tokenizer_config.json
 * does not say. */
static void json_template(struct bb_tokenizer *t, const json_t *pp, int32_t *bos, int32_t *eos)
{
    const json_t *single = json_object_get(pp, "single"), *item;
    size_t i;
    bool seen_a = false;
    const char *type = json_string_value(json_object_get(pp, "type"));
    (void)t;
    if (!type || strcmp(type, "TemplateProcessing") || !json_is_array(single))
        return;
    json_array_foreach(single, i, item) {
        const json_t *sp = json_object_get(item, "SpecialToken");
        if (json_object_get(item, "Sequence")) {
            seen_a = true;
            continue;
        }
        const char *name = json_string_value(json_object_get(sp, "id"));
        const json_t *ids = json_object_get(
            json_object_get(json_object_get(pp, "special_tokens"), name ? name : ""), "ids");
        if (!json_is_array(ids) || json_array_size(ids) != 1 ||
            !json_is_integer(json_array_get(ids, 0)))
            continue;
        int32_t id = (int32_t)json_integer_value(json_array_get(ids, 0));
        if (!seen_a && *bos < 0)
            *bos = id;
        else if (seen_a && *eos < 0)
            *eos = id;
    }
}

/* A special token in tokenizer_config.json: "x" or {"content": "x"}; -1 if none. */
static int32_t config_token(const struct bb_bpe *b, const json_t *cfg, const char *key)
{
    const json_t *v = json_object_get(cfg, key);
    if (json_is_object(v))
        v = json_object_get(v, "content");
    if (!json_is_string(v))
        return -1;
    return bb_bpe_token_id(b, json_string_value(v), json_string_length(v));
}

static enum bb_status read_optional(const char *path, json_t **out, struct bb_error *err)
{
    *out = NULL;
    return bb_path_exists(path) ? bb_json_load_file(path, out, err) : BB_OK;
}

/* tokenizer_config.json and config.json: specials, BOS/EOS, chat template, max length. */
static enum bb_status read_config(struct bb_tokenizer *t, const struct bb_bpe *b,
                                  const char *dir, const json_t *root, struct bb_error *err)
{
    char path[4096], cpath[4096];
    json_t *cfg = NULL, *model_cfg = NULL;
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    enum bb_status st = BB_OK;
    if (bb_path_exists(path)) { /* model_max_length may be 1e30 written as an integer */
        json_error_t je;
        if (!(cfg = json_load_file(path, JSON_DECODE_INT_AS_REAL, &je)))
            return bb_fail(err, BB_E_INPUT, "%s:%d:%d: not valid JSON: %s", path, je.line,
                           je.column, je.text);
    }
    int32_t tb = -1, te = -1;
    json_template(t, json_object_get(root, "post_processor"), &tb, &te);
    t->sp.bos = config_token(b, cfg, "bos_token");
    t->sp.eos = config_token(b, cfg, "eos_token");
    t->sp.pad = config_token(b, cfg, "pad_token");
    int32_t unk = config_token(b, cfg, "unk_token");
    if (unk >= 0)
        t->sp.unk = unk;
    t->sp.cls = config_token(b, cfg, "cls_token");
    t->sp.sep = config_token(b, cfg, "sep_token");
    t->sp.mask = config_token(b, cfg, "mask_token");
    const json_t *ab = json_object_get(cfg, "add_bos_token"),
                 *ae = json_object_get(cfg, "add_eos_token");
    t->add_bos = json_is_boolean(ab) ? json_is_true(ab) : tb >= 0;
    t->add_eos = json_is_boolean(ae) ? json_is_true(ae) : te >= 0;
    if (t->sp.bos < 0)
        t->sp.bos = tb;
    if (t->sp.eos < 0)
        t->sp.eos = te;
    if (t->add_bos && t->sp.bos < 0) {
        st = bb_fail(err, BB_E_INPUT, "%s: add_bos_token is true but there is no bos_token",
                     path);
        goto done;
    }
    /* chat template: a string, or a list of {name, template} ("default" first) */
    const json_t *ct = json_object_get(cfg, "chat_template");
    const char *tmpl = json_string_value(ct);
    if (json_is_array(ct)) {
        size_t i;
        const json_t *x;
        json_array_foreach(ct, i, x) {
            const char *name = json_string_value(json_object_get(x, "name"));
            if (!tmpl || (name && !strcmp(name, "default")))
                tmpl = json_string_value(json_object_get(x, "template"));
        }
    }
    if (tmpl) {
        if (!(t->chat_template = strdup(tmpl))) {
            st = bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
            goto done;
        }
    } else {
        snprintf(cpath, sizeof cpath, "%s/chat_template.jinja", dir);
        FILE *f = fopen(cpath, "rb");
        if (f) {
            struct bb_strbuf sb = {0};
            char buf[4096];
            size_t r;
            bool good = bb_strbuf_add(&sb, "", 0);
            while (good && (r = fread(buf, 1, sizeof buf, f)) > 0)
                good = bb_strbuf_add(&sb, buf, r);
            fclose(f);
            if (!good) {
                free(sb.s);
                st = bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
                goto done;
            }
            t->chat_template = sb.s;
        }
    }
    /* truncation length */
    double mml = 0;
    if ((st = bb_json_get_real(cfg, "model_max_length", path, false, &mml, err)))
        goto done;
    if (mml > 0 && mml <= 1e7) {
        t->max_len = (int)mml;
    } else {
        long long npos = 0;
        snprintf(cpath, sizeof cpath, "%s/config.json", dir);
        if ((st = read_optional(cpath, &model_cfg, err)))
            goto done;
        const json_t *x = json_object_get(model_cfg, "max_position_embeddings");
        if (!x)
            x = json_object_get(model_cfg, "n_positions");
        npos = json_is_integer(x) ? json_integer_value(x) : 0;
        t->max_len = npos > 0 && npos <= 10000000 ? (int)npos : NO_LIMIT;
    }
done:
    json_decref(cfg);
    json_decref(model_cfg);
    return st;
}

enum bb_status bb_bpe_load_dir(struct bb_tokenizer *t, const char *dir, struct bb_error *err)
{
    char path[4096];
    json_t *root = NULL;
    bool byte_level = false;
    struct bb_bpe *b = bb_bpe_new();
    if (!b)
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    enum bb_status st = bb_json_load_file(path, &root, err);
    if (!st && !json_is_object(root))
        st = bb_fail(err, BB_E_INPUT, "%s: expected a JSON object at the top level", path);
    if (st) {
        bb_bpe_free(b);
        return st;
    }
    const char *dec = json_string_value(json_object_get(json_object_get(root, "decoder"), "type"));
    if (!(st = json_model(t, b, json_object_get(root, "model"), path, err)) &&
        !(st = bb_tok_json_added(json_object_get(root, "added_tokens"), path, false, json_added,
                                 b, err)) &&
        !(st = json_normalizer(b, json_object_get(root, "normalizer"), path, err)) &&
        !(st = json_pretok(b, json_object_get(root, "pre_tokenizer"), path, &byte_level, err))) {
        if (!byte_level)
            st = bb_fail(err, BB_E_UNSUPPORTED,
                         "%s: model type 'BPE' is not supported without a ByteLevel "
                         "pre_tokenizer step (only byte-level BPE is)", path);
        else if (dec && strcmp(dec, "ByteLevel"))
            st = bb_fail(err, BB_E_UNSUPPORTED,
                         "%s: decoder type '%s' is not supported with BPE (expected ByteLevel)",
                         path, dec);
    }
    if (st) {
        bb_bpe_free(b);
        json_decref(root);
        return st;
    }
    st = bb_bpe_attach(t, b, path, err); /* t owns b from here */
    if (!st)
        st = read_config(t, b, dir, root, err);
    if (!st) {
        b->unk = t->sp.unk;
        bb_tok_finish(t);
    }
    json_decref(root);
    return st;
}
