/* cl_cache.c: on-disk cache of OpenCL program binaries. An entry is
 * "BBCLBIN1", the key, the length and an FNV-1a checksum (each u64, host
 * order), then the binary; anything that does not check out is ignored. */
#include "backend/cl_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
