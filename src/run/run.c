/* run.c: the evaluator loop of `biasbench run`: load and validate the suite,
 * pick models and tasks, skip tasks whose data cannot be found (unless the
 * user named them), create the run directory, then for each model: load it
 * once, run each of its tasks through the task interface (tasks/task.h),
 * and finally write results.csv, manifest.json, the report and a summary
 * table. Every file goes through fileout.h (temporary name + rename), and the
 * manifest is written first with "complete": false, so an interrupted run
 * leaves complete files only and says that it is unfinished. */
#include "run.h"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "core/fileout.h"
#include "core/log.h"
#include "core/rescache.h"
#include "resume.h"
#include "model/model.h"
#include "core/paths.h"
#include "suite/precheck.h"
#include "report/profile_chart.h"
#include "report/report.h"
#include "report/robustness.h"
#include "suite/perturb.h"
#include "metrics/results.h"
#include "metrics/table.h"
#include "core/sha256.h"
#include "runlock.h"
#include "shard.h"
#include "suite/suite.h"
#include "tasks/task.h"
#include "core/version.h"



/* A model to run: a suite entry, or one given with --model that is not. */
struct run_model {
    const struct bb_suite_model *spec;
    struct bb_suite_model adhoc; /* spec points here for --model PATH */
    char id_buf[256];            /* its id: the last path component */
    bool is_adhoc;
    char path[4096];             /* resolved folder or file */
    char weights[4200];          /* the weights file hashed */
    char sha256[BB_SHA256_HEX_LEN];
    unsigned long long bytes;
    double load_s;
    int dim;
    const char *arch;
    bool loaded;
};

/* One task of the plan and what became of it. */
struct run_task {
    const struct bb_suite_task *t;
    bool named;       /* given with --task */
    bool skip;
    char reason[1400];
};

struct run_done { /* one task x model that ran */
    const char *task, *model;
    double seconds;
    size_t first;         /* its first row in results (in kept while kept_pending) */
    bool kept_pending;    /* --resume: finished before, rows not yet placed */
    size_t rows;
    bool has_headline;
    size_t headline;
};

struct run {
    const struct bb_run_opts *o;
    struct bb_suite *suite;
    char suite_sha[BB_SHA256_HEX_LEN];
    char (*file_sha)[BB_SHA256_HEX_LEN]; /* per suite->files[i], hashed once; "" if unreadable */
    uint64_t seed;
    const char *backend_name, *device_sel;
    struct bb_backend *be;
    struct run_model *models;
    size_t n_models;
    struct run_task *tasks;
    size_t n_tasks;
    struct run_done *done;
    size_t n_done;
    size_t n_planned;            /* task x model runs to do (for "[i/N]" status lines) */
    char dir[4096];
    char start[32], end[32];
    const char *error;           /* why the run stopped early (manifest "error") */
    const char *stage;           /* where it was: setup, model, task, finish ("failed_at") */
    const char *fail_task, *fail_model; /* the task x model that failed, if one did */
    char fail_src[300];          /* the biasbench source line that raised the error */
    struct bb_runlock lock;      /* held on dir from make_dir on (runlock.h) */
    struct bb_results results;
    struct bb_task_records rec;
    bool *mine;                  /* [model * n_tasks + task]: this shard runs the job (shard.h) */
    struct bb_rescache *rc;      /* the result cache; NULL with --no-cache */
    size_t n_kept;               /* jobs kept from the interrupted run (--resume) */
    struct bb_results kept;      /* their rows, placed into results in run order */
};

/* ---- small helpers ------------------------------------------------------------ */

static void utc_now(char *buf, size_t n, bool compact)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool task_has_model(const struct bb_suite_task *t, const struct run_model *m)
{
    if (m->is_adhoc)
        return true;
    for (size_t i = 0; i < t->n_models; i++)
        if (t->models[i] == m->spec)
            return true;
    return false;
}

/* ---- plan: models, tasks, data -------------------------------------------------- */

/* Id of a model given by path or name: its last non-empty path component. */
static const char *adhoc_id(char *buf, size_t n, const char *spec)
{
    snprintf(buf, n, "%s", spec);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = 0;
    const char *base = strrchr(buf, '/');
    return base && base[1] ? base + 1 : buf;
}

static enum bb_status pick_models(struct run *R, struct bb_error *err)
{
    const struct bb_run_opts *o = R->o;
    size_t n = o->n_models ? o->n_models : R->suite->n_models;
    R->models = calloc(n ? n : 1, sizeof *R->models);
    if (!R->models)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct run_model *m = &R->models[R->n_models];
        if (!o->n_models) {
            m->spec = &R->suite->models[i];
        } else if ((m->spec = bb_suite_find_model(R->suite, o->models[i])) == NULL) {
            /* Not a suite id: a model path or cache name run on every task. */
            char path[4096];
            if (bb_paths_find_model(o->models[i], path, sizeof path, err)) {
                if (bb_path_looks_like_path(o->models[i])) {
                    bb_error_prefix(err, "--model");
                    return BB_E_USAGE;
                }
                bb_error_prefix(err, "--model '%s' is neither a model id of suite '%s' nor a "
                                "model found on disk (run `biasbench fetch` for a Hugging Face id)",
                                o->models[i], R->suite->name);
                return BB_E_USAGE;
            }
            m->adhoc.id = adhoc_id(m->id_buf, sizeof m->id_buf, o->models[i]);
            m->adhoc.source = o->models[i];
            m->adhoc.precision = BB_SUITE_F32;
            m->spec = &m->adhoc;
            m->is_adhoc = true;
        }
        for (size_t k = 0; k < R->n_models; k++)
            if (!strcmp(R->models[k].spec->id, m->spec->id))
                return bb_fail(err, BB_E_USAGE, "--model '%s' is given twice", m->spec->id);
        R->n_models++;
    }
    if (!R->n_models)
        return bb_fail(err, BB_E_INPUT, "%s: the suite defines no models", R->suite->path);
    return BB_OK;
}

static void list_task_ids(const struct bb_suite *s, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < s->n_tasks && k + 1 < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "", s->tasks[i].id);
}

static enum bb_status pick_tasks(struct run *R, struct bb_error *err)
{
    const struct bb_run_opts *o = R->o;
    const struct bb_suite *s = R->suite;
    R->tasks = calloc(s->n_tasks ? s->n_tasks : 1, sizeof *R->tasks);
    if (!R->tasks)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t i = 0; i < o->n_tasks; i++)
        if (!bb_suite_find_task(s, o->tasks[i])) {
            char ids[2048];
            list_task_ids(s, ids, sizeof ids);
            return bb_fail(err, BB_E_USAGE,
                           "--task '%s': suite '%s' has no such task (its tasks: %s)", o->tasks[i],
                           s->name, ids);
        }
    for (size_t i = 0; i < s->n_tasks; i++) {
        const struct bb_suite_task *t = &s->tasks[i];
        bool named = false;
        for (size_t k = 0; k < o->n_tasks; k++)
            named |= !strcmp(o->tasks[k], t->id);
        if (o->n_tasks && !named)
            continue;
        struct run_task *rt = &R->tasks[R->n_tasks++];
        rt->t = t;
        rt->named = named;
        if (!bb_task_runner(t->type)) {
            rt->skip = true;
            snprintf(rt->reason, sizeof rt->reason,
                     "task type '%s' is not built into this biasbench",
                     bb_suite_task_type_name(t->type));
        }
        if (rt->skip && named) {
            char pos[512];
            bb_suite_pos_str(t->pos, pos, sizeof pos);
            return bb_fail(err, BB_E_INPUT, "%s: task '%s' (named with --task) cannot run: %s", pos,
                           t->id, rt->reason);
        }
        bool any = false;
        for (size_t k = 0; k < R->n_models; k++)
            any |= task_has_model(t, &R->models[k]);
        if (!any && !rt->skip) {
            rt->skip = true;
            snprintf(rt->reason, sizeof rt->reason, "none of its models was selected with --model");
        }
    }
    return BB_OK;
}


/* Everything checkable without a model, before the first one is loaded (as
 * `biasbench validate` does): a typo in the last task must not cost the
 * whole run. Tasks whose data is not found are skipped (named ones stop the
 * run); any other problem stops it, listing every problem. */
static enum bb_status precheck(struct run *R, struct bb_error *err)
{
    const struct bb_suite *s = R->suite;
    struct bb_precheck pc = {0};
    bool *sel = calloc(s->n_tasks ? s->n_tasks : 1, sizeof *sel);
    if (!sel)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t i = 0; i < R->n_tasks; i++)
        if (!R->tasks[i].skip)
            sel[R->tasks[i].t - s->tasks] = true;
    struct bb_precheck_opts po = {.data_dir = R->o->data_dir, .task_selected = sel};
    enum bb_status st = bb_precheck_suite(s, &po, &pc, err);
    for (size_t i = 0; i < R->n_tasks && !st; i++) {
        struct run_task *rt = &R->tasks[i];
        size_t k = (size_t)(rt->t - s->tasks);
        if (rt->skip || !pc.task_missing_data[k])
            continue;
        rt->skip = true;
        snprintf(rt->reason, sizeof rt->reason, "%s", pc.task_missing_reason[k]);
        if (rt->named) {
            char pos[512];
            bb_suite_pos_str(rt->t->pos, pos, sizeof pos);
            st = bb_fail(err, BB_E_INPUT, "%s: task '%s' (named with --task) cannot run: %s", pos,
                         rt->t->id, rt->reason);
        }
    }
    /* the suite's models that will be loaded must resolve */
    size_t n_model_errors = 0;
    for (size_t i = 0; i < R->n_models && !st; i++) {
        struct run_model *m = &R->models[i];
        bool used = false;
        for (size_t k = 0; k < R->n_tasks; k++)
            used |= !R->tasks[k].skip && task_has_model(R->tasks[k].t, m);
        char path[4096], pos[512];
        struct bb_error e = {0};
        if (!used || m->is_adhoc || !bb_paths_find_model(m->spec->source, path, sizeof path, &e))
            continue;
        bb_suite_pos_str(m->spec->source_pos, pos, sizeof pos);
        fprintf(stderr, "%s: model '%s': %s\n", pos, m->spec->id, e.msg);
        n_model_errors++;
    }
    if (!st && (pc.n_errors || n_model_errors)) {
        bb_precheck_print(&pc, stderr);
        st = bb_fail(err, BB_E_INPUT, "%s: %zu problem%s found before loading any model (listed "
                     "above; `biasbench validate` checks the same)", s->path,
                     pc.n_errors + n_model_errors, pc.n_errors + n_model_errors == 1 ? "" : "s");
    }
    bb_precheck_free(&pc);
    free(sel);
    return st;
}

/* Never green when nothing can be measured: every task skipped (or, with
 * --require-all, any task skipped) stops the run before it starts, listing
 * what was skipped and why. */
static enum bb_status check_skips(struct run *R, struct bb_error *err)
{
    size_t skipped = 0;
    for (size_t i = 0; i < R->n_tasks; i++)
        skipped += R->tasks[i].skip;
    if (!skipped || (skipped < R->n_tasks && !R->o->require_all))
        return BB_OK;
    for (size_t i = 0; i < R->n_tasks; i++)
        if (R->tasks[i].skip)
            fprintf(stderr, "skipped: task '%s': %s\n", R->tasks[i].t->id, R->tasks[i].reason);
    if (skipped == R->n_tasks)
        return bb_fail(err, BB_E_INPUT, "%s: nothing to measure: all %zu task%s would be skipped "
                       "(listed above); nothing was run", R->suite->path, R->n_tasks,
                       R->n_tasks == 1 ? "" : "s");
    return bb_fail(err, BB_E_INPUT, "%s: %zu of %zu tasks would be skipped (listed above) and "
                   "--require-all was given; nothing was run", R->suite->path, skipped, R->n_tasks);
}

/* ---- manifest ------------------------------------------------------------------------ */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *manifest_suite(const struct run *R)
{
    json_t *s = json_object(), *files = json_array();
    json_object_set_new(s, "name", jstr(R->suite->name));
    json_object_set_new(s, "path", jstr(R->suite->path));
    char abs[4096]; /* so report, gate and compare find it from any folder */
    json_object_set_new(s, "abs_path", realpath(R->suite->path, abs) ? jstr(abs) : json_null());
    json_object_set_new(s, "sha256", jstr(R->suite_sha));
    for (size_t i = 0; i < R->suite->n_files; i++) {
        json_t *f = json_object();
        json_object_set_new(f, "path", jstr(R->suite->files[i]));
        if (R->file_sha[i][0])
            json_object_set_new(f, "sha256", jstr(R->file_sha[i]));
        json_array_append_new(files, f);
    }
    json_object_set_new(s, "files", files);
    return s;
}

static json_t *manifest_device(const struct run *R)
{
    json_t *d = json_object();
    json_object_set_new(d, "backend", jstr(R->backend_name));
    json_object_set_new(d, "selector", jstr(R->device_sel));
    if (!R->be)
        return d;
    const struct bb_device_info *in = bb_backend_info(R->be);
    json_object_set_new(d, "name", jstr(in->name));
    json_object_set_new(d, "vendor", jstr(in->vendor));
    json_object_set_new(d, "driver", jstr(in->driver));
    json_object_set_new(d, "platform", jstr(in->platform));
    json_object_set_new(d, "version", jstr(in->version));
    json_object_set_new(d, "compute_units", json_integer(in->compute_units));
    json_object_set_new(d, "global_mem_bytes", json_integer((json_int_t)in->global_mem));
    json_object_set_new(d, "kernel_build_s", jnum(in->build_seconds));
    json_object_set_new(d, "program_cached", json_boolean(in->program_cached));
    return d;
}

static json_t *manifest_models(const struct run *R)
{
    json_t *a = json_array();
    for (size_t i = 0; i < R->n_models; i++) {
        const struct run_model *m = &R->models[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", jstr(m->spec->id));
        json_object_set_new(o, "source", jstr(m->spec->source));
        json_object_set_new(o, "from_command_line", json_boolean(m->is_adhoc));
        json_object_set_new(o, "path", m->path[0] ? jstr(m->path) : json_null());
        json_object_set_new(o, "weights_file", m->weights[0] ? jstr(m->weights) : json_null());
        json_object_set_new(o, "sha256", m->sha256[0] ? jstr(m->sha256) : json_null());
        json_object_set_new(o, "bytes", json_integer((json_int_t)m->bytes));
        json_object_set_new(o, "precision", jstr(bb_suite_precision_name(m->spec->precision)));
        json_object_set_new(o, "max_seq_len", json_integer(m->spec->max_seq_len));
        json_object_set_new(o, "arch", jstr(m->arch));
        json_object_set_new(o, "dim", json_integer(m->dim));
        json_object_set_new(o, "load_s", m->loaded ? jnum(m->load_s) : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *manifest_datasets(const struct run *R)
{
    json_t *a = json_array();
    for (size_t i = 0; i < R->rec.n_files; i++) {
        const struct bb_task_file *f = &R->rec.files[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", jstr(f->dataset_id));
        json_object_set_new(o, "path", jstr(f->path));
        json_object_set_new(o, "sha256", jstr(f->sha256));
        json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
        json_object_set_new(o, "format", jstr(f->format));
        json_object_set_new(o, "rows", f->rows >= 0 ? json_integer(f->rows) : json_null());
        json_object_set_new(o, "skipped_rows",
                            f->skipped_rows >= 0 ? json_integer(f->skipped_rows) : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *manifest_tasks(const struct run *R, json_t **skipped)
{
    json_t *a = json_array();
    *skipped = json_array();
    for (size_t i = 0; i < R->n_tasks; i++) {
        const struct run_task *rt = &R->tasks[i];
        json_t *o = json_object(), *runs = json_array();
        json_object_set_new(o, "id", jstr(rt->t->id));
        json_object_set_new(o, "type", jstr(bb_suite_task_type_name(rt->t->type)));
        size_t ran = 0;
        for (size_t k = 0; k < R->n_done; k++) {
            if (strcmp(R->done[k].task, rt->t->id))
                continue;
            ran++;
            json_t *r = json_object();
            json_object_set_new(r, "model", jstr(R->done[k].model));
            json_object_set_new(r, "seconds", jnum(R->done[k].seconds));
            json_object_set_new(r, "rows", json_integer((json_int_t)R->done[k].rows));
            /* the headline row's offset among the job's rows (--resume restores it) */
            const struct run_done *dk = &R->done[k];
            json_object_set_new(r, "headline", dk->has_headline && dk->headline >= dk->first
                                ? json_integer((json_int_t)(dk->headline - dk->first))
                                : json_null());
            json_array_append_new(runs, r);
        }
        json_object_set_new(o, "runs", runs);
        json_object_set_new(o, "status", jstr(rt->skip ? "skipped" : ran ? "ran" : "pending"));
        json_array_append_new(a, o);
        if (rt->skip) {
            json_t *s = json_object();
            json_object_set_new(s, "task", jstr(rt->t->id));
            json_object_set_new(s, "model", json_null());
            json_object_set_new(s, "what", jstr("task"));
            json_object_set_new(s, "reason", jstr(rt->reason));
            json_array_append_new(*skipped, s);
        }
    }
    for (size_t i = 0; i < R->rec.n_skips; i++) {
        const struct bb_task_skip *k = &R->rec.skips[i];
        json_t *s = json_object();
        json_object_set_new(s, "task", jstr(k->task_id));
        json_object_set_new(s, "model", jstr(k->model_id));
        json_object_set_new(s, "what", jstr(k->what));
        json_object_set_new(s, "reason", jstr(k->reason));
        json_array_append_new(*skipped, s);
    }
    return a;
}

/* What the result cache did in this run (docs/caching.md): "computed" counts
 * the texts (token sequences) the model ran, "hits" those read back. */
static json_t *manifest_cache(const struct run *R)
{
    json_t *c = json_object();
    json_object_set_new(c, "enabled", json_boolean(R->rc != NULL));
    if (!R->rc)
        return c;
    const struct bb_rescache_stats *s = bb_rescache_stats(R->rc);
    json_object_set_new(c, "dir", jstr(bb_rescache_path(R->rc)));
    json_object_set_new(c, "max_bytes", json_integer((json_int_t)bb_rescache_max(R->rc)));
    json_object_set_new(c, "hits", json_integer((json_int_t)s->hits));
    json_object_set_new(c, "computed", json_integer((json_int_t)s->computed));
    json_object_set_new(c, "stored", json_integer((json_int_t)s->stored));
    json_object_set_new(c, "corrupt", json_integer((json_int_t)s->corrupt));
    json_object_set_new(c, "evicted", json_integer((json_int_t)s->evicted));
    return c;
}

static json_t *manifest_build(const struct run *R, bool complete)
{
    const struct bb_run_opts *o = R->o;
    json_t *m = json_object(), *bb = json_object(), *argv = json_array(), *host = json_object();
    json_t *skipped;
    struct utsname u;
    json_object_set_new(bb, "version", jstr(PACKAGE_VERSION));
    json_object_set_new(bb, "commit", jstr(bb_build_commit()));
    json_object_set_new(m, "manifest_version", json_integer(1));
    json_object_set_new(m, "biasbench", bb);
    json_object_set_new(m, "complete", json_boolean(complete));
    if (R->error) {
        json_t *at = json_object();
        json_object_set_new(m, "error", jstr(R->error));
        json_object_set_new(at, "stage", jstr(R->stage));
        json_object_set_new(at, "task", jstr(R->fail_task));
        json_object_set_new(at, "model", jstr(R->fail_model));
        json_object_set_new(at, "source", jstr(R->fail_src[0] ? R->fail_src : NULL));
        json_object_set_new(m, "failed_at", at);
    }
    if (o->argc > 0 && strcmp(o->argv[0], "biasbench")) /* argv starts at the subcommand */
        json_array_append_new(argv, jstr("biasbench"));
    for (int i = 0; i < o->argc; i++)
        json_array_append_new(argv, jstr(o->argv[i]));
    json_object_set_new(m, "command_line", argv);
    char cwd[4096];
    json_object_set_new(m, "working_dir", getcwd(cwd, sizeof cwd) ? jstr(cwd) : json_null());
    json_object_set_new(m, "start_time", jstr(R->start));
    json_object_set_new(m, "end_time", complete || R->error ? jstr(R->end) : json_null());
    json_object_set_new(m, "suite", manifest_suite(R));
    if (R->seed <= (uint64_t)INT64_MAX)
        json_object_set_new(m, "seed", json_integer((json_int_t)R->seed));
    json_object_set_new(m, "limit", o->limit >= 0 ? json_integer(o->limit) : json_null());
    json_object_set_new(m, "bootstrap", json_integer(R->suite->defaults.bootstrap));
    json_object_set_new(m, "data_dir", jstr(o->data_dir));
    json_object_set_new(m, "device", manifest_device(R));
    json_object_set_new(m, "models", manifest_models(R));
    json_object_set_new(m, "datasets", manifest_datasets(R));
    json_object_set_new(m, "tasks", manifest_tasks(R, &skipped));
    if (o->shard_count)
        json_object_set_new(m, "shard", bb_shard_manifest(o->shard_index, o->shard_count,
                                                          o->shard_by_model, R->mine,
                                                          R->n_models, R->n_tasks));
    json_object_set_new(m, "skipped", skipped);
    size_t skipped_tasks = 0;
    for (size_t i = 0; i < R->n_tasks; i++)
        skipped_tasks += R->tasks[i].skip;
    json_object_set_new(m, "skipped_tasks", json_integer((json_int_t)skipped_tasks));
    json_object_set_new(m, "skipped_parts", json_integer((json_int_t)R->rec.n_skips));
    json_object_set_new(m, "result_cache", manifest_cache(R));
    if (o->resume) {
        json_t *rs = json_object();
        json_object_set_new(rs, "start_time", jstr(bb_resume_start_time(o->resume)));
        json_object_set_new(rs, "jobs_kept", json_integer((json_int_t)R->n_kept));
        json_object_set_new(m, "resumed", rs);
    }
    if (!uname(&u)) {
        json_object_set_new(host, "os", jstr(u.sysname));
        json_object_set_new(host, "release", jstr(u.release));
        json_object_set_new(host, "machine", jstr(u.machine));
    }
    json_object_set_new(m, "host", host);
    return m;
}

static enum bb_status manifest_write(const struct run *R, bool complete, struct bb_error *err)
{
    char path[4200];
    struct bb_fileout fo;
    snprintf(path, sizeof path, "%s/manifest.json", R->dir);
    json_t *m = manifest_build(R, complete);
    if (!m)
        return bb_fail(err, BB_E_NOMEM, "out of memory building the manifest");
    enum bb_status st = bb_fileout_open(&fo, path, err);
    if (!st) {
        if (json_dumpf(m, fo.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', fo.fp) == EOF)
            st = bb_fail(err, BB_E_IO, "%s: write failed", path);
        st = st ? st : bb_fileout_commit(&fo, err);
        bb_fileout_abort(&fo);
    }
    json_decref(m);
    return st;
}

/* ---- models --------------------------------------------------------------------------- */

/* The one .gguf file of a folder (as the model cache keeps GGUF models) into out. */
static void folder_gguf(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".gguf") && e->d_name[0] != '.' &&
            found++ == 0)
            snprintf(out, n, "%s/%s", dir, e->d_name);
    }
    if (d)
        closedir(d);
    if (found != 1)
        out[0] = 0;
}

/* The weights file of a model folder (or the file itself) and its sha256. */
static enum bb_status hash_weights(struct run_model *m, struct bb_error *err)
{
    static const char *const names[] = {"model.safetensors", "pytorch_model.safetensors", NULL};
    m->weights[0] = 0;
    if (!bb_path_is_dir(m->path)) {
        snprintf(m->weights, sizeof m->weights, "%s", m->path);
    } else {
        for (size_t i = 0; names[i] && !m->weights[0]; i++) {
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", m->path, names[i]);
            if (bb_path_exists(p))
                snprintf(m->weights, sizeof m->weights, "%s", p);
        }
        if (!m->weights[0])
            folder_gguf(m->path, m->weights, sizeof m->weights);
    }
    if (!m->weights[0])
        return BB_OK; /* the model loader names what is missing */
    struct stat sb;
    if (!stat(m->weights, &sb))
        m->bytes = (unsigned long long)sb.st_size;
    return bb_sha256_file(m->weights, m->sha256, err);
}

static enum bb_status load_model(struct run *R, struct run_model *rm, struct bb_model **out,
                                 struct bb_error *err)
{
    const struct bb_suite_model *s = rm->spec;
    enum bb_status st = bb_paths_find_model(s->source, rm->path, sizeof rm->path, err);
    if (!st)
        st = hash_weights(rm, err);
    if (!st) {
        struct bb_model_opts mo = {.weights = s->precision == BB_SUITE_F16 ? BB_F16 : BB_F32,
                                   .max_seq_len = (int)s->max_seq_len};
        bb_status_line("loading model '%s' from %s", s->id, rm->path);
        st = bb_model_load(rm->path, R->be, &mo, out, err);
        if (!st)
            bb_status_line("model '%s' loaded in %.1f s", s->id, bb_model_load_seconds(*out));
    }
    if (st) {
        char pos[512] = "command line";
        if (!rm->is_adhoc)
            bb_suite_pos_str(s->source_pos, pos, sizeof pos);
        bb_error_prefix(err, "%s: model '%s'", pos, s->id);
        return st;
    }
    if (R->rc && rm->sha256[0]) {
        char ns[1536];
        const struct bb_device_info *dev = bb_backend_info(R->be);
        /* kernels read from BIASBENCH_KERNEL_DIR: their hash, so an edited kernel misses */
        snprintf(ns, sizeof ns, "%s%s%s|%s|%s|%s|%s|%s|%s", bb_rescache_build_id(),
                 dev->kernel_sha256[0] ? "+kernels:" : "", dev->kernel_sha256, rm->sha256,
                 bb_model_arch(*out), R->backend_name, dev->name, dev->driver,
                 bb_suite_precision_name(s->precision));
        bb_model_set_rescache(*out, R->rc, ns);
    }
    rm->loaded = true;
    rm->load_s = bb_model_load_seconds(*out);
    rm->dim = bb_model_dim(*out);
    rm->arch = bb_model_arch(*out);
    return BB_OK;
}

/* ---- the loop ----------------------------------------------------------------------------- */

/* Robustness (suite `perturb:`): rerun the task that just ran on clean data
 * (its rows are rows [clean, results.n)) once per perturbation, then append
 * the paired differences (report/robustness.h). */
static enum bb_status run_perturbed(struct run *R, struct bb_task_ctx *ctx, size_t clean,
                                    struct bb_error *err)
{
    const struct bb_suite_perturb *pb = &R->suite->perturb;
    size_t clean_to = R->results.n;
    enum bb_status st = BB_OK;
    for (size_t k = 0; k < pb->n && !st; k++) {
        struct bb_perturb_lexicon lex = {0};
        size_t from = R->results.n;
        ctx->perturb = NULL;
        ctx->perturb_seed = pb->has_seed ? pb->seed : R->seed;
        ctx->lexicon = &lex;
        bb_info("task '%s' on model '%s': perturbation '%s'", ctx->task->id, ctx->model_id,
                pb->v[k].id);
        if (!(st = bb_task_perturb_lexicon(ctx, &pb->v[k], &lex, err))) {
            ctx->perturb = &pb->v[k];
            st = bb_task_runner(ctx->task->type)(ctx, err);
        }
        if (!st)
            st = bb_robustness_deltas(R->dir, &R->results, clean, clean_to, from, R->results.n,
                                      bb_task_subseed(ctx, "robustness"),
                                      (int)R->suite->defaults.bootstrap, err);
        if (st)
            bb_error_prefix(err, "perturbation '%s'", pb->v[k].id);
        bb_perturb_lexicon_free(&lex);
    }
    ctx->perturb = NULL, ctx->lexicon = NULL;
    return st;
}

static enum bb_status run_one(struct run *R, struct run_model *rm, struct bb_model *model,
                              struct bb_embed_cache *cache, const struct run_task *rt,
                              struct bb_error *err)
{
    const struct bb_suite_task *t = rt->t;
    const struct bb_suite_defaults *d = &R->suite->defaults;
    struct bb_task_ctx ctx = {
        .suite = R->suite,
        .task = t,
        .model_spec = rm->spec,
        .model = model,
        .model_id = rm->spec->id,
        .variant = bb_suite_precision_name(rm->spec->precision),
        .run_dir = R->dir,
        .data_dir = R->o->data_dir,
        .limit = R->o->limit >= 0 ? R->o->limit : t->limit,
        .batch_size = (int)t->batch_size,
        .bootstrap = d->bootstrap,
        .permutations = t->type == BB_TASK_ASSOCIATION && t->u.association.permutations > 0
                            ? t->u.association.permutations : d->permutations,
        .alpha = d->alpha,
        .seed = bb_task_seed(R->seed, t->id, rm->spec->id),
        .results = &R->results,
        .records = &R->rec,
        .cache = cache,
        .backend = R->be,
        .backend_name = R->backend_name,
        .device_sel = R->device_sel,
    };
    size_t before = R->results.n;
    double t0 = bb_now();
    /* A task that runs on every model (no `models` key) leaves out the models
       that cannot run it (an encoder in an LM task, a decoder in an embedding
       task or in a zero-shot task without verbalizers) with a note; a task
       that names the model refuses it (the task's own checks). */
    char why[300];
    if (!t->models_given && !bb_task_model_fits(t, bb_model_caps(model), why, sizeof why)) {
        char msg[600];
        snprintf(msg, sizeof msg, "model %s is a %s: %s", rm->spec->id, bb_model_kind(model), why);
        bb_task_note_skip(&ctx, "task", msg);
        return BB_OK;
    }
    bb_info("running task '%s' (%s) on model '%s'", t->id, bb_suite_task_type_name(t->type),
            rm->spec->id);
    /* a line at each start and end, TTY or not: CI logs are never silent for a whole task */
    bb_status_line("[%zu/%zu] %s (%s) on %s: started", R->n_done + 1, R->n_planned, t->id,
                   bb_suite_task_type_name(t->type), rm->spec->id);
    enum bb_status st = bb_task_runner(t->type)(&ctx, err);
    if (!st && bb_perturb_applies(R->suite, t))
        st = run_perturbed(R, &ctx, before, err);
    if (st) {
        bb_status_line("[%zu/%zu] %s on %s: failed after %.1f s", R->n_done + 1, R->n_planned,
                       t->id, rm->spec->id, bb_now() - t0);
        bb_error_prefix(err, "task '%s' on model '%s'", t->id, rm->spec->id);
        R->fail_task = t->id;
        R->fail_model = rm->spec->id;
        return st;
    }
    struct run_done *dn = &R->done[R->n_done++];
    dn->task = t->id;
    dn->model = rm->spec->id;
    dn->first = before;
    dn->seconds = bb_now() - t0;
    dn->rows = R->results.n - before;
    dn->has_headline = ctx.has_headline || dn->rows > 0;
    dn->headline = ctx.has_headline ? ctx.headline : before;
    char items[64] = "";
    if (dn->has_headline && dn->headline < R->results.n && R->results.rows[dn->headline].n > 0)
        snprintf(items, sizeof items, "n = %ld, ", R->results.rows[dn->headline].n);
    size_t parts = 0;
    for (size_t i = 0; i < R->rec.n_skips; i++)
        parts += !strcmp(R->rec.skips[i].task_id, t->id) &&
                 !strcmp(R->rec.skips[i].model_id, rm->spec->id);
    char skipped[64] = "";
    if (parts)
        snprintf(skipped, sizeof skipped, ", %zu part(s) skipped", parts);
    bb_status_line("[%zu/%zu] %s on %s: done in %.1f s (%s%zu result rows%s)", R->n_done,
                   R->n_planned, t->id, rm->spec->id, dn->seconds, items, dn->rows, skipped);
    return BB_OK;
}

/* --resume: the jobs the interrupted run finished, in run order: their rows
 * into R->kept (from DIR/partial/), their entries into R->done (marked
 * pending until the loop reaches them and places their rows). */
static enum bb_status restore_kept(struct run *R, struct bb_error *err)
{
    enum bb_status st = BB_OK;
    for (size_t m = 0; m < R->n_models && !st; m++)
        for (size_t i = 0; i < R->n_tasks && !st; i++) {
            const char *task = R->tasks[i].t->id, *model = R->models[m].spec->id;
            double seconds;
            size_t rows, first = R->kept.n;
            long headline;
            if (!R->mine[m * R->n_tasks + i] ||
                !bb_resume_job_done(R->o->resume, task, model, &seconds, &rows, &headline))
                continue;
            if ((st = bb_resume_load_rows(R->dir, task, model, rows, &R->kept, err)))
                break;
            struct run_done *dn = &R->done[R->n_done++];
            *dn = (struct run_done){.task = task, .model = model, .seconds = seconds,
                                    .first = first, .rows = rows, .kept_pending = true,
                                    .has_headline = headline >= 0 || rows > 0,
                                    .headline = first + (headline >= 0 ? (size_t)headline : 0)};
            R->n_kept++;
        }
    return st;
}

/* The job's entry when the interrupted run finished it: its rows are placed
 * here, in run order, and true is returned. */
static bool place_kept(struct run *R, const struct run_model *rm, const struct run_task *rt,
                       enum bb_status *st, struct bb_error *err)
{
    struct run_done *dn = NULL;
    for (size_t k = 0; k < R->n_done && !dn; k++)
        if (R->done[k].kept_pending && !strcmp(R->done[k].task, rt->t->id) &&
            !strcmp(R->done[k].model, rm->spec->id))
            dn = &R->done[k];
    if (!dn)
        return false;
    size_t first = R->results.n;
    for (size_t r = 0; r < dn->rows && !*st; r++)
        *st = bb_results_add(&R->results, &R->kept.rows[dn->first + r], err);
    dn->headline = first + (dn->headline - dn->first);
    dn->first = first;
    dn->kept_pending = false;
    bb_status_line("%s on %s: kept from the interrupted run (%zu result rows)", rt->t->id,
                   rm->spec->id, dn->rows);
    return true;
}

/* Run one job and keep its rows in DIR/partial/ for a later --resume. */
static enum bb_status run_job(struct run *R, struct run_model *rm, struct bb_model *model,
                              struct bb_embed_cache *cache, const struct run_task *rt,
                              struct bb_error *err)
{
    size_t before = R->results.n, done = R->n_done;
    enum bb_status st = run_one(R, rm, model, cache, rt, err);
    if (!st && R->n_done > done)
        st = bb_resume_save_rows(R->dir, rt->t->id, rm->spec->id, R->results.rows + before,
                                 R->results.n - before, err);
    return st;
}

static enum bb_status run_model(struct run *R, struct run_model *rm, struct bb_error *err)
{
    struct bb_model *model = NULL;
    struct bb_embed_cache *cache = NULL;
    size_t mi = (size_t)(rm - R->models);
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < R->n_tasks && !st; i++) {
        if (!R->mine[mi * R->n_tasks + i] || place_kept(R, rm, &R->tasks[i], &st, err))
            continue;
        if (!model) {
            R->stage = "model";
            R->fail_model = rm->spec->id;
            if (!(st = load_model(R, rm, &model, err)))
                st = bb_embed_cache_new(bb_model_dim(model), &cache, err);
            if (!st) {
                R->stage = "task";
                R->fail_model = NULL;
            }
        }
        if (!st)
            st = run_job(R, rm, model, cache, &R->tasks[i], err);
        if (!st) /* keep the manifest current: a later interrupt leaves an honest one */
            st = manifest_write(R, false, err);
    }
    bb_embed_cache_free(cache);
    bb_model_free(model);
    return st;
}

/* ---- summary --------------------------------------------------------------------------------- */

/* The unit a metric is reported in: the metric registry's (results.csv's unit column). */
static const char *metric_unit(const struct bb_result_row *r)
{
    return bb_metric_unit(r->metric);
}

/* v rounded to 4 significant digits, without trailing noise. */
static void fmt_value(double v, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (v != 0 && (fabs(v) >= 1e6 || fabs(v) < 1e-3))
        snprintf(buf, n, "%.3g", v);
    else
        snprintf(buf, n, "%.4g", v);
}

static void print_summary(const struct run *R, FILE *f)
{
    double alpha = R->suite->defaults.alpha;
    fprintf(f, "\n%-20s %-16s %-28s %10s %-6s %-22s %s\n", "task", "model", "metric", "value",
            "unit", "95% CI", "significance");
    for (size_t i = 0; i < R->n_done; i++) {
        const struct run_done *d = &R->done[i];
        if (!d->has_headline || d->headline >= R->results.n) {
            fprintf(f, "%-20s %-16s %-28s %10s\n", d->task, d->model, "(no rows)", "");
            continue;
        }
        const struct bb_result_row *r = &R->results.rows[d->headline];
        char ci[80] = "-", v[32], lo[32], hi[32], sig[64] = "-";
        fmt_value(r->value, v, sizeof v);
        if (!isnan(r->ci_low) && !isnan(r->ci_high)) {
            fmt_value(r->ci_low, lo, sizeof lo);
            fmt_value(r->ci_high, hi, sizeof hi);
            snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        }
        if (!isnan(r->p_value))
            snprintf(sig, sizeof sig, "p = %.2g%s", r->p_value,
                     r->p_value < alpha ? " (significant)" : " (not significant)");
        else if (r->kind == BB_KIND_TIMING)
            snprintf(sig, sizeof sig, "n = %ld timed batches", r->n);
        char metric[128];
        snprintf(metric, sizeof metric, "%s%s%s", r->metric, strcmp(r->group, "all") ? " " : "",
                 strcmp(r->group, "all") ? r->group : "");
        fprintf(f, "%-20s %-16s %-28s %10s %-6s %-22s %s\n", d->task, d->model, metric, v,
                metric_unit(r), ci, sig);
    }
    size_t skipped = 0;
    for (size_t i = 0; i < R->n_tasks; i++)
        skipped += R->tasks[i].skip;
    if (skipped || R->rec.n_skips)
        fprintf(f, "\nINCOMPLETE: %zu of %zu task(s) skipped, %zu part(s) of tasks skipped "
                "(manifest.json \"skipped\"; --require-all makes this an error):\n", skipped,
                R->n_tasks, R->rec.n_skips);
    for (size_t i = 0; i < R->n_tasks; i++)
        if (R->tasks[i].skip)
            fprintf(f, "skipped: task '%s': %s\n", R->tasks[i].t->id, R->tasks[i].reason);
    for (size_t i = 0; i < R->rec.n_skips; i++)
        fprintf(f, "skipped: task '%s', model '%s': %s: %s\n", R->rec.skips[i].task_id,
                R->rec.skips[i].model_id, R->rec.skips[i].what, R->rec.skips[i].reason);
    fprintf(f, "\nrun directory: %s\n", R->dir);
    fprintf(f, "  results:  %s/results.csv (every metric, CIs and p-values)\n", R->dir);
    if (!R->o->no_report)
        fprintf(f, "  report:   %s/report.html, %s/report.md\n", R->dir, R->dir);
    fprintf(f, "  manifest: %s/manifest.json\n", R->dir);
}

/* ---- setup and teardown ------------------------------------------------------------ */

/* The files a run writes, so a rerun into an unfinished run's folder does not
 * mix old per-item files with new ones. */
static void remove_run_files(const char *dir)
{
    static const char *const names[] = {"results.csv", "report.md", "report.html", NULL};
    char p[4400];
    for (size_t i = 0; names[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/items", dir);
    DIR *d = opendir(p);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".csv")) {
            char f[4700];
            snprintf(f, sizeof f, "%s/%s", p, e->d_name);
            unlink(f);
        }
    }
    if (d)
        closedir(d);
}

static enum bb_status make_dir(struct run *R, struct bb_error *err)
{
    if (R->o->out_dir) {
        snprintf(R->dir, sizeof R->dir, "%s", R->o->out_dir);
    } else {
        char ts[32];
        utc_now(ts, sizeof ts, true);
        snprintf(R->dir, sizeof R->dir, "reports/%s-%s", R->suite->name, ts);
    }
    char mf[4200];
    snprintf(mf, sizeof mf, "%s/manifest.json", R->dir);
    enum bb_status st;
    /* lock before looking: a run still writing DIR is refused, never interleaved */
    if ((st = bb_path_mkdir_p(R->dir, err)) ||
        (st = bb_runlock_acquire(&R->lock, R->dir, err)))
        return st;
    if (R->o->resume) /* resume.c checked that it holds an unfinished run; its files stay */
        return BB_OK;
    if (bb_path_exists(mf) && !R->o->force) {
        /* an unfinished run (failed or interrupted) is replaced: a rerun needs no --force */
        json_t *old = json_load_file(mf, 0, NULL);
        bool unfinished = old && json_is_false(json_object_get(old, "complete"));
        json_decref(old);
        if (!unfinished)
            return bb_fail(err, BB_E_USAGE,
                           "%s already holds a finished run (manifest.json says complete); choose "
                           "another --out, or pass --force to overwrite it", R->dir);
        bb_warn("%s holds an unfinished run (manifest.json: \"complete\": false); replacing it",
                R->dir);
        remove_run_files(R->dir);
    }
    bb_resume_remove_rows(R->dir); /* another run's finished jobs are not this one's */
    return BB_OK;
}

static enum bb_status open_backend(struct run *R, struct bb_error *err)
{
    const struct bb_suite_defaults *d = &R->suite->defaults;
    R->backend_name = R->o->backend ? R->o->backend : bb_suite_backend_name(d->backend);
    R->device_sel = R->o->device ? R->o->device : d->device ? d->device : "auto";
    if (R->o->profile && !strcmp(R->backend_name, "ref"))
        return bb_fail(err, BB_E_USAGE, "--profile times OpenCL kernels; the ref backend has "
                       "none (use --backend opencl)");
    struct bb_backend_opts bo = {.device = R->device_sel, .profile = R->o->profile};
    enum bb_status st = bb_backend_create(R->backend_name, &bo, &R->be, err);
    if (st)
        bb_error_prefix(err, "backend '%s', device '%s'", R->backend_name, R->device_sel);
    return st;
}

static enum bb_status load_suite(struct run *R, struct bb_error *err)
{
    struct bb_diagnostics diag = {0};
    enum bb_status st = bb_suite_load(R->o->suite_path, &R->suite, &diag, err);
    if (st && diag.n > 1) {
        bb_suite_print_errors(&diag, stderr);
        bb_fail(err, st, "%s: %zu errors in the suite (listed above)", R->o->suite_path, diag.n);
    }
    bb_diagnostics_free(&diag);
    if (!st)
        st = bb_sha256_file(R->suite->path, R->suite_sha, err);
    if (!st && !(R->file_sha = calloc(R->suite->n_files ? R->suite->n_files : 1,
                                      sizeof *R->file_sha)))
        st = bb_fail(err, BB_E_NOMEM, "out of memory for the suite's file hashes");
    if (!st && R->suite->n_files) /* files[0] is the top file, hashed above */
        memcpy(R->file_sha[0], R->suite_sha, sizeof R->suite_sha);
    for (size_t i = 1; !st && i < R->suite->n_files; i++)
        if (bb_sha256_file(R->suite->files[i], R->file_sha[i], NULL) != BB_OK)
            R->file_sha[i][0] = 0;
    if (!st)
        R->seed = R->o->has_seed ? R->o->seed : R->suite->seed;
    return st;
}

/* --resume: refuse when what decided the finished jobs changed: the suite's
 * files, the datasets read, the weights of the models loaded (sha256 each). */
static enum bb_status check_unchanged(struct run *R, struct bb_error *err)
{
    const struct bb_resume *r = R->o->resume;
    enum bb_status st = bb_resume_check_suite(r, R->suite->files,
                                              (const char (*)[BB_SHA256_HEX_LEN])R->file_sha,
                                              R->suite->n_files, err);
    if (!st)
        st = bb_resume_check_datasets(r, err);
    for (size_t i = 0; i < R->n_models && !st; i++) {
        struct run_model *m = &R->models[i];
        const char *was = bb_resume_model_sha(r, m->spec->id);
        if (!was[0]) /* never loaded: nothing of it is kept */
            continue;
        struct run_model now = *m;
        now.sha256[0] = 0;
        if ((st = bb_paths_find_model(m->spec->source, now.path, sizeof now.path, err)) ||
            (st = hash_weights(&now, err)))
            bb_error_prefix(err, "cannot resume: model %s changed", m->spec->id);
        else if (strcmp(was, now.sha256))
            st = bb_fail(err, BB_E_INPUT, "cannot resume: model %s changed: %s: sha256 was "
                         "%.12s..., is now %.12s...", m->spec->id, now.weights, was, now.sha256);
    }
    if (!st)
        st = bb_resume_restore_records(r, &R->rec, err);
    return st;
}

/* A bad BIASBENCH_CACHE_MAX is a usage error before anything runs. */
static enum bb_status check_cache_opts(const struct bb_run_opts *o, struct bb_error *err)
{
    uint64_t max;
    if (o->no_cache || o->cache_max || bb_rescache_off_by_env())
        return BB_OK;
    return bb_rescache_default_max(&max, err);
}

/* The result cache, unless --no-cache: a cache that cannot be opened is
 * warned about and the run goes on without it. */
static void open_cache(struct run *R)
{
    struct bb_error e = {0};
    if (R->o->no_cache || bb_rescache_off_by_env())
        return;
    uint64_t max = R->o->cache_max; /* --cache-size, BIASBENCH_CACHE_MAX, the suite's, 1 GiB */
    const char *env = getenv("BIASBENCH_CACHE_MAX");
    if (!max && !(env && *env))
        max = R->suite->defaults.cache_size;
    if (bb_rescache_open(NULL, max, &R->rc, &e))
        bb_warn("result cache off: %s", e.msg);
}

static void run_free(struct run *R)
{
    bb_runlock_release(&R->lock);
    if (R->rc) {
        const struct bb_rescache_stats *c = bb_rescache_stats(R->rc);
        bb_info("result cache %s: %llu text(s) computed, %llu read back, %llu stored, "
                "%llu corrupt", bb_rescache_path(R->rc), (unsigned long long)c->computed,
                (unsigned long long)c->hits, (unsigned long long)c->stored,
                (unsigned long long)c->corrupt);
    }
    bb_rescache_close(R->rc);
    bb_backend_free(R->be);
    bb_suite_free(R->suite);
    free(R->file_sha);
    bb_results_free(&R->results);
    bb_results_free(&R->kept);
    bb_task_records_free(&R->rec);
    free(R->models);
    free(R->tasks);
    free(R->done);
    free(R->mine);
}

static enum bb_status finish(struct run *R, struct bb_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/results.csv", R->dir);
    enum bb_status st = bb_results_write_csv(&R->results, path, err);
    utc_now(R->end, sizeof R->end, false);
    if (!st)
        st = manifest_write(R, true, err);
    if (!st) /* results.csv holds every row now */
        bb_resume_remove_rows(R->dir);
    if (st || R->o->no_report)
        return st;
    st = bb_report_write(R->dir, R->suite, &R->results, err);
    if (st)
        bb_error_prefix(err, "writing the report into %s", R->dir);
    return st;
}

/* A task failed: keep the rows of the tasks that finished (results.csv) and
 * a manifest that says the run is incomplete and why. */
static void keep_partial(struct run *R, const struct bb_error *failure)
{
    char path[4200];
    struct bb_error e2 = {0};
    R->error = failure && failure->msg[0] ? failure->msg : "failed";
    if (failure && failure->src_file)
        snprintf(R->fail_src, sizeof R->fail_src, "%s:%d", failure->src_file, failure->src_line);
    snprintf(path, sizeof path, "%s/results.csv", R->dir);
    if (R->results.n && bb_results_write_csv(&R->results, path, &e2))
        bb_warn("%s", e2.msg);
    utc_now(R->end, sizeof R->end, false);
    if (manifest_write(R, false, &e2))
        bb_warn("%s", e2.msg);
    bb_warn("the run stopped; %s holds the rows of the %zu task run(s) that finished "
            "(manifest.json: \"complete\": false)", R->dir, R->n_done);
}

/* --profile: the kernel-time table on stderr, profile.csv/.gp/.svg in the run directory. */
static enum bb_status write_profile(struct run *R, struct bb_error *err)
{
    struct bb_profile p;
    enum bb_status st = bb_backend_profile(R->be, &p, err);
    if (!st) {
        bb_profile_print(stderr, &p);
        st = bb_profile_write_files(&p, R->dir, err);
    }
    bb_profile_free(&p);
    return st;
}

enum bb_status bb_run(const struct bb_run_opts *o, char **run_dir_out, struct bb_error *err)
{
    struct run R = {.o = o, .lock = {.fd = -1}};
    enum bb_status st;
    if (run_dir_out)
        *run_dir_out = NULL;
    utc_now(R.start, sizeof R.start, false);
    if ((st = check_cache_opts(o, err)) || (st = load_suite(&R, err)) ||
        (st = pick_models(&R, err)) || (st = pick_tasks(&R, err)) ||
        (st = precheck(&R, err)) || (st = check_skips(&R, err)) ||
        (o->resume && (st = check_unchanged(&R, err))))
        goto done;
    for (size_t i = 0; i < R.n_tasks; i++)
        if (R.tasks[i].skip)
            bb_warn("skipping task '%s': %s", R.tasks[i].t->id, R.tasks[i].reason);
    R.done = calloc(R.n_tasks * R.n_models + 1, sizeof *R.done);
    R.mine = calloc(R.n_tasks * R.n_models + 1, sizeof *R.mine);
    if (!R.done || !R.mine) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory");
        goto done;
    }
    /* the jobs (task x model that runs), numbered in run order: models, then
       tasks; with --shard K/N this run keeps job j when j mod N == K */
    for (size_t m = 0, job = 0; m < R.n_models; m++)
        for (size_t i = 0; i < R.n_tasks; i++)
            if (!R.tasks[i].skip && task_has_model(R.tasks[i].t, &R.models[m]))
                R.mine[m * R.n_tasks + i] = bb_shard_owns(o->shard_by_model ? m : job++,
                                                          o->shard_index, o->shard_count);
    if ((st = make_dir(&R, err)))
        goto done;
    /* from here on a failure leaves a manifest that says so, and where (keep_partial) */
    R.stage = "setup";
    if ((st = open_backend(&R, err)))
        goto failed;
    open_cache(&R);
    if ((o->resume && (st = restore_kept(&R, err))) || (st = manifest_write(&R, false, err)))
        goto failed;
    for (size_t i = 0; i < R.n_models; i++)
        for (size_t k = 0; k < R.n_tasks; k++)
            R.n_planned += !R.tasks[k].skip && task_has_model(R.tasks[k].t, &R.models[i]);
    for (size_t i = 0; i < R.n_models && !st; i++)
        st = run_model(&R, &R.models[i], err);
    if (!st)
        R.stage = "finish";
    /* an empty shard (more shards than jobs) is not a failure: merge joins it */
    bool empty_shard = o->shard_count > 1 && R.n_done == 0;
    if (empty_shard)
        bb_warn(
            "shard %u/%u has no task x model job; its run directory is empty and merges as such",
            o->shard_index, o->shard_count);
    if (!st && R.results.n == 0 && !empty_shard)
        st = bb_fail(err, BB_E_INPUT,
                     "nothing was measured: the %zu task run(s) produced no "
                     "result rows%s",
                     R.n_done, R.rec.n_skips ? " (see the skipped parts above)" : "");
    if (!st && o->require_all && R.rec.n_skips) {
        const struct bb_task_skip *k = &R.rec.skips[0];
        st = bb_fail(err, BB_E_INPUT, "%zu part(s) of tasks were skipped and --require-all was "
                     "given; the first: task '%s', model '%s': %s: %s", R.rec.n_skips, k->task_id,
                     k->model_id, k->what, k->reason);
    }
    if (!st)
        st = finish(&R, err);
    if (!st && o->profile)
        st = write_profile(&R, err);
    if (st)
        goto failed;
    if (o->summary)
        print_summary(&R, o->summary);
    if (run_dir_out)
        *run_dir_out = strdup(R.dir);
    goto done;
failed:
    keep_partial(&R, err);
done:
    run_free(&R);
    return st;
}
