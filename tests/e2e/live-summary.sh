#!/bin/sh
# tlsrpt-summary --live (doc/live.md), offline in a private network
# namespace (tests/live/env.sh): clean reports for shop.test give ready;
# its live MX has an expired certificate, so --live gives not-ready with
# mx-cert-invalid naming that MX; with the certificate fixed, ready.
# rot.test: reporters saw another policy than the live one and the id is
# not a new one: policy-id-not-rotated. Behind a resolver without DNSSEC
# the verdicts stand, with one warning; with DNS down the verdict of the
# reports stays, saying the live checks could not run.
# runner: slow (make check-quick leaves it out)
. tests/live/env.sh
plan 33
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

summary() { # NAME [live options]: tlsrpt-summary --live into $T/NAME.json
	name=$1
	shift
	# shellcheck disable=SC2086
	"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test \
	    --domain rot.test --format json --live $LIVE "$@" \
	    > "$T/$name.json" 2> "$T/$name.err"
	echo $? > "$T/$name.rc"
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

# A resolver that gives no DNSSEC data: the same verdicts, said once.
# shellcheck disable=SC2086
"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --domain rot.test \
    --live $LIVE --resolver 127.0.0.54 > "$T/strip.out"
rc=$?
check_eq "--live, resolver without DNSSEC: ready, exit 0" \
    "$(grep -c '^[a-z.]*: READY' "$T/strip.out") $rc" "2 0"
check_eq "--live, resolver without DNSSEC: one warning line" \
    "$(grep -c '^warning: the resolver 127.0.0.54 gives no DNSSEC data' "$T/strip.out")" 1
check "--live, resolver without DNSSEC: no dnssec-bogus reason" \
    sh -c "! grep -q dnssec-bogus '$T/strip.out'"
summary strip --resolver 127.0.0.54
check_eq "--live, resolver without DNSSEC, JSON: resolver_dnssec false, one warning" \
    "$(jqv strip '.resolver_dnssec') $(jqv strip '[.warnings[].code] | join(" ")')" \
    "false resolver-without-dnssec"
# shellcheck disable=SC2086
"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --format html --live \
    $LIVE --resolver 127.0.0.54 > "$T/strip.html"
check "--live, resolver without DNSSEC, page: DNSSEC and DANE not checked" \
    grep -q '<p>DNSSEC and DANE were not checked: the resolver gives no DNSSEC data' \
    "$T/strip.html"

# DNS down: the verdict of the reports stays, the live part said missing.
unshare --net "$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --live \
    > "$T/nonet.out" 2> "$T/nonet.err"
rc=$?
check_eq "--live without any network: the reports' verdict, its exit 0" \
    "$(head -1 "$T/nonet.out") $rc" "shop.test: READY 0"
check "--live without any network: says the live checks could not run" \
    grep -q 'warning   live-checks-not-run: the live checks could not run, so this verdict is from the reports alone: DNS: no answer for the MX records of shop.test' \
    "$T/nonet.out"
check "--live without any network: the next step is to run them again" \
    grep -q '1. Run the live checks again (--live) when DNS answers.' \
    "$T/nonet.out"
summary servfail --resolver 127.0.0.55
check_eq "--live, SERVFAIL resolver, JSON: the reports' verdicts, exit 0" \
    "$(jqv servfail '[.domains[].verdict] | join(" ")') $(cat "$T/servfail.rc")" \
    "ready ready 0"
check_eq "--live, SERVFAIL resolver, JSON: live-checks-not-run names SERVFAIL" \
    "$(reason servfail shop.test live-checks-not-run kind) $(reason servfail shop.test live-checks-not-run 'error | test("SERVFAIL")')" \
    "warning true"
check_eq "--live, SERVFAIL resolver, JSON: no live object" \
    "$(jqv servfail '[.domains[] | has("live")] | join(" ")')" "false false"
# Too few reporters for the reports: insufficient-data stays, exit 2.
# shellcheck disable=SC2086
"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --format json \
    --min-reporters 3 --live $LIVE --resolver 127.0.0.55 > "$T/nr.json"
rc=$?
check_eq "--live, SERVFAIL resolver: the reports' insufficient-data, exit 2" \
    "$(jqv nr '.domains[0].verdict') $rc" "insufficient-data 2"
# shellcheck disable=SC2086
"$BIN/tlsrpt-summary" --db "$T/db" --domain shop.test --format html --live \
    $LIVE --resolver 127.0.0.55 > "$T/servfail.html"
check "--live, SERVFAIL resolver, page: the live checks could not run" \
    grep -q '<p>The live checks could not run: DNS: no answer' "$T/servfail.html"
