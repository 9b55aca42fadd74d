# Helpers for the retention scripts (tests/e2e/retention.sh on SQLite,
# pg-retention.sh on PostgreSQL): sourced after tests/lib.sh and
# tests/daemon-lib.sh, never run.

# rep ARGS...: reports dated from today (tests/e2e/dated-report.py).
rep() { python3 tests/e2e/dated-report.py "$@"; }

# year_store DB DOMAIN AGE_SQL: what a store a year old holds, imported
# into DB. A rejected payload of 40 days ago (imported first, then its
# time set back by AGE_SQL, a command given the SQL: rows are numbered
# as they come), a conflicting pair ended 100 days ago (a copy with no
# failure, then one with 50) and the first copy again (a duplicate
# receipt), a report ended 60 days ago, and two reporters' reports of
# the last ten days: 23 reports, 3 of them older than 30 days, with 4
# payloads.
year_store() {
	head -c 5000 /dev/urandom > "$T/junk.bin"
	"$BIN/tlsrpt-import" --db "$1" "$T/junk.bin" > /dev/null
	$3 "update payload set received_at = received_at - 40 * 86400 where outcome = 'rejected'" > /dev/null
	set -- "$1" "$2" \
	    "$T/pair-a.json" 100 "Old Sender" old-pair 1000 0 "$2" \
	    "$T/pair-b.json" 100 "Old Sender" old-pair 950 50 "$2" \
	    "$T/old60.json" 60 "Other Sender" old-60 500 5 "$2"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		set -- "$@" "$T/recent-a$i.json" "$i" "Old Sender" \
		    "recent-a$i" 1000 0 "$2" "$T/recent-b$i.json" "$i" \
		    "Other Sender" "recent-b$i" 2000 1 "$2"
	done
	ys_db=$1
	shift 2
	rep "$@"
	"$BIN/tlsrpt-import" --db "$ys_db" "$T/pair-a.json" "$T/pair-b.json" \
	    "$T/pair-a.json" "$T/old60.json" "$T"/recent-*.json > /dev/null
}

# retention_daemon DATABASE: tlsrptd over HTTPS ($CA trusted) on
# DATABASE with retention-days = 30; the script ends when it does not
# start.
retention_daemon() {
	https_conf "$T/tlsrptd.conf" "$1" "retention-days = 30"
	must_start "daemon starts" --config "$T/tlsrptd.conf"
}

# passes N: true once the daemon has logged N retention passes.
passes() {
	[ "$(grep -c 'retention: removed' "$T/daemon.log")" -ge "$1" ]
}

# first_pass: the pass at start removed what year_store holds that is
# older than 30 days, and said so.
first_pass() {
	check "at start: a pass" wait_for 10 passes 1
	check "at start: it says what it removed" grep -q \
	    'retention: removed 3 reports and 5 payloads (1 from the quarantine) older than 30 days' \
	    "$T/daemon.log"
}
