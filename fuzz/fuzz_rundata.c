/* fuzz_rundata.c: libFuzzer harness for a run as `biasbench compare` and
 * `biasbench gate` read it (src/compare/compare.c over src/suite/dataset.c): manifest.json,
 * results.csv and the per-item files, then a full comparison of the run with
 * itself (every paired test: bootstrap, McNemar, WEAT, counterfactual, CI
 * overlap; Benjamini-Hochberg), written in all three formats.
 *
 * Input parts, split on "\n#@@\n": 0 manifest.json (when empty: no manifest,
 * and the bare results.csv is loaded instead), 1 results.csv, 2 the per-item
 * file of the first result row (items/<task>__<model>.csv, and the same bytes
 * as items/<task>__<model>__cos.csv). Bootstrap replicates are cut to 16. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "fuzz-common.h"
#include "metrics/results.h"

static char g_items[2][1024]; /* item files written by the previous input */

BB_FUZZ_TARGET(rundata)
{
    struct bb_fuzz_part part[3];
    size_t np = bb_fuzz_split(data, size, part, 3);
    for (int i = 0; i < 2; i++)
        if (g_items[i][0]) {
            bb_fuzz_remove(g_items[i]);
            g_items[i][0] = 0;
        }
    bool bare = part[0].n == 0;
    if (bare)
        bb_fuzz_remove("run/manifest.json");
    else
        bb_fuzz_write("run/manifest.json", part[0].p, part[0].n);
    if (np > 1)
        bb_fuzz_write("run/results.csv", part[1].p, part[1].n);
    else
        bb_fuzz_remove("run/results.csv");
    char path[4096];
    bb_fuzz_path(path, sizeof path, bare ? "run/results.csv" : "run");

    struct bb_rundata r = {0};
    struct bb_error err = {0};
    bb_fuzz_confine(true);
    enum bb_status st = bb_rundata_load(path, &r, &err);
    bb_fuzz_confine(false);
    bb_fuzz_note("rundata", st, &err);
    if (st)
        return 0;
    if (np > 2 && r.results.n > 0) {
        char ft[256], fm[256];
        bb_items_name_part(ft, sizeof ft, r.results.rows[0].task);
        bb_items_name_part(fm, sizeof fm, r.results.rows[0].model);
        if (strlen(ft) + strlen(fm) + 11 > 255)
            goto compare; /* a file name the file system refuses: compare.c finds none either */
        snprintf(g_items[0], sizeof g_items[0], "run/items/%s__%s.csv", ft, fm);
        snprintf(g_items[1], sizeof g_items[1], "run/items/%s__%s__cos.csv", ft, fm);
        for (int i = 0; i < 2; i++)
            bb_fuzz_write(g_items[i], part[2].p, part[2].n);
    }
compare:
    bb_rundata_suite_path(&r);
    const char *ids[64];
    size_t nm = bb_rundata_models(&r, ids, 64);
    bb_compare_check_same(&r, &r, &err);

    struct bb_cmp_opts opt = bb_cmp_opts_default();
    opt.replicates = 16;
    struct bb_comparison c = {0};
    bb_fuzz_confine(true);
    st = bb_compare_runs(&r, &r, &opt, &c, &err);
    bb_fuzz_confine(false);
    if (!st) {
        bb_compare_write(&c, BB_CMP_MD, "a", "b", bb_fuzz_null());
        bb_compare_write(&c, BB_CMP_HTML, "a", "b", bb_fuzz_null());
        bb_compare_write(&c, BB_CMP_CSV, "a", "b", bb_fuzz_null());
        bb_comparison_free(&c);
    }
    if (nm >= 2) { /* two models of one run, as `compare RUN --models A,B` does */
        struct bb_comparison c2 = {0};
        opt.model_a = ids[0];
        opt.model_b = ids[1];
        bb_fuzz_confine(true);
        if (!bb_compare_runs(&r, &r, &opt, &c2, &err))
            bb_comparison_free(&c2);
        bb_fuzz_confine(false);
    }
    bb_rundata_free(&r);
    return 0;
}
