#!/usr/bin/env bash
# test.sh: the README's test command. Runs scripts/setup.sh --test-models
# (packages, in-tree build, every model the tests need), then `make check` in
# the source tree, and ends with one line "N passed, N failed" from the TAP
# totals (passed = PASS + XFAIL, failed = FAIL + XPASS + ERROR), with
# ", N skipped" added when any test point skipped (never under CI, where a
# skip is a failure).
# Extra arguments go to make, e.g. scripts/test.sh TESTS='tests/sha256.t'.
# CI=true in the environment reaches the tests: a missing model or dataset then
# fails instead of skipping. Exit status: 0 when nothing failed, else 1.
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRC" || exit 1

if ! ./scripts/setup.sh --test-models; then
    echo "test: scripts/setup.sh --test-models failed; no test ran" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

jobs=$(nproc 2>/dev/null || echo 2)
rm -f test-suite.log
echo "test: make -j$jobs check${CI:+ (CI=$CI)}"
make -j"$jobs" check "$@"
rc=$?

read -r passed _ failed _ skipped _ < <(./scripts/tap-totals.sh test-suite.log)
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "test: make check exited with status $rc" >&2
    failed=1
fi
echo "test: $((passed + failed + skipped)) checks in one make check"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
