/* unicode.h: the Unicode pieces the tokenizers need, with the exact character
 * classes Hugging Face `tokenizers` uses (lossy UTF-8 decoding, BERT's
 * control / whitespace / punctuation / CJK tests, NFD, lowercasing). */
#ifndef BB_UNICODE_H
#define BB_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode len bytes of UTF-8 into code points, replacing each maximal invalid
 * subpart with U+FFFD (as Python's errors="replace" and Rust's
 * from_utf8_lossy do). out must hold len entries. Returns the count. */
size_t bb_uni_decode_lossy(const char *s, size_t len, uint32_t *out);
/* Encode one code point as UTF-8 into out (4 bytes room); returns bytes written. */
int bb_uni_encode(uint32_t c, char *out);

/* BertNormalizer's clean_text: control / format / private-use characters
 * (\t \n \r excluded) that are dropped. */
bool bb_uni_is_control(uint32_t c);
/* Rust's char::is_whitespace (the Unicode White_Space property). */
bool bb_uni_is_whitespace(uint32_t c);
/* BertPreTokenizer's punctuation: ASCII punctuation or category P*. */
bool bb_uni_is_punct(uint32_t c);
/* BERT's CJK ideograph ranges (surrounded by spaces by the normalizer). */
bool bb_uni_is_cjk(uint32_t c);
/* Nonspacing mark (Mn): what strip_accents removes after NFD. */
bool bb_uni_is_nonspacing_mark(uint32_t c);

/* Canonical decomposition (NFD) of n code points into out, with canonical
 * reordering of combining marks. out must hold cap entries; returns the count
 * needed (call again with a larger buffer when it exceeds cap). */
size_t bb_uni_nfd(const uint32_t *in, size_t n, uint32_t *out, size_t cap);
/* Full lowercase mapping of c (1 or 2 code points) into out; returns count. */
int bb_uni_lower(uint32_t c, uint32_t out[2]);

#endif
