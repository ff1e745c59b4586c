#!/usr/bin/env bash
# test_packaging.sh: what `make install` and `make deb` ship (issue 16):
# the stripped binary, the man page, the systemd units (system service,
# per-user service and timer, each accepted by `systemd-analyze verify`
# and pointing at the installed binary), the JSON Schema, an example
# config, bash/zsh/fish completions, the MIT LICENSE; the version from git
# tags with the CMake project version as fallback; a .deb with the right
# files, postinst and Depends (dpkg-shlibdeps: each library's package with
# a version, met on the build host) (scripts/mkdeb.sh, as `make deb` runs it).
source "$(dirname "$0")/lib.sh"
: "${NV_BUILD_DIR:?NV_BUILD_DIR must point to the build directory}"
for tool in systemd-analyze readelf dpkg-deb dpkg-shlibdeps git; do
  command -v "$tool" >/dev/null || { echo "$tool needed (Debian packages systemd, binutils, dpkg, dpkg-dev, git)" >&2; exit 1; }
done

# ---- make install's step, into a prefix of its own --------------------------------------------
prefix="$T/prefix"
cmake --install "$NV_BUILD_DIR" --prefix "$prefix" --strip >"$T/install.log" 2>&1
check_eq "cmake --install --strip exits 0" 0 "$?"
for f in bin/nvault share/man/man1/nvault.1 share/nvault/notion-sync.schema.json \
  share/doc/nvault/examples/notion-sync.config.json share/doc/nvault/LICENSE \
  share/bash-completion/completions/nvault share/zsh/vendor-completions/_nvault \
  share/fish/vendor_completions.d/nvault.fish lib/systemd/system/nvault.service \
  lib/systemd/user/nvault-sync.service lib/systemd/user/nvault-sync.timer; do
  check "installs $f" test -s "$prefix/$f"
done
check "the installed binary is stripped" sh -c "! readelf -S '$prefix/bin/nvault' | grep -q '\\.symtab'"
quiet() { "$@" >/dev/null 2>&1; }
check "the installed binary runs" quiet "$prefix/bin/nvault" --version
check "the example config is valid" quiet "$prefix/bin/nvault" --config "$prefix/share/doc/nvault/examples/notion-sync.config.json" config check
check "LICENSE is MIT" grep -q '^MIT License' "$prefix/share/doc/nvault/LICENSE"

# ---- units: the installed binary, and systemd accepts them ------------------------------------------
sys="$prefix/lib/systemd/system/nvault.service"
usr="$prefix/lib/systemd/user/nvault-sync.service"
check "system unit runs the installed binary" grep -qx "ExecStart=$prefix/bin/nvault daemon" "$sys"
check "user unit runs the installed binary" grep -qx "ExecStart=$prefix/bin/nvault sync" "$usr"
check "user unit: the per-user store and config (no NVAULT_DB, no config path)" \
  sh -c "! grep -v '^#' '$usr' | grep -Eq 'NVAULT_DB|CONFIG_PATH'"
check "system unit: store group-readable for agent users" \
  sh -c "grep -qx 'StateDirectoryMode=0750' '$sys' && grep -qx 'UMask=0027' '$sys'"
check "system unit recipe: config dir group nvault" grep -q 'install -d -m 0750 -o root -g nvault /etc/nvault' "$sys"
systemd-analyze verify --man=no "$sys" >"$T/verify.out" 2>&1
check_eq "systemd-analyze verify nvault.service" 0 "$?"
check "systemd-analyze verify: no warning for nvault.service" test ! -s "$T/verify.out"
mkdir -p "$T/runtime" && chmod 700 "$T/runtime"
XDG_RUNTIME_DIR="$T/runtime" systemd-analyze --user verify --man=no "$usr" \
  "$prefix/lib/systemd/user/nvault-sync.timer" >"$T/verify-user.out" 2>&1
check_eq "systemd-analyze --user verify nvault-sync.service/.timer" 0 "$?"
check "systemd-analyze verify: no warning for the user units" test ! -s "$T/verify-user.out"
# the check itself can fail: a broken unit is reported
sed 's/^Type=simple/Type=bogus/' "$sys" >"$T/bad.service"
systemd-analyze verify --man=no "$T/bad.service" >"$T/bad.out" 2>&1
check "systemd-analyze reports a broken unit" grep -q 'bogus' "$T/bad.out"
cat "$T/verify.out" "$T/verify-user.out" >&2

# ---- completions ------------------------------------------------------------------------------------
check "bash completion parses" bash -n "$prefix/share/bash-completion/completions/nvault"
out=$(PATH="$prefix/bin:$PATH" bash -c 'source "$1"; COMP_WORDS=(nvault sy); COMP_CWORD=1; _nvault; echo "${COMPREPLY[*]}"
  COMP_WORDS=(nvault sync --dr); COMP_CWORD=2; _nvault; echo "${COMPREPLY[*]}"
  COMP_WORDS=(nvault config ""); COMP_CWORD=2; _nvault; echo "${COMPREPLY[*]}"' _ "$prefix/share/bash-completion/completions/nvault")
check_eq "bash completes commands, options and subcommands" "sync|--dry-run|check path" "$(paste -sd'|' <<<"$out")"
if command -v zsh >/dev/null; then check "zsh completion parses" zsh -n "$prefix/share/zsh/vendor-completions/_nvault"; fi
if command -v fish >/dev/null; then check "fish completion parses" fish -n "$prefix/share/fish/vendor_completions.d/nvault.fish"; fi

# ---- version from git tags ----------------------------------------------------------------------------
ver() { cmake -DSRC="$1" -DFALLBACK=0.1.0 -P "$NV_SRC_DIR/cmake/nvault_version.cmake" 2>&1; }
repo="$T/repo"
git init -q "$repo" && git -C "$repo" -c user.email=t@t -c user.name=t commit -q --allow-empty -m one
check_eq "no tag: the CMake project version" "0.1.0" "$(ver "$repo")"
git -C "$repo" tag v1.2.3
check_eq "tag v1.2.3: 1.2.3" "1.2.3" "$(ver "$repo")"
git -C "$repo" -c user.email=t@t -c user.name=t commit -q --allow-empty -m two
check "a commit after the tag: 1.2.3-1-g<hash>" grep -Eqx '1\.2\.3-1-g[0-9a-f]+' <<<"$(ver "$repo")"
check_eq "not a repository: the fallback" "0.1.0" "$(ver "$T/prefix")"
check "nvault --version prints a version" grep -Eqx 'nvault [0-9]+\.[0-9]+\.[0-9]+.*' <<<"$("$NVAULT" --version)"

# ---- the .deb -------------------------------------------------------------------------------------------
deb=$(bash "$NV_SRC_DIR/scripts/mkdeb.sh" "$NV_BUILD_DIR" "$T/deb" 2>"$T/deb.err")
check "mkdeb builds a .deb" test -s "$deb"
cat "$T/deb.err" >&2
dpkg-deb --info "$deb" >"$T/info"
check "deb: package nvault" grep -q '^ Package: nvault$' "$T/info"
depends=$(grep '^ Depends:' "$T/info")
check "deb: depends on the libraries nvault links" \
  test -n "$(grep libcurl4 <<<"$depends")" -a -n "$(grep libjansson4 <<<"$depends")" -a -n "$(grep libsqlite3-0 <<<"$depends")"
check "deb: no test library in Depends" test -z "$(grep -E 'cmocka|-dev|nodejs' <<<"$depends")"
# from dpkg-shlibdeps: every library with the least version its symbols need,
# which the build host's own packages meet (the .deb installs where it was built)
check "deb: libc6 is a dependency too (dpkg-shlibdeps)" grep -q 'libc6 (>= ' <<<"$depends"
n_deps=0
while read -r dep; do
  pkg=${dep%% *}
  if [ "${NV_SANITIZED:-0}" = 1 ] && [[ $pkg == libasan* || $pkg == libubsan* ]]; then
    echo "# $dep: the sanitizer build's runtime, not a dependency of a release build"
    continue
  fi
  n_deps=$((n_deps + 1))
  if [[ $dep =~ ^([a-z0-9.+-]+)\ \(\>=\ ([^\)]+)\)$ ]]; then
    have=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)
    check "deb: $dep is met on the build host ($pkg $have)" dpkg --compare-versions "$have" ge "${BASH_REMATCH[2]}"
  else
    check "deb: '$dep' has a version from the host (pkg (>= version))" false
  fi
done < <(sed 's/^ Depends: //; s/, /\n/g' <<<"$depends")
check "deb: at least six library dependencies ($n_deps)" test "$n_deps" -ge 6
dpkg-deb --contents "$deb" >"$T/contents"
for f in ./usr/bin/nvault ./usr/share/man/man1/nvault.1 ./usr/lib/systemd/system/nvault.service \
  ./usr/lib/systemd/user/nvault-sync.timer ./usr/share/nvault/notion-sync.schema.json; do
  check "deb holds $f" grep -q " $f\$" "$T/contents"
done
check "deb files are owned by root" test -z "$(grep -v ' root/root ' "$T/contents")"
dpkg-deb -x "$deb" "$T/x" && dpkg-deb -e "$deb" "$T/x/DEBIAN"
check "deb: units run /usr/bin/nvault" grep -qx 'ExecStart=/usr/bin/nvault daemon' "$T/x/usr/lib/systemd/system/nvault.service"
check "deb: postinst creates the nvault user and /etc/nvault" \
  sh -c "grep -q 'useradd --system --user-group' '$T/x/DEBIAN/postinst' && grep -q 'install -d -m 0750 -o root -g nvault /etc/nvault' '$T/x/DEBIAN/postinst'"
check "deb: postinst is valid sh" sh -n "$T/x/DEBIAN/postinst"
check "deb: the binary runs" quiet "$T/x/usr/bin/nvault" --version
finish
