#!/bin/sh
# The system call filter of contrib/systemd/tlsrptd.service, with the
# daemon running under it as the unit starts it (as a user, not root):
# the calls of @system-service less @privileged and @resources, read from
# the unit's SystemCallFilter= lines and expanded by systemd-analyze, any
# other call killing the process. The daemon must do all a service does
# under it: take a report over HTTPS and one from its maildir, answer
# the API, reload on SIGHUP and stop cleanly on SIGTERM.
. tests/lib.sh
. tests/daemon-lib.sh
plan 14

unit=contrib/systemd/tlsrptd.service
command -v systemd-analyze > /dev/null 2>&1 ||
    skip_rest seccomp "systemd-analyze is not installed"
python3 -c 'import ctypes.util, sys
sys.exit(ctypes.util.find_library("seccomp") is None)' 2>/dev/null ||
    skip_rest seccomp "no libseccomp"

# expand GROUP: its calls, nested groups expanded.
expand() {
	systemd-analyze syscall-filter "$1" |
	    sed -n 's/^    \([^#].*\)$/\1/p' |
	    while read -r c; do
		case $c in
		@*) expand "$c" ;;
		*) echo "$c" ;;
		esac
	done
}

# The unit's lines: the first names the calls allowed, "~" ones those
# taken away.
: > "$T/allowed"
: > "$T/denied"
sed -n 's/^SystemCallFilter=//p' "$unit" > "$T/lines"
while read -r line; do
	out="$T/allowed"
	case $line in
	"~"*) out="$T/denied"; line=${line#"~"} ;;
	esac
	for g in $line; do
		case $g in
		@*) expand "$g" ;;
		*) echo "$g" ;;
		esac
	done >> "$out"
done < "$T/lines"
sort -u "$T/allowed" > "$T/a"
sort -u "$T/denied" > "$T/d"
comm -23 "$T/a" "$T/d" > "$T/list"
check "the unit's filter allows calls" test -s "$T/list"
check "... and takes setuid, chown, capset and setrlimit away" \
    sh -c "! grep -qx -e setuid -e chown -e capset -e setrlimit '$T/list'"

run=tests/seccomp-run.py
# LeakSanitizer stops the threads at exit with ptrace, a call no service
# needs and the filter does not allow (the sanitizer build).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# The filter bites: a call outside it kills the process with SIGSYS.
echo x > "$T/owned"
python3 "$run" "$T/list" /bin/chown 0 "$T/owned" 2>/dev/null
check_eq "a call outside the list (chown) kills the process: SIGSYS" \
    "$?" $((128 + 31))

# As the unit starts it: as a user (nobody when the suite runs as root),
# in a folder of its own.
svc="$T/svc"
mkdir -p "$svc/Maildir/new" "$svc/Maildir/cur" "$svc/Maildir/tmp"
make_cert a
CA="$T/a.crt"
cp "$T/a.crt" "$T/a.key" "$svc/"
as=
if [ "$(id -u)" -eq 0 ]; then
	as="--user nobody"
	chmod 755 "$T"
	chown -R nobody "$svc"
fi
cat > "$svc/tlsrptd.conf" <<CONF
database = $svc/db
tls-cert = $svc/a.crt
tls-key = $svc/a.key
maildir = $svc/Maildir
maildir-rescan = 1s
CONF
mkdir -p "$T/wrap"
cat > "$T/wrap/tlsrptd" <<WRAP
#!/bin/sh
exec python3 "$TOP/$run" $as "$T/list" "$BIN/tlsrptd" "\$@"
WRAP
chmod +x "$T/wrap/tlsrptd"
real_bin=$BIN
BIN="$T/wrap"
start_daemon --config "$svc/tlsrptd.conf" || {
	fail "the daemon starts under the unit's filter"
	cat "$T/daemon.log"
	exit 1
}
BIN=$real_bin
pass "the daemon starts under the unit's filter"
check_eq "... with the filter in force" \
    "$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$D_PID/status")" 2

check_eq "a report over HTTPS: 201" "$(post fixtures/mail/report-sts.json.gz \
    -H 'Content-Type: application/tlsrpt+gzip')" 201
cp fixtures/mail/two-reports.eml "$svc/Maildir/tmp/1.seccomp"
mv "$svc/Maildir/tmp/1.seccomp" "$svc/Maildir/new/1.seccomp"
check "a report mail: taken from new/ into cur/" \
    wait_for 10 test -e "$svc/Maildir/cur/1.seccomp:2,S"
check_eq "the API: /healthz" "$(api /healthz)" 200
check_eq "the API: /api/v1/domains" "$(api /api/v1/domains)" 200
check_eq "the API: /metrics" "$(api /metrics)" 200
kill -HUP "$D_PID"
check "SIGHUP: reloaded" wait_for 10 grep -q 'info: reloaded$' "$T/daemon.log"
check "... and still running" kill -0 "$D_PID"
stop_daemon
check_eq "SIGTERM: stops cleanly, exit 0" "$?" 0
check_eq "every report in the store (one of the mail's two was posted)" \
    "$(sql "$svc/db" "select outcome, count(*) from payload group by 1")" \
    "accepted|2
duplicate|1"
