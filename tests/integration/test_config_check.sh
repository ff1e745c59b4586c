#!/usr/bin/env bash
# test_config_check.sh: `nvault config check` on the real binary, and the
# config validator kept in step with docs/notion-sync.schema.json: every
# examples/*.json is valid for both nvault and the JSON Schema (python3 +
# python3-jsonschema), every tests/data/config-invalid/*.json is rejected by
# both, with nvault naming the file and the JSON path. Also: exit codes,
# --json, the API key reported as set / not set and never printed.
source "$(dirname "$0")/lib.sh"

SCHEMA="$NV_SRC_DIR/docs/notion-sync.schema.json"
INVALID="$NV_SRC_DIR/tests/data/config-invalid"
VALIDATE="$NV_SRC_DIR/tests/integration/validate_schema.py"
# Debian's python3 gets jsonschema from the python3-jsonschema package (make
# deps installs it); a python3 earlier on PATH (pyenv, venv) may lack it.
PY=python3
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c "import jsonschema" 2>/dev/null; then PY=$candidate; break; fi
done

# --- the schema checker itself must work (a broken checker would pass everything)
"$PY" "$VALIDATE" "$SCHEMA" /dev/null >/dev/null 2>"$T/py.err"
rc=$?
[ $rc -eq 4 ] && { cat "$T/py.err" >&2; }
check "python3-jsonschema is available and the schema is valid draft 2020-12" \
  test $rc -eq 0

# --- examples: valid for both
examples=("$NV_SRC_DIR"/examples/*.json)
check "there are example configs" test ${#examples[@]} -ge 2
for f in "${examples[@]}"; do
  name=$(basename "$f")
  nv --config "$f" config check >"$T/out" 2>"$T/err"
  check_eq "nvault accepts examples/$name" 0 $?
  check "examples/$name: output says valid" grep -q "(valid" "$T/out"
  check_eq "schema accepts examples/$name" "valid $f" "$("$PY" "$VALIDATE" "$SCHEMA" "$f")"
done

# --- invalid configs: rejected by both, nvault names the path
while IFS=$'\t' read -r file expect; do
  case "$file" in ''|'#'*) continue ;; esac
  f="$INVALID/$file"
  nv --config "$f" config check >"$T/out" 2>"$T/err"
  check_eq "nvault rejects $file with exit 2" 2 $?
  check "nvault's message for $file names the file and path" \
    grep -qF -- "$f$expect" "$T/err"
  case "$file" in
    validator-only/*) ;;
    *) check "schema rejects $file" \
         grep -q "^invalid " <("$PY" "$VALIDATE" "$SCHEMA" "$f") ;;
  esac
done <"$INVALID/EXPECTED"
# every fixture is listed (an unlisted one would silently go untested)
for f in "$INVALID"/*.json "$INVALID"/validator-only/*.json; do
  rel=${f#"$INVALID"/}
  check "$rel is listed in EXPECTED" grep -q "^$rel	" "$INVALID/EXPECTED"
done

# --- several problems at once, one per line
cat >"$T/multi.json" <<'JSON'
{"notionVersion": "latest", "databases": [
  {"notionDatabaseId": "abc", "syncEnabled": 1, "fieldMappings": {"Due": "due"}},
  {"notionDatabaseId": "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6", "nmae": "x"}]}
JSON
nv --config "$T/multi.json" config check >"$T/out" 2>"$T/err"
check_eq "invalid config exits 2" 2 $?
check_eq "all five problems listed" 5 "$(grep -c "^  $T/multi.json: " "$T/err")"
check "did-you-mean hint" grep -qF 'databases[1].nmae: unknown key "nmae" in a database entry (did you mean "name"?)' "$T/err"
nv --json --config "$T/multi.json" config check >"$T/out" 2>/dev/null
check_eq "--json: valid false, five errors" "False 5" \
  "$(jget "$(cat "$T/out")" 'str(d["valid"]) + " " + str(len(d["errors"]))')"

# --- syntax errors carry line:column
printf '{\n  "databases": [\n    {"notionDatabaseId": "x",}\n  ]\n}\n' >"$T/syntax.json"
nv --config "$T/syntax.json" config check >/dev/null 2>"$T/err"
check_eq "syntax error exits 2" 2 $?
check "syntax error names line 3" grep -qF "$T/syntax.json:3:" "$T/err"

# --- the key: reported, never printed
good="$NV_SRC_DIR/examples/notion-sync.config.json"
export NOTION_API_KEY="ntn_integration0123456789abcdef"
nv --config "$good" config check >"$T/out" 2>"$T/err"
check "key reported as set" grep -q "^NOTION_API_KEY  *set" "$T/out"
nv --json --config "$good" config check >"$T/out.json" 2>>"$T/err"
check_eq "--json: valid and apiKeySet" "True True" \
  "$(jget "$(cat "$T/out.json")" 'str(d["valid"]) + " " + str(d["settings"]["apiKeySet"])')"
check_eq "--json: databases resolved" "2 1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6 title" \
  "$(jget "$(cat "$T/out.json")" '"%d %s %s" % (len(d["config"]["databases"]), d["config"]["databases"][0]["notionDatabaseId"], d["config"]["databases"][0]["fieldMappings"]["Name"])')"
check "the key never appears in any output" \
  bash -c "! grep -q integration0123456789 '$T/out' '$T/out.json' '$T/err'"
unset NOTION_API_KEY
nv --config "$good" config check >"$T/out" 2>&1
check "key reported as not set" grep -q "^NOTION_API_KEY  *not set" "$T/out"

# --- which file: --config beats the environment, which beats the default
cp "$good" "$T/notion-sync.config.json"
nv config check >"$T/out" 2>&1
check "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH is used" grep -qF "$T/notion-sync.config.json (valid; from AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH)" "$T/out"
nv config check --config "$T/multi.json" >/dev/null 2>&1
check_eq "--config beats the environment" 2 $?
(cd "$T" && unset AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH && "$NVAULT" config check >"$T/out" 2>&1)
check "default ./notion-sync.config.json" grep -qF "./notion-sync.config.json (valid; from the current directory)" "$T/out"

# --- missing file, bad environment
nv --config "$T/nope.json" config check >/dev/null 2>"$T/err"
check_eq "missing file exits 2" 2 $?
check "missing file is named" grep -qF "$T/nope.json: no config file there" "$T/err"
AGENT_MEMORY_NOTION_SYNC_ENABLED=maybe nv --config "$good" config check >/dev/null 2>"$T/err"
check_eq "bad AGENT_MEMORY_NOTION_SYNC_ENABLED exits 2" 2 $?
check "bad boolean is named" grep -q "AGENT_MEMORY_NOTION_SYNC_ENABLED=maybe" "$T/err"
nv config nonsense >/dev/null 2>&1
check_eq "unknown subcommand exits 2" 2 $?

finish
