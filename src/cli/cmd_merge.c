/* cmd_merge.c: `biasbench merge RUN... --out DIR`: join the run directories
 * of the N shards of one run (`biasbench run --shard K/N`, shard.h) into one
 * run directory: results.csv (the shards' rows in the unsharded run's order:
 * models in order, each model's tasks in suite order; each job's rows as its
 * shard wrote them), items/ (every shard's per-item files, copied), a
 * manifest.json with the union of the shards' runs, datasets and skips (and
 * where each shard ran), then the charts and report. The inputs must be the
 * N distinct shards of the same suite (same sha256), seed, limit, bootstrap
 * and models, each complete. Since every job carries its own seed, the
 * merged non-timing rows equal an unsharded run's (tests/reach-t.c). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "compare/compare.h"
#include "core/fileout.h"
#include "core/log.h"
#include "core/paths.h"
#include "report/report.h"
#include "metrics/results.h"
#include "run/shard.h"
#include "suite/suite.h"

static const char usage_text[] =
    "usage: biasbench merge RUN_DIR... --out DIR [options]\n\n"
    "Join the run directories of the N shards of one run (biasbench run --shard K/N)\n"
    "into one run directory: results.csv in the unsharded order, items/, manifest.json,\n"
    "charts and report. Give every shard once (0/N ... N-1/N); they must come from the\n"
    "same suite file, seed, limit and models, and be complete.\n\n"
    "  -o, --out DIR        the merged run directory (required)\n"
    "  -s, --suite SUITE    read this suite for the report (default: the manifest's path)\n"
    "      --force          write into a DIR that already holds a run\n"
    "      --no-report      write the CSV files and manifest only\n\n"
    "See docs/scale-out.md for Slurm job arrays, GNU parallel and Kubernetes.\n"
    "Exit status: 0 merged, 2 bad or mismatched inputs, unreadable files.\n";

struct shard_in {
    struct bb_rundata run;
    unsigned index, count;
    bool loaded;
};

static const char *jget_str(const json_t *o, const char *key)
{
    const json_t *v = o ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The same value of key in both manifests (compared as JSON), else an error. */
static enum bb_status same_key(const struct shard_in *a, const struct shard_in *b, const char *key,
                               struct bb_error *err)
{
    const json_t *x = json_object_get(a->run.manifest, key),
                 *y = json_object_get(b->run.manifest, key);
    if ((!x && !y) || (x && y && json_equal(x, y)))
        return BB_OK;
    char *sx = x ? json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *sy = y ? json_dumps(y, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    bb_fail(err, BB_E_INPUT,
            "%s and %s are not shards of the same run: manifest \"%s\" is %.200s "
            "in one and %.200s in the other",
            a->run.dir, b->run.dir, key, sx ? sx : "absent", sy ? sy : "absent");
    free(sx);
    free(sy);
    return BB_E_INPUT;
}

/* The ids of a manifest's array key ("models", "tasks"), in order. */
static bool same_ids(const json_t *a, const json_t *b, const char *key)
{
    const json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
    if (json_array_size(x) != json_array_size(y))
        return false;
    for (size_t i = 0; i < json_array_size(x); i++) {
        const char *p = jget_str(json_array_get(x, i), "id"),
                   *q = jget_str(json_array_get(y, i), "id");
        if (!p || !q || strcmp(p, q))
            return false;
    }
    return true;
}

static enum bb_status load_shards(char **paths, size_t n, struct shard_in *in, struct bb_error *err)
{
    for (size_t i = 0; i < n; i++) {
        /* a shard with no job (more shards than jobs) has a header-only
           results.csv, which bb_rundata_load refuses: read its manifest alone */
        char mp[4200];
        json_error_t je;
        snprintf(mp, sizeof mp, "%s/manifest.json", paths[i]);
        json_t *pre = json_load_file(mp, 0, &je);
        const json_t *jobs = json_object_get(json_object_get(pre, "shard"), "jobs");
        enum bb_status st = BB_OK;
        if (pre && json_is_array(jobs) && !json_array_size(jobs)) {
            in[i].run.path = strdup(paths[i]);
            in[i].run.dir = strdup(paths[i]);
            in[i].run.manifest = pre;
            pre = NULL;
        } else {
            st = bb_rundata_load(paths[i], &in[i].run, err);
        }
        json_decref(pre);
        if (st)
            return st;
        in[i].loaded = true;
        if (!in[i].run.dir)
            return bb_fail(err, BB_E_INPUT, "%s: expected a run directory, found a file", paths[i]);
        const json_t *m = in[i].run.manifest, *sh = json_object_get(m, "shard");
        if (!json_is_object(sh))
            return bb_fail(err, BB_E_INPUT,
                           "%s: not a shard (its manifest has no \"shard\"; run "
                           "it with biasbench run --shard K/N)",
                           paths[i]);
        in[i].index = (unsigned)json_integer_value(json_object_get(sh, "index"));
        in[i].count = (unsigned)json_integer_value(json_object_get(sh, "count"));
        if (in[i].index >= in[i].count)
            return bb_fail(err, BB_E_INPUT, "%s: manifest \"shard\" has index %u of count %u",
                           paths[i], in[i].index, in[i].count);
        if (!json_is_true(json_object_get(m, "complete")))
            return bb_fail(err, BB_E_INPUT,
                           "%s: shard %u/%u is not complete (manifest \"complete\": "
                           "false%s%s); rerun it",
                           paths[i], in[i].index, in[i].count,
                           jget_str(m, "error") ? ", error: " : "",
                           jget_str(m, "error") ? jget_str(m, "error") : "");
        if (i && in[i].count != in[0].count)
            return bb_fail(err, BB_E_INPUT, "%s is shard %u/%u but %s is shard %u/%u", paths[i],
                           in[i].index, in[i].count, paths[0], in[0].index, in[0].count);
        for (size_t k = 0; k < i; k++)
            if (in[k].index == in[i].index)
                return bb_fail(err, BB_E_INPUT, "%s and %s are both shard %u/%u", paths[k],
                               paths[i], in[i].index, in[i].count);
        if (i) {
            const json_t *s0 = json_object_get(in[0].run.manifest, "suite");
            const json_t *s1 = json_object_get(m, "suite");
            const char *h0 = jget_str(s0, "sha256"), *h1 = jget_str(s1, "sha256");
            if (!h0 || !h1 || strcmp(h0, h1))
                return bb_fail(err, BB_E_INPUT,
                               "%s and %s ran different suite files (sha256 %.12s "
                               "vs %.12s)",
                               paths[0], paths[i], h0 ? h0 : "?", h1 ? h1 : "?");
            enum bb_status st2;
            if ((st2 = same_key(&in[0], &in[i], "seed", err)) ||
                (st2 = same_key(&in[0], &in[i], "limit", err)) ||
                (st2 = same_key(&in[0], &in[i], "bootstrap", err)))
                return st2;
            if (!same_ids(in[0].run.manifest, m, "models"))
                return bb_fail(err, BB_E_INPUT, "%s and %s ran different models", paths[0],
                               paths[i]);
            if (!same_ids(in[0].run.manifest, m, "tasks"))
                return bb_fail(err, BB_E_INPUT,
                               "%s and %s ran different task lists (give every shard "
                               "the same --task options)",
                               paths[0], paths[i]);
        }
    }
    if (n != in[0].count) {
        char have[1024] = "";
        size_t used = 0;
        for (size_t i = 0; i < n && used + 16 < sizeof have; i++)
            used += (size_t)snprintf(have + used, sizeof have - used, "%s%u", i ? ", " : "",
                                     in[i].index);
        return bb_fail(err, BB_E_INPUT,
                       "%zu shard(s) given (%s) but the run has %u: give every "
                       "shard 0/%u ... %u/%u once",
                       n, have, in[0].count, in[0].count, in[0].count - 1, in[0].count);
    }
    return BB_OK;
}

/* Index of id in the manifest array key (objects with "id"), else a large number. */
static size_t id_index(const json_t *manifest, const char *key, const char *id)
{
    const json_t *a = json_object_get(manifest, key);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = jget_str(json_array_get(a, i), "id");
        if (s && !strcmp(s, id))
            return i;
    }
    return (size_t)-1 / 2;
}

struct keyed {
    size_t model, task, shard, row;
    const struct bb_result_row *r;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->model != y->model)
        return x->model < y->model ? -1 : 1;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    if (x->shard != y->shard)
        return x->shard < y->shard ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Every shard's rows, in the unsharded run's order. */
static enum bb_status merge_results(const struct shard_in *in, size_t n, struct bb_results *out,
                                    struct bb_error *err)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i].run.results.n;
    struct keyed *v = malloc((total ? total : 1) * sizeof *v);
    if (!v)
        return bb_fail(err, BB_E_NOMEM, "out of memory for %zu rows", total);
    const json_t *m0 = in[0].run.manifest;
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < in[i].run.results.n; r++) {
            const struct bb_result_row *row = &in[i].run.results.rows[r];
            v[k++] = (struct keyed){id_index(m0, "models", row->model),
                                    id_index(m0, "tasks", row->task), in[i].index, r, row};
        }
    qsort(v, total, sizeof *v, cmp_keyed);
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < total && !st; i++)
        st = bb_results_add(out, v[i].r, err);
    free(v);
    return st;
}

static enum bb_status copy_file(const char *from, const char *to, struct bb_error *err)
{
    FILE *f = fopen(from, "rb");
    if (!f)
        return bb_fail(err, BB_E_IO, "%s: cannot read: %s", from, strerror(errno));
    struct bb_fileout fo;
    enum bb_status st = bb_fileout_open(&fo, to, err);
    if (st) {
        fclose(f);
        return st;
    }
    char buf[65536];
    size_t got;
    while (!st && (got = fread(buf, 1, sizeof buf, f)) > 0)
        if (fwrite(buf, 1, got, fo.fp) != got)
            st = bb_fail(err, BB_E_IO, "%s: write failed", to);
    if (!st && ferror(f))
        st = bb_fail(err, BB_E_IO, "%s: read failed", from);
    fclose(f);
    if (!st)
        st = bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copy every shard's items/ CSV files into out/items (a name in two shards: an error). */
static enum bb_status merge_items(const struct shard_in *in, size_t n, const char *out,
                                  struct bb_error *err)
{
    char dst_dir[4200];
    snprintf(dst_dir, sizeof dst_dir, "%s/items", out);
    enum bb_status st = bb_path_mkdir_p(dst_dir, err);
    char **seen = NULL;
    size_t n_seen = 0, cap = 0;
    for (size_t i = 0; i < n && !st; i++) {
        char src_dir[4200];
        snprintf(src_dir, sizeof src_dir, "%s/items", in[i].run.dir);
        DIR *d = opendir(src_dir);
        if (!d)
            continue; /* a shard with no job writes no items */
        char **names = NULL;
        size_t nn = 0, nc = 0;
        for (struct dirent *e; (e = readdir(d));) {
            size_t len = strlen(e->d_name);
            if (len < 5 || strcmp(e->d_name + len - 4, ".csv") || e->d_name[0] == '.')
                continue;
            if (nn == nc) {
                char **g = realloc(names, (nc = nc ? 2 * nc : 16) * sizeof *g);
                if (!g)
                    break;
                names = g;
            }
            names[nn++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof *names, cmp_str);
        for (size_t j = 0; j < nn && !st; j++) {
            for (size_t s = 0; s < n_seen && !st; s++)
                if (!strcmp(seen[s], names[j]))
                    st = bb_fail(err, BB_E_INPUT,
                                 "items/%s is in two shards (%s is one); the "
                                 "shards overlap",
                                 names[j], in[i].run.dir);
            if (st)
                break;
            char a[8500], b[8500];
            snprintf(a, sizeof a, "%s/%s", src_dir, names[j]);
            snprintf(b, sizeof b, "%s/%s", dst_dir, names[j]);
            st = copy_file(a, b, err);
            if (n_seen == cap) {
                char **g = realloc(seen, (cap = cap ? 2 * cap : 32) * sizeof *g);
                if (!g) {
                    st = bb_fail(err, BB_E_NOMEM, "out of memory");
                    break;
                }
                seen = g;
            }
            seen[n_seen++] = names[j];
            names[j] = NULL;
        }
        for (size_t j = 0; j < nn; j++)
            free(names[j]);
        free(names);
    }
    for (size_t s = 0; s < n_seen; s++)
        free(seen[s]);
    free(seen);
    return st;
}

static bool json_in(const json_t *arr, const json_t *v)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (json_equal(json_array_get(arr, i), v))
            return true;
    return false;
}

/* shard 0's manifest with the runs, datasets, skips and models of all. */
static json_t *merge_manifest(const struct shard_in *in, size_t n, int argc, char **argv)
{
    const struct shard_in *by[n];
    for (size_t i = 0; i < n; i++)
        by[in[i].index] = &in[i];
    json_t *m = json_deep_copy(by[0]->run.manifest);
    json_object_del(m, "shard");
    json_object_set_new(m, "complete", json_true());
    json_t *cl = json_array(), *shards = json_array();
    json_array_append_new(cl, json_string("biasbench"));
    for (int i = 0; i < argc; i++)
        json_array_append_new(cl, json_string(argv[i]));
    json_object_set_new(m, "command_line", cl);
    /* start: the earliest shard start; end: the latest end (ISO 8601 UTC compares as text) */
    for (size_t i = 1; i < n; i++) {
        const char *s = jget_str(by[i]->run.manifest, "start_time");
        const char *e = jget_str(by[i]->run.manifest, "end_time");
        const char *s0 = jget_str(m, "start_time"), *e0 = jget_str(m, "end_time");
        if (s && s0 && strcmp(s, s0) < 0)
            json_object_set_new(m, "start_time", json_string(s));
        if (e && e0 && strcmp(e, e0) > 0)
            json_object_set_new(m, "end_time", json_string(e));
    }
    json_t *models = json_object_get(m, "models"), *tasks = json_object_get(m, "tasks");
    json_t *datasets = json_object_get(m, "datasets"), *skipped = json_object_get(m, "skipped");
    for (size_t i = 0; i < n; i++) {
        const json_t *mi = by[i]->run.manifest;
        json_t *sh = json_object();
        json_object_set_new(sh, "dir", json_string(by[i]->run.dir));
        json_object_set(sh, "shard", json_object_get(mi, "shard"));
        json_object_set(sh, "command_line", json_object_get(mi, "command_line"));
        json_object_set(sh, "start_time", json_object_get(mi, "start_time"));
        json_object_set(sh, "end_time", json_object_get(mi, "end_time"));
        json_object_set(sh, "device", json_object_get(mi, "device"));
        json_object_set(sh, "host", json_object_get(mi, "host"));
        json_array_append_new(shards, sh);
        if (!i)
            continue;
        /* a model loaded in this shard: its entry has a path and load time */
        const json_t *ms = json_object_get(mi, "models");
        for (size_t k = 0; k < json_array_size(models) && k < json_array_size(ms); k++) {
            const json_t *have = json_array_get(models, k), *other = json_array_get(ms, k);
            if (json_is_null(json_object_get(have, "load_s")) &&
                !json_is_null(json_object_get(other, "load_s")))
                json_array_set_new(models, k, json_deep_copy(other));
        }
        const json_t *ts = json_object_get(mi, "tasks");
        for (size_t k = 0; k < json_array_size(tasks) && k < json_array_size(ts); k++) {
            json_t *t = json_array_get(tasks, k);
            const json_t *o = json_array_get(ts, k);
            json_t *runs = json_object_get(t, "runs");
            const json_t *oruns = json_object_get(o, "runs");
            for (size_t r = 0; r < json_array_size(oruns); r++)
                json_array_append(runs, json_array_get(oruns, r));
        }
        const json_t *ds = json_object_get(mi, "datasets"), *sk = json_object_get(mi, "skipped");
        for (size_t k = 0; k < json_array_size(ds); k++)
            if (!json_in(datasets, json_array_get(ds, k)))
                json_array_append(datasets, json_array_get(ds, k));
        for (size_t k = 0; k < json_array_size(sk); k++)
            if (!json_in(skipped, json_array_get(sk, k)))
                json_array_append(skipped, json_array_get(sk, k));
    }
    /* each task's runs in model order; its status from the union */
    for (size_t k = 0; k < json_array_size(tasks); k++) {
        json_t *t = json_array_get(tasks, k), *runs = json_object_get(t, "runs"),
               *sorted = json_array();
        for (size_t mi = 0; mi < json_array_size(models); mi++) {
            const char *id = jget_str(json_array_get(models, mi), "id");
            for (size_t r = 0; id && r < json_array_size(runs); r++)
                if (!strcmp(jget_str(json_array_get(runs, r), "model")
                                ? jget_str(json_array_get(runs, r), "model")
                                : "",
                            id))
                    json_array_append(sorted, json_array_get(runs, r));
        }
        json_object_set_new(t, "runs", sorted);
        const char *status = jget_str(t, "status");
        if (status && strcmp(status, "skipped"))
            json_object_set_new(t, "status",
                                json_string(json_array_size(sorted) ? "ran" : "pending"));
    }
    json_object_set_new(m, "merged_from", shards);
    return m;
}

static enum bb_status write_json(const json_t *m, const char *path, struct bb_error *err)
{
    struct bb_fileout fo;
    enum bb_status st = bb_fileout_open(&fo, path, err);
    if (st)
        return st;
    if (json_dumpf(m, fo.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', fo.fp) == EOF)
        st = bb_fail(err, BB_E_IO, "%s: write failed", path);
    if (!st)
        st = bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}

static enum bb_status write_report(const char *out, const char *suite_path, const json_t *manifest,
                                   const struct bb_results *res, struct bb_error *err)
{
    const char *path =
        suite_path ? suite_path : jget_str(json_object_get(manifest, "suite"), "path");
    struct bb_suite *suite = NULL;
    struct bb_diagnostics dg = {0};
    if (path) {
        struct bb_error e = {0};
        enum bb_status st = bb_suite_load(path, &suite, &dg, &e);
        if (st && suite_path) {
            bb_suite_print_errors(&dg, stderr);
            bb_diagnostics_free(&dg);
            *err = e;
            return st;
        }
        if (st)
            bb_warn("merge: the run's suite %s cannot be read (%s); the report has no suite "
                    "metadata (give one with --suite)",
                    path, e.msg);
    }
    bb_diagnostics_free(&dg);
    enum bb_status st = bb_report_write(out, suite, res, err);
    bb_suite_free(suite);
    return st;
}

int bb_cmd_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},        {"out", required_argument, NULL, 'o'},
        {"suite", required_argument, NULL, 's'}, {"force", no_argument, NULL, 'F'},
        {"no-report", no_argument, NULL, 'R'},   {0}};
    const char *out = NULL, *suite_path = NULL;
    bool force = false, no_report = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "ho:s:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'o': out = optarg; break;
        case 's': suite_path = optarg; break;
        case 'F': force = true; break;
        case 'R': no_report = true; break;
        default: fprintf(stderr, "biasbench merge: see 'biasbench merge --help'\n"); return 2;
        }
    }
    struct bb_error err = {0};
    size_t n = (size_t)(argc - optind);
    if (!out || !n)
        return bb_cli_fail(
            "merge",
            bb_fail(&err, BB_E_USAGE, "%s (see 'biasbench merge --help')",
                    !out ? "--out DIR is required" : "expected the shard run directories"),
            &err);
    char mf[4200];
    snprintf(mf, sizeof mf, "%s/manifest.json", out);
    if (bb_path_exists(mf) && !force)
        return bb_cli_fail("merge",
                           bb_fail(&err, BB_E_USAGE,
                                   "%s already holds a run "
                                   "(manifest.json); choose another --out or pass --force",
                                   out),
                           &err);
    struct shard_in *in = calloc(n, sizeof *in);
    struct bb_results res = {0};
    json_t *m = NULL;
    enum bb_status st = in ? BB_OK : bb_fail(&err, BB_E_NOMEM, "out of memory");
    if (!st)
        st = load_shards(argv + optind, n, in, &err);
    if (!st)
        st = merge_results(in, n, &res, &err);
    if (!st && !(m = merge_manifest(in, n, argc, argv)))
        st = bb_fail(&err, BB_E_NOMEM, "out of memory merging the manifests");
    if (!st)
        st = bb_path_mkdir_p(out, &err);
    if (!st)
        st = merge_items(in, n, out, &err);
    char path[4200];
    snprintf(path, sizeof path, "%s/results.csv", out);
    if (!st)
        st = bb_results_write_csv(&res, path, &err);
    if (!st)
        st = write_json(m, mf, &err);
    if (!st && !no_report)
        st = write_report(out, suite_path, m, &res, &err);
    if (!st)
        printf("merged %zu shards (%zu result rows) into %s\n", n, res.n, out);
    for (size_t i = 0; in && i < n; i++)
        if (in[i].loaded)
            bb_rundata_free(&in[i].run);
    free(in);
    json_decref(m);
    bb_results_free(&res);
    return st ? bb_cli_fail("merge", st, &err) : 0;
}
