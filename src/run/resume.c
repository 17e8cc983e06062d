/* resume.c: reading an interrupted run back for `run --resume` (resume.h):
 * its manifest (command line, version, suite/dataset/model hashes, finished
 * jobs), and the finished jobs' result rows kept in DIR/partial/. */
#include "run/resume.h"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/version.h"
#include "tasks/task.h"

struct bb_resume {
    json_t *m;   /* the manifest */
    int argc;
    char **argv; /* after "biasbench" */
};

static const char *jget_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *jget_str_at(json_t *a, size_t i)
{
    const char *s = json_string_value(json_array_get(a, i));
    return s ? s : "";
}

/* ---- opening ---------------------------------------------------------------------- */

static enum bb_status check_version(const char *mf, json_t *m, struct bb_error *err)
{
    json_t *bb = json_object_get(m, "biasbench");
    const char *v = jget_str(bb, "version"), *c = jget_str(bb, "commit");
    if (strcmp(v, PACKAGE_VERSION) || strcmp(c, bb_build_commit()))
        return bb_fail(err, BB_E_INPUT, "%s: cannot resume: the biasbench version differs: the "
                       "run was made by biasbench %s (commit %s), this is %s (commit %s); rerun "
                       "it instead", mf, v[0] ? v : "?", c[0] ? c : "?", PACKAGE_VERSION,
                       bb_build_commit());
    return BB_OK;
}

static enum bb_status read_argv(struct bb_resume *r, const char *mf, struct bb_error *err)
{
    json_t *a = json_object_get(r->m, "command_line");
    size_t n = json_array_size(a);
    size_t k0 = n && !strcmp(jget_str_at(a, 0), "biasbench"); /* argv[0] "biasbench" dropped */
    if (n < k0 + 2 || strcmp(jget_str_at(a, k0), "run"))
        return bb_fail(err, BB_E_INPUT, "%s: cannot resume: command_line is not a `biasbench run` "
                       "command line", mf);
    r->argv = calloc(n - k0 + 1, sizeof *r->argv);
    if (!r->argv)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t i = k0; i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s)
            return bb_fail(err, BB_E_INPUT, "%s: command_line[%zu]: expected a string", mf, i);
        if (!(r->argv[r->argc++] = strdup(s)))
            return bb_fail(err, BB_E_NOMEM, "out of memory");
    }
    return BB_OK;
}

enum bb_status bb_resume_open(const char *dir, struct bb_resume **out, struct bb_error *err)
{
    char mf[4200];
    json_error_t je;
    *out = NULL;
    snprintf(mf, sizeof mf, "%s/manifest.json", dir);
    if (access(mf, F_OK))
        return bb_fail(err, BB_E_USAGE, "--resume %s: no manifest.json there: not a run directory",
                       dir);
    struct bb_resume *r = calloc(1, sizeof *r);
    if (!r)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    enum bb_status st = BB_OK;
    if (!(r->m = json_load_file(mf, 0, &je)) || !json_is_object(r->m))
        st = bb_fail(err, BB_E_INPUT, "%s:%d: cannot resume: not a JSON object: %s", mf, je.line,
                     r->m ? "top level" : je.text);
    else if (!json_is_false(json_object_get(r->m, "complete")))
        st = bb_fail(err, BB_E_USAGE, "--resume %s: the run finished (manifest.json: \"complete\" "
                     "is not false); there is nothing to resume", dir);
    if (!st)
        st = check_version(mf, r->m, err);
    if (!st)
        st = read_argv(r, mf, err);
    if (st) {
        bb_resume_free(r);
        return st;
    }
    *out = r;
    return BB_OK;
}

void bb_resume_free(struct bb_resume *r)
{
    if (!r)
        return;
    for (int i = 0; r->argv && i < r->argc; i++)
        free(r->argv[i]);
    free(r->argv);
    json_decref(r->m);
    free(r);
}

int bb_resume_argc(const struct bb_resume *r) { return r->argc; }
char **bb_resume_argv(struct bb_resume *r) { return r->argv; }
const char *bb_resume_working_dir(const struct bb_resume *r)
{
    return jget_str(r->m, "working_dir");
}

const char *bb_resume_start_time(const struct bb_resume *r)
{
    return jget_str(r->m, "start_time");
}

/* ---- checks -------------------------------------------------------------------------- */

enum bb_status bb_resume_check_suite(const struct bb_resume *r, const char *const *files,
                                     const char (*sha)[BB_SHA256_HEX_LEN], size_t n,
                                     struct bb_error *err)
{
    json_t *rec = json_object_get(json_object_get(r->m, "suite"), "files");
    size_t nr = json_array_size(rec);
    for (size_t i = 0; i < nr; i++) {
        json_t *f = json_array_get(rec, i);
        const char *p = jget_str(f, "path"), *h = jget_str(f, "sha256");
        size_t k = 0;
        while (k < n && strcmp(files[k], p))
            k++;
        if (k == n)
            return bb_fail(err, BB_E_INPUT, "cannot resume: the suite changed: %s is no longer "
                           "one of its files", p);
        if (strcmp(h, sha[k]))
            return bb_fail(err, BB_E_INPUT, "cannot resume: the suite changed: %s: sha256 was "
                           "%.12s..., is now %.12s...", p, h[0] ? h : "(unreadable)",
                           sha[k][0] ? sha[k] : "(unreadable)");
    }
    if (n != nr)
        return bb_fail(err, BB_E_INPUT, "cannot resume: the suite changed: it has %zu file(s), "
                       "the run recorded %zu", n, nr);
    return BB_OK;
}

enum bb_status bb_resume_check_datasets(const struct bb_resume *r, struct bb_error *err)
{
    json_t *a = json_object_get(r->m, "datasets");
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *d = json_array_get(a, i);
        const char *id = jget_str(d, "id"), *p = jget_str(d, "path"), *h = jget_str(d, "sha256");
        char now[BB_SHA256_HEX_LEN];
        struct bb_error e = {0};
        if (bb_sha256_file(p, now, &e))
            return bb_fail(err, BB_E_INPUT, "cannot resume: dataset %s changed: %s", id, e.msg);
        if (strcmp(now, h))
            return bb_fail(err, BB_E_INPUT, "cannot resume: dataset %s changed: %s: sha256 was "
                           "%.12s..., is now %.12s...", id, p, h, now);
    }
    return BB_OK;
}

const char *bb_resume_model_sha(const struct bb_resume *r, const char *id)
{
    json_t *a = json_object_get(r->m, "models");
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!strcmp(jget_str(json_array_get(a, i), "id"), id))
            return jget_str(json_array_get(a, i), "sha256");
    return "";
}

/* ---- finished jobs -------------------------------------------------------------------- */

bool bb_resume_job_done(const struct bb_resume *r, const char *task, const char *model,
                        double *seconds, size_t *rows, long *headline)
{
    json_t *tasks = json_object_get(r->m, "tasks");
    for (size_t i = 0; i < json_array_size(tasks); i++) {
        json_t *t = json_array_get(tasks, i);
        if (strcmp(jget_str(t, "id"), task))
            continue;
        json_t *runs = json_object_get(t, "runs");
        for (size_t k = 0; k < json_array_size(runs); k++) {
            json_t *run = json_array_get(runs, k);
            json_t *h = json_object_get(run, "headline");
            if (strcmp(jget_str(run, "model"), model))
                continue;
            *seconds = json_number_value(json_object_get(run, "seconds"));
            *rows = (size_t)json_integer_value(json_object_get(run, "rows"));
            *headline = json_is_integer(h) ? (long)json_integer_value(h) : -1;
            return true;
        }
    }
    return false;
}

static void rows_path(const char *dir, const char *task, const char *model, char *out, size_t n)
{
    char t[256], m[256];
    bb_items_name_part(t, sizeof t, task);
    bb_items_name_part(m, sizeof m, model);
    snprintf(out, n, "%s/partial/%s__%s.csv", dir, t, m);
}

enum bb_status bb_resume_save_rows(const char *dir, const char *task, const char *model,
                                   const struct bb_result_row *rows, size_t n,
                                   struct bb_error *err)
{
    char p[4800];
    if (!n) /* nothing to keep: the job's rows are none */
        return BB_OK;
    snprintf(p, sizeof p, "%s/partial", dir);
    if (mkdir(p, 0777) && errno != EEXIST)
        return bb_fail(err, BB_E_IO, "%s: cannot create: %s", p, strerror(errno));
    rows_path(dir, task, model, p, sizeof p);
    struct bb_results view = {(struct bb_result_row *)rows, n, n};
    return bb_results_write_csv(&view, p, err);
}

enum bb_status bb_resume_load_rows(const char *dir, const char *task, const char *model,
                                   size_t rows, struct bb_results *out, struct bb_error *err)
{
    char p[4800];
    if (!rows)
        return BB_OK;
    rows_path(dir, task, model, p, sizeof p);
    size_t before = out->n;
    enum bb_status st = bb_results_read_csv(p, out, err);
    if (st) {
        bb_error_prefix(err, "cannot resume: the rows of finished task '%s' on model '%s'", task,
                        model);
        return st;
    }
    for (size_t i = before; i < out->n; i++)
        if (strcmp(out->rows[i].task, task) || strcmp(out->rows[i].model, model))
            return bb_fail(err, BB_E_INPUT, "%s: cannot resume: row %zu is of task '%s' on model "
                           "'%s', expected '%s' on '%s'", p, i - before + 1, out->rows[i].task,
                           out->rows[i].model, task, model);
    if (out->n - before != rows)
        return bb_fail(err, BB_E_INPUT, "%s: cannot resume: %zu rows, the manifest says %zu", p,
                       out->n - before, rows);
    return BB_OK;
}

void bb_resume_remove_rows(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/partial", dir);
    DIR *d = opendir(p);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".csv")) {
            char f[4500];
            snprintf(f, sizeof f, "%s/%s", p, e->d_name);
            unlink(f);
        }
    }
    if (d)
        closedir(d);
    rmdir(p);
}

/* ---- records ----------------------------------------------------------------------------- */

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static long jlong_or(json_t *v, long dflt)
{
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static enum bb_status restore_file(json_t *d, struct bb_task_records *rec, struct bb_error *err)
{
    if (rec->n_files == rec->cap_files) {
        size_t nc = rec->cap_files ? rec->cap_files * 2 : 8;
        void *p = realloc(rec->files, nc * sizeof *rec->files);
        if (!p)
            return bb_fail(err, BB_E_NOMEM, "out of memory");
        rec->files = p;
        rec->cap_files = nc;
    }
    struct bb_task_file *f = &rec->files[rec->n_files];
    f->dataset_id = dup_or_empty(jget_str(d, "id"));
    f->path = dup_or_empty(jget_str(d, "path"));
    f->sha256 = dup_or_empty(jget_str(d, "sha256"));
    f->format = dup_or_empty(jget_str(d, "format"));
    f->bytes = (unsigned long long)jlong_or(json_object_get(d, "bytes"), 0);
    f->rows = jlong_or(json_object_get(d, "rows"), -1);
    f->skipped_rows = jlong_or(json_object_get(d, "skipped_rows"), -1);
    if (!f->dataset_id || !f->path || !f->sha256 || !f->format) {
        free(f->dataset_id), free(f->path), free(f->sha256), free(f->format);
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    }
    rec->n_files++;
    return BB_OK;
}

static enum bb_status restore_skip(json_t *s, struct bb_task_records *rec, struct bb_error *err)
{
    if (rec->n_skips == rec->cap_skips) {
        size_t nc = rec->cap_skips ? rec->cap_skips * 2 : 8;
        void *p = realloc(rec->skips, nc * sizeof *rec->skips);
        if (!p)
            return bb_fail(err, BB_E_NOMEM, "out of memory");
        rec->skips = p;
        rec->cap_skips = nc;
    }
    struct bb_task_skip *k = &rec->skips[rec->n_skips];
    k->task_id = dup_or_empty(jget_str(s, "task"));
    k->model_id = dup_or_empty(jget_str(s, "model"));
    k->what = dup_or_empty(jget_str(s, "what"));
    k->reason = dup_or_empty(jget_str(s, "reason"));
    if (!k->task_id || !k->model_id || !k->what || !k->reason) {
        free(k->task_id), free(k->model_id), free(k->what), free(k->reason);
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    }
    rec->n_skips++;
    return BB_OK;
}

enum bb_status bb_resume_restore_records(const struct bb_resume *r, struct bb_task_records *rec,
                                         struct bb_error *err)
{
    enum bb_status st = BB_OK;
    json_t *ds = json_object_get(r->m, "datasets"), *sk = json_object_get(r->m, "skipped");
    for (size_t i = 0; i < json_array_size(ds) && !st; i++)
        st = restore_file(json_array_get(ds, i), rec, err);
    for (size_t i = 0; i < json_array_size(sk) && !st; i++) {
        json_t *s = json_array_get(sk, i);
        double sec;
        size_t rows;
        long h;
        /* parts skipped by a job that finished; a whole task's skip is decided again */
        if (json_is_string(json_object_get(s, "model")) &&
            bb_resume_job_done(r, jget_str(s, "task"), jget_str(s, "model"), &sec, &rows, &h))
            st = restore_skip(s, rec, err);
    }
    return st;
}
