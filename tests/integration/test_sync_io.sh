# test_sync_io.sh: no network I/O inside a write transaction (SPEC §4.14).
# The fake stalls the first page-property request of a sync (a relation
# truncated at 25 items being completed); while the sync waits on it, a
# local `nvault task add` commits at once. The order of events is checked
# through the fake's request log (a request still unanswered has status 0),
# not through durations: the stall only ends when the test releases it,
# after the task add has returned. (With the request inside a transaction,
# the add would wait for the stall to end, and the check would see it
# answered.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 400 --seed 13
default_config

# stalled_requests: how many /v1/pages/ requests are unanswered right now
stalled_requests() {
  ctl GET /_control/log | python3 -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin)["requests"] if r["path"].startswith("/v1/pages/") and r["status"] == 0))'
}

ctl POST /_control/faults '{"count": 1, "kind": "stall", "stall_ms": 60000, "match": "/v1/pages/"}' >/dev/null
nv sync >"$T/bg.out" 2>"$T/bg.err" &
BG=$!
for _ in $(seq 1 400); do
  [ "$(stalled_requests)" = 1 ] && break
  sleep 0.05
done
check_eq "the sync waits on a stalled page-property request" 1 "$(stalled_requests)"

out=$(nv task add --title "Added while Notion stalls" 2>&1); code=$?
check_eq "a local task add during the stall exits 0" 0 "$code"
check_eq "it is committed" 1 "$(sq "select count(*) from tasks where title = 'Added while Notion stalls' and source = 'local'")"
check_eq "before the stalled request was answered" 1 "$(stalled_requests)"
check "and while the sync still runs" kill -0 "$BG"

ctl DELETE /_control/faults >/dev/null # ends the stall
wait "$BG"
check_eq "the sync then finishes" 0 "$?"
check_eq "every row and the local task are stored" "400 1" \
  "$(sq "select count(*) from tasks where source = 'notion'") $(sq "select count(*) from tasks where source = 'local'")"
check_eq "relations were completed (no truncated marker)" 0 \
  "$(sq "select count(*) from tasks where metadata like '%\"truncated\":true%'")"
finish
