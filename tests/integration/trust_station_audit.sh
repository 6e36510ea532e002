#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The station's audit trail end to end: on first start it creates the site
# keys in DATA/keys; every event (logins, scans, decisions, account changes,
# start and stop) is appended to DATA/audit.log and checkpoints are signed;
# `lucent audit verify` passes with only the public key; an independent
# check finds the log equal to the index, event for event, with the build
# hash of the running program and the recognition configuration on every
# decision. Events made by `lucent user` while the station is down are taken
# in at the next start. A damaged log stops the station from starting.
# label: slow
set -euo pipefail
: "${LUCENT:?}" "${LC_SOURCE_DIR:?}"
. "$LC_SOURCE_DIR/tests/integration/lib/station.bash"
lc_setup
lc_user_add sam screener screen-pass-1
start() { lc_start --demo --rate 2 --tip-share 0.2 --seed "$1"; }
stop() { lc_stop; }

start 3
"$PY" "$LC_SOURCE_DIR/tests/integration/station_client.py" decide "http://127.0.0.1:$port" \
  "$work/decisions" 6
stop
[ -s "$data/keys/site.vkey" ] && [ "$(stat -c %a "$data/keys/site.key")" = 600 ]
grep -q "created the site keys" "$work/station.log"
"$LUCENT" audit verify "$data/audit.log" --key "$data/keys/site.vkey"
"$PY" "$LC_SOURCE_DIR/tests/integration/audit_check.py" "$data" "$LUCENT"
ls "$data"/audit.log.ckpt/*.note >/dev/null

# An account change while the station is down reaches the log at the next start.
printf 'super-pass-1\n' | "$LUCENT" user add --data "$data" --role supervisor sue >/dev/null
start 4
sleep 1
stop
"$LUCENT" audit verify "$data/audit.log" --key "$data/keys/site.vkey" | tee "$work/verify"
"$PY" "$LC_SOURCE_DIR/tests/integration/audit_check.py" "$data" "$LUCENT" | tee "$work/check"
grep -q '"user.add": 2' "$work/check"

# A damaged log: the auditor sees it, and the station refuses to start on it.
cp "$data/audit.log" "$work/good.log"
"$PY" - "$data/audit.log" <<'PYEOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x20
open(p, "wb").write(bytes(b))
PYEOF
if "$LUCENT" audit verify "$data/audit.log" --key "$data/keys/site.vkey" 2> "$work/err"; then
  echo "a flipped bit was not detected" >&2; exit 1
fi
grep -q "first bad entry" "$work/err"
if "$LUCENT" station --data "$data" --port "$port" 2> "$work/err2"; then
  echo "the station started on a damaged audit log" >&2; exit 1
fi
grep -q "audit.log" "$work/err2"
cp "$work/good.log" "$data/audit.log"
echo "trust_station_audit: ok"
