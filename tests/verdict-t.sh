#!/bin/sh
# verdict-t.sh: compare's verdicts agree with their own numbers, and the
# report's "Paired tests between models" reaches the same verdicts as
# `compare RUN --models A,B` on the same run. The run is built from the gate
# fixtures (tests/data/gate): model m is the baseline run, model m2 the
# degraded one, with their per-item files, so the verdicts mix "B worse",
# "no significant change" and "not tested".
set -u
B=${BIASBENCH:-./biasbench}
S=${srcdir:-.}
G=$S/tests/data/gate
n=0 fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-verdict-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..10"

# ---- a two-model run from the gate fixtures ----
R=$T/run
mkdir -p "$R/items"
cp "$G/base/items/"* "$R/items/"
for f in "$G/degraded/items/"*; do
  cp "$f" "$R/items/$(basename "$f" | sed 's/__m\(__\|\.\)/__m2\1/')"
done
cp "$G/base/results.csv" "$R/"
tail -n +2 "$G/degraded/results.csv" | sed 's/^\("[^"]*","[^"]*","[^"]*",\)"m",/\1"m2",/' >>"$R/results.csv"
sed 's/"id": "m",/"id": "m", "source": "synthetic"}, {"id": "m2",/' "$G/base/manifest.json" >"$R/manifest.json"
chmod -R u+w "$R"

"$B" compare "$R" --models m,m2 --format csv >"$T/cmp.csv" 2>"$T/err"; rc=$?
[ $rc = 0 ] && head -1 "$T/cmp.csv" | grep -q ',note,perturbation,p_floor,verdict$'
ok $? "compare --format csv: p_floor and verdict columns (exit $rc)"
[ $rc = 0 ] || sed 's/^/#   /' "$T/err"

# task, metric and verdict of each compared row, in order; the first nine
# fields are quoted strings, the verdict is the last (quoted) field
tail -n +2 "$T/cmp.csv" | sed 's/^"\([^"]*\)","[^"]*","[^"]*","[^"]*","[^"]*","[^"]*","\([^"]*\)".*,"\([^"]*\)"$/\1 \2 \3/' >"$T/cmp.v"
grep -q '^sts spearman B worse$' "$T/cmp.v" && grep -q '^sentiment accuracy no significant change$' "$T/cmp.v"
ok $? "compare: the degraded model's correlations are worse, its unchanged accuracy is not"
sed 's/^/#   /' "$T/cmp.v"

# every verdict agrees with the interval beside it: value_a .. p_bh follow the
# nine quoted fields; a CI containing 0 never sits beside "better"/"worse",
# one excluding 0 never beside "no significant change"
tail -n +2 "$T/cmp.csv" | sed 's/^\("[^"]*",\)\{9\}//' | awk -F, '
  { v = $0; sub(/.*,"/, "", v); sub(/"$/, "", v)
    if ($4 == "" || $5 == "") next
    checked++
    excl = ($4 + 0 > 0 || $5 + 0 < 0)
    if (!excl && (v ~ /better|worse|differs$/)) bad++
    if (excl && v == "no significant change") bad++ }
  END { exit !(checked >= 5 && !bad) }'
ok $? "compare: every verdict agrees with its interval (excludes 0 <=> not 'no significant change')"

"$B" compare "$R" --models m,m2 >"$T/cmp.md" 2>"$T/err"
grep -q '| p (two-sided) |' "$T/cmp.md" && grep -q '≤ 0.002' "$T/cmp.md"
ok $? "compare: p columns say two-sided; a bootstrap p at its floor prints as '≤ 0.002'"

# ---- the report's paired tests ----
"$B" report --suite "$G/suite.yaml" "$R" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q '^### Paired tests between models' "$R/report.md"
ok $? "report: a 'Paired tests between models' section (exit $rc)"
sed -n '/^### Paired tests between models/,/^<a id=/p' "$R/report.md" | grep '^| [a-z]' |
  grep -v '^| task |' | awk -F' [|] ' '{ v = $NF; sub(/ [|]$/, "", v); m = $4; gsub(/\\/, "", m); print substr($1, 3) " " m " " v }' >"$T/rep.v"
[ -s "$T/rep.v" ] && cmp -s "$T/cmp.v" "$T/rep.v"
ok $? "report and compare reach the same verdict on every metric ($(wc -l <"$T/rep.v") rows)"
cmp -s "$T/cmp.v" "$T/rep.v" || diff "$T/cmp.v" "$T/rep.v" | sed 's/^/#   /'
grep -q 'The same verdicts as biasbench compare RUN --models m,m2 --alpha 0.05' "$R/report.md"
ok $? "report: the section names the compare command it agrees with"
grep -q 'Paired tests between models' "$R/report.html" && grep -q '<td>B worse</td>' "$R/report.html"
ok $? "report.html: the section and its verdicts"

# ---- one-sided tests say so: the WEAT/SEAT table and tile chart ----
grep -q '| test | dataset | n | effect size d | 95% CI | p (one-sided, raw) |' "$R/report.md" &&
  grep -rq 'significance per test and model at alpha 0.05 (cell: effect size d, raw one-sided permutation p)' "$R/charts"
ok $? "report: the one-sided WEAT/SEAT p says so in its table and its chart title"

# ---- a metric with too few units is flagged, not 'no significant change' ----
# m2's per-item correctness is m's with 3 items flipped: 3 discordant pairs,
# so McNemar's smallest p is 2^(1-3) = 0.25
head -1 "$R/items/sentiment__m.csv" >"$T/h"
col=$(tr ',' '\n' <"$T/h" | grep -n '^"*correct"*$' | cut -d: -f1)
awk -F, -v OFS=, -v c="$col" 'NR > 1 && NR <= 4 { $c = ($c + 0 > 0.5) ? 0 : 1 } { print }' \
  "$R/items/sentiment__m.csv" >"$R/items/sentiment__m2.csv"
"$B" compare "$R" --models m,m2 --format csv >"$T/cmp2.csv" 2>"$T/err"
grep -q '^"sentiment",.*"accuracy",.*"McNemar",.*,"cannot be significant (n=3 discordant, min p 0.25)"$' "$T/cmp2.csv"
ok $? "compare: 3 discordant pairs: 'cannot be significant (n=3 discordant, min p 0.25)'"
[ $fails = 0 ] || grep '"accuracy"' "$T/cmp2.csv" | sed 's/^/#   /'
exit $((fails > 0))
