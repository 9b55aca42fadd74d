#!/usr/bin/env python3
"""A webhook receiver for the tests: python3 webhook-receiver.py PORT FILE.

Appends each POSTed body as one line of FILE (the JSON as sent, so a
test can count deliveries) and answers 200; a body that is not JSON, or
a Content-Type other than application/json, is answered 400 and noted as
a line starting with "bad ".
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        ok = self.headers.get("Content-Type") == "application/json"
        try:
            json.loads(body)
        except ValueError:
            ok = False
        with open(sys.argv[2], "ab") as f:
            f.write((b"" if ok else b"bad ") + body.replace(b"\n", b" ")
                    + b"\n")
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
