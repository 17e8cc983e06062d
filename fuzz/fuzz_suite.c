/* fuzz_suite.c: libFuzzer harness for the YAML suite reader (src/suite/suite.c, suite_yaml.c).
 *
 * Input: suite.yaml, then optional included files split on "\n#@@\n" and
 * written beside it as 1.yaml, 2.yaml, ... (so "include: [1.yaml]" reaches
 * them). Includes are resolved inside the sandbox: fopen is confined to it
 * (fuzz-common.c), so an include of /dev/stdin or ../../x fails like a
 * missing file. Every diagnostic is formatted, and on success the suite's
 * lookups are exercised. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "suite/suite.h"

BB_FUZZ_TARGET(suite)
{
    struct bb_fuzz_part part[BB_FUZZ_MAX_PARTS];
    size_t np = bb_fuzz_split(data, size, part, BB_FUZZ_MAX_PARTS);
    char name[32], path[4096];
    for (size_t i = 0; i < BB_FUZZ_MAX_PARTS; i++) {
        if (i == 0)
            snprintf(name, sizeof name, "suite.yaml");
        else
            snprintf(name, sizeof name, "%zu.yaml", i);
        if (i < np)
            bb_fuzz_write(name, part[i].p, part[i].n);
        else
            bb_fuzz_remove(name);
    }
    bb_fuzz_path(path, sizeof path, "suite.yaml");

    struct bb_suite *s = NULL;
    struct bb_diagnostics diag = {0};
    struct bb_error err = {0};
    bb_fuzz_confine(true);
    enum bb_status st = bb_suite_load(path, &s, &diag, &err);
    bb_fuzz_confine(false);
    bb_fuzz_note("suite", st, &err);
    bb_suite_print_errors(&diag, bb_fuzz_null());
    if (!st && s) {
        char buf[256];
        for (size_t i = 0; i < s->n_models; i++) {
            bb_suite_find_model(s, s->models[i].id);
            bb_suite_pos_str(s->models[i].pos, buf, sizeof buf);
        }
        for (size_t i = 0; i < s->n_datasets; i++) {
            const struct bb_suite_dataset *ds = bb_suite_find_dataset(s, s->datasets[i].id);
            for (size_t k = 0; ds && k < ds->n_columns; k++)
                bb_suite_dataset_column(ds, ds->columns[k].role);
            bb_suite_format_name(s->datasets[i].format);
        }
        for (size_t i = 0; i < s->n_tasks; i++) {
            bb_suite_find_task(s, s->tasks[i].id);
            bb_suite_task_type_name(s->tasks[i].type);
        }
        bb_suite_backend_name(s->defaults.backend);
        bb_suite_correction_name(s->defaults.correction);
        bb_suite_free(s);
    }
    bb_diagnostics_free(&diag);
    return 0;
}
