#!/bin/bash
# slurm-array.sh: one shard of a biasbench run per Slurm array task
# (docs/scale-out.md). Submit N shards, then merge them:
#   sbatch --array=0-3 scripts/scale-out/slurm-array.sh SUITE OUT [run options...]
#   sbatch --dependency=afterok:JOBID scripts/scale-out/slurm-merge.sh OUT 4
# or both at once with scripts/scale-out/submit-slurm.sh. Array task K runs
# `biasbench run SUITE --shard K/N --out OUT/shard-K`; N is the array's size
# (SLURM_ARRAY_TASK_COUNT, or BIASBENCH_SHARDS when set). OUT must be on a
# filesystem every node sees. BIASBENCH names the binary (default: biasbench
# on PATH). To check it without Slurm, run each index by hand:
#   for k in 0 1 2 3; do SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=4 \
#     bash scripts/scale-out/slurm-array.sh SUITE OUT; done
#SBATCH --job-name=biasbench-shard
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=biasbench-shard-%A_%a.log
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: sbatch --array=0-(N-1) $0 SUITE OUT [biasbench run options...]" >&2
    exit 2
fi
suite=$1 out=$2
shift 2
k=${SLURM_ARRAY_TASK_ID:?"not a Slurm array task (set SLURM_ARRAY_TASK_ID to run one by hand)"}
n=${BIASBENCH_SHARDS:-${SLURM_ARRAY_TASK_COUNT:?"SLURM_ARRAY_TASK_COUNT is not set (or set BIASBENCH_SHARDS)"}}
bb=${BIASBENCH:-biasbench}
mkdir -p "$out"
# each shard writes its own run directory; the report is written once, by merge
exec "$bb" run "$suite" --shard "$k/$n" --out "$out/shard-$k" --no-report --force "$@"
