# SPDX-License-Identifier: Apache-2.0
"""station_client.py: an HTTP client of the lucent station for the
integration tests (standard library only). Subcommands:

  api URL            log in as each role, wait for a bag, fetch its images,
                     decide, check statistics and events, send hostile
                     requests and check each gets the right 4xx.
  decide URL LOG S   decide every bag that arrives for S seconds as a
                     screener, appending "id decision" to LOG for each
                     decision the station acknowledged (crash test).
  check DATA LOG     after a crash and restart: every acknowledged decision
                     is in the index, and index rows and scan folders agree.
  pretip URL DATA USER PW
                     with --tip-share 1: waits for the first bag with a TIP
                     projection (the TIP library is built on its own thread,
                     and bags before it get none), then clears every bag
                     stored before it as USER, so a screener's first pending
                     bag carries a projection.
"""
import http.client
import json
import os
import socket
import sqlite3
import struct
import sys
import time
import urllib.parse


class Client:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.cookie = None
        self.csrf = None

    def req(self, method, path, body=None, headers=None, raw_body=None, ctype="application/json"):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
        if raw_body is not None:
            data = raw_body
        if data is not None and ctype:
            h["Content-Type"] = ctype
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf and method == "POST" and "X-CSRF-Token" not in h:
            h["X-CSRF-Token"] = self.csrf
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        sc = r.getheader("Set-Cookie")
        if sc and sc.startswith("lc_session="):
            self.cookie = sc.split(";")[0]
            for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
                assert attr in sc, f"cookie without {attr}: {sc}"
        c.close()
        out = None
        if payload and (r.getheader("Content-Type") or "").startswith("application/json"):
            out = json.loads(payload)
        return r.status, out, payload, r

    def login(self, user, pw, want=200):
        st, j, _, _ = self.req("POST", "/api/login", {"user": user, "password": pw})
        assert st == want, f"login {user}: {st} {j}"
        if st == 200:
            self.csrf = j["csrf"]
            assert j["user"] == user
        return j


def expect(st, want, what):
    if st != want:
        raise AssertionError(f"{what}: got {st}, want {want}")


def png_size(b):
    assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    w, h = struct.unpack(">II", b[16:24])
    return w, h


def raw(url, data, read=4096):
    """Sends raw bytes on a fresh connection; returns the status line."""
    u = urllib.parse.urlparse(url)
    s = socket.create_connection((u.hostname, u.port), timeout=20)
    s.sendall(data)
    try:
        resp = s.recv(read)
    except socket.timeout:
        resp = b""
    s.close()
    return resp.split(b"\r\n", 1)[0].decode(errors="replace")


def cmd_api(url):
    scr, sup, aud, adm, anon = (Client(url) for _ in range(5))
    expect(anon.req("GET", "/api/health")[0], 200, "health")
    st, _, body, r = anon.req("GET", "/")
    expect(st, 200, "index")
    assert b"lucent" in body and "default-src 'none'" in r.getheader("Content-Security-Policy")
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    expect(anon.req("GET", "/app.js")[0], 200, "app.js")
    expect(anon.req("GET", "/api/bags/next?wait=0")[0], 401, "anonymous bags")

    scr.login("sam", "screen-pass-1")
    sup.login("sue", "super-pass-1")
    aud.login("aud", "audit-pass-1")
    adm.login("ada", "admin-pass-1")

    # Wait for a bag (the demo feeds them), fetch both views in two modes.
    bag = None
    for _ in range(12):
        st, j, _, _ = scr.req("GET", "/api/bags/next?after=0&wait=10&pending=1")
        if st == 200:
            bag = j
            break
        expect(st, 204, "long poll")
    assert bag, "no bag arrived within two minutes"
    assert bag["decision"] == "none" and "tip" not in bag
    assert len(bag["views"]) == 2
    for v in bag["views"]:
        for mode in ("colour", "grey", "organic"):
            st, _, b, r = scr.req("GET", f"/api/bags/{bag['id']}/views/{v['index']}.png?mode={mode}")
            expect(st, 200, "png")
            assert r.getheader("Content-Type") == "image/png"
            assert png_size(b) == (v["width"], v["height"]), (png_size(b), v)
    # Decide: search. Then it is decided once only.
    st, j, _, _ = scr.req("POST", f"/api/bags/{bag['id']}/decision", {"decision": "search"})
    expect(st, 200, "decision")
    assert j["decision"] == "search" and j["decided_by"] == "sam"
    assert "tip" in j
    expect(scr.req("POST", f"/api/bags/{bag['id']}/decision", {"decision": "clear"})[0], 409,
           "second decision")
    # Statistics show it.
    st, s, _, _ = sup.req("GET", "/api/stats")
    expect(st, 200, "stats")
    sam = [x for x in s["screeners"] if x["user"] == "sam"]
    assert sam and sam[0]["decisions"] == 1, s
    assert s["totals"]["searched"] >= 1 and s["totals"]["scans"] >= 1
    # Events: auditor sees the login and the decision.
    st, e, _, _ = aud.req("GET", "/api/events?limit=1000")
    expect(st, 200, "events")
    kinds = [x["kind"] for x in e["events"]]
    assert "login.ok" in kinds and "decision" in kinds and "station.start" in kinds, kinds
    assert all("screen-pass" not in json.dumps(x) for x in e["events"])

    # ---- hostile requests: the right 4xx, never a crash
    expect(scr.req("GET", "/api/stats")[0], 403, "screener stats")
    expect(scr.req("GET", "/api/events")[0], 403, "screener events")
    expect(aud.req("GET", "/api/bags/1")[0], 403, "auditor bag")
    expect(scr.req("POST", "/api/users", {"name": "x1", "role": "admin", "password": "12345678"})[0],
           403, "screener creates admin")
    expect(sup.req("POST", "/api/users", {"name": "x1", "role": "admin", "password": "12345678"})[0],
           403, "supervisor creates admin")
    expect(scr.req("POST", f"/api/bags/{bag['id']}/decision", {"decision": "clear"},
                   headers={"X-CSRF-Token": "0" * 64})[0], 403, "wrong csrf")
    expect(scr.req("POST", f"/api/bags/{bag['id']}/decision", raw_body=b"{\"decision\":",)[0], 400,
           "bad json")
    expect(scr.req("POST", f"/api/bags/{bag['id']}/decision", raw_body=b"decision=clear",
                   ctype="application/x-www-form-urlencoded")[0], 415, "form post")
    expect(scr.req("POST", f"/api/bags/{bag['id']}/decision", {"decision": "clear"},
                   headers={"Origin": "http://evil.example"})[0], 403, "cross origin")
    expect(scr.req("POST", "/api/bags/1/decision", raw_body=b"[" * 70000)[0], 413, "oversized")
    expect(scr.req("GET", "/api/bags/next?wait=1000")[0], 400, "wait out of range")
    expect(scr.req("GET", "/api/bags/99999999")[0], 404, "no such bag")
    expect(scr.req("GET", "/api/bags/1/views/9.png")[0], 404, "no such view")
    expect(scr.req("GET", "/api/bags/1/views/0.png?mode=%00")[0], 400, "bad mode")
    expect(anon.req("GET", "/api/me", headers={"Cookie": "lc_session=" + "a" * 64})[0], 401,
           "forged cookie")
    expect(anon.req("PUT", "/api/login", {})[0], 405, "PUT login")
    expect(anon.req("GET", "/../../etc/passwd")[0], 404, "path traversal")
    line = raw(url, b"GARBAGE\r\n\r\n")
    assert line == "" or " 400 " in line + " " or "HTTP/1.1 4" in line, line
    line = raw(url, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert line == "" or "HTTP/1.1 4" in line, line
    line = raw(url, b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
    assert line == "" or "HTTP/1.1 4" in line, line
    # Login rate limit: five wrong passwords lock the name for a while.
    x = Client(url)
    for _ in range(5):
        x.login("sue", "not-the-password", want=401)
    st, _, _, r = x.req("POST", "/api/login", {"user": "sue", "password": "super-pass-1"})
    expect(st, 429, "rate limit")
    assert int(r.getheader("Retry-After")) >= 1
    # Admin: disable the screener; its session ends at once.
    expect(adm.req("POST", "/api/users/sam", {"active": False})[0], 200, "disable")
    expect(scr.req("GET", "/api/me")[0], 401, "disabled session")
    expect(adm.req("POST", "/api/users/ada", {"role": "screener"})[0], 409, "self demotion")
    # Slow consoles: 40 connections that send half a request and never read
    # must stall neither the other consoles nor the bag pipeline.
    u = urllib.parse.urlparse(url)
    idle = []
    for _ in range(40):
        so = socket.create_connection((u.hostname, u.port), timeout=5)
        so.sendall(b"GET /api/bags/next?wait=25 HTTP/1.1\r\nHost: x\r\nCookie: lc_")
        idle.append(so)
    t0 = time.time()
    expect(anon.req("GET", "/api/health")[0], 200, "health beside slow clients")
    assert time.time() - t0 < 2, "health slowed by idle connections"
    sup2 = Client(url)
    sup2.login("sue", "super-pass-1", want=429)  # still locked from above; answered at once
    st, s1, _, _ = adm.req("GET", "/api/stats")
    n1 = s1["totals"]["scans"]
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(1)
        n2 = adm.req("GET", "/api/stats")[1]["totals"]["scans"]
        if n2 > n1:
            break
    assert n2 > n1, "no bag stored while slow clients were connected"
    for so in idle:
        so.close()
    # Still alive after all of it.
    expect(anon.req("GET", "/api/health")[0], 200, "health after abuse")
    print("api: ok, bag", bag["id"], bag["scan_id"])


def cmd_decide(url, log_path, seconds):
    c = Client(url)
    c.login("sam", "screen-pass-1")
    end = time.time() + float(seconds)
    after = 0
    with open(log_path, "a") as log:
        while time.time() < end:
            try:
                st, j, _, _ = c.req("GET", f"/api/bags/next?after={after}&wait=2&pending=1")
            except (ConnectionError, OSError, http.client.HTTPException):
                return
            if st == 401:
                c.login("sam", "screen-pass-1")
                continue
            if st != 200:
                continue
            after = j["id"]
            d = "search" if j["id"] % 3 == 0 else "clear"
            try:
                st, _, _, _ = c.req("POST", f"/api/bags/{j['id']}/decision", {"decision": d})
            except (ConnectionError, OSError, http.client.HTTPException):
                return
            if st == 200:
                log.write(f"{j['id']} {d}\n")
                log.flush()
                os.fsync(log.fileno())


def cmd_check(data, log_path):
    db = sqlite3.connect(os.path.join(data, "lucent.db"))
    rows = {r[0]: r for r in db.execute("SELECT id, dir, decision, decided_by FROM scans")}
    names = {1: "clear", 2: "search"}
    acked = 0
    if os.path.exists(log_path):
        for line in open(log_path):
            i, d = line.split()
            i = int(i)
            assert i in rows, f"acknowledged decision on bag {i} lost: no row"
            assert names.get(rows[i][2]) == d, f"bag {i}: stored {rows[i][2]}, acknowledged {d}"
            assert rows[i][3] == "sam"
            acked += 1
    # Every row's folder is complete; every folder has a row (after recovery).
    dirs = set(os.listdir(os.path.join(data, "scans")))
    for i, r in rows.items():
        name = r[1].split("/", 1)[1]
        assert name in dirs, f"row {i}: folder {r[1]} missing"
        files = os.listdir(os.path.join(data, r[1]))
        for v in (0, 1):
            for ch in ("high", "low"):
                f = f"dx_v{v}_{ch}.dcs"
                assert f in files, f"row {i}: {f} missing"
                assert os.path.getsize(os.path.join(data, r[1], f)) > 1000
        dirs.discard(name)
    assert not dirs, f"folders without an index row after recovery: {sorted(dirs)[:5]}"
    # Events and decisions agree.
    ev = db.execute("SELECT COUNT(*) FROM events WHERE kind='decision'").fetchone()[0]
    dec = db.execute("SELECT COUNT(*) FROM scans WHERE decision <> 0").fetchone()[0]
    assert ev == dec, f"{ev} decision events, {dec} decided rows"
    print(f"check: {len(rows)} scans, {dec} decisions, {acked} acknowledged decisions all present")


def cmd_pretip(url, data, user, pw):
    db = sqlite3.connect(f"file:{os.path.join(data, 'lucent.db')}?mode=ro", uri=True)
    first = None
    for _ in range(600):
        first = db.execute("SELECT MIN(id) FROM scans WHERE tip = 1").fetchone()[0]
        if first is not None:
            break
        time.sleep(0.2)
    assert first is not None, "no bag with a TIP projection within 120 s"
    before = [r[0] for r in db.execute("SELECT id FROM scans WHERE id < ? AND decision = 0", (first,))]
    c = Client(url)
    c.login(user, pw)
    for i in before:
        st, _, _, _ = c.req("POST", f"/api/bags/{i}/decision", {"decision": "clear"})
        expect(st, 200, f"clearing bag {i}")
    print(f"pretip: first TIP bag {first}; cleared {len(before)} bag(s) stored before it")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "api":
        cmd_api(sys.argv[2])
    elif cmd == "decide":
        cmd_decide(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "check":
        cmd_check(sys.argv[2], sys.argv[3])
    elif cmd == "pretip":
        cmd_pretip(*sys.argv[2:6])
    else:
        sys.exit(f"unknown command {cmd}")
