#!/bin/sh
# The fixture driver: every file of fixtures/reports/{accept,reject} is
# parsed by report-dump and compared with its .expect, then imported with
# the real tlsrpt-import to check outcomes, exit codes and the quarantine.
# Both take the reports as received at $FIXTURES_RECEIVED (tests/lib.sh),
# so that the fixtures of the date-range rules give the same answer on
# any day.
. tests/lib.sh

dump() { "$BIN/tests/report-dump" --received "$FIXTURES_RECEIVED" "$@"; }
import() { "$BIN/tlsrpt-import" --received "$FIXTURES_RECEIVED" "$@"; }

# Each accepted file is parsed and imported, each rejected one parsed,
# rejected and found in quarantine; seven checks on the stores.
na=$(ls fixtures/reports/accept | grep -vc '\.expect$')
nr=$(ls fixtures/reports/reject | grep -vc '\.expect$')
plan $((2 * na + 3 * nr + 7))

for f in fixtures/reports/accept/* fixtures/reports/reject/*; do
	case $f in *.expect) continue ;; esac
	got=$(dump "$f" 2>&1)
	if [ "$got" = "$(cat "$f.expect")" ]; then
		pass "parse $f"
	else
		fail "parse $f"
		printf '%s\n' "$got" | diff "$f.expect" - | sed 's/^/#   /'
	fi
done

# Every tolerated file is accepted; importing them again gives duplicates.
db="$T/accept.db"
for f in fixtures/reports/accept/*; do
	case $f in *.expect) continue ;; esac
	out=$(import --db "$db" "$f")
	rc=$?
	if [ "$(echo "$out" | cut -f1)" = accepted ] && [ $rc -eq 0 ]; then
		pass "import $f: accepted"
	else
		fail "import $f: $out (exit $rc)"
	fi
done
mkdir "$T/folder"
for f in fixtures/reports/accept/*; do
	case $f in *.expect) ;; *) cp "$f" "$T/folder/" ;; esac
done
out=$(import --db "$db" "$T/folder")
rc=$?
check_eq "importing the folder again: every report a duplicate, exit $rc" \
    "$(echo "$out" | cut -f1 | sort -u)" duplicate
out=$(import --db "$db" fixtures/reports/accept/plain-rfc.json)
check_eq "a second import of the same report is a duplicate (exit $?)" \
    "$(echo "$out" | cut -f1)" duplicate
check_eq "the duplicate is stored once" \
    "$(sql "$db" "select count(*) from report where report_id = '2026-03-01T00:00:00Z_example.com_plain-rfc' and organization_name = 'Example Mail Ltd.'")" 1
check_eq "the receipts of the duplicates are kept" \
    "$(sql "$db" "select count(*) from payload where outcome = 'duplicate'")" \
    "$(($(ls fixtures/reports/accept | grep -vc '\.expect$') + 1))"

# Every rejection: "rejected", the message of the .expect, exit 65, and the
# payload in the quarantine, byte for byte recoverable.
db="$T/reject.db"
n=0
for f in fixtures/reports/reject/*; do
	case $f in *.expect) continue ;; esac
	n=$((n + 1))
	out=$(import --db "$db" "$f")
	rc=$?
	want="rejected	$f	$(sed 's/^error: //' "$f.expect")"
	if [ "$out" = "$want" ] && [ $rc -eq 65 ]; then
		pass "reject $f (exit 65)"
	else
		fail "reject $f"
		echo "#   got:  $out (exit $rc)"
		echo "#   want: $want (exit 65)"
	fi
	q=$(sql "$db" "select count(*) from quarantine where path = '$f'")
	check_eq "quarantine keeps $f" "$q" 1
done
check_eq "nothing rejected became a report" \
    "$(sql "$db" "select count(*) from report")" 0
# The raw bytes are kept: a quarantined payload inflates back to the file.
f=fixtures/reports/reject/count-negative.json
sql "$db" "select hex(data) from payload where path = '$f'" > "$T/raw.hex"
python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.decompress(bytes.fromhex(open(sys.argv[1]).read().strip())))' "$T/raw.hex" > "$T/raw"
check "the quarantined payload is the file, byte for byte" cmp -s "$T/raw" "$f"
f=fixtures/reports/reject/gzip-corrupt.json.gz
sql "$db" "select hex(data) from payload where path = '$f'" > "$T/raw.hex"
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read().strip()))' "$T/raw.hex" > "$T/raw"
check "a quarantined gzip payload is kept as sent" cmp -s "$T/raw" "$f"
