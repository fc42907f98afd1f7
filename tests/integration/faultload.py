#!/usr/bin/env python3
"""tests/integration/faultload.py: push and pull under kill -9.

Used by t0800-faults.sh.  Pushers upload images (config, layers in
chunks, the last chunk in the final PUT, then the manifest under two
tags) and pull each one back; a reader checks, the whole time, that
every blob and tag it may see is either absent or complete and right;
a killer sends SIGKILL to a random busy specreg worker every 50-400 ms.
Every failed request is retried the way a registry client does: ask
the upload where it stands and resume there, or start over when the
registry no longer knows the upload.  When the killer is done the
pushers finish their current image and every image is pulled back.

Exit status 0 when nothing was ever wrong; the numbers go to --report
(JSON) and standard output.  Only the standard library is used.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.parse

OCI = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
RETRYABLE = (500, 502, 503, 504)
MAX_TRIES = 60


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Stats:
    """Counters shared by every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}
        self.violations = []

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def violation(self, msg):
        with self.lock:
            self.violations.append(msg)
            n = len(self.violations)
        if n <= 20:
            print("VIOLATION: " + msg, file=sys.stderr, flush=True)


class Transient(Exception):
    """The request died with its worker (or the front end gave up)."""


class Client:
    """One HTTP request per connection, bodies sent in slow pieces."""

    def __init__(self, url, stats, piece=65536, pause=0.002):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.stats = stats
        self.piece = piece
        self.pause = pause

    def request(self, method, path, body=b"", headers=None, what=None):
        """(status, headers, body); Transient when the request broke."""
        hdrs = {"Content-Length": str(len(body))}
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            for i in range(0, len(body), self.piece):
                conn.send(body[i:i + self.piece])
                if self.pause:
                    time.sleep(self.pause * random.random())
            resp = conn.getresponse()
            data = resp.read() if method != "HEAD" else b""
            status, rh = resp.status, {k.lower(): v for k, v in
                                       resp.getheaders()}
        except (OSError, http.client.HTTPException) as e:
            self.stats.add("broken:" + (what or method))
            raise Transient("%s %s: %r" % (method, path, e))
        finally:
            conn.close()
        if status in RETRYABLE:
            self.stats.add("broken:" + (what or method))
            if "docker-distribution-api-version" in rh:
                # Not the front end losing its worker: specreg failed.
                self.stats.violation("%s %s: specreg answered %d: %s" % (
                    method, path, status, data[:300]))
            raise Transient("%s %s: HTTP %d" % (method, path, status))
        return status, rh, data


def location_path(loc):
    u = urllib.parse.urlsplit(loc)
    return u.path + ("?" + u.query if u.query else "")


def add_query(path, q):
    return path + ("&" if "?" in path else "?") + q


class Pusher(threading.Thread):
    def __init__(self, idx, args, stats, shared, stop):
        super().__init__(daemon=True)
        self.idx = idx
        self.args = args
        self.stats = stats
        self.shared = shared
        self.stop = stop
        self.http = Client(args.url, stats)
        # Manifests trickle in, so that kills can land mid-body.
        self.slow = Client(args.url, stats, piece=100, pause=0.01)
        self.repo = "faults/p%d" % idx
        self.rnd = random.Random(args.seed * 1000 + idx)
        self.images = []
        self.error = None

    def fail(self, msg):
        self.stats.violation("pusher %d: %s" % (self.idx, msg))
        raise RuntimeError(msg)

    def tried(self, n):
        if n >= MAX_TRIES:
            self.fail("gave up after %d tries" % n)
        if n > 0:
            self.stats.add("retries")
            time.sleep(0.05 * self.rnd.random())

    def blob_present(self, d, size):
        """True if HEAD says the blob is there with this size."""
        st, h, _ = self.http.request("HEAD", "/v2/%s/blobs/%s" %
                                     (self.repo, d), what="HEAD blob")
        if st == 200:
            if int(h.get("content-length", -1)) != size:
                self.fail("HEAD %s: %s bytes, want %d" %
                          (d, h.get("content-length"), size))
            return True
        if st != 404:
            self.fail("HEAD %s: %d" % (d, st))
        return False

    def upload_offset(self, path):
        """Where the upload stands: its offset, or None if unknown."""
        st, h, _ = self.http.request("GET", path, what="upload status")
        if st == 404:
            return None
        if st != 204:
            self.fail("upload status %s: %d" % (path, st))
        r = h.get("range", "")
        if not r.startswith("0-"):
            self.fail("upload status %s: Range %r" % (path, r))
        end = int(r[2:])
        # "0-0" is also an empty upload; our chunks are never 1 byte.
        return 0 if end == 0 else end + 1

    def start_upload(self):
        st, h, _ = self.http.request("POST", "/v2/%s/blobs/uploads/" %
                                     self.repo, what="POST upload")
        if st != 202 or "location" not in h:
            self.fail("POST upload: %d" % st)
        return location_path(h["location"])

    def push_blob(self, data, chunks):
        """Upload data in the chunk sizes given, however often it dies."""
        d, size = digest(data), len(data)
        self.shared.inflight(d, size, self.repo)
        path, off, tries = None, 0, 0
        while True:
            self.tried(tries)
            tries += 1
            try:
                if path is not None and tries > 1:
                    off = self.upload_offset(path)
                    if off is None:
                        self.stats.add("upload unknown after a kill")
                        path = None
                    else:
                        self.stats.add("upload resumed")
                if path is None:
                    if tries > 1 and self.blob_present(d, size):
                        self.stats.add("blob found after a kill")
                        break
                    if tries > 1:
                        self.stats.add("upload restarted")
                    path, off = self.start_upload(), 0
                if self.send_chunks(path, data, off, chunks):
                    break
            except Transient:
                continue
        self.shared.committed(d, size, self.repo)
        return d

    def send_chunks(self, path, data, off, chunks):
        """PATCH from off, PUT the last chunk; False to retry."""
        d = digest(data)
        ends = []
        pos = 0
        for c in chunks:
            pos += c
            ends.append(pos)
        ends[-1] = len(data)
        for end in ends[:-1]:
            if end <= off:
                continue
            st, h, _ = self.http.request(
                "PATCH", path, data[off:end],
                {"Content-Type": "application/octet-stream",
                 "Content-Range": "%d-%d" % (off, end - 1)}, what="PATCH")
            if st == 416:
                self.stats.add("PATCH 416, asking again")
                return False
            if st != 202:
                self.fail("PATCH %s %d-%d: %d" % (path, off, end - 1, st))
            if h.get("range") != "0-%d" % (end - 1):
                self.fail("PATCH %s: Range %r, want 0-%d" %
                          (path, h.get("range"), end - 1))
            path, off = location_path(h.get("location", path)), end
        last = data[off:]
        hdrs = {"Content-Type": "application/octet-stream"}
        if last:
            hdrs["Content-Range"] = "%d-%d" % (off, len(data) - 1)
        st, h, _ = self.http.request("PUT", add_query(path, "digest=" + d),
                                     last, hdrs, what="final PUT")
        if st == 416:
            self.stats.add("PUT 416, asking again")
            return False
        if st == 404:
            return False    # finished by a request whose answer was lost
        if st != 201 or h.get("docker-content-digest") != d:
            self.fail("final PUT %s: %d %r" % (path, st,
                      h.get("docker-content-digest")))
        return True

    def chunking(self, size):
        out, left = [], size
        while left > 0:
            c = self.rnd.randrange(self.args.chunk // 2, self.args.chunk)
            out.append(min(c, left))
            left -= c
        return out

    def put_manifest(self, ref, body):
        for tries in range(MAX_TRIES):
            self.tried(tries)
            try:
                st, h, _ = self.slow.request(
                    "PUT", "/v2/%s/manifests/%s" % (self.repo, ref), body,
                    {"Content-Type": OCI}, what="manifest PUT")
            except Transient:
                continue
            if st != 201 or h.get("docker-content-digest") != digest(body):
                self.fail("manifest PUT %s: %d" % (ref, st))
            return
        self.fail("manifest PUT %s never succeeded" % ref)

    def push_image(self, k):
        blobs = []
        cfg = json.dumps({"architecture": "amd64", "os": "linux",
                          "rootfs": {"type": "layers", "diff_ids": []},
                          "config": {"Labels": {"image": "%d-%d-%s" % (
                              self.idx, k, os.urandom(8).hex())}}}).encode()
        layers = []
        for _ in range(self.rnd.randint(1, self.args.layers)):
            size = self.rnd.randrange(self.args.layer // 4, self.args.layer)
            layers.append(os.urandom(size))
        cd = self.push_blob(cfg, [len(cfg)])
        blobs.append((cd, cfg))
        descs = []
        for data in layers:
            d = self.push_blob(data, self.chunking(len(data)))
            blobs.append((d, data))
            descs.append({"mediaType": OCI_LAYER, "digest": d,
                          "size": len(data)})
        man = json.dumps({"schemaVersion": 2, "mediaType": OCI,
                          "config": {"mediaType": OCI_CONFIG, "digest": cd,
                                     "size": len(cfg)},
                          "layers": descs}, separators=(",", ":")).encode()
        tag = "i%d" % k
        for ref in (tag, "latest"):
            self.shared.tagging(self.repo, ref, man)
            self.put_manifest(ref, man)
            self.shared.tagged(self.repo, ref)
        img = (tag, man, [(d, len(b)) for d, b in blobs])
        self.images.append(img)
        self.stats.add("images pushed")
        self.stats.add("bytes pushed", sum(len(b) for _, b in blobs))
        return img

    def run(self):
        try:
            k = 0
            while k < self.args.min_images or not self.stop.is_set():
                img = self.push_image(k)
                pull_image(self.http, self.repo, img, self.stats,
                           self.fail)
                k += 1
        except Exception as e:  # noqa: BLE001 (reported, then fatal)
            self.error = "%s: %r" % (self.name, e)
            self.stats.violation(self.error)


def pull_image(http, repo, img, stats, fail):
    """GET the manifest by tag and every blob; retry what broke."""
    tag, man, blobs = img
    for tries in range(MAX_TRIES):
        try:
            st, h, body = http.request(
                "GET", "/v2/%s/manifests/%s" % (repo, tag),
                headers={"Accept": OCI}, what="pull")
            if st != 200 or body != man:
                fail("pull %s:%s: %d, %d bytes" % (repo, tag, st, len(body)))
            for d, size in blobs:
                st, h, body = http.request(
                    "GET", "/v2/%s/blobs/%s" % (repo, d), what="pull")
                if st != 200 or len(body) != size or digest(body) != d:
                    fail("pull %s: %d, %d bytes" % (d, st, len(body)))
            stats.add("images pulled")
            return
        except Transient:
            time.sleep(0.05)
    fail("pull %s:%s never succeeded" % (repo, tag))


class Shared:
    """What the reader may see: blobs in flight and done, tags."""

    def __init__(self):
        self.lock = threading.Lock()
        self.blobs = {}         # digest -> [size, committed, repo]
        self.tags = {}          # (repo, tag) -> True once pushed
        self.allowed = {}       # (repo, tag) -> manifests it may show

    def inflight(self, d, size, repo):
        with self.lock:
            self.blobs.setdefault(d, [size, False, repo])

    def committed(self, d, size, repo):
        with self.lock:
            self.blobs[d] = [size, True, repo]

    def tagging(self, repo, tag, man):
        """Before the PUT: from now on the tag may show this manifest."""
        with self.lock:
            self.allowed.setdefault((repo, tag), set()).add(man)

    def tagged(self, repo, tag):
        """After the PUT: the tag must never be missing again."""
        with self.lock:
            self.tags[(repo, tag)] = True

    def pick(self, rnd):
        """A random blob (digest, [size, committed, repo]) and tag."""
        with self.lock:
            b = rnd.choice(list(self.blobs.items())) if self.blobs else None
            t = rnd.choice(list(self.tags)) if self.tags else None
            return b, t


class Reader(threading.Thread):
    """Nothing partial, wrong or lost may ever be visible."""

    def __init__(self, args, stats, shared, done):
        super().__init__(daemon=True)
        self.http = Client(args.url, stats)
        self.stats = stats
        self.shared = shared
        self.done = done
        self.rnd = random.Random(args.seed)

    def check_blob(self, d, size, committed, repo):
        path = "/v2/%s/blobs/%s" % (repo, d)
        method = self.rnd.choice(("HEAD", "GET"))
        st, h, body = self.http.request(method, path, what="reader")
        if st == 404:
            if committed:
                self.stats.violation("committed blob %s: 404" % d)
            return
        if st != 200:
            self.stats.violation("%s %s: %d" % (method, d, st))
            return
        got = int(h.get("content-length", -1))
        if got != size:
            self.stats.violation("%s %s: %d bytes, want %d" %
                                 (method, d, got, size))
        if method == "GET" and (len(body) != size or digest(body) != d):
            self.stats.violation("GET %s: %d bytes hash to %s" %
                                 (d, len(body), digest(body)))
        self.stats.add("reader saw a blob")

    def check_tag(self, repo, tag):
        st, h, body = self.http.request(
            "GET", "/v2/%s/manifests/%s" % (repo, tag),
            headers={"Accept": OCI}, what="reader")
        # Known after the PUT answered; "latest" may be newer by now.
        with self.shared.lock:
            mans = set(self.shared.allowed.get((repo, tag), ()))
        if st != 200 or body not in mans:
            self.stats.violation("tag %s:%s: %d, %d bytes, not a "
                                 "manifest pushed there" %
                                 (repo, tag, st, len(body)))
            return
        self.stats.add("reader saw a tag")

    def run(self):
        while not self.done.is_set():
            b, t = self.shared.pick(self.rnd)
            try:
                if b is not None:
                    d, (size, committed, repo) = b
                    self.check_blob(d, size, committed, repo)
                if t is not None:
                    self.check_tag(*t)
            except Transient:
                pass
            if b is None:
                time.sleep(0.05)


def proc_children(ppid):
    kids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[1]) == ppid:
            kids.append(int(p))
    return kids


def proc_workers(bin_real, data):
    """The specreg processes serving this storage root (mod_fcgid,
    spawn-fcgi: no supervisor of ours).  Each holds the root open; the
    same binary may be serving other tests at the same time."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/exe" % p) != bin_real:
                continue
            fds = os.listdir("/proc/%s/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                f = os.readlink("/proc/%s/fd/%s" % (p, fd))
            except OSError:
                continue
            if f == data or f.startswith(data + "/"):
                out.append(int(p))
                break
    return out


def proc_age(pid):
    hz = os.sysconf("SC_CLK_TCK")
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    start = int(st[st.rindex(")") + 2:].split()[19]) / hz
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    return up - start


def proc_phase(pid, data):
    """What a worker is doing, from the files it holds open."""
    files = []
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                files.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
            except OSError:
                pass
    except OSError:
        return "gone"
    files = [f[len(data) + 1:] for f in files if f.startswith(data + "/")]
    if any(f.startswith("uploads/") and f.endswith("/data") for f in files):
        return "writing upload data"
    if "gc.lock" in files and any(f.startswith("uploads/") for f in files):
        return "moving into the blob store"
    if any(f.startswith("repos/") for f in files) or "gc.lock" in files:
        return "manifest PUT"
    if any(f.startswith("uploads/") for f in files):
        return "upload locked"
    if any(f.startswith("blobs/") for f in files):
        return "reading a blob"
    if files:
        return "other storage"
    return "no storage open"


# What the killer aims at (None: any worker); proc_phase() names.
PHASES = (None, "writing upload data", "writing upload data",
          "moving into the blob store", "manifest PUT", "upload locked")


class Killer(threading.Thread):
    def __init__(self, args, stats, done):
        super().__init__(daemon=True)
        self.args = args
        self.stats = stats
        self.done = done
        self.rnd = random.Random(args.seed + 7)
        self.bin = os.path.realpath(args.bin)
        self.data = os.path.realpath(args.data)
        self.max_refill = 0.0
        self.error = None

    def workers(self):
        if self.args.supervisor:
            return proc_children(self.args.supervisor)
        return proc_workers(self.bin, self.data)

    def old_workers(self):
        """Workers older than a second: the supervisor backs off when
        they die younger (a crash loop), which is not what we test."""
        old = []
        for p in self.workers():
            try:
                if proc_age(p) > 1.1:
                    old.append(p)
            except OSError:
                pass
        return old

    def victim(self):
        """(pid, phase): a worker in a phase picked at random, watched
        for up to a second, else any busy worker, else any."""
        want = self.rnd.choice(PHASES)
        t0 = time.time()
        while time.time() - t0 < 30:
            old = self.old_workers()
            phases = [(p, proc_phase(p, self.data)) for p in old]
            hit = [x for x in phases if x[1] == want]
            if hit:
                return self.rnd.choice(hit)
            if time.time() - t0 > 1 or want is None:
                busy = [x for x in phases if x[1] != "no storage open"]
                if busy and self.rnd.random() < 0.85:
                    return self.rnd.choice(busy)
                if phases:
                    return self.rnd.choice(phases)
            time.sleep(0.002)
        return None, None

    def pool_full(self, victim):
        """Wait until the supervisor has its workers again."""
        t0 = time.time()
        while time.time() - t0 < 10:
            kids = self.workers()
            if victim not in kids and len(kids) >= self.args.workers:
                self.max_refill = max(self.max_refill, time.time() - t0)
                return True
            time.sleep(0.01)
        return False

    def run(self):
        try:
            self.kill_loop()
        except Exception as e:  # noqa: BLE001
            self.error = "killer: %r" % e
            self.stats.violation(self.error)
        finally:
            self.done.set()

    def kill_loop(self):
        time.sleep(1.5)
        for _ in range(self.args.kills):
            time.sleep(self.rnd.uniform(0.05, 0.4))
            p, phase = self.victim()
            if p is None:
                self.stats.violation("no worker old enough to kill")
                return
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                continue
            self.stats.add("kills")
            self.stats.add("kill: " + phase)
            if self.args.supervisor and not self.pool_full(p):
                self.stats.violation("pool not refilled 10 s after "
                                     "killing %d: %s" %
                                     (p, self.workers()))
                return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--supervisor", type=int, default=0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--kills", type=int, default=40)
    ap.add_argument("--pushers", type=int, default=3)
    ap.add_argument("--min-images", type=int, default=2)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--layer", type=int, default=2 << 20)
    ap.add_argument("--chunk", type=int, default=768 << 10)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--report", required=True)
    args = ap.parse_args()
    print("faultload: seed %d" % args.seed, flush=True)

    stats, shared = Stats(), Shared()
    stop, done = threading.Event(), threading.Event()
    pushers = [Pusher(i, args, stats, shared, stop)
               for i in range(args.pushers)]
    reader = Reader(args, stats, shared, done)
    killer = Killer(args, stats, stop)
    t0 = time.time()
    for t in pushers + [reader, killer]:
        t.start()
    killer.join()
    kill_secs = time.time() - t0
    for t in pushers:
        t.join(600)
        if t.is_alive():
            stats.violation("%s still running after 600 s" % t.name)
    done.set()
    reader.join(60)

    # Every image, pulled back once the dust has settled.
    http = Client(args.url, stats, pause=0)
    for p in pushers:
        for img in p.images:
            pull_image(http, p.repo, img, stats,
                       lambda m: stats.violation("final " + m))
            stats.add("images verified at the end")

    report = dict(sorted(stats.c.items()))
    report["seconds under fire"] = round(kill_secs, 1)
    report["seconds in all"] = round(time.time() - t0, 1)
    report["max pool refill seconds"] = round(killer.max_refill, 3)
    report["violations"] = stats.violations
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    for k, v in report.items():
        if k != "violations":
            print("faultload: %s: %s" % (k, v))
    if stats.violations:
        print("faultload: %d violations, the first ones above" %
              len(stats.violations))
        return 1
    if stats.c.get("kills", 0) < args.kills:
        print("faultload: only %d kills" % stats.c.get("kills", 0))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
