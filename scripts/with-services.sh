#!/usr/bin/env bash
# with-services.sh CMD [ARGS...] — run CMD with the services Sotto's tests need,
# each private to this run and stopped when CMD ends:
#
#   - a session D-Bus (dbus-run-session) with gnome-keyring's Secret Service,
#     unlocked, in a throwaway HOME                 → SOTTO_TEST_KEYRING=1
#   - a throwaway PostgreSQL 15 cluster on a unix socket and a loopback port
#                                                   → SOTTO_TEST_PG_DSN=postgres://…
#
# It also sets SOTTO_TEST_REQUIRE_SERVICES=1: tests that would skip without a
# service must fail instead, so `make test` can never pass by skipping.
# Go's caches stay where they were (HOME changes, GOCACHE/GOMODCACHE do not).
set -euo pipefail

if [ "${SOTTO_IN_SERVICES:-}" = 1 ]; then exec "$@"; fi

work=$(mktemp -d /tmp/sotto-services.XXXXXX)
export GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) GOPATH=$(go env GOPATH)
export npm_config_cache=${npm_config_cache:-$HOME/.npm}
export PATH="$GOPATH/bin:$PATH"
export HOME=$work/home XDG_RUNTIME_DIR=$work/run
mkdir -p "$HOME/.local/share" "$HOME/.cache" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgdata=$work/pg pgsock=$work/pgsock
pgport=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$pgsock"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$pgsock" "$work"; fi

stop_pg() { as_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true; }
cleanup() { stop_pg; rm -rf "$work"; }
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$pgdata" -U sotto --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg.log" -w \
  -o "-k $pgsock -p $pgport -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" \
  start >/dev/null || { cat "$work/pg.log" >&2; exit 1; }
export SOTTO_TEST_PG_DSN="postgres://sotto@127.0.0.1:$pgport/postgres?sslmode=disable"

export SOTTO_TEST_REQUIRE_SERVICES=1 SOTTO_IN_SERVICES=1
dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n sotto-ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  for i in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
      grep -q "boolean true" && break
    sleep 0.1
  done
  export SOTTO_TEST_KEYRING=1
  "$@"' with-services "$@"
