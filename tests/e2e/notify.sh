#!/bin/sh
# Watching and telling (doc/notify.md): reports posted over HTTPS (or
# stored by tlsrpt-import while the daemon runs) make the
# daemon judge their domain again and tell a webhook on loopback; an event
# decided while the receiver is down survives a kill -9 and arrives once
# after the restart; the per-domain series in /metrics, which promtool
# finds well formed; the overview at / lists every domain of the store,
# report fields escaped, and headless Chromium shows it; the daemon's
# threads carry their names.
# runner: slow (make check-quick leaves it out)
# The plan; tests/e2e/pg-notify.sh, which runs this script again, asks
# for it (--plan) to say it before its cluster starts.
NOTIFY_PLAN=36
if [ "${1:-}" = --plan ]; then
	echo "$NOTIFY_PLAN"
	exit 0
fi
. tests/lib.sh
. tests/daemon-lib.sh
# The store: a SQLite file, or the PostgreSQL URI tests/e2e/pg-notify.sh
# gives.
DB=${NOTIFY_DB:-$T/db}

[ -n "${NOTIFY_DB:-}" ] || plan "$NOTIFY_PLAN"
make_cert a
CA="$T/a.crt"
HOOK=$(( ( $(od -An -N2 -tu2 /dev/urandom) % 10000 ) + 10000 ))
H_PID=
stop_hook() {
	[ -n "$H_PID" ] && kill "$H_PID" 2>/dev/null && wait "$H_PID" 2>/dev/null
	H_PID=
}
start_hook() {
	python3 tests/webhook-receiver.py "$HOOK" "$T/events" &
	H_PID=$!
	wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HOOK), 1)" 2>/dev/null
}
trap 'stop_hook; d_cleanup' EXIT
cat > "$T/tlsrptd.conf" <<CONF
database = $DB
tls-cert = $T/a.crt
tls-key = $T/a.key
notify-webhook = http://127.0.0.1:$HOOK/hook
public-url = https://tlsrpt.example.net/
CONF

# report FILE ORG DOMAIN MX TYPE FAILED: a report for yesterday, 1000
# sessions, FAILED of them failing with TYPE at MX.
report() {
	python3 - "$@" <<'PY'
import datetime, json, sys
f, org, dom, mx, typ, failed = sys.argv[1:7]
day = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)
d = day.isoformat()
pol = {"policy": {"policy-type": "sts", "policy-domain": dom,
        "policy-string": ["version: STSv1", "mode: testing",
                          "mx: *.%s" % dom, "max_age: 604800"]},
       "summary": {"total-successful-session-count": 1000 - int(failed),
                   "total-failure-session-count": int(failed)}}
if int(failed):
    pol["failure-details"] = [{"result-type": typ, "receiving-mx-hostname": mx,
                               "failed-session-count": int(failed)}]
json.dump({"organization-name": org, "contact-info": "tls@example.org",
           "report-id": "%s-%s-%s-%s" % (d, dom, org, failed),
           "date-range": {"start-datetime": d + "T00:00:00Z",
                          "end-datetime": d + "T23:59:59Z"},
           "policies": [pol]}, open(f, "w"))
PY
}
# events_for DOMAIN EVENT: the events of that kind received for DOMAIN.
events_for() {
	grep -c "\"event\":\"$2\".*\"domain\":\"$1\"\|\"domain\":\"$1\".*\"event\":\"$2\"" \
	    "$T/events" 2>/dev/null
}

start_hook
must_start "daemon starts" --config "$T/tlsrptd.conf"
cat /proc/"$D_PID"/task/*/comm | sort > "$T/threads"
check "its threads by name (top -H): notify, watch, http-guard" sh -c \
    "grep -qx notify '$T/threads' && grep -qx watch '$T/threads' &&
    grep -qx http-guard '$T/threads'"
report "$T/good.json" "Good Mail" good.example mx1.good.example none 0
check_eq "a report for good.example: 201" \
    "$(post "$T/good.json" -H 'Content-Type: application/tlsrpt+json')" 201
check "verdict-changed for good.example within 10 s" \
    wait_for 10 sh -c "grep -qs '\"domain\":\"good.example\"' '$T/events'"
check_eq "one verdict-changed for good.example" \
    "$(events_for good.example verdict-changed)" 1
line=$(grep '"domain":"good.example"' "$T/events" | head -n 1)
check "the event: first verdict, no previous one" \
    sh -c "echo '$line' | grep -q '\"previous_verdict\":null'"
check "the event: its verdict, id, text and report URL" sh -c "echo '$line' |
    grep '\"verdict\":\"insufficient-data\"' | grep '\"id\":\"[0-9a-f]\{32\}\"' |
    grep '\"text\":\"good.example: MTA-STS verdict insufficient-data' |
    grep -q '\"report_url\":\"https://tlsrpt.example.net/report/good.example\"'"

# A report another process stores (tlsrpt-import into the daemon's store
# while it runs) is judged as soon: the watch sees the commit, not a put.
report "$T/imported.json" "Imported Mail" imported.example mx.imported.example none 0
check "tlsrpt-import into the running daemon's store" \
    "$BIN/tlsrpt-import" --db "$DB" "$T/imported.json"
check "verdict-changed for the imported domain within 10 s" \
    wait_for 10 sh -c "grep -qs '\"domain\":\"imported.example\"' '$T/events'"

# The receiver goes down; a failing report; the daemon dies with the
# event written but not delivered.
stop_hook
report "$T/bad.json" "Bad Mail" bad.example mx2.bad.example certificate-expired 40
check_eq "a failing report for bad.example: 201" \
    "$(post "$T/bad.json" -H 'Content-Type: application/tlsrpt+json')" 201
pending() {
	api /metrics >/dev/null
	grep -q '^tlsrpt_notify_pending [1-9]' "$T/api"
}
check "the events wait in the outbox (tlsrpt_notify_pending)" wait_for 20 pending
api /metrics >/dev/null
check "metrics: bad.example not-ready" \
    grep -q '^tlsrpt_domain_verdict{domain="bad.example",verdict="not-ready"} 1$' "$T/api"
check "metrics: bad.example ready 0" \
    grep -q '^tlsrpt_domain_verdict{domain="bad.example",verdict="ready"} 0$' "$T/api"
check "metrics: refused sessions of bad.example" \
    grep -q '^tlsrpt_domain_refused_sessions{domain="bad.example"} 40$' "$T/api"
check "metrics: last report of good.example" \
    grep -q '^tlsrpt_domain_last_report_timestamp_seconds{domain="good.example"} [0-9]' "$T/api"
# The whole answer, per-domain series included, as Prometheus lints it.
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/api" > "$T/promtool" 2>&1
	rc=$?
	check_eq "promtool check metrics: the answer of /metrics" "$rc" 0
	[ "$rc" = 0 ] || sed 's/^/# /' "$T/promtool"
else
	skip 1 prometheus "promtool is not installed (Debian package prometheus)"
fi
kill -KILL "$D_PID"
wait "$D_PID" 2>/dev/null
D_PID=

# From now on, mail too, through a sendmail that keeps what it is given.
cat > "$T/sendmail" <<SH
#!/bin/sh
[ "\$1 \$2" = "-t -i" ] || exit 64
cat >> "$T/mail"
SH
chmod +x "$T/sendmail"
printf 'notify-mail = ops@example.net\nsendmail = %s\n' "$T/sendmail" \
    >> "$T/tlsrptd.conf"
start_hook
must_start "daemon starts again" --config "$T/tlsrptd.conf"
check "after the restart the event naming the MX and not-ready arrives" \
    wait_for 60 sh -c "grep '\"domain\":\"bad.example\"' '$T/events' |
	grep '\"event\":\"verdict-changed\"' | grep '\"verdict\":\"not-ready\"' |
	grep -q 'mx2.bad.example'"
check "and a new-failure naming the MX and type" \
    wait_for 10 sh -c "grep '\"event\":\"new-failure\"' '$T/events' |
	grep -q '\"failure\":{[^}]*\"receiving_mx_hostname\":\"mx2.bad.example\"'"
# Given time to send anything twice (the sender looks every 5 s),
# nothing is.
sleep 6
check_eq "the verdict-changed of bad.example arrived once" \
    "$(events_for bad.example verdict-changed)" 1
check_eq "the verdict of good.example is not told again" \
    "$(events_for good.example verdict-changed)" 1
check "every event was JSON" sh -c "! grep -q '^bad ' '$T/events'"

# The overview: every domain, linked; report fields escaped.
esc=$(printf '\033')
report "$T/evil.json" "<script>x</script>$esc[31m Evil" evil.example \
    mx.evil.example "<script>y</script>$esc[31m" 5
check_eq "a report naming a hostile MX: 201" \
    "$(post "$T/evil.json" -H 'Content-Type: application/tlsrpt+json')" 201
overview() {
	api / >/dev/null
	grep -q 'href="/report/evil.example"' "$T/api"
}
check "/ lists the new domain with a link to its page" wait_for 15 overview
check "/ lists the others too" sh -c "grep -q 'href=\"/report/good.example\"' '$T/api' &&
    grep -q 'href=\"/report/bad.example\"' '$T/api'"
# Listed as soon as the watch sees it, judged a moment later: the row's
# reason comes with the verdict.
why_shown() {
	api / >/dev/null
	grep -q '&lt;script&gt;y&lt;/script&gt;\\x1b\[31m at mx.evil.example' "$T/api"
}
check "/ shows why, the result type from the report escaped" \
    wait_for 15 why_shown
check "the event's one line shows the control as an escape" \
    wait_for 10 sh -c "grep '\"event\":\"new-failure\"' '$T/events' |
	grep -q '\"text\":\"evil.example: new failure <script>y</script>\\\\\\\\x1b\\[31m at mx.evil.example'"
check "/ is self-contained: no script, no raw ESC" sh -c "
    ! grep -qi '<script' '$T/api' && ! grep -q \"$(printf '\033')\" '$T/api'"
check "/ has the verdicts" grep -q 'class="v-not-ready"' "$T/api"
check "the event mailed through sendmail -t" wait_for 10 sh -c "
    grep -q '^To: ops@example.net$' '$T/mail' &&
    grep -q '^Subject: evil.example: ' '$T/mail'"

# The same overview heads a page of several domains.
"$BIN/tlsrpt-summary" --db "$DB" --format html > "$T/all.html"
check "tlsrpt-summary: the overview links each domain to its part" sh -c "
    grep -q 'href=\"#domain-bad.example\"' '$T/all.html' &&
    grep -q '<article id=\"domain-bad.example\"' '$T/all.html'"
check "tlsrpt-summary: the overview escapes report fields" \
    grep -q '<td>5 of 1000 sts sessions.*&lt;script&gt;y&lt;/script&gt;\\x1b\[31m at mx.evil.example' "$T/all.html"

# linked DOMAINS HTML PREFIX: HTML links each domain of the JSON answer of
# /api/v1/domains (DOMAINS; one page of it) to PREFIX followed by the
# domain, and links no other domain there.
linked() {
	python3 - "$@" <<'PY'
import html, json, re, sys
doms = json.load(open(sys.argv[1]))
page = open(sys.argv[2], encoding="utf-8").read()
want = {d["domain"] if isinstance(d, dict) else d for d in doms["domains"]}
got = {html.unescape(h)[len(sys.argv[3]):]
       for h in re.findall(r'href="([^"]*)"', page)
       if html.unescape(h).startswith(sys.argv[3])}
if doms.get("next") or len(want) < 3 or want != got:
    sys.exit("store: %s; linked: %s" % (sorted(want), sorted(got)))
PY
}
check_eq "the store's domains: 200" \
    "$(api '/api/v1/domains?limit=100')" 200
cp "$T/api" "$T/domains.json"
api / > /dev/null
cp "$T/api" "$T/overview.html"
check "/ links every domain of the store to /report/{domain}" \
    linked "$T/domains.json" "$T/overview.html" /report/
check "tlsrpt-summary: the overview links every domain to its part" \
    linked "$T/domains.json" "$T/all.html" "#domain-"

# The overview in headless Chromium, loaded from the daemon's API on
# loopback; any request to another host goes to the trap
# (tests/chromium-lib.sh).
. tests/chromium-lib.sh
[ -n "$chrome" ] || skip_rest chromium \
    "not installed (DEPS_EXTRAS=1 ./scripts/deps.sh installs it)"
out="$BIN/test-output"
mkdir -p "$out"
png="$out/overview${NOTIFY_DB:+-pg}-1280.png"
rm -f "$png"
SHOT_HEIGHT=900 shoot overview "http://127.0.0.1:$APIPORT/" "$png" 1280 ""
check "screenshot of / at 1280 px: a PNG of 1280x900 showing something" \
    png_shown "$png" 1280 900
check "no request off loopback while / loads" test ! -e "$T/overview.hosts"
[ -e "$T/overview.hosts" ] && sed 's/^/#   requested: /' "$T/overview.hosts"
# What Chromium made of the page: the overview, every domain linked.
dom_overview() {
	chrome_dom "http://127.0.0.1:$APIPORT/" > "$T/dom.html" &&
	    grep -q '<h1>MTA-STS readiness of every domain</h1>' "$T/dom.html" &&
	    linked "$T/domains.json" "$T/dom.html" /report/
}
check "Chromium's DOM of /: the overview, every domain linked" dom_overview
echo "# overview screenshot: $png"
