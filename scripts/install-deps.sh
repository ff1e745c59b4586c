#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are missing,
# with apt-get (through sudo when not root). Quiet when nothing is missing.
# Waits (up to 15 minutes) for another apt or dpkg to finish rather than
# failing on its lock.
#
# Node.js is special: many machines have it from another source (e.g. the
# NodeSource package, which bundles npm and conflicts with Debian's npm), so
# nodejs and npm count as present when working `node` (>= 18) and `npm`
# commands exist, whatever package provided them.
set -euo pipefail

present() {
  case "$1" in
    nodejs) command -v node >/dev/null &&
              [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 18 ] ;;
    npm) command -v npm >/dev/null ;;
    *) [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ] ;;
  esac
}

missing=()
for pkg in "$@"; do
  present "$pkg" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "Installing missing Debian packages: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# quiet: apt's and debconf's chatter goes to a log, shown only on failure
log=$(mktemp "${TMPDIR:-/tmp}/nvault-apt.XXXXXX")
if ! { $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq && $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "error: apt-get could not install: ${missing[*]}" >&2
  exit 1
fi
rm -f "$log"
