/* cmd_validate.c: `biasbench validate SUITE`: load and check a suite without
 * running it; print every problem (exit 2) or a one-line summary (exit 0). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "suite/precheck.h"
#include "suite/suite.h"

static const char usage_text[] =
    "usage: biasbench validate [--data-dir DIR] [--require-all] SUITE...\n\n"
    "Check each suite file (and its includes) without running a model: unknown keys,\n"
    "wrong types, missing references and bad values; then every dataset file a task\n"
    "reads is parsed whole (every row), the columns each task names must exist,\n"
    "similarity scores must be numbers in score_range, every {SLOT} of a template\n"
    "must have a filler list, model sources must resolve and gate metrics must be\n"
    "metrics of the gated task. Each problem is one line FILE:LINE:COL: ...\n"
    "Relative dataset paths are looked up next to the suite file first, then along\n"
    "the data search path. Datasets found nowhere are notes (`run` skips the tasks\n"
    "that need them). Exit 0 when every suite is valid, 2 otherwise.\n\n"
    "  -D, --data-dir DIR   look for datasets here first (as `run` does)\n"
    "      --require-all    a dataset that cannot be found is an error (as `run --require-all`)\n";

static int validate_one(const char *path, const char *data_dir, bool require_all)
{
    struct bb_diagnostics diag = {0};
    struct bb_suite *s = NULL;
    struct bb_error err = {0};
    enum bb_status st = bb_suite_load(path, &s, &diag, &err);
    if (st) {
        if (diag.n)
            bb_suite_print_errors(&diag, stderr);
        else
            fprintf(stderr, "%s\n", err.msg[0] ? err.msg : bb_status_name(st));
        bb_diagnostics_free(&diag);
        return bb_status_exit_code(st);
    }
    bb_diagnostics_free(&diag);
    /* what can be checked without a model: data, columns, slots, models, gate metrics */
    struct bb_precheck pc;
    struct bb_precheck_opts po = {.data_dir = data_dir, .check_models = true};
    if ((st = bb_precheck_suite(s, &po, &pc, &err))) {
        fprintf(stderr, "%s\n", err.msg);
        bb_precheck_free(&pc);
        bb_suite_free(s);
        return bb_status_exit_code(st);
    }
    for (size_t i = 0; i < pc.n_missing; i++)
        fprintf(stderr, "%s%s\n", pc.missing[i],
                require_all ? " (an error with --require-all)" : " (`run` skips its tasks)");
    int rc = 0;
    if (pc.n_errors || (require_all && pc.n_missing)) {
        bb_precheck_print(&pc, stderr);
        if (!pc.n_errors)
            fprintf(stderr, "%zu dataset(s) not found (--require-all)\n", pc.n_missing);
        rc = 2;
    } else {
        printf("%s: suite '%s' is valid: %zu model(s), %zu dataset(s), %zu task(s), %zu gate(s)",
               path, s->name, s->n_models, s->n_datasets, s->n_tasks, s->n_gates);
        if (s->n_files > 1)
            printf(", %zu file(s) with includes", s->n_files);
        if (pc.n_missing)
            printf("; %zu dataset(s) not found (notes on stderr)", pc.n_missing);
        printf("\n");
    }
    bb_precheck_free(&pc);
    bb_suite_free(s);
    return rc;
}

int bb_cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"data-dir", required_argument, NULL, 'D'},
        {"require-all", no_argument, NULL, 'A'}, {0}};
    const char *data_dir = NULL;
    bool require_all = false;
    int opt, rc = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hD:", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (opt == 'A') {
            require_all = true;
            continue;
        }
        if (opt == 'D') {
            data_dir = optarg;
            continue;
        }
        fprintf(stderr, "biasbench validate: see 'biasbench validate --help'\n");
        return 2;
    }
    if (optind >= argc) {
        fprintf(stderr,
                "biasbench validate: expected a SUITE file (see 'biasbench validate --help')\n");
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        int r = validate_one(argv[i], data_dir, require_all);
        if (r > rc)
            rc = r;
    }
    return rc;
}
