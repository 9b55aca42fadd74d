#!/bin/sh
# tlsrpt-summary against scenario reports: every reason code triggered and
# just missed, the counting rules, options, formats and exit codes.
. tests/lib.sh
python3 tests/scenarios/summary.py "$BIN" "$T"
