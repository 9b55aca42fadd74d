#!/bin/sh
# A poisoned mail cannot make a crash loop. A mail that kills the daemon
# while it is parsed (tests/fault-crash.c, preloaded: SIGKILL when GMime
# is handed bytes holding a mark) is met again after a restart: at that
# second attempt it is set aside to .Failed unread, the daemon lives on
# and takes the next mail. DIR/tlsrptd-attempt named it in between. Moved
# back to new/ by hand, without the fault, it is taken as any other.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 18

PY=tests/robust.py
md="$T/Maildir"
MARK="X-Fault: crash-the-parser"
cc -shared -fPIC -O1 -o "$T/fault-crash.so" tests/fault-crash.c -ldl ||
    fail "fault-crash.so builds"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
maildir_conf "$md"
mkdir -p "$md/new" "$md/cur" "$md/tmp" "$T/stage/new" "$T/stage/tmp"

# deliver PREFIX [MARK]: one report mail (report-id PREFIX-0), as an MTA
# delivers it; its name is in $name.
deliver() {
	rm -f "$T/stage/new/"*
	must python3 "$PY" mails --dir "$T/stage" --n 1 --prefix "$1" > /dev/null
	name=$(ls "$T/stage/new")
	if [ -n "${2:-}" ]; then
		{ echo "$2"; cat "$T/stage/new/$name"; } > "$md/tmp/$name"
	else
		cp "$T/stage/new/$name" "$md/tmp/$name"
	fi
	mv "$md/tmp/$name" "$md/new/$name"
}
stored() {
	sql "$T/db" "select count(*) from report where report_id = '$1-0'"
}
new_empty() { [ -z "$(ls -A "$md/new")" ]; }
# Gone, or a zombie not yet waited for.
dead() {
	! kill -0 "$D_PID" 2>/dev/null ||
	    grep -q '^State:[[:space:]]*Z' "/proc/$D_PID/status" 2>/dev/null
}
faulty_start() {
	LD_PRELOAD="$T/fault-crash.so" FAULT_CRASH_MARK="$MARK" \
	    start_daemon --config "$T/tlsrptd.conf"
}

if ! faulty_start; then
	fail "daemon starts with the fault preloaded"
	cat "$T/daemon.log"
	exit 1
fi
deliver first
check "a mail without the mark: taken" wait_for 10 new_empty
check_eq "... stored" "$(stored first)" 1

# The poisoned mail: the daemon dies while parsing it.
deliver poison "$MARK"
poison=$name
check "the poisoned mail kills the daemon" wait_for 10 dead
wait "$D_PID"
check_eq "... by SIGKILL" "$?" 137
D_PID=
check "the mail is still in new/" test -f "$md/new/$poison"
check_eq "DIR/tlsrptd-attempt names it" "$(cat "$md/tlsrptd-attempt")" "$poison"

# The second attempt: set aside unread, no second crash.
if ! faulty_start; then
	fail "daemon restarts"
	cat "$T/daemon.log"
	exit 1
fi
check "restart: new/ empties" wait_for 10 new_empty
check "the poisoned mail is in .Failed" test -f "$md/.Failed/new/$poison"
check "the daemon lives on" kill -0 "$D_PID"
check "log: set aside at its second attempt" grep -q \
    "maildir: $md/new/$poison: being read when tlsrptd stopped (a crash, a kill); it is not tried again, so that it cannot stop it twice: set aside to .Failed unread" \
    "$T/daemon.log"
check_eq "the record is empty again" "$(wc -c < "$md/tlsrptd-attempt" | tr -d ' ')" 0
check_eq "the poisoned report is not stored" "$(stored poison)" 0
deliver next
check "the next mail is taken" wait_for 10 new_empty
check_eq "... stored" "$(stored next)" 1
check "... and the daemon still lives" kill -0 "$D_PID"
stop_daemon
check_eq "SIGTERM: exit 0" "$?" 0

# Moved back by hand, without the fault: taken as any mail.
mv "$md/.Failed/new/$poison" "$md/new/$poison"
if start_daemon --config "$T/tlsrptd.conf"; then
	check "moved back to new/: taken" wait_for 10 new_empty
	check_eq "... and stored" "$(stored poison)" 1
	stop_daemon
else
	fail "daemon starts without the fault"
fi
