#!/bin/sh
# Least privilege (doc/privileges.md): started as root
# with user = nobody, the daemon binds its ports and reads its key as
# root, then runs as nobody with no supplementary groups and no
# capabilities, and still takes reports; what it made before (the store
# and its log, the maildir, a self-signed certificate) is the user's;
# SIGHUP after the drop says why it cannot read a key only root may
# read. Started as root without user, its first log line says so.
# Root without the capabilities to change ids: the start and -n say what
# to do.
. tests/lib.sh
. tests/daemon-lib.sh
plan 41

[ "$(id -u)" -eq 0 ] || skip_rest root "started as a user, nothing to drop"
id nobody > /dev/null 2>&1 || skip_rest root "no user nobody to drop to"
# LeakSanitizer stops the threads of the process it checks at exit with
# ptrace, which a process that gave up root (no longer dumpable) refuses.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

uid=$(id -u nobody)
gid=$(id -g nobody)
chmod 755 "$T"
make_cert a
CA="$T/a.crt"
st="$T/store"
mkdir "$st"
chown nobody "$st"
cat > "$T/tlsrptd.conf" <<CONF
database = $st/db
tls-cert = $T/a.crt
tls-key = $T/a.key
maildir = $st/Maildir
maildir-rescan = 1s
user = nobody
CONF
# field NAME: a line of the daemon's /proc status, blanks squeezed.
field() {
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$D_PID/status" | tr -s ' \t' ' '
}
owner() { stat -c %U "$1"; }

must_start "daemon starts as root with user = nobody" --config "$T/tlsrptd.conf"
check_eq "Uid: nobody (real, effective, saved, fs)" "$(field Uid)" \
    "$uid $uid $uid $uid"
check_eq "Gid: nobody's group" "$(field Gid)" "$gid $gid $gid $gid"
check_eq "no supplementary groups" "$(field Groups)" ""
for c in CapEff CapPrm CapInh CapAmb CapBnd; do
	check_eq "$c: none" "$(field $c)" 0000000000000000
done
check_eq "no new privileges through exec" "$(field NoNewPrivs)" 1
bad=0
for t in /proc/"$D_PID"/task/*; do
	grep -q "^CapEff:[[:space:]]*0000000000000000$" "$t/status" &&
	    grep -q "^Uid:[[:space:]]*$uid[[:space:]]" "$t/status" ||
	    bad=$((bad + 1))
done
check_eq "every thread ($(ls /proc/"$D_PID"/task | wc -l)) as nobody, no capabilities" \
    "$bad" 0
check "the log says who it runs as" \
    grep -q 'info: running as user nobody, group .* without capabilities' \
    "$T/daemon.log"
check "no warning about root" sh -c "! grep -q 'running as root' '$T/daemon.log'"

check_eq "a report over HTTPS: 201" "$(post fixtures/mail/report-sts.json.gz \
    -H 'Content-Type: application/tlsrpt+gzip')" 201
check_eq "... in the store" \
    "$(sql "$st/db" "select count(*) from report")" 1
check_eq "the store and its log belong to nobody" \
    "$(owner "$st/db") $(owner "$st/db-wal") $(owner "$st/db-shm")" \
    "nobody nobody nobody"
check_eq "so does the maildir made at start" \
    "$(owner "$st/Maildir") $(owner "$st/Maildir/.Failed/cur")" \
    "nobody nobody"
cp fixtures/mail/two-reports.eml "$st/Maildir/tmp/1.priv"
mv "$st/Maildir/tmp/1.priv" "$st/Maildir/new/1.priv"
check "a report mail is moved to cur/ as nobody" \
    wait_for 10 test -e "$st/Maildir/cur/1.priv:2,S"

# The key is root's (0600): after the drop a reload cannot read it.
kill -HUP "$D_PID"
check "SIGHUP, key only root may read: the reload says why" \
    wait_for 10 grep -q 'reload: .*a.key: Permission denied: the certificate and key must be readable by user nobody; keeping the certificate in use' "$T/daemon.log"
check_eq "... and the certificate in use stays" \
    "$(post fixtures/mail/report-sts.json.gz \
    -H 'Content-Type: application/tlsrpt+gzip')" 200
chown nobody "$T/a.key"
kill -HUP "$D_PID"
check "the key readable by nobody: reloaded" \
    wait_for 10 grep -q "reload: certificate $T/a.crt loaded" "$T/daemon.log"
chmod 600 "$T/tlsrptd.conf"
kill -HUP "$D_PID"
check "a config file only root may read: the reload says why" \
    wait_for 10 grep -q "reload: $T/tlsrptd.conf: Permission denied: it must be readable by user nobody; keeping the running configuration" "$T/daemon.log"
chmod 644 "$T/tlsrptd.conf"
stop_daemon
check_eq "SIGTERM: exit 0" "$?" 0

# Started as root without user: the first line says so.
: > "$T/daemon.log"
if start_daemon --db "$T/root.db" --tls-cert "$T/a.crt" \
    --tls-key "$T/a.key"; then
	check "root without user: the first log line warns, naming the setting" \
	    sh -c "head -n 1 '$T/daemon.log' | grep -q 'warning: running as root: set user'"
	check_eq "... and it runs as root" "$(field Uid)" "0 0 0 0"
	stop_daemon
else
	fail "daemon starts as root without user"
fi

# --user with the embedded defaults of `make run`: the self-signed
# certificate, its key, the store and the maildir are made as nobody.
mkdir "$T/run"
chown nobody "$T/run"
cd "$T/run" || exit 1
: > "$T/daemon.log"
if start_daemon --user nobody; then
	check_eq "make run's defaults, --user nobody: cert, key, store, maildir are nobody's" \
	    "$(owner var/tls/cert.pem) $(owner var/tls/key.pem) $(owner var/tlsrpt.db) $(owner var/maildir/new)" \
	    "nobody nobody nobody nobody"
	check_eq "... the key for nobody's eyes only" \
	    "$(stat -c %a var/tls/key.pem)" 600
	CA="$T/run/var/tls/cert.pem"
	check_eq "... a report over HTTPS: 201" \
	    "$(post "$TOP/fixtures/mail/report-sts.json.gz" \
	    -H 'Content-Type: application/tlsrpt+gzip')" 201
	kill -HUP "$D_PID"
	check "... SIGHUP reloads the certificate it made" \
	    wait_for 10 grep -q 'reload: certificate var/tls/cert.pem loaded' \
	    "$T/daemon.log"
	stop_daemon
else
	fail "daemon starts on make run's defaults with --user nobody"
	cat "$T/daemon.log"
fi
cd "$TOP" || exit 1

# A store the user cannot write stops the start, naming the user.
mkdir "$T/rootonly"
"$BIN/tlsrpt-import" --db "$T/rootonly/db" fixtures/mail/report-sts.json.gz \
    > /dev/null
"$BIN/tlsrptd" --foreground --listen "" --api-listen "" --maildir "" \
    --db "$T/rootonly/db" --user nobody > /dev/null 2> "$T/ro.err"
rc=$?
# 75 (ERR_BUSY: read-only, may pass), 66 (cannot be opened) or 71 (the
# spool folder beside it cannot be made).
check "a store only root may write, with user = nobody: no start ($rc)" \
    test "$rc" = 75 -o "$rc" = 66 -o "$rc" = 71
check "... naming the user" grep -q 'as user nobody, who runs the daemon' \
    "$T/ro.err"

# Settings that cannot be: exit 78, naming them.
for bad in 'user = no-such-user-tlsrpt|user "no-such-user-tlsrpt": no such user' \
    'user = root|user "root" is root' \
    'group = nogroup|group "nogroup" without a user' \
    'user = nobody
group = no-such-group-tlsrpt|group "no-such-group-tlsrpt": no such group'; do
	printf 'database = %s\n%s\n' "$T/x.db" "${bad%%|*}" > "$T/bad.conf"
	"$BIN/tlsrptd" -n --config "$T/bad.conf" > /dev/null 2> "$T/bad.err"
	rc=$?
	check_eq "$(printf '%s' "${bad%%|*}" | tr '\n' ' '): exit 78" "$rc" 78
	check "... saying: ${bad#*|}" grep -q -- "${bad#*|}" "$T/bad.err"
done

# Root whose CAP_SETUID and CAP_SETGID were taken (a container, a unit's
# CapabilityBoundingSet=): it cannot become the user, and says what to do.
if setpriv --bounding-set -setuid,-setgid true 2> /dev/null; then
	setpriv --bounding-set -setuid,-setgid "$BIN/tlsrptd" --foreground \
	    --listen "" --api-listen "" --maildir "" --db "$T/nocap.db" \
	    --user nobody > /dev/null 2> "$T/nocap.err"
	check_eq "root without CAP_SETUID/CAP_SETGID, user = nobody: exit 71" \
	    "$?" 71
	check "... saying which capabilities, and what to do" grep -q \
	    'Operation not permitted: root without CAP_SETUID and CAP_SETGID .*give them back, or start tlsrptd as user nobody with user unset' \
	    "$T/nocap.err"
	setpriv --bounding-set -setuid,-setgid "$BIN/tlsrptd" -n \
	    --db "$T/nocap.db" --maildir "" --user nobody > /dev/null \
	    2> "$T/nocap-n.err"
	rc=$?
	check "... and so does -n (exit $rc)" sh -c "test $rc = 71 &&
	    grep -q 'give them back' '$T/nocap-n.err'"
else
	skip 3 root "the bounding set cannot be changed here"
fi
