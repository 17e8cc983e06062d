#!/usr/bin/env bash
# make-datasets-manifest.sh: rebuild scripts/datasets-upstream.tsv (the list of
# public dataset files setup.sh downloads into the per-user cache when no
# shared datasets folder is at hand) from the shared folder's per-dataset
# PROVENANCE.tsv files and its SHA256SUMS.
# usage: scripts/make-datasets-manifest.sh [SHARED_DATASETS_DIR] > scripts/datasets-upstream.tsv
# Rows kept: a GitHub repository, a 40-hex commit and a full sha256. Rows whose
# note says the stored copy was re-serialised or transcribed are left out: their
# bytes differ from upstream. A "reconstructed" row whose note names a
# byte-identical upstream file in the same dataset's main repository is mapped
# to that repository and path at the folder's main commit (the sha256 check in
# setup.sh rejects it if that guess is wrong).
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/../shared/datasets}
[ -f "$dir/SHA256SUMS" ] || { echo "no SHA256SUMS in $dir" >&2; exit 2; }
printf 'folder\tfile\trepo\tpath\tcommit\tsha256\n'
for prov in "$dir"/*/PROVENANCE.tsv; do
    folder=$(basename "$(dirname "$prov")")
    awk -F'\t' -v folder="$folder" -v sums="$dir/SHA256SUMS" '
        BEGIN { while ((getline line < sums) > 0) { split(line, a, "  "); sub(/^\.\//, "", a[2]); sha[a[2]] = a[1] } }
        NR == 1 { next }
        {
            file = $1; repo = $2; path = $3; commit = $4; note = $7
            if (note ~ /re-serialised|transcribed|index read_file/) next
            if (repo ~ /\(reconstructed\)/) {
                if (match(note, /== [^ ]+\/[^ ]+ HEAD [^ ]+/)) {
                    split(substr(note, RSTART + 3, RLENGTH - 3), p, " ")
                    repo = "github.com/" p[1]; path = p[3]; commit = main_commit
                } else next
            }
            sub(/ .*/, "", commit)
            if (repo !~ /^github\.com\/[^\/ ]+\/[^\/ ]+$/ || length(commit) != 40 || commit !~ /^[0-9a-f]+$/) next
            if (main_commit == "") main_commit = commit
            key = folder "/" file
            if (!(key in sha)) next
            sub(/^github\.com\//, "", repo)
            printf "%s\t%s\t%s\t%s\t%s\t%s\n", folder, file, repo, path, commit, sha[key]
        }' "$prov"
done
