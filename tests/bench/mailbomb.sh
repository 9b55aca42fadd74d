#!/bin/sh
# The MIME bombs of tests/e2e/robust-mailbomb.sh at full size, for `make
# bench`: a mail of empty MIME parts as large as the 32 MiB message limit
# allows (about 4.7 million parts), and a Subject folded over 31 MiB.
# For each: tlsrpt-import's exit, wall time and peak memory; then the
# daemon watching a maildir they are delivered to: the time until new/ is
# empty, its peak memory (VmHWM), and, after a restart, that nothing is
# met again. Prints figures, asserts nothing (doc/mail-bounds.md gives
# the bounds; the test checks them at a size CI runs in seconds).
#
#   O=build sh tests/bench/mailbomb.sh
set -u
. tests/lib.sh
. tests/daemon-lib.sh

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

md="$T/Maildir"
maildir_conf "$md"
mkdir -p "$T/mails" "$md/new" "$md/cur" "$md/tmp"
python3 - "$T/mails" <<'EOF'
import os, sys
out, limit = sys.argv[1], 32 * 1024 * 1024 - 4096
head = (b"From: reports@example.net\r\nTo: tlsrpt@example.com\r\n"
        b"Subject: %s\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=tlsrpt; "
        b"boundary=\"b\"\r\n\r\n")
part, tail = b"--b\r\n\r\n", b"--b--\r\n"
with open(os.path.join(out, "parts"), "wb") as f:
    h = head % b"report"
    f.write(h + part * ((limit - len(h) - len(tail)) // len(part)) + tail)
with open(os.path.join(out, "subject"), "wb") as f:
    fold = b"\r\n y"
    f.write(head % (b"x" + fold * ((limit - 1024) // len(fold))) + tail)
EOF

echo "MIME bombs at the 32 MiB message limit"
for m in parts subject; do
	size=$(wc -c < "$T/mails/$m")
	t0=$(now)
	/usr/bin/time -f '%M' -o "$T/rss" "$BIN/tlsrpt-import" \
	    --db "$T/import.db" "$T/mails/$m" > "$T/out" 2>&1
	rc=$?
	t1=$(now)
	printf '  tlsrpt-import %-8s %9d bytes: exit %d, %s s, %s KiB peak\n' \
	    "$m" "$size" "$rc" "$(calc "$t1 - $t0")" "$(tail -n 1 "$T/rss")"
	printf '    %s\n' "$(cut -f3- "$T/out" | head -n 1)"
done

new_empty() { [ -z "$(ls -A "$md/new")" ]; }
if ! start_daemon --config "$T/tlsrptd.conf"; then
	echo "# the daemon did not start:" >&2
	cat "$T/daemon.log" >&2
	exit 1
fi
t0=$(now)
for m in parts subject; do
	cp "$T/mails/$m" "$md/tmp/$m"
	mv "$md/tmp/$m" "$md/new/$m"
done
wait_for 120 new_empty
t1=$(now)
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$D_PID/status")
printf '  tlsrptd: both out of new/ in %s s (rescan 1 s), %s in .Failed, VmHWM %s KiB\n' \
    "$(calc "$t1 - $t0")" "$(ls -A "$md/.Failed/new" 2>/dev/null | wc -l)" "$hwm"
stop_daemon
: > "$T/daemon.log"
if start_daemon --config "$T/tlsrptd.conf"; then
	sleep 3
	alive=no
	kill -0 "$D_PID" 2>/dev/null && alive=yes
	printf '  after a restart: alive %s, mails taken again %d\n' "$alive" \
	    "$(grep -c 'source=mail' "$T/daemon.log")"
	stop_daemon
fi
