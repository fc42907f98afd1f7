"""tests/integration/keystone-stub.py: the one Keystone v3 call a Swift
client makes, POST /v3/auth/tokens, for t0960-swift-client.sh.

    python3 keystone-stub.py PORTFILE SWIFT_AUTH_URL

There is no Keystone on the test machine: this stub checks the request
the way Keystone would (password with user and project domains, or an
application credential), then gets a real token from Swift's tempauth
(test:tester) and answers 201 with it as X-Subject-Token and a catalog
whose public object-store endpoint in RegionOne is Swift's storage URL;
an internal endpoint and one in RegionTwo point nowhere.  Anything else
is a 401.  It listens on a free 127.0.0.1 port, written to PORTFILE, and
appends one line per request ("password", "application_credential" or
"refused") to PORTFILE.log.
"""
import json
import os
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

PORTFILE, AUTH_URL = sys.argv[1], sys.argv[2]
USER, PASSWORD, PROJECT = "alice", "wonderland", "registry"
APP_ID, APP_SECRET = "app-1", "app-secret"


def swift_token():
    req = urllib.request.Request(AUTH_URL, headers={
        "X-Auth-User": "test:tester", "X-Auth-Key": "testing"})
    with urllib.request.urlopen(req) as r:
        return r.headers["X-Auth-Token"], r.headers["X-Storage-Url"]


def method_of(body):
    ident = body["auth"]["identity"]
    if ident["methods"] == ["password"]:
        user = ident["password"]["user"]
        project = body["auth"]["scope"]["project"]
        if (user["name"] == USER and user["password"] == PASSWORD and
                user["domain"]["name"] == "Default" and
                project["name"] == PROJECT and
                project["domain"]["name"] == "Default"):
            return "password"
    if ident["methods"] == ["application_credential"]:
        cred = ident["application_credential"]
        if cred["id"] == APP_ID and cred["secret"] == APP_SECRET:
            return "application_credential"
    return None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            method = method_of(json.loads(self.rfile.read(n)))
        except (ValueError, KeyError, TypeError):
            method = None
        with open(PORTFILE + ".log", "a") as f:
            f.write((method or "refused") + "\n")
        if self.path != "/v3/auth/tokens" or method is None:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        token, url = swift_token()
        nowhere = "http://127.0.0.1:9/v1/AUTH_nowhere"
        catalog = [
            {"type": "identity", "endpoints": [
                {"interface": "public", "region_id": "RegionOne",
                 "url": nowhere}]},
            {"type": "object-store", "endpoints": [
                {"interface": "internal", "region_id": "RegionOne",
                 "url": nowhere},
                {"interface": "public", "region_id": "RegionTwo",
                 "url": nowhere},
                {"interface": "public", "region_id": "RegionOne",
                 "url": url}]}]
        out = json.dumps({"token": {"methods": [method],
                                    "catalog": catalog}}).encode()
        self.send_response(201)
        self.send_header("X-Subject-Token", token)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
