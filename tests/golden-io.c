/* golden-io.c: the readers the golden tests share (see golden-io.h): the
 * STS-B CSV, the BBGOLD1 embedding golden, golden keys to texts, vector
 * comparison, the keyed sources of the token-id goldens, and the model
 * loading, OpenCL backend and f16 checks of the embedding tests, and their
 * golden runs on either backend. */
#include "golden-io.h"

#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_impl.h" /* op counts */
#include "core/log.h"
#include "core/sha256.h"
#include "tap.h"

/* ---- the STS-B CSV ----------------------------------------------------------- */

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void on_field(void *s, size_t len, void *data)
{
    struct csv_rows *r = data;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        if (!(r->rows = realloc(r->rows, r->cap * sizeof *r->rows)))
            bail("out of memory reading the CSV");
        memset(r->rows + r->n, 0, (r->cap - r->n) * sizeof *r->rows);
    }
    if (r->field < 3)
        r->rows[r->n][r->field] = strndup(s ? s : "", s ? len : 0);
    r->field++;
}

static void on_record(int c, void *data)
{
    (void)c;
    struct csv_rows *r = data;
    if (r->field >= 2)
        r->n++;
    r->field = 0;
}

/* libcsv with a callback per field and record; spaces kept as Python does. */
static void csv_parse_file(const char *path, void (*field)(void *, size_t, void *),
                           void (*record)(int, void *), void *data)
{
    size_t len;
    char *buf = test_slurp_or_bail(path, &len);
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL))
        bail("csv_init failed");
    csv_set_space_func(&p, no_space);
    if (csv_parse(&p, buf, len, field, record, data) != len)
        bail("%s: CSV error %s", path, csv_strerror(csv_error(&p)));
    csv_fini(&p, field, record, data);
    csv_free(&p);
    free(buf);
}

void csv_read(const char *path, struct csv_rows *r)
{
    csv_parse_file(path, on_field, on_record, r);
}

void csv_rows_free(struct csv_rows *r)
{
    for (size_t i = 0; i < r->cap; i++)
        for (int f = 0; f < 3; f++)
            free(r->rows[i][f]);
    free(r->rows);
    memset(r, 0, sizeof *r);
}

/* ---- the embedding golden ---------------------------------------------------- */

static uint32_t rd_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void golden_load(const char *path, struct golden *g)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        bail("cannot open %s", path);
    unsigned char h[24];
    if (fread(h, 1, 24, fp) != 24 || memcmp(h, "BBGOLD1\0", 8) || rd_u32(h + 8) != 1)
        bail("%s: not a version-1 BBGOLD1 file", path);
    g->count = rd_u32(h + 12);
    g->dim = rd_u32(h + 16);
    uint32_t nl = rd_u32(h + 20);
    if (nl >= sizeof g->source || g->dim == 0 || g->dim > 65536 || g->count > 1000000 ||
        fread(g->source, 1, nl, fp) != nl)
        bail("%s: bad header", path);
    g->source[nl] = 0;
    g->keys = malloc((size_t)g->count * 2 * sizeof *g->keys);
    g->vec = malloc((size_t)g->count * g->dim * sizeof *g->vec);
    size_t item_len = 8 + 4 * (size_t)g->dim;
    unsigned char *item = malloc(item_len);
    if (!g->keys || !g->vec || !item)
        bail("%s: out of memory", path);
    for (uint32_t i = 0; i < g->count; i++) {
        if (fread(item, 1, item_len, fp) != item_len)
            bail("%s: truncated at item %u", path, i);
        g->keys[2 * i] = rd_u32(item);
        g->keys[2 * i + 1] = rd_u32(item + 4);
        for (uint32_t d = 0; d < g->dim; d++) {
            uint32_t u = rd_u32(item + 8 + 4 * d);
            memcpy(&g->vec[(size_t)i * g->dim + d], &u, 4);
        }
    }
    free(item);
    fclose(fp);
}

void golden_free(struct golden *g)
{
    free(g->keys);
    free(g->vec);
    g->keys = NULL;
    g->vec = NULL;
}

char *key_text(const struct csv_rows *r, uint32_t row, uint32_t col)
{
    if (row >= r->n || col > 2 || (col < 2 && !r->rows[row][col]))
        bail("golden key (%u, %u) is outside the CSV", row, col);
    if (col < 2)
        return strdup(r->rows[row][col]);
    size_t len = 1;
    for (uint32_t i = row; i < row + GOLDEN_LONG_ROWS && i < r->n; i++)
        len += strlen(r->rows[i][0]) + strlen(r->rows[i][1]) + 2;
    char *s = calloc(1, len);
    if (!s)
        bail("out of memory");
    for (uint32_t i = row; i < row + GOLDEN_LONG_ROWS && i < r->n; i++)
        for (int c = 0; c < 2; c++) {
            if (*s)
                strcat(s, " ");
            strcat(s, r->rows[i][c]);
        }
    return s;
}

struct cmp compare(const float *a, const float *b, size_t n, size_t dim)
{
    struct cmp c = {1.0, 0.0, 0};
    for (size_t i = 0; i < n; i++) {
        double dot = 0, na = 0, nb = 0;
        for (size_t d = 0; d < dim; d++) {
            double x = a[i * dim + d], y = b[i * dim + d];
            dot += x * y;
            na += x * x;
            nb += y * y;
            c.max_abs = fmax(c.max_abs, fabs(x - y));
        }
        double cs = dot / (sqrt(na) * sqrt(nb) + 1e-30);
        if (!(cs >= c.worst_cos)) { /* NaN counts as worst */
            c.worst_cos = isnan(cs) ? -2 : cs;
            c.worst_i = i;
        }
    }
    return c;
}

size_t golden_limit(size_t n)
{
    const char *s = getenv("BIASBENCH_GOLDEN_LIMIT");
    long v = s ? strtol(s, NULL, 10) : 0;
    return v > 0 && (size_t)v < n ? (size_t)v : n;
}

/* ---- sources of the token-id goldens ----------------------------------------- */

static void items_add(struct items *it, const char *key, const char *text, size_t len)
{
    if (it->n == it->cap) {
        it->cap = it->cap ? 2 * it->cap : 256;
        it->v = realloc(it->v, (size_t)it->cap * sizeof *it->v);
        if (!it->v)
            bail("out of memory");
    }
    struct item *x = &it->v[it->n++];
    snprintf(x->key, sizeof x->key, "%s", key);
    x->text = malloc(len + 1);
    if (!x->text)
        bail("out of memory");
    memcpy(x->text, text, len);
    x->text[len] = '\0';
    x->len = len;
}

void items_free(struct items *it)
{
    for (int i = 0; i < it->n; i++)
        free(it->v[i].text);
    free(it->v);
    memset(it, 0, sizeof *it);
}

struct stsb_state {
    struct items *it;
    int row, col;
};

static void stsb_field(void *s, size_t len, void *data)
{
    struct stsb_state *cs = data;
    cs->col++;
    if (cs->col <= 2) {
        char key[96];
        snprintf(key, sizeof key, "stsb-en-test.csv:%d:%d", cs->row, cs->col);
        items_add(cs->it, key, s ? s : "", s ? len : 0);
    }
}

static void stsb_row(int c, void *data)
{
    (void)c;
    struct stsb_state *cs = data;
    cs->row++;
    cs->col = 0;
}

void items_read_stsb(const char *path, struct items *it)
{
    struct stsb_state cs = {it, 1, 0};
    csv_parse_file(path, stsb_field, stsb_row, &cs);
}

static int hexval(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        int c = s[i] | 32;
        int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(unsigned long c, char *o)
{
    if (c < 0x80)
        return o[0] = (char)c, 1;
    if (c < 0x800)
        return o[0] = (char)(0xC0 | (c >> 6)), o[1] = (char)(0x80 | (c & 0x3F)), 2;
    if (c < 0x10000)
        return o[0] = (char)(0xE0 | (c >> 12)), o[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
               o[2] = (char)(0x80 | (c & 0x3F)), 3;
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* One case (the text after '|') with the escapes the data file documents. */
static size_t decode_case(const char *s, size_t n, char *out, const char *where)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            out[o++] = s[i];
            continue;
        }
        char e = i + 1 < n ? s[i + 1] : '\0';
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        const char *simple = e ? strchr("\\tnr", e) : NULL;
        if (simple) {
            out[o++] = "\\\t\n\r"[simple - "\\tnr"];
            i++;
        } else if (digits && i + 1 + (size_t)digits < n + 1 && hexval(s + i + 2, digits) >= 0) {
            long v = hexval(s + i + 2, digits);
            o += e == 'x' ? (out[o] = (char)v, 1) : put_utf8((unsigned long)v, out + o);
            i += 1 + (size_t)digits;
        } else {
            bail("%s: bad escape", where);
        }
    }
    return o;
}

void items_read_hard_cases(const char *path, struct items *it)
{
    size_t len;
    char *buf = test_slurp_or_bail(path, &len), *out = malloc(len + 1);
    if (!out)
        bail("out of memory");
    int line = 0;
    for (size_t p = 0; p < len;) {
        char *nl = memchr(buf + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - buf) : len;
        line++;
        if (buf[p] == '|') {
            char key[96];
            snprintf(key, sizeof key, "tokenizer-hard-cases.txt:%d", line);
            size_t n = decode_case(buf + p + 1, e - p - 1, out, key);
            items_add(it, key, out, n);
        }
        p = e + 1;
    }
    free(out);
    free(buf);
}

const struct item *items_find(const struct items *it, const char *key, int *hint)
{
    for (int k = 0; k < it->n; k++) {
        int i = (*hint + k) % it->n;
        if (!strcmp(it->v[i].key, key)) {
            *hint = i + 1;
            return &it->v[i];
        }
    }
    return NULL;
}

int parse_ids(char *s, int32_t **ids, int *cap)
{
    int n = 0;
    for (char *tok = strtok(s, " \n"); tok; tok = strtok(NULL, " \n")) {
        if (n == *cap) {
            *cap = *cap ? 2 * *cap : 512;
            if (!(*ids = realloc(*ids, (size_t)*cap * sizeof **ids)))
                bail("out of memory");
        }
        (*ids)[n++] = (int32_t)strtol(tok, NULL, 10);
    }
    return n;
}

static void report_mismatch(const struct bb_tokenizer *tok, const char *key, const int32_t *want,
                            int nw, const struct bb_encoding *got)
{
    int p = 0;
    while (p < nw && p < got->n && want[p] == got->ids[p])
        p++;
    ok(false, "%s matches HF tokenizers", key);
    const char *pw = p < nw ? bb_tokenizer_piece(tok, want[p]) : "(end)";
    const char *pg = p < got->n ? bb_tokenizer_piece(tok, got->ids[p]) : "(end)";
    diag("first difference at position %d: want %d '%s', got %d '%s' (lengths %d / %d)", p,
         p < nw ? want[p] : -1, pw ? pw : "?", p < got->n ? got->ids[p] : -1, pg ? pg : "?",
         nw, got->n);
}

int golden_tok_check(const struct bb_tokenizer *tok, const char *golden, const char *header_needs,
                     const struct items *src, int limit, int *total, int *shown)
{
    size_t len;
    char *buf = test_slurp_or_bail(golden, &len);
    int count = -1, lines = 0, matched = 0, hint = 0, cap = 0;
    int32_t *want = NULL;
    struct bb_encoding enc = {0};
    struct bb_error err = {0};
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            const char *c = strstr(line, " count=");
            if (!strstr(line, "biasbench-tokenizer-golden v1") || !c ||
                (header_needs && !strstr(line, header_needs)))
                bail("%s: not a biasbench-tokenizer-golden v1 file%s%s", golden,
                     header_needs ? " with " : "", header_needs ? header_needs : "");
            count = atoi(c + 7);
            continue;
        }
        char *tab = strchr(line, '\t');
        if (limit && lines == limit) {
            count = lines;
            break;
        }
        if (!tab)
            bail("%s: line without a tab", golden);
        *tab = '\0';
        lines++;
        int nw = parse_ids(tab + 1, &want, &cap);
        const struct item *x = items_find(src, line, &hint);
        if (!x) {
            if ((*shown)++ < 20)
                ok(false, "%s: text found in the source", line);
            continue;
        }
        if (bb_tokenizer_encode(tok, x->text, x->len, &enc, &err))
            bail("%s: encode failed: %s", line, err.msg);
        bool same = enc.n == nw && !memcmp(enc.ids, want, (size_t)nw * sizeof *want);
        matched += same;
        if (!same && (*shown)++ < 20)
            report_mismatch(tok, line, want, nw, &enc);
    }
    if (count != lines)
        diag("%s: header count %d but %d lines", golden, count, lines);
    *total = count == lines ? lines : -1;
    bb_encoding_free(&enc);
    free(want);
    free(buf);
    return matched;
}

/* ---- running a model on the goldens ------------------------------------------ */

struct bb_model *golden_model_load(const char *dir, struct bb_backend *be, enum bb_dtype w,
                                   const char *what)
{
    struct bb_model_opts o = {.weights = w};
    struct bb_model *m = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_model_load(dir, be, &o, &m, &err);
    if (!is_int(BB_OK, st, "%s: model loads", what))
        diag("%s", err.msg);
    else
        diag("%s: load + upload %.2f s", what, bb_model_load_seconds(m));
    return m;
}

void golden_encode(struct bb_model *m, const char *text, struct bb_encoding *e)
{
    struct bb_error err = {0};
    if (bb_tokenizer_encode(bb_model_tokenizer(m), text, strlen(text), e, &err))
        bail("tokenize: %s", err.msg);
}

struct bb_backend *golden_ref_backend(void)
{
    struct bb_backend *be = NULL;
    struct bb_error err = {0};
    if (bb_backend_create("ref", NULL, &be, &err))
        bail("ref backend: %s", err.msg);
    return be;
}

struct bb_backend *golden_opencl_backend(void)
{
    struct bb_backend *be = NULL;
    struct bb_error err = {0};
    struct bb_backend_opts o = {.device = "auto"};
    enum bb_status st = bb_backend_create("opencl", &o, &be, &err);
    if (st == BB_E_NODEVICE) { /* a skip outside CI, a failure under it */
        skip("no OpenCL device: the OpenCL golden, op-count and f16 checks not run (%s)", err.msg);
        return NULL;
    }
    if (!is_int(BB_OK, st, "opencl backend created")) {
        diag("%s", err.msg);
        return NULL;
    }
    diag("opencl device: %s (%s)", bb_backend_info(be)->name, bb_backend_info(be)->platform);
    return be;
}

void golden_f16_check(const char *dir, struct bb_backend *be, char *const *texts,
                      const struct golden *g, const float *f32, size_t n, const char *noun)
{
    struct bb_model *m = golden_model_load(dir, be, BB_F16, "opencl f16 weights");
    if (!m)
        return;
    float *out = malloc(n * g->dim * sizeof(float));
    struct bb_error err = {0};
    enum bb_status st = bb_model_embed_texts(m, (const char *const *)texts, n, 32, out, &err);
    if (is_int(BB_OK, st, "opencl f16: embed %zu %s", n, noun)) {
        struct cmp c = compare(out, f32, n, g->dim);
        ok(c.worst_cos >= 0.9999, "opencl f16: worst cosine to the f32 result %.7f >= 0.9999",
           c.worst_cos);
        /* and against the independent golden (sentence-transformers, f32
         * weights), not only our own f32 output: same bar, 0.9999 */
        c = compare(out, g->vec, n, g->dim);
        ok(c.worst_cos >= 0.9999,
           "opencl f16: worst cosine to sentence-transformers %.7f >= 0.9999 (item %zu: row %u "
           "col %u; max abs diff %.3g)", c.worst_cos, c.worst_i, g->keys[2 * c.worst_i],
           g->keys[2 * c.worst_i + 1], c.max_abs);
    } else {
        diag("%s", err.msg);
    }
    free(out);
    bb_model_free(m);
}

/* ---- the golden's sidecar: versions and model sha256 ---------------------------- */

/* Value of "key=" in meta (a copy into buf), or NULL. */
static const char *meta_get(const char *meta, const char *key, char *buf, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = meta; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            snprintf(buf, n, "%.*s", (int)(len - kl - 1), p + kl + 1);
            return buf;
        }
        p = e ? e + 1 : NULL;
    }
    return NULL;
}

void golden_check_meta(const char *bin, const char *model_dir)
{
    char path[4200], v[3][256], want[256], got[BB_SHA256_HEX_LEN], mp[4200];
    snprintf(path, sizeof path, "%s.meta", bin);
    char *meta = test_slurp(path, NULL);
    const char *base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
    const char *st = meta_get(meta, "sentence_transformers", v[0], sizeof v[0]),
               *tf = meta_get(meta, "transformers", v[1], sizeof v[1]),
               *th = meta_get(meta, "torch", v[2], sizeof v[2]);
    ok(st && *st && tf && *tf && th && *th,
       "%s.meta records sentence-transformers %s, transformers %s, torch %s", base,
       st ? st : "(missing)", tf ? tf : "(missing)", th ? th : "(missing)");
    struct bb_error err = {0};
    bool have = meta_get(meta, "golden_sha256", want, sizeof want) != NULL;
    got[0] = 0;
    if (have && bb_sha256_file(bin, got, &err) != BB_OK)
        diag("%s", err.msg);
    ok(have && !strcmp(want, got), "%s.meta: golden_sha256 is the golden's own (%.12s…)", base,
       got);
    have = meta_get(meta, "model_sha256", want, sizeof want) != NULL;
    snprintf(mp, sizeof mp, "%s/model.safetensors", model_dir);
    got[0] = 0;
    if (have && bb_sha256_file(mp, got, &err) != BB_OK)
        diag("%s", err.msg);
    if (!ok(have && !strcmp(want, got),
            "%s.meta: model_sha256 is the test model's model.safetensors (%.12s…)", base, got))
        diag("    wanted: %s\n#       got: %s", have ? want : "(no model_sha256 line)", got);
    free(meta);
}

/* ---- an embedding model against its golden, end to end ------------------------- */

void golden_set_open(struct golden_set *s, const char *model, const char *bin)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/golden/%s", bin);
    s->model_dir = test_model_dir(model);
    golden_load(test_src_path(rel), &s->g);
    golden_check_meta(test_src_path(rel), s->model_dir);
    csv_read(test_shared_data(s->g.source), &s->csv);
    s->texts = calloc(s->g.count, sizeof *s->texts);
    if (!s->texts)
        bail("%s: out of memory for %u texts", bin, s->g.count);
    for (uint32_t i = 0; i < s->g.count; i++)
        s->texts[i] = key_text(&s->csv, s->g.keys[2 * i], s->g.keys[2 * i + 1]);
}

void golden_set_free(struct golden_set *s)
{
    for (uint32_t i = 0; s->texts && i < s->g.count; i++)
        free(s->texts[i]);
    free(s->texts);
    golden_free(&s->g);
    csv_rows_free(&s->csv);
}

/* Embed the first n golden texts with m into out (n, dim) and check them. */
static void embed_check(struct bb_model *m, const struct golden_set *s, const struct golden_run *r,
                        size_t n, const char *what, float *out)
{
    struct bb_error err = {0};
    double t0 = bb_now();
    enum bb_status st = bb_model_embed_texts(m, (const char *const *)s->texts, n, 32, out, &err);
    double dt = bb_now() - t0;
    if (!is_int(BB_OK, st, "%s: embed %zu golden %s", what, n, r->noun)) {
        diag("%s", err.msg);
        return;
    }
    struct cmp c = compare(out, s->g.vec, n, s->g.dim);
    ok(c.worst_cos >= 0.99999, "%s: worst cosine to sentence-transformers %.8f >= 0.99999 "
       "over %zu %s (item %zu: row %u col %u)", what, c.worst_cos, n, r->noun, c.worst_i,
       s->g.keys[2 * c.worst_i], s->g.keys[2 * c.worst_i + 1]);
    if (r->max_abs > 0)
        ok(c.max_abs <= r->max_abs, "%s: max abs diff %.3g <= %g over %zu x %u", what, c.max_abs,
           r->max_abs, n, s->g.dim);
    diag("%s: 1 - worst cosine = %.3g, max abs diff %.3g; %zu %s in %.2f s (%.1f/s, batch 32)",
         what, 1.0 - c.worst_cos, c.max_abs, n, r->noun, dt, n / dt);
}

void golden_run_ref(const struct golden_set *s, const struct golden_run *r)
{
    struct bb_backend *be = golden_ref_backend();
    struct bb_model *m = golden_model_load(s->model_dir, be, BB_F32, "ref");
    if (m) {
        size_t n = golden_limit(s->g.count < r->ref_max ? s->g.count : r->ref_max);
        float *out = malloc(n * s->g.dim * sizeof(float));
        embed_check(m, s, r, n, "ref", out);
        free(out);
        if (r->extra)
            r->extra(m, s, "ref");
    }
    bb_model_free(m);
    bb_backend_free(be);
}

/* The forwards since `before` ran every op of an L-layer encoder on be:
 * the number of forwards is read from the pool count (batches hold at most
 * 32 texts, fewer where padding would dominate). */
static void op_counts(const struct bb_backend *be, const uint64_t *before, int n_layers,
                      size_t n_texts, const struct bb_backend *spy)
{
    const uint64_t per[BB_OP_COUNT] = {1, 4 * (uint64_t)n_layers, 1 + 2 * (uint64_t)n_layers,
                                       (uint64_t)n_layers, 1};
    uint64_t n_batches = be->op_count[BB_OP_POOL] - before[BB_OP_POOL];
    ok(n_batches >= (n_texts + 31) / 32 && n_batches <= n_texts,
       "%llu forwards for %zu texts at batch size 32", (unsigned long long)n_batches, n_texts);
    for (int k = 0; k < BB_OP_COUNT; k++)
        is_int((long long)(per[k] * n_batches), (long long)(be->op_count[k] - before[k]),
               "opencl ran every '%s' op itself (%llu per forward of %d layers)",
               bb_op_name((enum bb_op_kind)k), (unsigned long long)per[k], n_layers);
    uint64_t spied = 0;
    for (int k = 0; k < BB_OP_COUNT; k++)
        spied += spy->op_count[k];
    is_int(0, (long long)spied, "a separately created ref backend ran no op");
}

void golden_run_opencl(const struct golden_set *s, const struct golden_run *r)
{
    struct bb_backend *be = golden_opencl_backend();
    if (!be)
        return;
    struct bb_backend *spy = golden_ref_backend();
    struct bb_model *m = golden_model_load(s->model_dir, be, BB_F32, "opencl");
    if (m) {
        size_t n = golden_limit(s->g.count);
        float *out = malloc(n * s->g.dim * sizeof(float));
        uint64_t before[BB_OP_COUNT];
        memcpy(before, be->op_count, sizeof before);
        embed_check(m, s, r, n, "opencl", out);
        op_counts(be, before, r->n_layers, n, spy);
        if (r->extra)
            r->extra(m, s, "opencl");
        bb_model_free(m);
        golden_f16_check(s->model_dir, be, s->texts, &s->g, out, n < r->f16_max ? n : r->f16_max,
                         r->noun);
        free(out);
    }
    bb_backend_free(spy);
    bb_backend_free(be);
}
