/* resume.h: `biasbench run --resume DIR`: read an interrupted run's
 * manifest.json back, refuse when what decided its finished jobs has changed
 * (biasbench version or commit, suite files, datasets, model weights: each
 * checked by its sha256), and give the runner the finished jobs' result rows
 * (DIR/partial/<task>__<model>.csv, written as each job finishes) and records
 * so that they are kept instead of rerun. docs/run-directory.md, "Resuming". */
#ifndef BB_RESUME_H
#define BB_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sha256.h"
#include "core/status.h"
#include "metrics/results.h"

struct bb_resume;
struct bb_task_records;

/* Read DIR/manifest.json. Refuses (BB_E_USAGE) a folder without one or a run
 * that finished, and (BB_E_INPUT) a run made by another biasbench version or
 * commit, or a manifest without the command line it was started with. */
enum bb_status bb_resume_open(const char *dir, struct bb_resume **out, struct bb_error *err);
void bb_resume_free(struct bb_resume *r);

/* The run's command line after "biasbench" ("run", SUITE, options...), in
 * writable copies (getopt may permute them). */
int bb_resume_argc(const struct bb_resume *r);
char **bb_resume_argv(struct bb_resume *r);
/* The folder the run was started in (manifest working_dir; "" when absent):
 * its command line's relative paths are relative to it. */
const char *bb_resume_working_dir(const struct bb_resume *r);
/* When the interrupted run started (manifest start_time; "" when absent). */
const char *bb_resume_start_time(const struct bb_resume *r);

/* The suite's files now (paths as loaded, their sha256) against the recorded
 * ones: a file that differs, or one added or left out, is BB_E_INPUT naming it. */
enum bb_status bb_resume_check_suite(const struct bb_resume *r, const char *const *files,
                                     const char (*sha)[BB_SHA256_HEX_LEN], size_t n,
                                     struct bb_error *err);
/* Every dataset file the run recorded, hashed again: missing or changed is
 * BB_E_INPUT naming the dataset id and file. */
enum bb_status bb_resume_check_datasets(const struct bb_resume *r, struct bb_error *err);
/* The recorded sha256 of model id's weights ("" when it was never loaded). */
const char *bb_resume_model_sha(const struct bb_resume *r, const char *id);

/* Did task x model finish in the interrupted run? Then *seconds, *rows and
 * *headline (offset of its headline row, -1 none) say how. */
bool bb_resume_job_done(const struct bb_resume *r, const char *task, const char *model,
                        double *seconds, size_t *rows, long *headline);
/* Append the finished job's rows from DIR/partial/ (they must be its own:
 * task and model checked, count = rows). */
enum bb_status bb_resume_load_rows(const char *dir, const char *task, const char *model,
                                   size_t rows, struct bb_results *out, struct bb_error *err);
/* Write rows[0..n) of a job that finished to DIR/partial/<task>__<model>.csv. */
enum bb_status bb_resume_save_rows(const char *dir, const char *task, const char *model,
                                   const struct bb_result_row *rows, size_t n,
                                   struct bb_error *err);
/* Remove DIR/partial/ (the run finished: results.csv holds every row). */
void bb_resume_remove_rows(const char *dir);
/* Copy the recorded dataset files, and the parts skipped by finished jobs,
 * into rec (the manifest of the resumed run lists them again). */
enum bb_status bb_resume_restore_records(const struct bb_resume *r, struct bb_task_records *rec,
                                         struct bb_error *err);

#endif
