/* cmd_report.c: `biasbench report RUN_DIR [--suite SUITE] [--allow-missing]`:
 * rebuild the audit report (report.md, report.html) and its charts from a
 * finished run directory: results.csv read back, manifest.json and items/ as
 * the run left them, the suite named by the manifest (or --suite). Runs no
 * model. A section it cannot rebuild is an error naming it (exit 2), or with
 * --allow-missing a notice at the top of the report. */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    "The suite is the one manifest.json names (suite.abs_path, else suite.path\n"
    "as given to `run`), so this works from any folder. A suite whose sha256\n"
    "differs from the manifest's is used, with a warning. A section that cannot\n"
    "be rebuilt is an error naming it (exit 2): the suite's metadata and\n"
    "datasheets (sections 2, 3, 5) without a readable suite, the per-item charts\n"
    "and paired tests (sections 6, 7) without items/.\n\n"
    "  -s, --suite SUITE    read this suite file instead (an error if it cannot be read)\n"
    "  -m, --allow-missing  write the report anyway, with a notice at its top saying\n"
    "                       which sections are incomplete and why\n\n"
    "Exit status: 0 written, 2 not a run directory, unreadable results or suite, or a\n"
    "section that cannot be rebuilt (without --allow-missing).\n";

static const char suite_sections[] =
    "sections 2 (intended use), 3 (factors) and 5 (evaluation data: datasheets)";

/* A section that cannot be rebuilt: an error naming it, or with
 * --allow-missing a warning and a line of the report's notice. */
static enum bb_status missing(bool allow, char *notice, size_t n, struct bb_error *err,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum bb_status missing(bool allow, char *notice, size_t n, struct bb_error *err,
                              const char *fmt, ...)
{
    char what[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!allow)
        return bb_fail(err, BB_E_INPUT, "cannot rebuild %s (give --allow-missing to write the "
                       "report without them, marked as incomplete)", what);
    bb_warn("report: --allow-missing: %s are incomplete", what);
    size_t len = strlen(notice);
    snprintf(notice + len, n - len, "%sNot rebuilt: %s.", len ? " " : "", what);
    return BB_OK;
}

/* Load the suite: --suite (errors are fatal) or the manifest's (missing:
 * the sections it fills cannot be rebuilt). */
static enum bb_status load_suite(const char *given, const struct bb_rundata *run, bool allow,
                                 char *notice, size_t nn, struct bb_suite **out,
                                 struct bb_error *err)
{
    const char *path = given ? given : bb_rundata_suite_path(run);
    struct bb_diagnostics dg = {0};
    *out = NULL;
    if (!path)
        return missing(allow, notice, nn, err, "%s: %s/manifest.json names no suite (give one "
                       "with --suite)", suite_sections, run->dir);
    enum bb_status st = bb_suite_load(path, out, &dg, err);
    if (st && dg.n)
        bb_suite_print_errors(&dg, stderr);
    bb_diagnostics_free(&dg);
    if (st && !given) {
        char why[1100];
        snprintf(why, sizeof why, "%s", err->msg);
        *err = (struct bb_error){0};
        *out = NULL;
        return missing(allow, notice, nn, err, "%s: the run's suite %s cannot be read (%s; give "
                       "--suite SUITE)", suite_sections, path, why);
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

/* items/ holds the per-item files the charts and paired tests read. */
static enum bb_status check_items(const struct bb_rundata *run, bool allow, char *notice,
                                  size_t n, struct bb_error *err)
{
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/items", run->dir);
    if (!run->results.n || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)))
        return BB_OK;
    return missing(allow, notice, n, err, "section 6's per-item charts and section 7's paired "
                   "tests between models: %s is missing", path);
}

int bb_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"suite", required_argument, NULL, 's'},
                                             {"allow-missing", no_argument, NULL, 'm'},
                                             {0}};
    const char *suite_path = NULL;
    bool allow = false;
    char notice[4096] = "";
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hs:m", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (opt == 's') {
            suite_path = optarg;
            continue;
        }
        if (opt == 'm') {
            allow = true;
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
    if (!(st = load_suite(suite_path, &run, allow, notice, sizeof notice, &suite, &err)) &&
        !(st = check_items(&run, allow, notice, sizeof notice, &err)))
        st = bb_report_write_notice(run.dir, suite, &run.results, *notice ? notice : NULL, &err);
    if (!st)
        printf("%s/report.md, %s/report.html and %s/charts/ rebuilt from %zu result rows\n",
               run.dir, run.dir, run.dir, run.results.n);
    bb_suite_free(suite);
    bb_rundata_free(&run);
    return st ? bb_cli_fail("report", st, &err) : 0;
}
