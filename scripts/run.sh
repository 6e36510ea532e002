#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: installs what is missing, builds lucent (release), and runs the
# screening station in demo mode: simulated bags arrive in the browser console
# at http://127.0.0.1:8080/ (LUCENT_PORT to change the port).
#
# There is no default account. On the first run this script creates one
# account per role in the demo data folder (lucent-data/ unless LUCENT_DATA is
# set) with random passwords, prints them once, and keeps them in
# lucent-data/demo-accounts.txt (mode 0600). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
LUCENT="$PWD/build/release/lucent"
DATA="${LUCENT_DATA:-$PWD/lucent-data}"
PORT="${LUCENT_PORT:-8080}"

mkdir -p "$DATA"
chmod 700 "$DATA"
accounts="$DATA/demo-accounts.txt"
if [ ! -s "$accounts" ]; then
  umask 077
  : > "$accounts"
  for pair in admin:admin supervisor:supervisor screener:screener auditor:auditor; do
    name=${pair%%:*} role=${pair##*:}
    pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
    printf '%s\n' "$pw" | "$LUCENT" user add --data "$DATA" --role "$role" "$name" >/dev/null
    printf '%-11s %s\n' "$name" "$pw" >> "$accounts"
  done
  echo "demo accounts (also in $accounts):"
  cat "$accounts"
else
  echo "demo accounts: see $accounts"
fi
echo "console: http://127.0.0.1:$PORT/"
exec "$LUCENT" station --demo --data "$DATA" --port "$PORT" --rate 0.5 \
    --scenes "$PWD/examples/scenes"
