# Sotto — the two commands people need are `make run` and `make test`.
# Everything else is for developers; see README.md.

SHELL := /bin/bash
GOBIN := $(shell go env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/sotto-im/sotto/app.version=$(VERSION) -X github.com/sotto-im/sotto/app.commit=$(COMMIT) -X github.com/sotto-im/sotto/relay.Version=$(VERSION)
DESKTOP_TAGS := desktop,production,webkit2_41
FUZZTIME ?= 30s

.PHONY: run demo test build dev bench bench-network fuzz setup frontend bindings check-bindings clean dist test-dist dist-windows

## run: install what is missing, build, start a local relay and open the app
run: setup build
	scripts/run.sh

## demo: a local relay and two app windows with separate profiles (message yourself)
demo: setup build
	scripts/run.sh demo

## test: install what is missing, then run every test
test: setup
	scripts/test.sh

setup:
	scripts/setup.sh

frontend:
	cd frontend && npm run build

## build: the desktop binary at build/bin/sotto (no wails CLI needed)
build: setup frontend
	go build -tags $(DESKTOP_TAGS) -trimpath -ldflags "$(LDFLAGS)" -o build/bin/sotto .
	go build -trimpath -ldflags "$(LDFLAGS)" -o build/bin/sotto-cli ./cmd/sotto
	go build -trimpath -ldflags "$(LDFLAGS)" -o build/bin/sotto-relay ./cmd/sotto-relay

## dev: live-reloading development window (wails CLI)
dev: setup
	wails dev -tags webkit2_41

## bindings: regenerate frontend/wailsjs from the Go services bound in main.go
bindings: setup
	wails generate module -tags webkit2_41

## check-bindings: fail when frontend/wailsjs does not match the Go services
check-bindings: bindings
	@git diff --exit-code -- frontend/wailsjs && test -z "$$(git status --porcelain -- frontend/wailsjs)" \
	  || { echo "frontend/wailsjs is out of date: run make bindings and commit it" >&2; exit 1; }

## bench: every benchmark, printed as a table
bench: setup
	scripts/bench.sh

## bench-network: the calls' network figures (loss, outage, rate cap) with issue 10's targets asserted
bench-network: setup
	SOTTO_NETTEST_GOALS=1 SOTTO_TEST_REQUIRE_SERVICES=1 go test -count=1 -v ./calls/nettest/

## fuzz: every Fuzz target for FUZZTIME each (default 30s)
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## dist: Linux installers (.deb and .rpm with nfpm) and SHA256SUMS in build/bin/dist
dist: setup
	scripts/setup.sh dist
	scripts/dist.sh

## test-dist: build the installers and check them (contents, desktop entry, dependencies, size; the Windows
## build too when make dist-windows has run); the relay's systemd unit and its binary built as the Dockerfile does
test-dist: dist
	SOTTO_TEST_DIST=1 go test -count=1 -v -run 'TestDesktopPackages|TestDesktopWindowsInstaller|TestRelayUnitHardening|TestRelayContainerBinary' ./e2e/

## dist-windows: the NSIS installer, cross-built with the cgo media code (docs/DESKTOP.md)
dist-windows: setup
	scripts/dist-windows.sh

clean:
	rm -rf build/bin e2e/artifacts frontend/dist/assets frontend/dist/index.html
