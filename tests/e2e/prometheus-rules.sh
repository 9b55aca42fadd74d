#!/bin/sh
# The alerting rules of contrib/prometheus/ with promtool's own unit
# tests (Debian package prometheus, an extra of scripts/deps.sh).
. tests/lib.sh

if ! command -v promtool >/dev/null 2>&1; then
	echo "1..0 # skipped: promtool is not installed (Debian package prometheus)"
	exit 0
fi
echo "1..2"
check "promtool check rules: the rules are valid" \
    sh -c "promtool check rules contrib/prometheus/tlsrptd-rules.yml >/dev/null 2>&1"
( cd contrib/prometheus && promtool test rules tlsrptd-rules.test.yml ) \
    > "$T/out" 2>&1
rc=$?
check_eq "promtool test rules: every alert fires when it should, only then" \
    "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/out"
