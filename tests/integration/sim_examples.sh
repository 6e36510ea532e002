#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# label: slow
# sim_examples.sh: every example bag (examples/scenes/*.json) simulates, and
# its DICOS output and labels pass sim_check.py (all objects labelled, boxes
# inside the images and darker than air).
set -euo pipefail

: "${LUCENT:?}" "${PYTHON:?}" "${LC_SOURCE_DIR:?}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
n=0
for scene in "$LC_SOURCE_DIR"/examples/scenes/*.json; do
  name=$(basename "$scene" .json)
  "$LUCENT" simulate "$scene" -o "$W/$name" --seed 3
  nobj=$("$PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["objects"]))' "$scene")
  "$PYTHON" "$LC_SOURCE_DIR/tests/integration/sim_check.py" "$W/$name" "$nobj" >/dev/null ||
    { echo "FAIL: $name" >&2; exit 1; }
  n=$((n + 1))
done
[ "$n" -ge 1 ] || { echo "FAIL: no example scenes" >&2; exit 1; }
echo "sim_examples: $n scenes ok"
