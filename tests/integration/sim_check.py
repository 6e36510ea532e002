# SPDX-License-Identifier: Apache-2.0
"""sim_check.py: checks the output folder of `lucent simulate` with independent
readers (pydicom, json): the DICOS DX files of every view and energy are there
with the image size the labels imply; every object is labelled; boxes lie in
the image; labelled objects are darker than air inside their box.

usage: sim_check.py SCAN_DIR N_OBJECTS        -> checks one folder
       sim_check.py --same DIR_A DIR_B        -> pixel data of both are equal
       sim_check.py --differ DIR_A DIR_B      -> pixel data differ
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom


def planes(d):
    out = {}
    for f in sorted(glob.glob(os.path.join(d, "*.dcs"))):
        ds = pydicom.dcmread(f)
        out[os.path.basename(f)] = ds.pixel_array.astype(np.int64)
    assert out, f"no .dcs files in {d}"
    return out


def check(d, nobj):
    p = planes(d)
    for v in (0, 1):
        for e in ("high", "low"):
            assert f"dx_v{v}_{e}.dcs" in p, f"missing view {v} {e}: {sorted(p)}"
    with open(os.path.join(d, "labels.json")) as f:
        lab = json.load(f)
    objs = lab["objects"]
    assert len(objs) == nobj, f"{len(objs)} labelled objects, expected {nobj}"
    for o in objs:
        assert set(o) == {"id", "material", "threat", "views"}, o
        assert o["threat"] in (None, "explosive", "weapon", "dense"), o
        for vw in o["views"]:
            v = vw["view"]
            x0, y0, x1, y1 = vw["bbox"]
            img = p[f"dx_v{v}_high.dcs"]
            rows, cols = img.shape  # rows = detector pixels, columns = lines
            assert 0 <= x0 < x1 <= cols and 0 <= y0 < y1 <= rows, (o["id"], vw, img.shape)
            inside = img[y0:y1, x0:x1].mean()
            air = img[y0:y1, :3].mean()  # the same pixels in the first lines: air (margin)
            assert inside < air, (o["id"], v, inside, air)
    return p


def main():
    if sys.argv[1] == "--same":
        a, b = planes(sys.argv[2]), planes(sys.argv[3])
        assert a.keys() == b.keys()
        for k in a:
            assert np.array_equal(a[k], b[k]), f"{k} differs"
    elif sys.argv[1] == "--differ":
        a, b = planes(sys.argv[2]), planes(sys.argv[3])
        assert any(not np.array_equal(a[k], b[k]) for k in a), "scans are equal"
    else:
        check(sys.argv[1], int(sys.argv[2]))
    print("ok")


if __name__ == "__main__":
    main()
