#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# phys_commands.sh: `lucent spectrum` and `lucent detector` end to end: CSV
# layout, values checked with numpy against physics (Duane-Hunt limit, mean
# energy, filtration hardening, eta bounds, K edges), scanner files (defaults,
# overrides, unknown keys named), and exit codes 0/1/2.
set -euo pipefail
: "${LUCENT:?}" "${PYTHON:=/usr/bin/python3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Default spectrum, CSV.
"$LUCENT" spectrum --csv > s160.csv
head -1 s160.csv | grep -qx 'energy_keV,photons' || fail "spectrum CSV header"
"$LUCENT" spectrum --csv --kvp 80 > s80.csv
# Readable output names the mean energy.
"$LUCENT" spectrum | grep -q '^mean energy: ' || fail "spectrum summary"

# A scanner file with more filtration and a different detector.
cat > scanner.json <<'JSON'
{"geometry": {"ignored": "by phys"},
 "tube": {"kvp": 120, "added_cu_mm": 0.5},
 "detector": {"front": "gos", "front_mm": 0.2, "filter_mm": 0.5}}
JSON
"$LUCENT" spectrum --csv --scanner scanner.json > s120cu.csv
"$LUCENT" spectrum --csv --scanner scanner.json --kvp 160 > s160cu.csv
"$LUCENT" detector --csv > det.csv
"$LUCENT" detector --csv --scanner scanner.json > det_gos.csv
head -1 det.csv | grep -qx 'energy_keV,eta_low,eta_high' || fail "detector CSV header"
"$LUCENT" detector | grep -q '^detector: dual-layer csi 0.3 mm / Cu 0.3 mm / csi 4 mm' ||
    fail "detector summary"

"$PYTHON" - <<'PY'
import numpy as np
def load(name):
    return np.loadtxt(name, delimiter=",", skiprows=1)
s160, s80 = load("s160.csv"), load("s80.csv")
s120cu, s160cu = load("s120cu.csv"), load("s160cu.csv")
def mean(s): return (s[:, 0] * s[:, 1]).sum() / s[:, 1].sum()
# 1 keV bins up to kVp; nothing at or above the Duane-Hunt limit.
assert s160.shape == (160, 2) and s80.shape == (80, 2), (s160.shape, s80.shape)
assert np.all(np.diff(s160[:, 0]) == 1.0) and s160[0, 0] == 1
assert s160[-1, 1] == 0.0 and np.all(s160[:, 1] >= 0)
# Mean energies: 80 kV with 2.5 mm Al is near TASMIP's 41.8 keV (+2.3 mm Al
# of difference -> a few keV harder); 160 kV is harder still.
m80, m160 = mean(s80), mean(s160)
assert 40.0 < m80 < 47.0, m80
assert m160 > m80 + 12, (m80, m160)
# 0.5 mm Cu hardens the beam and removes photons.
assert mean(s160cu) > m160 + 5, (mean(s160cu), m160)
assert s160cu[:, 1].sum() < 0.6 * s160[:, 1].sum()
assert s120cu.shape == (120, 2)
# Tungsten K alpha 1 at 59.3 keV stands out of the continuum.
assert s160[58, 1] > 2 * s160[60, 1]
det, gos = load("det.csv"), load("det_gos.csv")
assert det.shape == (200, 3)
e, lo, hi = det[:, 0], det[:, 1], det[:, 2]
assert np.all((lo >= 0) & (lo <= 1) & (hi >= 0) & (hi <= 1) & (lo + hi <= 1 + 1e-12))
# The thin front absorbs almost everything at low energy and little at high.
assert lo[19] > 0.95 and lo[159] < 0.15, (lo[19], lo[159])
# The rear layer dominates at high energy; the iodine K edge (33.2 keV) shows
# as a jump in the front's absorption between 33 and 34 keV.
assert hi[119] > lo[119]
assert lo[33] > lo[32] + 0.1, (lo[32], lo[33])
# A GOS front: Gd K edge at 50.2 keV.
assert gos[50, 1] > gos[49, 1] + 0.1, (gos[49, 1], gos[50, 1])
print("phys commands: mean 80 kV %.2f keV, 160 kV %.2f keV, +0.5 mm Cu %.2f keV"
      % (m80, m160, mean(s160cu)))
PY

# Errors: bad input exits 1 naming what and where; usage exits 2.
expect() {
    local want=$1 needle=$2; shift 2
    set +e
    "$LUCENT" "$@" > out.txt 2> err.txt
    local rc=$?
    set -e
    [ "$rc" -eq "$want" ] || fail "$* exited $rc, want $want ($(cat err.txt))"
    [ "$(wc -l < err.txt)" -eq 1 ] || [ "$want" -eq 2 ] || fail "$*: want one line on stderr"
    grep -q -- "$needle" err.txt || fail "$*: stderr lacks '$needle': $(cat err.txt)"
}
echo '{"tube": {"kvp": 140, "voltage": 3}}' > unknown.json
expect 1 'tube.voltage: unknown key' spectrum --scanner unknown.json
echo '{"tube": {"kvp": 300}}' > range.json
expect 1 'tube.kvp' spectrum --scanner range.json
echo '{"detector": {"front": "kryptonite"}}' > mat.json
expect 1 'kryptonite' detector --scanner mat.json
echo '{"tube": {' > broken.json
expect 1 'broken.json:' detector --scanner broken.json
expect 1 'missing.json' spectrum --scanner missing.json
expect 1 'kvp' spectrum --kvp 20
expect 2 'unknown argument' spectrum --frobnicate
expect 2 'needs' detector --scanner
expect 2 'not a number' spectrum --kvp abc
"$LUCENT" help spectrum | grep -q 'energy_keV,photons' || fail "help spectrum"
"$LUCENT" help detector | grep -q 'eta_low' || fail "help detector"
echo "phys_commands: ok"
