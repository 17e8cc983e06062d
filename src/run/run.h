/* run.h: the evaluator: one suite x its models x its tasks into a run
 * directory (manifest.json, results.csv, items/<task>__<model>.csv, then the
 * charts and report through report.h). Every file is written atomically. */
#ifndef BB_RUN_H
#define BB_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

struct bb_resume;

struct bb_run_opts {
    const char *suite_path;
    const char *const
        *models; /* --model: suite model ids, else a model path/name run on every task */
    size_t n_models;
    const char *const
        *tasks; /* --task: suite task ids; a named task whose data is missing is an error */
    size_t n_tasks;
    long limit;                 /* --limit: >= 0 overrides every task's limit; -1 = the suite's */
    bool has_seed;
    uint64_t seed;              /* --seed overrides the suite's */
    const char *out_dir;        /* NULL: reports/<suite>-<UTC timestamp> */
    const char *backend;        /* NULL: the suite's defaults.backend */
    const char *device;         /* NULL: the suite's defaults.device */
    const char *data_dir;       /* --data-dir, may be NULL */
    bool force;                 /* write into an out_dir that already holds a run */
    bool no_report;             /* skip charts and report */
    bool require_all;           /* --require-all: any skipped task or part is an error */
    int argc;                   /* the command line, for the manifest */
    char **argv;
    FILE *summary;              /* the summary table (stdout); NULL: none */
    unsigned shard_index;       /* --shard K/N: run only the task x model jobs whose index */
    unsigned shard_count;       /* (in run order) is K mod N; 0 = no sharding (shard.h) */
    bool shard_by_model;        /* --shard-by model: number the models instead of the jobs */
    struct bb_resume *resume;   /* --resume: the interrupted run in out_dir (resume.h) */
    bool no_cache;              /* --no-cache: the result cache is neither read nor written */
    uint64_t cache_max;         /* --cache-size: its bound; 0: BIASBENCH_CACHE_MAX, else 1 GiB */
    bool profile;               /* --profile: kernel times on stderr and profile.csv/.gp/.svg
                                   in the run directory (opencl only) */
};

/* Run the suite. Before any model is loaded, the suite is checked as
 * `biasbench validate` does (precheck.h): any problem stops the run there.
 * Returns BB_OK when every selected task ran or was skipped for missing data
 * and at least one result row was produced; BB_E_INPUT when nothing was
 * measured (every task skipped, or no rows), or, with require_all, when
 * anything was skipped; BB_E_INPUT/BB_E_IO/BB_E_USAGE for bad suites,
 * options, data and models (exit 2); BB_E_DEVICE for device failures (exit
 * 3). On success *run_dir_out (if not NULL) receives the run directory (free it). */
enum bb_status bb_run(const struct bb_run_opts *o, char **run_dir_out, struct bb_error *err);

#endif
