#!/bin/sh
# mm-chunk-t.sh: the OpenCL GEMM's row chunks on CPU devices (BIASBENCH_MM_CHUNK_KIB,
# src/backend/opencl_matmul.c): a batch large enough to be cut gives byte-identical embeddings
# with chunks of the default size, small chunks and none, and the chunks are really launched
# (more GEMM launches in the --profile table).
set -u
B=${BIASBENCH:-./biasbench}
. "${srcdir:-.}/tests/tap.sh"

find_minilm
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-chunk-XXXXXX")
trap 'rm -rf "$T"' EXIT

# 256 texts of 20-odd tokens: m about 6,000 rows at batch 256, above two default chunks of
# the k = 1536 GEMM (4 MiB / 6 KiB per row = 682 rows) and of the k = 384 ones (2,730 rows)
i=0
while [ $i -lt 256 ]; do
  echo "Sentence number $i says that the weather in town $((i % 17)) was fine on day $((i % 31))."
  i=$((i + 1))
done >"$T/texts"

# emb NAME KIB: embed the texts at batch 256 with the profile; vectors in $T/NAME.csv
emb() {
  BIASBENCH_MM_CHUNK_KIB=$2 "$B" embed --model "$M" --batch 256 --profile -o "$T/$1.csv" \
    <"$T/texts" 2>"$T/$1.err"
}
# launches of bb_matmul_f32 in a profile table
launches() { awk '$1 == "bb_matmul_f32" {n += $3} END {print n + 0}' "$T/$1.err"; }

echo "1..4"
emb none 0; r1=$?
emb dflt ""; r2=$?
emb small 256; r3=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && [ $r3 = 0 ] && [ -s "$T/none.csv" ]
ok $? "embeds with no chunks, default chunks and 256 KiB chunks run (exit $r1 $r2 $r3)"
cmp -s "$T/none.csv" "$T/dflt.csv"
ok $? "default chunks: embeddings byte-identical to one launch per GEMM"
cmp -s "$T/none.csv" "$T/small.csv"
ok $? "256 KiB chunks: embeddings byte-identical to one launch per GEMM"
a=$(launches none) b=$(launches dflt) c=$(launches small)
# the device `auto` selects is a CPU: its "(P:D)" from the last line, then its own type line
"$B" devices >"$T/devs" 2>/dev/null
sel=$(sed -n 's/^auto selects: device [0-9]* (\([0-9:]*\)).*/\1/p' "$T/devs")
if awk -v d="($sel):" '$3 == d {getline; print}' "$T/devs" | grep -q "type CPU"; then
  [ "$a" = 24 ] && [ "$b" -gt "$a" ] && [ "$c" -gt "$b" ]
  ok $? "chunks are launched: GEMM launches $a (none) < $b (default) < $c (256 KiB)"
else
  [ "$a" = 24 ] && [ "$b" = 24 ] && [ "$c" = 24 ]
  ok $? "not a CPU device: no chunks ($a, $b, $c GEMM launches)"
fi
exit 0
