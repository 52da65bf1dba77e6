#!/usr/bin/env bash
# memory.sh — idle memory of the desktop app with a 10,000-message history
# open, against a bare Wails window measured in the same run.
#
# Both run under Xvfb on a private session bus (gnome-keyring keeps the
# keys). The figure is the total PSS of the process and everything it
# started (WebKitWebProcess, WebKitNetworkProcess, …), read from
# /proc/PID/smaps_rollup after the window has settled. The bare window is a
# hello-world Wails app built in a temporary folder with the same Wails
# version, build tags and flags as Sotto.
#
#   make build && bench/memory.sh          # N=10000 SETTLE=30 by default
#
# The history: bench/memhistory (N messages, alice and bob taking turns
# through the relay and reading as they go, in alice's profile). Prints both figures, the ratio (goal ≤ 1.3) and the processes counted.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$(go env GOPATH)/bin:$PATH"
export PATH
N=${N:-10000}
SETTLE=${SETTLE:-30}

for tool in Xvfb dbus-run-session gnome-keyring-daemon xdotool; do
  command -v "$tool" >/dev/null || { echo "memory: $tool missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
for b in sotto sotto-relay; do
  [ -x "build/bin/$b" ] || { echo "memory: build/bin/$b missing: run make build" >&2; exit 1; }
done

# Everything below runs on a private session bus.
if [ -z "${SOTTO_MEMORY_INNER:-}" ]; then
  tmp=$(mktemp -d /tmp/sotto-memory.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/home/.cache" "$tmp/home/.local/share" "$tmp/run"
  chmod 700 "$tmp/run"
  env -i PATH="$PATH" HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run" LANG=C.UTF-8 \
    SOTTO_DATA_DIR="$tmp/data" SOTTO_MEMORY_INNER="$tmp" N="$N" SETTLE="$SETTLE" \
    GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" GOPATH="$(go env GOPATH)" \
    dbus-run-session -- "$0"
  exit
fi
tmp=$SOTTO_MEMORY_INNER
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo -n memory-bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
for _ in $(seq 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break
  sleep 0.1
done

mkfifo "$tmp/displayfd"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -br >"$tmp/xvfb.log" 2>&1 3>"$tmp/displayfd" &
pids+=($!)
read -r -t 10 disp <"$tmp/displayfd"
export DISPLAY=:$disp

build/bin/sotto-relay serve --listen 127.0.0.1:0 --insecure-loopback --store "sqlite:$tmp/relay.db" \
  --pow-bits 1 --pow-memory 8 --no-rate-limits >"$tmp/relay.out" 2>"$tmp/relay.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$tmp/relay.out" && break; sleep 0.1; done
relay=$(sed -n 's/^sotto-relay listening on //p' "$tmp/relay.out")

echo "memory: a $N-message history (bench/memhistory)"
go build -o "$tmp/memhistory" ./bench/memhistory
"$tmp/memhistory" -relay "$relay" -n "$N"

echo "memory: the bare Wails window"
wails_version=$(go list -m -f '{{.Version}}' github.com/wailsapp/wails/v2)
mkdir -p "$tmp/bare/dist"
cat >"$tmp/bare/main.go" <<'EOF'
// Command bare is a hello-world Wails window: the floor Sotto's memory is
// measured against.
package main

import (
	"embed"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

//go:embed all:dist
var assets embed.FS

func main() {
	if err := wails.Run(&options.App{Title: "Bare", Width: 1100, Height: 720,
		AssetServer: &assetserver.Options{Assets: assets}, Linux: &linux.Options{ProgramName: "bare"}}); err != nil {
		panic(err)
	}
}
EOF
echo '<!doctype html><html><head><meta charset="utf-8"><title>Bare</title></head><body><h1>Hello</h1></body></html>' \
  >"$tmp/bare/dist/index.html"
printf 'module bare\n\ngo 1.26\n\nrequire github.com/wailsapp/wails/v2 %s\n' "$wails_version" >"$tmp/bare/go.mod"
cp go.sum "$tmp/bare/go.sum"
(cd "$tmp/bare" && go mod tidy >/dev/null 2>&1 &&
  go build -tags desktop,production,webkit2_41 -trimpath -ldflags "-s -w" -o bare .)

# pss_tree PID: total PSS (kB) of PID and its descendants; lists them in
# $tmp/procs (PSS, and its anonymous part) and adds their ids to
# $tmp/ours.
pss_tree() {
  local todo=("$1") all=() p kids total=0 kb anon
  while ((${#todo[@]})); do
    p=${todo[0]}
    todo=("${todo[@]:1}")
    all+=("$p")
    kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
    for k in $kids; do todo+=("$k"); done
  done
  : >"$tmp/procs"
  for p in "${all[@]}"; do
    read -r kb anon < <(awk '/^Pss:/{p=$2} /^Pss_Anon:/{a=$2} END{print p+0, a+0}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0 0)
    total=$((total + ${kb:-0}))
    printf '    %-22s %8d kB  (anonymous %7d kB)\n' "$(cat /proc/"$p"/comm 2>/dev/null)" "${kb:-0}" "${anon:-0}" >>"$tmp/procs"
    echo "$p" >>"$tmp/ours"
  done
  echo "$total"
}

# others: WebKit processes on the machine that are not ours. They share
# WebKit's libraries with ours, so PSS counts a smaller share of those
# pages for ours: figures taken next to them are not comparable.
others() {
  local n=0 p
  for p in $(grep -l '^WebKit' /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3); do
    grep -qx "$p" "$tmp/ours" 2>/dev/null || n=$((n + 1))
  done
  echo "$n"
}

# measure PID NAME: settle, then the median of three readings two seconds
# apart.
measure() {
  local pid=$1 name=$2 a b c
  sleep "$SETTLE"
  : >"$tmp/ours"
  a=$(pss_tree "$pid"); sleep 2
  b=$(pss_tree "$pid"); sleep 2
  c=$(pss_tree "$pid")
  others >"$tmp/$name.others"
  printf '%s\n%s\n%s\n' "$a" "$b" "$c" | sort -n | sed -n 2p >"$tmp/$name.kb"
  echo "$a $b $c" >"$tmp/$name.readings"
  cp "$tmp/procs" "$tmp/$name.procs"
}

"$tmp/bare/bare" >"$tmp/bare.log" 2>&1 &
bare=$!
pids+=("$bare")
xdotool search --sync --name '^Bare$' >/dev/null
measure "$bare" bare
kill "$bare"; wait "$bare" 2>/dev/null || true

echo "memory: Sotto with the conversation open"
build/bin/sotto --profile alice "sotto://chat/@bob" >"$tmp/sotto.log" 2>&1 &
sotto=$!
pids+=("$sotto")
for _ in $(seq 300); do
  grep -q 'msg="screen shown" screen=chat' "$tmp/sotto.log" && break
  kill -0 "$sotto" 2>/dev/null || { cat "$tmp/sotto.log" >&2; exit 1; }
  sleep 0.5
done
grep -q 'msg="screen shown" screen=chat' "$tmp/sotto.log" || { echo "memory: the chat never opened" >&2; cat "$tmp/sotto.log" >&2; exit 1; }
measure "$sotto" sotto
kill "$sotto"; wait "$sotto" 2>/dev/null || true

bare_kb=$(cat "$tmp/bare.kb") sotto_kb=$(cat "$tmp/sotto.kb")
echo
echo "idle PSS, settled ${SETTLE}s (median of 3), Xvfb 1280x800, $(nproc) cores:"
mb() { awk -v kb="$1" 'BEGIN{printf "%.1f", kb/1024}'; }
readings() { local r out=(); for r in $(cat "$1"); do out+=("$(mb "$r")"); done; echo "${out[*]}"; }
printf '  bare Wails window (wails %s): %6s MB  (readings: %s MB; processes at the last one:)\n' \
  "$wails_version" "$(mb "$bare_kb")" "$(readings "$tmp/bare.readings")"
cat "$tmp/bare.procs"
printf '  Sotto, %d-message chat open:    %6s MB  (readings: %s MB; processes at the last one:)\n' \
  "$N" "$(mb "$sotto_kb")" "$(readings "$tmp/sotto.readings")"
cat "$tmp/sotto.procs"
printf '  ratio: %s× (goal ≤ 1.3×)\n' "$(awk -v a="$sotto_kb" -v b="$bare_kb" 'BEGIN{printf "%.2f", a/b}')"
for name in bare sotto; do
  if [ "$(cat "$tmp/$name.others")" != 0 ]; then
    echo "  WARNING: $(cat "$tmp/$name.others") other WebKit processes ran on this machine during the $name readings:" \
      "they share WebKit's libraries, so the PSS figures are low and the ratio is not the app's. Measure on a quiet machine."
  fi
done
