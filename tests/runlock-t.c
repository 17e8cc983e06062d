/* runlock-t.c: a run directory has one writer, and SIGTERM/SIGHUP end a run
 * as Ctrl-C does (docs/run-directory.md). With a long run in progress
 * (tests/data/run/interrupt.yaml: its last task cannot finish during the
 * test) a second `run` into the same --out refuses at once, with or without
 * --force, naming the first run's pid, and leaves the folder alone; a lock
 * held by another process (this test, with flock) is refused the same way;
 * a lock file left by a dead process is taken over with a warning; and
 * SIGTERM and SIGHUP mid-run exit 143 and 129 (128 + the signal, from the
 * handler, not a death by the signal) leaving complete files only, the lock
 * file removed and a manifest that says "complete": false. The fast cases
 * use the fault sweep's tiny fixture (tests/data/fault/fault.yaml). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bb-run.h"
#include "tap.h"

static const char *g_bin;
static char g_data[4096], g_long[4096], g_tiny[4096];

/* Start `biasbench run SUITE --out DIR [--force]`, stderr to errf. */
static pid_t spawn_run(const char *suite, const char *dir, bool force, const char *errf)
{
    const char *argv[] = {g_bin, "run", suite, "--data-dir", g_data, "--out", dir, "--no-report",
                          force ? "--force" : "--no-report", NULL}; /* not -q: warnings */
    return test_spawn(argv, NULL, errf);
}

static bool exited_with(int st, int code)
{
    return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

static bool exists(const char *dir, const char *name)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return !access(p, F_OK);
}

/* No temporary and no lock file anywhere under dir; every JSON file parses. */
static bool dir_clean(const char *dir, char *why, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool good = true;
    while (d && good && (e = readdir(d))) {
        char p[4400];
        struct stat sb;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (!stat(p, &sb) && S_ISDIR(sb.st_mode)) {
            good = dir_clean(p, why, n);
        } else if (strstr(e->d_name, ".tmp.") || !strcmp(e->d_name, ".biasbench.lock")) {
            good = false;
            snprintf(why, n, "left behind: %s", p);
        } else if (strstr(e->d_name, ".json")) {
            json_t *j = json_load_file(p, 0, NULL);
            good = j != NULL;
            if (!good)
                snprintf(why, n, "%s: not valid JSON", p);
            json_decref(j);
        }
    }
    if (d)
        closedir(d);
    return good;
}

/* A long run into dir, under way: its manifest exists and it still runs. */
static pid_t start_long(const char *dir, const char *errf)
{
    char mf[4300];
    snprintf(mf, sizeof mf, "%s/manifest.json", dir);
    pid_t pid = spawn_run(g_long, dir, false, errf);
    for (int i = 0; i < 600 && access(mf, F_OK); i++) /* up to 30 s */
        test_sleep(0.05);
    test_sleep(0.3);
    return pid;
}

static bool running(pid_t pid)
{
    int st;
    return waitpid(pid, &st, WNOHANG) == 0;
}

/* SIGTERM or SIGHUP mid-run: the interrupt handler's exit, complete files. */
static void test_signal(int sig, const char *name)
{
    char dir[4200], errf[4300], why[4600] = "", mf[4300];
    snprintf(dir, sizeof dir, "%s/sig-%s", test_tmp_dir(), name);
    snprintf(errf, sizeof errf, "%s/sig-%s.err", test_tmp_dir(), name);
    snprintf(mf, sizeof mf, "%s/manifest.json", dir);
    pid_t pid = start_long(dir, errf);
    bool was = running(pid) && exists(dir, "manifest.json") && exists(dir, ".biasbench.lock");
    ok(was, "%s: the run is under way (manifest and lock file written) and still running", name);
    kill(pid, sig);
    int st = test_wait_status(pid, 30);
    ok(exited_with(st, 128 + sig), "%s: the handler ran: exit status %d, not a death by the "
       "signal (wait status %#x)", name, 128 + sig, (unsigned)st);
    ok(was && dir_clean(dir, why, sizeof why), "%s: no temporary or lock file left %s", name, why);
    json_t *m = json_load_file(mf, 0, NULL);
    ok(m && json_is_false(json_object_get(m, "complete")) && !exists(dir, "results.csv"),
       "%s: manifest says complete: false, no results.csv", name);
    json_decref(m);
}

/* Two runs into one folder: the second refuses, the first goes on. */
static void test_second_run(void)
{
    char dir[4200], errf[4300], err2[4300], why[4600] = "", want[64];
    snprintf(dir, sizeof dir, "%s/shared-out", test_tmp_dir());
    snprintf(errf, sizeof errf, "%s/shared-1.err", test_tmp_dir());
    snprintf(err2, sizeof err2, "%s/shared-2.err", test_tmp_dir());
    pid_t first = start_long(dir, errf);
    snprintf(want, sizeof want, "pid %ld", (long)first);
    for (int force = 0; force < 2; force++) {
        const char *how = force ? "with --force" : "without --force";
        int st = test_wait_status(spawn_run(g_long, dir, force, err2), 60);
        char *msg = test_slurp(err2, NULL);
        ok(exited_with(st, 2), "a second run into the same --out (%s) exits 2 (wait status %#x)",
           how, (unsigned)st);
        if (!ok(msg && strstr(msg, "in use by another biasbench run") && strstr(msg, want),
                "its message says the folder is in use and names the first run (%s)", want))
            test_diag_text("stderr", msg);
        free(msg);
    }
    ok(running(first) && exists(dir, "manifest.json") && exists(dir, ".biasbench.lock"),
       "the first run goes on, its manifest and lock in place");
    kill(first, SIGTERM);
    int st = test_wait_status(first, 30);
    ok(exited_with(st, 143) && dir_clean(dir, why, sizeof why),
       "the first run then ends on SIGTERM with complete files and no lock file %s", why);
}

/* A lock held by another process (this one), then by none. */
static void test_held_and_stale(void)
{
    char dir[4200], lock[4300], errf[4300], line[128];
    snprintf(dir, sizeof dir, "%s/held", test_tmp_dir());
    snprintf(lock, sizeof lock, "%s/.biasbench.lock", dir);
    snprintf(errf, sizeof errf, "%s/held.err", test_tmp_dir());
    mkdir(dir, 0777);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    int len = snprintf(line, sizeof line, "pid %ld started 2026-01-01T00:00:00Z\n", (long)getpid());
    bool held = fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB) && write(fd, line, (size_t)len) == len;
    ok(held, "this test holds %s", lock);
    int st = test_wait_status(spawn_run(g_tiny, dir, false, errf), 60);
    char *msg = test_slurp(errf, NULL), want[64];
    snprintf(want, sizeof want, "pid %ld", (long)getpid());
    if (!ok(exited_with(st, 2) && msg && strstr(msg, want) && !exists(dir, "manifest.json"),
            "a run into a folder locked by another process exits 2 naming it (%s), writes nothing",
            want))
        test_diag_text("stderr", msg);
    free(msg);
    if (fd >= 0)
        close(fd); /* the lock is gone with the descriptor; the file stays, naming a dead holder */

    /* a pid that no longer runs: a child of ours, reaped */
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    FILE *f = fopen(lock, "w");
    bool wrote = f && fprintf(f, "pid %ld started 2026-01-01T00:00:00Z\n", (long)dead) > 0;
    if (f)
        fclose(f);
    st = test_wait_status(spawn_run(g_tiny, dir, false, errf), 60);
    msg = test_slurp(errf, NULL);
    snprintf(want, sizeof want, "pid %ld", (long)dead);
    if (!ok(wrote && exited_with(st, 0) && msg && strstr(msg, "stale lock") && strstr(msg, want) &&
                strstr(msg, "no longer running"),
            "a lock file left by a dead process (%s) is taken over with a warning", want))
        test_diag_text("stderr", msg);
    free(msg);
    char why[4600] = "";
    ok(exists(dir, "results.csv") && dir_clean(dir, why, sizeof why),
       "that run finishes and removes its lock file %s", why);
}

int main(void)
{
    plan(18);
    g_bin = test_bb_bin();
    char models[4200];
    snprintf(models, sizeof models, "%s", test_src_path("tests/data/models"));
    setenv("BIASBENCH_MODELS", models, 1); /* the tiny fixture's model */
    snprintf(g_data, sizeof g_data, "%s", test_src_path("tests/data/run"));
    snprintf(g_long, sizeof g_long, "%s", test_src_path("tests/data/run/interrupt.yaml"));
    snprintf(g_tiny, sizeof g_tiny, "%s", test_src_path("tests/data/fault/fault.yaml"));
    test_model_dir("all-MiniLM-L6-v2"); /* the long runs: skip (bail under CI) without it */
    test_held_and_stale();
    test_second_run();
    test_signal(SIGTERM, "SIGTERM");
    test_signal(SIGHUP, "SIGHUP");
    return tap_failures() ? 1 : 0;
}
