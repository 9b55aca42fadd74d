#!/bin/sh
# Report emails through tlsrpt-import: .eml files, maildirs, standard input
# as an MTA pipe gives it, the DKIM option, and malformed messages.
. tests/lib.sh
# Two checks per malformed message, four on the samples.
plan $((29 + 2 * $(ls fixtures/mail-bad/*.eml | wc -l)))

imp="$BIN/tlsrpt-import"

# Every fixture message: a report accepted, or not-a-report for text only.
out=$("$imp" --db "$T/m.db" fixtures/mail/*.eml); rc=$?
check_eq "fixture mails: exit 0" "$rc" 0
check_eq "fixture mails: text-only.eml is not-a-report" \
    "$(echo "$out" | grep 'text-only.eml' | cut -f1)" not-a-report
check_eq "fixture mails: every other one carries a report" \
    "$(echo "$out" | grep -v 'text-only.eml' | cut -f1 | grep -cv -e accepted -e duplicate)" 0
check_eq "two-reports.eml: both reports" \
    "$(echo "$out" | grep -c 'two-reports.eml')" 2
check_eq "forwarded.eml: the report inside message/rfc822" \
    "$(echo "$out" | grep 'forwarded.eml' | cut -f1 | grep -c -e accepted -e duplicate)" 1
check "the attachment name is recorded" \
    test "$(sql "$T/m.db" "select count(*) from payload where source = 'mail' and part like '%!%!%!%'")" -gt 0
check "the Message-ID is recorded" \
    test "$(sql "$T/m.db" "select count(*) from payload where message_id = '0000000000001a2b3c4d5e6f@example.net'")" -ge 1

# A maildir of report mails and one ordinary mail, imported in one call:
# nothing in it moved, changed or deleted.
md="$T/Maildir"
mkdir -p "$md/new" "$md/cur" "$md/tmp"
cp fixtures/mail/google-multipart.eml "$md/new/1700000000.1.host"
cp fixtures/mail/qp-json.eml "$md/cur/1700000001.2.host:2,S"
cp fixtures/mail/text-only.eml "$md/new/1700000002.3.host"
(cd "$md" && find . -type f | sort | xargs sha256sum) > "$T/before"
out=$("$imp" --db "$T/md.db" "$md"); rc=$?
check_eq "maildir: exit 0" "$rc" 0
check_eq "maildir: outcomes" "$(echo "$out" | cut -f1 | sort | tr '\n' ' ')" \
    "accepted accepted not-a-report "
(cd "$md" && find . -type f | sort | xargs sha256sum) > "$T/after"
check "maildir: nothing moved, changed or deleted" cmp -s "$T/before" "$T/after"

# Malformed messages: rejected, naming the part, exit 65, kept.
for f in fixtures/mail-bad/*.eml; do
	out=$("$imp" --db "$T/bad.db" "$f"); rc=$?
	check_eq "$f: rejected, exit 65" "$(echo "$out" | cut -f1) $rc" "rejected 65"
	check "$f: the reason names the part" \
	    sh -c "echo '$out' | cut -f3 | grep -q '^part \"example.net!example.com!1709251200!1709337599!001.json.gz\": gzip: truncated'"
done
check_eq "malformed mails are in the quarantine" \
    "$(sql "$T/bad.db" "select count(*) from quarantine where source = 'mail'")" 2

# A message with more report parts than are taken from one (16): the rest
# is named on stderr, never dropped in silence.
python3 - "$T/many.eml" <<'PY'
import json, sys
parts = []
for i in range(18):
    r = {"organization-name": "Many Parts", "report-id": "many-%d" % i,
         "date-range": {"start-datetime": "2026-03-01T00:00:00Z",
                        "end-datetime": "2026-03-01T23:59:59Z"},
         "policies": [{"policy": {"policy-type": "sts", "policy-domain": "example.com"},
                       "summary": {"total-successful-session-count": 1,
                                   "total-failure-session-count": 0}}]}
    parts.append("--b\nContent-Type: application/tlsrpt+json\n\n" + json.dumps(r) + "\n")
open(sys.argv[1], "w").write("From: a@example.org\nSubject: many\nMIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=tlsrpt; boundary=b\n\n" + "".join(parts) + "--b--\n")
PY
out=$("$imp" --db "$T/many.db" "$T/many.eml" 2>"$T/many.err"); rc=$?
check_eq "18 report parts: the first 16 accepted, exit 0" \
    "$(echo "$out" | grep -c '^accepted') $rc" "16 0"
check "18 report parts: the 2 left out are named on stderr" \
    grep -q '2 more report parts than the 16 taken from one message were left out' "$T/many.err"

# The DKIM option: only dkim=pass from the configured authserv-id counts.
printf 'database = %s\ndkim-authserv-id = mx.example.com\n' "$T/dkim.db" > "$T/dkim.conf"
out=$("$imp" --config "$T/dkim.conf" fixtures/mail/dkim-pass.eml); rc=$?
check_eq "dkim=pass from the trusted authserv-id: accepted" "$(echo "$out" | cut -f1) $rc" "accepted 0"
out=$("$imp" --config "$T/dkim.conf" fixtures/mail/dkim-wrong-authserv.eml); rc=$?
check_eq "dkim=pass from another authserv-id: rejected, exit 65" "$(echo "$out" | cut -f1) $rc" "rejected 65"
check "the DKIM refusal says why" sh -c "echo '$out' | grep -q 'no dkim=pass'"
check_eq "the DKIM refusal is in quarantine" \
    "$(sql "$T/dkim.db" "select count(*) from quarantine where reason like '%dkim=pass%'")" 1
check_eq "the accepted mail's verified domain is recorded with it" \
    "$(sql "$T/dkim.db" "select dkim_domain from payload where outcome = 'accepted'")" example.net
# The forgery: the border MTA's header (on top) says fail; a header of the
# same host further down, written by the sender, says pass for the
# sender's own domain, named in TLS-Report-Submitter too.
out=$("$imp" --config "$T/dkim.conf" fixtures/mail/dkim-forged.eml); rc=$?
check_eq "a pass below the topmost header of our host: rejected, exit 65" \
    "$(echo "$out" | cut -f1) $rc" "rejected 65"
check "... the reason names the topmost header" sh -c "echo '$out' |
    grep -q 'topmost Authentication-Results header of mx.example.com has no dkim=pass (dkim=fail)'"
out=$("$imp" --config "$T/dkim.conf" fixtures/mail/dkim-other-signer.eml); rc=$?
check_eq "a pass for a domain that is not the From: one: rejected, exit 65" \
    "$(echo "$out" | cut -f1) $rc" "rejected 65"
check "... the reason names both domains" sh -c "echo '$out' |
    grep -q 'is for evil.example, which is not the From: domain google.com nor a parent of it'"
check_eq "no verified domain is recorded for a rejected mail" \
    "$(sql "$T/dkim.db" "select count(*) from payload where dkim_domain is not null")" 1
out=$("$imp" --json --config "$T/dkim.conf" fixtures/mail/dkim-pass.eml); rc=$?
check "--json names the verified domain" sh -c \
    "echo '$out' | grep -q '\"dkim_domain\":\"example.net\"'"
out=$("$imp" --db "$T/nodkim.db" fixtures/mail/dkim-wrong-authserv.eml); rc=$?
check_eq "without the option DKIM is not required" "$(echo "$out" | cut -f1) $rc" "accepted 0"

# The real sample mails: accepted; the same report already imported as a
# file is a duplicate and stored once; piped one by one, the same outcomes.
if [ -n "$SAMPLES" ]; then
	out=$("$imp" --db "$T/s1.db" "$SAMPLES/mail"/*.eml); rc=$?
	check_eq "sample mails: exit 0, all accepted" \
	    "$rc $(echo "$out" | cut -f1 | sort -u)" "0 accepted"
	for f in "$SAMPLES/mail"/*.eml; do
		"$imp" --db "$T/s2.db" - < "$f"
	done > "$T/stdin.out"
	check_eq "sample mails on stdin one by one: the same outcomes" \
	    "$(cut -f1,3 "$T/stdin.out")" "$(echo "$out" | cut -f1,3)"
	"$imp" --db "$T/s3.db" "$SAMPLES/reports" > /dev/null
	n=$(sql "$T/s3.db" "select count(*) from report")
	out=$("$imp" --db "$T/s3.db" "$SAMPLES/mail"/*.eml); rc=$?
	check_eq "sample mails after their reports as files: duplicates, exit 0" \
	    "$rc $(echo "$out" | cut -f1 | sort -u)" "0 duplicate"
	check_eq "each report stored once" \
	    "$(sql "$T/s3.db" "select count(*) from report")" "$n"
else
	skip 4 samples "../shared/samples is not there"
fi
