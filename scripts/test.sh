#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds lucent under AddressSanitizer and
# UndefinedBehaviorSanitizer (the "asan" preset) and runs every test with CTest.
#   scripts/test.sh            all tests
#   scripts/test.sh -L quick   only the quick gate (any ctest arguments pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
PRESET="${LC_PRESET:-asan}"
cmake --preset "$PRESET" >/dev/null
cmake --build --preset "$PRESET"
ctest --preset "$PRESET" -j"$(nproc)" "$@"
