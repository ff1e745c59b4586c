# test_store_safety.sh: issue 15 #1, #7, #12. One store reached through two
# paths (a symlink, a ".." detour) still allows one sync at a time, and a
# symlink planted at the lock path is refused, never followed; the store's
# directory is created 0700 and the store with its -wal/-shm 0600 whatever
# the umask; the read commands work on a store the reader cannot write.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 120 --seed 3
default_config
mkdir -p "$T/real" "$T/other"
export NVAULT_DB="$T/real/vault.db"
check_eq "first sync through the real path" 0 "$(sync_rc)"
ln -s ../real/vault.db "$T/other/link.db"

# ---- #1: a sync through the symlink holds the store; the other paths get exit 3 -----
ctl POST /_control/faults "{\"count\": 1, \"kind\": \"stall\", \"stall_ms\": 20000, \"match\": \"/v1/data_sources/$DS_ID/query\"}" >/dev/null
ctl DELETE /_control/log >/dev/null
"$NVAULT" --db "$T/other/link.db" sync >"$T/bg.out" 2>"$T/bg.err" &
BG=$!
for _ in $(seq 1 200); do
  ctl GET /_control/log | grep -q "/v1/data_sources/$DS_ID/query" && break
  sleep 0.05
done
V=$(versions)
nv --db "$T/real/vault.db" sync >"$T/s2.out" 2>"$T/s2.err"
check_eq "a sync through the real path while one runs through the symlink: exit 3" 3 $?
check "it says a sync is running" grep -qi "already running" "$T/s2.err"
nv --db "$T/other/../real/./vault.db" sync >/dev/null 2>&1
check_eq "a sync through a '..' detour: exit 3" 3 $?
kill -TERM $BG; wait $BG
ctl DELETE /_control/faults >/dev/null
check_eq "no task deleted by either" 120 "$(sq 'select count(*) from tasks where active = 1')"
check_eq "no deletion version" 0 "$(sq "select count(*) from task_versions where active = 0")"
check_eq "a sync through the symlink afterwards succeeds" 0 "$(sync_rc --db "$T/other/link.db")"
check_eq "still 120 active tasks" 120 "$(sq 'select count(*) from tasks where active = 1')"

# ---- #12: a symlink planted at the lock path is refused, not followed ---------------------
rm -f "$T/real/vault.db.lock"
ln -s "$T/planted-target" "$T/real/vault.db.lock"
check_eq "sync with a symlink at the lock path fails" 1 "$(sync_rc)"
check "the error names the lock file" grep -q "vault.db.lock" "$T/sync.err"
check "the symlink's target was not created" test ! -e "$T/planted-target"
rm -f "$T/real/vault.db.lock"

# ---- #12: permissions whatever the umask ------------------------------------------------
for um in 022 000; do
  D="$T/perm-$um/sub"
  (umask $um; NVAULT_DB="$D/vault.db" "$NVAULT" task add --title "perm test" >/dev/null 2>"$T/perm.err")
  check_eq "umask $um: task add works" 0 $?
  check_eq "umask $um: store directory 0700" 700 "$(stat -c %a "$D")"
  check_eq "umask $um: store file 0600" 600 "$(stat -c %a "$D/vault.db")"
  # SQLite creates -wal/-shm with the store file's mode: open it as a reader would
  (umask $um; python3 - "$D/vault.db" <<'PY'
import os, sqlite3, stat, sys
c = sqlite3.connect(sys.argv[1]); c.execute("select count(*) from tasks").fetchall()
c.execute("insert into scheduler_state (id) values (1) on conflict do nothing"); c.commit()
for suffix in ("-wal", "-shm"):
    print(suffix, oct(stat.S_IMODE(os.stat(sys.argv[1] + suffix).st_mode)))
c.close()
PY
  ) >"$T/perm.out"
  check_eq "umask $um: -wal 0600" "-wal 0o600" "$(grep -- -wal "$T/perm.out")"
  check_eq "umask $um: -shm 0600" "-shm 0o600" "$(grep -- -shm "$T/perm.out")"
done

# ---- #7: read commands on a store the reader cannot write -----------------------------
# As root, permissions do not bind: the reader is then the user nobody.
RO="$T/ro"
mkdir -p "$RO/store"
cp "$T/real/vault.db" "$RO/store/vault.db"
rm -f "$RO/store/vault.db-wal" "$RO/store/vault.db-shm"
chmod 755 "$T" "$RO"
chmod 644 "$RO/store/vault.db"
if [ "$(id -u)" -eq 0 ]; then
  reader() { setpriv --reuid=65534 --regid=65534 --clear-groups "$NVAULT" --db "$RO/store/vault.db" "$@"; }
else
  chmod 555 "$RO/store"; chmod 444 "$RO/store/vault.db"
  reader() { "$NVAULT" --db "$RO/store/vault.db" "$@"; }
fi
rc=0; reader --json task list --limit 500 >"$T/ro.out" 2>"$T/ro.err" || rc=$?
check_eq "read-only store: task list exits 0 ($(head -c 200 "$T/ro.err"))" 0 "$rc"
check_eq "read-only store: task list sees the 120 tasks" 120 \
  "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tasks"]))' "$T/ro.out")"
for cmd in verify status "export --format jsonl" evidence "task history $(sq 'select id from tasks limit 1')"; do
  # shellcheck disable=SC2086
  rc=0; reader $cmd >"$T/ro.out" 2>"$T/ro.err" || rc=$?
  check_eq "read-only store: $cmd exits 0 ($(head -c 200 "$T/ro.err"))" 0 "$rc"
done
check_eq "read-only store: export wrote every task" 120 "$(reader export --format jsonl | wc -l)"
check "the reader left no -wal/-shm behind" test ! -e "$RO/store/vault.db-shm"
writer_rc=0
reader task add --title "must fail" >/dev/null 2>"$T/ro.err" || writer_rc=$?
check "a write command on it fails" test "$writer_rc" -ne 0
check "it says why" grep -qiE "permission|read-only|readonly" "$T/ro.err"
chmod -R u+w "$RO"
finish
