/* cl_cache.c: on-disk cache of OpenCL program binaries. An entry is
 * "BBCLBIN1", the key, the length and an FNV-1a checksum (each u64, host
 * order), then the binary; anything that does not check out is ignored. */
#include "backend/cl_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

static const char MAGIC[8] = {'B', 'B', 'C', 'L', 'B', 'I', 'N', '1'};
#define MAX_BINARY ((size_t)1 << 30)

uint64_t bb_cl_cache_hash(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t bb_cl_cache_hash_str(uint64_t h, const char *s)
{
    return bb_cl_cache_hash(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

void bb_cl_cache_path(const char *dir, uint64_t key, char *out, size_t n)
{
    snprintf(out, n, "%s/%016llx.clbin", dir, (unsigned long long)key);
}

/* Mark path used now (LRU order); a read-only cache folder just keeps the old order. */
static void utime_now(const char *path)
{
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    (void)utimensat(AT_FDCWD, path, now, 0);
}

bool bb_cl_cache_load(const char *dir, uint64_t key, unsigned char **bin, size_t *len)
{
    char path[4096];
    bb_cl_cache_path(dir, key, path, sizeof path);
    *bin = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char magic[8];
    uint64_t hdr[3]; /* key, length, checksum */
    unsigned char *data = NULL;
    bool good = fread(magic, 1, 8, f) == 8 && !memcmp(magic, MAGIC, 8) &&
                fread(hdr, sizeof hdr[0], 3, f) == 3 && hdr[0] == key && hdr[1] > 0 &&
                hdr[1] <= MAX_BINARY;
    if (good) {
        data = malloc((size_t)hdr[1] + 1);
        good = data && fread(data, 1, (size_t)hdr[1], f) == (size_t)hdr[1] &&
               fgetc(f) == EOF &&
               bb_cl_cache_hash(BB_FNV64_INIT, data, (size_t)hdr[1]) == hdr[2];
    }
    fclose(f);
    if (!good) {
        free(data);
        return false;
    }
    *bin = data;
    *len = (size_t)hdr[1];
    utime_now(path);
    return true;
}

/* mkdir -p */
static enum bb_status make_dirs(const char *dir, struct bb_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return bb_fail(err, BB_E_IO, "cache directory path too long: %s", dir);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char keep = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return bb_fail(err, BB_E_IO, "cannot create cache directory %s: %s", path,
                           strerror(errno));
        *p = keep;
        if (!keep)
            break;
    }
    return BB_OK;
}

enum bb_status bb_cl_cache_store(const char *dir, uint64_t key, const unsigned char *bin,
                                 size_t len, struct bb_error *err)
{
    char path[4096], tmp[4200];
    enum bb_status st = make_dirs(dir, err);
    if (st)
        return st;
    bb_cl_cache_path(dir, key, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return bb_fail(err, BB_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    uint64_t hdr[3] = {key, len, bb_cl_cache_hash(BB_FNV64_INIT, bin, len)};
    bool good = fwrite(MAGIC, 1, 8, f) == 8 && fwrite(hdr, sizeof hdr[0], 3, f) == 3 &&
                fwrite(bin, 1, len, f) == len;
    good = (fclose(f) == 0) && good;
    if (!good || rename(tmp, path) != 0) {
        st = bb_fail(err, BB_E_IO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return st;
}

uint64_t bb_cl_cache_limit(void)
{
    const char *s = getenv("BIASBENCH_KERNEL_CACHE_MB");
    if (!s || !*s)
        return (uint64_t)64 << 20;
    char *end;
    errno = 0;
    unsigned long long mb = strtoull(s, &end, 10);
    if (*end || errno || s[0] == '-' || mb > ((uint64_t)1 << 40)) {
        bb_warn("BIASBENCH_KERNEL_CACHE_MB=%s: expected a whole number of MiB; using 64", s);
        return (uint64_t)64 << 20;
    }
    return (uint64_t)mb << 20;
}

struct entry {
    char name[64];
    struct timespec used;
    uint64_t bytes;
};

static int older_first(const void *a, const void *b)
{
    const struct timespec *x = &((const struct entry *)a)->used;
    const struct timespec *y = &((const struct entry *)b)->used;
    if (x->tv_sec != y->tv_sec)
        return x->tv_sec < y->tv_sec ? -1 : 1;
    return (x->tv_nsec > y->tv_nsec) - (x->tv_nsec < y->tv_nsec);
}

/* The .clbin entries of dir (malloc'd); stale temporary files are removed on the way. */
static enum bb_status list_entries(const char *dir, struct entry **out, size_t *n,
                                   struct bb_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return bb_fail(err, BB_E_IO, "cannot list cache directory %s: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (len >= sizeof((struct entry *)0)->name || stat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        if (strstr(e->d_name, ".clbin.tmp.")) {
            if (st.st_mtime < time(NULL) - 86400)
                unlink(path);
            continue;
        }
        if (len < 6 || strcmp(e->d_name + len - 6, ".clbin"))
            continue;
        if (*n == cap) {
            struct entry *g = realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof *g);
            if (!g) {
                closedir(d);
                free(*out);
                *out = NULL;
                return bb_fail(err, BB_E_NOMEM, "out of memory listing %s", dir);
            }
            *out = g;
        }
        struct entry *en = &(*out)[(*n)++];
        snprintf(en->name, sizeof en->name, "%s", e->d_name);
        en->used = st.st_mtim;
        en->bytes = (uint64_t)st.st_size;
    }
    closedir(d);
    return BB_OK;
}

enum bb_status bb_cl_cache_trim(const char *dir, uint64_t limit, uint64_t keep,
                                struct bb_error *err)
{
    struct entry *es;
    size_t n;
    enum bb_status st = list_entries(dir, &es, &n, err);
    if (st)
        return st;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += es[i].bytes;
    qsort(es, n, sizeof *es, older_first);
    char kept[32], path[4200];
    snprintf(kept, sizeof kept, "%016llx.clbin", (unsigned long long)keep);
    for (size_t i = 0; i < n && total > limit; i++) {
        if (!strcmp(es[i].name, kept))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, es[i].name);
        if (unlink(path) == 0 || errno == ENOENT) /* ENOENT: another process evicted it */
            total -= es[i].bytes;
    }
    free(es);
    return BB_OK;
}
