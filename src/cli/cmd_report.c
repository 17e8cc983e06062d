/* cmd_report.c: `biasbench report RUN_DIR [--suite SUITE]`: rebuild the audit
 * report (report.md, report.html) and its charts from a finished run
 * directory: results.csv read back, manifest.json and items/ as the run left
 * them, the suite named by the manifest (or --suite). Runs no model. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare/compare.h"
#include "core/log.h"
#include "report/report.h"
#include "core/sha256.h"
#include "suite/suite.h"

static const char usage_text[] =
    "usage: biasbench report [--suite SUITE] RUN_DIR\n\n"
    "Rebuild RUN_DIR/report.md, RUN_DIR/report.html and the charts in\n"
    "RUN_DIR/charts/ from the run's results.csv, manifest.json and items/,\n"
    "without running any model: after installing gnuplot, after editing the\n"
    "suite's metadata or datasheets, or with a newer biasbench.\n\n"
    "The suite is the one manifest.json names (suite.path, as given to `run`,\n"
    "relative to the folder `run` was started in); a suite that cannot be read\n"
    "is warned about and the report is written without its metadata. A suite\n"
    "whose sha256 differs from the manifest's is used, with a warning.\n\n"
    "  -s, --suite SUITE    read this suite file instead (an error if it cannot be read)\n\n"
    "Exit status: 0 written, 2 not a run directory, unreadable results or suite.\n";

/* Load the suite: --suite (errors are fatal) or the manifest's (warned). */
static enum bb_status load_suite(const char *given, const struct bb_rundata *run,
                                 struct bb_suite **out, struct bb_error *err)
{
    const char *path = given ? given : bb_rundata_suite_path(run);
    struct bb_diagnostics dg = {0};
    *out = NULL;
    if (!path) {
        bb_warn("report: %s/manifest.json names no suite; the report has no suite metadata "
                "(give one with --suite)", run->dir);
        return BB_OK;
    }
    enum bb_status st = bb_suite_load(path, out, &dg, err);
    if (st && dg.n)
        bb_suite_print_errors(&dg, stderr);
    bb_diagnostics_free(&dg);
    if (st && !given) {
        bb_warn("report: the run's suite %s cannot be read (%s); the report has no suite "
                "metadata (give one with --suite)", path, err->msg);
        *out = NULL;
        return BB_OK;
    }
    if (st)
        return st;
    const json_t *s = run->manifest ? json_object_get(run->manifest, "suite") : NULL;
    const json_t *sha = s ? json_object_get(s, "sha256") : NULL;
    char hex[BB_SHA256_HEX_LEN];
    struct bb_error e = {0};
    if (json_is_string(sha) && !bb_sha256_file(path, hex, &e) &&
        strcmp(hex, json_string_value(sha)))
        bb_warn("report: %s has sha256 %.12s..., the run's suite had %.12s...: metadata and "
                "task definitions are read from the file as it is now", path, hex,
                json_string_value(sha));
    return BB_OK;
}

int bb_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"suite", required_argument, NULL, 's'}, {0}};
    const char *suite_path = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hs:", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (opt == 's') {
            suite_path = optarg;
            continue;
        }
        fprintf(stderr, "biasbench report: see 'biasbench report --help'\n");
        return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "biasbench report: expected one RUN_DIR (see 'biasbench report --help')\n");
        return 2;
    }
    const char *dir = argv[optind];
    struct bb_rundata run;
    struct bb_suite *suite = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_rundata_load(dir, &run, &err);
    if (st)
        return bb_cli_fail("report", st, &err);
    if (!run.dir) {
        bb_rundata_free(&run);
        err = (struct bb_error){0};
        return bb_cli_fail("report", bb_fail(&err, BB_E_INPUT, "%s: expected a run directory "
                                             "(with manifest.json and results.csv), found a file",
                                             dir), &err);
    }
    if (!(st = load_suite(suite_path, &run, &suite, &err)))
        st = bb_report_write(run.dir, suite, &run.results, &err);
    if (!st)
        printf("%s/report.md, %s/report.html and %s/charts/ rebuilt from %zu result rows\n",
               run.dir, run.dir, run.dir, run.results.n);
    bb_suite_free(suite);
    bb_rundata_free(&run);
    return st ? bb_cli_fail("report", st, &err) : 0;
}
