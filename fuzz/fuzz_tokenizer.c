/* fuzz_tokenizer.c: libFuzzer harness for loading a tokenizer folder
 * (src/tokenizer/: tokenizer.json, or vocab.txt + tokenizer_config.json, and
 * sentence_bert_config.json), then encoding with what was loaded.
 *
 * Input parts, split on "\n#@@\n": 0 tokenizer.json, 1 text to encode, 2
 * tokenizer_config.json, 3 vocab.txt, 4 sentence_bert_config.json; a file whose
 * part is empty or not given is absent (an empty part 0 reaches the vocab.txt
 * fallback). A loaded tokenizer encodes part 1 and a few fixed strings,
 * and every id it returns must have a piece. The vocabulary the tokenizer
 * loaded (read by wordpiece.c's own fast scanner of model.vocab) must equal
 * what jansson reads from the same tokenizer.json: every id has a piece, and
 * that piece maps to that id. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "tokenizer/tokenizer.h"

BB_FUZZ_TARGET(tokenizer)
{
    static const char *const names[] = {"tok/tokenizer.json", NULL, "tok/tokenizer_config.json",
                                        "tok/vocab.txt", "tok/sentence_bert_config.json"};
    struct bb_fuzz_part part[5];
    size_t np = bb_fuzz_files(data, size, names, part, 5);
    char dir[4096];
    bb_fuzz_path(dir, sizeof dir, "tok");
    struct bb_tokenizer *tok = NULL;
    struct bb_error err = {0};
    bb_fuzz_confine(true);
    enum bb_status st = bb_tokenizer_load(dir, &tok, &err);
    bb_fuzz_confine(false);
    bb_fuzz_note("tokenizer", st, &err);
    if (st || !tok)
        return 0;
    if (np > 0 && part[0].n) {
        json_t *doc = json_loadb((const char *)part[0].p, part[0].n, JSON_REJECT_DUPLICATES, NULL);
        json_t *vocab = json_object_get(json_object_get(doc, "model"), "vocab");
        const char *key;
        json_t *v;
        json_object_foreach(vocab, key, v) {
            json_int_t id = json_integer_value(v);
            const char *piece = id < 0 || id > 0x7fffffff ? NULL : bb_tokenizer_piece(tok, (int)id);
            if (!piece || json_integer_value(json_object_get(vocab, piece)) != id)
                abort(); /* the fast vocab scanner and jansson disagree */
        }
        json_decref(doc);
    }
    bb_tokenizer_pad_id(tok);
    int vs = bb_tokenizer_vocab_size(tok);
    for (int id = -1; id <= vs && id < 4096; id++)
        bb_tokenizer_piece(tok, id);
    if (np > 1)
        bb_fuzz_encode_check(tok, (const char *)part[1].p, part[1].n);
    static const char *const fixed[] = {"", "Hello, world!", "The nurse said she was tired.",
                                        "na\xc3\xafve caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87",
                                        "\xff\xfe broken \xc3"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        bb_fuzz_encode_check(tok, fixed[i], strlen(fixed[i]));
    bb_tokenizer_set_max_len(tok, 3);
    bb_fuzz_encode_check(tok, "one two three four five", 23);
    bb_tokenizer_free(tok);
    return 0;
}
