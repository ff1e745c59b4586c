#!/usr/bin/env bash
# The tree obeys .clang-format: every tracked C file, checked with
# clang-format --dry-run -Werror. Run by ctest as style/format; fails (never
# skips) when clang-format is missing, naming the package to install.
set -u
cd "${NV_SRC_DIR:-$(dirname "$0")/../..}" || exit 1
command -v clang-format >/dev/null ||
	{ echo "style/format: clang-format not found (Debian package clang-format)" >&2; exit 1; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench fuzz -name '*.[ch]')
[ -n "$files" ] || { echo "style/format: no C files found" >&2; exit 1; }
bad=$(printf '%s\n' $files | xargs clang-format --dry-run -Werror 2>&1 |
	grep -oE '^[^:]+\.[ch]:[0-9]+' | sort -u)
n=$(printf '%s\n' $files | wc -l)
if [ -n "$bad" ]; then
	printf 'not formatted (run clang-format -i on them):\n%s\n' "$bad" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
echo "ok - $n files match .clang-format"
echo "1 passed, 0 failed"
