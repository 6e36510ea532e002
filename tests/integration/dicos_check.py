#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dicos_check.py: checks a folder of lucent-written DICOS files with pydicom,
an independent reader. Run with /usr/bin/python3 (which has pydicom, numpy).

  dicos_check.py export DIR
      DIR was written by `test_dicos` with LC_DICOS_EXPORT=DIR: a 2-view scan
      whose samples follow a formula (see tests/unit/test_dicos.c), grey and
      RGB presentation images and a TDR. Every pixel and TDR field is compared.
  dicos_check.py raw DIR RAW PIXELS
      DIR was written by `lucent import raw RAW --pixels PIXELS` from a dump of
      a high then a low plane, little endian 16-bit, line-major. Pixels must be
      the dump's samples transposed into image order (rows = pixels).

Every file must parse (with pydicom's strict validation where available), carry
explicit VR little endian, matching SOP class in meta and data set, a valid and
unique "2.25." SOP Instance UID and the folder's one Study Instance UID.
Exits 0 on success, 1 with a message otherwise.
"""
import glob
import os
import re
import sys

import numpy as np
import pydicom
from pydicom import config

try:  # pydicom >= 2.3
    config.settings.reading_validation_mode = config.RAISE
except AttributeError:  # older pydicom
    config.enforce_valid_values = True

DX_PROC = "1.2.840.10008.5.1.4.1.1.501.2.2"
DX_PRES = "1.2.840.10008.5.1.4.1.1.501.2.1"
TDR = "1.2.840.10008.5.1.4.1.1.501.3"
UID_RE = re.compile(r"^2\.25\.(0|[1-9][0-9]*)$")


def fail(msg):
    print("dicos_check: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def load_folder(folder):
    files = sorted(glob.glob(os.path.join(folder, "*.dcs")))
    check(files, "no .dcs files in " + folder)
    out, sops, studies = {}, set(), set()
    for path in files:
        ds = pydicom.dcmread(path)
        name = os.path.basename(path)
        check(ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1", name + ": not explicit LE")
        check(ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID, name + ": meta class")
        check(ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID, name + ": meta uid")
        for uid in (ds.SOPInstanceUID, ds.SeriesInstanceUID):
            check(len(uid) <= 64 and UID_RE.match(uid), name + ": bad UID " + uid)
        check(ds.SOPInstanceUID not in sops, name + ": SOP Instance UID reused")
        sops.add(ds.SOPInstanceUID)
        studies.add(ds.StudyInstanceUID)
        out[name] = ds
    check(len(studies) == 1, "files disagree on the Study Instance UID: %s" % studies)
    return out


def check_dx(ds, name, expect):
    check(ds.SOPClassUID == DX_PROC, name + ": not DX for processing")
    check(ds.Modality == "DX" and ds.PresentationIntentType == "FOR PROCESSING", name)
    check(ds.PhotometricInterpretation == "MONOCHROME2" and ds.BitsAllocated == 16, name)
    check(ds["PixelData"].VR == "OW", name + ": Pixel Data VR " + ds["PixelData"].VR)
    px = ds.pixel_array
    check(px.dtype == np.uint16 and px.shape == expect.shape,
          "%s: pixel array %s %s, expected %s" % (name, px.dtype, px.shape, expect.shape))
    check(np.array_equal(px, expect), name + ": pixel data differ")


def export_mode(folder):
    files = load_folder(folder)
    lines, pixels = [61, 53], 47
    want = {"dx_v0_high.dcs", "dx_v0_low.dcs", "dx_v1_high.dcs", "dx_v1_low.dcs",
            "dxp_v0.dcs", "dxp_v1.dcs", "tdr_machine.dcs"}
    check(set(files) == want, "files %s" % sorted(files))
    for v in range(2):
        y, x = np.mgrid[0:pixels, 0:lines[v]]
        for c, ch in enumerate(["high", "low"]):
            expect = ((x * 37 + y * 101 + v * 1000 + c * 5000) % 16384).astype(np.uint16)
            ds = files["dx_v%d_%s.dcs" % (v, ch)]
            check_dx(ds, ch, expect)
            check(ds.BitsStored == 14 and float(ds.KVP) == 160.0, "bits/kVp")
            check(ds.PatientID == "EXPORT-1", "OOI ID")
    y, x = np.mgrid[0:pixels, 0:lines[0]]
    g = files["dxp_v0.dcs"]
    check(g.SOPClassUID == DX_PRES and g.PresentationIntentType == "FOR PRESENTATION", "pres0")
    check(np.array_equal(g.pixel_array, ((x * 257 + y * 4099) & 0xFFFF).astype(np.uint16)),
          "grey presentation pixels differ")
    y, x = np.mgrid[0:pixels, 0:lines[1]]
    c = files["dxp_v1.dcs"]
    check(c.PhotometricInterpretation == "RGB" and c.SamplesPerPixel == 3, "rgb attrs")
    rgb = np.stack([(x * 3) & 255, (y * 5) & 255, (x + y) & 255], axis=-1).astype(np.uint8)
    check(np.array_equal(c.pixel_array, rgb), "RGB presentation pixels differ")

    t = files["tdr_machine.dcs"]
    check(t.SOPClassUID == TDR and t.Modality == "TDR", "TDR class")
    # Read by tag number, not keyword: the DICOS data dictionary's numbers.
    check(t[0x40101027].value == "MACHINE", "TDR Type (4010,1027)")
    check(t[0x40101031].value == "ALARM", "Alarm Decision (4010,1031)")
    check(t[0x40101033].value == 2 and t[0x40101034].value == 1, "object counts")
    check(t[0x40101029].value == "lucent-test 1", "algorithm")
    seq = t[0x40101011].value
    check(len(seq) == 2, "Threat Sequence (4010,1011) length")
    uid_of = {n: d.SOPInstanceUID for n, d in files.items()}
    p0 = seq[0]
    check(p0[0x40101010].value == 1, "PTO ID (4010,1010)")
    check(abs(p0[0x40101017].value - 250) < 1e-3 and abs(p0[0x40101019].value - 7.5) < 1e-6,
          "mass / Zeff")
    reps = p0[0x40101037].value
    check(len(reps) == 2, "PTO Representation Sequence (4010,1037)")
    check(list(reps[0][0x4010101D].value) == [10, 5, 30, 5, 30, 20, 10, 20], "polygon view 0")
    check(list(reps[1][0x4010101D].value) == [12, 7, 25, 7, 25, 40, 12, 40], "polygon view 1")
    refs = {r.ReferencedSOPInstanceUID for r in reps[1][0x0008114A].value}
    check(refs == {uid_of["dx_v1_high.dcs"], uid_of["dx_v1_low.dcs"], uid_of["dxp_v1.dcs"]},
          "references of view 1")
    for r in reps[0][0x0008114A].value:
        check(r.ReferencedSOPClassUID in (DX_PROC, DX_PRES), "referenced class")
    a = p0[0x40101038].value[0]
    check(a[0x40101012].value == "EXPLOSIVE", "Threat Category (4010,1012)")
    check(a[0x40101013].value == "sheet explosive", "description (4010,1013)")
    check(a[0x40101015].value == "THREAT", "ATD Assessment Flag (4010,1015)")
    check(abs(a[0x40101016].value - 0.75) < 1e-6, "probability (4010,1016)")
    a1 = seq[1][0x40101038].value[0]
    check(a1.ThreatCategory == "PROHIBITED_ITEM" and a1.ATDAssessmentFlag == "NO_THREAT", "PTO 2")


def raw_mode(folder, raw, pixels):
    files = load_folder(folder)
    data = np.fromfile(raw, dtype="<u2")
    lines = data.size // 2 // pixels
    check(lines * pixels * 2 == data.size, "raw size")
    planes = data.reshape(2, lines, pixels)  # [channel][line][pixel]
    for c, ch in enumerate(["high", "low"]):
        name = "dx_v0_%s.dcs" % ch
        check(name in files, name + " missing")
        check_dx(files[name], name, planes[c].T)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        export_mode(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "raw":
        raw_mode(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        fail("usage: dicos_check.py export DIR | raw DIR RAW PIXELS")
    print("dicos_check: ok")


if __name__ == "__main__":
    main()
