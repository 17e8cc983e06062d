/* fuzz_gguf.c: libFuzzer harness for the GGUF reader (src/model/gguf.c):
 * header, every metadata type and array, tensor infos, alignment and data
 * offsets. The input is written to a temp file and opened (mmap) as biasbench
 * opens a model; then every key is read through every typed getter, array
 * elements are read (the first 64 and the last), every tensor is looked up by
 * name and its first and last data byte read, and the file is wrapped as a
 * tensor source and closed through it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "model/gguf.h"

BB_FUZZ_TARGET(gguf)
{
    char path[4096];
    bb_fuzz_write("model.gguf", data, size);
    bb_fuzz_path(path, sizeof path, "model.gguf");
    struct bb_gguf *g = NULL;
    struct bb_error err = {0};
    enum bb_status os = bb_gguf_open(path, &g, &err);
    bb_fuzz_note("gguf", os, &err);
    if (os)
        return 0;
    bb_gguf_version(g);
    bb_gguf_path(g);
    volatile uint64_t sink = 0; /* unsigned: wraps instead of overflowing */
    int nkv = bb_gguf_kv_count(g);
    for (int i = 0; i < nkv; i++) {
        const struct bb_gguf_kv *kv = bb_gguf_kv_at(g, i);
        char key[512];
        size_t kl = kv->key.len < sizeof key - 1 ? (size_t)kv->key.len : sizeof key - 1;
        memcpy(key, kv->key.s, kl);
        key[kl] = 0;
        bb_gguf_type_name(kv->type);
        bb_gguf_find(g, key);
        uint32_t u;
        float f;
        bool b;
        char *s = NULL;
        bb_gguf_get_u32(g, key, &u, &err);
        bb_gguf_get_f32(g, key, &f, &err);
        bb_gguf_get_bool(g, key, &b, &err);
        if (!bb_gguf_get_str(g, key, &s, &err))
            free(s);
        bb_gguf_opt_u32(g, key, &u);
        bb_gguf_opt_f32(g, key, &f);
        bb_gguf_opt_bool(g, key, &b);
        if (kv->type == BB_GGUF_ARRAY) {
            bb_gguf_type_name(kv->arr_type);
            for (uint64_t k = 0; k < kv->arr_len; k = k < 64 ? k + 1 : kv->arr_len - 1) {
                if (kv->arr_type == BB_GGUF_STRING) {
                    struct bb_gguf_str e = bb_gguf_arr_str(kv, k);
                    if (e.len)
                        sink += e.s[0] + e.s[e.len - 1];
                } else {
                    sink += (uint64_t)bb_gguf_arr_int(kv, k);
                    sink += (uint64_t)(bb_gguf_arr_float(kv, k) != 0);
                }
                if (k == kv->arr_len - 1)
                    break;
            }
        }
    }
    int nt = bb_gguf_tensor_count(g);
    for (int i = 0; i < nt; i++) {
        const struct bb_tensor *t = bb_gguf_tensor_at(g, i);
        if (bb_gguf_tensor_find(g, t->name) == NULL)
            abort(); /* every listed tensor must be found by its name */
        if (t->bytes) {
            const unsigned char *p = t->data;
            sink += p[0] + p[t->bytes - 1];
        }
    }
    /* the reader promises tensors that do not overlap: check every pair */
    for (int i = 0; i < nt && i < 256; i++)
        for (int j = i + 1; j < nt && j < 256; j++) {
            const struct bb_tensor *a = bb_gguf_tensor_at(g, i), *b = bb_gguf_tensor_at(g, j);
            const char *pa = a->data, *pb = b->data;
            if (a->bytes && b->bytes && pa < pb + b->bytes && pb < pa + a->bytes)
                abort(); /* two tensors share bytes */
        }
    for (uint32_t ty = 0; ty < 48; ty++) {
        enum bb_dtype dt;
        bb_gguf_ggml_type(ty, &dt);
        bb_gguf_ggml_type_name(ty);
    }
    (void)sink;
    struct bb_tensor_source *src = NULL;
    if (!bb_gguf_tensor_source(g, &src, &err) && src) {
        int n = src->ops->count(src);
        if (n > 0)
            src->ops->find(src, src->ops->at(src, 0)->name);
        src->ops->close(src);
    } else {
        bb_gguf_close(g);
    }
    return 0;
}
