#!/bin/sh
# tlsrpt-check, the MX side (doc/live.md), offline in a private
# network namespace (tests/live/env.sh): STARTTLS not offered, each
# certificate fault (expired, wrong name, self-signed), a certificate
# expiring before now + max_age, a DANE mismatch, --no-smtp.
# runner: slow (make check-quick leaves it out)
. tests/live/env.sh
plan 12
live_start

finding() { # NAME CODE FIELD
	jqv "$1" ".domains[0].findings[] | select(.code==\"$2\") | .$3"
}

run_live nostarttls nostarttls.test
check_eq "no STARTTLS: mx-no-starttls, blocking, exit 1" \
    "$(codes nostarttls) $(finding nostarttls mx-no-starttls kind) $(cat "$T/nostarttls.rc")" \
    "mx-no-starttls blocking 1"
check_eq "no STARTTLS: the MX and what it offered" \
    "$(finding nostarttls mx-no-starttls mx) $(finding nostarttls mx-no-starttls starttls_offered)" \
    "mx.nostarttls.test false"

run_live expired expired.test
check_eq "expired certificate: mx-cert-invalid" "$(codes expired)" \
    mx-cert-invalid
check_eq "expired certificate: fault and date" \
    "$(finding expired mx-cert-invalid 'faults[]') $(finding expired mx-cert-invalid not_after)" \
    "expired 2020-03-01T00:00:00Z"

run_live wrongname wrongname.test
check_eq "wrong-name certificate: mx-cert-invalid, wrong-name" \
    "$(codes wrongname) $(finding wrongname mx-cert-invalid 'faults[]')" \
    "mx-cert-invalid wrong-name"

run_live selfsigned selfsigned.test
check_eq "self-signed certificate: mx-cert-invalid, untrusted" \
    "$(codes selfsigned) $(finding selfsigned mx-cert-invalid 'faults[]')" \
    "mx-cert-invalid untrusted"

run_live soon soon.test
check_eq "certificate expiring before now + max_age: a warning, exit 2" \
    "$(codes soon) $(finding soon mx-cert-expires-soon kind) $(cat "$T/soon.rc")" \
    "mx-cert-expires-soon warning 2"
check_eq "expires-soon: the max_age in the evidence" \
    "$(finding soon mx-cert-expires-soon max_age)" 604800

run_live danebad danebad.test
check_eq "TLSA record that matches nothing: mx-dane-mismatch" \
    "$(codes danebad) $(jqv danebad '.domains[0].checks.smtp[0].dane.match')" \
    "mx-dane-mismatch false"

run_live nosmtp --no-smtp expired.test
check_eq "--no-smtp: no probe, no finding" \
    "$(codes nosmtp) $(jqv nosmtp '.domains[0].checks.smtp | length') $(jqv nosmtp '.domains[0].checks.smtp_skipped')" \
    " 0 true"

# Two domains at once, text: the worst exit wins.
"$BIN/tlsrpt-check" $LIVE good.test soon.test expired.test > "$T/three.out"
check_eq "several domains: exit 1 when any is blocking" "$?" 1
check "text: the certificate evidence" \
    grep -q 'mx.expired.test 127.0.2.4: blocking, TLS1.3, certificate' \
    "$T/three.out"
