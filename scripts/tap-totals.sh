#!/usr/bin/env bash
# tap-totals.sh: read the TAP totals of one `make check` run from automake's
# test-suite.log and print "N passed, N failed, N skipped" (passed = PASS +
# XFAIL, failed = FAIL + XPASS + ERROR, skipped = SKIP: a skip is never
# hidden). A missing log (the build failed before any test ran) prints
# "0 passed, 1 failed, 0 skipped". Scripts read it with
#   read -r passed _ failed _ skipped _ < <(scripts/tap-totals.sh LOG)
# usage: scripts/tap-totals.sh BUILD_DIR/test-suite.log
set -euo pipefail
log=${1:?usage: tap-totals.sh test-suite.log}
if [ ! -f "$log" ]; then
    echo "0 passed, 1 failed, 0 skipped"
    exit 0
fi
# The totals are the first "# KEY: N" lines; failing tests' logs follow them.
awk '
    /^# (PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):/ && !($2 in n) { n[$2] = $3 }
    /^# ERROR:/ { exit }
    END {
        printf "%d passed, %d failed, %d skipped\n", n["PASS:"] + n["XFAIL:"],
               n["FAIL:"] + n["XPASS:"] + n["ERROR:"], n["SKIP:"]
    }
' "$log"
