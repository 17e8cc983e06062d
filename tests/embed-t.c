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
#include "model/model.h"
#include "tap.h"

#define REF_MAX 100  /* DESIGN.md: the ref backend's golden checks use about 100 sentences */

/* ---- batch invariance ---------------------------------------------------------------- */

/* Probes (short golden sentences) alone, then inside batches with longer
 * neighbours at various positions: every probe row must match alone. */
static void batch_invariance(struct bb_model *m, const struct golden_set *cx, const char *be_name,
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

/* ---- per backend ---------------------------------------------------------------------- */

/* Neighbours much longer than the probes: GOLDEN_LONG_ROWS-row joins (truncated at
 * 256 tokens), cut to 1/shrink of their text to keep the ref backend quick. */
static void neighbours(const struct golden_set *cx, char **out, int n, int shrink)
{
    for (int i = 0; i < n; i++) {
        char *s = key_text(&cx->csv, 40 + 10u * (uint32_t)i, 2);
        s[strlen(s) / (size_t)shrink] = 0;
        out[i] = s;
    }
}

/* Batch invariance, with neighbours cut short on the slow ref backend. */
static void minilm_extra(struct bb_model *m, const struct golden_set *cx, const char *what)
{
    char *nb[4];
    neighbours(cx, nb, 4, strcmp(what, "ref") ? 1 : 10);
    batch_invariance(m, cx, what, (const char *const *)nb, 4);
    for (int i = 0; i < 4; i++)
        free(nb[i]);
}

int main(void)
{
    plan_lazy();
    struct golden_set cx = {0};
    golden_set_open(&cx, "all-MiniLM-L6-v2", "minilm-embed.bin");
    ok(cx.g.count >= 500 && cx.g.dim == 384, "golden: %u items of dim %u from %s", cx.g.count,
       cx.g.dim, cx.g.source);

    fake_backend_refuses();
    const struct golden_run run = {.noun = "sentences", .max_abs = 1e-4, .n_layers = 6,
                                   .ref_max = REF_MAX, .f16_max = REF_MAX, .extra = minilm_extra};
    golden_run_ref(&cx, &run);
    golden_run_opencl(&cx, &run);
    golden_set_free(&cx);
    return tap_failures() ? 1 : 0;
}
