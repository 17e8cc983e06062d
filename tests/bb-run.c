/* bb-run.c: running the biasbench binary from the C tests (bb-run.h). */
#include "bb-run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

const char *test_bb_bin(void)
{
    const char *bin = getenv("BIASBENCH");
    if (!bin || !*bin)
        bin = "./biasbench";
    if (access(bin, X_OK))
        bail("%s: not found (set BIASBENCH)", bin);
    return bin;
}

pid_t test_spawn(const char *const *argv, const char *out, const char *errf)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        bool same = out && errf && !strcmp(out, errf);
        if (!freopen(out ? out : "/dev/null", "w", stdout) ||
            !freopen(errf ? errf : "/dev/null", same ? "a" : "w", stderr))
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int test_wait_rc(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

void test_sleep(double secs)
{
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
}

int test_wait_status(pid_t pid, double secs)
{
    int status = 0;
    for (int i = 0; i < (int)(secs / 0.05); i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -2;
        test_sleep(0.05);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* The text of path, or "" when it cannot be read (never NULL). */
static char *slurp_or_empty(const char *path)
{
    char *s = test_slurp(path, NULL);
    return s ? s : strdup("");
}

int test_run_bin(const char *bin, const char *const *args, char **out, char **err)
{
    const char *argv[64] = {bin};
    size_t n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    char o[4200], e[4200];
    snprintf(o, sizeof o, "%s/stdout.txt", test_tmp_dir());
    snprintf(e, sizeof e, "%s/stderr.txt", test_tmp_dir());
    int rc = test_wait_rc(test_spawn(argv, o, e));
    if (out)
        *out = slurp_or_empty(o);
    if (err)
        *err = slurp_or_empty(e);
    return rc;
}

char *test_non_timing(const char *dir)
{
    char p[4200];
    if (snprintf(p, sizeof p, "%s/results.csv", dir) >= (int)sizeof p)
        bail("path too long: %s/results.csv", dir);
    char *s = test_slurp(p, NULL);
    if (!s)
        return NULL;
    char *out = calloc(strlen(s) + 1, 1);
    if (!out)
        bail("out of memory reading %s", p);
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        size_t len = strlen(line);
        /* kind is the column before unit, the last (or last, in older runs) */
        if (strstr(line, ",timing,") || (len >= 7 && !strcmp(line + len - 7, ",timing")))
            continue;
        strcat(out, line);
        strcat(out, "\n");
    }
    free(s);
    return out;
}

void test_diag_text(const char *what, const char *text)
{
    diag("%s:", what);
    for (const char *p = text ? text : "(none)"; *p;) {
        size_t n = strcspn(p, "\n");
        diag("  %.*s", (int)(n > 400 ? 400 : n), p);
        p += n + (p[n] == '\n');
    }
}
