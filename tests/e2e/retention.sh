#!/bin/sh
# Junk cannot fill the disk (doc/retention.md), on SQLite; PostgreSQL is
# pg-retention.sh.
# - A 9 MB junk body posted over HTTPS is answered 400 and kept as its
#   first 1 MiB, with its size and its SHA-256.
# - retention-days = 30: the daemon removes at start, and at each pass
#   (at a reload, as once a day), the reports that ended more than 30
#   days ago with their policies, failure details and payloads, a
#   conflicting pair together, and the quarantine entries received that
#   long ago; no row names one removed; the per-day aggregates and the
#   verdict of the recent window stay as they were.
# - tlsrpt-import --prune does the same once, on a store no daemon runs on.
. tests/lib.sh
. tests/daemon-lib.sh
. tests/retention-lib.sh
plan 39

imp="$BIN/tlsrpt-import"
db="$T/db"
dom=retention.example
now=$(date +%s)
Q_DAILY="select policy_domain, day, organization_name, policy_type, reports, successful, failed from daily order by 1, 2, 3, 4"
cut="$now - 30 * 86400"

# no_dangling NAME: no row names a row that is gone.
no_dangling() {
	check_eq "$1: foreign_key_check finds nothing" \
	    "$(sql "$db" "pragma foreign_key_check")" ""
	check_eq "$1: every first_copy names a report there" \
	    "$(sql "$db" "select count(*) from report r where first_copy is not null and not exists (select 1 from report f where f.id = r.first_copy)")" 0
	check_eq "$1: every index entry names a policy there" \
	    "$(sql "$db" "select count(*) from policy_by_domain d where not exists (select 1 from policy p where p.id = d.policy)")" 0
}

sql_db() { sql "$db" "$1"; }
year_store "$db" "$dom" sql_db
check_eq "a year's store: 23 reports, the pair conflicting" \
    "$(sql "$db" "select count(*), sum(conflicting) from report")" "23|2"
sql "$db" "$Q_DAILY" > "$T/daily.before"
"$BIN/tlsrpt-summary" --db "$db" --now "$now" --format json \
    > "$T/sum.before"
check "the recent window's verdict is read" \
    grep -q "\"domain\": \"$dom\"" "$T/sum.before"

retention_daemon "$db"
first_pass
check_eq "at start: the reports ended over 30 days ago are gone" \
    "$(sql "$db" "select count(*) from report where end_time < $cut; select count(*) from report where report_id in ('old-pair', 'old-60')")" \
    "$(printf '0\n0')"
check_eq "at start: the conflicting pair went together, their rows too" \
    "$(sql "$db" "select count(*) from payload where report is not null and report not in (select id from report); select count(*) from policy where report not in (select id from report); select count(*) from failure where policy not in (select id from policy)")" \
    "$(printf '0\n0\n0')"
no_dangling "at start"
check_eq "at start: the recent reports stay, with their payloads" \
    "$(sql "$db" "select count(*) from report; select count(*) from payload where outcome = 'accepted'")" \
    "$(printf '20\n20')"
check_eq "at start: the quarantine entry of 40 days ago is gone" \
    "$(sql "$db" "select count(*) from quarantine")" 0
sql "$db" "$Q_DAILY" > "$T/daily.after"
check "at start: the per-day aggregates keep the removed reports" \
    cmp -s "$T/daily.before" "$T/daily.after"
check "... which the aggregates of 100 days ago show" \
    test "$(sql "$db" "select reports || ' ' || failed from daily where day = $now / 86400 - 100")" = "2 50"
"$BIN/tlsrpt-summary" --db "$db" --now "$now" --format json \
    > "$T/sum.after"
check "at start: the verdict of the recent window is unchanged" \
    cmp -s "$T/sum.before" "$T/sum.after"

# Junk: 9 MB of random bytes, not a report: 400, and 1 MiB of it kept.
head -c 9000000 /dev/urandom > "$T/junk9"
code=$(post "$T/junk9" -H 'Content-Type: application/tlsrpt+json')
check_eq "9 MB of junk: 400" "$code" 400
check_eq "9 MB of junk: kept as 1 MiB, its size and SHA-256" \
    "$(sql "$db" "select q.size, q.kept, length(p.data), p.encoding, q.sha256 from quarantine q join payload p on p.id = q.payload_id")" \
    "9000000|1048576|1048576|identity|$(sha256sum "$T/junk9" | cut -d' ' -f1)"
sql "$db" "select writefile('$T/kept', data) from payload where outcome = 'rejected'" > /dev/null
check_eq "9 MB of junk: what is kept is its first 1 MiB" \
    "$(sha256sum < "$T/kept")" "$(head -c 1048576 "$T/junk9" | sha256sum)"
head -c 2000 /dev/zero > "$T/small"
code=$(post "$T/small" -H 'Content-Type: application/tlsrpt+json')
check_eq "2 kB of junk: 400, kept whole (kept NULL) with its SHA-256" \
    "$code $(sql "$db" "select size, kept is null, sha256 from payload where size = 2000")" \
    "400 2000|1|$(sha256sum "$T/small" | cut -d' ' -f1)"

# A pass while the daemon runs: reports dated 45 days ago posted now (a
# conflicting pair, the first copy again) go at the next pass, here
# asked for by a reload; a recent one stays.
rep "$T/p45-a.json" 45 "Late Sender" late-pair 100 0 "$dom"
rep "$T/p45-b.json" 45 "Late Sender" late-pair 90 10 "$dom"
rep "$T/p2.json" 2 "Late Sender" late-recent 100 0 "$dom"
codes=
for f in p45-a p45-b p45-a p2; do
	codes="$codes $(post "$T/$f.json" -H 'Content-Type: application/tlsrpt+json')"
done
check_eq "old reports posted now: stored, the pair conflicting" \
    "$codes $(sql "$db" "select count(*), sum(conflicting) from report where report_id = 'late-pair'")" \
    " 201 201 200 201 2|2"
folded() {
	test "$(sql "$db" "select (select max(id) from report) - report from daily_upto")" = 0
}
check "the daemon folds them into the per-day aggregates" wait_for 10 folded
sql "$db" "$Q_DAILY" > "$T/daily.before"
kill -HUP "$D_PID"
check "a reload: a pass" wait_for 10 passes 2
check "a reload: the pass removed the pair and its three payloads" grep -q \
    'retention: removed 2 reports and 3 payloads (0 from the quarantine)' \
    "$T/daemon.log"
check_eq "a reload: the pair is gone, the recent one and the junk stay" \
    "$(sql "$db" "select count(*) from report where report_id like 'late-%'; select count(*) from quarantine")" \
    "$(printf '1\n2')"
no_dangling "a reload"
sql "$db" "$Q_DAILY" > "$T/daily.after"
check "a reload: the per-day aggregates keep the pair" \
    cmp -s "$T/daily.before" "$T/daily.after"
code=$(post "$T/p45-b.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "a copy of a removed report is new again" "$code" 201
check "the daemon stops cleanly" stop_daemon

# tlsrpt-import --prune, on a store no daemon runs on: the copy posted
# last, a conflicting pair ended 200 days ago, and what still names them.
rep "$T/p200-a.json" 200 "Ancient Sender" ancient 10 0 "$dom"
rep "$T/p200-b.json" 200 "Ancient Sender" ancient 10 1 "$dom"
"$imp" --db "$db" "$T/p200-a.json" "$T/p200-b.json" "$T/p200-b.json" \
    > /dev/null
sql "$db" "$Q_DAILY" > "$T/daily.before"
out=$("$imp" --db "$db" --prune 30)
check_eq "tlsrpt-import --prune 30: exit 0" "$?" 0
check "tlsrpt-import --prune 30: says what it removed" sh -c \
    "echo '$out' | grep -q '^pruned	sqlite store	3 reports and 4 payloads (0 from the quarantine) older than 30 days (before 20'"
check_eq "tlsrpt-import --prune 30: only recent reports are left" \
    "$(sql "$db" "select count(*) from report where end_time < $cut; select count(*) from report")" \
    "$(printf '0\n21')"
no_dangling "tlsrpt-import --prune"
sql "$db" "$Q_DAILY" > "$T/daily.after"
check "tlsrpt-import --prune: the per-day aggregates stay" \
    cmp -s "$T/daily.before" "$T/daily.after"
out=$("$imp" --db "$db" --prune 30)
check "tlsrpt-import --prune again: nothing to remove" sh -c \
    "echo '$out' | grep -q '	0 reports and 0 payloads'"
"$imp" --db "$db" --prune 0 2> "$T/err"
check_eq "tlsrpt-import --prune 0: usage, exit 64" "$?" 64
check "... naming the range" grep -q 'from 1 to 36500' "$T/err"
