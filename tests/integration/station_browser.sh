#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# label: slow
# station_browser: the console in Debian's chromium, driven by playwright-core
# (tests/browser/console.test.js), against `lucent station --demo` on a free
# loopback port. playwright-core is installed at test time into the build
# folder from tests/browser/package-lock.json; chromium is /usr/bin/chromium.
set -euo pipefail
: "${LUCENT:?}" "${LC_SOURCE_DIR:?}" "${LC_BUILD_DIR:?}"
. "$LC_SOURCE_DIR/tests/integration/lib/station.bash"
[ -x /usr/bin/chromium ] || { echo "station_browser: /usr/bin/chromium missing (scripts/deps.sh)" >&2; exit 1; }
command -v node >/dev/null || { echo "station_browser: node missing (scripts/deps.sh)" >&2; exit 1; }
mods=$LC_BUILD_DIR/browser
if [ ! -d "$mods/node_modules/playwright-core" ]; then
  mkdir -p "$mods"
  cp "$LC_SOURCE_DIR/tests/browser/package.json" "$LC_SOURCE_DIR/tests/browser/package-lock.json" "$mods/"
  (cd "$mods" && npm ci --no-audit --no-fund --silent)
fi
lc_setup
lc_user_add sam screener screen-pass-1
lc_user_add sue supervisor super-pass-1
lc_user_add aud auditor audit-pass-1
lc_user_add pat screener pre-pass-1
lc_start --demo --rate 1 --tip-share 1 --seed 3 --atr-sensitivity dense=0.45
# The TIP library is built on its own thread; bags before it carry no
# projection. Another screener clears those, so sam's first bag has one.
"$PY" "$LC_SOURCE_DIR/tests/integration/station_client.py" pretip "http://127.0.0.1:$port" \
  "$data" pat pre-pass-1
cp "$LC_SOURCE_DIR/tests/browser/console.test.js" "$mods/"
(cd "$mods" && HOME="$work" node console.test.js "http://127.0.0.1:$port")
kill -TERM "$pid"; wait "$pid"; pid=""
echo "station_browser: ok"
