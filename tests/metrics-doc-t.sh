#!/bin/sh
# metrics-doc-t.sh: docs/run-directory.md's metric list is exactly what
# `biasbench metrics --format md` prints from the metric registry (so the doc
# cannot drift from src/metrics/table.c; `make update-metrics-doc` fixes
# it), and `biasbench metrics` refuses an unknown format.
set -u
B=${BIASBENCH:-./biasbench}
D=${srcdir:-.}/docs/run-directory.md
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-metrics-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..4"
"$B" metrics --format md >"$T/want"; rc=$?
if [ "$rc" = 0 ] && grep -q '^| `pct_stereotype` | bias |' "$T/want"; then
  echo "ok 1 - biasbench metrics --format md lists the registry (pct_stereotype among them)"
else echo "not ok 1 - biasbench metrics --format md (exit $rc)"; fi
sed -n '/^<!-- metrics: begin/,/^<!-- metrics: end/p' "$D" | sed '1d;$d' >"$T/doc"
if cmp -s "$T/want" "$T/doc"; then echo "ok 2 - docs/run-directory.md's metric list is up to date"
else echo "not ok 2 - docs/run-directory.md's metric list differs from biasbench metrics (make update-metrics-doc)"
  diff "$T/doc" "$T/want" | head -10 | sed 's/^/#   /'; fi
"$B" metrics --format csv >"$T/csv"; rc=$?
rows=$(($(wc -l <"$T/csv") - 1)) mdrows=$(($(wc -l <"$T/want") - 2))
if [ "$rc" = 0 ] && [ "$rows" = "$mdrows" ] && head -1 "$T/csv" | grep -q '^metric,kind,'; then
  echo "ok 3 - --format csv has one row per metric ($rows)"
else echo "not ok 3 - --format csv: exit $rc, $rows rows vs $mdrows"; fi
"$B" metrics --format xml >/dev/null 2>"$T/err"; rc=$?
if [ "$rc" = 2 ] && grep -q "expected md or csv" "$T/err"; then echo "ok 4 - an unknown format is refused (exit 2)"
else echo "not ok 4 - --format xml: exit $rc"; fi
