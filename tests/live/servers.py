#!/usr/bin/python3
"""Test servers for the live checks: HTTPS policy hosts and SMTP MX hosts
with STARTTLS, on the addresses a JSON config names, started together.

usage: servers.py CONFIG.json     writes the config's "ready" file once
every listener is bound, then serves until killed.

HTTPS listener modes: policy (200 with the policy for the Host header, or
404), 404, redirect (301), big (100 KiB, no Content-Length), slow (sleeps
before answering). SMTP: a greeting, EHLO (with or without STARTTLS),
STARTTLS, QUIT; the certificate file is read again at each STARTTLS so a
test can swap it. DNS resolvers in front of the test zones (UDP): nodnssec
forwards each query to the upstream with the DNSSEC OK bit cleared, so no
signature comes back (as many home routers and forwarders do); servfail
answers SERVFAIL to everything.
"""
import http.server
import json
import socket
import socketserver
import ssl
import sys
import threading
import time

conf = json.load(open(sys.argv[1]))


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def https_handler(spec):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *a):
            pass

        def do_GET(self):
            mode = spec["mode"]
            host = (self.headers.get("Host") or "").split(":")[0]
            if mode == "slow":
                time.sleep(spec.get("delay", 5))
            if mode == "redirect":
                self.send_response(301)
                self.send_header("Location", "https://www.example.test/mta-sts.txt")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if mode == "big":
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                line = b"mx: " + b"a" * 60 + b".example.test\n"
                for _ in range(100 * 1024 // len(line) + 1):
                    self.wfile.write(line)
                return
            body = spec.get("policies", {}).get(host)
            if mode == "404" or body is None or self.path != "/.well-known/mta-sts.txt":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    return H


class HTTPS(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_https(spec):
    srv = HTTPS((spec["addr"], spec.get("port", 443)), https_handler(spec))
    srv.socket = tls_context(spec["cert"], spec["key"]).wrap_socket(
        srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def smtp_session(conn, spec):
    f = conn.makefile("rb")
    conn.sendall(b"220 %s ESMTP test\r\n" % spec["name"].encode())
    tls = None
    while True:
        line = f.readline(1024)
        if not line:
            return
        cmd = line.strip().upper()
        out = tls or conn
        if cmd.startswith(b"EHLO"):
            ext = b"250-STARTTLS\r\n" if spec.get("starttls", True) and not tls else b""
            out.sendall(b"250-%s\r\n250-PIPELINING\r\n%s250 8BITMIME\r\n"
                        % (spec["name"].encode(), ext))
        elif cmd == b"STARTTLS" and not tls and spec.get("starttls", True):
            conn.sendall(b"220 go ahead\r\n")
            ctx = tls_context(spec["cert"], spec["key"])
            try:
                tls = ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                return
            f = tls.makefile("rb")
        elif cmd == b"QUIT":
            out.sendall(b"221 bye\r\n")
            return
        else:
            out.sendall(b"502 not here\r\n")


def start_smtp(spec):
    s = socket.socket(socket.AF_INET6 if ":" in spec["addr"] else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((spec["addr"], spec.get("port", 25)))
    s.listen(16)

    def loop():
        while True:
            c, _ = s.accept()

            def run(c=c):
                try:
                    smtp_session(c, spec)
                except OSError:
                    pass
                finally:
                    c.close()
            threading.Thread(target=run, daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def dns_query_end(q):
    """The offset just past the question of a query, or None."""
    i = 12
    while i < len(q) and q[i] != 0:
        if q[i] & 0xC0:
            return None
        i += 1 + q[i]
    i += 5
    return i if i <= len(q) and len(q) >= 12 else None


def dns_clear_do(q):
    """The query with the DO bit of its OPT record cleared."""
    end = dns_query_end(q)
    b = bytearray(q)
    # A query's additional section: the OPT record, root name first.
    if end is not None and len(b) >= end + 11 and b[end] == 0 and \
            b[end + 1:end + 3] == b"\x00\x29":
        b[end + 7] &= 0x7F
    return bytes(b)


def dns_servfail(q):
    end = dns_query_end(q)
    if end is None:
        return None
    h = bytearray(q[:end])
    h[2] = 0x80 | (h[2] & 0x79)     # QR, the opcode and RD kept
    h[3] = 0x80 | 2                 # RA, SERVFAIL
    h[6:12] = b"\x00" * 6
    return bytes(h)


def start_dns(spec):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((spec["addr"], spec.get("port", 53)))
    up = (spec.get("upstream", "127.0.0.53"), 53)

    def answer(q, client):
        if spec["mode"] == "servfail":
            r = dns_servfail(q)
        else:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(2)
            try:
                u.sendto(dns_clear_do(q), up)
                r = u.recv(65535)
            except OSError:
                r = None
            finally:
                u.close()
        if r:
            s.sendto(r, client)

    def loop():
        while True:
            q, client = s.recvfrom(65535)
            threading.Thread(target=answer, args=(q, client),
                             daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


for spec in conf.get("dns", []):
    start_dns(spec)
for spec in conf.get("https", []):
    start_https(spec)
for spec in conf.get("smtp", []):
    start_smtp(spec)
open(conf["ready"], "w").write("ready\n")
while True:
    time.sleep(3600)
