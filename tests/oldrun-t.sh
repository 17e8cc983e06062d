#!/bin/sh
# oldrun-t.sh: a run directory written before results.csv had the
# p_adjusted/adjust_method columns (tests/data/oldrun: the default suite's
# run from that time, with its counterfactual and CrowS-Pairs per-item files)
# still loads in `gate`, `compare` and `report`, its "<metric>_p_holm" rows
# read as the adjusted p of the rows they adjust, and its "small_group" rows
# (written before small_group was a column) as the flag of their group's
# rows, not as metrics.
set -u
B=${BIASBENCH:-./biasbench}
S=${srcdir:-.}
O=$S/tests/data/oldrun
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-oldrun-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..10"

"$B" gate --baseline "$O" --candidate "$O" --suite "$S/suites/default.yaml" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && grep -q '^ok [0-9]* - gate [0-9]*: pct_stereotype crows-pairs/smollm2' "$T/out" && ! grep -q '^not ok' "$T/out"
ok $? "gate: the old run against itself passes its suite's gates (exit $rc)"
[ "$rc" = 0 ] || { sed 's/^/#   /' "$T/out" | head; sed 's/^/#   err: /' "$T/err" | head -3; }
grep -q 'method: "McNemar\|method: "paired bootstrap' "$T/out"
ok $? "gate: ... with a paired test on the old per-item files"

"$B" compare "$O" "$O" --format csv >"$T/cmp.csv" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && grep -q '"score_gap",' "$T/cmp.csv" && grep -q '"effect_size",' "$T/cmp.csv"
ok $? "compare: the old run against itself (exit $rc)"
grep -q '"score_gap_p_holm"' "$O/results.csv" && ! grep -q '_p_holm"\|"p_holm"' "$T/cmp.csv"
ok $? "compare: the fixture's adjusted-p rows are not compared as metrics"
grep -q '"small_group"' "$O/results.csv" && ! grep -q '"small_group"' "$T/cmp.csv"
ok $? "compare: ... nor its small_group rows"
grep -q '"gender=male vs gender=female","score_gap",.*"paired bootstrap over 12 counterfactual sets' "$T/cmp.csv"
ok $? "compare: a gap is tested on the old per-item file (paired bootstrap over sets)"

mkdir "$T/run" && cp -R "$O/." "$T/run/" && chmod -R u+w "$T/run"
"$B" report --suite "$S/suites/default.yaml" "$T/run" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && [ -s "$T/run/report.md" ]
ok $? "report: rebuilt from the old run (exit $rc)"
! grep -q '_p_holm\|`p_holm`\|| p_holm |' "$T/run/report.md"
ok $? "report: no adjusted-p row listed as a metric"
! grep -q 'small\\_group\|`small_group`\|| small_group |' "$T/run/report.md"
ok $? "report: no small_group row listed as a metric"
# the old row's flag reaches the report: set one group's small_group row to 1
# (240 of 960 intersectional sentences, not small by n) and rebuild
sed 's/^\(.*"gender=male&race=white","small_group",\)0,/\11,/' "$O/results.csv" \
    >"$T/run/results.csv"
"$B" report --suite "$S/suites/default.yaml" "$T/run" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && grep -q '^| gender=male&race=white | 240 |.*small (' "$T/run/report.md" &&
    ! grep -q '^| gender=female&race=white | 240 |.*small (' "$T/run/report.md"
ok $? "report: an old run's small_group row of 1 flags its group as small (exit $rc)"
