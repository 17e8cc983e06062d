/* tokenizer-impl.h: what the tokenizer implementations (wordpiece.c, bpe.c)
 * share with the interface in tokenizer.c: the operations table, the common
 * part of struct bb_tokenizer (special ids, template specials, truncation
 * length), and small growable buffers. Private to src/tokenizer/. */
#ifndef BB_TOKENIZER_IMPL_H
#define BB_TOKENIZER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer/tokenizer.h"

#define BB_TOK_MAX_TEMPLATE 8 /* template tokens before / after the text */

struct bb_strbuf { char *s; size_t n, cap; };
bool bb_strbuf_add(struct bb_strbuf *b, const char *s, size_t n);

struct bb_tok_ops {
    const char *kind;
    /* Append the ids of text (no template specials) to enc, at most `limit` of them
       (stopping there). */
    enum bb_status (*encode)(const struct bb_tokenizer *t, const char *text, size_t len,
                             int limit, struct bb_encoding *enc, struct bb_error *err);
    const char *(*piece)(const struct bb_tokenizer *t, int id);
    bool (*is_special)(const struct bb_tokenizer *t, int id);
    /* Append the text of ids (already range-checked) to out. */
    enum bb_status (*decode)(const struct bb_tokenizer *t, const int32_t *ids, int n,
                             bool skip_special, struct bb_strbuf *out, struct bb_error *err);
    void (*free)(void *impl);
};

struct bb_tokenizer {
    const struct bb_tok_ops *ops;
    void *impl;
    struct bb_special_ids sp;
    int32_t pre[BB_TOK_MAX_TEMPLATE], suf[BB_TOK_MAX_TEMPLATE]; /* template specials */
    int n_pre, n_suf;
    bool add_bos, add_eos;
    char *chat_template;
    int max_len, pad_id, n_ids;
};

/* A fresh tokenizer with every special id -1 (NULL when out of memory). */
struct bb_tokenizer *bb_tok_new(void);
bool bb_tok_push(struct bb_encoding *enc, int32_t id);
/* The string -> id vocabulary of bpe.c and wordpiece.c: strings kept
 * NUL-terminated in one arena (offsets fit 32 bits), found through an
 * open-addressing table (power-of-two size, grown when half full). All zero is
 * an empty table. */
struct bb_tok_vslot { uint32_t off, len; int32_t id; }; /* id < 0: empty */
struct bb_tok_vocab {
    char *arena;
    size_t arena_len, arena_cap;
    struct bb_tok_vslot *slots; /* (mask + 1) */
    uint32_t mask, used;
};
/* The id of s, n (-1: none). */
int32_t bb_tok_vocab_find(const struct bb_tok_vocab *v, const char *s, size_t n);
/* Room for n entries without growing (an empty table only); false: out of memory. */
bool bb_tok_vocab_reserve(struct bb_tok_vocab *v, size_t n);
/* Copy s, n into the arena: its offset, or UINT32_MAX when out of memory. */
uint32_t bb_tok_vocab_arena_add(struct bb_tok_vocab *v, const char *s, size_t n);
/* Insert s, n -> id, or give an entry already there id instead (a later
 * duplicate wins, as in a dict); *off (NULL: not wanted) gets the arena offset
 * of the entry's string. false: out of memory. */
bool bb_tok_vocab_put(struct bb_tok_vocab *v, const char *s, size_t n, int32_t id, uint32_t *off);
/* Free and empty (all zero again). */
void bb_tok_vocab_free(struct bb_tok_vocab *v);

/* One entry of tokenizer.json's added_tokens, its fields read. */
struct bb_tok_added {
    const char *content; /* borrowed from the JSON */
    long long id;
    bool special, lstrip, rstrip, single_word, normalized;
};
/* Read every entry of added_tokens (arr; NULL or JSON null: none), the
 * optional booleans false when absent but special (special_default), and hand
 * each to fn with field, its name in messages ("<what>: added_tokens[i]"). */
struct json_t;
enum bb_status bb_tok_json_added(const struct json_t *arr, const char *what, bool special_default,
                                 enum bb_status (*fn)(void *ctx, const struct bb_tok_added *a,
                                                      const char *field, struct bb_error *err),
                                 void *ctx, struct bb_error *err);

/* WordPiece: tokenizer.json (given as text in buf, len; modified) or vocab.txt in dir. */
enum bb_status bb_wordpiece_load(struct bb_tokenizer *t, const char *dir, struct bb_error *err);
/* model.type of a tokenizer.json text ("" when absent; false when the text has not the
   expected shape: the full parser then reports the problem). */
bool bb_tok_json_model_type(const char *buf, size_t len, char *type, size_t cap);
/* Byte-level BPE from dir/tokenizer.json (+ tokenizer_config.json, config.json). */
enum bb_status bb_bpe_load_dir(struct bb_tokenizer *t, const char *dir, struct bb_error *err);

/* ---- BPE construction, shared by bpe.c and bpe-gguf.c ---- */
struct bb_bpe;
enum bb_bpe_pre { BB_PRE_GPT2, BB_PRE_LLAMA3, BB_PRE_QWEN2, BB_PRE_SMOLLM };
struct bb_bpe *bb_bpe_new(void);
/* Token id -> its string (byte-level form), ids 0..n-1 in order. */
enum bb_status bb_bpe_add_token(struct bb_bpe *b, const char *s, size_t n, int32_t id,
                                const char *what, struct bb_error *err);
/* A token matched in the raw text before pre-tokenisation (special: skipped by
   decode's skip_special). */
enum bb_status bb_bpe_add_special(struct bb_bpe *b, int32_t id, bool special,
                                  struct bb_error *err);
/* Merge of rank `rank`: tokens a and b (byte-level strings). */
enum bb_status bb_bpe_add_merge(struct bb_bpe *b, const char *a, size_t na, const char *bs,
                                size_t nb, int rank, const char *what, struct bb_error *err);
/* A named pre-tokenizer (tokenizer.ggml.pre). */
enum bb_status bb_bpe_set_pre(struct bb_bpe *b, const char *name, const char *what,
                              struct bb_error *err);
int32_t bb_bpe_token_id(const struct bb_bpe *b, const char *s, size_t n); /* -1: none */
void bb_bpe_set_ignore_merges(struct bb_bpe *b, bool on);
/* Finish (id table, byte symbols) and attach to t; b is owned by t afterwards (also on
   failure). */
enum bb_status bb_bpe_attach(struct bb_tokenizer *t, struct bb_bpe *b, const char *what,
                             struct bb_error *err);
void bb_bpe_free(struct bb_bpe *b);
/* Template specials and pad from t->sp, t->add_bos, t->add_eos (after attach). */
void bb_tok_finish(struct bb_tokenizer *t);

#endif
