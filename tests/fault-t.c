/* fault-t.c: the fault-injection sweep (docs/fault-injection.md). A small
 * run (tests/data/fault/fault.yaml: two likelihood tasks, a tiny Llama, the
 * OpenCL backend) is made once cleanly and once with BIASBENCH_FAULT=count,
 * which reports the calls and distinct call sites each kind reached. Then
 * for every kind the run is repeated once per call site (KIND:@N; per call,
 * KIND:N, where a kind makes at most a dozen calls) with that one call
 * failing, and each time: the fault fired; the process exited (no signal)
 * with the kind's documented status (3 device or host memory, 2 file or
 * data) or 0 with results identical to the clean run's (a fault the code
 * recovers from, e.g. a cached kernel binary that fails to build is rebuilt
 * from source); stderr names what failed and holds no sanitizer report (in
 * the ASan build: no leak, no error); the run folder holds no temporary and
 * no lock file, its results.csv is absent or a whole-line prefix of the
 * clean run's; and its manifest says "complete": false with the error and
 * failed_at (stage, source), unless the fault came before the folder was
 * made (then there is no folder). The program-build kind is swept twice:
 * with the kernel binary cached and with an empty cache. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bb-run.h"
#include "tap.h"

#define PER_CALL_MAX 12 /* kinds with at most this many calls are swept per call, else per site */

struct kind {
    const char *name;
    int status;        /* the documented exit status of a failure of this kind */
    const char *needle; /* what the error message must name ('|' between alternatives) */
    unsigned long calls, sites;
};

static struct kind g_kinds[] = {
    {"cl-alloc", 3, "clCreateBuffer", 0, 0},
    {"cl-build", 3, "clBuildProgram", 0, 0},
    {"cl-enqueue", 3, "clEnqueueNDRangeKernel", 0, 0},
    {"cl-finish", 3, "clFinish", 0, 0},
    {"malloc", 3, "memory|cannot allocate", 0, 0},
    {"write", 2, "No space left on device", 0, 0},
    {"rename", 2, "rename into place failed", 0, 0},
    {"dataset-open", 2, "cannot open dataset", 0, 0},
};
#define N_KINDS (sizeof g_kinds / sizeof g_kinds[0])

static const char *g_bin;
static char g_suite[4096], g_cache[4096];
static char *g_clean; /* the clean run's results.csv */
static unsigned g_absorbed, g_runs;

/* Faulted runs go PARALLEL at a time: each mostly waits on OpenCL start-up. */
#define PARALLEL 4
struct job {
    const struct kind *k;
    char spec[64], tag[8], dir[4200], errf[4300];
    pid_t pid;
};
static struct job g_jobs[PARALLEL];
static int g_n_jobs;

/* Start the fixture run into dir with BIASBENCH_FAULT=fault (NULL: unset)
 * and BIASBENCH_CACHE=cache, stderr to errf. */
static pid_t spawn_fixture(const char *dir, const char *fault, const char *cache, const char *errf)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen(errf, "w", stderr))
            _exit(127);
        if (fault)
            setenv("BIASBENCH_FAULT", fault, 1);
        else
            unsetenv("BIASBENCH_FAULT");
        setenv("BIASBENCH_CACHE", cache, 1);
        execl(g_bin, g_bin, "run", g_suite, "--out", dir, "--no-report", "-q", (char *)NULL);
        _exit(127);
    }
    g_runs++;
    return pid;
}

/* The raw wait status of pid; its stderr (errf) in *err. */
static int collect(pid_t pid, const char *errf, char **err)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *err = test_slurp(errf, NULL);
    if (!*err)
        *err = strdup("");
    return status;
}

/* One run, waited for. */
static int run_fixture(const char *dir, const char *fault, const char *cache, char **err)
{
    char ef[4200];
    snprintf(ef, sizeof ef, "%s/stderr.txt", test_tmp_dir());
    return collect(spawn_fixture(dir, fault, cache, ef), ef, err);
}

/* A file in dir (recursively) whose name marks a temporary or the lock; "" if none. */
static void leftover(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && !out[0]) {
        char p[4400];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (!stat(p, &sb) && S_ISDIR(sb.st_mode))
            leftover(p, out, n);
        else if (strstr(e->d_name, ".tmp.") || !strcmp(e->d_name, ".biasbench.lock"))
            snprintf(out, n, "%s", p);
    }
    if (d)
        closedir(d);
}

/* results.csv is absent, or whole lines from the start of the clean run's
 * (the tasks that finished; all of it when the run succeeded). */
static bool results_ok(const char *dir, bool success, char *why, size_t n)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/results.csv", dir);
    size_t len = 0;
    char *r = test_slurp(p, &len);
    bool good;
    if (!r) {
        good = !success;
        snprintf(why, n, "results.csv absent%s", good ? "" : " after a successful run");
        return good;
    }
    good = success ? !strcmp(r, g_clean)
                   : len > 0 && len <= strlen(g_clean) && !strncmp(r, g_clean, len) &&
                         r[len - 1] == '\n';
    snprintf(why, n, "results.csv (%zu bytes) %s the clean run's", len,
             good ? "agrees with" : "is not a whole-line prefix of");
    free(r);
    return good;
}

/* Does s contain one of needle's '|'-separated alternatives? */
static bool names(const char *s, const char *needle)
{
    char alt[128];
    for (const char *p = needle; *p;) {
        size_t n = strcspn(p, "|");
        snprintf(alt, sizeof alt, "%.*s", (int)n, p);
        if (s && strstr(s, alt))
            return true;
        p += n + (p[n] == '|');
    }
    return false;
}

/* The manifest of a finished or failed run says which, and for a failure the
 * error (naming needle) and failed_at. */
static bool manifest_ok(const char *dir, bool success, const char *needle, char *why, size_t n)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    json_error_t je;
    json_t *m = json_load_file(p, 0, &je);
    if (!m) {
        snprintf(why, n, "manifest.json: %s", je.text);
        return false;
    }
    json_t *complete = json_object_get(m, "complete"), *at = json_object_get(m, "failed_at");
    const char *error = json_string_value(json_object_get(m, "error"));
    bool good;
    if (success) {
        good = json_is_true(complete) && !error;
        snprintf(why, n, "manifest: complete %s", good ? "true" : "not true, or an error");
    } else {
        const char *stage = json_string_value(json_object_get(at, "stage"));
        const char *src = json_string_value(json_object_get(at, "source"));
        good = json_is_false(complete) && names(error, needle) && stage && src;
        snprintf(why, n, "manifest: complete false, error '%.200s', failed_at %s/%s",
                 error ? error : "(none)", stage ? stage : "(no stage)", src ? src : "(no source)");
    }
    json_decref(m);
    return good;
}

/* One faulted run and everything it must leave behind: one test point. */
static void check_job(const struct job *j)
{
    const struct kind *k = j->k;
    const char *spec = j->spec, *tag = j->tag, *dir = j->dir;
    char why[2048] = "", left[4400] = "";
    char *err = NULL;
    int st = collect(j->pid, j->errf, &err);
    char fired[128];
    snprintf(fired, sizeof fired, "fault injection: %s call", k->name);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    bool good = strstr(err, fired) != NULL;
    if (!good)
        snprintf(why, sizeof why, "the fault never fired");
    if (good && (!WIFEXITED(st) || (rc != 0 && rc != k->status))) {
        good = false;
        snprintf(why, sizeof why, "exit %d (wait status %#x), expected %d or a recovery (0)", rc,
                 (unsigned)st, k->status);
    }
    if (good && (strstr(err, "Sanitizer") || strstr(err, "runtime error:"))) {
        good = false;
        snprintf(why, sizeof why, "a sanitizer report on stderr");
    }
    if (good && rc && (!strstr(err, "biasbench run: ") || !names(err, k->needle))) {
        good = false;
        snprintf(why, sizeof why, "stderr does not name the failure ('%s')", k->needle);
    }
    struct stat sb;
    bool have_dir = !stat(dir, &sb);
    if (good && have_dir) {
        leftover(dir, left, sizeof left);
        if (left[0]) {
            good = false;
            snprintf(why, sizeof why, "left behind: %s", left);
        }
    }
    if (good && have_dir)
        good = results_ok(dir, rc == 0, why, sizeof why) &&
               manifest_ok(dir, rc == 0, k->needle, why, sizeof why);
    if (good && !have_dir && rc == 0) {
        good = false;
        snprintf(why, sizeof why, "exit 0 without a run folder");
    }
    g_absorbed += good && rc == 0;
    ok(good, "%s%s: exit %d, %s%s", spec, strcmp(tag, "cold") ? "" : " (empty kernel cache)", rc,
       rc == 0 ? "recovered, results as the clean run's" : "failure named",
       have_dir ? "" : ", no folder");
    if (!good) {
        diag("%s", why);
        test_diag_text("stderr", err);
    }
    free(err);
}

static void drain(void)
{
    for (int i = 0; i < g_n_jobs; i++)
        check_job(&g_jobs[i]);
    g_n_jobs = 0;
}

/* Start the fixture with spec's fault ("f" or "cold" names its folder). */
static void start(const struct kind *k, const char *spec, const char *cache, const char *tag)
{
    struct job *j = &g_jobs[g_n_jobs++];
    j->k = k;
    snprintf(j->spec, sizeof j->spec, "%s", spec);
    snprintf(j->tag, sizeof j->tag, "%s", tag);
    snprintf(j->dir, sizeof j->dir, "%s/%s-%s", test_tmp_dir(), tag, spec);
    for (char *c = j->dir + strlen(test_tmp_dir()); *c; c++)
        if (*c == ':' || *c == '@')
            *c = '_';
    memcpy(j->errf, j->dir, strlen(j->dir) + 1); /* dir is shorter than errf by 100 */
    strcat(j->errf, ".stderr");
    j->pid = spawn_fixture(j->dir, spec, cache, j->errf);
    if (g_n_jobs == PARALLEL)
        drain();
}

/* Read "biasbench: fault count: KIND calls C sites S" lines. */
static void read_counts(const char *err)
{
    for (size_t i = 0; i < N_KINDS; i++) {
        char pat[128];
        snprintf(pat, sizeof pat, "fault count: %s calls ", g_kinds[i].name);
        const char *p = strstr(err, pat);
        if (p)
            sscanf(p + strlen(pat), "%lu sites %lu", &g_kinds[i].calls, &g_kinds[i].sites);
    }
}

static void sweep(struct kind *k, const char *cache)
{
    bool per_call = k->calls <= PER_CALL_MAX;
    unsigned long n = per_call ? k->calls : k->sites;
    for (unsigned long i = 1; i <= n; i++) {
        char spec[64];
        snprintf(spec, sizeof spec, "%s:%s%lu", k->name, per_call ? "" : "@", i);
        start(k, spec, cache, "f");
    }
    drain();
}

/* cl-build with no cached kernel binary: a fresh cache folder per run. */
static void sweep_cold_build(struct kind *k)
{
    char cache[4200], dir[4200], *err = NULL;
    snprintf(cache, sizeof cache, "%s/cold-count", test_tmp_dir());
    snprintf(dir, sizeof dir, "%s/cold-count-run", test_tmp_dir());
    int st = run_fixture(dir, "count", cache, &err);
    unsigned long calls = 0, sites = 0;
    const char *p = strstr(err, "fault count: cl-build calls ");
    bool read = p && sscanf(p + strlen("fault count: cl-build calls "), "%lu sites %lu", &calls,
                            &sites) == 2;
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && read && calls >= 1,
       "empty kernel cache: the counting run builds the program (%lu cl-build calls)", calls);
    free(err);
    for (unsigned long i = 1; i <= calls && i <= PER_CALL_MAX; i++) {
        char spec[64];
        snprintf(spec, sizeof spec, "cl-build:%lu", i);
        snprintf(cache, sizeof cache, "%s/cold-%lu", test_tmp_dir(), i);
        start(k, spec, cache, "cold");
    }
    drain();
}

int main(void)
{
    plan_lazy();
    g_bin = test_bb_bin();
    char models[4200], dir[4200], p[4300], *err = NULL;
    snprintf(models, sizeof models, "%s", test_src_path("tests/data/models"));
    setenv("BIASBENCH_MODELS", models, 1);
    snprintf(g_suite, sizeof g_suite, "%s", test_src_path("tests/data/fault/fault.yaml"));
    snprintf(g_cache, sizeof g_cache, "%s/cache", test_tmp_dir());

    snprintf(dir, sizeof dir, "%s/clean", test_tmp_dir());
    int st = run_fixture(dir, NULL, g_cache, &err);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 2 && strstr(err, "OpenCL") && !test_in_ci())
        skip_all("no OpenCL device: %s", err);
    snprintf(p, sizeof p, "%s/results.csv", dir);
    g_clean = test_slurp(p, NULL);
    if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && g_clean, "the clean run succeeds"))
        bail("the fixture run fails without a fault: %s", err);
    free(err);

    snprintf(dir, sizeof dir, "%s/count", test_tmp_dir());
    st = run_fixture(dir, "count", g_cache, &err);
    read_counts(err);
    snprintf(p, sizeof p, "%s/results.csv", dir);
    char *counted = test_slurp(p, NULL);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && counted && !strcmp(counted, g_clean),
       "BIASBENCH_FAULT=count fails nothing: the same results");
    free(counted);
    free(err);
    for (size_t i = 0; i < N_KINDS; i++)
        ok(g_kinds[i].calls > 0 && g_kinds[i].sites > 0 && g_kinds[i].sites <= g_kinds[i].calls,
           "the run reaches %s: %lu calls from %lu sites", g_kinds[i].name, g_kinds[i].calls,
           g_kinds[i].sites);

    unsigned long points = 0;
    for (size_t i = 0; i < N_KINDS; i++) {
        struct kind *k = &g_kinds[i];
        unsigned before = g_runs;
        sweep(k, g_cache);
        points += g_runs - before;
        diag("%s: %u faulted runs (%s)", k->name, g_runs - before,
             k->calls <= PER_CALL_MAX ? "every call" : "every site");
    }
    sweep_cold_build(&g_kinds[1]);
    diag("%u runs in all; %u faults recovered from (exit 0, same results)", g_runs, g_absorbed);
    ok(points > 0, "swept %lu faulted runs over %zu kinds", points, N_KINDS);
    free(g_clean);
    return tap_failures() ? 1 : 0;
}
