#!/bin/sh
# A daemonised tlsrptd writes its pid to its pidfile once forked, holds
# it, and removes it at a clean exit; a second daemon on the same
# pidfile refuses to start, naming the pid of the running one; a pidfile
# left by a daemon that was killed is taken over; the embedded defaults
# keep it in var/. A daemon that gave up root and may not remove the file
# from its folder (/run) empties it, and the next start takes it over.
. tests/lib.sh
. tests/daemon-lib.sh
plan 21

d="$BIN/tlsrptd"
pf="$T/run/tlsrptd.pid"
mkdir -p "$T/run"
https_conf "$T/tlsrptd.conf" "$T/db" "pidfile = $pf"

# daemonised ARGS...: tlsrptd without --foreground on two free loopback
# ports ($PORT, $APIPORT), its stderr in $T/err; the exit status of the
# start (the parent waits until the daemon says how it went).
daemonised() {
	tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		pick_ports
		"$d" --listen "127.0.0.1:$PORT" --api-listen "127.0.0.1:$APIPORT" \
		    "$@" > "$T/out" 2> "$T/err"
		rc=$?
		grep -q "cannot listen" "$T/err" || return $rc
	done
	return $rc
}

# gone PID: the process has ended; a zombie counts, as the daemon's
# parent (it exited at once) is whatever reaps orphans here, if anything.
gone() {
	! kill -0 "$1" 2>/dev/null ||
	    [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}

daemonised --config "$T/tlsrptd.conf"
check_eq "daemonised start: exit 0 once ready" "$?" 0
D_PID=$(cat "$pf" 2>/dev/null)
check "the pidfile names a pid" sh -c "echo '$D_PID' | grep -Eq '^[0-9]+$'"
check "... of a running process" kill -0 "$D_PID"
healthy() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    "http://127.0.0.1:$APIPORT/healthz")" = 200 ] && ours "$APIPORT"
}
check "... the daemon's, which answers /healthz" healthy

first=$D_PID
daemonised --config "$T/tlsrptd.conf"
check_eq "a second daemon on the same pidfile: exit 75" "$?" 75
check_eq "... saying why, with the running pid" "$(cat "$T/err")" \
    "tlsrptd: pidfile $pf: tlsrptd is running already as pid $first; stop it first, or give this one another pidfile"
check_eq "... and leaving the pidfile and the first daemon be" \
    "$(cat "$pf") $(kill -0 "$first" && echo running)" "$first running"

kill -TERM "$D_PID"
check "SIGTERM: the daemon exits" wait_for 20 gone "$D_PID"
check "SIGTERM: the pidfile is removed" test ! -e "$pf"
D_PID=

# A pidfile left by a daemon that was killed: held by nobody, taken over.
daemonised --config "$T/tlsrptd.conf"
rc=$?
D_PID=$(cat "$pf" 2>/dev/null)
# Without these the check after the kill would pass with no daemon and
# no pidfile, both sides empty.
check "a daemon to kill: exit 0, its pid in the pidfile, running" \
    sh -c '[ "$1" = 0 ] && [ -n "$2" ] && kill -0 "$2"' - "$rc" "$D_PID"
kill -KILL "$D_PID"
wait_for 20 gone "$D_PID"
check_eq "SIGKILL: the pidfile stays, naming the dead pid" "$(cat "$pf")" "$D_PID"
dead=$D_PID
daemonised --config "$T/tlsrptd.conf"
check_eq "a stale pidfile: the start goes on" "$?" 0
D_PID=$(cat "$pf" 2>/dev/null)
check "... and writes the new pid over it" test -n "$D_PID" -a "$D_PID" != "$dead"
kill -TERM "$D_PID"
wait_for 20 gone "$D_PID"
D_PID=

# A symbolic link in its place is not followed (a daemon started as root
# writes it, maybe in a folder of the user it becomes).
echo keep > "$T/victim"
ln -s "$T/victim" "$pf"
daemonised --config "$T/tlsrptd.conf"
check_eq "a link in place of the pidfile: exit 71" "$?" 71
check_eq "... saying so, the file it points to untouched" \
    "$(grep -c 'pidfile .*symbolic link' "$T/err") $(cat "$T/victim")" "1 keep"
rm -f "$pf"

# The embedded defaults (no --config): var/tlsrptd.pid beside the store.
mkdir "$T/run-dir"
(cd "$T/run-dir" && daemonised)
check_eq "embedded defaults, daemonised: exit 0" "$?" 0
D_PID=$(cat "$T/run-dir/var/tlsrptd.pid" 2>/dev/null)
check "... the pid in var/tlsrptd.pid" kill -0 "$D_PID"
kill -TERM "$D_PID"
wait_for 20 gone "$D_PID"
check "... removed at SIGTERM" test ! -e "$T/run-dir/var/tlsrptd.pid"
D_PID=

# Root given up: the daemon, now nobody, may not remove the file from
# the folder root made it in: it empties it instead.
if [ "$(id -u)" -ne 0 ] || ! id nobody > /dev/null 2>&1; then
	skip 3 root "not root, or no user nobody: nothing to give up"
	exit 0
fi
# LeakSanitizer cannot stop the threads of a process that gave up root.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
chmod 755 "$T"
mkdir "$T/store"
chown nobody "$T/store"
https_conf "$T/drop.conf" "$T/store/db" "pidfile = $pf
user = nobody"
daemonised --config "$T/drop.conf"
D_PID=$(cat "$pf" 2>/dev/null)
check_eq "as root with user = nobody: started, the pid written" \
    "$(kill -0 "$D_PID" && stat -c %U "/proc/$D_PID")" nobody
kill -TERM "$D_PID"
wait_for 20 gone "$D_PID"
check_eq "SIGTERM as nobody: the pidfile emptied, not removed" \
    "$(test -e "$pf" && wc -c < "$pf")" 0
daemonised --config "$T/drop.conf"
D_PID=$(cat "$pf" 2>/dev/null)
check "... and the next start takes it over" kill -0 "$D_PID"
kill -TERM "$D_PID"
wait_for 20 gone "$D_PID"
D_PID=
