/* suite.c: load a YAML suite (docs/suite-format.md) into struct bb_suite.
 * Three stages: libyaml documents -> a small position-carrying node tree per
 * file; includes merged into one tree; the tree checked and converted into
 * the typed structs, collecting every problem as a diagnostic. */
#include "suite.h"
#include "suite/perturb.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "core/log.h"
#include "core/rescache.h"

#define MAX_DEPTH 64          /* nesting of YAML collections */
#define MAX_NODES 200000      /* per file, after alias expansion */
#define MAX_INCLUDE_DEPTH 16
#define MAX_FILES 256
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

static void arena_free(struct arena *a)
{
    if (!a)
        return;
    for (struct arena_chunk *ch = a->head, *next; ch; ch = next) {
        next = ch->next;
        free(ch);
    }
    free(a);
}

/* ---- the node tree --------------------------------------------------------- */

enum nkind { N_NULL, N_SCALAR, N_SEQ, N_MAP };

struct node {
    enum nkind kind;
    struct bb_suite_pos pos;
    const char *str;          /* N_SCALAR: the text */
    bool plain;               /* N_SCALAR: unquoted */
    size_t n;
    struct node **items;      /* N_SEQ items, N_MAP values */
    struct node **keys;       /* N_MAP keys (scalars) */
};

struct file_rec {
    char *real;               /* realpath, owned */
    const char *name;         /* display name, in the arena */
};

struct ctx {
    struct arena *a;
    struct bb_diagnostics *diag;
    bool oom;
    size_t n_nodes;           /* nodes made for the file being read */
    struct file_rec files[MAX_FILES];
    size_t n_files;
    const char *stack[MAX_INCLUDE_DEPTH + 1]; /* realpaths being read */
    size_t depth;
    struct bb_suite *s;
    size_t n_before;          /* diagnostics on the list before this load */
};

static void *c_alloc(struct ctx *c, size_t size)
{
    void *p = arena_alloc(c->a, size);
    if (!p)
        c->oom = true;
    return p;
}

static void *c_array(struct ctx *c, size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n) {
        c->oom = true;
        return NULL;
    }
    return c_alloc(c, n * size);
}

static char *c_strndup(struct ctx *c, const char *s, size_t len)
{
    char *p = c_alloc(c, len + 1);
    if (p)
        memcpy(p, s, len);
    return p;
}

static char *c_strdup(struct ctx *c, const char *s)
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

static void report(struct ctx *c, struct bb_suite_pos pos, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(struct ctx *c, struct bb_suite_pos pos, const char *path, const char *fmt, ...)
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
static void suggest(const char *word, const void *base, size_t n, size_t stride,
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

static size_t list_len(const char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

/* "a, b, c" */
static void join_names(const char *const *names, size_t n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", names[i]);
}

static const char *const task_type_names[] = {
    "similarity", "zero-shot-classification", "association", "counterfactual", "latency",
    "pairs", "stereoset", "bbq", "multiple-choice", "perplexity", "retrieval", "clustering", "linear-probe", NULL};
static const char *const normalization_names[] = {"token", "sum", NULL};
static const char *const average_names[] = {"contexts", "target", NULL};
static const char *const format_names[] = {"csv", "tsv", "jsonl", "json", NULL};
static const char *const backend_names[] = {"opencl", "ref", NULL};
static const char *const correction_names[] = {"holm", "bh", "none", NULL};
static const char *const precision_names[] = {"f32", "f16", NULL};
static const char *const bad_row_names[] = {"error", "skip", NULL};
static const char *const extra_fields_names[] = {"error", "drop", NULL};
static const char *const score_type_names[] = {"zero-shot", "similarity", NULL};

const char *bb_suite_task_type_name(enum bb_suite_task_type t)
{
    return (unsigned)t < BB_SUITE_N_TASK_TYPES ? task_type_names[t] : "?";
}
const char *bb_suite_format_name(enum bb_suite_format f)
{
    return (unsigned)f < 4 ? format_names[f] : "?";
}
const char *bb_suite_backend_name(enum bb_suite_backend b)
{
    return (unsigned)b < 2 ? backend_names[b] : "?";
}
const char *bb_suite_correction_name(enum bb_suite_correction k)
{
    return (unsigned)k < 3 ? correction_names[k] : "?";
}
const char *bb_suite_precision_name(enum bb_suite_precision p)
{
    return (unsigned)p < 2 ? precision_names[p] : "?";
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
        n->items = c_array(c, n->n, sizeof *n->items);
        for (size_t i = 0; n->items && i < n->n; i++)
            if (!(n->items[i] = tree_from(c, doc, yaml_document_get_node(doc, it[i]), file, depth + 1)))
                return false;
        return n->items != NULL;
    }
    yaml_node_pair_t *p = yn->data.mapping.pairs.start;
    size_t np = (size_t)(yn->data.mapping.pairs.top - p);
    n->items = c_array(c, np, sizeof *n->items);
    n->keys = c_array(c, np, sizeof *n->keys);
    if (!n->items || !n->keys)
        return false;
    for (size_t i = 0; i < np; i++) {
        struct node *k = tree_from(c, doc, yaml_document_get_node(doc, p[i].key), file, depth + 1);
        struct node *v = tree_from(c, doc, yaml_document_get_node(doc, p[i].value), file, depth + 1);
        if (!k || !v)
            return false;
        if (k->kind != N_SCALAR) {
            report(c, k->pos, "", "a map key must be a plain name, found %s",
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
        report(c, pos, "", depth > MAX_DEPTH ? "nesting deeper than %d levels (a recursive alias?)"
                                              : "more than %d nodes (alias expansion?)",
               depth > MAX_DEPTH ? MAX_DEPTH : MAX_NODES);
        return NULL;
    }
    struct node *n = c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    n->pos = pos;
    if (yn->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)yn->data.scalar.value;
        size_t len = yn->data.scalar.length;
        n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (memchr(s, '\0', len)) {
            report(c, pos, "", "a string contains a NUL character");
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
        report(c, offset_pos(fp, file, p->problem_offset), "", "cannot read as YAML: %s (byte %zu)",
               problem, p->problem_offset);
    } else if (p->context) {
        report(c, pos, "", "YAML syntax error: %s (%s at line %d, column %d)", problem,
               p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    } else {
        report(c, pos, "", "YAML syntax error: %s", problem);
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
        report(c, mark_pos(file, yroot->start_mark), "",
               "a suite file holds one YAML document, found a second one");
        ok = false;
    }
    yaml_document_delete(&doc);
out:
    yaml_parser_delete(&parser);
    return ok;
}

/* ---- map helpers ----------------------------------------------------------- */

static struct node *map_get(const struct node *m, const char *key)
{
    if (!m || m->kind != N_MAP)
        return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i]->str, key))
            return m->items[i];
    return NULL;
}

static const char *describe(const struct node *n, char *buf, size_t size)
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

static void join_path(char *out, size_t size, const char *path, const char *key)
{
    snprintf(out, size, "%s%s%s", path, *path ? "." : "", key);
}

/* ---- reading files and includes -------------------------------------------- */

static struct node *merge(struct ctx *c, struct node *base, struct node *over, int depth);

static const char *include_name(struct ctx *c, const char *from, const char *inc)
{
    if (inc[0] == '/')
        return c_strdup(c, inc);
    const char *slash = strrchr(from, '/');
    if (!slash)
        return c_strdup(c, inc);
    size_t dl = (size_t)(slash - from) + 1;
    char *p = c_alloc(c, dl + strlen(inc) + 1);
    if (p) {
        memcpy(p, from, dl);
        strcpy(p + dl, inc);
    }
    return p;
}

static struct node *load_file(struct ctx *c, const char *name, const struct node *from,
                              const char *from_path);

/* Merge the includes of root (a map), in order, into *acc. */
static void load_includes(struct ctx *c, const struct node *root, const char *name,
                          struct node **acc)
{
    struct node *inc = map_get(root, "include"), *one = inc, single;
    if (!inc)
        return;
    if (inc->kind == N_SCALAR) {
        single = (struct node){.kind = N_SEQ, .pos = inc->pos, .n = 1, .items = &one};
        inc = &single;
    }
    if (inc->kind != N_SEQ) {
        char buf[96];
        report(c, inc->pos, "include", "expected a file name or a list of file names, found %s",
               describe(inc, buf, sizeof buf));
        return;
    }
    for (size_t i = 0; i < inc->n; i++) {
        struct node *it = inc->items[i];
        char path[64], buf[64];
        snprintf(path, sizeof path, "include[%zu]", i);
        if (it->kind != N_SCALAR || !*it->str) {
            report(c, it->pos, path, "expected a file name, found %s", describe(it, buf, sizeof buf));
            continue;
        }
        const char *child_name = include_name(c, name, it->str);
        if (!child_name)
            return;
        struct node *child = load_file(c, child_name, it, path);
        if (child)
            *acc = *acc ? merge(c, *acc, child, 0) : child;
    }
}

/* A copy of root without its include key. */
static struct node *strip_include(struct ctx *c, const struct node *root)
{
    struct node *n = c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    *n = *root;
    n->n = 0;
    n->keys = c_array(c, root->n, sizeof *n->keys);
    n->items = c_array(c, root->n, sizeof *n->items);
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
            report(c, at, from_path, "cannot open included file '%s': %s", name, strerror(errno));
        else
            report(c, at, "", "cannot open suite: %s", strerror(errno));
        return false;
    }
    struct stat sb;
    if (!fstat(fileno(*fp), &sb) && S_ISDIR(sb.st_mode)) {
        if (from)
            report(c, at, from_path, "included file '%s' is a folder, not a suite file", name);
        else
            report(c, at, "", "is a folder, not a suite file (give a .yaml file, e.g. "
                   "suites/default.yaml)");
        fclose(*fp);
        return false;
    }
    *real = realpath(name, NULL);
    if (!*real) {
        report(c, at, from_path, "cannot resolve '%s': %s", name, strerror(errno));
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
        report(c, from->pos, from_path, "include cycle: %s%s", chain, name);
        return true;
    }
    for (size_t i = 0; i < c->n_files; i++)
        if (!strcmp(c->files[i].real, real))
            return true; /* read once, at its first include */
    return false;
}

/* Read name and its includes into one merged tree (NULL after reporting). */
static struct node *load_file(struct ctx *c, const char *name, const struct node *from,
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
            report(c, from->pos, from_path, "includes nested deeper than %d levels or more than %d files",
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
        report(c, (struct bb_suite_pos){name, 1, 1}, "",
               "empty file: expected a suite (a map with keys suite, version, models, datasets, tasks)");
        return NULL;
    }
    if (root->kind != N_MAP) {
        char buf[96];
        report(c, root->pos, "", "expected a map of suite keys at the top level, found %s",
               describe(root, buf, sizeof buf));
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
    const struct node *id = map_get(item, "id");
    return id && id->kind == N_SCALAR ? id->str : NULL;
}

static struct node *merge_list(struct ctx *c, const struct node *base, const struct node *over)
{
    struct node *n = c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    *n = *over;
    n->n = base->n;
    n->items = c_array(c, base->n + over->n, sizeof *n->items);
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
    struct node *n = c_alloc(c, sizeof *n);
    if (!n)
        return NULL;
    *n = *over;
    n->n = base->n;
    n->keys = c_array(c, base->n + over->n, sizeof *n->keys);
    n->items = c_array(c, base->n + over->n, sizeof *n->items);
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

static bool in_list(const char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], key))
            return true;
    return false;
}

static void check_dup_keys(struct ctx *c, const struct node *m, const char *path)
{
    for (size_t i = 1; i < m->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(m->keys[i]->str, m->keys[j]->str))
                continue;
            char p[512];
            join_path(p, sizeof p, path, m->keys[i]->str);
            report(c, m->keys[i]->pos, p, "duplicate key (first at line %d)", m->keys[j]->pos.line);
            break;
        }
    }
}

/* Report unknown and duplicate keys of map m. valid: NULL-terminated;
 * misplaced(key) may name where a key that is not valid here belongs. */
static void check_keys(struct ctx *c, const struct node *m, const char *path,
                       const char *const *valid,
                       const char *(*misplaced)(const char *key, const void *arg), const void *arg)
{
    check_dup_keys(c, m, path);
    for (size_t i = 0; i < m->n; i++) {
        const char *key = m->keys[i]->str;
        if (in_list(valid, key))
            continue;
        char p[512], hint[128], names[1024];
        join_path(p, sizeof p, path, key);
        const char *where = misplaced ? misplaced(key, arg) : NULL;
        if (where) {
            report(c, m->keys[i]->pos, p, "key '%s' does not apply here (%s)", key, where);
            continue;
        }
        suggest(key, valid, list_len(valid), sizeof *valid, hint, sizeof hint);
        if (hint[0]) {
            report(c, m->keys[i]->pos, p, "unknown key '%s'%s", key, hint);
        } else {
            join_names(valid, list_len(valid), names, sizeof names);
            report(c, m->keys[i]->pos, p, "unknown key '%s' (valid keys: %s)", key, names);
        }
    }
}

static bool expect_kind(struct ctx *c, const struct node *v, const char *path, enum nkind kind,
                        const char *what)
{
    if (v->kind == kind)
        return true;
    char buf[96];
    report(c, v->pos, path, "expected %s, found %s", what, describe(v, buf, sizeof buf));
    return false;
}

static void report_missing(struct ctx *c, const struct node *m, const char *path, const char *key)
{
    report(c, m->pos, path, "missing required key '%s'", key);
}

/* ---- scalar conversions (v != NULL; report and return false when bad) -------- */

static bool conv_str(struct ctx *c, const struct node *v, const char *path, const char **out)
{
    if (!expect_kind(c, v, path, N_SCALAR, "a string"))
        return false;
    *out = v->str;
    return true;
}

static bool is_id_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
}

/* Ids and names end up in CSV cells and file names. */
static bool conv_id(struct ctx *c, const struct node *v, const char *path, const char **out)
{
    if (!expect_kind(c, v, path, N_SCALAR, "an id"))
        return false;
    bool good = *v->str && v->str[0] != '.' && v->str[0] != '-';
    for (const char *p = v->str; good && *p; p++)
        good = is_id_char(*p);
    if (!good) {
        char buf[96];
        report(c, v->pos, path,
               "expected an id (letters, digits, '-', '_', '.'; not starting with '.' or '-'), found %s",
               describe(v, buf, sizeof buf));
        return false;
    }
    *out = v->str;
    return true;
}

static bool parse_long_text(const char *s, long *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (!*p)
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    char *end;
    long x = strtol(s, &end, 10);
    if (errno || *end)
        return false;
    *out = x;
    return true;
}

static bool conv_long(struct ctx *c, const struct node *v, const char *path, long lo, long hi,
                      long *out)
{
    char buf[96];
    long x;
    if (v->kind != N_SCALAR || !v->plain || !parse_long_text(v->str, &x)) {
        report(c, v->pos, path, "expected an integer, found %s", describe(v, buf, sizeof buf));
        return false;
    }
    if (x < lo || x > hi) {
        if (hi == LONG_MAX)
            report(c, v->pos, path, "expected an integer >= %ld, found %ld", lo, x);
        else
            report(c, v->pos, path, "expected an integer from %ld to %ld, found %ld", lo, hi, x);
        return false;
    }
    *out = x;
    return true;
}

static bool conv_u64(struct ctx *c, const struct node *v, const char *path, uint64_t *out)
{
    char buf[96];
    bool good = v->kind == N_SCALAR && v->plain && v->str[0] >= '0' && v->str[0] <= '9';
    for (const char *p = good ? v->str : ""; *p; p++)
        good = good && *p >= '0' && *p <= '9';
    unsigned long long x = 0;
    if (good) {
        errno = 0;
        x = strtoull(v->str, NULL, 10);
        good = errno == 0;
    }
    if (!good) {
        report(c, v->pos, path, "expected an integer from 0 to 18446744073709551615, found %s",
               describe(v, buf, sizeof buf));
        return false;
    }
    *out = x;
    return true;
}

static bool conv_double(struct ctx *c, const struct node *v, const char *path, double *out)
{
    char buf[96];
    bool good = v->kind == N_SCALAR && v->plain && *v->str;
    double x = 0;
    for (const char *p = good ? v->str : ""; *p; p++) /* no hex, inf, nan */
        good = good && strchr("0123456789+-.eE", *p);
    if (good) {
        char *end;
        errno = 0;
        x = strtod(v->str, &end);
        good = !*end && errno == 0 && isfinite(x);
    }
    if (!good) {
        report(c, v->pos, path, "expected a number, found %s", describe(v, buf, sizeof buf));
        return false;
    }
    *out = x;
    return true;
}

static bool conv_bool(struct ctx *c, const struct node *v, const char *path, bool *out)
{
    if (v->kind == N_SCALAR && v->plain && (!strcmp(v->str, "true") || !strcmp(v->str, "false"))) {
        *out = v->str[0] == 't';
        return true;
    }
    char buf[96];
    report(c, v->pos, path, "expected true or false, found %s", describe(v, buf, sizeof buf));
    return false;
}

static bool conv_enum(struct ctx *c, const struct node *v, const char *path,
                      const char *const *names, int *out)
{
    char buf[96], hint[128], list[512];
    if (v->kind == N_SCALAR) {
        for (int i = 0; names[i]; i++) {
            if (!strcmp(v->str, names[i])) {
                *out = i;
                return true;
            }
        }
    }
    join_names(names, list_len(names), list, sizeof list);
    hint[0] = '\0';
    if (v->kind == N_SCALAR)
        suggest(v->str, names, list_len(names), sizeof *names, hint, sizeof hint);
    report(c, v->pos, path, "expected one of %s; found %s%s", list, describe(v, buf, sizeof buf), hint);
    return false;
}

/* A list of strings (a single string is not accepted: say what is expected). */
static bool conv_strlist(struct ctx *c, const struct node *v, const char *path, bool allow_empty,
                         struct bb_strlist *out)
{
    if (!expect_kind(c, v, path, N_SEQ, "a list of strings"))
        return false;
    if (!v->n && !allow_empty) {
        report(c, v->pos, path, "expected a non-empty list, found an empty one");
        return false;
    }
    out->v = c_array(c, v->n, sizeof *out->v);
    out->pos = c_array(c, v->n, sizeof *out->pos);
    if (!out->v || !out->pos)
        return false;
    bool good = true;
    for (size_t i = 0; i < v->n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if (conv_str(c, v->items[i], p, &out->v[out->n])) {
            if (!*out->v[out->n]) {
                report(c, v->items[i]->pos, p, "expected a non-empty string, found ''");
                good = false;
                continue;
            }
            out->pos[out->n++] = v->items[i]->pos;
        } else {
            good = false;
        }
    }
    return good;
}

static bool conv_longlist(struct ctx *c, const struct node *v, const char *path, long lo, long hi,
                          size_t *n, long **out)
{
    if (!expect_kind(c, v, path, N_SEQ, "a list of integers"))
        return false;
    if (!v->n) {
        report(c, v->pos, path, "expected a non-empty list, found an empty one");
        return false;
    }
    *out = c_array(c, v->n, sizeof **out);
    if (!*out)
        return false;
    bool good = true;
    for (size_t i = 0; i < v->n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        good &= conv_long(c, v->items[i], p, lo, hi, &(*out)[i]);
    }
    *n = v->n;
    return good;
}

/* ---- field access: look key up in map m, convert when present ----------------- */

struct field {
    struct ctx *c;
    const struct node *m;
    const char *path;         /* path of m */
};

/* Value of key, or NULL (reported when required). Writes its path to p. */
static const struct node *fget(const struct field *f, const char *key, bool required, char *p,
                               size_t size)
{
    join_path(p, size, f->path, key);
    const struct node *v = map_get(f->m, key);
    if (!v && required)
        report_missing(f->c, f->m, f->path, key);
    return v;
}

static bool fstr(const struct field *f, const char *key, bool required, const char **out,
                 struct bb_suite_pos *pos)
{
    char p[512];
    const struct node *v = fget(f, key, required, p, sizeof p);
    if (!v || !conv_str(f->c, v, p, out))
        return false;
    if (required && !**out) {
        report(f->c, v->pos, p, "expected a non-empty string, found ''");
        return false;
    }
    if (pos)
        *pos = v->pos;
    return true;
}

static bool fid(const struct field *f, const char *key, const char **out)
{
    char p[512];
    const struct node *v = fget(f, key, true, p, sizeof p);
    return v && conv_id(f->c, v, p, out);
}

static bool flong(const struct field *f, const char *key, long lo, long hi, long *out)
{
    char p[512];
    const struct node *v = fget(f, key, false, p, sizeof p);
    return v && conv_long(f->c, v, p, lo, hi, out);
}

static bool fdouble(const struct field *f, const char *key, double *out)
{
    char p[512];
    const struct node *v = fget(f, key, false, p, sizeof p);
    return v && conv_double(f->c, v, p, out);
}

static bool fbool(const struct field *f, const char *key, bool *out)
{
    char p[512];
    const struct node *v = fget(f, key, false, p, sizeof p);
    return v && conv_bool(f->c, v, p, out);
}

/* out is an enum; returns whether the key was present and valid. */
static bool fenum(const struct field *f, const char *key, const char *const *names, bool required,
                  int *out)
{
    char p[512];
    const struct node *v = fget(f, key, required, p, sizeof p);
    return v && conv_enum(f->c, v, p, names, out);
}

static bool fstrlist(const struct field *f, const char *key, bool required, bool allow_empty,
                     struct bb_strlist *out)
{
    char p[512];
    const struct node *v = fget(f, key, required, p, sizeof p);
    return v && conv_strlist(f->c, v, p, allow_empty, out);
}

/* A map value of key (NULL when absent or not a map, reported). */
static const struct node *fmap(const struct field *f, const char *key, bool required, char *p,
                               size_t size)
{
    const struct node *v = fget(f, key, required, p, size);
    return v && expect_kind(f->c, v, p, N_MAP, "a map") ? v : NULL;
}

/* ---- references by id --------------------------------------------------------- */

/* Index of the item whose id (a const char * at offset off) is v's text, or -1
 * after reporting "unknown WHAT 'x' (did you mean 'y'?)". */
static long resolve(struct ctx *c, const struct node *v, const char *path, const char *what,
                    const void *base, size_t n, size_t stride, size_t off)
{
    const char *name;
    if (!conv_str(c, v, path, &name))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *id = *(const char *const *)((const char *)base + i * stride + off);
        if (id && !strcmp(id, name))
            return (long)i;
    }
    char hint[256] = "";
    if (n)
        suggest(name, (const char *)base + off, n, stride, hint, sizeof hint);
    if (!hint[0]) {
        size_t used = (size_t)snprintf(hint, sizeof hint, " (defined: ");
        size_t shown = 0;
        for (size_t i = 0; i < n && used < sizeof hint - 8; i++) {
            const char *id = *(const char *const *)((const char *)base + i * stride + off);
            if (id)
                used += (size_t)snprintf(hint + used, sizeof hint - used, "%s%s", shown++ ? ", " : "", id);
        }
        if (shown && used < sizeof hint - 1)
            snprintf(hint + used, sizeof hint - used, ")");
        else if (!shown)
            snprintf(hint, sizeof hint, " (the suite defines no %ss)", what);
    }
    report(c, v->pos, path, "unknown %s '%s'%s", what, name, hint);
    return -1;
}

static const struct bb_suite_dataset *resolve_dataset(struct ctx *c, const struct node *v,
                                                      const char *path)
{
    long i = resolve(c, v, path, "dataset", c->s->datasets, c->s->n_datasets,
                     sizeof *c->s->datasets, offsetof(struct bb_suite_dataset, id));
    return i < 0 ? NULL : &c->s->datasets[i];
}

static const struct bb_suite_model *resolve_model(struct ctx *c, const struct node *v,
                                                  const char *path)
{
    long i = resolve(c, v, path, "model", c->s->models, c->s->n_models, sizeof *c->s->models,
                     offsetof(struct bb_suite_model, id));
    return i < 0 ? NULL : &c->s->models[i];
}

/* Report an id in items [0, i) equal to items[i]'s (same struct layout). */
static void check_dup_id(struct ctx *c, const void *base, size_t i, size_t stride, size_t id_off,
                         size_t pos_off, const char *path, const char *what)
{
    const char *id = *(const char *const *)((const char *)base + i * stride + id_off);
    const struct bb_suite_pos *pos = (const void *)((const char *)base + i * stride + pos_off);
    for (size_t j = 0; id && j < i; j++) {
        const char *other = *(const char *const *)((const char *)base + j * stride + id_off);
        const struct bb_suite_pos *opos = (const void *)((const char *)base + j * stride + pos_off);
        if (!other || strcmp(other, id))
            continue;
        char p[512];
        join_path(p, sizeof p, path, "id");
        if (opos->file == pos->file)
            report(c, *pos, p, "duplicate %s id '%s' (first defined at line %d)", what, id, opos->line);
        else
            report(c, *pos, p, "duplicate %s id '%s' (first defined at %s:%d)", what, id, opos->file,
                   opos->line);
        return;
    }
}

/* ---- metadata, defaults -------------------------------------------------------- */

static const char *const top_keys[] = {"suite", "version", "seed", "include", "metadata",
                                       "defaults", "models", "datasets", "tasks", "gates",
                                       "perturb", NULL};
static const char *const metadata_keys[] = {"description", "intended_use", "out_of_scope_use",
                                            "owner", "languages", "license", "contact", NULL};
static const char *const defaults_keys[] = {"batch_size", "limit", "backend", "device", "bootstrap",
                                            "permutations", "alpha", "correction", "cache_size",
                                            NULL};
static const char *const model_keys[] = {"id", "source", "precision", "max_seq_len", NULL};
static const char *const dataset_keys[] = {"id", "path", "format", "header", "delimiter",
                                           "columns", "on_bad_row", "extra_fields", "datasheet",
                                           NULL};
static const char *const datasheet_keys[] = {"source", "version", "license", "languages",
                                             "description", "known_issues", "citation", NULL};
static const char *const label_keys[] = {"value", "prompts", "verbalizer", NULL};
static const char *const score_keys[] = {"type", "labels", "positive_label", "prompts", "template",
                                         NULL};
static const char *const gate_keys[] = {"metric", "task", "model", "min", "max",
                                        "max_regression", "relative", "significant", NULL};

static void conv_metadata(struct ctx *c, const struct node *root)
{
    char p[512];
    const struct node *m = fmap(&(struct field){c, root, ""}, "metadata", false, p, sizeof p);
    if (!m)
        return;
    struct bb_suite_metadata *md = &c->s->metadata;
    struct field f = {c, m, "metadata"};
    check_keys(c, m, "metadata", metadata_keys, NULL, NULL);
    fstr(&f, "description", false, &md->description, NULL);
    fstr(&f, "intended_use", false, &md->intended_use, NULL);
    fstr(&f, "out_of_scope_use", false, &md->out_of_scope_use, NULL);
    fstr(&f, "owner", false, &md->owner, NULL);
    fstr(&f, "license", false, &md->license, NULL);
    fstr(&f, "contact", false, &md->contact, NULL);
    fstrlist(&f, "languages", false, true, &md->languages);
}

static void conv_defaults(struct ctx *c, const struct node *root)
{
    struct bb_suite_defaults *d = &c->s->defaults;
    *d = (struct bb_suite_defaults){.batch_size = 32, .limit = 0, .backend = BB_SUITE_BACKEND_OPENCL,
                                    .device = "auto", .bootstrap = 1000, .permutations = 100000,
                                    .alpha = 0.05, .correction = BB_SUITE_CORRECTION_HOLM};
    char p[512];
    const struct node *m = fmap(&(struct field){c, root, ""}, "defaults", false, p, sizeof p);
    if (!m)
        return;
    struct field f = {c, m, "defaults"};
    int e;
    check_keys(c, m, "defaults", defaults_keys, NULL, NULL);
    flong(&f, "batch_size", 1, BB_BATCH_SIZE_MAX, &d->batch_size);
    flong(&f, "limit", 0, LONG_MAX, &d->limit);
    if (fenum(&f, "backend", backend_names, false, &e))
        d->backend = (enum bb_suite_backend)e;
    if (fstr(&f, "device", false, &d->device, NULL) && !*d->device)
        report(c, map_get(m, "device")->pos, "defaults.device",
               "expected 'auto', a device number or a name, found ''");
    flong(&f, "bootstrap", 0, 10000000, &d->bootstrap);
    flong(&f, "permutations", 1, 1000000000, &d->permutations);
    double alpha;
    if (fdouble(&f, "alpha", &alpha)) {
        if (alpha > 0 && alpha < 1)
            d->alpha = alpha;
        else
            report(c, map_get(m, "alpha")->pos, "defaults.alpha",
                   "expected a number between 0 and 1 (exclusive), found %g", alpha);
    }
    if (fenum(&f, "correction", correction_names, false, &e))
        d->correction = (enum bb_suite_correction)e;
    const char *size;
    struct bb_error se = {0};
    if (fstr(&f, "cache_size", false, &size, NULL) &&
        bb_rescache_parse_size("defaults.cache_size", size, &d->cache_size, &se))
        report(c, map_get(m, "cache_size")->pos, "defaults.cache_size", "%s",
               strchr(se.msg, ':') ? strchr(se.msg, ':') + 2 : se.msg);
}

/* ---- models ------------------------------------------------------------------ */

static void conv_model(struct ctx *c, const struct node *m, const char *path, struct bb_suite_model *md)
{
    struct field f = {c, m, path};
    int e;
    md->pos = m->pos;
    check_keys(c, m, path, model_keys, NULL, NULL);
    fid(&f, "id", &md->id);
    fstr(&f, "source", true, &md->source, &md->source_pos);
    if (fenum(&f, "precision", precision_names, false, &e))
        md->precision = (enum bb_suite_precision)e;
    flong(&f, "max_seq_len", 0, 1 << 20, &md->max_seq_len);
}

/* The list under key (NULL when absent or not a list); items that are not
 * maps are reported here and skipped by the callers. */
static const struct node *item_list(struct ctx *c, const struct node *root, const char *key,
                                    bool required)
{
    char p[512];
    const struct node *v = fget(&(struct field){c, root, ""}, key, required, p, sizeof p);
    if (!v || !expect_kind(c, v, key, N_SEQ, "a list of maps"))
        return NULL;
    if (!v->n && required) {
        report(c, v->pos, key, "expected a non-empty list, found an empty one");
        return NULL;
    }
    for (size_t i = 0; i < v->n; i++) {
        snprintf(p, sizeof p, "%s[%zu]", key, i);
        expect_kind(c, v->items[i], p, N_MAP, "a map");
    }
    return v;
}

static void conv_models(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "models", true);
    if (!l || !(c->s->models = c_array(c, l->n, sizeof *c->s->models)))
        return;
    c->s->n_models = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "models[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_model(c, l->items[i], p, &c->s->models[i]);
        check_dup_id(c, c->s->models, i, sizeof *c->s->models, offsetof(struct bb_suite_model, id),
                     offsetof(struct bb_suite_model, pos), p, "model");
    }
}

/* ---- datasets ------------------------------------------------------------------ */

static bool is_tabular(enum bb_suite_format f)
{
    return f == BB_SUITE_CSV || f == BB_SUITE_TSV;
}

static bool format_from_path(const char *path, enum bb_suite_format *out)
{
    static const struct { const char *ext; enum bb_suite_format f; } map[] = {
        {".csv", BB_SUITE_CSV}, {".tsv", BB_SUITE_TSV}, {".jsonl", BB_SUITE_JSONL}, {".json", BB_SUITE_JSON}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof *map; i++) {
        if (!strcasecmp(dot, map[i].ext)) {
            *out = map[i].f;
            return true;
        }
    }
    return false;
}

static bool is_role_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!is_id_char(*s) || *s == '.')
            return false;
    return true;
}

static void conv_column(struct ctx *c, const struct bb_suite_dataset *ds, const struct node *key,
                        const struct node *v, const char *path, struct bb_suite_column *col)
{
    char buf[96];
    col->role = key->str;
    col->pos = v->pos;
    col->index = -1;
    if (!is_role_name(key->str))
        report(c, key->pos, path, "expected a role name (a letter or '_', then letters, digits, '_', '-'), found '%s'",
               key->str);
    if (v->kind != N_SCALAR || !*v->str) {
        report(c, v->pos, path, "expected a column name or a 0-based column number, found %s",
               describe(v, buf, sizeof buf));
        return;
    }
    long idx;
    if (v->plain && parse_long_text(v->str, &idx)) {
        if (!is_tabular(ds->format))
            report(c, v->pos, path, "%s datasets name their fields; found column number %s",
                   bb_suite_format_name(ds->format), v->str);
        else if (idx < 0 || idx > 100000)
            report(c, v->pos, path, "expected a column number from 0 to 100000, found %ld", idx);
        else
            col->index = idx;
        return;
    }
    col->name = v->str;
    if (is_tabular(ds->format) && !ds->header)
        report(c, v->pos, path, "column name '%s' needs header: true (or give a 0-based column number)",
               v->str);
}

static void conv_columns(struct ctx *c, const struct node *dm, const char *path,
                         struct bb_suite_dataset *ds)
{
    char p[512];
    const struct node *m = fmap(&(struct field){c, dm, path}, "columns", false, p, sizeof p);
    if (!m || !(ds->columns = c_array(c, m->n, sizeof *ds->columns)))
        return;
    check_dup_keys(c, m, p);
    ds->n_columns = m->n;
    for (size_t i = 0; i < m->n; i++) {
        char cp[600];
        join_path(cp, sizeof cp, p, m->keys[i]->str);
        conv_column(c, ds, m->keys[i], m->items[i], cp, &ds->columns[i]);
    }
}

static void conv_datasheet(struct ctx *c, const struct node *dm, const char *path,
                           struct bb_suite_datasheet *sh)
{
    char p[512];
    const struct node *m = fmap(&(struct field){c, dm, path}, "datasheet", false, p, sizeof p);
    if (!m)
        return;
    struct field f = {c, m, p};
    check_keys(c, m, p, datasheet_keys, NULL, NULL);
    fstr(&f, "source", false, &sh->source, NULL);
    fstr(&f, "version", false, &sh->version, NULL);
    fstr(&f, "license", false, &sh->license, NULL);
    fstr(&f, "description", false, &sh->description, NULL);
    fstr(&f, "known_issues", false, &sh->known_issues, NULL);
    fstr(&f, "citation", false, &sh->citation, NULL);
    fstrlist(&f, "languages", false, true, &sh->languages);
}

/* header and delimiter, which only csv and tsv have. */
static void conv_csv_options(struct ctx *c, const struct node *m, const char *path,
                             struct bb_suite_dataset *ds)
{
    struct field f = {c, m, path};
    char p[512];
    const char *delim;
    ds->delimiter = ds->format == BB_SUITE_CSV ? ',' : ds->format == BB_SUITE_TSV ? '\t' : 0;
    static const char *const tabular_keys[] = {"header", "delimiter", "extra_fields"};
    for (int i = 0; i < 3; i++) {
        const char *key = tabular_keys[i];
        const struct node *v = fget(&f, key, false, p, sizeof p);
        if (v && !is_tabular(ds->format))
            report(c, v->pos, p, "%s applies only to csv and tsv datasets (this one is %s)", key,
                   bb_suite_format_name(ds->format));
    }
    if (!is_tabular(ds->format))
        return;
    fbool(&f, "header", &ds->header);
    int e;
    if (fenum(&f, "extra_fields", extra_fields_names, false, &e))
        ds->drop_extra_fields = e == 1;
    if (fstr(&f, "delimiter", false, &delim, NULL)) {
        join_path(p, sizeof p, path, "delimiter");
        if (strlen(delim) != 1 || strchr("\"\r\n", delim[0]))
            report(c, map_get(m, "delimiter")->pos, p,
                   "expected one character (not a quote or newline), found '%s'", delim);
        else
            ds->delimiter = delim[0];
    }
}

static void conv_dataset(struct ctx *c, const struct node *m, const char *path,
                         struct bb_suite_dataset *ds)
{
    struct field f = {c, m, path};
    int e;
    char p[512];
    ds->pos = m->pos;
    check_keys(c, m, path, dataset_keys, NULL, NULL);
    fid(&f, "id", &ds->id);
    bool have_path = fstr(&f, "path", true, &ds->path, &ds->path_pos);
    if (fenum(&f, "format", format_names, false, &e)) {
        ds->format = (enum bb_suite_format)e;
    } else if (!map_get(m, "format") && have_path && !format_from_path(ds->path, &ds->format)) {
        join_path(p, sizeof p, path, "path");
        report(c, ds->path_pos, p,
               "cannot tell the format from the name '%s'; set format to one of csv, tsv, jsonl, json",
               ds->path);
    }
    conv_csv_options(c, m, path, ds);
    conv_columns(c, m, path, ds);
    if (fenum(&f, "on_bad_row", bad_row_names, false, &e))
        ds->on_bad_row = (enum bb_suite_on_bad_row)e;
    conv_datasheet(c, m, path, &ds->datasheet);
}

static void conv_datasets(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "datasets", false);
    if (!l || !(c->s->datasets = c_array(c, l->n, sizeof *c->s->datasets)))
        return;
    c->s->n_datasets = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "datasets[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_dataset(c, l->items[i], p, &c->s->datasets[i]);
        check_dup_id(c, c->s->datasets, i, sizeof *c->s->datasets,
                     offsetof(struct bb_suite_dataset, id), offsetof(struct bb_suite_dataset, pos), p,
                     "dataset");
    }
}

/* ---- tasks: shared parts ---------------------------------------------------------- */

static const char *const task_common_keys[] = {"id", "type", "models", NULL};
static const char *const task_type_keys[BB_SUITE_N_TASK_TYPES][9] = {
    [BB_TASK_SIMILARITY] = {"dataset", "limit", "batch_size", "score_range", NULL},
    [BB_TASK_ZERO_SHOT] = {"dataset", "limit", "batch_size", "labels", "positive_label", "template",
                           NULL},
    [BB_TASK_PAIRS] = {"dataset", "limit", "batch_size", "paired_dataset", "strip_markup",
                       "bias_type", NULL},
    [BB_TASK_STEREOSET] = {"dataset", "limit", "batch_size", "normalization", "average", NULL},
    [BB_TASK_BBQ] = {"datasets", "limit", "batch_size", "prompt", NULL},
    [BB_TASK_CHOICE] = {"dataset", "limit", "batch_size", "prompt", "continuation", "choices", NULL},
    [BB_TASK_PERPLEXITY] = {"dataset", "limit", "batch_size", "max_length", "stride", NULL},
    [BB_TASK_ASSOCIATION] = {"datasets", "batch_size", "permutations", NULL},
    [BB_TASK_COUNTERFACTUAL] = {"templates", "fillers", "factors", "score", "limit", "batch_size", NULL},
    [BB_TASK_LATENCY] = {"batch_sizes", "seq_lens", "warmup", "repetitions", NULL},
    [BB_TASK_RETRIEVAL] = {"dataset", "limit", "batch_size", "min_score", NULL},
    [BB_TASK_CLUSTERING] = {"dataset", "limit", "batch_size", "k", "restarts", "max_iter", NULL},
    [BB_TASK_LINEAR_PROBE] = {"dataset", "train_dataset", "limit", "batch_size", "experiments",
                              "samples_per_label", "c", "max_iter", NULL},
};

struct type_arg {
    int type;
    char buf[256];
};

static const char *task_key_elsewhere(const char *key, const void *arg)
{
    struct type_arg *ta = (struct type_arg *)arg;
    size_t used = 0;
    ta->buf[0] = '\0';
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++)
        if (in_list(task_type_keys[t], key))
            used += (size_t)snprintf(ta->buf + used, sizeof ta->buf - used, "%s%s",
                                     used ? ", " : "it belongs to tasks of type ", task_type_names[t]);
    if (!used)
        return NULL;
    snprintf(ta->buf + used, sizeof ta->buf - used, "; this task is %s", task_type_names[ta->type]);
    return ta->buf;
}

static void check_task_keys(struct ctx *c, const struct node *m, const char *path, int type)
{
    const char *valid[64];
    size_t n = 0;
    for (size_t i = 0; task_common_keys[i]; i++)
        valid[n++] = task_common_keys[i];
    valid[n] = NULL;
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++) {
        if (type >= 0 && t != type)
            continue;
        for (size_t i = 0; task_type_keys[t][i] && n < 63; i++) {
            if (!in_list(valid, task_type_keys[t][i])) {
                valid[n++] = task_type_keys[t][i];
                valid[n] = NULL;
            }
        }
    }
    struct type_arg ta = {.type = type};
    check_keys(c, m, path, valid, type >= 0 ? task_key_elsewhere : NULL, &ta);
}

static void conv_task_models(struct ctx *c, const struct node *m, const char *path,
                             struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = fget(&(struct field){c, m, path}, "models", false, p, sizeof p);
    if (!v) {
        t->n_models = c->s->n_models;
        t->models = c_array(c, t->n_models, sizeof *t->models);
        for (size_t i = 0; t->models && i < t->n_models; i++)
            t->models[i] = &c->s->models[i];
        return;
    }
    t->models_given = true;
    if (!expect_kind(c, v, p, N_SEQ, "a list of model ids"))
        return;
    if (!v->n) {
        report(c, v->pos, p, "expected a non-empty list of model ids (leave the key out for every model)");
        return;
    }
    if (!(t->models = c_array(c, v->n, sizeof *t->models)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        const struct bb_suite_model *md = resolve_model(c, v->items[i], ip);
        for (size_t j = 0; md && j < t->n_models; j++) {
            if (t->models[j] == md) {
                report(c, v->items[i]->pos, ip, "model '%s' is listed twice", md->id);
                md = NULL;
            }
        }
        if (md)
            t->models[t->n_models++] = md;
    }
}

/* A dataset reference that must be csv/tsv/jsonl and map every role in roles. */
static const struct bb_suite_dataset *task_dataset(struct ctx *c, const struct node *v,
                                                   const char *path, const char *task_type,
                                                   const char *const *roles)
{
    const struct bb_suite_dataset *ds = resolve_dataset(c, v, path);
    if (!ds)
        return NULL;
    if (ds->format == BB_SUITE_JSON) {
        report(c, v->pos, path, "dataset '%s' has format json, but %s reads csv, tsv or jsonl", ds->id,
               task_type);
        return NULL;
    }
    bool good = true;
    for (size_t i = 0; roles[i]; i++) {
        if (bb_suite_dataset_column(ds, roles[i]))
            continue;
        char need[256];
        join_names(roles, list_len(roles), need, sizeof need);
        report(c, v->pos, path, "dataset '%s' has no column for role '%s' (%s needs the roles %s)",
               ds->id, roles[i], task_type, need);
        good = false;
    }
    return good ? ds : NULL;
}

/* A language-model prompt template: must contain every {name} of need. */
static void conv_template(struct ctx *c, const struct field *f, const char *key, bool required,
                          const char *const *need, const char **out)
{
    char p[512];
    const struct node *v = fget(f, key, required, p, sizeof p);
    if (!v || !conv_str(c, v, p, out))
        return;
    for (size_t i = 0; need && need[i]; i++) {
        char ph[96];
        snprintf(ph, sizeof ph, "{%s}", need[i]);
        if (!strstr(*out, ph))
            report(c, v->pos, p, "template has no %s placeholder (where the %s goes)", ph, need[i]);
    }
}

/* With a template, every label needs a verbalizer. */
static void check_verbalizers(struct ctx *c, const char *path, const struct bb_suite_labels *L,
                              const char *template)
{
    for (size_t i = 0; template && i < L->n; i++) {
        if (L->v[i].verbalizer || !L->v[i].prompts.n)
            continue;
        char p[600];
        join_path(p, sizeof p, path, L->v[i].name);
        report(c, L->v[i].pos, p, "label '%s' has no verbalizer (the task has a template for "
               "language models)", L->v[i].name);
    }
}

/* labels: {name: {value: "1", prompts: [...]}, ...}, at least two. */
static void conv_labels(struct ctx *c, const struct node *v, const char *path,
                        struct bb_suite_labels *out)
{
    if (!expect_kind(c, v, path, N_MAP, "a map of labels (name: {value, prompts})"))
        return;
    check_dup_keys(c, v, path);
    if (v->n < 2)
        report(c, v->pos, path, "expected at least 2 labels, found %zu", v->n);
    if (!(out->v = c_array(c, v->n, sizeof *out->v)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        struct bb_suite_label *l = &out->v[out->n++];
        char p[600];
        join_path(p, sizeof p, path, v->keys[i]->str);
        l->name = v->keys[i]->str;
        l->value = l->name;
        l->pos = v->keys[i]->pos;
        if (!expect_kind(c, v->items[i], p, N_MAP, "a map with keys value, prompts"))
            continue;
        struct field f = {c, v->items[i], p};
        check_keys(c, v->items[i], p, label_keys, NULL, NULL);
        fstr(&f, "value", false, &l->value, NULL);
        fstr(&f, "verbalizer", false, &l->verbalizer, NULL);
        if (l->verbalizer && !l->verbalizer[0])
            report(c, l->pos, p, "verbalizer must not be empty (it is the continuation scored)");
        fstrlist(&f, "prompts", false, false, &l->prompts);
        if (!l->verbalizer && !l->prompts.n && !map_get(v->items[i], "prompts"))
            report(c, v->items[i]->pos, p, "label '%s' needs prompts (sentence encoders) or a "
                   "verbalizer (language models)", l->name);
        for (size_t j = 0; j + 1 < out->n; j++) {
            if (!strcmp(out->v[j].value, l->value)) {
                report(c, l->pos, p, "labels '%s' and '%s' have the same value '%s'",
                       out->v[j].name, l->name, l->value);
                break;
            }
        }
    }
}

/* ---- tasks: per type ---------------------------------------------------------------- */

static const char *const similarity_roles[] = {"s1", "s2", "score", NULL};
static const char *const zero_shot_roles[] = {"text", "label", NULL};
static const char *const template_roles[] = {"template", NULL};
static const char *const filler_roles[] = {"value", NULL};

static void conv_similarity(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a similarity task", similarity_roles);
    v = fget(f, "score_range", false, p, sizeof p);
    if (!v)
        return;
    struct bb_suite_similarity *s = &t->u.similarity;
    if (v->kind != N_SEQ || v->n != 2) {
        char buf[96];
        report(c, v->pos, p, "expected a list of two numbers [min, max], found %s",
               v->kind == N_SEQ ? "a list of another length" : describe(v, buf, sizeof buf));
        return;
    }
    char ip[600];
    snprintf(ip, sizeof ip, "%s[0]", p);
    bool good = conv_double(c, v->items[0], ip, &s->score_min);
    snprintf(ip, sizeof ip, "%s[1]", p);
    good &= conv_double(c, v->items[1], ip, &s->score_max);
    if (good && !(s->score_min < s->score_max))
        report(c, v->pos, p, "expected min < max, found [%g, %g]", s->score_min, s->score_max);
    s->has_score_range = good && s->score_min < s->score_max;
}

static void conv_zero_shot(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a zero-shot-classification task", zero_shot_roles);
    struct bb_suite_zero_shot *z = &t->u.zero_shot;
    const struct node *lv = fget(f, "labels", true, p, sizeof p);
    if (lv)
        conv_labels(c, lv, p, &z->labels);
    static const char *const need_text[] = {"text", NULL};
    conv_template(c, f, "template", false, need_text, &z->template);
    if (lv)
        check_verbalizers(c, p, &z->labels, z->template);
    v = fget(f, "positive_label", false, p, sizeof p);
    if (!v || !lv || lv->kind != N_MAP)
        return;
    long i = resolve(c, v, p, "label", z->labels.v, z->labels.n, sizeof *z->labels.v,
                     offsetof(struct bb_suite_label, name));
    z->has_positive_label = i >= 0;
    z->positive_label = i >= 0 ? (size_t)i : 0;
}

static void conv_association(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_association *a = &t->u.association;
    char p[512];
    a->permutations = c->s->defaults.permutations;
    flong(f, "permutations", 1, 1000000000, &a->permutations);
    const struct node *v = fget(f, "datasets", true, p, sizeof p);
    if (!v || !expect_kind(c, v, p, N_SEQ, "a list of dataset ids"))
        return;
    if (!v->n)
        report(c, v->pos, p, "expected a non-empty list of dataset ids, found an empty one");
    if (!(a->datasets = c_array(c, v->n, sizeof *a->datasets)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        const struct bb_suite_dataset *ds = resolve_dataset(c, v->items[i], ip);
        if (ds && ds->format != BB_SUITE_JSON)
            report(c, v->items[i]->pos, ip,
                   "dataset '%s' has format %s; association tests read WEAT/SEAT json files (format: json)",
                   ds->id, bb_suite_format_name(ds->format));
        else if (ds)
            a->datasets[a->n_datasets++] = ds;
    }
}

static void conv_fillers(struct ctx *c, const struct node *v, const char *p,
                         struct bb_suite_counterfactual *cf)
{
    if (!expect_kind(c, v, p, N_MAP, "a map of placeholder: dataset id"))
        return;
    check_dup_keys(c, v, p);
    if (!v->n)
        report(c, v->pos, p, "expected at least one placeholder: dataset id, found an empty map");
    if (!(cf->fillers = c_array(c, v->n, sizeof *cf->fillers)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        join_path(ip, sizeof ip, p, v->keys[i]->str);
        if (!is_role_name(v->keys[i]->str) || strchr(v->keys[i]->str, '-')) {
            report(c, v->keys[i]->pos, ip,
                   "expected a placeholder name (a letter or '_', then letters, digits, '_'), found '%s'",
                   v->keys[i]->str);
            continue;
        }
        const struct bb_suite_dataset *ds =
            task_dataset(c, v->items[i], ip, "a counterfactual filler dataset", filler_roles);
        if (ds)
            cf->fillers[cf->n_fillers++] =
                (struct bb_suite_filler){v->keys[i]->pos, v->keys[i]->str, ds};
    }
}

/* Every factor must be a column role of at least one filler dataset. */
static void check_factors(struct ctx *c, const char *path, struct bb_suite_counterfactual *cf)
{
    for (size_t i = 0; i < cf->factors.n; i++) {
        bool found = false;
        for (size_t j = 0; j < cf->n_fillers && !found; j++)
            found = bb_suite_dataset_column(cf->fillers[j].dataset, cf->factors.v[i]) != NULL;
        if (found || !cf->n_fillers)
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s.factors[%zu]", path, i);
        report(c, cf->factors.pos[i], p,
               "factor '%s' is not a column role of any filler dataset (give it in their columns)",
               cf->factors.v[i]);
    }
}

static void conv_score(struct ctx *c, const struct node *v, const char *p,
                       struct bb_suite_counterfactual *cf)
{
    if (!expect_kind(c, v, p, N_MAP, "a map with keys type, labels, positive_label or prompts"))
        return;
    struct field f = {c, v, p};
    int e = -1;
    check_keys(c, v, p, score_keys, NULL, NULL);
    if (!fenum(&f, "type", score_type_names, true, &e))
        return;
    cf->score_type = (enum bb_suite_score_type)e;
    char kp[600];
    const char *const wrong[2][2] = {{"prompts", NULL}, {"labels", "positive_label"}};
    for (int i = 0; i < 2; i++) {
        const struct node *w = wrong[e][i] ? fget(&f, wrong[e][i], false, kp, sizeof kp) : NULL;
        if (w)
            report(c, w->pos, kp, "applies only when score type is %s", score_type_names[!e]);
    }
    if (cf->score_type == BB_SCORE_SIMILARITY) {
        fstrlist(&f, "prompts", true, false, &cf->prompts);
        return;
    }
    const struct node *lv = fget(&f, "labels", true, kp, sizeof kp);
    if (lv)
        conv_labels(c, lv, kp, &cf->labels);
    static const char *const need_text[] = {"text", NULL};
    conv_template(c, &f, "template", false, need_text, &cf->template);
    if (lv)
        check_verbalizers(c, kp, &cf->labels, cf->template);
    const struct node *pv = fget(&f, "positive_label", true, kp, sizeof kp);
    const char *pos_name;
    if (!pv || !conv_str(c, pv, kp, &pos_name) || !lv || lv->kind != N_MAP)
        return;
    long i = resolve(c, pv, kp, "label", cf->labels.v, cf->labels.n, sizeof *cf->labels.v,
                     offsetof(struct bb_suite_label, name));
    if (i >= 0)
        cf->positive_label = (size_t)i;
}

static void conv_counterfactual(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_counterfactual *cf = &t->u.counterfactual;
    char p[512];
    const struct node *v = fget(f, "templates", true, p, sizeof p);
    if (v)
        cf->templates = task_dataset(c, v, p, "a counterfactual templates dataset", template_roles);
    v = fget(f, "fillers", true, p, sizeof p);
    if (v)
        conv_fillers(c, v, p, cf);
    if (fstrlist(f, "factors", true, false, &cf->factors))
        check_factors(c, f->path, cf);
    v = fget(f, "score", true, p, sizeof p);
    if (v)
        conv_score(c, v, p, cf);
}

static void conv_latency(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static long default_batches[] = {1, 8, 32}, default_lens[] = {16, 64, 128};
    struct bb_suite_latency *l = &t->u.latency;
    char p[512];
    l->warmup = 2;
    l->repetitions = 10;
    l->n_batch_sizes = 3;
    l->batch_sizes = default_batches;
    l->n_seq_lens = 3;
    l->seq_lens = default_lens;
    const struct node *v = fget(f, "batch_sizes", false, p, sizeof p);
    if (v && !conv_longlist(c, v, p, 1, BB_BATCH_SIZE_MAX, &l->n_batch_sizes, &l->batch_sizes))
        l->n_batch_sizes = 0;
    v = fget(f, "seq_lens", false, p, sizeof p);
    if (v && !conv_longlist(c, v, p, 1, 1 << 20, &l->n_seq_lens, &l->seq_lens))
        l->n_seq_lens = 0;
    flong(f, "warmup", 0, 1000000, &l->warmup);
    flong(f, "repetitions", 1, 1000000, &l->repetitions);
}

/* ---- tasks: likelihood tasks for language models ------------------------------------- */

static const char *const pairs_roles[] = {"more", "less", NULL};
static const char *const pairs_more_roles[] = {"more", NULL};
static const char *const pairs_less_roles[] = {"less", NULL};
static const char *const stereoset_roles[] = {"stereotype", "anti_stereotype", "unrelated", "domain",
                                              NULL};
static const char *const text_roles[] = {"text", NULL};
static const char *const label_roles[] = {"label", NULL};

static void conv_pairs(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_pairs *pr = &t->u.pairs;
    char p[512];
    const struct node *lv = fget(f, "paired_dataset", false, p, sizeof p);
    if (lv)
        pr->less_dataset = task_dataset(c, lv, p, "a pairs task's paired_dataset", pairs_less_roles);
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a pairs task",
                                  lv ? pairs_more_roles : pairs_roles);
    fbool(f, "strip_markup", &pr->strip_markup);
    fstr(f, "bias_type", false, &pr->bias_type, NULL);
}

static void conv_stereoset(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_stereoset *ss = &t->u.stereoset;
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a stereoset task", stereoset_roles);
    int e = 0;
    if (fenum(f, "normalization", normalization_names, false, &e))
        ss->sum = e == 1;
    e = 0;
    if (fenum(f, "average", average_names, false, &e))
        ss->macro = e == 1;
    if (ss->macro && t->dataset && !bb_suite_dataset_column(t->dataset, "target"))
        report(c, f->m->pos, f->path, "average: target needs a 'target' column role in dataset '%s'",
               t->dataset->id);
}

static void conv_bbq(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_bbq *b = &t->u.bbq;
    char p[512];
    static const char *const need[] = {"context", "question", NULL};
    conv_template(c, f, "prompt", false, need, &b->prompt);
    const struct node *v = fget(f, "datasets", true, p, sizeof p);
    if (!v || !expect_kind(c, v, p, N_SEQ, "a list of dataset ids"))
        return;
    if (!v->n)
        report(c, v->pos, p, "expected a non-empty list of dataset ids, found an empty one");
    if (!(b->datasets = c_array(c, v->n, sizeof *b->datasets)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        const struct bb_suite_dataset *ds = resolve_dataset(c, v->items[i], ip);
        if (ds && ds->format != BB_SUITE_JSONL)
            report(c, v->items[i]->pos, ip,
                   "dataset '%s' has format %s; bbq reads the BBQ JSON Lines files (format: jsonl)",
                   ds->id, bb_suite_format_name(ds->format));
        else if (ds)
            b->datasets[b->n_datasets++] = ds;
    }
}

/* The {name} placeholders of a template must be roles of ds (or "choice"). */
static void check_placeholders(struct ctx *c, const struct field *f, const char *key,
                               const char *tpl, const struct bb_suite_dataset *ds, bool allow_choice)
{
    char p[512];
    const struct node *v = fget(f, key, false, p, sizeof p);
    for (const char *q = tpl; v && q && (q = strchr(q, '{'));) {
        const char *e = strchr(q, '}');
        if (!e)
            break;
        char name[128];
        size_t len = (size_t)(e - q - 1);
        if (len < sizeof name) {
            memcpy(name, q + 1, len);
            name[len] = '\0';
            if (allow_choice && !strcmp(name, "choice")) {
            } else if (ds && !bb_suite_dataset_column(ds, name)) {
                report(c, v->pos, p, "placeholder {%s} is not a column role of dataset '%s'", name,
                       ds->id);
            }
        }
        q = e + 1;
    }
}

static void conv_choice(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_choice *mc = &t->u.choice;
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a multiple-choice task", label_roles);
    conv_template(c, f, "prompt", true, NULL, &mc->prompt);
    mc->continuation = " {choice}";
    static const char *const need_choice[] = {"choice", NULL};
    conv_template(c, f, "continuation", false, need_choice, &mc->continuation);
    fstrlist(f, "choices", false, false, &mc->choices);
    if (!t->dataset)
        return;
    check_placeholders(c, f, "prompt", mc->prompt, t->dataset, false);
    check_placeholders(c, f, "continuation", mc->continuation, t->dataset, true);
    if (!mc->choices.n && !bb_suite_dataset_column(t->dataset, "choices"))
        report(c, f->m->pos, f->path, "dataset '%s' has no column role 'choices' (a list) and the "
               "task names no choices columns", t->dataset->id);
    for (size_t i = 0; i < mc->choices.n; i++)
        if (!bb_suite_dataset_column(t->dataset, mc->choices.v[i])) {
            char ip[600];
            snprintf(ip, sizeof ip, "%s.choices[%zu]", f->path, i);
            report(c, mc->choices.pos[i], ip, "'%s' is not a column role of dataset '%s'",
                   mc->choices.v[i], t->dataset->id);
        }
}

static void conv_perplexity(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a perplexity task", text_roles);
    flong(f, "max_length", 2, 1 << 20, &t->u.perplexity.max_length);
    flong(f, "stride", 1, 1 << 20, &t->u.perplexity.stride);
}

static void conv_retrieval(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static const char *const roles[] = {"query", "document", NULL};
    struct bb_suite_retrieval *r = &t->u.retrieval;
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a retrieval task", roles);
    r->has_min_score = fdouble(f, "min_score", &r->min_score);
    if (r->has_min_score && t->dataset && !bb_suite_dataset_column(t->dataset, "score"))
        report(c, f->m->pos, f->path, "min_score needs a 'score' column role in dataset '%s'",
               t->dataset->id);
}

static void conv_clustering(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static const char *const roles[] = {"text", "label", NULL};
    struct bb_suite_clustering *cl = &t->u.clustering;
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a clustering task", roles);
    cl->restarts = 10;
    cl->max_iter = 300;
    flong(f, "k", 2, 1 << 20, &cl->k);
    flong(f, "restarts", 1, 1000, &cl->restarts);
    flong(f, "max_iter", 1, 100000, &cl->max_iter);
}

static void conv_linear_probe(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static const char *const roles[] = {"text", "label", NULL};
    struct bb_suite_linear_probe *lp = &t->u.linear_probe;
    char p[512];
    const struct node *v = fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a linear-probe task", roles);
    v = fget(f, "train_dataset", true, p, sizeof p);
    if (v)
        lp->train = task_dataset(c, v, p, "a linear-probe task", roles);
    lp->experiments = 10;
    lp->samples_per_label = 8;
    lp->c = 1.0;
    lp->max_iter = 100;
    flong(f, "experiments", 1, 1000, &lp->experiments);
    flong(f, "samples_per_label", 0, 1 << 30, &lp->samples_per_label);
    flong(f, "max_iter", 1, 100000, &lp->max_iter);
    if (fdouble(f, "c", &lp->c) && !(lp->c > 0)) {
        fget(f, "c", false, p, sizeof p);
        report(c, map_get(f->m, "c")->pos, p, "expected a number > 0, found %g", lp->c);
    }
}

static void conv_task(struct ctx *c, const struct node *m, const char *path, struct bb_suite_task *t)
{
    struct field f = {c, m, path};
    int type = -1;
    t->pos = m->pos;
    t->limit = c->s->defaults.limit;
    t->batch_size = c->s->defaults.batch_size;
    fid(&f, "id", &t->id);
    fenum(&f, "type", task_type_names, true, &type);
    check_task_keys(c, m, path, type);
    conv_task_models(c, m, path, t);
    if (type < 0)
        return;
    if (in_list(task_type_keys[type], "limit"))
        flong(&f, "limit", 0, LONG_MAX, &t->limit);
    if (in_list(task_type_keys[type], "batch_size"))
        flong(&f, "batch_size", 1, BB_BATCH_SIZE_MAX, &t->batch_size);
    t->type = (enum bb_suite_task_type)type;
    switch (t->type) {
    case BB_TASK_SIMILARITY: conv_similarity(c, &f, t); break;
    case BB_TASK_ZERO_SHOT: conv_zero_shot(c, &f, t); break;
    case BB_TASK_ASSOCIATION: conv_association(c, &f, t); break;
    case BB_TASK_COUNTERFACTUAL: conv_counterfactual(c, &f, t); break;
    case BB_TASK_LATENCY: conv_latency(c, &f, t); break;
    case BB_TASK_PAIRS: conv_pairs(c, &f, t); break;
    case BB_TASK_STEREOSET: conv_stereoset(c, &f, t); break;
    case BB_TASK_BBQ: conv_bbq(c, &f, t); break;
    case BB_TASK_CHOICE: conv_choice(c, &f, t); break;
    case BB_TASK_PERPLEXITY: conv_perplexity(c, &f, t); break;
    case BB_TASK_RETRIEVAL: conv_retrieval(c, &f, t); break;
    case BB_TASK_CLUSTERING: conv_clustering(c, &f, t); break;
    case BB_TASK_LINEAR_PROBE: conv_linear_probe(c, &f, t); break;
    }
}

static void conv_tasks(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "tasks", true);
    if (!l || !(c->s->tasks = c_array(c, l->n, sizeof *c->s->tasks)))
        return;
    c->s->n_tasks = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "tasks[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_task(c, l->items[i], p, &c->s->tasks[i]);
        check_dup_id(c, c->s->tasks, i, sizeof *c->s->tasks, offsetof(struct bb_suite_task, id),
                     offsetof(struct bb_suite_task, pos), p, "task");
    }
}

/* ---- gates ------------------------------------------------------------------------ */

static void conv_gate(struct ctx *c, const struct node *m, const char *path, struct bb_suite_gate *g)
{
    struct field f = {c, m, path};
    char p[512];
    g->pos = m->pos;
    check_keys(c, m, path, gate_keys, NULL, NULL);
    fstr(&f, "metric", true, &g->metric, NULL);
    const struct node *v = fget(&f, "task", false, p, sizeof p);
    if (v) {
        long i = resolve(c, v, p, "task", c->s->tasks, c->s->n_tasks, sizeof *c->s->tasks,
                         offsetof(struct bb_suite_task, id));
        g->task = i < 0 ? NULL : &c->s->tasks[i];
    }
    if ((v = fget(&f, "model", false, p, sizeof p)))
        g->model = resolve_model(c, v, p);
    g->has_min = fdouble(&f, "min", &g->min);
    g->has_max = fdouble(&f, "max", &g->max);
    g->has_max_regression = fdouble(&f, "max_regression", &g->max_regression);
    join_path(p, sizeof p, path, "max_regression");
    fbool(&f, "relative", &g->relative);
    fbool(&f, "significant", &g->significant);
    if (g->has_max_regression && g->max_regression < 0)
        report(c, map_get(m, "max_regression")->pos, p, "expected a number >= 0, found %g",
               g->max_regression);
    if (g->has_min && g->has_max && g->min > g->max)
        report(c, m->pos, path, "min (%g) is greater than max (%g)", g->min, g->max);
    if (!map_get(m, "min") && !map_get(m, "max") && !map_get(m, "max_regression"))
        report(c, m->pos, path, "a gate needs at least one of min, max, max_regression");
    if ((map_get(m, "relative") || map_get(m, "significant")) && !map_get(m, "max_regression"))
        report(c, m->pos, path, "relative and significant apply only with max_regression");
}

static void conv_gates(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "gates", false);
    if (!l || !(c->s->gates = c_array(c, l->n, sizeof *c->s->gates)))
        return;
    c->s->n_gates = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "gates[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_gate(c, l->items[i], p, &c->s->gates[i]);
    }
}

/* ---- perturb (robustness; kinds and task types: suite/perturb.h) ----------------- */

static const char *const perturb_keys[] = {"seed", "tasks", "perturbations", NULL};
static const char *const perturbation_keys[] = {"id", "kind", "rate", "lists", "swap_on", NULL};

static void conv_perturbation(struct ctx *c, const struct node *m, const char *path,
                              struct bb_suite_perturbation *pt)
{
    struct field f = {c, m, path};
    char p[512];
    pt->pos = m->pos, pt->rate = 0.1, pt->swap_on = "gender";
    check_keys(c, m, path, perturbation_keys, NULL, NULL);
    if (!fenum(&f, "kind", bb_perturb_kind_names, true, &pt->kind))
        pt->kind = -1;
    pt->id = pt->kind >= 0 ? bb_perturb_kind_names[pt->kind] : "";
    const struct node *v = fget(&f, "id", false, p, sizeof p);
    if (v)
        conv_id(c, v, p, &pt->id);
    v = fget(&f, "rate", false, p, sizeof p);
    if (v && conv_double(c, v, p, &pt->rate) && !(pt->rate >= 0 && pt->rate <= 1))
        report(c, v->pos, p, "expected a rate from 0 to 1, found %g", pt->rate);
    fstr(&f, "swap_on", false, &pt->swap_on, NULL);
    v = fget(&f, "lists", pt->kind == BB_PERTURB_NAMES, p, sizeof p);
    if (v && pt->kind >= 0 && pt->kind != BB_PERTURB_NAMES)
        report(c, v->pos, p, "key 'lists' applies to kind names only");
    else if (v && expect_kind(c, v, p, N_SEQ, "a list of dataset ids") && !v->n)
        report(c, v->pos, p, "expected at least one filler list, found an empty list");
    else if (v && v->kind == N_SEQ && (pt->lists = c_array(c, v->n, sizeof *pt->lists))) {
        pt->n_lists = v->n;
        for (size_t i = 0; i < v->n; i++) {
            char ip[600];
            snprintf(ip, sizeof ip, "%s[%zu]", p, i);
            pt->lists[i] = resolve_dataset(c, v->items[i], ip);
        }
    }
}

static void conv_perturb_tasks(struct ctx *c, const struct node *v, const char *p)
{
    struct bb_suite_perturb *pb = &c->s->perturb;
    pb->tasks_given = true;
    if (!expect_kind(c, v, p, N_SEQ, "a list of task ids") ||
        !(pb->tasks = c_array(c, v->n ? v->n : 1, sizeof *pb->tasks)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        long k = resolve(c, v->items[i], ip, "task", c->s->tasks, c->s->n_tasks,
                         sizeof *c->s->tasks, offsetof(struct bb_suite_task, id));
        if (k < 0)
            continue;
        const struct bb_suite_task *t = &c->s->tasks[k];
        if (!bb_perturb_text_roles((int)t->type))
            report(c, v->items[i]->pos, ip, "task '%s' is a %s task; perturb applies to %s",
                   t->id, bb_suite_task_type_name(t->type), bb_perturb_task_types());
        else
            pb->tasks[pb->n_tasks++] = t;
    }
}

static void conv_perturb(struct ctx *c, const struct node *root)
{
    struct bb_suite_perturb *pb = &c->s->perturb;
    char p[512];
    const struct node *m = fmap(&(struct field){c, root, ""}, "perturb", false, p, sizeof p);
    if (!m)
        return;
    struct field f = {c, m, "perturb"};
    check_keys(c, m, "perturb", perturb_keys, NULL, NULL);
    const struct node *v = fget(&f, "seed", false, p, sizeof p);
    if (v)
        pb->has_seed = conv_u64(c, v, p, &pb->seed);
    if ((v = fget(&f, "tasks", false, p, sizeof p)))
        conv_perturb_tasks(c, v, p);
    const struct node *l = fget(&f, "perturbations", true, p, sizeof p);
    if (!l || !expect_kind(c, l, p, N_SEQ, "a list of maps"))
        return;
    if (!l->n)
        report(c, l->pos, p, "expected a non-empty list, found an empty one");
    if (!(pb->v = c_array(c, l->n ? l->n : 1, sizeof *pb->v)))
        return;
    pb->n = l->n;
    for (size_t i = 0; i < l->n; i++) {
        snprintf(p, sizeof p, "perturb.perturbations[%zu]", i);
        if (expect_kind(c, l->items[i], p, N_MAP, "a map"))
            conv_perturbation(c, l->items[i], p, &pb->v[i]);
        for (size_t j = 0; j < i; j++)
            if (pb->v[i].id && pb->v[j].id && *pb->v[i].id && !strcmp(pb->v[i].id, pb->v[j].id))
                report(c, l->items[i]->pos, p, "perturbation id '%s' is used twice (give 'id:')",
                       pb->v[i].id);
    }
}

/* ---- the top level -------------------------------------------------------------- */

static void conv_suite(struct ctx *c, const struct node *root)
{
    struct bb_suite *s = c->s;
    struct field f = {c, root, ""};
    check_keys(c, root, "", top_keys, NULL, NULL);
    fid(&f, "suite", &s->name);
    const struct node *v = map_get(root, "version");
    long version;
    if (!v)
        report_missing(c, root, "", "version");
    else if (conv_long(c, v, "version", 0, LONG_MAX, &version) && version != BB_SUITE_FORMAT_VERSION)
        report(c, v->pos, "version", "unsupported format version %ld (this biasbench reads version %d)",
               version, BB_SUITE_FORMAT_VERSION);
    s->version = BB_SUITE_FORMAT_VERSION;
    if ((v = map_get(root, "seed")))
        conv_u64(c, v, "seed", &s->seed);
    conv_metadata(c, root);
    conv_defaults(c, root);
    conv_models(c, root);
    conv_datasets(c, root);
    conv_tasks(c, root);
    conv_gates(c, root);
    conv_perturb(c, root);
}

static void record_files(struct ctx *c)
{
    c->s->files = c_array(c, c->n_files, sizeof *c->s->files);
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

static enum bb_status finish(struct ctx *c, const char *path, bool io_failed, struct bb_error *err)
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

enum bb_status bb_suite_load(const char *path, struct bb_suite **out,
                             struct bb_diagnostics *diag, struct bb_error *err)
{
    struct bb_diagnostics local = {0};
    struct ctx c = {.diag = diag ? diag : &local};
    enum bb_status st;
    c.n_before = c.diag->n;
    *out = NULL;
    c.a = calloc(1, sizeof *c.a);
    c.s = c.a ? c_alloc(&c, sizeof *c.s) : NULL;
    if (!c.s || !(c.s->path = c_strdup(&c, path))) {
        st = bb_fail(err, BB_E_NOMEM, "%s: out of memory", path);
        goto done;
    }
    c.s->arena = c.a;
    struct node *root = load_file(&c, c.s->path, NULL, "");
    if (root && c.diag->n == c.n_before && !c.oom)
        conv_suite(&c, root);
    record_files(&c);
    st = finish(&c, path, c.n_files == 0, err);
done:
    for (size_t i = 0; i < c.n_files; i++)
        free(c.files[i].real);
    bb_diagnostics_free(&local);
    if (st == BB_OK)
        *out = c.s;
    else
        arena_free(c.a);
    return st;
}

void bb_suite_free(struct bb_suite *s)
{
    if (s)
        arena_free(s->arena);
}

/* ---- lookups ---------------------------------------------------------------------- */

int bb_suite_pos_str(struct bb_suite_pos pos, char *buf, size_t size)
{
    if (pos.line > 0)
        return snprintf(buf, size, "%s:%d:%d", pos.file ? pos.file : "(suite)", pos.line, pos.col);
    return snprintf(buf, size, "%s", pos.file ? pos.file : "(suite)");
}

const struct bb_suite_model *bb_suite_find_model(const struct bb_suite *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->n_models; i++)
        if (!strcmp(s->models[i].id, id))
            return &s->models[i];
    return NULL;
}

const struct bb_suite_dataset *bb_suite_find_dataset(const struct bb_suite *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->n_datasets; i++)
        if (!strcmp(s->datasets[i].id, id))
            return &s->datasets[i];
    return NULL;
}

const struct bb_suite_task *bb_suite_find_task(const struct bb_suite *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->n_tasks; i++)
        if (!strcmp(s->tasks[i].id, id))
            return &s->tasks[i];
    return NULL;
}

const struct bb_suite_column *bb_suite_dataset_column(const struct bb_suite_dataset *ds,
                                                      const char *role)
{
    for (size_t i = 0; ds && role && i < ds->n_columns; i++)
        if (ds->columns[i].role && !strcmp(ds->columns[i].role, role))
            return &ds->columns[i];
    return NULL;
}
