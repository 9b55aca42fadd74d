#!/bin/sh
# tlsrpt-import --copy-from: a SQLite store (reports, duplicates, the
# quarantine, mail) moved into PostgreSQL gives the same rows and the
# same summary for every domain; a second run copies nothing twice, and a
# later run copies only what is new.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/pg-lib.sh
plan 17
pg_start

imp="$BIN/tlsrpt-import"
sum="$BIN/tlsrpt-summary"
now=2026-03-15T00:00:00Z
old="$T/old.db"

# The old store: the scenario reports, the fixtures twice, the rejected
# ones, and report mails.
mkdir -p "$T/scen"
TLSRPT_TEST_DB=$old must python3 tests/scenarios/summary.py "$BIN" "$T/scen" > /dev/null
"$imp" --received "$FIXTURES_RECEIVED" --db "$old" fixtures/reports/accept \
    fixtures/reports/accept fixtures/reports/reject fixtures/mail \
    > /dev/null 2>&1
uri=$(pg_createdb copy)

# rows DB: one line per payload in order, from either backend, the data
# in lower-case hex.
rows() {
	case $1 in
	postgresql*)
		psql_q copy "select received_at, source, coalesce(path, ''), coalesce(part, ''), coalesce(message_id, ''), encoding, size, outcome, coalesce(reason, ''), encode(data, 'hex') from payload order by id" ;;
	*)
		sql "$1" "select received_at, source, coalesce(path, ''), coalesce(part, ''), coalesce(message_id, ''), encoding, size, outcome, coalesce(reason, ''), lower(hex(data)) from payload order by id" ;;
	esac
}

n=$(sql "$old" "select count(*) from payload")
out=$("$imp" --copy-from "$old" --db "$uri"); rc=$?
check_eq "copy: exit 0" "$rc" 0
check_eq "copy: every payload new" "$(echo "$out" | cut -f3)" \
    "$n of $n payloads new in the postgresql store"
rows "$old" > "$T/old.rows"
rows "$uri" > "$T/new.rows"
check "copy: every payload, its origin, outcome, reason and raw bytes" \
    cmp -s "$T/old.rows" "$T/new.rows"
check_eq "copy: the quarantine" \
    "$(psql_q copy "select count(*) from quarantine")" \
    "$(sql "$old" "select count(*) from quarantine")"
for t in report policy failure; do
	check_eq "copy: the $t rows" "$(psql_q copy "select count(*) from $t")" \
	    "$(sql "$old" "select count(*) from $t")"
done

# The same summary, all domains and each domain, in JSON.
"$sum" --db "$old" --now "$now" --format json > "$T/old.json"
"$sum" --db "$uri" --now "$now" --format json > "$T/new.json"
check "copy: the summary of every domain is the same" cmp -s "$T/old.json" "$T/new.json"
bad=0
for d in $(sql "$old" "select distinct policy_domain from policy where policy_domain <> ''"); do
	"$sum" --db "$old" --now "$now" --domain "$d" --format json > "$T/a"
	"$sum" --db "$uri" --now "$now" --domain "$d" --format json > "$T/b"
	cmp -s "$T/a" "$T/b" || { bad=$((bad + 1)); echo "#   $d differs"; }
done
check_eq "copy: each domain's summary alone is the same" "$bad" 0

# Twice: nothing copied again.
out=$("$imp" --copy-from "$old" --db "$uri"); rc=$?
check_eq "copy again: exit 0, nothing new" "$rc $(echo "$out" | cut -f3)" \
    "0 0 of $n payloads new in the postgresql store"
rows "$uri" > "$T/new.rows"
check "copy again: the rows unchanged" cmp -s "$T/old.rows" "$T/new.rows"

# What arrived since is copied alone.
"$imp" --db "$old" fixtures/reports/accept/plain-rfc.json > /dev/null
printf '{"organization-name":"Late Org","date-range":{"start-datetime":"2026-03-10T00:00:00Z","end-datetime":"2026-03-10T23:59:59Z"},"report-id":"late-1","policies":[{"policy":{"policy-type":"sts","policy-domain":"late.example","policy-string":["version: STSv1","mode: enforce","mx: mx.late.example","max_age: 86400"]},"summary":{"total-successful-session-count":9,"total-failure-session-count":0}}]}' > "$T/late.json"
"$imp" --db "$old" "$T/late.json" > /dev/null
out=$("$imp" --copy-from "$old" --db "$uri"); rc=$?
check_eq "a later copy: only the 2 new payloads" "$rc $(echo "$out" | cut -f3)" \
    "0 2 of $((n + 2)) payloads new in the postgresql store"
rows "$old" > "$T/old.rows"
rows "$uri" > "$T/new.rows"
check "a later copy: the rows the same again" cmp -s "$T/old.rows" "$T/new.rows"
"$sum" --db "$old" --now "$now" --format json > "$T/old.json"
"$sum" --db "$uri" --now "$now" --format json > "$T/new.json"
check "a later copy: the summaries the same" cmp -s "$T/old.json" "$T/new.json"

# Misuse: into SQLite, or from what is not a SQLite store.
"$imp" --copy-from "$old" --db "$T/other.db" > /dev/null 2>&1
check_eq "copy into a SQLite store: exit 64" "$?" 64
"$imp" --copy-from "$T/missing.db" --db "$uri" > /dev/null 2>&1
check_eq "copy from a missing file: exit 66" "$?" 66
check "the missing file was not created" test ! -e "$T/missing.db"
