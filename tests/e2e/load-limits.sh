#!/bin/sh
# The public listener's limits (doc/connections.md): request-deadline closes
# a client that sends a byte at a time, whatever its pace; behind a
# trusted proxy each sender has its own share of the connections, counted
# by X-Forwarded-For, and an address not trusted is counted by itself.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/load-lib.sh
plan 13

# --- request-deadline: a client that sends a byte every half second
# keeps the 30 s idle timeout away, not the 3 s deadline.
cat > "$T/deadline.conf" <<CONF
database = $T/deadline.db
request-deadline = 3s
connection-timeout = 30s
CONF
must_start "daemon starts with request-deadline = 3s" \
    --config "$T/deadline.conf"
python3 "$PY" trickle --port "$PORT" --first 20 --every 0.5 \
    --seconds 15 --mode headers > "$T/t1" &
t1=$!
must python3 "$PY" trickle --port "$PORT" --first 21 --every 0.5 \
    --seconds 15 --mode body > "$T/t2"
wait $t1
must_status "load.py trickle" $? "$T/t1"
h=$(val "$T/t1" closed_after)
b=$(val "$T/t2" closed_after)
check "headers a byte at a time: closed at the deadline (after $h s)" \
    sh -c "[ '$h' != never ] && awk 'BEGIN { exit !($h >= 2.5 && $h < 8) }'"
check "a body a byte at a time: closed at the deadline (after $b s)" \
    sh -c "[ '$b' != never ] && awk 'BEGIN { exit !($b >= 2.5 && $b < 8) }'"
curl -s "http://127.0.0.1:$APIPORT/metrics" > "$T/metrics"
check "closed for the deadline: counted" \
    grep -q 'tlsrpt_http_connections_turned_away_total{reason="deadline"} [2-9]' "$T/metrics"
report in-time in-time.example > "$T/p1.json"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    -H 'Content-Type: application/tlsrpt+json' \
    --data-binary "@$T/p1.json" "http://127.0.0.1:$PORT/v1/tlsrpt")
check_eq "a request in time: 201" "$code" 201
stop_daemon

# --- Behind a trusted proxy (127.0.0.1, plain HTTP as contrib/nginx
# does), 4 connections a client: counted by X-Forwarded-For.
cat > "$T/plain.conf" <<CONF
database = $T/plain.db
trusted-proxies = 127.0.0.1
max-connections-per-client = 4
CONF
must_start "daemon starts behind a proxy" --config "$T/plain.conf"
python3 "$PY" hold --port "$PORT" --first 1 --n 4 --xff 192.0.2.1 \
    --seconds 7 --ready "$T/r2" > "$T/h2" &
h2=$!
wait_for 10 test -s "$T/r2"
sleep 1	# their headers read
# xff_post ADDRESS FILE [CURL ARGS]: status of a post the proxy forwards.
xff_post() {
	a=$1
	f=$2
	shift 2
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --max-time 10 \
	    -H "X-Forwarded-For: $a" -H 'Content-Type: application/tlsrpt+json' \
	    "$@" --data-binary "@$f" "http://127.0.0.1:$PORT/v1/tlsrpt"
}
report proxied-2 proxied.example > "$T/p2.json"
report proxied-3 proxied.example > "$T/p3.json"
check_eq "proxied: a 5th connection of 192.0.2.1 is over its share: 429" \
    "$(xff_post 192.0.2.1 "$T/p2.json")" 429
check "... with Retry-After" grep -qi '^Retry-After: [0-9]' "$T/headers"
check "... naming the client" grep -q '192.0.2.1' "$T/body"
# The share changes on SIGHUP.
report proxied-4 proxied.example > "$T/p4.json"
sed -i 's/^max-connections-per-client = 4$/max-connections-per-client = 5/' \
    "$T/plain.conf"
kill -HUP "$D_PID"
wait_for 10 grep -q 'reloaded' "$T/daemon.log"
check_eq "after SIGHUP with a share of 5: the 5th of 192.0.2.1 is 201" \
    "$(xff_post 192.0.2.1 "$T/p4.json")" 201
check_eq "proxied: 192.0.2.2 behind the same proxy has its own: 201" \
    "$(xff_post 192.0.2.2 "$T/p2.json")" 201
check_eq "proxied: 198.51.100.7, 192.0.2.3: the right-most counts: 201" \
    "$(xff_post '198.51.100.7, 192.0.2.3' "$T/p3.json")" 201
# An address not trusted is counted by itself, whatever it claims.
python3 "$PY" hold --port "$PORT" --first 30 --n 5 --xff 192.0.2.9 \
    --seconds 4 --ready "$T/r3" > "$T/h3" &
h3=$!
wait_for 10 test -s "$T/r3"
sleep 1
check_eq "not a proxy: 127.0.0.30 holds 5, a 6th is refused at once" \
    "$(xff_post 192.0.2.10 "$T/p3.json" --interface 127.0.0.30)" 000
for h in $h2 $h3; do
	wait $h
	must_status "load.py hold" $?
done
check_eq "the 4 held connections of 192.0.2.1 were kept" \
    "$(val "$T/h2" open_at_end)" 4
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
