#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `lucent import raw` end to end: a vendor-style dump (16-byte integer header
# holding the line count, the whole high plane then the whole low plane,
# 640 pixels per line, 12-bit little endian, air near the maximum) becomes a
# DICOS scan folder whose pixel data, read by pydicom (an independent reader),
# equal the dump; truncated and inconsistent dumps and bad flags are refused
# with the documented exit codes and a message that says why.
set -euo pipefail
: "${LUCENT:?}" "${PYTHON:=/usr/bin/python3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" - "$work/bag.raw" <<'PY'
import struct, sys, random
random.seed(7)
lines, pixels = 120, 640
hdr = struct.pack('<IIII', 0x4c55, lines, pixels, 12)
hi, lo = [], []
for x in range(lines):
    for y in range(pixels):
        inside = 30 <= x < 90 and 200 <= y < 420
        hi.append(1500 + (x * 7 + y) % 500 if inside else 4000 + (x + y) % 90)
        lo.append(900 + (x * 5 + y) % 400 if inside else 3900 + (x * 3 + y) % 150)
open(sys.argv[1], 'wb').write(hdr + struct.pack('<%dH' % len(hi), *hi) + struct.pack('<%dH' % len(lo), *lo))
PY

"$LUCENT" import raw "$work/bag.raw" -o "$work/scan" --header-bytes 16 --lines-at 4 \
    --pixels 640 --bits 12 --air 4095 --kvp 160 --pixel-pitch 1.6 --station embassy-07

ls "$work/scan"/*.dcs >/dev/null

# Independent reader: pydicom sees the planes exactly as dumped.
"$PYTHON" - "$work/bag.raw" "$work/scan" <<'PY'
import glob, struct, sys
import numpy as np
import pydicom
raw = open(sys.argv[1], 'rb').read()
lines, pixels = struct.unpack_from('<II', raw, 4)
data = np.frombuffer(raw[16:], dtype='<u2')
n = lines * pixels
# A line's pixels are contiguous in the dump: reshape (lines, pixels), then
# transpose to image order (rows = detector pixels, columns = lines).
planes = {'high': data[:n].reshape(lines, pixels).T, 'low': data[n:].reshape(lines, pixels).T}
found = {}
for path in sorted(glob.glob(sys.argv[2] + '/*.dcs')):
    ds = pydicom.dcmread(path)
    if ds.SOPClassUID != '1.2.840.10008.5.1.4.1.1.501.2.2':
        continue
    arr = ds.pixel_array
    assert int(ds.BitsStored) == 12, ds.BitsStored
    frames = arr.reshape((-1,) + arr.shape[-2:])
    for f in frames:
        assert f.shape == (pixels, lines), f.shape
        for name, p in planes.items():
            if np.array_equal(f, p):
                found[name] = path
assert set(found) == {'high', 'low'}, 'planes not found in DICOS output: %r' % found
print('pydicom: high and low planes equal the dump')
PY

# lucent info reads it back and reports the layout.
"$LUCENT" info "$work/scan" --json > "$work/info.json"
"$PYTHON" - "$work/info.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
info = json.loads(text)
assert '640' in text and '120' in text, text
assert 'embassy-07' in text, text
print('lucent info: ok')
PY

expect_fail() { # expected-exit-code message-substring command...
    local code=$1 want=$2
    shift 2
    set +e
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    set -e
    if [ "$got" -ne "$code" ] || ! grep -q -- "$want" "$work/err"; then
        echo "FAIL: '$*' exited $got (want $code), stderr:" >&2
        cat "$work/err" >&2
        exit 1
    fi
    [ "$(wc -l <"$work/err")" -le 2 ] || { echo "FAIL: more than one error line" >&2; exit 1; }
}

# Truncated dump: exit 1 naming the reason.
head -c 100000 "$work/bag.raw" > "$work/short.raw"
expect_fail 1 truncated "$LUCENT" import raw "$work/short.raw" -o "$work/s2" --header-bytes 16 \
    --lines-at 4 --pixels 640 --bits 12
# Wrong bit depth (the dump is 12-bit; 10 bits is too few).
expect_fail 1 "exceeds the 10-bit maximum" "$LUCENT" import raw "$work/bag.raw" -o "$work/s3" \
    --header-bytes 16 --lines-at 4 --pixels 640 --bits 10
# Wrong pixel count: the data are not a whole number of lines.
expect_fail 1 "whole number" "$LUCENT" import raw "$work/bag.raw" -o "$work/s4" \
    --header-bytes 16 --pixels 641
# Usage errors: exit 2.
expect_fail 2 "missing --pixels" "$LUCENT" import raw "$work/bag.raw" -o "$work/s5"
expect_fail 2 "--endian" "$LUCENT" import raw "$work/bag.raw" -o "$work/s5" --pixels 640 --endian middle
expect_fail 2 "unknown option" "$LUCENT" import raw "$work/bag.raw" -o "$work/s5" --pixels 640 --frobnicate 1
expect_fail 2 "unknown format" "$LUCENT" import tiff "$work/bag.raw"
expect_fail 1 "cannot open" "$LUCENT" import raw "$work/missing.raw" -o "$work/s6" --pixels 640
# Nothing was written for the refused imports.
[ ! -e "$work/s2" ] && [ ! -e "$work/s3" ] && [ ! -e "$work/s4" ]
echo "import_raw: all checks passed"
