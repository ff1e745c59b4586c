# sync_lib.sh: helpers shared by the sync integration tests (sourced after
# lib.sh; not a test itself). Assertions read the store file directly with
# the sqlite3 shell, so they check what is really stored.
DB_ID=1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6
DS_ID=2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7
export NVAULT_RATE_LIMIT=0
command -v sqlite3 >/dev/null || { echo "sqlite3 shell needed (Debian package sqlite3)" >&2; exit 1; }

# write_config VERSION DB_ID [DB_ID...]: a config syncing these databases.
write_config() {
  local version=$1; shift
  python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" "$version" "$@" <<'PY'
import json, sys
path, version, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
dbs = []
for i, dbid in enumerate(ids):
    dbs.append({"notionDatabaseId": dbid, "name": "db%d" % i,
                "projectScopeId": "scope-%d" % i, "syncEnabled": True,
                "fieldMappings": {"Name": "title"}})
json.dump({"notionVersion": version, "databases": dbs}, open(path, "w"), indent=2)
PY
}

# default_config: the generated "Engineering tasks" database, fully mapped.
default_config() {
  cat >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<JSON
{
  "notionVersion": "2025-09-03",
  "databases": [{
    "notionDatabaseId": "$DB_ID",
    "name": "Engineering tasks",
    "projectScopeId": "proj-eng",
    "syncEnabled": true,
    "fieldMappings": {"Name": "title", "Notes": "description", "Status": "status",
                      "Due": "dueDate", "Tags": "tags", "Priority": "category"},
    "statusMap": {"Not started": "open", "In progress": "in_progress", "Done": "done"}
  }]
}
JSON
}

# sq SQL: one query against the store, plain output.
sq() { sqlite3 -batch -noheader "$NVAULT_DB" "$1"; }

# ctl METHOD PATH [JSON]: the fake's control API.
ctl() {
  if [ $# -ge 3 ]; then curl -sS -X "$1" "$FAKE_URL$2" -H 'Content-Type: application/json' -d "$3"
  else curl -sS -X "$1" "$FAKE_URL$2"; fi
}

# page_ids [DS]: the ids of the fake's rows (not trashed), one per line, in a stable order.
page_ids() {
  ctl GET "/_control/pages?data_source_id=${1:-$DS_ID}" |
    python3 -c 'import json,sys; [print(p["id"]) for p in json.load(sys.stdin)["pages"] if not p.get("in_trash")]'
}

# last_evidence EXPR: evaluates EXPR over the newest evidence record's metadata `m`
# (and the record `e`: status, trigger...).
last_evidence() {
  local row
  row=$(sqlite3 -batch -noheader -json "$NVAULT_DB" \
    "select status, trigger, source_id, metadata from evidence order by seq desc limit 1")
  python3 -c 'import json,sys; e=json.loads(sys.argv[1])[0]; m=json.loads(e["metadata"]); print(eval(sys.argv[2]))' "$row" "$1"
}

versions() { sq "select count(*) from task_versions"; }
evidences() { sq "select count(*) from evidence"; }

# store_sum: sha256 of the store's files (the database and its WAL), or
# "none". An empty WAL counts as none: a read-only open of a WAL database
# creates it, and it holds nothing.
store_sum() {
  local f out=""
  for f in "$NVAULT_DB" "$NVAULT_DB-wal"; do
    [ -s "$f" ] && out="$out $(sha256sum <"$f" | cut -c1-64)"
  done
  echo "${out:-none}"
}

# sync_rc ARGS...: runs nvault sync, prints its exit code (output to $T/sync.out/.err).
#
# Every scenario runs both ways (SPEC §4.10): unless ARGS has --dry-run or
# SYNC_ONCE=1 is set (for calls whose fake-server faults a first run would
# use up), `nvault sync --dry-run --json ARGS` runs first and must leave the
# store byte-for-byte unchanged, then the real sync runs, and both must
# report the same per-database counts. Outcomes go to $T/dry-run.checks
# (sync_rc runs in $(...), a subshell); finish() turns them into checks.
sync_rc() {
  local rc drc before after e0
  if [ -n "${SYNC_ONCE:-}" ] || [[ " $* " == *" --dry-run "* ]]; then
    nv sync "$@" >"$T/sync.out" 2>"$T/sync.err"; echo $?; return
  fi
  before=$(store_sum)
  nv sync --dry-run --json "$@" >"$T/dry.out" 2>"$T/dry.err"; drc=$?
  after=$(store_sum)
  if [ "$before" == "$after" ]; then echo "ok|dry run left the store unchanged ($*)"
  else echo "FAIL|dry run left the store unchanged ($*)|$before|$after"; fi >>"$T/dry-run.checks"
  e0=$( [ -e "$NVAULT_DB" ] && sq "select coalesce(max(seq), 0) from evidence" || echo 0)
  nv sync "$@" >"$T/sync.out" 2>"$T/sync.err"; rc=$?
  # a run that could not start (3: locked) or failed in two different ways has nothing to compare
  if [ "$rc" == "$drc" ] && [ "$rc" -le 1 ]; then
    python3 - "$T/dry.out" "$NVAULT_DB" "$e0" "$*" >>"$T/dry-run.checks" <<'PY'
import json, sqlite3, sys
out, db, e0, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
keys = ["createdCount", "updatedCount", "unchangedCount", "deletedCount", "restoredCount",
        "conflictCount"]
dry = {d["databaseId"]: [d[k] for k in keys] for d in json.load(open(out))["databases"]}
real = {}
for sid, meta in sqlite3.connect(db).execute(
        "select source_id, metadata from evidence where seq > ? order by seq", (e0,)):
    m = json.loads(meta)
    if not m.get("detectedLater"):  # not a dead run's record
        real[sid] = [m.get(k) for k in keys]
what = "dry run and real run report the same counts (%s)" % args
print("ok|" + what if dry == real else "FAIL|%s|%s|%s" % (what, dry, real))
PY
  fi
  echo "$rc"
}

# finish: also counts the dry-run comparisons sync_rc recorded.
eval "lib_$(declare -f finish)"
finish() {
  local status what expected got
  [ -e "$T/dry-run.checks" ] && while IFS='|' read -r status what expected got; do
    if [ "$status" == ok ]; then check_eq "$what" x x
    else check_eq "$what" "$expected" "$got"; fi
  done <"$T/dry-run.checks"
  lib_finish
}
