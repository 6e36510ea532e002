#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""load_station.py: load measurement of the lucent station (issue 6).

Starts `lucent station --demo` (one bag per second by default) on a free
loopback port with a fresh data folder, creates N screener accounts and a
supervisor, and drives N concurrent consoles for the given duration. Each
console does what the browser console does: long-polls for the next bag,
loads both views' images, sometimes switches mode (an image rendered on
demand), and the console whose number matches the bag decides it; a
supervisor console polls the statistics every 5 s.

Reports, for each kind of request, the latency percentiles (p50, p95, p99,
max) and errors, and the time from a bag's last line (its acquisition time
stamp) to both of its images having arrived in a console. Not a pass/fail
test; prints the numbers and, with --json FILE, writes them.

usage: load_station.py [--lucent PATH] [--consoles 20] [--duration 300]
                       [--rate 1] [--json FILE]
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {}
        self.errors = {}
        self.image_delay = []

    def add(self, kind, ms):
        with self.lock:
            self.lat.setdefault(kind, []).append(ms)

    def error(self, kind, what):
        with self.lock:
            self.errors.setdefault(kind, []).append(what)

    def delay(self, ms):
        with self.lock:
            self.image_delay.append(ms)


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


class Console:
    def __init__(self, port, user, pw, stats):
        self.port, self.user, self.pw, self.stats = port, user, pw, stats
        self.conn = None
        self.cookie = None
        self.csrf = None

    def request(self, kind, method, path, body=None, ok=(200,)):
        h = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if method == "POST" and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                t0 = time.perf_counter()
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                payload = r.read()
                ms = (time.perf_counter() - t0) * 1000.0
                break
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                self.conn = None
                if attempt == 1:
                    self.stats.error(kind, repr(e))
                    return None, None, None
        sc = r.getheader("Set-Cookie")
        if sc and sc.startswith("lc_session="):
            self.cookie = sc.split(";")[0]
        if r.status not in ok:
            self.stats.error(kind, f"HTTP {r.status}")
        return r.status, payload, ms

    def login(self):
        st, payload, ms = self.request("login", "POST", "/api/login",
                                       {"user": self.user, "password": self.pw})
        if st != 200:
            raise SystemExit(f"login {self.user} failed: {st}")
        self.stats.add("login", ms)
        self.csrf = json.loads(payload)["csrf"]

    def run(self, index, n, end):
        self.login()
        after = 0
        # Start from the newest bag, as a console opened now would.
        st, payload, ms = self.request("config", "GET", "/api/config")
        if st == 200:
            after = json.loads(payload)["latest_id"]
            self.stats.add("config", ms)
        rnd = random.Random(index)
        while time.time() < end:
            wait = max(0, min(20, int(end - time.time())))
            st, payload, ms = self.request("next", "GET",
                                           f"/api/bags/next?after={after}&wait={wait}",
                                           ok=(200, 204))
            if st != 200:
                continue
            bag = json.loads(payload)
            after = bag["id"]
            # Long polls are not counted as request latency (they wait on
            # purpose); the bag's delivery shows in the last-line-to-image time.
            ok = True
            for v in bag["views"]:
                st, png, ms = self.request("image", "GET",
                                           f"/api/bags/{bag['id']}/views/{v['index']}.png")
                if st == 200 and png[:8] == b"\x89PNG\r\n\x1a\n":
                    self.stats.add("image (pre-rendered)", ms)
                else:
                    ok = False
            if ok:
                self.stats.delay((time.time() * 1e6 - bag["acquired_us"]) / 1000.0)
            if rnd.random() < 0.3:  # a mode change: rendered on demand (or cached)
                mode = rnd.choice(["grey", "inverse", "organic", "inorganic", "dense", "low"])
                st, png, ms = self.request("image (mode change)", "GET",
                                           f"/api/bags/{bag['id']}/views/0.png?mode={mode}")
                if st == 200:
                    self.stats.add("image (mode change)", ms)
            if bag["id"] % n == index:
                time.sleep(rnd.uniform(0.1, 0.4))  # looking at it
                d = "search" if rnd.random() < 0.1 else "clear"
                st, payload, ms = self.request("decision", "POST",
                                               f"/api/bags/{bag['id']}/decision",
                                               {"decision": d}, ok=(200,))
                if st == 200:
                    self.stats.add("decision", ms)


def supervisor(port, stats, end):
    c = Console(port, "boss", "super-pass-1", stats)
    c.login()
    while time.time() < end:
        st, payload, ms = c.request("stats", "GET", "/api/stats")
        if st == 200:
            stats.add("stats", ms)
        time.sleep(5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--lucent", default=os.path.join(here, "..", "build", "station", "lucent"))
    ap.add_argument("--consoles", type=int, default=20)
    ap.add_argument("--duration", type=float, default=300)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--json")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="lc_load_")
    data = os.path.join(work, "data")
    proc = None
    try:
        def add(name, role, pw):
            subprocess.run([a.lucent, "user", "add", "--data", data, "--role", role, name],
                           input=(pw + "\n").encode(), check=True, stdout=subprocess.DEVNULL)
        for i in range(a.consoles):
            add(f"s{i:02d}", "screener", "screen-pass-1")
        add("boss", "supervisor", "super-pass-1")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        log = open(os.path.join(work, "station.log"), "w")
        proc = subprocess.Popen([a.lucent, "station", "--demo", "--data", data, "--port", str(port),
                                 "--rate", str(a.rate), "--tip-share", "0.1", "--seed", "11"],
                                stderr=log)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health")
                break
            except OSError:
                time.sleep(0.1)
        stats = Stats()
        t_start = time.time()
        end = t_start + a.duration
        threads = [threading.Thread(target=Console(port, f"s{i:02d}", "screen-pass-1", stats).run,
                                    args=(i, a.consoles, end), daemon=True)
                   for i in range(a.consoles)]
        threads.append(threading.Thread(target=supervisor, args=(port, stats, end), daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join(a.duration + 90)
        elapsed = time.time() - t_start
        # The station's own account of the run.
        c = Console(port, "boss", "super-pass-1", Stats())
        c.login()
        st, payload, _ = c.request("stats", "GET", "/api/stats")
        totals = json.loads(payload)["totals"] if st == 200 else {}
    finally:
        if proc:
            proc.terminate()
            proc.wait(30)
        # The station's per-stage times of every bag, from its log.
        stages = {"process": [], "analyse": [], "files": [], "index": []}
        try:
            for line in open(os.path.join(work, "station.log")):
                m = re.search(r"process (\d+), analyse (\d+), files (\d+), index (\d+)", line)
                if m:
                    for k, v in zip(stages, m.groups()):
                        stages[k].append(float(v))
        except OSError:
            pass
        shutil.rmtree(work, ignore_errors=True)

    report = {"consoles": a.consoles, "duration_s": round(elapsed, 1), "demo_rate": a.rate,
              "bags_stored": totals.get("scans"), "bags_decided": totals.get("decided"),
              "mean_process_ms": totals.get("mean_process_ms"), "latency_ms": {}, "errors": {}}
    print(f"lucent station load: {a.consoles} consoles, {elapsed:.0f} s, demo {a.rate} bag/s, "
          f"{totals.get('scans')} bags stored, {totals.get('decided')} decided, "
          f"mean acquisition-to-stored {totals.get('mean_process_ms', 0):.0f} ms")
    print(f"{'request':28s} {'n':>7s} {'p50':>8s} {'p95':>8s} {'p99':>8s} {'max':>8s} {'errors':>7s}")
    all_lat = []
    for kind in sorted(stats.lat):
        v = stats.lat[kind]
        all_lat += v
        e = len(stats.errors.get(kind, []))
        report["latency_ms"][kind] = {"n": len(v), "p50": pct(v, 50), "p95": pct(v, 95),
                                      "p99": pct(v, 99), "max": max(v)}
        print(f"{kind:28s} {len(v):7d} {pct(v, 50):8.1f} {pct(v, 95):8.1f} {pct(v, 99):8.1f} "
              f"{max(v):8.1f} {e:7d}")
    print(f"{'all API requests':28s} {len(all_lat):7d} {pct(all_lat, 50):8.1f} "
          f"{pct(all_lat, 95):8.1f} {pct(all_lat, 99):8.1f} {max(all_lat):8.1f} "
          f"{sum(len(x) for x in stats.errors.values()):7d}")
    d = stats.image_delay
    report["last_line_to_image_ms"] = {"n": len(d), "p50": pct(d, 50), "p95": pct(d, 95),
                                       "p99": pct(d, 99), "max": max(d) if d else None}
    print(f"last line -> both images in a console: n={len(d)} p50={pct(d, 50):.0f} ms "
          f"p95={pct(d, 95):.0f} ms p99={pct(d, 99):.0f} ms max={max(d) if d else 0:.0f} ms")
    report["pipeline_stage_ms"] = {k: {"p50": pct(v, 50), "p95": pct(v, 95)}
                                   for k, v in stages.items() if v}
    print("pipeline stages (ms, p50/p95): " +
          ", ".join(f"{k} {pct(v, 50):.0f}/{pct(v, 95):.0f}" for k, v in stages.items() if v))
    for kind, errs in stats.errors.items():
        report["errors"][kind] = errs[:20]
        print(f"errors in {kind}: {len(errs)}, e.g. {errs[:3]}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
