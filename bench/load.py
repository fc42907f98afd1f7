"""bench/load.py: the load clients, the same for every registry.

Python 3 standard library only.  Large bodies leave the client through
sendfile(2) straight from the data file (chunked PATCHes in frames of
16 MiB) and are read back with recv_into() into one 1 MiB buffer, so
the client costs little CPU next to the servers on a 2-core machine.
Small requests run in separate processes (no GIL between them), each
with one keep-alive connection.

Every workload calls meter.start() once its set-up is done and
meter.stop() before it checks what it got, so CPU and memory cover the
measured part only.  It returns a dict: amount (bytes or requests),
seconds, errors (a list of strings; empty when everything was right)
and extra figures.
"""

import hashlib
import http.client
import json
import multiprocessing
import queue
import re
import socket
import subprocess
import threading
import time
import urllib.parse

BUFSZ = 1 << 20
FRAME = 16 << 20
MAX_ERRORS = 20

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class Conn:
    """One keep-alive HTTP/1.1 connection to the registry."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host = u.hostname
        self.port = u.port
        self.c = None
        self.redirects = {}     # (host, port): Conn, for get_blob

    def _open(self):
        if self.c is None:
            self.c = http.client.HTTPConnection(self.host, self.port,
                                                blocksize=BUFSZ)
            self.c.connect()
            self.c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                   1)
        return self.c

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None
        for r in self.redirects.values():
            r.close()

    def _finish(self, r, sink=None):
        """Read the response; returns (status, headers, body)."""
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if sink is not None and r.status in (200, 206):
            body = sink(r)
        else:
            body = r.read()
        if r.will_close:
            self.close()
        return r.status, hdrs, body

    def request(self, method, path, body=None, headers=None, sink=None):
        """A request; a stale keep-alive connection is retried once."""
        for attempt in (0, 1):
            fresh = self.c is None
            try:
                c = self._open()
                c.request(method, path, body=body, headers=headers or {})
                return self._finish(c.getresponse(), sink)
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError):
                self.close()
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")

    def send_file(self, method, path, fobj, off, size, headers=None,
                  chunked=False):
        """A request whose body is fobj[off:off+size], by sendfile."""
        if self.c is not None and self.c.sock is None:
            self.close()
        c = self._open()
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if chunked:
            c.putheader("Transfer-Encoding", "chunked")
        else:
            c.putheader("Content-Length", str(size))
        c.endheaders()
        s = c.sock
        try:
            if chunked:
                pos, end = off, off + size
                while pos < end:
                    n = min(FRAME, end - pos)
                    s.sendall(b"%x\r\n" % n)
                    s.sendfile(fobj, pos, n)
                    s.sendall(b"\r\n")
                    pos += n
                s.sendall(b"0\r\n\r\n")
            elif size > 0:
                s.sendfile(fobj, off, size)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the server answered early: read what it said
        return self._finish(c.getresponse())


def loc_path(location):
    """The path and query of a Location (absolute URL or path)."""
    u = urllib.parse.urlsplit(location)
    return u.path + ("?" + u.query if u.query else "")


def add_query(path, key, value):
    return "%s%s%s=%s" % (path, "&" if "?" in path else "?", key,
                          urllib.parse.quote(value, safe=":"))


def start_upload(conn, repo):
    st, h, b = conn.request("POST", "/v2/%s/blobs/uploads/" % repo, b"")
    if st != 202 or "location" not in h:
        return None, "POST uploads: %d %s" % (st, b[:200])
    return loc_path(h["location"]), None


def check_created(what, st, h, b, digest):
    if st != 201:
        return "%s: %d %s" % (what, st, b[:200])
    if h.get("docker-content-digest") != digest:
        return "%s: Docker-Content-Digest %r, not %s" % (
            what, h.get("docker-content-digest"), digest)
    return None


def push_mono(conn, repo, digest, fobj=None, off=0, size=0, data=None):
    """POST, then PUT ?digest= with the whole blob; None or an error."""
    loc, err = start_upload(conn, repo)
    if err:
        return err
    path = add_query(loc, "digest", digest)
    hdrs = {"Content-Type": "application/octet-stream"}
    if data is not None:
        st, h, b = conn.request("PUT", path, data, hdrs)
    else:
        st, h, b = conn.send_file("PUT", path, fobj, off, size, hdrs)
    return check_created("PUT", st, h, b, digest)


def push_chunked(conn, repo, digest, fobj, off, size):
    """POST, one chunked PATCH with the whole blob, PUT ?digest=."""
    loc, err = start_upload(conn, repo)
    if err:
        return err
    st, h, b = conn.send_file("PATCH", loc, fobj, off, size,
                              {"Content-Type": "application/octet-stream"},
                              chunked=True)
    if st != 202 or "location" not in h:
        return "PATCH: %d %s" % (st, b[:200])
    st, h, b = conn.request("PUT", add_query(loc_path(h["location"]),
                                             "digest", digest), b"")
    return check_created("PUT after PATCH", st, h, b, digest)


def push_chunks(conn, repo, digest, fobj, off, size, chunk):
    """POST, a PATCH per chunk bytes (Content-Range, each to the
    Location the last answer gave), then PUT ?digest= without a body:
    an OCI chunked upload."""
    loc, err = start_upload(conn, repo)
    if err:
        return err
    pos = 0
    while pos < size:
        n = min(chunk, size - pos)
        st, h, b = conn.send_file(
            "PATCH", loc, fobj, off + pos, n,
            {"Content-Type": "application/octet-stream",
             "Content-Range": "%d-%d" % (pos, pos + n - 1)})
        if st != 202 or "location" not in h:
            return "PATCH %d-%d: %d %s" % (pos, pos + n - 1, st, b[:200])
        loc = loc_path(h["location"])
        pos += n
    st, h, b = conn.request("PUT", add_query(loc, "digest", digest), b"")
    return check_created("PUT after %d-byte PATCHes" % chunk, st, h, b,
                         digest)


def get_blob(conn, path, buf, expect_size, head, tail):
    """GET a large body into buf; check its size, first and last bytes.
    A redirect (distribution on S3 sends presigned URLs; specreg with
    [registry] redirect = yes) is followed on a keep-alive connection of
    conn's own to that host."""
    mv = memoryview(buf)
    got = {"n": 0, "first": b"", "last": b""}

    def sink(r):
        while True:
            n = r.readinto(mv)
            if n == 0:
                break
            if head is not None and got["n"] == 0:
                got["first"] = bytes(mv[:min(n, len(head))])
            got["n"] += n
            if tail is not None:
                got["last"] = bytes(mv[max(0, n - len(tail)):n])
        return b""

    st, h, b = conn.request("GET", path, sink=sink)
    if st in (302, 303, 307) and "location" in h:
        u = urllib.parse.urlsplit(h["location"])
        key = (u.hostname, u.port)
        if key not in conn.redirects:
            conn.redirects[key] = Conn(h["location"])
        path = loc_path(h["location"])
        st, h, b = conn.redirects[key].request("GET", path, sink=sink)
    if st != 200:
        return 0, "GET %s: %d %s" % (path, st, b[:200])
    if got["n"] != expect_size:
        return got["n"], "GET %s: %d bytes, not %d" % (path, got["n"],
                                                        expect_size)
    if head is None:
        return got["n"], None
    if got["first"] != head[:len(got["first"])] or \
            (len(got["last"]) == len(tail) and got["last"] != tail):
        return got["n"], "GET %s: wrong bytes" % path
    return got["n"], None


def head_location(location):
    """HEAD an absolute URL (a redirect's) on a connection of its own."""
    c = Conn(location)
    try:
        return c.request("HEAD", loc_path(location))
    finally:
        c.close()


def verify_blobs(base, repo, blobs):
    """After a push: HEAD each of blobs [(off, size, digest)] in repo;
    a list of what is wrong (the bytes are checked by the pulls)."""
    conn = Conn(base)
    errors = []
    try:
        for _, size, digest in blobs:
            path = "/v2/%s/blobs/%s" % (repo, digest)
            st, h, _ = conn.request("HEAD", path)
            want = digest
            if st in (302, 303, 307) and "location" in h:
                # distribution on S3 redirects HEADs too: the store's
                # answer has the length, no digest.
                st, h, _ = head_location(h["location"])
                want = None
            if st != 200 or h.get("content-length") != str(size) or \
                    h.get("docker-content-digest") != want:
                errors.append("HEAD %s after the push: %d, length %s, "
                              "digest %s" % (path, st,
                                             h.get("content-length"),
                                             h.get("docker-content-digest")))
    except Exception as e:          # noqa: BLE001 - report it
        errors.append("HEAD after the push: %r" % e)
    conn.close()
    return errors[:MAX_ERRORS]


def run_threads(base, conc, items, fn, meter):
    """fn(conn, item) -> error or None, on conc threads; returns result."""
    q = queue.Queue()
    for it in items:
        q.put(it)
    errors = []
    ready = threading.Barrier(conc + 1)
    go = threading.Barrier(conc + 1)

    def worker():
        conn = Conn(base)
        conn._open()
        ready.wait()
        go.wait()
        while True:
            try:
                it = q.get_nowait()
            except queue.Empty:
                break
            try:
                err = fn(conn, it)
            except Exception as e:      # noqa: BLE001 - report, go on
                conn.close()
                err = "%s: %r" % (type(e).__name__, e)
            if err:
                errors.append(err)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    ready.wait()
    meter.start()
    t0 = time.monotonic()
    go.wait()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    meter.stop()
    return secs, errors[:MAX_ERRORS]


def _proc_main(base, fn, items, ready, go, out):
    conn = Conn(base)
    conn._open()
    errors, lat = [], []
    ready.wait()
    go.wait()
    for it in items:
        t = time.monotonic()
        try:
            err = fn(conn, it)
        except Exception as e:          # noqa: BLE001 - report, go on
            conn.close()
            err = "%s: %r" % (type(e).__name__, e)
        lat.append(time.monotonic() - t)
        if err and len(errors) < MAX_ERRORS:
            errors.append(err)
    conn.close()
    out.send((errors, lat))
    out.close()


def run_procs(base, conc, items, fn, meter):
    """fn(conn, item) in conc forked processes; (secs, errors, latencies)."""
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Barrier(conc + 1)
    go = ctx.Barrier(conc + 1)
    procs, pipes = [], []
    for i in range(conc):
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_proc_main,
                        args=(base, fn, items[i::conc], ready, go, w))
        p.start()
        w.close()
        procs.append(p)
        pipes.append(r)
    ready.wait()
    meter.start()
    t0 = time.monotonic()
    go.wait()
    results = [r.recv() for r in pipes]
    secs = time.monotonic() - t0
    for p in procs:
        p.join()
    meter.stop()
    errors, lat = [], []
    for e, l in results:
        errors.extend(e)
        lat.extend(l)
    return secs, errors[:MAX_ERRORS], lat


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


# --- Workloads ---------------------------------------------------------------

def w_push_large(base, data, meter, repo, conc, chunked):
    """data.blobs: [(off, size, digest)]; one request sequence each."""
    def one(conn, b):
        off, size, digest = b
        with open(data.path, "rb") as f:
            if chunked:
                return push_chunked(conn, repo, digest, f, off, size)
            return push_mono(conn, repo, digest, f, off, size)

    secs, errors = run_threads(base, conc, data.blobs, one, meter)
    return {"amount": sum(b[1] for b in data.blobs), "seconds": secs,
            "errors": errors}


def w_swift_direct(base, token, data, meter, path, conc, method):
    """The store's own rate: PUT (with the token) or GET (a public-read
    container) data.blobs straight to Swift at base + path/<digest>,
    conc clients, the same client code as the registries'."""
    if method == "GET":
        return w_pull(base, data, meter, None, conc,
                      path_of=lambda b: "%s/%s" % (path, b[2]))

    def one(conn, b):
        off, size, digest = b
        with open(data.path, "rb") as f:
            st, _, body = conn.send_file(
                "PUT", "%s/%s" % (path, digest), f, off, size,
                {"X-Auth-Token": token})
        return None if st == 201 else "PUT %s: %d %s" % (
            digest, st, body[:200])

    secs, errors = run_threads(base, conc, data.blobs, one, meter)
    return {"amount": sum(b[1] for b in data.blobs), "seconds": secs,
            "errors": errors}


def w_push_chunks(base, blobs, path, meter, repo, conc, chunk):
    """blobs: [(off, size, digest)] of the file at path, each pushed
    in PATCHes of chunk bytes."""
    def one(conn, b):
        off, size, digest = b
        with open(path, "rb") as f:
            return push_chunks(conn, repo, digest, f, off, size, chunk)

    secs, errors = run_threads(base, conc, blobs, one, meter)
    return {"amount": sum(b[1] for b in blobs), "seconds": secs,
            "errors": errors}


def w_pull(base, data, meter, repo, conc, path_of=None, check=True):
    """GET every blob (or path_of(blob)) with conc clients; without
    check, only the sizes are checked (bench/fcgi-ceiling's bytes);
    get_blob follows a redirect to an object store."""
    with open(data.path, "rb") as f:
        edges = {}
        for off, size, digest in data.blobs:
            f.seek(off)
            head = f.read(65536)
            f.seek(off + size - 65536)
            edges[digest] = (head, f.read(65536)) if check else \
                (None, None)
    bufs = queue.Queue()
    for _ in range(conc):
        bufs.put(bytearray(BUFSZ))

    def one(conn, b):
        off, size, digest = b
        buf = bufs.get()
        try:
            path = path_of(b) if path_of else \
                "/v2/%s/blobs/%s" % (repo, digest)
            _, err = get_blob(conn, path, buf, size, *edges[digest])
        finally:
            bufs.put(buf)
        return err

    secs, errors = run_threads(base, conc, data.blobs, one, meter)
    return {"amount": sum(b[1] for b in data.blobs), "seconds": secs,
            "errors": errors}


def _small_one(conn, item):
    repo, digest, body = item
    return push_mono(conn, repo, digest, data=body)


def w_push_small(base, data, meter, repo, conc):
    items = [(repo, d, body) for d, body in data.small]
    secs, errors, lat = run_procs(base, conc, items, _small_one, meter)
    return {"amount": len(items), "seconds": secs, "errors": errors,
            "requests": 2 * len(items),
            "p99_ms": 1e3 * percentile(lat, 99)}


def manifest_for(cfg, layer, i):
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": cfg[0],
                   "size": cfg[1]},
        "layers": [{"mediaType": OCI_LAYER, "digest": layer[0],
                    "size": layer[1]}],
        "annotations": {"bench.n": str(i)}},
        separators=(",", ":")).encode()


def _manifest_one(conn, item):
    repo, tag, body = item
    st, h, b = conn.request("PUT", "/v2/%s/manifests/%s" % (repo, tag),
                            body, {"Content-Type": OCI_MANIFEST})
    if st != 201:
        return "PUT manifest %s: %d %s" % (tag, st, b[:200])
    return None


def manifest_setup(base, repo):
    """Push the config and layer every bench manifest refers to."""
    conn = Conn(base)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = b"specreg bench layer\n" * 800
    refs = []
    for body in (cfg, layer):
        d = "sha256:" + hashlib.sha256(body).hexdigest()
        err = push_mono(conn, repo, d, data=body)
        if err:
            raise RuntimeError("manifest set-up: " + err)
        refs.append((d, len(body)))
    conn.close()
    return refs


def w_manifest_put(base, data, meter, repo, count, conc):
    cfg, layer = manifest_setup(base, repo)
    items = [(repo, "t%d" % i, manifest_for(cfg, layer, i))
             for i in range(count)]
    secs, errors, lat = run_procs(base, conc, items, _manifest_one, meter)
    return {"amount": count, "seconds": secs, "errors": errors,
            "p99_ms": 1e3 * percentile(lat, 99),
            "manifest_digest": "sha256:" +
            hashlib.sha256(items[0][2]).hexdigest()}


def _lat_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)$", s)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def wrk(url, meter, threads, conns, secs, headers=()):
    """wrk --latency; returns a result dict."""
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % secs,
           "--latency"]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    meter.start()
    p = subprocess.run(cmd, capture_output=True, text=True)
    meter.stop()
    out = p.stdout
    res = {"errors": [], "amount": 0, "seconds": float(secs)}
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if p.returncode != 0 or not m:
        res["errors"].append("wrk failed: %s %s" % (out[-500:],
                                                    p.stderr[-500:]))
        return res
    res["amount"] = int(m.group(1))
    res["seconds"] = float(m.group(2)) / (1e3 if m.group(3) == "ms"
                                          else 1)
    m = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    res["p99_ms"] = _lat_ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["errors"].append("%s non-2xx responses" % m.group(1))
    m = re.search(r"Socket errors: (.*)", out)
    if m and re.search(r"[1-9]", m.group(1)):
        res["socket_errors"] = m.group(1)
    return res


def ab_head(url, meter, conns, secs, csv):
    """ab -i -k (HEAD, keep-alive) for secs seconds."""
    cmd = ["ab", "-q", "-i", "-k", "-c%d" % conns, "-t%d" % secs,
           "-n", "100000000", "-e", csv, url]
    meter.start()
    p = subprocess.run(cmd, capture_output=True, text=True)
    meter.stop()
    out = p.stdout
    res = {"errors": [], "amount": 0, "seconds": float(secs)}

    def num(label):
        m = re.search(r"^%s:\s+([\d.]+)" % label, out, re.M)
        return float(m.group(1)) if m else None

    done, took = num("Complete requests"), num("Time taken for tests")
    if p.returncode != 0 or done is None or not took:
        res["errors"].append("ab failed: %s %s" % (out[-500:],
                                                   p.stderr[-500:]))
        return res
    res["amount"], res["seconds"] = int(done), took
    for label in ("Failed requests", "Non-2xx responses"):
        if num(label):
            res["errors"].append("%s: %d" % (label, num(label)))
    ka = num("Keep-Alive requests") or 0
    res["keepalive"] = ka / done if done else 0
    try:
        with open(csv) as f:
            for line in f:
                parts = line.strip().split(",")
                if parts[0] == "99":
                    res["p99_ms"] = float(parts[1])
    except OSError:
        pass
    return res


def w_race(base, data, meter, repos):
    """len(repos) clients PUT the same blob at once; a poller HEADs it."""
    off, size, digest = data.race
    n = len(repos)
    go = threading.Barrier(n + 1)
    status = [None] * n
    stop = threading.Event()
    partial = []
    heads = [0]

    def client(i):
        conn = Conn(base)
        try:
            loc, err = start_upload(conn, repos[i])
            go.wait()
            if err:
                status[i] = err
                return
            with open(data.path, "rb") as f:
                st, h, b = conn.send_file(
                    "PUT", add_query(loc, "digest", digest), f, off, size,
                    {"Content-Type": "application/octet-stream"})
            status[i] = check_created("PUT %s" % repos[i], st, h, b,
                                      digest) or "ok"
        except Exception as e:          # noqa: BLE001 - report it
            status[i] = "%s: %r" % (type(e).__name__, e)
        finally:
            conn.close()

    def poller():
        conn = Conn(base)
        while not stop.is_set():
            for r in sorted(set(repos)):
                st, h, _ = conn.request("HEAD", "/v2/%s/blobs/%s" %
                                        (r, digest))
                heads[0] += 1
                if st == 200 and h.get("content-length") != str(size):
                    partial.append("HEAD %s during the race: length %s"
                                   % (r, h.get("content-length")))
        conn.close()

    threads = [threading.Thread(target=client, args=(i,))
               for i in range(n)]
    for t in threads:
        t.start()
    pt = threading.Thread(target=poller)
    meter.start()
    t0 = time.monotonic()
    pt.start()
    go.wait()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    meter.stop()
    stop.set()
    pt.join()
    errors = [s for s in status if s != "ok"] + partial[:3]
    errors += race_verify(base, sorted(set(repos)), digest, size)
    return {"amount": n * size, "seconds": secs, "errors": errors,
            "ok_puts": status.count("ok"), "heads_during": heads[0]}


def race_verify(base, repos, digest, size):
    conn = Conn(base)
    errors = []
    for r in repos:
        path = "/v2/%s/blobs/%s" % (r, digest)
        st, h, _ = conn.request("HEAD", path)
        if st != 200 or h.get("content-length") != str(size) or \
                h.get("docker-content-digest") != digest:
            errors.append("HEAD %s after the race: %d %s" % (r, st, h))
            continue
        hasher = hashlib.sha256()
        buf = bytearray(BUFSZ)
        mv = memoryview(buf)

        def sink(resp):
            while True:
                n = resp.readinto(mv)
                if n == 0:
                    return b""
                hasher.update(mv[:n])

        st, h, _ = conn.request("GET", path, sink=sink)
        if st != 200 or "sha256:" + hasher.hexdigest() != digest:
            errors.append("GET %s after the race: %d, sha256:%s" %
                          (r, st, hasher.hexdigest()))
    conn.close()
    return errors
