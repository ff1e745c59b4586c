#!/usr/bin/env bash
# mkdeb.sh BUILD_DIR OUT_DIR: a Debian package of nvault from a configured
# build directory: `cmake --install --strip` into a staging root with prefix
# /usr, a DEBIAN/control whose Depends are the Debian packages that hold
# the shared libraries the binary links (dpkg -S on this machine), a
# postinst that creates the nvault system user and /etc/nvault, then
# dpkg-deb --build. Prints the .deb's path.
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

# Depends: the package of every shared library nvault itself links (DT_NEEDED)
deps=()
libs=$(ldd "$bin")
for name in $(readelf -d "$bin" | awk '/\(NEEDED\)/ {gsub(/[][]/, "", $5); print $5}'); do
  lib=$(awk -v n="$name" '$1 == n && $3 ~ /^\// {print $3}' <<<"$libs")
  [ -n "$lib" ] || { echo "mkdeb: $name is not found (ldd)" >&2; exit 1; }
  pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1 || true)
  [ -n "$pkg" ] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1 || true)
  [ -n "$pkg" ] || { echo "mkdeb: no Debian package owns $lib" >&2; exit 1; }
  deps+=("$pkg")
done
depends=$(printf '%s\n' "${deps[@]}" | sort -u | paste -sd, - | sed 's/,/, /g')

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
