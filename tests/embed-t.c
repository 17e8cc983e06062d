/* embed-t.c: all-MiniLM-L6-v2 embeddings against sentence-transformers'
 * golden vectors (tests/golden/minilm-embed.bin, texts read from the STS-B
 * CSV at run time) on the ref and OpenCL backends; batch invariance; no
 * silent fallback (op counts, a fake backend without ops); f16 weights. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_impl.h" /* op counts, device info */
#include "golden-io.h"
#include "core/log.h"
#include "model/model.h"
#include "tap.h"

#define REF_MAX 100  /* DESIGN.md: the ref backend's golden checks use about 100 sentences */

/* ---- golden checks ------------------------------------------------------------------ */

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
        golden_encode(m, cx->texts[i * 3], &probe[i]);
        if (bb_model_embed_batch(m, &probe[i], 1, alone[i], &err))
            bail("%s: %s", be_name, err.msg);
    }
    for (int i = 0; i < n_neigh; i++)
        golden_encode(m, neigh[i], &nb[i]);
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

static bool no_op(struct bb_backend *be, enum bb_op_kind op, enum bb_dtype dtype)
{
    (void)be;
    (void)op;
    (void)dtype;
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
        bb_op_rmsnorm(&fake, NULL, NULL, NULL, 1, 1, 1e-5f, &err),
        bb_op_rope(&fake, NULL, NULL, 1, 1, 2, 2, 1e4f, BB_ROPE_NEOX, &err),
        bb_op_attn_causal(&fake, NULL, NULL, NULL, NULL, 1, 1, 0, 1, 1, 1, 1, 1.0f, &err),
        bb_op_kv_store(&fake, NULL, NULL, 1, 1, 0, 1, 1, &err),
        bb_op_glu(&fake, NULL, NULL, 1, 1, &err),
        bb_op_logprobs(&fake, NULL, NULL, NULL, NULL, 1, 1, &err),
        bb_op_copy_rows(&fake, NULL, 0, NULL, 0, 1, 1, &err),
        bb_op_get_rows(&fake, &w, NULL, NULL, 1, false, &err),
    };
    for (int k = 0; k < BB_OP_COUNT; k++)
        is_int(BB_E_UNSUPPORTED, st[k], "backend without op '%s': bb_op_%s is BB_E_UNSUPPORTED",
               bb_op_name((enum bb_op_kind)k), bb_op_name((enum bb_op_kind)k));
    contains(err.msg, "backend 'fake' does not implement op 'get_rows'",
             "message names backend and op");
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

/* Neighbours much longer than the probes: GOLDEN_LONG_ROWS-row joins (truncated at
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
    struct bb_model *m = golden_model_load(cx->model_dir, be, BB_F32, "ref");
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
        op_counts(be, before, 6, n, spy);
        char *nb[4];
        neighbours(cx, nb, 4, 1);
        batch_invariance(m, cx, "opencl", (const char *const *)nb, 4);
        for (int i = 0; i < 4; i++)
            free(nb[i]);
        bb_model_free(m);
        golden_f16_check(cx->model_dir, be, cx->texts, &cx->g, out,
                         n < REF_MAX ? n : REF_MAX, "sentences");
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
    golden_check_meta(test_src_path("tests/golden/minilm-embed.bin"), cx.model_dir);
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
    golden_free(&cx.g);
    csv_rows_free(&cx.csv);
    return tap_failures() ? 1 : 0;
}
