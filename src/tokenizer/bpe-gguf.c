/* bpe-gguf.c: byte-level BPE built from GGUF metadata (tokenizer.ggml.model
 * "gpt2"): tokens, merges ("a b"), token types (control and user-defined
 * tokens are matched in the raw text), tokenizer.ggml.pre, the special ids,
 * add_bos_token / add_eos_token, the chat template and the architecture's
 * context length. Kept apart from bpe.c so that only programs that read GGUF
 * files link the GGUF reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/gguf.h"
#include "tokenizer/tokenizer-impl.h"

/* llama.cpp's token types */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER_DEFINED = 4, TT_UNUSED = 5,
       TT_BYTE = 6 };

/* A string array of the metadata; NULL (and an error) when absent or of another type. */
static const struct bb_gguf_kv *str_array(const struct bb_gguf *g, const char *key,
                                          bool required, struct bb_error *err)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    if (!kv) {
        if (required)
            bb_fail(err, BB_E_INPUT, "%s: metadata %s is missing", bb_gguf_path(g), key);
        return NULL;
    }
    if (kv->type != BB_GGUF_ARRAY || kv->arr_type != BB_GGUF_STRING) {
        bb_fail(err, BB_E_INPUT, "%s: metadata %s: expected an array of strings, found %s",
                bb_gguf_path(g), key,
                kv->type == BB_GGUF_ARRAY ? "another array" : bb_gguf_type_name(kv->type));
        return NULL;
    }
    return kv;
}

static int32_t opt_id(const struct bb_gguf *g, const char *key, int n_ids)
{
    uint32_t v;
    return bb_gguf_opt_u32(g, key, &v) && v < (uint32_t)n_ids ? (int32_t)v : -1;
}

static enum bb_status build(struct bb_tokenizer *t, struct bb_bpe *b, const struct bb_gguf *g,
                            struct bb_error *err)
{
    const char *path = bb_gguf_path(g);
    char *model = NULL, *pre = NULL, *arch = NULL, what[4200];
    enum bb_status st;
    if ((st = bb_gguf_get_str(g, "tokenizer.ggml.model", &model, err)))
        return st;
    if (strcmp(model, "gpt2")) {
        st = bb_fail(err, BB_E_UNSUPPORTED,
                     "%s: metadata tokenizer.ggml.model is '%s': only byte-level BPE ('gpt2') "
                     "is supported", path, model);
        goto done;
    }
    const struct bb_gguf_kv *tokens = str_array(g, "tokenizer.ggml.tokens", true, err);
    const struct bb_gguf_kv *merges = tokens ? str_array(g, "tokenizer.ggml.merges", true, err)
                                             : NULL;
    if (!merges) {
        st = err ? err->code : BB_E_INPUT;
        goto done;
    }
    if (tokens->arr_len == 0 || tokens->arr_len > (1u << 24)) {
        st = bb_fail(err, BB_E_INPUT, "%s: metadata tokenizer.ggml.tokens: %llu tokens", path,
                     (unsigned long long)tokens->arr_len);
        goto done;
    }
    int n = (int)tokens->arr_len;
    snprintf(what, sizeof what, "%.4000s: tokenizer.ggml.tokens", path);
    for (int i = 0; i < n && !st; i++) {
        struct bb_gguf_str s = bb_gguf_arr_str(tokens, (uint64_t)i);
        st = bb_bpe_add_token(b, s.s, (size_t)s.len, i, what, err);
    }
    const struct bb_gguf_kv *types = bb_gguf_find(g, "tokenizer.ggml.token_type");
    if (!st && types) {
        if (types->type != BB_GGUF_ARRAY || types->arr_len != (uint64_t)n ||
            types->arr_type == BB_GGUF_STRING || types->arr_type == BB_GGUF_ARRAY) {
            st = bb_fail(err, BB_E_INPUT,
                         "%s: metadata tokenizer.ggml.token_type: expected %d integers", path, n);
            goto done;
        }
        for (int i = 0; i < n && !st; i++) {
            int64_t ty = bb_gguf_arr_int(types, (uint64_t)i);
            if (ty == TT_CONTROL || ty == TT_USER_DEFINED)
                st = bb_bpe_add_special(b, i, ty == TT_CONTROL, err);
        }
    }
    snprintf(what, sizeof what, "%.4000s: tokenizer.ggml.merges", path);
    for (uint64_t i = 0; i < merges->arr_len && !st; i++) {
        struct bb_gguf_str s = bb_gguf_arr_str(merges, i);
        const char *sp = s.len ? memchr(s.s + 1, ' ', (size_t)s.len - 1) : NULL;
        if (!sp) {
            st = bb_fail(err, BB_E_INPUT, "%s[%llu]: expected \"a b\", found '%.*s'", what,
                         (unsigned long long)i, (int)(s.len > 60 ? 60 : s.len), s.s);
            break;
        }
        size_t na = (size_t)(sp - s.s);
        st = bb_bpe_add_merge(b, s.s, na, sp + 1, (size_t)s.len - na - 1, (int)i, what, err);
    }
    if (st)
        goto done;
    const char *pre_name = "default";
    if (bb_gguf_find(g, "tokenizer.ggml.pre")) {
        if ((st = bb_gguf_get_str(g, "tokenizer.ggml.pre", &pre, err)))
            goto done;
        pre_name = pre;
    }
    snprintf(what, sizeof what, "%.4000s: tokenizer.ggml.pre", path);
    if ((st = bb_bpe_set_pre(b, pre_name, what, err)))
        goto done;
    t->sp.bos = opt_id(g, "tokenizer.ggml.bos_token_id", n);
    t->sp.eos = opt_id(g, "tokenizer.ggml.eos_token_id", n);
    t->sp.unk = opt_id(g, "tokenizer.ggml.unknown_token_id", n);
    t->sp.pad = opt_id(g, "tokenizer.ggml.padding_token_id", n);
    t->sp.sep = opt_id(g, "tokenizer.ggml.seperator_token_id", n);
    t->sp.cls = opt_id(g, "tokenizer.ggml.cls_token_id", n);
    t->sp.mask = opt_id(g, "tokenizer.ggml.mask_token_id", n);
    bool on = false;
    /* llama.cpp's defaults for BPE vocabularies: BOS yes, EOS no */
    t->add_bos = bb_gguf_opt_bool(g, "tokenizer.ggml.add_bos_token", &on) ? on : true;
    t->add_eos = bb_gguf_opt_bool(g, "tokenizer.ggml.add_eos_token", &on) ? on : false;
    if (bb_gguf_find(g, "tokenizer.chat_template") &&
        (st = bb_gguf_get_str(g, "tokenizer.chat_template", &t->chat_template, err)))
        goto done;
    uint32_t ctx = 0;
    t->max_len = 1 << 20;
    if (bb_gguf_find(g, "general.architecture") &&
        !bb_gguf_get_str(g, "general.architecture", &arch, NULL)) {
        char key[300];
        snprintf(key, sizeof key, "%.200s.context_length", arch);
        if (bb_gguf_opt_u32(g, key, &ctx) && ctx > 0 && ctx <= (1u << 24))
            t->max_len = (int)ctx;
    }
done:
    free(model);
    free(pre);
    free(arch);
    return st;
}

enum bb_status bb_tokenizer_from_gguf(const struct bb_gguf *g, struct bb_tokenizer **out,
                                      struct bb_error *err)
{
    *out = NULL;
    struct bb_tokenizer *t = bb_tok_new();
    struct bb_bpe *b = t ? bb_bpe_new() : NULL;
    if (!b) {
        free(t);
        return bb_fail(err, BB_E_NOMEM, "tokenizer: out of memory");
    }
    enum bb_status st = build(t, b, g, err);
    if (st) {
        bb_bpe_free(b);
        bb_tokenizer_free(t);
        return st;
    }
    if ((st = bb_bpe_attach(t, b, bb_gguf_path(g), err))) {
        bb_tokenizer_free(t);
        return st;
    }
    bb_tok_finish(t);
    *out = t;
    return BB_OK;
}
