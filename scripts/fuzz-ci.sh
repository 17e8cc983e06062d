#!/bin/sh
# fuzz-ci.sh: build the libFuzzer harnesses (configure --enable-fuzzing CC=clang,
# out of tree) and run each for a short fixed time on the committed corpus
# (fuzz/corpus/NAME) with its dictionary (fuzz/dict). Exits 1 when any harness
# finds a crash, leak, sanitizer report, timeout or out-of-memory (the input is
# kept under the output folder and its path printed), 2 when the build fails.
# docs/fuzzing.md describes the harnesses and how to add a finding as a
# regression case. .ci/run calls it with no arguments.
#
# Environment:
#   FUZZ_SECONDS  seconds per harness (default 30)
#   FUZZ_BUILD    build folder (default _build-fuzz under the source root)
#   FUZZ_TARGETS  harness names to run (default: every one built)
#   FUZZ_OUT      output folder: working corpora, findings, logs
#                 (default fuzz/runs/<UTC time>; never the committed corpus)
#   FUZZ_SEEDS    1: also start from the seeds fuzz/make-seeds.py writes
#   FUZZ_MERGE    1: afterwards merge what each run found back into
#                 fuzz/corpus/NAME (-merge=1: only inputs that add coverage)
#   FUZZ_JOBS     harnesses run at once (default 1)
#   FUZZ_SEED     libFuzzer -seed (default: random); .ci/run fixes it so that a
#                 CI verdict does not depend on the draw
#   CC            compiler for the fuzz build (default clang)
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD:-$src/_build-fuzz}
out=${FUZZ_OUT:-$src/fuzz/runs/$(date -u +%Y%m%dT%H%M%SZ)}
jobs=${FUZZ_JOBS:-1}

case $secs in ''|*[!0-9]*) echo "fuzz-ci.sh: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2;; esac

# ---- build ----
if [ ! -f "$build/Makefile" ] && [ -f "$src/config.status" ]; then
    echo "fuzz-ci.sh: $src is configured in-tree, which blocks the out-of-tree fuzz build:" \
        "run 'make distclean' there first (as .ci/run does before its sanitizer pass)" >&2
    exit 2
fi
if [ ! -f "$build/Makefile" ]; then
    if [ ! -x "$src/configure" ]; then
        (cd "$src" && autoreconf -fi) || { echo "fuzz-ci.sh: autoreconf failed" >&2; exit 2; }
    fi
    mkdir -p "$build"
    (cd "$build" && "$src/configure" -q --enable-fuzzing CC="${CC:-clang}") ||
        { echo "fuzz-ci.sh: configure --enable-fuzzing failed (needs clang and libFuzzer)" >&2; exit 2; }
fi
make -s -j"$(nproc 2>/dev/null || echo 2)" -C "$build" fuzz >"$build/fuzz-build.log" 2>&1 ||
    { tail -40 "$build/fuzz-build.log" >&2; echo "fuzz-ci.sh: make fuzz failed" >&2; exit 2; }

dict_of() {
    case $1 in
        suite) echo yaml;; dataset) echo csv;; safetensors) echo safetensors;; gguf) echo gguf;;
        tokenizer|bpe) echo tokenizer;; wordpiece) echo text;; config) echo json;;
        rundata) echo rundata;; *) echo "";;
    esac
}

targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
    for f in "$build"/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        n=${f##*/fuzz_}
        targets="$targets $n"
    done
fi
[ -n "$targets" ] || { echo "fuzz-ci.sh: no harness built in $build/fuzz" >&2; exit 2; }

mkdir -p "$out"
echo "fuzz-ci.sh: $secs s per harness:$targets (output: $out)"

# run_one NAME: fuzz one harness; writes $out/NAME.log and $out/NAME.status
run_one() {
    n=$1
    bin=$build/fuzz/fuzz_$n
    work=$out/corpus/$n
    mkdir -p "$work" "$out/findings"
    [ -d "$src/fuzz/corpus/$n" ] && cp -R "$src/fuzz/corpus/$n/." "$work/" 2>/dev/null || true
    extra=
    if [ "${FUZZ_SEEDS:-0}" = 1 ] && [ -d "$src/fuzz/seeds/$n" ]; then extra=$src/fuzz/seeds/$n; fi
    d=$(dict_of "$n")
    dict=
    [ -n "$d" ] && [ -f "$src/fuzz/dict/$d.dict" ] && dict="-dict=$src/fuzz/dict/$d.dict"
    seed=
    [ -n "${FUZZ_SEED:-}" ] && seed="-seed=$FUZZ_SEED"
    rc=0
    mkdir -p "$out/tmp"
    # the harnesses' sandbox folders go under $out/tmp (a crash skips their cleanup)
    TMPDIR=$out/tmp \
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
        -print_final_stats=1 -artifact_prefix="$out/findings/$n-" $dict $seed \
        "$work" $extra >"$out/$n.log" 2>&1 || rc=$?
    echo $rc >"$out/$n.status"
}

running=0
for n in $targets; do
    if [ ! -x "$build/fuzz/fuzz_$n" ]; then echo "fuzz-ci.sh: no harness fuzz_$n" >&2; exit 2; fi
    run_one "$n" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait; running=0; fi
done
wait

# ---- report ----
fail=0
printf '%-12s %10s %8s %8s %8s  %s\n' harness execs cov ft corpus result
for n in $targets; do
    log=$out/$n.log
    rc=$(cat "$out/$n.status" 2>/dev/null || echo 99)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
    if [ "$rc" = 0 ]; then
        res=ok
    else
        res="FINDING (exit $rc): $(grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*deadly signal|.*Timeout|.*out-of-memory)' "$log" | head -1)"
        fail=1
    fi
    printf '%-12s %10s %8s %8s %8s  %s\n' "$n" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$res"
    if [ "$rc" != 0 ]; then
        for a in "$out/findings/$n-"*; do [ -f "$a" ] && echo "  input: $a"; done
    fi
done

if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    for n in $targets; do
        [ "$(cat "$out/$n.status")" = 0 ] || continue
        mkdir -p "$src/fuzz/corpus/$n"
        "$build/fuzz/fuzz_$n" -merge=1 -timeout=25 "$src/fuzz/corpus/$n" "$out/corpus/$n" \
            >"$out/$n.merge.log" 2>&1 || { echo "fuzz-ci.sh: merge of $n failed (see $out/$n.merge.log)" >&2; fail=1; }
    done
fi

if [ "$fail" != 0 ]; then
    echo "fuzz-ci.sh: findings above; logs in $out (docs/fuzzing.md: fix, then add the input to tests/data/fuzz-regressions/NAME/)" >&2
    exit 1
fi
echo "fuzz-ci.sh: no finding"
