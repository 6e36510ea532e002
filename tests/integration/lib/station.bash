# SPDX-License-Identifier: Apache-2.0
# station.bash: what the station integration tests share, sourced (not a
# test itself: the CTest glob takes tests/integration/*.sh only). Needs
# LUCENT and PYTHON (or /usr/bin/python3). After `lc_setup`:
#   $work   a temporary folder, removed on exit (with the station killed)
#   $data   $work/data, the station's data folder
#   $port   a free loopback port, $url = http://127.0.0.1:$port
#   $pid    the running station's process (empty when none)
# and the station's stderr goes to $work/station.log (appended).

PY=${PYTHON:-/usr/bin/python3}

lc_cleanup() {
  if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
    pkill -9 -P "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}

lc_setup() {
  work=$(mktemp -d)
  pid=""
  trap lc_cleanup EXIT
  data=$work/data
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  url="http://127.0.0.1:$port"
}

# lc_user_add NAME ROLE PASSWORD
lc_user_add() {
  printf '%s\n' "$3" | "$LUCENT" user add --data "$data" --role "$2" "$1" >/dev/null
}

# Waits until the station answers /api/health (about 30 s), else prints its
# log and fails the test.
lc_wait_health() {
  for _ in $(seq 150); do
    if "$PY" -c "import urllib.request; urllib.request.urlopen('$url/api/health')" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "station did not start" >&2
  cat "$work/station.log" >&2
  exit 1
}

# lc_start [STATION OPTIONS...]: starts `lucent station --data $data --port
# $port OPTIONS...` in the background and waits until it answers.
lc_start() {
  "$LUCENT" station --data "$data" --port "$port" "$@" 2>> "$work/station.log" &
  pid=$!
  lc_wait_health
}

# Stops the station with SIGTERM; fails the test if it does not exit 0.
lc_stop() {
  kill -TERM "$pid"
  wait "$pid"
  pid=""
}
