/* registry.c: the task-type table: one row per task type with its suite name,
 * the model capability it needs, its run function, its report section title
 * and how `compare` tests it. The runner dispatches through it
 * (bb_task_runner, bb_task_type_info) and compare finds the likelihood tasks in
 * it (bb_task_type_mask). A new task type adds one row here, one in
 * suite/task_schema.c (its keys, parser and checks), one in
 * report/report_view.c (how the report shows it) and its metrics in
 * metrics/table.c. */
#include "tasks/task.h"

#include <stdio.h>
#include <string.h>

#include "model/model.h"

static const struct bb_task_type_info table[BB_SUITE_N_TASK_TYPES] = {
    [BB_TASK_SIMILARITY] = {BB_TASK_SIMILARITY, "similarity", BB_CAP_EMBED, bb_task_similarity,
                            "Semantic similarity", "paired bootstrap over pairs"},
    /* zero-shot and counterfactual: encoders (label prompts) or language
       models (template + verbalizers); the task picks by the model's caps */
    [BB_TASK_ZERO_SHOT] = {BB_TASK_ZERO_SHOT, "zero-shot-classification", 0, bb_task_zeroshot,
                           "Zero-shot classification", "McNemar on per-item correctness"},
    [BB_TASK_ASSOCIATION] = {BB_TASK_ASSOCIATION, "association", BB_CAP_EMBED, bb_task_association,
                             "Association tests", "permutation / bootstrap"},
    [BB_TASK_COUNTERFACTUAL] = {BB_TASK_COUNTERFACTUAL, "counterfactual", 0,
                                bb_task_counterfactual, "Counterfactual probe",
                                "paired bootstrap over sentences"},
    [BB_TASK_LATENCY] = {BB_TASK_LATENCY, "latency", BB_CAP_EMBED, bb_task_latency, "Latency",
                         "none (timings)"},
    [BB_TASK_PAIRS] = {BB_TASK_PAIRS, "pairs", BB_CAP_LOGLIK, bb_task_pairs,
                       "Stereotype sentence pairs (CrowS-Pairs, WinoBias)",
                       "paired bootstrap over pairs; McNemar on per-pair choices"},
    [BB_TASK_STEREOSET] = {BB_TASK_STEREOSET, "stereoset", BB_CAP_LOGLIK, bb_task_stereoset,
                           "StereoSet (intrasentence)", "paired bootstrap over contexts"},
    [BB_TASK_BBQ] = {BB_TASK_BBQ, "bbq", BB_CAP_LOGLIK, bb_task_bbq,
                     "BBQ: bias in question answering", "McNemar on per-item correctness"},
    [BB_TASK_CHOICE] = {BB_TASK_CHOICE, "multiple-choice", BB_CAP_LOGLIK, bb_task_choice,
                        "Multiple choice", "McNemar on per-item correctness"},
    [BB_TASK_PERPLEXITY] = {BB_TASK_PERPLEXITY, "perplexity", BB_CAP_LOGLIK, bb_task_perplexity,
                            "Perplexity", "paired bootstrap over texts"},
    [BB_TASK_RETRIEVAL] = {BB_TASK_RETRIEVAL, "retrieval", BB_CAP_EMBED, bb_task_retrieval,
                           "Retrieval",
                           "CI non-overlap (per-query scores in the items file)"},
    [BB_TASK_CLUSTERING] = {BB_TASK_CLUSTERING, "clustering", BB_CAP_EMBED, bb_task_clustering,
                            "Clustering",
                            "none (no CI; spread over k-means restarts)"},
    /* the linear probe: an encoder's embeddings or a language model's pooled hidden states */
    [BB_TASK_LINEAR_PROBE] = {BB_TASK_LINEAR_PROBE, "linear-probe", 0,
                              bb_task_linear_probe, "Linear probe (transfer)",
                              "McNemar on per-item correctness (majority of experiments)"},
};

const struct bb_task_type_info *bb_task_type_info(enum bb_suite_task_type t)
{
    return (unsigned)t < BB_SUITE_N_TASK_TYPES && table[t].run ? &table[t] : NULL;
}

bb_task_fn bb_task_runner(enum bb_suite_task_type t)
{
    const struct bb_task_type_info *i = bb_task_type_info(t);
    return i ? i->run : NULL;
}

unsigned bb_task_type_mask(unsigned caps)
{
    unsigned mask = 0;
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++)
        if (table[t].run && caps && (table[t].caps & caps) == caps)
            mask |= 1u << t;
    return mask;
}

/* Labels all with prompts (encoders) / all with verbalizers (language models). */
static bool labels_have(const struct bb_suite_labels *L, bool verbalizer)
{
    for (size_t i = 0; i < L->n; i++)
        if (verbalizer ? !L->v[i].verbalizer : !L->v[i].prompts.n)
            return false;
    return L->n > 0;
}

bool bb_task_model_fits(const struct bb_suite_task *t, unsigned caps, char *why, size_t n)
{
    const struct bb_task_type_info *ti = bb_task_type_info(t->type);
    bool embed = caps & BB_CAP_EMBED, lm = caps & BB_CAP_LOGLIK;
    if (!ti)
        return false;
    if (ti->caps) {
        if ((caps & ti->caps) == ti->caps)
            return true;
        snprintf(why, n, "%s %s task needs a model that can %s",
                 strchr("aeiou", ti->name[0]) ? "an" : "a", ti->name,
                 bb_model_cap_verb(ti->caps & ~caps));
        return false;
    }
    if (t->type == BB_TASK_ZERO_SHOT) {
        const struct bb_suite_zero_shot *z = &t->u.zero_shot;
        if (embed && labels_have(&z->labels, false))
            return true;
        if (!embed && lm && z->template && labels_have(&z->labels, true))
            return true;
        snprintf(why, n, "%s", embed ? "its labels have no prompts (encoders need them)"
                               : "it has no template with verbalizers (language models need them)");
        return false;
    }
    if (t->type == BB_TASK_LINEAR_PROBE) {
        if (caps & (BB_CAP_EMBED | BB_CAP_POOL))
            return true;
        snprintf(why, n, "a linear-probe task needs a model that can embed text or pool hidden "
                 "states");
        return false;
    }
    if (t->type == BB_TASK_COUNTERFACTUAL) {
        const struct bb_suite_counterfactual *cf = &t->u.counterfactual;
        if (embed && (cf->score_type == BB_SCORE_SIMILARITY || labels_have(&cf->labels, false)))
            return true;
        if (!embed && lm && cf->score_type == BB_SCORE_ZERO_SHOT && cf->template &&
            labels_have(&cf->labels, true))
            return true;
        snprintf(why, n, "%s", embed ? "its labels have no prompts (encoders need them)"
                               : "its score has no template with verbalizers (language models "
                                 "need them)");
        return false;
    }
    return true;
}
