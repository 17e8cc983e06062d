#!/bin/sh
# perturb-run-t.sh: end-to-end TAP test of the suite `perturb:` key: suite
# validation (an unknown kind, and every other problem, exit 2 with
# FILE:LINE:COL), then a small run of all-MiniLM-L6-v2 on the run fixtures
# (tests/data/perturb/run.yaml) checking the perturbed and delta rows of
# results.csv, the per-item files, what each perturbation did to the text,
# determinism, and the report's robustness section and chart.
set -u
B=${BIASBENCH:-./biasbench}
S=${srcdir:-.}
D=$S/tests/data/perturb
. "$S/tests/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-perturb-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..20"

# ---- validation ---------------------------------------------------------------
"$B" validate "$D/bad-kind.yaml" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "bad-kind.yaml:17:14: perturb.perturbations[1].kind: expected one of typo, swap, drop, insert, keyboard, case, whitespace, punctuation, names; found 'typos' (did you mean 'typo'?)" "$T/err"
ok $? "validate: unknown kind -> exit 2, FILE:LINE:COL, the kinds and a did-you-mean (rc $rc)"
"$B" run "$D/bad-kind.yaml" --out "$T/never" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "bad-kind.yaml:17:14: perturb.perturbations[1].kind" "$T/err" && [ ! -e "$T/never" ]
ok $? "run: the same suite stops with exit 2 before a run folder exists (rc $rc)"
"$B" validate "$D/bad-many.yaml" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "^8 errors$" "$T/err" \
  && grep -qF "bad-many.yaml:16:16: perturb.tasks[1]: task 'speed' is a latency task; perturb applies to" "$T/err" \
  && grep -qF "bad-many.yaml:16:23: perturb.tasks[2]: unknown task 'nope'" "$T/err" \
  && grep -qF "bad-many.yaml:18:26: perturb.perturbations[0].rate: expected a rate from 0 to 1, found 1.5" "$T/err" \
  && grep -qF "bad-many.yaml:19:7: perturb.perturbations[1]: missing required key 'lists'" "$T/err" \
  && grep -qF "bad-many.yaml:20:45: perturb.perturbations[2].lists: key 'lists' applies to kind names only" "$T/err" \
  && grep -qF "bad-many.yaml:21:7: perturb.perturbations[3]: perturbation id 'case' is used twice" "$T/err" \
  && grep -qF "bad-many.yaml:22:12: perturb.perturbations[4].id: expected an id" "$T/err" \
  && grep -qF "bad-many.yaml:23:20: perturb.perturbations[5].rait: unknown key 'rait' (did you mean 'rate'?)" "$T/err"
ok $? "validate: task of another type, unknown task, rate, lists missing and misplaced, duplicate and bad ids, key typo: 8 errors with positions (rc $rc)"

# ---- a run ----------------------------------------------------------------------
minilm_path
if [ -z "$M" ]; then
  i=4; while [ $i -le 20 ]; do skip "all-MiniLM-L6-v2 not found (scripts/setup.sh fetches it)"; i=$((i + 1)); done
  exit $fails
fi
R=$T/r1
"$B" run "$D/run.yaml" --out "$R" -q >"$T/out" 2>"$T/err"; rc=$?
ok $rc "run: the perturbed suite runs (rc $rc)"
[ $rc = 0 ] || sed 's/^/#   /' "$T/err" | tail -5
C=$R/results.csv
head -1 "$C" | grep -q ',adjust_method,small_group,perturbation,higher_is_better,kind,unit$'
ok $? "results.csv: perturbation before higher_is_better,kind,unit (unit last)"
# row COUNT PATTERN: the number of lines of results.csv matching an extended regex
rows() { grep -cE "$1" "$C"; }
[ "$(rows '^"perturb-run","sts","pairs","minilm","f32","all","spearman",.*,"",,,true,quality,[^,]*$')" = 1 ] \
  && [ "$(rows '^"perturb-run","sts",.*"all","spearman",.*,"",,"(typo|shout|swap)",true,quality,[^,]*$')" = 3 ] \
  && [ "$(rows '^"perturb-run","sts",.*"all","spearman",.*,"",,"delta:(typo|shout|swap)",true,quality,[^,]*$')" = 3 ] \
  && [ "$(rows '^"perturb-run","sentiment",.*"all","accuracy",.*,"",,"delta:(typo|shout|swap)",true,quality,[^,]*$')" = 3 ]
ok $? "one clean row, one row per perturbation and one delta row per perturbation (sts spearman, sentiment accuracy)"
[ "$(rows '"(support|confusion)",.*"delta:')" = 0 ] && [ "$(rows '"(support|confusion)",.*,"typo",,quality,[^,]*$')" -gt 0 ]
ok $? "counts and confusion cells are rerun but get no delta row (no direction)"
# field N of the sts spearman row with perturbation P ("" = clean)
val() { awk -F, -v p="$2" -v f="$1" '$2 == "\"sts\"" && $6 == "\"all\"" && $7 == "\"spearman\"" && $16 == p { print $f }' "$C"; }
clean=$(val 8 ''); typo=$(val 8 '"typo"'); delta=$(val 8 '"delta:typo"'); lo=$(val 9 '"delta:typo"'); hi=$(val 10 '"delta:typo"'); p=$(val 12 '"delta:typo"')
awk -v c="$clean" -v t="$typo" -v d="$delta" -v lo="$lo" -v hi="$hi" -v p="$p" 'BEGIN {
  e = (t - c) - d; if (e < 0) e = -e
  exit !(c > 80 && t < c && e < 1e-6 && lo <= d && d <= hi && hi < 0 && p > 0 && p < 0.05) }'
ok $? "typo (rate 0.2): spearman $clean -> $typo; delta $delta = perturbed - clean, CI [$lo, $hi] below 0, p $p"
[ "$(val 8 '"delta:shout"')" = 0 ] && [ "$(val 8 '"shout"')" = "$clean" ]
ok $? "case flips (rate 1) leave the uncased MiniLM's spearman exactly as clean: delta 0"
I=$R/items
[ -f "$I/sts__minilm.csv" ] && [ -f "$I/sts__minilm__perturb-typo.csv" ] && [ -f "$I/sts__minilm__perturb-shout.csv" ] \
  && [ -f "$I/sts__minilm__perturb-swap.csv" ] && [ -f "$I/sentiment__minilm__perturb-typo.csv" ]
ok $? "per-item files items/<task>__<model>__perturb-<id>.csv beside the clean ones"
grep -q '^L1,a CAT SITS ON THE WARM WINDOWSILL\.,a CAT IS RESTING ON THE SUNNY WINDOW LEDGE\.,4.6,' "$I/sts__minilm__perturb-shout.csv" \
  && grep -q '^L1,A cat sits on the warm windowsill\.,A cat is resting on the sunny window ledge\.,4.6,' "$I/sts__minilm.csv"
ok $? "shout: every letter's case flipped; the gold score untouched"
grep -q '^L7,He is reading a novel by the fire\.,A woman reads a book near the fireplace\.,' "$I/sts__minilm__perturb-swap.csv" \
  && grep -q '^L12,She paints the fence white\.,She is painting the wall blue\.,' "$I/sts__minilm__perturb-swap.csv"
ok $? "swap: pronouns from datasets/counterfactual swapped (She -> He, He -> She), other words kept"
cut -d, -f1 "$I/sts__minilm.csv" >"$T/a"; cut -d, -f1 "$I/sts__minilm__perturb-typo.csv" >"$T/b"
cmp -s "$T/a" "$T/b" && ! cmp -s "$I/sts__minilm.csv" "$I/sts__minilm__perturb-typo.csv" \
  && [ "$(awk -F, 'NR > 1 { print $NF }' "$I/sentiment__minilm__perturb-typo.csv" | sort -u | wc -l)" -gt 0 ]
ok $? "typo: same items (item_id) in the same order, different text"
"$B" run "$D/run.yaml" --out "$T/r2" -q >"$T/out" 2>"$T/err"
cmp -s "$R/results.csv" "$T/r2/results.csv" && cmp -s "$I/sts__minilm__perturb-typo.csv" "$T/r2/items/sts__minilm__perturb-typo.csv"
ok $? "a second run: results.csv and the perturbed items byte-identical (seeded per item id)"
sed 's/seed: 5$/seed: 6/; s/bootstrap: 200$/bootstrap: 0/' "$D/run.yaml" >"$T/seed6.yaml"
sed -i "s#path: \.\./#path: $(cd "$D/.." && pwd)/#; s#\.\./\.\./\.\./datasets#$(cd "$S" && pwd)/datasets#" "$T/seed6.yaml"
"$B" run "$T/seed6.yaml" --out "$T/r3" -q >"$T/out" 2>"$T/err"
! cmp -s "$I/sts__minilm__perturb-typo.csv" "$T/r3/items/sts__minilm__perturb-typo.csv" \
  && cmp -s "$I/sts__minilm__perturb-shout.csv" "$T/r3/items/sts__minilm__perturb-shout.csv"
ok $? "perturb.seed 6 instead of 5 (and bootstrap 0): other typos; rate-1 case flips the same"
grep -qE '^"perturb-run","sts",.*"all","spearman",-?[0-9.]+,,,14,,,"",,"delta:typo",true,quality,[^,]*$' "$T/r3/results.csv"
ok $? "bootstrap 0 (no CIs, the same run): delta rows hold the difference without CI or p"
"$B" compare "$R" "$T/r2" --format csv >"$T/cmp.csv" 2>"$T/err"; rc=$?
[ $rc = 0 ] && head -1 "$T/cmp.csv" | grep -q ',note,perturbation,p_floor,verdict$' \
  && [ "$(grep -c '^"sts","pairs","minilm","minilm","f32","all","spearman",.*,"paired bootstrap",14,.*,"typo",[^,]*,"[^"]*"$' "$T/cmp.csv")" = 1 ] \
  && [ "$(grep -c '^"sts","pairs","minilm","minilm","f32","all","spearman",' "$T/cmp.csv")" = 7 ]
ok $? "compare: rows pair only with the same perturbation; perturbed rows tested on their own items (rc $rc)"
grep -q '^### Robustness to perturbed input' "$R/report.md" \
  && grep -qE '^\| sts \| minilm \| typo \(typo, rate 0\.2\) \| spearman \| ' "$R/report.md" \
  && [ "$(grep -c '^| sentiment | minilm | ' "$R/report.md")" -ge 6 ]
ok $? "report.md: robustness section, one row per task x perturbation x metric"
[ -f "$R/charts/robustness.dat" ] && [ -f "$R/charts/robustness.gp" ] && [ "$(wc -l <"$R/charts/robustness.dat")" -ge 12 ]
ok $? "chart data charts/robustness.dat (+ .gp): one bar per task x perturbation x metric"
! grep -qE '"(typo|shout|swap|delta:[a-z]+)"' "$R/report.md" \
  && [ "$(grep -cE '^\| (sts|sentiment) \| minilm \| (spearman|accuracy) \|' "$R/report.md")" -le 4 ]
ok $? "the report's other sections show clean rows only"
exit $fails
