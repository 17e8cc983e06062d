/* rescache.h: the result cache: per-text model outputs (an encoder's
 * embedding, a decoder's per-token log-probs) stored on disk under
 * <cache dir>/results, content-addressed by a key that hashes what decides
 * them (model sha256, backend and device, precision, the exact token ids), so
 * reruns and other suites that meet the same text on the same model skip the
 * forward pass. Each entry carries a SHA-256 of its key and payload: a
 * truncated or corrupt entry is detected, removed and recomputed. The cache is
 * bounded (bytes); least recently used entries (file mtime, touched on every
 * hit) are evicted first. docs/caching.md describes it. */
#ifndef BB_RESCACHE_H
#define BB_RESCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sha256.h"
#include "core/status.h"

#define BB_RESCACHE_DEFAULT_MAX (1024ull * 1024 * 1024) /* 1 GiB */

struct bb_rescache;

/* What one session did, and (after a scan) what the cache holds. */
struct bb_rescache_stats {
    uint64_t hits;     /* entries read and verified */
    uint64_t computed; /* lookups that missed: the caller computed them */
    uint64_t stored;   /* entries written */
    uint64_t corrupt;  /* entries that failed their checksum or size (removed) */
    uint64_t evicted;  /* entries removed to stay under the bound */
    uint64_t entries, bytes; /* held on disk (bb_rescache_scan) */
};

/* Parse a size: a whole number of bytes with an optional K, M, G or T suffix
 * (powers of 1024). what names the source in errors (an option, a variable). */
enum bb_status bb_rescache_parse_size(const char *what, const char *s, uint64_t *out,
                                      struct bb_error *err);
/* The bound when none is given: $BIASBENCH_CACHE_MAX, else 1 GiB. A bad value
 * of the variable is BB_E_USAGE naming it. */
enum bb_status bb_rescache_default_max(uint64_t *out, struct bb_error *err);
/* The folder: <root>/results; root NULL: $BIASBENCH_RESULT_CACHE when set to a
 * folder, else <bb_paths_cache_dir()>/results. */
void bb_rescache_dir(const char *root, char *out, size_t n);
/* $BIASBENCH_RESULT_CACHE=off: runs use no result cache (as with --no-cache). */
bool bb_rescache_off_by_env(void);
/* What identifies the code that computes outputs, for keys: the version and
 * commit, and for a build from a modified tree ("-dirty") the sha256 of the
 * running executable too, so no rebuild ever reads another build's outputs. */
const char *bb_rescache_build_id(void);

/* Open (creating the folder) a cache bounded to max_bytes (0: bb_rescache_default_max). */
enum bb_status bb_rescache_open(const char *root, uint64_t max_bytes, struct bb_rescache **out,
                                struct bb_error *err);
/* Evict down to the bound if this session wrote anything, then free. NULL is fine. */
void bb_rescache_close(struct bb_rescache *c);
const struct bb_rescache_stats *bb_rescache_stats(const struct bb_rescache *c);
const char *bb_rescache_path(const struct bb_rescache *c);
uint64_t bb_rescache_max(const struct bb_rescache *c);

/* The key of one output: SHA-256 over the namespace ns (model, backend,
 * precision, output kind: the caller's string), tag (a small integer the
 * caller needs in the key, e.g. the first scored position) and the token ids. */
void bb_rescache_key(const char *ns, int32_t tag, const int32_t *ids, size_t n,
                     char key[BB_SHA256_HEX_LEN]);
/* Read the entry of key into out (exactly bytes long). true on a verified
 * hit (its mtime is touched: LRU); false when absent, of another size or
 * corrupt (counted and removed), and the caller computes it. c NULL: false. */
bool bb_rescache_get(struct bb_rescache *c, const char *key, void *out, size_t bytes);
/* Store an entry (temporary name + rename). A write that fails (disk full,
 * read-only cache) is warned about once and otherwise ignored: the cache
 * never fails a run. c NULL: nothing. Test hook: with
 * BIASBENCH_TEST_STOP_AFTER_STORES=N the process stops itself (SIGSTOP) after
 * its Nth store, so a test can interrupt a run at a known point mid-task. */
void bb_rescache_put(struct bb_rescache *c, const char *key, const void *data, size_t bytes);

/* Count the entries and bytes on disk into the stats (and remove leftovers
 * of interrupted writes older than a minute). */
enum bb_status bb_rescache_scan(struct bb_rescache *c, struct bb_error *err);
/* Remove least recently used entries until the cache holds at most max_bytes. */
enum bb_status bb_rescache_evict(struct bb_rescache *c, uint64_t max_bytes,
                                 struct bb_error *err);
/* Remove every entry. */
enum bb_status bb_rescache_clear(struct bb_rescache *c, struct bb_error *err);

#endif
