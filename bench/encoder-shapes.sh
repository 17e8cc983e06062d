#!/bin/sh
# encoder-shapes.sh: two of issue 10's encoder goals measured with biasbench alone (no Python
# peers needed): (1) attention's share of a layer at T = 128, B = 32, from `embed --profile`
# (32 synthetic texts of exactly 128 tokens; share = attention / (GEMMs + LayerNorms of the
# layers + attention)); (2) batch 128 against batch 32 on the STS-B test sentences (both
# columns, 2,758 texts): wall seconds of `embed` on all texts minus the same command on one
# text, interleaved, median of REPS. A benchmark, not a test.
#
# usage: bench/encoder-shapes.sh [-B BUILD_DIR] [-r REPS] [-m MODEL] [-d STSB_CSV]
set -eu
build=${BUILD_DIR:-.}
reps=3
model=${HOME}/.cache/biasbench/models/all-MiniLM-L6-v2
data=$(cd "$(dirname "$0")/.." && pwd)/../shared/datasets/stsb/stsb-en-test.csv
while [ $# -gt 0 ]; do
  case $1 in
    -B) build=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    -m) model=$2; shift 2 ;;
    -d) data=$2; shift 2 ;;
    *) echo "encoder-shapes.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
bb=$build/biasbench
[ -x "$bb" ] || { echo "encoder-shapes.sh: $bb not found" >&2; exit 2; }
[ -f "$data" ] || { echo "encoder-shapes.sh: $data not found (pass -d)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/bb-shapes-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# model $model"

# (1) 32 texts of 126 words drawn from one-piece words: [CLS] + 126 + [SEP] = 128 tokens
awk 'BEGIN {srand(1); n = split("the quick brown fox jumps over a lazy dog while people walk " \
  "in the park and talk about music", w, " ");
  for (i = 0; i < 32; i++) {s = ""; for (j = 0; j < 126; j++) s = s (j ? " " : "") w[int(rand() * n) + 1]; print s}}' \
  >"$tmp/long.txt"
t=$("$bb" tokenize --model "$model" "$(head -n 1 "$tmp/long.txt")" | awk '/^ids:/ {print NF - 1}')
echo "# attention at T = $t, B = 32 (embed --profile, device ms from OpenCL events):"
for r in $(seq "$reps"); do
  "$bb" embed --model "$model" --profile -B 32 -o "$tmp/e.csv" <"$tmp/long.txt" 2>"$tmp/err"
  awk -F, 'NR > 1 && $1 ~ /^bb_matmul/ {g += $4} NR > 1 && $1 ~ /^bb_attention/ {a += $4}
    NR > 1 && $1 == "bb_layernorm_rows" {l += $4 * ($3 - 1) / $3}
    END {printf "rep %d: GEMMs %.1f ms, attention %.1f ms, LayerNorm %.1f ms: attention %.1f%% of a layer\n",
         r, g, a, l, 100 * a / (g + a + l)}' r="$r" "$tmp/profile.csv"
done

# (2) batch 32 vs 128
awk -F, '{print $1; print $2}' "$data" | sed 's/^"//; s/"$//' >"$tmp/sts.txt"
n=$(wc -l <"$tmp/sts.txt")
secs() { # BATCH FILE: wall seconds of embed
  s0=$(date +%s.%N)
  "$bb" embed --model "$model" -B "$1" <"$2" >/dev/null
  s1=$(date +%s.%N)
  echo "$s0 $s1" | awk '{printf "%.3f", $2 - $1}'
}
head -n 1 "$tmp/sts.txt" >"$tmp/one.txt"
echo "# batch 32 vs 128 on $n STS-B test sentences (wall of all texts minus a 1-text run):"
for r in $(seq "$reps"); do
  for b in 32 128; do
    one=$(secs "$b" "$tmp/one.txt")
    all=$(secs "$b" "$tmp/sts.txt")
    echo "$b $all $one" | awk -v n="$n" -v r="$r" \
      '{printf "rep %d batch %d: %.2f s (%.0f sent/s)\n", r, $1, $2 - $3, n / ($2 - $3)}' |
      tee -a "$tmp/b$b"
  done
done
med() { awk '{print $(NF - 1)}' "$1" | tr -d '(' | sort -n |
  awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
m32=$(med "$tmp/b32")
m128=$(med "$tmp/b128")
echo "median sent/s: batch 32 $m32, batch 128 $m128; batch 128 / batch 32 = $(echo "$m128 $m32" | awk '{printf "%.2f", $1 / $2}')"
echo "# load at end $(cut -d' ' -f1-3 /proc/loadavg)"
