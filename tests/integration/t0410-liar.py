"""An upstream registry that lies, for t0410-pull-through.sh.

Usage: t0410-liar.py PORT GOOD-FILE LOG

Listens on 127.0.0.1:PORT.  Every manifest is the same OCI manifest,
sent with a Docker-Content-Digest that is not its digest.  The blob
whose digest is GOOD-FILE's is served through a redirect, with GOOD-FILE's
bytes; any other blob digest gets bytes that do not match it: 100 bytes
for a repository named small/..., 300000 otherwise; endless/... sends
them chunked, without a Content-Length, until the reader goes away or
ENDLESS_MAX bytes are out, and logs "endless: N bytes" then.
Repository fail/... answers 500; basic/... answers 401 with a Basic
challenge unless it gets the credentials liar:lies.  Tags lists come in
pages with a Link to the next: pages/... holds t1 to t5, two a page
(pages/evil links to another host instead), loop/... never ends: page K
holds pK and links to page K+1.
"""
import base64
import hashlib
import http.server
import sys
import urllib.parse

PORT, GOOD, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ENDLESS_MAX = 256 << 20
with open(GOOD, 'rb') as f:
    GOOD_BYTES = f.read()
GOOD_DIGEST = 'sha256:' + hashlib.sha256(GOOD_BYTES).hexdigest()
MANIFEST = (b'{"schemaVersion":2,'
            b'"mediaType":"application/vnd.oci.image.manifest.v1+json",'
            b'"config":{"mediaType":"application/vnd.oci.image.config.v1+json",'
            b'"digest":"sha256:' + b'1' * 64 + b'","size":2},"layers":[]}')


class Liar(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        with open(LOG, 'a') as f:
            f.write('%s %s\n' % (self.command, self.path))

    def send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def endless(self):
        self.send_response(200)
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        sent = 0
        chunk = b'x' * 65536
        try:
            while self.command != 'HEAD' and sent < ENDLESS_MAX:
                self.wfile.write(b'%x\r\n%s\r\n' % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:
            pass
        self.close_connection = True
        with open(LOG, 'a') as f:
            f.write('endless: %d bytes\n' % sent)

    def tags(self):
        url = urllib.parse.urlsplit(self.path)
        repo = url.path[len('/v2/'):-len('/tags/list')]
        last = urllib.parse.parse_qs(url.query).get('last', [''])[0]
        if repo.startswith('loop/'):
            k = int(last[1:]) + 1 if last else 0
            page, more = ['p%d' % k], True
        else:
            every = ['t1', 't2', 't3', 't4', 't5']
            page = [t for t in every if t > last][:2]
            more = page[-1:] != every[-1:]
        hdrs = []
        if more:
            link = '/v2/%s/tags/list?last=%s&n=2' % (repo, page[-1])
            if repo == 'pages/evil':
                link = 'http://127.0.0.2:9' + link
            hdrs.append(('Link', '<%s>; rel="next"' % link))
        body = '{"name":"%s","tags":[%s]}' % (
            repo, ','.join('"%s"' % t for t in page))
        self.send(200, body.encode(), [('Content-Type', 'application/json')] +
                  hdrs)

    def do_GET(self):
        parts = self.path.split('/')
        creds = 'Basic ' + base64.b64encode(b'liar:lies').decode()
        if len(parts) > 2 and parts[2] == 'fail':
            self.send(500, b'oops')
        elif (len(parts) > 2 and parts[2] == 'basic' and
              self.headers.get('Authorization') != creds):
            self.send(401, b'{}', [('WWW-Authenticate', 'Basic realm="liar"')])
        elif self.path == '/v2/':
            self.send(200, b'{}')
        elif self.path == '/files/good':
            self.send(200, GOOD_BYTES)
        elif '/manifests/' in self.path:
            self.send(200, MANIFEST, [
                ('Content-Type', 'application/vnd.oci.image.manifest.v1+json'),
                ('Docker-Content-Digest', 'sha256:' + '0' * 64)])
        elif '/blobs/' in self.path and parts[-1] == GOOD_DIGEST:
            self.send(307, b'', [('Location', '/files/good')])
        elif '/blobs/' in self.path and parts[2] == 'endless':
            self.endless()
        elif '/blobs/' in self.path:
            n = 100 if parts[2] == 'small' else 300000
            self.send(200, b'x' * n)
        elif urllib.parse.urlsplit(self.path).path.endswith('/tags/list'):
            self.tags()
        else:
            self.send(404, b'{"errors":[{"code":"NOT_FOUND","message":""}]}')

    do_HEAD = do_GET


http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Liar).serve_forever()
