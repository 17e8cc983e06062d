#!/bin/sh
# anycwd-t.sh: a run directory works from any current folder. A run started
# with a relative suite path records the suite's absolute path in its
# manifest; `report`, `gate` and `compare` then work from another folder (and
# a run without that key finds its suite below the run folder's parents).
# `report` fails with exit 2 naming the sections it cannot rebuild (no
# readable suite; no items/), and `--allow-missing` writes the report with a
# visible notice instead.
set -u
B=${BIASBENCH:-./biasbench}
B=$(cd "$(dirname "$B")" && pwd)/$(basename "$B")
S=$(cd "${srcdir:-.}" && pwd)
n=0 fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-anycwd-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..11"

mkdir -p "$T/s" "$T/elsewhere"
cat >"$T/s/suite.yaml" <<YAML
suite: anycwd
version: 1
defaults: {bootstrap: 20, batch_size: 4}
models: [{id: minilm, source: all-MiniLM-L6-v2}]
datasets: [{id: pairs, path: $S/tests/data/trust/pairs.csv, columns: {s1: 0, s2: 1, score: 2}}]
tasks: [{id: sts, type: similarity, dataset: pairs, score_range: [0, 5]}]
gates: [{metric: spearman, task: sts, max_regression: 5}]
YAML
(cd "$T" && "$B" run s/suite.yaml --out runs/a --no-report -q >"$T/out" 2>"$T/err"); rc=$?
[ $rc = 0 ] && grep -q '"path": "s/suite.yaml"' "$T/runs/a/manifest.json" &&
  grep -q "\"abs_path\": \"$T/s/suite.yaml\"" "$T/runs/a/manifest.json"
ok $? "run with a relative suite path records suite.path as given and suite.abs_path (exit $rc)"
[ $rc = 0 ] || sed 's/^/#   /' "$T/err" | head -5

cd "$T/elsewhere" || exit 1
"$B" report "$T/runs/a" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q '^# Bias audit report: anycwd' "$T/runs/a/report.md" && ! grep -q 'cannot be read' "$T/err"
ok $? "report from another folder finds the suite (exit $rc)"
"$B" gate --baseline "$T/runs/a" --candidate "$T/runs/a" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q '^ok 1 - gate 1: spearman sts' "$T/out"
ok $? "gate from another folder reads the suite's gates (exit $rc)"
[ $rc = 0 ] || sed 's/^/#   /' "$T/out" "$T/err" | head -5
"$B" compare "$T/runs/a" "$T/runs/a" --format csv >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q '^"sts","pairs",.*"spearman",' "$T/out"
ok $? "compare from another folder (exit $rc)"

# a run written before suite.abs_path: found below a parent of the run folder
mkdir -p "$T/old" && cp -R "$T/runs/a" "$T/old/a" && mkdir -p "$T/old/s" && cp "$T/s/suite.yaml" "$T/old/s/"
grep -v '"abs_path"' "$T/runs/a/manifest.json" >"$T/old/a/manifest.json"
rm -f "$T/old/a/report.md"
"$B" report "$T/old/a" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q '^# Bias audit report: anycwd' "$T/old/a/report.md"
ok $? "a manifest without abs_path: suite.path found below the run folder's parent (exit $rc)"

# no readable suite: exit 2 naming the sections, nothing written
rm -rf "$T/old/s" "$T/old/a/report.md" "$T/old/a/report.html"
sed 's|"path": "s/suite.yaml"|"path": "moved/suite.yaml"|' "$T/old/a/manifest.json" >"$T/m" && mv "$T/m" "$T/old/a/manifest.json"
"$B" report "$T/old/a" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "cannot rebuild sections 2 (intended use), 3 (factors) and 5 (evaluation data: datasheets): the run's suite moved/suite.yaml cannot be read" "$T/err"
ok $? "report without its suite: exit 2 naming the sections it cannot rebuild (exit $rc)"
[ $rc = 2 ] || sed 's/^/#   /' "$T/err" | head -3
[ ! -e "$T/old/a/report.md" ] && [ ! -e "$T/old/a/report.html" ]
ok $? "... and no smaller report written"
"$B" report --allow-missing "$T/old/a" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q 'Incomplete report.*Not rebuilt: sections 2 (intended use)' "$T/old/a/report.md" &&
  grep -q 'Incomplete report' "$T/old/a/report.html"
ok $? "report --allow-missing: written, with a notice at the top (exit $rc)"
[ "$(grep -n 'Incomplete report' "$T/old/a/report.md" | head -1 | cut -d: -f1)" -lt \
  "$(grep -n '^## Findings summary' "$T/old/a/report.md" | head -1 | cut -d: -f1)" ]
ok $? "... the notice comes before the findings summary"

# no items/: the per-item charts and paired tests cannot be rebuilt
rm -rf "$T/runs/a/items"
"$B" report "$T/runs/a" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "cannot rebuild section 6's per-item charts and section 7's paired tests between models: $T/runs/a/items is missing" "$T/err"
ok $? "report without items/: exit 2 naming the sections (exit $rc)"
"$B" report --allow-missing "$T/runs/a" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q "Not rebuilt: section 6's per-item charts" "$T/runs/a/report.md"
ok $? "... --allow-missing writes it with the notice (exit $rc)"
exit $((fails > 0))
