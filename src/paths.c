/* paths.c: search-path resolution for models, datasets and caches. */
#include "config.h"

#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef BB_PKGDATADIR
#define BB_PKGDATADIR "/usr/local/share/biasbench"
#endif
#ifndef BB_SRCDIR
#define BB_SRCDIR "."
#endif

bool bb_path_exists(const char *path)
{
    struct stat sb;
    return path && stat(path, &sb) == 0;
}

bool bb_path_is_dir(const char *path)
{
    struct stat sb;
    return path && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

void bb_paths_cache_dir(char *out, size_t n)
{
    const char *v = getenv("BIASBENCH_CACHE");
    if (v && *v) {
        snprintf(out, n, "%s", v);
        return;
    }
    v = getenv("XDG_CACHE_HOME");
    if (v && *v) {
        snprintf(out, n, "%s/biasbench", v);
        return;
    }
    v = getenv("HOME");
    snprintf(out, n, "%s/.cache/biasbench", v && *v ? v : "/tmp");
}

/* Try dir/name; on a hit copy it to out. `tried` collects the places looked. */
static bool try_path(const char *dir, const char *name, char *out, size_t n, char *tried,
                     size_t tn)
{
    char p[4096];
    if (!dir || !*dir)
        return false;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (bb_path_exists(p)) {
        snprintf(out, n, "%s", p);
        return true;
    }
    size_t used = strlen(tried);
    if (used + 4 < tn)
        snprintf(tried + used, tn - used, "%s%s", used ? ", " : "", p);
    return false;
}

enum bb_status bb_paths_find_model(const char *spec, char *out, size_t n, struct bb_error *err)
{
    char cache[4096], tried[3072] = "";
    if (!spec || !*spec)
        spec = BB_DEFAULT_MODEL;
    if (bb_path_exists(spec)) {
        snprintf(out, n, "%s", spec);
        return BB_OK;
    }
    const char *base = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
    const char *env = getenv("BIASBENCH_MODELS");
    bb_paths_cache_dir(cache, sizeof cache);
    strncat(cache, "/models", sizeof cache - strlen(cache) - 1);
    if (try_path(env, spec, out, n, tried, sizeof tried) ||
        try_path(env, base, out, n, tried, sizeof tried) ||
        try_path(cache, base, out, n, tried, sizeof tried))
        return BB_OK;
    return bb_fail(err, BB_E_IO,
                   "model '%s' not found (looked in: %s); run scripts/setup.sh or pass --model DIR",
                   spec, tried[0] ? tried : spec);
}

enum bb_status bb_paths_find_data(const char *rel, const char *data_dir, char *out, size_t n,
                                  struct bb_error *err)
{
    char tried[3072] = "", cache[4096];
    if (rel[0] == '/') {
        if (bb_path_exists(rel)) {
            snprintf(out, n, "%s", rel);
            return BB_OK;
        }
        return bb_fail(err, BB_E_IO, "%s: no such file", rel);
    }
    bb_paths_cache_dir(cache, sizeof cache);
    strncat(cache, "/datasets", sizeof cache - strlen(cache) - 1);
    const char *dirs[] = {
        data_dir, getenv("BIASBENCH_DATA"), BB_PKGDATADIR "/datasets", BB_SRCDIR "/datasets",
        BB_SRCDIR "/../shared/datasets", "../shared/datasets", cache,
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (try_path(dirs[i], rel, out, n, tried, sizeof tried))
            return BB_OK;
    return bb_fail(err, BB_E_IO,
                   "dataset '%s' not found (looked in: %s); pass --data-dir or set BIASBENCH_DATA",
                   rel, tried);
}

