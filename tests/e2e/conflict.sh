#!/bin/sh
# Conflicting copies of one report (doc/identity.md), driven as a sender
# would: a forged copy (same organization, report-id and range, nothing
# failed) posted first over real HTTPS, then the real one with 100 failed
# sessions. Both are stored and answered 201, the second naming the
# conflict; the same content again, whatever its layout, gzip or plain, by
# HTTPS or by mail, is a duplicate of its copy. The same through
# tlsrpt-import, and in a store made before the digests, on SQLite (the
# PostgreSQL side is pg-conflict.sh).
. tests/lib.sh
. tests/daemon-lib.sh
plan 44

imp="$BIN/tlsrpt-import"
must python3 tests/e2e/conflict-reports.py "$T"
id=2026-03-10_conflict.example
org="Big Sender Inc."
q_copies="select count(*), sum(conflicting), count(first_copy) from report where report_id = '$id'"

make_cert a
CA="$T/a.crt"
mkdir -p "$T/md/new" "$T/md/cur" "$T/md/tmp"
if ! start_daemon --db "$T/db" --tls-cert "$T/a.crt" --tls-key "$T/a.key" \
    --maildir "$T/md"; then
	fail "daemon starts"
	cat "$T/daemon.log"
	exit 1
fi
pass "daemon starts over HTTPS"

code=$(post "$T/forged.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "the forged copy first: 201" "$code" 201
check "... its body says stored, no conflict" \
    sh -c "grep -q '^201 accepted: report $id from $org for conflict.example stored\$' '$T/body'"
code=$(post "$T/real.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "the real copy with 100 failures after it: 201" "$code" 201
check "... its body names the conflict" \
    grep -q "^201 accepted: report $id from $org for conflict.example stored; conflicts with an earlier copy of report $id from $org (received 20[0-9-]*T[0-9:]*Z)\$" "$T/body"
check_eq "both copies stored, both marked conflicting, one names the first" \
    "$(sql "$T/db" "$q_copies")" "2|2|1"
check_eq "the real copy's failures are stored" \
    "$(sql "$T/db" "select sum(f.failed_sessions) from failure f join policy p on p.id = f.policy join report r on r.id = p.report where r.report_id = '$id' and r.first_copy is not null")" 100
check_eq "the real copy's payload is accepted" \
    "$(sql "$T/db" "select outcome from payload where report = (select id from report where report_id = '$id' and first_copy is not null)")" accepted

code=$(post "$T/forged.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "the forged copy again: 200" "$code" 200
check "... a duplicate" grep -q '^200 duplicate: ' "$T/body"
code=$(post "$T/real.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "the real copy again: 200" "$code" 200
code=$(post "$T/real.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "the real copy gzipped: 200, a duplicate" "$code" 200
code=$(post "$T/real-pretty.json" -H 'Content-Type: application/json')
check_eq "the real copy indented, keys and failures in another order: 200" \
    "$code" 200
check_eq "each duplicate's receipt names the copy it repeats" \
    "$(sql "$T/db" "select r.first_copy is null, count(*) from payload p join report r on r.id = p.report where p.outcome = 'duplicate' group by 1 order by 1")" \
    "$(printf '0|3\n1|1')"
check_eq "still two copies" "$(sql "$T/db" "$q_copies")" "2|2|1"

# The real copy by mail, after HTTPS: one report.
cp "$T/real.eml" "$T/md/tmp/1.M1.test"
mv "$T/md/tmp/1.M1.test" "$T/md/new/1.M1.test"
check "the mailed copy is taken" wait_for 10 test -f "$T/md/cur/1.M1.test:2,S"
check_eq "the mailed real copy is a duplicate" \
    "$(sql "$T/db" "select outcome from payload where source = 'mail'")" duplicate

# A third content: one more conflicting copy, the JSON answer says so.
code=$(post "$T/third.json" -H 'Content-Type: application/json' \
    -H 'Accept: application/json')
check_eq "a third content: 201" "$code" 201
check "... the JSON answer has the conflict" \
    grep -q '"outcome":"accepted".*"conflict":{"first_copy_received":"20[0-9-]*T[0-9:]*Z"}' "$T/body"
check_eq "three copies, all marked, each naming the first" \
    "$(sql "$T/db" "$q_copies")" "3|3|2"
check_eq "the copies name the same first, the forged one" \
    "$(sql "$T/db" "select count(distinct first_copy), min(first_copy) = (select id from report where report_id = '$id' and first_copy is null) from report where report_id = '$id' and first_copy is not null")" "1|1"
check "the log names the conflict" \
    grep -q "outcome=\"conflict\" first-copy-received=\"20[0-9-]*T[0-9:]*Z\" domain=\"conflict.example\" reporter=\"$org\" report-id=\"$id\"" "$T/daemon.log"
code=$(api /metrics)
check_eq "metrics count the conflicts apart" \
    "$(grep '^tlsrpt_reports_total{source="https",outcome="conflict"}' "$T/api" | cut -d' ' -f2)" 2
check_eq "... and the new reports" \
    "$(grep '^tlsrpt_reports_total{source="https",outcome="accepted"}' "$T/api" | cut -d' ' -f2)" 1
stop_daemon
check_eq "daemon stops cleanly" "$?" 0
# The verdict of the daemon's store, the forged copy posted first over
# HTTPS: the real copy's refusals count, and the conflict is named.
"$BIN/tlsrpt-summary" --db "$T/db" --domain conflict.example \
    --now 2026-03-12T00:00:00Z --format json > "$T/sum-https.json"
check_eq "HTTPS: summary not ready, the real copy's refusals, the conflict named" \
    "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["domains"][0]; r = {x["code"]: x for x in d["reasons"]}; print(d["verdict"], d["sessions"]["failed"], "tls-failures" in r, "conflicting-reports" in r)' "$T/sum-https.json")" \
    "not-ready 100 True True"

# tlsrpt-import, file by file, then in one run (one batch).
db=$T/imp.db
out=$("$imp" --db "$db" "$T/forged.json"); rc=$?
check_eq "import: the forged copy accepted, exit 0" \
    "$(echo "$out" | cut -f1) $rc" "accepted 0"
out=$("$imp" --db "$db" "$T/real.json"); rc=$?
check_eq "import: the real copy accepted, exit 0" \
    "$(echo "$out" | cut -f1) $rc" "accepted 0"
check "import: ... its line names the conflict" sh -c "echo '$out' |
    grep -q '^accepted	.*real.json	$org report $id for conflict.example, 2026-03-10T00:00:00Z to 2026-03-10T23:59:59Z; conflicts with an earlier copy (received 20[0-9-]*T[0-9:]*Z)\$'"
out=$("$imp" --db "$db" --json "$T/real.json.gz" "$T/forged.json" "$T/third.json"); rc=$?
check_eq "import: gzipped real, forged again, third: duplicate, duplicate, accepted" \
    "$(echo "$out" | python3 -c 'import json, sys; print(" ".join(json.loads(l)["outcome"] + ("+conflict" if "conflict" in json.loads(l) else "") for l in sys.stdin))') $rc" \
    "duplicate duplicate accepted+conflict 0"
check_eq "import: three copies" "$(sql "$db" "$q_copies")" "3|3|2"
db=$T/batch.db
out=$("$imp" --db "$db" "$T/forged.json" "$T/real.json" "$T/real-pretty.json" "$T/forged.json.gz"); rc=$?
check_eq "import: all in one run (one transaction)" \
    "$(echo "$out" | cut -f1 | tr '\n' ' ')$rc" "accepted accepted duplicate duplicate 0"
check "import: ... the second names the conflict" \
    sh -c "echo '$out' | sed -n 2p | grep -q 'conflicts with an earlier copy'"
check_eq "import: two copies" "$(sql "$db" "$q_copies")" "2|2|1"
check_eq "the same content gives the same digest in every store" \
    "$(sql "$T/db" "select digest from report where report_id = '$id' order by id")" \
    "$(sql "$T/imp.db" "select digest from report where report_id = '$id' order by id")"

# A store made before the digests (schema version 6): its reports have
# none. A copy of one is still a duplicate (its digest is taken from its
# rows then), another content a conflict.
db=$T/old.db
"$imp" --db "$db" "$T/real.json" fixtures/reports/accept > /dev/null 2>&1
sqlite_before_digests "$db"
n=$(sql "$db" "select count(*) from report")
out=$("$imp" --db "$db" "$T/real-pretty.json"); rc=$?
check_eq "version 6 store: the real copy again is a duplicate" \
    "$(echo "$out" | cut -f1) $rc $(sql "$db" "pragma user_version")" \
    "duplicate 0 $(ls schema/sqlite | sed -n 's/^0*\([0-9][0-9]*\)-.*/\1/p' | sort -n | tail -n 1)"
"$imp" --db "$T/one.db" "$T/real.json" > /dev/null
check_eq "... its digest is kept, the one a new store takes" \
    "$(sql "$db" "select digest from report where report_id = '$id'")" \
    "$(sql "$T/one.db" "select digest from report where report_id = '$id'")"
check_eq "... the other reports keep none until a copy comes" \
    "$(sql "$db" "select count(*) from report where digest is null")" $((n - 1))
out=$("$imp" --db "$db" fixtures/reports/accept); rc=$?
check_eq "version 6 store: every fixture again is a duplicate" \
    "$(echo "$out" | grep -v '\.expect	' | cut -f1 | sort -u) $rc" \
    "duplicate 0"
out=$("$imp" --db "$db" "$T/forged.json"); rc=$?
check "version 6 store: the forged copy after the real one: a conflict" \
    sh -c "[ $rc = 0 ] && echo '$out' | grep -q '^accepted	.*conflicts with an earlier copy'"
check_eq "version 6 store: two copies, the old one marked" \
    "$(sql "$db" "select count(*), sum(conflicting), sum(first_copy is null and digest is not null) from report where report_id = '$id'")" "2|2|1"
check_eq "version 6 store: every row's references hold" \
    "$(sql "$db" "pragma foreign_key_check" | wc -l | tr -d ' ')" 0

# The verdict of the store where the forged copy came first: the real
# copy's refusals count, and the conflict is named.
"$BIN/tlsrpt-summary" --db "$T/imp.db" --domain conflict.example \
    --now 2026-03-12T00:00:00Z --format json > "$T/sum.json"; rc=$?
check_eq "summary: not ready (exit $rc), the real copy's refusals, the conflict named, the last report dated" \
    "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["domains"][0]; r = {x["code"]: x for x in d["reasons"]}; print(d["verdict"], d["sessions"]["failed"], "tls-failures" in r, "conflicting-reports" in r, d["last_report"])' "$T/sum.json")" \
    "not-ready 100 True True 2026-03-10T23:59:59Z"

# The same from a reporter whose name, 1,300 characters of 3 bytes, does
# not fit the conflict's message: the message is cut between characters
# and the verdict stands.
"$imp" --db "$T/long.db" "$T/long-forged.json" "$T/long-real.json" > /dev/null
"$BIN/tlsrpt-summary" --db "$T/long.db" --now 2026-03-12T00:00:00Z \
    --format json > "$T/sum-long.json"; rc=$?
check_eq "summary of a long UTF-8 reporter name: not ready (exit $rc), the conflict named, its message cut" \
    "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["domains"][0]; r = {x["code"]: x for x in d["reasons"]}; m = r["conflicting-reports"]["message"]; print(d["verdict"], "tls-failures" in r, m.startswith("1 report arrived in copies that disagree (first: \u20ac"), m.endswith("\u20ac..."))' "$T/sum-long.json") $rc" \
    "not-ready True True True 1"
