#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dicos_import.sh: a raw dump made here with numpy goes through
# `lucent import raw`, and the DICOS files it writes are checked by dcmdump and
# by pydicom against the dump's own samples (transposed into image order).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" - "$work/bag.raw" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(7)
lines, pixels = 90, 64
planes = rng.integers(0, 4096, size=(2, lines, pixels), dtype=np.uint16)
planes.astype("<u2").tofile(sys.argv[1])
PY
"$LUCENT" import raw "$work/bag.raw" -o "$work/scan" --pixels 64 --bits 12 --kvp 150 \
    --scan-id RAW-7 >/dev/null
for f in "$work"/scan/*.dcs; do
    out=$(dcmdump +E "$f" 2>&1)
    if grep -E '^(W|E):' <<<"$out"; then echo "dcmdump complained about $f"; exit 1; fi
done
"$PYTHON" "$LC_SOURCE_DIR/tests/integration/dicos_check.py" raw "$work/scan" "$work/bag.raw" 64
"$LUCENT" info "$work/scan" | grep -q '^scan RAW-7'
echo "dicos_import: ok"
