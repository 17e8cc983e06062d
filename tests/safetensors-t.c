/* safetensors-t.c: bad-input tests of model loading. Builds a tiny synthetic
 * BERT folder (config, vocab, safetensors) in the test's scratch directory,
 * breaks it one way per test, and checks bb_model_load's status and message;
 * also checks that the intact tiny model loads and runs on the ref backend. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "golden-io.h" /* golden_ref_backend */
#include "model/model.h"
#include "model/safetensors.h"
#include "tap.h"

/* Tiny BERT: C=8, 2 heads, 1 layer, I=16, 16 positions, vocab of 16. */
enum { C = 8, I = 16, P = 16, V = 16, NTYPE = 2 };

struct tspec {
    char name[160];
    const char *dtype;
    int ndim;
    long long shape[8];
};

struct tiny {
    struct tspec t[32];
    int n;
};

static void add(struct tiny *m, const char *name, const char *dtype, int ndim, long long d0,
                long long d1)
{
    struct tspec *t = &m->t[m->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = dtype;
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = d1;
}

static void tiny_tensors(struct tiny *m, const char *prefix)
{
    char n[128];
    m->n = 0;
#define A(name, nd, a, b) (snprintf(n, sizeof n, "%s%s", prefix, name), add(m, n, "F32", nd, a, b))
    add(m, "embeddings.position_ids", "I64", 2, 1, P);
    A("embeddings.word_embeddings.weight", 2, V, C);
    A("embeddings.position_embeddings.weight", 2, P, C);
    A("embeddings.token_type_embeddings.weight", 2, NTYPE, C);
    A("embeddings.LayerNorm.weight", 1, C, 0);
    A("embeddings.LayerNorm.bias", 1, C, 0);
    const char *qkv[3] = {"query", "key", "value"};
    for (int i = 0; i < 3; i++) {
        char w[96];
        snprintf(w, sizeof w, "encoder.layer.0.attention.self.%s.weight", qkv[i]);
        A(w, 2, C, C);
        snprintf(w, sizeof w, "encoder.layer.0.attention.self.%s.bias", qkv[i]);
        A(w, 1, C, 0);
    }
    A("encoder.layer.0.attention.output.dense.weight", 2, C, C);
    A("encoder.layer.0.attention.output.dense.bias", 1, C, 0);
    A("encoder.layer.0.attention.output.LayerNorm.weight", 1, C, 0);
    A("encoder.layer.0.attention.output.LayerNorm.bias", 1, C, 0);
    A("encoder.layer.0.intermediate.dense.weight", 2, I, C);
    A("encoder.layer.0.intermediate.dense.bias", 1, I, 0);
    A("encoder.layer.0.output.dense.weight", 2, C, I);
    A("encoder.layer.0.output.dense.bias", 1, C, 0);
    A("encoder.layer.0.output.LayerNorm.weight", 1, C, 0);
    A("encoder.layer.0.output.LayerNorm.bias", 1, C, 0);
#undef A
}

static void drop(struct tiny *m, const char *name)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->t[i].name, name)) {
            memmove(&m->t[i], &m->t[i + 1], (size_t)(m->n - i - 1) * sizeof m->t[0]);
            m->n--;
            return;
        }
    bail("no tensor %s to drop", name);
}

static size_t esize(const char *dtype)
{
    if (!strcmp(dtype, "I64") || !strcmp(dtype, "F64"))
        return 8;
    if (!strcmp(dtype, "F16") || !strcmp(dtype, "BF16"))
        return 2;
    return 4;
}

static size_t nbytes(const struct tspec *t)
{
    size_t n = esize(t->dtype);
    for (int d = 0; d < t->ndim; d++)
        n *= (size_t)t->shape[d];
    return n;
}

/* Deterministic small values; LayerNorm gammas near 1. */
static float value(const struct tspec *t, size_t i)
{
    unsigned h = 2166136261u;
    for (const char *p = t->name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ (unsigned)i) * 2654435761u;
    float v = (float)((h >> 8) % 2001) / 1000.0f - 1.0f; /* [-1, 1] */
    if (strstr(t->name, "LayerNorm.weight"))
        return 1.0f + 0.1f * v;
    return 0.3f * v;
}

/* Corruptions applied while writing. */
enum fault { F_NONE, F_HDRLEN, F_NOTJSON, F_OOB, F_OVERLAP };

static char *header_json(const struct tiny *m, enum fault f, size_t *data_len)
{
    size_t cap = 16384, o = 0, off = 0;
    char *h = malloc(cap);
    o += (size_t)snprintf(h + o, cap - o, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < m->n; i++) {
        const struct tspec *t = &m->t[i];
        size_t b = nbytes(t), begin = off;
        if (f == F_OVERLAP && i == 3)
            begin -= 8; /* starts inside the previous tensor */
        size_t end = begin + b;
        if (f == F_OOB && i == 5)
            begin += 1000000, end += 1000000;
        o += (size_t)snprintf(h + o, cap - o, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name,
                              t->dtype);
        for (int d = 0; d < t->ndim; d++)
            o += (size_t)snprintf(h + o, cap - o, "%s%lld", d ? "," : "", t->shape[d]);
        o += (size_t)snprintf(h + o, cap - o, "],\"data_offsets\":[%zu,%zu]}", begin, end);
        off = (f == F_OOB && i == 5) ? off + b : end;
    }
    o += (size_t)snprintf(h + o, cap - o, "}");
    while (o % 8) /* pad with spaces to an 8-byte data start, as writers do */
        h[o++] = ' ';
    h[o] = 0;
    *data_len = off;
    return h;
}

static void write_safetensors(const char *dir, const struct tiny *m, enum fault f)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        bail("cannot write %s", path);
    size_t data_len;
    char *h = header_json(m, f, &data_len);
    if (f == F_NOTJSON)
        memcpy(h, "{not json", 9);
    unsigned long long hl = strlen(h);
    if (f == F_HDRLEN)
        hl = 1000000;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)(hl >> (8 * i));
    fwrite(len8, 1, 8, fp);
    fwrite(h, 1, strlen(h), fp);
    for (int i = 0; i < m->n; i++) {
        const struct tspec *t = &m->t[i];
        size_t cnt = nbytes(t) / esize(t->dtype);
        for (size_t k = 0; k < cnt; k++) {
            if (esize(t->dtype) == 8) {
                long long v = (long long)(k % P);
                fwrite(&v, 8, 1, fp);
            } else {
                float v = value(t, k);
                fwrite(&v, 4, 1, fp);
            }
        }
    }
    free(h);
    fclose(fp);
}

static void write_file(const char *dir, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void write_file(const char *dir, const char *name, const char *fmt, ...)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    if (!fp)
        bail("cannot write %s", path);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(fp, fmt, ap);
    va_end(ap);
    fclose(fp);
}

static void write_config(const char *dir, int hidden, int inter, const char *act)
{
    write_file(dir, "config.json",
               "{\"model_type\":\"bert\",\"hidden_size\":%d,\"num_hidden_layers\":1,"
               "\"num_attention_heads\":2,\"intermediate_size\":%d,"
               "\"max_position_embeddings\":%d,\"type_vocab_size\":%d,\"vocab_size\":%d,"
               "\"layer_norm_eps\":1e-12,\"hidden_act\":\"%s\"}\n",
               hidden, inter, P, NTYPE, V, act);
}

/* A complete folder: configs, a 16-word vocabulary, and the safetensors. */
static const char *make_folder(const char *name, const struct tiny *m, enum fault f)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", test_tmp_dir(), name);
    mkdir(dir, 0777);
    write_config(dir, C, I, "gelu");
    write_file(dir, "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\na\nman\nwoman\n"
               "is\nplaying\nguitar\n.\n##s\ndog\ncat\n");
    write_file(dir, "tokenizer_config.json", "{\"do_lower_case\": true}\n");
    write_file(dir, "modules.json",
               "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models."
               "Transformer\"},{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":"
               "\"sentence_transformers.models.Pooling\"},{\"idx\":2,\"name\":\"2\",\"path\":"
               "\"2_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}]\n");
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/1_Pooling", dir);
    mkdir(sub, 0777);
    write_file(sub, "config.json", "{\"word_embedding_dimension\":%d,\"pooling_mode_cls_token\":"
               "false,\"pooling_mode_mean_tokens\":true,\"pooling_mode_max_tokens\":false}\n", C);
    write_file(dir, "sentence_bert_config.json", "{\"max_seq_length\": %d}\n", P);
    if (m)
        write_safetensors(dir, m, f);
    return dir;
}

/* Load dir; check status and that the message contains want. */
static void expect_fail(struct bb_backend *be, const char *dir, enum bb_status want_st,
                        const char *want, const char *what)
{
    struct bb_model *model = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_model_load(dir, be, NULL, &model, &err);
    is_int(want_st, st, "%s: status %s", what, bb_status_name(want_st));
    contains(err.msg, want, "%s: message names the problem", what);
    ok(model == NULL, "%s: no model returned", what);
    bb_model_free(model);
}

static void truncate_file(const char *dir, long keep)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (keep < 0) {
        struct stat sb;
        stat(path, &sb);
        keep += (long)sb.st_size;
    }
    if (truncate(path, keep) != 0)
        bail("truncate %s failed", path);
}

static void test_valid(struct bb_backend *be, const char *prefix)
{
    struct tiny m;
    tiny_tensors(&m, prefix);
    const char *dir = make_folder(*prefix ? "valid-prefixed" : "valid", &m, F_NONE);
    struct bb_model *model = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_model_load(dir, be, NULL, &model, &err);
    if (!is_int(BB_OK, st, "valid tiny model (prefix '%s') loads", prefix))
        diag("%s", err.msg);
    if (st)
        return;
    is_int(C, bb_model_dim(model), "dim is hidden_size");
    is_string("bert", bb_model_arch(model), "arch is bert");
    /* two sequences of different length: [CLS] w... [SEP] */
    int32_t a[] = {2, 7, 9, 10, 11, 3}, b[] = {2, 8, 3};
    struct bb_encoding encs[2] = {{a, 6, 6}, {b, 3, 3}};
    float out[2 * C], alone[C];
    st = bb_model_embed_batch(model, encs, 2, out, &err);
    is_int(BB_OK, st, "tiny forward runs: %s", st ? err.msg : "ok");
    double n0 = 0, d = 0;
    for (int i = 0; i < C; i++)
        n0 += (double)out[i] * out[i];
    is_double(1.0, sqrt(n0), 1e-5, "Normalize module -> unit-norm embedding");
    st = bb_model_embed_batch(model, &encs[1], 1, alone, &err);
    for (int i = 0; i < C; i++)
        d = fmax(d, fabs(alone[i] - out[C + i]));
    ok(!st && d <= 1e-6, "padding does not change the short sequence (max diff %.3g)", d);
    bb_model_free(model);
    model = NULL;
    /* max_seq_len 4: a 6-token sequence keeps [CLS] w1 w2 and its closing [SEP] */
    struct bb_model_opts o4 = {.max_seq_len = 4};
    st = bb_model_load(dir, be, &o4, &model, &err);
    is_int(BB_OK, st, "loads with max_seq_len 4");
    if (st)
        return;
    int32_t cut[] = {2, 7, 9, 3};
    struct bb_encoding ecut = {cut, 4, 4};
    float full4[C], cut4[C];
    st = bb_model_embed_batch(model, &encs[0], 1, full4, &err);
    if (!st)
        st = bb_model_embed_batch(model, &ecut, 1, cut4, &err);
    d = 0;
    for (int i = 0; i < C; i++)
        d = fmax(d, fabs(full4[i] - cut4[i]));
    ok(!st && d == 0, "max_seq_len truncation keeps the first tokens and [SEP] (diff %.3g)", d);
    struct bb_model_opts o99 = {.max_seq_len = 99};
    struct bb_model *m99 = NULL;
    st = bb_model_load(dir, be, &o99, &m99, &err);
    is_int(BB_E_USAGE, st, "max_seq_len beyond max_position_embeddings is refused");
    contains(err.msg, "max sequence length 99: expected 2 .. 16", "message gives the range");
    bb_model_free(m99);
    int32_t bad[] = {2, 99, 3};
    struct bb_encoding be1 = {bad, 3, 3};
    st = bb_model_embed_batch(model, &be1, 1, out, &err);
    is_int(BB_E_INPUT, st, "token id outside the vocabulary is refused");
    contains(err.msg, "outside the vocabulary", "message says why");
    bb_model_free(model);
}

static void test_tensor_faults(struct bb_backend *be)
{
    struct tiny m;
    tiny_tensors(&m, "");

    const char *dir = make_folder("truncated", &m, F_NONE);
    truncate_file(dir, -100);
    expect_fail(be, dir, BB_E_INPUT, "exceed the data section", "truncated data");
    truncate_file(dir, 5);
    expect_fail(be, dir, BB_E_INPUT, "too short for the 8-byte header length", "truncated to 5 bytes");

    dir = make_folder("hdrlen", &m, F_HDRLEN);
    expect_fail(be, dir, BB_E_INPUT, "header length 1000000 exceeds the file size",
                "header length past EOF");
    dir = make_folder("notjson", &m, F_NOTJSON);
    expect_fail(be, dir, BB_E_INPUT, "model.safetensors header: not valid JSON", "header not JSON");
    dir = make_folder("oob", &m, F_OOB);
    expect_fail(be, dir, BB_E_INPUT,
                "tensor 'embeddings.LayerNorm.bias': data_offsets [1001248,1001280] exceed the "
                "data section",
                "span out of bounds");
    dir = make_folder("overlap", &m, F_OVERLAP);
    expect_fail(be, dir, BB_E_INPUT, "overlap tensor", "overlapping spans");

    struct tiny u = m;
    u.t[2].dtype = "F17";
    dir = make_folder("dtype", &u, F_NONE);
    expect_fail(be, dir, BB_E_INPUT, "tensor 'embeddings.position_embeddings.weight': unknown "
                "dtype 'F17'", "unknown dtype");

    u = m;
    drop(&u, "encoder.layer.0.output.dense.bias");
    dir = make_folder("missing-tensor", &u, F_NONE);
    expect_fail(be, dir, BB_E_INPUT, "tensor 'encoder.layer.0.output.dense.bias' is missing",
                "tensor missing");

    u = m;
    struct tspec *ln = &u.t[4]; /* embeddings.LayerNorm.weight: 8 dims, zero elements */
    ln->ndim = 8;
    ln->shape[0] = 0;
    for (int d = 1; d < 8; d++)
        ln->shape[d] = 9223372036854775807LL;
    dir = make_folder("hostile-shape", &u, F_NONE);
    expect_fail(be, dir, BB_E_INPUT, "tensor 'embeddings.LayerNorm.weight': shape [0, "
                "9223372036854775807", "8-dim empty tensor with huge dims");

    dir = make_folder("shape", &m, F_NONE);
    write_config(dir, C, 32, "gelu");
    expect_fail(be, dir, BB_E_INPUT,
                "tensor 'encoder.layer.0.intermediate.dense.weight': shape [16, 8] but "
                "config.json says intermediate_size 32, hidden_size 8 -> expected [32, 8]",
                "shape disagreeing with config.json");
}

/* A shape whose element count does not match the span's byte size. */
static void test_span_size(struct bb_backend *be)
{
    struct tiny m;
    tiny_tensors(&m, "");
    const char *dir = make_folder("spansize", &m, F_NONE);
    /* rewrite with the word embeddings declared F16 but spanning F32 bytes */
    m.t[1].dtype = "F16";
    char path[8192];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    struct bb_safetensors *st = NULL;
    struct bb_error err = {0};
    enum bb_status s = bb_safetensors_open(path, &st, &err);
    is_int(BB_OK, s, "intact file opens directly");
    if (!s) {
        const struct bb_st_tensor *t = bb_safetensors_find(st, "embeddings.position_ids");
        ok(t && t->dtype == BB_ST_I64 && t->numel == P, "I64 position_ids is known, not used");
        ok(bb_safetensors_find(st, "nope") == NULL, "find of an absent name is NULL");
    }
    bb_safetensors_close(st);
    /* write a header by hand: shape [2,2] F32 = 16 bytes but span of 12 */
    const char *hdr = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
    FILE *fp = fopen(path, "wb");
    unsigned long long hl = strlen(hdr);
    for (int i = 0; i < 8; i++)
        fputc((int)((hl >> (8 * i)) & 0xff), fp);
    fputs(hdr, fp);
    for (int i = 0; i < 16; i++)
        fputc(0, fp);
    fclose(fp);
    s = bb_safetensors_open(path, &st, &err);
    is_int(BB_E_INPUT, s, "shape x dtype size != span is refused");
    contains(err.msg, "tensor 'x': shape [2, 2] of F32 needs 16 bytes but data_offsets [0,12] "
             "span 12", "message gives both sizes");
    (void)be;
}

static void test_folder_faults(struct bb_backend *be)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/no-such-model", test_tmp_dir());
    expect_fail(be, dir, BB_E_IO, "does not exist", "missing folder");
    const char *d = make_folder("no-weights", NULL, F_NONE);
    expect_fail(be, d, BB_E_IO, "model.safetensors: not found", "missing model.safetensors");

    struct tiny m;
    tiny_tensors(&m, "");
    d = make_folder("relu", &m, F_NONE);
    write_config(d, C, I, "relu");
    expect_fail(be, d, BB_E_UNSUPPORTED, "hidden_act", "hidden_act relu is unsupported");
    d = make_folder("badjson", &m, F_NONE);
    write_file(d, "config.json", "{\"model_type\": \"bert\",\n  \"hidden_size\": }\n");
    expect_fail(be, d, BB_E_INPUT, "config.json:2:", "config.json not JSON names line");
    d = make_folder("layers", &m, F_NONE);
    write_file(d, "config.json", "{\"model_type\":\"bert\",\"hidden_size\":8,"
               "\"num_hidden_layers\":100000000,\"num_attention_heads\":2,"
               "\"intermediate_size\":16,\"max_position_embeddings\":16,"
               "\"type_vocab_size\":2,\"vocab_size\":16}\n");
    expect_fail(be, d, BB_E_INPUT, "config.json: field 'num_hidden_layers': expected an integer "
                "in [1, 4096], found 100000000", "absurd layer count refused before allocating");
    d = make_folder("maxpool", &m, F_NONE);
    write_file(d, "1_Pooling/config.json", "{\"pooling_mode_max_tokens\": true}\n");
    expect_fail(be, d, BB_E_UNSUPPORTED, "pooling_mode_max_tokens", "max pooling unsupported");
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(b, 1, n, fp) != n)
        bail("cannot write %s", path);
    fclose(fp);
}

/* Hostile input: every truncation, and random byte changes in the header,
 * must give BB_OK or BB_E_INPUT (never a crash); an accepted file's tensors
 * must lie inside it. */
static void test_hostile(void)
{
    struct tiny m;
    tiny_tensors(&m, "");
    const char *dir = make_folder("hostile", &m, F_NONE);
    char path[8192], bad[8192];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/mutant.safetensors", dir);
    size_t n;
    unsigned char *orig = (unsigned char *)test_slurp_or_bail(path, &n), *buf = malloc(n);
    size_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | orig[i];
    int wrong = 0, accepted = 0, trunc_ok = 0;
    struct bb_error err = {0};
    for (size_t keep = 0; keep < n; keep += (keep < 8 + hlen ? 7 : 61)) {
        spit(bad, orig, keep);
        struct bb_safetensors *st = NULL;
        enum bb_status s = bb_safetensors_open(bad, &st, &err);
        trunc_ok += s == BB_OK;
        bb_safetensors_close(st);
    }
    is_int(0, trunc_ok, "every truncation of a valid file is refused");
    unsigned rng = 12345;
    for (int it = 0; it < 400; it++) {
        memcpy(buf, orig, n);
        int flips = 1 + it % 3;
        for (int f = 0; f < flips; f++) {
            rng = rng * 1103515245u + 12345u;
            size_t at = (rng >> 8) % (8 + hlen);
            rng = rng * 1103515245u + 12345u;
            static const char syms[] = "{}[],:\"0123456789-e";
            buf[at] = it % 2 ? (unsigned char)(rng >> 16) : (unsigned char)syms[(rng >> 16) % 19];
        }
        spit(bad, buf, n);
        struct bb_safetensors *st = NULL;
        enum bb_status s = bb_safetensors_open(bad, &st, &err);
        if (s != BB_OK && s != BB_E_INPUT)
            wrong++;
        for (int i = 0; !s && i < st->n_tensors; i++)
            if (st->tensors[i].end > st->data_size || st->tensors[i].begin > st->tensors[i].end)
                wrong++;
        accepted += s == BB_OK;
        bb_safetensors_close(st);
    }
    is_int(0, wrong, "400 header mutations: each refused with BB_E_INPUT or accepted with "
           "spans inside the file (%d accepted)", accepted);
    free(orig);
    free(buf);
}

int main(void)
{
    plan_lazy();
    struct bb_backend *be = golden_ref_backend();
    test_valid(be, "");
    test_valid(be, "bert.");
    test_folder_faults(be);
    test_tensor_faults(be);
    test_span_size(be);
    test_hostile();
    bb_backend_free(be);
    return tap_failures() ? 1 : 0;
}
