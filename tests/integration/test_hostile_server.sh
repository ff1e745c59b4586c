# test_hostile_server.sh: issue 15 "Done when": a hostile server (its own
# small proxy in front of the fake, tests/integration/hostile_notion.py)
# serves each malformed-reply class for a whole run. For every class:
# 0 false deletes, 0 crashes, the data source never stuck (an edit made
# while the poison is served is still synced, and once the poison goes the
# poisoned row reads), and a row that cannot be read is named in evidence.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 150 --seed 21
default_config
check_eq "first sync (clean)" 0 "$(sync_rc)"
mapfile -t IDS < <(page_ids)

UPSTREAM=$FAKE_URL
python3 "$(dirname "$0")/hostile_notion.py" "$UPSTREAM" "$T/mode" "$T/hostile.port" 2>"$T/hostile.log" &
HOSTILE=$!
trap 'kill $HOSTILE 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$T/hostile.port" ] && break; sleep 0.05; done
[ -s "$T/hostile.port" ] || { echo "the hostile server did not start:" >&2; cat "$T/hostile.log" >&2; exit 1; }
export NOTION_API_BASE_URL="http://127.0.0.1:$(cat "$T/hostile.port")"

active() { sq 'select count(*) from tasks where active = 1'; }
title_of() { sq "select title from tasks where notion_page_id = '$1'"; }

# repaired classes: the run succeeds, the row is stored with U+FFFD (or its value as text)
i=2
for m in nul surrogate badutf8 bignum bigint; do
  P=${IDS[$i]}; E=${IDS[$((i + 1))]}
  echo "$m $P" >"$T/mode"
  ctl PATCH "/_control/pages/$P" "{\"set\": {\"Name\": \"Poisoned by $m\"}}" >/dev/null
  ctl PATCH "/_control/pages/$E" "{\"set\": {\"Name\": \"Edited while $m is served\"}}" >/dev/null
  rc=$(sync_rc)
  check "[$m] no crash (exit $rc)" test "$rc" -lt 128
  check_eq "[$m] the run succeeds" 0 "$rc"
  check_eq "[$m] no false delete" 150 "$(active)"
  check_eq "[$m] not stuck: a concurrent edit is synced" "Edited while $m is served" "$(title_of "$E")"
  case $m in
    nul) want=$'poisoned \xef\xbf\xbd title' ;;
    surrogate) want=$'cut emoji \xef\xbf\xbd' ;;
    badutf8) want=$'bad \xef\xbf\xbd byte' ;;
    *) want="Poisoned by $m" ;;
  esac
  check_eq "[$m] the poisoned row is stored, repaired" "$want" "$(title_of "$P")"
  check "[$m] the repair is recorded in evidence" \
    test "$(last_evidence 'sum(m.get("repaired", {}).values()) >= 1')" = True
  i=$((i + 2))
done

# an unreadable row (nesting deeper than any parser reads): quarantined
P=${IDS[20]}; E=${IDS[21]}
echo "deep $P" >"$T/mode"
ctl PATCH "/_control/pages/$P" '{"set": {"Name": "Quarantined row"}}' >/dev/null
ctl PATCH "/_control/pages/$E" '{"set": {"Name": "Edited beside the quarantined row"}}' >/dev/null
for run in 1 2; do
  rc=$(sync_rc)
  check "[deep run $run] no crash (exit $rc)" test "$rc" -lt 128
  check_eq "[deep run $run] the run is partial (exit 1)" 1 "$rc"
  check_eq "[deep run $run] no false delete" 150 "$(active)"
  check "[deep run $run] the row is named in evidence as quarantined" \
    test "$(last_evidence 'any(q["pageId"] == "'"$P"'" for s in m["dataSources"] for q in s.get("quarantined", []))')" = True
  check_eq "[deep run $run] the rest of the page is written" "Edited beside the quarantined row" "$(title_of "$E")"
done
echo "none" >"$T/mode"
check_eq "[deep] without the poison the run succeeds" 0 "$(sync_rc)"
check_eq "[deep] the quarantined row is read at last" "Quarantined row" "$(title_of "$P")"

# listing classes: the scan is incomplete, nothing is deleted, the run fails and says why
ctl POST "/_control/pages/${IDS[30]}/purge" >/dev/null
for m in nohasmore strhasmore cursorlie noresults; do
  echo "$m" >"$T/mode"
  rc=$(sync_rc)
  check "[$m] no crash (exit $rc)" test "$rc" -lt 128
  check_eq "[$m] the run fails" 1 "$rc"
  check_eq "[$m] no delete at all" 150 "$(active)"
done
echo "none" >"$T/mode"
check_eq "a clean run afterwards" 0 "$(sync_rc)"
check_eq "and only the purged row is deleted" "149 0" \
  "$(active) $(sq "select active from tasks where notion_page_id = '${IDS[30]}'")"
finish
