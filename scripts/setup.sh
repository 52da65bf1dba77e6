#!/usr/bin/env bash
# setup.sh — install what Sotto needs to build and test, and only what is missing.
#
# Idempotent and fast when everything is present. Run as root on Debian 12 (the
# Makefile calls it before `make run` and `make test`). Versions are pinned here:
# Debian 12's packages, npm through package-lock.json (`npm ci`), Go tools by tag.
set -euo pipefail

cd "$(dirname "$0")/.."

WAILS_VERSION=v2.11.0
STATICCHECK_VERSION=v0.8.2
# nfpm builds the .deb and .rpm; only `scripts/setup.sh dist` (make dist,
# make test-dist) installs it, so everyday setup stays fast.
NFPM_VERSION=v2.44.0

# Debian packages, grouped by the part of the project that needs them.
APT_PACKAGES=(
  # build: cgo, Wails (GTK 3 + WebKitGTK 4.1)
  build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
  # the real window under Xvfb, screenshots, the session bus
  xvfb xauth dbus at-spi2-core imagemagick x11-utils xdg-utils xdotool
  # emoji in the UI (reactions, the composer palette) under Xvfb and headless Chromium
  fonts-noto-color-emoji
  # UI tests in a real browser
  chromium
  # store: the real Secret Service for keyring tests
  gnome-keyring libsecret-tools
  # relay: PostgreSQL for the scale-out store tests, coturn as an independent TURN client
  postgresql coturn
  # calls: VP8 (libvpx, cgo; SpeexDSP and libopus are vendored), speech and
  # audio tools for the media tests, network namespaces and netem for the loss tests
  libvpx-dev espeak-ng sox iproute2
  # desktop integration: .deb/.rpm checks, desktop entry validation
  rpm desktop-file-utils
)

log() { printf 'setup: %s\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

GOBIN=$(go env GOPATH)/bin
export PATH="$GOBIN:$PATH"

if ! wails version 2>/dev/null | grep -q "${WAILS_VERSION}"; then
  log "go install wails ${WAILS_VERSION}"
  go install "github.com/wailsapp/wails/v2/cmd/wails@${WAILS_VERSION}"
fi
# staticcheck prints "staticcheck 2026.2.2 (0.8.2)": compare the module version.
if ! staticcheck -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
  log "go install staticcheck ${STATICCHECK_VERSION}"
  go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
fi

# nfpm built by go install reports "dev": read the module version from the binary.
if [ "${1:-}" = dist ] && ! go version -m "$GOBIN/nfpm" 2>/dev/null | grep -qE "^\s+mod\s+github.com/goreleaser/nfpm/v2\s+${NFPM_VERSION}\s"; then
  log "go install nfpm ${NFPM_VERSION}"
  go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@${NFPM_VERSION}"
fi

# npm: only when node_modules does not match the lock file.
if [ -f frontend/package-lock.json ]; then
  stamp=frontend/node_modules/.sotto-lock-sha
  want=$(sha256sum frontend/package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "npm ci (frontend)"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
fi
log "ok"
