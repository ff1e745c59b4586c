#!/usr/bin/env bash
# Every symbol the library exports carries its module's prefix (docs/STYLE.md
# habit 5, rule 15): nm lists the external symbols each object of
# libnvault_core.a defines, the object's source folder names the module, and
# the table below says which prefixes each module may use. A prefix is the
# module's name or the name of a type the module owns (buf_ for struct buf,
# line_reader_ for struct line_reader); never a dependency's (json_, curl_,
# sqlite3_). Run by ctest as style/prefixes with NV_LIB set to the library;
# fails (never skips) when nm or the library is missing.
#
#   NV_LIB=build/libnvault_core.a tests/style/check_prefixes.sh
set -u
cd "${NV_SRC_DIR:-$(dirname "$0")/../..}" || exit 1

# module (folder under src/)  allowed prefixes (extended regex alternatives)
PREFIXES='
app       app_
config    config_ settings_
jsonrpc   jsonrpc_ line_reader_
mapper    mapper_ schema_
mcp       mcp_ memory_task_ notion_sync_
net       breaker_ ratelimit_ retry_
notion    notion_
sched     cron_ daemon_
store     store_ content_ db_ sql_ evidence_ sync_state_ sync_states_ sched_state_ schema_event_ schema_events_ task_list_ task_versions_ diff_kind_ bind_ col_ row_to_ stmt_ tx_ read_ where_
sync      sync_
task      task_
util      buf_ hash_ id_ locator_ log_ nv_ secret_ term_ time_ utf8_ x
'
# store: bind_ col_ row_to_ stmt_ tx_ read_ where_ are the helpers of
# store_int.h, seen by src/store alone; they are allowed as they are while
# the store moves onto its engine interface.

# check: reads "file.c symbol" lines and prints "src/DIR/file.c: symbol" for
# each symbol outside its module's prefixes; exit 1 when there is one.
check() {
	awk -v table="$PREFIXES" -v dirs="$1" '
	BEGIN {
		n = split(table, lines, "\n")
		for (i = 1; i <= n; i++) {
			m = split(lines[i], w, /[ \t]+/)
			if (m < 2) continue
			re = ""
			for (j = 2; j <= m; j++) if (w[j] != "") re = re (re == "" ? "" : "|") w[j]
			allowed[w[1]] = "^(" re ")"
			shown[w[1]] = re
		}
		n = split(dirs, d, "\n")
		for (i = 1; i <= n; i++) {
			k = d[i]; sub(/.*\//, "", k)
			if (k in folder) { print "style/prefixes: two sources named " k > "/dev/stderr"; bad++ }
			folder[k] = d[i]
		}
	}
	{
		src = $1; sym = $2
		# ASan names its record of an instrumented global __odr_asan.NAME
		sub(/^__odr_asan\./, "", sym)
		if (!(src in folder)) { print "style/prefixes: no source for object " src > "/dev/stderr"; bad++; next }
		path = folder[src]; mod = path; sub(/^src\//, "", mod); sub(/\/.*/, "", mod)
		if (!(mod in allowed)) { print "style/prefixes: module " mod " is not in the table (" path ")"; bad++; next }
		total++
		if (sym !~ allowed[mod]) { print path ": " sym " (module " mod ": " shown[mod] ")"; bad++ }
	}
	END {
		if (total == 0) { print "style/prefixes: no symbols read" > "/dev/stderr"; exit 1 }
		printf "%d symbols checked\n", total > "/dev/stderr"
		exit bad ? 1 : 0
	}'
}

command -v nm >/dev/null ||
	{ echo "style/prefixes: nm not found (Debian package binutils)" >&2; echo "0 passed, 1 failed"; exit 1; }
lib=${NV_LIB:-${NV_BUILD_DIR:-build}/libnvault_core.a}
[ -r "$lib" ] ||
	{ echo "style/prefixes: library $lib not found (build first)" >&2; echo "0 passed, 1 failed"; exit 1; }
# the library is every src/*/*.c but src/cli (CMakeLists.txt globs the same)
sources=$(find src -mindepth 2 -maxdepth 2 -name '*.c' ! -path 'src/cli/*' | sort)

# the check itself must be able to fail: a symbol without its prefix is caught
if printf 'task.c json_canonical\n' | check "$sources" >/dev/null 2>&1; then
	echo "style/prefixes: the check let json_canonical through in src/task" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# "archive.a:member.c.o: ADDR TYPE NAME" -> "member.c NAME"
if ! nm -A -g --defined-only "$lib" >"${TMPDIR:-/tmp}/nv-prefixes.$$" 2>&1; then
	cat "${TMPDIR:-/tmp}/nv-prefixes.$$" >&2
	rm -f "${TMPDIR:-/tmp}/nv-prefixes.$$"
	echo "0 passed, 1 failed"
	exit 1
fi
out=$(sed -nE 's/^[^:]*:([^:]+)\.o:[0-9a-fA-F]* +[A-Za-z] +(.*)$/\1 \2/p' "${TMPDIR:-/tmp}/nv-prefixes.$$" |
	check "$sources")
rc=$?
rm -f "${TMPDIR:-/tmp}/nv-prefixes.$$"
if [ $rc -ne 0 ]; then
	printf 'exported symbols without their module prefix (rename them, or add the\nprefix of a type the module owns to tests/style/check_prefixes.sh):\n%s\n' "$out" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
echo "ok - every exported symbol of $lib carries its module prefix"
echo "1 passed, 0 failed"
