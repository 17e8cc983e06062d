/* rescache.c: the on-disk result cache (rescache.h). An entry is the file
 * <dir>/<key[0..2)>/<key>:
 *
 *   magic "BBRC0001" (8 bytes)
 *   payload length, 8 bytes little-endian
 *   SHA-256 of (key hex, payload), 32 bytes
 *   payload
 *
 * so a truncated file (length), a flipped byte (checksum) and an entry copied
 * under another name (the key is in the checksum) all read as corrupt. */
#include "core/rescache.h"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/paths.h"
#include "core/version.h"

#define MAGIC "BBRC0001"
#define HEAD_LEN (8 + 8 + BB_SHA256_DIGEST_LEN)
#define STALE_TMP_S 60

struct bb_rescache {
    char dir[4096];
    uint64_t max_bytes;
    uint64_t since_scan; /* bytes stored since the last eviction check */
    bool warned;
    struct bb_rescache_stats st;
};

/* ---- sizes and places ------------------------------------------------------------ */

enum bb_status bb_rescache_parse_size(const char *what, const char *s, uint64_t *out,
                                      struct bb_error *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s ? s : "", &end, 10);
    uint64_t mul = 1;
    if (*end && !end[1]) {
        switch (*end) {
        case 'K': case 'k': mul = 1ull << 10; end++; break;
        case 'M': case 'm': mul = 1ull << 20; end++; break;
        case 'G': case 'g': mul = 1ull << 30; end++; break;
        case 'T': case 't': mul = 1ull << 40; end++; break;
        }
    }
    if (!s || errno || !(s[0] >= '0' && s[0] <= '9') || *end || v == 0 || v > UINT64_MAX / mul)
        return bb_fail(err, BB_E_USAGE, "%s: expected a size of at least 1 byte with an optional "
                       "K, M, G or T suffix (e.g. 512M), found '%s'", what, s ? s : "");
    *out = (uint64_t)v * mul;
    return BB_OK;
}

enum bb_status bb_rescache_default_max(uint64_t *out, struct bb_error *err)
{
    const char *e = getenv("BIASBENCH_CACHE_MAX");
    *out = BB_RESCACHE_DEFAULT_MAX;
    if (!e || !*e)
        return BB_OK;
    return bb_rescache_parse_size("BIASBENCH_CACHE_MAX", e, out, err);
}

bool bb_rescache_off_by_env(void)
{
    const char *e = getenv("BIASBENCH_RESULT_CACHE");
    return e && !strcmp(e, "off");
}

const char *bb_rescache_build_id(void)
{
    static char id[256];
    if (id[0])
        return id;
    char exe[BB_SHA256_HEX_LEN] = "";
    if (strstr(bb_build_commit(), "dirty") && bb_sha256_file("/proc/self/exe", exe, NULL))
        snprintf(exe, sizeof exe, "unknown-%ld", (long)getpid()); /* no reuse across processes */
    snprintf(id, sizeof id, "%s+%s%s%s", PACKAGE_VERSION, bb_build_commit(), exe[0] ? "+" : "",
             exe);
    return id;
}

void bb_rescache_dir(const char *root, char *out, size_t n)
{
    char base[4096];
    const char *env = getenv("BIASBENCH_RESULT_CACHE");
    if (!root && env && *env && strcmp(env, "off")) {
        snprintf(out, n, "%s", env);
        return;
    }
    if (root)
        snprintf(base, sizeof base, "%s", root);
    else
        bb_paths_cache_dir(base, sizeof base);
    snprintf(out, n, "%s/results", base);
}

enum bb_status bb_rescache_open(const char *root, uint64_t max_bytes, struct bb_rescache **out,
                                struct bb_error *err)
{
    *out = NULL;
    struct bb_rescache *c = calloc(1, sizeof *c);
    if (!c)
        return bb_fail(err, BB_E_NOMEM, "out of memory opening the result cache");
    bb_rescache_dir(root, c->dir, sizeof c->dir);
    enum bb_status st = max_bytes ? BB_OK : bb_rescache_default_max(&max_bytes, err);
    c->max_bytes = max_bytes;
    if (!st)
        st = bb_path_mkdir_p(c->dir, err);
    if (st) {
        free(c);
        return st;
    }
    *out = c;
    return BB_OK;
}

void bb_rescache_close(struct bb_rescache *c)
{
    if (!c)
        return;
    struct bb_error e = {0};
    if (c->st.stored && bb_rescache_evict(c, c->max_bytes, &e))
        bb_warn("result cache: %s", e.msg);
    free(c);
}

const struct bb_rescache_stats *bb_rescache_stats(const struct bb_rescache *c) { return &c->st; }
const char *bb_rescache_path(const struct bb_rescache *c) { return c->dir; }
uint64_t bb_rescache_max(const struct bb_rescache *c) { return c->max_bytes; }

/* ---- keys and entries ------------------------------------------------------------ */

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void bb_rescache_key(const char *ns, int32_t tag, const int32_t *ids, size_t n,
                     char key[BB_SHA256_HEX_LEN])
{
    struct bb_sha256 h;
    uint8_t b[4], d[BB_SHA256_DIGEST_LEN];
    bb_sha256_init(&h);
    bb_sha256_update(&h, ns, strlen(ns) + 1);
    put_le32(b, (uint32_t)tag);
    bb_sha256_update(&h, b, 4);
    put_le32(b, (uint32_t)n);
    bb_sha256_update(&h, b, 4);
    for (size_t i = 0; i < n; i++) {
        put_le32(b, (uint32_t)ids[i]);
        bb_sha256_update(&h, b, 4);
    }
    bb_sha256_final(&h, d);
    bb_sha256_to_hex(d, key);
}

static void entry_path(const struct bb_rescache *c, const char *key, char *out, size_t n)
{
    snprintf(out, n, "%s/%.2s/%s", c->dir, key, key);
}

static void checksum(const char *key, const void *data, size_t bytes,
                     uint8_t d[BB_SHA256_DIGEST_LEN])
{
    struct bb_sha256 h;
    bb_sha256_init(&h);
    bb_sha256_update(&h, key, strlen(key));
    bb_sha256_update(&h, data, bytes);
    bb_sha256_final(&h, d);
}

/* Read and verify path's entry into out; false on any mismatch. */
static bool read_entry(const char *path, const char *key, void *out, size_t bytes, bool *exists)
{
    uint8_t head[HEAD_LEN], d[BB_SHA256_DIGEST_LEN];
    FILE *f = fopen(path, "rb");
    *exists = f != NULL;
    if (!f)
        return false;
    bool good = fread(head, 1, HEAD_LEN, f) == HEAD_LEN && !memcmp(head, MAGIC, 8);
    uint64_t len = 0;
    for (int i = 7; good && i >= 0; i--)
        len = len << 8 | head[8 + i];
    good = good && len == bytes && fread(out, 1, bytes, f) == bytes && fgetc(f) == EOF;
    fclose(f);
    if (good) {
        checksum(key, out, bytes, d);
        good = !memcmp(d, head + 16, BB_SHA256_DIGEST_LEN);
    }
    return good;
}

bool bb_rescache_get(struct bb_rescache *c, const char *key, void *out, size_t bytes)
{
    if (!c)
        return false;
    char path[4300];
    bool exists;
    entry_path(c, key, path, sizeof path);
    if (read_entry(path, key, out, bytes, &exists)) {
        c->st.hits++;
        utimensat(AT_FDCWD, path, NULL, 0); /* now: most recently used */
        return true;
    }
    if (exists) {
        bb_warn("result cache: %s is truncated or corrupt (checksum); removed, recomputing", path);
        unlink(path);
        c->st.corrupt++;
    }
    c->st.computed++;
    return false;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k;
        n -= (size_t)k;
    }
    return true;
}

static void put_failed(struct bb_rescache *c, const char *path)
{
    if (!c->warned)
        bb_warn("result cache: cannot write %s: %s (going on without storing results)", path,
                strerror(errno));
    c->warned = true;
}

void bb_rescache_put(struct bb_rescache *c, const char *key, const void *data, size_t bytes)
{
    if (!c)
        return;
    char path[4300], tmp[4400], sub[4200];
    uint8_t head[HEAD_LEN];
    snprintf(sub, sizeof sub, "%s/%.2s", c->dir, key);
    entry_path(c, key, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (mkdir(sub, 0777) && errno != EEXIST)
        return put_failed(c, sub);
    memcpy(head, MAGIC, 8);
    for (int i = 0; i < 8; i++)
        head[8 + i] = (uint8_t)((uint64_t)bytes >> (8 * i));
    checksum(key, data, bytes, head + 16);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return put_failed(c, tmp);
    bool good = write_all(fd, head, HEAD_LEN) && write_all(fd, data, bytes);
    good = !close(fd) && good;
    if (!good || rename(tmp, path)) {
        put_failed(c, path);
        unlink(tmp);
        return;
    }
    c->st.stored++;
    c->since_scan += HEAD_LEN + bytes;
    const char *stop = getenv("BIASBENCH_TEST_STOP_AFTER_STORES");
    if (stop && *stop && c->st.stored == strtoull(stop, NULL, 10))
        raise(SIGSTOP);
    if (c->since_scan > c->max_bytes / 4) { /* keep a long run near its bound */
        struct bb_error e = {0};
        if (bb_rescache_evict(c, c->max_bytes, &e))
            bb_warn("result cache: %s", e.msg);
    }
}

/* ---- scanning, eviction, clearing ------------------------------------------------ */

struct entry {
    char name[80]; /* "ab/abcd..." */
    struct timespec mtime;
    uint64_t bytes;
};

static bool is_tmp(const char *name) { return strstr(name, ".tmp.") != NULL; }

static bool is_key(const char *name)
{
    size_t n = strlen(name);
    if (n != BB_SHA256_HEX_LEN - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return false;
    return true;
}

/* Every entry in the cache (stale temporaries removed); *out malloc'd. */
static enum bb_status list_entries(struct bb_rescache *c, struct entry **out, size_t *n_out,
                                   struct bb_error *err)
{
    struct entry *v = NULL;
    size_t n = 0, cap = 0;
    time_t now = time(NULL);
    DIR *top = opendir(c->dir);
    if (!top)
        return bb_fail(err, BB_E_IO, "%s: cannot read: %s", c->dir, strerror(errno));
    struct dirent *s;
    enum bb_status st = BB_OK;
    while (!st && (s = readdir(top))) {
        if (strlen(s->d_name) != 2 || s->d_name[0] == '.')
            continue;
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", c->dir, s->d_name);
        DIR *d = opendir(sub);
        struct dirent *e;
        while (!st && d && (e = readdir(d))) {
            char p[4500];
            struct stat sb;
            snprintf(p, sizeof p, "%s/%s", sub, e->d_name);
            if ((!is_key(e->d_name) && !is_tmp(e->d_name)) || stat(p, &sb) || !S_ISREG(sb.st_mode))
                continue;
            if (is_tmp(e->d_name)) {
                if (now - sb.st_mtime > STALE_TMP_S)
                    unlink(p);
                continue;
            }
            if (n == cap) {
                struct entry *nv = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof *v);
                if (!nv) {
                    st = bb_fail(err, BB_E_NOMEM, "out of memory listing the result cache");
                    break;
                }
                v = nv;
            }
            snprintf(v[n].name, sizeof v[n].name, "%s/%s", s->d_name, e->d_name);
            v[n].mtime = sb.st_mtim;
            v[n++].bytes = (uint64_t)sb.st_size;
        }
        if (d)
            closedir(d);
    }
    closedir(top);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    *n_out = n;
    return BB_OK;
}

enum bb_status bb_rescache_scan(struct bb_rescache *c, struct bb_error *err)
{
    struct entry *v = NULL;
    size_t n = 0;
    enum bb_status st = list_entries(c, &v, &n, err);
    if (st)
        return st;
    c->st.entries = n;
    c->st.bytes = 0;
    for (size_t i = 0; i < n; i++)
        c->st.bytes += v[i].bytes;
    free(v);
    return BB_OK;
}

/* Oldest first; ties by name (deterministic). */
static int cmp_age(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

enum bb_status bb_rescache_evict(struct bb_rescache *c, uint64_t max_bytes, struct bb_error *err)
{
    struct entry *v = NULL;
    size_t n = 0;
    enum bb_status st = list_entries(c, &v, &n, err);
    if (st)
        return st;
    uint64_t total = 0, left = n;
    for (size_t i = 0; i < n; i++)
        total += v[i].bytes;
    qsort(v, n, sizeof *v, cmp_age);
    for (size_t i = 0; i < n && total > max_bytes; i++) {
        char p[4300];
        snprintf(p, sizeof p, "%s/%s", c->dir, v[i].name);
        if (!unlink(p) || errno == ENOENT) {
            total -= v[i].bytes;
            left--;
            c->st.evicted++;
        }
    }
    c->st.entries = left;
    c->st.bytes = total;
    c->since_scan = 0;
    free(v);
    return BB_OK;
}

enum bb_status bb_rescache_clear(struct bb_rescache *c, struct bb_error *err)
{
    enum bb_status st = bb_rescache_evict(c, 0, err);
    if (!st)
        st = bb_rescache_scan(c, err);
    return st;
}
