#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station_api: start `lucent station --demo` on a free loopback port with a
# temporary data folder, create accounts with `lucent user add`, then drive the
# JSON API (station_client.py api): log in per role, wait for a bag, fetch its
# images, decide, check statistics and events, and send hostile requests that
# must get the right 4xx. Finally SIGTERM must stop it cleanly.
set -euo pipefail
: "${LUCENT:?}" "${LC_SOURCE_DIR:?}"
. "$LC_SOURCE_DIR/tests/integration/lib/station.bash"
lc_setup

lc_user_add ada admin admin-pass-1
lc_user_add sam screener screen-pass-1
lc_user_add sue supervisor super-pass-1
lc_user_add aud auditor audit-pass-1
# No password on the command line, ever; a short one is refused.
if printf 'short\n' | "$LUCENT" user add --data "$data" --role screener tim 2>/dev/null; then
  echo "a 5-byte password was accepted" >&2; exit 1
fi
"$LUCENT" user list --data "$data" | grep -q '^sam .*screener *active$'

lc_start --demo --rate 2 --tip-share 0.2 --seed 5
"$PY" "$LC_SOURCE_DIR/tests/integration/station_client.py" api "$url"

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || { echo "station exited with $rc on SIGTERM" >&2; cat "$work/station.log" >&2; exit 1; }
grep -q "stopped" "$work/station.log"
# The log never holds a password or a session token.
if grep -q -e 'pass-1' -e 'lc_session=' "$work/station.log"; then echo "secret in the log" >&2; exit 1; fi
"$PY" - "$data" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/lucent.db")
kinds = [r[0] for r in db.execute("SELECT kind FROM events ORDER BY id")]
assert kinds[-1] == "station.stop", kinds[-3:]
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
print("events:", len(kinds), "last:", kinds[-1])
PYEOF
# TLS: with a certificate configured the same API is served over HTTPS and
# the session cookie is marked Secure.
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -days 1 -subj /CN=localhost 2>/dev/null
  printf '{"tls_cert": "%s", "tls_key": "%s", "data_dir": "%s", "port": %s}\n' \
    "$work/cert.pem" "$work/key.pem" "$data" "$port" > "$work/tls.json"
  "$LUCENT" station --config "$work/tls.json" 2> "$work/tls.log" &
  pid=$!
  "$PY" - "$port" <<'PYEOF'
import http.client, json, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for _ in range(100):
    try:
        c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=10)
        c.request("POST", "/api/login", body=json.dumps({"user": "ada", "password": "admin-pass-1"}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        break
    except OSError:
        time.sleep(0.1)
assert r.status == 200, r.status
assert "; Secure" in r.getheader("Set-Cookie")
print("tls: ok")
PYEOF
  kill -TERM "$pid"; wait "$pid"; pid=""
fi
echo "station_api: ok"
