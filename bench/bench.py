"""bench/bench.py: specreg against CNCF distribution, side by side.

Run through bench/run, which installs the tools and builds specreg.
Every round starts fresh registries (specreg behind each front end, and
distribution), measures the machine's ceilings, then runs each workload
on every registry in turn, rotating the order, so that registries are
compared minutes apart under the same noise.  See bench/README.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import types
import urllib.parse
import urllib.request

import load
import report

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
MiB = 1 << 20
CLK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

FULL = dict(rounds=3, blob_n=8, blob_size=256 * MiB, push_conc=4,
            chunky_n=4, chunky_size=4 * MiB,
            pull_conc=4, small_n=2000, small_size=16 * 1024, small_conc=16,
            mput_n=200, mput_conc=8, req_secs=10, req_conns=32, race_n=8,
            race_size=64 * MiB, oci_layers=5, oci_size=64 * MiB,
            dd_mib=2048, sha_secs=3, catalog_repos=10000,
            frontends="lighttpd,nginx,apache-fcgid", swift_small_n=200,
            swift_mput_n=100)
QUICK = dict(rounds=1, blob_n=4, blob_size=16 * MiB, push_conc=4,
             chunky_n=2, chunky_size=1 * MiB,
             pull_conc=4, small_n=100, small_size=16 * 1024, small_conc=16,
             mput_n=20, mput_conc=8, req_secs=2, req_conns=32, race_n=8,
             race_size=4 * MiB, oci_layers=2, oci_size=4 * MiB,
             dd_mib=256, sha_secs=1, catalog_repos=10000,
             frontends="lighttpd", swift_small_n=50, swift_mput_n=20)

# Object storage (issue 12): specreg behind lighttpd on OpenStack Swift
# with [registry] redirect = yes, against distribution's own swift
# driver (whose default redirects blob GETs to TempURLs too), both on
# one Swift of the bench's own (tests/swift/saio.sh, a fresh one every
# round, SAIO_WORKERS = --swift-workers), each in a container of its
# own.  They run after the other workloads, on these two targets only.
SWIFT_WORKLOADS = ("swift_push", "swift_pull", "swift_push_small",
                   "swift_manifest_put", "swift_manifest_get")
SWIFT_FRONTEND = "lighttpd"
SWIFT_TARGET = "specreg+swift"
WORKLOADS = ["push_mono", "push_chunked", "push_chunks_5m",
             "push_chunks_64k", "pull", "pull_redirect", "push_small",
             "manifest_put", "manifest_get", "tags_list", "blob_head",
             "race_same", "race_repos", "skopeo_push", "skopeo_pull",
             "pull_nosendfile", "catalog_first", "catalog_mid",
             "proxy_manifest_get"] + list(SWIFT_WORKLOADS)
# On an object store (--store), what issue 13 compares: the bodies,
# in one request and in OCI chunks (5 MiB, S3's smallest part, and
# 64 KiB), pulls, small blobs and manifests.  The catalog workloads
# write a filesystem store directly; the rest stay filesystem-only to
# keep the run short.  pull_redirect is the registry's part of a pull
# there: the 307 alone, at a request rate.
STORE_WORKLOADS = ["push_mono", "push_chunked", "push_chunks_5m",
                   "push_chunks_64k", "pull", "pull_redirect", "push_small",
                   "manifest_put", "manifest_get"]
CHUNKS = {"push_chunks_5m": 5 * MiB, "push_chunks_64k": 64 * 1024}
# (On the filesystem, they run when named in --workloads; pull_redirect
# wants a store.)
# Pull-through (issue 15): an upstream distribution holds PROXY_REPO;
# specreg reaches it as PROXY_HOST/PROXY_REPO ([upstream] PROXY_HOST =
# its URL, so no other workload's misses go upstream), distribution
# through a second instance in proxy mode (proxy.remoteurl).
PROXY_WORKLOADS = ("proxy_manifest_get",)
PROXY_HOST = "upstream.bench"
PROXY_REPO = "bench/proxied"
PROXY_TAG = "v1"
# What podman and skopeo send when they pull by tag.
PULL_ACCEPT = ("application/vnd.oci.image.manifest.v1+json, "
               "application/vnd.oci.image.index.v1+json, "
               "application/vnd.docker.distribution.manifest.v2+json, "
               "application/vnd.docker.distribution.manifest.list.v2+json")
DEFAULT_SENDFILE = {"lighttpd": "x-sendfile", "nginx": "x-accel-redirect",
                    "apache-fcgid": "x-sendfile",
                    "apache-proxy": "x-sendfile"}
# Variants of a front end's configuration, run for some workloads only.
# lighttpd-stream2: lighttpd streams bodies with back-pressure
# (stream-request-body 2) instead of spooling them (lib.sh, deploy/);
# lighttpd-stream1: streams them without back-pressure; nginx-buf16k:
# nginx's default client_body_buffer_size instead of deploy/'s 1m;
# lighttpd-nometrics: specreg with [metrics] enabled = no (what counting
# costs), for the request-rate workloads and what they GET.
VARIANTS = {
    "lighttpd-stream2": ("lighttpd", "tests/integration/lighttpd.conf.in",
                         [("server.stream-request-body\t= 0",
                           "server.stream-request-body\t= 2")],
                         ("push_mono", "race_same", "race_repos")),
    "lighttpd-stream1": ("lighttpd",
                         "tests/integration/lighttpd.conf.in",
                         [("server.stream-request-body\t= 0",
                           "server.stream-request-body\t= 1")],
                         ("push_mono", "race_same", "race_repos")),
    "nginx-buf16k": ("nginx", "deploy/nginx.conf",
                     [("client_body_buffer_size 1m;",
                       "client_body_buffer_size 16k;")],
                     ("push_mono", "push_chunked", "race_same",
                      "race_repos")),
    "lighttpd-nometrics": ("lighttpd", None, [],
                           ("push_mono", "manifest_put", "manifest_get",
                            "blob_head")),
}
# What a variant adds to specreg.ini (lib.sh's SPECREG_INI_EXTRA).
VARIANT_INI = {
    "lighttpd-nometrics": "[metrics]\nenabled = no",
}


T0 = time.monotonic()


def log(msg):
    sys.stderr.write("bench: %5.0fs %s\n" % (time.monotonic() - T0, msg))
    sys.stderr.flush()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# --- /proc accounting --------------------------------------------------------

def proc_table():
    """{pid: (ppid, comm, ticks)}, ticks = utime+stime+cutime+cstime."""
    tab = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        tab[int(name)] = (int(f[1]), comm, sum(int(x) for x in f[11:15]))
    return tab


def tree(roots, tab=None):
    """The processes under roots (roots included): {pid: (comm, ticks)}."""
    tab = tab if tab is not None else proc_table()
    kids = {}
    for pid, (ppid, _, _) in tab.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = {}, [r for r in roots if r in tab]
    while todo:
        pid = todo.pop()
        if pid in out:
            continue
        out[pid] = tab[pid][1:]
        todo.extend(kids.get(pid, []))
    return out


def busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4]


def hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class NullMeter:
    """For a ceiling: the store's processes are not a target's."""

    def start(self):
        pass

    def stop(self):
        pass


class Meter:
    """CPU (server tree, client, others) and peak RSS of one workload."""

    def __init__(self, target, store=None):
        self.target = target
        self.store = store
        self.store_mark = None
        self.hwm = {}
        self.pss_max = 0
        self.res = None
        self._stop = threading.Event()
        self._thread = None

    def _sample(self):
        pss = 0
        for pid, (comm, _) in tree(self.target.roots()).items():
            kib = hwm_kib(pid)
            if kib is not None and kib >= self.hwm.get(pid, (0, ""))[0]:
                self.hwm[pid] = (kib, comm)
            pss += pss_kib(pid)
        self.pss_max = max(self.pss_max, pss)

    def _split(self, t1):
        """Server CPU seconds by role (web server, registry)."""
        roles = {}
        for pid, (comm, ticks) in t1.items():
            role = self.target.role_of(pid, comm)
            roles[role] = roles.get(role, 0) + ticks - \
                self.t0.get(pid, ("", 0))[1]
        for pid, (comm, ticks) in self.t0.items():
            if pid not in t1:
                role = self.target.role_of(pid, comm)
                roles[role] = roles.get(role, 0) - ticks
        return {"front": roles.get("front", 0) / CLK,
                "registry": (roles.get("worker", 0) +
                             roles.get("supervisor", 0)) / CLK}

    def _loop(self):
        while not self._stop.wait(0.25):
            self._sample()

    def start(self):
        t0 = tree(self.target.roots())
        for pid in t0:
            try:
                with open("/proc/%d/clear_refs" % pid, "w") as f:
                    f.write("5")
            except OSError:
                pass
        self.t0 = t0
        if self.store is not None:
            self.store_mark = self.store.log_mark()
            self.s0 = tree(self.store.pids())
        self.c0 = os.times()
        self.b0 = busy_ticks()
        self.w0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self):
        wall = time.monotonic() - self.w0
        c1 = os.times()
        b1 = busy_ticks()
        t1 = tree(self.target.roots())
        self._stop.set()
        self._thread.join()
        self._sample()
        server = (sum(t for _, t in t1.values()) -
                  sum(t for _, t in self.t0.values())) / CLK
        client = sum(c1[i] - self.c0[i] for i in range(4))
        system = (b1 - self.b0) / CLK
        store = None
        if self.store is not None:
            s1 = tree(self.store.pids())
            store = sum(t - self.s0.get(pid, ("", 0))[1]
                        for pid, (_, t) in s1.items()) / CLK
        rss = self.target.rss_roles(self.hwm)
        rss["pss_total"] = self.pss_max / 1024.0
        self.res = {"server_cpu": server, "client_cpu": client,
                    "other_cpu": max(0.0, system - server - client -
                                     (store or 0)),
                    "store_cpu": store,
                    "cpu_split": self._split(t1), "wall": wall,
                    "rss": rss}


# --- Registries --------------------------------------------------------------

class TargetError(Exception):
    pass


class Target:
    kind = None
    name = None
    url = None
    bucket = None           # its bucket or container on a --store
    static = False
    workloads = None        # None: every workload

    def roots(self):
        raise NotImplementedError

    def rss_roles(self, hwm):
        """Peak RSS by role (MiB) and every process's own."""
        roles = {}
        procs = []
        for pid, (kib, comm) in sorted(hwm.items()):
            role = self.role_of(pid, comm)
            procs.append({"pid": pid, "comm": comm, "role": role,
                          "mib": kib / 1024.0})
            roles.setdefault(role, []).append(kib / 1024.0)
        return {"worker_max": max(roles.get("worker", [0])),
                "front_max": max(roles["front"]) if "front" in roles
                else None,
                "total": sum(p["mib"] for p in procs),
                "procs": procs}


class Specreg(Target):
    kind = "specreg"
    static = True
    workloads = None

    def __init__(self, frontend, env, logdir):
        self.frontend = frontend
        self.name = "specreg+" + frontend
        base = frontend
        if frontend in VARIANTS:
            base = VARIANTS[frontend][0]
            self.workloads = VARIANTS[frontend][3]
            self.static = False
        self.logf = open(os.path.join(logdir, "serve-%s.log" % frontend),
                         "a")
        self.p = subprocess.Popen(
            ["sh", os.path.join(HERE, "serve.sh"), base],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.logf, env=env, text=True, bufsize=1)
        self._read_info()

    def _read_info(self):
        info = {}
        for line in self.p.stdout:
            line = line.strip()
            if line == "ready":
                self.info = info
                self.url = info["url"]
                self.bucket = info.get("bucket")
                return
            k, _, v = line.partition("=")
            info[k] = v
        rc = self.p.wait()
        raise TargetError("serve.sh %s exited %d (log: %s)" %
                          (self.frontend, rc, self.logf.name))

    def roots(self):
        return [int(self.info[k]) for k in ("pool", "front")
                if self.info.get(k)]

    def role_of(self, pid, comm):
        if comm in ("specreg", "fcgi-ceiling"):
            return "supervisor" if str(pid) == self.info.get("pool") \
                else "worker"
        return "front"

    def restart(self, sendfile):
        self.p.stdin.write("restart %s\n" % sendfile)
        self.p.stdin.flush()
        self._read_info()

    def probe(self, binary):
        """bench/fcgi-ceiling in specreg's place, sendfile off."""
        self.p.stdin.write("probe %s\n" % binary)
        self.p.stdin.flush()
        self._read_info()

    def www(self):
        return os.path.join(self.info["t"], "www")

    def stop(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.logf.close()


def free_port():
    for _ in range(50):
        port = random.randint(20000, 29999)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise TargetError("no free port")


DIST_CONFIG = """\
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: %(noaccess)s
storage:
%(driver)s
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:%(port)d
"""


# A request in a store's log: radosgw's "PUT /bucket/key HTTP/1.1",
# Swift's proxy "PUT /v1/AUTH_test/c/o HTTP/1.0" (and the S3 path).
STORE_REQ = re.compile(r"\b(GET|HEAD|PUT|POST|DELETE|COPY) (/\S*) HTTP/")


class Store:
    """The object store every registry of the run writes to (--store):
    radosgw (Ceph) or swift-s3 (Swift's s3api) through S3, or swift
    through the Swift API, started once in WORK/store by
    tests/integration/s3-store; each registry gets a bucket or
    container of its own."""

    def __init__(self, kind, work, logdir):
        self.kind = kind
        self.logdir = logdir
        self.dir = os.path.join(work, "store")
        shutil.rmtree(self.dir, ignore_errors=True)
        log("starting the %s store" % kind)
        # radosgw's OSD: a sparse file of SPECREG_CEPH_GB (the tests'
        # 16 filled up in the third push workload: a round writes every
        # blob twice per registry, and radosgw's garbage collector keeps
        # what is deleted for two hours).
        env = dict(os.environ)
        env.setdefault("SPECREG_CEPH_GB", "64")
        with open(os.path.join(logdir, "store.log"), "a") as lf:
            p = subprocess.run(
                ["sh", os.path.join(SRC, "tests", "integration", "s3-store"),
                 "start", "radosgw" if kind == "radosgw" else "swift",
                 self.dir], stdout=lf, stderr=lf, env=env)
        if p.returncode != 0:
            raise SystemExit("bench: the %s store did not start (%s)" %
                             (kind, lf.name))
        self.env = {}
        with open(os.path.join(self.dir, "s3.env")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                self.env[k] = v.strip("'")
        self.n = 0

    def bucket(self, what):
        """A new bucket (S3) or container name (Swift) for what."""
        self.n += 1
        name = "bench-%s-%d" % (what, self.n)
        if self.kind != "swift":
            self.bucket_tool("create", name)
        return name

    def bucket_tool(self, cmd, name):
        env = dict(os.environ, **self.env)
        p = subprocess.run(["python3", os.path.join(
            SRC, "tests", "integration", "s3-bucket.py"), cmd, name],
            env=env, capture_output=True, text=True)
        if p.returncode != 0 and cmd == "create":
            raise TargetError("bucket %s: %s" % (name, p.stderr.strip()))

    def drop(self, name):
        """Delete a bucket with what is in it (S3; a Swift container
        stays until the store goes)."""
        if self.kind != "swift":
            self.bucket_tool("delete", name)

    def dist_driver(self, name):
        """distribution's storage: section for its bucket name."""
        e = self.env
        if self.kind == "swift":
            return ("  swift:\n    authurl: %s\n    username: test:tester\n"
                    "    password: testing\n    container: %s" %
                    (e["SPECREG_SWIFT_AUTH"], name))
        return ("  s3:\n    accesskey: %s\n    secretkey: %s\n"
                "    region: %s\n    regionendpoint: %s\n"
                "    forcepathstyle: true\n    bucket: %s\n"
                "    secure: false\n    v4auth: true" %
                (e["SPECREG_S3_ACCESS_KEY"], e["SPECREG_S3_SECRET_KEY"],
                 e["SPECREG_S3_REGION"], e["SPECREG_S3_ENDPOINT"], name))

    def specreg_env(self):
        """What lib.sh needs to put specreg on this store (it makes
        the bucket and deletes it when serve.sh ends): blob GETs answer
        307 to the store (presigned URLs, TempURLs), as distribution's
        do, and nothing is handed to the web server to send."""
        env = {k: v for k, v in self.env.items()
               if k.startswith("SPECREG_")}
        env["SPECREG_STORAGE"] = "swift" if self.kind == "swift" else "s3"
        env["SPECREG_SENDFILE"] = "off"
        env["SPECREG_INI_EXTRA"] = "[registry]\nredirect = yes"
        return env

    def pids(self):
        """The store's daemons (their pid files)."""
        out = []
        rdir = os.path.join(self.env["S3_STORE_DIR"], "run")
        for name in os.listdir(rdir) if os.path.isdir(rdir) else []:
            if not name.endswith(".pid"):
                continue
            try:
                with open(os.path.join(rdir, name)) as f:
                    out.append(int(f.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return out

    def log_path(self):
        """The store's log of the requests it answered: radosgw's
        (beast's access lines), Swift's proxy (proxy-logging)."""
        d = self.env["S3_STORE_DIR"]
        if self.kind == "radosgw":
            return os.path.join(d, "log", "ceph-client.rgw.a.log")
        return os.path.join(d, "log", "proxy-server.log")

    def log_mark(self):
        try:
            return os.path.getsize(self.log_path())
        except OSError:
            return None

    def requests(self, bucket, since):
        """{METHOD: count} of the requests on bucket the store logged
        after offset since.  Swift's proxy logs an S3 request twice
        (as it came, and as the Swift request s3api made of it): on
        swift-s3 only the S3 ones (path /BUCKET...) count."""
        out = {}
        if since is None or not bucket:
            return out
        with open(self.log_path(), "rb") as f:
            f.seek(since)
            text = f.read().decode("latin-1")
        for m in STORE_REQ.finditer(text):
            path = m.group(2).split("?")[0]
            if self.kind == "swift":
                path = re.sub(r"^/v1/[^/]+", "", path)
            if path == "/" + bucket or path.startswith("/" + bucket + "/"):
                out[m.group(1)] = out.get(m.group(1), 0) + 1
        return out

    def stop(self):
        subprocess.run(["sh", os.path.join(SRC, "tests", "integration",
                                           "s3-store"), "stop", self.dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Its log of requests stays with the run's (logs/store-requests).
        try:
            shutil.copy(self.log_path(),
                        os.path.join(self.logdir, "store-requests.log"))
        except OSError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Distribution(Target):
    """docker-registry (CNCF distribution) with its own config;
    remoteurl: in proxy mode, pulling through from there; accesslog:
    its access log (stdout) in the log file, to count requests; store:
    a Store, to keep the blobs there with distribution's own s3-aws or
    swift driver (blob GETs on S3 redirect to presigned URLs, its
    default)."""
    kind = "distribution"
    name = "distribution"
    proxy = None            # the proxy-mode instance of this target

    def __init__(self, rundir, logdir, remoteurl=None, accesslog=False,
                 logname="distribution.log", store=None):
        self.dir = rundir
        self.store = store
        self.bucket = store.bucket("dist") if store else None
        os.makedirs(os.path.join(rundir, "data"))
        driver = store.dist_driver(self.bucket) if store else \
            "  filesystem:\n    rootdirectory: %s" % \
            os.path.join(rundir, "data")
        for _ in range(5):
            port = free_port()
            cfg = os.path.join(rundir, "config.yml")
            with open(cfg, "w") as f:
                f.write(DIST_CONFIG % {"driver": driver,
                                       "port": port,
                                       "noaccess": "false" if accesslog
                                       else "true"})
                if remoteurl:
                    f.write("proxy:\n  remoteurl: %s\n" % remoteurl)
            self.logf = open(os.path.join(logdir, logname), "a")
            # Its config alone: the AWS SDK would read AWS_* (a CA
            # bundle in AWS_CA_BUNDLE makes distribution 2.8 panic).
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("AWS_")}
            self.p = subprocess.Popen(["docker-registry", "serve", cfg],
                                      stdin=subprocess.DEVNULL, env=env,
                                      stdout=self.logf, stderr=self.logf)
            self.url = "http://127.0.0.1:%d" % port
            if wait_v2(self.url, self.p):
                return
            self.end()
        self.stop()
        raise TargetError("docker-registry did not start (log: %s)" %
                          self.logf.name)

    def roots(self):
        return [self.p.pid]

    def role_of(self, pid, comm):
        return "worker"

    def end(self):
        """Stop the process (its directory and bucket stay)."""
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.logf.close()

    def stop(self):
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        self.end()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.store is not None:
            self.store.drop(self.bucket)


def wait_v2(url, proc, secs=20):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/v2/", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


# --- Object storage (issue 12) ---------------------------------------------

class SwiftStore:
    """A single-node Swift of the bench's own (tests/swift/saio.sh) on
    free ports; auth v1.0, test:tester / testing."""

    def __init__(self, rundir, logdir, workers):
        self.dir = rundir
        self.saio = os.path.join(SRC, "tests", "swift", "saio.sh")
        self.logf = open(os.path.join(logdir, "swift.log"), "a")
        for _ in range(3):
            env = dict(os.environ, SAIO_WORKERS=str(workers))
            for k in ("PROXY", "OBJECT", "CONTAINER", "ACCOUNT",
                      "MEMCACHED"):
                env["SAIO_%s_PORT" % k] = str(free_port())
            p = subprocess.run(["bash", self.saio, "start", rundir],
                               env=env, stdout=self.logf,
                               stderr=self.logf)
            if p.returncode == 0:
                self.auth = "http://127.0.0.1:%s/auth/v1.0" % \
                    env["SAIO_PROXY_PORT"]
                return
            self.stop(close=False)
        self.logf.close()
        raise TargetError("Swift did not start (log: %s)" % self.logf.name)

    def pids(self):
        out = []
        rdir = os.path.join(self.dir, "run")
        for name in os.listdir(rdir) if os.path.isdir(rdir) else []:
            try:
                with open(os.path.join(rdir, name)) as f:
                    out.append(int(f.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return out

    def stop(self, close=True):
        subprocess.run(["bash", self.saio, "stop", self.dir],
                       stdout=self.logf, stderr=self.logf)
        shutil.rmtree(self.dir, ignore_errors=True)
        if close:
            self.logf.close()


DIST_SWIFT_CONFIG = """\
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  swift:
    authurl: %(auth)s
    username: test:tester
    password: testing
    container: distribution
  delete:
    enabled: true
  redirect:
    disable: %(noredirect)s
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:%(port)d
"""


class DistributionSwift(Distribution):
    """docker-registry with its own swift driver on the bench's Swift,
    otherwise as Distribution (its defaults: blob GETs redirect to
    TempURLs under a container key it sets); redirect False: it sends
    the bytes itself, a target of its own for swift_pull only."""

    def __init__(self, rundir, logdir, auth, redirect=True):
        if not redirect:
            self.name = "distribution-noredirect"
            self.workloads = ("swift_pull",)
        self.store = None       # its container goes with the Swift
        self.dir = rundir
        os.makedirs(rundir)
        for _ in range(5):
            port = free_port()
            cfg = os.path.join(rundir, "config.yml")
            with open(cfg, "w") as f:
                f.write(DIST_SWIFT_CONFIG % {
                    "auth": auth, "port": port,
                    "noredirect": "false" if redirect else "true"})
            self.logf = open(os.path.join(logdir, self.name + "-swift.log"),
                             "a")
            self.p = subprocess.Popen(["docker-registry", "serve", cfg],
                                      stdin=subprocess.DEVNULL,
                                      stdout=self.logf, stderr=self.logf)
            self.url = "http://127.0.0.1:%d" % port
            if wait_v2(self.url, self.p, secs=60):
                return
            self.stop()
            os.makedirs(rundir)
        raise TargetError("docker-registry on Swift did not start (log: %s)"
                          % self.logf.name)


# --- Data ---------------------------------------------------------------------

class Data:
    """The blobs the clients send, all cut from one random file."""

    def __init__(self, work, cfg):
        n, size = cfg["blob_n"], cfg["blob_size"]
        self.path = os.path.join(work, "data-%dx%d.bin" % (n, size))
        meta = self.path + ".json"
        if not (os.path.exists(meta) and
                os.path.getsize(self.path) == n * size):
            log("writing %d MiB of random data" % (n * size // MiB))
            digests = []
            with open(self.path, "wb") as f:
                for _ in range(n):
                    h = hashlib.sha256()
                    left = size
                    while left:
                        b = os.urandom(min(left, 16 * MiB))
                        h.update(b)
                        f.write(b)
                        left -= len(b)
                    digests.append("sha256:" + h.hexdigest())
            with open(meta, "w") as f:
                json.dump(digests, f)
        with open(meta) as f:
            digests = json.load(f)
        self.blobs = [(i * size, size, d) for i, d in enumerate(digests)]
        with open(self.path, "rb") as f:
            rs = cfg["race_size"]
            h = hashlib.sha256()
            left = rs
            while left:
                b = f.read(min(left, 16 * MiB))
                h.update(b)
                left -= len(b)
            self.race = (0, rs, "sha256:" + h.hexdigest())
            ss = cfg["small_size"]
            f.seek(0)
            blob = f.read(cfg["small_n"] * ss)
        self.small = [("sha256:" + hashlib.sha256(blob[i:i + ss]).hexdigest(),
                       blob[i:i + ss]) for i in range(0, len(blob), ss)]
        # push_chunks_64k: smaller blobs (64 KiB PATCHes are many
        # requests), cut from the end of the file.
        cs = cfg["chunky_size"]
        self.chunky = []
        with open(self.path, "rb") as f:
            for i in range(cfg["chunky_n"]):
                off = n * size - (i + 1) * cs
                f.seek(off)
                self.chunky.append((off, cs, "sha256:" + hashlib.sha256(
                    f.read(cs)).hexdigest()))


class Static:
    """blob 0's bytes as a static file: the front ends' large-file GET."""

    def __init__(self, data):
        off, size, digest = data.blobs[0]
        self.path = data.path + ".static"
        if not os.path.exists(self.path) or \
                os.path.getsize(self.path) != size:
            with open(data.path, "rb") as src, open(self.path, "wb") as dst:
                src.seek(off)
                dst.write(src.read(size))
        self.blobs = [(0, size, digest)] * len(data.blobs)


CATALOG_NAME = "bench/cat/r%05d"


def catalog_tree(t, n):
    """n repositories, made in the target's storage directly (pushing
    10000 manifests would take minutes): what makes a directory a
    repository to each registry's catalog, specreg's _manifests or
    distribution's _layers."""
    if t.kind == "specreg":
        top, mark = os.path.join(t.info["data"], "repos"), "_manifests"
    else:
        top = os.path.join(t.dir, "data", "docker", "registry", "v2",
                           "repositories")
        mark = "_layers"
    if os.path.isdir(os.path.join(top, CATALOG_NAME % (n - 1), mark)):
        return
    log("%s: creating %d repositories" % (t.name, n))
    for i in range(n):
        os.makedirs(os.path.join(top, CATALOG_NAME % i, mark), exist_ok=True)
    # specreg trusts what it listed only for directories whose mtime is
    # 2 s old (storage/store_tag.c): repositories are not all made in
    # the same second in real life.
    time.sleep(3)


def catalog_check(t, path, n, times):
    """The page holds 100 names in order, and a Link to the next."""
    conn = load.Conn(t.url)
    errors = []
    try:
        for _ in range(times - 1):
            conn.request("GET", path)
        st, h, b = conn.request("GET", path)
        repos = json.loads(b).get("repositories") or [] if st == 200 else []
        mid = "&last=" in path
        names = [r for r in repos if r.startswith("bench/cat/")]
        first = CATALOG_NAME % (n // 2 + 1 if mid else 0)
        if st != 200 or len(repos) != 100 or names != sorted(names) or \
                (names and names[0] != first and mid):
            errors.append("GET %s: %d, %d names from %s" %
                          (path, st, len(repos), repos[:1]))
        elif not any(k.lower() == "link" for k in h):
            errors.append("GET %s: no Link header" % path)
    except Exception as e:          # noqa: BLE001 - report it
        errors.append("GET %s: %r" % (path, e))
    conn.close()
    return {"errors": errors, "amount": 0, "seconds": 0}


def make_oci(work, cfg):
    """An OCI layout with cfg["oci_layers"] random tar+gzip layers."""
    n, size = cfg["oci_layers"], cfg["oci_size"]
    d = os.path.join(work, "oci-%dx%d" % (n, size))
    if os.path.exists(os.path.join(d, "index.json")):
        return d
    log("writing a %d-layer OCI image" % n)
    shutil.rmtree(d, ignore_errors=True)
    bdir = os.path.join(d, "blobs", "sha256")
    os.makedirs(bdir)

    def put(body):
        hexd = hashlib.sha256(body).hexdigest()
        with open(os.path.join(bdir, hexd), "wb") as f:
            f.write(body)
        return {"digest": "sha256:" + hexd, "size": len(body)}

    layers, diffs = [], []
    for i in range(n):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tf:
            ti = tarfile.TarInfo("layer%d/data.bin" % i)
            ti.size = size
            ti.mtime = 0
            tf.addfile(ti, io.BytesIO(os.urandom(size)))
        tar = raw.getvalue()
        diffs.append("sha256:" + hashlib.sha256(tar).hexdigest())
        layers.append(dict(mediaType=load.OCI_LAYER,
                           **put(gzip.compress(tar, 1, mtime=0))))
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {}, "rootfs": {"type": "layers",
                                                  "diff_ids": diffs}}).encode()
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": load.OCI_MANIFEST,
                           "config": dict(mediaType=load.OCI_CONFIG,
                                          **put(config)),
                           "layers": layers}).encode()
    index = {"schemaVersion": 2, "manifests": [dict(
        mediaType=load.OCI_MANIFEST, **put(manifest),
        annotations={"org.opencontainers.image.ref.name": "latest"})]}
    with open(os.path.join(d, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(index, f)
    return d


def oci_bytes(d):
    bdir = os.path.join(d, "blobs", "sha256")
    return sum(os.path.getsize(os.path.join(bdir, x))
               for x in os.listdir(bdir))


# --- skopeo ---------------------------------------------------------------------

NS_SCRIPT = ('mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && '
             'mkdir /var/lib/containers && exec "$@"')


def skopeo_cmd(args, scratch):
    """skopeo confined: its blob-info cache must not outlive the run.

    As root: a private mount namespace with empty /var/lib (so an empty
    /var/lib/containers) and /run.  Otherwise HOME and XDG_* point into
    scratch, where rootless skopeo keeps its cache.
    """
    os.makedirs(scratch, exist_ok=True)
    env = dict(os.environ, TMPDIR=scratch)
    if os.geteuid() == 0:
        cmd = ["unshare", "--mount", "--propagation", "private", "sh",
               "-c", NS_SCRIPT, "sh", "skopeo"] + args
    else:
        env.update(HOME=scratch, XDG_DATA_HOME=scratch + "/share",
                   XDG_RUNTIME_DIR=scratch + "/run",
                   XDG_CONFIG_HOME=scratch + "/config")
        cmd = ["skopeo"] + args
    return cmd, env


def w_skopeo(target, meter, work, oci, push):
    host = target.url.split("//", 1)[1]
    ref = "docker://%s/bench/skopeo:latest" % host
    scratch = os.path.join(work, "skopeo-scratch")
    out = os.path.join(work, "skopeo-pulled")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    if push:
        args = ["copy", "--quiet", "--dest-tls-verify=false",
                "oci:%s:latest" % oci, ref]
    else:
        args = ["copy", "--quiet", "--src-tls-verify=false", ref,
                "oci:%s:latest" % out]
    cmd, env = skopeo_cmd(args, scratch)
    meter.start()
    t0 = time.monotonic()
    p = run(cmd, env=env)
    secs = time.monotonic() - t0
    meter.stop()
    errors = []
    if p.returncode != 0:
        errors.append("skopeo %s: rc %d: %s" % (args[0], p.returncode,
                                                 p.stderr[-500:]))
    elif not push:
        want = set(os.listdir(os.path.join(oci, "blobs", "sha256")))
        got = set(os.listdir(os.path.join(out, "blobs", "sha256")))
        if not want <= got:
            errors.append("pulled layout lacks %d blobs" % len(want - got))
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return {"amount": oci_bytes(oci), "seconds": secs, "errors": errors}


# --- Ceilings ---------------------------------------------------------------------

def ceiling_sha256(cfg):
    p = run(["openssl", "speed", "-evp", "sha256", "-bytes", "16384",
             "-seconds", str(cfg["sha_secs"]), "-mr"])
    for line in p.stdout.splitlines():
        if line.startswith("+F:"):
            return float(line.split(":")[3]) / 1e6
    return None


def ceiling_dd(work, cfg):
    path = os.path.join(work, "dd.tmp")
    os.sync()
    t0 = time.monotonic()
    p = run(["dd", "if=/dev/zero", "of=" + path, "bs=1M",
             "count=%d" % cfg["dd_mib"], "conv=fdatasync"])
    secs = time.monotonic() - t0
    os.unlink(path)
    return cfg["dd_mib"] * MiB / secs / 1e6 if p.returncode == 0 else None


# --- The run -------------------------------------------------------------------------

class Bench:
    def __init__(self, args, cfg):
        self.args = args
        self.cfg = cfg
        self.work = args.work
        self.records = []
        self.logdir = os.path.join(args.out, "logs")
        os.makedirs(self.logdir, exist_ok=True)
        # Storage of every registry; an interrupted run leaves some.
        self.rundir = os.path.join(self.work, "run")
        shutil.rmtree(self.rundir, ignore_errors=True)
        os.makedirs(self.rundir)
        self.store = None
        self.manifests = {}     # target: the digest of what it has as t0
        self.templates = self.make_templates()
        self.upstream = None
        self.data = Data(self.work, cfg)
        self.static = Static(self.data)
        self.oci = make_oci(self.work, cfg) \
            if self.wants("skopeo_push") else None

    def wants(self, w):
        return w in self.args.workloads

    def make_templates(self, variant=None):
        """A tree of what lib.sh reads (its templates, deploy/), with the
        access logs off (as deploy/ runs) and a variant's changes."""
        tdir = os.path.join(self.work, "templates" +
                            ("-" + variant if variant else ""))
        shutil.rmtree(tdir, ignore_errors=True)
        shutil.copytree(os.path.join(SRC, "deploy"),
                        os.path.join(tdir, "deploy"))
        idir = os.path.join(tdir, "tests", "integration")
        os.makedirs(idir)
        src = os.path.join(SRC, "tests", "integration")
        for name in os.listdir(src):
            if not name.endswith(".conf.in"):
                continue
            with open(os.path.join(src, name)) as f:
                lines = f.read().splitlines()
            out = []
            for line in lines:
                s = line.strip()
                if s.startswith("accesslog.") or s.startswith("CustomLog"):
                    continue
                if s.startswith("access_log"):
                    line = line[:len(line) - len(line.lstrip())] + \
                        "access_log off;"
                out.append(line.replace(', "mod_accesslog"', ""))
            if name.startswith("apache"):
                # Static files for the static-GET ceiling.
                out += ['<Directory "@T@/www">', "\tRequire all granted",
                        "</Directory>"]
            with open(os.path.join(idir, name), "w") as f:
                f.write("\n".join(out) + "\n")
        # lib.sh makes a bucket with it when specreg runs on S3.
        shutil.copy(os.path.join(src, "s3-bucket.py"), idir)
        if variant and VARIANTS[variant][1]:
            path = os.path.join(tdir, VARIANTS[variant][1])
            with open(path) as f:
                text = f.read()
            for old, new in VARIANTS[variant][2]:
                if old not in text:
                    raise SystemExit("bench: %s has no %r" % (path, old))
                text = text.replace(old, new)
            with open(path, "w") as f:
                f.write(text)
        return tdir

    def serve_env(self, frontend):
        env = dict(os.environ)
        env.update(SPECREG_BIN=self.args.specreg,
                   BENCH_TEMPLATES=self.make_templates(frontend)
                   if frontend in VARIANTS else self.templates,
                   SPECREG_WORKERS=str(self.args.workers),
                   TMPDIR=self.rundir,
                   SPECREG_SENDFILE=DEFAULT_SENDFILE.get(
                       VARIANTS.get(frontend, (frontend,))[0], ""))
        env.pop("SPECREG_NO_SKIP", None)
        ini = [VARIANT_INI[frontend]] if frontend in VARIANT_INI else []
        if self.store is not None:
            env.update(self.store.specreg_env())
            ini.append(env.pop("SPECREG_INI_EXTRA"))
        if self.upstream is not None and frontend not in VARIANTS:
            # A day: the run measures serving from the cache.
            ini.append("[upstream]\n%s = %s\ntag-ttl = 86400" %
                       (PROXY_HOST, self.upstream.url))
        if ini:
            env["SPECREG_INI_EXTRA"] = "\n".join(ini)
        else:
            env.pop("SPECREG_INI_EXTRA", None)
        return env

    def start_upstream(self, rnd):
        """The upstream of the proxy workloads, holding PROXY_REPO."""
        self.upstream = None
        if not any(self.wants(w) for w in PROXY_WORKLOADS):
            return
        try:
            up = Distribution(os.path.join(self.rundir, "up-%d" % rnd),
                              self.logdir, accesslog=True,
                              logname="upstream-%d.log" % rnd)
        except TargetError as e:
            log("round %d: upstream: %s" % (rnd, e))
            return
        try:
            cfg, layer = load.manifest_setup(up.url, PROXY_REPO)
            conn = load.Conn(up.url)
            st, _, b = conn.request(
                "PUT", "/v2/%s/manifests/%s" % (PROXY_REPO, PROXY_TAG),
                load.manifest_for(cfg, layer, 0),
                {"Content-Type": load.OCI_MANIFEST})
            conn.close()
        except (RuntimeError, OSError) as e:
            st, b = 0, repr(e)
        if st != 201:
            up.stop()
            log("round %d: upstream: seeding: %d %s" % (rnd, st, b))
            return
        self.upstream = up
        self.upstream.blobs = [cfg[0], layer[0]]

    def upstream_requests(self):
        """Requests the upstream has logged so far (its access log)."""
        with open(self.upstream.logf.name, errors="replace") as f:
            return sum(1 for line in f if '"GET /v2/' in line or
                       '"HEAD /v2/' in line)

    def start_targets(self, rnd):
        targets = []
        self.start_upstream(rnd)
        for fe in self.args.frontends:
            try:
                t = Specreg(fe, self.serve_env(fe), self.logdir)
            except TargetError as e:
                log("round %d: %s" % (rnd, e))
                continue
            if t.static:
                os.link(self.static.path, os.path.join(t.www(), "big.bin"))
            targets.append(t)
        if self.args.distribution:
            try:
                targets.append(Distribution(
                    os.path.join(self.rundir, "dist-%d" % rnd),
                    self.logdir, store=self.store))
                if self.upstream is not None:
                    targets[-1].proxy = Distribution(
                        os.path.join(self.rundir, "distproxy-%d" % rnd),
                        self.logdir, remoteurl=self.upstream.url,
                        logname="distribution-proxy.log")
            except TargetError as e:
                log("round %d: %s" % (rnd, e))
        return targets

    def record(self, rnd, target, workload, unit, res, meter=None):
        rec = {"round": rnd, "target": target, "workload": workload,
               "unit": unit, "amount": res.get("amount", 0),
               "seconds": res.get("seconds"), "errors": res.get("errors", [])}
        for k, v in res.items():
            if k not in rec:
                rec[k] = v
        if meter is not None and meter.res is not None:
            rec.update(meter.res)
        secs = rec["seconds"] or 0
        if unit == "B":
            rec["rate"] = rec["amount"] / secs / 1e6 if secs else None
            rec["cpu_per"] = rec["server_cpu"] / (rec["amount"] / 1e9) \
                if "server_cpu" in rec and rec["amount"] else None
        else:
            rec["rate"] = rec["amount"] / secs if secs else None
            rec["cpu_per"] = 1e3 * rec["server_cpu"] / rec["amount"] \
                if "server_cpu" in rec and rec["amount"] else None
        self.records.append(rec)
        self.save()
        status = "ok" if not rec["errors"] else \
            "ERRORS: " + "; ".join(str(e) for e in rec["errors"][:3])
        log("round %d %-22s %-16s %10.1f %s/s  cpu %s  %s" % (
            rnd, target, workload, rec["rate"] or 0,
            "MB" if unit == "B" else "req",
            "%.3f" % rec["cpu_per"] if rec.get("cpu_per") else "-",
            status))

    def save(self):
        with open(os.path.join(self.args.out, "records.json"), "w") as f:
            json.dump({"meta": self.meta, "records": self.records}, f,
                      indent=1)

    def ceilings(self, rnd, targets):
        cfg = self.cfg
        v = ceiling_sha256(cfg)
        self.record(rnd, "machine", "ceil_sha256", "B",
                    {"amount": v * 1e6 if v else 0, "seconds": 1.0,
                     "errors": [] if v else ["openssl speed failed"]})
        v = ceiling_dd(self.work, cfg)
        self.record(rnd, "machine", "ceil_dd_fdatasync", "B",
                    {"amount": v * 1e6 if v else 0, "seconds": 1.0,
                     "errors": [] if v else ["dd failed"]})
        for t in targets:
            if not t.static:
                continue
            self.quiesce()
            m = Meter(t)
            res = load.wrk(t.url + "/small.txt", m, 2, cfg["req_conns"],
                           cfg["req_secs"])
            self.record(rnd, t.name, "ceil_static_small", "req", res, m)
            self.quiesce()
            m = Meter(t)
            res = load.w_pull(t.url, self.static, m, None, cfg["pull_conc"],
                              path_of=lambda b: "/big.bin")
            self.record(rnd, t.name, "ceil_static_big", "B", res, m)

    def ceil_fcgi(self, rnd, t):
        """The front end's FastCGI ceiling: bench/fcgi-ceiling sends as
        many bytes as pull_nosendfile, from memory, in 64 KiB records."""
        self.quiesce()
        m = Meter(t)
        res = load.w_pull(t.url, self.data, m, None, self.cfg["pull_conc"],
                          path_of=lambda b: "/v2/ceiling/%d" % b[1],
                          check=False)
        self.record(rnd, t.name, "ceil_fcgi", "B", res, m)

    @staticmethod
    def quiesce():
        os.sync()
        time.sleep(0.3)

    def workload(self, rnd, t, w):
        cfg, data = self.cfg, self.data
        self.quiesce()
        if w in PROXY_WORKLOADS:
            self.record(rnd, t.name, w, "req", *self.proxy_workload(t, w))
            return
        m = Meter(t, self.store)
        unit = "B"
        if w in ("push_mono", "push_chunked"):
            res = load.w_push_large(t.url, data, m, "bench/large",
                                    cfg["push_conc"], w == "push_chunked")
        elif w in CHUNKS:
            blobs = data.blobs if w == "push_chunks_5m" else data.chunky
            res = load.w_push_chunks(t.url, blobs, data.path, m,
                                     "bench/" + w[5:], cfg["push_conc"],
                                     CHUNKS[w])
        elif w in ("pull", "pull_nosendfile"):
            res = load.w_pull(t.url, data, m, "bench/large",
                              cfg["pull_conc"])
        elif w == "pull_redirect":
            unit = "req"
            path = "/v2/bench/large/blobs/" + data.blobs[0][2]
            res = self.check_then(t, path, {}, 307)
            if not res["errors"]:
                res = load.wrk(t.url + path, m, 2, cfg["req_conns"],
                               cfg["req_secs"])
        elif w == "push_small":
            unit = "req"
            res = load.w_push_small(t.url, data, m, "bench/small",
                                    cfg["small_conc"])
        elif w == "manifest_put":
            unit = "req"
            res = load.w_manifest_put(t.url, data, m, "bench/man",
                                      cfg["mput_n"], cfg["mput_conc"])
            self.manifests[t.name] = res.get("manifest_digest")
        elif w == "manifest_get":
            unit = "req"
            res = self.check_then(t, "/v2/bench/man/manifests/t0",
                                  {"Accept": load.OCI_MANIFEST}, 200,
                                  digest=self.manifests.get(t.name))
            if not res["errors"]:
                res = load.wrk(t.url + "/v2/bench/man/manifests/t0", m, 2,
                               cfg["req_conns"], cfg["req_secs"],
                               ["Accept: " + load.OCI_MANIFEST])
        elif w == "tags_list":
            unit = "req"
            res = self.check_then(t, "/v2/bench/man/tags/list", {}, 200,
                                  tags=cfg["mput_n"])
            if not res["errors"]:
                res = load.wrk(t.url + "/v2/bench/man/tags/list", m, 2,
                               cfg["req_conns"], cfg["req_secs"])
        elif w == "blob_head":
            unit = "req"
            path = "/v2/bench/large/blobs/" + data.blobs[0][2]
            res = self.check_then(t, path, {}, 200, method="HEAD")
            if not res["errors"]:
                res = load.ab_head(t.url + path, m, cfg["req_conns"],
                                   cfg["req_secs"],
                                   os.path.join(self.work, "ab.csv"))
        elif w in ("race_same", "race_repos"):
            n = cfg["race_n"]
            repos = ["bench/race"] * n if w == "race_same" else \
                ["bench/race%d" % i for i in range(n)]
            res = load.w_race(t.url, data, m, repos)
        elif w in ("skopeo_push", "skopeo_pull"):
            res = w_skopeo(t, m, self.work, self.oci, w == "skopeo_push")
        elif w in ("catalog_first", "catalog_mid"):
            unit = "req"
            n = cfg["catalog_repos"]
            catalog_tree(t, n)
            path = "/v2/_catalog?n=100"
            if w == "catalog_mid":
                path += "&last=" + CATALOG_NAME % (n // 2)
            # Every worker once (twice the pool): the steady state.
            res = catalog_check(t, path, n, 2 * self.args.workers)
            # One client: the time of a page, not of a queue of them.
            if not res["errors"]:
                res = load.wrk(t.url + path, m, 1, 1, cfg["req_secs"])
        else:
            raise ValueError(w)
        if self.store is not None:
            time.sleep(0.5)     # the store writes its log after answering
            res["store_requests"] = self.store.requests(t.bucket,
                                                        m.store_mark)
        if not res["errors"] and (w in CHUNKS or w in ("push_mono",
                                                       "push_chunked")):
            blobs = data.chunky if w == "push_chunks_64k" else data.blobs
            res["errors"] = load.verify_blobs(
                t.url, "bench/" + (w[5:] if w in CHUNKS else "large"),
                blobs)
        self.record(rnd, t.name, w, unit, res, m)

    def proxy_workload(self, t, w):
        """A pull by tag of what the upstream holds, served from the
        cache: specreg with [upstream], distribution in proxy mode.  One
        pull (the manifest with a client's Accept, then its blobs)
        warms it; then the manifest GET at the rate of manifest_get.
        The upstream's requests during the run are counted."""
        pt, path = t, "/v2/%s/%s" % (PROXY_HOST, PROXY_REPO)
        if t.kind == "distribution":
            pt, path = t.proxy, "/v2/%s" % PROXY_REPO
        m = Meter(pt) if pt is not None else None
        if pt is None or self.upstream is None:
            return {"errors": ["no upstream or no proxy"], "amount": 0,
                    "seconds": 0}, m
        url = pt.url + path + "/manifests/" + PROXY_TAG
        res = self.check_then(pt, path + "/manifests/" + PROXY_TAG,
                              {"Accept": PULL_ACCEPT}, 200)
        for d in self.upstream.blobs:
            if not res["errors"]:
                res = self.check_then(pt, path + "/blobs/" + d, {}, 200)
        if res["errors"]:
            return res, m
        n0 = self.upstream_requests()
        res = load.wrk(url, m, 2, self.cfg["req_conns"],
                       self.cfg["req_secs"], ["Accept: " + PULL_ACCEPT])
        time.sleep(0.5)         # the access log is written after the answer
        res["upstream_requests"] = self.upstream_requests() - n0
        return res, m

    @staticmethod
    def check_then(t, path, headers, want, method="GET", tags=None,
                   digest=None):
        """One request by hand before the load tool hammers it; with
        digest, the body and its Docker-Content-Digest must be that."""
        conn = load.Conn(t.url)
        errors = []
        try:
            st, h, b = conn.request(method, path, headers=headers)
            if st != want:
                errors.append("%s %s: %d %s" % (method, path, st, b[:200]))
            elif tags is not None and \
                    len(json.loads(b).get("tags") or []) != tags:
                errors.append("tags/list: %d tags, not %d" %
                              (len(json.loads(b).get("tags") or []), tags))
            elif digest is not None and (
                    h.get("docker-content-digest") != digest or
                    "sha256:" + hashlib.sha256(b).hexdigest() != digest):
                errors.append("%s %s: digest %s, body sha256:%s, not %s" %
                              (method, path, h.get("docker-content-digest"),
                               hashlib.sha256(b).hexdigest(), digest))
        except Exception as e:          # noqa: BLE001 - report it
            errors.append("%s %s: %r" % (method, path, e))
        conn.close()
        return {"errors": errors, "amount": 0, "seconds": 0}

    def round(self, rnd):
        if not any(self.wants(w) for w in WORKLOADS
                   if w not in SWIFT_WORKLOADS):
            self.swift_round(rnd)
            return
        log("round %d: starting registries" % rnd)
        targets = self.start_targets(rnd)
        try:
            if self.args.ceilings:
                self.ceilings(rnd, targets)
            ws = [w for w in WORKLOADS if self.wants(w) and
                  w != "pull_nosendfile" and w not in SWIFT_WORKLOADS]
            for i, w in enumerate(ws):
                k = (rnd + i) % len(targets)
                order = targets[k:] + targets[:k]
                for t in order:
                    if t.workloads is None or w in t.workloads:
                        self.workload(rnd, t, w)
            if self.wants("pull_nosendfile"):
                for t in targets:
                    if t.kind == "specreg" and t.workloads is None:
                        t.restart("off")
                        self.workload(rnd, t, "pull_nosendfile")
                        if self.args.probe and self.args.ceilings:
                            t.probe(self.args.probe)
                            self.ceil_fcgi(rnd, t)
        finally:
            for t in targets:
                t.stop()
                log("round %d: stopped %s" % (rnd, t.name))
            if self.upstream is not None:
                self.upstream.stop()
                self.upstream = None
        self.swift_round(rnd)

    def swift_round(self, rnd):
        """The object-storage workloads on a fresh Swift: specreg on it
        behind SWIFT_FRONTEND and distribution's swift driver."""
        ws = [w for w in SWIFT_WORKLOADS if self.wants(w)]
        if not ws:
            return
        log("round %d: starting Swift (%d workers)" % (
            rnd, self.args.swift_workers))
        store = SwiftStore(os.path.join(self.rundir, "swift-%d" % rnd),
                           self.logdir, self.args.swift_workers)
        targets = []
        try:
            env = self.serve_env(SWIFT_FRONTEND)
            env.update(SPECREG_STORAGE="swift",
                       SPECREG_SWIFT_AUTH=store.auth, SPECREG_SENDFILE="off",
                       SPECREG_INI_EXTRA="[registry]\nredirect = yes")
            t = Specreg(SWIFT_FRONTEND, env, self.logdir)
            t.name, t.static = SWIFT_TARGET, False
            targets.append(t)
            if self.args.distribution:
                for redirect in (True, False):
                    targets.append(DistributionSwift(
                        os.path.join(self.rundir, "dist-swift-%d-%d" % (
                            rnd, redirect)), self.logdir, store.auth,
                        redirect))
            if self.args.ceilings and ("swift_push" in ws or
                                       "swift_pull" in ws):
                self.swift_ceilings(rnd, store)
            for i, w in enumerate(ws):
                k = (rnd + i) % len(targets)
                for t in targets[k:] + targets[:k]:
                    if t.workloads is None or w in t.workloads:
                        self.swift_workload(rnd, t, w)
        except TargetError as e:
            log("round %d: %s" % (rnd, e))
        finally:
            for t in targets:
                t.stop()
                log("round %d: stopped %s" % (rnd, t.name))
            store.stop()

    def swift_ceilings(self, rnd, store):
        """Swift's own rate for the large blobs, PUT and GET straight to
        the proxy by the same clients: what swift_push and swift_pull
        are a fraction of."""
        req = urllib.request.Request(store.auth, headers={
            "X-Auth-User": "test:tester", "X-Auth-Key": "testing"})
        with urllib.request.urlopen(req) as r:
            token = r.headers["X-Auth-Token"]
            surl = r.headers["X-Storage-Url"]
        path = urllib.parse.urlsplit(surl).path + "/bench-ceiling"
        u = urllib.parse.urlsplit(surl)
        base = "%s://%s" % (u.scheme, u.netloc)
        req = urllib.request.Request(base + path, method="PUT", headers={
            "X-Auth-Token": token, "X-Container-Read": ".r:*"})
        urllib.request.urlopen(req).close()
        for method, w in (("PUT", "ceil_swift_put"),
                          ("GET", "ceil_swift_get")):
            self.quiesce()
            res = load.w_swift_direct(base, token, self.data, NullMeter(),
                                      path, self.cfg["push_conc"], method)
            self.record(rnd, "machine", w, "B", res)

    def swift_workload(self, rnd, t, w):
        cfg, data = self.cfg, self.data
        self.quiesce()
        m = Meter(t)
        unit = "req"
        if w == "swift_push":
            unit = "B"
            res = load.w_push_large(t.url, data, m, "bench/large",
                                    cfg["push_conc"], False)
        elif w == "swift_pull":
            unit = "B"
            res = load.w_pull(t.url, data, m, "bench/large",
                              cfg["pull_conc"])
        elif w == "swift_push_small":
            # Fewer than push_small: distribution takes about a second
            # for one on Swift.
            few = types.SimpleNamespace(
                small=data.small[:cfg["swift_small_n"]])
            res = load.w_push_small(t.url, few, m, "bench/small",
                                    cfg["small_conc"])
        elif w == "swift_manifest_put":
            res = load.w_manifest_put(t.url, data, m, "bench/man",
                                      cfg["swift_mput_n"], cfg["mput_conc"])
        elif w == "swift_manifest_get":
            res = self.check_then(t, "/v2/bench/man/manifests/t0",
                                  {"Accept": load.OCI_MANIFEST}, 200)
            if not res["errors"]:
                res = load.wrk(t.url + "/v2/bench/man/manifests/t0", m, 2,
                               cfg["req_conns"], cfg["req_secs"],
                               ["Accept: " + load.OCI_MANIFEST])
        else:
            raise ValueError(w)
        self.record(rnd, t.name, w, unit, res, m)

    def main(self):
        if self.args.store != "filesystem":
            self.store = Store(self.args.store, self.work, self.logdir)
        try:
            for rnd in range(1, self.cfg["rounds"] + 1):
                self.round(rnd)
        finally:
            if self.store is not None:
                self.store.stop()
        self.meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        self.save()


def versions(specreg):
    def first(cmd, pat=None):
        try:
            p = run(cmd)
        except OSError:
            return None
        out = (p.stdout + p.stderr).strip().splitlines()
        for line in out:
            if pat is None or pat in line:
                return line.strip()
        return None

    def deb(pkg):
        p = run(["dpkg-query", "-W", "-f=${Version}", pkg]) \
            if shutil.which("dpkg-query") else None
        return p.stdout.strip() if p and p.returncode == 0 else None

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    git = run(["git", "-C", SRC, "describe", "--always", "--dirty"])
    if os.environ.get("SPECREG_BENCH_REV"):
        git = subprocess.CompletedProcess([], 0, os.environ[
            "SPECREG_BENCH_REV"] + " (--rev)", "")
    return {
        "machine": "%d vCPU %s, %.1f GiB RAM, kernel %s" % (
            os.cpu_count(), cpu, mem, platform.release()),
        "os": first(["sh", "-c", ". /etc/os-release && "
                     "echo \"$PRETTY_NAME\""]),
        "specreg": first([specreg, "-V"]),
        "specreg_git": git.stdout.strip() if git.returncode == 0 else None,
        "distribution": first(["docker-registry", "--version"]),
        "lighttpd": first(["lighttpd", "-v"]),
        "nginx": first(["nginx", "-v"]),
        "apache2": first(["apache2", "-v"], "version"),
        "mod_fcgid": deb("libapache2-mod-fcgid"),
        "skopeo": first(["skopeo", "--version"]),
        "wrk": first(["wrk", "-v"]),
        "ab": first(["ab", "-V"], "Version"),
        "openssl": first(["openssl", "version"]),
        "python": platform.python_version(),
        "cc": first(["cc", "--version"]),
        "load": os.getloadavg()[0],
    }


def parse_args():
    ap = argparse.ArgumentParser(prog="bench/run")
    ap.add_argument("--quick", action="store_true",
                    help="a small subset (CI): one round, small sizes")
    ap.add_argument("--specreg", required=True, help="the binary")
    ap.add_argument("--work", required=True, help="scratch directory")
    ap.add_argument("--out", help="results directory")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--frontends",
                    help="comma-separated: lighttpd, nginx, apache-fcgid, "
                    "apache-proxy, and the variants " + ", ".join(VARIANTS))
    ap.add_argument("--workloads", help="comma-separated subset of " +
                    ",".join(WORKLOADS))
    ap.add_argument("--probe", help="bench/fcgi-ceiling, built: the "
                    "FastCGI ceiling next to pull_nosendfile")
    ap.add_argument("--req-secs", type=int,
                    help="seconds of each request-rate workload "
                    "(full: 10, quick: 2)")
    ap.add_argument("--workers", type=int, default=16,
                    help="specreg's pool size (default 16)")
    ap.add_argument("--swift-workers", type=int, default=2,
                    help="SAIO_WORKERS of the bench's Swift (swift_* "
                    "workloads; default 2)")
    ap.add_argument("--no-distribution", dest="distribution",
                    action="store_false")
    ap.add_argument("--store", default="filesystem",
                    choices=("filesystem", "radosgw", "swift-s3", "swift"),
                    help="where every registry keeps its blobs: the "
                    "filesystem (default), or a store started for the "
                    "run: Ceph's radosgw or Swift's s3api through S3, "
                    "Swift through its own API; then only the workloads "
                    + ",".join(STORE_WORKLOADS) + " by default")
    ap.add_argument("--no-chart", action="store_true")
    ap.add_argument("--no-ceilings", dest="ceilings", action="store_false",
                    help="skip the ceilings (experiments only)")
    ap.add_argument("--report-only", metavar="RECORDS_JSON",
                    help="redo results.txt and the chart from a run")
    return ap.parse_args()


def main():
    args = parse_args()
    if args.report_only:
        with open(args.report_only) as f:
            saved = json.load(f)
        out = args.out or os.path.dirname(os.path.abspath(args.report_only))
        os.makedirs(out, exist_ok=True)
        report.write(out, saved["meta"], saved["records"],
                     chart=not args.no_chart)
        return 0
    cfg = dict(QUICK if args.quick else FULL)
    if args.rounds:
        cfg["rounds"] = args.rounds
    if args.req_secs:
        cfg["req_secs"] = args.req_secs
    args.frontends = [f for f in (cfg["frontends"] if args.frontends is None
                                  else args.frontends).split(",") if f]
    args.workloads = args.workloads.split(",") if args.workloads else \
        (list(STORE_WORKLOADS) if args.store != "filesystem" else
         [w for w in WORKLOADS if w not in CHUNKS and
          w != "pull_redirect" and
          not (args.quick and w in SWIFT_WORKLOADS)])
    if not shutil.which("skopeo"):
        log("skopeo is not installed: no skopeo workloads")
        args.workloads = [w for w in args.workloads
                          if not w.startswith("skopeo")]
    if "pull_nosendfile" in args.workloads:
        # It GETs the blobs push_mono leaves, and is compared with
        # distribution's pull.
        for w in ("push_mono", "pull"):
            if w not in args.workloads:
                args.workloads.insert(0, w)
    bad = [w for w in args.workloads if w not in WORKLOADS]
    if bad:
        log("unknown workloads: %s" % ",".join(bad))
        return 2
    stamp = time.strftime("%Y-%m-%d-%H%M")
    if not args.out:
        args.out = os.path.join(SRC, "bench", "results", stamp) \
            if not args.quick else os.path.join(args.work, "quick-" + stamp)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    os.chmod(args.work, 0o755)
    b = Bench(args, cfg)
    b.meta = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "quick": args.quick, "config": cfg, "store": args.store,
              "frontends": args.frontends, "workers": args.workers,
              "workloads": args.workloads, "versions": versions(args.specreg)}
    b.main()
    failed = report.write(args.out, b.meta, b.records,
                          chart=not args.no_chart)
    log("results in %s" % args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
