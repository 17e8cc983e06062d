/* tap-totals-t.c: scripts/tap-totals.sh, which turns automake's test-suite.log
 * into "N passed, N failed, N skipped", behind CI's closing line:
 * a clean log, a log with failures whose appended test output repeats
 * "# PASS:"-style lines, and a missing log (the build failed). */
#include <stdio.h>
#include <string.h>

#include "tap.h"

static const char *totals(const char *log)
{
    static char out[128];
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "bash '%s' '%s'", test_src_path("scripts/tap-totals.sh"), log);
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        bail("cannot run %s", cmd);
    if (!fgets(out, sizeof out, p))
        out[0] = '\0';
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static const char *write_log(const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", test_tmp_dir(), name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        bail("cannot write %s", path);
    return path;
}

int main(void)
{
    plan(3);
    const char *clean = "==========\n   biasbench 0.1.0: ./test-suite.log\n==========\n\n"
                        "# TOTAL: 47\n# PASS:  45\n# SKIP:  2\n# XFAIL: 0\n# FAIL:  0\n"
                        "# XPASS: 0\n# ERROR: 0\n\n.. contents:: :depth: 2\n";
    is_string("45 passed, 0 failed, 2 skipped", totals(write_log("clean.log", clean)),
              "clean log: PASS counted as passed, SKIP counted and shown apart");

    const char *bad = "==========\n   biasbench 0.1.0: ./test-suite.log\n==========\n\n"
                      "# TOTAL: 23\n# PASS:  14\n# SKIP:  3\n# XFAIL: 1\n# FAIL:  2\n"
                      "# XPASS: 1\n# ERROR: 2\n\n.. contents:: :depth: 2\n\n"
                      "FAIL: tests/x.t\n===============\n\n# PASS: 99\n# SKIP: 99\n# FAIL: 99\n"
                      "# ERROR: 99\n";
    is_string("15 passed, 5 failed, 3 skipped", totals(write_log("bad.log", bad)),
              "PASS+XFAIL vs FAIL+XPASS+ERROR; appended test output ignored");

    is_string("0 passed, 1 failed, 0 skipped", totals("/nonexistent/test-suite.log"),
              "missing log counts as one failure");
    return 0;
}
