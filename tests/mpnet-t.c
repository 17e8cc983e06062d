/* mpnet-t.c: all-mpnet-base-v2 against independent references: token ids
 * against Hugging Face `tokenizers` (STS-B test sentences and the hand-written
 * hard cases), relative position buckets against transformers, sentence
 * embeddings against sentence-transformers on the ref and OpenCL backends
 * (texts re-read from the STS-B CSV), f16 weights, batch invariance with
 * padding, no silent fallback, and broken MPNet configs. Goldens come from
 * tests/reference/make_mpnet_golden.py. */
#include <csv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "log.h"
#include "model/model.h"
#include "paths.h"
#include "tap.h"

#define LONG_ROWS 20 /* as make_embedding_golden.py / make_mpnet_golden.py */
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

/* ---- sources: the STS-B CSV (Python csv semantics) and the hard cases ----------- */

struct csv_rows {
    char *(*rows)[2]; /* (n, 2) fields s1, s2 */
    size_t n, cap;
    int field;
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void on_field(void *s, size_t len, void *data)
{
    struct csv_rows *r = data;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        if (!(r->rows = realloc(r->rows, r->cap * sizeof *r->rows)))
            bail("out of memory reading the CSV");
        memset(r->rows + r->n, 0, (r->cap - r->n) * sizeof *r->rows);
    }
    if (r->field < 2)
        r->rows[r->n][r->field] = strndup(s ? s : "", s ? len : 0);
    r->field++;
}

static void on_record(int c, void *data)
{
    (void)c;
    struct csv_rows *r = data;
    if (r->field >= 2)
        r->n++;
    r->field = 0;
}

static void csv_read(const char *path, struct csv_rows *r)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        bail("cannot open %s", path);
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL))
        bail("csv_init failed");
    csv_set_space_func(&p, no_space);
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0)
        if (csv_parse(&p, buf, got, on_field, on_record, r) != got)
            bail("%s: CSV error %s", path, csv_strerror(csv_error(&p)));
    csv_fini(&p, on_field, on_record, r);
    csv_free(&p);
    fclose(fp);
}

static void csv_rows_free(struct csv_rows *r)
{
    for (size_t i = 0; i < r->cap; i++)
        for (int f = 0; f < 2; f++)
            free(r->rows[i][f]);
    free(r->rows);
}

struct text {
    char *s;
    size_t len;
};

static int hexval(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        int c = s[i] | 32;
        int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(unsigned long c, char *o)
{
    if (c < 0x80)
        return o[0] = (char)c, 1;
    if (c < 0x800)
        return o[0] = (char)(0xC0 | (c >> 6)), o[1] = (char)(0x80 | (c & 0x3F)), 2;
    if (c < 0x10000)
        return o[0] = (char)(0xE0 | (c >> 12)), o[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
               o[2] = (char)(0x80 | (c & 0x3F)), 3;
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* One case (the text after '|') with the escapes tokenizer-hard-cases.txt documents. */
static size_t decode_case(const char *s, size_t n, char *out, int line)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            out[o++] = s[i];
            continue;
        }
        char e = i + 1 < n ? s[i + 1] : '\0';
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        const char *simple = strchr("\\tnr", e);
        if (e && simple) {
            out[o++] = "\\\t\n\r"[simple - "\\tnr"];
            i++;
        } else if (digits && i + 1 + (size_t)digits < n + 1 && hexval(s + i + 2, digits) >= 0) {
            long v = hexval(s + i + 2, digits);
            o += e == 'x' ? (out[o] = (char)v, 1) : put_utf8((unsigned long)v, out + o);
            i += 1 + (size_t)digits;
        } else {
            bail("tokenizer-hard-cases.txt:%d: bad escape", line);
        }
    }
    return o;
}

/* cases[line] for every "|" line (1-based line numbers); *n_lines set. */
static struct text *read_hard_cases(const char *path, int *n_lines)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        bail("cannot open %s", path);
    struct text *cases = calloc(4096, sizeof *cases);
    char line[65536];
    int no = 0;
    while (fgets(line, sizeof line, f) && no < 4095) {
        size_t len = strcspn(line, "\n");
        if (line[len] != '\n' && !feof(f))
            bail("%s:%d: line too long", path, no + 1);
        no++;
        if (line[0] != '|')
            continue;
        cases[no].s = malloc(len + 1);
        cases[no].len = decode_case(line + 1, len - 1, cases[no].s, no);
    }
    fclose(f);
    *n_lines = no;
    return cases;
}

/* ---- tokenizer goldens --------------------------------------------------------- */

struct tok_src {
    const struct csv_rows *csv;
    const struct text *hard;
    int hard_lines;
};

static bool key_source(const struct tok_src *src, const char *key, struct text *t)
{
    int row, col, line;
    char tail;
    if (sscanf(key, "stsb-en-test.csv:%d:%d%c", &row, &col, &tail) == 2) {
        if (row < 1 || (size_t)row > src->csv->n || col < 1 || col > 2)
            return false;
        t->s = src->csv->rows[row - 1][col - 1];
        t->len = strlen(t->s);
        return true;
    }
    if (sscanf(key, "tokenizer-hard-cases.txt:%d%c", &line, &tail) == 1 && line >= 1 &&
        line <= src->hard_lines && src->hard[line].s) {
        *t = src->hard[line];
        return true;
    }
    return false;
}

static int parse_ids(char *s, int32_t *ids, int cap)
{
    int n = 0;
    for (char *tok = strtok(s, " \n"); tok; tok = strtok(NULL, " \n"))
        if (n < cap)
            ids[n++] = (int32_t)strtol(tok, NULL, 10);
        else
            return -1;
    return n;
}

/* Compare every line of a golden file; returns lines matched, *lines checked. */
static int check_tok_golden(struct bb_tokenizer *tok, const char *path, const struct tok_src *src,
                            int *lines, int *shown)
{
    FILE *f = fopen(path, "r");
    if (!f)
        bail("cannot open %s", path);
    static char line[1 << 16];
    int32_t want[1024];
    int matched = 0, count = -1;
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
        int nw = parse_ids(tab + 1, want, 1024);
        struct text t;
        if (nw < 0 || !key_source(src, line, &t)) {
            if ((*shown)++ < 10)
                ok(false, "%s: key found in its source and ids parse", line);
            continue;
        }
        if (bb_tokenizer_encode(tok, t.s, t.len, &enc, &err))
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
    return matched;
}

static void tokenizer_goldens(const char *model_dir, const struct tok_src *src)
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

struct golden {
    uint32_t count, dim;
    char source[256];
    uint32_t *keys; /* (count, 2) row, column */
    float *vec;     /* (count, dim) */
};

static uint32_t rd_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The BBGOLD1 format of tests/reference/make_embedding_golden.py. */
static void golden_load(const char *path, struct golden *g)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        bail("cannot open %s", path);
    unsigned char h[24];
    if (fread(h, 1, 24, fp) != 24 || memcmp(h, "BBGOLD1\0", 8) || rd_u32(h + 8) != 1)
        bail("%s: not a version-1 BBGOLD1 file", path);
    g->count = rd_u32(h + 12);
    g->dim = rd_u32(h + 16);
    uint32_t nl = rd_u32(h + 20);
    if (nl >= sizeof g->source || g->dim == 0 || g->dim > 65536 || g->count > 1000000 ||
        fread(g->source, 1, nl, fp) != nl)
        bail("%s: bad header", path);
    g->source[nl] = 0;
    g->keys = malloc((size_t)g->count * 2 * sizeof *g->keys);
    g->vec = malloc((size_t)g->count * g->dim * sizeof *g->vec);
    size_t item_len = 8 + 4 * (size_t)g->dim;
    unsigned char *item = malloc(item_len);
    for (uint32_t i = 0; i < g->count; i++) {
        if (fread(item, 1, item_len, fp) != item_len)
            bail("%s: truncated at item %u", path, i);
        g->keys[2 * i] = rd_u32(item);
        g->keys[2 * i + 1] = rd_u32(item + 4);
        for (uint32_t d = 0; d < g->dim; d++) {
            uint32_t u = rd_u32(item + 8 + 4 * d);
            memcpy(&g->vec[(size_t)i * g->dim + d], &u, 4);
        }
    }
    free(item);
    fclose(fp);
}

/* Text of a golden key: a field, or (column 2) the join of LONG_ROWS rows. */
static char *key_text(const struct csv_rows *r, uint32_t row, uint32_t col)
{
    if (row >= r->n || col > 2)
        bail("golden key (%u, %u) is outside the CSV", row, col);
    if (col < 2)
        return strdup(r->rows[row][col]);
    size_t len = 1;
    for (uint32_t i = row; i < row + LONG_ROWS && i < r->n; i++)
        len += strlen(r->rows[i][0]) + strlen(r->rows[i][1]) + 2;
    char *s = calloc(1, len);
    for (uint32_t i = row; i < row + LONG_ROWS && i < r->n; i++)
        for (int c = 0; c < 2; c++) {
            if (*s)
                strcat(s, " ");
            strcat(s, r->rows[i][c]);
        }
    return s;
}

struct cmp {
    double worst_cos, max_abs;
    size_t worst_i;
};

static struct cmp compare(const float *a, const float *b, size_t n, size_t dim)
{
    struct cmp c = {1.0, 0.0, 0};
    for (size_t i = 0; i < n; i++) {
        double dot = 0, na = 0, nb = 0;
        for (size_t d = 0; d < dim; d++) {
            double x = a[i * dim + d], y = b[i * dim + d];
            dot += x * y;
            na += x * x;
            nb += y * y;
            c.max_abs = fmax(c.max_abs, fabs(x - y));
        }
        double cs = dot / (sqrt(na) * sqrt(nb) + 1e-30);
        if (!(cs >= c.worst_cos)) { /* NaN counts as worst */
            c.worst_cos = isnan(cs) ? -2 : cs;
            c.worst_i = i;
        }
    }
    return c;
}

static size_t golden_limit(size_t n)
{
    const char *s = getenv("BIASBENCH_GOLDEN_LIMIT");
    long v = s ? strtol(s, NULL, 10) : 0;
    return v > 0 && (size_t)v < n ? (size_t)v : n;
}

struct ctx {
    const char *model_dir;
    struct golden g;
    char **texts; /* (g.count) */
};

static struct bb_model *load(const struct ctx *cx, struct bb_backend *be, enum bb_dtype w,
                             const char *what)
{
    struct bb_model_opts o = {.weights = w};
    struct bb_model *m = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_model_load(cx->model_dir, be, &o, &m, &err);
    if (!is_int(BB_OK, st, "%s: model loads", what))
        diag("%s", err.msg);
    else
        diag("%s: load + upload %.2f s", what, bb_model_load_seconds(m));
    return m;
}

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
    struct bb_model *m = load(cx, be, BB_F32, "ref");
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

static void encode(struct bb_model *m, const char *text, struct bb_encoding *e)
{
    struct bb_error err = {0};
    if (bb_tokenizer_encode(bb_model_tokenizer(m), text, strlen(text), e, &err))
        bail("tokenize: %s", err.msg);
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
        encode(m, cx->texts[i * 5], &probe[i]);
        if (bb_model_embed_batch(m, &probe[i], 1, alone + i * dim, &err))
            bail("%s", err.msg);
    }
    encode(m, cx->texts[cx->g.count - 1], &longs[0]);
    encode(m, cx->texts[cx->g.count - 2], &longs[1]);
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

static void run_f16(const struct ctx *cx, struct bb_backend *be, const float *f32, size_t n)
{
    struct bb_model *m = load(cx, be, BB_F16, "opencl f16 weights");
    if (!m)
        return;
    float *out = malloc(n * cx->g.dim * sizeof(float));
    struct bb_error err = {0};
    enum bb_status st = bb_model_embed_texts(m, (const char *const *)cx->texts, n, 32, out, &err);
    if (is_int(BB_OK, st, "opencl f16: embed %zu texts", n)) {
        struct cmp c = compare(out, f32, n, cx->g.dim);
        ok(c.worst_cos >= 0.9999, "opencl f16: worst cosine to the f32 result %.7f >= 0.9999",
           c.worst_cos);
        c = compare(out, cx->g.vec, n, cx->g.dim);
        diag("opencl f16 vs sentence-transformers: worst cosine %.7f, max abs diff %.3g",
             c.worst_cos, c.max_abs);
    } else {
        diag("%s", err.msg);
    }
    free(out);
    bb_model_free(m);
}

static void run_opencl(const struct ctx *cx)
{
    struct bb_backend *be = NULL, *spy = NULL;
    struct bb_error err = {0};
    struct bb_backend_opts o = {.device = "auto"};
    enum bb_status st = bb_backend_create("opencl", &o, &be, &err);
    if (st == BB_E_NODEVICE && !getenv("CI")) {
        skip("no OpenCL device: %s", err.msg);
        return;
    }
    if (!is_int(BB_OK, st, "opencl backend created")) {
        diag("%s", err.msg);
        return;
    }
    diag("opencl device: %s (%s)", be->info.name, be->info.platform);
    if (bb_backend_create("ref", NULL, &spy, &err))
        bail("ref backend: %s", err.msg);
    struct bb_model *m = load(cx, be, BB_F32, "opencl");
    if (m) {
        size_t n = golden_limit(cx->g.count);
        float *out = malloc(n * cx->g.dim * sizeof(float));
        uint64_t before[BB_OP_COUNT];
        memcpy(before, be->op_count, sizeof before);
        golden_check(m, cx, n, "opencl", out);
        op_counts(be, before, 12, n, spy);
        batch_invariance(m, cx);
        bb_model_free(m);
        run_f16(cx, be, out, n < F16_MAX ? n : F16_MAX);
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
    csv_read(test_shared_data(cx.g.source), &csv);
    ok(cx.g.count >= 200 && cx.g.dim == 768, "golden: %u texts of dim %u from %s", cx.g.count,
       cx.g.dim, cx.g.source);
    cx.texts = calloc(cx.g.count, sizeof *cx.texts);
    for (uint32_t i = 0; i < cx.g.count; i++)
        cx.texts[i] = key_text(&csv, cx.g.keys[2 * i], cx.g.keys[2 * i + 1]);

    int hard_lines = 0;
    struct text *hard = read_hard_cases(test_src_path("tests/data/tokenizer-hard-cases.txt"),
                                        &hard_lines);
    struct tok_src src = {&csv, hard, hard_lines};
    tokenizer_goldens(cx.model_dir, &src);
    bucket_golden();
    run_ref(&cx);
    run_opencl(&cx);
    bad_config(&cx, "buckets", "relative_attention_num_buckets", "16", BB_E_INPUT,
               "'relative_attention_num_buckets'");
    bad_config(&cx, "heads", "num_attention_heads", "16", BB_E_INPUT,
               "tensor 'encoder.relative_attention_bias.weight': shape [32, 12]");
    too_long(&cx);

    for (int i = 0; i <= hard_lines; i++)
        free(hard[i].s);
    free(hard);
    for (uint32_t i = 0; i < cx.g.count; i++)
        free(cx.texts[i]);
    free(cx.texts);
    free(cx.g.keys);
    free(cx.g.vec);
    csv_rows_free(&csv);
    return tap_failures() ? 1 : 0;
}
