#!/usr/bin/env python3
"""Reports dated from today's clock, for the retention tests
(retention.sh, pg-retention.sh) and the store growth test (growth.sh).

usage: dated-report.py OUT DAYS_AGO ORG REPORT_ID OK FAILED DOMAIN...
    one report of one sts policy for DOMAIN covering the UTC day DAYS_AGO
    days before today: OK successful sessions, FAILED failed ones in one
    failure detail (none when FAILED is 0). Written gzipped when OUT ends
    in .gz. The seven arguments again for each more report.

usage: dated-report.py --giant OUT DAYS_AGO ROWS DOMAIN
    one report of ROWS failure details whose receiving-mx-hostname and
    receiving-mx-helo are distinct DNS names of 253 octets (four labels of
    63), as an attacker would make the rows cost the most; gzipped.
"""
import gzip
import json
import sys
import time


def day_range(days_ago):
    start = (int(time.time()) // 86400 - days_ago) * 86400
    fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    return {"start-datetime": fmt(start), "end-datetime": fmt(start + 86399)}


def policy(domain, ok, failed, details):
    return {
        "policy": {
            "policy-type": "sts",
            "policy-string": ["version: STSv1", "mode: testing",
                              "mx: *." + domain, "max_age: 86400"],
            "policy-domain": domain,
            "mx-host": ["*." + domain],
        },
        "summary": {"total-successful-session-count": ok,
                    "total-failure-session-count": failed},
        "failure-details": details,
    }


def long_name(i):
    """A DNS name of 253 octets, distinct for each i."""
    label = ("n%09d" % i).ljust(63, "x")
    return ".".join([label, label, label, label[:61]])


def write(out, report):
    data = json.dumps(report).encode()
    if out.endswith(".gz"):
        data = gzip.compress(data, 9)
    with open(out, "wb") as f:
        f.write(data)


def main(argv):
    if argv[1] == "--giant":
        out, days_ago, rows, domain = argv[2], int(argv[3]), int(argv[4]), \
            argv[5]
        details = [{"result-type": "certificate-host-mismatch",
                    "sending-mta-ip": "192.0.2.%d" % (i % 250 + 1),
                    "receiving-ip": "2001:db8::%x" % (i + 1),
                    "receiving-mx-hostname": long_name(2 * i),
                    "receiving-mx-helo": long_name(2 * i + 1),
                    "failed-session-count": 1} for i in range(rows)]
        write(out, {"organization-name": "Giant Sender",
                    "date-range": day_range(days_ago),
                    "contact-info": "tlsrpt@giant.example",
                    "report-id": "giant-%d" % rows,
                    "policies": [policy(domain, 1000, rows, details)]})
        return
    for i in range(1, len(argv) - 6, 7):
        out, days_ago, org, rid, ok, failed, domain = argv[i:i + 7]
        details = []
        if int(failed) > 0:
            details = [{"result-type": "certificate-expired",
                        "receiving-mx-hostname": "mx1." + domain,
                        "failed-session-count": int(failed)}]
        write(out, {"organization-name": org,
                    "date-range": day_range(int(days_ago)),
                    "contact-info": "tlsrpt@sender.example",
                    "report-id": rid,
                    "policies": [policy(domain, int(ok), int(failed),
                                        details)]})


main(sys.argv)
