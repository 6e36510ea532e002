# SPDX-License-Identifier: Apache-2.0
"""trust_at_rest.py: checks of encryption at rest and retention for
trust_at_rest.sh (standard library, plus pydicom and dcmdump as independent
DICOM readers). Subcommands:

  wait DATA ALARM NOALARM SECS  wait until the index holds at least ALARM
                                scans with machine alarms and NOALARM without
  files DATA                    no file under DATA/scans holds "DICM", none
                                parses with pydicom or dcmdump
  images URL                    every stored scan's images are served (200 PNG)
  damage DATA OUT               truncate, swap two names, flip a byte in three
                                scans; write what was done to OUT (JSON)
  damaged URL SPEC              each damaged scan fails naming its file (500),
                                the others load, the station stays up
  pick DATA SPEC                an intact alarm scan and a damaged one
  plain OUT                     exported files are plain DICOS (pydicom, dcmdump)
  retention URL DATA SECS       the scans nothing keeps are erased within SECS:
                                key NULL and gone from the database files,
                                folder gone, images 410; the others intact
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from station_client import Client, expect, png_size  # noqa: E402


def rows(data):
    c = sqlite3.connect(os.path.join(data, "lucent.db"), timeout=30)
    try:
        return [dict(zip(("id", "scan_id", "dir", "alarms", "decision", "gt", "sealed", "key",
                          "erased"), r))
                for r in c.execute("SELECT id, scan_id, dir, atr_alarms, decision, gt_threat,"
                                   " sealed, wrapped_key, erased_us FROM scans ORDER BY id")]
    finally:
        c.close()


def kept(r):
    return r["alarms"] > 0 or r["decision"] == 2 or r["gt"] == 1


def cmd_wait(data, alarm, noalarm, secs):
    end = time.time() + float(secs)
    while time.time() < end:
        try:
            rs = rows(data)
        except sqlite3.Error:
            rs = []
        a = sum(1 for r in rs if r["alarms"] > 0)
        n = sum(1 for r in rs if r["alarms"] == 0)
        if a >= int(alarm) and n >= int(noalarm):
            print(f"index: {a} scans with alarms, {n} without")
            return
        time.sleep(0.3)
    raise AssertionError(f"fewer than {alarm} alarm / {noalarm} clear scans after {secs} s")


def cmd_files(data):
    import pydicom
    from pydicom.errors import InvalidDicomError
    n = 0
    for r in rows(data):
        assert r["sealed"] == 1 and r["key"] is not None and len(r["key"]) == 72, r
        folder = os.path.join(data, r["dir"])
        names = sorted(os.listdir(folder))
        assert "dx_v0_high.dcs" in names, names
        for name in names:
            p = os.path.join(folder, name)
            b = open(p, "rb").read()
            assert b"DICM" not in b, f"{p}: holds the DICOM magic"
            assert b[:8] == b"LCSEAL01", f"{p}: not sealed"
            try:
                pydicom.dcmread(p)
                raise AssertionError(f"{p}: pydicom parsed it")
            except InvalidDicomError:
                pass
            if os.path.exists("/usr/bin/dcmdump"):
                rc = subprocess.run(["/usr/bin/dcmdump", p], capture_output=True).returncode
                assert rc != 0, f"{p}: dcmdump parsed it"
            n += 1
    assert n > 0
    print(f"{n} stored files: sealed, no DICOM magic, refused by pydicom and dcmdump")


def login(url):
    c = Client(url)
    c.login("sam", "screen-pass-1")
    return c


def cmd_images(url, data):
    c = login(url)
    for r in rows(data):
        for v in (0, 1):
            st, _, body, _ = c.req("GET", f"/api/bags/{r['id']}/views/{v}.png")
            expect(st, 200, f"bag {r['id']} view {v}")
            png_size(body)
        st, j, _, _ = c.req("GET", f"/api/bags/{r['id']}")
        expect(st, 200, f"bag {r['id']}")
        assert j["sealed"] is True and "erased" not in j
    # A screener's decision: its operator TDR joins the scan's sealed files.
    r = [r for r in rows(data) if r["alarms"] > 0][0]
    st, j, _, _ = c.req("POST", f"/api/bags/{r['id']}/decision", {"decision": "search"})
    expect(st, 200, f"decision on bag {r['id']}")
    p = os.path.join(data, r["dir"], "tdr_operator.dcs")
    with open(p, "rb") as f:
        head = f.read(8)
    assert head == b"LCSEAL01", f"{p}: not sealed"
    print(f"{len(rows(data))} bags served after the restart (unsealed on load); "
          f"bag {r['id']} sent to search, its operator TDR sealed")


def cmd_damage(data, out):
    rs = rows(data)
    # A scan with a machine TDR for the flipped byte, two others for the
    # truncation and the swap; the alarm scan sent to search stays intact.
    with_tdr = [r for r in rs if os.path.exists(os.path.join(data, r["dir"], "tdr_machine.dcs"))]
    flip = [r for r in with_tdr if r["decision"] != 2][0]
    rest = [r for r in rs if r["id"] != flip["id"] and r["alarms"] == 0]
    trunc, swap = rest[0], rest[1]
    spec = []
    p = os.path.join(data, trunc["dir"], "dx_v1_high.dcs")
    b = open(p, "rb").read()
    open(p, "wb").write(b[: len(b) // 2])
    spec.append([trunc["id"], trunc["scan_id"], "dx_v1_high.dcs"])
    a = os.path.join(data, swap["dir"], "dx_v0_high.dcs")
    z = os.path.join(data, swap["dir"], "dx_v1_low.dcs")
    os.rename(a, a + ".x")
    os.rename(z, a)
    os.rename(a + ".x", z)
    spec.append([swap["id"], swap["scan_id"], "dx_v0_high.dcs"])
    p = os.path.join(data, flip["dir"], "tdr_machine.dcs")
    b = bytearray(open(p, "rb").read())
    b[len(b) // 2] ^= 0x01
    open(p, "wb").write(bytes(b))
    spec.append([flip["id"], flip["scan_id"], "tdr_machine.dcs"])
    json.dump(spec, open(out, "w"))
    print("damaged: " + ", ".join(f"bag {i} {f}" for i, _, f in spec))


def cmd_damaged(url, spec_path, data):
    spec = json.load(open(spec_path))
    c = login(url)
    bad = {i for i, _, _ in spec}
    for i, scan_id, name in spec:
        for path in (f"/api/bags/{i}/views/0.png", f"/api/bags/{i}"):
            st, j, _, _ = c.req("GET", path)
            expect(st, 500, f"damaged bag {i} ({name})")
            want = f"scans/{scan_id}/{name}"
            assert want in j["error"], f"bag {i}: error does not name {want}: {j['error']}"
    good = [r for r in rows(data) if r["id"] not in bad]
    assert good
    for r in good:
        st, _, body, _ = c.req("GET", f"/api/bags/{r['id']}/views/1.png")
        expect(st, 200, f"intact bag {r['id']}")
        png_size(body)
    expect(Client(url).req("GET", "/api/health")[0], 200, "health after damaged loads")
    print(f"{len(spec)} damaged bags refused naming their file; {len(good)} intact bags load")


def file_holds(path, needle):
    return os.path.exists(path) and needle in open(path, "rb").read()


def cmd_retention(url, data, secs, keys_path):
    keys = json.load(open(keys_path))  # scan id -> wrapped key (hex), before erasure
    end = time.time() + float(secs)
    while True:
        rs = rows(data)
        gone = [r for r in rs if not kept(r)]
        if gone and all(r["erased"] for r in gone):
            break
        if time.time() > end:
            raise AssertionError(f"not erased after {secs} s: "
                                 f"{[r['scan_id'] for r in gone if not r['erased']]}")
        time.sleep(0.5)
    stay = [r for r in rs if kept(r)]
    assert stay and any(r["alarms"] > 0 for r in stay), "no alarm bag to keep"
    db = os.path.join(data, "lucent.db")
    c = login(url)
    for r in gone:
        assert r["key"] is None, f"{r['scan_id']}: wrapped key still in the index"
        k = bytes.fromhex(keys[r["scan_id"]])
        for f in (db, db + "-wal"):
            assert not file_holds(f, k), f"{f}: still holds the erased key of {r['scan_id']}"
        assert not os.path.exists(os.path.join(data, r["dir"])), f"{r['dir']}: files remain"
        st, j, _, _ = c.req("GET", f"/api/bags/{r['id']}/views/0.png")
        expect(st, 410, f"erased bag {r['id']} image")
        assert j["error"].startswith("erased by retention on "), j
        st, j, _, _ = c.req("GET", f"/api/bags/{r['id']}")
        expect(st, 200, f"erased bag {r['id']} listed")
        assert j["erased"].startswith("erased by retention on ") and j["views"] == [], j
    for r in stay:
        assert r["key"] is not None and len(r["key"]) == 72 and not r["erased"]
        assert os.path.exists(os.path.join(data, r["dir"]))
        assert file_holds(db, bytes(r["key"])) or file_holds(db + "-wal", bytes(r["key"]))
    print(f"retention: {len(gone)} bags erased (key NULL and gone from the database and WAL, "
          f"files deleted, 410), {len(stay)} kept")


def cmd_pick(data, spec_path):
    """Prints the scan id of the intact scan sent to search, then of a damaged one."""
    bad = {i for i, _, _ in json.load(open(spec_path))}
    rs = rows(data)
    good = [r for r in rs if r["decision"] == 2 and r["id"] not in bad][0]
    damaged = [r for r in rs if r["id"] in bad][0]
    print(good["scan_id"], damaged["scan_id"])


def cmd_plain(folder):
    """Exported files: plain DICOS that pydicom and dcmdump read."""
    import pydicom
    names = sorted(os.listdir(folder))
    assert "dx_v0_high.dcs" in names and "tdr_machine.dcs" in names, names
    # The scan was sent to search by sam: the operator's TDR says so.
    assert "tdr_operator.dcs" in names, names
    op = pydicom.dcmread(os.path.join(folder, "tdr_operator.dcs"))
    assert op[0x4010, 0x1027].value == "OPERATOR", op[0x4010, 0x1027].value
    assert op[0x4010, 0x1031].value == "ALARM", op[0x4010, 0x1031].value
    assert op[0x4010, 0x1029].value == "sam", op[0x4010, 0x1029].value
    for name in names:
        p = os.path.join(folder, name)
        d = pydicom.dcmread(p)
        if name.startswith("dx_"):
            assert len(d.PixelData) == 2 * d.Rows * d.Columns, name
        else:
            assert d.SOPClassUID == "1.2.840.10008.5.1.4.1.1.501.3", name
        if os.path.exists("/usr/bin/dcmdump"):
            subprocess.run(["/usr/bin/dcmdump", p], capture_output=True, check=True)
    print(f"export: {len(names)} plain DICOS files read by pydicom and dcmdump")


def cmd_keys(data, out):
    json.dump({r["scan_id"]: r["key"].hex() for r in rows(data)}, open(out, "w"))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    commands = {"wait": cmd_wait, "files": cmd_files, "images": cmd_images,
                "damage": cmd_damage, "damaged": cmd_damaged, "pick": cmd_pick,
                "plain": cmd_plain, "keys": cmd_keys, "retention": cmd_retention}
    if cmd not in commands:
        sys.exit(f"unknown command {cmd}")
    commands[cmd](*args)


if __name__ == "__main__":
    main()
