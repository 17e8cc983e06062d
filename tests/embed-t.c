/* embed-t.c: all-MiniLM-L6-v2 embeddings against sentence-transformers'
 * golden vectors (tests/golden/minilm-embed.bin, texts read from the STS-B
 * CSV at run time) on the ref and OpenCL backends; batch invariance; no
 * silent fallback (op counts, a fake backend without ops); f16 weights. */
#include <csv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "log.h"
#include "model/model.h"
#include "tap.h"

#define LONG_ROWS 20 /* as tests/reference/make_embedding_golden.py */
#define REF_MAX 100  /* DESIGN.md: the ref backend's golden checks use about 100 sentences */

/* ---- the STS-B CSV -------------------------------------------------------- */

struct csv_rows {
    char *(*rows)[3]; /* (n, 3) fields s1, s2, score */
    size_t n, cap;
    int field;
};

static void on_field(void *s, size_t len, void *data)
{
    struct csv_rows *r = data;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->rows = realloc(r->rows, r->cap * sizeof *r->rows);
        if (!r->rows)
            bail("out of memory reading the CSV");
        memset(r->rows + r->n, 0, (r->cap - r->n) * sizeof *r->rows);
    }
    if (r->field < 3)
        r->rows[r->n][r->field] = strndup(s, len);
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
    csv_init(&p, CSV_APPEND_NULL);
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
        for (int f = 0; f < 3; f++)
            free(r->rows[i][f]);
    free(r->rows);
}

/* ---- the golden file ---------------------------------------------------------- */

struct golden {
    uint32_t count, dim;
    char source[256];
    uint32_t *keys;  /* (count, 2) row, column */
    float *vec;      /* (count, dim) */
};

static uint32_t rd_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

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
    unsigned char *item = malloc(8 + 4 * (size_t)g->dim);
    for (uint32_t i = 0; i < g->count; i++) {
        if (fread(item, 1, 8 + 4 * (size_t)g->dim, fp) != 8 + 4 * (size_t)g->dim)
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

/* Text of a golden key: a field, or (column 2) a long join of LONG_ROWS rows. */
static char *key_text(const struct csv_rows *r, uint32_t row, uint32_t col)
{
    if (col < 2) {
        if (row >= r->n || !r->rows[row][col])
            bail("golden key (%u, %u) is outside the CSV", row, col);
        return strdup(r->rows[row][col]);
    }
    size_t len = 0;
    for (uint32_t i = row; i < row + LONG_ROWS && i < r->n; i++)
        len += strlen(r->rows[i][0]) + strlen(r->rows[i][1]) + 2;
    char *s = calloc(1, len + 1);
    for (uint32_t i = row; i < row + LONG_ROWS && i < r->n; i++) {
        for (int c = 0; c < 2; c++) {
            if (*s)
                strcat(s, " ");
            strcat(s, r->rows[i][c]);
        }
    }
    return s;
}

/* ---- comparisons ------------------------------------------------------------------ */

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
    struct csv_rows csv;
};

/* Embed the first n golden texts on `be` and check them against the reference. */
static void golden_check(struct bb_model *m, const struct ctx *cx, size_t n, const char *be_name,
                         float *out)
{
    struct bb_error err = {0};
    double t0 = bb_now();
    enum bb_status st = bb_model_embed_texts(m, (const char *const *)cx->texts, n, 32, out, &err);
    double dt = bb_now() - t0;
    if (!is_int(BB_OK, st, "%s: embed %zu golden sentences", be_name, n)) {
        diag("%s", err.msg);
        return;
    }
    struct cmp c = compare(out, cx->g.vec, n, cx->g.dim);
    ok(c.worst_cos >= 0.99999, "%s: worst cosine to sentence-transformers %.8f >= 0.99999 "
       "(item %zu: row %u col %u)", be_name, c.worst_cos, c.worst_i, cx->g.keys[2 * c.worst_i],
       cx->g.keys[2 * c.worst_i + 1]);
    ok(c.max_abs <= 1e-4, "%s: max abs diff %.3g <= 1e-4 over %zu x %u", be_name, c.max_abs, n,
       cx->g.dim);
    diag("%s: 1 - worst cosine = %.3g; %zu sentences in %.2f s (%.1f sentences/s, batch 32)",
         be_name, 1.0 - c.worst_cos, n, dt, n / dt);
}

/* ---- batch invariance ---------------------------------------------------------------- */

static void encode(struct bb_model *m, const char *text, struct bb_encoding *e)
{
    struct bb_error err = {0};
    if (bb_tokenizer_encode(bb_model_tokenizer(m), text, strlen(text), e, &err))
        bail("tokenize: %s", err.msg);
}

/* Probes (short golden sentences) alone, then inside batches with longer
 * neighbours at various positions: every probe row must match alone. */
static void batch_invariance(struct bb_model *m, const struct ctx *cx, const char *be_name,
                             const char *const *neigh, int n_neigh)
{
    enum { NP = 3, MAXB = 12 };
    int dim = bb_model_dim(m);
    if (dim > 1024)
        bail("dim %d > 1024", dim);
    struct bb_encoding probe[NP] = {{0}}, nb[8] = {{0}};
    float alone[NP][1024], out[MAXB * 1024];
    struct bb_error err = {0};
    for (int i = 0; i < NP; i++) {
        encode(m, cx->texts[i * 3], &probe[i]);
        if (bb_model_embed_batch(m, &probe[i], 1, alone[i], &err))
            bail("%s: %s", be_name, err.msg);
    }
    for (int i = 0; i < n_neigh; i++)
        encode(m, neigh[i], &nb[i]);
    /* layouts: p = probe index, n = neighbour index (negative numbers are neighbours) */
    static const int layouts[][MAXB + 1] = {
        {3, -1, 0, -2},
        {7, 1, -1, -2, -3, 0, 2, -4},
        {2, 2, -4},
        {11, -4, -3, 0, -2, -1, 1, -4, -3, 2, -2, -1},
    };
    double worst = 0;
    int lengths_max = 0;
    for (size_t l = 0; l < sizeof layouts / sizeof *layouts; l++) {
        int b = layouts[l][0];
        struct bb_encoding batch[MAXB];
        for (int i = 0; i < b; i++) {
            int k = layouts[l][1 + i];
            batch[i] = k >= 0 ? probe[k] : nb[(-k - 1) % n_neigh];
            if (batch[i].n > lengths_max)
                lengths_max = batch[i].n;
        }
        if (bb_model_embed_batch(m, batch, b, out, &err))
            bail("%s: %s", be_name, err.msg);
        for (int i = 0; i < b; i++) {
            int k = layouts[l][1 + i];
            for (int d = 0; k >= 0 && d < dim; d++)
                worst = fmax(worst, fabs(out[(size_t)i * dim + d] - alone[k][d]));
        }
    }
    ok(worst <= 1e-5, "%s: batch invariance: probes alone vs in batches of 2..11 padded to %d "
       "tokens, max abs diff %.3g <= 1e-5", be_name, lengths_max, worst);
    for (int i = 0; i < NP; i++)
        bb_encoding_free(&probe[i]);
    for (int i = 0; i < n_neigh; i++)
        bb_encoding_free(&nb[i]);
}

/* ---- no silent fallback -------------------------------------------------------------- */

static bool no_op(struct bb_backend *be, enum bb_op_kind op)
{
    (void)be;
    (void)op;
    return false;
}

static void fake_backend_refuses(void)
{
    struct bb_backend_vtable vt = {.name = "fake", .supports_op = no_op};
    struct bb_backend fake = {.vt = &vt};
    struct bb_weight w = {0};
    struct bb_error err = {0};
    enum bb_status st[BB_OP_COUNT] = {
        bb_op_embed(&fake, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, &err),
        bb_op_matmul(&fake, NULL, &w, NULL, NULL, NULL, 1, BB_ACT_NONE, &err),
        bb_op_layernorm(&fake, NULL, NULL, NULL, NULL, 1, 1, 1e-12f, &err),
        bb_op_attention(&fake, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 1.0f, &err),
        bb_op_pool(&fake, NULL, NULL, NULL, 1, 1, 1, BB_POOL_MEAN, true, &err),
    };
    for (int k = 0; k < BB_OP_COUNT; k++)
        is_int(BB_E_UNSUPPORTED, st[k], "backend without op '%s': bb_op_%s is BB_E_UNSUPPORTED",
               bb_op_name((enum bb_op_kind)k), bb_op_name((enum bb_op_kind)k));
    contains(err.msg, "backend 'fake' does not implement op 'pool'", "message names backend and op");
    uint64_t total = 0;
    for (int k = 0; k < BB_OP_COUNT; k++)
        total += fake.op_count[k];
    is_int(0, (long long)total, "refused ops are not counted as run");
}

/* Per forward of BERT with L layers: embed 1, matmul 4L, layernorm 1+2L,
 * attention L, pool 1. The number of forwards is read from the pool count
 * (batches hold at most 32 texts, fewer where padding would dominate). */
static void op_counts(const struct bb_backend *be, const uint64_t *before, int n_layers,
                      size_t n_texts, const struct bb_backend *spy)
{
    const uint64_t per[BB_OP_COUNT] = {1, 4 * (uint64_t)n_layers, 1 + 2 * (uint64_t)n_layers,
                                       (uint64_t)n_layers, 1};
    uint64_t n_batches = be->op_count[BB_OP_POOL] - before[BB_OP_POOL];
    ok(n_batches >= (n_texts + 31) / 32 && n_batches <= n_texts,
       "%llu forwards for %zu texts at batch size 32", (unsigned long long)n_batches, n_texts);
    for (int k = 0; k < BB_OP_COUNT; k++)
        is_int((long long)(per[k] * n_batches), (long long)(be->op_count[k] - before[k]),
               "opencl ran every '%s' op itself (%llu per forward)",
               bb_op_name((enum bb_op_kind)k), (unsigned long long)per[k]);
    uint64_t spied = 0;
    for (int k = 0; k < BB_OP_COUNT; k++)
        spied += spy->op_count[k];
    is_int(0, (long long)spied, "a separately created ref backend ran no op");
}

/* ---- per backend ---------------------------------------------------------------------- */

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

/* Neighbours much longer than the probes: LONG_ROWS-row joins (truncated at
 * 256 tokens), cut to 1/shrink of their text to keep the ref backend quick. */
static void neighbours(const struct ctx *cx, char **out, int n, int shrink)
{
    for (int i = 0; i < n; i++) {
        char *s = key_text(&cx->csv, 40 + 10u * (uint32_t)i, 2);
        s[strlen(s) / (size_t)shrink] = 0;
        out[i] = s;
    }
}

static void run_ref(const struct ctx *cx)
{
    struct bb_backend *be = NULL;
    struct bb_error err = {0};
    if (bb_backend_create("ref", NULL, &be, &err))
        bail("ref backend: %s", err.msg);
    struct bb_model *m = load(cx, be, BB_F32, "ref");
    if (m) {
        size_t n = golden_limit(cx->g.count < REF_MAX ? cx->g.count : REF_MAX);
        float *out = malloc(n * cx->g.dim * sizeof(float));
        golden_check(m, cx, n, "ref", out);
        free(out);
        char *nb[4];
        neighbours(cx, nb, 4, 10);
        batch_invariance(m, cx, "ref", (const char *const *)nb, 4);
        for (int i = 0; i < 4; i++)
            free(nb[i]);
    }
    bb_model_free(m);
    bb_backend_free(be);
}

static void run_f16(const struct ctx *cx, struct bb_backend *be, const float *f32, size_t n)
{
    struct bb_model *m = load(cx, be, BB_F16, "opencl f16 weights");
    if (!m)
        return;
    float *out = malloc(n * cx->g.dim * sizeof(float));
    struct bb_error err = {0};
    enum bb_status st = bb_model_embed_texts(m, (const char *const *)cx->texts, n, 32, out, &err);
    if (is_int(BB_OK, st, "opencl f16: embed %zu sentences", n)) {
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
        op_counts(be, before, 6, n, spy);
        char *nb[4];
        neighbours(cx, nb, 4, 1);
        batch_invariance(m, cx, "opencl", (const char *const *)nb, 4);
        for (int i = 0; i < 4; i++)
            free(nb[i]);
        bb_model_free(m);
        run_f16(cx, be, out, n < REF_MAX ? n : REF_MAX);
        free(out);
    }
    bb_backend_free(spy);
    bb_backend_free(be);
}

int main(void)
{
    plan_lazy();
    struct ctx cx = {0};
    cx.model_dir = test_model_dir("all-MiniLM-L6-v2");
    golden_load(test_src_path("tests/golden/minilm-embed.bin"), &cx.g);
    csv_read(test_shared_data(cx.g.source), &cx.csv);
    ok(cx.g.count >= 500 && cx.g.dim == 384, "golden: %u items of dim %u from %s", cx.g.count,
       cx.g.dim, cx.g.source);
    cx.texts = calloc(cx.g.count, sizeof *cx.texts);
    for (uint32_t i = 0; i < cx.g.count; i++)
        cx.texts[i] = key_text(&cx.csv, cx.g.keys[2 * i], cx.g.keys[2 * i + 1]);

    fake_backend_refuses();
    run_ref(&cx);
    run_opencl(&cx);

    for (uint32_t i = 0; i < cx.g.count; i++)
        free(cx.texts[i]);
    free(cx.texts);
    free(cx.g.keys);
    free(cx.g.vec);
    csv_rows_free(&cx.csv);
    return tap_failures() ? 1 : 0;
}
