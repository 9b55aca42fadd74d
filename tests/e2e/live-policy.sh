#!/bin/sh
# tlsrpt-check, the policy side (doc/live.md), offline in a private
# network namespace (tests/live/env.sh): MX against the policy's patterns
# and back, and each way the policy fetch can fail: 404, redirect, over
# 64 KiB, too slow, a certificate for another name, a malformed policy;
# --connect-to for HTTPS and SMTP.
# runner: slow (make check-quick leaves it out)
. tests/live/env.sh
plan 20
live_start

finding() { # NAME CODE FIELD: one field of the first finding with CODE
	jqv "$1" ".domains[0].findings[] | select(.code==\"$2\") | .$3"
}

run_live mxmiss --no-smtp mxmiss.test
check_eq "MX not in the policy, a pattern unused" "$(codes mxmiss)" \
    "mx-missing-from-policy mx-pattern-unused"
check_eq "mx-missing-from-policy names the MX" \
    "$(finding mxmiss mx-missing-from-policy mx)" backup.mxmiss.test
check_eq "mx-missing-from-policy is blocking; exit 1" \
    "$(finding mxmiss mx-missing-from-policy kind) $(cat "$T/mxmiss.rc")" \
    "blocking 1"
check_eq "mx-pattern-unused names the pattern, a warning" \
    "$(finding mxmiss mx-pattern-unused pattern) $(finding mxmiss mx-pattern-unused kind)" \
    "old.mxmiss.test warning"
check_eq "matched MX: evidence of the pattern" \
    "$(jqv mxmiss '.domains[0].checks.mx_in_policy[0].matched_by')" \
    mx1.mxmiss.test

run_live wild --no-smtp wild.test
check_eq "*.wild.test matches one label only: a.b.wild.test is missing" \
    "$(finding wild mx-missing-from-policy mx)" a.b.wild.test
check_eq "*.wild.test still matches c.wild.test" \
    "$(jqv wild '.domains[0].checks.mx_patterns[0].matches[]')" c.wild.test

run_live p404 --no-smtp p404.test
check_eq "policy 404: policy-unreachable" "$(codes p404)" policy-unreachable
check_eq "policy 404: the status in the evidence" \
    "$(finding p404 policy-unreachable http_status)" 404

run_live predir --no-smtp predir.test
check_eq "policy redirect: policy-unreachable, not followed" \
    "$(codes predir) $(finding predir policy-unreachable http_status)" \
    "policy-unreachable 301"
check_eq "policy redirect: the target in the evidence" \
    "$(finding predir policy-unreachable location)" \
    https://www.example.test/mta-sts.txt

run_live pbig --no-smtp pbig.test
check_eq "policy over 64 KiB: policy-unreachable, too_big" \
    "$(codes pbig) $(finding pbig policy-unreachable too_big)" \
    "policy-unreachable true"

run_live pslow --no-smtp pslow.test
check_eq "slow policy host: policy-unreachable, timed out" \
    "$(codes pslow) $(finding pslow policy-unreachable timed_out)" \
    "policy-unreachable true"

run_live pcert --no-smtp pcert.test
check_eq "policy host with another name's certificate: refused" \
    "$(codes pcert) $(finding pcert policy-unreachable certificate_refused)" \
    "policy-unreachable true"
check "the certificate fault in the evidence" \
    grep -q 'mta-sts.other.test' "$T/pcert.json"

run_live pbad --no-smtp pbad.test
check_eq "malformed policy: policy-invalid" "$(codes pbad)" policy-invalid
check_eq "malformed policy: every problem listed" \
    "$(jqv pbad '.domains[0].findings[0].problems | length')" 3
check "malformed policy: the mode named" grep -q 'mode is \\"enforcing\\"' \
    "$T/pbad.json"

# --connect-to: the policy of p404.test fetched from the good host, with
# the URL, SNI and name check of mta-sts.p404.test; and an MX probed on
# another port.
run_live ct --no-smtp --connect-to mta-sts.p404.test:443:127.0.1.1:443 \
    p404.test
check_eq "--connect-to: the policy comes from the address given" \
    "$(jqv ct '.domains[0].checks.policy.http_status') $(jqv ct '.domains[0].checks.policy.address')" \
    "200 127.0.1.1"
run_live ct25 --connect-to mx1.good.test:25:127.0.0.1:2525 good.test
check_eq "--connect-to: SMTP probe at the address and port given" \
    "$(jqv ct25 '.domains[0].checks.smtp[0].address') $(jqv ct25 '.domains[0].checks.smtp[0].tls')" \
    "127.0.0.1:2525 true"
