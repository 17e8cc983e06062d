/* tokenizer.h: WordPiece tokenizer (BERT, MPNet) that reproduces Hugging Face
 * `tokenizers` (BertNormalizer + BertPreTokenizer + WordPiece + the
 * post-processor's special tokens) id for id, with truncation to the
 * sentence-transformers sequence length. */
#ifndef BB_TOKENIZER_H
#define BB_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct bb_tokenizer;
struct bb_encoding { int32_t *ids; int n, cap; };           /* ids incl. [CLS] ... [SEP] */

enum bb_status bb_tokenizer_load(const char *model_dir, struct bb_tokenizer **out, struct bb_error *err);
    /* reads model_dir/tokenizer.json (fallback: vocab.txt + tokenizer_config.json), and
       model_dir/sentence_bert_config.json's max_seq_length as the truncation length
       (else tokenizer_config's model_max_length, capped at 512). Ignores tokenizer.json's own
       truncation (128) and fixed padding, as sentence-transformers does. */
void bb_tokenizer_free(struct bb_tokenizer *tok);
int  bb_tokenizer_max_len(const struct bb_tokenizer *tok);          /* incl. specials */
/* Values below the number of special tokens the template adds are raised to it. */
void bb_tokenizer_set_max_len(struct bb_tokenizer *tok, int max_len);
int  bb_tokenizer_pad_id(const struct bb_tokenizer *tok);
/* Largest id + 1, added tokens included (the model's embedding rows). */
int  bb_tokenizer_vocab_size(const struct bb_tokenizer *tok);
const char *bb_tokenizer_piece(const struct bb_tokenizer *tok, int id); /* NULL if out of range */
enum bb_status bb_tokenizer_encode(const struct bb_tokenizer *tok, const char *text, size_t len,
                                   struct bb_encoding *enc, struct bb_error *err);
    /* enc is reused/grown by the call (init it to {0}); invalid UTF-8 must not crash
       (treat as HF does when given the lossy-decoded string: replace with U+FFFD) */
void bb_encoding_free(struct bb_encoding *enc);

#endif
