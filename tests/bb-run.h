/* bb-run.h: running the biasbench binary from the C tests (run-t, runlock-t,
 * fault-t, headline-t, lmtasks-t, reach-t): finding it, starting it with its
 * output in files, waiting for it (with a deadline), a run's results.csv
 * without its timing rows, and captured text as TAP diagnostics. */
#ifndef BB_TESTS_BB_RUN_H
#define BB_TESTS_BB_RUN_H

#include <stdbool.h>
#include <sys/types.h>

/* $BIASBENCH, else ./biasbench; bails when that is not executable. */
const char *test_bb_bin(void);
/* Fork and exec argv (argv[0] the program) with stdout into the file out and
 * stderr into errf (NULL: /dev/null; errf == out: appended to the same file).
 * Our own stdio is flushed first, else the child writes buffered TAP lines again. */
pid_t test_spawn(const char *const *argv, const char *out, const char *errf);
/* Wait for pid (EINTR retried): its exit status, or 128 + the signal. */
int test_wait_rc(pid_t pid);
/* Wait with a deadline: the raw wait status, or -1 when pid still runs after
 * secs (it is then killed with SIGKILL and reaped), -2 when waitpid fails. */
int test_wait_status(pid_t pid, double secs);
/* Run bin with args (NULL-terminated, without argv[0]), stdout and stderr into
 * test_tmp_dir()/stdout.txt and stderr.txt and kept in *out and *err (NULL: not
 * wanted; "" when unreadable). The exit status, or 128 + the signal. */
int test_run_bin(const char *bin, const char *const *args, char **out, char **err);
/* The lines of dir/results.csv whose kind is not timing (NULL: unreadable). */
char *test_non_timing(const char *dir);
/* text as diagnostics: "what:", then one line each, cut at 400 bytes. */
void test_diag_text(const char *what, const char *text);
void test_sleep(double secs);

#endif
