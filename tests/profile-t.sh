#!/bin/sh
# profile-t.sh: `--profile` (issue 10) through the real binary: embed and run print the
# kernel-time table on stderr and leave profile.csv, profile.gp and profile.svg beside --output
# (embed) or in the run directory (run); the CSV's times add up to the table's kernel total, its
# shares to 100%, and its launch counts are MiniLM's ops per forward (6 layers: 1 embed,
# 13 LayerNorms, 6 attentions, 24 GEMMs, 1 pool); without the flag nothing is written; the ref
# backend refuses it (exit 2). And the kernel binary cache policy on PoCL: no binaries in
# biasbench's cache by default (PoCL caches programs itself), one per built kernel file with
# BIASBENCH_KERNEL_BINARIES=1 (built from source: the prebuilt kernels off, as a program loaded
# from them is not copied into the cache).
set -u
B=${BIASBENCH:-./biasbench}
. "${srcdir:-.}/tests/tap.sh"
S=$(cd "${srcdir:-.}" && pwd)

find_minilm
"$B" devices >/dev/null 2>&1 || bail_or_skip_all "no OpenCL device"
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-profile-XXXXXX")
trap 'rm -rf "$T"' EXIT

# launches KERNEL CSV: the kernel's launches summed over its rows
launches() { awk -F, -v k="$1" 'NR > 1 && $1 == k {s += $3} END {print s + 0}' "$2"; }

echo "1..18"
mkdir -p "$T/e"
"$B" embed --model "$M" --profile -o "$T/e/emb.csv" "A man is playing a guitar." \
  "Two dogs run across a field of grass." >"$T/out" 2>"$T/err"; rc=$?
ok $rc "embed --profile exits 0"
grep -q '^kernel  *g_last  *launches  *total ms' "$T/err"; ok $? "the table is on stderr"
C=$T/e/profile.csv
head -1 "$C" 2>/dev/null | grep -qx 'kernel,g_last,launches,total_ms,mean_us,share'
ok $? "profile.csv beside --output, with its header"
[ "$(launches bb_embed "$C")" = 1 ] && [ "$(launches bb_layernorm_rows "$C")" = 13 ] &&
  [ "$(launches bb_attention_hd32 "$C")" = 6 ] && [ "$(launches bb_pool_rows "$C")" = 1 ]
ok $? "launch counts are one MiniLM forward's (embed 1, LayerNorm 13, attention 6, pool 1)"
[ "$(awk -F, 'NR > 1 && $1 ~ /^bb_matmul/ {s += $3} END {print s + 0}' "$C")" = 24 ]
ok $? "24 GEMM launches (4 per layer), split by weight shape"
total=$(sed -n 's/^# kernels \([0-9.]*\) ms of .*/\1/p' "$T/err")
awk -F, -v t="${total:-x}" 'NR > 1 {s += $4} END {d = s - t; exit !(t != "x" && d < 0.1 && d > -0.1)}' "$C"
ok $? "the rows' times add up to the table's kernel total (${total:-none} ms)"
awk -F, 'NR > 1 {s += $6} END {exit !(s > 99.9 && s < 100.1)}' "$C"
ok $? "the shares add up to 100%"
awk -F, 'NR > 1 && ($4 < 0 || $3 < 1) {bad = 1} NR > 2 && $4 > prev {bad = 1} {prev = $4}
  END {exit bad}' "$C"
ok $? "every row has launches and a non-negative time, most time first"
grep -q "plot 'profile.csv'" "$T/e/profile.gp"; ok $? "profile.gp plots profile.csv"
if command -v "${BIASBENCH_GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
  grep -q '<svg' "$T/e/profile.svg" 2>/dev/null; ok $? "profile.svg was drawn"
else
  skip "gnuplot not installed: profile.svg not drawn"
fi

mkdir -p "$T/n"
"$B" embed --model "$M" -o "$T/n/emb.csv" "A man is playing a guitar." >"$T/out" 2>"$T/err"
[ ! -e "$T/n/profile.csv" ] && ! grep -q 'launches' "$T/err"
ok $? "without --profile: no table, no profile.csv"

"$B" embed --model "$M" --backend ref --profile "x" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q 'profile times OpenCL kernels; the ref backend has none' "$T/err"
ok $? "--profile with the ref backend: exit 2 and why (exit $rc)"

"$B" run "$S/tests/data/run/tiny.yaml" --model "$M" --task sts --out "$T/run" --no-report \
  --profile -q >"$T/out" 2>"$T/err"; rc=$?
ok $rc "run --profile exits 0"
grep -q '^kernel  *g_last  *launches' "$T/err"; ok $? "run prints the table on stderr"
[ -s "$T/run/profile.csv" ] && [ -s "$T/run/profile.gp" ] && [ -s "$T/run/results.csv" ]
ok $? "run leaves profile.csv and profile.gp in the run directory"
[ "$(launches bb_embed "$T/run/profile.csv")" -ge 1 ] &&
  [ "$(( $(launches bb_layernorm_rows "$T/run/profile.csv") % 13 ))" = 0 ]
ok $? "its LayerNorm launches are whole forwards (13 each)"
if "$B" devices 2>/dev/null | grep -q 'Portable Computing Language'; then
  "$B" embed --model "$M" "x" >/dev/null 2>&1 </dev/null
  BIASBENCH_CACHE=$T/c1 "$B" embed --model "$M" "x" >/dev/null 2>"$T/err"; rc=$?
  [ $rc = 0 ] && [ "$(ls "$T/c1/kernels" 2>/dev/null | grep -c '\.clbin$')" = 0 ]
  ok $? "PoCL: no program binaries in biasbench's cache by default"
  BIASBENCH_PREBUILT_KERNELS=off BIASBENCH_KERNEL_BINARIES=1 BIASBENCH_CACHE=$T/c2 \
    "$B" embed --model "$M" "x" >/dev/null 2>"$T/err"; rc=$?
  nb=$(ls "$T/c2/kernels" 2>/dev/null | grep -c '\.clbin$')
  [ $rc = 0 ] && [ "$nb" = 1 ]
  ok $? "BIASBENCH_KERNEL_BINARIES=1: one binary, the encoder's program ($nb of 1)"
else
  skip "not PoCL: the binary cache is always used"
  skip "not PoCL: the binary cache is always used"
fi
[ "$fails" = 0 ]
