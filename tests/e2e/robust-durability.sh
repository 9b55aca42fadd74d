#!/bin/sh
# Durability of the HTTPS door (doc/design.md): 8 clients post distinct
# reports at once; after a random number of them were answered 200 or 201
# the daemon gets SIGKILL. After a restart every acknowledged report is in
# the store (posting it again gives 200 and the row is there), none is
# stored twice, and the database passes PRAGMA integrity_check. The cycle
# runs ROBUST_PASSES times on the same store (3; 20 with ROBUST_LONG=1).
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh

PY=tests/robust.py
N=${ROBUST_PASSES:-3}
[ "${ROBUST_LONG:-0}" = 1 ] && N=20
plan $((N + 1))
https_conf "$T/tlsrptd.conf" "$T/db"

dups() {
	sql "$T/db" "select count(*) from (select 1 from report group by
	    organization_name, report_id, start_time, end_time
	    having count(*) > 1)"
}
accepted_twice() {
	sql "$T/db" "select count(*) from (select report from payload
	    where outcome = 'accepted' group by report having count(*) > 1)"
}
# missing FILE: acknowledged ids of FILE with no report row.
missing() {
	{
		echo "create temp table acked (id text);"
		awk '$2 == 200 || $2 == 201 { printf "insert into acked values (%c%s%c);\n", 39, $1, 39 }' "$1"
		echo "select count(*) from acked where id not in (select report_id from report);"
	} | sqlite3 -batch -noheader "$T/db"
}

good=0
total_acked=0
i=1
while [ $i -le "$N" ]; do
	if ! start_daemon --config "$T/tlsrptd.conf"; then
		fail "pass $i: daemon starts"
		cat "$T/daemon.log"
		break
	fi
	k=$(( $(od -An -N2 -tu2 /dev/urandom) % 150 + 20 ))
	python3 "$PY" ingest-kill --port "$PORT" --ca "$CA" --clients 8 \
	    --prefix "p$i" --kill "$D_PID" --kill-after "$k" \
	    --out "$T/answers.$i" > "$T/kill.out" 2>&1
	must_status "robust.py ingest-kill" $? "$T/kill.out"
	wait "$D_PID" 2>/dev/null
	D_PID=
	if ! start_daemon --config "$T/tlsrptd.conf"; then
		fail "pass $i: daemon restarts after SIGKILL"
		cat "$T/daemon.log"
		break
	fi
	python3 "$PY" repost --port "$PORT" --ca "$CA" --in "$T/answers.$i" \
	    > "$T/repost.out" 2>&1
	must_status "robust.py repost" $? "$T/repost.out"
	stop_daemon
	acked=$(sed -n 's/^acked=//p' "$T/kill.out")
	killed=$(sed -n 's/^killed=//p' "$T/kill.out")
	lost=$(sed -n 's/^lost=//p' "$T/repost.out")
	failed=$(sed -n 's/^failed=//p' "$T/repost.out")
	ic=$(sql "$T/db" "pragma integrity_check")
	got="killed=$killed lost=$lost failed=$failed missing=$(missing \
	    "$T/answers.$i") twice=$(dups) accepted-twice=$(accepted_twice) \
integrity=$ic"
	want="killed=1 lost=0 failed=0 missing=0 twice=0 accepted-twice=0 \
integrity=ok"
	if [ "$got" = "$want" ] && [ "${acked:-0}" -ge "$k" ]; then
		good=$((good + 1))
		total_acked=$((total_acked + acked))
		pass "pass $i/$N: SIGKILL after $acked acknowledged (of $(wc -l \
		    < "$T/answers.$i") answers): all there once, integrity ok"
	else
		fail "pass $i/$N: SIGKILL after ${acked:-?} acknowledged"
		echo "#   got:  $got"
		echo "#   want: $want"
		sed 's/^/#   /' "$T/kill.out" "$T/repost.out" | head -20
	fi
	i=$((i + 1))
done
check_eq "SIGKILL cycles passed in a row ($total_acked reports acknowledged)" \
    "$good" "$N"
