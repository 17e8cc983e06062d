#!/bin/sh
# cache-t.sh: the result cache (issue 11, docs/caching.md) through the real
# binary on tests/data/resume/resume.yaml: a run with the cache gives the same
# results.csv and per-item files, byte for byte, as one without (cold, warm,
# after corruption, under eviction); a second run computes 0 texts (manifest
# result_cache and --verbose); a corrupt or truncated entry is detected,
# counted and recomputed; hits refresh an entry's age and eviction removes
# the least recently used first, to the bound; --no-cache writes nothing;
# `biasbench cache stats|clear|trim`; bad sizes are refused (exit 2); kernels
# from BIASBENCH_KERNEL_DIR keep the cache on, and an edited one misses. The same
# equality for a decoder's per-token log-probs when SmolLM2 is at hand.
set -u
B=${BIASBENCH:-./biasbench}
case $B in /*) ;; *) B=$PWD/$B ;; esac
S=$(cd "${srcdir:-.}" && pwd)
. "$S/tests/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-cache-XXXXXX")
trap 'rm -rf "$T"' EXIT
export BIASBENCH_COLD_START=off
unset BIASBENCH_CACHE_MAX BIASBENCH_TEST_STOP_AFTER_STORES

find_minilm
mkdir -p "$T/models" "$T/fx"
ln -s "$M" "$T/models/all-MiniLM-L6-v2"
L=SmolLM2-135M-Instruct
for g in "${BIASBENCH_MODELS:-/nonexistent}/$L" "$cache/models/$L"; do
  [ -d "$g" ] && [ ! -e "$T/models/$L" ] && ln -s "$g" "$T/models/$L"
done
BIASBENCH_MODELS=$T/models; export BIASBENCH_MODELS
cp "$S/tests/data/resume/resume.yaml" "$S/tests/data/resume/lm.yaml" "$S/tests/data/run/pairs.csv" \
  "$S/tests/data/run/reviews.tsv" "$T/fx/"
cp "$S/tests/data/lm/pairs.csv" "$T/fx/lm-pairs.csv"
RC=$T/rc
export BIASBENCH_RESULT_CACHE=$RC

# manifest value of a key that occurs once ("computed", "hits", ...)
mval() { sed -n "s/^ *\"$2\": \([^,]*\),*$/\1/p" "$1/manifest.json" | head -1; }
# run NAME [options]: the fixture suite into $T/NAME (exit status in $rc)
run() {
  name=$1; shift
  "$B" run "$T/fx/resume.yaml" --out "$T/$name" --no-report "$@" >"$T/$name.out" 2>"$T/$name.err"
  rc=$?
}
# same BASE NEW: results.csv and every per-item file byte-identical
same() {
  cmp -s "$1/results.csv" "$2/results.csv" || return 1
  for f in "$1"/items/*.csv; do cmp -s "$f" "$2/items/${f##*/}" || return 1; done
  [ "$(ls "$1/items" | wc -l)" = "$(ls "$2/items" | wc -l)" ]
}
entries() { find "$RC" -type f ! -name '*.tmp.*' | wc -l | tr -d ' '; }
bytes() { find "$RC" -type f ! -name '*.tmp.*' -exec cat {} + | wc -c | tr -d ' '; }

run base --no-cache
ok $rc "a run without the cache (--no-cache) finishes"
[ "$(mval "$T/base" enabled)" = false ] && [ ! -e "$RC" ]
ok $? "--no-cache: manifest result_cache.enabled is false and no cache folder is made"

run cold
ok $rc "a run with an empty cache finishes"
[ "$(mval "$T/cold" computed)" = 44 ] && [ "$(mval "$T/cold" hits)" = 0 ] &&
  [ "$(mval "$T/cold" stored)" = 44 ] && [ "$(entries)" = 44 ]
ok $? "cold: 44 texts computed, 0 read back, 44 entries stored \
(found $(mval "$T/cold" computed), $(mval "$T/cold" hits), $(entries))"
same "$T/base" "$T/cold"
ok $? "cold: results.csv and per-item files byte-identical to the run without the cache"

touch -d '2020-01-01 00:00:00' $(find "$RC" -type f)
touch "$T/marker"
run warm -v
ok $rc "a second run finishes"
[ "$(mval "$T/warm" computed)" = 0 ] && [ "$(mval "$T/warm" hits)" = 44 ] &&
  [ "$(mval "$T/warm" stored)" = 0 ]
ok $? "second run computes 0 texts: all 44 read back (manifest result_cache)"
grep -q "0 text(s) computed, 44 read back" "$T/warm.err"
ok $? "--verbose says: 0 text(s) computed, 44 read back"
same "$T/base" "$T/warm"
ok $? "warm: results byte-identical to the run without the cache (cached values: computed bits)"
[ "$(find "$RC" -type f -newer "$T/marker" | wc -l | tr -d ' ')" = 44 ]
ok $? "every hit refreshed its entry's mtime (the LRU clock)"

# corrupt one entry (a flipped payload byte) and truncate another
set -- $(find "$RC" -type f | sort)
printf 'Z' | dd of="$1" bs=1 seek=100 conv=notrunc 2>/dev/null
head -c 30 "$2" >"$T/short" && cat "$T/short" >"$2"
run fixed
[ "$rc" = 0 ] && [ "$(mval "$T/fixed" corrupt)" = 2 ] && [ "$(mval "$T/fixed" computed)" = 2 ] &&
  [ "$(mval "$T/fixed" hits)" = 42 ] && [ "$(mval "$T/fixed" stored)" = 2 ]
ok $? "a flipped byte and a truncated entry: both detected (corrupt 2), recomputed and stored again"
grep -q "truncated or corrupt" "$T/fixed.err"
ok $? "the corrupt entry is named in a warning"
same "$T/base" "$T/fixed"
ok $? "after corruption: results still byte-identical to the run without the cache"
run again
[ "$(mval "$T/again" corrupt)" = 0 ] && [ "$(mval "$T/again" computed)" = 0 ]
ok $? "the rewritten entries read back clean next time"

"$B" cache stats >"$T/stats" 2>&1
grep -q "entries: *44$" "$T/stats" && grep -q "bytes: *$(bytes) " "$T/stats" &&
  grep -qF "$RC" "$T/stats"
ok $? "cache stats: the folder, 44 entries and their bytes"

# LRU: every entry old but two, trimmed to what two hold
set -- $(find "$RC" -type f | sort)
touch -d '2020-01-01 00:00:00' "$@"
touch "$3" "$7"
two=$(($(wc -c <"$3") + $(wc -c <"$7")))
"$B" cache trim --max "$two" >"$T/trim" 2>&1
[ "$(entries)" = 2 ] && [ -f "$3" ] && [ -f "$7" ]
ok $? "cache trim --max (two entries' bytes): the two most recently used are the ones kept"

rm -rf "$RC"
export BIASBENCH_CACHE_MAX=20K
run bounded
unset BIASBENCH_CACHE_MAX
b=$(bytes)
[ "$rc" = 0 ] && [ "$b" -le 20480 ] && [ "$(mval "$T/bounded" evicted)" -gt 0 ]
ok $? "BIASBENCH_CACHE_MAX=20K: the cache ends at $b bytes (<= 20480), \
$(mval "$T/bounded" evicted) evicted"
same "$T/base" "$T/bounded"
ok $? "under eviction: results byte-identical"
rm -rf "$RC"
run sized --cache-size 10K
[ "$rc" = 0 ] && [ "$(bytes)" -le 10240 ] && [ "$(mval "$T/sized" max_bytes)" = 10240 ]
ok $? "--cache-size 10K: bound 10240 in the manifest, the cache ends within it"

rm -rf "$RC"
sed 's/^  batch_size: 4$/  batch_size: 4\n  cache_size: 12K/' "$T/fx/resume.yaml" \
  >"$T/fx/sized.yaml"
"$B" run "$T/fx/sized.yaml" --out "$T/suitesized" --no-report >/dev/null 2>"$T/suitesized.err"
[ $? = 0 ] && [ "$(bytes)" -le 12288 ] && [ "$(mval "$T/suitesized" max_bytes)" = 12288 ]
ok $? "suite defaults.cache_size 12K: bound 12288 in the manifest, the cache ends within it"
sed 's/12K/12Z/' "$T/fx/sized.yaml" >"$T/fx/badsized.yaml"
"$B" run "$T/fx/badsized.yaml" --out "$T/badsized" >/dev/null 2>"$T/badsized.err"
[ $? = 2 ] && grep -q "badsized.yaml:10:15: defaults.cache_size: expected a size" "$T/badsized.err"
ok $? "defaults.cache_size: 12Z: exit 2 naming file, line, column and key"

n0=$(entries)
run off --no-cache
[ "$rc" = 0 ] && [ "$(entries)" = "$n0" ]
ok $? "--no-cache neither reads nor writes: the cache is untouched"
run badsize --cache-size 12Q
[ "$rc" = 2 ] && grep -q -- "--cache-size: expected a size" "$T/badsize.err"
ok $? "--cache-size 12Q: exit 2 naming the option"
run zerosize --cache-size 0
[ "$rc" = 2 ] && grep -q -- "--cache-size: expected a size of at least 1 byte" "$T/zerosize.err"
ok $? "--cache-size 0: exit 2 (--no-cache is the way to turn it off)"
export BIASBENCH_CACHE_MAX=lots
run badenv
unset BIASBENCH_CACHE_MAX
[ "$rc" = 2 ] && grep -q "BIASBENCH_CACHE_MAX: expected a size" "$T/badenv.err"
ok $? "BIASBENCH_CACHE_MAX=lots: exit 2 naming the variable"

"$B" cache clear >"$T/clear" 2>&1 && [ "$(entries)" = 0 ]
ok $? "cache clear removes every entry"
"$B" cache frob >/dev/null 2>"$T/frob"; rc=$?
[ "$rc" = 2 ] && grep -q "expected 'stats', 'clear', 'trim' or 'kernels DIR'" "$T/frob"
ok $? "cache frob: exit 2 with the subcommands"

# kernels read from a folder (BIASBENCH_KERNEL_DIR): the cache stays on, keyed by their text
run kembedded
mkdir -p "$T/k" && cp "$S"/kernels/*.cl "$T/k/"
BIASBENCH_KERNEL_DIR=$T/k; export BIASBENCH_KERNEL_DIR
run kdir1
run kdir2
[ "$(mval "$T/kdir1" enabled)" = true ] && [ "$(mval "$T/kdir1" computed)" = 44 ] &&
  [ "$(mval "$T/kdir2" computed)" = 0 ] && [ "$(mval "$T/kdir2" hits)" = 44 ]
ok $? "BIASBENCH_KERNEL_DIR: the cache stays on; kernels from a folder miss the embedded kernels' \
entries (computed $(mval "$T/kdir1" computed)), the same folder again reads all 44 back \
(hits $(mval "$T/kdir2" hits))"
printf '\n/* edited */\n' >>"$T/k/pool.cl"
run kdir3
[ "$rc" = 0 ] && [ "$(mval "$T/kdir3" computed)" = 44 ] && [ "$(mval "$T/kdir3" hits)" = 0 ]
ok $? "an edited kernel in BIASBENCH_KERNEL_DIR: all 44 texts miss and are computed again \
(computed $(mval "$T/kdir3" computed), hits $(mval "$T/kdir3" hits))"
same "$T/base" "$T/kdir2" && same "$T/base" "$T/kdir3"
ok $? "kernels from a folder, read back and recomputed: results byte-identical"
unset BIASBENCH_KERNEL_DIR

# decoders: per-token log-probs through the cache
if [ -e "$T/models/SmolLM2-135M-Instruct" ]; then
  lm() {
    name=$1; shift
    "$B" run "$T/fx/lm.yaml" --out "$T/$name" --no-report "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
  }
  lm lmbase --no-cache && lm lmcold && lm lmwarm
  ok $? "SmolLM2 pairs and perplexity: without, cold and warm cache runs finish"
  c=$(mval "$T/lmcold" computed)
  [ "$c" -gt 0 ] && [ "$(mval "$T/lmwarm" computed)" = 0 ] && [ "$(mval "$T/lmwarm" hits)" = "$c" ]
  ok $? "decoder: the second run scores 0 sequences ($c read back)"
  same "$T/lmbase" "$T/lmcold" && same "$T/lmbase" "$T/lmwarm"
  ok $? "decoder: results byte-identical without, cold and warm"
else
  skip "SmolLM2-135M-Instruct not found: the decoder cache checks"
  skip "SmolLM2-135M-Instruct not found"
  skip "SmolLM2-135M-Instruct not found"
fi
echo "1..$n"
[ "$fails" = 0 ]
