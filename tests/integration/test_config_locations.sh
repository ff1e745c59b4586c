#!/usr/bin/env bash
# test_config_locations.sh: where nvault finds its config (SPEC §1): --config,
# else AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH, else
# $XDG_CONFIG_HOME/nvault/notion-sync.config.json (~/.config/nvault/...),
# else ./notion-sync.config.json; `nvault config path` says which and why;
# errors name the file; read commands never create a missing store.
source "$(dirname "$0")/lib.sh"
unset AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH
example="$NV_SRC_DIR/examples/notion-sync.config.json"
mkdir -p "$T/xdg-config/nvault" "$T/elsewhere" "$T/cwd" "$T/home"
cp "$example" "$T/xdg-config/nvault/notion-sync.config.json"
cp "$example" "$T/cwd/notion-sync.config.json"
cp "$example" "$T/flag.json"
cp "$example" "$T/env.json"
user="$T/xdg-config/nvault/notion-sync.config.json"

# --- XDG from another directory
out=$(cd "$T/elsewhere" && nv config path)
check_eq "config path: the XDG file from another directory" "$user" "$(head -1 <<<"$out")"
check "config path says why (XDG_CONFIG_HOME)" grep -q 'XDG_CONFIG_HOME' <<<"$out"
out=$(cd "$T/elsewhere" && nv --json config check)
check_eq "config check from another directory uses the XDG file" "$user" \
  "$(jget "$out" 'd["config"]["path"]')"
(cd "$T/elsewhere" && nv databases >/dev/null 2>"$T/err"); rc=$?
check_eq "databases from another directory reads the XDG config" 0 "$rc"

# --- the per-user file wins over the current directory
out=$(cd "$T/cwd" && nv config path | head -1)
check_eq "XDG file before ./notion-sync.config.json" "$user" "$out"

# --- HOME/.config when XDG_CONFIG_HOME is unset
mkdir -p "$T/home/.config/nvault"
cp "$example" "$T/home/.config/nvault/notion-sync.config.json"
out=$(cd "$T/elsewhere" && env -u XDG_CONFIG_HOME HOME="$T/home" "$NVAULT" config path | head -1)
check_eq "~/.config/nvault when XDG_CONFIG_HOME is unset" \
  "$T/home/.config/nvault/notion-sync.config.json" "$out"

# --- the current directory when there is no per-user file
rm "$user"
out=$(cd "$T/cwd" && nv config path)
check_eq "./notion-sync.config.json when no per-user file" "./notion-sync.config.json" "$(head -1 <<<"$out")"
check "config path says: the current directory" grep -q 'current directory' <<<"$out"

# --- environment and flag win
out=$(cd "$T/cwd" && AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH="$T/env.json" nv config path)
check_eq "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH before files" "$T/env.json" "$(head -1 <<<"$out")"
check "config path names the variable" grep -q 'AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH' <<<"$out"
out=$(cd "$T/cwd" && AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH="$T/env.json" nv --config "$T/flag.json" config path)
check_eq "--config before everything" "$T/flag.json" "$(head -1 <<<"$out")"
check "config path names --config" grep -q -- '--config' <<<"$out"

# --- nothing found: the per-user path, named in the error
out=$(cd "$T/elsewhere" && nv --json config path)
check_eq "nothing found: the per-user path" "$user" "$(jget "$out" 'd["path"]')"
check_eq "nothing found: exists false" "False" "$(jget "$out" 'd["exists"]')"
(cd "$T/elsewhere" && nv databases >/dev/null 2>"$T/err"); rc=$?
check_eq "no config: exit 2" 2 "$rc"
check "no config: the error names the file and nvault init" \
  grep -qF "$user: no config file there (write one with \`nvault init\`" "$T/err"

# --- every config error names the file
printf '{"databases": [ {"notionDatabaseId": "xyz"} ]}' >"$T/bad.json"
nv --config "$T/bad.json" sync >/dev/null 2>"$T/err"; rc=$?
check_eq "invalid config: exit 2" 2 "$rc"
check "invalid config: the error names the file" grep -qF "$T/bad.json" "$T/err"
printf '{"databases": [' >"$T/syntax.json"
nv --config "$T/syntax.json" config check >/dev/null 2>"$T/err"
check "syntax error names the file" grep -qF "$T/syntax.json:" "$T/err"

# --- read commands never create a store
for cmd in "task list" "task get 1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6" "as-of 2026-01-01T00:00:00Z" \
  "diff --since 2026-01-01T00:00:00Z" "evidence" "verify" "export --format jsonl"; do
  # shellcheck disable=SC2086
  nv --db "$T/none/vault.db" $cmd >/dev/null 2>"$T/err"; rc=$?
  check "'$cmd' on a missing store fails" test "$rc" -ne 0
  check "'$cmd' says there is no store" grep -qF "no store at $T/none/vault.db" "$T/err"
done
nv --db "$T/none/vault.db" --config "$T/flag.json" status >/dev/null 2>&1
nv --db "$T/none/vault.db" --config "$T/flag.json" databases >/dev/null 2>&1
check "no read command created the store or its directory" test ! -e "$T/none"
finish
