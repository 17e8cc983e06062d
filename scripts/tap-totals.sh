#!/usr/bin/env bash
# tap-totals.sh: read the TAP totals of one `make check` run from automake's
# test-suite.log and print "PASSED FAILED" (passed = PASS + XFAIL, failed =
# FAIL + XPASS + ERROR). A missing log (the build failed before any test ran)
# prints "0 1". usage: scripts/tap-totals.sh BUILD_DIR/test-suite.log
set -euo pipefail
log=${1:?usage: tap-totals.sh test-suite.log}
if [ ! -f "$log" ]; then
    echo "0 1"
    exit 0
fi
# The totals are the first "# KEY: N" lines; failing tests' logs follow them.
awk '
    /^# (PASS|XFAIL|FAIL|XPASS|ERROR):/ && !($2 in n) { n[$2] = $3 }
    /^# ERROR:/ { exit }
    END { printf "%d %d\n", n["PASS:"] + n["XFAIL:"], n["FAIL:"] + n["XPASS:"] + n["ERROR:"] }
' "$log"
