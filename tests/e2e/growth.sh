#!/bin/sh
# What one report adds to the store is bounded (doc/retention.md): a
# report of failure details adds at most about the size of its JSON to
# the database, and as much to the write-ahead log, which is cut back to
# 32 MiB once copied. Checked with the report an attacker would make:
# 14,000 failure details whose MX and HELO names are distinct names of
# 253 octets, posted over HTTPS; then tlsrpt-summary of every domain
# answers in every format (exit 0 to 2). A report of more policies than
# the bound is refused, naming it.
. tests/lib.sh
. tests/daemon-lib.sh
plan 22

db="$T/db"
python3 tests/e2e/dated-report.py --giant "$T/giant.json.gz" 2 14000 \
    giant.example
json=$(gzip -dc "$T/giant.json.gz" | wc -c)
gz=$(wc -c < "$T/giant.json.gz")
echo "# the report: 14,000 failure details, $json bytes of JSON, $gz gzipped"

https_conf "$T/tlsrptd.conf" "$db"
must_start "daemon starts" --config "$T/tlsrptd.conf"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
post fixtures/reports/accept/plain-rfc.json \
    -H 'Content-Type: application/tlsrpt+json' > /dev/null
db0=$(size "$db")
wal0=$(size "$db-wal")
code=$(post "$T/giant.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "the giant report over HTTPS: 201" "$code" 201
wal1=$(size "$db-wal")
check_eq "... its 14,000 failure details stored" \
    "$(sql "$db" "select count(*), min(length(receiving_mx_helo)) from failure where length(receiving_mx_hostname) = 253")" \
    "14000|253"
check "the daemon stops cleanly" stop_daemon
db1=$(size "$db")
echo "# database $db0 -> $db1 bytes (+$((db1 - db0))), log $wal0 -> $wal1 (+$((wal1 - wal0)))"
check "the database grew by less than the report's JSON" \
    [ $((db1 - db0)) -lt "$json" ]
check "the log grew by less than the report's JSON" \
    [ $((wal1 - wal0)) -lt "$json" ]

# The analysis counts the MX names past the first 256 as an unnamed MX
# (doc/verdict.md): each output stays bounded, and quick.
for fmt in text json csv html; do
	"$BIN/tlsrpt-summary" --db "$db" --format "$fmt" > "$T/sum.$fmt" \
	    2> "$T/sum.err"
	rc=$?
	check "tlsrpt-summary of every domain, $fmt: exit 0 to 2 ($rc)" \
	    [ "$rc" -le 2 ]
	check "... and names the giant report's domain" \
	    grep -q giant.example "$T/sum.$fmt"
	check "... in less than 2 MB" [ "$(wc -c < "$T/sum.$fmt")" -lt 2000000 ]
done
check "the text names the failures at the MX hosts past the 256th" \
    grep -q 'certificate-host-mismatch at an unnamed MX (13744)' "$T/sum.text"

# Removed by tlsrpt-import --prune: more rows than one transaction
# takes, so the failure details go first, over several.
out=$("$BIN/tlsrpt-import" --db "$db" --prune 1)
check "tlsrpt-import --prune 1: the giant report and the fixture, in 4 or more transactions" \
    sh -c "echo '$out' | grep -q '	2 reports and 2 payloads .*, in \([4-9]\|[1-9][0-9]\) transactions'"
echo "# $out"
check_eq "... no failure detail, no dangling row left" \
    "$(sql "$db" "select count(*) from failure; select count(*) from policy; pragma foreign_key_check")" \
    "$(printf '0\n0')"

python3 - "$T/policies.json" <<'PY'
import json, sys
p = {"policy": {"policy-type": "no-policy-found", "policy-domain": "p.example"},
     "summary": {"total-successful-session-count": 1,
                 "total-failure-session-count": 0}}
json.dump({"organization-name": "Many", "report-id": "many",
           "date-range": {"start-datetime": "2026-03-09T00:00:00Z",
                          "end-datetime": "2026-03-09T23:59:59Z"},
           "policies": [p] * 1001}, open(sys.argv[1], "w"))
PY
out=$("$BIN/tlsrpt-import" --db "$db" --received "$FIXTURES_RECEIVED" \
    "$T/policies.json")
check_eq "a report of 1,001 policies: rejected" "$(echo "$out" | cut -f1)" \
    rejected
check "... naming the bound" sh -c \
    "echo '$out' | grep -q 'policies: more than 1000 entries'"
