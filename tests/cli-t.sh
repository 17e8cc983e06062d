#!/bin/sh
# cli-t.sh: end-to-end TAP test of the biasbench command line: --help and
# --version, tokenize/embed output, and every bad-input case of the foundation
# issue through the real binary, asserting the exit code and the message.
set -u
B=${BIASBENCH:-./biasbench}
. "${srcdir:-.}/tests/tap.sh"

find_minilm
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT

# a model folder with the real config and tokenizer files and no weights
mkmodel() {
  mkdir -p "$T/$1"
  for f in config.json tokenizer.json tokenizer_config.json vocab.txt modules.json \
           sentence_bert_config.json special_tokens_map.json; do cp "$M/$f" "$T/$1/"; done
  cp -r "$M/1_Pooling" "$T/$1/"
}
# write a safetensors file: 8-byte little-endian header length, header, N zero bytes
st() {
  len=$(printf %s "$2" | wc -c)
  printf "$(printf '\\%03o\\%03o' $((len % 256)) $((len / 256)))\\000\\000\\000\\000\\000\\000%s" "$2" >"$T/$1/model.safetensors"
  head -c "${3:-0}" /dev/zero >>"$T/$1/model.safetensors"
}

echo "1..39"
for c in "" devices tokenize embed fetch; do
  "$B" $c --help >"$T/out" 2>&1; rc=$?
  [ $rc = 0 ] && grep -q "^usage: biasbench" "$T/out"; ok $? "biasbench${c:+ $c} --help prints usage and exits 0"
done
"$B" --version >"$T/out"; grep -q "^biasbench [0-9]" "$T/out"; ok $? "--version"
expect 2 "is not a biasbench command" "unknown command" -- frobnicate
expect 2 "--batch: expected an integer" "bad --batch value" -- embed --batch zero x
expect 2 "--backend: expected 'opencl' or 'ref'" "unknown backend" -- embed --backend cuda x

"$B" tokenize --model "$M" "Hello, world!" >"$T/out" 2>&1
grep -q "ids:    101 7592 1010 2088 999 102" "$T/out"; ok $? "tokenize prints the ids of 'Hello, world!'"
"$B" embed --model "$M" --backend ref "A man is playing a guitar." >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && [ "$(head -1 "$T/out" | tr ',' '\n' | wc -l)" = 386 ] && [ "$(wc -l <"$T/out")" = 2 ]
ok $? "embed writes a header and one row of 384 values (ref backend)"
printf 'text,label\n"A dog runs.",1\n"Two, cats",0\n' >"$T/in.csv"
"$B" embed --model "$M" --input "$T/in.csv" --column text --format json -o "$T/emb.json" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q '"text": "Two, cats"' "$T/emb.json" && ! ls "$T"/emb.json.tmp* >/dev/null 2>&1
ok $? "embed reads a CSV column and writes JSON atomically"

mkfifo "$T/fifo"; cat "$T/fifo" >"$T/fifo.out" & reader=$!
"$B" embed --model "$M" -o "$T/fifo" "A dog runs." 2>"$T/err"; rc=$?
i=0; while kill -0 $reader 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill $reader 2>/dev/null; wait $reader 2>/dev/null  # a reader never fed would block forever
[ $rc = 0 ] && [ -p "$T/fifo" ]; ok $? "-o onto a FIFO writes in place and leaves it a FIFO (as for /dev/null)"
[ "$(wc -l <"$T/fifo.out")" = 2 ]; ok $? "the FIFO reader got the header and one row"

expect 2 "not found" "missing model folder" -- embed --model "$T/nope" x
mkmodel nost;  expect 2 "model.safetensors: not found" "missing model.safetensors" -- embed --model "$T/nost" x
mkmodel trunc; printf abc >"$T/trunc/model.safetensors"
expect 2 "too short for the 8-byte header length" "truncated model.safetensors" -- embed --model "$T/trunc" x
mkmodel hlen;  printf '\377\000\000\000\000\000\000\000{}' >"$T/hlen/model.safetensors"
expect 2 "header length 255 exceeds the file size" "header length past end of file" -- embed --model "$T/hlen" x
mkmodel nojs;  st nojs 'hello'
expect 2 "header: not valid JSON" "header not JSON" -- embed --model "$T/nojs" x
mkmodel dt;    st dt '{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}' 4
expect 2 "tensor 'a': unknown dtype 'Q7'" "unknown dtype" -- embed --model "$T/dt" x
mkmodel oob;   st oob '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}' 8
expect 2 "data_offsets [0,16] exceed the data section (8 bytes)" "span out of bounds" -- embed --model "$T/oob" x
mkmodel ovl;   st ovl '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}' 12
expect 2 "overlap tensor 'a'" "overlapping spans" -- embed --model "$T/ovl" x
mkmodel miss;  st miss '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' 8
expect 2 "tensor 'embeddings.word_embeddings.weight' is missing" "tensor missing" -- embed --model "$T/miss" x
mkmodel shp;   ln -s "$M/model.safetensors" "$T/shp/model.safetensors"
sed 's/"intermediate_size": 1536/"intermediate_size": 1024/' "$M/config.json" >"$T/shp/config.json"
expect 2 "config.json says intermediate_size 1024" "shape disagreeing with config.json" -- embed --model "$T/shp" x
mkmodel tok;   ln -s "$M/model.safetensors" "$T/tok/model.safetensors"; head -c 500 "$M/tokenizer.json" >"$T/tok/tokenizer.json"
expect 2 "tokenizer.json:1:500: not valid JSON" "broken tokenizer file" -- embed --model "$T/tok" x
expect 2 "tokenizer.json:1:500: not valid JSON" "broken tokenizer file (tokenize)" -- tokenize --model "$T/tok" x

# OpenCL selection and device failures
OCL_ICD_VENDORS=$T/empty-vendors expect 2 "no OpenCL platform found" "no OpenCL platform when OpenCL was asked for" -- embed --model "$M" x
OCL_ICD_VENDORS=$T/empty-vendors expect 2 "no OpenCL platform found" "devices without a platform" -- devices
expect 2 "matches no device" "a device name that matches nothing" -- embed --model "$M" --device no-such-device x
mkdir -p "$T/badk"; cp "${srcdir:-.}"/kernels/*.cl "$T/badk/"; echo "this is not OpenCL" >>"$T/badk/pool.cl"
BIASBENCH_KERNEL_DIR=$T/badk BIASBENCH_CACHE=$T/cache expect 3 "build log" "a kernel that fails to build exits 3 with the build log" -- embed --model "$M" x
expect 2 "no input texts" "empty stdin" -- embed --model "$M" </dev/null
printf 'a,b\n"unterminated\n' >"$T/bad.csv"
expect 2 "$T/bad.csv" "malformed input CSV names the file" -- embed --model "$M" --input "$T/bad.csv" --column a
expect 2 "expected one model id" "fetch without an id" -- fetch
BIASBENCH_CONNECT_TIMEOUT=3 HF_ENDPOINT=http://127.0.0.1:9 expect 2 "cannot reach" "fetch where the hub cannot be reached" -- fetch --dest "$T/fetched" org/model
[ ! -e "$T/fetched" ]; ok $? "a failed fetch leaves no model folder"
printf 'word,list\nrose,flowers\n' >"$T/src.csv"
sum=$(sha256sum "$T/src.csv" | cut -c1-64)
"$B" fetch --dest "$T/got/src.csv" --sha256 "$sum" "file://$T/src.csv" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && cmp -s "$T/src.csv" "$T/got/src.csv"; ok $? "fetch URL --sha256 downloads one file"
bad=$(printf '%064d' 0)
echo old >"$T/kept.csv"
expect 2 "sha256 mismatch" "fetch URL with the wrong sha256" -- fetch --dest "$T/kept.csv" --sha256 "$bad" "file://$T/src.csv"
[ "$(cat "$T/kept.csv")" = old ] && ! ls "$T"/kept.csv.part* >/dev/null 2>&1
ok $? "a download that fails its checksum is discarded and FILE left as it was"
expect 2 "a URL needs --dest FILE" "fetch URL without --dest" -- fetch "file://$T/src.csv"
exit $((fails > 0))
