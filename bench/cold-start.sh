#!/bin/sh
# cold-start.sh: biasbench's cold and warm start, as DESIGN.md defines them: the wall time of
# one `biasbench embed` process on one sentence (load, kernel builds, first batch), cold with
# empty PoCL and biasbench kernel caches (POCL_CACHE_DIR and BIASBENCH_CACHE pointed at fresh
# folders), warm right after with the caches that run filled. A benchmark, not a test: it prints
# one line per repetition, the medians and where the cold seconds went (the per-program build
# times biasbench logs with -v -v), and exits non-zero only when biasbench fails. Both wall and
# CPU seconds (user + system) are printed: on a loaded machine wall time is a multiple of the
# CPU time, and the goal (cold <= 1.5 s, warm <= 0.3 s) is a wall time on an idle one.
#
# usage: bench/cold-start.sh [-B BUILD_DIR] [-r REPS] [-m MODEL_DIR] [-- extra embed options]
#   BUILD_DIR  where the biasbench binary is (default: $BUILD_DIR, else .)
#   REPS       repetitions (default 3)
#   MODEL_DIR  default ~/.cache/biasbench/models/all-MiniLM-L6-v2 (a path: BIASBENCH_CACHE is
#              emptied, so a cache name would not resolve)
set -eu
build=${BUILD_DIR:-.}
reps=3
model=${HOME}/.cache/biasbench/models/all-MiniLM-L6-v2
while [ $# -gt 0 ]; do
  case $1 in
    -B) build=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    -m) model=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "cold-start.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
bb=$build/biasbench
[ -x "$bb" ] || { echo "cold-start.sh: $bb not found (build first or pass -B)" >&2; exit 2; }
[ -d "$model" ] || { echo "cold-start.sh: model folder $model not found" >&2; exit 2; }
tmp=$(mktemp -d /tmp/bb-cold-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

now() { date +%s.%N; }
# one process: prints "WALL CPU" seconds (CPU: user + system, children included, which moves
# much less than wall time on a shared machine); its debug log goes to $tmp/log
one() {
  t0=$(now)
  POCL_CACHE_DIR=$tmp/pocl BIASBENCH_CACHE=$tmp/bb /usr/bin/time -f '%U %S' -o "$tmp/cpu" \
    "$bb" -v -v embed --model "$model" "$@" \
    "The quick brown fox jumps over the lazy dog." >/dev/null 2>"$tmp/log" ||
    { cat "$tmp/log" >&2; echo "cold-start.sh: biasbench failed" >&2; exit 1; }
  t1=$(now)
  echo "$t0 $t1 $(tail -n 1 "$tmp/cpu")" | awk '{printf "%.3f %.2f", $2 - $1, $3 + $4}'
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -m), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $bb embed --model $model, one sentence; $reps repetitions"
: >"$tmp/cold"
: >"$tmp/warm"
for r in $(seq "$reps"); do
  rm -rf "$tmp/pocl" "$tmp/bb"
  mkdir -p "$tmp/pocl" "$tmp/bb"
  c=$(one "$@")
  grep -oE 'OpenCL program [^ ]* [a-z ]* in [0-9.]* s( \([0-9.]* s CPU\))?' "$tmp/log" \
    >"$tmp/programs" || true
  w=$(one "$@")
  echo "$c" >>"$tmp/cold"
  echo "$w" >>"$tmp/warm"
  echo "rep $r: cold ${c% *} s (cpu ${c#* } s), warm ${w% *} s (cpu ${w#* } s)"
done
echo "# per-program build times of the last cold run (biasbench -v -v):"
sed 's/^/#   /' "$tmp/programs"
# "... in W s" or "... in W s (C s CPU)" (the CPU figure from builds after this round)
awk '{for (i = 1; i < NF; i++) if ($i == "in") w += $(i + 1); if ($NF == "CPU)") c += substr($(NF - 2), 2)}
     END {printf "#   programs together: %.3f s wall, %.3f s CPU\n", w, c}' "$tmp/programs"
echo "cold start median: $(cut -d' ' -f1 "$tmp/cold" | median) s wall, \
$(cut -d' ' -f2 "$tmp/cold" | median) s cpu; warm start median: $(cut -d' ' -f1 "$tmp/warm" | median) s \
wall, $(cut -d' ' -f2 "$tmp/warm" | median) s cpu"
echo "# load at end $(cut -d' ' -f1-3 /proc/loadavg)"
