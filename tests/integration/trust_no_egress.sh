#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# No egress, provably: a full demo session of the station (bags simulated,
# processed, analysed, stored; a screener logs in and decides bags; TIP on)
# runs under strace, which records every connect() and every sendto()/
# sendmsg() with an address. The test fails on any connection attempt other
# than to the station's own loopback listener, and on any socket other than
# TCP/IPv4-or-6 and UNIX (a station has no business with raw or netlink
# packet sockets of its own). DNS lookups would show as connects to port 53.
# label: slow
set -euo pipefail
: "${LUCENT:?}" "${LC_SOURCE_DIR:?}"
. "$LC_SOURCE_DIR/tests/integration/lib/station.bash"
command -v strace >/dev/null || { echo "strace is missing (scripts/deps.sh installs it)" >&2; exit 1; }
lc_setup
lc_user_add sam screener screen-pass-1
strace -f -qq -e trace=connect,sendto,sendmsg,socket -o "$work/trace" \
  "$LUCENT" station --demo --data "$data" --port "$port" --rate 2 --tip-share 0.3 --seed 11 \
  2> "$work/station.log" &
pid=$!
lc_wait_health
# A screener decides every bag for 12 seconds.
"$PY" "$LC_SOURCE_DIR/tests/integration/station_client.py" decide "http://127.0.0.1:$port" \
  "$work/decisions" 12
# $pid is strace's; the station is its child, and strace does not pass
# signals on: stop the station itself, then strace ends with it.
station=$(pgrep -P "$pid" | head -n 1)
[ -n "$station" ] && kill -TERM "$station"
wait "$pid" || true
pid=""
n=$(wc -l < "$work/decisions")
[ "$n" -ge 1 ] || { echo "no decision was made during the session" >&2; exit 1; }

"$PY" - "$work/trace" "$port" <<'PYEOF'
import re, sys

def outbound(lines, port):
    """The traced calls that are not the station talking to its own listener."""
    bad = []
    for line in lines:
        if ' connect(' in line or 'sendto(' in line or 'sendmsg(' in line:
            if 'sa_family=AF_UNIX' in line or 'sa_family=' not in line:
                continue  # local IPC, or a send on a connected socket (no address)
            m = re.search(r'sin6?_port=htons\((\d+)\).*?(inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")', line)
            addr = (m.group(3) or m.group(4)) if m else None
            if not m or m.group(1) != port or addr not in ('127.0.0.1', '::1'):
                bad.append(line)
        elif ' socket(' in line and not re.search(r'socket\((AF_INET|AF_INET6|AF_UNIX),', line):
            bad.append(line)
    return bad

# The checker itself must catch what it is for (strace's own notation).
samples = [
    '12 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("192.0.2.1")}, 16) = -1',
    '12 connect(7, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
    '12 sendto(7, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 1',
    '12 socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 7',
]
assert len(outbound(samples, '8080')) == 4, outbound(samples, '8080')
ok = ['12 connect(7, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '12 sendto(7, "x", 1, MSG_NOSIGNAL, NULL, 0) = 1', '12 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 7']
assert outbound(ok, '8080') == [], outbound(ok, '8080')

trace, port = open(sys.argv[1]).read().splitlines(), sys.argv[2]
bad = outbound(trace, port)
if bad:
    print('outbound or unexpected network activity:', *bad[:20], sep='\n  ')
    sys.exit(1)
calls = sum(1 for l in trace if ' connect(' in l)
print(f'no egress: {len(trace)} traced socket calls, {calls} connect() calls, none outbound')
PYEOF
echo "trust_no_egress: $n decisions made, no outbound connection"
