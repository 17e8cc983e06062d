/* tokenizer.h: the tokenizer interface of biasbench. Two implementations sit
 * behind it: WordPiece (BERT, MPNet; reproduces Hugging Face `tokenizers` id
 * for id, with truncation to the sentence-transformers sequence length) and
 * byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2; from tokenizer.json or GGUF
 * metadata). Both add the model's template special tokens and truncate here,
 * not in model code. */
#ifndef BB_TOKENIZER_H
#define BB_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

struct bb_tokenizer;
struct bb_gguf;
struct bb_encoding { int32_t *ids; int n, cap; };           /* ids incl. template specials */

/* The model's special tokens; -1 when it has none. */
struct bb_special_ids { int32_t bos, eos, pad, unk, cls, sep, mask; };

/* encode_ex flags */
#define BB_TOK_ADD_SPECIAL 1u /* the model's template specials (WordPiece [CLS]..[SEP];
                                 BPE: BOS if add_bos_token, EOS if add_eos_token) */
#define BB_TOK_TRUNCATE 2u    /* truncate to max_len, keeping a closing special token */

enum bb_status bb_tokenizer_load(const char *model_dir, struct bb_tokenizer **out,
                                 struct bb_error *err);
/* Dispatches on model_dir/tokenizer.json's model.type: WordPiece (fallback when there is
   no tokenizer.json: vocab.txt + tokenizer_config.json) or BPE (byte-level; reads
   tokenizer_config.json's add_bos_token, add_eos_token, chat_template and special
   tokens where present, and chat_template.jinja).
   WordPiece: model_dir/sentence_bert_config.json's max_seq_length is the truncation
   length (else tokenizer_config's model_max_length, capped at 512); tokenizer.json's own
   truncation (128) and fixed padding are ignored, as sentence-transformers does.
   BPE: model_max_length when sane, else config.json's max_position_embeddings. */
/* Byte-level BPE from GGUF metadata (tokenizer.ggml.model "gpt2"); the truncation length is
   the architecture's context_length. */
enum bb_status bb_tokenizer_from_gguf(const struct bb_gguf *g, struct bb_tokenizer **out,
                                      struct bb_error *err);
void bb_tokenizer_free(struct bb_tokenizer *tok);

const char *bb_tokenizer_kind(const struct bb_tokenizer *tok);     /* "wordpiece" or "bpe" */
int  bb_tokenizer_max_len(const struct bb_tokenizer *tok);          /* incl. specials */
/* Values below the number of special tokens the template adds are raised to it. */
void bb_tokenizer_set_max_len(struct bb_tokenizer *tok, int max_len);
/* The padding id: the model's pad token, else (BPE) its EOS, else 0. */
int  bb_tokenizer_pad_id(const struct bb_tokenizer *tok);
/* Largest id + 1, added tokens included (the model's embedding rows). */
int  bb_tokenizer_vocab_size(const struct bb_tokenizer *tok);
/* The token's string as the vocabulary spells it (BPE: byte-level form, "Ġworld");
   NULL if out of range. */
const char *bb_tokenizer_piece(const struct bb_tokenizer *tok, int id);
const struct bb_special_ids *bb_tokenizer_special(const struct bb_tokenizer *tok);
bool bb_tokenizer_adds_bos(const struct bb_tokenizer *tok);
const char *bb_tokenizer_chat_template(const struct bb_tokenizer *tok); /* NULL when none */

/* text -> ids. enc is reused/grown by the call (init it to {0}); invalid UTF-8 must not
   crash (treated as HF does when given the lossy-decoded string: U+FFFD). Special tokens
   written in the text are matched as such. */
enum bb_status bb_tokenizer_encode_ex(const struct bb_tokenizer *tok, const char *text, size_t len,
                                      unsigned flags, struct bb_encoding *enc,
                                      struct bb_error *err);
/* encode_ex with BB_TOK_ADD_SPECIAL | BB_TOK_TRUNCATE. */
enum bb_status bb_tokenizer_encode(const struct bb_tokenizer *tok, const char *text, size_t len,
                                   struct bb_encoding *enc, struct bb_error *err);
/* ids -> text (*out malloc'd, NUL-terminated; *out_len excludes the NUL, may be NULL).
   skip_special drops special tokens. BPE: decode(encode(s)) == s for valid UTF-8 s; byte
   sequences that are not UTF-8 come out as U+FFFD. An id out of range is BB_E_INPUT. */
enum bb_status bb_tokenizer_decode(const struct bb_tokenizer *tok, const int32_t *ids, int n,
                                   bool skip_special, char **out, size_t *out_len,
                                   struct bb_error *err);
void bb_encoding_free(struct bb_encoding *enc);
/* out (min(n, max_len)) = ids (n) cut to max_len tokens the way encode's truncation cuts: when
   ids end with the closing template specials (WordPiece [SEP]), those are kept and the text
   tokens before them shortened; otherwise the first max_len ids. Returns the length. For
   encodings made elsewhere (latency batches, tests) that a model must fit to its length. */
int bb_tokenizer_truncate(const struct bb_tokenizer *tok, const int32_t *ids, int n, int max_len,
                          int32_t *out);

#endif
