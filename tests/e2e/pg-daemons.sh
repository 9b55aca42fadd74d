#!/bin/sh
# Two tlsrptd nodes sharing one PostgreSQL store: 8 concurrent clients
# post 2,000 reports, each to both nodes at the same moment. Every post is
# answered 201 or 200, every report is stored exactly once (one 201 and
# one 200 each), and both nodes' API answers the same summary JSON as the
# command line. Then the maildir and the page on PostgreSQL.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/pg-lib.sh
plan 22
pg_start

N=2000
now=2026-03-15T00:00:00Z
uri=$(pg_createdb shared)
make_cert a
CA="$T/a.crt"

# Four programs starting at once on a new database: the migrations are
# applied once, under the advisory lock, and the report stored once.
race=$(pg_createdb race)
for i in 1 2 3 4; do
	"$BIN/tlsrpt-import" --db "$race" fixtures/reports/accept/plain-rfc.json \
	    > "$T/race.$i" 2>&1 &
done
wait
check_eq "4 imports starting at once on a new database: one accepted" \
    "$(cut -f1 "$T"/race.* | sort | uniq -c | awk '{ printf "%s %s ", $1, $2 }')" \
    "1 accepted 3 duplicate "
check_eq "... the migrations applied once" \
    "$(psql_q race "select count(*) from tlsrpt_schema")" \
    "$(ls schema/postgresql/*.sql | wc -l)"

# Two nodes on their own ports, each with a maildir.
mkdir -p "$T/md/new" "$T/md/cur" "$T/md/tmp" "$T/md1/new" "$T/md1/cur" \
    "$T/md1/tmp"
if ! start_daemon --db "$uri" --tls-cert "$T/a.crt" --tls-key "$T/a.key" \
    --maildir "$T/md1"; then
	fail "node 1 starts on PostgreSQL"
	cat "$T/daemon.log"
	exit 1
fi
P1=$D_PID PORT1=$PORT API1=$APIPORT
D_PID=
if ! start_daemon --db "$uri" --tls-cert "$T/a.crt" --tls-key "$T/a.key" \
    --maildir "$T/md"; then
	kill -KILL "$P1"
	fail "node 2 starts on PostgreSQL"
	cat "$T/daemon.log"
	exit 1
fi
P2=$D_PID PORT2=$PORT API2=$APIPORT
pass "two nodes on one PostgreSQL store"
check_eq "migrations applied once" \
    "$(psql_q shared "select count(*) from tlsrpt_schema")" \
    "$(ls schema/postgresql/*.sql | wc -l)"

t0=$(date +%s)
must python3 tests/e2e/pg-clients.py "$CA" "$N" 8 0 "$PORT1" "$PORT2" > "$T/answers"
t1=$(date +%s)
echo "# $((N * 2)) posts to two nodes in $((t1 - t0)) s"
check_eq "every post answered" "$(wc -l < "$T/answers" | tr -d ' ')" $((N * 2))
check_eq "every post answered 201 or 200" \
    "$(awk '$3 != 201 && $3 != 200' "$T/answers" | wc -l | tr -d ' ')" 0
check_eq "one 201 per report" "$(awk '$3 == 201' "$T/answers" | wc -l | tr -d ' ')" "$N"
bad=$(awk '{ if ($3 == 201) a[$1]++; else if ($3 == 200) d[$1]++ } END { n = 0; for (i = 0; i < '"$N"'; i++) if (a[i] != 1 || d[i] != 1) n++; print n }' "$T/answers")
check_eq "no report with other than one 201 and one 200" "$bad" 0
check_eq "every report stored exactly once" \
    "$(psql_q shared "select count(*), count(distinct report_id) from report")" "$N|$N"
check_eq "one accepted and one duplicate receipt per report" \
    "$(psql_q shared "select outcome, count(*) from payload group by 1 order by 1" | tr '\n' ' ')" \
    "accepted|$N duplicate|$N "
check_eq "per-day aggregates (upserts from both nodes) = GROUP BY of the policies" \
    "$(psql_q shared "select policy_domain, day, organization_name, policy_type, reports, successful, failed from daily order by 1, 2, 3, 4" | md5sum)" \
    "$(psql_q shared "select policy_domain, start_time / 86400, organization_name, policy_type, count(distinct report), sum(successful), sum(failed) from policy group by 1, 2, 3, 4 order by 1, 2, 3, 4" | md5sum)"
check_eq "both nodes took some of the first copies" \
    "$(awk '$3 == 201 { print $2 }' "$T/answers" | sort -u | wc -l | tr -d ' ')" 2

# Both nodes answer the same summary JSON, and the command line's.
bad=0
for i in 0 1 2 3 4 5 6 7 8 9; do
	dom=d$i.example
	"$BIN/tlsrpt-summary" --db "$uri" --now "$now" --domain "$dom" \
	    --format json > "$T/cli.json"
	APIPORT=$API1; c1=$(api "/api/v1/domains/$dom/summary?now=$now"); cp "$T/api" "$T/n1.json"
	APIPORT=$API2; c2=$(api "/api/v1/domains/$dom/summary?now=$now"); cp "$T/api" "$T/n2.json"
	if [ "$c1 $c2" != "200 200" ] || ! cmp -s "$T/n1.json" "$T/n2.json" ||
	    ! cmp -s "$T/n1.json" "$T/cli.json"; then
		bad=$((bad + 1))
		echo "#   $dom: $c1 $c2"
	fi
done
check_eq "both nodes' summary JSON identical, and the command line's" "$bad" 0
APIPORT=$API1; c1=$(api /api/v1/domains); cp "$T/api" "$T/n1.json"
APIPORT=$API2; c2=$(api /api/v1/domains); cp "$T/api" "$T/n2.json"
check "both nodes list the same domains" sh -c "[ '$c1 $c2' = '200 200' ] && cmp -s '$T/n1.json' '$T/n2.json' && grep -q d9.example '$T/n1.json'"
APIPORT=$API1; c1=$(api "/report/d3.example?now=$now")
check "the page of a domain from PostgreSQL" sh -c "[ $c1 = 200 ] && grep -q d3.example '$T/api'"
APIPORT=$API2; c2=$(api "/report/nothing.example?now=$now")
check_eq "the page of an unknown domain: 404" "$c2" 404

# The maildir of node 2 into the shared store: the mailed copy of a
# report node 1 took over HTTPS is a duplicate.
PORT=$PORT1
code=$(post fixtures/mail/report-sts.json.gz -H 'Content-Type: application/tlsrpt+gzip')
check_eq "a report over HTTPS to node 1: 201" "$code" 201
cp fixtures/mail/google-multipart.eml "$T/md/tmp/1.M1.test"
mv "$T/md/tmp/1.M1.test" "$T/md/new/1.M1.test"
new_empty() { [ -z "$(ls -A "$T/md/new")" ]; }
check "maildir of node 2: the message is taken" wait_for 10 new_empty
check "maildir of node 2: moved to cur/" test -f "$T/md/cur/1.M1.test:2,S"
check_eq "maildir of node 2: a duplicate of node 1's report" \
    "$(psql_q shared "select outcome from payload where source = 'mail'")" duplicate

kill -TERM "$P1"
wait "$P1"
check_eq "node 1 stops cleanly" "$?" 0
stop_daemon
check_eq "node 2 stops cleanly" "$?" 0
