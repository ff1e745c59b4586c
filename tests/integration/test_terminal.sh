#!/usr/bin/env bash
# test_terminal.sh: what `nvault sync` shows (SPEC §1, issue 16). Under a
# real pseudo-terminal (util-linux `script`) set to 80 columns the progress
# line never reaches the last column (so it stays one line), carries the
# database's name, the phase's rows (of the total once known, with an ETA;
# a first sync's ETA, "~", is estimated from the rows' edit times), requests
# and elapsed time, and a final line gives the duration. Off a
# terminal no escape code is written; NO_COLOR drops colour. -v traces
# every Notion request and never the token; -vv is accepted. SIGINT exits
# 130 and the run is recorded interrupted. The daemon's log lines carry
# syslog priorities for journald when stderr is not a terminal.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"
command -v script >/dev/null || { echo "script(1) needed (Debian package bsdutils)" >&2; exit 1; }
fake_start --rows 1500 --seed 3
long="Engineering tasks with a very long name that cannot fit on one line of eighty columns"
default_config
sed -i "s/\"Engineering tasks\"/\"$long\"/" "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"

# in_tty FILE CMD...: runs CMD on an 80-column pseudo-terminal (an xterm,
# whatever TERM the test itself has), output kept in FILE
in_tty() {
  local file=$1; shift
  SHELL=/bin/bash TERM=xterm script -qefc "stty cols 80 rows 24; $*" "$file" >/dev/null 2>&1
}
# segments FILE: the pieces of output between \r and \n, escape codes removed
segments() {
  python3 - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
data = re.sub(r"^Script started.*?\n", "", data)
for seg in re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", data)):
    if seg.strip(): print(seg)
PY
}

# ---- first sync on an 80-column terminal ------------------------------------------------------
in_tty "$T/tty1" "'$NVAULT' sync"
check_eq "sync under script exits 0" 0 "$?"
segments "$T/tty1" >"$T/seg1"
check "progress lines were drawn" grep -q 'query [0-9]* rows, [0-9]* requests' "$T/seg1"
check "progress shows the database's name, not its id" grep -q '^Engineering tasks with' "$T/seg1"
check "the id is not shown instead" sh -c "! grep -q '^$DB_ID:' '$T/seg1'"
widest=$(grep ' requests, ' "$T/seg1" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
check "no progress line reaches column 80 (widest: $widest)" test "$widest" -lt 80
check "the long name is cut to fit" grep -q '~: query' "$T/seg1"
check "progress shows elapsed time" grep -Eq 'requests, [0-9]+\.[0-9]s' "$T/seg1"
check "the final line gives the duration" grep -Eq '^nvault: sync finished in [0-9.]+s: 1 database, 1500 rows' "$T/seg1"
most=$(grep -Eo '(query|scan) [0-9]+' "$T/seg1" | awk '{ if ($2 > m) m = $2 } END { print m + 0 }')
check "rows count the phase, not all phases (at most 1500: $most)" test "$most" -le 1500 -a "$most" -gt 0
check "a first sync knows no total: no row total shown" sh -c "! grep -Eq 'query [0-9]+/' '$T/seg1'"
check "a first sync shows an estimated ETA" grep -Eq 'query [0-9]+ rows, [0-9]+ requests, [0-9.ms]+, ETA ~[0-9]' "$T/seg1"
check "the progress line is cleared with an escape code on a terminal" grep -q $'\r\033\\[K' "$T/tty1"

# ---- second sync: the scan's total is known, so an ETA --------------------------------------------
in_tty "$T/tty2" "'$NVAULT' sync"
segments "$T/tty2" >"$T/seg2"
check "scan shows rows of the known total and an ETA" grep -Eq 'scan [0-9]+/1500 rows, .*ETA [0-9]' "$T/seg2"
check "colour (bold) on a terminal by default" grep -q $'\033\\[1m' "$T/tty2"
in_tty "$T/tty3" "NO_COLOR=1 '$NVAULT' sync"
check "NO_COLOR: no colour codes" sh -c "! grep -Eq $'\033\\\\[[0-9;]*m' '$T/tty3'"
check "NO_COLOR: still the final line" grep -q 'sync finished in' "$T/tty3"

# ---- off a terminal: no escape codes at all ----------------------------------------------------
nv sync >"$T/out" 2>"$T/err"
check "off a terminal: no escape code on stdout or stderr" sh -c "! grep -q $'\033' '$T/out' '$T/err'"
check "off a terminal: the final line" grep -q '^nvault: sync finished in' "$T/err"
check "off a terminal: no progress line" sh -c "! grep -q 'requests, ' '$T/err' || grep -q 'sync finished' '$T/err'"

# ---- -v traces requests, never the token --------------------------------------------------------
ctl POST /_control/faults '{"kind": "status", "status": 429, "retry_after": 1, "count": 1, "match": "/v1/data_sources"}' >/dev/null
nv -v sync >/dev/null 2>"$T/v.err"
check_eq "-v sync exits 0" 0 "$?"
check "-v: each request traced with method, path, status, duration" \
  grep -Eq "^nvault: notion: POST /v1/data_sources/$DS_ID/query(\?\.\.\.)? -> 200 in [0-9]+ ms" "$T/v.err"
check "-v: the schema read is traced too" grep -Eq "^nvault: notion: GET /v1/(databases|data_sources)/" "$T/v.err"
check "-v: a 429 shows the retry and its wait" grep -Eq -- '-> 429 in [0-9]+ ms, retrying in [0-9]+ ms \(Retry-After: 1\)' "$T/v.err"
check "-v: the retry itself is marked" grep -q '(retry 1)' "$T/v.err"
n_traced=$(grep -c '^nvault: notion: ' "$T/v.err")
n_requests=$(sq "select json_extract(metadata, '\$.requests') from evidence order by seq desc limit 1")
check_eq "-v: one trace line per request the evidence counts" "$n_requests" "$n_traced"
check "-v: the token never appears" sh -c "! grep -q '$NOTION_API_KEY' '$T/v.err'"
nv -vv sync >/dev/null 2>"$T/vv.err"
check_eq "-vv is accepted" 0 "$?"
check "-vv: request bodies" grep -q '^  request body: {' "$T/vv.err"
check "-vv: whole paths with their query strings" grep -q '/query?filter_properties=' "$T/vv.err"
check "-vv: the token never appears" sh -c "! grep -q '$NOTION_API_KEY' '$T/vv.err'"
nv sync >/dev/null 2>"$T/quiet.err"
check "without -v: no trace" sh -c "! grep -q 'notion: ' '$T/quiet.err'"

# ---- Ctrl-C: exit 130, run recorded interrupted ------------------------------------------------
export NVAULT_DB="$T/interrupt.db"
NVAULT_RATE_LIMIT=5 "$NVAULT" sync >/dev/null 2>"$T/int.err" &
pid=$!
for _ in $(seq 1 300); do
  [ "$(sq 'select count(*) from tasks' 2>/dev/null || echo 0)" -gt 0 ] && break
  sleep 0.05
done
check "some rows were committed before the interrupt" test "$(sq 'select count(*) from tasks')" -gt 0
kill -INT "$pid"
wait "$pid"; rc=$?
check_eq "SIGINT: exit 130" 130 "$rc"
check_eq "SIGINT: the run is recorded interrupted" "interrupted manual" \
  "$(sq "select status || ' ' || trigger from evidence order by seq desc limit 1")"
check "SIGINT: the final line says interrupted" grep -q '^nvault: sync interrupted after' "$T/int.err"

# ---- daemon: syslog priorities when stderr is not a terminal -------------------------------------
AGENT_MEMORY_NOTION_SYNC_ENABLED=false nv daemon 2>"$T/d.err"
check "daemon info lines start with <6>" grep -q '^<6>.*nvault: info: ' "$T/d.err"
AGENT_MEMORY_NOTION_SYNC_SCHEDULE='61 * * * *' nv daemon 2>"$T/d2.err"
check_eq "daemon with a bad schedule exits 2" 2 "$?"
check "daemon error lines start with <3>" grep -q '^<3>nvault: error: ' "$T/d2.err"
in_tty "$T/dtty" "AGENT_MEMORY_NOTION_SYNC_ENABLED=false '$NVAULT' daemon"
check "daemon on a terminal: no priority prefix" sh -c "! grep -q '<6>' '$T/dtty'"
in_tty "$T/dtty2" "JOURNAL_STREAM=8:1234 AGENT_MEMORY_NOTION_SYNC_ENABLED=false '$NVAULT' daemon"
check "daemon with JOURNAL_STREAM: priority prefix" grep -q '<6>' "$T/dtty2"
finish
