#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# train_atr.sh: scripts/train_atr.py on the feature dump of a small corpus
# (lucent eval --features): the same dump gives the same atr_model.c, the
# file compiles against the library's internal header, the operating point
# keeps the training false alarms within --fa, a larger budget never detects
# fewer weapons, and an impossible budget or a missing dump fails with a
# message and writes no model.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
train="$LC_SOURCE_DIR/scripts/train_atr.py"

"$LUCENT" corpus --n 12 --seed 9 --threat-rate 0.5 --mix 1,2,0 -o "$work/c" >/dev/null
"$LUCENT" eval "$work/c" --threads 2 --features "$work/c/f.csv" >/dev/null
test "$(wc -l <"$work/c/f.csv")" -gt 12

# figure: the "train:" line's false alarms and weapons detected
fa_of() { sed -n 's/^train: false alarms \([0-9.]*\) %.*/\1/p' "$1"; }
weapons_of() { sed -n 's/^train: .* weapons \([0-9]*\)\/.*/\1/p' "$1"; }

"$PYTHON" "$train" -o "$work/m1.c" "$work/c/f.csv" --fa 0.2 --fa-corpus 1 2>"$work/t1.txt"
"$PYTHON" "$train" -o "$work/m2.c" "$work/c/f.csv" --fa 0.2 --fa-corpus 1 2>/dev/null
cmp "$work/m1.c" "$work/m2.c"
grep -q 'at least 89 % of the weapons detected' "$work/m1.c"
test "$(grep -c '{0, 0, NULL, ' "$work/m1.c")" -eq 3
cc -std=c11 -fsyntax-only -Wall -Werror -I "$LC_SOURCE_DIR/src" -I "$LC_SOURCE_DIR/include" "$work/m1.c"
fa1=$(fa_of "$work/t1.txt")
[ -n "$fa1" ] || { echo "no train figures:"; cat "$work/t1.txt"; exit 1; }
awk -v f="$fa1" 'BEGIN { exit !(f <= 20.0) }' || { echo "false alarms $fa1 % over the 20 % budget"; exit 1; }

# no budget at all: nothing may alarm on a clean bag
"$PYTHON" "$train" -o "$work/m0.c" "$work/c/f.csv" --fa 0 --fa-corpus 1 2>"$work/t0.txt"
test "$(fa_of "$work/t0.txt")" = "0.0"
# the sum-of-rates objective of the ninth pass is still there
"$PYTHON" "$train" -o "$work/ms.c" "$work/c/f.csv" --fa 0.2 --fa-corpus 1 --weapon-floor 0 2>/dev/null
grep -q 'the sum of the rates' "$work/ms.c"
# a larger budget detects at least as many weapons
w0=$(weapons_of "$work/t0.txt"); w1=$(weapons_of "$work/t1.txt")
[ "$w1" -ge "$w0" ] || { echo "weapons $w1 at 20 % < $w0 at 0 %"; exit 1; }

# failures: a message, an exit code, no model written
set +e
"$PYTHON" "$train" -o "$work/bad.c" "$work/c/f.csv" --fa -1 2>"$work/err"
rc=$?
set -e
[ "$rc" -ne 0 ] && grep -q 'no operating point' "$work/err" && [ ! -e "$work/bad.c" ] ||
    { echo "impossible budget: rc $rc"; cat "$work/err"; exit 1; }
set +e
"$PYTHON" "$train" -o "$work/bad.c" "$work/nothing.csv" 2>"$work/err"
rc=$?
set -e
[ "$rc" -ne 0 ] && [ ! -e "$work/bad.c" ] || { echo "missing dump: rc $rc"; exit 1; }
echo "train_atr: ok (false alarms $fa1 %, weapons $w1)"
