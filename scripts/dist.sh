#!/usr/bin/env bash
# dist.sh — the Linux installers: build/bin/dist/sotto_<version>_amd64.deb and
# sotto-<version>-1.x86_64.rpm (nfpm), with the binary, the desktop entry that
# registers sotto:// links, AppStream metadata and icons at every size, and a
# SHA256SUMS. `make dist` runs it after scripts/setup.sh dist (which installs
# the pinned nfpm). Reproducible: -trimpath, -buildvcs=false, file times from
# the last commit (SOURCE_DATE_EPOCH).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"

base=$(python3 -c 'import json;print(json.load(open("wails.json"))["info"]["productVersion"])')
rev=$(git rev-parse --short=8 HEAD 2>/dev/null || echo unknown)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOTTO_PKG_VERSION=${SOTTO_PKG_VERSION:-$base+git.$rev}
ldflags="-s -w -X github.com/sotto-im/sotto/app.version=$SOTTO_PKG_VERSION -X github.com/sotto-im/sotto/app.commit=$rev"

stage=build/bin/stage out=build/bin/dist
# Only this script's outputs: make dist-windows writes beside them.
rm -rf "$stage" "$out"/*.deb "$out"/*.rpm "$out/SHA256SUMS"
mkdir -p "$stage/icons" "$out"

echo "dist: frontend"
(cd frontend && npm run --silent build >/dev/null)
echo "dist: binary $SOTTO_PKG_VERSION"
go build -tags desktop,production,webkit2_41 -trimpath -buildvcs=false -ldflags "$ldflags" -o "$stage/sotto" .

echo "dist: icons"
for size in 16 24 32 48 64 128 256 512; do
  d="$stage/icons/${size}x${size}/apps"
  mkdir -p "$d"
  convert build/appicon.png -resize "${size}x${size}" -depth 8 -strip -define png:exclude-chunks=date,time "$d/sotto.png"
done
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

for pkg in deb rpm; do
  echo "dist: $pkg"
  nfpm package --config build/linux/nfpm.yaml --packager "$pkg" --target "$out/" >/dev/null
done
(cd "$out" && sha256sum -- *.deb *.rpm >SHA256SUMS)
ls -l "$out"
