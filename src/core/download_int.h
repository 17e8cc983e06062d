/* download_int.h: the transfer engine shared by download.c (single files) and
 * download_hf.c (Hugging Face model folders): one URL into one file, with a
 * size limit, optional resume, and size/sha256 checks against what the
 * caller expects and what the server's headers promise. */
#ifndef BB_DOWNLOAD_INT_H
#define BB_DOWNLOAD_INT_H

#include <stdbool.h>

#include "sha256.h"
#include "status.h"

/* How one transfer ended, so callers can tell "absent" from "broken". */
enum fetch_outcome {
    FETCH_OK,
    FETCH_NOT_FOUND,   /* 404/410 or no such file: */
    FETCH_UNREACHABLE, /* no connection at all */
    FETCH_REFUSED,     /* the answer broke a rule (size, sha256, range): the bytes were discarded */
    FETCH_ERROR        /* the transfer failed (HTTP error, cut off, disk) */
};

struct fetch_req {
    const char *url;
    const char *path;          /* where the bytes go (a temporary name) */
    const char *label;         /* name in messages and the progress bar */
    const char *bearer;        /* HF token or NULL */
    long long max_bytes;       /* the limit for this kind of file (> 0) */
    long long expect_size;     /* -1: unknown */
    const char *expect_sha256; /* 64 hex digits, or NULL: unknown */
    bool resume;               /* path's existing bytes are a prefix: ask for the rest (Range) */
};

struct fetch_res {
    char sha256[BB_SHA256_HEX_LEN]; /* digest of the whole file */
    long long size;
    bool kept_partial; /* failed, but the bytes so far stay at path for a resume */
};

/* Fetch req->url into req->path. On FETCH_OK the file is complete and
 * checked: its size equals expect_size and X-Linked-Size, its sha256 equals
 * expect_sha256 and a sha256 X-Linked-Etag, when these are known. Otherwise
 * path is removed, except that a cut-off transfer with req->resume keeps the
 * bytes received (res->kept_partial). err names the URL and the rule broken. */
enum fetch_outcome bb_fetch(const struct fetch_req *req, struct fetch_res *res,
                            struct bb_error *err);

/* Human size: "4 MiB", "10737418240 bytes". */
void bb_fetch_size_str(long long n, char *out, size_t len);

/* Whole-file folder helpers shared by both callers. */
enum bb_status bb_fetch_make_parents(const char *path, struct bb_error *err);
bool bb_fetch_is_hex64(const char *s);

#endif
