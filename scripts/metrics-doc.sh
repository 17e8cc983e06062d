#!/bin/sh
# metrics-doc.sh BIASBENCH DOC: replace the lines between the markers
# "<!-- metrics: begin ... -->" and "<!-- metrics: end -->" of DOC with
# `BIASBENCH metrics --format md` (make update-metrics-doc);
# tests/metrics-doc-t.sh checks that the two agree.
set -eu
B=$1 doc=$2
tmp=$doc.tmp.$$
table=$doc.table.$$
trap 'rm -f "$tmp" "$table"' EXIT
"$B" metrics --format md >"$table"
grep -q '^<!-- metrics: begin' "$doc" && grep -q '^<!-- metrics: end' "$doc" || {
  echo "metrics-doc.sh: $doc: the metrics: begin/end markers are missing" >&2; exit 1; }
awk -v table="$table" '
  /^<!-- metrics: begin/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
  /^<!-- metrics: end/ { skip = 0 }
  !skip { print }' "$doc" >"$tmp"
mv "$tmp" "$doc"
