#!/bin/bash
# slurm-merge.sh: join the N shard run directories OUT/shard-0 ... OUT/shard-(N-1)
# written by slurm-array.sh into OUT/merged (results.csv, items/, manifest,
# report). Submit it after the array (docs/scale-out.md):
#   sbatch --dependency=afterok:JOBID scripts/scale-out/slurm-merge.sh OUT N
#SBATCH --job-name=biasbench-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=00:30:00
#SBATCH --output=biasbench-merge-%j.log
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 OUT N [biasbench merge options...]" >&2
    exit 2
fi
out=$1 n=$2
shift 2
bb=${BIASBENCH:-biasbench}
dirs=()
for ((k = 0; k < n; k++)); do
    dirs+=("$out/shard-$k")
done
exec "$bb" merge "${dirs[@]}" --out "$out/merged" --force "$@"
