/* pending.h: TEMPORARY declarations of APIs landing from parallel branches
 * (ops, quant, bpe). Removed at merge. */
#ifndef BB_PENDING_H
#define BB_PENDING_H
#include "backend/backend.h"
#include "tokenizer/tokenizer.h"
#ifndef BB_PENDING_HAVE_OPS
enum bb_rope_mode { BB_ROPE_NORM = 0, BB_ROPE_NEOX };
#define BB_ACT_GELU_TANH ((enum bb_act)2)
enum bb_status bb_op_rmsnorm(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *g, struct bb_buffer *out, int m, int c, float eps, struct bb_error *err);
enum bb_status bb_op_rope(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *pos, int n_tok, int n_head, int head_dim, int n_rot, float base, enum bb_rope_mode mode, struct bb_error *err);
enum bb_status bb_op_attn_causal(struct bb_backend *be, struct bb_buffer *q, struct bb_buffer *k, struct bb_buffer *v, struct bb_buffer *out, int b, int tq, int n_past, int t_cap, int n_head, int n_kv_head, int head_dim, float scale, struct bb_error *err);
enum bb_status bb_op_kv_store(struct bb_backend *be, struct bb_buffer *src, struct bb_buffer *cache, int b, int tq, int n_past, int t_cap, int c, struct bb_error *err);
enum bb_status bb_op_glu(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *out, int m, int f, struct bb_error *err);
enum bb_status bb_op_logprobs(struct bb_backend *be, struct bb_buffer *logits, struct bb_buffer *tgt, struct bb_buffer *lp, struct bb_buffer *am, int m, int n_vocab, struct bb_error *err);
/* dst rows dst_row0 .. +n_rows-1 = src rows src_row0 .. (each c floats) */
enum bb_status bb_op_copy_rows(struct bb_backend *be, struct bb_buffer *src, int src_row0, struct bb_buffer *dst, int dst_row0, int n_rows, int c, struct bb_error *err);
enum bb_status bb_op_get_rows(struct bb_backend *be, const struct bb_weight *w, struct bb_buffer *ids, struct bb_buffer *out, int n, bool accumulate, struct bb_error *err);
#endif
#ifndef BB_TOK_ADD_SPECIAL
struct bb_gguf;
struct bb_special_ids { int32_t bos, eos, pad, unk, cls, sep, mask; };
#define BB_TOK_ADD_SPECIAL 1u
#define BB_TOK_TRUNCATE 2u
enum bb_status bb_tokenizer_encode_ex(const struct bb_tokenizer *tok, const char *text, size_t len, unsigned flags, struct bb_encoding *enc, struct bb_error *err);
enum bb_status bb_tokenizer_decode(const struct bb_tokenizer *tok, const int32_t *ids, int n, bool skip_special, char **out, size_t *out_len, struct bb_error *err);
const struct bb_special_ids *bb_tokenizer_special(const struct bb_tokenizer *tok);
const char *bb_tokenizer_kind(const struct bb_tokenizer *tok);
bool bb_tokenizer_adds_bos(const struct bb_tokenizer *tok);
const char *bb_tokenizer_chat_template(const struct bb_tokenizer *tok);
enum bb_status bb_tokenizer_from_gguf(const struct bb_gguf *g, struct bb_tokenizer **out, struct bb_error *err);
#endif
#endif
