/* suite_field.c: typed reads of the suite tree's scalars (strings, ids,
 * integers, numbers, booleans, enums, lists) and of a map's fields, each bad
 * value reported with its position and path (suite_field.h). */
#include "suite/suite_field.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- scalar conversions (v != NULL; report and return false when bad) -------- */

bool sf_conv_str(struct ctx *c, const struct node *v, const char *path, const char **out)
{
    if (!sy_expect_kind(c, v, path, N_SCALAR, "a string"))
        return false;
    *out = v->str;
    return true;
}

bool sf_is_id_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
}

/* Ids and names end up in CSV cells and file names. */
bool sf_conv_id(struct ctx *c, const struct node *v, const char *path, const char **out)
{
    if (!sy_expect_kind(c, v, path, N_SCALAR, "an id"))
        return false;
    bool good = *v->str && v->str[0] != '.' && v->str[0] != '-';
    for (const char *p = v->str; good && *p; p++)
        good = sf_is_id_char(*p);
    if (!good) {
        char buf[96];
        sy_report(c, v->pos, path,
                  "expected an id (letters, digits, '-', '_', '.'; not starting with '.' or '-'), "
                  "found %s",
                  sy_describe(v, buf, sizeof buf));
        return false;
    }
    *out = v->str;
    return true;
}

bool sf_parse_long(const char *s, long *out)
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

bool sf_conv_long(struct ctx *c, const struct node *v, const char *path, long lo, long hi,
                  long *out)
{
    char buf[96];
    long x;
    if (v->kind != N_SCALAR || !v->plain || !sf_parse_long(v->str, &x)) {
        sy_report(c, v->pos, path, "expected an integer, found %s",
                  sy_describe(v, buf, sizeof buf));
        return false;
    }
    if (x < lo || x > hi) {
        if (hi == LONG_MAX)
            sy_report(c, v->pos, path, "expected an integer >= %ld, found %ld", lo, x);
        else
            sy_report(c, v->pos, path, "expected an integer from %ld to %ld, found %ld", lo, hi, x);
        return false;
    }
    *out = x;
    return true;
}

bool sf_conv_u64(struct ctx *c, const struct node *v, const char *path, uint64_t *out)
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
        sy_report(c, v->pos, path, "expected an integer from 0 to 18446744073709551615, found %s",
                  sy_describe(v, buf, sizeof buf));
        return false;
    }
    *out = x;
    return true;
}

bool sf_conv_double(struct ctx *c, const struct node *v, const char *path, double *out)
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
        sy_report(c, v->pos, path, "expected a number, found %s", sy_describe(v, buf, sizeof buf));
        return false;
    }
    *out = x;
    return true;
}

bool sf_conv_bool(struct ctx *c, const struct node *v, const char *path, bool *out)
{
    if (v->kind == N_SCALAR && v->plain && (!strcmp(v->str, "true") || !strcmp(v->str, "false"))) {
        *out = v->str[0] == 't';
        return true;
    }
    char buf[96];
    sy_report(c, v->pos, path, "expected true or false, found %s", sy_describe(v, buf, sizeof buf));
    return false;
}

bool sf_conv_enum(struct ctx *c, const struct node *v, const char *path, const char *const *names,
                  int *out)
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
    sy_join_names(names, sy_list_len(names), list, sizeof list);
    hint[0] = '\0';
    if (v->kind == N_SCALAR)
        sy_suggest(v->str, names, sy_list_len(names), sizeof *names, hint, sizeof hint);
    sy_report(c, v->pos, path, "expected one of %s; found %s%s", list,
              sy_describe(v, buf, sizeof buf), hint);
    return false;
}

/* A list of strings (a single string is not accepted: say what is expected). */
bool sf_conv_strlist(struct ctx *c, const struct node *v, const char *path, bool allow_empty,
                     struct bb_strlist *out)
{
    if (!sy_expect_kind(c, v, path, N_SEQ, "a list of strings"))
        return false;
    if (!v->n && !allow_empty) {
        sy_report(c, v->pos, path, "expected a non-empty list, found an empty one");
        return false;
    }
    out->v = sy_c_array(c, v->n, sizeof *out->v);
    out->pos = sy_c_array(c, v->n, sizeof *out->pos);
    if (!out->v || !out->pos)
        return false;
    bool good = true;
    for (size_t i = 0; i < v->n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if (sf_conv_str(c, v->items[i], p, &out->v[out->n])) {
            if (!*out->v[out->n]) {
                sy_report(c, v->items[i]->pos, p, "expected a non-empty string, found ''");
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

bool sf_conv_longlist(struct ctx *c, const struct node *v, const char *path, long lo, long hi,
                      size_t *n, long **out)
{
    if (!sy_expect_kind(c, v, path, N_SEQ, "a list of integers"))
        return false;
    if (!v->n) {
        sy_report(c, v->pos, path, "expected a non-empty list, found an empty one");
        return false;
    }
    *out = sy_c_array(c, v->n, sizeof **out);
    if (!*out)
        return false;
    bool good = true;
    for (size_t i = 0; i < v->n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        good &= sf_conv_long(c, v->items[i], p, lo, hi, &(*out)[i]);
    }
    *n = v->n;
    return good;
}

/* ---- field access: look key up in map m, convert when present ----------------- */

/* Value of key, or NULL (reported when required). Writes its path to p. */
const struct node *sf_fget(const struct field *f, const char *key, bool required, char *p,
                           size_t size)
{
    sy_join_path(p, size, f->path, key);
    const struct node *v = sy_map_get(f->m, key);
    if (!v && required)
        sy_report_missing(f->c, f->m, f->path, key);
    return v;
}

bool sf_fstr(const struct field *f, const char *key, bool required, const char **out,
             struct bb_suite_pos *pos)
{
    char p[512];
    const struct node *v = sf_fget(f, key, required, p, sizeof p);
    if (!v || !sf_conv_str(f->c, v, p, out))
        return false;
    if (required && !**out) {
        sy_report(f->c, v->pos, p, "expected a non-empty string, found ''");
        return false;
    }
    if (pos)
        *pos = v->pos;
    return true;
}

bool sf_fid(const struct field *f, const char *key, const char **out)
{
    char p[512];
    const struct node *v = sf_fget(f, key, true, p, sizeof p);
    return v && sf_conv_id(f->c, v, p, out);
}

bool sf_flong(const struct field *f, const char *key, long lo, long hi, long *out)
{
    char p[512];
    const struct node *v = sf_fget(f, key, false, p, sizeof p);
    return v && sf_conv_long(f->c, v, p, lo, hi, out);
}

bool sf_fdouble(const struct field *f, const char *key, double *out)
{
    char p[512];
    const struct node *v = sf_fget(f, key, false, p, sizeof p);
    return v && sf_conv_double(f->c, v, p, out);
}

bool sf_fbool(const struct field *f, const char *key, bool *out)
{
    char p[512];
    const struct node *v = sf_fget(f, key, false, p, sizeof p);
    return v && sf_conv_bool(f->c, v, p, out);
}

/* out is an enum; returns whether the key was present and valid. */
bool sf_fenum(const struct field *f, const char *key, const char *const *names, bool required,
              int *out)
{
    char p[512];
    const struct node *v = sf_fget(f, key, required, p, sizeof p);
    return v && sf_conv_enum(f->c, v, p, names, out);
}

bool sf_fstrlist(const struct field *f, const char *key, bool required, bool allow_empty,
                 struct bb_strlist *out)
{
    char p[512];
    const struct node *v = sf_fget(f, key, required, p, sizeof p);
    return v && sf_conv_strlist(f->c, v, p, allow_empty, out);
}

/* A map value of key (NULL when absent or not a map, reported). */
const struct node *sf_fmap(const struct field *f, const char *key, bool required, char *p,
                           size_t size)
{
    const struct node *v = sf_fget(f, key, required, p, size);
    return v && sy_expect_kind(f->c, v, p, N_MAP, "a map") ? v : NULL;
}
