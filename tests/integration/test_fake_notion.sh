#!/usr/bin/env bash
# test_fake_notion.sh: the fake Notion server's HTTP behaviour, driven with
# curl (docs/internals/fake-notion.md): auth and version errors, both API
# versions' routes, pagination to the end with opaque cursors, the results
# cap, trash/restore/purge, control edits with minute-rounded timestamps and
# millisecond filters, the 25-item truncation and the property endpoint,
# faults (status, HTML, stall, drop, truncate), rate limiting, the request
# log and a multi-data-source fixture.
source "$(dirname "$0")/lib.sh"

DB=1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6
DS=2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7
V25=2025-09-03
V22=2022-06-28

# api METHOD PATH [BODY] [VERSION] [TOKEN]: sets STATUS, BODY (and HEADERS file).
api() {
	local method=$1 path=$2 body=${3:-} version=${4-$V25} token=${5-ntn_test_token_0123456789}
	local args=(-s -X "$method" -D "$T/headers" -o "$T/body" -w '%{http_code}')
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$version" ] && args+=(-H "Notion-Version: $version")
	[ -n "$body" ] && args+=(-H "Content-Type: application/json" --data "$body")
	STATUS=$(curl "${args[@]}" "$FAKE_URL$path")
	BODY=$(cat "$T/body")
}
# ctl METHOD PATH [BODY]: control endpoint, sets STATUS and BODY.
ctl() { api "$1" "$2" "${3:-}" "" ""; }
j() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/body" "$1"; }

# paginate VERSION PATH BODY-JSON: walks every page; prints "pages rows unique".
paginate() {
	python3 - "$FAKE_URL" "$1" "$2" "$3" <<'EOF'
import json, sys, urllib.request
url, version, path, body = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
ids, pages, cursor, status = [], 0, None, None
while True:
    b = dict(body)
    if cursor: b["start_cursor"] = cursor
    req = urllib.request.Request(url + path, data=json.dumps(b).encode(), method="POST",
        headers={"Authorization": "Bearer t", "Notion-Version": version,
                 "Content-Type": "application/json"})
    d = json.load(urllib.request.urlopen(req))
    pages += 1
    ids += [r["id"] for r in d["results"]]
    status = d.get("request_status", {}).get("type", "-")
    if not d["has_more"]: break
    cursor = d["next_cursor"]
print(pages, len(ids), len(set(ids)), status)
EOF
}

fake_start --rows 1050 --seed 7

# ---- auth and versions ----
api GET /v1/databases/$DB "" $V25 ""
check_eq "no token: 401" 401 "$STATUS"
check_eq "no token: unauthorized code" unauthorized "$(j 'd["code"]')"
check_eq "error body is a Notion error" "error 401" "$(j 'd["object"] + " " + str(d["status"])')"
check "error body has a request_id" test -n "$(j 'd["request_id"]')"
api GET /v1/databases/$DB "" ""
check_eq "no Notion-Version: 400 missing_version" "400 missing_version" "$STATUS $(j 'd["code"]')"
api GET /v1/databases/$DB "" 2019-01-01
check_eq "unknown version: 400" 400 "$STATUS"

# ---- 2025-09-03 discovery ----
api GET /v1/databases/${DB//-/}
check_eq "database by undashed id" 200 "$STATUS"
check_eq "2025: database lists its data source" "$DS Tasks" "$(j 'd["data_sources"][0]["id"] + " " + d["data_sources"][0]["name"]')"
check_eq "2025: database has no properties" False "$(j '"properties" in d')"
api GET /v1/data_sources/$DS
check_eq "2025: data source has the schema" "17 title" "$(j 'str(len(d["properties"])) + " " + d["properties"]["Name"]["id"]')"
check_eq "2025: data source parent is the database" "$DB" "$(j 'd["parent"]["database_id"]')"
api GET /v1/databases/$DS
check_eq "data source id on /databases: 404 object_not_found" "404 object_not_found" "$STATUS $(j 'd["code"]')"

# ---- 2022-06-28 ----
api GET /v1/databases/$DB "" $V22
check_eq "2022: database has properties" "17 False" "$(j 'str(len(d["properties"])) + " " + str("data_sources" in d)')"
api GET /v1/data_sources/$DS "" $V22
check_eq "2022: data_sources route is invalid_request_url" "400 invalid_request_url" "$STATUS $(j 'd["code"]')"
api POST /v1/databases/$DB/query '{"page_size":3}' $V22
check_eq "2022: query has database parents" "database_id 3" "$(j 'd["results"][0]["parent"]["type"] + " " + str(len(d["results"]))')"
check_eq "2022: list type" page_or_database "$(j 'd["type"]')"
api POST /v1/databases/$DB/query '{}' $V25
check_eq "2025: database query route is invalid_request_url" 400 "$STATUS"

# ---- pages and pagination ----
api POST /v1/data_sources/$DS/query '{"page_size":5}'
check_eq "2025: row parent is the data source" "data_source_id $DS" "$(j 'd["results"][0]["parent"]["type"] + " " + d["results"][0]["parent"]["data_source_id"]')"
check_eq "2025: complete request_status" "complete True" "$(j 'd["request_status"]["type"] + " " + str(d["has_more"])')"
check_eq "timestamps are minute-rounded" True "$(j 'all(r["created_time"].endswith(":00.000Z") and r["last_edited_time"].endswith(":00.000Z") for r in d["results"])')"
CURSOR=$(j 'd["next_cursor"]')
check_eq "page objects are complete" "page False False True" "$(j 'd["results"][0]["object"] + " " + str(d["results"][0]["in_trash"]) + " " + str(d["results"][0]["archived"]) + " " + str(d["results"][0]["url"].startswith("https://www.notion.so/"))')"
check_eq "pagination 2025: every row once" "11 1050 1050 complete" "$(paginate $V25 /v1/data_sources/$DS/query '{}')"
check_eq "pagination 2022: every row once" "11 1050 1050 -" "$(paginate $V22 /v1/databases/$DB/query '{}')"
check_eq "pagination sorted desc by last_edited_time" "21 1050 1050 complete" "$(paginate $V25 /v1/data_sources/$DS/query '{"page_size":50,"sorts":[{"timestamp":"last_edited_time","direction":"descending"}]}')"
api POST /v1/data_sources/$DS/query '{"page_size":100,"sorts":[{"timestamp":"last_edited_time","direction":"ascending"}]}'
check_eq "ascending sort is ordered" True "$(j 'all(a["last_edited_time"] <= b["last_edited_time"] for a, b in zip(d["results"], d["results"][1:]))')"
check_eq "rows share minutes" True "$(j 'len(set(r["created_time"] for r in d["results"])) < len(d["results"])')"
api POST /v1/data_sources/$DS/query "{\"start_cursor\":\"${CURSOR}x\"}"
check_eq "bad cursor: validation_error" "400 validation_error" "$STATUS $(j 'd["code"]')"
check_eq "bad cursor message" "The start_cursor provided is invalid: ${CURSOR}x" "$(j 'd["message"]')"
api POST /v1/data_sources/$DS/query "{\"start_cursor\":\"$CURSOR\",\"page_size\":7}"
check_eq "cursor works with another page_size" "200 7" "$STATUS $(j 'len(d["results"])')"
api POST /v1/data_sources/$DS/query "{\"start_cursor\":\"$CURSOR\",\"sorts\":[{\"timestamp\":\"created_time\",\"direction\":\"descending\"}]}"
check_eq "cursor of another query is invalid" 400 "$STATUS"
api POST /v1/data_sources/$DS/query '{"page_size":101}'
check_eq "page_size 101 rejected" "400 validation_error" "$STATUS $(j 'd["code"]')"
api POST /v1/data_sources/$DS/query '{"filter_properties":["title"]}'
check_eq "filter_properties in the body rejected" "400 validation_error" "$STATUS $(j 'd["code"]')"
check "... with Notion's message" grep -q 'body.filter_properties should be not present' "$T/body"
api POST /v1/data_sources/$DS/query '{"page_size":5,"sort":[]}'
check_eq "unknown body key rejected, named" "400 body failed validation: body.sort should be not present, instead was \`[]\`." "$STATUS $(j 'd["message"]')"
api POST /v1/data_sources/$DS/query '{"filter":{}}'
check_eq "empty filter rejected" 400 "$STATUS"
api POST /v1/data_sources/$DS/query '{not json'
check_eq "invalid JSON: invalid_json" "400 invalid_json" "$STATUS $(j 'd["code"]')"
api POST "/v1/data_sources/$DS/query?filter_properties=title&filter_properties=%3AUPp" '{"page_size":2}'
check_eq "filter_properties query parameter" "Name,Notes" "$(j '",".join(sorted(d["results"][0]["properties"]))')"
api POST "/v1/data_sources/$DS/query?filter_properties=%253AUPp" '{"page_size":2}'
check_eq "double-encoded property id rejected" 400 "$STATUS"
api POST "/v1/data_sources/$DS/query?filter_properties=Name" '{"page_size":2}'
check_eq "property name instead of id rejected" 400 "$STATUS"

# ---- values ----
api POST /v1/data_sources/$DS/query '{"page_size":100}'
check_eq "all property types present" "checkbox created_time date email files formula last_edited_time multi_select number people relation rich_text select status title unique_id url" \
	"$(j '" ".join(sorted(set(p["type"] for p in d["results"][0]["properties"].values())))')"
ALL=$(python3 - "$FAKE_URL" "$DS" <<'EOF'
import json, sys, urllib.request
url, ds = sys.argv[1], sys.argv[2]
rows, cursor = [], None
while True:
    b = {"page_size": 100}
    if cursor: b["start_cursor"] = cursor
    req = urllib.request.Request(url + "/v1/data_sources/%s/query" % ds, data=json.dumps(b).encode(),
        method="POST", headers={"Authorization": "Bearer t", "Notion-Version": "2025-09-03",
                                "Content-Type": "application/json"})
    d = json.load(urllib.request.urlopen(req))
    rows += d["results"]
    if not d["has_more"]: break
    cursor = d["next_cursor"]
p = [r["properties"] for r in rows]
rel = [r for r in rows if r["properties"]["Related"]["has_more"]]
print(len(rel) > 0,
      all(len(x["Related"]["relation"]) == 25 for x in [r["properties"] for r in rel]),
      max(len(x["Owner"]["people"]) for x in p),
      any(len(x["Notes"]["rich_text"]) > 1 and len(x["Notes"]["rich_text"][0]["plain_text"]) > 1000 for x in p),
      max(sum(1 for i in x["Notes"]["rich_text"] if i["type"] == "mention") for x in p),
      any(any(ord(c) > 0x1F000 for c in x["Name"]["title"][0]["plain_text"]) for x in p),
      rel[0]["id"] if rel else "")
EOF
)
check_eq "relations over 25 truncated with has_more" "True True" "$(echo "$ALL" | cut -d' ' -f1,2)"
check_eq "people truncated to 25" 25 "$(echo "$ALL" | cut -d' ' -f3)"
check_eq "long rich text split across items" True "$(echo "$ALL" | cut -d' ' -f4)"
check_eq "mentions truncated to 25" 25 "$(echo "$ALL" | cut -d' ' -f5)"
check_eq "titles with emoji" True "$(echo "$ALL" | cut -d' ' -f6)"
REL_PAGE=$(echo "$ALL" | cut -d' ' -f7)
api GET "/v1/pages/$REL_PAGE/properties/vYdV?page_size=20"
check_eq "property endpoint pages relation items" "20 True relation" "$(j 'str(len(d["results"])) + " " + str(d["has_more"]) + " " + d["property_item"]["type"]')"
api GET "/v1/pages/$REL_PAGE/properties/vYdV?page_size=20&start_cursor=$(j 'd["next_cursor"]')"
check "property endpoint second page completes the relation" test "$(j 'len(d["results"]) > 5 and not d["has_more"]')" = True
api GET "/v1/pages/$REL_PAGE/properties/%3AUPp"
check_eq "property endpoint: encoded id decoded once" 200 "$STATUS"
api GET "/v1/pages/$REL_PAGE/properties/kjPO"
check_eq "property endpoint: simple value" "property_item number" "$(j 'd["object"] + " " + d["type"]')"
api GET "/v1/pages/$REL_PAGE/properties/nope"
check_eq "property endpoint: unknown property 404" 404 "$STATUS"
api GET "/v1/pages/$REL_PAGE"
U1=$(j 'json.dumps(d["properties"]["Attachments"])')
api GET "/v1/pages/$REL_PAGE"
U2=$(j 'json.dumps(d["properties"]["Attachments"])')
FILE_PAGE=$(python3 - "$FAKE_URL" "$DS" <<'EOF'
import json, sys, urllib.request
url, ds = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url + "/v1/data_sources/%s/query" % ds, data=b'{"page_size":100}',
    method="POST", headers={"Authorization": "Bearer t", "Notion-Version": "2025-09-03",
                            "Content-Type": "application/json"})
d = json.load(urllib.request.urlopen(req))
print([r["id"] for r in d["results"] if any(f["type"] == "file" for f in r["properties"]["Attachments"]["files"])][0])
EOF
)
api GET "/v1/pages/$FILE_PAGE"
F1=$(j '[f["file"] for f in d["properties"]["Attachments"]["files"] if f["type"] == "file"][0]')
api GET "/v1/pages/$FILE_PAGE"
F2=$(j '[f["file"] for f in d["properties"]["Attachments"]["files"] if f["type"] == "file"][0]')
check "file URLs are re-signed on every read" test "$F1" != "$F2"
check "file URLs carry an expiry_time" grep -q expiry_time <<<"$F1"

# ---- control: edit, filters to the millisecond ----
ctl GET "/_control/pages?data_source_id=$DS"
check_eq "control page list" 1050 "$(j 'len(d["pages"])')"
PAGE=$(j 'd["pages"][10]["id"]')
ctl POST /_control/clock '{"advance_ms": 3600000}'
NOW=$(j 'd["nowMs"]')
ctl PATCH /_control/pages/$PAGE '{"set":{"Name":"Renamed ✨","Estimate":3,"Due":null,"Tags":["a","b"],"Done":true}}'
check_eq "control edit: 200" 200 "$STATUS"
EDITED=$(j 'd["last_edited_time"]')
ctl POST /_control/clock '{"advance_ms": 0}'
NOW2=$(j 'd["nowMs"]')
# the edit happened between NOW and NOW2: its minute is one of theirs
minute_of() { python3 -c "import datetime;print(datetime.datetime.fromtimestamp($1//60000*60, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:00.000Z'))"; }
check "edit: last_edited_time is the fake clock's minute" \
	test "$EDITED" = "$(minute_of "$NOW")" -o "$EDITED" = "$(minute_of "$NOW2")"
api GET /v1/pages/$PAGE
check_eq "edit visible via the API" "Renamed ✨|3|None|a,b|True|6" "$(j '"|".join([d["properties"]["Name"]["title"][0]["plain_text"], str(d["properties"]["Estimate"]["number"]), str(d["properties"]["Due"]["date"]), ",".join(o["name"] for o in d["properties"]["Tags"]["multi_select"]), str(d["properties"]["Done"]["checkbox"]), str(d["properties"]["Score"]["formula"]["number"])])')"
api POST /v1/data_sources/$DS/query "{\"filter\":{\"timestamp\":\"last_edited_time\",\"last_edited_time\":{\"on_or_after\":\"$EDITED\"}}}"
check_eq "on_or_after the edit minute finds the row" "$PAGE" "$(j '",".join(r["id"] for r in d["results"])')"
EDITED_1MS=${EDITED%.000Z}.001Z
api POST /v1/data_sources/$DS/query "{\"filter\":{\"and\":[{\"timestamp\":\"last_edited_time\",\"last_edited_time\":{\"on_or_after\":\"$EDITED_1MS\"}}]}}"
check_eq "filter compares to the millisecond (+1 ms excludes)" 0 "$(j 'len(d["results"])')"
api POST /v1/data_sources/$DS/query "{\"filter\":{\"timestamp\":\"last_edited_time\",\"last_edited_time\":{\"after\":\"$EDITED\"}}}"
check_eq "strict after on the rounded minute misses the edit" 0 "$(j 'len(d["results"])')"
ctl PATCH /_control/pages/$PAGE '{"set":{"Estimate":"three"}}'
check_eq "control edit with a wrong type: 400" 400 "$STATUS"
ctl PATCH /_control/pages/$PAGE '{"set":{"Nope":1}}'
check "control edit of an unknown property names it" grep -q "Nope" <<<"$BODY"
ctl POST /_control/pages "{\"data_source_id\":\"$DS\",\"set\":{\"Name\":\"Brand new\"}}"
NEWPAGE=$(j 'd["id"]')
check_eq "control create" "200 Brand new" "$STATUS $(j 'd["properties"]["Name"]["title"][0]["plain_text"]')"

# ---- trash, restore, purge ----
ctl POST /_control/pages/$PAGE/trash
api POST /v1/data_sources/$DS/query '{"in_trash":true}'
check_eq "in_trash:true returns only trashed rows" "$PAGE" "$(j '",".join(r["id"] for r in d["results"])')"
check_eq "pagination skips trashed rows" "11 1050 1050 complete" "$(paginate $V25 /v1/data_sources/$DS/query '{}')"
api GET /v1/pages/$PAGE
check_eq "trashed page still readable, in_trash true" "200 True" "$STATUS $(j 'd["in_trash"]')"
ctl POST /_control/pages/$PAGE/restore
check_eq "restored rows come back" "11 1051 1051 complete" "$(paginate $V25 /v1/data_sources/$DS/query '{}')"
ctl POST /_control/pages/$NEWPAGE/purge
api GET /v1/pages/$NEWPAGE
check_eq "purged page: 404 object_not_found" "404 object_not_found" "$STATUS $(j 'd["code"]')"
check_eq "purged row gone from queries" "11 1050 1050 complete" "$(paginate $V25 /v1/data_sources/$DS/query '{}')"

# ---- results cap ----
ctl POST /_control/settings '{"cap": 250}'
check_eq "cap 250: query ends incomplete after 250 rows" "3 250 250 incomplete" "$(paginate $V25 /v1/data_sources/$DS/query '{}')"
check_eq "cap 250, page_size 100 ends on a partial page" "3 250 250 incomplete" "$(paginate $V25 /v1/data_sources/$DS/query '{"page_size":100}')"
check_eq "cap 250, page_size 50" "5 250 250 incomplete" "$(paginate $V25 /v1/data_sources/$DS/query '{"page_size":50}')"
check_eq "cap applies under 2022-06-28 too" "3 250 250 incomplete" "$(paginate $V22 /v1/databases/$DB/query '{}')"
ctl POST /_control/settings '{"cap": 10000}'

# ---- request log ----
ctl DELETE /_control/log
api POST "/v1/data_sources/$DS/query?filter_properties=title" '{"page_size":1}'
api GET /v1/pages/nope "" $V25
ctl GET /_control/log
check_eq "log records every API request" 2 "$(j 'len(d["requests"])')"
check_eq "log entry fields" "POST /v1/data_sources/$DS/query filter_properties=title 1 200" "$(j '" ".join([d["requests"][0]["method"], d["requests"][0]["path"], d["requests"][0]["query"], str(d["requests"][0]["body"]["page_size"]), str(d["requests"][0]["status"])])')"
check_eq "log records the error status" 400 "$(j 'd["requests"][1]["status"]')"
check "log time is in ms" test "$(j 'd["requests"][0]["timeMs"] > 1600000000000')" = True
check "the token never appears in the log" test -z "$(grep -o ntn_test_token <<<"$BODY")"

# ---- faults ----
ctl POST /_control/faults '{"kind":"status","status":500,"count":2}'
api GET /v1/databases/$DB
check_eq "status fault: Notion 500 body" "500 internal_server_error" "$STATUS $(j 'd["code"]')"
api GET /v1/databases/$DB
check_eq "status fault: count 2" 500 "$STATUS"
api GET /v1/databases/$DB
check_eq "status fault: then healthy" 200 "$STATUS"
ctl POST /_control/faults '{"kind":"html"}'
api GET /v1/databases/$DB
check_eq "html fault: 502" 502 "$STATUS"
check "html fault: HTML body, not JSON" grep -qi '<html>' "$T/body"
check "html fault: text/html" grep -qi '^content-type: text/html' "$T/headers"
ctl POST /_control/faults '{"kind":"status","status":429,"retry_after":"2"}'
api GET /v1/databases/$DB
check_eq "429 fault with Retry-After" "429 rate_limited 2" "$STATUS $(j 'd["code"]') $(tr -d '\r' <"$T/headers" | sed -n 's/^Retry-After: //Ip')"
ctl POST /_control/faults '{"kind":"status","status":503,"match":"/v1/data_sources","after":1}'
api GET /v1/databases/$DB
check_eq "match: other paths unaffected" 200 "$STATUS"
api GET /v1/data_sources/$DS
check_eq "after 1: first matching request passes" 200 "$STATUS"
api GET /v1/data_sources/$DS
check_eq "after 1: second matching request fails" "503 service_unavailable" "$STATUS $(j 'd["code"]')"
ctl POST /_control/faults '{"kind":"drop"}'
curl -s -o /dev/null -H "Authorization: Bearer t" -H "Notion-Version: $V25" "$FAKE_URL/v1/databases/$DB"
check_eq "drop fault: connection closed without a response (curl 52)" 52 "$?"
ctl POST /_control/faults '{"kind":"truncate"}'
curl -s -o "$T/trunc" -H "Authorization: Bearer t" -H "Notion-Version: $V25" "$FAKE_URL/v1/databases/$DB"
check_eq "truncate fault: body shorter than Content-Length (curl 18)" 18 "$?"
check "truncate fault: partial JSON" test "$(python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/trunc" 2>/dev/null && echo ok)" != ok
ctl POST /_control/faults '{"kind":"stall","stall_ms":3000}'
START=$(date +%s%N)
curl -s -o /dev/null --max-time 1 -H "Authorization: Bearer t" -H "Notion-Version: $V25" "$FAKE_URL/v1/databases/$DB" &
CURL_PID=$!
sleep 0.2
ctl GET /_control/log
check_eq "control answers while a request stalls" 200 "$STATUS"
wait $CURL_PID
check_eq "stall fault: client times out (curl 28)" 28 "$?"
check "stall: timed out after ~1 s" test $(( ($(date +%s%N) - START) / 1000000 )) -ge 900
ctl POST /_control/faults '{"kind":"status","status":500,"count":5}'
ctl DELETE /_control/faults
api GET /v1/databases/$DB
check_eq "DELETE /_control/faults clears them" 200 "$STATUS"
ctl GET /_control/log
check_eq "log: dropped request has status 0" 0 "$(j '[r["status"] for r in d["requests"]][-4]')"

# ---- rate limiting ----
ctl POST /_control/settings '{"rate": 2, "burst": 2}'
# one curl process, one connection: the four requests arrive within milliseconds
U="$FAKE_URL/v1/databases/$DB"
CODES=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer t" -H "Notion-Version: $V25" -D "$T/headers" \
	-o /dev/null -o /dev/null -o /dev/null -o "$T/body" "$U" "$U" "$U" "$U")
check_eq "rate 2/s, burst 2: the third quick request is limited" " 200 200 429 429" "$CODES"
check_eq "429 body" "rate_limited public_api_request_rate_limit" "$(j 'd["code"] + " " + d["additional_data"]["rate_limit_reason"]')"
check "429 has Retry-After in whole seconds" grep -Eqi '^retry-after: [1-9][0-9]*' "$T/headers"
sleep 1.1
api GET /v1/databases/$DB
check_eq "tokens refill" 200 "$STATUS"
ctl POST /_control/settings '{"rate": 0}'

stop_fake() {
	kill -TERM "$FAKE_PID" && wait "$FAKE_PID"
	check_eq "fake-notion exits cleanly on SIGTERM" 0 "$?"
	FAKE_PID=""
	check "no sanitizer reports from fake-notion" test -z "$(grep -E 'Sanitizer|runtime error' "$T/fake.log")"
}
stop_fake

# ---- multi-source fixture, --token, --cap, --rate ----
fake_start --fixture "$NV_SRC_DIR/tests/fake_notion/fixtures/multi.json" --token sekrit --cap 20 --rate 1000
MDB=3c4d5e6f-7081-49a0-b1c2-d3e4f5a6b7c8
FEATURES=4d5e6f70-8192-4ab1-82d3-e4f5a6b7c8d9
BUGS=5e6f7081-92a3-4bc2-93e4-f5a6b7c8d9ea
WIKI=92a3b4c5-d6e7-4f06-97c8-d9eafb0c1d2e
api GET /v1/databases/$MDB
check_eq "--token: other tokens are unauthorized" 401 "$STATUS"
api GET /v1/databases/$MDB "" $V25 sekrit
check_eq "2025: two data sources" "Features,Bugs" "$(j '",".join(s["name"] for s in d["data_sources"])')"
api GET /v1/databases/$MDB "" $V22 sekrit
check_eq "2022: multi-source database read fails" "400 validation_error" "$STATUS $(j 'd["code"]')"
check_eq "... with Notion's message" "Databases with multiple data sources are not supported in this API version." "$(j 'd["message"]')"
api POST /v1/databases/$MDB/query '{}' $V22 sekrit
check_eq "2022: multi-source database query fails" "400 Databases with multiple data sources are not supported in this API version." "$STATUS $(j 'd["message"]')"
api POST /v1/databases/$WIKI/query '{}' $V22 sekrit
check_eq "2022: single-source fixture database" "200 On-call handbook,Onboarding" "$STATUS $(j '",".join(sorted(r["properties"]["Name"]["title"][0]["plain_text"] for r in d["results"]))')"
api GET /v1/data_sources/$BUGS "" $V25 sekrit
check_eq "fixture schema" "Details Edited Found Key Labels Points Regression Severity State Summary" "$(j '" ".join(sorted(d["properties"]))')"
api POST /v1/data_sources/$BUGS/query '{}' $V25 sekrit
check_eq "fixture rows (trashed one excluded)" "2 BUG-1 S1 5 True" "$(j 'str(len(d["results"])) + " " + d["results"][0]["properties"]["Key"]["unique_id"]["prefix"] + "-" + str(d["results"][0]["properties"]["Key"]["unique_id"]["number"]) + " " + d["results"][0]["properties"]["Severity"]["select"]["name"] + " " + str(d["results"][0]["properties"]["Points"]["number"]) + " " + str(d["results"][0]["properties"]["Regression"]["checkbox"])')"
check_eq "fixture timestamps are minute-rounded" "2026-01-05T09:15:00.000Z 2026-01-05T09:15:00.000Z" "$(j 'd["results"][1]["created_time"] + " " + d["results"][1]["last_edited_time"]')"
api POST /v1/data_sources/$BUGS/query '{"in_trash":true}' $V25 sekrit
check_eq "fixture trashed row" "Duplicate of the export bug" "$(j 'd["results"][0]["properties"]["Summary"]["title"][0]["plain_text"]')"
CAPPED=""
CURSOR_ARG=""
for _ in 1 2 3; do
	api POST /v1/data_sources/$FEATURES/query "{\"page_size\":15$CURSOR_ARG}" $V25 sekrit
	CAPPED="$CAPPED $(j 'str(len(d["results"])) + "/" + d["request_status"]["type"]')"
	[ "$(j 'd["has_more"]')" = True ] || break
	CURSOR_ARG=",\"start_cursor\":\"$(j 'd["next_cursor"]')\""
done
check_eq "--cap 20 on a generated source" " 15/complete 5/incomplete" "$CAPPED"
stop_fake

# ---- bad options and fixtures ----
"$FAKE_NOTION" --rows many >/dev/null 2>"$T/err"
check_eq "bad --rows: exit 2" 2 "$?"
check "bad --rows: says which option" grep -q -- "--rows" "$T/err"
echo '{"databases":[{"id":"nope","data_sources":[]}]}' >"$T/bad.json"
"$FAKE_NOTION" --fixture "$T/bad.json" --port 0 >/dev/null 2>"$T/err"
check "bad fixture: fails with the JSON path" grep -q 'databases\[0\].id' "$T/err"

finish
