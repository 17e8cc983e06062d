/* common.c: what every task shares (task.h): seeds, loading suite datasets
 * along the search path with a manifest record, embedding with a cache of
 * repeated texts and a task/model progress line, label embeddings and
 * probabilities, result rows with bootstrap CIs, and the per-item CSV writer. */
#include "tasks/task.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileout.h"
#include "core/log.h"
#include "metrics/table.h"
#include "model/model.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "tokenizer/tokenizer.h"

/* ---- seeds ---------------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t bb_task_seed(uint64_t suite_seed, const char *task_id, const char *model_id)
{
    return mix64(mix64(mix64(suite_seed) ^ fnv1a(task_id)) ^ fnv1a(model_id));
}

uint64_t bb_task_subseed(const struct bb_task_ctx *ctx, const char *purpose)
{
    return mix64(ctx->seed ^ fnv1a(purpose));
}

struct bb_bootstrap_opts bb_task_bootstrap_opts(const struct bb_task_ctx *ctx, const char *purpose)
{
    struct bb_bootstrap_opts o = bb_bootstrap_opts_default();
    o.replicates = ctx->bootstrap > 0 ? (int)ctx->bootstrap : 0;
    o.level = 0.95;
    o.seed = bb_task_subseed(ctx, purpose);
    return o;
}

/* ---- manifest records --------------------------------------------------------- */

static char *dupstr(const char *s)
{
    return strdup(s ? s : "");
}

void bb_task_records_free(struct bb_task_records *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i].dataset_id);
        free(r->files[i].path);
        free(r->files[i].sha256);
        free(r->files[i].format);
    }
    for (size_t i = 0; i < r->n_skips; i++) {
        free(r->skips[i].task_id);
        free(r->skips[i].model_id);
        free(r->skips[i].what);
        free(r->skips[i].reason);
    }
    free(r->files);
    free(r->skips);
    memset(r, 0, sizeof *r);
}

static bool grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, nc * size);
    if (!p)
        return false;
    *v = p;
    *cap = nc;
    return true;
}

/* Add a file record unless the same dataset id and path is already there. */
static enum bb_status record_file(struct bb_task_ctx *ctx, const char *id, const char *path,
                                  const char *sha, unsigned long long bytes, const char *format,
                                  long rows, long skipped, struct bb_error *err)
{
    struct bb_task_records *r = ctx->records;
    if (!r)
        return BB_OK;
    for (size_t i = 0; i < r->n_files; i++)
        if (!strcmp(r->files[i].dataset_id, id) && !strcmp(r->files[i].path, path))
            return BB_OK;
    if (!grow((void **)&r->files, &r->cap_files, r->n_files + 1, sizeof *r->files))
        return bb_fail(err, BB_E_NOMEM, "out of memory recording dataset '%s'", id);
    struct bb_task_file *f = &r->files[r->n_files];
    f->dataset_id = dupstr(id);
    f->path = dupstr(path);
    f->sha256 = dupstr(sha);
    f->format = dupstr(format);
    f->bytes = bytes;
    f->rows = rows;
    f->skipped_rows = skipped;
    if (!f->dataset_id || !f->path || !f->sha256 || !f->format) {
        free(f->dataset_id), free(f->path), free(f->sha256), free(f->format);
        return bb_fail(err, BB_E_NOMEM, "out of memory recording dataset '%s'", id);
    }
    r->n_files++;
    return BB_OK;
}

void bb_task_note_skip(struct bb_task_ctx *ctx, const char *what, const char *reason)
{
    bb_warn("%s/%s: skipped %s: %s", ctx->task->id, ctx->model_id, what, reason);
    struct bb_task_records *r = ctx->records;
    if (!r || !grow((void **)&r->skips, &r->cap_skips, r->n_skips + 1, sizeof *r->skips))
        return;
    struct bb_task_skip *s = &r->skips[r->n_skips];
    s->task_id = dupstr(ctx->task->id);
    s->model_id = dupstr(ctx->model_id);
    s->what = dupstr(what);
    s->reason = dupstr(reason);
    if (s->task_id && s->model_id && s->what && s->reason) {
        r->n_skips++;
        return;
    }
    free(s->task_id), free(s->model_id), free(s->what), free(s->reason);
}

/* ---- datasets --------------------------------------------------------------- */

enum bb_status bb_task_resolve_dataset(const struct bb_task_ctx *ctx,
                                       const struct bb_suite_dataset *ds, char *out, size_t n,
                                       struct bb_error *err)
{
    enum bb_status st = bb_paths_find_data_near(ds->path, ds->path_pos.file, ctx->suite->path,
                                                ctx->data_dir, out, n, err);
    if (st) {
        char pos[512];
        bb_suite_pos_str(ds->path_pos, pos, sizeof pos);
        bb_error_prefix(err, "%s: dataset '%s'", pos, ds->id);
    }
    return st;
}

enum bb_status bb_task_load_table(struct bb_task_ctx *ctx, const struct bb_suite_dataset *ds,
                                  struct bb_table **out, struct bb_error *err)
{
    char path[4096];
    *out = NULL;
    enum bb_status st = bb_task_resolve_dataset(ctx, ds, path, sizeof path, err);
    if (st)
        return st;
    st = bb_dataset_load_suite(ds, path, out, err);
    if (!st && ctx->perturb) /* robustness rerun: the task's text, perturbed */
        st = bb_task_perturb_table(ctx, ds, *out, err);
    if (st) {
        bb_table_free(*out);
        *out = NULL;
        bb_error_prefix(err, "dataset '%s'", ds->id);
        return st;
    }
    if (bb_table_skipped(*out))
        bb_warn(
            "dataset '%s' (%s): skipped %zu bad row(s), the first at line %ld (on_bad_row: skip)",
            ds->id, path, bb_table_skipped(*out), bb_table_first_skipped_line(*out));
    st = record_file(ctx, ds->id, path, bb_table_sha256(*out), bb_table_bytes(*out),
                     bb_suite_format_name(ds->format), (long)bb_table_rows(*out),
                     (long)bb_table_skipped(*out), err);
    if (!st && ds->on_bad_row == BB_SUITE_BAD_ROW_SKIP) {
        /* the rows dropped under on_bad_row: skip are a result, not only a warning */
        size_t kept = bb_table_rows(*out), skipped = bb_table_skipped(*out);
        struct bb_task_row row = bb_task_row_make("skipped_rows", (double)skipped,
                                                  (long)(kept + skipped), BB_DIR_LOWER,
                                                  BB_KIND_QUALITY);
        row.dataset = ds->id;
        st = bb_task_emit(ctx, &row, err);
    }
    if (st) {
        bb_table_free(*out);
        *out = NULL;
    }
    return st;
}

enum bb_status bb_task_record_file(struct bb_task_ctx *ctx, const char *dataset_id,
                                   const char *path, struct bb_error *err)
{
    char sha[BB_SHA256_HEX_LEN];
    struct stat sb;
    enum bb_status st = bb_sha256_file(path, sha, err);
    if (st)
        return st;
    if (stat(path, &sb))
        return bb_fail(err, BB_E_IO, "%s: %s", path, strerror(errno));
    return record_file(ctx, dataset_id, path, sha, (unsigned long long)sb.st_size, "file", -1, -1,
                       err);
}

enum bb_status bb_task_load_seat(struct bb_task_ctx *ctx, const struct bb_suite_dataset *ds,
                                 struct bb_seat_test *out, struct bb_error *err)
{
    char path[4096];
    memset(out, 0, sizeof *out);
    enum bb_status st = bb_task_resolve_dataset(ctx, ds, path, sizeof path, err);
    if (!st)
        st = bb_seat_load(path, out, err);
    if (!st)
        st = bb_task_record_file(ctx, ds->id, path, err);
    if (st)
        bb_seat_free(out);
    return st;
}

size_t bb_task_limit(const struct bb_task_ctx *ctx, size_t n_rows)
{
    if (ctx->limit > 0 && (size_t)ctx->limit < n_rows)
        return (size_t)ctx->limit;
    return n_rows;
}

const char *bb_task_item_id(const struct bb_table *t, size_t row, char *buf, size_t n)
{
    long line = bb_table_line(t, row);
    if (line > 0)
        snprintf(buf, n, "L%ld", line);
    else
        snprintf(buf, n, "R%zu", row);
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum bb_status bb_task_each_group(struct bb_task_ctx *ctx, const char *const *grp, size_t n,
                                  bb_task_group_fn fn, void *data, struct bb_error *err)
{
    const char **names = malloc(n * sizeof *names);
    size_t *sel = malloc(n * sizeof *sel);
    enum bb_status st = BB_OK;
    if (!names || !sel) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory grouping %zu items", n);
        goto done;
    }
    memcpy(names, grp, n * sizeof *names);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !st; i++) {
        if (i && !strcmp(names[i], names[i - 1]))
            continue;
        size_t m = 0;
        for (size_t k = 0; k < n; k++)
            if (!strcmp(grp[k], names[i]))
                sel[m++] = k;
        st = fn(ctx, names[i], sel, m, data, err);
    }
done:
    free(names);
    free(sel);
    return st;
}

/* ---- embedding cache ------------------------------------------------------------ */

struct bb_embed_cache {
    int dim;
    size_t n, cap;       /* entries used / table slots (power of two) */
    char **keys;         /* (cap) NULL = empty slot */
    size_t *row;         /* (cap) index into vecs */
    float *vecs;         /* (n, dim) */
    size_t vec_cap;      /* rows allocated in vecs */
};

enum bb_status bb_embed_cache_new(int dim, struct bb_embed_cache **out, struct bb_error *err)
{
    struct bb_embed_cache *c = calloc(1, sizeof *c);
    if (!c || dim <= 0) {
        free(c);
        return bb_fail(err, dim <= 0 ? BB_E_INTERNAL : BB_E_NOMEM,
                       dim <= 0 ? "embedding cache of dim %d" : "out of memory for the embedding "
                       "cache (dim %d)", dim);
    }
    c->dim = dim;
    *out = c;
    return BB_OK;
}

void bb_embed_cache_free(struct bb_embed_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++)
        free(c->keys[i]);
    free(c->keys);
    free(c->row);
    free(c->vecs);
    free(c);
}

/* Slot of key: its own, or the empty one where it would go. */
static size_t cache_slot(const struct bb_embed_cache *c, const char *key)
{
    size_t i = (size_t)fnv1a(key) & (c->cap - 1);
    while (c->keys[i] && strcmp(c->keys[i], key))
        i = (i + 1) & (c->cap - 1);
    return i;
}

static const float *cache_get(const struct bb_embed_cache *c, const char *key)
{
    if (!c || !c->cap)
        return NULL;
    size_t i = cache_slot(c, key);
    return c->keys[i] ? c->vecs + c->row[i] * (size_t)c->dim : NULL;
}

static bool cache_rehash(struct bb_embed_cache *c)
{
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    char **keys = calloc(ncap, sizeof *keys);
    size_t *row = calloc(ncap, sizeof *row);
    if (!keys || !row) {
        free(keys);
        free(row);
        return false;
    }
    struct bb_embed_cache old = *c;
    c->keys = keys;
    c->row = row;
    c->cap = ncap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            size_t j = cache_slot(c, old.keys[i]);
            c->keys[j] = old.keys[i];
            c->row[j] = old.row[i];
        }
    free(old.keys);
    free(old.row);
    return true;
}

static bool cache_put(struct bb_embed_cache *c, const char *key, const float *v)
{
    if ((c->n + 1) * 2 > c->cap && !cache_rehash(c))
        return false;
    if (c->n == c->vec_cap) {
        size_t nc = c->vec_cap ? c->vec_cap * 2 : 256;
        float *p = realloc(c->vecs, nc * (size_t)c->dim * sizeof(float));
        if (!p)
            return false;
        c->vecs = p;
        c->vec_cap = nc;
    }
    size_t i = cache_slot(c, key);
    if (c->keys[i])
        return true;
    c->keys[i] = strdup(key);
    if (!c->keys[i])
        return false;
    c->row[i] = c->n;
    memcpy(c->vecs + c->n * (size_t)c->dim, v, (size_t)c->dim * sizeof(float));
    c->n++;
    return true;
}

/* ---- embeddings ------------------------------------------------------------------- */

int bb_task_dim(const struct bb_task_ctx *ctx)
{
    return bb_model_dim(ctx->model);
}

const char *bb_task_label(const struct bb_task_ctx *ctx, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", ctx->task->id, ctx->model_id);
    return buf;
}

/* Embed texts[0..n) (all distinct, none cached) -> out (n, dim), batched by
 * the model layer, with this task and model on the progress line. */
static enum bb_status embed_uncached(struct bb_task_ctx *ctx, const char *const *texts, size_t n,
                                     float *out, struct bb_error *err)
{
    char label[160];
    int bs = ctx->batch_size > 0 ? ctx->batch_size : 32;
    return bb_model_embed_texts_labeled(ctx->model, texts, n, bs,
                                        bb_task_label(ctx, label, sizeof label), out, err);
}

/* Index of each text's first occurrence, and the list of distinct texts. */
static enum bb_status dedupe(const char *const *texts, size_t n, size_t *first, size_t *n_uniq,
                             const char **uniq, size_t *uniq_of, struct bb_error *err)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    size_t *slot = malloc(cap * sizeof *slot); /* index into uniq, or SIZE_MAX */
    if (!slot)
        return bb_fail(err, BB_E_NOMEM, "out of memory deduplicating %zu texts", n);
    for (size_t i = 0; i < cap; i++)
        slot[i] = SIZE_MAX;
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)fnv1a(texts[i]) & (cap - 1);
        while (slot[h] != SIZE_MAX && strcmp(uniq[slot[h]], texts[i]))
            h = (h + 1) & (cap - 1);
        if (slot[h] == SIZE_MAX) {
            slot[h] = nu;
            first[nu] = i;
            uniq[nu++] = texts[i];
        }
        uniq_of[i] = slot[h];
    }
    *n_uniq = nu;
    free(slot);
    return BB_OK;
}

enum bb_status bb_task_embed(struct bb_task_ctx *ctx, const char *const *texts, size_t n,
                             float *out, struct bb_error *err)
{
    size_t dim = (size_t)bb_task_dim(ctx);
    size_t *first = malloc((n ? n : 1) * sizeof *first);
    size_t *uniq_of = malloc((n ? n : 1) * sizeof *uniq_of);
    const char **uniq = malloc((n ? n : 1) * sizeof *uniq);
    const char **todo = malloc((n ? n : 1) * sizeof *todo);
    size_t *todo_u = malloc((n ? n : 1) * sizeof *todo_u);
    float *uvec = NULL;
    size_t nu = 0, nt = 0;
    enum bb_status st = BB_OK;
    if (!first || !uniq_of || !uniq || !todo || !todo_u) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory embedding %zu texts", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) {
            st = bb_fail(err, BB_E_INTERNAL, "text %zu is missing", i);
            goto done;
        }
    st = dedupe(texts, n, first, &nu, uniq, uniq_of, err);
    if (st)
        goto done;
    uvec = malloc((nu ? nu : 1) * dim * sizeof(float)); // (nu, dim)
    if (!uvec) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu embeddings", nu);
        goto done;
    }
    for (size_t u = 0; u < nu; u++) {
        const float *c = cache_get(ctx->cache, uniq[u]);
        if (c)
            memcpy(uvec + u * dim, c, dim * sizeof(float));
        else {
            todo_u[nt] = u;
            todo[nt++] = uniq[u];
        }
    }
    if (nt) {
        float *tv = malloc(nt * dim * sizeof(float)); // (nt, dim)
        if (!tv) {
            st = bb_fail(err, BB_E_NOMEM, "out of memory for %zu embeddings", nt);
            goto done;
        }
        st = embed_uncached(ctx, todo, nt, tv, err);
        for (size_t k = 0; k < nt && !st; k++) {
            bb_vec_normalize(tv + k * dim, (int)dim);
            memcpy(uvec + todo_u[k] * dim, tv + k * dim, dim * sizeof(float));
            if (ctx->cache && !cache_put(ctx->cache, todo[k], tv + k * dim))
                st = bb_fail(err, BB_E_NOMEM, "out of memory caching embeddings");
        }
        free(tv);
        if (st)
            goto done;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * dim, uvec + uniq_of[i] * dim, dim * sizeof(float));
done:
    free(first);
    free(uniq_of);
    free(uniq);
    free(todo);
    free(todo_u);
    free(uvec);
    return st;
}

/* ---- labels -------------------------------------------------------------------------- */

enum bb_status bb_task_label_embeddings(struct bb_task_ctx *ctx,
                                        const struct bb_suite_labels *labels, float *out,
                                        struct bb_error *err)
{
    int dim = bb_task_dim(ctx);
    size_t total = 0;
    for (size_t l = 0; l < labels->n; l++)
        total += labels->v[l].prompts.n;
    const char **texts = malloc((total ? total : 1) * sizeof *texts);
    float *emb = malloc((total ? total : 1) * (size_t)dim * sizeof(float)); // (total, dim)
    enum bb_status st = BB_OK;
    if (!texts || !emb) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory embedding label prompts");
        goto done;
    }
    size_t k = 0;
    for (size_t l = 0; l < labels->n; l++)
        for (size_t p = 0; p < labels->v[l].prompts.n; p++)
            texts[k++] = labels->v[l].prompts.v[p];
    st = bb_task_embed(ctx, texts, total, emb, err);
    if (st)
        goto done;
    k = 0;
    for (size_t l = 0; l < labels->n; l++) {
        float *o = out + l * (size_t)dim;
        memset(o, 0, (size_t)dim * sizeof(float));
        for (size_t p = 0; p < labels->v[l].prompts.n; p++, k++)
            for (int d = 0; d < dim; d++)
                o[d] += emb[k * (size_t)dim + (size_t)d]; /* rows are already unit length */
        bb_vec_normalize(o, dim);
    }
done:
    free(texts);
    free(emb);
    return st;
}

struct label_at {
    const char *s;
    size_t i;
};

static int cmp_label_at(const void *a, const void *b)
{
    const struct label_at *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

enum bb_status bb_task_label_ids(const char *const *labels, size_t n, int *ids, const char **names,
                                 size_t *m, struct bb_error *err)
{
    struct label_at *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return bb_fail(err, BB_E_NOMEM, "out of memory for %zu labels", n);
    for (size_t i = 0; i < n; i++)
        s[i] = (struct label_at){labels[i], i};
    qsort(s, n, sizeof *s, cmp_label_at);
    *m = 0;
    for (size_t i = 0; i < n; i++) {
        bool fresh = !i || strcmp(s[i].s, s[i - 1].s);
        if (fresh && i)
            (*m)++;
        if (fresh && names)
            names[*m] = s[i].s;
        ids[s[i].i] = (int)*m;
    }
    if (n)
        (*m)++;
    free(s);
    return BB_OK;
}

/* ---- result rows ------------------------------------------------------------------------ */

struct bb_task_row bb_task_row_make(const char *metric, double v, long n, enum bb_direction dir,
                                    enum bb_result_kind kind)
{
    struct bb_task_row r = {
        .metric = metric, .value = v, .ci_low = NAN, .ci_high = NAN, .n = n, .p_value = NAN,
        .p_adjusted = NAN, .dir = dir, .kind = kind,
    };
    return r;
}

enum bb_status bb_task_emit(struct bb_task_ctx *ctx, const struct bb_task_row *row,
                            struct bb_error *err)
{
    const struct bb_metric_info *m = bb_metric_find(row->metric);
    if (!m || m->dir != row->dir || m->kind != row->kind)
        return bb_fail(err, BB_E_INTERNAL,
                       "task %s: metric '%s' %s the metric table (src/metrics/table.c)",
                       ctx->task->id, row->metric ? row->metric : "(null)",
                       m ? "has another direction or kind than" : "is not in");
    const char *dataset = row->dataset;
    if (!dataset)
        dataset = ctx->task->dataset ? ctx->task->dataset->id : "";
    struct bb_result_row r = {
        .suite = (char *)ctx->suite->name,
        .task = (char *)ctx->task->id,
        .dataset = (char *)dataset,
        .model = (char *)ctx->model_id,
        .variant = (char *)(row->variant ? row->variant : ctx->variant),
        .group = (char *)row->group,
        .metric = (char *)row->metric,
        .value = row->value,
        .ci_low = row->ci_low,
        .ci_high = row->ci_high,
        .n = row->n,
        .p_value = row->p_value,
        .p_adjusted = row->p_adjusted,
        .adjust_method = (char *)row->adjust_method,
        .higher_is_better = row->dir,
        .kind = row->kind,
        .perturbation = ctx->perturb ? (char *)ctx->perturb->id : NULL,
    };
    enum bb_status st = bb_results_add(ctx->results, &r, err);
    if (!st && row->headline && !ctx->has_headline) {
        ctx->has_headline = true;
        ctx->headline = ctx->results->n - 1;
    }
    return st;
}

enum bb_status bb_task_emit_boot(struct bb_task_ctx *ctx, struct bb_task_row *row, size_t n,
                                 bb_stat_fn stat, void *stat_ctx, const char *purpose,
                                 struct bb_error *err)
{
    int *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx)
        return bb_fail(err, BB_E_NOMEM, "out of memory for a bootstrap over %zu items", n);
    for (size_t i = 0; i < n; i++)
        idx[i] = (int)i;
    row->value = n ? stat(idx, n, stat_ctx) : NAN;
    free(idx);
    row->ci_low = row->ci_high = NAN;
    if (ctx->bootstrap > 0 && n > 1) {
        struct bb_bootstrap_opts o = bb_task_bootstrap_opts(ctx, purpose);
        struct bb_ci ci;
        struct bb_error e2 = {0};
        enum bb_status bs = bb_stats_bootstrap_ci(n, stat, stat_ctx, &o, &ci, &e2);
        if (bs == BB_OK) {
            row->ci_low = ci.low;
            row->ci_high = ci.high;
        } else if (bs == BB_E_NOMEM) { /* not a property of the data: never a silent gap */
            *err = e2;
            return bs;
        } else {
            bb_debug("%s/%s: no CI for %s: %s", ctx->task->id, ctx->model_id, row->metric, e2.msg);
        }
    }
    return bb_task_emit(ctx, row, err);
}

/* ---- per-item CSV ---------------------------------------------------------------------- */

struct bb_items {
    struct bb_fileout fo;
    size_t ncols, cell; /* cells written in the current row */
    char path[5000];
};

static void csv_cell(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\n\r") && !(s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' '))) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

enum bb_status bb_items_open(struct bb_task_ctx *ctx, const char *suffix, const char *const *cols,
                             size_t ncols, struct bb_items **out, struct bb_error *err)
{
    *out = NULL;
    if (!ncols || strcmp(cols[0], "item_id"))
        return bb_fail(err, BB_E_INTERNAL, "per-item file: the first column must be item_id");
    char dir[4096], t[256], m[256], s[256], tm[600];
    snprintf(dir, sizeof dir, "%s/items", ctx->run_dir);
    if (mkdir(dir, 0777) && errno != EEXIST)
        return bb_fail(err, BB_E_IO, "%s: cannot create: %s", dir, strerror(errno));
    struct bb_items *w = calloc(1, sizeof *w);
    if (!w)
        return bb_fail(err, BB_E_NOMEM, "out of memory opening a per-item file");
    bb_items_name_part(t, sizeof t, ctx->task->id);
    bb_items_name_part(m, sizeof m, ctx->model_id);
    bb_items_name_part(s, sizeof s, suffix);
    snprintf(tm, sizeof tm, "%s__%s", t, m);
    if (ctx->perturb) { /* a robustness rerun: ids are file-name safe (suite.c) */
        size_t k = strlen(tm);
        snprintf(tm + k, sizeof tm - k, "__perturb-%s", ctx->perturb->id);
    }
    if (suffix)
        snprintf(w->path, sizeof w->path, "%s/%s__%s.csv", dir, tm, s);
    else
        snprintf(w->path, sizeof w->path, "%s/%s.csv", dir, tm);
    enum bb_status st = bb_fileout_open(&w->fo, w->path, err);
    if (st) {
        free(w);
        return st;
    }
    w->ncols = ncols;
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            fputc(',', w->fo.fp);
        csv_cell(w->fo.fp, cols[i]);
    }
    fputc('\n', w->fo.fp);
    *out = w;
    return BB_OK;
}

static void sep(struct bb_items *w)
{
    if (w->cell++)
        fputc(',', w->fo.fp);
}

void bb_items_str(struct bb_items *w, const char *s)
{
    sep(w);
    csv_cell(w->fo.fp, s);
}

void bb_items_num(struct bb_items *w, double v)
{
    sep(w);
    if (!isnan(v))
        fprintf(w->fo.fp, "%.9g", v);
}

void bb_items_int(struct bb_items *w, long v)
{
    sep(w);
    fprintf(w->fo.fp, "%ld", v);
}

enum bb_status bb_items_end_row(struct bb_items *w, struct bb_error *err)
{
    size_t cells = w->cell;
    fputc('\n', w->fo.fp);
    w->cell = 0;
    if (cells != w->ncols)
        return bb_fail(err, BB_E_INTERNAL, "%s: a row has %zu cells, the header %zu", w->path,
                       cells, w->ncols);
    return BB_OK;
}

enum bb_status bb_items_commit(struct bb_items *w, struct bb_error *err)
{
    enum bb_status st = bb_fileout_commit(&w->fo, err);
    if (st)
        bb_fileout_abort(&w->fo);
    free(w);
    return st;
}

void bb_items_abort(struct bb_items *w)
{
    if (!w)
        return;
    bb_fileout_abort(&w->fo);
    free(w);
}

enum bb_status bb_items_finish(struct bb_items *w, enum bb_status st, struct bb_error *err)
{
    if (!w)
        return st;
    if (st) {
        bb_items_abort(w);
        return st;
    }
    return bb_items_commit(w, err);
}
