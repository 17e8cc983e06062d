#!/bin/sh
# gate-t.sh: end-to-end TAP test of `biasbench gate` and `biasbench compare`:
# on the hand-made fixture runs in tests/data/gate/ (numbers we control, made
# by tests/reference/gate_fixtures.py; latency gates only ever see these), and
# on two real small runs of all-MiniLM-L6-v2 (inputs truncated to 8 tokens in
# the degraded one). Asserts TAP lines, exit codes, messages, JUnit XML, and
# that prove reads gate's TAP.
set -u
B=${BIASBENCH:-./biasbench}
S=${srcdir:-.}
G=$S/tests/data/gate
. "$S/tests/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-gate-XXXXXX")
trap 'rm -rf "$T"' EXIT

# gate ARGS...: run biasbench gate, stdout in $T/out, stderr in $T/err, exit code in $rc
gate() { "$B" gate "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# points: the test-point lines of $T/out, "ok"/"not ok" and number only, joined by spaces
points() { grep -E '^(not )?ok [0-9]+ ' "$T/out" | sed -E 's/^(not ok|ok) ([0-9]+) .*/\1 \2/' | tr '\n' ',' ; }
show() { sed 's/^/#   /' "$T/out" | head -${1:-20}; sed 's/^/#   err: /' "$T/err" | head -5; }
check() { # check DESCRIPTION WANT_RC WANT_POINTS
  got=$(points)
  if [ "$rc" = "$2" ] && [ "$got" = "$3" ]; then ok 0 "$1"
  else ok 1 "$1"; echo "#   wanted exit $2 and points '$3'"; echo "#   got exit $rc and '$got'"; show; fi
}

minilm_path
data=
for d in "${BIASBENCH_DATA:-/nonexistent}" "$S/../shared/datasets" "$cache/datasets"; do
  [ -f "$d/stsb/stsb-en-test.csv" ] && data=$(cd "$d" && pwd) && break
done

echo "1..50"

"$B" gate --help >"$T/out" 2>&1 && grep -q '^usage: biasbench gate --baseline' "$T/out" \
  && "$B" compare --help >"$T/out" 2>&1 && grep -q '^usage: biasbench compare RUN_A RUN_B' "$T/out" \
  && "$B" --help | grep -q '^   gate ' ; ok $? "gate --help, compare --help, and both listed by biasbench --help"

# ---- fixtures: identical candidate, degraded, slightly worse ----
gate --baseline "$G/base" --candidate "$G/base" --suite "$G/suite.yaml"
check "identical candidate passes every gate (exit 0)" 0 "ok 1,ok 2,ok 3,ok 4,ok 5,ok 6,"
head -2 "$T/out" | tr '\n' '|' | grep -qx 'TAP version 13|1\.\.6|'; ok $? "output starts with 'TAP version 13' and the plan 1..6"
cp "$T/out" "$T/pass.tap"

gate --baseline "$G/base" --candidate "$G/degraded" --suite "$G/suite.yaml" --junit "$T/j.xml"
check "degraded candidate fails gates 1 (spearman) and 4 (p50 latency) only (exit 1)" 1 \
  "not ok 1,ok 2,ok 3,not ok 4,ok 5,ok 6,"
cp "$T/out" "$T/fail.tap"
grep -q '^not ok 1 - gate 1: spearman sts/m pairs \[all\]$' "$T/out"; ok $? "TAP line names gate, metric, task/model, dataset and group"
awk '/^not ok 1 /{f=1} f&&/^  \.\.\.$/{exit} f' "$T/out" >"$T/blk"
missing=0 # every key is looked for; any one absent fails the point
for k in "  ---" "  metric: \"spearman\"" "  baseline: 96.9308" "  candidate: 61.6192" "  delta: -35.3116" \
         "  threshold: \"max_regression 0.5 (absolute), only if significant\"" "  method: \"paired bootstrap\""; do
  grep -qxF "$k" "$T/blk" || { echo "#   missing '$k'"; missing=$((missing + 1)); }
done
[ "$missing" = 0 ]; ok $? "YAML block of the failed STS gate: metric, baseline, candidate, delta, threshold, method"
grep -qE '^  ci: \[-[0-9.e+-]+, -[0-9.e+-]+\]$' "$T/blk" && grep -qE '^  p_value: 0\.00[0-9]+$' "$T/blk"
ok $? "failed STS gate: CI of the difference below 0 and p < 0.01 (paired bootstrap)"
awk '/^not ok 4 /{f=1} f&&/^  \.\.\.$/{exit} f' "$T/out" >"$T/blk"
grep -qxF '  regression: 0.5' "$T/blk" && grep -qF 'relative worsening 0.5 exceeds 0.1' "$T/blk"
ok $? "p50 latency gate: relative growth 0.5 against a 0.10 limit"
tail -1 "$T/out" | grep -qx '# 4 passed, 2 failed'; ok $? "TAP ends with '# 4 passed, 2 failed'"

gate --baseline "$G/base" --candidate "$G/slightly" --suite "$G/suite.yaml"
check "slightly worse STS (beyond 0.5 but not significant) passes (exit 0)" 0 "ok 1,ok 2,ok 3,ok 4,ok 5,ok 6,"
awk '/^ok 1 /{f=1} f&&/^  \.\.\.$/{exit} f' "$T/out" | grep -qF 'exceeds 0.5 but is not statistically significant'
ok $? "... and says the worsening is not significant"

# ---- JUnit ----
[ -s "$T/j.xml" ] && [ "$(grep -c '<testcase ' "$T/j.xml")" = 6 ] && [ "$(grep -c '<failure ' "$T/j.xml")" = 2 ] \
  && head -1 "$T/j.xml" | grep -q '^<?xml version="1.0" encoding="UTF-8"?>$' && tail -1 "$T/j.xml" | grep -qx '</testsuites>'
ok $? "JUnit: 6 testcases, 2 failures, XML declaration and closing tag"
if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$T/j.xml"; ok $? "JUnit file is well-formed (xmllint)"
else # balanced open/close tags
  o=$(grep -o '<testcase ' "$T/j.xml" | wc -l); c=$(grep -o '</testcase>' "$T/j.xml" | wc -l)
  [ "$o" = "$c" ] && ! grep -q '<[^/?!a-z]' "$T/j.xml"; ok $? "JUnit file is well-formed (tags balanced; xmllint absent)"
fi
grep -q 'failures="2"' "$T/j.xml" && grep -q 'message="relative worsening 0.5 exceeds 0.1"' "$T/j.xml"
ok $? "JUnit failure element carries the gate's message"

# ---- bare CSV baseline ----
gate --baseline "$G/base/results.csv" --candidate "$G/degraded" --suite "$G/suite.yaml"
check "bare CSV baseline: same gates fail (exit 1)" 1 "not ok 1,ok 2,ok 3,not ok 4,ok 5,ok 6,"
grep -qF '# the baseline is a bare results.csv without per-item data: significance is judged by non-overlap of the 95% CIs' "$T/out" \
  && [ "$(grep -c '^  method: "CI non-overlap"$' "$T/out")" = 5 ] && grep -q '^  method_detail: "CI non-overlap: the baseline is a bare results.csv' "$T/out"
ok $? "bare CSV baseline: diagnostics state the CI-overlap method"

# ---- default gate (suite without gates) ----
gate --baseline "$G/base" --candidate "$G/degraded" --suite "$G/nogates.yaml"
check "no gates declared: default gate fails spearman and pearson, passes accuracy (exit 1)" 1 \
  "not ok 1,not ok 2,ok 3,"
grep -q '^# the suite declares no gates: applying the default gate' "$T/out" && grep -q '^not ok 1 - default: spearman sts/m' "$T/out"
ok $? "default gate is announced and named"
gate --baseline "$G/base" --candidate "$G/base" --suite "$G/nogates.yaml"
check "no gates declared, identical candidate: passes (exit 0)" 0 "ok 1,ok 2,ok 3,"

# ---- bad input: exit 2 and a clear message ----
bad() { # bad DESCRIPTION MESSAGE ARGS...
  what=$1 want=$2; shift 2
  gate "$@"
  if [ "$rc" = 2 ] && grep -qF -- "$want" "$T/err" && [ ! -s "$T/out" ]; then ok 0 "$what (exit 2)"
  else ok 1 "$what"; echo "#   wanted exit 2 and '$want'"; echo "#   got exit $rc"; show 5; fi
}
bad "missing baseline" "biasbench gate: baseline: $T/none: cannot read" --baseline "$T/none" --candidate "$G/base" --suite "$G/suite.yaml"
printf 'suite,task\nx,y\n' >"$T/cols.csv"
bad "baseline CSV without the results columns" "$T/cols.csv: not a biasbench results.csv: column 'dataset' is missing" \
  --baseline "$T/cols.csv" --candidate "$G/base" --suite "$G/suite.yaml"
sed '3s/,97\.43[0-9]*,/,high,/' "$G/base/results.csv" >"$T/num.csv"
bad "baseline CSV with a non-number value" "$T/num.csv:3: column 'value': expected a number, found 'high'" \
  --baseline "$T/num.csv" --candidate "$G/base" --suite "$G/suite.yaml"
sed '4s/,quality$/,qualty/' "$G/base/results.csv" >"$T/kind.csv"
bad "baseline CSV with a bad kind" "$T/kind.csv:4: column 'kind': expected quality, bias or timing, found 'qualty'" \
  --baseline "$T/kind.csv" --candidate "$G/base" --suite "$G/suite.yaml"
mkdir -p "$T/nomani" && cp "$G/base/results.csv" "$T/nomani/"
bad "baseline folder without manifest.json" "$T/nomani: not a run directory: manifest.json is missing" \
  --baseline "$T/nomani" --candidate "$G/base" --suite "$G/suite.yaml"
mkdir -p "$T/badjson" && printf '{"suite": ' >"$T/badjson/manifest.json"
bad "baseline with truncated manifest.json" "$T/badjson/manifest.json" --baseline "$T/badjson" --candidate "$G/base" --suite "$G/suite.yaml"
bad "no --baseline" "--baseline RUN_OR_CSV is required" --candidate "$G/base"
mkdir -p "$T/lonely" && cp -R "$G/base" "$T/lonely/base"
bad "candidate suite path not readable from here" "suite.path 'suite.yaml' cannot be read from here" \
  --baseline "$T/lonely/base" --candidate "$T/lonely/base"

# ---- TAP consumers: prove and the gate's own output ----
printf '#!/bin/sh\ncat "%s"\nexit 0\n' "$T/pass.tap" >"$T/pass.t"
printf '#!/bin/sh\ncat "%s"\nexit 1\n' "$T/fail.tap" >"$T/fail.t"
if command -v prove >/dev/null 2>&1; then
  prove -e sh -v "$T/pass.t" >"$T/prove" 2>&1; prc=$?
  [ $prc = 0 ] && grep -q '^Result: PASS' "$T/prove" && ! grep -qi 'parse error\|unknown' "$T/prove"
  ok $? "prove reads the passing gate output: PASS, no parse errors"
  prove -e sh -v "$T/fail.t" >"$T/prove" 2>&1; prc=$?
  [ $prc != 0 ] && grep -q 'Failed 2/6 subtests' "$T/prove" && ! grep -qi 'parse error' "$T/prove"
  r=$?; ok $r "prove reads the failing gate output: 'Failed 2/6 subtests', no parse errors"
  [ $r = 0 ] || sed 's/^/#   /' "$T/prove" | tail -8
else
  skip "prove not installed (Debian: perl)"; skip "prove not installed (Debian: perl)"
fi

# automake's TAP driver on the failing output (exit status ignored: 1 is the verdict)
AM_TAP_AWK=${AWK:-awk} sh "$S/build-aux/tap-driver.sh" --test-name fail --log-file "$T/drv.log" \
  --trs-file "$T/drv.trs" --color-tests no --enable-hard-errors yes --expect-failure no --ignore-exit \
  -- sh "$T/fail.t" >"$T/drv.out" 2>&1
[ "$(grep -c '^:test-result: PASS' "$T/drv.trs")" = 4 ] && [ "$(grep -c '^:test-result: FAIL' "$T/drv.trs")" = 2 ] \
  && ! grep -q 'ERROR' "$T/drv.trs"; ok $? "automake's TAP driver reads the failing gate output: 4 PASS, 2 FAIL, no ERROR"

# ---- compare on fixtures ----
"$B" compare "$G/base" "$G/othersuite" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "ran different suites: suite sha256 555555555555… ('gate-fixture', suite.yaml) != 666666666666…" "$T/err" \
  && grep -qF 'use --force' "$T/err"; ok $? "compare refuses a suite sha256 mismatch and says why (exit 2)"
"$B" compare "$G/base" "$G/otherdata" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "read different data for dataset 'pairs': sha256 aaaaaaaaaaaa… (pairs.csv) != dddddddddddd…" "$T/err"
ok $? "compare refuses a dataset sha256 mismatch (exit 2)"
"$B" compare --force "$G/base" "$G/othersuite" >"$T/out" 2>"$T/err"; ok $? "compare --force compares anyway (exit 0)"
"$B" compare --format csv "$G/base" "$G/degraded" >"$T/out" 2>"$T/err"; rc=$?
line=$(grep '^"sts","pairs","m","m","f32","all","spearman"' "$T/out")
[ $rc = 0 ] && [ "$(wc -l <"$T/out")" = 8 ] && echo "$line" | grep -q ',96.9308,61.6192,-35.3116,-[0-9.]*,-[0-9.]*,0.00[0-9]*,0.0[0-9]*,true,"paired bootstrap",80,'
ok $? "compare csv: 7 metrics; STS spearman B - A = -35.3 with a CI below 0, significant"
grep -q '^"sentiment","reviews","m","m","f32","all","accuracy",.*,0.833333,0.833333,0,0,0,1,1,false,"McNemar",60,' "$T/out"
ok $? "compare csv: accuracy tested by McNemar over 60 paired items (p = 1, unchanged)"
grep -q '"seat","weat-x","m","m","f32","all","abs_effect_size",.*"paired item bootstrap (WEAT)",16,' "$T/out"
ok $? "compare csv: SEAT effect size by the paired item bootstrap"
"$B" compare "$G/base" "$G/degraded" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q 'Benjamini-Hochberg' "$T/out" && grep -q '^| sts | pairs | m | all | spearman | 96.9308 | 61.6192 | -35.31 | \[' "$T/out" \
  && grep -q 'B worse |$' "$T/out"; ok $? "compare md: table row, BH named, verdict 'B worse'"
"$B" compare --format html -o "$T/c.html" "$G/base/results.csv" "$G/degraded" 2>"$T/err"; rc=$?
[ $rc = 0 ] && head -1 "$T/c.html" | grep -q '^<!DOCTYPE html>' && grep -q '</html>' "$T/c.html" \
  && grep -q 'CI non-overlap' "$T/c.html" && ! grep -q '<script\|src=' "$T/c.html"
ok $? "compare html: self-contained page, bare-CSV side judged by CI non-overlap"
sed 's/"all","spearman"/"a<b>\&c","spearman"/' "$G/base/results.csv" >"$T/esc.csv"
"$B" compare --format html "$T/esc.csv" "$T/esc.csv" >"$T/out" 2>"$T/err"
grep -q '<td>a&lt;b&gt;&amp;c</td>' "$T/out" && ! grep -q 'a<b>' "$T/out"; ok $? "compare html escapes cell text"
"$B" compare "$G/base" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q 'expected two runs' "$T/err"; ok $? "compare with one run and no --models: usage error (exit 2)"

# hostile per-item files: a non-number is an error naming file and line; a
# truncated cosine table falls back to CI non-overlap and says why
cp -r "$G/degraded" "$T/hb" && sed '5s/,[0-9.e-]*$/,oops/' "$G/degraded/items/sts__m.csv" >"$T/hb/items/sts__m.csv"
"$B" compare "$G/base" "$T/hb" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "hb/items/sts__m.csv:5: column 'cosine': expected a number, found 'oops'" "$T/err"
ok $? "compare: a malformed per-item file is exit 2 naming file, line and column"
cp "$G/degraded/items/sts__m.csv" "$T/hb/items/" && head -40 "$G/degraded/items/seat__m__cos.csv" >"$T/hb/items/seat__m__cos.csv"
"$B" compare --format csv "$G/base" "$T/hb" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q '^"seat","weat-x",.*"abs_effect_size",.*"CI non-overlap",0,"CI non-overlap: the cosine tables do not pair up' "$T/out"
ok $? "compare: a truncated cosine table falls back to CI non-overlap and says why"

# ---- real runs: MiniLM, and MiniLM with inputs truncated to 8 tokens ----
if [ -z "$M" ] || [ -z "$data" ]; then
  in_ci && { echo "Bail out! all-MiniLM-L6-v2 or ../shared/datasets not found and CI=$CI"; exit 1; }
  for i in 1 2 3 4 5 6 7 8; do skip "all-MiniLM-L6-v2 or the STS-B/SST-2 data not found"; done
else
  mksuite() { # mksuite FILE MAX_SEQ_LEN
    cat >"$1" <<EOF
suite: gate-real
version: 1
seed: 5
defaults: {batch_size: 16, bootstrap: 100, limit: 48}
models:
  - {id: minilm, source: "$M", max_seq_len: $2}
datasets:
  - {id: stsb, path: stsb/stsb-en-test.csv, columns: {s1: 0, s2: 1, score: 2}}
  - {id: sst2, path: sst2/sst2_glue_dev.tsv, header: true, columns: {text: sentence, label: label}}
tasks:
  - {id: sts, type: similarity, dataset: stsb, score_range: [0, 5]}
  - id: sentiment
    type: zero-shot-classification
    dataset: sst2
    labels:
      positive: {value: "1", prompts: ["This is positive."]}
      negative: {value: "0", prompts: ["This is negative."]}
gates:
  - {metric: spearman, task: sts, max_regression: 2, significant: true}
  - {metric: accuracy, task: sentiment, max_regression: 0.05, significant: true}
  - {metric: pearson, task: sts, min: 40}
  - {metric: accuracy, task: sentiment, min: 0.3}
EOF
  }
  mksuite "$T/full.yaml" 0
  mksuite "$T/trunc.yaml" 8
  # two models in one run: minilm, and minilm8 (the same weights, inputs cut to 8 tokens)
  sed 's/^  - {id: minilm, source: \(.*\), max_seq_len: 0}$/&\
  - {id: minilm8, source: \1, max_seq_len: 8}/' "$T/full.yaml" >"$T/both.yaml"
  "$B" -q run "$T/full.yaml" --data-dir "$data" --out "$T/runA" >"$T/log" 2>&1 \
    && "$B" -q run "$T/full.yaml" --data-dir "$data" --out "$T/runA2" >>"$T/log" 2>&1 \
    && "$B" -q run "$T/trunc.yaml" --data-dir "$data" --out "$T/runB" >>"$T/log" 2>&1 \
    && "$B" -q run "$T/both.yaml" --data-dir "$data" --out "$T/runC" >>"$T/log" 2>&1
  r=$?; ok $r "four small real runs (48 items; the third truncates inputs to 8 tokens, the fourth has both models)"
  [ $r = 0 ] || sed 's/^/#   /' "$T/log" | tail -5
  gate --baseline "$T/runA" --candidate "$T/runA2" --suite "$T/full.yaml"
  check "real runs: a rerun of the baseline passes every gate (exit 0)" 0 "ok 1,ok 2,ok 3,ok 4,"
  gate --baseline "$T/runA" --candidate "$T/runB" --suite "$T/trunc.yaml" --junit "$T/real.xml"
  check "real runs: truncated to 8 tokens fails the STS and accuracy regression gates only (exit 1)" 1 \
    "not ok 1,not ok 2,ok 3,ok 4,"
  grep -q 'method: "McNemar"' "$T/out" && grep -q 'method: "paired bootstrap"' "$T/out"
  ok $? "real runs: McNemar for accuracy, paired bootstrap for Spearman"
  "$B" compare "$T/runA" "$T/runB" --force --format csv >"$T/out" 2>"$T/err"
  grep -q '^"sts","stsb","minilm","minilm","f32","all","spearman",.*,true,"paired bootstrap",48,' "$T/out"
  ok $? "real runs: compare --force (suites differ by max_seq_len) finds the STS drop significant"
  "$B" compare "$T/runC" --models minilm,minilm8 --format csv >"$T/out" 2>"$T/err"; rc=$?
  [ $rc = 0 ] && grep -q '^"sts","stsb","minilm","minilm8","f32","all","spearman",.*,true,"paired bootstrap",48,' "$T/out" \
    && grep -q '^"sentiment","sst2","minilm","minilm8","f32","all","accuracy",.*"McNemar",48,' "$T/out" \
    && grep -q '^"sentiment","sst2","minilm","minilm8","f32","all","macro_f1",.*"paired bootstrap",48,' "$T/out" \
    && grep -q '^"sentiment","sst2","minilm","minilm8","f32","positive","recall",.*"paired bootstrap",48,' "$T/out"
  ok $? "real runs: compare RUN --models minilm,minilm8 within one run (McNemar; macro-F1, per-class by paired bootstrap)"
  gate --baseline "$T/runA" --candidate "$T/runC" --suite "$T/both.yaml"
  check "real runs: gates expand per model; each candidate model is checked against the one-model baseline" 1 \
    "ok 1,not ok 2,ok 3,not ok 4,ok 5,ok 6,ok 7,ok 8,"
  grep -q '^not ok 2 - gate 1: spearman sts/minilm8 stsb \[all\]$' "$T/out"; ok $? "real runs: the failing point names model minilm8"
fi
[ $fails = 0 ]
