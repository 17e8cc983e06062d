#!/bin/sh
# ops-bench.sh: run the op benchmark (bench/ops-bench: the OpenCL GEMM beside
# OpenBLAS on MiniLM/MPNet shapes) with both libraries on the same number of
# threads, pinned PoCL threads, and OpenBLAS's AVX-512 kernel where the CPU
# has AVX-512. A benchmark, not a test: it prints a table on stdout and exits
# non-zero only when a result is wrong or the device fails.
#
# usage: bench/ops-bench.sh [-B BUILD_DIR] [-t THREADS] [ops-bench options]
#   BUILD_DIR  a configured build directory (default: $BUILD_DIR, else .)
#   THREADS    PoCL and OpenBLAS threads (default: nproc)
#   options    passed on, e.g. -m 1024,4096 -s f32,f16 -n 5 -r 5 -f minilm
set -eu
build=${BUILD_DIR:-.}
threads=$(nproc 2>/dev/null || echo 1)
while [ $# -gt 0 ]; do
  case $1 in
    -B) build=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ ! -f "$build/Makefile" ]; then
  echo "ops-bench.sh: $build/Makefile not found: pass a configured build directory with -B" >&2
  exit 2
fi
if ! grep -q '^bench_ops_bench_SOURCES' "$build/Makefile"; then
  echo "ops-bench.sh: $build was configured without OpenBLAS (install libopenblas-dev and re-run configure)" >&2
  exit 2
fi
make -s -C "$build" bench/ops-bench >&2

export POCL_AFFINITY=1 POCL_MAX_PTHREAD_COUNT="$threads" OPENBLAS_NUM_THREADS="$threads"
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=SkylakeX
else
  # forcing SkylakeX without AVX-512 dies with SIGILL: keep OpenBLAS's own choice
  echo "# this CPU has no AVX-512: OpenBLAS keeps its auto-detected kernel" >&2
fi
echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -n), threads $threads, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}"
echo "# uptime:$(uptime)"
exec "$build/bench/ops-bench" "$@"
