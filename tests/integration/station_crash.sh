#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# label: slow
# station_crash: kill -9 the station at random moments while the demo feeds
# bags fast and a screener client decides every bag, four times over; restart
# each time. Afterwards every decision the station acknowledged is in the
# index, every index row has its complete scan folder, and (after the
# restart's recovery) no folder lacks a row.
set -euo pipefail
: "${LUCENT:?}" "${LC_SOURCE_DIR:?}"
. "$LC_SOURCE_DIR/tests/integration/lib/station.bash"
lc_setup
cpid=""
trap 'if [ -n "$cpid" ]; then kill -9 "$cpid" 2>/dev/null || true; fi; lc_cleanup' EXIT

lc_user_add sam screener screen-pass-1
client="$LC_SOURCE_DIR/tests/integration/station_client.py"

start() { lc_start --demo --no-atr --rate 5 --tip-share 0.2 --seed "$1"; }

for round in 1 2 3 4; do
  start "$round"
  "$PY" "$client" decide "http://127.0.0.1:$port" "$work/acked" 120 &
  cpid=$!
  # Once this round's first bag is stored (slow under sanitizers), kill at a
  # random moment 2 to 5 seconds later, to the millisecond.
  before=$(grep -c " stored " "$work/station.log" || true)
  for _ in $(seq 600); do
    [ "$(grep -c " stored " "$work/station.log" || true)" -gt "$before" ] && break
    sleep 0.1
  done
  sleep "$("$PY" -c 'import random; print(round(random.uniform(2, 5), 3))')"
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  wait "$cpid" 2>/dev/null || true; cpid=""
  echo "round $round: $(wc -l < "$work/acked") acknowledged decisions so far"
done
# Round 5: kill exactly while a scan folder is being written (a .tmp- folder
# exists: files written, not yet renamed or indexed). The next start must
# remove it ("recovery: removed" in the log).
start 5
caught=$("$PY" - "$data/scans" "$pid" <<'PYEOF'
import os, signal, sys, time
scans, pid = sys.argv[1], int(sys.argv[2])
end = time.time() + 120
while time.time() < end:
    try:
        if any(n.startswith(".tmp-") for n in os.listdir(scans)):
            os.kill(pid, signal.SIGKILL)
            print(1)
            sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.0005)
print(0)
PYEOF
)
if [ "$caught" != 1 ]; then kill -9 "$pid"; fi
wait "$pid" 2>/dev/null || true; pid=""
echo "round 5: killed during a scan write: $caught"
# A last start runs recovery; then a clean stop.
start 9
sleep 1
kill -TERM "$pid"; wait "$pid"; pid=""
if [ "$caught" = 1 ] && ! grep -q "recovery: removed" "$work/station.log"; then
  echo "a half-written scan folder was not removed at restart" >&2; exit 1
fi
grep "recovery: removed" "$work/station.log" || true
"$PY" "$client" check "$data" "$work/acked"
[ "$(wc -l < "$work/acked")" -gt 5 ] || { echo "too few decisions to mean anything" >&2; exit 1; }
# The audit log survived five kill -9s: it verifies against the site key and
# holds every event of the index, byte for byte, in id order.
"$LUCENT" audit verify "$data/audit.log" --key "$data/keys/site.vkey"
"$PY" "$LC_SOURCE_DIR/tests/integration/audit_check.py" "$data"
echo "station_crash: ok"
