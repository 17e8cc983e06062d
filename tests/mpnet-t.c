/* mpnet-t.c: all-mpnet-base-v2 against independent references: token ids
 * against Hugging Face `tokenizers` (STS-B test sentences and the hand-written
 * hard cases), relative position buckets against transformers, sentence
 * embeddings against sentence-transformers on the ref and OpenCL backends
 * (texts re-read from the STS-B CSV), f16 weights, batch invariance with
 * padding, no silent fallback, and broken MPNet configs. Goldens come from
 * tests/reference/make_mpnet_golden.py. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "golden-io.h"
#include "model/model.h"
#include "core/paths.h"
#include "tap.h"

#define F16_MAX 100

/* The ref backend's share of the goldens: MPNet costs ~0.5 s a sentence on
 * the plain C backend, several under ASan, so sanitizer builds check 4
 * (all 50 again with BB_TEST_FULL=1). */
#define REF_MAX (TEST_SANITIZED && !getenv("BB_TEST_FULL") ? 4u : 50u)

/* ---- tokenizer goldens --------------------------------------------------------- */

static void tokenizer_goldens(const char *model_dir, const struct items *src)
{
    struct bb_tokenizer *tok = NULL;
    struct bb_error err = {0};
    if (!is_int(BB_OK, bb_tokenizer_load(model_dir, &tok, &err), "MPNet tokenizer loads")) {
        diag("%s", err.msg);
        return;
    }
    is_int(384, bb_tokenizer_max_len(tok), "max_len 384 from sentence_bert_config.json "
           "(tokenizer.json's 128 ignored)");
    is_int(1, bb_tokenizer_pad_id(tok), "pad id is <pad> = 1");
    is_int(30527, bb_tokenizer_vocab_size(tok), "vocab size 30527");
    static const char *const files[] = {"tests/golden/mpnet-tokenizer-stsb-en-test.txt",
                                        "tests/golden/mpnet-tokenizer-hard-cases.txt"};
    int total = 0, matched = 0, shown = 0;
    for (int i = 0; i < 2; i++) {
        int lines = 0;
        int m = golden_tok_check(tok, test_src_path(files[i]), " max_length=384 ", src, 0, &lines,
                                 &shown);
        is_int(lines, m, "%s: %d/%d strings match HF tokenizers", strrchr(files[i], '/') + 1, m,
               lines);
        total += lines;
        matched += m;
    }
    ok(total >= 1000 && matched == total, "%d/%d strings (>= 1000) tokenized exactly as HF",
       matched, total);
    bb_tokenizer_free(tok);
}

/* ---- relative position buckets ------------------------------------------------- */

static void bucket_golden(void)
{
    const char *path = test_src_path("tests/golden/mpnet-buckets.txt");
    FILE *f = fopen(path, "r");
    if (!f)
        bail("cannot open %s", path);
    int from = 0, to = -1, same = 0, n = 0, want;
    char head[512];
    if (!fgets(head, sizeof head, f) ||
        sscanf(head, "# biasbench-mpnet-buckets v1 from=%d to=%d", &from, &to) != 2)
        bail("%s: bad header", path);
    for (int rel = from; rel <= to && fscanf(f, "%d", &want) == 1; rel++, n++) {
        int got = bb_mpnet_position_bucket(rel);
        if (got == want)
            same++;
        else if (n - same <= 5)
            diag("relative position %d: bucket %d, transformers says %d", rel, got, want);
    }
    fclose(f);
    ok(n == to - from + 1 && same == n, "relative position buckets match transformers for "
       "all %d offsets %d .. %d", same, from, to);
}

/* ---- the embedding golden: padding invariance on OpenCL ------------------------- */

/* Short probes alone, then in a batch with long neighbours (padding up to
 * ~384 tokens, so the position bias spans padded keys): rows must agree. */
static void batch_invariance(struct bb_model *m, const struct golden_set *cx)
{
    enum { NP = 3, B = 7 };
    size_t dim = cx->g.dim;
    struct bb_encoding probe[NP] = {{0}}, longs[2] = {{0}}, batch[B];
    float *alone = malloc(NP * dim * sizeof(float)), *out = malloc(B * dim * sizeof(float));
    struct bb_error err = {0};
    for (int i = 0; i < NP; i++) {
        golden_encode(m, cx->texts[i * 5], &probe[i]);
        if (bb_model_embed_batch(m, &probe[i], 1, alone + i * dim, &err))
            bail("%s", err.msg);
    }
    golden_encode(m, cx->texts[cx->g.count - 1], &longs[0]);
    golden_encode(m, cx->texts[cx->g.count - 2], &longs[1]);
    const int layout[B] = {-1, 0, 1, -2, 2, -1, 0};
    for (int i = 0; i < B; i++)
        batch[i] = layout[i] >= 0 ? probe[layout[i]] : longs[-layout[i] - 1];
    double worst = 0;
    if (bb_model_embed_batch(m, batch, B, out, &err))
        bail("%s", err.msg);
    for (int i = 0; i < B; i++)
        for (size_t d = 0; layout[i] >= 0 && d < dim; d++)
            worst = fmax(worst, fabs(out[i * dim + d] - alone[(size_t)layout[i] * dim + d]));
    ok(worst <= 1e-5, "opencl: probes of %d..%d tokens alone vs padded to %d in a batch of %d: "
       "max abs diff %.3g <= 1e-5", probe[0].n, probe[2].n, longs[0].n, B, worst);
    for (int i = 0; i < NP; i++)
        bb_encoding_free(&probe[i]);
    bb_encoding_free(&longs[0]);
    bb_encoding_free(&longs[1]);
    free(alone);
    free(out);
}

/* The model's own checks: its architecture (ref), padding invariance (opencl). */
static void mpnet_extra(struct bb_model *m, const struct golden_set *cx, const char *what)
{
    if (strcmp(what, "ref")) {
        batch_invariance(m, cx);
        return;
    }
    is_string("mpnet", bb_model_arch(m), "architecture is mpnet");
    is_int(768, bb_model_dim(m), "dim 768");
}

/* ---- broken MPNet folders ------------------------------------------------------------ */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f))
        bail("cannot write %s", path);
}

/* A folder with the real weights and tokenizer (symlinks) and a config.json
 * changed by `edit` ("key": value replaced); loading must fail naming it. */
static void bad_config(const struct golden_set *cx, const char *name, const char *key,
                       const char *value, enum bb_status code, const char *needle)
{
    static const char *const links[] = {"model.safetensors", "tokenizer.json", "modules.json",
                                        "sentence_bert_config.json", "1_Pooling"};
    char dir[4200], a[4400], b[4400];
    snprintf(dir, sizeof dir, "%s/mpnet-%s", test_tmp_dir(), name);
    if (mkdir(dir, 0777) && !bb_path_is_dir(dir))
        bail("cannot create %s", dir);
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        snprintf(a, sizeof a, "%s/%s", cx->model_dir, links[i]);
        snprintf(b, sizeof b, "%s/%s", dir, links[i]);
        unlink(b);
        if (symlink(a, b))
            bail("cannot link %s", b);
    }
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"model_type\": \"mpnet\", \"hidden_size\": 768, \"num_hidden_layers\": 12, "
             "\"intermediate_size\": 3072, \"max_position_embeddings\": 514, "
             "\"vocab_size\": 30527, \"layer_norm_eps\": 1e-05, \"hidden_act\": \"gelu\", "
             "\"num_attention_heads\": %s, \"relative_attention_num_buckets\": %s}\n",
             !strcmp(key, "num_attention_heads") ? value : "12",
             !strcmp(key, "relative_attention_num_buckets") ? value : "32");
    snprintf(b, sizeof b, "%s/config.json", dir);
    write_text(b, cfg);
    struct bb_backend *be = golden_ref_backend();
    struct bb_model *m = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_model_load(dir, be, NULL, &m, &err);
    ok(st == code && !m, "%s: load fails with %s (got %s)", name, bb_status_name(code),
       bb_status_name(st));
    contains(err.msg, needle, "%s: message names '%s'", name, needle);
    bb_model_free(m);
    bb_backend_free(be);
}

/* Sequences beyond the position table (max_position_embeddings - 2 tokens). */
static void too_long(const struct golden_set *cx)
{
    struct bb_backend *be = golden_ref_backend();
    struct bb_model *m = NULL;
    struct bb_error err = {0};
    struct bb_model_opts o = {.max_seq_len = 514};
    if (bb_model_load(cx->model_dir, be, &o, &m, &err))
        bail("load: %s", err.msg);
    size_t len = 0;
    for (int i = 0; i < 4; i++)
        len += strlen(cx->texts[cx->g.count - 1 - (size_t)i]) + 1;
    char *s = calloc(1, len + 1);
    for (int i = 0; i < 4; i++)
        strcat(strcat(s, cx->texts[cx->g.count - 1 - (size_t)i]), " ");
    float out[768];
    enum bb_status st = bb_model_embed_texts(m, (const char *const *)&s, 1, 1, out, &err);
    is_int(BB_E_USAGE, st, "514 tokens with max_position_embeddings 514: refused");
    contains(err.msg, "at most 512 tokens", "message gives the limit");
    free(s);
    bb_model_free(m);
    bb_backend_free(be);
}

int main(void)
{
    plan_lazy();
    struct golden_set cx = {0};
    golden_set_open(&cx, "all-mpnet-base-v2", "mpnet-embed.bin");
    ok(cx.g.count >= 200 && cx.g.dim == 768, "golden: %u texts of dim %u from %s", cx.g.count,
       cx.g.dim, cx.g.source);

    struct items src = {0}; /* the tokenizer goldens' texts, keyed by source */
    items_read_stsb(test_shared_data(cx.g.source), &src);
    items_read_hard_cases(test_src_path("tests/data/tokenizer-hard-cases.txt"), &src);
    tokenizer_goldens(cx.model_dir, &src);
    bucket_golden();
    const struct golden_run run = {.noun = "texts", .n_layers = 12, .ref_max = REF_MAX,
                                   .f16_max = F16_MAX, .extra = mpnet_extra};
    golden_run_ref(&cx, &run);
    golden_run_opencl(&cx, &run);
    bad_config(&cx, "buckets", "relative_attention_num_buckets", "16", BB_E_INPUT,
               "'relative_attention_num_buckets'");
    bad_config(&cx, "heads", "num_attention_heads", "16", BB_E_INPUT,
               "tensor 'encoder.relative_attention_bias.weight': shape [32, 12]");
    too_long(&cx);

    items_free(&src);
    golden_set_free(&cx);
    return tap_failures() ? 1 : 0;
}
