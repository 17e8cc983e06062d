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

#include "backend/backend_impl.h" /* op counts, device info */
#include "golden-io.h"
#include "core/log.h"
#include "model/model.h"
#include "core/paths.h"
#include "tap.h"

#define F16_MAX 100

/* The ref backend's share of the goldens: MPNet costs ~0.5 s a sentence on
 * the plain C backend, several under ASan, so sanitizer builds check 4
 * (all 50 again with BB_TEST_FULL=1). */
#if defined(__SANITIZE_ADDRESS__)
#define BB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BB_SANITIZED 1
#endif
#endif
#ifdef BB_SANITIZED
#define REF_MAX (getenv("BB_TEST_FULL") ? 50u : 4u)
#else
#define REF_MAX 50u
#endif

/* ---- tokenizer goldens --------------------------------------------------------- */

/* Compare every line of a golden file; returns lines matched, *lines checked. */
static int check_tok_golden(struct bb_tokenizer *tok, const char *path, const struct items *src,
                            int *lines, int *shown)
{
    FILE *f = fopen(path, "r");
    if (!f)
        bail("cannot open %s", path);
    static char line[1 << 16];
    int32_t *want = NULL;
    int matched = 0, count = -1, cap = 0, hint = 0;
    struct bb_encoding enc = {0};
    struct bb_error err = {0};
    *lines = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            const char *c = strstr(line, " count=");
            if (!strstr(line, "biasbench-tokenizer-golden v1") || !c ||
                !strstr(line, " max_length=384 "))
                bail("%s: not a v1 tokenizer golden with max_length=384", path);
            count = atoi(c + 7);
            continue;
        }
        char *tab = strchr(line, '\t');
        if (!tab)
            bail("%s: line without a tab", path);
        *tab = '\0';
        (*lines)++;
        int nw = parse_ids(tab + 1, &want, &cap);
        const struct item *t = items_find(src, line, &hint);
        if (!t) {
            if ((*shown)++ < 10)
                ok(false, "%s: key found in its source", line);
            continue;
        }
        if (bb_tokenizer_encode(tok, t->text, t->len, &enc, &err))
            bail("%s: encode failed: %s", line, err.msg);
        bool same = enc.n == nw && !memcmp(enc.ids, want, (size_t)nw * sizeof *want);
        matched += same;
        if (!same && (*shown)++ < 10) {
            int p = 0;
            while (p < nw && p < enc.n && want[p] == enc.ids[p])
                p++;
            ok(false, "%s matches HF tokenizers", line);
            diag("first difference at position %d: want %d, got %d (lengths %d / %d)", p,
                 p < nw ? want[p] : -1, p < enc.n ? enc.ids[p] : -1, nw, enc.n);
        }
    }
    fclose(f);
    if (count != *lines)
        bail("%s: header count %d but %d lines", path, count, *lines);
    bb_encoding_free(&enc);
    free(want);
    return matched;
}

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
        int m = check_tok_golden(tok, test_src_path(files[i]), src, &lines, &shown);
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

/* ---- the embedding golden ------------------------------------------------------- */

struct ctx {
    const char *model_dir;
    struct golden g;
    char **texts; /* (g.count) */
};

/* Embed the golden texts first..first+n on `be` and check them. */
static void golden_check(struct bb_model *m, const struct ctx *cx, size_t n, const char *be_name,
                         float *out)
{
    struct bb_error err = {0};
    double t0 = bb_now();
    enum bb_status st = bb_model_embed_texts(m, (const char *const *)cx->texts, n, 32, out, &err);
    double dt = bb_now() - t0;
    if (!is_int(BB_OK, st, "%s: embed %zu golden texts", be_name, n)) {
        diag("%s", err.msg);
        return;
    }
    struct cmp c = compare(out, cx->g.vec, n, cx->g.dim);
    ok(c.worst_cos >= 0.99999, "%s: worst cosine to sentence-transformers %.8f >= 0.99999 "
       "over %zu texts (item %zu: row %u col %u)", be_name, c.worst_cos, n, c.worst_i,
       cx->g.keys[2 * c.worst_i], cx->g.keys[2 * c.worst_i + 1]);
    diag("%s: 1 - worst cosine = %.3g, max abs diff %.3g; %zu texts in %.2f s (%.1f/s, batch 32)",
         be_name, 1.0 - c.worst_cos, c.max_abs, n, dt, n / dt);
}

static void run_ref(const struct ctx *cx)
{
    struct bb_backend *be = NULL;
    struct bb_error err = {0};
    if (bb_backend_create("ref", NULL, &be, &err))
        bail("ref backend: %s", err.msg);
    struct bb_model *m = golden_model_load(cx->model_dir, be, BB_F32, "ref");
    if (m) {
        is_string("mpnet", bb_model_arch(m), "architecture is mpnet");
        is_int(768, bb_model_dim(m), "dim 768");
        size_t n = golden_limit(cx->g.count < REF_MAX ? cx->g.count : REF_MAX);
        float *out = malloc(n * cx->g.dim * sizeof(float));
        golden_check(m, cx, n, "ref", out);
        free(out);
    }
    bb_model_free(m);
    bb_backend_free(be);
}

/* ---- OpenCL: goldens, no fallback, padding invariance, f16 ------------------------ */

/* Per forward with L layers: embed 1, matmul 4L, layernorm 1+2L, attention L, pool 1. */
static void op_counts(const struct bb_backend *be, const uint64_t *before, int n_layers,
                      size_t n_texts, const struct bb_backend *spy)
{
    const uint64_t per[BB_OP_COUNT] = {1, 4 * (uint64_t)n_layers, 1 + 2 * (uint64_t)n_layers,
                                       (uint64_t)n_layers, 1};
    uint64_t n_batches = be->op_count[BB_OP_POOL] - before[BB_OP_POOL];
    ok(n_batches >= (n_texts + 31) / 32 && n_batches <= n_texts,
       "%llu forwards for %zu texts at batch size 32", (unsigned long long)n_batches, n_texts);
    bool all = true;
    for (int k = 0; k < BB_OP_COUNT; k++)
        all &= be->op_count[k] - before[k] == per[k] * n_batches;
    ok(all, "opencl ran every op of the MPNet forward itself (12 layers: 48 matmul, 25 "
       "layernorm, 12 attention per forward)");
    uint64_t spied = 0;
    for (int k = 0; k < BB_OP_COUNT; k++)
        spied += spy->op_count[k];
    is_int(0, (long long)spied, "a separately created ref backend ran no op");
}

/* Short probes alone, then in a batch with long neighbours (padding up to
 * ~384 tokens, so the position bias spans padded keys): rows must agree. */
static void batch_invariance(struct bb_model *m, const struct ctx *cx)
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

static void run_opencl(const struct ctx *cx)
{
    struct bb_backend *be = golden_opencl_backend(), *spy = NULL;
    struct bb_error err = {0};
    if (!be)
        return;
    if (bb_backend_create("ref", NULL, &spy, &err))
        bail("ref backend: %s", err.msg);
    struct bb_model *m = golden_model_load(cx->model_dir, be, BB_F32, "opencl");
    if (m) {
        size_t n = golden_limit(cx->g.count);
        float *out = malloc(n * cx->g.dim * sizeof(float));
        uint64_t before[BB_OP_COUNT];
        memcpy(before, be->op_count, sizeof before);
        golden_check(m, cx, n, "opencl", out);
        op_counts(be, before, 12, n, spy);
        batch_invariance(m, cx);
        bb_model_free(m);
        golden_f16_check(cx->model_dir, be, cx->texts, &cx->g, out,
                         n < F16_MAX ? n : F16_MAX, "texts");
        free(out);
    }
    bb_backend_free(spy);
    bb_backend_free(be);
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
static void bad_config(const struct ctx *cx, const char *name, const char *key,
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
    struct bb_backend *be = NULL;
    struct bb_model *m = NULL;
    struct bb_error err = {0};
    if (bb_backend_create("ref", NULL, &be, &err))
        bail("ref backend: %s", err.msg);
    enum bb_status st = bb_model_load(dir, be, NULL, &m, &err);
    ok(st == code && !m, "%s: load fails with %s (got %s)", name, bb_status_name(code),
       bb_status_name(st));
    contains(err.msg, needle, "%s: message names '%s'", name, needle);
    bb_model_free(m);
    bb_backend_free(be);
}

/* Sequences beyond the position table (max_position_embeddings - 2 tokens). */
static void too_long(const struct ctx *cx)
{
    struct bb_backend *be = NULL;
    struct bb_model *m = NULL;
    struct bb_error err = {0};
    struct bb_model_opts o = {.max_seq_len = 514};
    if (bb_backend_create("ref", NULL, &be, &err))
        bail("ref backend: %s", err.msg);
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
    struct ctx cx = {0};
    struct csv_rows csv = {0};
    cx.model_dir = test_model_dir("all-mpnet-base-v2");
    golden_load(test_src_path("tests/golden/mpnet-embed.bin"), &cx.g);
    golden_check_meta(test_src_path("tests/golden/mpnet-embed.bin"), cx.model_dir);
    csv_read(test_shared_data(cx.g.source), &csv);
    ok(cx.g.count >= 200 && cx.g.dim == 768, "golden: %u texts of dim %u from %s", cx.g.count,
       cx.g.dim, cx.g.source);
    cx.texts = calloc(cx.g.count, sizeof *cx.texts);
    for (uint32_t i = 0; i < cx.g.count; i++)
        cx.texts[i] = key_text(&csv, cx.g.keys[2 * i], cx.g.keys[2 * i + 1]);

    struct items src = {0}; /* the tokenizer goldens' texts, keyed by source */
    items_read_stsb(test_shared_data(cx.g.source), &src);
    items_read_hard_cases(test_src_path("tests/data/tokenizer-hard-cases.txt"), &src);
    tokenizer_goldens(cx.model_dir, &src);
    bucket_golden();
    run_ref(&cx);
    run_opencl(&cx);
    bad_config(&cx, "buckets", "relative_attention_num_buckets", "16", BB_E_INPUT,
               "'relative_attention_num_buckets'");
    bad_config(&cx, "heads", "num_attention_heads", "16", BB_E_INPUT,
               "tensor 'encoder.relative_attention_bias.weight': shape [32, 12]");
    too_long(&cx);

    items_free(&src);
    for (uint32_t i = 0; i < cx.g.count; i++)
        free(cx.texts[i]);
    free(cx.texts);
    golden_free(&cx.g);
    csv_rows_free(&csv);
    return tap_failures() ? 1 : 0;
}
