"""tests/integration/flaky-swift.py: a Swift that fails on purpose, for
t0960-swift-client.sh's retry checks.

    python3 flaky-swift.py PORTFILE

GET /auth/v1.0 gives a token and a storage URL on this server.  An
object named "failN-..." answers 503 to its first N requests of each
method, then: GET "ok\\n", HEAD its headers, PUT 201 with the MD5 of the
body it read as ETag (chunked bodies too).  A PUT of an object named
"lost-..." answers as Swift does when a newer write of the object won:
202 with a short HTML page and no ETag.  It listens on a free
127.0.0.1 port, written to PORTFILE, and appends "METHOD NAME STATUS
BYTES" per request to PORTFILE.log.
"""
import hashlib
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORTFILE = sys.argv[1]
seen = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "") == "chunked":
            data = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                data += self.rfile.read(n)
                self.rfile.readline()
                if n == 0:
                    return data
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def answer(self, status, headers=(), body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if self.command != "HEAD" or "Content-Length" not in dict(headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        if self.path == "/auth/v1.0":
            port = self.server.server_address[1]
            self.answer(200, [("X-Auth-Token", "tk"), (
                "X-Storage-Url", "http://127.0.0.1:%d/v1/AUTH_x" % port)])
            return
        name = self.path.split("?")[0].split("/", 4)[-1]
        data = self.body() if self.command == "PUT" else b""
        m = re.match(r"fail(\d+)-", name)
        key = (self.command, name)
        seen[key] = seen.get(key, 0) + 1
        if m and seen[key] <= int(m.group(1)):
            status, headers, out = 503, [], b""
        elif self.command == "PUT" and name.startswith("lost-"):
            status, headers = 202, [("Content-Type", "text/html")]
            out = (b"<html><h1>Accepted</h1><p>The request is accepted "
                   b"for processing.</p></html>")
        elif self.command == "PUT":
            etag = hashlib.md5(data).hexdigest()
            status, headers, out = 201, [("ETag", etag)], b""
        else:
            status, out = 200, b"ok\n"
            headers = [("ETag", hashlib.md5(out).hexdigest()),
                       ("Last-Modified", "Sat, 05 Dec 2026 04:00:00 GMT")]
            if self.command == "HEAD":
                headers.append(("Content-Length", str(len(out))))
        with open(PORTFILE + ".log", "a") as f:
            f.write("%s %s %d %d\n" % (self.command, name, status,
                                       len(data)))
        self.answer(status, headers, out)

    do_GET = do_HEAD = do_PUT = do_DELETE = handle_any


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
