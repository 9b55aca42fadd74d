#!/bin/sh
# tlsrpt-summary against scenario reports: every reason code triggered and
# just missed, the counting rules, options, formats and exit codes; then
# the daemon's API on the same store answers the same JSON.
. tests/lib.sh
. tests/daemon-lib.sh
python3 tests/scenarios/summary.py "$BIN" "$T"

now=2026-03-15T00:00:00Z
make_cert a
mkdir -p "$T/md/new" "$T/md/cur" "$T/md/tmp"
if ! start_daemon --db "$T/scenarios.db" --maildir "$T/md" \
    --tls-cert "$T/a.crt" --tls-key "$T/a.key"; then
	fail "daemon starts on the scenario store"
	exit 1
fi
for d in ready.example:0 tls-failures-hit.example:1 days-hit.example:2; do
	dom=${d%:*}
	"$BIN/tlsrpt-summary" --db "$T/scenarios.db" --domain "$dom" --now "$now" \
	    --format json > "$T/cli.json"
	rc=$?
	code=$(api "/api/v1/domains/$dom/summary?now=$now")
	check_eq "$dom: tlsrpt-summary exits ${d#*:}" "$rc" "${d#*:}"
	check "$dom: the API answers 200 with the same JSON" \
	    sh -c "[ $code = 200 ] && cmp -s '$T/api' '$T/cli.json'"
done
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
