#!/usr/bin/env bash
# fuzz.sh [TIME] — run every Fuzz target in the module for TIME each (default
# 30s). `make test` already runs every target's seed corpus; this searches.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}

found=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    found=$((found + 1))
    echo "=== $pkg $target ($fuzztime)"
    go test -run "^$" -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 "$pkg"
  done
done
echo "fuzzed $found targets"
