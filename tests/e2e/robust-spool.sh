#!/bin/sh
# The spool (doc/spool.md): senders do not retry, so a
# body within the limits is never refused for load.
# - The SQLite store locked by another process: every post in that
#   window is answered 202, none 503; /healthz says the spool does
#   not drain; once the lock goes, every report is stored.
# - kill -9 with bodies in the spool: after a restart all are stored,
#   none twice.
# - 24 concurrent posts of a report gzipped twice (Content-Encoding gzip
#   over a gzip body, 4 KB inflating to 62 MiB, each layer under the
#   1000:1 ratio): only 202, 400 or 413, the daemon's VmHWM under 512 MiB
#   (the decode budget), and a real report is 201 right after.
# - A full spool (spool-max-bytes of two blocks, the store locked): 503
#   with Retry-After.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 41

conf() {
	https_conf "$T/tlsrptd.conf" "$T/db" "max-connections-per-client = 32
spool-stall = 1s
$1"
}
conf ""

# report ID: a distinct report as JSON in $T/ID.
report() {
	python3 - "$1" > "$T/$1" <<'EOF'
import json, sys
sys.path.insert(0, "tests")
import robust
print(json.dumps(robust.report(sys.argv[1], 3)))
EOF
}
send() { post "$T/$1" -H 'Content-Type: application/tlsrpt+json'; }
stored() {
	sql "$T/db" "select count(*) from report where report_id = '$1'"
}
# held: the lock of lock_store (tests/lib.sh) is still held. Its writer
# commits only at unlock_store, so the lock lasts while that process
# lives; not a zombie, which kill -0 alone would take for alive.
held() {
	kill -0 "$LOCKER" 2>/dev/null &&
	    [ "$(sed 's/.*) //' "/proc/$LOCKER/stat" 2>/dev/null | cut -c1)" != Z ]
}
spool_bodies() {
	curl -s "http://127.0.0.1:$APIPORT/metrics" |
	    sed -n 's/^tlsrpt_spool_bodies //p'
}
drained() { [ "$(spool_bodies)" = 0 ]; }

must_start "daemon starts" --config "$T/tlsrptd.conf"
report before
check_eq "an idle daemon stores at once: 201" "$(send before)" 201
check "... without the spool" test -z "$(ls "$T/spool")"

# --- The store locked (until the checks below let it go, however slow
# the machine): a post waits
# out the store's busy timeout and goes to the spool; the posts after it
# go straight there, behind it (4 at once, then 3 one after the other).
for i in 1 2 3 4 5 6 7 8; do report "locked-$i"; done
check "another writer locks the store" lock_store "$T/db"
send locked-1 > "$T/codes"
echo >> "$T/codes"
pids=
for i in 2 3 4 5; do
	(code=$(send "locked-$i"); echo "$code" >> "$T/codes") &
	pids="$pids $!"
done
wait $pids
for i in 6 7 8; do
	send "locked-$i" >> "$T/codes"
	echo >> "$T/codes"
done
check "... all 8 posts answered while the lock is held" held
check_eq "store locked: every post 202, none 503" \
    "$(sort "$T/codes" | uniq -c | tr -s ' \n' ' ')" " 8 202 "
check "202 says the report is kept" grep -q 'kept' "$T/body"
check_eq "... the bodies are in the spool" "$(ls "$T/spool" | wc -l | tr -d ' ')" 8
unhealthy() { [ "$(api /healthz)" = 503 ]; }
check "/healthz: 503 while the spool does not drain" wait_for 3 unhealthy
check "... and says why" grep -q 'spool does not drain: 8 bodies.*locked' "$T/api"
check "... with the lock still held" held
unlock_store
check "lock released: the spool drains" wait_for 20 drained
n=0
for i in 1 2 3 4 5 6 7 8; do
	[ "$(stored "locked-$i")" = 1 ] && n=$((n + 1))
done
check_eq "... and every report is stored once" "$n" 8
check_eq "... the spool folder is empty" "$(ls "$T/spool" | wc -l | tr -d ' ')" 0
check_eq "/healthz: 200 again" "$(api /healthz)" 200
curl -s "http://127.0.0.1:$APIPORT/metrics" > "$T/metrics"
check "metrics: the 202s" grep -q '^tlsrpt_http_responses_total{code="202"} 8$' "$T/metrics"
check "metrics: no 503" grep -q '^tlsrpt_http_responses_total{code="503"} 0$' "$T/metrics"
check "metrics: 8 drained" grep -q '^tlsrpt_spool_total{event="drained"} 8$' "$T/metrics"
check "the log names each spooled post" \
    test "$(grep -c 'outcome="spooled"' "$T/daemon.log")" -eq 8

# --- kill -9 with bodies in the spool; then a restart drains them.
check "another writer locks the store" lock_store "$T/db"
for i in 1 2 3 4 5; do
	report "kill-$i"
	send "kill-$i" >> "$T/kcodes"
done
check_eq "store locked: 5 posts 202" "$(grep -o 202 "$T/kcodes" | wc -l | tr -d ' ')" 5
kill -KILL "$D_PID"
wait "$D_PID" 2>/dev/null
D_PID=
unlock_store
check_eq "killed with 5 bodies in the spool" "$(ls "$T/spool" | grep -c '\.spool$')" 5
: > "$T/spool/.00000000000000000099.tmp"
must_start "daemon restarts" --config "$T/tlsrptd.conf"
check "after the restart the spool drains" wait_for 20 drained
n=0
for i in 1 2 3 4 5; do
	[ "$(stored "kill-$i")" = 1 ] && n=$((n + 1))
done
check_eq "... all 5 stored" "$n" 5
check_eq "... none twice" "$(sql "$T/db" "select count(*) from (select 1
    from report group by organization_name, report_id, start_time,
    end_time having count(*) > 1)")" 0
check "a half-written file of a crash is removed" \
    test ! -e "$T/spool/.00000000000000000099.tmp"
check "... and the log says so" grep -q 'half-written' "$T/daemon.log"

# --- 24 concurrent posts of a report gzipped twice (4 KB on the wire,
# 62 MiB once inflated twice, each layer under 1000:1).
python3 - "$T/double.gz" <<'EOF'
import gzip, random, sys
rep = open("fixtures/reports/accept/plain-rfc.json", "rb").read()
noise = random.Random(8460).randbytes(3000)
inner = rep + b"\0" * (62 * 1024 * 1024 - len(rep) - len(noise)) + noise
layer = gzip.compress(inner, 9)
assert len(inner) < 1000 * len(layer)
body = gzip.compress(layer, 9)
assert len(layer) < 1000 * len(body)
open(sys.argv[1], "wb").write(body)
EOF
echo "# double gzip: $(wc -c < "$T/double.gz" | tr -d ' ') bytes"
: > "$T/dcodes"
pids=
i=0
while [ $i -lt 24 ]; do
	i=$((i + 1))
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 --cacert "$CA" \
	    -H 'Content-Type: application/tlsrpt+gzip' \
	    -H 'Content-Encoding: gzip' --data-binary "@$T/double.gz" \
	    "https://127.0.0.1:$PORT/v1/tlsrpt" >> "$T/dcodes" &
	pids="$pids $!"
done
wait $pids
echo "# answers: $(sort "$T/dcodes" | uniq -c | tr -s ' \n' ' ')"
check_eq "24 double-gzip posts: 24 answers, only 202, 400 or 413" \
    "$(grep -c . "$T/dcodes") $(grep -cv '^\(202\|400\|413\)$' "$T/dcodes")" "24 0"
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$D_PID/status")
# ASan's shadow memory and quarantine multiply what a process holds.
bound=$((512 * 1024))
grep -q __asan_init "$BIN/tlsrptd" 2>/dev/null && bound=$((2048 * 1024))
echo "# VmHWM after 24 double-gzip posts: $hwm kB"
check "VmHWM $hwm kB under $((bound / 1024)) MiB" test "$hwm" -lt "$bound"
check_eq "a real report right after: 201" \
    "$(post fixtures/reports/accept/gzip.json.gz \
    -H 'Content-Type: application/tlsrpt+gzip')" 201
check "the spool drains" wait_for 60 drained
check_eq "each double-gzip body is in the quarantine once" \
    "$(sql "$T/db" "select count(*) from quarantine")" 24
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0

# --- A full spool: two blocks, the store locked.
conf "spool-max-bytes = 8k"
start_daemon --config "$T/tlsrptd.conf" || fail "daemon restarts"
check "another writer locks the store" lock_store "$T/db"
: > "$T/fcodes"
for i in 1 2 3; do
	report "full-$i"
	send "full-$i" >> "$T/fcodes"
	echo >> "$T/fcodes"
done
check_eq "spool of 8 KiB, store locked: 202, 202, then 503" \
    "$(tr '\n' ' ' < "$T/fcodes")" "202 202 503 "
check "503 has Retry-After" test -n "$(header Retry-After)"
check "... and the log says the spool is full" \
    grep -q 'spool is full' "$T/daemon.log"
unlock_store
check "lock released: the spool drains" wait_for 20 drained
check_eq "the two taken are stored, the refused one is not" \
    "$(stored full-1) $(stored full-2) $(stored full-3)" "1 1 0"
check_eq "the sender's retry of the refused one: 201" "$(send full-3)" 201
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
check_eq "integrity_check" "$(sql "$T/db" "pragma integrity_check")" ok
