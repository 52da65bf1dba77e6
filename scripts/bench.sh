#!/usr/bin/env bash
# bench.sh — run every benchmark in the module (and in bench/peers when it
# exists) once, and print one table: package, benchmark, then every metric.
# Raw output is kept in bench/results/ (git-ignored) for benchstat.
#   BENCHTIME=1x scripts/bench.sh        one iteration each (a smoke run)
#   PKGS="./crypto/..." scripts/bench.sh  only some packages (peers run with ./crypto/...)
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bench/results
raw=bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt
pkgs=${PKGS:-./...}
go test -run '^$' -bench . -benchmem -timeout 60m ${BENCHTIME:+-benchtime "$BENCHTIME"} $pkgs | tee "$raw" >/dev/null
if [ -f bench/peers/go.mod ] && { [ "$pkgs" = ./... ] || [[ "$pkgs" == *crypto* ]]; }; then
  (cd bench/peers && go test -run '^$' -bench . -benchmem ${BENCHTIME:+-benchtime "$BENCHTIME"} ./...) | tee -a "$raw" >/dev/null
fi

awk '
  /^pkg: / { pkg = $2 }
  /^Benchmark/ {
    line = sprintf("%-46s %-36s", pkg, $1)
    for (i = 3; i < NF; i += 2) line = line sprintf(" %14s %-10s", $i, $(i + 1))
    rows[++n] = line
  }
  END {
    printf "%-46s %-36s %s\n", "package", "benchmark", "metrics"
    if (n == 0) print "(no benchmarks yet)"
    for (i = 1; i <= n; i++) print rows[i]
  }' "$raw"
echo "raw output: $raw"
