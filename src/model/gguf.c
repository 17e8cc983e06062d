/* gguf.c: strict memory-mapped GGUF reader (versions 2 and 3). The whole
 * header (metadata and tensor infos) is validated at open; metadata values and
 * tensor data stay in the mapping. Errors name the file, key or tensor and the
 * problem. */
#include "model/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_MAX_DIMS 4 /* ggml's GGML_MAX_DIMS */

#define GGUF_MAGIC "GGUF"
#define DEFAULT_ALIGNMENT 32u
#define MIN_KV_BYTES 13u     /* key length (8), value type (4), a 1-byte value */
#define MIN_TINFO_BYTES 32u  /* name length, n_dims, one dimension, type, offset */

/* ---- ggml types ----------------------------------------------------------- */

/* Every type ggml defines (as the gguf Python package lists them): its name,
 * elements per block, bytes per block, and the bb_dtype when biasbench supports
 * it. Sizes of unsupported types are kept so that a file's layout is checked in
 * full before a type is refused. */
static const struct {
    const char *name;
    int block;
    int bytes;
    int bb; /* enum bb_dtype, or -1 */
} ggml_types[] = {
    [0] = {"f32", 1, 4, BB_F32},        [1] = {"f16", 1, 2, BB_F16},
    [2] = {"q4_0", 32, 18, BB_Q4_0},    [3] = {"q4_1", 32, 20, BB_Q4_1},
    [6] = {"q5_0", 32, 22, BB_Q5_0},    [7] = {"q5_1", 32, 24, BB_Q5_1},
    [8] = {"q8_0", 32, 34, BB_Q8_0},    [9] = {"q8_1", 32, 40, -1},
    [10] = {"q2_k", 256, 84, -1},       [11] = {"q3_k", 256, 110, -1},
    [12] = {"q4_k", 256, 144, BB_Q4_K}, [13] = {"q5_k", 256, 176, BB_Q5_K},
    [14] = {"q6_k", 256, 210, BB_Q6_K}, [15] = {"q8_k", 256, 292, -1},
    [16] = {"iq2_xxs", 256, 66, -1},    [17] = {"iq2_xs", 256, 74, -1},
    [18] = {"iq3_xxs", 256, 98, -1},    [19] = {"iq1_s", 256, 50, -1},
    [20] = {"iq4_nl", 32, 18, -1},      [21] = {"iq3_s", 256, 110, -1},
    [22] = {"iq2_s", 256, 82, -1},      [23] = {"iq4_xs", 256, 136, -1},
    [24] = {"i8", 1, 1, -1},            [25] = {"i16", 1, 2, -1},
    [26] = {"i32", 1, 4, -1},           [27] = {"i64", 1, 8, -1},
    [28] = {"f64", 1, 8, -1},           [29] = {"iq1_m", 256, 56, -1},
    [30] = {"bf16", 1, 2, BB_BF16},     [34] = {"tq1_0", 256, 54, -1},
    [35] = {"tq2_0", 256, 66, -1},      [39] = {"mxfp4", 32, 17, -1},
    [40] = {"nvfp4", 64, 36, -1},       [41] = {"q1_0", 128, 18, -1},
};
#define N_GGML_TYPES (sizeof ggml_types / sizeof ggml_types[0])
#define SUPPORTED_LIST "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k"

static bool ggml_known(uint32_t t)
{
    return t < N_GGML_TYPES && ggml_types[t].name;
}

bool bb_gguf_ggml_type(uint32_t ggml_type, enum bb_dtype *out)
{
    if (!ggml_known(ggml_type) || ggml_types[ggml_type].bb < 0)
        return false;
    *out = (enum bb_dtype)ggml_types[ggml_type].bb;
    return true;
}

const char *bb_gguf_ggml_type_name(uint32_t ggml_type)
{
    static _Thread_local char buf[32];
    if (ggml_known(ggml_type))
        return ggml_types[ggml_type].name;
    snprintf(buf, sizeof buf, "type %u", ggml_type);
    return buf;
}

/* ---- metadata value types ------------------------------------------------- */

static const struct {
    const char *name;
    int size; /* bytes of a scalar; 0 for string and array */
} value_types[BB_GGUF_TYPE_COUNT] = {
    [BB_GGUF_U8] = {"u8", 1},       [BB_GGUF_I8] = {"i8", 1},     [BB_GGUF_U16] = {"u16", 2},
    [BB_GGUF_I16] = {"i16", 2},     [BB_GGUF_U32] = {"u32", 4},   [BB_GGUF_I32] = {"i32", 4},
    [BB_GGUF_F32] = {"f32", 4},     [BB_GGUF_BOOL] = {"bool", 1}, [BB_GGUF_STRING] = {"string", 0},
    [BB_GGUF_ARRAY] = {"array", 0}, [BB_GGUF_U64] = {"u64", 8},   [BB_GGUF_I64] = {"i64", 8},
    [BB_GGUF_F64] = {"f64", 8},
};

const char *bb_gguf_type_name(enum bb_gguf_type t)
{
    return (unsigned)t < BB_GGUF_TYPE_COUNT ? value_types[t].name : "?";
}

/* ---- the open file ---------------------------------------------------------- */

/* A key/value with, for string arrays, the offset of each string (random access). */
struct kv_entry {
    struct bb_gguf_kv kv; /* first: bb_gguf_kv pointers handed out are kv_entry pointers */
    uint64_t *str_offs;   /* string arrays: offset of string i from kv.data */
};

struct tinfo {
    uint32_t ggml_type;
    uint64_t offset; /* relative to the data start */
    uint64_t bytes;
};

struct bb_gguf {
    char *path;
    const uint8_t *map;
    size_t size;
    uint32_t version;
    struct kv_entry *kvs;
    int n_kv;
    struct bb_tensor *tensors; /* file order */
    struct tinfo *tinfos;
    const struct bb_tensor **by_name; /* sorted by name */
    int n_tensors;
    uint32_t alignment;
    size_t data_start;
};

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A bounds-checked cursor over the mapping. */
struct rd {
    const uint8_t *p;
    size_t size, off;
    const char *file;
};

static bool rd_has(const struct rd *r, uint64_t n)
{
    return n <= r->size - r->off;
}

static uint64_t rd_left(const struct rd *r)
{
    return r->size - r->off;
}

static void get_le(const uint8_t *p, void *out, int n)
{
    memcpy(out, p, (size_t)n); /* GGUF is little-endian, as are the hosts biasbench runs on */
}

static uint32_t rd_u32(struct rd *r)
{
    uint32_t v;
    get_le(r->p + r->off, &v, 4);
    r->off += 4;
    return v;
}

static uint64_t rd_u64(struct rd *r)
{
    uint64_t v;
    get_le(r->p + r->off, &v, 8);
    r->off += 8;
    return v;
}

/* Print a string of the file for a message: printable ASCII, at most 64 bytes. */
static void show(const uint8_t *s, uint64_t len, char *buf, size_t n)
{
    size_t o = 0;
    for (uint64_t i = 0; i < len && o + 5 < n; i++) {
        if (i == 64) {
            o += (size_t)snprintf(buf + o, n - o, "...");
            break;
        }
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
    }
    buf[o < n ? o : n - 1] = 0;
}

/* A string: u64 length then bytes, inside the file. `what` names it in errors. */
static enum bb_status rd_str(struct rd *r, const char *what, struct bb_gguf_str *out,
                             struct bb_error *err)
{
    if (!rd_has(r, 8))
        return bb_fail(err, BB_E_INPUT,
                       "%s: %s: the length at byte %zu is past the end of the file (%zu bytes; "
                       "truncated?)",
                       r->file, what, r->off, r->size);
    uint64_t len = rd_u64(r);
    if (!rd_has(r, len))
        return bb_fail(err, BB_E_INPUT,
                       "%s: %s: string length %llu at byte %zu runs past the end of the file "
                       "(%zu bytes; truncated?)",
                       r->file, what, (unsigned long long)len, r->off - 8, r->size);
    out->s = (const char *)r->p + r->off;
    out->len = len;
    r->off += (size_t)len;
    return BB_OK;
}

/* The fixed-size scalar of `type` at the cursor. */
static enum bb_status rd_scalar(struct rd *r, enum bb_gguf_type type, const char *key,
                                struct bb_error *err)
{
    int size = value_types[type].size;
    if (!rd_has(r, (uint64_t)size))
        return bb_fail(err, BB_E_INPUT,
                       "%s: metadata %s: the %s value at byte %zu is past the end of the file "
                       "(truncated?)",
                       r->file, key, value_types[type].name, r->off);
    if (type == BB_GGUF_BOOL && r->p[r->off] > 1)
        return bb_fail(err, BB_E_INPUT, "%s: metadata %s: bool value %u (0 or 1 expected)",
                       r->file, key, r->p[r->off]);
    r->off += (size_t)size;
    return BB_OK;
}

static enum bb_status rd_value_type(struct rd *r, const char *key, const char *what,
                                    enum bb_gguf_type *out, struct bb_error *err)
{
    if (!rd_has(r, 4))
        return bb_fail(err, BB_E_INPUT,
                       "%s: metadata %s: the %s at byte %zu is past the end of the file "
                       "(truncated?)",
                       r->file, key, what, r->off);
    uint32_t t = rd_u32(r);
    if (t >= BB_GGUF_TYPE_COUNT)
        return bb_fail(err, BB_E_INPUT, "%s: metadata %s: unknown %s %u (0 to %d expected)",
                       r->file, key, what, t, BB_GGUF_TYPE_COUNT - 1);
    *out = (enum bb_gguf_type)t;
    return BB_OK;
}

static enum bb_status read_array(struct rd *r, struct kv_entry *e, const char *key,
                                 struct bb_error *err)
{
    enum bb_status s = rd_value_type(r, key, "array element type", &e->kv.arr_type, err);
    if (s)
        return s;
    if (e->kv.arr_type == BB_GGUF_ARRAY)
        return bb_fail(err, BB_E_INPUT,
                       "%s: metadata %s: nested arrays (an array of arrays) are not allowed",
                       r->file, key);
    if (!rd_has(r, 8))
        return bb_fail(err, BB_E_INPUT,
                       "%s: metadata %s: the array length at byte %zu is past the end of the "
                       "file (truncated?)",
                       r->file, key, r->off);
    uint64_t n = rd_u64(r);
    e->kv.arr_len = n;
    e->kv.data = r->p + r->off;
    uint64_t min =
        e->kv.arr_type == BB_GGUF_STRING ? 8 : (uint64_t)value_types[e->kv.arr_type].size;
    if (n > rd_left(r) / min)
        return bb_fail(err, BB_E_INPUT,
                       "%s: metadata %s: array of %llu %s elements runs past the end of the "
                       "file (%llu bytes left; truncated?)",
                       r->file, key, (unsigned long long)n, value_types[e->kv.arr_type].name,
                       (unsigned long long)rd_left(r));
    if (e->kv.arr_type != BB_GGUF_STRING) {
        if (e->kv.arr_type == BB_GGUF_BOOL)
            for (uint64_t i = 0; i < n; i++)
                if (r->p[r->off + i] > 1)
                    return bb_fail(err, BB_E_INPUT,
                                   "%s: metadata %s: element %llu: bool value %u (0 or 1 "
                                   "expected)",
                                   r->file, key, (unsigned long long)i, r->p[r->off + i]);
        r->off += (size_t)(n * min);
        return BB_OK;
    }
    if (!(e->str_offs = malloc((size_t)(n ? n : 1) * sizeof *e->str_offs)))
        return bb_fail(err, BB_E_NOMEM, "%s: metadata %s: out of memory for %llu strings", r->file,
                       key, (unsigned long long)n);
    size_t start = r->off;
    for (uint64_t i = 0; i < n; i++) {
        char what[400];
        snprintf(what, sizeof what, "metadata %s: element %llu", key, (unsigned long long)i);
        struct bb_gguf_str str;
        e->str_offs[i] = r->off - start;
        if ((s = rd_str(r, what, &str, err)))
            return s;
    }
    return BB_OK;
}

/* An integer value of type t at p: 1 and *v set; 2 a u64 past INT64_MAX; 0 not an integer type. */
static int int_value(enum bb_gguf_type t, const void *p, int64_t *v)
{
    switch (t) {
    case BB_GGUF_U8: { uint8_t x; memcpy(&x, p, 1); *v = x; return 1; }
    case BB_GGUF_I8: { int8_t x; memcpy(&x, p, 1); *v = x; return 1; }
    case BB_GGUF_U16: { uint16_t x; memcpy(&x, p, 2); *v = x; return 1; }
    case BB_GGUF_I16: { int16_t x; memcpy(&x, p, 2); *v = x; return 1; }
    case BB_GGUF_U32: { uint32_t x; memcpy(&x, p, 4); *v = x; return 1; }
    case BB_GGUF_I32: { int32_t x; memcpy(&x, p, 4); *v = x; return 1; }
    case BB_GGUF_I64: { int64_t x; memcpy(&x, p, 8); *v = x; return 1; }
    case BB_GGUF_U64: {
        uint64_t x;
        memcpy(&x, p, 8);
        if (x > (uint64_t)INT64_MAX)
            return 2;
        *v = (int64_t)x;
        return 1;
    }
    default: return 0;
    }
}

static bool str_eq(struct bb_gguf_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && !memcmp(a.s, b, n);
}

static enum bb_status read_kvs(struct bb_gguf *g, struct rd *r, uint64_t n, struct bb_error *err)
{
    if (!(g->kvs = calloc((size_t)(n ? n : 1), sizeof *g->kvs)))
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory for %llu metadata entries", r->file,
                       (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        struct kv_entry *e = &g->kvs[i];
        char what[64], key[300];
        snprintf(what, sizeof what, "metadata entry %llu: key", (unsigned long long)i);
        enum bb_status s = rd_str(r, what, &e->kv.key, err);
        if (s)
            return s;
        g->n_kv++;
        show((const uint8_t *)e->kv.key.s, e->kv.key.len, key, sizeof key);
        if (!e->kv.key.len || memchr(e->kv.key.s, 0, (size_t)e->kv.key.len))
            return bb_fail(err, BB_E_INPUT, "%s: metadata entry %llu: key '%s' is empty or "
                           "holds a NUL byte", r->file, (unsigned long long)i, key);
        if ((s = rd_value_type(r, key, "value type", &e->kv.type, err)))
            return s;
        if (e->kv.type == BB_GGUF_ARRAY) {
            s = read_array(r, e, key, err);
        } else if (e->kv.type == BB_GGUF_STRING) {
            struct bb_gguf_str str;
            char what2[320];
            snprintf(what2, sizeof what2, "metadata %s", key);
            e->kv.data = r->p + r->off;
            s = rd_str(r, what2, &str, err);
        } else {
            e->kv.data = r->p + r->off;
            s = rd_scalar(r, e->kv.type, key, err);
        }
        if (s)
            return s;
    }
    return BB_OK;
}

static int cmp_key(const void *a, const void *b)
{
    const struct bb_gguf_str *x = &(*(const struct kv_entry *const *)a)->kv.key;
    const struct bb_gguf_str *y = &(*(const struct kv_entry *const *)b)->kv.key;
    int c = memcmp(x->s, y->s, (size_t)(x->len < y->len ? x->len : y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Keys unique (sorted, so that a file of many keys cannot make this quadratic). */
static enum bb_status check_keys(const struct bb_gguf *g, struct bb_error *err)
{
    size_t n = (size_t)g->n_kv;
    const struct kv_entry **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", base(g->path));
    for (size_t i = 0; i < n; i++)
        sorted[i] = &g->kvs[i];
    qsort(sorted, n, sizeof *sorted, cmp_key);
    enum bb_status s = BB_OK;
    for (size_t i = 1; i < n && !s; i++)
        if (!cmp_key(&sorted[i - 1], &sorted[i])) {
            char key[300];
            show((const uint8_t *)sorted[i]->kv.key.s, sorted[i]->kv.key.len, key, sizeof key);
            s = bb_fail(err, BB_E_INPUT, "%s: metadata %s appears twice", base(g->path), key);
        }
    free(sorted);
    return s;
}

static enum bb_status read_alignment(struct bb_gguf *g, struct bb_error *err)
{
    const char *file = base(g->path);
    g->alignment = DEFAULT_ALIGNMENT;
    const struct bb_gguf_kv *kv = bb_gguf_find(g, "general.alignment");
    if (!kv)
        return BB_OK;
    if (kv->type == BB_GGUF_ARRAY || kv->type == BB_GGUF_STRING || kv->type == BB_GGUF_BOOL ||
        kv->type == BB_GGUF_F32 || kv->type == BB_GGUF_F64)
        return bb_fail(err, BB_E_INPUT,
                       "%s: metadata general.alignment: expected an integer, found %s", file,
                       bb_gguf_type_name(kv->type));
    int64_t v = -1;
    int_value(kv->type, kv->data, &v);
    if (v <= 0 || v > (1 << 30) || (v & (v - 1)))
        return bb_fail(err, BB_E_INPUT,
                       "%s: metadata general.alignment is %lld, not a power of two (1 to 2^30)",
                       file, (long long)v);
    g->alignment = (uint32_t)v;
    return BB_OK;
}

static enum bb_status read_tinfo(struct bb_gguf *g, struct rd *r, int i, struct bb_error *err)
{
    struct bb_tensor *t = &g->tensors[i];
    struct tinfo *ti = &g->tinfos[i];
    char what[64], name[300];
    snprintf(what, sizeof what, "tensor info %d: name", i);
    struct bb_gguf_str nm;
    enum bb_status s = rd_str(r, what, &nm, err);
    if (s)
        return s;
    show((const uint8_t *)nm.s, nm.len, name, sizeof name);
    if (!nm.len || memchr(nm.s, 0, (size_t)nm.len))
        return bb_fail(err, BB_E_INPUT, "%s: tensor info %d: name '%s' is empty or holds a NUL "
                       "byte", r->file, i, name);
    char *cname = malloc((size_t)nm.len + 1);
    if (!cname)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", r->file);
    memcpy(cname, nm.s, (size_t)nm.len);
    cname[nm.len] = 0;
    t->name = cname;
    g->n_tensors++;
    if (!rd_has(r, 4))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': n_dims is past the end of the file "
                       "(truncated?)", r->file, name);
    uint32_t nd = rd_u32(r);
    if (nd < 1 || nd > GGUF_MAX_DIMS)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': n_dims %u (1 to %d expected)", r->file,
                       name, nd, GGUF_MAX_DIMS);
    if (!rd_has(r, 8ull * nd + 12))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': dimensions, type and offset run past "
                       "the end of the file (truncated?)", r->file, name);
    uint64_t ne[GGUF_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++)
        ne[d] = rd_u64(r);
    ti->ggml_type = rd_u32(r);
    ti->offset = rd_u64(r);
    t->ndim = (int)nd;
    char shp[128];
    size_t o = (size_t)snprintf(shp, sizeof shp, "ne [");
    for (uint32_t d = 0; d < nd; d++)
        o += (size_t)snprintf(shp + o, sizeof shp - o, "%s%llu", d ? ", " : "",
                              (unsigned long long)ne[d]);
    snprintf(shp + o, sizeof shp - o, "]");
    uint64_t numel = 1;
    for (uint32_t d = 0; d < nd; d++) {
        if (ne[d] > (uint64_t)INT64_MAX || (ne[d] && numel > (uint64_t)INT64_MAX / ne[d]))
            return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': %s: the element count overflows",
                           r->file, name, shp);
        numel *= ne[d];
        t->shape[nd - 1 - d] = (int64_t)ne[d];
    }
    t->numel = (int64_t)numel;
    if (!ggml_known(ti->ggml_type))
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': unknown ggml type %u", r->file, name,
                       ti->ggml_type);
    uint64_t blk = (uint64_t)ggml_types[ti->ggml_type].block;
    if (ne[0] % blk)
        return bb_fail(err, BB_E_INPUT,
                       "%s: tensor '%s': %s: the innermost dimension %llu is not a multiple of "
                       "the %s block size %llu",
                       r->file, name, shp, (unsigned long long)ne[0],
                       ggml_types[ti->ggml_type].name, (unsigned long long)blk);
    uint64_t bpb = (uint64_t)ggml_types[ti->ggml_type].bytes;
    if (numel / blk > UINT64_MAX / bpb)
        return bb_fail(err, BB_E_INPUT, "%s: tensor '%s': %s: the byte size overflows", r->file,
                       name, shp);
    ti->bytes = numel / blk * bpb;
    if (ti->offset % g->alignment)
        return bb_fail(err, BB_E_INPUT,
                       "%s: tensor '%s': offset %llu is not a multiple of the alignment %u",
                       r->file, name, (unsigned long long)ti->offset, g->alignment);
    if (ggml_types[ti->ggml_type].bb >= 0)
        t->dtype = (enum bb_dtype)ggml_types[ti->ggml_type].bb;
    return BB_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const struct bb_tensor *const *)a)->name,
                  (*(const struct bb_tensor *const *)b)->name);
}

static int cmp_offset(const void *a, const void *b)
{
    const struct tinfo *x = *(const struct tinfo *const *)a, *y = *(const struct tinfo *const *)b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

/* Every tensor inside the data section, none overlapping, names unique. */
static enum bb_status check_layout(struct bb_gguf *g, struct bb_error *err)
{
    const char *file = base(g->path);
    enum bb_status s = BB_OK;
    size_t n = (size_t)g->n_tensors;
    uint64_t data_size = g->size > g->data_start ? g->size - g->data_start : 0;
    const struct tinfo **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", file);
    for (size_t i = 0; i < n; i++) {
        const struct tinfo *ti = &g->tinfos[i];
        order[i] = ti;
        if (ti->offset > data_size || ti->bytes > data_size - ti->offset) {
            s = bb_fail(err, BB_E_INPUT,
                        "%s: tensor '%s': offset %llu + %llu bytes is outside the file's data "
                        "section (%llu bytes from byte %zu; truncated?)",
                        file, g->tensors[i].name, (unsigned long long)ti->offset,
                        (unsigned long long)ti->bytes, (unsigned long long)data_size,
                        g->data_start);
            goto done;
        }
        /* an empty tensor points at the mapping's start: never past the file's end */
        g->tensors[i].data = ti->bytes ? g->map + g->data_start + ti->offset : g->map;
        g->tensors[i].bytes = (size_t)ti->bytes;
    }
    qsort(order, n, sizeof *order, cmp_offset);
    /* sorted by offset: compare with the non-empty tensor that reaches furthest so far (an
     * empty tensor between two others must not hide their overlap) */
    const struct tinfo *p = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct tinfo *t = order[i];
        if (!t->bytes)
            continue;
        if (p && t->offset < p->offset + p->bytes) {
            s = bb_fail(err, BB_E_INPUT,
                        "%s: tensor '%s' [%llu, %llu) overlaps tensor '%s' [%llu, %llu)", file,
                        g->tensors[t - g->tinfos].name, (unsigned long long)t->offset,
                        (unsigned long long)(t->offset + t->bytes),
                        g->tensors[p - g->tinfos].name, (unsigned long long)p->offset,
                        (unsigned long long)(p->offset + p->bytes));
            goto done;
        }
        if (!p || t->offset + t->bytes > p->offset + p->bytes)
            p = t;
    }
    /* unique names, and the index bb_gguf_tensor_find searches */
    if (!(g->by_name = malloc((n ? n : 1) * sizeof *g->by_name))) {
        s = bb_fail(err, BB_E_NOMEM, "%s: out of memory", file);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        g->by_name[i] = &g->tensors[i];
    qsort(g->by_name, n, sizeof *g->by_name, cmp_name);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(g->by_name[i - 1]->name, g->by_name[i]->name)) {
            s = bb_fail(err, BB_E_INPUT, "%s: tensor '%s' appears twice", file,
                        g->by_name[i]->name);
            goto done;
        }
done:
    free(order);
    return s;
}

/* The first tensor of a type biasbench cannot use, refused naming tensor and type. */
static enum bb_status check_types(const struct bb_gguf *g, struct bb_error *err)
{
    for (int i = 0; i < g->n_tensors; i++) {
        uint32_t t = g->tinfos[i].ggml_type;
        if (ggml_types[t].bb < 0)
            return bb_fail(err, BB_E_UNSUPPORTED,
                           "%s: tensor '%s' has type %s, which biasbench does not support "
                           "(supported: " SUPPORTED_LIST ")",
                           base(g->path), g->tensors[i].name, ggml_types[t].name);
    }
    return BB_OK;
}

static enum bb_status parse(struct bb_gguf *g, struct bb_error *err)
{
    struct rd r = {.p = g->map, .size = g->size, .off = 0, .file = base(g->path)};
    if (g->size < 4 || memcmp(g->map, GGUF_MAGIC, 4))
        return bb_fail(err, BB_E_INPUT, "%s: not a GGUF file (the first 4 bytes are not 'GGUF')",
                       r.file);
    r.off = 4;
    if (!rd_has(&r, 4))
        return bb_fail(err, BB_E_INPUT, "%s: the version is past the end of the file "
                       "(%zu bytes; truncated?)", r.file, g->size);
    g->version = rd_u32(&r);
    if (g->version != 2 && g->version != 3)
        return bb_fail(err, BB_E_INPUT, "%s: GGUF version %u is not supported (2 or 3 expected)",
                       r.file, g->version);
    if (!rd_has(&r, 16))
        return bb_fail(err, BB_E_INPUT, "%s: the tensor and metadata counts are past the end "
                       "of the file (%zu bytes; truncated?)", r.file, g->size);
    uint64_t n_tensors = rd_u64(&r), n_kv = rd_u64(&r);
    if (n_kv > rd_left(&r) / MIN_KV_BYTES)
        return bb_fail(err, BB_E_INPUT,
                       "%s: the header declares %llu metadata entries, more than the %llu bytes "
                       "left in the file can hold (truncated?)",
                       r.file, (unsigned long long)n_kv, (unsigned long long)rd_left(&r));
    if (n_tensors > rd_left(&r) / MIN_TINFO_BYTES || n_tensors > INT32_MAX)
        return bb_fail(err, BB_E_INPUT,
                       "%s: the header declares %llu tensors, more than the %llu bytes left in "
                       "the file can hold (truncated?)",
                       r.file, (unsigned long long)n_tensors, (unsigned long long)rd_left(&r));
    enum bb_status s = read_kvs(g, &r, n_kv, err);
    if (s || (s = check_keys(g, err)) || (s = read_alignment(g, err)))
        return s;
    if (n_tensors > rd_left(&r) / MIN_TINFO_BYTES)
        return bb_fail(err, BB_E_INPUT,
                       "%s: the header declares %llu tensors, more than the %llu bytes left "
                       "after the metadata can hold (truncated?)",
                       r.file, (unsigned long long)n_tensors, (unsigned long long)rd_left(&r));
    g->tensors = calloc((size_t)(n_tensors ? n_tensors : 1), sizeof *g->tensors);
    g->tinfos = calloc((size_t)(n_tensors ? n_tensors : 1), sizeof *g->tinfos);
    if (!g->tensors || !g->tinfos)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory for %llu tensors", r.file,
                       (unsigned long long)n_tensors);
    for (int i = 0; i < (int)n_tensors; i++)
        if ((s = read_tinfo(g, &r, i, err)))
            return s;
    g->data_start = r.off + (g->alignment - r.off % g->alignment) % g->alignment;
    if ((s = check_layout(g, err)))
        return s;
    return check_types(g, err);
}

static enum bb_status map_file(struct bb_gguf *g, struct bb_error *err)
{
    int fd = open(g->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bb_fail(err, BB_E_IO, "%s: cannot open: %s", g->path, strerror(errno));
    enum bb_status s = BB_OK;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        s = bb_fail(err, BB_E_IO, "%s: not a regular file", g->path);
        goto done;
    }
    g->size = (size_t)sb.st_size;
    if (g->size < 4) {
        s = bb_fail(err, BB_E_INPUT, "%s: file is %zu bytes, too short for a GGUF header "
                    "(truncated?)", base(g->path), g->size);
        goto done;
    }
    void *m = mmap(NULL, g->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        s = bb_fail(err, BB_E_IO, "%s: mmap failed: %s", g->path, strerror(errno));
    else
        g->map = m;
done:
    close(fd);
    return s;
}

enum bb_status bb_gguf_open(const char *path, struct bb_gguf **out, struct bb_error *err)
{
    *out = NULL;
    struct bb_gguf *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(path))) {
        free(g);
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", path);
    }
    enum bb_status s = map_file(g, err);
    if (!s)
        s = parse(g, err);
    if (s) {
        bb_gguf_close(g);
        return s;
    }
    *out = g;
    return BB_OK;
}

void bb_gguf_close(struct bb_gguf *g)
{
    if (!g)
        return;
    if (g->map)
        munmap((void *)g->map, g->size);
    for (int i = 0; i < g->n_kv; i++)
        free(g->kvs[i].str_offs);
    free(g->kvs);
    for (int i = 0; i < g->n_tensors; i++)
        free((char *)g->tensors[i].name);
    free(g->tensors);
    free(g->tinfos);
    free(g->by_name);
    free(g->path);
    free(g);
}

uint32_t bb_gguf_version(const struct bb_gguf *g)
{
    return g->version;
}

const char *bb_gguf_path(const struct bb_gguf *g)
{
    return g->path;
}

/* ---- metadata access -------------------------------------------------------- */

int bb_gguf_kv_count(const struct bb_gguf *g)
{
    return g->n_kv;
}

const struct bb_gguf_kv *bb_gguf_kv_at(const struct bb_gguf *g, int i)
{
    return i >= 0 && i < g->n_kv ? &g->kvs[i].kv : NULL;
}

const struct bb_gguf_kv *bb_gguf_find(const struct bb_gguf *g, const char *key)
{
    for (int i = 0; i < g->n_kv; i++)
        if (str_eq(g->kvs[i].kv.key, key))
            return &g->kvs[i].kv;
    return NULL;
}

static enum bb_status missing(const struct bb_gguf *g, const char *key, struct bb_error *err)
{
    return bb_fail(err, BB_E_INPUT, "%s: metadata %s is missing", base(g->path), key);
}

static enum bb_status wrong_type(const struct bb_gguf *g, const struct bb_gguf_kv *kv,
                                 const char *key, const char *expected, struct bb_error *err)
{
    if (kv->type == BB_GGUF_ARRAY)
        return bb_fail(err, BB_E_INPUT, "%s: metadata %s: expected %s, found an array of %s",
                       base(g->path), key, expected, bb_gguf_type_name(kv->arr_type));
    return bb_fail(err, BB_E_INPUT, "%s: metadata %s: expected %s, found %s", base(g->path), key,
                   expected, bb_gguf_type_name(kv->type));
}

enum bb_status bb_gguf_get_u32(const struct bb_gguf *g, const char *key, uint32_t *out,
                               struct bb_error *err)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    if (!kv)
        return missing(g, key, err);
    int64_t v = 0;
    int k = int_value(kv->type, kv->data, &v);
    if (!k)
        return wrong_type(g, kv, key, "an unsigned 32-bit integer", err);
    if (k == 2 || v < 0 || v > (int64_t)UINT32_MAX)
        return bb_fail(err, BB_E_INPUT, "%s: metadata %s: value %s does not fit in 32 bits "
                       "unsigned", base(g->path), key, k == 2 ? "past 2^63" : "out of range");
    *out = (uint32_t)v;
    return BB_OK;
}

static bool float_value(const struct bb_gguf_kv *kv, double *v)
{
    if (kv->type == BB_GGUF_F32) {
        float f;
        memcpy(&f, kv->data, 4);
        *v = f;
        return true;
    }
    if (kv->type == BB_GGUF_F64) {
        memcpy(v, kv->data, 8);
        return true;
    }
    return false;
}

enum bb_status bb_gguf_get_f32(const struct bb_gguf *g, const char *key, float *out,
                               struct bb_error *err)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    if (!kv)
        return missing(g, key, err);
    double v;
    if (!float_value(kv, &v))
        return wrong_type(g, kv, key, "f32", err);
    *out = (float)v;
    return BB_OK;
}

enum bb_status bb_gguf_get_bool(const struct bb_gguf *g, const char *key, bool *out,
                                struct bb_error *err)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    if (!kv)
        return missing(g, key, err);
    if (kv->type != BB_GGUF_BOOL)
        return wrong_type(g, kv, key, "bool", err);
    *out = *(const uint8_t *)kv->data != 0;
    return BB_OK;
}

enum bb_status bb_gguf_get_str(const struct bb_gguf *g, const char *key, char **out,
                               struct bb_error *err)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    if (!kv)
        return missing(g, key, err);
    if (kv->type != BB_GGUF_STRING)
        return wrong_type(g, kv, key, "string", err);
    uint64_t len;
    memcpy(&len, kv->data, 8);
    char *s = malloc((size_t)len + 1);
    if (!s)
        return bb_fail(err, BB_E_NOMEM, "%s: metadata %s: out of memory", base(g->path), key);
    memcpy(s, (const char *)kv->data + 8, (size_t)len);
    s[len] = 0;
    *out = s;
    return BB_OK;
}

bool bb_gguf_opt_u32(const struct bb_gguf *g, const char *key, uint32_t *out)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    return kv && bb_gguf_get_u32(g, key, out, NULL) == BB_OK;
}

bool bb_gguf_opt_f32(const struct bb_gguf *g, const char *key, float *out)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    return kv && bb_gguf_get_f32(g, key, out, NULL) == BB_OK;
}

bool bb_gguf_opt_bool(const struct bb_gguf *g, const char *key, bool *out)
{
    const struct bb_gguf_kv *kv = bb_gguf_find(g, key);
    return kv && bb_gguf_get_bool(g, key, out, NULL) == BB_OK;
}

struct bb_gguf_str bb_gguf_arr_str(const struct bb_gguf_kv *kv, uint64_t i)
{
    struct bb_gguf_str s = {"", 0};
    if (kv->type != BB_GGUF_ARRAY || kv->arr_type != BB_GGUF_STRING || i >= kv->arr_len)
        return s;
    const struct kv_entry *e = (const struct kv_entry *)kv;
    const char *p = (const char *)kv->data + e->str_offs[i];
    memcpy(&s.len, p, 8);
    s.s = p + 8;
    return s;
}

int64_t bb_gguf_arr_int(const struct bb_gguf_kv *kv, uint64_t i)
{
    int64_t v = 0;
    if (kv->type != BB_GGUF_ARRAY || i >= kv->arr_len || kv->arr_type == BB_GGUF_STRING)
        return 0;
    int size = value_types[kv->arr_type].size;
    const uint8_t *p = (const uint8_t *)kv->data + i * (uint64_t)size;
    if (kv->arr_type == BB_GGUF_BOOL)
        return *p;
    if (int_value(kv->arr_type, p, &v) == 2)
        return INT64_MAX;
    return v;
}

double bb_gguf_arr_float(const struct bb_gguf_kv *kv, uint64_t i)
{
    if (kv->type != BB_GGUF_ARRAY || i >= kv->arr_len || kv->arr_type == BB_GGUF_STRING)
        return 0;
    const uint8_t *p = (const uint8_t *)kv->data + i * (uint64_t)value_types[kv->arr_type].size;
    struct bb_gguf_kv one = {.type = kv->arr_type, .data = p};
    double v;
    if (float_value(&one, &v))
        return v;
    return (double)bb_gguf_arr_int(kv, i);
}

/* ---- tensors ---------------------------------------------------------------------- */

int bb_gguf_tensor_count(const struct bb_gguf *g)
{
    return g->n_tensors;
}

const struct bb_tensor *bb_gguf_tensor_at(const struct bb_gguf *g, int i)
{
    return i >= 0 && i < g->n_tensors ? &g->tensors[i] : NULL;
}

const struct bb_tensor *bb_gguf_tensor_find(const struct bb_gguf *g, const char *name)
{
    struct bb_tensor key = {.name = name};
    const struct bb_tensor *kp = &key;
    const struct bb_tensor **hit =
        bsearch(&kp, g->by_name, (size_t)g->n_tensors, sizeof *g->by_name, cmp_name);
    return hit ? *hit : NULL;
}

static const struct bb_tensor *src_find(const struct bb_tensor_source *src, const char *name)
{
    return bb_gguf_tensor_find(src->impl, name);
}

static int src_count(const struct bb_tensor_source *src)
{
    return bb_gguf_tensor_count(src->impl);
}

static const struct bb_tensor *src_at(const struct bb_tensor_source *src, int i)
{
    return bb_gguf_tensor_at(src->impl, i);
}

static void src_close(struct bb_tensor_source *src)
{
    bb_gguf_close(src->impl);
    free(src);
}

static const struct bb_tensor_source_ops gguf_ops = {
    .format = "gguf", .find = src_find, .count = src_count, .at = src_at, .close = src_close,
};

enum bb_status bb_gguf_tensor_source(struct bb_gguf *g, struct bb_tensor_source **out,
                                     struct bb_error *err)
{
    struct bb_tensor_source *src = calloc(1, sizeof *src);
    if (!src)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", base(g->path));
    src->ops = &gguf_ops;
    src->path = g->path;
    src->impl = g;
    *out = src;
    return BB_OK;
}
