/* shard.h: scale-out (issue 12; docs/scale-out.md). `biasbench run --shard K/N`
 * runs a deterministic 1/N of a run's jobs: the jobs are the task x model
 * pairs that would run (data found, model selected), numbered in run order
 * (the models in order, each model's tasks in suite order), and shard K keeps
 * job j when j mod N == K; with --shard-by model, shard K keeps every job of
 * model m (the m-th model of the run, from 0) when m mod N == K, so each model
 * loads in one shard only. Every job keeps its own seed (the suite seed mixed
 * with the task and model ids), so a job's rows and per-item file are the same
 * in whichever shard runs it. `biasbench merge` (cmd_merge.c) joins the N
 * shard run directories into one run directory. */
#ifndef BB_SHARD_H
#define BB_SHARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* Parse "K/N" (0 <= K < N, 1 <= N <= 100000) into *k, *n; BB_E_USAGE naming
   opt otherwise. */
enum bb_status bb_shard_parse(const char *opt, const char *arg, unsigned *k, unsigned *n,
                              struct bb_error *err);
/* Does shard k of n run job j? (n == 0: no sharding, every job.) */
bool bb_shard_owns(size_t job, unsigned k, unsigned n);
/* The manifest's "shard" object: {"index": k, "count": n, "by": "job" or
   "model", "jobs": [[task
   index, model index]...]} from mine[model * n_tasks + task]. */
json_t *bb_shard_manifest(unsigned k, unsigned n, bool by_model, const bool *mine, size_t n_models,
                          size_t n_tasks);

int bb_cmd_merge(int argc, char **argv); /* cmd_merge.c */

#endif
