#!/usr/bin/env python3
"""Send one raw HTTP request, as bytes, for the end-to-end scripts: never
run by the suite on its own. curl cannot send a request that is framed
wrong (two Content-Length fields, say); this can.

  raw-request.py [--tls] PORT < REQUEST

Connects to 127.0.0.1:PORT (TLS without checking the certificate with
--tls), sends standard input as it is, and reads the answer until the
server closes the connection, for at most 10 seconds. Prints the status
code and the body's first line, and "timeout" when the server neither
answered nor closed in time.
"""
import socket
import ssl
import sys


def main():
    args = sys.argv[1:]
    tls = args[:1] == ["--tls"]
    if tls:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    req = sys.stdin.buffer.read()
    s = socket.create_connection(("127.0.0.1", int(args[0])), timeout=10)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    s.sendall(req)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except (socket.timeout, TimeoutError):
        if not data:
            print("timeout")
            return
    except (ConnectionResetError, ssl.SSLError):
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") \
        else "none"
    print(status, body.split(b"\n")[0].decode("utf-8", "replace"))


main()
