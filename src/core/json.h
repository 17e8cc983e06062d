/* json.h: thin wrapper over jansson: load files/buffers with file:line:column
 * errors, and typed field getters whose errors name the file and the key. */
#ifndef BB_JSON_H
#define BB_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "status.h"

/* Parse a whole file. *out is a new reference the caller json_decref()s. */
enum bb_status bb_json_load_file(const char *path, json_t **out, struct bb_error *err);
/* Parse len bytes; `what` names the source in errors (e.g. "x.safetensors header"). */
enum bb_status bb_json_load_buf(const char *buf, size_t len, const char *what,
                                json_t **out, struct bb_error *err);

/* Typed getters. `what` names the file in errors. A missing key is an error
 * when required, else *out keeps its value (the default) and BB_OK is returned. */
enum bb_status bb_json_get_int(const json_t *obj, const char *key, const char *what,
                               bool required, long long *out, struct bb_error *err);
enum bb_status bb_json_get_real(const json_t *obj, const char *key, const char *what,
                                bool required, double *out, struct bb_error *err);
enum bb_status bb_json_get_bool(const json_t *obj, const char *key, const char *what,
                                bool required, bool *out, struct bb_error *err);
/* *out points into obj (valid while obj lives). */
enum bb_status bb_json_get_string(const json_t *obj, const char *key, const char *what,
                                  bool required, const char **out, struct bb_error *err);

#endif
