#!/bin/sh
# inspect-t.sh: end-to-end TAP test of `biasbench inspect`: text and JSON
# output for the SmolLM2 Q4_1 GGUF and the all-MiniLM-L6-v2 folder (each
# skipped when not installed, or a failure under CI=true), and bad input
# (missing file, truncated or unsupported GGUF, bad options) exiting 2 with
# a message naming the problem.
set -u
B=${BIASBENCH:-./biasbench}
. "${srcdir:-.}/tests/tap.sh" # ok, skip, expect, find_model

S=$(find_model SmolLM2-135M-Instruct SmolLM2-135M-Instruct.Q4_1.gguf)
M=$(find_model all-MiniLM-L6-v2 model.safetensors)
if [ "${CI:-}" = true ] && { [ -z "$S" ] || [ -z "$M" ]; }; then
  echo "Bail out! a test model is missing and CI=true"; exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-inspect-XXXXXX")
trap 'rm -rf "$T"' EXIT

# has FILE DESCRIPTION LINE...: every LINE (a fixed string) is in FILE
has() {
  f=$1 what=$2; shift 2
  for l in "$@"; do
    if ! grep -qF -- "$l" "$f"; then ok 1 "$what"; echo "#   missing: $l"; sed 's/^/#   /' "$f" | head -40; return; fi
  done
  ok 0 "$what"
}

echo "1..16"
"$B" inspect --help >"$T/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^usage: biasbench inspect" "$T/out"; ok $? "inspect --help prints usage and exits 0"

if [ -n "$S" ]; then
  G="$S/SmolLM2-135M-Instruct.Q4_1.gguf"
  "$B" inspect "$G" >"$T/s.txt" 2>"$T/err"; rc=$?
  ok $rc "inspect SmolLM2 Q4_1 exits 0"
  has "$T/s.txt" "SmolLM2 text: format, architecture, dimensions" \
    "format:         gguf v3" "architecture:   llama" "tensors:        272" \
    "context length: 8192" "layers:         30" "hidden size:    576" "ffn size:       1536" \
    "heads:          9" "KV heads:       3" "vocab size:     49152"
  has "$T/s.txt" "SmolLM2 text: tensor types q4_1 210, q8_0 1, f32 61" \
    "  q4_1             210 tensors" "  q8_0               1 tensors       28311552 parameters" \
    "  f32               61 tensors"
  has "$T/s.txt" "SmolLM2 text: tokenizer, special tokens, add BOS, chat template" \
    "tokenizer:      gpt2" "pre-tokenizer:  smollm" 'bos token:      1 "<|im_start|>"' \
    'eos token:      2 "<|im_end|>"' 'unk token:      0 "<|endoftext|>"' "add BOS:        no" \
    "chat template:  yes"
  sum=$(sha256sum "$G" | cut -d' ' -f1)
  grep -q "^sha256: *$sum  $G\$" "$T/s.txt"; ok $? "SmolLM2 text: the file's sha256 (as sha256sum)"
  "$B" inspect --format json "$S" >"$T/s.json" 2>"$T/err"; rc=$?
  ok $rc "inspect --format json on the SmolLM2 cache folder exits 0"
  has "$T/s.json" "SmolLM2 json: fields" '"format": "gguf"' '"gguf_version": 3' \
    '"architecture": "llama"' '"layers": 30' '"kv_heads": 3' '"add_bos": false' \
    '"chat_template": true' '"parameters": 134515008' "\"sha256\": \"$sum\""
else
  for i in 1 2 3 4 5 6 7; do skip "SmolLM2-135M-Instruct not found (scripts/setup.sh --smollm2)"; done
fi

if [ -n "$M" ]; then
  "$B" inspect "$M" >"$T/m.txt" 2>"$T/err"; rc=$?
  ok $rc "inspect all-MiniLM-L6-v2 exits 0"
  has "$T/m.txt" "MiniLM text: safetensors, bert, WordPiece, special tokens, no chat template" \
    "format:         safetensors" "architecture:   bert" "layers:         6" \
    "hidden size:    384" "vocab size:     30522" "tokenizer:      WordPiece" \
    'unk token:      100 "[UNK]"' 'cls token:      101 "[CLS]"' "chat template:  no" \
    "  other              1 tensors            512 parameters"
  "$B" inspect -f json "$M" >"$T/m.json" 2>"$T/err"
  has "$T/m.json" "MiniLM json: fields" '"format": "safetensors"' '"parameters": 22713216' \
    '"add_bos": null'
else
  for i in 1 2 3; do skip "all-MiniLM-L6-v2 not found (scripts/setup.sh)"; done
fi

expect 2 "$T/nope.gguf: no such file or folder" "missing file" -- inspect "$T/nope.gguf"
printf 'GGUF\003\000\000\000\001\000' >"$T/trunc.gguf"
expect 2 "trunc.gguf: the tensor and metadata counts are past the end of the file" \
  "truncated GGUF" -- inspect "$T/trunc.gguf"
# one iq2_xxs tensor 'w' of 256 elements: header (24) + info (33), pad to 64, 66 data bytes
{ printf 'GGUF\003\000\000\000\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
  printf '\001\000\000\000\000\000\000\000w\001\000\000\000\000\001\000\000\000\000\000\000'
  printf '\020\000\000\000\000\000\000\000\000\000\000\000'
  head -c $((7 + 66)) /dev/zero; } >"$T/iq.gguf"
expect 2 "iq.gguf: tensor 'w' has type iq2_xxs, which biasbench does not support" \
  "unsupported tensor type" -- inspect "$T/iq.gguf"
expect 2 "expected one MODEL" "no MODEL" -- inspect
expect 2 "--format: expected 'text' or 'json'" "bad --format" -- inspect --format xml x
