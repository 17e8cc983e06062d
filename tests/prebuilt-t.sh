#!/bin/sh
# prebuilt-t.sh: the prebuilt kernel programs (`biasbench cache kernels DIR`, what `make`
# stores in kernels-prebuilt/; src/backend/opencl.c): they are stored, a first run with empty
# kernel caches loads them instead of compiling, its embeddings are byte-identical to a build
# from source, and an unusable entry or changed kernel source falls back to building.
set -u
B=${BIASBENCH:-./biasbench}
. "${srcdir:-.}/tests/tap.sh"

find_minilm
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-prebuilt-XXXXXX")
trap 'rm -rf "$T"' EXIT
unset BIASBENCH_KERNEL_BINARIES BIASBENCH_KERNEL_DIR

# embed NAME PREBUILT [env...]: embed three texts with empty kernel caches (PoCL's and
# biasbench's) and BIASBENCH_PREBUILT_KERNELS=PREBUILT; vectors to $T/NAME.out, log $T/NAME.log
embed() {
  name=$1 pre=$2; shift 2
  rm -rf "$T/pocl" "$T/bbc" && mkdir -p "$T/pocl" "$T/bbc"
  env POCL_CACHE_DIR="$T/pocl" BIASBENCH_CACHE="$T/bbc" BIASBENCH_PREBUILT_KERNELS="$pre" "$@" \
    "$B" -v -v embed --model "$M" --batch 2 "The quick brown fox jumps over the lazy dog." \
    "A nurse and a doctor walked in." "x" >"$T/$name.out" 2>"$T/$name.log"
}

echo "1..9"
"$B" cache kernels "$T/pre" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q "^kernel programs: 2 stored in $T/pre" "$T/out" &&
  [ "$(ls "$T/pre" | grep -c '\.clbin$')" = 2 ]
ok $? "cache kernels DIR stores the encoder's and the decoder's programs (exit $rc)"

embed source off; rc=$?
[ $rc = 0 ] && grep -q "OpenCL program encoder built in" "$T/source.log"
ok $? "BIASBENCH_PREBUILT_KERNELS=off: the encoder program is built from source (exit $rc)"

embed pre "$T/pre"; rc=$?
[ $rc = 0 ] && grep -q "OpenCL program encoder loaded from the prebuilt kernels" "$T/pre.log"
ok $? "with the prebuilt folder and empty caches the encoder program is loaded, not built"

[ -s "$T/source.out" ] && cmp -s "$T/source.out" "$T/pre.out"
ok $? "embeddings from the prebuilt program are byte-identical to those built from source"

# an entry whose bytes no longer match its checksum: ignored, built from source
cp -r "$T/pre" "$T/bad"
for f in "$T"/bad/*.clbin; do printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null; done
embed bad "$T/bad"; rc=$?
[ $rc = 0 ] && grep -q "OpenCL program encoder built in" "$T/bad.log" &&
  cmp -s "$T/source.out" "$T/bad.out"
ok $? "a corrupt prebuilt entry is skipped: built from source, same embeddings (exit $rc)"

# changed kernel source: the prebuilt entries are keyed by it and miss
cp -r "${srcdir:-.}/kernels" "$T/kdir" && echo "/* changed */" >>"$T/kdir/pool.cl"
embed changed "$T/pre" BIASBENCH_KERNEL_DIR="$T/kdir"; rc=$?
[ $rc = 0 ] && grep -q "OpenCL program encoder built in" "$T/changed.log" &&
  ! grep -q "prebuilt" "$T/changed.log"
ok $? "changed kernel source misses the prebuilt entries and builds (exit $rc)"

embed missing "$T/nonexistent"; rc=$?
[ $rc = 0 ] && grep -q "OpenCL program encoder built in" "$T/missing.log"
ok $? "a prebuilt folder that does not exist: built from source (exit $rc)"

expect 2 "/proc/nonexistent" "cache kernels into a folder that cannot be made fails naming it" \
  -- cache kernels /proc/nonexistent/kernels

# what `make` left beside the binary is what a plain run finds
bindir=$(dirname "$B")
if ls "$bindir/kernels-prebuilt/"*.clbin >/dev/null 2>&1; then
  rm -rf "$T/pocl" "$T/bbc" && mkdir -p "$T/pocl" "$T/bbc"
  env -u BIASBENCH_PREBUILT_KERNELS POCL_CACHE_DIR="$T/pocl" BIASBENCH_CACHE="$T/bbc" \
    "$B" -v -v embed --model "$M" "x" >/dev/null 2>"$T/plain.log"
  grep -q "OpenCL program encoder loaded from the prebuilt kernels" "$T/plain.log"
  ok $? "a plain run finds $bindir/kernels-prebuilt/ (what make stored)"
else
  skip "$bindir/kernels-prebuilt/ holds no programs (make found no OpenCL device?)"
fi
exit 0
