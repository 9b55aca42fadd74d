#!/bin/sh
# tlsrpt-check, DNS side (doc/live.md), offline in a private network
# namespace (tests/live/env.sh): a good domain, the _mta-sts and
# _smtp._tls records, DNSSEC secure, insecure and bogus, a resolver that
# gives no DNSSEC data, the options, and DNS down (SERVFAIL, no network).
. tests/live/env.sh
plan 48
live_start

run_live good good.test
check_eq "good domain: exit 0" "$(cat "$T/good.rc")" 0
check_eq "good domain: no finding" "$(codes good)" ""
check_eq "good domain: status ok" "$(jqv good '.domains[0].status')" ok
check_eq "good domain: MX hosts by preference" \
    "$(jqv good '.domains[0].checks.mx.hosts[].host')" \
    "mx1.good.test mx2.good.test"
check_eq "good domain: signed zone answers are DNSSEC secure" \
    "$(jqv good '.domains[0].checks.mx.dnssec')" secure
check_eq "TXT record in two strings joins without a space" \
    "$(jqv good '.domains[0].checks.sts_record.records[0]')" \
    "v=STSv1; id=20240101000000"
check_eq "the live TXT id" "$(jqv good '.domains[0].checks.sts_record.id')" \
    20240101000000
check_eq "TLS-RPT rua" "$(jqv good '.domains[0].checks.tlsrpt_record.rua[]')" \
    "mailto:tlsrpt@good.test"
check_eq "wildcard *.good.test matches both MX hosts" \
    "$(jqv good '.domains[0].checks.mx_patterns[0].matches | length')" 2
check_eq "DANE TLSA 3 1 1 of a secure MX matches" \
    "$(jqv good '.domains[0].checks.smtp[0].dane.match')" true

run_live plain plain.test
check_eq "unsigned child zone: DNSSEC insecure, still checked" \
    "$(jqv plain '.domains[0].checks.mx.dnssec') $(cat "$T/plain.rc")" \
    "insecure 0"

run_live twosts --no-smtp twosts.test
check_eq "two v=STSv1 records: sts-record-invalid" "$(codes twosts)" \
    sts-record-invalid
check_eq "two v=STSv1 records: evidence counts 2, exit 1" \
    "$(jqv twosts '.domains[0].findings[0].sts_records') $(cat "$T/twosts.rc")" \
    "2 1"

run_live badid --no-smtp badid.test
check_eq "bad id: sts-record-invalid" "$(codes badid)" sts-record-invalid
check_eq "bad id: the problem named" \
    "$(jqv badid '.domains[0].findings[0].problem')" \
    "the id must be 1 to 32 letters and digits only"

run_live notlsrpt --no-smtp notlsrpt.test
check_eq "no _smtp._tls record: tlsrpt-record-missing, a warning" \
    "$(codes notlsrpt) $(jqv notlsrpt '.domains[0].findings[0].kind')" \
    "tlsrpt-record-missing warning"
check_eq "warnings only: exit 2" "$(cat "$T/notlsrpt.rc")" 2

run_live bogus --no-smtp bogus.test
check_eq "DNSSEC-bogus MX answer: dnssec-bogus, blocking" \
    "$(jqv bogus '.domains[0].findings[] | select(.code=="dnssec-bogus") | .kind')" \
    blocking
check "DNSSEC-bogus: the reason is in the evidence" \
    grep -q 'signature verification failed' "$T/bogus.json"
check_eq "DNSSEC-bogus: the altered MX is not used" \
    "$(jqv bogus '.domains[0].checks.mx.hosts | length')" 0
check_eq "DNSSEC-bogus behind a validating resolver: resolver_dnssec true" \
    "$(jqv bogus '.resolver_dnssec') $(jqv bogus '.warnings | length')" \
    "true 0"

# A resolver that gives no DNSSEC data (127.0.0.54 asks the zones with
# the DO bit cleared, as many home routers do): every answer would be
# bogus; that is said once, and the rest is checked without validation.
run_live strip --resolver 127.0.0.54 good.test plain.test
check_eq "no DNSSEC from the resolver: good domains pass, exit 0" \
    "$(jqv strip '[.domains[].status] | join(" ")') $(cat "$T/strip.rc")" \
    "ok ok 0"
check_eq "no DNSSEC from the resolver: resolver_dnssec false" \
    "$(jqv strip '.resolver_dnssec')" false
check_eq "no DNSSEC from the resolver: one warning, resolver-without-dnssec" \
    "$(jqv strip '[.warnings[] | .code + " " + .kind] | join(",")')" \
    "resolver-without-dnssec warning"
check_eq "no DNSSEC from the resolver: why, from the trust anchor's DNSKEY" \
    "$(jqv strip '.warnings[0].why_bogus | test("test. DNSKEY.*no signatures")')" \
    true
check_eq "no DNSSEC from the resolver: no dnssec-bogus finding" \
    "$(jqv strip '[.domains[].findings[].code] | length')" 0
check_eq "no DNSSEC from the resolver: the MX answer is not-checked" \
    "$(jqv strip '[.domains[].checks.mx.dnssec] | join(" ")')" \
    "not-checked not-checked"
check_eq "no DNSSEC from the resolver: DANE not checked (not failed)" \
    "$(jqv strip '[.domains[0].checks.smtp[].dane.checked] | join(" ")')" \
    "false false"
check_eq "validating resolver: DANE checked and matching" \
    "$(jqv good '.domains[0].checks.smtp[0].dane | "\(.checked) \(.match)"')" \
    "true true"
check_eq "validating resolver: resolver_dnssec true, no warning" \
    "$(jqv good '.resolver_dnssec') $(jqv good '.warnings | length')" "true 0"
# shellcheck disable=SC2086
"$BIN/tlsrpt-check" $LIVE --resolver 127.0.0.54 --no-smtp twosts.test good.test \
    > "$T/strip.out" 2>&1
check_eq "no DNSSEC from the resolver, text: one warning line for two domains" \
    "$(grep -c '^warning: the resolver 127.0.0.54 gives no DNSSEC data' "$T/strip.out")" 1
check "no DNSSEC from the resolver, text: the other findings still shown" \
    grep -q 'blocking sts-record-invalid' "$T/strip.out"
# The root key (dns-root-data, the default anchor) through a server that
# cannot give the root's DNSKEY: the same, said of the anchor ".".
run_live root --trust-anchor /usr/share/dns/root.key good.test
check_eq "root anchor, no root DNSKEY from the resolver: passes, one warning" \
    "$(jqv root '.domains[0].status') $(jqv root '.resolver_dnssec') $(jqv root '.warnings[0].trust_anchor') $(cat "$T/root.rc")" \
    "ok false . 0"
run_live none --trust-anchor none good.test
check_eq "--trust-anchor none: no resolver_dnssec field, exit 0" \
    "$(jqv none 'has("resolver_dnssec")') $(cat "$T/none.rc")" "false 0"

# Text output
"$BIN/tlsrpt-check" $LIVE --no-smtp twosts.test > "$T/text.out" 2>&1
check "text output names the finding" \
    grep -q 'blocking sts-record-invalid: 2 "v=STSv1" TXT records' "$T/text.out"

# Options
"$BIN/tlsrpt-check" --resolver nowhere good.test 2> "$T/opt.err"
check_eq "bad --resolver: exit 64" "$?" 64
check "bad --resolver: names the option" grep -q -- '--resolver' "$T/opt.err"
"$BIN/tlsrpt-check" --connect-to a:b:c good.test 2> "$T/opt.err"
check_eq "bad --connect-to: exit 64" "$?" 64
"$BIN/tlsrpt-check" --dns-timeout 0 good.test 2> "$T/opt.err"
check_eq "bad --dns-timeout: exit 64" "$?" 64
"$BIN/tlsrpt-check" 2> "$T/opt.err"
check_eq "no domain: exit 64" "$?" 64
out=$("$BIN/tlsrpt-check" 'a..test' 2>&1); rc=$?
check_eq "not a DNS name: one line, exit 64" "$out $rc" \
    'tlsrpt-check: a..test: "a..test" is not a DNS name: an empty label 64'

# No network at all (a namespace without even loopback), no --resolver.
start=$(date +%s)
unshare --net "$BIN/tlsrpt-check" good.test > "$T/nonet.out" 2> "$T/nonet.err"
rc=$?
end=$(date +%s)
check_eq "no network: exit 75" "$rc" 75
check "no network: a clear message" grep -q 'DNS: no answer for the MX' \
    "$T/nonet.err"
check "no network: fails fast (under 3 s)" [ $((end - start)) -lt 3 ]
unshare --net "$BIN/tlsrpt-check" --format json good.test plain.test \
    > "$T/nonet.json" 2> /dev/null
rc=$?
check_eq "no network, JSON: valid, exit 75" "$rc $(jq -e type "$T/nonet.json")" \
    '75 "object"'
check_eq "no network, JSON: each domain an error naming DNS" \
    "$(jqv nonet '[.domains[] | .domain + ":" + .status] | join(" ")') $(jqv nonet '.domains[0].error | startswith("DNS: no answer for the MX records of good.test")')" \
    "good.test:error plain.test:error true"
# A resolver that answers SERVFAIL to everything.
run_live servfail --resolver 127.0.0.55 good.test
check_eq "SERVFAIL resolver, JSON: valid, exit 75" \
    "$(cat "$T/servfail.rc") $(jq -e type "$T/servfail.json")" '75 "object"'
check_eq "SERVFAIL resolver, JSON: the error named" \
    "$(jqv servfail '.domains[0].error | test("MX records of good.test \\(SERVFAIL\\)")')" \
    true
