"""bench/report.py: results.txt, summary.json and the chart of a run.

Figures are medians over rounds with [min..max].  Ratios against
distribution are taken inside each round (specreg and distribution ran
minutes apart under the same noise) and then their median is reported.
"""

import json
import os
import shutil
import statistics
import subprocess

DIST = "distribution"


def is_dist(target):
    """distribution, or a variant of it (distribution-noredirect), which
    is shown but compared with nothing."""
    return target.startswith(DIST)

# Workload: (description, what "rate" is, unit of cpu_per, ceiling).
INFO = {
    "push_mono": ("push %(blob_n)d x %(blob_mib)d MiB, %(push_conc)d "
                  "clients: POST, PUT ?digest= with the body (sendfile)",
                  "MB/s", "s/GB", "push"),
    "push_chunked": ("the same blobs: POST, one PATCH with "
                     "Transfer-Encoding: chunked (16 MiB frames), PUT",
                     "MB/s", "s/GB", "push"),
    "push_chunks_5m": ("the same blobs in 5 MiB PATCHes with "
                       "Content-Range, then PUT", "MB/s", "s/GB", "push"),
    "push_chunks_64k": ("%(chunky_n)d x %(chunky_mib)s MiB in 64 KiB "
                        "PATCHes with Content-Range, then PUT", "MB/s",
                        "s/GB", "push"),
    "pull": ("GET those blobs, %(pull_conc)d clients; specreg hands them "
             "to the web server (X-Sendfile / X-Accel-Redirect)",
             "MB/s", "s/GB", "big"),
    "pull_redirect": ("on a store: GET the first of them without following "
                      "the 307 (the registry's part of a pull): wrk -t2 "
                      "-c%(req_conns)d -d%(req_secs)ds", "req/s", "ms/req",
                      None),
    "pull_nosendfile": ("the same GETs with [registry] sendfile = off: "
                        "specreg streams the file through FastCGI",
                        "MB/s", "s/GB", "big"),
    "push_small": ("push %(small_n)d x %(small_kib)d KiB blobs, "
                   "%(small_conc)d client processes, POST + PUT each",
                   "blobs/s", "ms/blob", "small"),
    "manifest_put": ("PUT %(mput_n)d distinct OCI manifests to as many tags, "
                     "%(mput_conc)d client processes", "req/s", "ms/req",
                     "small"),
    "manifest_get": ("GET a manifest by tag: wrk -t2 -c%(req_conns)d "
                     "-d%(req_secs)ds, with Accept", "req/s", "ms/req",
                     "small"),
    "tags_list": ("GET tags/list (%(mput_n)d tags): wrk -t2 "
                  "-c%(req_conns)d -d%(req_secs)ds", "req/s", "ms/req",
                  "small"),
    "blob_head": ("HEAD a blob: ab -i -k -c%(req_conns)d -t%(req_secs)d",
                  "req/s", "ms/req", "small"),
    "race_same": ("%(race_n)d clients PUT the same %(race_mib)d MiB blob "
                  "into one repository at once; HEAD polled meanwhile",
                  "MB/s", "s/GB", "push"),
    "race_repos": ("the same, into %(race_n)d repositories", "MB/s",
                   "s/GB", "push"),
    "skopeo_push": ("skopeo copy oci: -> docker:// (%(oci_layers)d layers "
                    "of %(oci_mib)d MiB), private blob-info cache",
                    "MB/s", "s/GB", None),
    "skopeo_pull": ("skopeo copy docker:// -> a new oci: directory",
                    "MB/s", "s/GB", None),
    "catalog_first": ("GET /v2/_catalog?n=100 with %(catalog_repos)d "
                      "repositories (made in the storage directly): wrk "
                      "-t1 -c1 -d%(req_secs)ds", "req/s", "ms/req",
                      "small"),
    "catalog_mid": ("the same with a last= in the middle", "req/s",
                    "ms/req", "small"),
    "proxy_manifest_get": ("pull-through: GET by tag (a client's Accept) "
                           "of what an upstream distribution holds, "
                           "after one pull; specreg [upstream] tag-ttl "
                           "1 day, distribution proxy.remoteurl: wrk "
                           "-t2 -c%(req_conns)d -d%(req_secs)ds",
                           "req/s", "ms/req", "small"),
    # issue 12: specreg on Swift against distribution's swift driver
    "swift_push": ("on one Swift: push %(blob_n)d x %(blob_mib)d MiB, "
                   "%(push_conc)d clients, POST + PUT with the body",
                   "MB/s", "s/GB", "swift_put"),
    "swift_pull": ("on Swift: GET those blobs, %(pull_conc)d clients, "
                   "following the 307 to Swift's TempURL (specreg "
                   "redirect = yes; distribution's default)", "MB/s",
                   "s/GB", "swift_get"),
    "swift_push_small": ("on Swift: push %(swift_small_n)d x "
                         "%(small_kib)d KiB blobs, %(small_conc)d client "
                         "processes",
                         "blobs/s", "ms/blob", None),
    "swift_manifest_put": ("on Swift: PUT %(swift_mput_n)d OCI manifests, "
                           "%(mput_conc)d client processes", "req/s",
                           "ms/req", None),
    "swift_manifest_get": ("on Swift: GET a manifest by tag: wrk -t2 "
                           "-c%(req_conns)d -d%(req_secs)ds", "req/s",
                           "ms/req", None),
}
ORDER = list(INFO)

# The issue's goals: (workload, on what, op, goal, fronts or None = all).
GOALS = [
    ("manifest_get", "rate", ">=", 5.0, None),
    # issue 15: a cached pull by tag against distribution's proxy mode
    ("proxy_manifest_get", "rate", ">=", 5.0, None),
    ("blob_head", "rate", ">=", 5.0, None),
    ("push_small", "rate", ">=", 3.0, None),
    ("manifest_put", "rate", ">=", 2.0, None),
    ("pull", "rate", ">=", 1.5, None),
    # "at about half distribution's CPU per GB"
    ("pull", "cpu", "<=", 0.6, None),
    ("push_mono", "rate", ">=", 1.5, ["nginx"]),
    ("push_chunked", "rate", ">=", 1.5, ["nginx"]),
    ("push_mono", "rate", ">=", 1.0, ["lighttpd"]),
    ("push_chunked", "rate", ">=", 1.0, ["lighttpd"]),
    ("push_mono", "cpu", "<=", 0.7, None),
    ("push_chunked", "cpu", "<=", 0.7, None),
    # issue 17: specreg streaming the bytes itself (sendfile off)
    ("pull_nosendfile", "rate", ">=", 1.0, ["lighttpd", "nginx"]),
    ("pull_nosendfile", "cpu", "<=", 1.0, ["lighttpd", "nginx"]),
    ("pull_nosendfile", "probe", ">=", 0.8, ["lighttpd", "nginx"]),
    # issue 12: on Swift
    ("swift_push", "rate", ">=", 1.5, None),
    ("swift_pull", "rate", ">=", 2.0, None),
    ("swift_push_small", "rate", ">=", 2.0, None),
    ("swift_manifest_put", "rate", ">=", 2.0, None),
    ("swift_manifest_get", "rate", ">=", 2.0, None),
]
# issue 13: on an object store (--store), against distribution's own
# driver on the same store: every push, pull with redirects, small
# blobs and manifests.
STORE_GOALS = [
    ("push_mono", "rate", ">=", 1.5, None),
    ("push_chunked", "rate", ">=", 1.5, None),
    ("push_chunks_5m", "rate", ">=", 1.5, None),
    ("push_chunks_64k", "rate", ">=", 1.5, None),
    ("pull", "rate", ">=", 2.0, None),
    ("push_small", "rate", ">=", 2.0, None),
    ("manifest_put", "rate", ">=", 2.0, None),
    ("manifest_get", "rate", ">=", 2.0, None),
]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    if len(xs) == 1:
        return fmt(xs[0])
    return "%s [%s..%s]" % (fmt(statistics.median(xs)), fmt(min(xs)),
                            fmt(max(xs)))


def fmt(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    if abs(x) >= 1:
        return "%.2f" % x
    return "%.3f" % x


class Runs:
    def __init__(self, records, cfg):
        self.recs = records
        self.big = "%d MiB" % (cfg["blob_size"] >> 20)
        self.by = {}
        for r in records:
            self.by.setdefault((r["target"], r["workload"]), []).append(r)

    def get(self, target, workload):
        return self.by.get((target, workload), [])

    def value(self, target, workload, rnd, key="rate"):
        for r in self.get(target, workload):
            if r["round"] == rnd and not r["errors"]:
                return r.get(key)
        return None

    def targets(self):
        seen = []
        for r in self.recs:
            if r["target"] != "machine" and r["target"] not in seen:
                seen.append(r["target"])
        return seen


def ratios(runs, target, workload, key, base_workload=None):
    out = []
    for r in runs.get(target, workload):
        if r["errors"]:
            continue
        d = runs.value(DIST, base_workload or workload, r["round"], key)
        if r.get(key) and d:
            out.append(r[key] / d)
    return out


def ceiling_for(runs, target, kind, rnd):
    """(name, value) of the ceiling a result is a fraction of."""
    if kind == "push":
        return "sha256", runs.value("machine", "ceil_sha256", rnd)
    if kind in ("swift_put", "swift_get"):
        return "Swift %s" % kind[6:].upper(), \
            runs.value("machine", "ceil_" + kind, rnd)
    front = target if target != DIST else "specreg+lighttpd"
    w = {"big": "ceil_static_big", "small": "ceil_static_small"}[kind]
    v = runs.value(front, w, rnd)
    if v is None:
        for t in runs.targets():
            v = runs.value(t, w, rnd)
            if v is not None:
                front = t
                break
    return "%s static %s" % (front.replace("specreg+", ""),
                             runs.big + " GET" if kind == "big" else
                             "512 B GET"
                             ), v


def fractions(runs, target, workload):
    kind = INFO[workload][3]
    if kind is None:
        return ""
    parts = {}
    for r in runs.get(target, workload):
        if r["errors"] or not r.get("rate"):
            continue
        rate = r["rate"] if INFO[workload][1] != "blobs/s" else \
            2 * r["rate"]
        name, c = ceiling_for(runs, target, kind, r["round"])
        if c:
            parts.setdefault(name, []).append(rate / c)
        if kind == "push":
            dd = runs.value("machine", "ceil_dd_fdatasync", r["round"])
            if dd:
                parts.setdefault("dd", []).append(rate / dd)
    if workload == "pull_nosendfile" and probe_fractions(runs, target,
                                                          workload):
        parts["FastCGI probe"] = probe_fractions(runs, target, workload)
    return ", ".join("%.0f%% %s" % (100 * med(v), k)
                     for k, v in parts.items())


def per_unit(r, secs):
    if not r.get("amount") or secs is None:
        return None
    if r.get("unit") == "B":
        return secs / (r["amount"] / 1e9)
    return 1e3 * secs / r["amount"]


def split(ok):
    """Median web-server and registry CPU per unit, "web+app"."""
    f = med([per_unit(r, r["cpu_split"]["front"]) for r in ok
             if "cpu_split" in r])
    a = med([per_unit(r, r["cpu_split"]["registry"]) for r in ok
             if "cpu_split" in r])
    if not f:
        return fmt(a) if a else "-"
    return "%s+%s" % (fmt(f), fmt(a))


def maxof(ok, key):
    return max((r["rss"][key] for r in ok if "rss" in r and
                r["rss"].get(key) is not None), default=None)


TFMT = "%-18s %-20s %-21s %-21s %-13s %-7s %-16s %-21s %-9s %s"


def table(runs):
    lines = []
    head = TFMT % ("workload", "registry", "rate", "server CPU",
                   "  web+app", "p99 ms", "RSS wrk/web/all",
                   "rate vs distrib.", "CPU vs d", "of ceiling")
    lines.append(head)
    lines.append("-" * len(head))
    for w in ORDER:
        unit, cunit = INFO[w][1], INFO[w][2]
        first = True
        for t in runs.targets():
            rs = runs.get(t, w)
            if not rs:
                continue
            ok = [r for r in rs if not r["errors"]]
            errs = len(rs) - len(ok)
            rss = "%s/%s/%s" % (fmt(maxof(ok, "worker_max")),
                                fmt(maxof(ok, "front_max")),
                                fmt(maxof(ok, "pss_total")))
            base = "pull" if w == "pull_nosendfile" else w
            vs = ratios(runs, t, w, "rate", base) if not is_dist(t) else []
            cvs = ratios(runs, t, w, "cpu_per", base) \
                if not is_dist(t) else []
            lines.append(TFMT % (
                w if first else "", t.replace("specreg+", "specreg/"),
                spread([r.get("rate") for r in ok]) + " " + unit,
                spread([r.get("cpu_per") for r in ok]) + " " + cunit,
                "  " + split(ok), fmt(med([r.get("p99_ms") for r in ok])),
                rss, (spread(vs) + "x") if vs else "",
                (fmt(med(cvs)) + "x") if cvs else "",
                fractions(runs, t, w) +
                ("  (%d run(s) FAILED)" % errs if errs else "")))
            first = False
    return lines


def legend(cfg, store="filesystem"):
    c = dict(cfg, blob_mib=cfg["blob_size"] >> 20,
             small_kib=cfg["small_size"] >> 10,
             race_mib=cfg["race_size"] >> 20, oci_mib=cfg["oci_size"] >> 20)
    c.setdefault("catalog_repos", 10000)
    c.setdefault("swift_small_n", 200)
    c.setdefault("swift_mput_n", 100)
    c["chunky_mib"] = "%g" % (c.get("chunky_size", 0) / float(1 << 20))
    # Runs from before the chunked workloads have no chunky_n.
    info = {w: INFO[w][0] for w in ORDER}
    if store != "filesystem":
        info["pull"] = ("GET those blobs, %(pull_conc)d clients, following "
                        "the 307 to the store (specreg redirect = yes; "
                        "distribution's default)")
    return ["  %-18s %s" % (w, info[w] % c) for w in ORDER
            if "chunky_n" in c or not w.startswith("push_chunks_")]


def probe_fractions(runs, target, workload):
    """Rates as fractions of bench/fcgi-ceiling's, round by round."""
    out = []
    for r in runs.get(target, workload):
        c = runs.value(target, "ceil_fcgi", r["round"])
        if not r["errors"] and r.get("rate") and c:
            out.append(r["rate"] / c)
    return out


def goals(runs, table=None):
    lines = ["%-18s %-6s %-8s %-22s %-20s %s" % (
        "workload", "what", "goal", "registry", "measured (median)",
        "verdict")]
    for w, key, op, goal, fronts in table or GOALS:
        for t in runs.targets():
            if is_dist(t) or (fronts and t.replace("specreg+", "") not in
                             fronts):
                continue
            if key == "probe":
                v = med(probe_fractions(runs, t, w))
            else:
                v = med(ratios(runs, t, w, "rate" if key == "rate"
                               else "cpu_per",
                               "pull" if w == "pull_nosendfile" else w))
            if v is None:
                continue
            met = v >= goal if op == ">=" else v <= goal
            lines.append("%-18s %-6s %-8s %-22s %-20s %s" % (
                w, key, "%s %gx" % (op, goal), t, "%.2fx" % v,
                "met" if met else "MISSED"))
    rss = [(r["rss"]["worker_max"], r["target"], r["workload"])
           for r in runs.recs if "rss" in r and not is_dist(r["target"]) and
           r["target"] != "machine" and not r["workload"].startswith("ceil")]
    if rss:
        top = max(rss)
        lines.append("%-18s %-6s %-8s %-22s %-20s %s" % (
            "all", "worker", "< 16 MiB", top[1], "%.1f MiB (%s)" %
            (top[0], top[2]), "met" if top[0] < 16 else "MISSED"))
    return lines


def ops_of(r, cfg):
    """How many operations a record made: blobs pushed or pulled,
    manifests put, requests made."""
    w = r["workload"]
    if w in ("push_mono", "push_chunked", "push_chunks_5m", "pull"):
        return cfg["blob_n"]
    if w == "push_chunks_64k":
        return cfg["chunky_n"]
    return r.get("amount") or None


def store_requests(runs, cfg):
    """The store's requests per operation, by method (its log)."""
    lines = []
    for w in ORDER:
        for t in runs.targets():
            rs = [r for r in runs.get(t, w) if "store_requests" in r and
                  not r["errors"] and ops_of(r, cfg)]
            if not rs:
                continue
            methods = sorted({m for r in rs for m in r["store_requests"]})
            per = ["%s %s" % (m, fmt(med([r["store_requests"].get(m, 0) /
                                          ops_of(r, cfg) for r in rs])))
                   for m in methods]
            total = med([sum(r["store_requests"].values()) / ops_of(r, cfg)
                         for r in rs])
            cpu = med([per_unit(r, r.get("store_cpu")) for r in rs])
            lines.append("  %-18s %-22s %-13s %-8s %s" % (
                w, t.replace("specreg+", "specreg/"),
                fmt(cpu) + " " + INFO[w][2], fmt(total),
                ", ".join(per) or "-"))
    if lines:
        lines.insert(0, "  %-18s %-22s %-13s %-8s %s" % (
            "workload", "registry", "store CPU", "requests",
            "by method (median per blob, manifest or GET)"))
    return lines


def ceilings(runs):
    lines = []
    rows = [("machine", "ceil_sha256",
             "openssl speed -evp sha256, 16 KiB, 1 core", "MB/s"),
            ("machine", "ceil_dd_fdatasync",
             "dd bs=1M conv=fdatasync", "MB/s"),
            ("machine", "ceil_swift_put",
             "Swift: PUT the large blobs straight to it, C=4", "MB/s"),
            ("machine", "ceil_swift_get",
             "Swift: GET them straight from it, C=4", "MB/s")]
    for t in runs.targets():
        rows.append((t, "ceil_static_small", "%s: static 512 B GET, wrk -c32"
                     % t.replace("specreg+", ""), "req/s"))
        rows.append((t, "ceil_static_big", "%s: static %s GET, C=4" %
                     (t.replace("specreg+", ""), runs.big), "MB/s"))
        rows.append((t, "ceil_fcgi", "%s: FastCGI probe, 64 KiB records, C=4"
                     % t.replace("specreg+", ""), "MB/s"))
    for t, w, label, unit in rows:
        rs = [r for r in runs.get(t, w) if not r["errors"]]
        if rs:
            cpu = [r.get("cpu_per") for r in rs if r.get("cpu_per")]
            lines.append("  %-48s %s %s%s" % (label, spread(
                [r["rate"] for r in rs]), unit,
                ", %s s/GB (%s)" % (spread(cpu), split(rs))
                if w == "ceil_fcgi" and cpu else ""))
    return lines


def noise(runs):
    other = [r.get("other_cpu") for r in runs.recs if "other_cpu" in r]
    wall = [r.get("wall") for r in runs.recs if "wall" in r]
    if not other:
        return []
    return ["CPU used by other processes during the measured parts: "
            "%.0f s of %.0f s wall (median %.2f s per run); "
            "see records.json (other_cpu) per run." %
            (sum(other), sum(wall), med(other))]


def header(meta):
    v = meta["versions"]
    cfg = meta["config"]
    out = ["specreg benchmark: specreg (FastCGI, behind each front end) "
           "against CNCF distribution",
           "",
           "Started   %s, finished %s%s" % (meta["started"],
                                            meta.get("finished", "?"),
                                            " (QUICK subset)"
                                            if meta["quick"] else ""),
           "Machine   %s; %s; load average %.1f at start" % (
               v["machine"], v["os"], v["load"]),
           "specreg   %s (git %s), release build (-O2), %d pre-forked "
           "workers, Unix socket" % (v["specreg"], v["specreg_git"],
                                     meta["workers"]),
           "Servers   %s; %s; %s; mod_fcgid %s; distribution: %s" % (
               v["lighttpd"], v["nginx"], v["apache2"], v["mod_fcgid"],
               v["distribution"]),
           "Clients   Python %s (http.client, sendfile, recv_into 1 MiB); "
           "%s; %s; %s" % (v["python"], v["wrk"], v["ab"], v["skopeo"]),
           "Rounds    %d; each round starts every registry afresh, then runs "
           "each workload on all of them in a rotating order." %
           cfg["rounds"],
           "Store     %s" % {
               "filesystem": "the filesystem (one disk for all)",
               "radosgw": "one Ceph radosgw for all (tests/ceph/ceph-aio.sh), "
               "through S3: distribution's s3-aws driver, a bucket each",
               "swift-s3": "one Swift's s3api for all (tests/swift/saio.sh), "
               "through S3: distribution's s3-aws driver, a bucket each",
               "swift": "one Swift for all (tests/swift/saio.sh), through "
               "its own API: distribution's swift driver, a container each",
           }.get(meta.get("store", "filesystem")),
           "",
           "",
           "rate: median [min..max] over rounds; MB = 10^6 B, GB = 10^9 B.",
           "server CPU: utime+stime, reaped children included, of the "
           "registry's and its web server's processes,",
           "  per GB or per request/blob; web+app splits it between the web "
           "server and specreg (pool and workers).",
           "p99: client-side latency (wrk, ab, or the Python clients).",
           "RSS: peak VmHWM (MiB) of the largest registry worker (for "
           "distribution: its one process) / the largest",
           "  web-server process; all = the largest sum of PSS over every "
           "process during the run.",
           "vs distribution: the ratio inside each round (median [min..max]);"
           " CPU vs d: the same for server CPU per unit.",
           "of ceiling: the rate as a fraction of a ceiling measured in the "
           "same round (small-request rates count requests)."]
    return out


def make_chart(out, runs, meta):
    """bars: throughput ratio and CPU ratio against distribution."""
    if not shutil.which("gnuplot"):
        return []
    fronts = [t for t in runs.targets() if not is_dist(t)]
    ws = [w for w in ORDER if any(ratios(runs, t, w, "rate", "pull" if
                                         w == "pull_nosendfile" else w)
                                  for t in fronts)]
    if not ws or not fronts:
        return []
    dat = os.path.join(out, "chart.dat")
    with open(dat, "w") as f:
        for key in ("rate", "cpu_per"):
            f.write("workload %s\n" % " ".join(
                t.replace("specreg+", "") for t in fronts))
            for w in ws:
                base = "pull" if w == "pull_nosendfile" else w
                f.write("%s %s\n" % (w, " ".join(
                    "%.4f" % med(ratios(runs, t, w, key, base))
                    if ratios(runs, t, w, key, base) else "NaN"
                    for t in fronts)))
            f.write("\n\n")
    v = meta["versions"]
    title = ("specreg behind each web server against CNCF distribution "
             "2.8.2: median of per-round ratios, %d round(s), %s, %s" %
             (meta["config"]["rounds"], meta["started"][:10],
              v["machine"].split(",")[0]))
    gp = """
%(terminal)s
set output '%(file)s'
set multiplot layout 2,1 title "%(title)s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by 30 right nomirror noenhanced
set bmargin 6
set key top left noenhanced
set grid ytics
set logscale y 2
set yrange [0.0625:128]
set ytics ("1/16" 0.0625, "1/8" 0.125, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4, "8" 8, "16" 16, "32" 32, "64" 64, "128" 128)
set ylabel "rate, specreg / distribution (higher is better)"
plot for [i=2:%(n)d] '%(dat)s' index 0 using i:xtic(1) title columnheader(i), 1 with lines lc rgb "black" lw 2 notitle
unset key
set ylabel "server CPU per GB or request, specreg / distribution (lower is better)" offset 0,-2
set yrange [0.03125:8]
set ytics ("1/32" 0.03125, "1/16" 0.0625, "1/8" 0.125, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4, "8" 8)
plot for [i=2:%(n)d] '%(dat)s' index 1 using i:xtic(1) title columnheader(i), 1 with lines lc rgb "black" lw 2 notitle
unset multiplot
"""
    made = []
    for ext, term in (("svg", 'set terminal svg size 1100,900 dynamic '
                       'font "sans,11" background "white"'),
                      ("png", 'set terminal pngcairo size 1100,900 '
                       'font "sans,10" background "white"')):
        path = os.path.join(out, "results." + ext)
        p = subprocess.run(["gnuplot"], input=gp % {
            "terminal": term, "file": path, "title": title,
            "n": len(fronts) + 1, "dat": dat}, text=True,
            capture_output=True)
        if p.returncode == 0:
            made.append(path)
        else:
            print("gnuplot (%s) failed: %s" % (ext, p.stderr.strip()))
    return made


def write(out, meta, records, chart=True):
    runs = Runs(records, meta["config"])
    lines = header(meta)
    lines += ["", "Workloads (same Python/wrk/ab/skopeo clients for every "
              "registry)"]
    lines += legend(meta["config"], meta.get("store", "filesystem"))
    lines += ["", "Ceilings measured in the same run (median [min..max])"]
    lines += ceilings(runs)
    lines += ["", "Results", ""]
    lines += table(runs)
    on_store = meta.get("store", "filesystem") != "filesystem"
    issue = "13" if on_store else "8"
    if runs.recs and all(r["workload"].startswith(("swift_", "ceil_swift"))
                         for r in runs.recs):
        issue = "12"
    lines += ["", "Goals of issue %s (ratios against distribution, medians "
              "of per-round ratios)" % issue, ""]
    lines += goals(runs, STORE_GOALS if on_store else None)
    reqs = store_requests(runs, meta["config"])
    if reqs:
        lines += ["", "Requests to the store during the measured part, per "
                  "operation (the store's log)", ""] + reqs
    lines += [""] + noise(runs)
    failed = [r for r in records if r["errors"]]
    if failed:
        lines += ["", "Runs with errors:"]
        for r in failed:
            lines.append("  round %d %s %s: %s" % (
                r["round"], r["target"], r["workload"],
                "; ".join(str(e) for e in r["errors"][:3])))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "results.txt"), "w") as f:
        f.write(text)
    summary = {}
    for (t, w), rs in runs.by.items():
        ok = [r for r in rs if not r["errors"]]
        summary.setdefault(t, {})[w] = {
            "rate": med([r.get("rate") for r in ok]),
            "cpu_per": med([r.get("cpu_per") for r in ok]),
            "vs_distribution": med(ratios(runs, t, w, "rate")),
            "runs": len(rs), "failed": len(rs) - len(ok)}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    if chart:
        for path in make_chart(out, runs, meta):
            print("chart: " + path)
    print(text)
    return bool(failed)
