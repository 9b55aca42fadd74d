#!/usr/bin/env python3
"""Copies of one report for tests/e2e/conflict.sh and pg-conflict.sh.

usage: conflict-reports.py DIR
    writes into DIR: forged.json (the identity of the real report, 1000
    sessions, none failed), real.json (900 successful, 100 failed, two
    failure details), real.json.gz, real-pretty.json (the real report
    indented, its keys sorted, its failure details in the other order),
    forged.json.gz, third.json (999 and 1), real.eml (the real report
    gzipped in a mail), long-forged.json and long-real.json (the forged
    and real copies from an organization named by 3,905 bytes of euro
    signs).

usage: conflict-reports.py race CA N PORT1 PORT2
    for i < N, the forged copy of report race-i to PORT1 and the real one
    to PORT2 at the same moment, over HTTPS; prints "i port status
    conflict|-" per answer.
"""
import base64
import gzip
import http.client
import json
import os
import ssl
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import failfast  # noqa: E402,F401  (an exception in a thread fails it all)


def report(rid, ok, failed, details, org="Big Sender Inc."):
    r = {
        "organization-name": org,
        "date-range": {"start-datetime": "2026-03-10T00:00:00Z",
                       "end-datetime": "2026-03-10T23:59:59Z"},
        "contact-info": "smtp-tls-reporting@big-sender.example",
        "report-id": rid,
        "policies": [{
            "policy": {"policy-type": "sts",
                       "policy-domain": "conflict.example",
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: mx1.conflict.example",
                                         "mx: mx2.conflict.example",
                                         "max_age: 604800"],
                       "mx-host": ["mx1.conflict.example",
                                   "mx2.conflict.example"]},
            "summary": {"total-successful-session-count": ok,
                        "total-failure-session-count": failed}}]}
    if details is not None:
        r["policies"][0]["failure-details"] = details
    return r


DETAILS = [
    {"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.10",
     "receiving-mx-hostname": "mx1.conflict.example",
     "receiving-ip": "198.51.100.1", "failed-session-count": 60},
    {"result-type": "starttls-not-supported",
     "sending-mta-ip": "2001:db8::10",
     "receiving-mx-hostname": "mx2.conflict.example",
     "receiving-ip": "198.51.100.2", "failed-session-count": 40},
]


LONG_ORG = "\u20ac" * 1300 + " Mail"


def forged(rid):
    return report(rid, 1000, 0, None)


def real(rid):
    return report(rid, 900, 100, DETAILS)


def write(d):
    rid = "2026-03-10_conflict.example"
    files = {
        "forged.json": json.dumps(forged(rid)).encode(),
        "real.json": json.dumps(real(rid)).encode(),
        "third.json": json.dumps(report(rid, 999, 1, [])).encode(),
        # A name of 3 bytes a character, too long for a message: its cut
        # must fall between characters.
        "long-forged.json": json.dumps(report(rid, 1000, 0, None,
                                              LONG_ORG)).encode(),
        "long-real.json": json.dumps(report(rid, 900, 100, DETAILS,
                                            LONG_ORG)).encode(),
    }
    pretty = real(rid)
    pretty["policies"][0]["failure-details"] = list(reversed(DETAILS))
    files["real-pretty.json"] = json.dumps(pretty, indent=4,
                                           sort_keys=True).encode()
    files["real.json.gz"] = gzip.compress(files["real.json"])
    files["forged.json.gz"] = gzip.compress(files["forged.json"])
    att = base64.encodebytes(files["real.json.gz"]).decode()
    files["real.eml"] = (
        "From: noreply-smtp-tls-reporting@big-sender.example\r\n"
        "To: tlsrpt@conflict.example\r\n"
        "Subject: Report Domain: conflict.example Submitter: "
        "big-sender.example Report-ID: <" + rid + ">\r\n"
        "Message-ID: <conflict-real@big-sender.example>\r\n"
        "TLS-Report-Domain: conflict.example\r\n"
        "TLS-Report-Submitter: big-sender.example\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=\"tlsrpt\"; "
        "boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nThe report.\r\n"
        "--b1\r\nContent-Type: application/tlsrpt+gzip\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename=\"big-sender.example!"
        "conflict.example!1773100800!1773187199.json.gz\"\r\n\r\n"
        + att.replace("\n", "\r\n") + "--b1--\r\n").encode()
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def race(ca, n, port1, port2):
    ctx = ssl.create_default_context(cafile=ca)
    lock = threading.Lock()
    out = []

    def post(i, port, body, barrier):
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                        timeout=30)
        barrier.wait()
        c.request("POST", "/v1/tlsrpt", body,
                  {"Content-Type": "application/tlsrpt+json"})
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        c.close()
        with lock:
            out.append("%d %d %d %s" % (i, port, r.status,
                       "conflict" if "conflicts with" in text else "-"))

    for i in range(n):
        rid = "race-%d" % i
        barrier = threading.Barrier(2)
        ts = [threading.Thread(target=post, args=(i, port1,
                               json.dumps(forged(rid)).encode(), barrier)),
              threading.Thread(target=post, args=(i, port2,
                               json.dumps(real(rid)).encode(), barrier))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    print("\n".join(out))


if sys.argv[1] == "race":
    race(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
else:
    write(sys.argv[1])
