#!/bin/sh
# latency-gate-t.sh: the default suite's latency gate on real timings (issue
# 13, "Gates that do not flake"). Two honest runs of the default suite's
# latency task (`run suites/default.yaml --task speed`), one right after the
# other, must pass the suite's own latency gate against each other, both
# ways, at every grid cell, however busy this machine is; and a planted
# regression must still fail it: BIASBENCH_TEST_LATENCY_REPEAT=8 (test-only,
# docs/ci.md) makes every timed batch run eight forwards, on a small grid so
# the slow run stays short. Every run records what the gate reads: each
# cell's median with its CI and its latency_contention, the run's
# latency_noise_rel and machine_probe_ms. About 30 s on an idle 2-core
# machine (the default grid's 16 x 64-token batches are most of it), a few
# minutes on a loaded one.
#
# Under the sanitizer pass (BIASBENCH_GOLDEN_LIMIT set) the default suite's
# runs are left out (minutes of model time under ASan); one small latency run
# (tests/data/run/tiny.yaml) takes the contention and pooling code instead and
# must record latency_contention for every cell it measured.
set -u
B=${BIASBENCH:-./biasbench}
S=${srcdir:-.}
. "$S/tests/tap.sh" # ok, minilm_path; skip as below
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
PLAN=12
[ -n "${BIASBENCH_GOLDEN_LIMIT:-}" ] && PLAN=1
echo "1..$PLAN"
minilm_path
if [ -z "$M" ] && [ "${CI:-}" = true ]; then echo "Bail out! all-MiniLM-L6-v2 not found and CI=true"; exit 1; fi
why=
[ -z "$M" ] && why="all-MiniLM-L6-v2 not found (run scripts/setup.sh)"
if [ -z "$why" ] && [ -n "${BIASBENCH_GOLDEN_LIMIT:-}" ]; then
  T=$(mktemp -d "${TMPDIR:-/tmp}/bb-latgate-XXXXXX")
  trap 'rm -rf "$T"' EXIT
  BIASBENCH_COLD_START=off "$B" run "$S/tests/data/run/tiny.yaml" --task speed --out "$T/s" \
    --no-report -q >"$T/out" 2>"$T/err"; r=$?
  cells=$(grep -c '"latency_p50_ms"' "$T/s/results.csv" 2>/dev/null)
  cont=$(grep -c '"latency_contention"' "$T/s/results.csv" 2>/dev/null)
  [ $r = 0 ] && [ "${cells:-0}" -ge 1 ] && [ "$cont" = "$cells" ]
  ok $? "sanitizer pass: a small latency run records latency_contention for each of its ${cells:-0} cells (exit $r)"
  [ $fails = 0 ] || sed 's/^/#   /' "$T/err"
  exit $((fails > 0))
fi
if [ -n "$why" ]; then
  while [ $n -lt $PLAN ]; do skip "latency gate on real runs" "$why"; done
  exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-latgate-XXXXXX")
trap 'rm -rf "$T"' EXIT
export BIASBENCH_COLD_START=off
unset BIASBENCH_TEST_LATENCY_REPEAT

# latency points of a TAP file: all, and failed
lat() { grep -c '^\(not \)\{0,1\}ok [0-9]* - gate [0-9]*: latency_p50_ms ' "$1"; }
latbad() { grep -c '^not ok [0-9]* - gate [0-9]*: latency_p50_ms ' "$1"; }
# the figures behind each latency point, as TAP comments
diag() {
  awk '/ - gate [0-9]*: latency_p50_ms /{ p = $0; sub(/^.* latency_p50_ms /, "", p); ok = ($1 == "ok") }
       /^  (baseline|candidate|regression|noise_floor|machine_factor|contention_factor|regression_adjusted):/ && p != "" {
         s = s " " $1 $2 }
       /^  message:/ && p != "" { print "#   " (ok ? "ok " : "NOT OK ") p s; p = ""; s = "" }' "$1"
}

cells=$(awk '/type: latency/ { l = 1 } l && /batch_sizes:/ { gsub(/[^0-9,]/, ""); b = split($0, x, ",") }
             l && /seq_lens:/ { gsub(/[^0-9,]/, ""); print b * split($0, y, ","); exit }' "$S/suites/default.yaml")
"$B" run "$S/suites/default.yaml" --task speed --out "$T/a" --no-report -q >"$T/out" 2>"$T/err"; r1=$?
"$B" run "$S/suites/default.yaml" --task speed --out "$T/b" --no-report -q >>"$T/out" 2>>"$T/err"; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && [ "${cells:-0}" -ge 1 ]
ok $? "the default suite's latency task runs twice ($cells grid cells; exit $r1, $r2)"
[ $r1 = 0 ] && [ $r2 = 0 ] || tail -n 5 "$T/err" | sed 's/^/#   /'
# the group "b=B,t=T" holds one comma, so metric and value are fields 8 and 9
for r in a b; do
  awk -F, -v c="$cells" '$8 == "\"latency_p50_ms\"" && $10 != "" && $10 + 0 <= $9 + 0 && $9 + 0 <= $11 + 0 { m++ }
       $8 == "\"latency_contention\"" && $9 + 0 >= 1 { k++ }
       $7 == "\"latency_noise_rel\"" && $8 + 0 >= 0 { z++ }
       $7 == "\"machine_probe_ms\"" && $8 + 0 > 0 { q++ }
       END { exit !(m == c && k == c && z == 1 && q == 1) }' "$T/$r/results.csv"
  ok $? "run $r: every cell's median inside its CI, every cell's contention (>= 1), the run's noise floor and CPU probe"
done
grep -h '"latency_contention"\|"latency_noise_rel"\|"machine_probe_ms"' "$T/a/results.csv" "$T/b/results.csv" |
  awk -F, '$6 == "\"all\"" { print "#   " $7, $8; next } { print "#   " $6 "," $7, $8, $9 }' | tr -d '"'

for pair in "a b" "b a" "a a"; do
  set -- $pair
  "$B" gate --baseline "$T/$1" --candidate "$T/$2" >"$T/tap-$1$2" 2>"$T/err"
  nl=$(lat "$T/tap-$1$2") bad=$(latbad "$T/tap-$1$2")
  [ "$nl" = "$cells" ] && [ "$bad" = 0 ]
  ok $? "gate: honest run $2 against run $1 passes the default suite's latency gate at every cell ($bad of $nl fail)"
  diag "$T/tap-$1$2"
done
grep -q '^  contention_factor: ' "$T/tap-ab" || grep -q '^  contention_factor: ' "$T/tap-ba"
ok $? "gate: the latency points give the cells' contention factor"

# a planted regression: the same gate, a small grid, every timed batch eight forwards
gate=$(grep '^ *- {metric: latency_p50_ms, task: speed' "$S/suites/default.yaml" | head -n 1)
cat >"$T/small.yaml" <<EOF
suite: latency-gate-small
version: 1
models: [{id: minilm, source: all-MiniLM-L6-v2}]
tasks: [{id: speed, type: latency, batch_sizes: [1], seq_lens: [16, 32], warmup: 1, repetitions: 12}]
gates:
$gate
EOF
"$B" run "$T/small.yaml" --out "$T/s0" --no-report -q >"$T/out" 2>"$T/err"; r0=$?
BIASBENCH_TEST_LATENCY_REPEAT=8 "$B" run "$T/small.yaml" --out "$T/s8" --no-report >"$T/out" 2>"$T/err8"; r8=$?
[ -n "$gate" ] && [ $r0 = 0 ] && [ $r8 = 0 ] && grep -q "BIASBENCH_TEST_LATENCY_REPEAT=8" "$T/err8"
ok $? "a small latency run, and the same with the planted regression (which warns that it is one)"
"$B" gate --baseline "$T/s0" --candidate "$T/s8" >"$T/tap-slow" 2>"$T/err"; rc=$?
[ $rc = 1 ] && [ "$(lat "$T/tap-slow")" = 2 ] && [ "$(latbad "$T/tap-slow")" = 2 ]
ok $? "gate: the planted 8x regression fails the latency gate at both cells (exit $rc)"
diag "$T/tap-slow"
grep -q "^not ok.*" "$T/tap-slow" && grep -q "^  regression_adjusted: " "$T/tap-slow" &&
  grep -q "beyond the runs' noise floor" "$T/tap-slow"
ok $? "gate: the failure gives the worsening at the baseline's CPU speed and contention, beyond the noise floor"
"$B" gate --baseline "$T/s0" --candidate "$T/s0" >"$T/tap-same" 2>"$T/err"
ok $? "gate: the small run against itself passes"
BIASBENCH_TEST_LATENCY_REPEAT=x "$B" run "$T/small.yaml" --out "$T/sx" --no-report -q >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "BIASBENCH_TEST_LATENCY_REPEAT: expected a whole number 1..100, found 'x'" "$T/err"
ok $? "a malformed BIASBENCH_TEST_LATENCY_REPEAT is a usage error naming it (exit $rc)"
exit $((fails > 0))
