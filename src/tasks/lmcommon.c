/* lmcommon.c: helpers the likelihood tasks share: the capability check,
 * batched log-likelihoods with the task's progress label, prompt templates,
 * decoder zero-shot scoring (template + one verbalizer per label) and index
 * mapping for bootstrap statistics over subsets. */
#include "tasks/task.h"

#include <stdlib.h>
#include <string.h>

#include "model/model.h"

const char *bb_task_pos(const struct bb_task_ctx *ctx, char *buf, size_t n)
{
    bb_suite_pos_str(ctx->task->pos, buf, n);
    return buf;
}

enum bb_status bb_task_require(struct bb_task_ctx *ctx, unsigned caps, struct bb_error *err)
{
    enum bb_status st = bb_model_require(ctx->model, caps, ctx->model_id, err);
    if (st) {
        char pos[512];
        bb_error_prefix(err, "%s: task '%s' (type %s)", bb_task_pos(ctx, pos, sizeof pos),
                        ctx->task->id, bb_suite_task_type_name(ctx->task->type));
    }
    return st;
}

enum bb_status bb_task_loglik(struct bb_task_ctx *ctx, const struct bb_loglik_request *reqs,
                              size_t n, struct bb_loglik_result *out, struct bb_error *err)
{
    char label[128];
    return bb_model_loglik(ctx->model, reqs, n, ctx->batch_size > 0 ? ctx->batch_size : 1,
                           bb_task_label(ctx, label, sizeof label), out, err);
}

char *bb_task_fill(const char *tpl, const char *const *names, const char *const *values, size_t n)
{
    size_t cap = strlen(tpl) + 1, len = 0;
    for (size_t k = 0; k < n; k++)
        if (strstr(tpl, names[k]))
            cap += strlen(values[k] ? values[k] : "") * 8; /* a placeholder may repeat */
    char *out = malloc(cap + 1);
    if (!out)
        return NULL;
    for (const char *p = tpl; *p;) {
        size_t k = n;
        if (*p == '{') {
            for (k = 0; k < n; k++) {
                size_t ln = strlen(names[k]);
                if (!strncmp(p + 1, names[k], ln) && p[1 + ln] == '}')
                    break;
            }
        }
        if (k < n) {
            const char *v = values[k] ? values[k] : "";
            size_t lv = strlen(v);
            if (len + lv + strlen(p) + 1 > cap) {
                char *g = realloc(out, (cap = 2 * (len + lv + strlen(p) + 1)));
                if (!g) {
                    free(out);
                    return NULL;
                }
                out = g;
            }
            memcpy(out + len, v, lv);
            len += lv;
            p += strlen(names[k]) + 2;
        } else {
            if (len + 2 > cap) {
                char *g = realloc(out, (cap = 2 * cap + 2));
                if (!g) {
                    free(out);
                    return NULL;
                }
                out = g;
            }
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    return out;
}

enum bb_status bb_task_lm_label_scores(struct bb_task_ctx *ctx, const char *tpl,
                                       const struct bb_suite_labels *labels,
                                       const char *const *texts, size_t n, double *ll,
                                       struct bb_error *err)
{
    size_t L = labels->n, m = n * L;
    char **prompts = calloc(n ? n : 1, sizeof *prompts);
    struct bb_loglik_request *req = malloc((m ? m : 1) * sizeof *req);
    struct bb_loglik_result *res = malloc((m ? m : 1) * sizeof *res);
    enum bb_status st = BB_OK;
    if (!prompts || !req || !res) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu prompts", m);
        goto done;
    }
    static const char *const names[] = {"text"};
    for (size_t i = 0; i < n && !st; i++) {
        const char *v[] = {texts[i]};
        if (!(prompts[i] = bb_task_fill(tpl, names, v, 1)))
            st = bb_fail(err, BB_E_NOMEM, "out of memory for a prompt");
        for (size_t l = 0; l < L && !st; l++)
            req[i * L + l] = (struct bb_loglik_request){prompts[i], labels->v[l].verbalizer};
    }
    if (!st)
        st = bb_task_loglik(ctx, req, m, res, err);
    for (size_t k = 0; k < m && !st; k++)
        ll[k] = res[k].logprob;
done:
    for (size_t i = 0; prompts && i < n; i++)
        free(prompts[i]);
    free(prompts);
    free(req);
    free(res);
    return st;
}

const int *bb_task_map_idx(const size_t *sel, const int *idx, size_t n, int *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = sel ? (int)sel[idx[i]] : idx[i];
    return out;
}
