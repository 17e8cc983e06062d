#!/bin/sh
# gate-tap.sh: the output of `biasbench gate` itself, read by automake's TAP
# driver (make check): a candidate identical to the baseline fixture run
# passes every gate, so the driver must see a plan, six passing points and
# exit 0 without complaint.
S=${srcdir:-.}
exec "${BIASBENCH:-./biasbench}" gate --baseline "$S/tests/data/gate/base" \
  --candidate "$S/tests/data/gate/base" --suite "$S/tests/data/gate/suite.yaml"
