/* perturb.c: the text perturbations of perturb.h. Text is decoded to code
 * points (utf8proc), edited position by position with a splitmix64 stream
 * seeded per text, and encoded again, so a multi-byte character is always
 * moved, dropped or kept whole. */
#include "perturb.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "suite/suite.h"
#include "suite/task_schema.h"

const char *const bb_perturb_kind_names[BB_PERTURB_N_KINDS + 1] = {
    "typo", "swap",       "drop",        "insert", "keyboard",
    "case", "whitespace", "punctuation", "names",  NULL};

/* QWERTY neighbours of each lower-case letter (same row and the rows above
 * and below, touching keys). */
static const char *const QWERTY[26] = {
    "qwsz",   "vghn",  "xdfv", "serfcx", "wsdr", "drtgvc", "ftyhbv", "gyujnb", "ujko",
    "huikmn", "jiolm", "kop",  "njk",    "bhjm", "iklp",   "ol",     "wa",     "edft",
    "awedxz", "rfgy",  "yhji", "cfgb",   "qase", "zsdc",   "tghu",   "asx"};

static const char MARKS[] = ",.;:!?";

/* ---- which tasks ----------------------------------------------------------------- */

const char *const *bb_perturb_text_roles(int task_type)
{
    const struct bb_suite_task_schema *ts = bb_suite_task_schema(task_type);
    return ts ? ts->perturb_roles : NULL;
}

bool bb_perturb_applies(const struct bb_suite *s, const struct bb_suite_task *t)
{
    const struct bb_suite_perturb *pb = &s->perturb;
    if (!pb->n)
        return false;
    if (!pb->tasks_given)
        return bb_perturb_text_roles((int)t->type) != NULL;
    for (size_t i = 0; i < pb->n_tasks; i++)
        if (pb->tasks[i] == t)
            return true;
    return false;
}

/* In its own order, which messages have always used; tests/suite-t.c checks
 * that it names exactly the types whose row has perturb_roles. */
const char *bb_perturb_task_types(void)
{
    return "similarity, zero-shot-classification, clustering, linear-probe, perplexity, retrieval";
}

/* ---- seeded stream ------------------------------------------------------------ */

struct rng {
    uint64_t s;
};

static uint64_t next_u64(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(struct rng *r) /* [0, 1) */
{
    return (double)(next_u64(r) >> 11) * 0x1.0p-53;
}

static size_t pick(struct rng *r, size_t n)
{
    return (size_t)(next_u64(r) % n);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL; /* a separator: ("ab","c") != ("a","bc") */
}

uint64_t bb_perturb_seed(uint64_t seed, const char *perturbation, const char *item_id,
                         const char *field)
{
    uint64_t h = fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ULL, perturbation), item_id), field);
    struct rng r = {seed ^ h};
    return next_u64(&r);
}

/* ---- output buffer -------------------------------------------------------------- */

struct buf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void put_bytes(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void put_cp(struct buf *b, int32_t cp)
{
    utf8proc_uint8_t tmp[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, tmp);
    put_bytes(b, (const char *)tmp, (size_t)k);
}

/* ---- character classes ------------------------------------------------------------ */

static bool is_word(int32_t cp)
{
    if (cp < 0x80)
        return isalnum(cp) != 0;
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
}

static bool is_ascii_letter(int32_t cp)
{
    return cp < 0x80 && isalpha(cp);
}

static bool is_space(int32_t cp)
{
    return cp == ' ' || cp == '\t';
}

/* A random QWERTY neighbour of an ASCII letter, in the letter's case. */
static int32_t neighbour(struct rng *r, int32_t cp)
{
    const char *nb = QWERTY[tolower(cp) - 'a'];
    int32_t x = nb[pick(r, strlen(nb))];
    return isupper(cp) ? toupper(x) : x;
}

/* ---- decoding ---------------------------------------------------------------------- */

/* text -> code points (*cps malloc'd, *n of them). */
static enum bb_status decode(const char *text, int32_t **cps, size_t *n, struct bb_error *err)
{
    size_t len = strlen(text), k = 0;
    int32_t *v = malloc((len + 1) * sizeof *v);
    if (!v)
        return bb_fail(err, BB_E_NOMEM, "out of memory perturbing a text");
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (r <= 0) {
            free(v);
            return bb_fail(err, BB_E_INPUT, "perturb: invalid UTF-8 at byte %zu of '%.40s'", i,
                           text);
        }
        v[k++] = cp;
        i += (size_t)r;
    }
    *cps = v, *n = k;
    return BB_OK;
}

/* ---- character typos ------------------------------------------------------------------ */

enum { OP_SWAP = 1, OP_DROP = 2, OP_INSERT = 4, OP_KEYBOARD = 8 };

/* The ops of mask that apply at position i (a word character). A word keeps
 * its first character (drop), so no word disappears. */
static unsigned ops_at(const int32_t *in, size_t n, size_t i, unsigned mask)
{
    unsigned ops = 0;
    if (i + 1 < n && is_word(in[i + 1]) && in[i + 1] != in[i])
        ops |= OP_SWAP;
    if (i > 0 && is_word(in[i - 1]))
        ops |= OP_DROP;
    if (is_ascii_letter(in[i]))
        ops |= OP_INSERT | OP_KEYBOARD;
    return ops & mask;
}

static unsigned pick_op(struct rng *r, unsigned ops)
{
    unsigned which = (unsigned)pick(r, (size_t)__builtin_popcount(ops));
    for (unsigned bit = 1; bit <= OP_KEYBOARD; bit <<= 1)
        if ((ops & bit) && which-- == 0)
            return bit;
    return 0;
}

static void typos(const int32_t *in, size_t n, unsigned mask, double rate, struct rng *r,
                  struct buf *b)
{
    for (size_t i = 0; i < n; i++) {
        unsigned ops = is_word(in[i]) ? ops_at(in, n, i, mask) : 0;
        if (!ops || uniform(r) >= rate) {
            put_cp(b, in[i]);
            continue;
        }
        switch (pick_op(r, ops)) {
        case OP_SWAP:
            put_cp(b, in[i + 1]), put_cp(b, in[i]);
            i++;
            break;
        case OP_DROP: break;
        case OP_INSERT: put_cp(b, in[i]), put_cp(b, neighbour(r, in[i])); break;
        default: /* OP_KEYBOARD */ put_cp(b, neighbour(r, in[i]));
        }
    }
}

/* ---- case, whitespace, punctuation ------------------------------------------------------ */

static void flip_case(const int32_t *in, size_t n, double rate, struct rng *r, struct buf *b)
{
    for (size_t i = 0; i < n; i++) {
        int32_t up = utf8proc_toupper(in[i]), lo = utf8proc_tolower(in[i]);
        bool cased = up != lo && (in[i] == up || in[i] == lo);
        if (cased && uniform(r) < rate)
            put_cp(b, in[i] == up ? lo : up);
        else
            put_cp(b, in[i]);
    }
}

/* Each space is dropped or doubled (even odds). */
static void whitespace(const int32_t *in, size_t n, double rate, struct rng *r, struct buf *b)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_space(in[i]) || uniform(r) >= rate) {
            put_cp(b, in[i]);
            continue;
        }
        if (next_u64(r) & 1)
            put_cp(b, in[i]), put_cp(b, in[i]);
    }
}

/* Each ASCII mark is dropped; each word followed by a space or the end gets
 * a mark from MARKS after it. */
static void punctuation(const int32_t *in, size_t n, double rate, struct rng *r, struct buf *b)
{
    for (size_t i = 0; i < n; i++) {
        bool mark = in[i] < 0x80 && ispunct(in[i]);
        if (mark && uniform(r) < rate)
            continue;
        put_cp(b, in[i]);
        bool word_end = is_word(in[i]) && (i + 1 == n || is_space(in[i + 1]));
        if (word_end && uniform(r) < rate)
            put_cp(b, MARKS[pick(r, sizeof MARKS - 1)]);
    }
}

/* ---- name and pronoun swaps ------------------------------------------------------------- */

static int entry_cmp(const void *x, const void *y)
{
    return strcmp(((const struct bb_perturb_entry *)x)->word,
                  ((const struct bb_perturb_entry *)y)->word);
}

static const struct bb_perturb_entry *lex_find(const struct bb_perturb_lexicon *lex, const char *w)
{
    if (!lex || !lex->n)
        return NULL;
    struct bb_perturb_entry key = {.word = (char *)w};
    return bsearch(&key, lex->v, lex->n, sizeof key, entry_cmp);
}

static enum bb_status add_alt(struct bb_perturb_entry *e, const char *alt, struct bb_error *err)
{
    for (size_t k = 0; k < e->n_alts; k++)
        if (!strcmp(e->alts[k], alt))
            return BB_OK;
    char **p = realloc(e->alts, (e->n_alts + 1) * sizeof *p);
    char *s = p ? strdup(alt) : NULL;
    if (p)
        e->alts = p;
    if (!s)
        return bb_fail(err, BB_E_NOMEM, "out of memory building the swap lexicon");
    e->alts[e->n_alts++] = s;
    return BB_OK;
}

static struct bb_perturb_entry *lex_get(struct bb_perturb_lexicon *lex, const char *w,
                                        struct bb_error *err)
{
    for (size_t i = 0; i < lex->n; i++)
        if (!strcmp(lex->v[i].word, w))
            return &lex->v[i];
    struct bb_perturb_entry *p = realloc(lex->v, (lex->n + 1) * sizeof *p);
    char *s = p ? strdup(w) : NULL;
    if (p)
        lex->v = p;
    if (!s) {
        bb_fail(err, BB_E_NOMEM, "out of memory building the swap lexicon");
        return NULL;
    }
    lex->v[lex->n] = (struct bb_perturb_entry){.word = s};
    return &lex->v[lex->n++];
}

enum bb_status bb_perturb_lexicon_add(struct bb_perturb_lexicon *lex, const char *const *values,
                                      const char *const *groups, size_t n, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < n && !st; i++) {
        struct bb_perturb_entry *e = lex_get(lex, values[i], err);
        if (!e)
            return BB_E_NOMEM;
        for (size_t j = 0; j < n && !st; j++)
            if (strcmp(groups[i], groups[j]) && strcmp(values[i], values[j]))
                st = add_alt(e, values[j], err);
    }
    qsort(lex->v, lex->n, sizeof *lex->v, entry_cmp);
    return st;
}

void bb_perturb_lexicon_free(struct bb_perturb_lexicon *lex)
{
    for (size_t i = 0; i < lex->n; i++) {
        for (size_t k = 0; k < lex->v[i].n_alts; k++)
            free(lex->v[i].alts[k]);
        free(lex->v[i].alts);
        free(lex->v[i].word);
    }
    free(lex->v);
    lex->v = NULL, lex->n = 0;
}

/* The entry of word w (bytes [w, w + len)); a capitalised word not listed
 * as written is looked up with a lower-case first letter (*cap set). */
static const struct bb_perturb_entry *word_entry(const struct bb_perturb_lexicon *lex,
                                                 const char *w, size_t len, bool *cap)
{
    char tmp[256];
    *cap = false;
    if (len >= sizeof tmp)
        return NULL;
    memcpy(tmp, w, len);
    tmp[len] = 0;
    const struct bb_perturb_entry *e = lex_find(lex, tmp);
    if (!e && isupper((unsigned char)tmp[0])) {
        tmp[0] = (char)tolower((unsigned char)tmp[0]);
        if ((e = lex_find(lex, tmp)))
            *cap = true;
    }
    return e && e->n_alts ? e : NULL;
}

static void names(const char *text, const int32_t *in, size_t n, double rate,
                  const struct bb_perturb_lexicon *lex, struct rng *r, struct buf *b)
{
    size_t byte = 0; /* byte offset of in[i] in text */
    for (size_t i = 0; i < n;) {
        utf8proc_uint8_t tmp[4];
        if (!is_word(in[i])) {
            byte += (size_t)utf8proc_encode_char(in[i], tmp);
            put_cp(b, in[i++]);
            continue;
        }
        size_t start = byte;
        for (; i < n && is_word(in[i]); i++)
            byte += (size_t)utf8proc_encode_char(in[i], tmp);
        bool cap;
        const struct bb_perturb_entry *e = word_entry(lex, text + start, byte - start, &cap);
        if (!e || uniform(r) >= rate) {
            put_bytes(b, text + start, byte - start);
            continue;
        }
        const char *alt = e->alts[pick(r, e->n_alts)];
        if (cap && islower((unsigned char)alt[0])) {
            char first = (char)toupper((unsigned char)alt[0]);
            put_bytes(b, &first, 1);
            alt++;
        }
        put_bytes(b, alt, strlen(alt));
    }
}

/* ---- entry point ------------------------------------------------------------------------ */

enum bb_status bb_perturb_text(enum bb_perturb_kind kind, double rate,
                               const struct bb_perturb_lexicon *lex, const char *text,
                               uint64_t seed, char **out, struct bb_error *err)
{
    static const unsigned masks[] = {[BB_PERTURB_TYPO] =
                                         OP_SWAP | OP_DROP | OP_INSERT | OP_KEYBOARD,
                                     [BB_PERTURB_SWAP] = OP_SWAP,
                                     [BB_PERTURB_DROP] = OP_DROP,
                                     [BB_PERTURB_INSERT] = OP_INSERT,
                                     [BB_PERTURB_KEYBOARD] = OP_KEYBOARD};
    *out = NULL;
    if (!(rate >= 0 && rate <= 1))
        return bb_fail(err, BB_E_INPUT, "perturb: rate %g is outside [0, 1]", rate);
    if ((unsigned)kind >= BB_PERTURB_N_KINDS)
        return bb_fail(err, BB_E_INPUT, "perturb: unknown kind %d", (int)kind);
    int32_t *in = NULL;
    size_t n = 0;
    enum bb_status st = decode(text, &in, &n, err);
    if (st)
        return st;
    struct rng r = {seed};
    struct buf b = {0};
    put_bytes(&b, "", 0); /* an empty text stays "" */
    switch (kind) {
    case BB_PERTURB_CASE: flip_case(in, n, rate, &r, &b); break;
    case BB_PERTURB_WHITESPACE: whitespace(in, n, rate, &r, &b); break;
    case BB_PERTURB_PUNCTUATION: punctuation(in, n, rate, &r, &b); break;
    case BB_PERTURB_NAMES: names(text, in, n, rate, lex, &r, &b); break;
    default: typos(in, n, masks[kind], rate, &r, &b);
    }
    free(in);
    if (b.oom) {
        free(b.p);
        return bb_fail(err, BB_E_NOMEM, "out of memory perturbing a text");
    }
    *out = b.p;
    return BB_OK;
}
