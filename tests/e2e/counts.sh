#!/bin/sh
# Session counts at the bound a report may claim (2^53 each, report.c):
# 1,030 such reports for one domain, day and reporter add up to more than
# a 64-bit integer holds. Every one is still stored, on both backends, and
# every sum (the per-day aggregates, the summary in each format) is held
# at the largest 64-bit integer instead of wrapping to a negative number,
# and the daemon's API answers 200 with them.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/pg-lib.sh
plan 15

imp="$BIN/tlsrpt-import"
sum="$BIN/tlsrpt-summary"
now=2026-03-15T00:00:00Z
max=9223372036854775807
reports=1030
mkdir -p "$T/big"
python3 - "$T/big" "$reports" <<'EOF'
import json, sys
big = 2 ** 53
for i in range(int(sys.argv[2])):
    r = {"organization-name": "Big Counter",
         "date-range": {"start-datetime": "2026-03-10T00:00:00Z",
                        "end-datetime": "2026-03-10T23:59:59Z"},
         "contact-info": "tlsrpt@big.example", "report-id": "big-%d" % i,
         "policies": [{"policy": {"policy-type": "sts",
                                  "policy-domain": "big.example",
                                  "policy-string": ["version: STSv1",
                                                    "mode: testing",
                                                    "mx: mx.big.example",
                                                    "max_age: 86400"],
                                  "mx-host": ["mx.big.example"]},
                       "summary": {"total-successful-session-count": big,
                                   "total-failure-session-count": big},
                       "failure-details": [{
                           "result-type": "certificate-expired",
                           "receiving-mx-hostname": "mx.big.example",
                           "failed-session-count": big}]}]}
    with open("%s/r%04d.json" % (sys.argv[1], i), "w") as f:
        json.dump(r, f)
EOF

# no_negative NAME FILE: not one negative number in a summary's output
# (the chart's y-axis label is turned by rotate(-90)).
no_negative() {
	check "$1" sh -c "! sed 's/rotate(-90 /rotate(/g' '$2' |
	    grep -Eq '(^|[^0-9A-Za-z.:-])-[0-9]'"
}
# summaries LABEL DB: the summary in every format, each checked.
summaries() {
	"$sum" --db "$2" --now "$now" --domain big.example --format json \
	    > "$T/$1.json"
	check "$1: the summary's JSON says the sessions are the largest count" \
	    python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))['domains'][0]
def walk(v):
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        assert v >= 0, v
walk(d)
assert d['sessions']['total'] == $max, d['sessions']
" "$T/$1.json"
	for f in text csv html; do
		"$sum" --db "$2" --now "$now" --domain big.example \
		    --format $f > "$T/$1.$f"
		no_negative "$1: no negative number in the $f summary" \
		    "$T/$1.$f"
	done
}

db="$T/big.db"
"$imp" --db "$db" "$T/big" > "$T/imp.out" 2>&1
check_eq "sqlite: all $reports reports stored" \
    "$(grep -c '^accepted' "$T/imp.out")" "$reports"
check_eq "sqlite: the per-day aggregate is held at the largest count" \
    "$(sql "$db" "select reports, successful, failed, typeof(successful) from daily")" \
    "$reports|$max|$max|integer"
summaries sqlite "$db"

# The daemon's API: the summary (which reads the per-type sums first).
https_conf "$T/tlsrptd.conf" "$db"
if start_daemon --config "$T/tlsrptd.conf"; then
	check_eq "api: the summary: 200" \
	    "$(api "/api/v1/domains/big.example/summary?now=$now")" 200
	check "api: its sessions are held at the largest count" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))['domains'][0]
assert d['sessions']['total'] == $max, d['sessions']
" "$T/api"
	stop_daemon
else
	fail "api: the daemon starts"
	cat "$T/daemon.log"
fi

pg_start
uri=$(pg_createdb big)
"$imp" --db "$uri" "$T/big" > "$T/imp.pg" 2>&1
check_eq "postgresql: all $reports reports stored" \
    "$(grep -c '^accepted' "$T/imp.pg")" "$reports"
check_eq "postgresql: the per-day aggregate is held at the largest count" \
    "$(psql_q big "select reports, successful, failed from daily")" \
    "$reports|$max|$max"
summaries postgresql "$uri"
check "postgresql: the summary's JSON as SQLite's" \
    cmp -s "$T/postgresql.json" "$T/sqlite.json"
