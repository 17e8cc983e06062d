/* sha256-t.c: SHA-256 against the FIPS 180-2 / NIST example vectors, streaming
 * in odd chunk sizes, and the whole-file helper (including a missing file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "tap.h"

static const char *hex_of(const void *data, size_t len)
{
    static char hex[BB_SHA256_HEX_LEN];
    bb_sha256_hex(data, len, hex);
    return hex;
}

/* Digest of `data` fed in pieces of `chunk` bytes. */
static const char *hex_chunked(const char *data, size_t len, size_t chunk)
{
    static char hex[BB_SHA256_HEX_LEN];
    struct bb_sha256 ctx;
    uint8_t digest[BB_SHA256_DIGEST_LEN];
    bb_sha256_init(&ctx);
    for (size_t off = 0; off < len; off += chunk)
        bb_sha256_update(&ctx, data + off, len - off < chunk ? len - off : chunk);
    bb_sha256_final(&ctx, digest);
    bb_sha256_to_hex(digest, hex);
    return hex;
}

static void test_vectors(void)
{
    const char *v448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const char *v896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    is_string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex_of("", 0),
              "empty string");
    is_string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex_of("abc", 3),
              "\"abc\"");
    is_string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
              hex_of(v448, strlen(v448)), "448-bit message (two blocks after padding)");
    is_string("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
              hex_of(v896, strlen(v896)), "896-bit message");
    is_string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
              hex_chunked(v448, strlen(v448), 7), "448-bit message fed 7 bytes at a time");
}

static void test_million_a(void)
{
    size_t n = 1000000;
    char *a = malloc(n);
    if (!a)
        bail("out of memory");
    memset(a, 'a', n);
    const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    is_string(want, hex_of(a, n), "one million 'a' in one update");
    is_string(want, hex_chunked(a, n, 63), "one million 'a' in 63-byte pieces");
    is_string(want, hex_chunked(a, n, 4097), "one million 'a' in 4097-byte pieces");
    free(a);
}

static void test_file(void)
{
    char path[4200];
    char hex[BB_SHA256_HEX_LEN] = "";
    struct bb_error err = {0};
    snprintf(path, sizeof path, "%s/abc.bin", test_tmp_dir());
    FILE *f = fopen(path, "wb");
    if (!f)
        bail("cannot create %s", path);
    /* 200,000 x "abc": crosses the 64 KiB read buffer several times. */
    for (int i = 0; i < 200000; i++)
        fputs("abc", f);
    fclose(f);
    char *mem = malloc(600000);
    if (!mem)
        bail("out of memory");
    for (int i = 0; i < 200000; i++)
        memcpy(mem + 3 * i, "abc", 3);
    is_int(BB_OK, bb_sha256_file(path, hex, &err), "bb_sha256_file on a 600,000-byte file");
    is_string(hex_of(mem, 600000), hex, "file digest equals the in-memory digest");
    free(mem);
    remove(path);

    snprintf(path, sizeof path, "%s/empty.bin", test_tmp_dir());
    f = fopen(path, "wb");
    if (f)
        fclose(f);
    bb_sha256_file(path, hex, &err);
    is_string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex,
              "empty file");
    remove(path);

    is_int(BB_E_IO, bb_sha256_file("/nonexistent/biasbench/x.bin", hex, &err), "missing file -> BB_E_IO");
    contains(err.msg, "/nonexistent/biasbench/x.bin", "error names the file");
}

int main(void)
{
    plan(13);
    test_vectors();
    test_million_a();
    test_file();
    return 0;
}
