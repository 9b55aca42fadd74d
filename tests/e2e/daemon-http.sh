#!/bin/sh
# tlsrptd's public listener driven by curl over real HTTPS on loopback:
# every status code of doc/http.md, the quarantine, the log line.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 51

acc=fixtures/reports/accept
rej=fixtures/reports/reject
https_conf "$T/tlsrptd.conf" "$T/db" "log-level = info"
must_start "daemon starts" --config "$T/tlsrptd.conf"
pass "daemon starts over HTTPS"

# 201 stored, 200 the same report again.
code=$(post "$acc/gzip.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "gzip report: 201" "$code" 201
check "201 body says accepted" grep -q '^201 accepted: report ' "$T/body"
code=$(post "$acc/gzip.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "same report again: 200 duplicate" "$code" 200
check "200 body says duplicate" grep -q '^200 duplicate: ' "$T/body"
code=$(post "$acc/plain-rfc.json" -H 'Content-Type: application/tlsrpt+json' \
    -H 'Accept: application/json')
check_eq "JSON report: 201" "$code" 201
check "JSON answer when asked for" grep -q '"outcome":"accepted"' "$T/body"
check_eq "JSON answer: Content-Type" "$(header Content-Type)" application/json
for t in application/gzip application/x-gzip application/octet-stream; do
	code=$(post "$acc/gzip.json.gz" -H "Content-Type: $t")
	check_eq "type $t accepted (200 as a duplicate)" "$code" 200
done
code=$(post "$acc/utf8-names.json" -H 'Content-Type:')
check_eq "no Content-Type: sniffed, 201" "$code" 201
code=$(post "$acc/utf8-bom.json" -H 'Content-Type: application/json; charset=utf-8')
check_eq "application/json with parameters: 201" "$code" 201

# Content-Encoding gzip is taken off once: a gzip report sent gzip-encoded.
gzip -c "$acc/several-sts-policies.json" | gzip -c > "$T/double.gz"
code=$(post "$T/double.gz" -H 'Content-Type: application/tlsrpt+gzip' \
    -H 'Content-Encoding: gzip')
check_eq "Content-Encoding gzip of a gzip report: 201" "$code" 201
gzip -c "$acc/contact-info-null.json" > "$T/enc.gz"
code=$(post "$T/enc.gz" -H 'Content-Type: application/tlsrpt+json' \
    -H 'Content-Encoding: gzip')
check_eq "Content-Encoding gzip of a JSON report: 201" "$code" 201
code=$(post "$acc/plain-rfc.json" -H 'Content-Encoding: br')
check_eq "Content-Encoding br: 415" "$code" 415

# 400: malformed, the reason in the body, the payload in quarantine.
q0=$(sql "$T/db" "select count(*) from quarantine")
code=$(post "$rej/count-negative.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "negative count: 400" "$code" 400
check "400 body names the JSON path" grep -q 'total-successful-session-count\|total-failure-session-count' "$T/body"
code=$(post "$rej/gzip-truncated.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "truncated gzip: 400" "$code" 400
code=$(post "$rej/not-json.json" -H 'Content-Type: application/json')
check_eq "not JSON: 400" "$code" 400
q1=$(sql "$T/db" "select count(*) from quarantine")
check_eq "rejected bodies kept in quarantine" "$((q1 - q0))" 3
check_eq "quarantine keeps the peer and source" \
    "$(sql "$T/db" "select distinct source || ' ' || peer from quarantine")" \
    "https 127.0.0.1"
# The daemon's clock is the time of receipt: a report dated in 9999 is
# refused, or it would keep its domain fresh until then.
code=$(post "$rej/range-ending-in-9999.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "a report ending in 9999: 400" "$code" 400
check "the 400 says it ends after its receipt" grep -q \
    'date-range.end-datetime: 9999-12-31T23:59:59Z is more than 2 days after the report was received' \
    "$T/body"

# 413: Content-Length over max-body (answered before the body), and a
# chunked body that passes the cap while streaming; both recorded.
head -c 12000000 /dev/zero | tr '\0' ' ' > "$T/big"
code=$(post "$T/big" -H 'Content-Type: application/tlsrpt+json')
check_eq "12 MB body: 413" "$code" 413
code=$(post "$T/big" -H 'Content-Type: application/tlsrpt+json' \
    -H 'Transfer-Encoding: chunked')
check_eq "12 MB chunked body: 413" "$code" 413
check_eq "413s recorded in quarantine" \
    "$(sql "$T/db" "select count(*) from quarantine where reason like '%over the limit%'")" 2
code=$(post "$acc/failure-details-empty.json" -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/tlsrpt+json')
check_eq "small chunked body: 201" "$code" 201

# 415: types that cannot be a report.
code=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$CA" \
    -F "report=@$acc/gzip.json.gz" "https://127.0.0.1:$PORT/v1/tlsrpt")
check_eq "multipart/form-data: 415" "$code" 415
code=$(post "$acc/plain-rfc.json" -H 'Content-Type: text/html')
check_eq "text/html: 415" "$code" 415

# 411: a POST with neither Content-Length nor a chunked body.
printf 'POST /v1/tlsrpt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    openssl s_client -quiet -connect "127.0.0.1:$PORT" 2>/dev/null > "$T/raw"
check "no length: 411" grep -q '^HTTP/1.1 411' "$T/raw"

# 431: headers past what a connection's memory holds (about 30 KiB, see
# http.h); a long header within it is served.
pad=$(head -c 40000 /dev/zero | tr '\0' a)
code=$(post "$acc/gzip.json.gz" -H 'Content-Type: application/tlsrpt+gzip' \
    -H "X-Padding: $pad")
check_eq "40 KB of headers: 431" "$code" 431
ua=$(head -c 8000 /dev/zero | tr '\0' u)
code=$(post "$acc/gzip.json.gz" -H 'Content-Type: application/tlsrpt+gzip' \
    -H "User-Agent: $ua")
check_eq "an 8 KB User-Agent: served (200, a duplicate)" "$code" 200

# 405 with Allow, 404.
code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --cacert "$CA" \
    "https://127.0.0.1:$PORT/v1/tlsrpt")
check_eq "GET on the ingest path: 405" "$code" 405
check_eq "405 says Allow: POST" "$(header Allow)" POST
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -X PUT \
    --data-binary x "https://127.0.0.1:$PORT/v1/tlsrpt")
check_eq "PUT: 405" "$code" 405
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" \
    --data-binary "@$acc/plain-rfc.json" "https://127.0.0.1:$PORT/other")
check_eq "another path: 404" "$code" 404

# 202 while another writer holds the store: the body waits in the spool
# and is stored once the store is free (senders do not retry).
# The lock is taken before the post, however slow the machine.
check "another writer locks the store" lock_store "$T/db"
code=$(post "$acc/keys-in-any-order.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "store locked: 202" "$code" 202
check "202 says the report is kept for later" \
    grep -q '^202 spooled: .*kept on disk' "$T/body"
check "... and has no Retry-After" test -z "$(header Retry-After)"
unlock_store
spooled() {
	[ "$(sql "$T/db" "select count(*) from report
	    where report_id like '%keys-in-any-order%'")" = 1 ]
}
check "store free again: the spooled report is stored" wait_for 20 spooled
code=$(post "$acc/keys-in-any-order.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "... and the same report again is 200" "$code" 200

# One log line per report, and never a 500.
check "log line per report" grep -q 'report source="https" peer="127.0.0.1" outcome="accepted" domain=' "$T/daemon.log"
check "log line for a rejection has the reason" grep -q 'outcome="rejected" .*reason="' "$T/daemon.log"
# A value of the sender's with a quote and a backslash in it, quoted in
# the reason: the reason's own quotes still end it, and the log line's.
sed 's/"yesterday"/"yester\\"day\\\\"/' "$rej/start-not-a-datetime.json" > "$T/quote.json"
code=$(post "$T/quote.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "a date-time with a quote: 400 quoting it escaped" "$code $(cat "$T/body")" \
    '400 400 rejected: date-range.start-datetime: not a date-time: "yester\x22day\x5c"'
check "every report log line reads as key=\"value\" pairs" events_parse "$T/daemon.log"
check "the log line quotes the reason's quotes escaped" grep -qF \
    'reason="date-range.start-datetime: not a date-time: \"yester\\x22day\\x5c\""' "$T/daemon.log"
curl -s "http://127.0.0.1:$APIPORT/metrics" > "$T/metrics"
check "metrics: no 500" grep -q '^tlsrpt_http_responses_total{code="500"} 0$' "$T/metrics"
check "metrics: the 201s counted" grep -q '^tlsrpt_reports_total{source="https",outcome="accepted"} 8$' "$T/metrics"

stop_daemon
check_eq "SIGTERM: exit 0" "$?" 0
