# test_store_alias.sh: issue 15 #1, the aliases test_store_safety does not
# cover: one store reached through a bind mount of its directory, a bind
# mount of the file itself and a hard link. While a sync holds the store
# through its real path, a sync through each alias exits 3 and deletes
# nothing. The mounts are made in a private mount namespace (unshare -m,
# needs root, as CI and this machine run), so nothing is left mounted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

command -v unshare >/dev/null || { echo "unshare (util-linux) is needed" >&2; exit 1; }
unshare -m true 2>/dev/null || { echo "this test needs root for a private mount namespace (unshare -m)" >&2; exit 1; }

fake_start --rows 120 --seed 5
default_config
mkdir -p "$T/real" "$T/dirbind" "$T/filebind" "$T/hard"
export NVAULT_DB="$T/real/vault.db"
check_eq "first sync through the real path" 0 "$(sync_rc)"
ln "$T/real/vault.db" "$T/hard/vault.db"
: >"$T/filebind/alias.db"

ctl POST /_control/faults "{\"count\": 1, \"kind\": \"stall\", \"stall_ms\": 30000, \"match\": \"/v1/data_sources/$DS_ID/query\"}" >/dev/null
ctl DELETE /_control/log >/dev/null
# one shell in a private mount namespace: both bind mounts, the stalled
# sync through the real path, then a sync through each alias
unshare -m --propagation private bash -s "$NVAULT" "$T" "$FAKE_URL" "$DS_ID" >"$T/ns.out" 2>"$T/ns.err" <<'SH'
nvault=$1 T=$2 url=$3 ds=$4
mount --bind "$T/real" "$T/dirbind" || { echo "mount --bind of the directory failed"; exit 1; }
mount --bind "$T/real/vault.db" "$T/filebind/alias.db" || { echo "mount --bind of the file failed"; exit 1; }
"$nvault" --db "$T/real/vault.db" sync >"$T/bg.out" 2>"$T/bg.err" &
bg=$!
for _ in $(seq 1 400); do
  curl -sS "$url/_control/log" | grep -q "/v1/data_sources/$ds/query" && break
  sleep 0.05
done
for alias in dirbind/vault.db filebind/alias.db hard/vault.db; do
  "$nvault" --db "$T/$alias" sync >"$T/alias.out" 2>"$T/alias.err"
  echo "$alias $? $(grep -c 'already running' "$T/alias.err")"
done
kill -TERM $bg; wait $bg
SH
cat "$T/ns.err" >&2
for alias in dirbind/vault.db filebind/alias.db hard/vault.db; do
  check_eq "a sync through $alias while one runs through the real path: exit 3, 'already running'" \
    "$alias 3 1" "$(grep "^$alias " "$T/ns.out")"
done
ctl DELETE /_control/faults >/dev/null
check_eq "no task deleted by any" 120 "$(sq 'select count(*) from tasks where active = 1')"
check_eq "no deletion version" 0 "$(sq "select count(*) from task_versions where active = 0")"
check_eq "nothing left mounted" "" "$(grep -F "$T" /proc/mounts)"
check_eq "a sync through the real path afterwards succeeds" 0 "$(sync_rc)"
check_eq "the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
finish
