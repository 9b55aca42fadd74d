#!/bin/sh
# tlsrpt-summary --live (doc/live.md), offline in a private network
# namespace (tests/live/env.sh): clean reports for shop.test give ready;
# its live MX has an expired certificate, so --live gives not-ready with
# mx-cert-invalid naming that MX; with the certificate fixed, ready.
# rot.test: reporters saw another policy than the live one and the id is
# not a new one: policy-id-not-rotated.
# runner: slow (make check-quick leaves it out)
. tests/live/env.sh
plan 21
live_start

mkdir -p "$T/reports"
$PY - "$T/reports" <<'PYEOF'
import datetime as dt, json, os, sys
out = sys.argv[1]
today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0,
                                                  microsecond=0)
def lines(age):
    return ["version: STSv1", "mode: testing", "mx: mx.shop.test",
            "max_age: %d" % age]
n = 0
for dom, age in (("shop.test", 604800), ("rot.test", 86400)):
    for day in range(1, 15):
        start = today - dt.timedelta(days=day)
        end = start + dt.timedelta(hours=23, minutes=59, seconds=59)
        for org in ("Alpha Mail", "Beta Mail"):
            n += 1
            r = {"organization-name": org,
                 "date-range": {"start-datetime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "end-datetime": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
                 "contact-info": "tlsrpt@example.org", "report-id": "r%d" % n,
                 "policies": [{"policy": {"policy-type": "sts",
                                          "policy-string": lines(age),
                                          "policy-domain": dom},
                               "summary": {"total-successful-session-count": 100,
                                           "total-failure-session-count": 0}}]}
            json.dump(r, open(os.path.join(out, "r%03d.json" % n), "w"))
PYEOF
"$BIN/tlsrpt-import" --db "$T/db" "$T/reports" > /dev/null
check_eq "clean reports imported" "$?" 0

"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --format json \
    > "$T/plain.json"
check_eq "reports alone: shop.test is ready, exit 0" \
    "$(jqv plain '.domains[0].verdict') $?" "ready 0"

summary() { # NAME: tlsrpt-summary --live into $T/NAME.json
	# shellcheck disable=SC2086
	"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test \
	    --domain rot.test --format json --live $LIVE > "$T/$1.json" \
	    2> "$T/$1.err"
	echo $? > "$T/$1.rc"
}
reason() { # NAME DOMAIN CODE FIELD
	jqv "$1" ".domains[] | select(.domain==\"$2\") | .reasons[] | select(.code==\"$3\") | .$4"
}

summary expired
# The action plan page with the live evidence, kept beside the others.
mkdir -p "$BIN/test-output"
# shellcheck disable=SC2086
"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --format html --live \
    $LIVE > "$BIN/test-output/page-live.html" 2>/dev/null
check "--live page: STARTTLS point not met from the live probe" \
    grep -q 'Not met</span> <strong>STARTTLS' "$BIN/test-output/page-live.html"
check "--live page: the policy published now" \
    grep -q '<h3>Published now (live check of' "$BIN/test-output/page-live.html"
check "--live page: a row per MX probed" \
    grep -q "<th scope=\"row\">smtp mx.shop.test 127.0.2.8</th><td class=\"st-blocking\">" \
    "$BIN/test-output/page-live.html"
# What page.sh checks of the other pages.
p="$BIN/test-output/page-live.html"
check "--live page: no script" sh -c "! grep -qi '<script' '$p'"
check "--live page: no external resource" \
    sh -c "! grep -Eqi '(src|href)=\"[a-z]+:' '$p'"
check "--live page: a policy that forbids loading anything" \
    grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$p"
check_eq "--live, expired MX certificate: not-ready, exit 1" \
    "$(jqv expired '.domains[0].verdict') $(cat "$T/expired.rc")" "not-ready 1"
check_eq "--live: mx-cert-invalid names the MX, blocking" \
    "$(reason expired shop.test mx-cert-invalid mx) $(reason expired shop.test mx-cert-invalid kind)" \
    "mx.shop.test blocking"
check_eq "--live: the live object is in the domain's JSON" \
    "$(jqv expired '.domains[0].live.checks.policy.http_status')" 200
check "--live: the next step says to fix the certificate" \
    grep -q 'Install on the MX host a certificate' "$T/expired.json"
check_eq "--live: no step to switch to enforce when not ready" \
    "$(jqv expired '[.domains[0].next_steps[] | select(startswith("Switch"))] | length')" 0
check_eq "--live: same policy as reported, no id warning" \
    "$(reason expired shop.test policy-id-not-rotated code)" ""
check_eq "--live: another policy than reported, id unchanged: warning" \
    "$(reason expired rot.test policy-id-not-rotated kind) $(reason expired rot.test policy-id-not-rotated live_id)" \
    "warning abcrot"
check_eq "policy-id-not-rotated: the lines that differ, as sets" \
    "$(reason expired rot.test policy-id-not-rotated 'reported_lines[0]') $(reason expired rot.test policy-id-not-rotated 'live_lines[0]')" \
    "max_age: 86400 max_age: 604800"

cp "$T/pki/mx.shop.valid.pem" "$T/pki/mx.shop.pem"
cp "$T/pki/mx.shop.valid.key" "$T/pki/mx.shop.key"
summary fixed
check_eq "--live, certificate fixed: ready, exit 0" \
    "$(jqv fixed '.domains[0].verdict') $(cat "$T/fixed.rc")" "ready 0"
check_eq "--live, fixed: no finding for shop.test" \
    "$(jqv fixed '.domains[0].live.findings | length')" 0
check_eq "--live, fixed: rot.test ready with its warning" \
    "$(jqv fixed '.domains[1].verdict') $(reason fixed rot.test policy-id-not-rotated code)" \
    "ready policy-id-not-rotated"

"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --live \
    --resolver 127.0.0.53 --trust-anchor "$T/dns/anchor.ds" \
    --ca-file "$T/pki/ca.pem" > "$T/text.out"
check "--live text output shows the verdict" grep -q "^shop.test: READY" "$T/text.out"
unshare --net "$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --live \
    > /dev/null 2> "$T/nonet.err"
check_eq "--live without any network: exit 75" "$?" 75
