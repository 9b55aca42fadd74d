#!/bin/sh
# tlsrptd's read API: /healthz, /metrics in Prometheus text, the domains
# and their counts, the token (Bearer, or the password of HTTP Basic for
# a browser), methods and paths it refuses.
. tests/lib.sh
. tests/daemon-lib.sh
plan 57

acc=fixtures/reports/accept
https_conf "$T/tlsrptd.conf" "$T/db" 'api-token = "s3cret token"'

must_start "daemon starts" --config "$T/tlsrptd.conf"
auth='Authorization: Bearer s3cret token'

code=$(api /healthz)
check_eq "/healthz without the token: 200" "$code" 200
check_eq "/healthz says ok" "$(cat "$T/api")" ok
check_eq "/metrics without the token: 401" "$(api /metrics)" 401
check_eq "/metrics with a wrong token: 401" \
    "$(api /metrics -H 'Authorization: Bearer nope')" 401
check_eq "/api/v1/domains without the token: 401" "$(api /api/v1/domains)" 401

code=$(api /api/v1/domains -H "$auth")
check_eq "/api/v1/domains on an empty store: 200" "$code" 200
check "no domains yet" grep -q '"domains": \[\]' "$T/api"

post "$acc/plain-rfc.json" -H 'Content-Type: application/tlsrpt+json' >/dev/null
post "$acc/several-sts-policies.json" -H 'Content-Type: application/tlsrpt+json' >/dev/null
post "$acc/domain-case-and-trailing-dot.json" -H 'Content-Type: application/tlsrpt+json' >/dev/null
post "$acc/plain-rfc.json" -H 'Content-Type: application/tlsrpt+json' >/dev/null
post fixtures/reports/reject/count-negative.json -H 'Content-Type: application/tlsrpt+json' >/dev/null

code=$(api /metrics -H "$auth")
check_eq "/metrics with the token: 200" "$code" 200
check "metrics: Prometheus HELP/TYPE lines" grep -q '^# TYPE tlsrpt_reports_total counter$' "$T/api"
check_eq "metrics: accepted over https" \
    "$(grep '^tlsrpt_reports_total{source="https",outcome="accepted"}' "$T/api" | cut -d' ' -f2)" 3
check_eq "metrics: duplicate over https" \
    "$(grep '^tlsrpt_reports_total{source="https",outcome="duplicate"}' "$T/api" | cut -d' ' -f2)" 1
check_eq "metrics: rejected over https" \
    "$(grep '^tlsrpt_reports_total{source="https",outcome="rejected"}' "$T/api" | cut -d' ' -f2)" 1
check "metrics: bytes received" grep -q '^tlsrpt_received_bytes_total{source="https"} [1-9]' "$T/api"
check "metrics: latency histogram" grep -q '^tlsrpt_ingest_duration_seconds_count 5$' "$T/api"
check "metrics: every series is tlsrpt_" sh -c "! grep -v '^#' '$T/api' | grep -v '^tlsrpt_'"

code=$(api /api/v1/domains -H "$auth")
check_eq "/api/v1/domains: 200" "$code" 200
domains=$(grep '"domain"' "$T/api" | sed 's/.*: "//; s/".*//' | tr '\n' ' ')
check "the domains received are listed" test -n "$domains"
check "example.com listed" grep -q '"domain": "example.com"' "$T/api"
check "domains are lower case without the dot" sh -c "! grep -q '\"domain\": \".*[A-Z.]\"' '$T/api'"

# The daemon judges a domain within 10 s of its report: the list then
# carries the verdict, the one its summary gives.
verdict_of() {	# FILE: example.com's verdict in a list or a summary
	python3 -c 'import json, sys
ds = json.load(open(sys.argv[1]))["domains"]
print([d.get("verdict") or "" for d in ds if d["domain"] == "example.com"][0])' "$1"
}
judged() {
	api /api/v1/domains -H "$auth" > /dev/null && [ -n "$(verdict_of "$T/api")" ]
}
check "/api/v1/domains: example.com's verdict within 15 s" wait_for 15 judged
listed=$(verdict_of "$T/api")
api /api/v1/domains/example.com/summary -H "$auth" > /dev/null
check_eq "/api/v1/domains: the verdict is its summary's" "$listed" \
    "$(verdict_of "$T/api")"

code=$(api /api/v1/domains/example.com/summary -H "$auth")
check_eq "summary of example.com: 200" "$code" 200
check "summary has the counts" grep -q '"reports": ' "$T/api"
check "summary has the verdict" grep -q '"verdict": ' "$T/api"
# The same JSON as tlsrpt-summary for that domain, and the same page.
now=2026-03-15T00:00:00Z
code=$(api "/api/v1/domains/example.com/summary?now=$now&days=30" -H "$auth")
"$BIN/tlsrpt-summary" --db "$T/db" --domain example.com --now "$now" \
    --days 30 --format json > "$T/cli.json"
check_eq "summary with ?now and ?days: 200" "$code" 200
check "summary: byte for byte the JSON of tlsrpt-summary" cmp -s "$T/api" "$T/cli.json"
code=$(api "/report/example.com?now=$now&days=30" -H "$auth")
"$BIN/tlsrpt-summary" --db "$T/db" --domain example.com --now "$now" \
    --days 30 --format html > "$T/cli.html"
check_eq "/report/example.com: 200" "$code" 200
check "/report: the same page as tlsrpt-summary --format html" cmp -s "$T/api" "$T/cli.html"
code=$(api "/report/example.com")
check_eq "/report needs the token too" "$code" 401
check "/report without the token asks for Basic, as a browser needs" \
    sh -c "curl -s -o /dev/null -D - http://127.0.0.1:$APIPORT/report/example.com |
    tr -d '\r' | grep -qx 'WWW-Authenticate: Basic realm=\"tlsrptd\", charset=\"UTF-8\"'"
# A browser's way: HTTP Basic, any user name, the token as the password.
code=$(api "/report/example.com?now=$now&days=30" -u 'owner:s3cret token')
check_eq "/report with Basic and the token: 200" "$code" 200
check "/report with Basic: the same page" cmp -s "$T/api" "$T/cli.html"
check_eq "/ with Basic and the token: 200" "$(api / -u 'x:s3cret token')" 200
check_eq "/api/v1/domains with Basic and the token: 200" \
    "$(api /api/v1/domains -u 'any:s3cret token')" 200
check "... lists example.com" grep -q '"domain": "example.com"' "$T/api"
check_eq "/metrics with Basic and the token: 200" \
    "$(api /metrics -u ':s3cret token')" 200
code=$(api /report/example.com -u 'owner:s3cret' -D "$T/headers")
check_eq "/report with Basic and a wrong password: 401" "$code" 401
check_eq "... with the Basic challenge" "$(header WWW-Authenticate)" \
    'Basic realm="tlsrptd", charset="UTF-8"'
check "... and the Bearer one" grep -q '^WWW-Authenticate: Bearer realm="tlsrptd"' "$T/headers"
check_eq "/report with Basic that is not base64: 401" \
    "$(api /report/example.com -H 'Authorization: Basic %%%not-base64')" 401
check_eq "/report with Basic of no colon: 401" \
    "$(api /report/example.com -H 'Authorization: Basic czNjcmV0IHRva2Vu')" 401
big=$(head -c 3000 /dev/zero | tr '\0' A)
check_eq "a 3000-byte Authorization header: 401" \
    "$(api /api/v1/domains -H "Authorization: Basic $big")" 401
check_eq "the daemon still answers" "$(api /healthz)" 200
code=$(api "/report/nothing.example" -H "$auth")
check_eq "/report of an unknown domain: 404" "$code" 404
code=$(api "/api/v1/domains/example.com/summary?days=0" -H "$auth")
check_eq "summary with a bad ?days: 400" "$code" 400
code=$(api "/api/v1/domains/example.com/summary?now=soon" -H "$auth")
check_eq "summary with a bad ?now: 400" "$code" 400
code=$(api /api/v1/domains/EXAMPLE.COM./summary -H "$auth")
check_eq "summary: the domain in any case, with a dot" "$code" 200
code=$(api /api/v1/domains/nothing.example/summary -H "$auth")
check_eq "summary of an unknown domain: 404" "$code" 404
code=$(api '/api/v1/domains/a%20b/summary' -H "$auth")
check_eq "summary of a bad name: 404" "$code" 404
check "the 404 says why" grep -q '"a b\\" is not a DNS name' "$T/api"
# A domain in Unicode is the A-label its reports were stored under.
post "$acc/domain-u-label.json" -H 'Content-Type: application/tlsrpt+json' >/dev/null
code=$(api "/api/v1/domains/B%C3%BCcher.example./summary?now=$now&days=30" -H "$auth")
check_eq "summary of a U-label domain: 200" "$code" 200
check "the U-label domain is its A-label" \
    grep -q '"domain": "xn--bcher-kva.example"' "$T/api"
code=$(api "/report/xn--bcher-kva.example?now=$now&days=30" -H "$auth")
check_eq "/report of the A-label: 200" "$code" 200
code=$(api /nowhere -H "$auth")
check_eq "another path: 404" "$code" 404
code=$(curl -s -o /dev/null -D "$T/headers" -w '%{http_code}' -X POST \
    --data x "http://127.0.0.1:$APIPORT/metrics")
check_eq "POST on the API: 405" "$code" 405
check_eq "405 says Allow" "$(header Allow)" "GET, HEAD"

stop_daemon
check_eq "SIGTERM: exit 0" "$?" 0
