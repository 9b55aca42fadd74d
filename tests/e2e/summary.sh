#!/bin/sh
# tlsrpt-summary against scenario reports: every reason code triggered and
# just missed, the counting rules, options, formats and exit codes; then
# the daemon's API on the same store answers the same JSON.
. tests/lib.sh
. tests/daemon-lib.sh
plan $(($(python3 tests/scenarios/summary.py --plan) + 9))
must python3 tests/scenarios/summary.py "$BIN" "$T"

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

# --domain in Unicode, any case, with the root's dot: the A-label its
# reports were stored under. A name that is not a DNS name: exit 64.
"$BIN/tlsrpt-import" --db "$T/idn.db" fixtures/reports/accept/domain-u-label.json > /dev/null
"$BIN/tlsrpt-summary" --db "$T/idn.db" --domain 'BÜCHER.example.' --now "$now" \
    --days 30 --format json > "$T/idn.json"
check_eq "--domain in Unicode: the A-label's summary, with its report" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["domains"][0]; print(d["domain"], d["reports"])' "$T/idn.json")" \
    "xn--bcher-kva.example 1"
out=$("$BIN/tlsrpt-summary" --db "$T/idn.db" --domain 'a..example' 2>&1); rc=$?
check_eq "--domain not a DNS name: one line, exit 64" "$out $rc" \
    'tlsrpt-summary: --domain: "a..example" is not a DNS name: an empty label 64'
