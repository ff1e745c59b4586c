#!/usr/bin/env bash
# test_docs.sh: `nvault --help`, `nvault help COMMAND`, the man page and the
# README agree: every command and subcommand the binary offers is documented
# in man/nvault.1, every command the man page documents exists, and each
# command's help works.
source "$(dirname "$0")/lib.sh"
# the man page with roff's escaped hyphens made plain
man="$T/nvault.1"
sed 's/\\-/-/g' "$NV_SRC_DIR/man/nvault.1" >"$man"

commands=$(nv --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands:/ {print $1}')
check "nvault --help lists commands" test -n "$commands"
for c in $commands; do
  check "man page documents 'nvault $c'" grep -q "^\.B nvault $c\b" "$man"
  out=$(nv help "$c" 2>&1); rc=$?
  check_eq "nvault help $c exits 0" 0 "$rc"
  check "nvault help $c prints usage" grep -q "usage:" <<<"$out"
  # subcommand groups list their subcommands; each must be documented too
  subs=$(sed -n '/^Subcommands:/,/^$/p' <<<"$out" | awk 'NF && !/^Subcommands:/ {print $1}')
  for s in $subs; do
    check "man page documents 'nvault $c $s'" grep -Eq "^\.B nvault $c ($s|[a-z]+/$s)\b|^\.B nvault $c $s" "$man"
    out2=$(nv "$c" "$s" --help 2>&1); rc=$?
    check_eq "nvault $c $s --help exits 0" 0 "$rc"
    check "nvault $c $s --help prints usage" grep -q "usage:" <<<"$out2"
  done
done
for c in $(grep -Eo '^\.B nvault [a-z-]+' "$man" | awk '{print $3}' | sort -u); do
  check "documented command '$c' exists" grep -qx "$c" <<<"$commands"
done
check "README shows both commands" grep -q "make demo" "$NV_SRC_DIR/README.md"
check "README test command" grep -q "make test" "$NV_SRC_DIR/README.md"
# make install's step: binary and man page land under PREFIX, inside DESTDIR
if [ -n "${NV_BUILD_DIR:-}" ]; then
  DESTDIR="$T/stage" cmake --install "$NV_BUILD_DIR" --prefix /usr/local >/dev/null
  check "install puts nvault in bin" test -x "$T/stage/usr/local/bin/nvault"
  check "install puts the man page in man1" test -s "$T/stage/usr/local/share/man/man1/nvault.1"
fi
nv bogus-command >/dev/null 2>&1; check_eq "unknown command exits 2" 2 "$?"
finish
