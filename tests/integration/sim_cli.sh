#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_cli.sh: `lucent simulate` end to end: DICOS output read back by pydicom,
# labels.json, --png, reproducibility (--seed, --threads), --no-noise,
# --spectrum mono:E, --scanner, and the exit codes and messages of bad input.
set -euo pipefail

: "${LUCENT:?}" "${PYTHON:?}" "${LC_SOURCE_DIR:?}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CHECK="$PYTHON $LC_SOURCE_DIR/tests/integration/sim_check.py"

fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$W/bag.json" <<'JSON'
{"lucent_scene": 1, "name": "test bag",
 "objects": [
  {"id": "shell", "shape": "box", "size": [300, 250, 120], "wall": 3,
   "position": [200, 0, 60], "material": "polypropylene"},
  {"id": "bottle", "shape": "cylinder", "radius": 30, "height": 150,
   "position": [180, -50, 40], "rotation": [0, 90, 0], "material": "water"},
  {"id": "charge", "shape": "box", "size": [100, 60, 20], "position": [250, 60, 30],
   "material": "rdx", "threat": "explosive"},
  {"id": "gel", "shape": "sphere", "radius": 25, "position": [150, 60, 80],
   "material": {"composition": "C3H8O3", "density": 1.26}}
 ]}
JSON

# A run with noise and PNGs.
"$LUCENT" simulate "$W/bag.json" -o "$W/a" --seed 7 --png
$CHECK "$W/a" 4 >/dev/null || fail "output check"
for f in view0.png view1.png; do
  head -c 8 "$W/a/$f" | od -An -c | grep -q "P   N   G" || fail "$f is not a PNG"
done

# Reproducible for a seed, whatever the thread count; another seed differs.
"$LUCENT" simulate "$W/bag.json" -o "$W/b" --seed 7 --threads 1
"$LUCENT" simulate "$W/bag.json" -o "$W/c" --seed 8 --threads 2
$CHECK --same "$W/a" "$W/b" >/dev/null || fail "same seed, different scans"
$CHECK --differ "$W/a" "$W/c" >/dev/null || fail "different seeds, same scan"
cmp -s "$W/a/labels.json" "$W/b/labels.json" || fail "labels differ between runs"

# Noiseless and monoenergetic runs.
"$LUCENT" simulate "$W/bag.json" -o "$W/d" --no-noise --spectrum mono:80
$CHECK "$W/d" 4 >/dev/null || fail "mono output check"

# A scanner file: one view, coarser pixels.
cat >"$W/scanner.json" <<'JSON'
{"tube": {"kvp": 140},
 "geometry": {"pixel_pitch_mm": 2.0,
   "views": [{"label": "top", "source": [0, -400], "detector": [[-400, 500], [400, 500]]}]},
 "acquisition": {"reference_lines": 8}}
JSON
"$LUCENT" simulate "$W/bag.json" -o "$W/e" --scanner "$W/scanner.json" --no-noise
ls "$W/e"/*.dcs | wc -l | grep -qx 2 || fail "one view expected"
"$PYTHON" - "$W/e" <<'PY'
import sys, glob, pydicom
f = sorted(glob.glob(sys.argv[1] + "/*.dcs"))[0]
a = pydicom.dcmread(f).pixel_array
assert a.shape[0] == 400, a.shape
PY

# Bad input: exit 1 with one line naming the field.
expect_fail() { # expected-exit substring args...
  local code=$1 want=$2; shift 2
  set +e
  "$LUCENT" simulate "$@" 2>"$W/err" >/dev/null
  local rc=$?
  set -e
  [ "$rc" -eq "$code" ] || fail "exit $rc (want $code) for $*: $(cat "$W/err")"
  grep -qF -- "$want" "$W/err" || fail "message '$(cat "$W/err")' lacks '$want'"
  [ "$(wc -l <"$W/err")" -le 2 ] || fail "message longer than expected"
}
printf '{"lucent_scene": 1,\n "objects": [}\n' >"$W/badjson.json"
expect_fail 1 "badjson.json: line 2" "$W/badjson.json" -o "$W/x"
cat >"$W/badmat.json" <<'JSON'
{"lucent_scene": 1, "objects": [{"shape": "sphere", "radius": 5, "position": [0, 0, 50],
  "material": "unobtainium"}]}
JSON
expect_fail 1 "objects[0].material: unknown material 'unobtainium'" "$W/badmat.json" -o "$W/x"
cat >"$W/nomesh.json" <<'JSON'
{"lucent_scene": 1, "objects": [{"shape": "mesh", "file": "gone.stl", "position": [0, 0, 50],
  "material": "water"}]}
JSON
expect_fail 1 "objects[0].file" "$W/nomesh.json" -o "$W/x"
cat >"$W/neg.json" <<'JSON'
{"lucent_scene": 1, "objects": [{"shape": "box", "size": [10, 10, 10], "position": [0, 0, 5],
  "material": "water"}, {"shape": "box", "size": [10, -1, 10], "position": [0, 0, 5],
  "material": "water"}]}
JSON
expect_fail 1 "neg.json: objects[1].size[1]: must be positive" "$W/neg.json" -o "$W/x"
expect_fail 1 "mono" "$W/bag.json" -o "$W/x" --spectrum mono:abc
expect_fail 1 "missing.json" "$W/missing.json" -o "$W/x"
echo '{"geometry": {"pixel_pich_mm": 1}}' >"$W/badscanner.json"
expect_fail 1 "geometry.pixel_pich_mm: unknown key" "$W/bag.json" -o "$W/x" --scanner "$W/badscanner.json"
# a library message the module prefixes with the command's own name is not
# prefixed twice ("lucent simulate: simulate: ...")
cat >"$W/long.json" <<'JSON'
{"lucent_scene": 1, "objects": [{"shape": "box", "size": [4000, 100, 100],
  "position": [2000, 0, 50], "material": "water"}]}
JSON
echo '{"acquisition": {"line_pitch_mm": 0.05}}' >"$W/fine.json"
expect_fail 1 "lucent simulate: the bag needs 81601 lines" "$W/long.json" -o "$W/x" --scanner "$W/fine.json"

# Usage errors: exit 2.
expect_fail 2 "missing -o" "$W/bag.json"
expect_fail 2 "unknown option" "$W/bag.json" -o "$W/x" --frobnicate
expect_fail 2 "--seed" "$W/bag.json" -o "$W/x" --seed -3
"$LUCENT" help simulate | grep -q "labels.json" || fail "help text"
echo "sim_cli: ok"
