# test_sync_versions.sh: every Notion API version nvault speaks, against the
# fake serving that version the way Notion does (SPEC §2.2, §4.4;
# notion-api.md §1). For each of 2022-06-28, 2025-09-03, 2026-03-11 and
# 2026-12-01: a first sync backs up every row with every property; from
# 2025-09-03 on each query names every property id of the schema with
# filter_properties, each id encoded once (2026-12-01 would otherwise return
# the title only: checked against the fake directly, so the test can fail);
# an edit to a non-title property is captured by the next sync; a trashed
# row is deleted; a person whose name is null (2026-12-01) is kept.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

ROWS=120
NPROPS=17 # the standard schema (docs/internals/fake-notion.md)
fake_start --rows $ROWS --seed 4

# export_py EXPR: EXPR over `tasks`, the exported tasks of the current store.
export_py() {
  nv export --format jsonl >"$T/export.jsonl" || return 1
  python3 -c 'import json,sys; tasks=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print(eval(sys.argv[2]))' \
    "$T/export.jsonl" "$1"
}
# log_py EXPR: EXPR over `log`, the fake's request log.
log_py() {
  ctl GET /_control/log >"$T/log.json"
  python3 -c 'import json,sys; log=json.load(open(sys.argv[1]))["requests"]; print(eval(sys.argv[2]))' \
    "$T/log.json" "$1"
}

# ---- the fake itself: what each version returns without filter_properties ----
q() { # VERSION [QUERY]: one query page of the generated data source, as JSON
  curl -sS -X POST "$FAKE_URL/v1/data_sources/$DS_ID/query${2:-}" \
    -H "Authorization: Bearer $NOTION_API_KEY" -H "Notion-Version: $1" \
    -H 'Content-Type: application/json' -d '{"page_size": 5}'
}
props_of_first() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"][0]["properties"]))'; }
check_eq "2025-09-03 without filter_properties: every property" $NPROPS "$(q 2025-09-03 | props_of_first)"
check_eq "2026-03-11 without filter_properties: every property" $NPROPS "$(q 2026-03-11 | props_of_first)"
check_eq "2026-12-01 without filter_properties: the title only" 1 "$(q 2026-12-01 | props_of_first)"
check_eq "2026-12-01 with filter_properties: just those" 2 \
  "$(q 2026-12-01 '?filter_properties=title&filter_properties=%3AUPp' | props_of_first)"
check_eq "2025-09-03 pages carry archived" True \
  "$(q 2025-09-03 | python3 -c 'import json,sys; print("archived" in json.load(sys.stdin)["results"][0])')"
check_eq "2026-03-11 pages carry in_trash and no archived" "True False" \
  "$(q 2026-03-11 | python3 -c 'import json,sys; p=json.load(sys.stdin)["results"][0]; print("in_trash" in p, "archived" in p)')"
check_eq "2026-03-11 refuses archived in a query body" 400 \
  "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$FAKE_URL/v1/data_sources/$DS_ID/query" \
     -H "Authorization: Bearer $NOTION_API_KEY" -H 'Notion-Version: 2026-03-11' \
     -H 'Content-Type: application/json' -d '{"archived": false}')"
check_eq "2026-12-01: some people have a null name" True \
  "$(curl -sS "$FAKE_URL/v1/pages/$(page_ids | sed -n 14p)/properties/0wnr" \
       -H "Authorization: Bearer $NOTION_API_KEY" -H 'Notion-Version: 2026-12-01' |
     python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(any(i["people"].get("name", 1) is None for i in r))')"

# ---- nvault against each version ------------------------------------------------
IDS=($(page_ids))
n=0
for V in 2022-06-28 2025-09-03 2026-03-11 2026-12-01; do
  n=$((n + 1))
  export NVAULT_DB="$T/vault-$V.db"
  default_config
  sed -i "s/\"notionVersion\": \"[0-9-]*\"/\"notionVersion\": \"$V\"/" "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"
  ctl DELETE /_control/log >/dev/null

  check_eq "$V: first sync exits 0" 0 "$(sync_rc)"
  check_eq "$V: every row backed up" $ROWS "$(export_py 'len(tasks)')"
  check_eq "$V: every row has all $NPROPS properties" $ROWS \
    "$(export_py "sum(1 for t in tasks if len(t['metadata']['notionProperties']) == $NPROPS)")"
  check_eq "$V: descriptions came through (not only titles)" True \
    "$(export_py "sum(1 for t in tasks if t.get('description')) > $ROWS // 2")"
  check_eq "$V: evidence names the version" "$V" "$(last_evidence 'm["notionVersion"]')"
  # the queries: from 2025-09-03 on every one names all properties, each id encoded once
  if [ "$V" = 2022-06-28 ]; then
    check_eq "$V: the pass sends no filter_properties" 0 \
      "$(log_py "sum(1 for e in log if e['path'].endswith('/query') and 'filter_properties' in e['query'])")"
  else
    check_eq "$V: every query names all $NPROPS property ids" True \
      "$(log_py "all(e['query'].count('filter_properties=') == $NPROPS for e in log if e['path'].endswith('/query')) and any(e['path'].endswith('/query') for e in log)")"
    check_eq "$V: ids encoded exactly once" "True False" \
      "$(log_py "[any('filter_properties=%3AUPp' in e['query'] for e in log), any('%25' in e['query'] for e in log)]" | tr -d '[],')"
  fi
  if [ "$V" = 2026-12-01 ]; then
    check_eq "$V: a person with a null name is kept, without a name" True \
      "$(export_py "any(('name' not in u) and u.get('id') for t in tasks for u in (t['metadata']['notionProperties']['Owner']['value'] or []))")"
  fi

  # an edit to a non-title property and a trashed row, then an incremental sync
  EDIT=${IDS[$n]}
  GONE=${IDS[$((n + 10))]}
  ctl POST /_control/clock '{"advance_ms": 180000}' >/dev/null
  ctl PATCH "/_control/pages/$EDIT" "{\"set\": {\"Notes\": \"edited under $V\"}}" >/dev/null
  ctl POST "/_control/pages/$GONE/trash" >/dev/null
  ctl DELETE /_control/log >/dev/null
  check_eq "$V: incremental sync exits 0" 0 "$(sync_rc)"
  check_eq "$V: the edited description was captured" "edited under $V" \
    "$(export_py "[t['description'] for t in tasks if t['notionPageId'] == '$EDIT'][0]")"
  check_eq "$V: the trashed row was deleted" "$((ROWS - 1))" "$(export_py 'len(tasks)')"
  if [ "$V" != 2022-06-28 ]; then
    check_eq "$V: the incremental queries name every property too" True \
      "$(log_py "all(e['query'].count('filter_properties=') >= 1 for e in log if e['path'].endswith('/query'))")"
  fi
  ctl POST "/_control/pages/$GONE/restore" >/dev/null
done

finish
