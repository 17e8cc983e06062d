/* paths.h: where models, datasets, suites and caches are found (DESIGN.md's
 * search order), so every command resolves names the same way. */
#ifndef BB_PATHS_H
#define BB_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#define BB_DEFAULT_MODEL "all-MiniLM-L6-v2"

/* $BIASBENCH_CACHE, else $XDG_CACHE_HOME/biasbench, else $HOME/.cache/biasbench. */
void bb_paths_cache_dir(char *out, size_t n);

/* Resolve a model given as a path (file or folder that exists), or a name / a
 * Hugging Face id "org/name" looked up as <dir>/<name> and <dir>/<basename> in
 * $BIASBENCH_MODELS, then <cache>/models. Not found -> BB_E_IO naming every
 * place looked. */
enum bb_status bb_paths_find_model(const char *spec, char *out, size_t n, struct bb_error *err);

/* Resolve a dataset path. Absolute: must exist. Relative: first hit along
 * data_dir (may be NULL), $BIASBENCH_DATA, the installed and source-tree
 * datasets/, ../shared/datasets beside the source tree and the working
 * directory, then <cache>/datasets. */
enum bb_status bb_paths_find_data(const char *rel, const char *data_dir, char *out, size_t n,
                                  struct bb_error *err);
/* As bb_paths_find_data, but a relative path is first looked up next to the
 * file that names it (near_file: a suite or included file; may be NULL), then
 * next to the top suite file (suite_file; may be NULL), then along the data
 * search path: relative paths in a suite work as in any config file. */
enum bb_status bb_paths_find_data_near(const char *rel, const char *near_file,
                                       const char *suite_file, const char *data_dir, char *out,
                                       size_t n, struct bb_error *err);


bool bb_path_exists(const char *path);
/* A spec written as a path (absolute, ./, ../, ~ or a trailing /) rather than
 * a cache name or a Hugging Face id "org/name". */
bool bb_path_looks_like_path(const char *spec);
bool bb_path_is_dir(const char *path);
/* The folder of a file path: "." for a bare name, "/" for a file in the root. */
void bb_path_dir_of(const char *file, char *out, size_t n);
/* mkdir -p: create path and any missing parents; an existing folder is fine, an existing
 * file that is not a folder is BB_E_IO. */
enum bb_status bb_path_mkdir_p(const char *path, struct bb_error *err);

#endif
