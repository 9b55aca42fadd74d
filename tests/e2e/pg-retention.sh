#!/bin/sh
# Junk cannot fill the disk (doc/retention.md), on PostgreSQL: what
# retention.sh checks on SQLite. A 9 MB junk body is kept as its first
# 1 MiB with its size and SHA-256 (also when copied from a SQLite store);
# retention-days = 30 removes at the daemon's start and at a reload the
# reports that ended and the quarantine entries received more than 30
# days ago, a conflicting pair together, leaving the per-day aggregates
# and the recent verdict as they were; tlsrpt-import --prune does the
# same once, and two of them at once remove each row once.
. tests/lib.sh
. tests/daemon-lib.sh
. tests/pg-lib.sh
. tests/retention-lib.sh
plan 24
pg_start

imp="$BIN/tlsrpt-import"
dom=retention.example
now=$(date +%s)
cut="$now - 30 * 86400"
Q_DAILY="select policy_domain, day, organization_name, policy_type, reports, successful, failed from daily order by 1, 2, 3, 4"
uri=$(pg_createdb ret)
q() { psql_q ret "$1"; }

# no_dangling NAME: no row names a report, policy or copy that is gone
# (the schema's references say so too).
no_dangling() {
	check_eq "$1: no row names a row that is gone" \
	    "$(q "select count(*) from report r where first_copy is not null and not exists (select 1 from report f where f.id = r.first_copy); select count(*) from payload where report is not null and report not in (select id from report); select count(*) from policy where report not in (select id from report); select count(*) from failure where policy not in (select id from policy)")" \
	    "$(printf '0\n0\n0\n0')"
}

# A store a year old (tests/retention-lib.sh), then 9 MB of junk.
year_store "$uri" "$dom" q
check_eq "a year's store: 23 reports, the pair conflicting" \
    "$(q "select count(*) || '|' || sum(conflicting) from report")" "23|2"
head -c 9000000 /dev/urandom > "$T/junk9"
"$imp" --db "$uri" "$T/junk9" > /dev/null
check_eq "9 MB of junk: exit 65" "$?" 65
check_eq "9 MB of junk: kept as 1 MiB, its size and SHA-256" \
    "$(q "select q.size || '|' || q.kept || '|' || length(p.data) || '|' || q.sha256 from quarantine q join payload p on p.id = q.payload_id where q.size = 9000000")" \
    "9000000|1048576|1048576|$(sha256sum "$T/junk9" | cut -d' ' -f1)"
check_eq "9 MB of junk: what is kept is its first 1 MiB" \
    "$(q "select encode(sha256(data), 'hex') from payload where size = 9000000")" \
    "$(head -c 1048576 "$T/junk9" | sha256sum | cut -d' ' -f1)"
q "$Q_DAILY" > "$T/daily.before"
"$BIN/tlsrpt-summary" --db "$uri" --now "$now" --format json > "$T/sum.before"

retention_daemon "$uri"
first_pass
check_eq "at start: only the recent reports are left, the junk of now" \
    "$(q "select count(*) from report where end_time < $cut; select count(*) from report; select count(*) from quarantine")" \
    "$(printf '0\n20\n1')"
no_dangling "at start"
q "$Q_DAILY" > "$T/daily.after"
check "at start: the per-day aggregates keep the removed reports" \
    cmp -s "$T/daily.before" "$T/daily.after"
"$BIN/tlsrpt-summary" --db "$uri" --now "$now" --format json > "$T/sum.after"
check "at start: the verdict of the recent window is unchanged" \
    cmp -s "$T/sum.before" "$T/sum.after"

rep "$T/p45-a.json" 45 "Late Sender" late-pair 100 0 "$dom"
rep "$T/p45-b.json" 45 "Late Sender" late-pair 90 10 "$dom"
codes=
for f in p45-a p45-b p45-a; do
	codes="$codes $(post "$T/$f.json" -H 'Content-Type: application/tlsrpt+json')"
done
check_eq "old reports posted now: stored, the pair conflicting" "$codes" \
    " 201 201 200"
kill -HUP "$D_PID"
check "a reload: a pass" wait_for 10 passes 2
check_eq "a reload: the pair and its three payloads are gone" \
    "$(q "select count(*) from report where report_id = 'late-pair'"; grep -c 'retention: removed 2 reports and 3 payloads' "$T/daemon.log")" \
    "$(printf '0\n1')"
no_dangling "a reload"
check "the daemon stops cleanly" stop_daemon

# Two tlsrpt-import --prune at once, as two nodes' passes: each row
# removed once, both exit 0.
set --
for i in $(seq 1 40); do
	set -- "$@" "$T/p200-$i.json" 200 "Ancient Sender" "ancient-$((i % 20))" \
	    10 $((i / 20)) "$dom"
done
rep "$@"
"$imp" --db "$uri" "$T"/p200-*.json > /dev/null
check_eq "40 reports ended 200 days ago, 20 conflicting pairs" \
    "$(q "select count(*) || '|' || sum(conflicting) from report where report_id like 'ancient-%'")" \
    "40|40"
"$imp" --db "$uri" --prune 30 > "$T/prune.1" &
p1=$!
"$imp" --db "$uri" --prune 30 > "$T/prune.2"
rc2=$?
wait $p1
check_eq "two tlsrpt-import --prune at once: both exit 0" "$? $rc2" "0 0"
check_eq "... the 40 reports removed once between them" \
    "$(cat "$T/prune.1" "$T/prune.2" | sed -n 's/.*store	\([0-9]*\) reports.*/\1/p' | awk '{ n += $1 } END { print n }')" 40
check_eq "... only the recent reports are left" \
    "$(q "select count(*) from report where end_time < $cut; select count(*) from report")" \
    "$(printf '0\n20')"
no_dangling "tlsrpt-import --prune"

# A report of more rows than one transaction takes (14,000 failure
# details): its failure details go first, over several transactions.
python3 tests/e2e/dated-report.py --giant "$T/giant.json.gz" 40 14000 "$dom"
"$imp" --db "$uri" "$T/giant.json.gz" > /dev/null
out=$("$imp" --db "$uri" --prune 30)
check "tlsrpt-import --prune: the giant report in 4 or more transactions" \
    sh -c "echo '$out' | grep -q '	1 reports and 1 payloads .*, in \([4-9]\|[1-9][0-9]\) transactions'"
check_eq "... no failure detail of it left" \
    "$(q "select count(*) from failure where length(receiving_mx_hostname) = 253")" 0
no_dangling "the giant report"

# A SQLite store's cut junk copied into PostgreSQL keeps kept and sha256.
"$imp" --db "$T/s.db" "$T/junk9" > /dev/null
uri2=$(pg_createdb copy)
"$imp" --copy-from "$T/s.db" --db "$uri2" > /dev/null
check_eq "copy-from: the cut junk keeps its size, kept and SHA-256" \
    "$(psql_q copy "select size || '|' || kept || '|' || length(data) || '|' || sha256 from payload")" \
    "$(sql "$T/s.db" "select size, kept, length(data), sha256 from payload")"
