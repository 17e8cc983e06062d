/* suite_yaml.c: the YAML side of suite loading (suite.c is the typed
 * schema): libyaml documents -> a small position-carrying node tree per file,
 * includes read (cycles, depth and size limits) and merged into one tree
 * (maps by key, top-level lists by id), unknown and duplicate keys checked
 * against the lists the schema gives, and the diagnostics every stage collects
 * (file:line:col, path, message; sorted by file, line, column), with "did you
 * mean" suggestions. Everything lives in one arena freed with the suite. */
#include "suite/suite_yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "core/log.h"

#define MAX_DEPTH 64          /* nesting of YAML collections */
#define MAX_NODES 200000      /* per file, after alias expansion */
#define MAX_DIAGS 500

/* ---- arena: every allocation of a suite, freed at once ------------------- */

struct arena_chunk {
    struct arena_chunk *next;
    max_align_t data[];
};

struct arena {
    struct arena_chunk *head;
};


static void *arena_alloc(struct arena *a, size_t size)
{
    struct arena_chunk *ch = calloc(1, sizeof *ch + (size ? size : 1));
    if (!ch)
        return NULL;
    ch->next = a->head;
    a->head = ch;
    return ch->data;
}

struct arena *sy_arena_new(void) { return calloc(1, sizeof(struct arena)); }

void sy_arena_free(struct arena *a)
{
    if (!a)
        return;
    for (struct arena_chunk *ch = a->head, *next; ch; ch = next) {
        next = ch->next;
        free(ch);
    }
    free(a);
}

/* ---- allocation in the suite's arena --------------------------------------- */

void *sy_c_alloc(struct ctx *c, size_t size)
{
    void *p = arena_alloc(c->a, size);
    if (!p)
        c->oom = true;
    return p;
}

void *sy_c_array(struct ctx *c, size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n) {
        c->oom = true;
        return NULL;
    }
    return sy_c_alloc(c, n * size);
}

static char *c_strndup(struct ctx *c, const char *s, size_t len)
{
    char *p = sy_c_alloc(c, len + 1);
    if (p)
        memcpy(p, s, len);
    return p;
}

char *sy_c_strdup(struct ctx *c, const char *s)
{
    return c_strndup(c, s, strlen(s));
}

/* ---- diagnostics ----------------------------------------------------------- */

static void diag_add(struct ctx *c, struct bb_suite_pos pos, const char *path, const char *text)
{
    struct bb_diagnostics *d = c->diag;
    if (d->n - c->n_before >= MAX_DIAGS)
        return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct bb_diag *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return;
        }
        d->v = v;
        d->cap = cap;
    }
    char loc[4200], msg[8192];
    const char *file = pos.file ? pos.file : "(suite)";
    if (pos.line > 0)
        snprintf(loc, sizeof loc, "%s:%d:%d: ", file, pos.line, pos.col);
    else
        snprintf(loc, sizeof loc, "%s: ", file);
    snprintf(msg, sizeof msg, "%s%s%s%s", loc, path, *path ? ": " : "", text);
    struct bb_diag *g = &d->v[d->n];
    g->file = strdup(file);
    g->line = pos.line;
    g->col = pos.col;
    g->path = strdup(path);
    g->text = strdup(text);
    g->msg = strdup(msg);
    if (!g->file || !g->path || !g->text || !g->msg) {
        free(g->file), free(g->path), free(g->text), free(g->msg);
        c->oom = true;
        return;
    }
    d->n++;
}

void sy_report(struct ctx *c, struct bb_suite_pos pos, const char *path, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    diag_add(c, pos, path, text);
}

void bb_diagnostics_free(struct bb_diagnostics *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].path);
        free(d->v[i].text);
        free(d->v[i].msg);
    }
    free(d->v);
    memset(d, 0, sizeof *d);
}

void bb_suite_print_errors(const struct bb_diagnostics *d, FILE *f)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        fprintf(f, "%s\n", d->v[i].msg);
    if (d->n)
        fprintf(f, "%zu error%s%s\n", d->n, d->n == 1 ? "" : "s",
                d->n >= MAX_DIAGS ? " (stopped counting)" : "");
}

/* ---- names, suggestions ---------------------------------------------------- */

/* Levenshtein distance, capped: strings longer than 63 bytes count as far. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Candidates: n strings reached as *(const char **)(base + i*stride).
 * Writes " (did you mean 'x'?)" for the nearest within distance 2, else "". */
void sy_suggest(const char *word, const void *base, size_t n, size_t stride,
                    char *out, size_t size)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n; i++) {
        const char *cand = *(const char *const *)((const char *)base + i * stride);
        if (!cand)
            continue;
        size_t d = edit_distance(word, cand);
        if (d < best_d && d < strlen(cand)) {
            best_d = d;
            best = cand;
        }
    }
    if (best)
        snprintf(out, size, " (did you mean '%s'?)", best);
    else
        out[0] = '\0';
}

size_t sy_list_len(const char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

/* "a, b, c" */
void sy_join_names(const char *const *names, size_t n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", names[i]);
}

/* ---- YAML -> node tree ----------------------------------------------------- */

static struct bb_suite_pos mark_pos(const char *file, yaml_mark_t m)
{
    return (struct bb_suite_pos){file, (int)m.line + 1, (int)m.column + 1};
}

static bool is_null_text(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static struct node *tree_from(struct ctx *c, yaml_document_t *doc, yaml_node_t *yn,
                              const char *file, int depth);

static bool tree_children(struct ctx *c, yaml_document_t *doc, yaml_node_t *yn,
                          struct node *n, const char *file, int depth)
{
    if (yn->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = yn->data.sequence.items.start;
        n->n = (size_t)(yn->data.sequence.items.top - it);
        n->items = sy_c_array(c, n->n, sizeof *n->items);
        for (size_t i = 0; n->items && i < n->n; i++)
            if (!(n->items[i] =
                      tree_from(c, doc, yaml_document_get_node(doc, it[i]), file, depth + 1)))
                return false;
        return n->items != NULL;
    }
    yaml_node_pair_t *p = yn->data.mapping.pairs.start;
    size_t np = (size_t)(yn->data.mapping.pairs.top - p);
    n->items = sy_c_array(c, np, sizeof *n->items);
    n->keys = sy_c_array(c, np, sizeof *n->keys);
    if (!n->items || !n->keys)
        return false;
    for (size_t i = 0; i < np; i++) {
        struct node *k = tree_from(c, doc, yaml_document_get_node(doc, p[i].key), file, depth + 1);
        struct node *v =
            tree_from(c, doc, yaml_document_get_node(doc, p[i].value), file, depth + 1);
        if (!k || !v)
            return false;
        if (k->kind != N_SCALAR) {
            sy_report(c, k->pos, "", "a map key must be a plain name, found %s",
                   k->kind == N_NULL ? "an empty key" : k->kind == N_SEQ ? "a list" : "a map");
            continue;
        }
        n->keys[n->n] = k;
        n->items[n->n++] = v;
    }
    return true;
}

/* Returns NULL after reporting (too deep, too many nodes) or on no memory. */
static struct node *tree_from(struct ctx *c, yaml_document_t *doc, yaml_node_t *yn,
                              const char *file, int depth)
{
    if (!yn)
        return NULL;
    struct bb_suite_pos pos = mark_pos(file, yn->start_mark);
    if (depth > MAX_DEPTH || ++c->n_nodes > MAX_NODES) {
        sy_report(c, pos, "",
                  depth > MAX_DEPTH ? "nesting deeper than %d levels (a recursive alias?)"
                                    : "more than %d nodes (alias expansion?)",
                  depth > MAX_DEPTH ? MAX_DEPTH : MAX_NODES);
        return NULL;
    }
    struct node *n = sy_c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    n->pos = pos;
    if (yn->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)yn->data.scalar.value;
        size_t len = yn->data.scalar.length;
        n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (memchr(s, '\0', len)) {
            sy_report(c, pos, "", "a string contains a NUL character");
            len = strlen(s);
        }
        n->str = c_strndup(c, s, len);
        n->kind = n->plain && n->str && is_null_text(n->str) ? N_NULL : N_SCALAR;
        return n->str ? n : NULL;
    }
    n->kind = yn->type == YAML_SEQUENCE_NODE ? N_SEQ : N_MAP;
    return tree_children(c, doc, yn, n, file, depth) ? n : NULL;
}

/* Line and column (in bytes) of a byte offset, for libyaml's reader errors. */
static struct bb_suite_pos offset_pos(FILE *fp, const char *file, size_t offset)
{
    struct bb_suite_pos pos = {file, 1, 1};
    rewind(fp);
    for (size_t i = 0; i < offset; i++) {
        int ch = getc(fp);
        if (ch == EOF)
            break;
        pos.col = ch == '\n' ? 1 : pos.col + 1;
        pos.line += ch == '\n';
    }
    return pos;
}

static void report_yaml_error(struct ctx *c, const yaml_parser_t *p, FILE *fp, const char *file)
{
    struct bb_suite_pos pos = mark_pos(file, p->problem_mark);
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->error == YAML_READER_ERROR) {
        sy_report(c, offset_pos(fp, file, p->problem_offset), "",
                  "cannot read as YAML: %s (byte %zu)", problem, p->problem_offset);
    } else if (p->context) {
        sy_report(c, pos, "", "YAML syntax error: %s (%s at line %d, column %d)", problem,
               p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    } else {
        sy_report(c, pos, "", "YAML syntax error: %s", problem);
    }
}

/* Parse one open file into *root (NULL: empty). False after reporting. */
static bool parse_yaml(struct ctx *c, FILE *fp, const char *file, struct node **root)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    bool ok = false;
    *root = NULL;
    if (!yaml_parser_initialize(&parser)) {
        c->oom = true;
        return false;
    }
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &doc)) {
        report_yaml_error(c, &parser, fp, file);
        goto out;
    }
    yaml_node_t *yroot = yaml_document_get_root_node(&doc);
    c->n_nodes = 0;
    *root = yroot ? tree_from(c, &doc, yroot, file, 0) : NULL;
    ok = !yroot || *root;
    yaml_document_delete(&doc);
    if (!ok || !yroot)
        goto out;
    if (!yaml_parser_load(&parser, &doc)) {
        report_yaml_error(c, &parser, fp, file);
        ok = false;
        goto out;
    }
    yroot = yaml_document_get_root_node(&doc);
    if (yroot) {
        sy_report(c, mark_pos(file, yroot->start_mark), "",
               "a suite file holds one YAML document, found a second one");
        ok = false;
    }
    yaml_document_delete(&doc);
out:
    yaml_parser_delete(&parser);
    return ok;
}

/* ---- map helpers ----------------------------------------------------------- */

struct node *sy_map_get(const struct node *m, const char *key)
{
    if (!m || m->kind != N_MAP)
        return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i]->str, key))
            return m->items[i];
    return NULL;
}

const char *sy_describe(const struct node *n, char *buf, size_t size)
{
    switch (n->kind) {
    case N_NULL: return "nothing (an empty value)";
    case N_SEQ: return "a list";
    case N_MAP: return "a map";
    case N_SCALAR: break;
    }
    const char *q = n->plain ? "'" : "\"";
    const char *note = n->plain ? "" : " (quoted, so a string)";
    if (strlen(n->str) > 40)
        snprintf(buf, size, "%s%.37s...%s%s", q, n->str, q, note);
    else
        snprintf(buf, size, "%s%s%s%s", q, n->str, q, note);
    return buf;
}

void sy_join_path(char *out, size_t size, const char *path, const char *key)
{
    snprintf(out, size, "%s%s%s", path, *path ? "." : "", key);
}

/* ---- reading files and includes -------------------------------------------- */

static struct node *merge(struct ctx *c, struct node *base, struct node *over, int depth);

static const char *include_name(struct ctx *c, const char *from, const char *inc)
{
    if (inc[0] == '/')
        return sy_c_strdup(c, inc);
    const char *slash = strrchr(from, '/');
    if (!slash)
        return sy_c_strdup(c, inc);
    size_t dl = (size_t)(slash - from) + 1;
    char *p = sy_c_alloc(c, dl + strlen(inc) + 1);
    if (p) {
        memcpy(p, from, dl);
        strcpy(p + dl, inc);
    }
    return p;
}

struct node *sy_load_file(struct ctx *c, const char *name, const struct node *from,
                              const char *from_path);

/* Merge the includes of root (a map), in order, into *acc. */
static void load_includes(struct ctx *c, const struct node *root, const char *name,
                          struct node **acc)
{
    struct node *inc = sy_map_get(root, "include"), *one = inc, single;
    if (!inc)
        return;
    if (inc->kind == N_SCALAR) {
        single = (struct node){.kind = N_SEQ, .pos = inc->pos, .n = 1, .items = &one};
        inc = &single;
    }
    if (inc->kind != N_SEQ) {
        char buf[96];
        sy_report(c, inc->pos, "include", "expected a file name or a list of file names, found %s",
               sy_describe(inc, buf, sizeof buf));
        return;
    }
    for (size_t i = 0; i < inc->n; i++) {
        struct node *it = inc->items[i];
        char path[64], buf[64];
        snprintf(path, sizeof path, "include[%zu]", i);
        if (it->kind != N_SCALAR || !*it->str) {
            sy_report(c, it->pos, path, "expected a file name, found %s",
                      sy_describe(it, buf, sizeof buf));
            continue;
        }
        const char *child_name = include_name(c, name, it->str);
        if (!child_name)
            return;
        struct node *child = sy_load_file(c, child_name, it, path);
        if (child)
            *acc = *acc ? merge(c, *acc, child, 0) : child;
    }
}

/* A copy of root without its include key. */
static struct node *strip_include(struct ctx *c, const struct node *root)
{
    struct node *n = sy_c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    *n = *root;
    n->n = 0;
    n->keys = sy_c_array(c, root->n, sizeof *n->keys);
    n->items = sy_c_array(c, root->n, sizeof *n->items);
    if (!n->keys || !n->items)
        return NULL;
    for (size_t i = 0; i < root->n; i++) {
        if (strcmp(root->keys[i]->str, "include")) {
            n->keys[n->n] = root->keys[i];
            n->items[n->n++] = root->items[i];
        }
    }
    return n;
}

static bool open_checked(struct ctx *c, const char *name, const struct node *from,
                         const char *from_path, FILE **fp, char **real)
{
    struct bb_suite_pos at = from ? from->pos : (struct bb_suite_pos){name, 0, 0};
    *fp = fopen(name, "rb");
    if (!*fp) {
        if (from)
            sy_report(c, at, from_path, "cannot open included file '%s': %s", name,
                      strerror(errno));
        else
            sy_report(c, at, "", "cannot open suite: %s", strerror(errno));
        return false;
    }
    struct stat sb;
    if (!fstat(fileno(*fp), &sb) && S_ISDIR(sb.st_mode)) {
        if (from)
            sy_report(c, at, from_path, "included file '%s' is a folder, not a suite file", name);
        else
            sy_report(c, at, "", "is a folder, not a suite file (give a .yaml file, e.g. "
                   "suites/default.yaml)");
        fclose(*fp);
        return false;
    }
    *real = realpath(name, NULL);
    if (!*real) {
        sy_report(c, at, from_path, "cannot resolve '%s': %s", name, strerror(errno));
        fclose(*fp);
        return false;
    }
    return true;
}

/* Has this file been read already (include cycle, or included twice)? */
static bool seen_before(struct ctx *c, const char *real, const char *name, const struct node *from,
                        const char *from_path)
{
    for (size_t i = 0; i < c->depth; i++) {
        if (strcmp(c->stack[i], real))
            continue;
        char chain[2048] = "";
        size_t used = 0;
        for (size_t j = i; j < c->depth && used < sizeof chain; j++)
            for (size_t k = 0; k < c->n_files; k++)
                if (!strcmp(c->files[k].real, c->stack[j]))
                    used += (size_t)snprintf(chain + used, sizeof chain - used, "%s -> ",
                                             c->files[k].name);
        sy_report(c, from->pos, from_path, "include cycle: %s%s", chain, name);
        return true;
    }
    for (size_t i = 0; i < c->n_files; i++)
        if (!strcmp(c->files[i].real, real))
            return true; /* read once, at its first include */
    return false;
}

/* Read name and its includes into one merged tree (NULL after reporting). */
struct node *sy_load_file(struct ctx *c, const char *name, const struct node *from,
                              const char *from_path)
{
    FILE *fp = NULL;
    char *real = NULL;
    struct node *root = NULL, *acc = NULL;
    if (!open_checked(c, name, from, from_path, &fp, &real))
        return NULL;
    if ((from && seen_before(c, real, name, from, from_path)) || c->depth >= MAX_INCLUDE_DEPTH ||
        c->n_files >= MAX_FILES) {
        if (c->depth >= MAX_INCLUDE_DEPTH || c->n_files >= MAX_FILES)
            sy_report(c, from->pos, from_path,
                      "includes nested deeper than %d levels or more than %d files",
                      MAX_INCLUDE_DEPTH, MAX_FILES);
        free(real);
        fclose(fp);
        return NULL;
    }
    c->files[c->n_files++] = (struct file_rec){real, name};
    bool parsed = parse_yaml(c, fp, name, &root);
    fclose(fp);
    if (!parsed)
        return NULL;
    if (!root) {
        sy_report(c, (struct bb_suite_pos){name, 1, 1}, "",
                  "empty file: expected a suite (a map with keys suite, version, models, datasets, "
                  "tasks)");
        return NULL;
    }
    if (root->kind != N_MAP) {
        char buf[96];
        sy_report(c, root->pos, "", "expected a map of suite keys at the top level, found %s",
               sy_describe(root, buf, sizeof buf));
        return NULL;
    }
    c->stack[c->depth++] = real;
    load_includes(c, root, name, &acc);
    c->depth--;
    struct node *own = strip_include(c, root);
    if (!own)
        return NULL;
    return acc ? merge(c, acc, own, 0) : own;
}

/* ---- merging: maps by key, top-level lists by id --------------------------- */

static const char *item_id(const struct node *item)
{
    const struct node *id = sy_map_get(item, "id");
    return id && id->kind == N_SCALAR ? id->str : NULL;
}

static struct node *merge_list(struct ctx *c, const struct node *base, const struct node *over)
{
    struct node *n = sy_c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    *n = *over;
    n->n = base->n;
    n->items = sy_c_array(c, base->n + over->n, sizeof *n->items);
    if (!n->items)
        return NULL;
    memcpy(n->items, base->items, base->n * sizeof *n->items);
    for (size_t i = 0; i < over->n; i++) {
        const char *id = item_id(over->items[i]);
        size_t j = 0;
        for (; id && j < n->n; j++) /* replace an included item of the same id */
            if (n->items[j]->pos.file != over->items[i]->pos.file && item_id(n->items[j]) &&
                !strcmp(item_id(n->items[j]), id))
                break;
        if (id && j < n->n)
            n->items[j] = over->items[i];
        else
            n->items[n->n++] = over->items[i];
    }
    return n;
}

static bool is_id_list_key(const char *key)
{
    return !strcmp(key, "models") || !strcmp(key, "datasets") || !strcmp(key, "tasks") ||
           !strcmp(key, "gates");
}

static struct node *merge(struct ctx *c, struct node *base, struct node *over, int depth)
{
    if (base->kind != N_MAP || over->kind != N_MAP)
        return over;
    struct node *n = sy_c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    *n = *over;
    n->n = base->n;
    n->keys = sy_c_array(c, base->n + over->n, sizeof *n->keys);
    n->items = sy_c_array(c, base->n + over->n, sizeof *n->items);
    if (!n->keys || !n->items)
        return NULL;
    memcpy(n->keys, base->keys, base->n * sizeof *n->keys);
    memcpy(n->items, base->items, base->n * sizeof *n->items);
    for (size_t i = 0; i < over->n; i++) {
        struct node *k = over->keys[i], *v = over->items[i];
        size_t j = 0;
        for (; j < n->n; j++)
            if (n->keys[j]->pos.file != k->pos.file && !strcmp(n->keys[j]->str, k->str))
                break;
        if (j == n->n) {
            n->keys[n->n] = k;
            n->items[n->n++] = v;
            continue;
        }
        struct node *old = n->items[j];
        if (depth == 0 && is_id_list_key(k->str) && old->kind == N_SEQ && v->kind == N_SEQ)
            v = merge_list(c, old, v);
        else if (old->kind == N_MAP && v->kind == N_MAP)
            v = merge(c, old, v, depth + 1);
        if (!v)
            return NULL;
        n->keys[j] = k;
        n->items[j] = v;
    }
    return n;
}

/* ---- checking keys ----------------------------------------------------------- */

bool sy_in_list(const char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], key))
            return true;
    return false;
}

void sy_check_dup_keys(struct ctx *c, const struct node *m, const char *path)
{
    for (size_t i = 1; i < m->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(m->keys[i]->str, m->keys[j]->str))
                continue;
            char p[512];
            sy_join_path(p, sizeof p, path, m->keys[i]->str);
            sy_report(c, m->keys[i]->pos, p, "duplicate key (first at line %d)",
                      m->keys[j]->pos.line);
            break;
        }
    }
}

/* Report unknown and duplicate keys of map m. valid: NULL-terminated;
 * misplaced(key) may name where a key that is not valid here belongs. */
void sy_check_keys(struct ctx *c, const struct node *m, const char *path,
                       const char *const *valid,
                       const char *(*misplaced)(const char *key, const void *arg), const void *arg)
{
    sy_check_dup_keys(c, m, path);
    for (size_t i = 0; i < m->n; i++) {
        const char *key = m->keys[i]->str;
        if (sy_in_list(valid, key))
            continue;
        char p[512], hint[128], names[1024];
        sy_join_path(p, sizeof p, path, key);
        const char *where = misplaced ? misplaced(key, arg) : NULL;
        if (where) {
            sy_report(c, m->keys[i]->pos, p, "key '%s' does not apply here (%s)", key, where);
            continue;
        }
        sy_suggest(key, valid, sy_list_len(valid), sizeof *valid, hint, sizeof hint);
        if (hint[0]) {
            sy_report(c, m->keys[i]->pos, p, "unknown key '%s'%s", key, hint);
        } else {
            sy_join_names(valid, sy_list_len(valid), names, sizeof names);
            sy_report(c, m->keys[i]->pos, p, "unknown key '%s' (valid keys: %s)", key, names);
        }
    }
}

bool sy_expect_kind(struct ctx *c, const struct node *v, const char *path, enum nkind kind,
                        const char *what)
{
    if (v->kind == kind)
        return true;
    char buf[96];
    sy_report(c, v->pos, path, "expected %s, found %s", what, sy_describe(v, buf, sizeof buf));
    return false;
}

void sy_report_missing(struct ctx *c, const struct node *m, const char *path, const char *key)
{
    sy_report(c, m->pos, path, "missing required key '%s'", key);
}

void sy_record_files(struct ctx *c)
{
    c->s->files = sy_c_array(c, c->n_files, sizeof *c->s->files);
    for (size_t i = 0; c->s->files && i < c->n_files; i++)
        c->s->files[c->s->n_files++] = c->files[i].name;
}

static size_t file_rank(const struct ctx *c, const char *file)
{
    for (size_t i = 0; i < c->n_files; i++)
        if (!strcmp(c->files[i].name, file))
            return i;
    return c->n_files;
}

static bool diag_before(const struct ctx *c, const struct bb_diag *a, const struct bb_diag *b)
{
    size_t fa = file_rank(c, a->file), fb = file_rank(c, b->file);
    if (fa != fb)
        return fa < fb;
    return a->line != b->line ? a->line < b->line : a->col < b->col;
}

/* Order this load's diagnostics by file (in reading order), line, column;
 * stable, so problems found at one place keep the order they were found in. */
static void sort_diags(const struct ctx *c)
{
    size_t n = c->diag->n - c->n_before;
    if (n < 2)
        return;
    struct bb_diag *v = c->diag->v + c->n_before;
    for (size_t i = 1; i < n; i++) {
        struct bb_diag x = v[i];
        size_t j = i;
        for (; j > 0 && diag_before(c, &x, &v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

enum bb_status sy_finish(struct ctx *c, const char *path, bool io_failed, struct bb_error *err)
{
    sort_diags(c);
    if (c->oom)
        return bb_fail(err, BB_E_NOMEM, "%s: out of memory while loading the suite", path);
    size_t n = c->diag->n - c->n_before;
    if (!n)
        return BB_OK;
    enum bb_status code = io_failed ? BB_E_IO : BB_E_INPUT;
    const char *first = c->diag->v[c->n_before].msg;
    if (n == 1)
        return bb_fail(err, code, "%s", first);
    return bb_fail(err, code, "%s (and %zu more error%s)", first, n - 1, n > 2 ? "s" : "");
}
