#!/usr/bin/env bash
# run.sh — start what `make run` promises: a local relay on the embedded store
# (once cmd/sotto-relay serves) and the desktop app, then stop the relay when
# the app closes. Called by `make run` after `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display (DISPLAY/WAYLAND_DISPLAY unset). On a headless machine start one first:" >&2
  echo "  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp & export DISPLAY=:99" >&2
  exit 1
fi

app=(build/bin/sotto "$@")
# Without a session bus the single-instance lock and the keyring are off, and
# WebKit leaves helper daemons behind: give the app a session of its own.
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null; then
  app=(dbus-run-session -- "${app[@]}")
fi
exec "${app[@]}"
