#!/bin/sh
# What someone with write access to the maildir may leave there. A
# symbolic link in new/ to a report mail outside, or to a secret, is never
# followed: the link itself goes to .Failed, its target untouched and the
# report not stored (before the daemon starts and after). A FIFO in new/
# does not block the watcher: it goes to .Failed unopened, the next mail
# is taken, SIGTERM stops the daemon at once. .Failed, .Failed/new or cur/
# made a link is refused: the daemon does not start, or, made one while
# it runs, takes no mail until it is a folder again; nothing is linked or
# moved through it. tlsrpt-import of a maildir or a folder skips links,
# FIFOs and devices (exit 66, each named on stderr) and reads the rest; a
# link named on its command line is the user's to follow.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 43

PY=tests/robust.py
md="$T/Maildir"
maildir_conf "$md"

# Report mails with report-ids PREFIX-0..: their files end up in $2.
mails() {
	rm -rf "$T/stage"
	mkdir -p "$T/stage/new" "$T/stage/tmp"
	must python3 "$PY" mails --dir "$T/stage" --n "$3" --prefix "$1" > /dev/null
	_i=0
	for _m in "$T/stage/new/"*; do
		mv "$_m" "$2/$1-$_i.eml"
		_i=$((_i + 1))
	done
}
stored() {
	sql "$T/db" "select count(*) from report where report_id like '$1-%'"
}
new_empty() { [ -z "$(ls -A "$md/new")" ]; }

mkdir -p "$md/new" "$md/cur" "$md/tmp" "$T/outside"
mails outside "$T/outside" 3
echo "not to be read" > "$T/secret"
cp -p "$T/outside/outside-0.eml" "$T/outside-0.copy"

# Before the start: a link to a report mail, a link to a secret, a FIFO.
ln -s "$T/outside/outside-0.eml" "$md/new/1700000000.L1.link"
ln -s "$T/secret" "$md/new/1700000000.L2.secret"
mkfifo "$md/new/1700000000.F1.fifo"
mails good "$md/new" 1
must_start "daemon starts" --config "$T/tlsrptd.conf"
check "links and FIFO at start: new/ empties" wait_for 10 new_empty
check_eq "the mail beside them is stored" "$(stored good)" 1
check_eq "the report behind the link is not stored" "$(stored outside)" 0
check "the link is in .Failed, a link still" \
    test -L "$md/.Failed/new/1700000000.L1.link"
check_eq "... to the same target" \
    "$(readlink "$md/.Failed/new/1700000000.L1.link")" "$T/outside/outside-0.eml"
check "its target is untouched" cmp -s "$T/outside/outside-0.eml" "$T/outside-0.copy"
check "the link to the secret is in .Failed" \
    test -L "$md/.Failed/new/1700000000.L2.secret"
check "the FIFO is in .Failed, a FIFO still" \
    test -p "$md/.Failed/new/1700000000.F1.fifo"
check "log: the link set aside unread" grep -q \
    "maildir: $md/new/1700000000.L1.link: a symbolic link: set aside to .Failed unread" \
    "$T/daemon.log"
check "log: the FIFO set aside unread" grep -q \
    "maildir: $md/new/1700000000.F1.fifo: a FIFO: set aside" "$T/daemon.log"
check_eq "the secret never reached the store" \
    "$(sql "$T/db" "select count(*) from payload where cast(data as text) like '%not to be read%'" 2>/dev/null || echo 0)" 0

# After the start: the same, delivered by rename as a mail would be.
ln -s "$T/outside/outside-1.eml" "$md/tmp/1700000001.L3.link"
mv "$md/tmp/1700000001.L3.link" "$md/new/1700000001.L3.link"
mkfifo "$md/new/1700000001.F2.fifo"
mails later "$md/new" 1
check "links and FIFO while running: new/ empties" wait_for 10 new_empty
check_eq "the mail beside them is stored" "$(stored later)" 1
check_eq "the report behind the link is not stored" "$(stored outside)" 0
check "the link is in .Failed, a link still" \
    test -L "$md/.Failed/new/1700000001.L3.link"
check "the FIFO is in .Failed" test -p "$md/.Failed/new/1700000001.F2.fifo"
check "SIGTERM with a FIFO met: stops within 10 s" \
    sh -c "kill -TERM $D_PID; n=0; while kill -0 $D_PID 2>/dev/null; do
	[ \$n -ge 100 ] && exit 1; sleep 0.1; n=\$((n + 1)); done"
wait "$D_PID"
check_eq "... exit 0" "$?" 0
D_PID=

# .Failed/new made a link while the daemon runs: no mail is taken, none
# moved through it; a folder again, the mail is taken.
if ! start_daemon --config "$T/tlsrptd.conf"; then
	fail "daemon restarts"
	exit 1
fi
mkdir "$T/elsewhere"
mv "$md/.Failed/new" "$md/.Failed/new.real"
ln -s "$T/elsewhere" "$md/.Failed/new"
cp fixtures/mail/text-only.eml "$md/tmp/1700000002.T1.text"
mv "$md/tmp/1700000002.T1.text" "$md/new/1700000002.T1.text"
check "log: .Failed/new a link, no mail taken" wait_for 10 grep -q \
    "maildir: $md/.Failed/new: a symbolic link, not a folder: it must be a real folder of the maildir; no mail is taken or moved until it is one" \
    "$T/daemon.log"
sleep 1.5
check "the mail waits in new/" test -f "$md/new/1700000002.T1.text"
check_eq "nothing went through the link" "$(ls -A "$T/elsewhere")" ""
rm "$md/.Failed/new"
mv "$md/.Failed/new.real" "$md/.Failed/new"
check "a folder again: the mail goes to .Failed" \
    wait_for 10 test -f "$md/.Failed/new/1700000002.T1.text"
stop_daemon

# Made a link before the start: the daemon refuses to start, says why.
for f in .Failed .Failed/new cur; do
	m2="$T/M-$(echo "$f" | tr -d ./)"
	mkdir -p "$m2/new" "$m2/tmp" "$m2/.Failed" "$T/away-$(basename "$m2")"
	[ "$f" = cur ] || mkdir -p "$m2/cur"
	[ "$f" = .Failed ] && rmdir "$m2/.Failed"
	ln -s "$T/away-$(basename "$m2")" "$m2/$f"
	mails refused "$m2/new" 1
	: > "$T/daemon.log"
	if start_daemon --config "$T/tlsrptd.conf" --maildir "$m2"; then
		fail "$f a link: the daemon refuses to start"
		stop_daemon
	else
		pass "$f a link: the daemon refuses to start"
	fi
	check "$f a link: says why" grep -q \
	    "maildir: $m2/$f: a symbolic link, not a folder: it must be a real folder of the maildir" \
	    "$T/daemon.log"
	check_eq "$f a link: nothing moved through it" \
	    "$(ls -A "$T/away-$(basename "$m2")") $(ls "$m2/new" | wc -l | tr -d ' ')" " 1"
done

# tlsrpt-import of a maildir and of a folder with links and FIFOs.
im="$T/ImportMaildir"
mkdir -p "$im/new" "$im/cur" "$im/tmp" "$T/folder"
mails imp "$im/new" 1
ln -s "$T/outside/outside-2.eml" "$im/new/link"
mkfifo "$im/cur/fifo"
mails impf "$T/folder" 1
ln -s "$T/secret" "$T/folder/secret"
ln -s "$T/outside/outside-2.eml" "$T/folder/link.eml"
mkfifo "$T/folder/fifo.eml"
out=$(timeout 20 "$BIN/tlsrpt-import" --db "$T/imp.db" "$im" "$T/folder" \
    2>"$T/err"); rc=$?
check_eq "import with links and FIFOs: exit 66, not blocked" "$rc" 66
check_eq "... the regular mails imported" "$(echo "$out" | cut -f1 | sort | tr '\n' ' ')" \
    "accepted accepted "
check_eq "... the report behind the links not stored" \
    "$(sql "$T/imp.db" "select count(*) from report where report_id like 'outside-%'")" 0
for e in "$im/new/link: a symbolic link" "$im/cur/fifo: a FIFO" \
    "$T/folder/secret: a symbolic link" "$T/folder/link.eml: a symbolic link" \
    "$T/folder/fifo.eml: a FIFO"; do
	check "stderr: $(basename "${e%%:*}") named" \
	    grep -qF "tlsrpt-import: $e, skipped (only the regular files of a folder are read, never through a link)" "$T/err"
done
# new/ made a link: no maildir, and its entries are not listed.
im2="$T/LinkedNew"
mkdir -p "$im2/cur" "$im2/tmp"
ln -s "$T/outside" "$im2/new"
out=$(timeout 20 "$BIN/tlsrpt-import" --db "$T/imp.db" "$im2" 2>"$T/err"); rc=$?
check_eq "a maildir whose new/ is a link: nothing read, exit 66" "$out $rc" " 66"
check "... the link named" grep -q "$im2/new: a symbolic link, skipped" "$T/err"
# Named on the command line, a link is followed: the user chose it.
out=$("$BIN/tlsrpt-import" --db "$T/imp.db" "$im/new/link"); rc=$?
check_eq "a link given as INPUT: followed" "$(echo "$out" | cut -f1) $rc" \
    "accepted 0"
# More folders than the import keeps open: the later ones are read from
# their path, still never through a link.
i=0
while [ $i -lt 66 ]; do
	mkdir -p "$T/many/f$i"
	i=$((i + 1))
done
mails many "$T/many/f65" 1
ln -s "$T/outside/outside-2.eml" "$T/many/f65/link.eml"
out=$("$BIN/tlsrpt-import" --db "$T/imp.db" "$T/many/f"* 2>"$T/err"); rc=$?
check_eq "66 folders: the mail of the last one taken, its link skipped" \
    "$(echo "$out" | cut -f1) $rc $(grep -c 'link.eml: a symbolic link, skipped' "$T/err")" \
    "accepted 66 1"
