/* dataset.c: dataset loading. CSV/TSV records come from libcsv (quoting on)
 * or a plain split on the delimiter (quoting off), fed one line at a time so
 * every record keeps the line it starts on; JSON Lines rows are flattened
 * objects; whole JSON documents become rows (array) or a json_t (object).
 * All strings of a table live in one arena. */
#include "dataset.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/fault.h"
#include "core/json.h"
#include "core/sha256.h"
#include "suite/suite.h"

/* ---- arena ------------------------------------------------------------------ */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct arena_block *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- table -------------------------------------------------------------------- */

struct cell {
    const char *s;            /* NULL: missing */
    const char *const *items; /* list cells; NULL for plain cells */
    size_t n_items;
};

struct row {
    long line;
    size_t n;
    struct cell *cells;
};

struct bb_table {
    char *path;
    char sha256[BB_SHA256_HEX_LEN];
    uint64_t bytes;
    char **col_names; /* in the arena */
    size_t n_cols, cap_cols;
    struct row *rows;
    size_t n_rows, cap_rows;
    const char **role_names;
    int *role_cols;
    size_t n_roles;
    size_t skipped;
    long first_skipped;
    json_t *doc;
    struct arena arena;
};

static enum bb_status oom(struct bb_error *err, const char *path)
{
    return bb_fail(err, BB_E_NOMEM, "%s: out of memory loading the dataset", path);
}

static enum bb_status add_col(struct bb_table *t, const char *name, size_t len,
                              struct bb_error *err)
{
    if (t->n_cols == t->cap_cols) {
        size_t cap = t->cap_cols ? 2 * t->cap_cols : 16;
        char **p = realloc(t->col_names, cap * sizeof *p);
        if (!p)
            return oom(err, t->path);
        t->col_names = p;
        t->cap_cols = cap;
    }
    char idx[32];
    if (len == 0) { /* unnamed column: call it by its index */
        len = (size_t)snprintf(idx, sizeof idx, "%zu", t->n_cols);
        name = idx;
    }
    char *s = arena_strndup(&t->arena, name, len);
    if (!s)
        return oom(err, t->path);
    t->col_names[t->n_cols++] = s;
    return BB_OK;
}

/* Append a row; cells are copied into the arena. */
static enum bb_status add_row(struct bb_table *t, long line, const struct cell *cells, size_t n,
                              struct bb_error *err)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 256;
        struct row *p = realloc(t->rows, cap * sizeof *p);
        if (!p)
            return oom(err, t->path);
        t->rows = p;
        t->cap_rows = cap;
    }
    struct cell *c = arena_alloc(&t->arena, n * sizeof *c + 1);
    if (!c)
        return oom(err, t->path);
    if (n)
        memcpy(c, cells, n * sizeof *c);
    t->rows[t->n_rows++] = (struct row){ .line = line, .n = n, .cells = c };
    return BB_OK;
}

static void count_skip(struct bb_table *t, long line)
{
    if (!t->skipped)
        t->first_skipped = line;
    t->skipped++;
}

/* A malformed row: an error, or counted and dropped under on_bad_row: skip. */
static enum bb_status bad_row(struct bb_table *t, enum bb_bad_row policy, long line,
                              struct bb_error *err, const char *msg)
{
    if (policy == BB_BAD_ROW_SKIP) {
        count_skip(t, line);
        return BB_OK;
    }
    if (line > 0)
        return bb_fail(err, BB_E_INPUT, "%s:%ld: %s", t->path, line, msg);
    return bb_fail(err, BB_E_INPUT, "%s: %s", t->path, msg);
}

void bb_table_free(struct bb_table *t)
{
    if (!t)
        return;
    free(t->path);
    free(t->col_names);
    free(t->rows);
    free(t->role_names);
    free(t->role_cols);
    if (t->doc)
        json_decref(t->doc);
    arena_free(&t->arena);
    free(t);
}

/* ---- UTF-8 ------------------------------------------------------------------- */

/* Offset of the first byte that is not valid UTF-8 (a NUL counts as invalid),
 * or -1 when all of s[0..n) is valid. */
static long utf8_invalid_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min, cp;
        if (c == 0)
            return (long)i;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { k = 1; min = 0x80; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; min = 0x800; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; min = 0x10000; cp = c & 0x07; }
        else return (long)i;
        if (n - i <= k)
            return (long)i;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return (long)i;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += k + 1;
    }
    return -1;
}

/* ---- format ------------------------------------------------------------------- */

enum bb_dataset_format bb_dataset_format_of(const struct bb_dataset_spec *spec)
{
    if (spec->format != BB_FORMAT_AUTO)
        return spec->format;
    const char *dot = spec->path ? strrchr(spec->path, '.') : NULL;
    if (!dot)
        return BB_FORMAT_AUTO;
    if (!strcasecmp(dot, ".csv"))
        return BB_FORMAT_CSV;
    if (!strcasecmp(dot, ".tsv") || !strcasecmp(dot, ".txt"))
        return BB_FORMAT_TSV;
    if (!strcasecmp(dot, ".jsonl"))
        return BB_FORMAT_JSONL;
    if (!strcasecmp(dot, ".json"))
        return BB_FORMAT_JSON;
    return BB_FORMAT_AUTO;
}

const char *bb_dataset_format_name(enum bb_dataset_format f)
{
    switch (f) {
    case BB_FORMAT_AUTO: return "auto";
    case BB_FORMAT_CSV: return "csv";
    case BB_FORMAT_TSV: return "tsv";
    case BB_FORMAT_JSONL: return "jsonl";
    case BB_FORMAT_JSON: return "json";
    }
    return "unknown";
}

bool bb_dataset_format_from_name(const char *name, enum bb_dataset_format *out)
{
    for (int f = BB_FORMAT_AUTO; f <= BB_FORMAT_JSON; f++)
        if (name && !strcmp(name, bb_dataset_format_name((enum bb_dataset_format)f))) {
            *out = (enum bb_dataset_format)f;
            return true;
        }
    return false;
}

/* ---- CSV / TSV ------------------------------------------------------------------ */

struct csv_state {
    struct bb_table *t;
    const struct bb_dataset_spec *spec;
    struct bb_error *err;
    enum bb_status st;
    bool want_header, have_header;
    size_t expected; /* 0 until known */
    long line;       /* line being fed */
    long rec_line;   /* line the current record starts on */
    bool in_record;
    struct cell *cells; /* current record */
    size_t n, cap;
    char bad[256]; /* first problem of the current record ("" when none) */
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void push_field(struct csv_state *s, const char *data, size_t len)
{
    if (s->st)
        return;
    if (!s->in_record) {
        s->in_record = true;
        s->rec_line = s->line;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct cell *p = realloc(s->cells, cap * sizeof *p);
        if (!p) {
            s->st = oom(s->err, s->t->path);
            return;
        }
        s->cells = p;
        s->cap = cap;
    }
    long bad = data ? utf8_invalid_at((const unsigned char *)data, len) : -1;
    if (bad >= 0 && !s->bad[0])
        snprintf(s->bad, sizeof s->bad, "field %zu: %s at byte %ld of the field", s->n + 1,
                 ((const unsigned char *)data)[bad] ? "invalid UTF-8" : "NUL byte", bad + 1);
    char *copy = arena_strndup(&s->t->arena, data ? data : "", len);
    if (!copy) {
        s->st = oom(s->err, s->t->path);
        return;
    }
    s->cells[s->n++] = (struct cell){ .s = copy };
}

static enum bb_status take_header(struct csv_state *s)
{
    struct bb_table *t = s->t;
    if (s->bad[0])
        return bb_fail(s->err, BB_E_INPUT, "%s:%ld: header: %s", t->path, s->rec_line, s->bad);
    size_t n = s->n;
    if (s->spec->n_fields > 0) {
        size_t want = (size_t)s->spec->n_fields;
        if (n < want || (n > want && s->spec->fields == BB_FIELDS_EXACT))
            return bb_fail(s->err, BB_E_INPUT, "%s:%ld: header: expected %zu fields, found %zu",
                           t->path, s->rec_line, want, n);
        n = want;
    }
    for (size_t i = 0; i < n; i++) {
        enum bb_status st = add_col(t, s->cells[i].s, strlen(s->cells[i].s), s->err);
        if (st)
            return st;
    }
    s->expected = n;
    s->have_header = true;
    return BB_OK;
}

static enum bb_status take_record(struct csv_state *s)
{
    struct bb_table *t = s->t;
    char msg[320];
    if (s->want_header && !s->have_header)
        return take_header(s);
    if (!s->expected) {
        s->expected = s->spec->n_fields > 0 ? (size_t)s->spec->n_fields : s->n;
        for (size_t i = 0; i < s->expected; i++) {
            enum bb_status st = add_col(t, "", 0, s->err);
            if (st)
                return st;
        }
    }
    if (s->bad[0])
        return bad_row(t, s->spec->on_bad_row, s->rec_line, s->err, s->bad);
    size_t n = s->n;
    if (n != s->expected && !(n > s->expected && s->spec->fields == BB_FIELDS_ALLOW_EXTRA)) {
        snprintf(msg, sizeof msg, "expected %zu field%s, found %zu", s->expected,
                 s->expected == 1 ? "" : "s", n);
        return bad_row(t, s->spec->on_bad_row, s->rec_line, s->err, msg);
    }
    return add_row(t, s->rec_line, s->cells, s->expected, s->err);
}

static void end_record(struct csv_state *s)
{
    if (!s->st && s->in_record)
        s->st = take_record(s);
    s->n = 0;
    s->bad[0] = 0;
    s->in_record = false;
}

static void csv_cb_field(void *data, size_t len, void *ctx)
{
    push_field(ctx, data, len);
}

static void csv_cb_record(int c, void *ctx)
{
    (void)c;
    end_record(ctx);
}

static bool is_blank_line(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '\n' && p[i] != '\r')
            return false;
    return true;
}

static enum bb_status csv_parser_new(struct csv_parser *p, char delim, struct bb_error *err,
                                     const char *path)
{
    if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return oom(err, path);
    csv_set_delim(p, (unsigned char)delim);
    csv_set_space_func(p, no_space);
    return BB_OK;
}

/* Feed one line to libcsv; a quoting error drops the record under skip. */
static enum bb_status csv_feed_quoted(struct csv_state *s, struct csv_parser *p, char delim,
                                      const char *line, size_t len)
{
    if (!s->in_record && !is_blank_line(line, len)) {
        s->in_record = true;
        s->rec_line = s->line;
    }
    size_t done = csv_parse(p, line, len, csv_cb_field, csv_cb_record, s);
    if (s->st)
        return s->st;
    if (done == len)
        return BB_OK;
    if (csv_error(p) != CSV_EPARSE)
        return oom(s->err, s->t->path);
    char msg[200];
    snprintf(msg, sizeof msg,
             "bad quoting at column %zu (a quote inside an unquoted field, or text after a "
             "closing quote)", done + 1);
    enum bb_status st = bad_row(s->t, s->spec->on_bad_row, s->line, s->err, msg);
    if (st)
        return st;
    /* skip: drop the record, restart the parser on the next line */
    s->n = 0;
    s->bad[0] = 0;
    s->in_record = false;
    csv_free(p);
    return csv_parser_new(p, delim, s->err, s->t->path);
}

/* Quoting off: a line is a record; split on the delimiter only. */
static enum bb_status csv_feed_plain(struct csv_state *s, char delim, const char *line,
                                     size_t len)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0)
        return BB_OK;
    size_t start = 0;
    for (size_t i = 0; i <= len && !s->st; i++) {
        if (i == len || line[i] == delim) {
            push_field(s, line + start, i - start);
            start = i + 1;
        }
    }
    end_record(s);
    return s->st;
}

static enum bb_status load_delimited(struct bb_table *t, const struct bb_dataset_spec *spec,
                                     FILE *f, bool tsv, struct bb_sha256 *sha,
                                     struct bb_error *err)
{
    char delim = spec->delimiter ? spec->delimiter : (tsv ? '\t' : ',');
    bool quoted = spec->quoting == BB_QUOTING_ON || (spec->quoting == BB_QUOTING_DEFAULT && !tsv);
    struct csv_state s = { .t = t, .spec = spec, .err = err,
                           .want_header = spec->header != BB_HEADER_NO };
    struct csv_parser p;
    enum bb_status st = quoted ? csv_parser_new(&p, delim, err, t->path) : BB_OK;
    if (st)
        return st;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (!st && (len = getline(&line, &cap, f)) >= 0) {
        bb_sha256_update(sha, line, (size_t)len);
        t->bytes += (uint64_t)len;
        s.line++;
        if (s.line == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) { /* BOM */
            memmove(line, line + 3, (size_t)len - 3);
            len -= 3;
        }
        st = quoted ? csv_feed_quoted(&s, &p, delim, line, (size_t)len)
                    : csv_feed_plain(&s, delim, line, (size_t)len);
    }
    if (!st && ferror(f))
        st = bb_fail(err, BB_E_IO, "%s: read error: %s", t->path, strerror(errno));
    if (!st && quoted) {
        if (csv_fini(&p, csv_cb_field, csv_cb_record, &s) != 0 && !s.st)
            st = bb_fail(err, BB_E_INPUT,
                         "%s:%ld: quoted field is never closed (the record starting on this "
                         "line runs to the end of the file)", t->path, s.rec_line);
        else
            st = s.st;
    }
    if (quoted)
        csv_free(&p);
    free(line);
    free(s.cells);
    return st;
}

/* ---- JSON values to cells -------------------------------------------------------- */

struct row_builder {
    struct bb_table *t;
    struct cell *cells;
    size_t cap; /* cells has room for cap; cells beyond t->n_cols unused */
    char bad[256];
};

static int col_find(const struct bb_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->col_names[i], name))
            return (int)i;
    return -1;
}

static enum bb_status rb_col(struct row_builder *rb, const char *name, int *col,
                             struct bb_error *err)
{
    struct bb_table *t = rb->t;
    *col = col_find(t, name);
    if (*col < 0) {
        enum bb_status st = add_col(t, name, strlen(name), err);
        if (st)
            return st;
        *col = (int)t->n_cols - 1;
    }
    if ((size_t)*col >= rb->cap) {
        size_t cap = rb->cap ? 2 * rb->cap : 16;
        while (cap <= (size_t)*col)
            cap *= 2;
        struct cell *p = realloc(rb->cells, cap * sizeof *p);
        if (!p)
            return oom(err, t->path);
        memset(p + rb->cap, 0, (cap - rb->cap) * sizeof *p);
        rb->cells = p;
        rb->cap = cap;
    }
    return BB_OK;
}

/* Shortest %g text of a real that reads back to the same double. */
static void real_text(double v, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static bool all_strings(const json_t *a)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (!json_is_string(v))
            return false;
    return true;
}

static enum bb_status string_cell(struct row_builder *rb, const json_t *v, const char *key,
                                  const char **out, struct bb_error *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len && !rb->bad[0])
        snprintf(rb->bad, sizeof rb->bad, "field '%s': contains a NUL character (\\u0000)", key);
    *out = arena_strndup(&rb->t->arena, s, len);
    return *out ? BB_OK : oom(err, rb->t->path);
}

static enum bb_status list_cell(struct row_builder *rb, const json_t *a, const char *key,
                                struct cell *c, struct bb_error *err)
{
    size_t n = json_array_size(a), total = 1;
    const char **items = arena_alloc(&rb->t->arena, (n + 1) * sizeof *items);
    if (!items)
        return oom(err, rb->t->path);
    for (size_t i = 0; i < n; i++) {
        enum bb_status st = string_cell(rb, json_array_get(a, i), key, &items[i], err);
        if (st)
            return st;
        total += strlen(items[i]) + 1;
    }
    char *joined = arena_alloc(&rb->t->arena, total), *p = joined;
    if (!joined)
        return oom(err, rb->t->path);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        memcpy(p, items[i], l);
        p += l;
        if (i + 1 < n)
            *p++ = '\n';
    }
    *p = 0;
    *c = (struct cell){ .s = joined, .items = items, .n_items = n };
    return BB_OK;
}

static enum bb_status value_cell(struct row_builder *rb, const json_t *v, const char *key,
                                 struct cell *c, struct bb_error *err)
{
    char buf[64];
    const char *text = NULL;
    *c = (struct cell){ 0 };
    switch (json_typeof(v)) {
    case JSON_NULL: return BB_OK;
    case JSON_STRING: return string_cell(rb, v, key, &c->s, err);
    case JSON_TRUE: text = "true"; break;
    case JSON_FALSE: text = "false"; break;
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        text = buf;
        break;
    case JSON_REAL:
        real_text(json_real_value(v), buf, sizeof buf);
        text = buf;
        break;
    case JSON_ARRAY:
    case JSON_OBJECT: {
        if (json_is_array(v) && all_strings(v))
            return list_cell(rb, v, key, c, err);
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY); /* mixed arrays, objects */
        if (!dump)
            return oom(err, rb->t->path);
        c->s = arena_strndup(&rb->t->arena, dump, strlen(dump));
        free(dump);
        return c->s ? BB_OK : oom(err, rb->t->path);
    }
    }
    c->s = arena_strndup(&rb->t->arena, text, strlen(text));
    return c->s ? BB_OK : oom(err, rb->t->path);
}

/* Flatten obj into rb's cells, nested objects as "prefix.key". */
static enum bb_status flatten(struct row_builder *rb, const json_t *obj, const char *prefix,
                              struct bb_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        char name[1024];
        int w = snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", key);
        if (w < 0 || (size_t)w >= sizeof name)
            return bb_fail(err, BB_E_INPUT, "%s: key path '%s.%s' is too long", rb->t->path,
                           prefix, key);
        enum bb_status st;
        if (json_is_object(v) && json_object_size(v) > 0) {
            st = flatten(rb, v, name, err);
        } else {
            int col;
            st = rb_col(rb, name, &col, err);
            if (!st)
                st = value_cell(rb, v, name, &rb->cells[col], err);
        }
        if (st)
            return st;
    }
    return BB_OK;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* One JSON value as a row; not an object, or a bad cell: a bad row. */
static enum bb_status json_row(struct row_builder *rb, const json_t *v, long line,
                               const char *where, enum bb_bad_row policy, struct bb_error *err)
{
    char msg[320];
    if (!json_is_object(v)) {
        snprintf(msg, sizeof msg, "%sexpected a JSON object, found %s", where,
                 json_type_name(v));
        return bad_row(rb->t, policy, line, err, msg);
    }
    if (rb->cap)
        memset(rb->cells, 0, rb->cap * sizeof *rb->cells);
    rb->bad[0] = 0;
    enum bb_status st = flatten(rb, v, "", err);
    if (st)
        return st;
    if (rb->bad[0]) {
        snprintf(msg, sizeof msg, "%s%s", where, rb->bad);
        return bad_row(rb->t, policy, line, err, msg);
    }
    return add_row(rb->t, line, rb->cells, rb->t->n_cols, err);
}

static enum bb_status load_jsonl(struct bb_table *t, const struct bb_dataset_spec *spec, FILE *f,
                                 struct bb_sha256 *sha, struct bb_error *err)
{
    struct row_builder rb = { .t = t };
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    enum bb_status st = BB_OK;
    while (!st && (len = getline(&line, &cap, f)) >= 0) {
        bb_sha256_update(sha, line, (size_t)len);
        t->bytes += (uint64_t)len;
        lineno++;
        size_t n = (size_t)len, off = 0;
        if (lineno == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3))
            off = 3;
        size_t k = off;
        while (k < n && strchr(" \t\r\n", line[k]))
            k++;
        if (k == n)
            continue; /* blank line */
        json_error_t je;
        json_t *v = json_loadb(line + off, n - off, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (!v) {
            char msg[300];
            snprintf(msg, sizeof msg, "column %d: bad JSON: %s", je.column, je.text);
            st = bad_row(t, spec->on_bad_row, lineno, err, msg);
            continue;
        }
        st = json_row(&rb, v, lineno, "", spec->on_bad_row, err);
        json_decref(v);
    }
    if (!st && ferror(f))
        st = bb_fail(err, BB_E_IO, "%s: read error: %s", t->path, strerror(errno));
    free(line);
    free(rb.cells);
    return st;
}

static enum bb_status load_json_doc(struct bb_table *t, const struct bb_dataset_spec *spec,
                                    struct bb_error *err)
{
    json_t *doc;
    enum bb_status st = bb_json_load_file(t->path, &doc, err);
    if (st)
        return st;
    if (json_is_object(doc)) {
        t->doc = doc;
        return BB_OK;
    }
    if (!json_is_array(doc)) {
        st = bb_fail(err, BB_E_INPUT, "%s: expected a JSON array of objects or an object, "
                     "found %s", t->path, json_type_name(doc));
        json_decref(doc);
        return st;
    }
    struct row_builder rb = { .t = t };
    size_t i;
    json_t *v;
    json_array_foreach(doc, i, v) {
        char where[64];
        snprintf(where, sizeof where, "element [%zu]: ", i);
        st = json_row(&rb, v, 0, where, spec->on_bad_row, err);
        if (st)
            break;
    }
    free(rb.cells);
    json_decref(doc);
    return st;
}

/* ---- column mapping ------------------------------------------------------------ */

/* "a, b, c" (truncated with "..." when long). */
static void list_columns(const struct bb_table *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < t->n_cols; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", t->col_names[i]);
        if (w < 0 || (size_t)w >= n - used) {
            if (n > 4)
                strcpy(buf + n - 4, "...");
            return;
        }
        used += (size_t)w;
    }
}

static enum bb_status map_columns(struct bb_table *t, const struct bb_dataset_spec *spec,
                                  struct bb_error *err)
{
    size_t n = spec->n_columns;
    if (!n || !spec->columns)
        return BB_OK;
    if (t->doc)
        return bb_fail(err, BB_E_INPUT, "%s: a JSON object document has no columns to map "
                       "(role '%s')", t->path, spec->columns[0].role);
    t->role_names = calloc(n, sizeof *t->role_names);
    t->role_cols = calloc(n, sizeof *t->role_cols);
    if (!t->role_names || !t->role_cols)
        return oom(err, t->path);
    char cols[600];
    for (size_t i = 0; i < n; i++) {
        const struct bb_column_map *m = &spec->columns[i];
        int col = m->name ? col_find(t, m->name) : m->index;
        list_columns(t, cols, sizeof cols);
        if (m->name && col < 0)
            return bb_fail(err, BB_E_INPUT, "%s:1: column '%s' (for %s) not found; columns are: %s",
                           t->path, m->name, m->role, cols);
        if (col < 0 || (size_t)col >= t->n_cols)
            return bb_fail(err, BB_E_INPUT, "%s: column index %d (for %s) out of range: the "
                           "file has %zu columns (%s)", t->path, m->index, m->role, t->n_cols,
                           cols);
        char *role = arena_strndup(&t->arena, m->role, strlen(m->role));
        if (!role)
            return oom(err, t->path);
        t->role_names[i] = role;
        t->role_cols[i] = col;
        t->n_roles++;
    }
    return BB_OK;
}

/* ---- load ------------------------------------------------------------------------ */

static enum bb_status open_input(const char *path, FILE **f, uint64_t *size,
                                 struct bb_error *err)
{
    struct stat sb;
    *f = bb_fault(BB_FAULT_DATASET_OPEN, BB_CALLER) ? (errno = EIO, NULL) : fopen(path, "rb");
    if (!*f)
        return bb_fail(err, BB_E_IO, "%s: cannot open dataset: %s", path, strerror(errno));
    if (fstat(fileno(*f), &sb) != 0 || S_ISDIR(sb.st_mode)) {
        int e = S_ISDIR(sb.st_mode) ? EISDIR : errno;
        fclose(*f);
        *f = NULL;
        return bb_fail(err, BB_E_IO, "%s: cannot read dataset: %s", path, strerror(e));
    }
    *size = (uint64_t)sb.st_size;
    if (sb.st_size == 0) {
        fclose(*f);
        *f = NULL;
        return bb_fail(err, BB_E_INPUT, "%s: empty file (0 bytes): expected a dataset", path);
    }
    return BB_OK;
}

static enum bb_status load_body(struct bb_table *t, const struct bb_dataset_spec *spec,
                                enum bb_dataset_format fmt, FILE *f, struct bb_error *err)
{
    enum bb_status st;
    if (fmt == BB_FORMAT_JSON) {
        st = load_json_doc(t, spec, err);
        if (!st)
            st = bb_sha256_file(t->path, t->sha256, err);
        return st;
    }
    struct bb_sha256 sha;
    uint8_t digest[BB_SHA256_DIGEST_LEN];
    bb_sha256_init(&sha);
    t->bytes = 0;
    if (fmt == BB_FORMAT_JSONL)
        st = load_jsonl(t, spec, f, &sha, err);
    else
        st = load_delimited(t, spec, f, fmt == BB_FORMAT_TSV, &sha, err);
    bb_sha256_final(&sha, digest);
    bb_sha256_to_hex(digest, t->sha256);
    return st;
}

static enum bb_status check_nonempty(const struct bb_table *t, enum bb_dataset_format fmt,
                                     struct bb_error *err)
{
    if (t->n_rows > 0 || t->doc)
        return BB_OK;
    if (t->skipped)
        return bb_fail(err, BB_E_INPUT, "%s: no usable rows: all %zu were malformed and "
                       "skipped (first at line %ld)", t->path, t->skipped, t->first_skipped);
    if (t->n_cols > 0 && (fmt == BB_FORMAT_CSV || fmt == BB_FORMAT_TSV))
        return bb_fail(err, BB_E_INPUT, "%s: no data rows (only a header)", t->path);
    return bb_fail(err, BB_E_INPUT, "%s: no data rows", t->path);
}

enum bb_status bb_dataset_load(const struct bb_dataset_spec *spec, struct bb_table **out,
                               struct bb_error *err)
{
    *out = NULL;
    if (!spec || !spec->path)
        return bb_fail(err, BB_E_INTERNAL, "dataset spec without a path");
    enum bb_dataset_format fmt = bb_dataset_format_of(spec);
    if (fmt == BB_FORMAT_AUTO)
        return bb_fail(err, BB_E_INPUT, "%s: cannot tell the format from the file name: "
                       "expected .csv, .tsv, .txt, .jsonl or .json, or an explicit format",
                       spec->path);
    FILE *f = NULL;
    struct bb_table *t = calloc(1, sizeof *t);
    enum bb_status st = t ? BB_OK : oom(err, spec->path);
    if (!st && !(t->path = strdup(spec->path)))
        st = oom(err, spec->path);
    if (!st)
        st = open_input(spec->path, &f, &t->bytes, err);
    if (!st)
        st = load_body(t, spec, fmt, f, err);
    if (!st)
        st = check_nonempty(t, fmt, err);
    if (!st)
        st = map_columns(t, spec, err);
    if (f)
        fclose(f);
    if (st) {
        bb_table_free(t);
        return st;
    }
    *out = t;
    return BB_OK;
}

/* ---- accessors ---------------------------------------------------------------- */

size_t bb_table_rows(const struct bb_table *t) { return t->n_rows; }
size_t bb_table_cols(const struct bb_table *t) { return t->n_cols; }
size_t bb_table_skipped(const struct bb_table *t) { return t->skipped; }
long bb_table_first_skipped_line(const struct bb_table *t) { return t->first_skipped; }
const char *bb_table_path(const struct bb_table *t) { return t->path; }
const char *bb_table_sha256(const struct bb_table *t) { return t->sha256; }
uint64_t bb_table_bytes(const struct bb_table *t) { return t->bytes; }
json_t *bb_table_json(const struct bb_table *t) { return t->doc; }

const char *bb_table_col_name(const struct bb_table *t, size_t col)
{
    return col < t->n_cols ? t->col_names[col] : NULL;
}

int bb_table_col(const struct bb_table *t, const char *role_or_name)
{
    for (size_t i = 0; i < t->n_roles; i++)
        if (!strcmp(t->role_names[i], role_or_name))
            return t->role_cols[i];
    return col_find(t, role_or_name);
}

enum bb_status bb_table_require_col(const struct bb_table *t, const char *role_or_name, int *col,
                                    struct bb_error *err)
{
    *col = bb_table_col(t, role_or_name);
    if (*col >= 0)
        return BB_OK;
    char cols[600];
    list_columns(t, cols, sizeof cols);
    return bb_fail(err, BB_E_INPUT, "%s: no column or role '%s'; columns are: %s", t->path,
                   role_or_name, cols);
}

static const struct cell *cell_at(const struct bb_table *t, size_t row, int col)
{
    if (row >= t->n_rows || col < 0 || (size_t)col >= t->rows[row].n)
        return NULL;
    return &t->rows[row].cells[col];
}

const char *bb_table_get(const struct bb_table *t, size_t row, int col)
{
    const struct cell *c = cell_at(t, row, col);
    return c ? c->s : NULL;
}

enum bb_status bb_table_set(struct bb_table *t, size_t row, int col, const char *s,
                            struct bb_error *err)
{
    if (row >= t->n_rows || col < 0 || (size_t)col >= t->rows[row].n)
        return bb_fail(err, BB_E_INTERNAL, "%s: no cell at row %zu, column %d", t->path, row, col);
    struct cell *c = &t->rows[row].cells[col];
    const char *p = arena_strndup(&t->arena, s, strlen(s));
    if (!p)
        return oom(err, t->path);
    c->s = p, c->items = NULL, c->n_items = 0;
    return BB_OK;
}

static enum bb_status bad_number(const struct bb_table *t, size_t row, int col,
                                 const char *want, const char *found, struct bb_error *err)
{
    const char *name = bb_table_col_name(t, (size_t)col);
    char where[64];
    if (bb_table_line(t, row) > 0)
        snprintf(where, sizeof where, "%ld", bb_table_line(t, row));
    else
        snprintf(where, sizeof where, " row %zu", row + 1);
    return bb_fail(err, BB_E_INPUT, "%s:%s: column '%s': expected %s, found %s%.60s%s", t->path,
                   where, name ? name : "?", want, found ? "'" : "nothing",
                   found ? found : "", found ? "'" : "");
}

static bool only_space(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == 0;
}

enum bb_status bb_table_get_double(const struct bb_table *t, size_t row, int col, double *out,
                                   struct bb_error *err)
{
    const char *s = bb_table_get(t, row, col);
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || end == s || !only_space(end) || errno == ERANGE)
        return bad_number(t, row, col, "a number", s, err);
    *out = v;
    return BB_OK;
}

enum bb_status bb_table_get_long(const struct bb_table *t, size_t row, int col, long *out,
                                 struct bb_error *err)
{
    const char *s = bb_table_get(t, row, col);
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || end == s || !only_space(end) || errno == ERANGE)
        return bad_number(t, row, col, "an integer", s, err);
    *out = v;
    return BB_OK;
}

const char *const *bb_table_list(const struct bb_table *t, size_t row, int col, size_t *n)
{
    const struct cell *c = cell_at(t, row, col);
    *n = 0;
    if (!c || !c->s)
        return NULL;
    if (c->items) {
        *n = c->n_items;
        return c->items;
    }
    *n = 1;
    return &c->s;
}

long bb_table_line(const struct bb_table *t, size_t row)
{
    return row < t->n_rows ? t->rows[row].line : 0;
}

/* ---- Python list repr --------------------------------------------------------- */

void bb_strlist_free(char **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free(items[i]);
    free(items);
}

static enum bb_status pylist_item(const char **pp, char **out, const char *what,
                                  struct bb_error *err)
{
    const char *p = *pp;
    char q = *p++;
    char *buf = malloc(strlen(p) + 1), *w = buf;
    if (!buf)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", what);
    while (*p && *p != q) {
        if (*p == '\\' && p[1]) {
            p++;
            *w++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            p++;
        } else {
            *w++ = *p++;
        }
    }
    if (*p != q) {
        free(buf);
        return bb_fail(err, BB_E_INPUT, "%s: list item quoted with %c is never closed", what, q);
    }
    *w = 0;
    *out = buf;
    *pp = p + 1;
    return BB_OK;
}

enum bb_status bb_dataset_split_pylist(const char *s, const char *what, char ***items, size_t *n,
                                       struct bb_error *err)
{
    *items = NULL;
    *n = 0;
    const char *p = s;
    size_t cap = 0;
    enum bb_status st = BB_OK;
    while (*p && strchr(" \t\r\n", *p))
        p++;
    if (*p++ != '[')
        return bb_fail(err, BB_E_INPUT, "%s: expected a list like ['a' 'b'], found \"%.40s\"",
                       what, s);
    for (;;) {
        while (*p && strchr(" \t\r\n,", *p))
            p++;
        if (*p == ']')
            break;
        if (*p != '\'' && *p != '"') {
            st = bb_fail(err, BB_E_INPUT, "%s: expected a quoted list item or ']' at offset %ld, "
                         "found \"%.20s\"", what, (long)(p - s), p);
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 4;
            char **q = realloc(*items, cap * sizeof *q);
            if (!q) {
                st = bb_fail(err, BB_E_NOMEM, "%s: out of memory", what);
                break;
            }
            *items = q;
        }
        st = pylist_item(&p, &(*items)[*n], what, err);
        if (st)
            break;
        (*n)++;
    }
    if (st) {
        bb_strlist_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
    return st;
}

/* ---- SEAT / WEAT word sets ------------------------------------------------------- */

static void word_set_free(struct bb_word_set *ws)
{
    free(ws->name);
    bb_strlist_free(ws->items, ws->n);
    memset(ws, 0, sizeof *ws);
}

/* An array of non-empty strings into ws->items. `what` names file and field. */
static enum bb_status word_set_fill(struct bb_word_set *ws, const json_t *arr, const char *what,
                                    struct bb_error *err)
{
    if (!json_is_array(arr))
        return bb_fail(err, BB_E_INPUT, "%s: expected an array of strings, found %s", what,
                       arr ? json_type_name(arr) : "nothing");
    size_t n = json_array_size(arr);
    if (n == 0)
        return bb_fail(err, BB_E_INPUT, "%s: expected at least one item, found an empty list",
                       what);
    ws->items = calloc(n, sizeof *ws->items);
    if (!ws->items)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            strlen(json_string_value(v)) != json_string_length(v))
            return bb_fail(err, BB_E_INPUT, "%s[%zu]: expected a non-empty string, found %s",
                           what, i, json_is_string(v) ? "an empty or NUL-holding string"
                                                      : json_type_name(v));
        if (!(ws->items[i] = strdup(json_string_value(v))))
            return bb_fail(err, BB_E_NOMEM, "%s: out of memory", what);
        ws->n = i + 1;
    }
    return BB_OK;
}

static enum bb_status seat_set(const json_t *doc, const char *path, const char *key,
                               struct bb_word_set *ws, struct bb_error *err)
{
    char what[1200];
    const json_t *o = json_object_get(doc, key);
    if (!json_is_object(o))
        return bb_fail(err, BB_E_INPUT, "%s: field '%s': expected an object {category, "
                       "examples}, found %s", path, key, o ? json_type_name(o) : "nothing");
    const char *cat = NULL;
    snprintf(what, sizeof what, "%s: %s", path, key);
    enum bb_status st = bb_json_get_string(o, "category", what, true, &cat, err);
    if (st)
        return st;
    if (!(ws->name = strdup(cat)))
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory", path);
    snprintf(what, sizeof what, "%s: %s.examples", path, key);
    return word_set_fill(ws, json_object_get(o, "examples"), what, err);
}

enum bb_status bb_seat_load(const char *path, struct bb_seat_test *out, struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *doc;
    enum bb_status st = bb_json_load_file(path, &doc, err);
    if (st)
        return st;
    if (!json_is_object(doc))
        st = bb_fail(err, BB_E_INPUT, "%s: expected a JSON object {targ1, targ2, attr1, attr2}, "
                     "found %s", path, json_type_name(doc));
    if (!st)
        st = seat_set(doc, path, "targ1", &out->targ1, err);
    if (!st)
        st = seat_set(doc, path, "targ2", &out->targ2, err);
    if (!st)
        st = seat_set(doc, path, "attr1", &out->attr1, err);
    if (!st)
        st = seat_set(doc, path, "attr2", &out->attr2, err);
    json_decref(doc);
    if (st)
        bb_seat_free(out);
    return st;
}

void bb_seat_free(struct bb_seat_test *t)
{
    word_set_free(&t->targ1);
    word_set_free(&t->targ2);
    word_set_free(&t->attr1);
    word_set_free(&t->attr2);
}

static enum bb_dataset_format format_of(enum bb_suite_format f)
{
    switch (f) {
    case BB_SUITE_CSV: return BB_FORMAT_CSV;
    case BB_SUITE_TSV: return BB_FORMAT_TSV;
    case BB_SUITE_JSONL: return BB_FORMAT_JSONL;
    case BB_SUITE_JSON: return BB_FORMAT_JSON;
    }
    return BB_FORMAT_AUTO;
}

enum bb_status bb_dataset_load_suite(const struct bb_suite_dataset *ds, const char *path,
                                     struct bb_table **out, struct bb_error *err)
{
    struct bb_column_map *cols = calloc(ds->n_columns ? ds->n_columns : 1, sizeof *cols);
    if (!cols)
        return bb_fail(err, BB_E_NOMEM, "out of memory loading dataset '%s'", ds->id);
    for (size_t i = 0; i < ds->n_columns; i++) {
        cols[i].role = ds->columns[i].role;
        cols[i].name = ds->columns[i].name;
        cols[i].index = ds->columns[i].name ? -1 : (int)ds->columns[i].index;
    }
    struct bb_dataset_spec spec = {
        .path = path,
        .format = format_of(ds->format),
        .header = ds->header ? BB_HEADER_YES : BB_HEADER_NO,
        .delimiter = ds->delimiter,
        .fields = ds->drop_extra_fields ? BB_FIELDS_ALLOW_EXTRA : BB_FIELDS_EXACT,
        .on_bad_row = ds->on_bad_row == BB_SUITE_BAD_ROW_SKIP ? BB_BAD_ROW_SKIP : BB_BAD_ROW_ERROR,
        .columns = cols,
        .n_columns = ds->n_columns,
    };
    enum bb_status st = bb_dataset_load(&spec, out, err);
    free(cols);
    return st;
}
