#!/bin/sh
# The read API under load (doc/http.md): /api/v1/domains paged, with
# thousands of domains and with 5,000 names of 4 KiB stored before the
# DNS-name rules, no answer growing with the store; a POST during a slow
# read is answered at once: reads never wait on ingest.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/load-lib.sh
plan 18

cat > "$T/plain.conf" <<CONF
database = $T/plain.db
CONF
must_start "daemon starts" --config "$T/plain.conf"

# --- /api/v1/domains paged: 3,000 domains in three reports (a report
# names 1,000 policies at most, BOUND_POLICIES).
codes=
for k in 0 1 2; do
	python3 -c 'import sys; k = int(sys.argv[1]); print(" ".join("p%04d.example" % i for i in range(k * 1000, k * 1000 + 1000)))' "$k" > "$T/names"
	# shellcheck disable=SC2046
	report "paged-$k" $(cat "$T/names") > "$T/paged.json"
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
	    -H 'Content-Type: application/tlsrpt+json' \
	    --data-binary "@$T/paged.json" "http://127.0.0.1:$PORT/v1/tlsrpt")"
done
check_eq "three reports naming 3,000 domains: 201" "$codes" " 201 201 201"
# walk LIMIT: follow the next links; "pages names distinct sorted".
walk() {
	python3 - "$APIPORT" "$1" <<'EOF'
import json, sys, urllib.request
port, limit = sys.argv[1], sys.argv[2]
url = "/api/v1/domains" + ("?limit=%s" % limit if limit else "")
names, pages = [], 0
while url and pages < 1000:
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, url)) as r:
        doc = json.load(r)
    pages += 1
    names += [d["domain"] for d in doc["domains"]]
    url = doc["next"]
print(pages, len(names), len(set(names)), int(names == sorted(names)))
EOF
}
n=3000
check_eq "default pages of 100: every domain once, in order" \
    "$(walk '')" "30 $n $n 1"
check_eq "pages of 500" "$(walk 500)" "6 $n $n 1"
check_eq "pages of 7" "$(walk 7)" "429 $n $n 1"
check_eq "limit=0: 400" "$(api '/api/v1/domains?limit=0')" 400
check_eq "limit=501: 400" "$(api '/api/v1/domains?limit=501')" 400
check_eq "limit=x: 400" "$(api '/api/v1/domains?limit=x')" 400
api '/api/v1/domains?limit=2&after=p0100.example' >/dev/null
check "after=p0100.example: p0101 and p0102" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not ([x["domain"] for x in d["domains"]] ==
              ["p0101.example", "p0102.example"] and
              d["next"] == "/api/v1/domains?limit=2&after=p0102.example"))' "$T/api"
stop_daemon

# Names of 4 KiB, control bytes that JSON writes six bytes each, as the
# store took them before the DNS-name rules: 5,000 of them.
sql "$T/plain.db" "
INSERT INTO report (organization_name, report_id, start_time, end_time,
    received_at) VALUES ('Old Mail', 'old-1', 1772323200, 1772409599,
    1772409600);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
    WHERE i < 5000)
INSERT INTO policy (report, idx, organization_name, start_time, end_time,
    policy_type, policy_domain, policy_string, policy_set, mode,
    mx_patterns, mx_host, successful, failed)
SELECT (SELECT MAX(id) FROM report), i - 1, 'Old Mail', 1772323200,
    1772409599, 'sts', 'q' || printf('%04d', i) ||
    replace(hex(zeroblob(4091)), '00', char(1)), '[]', '', 'testing',
    '[]', '[]', 1, 0 FROM n;"
check_eq "5,000 names of 4,096 bytes in the store" \
    "$(sql "$T/plain.db" "SELECT COUNT(*), MAX(LENGTH(policy_domain)) FROM policy WHERE organization_name = 'Old Mail'")" \
    "5000|4096"
must_start "daemon starts again" --config "$T/plain.conf"
check_eq "with them, /api/v1/domains: 200" "$(api /api/v1/domains)" 200
check_eq "the largest page of them: 200" \
    "$(api '/api/v1/domains?limit=500&after=q')" 200
size=$(wc -c < "$T/api")
check "... of $size bytes, under the API's 16 MiB" \
    test "$size" -lt $((16 * 1024 * 1024))
n=$(( 3000 + 5000 ))
check_eq "every page of 500 answers; every domain once, in order" \
    "$(walk 500)" "16 $n $n 1"
stop_daemon

# --- A POST during a slow read of the API: the read holds its store
# for 4 s (the test hook), the POST does not wait for it.
export TLSRPTD_TEST_READ_DELAY_MS=4000
must_start "daemon starts with the read delay" --config "$T/plain.conf"
unset TLSRPTD_TEST_READ_DELAY_MS
curl -s -o "$T/slowread" -w '%{http_code} %{time_total}' --max-time 30 \
    "http://127.0.0.1:$APIPORT/api/v1/domains?limit=5" > "$T/read" &
rd=$!
sleep 0.5
report during-read during.example > "$T/d.json"
got=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 \
    -H 'Content-Type: application/tlsrpt+json' \
    --data-binary "@$T/d.json" "http://127.0.0.1:$PORT/v1/tlsrpt")
reading=0
kill -0 "$rd" 2>/dev/null && reading=1
wait $rd
read_got=$(cat "$T/read")
check_eq "the POST during the read: 201" "${got% *}" 201
check_eq "... while the read was still under way" "$reading" 1
check "... answered in ${got#* } s, under 0.5 s" under 0.5 "${got#* }"
check "the read: 200 after its 4 s (${read_got#* } s)" \
    sh -c "[ '${read_got% *}' = 200 ] && awk 'BEGIN { exit !(${read_got#* } >= 4) }'"
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0
