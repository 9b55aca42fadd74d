#!/usr/bin/env python3
"""Slow and crowding clients for tests/e2e/daemon-load.sh, each a thread
with a socket bound to a loopback source address of its own (the whole
of 127/8 is loopback on Linux), as strangers' connections would come.

  slow     N connections from SOURCES addresses, each sending a POST's
           headers then one body byte every EVERY seconds, for SECONDS;
           a connection closed or refused is opened again a second later.
           Prints how many were held open at the least and the most.
  trickle  one connection sending its headers (or, once they are sent,
           its body) a byte every EVERY seconds; prints when it closed.
  hold     N connections that send their headers and half a body, then
           wait; prints how many are open at the end.
"""
import argparse
import socket
import ssl
import sys
import threading
import time

import failfast  # noqa: F401  (an exception in a thread fails it all)

HEAD = ("POST /v1/tlsrpt HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/tlsrpt+json\r\n%s"
        "Content-Length: %d\r\n\r\n")


def connect(a, src):
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=10,
                                   source_address=(src, 0))
    if not a.ca:
        return raw
    ctx = ssl.create_default_context(cafile=a.ca)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def head(a, length):
    xff = "X-Forwarded-For: %s\r\n" % a.xff if a.xff else ""
    return (HEAD % (xff, length)).encode()


def slow(a):
    lock = threading.Lock()
    state = {"open": 0, "opened": 0, "refused": 0, "closed": 0,
             "tried": 0}
    end = time.time() + a.seconds

    def one(i):
        src = "127.0.0.%d" % (a.first + i % a.sources)
        first = True
        while time.time() < end:
            s = None
            try:
                s = connect(a, src)
                s.sendall(head(a, 1000000))
                with lock:
                    state["open"] += 1
                    state["opened"] += 1
                    if first:
                        state["tried"] += 1
                        first = False
                try:
                    while time.time() < end:
                        s.send(b" ")
                        time.sleep(max(0, min(a.every, end - time.time())))
                except (OSError, ssl.SSLError):
                    with lock:
                        state["closed"] += 1
                with lock:
                    state["open"] -= 1
            except (OSError, ssl.SSLError):
                with lock:
                    state["refused"] += 1
                    if first:
                        state["tried"] += 1
                        first = False
            if s is not None:
                s.close()
            time.sleep(max(0, min(1, end - time.time())))

    threads = [threading.Thread(target=one, args=(i,), daemon=True)
               for i in range(a.n)]
    for t in threads:
        t.start()
        time.sleep(0.005)
    while True:
        with lock:
            if state["tried"] >= a.n:
                break
        time.sleep(0.1)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % state["open"])
    least, most = a.n, 0
    while time.time() < end - 1:
        with lock:
            least = min(least, state["open"])
            most = max(most, state["open"])
        time.sleep(0.5)
    for t in threads:
        t.join(a.every + 15)
    print("least_open=%d" % least)
    print("most_open=%d" % most)
    print("opened=%d" % state["opened"])
    print("refused=%d" % state["refused"])
    print("closed=%d" % state["closed"])


def trickle(a):
    s = connect(a, "127.0.0.%d" % a.first)
    data = head(a, 100000) + b" " * 100000
    if a.mode == "body":
        n = len(head(a, 100000))
        s.sendall(data[:n])
        data = data[n:]
    t0 = time.time()
    closed = None
    while time.time() - t0 < a.seconds:
        try:
            s.send(data[:1])
            data = data[1:]
        except (OSError, ssl.SSLError):
            closed = time.time() - t0
            break
        s.settimeout(a.every)
        try:
            got = s.recv(4096)
            if not got:
                closed = time.time() - t0
                break
            print("answer=%s" % got.split(b"\r\n")[0].decode())
        except socket.timeout:
            pass
        except (OSError, ssl.SSLError):
            closed = time.time() - t0
            break
    print("closed_after=%s" % ("%.1f" % closed if closed else "never"))


def hold(a):
    socks = []
    for i in range(a.n):
        try:
            s = connect(a, "127.0.0.%d" % a.first)
            s.sendall(head(a, 1000) + b"{")
            socks.append(s)
        except (OSError, ssl.SSLError):
            pass
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % len(socks))
    time.sleep(a.seconds)
    still = 0
    for s in socks:
        s.setblocking(False)
        try:
            still += s.recv(1) != b""
        except BlockingIOError:
            still += 1
        except (OSError, ssl.SSLError):
            pass
        s.close()
    print("open_at_end=%d" % still)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("slow", "trickle", "hold"):
        s = sub.add_parser(name)
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--ca")
        s.add_argument("--n", type=int, default=1)
        s.add_argument("--sources", type=int, default=1)
        s.add_argument("--first", type=int, default=2)
        s.add_argument("--every", type=float, default=1)
        s.add_argument("--seconds", type=float, default=10)
        s.add_argument("--mode", choices=["headers", "body"],
                       default="headers")
        s.add_argument("--xff")
        s.add_argument("--ready")
    a = p.parse_args()
    {"slow": slow, "trickle": trickle, "hold": hold}[a.cmd](a)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
