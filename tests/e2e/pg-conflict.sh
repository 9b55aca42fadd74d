#!/bin/sh
# Conflicting copies of one report on PostgreSQL (doc/identity.md): two
# tlsrptd nodes sharing one store take the forged copy and then the real
# one over HTTPS, then both at the same moment for 40 reports (one on
# each node): every copy stored once, every pair marked, one answer of
# each pair naming the conflict. Then tlsrpt-import, --copy-from a SQLite
# store holding conflicting copies (and one made before the digests), and
# a store made before migration 003.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/pg-lib.sh
plan 34
pg_start

imp="$BIN/tlsrpt-import"
must python3 tests/e2e/conflict-reports.py "$T"
id=2026-03-10_conflict.example
org="Big Sender Inc."
q_copies="select count(*), sum(conflicting), count(first_copy) from report where report_id = '$id'"
N=40
uri=$(pg_createdb shared)
make_cert a
CA="$T/a.crt"
mkdir -p "$T/md1/new" "$T/md1/cur" "$T/md1/tmp" "$T/md2/new" "$T/md2/cur" \
    "$T/md2/tmp"

if ! start_daemon --db "$uri" --tls-cert "$T/a.crt" --tls-key "$T/a.key" \
    --maildir "$T/md1"; then
	fail "node 1 starts on PostgreSQL"
	cat "$T/daemon.log"
	exit 1
fi
P1=$D_PID PORT1=$PORT
D_PID=
if ! start_daemon --db "$uri" --tls-cert "$T/a.crt" --tls-key "$T/a.key" \
    --maildir "$T/md2"; then
	kill -KILL "$P1"
	fail "node 2 starts on PostgreSQL"
	cat "$T/daemon.log"
	exit 1
fi
P2=$D_PID PORT2=$PORT
pass "two nodes on one PostgreSQL store"

PORT=$PORT1
code=$(post "$T/forged.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "node 1: the forged copy first: 201" "$code" 201
PORT=$PORT2
code=$(post "$T/real.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "node 2: the real copy with 100 failures: 201" "$code" 201
check "... its body names the conflict" \
    grep -q "^201 accepted: report $id from $org for conflict.example stored; conflicts with an earlier copy of report $id from $org (received 20[0-9-]*T[0-9:]*Z)\$" "$T/body"
check_eq "both copies stored, both marked, one names the first" \
    "$(psql_q shared "$q_copies")" "2|2|1"
check_eq "the real copy's failures are stored" \
    "$(psql_q shared "select sum(f.failed_sessions) from failure f join policy p on p.id = f.policy join report r on r.id = p.report where r.report_id = '$id' and r.first_copy is not null")" 100
code=$(post "$T/forged.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "node 2: the forged copy again: 200" "$code" 200
PORT=$PORT1
code=$(post "$T/real.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "node 1: the real copy gzipped: 200" "$code" 200
code=$(post "$T/real-pretty.json" -H 'Content-Type: application/json')
check_eq "node 1: the real copy in another layout: 200" "$code" 200
check_eq "still two copies" "$(psql_q shared "$q_copies")" "2|2|1"

# Both copies of each report at the same moment, one to each node.
must python3 tests/e2e/conflict-reports.py race "$CA" "$N" "$PORT1" "$PORT2" \
    > "$T/race"
check_eq "race: every copy answered 201" \
    "$(awk '$3 == 201' "$T/race" | wc -l | tr -d ' ')" $((N * 2))
check_eq "race: one answer of each pair names the conflict" \
    "$(awk '$4 == "conflict" { c[$1]++ } END { n = 0; for (i = 0; i < '"$N"'; i++) if (c[i] == 1) n++; print n }' "$T/race")" "$N"
check_eq "race: two copies of each, both marked, one naming the other" \
    "$(psql_q shared "select count(*) from (select report_id from report where report_id like 'race-%' group by 1 having count(*) = 2 and sum(conflicting) = 2 and count(first_copy) = 1 and min(id) = min(first_copy)) x")" "$N"
check_eq "race: every payload accepted, once" \
    "$(psql_q shared "select count(*), count(distinct report) from payload p join report r on r.id = p.report where r.report_id like 'race-%' and p.outcome = 'accepted'")" \
    "$((N * 2))|$((N * 2))"
kill -TERM "$P1"
wait "$P1"
check_eq "node 1 stops cleanly" "$?" 0
stop_daemon
check_eq "node 2 stops cleanly" "$?" 0

# tlsrpt-import into PostgreSQL.
imp_uri=$(pg_createdb imp)
out=$("$imp" --db "$imp_uri" "$T/forged.json" "$T/real.json" \
    "$T/real-pretty.json" "$T/forged.json.gz"); rc=$?
check_eq "import: forged, real, real again, forged again" \
    "$(echo "$out" | cut -f1 | tr '\n' ' ')$rc" "accepted accepted duplicate duplicate 0"
check "import: ... the real copy's line names the conflict" \
    sh -c "echo '$out' | sed -n 2p | grep -q 'conflicts with an earlier copy (received '"
out=$("$imp" --db "$imp_uri" --json "$T/third.json")
check "import --json: a third content has a conflict field" \
    sh -c "echo '$out' | grep -q '\"outcome\":\"accepted\".*\"conflict\":{\"first_copy_received\":'"
check_eq "import: three copies" "$(psql_q imp "$q_copies")" "3|3|2"

# --copy-from a SQLite store with conflicting copies and duplicates:
# the copies stay apart and marked, and a second run adds nothing.
"$imp" --db "$T/src.db" "$T/forged.json" "$T/real.json" \
    "$T/real.json.gz" "$T/forged.json.gz" > /dev/null
copy_uri=$(pg_createdb copy)
out=$("$imp" --db "$copy_uri" --copy-from "$T/src.db"); rc=$?
check_eq "copy: every payload copied, exit 0" "$(echo "$out" | cut -f3) $rc" \
    "4 of 4 payloads new in the postgresql store 0"
check_eq "copy: the two copies, marked" "$(psql_q copy "$q_copies")" "2|2|1"
check_eq "copy: accepted and duplicate receipts as in the source" \
    "$(psql_q copy "select outcome, count(*) from payload group by 1 order by 1" | tr '\n' ' ')" \
    "accepted|2 duplicate|2 "
check_eq "copy: the same digests as the source" \
    "$(psql_q copy "select digest from report order by id")" \
    "$(sql "$T/src.db" "select digest from report order by id")"
out=$("$imp" --db "$copy_uri" --copy-from "$T/src.db"); rc=$?
check_eq "copy again: nothing new" "$(echo "$out" | cut -f3) $rc" \
    "0 of 4 payloads new in the postgresql store 0"
out=$("$imp" --db "$copy_uri" "$T/real-pretty.json")
check_eq "copy: the real copy posted after it is a duplicate" \
    "$(echo "$out" | cut -f1)" duplicate

# A SQLite store made before the digests, copied: their digests are
# taken from the rows on the way, so the same reports are duplicates.
"$imp" --db "$T/old.db" "$T/real.json" fixtures/reports/accept > /dev/null 2>&1
sqlite_before_digests "$T/old.db"
old_uri=$(pg_createdb oldcopy)
"$imp" --db "$old_uri" --copy-from "$T/old.db" > /dev/null; rc=$?
check_eq "copy of a version 6 store: exit 0, digests all taken" \
    "$rc $(psql_q oldcopy "select count(*) from report where digest is null or length(digest) <> 64")" "0 0"
out=$("$imp" --db "$old_uri" "$T/real-pretty.json" fixtures/reports/accept)
check_eq "... the same reports again are duplicates" \
    "$(echo "$out" | grep -v '\.expect	' | cut -f1 | sort -u)" duplicate

# A store made before migration 003: its reports have no digest; a copy
# of one is still a duplicate, another content a conflict.
mig_uri=$(pg_createdb mig)
"$imp" --db "$mig_uri" "$T/real.json" fixtures/reports/accept > /dev/null 2>&1
psql_q mig "drop view quarantine; create view quarantine as select id as payload_id, received_at, source, peer, user_agent, message_id, path, part, size, reason from payload where outcome = 'rejected'; alter table payload drop column kept, drop column sha256; alter table report drop constraint report_copy; alter table report drop column first_copy, drop column conflicting, drop column digest; alter table report add constraint report_identity unique (organization_name, report_id, start_time, end_time); alter table payload drop column dkim_domain; drop table notify_domain, notify_failure, notify_outbox; delete from tlsrpt_schema where version >= 3" > /dev/null
n=$(psql_q mig "select count(*) from report")
out=$("$imp" --db "$mig_uri" "$T/real-pretty.json"); rc=$?
check_eq "version 2 store: migration 003, the real copy again a duplicate" \
    "$(echo "$out" | cut -f1) $rc $(psql_q mig "select count(*) from tlsrpt_schema")" \
    "duplicate 0 $(ls schema/postgresql/*.sql | wc -l)"
check_eq "... its digest kept, the same as a new store's" \
    "$(psql_q mig "select digest from report where report_id = '$id'")" \
    "$(psql_q imp "select digest from report where report_id = '$id' and id = (select min(id) from report where first_copy is not null)")"
check_eq "... the others keep none until a copy comes" \
    "$(psql_q mig "select count(*) from report where digest is null")" $((n - 1))
out=$("$imp" --db "$mig_uri" fixtures/reports/accept)
check_eq "version 2 store: every fixture again is a duplicate" \
    "$(echo "$out" | grep -v '\.expect	' | cut -f1 | sort -u)" duplicate
out=$("$imp" --db "$mig_uri" "$T/forged.json")
check "version 2 store: the forged copy after the real one: a conflict" \
    sh -c "echo '$out' | grep -q '^accepted	.*conflicts with an earlier copy'"
check_eq "version 2 store: two copies, the old one marked" \
    "$(psql_q mig "select count(*), sum(conflicting), sum(case when first_copy is null and digest is not null then 1 else 0 end) from report where report_id = '$id'")" \
    "2|2|1"
