#!/usr/bin/env bash
# test_readme.sh: the README cannot drift from the program. Every `nvault`
# command in the README's shell blocks is run, in order, against the fake
# Notion server, with the README's own example config; each must succeed.
# (The example ids are those of the fake's generated data set, seed 7.)
source "$(dirname "$0")/lib.sh"
readme="$NV_SRC_DIR/README.md"

# the JSON block is the config
python3 - "$readme" "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"```json\n(.*?)```", text, re.S)
assert len(blocks) == 1, "expected exactly one json block (the example config)"
config = "\n".join(line[3:] if line.startswith("   ") else line for line in blocks[0].splitlines())
open(sys.argv[2], "w").write(config)
PY
check_eq "README has one config block" 0 "$?"
# the README's $schema is relative to the repository root
cp "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" "$T/config.json"

mapfile -t commands < <(python3 - "$readme" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for block in re.findall(r"```sh\n(.*?)```", text, re.S):
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("nvault "):
            print(line)
PY
)
check "README has nvault commands" test "${#commands[@]}" -ge 10

fake_start --rows 20 --seed 7
cd "$T"
for cmd in "${commands[@]}"; do
  if [ "$cmd" = "nvault init" ]; then
    # init prompts on a terminal; here it picks --all and writes the per-user
    # config of a scratch XDG_CONFIG_HOME (the next commands keep the README's)
    out=$(env -u AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH XDG_CONFIG_HOME="$T/init-home" \
      PATH="$(dirname "$NVAULT"):$PATH" bash -c "$cmd --all" 2>&1); rc=$?
    check_eq "README: $cmd (--all)" 0 "$rc"
    check "README: init wrote the per-user config" test -s "$T/init-home/nvault/notion-sync.config.json"
    continue
  fi
  out=$(PATH="$(dirname "$NVAULT"):$PATH" bash -c "$cmd" 2>&1); rc=$?
  check_eq "README: $cmd" 0 "$rc"
  [ "$rc" -eq 0 ] || echo "$out" | tail -n 5 >&2
done
check "README export wrote tasks" test -s "$T/tasks.jsonl"
finish
