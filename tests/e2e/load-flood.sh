#!/bin/sh
# Slow clients cannot lock out a sender (doc/connections.md): 256 TLS
# connections from 16 addresses trickle a body byte every 10 s for 40 s
# while a sender from another address posts a report every 3 s, each
# answered 201 within 10 s.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/load-lib.sh
plan 5

# --- 256 slow TLS connections from 127.0.0.2-17, a body byte every 10 s
# for 40 s, on the defaults (256 connections, 16 a client); a sender
# from 127.0.0.100 posts a new report every 3 s meanwhile.
https_conf "$T/tls.conf" "$T/tls.db"
must_start "daemon starts" --config "$T/tls.conf"
python3 "$PY" slow --port "$PORT" --ca "$CA" --n 256 --sources 16 \
    --first 2 --every 10 --seconds 40 --ready "$T/r1" > "$T/slow" &
slow=$!
wait_for 30 test -s "$T/r1"
i=0
bad=0
slowest=0
while kill -0 "$slow" 2>/dev/null && [ $i -lt 15 ]; do
	i=$((i + 1))
	report "load-$i" "sender$i.example" > "$T/load-$i.json"
	got=$(curl -s -o "$T/body" -w '%{http_code} %{time_total}' \
	    --max-time 10 --interface 127.0.0.100 --cacert "$CA" \
	    -H 'Content-Type: application/tlsrpt+json' \
	    --data-binary "@$T/load-$i.json" \
	    "https://127.0.0.1:$PORT/v1/tlsrpt")
	if [ "${got% *}" != 201 ] || ! under 10 "${got#* }"; then
		bad=$((bad + 1))
		echo "#   post $i: $got"
	fi
	slowest=$(awk -v a="$slowest" -v b="${got#* }" \
	    'BEGIN { print (b > a ? b : a) }')
	sleep 3
done
wait $slow
must_status "load.py slow" $? "$T/slow"
sed 's/^/# /' "$T/slow"
check "the flood held at least 200 connections open" \
    test "$(val "$T/slow" most_open)" -ge 200
check "$i posts from 127.0.0.100 during it" test "$i" -ge 8
check_eq "each answered 201 within 10 s (slowest ${slowest} s)" "$bad" 0
curl -s "http://127.0.0.1:$APIPORT/metrics" > "$T/metrics"
check "the refused are counted by reason" \
    grep -q 'tlsrpt_http_connections_turned_away_total{reason="reserve"} [1-9]' "$T/metrics"
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
