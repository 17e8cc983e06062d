/* suite_yaml.h: private to src/suite/ (suite.c, the typed schema, and
 * suite_yaml.c, the YAML side): the node tree with positions, the loading
 * context, and the helpers the schema uses to read the tree and report
 * problems. Names carry the prefix sy_ ("suite YAML"). */
#ifndef BB_SUITE_YAML_H
#define BB_SUITE_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "suite/suite.h"

#define MAX_INCLUDE_DEPTH 16
#define MAX_FILES 256

struct arena; /* every allocation of a suite */

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

/* ---- the arena (freed with the suite) ---- */
struct arena *sy_arena_new(void);
void sy_arena_free(struct arena *a);
/* Zeroed memory in c's arena (NULL and c->oom set when out of memory). */
void *sy_c_alloc(struct ctx *c, size_t size);
void *sy_c_array(struct ctx *c, size_t n, size_t size);
char *sy_c_strdup(struct ctx *c, const char *s);

/* ---- diagnostics ---- */
/* Add "file:line:col: path: message" to c's diagnostics. */
void sy_report(struct ctx *c, struct bb_suite_pos pos, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sy_report_missing(struct ctx *c, const struct node *m, const char *path, const char *key);
/* " (did you mean 'x'?)" for the nearest of n candidates *(const char **)(base + i*stride)
 * within edit distance 2, else "". */
void sy_suggest(const char *word, const void *base, size_t n, size_t stride, char *out,
                size_t size);
size_t sy_list_len(const char *const *list);                               /* NULL-terminated */
void sy_join_names(const char *const *names, size_t n, char *out, size_t size); /* "a, b, c" */
bool sy_in_list(const char *const *list, const char *key);
/* Put the files read into c->s->files; order the diagnostics; the status of the load. */
void sy_record_files(struct ctx *c);
enum bb_status sy_finish(struct ctx *c, const char *path, bool io_failed, struct bb_error *err);

/* ---- the tree ---- */
/* Read file `name` (included from `from` at path, or NULL for the top file) and its
   includes, merged; NULL when it could not be read (reported). */
struct node *sy_load_file(struct ctx *c, const char *name, const struct node *from,
                          const char *path);
struct node *sy_map_get(const struct node *m, const char *key); /* NULL when absent */
/* "a list", "'text'", ... for messages (buf for scalars). */
const char *sy_describe(const struct node *n, char *buf, size_t size);
void sy_join_path(char *out, size_t size, const char *path, const char *key); /* path.key */
/* Report unknown and duplicate keys of map m. valid: NULL-terminated;
 * misplaced(key) may name where a key that is not valid here belongs. */
void sy_check_keys(struct ctx *c, const struct node *m, const char *path,
                   const char *const *valid,
                   const char *(*misplaced)(const char *key, const void *arg), const void *arg);
void sy_check_dup_keys(struct ctx *c, const struct node *m, const char *path);
/* v is of kind `kind`, else reported as "expected WHAT, found ...". */
bool sy_expect_kind(struct ctx *c, const struct node *v, const char *path, enum nkind kind,
                    const char *what);

#endif
