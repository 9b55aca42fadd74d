#!/bin/sh
# A domain's summary costs what its distinct rows cost, not their square:
# 3,000 reporters (anyone may invent them) each naming 60 failing MX
# hosts, 180,000 (result type, MX, reporter) rows, are judged in bounded
# time (the runner's timeout, and timeout(1) here), every row counted.
# So is one report of 100,000 failure details (9.5 MB, under
# BOUND_PAYLOAD_MAX), each of a result type of its own: the first 64
# (BOUND_ANALYSE_TYPES) are a failure row and a next step each, the
# others one row and one step together, every session counted (0.5 s
# here; 5 s and a 69 MB answer when each type was a row, 190 s when each
# step was also compared with all before it).
# runner: slow
. tests/lib.sh
plan 5

mkdir -p "$T/r"
python3 - "$T/r" <<'PY'
import json, sys
for i in range(3000):
    mx = ["mx%d.scale.example" % j for j in range(60)]
    json.dump({
        "organization-name": "Invented %d" % i,
        "date-range": {"start-datetime": "2026-03-10T00:00:00Z",
                       "end-datetime": "2026-03-10T23:59:59Z"},
        "contact-info": "x", "report-id": "r%d" % i,
        "policies": [{"policy": {"policy-type": "sts",
                                 "policy-domain": "scale.example",
                                 "policy-string": ["version: STSv1",
                                                   "mode: testing",
                                                   "mx: *.scale.example",
                                                   "max_age: 86400"]},
                      "summary": {"total-successful-session-count": 10,
                                  "total-failure-session-count": 60},
                      "failure-details": [
                          {"result-type": "certificate-expired",
                           "receiving-mx-hostname": m,
                           "failed-session-count": 1} for m in mx]}]},
        open("%s/%d.json" % (sys.argv[1], i), "w"))
PY
"$BIN/tlsrpt-import" --db "$T/db" --received 2026-03-12T00:00:00Z "$T/r" \
    > /dev/null
check_eq "3,000 reports of 60 failing MX hosts imported" "$?" 0
timeout 120 "$BIN/tlsrpt-summary" --db "$T/db" --now 2026-03-15T00:00:00Z \
    --format json > "$T/sum.json"
check_eq "the summary ends, not-ready (exit 1)" "$?" 1
check_eq "every MX and reporter counted: 60 rows, 3,000 reporters, 180,000 refused" \
    "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["domains"][0]; print(len(d["failures"]), len(d["by_reporter"]), d["sts"]["window"]["failed"], sum(f["sessions"] for f in d["failures"]))' "$T/sum.json")" \
    "60 3000 180000 180000"

python3 - "$T/types.json" <<'PY'
import json, sys
n = 100000
json.dump({
    "organization-name": "Many Types", "contact-info": "x",
    "date-range": {"start-datetime": "2026-03-10T00:00:00Z",
                   "end-datetime": "2026-03-10T23:59:59Z"},
    "report-id": "types",
    "policies": [{"policy": {"policy-type": "sts",
                             "policy-domain": "types.example",
                             "policy-string": ["version: STSv1",
                                               "mode: testing",
                                               "mx: mx1.types.example",
                                               "max_age: 86400"]},
                  "summary": {"total-successful-session-count": 1000,
                              "total-failure-session-count": n},
                  "failure-details": [
                      {"result-type": "t%d" % i,
                       "receiving-mx-hostname": "mx1.types.example",
                       "failed-session-count": 1} for i in range(n)]}]},
    open(sys.argv[1], "w"))
PY
"$BIN/tlsrpt-import" --db "$T/types.db" "$T/types.json" > /dev/null
check_eq "a report of 100,000 result types imported" "$?" 0
timeout 60 "$BIN/tlsrpt-summary" --db "$T/types.db" \
    --now 2026-03-12T00:00:00Z --format json > "$T/types-sum.json"; rc=$?
check_eq "its summary ends, not-ready (exit 1): 64 types a row and a step each, the others one, every session counted" \
    "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["domains"][0]; s = d["next_steps"]; o = [f["sessions"] for f in d["failures"] if f["result_type"] == "other-result-types"]; print(d["verdict"], len(d["failures"]), len(s), len(set(s)), sum("mean for mx1.types.example" in x or "means for mx1.types.example" in x for x in s), sum(f["sessions"] for f in d["failures"]), o)' "$T/types-sum.json") $rc" \
    "not-ready 65 67 67 65 100000 [99936] 1"
