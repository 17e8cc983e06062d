/* fuzz_wordpiece.c: libFuzzer harness for WordPiece encoding of arbitrary
 * bytes (src/tokenizer/wordpiece.c, unicode.c): BERT normalisation (clean,
 * CJK spacing, lowercase, NFD accent stripping), pre-tokenisation, greedy
 * longest-match and truncation, invalid UTF-8 included.
 *
 * The tokenizer is fixed: fuzz/data/wordpiece/tokenizer.json (all-MiniLM-L6-v2's
 * tokenizer.json with its vocabulary cut to 6978 pieces), or the folder named
 * by BB_FUZZ_WORDPIECE_DIR (e.g. the full all-MiniLM-L6-v2). Input: one byte
 * that sets the truncation length (0: the tokenizer's own), then the text. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "tokenizer/tokenizer.h"

static struct bb_tokenizer *g_tok;
static int g_max;

static void load_once(void)
{
    if (g_tok)
        return;
    const char *dir = getenv("BB_FUZZ_WORDPIECE_DIR");
    char buf[4096];
    if (!dir || !*dir) {
        snprintf(buf, sizeof buf, "%s/fuzz/data/wordpiece", BB_SRCDIR);
        dir = buf;
    }
    bb_fuzz_dir(); /* quiet logging */
    struct bb_error err = {0};
    if (bb_tokenizer_load(dir, &g_tok, &err)) {
        fprintf(stderr, "fuzz_wordpiece: cannot load %s: %s\n", dir, err.msg);
        abort();
    }
    g_max = bb_tokenizer_max_len(g_tok);
}

BB_FUZZ_TARGET(wordpiece)
{
    load_once();
    if (size < 1)
        return 0;
    bb_tokenizer_set_max_len(g_tok, data[0] ? data[0] : g_max);
    bb_fuzz_encode_check(g_tok, (const char *)data + 1, size - 1);
    return 0;
}
