/* cmd_gate.c: `biasbench gate --baseline RUN_OR_CSV [--candidate RUN]`: check
 * the suite's gates (gate.h) and print TAP version 13 on stdout; exit 0 when
 * every gate passes, 1 when one fails, 2 on bad input. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "compare/compare.h"
#include "compare/gate.h"
#include "suite/suite.h"

static const char usage_text[] =
    "usage: biasbench gate --baseline RUN_OR_CSV [--candidate RUN] [options]\n\n"
    "Check the CI gates of the candidate run's suite (its manifest's suite path,\n"
    "or --suite) against a baseline run directory or a bare results.csv, and\n"
    "print TAP version 13 on stdout: one test point per gate and per row it\n"
    "applies to, each with a YAML block (metric, baseline, candidate, delta, ci,\n"
    "p_value, threshold, method). With no gates in the suite, the default gate\n"
    "fails on any statistically significant worsening of a quality metric.\n"
    "A bare CSV baseline has no per-item data: significance is then judged by\n"
    "non-overlap of the 95% CIs, and the diagnostics say so. See docs/ci.md.\n\n"
    "  -B, --baseline R     baseline run directory or results.csv (required)\n"
    "  -C, --candidate R    candidate run directory (default: the one argument,\n"
    "                       else the current directory)\n"
    "  -S, --suite FILE     read the gates from this suite\n"
    "  -j, --junit FILE     also write JUnit XML there\n"
    BB_CLI_BOOTSTRAP_HELP "\n"
    "Exit status: 0 every gate passed, 1 a gate failed, 2 bad input.\n";

struct gate_args {
    const char *baseline, *candidate, *suite, *junit;
    struct bb_cmp_opts opt;
};

static enum bb_status parse_args(int argc, char **argv, struct gate_args *a, bool *help,
                                 struct bb_error *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},           {"baseline", required_argument, NULL, 'B'},
        {"candidate", required_argument, NULL, 'C'}, {"suite", required_argument, NULL, 'S'},
        {"junit", required_argument, NULL, 'j'},    BB_CLI_BOOTSTRAP_LONGOPTS,
        {0}};
    int opt;
    enum bb_status st = BB_OK;
    optind = 1;
    while (!st && (opt = getopt_long(argc, argv, "hB:C:S:j:r:s:", longopts, NULL)) != -1) {
        if (bb_cli_bootstrap_option(&a->opt, opt, optarg, err, &st))
            continue;
        switch (opt) {
        case 'h': *help = true; return BB_OK;
        case 'B': a->baseline = optarg; break;
        case 'C': a->candidate = optarg; break;
        case 'S': a->suite = optarg; break;
        case 'j': a->junit = optarg; break;
        default: return bb_fail(err, BB_E_USAGE, "see 'biasbench gate --help'");
        }
    }
    if (st)
        return st;
    if (!a->baseline)
        return bb_fail(err, BB_E_USAGE,
                       "--baseline RUN_OR_CSV is required (see 'biasbench gate --help')");
    if (optind < argc && a->candidate)
        return bb_fail(err, BB_E_USAGE,
                       "unexpected argument '%s' (the candidate is given by --candidate)",
                       argv[optind]);
    if (optind + 1 < argc)
        return bb_fail(err, BB_E_USAGE, "unexpected argument '%s'", argv[optind + 1]);
    if (!a->candidate)
        a->candidate = optind < argc ? argv[optind] : ".";
    return BB_OK;
}

static enum bb_status load_suite(const struct gate_args *a, const struct bb_rundata *cand,
                                 struct bb_suite **s, struct bb_error *err)
{
    const char *path = a->suite ? a->suite : bb_rundata_suite_path(cand);
    if (!path)
        return bb_fail(err, BB_E_INPUT,
                       "%s: the candidate has no manifest.json naming its suite; "
                       "give --suite SUITE", cand->path);
    struct stat sb;
    if (!a->suite && stat(path, &sb) != 0)
        return bb_fail(err, BB_E_IO,
                       "%s/manifest.json: suite.path '%s' cannot be read from here (it is as given "
                       "to 'biasbench run'); give --suite SUITE",
                       cand->path, path);
    struct bb_diagnostics d = {0};
    enum bb_status st = bb_suite_load(path, s, &d, err);
    if (st && d.n)
        bb_suite_print_errors(&d, stderr);
    bb_diagnostics_free(&d);
    return st;
}

static enum bb_status run_gate(struct gate_args *a, bool *failed, struct bb_error *err)
{
    struct bb_rundata base = {0}, cand = {0};
    struct bb_suite *s = NULL;
    struct bb_gate_report r = {0};
    enum bb_status st = bb_rundata_load(a->baseline, &base, err);
    if (st)
        bb_error_prefix(err, "baseline");
    if (!st && (st = bb_rundata_load(a->candidate, &cand, err)))
        bb_error_prefix(err, "candidate");
    if (!st)
        st = load_suite(a, &cand, &s, err);
    if (!st)
        st = bb_gate_evaluate(s, &base, &cand, &a->opt, &r, err);
    if (!st) {
        bb_gate_write_tap(&r, stdout);
        fflush(stdout);
        *failed = r.n_failed > 0;
        if (r.warning[0])
            fprintf(stderr, "biasbench gate: warning: %s\n", r.warning);
    }
    if (!st && a->junit)
        st = bb_gate_write_junit(&r, a->junit, err);
    bb_gate_report_free(&r);
    bb_suite_free(s);
    bb_rundata_free(&base);
    bb_rundata_free(&cand);
    return st;
}

int bb_cmd_gate(int argc, char **argv)
{
    struct gate_args a = {.opt = bb_cmp_opts_default()};
    struct bb_error err = {0};
    bool help = false, failed = false;
    enum bb_status st = parse_args(argc, argv, &a, &help, &err);
    if (!st && help) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!st)
        st = run_gate(&a, &failed, &err);
    if (st)
        return bb_cli_fail("gate", st, &err);
    return failed ? bb_status_exit_code(BB_E_GATE) : 0;
}
