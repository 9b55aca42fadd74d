# Helpers for the end-to-end scripts: sourced, never run.
# Each check prints "ok - name" or "not ok - name" (counted by run.sh).
# $O is the build folder; $T a scratch folder removed at exit; $SAMPLES the
# real-world samples when ../shared/samples exists, else empty.
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
# migration 009 (version 8: no columns kept and sha256, no index
# payload_report), its rows kept.
sqlite_before_retention() {
	sql "$1" "drop index payload_report; drop view quarantine; create view quarantine as select id as payload_id, received_at, source, peer, user_agent, message_id, path, part, size, reason from payload where outcome = 'rejected'; alter table payload drop column kept; alter table payload drop column sha256; pragma user_version = 8"
}

# sqlite_before_digests DB: the SQLite store DB as it was before migration
# 007 (version 6: no digests, the identity unique, no DKIM domain), its
# rows kept.
sqlite_before_digests() {
	sqlite_before_retention "$1"
	sql "$1" "create table report_old (id INTEGER PRIMARY KEY, organization_name TEXT NOT NULL, report_id TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, contact_info TEXT, received_at INTEGER NOT NULL, UNIQUE (organization_name, report_id, start_time, end_time)); insert into report_old select id, organization_name, report_id, start_time, end_time, contact_info, received_at from report; drop table report; alter table report_old rename to report; alter table payload drop column dkim_domain; pragma user_version = 6"
}
