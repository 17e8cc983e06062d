#!/bin/sh
# default-suite-t.sh: two honest runs of the default suite on this machine,
# one after the other, gated against each other both ways and each against
# itself (issue 13, "Gates that do not flake"): every gate must pass, every
# way. The quality and bias gates compare deterministic rows with their
# paired tests; the latency gate (the median batch time may double, compared
# at the baseline's contention and CPU speed, and fails only when the two
# runs' order-statistic CIs are apart and the slowdown is beyond the runs'
# noise floor, docs/ci.md) compares real timings, and its
# points must also give their noise floor. tests/latency-gate-t.sh does the
# latency part alone, faster, and checks that a planted regression fails.
# The cold-start process probes are left out (BIASBENCH_COLD_START=off:
# seconds of kernel compilation that no gate reads).
#
# Under the sanitizer pass (BIASBENCH_GOLDEN_LIMIT set, .ci/run's second
# make check) only `validate` runs: the plain pass runs the two runs, and the
# sanitizers would multiply minutes of model time for no memory path that
# the other tests do not already take.
set -u
B=${BIASBENCH:-./biasbench}
S=${srcdir:-.}
n=0 fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
if [ -n "${BIASBENCH_GOLDEN_LIMIT:-}" ]; then
  echo "1..1"
  echo "# the two default-suite runs belong to the plain pass; here the suite is only validated"
  "$B" validate "$S/suites/default.yaml" >/dev/null 2>&1
  ok $? "the default suite validates (its data, columns, models and gate metrics)"
  exit $((fails > 0))
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-default-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..8"
export BIASBENCH_COLD_START=off
"$B" run "$S/suites/default.yaml" --out "$T/d1" --no-report -q >"$T/out1" 2>"$T/err1"; r1=$?
"$B" run "$S/suites/default.yaml" --out "$T/d2" --no-report -q >"$T/out2" 2>"$T/err2"; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ]
ok $? "the default suite runs twice (exit $r1, $r2)"
[ $r1 = 0 ] && [ $r2 = 0 ] || tail -n 3 "$T/err1" "$T/err2" | sed 's/^/#   /'
grep -q '"latency_noise_rel"' "$T/d1/results.csv" && grep -q '"latency_p50_ms"' "$T/d2/results.csv"
ok $? "both runs measure their latency and its noise floor"

gates=$(grep -c '^ *- {metric:' "$S/suites/default.yaml")
for pair in "d1 d1" "d1 d2" "d2 d1"; do
  set -- $pair
  "$B" gate --baseline "$T/$1" --candidate "$T/$2" >"$T/tap" 2>"$T/err"
  bad=$(grep -c '^not ok' "$T/tap")
  nlat=$(grep -c '^\(not \)\{0,1\}ok [0-9]* - gate [0-9]*: latency_p50_ms speed/' "$T/tap")
  [ "$bad" = 0 ] && [ "$(grep -c '^\(not \)\{0,1\}ok [0-9]* - gate' "$T/tap")" -ge "$gates" ]
  ok $? "gate: run $2 against run $1: every gate passes, latency included ($gates gates in the suite, $bad points fail)"
  grep -A22 '^not ok' "$T/tap" | grep -E '^(not ok|  (regression|noise_floor|machine_factor|contention_factor|message):)' |
    sed 's/^/#   /'
  [ "$nlat" -ge 1 ] && [ "$(grep -c '^  noise_floor: ' "$T/tap")" -ge "$nlat" ]
  ok $? "gate: run $2 against run $1: the latency gate's $nlat points give their noise floor"
done
exit $((fails > 0))
