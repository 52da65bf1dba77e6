#!/usr/bin/env bash
# dist-windows.sh — the Windows NSIS installer, cross-built here with the cgo
# media code (the recipe in docs/DESKTOP.md): mingw-w64 and NSIS from apt,
# libvpx cross-built once from Debian's source package and cached outside the
# repository ($SOTTO_CACHE, default ~/.cache/sotto), then `wails build
# -platform windows/amd64 -nsis -skipbindings` with a static link. The
# installer registers sotto:// links (wails.json info.protocols).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
cache=${SOTTO_CACHE:-$HOME/.cache/sotto}
vpx=$cache/libvpx-win64

need=()
for p in gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 yasm nasm nsis dpkg-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  echo "dist-windows: apt-get install ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -f "$vpx/lib/pkgconfig/vpx.pc" ]; then
  echo "dist-windows: cross-building libvpx into $vpx (once, ~2 min)"
  if ! grep -rqs '^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/ &&
    ! grep -rqs 'Types:.*deb-src' /etc/apt/sources.list.d/; then
    echo "dist-windows: no deb-src line: add one for your Debian mirror (docs/DESKTOP.md), then apt-get update" >&2
    exit 1
  fi
  src=$(mktemp -d)
  (cd "$src" && apt-get source -qq libvpx >/dev/null)
  dir=$(find "$src" -maxdepth 1 -type d -name 'libvpx-*' | head -1)
  (cd "$dir" && CROSS=x86_64-w64-mingw32- ./configure --target=x86_64-win64-gcc --enable-static --disable-shared \
    --disable-examples --disable-tools --disable-docs --disable-unit-tests --prefix="$vpx" >/dev/null &&
    make -j2 install >/dev/null)
  # Without -lpthread in Libs the static link fails.
  sed -i 's/^Libs: .*/Libs: -L${libdir} -lvpx -lm -lpthread/' "$vpx/lib/pkgconfig/vpx.pc"
  rm -rf "$src"
fi

wails generate module -tags webkit2_41 >/dev/null
export CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ \
  PKG_CONFIG_PATH=$vpx/lib/pkgconfig PKG_CONFIG_LIBDIR=$vpx/lib/pkgconfig
wails build -platform windows/amd64 -nsis -skipbindings -trimpath \
  -ldflags '-s -w -extldflags "-static"'
mkdir -p build/bin/dist
cp build/bin/*-installer.exe build/bin/dist/ 2>/dev/null || true
(cd build/bin/dist && sha256sum -- * | grep -v SHA256SUMS >SHA256SUMS.windows)
ls -l build/bin/dist
