/* cl_cache.h: the on-disk cache of built OpenCL program binaries (one entry per program, a
 * group of kernel files or one file), keyed by a hash of the source, build options and
 * device/driver/platform identity, and kept under a size bound by evicting the least recently
 * used entries. */
#ifndef BB_CL_CACHE_H
#define BB_CL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define BB_FNV64_INIT 0xcbf29ce484222325ULL

/* FNV-1a 64 of data, continuing from h (start with BB_FNV64_INIT). */
uint64_t bb_cl_cache_hash(uint64_t h, const void *data, size_t n);
/* Hash of a NUL-terminated string including its terminator (so that fields
 * hashed one after another cannot run into each other). */
uint64_t bb_cl_cache_hash_str(uint64_t h, const char *s);

/* "<dir>/<key as 16 hex digits>.clbin" */
void bb_cl_cache_path(const char *dir, uint64_t key, char *out, size_t n);

/* The binary stored under key, malloc'd into *bin, or false when there is no
 * entry or it is corrupt (wrong magic, key, length or checksum). A hit marks the
 * entry used now (its modification time), which is what eviction goes by. */
bool bb_cl_cache_load(const char *dir, uint64_t key, unsigned char **bin, size_t *len);

/* Store a binary under key (creating dir with parents), through a temporary
 * file and rename so that readers never see a partial entry. */
enum bb_status bb_cl_cache_store(const char *dir, uint64_t key, const unsigned char *bin,
                                 size_t len, struct bb_error *err);

/* The size bound in bytes: $BIASBENCH_KERNEL_CACHE_MB MiB (a whole number >= 0; 0 keeps only
 * the entry just written), default 64; an unreadable value warns and uses the default. */
uint64_t bb_cl_cache_limit(void);

/* Evict entries of dir, least recently used first, until the .clbin files total at most limit
 * bytes; the entry under keep is never evicted. Stray temporary files of crashed writers
 * older than a day go too. */
enum bb_status bb_cl_cache_trim(const char *dir, uint64_t limit, uint64_t keep,
                                struct bb_error *err);

#endif
