#!/bin/sh
# The per-day aggregates (table daily, migration 002), kept with upserts
# in each accepted report's transaction: on both backends they equal a
# GROUP BY over the policy rows after imports (batches of many reports
# adding to the same rows), after the same reports again (duplicates add
# nothing), after tlsrpt-import --copy-from (into an empty store, again,
# and into a store holding the same reports), and, on SQLite, after the
# migration of a store made before the table existed, and in the daemon,
# which folds them in off the answer's path (migration 004).
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/pg-lib.sh
plan 36

imp="$BIN/tlsrpt-import"
now=2026-03-15T00:00:00Z
Q_DAILY="select policy_domain, day, organization_name, policy_type, reports, successful, failed from daily order by 1, 2, 3, 4"
Q_GROUP="select policy_domain, start_time / 86400, organization_name, policy_type, count(distinct report), sum(successful), sum(failed) from policy group by 1, 2, 3, 4 order by 1, 2, 3, 4"
# same_sqlite NAME DB / same_pg NAME DBNAME: daily = the GROUP BY.
same_sqlite() {
	sql "$2" "$Q_DAILY" > "$T/daily"
	sql "$2" "$Q_GROUP" > "$T/group"
	check "$1" sh -c "[ -s '$T/daily' ] && cmp -s '$T/daily' '$T/group'"
}
same_pg() {
	psql_q "$2" "$Q_DAILY" > "$T/daily"
	psql_q "$2" "$Q_GROUP" > "$T/group"
	check "$1" sh -c "[ -s '$T/daily' ] && cmp -s '$T/daily' '$T/group'"
}

# SQLite: the scenario reports (many reports of one domain, day and
# reporter), the fixtures, then all of them again.
db="$T/a.db"
mkdir -p "$T/scen"
TLSRPT_TEST_DB=$db must python3 tests/scenarios/summary.py "$BIN" "$T/scen" > /dev/null
"$imp" --db "$db" fixtures/reports/accept fixtures/mail > /dev/null 2>&1
same_sqlite "sqlite: daily = GROUP BY of the policies after imports" "$db"
check "sqlite: some rows add up several reports" \
    test "$(sql "$db" "select count(*) from daily where reports > 1")" -gt 0
cp "$T/daily" "$T/daily.before"
"$BIN/tlsrpt-summary" --db "$db" --now "$now" --format json > "$T/sum.before"
acc=$(sql "$db" "select count(*) from payload where outcome = 'accepted'")
"$imp" --db "$db" fixtures/reports/accept fixtures/mail > /dev/null 2>&1
check_eq "sqlite: the same reports again are duplicates only" \
    "$(sql "$db" "select count(*) from payload where outcome = 'accepted'")" "$acc"
same_sqlite "sqlite: daily = GROUP BY after the duplicates" "$db"
check "sqlite: duplicates not counted twice" cmp -s "$T/daily" "$T/daily.before"
# A store from before migration 002: the migration fills the table. It
# held one copy of each report (identity), as before migration 007: the
# scenarios' later conflicting copy is left out.
cp "$db" "$T/old.db"
later="select id from report where first_copy is not null"
sql "$T/old.db" "delete from failure where policy in (select id from policy where report in ($later)); delete from payload where report in ($later); delete from policy_by_domain where policy in (select id from policy where report in ($later)); delete from policy where report in ($later); delete from report where id in ($later); update report set conflicting = 0" > /dev/null
"$BIN/tlsrpt-summary" --db "$T/old.db" --now "$now" --format json > "$T/sum.one"
sqlite_before_retention "$T/old.db"
sql "$T/old.db" "drop view domain_policies; drop table policy_by_domain; create index policy_domain on policy (policy_domain, end_time); drop table daily; drop table daily_upto; alter table payload drop column dkim_domain; drop table notify_domain; drop table notify_failure; drop table notify_outbox; pragma user_version = 1" > /dev/null
"$BIN/tlsrpt-summary" --db "$T/old.db" --now "$now" --format json > "$T/sum.old"
newest=$(ls schema/sqlite | sed -n 's/^0*\([0-9][0-9]*\)-.*/\1/p' | sort -n | tail -n 1)
check_eq "sqlite: migrations 002 to $newest applied to an older store" \
    "$(sql "$T/old.db" "pragma user_version")" "$newest"
same_sqlite "sqlite: ... and fill daily from the reports stored" "$T/old.db"
# A store made by migrations 001 and 002 alone: 003 keeps its aggregates
# in a WITHOUT ROWID table and drops the index nothing reads.
cat schema/sqlite/001-initial.sql schema/sqlite/002-daily.sql |
    sqlite3 -batch "$T/v2.db" > /dev/null
sql "$T/v2.db" "pragma user_version = 2" > /dev/null
"$imp" --db "$T/v2.db" fixtures/reports/accept > /dev/null 2>&1
check_eq "sqlite: migrations 003 to $newest applied to a version 2 store" \
    "$(sql "$T/v2.db" "pragma user_version")" "$newest"
check_eq "sqlite: daily is a WITHOUT ROWID table, report_end is gone" \
    "$(sql "$T/v2.db" "select count(*) from sqlite_schema where name = 'report_end'; select count(*) from sqlite_schema where name = 'daily' and sql like '%WITHOUT ROWID%'")" \
    "$(printf '0\n1')"
same_sqlite "sqlite: daily = GROUP BY in the migrated store" "$T/v2.db"
check "sqlite: the summary JSON is the same with the table" \
    cmp -s "$T/sum.old" "$T/sum.one"

# The daemon answers before it folds: the aggregates catch up once
# nothing has come for a moment, and are whole when it stops.
https_conf "$T/tlsrptd.conf" "$T/d.db"
folded() {
	test "$(sql "$T/d.db" "select (select max(id) from report) - report from daily_upto")" = 0
}
if start_daemon --config "$T/tlsrptd.conf"; then
	answers=
	for f in fixtures/reports/accept/*.json fixtures/reports/accept/*.json; do
		answers="$answers $(post "$f" -H 'Content-Type: application/tlsrpt+json')"
	done
	check_eq "daemon: every post answered 201 or 200" \
	    "$(echo $answers | tr ' ' '\n' | grep -cv '^20[01]$')" 0
	check "daemon: the aggregates catch up while it runs" wait_for 10 folded
	same_sqlite "daemon: daily = GROUP BY while it runs" "$T/d.db"
	for f in fixtures/reports/accept/*.json; do
		post "$f" -H 'Content-Type: application/tlsrpt+json' > /dev/null
	done
	check "daemon: stops cleanly" stop_daemon
	check "daemon: the aggregates are whole when it stops" folded
	same_sqlite "daemon: daily = GROUP BY after it stops" "$T/d.db"
else
	fail "daemon: starts"
fi
# The reports not folded yet are read all the same (through the policy
# rows): the summary of the store with its fold undone, as after a crash
# before any fold, is the summary of the folded store.
"$BIN/tlsrpt-summary" --db "$T/d.db" --now "$now" --format json > "$T/sum.folded"
sql "$T/d.db" "UPDATE daily_upto SET report = 0; DELETE FROM policy_by_domain; DELETE FROM daily" > /dev/null
"$BIN/tlsrpt-summary" --db "$T/d.db" --now "$now" --format json > "$T/sum.unfolded"
check "sqlite: the summary names the domains posted" \
    grep -q '"domain": "example.com"' "$T/sum.folded"
check "sqlite: reports not folded yet are read all the same" \
    cmp -s "$T/sum.folded" "$T/sum.unfolded"
# rebuilt_as_said NAME DAMAGE WHY REBUILD: the fold's progress damaged by
# hand (SQL DAMAGE) in $T/d.db: a put of a report new to the store fails
# (a duplicate stores nothing to fold), saying WHY and the SQL that
# rebuilds (REBUILD); run as given, the same put leaves daily = the
# GROUP BY.
rebuilt_as_said() {
	sed "s/_plain-rfc\"/_plain-rfc-$(echo "$1" | tr -c 'a-z\n' -)\"/" \
	    fixtures/reports/accept/plain-rfc.json > "$T/new.json"
	sql "$T/d.db" "$2" > /dev/null
	"$imp" --db "$T/d.db" "$T/new.json" > "$T/imp.out" 2>&1
	check "sqlite: $1: a put fails and says how to rebuild" \
	    grep -q "$3.*$4" "$T/imp.out"
	sql "$T/d.db" "$4" > /dev/null
	"$imp" --db "$T/d.db" "$T/new.json" > /dev/null 2>&1
	same_sqlite "sqlite: $1: once rebuilt as it says, daily = GROUP BY" "$T/d.db"
}
rebuilt_as_said "daily_upto without its row" "delete from daily_upto" \
    "daily_upto has no row" \
    "DELETE FROM daily; DELETE FROM policy_by_domain; INSERT INTO daily_upto (report) VALUES (0)"
rebuilt_as_said "partial_to without partial_domain" \
    "UPDATE daily_upto SET partial_to = 1" \
    "daily_upto has one of partial_to and partial_domain without the other" \
    "DELETE FROM daily; DELETE FROM policy_by_domain; UPDATE daily_upto SET report = 0, partial_to = NULL, partial_domain = NULL"

pg_start
# PostgreSQL: the same imports, then again.
uri=$(pg_createdb imp)
"$imp" --db "$uri" fixtures/reports/accept fixtures/mail "$T/scen" > /dev/null 2>&1
same_pg "postgresql: daily = GROUP BY of the policies after imports" imp
check "postgresql: some rows add up several reports" \
    test "$(psql_q imp "select count(*) from daily where reports > 1")" -gt 0
cp "$T/daily" "$T/daily.pg"
acc=$(psql_q imp "select count(*) from payload where outcome = 'accepted'")
"$imp" --db "$uri" fixtures/reports/accept fixtures/mail "$T/scen" > /dev/null 2>&1
check_eq "postgresql: the same reports again are duplicates only" \
    "$(psql_q imp "select count(*) from payload where outcome = 'accepted'")" "$acc"
same_pg "postgresql: daily = GROUP BY after the duplicates" imp
check "postgresql: duplicates not counted twice" cmp -s "$T/daily" "$T/daily.pg"
# One by one (a transaction each, not a batch).
one=$(pg_createdb one)
for f in fixtures/reports/accept/*.json; do
	"$imp" --db "$one" "$f" > /dev/null 2>&1
done
"$imp" --db "$one" fixtures/reports/accept/plain-rfc.json > /dev/null 2>&1
same_pg "postgresql: daily = GROUP BY after reports one at a time" one

# The copy fills them too: into an empty store, a second time (nothing
# new), and into a store that holds the same reports (duplicates).
cp_=$(pg_createdb copied)
"$imp" --copy-from "$db" --db "$cp_" > /dev/null
same_pg "copy-from: daily = GROUP BY in the copy" copied
check "copy-from: the same aggregates as the SQLite store's" \
    cmp -s "$T/daily" "$T/daily.before"
"$imp" --copy-from "$db" --db "$cp_" > /dev/null
same_pg "copy-from again: nothing counted twice" copied
check "copy-from again: the same aggregates" cmp -s "$T/daily" "$T/daily.before"
# imp holds the fixtures and mails of the SQLite store (not its
# scenario reports, stored there directly): those are duplicates.
"$imp" --copy-from "$db" --db "$uri" > /dev/null
same_pg "copy-from into a store holding some of the reports: daily = GROUP BY" imp
check_eq "... each copy of a report once" \
    "$(psql_q imp "select count(*) from report")" \
    "$(psql_q imp "select count(distinct (organization_name, report_id, start_time, end_time, digest)) from report")"
"$BIN/tlsrpt-summary" --db "$cp_" --now "$now" --format json > "$T/sum.pg"
check "postgresql: the summary JSON as SQLite's" cmp -s "$T/sum.pg" "$T/sum.before"
