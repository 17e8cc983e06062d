/* counterfactual.c: the `counterfactual` task. Templates x filler lists
 * (template.h) give sentences that differ only in the group term; the model
 * scores each sentence, and bias.c aggregates the scores per group.
 *
 * Slot roles from the suite: the filler dataset that maps the most factor
 * columns (first on ties) fills the group slot (e.g. {person}: names with
 * gender and race); another filler dataset that maps a factor the group
 * dataset also maps agrees with it on the first such factor (e.g.
 * {pronoun}, {possessive} on gender); the rest are context slots (every value
 * starts new counterfactual sets). Attributes of an item are those of its
 * group filler. --limit keeps the first N templates (never part of a set).
 *
 * Score per sentence (suite score.type):
 *   zero-shot   p(positive_label) = softmax(cos / T) over the label prompts
 *               (T = BB_LABEL_TEMPERATURE); predicted label = the largest
 *               cosine; "selected" = predicted label is positive_label. A
 *               template's optional gold label (its value or name among the
 *               labels) gives equalized odds.
 *               A language model (no embeddings) scores with the score's
 *               template ({text} = the sentence) and one verbalizer per
 *               label: p(positive_label) = softmax over the verbalizers'
 *               log-likelihoods (T = 1); everything after is unchanged.
 *   similarity  mean cosine to the prompts; "selected" = scoring rate (score
 *               above the median of the grouped sentences, LL144); no
 *               equalized odds.
 *
 * Groupings: each factor alone, then the intersection of all factors when
 * there are several ("gender&race"). Group names "gender=female",
 * "gender=female&race=black", in order of first appearance.
 *
 * Rows (kind bias, dataset = the templates' dataset id):
 *   per group (group = its name):
 *     mean_score (CI: bootstrap over the group's sentences; direction none)
 *     selection_rate | scoring_rate (Wilson CI; none)
 *     impact_ratio (IR against the highest-rate group that is not small;
 *       p_value = z-test (both n >= 30) or Fisher vs that group; higher is
 *       better, ideal 1; the report labels it "impact ratio (four-fifths
 *       convention)"; p_adjusted / adjust_method: adjusted over every
 *       impact-ratio test of the task)
 *     each with results.csv's small_group column 1 when n < 2% of the grouped
 *     sentences (the group is still listed, but left out of the IR maximum),
 *     else 0 (empty on every other row)
 *   per pair of groups of one grouping (group "A vs B"):
 *     score_gap = mean over sets of (mean_A - mean_B) in that set; CI:
 *       bootstrap over sets; p_value: sign-flip permutation test over sets;
 *       n = sets; direction none (ideal 0); p_adjusted / adjust_method:
 *       adjusted over every gap of the task
 *   per grouping (group = "gender", "race", "gender&race"):
 *     max_abs_score_gap (the pair with the largest |gap|; lower is better),
 *     demographic_parity_difference (lower), demographic_parity_ratio
 *     (higher), equalized_odds_difference (lower), equalized_odds_ratio
 *     (higher); CIs by bootstrap over sentences
 *   max_abs_score_gap, group all: the largest over every grouping (headline).
 * Per item: item_id "<template id>/<fillers joined by '+'>", template, set,
 * one column per factor, filler (the group term), text, score, pred (label
 * name; empty for similarity), gold (template label; empty when none). */
#include "tasks/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "metrics/bias.h"
#include "suite/template.h"

/* ---- loading: templates and filler lists ------------------------------------ */

/* The templates: the suite dataset (its mapping, --limit and manifest record
 * through the task helpers) read by template.c; an `id` column is optional. */
static enum bb_status load_templates(struct bb_task_ctx *ctx, const struct bb_suite_dataset *ds,
                                     struct bb_template_set *out, struct bb_error *err)
{
    struct bb_table *t = NULL;
    memset(out, 0, sizeof *out);
    enum bb_status st = bb_task_load_table(ctx, ds, &t, err);
    if (!st)
        st = bb_templates_from_table(t, bb_task_limit(ctx, bb_table_rows(t)), true, out, err);
    bb_table_free(t);
    return st;
}

/* Factors of the task that dataset ds maps (a column for the factor role). */
static size_t mapped_factors(const struct bb_suite_counterfactual *cf,
                             const struct bb_suite_dataset *ds)
{
    size_t k = 0;
    for (size_t f = 0; f < cf->factors.n; f++)
        k += bb_suite_dataset_column(ds, cf->factors.v[f]) != NULL;
    return k;
}

/* Role of each filler list (see the header comment). */
static enum bb_status slot_roles(const struct bb_suite_counterfactual *cf, enum bb_slot_role *role,
                                 const char **agree_on, struct bb_error *err)
{
    size_t best = 0, gi = 0;
    for (size_t i = 0; i < cf->n_fillers; i++) {
        size_t k = mapped_factors(cf, cf->fillers[i].dataset);
        if (k > best)
            best = k, gi = i;
    }
    if (!best)
        return bb_fail(err, BB_E_INPUT, "counterfactual task: no filler dataset maps a column to "
                       "any factor (%s...); give the names' attributes in its columns",
                       cf->factors.n ? cf->factors.v[0] : "none");
    for (size_t i = 0; i < cf->n_fillers; i++) {
        role[i] = i == gi ? BB_SLOT_GROUP : BB_SLOT_CONTEXT;
        agree_on[i] = NULL;
        for (size_t f = 0; i != gi && f < cf->factors.n && !agree_on[i]; f++) {
            const char *fac = cf->factors.v[f];
            if (bb_suite_dataset_column(cf->fillers[i].dataset, fac) &&
                bb_suite_dataset_column(cf->fillers[gi].dataset, fac)) {
                role[i] = BB_SLOT_AGREE;
                agree_on[i] = fac;
            }
        }
    }
    return BB_OK;
}

/* One filler list from a suite dataset, read by template.c: value = role
 * 'value', attributes = the task's factors the dataset maps. */
static enum bb_status load_filler(struct bb_task_ctx *ctx, const struct bb_suite_filler *sf,
                                  enum bb_slot_role role, const char *agree_on,
                                  struct bb_filler_list *l, struct bb_error *err)
{
    const struct bb_suite_counterfactual *cf = &ctx->task->u.counterfactual;
    struct bb_table *t = NULL;
    const char *keys[64];
    size_t nk = 0;
    memset(l, 0, sizeof *l);
    for (size_t f = 0; f < cf->factors.n && nk < 64; f++)
        if (bb_suite_dataset_column(sf->dataset, cf->factors.v[f]))
            keys[nk++] = cf->factors.v[f];
    enum bb_status st = bb_task_load_table(ctx, sf->dataset, &t, err);
    if (!st)
        st = bb_filler_list_from_table(t, sf->placeholder, role, agree_on, keys, nk, l, err);
    bb_table_free(t);
    return st;
}

/* ---- scoring ------------------------------------------------------------------- */

struct scored {
    size_t n;
    double *score;
    int *pred;       /* NULL for similarity scoring */
    int *gold;       /* -1 when the template has no label; NULL when none has */
    size_t *pred_label;
};

static void scored_free(struct scored *s)
{
    free(s->score);
    free(s->pred);
    free(s->gold);
    free(s->pred_label);
}

/* Index of the label whose value (or name) is v; -1 when none. */
static long label_of(const struct bb_suite_labels *L, const char *v)
{
    for (size_t i = 0; i < L->n; i++)
        if (!strcmp(L->v[i].value, v) || !strcmp(L->v[i].name, v))
            return (long)i;
    return -1;
}

static enum bb_status gold_labels(const struct bb_suite_counterfactual *cf,
                                  const struct bb_cf_expansion *x, struct scored *s,
                                  struct bb_error *err)
{
    bool any = false;
    for (size_t i = 0; i < x->n; i++)
        any |= bb_cf_item_template(x, i)->label != NULL;
    if (!any)
        return BB_OK;
    if (!(s->gold = malloc(x->n * sizeof *s->gold)))
        return bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
    for (size_t i = 0; i < x->n; i++) {
        const struct bb_template *t = bb_cf_item_template(x, i);
        long k = t->label ? label_of(&cf->labels, t->label) : -2;
        if (k == -1)
            return bb_fail(err, BB_E_INPUT, "%s: template '%s': label '%s' is none of the task's "
                           "labels (give a label's value or name)", cf->templates->id, t->id,
                           t->label);
        s->gold[i] = k < 0 ? -1 : k == (long)cf->positive_label;
    }
    return BB_OK;
}

static enum bb_status score_zero_shot(struct bb_task_ctx *ctx, const float *emb,
                                      const struct bb_cf_expansion *x, struct scored *s,
                                      struct bb_error *err)
{
    const struct bb_suite_counterfactual *cf = &ctx->task->u.counterfactual;
    int dim = bb_task_dim(ctx);
    size_t nl = cf->labels.n;
    float *lab = malloc(nl * (size_t)dim * sizeof *lab); // (n_labels, dim)
    double *cos = malloc(nl * sizeof *cos), *prob = malloc(nl * sizeof *prob);
    s->pred = malloc(x->n * sizeof *s->pred);
    s->pred_label = malloc(x->n * sizeof *s->pred_label);
    enum bb_status st = BB_OK;
    if (!lab || !cos || !prob || !s->pred || !s->pred_label) {
        st = bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
        goto done;
    }
    if ((st = bb_task_label_embeddings(ctx, &cf->labels, lab, err)))
        goto done;
    for (size_t i = 0; i < x->n; i++) {
        bb_vec_cosines(emb + i * (size_t)dim, lab, nl, dim, cos);
        bb_vec_softmax(cos, nl, BB_LABEL_TEMPERATURE, prob);
        s->score[i] = prob[cf->positive_label];
        s->pred_label[i] = bb_vec_argmax(cos, nl);
        s->pred[i] = s->pred_label[i] == cf->positive_label;
    }
    st = gold_labels(cf, x, s, err);
done:
    free(lab);
    free(cos);
    free(prob);
    return st;
}

static enum bb_status score_similarity(struct bb_task_ctx *ctx, const float *emb,
                                       const struct bb_cf_expansion *x, struct scored *s,
                                       struct bb_error *err)
{
    const struct bb_strlist *P = &ctx->task->u.counterfactual.prompts;
    int dim = bb_task_dim(ctx);
    float *pe = malloc(P->n * (size_t)dim * sizeof *pe); // (n_prompts, dim)
    enum bb_status st = pe ? BB_OK : bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
    if (!st)
        st = bb_task_embed(ctx, P->v, P->n, pe, err);
    for (size_t i = 0; i < x->n && !st; i++) {
        double sum = 0;
        for (size_t k = 0; k < P->n; k++)
            sum += bb_vec_cosine(emb + i * (size_t)dim, pe + k * (size_t)dim, dim);
        s->score[i] = sum / (double)P->n;
    }
    free(pe);
    return st;
}

/* A language model: p(positive) = softmax over the labels' verbalizer
 * log-likelihoods after the score's template with {text} = the sentence. */
static enum bb_status score_lm(struct bb_task_ctx *ctx, const struct bb_cf_expansion *x,
                               struct scored *s, struct bb_error *err)
{
    const struct bb_suite_counterfactual *cf = &ctx->task->u.counterfactual;
    char pos[512];
    if (cf->score_type != BB_SCORE_ZERO_SHOT || !cf->template)
        return bb_fail(err, BB_E_INPUT, "%s: task '%s': model '%s' is a %s; it scores sentences "
                       "with score type zero-shot, a template with {text} and a verbalizer per "
                       "label", bb_task_pos(ctx, pos, sizeof pos), ctx->task->id, ctx->model_id,
                       bb_model_kind(ctx->model));
    enum bb_status st = bb_task_require(ctx, BB_CAP_LOGLIK, err);
    if (st)
        return st;
    size_t nl = cf->labels.n, n = x->n;
    const char **texts = malloc(n * sizeof *texts);
    double *ll = malloc(n * nl * sizeof *ll), *prob = malloc(nl * sizeof *prob);
    s->score = malloc(n * sizeof *s->score);
    s->pred = malloc(n * sizeof *s->pred);
    s->pred_label = malloc(n * sizeof *s->pred_label);
    if (!texts || !ll || !prob || !s->score || !s->pred || !s->pred_label) {
        st = bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory for %zu sentences", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        texts[i] = x->items[i].text;
    if ((st = bb_task_lm_label_scores(ctx, cf->template, &cf->labels, texts, n, ll, err)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        bb_vec_softmax(ll + i * nl, nl, 1.0, prob);
        s->score[i] = prob[cf->positive_label];
        s->pred_label[i] = bb_vec_argmax(ll + i * nl, nl);
        s->pred[i] = s->pred_label[i] == cf->positive_label;
    }
    st = gold_labels(cf, x, s, err);
done:
    free(texts);
    free(ll);
    free(prob);
    return st;
}

static enum bb_status score_all(struct bb_task_ctx *ctx, const struct bb_cf_expansion *x,
                                struct scored *s, struct bb_error *err)
{
    if (!(bb_model_caps(ctx->model) & BB_CAP_EMBED)) {
        memset(s, 0, sizeof *s);
        s->n = x->n;
        return score_lm(ctx, x, s, err);
    }
    int dim = bb_task_dim(ctx);
    memset(s, 0, sizeof *s);
    s->n = x->n;
    const char **texts = malloc(x->n * sizeof *texts);
    float *emb = malloc(x->n * (size_t)dim * sizeof *emb); // (n, dim)
    s->score = malloc(x->n * sizeof *s->score);
    enum bb_status st = BB_OK;
    if (!texts || !emb || !s->score) {
        st = bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory for %zu sentences", x->n);
        goto done;
    }
    for (size_t i = 0; i < x->n; i++)
        texts[i] = x->items[i].text;
    if ((st = bb_task_embed(ctx, texts, x->n, emb, err)))
        goto done;
    if (ctx->task->u.counterfactual.score_type == BB_SCORE_ZERO_SHOT)
        st = score_zero_shot(ctx, emb, x, s, err);
    else
        st = score_similarity(ctx, emb, x, s, err);
done:
    free(texts);
    free(emb);
    return st;
}

/* ---- groupings -------------------------------------------------------------- */

struct grouping {
    char *name;
    int n_groups;
    char **names;
    int *gid;
    struct bb_cf_result res;
};

static void grouping_free(struct grouping *g)
{
    for (int k = 0; k < g->n_groups; k++)
        free(g->names[k]);
    free(g->names);
    free(g->gid);
    free(g->name);
    bb_cf_result_free(&g->res);
}

/* Group of item i under factors f[0..nf): "f1=v1&f2=v2"; false when the item
 * lacks one of them. */
static bool group_key(const struct bb_cf_expansion *x, size_t i, const struct bb_strlist *F,
                      const size_t *f, size_t nf, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t j = 0; j < nf; j++) {
        const char *v = bb_cf_item_attr(x, i, F->v[f[j]]);
        if (!v || !*v)
            return false;
        k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s=%s", j ? "&" : "", F->v[f[j]], v);
    }
    return k < n;
}

static enum bb_status make_grouping(const struct bb_cf_expansion *x, const struct bb_strlist *F,
                                    const size_t *f, size_t nf, struct grouping *g,
                                    struct bb_error *err)
{
    char key[1024], name[512] = "";
    memset(g, 0, sizeof *g);
    g->res.largest = -1;
    size_t k = 0;
    for (size_t j = 0; j < nf; j++)
        k += (size_t)snprintf(name + k, k < sizeof name ? sizeof name - k : 0, "%s%s",
                              j ? "&" : "", F->v[f[j]]);
    g->name = strdup(name);
    g->gid = malloc(x->n * sizeof *g->gid);
    g->names = calloc(x->n ? x->n : 1, sizeof *g->names);
    if (!g->name || !g->gid || !g->names)
        return bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
    for (size_t i = 0; i < x->n; i++) {
        g->gid[i] = -1;
        if (!group_key(x, i, F, f, nf, key, sizeof key))
            continue;
        int q = 0;
        while (q < g->n_groups && strcmp(g->names[q], key))
            q++;
        if (q == g->n_groups && !(g->names[g->n_groups++] = strdup(key)))
            return bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
        g->gid[i] = q;
    }
    return BB_OK;
}

static enum bb_status analyze(struct bb_task_ctx *ctx, const struct scored *s,
                              const struct bb_cf_expansion *x, struct grouping *g,
                              struct bb_error *err)
{
    char purpose[600];
    struct bb_cf_input in = {s->n, s->score, NULL, x->n_sets, s->pred, s->gold};
    size_t *set = malloc(x->n * sizeof *set);
    if (!set)
        return bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
    for (size_t i = 0; i < x->n; i++)
        set[i] = x->items[i].set_id;
    in.set_id = set;
    struct bb_cf_grouping cg = {g->name, g->n_groups, (const char *const *)g->names, g->gid};
    snprintf(purpose, sizeof purpose, "bootstrap/%s", g->name);
    struct bb_cf_opts o = {bb_task_bootstrap_opts(ctx, purpose),
                           (uint64_t)(ctx->permutations > 0 ? ctx->permutations : 100000), 0};
    if (ctx->bootstrap <= 0)
        o.boot.replicates = 0;
    snprintf(purpose, sizeof purpose, "signflip/%s", g->name);
    o.perm_seed = bb_task_subseed(ctx, purpose);
    enum bb_status st = bb_cf_analyze(&in, &cg, &o, &g->res, err);
    free(set);
    return st;
}

/* ---- rows -------------------------------------------------------------------- */

struct emitter {
    struct bb_task_ctx *ctx;
    const char *dataset;
    const char *corr; /* "holm", "bh"; NULL for none */
    enum bb_status st;
    struct bb_error *err;
    enum bb_small_group small; /* the small_group flag of the rows emitted now */
};

/* A row; p_adj: its p adjusted over the task's family (NAN: none). */
static void row_adj(struct emitter *e, const char *metric, const char *group, double v, double lo,
                    double hi, long n, double p, double p_adj, enum bb_direction dir)
{
    if (e->st)
        return;
    struct bb_task_row r = bb_task_row_make(metric, v, n, dir, BB_KIND_BIAS);
    r.dataset = e->dataset;
    r.group = group;
    r.ci_low = lo;
    r.ci_high = hi;
    r.p_value = p;
    if (e->corr && !isnan(p_adj))
        r.p_adjusted = p_adj, r.adjust_method = e->corr;
    e->st = bb_task_emit(e->ctx, &r, e->err);
    if (!e->st && e->small) /* a flag of the row, not a metric: set on the row just added */
        e->ctx->results->rows[e->ctx->results->n - 1].small_group = e->small;
}

static void row(struct emitter *e, const char *metric, const char *group, double v, double lo,
                double hi, long n, double p, enum bb_direction dir)
{
    row_adj(e, metric, group, v, lo, hi, n, p, NAN, dir);
}

static void abs_ci(double lo, double hi, double *alo, double *ahi)
{
    if (isnan(lo) || isnan(hi))
        *alo = *ahi = NAN;
    else if (lo >= 0)
        *alo = lo, *ahi = hi;
    else if (hi <= 0)
        *alo = -hi, *ahi = -lo;
    else
        *alo = 0, *ahi = fmax(-lo, hi);
}

static void emit_groups(struct emitter *e, const struct grouping *g, const double *ir_adj,
                        bool similarity)
{
    for (int k = 0; k < g->n_groups; k++) {
        const struct bb_cf_group_stat *s = &g->res.groups[k];
        const char *name = g->names[k];
        e->small = s->rate.small ? BB_SMALL_YES : BB_SMALL_NO;
        row(e, "mean_score", name, s->mean, s->ci_low, s->ci_high, (long)s->n, NAN, BB_DIR_NONE);
        row(e, similarity ? "scoring_rate" : "selection_rate", name, s->rate.rate, s->rate.ci_low,
            s->rate.ci_high, (long)s->rate.n, NAN, BB_DIR_NONE);
        row_adj(e, "impact_ratio", name, s->rate.impact_ratio, NAN, NAN, (long)s->rate.n,
                s->rate.p_value, ir_adj[k], BB_DIR_HIGHER);
        e->small = BB_SMALL_UNSET;
    }
}

static void emit_gaps(struct emitter *e, const struct grouping *g, const double *gap_adj)
{
    for (size_t k = 0; k < g->res.n_gaps; k++) {
        const struct bb_cf_gap *gp = &g->res.gaps[k];
        char name[1200];
        snprintf(name, sizeof name, "%s vs %s", g->names[gp->a], g->names[gp->b]);
        row_adj(e, "score_gap", name, gp->gap, gp->ci_low, gp->ci_high, (long)gp->n_sets,
                gp->p_value, gap_adj[k], BB_DIR_NONE);
    }
}

static void emit_factor(struct emitter *e, const struct grouping *g)
{
    const struct bb_cf_result *r = &g->res;
    if (!g->n_groups)
        return;
    if (r->largest >= 0) {
        const struct bb_cf_gap *gp = &r->gaps[r->largest];
        double lo, hi;
        abs_ci(gp->ci_low, gp->ci_high, &lo, &hi);
        row(e, "max_abs_score_gap", g->name, fabs(gp->gap), lo, hi, (long)gp->n_sets, gp->p_value,
            BB_DIR_LOWER);
    }
    long nr = (long)r->n_rated;
    row(e, "demographic_parity_difference", g->name, r->dp.difference, r->dp_diff_low,
        r->dp_diff_high, nr, NAN, BB_DIR_LOWER);
    row(e, "demographic_parity_ratio", g->name, r->dp.ratio, r->dp_ratio_low, r->dp_ratio_high, nr,
        NAN, BB_DIR_HIGHER);
    if (!r->has_eo)
        return;
    row(e, "equalized_odds_difference", g->name, r->eo.difference, r->eo_diff_low,
        r->eo_diff_high, (long)r->n_labelled, NAN, BB_DIR_LOWER);
    row(e, "equalized_odds_ratio", g->name, r->eo.ratio, NAN, NAN, (long)r->n_labelled, NAN,
        BB_DIR_HIGHER);
}

/* Adjust the gap p-values and the impact-ratio p-values of every grouping
 * (two families), then emit every row. */
static enum bb_status emit_all(struct bb_task_ctx *ctx, struct grouping *g, size_t ng,
                               bool similarity, struct bb_error *err)
{
    enum bb_suite_correction c = ctx->suite->defaults.correction;
    size_t m_gap = 0, m_ir = 0;
    for (size_t i = 0; i < ng; i++)
        m_gap += g[i].res.n_gaps, m_ir += (size_t)g[i].n_groups;
    double *p = malloc((m_gap + m_ir + 1) * sizeof *p),
           *adj = malloc((m_gap + m_ir + 1) * sizeof *adj);
    struct emitter e = {ctx, ctx->task->u.counterfactual.templates->id,
                        c == BB_SUITE_CORRECTION_NONE ? NULL : bb_suite_correction_name(c), BB_OK,
                        err, BB_SMALL_UNSET};
    if (!p || !adj) {
        e.st = bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < ng; i++)
        for (size_t j = 0; j < g[i].res.n_gaps; j++)
            p[k++] = g[i].res.gaps[j].p_value;
    for (size_t i = 0; i < ng; i++)
        for (int j = 0; j < g[i].n_groups; j++)
            p[k++] = g[i].res.groups[j].rate.p_value;
    if ((e.st = bb_bias_adjust(p, m_gap, c, adj, err)) ||
        (e.st = bb_bias_adjust(p + m_gap, m_ir, c, adj + m_gap, err)))
        goto done;
    size_t kg = 0, ki = m_gap;
    long best = -1;
    double best_v = -1;
    for (size_t i = 0; i < ng; i++) {
        emit_groups(&e, &g[i], adj + ki, similarity);
        emit_gaps(&e, &g[i], adj + kg);
        emit_factor(&e, &g[i]);
        kg += g[i].res.n_gaps;
        ki += (size_t)g[i].n_groups;
        if (g[i].res.largest >= 0 && fabs(g[i].res.gaps[g[i].res.largest].gap) > best_v)
            best_v = fabs(g[i].res.gaps[g[i].res.largest].gap), best = (long)i;
    }
    if (!e.st && best >= 0) {
        const struct bb_cf_gap *gp = &g[best].res.gaps[g[best].res.largest];
        struct bb_task_row r = bb_task_row_make("max_abs_score_gap", fabs(gp->gap),
                                                (long)gp->n_sets, BB_DIR_LOWER, BB_KIND_BIAS);
        r.dataset = e.dataset;
        abs_ci(gp->ci_low, gp->ci_high, &r.ci_low, &r.ci_high);
        r.p_value = gp->p_value;
        r.headline = true;
        e.st = bb_task_emit(ctx, &r, err);
    }
done:
    free(p);
    free(adj);
    return e.st;
}

/* ---- per-item file ------------------------------------------------------------- */

static enum bb_status write_items(struct bb_task_ctx *ctx, const struct bb_cf_expansion *x,
                                  const struct scored *s, struct bb_error *err)
{
    const struct bb_suite_counterfactual *cf = &ctx->task->u.counterfactual;
    size_t nf = cf->factors.n, nc = 8 + nf;
    const char **cols = malloc(nc * sizeof *cols);
    struct bb_items *w = NULL;
    enum bb_status st = cols ? BB_OK : bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
    if (st)
        return st;
    size_t c = 0;
    cols[c++] = "item_id", cols[c++] = "template", cols[c++] = "set";
    for (size_t f = 0; f < nf; f++)
        cols[c++] = cf->factors.v[f];
    cols[c++] = "filler", cols[c++] = "text", cols[c++] = "score", cols[c++] = "pred";
    cols[c++] = "gold";
    if ((st = bb_items_open(ctx, NULL, cols, nc, &w, err)))
        goto done;
    for (size_t i = 0; i < x->n && !st; i++) {
        const struct bb_template *t = bb_cf_item_template(x, i);
        char id[2048];
        size_t k = (size_t)snprintf(id, sizeof id, "%s/", t->id);
        bool first = true;
        for (size_t l = 0; l < x->n_lists; l++) {
            size_t e = x->items[i].fill[l];
            if (e == BB_CF_UNUSED || k >= sizeof id)
                continue;
            k += (size_t)snprintf(id + k, sizeof id - k, "%s%s", first ? "" : "+",
                                  x->lists[l].items[e].value);
            first = false;
        }
        bb_items_str(w, id);
        bb_items_str(w, t->id);
        bb_items_int(w, (long)x->items[i].set_id);
        for (size_t f = 0; f < nf; f++)
            bb_items_str(w, bb_cf_item_attr(x, i, cf->factors.v[f]));
        bb_items_str(w, bb_cf_item_group_value(x, i));
        bb_items_str(w, x->items[i].text);
        bb_items_num(w, s->score[i]);
        bb_items_str(w, s->pred_label ? cf->labels.v[s->pred_label[i]].name : NULL);
        bb_items_str(w, t->label);
        st = bb_items_end_row(w, err);
    }
    if (!st)
        st = bb_items_commit(w, err), w = NULL;
done:
    bb_items_abort(w);
    free(cols);
    return st;
}

/* ---- the task ------------------------------------------------------------------ */

static enum bb_status load_all(struct bb_task_ctx *ctx, struct bb_template_set *ts,
                               struct bb_filler_list *lists, struct bb_error *err)
{
    const struct bb_suite_counterfactual *cf = &ctx->task->u.counterfactual;
    enum bb_slot_role role[64];
    const char *agree_on[64];
    if (cf->n_fillers > 64)
        return bb_fail(err, BB_E_INPUT, "counterfactual task '%s': more than 64 filler slots",
                       ctx->task->id);
    enum bb_status st = slot_roles(cf, role, agree_on, err);
    if (!st)
        st = load_templates(ctx, cf->templates, ts, err);
    for (size_t i = 0; i < cf->n_fillers && !st; i++)
        st = load_filler(ctx, &cf->fillers[i], role[i], agree_on[i], &lists[i], err);
    return st;
}

static enum bb_status make_groupings(const struct bb_suite_counterfactual *cf,
                                     const struct bb_cf_expansion *x, struct grouping *g,
                                     size_t *ng, struct bb_error *err)
{
    size_t all[64], nf = cf->factors.n < 64 ? cf->factors.n : 64;
    enum bb_status st = BB_OK;
    *ng = 0;
    for (size_t f = 0; f < nf && !st; f++) {
        all[f] = f;
        st = make_grouping(x, &cf->factors, &all[f], 1, &g[(*ng)++], err);
    }
    if (!st && nf > 1)
        st = make_grouping(x, &cf->factors, all, nf, &g[(*ng)++], err);
    return st;
}

enum bb_status bb_task_counterfactual(struct bb_task_ctx *ctx, struct bb_error *err)
{
    const struct bb_suite_counterfactual *cf = &ctx->task->u.counterfactual;
    struct bb_error local = {0};
    if (!err)
        err = &local;
    struct bb_template_set ts = {0};
    struct bb_cf_expansion x;
    struct scored s;
    memset(&x, 0, sizeof x);
    memset(&s, 0, sizeof s);
    struct bb_filler_list *lists = calloc(cf->n_fillers + 1, sizeof *lists);
    struct grouping *g = calloc(cf->factors.n + 2, sizeof *g);
    size_t ng = 0;
    enum bb_status st =
        lists && g ? BB_OK : bb_fail(err, BB_E_NOMEM, "counterfactual: out of memory");
    if (!st)
        st = load_all(ctx, &ts, lists, err);
    if (!st)
        st = bb_template_expand(ts.items, ts.n, lists, cf->n_fillers, &x, err);
    if (!st && !x.n)
        st = bb_fail(err, BB_E_INPUT, "counterfactual task '%s': the templates expand to no "
                     "sentence", ctx->task->id);
    if (!st)
        st = score_all(ctx, &x, &s, err);
    if (!st)
        st = make_groupings(cf, &x, g, &ng, err);
    for (size_t i = 0; i < ng && !st; i++) {
        if (g[i].n_groups)
            st = analyze(ctx, &s, &x, &g[i], err);
        else
            bb_task_note_skip(ctx, g[i].name, "no sentence has a value for this factor");
    }
    if (!st)
        st = emit_all(ctx, g, ng, cf->score_type == BB_SCORE_SIMILARITY, err);
    if (!st)
        st = write_items(ctx, &x, &s, err);
    for (size_t i = 0; g && i < ng; i++)
        grouping_free(&g[i]);
    free(g);
    scored_free(&s);
    bb_cf_expansion_free(&x);
    for (size_t i = 0; lists && i < cf->n_fillers; i++)
        bb_filler_list_free(&lists[i]);
    free(lists);
    bb_templates_free(&ts);
    return st;
}
