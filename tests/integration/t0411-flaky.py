"""An upstream that fails on demand, for t0411-pull-stale.sh.

Usage: t0411-flaky.py PORT UPSTREAM MODE-FILE LOG

Listens on 127.0.0.1:PORT and passes GET and HEAD requests on to the
registry at UPSTREAM (http://127.0.0.1:N), with every header but Host,
unless MODE-FILE, read for each request, says otherwise:
  pass          forward (also when the file is missing or empty)
  500           answer 500
  429 SECONDS   answer 429 with Retry-After: SECONDS
  slow SECONDS  wait SECONDS, then forward
Each request is logged to LOG as "METHOD PATH STATUS", before it is
answered, and to LOG.arrived as "METHOD PATH" as soon as it arrives.
"""
import http.client
import http.server
import sys
import time
import urllib.parse

PORT, UPSTREAM, MODE, LOG = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                             sys.argv[4])
UP = urllib.parse.urlsplit(UPSTREAM)
HOP = ('connection', 'keep-alive', 'transfer-encoding', 'host')


def mode():
    try:
        with open(MODE) as f:
            return f.read().split()
    except OSError:
        return []


class Flaky(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def log(self, status):
        with open(LOG, 'a') as f:
            f.write('%s %s %d\n' % (self.command, self.path, status))

    def answer(self, status, headers, body):
        self.log(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def forward(self):
        c = http.client.HTTPConnection(UP.hostname, UP.port, timeout=60)
        hdrs = [(k, v) for k, v in self.headers.items()
                if k.lower() not in HOP]
        c.putrequest(self.command, self.path, skip_accept_encoding=True)
        for k, v in hdrs:
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        out = [(k, v) for k, v in r.getheaders()
               if k.lower() not in HOP and k.lower() != 'content-length']
        if self.command == 'HEAD':
            self.log(r.status)
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.end_headers()
        else:
            self.answer(r.status, out, body)
        c.close()

    def do_GET(self):
        with open(LOG + '.arrived', 'a') as f:
            f.write('%s %s\n' % (self.command, self.path))
        m = mode()
        if m[:1] == ['500']:
            self.answer(500, [], b'{"errors":[]}')
        elif m[:1] == ['429']:
            self.answer(429, [('Retry-After', m[1])], b'{"errors":[]}')
        else:
            if m[:1] == ['slow']:
                time.sleep(float(m[1]))
            self.forward()

    do_HEAD = do_GET


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Flaky).serve_forever()
