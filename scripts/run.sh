#!/usr/bin/env bash
# run.sh [demo] — what `make run` (and `make demo`) start after `make build`:
# a local relay on the embedded SQLite store, then the desktop app pointed at
# it (demo: two app windows with separate profiles, so one person can message
# themselves). The relay stops when the app windows close.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display (DISPLAY/WAYLAND_DISPLAY unset). On a headless machine start one first:" >&2
  echo "  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp & export DISPLAY=:99" >&2
  exit 1
fi

state=${SOTTO_RUN_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/sotto-dev}
mkdir -p "$state"
relay_log=$state/relay.log

# The relay picks a free loopback port and prints it.
build/bin/sotto-relay serve --listen 127.0.0.1:0 --insecure-loopback \
  --store "sqlite:$state/relay.db" >"$state/relay.out" 2>"$relay_log" &
relay_pid=$!
pids=("$relay_pid")
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

url=
for _ in $(seq 100); do
  url=$(sed -n 's/^sotto-relay listening on \(.*\)$/\1/p' "$state/relay.out" 2>/dev/null | head -1)
  [ -n "$url" ] && break
  kill -0 "$relay_pid" 2>/dev/null || { echo "run: the relay did not start:" >&2; cat "$relay_log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "run: the relay did not report its address" >&2; exit 1; }
echo "run: local relay at $url (store and log in $state)"

launch() {
  local cmd=(build/bin/sotto --relay "$url" "$@")
  # Without a session bus the single-instance lock and the keyring are off,
  # and WebKit leaves helper daemons behind: give the app a session.
  if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null; then
    cmd=(dbus-run-session -- "${cmd[@]}")
  fi
  "${cmd[@]}" &
  pids+=("$!")
}

if [ "${1:-}" = demo ]; then
  launch --profile demo_alice
  launch --profile demo_bob
  echo "run: two windows (profiles demo_alice and demo_bob); close both to stop"
  wait "${pids[@]:1}" || true
else
  launch "$@"
  wait "${pids[1]}" || true
fi
