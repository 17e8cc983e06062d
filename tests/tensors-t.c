/* tensors-t.c: tests of bb_tensors_open (src/model/tensors.c): the
 * safetensors source on the all-MiniLM-L6-v2 folder and file, a sharded
 * model.safetensors.index.json built in the scratch folder (and its broken
 * variants), dtype mapping, and GGUF files and folders through the same
 * interface (SmolLM2-135M-Instruct when installed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/tensors.h"
#include "core/paths.h"
#include "tap.h"

static void write_bytes(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f))
        bail("cannot write %s", path);
}

/* A safetensors file: header JSON then `n` data bytes valued 0, 1, 2, ... */
static void write_st(const char *path, const char *header, size_t n)
{
    size_t hl = strlen(header);
    uint8_t *b = malloc(8 + hl + n);
    uint64_t l = hl;
    memcpy(b, &l, 8);
    memcpy(b + 8, header, hl);
    for (size_t i = 0; i < n; i++)
        b[8 + hl + i] = (uint8_t)i;
    write_bytes(path, b, 8 + hl + n);
    free(b);
}

static const char *tmp(const char *rel)
{
    static char p[8][4096];
    static int slot;
    char *s = p[slot++ % 8];
    snprintf(s, 4096, "%s/%s", test_tmp_dir(), rel);
    return s;
}

static bool find_model(const char *name, char *dir, size_t n)
{
    struct bb_error err = {0};
    if (bb_paths_find_model(name, dir, n, &err) == BB_OK)
        return true;
    const char *ci = getenv("CI");
    if (ci && !strcmp(ci, "true"))
        test_model_dir(name); /* bails */
    return false;
}

static void minilm(void)
{
    char dir[4096];
    if (!find_model("all-MiniLM-L6-v2", dir, sizeof dir)) {
        skip("all-MiniLM-L6-v2 not found (scripts/setup.sh)");
        return;
    }
    struct bb_tensor_source *src = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_tensors_open(dir, &src, &err);
    if (!is_int(BB_OK, st, "MiniLM folder opens (%s)", err.msg))
        return;
    is_string("safetensors", src->ops->format, "MiniLM: format");
    ok(strstr(src->path, "model.safetensors") != NULL, "MiniLM: path names model.safetensors");
    is_int(104, src->ops->count(src), "MiniLM: 104 tensors");
    const struct bb_tensor *w = bb_tensors_find(src, "embeddings.word_embeddings.weight");
    ok(w && w->dtype == BB_F32 && w->ndim == 2 && w->shape[0] == 30522 && w->shape[1] == 384 &&
       w->numel == 30522ll * 384 && w->bytes == (size_t)30522 * 384 * 4 && w->data,
       "MiniLM: word embeddings F32 {30522, 384}");
    const struct bb_tensor *b = bb_tensors_find(src, "encoder.layer.5.output.LayerNorm.bias");
    ok(b && b->dtype == BB_F32 && b->ndim == 1 && b->shape[0] == 384, "MiniLM: a LayerNorm bias");
    const struct bb_tensor *pid = bb_tensors_find(src, "embeddings.position_ids");
    ok(pid && pid->dtype == BB_DTYPE_COUNT && pid->numel == 512 && pid->bytes == 512 * 8,
       "MiniLM: the I64 position_ids is listed with no biasbench dtype (BB_DTYPE_COUNT)");
    ok(!bb_tensors_find(src, "nope"), "MiniLM: an absent name is NULL");
    bool all = true;
    for (int i = 0; i < src->ops->count(src); i++)
        if (bb_tensors_find(src, src->ops->at(src, i)->name) != src->ops->at(src, i))
            all = false;
    ok(all && !src->ops->at(src, -1) && !src->ops->at(src, 104), "MiniLM: find(at(i)) is at(i)");
    bb_tensors_close(src);
    char file[4200];
    snprintf(file, sizeof file, "%s/model.safetensors", dir);
    st = bb_tensors_open(file, &src, &err);
    ok(!st && src->ops->count(src) == 104, "MiniLM: the .safetensors file itself opens");
    if (!st)
        bb_tensors_close(src);
}

/* Two shards of a made-up model; ".index.json" in folder `name`. */
static const char *shards(const char *name, const char *index_json, bool dup)
{
    mkdir(tmp(name), 0755);
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", tmp(name), "model-00001-of-00002.safetensors");
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[16,24]},"
                "\"__metadata__\":{\"format\":\"pt\"}}", 24);
    snprintf(p, sizeof p, "%s/%s", tmp(name), "model-00002-of-00002.safetensors");
    if (dup)
        write_st(p, "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    else
        write_st(p, "{\"c\":{\"dtype\":\"BF16\",\"shape\":[3,1,2],\"data_offsets\":[0,12]},"
                    "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[12,16]},"
                    "\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[16,18]}}", 18);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", tmp(name));
    write_bytes(p, index_json, strlen(index_json));
    return tmp(name);
}

#define GOOD_INDEX \
    "{\"metadata\":{\"total_size\":58},\"weight_map\":{" \
    "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00001-of-00002.safetensors\"," \
    "\"c\":\"model-00002-of-00002.safetensors\",\"s\":\"model-00002-of-00002.safetensors\"," \
    "\"u\":\"model-00002-of-00002.safetensors\"}}"

static void expect_fail(const char *what, const char *path, enum bb_status want, const char *needle)
{
    struct bb_tensor_source *src = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_tensors_open(path, &src, &err);
    ok(st == want && !src && strstr(err.msg, needle), "%s -> %s: %s", what, bb_status_name(want),
       err.msg);
    if (src)
        bb_tensors_close(src);
}

static void sharded(void)
{
    const char *dir = shards("sharded", GOOD_INDEX, false);
    struct bb_tensor_source *src = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_tensors_open(dir, &src, &err);
    if (!is_int(BB_OK, st, "sharded folder opens (%s)", err.msg))
        return;
    is_string("safetensors", src->ops->format, "sharded: format");
    ok(strstr(src->path, "model.safetensors.index.json") != NULL, "sharded: path is the index");
    is_int(5, src->ops->count(src), "sharded: 5 tensors from 2 shards");
    const struct bb_tensor *a = bb_tensors_find(src, "a"), *b = bb_tensors_find(src, "b"),
                           *c = bb_tensors_find(src, "c"), *s = bb_tensors_find(src, "s"),
                           *u = bb_tensors_find(src, "u");
    ok(a && a->dtype == BB_F32 && a->ndim == 2 && a->shape[0] == 2 && a->shape[1] == 2 &&
       a->bytes == 16 && ((const uint8_t *)a->data)[0] == 0, "sharded: a F32 {2, 2} from shard 1");
    ok(b && b->dtype == BB_F16 && b->numel == 4 && b->bytes == 8 &&
       ((const uint8_t *)b->data)[0] == 16, "sharded: b F16 at its offset");
    ok(c && c->dtype == BB_BF16 && c->ndim == 3 && c->shape[0] == 3 && c->shape[2] == 2 &&
       c->numel == 6 && ((const uint8_t *)c->data)[0] == 0, "sharded: c BF16 {3, 1, 2} from shard 2");
    ok(s && s->ndim == 1 && s->shape[0] == 1 && s->numel == 1 && s->bytes == 4 &&
       ((const uint8_t *)s->data)[0] == 12, "sharded: a rank-0 tensor is listed as {1}");
    ok(u && u->dtype == BB_DTYPE_COUNT && u->bytes == 2, "sharded: a U8 tensor has no biasbench dtype");
    bb_tensors_close(src);
    char p[4200];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    st = bb_tensors_open(p, &src, &err);
    ok(!st && src->ops->count(src) == 5, "sharded: the index file itself opens");
    if (!st)
        bb_tensors_close(src);

    expect_fail("a name in two shards", shards("dup", GOOD_INDEX, true), BB_E_INPUT,
                "tensor 'a' is in more than one shard");
    expect_fail("weight_map names the wrong shard",
                shards("wrong", "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\"}}",
                       false),
                BB_E_INPUT, "weight_map puts tensor 'a' in model-00002-of-00002.safetensors, "
                            "which does not hold it");
    expect_fail("a missing shard",
                shards("missing", "{\"weight_map\":{\"a\":\"model-00003.safetensors\"}}", false),
                BB_E_IO, "names shard model-00003.safetensors");
    expect_fail("a shard path outside the folder",
                shards("escape", "{\"weight_map\":{\"a\":\"../x.safetensors\"}}", false),
                BB_E_INPUT, "weight_map entry 'a' is not a shard file name");
    expect_fail("no weight_map", shards("nomap", "{\"metadata\":{}}", false), BB_E_INPUT,
                "'weight_map' is missing");
    expect_fail("index not JSON", shards("notjson", "{weight_map", false), BB_E_INPUT,
                "model.safetensors.index.json");
}

static void formats(void)
{
    mkdir(tmp("empty"), 0755);
    expect_fail("a folder with no weights", tmp("empty"), BB_E_IO, "no model weights found");
    expect_fail("a path that does not exist", tmp("nope"), BB_E_IO, "nope: not found");
    write_bytes(tmp("notes.txt"), "hello", 5);
    expect_fail("a .txt file", tmp("notes.txt"), BB_E_INPUT,
                "not a .gguf, .safetensors or .safetensors.index.json file");
    write_bytes(tmp("bad.gguf"), "GGUF\1\0\0\0", 8);
    expect_fail("a broken .gguf", tmp("bad.gguf"), BB_E_INPUT,
                "bad.gguf: GGUF version 1 is not supported");
    mkdir(tmp("twogguf"), 0755);
    write_bytes(tmp("twogguf/a.gguf"), "GGUF", 4);
    write_bytes(tmp("twogguf/b.gguf"), "GGUF", 4);
    expect_fail("a folder with two .gguf files", tmp("twogguf"), BB_E_IO, "more than one .gguf");
    write_bytes(tmp("bad.safetensors"), "abc", 3);
    expect_fail("a broken .safetensors", tmp("bad.safetensors"), BB_E_INPUT, "too short");
}

static void gguf(void)
{
    char dir[4096];
    if (!find_model("SmolLM2-135M-Instruct", dir, sizeof dir)) {
        skip("SmolLM2-135M-Instruct not found (scripts/setup.sh --smollm2)");
        return;
    }
    char file[4200];
    snprintf(file, sizeof file, "%s/SmolLM2-135M-Instruct.Q4_1.gguf", dir);
    const char *paths[2] = {file, dir};
    for (int i = 0; i < 2; i++) {
        struct bb_tensor_source *src = NULL;
        struct bb_error err = {0};
        enum bb_status st = bb_tensors_open(paths[i], &src, &err);
        if (!is_int(BB_OK, st, "SmolLM2 %s opens (%s)", i ? "folder" : "file", err.msg))
            continue;
        const struct bb_tensor *t = bb_tensors_find(src, "blk.3.ffn_up.weight");
        ok(!strcmp(src->ops->format, "gguf") && src->ops->count(src) == 272 && t &&
           t->dtype == BB_Q4_1 && t->shape[0] == 1536 && t->shape[1] == 576 &&
           !strcmp(src->path, file),
           "SmolLM2 %s: gguf source, 272 tensors, blk.3.ffn_up Q4_1 {1536, 576}",
           i ? "folder" : "file");
        bb_tensors_close(src);
    }
}

int main(void)
{
    plan_lazy();
    formats();
    sharded();
    minilm();
    gguf();
    bb_tensors_close(NULL); /* a no-op; a crash here ends the file */
    return tap_failures() ? 1 : 0;
}
