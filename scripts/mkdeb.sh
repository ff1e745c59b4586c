#!/usr/bin/env bash
# mkdeb.sh BUILD_DIR OUT_DIR: a Debian package of nvault from a configured
# build directory: `cmake --install --strip` into a staging root with prefix
# /usr, a DEBIAN/control whose Depends dpkg-shlibdeps computes from the
# libraries the binary links (with the versions this build host's packages
# say the symbols it uses need), a postinst that creates the nvault system
# user and /etc/nvault, then dpkg-deb --build. Prints the .deb's path.
set -euo pipefail
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/nvault-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT

DESTDIR="$stage" cmake --install "$build" --prefix /usr --strip >/dev/null
bin="$stage/usr/bin/nvault"
version=$("$bin" --version | awk '{print $2}')
# Debian versions: digits first; git describe's "-" separators become "+"
debver=$(sed 's/-/+/g' <<<"$version")
arch=$(dpkg --print-architecture)

# Depends: dpkg-shlibdeps (dpkg-dev, part of build-essential) reads the
# libraries the binary links and the symbols it uses from them, and names
# each library's package with the lowest version that has those symbols, as
# this build host's packages' symbols/shlibs files say (e.g. "libc6 (>=
# 2.34), libcurl4 (>= 7.56.1)"): the package installs where they are met.
command -v dpkg-shlibdeps >/dev/null || { echo "mkdeb: dpkg-shlibdeps needed (Debian package dpkg-dev)" >&2; exit 1; }
shl="$stage.shlibs"
mkdir -p "$shl/debian"
trap 'rm -rf "$stage" "$shl"' EXIT
printf 'Source: nvault\n\nPackage: nvault\nArchitecture: any\n' >"$shl/debian/control"
depends=$(cd "$shl" && dpkg-shlibdeps -O -e"$bin" 2>"$shl/err" | sed -n 's/^shlibs:Depends=//p' || true)
# its warning that the binary is not under debian/ is expected; anything else is shown
grep -v "binaries to analyze should already be installed" "$shl/err" >&2 || true
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies for $bin" >&2; exit 1; }

chmod 0755 "$stage"
mkdir -p "$stage/DEBIAN"
size=$(du -sk "$stage/usr" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: nvault
Version: $debver
Architecture: $arch
Maintainer: The nvault authors <nvault@localhost>
Installed-Size: $size
Depends: $depends
Section: utils
Priority: optional
Homepage: https://github.com/nvault/nvault
Description: versioned local backup of Notion databases for AI agents
 nvault backs up Notion databases into a local, versioned task memory that
 AI agents query over MCP. Every Notion row becomes a task, every change an
 immutable version, every sync an audit record. Includes a systemd service
 (nvault.service) and a per-user timer (nvault-sync.timer).
CONTROL
cat >"$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
# nvault postinst: the system user and config directory nvault.service uses
# (neither is enabled or started here; see /usr/share/doc/nvault/README.md).
set -e
if [ "$1" = configure ]; then
  if ! getent passwd nvault >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/nvault --shell /usr/sbin/nologin nvault
  fi
  [ -d /etc/nvault ] || install -d -m 0750 -o root -g nvault /etc/nvault
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
fi
exit 0
POSTINST
chmod 0755 "$stage/DEBIAN/postinst"
deb="$out/nvault_${debver}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
