#!/usr/bin/env bash
# dist-windows.sh — the Windows NSIS installer, cross-built here with the cgo
# media code (docs/DESKTOP.md): mingw-w64 and NSIS from apt, libvpx
# cross-built once from Debian's source package and cached outside the
# repository ($SOTTO_CACHE, default ~/.cache/sotto), then `wails build
# -platform windows/amd64 -nsis -skipbindings` with a static link. SpeexDSP
# (calls/audioproc, vendored C) and libopus (mediadevices' bundled static
# library) cross-compile with the same toolchain. The installer registers
# sotto:// links (wails.json info.protocols).
#
# Output in build/bin/dist: Sotto-<version>-windows-amd64-installer.exe,
# sotto-<version>-windows-amd64.exe and SHA256SUMS.windows.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
cache=${SOTTO_CACHE:-$HOME/.cache/sotto}
vpx=$cache/libvpx-win64

need=()
# wine64 and file: for the checks in make test-dist (TestDesktopWindowsInstaller).
for p in gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 yasm nasm nsis dpkg-dev wine64 file; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  echo "dist-windows: apt-get install ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# debsrc_lines prints a deb-src line for every deb entry of the system's apt
# sources (one-line and deb822 formats), so the source comes from the same
# mirror and suites (security fixes included) as the installed packages.
debsrc_lines() {
  python3 - <<'EOF'
import glob, re
out = []
for f in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(f).read().splitlines()
    except OSError:
        continue
    for l in lines:
        m = re.match(r"\s*deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)", l)
        if m:
            out.append(f"deb-src {m.group(1) or ''}{m.group(2)} {m.group(3)} {m.group(4).split('#')[0].strip()}")
for f in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(f).read()):
        kv = {}
        for l in stanza.splitlines():
            if l.startswith("#") or ":" not in l:
                continue
            k, v = l.split(":", 1)
            kv[k.strip().lower()] = v.strip()
        if "deb" not in kv.get("types", "").split() or kv.get("enabled", "yes") == "no":
            continue
        opt = f"[signed-by={kv['signed-by']}] " if kv.get("signed-by", "").startswith("/") else ""
        for uri in kv.get("uris", "").split():
            for suite in kv.get("suites", "").split():
                out.append(f"deb-src {opt}{uri} {suite} {kv.get('components', 'main')}")
print("\n".join(dict.fromkeys(out)))
EOF
}

if [ ! -f "$vpx/lib/pkgconfig/vpx.pc" ]; then
  echo "dist-windows: cross-building libvpx into $vpx (once, ~3 min on two cores)"
  # A throwaway apt configuration under /tmp with deb-src lines: the
  # system's apt configuration is left as it is.
  apt=$(mktemp -d)
  trap 'rm -rf "$apt"' EXIT
  chmod 755 "$apt" # apt downloads as the _apt user
  mkdir -p "$apt/lists/partial" "$apt/src"
  debsrc_lines >"$apt/sources.list"
  if [ ! -s "$apt/sources.list" ]; then
    echo "dist-windows: no deb entries in /etc/apt/sources.list*: cannot find Debian's libvpx source" >&2
    exit 1
  fi
  aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/none" -o "Dir::State::Lists=$apt/lists")
  apt-get -qq "${aptopts[@]}" update
  (cd "$apt/src" && apt-get -qq "${aptopts[@]}" source libvpx >/dev/null 2>&1)
  dir=$(find "$apt/src" -maxdepth 1 -type d -name 'libvpx-*' | head -1)
  (cd "$dir" && CROSS=x86_64-w64-mingw32- ./configure --target=x86_64-win64-gcc --enable-static --disable-shared \
    --disable-examples --disable-tools --disable-docs --disable-unit-tests --prefix="$vpx" >/dev/null &&
    make -j2 install >/dev/null)
  # Without -lpthread in Libs the static link fails.
  sed -i 's/^Libs: .*/Libs: -L${libdir} -lvpx -lm -lpthread/' "$vpx/lib/pkgconfig/vpx.pc"
fi

base=$(python3 -c 'import json;print(json.load(open("wails.json"))["info"]["productVersion"])')
rev=$(git rev-parse --short=8 HEAD 2>/dev/null || echo unknown)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
version=${SOTTO_PKG_VERSION:-$base+git.$rev}

# The committed bindings (frontend/wailsjs, kept current by make
# check-bindings) are used as they are; the frontend is built here, not by
# wails (whose frontend:install would run npm ci).
echo "dist-windows: frontend"
(cd frontend && npm run --silent build >/dev/null)
echo "dist-windows: sotto.exe $version"
export CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ \
  PKG_CONFIG_PATH=$vpx/lib/pkgconfig PKG_CONFIG_LIBDIR=$vpx/lib/pkgconfig GOFLAGS=-buildvcs=false
rm -f build/bin/sotto.exe build/bin/*-installer.exe
wails build -platform windows/amd64 -nsis -skipbindings -s -trimpath -m -nosyncgomod \
  -ldflags "-s -w -X github.com/sotto-im/sotto/app.version=$version -X github.com/sotto-im/sotto/app.commit=$rev -extldflags \"-static\""

out=build/bin/dist
mkdir -p "$out"
rm -f "$out"/*.exe "$out/SHA256SUMS.windows"
cp build/bin/sotto.exe "$out/sotto-$version-windows-amd64.exe"
cp build/bin/Sotto-amd64-installer.exe "$out/Sotto-$version-windows-amd64-installer.exe"
(cd "$out" && sha256sum -- *.exe >SHA256SUMS.windows)
ls -l "$out"
