#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The auditor's commands end to end: a site creates its keys (secrets mode
# 0600, sealed with a passphrase read from stdin), events are appended and a
# checkpoint signed; `lucent audit verify` passes with the public key only,
# fails on a flipped bit (naming the entry), on a truncated log and with
# another site's key; `lucent audit prove` gives proofs that an independent
# Python check (hashlib, RFC 6962) accepts. No secret reaches any output.
set -euo pipefail
: "${LUCENT:?}" "${PYTHON:=/usr/bin/python3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "correct horse battery" | "$LUCENT" keys init --dir keys --name lucent.embassy-07 \
    --passphrase-stdin > out.txt
[ "$(stat -c %a keys/site.key)" = 600 ] && [ "$(stat -c %a keys/data.key)" = 600 ]
[ "$(stat -c %a keys)" = 700 ]
if grep -q "correct horse" keys/* out.txt; then echo "passphrase leaked" >&2; exit 1; fi
# Keys are never replaced.
if "$LUCENT" keys init --dir keys --name lucent.embassy-07 2>err.txt; then exit 1; fi
grep -q "refusing to replace" err.txt

"$LUCENT" keys init --dir other --name lucent.elsewhere > /dev/null

for i in $(seq 1 20); do echo "{\"event\":\"decision\",\"bag\":$i,\"by\":\"op1\"}"; done > events.txt
( echo "correct horse battery"; cat events.txt ) | \
    "$LUCENT" audit append audit.log --keys keys --passphrase-stdin > out.txt
grep -q "appended 20 entries" out.txt
# A wrong passphrase does not open the keys, and says so without echoing it.
if ( echo "wrong horse"; echo '{"event":"x"}' ) | \
    "$LUCENT" audit append audit.log --keys keys --passphrase-stdin 2>err.txt; then exit 1; fi
grep -q "wrong passphrase" err.txt
if grep -q "wrong horse" err.txt; then exit 1; fi

"$LUCENT" audit verify audit.log --key keys/site.vkey | tee out.txt
grep -q "20 entries intact" out.txt
grep -q "1 signed checkpoint" out.txt

# Another site's key does not verify this site's checkpoints.
if "$LUCENT" audit verify audit.log --key other/site.vkey 2>err.txt; then exit 1; fi
grep -q "not signed by" err.txt

# A flipped bit is detected and the entry named.
cp audit.log good.log
"$PYTHON" - <<'PY'
data = bytearray(open('audit.log', 'rb').read())
data[200] ^= 0x04
open('audit.log', 'wb').write(bytes(data))
PY
set +e
"$LUCENT" audit verify audit.log --key keys/site.vkey 2>err.txt
code=$?
set -e
[ "$code" -eq 1 ]
grep -q "first bad entry" err.txt

# Truncation by whole records is detected against the signed checkpoint.
cp good.log audit.log
"$PYTHON" - <<'PY'
import struct
data = open('audit.log', 'rb').read()
off, recs = 8, []
while off < len(data):
    n = struct.unpack('>I', data[off:off + 4])[0]
    recs.append(off)
    off += 8 + n + 32
open('audit.log', 'wb').write(data[:recs[-2]])
PY
if "$LUCENT" audit verify audit.log --key keys/site.vkey 2>err.txt; then exit 1; fi
grep -q "removed or truncated" err.txt
cp good.log audit.log

# Proofs, checked independently with hashlib.
"$LUCENT" audit prove audit.log --index 6 > incl.json
"$LUCENT" audit prove audit.log --from 7 --to 20 > cons.json
"$PYTHON" - <<'PY'
import base64, hashlib, json
def h(b): return hashlib.sha256(b).digest()
def node(l, r): return h(b'\x01' + l + r)
lines = [l.rstrip('\n').encode() for l in open('events.txt')]
leaves = [h(b'\x00' + l) for l in lines]
def mth(ls):
    if len(ls) == 1: return ls[0]
    k = 1
    while k * 2 < len(ls): k *= 2
    return node(mth(ls[:k]), mth(ls[k:]))
inc = json.load(open('incl.json'))
assert base64.b64decode(inc['root']) == mth(leaves)
assert base64.b64decode(inc['leafHash']) == leaves[6]
# Walk the inclusion proof (RFC 9162 2.1.3.2).
fn, sn, r = 6, len(leaves) - 1, leaves[6]
for p in map(base64.b64decode, inc['proof']):
    if fn & 1 or fn == sn:
        r = node(p, r)
        while not fn & 1 and fn:
            fn >>= 1; sn >>= 1
    else:
        r = node(r, p)
    fn >>= 1; sn >>= 1
assert sn == 0 and r == mth(leaves), 'inclusion proof does not verify'
con = json.load(open('cons.json'))
assert base64.b64decode(con['root1']) == mth(leaves[:7])
assert base64.b64decode(con['root2']) == mth(leaves[:20])
assert len(con['proof']) > 0
print('proofs verified independently')
PY

# Usage errors.
set +e
"$LUCENT" audit frobnicate 2>/dev/null; [ $? -eq 2 ] || exit 1
"$LUCENT" audit prove audit.log 2>/dev/null; [ $? -eq 2 ] || exit 1
"$LUCENT" keys init --dir x 2>/dev/null; [ $? -eq 2 ] || exit 1
set -e
echo "audit_cli: all checks passed"
