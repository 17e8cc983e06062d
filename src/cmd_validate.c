/* cmd_validate.c: `biasbench validate SUITE`: load and check a suite without
 * running it; print every problem (exit 2) or a one-line summary (exit 0). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "paths.h"
#include "suite.h"

static const char usage_text[] =
    "usage: biasbench validate [--data-dir DIR] SUITE...\n\n"
    "Check each suite file (and its includes) without running it: unknown keys,\n"
    "wrong types, missing references and bad values, each as file:line:col.\n"
    "Datasets that cannot be found along the search path are listed as notes\n"
    "(`run` skips the tasks that need them). Exit 0 when every suite is valid,\n"
    "2 otherwise.\n\n"
    "  -D, --data-dir DIR   look for datasets here first (as `run` does)\n";

/* Notes for datasets that are not on the search path (not errors). */
static void note_missing_data(const struct bb_suite *s, const char *data_dir)
{
    for (size_t i = 0; i < s->n_datasets; i++) {
        char path[4096], pos[512];
        struct bb_error err = {0};
        if (bb_paths_find_data(s->datasets[i].path, data_dir, path, sizeof path, &err) == BB_OK)
            continue;
        bb_suite_pos_str(s->datasets[i].path_pos, pos, sizeof pos);
        fprintf(stderr, "%s: note: dataset '%s': %s\n", pos, s->datasets[i].id, err.msg);
    }
}

static int validate_one(const char *path, const char *data_dir)
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
    note_missing_data(s, data_dir);
    bb_diagnostics_free(&diag);
    bb_suite_free(s);
    return 0;
}

int bb_cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"data-dir", required_argument, NULL, 'D'}, {0}};
    const char *data_dir = NULL;
    int opt, rc = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hD:", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (opt == 'D') {
            data_dir = optarg;
            continue;
        }
        fprintf(stderr, "biasbench validate: see 'biasbench validate --help'\n");
        return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "biasbench validate: expected a SUITE file (see 'biasbench validate --help')\n");
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        int r = validate_one(argv[i], data_dir);
        if (r > rc)
            rc = r;
    }
    return rc;
}
