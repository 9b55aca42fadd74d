#!/bin/sh
# The alerting rules of contrib/prometheus/ with promtool's own unit
# tests (Debian package prometheus, an extra of scripts/deps.sh).
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
plan 2

command -v promtool >/dev/null 2>&1 || skip_rest prometheus \
    "promtool is not installed (Debian package prometheus)"
check "promtool check rules: the rules are valid" \
    sh -c "promtool check rules contrib/prometheus/tlsrptd-rules.yml >/dev/null 2>&1"
( cd contrib/prometheus && promtool test rules tlsrptd-rules.test.yml ) \
    > "$T/out" 2>&1
rc=$?
check_eq "promtool test rules: every alert fires when it should, only then" \
    "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/out"
