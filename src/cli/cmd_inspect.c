/* cmd_inspect.c: `biasbench inspect MODEL`: what a model file or folder holds
 * (architecture, format, parameters and tensor types, context length and
 * dimensions, tokenizer kind and special tokens, chat template, file
 * checksums), read from GGUF metadata or from config.json / tokenizer.json /
 * tokenizer_config.json, without loading the weights. Text or JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "core/json.h"
#include "model/gguf.h"
#include "model/tensors.h"
#include "core/paths.h"
#include "core/sha256.h"

static const char usage_text[] =
    "usage: biasbench inspect [--format text|json] MODEL\n\n"
    "Describe a model without loading it: architecture, format, parameter count,\n"
    "tensor types, context length, layers, hidden size, heads, vocabulary,\n"
    "tokenizer and special tokens, chat template, and the sha256 of each weight file.\n"
    "MODEL is a .gguf file, a .safetensors file, a Hugging Face model folder, or\n"
    "a name in the model cache.\n\n"
    "  -f, --format F       text (default) or json\n";

/* ---- tensors: count, parameters, type histogram ----------------------------- */

static void add_tensors(json_t *info, const struct bb_tensor_source *src)
{
    json_t *hist = json_object();
    long long params = 0;
    int n = src->ops->count(src);
    for (int i = 0; i < n; i++) {
        const struct bb_tensor *t = src->ops->at(src, i);
        bool usable = (unsigned)t->dtype < BB_DTYPE_COUNT;
        const char *name = usable ? bb_dtype_name(t->dtype) : "other";
        json_t *h = json_object_get(hist, name);
        if (!h) {
            h = json_pack("{s:i, s:I}", "tensors", 0, "parameters", (json_int_t)0);
            json_object_set_new(hist, name, h);
        }
        json_object_set_new(h, "tensors",
                            json_integer(json_integer_value(json_object_get(h, "tensors")) + 1));
        json_object_set_new(h, "parameters",
                            json_integer(json_integer_value(json_object_get(h, "parameters")) +
                                         t->numel));
        if (usable)
            params += t->numel;
    }
    json_object_set_new(info, "parameters", json_integer(params));
    json_object_set_new(info, "tensors", json_integer(n));
    json_object_set_new(info, "tensor_types", hist);
}

/* ---- GGUF metadata ---------------------------------------------------------------- */

/* A JSON string of file bytes; null when they are not UTF-8. */
static json_t *jstr(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    return j ? j : json_null();
}

static json_t *gguf_u32(const struct bb_gguf *g, const char *arch, const char *suffix)
{
    char key[256];
    uint32_t v;
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return bb_gguf_opt_u32(g, key, &v) ? json_integer(v) : json_null();
}

static json_t *gguf_token(const struct bb_gguf *g, const char *key)
{
    uint32_t id;
    if (!bb_gguf_opt_u32(g, key, &id))
        return NULL;
    const struct bb_gguf_kv *toks = bb_gguf_find(g, "tokenizer.ggml.tokens");
    json_t *text = json_null();
    if (toks && toks->type == BB_GGUF_ARRAY && toks->arr_type == BB_GGUF_STRING &&
        id < toks->arr_len) {
        struct bb_gguf_str s = bb_gguf_arr_str(toks, id);
        text = jstr(s.s, (size_t)s.len);
    }
    return json_pack("{s:i, s:o}", "id", (json_int_t)id, "text", text);
}

static json_t *opt_str(const struct bb_gguf *g, const char *key)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    if (!kv || kv->type != BB_GGUF_STRING)
        return json_null();
    uint64_t len;
    memcpy(&len, kv->data, 8);
    return jstr((const char *)kv->data + 8, (size_t)len);
}

static enum bb_status gguf_info(json_t *info, const char *path, struct bb_error *err)
{
    struct bb_gguf *g = NULL;
    enum bb_status st = bb_gguf_open(path, &g, err);
    if (st)
        return st;
    json_object_set_new(info, "gguf_version", json_integer(bb_gguf_version(g)));
    json_t *arch = opt_str(g, "general.architecture");
    const char *a = json_is_string(arch) ? json_string_value(arch) : "";
    json_object_set_new(info, "architecture", arch);
    json_object_set_new(info, "name", opt_str(g, "general.name"));
    json_object_set_new(info, "context_length", gguf_u32(g, a, "context_length"));
    json_object_set_new(info, "layers", gguf_u32(g, a, "block_count"));
    json_object_set_new(info, "hidden_size", gguf_u32(g, a, "embedding_length"));
    json_object_set_new(info, "ffn_size", gguf_u32(g, a, "feed_forward_length"));
    json_t *heads = gguf_u32(g, a, "attention.head_count");
    json_t *kv_heads = gguf_u32(g, a, "attention.head_count_kv");
    if (json_is_null(kv_heads)) {
        json_decref(kv_heads);
        kv_heads = json_deep_copy(heads);
    }
    json_object_set_new(info, "heads", heads);
    json_object_set_new(info, "kv_heads", kv_heads);
    const struct bb_gguf_kv *toks = bb_gguf_find(g, "tokenizer.ggml.tokens");
    json_t *vocab = toks && toks->type == BB_GGUF_ARRAY ? json_integer((json_int_t)toks->arr_len)
                                                        : gguf_u32(g, a, "vocab_size");
    json_object_set_new(info, "vocab_size", vocab);
    json_t *tok = json_object();
    json_object_set_new(tok, "kind", opt_str(g, "tokenizer.ggml.model"));
    json_object_set_new(tok, "pre", opt_str(g, "tokenizer.ggml.pre"));
    bool add_bos;
    json_object_set_new(tok, "add_bos", bb_gguf_opt_bool(g, "tokenizer.ggml.add_bos_token",
                                                         &add_bos) ? json_boolean(add_bos)
                                                                   : json_null());
    json_t *special = json_object();
    static const char *const keys[][2] = {{"bos", "tokenizer.ggml.bos_token_id"},
                                          {"eos", "tokenizer.ggml.eos_token_id"},
                                          {"unk", "tokenizer.ggml.unknown_token_id"},
                                          {"pad", "tokenizer.ggml.padding_token_id"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *t = gguf_token(g, keys[i][1]);
        if (t)
            json_object_set_new(special, keys[i][0], t);
    }
    json_object_set_new(tok, "special_tokens", special);
    json_object_set_new(info, "tokenizer", tok);
    json_object_set_new(info, "chat_template",
                        json_boolean(bb_gguf_find(g, "tokenizer.chat_template") != NULL));
    bb_gguf_close(g);
    return BB_OK;
}

/* ---- Hugging Face folder ---------------------------------------------------------- */

/* The first of `keys` that config holds as an integer. */
static json_t *cfg_int(const json_t *cfg, const char *const *keys)
{
    for (; *keys; keys++) {
        const json_t *v = json_object_get(cfg, *keys);
        if (json_is_integer(v))
            return json_integer(json_integer_value(v));
    }
    return json_null();
}

/* A special token's text in tokenizer_config.json: a string or {"content": ...}. */
static const char *token_text(const json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "content");
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *token_id(const json_t *tokjson, const char *text)
{
    const json_t *added = json_object_get(tokjson, "added_tokens");
    size_t i;
    const json_t *t;
    json_array_foreach(added, i, t) {
        const json_t *c = json_object_get(t, "content");
        if (json_is_string(c) && !strcmp(json_string_value(c), text))
            return json_copy(json_object_get(t, "id"));
    }
    const json_t *vocab = json_object_get(json_object_get(tokjson, "model"), "vocab");
    const json_t *id = json_is_object(vocab) ? json_object_get(vocab, text) : NULL;
    return json_is_integer(id) ? json_copy((json_t *)id) : json_null();
}

static json_t *load_optional(const char *dir, const char *name, struct bb_error *err,
                             enum bb_status *st)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    json_t *j = NULL;
    if (bb_path_exists(p))
        *st = bb_json_load_file(p, &j, err);
    return j;
}

static enum bb_status hf_info(json_t *info, const char *dir, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    json_t *cfg = load_optional(dir, "config.json", err, &st);
    json_t *tj = st ? NULL : load_optional(dir, "tokenizer.json", err, &st);
    json_t *tc = st ? NULL : load_optional(dir, "tokenizer_config.json", err, &st);
    json_t *sm = st ? NULL : load_optional(dir, "special_tokens_map.json", err, &st);
    if (st)
        goto done;
    if (!cfg) {
        st = bb_fail(err, BB_E_IO, "%s/config.json: not found (a Hugging Face model folder "
                     "needs one)", dir);
        goto done;
    }
    const json_t *mt = json_object_get(cfg, "model_type");
    json_object_set_new(info, "architecture", json_is_string(mt) ? json_copy((json_t *)mt)
                                                                 : json_null());
    const json_t *archs = json_object_get(cfg, "architectures");
    json_object_set_new(info, "name", json_is_string(json_array_get(archs, 0))
                                          ? json_copy(json_array_get(archs, 0)) : json_null());
    static const char *const ctx[] = {"max_position_embeddings", "n_positions", "n_ctx", NULL};
    static const char *const layers[] = {"num_hidden_layers", "n_layer", NULL};
    static const char *const hidden[] = {"hidden_size", "n_embd", "d_model", NULL};
    static const char *const ffn[] = {"intermediate_size", "n_inner", NULL};
    static const char *const heads[] = {"num_attention_heads", "n_head", NULL};
    static const char *const kvh[] = {"num_key_value_heads", "num_attention_heads", "n_head", NULL};
    static const char *const vocab[] = {"vocab_size", NULL};
    json_object_set_new(info, "context_length", cfg_int(cfg, ctx));
    json_object_set_new(info, "layers", cfg_int(cfg, layers));
    json_object_set_new(info, "hidden_size", cfg_int(cfg, hidden));
    json_object_set_new(info, "ffn_size", cfg_int(cfg, ffn));
    json_object_set_new(info, "heads", cfg_int(cfg, heads));
    json_object_set_new(info, "kv_heads", cfg_int(cfg, kvh));
    json_object_set_new(info, "vocab_size", cfg_int(cfg, vocab));
    json_t *tok = json_object();
    const json_t *kind = json_object_get(json_object_get(tj, "model"), "type");
    json_object_set_new(tok, "kind", json_is_string(kind) ? json_copy((json_t *)kind)
                                                          : json_null());
    json_object_set_new(tok, "pre", json_null());
    const json_t *ab = json_object_get(tc, "add_bos_token");
    json_object_set_new(tok, "add_bos", json_is_boolean(ab) ? json_copy((json_t *)ab)
                                                            : json_null());
    json_t *special = json_object();
    static const char *const names[] = {"bos", "eos", "unk", "pad", "cls", "sep", "mask"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s_token", names[i]);
        const char *text = token_text(json_object_get(tc, key));
        if (!text)
            text = token_text(json_object_get(sm, key));
        if (!text)
            continue;
        json_object_set_new(special, names[i], json_pack("{s:o, s:s}", "id", token_id(tj, text),
                                                         "text", text));
    }
    json_object_set_new(tok, "special_tokens", special);
    json_object_set_new(info, "tokenizer", tok);
    json_object_set_new(info, "chat_template",
                        json_boolean(json_object_get(tc, "chat_template") != NULL));
done:
    json_decref(cfg);
    json_decref(tj);
    json_decref(tc);
    json_decref(sm);
    return st;
}

/* ---- weight files and their checksums --------------------------------------------- */

static enum bb_status add_file(json_t *files, const char *path, struct bb_error *err)
{
    char hex[BB_SHA256_HEX_LEN];
    struct stat sb;
    enum bb_status st = bb_sha256_file(path, hex, err);
    if (st)
        return st;
    long long bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", path, "bytes",
                                           (json_int_t)bytes, "sha256", hex));
    return BB_OK;
}

/* The weight files of a source: the file itself, or an index's shards. */
static enum bb_status add_files(json_t *info, const struct bb_tensor_source *src,
                                struct bb_error *err)
{
    json_t *files = json_array(), *idx = NULL;
    json_object_set_new(info, "files", files);
    size_t n = strlen(src->path);
    if (n < 11 || strcmp(src->path + n - 11, ".index.json"))
        return add_file(files, src->path, err);
    enum bb_status st = bb_json_load_file(src->path, &idx, err);
    char dir[4096];
    bb_path_dir_of(src->path, dir, sizeof dir);
    const char *name;
    json_t *v;
    json_t *seen = json_object();
    json_object_foreach(json_object_get(idx, "weight_map"), name, v) {
        if (st)
            break;
        const char *shard = json_string_value(v);
        if (!shard || json_object_get(seen, shard))
            continue;
        json_object_set_new(seen, shard, json_true());
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, shard);
        st = add_file(files, p, err);
    }
    json_decref(seen);
    json_decref(idx);
    return st;
}

/* ---- output ------------------------------------------------------------------------ */

static void print_val(const char *label, const json_t *v)
{
    printf("%-16s", label);
    if (json_is_integer(v))
        printf("%lld\n", (long long)json_integer_value(v));
    else if (json_is_string(v))
        printf("%s\n", json_string_value(v));
    else if (json_is_boolean(v))
        printf("%s\n", json_is_true(v) ? "yes" : "no");
    else
        printf("unknown\n");
}

static void print_text(const json_t *info)
{
    print_val("model:", json_object_get(info, "model"));
    const json_t *ver = json_object_get(info, "gguf_version");
    printf("%-16s%s", "format:", json_string_value(json_object_get(info, "format")));
    if (ver)
        printf(" v%lld", (long long)json_integer_value(ver));
    printf("\n");
    print_val("architecture:", json_object_get(info, "architecture"));
    print_val("name:", json_object_get(info, "name"));
    long long params = json_integer_value(json_object_get(info, "parameters"));
    printf("%-16s%lld (%.1fM)\n", "parameters:", params, params / 1e6);
    print_val("tensors:", json_object_get(info, "tensors"));
    const char *type;
    json_t *h;
    json_object_foreach((json_t *)json_object_get(info, "tensor_types"), type, h)
        printf("  %-14s%6lld tensors %14lld parameters\n", type,
               (long long)json_integer_value(json_object_get(h, "tensors")),
               (long long)json_integer_value(json_object_get(h, "parameters")));
    print_val("context length:", json_object_get(info, "context_length"));
    print_val("layers:", json_object_get(info, "layers"));
    print_val("hidden size:", json_object_get(info, "hidden_size"));
    print_val("ffn size:", json_object_get(info, "ffn_size"));
    print_val("heads:", json_object_get(info, "heads"));
    print_val("KV heads:", json_object_get(info, "kv_heads"));
    print_val("vocab size:", json_object_get(info, "vocab_size"));
    const json_t *tok = json_object_get(info, "tokenizer");
    print_val("tokenizer:", json_object_get(tok, "kind"));
    if (json_is_string(json_object_get(tok, "pre")))
        print_val("pre-tokenizer:", json_object_get(tok, "pre"));
    const char *name;
    json_t *t;
    json_object_foreach((json_t *)json_object_get(tok, "special_tokens"), name, t) {
        char label[32];
        snprintf(label, sizeof label, "%s token:", name);
        const json_t *id = json_object_get(t, "id"), *text = json_object_get(t, "text");
        printf("%-16s", label);
        if (json_is_integer(id))
            printf("%lld", (long long)json_integer_value(id));
        else
            printf("?");
        if (json_is_string(text)) {
            char *q = json_dumps(text, JSON_ENCODE_ANY);
            printf(" %s", q ? q : "");
            free(q);
        }
        printf("\n");
    }
    print_val("add BOS:", json_object_get(tok, "add_bos"));
    print_val("chat template:", json_object_get(info, "chat_template"));
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(info, "files"), i, f)
        printf("%-16s%s  %s\n", i ? "" : "sha256:",
               json_string_value(json_object_get(f, "sha256")),
               json_string_value(json_object_get(f, "path")));
}

static enum bb_status inspect(const char *spec, json_t *info, struct bb_error *err)
{
    char path[4096];
    struct bb_tensor_source *src = NULL;
    enum bb_status st;
    if (strchr(spec, '/') && !bb_path_exists(spec))
        st = bb_fail(err, BB_E_IO, "%s: no such file or folder", spec);
    else
        st = bb_paths_find_model(spec, path, sizeof path, err);
    if (!st)
        st = bb_tensors_open(path, &src, err);
    if (st)
        return st;
    json_object_set_new(info, "model", json_string(path));
    json_object_set_new(info, "format", json_string(src->ops->format));
    if (!strcmp(src->ops->format, "gguf")) {
        st = gguf_info(info, src->path, err);
    } else {
        char dir[4096];
        struct stat sb;
        snprintf(dir, sizeof dir, "%s", path);
        if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))
            bb_path_dir_of(path, dir, sizeof dir);
        st = hf_info(info, dir, err);
    }
    if (!st)
        add_tensors(info, src);
    if (!st)
        st = add_files(info, src, err);
    bb_tensors_close(src);
    return st;
}

int bb_cmd_inspect(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"format", required_argument, NULL, 'f'},
                                             {0}};
    bool json = false;
    struct bb_error err = {0};
    enum bb_status st;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hf:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'f':
            if ((st = bb_cli_parse_format(optarg, "text", &json, &err)))
                return bb_cli_fail("inspect", st, &err);
            break;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "biasbench inspect: expected one MODEL, found %d arguments\n%s",
                argc - optind, usage_text);
        return 2;
    }
    json_t *info = json_object();
    st = inspect(argv[optind], info, &err);
    if (!st && json) {
        json_dumpf(info, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else if (!st) {
        print_text(info);
    }
    json_decref(info);
    return st ? bb_cli_fail("inspect", st, &err) : 0;
}
