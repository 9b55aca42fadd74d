#!/bin/sh
# The action plan page: rendered from scenario reports for a not-ready
# domain (failures on one MX) and a ready one, kept in $O/test-output/ with
# their screenshots from headless Chromium, loaded behind a trap that
# counts any network request the page makes.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
plan 26

must python3 tests/scenarios/summary.py "$BIN" "$T" > "$T/scenarios.log"
db="$T/scenarios.db"
out="$BIN/test-output"
mkdir -p "$out"
sum() { "$BIN/tlsrpt-summary" --db "$db" --now 2026-03-15T00:00:00Z "$@"; }

sum --format html --domain tls-failures-hit.example --output "$out/page-not-ready.html"
check_eq "html for a not-ready domain: exit 1" "$?" 1
sum --format html --domain ready.example --output "$out/page-ready.html"
check_eq "html for a ready domain: exit 0" "$?" 0
sum --format html --domain ready.example > "$T/stdout.html"
check "without --output the page goes to stdout" cmp -s "$T/stdout.html" "$out/page-ready.html"

p="$out/page-not-ready.html"
check "not-ready page: the verdict first" grep -q '<p class="verdict v-not-ready"><span class="badge">Not ready</span> 2 of 1402 sts sessions' "$p"
check "not-ready page: the five checklist points" \
    test "$(grep -c '<li class="\(met\|not-met\|unknown\)"><span class="mark">' "$p")" -eq 5
check "not-ready page: STARTTLS point not met" grep -q 'Not met</span> <strong>STARTTLS with a valid certificate on every MX' "$p"
check "not-ready page: two charts with text alternatives" \
    test "$(grep -c '<svg .*role="img" aria-labelledby=' "$p")" -eq 2
check "not-ready page: the failing MX in the table" grep -q '<tr><td>mx1.tls-failures-hit.example</td><td>certificate-expired</td>' "$p"
check "not-ready page: the step names the MX" grep -q '<li>Renew the expired certificate on mx1.tls-failures-hit.example.</li>' "$p"
check "not-ready page: refusals per day" grep -q '<tr><td>2026-03-10</td><td class="n">202</td><td class="n">2</td><td class="n">2</td></tr>' "$p"
p="$out/page-ready.html"
check "ready page: the verdict" grep -q '<span class="badge">Ready to enforce</span>' "$p"
check "ready page: the step to enforce" grep -q 'to mode: enforce and change the id' "$p"
for p in "$out/page-not-ready.html" "$out/page-ready.html"; do
	check "$(basename "$p"): no script" sh -c "! grep -qi '<script' '$p'"
	check "$(basename "$p"): no external resource" sh -c "! grep -Eqi '(src|href)=\"[a-z]+:' '$p'"
	check "$(basename "$p"): a policy that forbids loading anything" \
	    grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$p"
done

# Hostile text is escaped.
python3 - "$T/x.json" <<'PY'
import json, sys
json.dump({"organization-name": "<script>alert(1)</script> & \"Co\"",
  "date-range": {"start-datetime": "2026-03-10T00:00:00Z", "end-datetime": "2026-03-10T23:59:59Z"},
  "report-id": "x", "policies": [{"policy": {"policy-type": "sts", "policy-domain": "escape.example",
  "policy-string": ["version: STSv1", "mode: testing", "mx: <b>x</b>"]},
  "summary": {"total-successful-session-count": 1, "total-failure-session-count": 1},
  "failure-details": [{"result-type": "<img src=x>", "receiving-mx-hostname": "mx1.escape.example", "failed-session-count": 1}]}]},
  open(sys.argv[1], "w"))
PY
"$BIN/tlsrpt-import" --db "$T/x.db" "$T/x.json" > /dev/null
"$BIN/tlsrpt-summary" --db "$T/x.db" --now 2026-03-15T00:00:00Z --domain escape.example --format html > "$T/x.html"
check "text from reports is escaped" sh -c "! grep -q '<script>alert\|<img src=x>\|<b>x</b>' '$T/x.html' && grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;' '$T/x.html'"

# Chromium: a screenshot of each page, and a trap for network requests.
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || skip_rest chromium \
    "not installed (DEPS_EXTRAS=1 ./scripts/deps.sh installs it)"
# The trap is Chromium's proxy: it logs the host of every request. The
# browser's own update and time checks (Google hosts) are not the page's.
# Each page gets a trap of its own, so that a late request of one load is
# never taken for another's.
start_trap() { # NAME: a trap logging to $T/NAME.hosts; its port in $port
	rm -f "$T/$1.port"
	python3 - "$T/$1" <<'PY' &
import re, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".port", "w").write(str(s.getsockname()[1]))
own = re.compile(r"(^|\.)(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)$")
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        line = c.recv(4096).split(b"\r\n")[0].decode("latin-1")
    except OSError:
        line = ""
    c.close()
    m = re.match(r"\S+ (?:\w+://)?([^/:\s]+)", line)
    host = m.group(1) if m else "?"
    if not own.search(host):
        with open(sys.argv[1] + ".hosts", "a") as f:
            f.write(host + "\n")
PY
	trap_pid=$!
	i=0
	while [ ! -s "$T/$1.port" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	port=$(cat "$T/$1.port")
}
shoot() { # NAME HTML PNG [WIDTH]
	start_trap "$1"
	timeout 60 "$chrome" --headless --no-sandbox --disable-gpu \
	    --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --disable-extensions \
	    --user-data-dir="$T/chrome-$1" \
	    --proxy-server="http://127.0.0.1:$port" \
	    --proxy-bypass-list='<-loopback>' --window-size="${4:-1000},2600" \
	    --screenshot="$3" "file://$2" > /dev/null 2>&1
	sleep 0.5
	kill $trap_pid 2>/dev/null
	wait $trap_pid 2>/dev/null
}
# The trap works: a page that does load something is caught.
printf '<!DOCTYPE html><img src="http://tlsrpt-test.invalid/x.png">' > "$T/probe.html"
shoot probe "$T/probe.html" "$T/probe.png"
check "the network trap catches a page that loads something" \
    grep -q '^tlsrpt-test.invalid$' "$T/probe.hosts"
for name in not-ready ready; do
	shoot "$name" "$out/page-$name.html" "$out/page-$name.png"
	check "screenshot of the $name page" test "$(stat -c %s "$out/page-$name.png" 2>/dev/null || echo 0)" -gt 20000
	check "no network request while the $name page loads" test ! -e "$T/$name.hosts"
	[ -e "$T/$name.hosts" ] && sed 's/^/#   requested: /' "$T/$name.hosts"
done
# A phone and a wide screen: the page is read at both.
for w in 400 1280; do
	shoot "w$w" "$out/page-not-ready.html" "$out/page-not-ready-$w.png" "$w"
	check "screenshot of the not-ready page at $w px" test "$(stat -c %s "$out/page-not-ready-$w.png" 2>/dev/null || echo 0)" -gt 20000
done
echo "# pages and screenshots: $out"
