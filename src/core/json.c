/* json.c: jansson loading and typed getters with errors naming file, key,
 * what was expected and what was found. */
#include "json.h"

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

enum bb_status bb_json_load_file(const char *path, json_t **out, struct bb_error *err)
{
    json_error_t je;
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (*out)
        return BB_OK;
    if (je.line <= 0 && je.position == 0)
        return bb_fail(err, BB_E_IO, "%s: %s", path, je.text);
    return bb_fail(err, BB_E_INPUT, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column,
                   je.text);
}

enum bb_status bb_json_load_buf(const char *buf, size_t len, const char *what,
                                json_t **out, struct bb_error *err)
{
    json_error_t je;
    *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (*out)
        return BB_OK;
    return bb_fail(err, BB_E_INPUT, "%s: not valid JSON at byte %d: %s", what, je.position,
                   je.text);
}

static enum bb_status lookup(const json_t *obj, const char *key, const char *what,
                             bool required, json_t **v, struct bb_error *err)
{
    *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!*v && required)
        return bb_fail(err, BB_E_INPUT, "%s: missing required field '%s'", what, key);
    return BB_OK;
}

enum bb_status bb_json_get_int(const json_t *obj, const char *key, const char *what,
                               bool required, long long *out, struct bb_error *err)
{
    json_t *v;
    enum bb_status st = lookup(obj, key, what, required, &v, err);
    if (st || !v)
        return st;
    if (!json_is_integer(v))
        return bb_fail(err, BB_E_INPUT, "%s: field '%s': expected an integer, found %s", what,
                       key, type_name(v));
    *out = json_integer_value(v);
    return BB_OK;
}

enum bb_status bb_json_get_real(const json_t *obj, const char *key, const char *what,
                                bool required, double *out, struct bb_error *err)
{
    json_t *v;
    enum bb_status st = lookup(obj, key, what, required, &v, err);
    if (st || !v)
        return st;
    if (!json_is_number(v))
        return bb_fail(err, BB_E_INPUT, "%s: field '%s': expected a number, found %s", what,
                       key, type_name(v));
    *out = json_number_value(v);
    return BB_OK;
}

enum bb_status bb_json_get_bool(const json_t *obj, const char *key, const char *what,
                                bool required, bool *out, struct bb_error *err)
{
    json_t *v;
    enum bb_status st = lookup(obj, key, what, required, &v, err);
    if (st || !v || json_is_null(v))
        return st;
    if (!json_is_boolean(v))
        return bb_fail(err, BB_E_INPUT, "%s: field '%s': expected a boolean, found %s", what,
                       key, type_name(v));
    *out = json_is_true(v);
    return BB_OK;
}

enum bb_status bb_json_get_string(const json_t *obj, const char *key, const char *what,
                                  bool required, const char **out, struct bb_error *err)
{
    json_t *v;
    enum bb_status st = lookup(obj, key, what, required, &v, err);
    if (st || !v)
        return st;
    if (!json_is_string(v))
        return bb_fail(err, BB_E_INPUT, "%s: field '%s': expected a string, found %s", what,
                       key, type_name(v));
    *out = json_string_value(v);
    return BB_OK;
}
