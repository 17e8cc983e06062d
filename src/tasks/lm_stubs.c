/* lm_stubs.c: TEMPORARY weak stand-ins for the model capability and
 * likelihood entry points declared in src/model/model.h, so that the
 * likelihood tasks link before src/model implements them (issue 9 helper
 * branch `lmtasks`). Every real definition in src/model overrides these
 * (they are weak); delete this file once model.c defines them all.
 * Until then every model is a sentence encoder: the likelihood tasks refuse
 * it with the message model.h documents. */
#include <stdio.h>

#include "model/model.h"

__attribute__((weak)) unsigned bb_model_caps(const struct bb_model *m)
{
    (void)m;
    return BB_CAP_EMBED;
}

__attribute__((weak)) const char *bb_model_kind(const struct bb_model *m)
{
    return bb_model_caps(m) & BB_CAP_LOGLIK ? "causal language model" : "sentence encoder";
}

__attribute__((weak)) const char *bb_model_cap_verb(unsigned cap)
{
    return cap & BB_CAP_LOGLIK ? "score text" : cap & BB_CAP_GENERATE ? "generate text" : "embed text";
}

__attribute__((weak)) enum bb_status bb_model_require(const struct bb_model *m, unsigned caps,
                                                      const char *model_id, struct bb_error *err)
{
    unsigned missing = caps & ~bb_model_caps(m);
    if (!missing)
        return BB_OK;
    return bb_fail(err, BB_E_UNSUPPORTED, "model %s cannot %s: it is a %s",
                   model_id ? model_id : bb_model_dir(m), bb_model_cap_verb(missing),
                   bb_model_kind(m));
}

__attribute__((weak)) enum bb_status bb_model_loglik(struct bb_model *m,
                                                     const struct bb_loglik_request *reqs, size_t n,
                                                     int batch_size, const char *label,
                                                     struct bb_loglik_result *out,
                                                     struct bb_error *err)
{
    (void)reqs, (void)n, (void)batch_size, (void)label, (void)out;
    return bb_model_require(m, BB_CAP_LOGLIK, NULL, err);
}

__attribute__((weak)) enum bb_status bb_model_token_logprobs(struct bb_model *m, const int32_t *ids,
                                                             int n, float *logprobs, int32_t *argmax,
                                                             struct bb_error *err)
{
    (void)ids, (void)n, (void)logprobs, (void)argmax;
    return bb_model_require(m, BB_CAP_LOGLIK, NULL, err);
}
