#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dicos_info.sh: `lucent info` on files of other writers (tests/data/dicos,
# made by pydicom): implicit VR DX, a CT volume, a TDR with undefined-length
# sequences; a JPEG Lossless file and malformed files are refused with exit 1
# and a one-line reason; bad usage exits 2.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data="$LC_SOURCE_DIR/tests/data/dicos"

"$LUCENT" info "$data/implicit_dx.dcs" >"$work/a.txt"
grep -q 'DX for processing, 6 x 4 (MONOCHROME2, 16 bits, 12 stored)' "$work/a.txt"
grep -q 'transfer syntax:  1.2.840.10008.1.2$' "$work/a.txt"
grep -q 'scan id:          IMPL-1' "$work/a.txt"
"$LUCENT" info "$data/ct.dcs" | grep -q 'CT, 8 x 8 x 2 frames'
"$LUCENT" info "$data/tdr_undefined.dcs" >"$work/t.txt"
grep -q 'TDR, 2 threat objects, alarm ALARM' "$work/t.txt"
grep -q '#11 EXPLOSIVE THREAT p=0.75 "fixture explosive" view 0 \[10,20 - 30,40\]' "$work/t.txt"
"$LUCENT" info --json "$data/tdr_undefined.dcs" | "$PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
assert j["report"]["threats"][1]["category"] == "PROHIBITED_ITEM"
assert j["report"]["threats"][1]["assessment"] == "NO_THREAT"
'
# A folder of only other writers files: no lucent scan, still summarised.
cp "$data"/ct.dcs "$data"/tdr_undefined.dcs "$work/"
"$LUCENT" info "$work" | grep -q 'no DX for processing files'

set +e
"$LUCENT" info "$data/jpeg_lossless.dcs" >/dev/null 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] || { echo "jpeg: exit $rc"; exit 1; }
grep -q 'JPEG Lossless' "$work/err"
grep -q '1.2.840.10008.1.2.4.70' "$work/err"
[ "$(wc -l <"$work/err")" = 1 ]

head -c 700 "$data/ct.dcs" >"$work/cut.dcs"
set +e
"$LUCENT" info "$work/cut.dcs" >/dev/null 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'cut.dcs' "$work/err" || { echo "truncated: exit $rc"; cat "$work/err"; exit 1; }
printf 'not dicom' >"$work/x.dcs"
set +e
"$LUCENT" info "$work/x.dcs" 2>/dev/null; rc1=$?
"$LUCENT" info 2>/dev/null; rc2=$?
"$LUCENT" info --bogus "$work/x.dcs" 2>/dev/null; rc3=$?
"$LUCENT" info "$work/missing" 2>/dev/null; rc4=$?
set -e
[ "$rc1$rc2$rc3$rc4" = 1221 ] || { echo "exit codes $rc1$rc2$rc3$rc4"; exit 1; }
echo "dicos_info: ok"
