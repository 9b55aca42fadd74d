#!/bin/sh
# Store failures that pass (doc/http.md): a full disk, a read-only
# store and a locked store. While the disk is full or read-only, the
# spool beside the store cannot take a body either, so the daemon answers
# 503 with Retry-After; while the store is locked it keeps the body in
# the spool (202) and stores it once the lock goes. tlsrpt-import exits
# 75 meanwhile (the MTA defers); nothing acknowledged is lost; once the
# cause goes the same daemon (no restart) stores again. The store lives on a small tmpfs mounted here (root only).
# A file system cannot go read-only under a process that has files open
# on it for writing (EBUSY), so the daemon's read-only case makes its
# writes fail with EROFS through tests/fault-io.c (LD_PRELOAD); the
# import tool meets a real read-only mount.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 31

PY=tests/robust.py
imp="$BIN/tlsrpt-import"
FS="$T/fs"
mkdir -p "$FS"
[ "$(id -u)" -eq 0 ] || skip_rest root "store failures: a tmpfs is mounted"
mount -t tmpfs -o size=4m tmpfs "$FS" 2>/dev/null ||
    skip_rest mount "store failures: cannot mount a tmpfs here"
s_cleanup() {
	if [ -n "$D_PID" ] && kill -0 "$D_PID" 2>/dev/null; then
		kill -KILL "$D_PID" 2>/dev/null
		wait "$D_PID" 2>/dev/null
	fi
	D_PID=
	umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null
	d_cleanup
}
trap s_cleanup EXIT

# The shim, and what the daemon needs to start with it preloaded.
cc -shared -fPIC -O1 -o "$T/fault-io.so" tests/fault-io.c -ldl ||
    fail "fault-io.so builds"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

https_conf "$T/tlsrptd.conf" "$FS/db"

# report ID: a distinct report of a few kB (many failure details) in $T/ID.
report() {
	python3 - "$1" > "$T/$1" <<'EOF'
import json, sys
sys.path.insert(0, "tests")
import robust
r = robust.report(sys.argv[1], 40)
print(json.dumps(r))
EOF
}
send() { post "$T/$1" -H 'Content-Type: application/tlsrpt+json'; }
stored() {
	sql "$FS/db" "select count(*) from report where report_id = '$1'"
}

# start_daemon runs $BIN/tlsrptd: a wrapper there preloads the shim.
mkdir -p "$T/wrap"
cat > "$T/wrap/tlsrptd" <<WRAP
#!/bin/sh
FAULT_IO_FLAG="$T/readonly" FAULT_IO_DIR="$FS" LD_PRELOAD="$T/fault-io.so" \\
    exec "$BIN/tlsrptd" "\$@"
WRAP
chmod +x "$T/wrap/tlsrptd"
real_bin=$BIN
BIN="$T/wrap"
start_daemon --config "$T/tlsrptd.conf" || {
	fail "daemon starts on the tmpfs store"
	cat "$T/daemon.log"
	exit 1
}
BIN=$real_bin
pid0=$D_PID
report first
check_eq "store on a 4 MB tmpfs: 201" "$(send first)" 201

# --- Disk full: post distinct reports until one is refused (the WAL has
# some room of its own at first); every 201 must survive.
dd if=/dev/zero of="$FS/filler" bs=64k 2>/dev/null
: > "$T/acked"
code=
n=0
while [ $n -lt 60 ]; do
	n=$((n + 1))
	report "full-$n"
	code=$(send "full-$n")
	[ "$code" = 201 ] && echo "full-$n" >> "$T/acked"
	[ "$code" = 201 ] || break
done
check_eq "disk full: 503 (after $(wc -l < "$T/acked") that still fit)" "$code" 503
check "disk full: Retry-After" test -n "$(header Retry-After)"
check "disk full: the log says why" grep -q 'deferred.*full' "$T/daemon.log"
report import-full
"$imp" --db "$FS/db" "$T/import-full" > "$T/imp.out" 2>&1
check_eq "disk full: tlsrpt-import exits 75" "$?" 75
code=$(send "full-$n")
check_eq "disk full, again: still 503" "$code" 503
rm -f "$FS/filler"
code=$(send "full-$n")
check_eq "space back: the refused report is taken, 201, no restart" "$code" 201
check_eq "... by the same daemon" "$D_PID" "$pid0"
"$imp" --db "$FS/db" "$T/import-full" > "$T/imp.out" 2>&1
check_eq "space back: tlsrpt-import exits 0" "$?" 0
lost=0
for r in first $(cat "$T/acked"); do
	[ "$(stored "$r")" = 1 ] || lost=$((lost + 1))
done
check_eq "disk full: every acknowledged report stored once" "$lost" 0

# --- Read-only: the daemon's writes fail with EROFS while $T/readonly is
# there (fault-io.so); the import tool meets a real read-only mount.
report ro-1
report ro-2
touch "$T/readonly"
code=$(send ro-1)
check_eq "read-only store: 503" "$code" 503
check "read-only store: Retry-After" test -n "$(header Retry-After)"
code=$(send ro-2)
check_eq "read-only store, again: 503" "$code" 503
check "read-only store: the log says why" \
    grep -q 'deferred.*\(I/O error\|read-only\|readonly\)' "$T/daemon.log"
rm -f "$T/readonly"
check_eq "writable again: 201, no restart" "$(send ro-1) $(send ro-2)" "201 201"
check_eq "... by the same daemon" "$D_PID" "$pid0"
check_eq "read-only: both stored once" "$(stored ro-1) $(stored ro-2)" "1 1"
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0

report import-ro
mount -o remount,ro "$FS"
"$imp" --db "$FS/db" "$T/import-ro" > "$T/imp.out" 2>&1
check_eq "read-only mount: tlsrpt-import exits 75" "$?" 75
mount -o remount,rw "$FS"
"$imp" --db "$FS/db" "$T/import-ro" > "$T/imp.out" 2>&1
check_eq "read-write again: tlsrpt-import exits 0" "$?" 0

# --- Locked: another writer holds the store past the busy timeout (5 s):
# the daemon keeps the body in its spool (202) and the import tool gives
# up (75); neither report is in the store while the lock holds. Once it
# goes, both are, without a restart.
start_daemon --config "$T/tlsrptd.conf" || fail "daemon restarts"
pid0=$D_PID
report lock-1
report import-lock
check "another writer locks the store" lock_store "$FS/db"
"$imp" --db "$FS/db" "$T/import-lock" > "$T/imp.out" 2>&1 &
impid=$!
code=$(send lock-1)
check_eq "locked store: 202, the body kept in the spool" "$code" 202
wait $impid
check_eq "locked store: tlsrpt-import exits 75" "$?" 75
spooled() { ls "$FS/spool" | grep -c '\.spool$'; }
check_eq "locked store, past the busy timeout: neither report stored, one body spooled" \
    "$(stored lock-1) $(stored import-lock) $(spooled)" "0 0 1"
unlock_store
lock_stored() { [ "$(stored lock-1)" = 1 ]; }
check "lock released: the spooled report is stored, no restart" \
    wait_for 20 lock_stored
check_eq "... by the same daemon" "$D_PID" "$pid0"
# The file goes once the report's commit is durable: a moment after.
spool_empty() { [ "$(ls "$FS/spool" | wc -l | tr -d ' ')" = 0 ]; }
check "... and the spool is empty" wait_for 5 spool_empty
"$imp" --db "$FS/db" "$T/import-lock" > "$T/imp.out" 2>&1
check_eq "lock released: tlsrpt-import exits 0, the report stored" \
    "$? $(stored import-lock)" "0 1"
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0

check_eq "no report stored twice" "$(sql "$FS/db" "select count(*) from
    (select 1 from report group by organization_name, report_id,
    start_time, end_time having count(*) > 1)")" 0
check_eq "integrity_check" "$(sql "$FS/db" "pragma integrity_check")" ok
