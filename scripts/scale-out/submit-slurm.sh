#!/bin/bash
# submit-slurm.sh: submit a biasbench run as a Slurm job array of N shards and
# a merge job that starts when every shard succeeded (docs/scale-out.md):
#   scripts/scale-out/submit-slurm.sh N SUITE OUT [biasbench run options...]
# The merged run lands in OUT/merged. SBATCH_* environment variables and
# #SBATCH lines in the two scripts set partitions, accounts and limits.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 N SUITE OUT [biasbench run options...]" >&2
    exit 2
fi
n=$1 suite=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
jid=$(sbatch --parsable --array="0-$((n - 1))" "$here/slurm-array.sh" "$suite" "$out" "$@")
jid=${jid%%;*}
sbatch --parsable --dependency="afterok:$jid" "$here/slurm-merge.sh" "$out" "$n"
echo "submitted shards $jid (array 0-$((n - 1))) and the merge; merged run: $out/merged" >&2
