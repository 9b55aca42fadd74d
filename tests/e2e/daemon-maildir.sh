#!/bin/sh
# tlsrptd's maildir watcher: messages delivered into new/ as an MTA does
# (written to tmp/, renamed into new/) are processed and moved to cur/
# marked seen, or to the Maildir++ folder .Failed; nothing is deleted; a
# report already received over HTTPS is a duplicate; a message that meets
# a locked store waits in new/ for the next scan.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 28

mail=fixtures/mail
md="$T/Maildir"
maildir_conf "$md"
CA="$T/a.crt"

# deliver FILE NAME: as an MTA does, through tmp/.
deliver() {
	cp "$1" "$md/tmp/$2"
	mv "$md/tmp/$2" "$md/new/$2"
}
new_empty() { [ -z "$(ls -A "$md/new")" ]; }
count() { ls -A "$1" | wc -l | tr -d ' '; }

# A message waiting before the daemon starts is taken at start; the
# maildir and .Failed are made when missing.
mkdir -p "$md/new" "$md/cur" "$md/tmp"
deliver "$mail/qp-json.eml" 1700000000.M1P1.test
must_start "daemon starts" --config "$T/tlsrptd.conf"
check "Maildir++ .Failed made" test -d "$md/.Failed/new" -a -d "$md/.Failed/cur" -a -d "$md/.Failed/tmp"
check "message waiting at start: taken" wait_for 10 new_empty
check "moved to cur/ with :2,S" test -f "$md/cur/1700000000.M1P1.test:2,S"

# The same report over HTTPS first, then by mail: a duplicate.
code=$(post "$mail/report-sts.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "report over HTTPS: 201" "$code" 201
deliver "$mail/google-multipart.eml" 1700000001.M2P1.test
deliver "$mail/two-reports.eml" 1700000002.M3P1.test
deliver "$mail/text-only.eml" 1700000003.M4P1.test
deliver "$mail/microsoft-html.eml" 1700000004.M5P1.test
check "new/ empties within seconds" wait_for 10 new_empty
check "report mail: cur/ with :2,S" test -f "$md/cur/1700000001.M2P1.test:2,S"
check "two-report mail: cur/" test -f "$md/cur/1700000002.M3P1.test:2,S"
check "ordinary mail: .Failed" test -f "$md/.Failed/new/1700000003.M4P1.test"
check "ordinary mail kept whole" cmp -s "$mail/text-only.eml" "$md/.Failed/new/1700000003.M4P1.test"
check_eq "nothing deleted: 5 messages in cur/ and .Failed" \
    "$(( $(count "$md/cur") + $(count "$md/.Failed/new") ))" 5
check_eq "the mailed copy of the HTTPS report is a duplicate" \
    "$(sql "$T/db" "select outcome from payload where source = 'mail' and path like '%M2P1%'")" duplicate
check_eq "one stored report for the two copies" \
    "$(sql "$T/db" "select count(*) from report where report_id = '2024-03-01T00:00:00Z+example.com@example.net'")" 1
check "log line for the mail" grep -q 'report source="mail" path=".*M2P1.test" outcome="duplicate"' "$T/daemon.log"

# A locked store: once the busy timeout (BOUND_BUSY_TIMEOUT_MS, 5 s) has
# passed, the message is deferred: it stays in new/ and nothing of it is
# stored; once the lock goes it is stored, and moved to cur/.
check "another writer locks the store" lock_store "$T/db"
deliver "$mail/sniff-gzip.eml" 1700000005.M6P1.test
deferred() {
	grep -q 'report source="mail" path=".*M6P1.test" outcome="deferred"' \
	    "$T/daemon.log"
}
# m6: the store's rows for the message, and those of them that name a
# stored report (a duplicate of a report an earlier mail carried).
m6() {
	sql "$T/db" "select count(*) || ' ' || count(r.id) from payload p
	    left join report r on r.id = p.report and p.outcome in
	    ('accepted', 'duplicate') where p.source = 'mail' and
	    p.path like '%M6P1%'"
}
check "store locked: deferred once the busy timeout passed" wait_for 20 deferred
check "store locked: the message waits in new/" test -f "$md/new/1700000005.M6P1.test"
check_eq "store locked: nothing of it in cur/ nor in the store" \
    "$(ls "$md/cur" | grep -c M6P1) $(m6)" "0 0 0"
unlock_store
check "store free: taken at the next scan" wait_for 10 test -f "$md/cur/1700000005.M6P1.test:2,S"
check_eq "store free: the message in cur/ is stored, once" "$(m6)" "1 1"

# A message whose name already carries maildir info keeps its unique part.
deliver "$mail/crlf.eml" "1700000006.M7P1.test:2,"
check "info in the name is replaced" wait_for 10 test -f "$md/cur/1700000006.M7P1.test:2,S"
# Another message of that unique part (a copy, delivered again): the
# counter goes before the flags, so that a reader still finds them.
deliver "$mail/qp-json.eml" 1700000006.M7P1.test
check "same name again: cur/NAME-2:2,S" wait_for 10 test -f "$md/cur/1700000006.M7P1.test-2:2,S"
check_eq "same name again: the first kept, none with a counter after the flags" \
    "$(cmp -s "$mail/crlf.eml" "$md/cur/1700000006.M7P1.test:2,S" && echo kept) $(ls "$md/cur" | grep -c ':2,S-')" "kept 0"

# A part named with a quote and a backslash, its report rejected: the
# reason quotes the name escaped, and the log line stays key="value".
cat > "$T/quoted.eml" <<'EOF'
From: noreply-tlsrpt@example.net
To: tlsrpt@example.com
Subject: Report Domain: example.com Submitter: example.net
Message-ID: <quoted.1@example.net>
MIME-Version: 1.0
Content-Type: application/tlsrpt+json
Content-Disposition: attachment; filename="we\"ird\\name.json"

{"organization-name": "Example", "report-id": "q"}
EOF
deliver "$T/quoted.eml" 1700000008.M9P1.test
check "part named with a quote: set aside" wait_for 10 test -f "$md/.Failed/new/1700000008.M9P1.test"
check "... its log line quotes the name escaped" grep -qF \
    'reason="part \"we\\x22ird\\x5cname.json\": date-range: missing"' "$T/daemon.log"
check "every report log line reads as key=\"value\" pairs" events_parse "$T/daemon.log"

curl -s "http://127.0.0.1:$APIPORT/metrics" > "$T/metrics"
check "metrics count the moves" grep -q '^tlsrpt_maildir_messages_total{to="failed"} 2$' "$T/metrics"
check "metrics count mail reports" grep -q '^tlsrpt_reports_total{source="mail",outcome="duplicate"}' "$T/metrics"

stop_daemon
check_eq "SIGTERM: exit 0" "$?" 0
