/* tap.h: TAP helpers for biasbench's C tests (after c-tap-harness's basic.h),
 * plus lookups of the models and shared data tests need (skip, or fail under
 * CI: see test_in_ci). */
#ifndef BB_TAP_H
#define BB_TAP_H

#include <stdbool.h>
#include <stddef.h>

/* TEST_SANITIZED: 1 in an AddressSanitizer build (GCC or Clang), else 0.
 * Slow checks cut their share there (the rest again with BB_TEST_FULL=1). */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SANITIZED 1
#endif
#endif
#ifndef TEST_SANITIZED
#define TEST_SANITIZED 0
#endif

void plan(int n);             /* 1..n up front */
void plan_lazy(void);         /* print 1..n at exit */
void skip_all(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Fail the whole test file (Bail out!), e.g. a missing model under CI. */
void bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
bool ok(bool success, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One skipped point; under CI (test_in_ci) a failed point instead: nothing
 * skips in CI. skip_all likewise bails under CI. */
void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True under CI: the environment variable CI is set, not empty, and neither
 * "false" nor "0". The one place C tests decide it (tests/tap.sh: in_ci). */
bool test_in_ci(void);
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool is_int(long long want, long long got, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool is_double(double want, double got, double tol, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool is_string(const char *want, const char *got, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ok if `needle` occurs in `hay` (for asserting error messages). */
bool contains(const char *hay, const char *needle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tap_failures(void);

/* Directory of a model in the per-user cache or $BIASBENCH_MODELS
 * (name e.g. "all-MiniLM-L6-v2"). Missing: skip_all, or bail under CI. */
const char *test_model_dir(const char *name);
/* Path of a public dataset file (relative to the shared datasets root, e.g.
 * "stsb/stsb-en-test.csv"): $BIASBENCH_DATA, then $(top_srcdir)/../shared/datasets,
 * then the per-user cache. Missing: skip_all, or bail under CI. */
const char *test_shared_data(const char *rel);
/* Path of a file in the source tree (tests/golden/x -> $srcdir/tests/golden/x). */
const char *test_src_path(const char *rel);
/* A whole file, NUL-terminated (*len excludes the NUL; len may be NULL);
 * NULL when it cannot be read. */
char *test_slurp(const char *path, size_t *len);
/* As test_slurp, but a file that cannot be read ends the test file (bail). */
char *test_slurp_or_bail(const char *path, size_t *len);
/* A fresh scratch directory for this test program under the build tree. */
const char *test_tmp_dir(void);

#endif
