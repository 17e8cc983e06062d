/* suite_field.h: typed reads of a suite tree's scalars and of a map's fields
 * (suite_field.c), for suite.c's conversions and the task rows of
 * task_schema.c. Each function reports a bad value as a diagnostic on the
 * context (file:line:col, path, what was expected and found) and returns
 * false; the sf_f* field readers look a key up in a map first (reported when
 * required and absent). */
#ifndef BB_SUITE_FIELD_H
#define BB_SUITE_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "suite/suite.h"
#include "suite/suite_yaml.h"

/* A map being converted, with its path (for the messages). */
struct field {
    struct ctx *c;
    const struct node *m;
    const char *path; /* path of m */
};

/* ---- scalars (v != NULL) ---- */
/* A letter, digit, '-', '_' or '.': what ids and names are made of (CSV cells, file names). */
bool sf_is_id_char(char ch);
/* A whole decimal integer (optional sign, digits only, in range of long) into *out. */
bool sf_parse_long(const char *s, long *out);
bool sf_conv_str(struct ctx *c, const struct node *v, const char *path, const char **out);
bool sf_conv_id(struct ctx *c, const struct node *v, const char *path, const char **out);
bool sf_conv_long(struct ctx *c, const struct node *v, const char *path, long lo, long hi,
                  long *out);
bool sf_conv_u64(struct ctx *c, const struct node *v, const char *path, uint64_t *out);
bool sf_conv_double(struct ctx *c, const struct node *v, const char *path, double *out);
bool sf_conv_bool(struct ctx *c, const struct node *v, const char *path, bool *out);
bool sf_conv_enum(struct ctx *c, const struct node *v, const char *path, const char *const *names,
                  int *out);
bool sf_conv_strlist(struct ctx *c, const struct node *v, const char *path, bool allow_empty,
                     struct bb_strlist *out);
bool sf_conv_longlist(struct ctx *c, const struct node *v, const char *path, long lo, long hi,
                      size_t *n, long **out);

/* ---- fields of f->m: key looked up, converted when present ---- */
const struct node *sf_fget(const struct field *f, const char *key, bool required, char *p,
                           size_t size);
bool sf_fstr(const struct field *f, const char *key, bool required, const char **out,
             struct bb_suite_pos *pos);
bool sf_fid(const struct field *f, const char *key, const char **out);
bool sf_flong(const struct field *f, const char *key, long lo, long hi, long *out);
bool sf_fdouble(const struct field *f, const char *key, double *out);
bool sf_fbool(const struct field *f, const char *key, bool *out);
bool sf_fenum(const struct field *f, const char *key, const char *const *names, bool required,
              int *out);
bool sf_fstrlist(const struct field *f, const char *key, bool required, bool allow_empty,
                 struct bb_strlist *out);
const struct node *sf_fmap(const struct field *f, const char *key, bool required, char *p,
                           size_t size);

#endif
