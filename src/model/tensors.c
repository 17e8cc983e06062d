/* tensors.c: bb_tensors_open, one tensor-source interface over a .gguf file,
 * a .safetensors file, or a model folder (model.safetensors, a sharded
 * model.safetensors.index.json, or a single .gguf file).
 *
 * Safetensors dtypes: F32, F16 and BF16 map to BB_F32/BB_F16/BB_BF16 (via
 * bb_st_dtype_to_bb). Every other dtype (I64 position_ids buffers, U8, F64,
 * F8...) is still listed, with dtype BB_DTYPE_COUNT ("no biasbench dtype"),
 * numel, shape and bytes as in the file, so that inspect can count it and a
 * loader that asks for it refuses it by its dtype. A safetensors tensor of
 * rank 0 is listed as shape {1}; one of rank above BB_TENSOR_MAX_DIMS is refused at
 * open (BB_E_UNSUPPORTED). Tensor names are unique across shards; every name of an
 * index's weight_map must be in the shard it names. */
#include "model/tensors.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json.h"
#include "core/paths.h"
#include "model/gguf.h"
#include "model/safetensors.h"

struct st_source {
    struct bb_safetensors **shards;
    int n_shards;
    struct bb_tensor *tensors; /* names point into the shards */
    int n_tensors;
    const struct bb_tensor **sorted; /* by name, for find */
    char *path;
};

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp((*(const struct bb_tensor *const *)a)->name,
                  (*(const struct bb_tensor *const *)b)->name);
}

static const struct bb_tensor *st_find(const struct bb_tensor_source *src, const char *name)
{
    const struct st_source *s = src->impl;
    struct bb_tensor key = {.name = name};
    const struct bb_tensor *kp = &key;
    const struct bb_tensor **hit =
        bsearch(&kp, s->sorted, (size_t)s->n_tensors, sizeof *s->sorted, cmp_tensor_name);
    return hit ? *hit : NULL;
}

static int st_count(const struct bb_tensor_source *src)
{
    return ((const struct st_source *)src->impl)->n_tensors;
}

static const struct bb_tensor *st_at(const struct bb_tensor_source *src, int i)
{
    const struct st_source *s = src->impl;
    return i >= 0 && i < s->n_tensors ? &s->tensors[i] : NULL;
}

static void st_free(struct st_source *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_shards; i++)
        bb_safetensors_close(s->shards[i]);
    free(s->shards);
    free(s->tensors);
    free(s->sorted);
    free(s->path);
    free(s);
}

static void st_close(struct bb_tensor_source *src)
{
    st_free(src->impl);
    free(src);
}

static const struct bb_tensor_source_ops st_ops = {
    .format = "safetensors", .find = st_find, .count = st_count, .at = st_at, .close = st_close,
};

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Add a shard's tensors to the table. */
static enum bb_status add_shard(struct st_source *s, struct bb_safetensors *st,
                                struct bb_error *err)
{
    struct bb_tensor *t = realloc(s->tensors, (size_t)(s->n_tensors + st->n_tensors + 1) *
                                                  sizeof *t);
    if (!t)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", base(st->path));
    s->tensors = t;
    for (int i = 0; i < st->n_tensors; i++) {
        const struct bb_st_tensor *x = &st->tensors[i];
        struct bb_tensor *y = &s->tensors[s->n_tensors];
        if (x->ndim > BB_TENSOR_MAX_DIMS)
            return bb_fail(err, BB_E_UNSUPPORTED,
                           "%s: tensor '%s' has %d dimensions (biasbench handles at most %d)",
                           base(st->path), x->name, x->ndim, BB_TENSOR_MAX_DIMS);
        memset(y, 0, sizeof *y);
        y->name = x->name;
        if (!bb_st_dtype_to_bb(x->dtype, &y->dtype))
            y->dtype = BB_DTYPE_COUNT;
        y->file_dtype = bb_st_dtype_name(x->dtype);
        y->ndim = x->ndim ? x->ndim : 1;
        y->shape[0] = 1;
        for (int d = 0; d < x->ndim; d++)
            y->shape[d] = x->shape[d];
        y->numel = x->numel;
        y->data = x->data;
        y->bytes = x->end - x->begin;
        s->n_tensors++;
    }
    return BB_OK;
}

static enum bb_status open_shard(struct st_source *s, const char *path,
                                 struct bb_safetensors **out, struct bb_error *err)
{
    struct bb_safetensors **sh = realloc(s->shards, (size_t)(s->n_shards + 1) * sizeof *sh);
    if (!sh)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", path);
    s->shards = sh;
    enum bb_status st = bb_safetensors_open(path, &s->shards[s->n_shards], err);
    if (st)
        return st;
    *out = s->shards[s->n_shards++];
    return add_shard(s, *out, err);
}

/* Sort the name index and refuse a name given twice (across shards). */
static enum bb_status index_names(struct st_source *s, struct bb_error *err)
{
    if (!(s->sorted = malloc((size_t)(s->n_tensors + 1) * sizeof *s->sorted)))
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", base(s->path));
    for (int i = 0; i < s->n_tensors; i++)
        s->sorted[i] = &s->tensors[i];
    qsort(s->sorted, (size_t)s->n_tensors, sizeof *s->sorted, cmp_tensor_name);
    for (int i = 1; i < s->n_tensors; i++)
        if (!strcmp(s->sorted[i - 1]->name, s->sorted[i]->name))
            return bb_fail(err, BB_E_INPUT, "%s: tensor '%s' is in more than one shard",
                           base(s->path), s->sorted[i]->name);
    return BB_OK;
}

/* A shard file name from an index: a plain name in the index's folder. */
static bool plain_name(const char *f)
{
    return *f && !strchr(f, '/') && strcmp(f, ".") && strcmp(f, "..");
}

static enum bb_status open_index(struct st_source *s, const char *index, struct bb_error *err)
{
    json_t *root = NULL;
    const char *file = base(index);
    enum bb_status st = bb_json_load_file(index, &root, err);
    if (st)
        goto done;
    const json_t *wm = json_object_get(root, "weight_map");
    if (!json_is_object(wm) || !json_object_size(wm)) {
        st = bb_fail(err, BB_E_INPUT, "%s: 'weight_map' is missing, not an object, or empty",
                     file);
        goto done;
    }
    char dir[4096 + 64];
    bb_path_dir_of(index, dir, sizeof dir);
    const char *name;
    json_t *v;
    /* open each shard once, in the order the weight_map first names it */
    json_object_foreach((json_t *)wm, name, v) {
        if (!json_is_string(v) || !plain_name(json_string_value(v))) {
            st = bb_fail(err, BB_E_INPUT,
                         "%s: weight_map entry '%s' is not a shard file name in the folder",
                         file, name);
            goto done;
        }
        const char *shard = json_string_value(v);
        bool seen = false;
        for (int i = 0; i < s->n_shards && !seen; i++)
            seen = !strcmp(base(s->shards[i]->path), shard);
        if (seen)
            continue;
        char path[4096 + 64 + 256];
        snprintf(path, sizeof path, "%s/%s", dir, shard);
        struct bb_safetensors *sh;
        if ((st = open_shard(s, path, &sh, err))) {
            if (st == BB_E_IO)
                bb_error_prefix(err, "%s names shard %s: ", file, shard);
            goto done;
        }
    }
    if ((st = index_names(s, err)))
        goto done;
    /* every tensor of the map in the shard it names */
    json_object_foreach((json_t *)wm, name, v) {
        const char *shard = json_string_value(v);
        for (int i = 0; i < s->n_shards; i++)
            if (!strcmp(base(s->shards[i]->path), shard) &&
                !bb_safetensors_find(s->shards[i], name)) {
                st = bb_fail(err, BB_E_INPUT,
                             "%s: weight_map puts tensor '%s' in %s, which does not hold it",
                             file, name, shard);
                goto done;
            }
    }
done:
    json_decref(root);
    return st;
}

/* The one .gguf file of a folder, if it has exactly one; 0 none, 2 more than one. */
static int folder_gguf(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (ends_with(e->d_name, ".gguf") && e->d_name[0] != '.') {
            if (found++)
                break;
            snprintf(out, n, "%s/%s", dir, e->d_name);
        }
    closedir(d);
    return found;
}

static bool has_gguf_magic(const char *path)
{
    FILE *f = fopen(path, "rb");
    char m[4] = {0};
    bool yes = f && fread(m, 1, 4, f) == 4 && !memcmp(m, "GGUF", 4);
    if (f)
        fclose(f);
    return yes;
}

static enum bb_status open_gguf(const char *path, struct bb_tensor_source **out,
                                struct bb_error *err)
{
    struct bb_gguf *g;
    enum bb_status st = bb_gguf_open(path, &g, err);
    if (st)
        return st;
    if ((st = bb_gguf_tensor_source(g, out, err)))
        bb_gguf_close(g);
    return st;
}

enum bb_status bb_tensors_open(const char *path, struct bb_tensor_source **out,
                               struct bb_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return bb_fail(err, BB_E_IO, "%s: not found", path);
    char p[4096 + 64];
    bool index = false;
    if (S_ISDIR(sb.st_mode)) {
        snprintf(p, sizeof p, "%s/model.safetensors", path);
        if (!is_file(p)) {
            snprintf(p, sizeof p, "%s/model.safetensors.index.json", path);
            index = is_file(p);
            if (!index) {
                int n = folder_gguf(path, p, sizeof p);
                if (n == 1)
                    return open_gguf(p, out, err);
                return bb_fail(err, BB_E_IO,
                               "%s: %s (a model folder needs model.safetensors, "
                               "model.safetensors.index.json or one .gguf file)",
                               path, n ? "more than one .gguf file and no model.safetensors"
                                       : "no model weights found");
            }
        }
    } else if (S_ISREG(sb.st_mode)) {
        if (ends_with(path, ".gguf") || has_gguf_magic(path))
            return open_gguf(path, out, err);
        snprintf(p, sizeof p, "%s", path);
        index = ends_with(path, ".index.json");
        if (!index && !ends_with(path, ".safetensors"))
            return bb_fail(err, BB_E_INPUT,
                           "%s: not a .gguf, .safetensors or .safetensors.index.json file",
                           path);
    } else {
        return bb_fail(err, BB_E_IO, "%s: not a file or folder", path);
    }
    enum bb_status st = BB_OK;
    struct bb_tensor_source *src = calloc(1, sizeof *src);
    struct st_source *s = calloc(1, sizeof *s);
    if (!src || !s || !(s->path = strdup(p))) {
        st = bb_fail(err, BB_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (index) {
        st = open_index(s, p, err);
    } else {
        struct bb_safetensors *sh;
        if (!(st = open_shard(s, p, &sh, err)))
            st = index_names(s, err);
    }
    if (st)
        goto fail;
    src->ops = &st_ops;
    src->path = s->path;
    src->impl = s;
    *out = src;
    return BB_OK;
fail:
    st_free(s);
    free(src);
    return st;
}

void bb_tensors_close(struct bb_tensor_source *src)
{
    if (src)
        src->ops->close(src);
}
