#!/bin/sh
# The store suite on PostgreSQL, in a throwaway cluster: the shared unit
# suite (t-store), the fixture import checks, the readiness scenarios,
# the same summary from both backends byte for byte in every format, and
# the exit codes while the server is down.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/pg-lib.sh
# The unit tests' suites, summary.py's scenarios, and the checks here.
plan $(($("$BIN/tests/t-store" --plan-postgresql) + \
    $("$BIN/tests/t-store_reader" --plan-postgresql) + \
    $(python3 tests/scenarios/summary.py --plan) + 30))
pg_start

imp="$BIN/tlsrpt-import"
sum="$BIN/tlsrpt-summary"
now=2026-03-15T00:00:00Z

# unit_on_pg TEST DB LINE: a unit test's PostgreSQL suite in a new
# database DB, its checks counted here (TEST --plan-postgresql says how
# many); LINE a check it must have passed.
unit_on_pg() {
	uri=$(pg_createdb "$2")
	TLSRPT_TEST_PG=$uri "$BIN/tests/$1" > "$T/$1.out" 2>&1
	rc=$?
	grep -e '^ok [0-9]* - postgresql: ' -e '^not ok [0-9]* - postgresql: ' "$T/$1.out" | sed 's/^ok [0-9]* - /ok - /; s/^not ok [0-9]* - /not ok - /'
	check_eq "$1 on PostgreSQL exits 0, its plan whole" \
	    "$rc $(sed -n 's/^1\.\.//p' "$T/$1.out")" \
	    "0 $(grep -c '^\(not \)\{0,1\}ok ' "$T/$1.out")"
	# What made it fail when no PostgreSQL check did: its other lines.
	[ "$rc" = 0 ] || grep -v -e '^ok ' -e '^1\.\.' "$T/$1.out" |
	    tail -n 20 | sed 's/^/# /'
	check "$1 ran the PostgreSQL suite" grep -q "^ok.*postgresql: $3" "$T/$1.out"
}

# The shared store suite, through the store's interface; the readers and
# the paged list of domains, through the same.
unit_on_pg t-store unit 'every report once'
unit_on_pg t-store_reader readers 'pages of 7'
n=$(psql_q unit "select count(*) from tlsrpt_schema")
check_eq "migrations recorded once" "$n" \
    "$(ls schema/postgresql/*.sql | wc -l)"

# Every tolerated fixture is accepted; again, every one is a duplicate.
uri=$(pg_createdb accept)
bad=0
for f in fixtures/reports/accept/*; do
	case $f in *.expect) continue ;; esac
	out=$("$imp" --received "$FIXTURES_RECEIVED" --db "$uri" "$f"); rc=$?
	if [ "$(echo "$out" | cut -f1)" != accepted ] || [ $rc -ne 0 ]; then
		bad=$((bad + 1))
		echo "#   $f: $out (exit $rc)"
	fi
done
check_eq "every accept fixture accepted, exit 0" "$bad" 0
mkdir "$T/folder"
for f in fixtures/reports/accept/*; do
	case $f in *.expect) ;; *) cp "$f" "$T/folder/" ;; esac
done
out=$("$imp" --received "$FIXTURES_RECEIVED" --db "$uri" "$T/folder"); rc=$?
check_eq "the folder again: every report a duplicate (exit $rc)" \
    "$(echo "$out" | cut -f1 | sort -u)" duplicate
check_eq "the duplicate is stored once" \
    "$(psql_q accept "select count(*) from report where report_id = '2026-03-01T00:00:00Z_example.com_plain-rfc' and organization_name = 'Example Mail Ltd.'")" 1
check_eq "the receipts of the duplicates are kept" \
    "$(psql_q accept "select count(*) from payload where outcome = 'duplicate'")" \
    "$(ls fixtures/reports/accept | grep -vc '\.expect$')"

# Every rejection: the message of the .expect, exit 65, the quarantine.
uri=$(pg_createdb reject)
bad=0
for f in fixtures/reports/reject/*; do
	case $f in *.expect) continue ;; esac
	out=$("$imp" --received "$FIXTURES_RECEIVED" --db "$uri" "$f"); rc=$?
	want="rejected	$f	$(sed 's/^error: //' "$f.expect")"
	q=$(psql_q reject "select count(*) from quarantine where path = '$f'")
	if [ "$out" != "$want" ] || [ $rc -ne 65 ] || [ "$q" != 1 ]; then
		bad=$((bad + 1))
		echo "#   $f: $out (exit $rc, quarantined $q)"
	fi
done
check_eq "every reject fixture rejected, exit 65, kept in quarantine" "$bad" 0
check_eq "nothing rejected became a report" \
    "$(psql_q reject "select count(*) from report")" 0
f=fixtures/reports/reject/count-negative.json
psql_q reject "select encode(data, 'hex') from payload where path = '$f'" > "$T/raw.hex"
python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.decompress(bytes.fromhex(open(sys.argv[1]).read().strip())))' "$T/raw.hex" > "$T/raw"
check "the quarantined payload is the file, byte for byte" cmp -s "$T/raw" "$f"
f=fixtures/reports/reject/gzip-corrupt.json.gz
psql_q reject "select encode(data, 'hex') from payload where path = '$f'" > "$T/raw.hex"
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read().strip()))' "$T/raw.hex" > "$T/raw"
check "a quarantined gzip payload is kept as sent" cmp -s "$T/raw" "$f"

# The quarantine seen and parsed again (tlsrpt-import --quarantine).
nrej=$(psql_q reject "select count(*) from quarantine")
"$imp" --db "$uri" --quarantine > "$T/q.list"
rc=$?
check_eq "--quarantine on PostgreSQL: a line per rejected payload, exit 0" \
    "$rc $(wc -l < "$T/q.list")" "0 $nrej"
neg=$(grep '	file fixtures/reports/reject/count-negative.json	' "$T/q.list" | cut -f1)
"$imp" --db "$uri" --quarantine --retry "$neg" > "$T/q.retry"
rc=$?
check_eq "--retry ID on PostgreSQL: a parser's rejection stays, exit 65" \
    "$rc $(cut -f1,2 "$T/q.retry")" "65 rejected	#$neg"
gzip -c fixtures/reports/accept/plain-rfc.json > "$T/plain.json.gz"
printf 'max-inflate-ratio = 1\n' > "$T/ratio.conf"
"$imp" --db "$uri" --config "$T/ratio.conf" "$T/plain.json.gz" > /dev/null
gz=$("$imp" --db "$uri" --quarantine --json | python3 -c '
import json, sys
print([r["id"] for r in map(json.loads, sys.stdin) if r.get("path", "").endswith("plain.json.gz")][0])')
"$imp" --db "$uri" --quarantine --retry "$gz" > "$T/q.retry"
rc=$?
check_eq "--retry on PostgreSQL: the limit lifted, the report is accepted" \
    "$(cut -f1,2 "$T/q.retry") $rc" "accepted	#$gz 0"
check_eq "... and its row is its payload, out of the quarantine" \
    "$(psql_q reject "select outcome, report is not null from payload where id = $gz")" \
    "accepted|t"
head -c 1500000 /dev/zero | tr '\0' j | "$imp" --db "$uri" - > /dev/null
"$imp" --db "$uri" --quarantine --retry > "$T/q.retry"
check_eq "--retry of every row on PostgreSQL: exit 65, a line each" \
    "$? $(wc -l < "$T/q.retry")" "65 $((nrej + 1))"
check "... a cut payload cannot be parsed again" \
    grep -q '^rejected	#[0-9]*	cannot be parsed again: only the first 1048576 of its 1500000 bytes' "$T/q.retry"

# Standard input, as an MTA pipe gives it.
out=$("$imp" --db "$uri" - < fixtures/reports/accept/gzip.json.gz); rc=$?
check_eq "stdin: accepted, exit 0" "$(echo "$out" | cut -f1) $rc" "accepted 0"
out=$("$imp" --db "$uri" - < fixtures/reports/accept/gzip.json.gz); rc=$?
check_eq "stdin again: duplicate, exit 0" "$(echo "$out" | cut -f1) $rc" "duplicate 0"

# The readiness scenarios on PostgreSQL, then the same reports in SQLite:
# every format of the summary byte for byte the same.
uri=$(pg_createdb scenarios)
mkdir -p "$T/scen"
# Its lines named for the backend; its status taken before the names
# are added (a pipe would hide it).
TLSRPT_TEST_DB=$uri python3 tests/scenarios/summary.py "$BIN" "$T/scen" \
    > "$T/scen.out"
rc=$?
sed 's/^ok - /ok - postgresql: /; s/^not ok - /not ok - postgresql: /' \
    "$T/scen.out"
must_status tests/scenarios/summary.py $rc
"$imp" --db "$T/scen.db" "$T/scen/reports" > /dev/null
"$imp" --db "$T/scen.db" "$T/scen/late" > /dev/null
for fmt in json text csv html; do
	"$sum" --db "$uri" --now "$now" --format "$fmt" > "$T/pg.$fmt"
	rc1=$?
	"$sum" --db "$T/scen.db" --now "$now" --format "$fmt" > "$T/sq.$fmt"
	rc2=$?
	check "summary --format $fmt: the same on both backends (exit $rc1)" \
	    sh -c "[ $rc1 = $rc2 ] && [ -s '$T/pg.$fmt' ] && cmp -s '$T/pg.$fmt' '$T/sq.$fmt'"
done
"$sum" --db "$uri" --now "$now" --domain ready.example --format json > "$T/pg.one"
"$sum" --db "$T/scen.db" --now "$now" --domain ready.example --format json > "$T/sq.one"
check "summary --domain: the same on both backends" cmp -s "$T/pg.one" "$T/sq.one"

# The server down: the import exits 75 (an MTA retries), the summary too.
pg_stop
out=$("$imp" --db "$uri" fixtures/reports/accept/utf8-names.json 2>&1); rc=$?
check_eq "server down: tlsrpt-import exits 75" "$rc" 75
check "server down: it says it cannot connect" sh -c "echo '$out' | grep -q 'cannot connect'"
"$sum" --db "$uri" --now "$now" > /dev/null 2>&1
check_eq "server down: tlsrpt-summary exits 75" "$?" 75
pg_ctl_start
out=$("$imp" --db "$(pg_uri accept)" fixtures/reports/accept/utf8-names.json); rc=$?
check_eq "server back: the same import is answered (duplicate), exit 0" \
    "$(echo "$out" | cut -f1) $rc" "duplicate 0"
