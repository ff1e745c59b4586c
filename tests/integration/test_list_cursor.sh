#!/usr/bin/env bash
# test_list_cursor.sh: `nvault task list --cursor` pages over 10,000 synced
# tasks while a second sync inserts 2,000 more, and returns every earlier
# task exactly once (a cursor is a key, not an offset). Then --where and
# --sort on Notion properties of the synced rows. Real nvault, real fake
# Notion, real store.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 10000 --seed 12
default_config
t0=$(date +%s)
check_eq "first sync exits 0" 0 "$(sync_rc)"
echo "# first sync: $(( $(date +%s) - t0 )) s"
check_eq "10,000 tasks" 10000 "$(sq 'select count(*) from tasks where active = 1')"
sq 'select id from tasks where active = 1 order by id' >"$T/before.ids"

# 2,000 new rows in Notion, created through the fake's control API
python3 - "$FAKE_URL" "$DS_ID" <<'PY' || { echo "could not create pages" >&2; exit 1; }
import http.client, json, sys, urllib.parse
url, ds = urllib.parse.urlparse(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection(url.hostname, url.port)
for i in range(2000):
    body = json.dumps({"data_source_id": ds, "set": {"Name": "inserted %d" % i}})
    conn.request("POST", "/_control/pages", body, {"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status != 200:
        sys.exit("create page %d: HTTP %d" % (i, r.status))
PY

# jin PYTHON-EXPR: evaluates an expression over the JSON `d` on stdin
jin() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
rc() { "$@" >/dev/null 2>&1; echo $?; }
page() { nv --json task list --limit 500 ${1:+--cursor "$1"} >"$T/page.json"; }
echo "# 2,000 pages created: $(( $(date +%s) - t0 )) s"
page; pages=1
check_eq "the first page counts 10,000" 10000 "$(jin 'd["total"]' <"$T/page.json")"
jin '"\n".join(t["id"] for t in d["tasks"])' <"$T/page.json" >"$T/seen.ids"
cursor=$(jin 'd["nextCursor"] or ""' <"$T/page.json")

# the second sync runs while we page, rate-limited (10 requests/s) so that it
# commits rows between our pages
NVAULT_RATE_LIMIT=10 nv sync >"$T/sync2.out" 2>&1 &
SYNC_PID=$!
for _ in $(seq 1 600); do    # wait (at most 60 s) until it has written some rows
  [ "$(sq 'select count(*) from tasks')" -gt 10000 ] && break
  sleep 0.1
done
counts="$(sq 'select count(*) from tasks')"
while [ -n "$cursor" ]; do
  page "$cursor" || { echo "page $pages failed" >&2; break; }
  pages=$((pages + 1))
  jin '"\n".join(t["id"] for t in d["tasks"])' <"$T/page.json" >>"$T/seen.ids"
  cursor=$(jin 'd["nextCursor"] or ""' <"$T/page.json")
  counts="$counts $(sq 'select count(*) from tasks')"
  [ $pages -gt 100 ] && break
done
echo "# paged $pages pages: $(( $(date +%s) - t0 )) s"
wait "$SYNC_PID"; sync_status=$?
echo "# second sync done: $(( $(date +%s) - t0 )) s"
check_eq "the second sync exits 0" 0 "$sync_status"
check_eq "12,000 tasks after it" 12000 "$(sq 'select count(*) from tasks where active = 1')"
check "the sync wrote while we paged" python3 -c '
import sys; c = [int(x) for x in sys.argv[1].split()]
sys.exit(0 if c[0] > 10000 and any(x > 10000 for x in c) else 1)' "$counts"
sort "$T/seen.ids" | uniq -d >"$T/dup.ids"
check_eq "no task is returned twice" 0 "$(wc -l <"$T/dup.ids")"
sort -u "$T/seen.ids" >"$T/seen.sorted"
check_eq "every earlier task is returned" 0 "$(comm -23 "$T/before.ids" "$T/seen.sorted" | wc -l)"
page; page "$(jin 'd["nextCursor"]' <"$T/page.json")"
check_eq "pages after the first do not count" None "$(jin 'd["total"]' <"$T/page.json")"

# ---- filters and sorts on Notion properties of synced rows ----------------
prio=$(sq "select json_extract(metadata, '\$.notionProperties.Priority.value') from tasks
           where json_extract(metadata, '\$.notionProperties.Priority.value') is not null limit 1")
want=$(sq "select count(*) from tasks where active = 1
           and json_extract(metadata, '\$.notionProperties.Priority.value') = '$prio'")
out=$(nv --json task list --where "Priority=$prio" --limit 1)
check_eq "--where on a select property" "$want" "$(jget "$out" 'd["total"]')"
nv --json task list --where "Priority=$prio" --where 'status=done' --sort 'dueDate:desc' --limit 1000 >"$T/f.json"
check_eq "two filters" "$(sq "select count(*) from tasks where active = 1 and status = 'done'
  and json_extract(metadata, '\$.notionProperties.Priority.value') = '$prio'")" "$(jin 'd["total"]' <"$T/f.json")"
out=$(cat "$T/f.json")
check "sorted by dueDate, newest first, empty last" python3 -c '
import json, sys; d = json.load(sys.stdin)["tasks"]
due = [t["dueDate"] for t in d]; have = [x for x in due if x]
sys.exit(0 if have == sorted(have, reverse=True) and due == have + [None] * (len(due) - len(have)) else 1)' <<<"$out"
err=$(nv task list --where 'Priority' 2>&1 >/dev/null); code=$?
check_eq "a filter without an operator is a usage error" 2 "$code"
check "its message names the filter" grep -q "filter 'Priority': no operator" <<<"$err"
check_eq "a made-up cursor is a usage error" 2 "$(rc nv task list --cursor nonsense)"
finish
