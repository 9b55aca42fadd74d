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

# Chromium: a screenshot of each page, and a trap for network requests
# (tests/chromium-lib.sh).
. tests/chromium-lib.sh
[ -n "$chrome" ] || skip_rest chromium \
    "not installed (DEPS_EXTRAS=1 ./scripts/deps.sh installs it)"
# The trap works: a page that does load something is caught.
printf '<!DOCTYPE html><img src="http://tlsrpt-test.invalid/x.png">' > "$T/probe.html"
shoot probe "file://$T/probe.html" "$T/probe.png"
check "the network trap catches a page that loads something" \
    grep -q '^tlsrpt-test.invalid$' "$T/probe.hosts"
# (check sets $name: the loop's variable has another.)
for v in not-ready ready; do
	shoot "$v" "file://$out/page-$v.html" "$out/page-$v.png"
	check "screenshot of the $v page" test "$(stat -c %s "$out/page-$v.png" 2>/dev/null || echo 0)" -gt 20000
	check "no network request while the $v page loads" test ! -e "$T/$v.hosts"
	[ -e "$T/$v.hosts" ] && sed 's/^/#   requested: /' "$T/$v.hosts"
done
# A phone and a wide screen: the page is read at both.
for w in 400 1280; do
	shoot "w$w" "file://$out/page-not-ready.html" "$out/page-not-ready-$w.png" "$w"
	check "screenshot of the not-ready page at $w px: a PNG of ${w}x2600 showing something" \
	    png_shown "$out/page-not-ready-$w.png" "$w" 2600
done
echo "# pages and screenshots: $out"
