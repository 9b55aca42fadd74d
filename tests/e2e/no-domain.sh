#!/bin/sh
# Reports that name no policy domain are stored but count for no domain:
# tlsrpt-summary of the whole store says how many came in its window,
# how many sessions they held and from whom, as text and as JSON.
. tests/lib.sh
plan 9

imp="$BIN/tlsrpt-import"
sum="$BIN/tlsrpt-summary"
f=fixtures/reports/accept/no-policy-found-without-domain.json
now=2026-03-10T00:00:00Z
esc=$(printf '\033')
# The same report from two more senders, one whose name would drive a
# terminal; and one from before the window.
sed 's/"Example Mail Ltd\."/"Other Mail"/' "$f" > "$T/other.json"
sed 's/"Example Mail Ltd\."/"Evil\\u001b[2J Mail"/' "$f" > "$T/evil.json"
sed 's/2026-03-01/2026-01-01/g; s/"Example Mail Ltd\."/"Old Mail"/' "$f" > "$T/old.json"
"$imp" --db "$T/db" --received "$now" "$f" "$T/other.json" "$T/evil.json" \
    "$T/old.json" fixtures/reports/accept/plain-rfc.json > "$T/imp"
check_eq "the reports are accepted" "$(cut -f1 "$T/imp" | sort | uniq -c | tr -s ' ')" " 5 accepted"

"$sum" --db "$T/db" --now "$now" > "$T/text"
check "text: a note counts them, with their sessions" \
    grep -q '^Note: 3 reports of these 14 days named no policy domain, so no verdict above counts them (15 sessions; from ' "$T/text"
check "text: the senders are named, sorted, escaped" \
    grep -q 'from Evil\\x1b\[2J Mail, Example Mail Ltd\., Other Mail)\.' "$T/text"
check "text: no raw control reaches the terminal" sh -c "! grep -q '$esc' '$T/text'"
check "text: example.com has its verdict still" grep -q '^example\.com: ' "$T/text"
"$sum" --db "$T/db" --now "$now" --format json > "$T/json"
check "json: no_policy_domain with reports, sessions, reporters" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["no_policy_domain"]
assert d["reports"] == 3 and d["sessions"] == 15, d
assert d["reporters"] == ["Evil\x1b[2J Mail", "Example Mail Ltd.", "Other Mail"], d
assert d["more_reporters"] is False
' "$T/json"
"$sum" --db "$T/db" --now "$now" --domain example.com > "$T/one"
rc=$?
check_eq "--domain: about that domain only, no note, exit 2 (insufficient)" \
    "$rc $(head -n 1 "$T/one") $(grep -c '^Note' "$T/one")" \
    "2 example.com: INSUFFICIENT DATA 0"
"$sum" --db "$T/db" --now 2026-01-10T00:00:00Z --format json > "$T/json"
check_eq "an earlier window: the one from before" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["no_policy_domain"])' "$T/json")" \
    "{'reports': 1, 'sessions': 5, 'reporters': ['Old Mail'], 'more_reporters': False}"
"$sum" --db "$T/db" --now 2026-02-10T00:00:00Z --format json > "$T/json"
check_eq "a window without them: no no_policy_domain" \
    "$(python3 -c 'import json,sys; print("no_policy_domain" in json.load(open(sys.argv[1])))' "$T/json")" \
    False
