/* fuzz_bpe.c: libFuzzer harness for the byte-level BPE tokenizer
 * (src/tokenizer/bpe.c, on its own branch until it merges): loading a
 * tokenizer.json whose model.type is "BPE" through bb_tokenizer_load(dir), and
 * encoding arbitrary bytes with it.
 *
 * Built by `make fuzz` only when src/tokenizer/bpe.c exists (configure's
 * HAVE_BPE_SOURCE; re-run configure after the merge). Input parts, split on
 * "\n#@@\n": 0 tokenizer.json, 1 text to encode,  2 tokenizer_config.json (a file
 * whose part is empty or not given is absent).
 * Every id returned must lie inside the vocabulary and have a piece. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "tokenizer/tokenizer.h"

BB_FUZZ_TARGET(bpe)
{
    static const char *const names[] = {"bpe/tokenizer.json", NULL, "bpe/tokenizer_config.json"};
    struct bb_fuzz_part part[3];
    size_t np = bb_fuzz_files(data, size, names, part, 3);
    char dir[4096];
    bb_fuzz_path(dir, sizeof dir, "bpe");
    struct bb_tokenizer *tok = NULL;
    struct bb_error err = {0};
    bb_fuzz_confine(true);
    enum bb_status st = bb_tokenizer_load(dir, &tok, &err);
    bb_fuzz_confine(false);
    bb_fuzz_note("bpe", st, &err);
    if (st || !tok)
        return 0;
    int vs = bb_tokenizer_vocab_size(tok);
    for (int id = -1; id <= vs && id < 4096; id++)
        bb_tokenizer_piece(tok, id);
    if (np > 1)
        bb_fuzz_encode_check(tok, (const char *)part[1].p, part[1].n);
    static const char *const fixed[] = {"", " Hello world", "\xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9",
                                        "\xff\xfe\x00 broken \xc3", "  \n\t  spaces"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        bb_fuzz_encode_check(tok, fixed[i], strlen(fixed[i]) + (i == 3 ? 4 : 0));
    bb_tokenizer_free(tok);
    return 0;
}
