#!/bin/sh
# tlsrpt-import driven as a user and an MTA would: real files, folders,
# standard input, exit codes, the real samples, a decompression bomb.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
plan 37

imp="$BIN/tlsrpt-import"
acc=fixtures/reports/accept
rej=fixtures/reports/reject

# Usage errors: one line naming the option, exit 64.
out=$("$imp" --bogus x 2>&1); rc=$?
check_eq "unknown option: exit 64" "$rc" 64
check_eq "unknown option: one line naming it" "$out" \
    "tlsrpt-import: unknown option --bogus; see tlsrpt-import --help"
out=$("$imp" --db 2>&1); rc=$?
check_eq "option without its value: one line naming it, exit 64" "$out $rc" \
    "tlsrpt-import: option --db needs a value; see tlsrpt-import --help 64"
"$imp" 2>/dev/null; check_eq "no input: exit 64" "$?" 64
"$imp" --help | grep -q '^usage: tlsrpt-import'; check_eq "--help" "$?" 0
"$imp" --version | grep -q '^tlsrpt-import [0-9]'; check_eq "--version" "$?" 0

# An input that cannot be opened: 66, and the others are still imported.
out=$("$imp" --db "$T/a.db" "$T/missing.json" "$acc/plain-rfc.json" 2>"$T/err")
rc=$?
check_eq "missing input: exit 66" "$rc" 66
check_eq "missing input: the rest is imported" "$(echo "$out" | cut -f1)" accepted
check "missing input: stderr names it" grep -q "missing.json: No such file" "$T/err"

# Standard input, as an MTA pipe gives it: a report, then a message.
out=$("$imp" --db "$T/a.db" - < "$acc/gzip.json.gz"); rc=$?
check_eq "stdin gzip report: accepted, exit 0" "$(echo "$out" | cut -f1,2) $rc" "accepted	- 0"
out=$("$imp" --db "$T/a.db" - < "$acc/gzip.json.gz"); rc=$?
check_eq "stdin again: duplicate, exit 0" "$(echo "$out" | cut -f1) $rc" "duplicate 0"
out=$("$imp" --db "$T/a.db" - < "$rej/count-negative.json"); rc=$?
check_eq "stdin rejected: exit 65" "$(echo "$out" | cut -f1) $rc" "rejected 65"
printf 'From: a@example.org\nSubject: hello\n\nJust text.\n' > "$T/plain.eml"
out=$("$imp" --db "$T/a.db" - < "$T/plain.eml"); rc=$?
check_eq "stdin message without a report: not-a-report, exit 0" \
    "$(echo "$out" | cut -f1) $rc" "not-a-report 0"

# --json: one object per line with the outcome and the identity.
out=$("$imp" --db "$T/a.db" --json "$acc/ipv6-non-canonical.json" "$rej/no-policies.json")
rc=$?
check_eq "--json: exit 65 with one rejection" "$rc" 65
check_eq "--json: accepted line" "$(echo "$out" | head -1 | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["outcome"], o["organization_name"], o["policy_domain"], o["start"])')" \
    "accepted Example Mail Ltd. example.com 2026-03-01T00:00:00Z"
check_eq "--json: rejected line names the path" "$(echo "$out" | tail -1 | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["outcome"], o["reason"])')" \
    "rejected policies: missing"
# A file name that is not UTF-8 (any bytes but / and NUL may name a
# file): JSON cannot carry it as it is, so it is escaped, not dropped.
bad=$(printf "$T/name-\\377")
cp "$rej/no-policies.json" "$bad"
out=$("$imp" --db "$T/a.db" --json "$bad")
check_eq "--json: a file name not UTF-8, escaped on its line" \
    "$(printf '%s\n' "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["outcome"], o["input"].rsplit("/", 1)[1])')" \
    'rejected name-\xff'
"$imp" --db "$T/a.db" --quarantine --json > "$T/q.json"
check "--quarantine --json: its row with the path escaped" \
    grep -q '"path": *"[^"]*name-\\\\xff"' "$T/q.json"

# The date range against the clock as each input is read: a report dated
# in 9999 is refused (it would keep its domain fresh until then) and kept
# in quarantine; one ending an hour inside the 2 days after now is taken,
# one ending an hour past them refused.
r9999=$rej/range-ending-in-9999.json
out=$("$imp" --db "$T/d.db" "$r9999"); rc=$?
check_eq "a range ending in 9999: rejected, exit 65" \
    "$(echo "$out" | cut -f1,2) $rc" "rejected	$r9999 65"
check "a range ending in 9999: the reason names the path and the receipt" \
    sh -c 'echo "$1" | cut -f3 | grep -q "^date-range.end-datetime: 9999-12-31T23:59:59Z is more than 2 days after the report was received ([0-9-]*T[0-9:]*Z)$"' - "$out"
check_eq "a range ending in 9999: kept in quarantine" \
    "$(sql "$T/d.db" "select count(*) from quarantine where path = '$r9999'")" 1
python3 - "$acc/plain-rfc.json" "$T" <<'PY'
import datetime as dt, json, sys
r = json.load(open(sys.argv[1]))
now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
for name, end in (("inside", now + dt.timedelta(days=2, hours=-1)),
                  ("past", now + dt.timedelta(days=2, hours=1))):
    r["report-id"] = "ahead-" + name
    r["date-range"] = {
        "start-datetime": (end - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end-datetime": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    json.dump(r, open("%s/ahead-%s.json" % (sys.argv[2], name), "w"))
PY
out=$("$imp" --db "$T/d.db" "$T/ahead-inside.json" "$T/ahead-past.json"); rc=$?
check_eq "ending 2 days less an hour after now: accepted; an hour past: rejected" \
    "$(echo "$out" | cut -f1 | tr '\n' ' ')$rc" "accepted rejected 65"
out=$("$imp" --db "$T/d.db" --received soon "$acc/plain-rfc.json" 2>&1); rc=$?
check_eq "--received with a bad time: one line, exit 64" "$out $rc" \
    "tlsrpt-import: --received: \"soon\" is not an RFC 3339 time or Unix seconds 64"

# The store busy (another writer holds the lock): exit 75, nothing lost.
python3 - "$T/a.db" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[1] + ".locked", "w").close()
time.sleep(8)
PY
locker=$!
i=0; while [ ! -e "$T/a.db.locked" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
out=$("$imp" --db "$T/a.db" "$acc/utf8-names.json" 2>&1); rc=$?
check_eq "store locked: exit 75 (the MTA defers)" "$rc" 75
check "store locked: the line says deferred and why" sh -c "echo '$out' | grep -q 'deferred.*locked'"
wait $locker
out=$("$imp" --db "$T/a.db" "$acc/utf8-names.json"); rc=$?
check_eq "after the lock: the same report is accepted" "$(echo "$out" | cut -f1) $rc" "accepted 0"

# A read-only store: 75 as well. Root ignores file modes: as root the
# import runs as nobody, the owner of the folder and of the file 0444.
mkdir "$T/ro"
cp "$T/a.db" "$T/ro/ro.db"
chmod 0444 "$T/ro/ro.db"
if [ "$(id -u)" -ne 0 ]; then
	"$imp" --db "$T/ro/ro.db" "$acc/tlsa-nested-array-and-sts.json" >/dev/null 2>&1
	check_eq "read-only store: exit 75" "$?" 75
elif id nobody > /dev/null 2>&1; then
	chmod 755 "$T"
	chown -R nobody "$T/ro"
	runuser -u nobody -- "$imp" --db "$T/ro/ro.db" \
	    "$acc/tlsa-nested-array-and-sts.json" >/dev/null 2>&1
	check_eq "read-only store (as nobody): exit 75" "$?" 75
else
	skip 1 root "no user nobody to meet the file's modes"
fi

# A decompression bomb: 2 GiB of zeros in 32 gzip members of 64 MiB each.
python3 - "$T/bomb.json.gz" <<'PY'
import gzip, io, sys
o = io.BytesIO()
with gzip.GzipFile(fileobj=o, mode="wb", compresslevel=9, mtime=0) as f:
    chunk = b"\0" * (1 << 20)
    for _ in range(64):
        f.write(chunk)
member = o.getvalue()
open(sys.argv[1], "wb").write(member * 32)
PY
python3 - "$imp" "$T/b.db" "$T/bomb.json.gz" > "$T/bomb.out" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run([sys.argv[1], "--db", sys.argv[2], sys.argv[3]], capture_output=True, text=True)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(p.returncode, "%.2f" % dt, rss, p.stdout.strip().replace("\t", " "))
PY
read rc secs mib line < "$T/bomb.out"
echo "# bomb: exit $rc in $secs s, peak $mib MiB: $line"
check_eq "2 GiB bomb: rejected, exit 65" "$rc $(echo "$line" | cut -d' ' -f1)" "65 rejected"
check "2 GiB bomb: peak memory under 256 MiB ($mib MiB)" [ "$mib" -lt 256 ]
check "2 GiB bomb: the reason names the limit" sh -c "grep -q 'over the limit of 67108864 bytes' '$T/bomb.out'"
check_eq "2 GiB bomb: kept in quarantine" \
    "$(sql "$T/b.db" "select count(*) from quarantine")" 1

# A report of 1.2 million tiny values: refused before the JSON library
# builds a tree of it (bounded memory).
python3 -c 'import sys; sys.stdout.write("{\"organization-name\":\"X\",\"report-id\":\"w\",\"date-range\":{\"start-datetime\":\"2026-03-01T00:00:00Z\",\"end-datetime\":\"2026-03-01T23:59:59Z\"},\"policies\":[],\"x\":[" + ",".join(["7"] * 1200000) + "]}")' > "$T/wide.json"
out=$("$imp" --db "$T/b.db" "$T/wide.json"); rc=$?
check_eq "1.2 million values: rejected, exit 65" "$(echo "$out" | cut -f1,3) $rc" \
    "rejected	report: more than 1000000 JSON values 65"

# The workers and the main thread share the inputs: on one CPU, where the
# main thread often takes the last inputs itself while a worker waits, every
# import still ends (a lost wake-up hung one in five under ASan).
if command -v taskset > /dev/null; then
	hung=0
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		rm -f "$T/one.db"*
		timeout 60 taskset -c 0 "$imp" --db "$T/one.db" \
		    fixtures/reports/accept fixtures/mail > /dev/null 2>&1
		[ $? -eq 124 ] && hung=$((hung + 1))
	done
	check_eq "12 imports on one CPU: none hangs" "$hung" 0
else
	skip 1 taskset "imports on one CPU: taskset is not installed"
fi

# Every real sample report is accepted or a duplicate, exit 0.
if [ -n "$SAMPLES" ]; then
	out=$("$imp" --db "$T/s.db" "$SAMPLES/reports"); rc=$?
	check_eq "samples: exit 0" "$rc" 0
	check_eq "samples: every one accepted or a duplicate" \
	    "$(echo "$out" | cut -f1 | grep -cv -e '^accepted$' -e '^duplicate$')" 0
	check_eq "samples: one line per file" "$(echo "$out" | wc -l)" \
	    "$(ls "$SAMPLES/reports" | wc -l)"
	out=$("$imp" --db "$T/s.db" "$SAMPLES/mail"); rc=$?
	check_eq "sample mails: exit 0, each report a duplicate of its file" \
	    "$rc $(echo "$out" | cut -f1 | sort -u)" "0 duplicate"
else
	skip 4 samples "../shared/samples is not there"
fi
