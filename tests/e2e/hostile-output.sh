#!/bin/sh
# Report fields written by an attacker through every output
# (doc/output.md): tlsrpt-import and tlsrpt-summary in text,
# CSV, HTML and JSON (tests/scenarios/hostile.py), then the daemon's log
# lines and its API page for the same reports posted over HTTPS.
. tests/lib.sh
. tests/daemon-lib.sh
plan $(($(python3 tests/scenarios/hostile.py --plan) + 11))

must python3 tests/scenarios/hostile.py "$BIN" "$T"
mkdir -p "$T/d" "$T/md/new" "$T/md/cur" "$T/md/tmp"

make_cert a
CA="$T/a.crt"
must_start "daemon starts" --db "$T/d/tlsrpt.db" --maildir "$T/md" --tls-cert "$T/a.crt" --tls-key "$T/a.key"
n=0
for f in "$T"/hostile/r*.json; do
	code=$(post "$f" -H 'Content-Type: application/tlsrpt+json')
	[ "$code" = 201 ] && n=$((n + 1))
done
check_eq "every hostile report posted is stored (201)" "$n" \
    "$(ls "$T"/hostile/r*.json | wc -l)"

# The log: one line per report, the outcome before the fields a sender
# wrote, quotes and backslashes escaped, controls shown, long values cut.
lines=$(grep -c '^.* info: report source="https"' "$T/daemon.log")
check_eq "one log line per report" "$lines" "$n"
check "every report line has its outcome, in order" sh -c "
    grep '^.* info: report source=' '$T/daemon.log' |
    grep -vc '^[^ ]* info: report source=\"https\" peer=\"127.0.0.1\" outcome=\"accepted\" domain=\"hostile.example\" reporter=\"' |
    grep -qx 0"
check "log: no raw control character" sh -c \
    "! LC_ALL=C grep -q \"\$(printf '[\\001-\\010\\013-\\037\\177]')\" '$T/daemon.log'"
check "log: no raw bidi control" sh -c \
    "! grep -q \"\$(printf '\\342\\200\\256')\" '$T/daemon.log'"
check "log: a quote in a value is escaped" \
    grep -q 'reporter="Quote \\" and \\\\ back\\\\slash"' "$T/daemon.log"
check "log: ESC and the fake line shown as escapes" sh -c "
    grep -q 'reporter=\"Evil\\\\x1b\\[2J' '$T/daemon.log' &&
    grep -q 'reporter=\"Line\\\\x0d\\\\x0ahostile.example: READY' '$T/daemon.log'"
check "log: a 4 KB value is cut and marked, the line keeps its outcome" sh -c "
    grep 'reporter=\"Long ' '$T/daemon.log' | grep -q 'outcome=\"accepted\".*\\.\\.\\.\"' &&
    [ \$(grep 'reporter=\"Long ' '$T/daemon.log' | head -n 1 | wc -c) -le 2049 ]"

code=$(api "/report/hostile.example?now=2026-03-15T00:00:00Z")
check_eq "the API's page answers" "$code" 200
check "the API's page: markup escaped, no raw ESC or bidi" sh -c "
    ! grep -q '<script>' '$T/api' && grep -q '&lt;script&gt;' '$T/api' &&
    ! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/api' &&
    ! grep -q \"\$(printf '\\342\\200\\256')\" '$T/api'"
code=$(api "/api/v1/domains/hostile.example/summary?now=2026-03-15T00:00:00Z")
check "the API's JSON is valid and ASCII" sh -c "
    [ $code = 200 ] && python3 -c 'import json,sys; d=sys.stdin.read(); json.loads(d); assert d.isascii()' < '$T/api'"
stop_daemon
if [ -n "${KEEP_LOG:-}" ]; then
	cp "$T/daemon.log" "$KEEP_LOG"
fi
