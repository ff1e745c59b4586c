#!/usr/bin/env bash
# check-fresh.sh [SUITE [MIRROR]]: the README's promise on a fresh machine.
# Builds a minimal Debian root (debootstrap --variant=minbase, default
# bookworm = Debian 12), gives it the one prerequisite the README names (a
# C toolchain with make: build-essential), copies the repository in (a
# clone of HEAD), and runs the README's two commands there, `make demo`
# then `make test`, as root in a chroot. Then `make deb` and installs that
# .deb with apt, runs `nvault --version` and checks the installed units.
# /proc, /sys, /dev, /dev/pts and a tmpfs /dev/shm (PostgreSQL's shared
# memory) are mounted for the chroot and unmounted whatever happens; no
# service starts inside (policy-rc.d), any process the tests left in the
# root is ended, and the root is removed afterwards (NVAULT_FRESH_KEEP=1
# keeps it). The host's local trust anchors (/usr/local/share/ca-certificates,
# e.g. a TLS-inspecting proxy's CA) are copied in before ca-certificates is
# installed, so npm reaches its registry with verification on. Needs root.
# Prints each step's time and the total.
set -euo pipefail
suite=${1:-bookworm}
mirror=${2:-http://deb.debian.org/debian}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "check-fresh: needs root (or sudo)" >&2; exit 1; }
  exec sudo --preserve-env=NVAULT_FRESH_KEEP,TMPDIR "$0" "$@"
fi
command -v debootstrap >/dev/null || { echo "check-fresh: needs debootstrap (Debian package debootstrap)" >&2; exit 1; }

root=$(realpath "$(mktemp -d "${TMPDIR:-/var/tmp}/nvault-fresh.XXXXXX")")
chmod 0755 "$root" # apt's _apt user must reach the root's apt directories
mounts=()
# end what the tests may have left running inside the root (e.g. a
# PostgreSQL cluster): only processes whose root directory is this root
in_root_pids() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}
end_root_processes() {
  local pids i
  pids=$(in_root_pids)
  [ -n "$pids" ] || return 0
  echo "check-fresh: ending processes left in the root: $pids" >&2
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    [ -n "$(in_root_pids)" ] || return 0
    sleep 0.5
  done
  kill -KILL $(in_root_pids) 2>/dev/null || true
}
cleanup() {
  local rc=$? m i
  end_root_processes
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    m=${mounts[i]}
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "check-fresh: could not unmount $m" >&2
  done
  if grep -q " $root/" /proc/mounts; then
    echo "check-fresh: something is still mounted under $root; not removing it" >&2
  elif [ "${NVAULT_FRESH_KEEP:-0}" = 1 ]; then
    echo "check-fresh: kept $root"
  else
    rm -rf "$root"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(date +%s)
step_start=$t0
step() {
  local now
  now=$(date +%s)
  echo "check-fresh: [$((now - step_start))s] done"
  step_start=$now
  echo
  echo "check-fresh: == $* =="
}
mount_in() { # mount_in TYPE_OR_BIND SRC DIR
  mkdir -p "$root$3"
  if [ "$1" = bind ]; then mount --bind "$2" "$root$3"; else mount -t "$1" "$2" "$root$3"; fi
  mounts+=("$root$3")
}

echo "check-fresh: == a minimal Debian ($suite) in $root =="
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -n 20 "$root.debootstrap.log" >&2; rm -f "$root.debootstrap.log"; exit 1; }
rm -f "$root.debootstrap.log"
mount_in proc proc /proc
mount_in sysfs sysfs /sys
mount_in bind /dev /dev
mount_in bind /dev/pts /dev/pts
mount_in tmpfs tmpfs /dev/shm
chmod 1777 "$root/dev/shm"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# a chroot starts no services: package scripts (postgresql's) must not
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# the host's local trust anchors; ca-certificates' postinst adds them to
# the root's bundle, which node is told to trust too (Debian's node uses
# its own list otherwise)
node_ca=()
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  node_ca=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
fi
in_root() { chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 "${node_ca[@]}" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"; }

step "the README's prerequisite: a C toolchain with make (build-essential)"
in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential >/dev/null"
in_root 'echo "packages before: $(dpkg-query -W | wc -l)"'
if [ ${#node_ca[@]} -gt 0 ]; then
  step "the host's local CAs: $(cd /usr/local/share/ca-certificates && echo *.crt)"
  in_root "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null && update-ca-certificates >/dev/null"
fi

step "copy the repository in (a clone of HEAD)"
git -c safe.directory='*' clone -q --no-local "$src" "$root/root/nvault"

step "make demo"
in_root 'cd /root/nvault && make demo' | tee "$root.demo.log"
in_root 'echo "packages after make demo: $(dpkg-query -W | wc -l)"'

step "make test"
# the logs stay beside the root ($root.*.log), which is removed
in_root 'cd /root/nvault && make test' >"$root.test.log" 2>&1 ||
  { grep -E '^FAIL|\*\*\*Failed' "$root.test.log" | tail -n 60 >&2
    echo "check-fresh: make test failed; its log: $root.test.log" >&2; exit 1; }
grep -E 'tests passed|tests failed' "$root.test.log"

step "make deb, install it with apt, run it"
deb=$(in_root 'cd /root/nvault && make -s deb' | tail -n 1)
echo "built $deb"
in_root "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq '$deb' >/dev/null"
in_root 'nvault --version && test -x /usr/bin/nvault && id nvault && test -d /etc/nvault && \
  test -s /usr/lib/systemd/system/nvault.service && test -s /usr/lib/systemd/user/nvault-sync.timer && \
  man -w nvault 2>/dev/null || test -s /usr/share/man/man1/nvault.1'

now=$(date +%s)
echo "check-fresh: [$((now - step_start))s] done"
echo "check-fresh: PASSED in $((now - t0))s"
