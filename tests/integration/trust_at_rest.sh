#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# label: slow
# Encryption at rest and retention by crypto-erasure, end to end: (a) no
# stored file holds a DICOM magic or parses with pydicom or dcmdump; (b) after
# a restart the console still serves every bag (unsealed on load); (c) a
# truncated file, two swapped names and a flipped byte each make their bag
# fail with an error naming the file while the others load and the station
# stays up; (d) with a tiny retention the bags nothing keeps are erased (key
# NULL and gone from the database and WAL, files deleted, 410), alarm bags
# stay, and the audit log verifies and holds the scan.erased events. An
# intact scan exports as plain DICOS (audited); a damaged one does not.
set -euo pipefail
: "${LUCENT:?}" "${LC_SOURCE_DIR:?}"
. "$LC_SOURCE_DIR/tests/integration/lib/station.bash"
H="$LC_SOURCE_DIR/tests/integration/trust_at_rest.py"
lc_setup
lc_user_add sam screener screen-pass-1
start() { lc_start "$@"; }
stop() { lc_stop; }

# Bags with recognition (machine alarms and TDRs), then quick ones without.
start --demo --rate 4 --seed 21 --tip-share 0
"$PY" "$H" wait "$data" 2 0 60
stop
start --demo --rate 6 --seed 22 --tip-share 0 --threat-share 0 --no-atr
"$PY" "$H" wait "$data" 2 3 30
stop

# (a) nothing readable on disk
"$PY" "$H" files "$data"
# (b) served after a restart
start
"$PY" "$H" images "$url" "$data"
stop
# (c) damaged files: named errors, the rest loads, the station stays up
"$PY" "$H" damage "$data" "$work/damage.json"
start
"$PY" "$H" damaged "$url" "$work/damage.json" "$data"
kill -0 "$pid"
stop
if grep -qi "key=\|wrapped" "$work/station.log"; then
  echo "the station log mentions keys" >&2; exit 1
fi

# An auditor exports an intact scan as plain DICOS (audited); a damaged one
# exports nothing.
read -r good damaged < <("$PY" "$H" pick "$data" "$work/damage.json")
"$LUCENT" export --data "$data" --actor aud1 "$good" "$work/export"
"$PY" "$H" plain "$work/export"
if "$LUCENT" export --data "$data" "$damaged" "$work/export2" 2> "$work/err"; then
  echo "a damaged scan was exported" >&2; exit 1
fi
grep -q "scans/$damaged/" "$work/err"
[ ! -e "$work/export2" ]

# (d) retention: 0.0001 days = 8.6 s
"$PY" "$H" keys "$data" "$work/keys.json"
start --retention-days 0.0001
"$PY" "$H" retention "$url" "$data" 40 "$work/keys.json"
stop
grep -q "retention: erased" "$work/station.log"
"$LUCENT" audit verify "$data/audit.log" --key "$data/keys/site.vkey"
"$PY" "$LC_SOURCE_DIR/tests/integration/audit_check.py" "$data" "$LUCENT" | tee "$work/check"
grep -q '"scan.erased": [1-9]' "$work/check"
grep -q '"scan.export": 1' "$work/check"
echo "trust_at_rest: ok"
