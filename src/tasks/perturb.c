/* perturb.c (tasks): a robustness rerun's view of the data. The runner sets
 * ctx->perturb; bb_task_load_table then hands each table of the task's own
 * dataset here, and the text roles of its type (suite/perturb.h) are
 * perturbed in place, each cell seeded by (perturb seed, perturbation id,
 * item id, role) so that every model sees the same perturbed text. Also
 * builds the swap lexicon of a `names` perturbation from its filler lists. */
#include <stdlib.h>
#include <string.h>

#include "suite/dataset.h"
#include "suite/perturb.h"
#include "tasks/task.h"

enum bb_status bb_task_perturb_table(const struct bb_task_ctx *ctx,
                                     const struct bb_suite_dataset *ds, struct bb_table *t,
                                     struct bb_error *err)
{
    const struct bb_suite_perturbation *pt = ctx->perturb;
    const char *const *roles = pt ? bb_perturb_text_roles((int)ctx->task->type) : NULL;
    if (!roles || ds != ctx->task->dataset)
        return BB_OK;
    enum bb_status st = BB_OK;
    for (size_t r = 0; roles[r] && !st; r++) {
        int col = bb_table_col(t, roles[r]);
        for (size_t i = 0; col >= 0 && i < bb_table_rows(t) && !st; i++) {
            const char *s = bb_table_get(t, i, col);
            char id[32], *out = NULL;
            if (!s)
                continue;
            uint64_t seed = bb_perturb_seed(ctx->perturb_seed, pt->id,
                                            bb_task_item_id(t, i, id, sizeof id), roles[r]);
            if (!(st = bb_perturb_text((enum bb_perturb_kind)pt->kind, pt->rate, ctx->lexicon, s,
                                       seed, &out, err)))
                st = bb_table_set(t, i, col, out, err);
            else
                bb_error_prefix(err, "%s: item %s, role %s", bb_table_path(t), id, roles[r]);
            free(out);
        }
    }
    return st;
}

/* Add one filler list (role value, attribute column pt->swap_on) to lex. */
static enum bb_status add_list(struct bb_task_ctx *ctx, const struct bb_suite_perturbation *pt,
                               const struct bb_suite_dataset *ds, struct bb_perturb_lexicon *lex,
                               struct bb_error *err)
{
    struct bb_table *t = NULL;
    const char **vals = NULL, **grps = NULL;
    int cv, cg;
    enum bb_status st;
    if ((st = bb_task_load_table(ctx, ds, &t, err)) ||
        (st = bb_table_require_col(t, "value", &cv, err)) ||
        (st = bb_table_require_col(t, pt->swap_on, &cg, err)))
        goto done;
    size_t n = bb_table_rows(t);
    vals = calloc(n ? n : 1, sizeof *vals);
    grps = calloc(n ? n : 1, sizeof *grps);
    if (!vals || !grps) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory reading filler list '%s'", ds->id);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        vals[i] = bb_table_get(t, i, cv);
        grps[i] = bb_table_get(t, i, cg);
        if (!vals[i] || !*vals[i] || !grps[i]) {
            st = bb_fail(err, BB_E_INPUT, "%s:%ld: filler list '%s': empty value or %s",
                         bb_table_path(t), bb_table_line(t, i), ds->id, pt->swap_on);
            goto done;
        }
    }
    st = bb_perturb_lexicon_add(lex, vals, grps, n, err);
done:
    if (st)
        bb_error_prefix(err, "perturbation '%s'", pt->id);
    free(vals);
    free(grps);
    bb_table_free(t);
    return st;
}

enum bb_status bb_task_perturb_lexicon(struct bb_task_ctx *ctx,
                                       const struct bb_suite_perturbation *pt,
                                       struct bb_perturb_lexicon *lex, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < pt->n_lists && !st; i++)
        st = add_list(ctx, pt, pt->lists[i], lex, err);
    return st;
}
