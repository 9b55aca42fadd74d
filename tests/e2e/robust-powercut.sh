#!/bin/sh
# Durability against a power cut (include/store.h: a put is durable when it
# returns 0, and only then is a report answered 201/200 or a message moved
# to cur/). SIGKILL alone leaves every write in the OS cache, so a missing
# fdatasync goes unseen; here the daemon runs with tests/powercut.c
# preloaded, which keeps beside the store's folder what a power cut would
# leave of it (only what fsync/fdatasync made durable, names only once
# their folder was synced). After SIGKILL the test opens a copy of that
# image, as the disk would be after the cut: it passes integrity_check,
# holds every report acknowledged before the cut, and a daemon started on
# it stores the bodies it had spooled (202) and stores nothing twice.
# Device-mapper (dm-flakey, dm-log-writes) would do this below the file
# system, but needs a kernel with device-mapper, which the test machines
# lack; this runs anywhere, as any user.
#
# Three cuts: over HTTPS on a store closed cleanly, over HTTPS again on
# the store the first cut left (a log to recover), and from the maildir.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh

plan 11
PY=tests/robust.py
STORE="$T/store"
IMG="$T/image"
md="$T/Maildir"
LIB="$BIN/tests/powercut.so"
real_bin=$BIN
# An ASan build (make sanitize) does not mind a library loaded before it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

mkdir -p "$STORE" "$md/new" "$md/cur" "$md/tmp" "$T/stage/new" \
    "$T/stage/tmp" "$T/wrap"
https_conf "$T/https.conf" "$STORE/db"
sed "\$a maildir = $md\\
maildir-rescan = 1s" "$T/https.conf" > "$T/maildir.conf"

# start_daemon runs $BIN/tlsrptd: a wrapper there preloads the library.
cat > "$T/wrap/tlsrptd" <<WRAP
#!/bin/sh
POWERCUT_DIR="$STORE" POWERCUT_IMAGE="$IMG" LD_PRELOAD="$LIB" \\
    exec "$real_bin/tlsrptd" "\$@"
WRAP
chmod +x "$T/wrap/tlsrptd"

# preloaded CONFIG: the daemon on CONFIG, the image starting from the
# store as it is now.
preloaded() {
	rm -rf "$IMG"
	BIN="$T/wrap"
	start_daemon --config "$1"
	rc=$?
	BIN=$real_bin
	return $rc
}

# cut: the daemon gets SIGKILL (unless the client already sent it), and
# the store becomes what the image says a power cut leaves; the real
# files are kept in $T/killed.
cut() {
	kill -KILL "$D_PID" 2>/dev/null
	wait "$D_PID" 2>/dev/null
	D_PID=
	rm -rf "$T/killed" "$T/cut"
	mkdir "$T/cut"
	[ -L "$IMG/tree" ] && cp -RL "$IMG/tree/." "$T/cut/" &&
	    mv "$STORE" "$T/killed" && mv "$T/cut" "$STORE"
}

# missing FILE: how many report ids of FILE (one a line) the store
# lacks; the first few of them go to $T/missing.
missing() {
	{
		echo "create temp table want (id text);"
		sed "s/'/''/g; s/.*/insert into want values ('&');/" "$1"
		echo "select id from want where id not in
		    (select report_id from report);"
	} | sqlite3 -batch -noheader "$STORE/db" > "$T/missing.all" 2>&1
	head -5 "$T/missing.all" | sed 's/^/#   not stored: /' > "$T/missing"
	wc -l < "$T/missing.all" | tr -d ' '
}
twice() {
	sql "$STORE/db" "select count(*) from (select 1 from report group by
	    organization_name, report_id, start_time, end_time
	    having count(*) > 1)"
}
spool_empty() { [ -z "$(ls "$STORE/spool" 2>/dev/null | grep -v '\.bad$')" ]; }

# One clean start and stop makes the store and its spool folder, which
# the image then takes as durable.
if start_daemon --config "$T/https.conf"; then
	stop_daemon
fi

# https_cut NAME: 8 clients post distinct reports; after a random number
# of them were answered 200 or 201, the power goes. Four checks.
https_cut() {
	name=$1
	started=no integrity=- lost=- late=-
	k=$(( $(od -An -N2 -tu2 /dev/urandom) % 300 + 100 ))
	if preloaded "$T/https.conf"; then
		started=yes
		python3 "$PY" ingest-kill --port "$PORT" --ca "$CA" \
		    --clients 8 --prefix "$name" --kill "$D_PID" \
		    --kill-after "$k" --out "$T/answers" > "$T/kill.out" 2>&1
	fi
	acked=$(sed -n 's/^acked=//p' "$T/kill.out" 2>/dev/null)
	if [ $started = yes ] && cut; then
		integrity=$(sql "$STORE/db" "pragma integrity_check")
		awk '$2 == 200 || $2 == 201 { print $1 }' "$T/answers" \
		    > "$T/acked"
		lost=$(missing "$T/acked")
		cp "$T/missing" "$T/lost"
		awk '$2 == 202 { print $1 }' "$T/answers" > "$T/spooled"
		if start_daemon --config "$T/https.conf"; then
			wait_for 20 spool_empty
			stop_daemon
			late="$(missing "$T/spooled") $(twice)"
		fi
	fi
	check_eq "$name: daemon starts with the library preloaded" $started yes
	[ $started = yes ] || cat "$T/daemon.log"
	check_eq "$name: power cut after ${acked:-?} acknowledged: integrity_check" \
	    "$integrity" ok
	check_eq "$name: every report answered 201 or 200 before the cut is stored" \
	    "$lost" 0
	[ "$lost" = 0 ] || cat "$T/lost"
	check_eq "$name: a daemon started on what the cut left stores the bodies answered 202 ($(wc -l < "$T/spooled" 2>/dev/null | tr -d ' ')), none twice" \
	    "$late" "0 0"
}

https_cut cut1
https_cut cut2

# The maildir: 300 report mails land in new/ at once, and the power goes
# once some were moved to cur/. The maildir is not under the cut (its own
# durability is the MTA's); each message in cur/ must have its report in
# the store, or it would never be read again.
python3 "$PY" mails --dir "$T/stage" --n 300 --prefix mail > /dev/null
started=no integrity=- lost=- moved=?
if preloaded "$T/maildir.conf"; then
	started=yes
	k=$(( $(od -An -N2 -tu2 /dev/urandom) % 200 + 30 ))
	python3 "$PY" kill-when --dir "$md/cur" --count $k --pid "$D_PID" \
	    > "$T/kill.out" &
	killer=$!
	sleep 0.2
	mv "$T/stage/new/"* "$md/new/"
	wait $killer
	moved=$(ls "$md/cur" | wc -l | tr -d ' ')
	if cut; then
		integrity=$(sql "$STORE/db" "pragma integrity_check")
		ls "$md/cur" |
		    sed -n 's/^1700000000\.R\([0-9]*\)P.*/mail-\1/p' \
		    > "$T/moved"
		lost="$(missing "$T/moved") of $(wc -l < "$T/moved" | tr -d ' ')"
	fi
fi
check_eq "maildir: daemon starts with the library preloaded" $started yes
[ $started = yes ] || cat "$T/daemon.log"
check_eq "maildir: power cut with $moved messages in cur/: integrity_check" \
    "$integrity" ok
check_eq "maildir: the report of each message in cur/ is stored" \
    "$lost" "0 of $moved"
cat "$T/missing" 2>/dev/null
