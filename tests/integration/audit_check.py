# SPDX-License-Identifier: Apache-2.0
"""audit_check.py DATA [LUCENT]: what an auditor checks on a station's data
folder, independently of lucent's code: the audit log (DATA/audit.log) holds
exactly the index's events (DATA/lucent.db), event id N as entry N-1, byte
for byte; every record's leaf hash is SHA-256(0x00 || entry); and every
decision and stored-scan event carries the provenance hashes (with LUCENT,
the build hash must be the SHA-256 of that program)."""
import hashlib
import json
import sqlite3
import struct
import sys

data = sys.argv[1]
raw = open(data + "/audit.log", "rb").read()
assert raw[:8] == b"LCAUDIT1", "not an audit log"
entries, off = [], 8
while off < len(raw):
    n, inv = struct.unpack(">II", raw[off:off + 8])
    assert n == (~inv & 0xFFFFFFFF), "bad record header at %d" % off
    entry = raw[off + 8:off + 8 + n]
    leaf = raw[off + 8 + n:off + 8 + n + 32]
    assert len(entry) == n and len(leaf) == 32, "torn record at %d" % off
    assert hashlib.sha256(b"\x00" + entry).digest() == leaf, "leaf hash of entry %d" % len(entries)
    entries.append(entry)
    off += 8 + n + 32
db = sqlite3.connect(data + "/lucent.db")
rows = db.execute("SELECT id, body FROM events ORDER BY id").fetchall()
assert len(rows) == len(entries), "index has %d events, log %d" % (len(rows), len(entries))
build = None
if len(sys.argv) > 2:
    build = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
kinds = {}
for i, (eid, body) in enumerate(rows):
    assert eid == i + 1, "event ids are not contiguous at %d" % eid
    body = body.encode() if isinstance(body, str) else body
    assert body == entries[i], "event %d differs from log entry %d" % (eid, i)
    ev = json.loads(body)
    kinds[ev["kind"]] = kinds.get(ev["kind"], 0) + 1
    if ev["kind"] in ("decision", "scan.stored"):
        assert len(ev.get("atr_config", "")) == 64, ev
        assert len(ev.get("build", "")) == 64, ev
        if build:
            assert ev["build"] == build, "build hash %s is not the program's %s" % (ev["build"], build)
print("audit log: %d entries = index events; %s" % (len(entries), json.dumps(kinds, sort_keys=True)))
