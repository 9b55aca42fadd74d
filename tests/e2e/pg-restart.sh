#!/bin/sh
# PostgreSQL stopped for 10 seconds in the middle of ingestion: the daemon
# answers 503 with Retry-After meanwhile (never 500), the import tool
# exits 75, and both recover by themselves when the server is back: every
# report is acknowledged in the end, and nothing acknowledged is lost.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/pg-lib.sh
plan 16
pg_start

N=400
now=2026-03-15T00:00:00Z
uri=$(pg_createdb restart)
make_cert a
CA="$T/a.crt"
mkdir -p "$T/md/new" "$T/md/cur" "$T/md/tmp"
if ! start_daemon --db "$uri" --tls-cert "$T/a.crt" --tls-key "$T/a.key" \
    --maildir "$T/md"; then
	fail "daemon starts on PostgreSQL"
	cat "$T/daemon.log"
	exit 1
fi
pid=$D_PID

# 4 clients post N reports over about 10 s, each 503 tried again for up
# to 40 s; the server is stopped for 10 s two seconds in.
PG_CLIENT_PAUSE=0.1 python3 tests/e2e/pg-clients.py "$CA" "$N" 4 40 "$PORT" \
    > "$T/answers" &
clients=$!
# Two seconds in, or later on a busy machine: once a report is acknowledged.
sleep 2
acked() { awk '$3 == 201 || $3 == 200' "$T/answers" | grep -q .; }
wait_for 30 acked
acked_before=$(awk '$3 == 201 || $3 == 200' "$T/answers" | wc -l | tr -d ' ')
pg_stop
check "the server is stopped during ingestion ($acked_before acknowledged before)" \
    test "$acked_before" -gt 0 -a "$acked_before" -lt "$N"
sleep 1
code=$(api /api/v1/domains)
check_eq "server down: the API answers 503" "$code" 503
code=$(curl -s -o /dev/null -D "$T/h" -w '%{http_code}' --max-time 10 \
    "http://127.0.0.1:$APIPORT/api/v1/domains")
check "server down: ... with Retry-After" grep -qi '^Retry-After: [0-9]' "$T/h"
"$BIN/tlsrpt-import" --db "$uri" fixtures/reports/accept/plain-rfc.json \
    > "$T/imp.out" 2>&1
check_eq "server down: tlsrpt-import exits 75" "$?" 75
cp fixtures/mail/google-multipart.eml "$T/md/tmp/1.M1.test"
mv "$T/md/tmp/1.M1.test" "$T/md/new/1.M1.test"
sleep 8
pg_ctl_start
check "the server is back" test $? -eq 0
wait "$clients"
must_status tests/e2e/pg-clients.py $?

check "the daemon ran through: the same process" kill -0 "$pid"
check_eq "no answer but 201, 200 or 503 with Retry-After" \
    "$(awk '$3 != 201 && $3 != 200 && $3 != 503' "$T/answers" | sort | uniq -c | head -3)" ""
n503=$(awk '$3 == 503' "$T/answers" | wc -l | tr -d ' ')
check "posts while the server was down got 503 ($n503)" test "$n503" -gt 0
check_eq "every report acknowledged in the end" \
    "$(awk '$3 == 201 || $3 == 200 { print $1 }' "$T/answers" | sort -u | wc -l | tr -d ' ')" "$N"
psql_q restart "select report_id from report" | sed 's/^pg-//' | sort -n > "$T/stored"
awk '$3 == 201 || $3 == 200 { print $1 }' "$T/answers" | sort -un > "$T/acked"
check "nothing acknowledged is lost" cmp -s "$T/acked" "$T/stored"
check_eq "every report stored once" \
    "$(psql_q restart "select count(*), count(distinct report_id) from report where report_id like 'pg-%'")" "$N|$N"

check "server down: the maildir message is deferred, left in new/" \
    test -f "$T/md/new/1.M1.test" -a ! -e "$T/md/.Failed/new/1.M1.test"
code=$(api /api/v1/domains)
check_eq "server back: the API answers 200 again" "$code" 200
out=$("$BIN/tlsrpt-import" --db "$uri" fixtures/reports/accept/plain-rfc.json); rc=$?
check_eq "server back: tlsrpt-import accepts, exit 0" "$(echo "$out" | cut -f1) $rc" "accepted 0"
"$BIN/tlsrpt-summary" --db "$uri" --now "$now" --domain d1.example --format json > "$T/cli.json"
code=$(api "/api/v1/domains/d1.example/summary?now=$now")
check "server back: the API's summary is the command line's" sh -c "[ $code = 200 ] && cmp -s '$T/api' '$T/cli.json'"
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
