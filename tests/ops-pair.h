/* ops-pair.h: what the op tests (ops-t.c, ops-decoder-t.c, quant-t.c) share:
 * a seeded PRNG (splitmix64), and buffers held on the ref oracle R and the
 * backend under test C at once, compared by normalised error
 * max|c - r| / max(1, max|r|). Each test program seeds its own stream. */
#ifndef BB_TESTS_OPS_PAIR_H
#define BB_TESTS_OPS_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend_impl.h" /* op counts, device info */

/* The oracle and the backend under test (ops_open sets both; a test may point
 * C elsewhere for a while). */
extern struct bb_backend *R, *C;
/* Ops each side should have counted: [0] ref, [1] the backend under test. */
extern long want_count[2][BB_OP_COUNT];
/* The largest error expect() has seen per op, for the summary. */
extern double worst[BB_OP_COUNT];

void rnd_seed(uint64_t seed);
uint64_t rnd_u64(void);
float rnd_uniform(float lo, float hi); /* [lo, hi), 53 random bits */
int rnd_int(int lo, int hi);           /* [lo, hi] */
float *rnd_floats(size_t n, float lo, float hi); /* malloc'd, n uniform floats */

/* A failed setup step ends the test file: bail("what: message"). */
void check(enum bb_status st, const struct bb_error *err, const char *what);

/* R from bb_backend_ref_create, C the "auto" OpenCL device with its program
 * cache in test_tmp_dir()/cache_name; no device: skip_all (a bail under CI). */
void ops_open(const char *cache_name);

struct pair {
    struct bb_buffer *r, *c;
    size_t bytes;
};

struct pair pair_new(size_t bytes);
void pair_upload(struct pair *p, const void *data);
struct pair pair_floats(size_t n, float lo, float hi); /* n uniform floats, uploaded */
struct pair pair_ints(const int32_t *v, size_t n);
void pair_free(struct pair *p);
/* The first n floats of each side into a (ref) and b (under test). */
void pair_download(struct pair *p, size_t n, float *a, float *b);
/* Download both; normalised max error over n floats, infinity if anything is
 * not finite. pair_error_rows: over only the rows (of width cols) that row_ok
 * accepts (NULL: all). */
double pair_error(struct pair *p, size_t n);
double pair_error_rows(struct pair *p, size_t n, size_t cols, const bool *row_ok);
/* The same measure between two host arrays (a the reference). */
double norm_error(const float *a, const float *b, size_t n, size_t cols, const bool *row_ok);

/* A matmul on both backends, checked and counted: the weight src (n, k),
 * handed over as src_dtype and kept as storage; x (m, k) uniform in
 * [-x_span, x_span]; with bias, a bias (n); with res, a residual (m, n) the
 * output is written over in place; activation act. Returns the output's error
 * (pair_error). */
double pair_matmul(const void *src, enum bb_dtype src_dtype, enum bb_dtype storage, int m, int n,
                   int k, bool bias, bool res, enum bb_act act, float x_span);

/* One point: error e of op within tol (and worst[op] updated). */
void expect(enum bb_op_kind op, double e, double tol, const char *desc);
/* An op ran on both backends (st_r, st_c its statuses, checked): count it. */
void ran(enum bb_op_kind op, enum bb_status st_r, enum bb_status st_c, const struct bb_error *er,
         const struct bb_error *ec);

#endif
