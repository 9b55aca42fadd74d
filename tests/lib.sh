# Helpers for the end-to-end scripts: sourced, never run (tests/README
# says how to write a script). A script first says how many checks it
# runs (plan N: "1..N"); each check prints "ok - name" or "not ok - name";
# tests/run.sh fails a script that prints fewer or more than its plan,
# none, or exits non-zero. $O is the build folder; $T a scratch folder
# removed at exit; $SAMPLES the real-world samples when ../shared/samples
# exists, else empty.
O=${O:-build}
BIN=$(cd "$O" && pwd)
TOP=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/tlsrpt-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
SAMPLES=
[ -d ../shared/samples ] && SAMPLES=$(cd ../shared/samples && pwd)
# When fixtures/reports count as received (tlsrpt-import --received): the
# date-range fixtures are written around it (tests/unit/received.h).
FIXTURES_RECEIVED=2026-03-10T00:00:00Z

pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }

# plan N: the number of checks the script runs, before the first one. A
# count that depends on data (the fixtures, the samples found) is counted
# from the inputs first, never from the results.
plan() { echo "1..$1"; }

# skip COUNT FEATURE REASON...: COUNT checks that cannot run here, each
# counted as skipped with the reason. FEATURE is one word (postgresql,
# live, chromium, root, ipv6, samples...): on CI (CI=true) run.sh fails
# the skip of a main feature unless ALLOW_SKIP names it.
skip() {
	skip_n=$1 skip_feature=$2
	shift 2
	while [ "$skip_n" -gt 0 ]; do
		echo "ok # skip $skip_feature: $*"
		skip_n=$((skip_n - 1))
	done
}

# skip_rest FEATURE REASON...: none of the checks left can run here: says
# why and exits 0; run.sh counts what is left of the plan as skipped.
skip_rest() {
	skip_feature=$1
	shift
	echo "# skip rest $skip_feature: $*"
	exit 0
}

# must COMMAND...: a program the checks depend on (a scenario driver such
# as tests/scenarios/summary.py, a client of tests/robust.py) ran to its
# end; an exception or a crash stops the script with status 1, its
# checks not run counted as failed. must_status NAME STATUS [FILE] does
# the same for a status already taken (a job in the background, a pipe's
# first command written to a file first), showing FILE (its output) when
# it failed.
must() {
	"$@"
	must_status "$1 $2" $?
}
must_status() {
	if [ "$2" -ne 0 ]; then
		[ -n "${3:-}" ] && sed 's/^/#   /' "$3" >&2
		echo "# $1 exited with status $2: the script stops here" >&2
		exit 1
	fi
}

# check NAME COMMAND...: ok when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		echo "#   got:  $2"
		echo "#   want: $3"
	fi
}

# sql DB QUERY: one query through the sqlite3 shell.
sql() { sqlite3 -batch -noheader "$1" "$2"; }

# sqlite_before_retention DB: the SQLite store DB as it was before
# migration 010 (version 9: no columns kept and sha256, no index
# payload_report), its rows kept.
sqlite_before_retention() {
	sql "$1" "drop index payload_report; drop view quarantine; create view quarantine as select id as payload_id, received_at, source, peer, user_agent, message_id, path, part, size, reason from payload where outcome = 'rejected'; alter table payload drop column kept; alter table payload drop column sha256; pragma user_version = 9"
}

# sqlite_before_digests DB: the SQLite store DB as it was before migration
# 007 (version 6: no digests, the identity unique, no DKIM domain), its
# rows kept.
sqlite_before_digests() {
	sqlite_before_retention "$1"
	sql "$1" "create table report_old (id INTEGER PRIMARY KEY, organization_name TEXT NOT NULL, report_id TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, contact_info TEXT, received_at INTEGER NOT NULL, UNIQUE (organization_name, report_id, start_time, end_time)); insert into report_old select id, organization_name, report_id, start_time, end_time, contact_info, received_at from report; drop table report; alter table report_old rename to report; alter table payload drop column dkim_domain; drop table notify_domain; drop table notify_failure; drop table notify_outbox; pragma user_version = 6"
}

# lock_store DB: another writer (the sqlite3 shell) takes DB's write lock
# with BEGIN IMMEDIATE and holds it until unlock_store, however long the
# test needs; 1 when it did not get it within 60 s (a writer of the
# daemon's own may hold it a moment).
lock_store() {
	rm -f "$T/locker.in" "$T/locker.out"
	mkfifo "$T/locker.in" || return 1
	sqlite3 -batch "$1" < "$T/locker.in" > "$T/locker.out" 2>&1 &
	LOCKER=$!
	exec 9> "$T/locker.in"
	# Wait out a writer of the daemon's own rather than fail at once.
	echo ".timeout 60000" >&9
	echo "BEGIN IMMEDIATE; SELECT 'locked';" >&9
	n=0
	while [ $n -lt 600 ]; do
		grep -q '^locked$' "$T/locker.out" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# unlock_store: the writer of lock_store commits and exits.
unlock_store() {
	echo "COMMIT;" >&9
	exec 9>&-
	wait "$LOCKER"
}
