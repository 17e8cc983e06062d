#!/bin/sh
# resume-t.sh: `biasbench run --resume DIR` (issue 11) through the real binary
# on tests/data/resume/resume.yaml (three jobs on MiniLM). The run is
# interrupted at a known point in the middle of its second job: the test hook
# BIASBENCH_TEST_STOP_AFTER_STORES=30 makes the process stop itself (SIGSTOP)
# after its 30th result-cache entry (the first job has 28 texts), the test
# checks that it is mid-run (first job finished, second pending, no
# results.csv), sends SIGINT and lets it go on (exit 130). Copies of that
# folder are refused for each changed input (suite, dataset, model weights,
# biasbench version) and for finished or foreign folders, exit 2 naming the
# reason; then the resumed run keeps the first job, computes only the texts
# the interrupted one had not stored, and ends with results.csv and per-item
# files byte-identical to an uninterrupted run's.
set -u
B=${BIASBENCH:-./biasbench}
case $B in /*) ;; *) B=$PWD/$B ;; esac
S=$(cd "${srcdir:-.}" && pwd)
. "$S/tests/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-resume-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -CONT $pid 2>/dev/null && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
export BIASBENCH_COLD_START=off
unset BIASBENCH_CACHE_MAX BIASBENCH_TEST_STOP_AFTER_STORES

find_minilm
# the model as a folder of links, so the test can swap its weights
mkdir -p "$T/models/all-MiniLM-L6-v2" "$T/fx"
for f in "$M"/*; do ln -s "$f" "$T/models/all-MiniLM-L6-v2/${f##*/}"; done
BIASBENCH_MODELS=$T/models; export BIASBENCH_MODELS
cp "$S/tests/data/resume/resume.yaml" "$S/tests/data/run/pairs.csv" \
  "$S/tests/data/run/reviews.tsv" "$T/fx/"
export BIASBENCH_RESULT_CACHE=$T/rc

mval() { sed -n "s/^ *\"$2\": \([^,]*\),*$/\1/p" "$1/manifest.json" | head -1; }
# status of task $2 in $1's manifest ("ran", "pending", ...)
tstatus() {
  awk -v id="\"$2\"" '$1 == "\"id\":" && $2 ~ "^" id ",?$" { f = 1 }
    f && $1 == "\"status\":" { gsub(/[",]/, "", $2); print $2; exit }' "$1/manifest.json"
}
same() {
  cmp -s "$1/results.csv" "$2/results.csv" || return 1
  for f in "$1"/items/*.csv; do cmp -s "$f" "$2/items/${f##*/}" || return 1; done
  [ "$(ls "$1/items" | wc -l)" = "$(ls "$2/items" | wc -l)" ]
}
# wait_stopped: until process $pid stops (state T) or ends; its state in $state
wait_stopped() {
  i=0
  while [ $i -lt 1200 ]; do # up to 2 minutes on a loaded machine
    state=$(awk '{ print $3 }' /proc/$pid/stat 2>/dev/null)
    case $state in T | Z | '') return ;; esac
    sleep 0.1; i=$((i + 1))
  done
}

"$B" run "$T/fx/resume.yaml" --out "$T/base" --no-report --no-cache -q >/dev/null 2>"$T/base.err"
ok $? "an uninterrupted run (no cache) finishes"

# ---- interrupt in the middle of the second job -------------------------------------
BIASBENCH_TEST_STOP_AFTER_STORES=30 "$B" run "$T/fx/resume.yaml" --out "$T/int" --no-report -q \
  >/dev/null 2>"$T/int.err" &
pid=$!
wait_stopped
[ "$state" = T ]
ok $? "the run stopped itself after its 30th cache entry (state '$state')"
[ "$(tstatus "$T/int" sts)" = ran ] && [ "$(tstatus "$T/int" sentiment)" = pending ] &&
  [ "$(mval "$T/int" complete)" = false ] && [ -f "$T/int/items/sts__minilm.csv" ] &&
  [ ! -e "$T/int/items/sentiment__minilm.csv" ] && [ ! -e "$T/int/results.csv" ] &&
  [ -f "$T/int/partial/sts__minilm.csv" ]
ok $? "mid-run: sts ran, sentiment pending, complete false, sts's per-item file and kept \
rows written, no results.csv"
kill -INT $pid; kill -CONT $pid
wait $pid; rc=$?
pid=
[ "$rc" = 130 ] && [ ! -e "$T/int/results.csv" ] && [ "$(mval "$T/int" complete)" = false ]
ok $? "SIGINT: exit 130 ($rc), still complete false and no results.csv"

# ---- refusals: each on a copy, each input changed and put back ----------------------
cp -r "$T/int" "$T/int-copy"
again() { rm -rf "$T/try" && cp -r "$T/int-copy" "$T/try"; }
cp "$T/fx/resume.yaml" "$T/suite.keep"
echo "# changed" >>"$T/fx/resume.yaml"
again
expect 2 "resume.yaml: sha256 was" "a changed suite file is refused" -- run --resume "$T/try"
cp "$T/suite.keep" "$T/fx/resume.yaml"
cp "$T/fx/pairs.csv" "$T/pairs.keep"
echo "A added line.,Another added line.,2.5" >>"$T/fx/pairs.csv"
again
expect 2 "dataset pairs changed" "a changed dataset is refused" -- run --resume "$T/try"
cp "$T/pairs.keep" "$T/fx/pairs.csv"
rm "$T/models/all-MiniLM-L6-v2/model.safetensors"
ln -s "$M/tokenizer.json" "$T/models/all-MiniLM-L6-v2/model.safetensors"
again
expect 2 "model minilm changed" "changed model weights are refused" -- run --resume "$T/try"
rm "$T/models/all-MiniLM-L6-v2/model.safetensors"
ln -s "$M/model.safetensors" "$T/models/all-MiniLM-L6-v2/model.safetensors"
again
sed 's/^\(    "version": "\)[^"]*"/\10.0.0-other"/' "$T/try/manifest.json" >"$T/m" &&
  mv "$T/m" "$T/try/manifest.json"
expect 2 "the biasbench version differs" "a run made by another biasbench version is refused" \
  -- run --resume "$T/try"
expect 2 "there is nothing to resume" "a finished run is refused" -- run --resume "$T/base"
expect 2 "no manifest.json there" "a folder that holds no run is refused" -- run --resume "$T/fx"
again
expect 2 "takes no SUITE and no run options" "--resume with a suite or run options is refused" \
  -- run --resume "$T/try" --limit 3
[ -f "$T/try/partial/sts__minilm.csv" ] && [ ! -e "$T/try/results.csv" ]
ok $? "a refused resume leaves the folder as it was"

# ---- resume ---------------------------------------------------------------------------
"$B" run --resume "$T/int" >"$T/res.out" 2>"$T/res.err"
ok $? "run --resume finishes"
[ "$(mval "$T/int" complete)" = true ] && [ "$(mval "$T/int" jobs_kept)" = 1 ] &&
  grep -q "sts on minilm: kept from the interrupted run" "$T/res.err"
ok $? "the finished job is kept, not rerun (manifest resumed.jobs_kept 1)"
h=$(mval "$T/int" hits) c=$(mval "$T/int" computed)
[ "$c" = 14 ] && [ "$h" = 30 ]
ok $? "nothing is computed twice: 14 of 44 texts computed, 30 read back (stored before the \
interrupt: sts's 28 and 2 of sentiment's; found $c, $h)"
same "$T/base" "$T/int"
ok $? "results.csv and every per-item file byte-identical to the uninterrupted run"
[ ! -e "$T/int/partial" ]
ok $? "the kept rows (partial/) are removed once results.csv holds them"
grep -q '"--out"' "$T/int/manifest.json" && ! grep -q '"--resume"' "$T/int/manifest.json"
ok $? "the manifest keeps the run's own command line (a resumed run can be resumed again)"

# ---- relative paths: resumed from another folder, in the run's own -----------------
(cd "$T" && BIASBENCH_RESULT_CACHE=$T/rc-rel BIASBENCH_TEST_STOP_AFTER_STORES=1 \
  exec "$B" run fx/resume.yaml --out rel --no-report -q >/dev/null 2>"$T/rel.err") &
pid=$!
wait_stopped
st=$state
kill -INT $pid; kill -CONT $pid
wait $pid; rc=$?
pid=
[ "$st" = T ] && [ "$rc" = 130 ] && [ "$(tstatus "$T/rel" sts)" = pending ]
ok $? "a run started with relative paths (fx/resume.yaml, --out rel), interrupted in its first job"
(cd / && BIASBENCH_RESULT_CACHE=$T/rc-rel exec "$B" run --resume "$T/rel" >/dev/null \
  2>"$T/rel2.err")
ok $? "resumed from another working folder: its relative paths resolve in working_dir"
same "$T/base" "$T/rel"
ok $? "and its results equal the uninterrupted run's byte for byte"
echo "1..$n"
[ "$fails" = 0 ]
