#!/usr/bin/env bash
# test.sh — every test Sotto has, in the order that fails fastest. `make test`
# runs it after scripts/setup.sh; CI runs `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }
started=$SECONDS

step "gofmt"
unformatted=$(git ls-files --cached --others --exclude-standard -z -- '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then echo "not gofmt'ed:"; echo "$unformatted"; exit 1; fi

step "go vet"
go vet ./...

step "staticcheck"
staticcheck ./...

step "go build without tags"
go build ./...

step "bindings match the Go services"
make --no-print-directory check-bindings >/dev/null

step "frontend: svelte-check, vitest"
(cd frontend && npm run --silent check && npm test --silent)

step "build the desktop binary"
make --no-print-directory build >/dev/null

step "go test -race (with keyring and PostgreSQL)"
scripts/with-services.sh go test -race -count=1 ./...

step "desktop window and UI in Chromium"
SOTTO_E2E=1 go test -count=1 -v ./e2e/

step "all tests passed in $((SECONDS - started)) s"
