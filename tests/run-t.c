/* run-t.c: end-to-end tests of `biasbench run` and `biasbench validate` on
 * the tiny fixture suite tests/data/run/tiny.yaml (similarity, zero-shot,
 * latency, and a task whose data is missing) with all-MiniLM-L6-v2: run
 * directory layout and manifest fields, quality values, skipped tasks,
 * determinism of every non-timing row under a seed, the seed's effect on
 * CIs, --limit, option errors, and Ctrl-C at several moments leaving only
 * complete files. Also unit checks of the task helpers (label
 * probabilities, seeds, per-item CSV quoting). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bb-run.h"
#include "tap.h"
#include "tasks/task.h"

/* Sanitizer builds (TEST_SANITIZED) leave out the whole-process cold start:
 * LLVM's cold kernel compilation leaks through libstdc++ frames that
 * LeakSanitizer's fast unwinder cannot attribute to libLLVM (tests/lsan.supp),
 * and full unwinding takes minutes. */

static const char *g_bin;
static char g_data[4096], g_suite[4096];

/* ---- helpers ---------------------------------------------------------------------- */

/* Run biasbench with args (NULL-terminated, without argv[0]); stdout and
 * stderr kept in *out / *err (may be NULL). */
static int run_bb(const char **args, char **out, char **err)
{
    return test_run_bin(g_bin, args, out, err);
}

static void path_in(char *buf, size_t n, const char *dir, const char *rel)
{
    if (snprintf(buf, n, "%s/%s", dir, rel) >= (int)n)
        bail("path too long: %s/%s", dir, rel);
}

/* Set the reason text (truncated if long). */
static void say(char *why, size_t wn, const char *path, const char *text)
{
    if (snprintf(why, wn, "%s: %s", path, text) >= (int)wn && wn > 4)
        memcpy(why + wn - 4, "...", 4);
}

/* CSV fields of one line, counting quotes. */
static int csv_fields(const char *line, size_t len)
{
    int n = 1;
    bool q = false;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '"')
            q = !q;
        else if (line[i] == ',' && !q)
            n++;
    }
    return n;
}

/* A CSV is complete: ends with a newline, every record has the header's
 * field count (records may span lines inside quotes). */
static bool csv_complete(const char *path, char *why, size_t wn)
{
    char *s = test_slurp(path, NULL);
    if (!s)
        return snprintf(why, wn, "unreadable"), false;
    size_t len = strlen(s);
    bool good = len > 0 && s[len - 1] == '\n';
    if (!good)
        snprintf(why, wn, "does not end with a newline");
    int header = -1;
    size_t start = 0;
    bool q = false;
    for (size_t i = 0; i < len && good; i++) {
        if (s[i] == '"')
            q = !q;
        if (s[i] != '\n' || q)
            continue;
        int f = csv_fields(s + start, i - start);
        if (header < 0)
            header = f;
        else if (f != header) {
            good = false;
            snprintf(why, wn, "a record has %d fields, the header %d", f, header);
        }
        start = i + 1;
    }
    free(s);
    return good;
}

/* Every file under dir is complete (CSV, JSON) and no temporary is left. */
static bool dir_complete(const char *dir, char *why, size_t wn)
{
    DIR *d = opendir(dir);
    if (!d)
        return true; /* absent is fine */
    struct dirent *e;
    bool good = true;
    while (good && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb))
            continue;
        if (S_ISDIR(sb.st_mode)) {
            good = dir_complete(p, why, wn);
        } else if (strstr(e->d_name, ".tmp.")) {
            good = false;
            say(why, wn, p, "temporary file left behind");
        } else if (strstr(e->d_name, ".csv")) {
            char w[256];
            if (!csv_complete(p, w, sizeof w)) {
                good = false;
                say(why, wn, p, w);
            }
        } else if (strstr(e->d_name, ".json")) {
            json_error_t je;
            json_t *j = json_load_file(p, 0, &je);
            if (!j) {
                good = false;
                say(why, wn, p, "not valid JSON");
            }
            json_decref(j);
        }
    }
    closedir(d);
    return good;
}

static double result_value(const char *dir, const char *task, const char *group,
                           const char *metric, int field)
{
    char p[4200], pre[512];
    path_in(p, sizeof p, dir, "results.csv");
    char *s = test_slurp(p, NULL);
    double v = NAN;
    snprintf(pre, sizeof pre, ",\"%s\",", task);
    for (char *line = s ? strtok(s, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char gm[512];
        snprintf(gm, sizeof gm, "\"%s\",\"%s\",", group, metric);
        char *at = strstr(line, gm);
        if (!strstr(line, pre) || !at)
            continue;
        char *c = at + strlen(gm);
        for (int k = 0; k < field && c; k++) {
            c = strchr(c, ',');
            c = c ? c + 1 : NULL;
        }
        if (c && *c != ',')
            v = strtod(c, NULL);
        break;
    }
    free(s);
    return v;
}

/* ---- unit checks of the task helpers ----------------------------------------------- */

static void test_helpers(void)
{
    double cos[3] = {0.30, 0.25, 0.25}, p[3];
    bb_vec_softmax(cos, 2, BB_LABEL_TEMPERATURE, p);
    is_double(1.0 / (1.0 + exp(-1.0)), p[0], 1e-12, "label_probs: T=0.05, 0.05 lead gives e:1 odds");
    bb_vec_softmax(cos, 3, 0.1, p);
    is_double(1.0, p[0] + p[1] + p[2], 1e-12, "label_probs sum to 1");
    is_double(p[1], p[2], 0, "label_probs: equal cosines, equal probabilities");
    double big[2] = {1000, 999};
    bb_vec_softmax(big, 2, 0.001, p);
    ok(isfinite(p[0]) && p[0] > 0.999, "label_probs is stable for large cos/T");
    is_int(1, (long long)bb_vec_argmax((double[]){1, 3, 3}, 3), "argmax: first of ties");

    ok(bb_task_seed(1, "sts", "minilm") == bb_task_seed(1, "sts", "minilm"), "seed is stable");
    ok(bb_task_seed(1, "sts", "minilm") != bb_task_seed(2, "sts", "minilm") &&
           bb_task_seed(1, "sts", "minilm") != bb_task_seed(1, "sts2", "minilm") &&
           bb_task_seed(1, "sts", "minilm") != bb_task_seed(1, "sts", "mpnet"),
       "seed depends on suite seed, task id and model id");

    float a[3] = {3, 4, 0}, b[3] = {6, 8, 0};
    is_double(1.0, bb_vec_cosine(a, b, 3), 1e-12, "cosine of parallel vectors");
    bb_vec_normalize(a, 3);
    is_double(0.6, a[0], 1e-7, "normalize");

    /* per-item CSV: quoting, NaN as empty, the cell count checked */
    struct bb_suite_task task = {.id = "t/x"};
    struct bb_task_ctx ctx = {.task = &task, .model_id = "m 1", .run_dir = test_tmp_dir()};
    static const char *const cols[] = {"item_id", "text", "v"};
    struct bb_items *w;
    struct bb_error err = {0};
    ok(bb_items_open(&ctx, NULL, cols, 3, &w, &err) == BB_OK, "items open");
    bb_items_str(w, "L1"), bb_items_str(w, "a, \"b\"\nc"), bb_items_num(w, NAN);
    ok(bb_items_end_row(w, &err) == BB_OK, "row of 3 cells");
    bb_items_str(w, "L2"), bb_items_num(w, 0.5);
    ok(bb_items_end_row(w, &err) != BB_OK, "row of 2 cells is an error");
    bb_items_abort(w);
    char p2[4200];
    snprintf(p2, sizeof p2, "%s/items/t_x__m_1.csv", test_tmp_dir());
    ok(access(p2, F_OK) != 0, "aborted per-item file is absent");
    ok(bb_items_open(&ctx, NULL, cols, 3, &w, &err) == BB_OK, "items reopen");
    bb_items_str(w, "L1"), bb_items_str(w, "a, \"b\"\nc"), bb_items_num(w, NAN);
    bb_items_end_row(w, &err);
    ok(bb_items_commit(w, &err) == BB_OK, "items commit");
    char *s = test_slurp(p2, NULL);
    is_string("item_id,text,v\nL1,\"a, \"\"b\"\"\nc\",\n", s, "per-item CSV quoting");
    free(s);
}

/* ---- end to end ------------------------------------------------------------------------ */

static void test_validate(void)
{
    char *out = NULL, *err = NULL;
    int rc = run_bb((const char *[]){"validate", g_suite, NULL}, &out, &err);
    is_int(0, rc, "validate tiny.yaml: exit 0");
    contains(out, "is valid", "validate prints a one-line summary");
    free(out), free(err);
    rc = run_bb((const char *[]){"validate", "--data-dir", g_data, g_suite, NULL}, &out, &err);
    is_int(0, rc, "validate: missing data is not an error");
    ok(err && strstr(err, "note: dataset 'absent'") && !strstr(err, "'pairs'"),
       "validate notes only the dataset not on the search path");
    free(out), free(err);
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/bad.yaml", test_tmp_dir());
    FILE *f = fopen(bad, "w");
    fputs("suite: x\nversion: 1\nmodels:\n  - id: m\n    sorce: y\ntasks:\n  - id: t\n"
          "    type: similarity\n    dataset: nope\n", f);
    fclose(f);
    rc = run_bb((const char *[]){"validate", bad, NULL}, &out, &err);
    is_int(2, rc, "validate a bad suite: exit 2");
    contains(err, "bad.yaml:5:", "validate names file:line of the unknown key");
    contains(err, "nope", "validate reports the second problem too");
    free(out), free(err);
}

static void test_run_and_manifest(const char *dir)
{
    char *out = NULL, *err = NULL;
    int rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--seed", "5", "--out",
                                     dir, "--no-report", NULL},
                    &out, &err);
    if (!is_int(0, rc, "run tiny.yaml: exit 0"))
        diag("stderr: %s", err ? err : "");
    contains(out, "spearman", "summary table names the headline metric");
    contains(out, "skipped: task 'missing'", "summary says which task was skipped");
    contains(err, "skipping task 'missing'", "a warning on stderr for the skipped task");
    free(out), free(err);

    static const char *const files[] = {"manifest.json", "results.csv", "items/sts__minilm.csv",
                                        "items/sentiment__minilm.csv", "items/speed__minilm.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[4200];
        path_in(p, sizeof p, dir, files[i]);
        ok(access(p, F_OK) == 0, "run wrote %s", files[i]);
    }
    char why[512] = "";
    ok(dir_complete(dir, why, sizeof why), "every file is complete %s", why);

    char mp[4200];
    path_in(mp, sizeof mp, dir, "manifest.json");
    json_error_t je;
    json_t *m = json_load_file(mp, 0, &je);
    ok(m != NULL, "manifest.json parses");
    if (!m)
        return;
    ok(json_is_string(json_object_get(json_object_get(m, "biasbench"), "version")) &&
           json_is_string(json_object_get(json_object_get(m, "biasbench"), "commit")),
       "manifest: biasbench version and commit");
    ok(json_is_true(json_object_get(m, "complete")), "manifest: complete");
    is_int(5, json_integer_value(json_object_get(m, "seed")), "manifest: the --seed");
    const char *sha = json_string_value(json_object_get(json_object_get(m, "suite"), "sha256"));
    ok(sha && strlen(sha) == 64, "manifest: suite sha256");
    json_t *mod = json_array_get(json_object_get(m, "models"), 0);
    sha = json_string_value(json_object_get(mod, "sha256"));
    ok(sha && strlen(sha) == 64, "manifest: model weights sha256");
    is_string("f32", json_string_value(json_object_get(mod, "precision")), "manifest: precision");
    ok(json_string_value(json_object_get(mod, "path")) != NULL, "manifest: model path");
    json_t *ds = json_object_get(m, "datasets");
    is_int(2, (long long)json_array_size(ds), "manifest: the two datasets read");
    json_t *d0 = json_array_get(ds, 0);
    sha = json_string_value(json_object_get(d0, "sha256"));
    ok(sha && strlen(sha) == 64 && json_integer_value(json_object_get(d0, "bytes")) > 0 &&
           strstr(json_string_value(json_object_get(d0, "path")), "pairs.csv"),
       "manifest: dataset path, sha256 and bytes");
    json_t *dev = json_object_get(m, "device");
    ok(json_is_string(json_object_get(dev, "name")) && json_is_string(json_object_get(dev, "driver")) &&
           json_is_integer(json_object_get(dev, "compute_units")),
       "manifest: device name, driver, compute units");
    ok(json_is_string(json_object_get(m, "start_time")) && json_is_string(json_object_get(m, "end_time")),
       "manifest: start and end time");
    const char *st = json_string_value(json_object_get(m, "start_time"));
    ok(st && strlen(st) == 20 && st[10] == 'T' && st[19] == 'Z', "manifest: ISO-8601 UTC time");
    json_t *cl = json_object_get(m, "command_line");
    ok(json_array_size(cl) > 3 && !strcmp(json_string_value(json_array_get(cl, 1)), "run"),
       "manifest: command line");
    json_t *sk = json_array_get(json_object_get(m, "skipped"), 0);
    is_string("missing", json_string_value(json_object_get(sk, "task")), "manifest: skipped task");
    contains(json_string_value(json_object_get(sk, "reason")), "not found",
             "manifest: skipped task's reason");
    sk = json_array_get(json_object_get(m, "skipped"), 1);
    ok(sk && !strcmp(json_string_value(json_object_get(sk, "what")), "grid cell b=1,t=600") &&
           strstr(json_string_value(json_object_get(sk, "reason")), "3..256"),
       "manifest: a latency grid cell longer than the model's maximum is skipped with a reason");
    json_decref(m);

    double rho = result_value(dir, "sts", "all", "spearman", 0);
    ok(rho > 85 && rho <= 100, "sts spearman x100 on the fixture pairs: %.2f", rho);
    double lo = result_value(dir, "sts", "all", "spearman", 1);
    double hi = result_value(dir, "sts", "all", "spearman", 2);
    ok(lo <= rho && rho <= hi, "spearman inside its CI [%.2f, %.2f]", lo, hi);
    double acc = result_value(dir, "sentiment", "all", "accuracy", 0);
    ok(acc >= 0.75, "zero-shot accuracy on the fixture reviews: %.3f", acc);
    double n_conf = result_value(dir, "sentiment", "positive->positive", "confusion", 0) +
                    result_value(dir, "sentiment", "positive->negative", "confusion", 0) +
                    result_value(dir, "sentiment", "negative->positive", "confusion", 0) +
                    result_value(dir, "sentiment", "negative->negative", "confusion", 0);
    is_double(12, n_conf, 0, "confusion matrix counts every item");
    ok(!isnan(result_value(dir, "sentiment", "film", "accuracy", 0)), "per-group accuracy");
    ok(result_value(dir, "speed", "b=2,t=8", "latency_p50_ms", 0) > 0, "latency p50 row");
    ok(result_value(dir, "speed", "all", "peak_rss_mb", 0) > 0, "peak RSS row");
    ok(result_value(dir, "speed", "all", "kernel_build_cold_s", 0) >= 0 &&
           result_value(dir, "speed", "all", "first_forward_cold_ms", 0) > 0,
       "in-process cold kernel build and first forward rows");
    double cold = result_value(dir, "speed", "all", "cold_start_process_s", 0);
    double warm = result_value(dir, "speed", "all", "warm_start_process_s", 0);
    if (TEST_SANITIZED) { /* BIASBENCH_COLD_START=off: the rows are left out, and the run says so */
        char mp[4300];
        snprintf(mp, sizeof mp, "%s/manifest.json", dir);
        json_t *m = json_load_file(mp, 0, NULL), *sk = json_object_get(m, "skipped");
        bool noted = false;
        for (size_t i = 0; i < json_array_size(sk); i++) {
            json_t *x = json_array_get(sk, i);
            const char *r = json_string_value(json_object_get(x, "reason"));
            noted |= r && strstr(r, "BIASBENCH_COLD_START=off") != NULL;
        }
        json_decref(m);
        ok(isnan(cold) && isnan(warm) && noted,
           "sanitizer build, BIASBENCH_COLD_START=off: no whole-process start rows, and the "
           "manifest's skipped list says why");
    } else {
        ok(cold > 0 && warm > 0, "whole-process cold and warm start rows (%.2f s, %.2f s)", cold,
           warm);
    }
}

static void test_determinism(const char *a, const char *b)
{
    char *out = NULL, *err = NULL;
    int rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--seed", "5", "--out",
                                     b, "--no-report", "-q", NULL},
                    &out, &err);
    is_int(0, rc, "second run: exit 0");
    free(out), free(err);
    char *ra = test_non_timing(a), *rb = test_non_timing(b);
    ok(ra && rb && strlen(ra) > 100, "non-timing rows present");
    ok(ra && rb && !strcmp(ra, rb), "same seed: identical non-timing rows");
    free(ra), free(rb);
    static const char *const items[] = {"items/sts__minilm.csv", "items/sentiment__minilm.csv"};
    for (size_t i = 0; i < 2; i++) {
        char pa[4200], pb[4200];
        path_in(pa, sizeof pa, a, items[i]);
        path_in(pb, sizeof pb, b, items[i]);
        char *x = test_slurp(pa, NULL), *y = test_slurp(pb, NULL);
        ok(x && y && !strcmp(x, y), "same seed: identical %s", items[i]);
        free(x), free(y);
    }
    /* another seed: same values, other bootstrap CIs; --limit and --task */
    char c[4200];
    snprintf(c, sizeof c, "%s/run-c", test_tmp_dir());
    rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--seed", "6", "--out", c,
                                 "--task", "sts", "--no-report", "-q", NULL},
                &out, &err);
    is_int(0, rc, "run --task sts --seed 6: exit 0");
    free(out), free(err);
    is_double(result_value(a, "sts", "all", "spearman", 0), result_value(c, "sts", "all", "spearman", 0),
              1e-9, "other seed: same spearman");
    ok(result_value(a, "sts", "all", "spearman", 1) != result_value(c, "sts", "all", "spearman", 1) ||
           result_value(a, "sts", "all", "pearson", 1) != result_value(c, "sts", "all", "pearson", 1),
       "other seed: other bootstrap CI");
    ok(isnan(result_value(c, "sentiment", "all", "accuracy", 0)), "--task runs only that task");
    snprintf(c, sizeof c, "%s/run-d", test_tmp_dir());
    rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", c, "--task",
                                 "sentiment", "--limit", "4", "--no-report", "-q", NULL},
                &out, &err);
    is_int(0, rc, "run --limit 4: exit 0");
    is_double(4, result_value(c, "sentiment", "all", "accuracy", 3), 0, "--limit 4: n = 4");
    free(out), free(err);
    rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", c, "--task",
                                 "sentiment", "--no-report", "-q", NULL},
                &out, &err);
    is_int(2, rc, "an out dir holding a run needs --force: exit 2");
    contains(err, "--force", "and says so");
    free(out), free(err);
    /* a model given by path, not in the suite: runs on the selected task, id = folder name */
    char mdir[4200], f[4400];
    snprintf(mdir, sizeof mdir, "%s/", test_model_dir("all-MiniLM-L6-v2"));
    snprintf(c, sizeof c, "%s/run-e", test_tmp_dir());
    rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", c, "--task", "sts",
                                 "--model", mdir, "--no-report", "-q", NULL},
                &out, &err);
    is_int(0, rc, "run --model PATH/ (not a suite id): exit 0");
    snprintf(f, sizeof f, "%s/items/sts__all-MiniLM-L6-v2.csv", c);
    ok(access(f, F_OK) == 0, "its id is the folder name: items/sts__all-MiniLM-L6-v2.csv");
    free(out), free(err);
}

static void test_errors(void)
{
    char *out = NULL, *err = NULL, d[4200];
    snprintf(d, sizeof d, "%s/run-err", test_tmp_dir());
    int rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", d, "--task",
                                     "missing", NULL},
                    &out, &err);
    is_int(2, rc, "--task naming a task whose data is missing: exit 2");
    contains(err, "absent.csv", "the error names the missing file");
    free(out), free(err);
    rc = run_bb((const char *[]){"run", g_suite, "--out", d, "--task", "nosuch", NULL}, &out, &err);
    is_int(2, rc, "--task with an unknown id: exit 2");
    contains(err, "sts, sentiment, missing, speed", "the error lists the suite's tasks");
    free(out), free(err);
    rc = run_bb((const char *[]){"run", g_suite, "--out", d, "--model", "no-such-model", NULL}, &out,
                &err);
    is_int(2, rc, "--model that is neither a suite id nor a model: exit 2");
    free(out), free(err);
    rc = run_bb((const char *[]){"run", g_suite, "--limit", "x", NULL}, &out, &err);
    is_int(2, rc, "--limit x: exit 2");
    free(out), free(err);
    rc = run_bb((const char *[]){"run", NULL}, &out, &err);
    is_int(2, rc, "no suite: exit 2");
    free(out), free(err);

    /* a task fails on bad data: exit 2, the finished task's rows kept */
    char suite[4200], mf[4400];
    snprintf(suite, sizeof suite, "%s", test_src_path("tests/data/run/partial.yaml"));
    snprintf(d, sizeof d, "%s/run-partial", test_tmp_dir());
    rc = run_bb((const char *[]){"run", suite, "--data-dir", g_data, "--out", d, "--no-report", "-q",
                                 NULL},
                &out, &err);
    is_int(2, rc, "a task failing on bad data: exit 2");
    contains(err, "bad-labels.tsv:4: label 'neutral'", "the error names file:line and the value");
    ok(!isnan(result_value(d, "sts", "all", "spearman", 0)), "the finished task's rows are kept");
    snprintf(mf, sizeof mf, "%s/manifest.json", d);
    json_t *m = json_load_file(mf, 0, NULL);
    ok(m && json_is_false(json_object_get(m, "complete")) &&
           strstr(json_string_value(json_object_get(m, "error")), "bad-labels.tsv:4"),
       "manifest: complete false, and the error");
    json_decref(m);
    char why[512] = "";
    ok(dir_complete(d, why, sizeof why), "every file complete %s", why);
    free(out), free(err);
}

/* on_bad_row: skip drops the malformed row, and the count is a results row */
static void test_skip_rows(void)
{
    char *out = NULL, *err = NULL, d[4200], suite[4200];
    snprintf(suite, sizeof suite, "%s", test_src_path("tests/data/run/skip.yaml"));
    snprintf(d, sizeof d, "%s/run-skip", test_tmp_dir());
    int rc = run_bb((const char *[]){"run", suite, "--data-dir", g_data, "--out", d, "--no-report",
                                     NULL},
                    &out, &err);
    is_int(0, rc, "on_bad_row: skip: the run goes on (exit 0)");
    is_double(1, result_value(d, "sts", "all", "skipped_rows", 0), 0, "skipped_rows = 1 in results.csv");
    is_int(6, (long long)result_value(d, "sts", "all", "spearman", 3), "spearman over the 6 good pairs");
    free(out), free(err);
}

/* Ctrl-C mid-run. tests/data/run/interrupt.yaml ends in a latency task with a
 * million warm-up passes, so the run cannot have finished when the signal is
 * sent (checked: the child is still running just before). The signal goes at
 * several moments after manifest.json appears, and once after the first
 * task's per-item file is written. The handler (src/core/fileout.c) removes open
 * temporaries and calls _exit(130): a normal exit with status 130, which a
 * death by the default SIGINT action (WIFSIGNALED) is not. */
static void test_interrupt(void)
{
    static const double delays[] = {0.0, 0.2, 0.5, 0.9, 1.4, -1};
    char suite[4200];
    snprintf(suite, sizeof suite, "%s", test_src_path("tests/data/run/interrupt.yaml"));
    for (size_t k = 0; k < sizeof delays / sizeof delays[0]; k++) {
        char d[4200], mf[4300], wait_for[4300], o[4300], e[4300], when[64];
        snprintf(d, sizeof d, "%s/int-%zu", test_tmp_dir(), k);
        snprintf(mf, sizeof mf, "%s/manifest.json", d);
        snprintf(wait_for, sizeof wait_for, "%s/%s", d,
                 delays[k] < 0 ? "items/sts__minilm.csv" : "manifest.json");
        if (delays[k] < 0)
            snprintf(when, sizeof when, "once items/sts__minilm.csv exists");
        else
            snprintf(when, sizeof when, "%.1f s after manifest.json", delays[k]);
        snprintf(o, sizeof o, "%s/int-out.txt", test_tmp_dir());
        snprintf(e, sizeof e, "%s/int-err.txt", test_tmp_dir());
        const char *argv[] = {g_bin, "run", suite, "--data-dir", g_data, "--out", d,
                              "--no-report", "-q", NULL};
        pid_t pid = test_spawn(argv, o, e);
        for (int i = 0; i < 600 && access(wait_for, F_OK); i++) /* up to 30 s */
            test_sleep(0.05);
        test_sleep(delays[k] > 0 ? delays[k] : 0);
        int early = 0;
        bool running = waitpid(pid, &early, WNOHANG) == 0;
        ok(running && !access(wait_for, F_OK), "SIGINT %s: the run is under way and still running", when);
        if (!running) { /* nothing to interrupt: the remaining points fail too */
            diag("child ended before the signal: status %#x", early);
            ok(false, "SIGINT %s: handled", when);
            ok(false, "SIGINT %s: files complete", when);
            ok(false, "SIGINT %s: manifest", when);
            continue;
        }
        kill(pid, SIGINT);
        int st = test_wait_status(pid, 30);
        ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 130,
           "SIGINT %s: the handler ran: exit status 130, not a death by SIGINT (wait status %#x)", when,
           (unsigned)st);
        char why[512] = "";
        ok(dir_complete(d, why, sizeof why), "SIGINT %s: every file complete or absent %s", when, why);
        char rp[4300];
        snprintf(rp, sizeof rp, "%s/results.csv", d);
        json_t *m = json_load_file(mf, 0, NULL);
        ok(m && json_is_false(json_object_get(m, "complete")) && access(rp, F_OK) != 0,
           "SIGINT %s: manifest says complete: false, no results.csv", when);
        json_decref(m);
    }
}

int main(void)
{
    plan(113);
    test_helpers();
    test_model_dir("all-MiniLM-L6-v2");
    g_bin = test_bb_bin();
    snprintf(g_data, sizeof g_data, "%s", test_src_path("tests/data/run"));
    snprintf(g_suite, sizeof g_suite, "%s", test_src_path("tests/data/run/tiny.yaml"));
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/run-a", test_tmp_dir());
    snprintf(b, sizeof b, "%s/run-b", test_tmp_dir());
    test_validate();
    if (TEST_SANITIZED)
        setenv("BIASBENCH_COLD_START", "off", 1);
    else
        unsetenv("BIASBENCH_COLD_START");
    test_run_and_manifest(a);
    /* the rest: no whole-process cold start (it compiles every kernel) */
    setenv("BIASBENCH_COLD_START", "off", 1);
    test_determinism(a, b);
    test_errors();
    test_skip_rows();
    test_interrupt();
    return tap_failures() ? 1 : 0;
}
