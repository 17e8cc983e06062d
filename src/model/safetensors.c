/* safetensors.c: memory-mapped .safetensors reader with strict header
 * validation (lengths, JSON, dtypes, shapes, spans) and clear errors. */
#include "model/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/half.h"
#include "core/json.h"

#define MAX_HEADER_BYTES (100u * 1024u * 1024u) /* the format's own limit */

static const struct {
    const char *name;
    size_t size;
} dtypes[BB_ST_DTYPE_COUNT] = {
    [BB_ST_F32] = {"F32", 4},   [BB_ST_F16] = {"F16", 2},   [BB_ST_BF16] = {"BF16", 2},
    [BB_ST_F64] = {"F64", 8},   [BB_ST_I64] = {"I64", 8},   [BB_ST_I32] = {"I32", 4},
    [BB_ST_I16] = {"I16", 2},   [BB_ST_I8] = {"I8", 1},     [BB_ST_U64] = {"U64", 8},
    [BB_ST_U32] = {"U32", 4},   [BB_ST_U16] = {"U16", 2},   [BB_ST_U8] = {"U8", 1},
    [BB_ST_BOOL] = {"BOOL", 1}, [BB_ST_F8_E4M3] = {"F8_E4M3", 1},
    [BB_ST_F8_E5M2] = {"F8_E5M2", 1},
};

const char *bb_st_dtype_name(enum bb_st_dtype t)
{
    return (unsigned)t < BB_ST_DTYPE_COUNT ? dtypes[t].name : "?";
}

bool bb_st_dtype_to_bb(enum bb_st_dtype t, enum bb_dtype *out)
{
    switch (t) {
    case BB_ST_F32: *out = BB_F32; return true;
    case BB_ST_F16: *out = BB_F16; return true;
    case BB_ST_BF16: *out = BB_BF16; return true;
    default: return false;
    }
}

static bool dtype_parse(const char *s, enum bb_st_dtype *out)
{
    for (int i = 0; i < BB_ST_DTYPE_COUNT; i++)
        if (!strcmp(s, dtypes[i].name)) {
            *out = (enum bb_st_dtype)i;
            return true;
        }
    return false;
}

/* ---- header parsing ----------------------------------------------------- */

/* Basename for messages: "model.safetensors" rather than a long path. */
static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static enum bb_status parse_u64_array(const json_t *arr, const char *what, const char *file,
                                      const char *tname, int max, int64_t *out, int *n,
                                      struct bb_error *err)
{
    if (!json_is_array(arr))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': '%s' is not an array", file, tname,
                       what);
    size_t len = json_array_size(arr);
    if ((int)len > max)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': '%s' has %zu entries (at most %d)",
                       file, tname, what, len, max);
    for (size_t i = 0; i < len; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return bb_fail(err, BB_E_INPUT,
                           "%s: tensor '%s': '%s'[%zu] is not a non-negative integer", file,
                           tname, what, i);
        out[i] = json_integer_value(v);
    }
    *n = (int)len;
    return BB_OK;
}

static enum bb_status check_metadata(const json_t *v, const char *file, struct bb_error *err)
{
    if (!json_is_object(v))
        return bb_fail(err, BB_E_INPUT, "%s: '__metadata__' is not an object", file);
    const char *k;
    json_t *s;
    json_object_foreach((json_t *)v, k, s) {
        if (!json_is_string(s))
            return bb_fail(err, BB_E_INPUT, "%s: '__metadata__' field '%s' is not a string",
                           file, k);
    }
    return BB_OK;
}

/* Byte size of a shape, or false on overflow. */
static bool shape_bytes(const struct bb_st_tensor *t, size_t esize, size_t *bytes)
{
    uint64_t n = 1;
    for (int d = 0; d < t->ndim; d++) {
        uint64_t s = (uint64_t)t->shape[d];
        if (s && n > UINT64_MAX / s)
            return false;
        n *= s;
    }
    if (esize && n > SIZE_MAX / esize)
        return false;
    *bytes = (size_t)(n * esize);
    return true;
}

static void shape_str(const struct bb_st_tensor *t, char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->ndim && o < n; d++)
        o += (size_t)snprintf(buf + o, n - o, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (o < n)
        snprintf(buf + o, n - o, "]");
}

static enum bb_status parse_tensor(struct bb_safetensors *st, const char *name, const json_t *v,
                                   struct bb_st_tensor *t, struct bb_error *err)
{
    const char *file = base(st->path);
    if (!json_is_object(v))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': entry is not an object", file, name);
    const json_t *dt = json_object_get(v, "dtype");
    if (!json_is_string(dt))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': missing or non-string 'dtype'", file,
                       name);
    if (!dtype_parse(json_string_value(dt), &t->dtype))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': unknown dtype '%s'", file, name,
                       json_string_value(dt));
    enum bb_status s = parse_u64_array(json_object_get(v, "shape"), "shape", file, name,
                                       BB_ST_MAX_DIMS, t->shape, &t->ndim, err);
    if (s)
        return s;
    int64_t offs[2];
    int n_offs = 0;
    if ((s = parse_u64_array(json_object_get(v, "data_offsets"), "data_offsets", file, name, 2,
                             offs, &n_offs, err)))
        return s;
    if (n_offs != 2)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': 'data_offsets' must be [begin, end]",
                       file, name);
    if (offs[1] < offs[0])
        return bb_fail(err, BB_E_INPUT,
                       "%s: tensor '%s': data_offsets [%lld,%lld] end before begin", file, name,
                       (long long)offs[0], (long long)offs[1]);
    t->begin = (size_t)offs[0];
    t->end = (size_t)offs[1];
    size_t bytes;
    char shp[160];
    shape_str(t, shp, sizeof shp);
    if (!shape_bytes(t, dtypes[t->dtype].size, &bytes))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': shape %s overflows", file, name, shp);
    t->numel = (int64_t)(bytes / dtypes[t->dtype].size);
    if (bytes != t->end - t->begin)
        return bb_fail(err, BB_E_INPUT,
                       "%s: tensor '%s': shape %s of %s needs %zu bytes but data_offsets "
                       "[%zu,%zu] span %zu",
                       file, name, shp, dtypes[t->dtype].name, bytes, t->begin, t->end,
                       t->end - t->begin);
    if ((uint64_t)offs[1] > st->data_size)
        return bb_fail(
            err, BB_E_INPUT,
            "%s: tensor '%s': data_offsets [%zu,%zu] exceed the data section (%zu bytes)", file,
            name, t->begin, t->end, st->data_size);
    t->data = (const char *)st->map + st->data_start + t->begin;
    return BB_OK;
}

static int cmp_begin(const void *a, const void *b)
{
    const struct bb_st_tensor *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static enum bb_status check_overlaps(const struct bb_safetensors *st, struct bb_error *err)
{
    /* sorted by begin: compare with the non-empty tensor that reaches furthest so far (an
     * empty tensor between two others must not hide their overlap) */
    const struct bb_st_tensor *p = NULL;
    for (int i = 0; i < st->n_tensors; i++) {
        const struct bb_st_tensor *t = &st->tensors[i];
        if (t->end == t->begin)
            continue;
        if (p && t->begin < p->end)
            return bb_fail(err, BB_E_INPUT,
                           "%s: tensor '%s': data_offsets [%zu,%zu] overlap tensor '%s' [%zu,%zu]",
                           base(st->path), t->name, t->begin, t->end, p->name, p->begin,
                           p->end);
        if (!p || t->end > p->end)
            p = t;
    }
    return BB_OK;
}

static enum bb_status parse_header(struct bb_safetensors *st, const json_t *hdr,
                                   struct bb_error *err)
{
    const char *file = base(st->path);
    if (!json_is_object(hdr))
        return bb_fail(err, BB_E_INPUT, "%s: header is not a JSON object", file);
    st->tensors = calloc(json_object_size(hdr) + 1, sizeof *st->tensors);
    if (!st->tensors)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory for the tensor table", file);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)hdr, k, v) {
        enum bb_status s;
        if (!strcmp(k, "__metadata__")) {
            if ((s = check_metadata(v, file, err)))
                return s;
            continue;
        }
        struct bb_st_tensor *t = &st->tensors[st->n_tensors];
        if (!(t->name = strdup(k)))
            return bb_fail(err, BB_E_NOMEM, "%s: out of memory", file);
        st->n_tensors++;
        if ((s = parse_tensor(st, k, v, t, err)))
            return s;
    }
    qsort(st->tensors, (size_t)st->n_tensors, sizeof *st->tensors, cmp_begin);
    return check_overlaps(st, err);
}

/* ---- open / close --------------------------------------------------------- */

static enum bb_status map_file(struct bb_safetensors *st, struct bb_error *err)
{
    int fd = open(st->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bb_fail(err, BB_E_IO, "%s: cannot open: %s", st->path, strerror(errno));
    enum bb_status s = BB_OK;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        s = bb_fail(err, BB_E_IO, "%s: not a regular file", st->path);
        goto done;
    }
    st->map_size = (size_t)sb.st_size;
    if (st->map_size < 8) {
        s = bb_fail(err, BB_E_INPUT,
                    "%s: file is %zu bytes, too short for the 8-byte header length (truncated?)",
                    base(st->path), st->map_size);
        goto done;
    }
    st->map = mmap(NULL, st->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (st->map == MAP_FAILED) {
        st->map = NULL;
        s = bb_fail(err, BB_E_IO, "%s: mmap failed: %s", st->path, strerror(errno));
    }
done:
    close(fd);
    return s;
}

enum bb_status bb_safetensors_open(const char *path, struct bb_safetensors **out,
                                   struct bb_error *err)
{
    *out = NULL;
    json_t *hdr = NULL;
    struct bb_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", path);
    }
    enum bb_status s = map_file(st, err);
    if (s)
        goto fail;
    const unsigned char *p = st->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | p[i];
    if (hlen > st->map_size - 8 || hlen > MAX_HEADER_BYTES) {
        s = bb_fail(err, BB_E_INPUT,
                    "%s: header length %llu exceeds the file size (%zu bytes; truncated?)",
                    base(path), (unsigned long long)hlen, st->map_size);
        goto fail;
    }
    st->data_start = 8 + (size_t)hlen;
    st->data_size = st->map_size - st->data_start;
    char what[512];
    snprintf(what, sizeof what, "%s header", base(path));
    if ((s = bb_json_load_buf((const char *)p + 8, (size_t)hlen, what, &hdr, err)))
        goto fail;
    if ((s = parse_header(st, hdr, err)))
        goto fail;
    json_decref(hdr);
    *out = st;
    return BB_OK;
fail:
    json_decref(hdr);
    bb_safetensors_close(st);
    return s;
}

void bb_safetensors_close(struct bb_safetensors *st)
{
    if (!st)
        return;
    if (st->map)
        munmap(st->map, st->map_size);
    for (int i = 0; i < st->n_tensors; i++)
        free(st->tensors[i].name);
    free(st->tensors);
    free(st->path);
    free(st);
}

const struct bb_st_tensor *bb_safetensors_find(const struct bb_safetensors *st, const char *name)
{
    for (int i = 0; i < st->n_tensors; i++)
        if (!strcmp(st->tensors[i].name, name))
            return &st->tensors[i];
    return NULL;
}

enum bb_status bb_safetensors_to_f32(const struct bb_safetensors *st, const struct bb_st_tensor *t,
                                     float *dst, struct bb_error *err)
{
    const char *src = t->data;
    size_t n = (size_t)t->numel;
    switch (t->dtype) {
    case BB_ST_F32:
        memcpy(dst, src, n * 4);
        return BB_OK;
    case BB_ST_F16:
    case BB_ST_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = t->dtype == BB_ST_F16 ? bb_f16_to_f32(h) : bb_bf16_to_f32(h);
        }
        return BB_OK;
    default:
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "%s: tensor '%s': dtype %s cannot be used as float weights (F32, F16 "
                       "or BF16 expected)",
                       base(st->path), t->name, bb_st_dtype_name(t->dtype));
    }
}
