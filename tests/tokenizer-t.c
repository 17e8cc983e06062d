/* tokenizer-t.c: the WordPiece tokenizer against Hugging Face `tokenizers`
 * goldens (STS-B test sentences and hand-written hard cases, ids only; the
 * text is re-read from its source), plus unit checks, an MPNet-style
 * tokenizer.json, the vocab.txt fallback, and broken model folders. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "golden-io.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "tap.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

/* Sanitizer builds check a subset of the goldens (DESIGN.md: about 50 STS-B
 * sentences, and here the BMP for the per-code-point check); the normal build
 * checks them all, and so does BB_TEST_FULL=1. */

/* ---- per-code-point behaviour ---------------------------------------------------- */

static int hex_list(const uint32_t *v, size_t n, char *out)
{
    int o = 0;
    for (size_t i = 0; i < n; i++)
        o += sprintf(out + o, i ? ",%X" : "%X", (unsigned)v[i]);
    if (!n)
        out[o++] = '_', out[o] = '\0';
    return o;
}

/* The line make_tokenizer_golden.py's unicode_line() writes for HF. */
static int unicode_line(uint32_t c, char *out)
{
    char clean = c == 0 || c == 0xFFFD || bb_uni_is_control(c) ? 'D'
                 : bb_uni_is_whitespace(c) && c != ' ' ? 'W' : 'K';
    char pre = bb_uni_is_whitespace(c) ? 'S' : bb_uni_is_punct(c) ? 'P' : '-';
    uint32_t d[16], lo[2];
    size_t n = bb_uni_nfd(&c, 1, d, 16), k = 0;
    for (size_t i = 0; i < n && n <= 16; i++)
        if (!bb_uni_is_nonspacing_mark(d[i]))
            d[k++] = d[i];
    int o = sprintf(out, "%X %c %c %c ", (unsigned)c, clean, bb_uni_is_cjk(c) ? 'C' : '-', pre);
    o += hex_list(d, k, out + o);
    out[o++] = ' ';
    o += hex_list(lo, (size_t)bb_uni_lower(c, lo), out + o);
    out[o++] = '\n';
    return o;
}

/* Every code point, hashed per block of 4096, against HF's per-character
 * behaviour (tests/golden/tokenizer-unicode.txt). */
static void check_unicode_golden(void)
{
    const char *path = test_src_path("tests/golden/tokenizer-unicode.txt");
    FILE *f = fopen(path, "r");
    if (!f)
        bail("cannot open %s", path);
    char line[256], text[256];
    int blocks = 0, same = 0, shown = 0, limit = 272;
#if TEST_SANITIZED
    if (!getenv("BB_TEST_FULL"))
        limit = 16; /* the Basic Multilingual Plane */
#endif
    while (blocks < limit && fgets(line, sizeof line, f)) {
        unsigned start;
        char want[32], hex[BB_SHA256_HEX_LEN];
        if (line[0] == '#' || sscanf(line, "%x %31s", &start, want) != 2)
            continue;
        struct bb_sha256 h;
        uint8_t dig[BB_SHA256_DIGEST_LEN];
        bb_sha256_init(&h);
        for (uint32_t c = start; c < start + 4096; c++)
            if (c < 0xD800 || c > 0xDFFF)
                bb_sha256_update(&h, text, (size_t)unicode_line(c, text));
        bb_sha256_final(&h, dig);
        bb_sha256_to_hex(dig, hex);
        blocks++;
        if (!strncmp(hex, want, 16))
            same++;
        else if (shown++ < 20)
            diag("code points U+%04X..U+%04X differ from HF tokenizers", start, start + 4095);
    }
    fclose(f);
    is_int(limit, blocks, "unicode golden: %d blocks of 4096 code points checked", blocks);
    is_int(blocks, same, "%d/%d blocks: control/whitespace/punctuation/CJK/NFD-strip/lowercase "
           "behave as in HF tokenizers for every code point", same, blocks);
}

/* ---- unit checks -------------------------------------------------------------------- */

static bool ids_equal(const struct bb_encoding *e, const int32_t *want, int n)
{
    return e->n == n && !memcmp(e->ids, want, (size_t)n * sizeof *want);
}

static void check_basics(struct bb_tokenizer *tok, const struct items *hard)
{
    struct bb_encoding enc = {0};
    struct bb_error err = {0};
    static const int32_t hello[] = {101, 7592, 1010, 2088, 999, 102};
    const char *h = "Hello, world!";
    ok(bb_tokenizer_encode(tok, h, strlen(h), &enc, &err) == BB_OK &&
       ids_equal(&enc, hello, 6), "\"Hello, world!\" -> 101 7592 1010 2088 999 102");
    is_int(256, bb_tokenizer_max_len(tok), "max_len from sentence_bert_config.json");
    is_int(0, bb_tokenizer_pad_id(tok), "pad id is [PAD] = 0");
    is_int(30522, bb_tokenizer_vocab_size(tok), "vocab size");
    is_string("[CLS]", bb_tokenizer_piece(tok, 101), "piece 101");
    is_string("##ing", bb_tokenizer_piece(tok, 2075), "piece 2075");
    ok(!bb_tokenizer_piece(tok, -1) && !bb_tokenizer_piece(tok, 30522), "pieces out of range");

    const struct item *lng = &hard->v[hard->n - 1]; /* the ~4,000-token case */
    bb_tokenizer_encode(tok, lng->text, lng->len, &enc, &err);
    is_int(256, enc.n, "long text truncated to 256 ids");
    ok(enc.ids[0] == 101 && enc.ids[255] == 102, "truncated text keeps [CLS] ... [SEP]");
    bb_tokenizer_set_max_len(tok, 16);
    is_int(16, bb_tokenizer_max_len(tok), "set_max_len(16)");
    bb_tokenizer_encode(tok, lng->text, lng->len, &enc, &err);
    ok(enc.n == 16 && enc.ids[15] == 102, "encoding with max_len 16 has 16 ids ending in [SEP]");
    bb_tokenizer_set_max_len(tok, 0);
    is_int(2, bb_tokenizer_max_len(tok), "set_max_len(0) is raised to the 2 specials");
    bb_tokenizer_encode(tok, h, strlen(h), &enc, &err);
    ok(enc.n == 2 && enc.ids[0] == 101 && enc.ids[1] == 102, "max_len 2 -> [CLS] [SEP]");
    bb_tokenizer_set_max_len(tok, 256);
    /* truncating an encoding made elsewhere: [SEP] kept when it closes it, else a plain cut */
    static const int32_t six[] = {101, 7592, 1010, 2088, 999, 102}, raw[] = {7592, 1010, 2088};
    int32_t cut[6] = {0};
    int n = bb_tokenizer_truncate(tok, six, 6, 4, cut);
    ok(n == 4 && cut[0] == 101 && cut[1] == 7592 && cut[2] == 1010 && cut[3] == 102,
       "truncate 6 -> 4 keeps [CLS] w w and the closing [SEP] (%d ids, last %d)", n, cut[3]);
    n = bb_tokenizer_truncate(tok, raw, 3, 2, cut);
    ok(n == 2 && cut[0] == 7592 && cut[1] == 1010, "truncate without a closing [SEP]: first 2");
    n = bb_tokenizer_truncate(tok, six, 6, 8, cut);
    ok(n == 6 && cut[5] == 102 && cut[3] == 2088, "truncate to more than n copies all 6");
    static const char bad[] = "caf\xc3\xa9\xff\xfe \xe4\xb8";
    static const int32_t cafe[] = {101, 7668, 102};
    enum bb_status st = bb_tokenizer_encode(tok, bad, sizeof bad - 1, &enc, &err);
    ok(st == BB_OK && ids_equal(&enc, cafe, 3), "invalid UTF-8 is replaced and dropped (%d ids)",
       enc.n);
    bb_encoding_free(&enc);
}

static const char mpnet_json[] =
    "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
    "{\"id\":0,\"content\":\"<s>\",\"normalized\":false,\"special\":true},"
    "{\"id\":1,\"content\":\"<pad>\",\"normalized\":false,\"special\":true},"
    "{\"id\":2,\"content\":\"</s>\",\"normalized\":false,\"special\":true},"
    "{\"id\":3,\"content\":\"<unk>\",\"normalized\":false,\"special\":true},"
    "{\"id\":9,\"content\":\"<mask>\",\"lstrip\":true,\"normalized\":false,\"special\":true},"
    "{\"id\":10,\"content\":\"Foo\",\"normalized\":true,\"special\":false}],"
    "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,"
    "\"strip_accents\":null,\"lowercase\":true},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
    "\"post_processor\":{\"type\":\"RobertaProcessing\",\"sep\":[\"</s>\",2],\"cls\":[\"<s>\",0],"
    "\"trim_offsets\":true,\"add_prefix_space\":false},\"model\":{\"type\":\"WordPiece\","
    "\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":100,"
    "\"vocab\":{\"<s>\":0,\"<pad>\":1,\"</s>\":2,\"<unk>\":3,\"[UNK]\":4,\"hello\":5,\"world\":6,"
    "\"##s\":7,\",\":8,\"\\u4e2d\":11,\"\\\\\":12,\"\\\"\":13,\"\\ud835\\udc9c\":14}}}\n";

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len)
        bail("cannot write %s", path);
    fclose(f);
}

/* MPNet layout: <s> ... </s>, RobertaProcessing, an lstrip <mask> beyond the
 * vocab and a normalized added token. Expected ids come from HF tokenizers. */
static void check_mpnet_style(void)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/mpnet", test_tmp_dir());
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (mkdir(dir, 0777) && !bb_path_is_dir(dir))
        bail("cannot create %s", dir);
    write_file(path, mpnet_json, sizeof mpnet_json - 1);
    struct bb_tokenizer *tok = NULL;
    struct bb_error err = {0};
    struct bb_encoding enc = {0};
    if (!ok(bb_tokenizer_load(dir, &tok, &err) == BB_OK, "MPNet-style tokenizer.json loads")) {
        diag("%s", err.msg);
        return;
    }
    static const int32_t w1[] = {0, 5, 8, 6, 7, 9, 4, 5, 2};
    static const int32_t w2[] = {0, 10, 10, 4, 10, 10, 2};
    static const int32_t w3[] = {0, 0, 5, 2, 2};
    const char *t1 = "Hello, Worlds <mask>! h\xc3\xa9llo", *t2 = "FOO foo xfoo Foo",
               *t3 = "<s>hello</s>";
    bb_tokenizer_encode(tok, t1, strlen(t1), &enc, &err);
    ok(ids_equal(&enc, w1, 9), "RobertaProcessing specials, lstrip <mask> id beyond the vocab");
    bb_tokenizer_encode(tok, t2, strlen(t2), &enc, &err);
    ok(ids_equal(&enc, w2, 7), "normalized added token matches after lowercasing");
    bb_tokenizer_encode(tok, t3, strlen(t3), &enc, &err);
    ok(ids_equal(&enc, w3, 5), "special tokens written in the text are matched");
    is_int(1, bb_tokenizer_pad_id(tok), "pad id is <pad> = 1");
    const char *t4 = "\xe4\xb8\xad \\ \" \xf0\x9d\x92\x9c";
    static const int32_t w4[] = {0, 11, 12, 13, 14, 2};
    bb_tokenizer_encode(tok, t4, strlen(t4), &enc, &err);
    ok(ids_equal(&enc, w4, 6), "vocab keys written with JSON escapes (\\u, surrogates, \\\\, \\\")");
    is_int(15, bb_tokenizer_vocab_size(tok), "vocab size counts the added-only ids");
    is_string("<mask>", bb_tokenizer_piece(tok, 9), "piece of an added-only id");
    is_int(512, bb_tokenizer_max_len(tok), "max_len defaults to 512 without configs");
    bb_encoding_free(&enc);
    bb_tokenizer_free(tok);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char a[4300], b[4300];
    size_t len;
    snprintf(a, sizeof a, "%s/%s", from_dir, name);
    snprintf(b, sizeof b, "%s/%s", to_dir, name);
    char *buf = test_slurp_or_bail(a, &len);
    write_file(b, buf, len);
    free(buf);
}

/* vocab.txt + tokenizer_config.json only: must give the same ids. */
static void check_vocab_txt_fallback(const struct bb_tokenizer *main_tok, const char *model,
                                     const struct items *hard)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/vocab-only", test_tmp_dir());
    if (mkdir(dir, 0777) && !bb_path_is_dir(dir))
        bail("cannot create %s", dir);
    copy_file(model, dir, "vocab.txt");
    copy_file(model, dir, "tokenizer_config.json");
    copy_file(model, dir, "sentence_bert_config.json");
    struct bb_tokenizer *tok = NULL;
    struct bb_error err = {0};
    if (!ok(bb_tokenizer_load(dir, &tok, &err) == BB_OK, "vocab.txt + tokenizer_config.json load")) {
        diag("%s", err.msg);
        return;
    }
    int total = 0, shown = 0;
    int matched = golden_tok_check(tok, test_src_path("tests/golden/tokenizer-hard-cases.txt"),
                                   NULL, hard, 0, &total, &shown);
    is_int(hard->n, matched, "vocab.txt fallback: %d/%d hard cases match HF tokenizers",
           matched, total);
    is_int(256, bb_tokenizer_max_len(tok), "vocab.txt fallback: max_len 256");
    int same = 0, n = bb_tokenizer_vocab_size(main_tok);
    for (int id = 0; id < n; id++) {
        const char *a = bb_tokenizer_piece(main_tok, id), *b = bb_tokenizer_piece(tok, id);
        same += a && b && !strcmp(a, b);
    }
    is_int(n, same, "tokenizer.json and vocab.txt agree on all %d pieces", n);
    bb_tokenizer_free(tok);
}

struct bad_case { const char *dir; enum bb_status code; const char *needle[2]; };

static void check_bad_inputs(void)
{
    static const struct bad_case cases[] = {
        {"tests/data/bad-tokenizer/does-not-exist", BB_E_IO, {"does-not-exist", "no such model directory"}},
        {"tests/data/bad-tokenizer/empty", BB_E_IO, {"empty", "no tokenizer.json and no vocab.txt"}},
        {"tests/data/bad-tokenizer/truncated", BB_E_INPUT, {"truncated/tokenizer.json", "not valid JSON"}},
        {"tests/data/bad-tokenizer/bpe", BB_E_UNSUPPORTED, {"bpe/tokenizer.json", "model type 'BPE' is not supported"}},
        {"tests/data/bad-tokenizer/no-vocab", BB_E_INPUT, {"no-vocab/tokenizer.json", "field 'model.vocab'"}},
        {"tests/data/bad-tokenizer/unk-missing", BB_E_INPUT, {"unk-missing/tokenizer.json", "unk_token '[UNK]' is not in model.vocab"}},
        {"tests/data/bad-tokenizer/bad-id", BB_E_INPUT, {"bad-id/tokenizer.json", "expected an id in 0.."}},
        {"tests/data/bad-tokenizer/bad-normalizer", BB_E_UNSUPPORTED, {"bad-normalizer/tokenizer.json", "normalizer type 'Precompiled' is not supported"}},
        {"tests/data/bad-tokenizer/bad-seqlen", BB_E_INPUT, {"sentence_bert_config.json", "'max_seq_length': expected an integer"}},
        {"tests/data/bad-tokenizer/dup-piece", BB_E_INPUT, {"dup-piece/tokenizer.json:1:", "duplicate object key"}},
        {"tests/data/bad-tokenizer/bad-special-id", BB_E_INPUT, {"bad-special-id/tokenizer.json", "special token id 999 is outside the vocabulary (3 ids)"}},
        {"tests/data/bad-tokenizer/not-object", BB_E_INPUT, {"not-object/tokenizer.json", "expected a JSON object"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct bad_case *c = &cases[i];
        struct bb_tokenizer *tok = NULL;
        struct bb_error err = {0};
        enum bb_status st = bb_tokenizer_load(test_src_path(c->dir), &tok, &err);
        const char *name = strrchr(c->dir, '/') + 1;
        ok(st == c->code && !tok, "%s: fails with %s (got %s)", name, bb_status_name(c->code),
           bb_status_name(st));
        for (int k = 0; k < 2; k++)
            contains(err.msg, c->needle[k], "%s: message mentions '%s'", name, c->needle[k]);
        bb_tokenizer_free(tok);
    }
}

static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

/* Hostile tokenizer.json: every cut must fail cleanly, random byte changes
 * must load or fail without crashing (the sanitizer build checks memory). */
static void check_hostile_json(const char *model)
{
    char src[4200], dir[4200], path[4300];
    size_t len;
    snprintf(src, sizeof src, "%s/tokenizer.json", model);
    snprintf(dir, sizeof dir, "%s/hostile", test_tmp_dir());
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (mkdir(dir, 0777) && !bb_path_is_dir(dir))
        bail("cannot create %s", dir);
    char *buf = test_slurp_or_bail(src, &len), *copy = malloc(len);
    int cuts = 0, clean = 0, mutated = 0;
    for (int i = 1; i <= 24; i++, cuts++) {
        size_t cut = len * (size_t)i / 25 + (size_t)i; /* some inside the vocab */
        struct bb_tokenizer *tok = NULL;
        struct bb_error err = {0};
        write_file(path, buf, cut);
        enum bb_status st = bb_tokenizer_load(dir, &tok, &err);
        clean += st == BB_E_INPUT && strstr(err.msg, "tokenizer.json:") &&
                 strstr(err.msg, "not valid JSON");
        bb_tokenizer_free(tok);
    }
    is_int(cuts, clean, "tokenizer.json cut at %d places: each is 'not valid JSON'", cuts);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 24; i++) {
        memcpy(copy, buf, len);
        for (int k = 0; k < 8; k++)
            copy[rng_next(&x) % len] = "\"{}[]:,\\u0-9 \xff"[rng_next(&x) % 14];
        struct bb_tokenizer *tok = NULL;
        struct bb_error err = {0};
        write_file(path, copy, len);
        if (bb_tokenizer_load(dir, &tok, &err) == BB_OK || err.msg[0])
            mutated++;
        bb_tokenizer_free(tok);
    }
    is_int(24, mutated, "24 randomly damaged tokenizer.json files load or fail with a message");
    free(copy);
    free(buf);
}

/* Random bytes: encoding never fails and every id is inside the vocabulary. */
static void check_random_bytes(const struct bb_tokenizer *tok)
{
    struct bb_encoding enc = {0};
    struct bb_error err = {0};
    uint64_t x = 12345;
    char text[600];
    int good = 0;
    for (int i = 0; i < 300; i++) {
        size_t n = rng_next(&x) % sizeof text;
        for (size_t k = 0; k < n; k++)
            text[k] = (char)(rng_next(&x) >> 24);
        bool fine = bb_tokenizer_encode(tok, text, n, &enc, &err) == BB_OK && enc.n >= 2 &&
                    enc.n <= bb_tokenizer_max_len(tok);
        for (int k = 0; fine && k < enc.n; k++)
            fine = enc.ids[k] >= 0 && enc.ids[k] < bb_tokenizer_vocab_size(tok);
        good += fine;
    }
    is_int(300, good, "300 random byte strings encode to in-range ids");
    bb_encoding_free(&enc);
}


int main(void)
{
    plan_lazy();
    const char *model = test_model_dir("all-MiniLM-L6-v2");
    const char *stsb = test_shared_data("stsb/stsb-en-test.csv");
    struct items s = {0}, h = {0};
    items_read_stsb(stsb, &s);
    items_read_hard_cases(test_src_path("tests/data/tokenizer-hard-cases.txt"), &h);
    ok(h.n >= 60, "%d hard cases (>= 60)", h.n);

    struct bb_tokenizer *tok = NULL;
    struct bb_error err = {0};
    double t0 = bb_now();
    if (bb_tokenizer_load(model, &tok, &err))
        bail("loading %s: %s", model, err.msg);
    diag("loaded %s in %.1f ms", model, 1e3 * (bb_now() - t0));

    int total = 0, shown = 0, matched, limit = 0;
#if TEST_SANITIZED
    if (!getenv("BB_TEST_FULL")) { /* BB_TEST_FULL=1 checks everything here too */
        limit = 50;
        diag("sanitizer build: checking the first %d STS-B strings", limit);
    }
#endif
    t0 = bb_now();
    matched = golden_tok_check(tok, test_src_path("tests/golden/tokenizer-stsb-en-test.txt"), NULL,
                               &s, limit, &total, &shown);
    diag("encoded %d STS-B strings in %.1f ms", total, 1e3 * (bb_now() - t0));
    is_int(limit ? limit : 2758, total, "stsb-en-test.csv golden: %d strings checked", total);
    is_int(total, matched, "stsb-en-test.csv: %d/%d strings match HF tokenizers", matched, total);
    matched = golden_tok_check(tok, test_src_path("tests/golden/tokenizer-hard-cases.txt"), NULL,
                               &h, 0, &total, &shown);
    is_int(h.n, total, "tokenizer-hard-cases.txt golden holds every case");
    is_int(total, matched, "tokenizer-hard-cases.txt: %d/%d cases match HF tokenizers", matched,
           total);

    check_unicode_golden();
    check_basics(tok, &h);
    check_mpnet_style();
    check_vocab_txt_fallback(tok, model, &h);
    check_bad_inputs();
    check_hostile_json(model);
    check_random_bytes(tok);

    bb_tokenizer_free(tok);
    items_free(&s);
    items_free(&h);
    return tap_failures() ? 1 : 0;
}
