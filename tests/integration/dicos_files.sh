#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dicos_files.sh: every kind of file lucent writes (DX for processing, DX for
# presentation in grey and RGB, TDR) is read by DCMTK's dcmdump without an
# error or warning and by pydicom with the pixels and TDR fields written; then
# `lucent info` summarises the folder (text and JSON) consistently.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scan="$work/scan"

LC_DICOS_EXPORT="$scan" "$LC_BUILD_DIR/tests/test_dicos"

for f in "$scan"/*.dcs; do
    if ! out=$(dcmdump +E "$f" 2>&1); then
        echo "dcmdump failed on $f:"; echo "$out"; exit 1
    fi
    if grep -E '^(W|E):' <<<"$out"; then
        echo "dcmdump complained about $f"; exit 1
    fi
done
# The DICOS tags are where the dictionary puts them (DCMTK's names).
dcmdump +E "$scan/tdr_machine.dcs" >"$work/tdr.txt"
for want in '\(4010,1011\) SQ .*ThreatSequence' '\(4010,1010\) US 1 .*PotentialThreatObjectID' \
    '\(4010,1037\) SQ .*PTORepresentationSequence' '\(4010,101d\) FL 10\\5\\30\\5\\30\\20\\10\\20 .*BoundingPolygon' \
    '\(4010,1038\) SQ .*ATDAssessmentSequence' '\(4010,1012\) CS \[EXPLOSIVE\] .*ThreatCategory' \
    '\(4010,1015\) CS \[THREAT\] .*ATDAssessmentFlag' '\(4010,1016\) FL 0.75 .*ATDAssessmentProbability' \
    '\(4010,1031\) CS \[ALARM\] .*AlarmDecision' '\(4010,1027\) CS \[MACHINE\] .*TDRType' \
    '\(4010,1033\) US 2 .*NumberOfTotalObjects' '\(4010,1034\) US 1 .*NumberOfAlarmObjects' \
    '\(0008,114a\) SQ .*ReferencedInstanceSequence'; do
    grep -Eq "$want" "$work/tdr.txt" || { echo "dcmdump: no line matching $want"; exit 1; }
done

"$PYTHON" "$LC_SOURCE_DIR/tests/integration/dicos_check.py" export "$scan"

"$LUCENT" info "$scan" >"$work/info.txt"
grep -q '^scan EXPORT-1' "$work/info.txt"
grep -q 'view 1 "side": 53 lines x 47 pixels' "$work/info.txt"
grep -q 'dxp_v1.dcs: DX for presentation, view 1 "side", 53 x 47 (RGB, 8 bits)' "$work/info.txt"
grep -q '#1 EXPLOSIVE THREAT p=0.75 "sheet explosive" view 0 \[10,5 - 30,20\] view 1 \[12,7 - 25,40\]' "$work/info.txt"
"$LUCENT" info --json "$scan" >"$work/info.json"
"$PYTHON" - "$work/info.json" "$scan" <<'PY'
import json, sys, glob, os, pydicom
j = json.load(open(sys.argv[1]))
folder = sys.argv[2]
study = pydicom.dcmread(os.path.join(folder, "dx_v0_high.dcs")).StudyInstanceUID
assert j["kind"] == "folder" and j["scan"]["study_uid"] == study, j["scan"]
assert j["scan"]["scan_id"] == "EXPORT-1" and j["scan"]["kvp"] == 160
assert [v["lines"] for v in j["scan"]["views"]] == [61, 53]
assert len(j["files"]) == 7
names = {f["name"]: f["summary"] for f in j["files"]}
assert names["dx_v1_low.dcs"]["energy"] == "low" and names["dx_v1_low.dcs"]["view"] == 1
assert names["tdr_machine.dcs"]["threat_objects"] == 2
for n, s in names.items():
    assert s["sop_instance_uid"] == pydicom.dcmread(os.path.join(folder, n)).SOPInstanceUID
r = j["reports"][0]["report"]
assert r["alarm"] == "ALARM" and r["type"] == "MACHINE"
t = r["threats"][0]
assert t["category"] == "EXPLOSIVE" and abs(t["probability"] - 0.75) < 1e-6
assert t["boxes"][1] == {"view": 1, "x0": 12, "y0": 7, "x1": 25, "y1": 40}, t["boxes"]
PY
"$LUCENT" info --json "$scan/dx_v0_high.dcs" | "$PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
assert j["kind"] == "file" and j["file"]["sop_class"] == "DX for processing"
assert j["file"]["rows"] == 47 and j["file"]["columns"] == 61 and j["file"]["bits_stored"] == 14
'
echo "dicos_files: ok"
