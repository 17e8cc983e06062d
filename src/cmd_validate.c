/* cmd_validate.c: `biasbench validate SUITE`: load and check a suite without
 * running it; print every problem (exit 2) or a one-line summary (exit 0). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "suite.h"

static const char usage_text[] =
    "usage: biasbench validate SUITE...\n\n"
    "Check each suite file (and its includes) without running it: unknown keys,\n"
    "wrong types, missing references and bad values, each as file:line:col.\n"
    "Exit 0 when every suite is valid, 2 otherwise.\n";

static int validate_one(const char *path)
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
    printf("%s: suite '%s' is valid: %zu model(s), %zu dataset(s), %zu task(s), %zu gate(s)",
           path, s->name, s->n_models, s->n_datasets, s->n_tasks, s->n_gates);
    if (s->n_files > 1)
        printf(", %zu file(s) with includes", s->n_files);
    printf("\n");
    bb_diagnostics_free(&diag);
    bb_suite_free(s);
    return 0;
}

int bb_cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    int opt, rc = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        fprintf(stderr, "biasbench validate: see 'biasbench validate --help'\n");
        return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "biasbench validate: expected a SUITE file (see 'biasbench validate --help')\n");
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        int r = validate_one(argv[i]);
        if (r > rc)
            rc = r;
    }
    return rc;
}
