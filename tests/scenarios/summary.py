#!/usr/bin/env python3
"""Readiness scenarios: for each reason code of doc/verdict.md, a domain
that triggers it and one that just misses it, plus the counting rules
(tlsa and sts double listing, several sts policies, a re-sent report,
datetimes without a time zone). The reports are written as files, imported
with the real tlsrpt-import, and judged by the real tlsrpt-summary.

usage: summary.py BUILD_DIR SCRATCH_DIR       prints ok / not ok lines
       summary.py --plan                        prints how many (PLAN)

TLSRPT_TEST_DB names another store (a postgresql:// URI of an empty
database) to run the same scenarios on another backend. The scripts that
run it add PLAN to their own plan: a check added here raises PLAN, and
every check runs whatever the results (a missing domain fails its checks,
it does not leave them out). An exception stops it with status 1.
"""
import datetime as dt
import json
import os
import subprocess
import sys

PLAN = 146
if sys.argv[1:] == ["--plan"]:
    print(PLAN)
    sys.exit(0)
BIN, WORK = sys.argv[1], sys.argv[2]
NOW = "2026-03-15T00:00:00Z"          # W: Mar 1..14, R: Mar 8..14
DB = os.environ.get("TLSRPT_TEST_DB") or os.path.join(WORK, "scenarios.db")
REPORTS = os.path.join(WORK, "reports")
os.makedirs(REPORTS, exist_ok=True)
results = []


def check(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name)
    if not cond and detail:
        print("#   " + str(detail).replace("\n", "\n#   "))


def sts(domain, succ, failed=0, failures=(), mode="testing", lines=None):
    lines = lines or ["version: STSv1", "mode: " + mode,
                      "mx: mx1." + domain, "mx: *.mail." + domain,
                      "max_age: 604800"]
    return {"policy": {"policy-type": "sts", "policy-string": lines,
                       "policy-domain": domain},
            "summary": {"total-successful-session-count": succ,
                        "total-failure-session-count": failed},
            "failure-details": [
                {"result-type": t, "receiving-mx-hostname": mx,
                 "sending-mta-ip": "192.0.2.1", "failed-session-count": n}
                for (t, mx, n) in failures]}


def tlsa(domain, succ, failed=0, failures=()):
    return {"policy": {"policy-type": "tlsa", "policy-string": [
        "3 1 1 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"],
        "policy-domain": domain},
        "summary": {"total-successful-session-count": succ,
                    "total-failure-session-count": failed},
        "failure-details": [{"result-type": t, "receiving-mx-hostname": mx,
                             "failed-session-count": n}
                            for (t, mx, n) in failures]}


def nopolicy(domain, succ):
    return {"policy": {"policy-type": "no-policy-found",
                       "policy-domain": domain},
            "summary": {"total-successful-session-count": succ,
                        "total-failure-session-count": 0}}


n_files = 0


def report(org, day, policies, rid=None, tz=True, name=None, month=3,
           folder=None):
    """One daily report from org for March `day` (1..14)."""
    global n_files
    start = dt.datetime(2026, month, day)
    end = start + dt.timedelta(hours=23, minutes=59, seconds=59)
    fmt = "%Y-%m-%dT%H:%M:%S" + ("Z" if tz else "")
    doms = sorted({p["policy"].get("policy-domain", "") for p in policies})
    r = {"organization-name": org,
         "date-range": {"start-datetime": start.strftime(fmt),
                        "end-datetime": end.strftime(fmt)},
         "contact-info": "tlsrpt@" + org.split()[0].lower() + ".example",
         "report-id": rid or "%s_%s_%d" % (start.strftime(fmt), doms[0], n_files),
         "policies": policies}
    if folder is None:
        n_files += 1
    path = os.path.join(folder or REPORTS, name or "r%05d.json" % n_files)
    with open(path, "w") as f:
        json.dump(r, f)
    return path


A, B = "Alpha Mail Inc.", "Beta Mail Corporation"


def healthy(domain, days=range(1, 15), reporters=(A, B), succ=100,
            extra=None, mode="testing"):
    """Daily reports from each reporter; extra(day, org) adds to/overrides
    the policies of a day's report."""
    for d in days:
        for org in reporters:
            pols = [sts(domain, succ, mode=mode)]
            if extra:
                pols = extra(d, org, pols) or pols
            report(org, d, pols)


def fail_on(days, failures, org=A):
    def extra(d, o, pols):
        if d in days and o == org:
            dom = pols[0]["policy"]["policy-domain"]
            n = sum(c for _, _, c in failures)
            return [sts(dom, 100, n, [(t, mx.replace("D", dom), c)
                                      for t, mx, c in failures])]
    return extra


# --- one domain per case ---------------------------------------------------
healthy("ready.example")
# tls-failures: 2 refused in 1401 sts sessions (0.14%) vs 1 (0.07%)
healthy("tls-failures-hit.example",
        extra=fail_on([10], [("certificate-expired", "mx1.D", 2)]))
healthy("tls-failures-miss.example",
        extra=fail_on([10], [("certificate-expired", "mx1.D", 1)]))
# mx-not-in-policy: an MX outside the patterns; *. is one label only
healthy("mx-hit.example",
        extra=fail_on([9], [("validation-failure", "mx.other.example", 1)]))
healthy("mx-deep.example",
        extra=fail_on([9], [("validation-failure", "a.b.mail.D", 1)]))
healthy("mx-miss.example",
        extra=fail_on([9], [("validation-failure", "a.mail.D", 1)]))
# no-policy-published
for d in range(1, 15):
    for org in (A, B):
        report(org, d, [nopolicy("nopolicy-hit.example", 100)])
healthy("nopolicy-miss.example",
        extra=lambda d, o, p: p + [nopolicy("nopolicy-miss.example", 5)])
# too-few-days: 6 days vs 7 days (all within R so sessions suffice)
healthy("days-hit.example", days=range(9, 15))
healthy("days-miss.example", days=range(8, 15))
# too-few-reporters
healthy("reporters-hit.example", reporters=(A,))
healthy("reporters-miss.example")
# too-few-sessions: 99 vs 100 sts sessions in R (one report a day, R only
# sees days 8..14: 7 reports)
def sessions_case(domain, total):
    for d in range(1, 15):
        for org in (A, B):
            n = 0
            if d >= 8 and org == A:
                n = total // 7 + (1 if d - 8 < total % 7 else 0)
            report(org, d, [sts(domain, n)])
sessions_case("sessions-hit.example", 99)
sessions_case("sessions-miss.example", 100)
# stale-reports: newest report ends Mar 11 23:59:59 vs Mar 12 23:59:59
healthy("stale-hit.example", days=range(1, 12))
healthy("stale-miss.example", days=range(1, 13))
# policy-fetch-errors: in R vs only before R
healthy("fetch-hit.example",
        extra=fail_on([12], [("sts-policy-fetch-error", "mx1.D", 3)]))
healthy("fetch-miss.example",
        extra=fail_on([3], [("sts-policy-fetch-error", "mx1.D", 3)]))
# policy-inconsistent: another policy vs the same lines in another order
def other_policy(lines_for_b):
    def extra(d, o, pols):
        if o == B:
            dom = pols[0]["policy"]["policy-domain"]
            return [sts(dom, 100, lines=lines_for_b(dom))]
    return extra
healthy("inconsistent-hit.example", extra=other_policy(
    lambda D: ["version: STSv1", "mode: testing", "mx: mx1." + D,
               "max_age: 604800"]))
healthy("inconsistent-miss.example", extra=other_policy(
    lambda D: ["max_age: 604800", "mx: *.mail." + D, "mx: mx1." + D,
               "mode: testing", "version: STSv1"]))
# past-failures: refusals only before R vs none
healthy("past-hit.example",
        extra=fail_on([2], [("starttls-not-supported", "mx1.D", 5)]))
healthy("past-miss.example")
# dane-failures
healthy("dane-hit.example", extra=lambda d, o, p: p + [
    tlsa("dane-hit.example", 99, 1, [("tlsa-invalid", "mx1.dane-hit.example", 1)])])
healthy("dane-miss.example", extra=lambda d, o, p: p + [
    tlsa("dane-miss.example", 100)])
# already-enforced
healthy("enforced-hit.example", mode="enforce")
healthy("enforced-miss.example")

# mx-tls-broken: a quiet backup MX (inside the policy) with an expired
# certificate, 6 refusals in 29,400 sessions of R (0.02 %), seen by three
# reporters; the same fault seen by 2 reporters on one day, or by one on 2
# days, still blocks; one refusal by one reporter on one day does not (it
# is an isolated failure: ready, with the warning).
C = "Gamma Post GmbH"
def backup(domain, hits):
    def extra(d, o, pols):
        n = hits.get((d, o), 0)
        if n:
            return [sts(domain, 1400, n,
                        [("certificate-expired", "backup.mail." + domain, n)])]
        return [sts(domain, 1400)]
    healthy(domain, reporters=(A, B, C), extra=extra)
backup("backup-hit.example", {(8, A): 1, (9, B): 1, (10, C): 1, (11, A): 1,
                              (12, B): 1, (13, C): 1})
backup("backup-2reporters.example", {(10, A): 1, (10, B): 1})
backup("backup-2days.example", {(9, A): 1, (11, A): 1})
backup("backup-miss.example", {(10, A): 1})
backup("backup-past.example", {(3, A): 1, (4, B): 1})
# tls-failures per reporter: Alpha sees 5 % validation failures; two
# invented organisations post 200,000 clean sessions a day each, which
# bring the domain's rate to 0.0025 %. At 70 refusals Alpha blocks on its
# own; at 9 (under the 10 a reporter needs) it is an isolated failure.
F1, F2 = "Invented One Ltd", "Invented Two Ltd"
def diluted(domain, per_day, days):
    def extra(d, o, pols):
        if o in (F1, F2):
            return [sts(domain, 200000)]
        if o == A and d in days:
            return [sts(domain, 200 - per_day, per_day,
                        [("validation-failure", "mx1." + domain, per_day)])]
        return [sts(domain, 200)]
    healthy(domain, reporters=(A, B, F1, F2), extra=extra)
diluted("diluted-hit.example", 10, range(8, 15))
diluted("diluted-miss.example", 9, [11])
# details that add up to more than the failure count (types overlap): 5
# failed, details 4 + 3; the refusal type counts first
healthy("overlap.example", extra=lambda d, o, p: [sts(
    "overlap.example", 995, 5, [("sts-policy-fetch-error", "mx1.overlap.example", 4),
                                ("certificate-expired", "mx1.overlap.example", 3)])]
    if (d, o) == (12, A) else p)
# a domain whose reports stopped in January
for d in range(1, 15):
    for org in (A, B):
        report(org, d, [sts("gone.example", 100)], month=1)
# Google's 2019 shape: no total-failure-session-count when nothing failed
def no_failure_count(d, o, pols):
    pols[0]["summary"].pop("total-failure-session-count")
    del pols[0]["failure-details"]
    return pols
healthy("google2019.example", extra=no_failure_count)
# conflicting copies: Alpha's report of March 10 posted first as a forged
# clean copy, then the real one with 100 refusals (a second import)
healthy("conflict.example", reporters=(B,))
healthy("conflict.example", reporters=(A,), days=[d for d in range(1, 15)
                                                  if d != 10])
LATE = os.path.join(WORK, "late")
os.makedirs(LATE, exist_ok=True)
report(A, 10, [sts("conflict.example", 100)], rid="2026-03-10_conflict.example",
       name="forged.json")
report(A, 10, [sts("conflict.example", 100, 100,
                   [("certificate-expired", "mx1.conflict.example", 100)])],
       rid="2026-03-10_conflict.example", name="real.json", folder=LATE)

# --- counting rules ----------------------------------------------------------
# tlsa and sts listings of the same 100 sessions: 100, not 200
healthy("double.example", extra=lambda d, o, p: [
    tlsa("double.example", 100)] + p)
# two sts policies in one report (the policy changed): 60 + 40 add up
healthy("several.example", extra=lambda d, o, p: [
    sts("several.example", 60),
    sts("several.example", 40, lines=["version: STSv1", "mode: testing",
                                      "mx: mx1.several.example",
                                      "max_age: 86400"])])
# datetimes without a time zone are UTC: the same as ready.example
for d in range(1, 15):
    for org in (A, B):
        report(org, d, [sts("notz.example", 100)], tz=False)
# a re-sent report: the same file content twice under two names
resent = report(A, 10, [sts("ready.example", 100)], rid="resent-1",
                name="resent-a.json")
with open(resent) as f:
    body = f.read()
with open(os.path.join(REPORTS, "resent-b.json"), "w") as f:
    f.write(body)

# --- import and judge --------------------------------------------------------
imp = subprocess.run([os.path.join(BIN, "tlsrpt-import"), "--db", DB, REPORTS],
                     capture_output=True, text=True)
outcomes = [l.split("\t")[0] for l in imp.stdout.splitlines()]
check("scenario reports imported (exit %d)" % imp.returncode,
      imp.returncode == 0 and outcomes.count("duplicate") == 1 and
      outcomes.count("accepted") == n_files,
      imp.stderr + " ".join(sorted(set(outcomes))))
imp = subprocess.run([os.path.join(BIN, "tlsrpt-import"), "--db", DB, LATE],
                     capture_output=True, text=True)
check("the real copy imported after a forged one is accepted, its "
      "conflict named", imp.returncode == 0 and
      imp.stdout.startswith("accepted\t") and "conflict" in imp.stdout,
      imp.stdout + imp.stderr)
imp = subprocess.run([os.path.join(BIN, "tlsrpt-import"), "--db", DB,
                      os.path.join(LATE, "real.json"),
                      os.path.join(REPORTS, "forged.json")],
                     capture_output=True, text=True)
check("each copy again is a duplicate",
      [l.split("\t")[0] for l in imp.stdout.splitlines()] ==
      ["duplicate", "duplicate"], imp.stdout + imp.stderr)


def summary(*args):
    p = subprocess.run([os.path.join(BIN, "tlsrpt-summary"), "--db", DB,
                        "--now", NOW] + list(args),
                       capture_output=True, text=True)
    return p


p = summary("--format", "json")
doc = json.loads(p.stdout)
by = {d["domain"]: d for d in doc["domains"]}
check("one summary object with every domain", doc["window_days"] == 14 and
      doc["now"] == NOW and len(by) == 40, p.stderr)


def codes(domain):
    return {r["code"] for r in by[domain]["reasons"]}


def case(code, hit, miss, verdict_hit=None):
    check("%s: %s triggers it" % (code, hit), code in codes(hit),
          json.dumps(by[hit]["reasons"], indent=1))
    check("%s: %s just misses it" % (code, miss), code not in codes(miss),
          json.dumps(by[miss]["reasons"], indent=1))
    if verdict_hit:
        check("%s: %s is %s" % (code, hit, verdict_hit),
              by[hit]["verdict"] == verdict_hit, by[hit]["verdict"])


check("ready.example is ready with no reason",
      by["ready.example"]["verdict"] == "ready" and
      not by["ready.example"]["reasons"], by["ready.example"]["reasons"])
case("tls-failures", "tls-failures-hit.example", "tls-failures-miss.example",
     "not-ready")
r = [r for r in by["tls-failures-hit.example"]["reasons"]
     if r["code"] == "tls-failures"][0]
check("tls-failures names the MX and type",
      r["failures"] == [{"result_type": "certificate-expired",
                         "receiving_mx_hostname": "mx1.tls-failures-hit.example",
                         "sessions": 2, "reporters": [A]}] and
      abs(r["failure_rate"] - 2 / 1402) < 1e-9, r)
check("tls-failures: the next step says what to fix where",
      "Renew the expired certificate on mx1.tls-failures-hit.example." in
      by["tls-failures-hit.example"]["next_steps"],
      by["tls-failures-hit.example"]["next_steps"])
check("tls-failures-miss.example is ready",
      by["tls-failures-miss.example"]["verdict"] == "ready")
case("mx-not-in-policy", "mx-hit.example", "mx-miss.example", "not-ready")
check("mx-not-in-policy: *. stands for one label only (a.b.mail.D)",
      "mx-not-in-policy" in codes("mx-deep.example"), by["mx-deep.example"])
case("no-policy-published", "nopolicy-hit.example", "nopolicy-miss.example",
     "not-ready")
case("too-few-days", "days-hit.example", "days-miss.example",
     "insufficient-data")
case("too-few-reporters", "reporters-hit.example", "reporters-miss.example",
     "insufficient-data")
case("too-few-sessions", "sessions-hit.example", "sessions-miss.example",
     "insufficient-data")
check("too-few-sessions counts 99 and 100",
      by["sessions-hit.example"]["sts"]["recent"]["sessions"] == 99 and
      by["sessions-miss.example"]["sts"]["recent"]["sessions"] == 100)
case("stale-reports", "stale-hit.example", "stale-miss.example",
     "insufficient-data")
case("policy-fetch-errors", "fetch-hit.example", "fetch-miss.example")
check("policy-fetch-errors is a warning: fetch-hit.example stays ready",
      by["fetch-hit.example"]["verdict"] == "ready")
case("policy-inconsistent", "inconsistent-hit.example",
     "inconsistent-miss.example")
check("policy lines in another order are the same version",
      len(by["inconsistent-miss.example"]["policy"]["versions_seen"]) == 1)
case("past-failures", "past-hit.example", "past-miss.example")
check("past-failures alone leaves the domain ready",
      by["past-hit.example"]["verdict"] == "ready")
case("dane-failures", "dane-hit.example", "dane-miss.example")
case("already-enforced", "enforced-hit.example", "enforced-miss.example")


def reason(domain, code):
    return [r for r in by[domain]["reasons"] if r["code"] == code]


case("mx-tls-broken", "backup-hit.example", "backup-miss.example",
     "not-ready")
r = reason("backup-hit.example", "mx-tls-broken")
check("mx-tls-broken names the backup MX, its type, reporters and days",
      len(r) == 1 and r[0]["receiving_mx_hostname"] ==
      "backup.mail.backup-hit.example" and
      r[0]["result_type"] == "certificate-expired" and r[0]["sessions"] == 6
      and r[0]["reporters"] == sorted([A, B, C]) and r[0]["days"] == 6, r)
check("mx-tls-broken: the backup MX's share is under the domain's rate",
      "tls-failures" not in codes("backup-hit.example") and
      by["backup-hit.example"]["sts"]["recent"]["refused_rate"] < 0.001,
      by["backup-hit.example"]["sts"])
check("mx-tls-broken: the next step renews the backup MX's certificate",
      "Renew the expired certificate on backup.mail.backup-hit.example." in
      by["backup-hit.example"]["next_steps"], by["backup-hit.example"])
for dom in ("backup-2reporters.example", "backup-2days.example"):
    check("mx-tls-broken: %s (2 reporters one day, or one reporter 2 days)"
          " is not-ready" % dom, by[dom]["verdict"] == "not-ready" and
          "mx-tls-broken" in codes(dom), by[dom]["reasons"])
check("mx-tls-broken: refusals only before R are past failures",
      by["backup-past.example"]["verdict"] == "ready" and
      codes("backup-past.example") == {"past-failures"},
      by["backup-past.example"]["reasons"])
case("isolated-failures", "backup-miss.example", "ready.example")
check("one isolated refusal: ready, with the warning naming it",
      by["backup-miss.example"]["verdict"] == "ready" and
      reason("backup-miss.example", "isolated-failures")[0]["failures"] ==
      [{"result_type": "certificate-expired", "receiving_mx_hostname":
        "backup.mail.backup-miss.example", "sessions": 1, "reporters": [A]}],
      by["backup-miss.example"]["reasons"])
check("tls-failures-miss.example: its one refusal is an isolated failure",
      codes("tls-failures-miss.example") == {"isolated-failures"})

case("tls-failures", "diluted-hit.example", "diluted-miss.example",
     "not-ready")
r = reason("diluted-hit.example", "tls-failures")
check("tls-failures per reporter: the diluted reporter is named",
      len(r) == 1 and r[0]["scope"] == "reporter" and
      r[0]["failure_rate"] < 0.001 and
      [x["reporter"] for x in r[0]["reporters_over"]] == [A] and
      r[0]["reporters_over"][0]["refused"] == 70 and
      r[0]["failures"][0]["reporters"] == [A] and A in r[0]["message"], r)
check("diluted-miss.example (9 refusals from one reporter) is ready with "
      "the warning", by["diluted-miss.example"]["verdict"] == "ready" and
      codes("diluted-miss.example") == {"isolated-failures"},
      by["diluted-miss.example"]["reasons"])
br = {x["reporter"]: x for x in by["diluted-hit.example"]["by_reporter"]}
check("by_reporter: sessions, refused and rate for R",
      br[A]["sessions"] == 1400 and br[A]["refused"] == 70 and
      abs(br[A]["failure_rate"] - 0.05) < 1e-9 and
      br[F1]["sessions"] == 1400000 and br[F1]["refused"] == 0, br)

d = by["overlap.example"]
rows = {(f["result_type"]): f["sessions"] for f in d["failures"]}
check("details over the failure count: refusals count first, rows add up "
      "to the count (3 + 2 = 5)", rows == {"certificate-expired": 3,
      "sts-policy-fetch-error": 2} and d["sts"]["window"]["failed"] == 5 and
      d["sts"]["recent"]["refused_if_enforced"] == 3, d["failures"])

case("conflicting-reports", "conflict.example", "ready.example",
     "not-ready")
r = reason("conflict.example", "conflicting-reports")
check("conflicting-reports: the copy with the refusals is counted",
      len(r) == 1 and r[0]["conflicts"][0]["reporter"] == A and
      r[0]["conflicts"][0]["copies"] == 2 and
      r[0]["conflicts"][0]["refused_counted"] == 100 and
      by["conflict.example"]["reports"] == 28 and
      "tls-failures" in codes("conflict.example"), by["conflict.example"])

d = by["stale-hit.example"]
check("a stale domain names its last report",
      d["last_report"] == "2026-03-11T23:59:59Z" and
      "2026-03-11" in reason("stale-hit.example", "stale-reports")[0]["message"],
      d["reasons"])
d = by["gone.example"]
check("reports stopped in January: insufficient, the last report dated",
      d["verdict"] == "insufficient-data" and
      d["last_report"] == "2026-01-14T23:59:59Z" and d["reports"] == 0 and
      "2026-01-14" in reason("gone.example", "stale-reports")[0]["message"]
      and any("2026-01-14" in x for x in d["next_steps"]), d)
check("last_report of a fresh domain",
      by["ready.example"]["last_report"] == "2026-03-14T23:59:59Z")
d = by.get("google2019.example")
check("a summary without total-failure-session-count counts 0 failed",
      d and d["verdict"] == "ready" and d["sessions"]["failed"] == 0 and
      d["sessions"]["total"] == 2800, d and d["sessions"])

# Every count shown beside another adds up, for every domain.
bad = []
for dom, d in by.items():
    sts_rows = [f for f in d["failures"] if f["policy_type"] == "sts"]
    if sum(f["sessions"] for f in sts_rows) != d["sts"]["window"]["failed"]:
        bad.append((dom, "failure rows vs failed"))
    if sum(f["recent_sessions"] for f in sts_rows if f["blocking"]) != \
            d["sts"]["recent"]["refused_if_enforced"]:
        bad.append((dom, "refusal rows vs refused"))
    if sum(x["sessions"] for x in d["by_reporter"]) != \
            d["sts"]["recent"]["sessions"] or \
            sum(x["refused"] for x in d["by_reporter"]) != \
            d["sts"]["recent"]["refused_if_enforced"]:
        bad.append((dom, "by_reporter vs recent"))
    if sum(x["refused_if_enforced"] for x in d["daily"]) != \
            sum(f["sessions"] for f in sts_rows if f["blocking"]):
        bad.append((dom, "daily refused vs rows"))
    if d["verdict"] == "ready" and d["sts"]["recent"]["refused_if_enforced"] \
            and "isolated-failures" not in codes(dom):
        bad.append((dom, "refusals in a ready verdict without a warning"))
check("counts add up in every domain: failure rows, refusals, by_reporter, "
      "per day", not bad, bad)

# The text, CSV and page of each scenario say what the JSON says: no
# "none failed" beside refusals, a checklist point met only when no reason
# concerns it, a stale domain's last report dated.
import csv
import io
import re
CONCERNS = {
    "STARTTLS with a valid certificate on every MX":
        {"tls-failures", "mx-tls-broken", "isolated-failures"},
    "Failure patterns understood":
        {"tls-failures", "mx-tls-broken", "mx-not-in-policy",
         "isolated-failures", "conflicting-reports"},
    "Policy served from the right host and path":
        {"policy-fetch-errors", "no-policy-published"},
    "Long enough in testing, reports reviewed":
        {"too-few-days", "too-few-reporters", "too-few-sessions",
         "stale-reports"},
    "Every MX is listed in the policy": {"mx-not-in-policy"},
}
rows = {r["domain"]: r for r in
        csv.DictReader(io.StringIO(summary("--format", "csv").stdout))}
STALE = ("stale-hit.example", "gone.example")
for dom in ("backup-hit.example", "backup-miss.example", "diluted-hit.example",
            "diluted-miss.example", "conflict.example", "stale-hit.example",
            "gone.example", "fetch-miss.example", "overlap.example",
            "google2019.example", "tls-failures-miss.example", "ready.example"):
    if dom not in by or dom not in rows:
        for _ in range(4 + (dom in STALE)):
            check("%s: in the summary" % dom, False)
        continue
    d = by[dom]
    refused = d["sts"]["recent"]["refused_if_enforced"]
    page = summary("--domain", dom, "--format", "html").stdout
    text = summary("--domain", dom).stdout
    marks = dict((name, cls) for cls, name in re.findall(
        r'<li class="([a-z-]+)"><span class="mark">[^<]*</span> '
        r'<strong>([^<]*)</strong>', page))
    wrong = [(p, marks.get(p)) for p, cs in CONCERNS.items()
             if marks.get(p) == "met" and cs & codes(dom)]
    if refused and marks.get(
            "STARTTLS with a valid certificate on every MX") == "met":
        wrong.append("STARTTLS met beside refusals")
    if d["reports"] == 0 and "met" in (marks.get(
            "Failure patterns understood"),):
        wrong.append("failure patterns met with no report")
    if any(f["result_type"].startswith("sts-") for f in d["failures"]) and \
            "no fetch error reported" in page:
        wrong.append("no fetch error said beside fetch errors")
    check("%s: the page's checklist agrees with the reasons" % dom,
          len(marks) == 5 and not wrong, (marks, wrong, codes(dom)))
    check("%s: the page and text say \"none failed\" only when none did"
          % dom, refused == 0 or ("none failed" not in page and
                                  "no reason against" not in text),
          refused)
    check("%s: the text shows the refusals and every reason" % dom,
          text.splitlines()[0].endswith(d["verdict"].upper().replace("-", " "))
          and "%d would be refused under enforce" % refused in text and
          all(c in text for c in codes(dom)), text)
    check("%s: the CSV row agrees with the JSON" % dom,
          rows[dom]["verdict"] == d["verdict"] and
          rows[dom]["reasons"].split() == [r["code"] for r in d["reasons"]]
          and rows[dom]["last_report"] == (d["last_report"] or "") and
          int(rows[dom]["recent_refused_if_enforced"]) == refused, rows[dom])
    if dom in STALE:
        day = (d["last_report"] or "none")[:10]
        check("%s: text, page and CSV date the last report" % dom,
              "stale-reports" in codes(dom) and day in text and
              day in page and day in rows[dom]["last_report"], day)

d = by["double.example"]
check("tlsa and sts listings are not added: 2800 sessions, not 5600",
      d["sessions"]["total"] == 2800 and d["sts"]["window"]["sessions"] == 2800,
      d["sessions"])
d = by["several.example"]
check("several sts policies of one report add up: 2800 sessions",
      d["sessions"]["total"] == 2800 and
      len(d["policy"]["versions_seen"]) == 2, d["sessions"])
d = by["notz.example"]
check("reports with no time zone count as UTC",
      d["verdict"] == "ready" and d["days_with_reports"] == 14 and
      d["sessions"] == by["double.example"]["sessions"], d)
d = by["ready.example"]
check("a re-sent report is counted once (29 reports, 2900 sessions)",
      d["reports"] == 29 and d["sessions"]["total"] == 2900, d["reports"])
check("the window and its fields", d["window"] == {
    "start": "2026-03-01T00:00:00Z", "end": NOW, "days": 14} and
    d["days_with_reports"] == 14 and
    d["reporters"] == [A, B] and d["policy"]["modes_seen"] == ["testing"] and
    len(d["daily"]) == 14, d["window"])
f = by["tls-failures-hit.example"]["failures"][0]
check("a failure row: type, MX, sessions, reporters, first and last seen",
      f["result_type"] == "certificate-expired" and f["sessions"] == 2 and
      f["reporters"] == [A] and f["first_seen"] == "2026-03-10T00:00:00Z" and
      f["last_seen"] == "2026-03-10T23:59:59Z", f)

# --- options, exit codes, formats ---------------------------------------------
check("--max-failure-rate 0.01 lets 0.14% pass",
      json.loads(summary("--format", "json", "--domain",
                         "tls-failures-hit.example",
                         "--max-failure-rate", "0.01").stdout)
      ["domains"][0]["verdict"] == "ready")
check("--min-days 6 lets 6 days pass",
      "too-few-days" not in {r["code"] for r in json.loads(summary(
          "--format", "json", "--domain", "days-hit.example", "--min-days",
          "6").stdout)["domains"][0]["reasons"]})
check("--min-reporters 1 lets one reporter pass",
      json.loads(summary("--format", "json", "--domain",
                         "reporters-hit.example", "--min-reporters",
                         "1").stdout)["domains"][0]["verdict"] == "ready")
check("--min-sessions 99 lets 99 sessions pass",
      json.loads(summary("--format", "json", "--domain",
                         "sessions-hit.example", "--min-sessions",
                         "99").stdout)["domains"][0]["verdict"] == "ready")
check("exit 0 when all ready", summary("--domain", "ready.example",
                                      "--domain", "notz.example").returncode == 0)
check("exit 1 when any not-ready", summary(
    "--domain", "ready.example", "--domain", "mx-hit.example",
    "--domain", "days-hit.example").returncode == 1)
check("exit 2 when insufficient", summary(
    "--domain", "ready.example", "--domain", "days-hit.example").returncode == 2)
check("--domain in any case with a trailing dot",
      json.loads(summary("--format", "json", "--domain",
                         "Ready.Example.").stdout)["domains"][0]["reports"] == 29)
t = summary("--domain", "tls-failures-hit.example")
check("text: the verdict first",
      t.stdout.splitlines()[0] == "tls-failures-hit.example: NOT READY", t.stdout)
check("text: evidence, per-day lines and next steps",
      "2026-03-10" in t.stdout and "Next steps" in t.stdout and
      "1. Renew the expired certificate" in t.stdout and "\033[" not in t.stdout,
      t.stdout)
c = summary("--format", "csv")
rows = c.stdout.splitlines()
u = subprocess.run([os.path.join(BIN, "tlsrpt-summary"), "--db", DB,
                    "--domain", "nosuch.example"], capture_output=True, text=True)
check("an unknown --domain: one line naming it, exit 2, nothing printed",
      u.returncode == 2 and u.stdout == "" and
      u.stderr.count("\n") == 1 and "nosuch.example" in u.stderr, u)
u = subprocess.run([os.path.join(BIN, "tlsrpt-summary"), "--db", DB,
                    "--domain", "redy.example"], capture_output=True, text=True)
check("an unknown --domain: the closest known name is offered",
      u.returncode == 2 and "ready.example" in u.stderr, u.stderr)
u = summary("--domain", "ready.example", "--domain", "nosuch.example")
check("a known and an unknown --domain: the known one judged, exit 2",
      u.returncode == 2 and u.stdout.startswith("ready.example: READY") and
      "nosuch.example" in u.stderr, u)
check("csv: a header and one row per domain",
      rows[0].startswith("domain,verdict,") and len(rows) == len(by) + 1)
check("--now makes the verdict reproducible",
      summary("--format", "json").stdout == p.stdout)
u = subprocess.run([os.path.join(BIN, "tlsrpt-summary"), "--days", "x"],
                   capture_output=True, text=True)
check("a bad value: exit 64 naming the option",
      u.returncode == 64 and u.stderr.startswith("tlsrpt-summary: --days:"),
      u.stderr)
u = subprocess.run([os.path.join(BIN, "tlsrpt-summary"), "--db",
                    os.path.join(WORK, "nope.db")], capture_output=True, text=True)
check("no such database: exit 66", u.returncode == 66 and
      not os.path.exists(os.path.join(WORK, "nope.db")), u.stderr)
