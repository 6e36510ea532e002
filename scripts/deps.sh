#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages lucent needs to build, test and run, when they
# are missing. Idempotent; asks apt only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libxrl-dev libsodium-dev libsqlite3-dev libmicrohttpd-dev libjansson-dev libpng-dev
  libcmocka-dev libvips-dev
  dcmtk python3 python3-pydicom python3-numpy strace procps
  chromium
)
# Node.js and npm drive the browser tests (playwright-core). Machines that
# already have them (e.g. from another source, which conflicts with Debian's
# npm package) keep theirs; elsewhere Debian's packages are installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
