#!/usr/bin/python3
"""tests/integration/s3-bucket.py: the buckets of the integration tests
on an S3 store (Swift's s3api or radosgw), with the Python standard
library alone (Signature V4, path style).

    s3-bucket.py create BUCKET   # make it (fails if it exists)
    s3-bucket.py delete BUCKET...  # abort its multipart uploads, delete
                                   # every object, then the bucket
    s3-bucket.py list            # the account's buckets, one a line
    s3-bucket.py count BUCKET    # its objects and multipart uploads
    s3-bucket.py put BUCKET FILE KEY...   # for the harness's own test
    s3-bucket.py start-upload BUCKET KEY  # a multipart upload, left open

The store comes from SPECREG_S3_ENDPOINT, SPECREG_S3_REGION,
SPECREG_S3_ACCESS_KEY and SPECREG_S3_SECRET_KEY, as for check_stor_s3
and lib.sh's s3_start.  Exit status 0, or 1 with the store's answer on
stderr.  This is the harness's tool, not the driver under test: it
never touches a bucket through specreg's code.
"""

import datetime
import hashlib
import hmac
import http.client
import base64
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit("s3-bucket: %s is not set" % name)
    return v


def quote(s):
    return urllib.parse.quote(s, safe="-_.~")


class Store:
    def __init__(self):
        u = urllib.parse.urlsplit(env("SPECREG_S3_ENDPOINT"))
        self.scheme, self.host = u.scheme, u.netloc
        self.region = os.environ.get("SPECREG_S3_REGION") or "us-east-1"
        self.ak = env("SPECREG_S3_ACCESS_KEY")
        self.sk = env("SPECREG_S3_SECRET_KEY")

    def sign(self, method, path, query, headers, payload):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz[:8]
        headers["host"] = self.host
        headers["x-amz-date"] = amz
        headers["x-amz-content-sha256"] = hashlib.sha256(payload).hexdigest()
        names = sorted(k.lower() for k in headers)
        lower = {k.lower(): str(v).strip() for k, v in headers.items()}
        canon = "\n".join([
            method, path,
            "&".join("%s=%s" % (quote(k), quote(v))
                     for k, v in sorted(query.items())),
            "".join("%s:%s\n" % (n, lower[n]) for n in names),
            ";".join(names), headers["x-amz-content-sha256"]])
        scope = "%s/%s/s3/aws4_request" % (day, self.region)
        tosign = "\n".join(["AWS4-HMAC-SHA256", amz, scope,
                            hashlib.sha256(canon.encode()).hexdigest()])
        k = ("AWS4" + self.sk).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, tosign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
            "Signature=%s" % (self.ak, scope, ";".join(names), sig))

    def request(self, method, bucket="", key=None, query=None, body=b"",
                headers=None, ok=(200, 204)):
        query = query or {}
        headers = dict(headers or {})
        path = "/" + quote(bucket) if bucket else "/"
        if key is not None:
            path += "/" + "/".join(quote(p) for p in key.split("/"))
        self.sign(method, path, query, headers, body)
        conn = (http.client.HTTPSConnection if self.scheme == "https"
                else http.client.HTTPConnection)(self.host, timeout=120)
        qs = "&".join("%s=%s" % (quote(k), quote(v)) if v != "" else quote(k)
                      for k, v in sorted(query.items()))
        try:
            conn.request(method, path + ("?" + qs if qs else ""), body,
                         headers)
            r = conn.getresponse()
            data = r.read()
        except OSError as e:
            sys.exit("s3-bucket: %s %s: %s" % (method, path, e))
        finally:
            conn.close()
        if r.status not in ok:
            sys.exit("s3-bucket: %s %s: %d %s" % (method, path, r.status,
                                                   data[:500].decode(
                                                       "utf-8", "replace")))
        return r.status, data


def texts(data, tag):
    return [e.text or "" for e in ET.fromstring(data).iter(NS + tag)]


def listing(s, bucket):
    """Every key of bucket (ListObjectsV2, page after page)."""
    keys, token = [], None
    while True:
        q = {"list-type": "2", "max-keys": "1000"}
        if token:
            q["continuation-token"] = token
        _, data = s.request("GET", bucket, query=q)
        keys += texts(data, "Key")
        nxt = texts(data, "NextContinuationToken")
        if not nxt or texts(data, "IsTruncated") != ["true"]:
            return keys
        token = nxt[0]


def uploads(s, bucket):
    """(key, upload id) of every multipart upload in progress."""
    _, data = s.request("GET", bucket, query={"uploads": ""})
    root = ET.fromstring(data)
    return [(u.findtext(NS + "Key"), u.findtext(NS + "UploadId"))
            for u in root.iter(NS + "Upload")]


def delete_keys(s, bucket, keys):
    """DeleteObjects in batches of 1000, with Content-MD5 (Swift's
    s3api wants it)."""
    for i in range(0, len(keys), 1000):
        body = ("<Delete><Quiet>true</Quiet>" + "".join(
            "<Object><Key>%s</Key></Object>" % k.replace("&", "&amp;")
            .replace("<", "&lt;").replace(">", "&gt;")
            for k in keys[i:i + 1000]) + "</Delete>").encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        _, data = s.request("POST", bucket, query={"delete": ""}, body=body,
                            headers={"Content-MD5": md5})
        errs = texts(data, "Error")
        if errs:
            sys.exit("s3-bucket: delete in %s: %s" % (bucket, data[:500]))


def main(argv):
    # The number of arguments, or at least as many (negative).
    nargs = {"list": 2, "create": 3, "delete": -3, "count": 3, "put": -5,
             "start-upload": 4}
    want = nargs.get(argv[1] if len(argv) > 1 else None)
    if want is None or (want > 0 and len(argv) != want) or \
            (want < 0 and len(argv) < -want):
        sys.exit(__doc__.split("\n\n")[1])
    s = Store()
    cmd = argv[1]
    if cmd == "list":
        _, data = s.request("GET")
        for name in texts(data, "Name"):
            print(name)
        return 0
    b = argv[2]
    if cmd == "delete":
        for b in argv[2:]:
            delete(s, b)
        return 0
    if cmd == "create":
        # radosgw answers 200 to a bucket we own already, Swift 409:
        # both an error here (a fresh name for every test).
        st, _ = s.request("HEAD", b, ok=(200, 404))
        if st == 200:
            sys.exit("s3-bucket: bucket %s exists already" % b)
        s.request("PUT", b, ok=(200,))
        return 0
    if cmd == "put":
        with open(argv[3], "rb") as f:
            body = f.read()
        for key in argv[4:]:
            s.request("PUT", b, key, body=body, ok=(200,))
        return 0
    if cmd == "start-upload":
        _, data = s.request("POST", b, argv[3], query={"uploads": ""},
                            ok=(200,))
        print(texts(data, "UploadId")[0])
        return 0
    if cmd == "count":
        print(len(listing(s, b)), len(uploads(s, b)))
        return 0
    raise AssertionError("unreachable")


def delete(s, b):
    """Bucket b and everything in it; gone already is fine."""
    st, _ = s.request("HEAD", b, ok=(200, 404))
    if st == 404:
        return
    # Twice: a test's last writes may still land in the first pass.
    for _ in range(2):
        for key, uid in uploads(s, b):
            s.request("DELETE", b, key, query={"uploadId": uid},
                      ok=(200, 204, 404))
        delete_keys(s, b, listing(s, b))
    s.request("DELETE", b, ok=(204, 404))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
