#!/usr/bin/env python3
"""Post generated reports to tlsrptd nodes over HTTPS, as several
concurrent clients would, for tests/e2e/pg-*.sh.

usage: pg-clients.py CA N CLIENTS SECONDS_RETRYING PORT...

Client k posts reports k, k+CLIENTS, ... to every port at once (one thread
and one kept-alive connection per port), so that the nodes take the same
report at the same moment. A 503 is tried again (after a short pause)
for up to SECONDS_RETRYING seconds. Prints one line per answer to a
report's first try and its last: "INDEX PORT STATUS" (a 503 on any try
is printed as it came), and nothing else. PG_CLIENT_PAUSE (seconds) is
a pause after each report, to spread the posts over a longer time.
"""
import http.client
import json
import os
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import failfast  # noqa: E402,F401  (an exception in a thread fails it all)

CA, N, CLIENTS, RETRY = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4])
PORTS = [int(p) for p in sys.argv[5:]]
PAUSE = float(os.environ.get("PG_CLIENT_PAUSE", "0"))
ctx = ssl.create_default_context(cafile=CA)
out_lock = threading.Lock()


def report(i):
    dom = "d%d.example" % (i % 10)
    day = 1 + (i // 10) % 14
    fails = []
    if i % 7 == 0:
        fails = [{"result-type": "certificate-expired",
                  "receiving-mx-hostname": "mx1." + dom,
                  "sending-mta-ip": "192.0.2.%d" % (i % 250 + 1),
                  "failed-session-count": 1 + i % 3}]
    return json.dumps({
        "organization-name": "Reporter %d" % (i % 5),
        "date-range": {"start-datetime": "2026-03-%02dT00:00:00Z" % day,
                       "end-datetime": "2026-03-%02dT23:59:59Z" % day},
        "contact-info": "tlsrpt@reporter%d.example" % (i % 5),
        "report-id": "pg-%d" % i,
        "policies": [{
            "policy": {"policy-type": "sts", "policy-domain": dom,
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: mx1." + dom, "max_age: 86400"],
                       "mx-host": ["mx1." + dom]},
            "summary": {"total-successful-session-count": 50 + i % 13,
                        "total-failure-session-count":
                            sum(f["failed-session-count"] for f in fails)},
            "failure-details": fails}]}).encode()


def say(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()  # read while it runs (pg-restart.sh)


def client(k, port):
    conn = None
    for i in range(k, N, CLIENTS):
        body = report(i)
        deadline = time.monotonic() + RETRY
        while True:
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection(
                        "127.0.0.1", port, context=ctx, timeout=30)
                conn.request("POST", "/v1/tlsrpt", body,
                             {"Content-Type": "application/tlsrpt+json"})
                r = conn.getresponse()
                r.read()
                status = r.status
                if status == 503 and not r.getheader("Retry-After"):
                    status = "503-without-retry-after"
                if r.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                status = "error"
            say("%d %d %s" % (i, port, status))
            if status not in (503, "error") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if PAUSE:
            time.sleep(PAUSE)
    if conn is not None:
        conn.close()


threads = [threading.Thread(target=client, args=(k, p))
           for k in range(CLIENTS) for p in PORTS]
for t in threads:
    t.start()
for t in threads:
    t.join()
