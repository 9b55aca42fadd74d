#!/bin/sh
# MIME bombs, by mail and through the import tool: a mail of 200,000 empty
# MIME parts, one whose Subject is folded over more than 1 MiB of headers,
# and the edges of the part bound (a report and 999 empty parts: 1,000
# parts, taken; a report and 1,000: 1,001, rejected). Each is rejected
# before GMime builds its tree, with a reason naming the limit: the
# watched maildir moves it to .Failed within 30 s and the daemon's peak
# memory (VmHWM) stays under 512 MiB; after a restart nothing is met
# again. tlsrpt-import exits 65 on each, under 256 MiB (/usr/bin/time).
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 23

md="$T/Maildir"
maildir_conf "$md"

# The mails, written as an MTA delivers them: into $T/mails.
mkdir -p "$T/mails"
python3 - "$T/mails" fixtures/mail/report-sts.json.gz <<'EOF'
import base64, os, sys
out, report = sys.argv[1], open(sys.argv[2], "rb").read()
head = (b"From: reports@example.net\r\nTo: tlsrpt@example.com\r\n"
        b"Subject: %s\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=tlsrpt; "
        b"boundary=\"b\"\r\n\r\n")
attach = (b"--b\r\nContent-Type: application/tlsrpt+gzip\r\n"
          b"Content-Disposition: attachment; filename=\"r.json.gz\"\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\n" +
          base64.encodebytes(report).replace(b"\n", b"\r\n"))
def mail(name, empty, subject=b"report", with_report=True):
    with open(os.path.join(out, name), "wb") as f:
        f.write(head % subject)
        if with_report:
            f.write(attach)
        f.write(b"--b\r\n\r\n" * empty)
        f.write(b"--b--\r\n")
mail("bomb", 200000, with_report=False)
mail("parts1000", 999)
mail("parts1001", 1000)
# 1 MiB and more of one folded Subject.
mail("subject", 1, subject=b"x" + b"\r\n y" * 300000)
EOF
check "the bomb is 200,000 parts in about 1 MB" \
    test "$(wc -c < "$T/mails/bomb")" -gt 1000000

# tlsrpt-import: 65 at once, in bounded memory, the limit named.
for m in bomb parts1001 subject; do
	/usr/bin/time -f '%M' -o "$T/rss" timeout 30 "$BIN/tlsrpt-import" \
	    --db "$T/import.db" "$T/mails/$m" > "$T/out.$m" 2>&1
	rc=$?
	check_eq "tlsrpt-import $m: exit 65" "$rc" 65
	kb=$(tail -n 1 "$T/rss")
	check "tlsrpt-import $m: ${kb} KiB at most, under 256 MiB" \
	    test "$kb" -lt 262144
done
check "200,000 parts: rejected, naming the limit" grep -q \
    "^rejected	.*bomb	message with more than 1000 MIME parts, over the limit of 1000" \
    "$T/out.bomb"
check "1,001 parts: rejected, naming the limit" grep -q \
    "^rejected	.*more than 1000 MIME parts, over the limit of 1000" \
    "$T/out.parts1001"
check "folded Subject: rejected, naming the limit" grep -q \
    "^rejected	.*more than 1048576 bytes of headers" "$T/out.subject"
out=$("$BIN/tlsrpt-import" --db "$T/import.db" "$T/mails/parts1000"); rc=$?
check_eq "1,000 parts: the report is taken" "$(echo "$out" | cut -f1) $rc" \
    "accepted 0"

# The daemon, watching the maildir they land in.
mkdir -p "$md/new" "$md/cur" "$md/tmp"
deliver() {
	cp "$T/mails/$1" "$md/tmp/$1"
	mv "$md/tmp/$1" "$md/new/$1"
}
new_empty() { [ -z "$(ls -A "$md/new")" ]; }
must_start "daemon starts" --config "$T/tlsrptd.conf"
for m in bomb parts1000 parts1001 subject; do
	deliver "$m"
done
check "new/ empties within 30 s" wait_for 30 new_empty
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$D_PID/status")
check "the daemon's peak memory: ${hwm} KiB, under 512 MiB" \
    test "${hwm:-999999999}" -lt 524288
for m in bomb parts1001 subject; do
	check "$m: in .Failed" test -f "$md/.Failed/new/$m"
done
check "1,000 parts: in cur/" test -f "$md/cur/parts1000:2,S"
check "log: the part limit named" \
    grep -q 'path=".*new/bomb" outcome="rejected".*more than 1000 MIME parts' \
    "$T/daemon.log"
check "log: the header limit named" \
    grep -q 'path=".*new/subject" outcome="rejected".*more than 1048576 bytes of headers' \
    "$T/daemon.log"
stop_daemon
check_eq "SIGTERM: exit 0" "$?" 0

# A restart meets none of them again.
: > "$T/daemon.log"
if start_daemon --config "$T/tlsrptd.conf"; then
	sleep 2
	check "after a restart: alive" kill -0 "$D_PID"
	check_eq "after a restart: nothing taken again" \
	    "$(grep -c 'source=mail' "$T/daemon.log")" 0
	check_eq "after a restart: .Failed holds the three" \
	    "$(ls -A "$md/.Failed/new" | wc -l | tr -d ' ')" 3
	stop_daemon
else
	fail "daemon restarts"
fi
