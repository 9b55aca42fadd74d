#!/usr/bin/env python3
"""Clients for the robustness scripts (tests/e2e/robust-*.sh): never run
by the suite on its own. Each subcommand prints what it saw on stdout as
"key=value" lines, for the shell to check.

  ingest-kill  several clients post distinct reports; after K reports were
               answered 200/201 the daemon gets SIGKILL; every answer is
               written to a file ("report-id status")
  repost       post again every report of such a file: an acknowledged one
               must now be a duplicate (200)
  hold         open connections from several loopback addresses that send
               nothing, part of a TLS ClientHello, headers a byte a second
               or a body that never ends, and hold them
  flood        many parallel posts of about 1 MB bodies
  mails        write N report mails (distinct report-ids) into a maildir
  kill-when    SIGKILL a process once a folder holds N entries
"""
import argparse
import gzip
import http.client
import io
import json
import os
import random
import signal
import socket
import ssl
import sys
import threading
import time
import zlib

import failfast  # noqa: F401  (an exception in a thread fails it all)

ORG = "Robust Test Org"


def report(rid, failures=1):
    return {
        "organization-name": ORG,
        "date-range": {"start-datetime": "2026-03-01T00:00:00Z",
                       "end-datetime": "2026-03-01T23:59:59Z"},
        "contact-info": "tls-reports@example.org",
        "report-id": rid,
        "policies": [{
            "policy": {"policy-type": "sts",
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: mx1.example.com",
                                         "max_age: 604800"],
                       "policy-domain": "example.com",
                       "mx-host": ["mx1.example.com"]},
            "summary": {"total-successful-session-count": 100,
                        "total-failure-session-count": failures},
            "failure-details": [{
                "result-type": "certificate-expired",
                "sending-mta-ip": "192.0.2.%d" % (i % 250 + 1),
                "receiving-ip": "198.51.100.25",
                "receiving-mx-hostname": "mx1.example.com",
                "failed-session-count": 1} for i in range(failures)],
        }],
    }


def body_of(rid):
    """The same bytes for the same id: half gzip, half JSON."""
    raw = json.dumps(report(rid)).encode()
    if zlib.crc32(rid.encode()) % 2:
        return gzip.compress(raw, mtime=0), "application/tlsrpt+gzip"
    return raw, "application/tlsrpt+json"


def context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    return ctx


def post(conn, body, ctype, path="/v1/tlsrpt"):
    conn.request("POST", path, body=body, headers={
        "Content-Type": ctype, "User-Agent": "robust.py"})
    r = conn.getresponse()
    r.read()
    return r.status


def ingest_kill(a):
    ctx = context(a.ca)
    lock = threading.Lock()
    acks = [0]
    killed = [False]
    lines = []
    stop_at = time.time() + a.max_seconds

    def client(n):
        i = 0
        conn = None
        while time.time() < stop_at:
            rid = "%s-%d-%d" % (a.prefix, n, i)
            i += 1
            body, ctype = body_of(rid)
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection(
                        "127.0.0.1", a.port, context=ctx, timeout=10)
                status = post(conn, body, ctype)
            except (OSError, http.client.HTTPException):
                with lock:
                    lines.append("%s err" % rid)
                    if killed[0]:
                        return
                conn = None
                continue
            with lock:
                lines.append("%s %d" % (rid, status))
                if status in (200, 201):
                    acks[0] += 1
                if acks[0] >= a.kill_after and not killed[0]:
                    os.kill(a.kill, signal.SIGKILL)
                    killed[0] = True

    ts = [threading.Thread(target=client, args=(n,))
          for n in range(a.clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("acked=%d" % acks[0])
    print("answers=%d" % len(lines))
    print("killed=%d" % killed[0])


def repost(a):
    ctx = context(a.ca)
    acked = dup = bad = other = 0
    conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx,
                                       timeout=30)
    seen = set()
    for line in open(a.infile):
        rid, status = line.split()
        if rid in seen:
            continue
        seen.add(rid)
        body, ctype = body_of(rid)
        got = post(conn, body, ctype)
        if status in ("200", "201"):
            acked += 1
            if got == 200:
                dup += 1
            else:
                bad += 1
                print("# acknowledged %s (%s) now answered %d" %
                      (rid, status, got))
        elif got not in (200, 201):
            other += 1
            print("# unacknowledged %s now answered %d" % (rid, got))
    print("acked=%d" % acked)
    print("duplicate=%d" % dup)
    print("lost=%d" % bad)
    print("failed=%d" % other)
    print("ids=%d" % len(seen))


def client_hello():
    """The first flight of a real TLS client, as bytes."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def is_closed(s):
    """Did the server close s? A request in progress gets no answer, so
    anything readable (EOF, a TLS alert) means it is closing."""
    try:
        d = socket.socket.recv(s, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        return d is not None
    except BlockingIOError:
        return False
    except ssl.SSLWantReadError:
        return False
    except ssl.SSLError:
        return True
    except OSError:
        return True


def hold(a):
    """Open a.n connections, spread over a.sources loopback addresses."""
    ctx = context(a.ca) if a.ca else None
    hello = client_hello()
    socks = []
    refused = 0
    t0 = time.time()
    for i in range(a.n):
        src = "127.0.0.%d" % (a.first + i % a.sources)
        try:
            raw = socket.create_connection(("127.0.0.1", a.port), timeout=5,
                                           source_address=(src, 0))
            if a.mode == "hello":
                raw.sendall(hello[:len(hello) // 2])
            pending = b""
            if a.mode in ("slowhdr", "slowbody"):
                raw = ctx.wrap_socket(raw, server_hostname="localhost")
                head = ("POST /v1/tlsrpt HTTP/1.1\r\nHost: localhost\r\n"
                        "Content-Type: application/tlsrpt+json\r\n")
                if a.mode == "slowbody":
                    raw.sendall((head + "Content-Length: 1000000\r\n\r\n{")
                                .encode())
                    pending = b" " * 1000000
                else:
                    pending = (head + "X-Slow: " + "a" * 100000).encode()
            raw.settimeout(0)
            socks.append([raw, pending])
        except (OSError, ssl.SSLError):
            refused += 1
    print("opened=%d" % len(socks))
    print("refused=%d" % refused)
    print("open_seconds=%.2f" % (time.time() - t0))
    sys.stdout.flush()
    if a.ready:
        open(a.ready, "w").write("%d\n" % len(socks))
    marks = sorted(float(x) for x in a.report_at.split(",") if x)
    end = time.time() + a.seconds
    tick = time.time()
    while time.time() < end or marks:
        now = time.time()
        if marks and now - t0 >= marks[0]:
            print("open_at_%g=%d" % (marks[0],
                                     sum(1 for s in socks
                                         if not is_closed(s[0]))))
            sys.stdout.flush()
            marks.pop(0)
        if now >= tick:
            tick += 1
            for s in socks:
                if s[1]:
                    try:
                        s[0].send(s[1][:1])
                        s[1] = s[1][1:]
                    except (OSError, ssl.SSLError):
                        s[1] = b""
        time.sleep(0.05)
    print("open_at_end=%d" % sum(1 for s in socks if not is_closed(s[0])))
    for s in socks:
        s[0].close()


def flood(a):
    ctx = context(a.ca)
    counts = {}
    lock = threading.Lock()
    # About 1 MB: a report with many failure details (stored once, then
    # duplicates) and plain garbage (rejected, kept in quarantine).
    nfail = 1
    while len(json.dumps(report("x", nfail))) < a.size:
        nfail *= 2
    big = json.dumps(report("%s-big" % a.prefix, nfail)).encode()[:a.size]
    good = json.dumps(report("%s-big" % a.prefix, nfail // 2)).encode()
    junk = random.Random(1).randbytes(a.size)
    bodies = [good, big, junk]
    sizes = [len(b) for b in bodies]

    def one(k):
        src = ("127.0.0.%d" % (a.first + k % a.sources), 0)
        conn = http.client.HTTPSConnection("127.0.0.1", a.port,
                                           context=ctx, timeout=120,
                                           source_address=src)
        try:
            st = post(conn, bodies[k % 3], "application/tlsrpt+json")
        except (OSError, http.client.HTTPException) as e:
            st = type(e).__name__
        with lock:
            counts[st] = counts.get(st, 0) + 1
        conn.close()

    t0 = time.time()
    ts = [threading.Thread(target=one, args=(k,)) for k in range(a.n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("seconds=%.2f" % (time.time() - t0))
    print("sizes=%s" % ",".join(str(s) for s in sizes))
    for k in sorted(counts, key=str):
        print("status_%s=%d" % (k, counts[k]))


def mails(a):
    """Report mails as a sender's MTA writes them, into DIR/new."""
    from email.message import EmailMessage
    for i in range(a.n):
        rid = "%s-%d" % (a.prefix, i)
        m = EmailMessage()
        m["From"] = "reports@example.net"
        m["To"] = "tlsrpt@example.com"
        m["Subject"] = "Report Domain: example.com Submitter: example.net " \
            "Report-ID: <%s>" % rid
        m["Message-ID"] = "<%s@example.net>" % rid
        m["TLS-Report-Domain"] = "example.com"
        m["TLS-Report-Submitter"] = "example.net"
        m.set_content("This is an aggregate TLS report.")
        m.add_attachment(gzip.compress(json.dumps(report(rid)).encode(),
                                       mtime=0),
                         maintype="application", subtype="tlsrpt+gzip",
                         filename="example.net!example.com!1772323200!"
                         "1772409599!%d.json.gz" % i)
        name = "1700000000.R%dP%d.robust" % (i, os.getpid())
        with open(os.path.join(a.dir, "tmp", name), "wb") as f:
            f.write(bytes(m))
        os.rename(os.path.join(a.dir, "tmp", name),
                  os.path.join(a.dir, "new", name))
    print("written=%d" % a.n)


def kill_when(a):
    """SIGKILL pid once dir holds count entries (or after 20 s)."""
    end = time.time() + 20
    n = 0
    while time.time() < end:
        n = len(os.listdir(a.dir))
        if n >= a.count:
            break
    os.kill(a.pid, signal.SIGKILL)
    print("entries=%d" % n)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ingest-kill")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--ca", required=True)
    s.add_argument("--clients", type=int, default=8)
    s.add_argument("--prefix", required=True)
    s.add_argument("--kill", type=int, required=True)
    s.add_argument("--kill-after", type=int, default=50)
    s.add_argument("--max-seconds", type=float, default=20)
    s.add_argument("--out", required=True)
    s = sub.add_parser("repost")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--ca", required=True)
    s.add_argument("--in", dest="infile", required=True)
    s = sub.add_parser("hold")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--ca")
    s.add_argument("--n", type=int, default=200)
    s.add_argument("--sources", type=int, default=20)
    s.add_argument("--first", type=int, default=2)
    s.add_argument("--mode", choices=["nothing", "hello", "slowhdr",
                                      "slowbody"], default="nothing")
    s.add_argument("--seconds", type=float, default=10)
    s.add_argument("--report-at", default="")
    s.add_argument("--ready")
    s = sub.add_parser("flood")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--ca", required=True)
    s.add_argument("--n", type=int, default=50)
    s.add_argument("--size", type=int, default=1000000)
    s.add_argument("--prefix", default="flood")
    s.add_argument("--sources", type=int, default=10)
    s.add_argument("--first", type=int, default=100)
    s = sub.add_parser("mails")
    s.add_argument("--dir", required=True)
    s.add_argument("--n", type=int, default=300)
    s.add_argument("--prefix", required=True)
    s = sub.add_parser("kill-when")
    s.add_argument("--dir", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--pid", type=int, required=True)
    a = p.parse_args()
    {"ingest-kill": ingest_kill, "repost": repost, "hold": hold,
     "flood": flood, "mails": mails, "kill-when": kill_when}[a.cmd](a)


if __name__ == "__main__":
    main()
