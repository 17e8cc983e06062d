/* sha256.h: SHA-256 (FIPS 180-4) as a streaming context and a file helper,
 * used to verify downloaded models and to record dataset checksums. */
#ifndef BB_SHA256_H
#define BB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define BB_SHA256_DIGEST_LEN 32
#define BB_SHA256_HEX_LEN 65 /* 64 hex digits and the terminating NUL */

struct bb_sha256 {
    uint32_t state[8];
    uint64_t total_len; /* bytes fed so far */
    uint8_t block[64];  /* partial block */
    size_t block_len;
};

void bb_sha256_init(struct bb_sha256 *ctx);
void bb_sha256_update(struct bb_sha256 *ctx, const void *data, size_t len);
void bb_sha256_final(struct bb_sha256 *ctx, uint8_t digest[BB_SHA256_DIGEST_LEN]);

/* One-shot digest of a buffer, written as 64 lower-case hex digits. */
void bb_sha256_hex(const void *data, size_t len, char hex[BB_SHA256_HEX_LEN]);
/* Lower-case hex of a binary digest. */
void bb_sha256_to_hex(const uint8_t digest[BB_SHA256_DIGEST_LEN], char hex[BB_SHA256_HEX_LEN]);
/* Digest of a whole file (buffered reads). Missing/unreadable file -> BB_E_IO. */
enum bb_status bb_sha256_file(const char *path, char hex[BB_SHA256_HEX_LEN], struct bb_error *err);

#endif
