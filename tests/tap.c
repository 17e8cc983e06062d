/* tap.c: implementation of the TAP helpers and test resource lookups. */
#include "tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/paths.h"

static int g_run, g_fail, g_planned;
static bool g_lazy;

static void at_exit_plan(void)
{
    if (g_lazy)
        printf("1..%d\n", g_run);
    fflush(stdout);
}

void plan(int n)
{
    g_planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

void plan_lazy(void)
{
    g_lazy = true;
    atexit(at_exit_plan);
}

bool test_in_ci(void)
{
    const char *ci = getenv("CI");
    return ci && *ci && strcmp(ci, "false") && strcmp(ci, "0");
}

/* Skip everything not yet run. Before any test: "1..0 # SKIP why". After some
 * tests ran, the plan must still match: the rest of a fixed plan is reported
 * as skipped, and a lazy plan records one skipped point for the rest (never a
 * silent early end). Under CI nothing skips: Bail out! instead. */
void skip_all(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (test_in_ci())
        bail("%s (a skip, and CI=%s allows none)", why, getenv("CI"));
    if (g_run == 0 && !g_planned) {
        printf("1..0 # SKIP %s\n", why);
        g_lazy = false;
    } else if (g_planned) {
        while (g_run < g_planned)
            printf("ok %d # SKIP %s\n", ++g_run, why);
    } else {
        printf("ok %d # SKIP the rest of this file: %s\n", ++g_run, why);
    }
    fflush(stdout);
    exit(0);
}

void bail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("Bail out! ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    g_lazy = false;
    exit(1);
}

static bool report(bool success, const char *fmt, va_list ap)
{
    g_run++;
    if (!success)
        g_fail++;
    printf("%sok %d", success ? "" : "not ", g_run);
    if (fmt && *fmt) {
        printf(" - ");
        vprintf(fmt, ap);
    }
    printf("\n");
    fflush(stdout);
    return success;
}

bool ok(bool success, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(success, fmt, ap);
    va_end(ap);
    return success;
}

void skip(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (test_in_ci()) {
        ok(false, "%s (a skip, and CI=%s allows none)", why, getenv("CI"));
        return;
    }
    printf("ok %d # SKIP %s\n", ++g_run, why);
    fflush(stdout);
}

void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

bool is_int(long long want, long long got, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool s = report(want == got, fmt, ap);
    va_end(ap);
    if (!s)
        diag("    wanted: %lld\n#       got: %lld", want, got);
    return s;
}

bool is_double(double want, double got, double tol, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool s = report(fabs(want - got) <= tol || (isnan(want) && isnan(got)), fmt, ap);
    va_end(ap);
    if (!s)
        diag("    wanted: %.10g (tolerance %g)\n#       got: %.10g", want, tol, got);
    return s;
}

bool is_string(const char *want, const char *got, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool s = report(want && got && !strcmp(want, got), fmt, ap);
    va_end(ap);
    if (!s)
        diag("    wanted: %s\n#       got: %s", want ? want : "(null)", got ? got : "(null)");
    return s;
}

bool contains(const char *hay, const char *needle, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool s = report(hay && needle && strstr(hay, needle), fmt, ap);
    va_end(ap);
    if (!s)
        diag("    wanted text containing: %s\n#       got: %s", needle, hay ? hay : "(null)");
    return s;
}

int tap_failures(void) { return g_fail; }

static void missing(const char *what, const char *hint)
{
    if (test_in_ci())
        bail("%s not found and CI=%s (%s)", what, getenv("CI"), hint);
    skip_all("%s not found (%s)", what, hint);
}

const char *test_model_dir(const char *name)
{
    static char path[4096];
    struct bb_error err = {0};
    if (bb_paths_find_model(name, path, sizeof path, &err) != BB_OK)
        missing(name, "run scripts/setup.sh --test-models, or set BIASBENCH_MODELS");
    return path;
}

const char *test_shared_data(const char *rel)
{
    static char path[8][4096];
    static int slot;
    char *p = path[slot++ % 8];
    struct bb_error err = {0};
    if (bb_paths_find_data(rel, NULL, p, 4096, &err) != BB_OK)
        missing(rel, "set BIASBENCH_DATA to the shared datasets folder");
    return p;
}

const char *test_src_path(const char *rel)
{
    static char path[8][4096];
    static int slot;
    char *p = path[slot++ % 8];
    const char *src = getenv("srcdir");
    snprintf(p, 4096, "%s/%s", src && *src ? src : ".", rel);
    return p;
}

const char *test_tmp_dir(void)
{
    static char path[4096];
    if (!path[0]) {
        snprintf(path, sizeof path, "tests/tmp/%ld", (long)getpid());
        mkdir("tests", 0777);
        mkdir("tests/tmp", 0777);
        mkdir(path, 0777);
    }
    return path;
}

char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

char *test_slurp_or_bail(const char *path, size_t *len)
{
    char *buf = test_slurp(path, len);
    if (!buf)
        bail("cannot read %s", path);
    return buf;
}
