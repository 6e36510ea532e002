#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""atr_check.py: independent checks of what `lucent analyze` and `lucent eval`
write, for tests/integration/atr_cli.sh.

  atr_check.py report REPORT.json SCAN_DIR   the JSON report has the issue's
        shape and agrees with the TDR that pydicom reads from SCAN_DIR
  atr_check.py eval CORPUS_DIR                recomputes the operating-point
        counts of summary.json from results.csv and truth.json, and checks
        roc.csv (rates in 0..1, false alarms non-increasing with threshold)
        and the PNG signature
  atr_check.py features CORPUS_DIR FEATURES.csv   the candidate dump of
        `lucent eval --features`: every bag's best candidate score is its best
        alarm score in results.csv, and each row's threat overlap (t_iou) is
        the IoU recomputed from its box and the threat parts' label boxes
"""
import csv
import json
import math
import os
import struct
import sys

import pydicom


def fail(msg):
    print("atr_check:", msg)
    sys.exit(1)


def find(ds, tag):
    """The value of tag in ds or any dataset nested in its sequences."""
    if tag in ds:
        return ds[tag].value
    for el in ds:
        if el.VR == "SQ":
            for it in el.value:
                v = find(it, tag)
                if v is not None:
                    return v
    return None


def check_report(path, scan):
    rep = json.load(open(path))
    if set(rep) != {"decision", "alarms"}:
        fail("report keys %s" % sorted(rep))
    if rep["decision"] not in ("alarm", "clear"):
        fail("decision %r" % rep["decision"])
    if (rep["decision"] == "alarm") != (len(rep["alarms"]) > 0):
        fail("decision disagrees with the alarm list")
    for a in rep["alarms"]:
        for k in ("class", "view", "bbox", "score", "zeff", "mass_g"):
            if k not in a:
                fail("alarm without %s" % k)
        if a["class"] not in ("explosive", "weapon", "dense"):
            fail("class %r" % a["class"])
        x0, y0, x1, y1 = a["bbox"]
        if not (0 <= x0 < x1 and 0 <= y0 < y1):
            fail("bbox %r" % a["bbox"])
        if not (0 <= a["score"] <= 1):
            fail("score %r" % a["score"])
    for i, a in enumerate(rep["alarms"]):
        p = a.get("paired", "missing")
        if p == "missing":
            fail("alarm without paired")
        if p is not None:
            if not (isinstance(p, int) and 0 <= p < len(rep["alarms"]) and p != i):
                fail("paired %r" % (p,))
            o = rep["alarms"][p]
            if o["class"] != a["class"] or o["view"] == a["view"]:
                fail("alarm %d paired with %d: %s view %d vs %s view %d"
                     % (i, p, a["class"], a["view"], o["class"], o["view"]))
    scores = [a["score"] for a in rep["alarms"]]
    if scores != sorted(scores, reverse=True):
        fail("alarms not sorted by score")
    ds = pydicom.dcmread(os.path.join(scan, "tdr_machine.dcs"))
    decision = ds[0x4010, 0x1031].value
    if decision != rep["decision"].upper():
        fail("TDR decision %s, report %s" % (decision, rep["decision"]))
    # one threat object per alarmed object: every alarm's box is one box of
    # one threat (an object that alarmed in both views has both boxes), of
    # its class's category, with the first box's alarm score as probability
    # (the report rounds scores to 0.001)
    cats = {"explosive": "EXPLOSIVE", "weapon": "PROHIBITED_ITEM", "dense": "ANOMALY"}
    by_box = {}
    for a in rep["alarms"]:
        by_box.setdefault(tuple(a["bbox"]), []).append(a)
    items = ds[0x4010, 0x1011].value if (0x4010, 0x1011) in ds else []
    n_boxes = 0
    for item in items:
        cat = find(item, (0x4010, 0x1012))
        reps = item[0x4010, 0x1037].value
        if not 1 <= len(reps) <= 2:
            fail("TDR threat with %d boxes" % len(reps))
        for k, r in enumerate(reps):
            p = [float(v) for v in r[0x4010, 0x101D].value]
            box = (round(p[0]), round(p[1]), round(p[4]) + 1, round(p[5]) + 1)
            if not by_box.get(box):
                fail("TDR box %s is no alarm of the report" % (box,))
            a = by_box[box].pop(0)
            if cat != cats[a["class"]]:
                fail("TDR category %s for %s" % (cat, a["class"]))
            if k == 0 and abs(float(find(item, (0x4010, 0x1016))) - a["score"]) > 6e-4:
                fail("TDR probability %s for score %s" % (find(item, (0x4010, 0x1016)),
                                                          a["score"]))
            n_boxes += 1
    if n_boxes != len(rep["alarms"]):
        fail("TDR has %d boxes, report %d alarms" % (n_boxes, len(rep["alarms"])))


def check_eval(d):
    truth = {b["name"]: b for b in json.load(open(os.path.join(d, "truth.json")))["bags"]}
    summ = json.load(open(os.path.join(d, "eval", "summary.json")))
    rows = list(csv.DictReader(open(os.path.join(d, "eval", "results.csv"))))
    if len(rows) != summ["bags"]:
        fail("results.csv has %d rows, summary %d bags" % (len(rows), summ["bags"]))
    clean = [r for r in rows if not truth[r["bag"]]["threats"]]
    if len(clean) != summ["clean"]:
        fail("clean bags %d vs %d" % (len(clean), summ["clean"]))
    if sum(int(r["alarmed"]) for r in clean) != summ["clean_alarmed"]:
        fail("clean_alarmed disagrees")
    for r in rows:
        t = truth[r["bag"]]["threats"]
        if (r["class"] == "none") != (not t):
            fail("class of %s" % r["bag"])
        if t and (t[0]["class"] != r["class"] or t[0]["difficulty"] != r["difficulty"] or
                  t[0]["kind"] != r["kind"] or t[0]["material"] != r["material"]):
            fail("truth of %s" % r["bag"])
    for cls, c in summ["classes"].items():
        for diff in ("easy", "medium", "hard"):
            sel = [r for r in rows if r["class"] == cls and r["difficulty"] == diff]
            if len(sel) != c[diff]["n"]:
                fail("%s %s: %d threats vs %d" % (cls, diff, len(sel), c[diff]["n"]))
            hit = sum(int(r["detected"]) for r in sel)
            if hit != c[diff]["detected"]:
                fail("%s %s: %d detected vs %d" % (cls, diff, hit, c[diff]["detected"]))
            for r in sel:
                # detected at the operating point <=> best detecting score >= threshold
                if int(r["detected"]) != (float(r["detect_score"]) >= c["threshold"] - 1e-4):
                    fail("%s: detected flag vs score" % r["bag"])
    # 95 % Wilson intervals of the headline rates, recomputed here
    def wilson(k, n):
        z = 1.959963984540054
        p = k / n
        mid = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (0.0 if k == 0 else mid - half, 1.0 if k == n else mid + half)

    checks = [(summ["clean_alarmed"], summ["clean"], summ["clean_alarmed_ci95"]),
              (summ["explosives_300g"]["detected"], summ["explosives_300g"]["n"],
               summ["explosives_300g"]["ci95"])]
    for cls, c in summ["classes"].items():
        sel = [r for r in rows if r["class"] == cls]
        if (c["all"]["n"], c["all"]["detected"]) != (len(sel), sum(int(r["detected"]) for r in sel)):
            fail("%s all: counts" % cls)
        checks.append((c["all"]["detected"], c["all"]["n"], c["all"]["ci95"]))
    for k, n, got in checks:
        if n == 0:
            if got is not None:
                fail("ci95 of 0/0 is %r" % (got,))
            continue
        want = wilson(k, n)
        if abs(got[0] - want[0]) > 1e-9 or abs(got[1] - want[1]) > 1e-9:
            fail("ci95 of %d/%d: %r vs %r" % (k, n, got, want))
    # detection by kind (every class) and by material (explosives; also
    # those of 300 g or more), recomputed from results.csv
    for cls, c in summ["classes"].items():
        sel = [r for r in rows if r["class"] == cls]
        groups = {"by_kind": [(r["kind"], r) for r in sel]}
        if cls == "explosive":
            groups["by_material"] = [(r["material"], r) for r in sel]
            groups["by_material_300g"] = [(r["material"], r) for r in sel
                                          if float(r["mass_g"]) >= 300]
        for by, items in groups.items():
            want = {}
            for key, r in items:
                n, hit = want.get(key, (0, 0))
                want[key] = (n + 1, hit + int(r["detected"]))
            got = {k: (v["n"], v["detected"]) for k, v in c.get(by, {}).items()}
            if got != want:
                fail("%s %s: %s vs recomputed %s" % (cls, by, got, want))
    roc = list(csv.DictReader(open(os.path.join(d, "eval", "roc.csv"))))
    if len(roc) != 101:
        fail("roc.csv has %d rows" % len(roc))
    prev = 2.0
    for r in roc:
        fa = float(r["fa_clean"])
        if not (0 <= fa <= 1) or fa > prev + 1e-12:
            fail("false-alarm rate not in 0..1 or rising at %s" % r["threshold"])
        prev = fa
        for k in ("det_explosive_300g", "det_weapon", "det_dense", "det_all"):
            v = float(r[k])
            if not math.isnan(v) and not (0 <= v <= 1):
                fail("%s = %s" % (k, v))
    with open(os.path.join(d, "eval", "roc.png"), "rb") as f:
        head = f.read(24)
        if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
            fail("roc.png is not a PNG")
        # the plot (420 px square) with room for the tick labels, the axis
        # titles and the legend under it
        w, h = struct.unpack(">II", head[16:24])
        if (w, h) != (560, 610):
            fail("roc.png is %d x %d, not 560 x 610" % (w, h))


def iou(a, b):
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / ua


def check_features(d, path):
    truth = {b["name"]: b for b in json.load(open(os.path.join(d, "truth.json")))["bags"]}
    results = {r["bag"]: r for r in csv.DictReader(open(os.path.join(d, "eval", "results.csv")))}
    rows = list(csv.DictReader(open(path)))
    if not rows or "f_zeff" not in rows[0] or "f_rule_weap" not in rows[0]:
        fail("features: no rows or no feature columns")
    best = {}
    label_cache = {}
    for r in rows:
        s = max(float(r["s_explosive"]), float(r["s_weapon"]), float(r["s_dense"]))
        best[r["bag"]] = max(best.get(r["bag"], 0.0), s)
        threats = truth[r["bag"]]["threats"]
        if int(r["clean"]) != (not threats):
            fail("features: clean flag of %s" % r["bag"])
        # the threat's box in this view: union of its parts' label boxes
        if r["bag"] not in label_cache:
            label_cache[r["bag"]] = json.load(open(os.path.join(d, "scans", r["bag"],
                                                                "labels.json")))
        labels = label_cache[r["bag"]]
        box = [int(r[k]) for k in ("x0", "y0", "x1", "y1")]
        want, want_i = 0.0, -1
        for i, t in enumerate(threats):
            u = None
            for o in labels["objects"]:
                if o["id"] not in t["parts"]:
                    continue
                for v in o["views"]:
                    if v["view"] != int(r["view"]):
                        continue
                    b = v["bbox"]
                    u = b if u is None else [min(u[0], b[0]), min(u[1], b[1]),
                                             max(u[2], b[2]), max(u[3], b[3])]
            if u is not None and iou(box, u) > want:
                want, want_i = iou(box, u), i
        if abs(want - float(r["t_iou"])) > 1e-3 or want_i != int(r["t_idx"]):
            fail("features: %s row %s: IoU %.4f (threat %d) vs %s (%s)"
                 % (r["bag"], r["idx"], want, want_i, r["t_iou"], r["t_idx"]))
        if want_i >= 0 and r["t_class"] != threats[want_i]["class"]:
            fail("features: class of %s row %s" % (r["bag"], r["idx"]))
    for bag, r in results.items():
        if abs(best.get(bag, 0.0) - float(r["max_score"])) > 1e-3:
            fail("features: best score of %s %.4f vs results %s" % (bag, best.get(bag, 0.0),
                                                                    r["max_score"]))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "report":
        check_report(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "eval":
        check_eval(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "features":
        check_features(sys.argv[2], sys.argv[3])
    else:
        fail("usage: atr_check.py report REPORT SCAN_DIR | eval CORPUS_DIR | "
             "features CORPUS_DIR FEATURES")
    print("atr_check: ok")
