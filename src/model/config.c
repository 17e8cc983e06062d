/* config.c: loads config.json and the sentence-transformers files of a model
 * folder into struct bb_model_config, with errors naming file and field. */
#include "model/config.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "core/paths.h"

#define BIG (1LL << 24) /* bound on sizes: a hostile config cannot ask for huge tables */

static enum bb_status get_dim(const json_t *o, const char *key, const char *file, long long min,
                              long long max, int *out, struct bb_error *err)
{
    long long v = 0;
    enum bb_status s = bb_json_get_int(o, key, file, true, &v, err);
    if (s)
        return s;
    if (v < min || v > max)
        return bb_fail(err, BB_E_INPUT, "%s: field '%s': expected an integer in [%lld, %lld], "
                       "found %lld", file, key, min, max, v);
    *out = (int)v;
    return BB_OK;
}

/* An optional size: 0 when the field is absent, else in [0, max]. */
static enum bb_status get_opt_dim(const json_t *o, const char *key, const char *file,
                                  long long max, int *out, struct bb_error *err)
{
    *out = 0;
    return json_object_get(o, key) ? get_dim(o, key, file, 0, max, out, err) : BB_OK;
}

static enum bb_status load_main(const char *dir, struct bb_model_config *cfg, struct bb_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_t *j = NULL;
    enum bb_status s = bb_json_load_file(path, &j, err);
    if (s)
        return s;
    const char *type = NULL, *act = "gelu", *F = "config.json";
    double eps = 1e-12;
    if ((s = bb_json_get_string(j, "model_type", "config.json", true, &type, err)) ||
        (s = get_dim(j, "hidden_size", F, 1, BIG, &cfg->hidden_size, err)) ||
        (s = get_dim(j, "num_hidden_layers", F, 1, 4096, &cfg->num_hidden_layers, err)) ||
        (s = get_dim(j, "num_attention_heads", F, 1, 4096, &cfg->num_attention_heads, err)) ||
        (s = get_dim(j, "intermediate_size", F, 1, BIG, &cfg->intermediate_size, err)) ||
        (s = get_dim(j, "max_position_embeddings", F, 1, BIG,
                     &cfg->max_position_embeddings, err)) ||
        (s = get_opt_dim(j, "type_vocab_size", F, BIG, &cfg->type_vocab_size, err)) ||
        (s = get_opt_dim(j, "relative_attention_num_buckets", F, 4096,
                         &cfg->relative_attention_num_buckets, err)) ||
        (s = get_dim(j, "vocab_size", F, 1, BIG, &cfg->vocab_size, err)) ||
        (s = bb_json_get_real(j, "layer_norm_eps", "config.json", false, &eps, err)) ||
        (s = bb_json_get_string(j, "hidden_act", "config.json", false, &act, err)))
        goto done;
    snprintf(cfg->model_type, sizeof cfg->model_type, "%s", type);
    cfg->layer_norm_eps = eps;
    if (strcmp(act, "gelu")) {
        s = bb_fail(err, BB_E_UNSUPPORTED,
                    "config.json: field 'hidden_act': only \"gelu\" is supported, found \"%s\"",
                    act);
        goto done;
    }
    if (!(eps > 0 && eps < 1)) {
        s = bb_fail(err, BB_E_INPUT, "config.json: field 'layer_norm_eps': expected a small "
                    "positive number, found %g", eps);
        goto done;
    }
    if (cfg->hidden_size % cfg->num_attention_heads)
        s = bb_fail(err, BB_E_INPUT, "config.json: hidden_size %d is not a multiple of "
                    "num_attention_heads %d", cfg->hidden_size, cfg->num_attention_heads);
done:
    json_decref(j);
    return s;
}

/* Count the pooling_mode_* flags that are true; fills mode for mean/cls. */
static enum bb_status parse_pooling(const json_t *j, const char *file, enum bb_pool_mode *mode,
                                    struct bb_error *err)
{
    const char *k;
    json_t *v;
    int n_on = 0;
    json_object_foreach((json_t *)j, k, v) {
        if (strncmp(k, "pooling_mode_", 13) || !json_is_true(v))
            continue;
        n_on++;
        if (!strcmp(k, "pooling_mode_mean_tokens"))
            *mode = BB_POOL_MEAN;
        else if (!strcmp(k, "pooling_mode_cls_token"))
            *mode = BB_POOL_CLS;
        else
            return bb_fail(err, BB_E_UNSUPPORTED,
                           "%s: field '%s': only mean and CLS pooling are supported", file, k);
    }
    if (n_on != 1)
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: expected exactly one of pooling_mode_mean_tokens / "
                       "pooling_mode_cls_token to be true, found %d pooling modes on", file, n_on);
    return BB_OK;
}

static enum bb_status load_pooling(const char *dir, const char *sub, struct bb_model_config *cfg,
                                   struct bb_error *err)
{
    char path[4096], file[512];
    snprintf(path, sizeof path, "%s/%s/config.json", dir, sub);
    snprintf(file, sizeof file, "%s/config.json", sub);
    if (!bb_path_exists(path)) {
        bb_warn("%s: pooling config %s not found; using mean pooling", dir, file);
        return BB_OK;
    }
    json_t *j = NULL;
    enum bb_status s = bb_json_load_file(path, &j, err);
    if (!s)
        s = parse_pooling(j, file, &cfg->pooling, err);
    json_decref(j);
    return s;
}

/* modules.json: a list of {type, path}; finds Pooling's folder and Normalize. */
static enum bb_status load_modules(const char *dir, struct bb_model_config *cfg,
                                   struct bb_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/modules.json", dir);
    if (!bb_path_exists(path)) {
        bb_warn("%s: no modules.json (not a sentence-transformers folder); using mean pooling "
                "without normalisation", dir);
        return BB_OK;
    }
    json_t *j = NULL;
    enum bb_status s = bb_json_load_file(path, &j, err);
    if (s)
        return s;
    if (!json_is_array(j)) {
        s = bb_fail(err, BB_E_INPUT, "modules.json: expected an array of modules");
        goto done;
    }
    const char *pool_path = NULL;
    size_t i;
    json_t *m;
    json_array_foreach(j, i, m) {
        const char *type = NULL, *mpath = "";
        char what[64];
        snprintf(what, sizeof what, "modules.json[%zu]", i);
        if ((s = bb_json_get_string(m, "type", what, true, &type, err)) ||
            (s = bb_json_get_string(m, "path", what, false, &mpath, err)))
            goto done;
        const char *dot = strrchr(type, '.');
        const char *cls = dot ? dot + 1 : type;
        if (!strcmp(cls, "Pooling"))
            pool_path = mpath;
        else if (!strcmp(cls, "Normalize"))
            cfg->normalize = true;
        else if (strcmp(cls, "Transformer")) {
            s = bb_fail(err, BB_E_UNSUPPORTED, "%s: module type '%s' is not supported "
                        "(Transformer, Pooling, Normalize are)", what, type);
            goto done;
        }
    }
    if (pool_path)
        s = load_pooling(dir, pool_path, cfg, err);
    else
        bb_warn("%s/modules.json: no Pooling module; using mean pooling", dir);
done:
    json_decref(j);
    return s;
}

static enum bb_status load_sbert(const char *dir, struct bb_model_config *cfg,
                                 struct bb_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sentence_bert_config.json", dir);
    cfg->max_seq_length = cfg->max_position_embeddings;
    if (!bb_path_exists(path)) {
        bb_warn(
            "%s: no sentence_bert_config.json; max sequence length %d (max_position_embeddings)",
            dir, cfg->max_seq_length);
        return BB_OK;
    }
    json_t *j = NULL;
    long long len = cfg->max_seq_length;
    enum bb_status s = bb_json_load_file(path, &j, err);
    if (!s)
        s = bb_json_get_int(j, "max_seq_length", "sentence_bert_config.json", false, &len, err);
    if (!s && (len < 2 || len > cfg->max_position_embeddings))
        s = bb_fail(err, BB_E_INPUT, "sentence_bert_config.json: field 'max_seq_length': "
                    "expected 2 .. %d (max_position_embeddings), found %lld",
                    cfg->max_position_embeddings, len);
    if (!s)
        cfg->max_seq_length = (int)len;
    json_decref(j);
    return s;
}

enum bb_status bb_model_config_load(const char *dir, struct bb_model_config *cfg,
                                    struct bb_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->pooling = BB_POOL_MEAN;
    enum bb_status s = load_main(dir, cfg, err);
    if (!s)
        s = load_modules(dir, cfg, err);
    if (!s)
        s = load_sbert(dir, cfg, err);
    return s;
}
