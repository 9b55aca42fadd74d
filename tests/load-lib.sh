# Helpers for the load scripts (tests/e2e/load-*.sh): sourced after
# tests/lib.sh and tests/daemon-lib.sh, never run. tests/load.py makes the
# slow and crowding clients; report makes a report for a post.
PY=tests/load.py

# val FILE KEY: a key=value line of load.py's output.
val() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
# under LIMIT SECONDS: is SECONDS below LIMIT?
under() { awk -v t="$2" -v l="$1" 'BEGIN { exit !(t < l) }'; }
# report ID DOMAIN...: a report with one policy per domain, on stdout.
report() {
	python3 - "$@" <<'EOF'
import json, sys
rid, domains = sys.argv[1], sys.argv[2:]
print(json.dumps({
    "organization-name": "Load Mail", "report-id": rid,
    "contact-info": "tls@load.example",
    "date-range": {"start-datetime": "2026-03-01T00:00:00Z",
                   "end-datetime": "2026-03-01T23:59:59Z"},
    "policies": [{"policy": {"policy-type": "sts", "policy-domain": d,
                             "policy-string": ["version: STSv1",
                                               "mode: testing",
                                               "mx: mx.load.example"]},
                  "summary": {"total-successful-session-count": 10,
                              "total-failure-session-count": 0}}
                 for d in domains]}))
EOF
}

