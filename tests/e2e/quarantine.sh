#!/bin/sh
# The quarantine as its owner sees it: bodies the daemon rejected over
# HTTPS, listed by tlsrpt-import --quarantine, and parsed again with
# --retry once a setting that refused one is lifted; what still fails
# stays with its reason, a body cut to its first 1 MiB says it cannot.
. tests/lib.sh
. tests/daemon-lib.sh
plan 31

imp="$BIN/tlsrpt-import"
acc=fixtures/reports/accept
rej=fixtures/reports/reject
# A gzip report the daemon refuses while max-inflate-ratio is 1 (it
# inflates about 2:1), a parser's rejection, junk, and junk over 1 MiB.
gzip -c "$acc/plain-rfc.json" > "$T/plain.json.gz"
printf 'this is no report\n' > "$T/junk"
head -c 1500000 /dev/zero | tr '\0' j > "$T/big"
https_conf "$T/tlsrptd.conf" "$T/db" "max-inflate-ratio = 1"
must_start "daemon starts" --config "$T/tlsrptd.conf"

ct='Content-Type: application/tlsrpt+gzip'
check_eq "a gzip report over max-inflate-ratio: 413" \
    "$(post "$T/plain.json.gz" -H "$ct")" 413
check_eq "a report the parser refuses: 400" \
    "$(post "$rej/count-negative.json" -H 'Content-Type: application/tlsrpt+json')" 400
check_eq "junk: 400" \
    "$(post "$T/junk" -H 'Content-Type: application/tlsrpt+json')" 400
check_eq "1.5 MB of junk: 400" \
    "$(post "$T/big" -H 'Content-Type: application/tlsrpt+json')" 400
# A file whose name would drive a terminal, imported by hand.
esc=$(printf '\033')
printf 'junk' > "$T/name${esc}[31m"
"$imp" --db "$T/db" "$T/name${esc}[31m" > /dev/null

"$imp" --db "$T/db" --quarantine > "$T/list" 2> "$T/err"
check_eq "--quarantine: exit 0" "$?" 0
check_eq "--quarantine: a line per rejected payload" "$(wc -l < "$T/list")" 5
check "--quarantine: id, received time, source, size, reason" \
    grep -q '^[0-9][0-9]*	20[0-9-]*T[0-9:]*Z	https from 127\.0\.0\.1	450 bytes	gzip: inflated report over the limit' "$T/list"
check "--quarantine: the parser's reason" \
    grep -q '	https from 127\.0\.0\.1	[0-9]* bytes	.*total-failure-session-count: expected a non-negative integer, got -1$' "$T/list"
check "--quarantine: the junk's reason" grep -q '	18 bytes	not a report' "$T/list"
check "--quarantine: a cut body says so" \
    grep -q '	1500000 bytes (the first 1048576 kept)	' "$T/list"
check "--quarantine: a file name's controls escaped" \
    grep -q "	file $T/name\\\\x1b\\[31m	4 bytes	" "$T/list"
check "--quarantine: no raw control reaches the terminal" \
    sh -c "! grep -q '$esc' '$T/list'"
"$imp" --db "$T/db" --quarantine --json > "$T/list.json"
check "--quarantine --json: one object a line, with id, size, kept, sha256" \
    python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 5, rows
big = [r for r in rows if r["size"] == 1500000][0]
assert big["kept"] == 1048576 and len(big["sha256"]) == 64, big
assert all(r["source"] in ("https", "file") and r["reason"] for r in rows)
' "$T/list.json"

gz=$(grep '	450 bytes	' "$T/list" | cut -f1)
neg=$(grep 'got -1$' "$T/list" | cut -f1)
big=$(grep '1500000 bytes' "$T/list" | cut -f1)
# The limit lifted: the defaults, as a tlsrpt-import without --config.
"$imp" --db "$T/db" --quarantine --retry > "$T/retry" 2> "$T/err"
check_eq "--retry: exit 65, some still rejected" "$?" 65
check_eq "--retry: a line per row" "$(wc -l < "$T/retry")" 5
check "--retry: the gzip report is accepted now" \
    grep -q "^accepted	#$gz	Example Mail Ltd\\. report .* for example\\.com" "$T/retry"
check "--retry: the parser's rejection stays, with its reason" \
    grep -q "^rejected	#$neg	.*expected a non-negative integer, got -1$" "$T/retry"
check "--retry: a cut body cannot be parsed again" \
    grep -q "^rejected	#$big	cannot be parsed again: only the first 1048576 of its 1500000 bytes were kept" "$T/retry"
"$imp" --db "$T/db" --quarantine > "$T/list2"
check_eq "the accepted row left the quarantine" \
    "$(wc -l < "$T/list2") $(grep -c "^$gz	" "$T/list2")" "4 0"
check_eq "the cut row keeps its reason" \
    "$(grep "^$big	" "$T/list" | cut -f5)" "$(grep "^$big	" "$T/list2" | cut -f5)"
check_eq "the report is served by the daemon" \
    "$(api /api/v1/domains/example.com/summary)" 200
check_eq "the row is the report's payload now, as received" \
    "$(sql "$T/db" "select outcome, size, report is not null from payload where id = $gz")" \
    "accepted|450|1"

# The same report refused again, then retried: a duplicate of it.
post "$T/plain.json.gz" -H "$ct" > /dev/null
again=$("$imp" --db "$T/db" --quarantine | grep '	450 bytes	' | cut -f1)
"$imp" --db "$T/db" --quarantine --retry "$again" > "$T/retry2"
check_eq "--retry ID: one row, exit 0" "$? $(wc -l < "$T/retry2")" "0 1"
check "--retry ID: a copy stored before is a duplicate" \
    grep -q "^duplicate	#$again	" "$T/retry2"
check_eq "--retry ID: the store holds the report once" \
    "$(sql "$T/db" "select count(*) from report")" 1
"$imp" --db "$T/db" --quarantine --retry "#$gz" > /dev/null 2> "$T/err"
check_eq "--retry of a row no longer there: exit 66" "$?" 66
check "... said on stderr" grep -q "#$gz is not in the quarantine" "$T/err"
"$imp" --db "$T/db" --quarantine --retry 1x 2> "$T/err"
check_eq "--retry of a word: exit 64" "$?" 64
"$imp" --db "$T/db" --retry 2> /dev/null
check_eq "--retry without --quarantine: exit 64" "$?" 64
"$imp" --db "$T/db" --quarantine "$T/junk" 2> /dev/null
check_eq "--quarantine with an INPUT: exit 64" "$?" 64
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
