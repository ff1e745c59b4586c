# test_sync_conflicts.sh: a local edit and a Notion edit of the same task →
# Notion wins, the version carries the conflict flag and a conflicts row
# names both versions; a local edit alone survives the next syncs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 40 --seed 5
default_config
check_eq "first sync" 0 "$(sync_rc)"
mapfile -t IDS < <(page_ids)
BOTH=${IDS[3]}
LOCAL=${IDS[4]}

nv task update "$BOTH" --title "Local title" >/dev/null
nv task update "$LOCAL" --title "Only a local edit" >/dev/null
check_eq "local edits are versions by cli" "2 cli 2 cli" \
  "$(sq "select t.version || ' ' || v.created_by from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id in ('$BOTH', '$LOCAL') order by t.notion_page_id = '$LOCAL'" | tr '\n' ' ' | sed 's/ $//')"

# ---- a local edit alone survives ---------------------------------------------------
check_eq "sync with local edits only" 0 "$(sync_rc --full)"
check_eq "the local edit stays" "Only a local edit|2" "$(sq "select title, version from tasks where notion_page_id = '$LOCAL'")"
check_eq "and the other one too" "Local title|2" "$(sq "select title, version from tasks where notion_page_id = '$BOTH'")"
check_eq "no conflict recorded" "0 0" "$(sq 'select count(*) from conflicts') $(last_evidence 'm["conflictCount"]')"

# ---- both sides changed: Notion wins ---------------------------------------------
ctl PATCH "/_control/pages/$BOTH" '{"set": {"Name": "Notion title"}}' >/dev/null
check_eq "sync with a conflict exits 0" 0 "$(sync_rc)"
check_eq "Notion's value wins, flagged" "Notion title|3|1|updated in Notion|notion-sync" \
  "$(sq "select t.title, t.version, v.conflict, v.change_reason, v.created_by from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$BOTH'")"
check_eq "one conflicts row linking the local and the Notion version" "1|2|3" \
  "$(sq "select count(*), (select version from task_versions where id = c.local_version_id), (select version from task_versions where id = c.notion_version_id) from conflicts c join tasks t on t.id = c.task_id where t.notion_page_id = '$BOTH'")"
check_eq "evidence conflictCount 1" 1 "$(last_evidence 'm["conflictCount"]')"
check "the local edit is still in history" test "$(sq "select count(*) from task_versions v join tasks t on t.id = v.task_id where t.notion_page_id = '$BOTH' and v.title = 'Local title'")" = 1
check_eq "the local-only edit still stands" "Only a local edit|2" "$(sq "select title, version from tasks where notion_page_id = '$LOCAL'")"

# ---- no repeat: the next sync changes nothing ------------------------------------------
V=$(versions)
check_eq "re-sync" 0 "$(sync_rc --full)"
check_eq "no new version, no new conflict" "$V 1" "$(versions) $(sq 'select count(*) from conflicts')"

# ---- a Notion edit after a local edit of another field also wins ------------------------
ctl PATCH "/_control/pages/$LOCAL" '{"set": {"Done": true}}' >/dev/null
check_eq "sync" 0 "$(sync_rc)"
check_eq "Notion's row replaces the local edit, flagged" "1|1" \
  "$(sq "select v.conflict, t.title != 'Only a local edit' from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$LOCAL'")"

finish
