/* paths.c: search-path resolution for models, datasets and caches. */
#include "config.h"

#include "paths.h"

#include <errno.h>
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

enum bb_status bb_path_mkdir_p(const char *path, struct bb_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return bb_fail(err, BB_E_IO, "%.200s...: path too long", path);
    for (char *p = tmp + 1;; p++) {
        if (*p && *p != '/')
            continue;
        char c = *p;
        *p = 0;
        if (mkdir(tmp, 0777) && errno != EEXIST)
            return bb_fail(err, BB_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
        if (!(*p = c))
            break;
    }
    return bb_path_is_dir(path) ? BB_OK
                                : bb_fail(err, BB_E_IO, "%s: exists and is not a folder", path);
}

bool bb_path_looks_like_path(const char *spec)
{
    size_t n = spec ? strlen(spec) : 0;
    return n && (spec[0] == '/' || spec[0] == '~' || !strncmp(spec, "./", 2) ||
                 !strncmp(spec, "../", 3) || spec[n - 1] == '/');
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
    if (bb_path_looks_like_path(spec)) /* not a name to look up: say that the path is missing */
        return bb_fail(err, BB_E_IO, "model path '%s' not found (no such file or folder)",
                       spec);
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


void bb_path_dir_of(const char *file, char *out, size_t n)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == file)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - file), file);
}

enum bb_status bb_paths_find_data_near(const char *rel, const char *near_file,
                                       const char *suite_file, const char *data_dir, char *out,
                                       size_t n, struct bb_error *err)
{
    char tried[3072] = "", dir[4096];
    if (rel[0] != '/') {
        const char *files[] = {near_file, suite_file};
        for (size_t i = 0; i < 2; i++) {
            if (!files[i] || !*files[i] || (i == 1 && near_file && !strcmp(near_file, suite_file)))
                continue;
            bb_path_dir_of(files[i], dir, sizeof dir);
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", dir, rel);
            if (bb_path_exists(p) && !bb_path_is_dir(p)) {
                snprintf(out, n, "%s", p);
                return BB_OK;
            }
            size_t used = strlen(tried);
            if (used + 4 < sizeof tried)
                snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", p);
        }
    }
    struct bb_error e = {0};
    enum bb_status st = bb_paths_find_data(rel, data_dir, out, n, &e);
    if (st && tried[0])
        return bb_fail(err, st, "%s (and first next to the suite: %s)", e.msg, tried);
    if (st)
        return bb_fail(err, st, "%s", e.msg);
    return BB_OK;
}
