#!/bin/sh
# Hostile clients (doc/http.md): idle and slow connections do not stop
# a real sender from being served; the connection limits and the timeout
# hold; memory stays bounded under a flood of 1 MB bodies. The hostile
# connections come from other loopback addresses (127.0.0.2 and up), as
# strangers' would; the real sender is 127.0.0.1.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 15

PY=tests/robust.py
acc=fixtures/reports/accept

# val FILE KEY: a key=value line of robust.py's output.
val() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$D_PID/status"; }
# real_post FILE: status and seconds of one real sender's post.
real_post() {
	curl -s -o "$T/body" -w '%{http_code} %{time_total}' --max-time 30 \
	    --cacert "$CA" -H 'Content-Type: application/tlsrpt+json' \
	    --data-binary "@$1" "https://127.0.0.1:$PORT/v1/tlsrpt"
}
# within SECONDS GOT: is the time of "STATUS TIME" under SECONDS?
within() { awk -v t="${2#* }" -v l="$1" 'BEGIN { exit !(t < l) }'; }

# --- The defaults (256 connections, 16 per client, 30 s timeout) with
# 220 hostile connections held open from 22 addresses.
https_conf "$T/tlsrptd.conf" "$T/db"
must_start "daemon starts" --config "$T/tlsrptd.conf"
python3 "$PY" hold --port "$PORT" --n 100 --sources 10 --first 2 \
    --mode nothing --seconds 4 --report-at 3 --ready "$T/r1" > "$T/h1" &
h1=$!
python3 "$PY" hold --port "$PORT" --n 100 --sources 10 --first 12 \
    --mode hello --seconds 4 --report-at 3 --ready "$T/r2" > "$T/h2" &
h2=$!
python3 "$PY" hold --port "$PORT" --ca "$CA" --n 10 --sources 1 --first 22 \
    --mode slowhdr --seconds 4 --report-at 3 --ready "$T/r3" > "$T/h3" &
h3=$!
python3 "$PY" hold --port "$PORT" --ca "$CA" --n 10 --sources 1 --first 23 \
    --mode slowbody --seconds 4 --report-at 3 --ready "$T/r4" > "$T/h4" &
h4=$!
all_ready() { [ -s "$T/r1" ] && [ -s "$T/r2" ] && [ -s "$T/r3" ] && [ -s "$T/r4" ]; }
wait_for 20 all_ready
sleep 1
got=$(real_post "$acc/plain-rfc.json")
check_eq "with 200 half-open TLS connections and 20 slow ones: 201" \
    "${got% *}" 201
check "... within 2 seconds (took ${got#* } s)" within 2 "$got"
got=$(real_post "$acc/utf8-names.json")
check "a second sender too: 201 within 2 s (took ${got#* } s)" \
    within 2 "$got"
for h in $h1 $h2 $h3 $h4; do
	wait $h
	must_status "robust.py hold" $?
done
check_eq "the hostile connections were all held open" \
    "$(val "$T/h1" open_at_3) $(val "$T/h2" open_at_3) $(val "$T/h3" open_at_3) $(val "$T/h4" open_at_3)" \
    "100 100 10 10"

# --- Memory under a flood: 50 parallel posts of about 1 MB (a valid
# report, a truncated one, random bytes), four rounds. The high-water
# mark must stay under a bound and stop growing once the first rounds
# have set it: how many of the 50 bodies are held at the same moment
# differs from round to round, so the first two are the warm-up.
hwm0=$(hwm_kb)
for round in 1 2 3 4; do
	must python3 "$PY" flood --port "$PORT" --ca "$CA" --n 50 \
	    --size 1000000 > "$T/flood.$round"
	eval "hwm$round=\$(hwm_kb)"
done
cat "$T/flood.1" | sed 's/^/# /'
echo "# VmHWM: start ${hwm0} kB, after rounds ${hwm1} ${hwm2} ${hwm3} ${hwm4} kB"
check_eq "flood: every post answered (201/200/400)" \
    "$(( $(val "$T/flood.4" status_200) + $(val "$T/flood.4" status_400) ))" 50
# ASan's shadow memory and quarantine multiply what a process holds.
bound=$((384 * 1024))
grep -q __asan_init "$BIN/tlsrptd" 2>/dev/null && bound=$((2048 * 1024))
check "flood: VmHWM ${hwm4} kB under $((bound / 1024)) MiB" \
    test "$hwm4" -lt "$bound"
if grep -q __asan_init "$BIN/tlsrptd" 2>/dev/null; then
	skip 1 asan "flood VmHWM growth: ASan's quarantine grows"
else
	check "flood: VmHWM stops growing (round 4 within 64 MiB of round 2)" \
	    test $((hwm4 - hwm2)) -lt 65536
fi
stop_daemon

# --- Small limits: 12 connections, 4 per client, a 2 s timeout; the
# last of the 12 is kept for an address that holds none.
cat >> "$T/tlsrptd.conf" <<CONF
max-connections = 12
max-connections-per-client = 4
connection-timeout = 2s
CONF
must_start "daemon starts with small limits" --config "$T/tlsrptd.conf"
must python3 "$PY" hold --port "$PORT" --n 6 --sources 1 --first 30 \
    --mode nothing --seconds 1 --report-at 0.5 > "$T/h5"
check_eq "per-client limit: 4 of 6 connections from one address kept" \
    "$(val "$T/h5" open_at_0.5)" 4
python3 "$PY" hold --port "$PORT" --n 16 --sources 4 --first 40 \
    --mode hello --seconds 1.5 --report-at 0.5 --ready "$T/r6" > "$T/h6" &
h6=$!
wait_for 10 test -s "$T/r6"
got=$(real_post "$acc/keys-in-any-order.json")
wait $h6
must_status "robust.py hold" $?
check_eq "total limit: 11 of 16 connections from 4 addresses kept" \
    "$(val "$T/h6" open_at_0.5)" 11
check_eq "... the 12th is for an address holding none: a sender's post" \
    "${got% *}" 201
must python3 "$PY" hold --port "$PORT" --n 8 --sources 4 --first 50 \
    --mode hello --seconds 4 --report-at 1,3.8 > "$T/h7"
check_eq "timeout: 8 half-open connections open after 1 s, none after 3.8 s" \
    "$(val "$T/h7" open_at_1) $(val "$T/h7" open_at_3.8)" "8 0"
python3 "$PY" hold --port "$PORT" --ca "$CA" --n 8 --sources 1 --first 60 \
    --mode slowhdr --seconds 3.5 --report-at 3.2 --ready "$T/r8" > "$T/h8" &
h8=$!
wait_for 10 test -s "$T/r8"
got=$(real_post "$acc/several-sts-policies.json")
check_eq "slow headers from one address hold only 4; a sender gets 201" \
    "${got% *}" 201
check "... within 2 seconds (took ${got#* } s)" within 2 "$got"
wait $h8
must_status "robust.py hold" $?
check_eq "... which a byte a second keeps past the 2 s idle timeout" \
    "$(val "$T/h8" open_at_3.2)" 4
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
