#!/bin/sh
# Durability of the maildir door: 300 report mails land in new/ at once;
# while the watcher works through them it gets SIGKILL (after a random
# number were moved). After a restart new/ empties, every message is in
# cur/ or .Failed exactly once, every report is stored at most once, and
# the database passes PRAGMA integrity_check. The message in hand at the
# kill, if any, is set aside to .Failed (a death while a message is read
# is taken for its fault, doc/maildir.md); every other one is in cur/ and
# stored. ROBUST_PASSES cycles (2; 20 with ROBUST_LONG=1), on the same
# maildir and store.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh

PY=tests/robust.py
N=${ROBUST_PASSES:-2}
[ "${ROBUST_LONG:-0}" = 1 ] && N=20
plan $((N + 3))
M=300
md="$T/Maildir"
maildir_conf "$md"
CA="$T/a.crt"
mkdir -p "$md/new" "$md/cur" "$md/tmp" "$T/stage/new" "$T/stage/tmp"

count() { ls -A "$1" | wc -l | tr -d ' '; }
new_empty() { [ -z "$(ls -A "$md/new")" ]; }
# The messages' unique names in cur/ and .Failed/new, once each.
names_twice() {
	{ ls -A "$md/cur"; ls -A "$md/.Failed/new" 2>/dev/null; } |
	    sed 's/:2,.*//; s/-[0-9]*$//' | sort | uniq -d | wc -l |
	    tr -d ' '
}

good=0
i=1
while [ $i -le "$N" ]; do
	rm -f "$T/stage/new/"*
	must python3 "$PY" mails --dir "$T/stage" --n $M --prefix "m$i" \
	    > /dev/null
	if ! start_daemon --config "$T/tlsrptd.conf"; then
		fail "pass $i: daemon starts"
		cat "$T/daemon.log"
		break
	fi
	before=$(count "$md/cur")
	fbefore=$(count "$md/.Failed/new")
	abefore=$(grep -c "^.*maildir: .*being read when tlsrptd stopped" "$T/daemon.log")
	k=$(( $(od -An -N2 -tu2 /dev/urandom) % 250 + 5 ))
	# Delivered at once, as after a queue run: a rename each.
	python3 "$PY" kill-when --dir "$md/cur" --count $((before + k)) \
	    --pid "$D_PID" > /dev/null &
	killer=$!
	sleep 0.2
	mv "$T/stage/new/"* "$md/new/"
	wait $killer
	must_status "robust.py kill-when" $?
	wait "$D_PID" 2>/dev/null
	D_PID=
	left=$(count "$md/new")
	if ! start_daemon --config "$T/tlsrptd.conf"; then
		fail "pass $i: daemon restarts after SIGKILL"
		cat "$T/daemon.log"
		break
	fi
	wait_for 30 new_empty
	stop_daemon
	failed=$(( $(count "$md/.Failed/new") - fbefore ))
	stored=$(sql "$T/db" "select count(*) from report where report_id like 'm$i-%'")
	# At most the one in hand is set aside, and the log says why; the
	# others are stored, the one set aside too if its commit was made.
	aside=$(( $(grep -c "^.*maildir: .*being read when tlsrptd stopped" "$T/daemon.log") - abefore ))
	[ "$failed" -le 1 ] && [ "$aside" = "$failed" ] &&
	    [ "$stored" -ge $((M - failed)) ] && stored=ok
	got="new=$(count "$md/new") cur+failed=$(( $(count "$md/cur") - before + failed )) \
set-aside=$([ "$failed" -le 1 ] && [ "$aside" = "$failed" ] && echo ok || echo "$failed/$aside") \
twice=$(names_twice) stored=$stored \
distinct=$(sql "$T/db" "select count(*) = count(distinct report_id) from report where report_id like 'm$i-%'") \
integrity=$(sql "$T/db" "pragma integrity_check")"
	want="new=0 cur+failed=$M set-aside=ok twice=0 stored=ok distinct=1 integrity=ok"
	if [ "$got" = "$want" ]; then
		good=$((good + 1))
		pass "pass $i/$N: SIGKILL with $left of $M messages in new/: each moved once, $failed set aside, the others stored"
	else
		fail "pass $i/$N: SIGKILL with $left of $M messages in new/"
		echo "#   got:  $got"
		echo "#   want: $want"
	fi
	i=$((i + 1))
done
check_eq "maildir SIGKILL cycles passed in a row" "$good" "$N"

# The narrowest window: killed between the link into cur/ and the unlink
# from new/, the message is in both. After a restart it is in cur/ once.
rm -f "$T/stage/new/"*
must python3 "$PY" mails --dir "$T/stage" --n 1 --prefix window > /dev/null
f=$(ls "$T/stage/new")
mv "$T/stage/new/$f" "$md/new/$f"
ln "$md/new/$f" "$md/cur/$f:2,S"
before=$(count "$md/cur")
if start_daemon --config "$T/tlsrptd.conf"; then
	check "message in new/ and cur/ after a crash: new/ empties" \
	    wait_for 10 new_empty
	stop_daemon
	check_eq "... and it is in cur/ once" "$(count "$md/cur") $(names_twice)" \
	    "$before 0"
else
	fail "daemon restarts"
fi
