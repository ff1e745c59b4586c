#!/usr/bin/env bash
# test_mcp_http.sh: `nvault mcp --http` (MCP Streamable HTTP, SPEC §8), the
# real binary on a loopback port it picks: refusal to start without
# NVAULT_MCP_TOKEN off loopback; with curl: bearer token (401), Origin and
# Host checks (403), sessions (400 without, 404 unknown, DELETE ends one),
# 413 over the body limit, 415, 405, 400 for an unknown protocol version,
# 202 for notifications; the official SDK client (tests/mcp-e2e/
# http_client.mjs) for sessions, reads, a sync with progress over SSE while
# other clients read, one sync at a time; SIGTERM during a sync.
source "$(dirname "$0")/lib.sh"

mcp_e2e_setup

mcp_fake_start 600 11
TOKEN="mcp-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
unset NVAULT_MCP_TOKEN

# ---- refusals at start ----------------------------------------------------------
rc=0
timeout 10 "$NVAULT" mcp --http 0.0.0.0:0 >"$T/open.out" 2>"$T/open.err" || rc=$?
check_eq "a non-loopback bind without NVAULT_MCP_TOKEN refuses to start (exit 2)" 2 "$rc"
check "saying NVAULT_MCP_TOKEN is needed" grep -q "NVAULT_MCP_TOKEN" "$T/open.err"
rc=0
timeout 10 "$NVAULT" mcp --http "nonsense" >/dev/null 2>"$T/bad.err" || rc=$?
check_eq "a malformed --http value is a usage error (exit 2)" 2 "$rc"
check "naming the value" grep -q "'nonsense' is not ADDR:PORT" "$T/bad.err"

# http_start NAME [ENV...]: starts the server on 127.0.0.1, sets URL and PID.
http_start() {
  local name=$1; shift
  rm -f "$T/$name.port"
  env "$@" "$NVAULT" mcp --http 127.0.0.1:0 --port-file "$T/$name.port" >"$T/$name.out" 2>"$T/$name.err" &
  PID=$!
  for _ in $(seq 1 200); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
  [ -s "$T/$name.port" ] || { echo "nvault mcp --http did not start:" >&2; cat "$T/$name.err" >&2; exit 1; }
  URL="http://127.0.0.1:$(cat "$T/$name.port")/mcp"
}

# post [CURL ARGS...]: POSTs to $URL with the MCP headers; prints the status
# code then the body ($T/resp.h holds the headers).
post() {
  curl -s -o "$T/resp.b" -D "$T/resp.h" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' "$@" "$URL"
}
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
AUTH=(-H "Authorization: Bearer $TOKEN")

http_start tok NVAULT_MCP_TOKEN="$TOKEN" NVAULT_RATE_LIMIT=0
check "it says where it listens" grep -q "listening on http://127.0.0.1:[0-9]*/mcp" "$T/tok.err"

check_eq "no token: 401" 401 "$(post -d "$INIT")"
check "401 names the Bearer scheme" grep -qi '^WWW-Authenticate: Bearer' "$T/resp.h"
check_eq "a wrong token: 401" 401 "$(post -H "Authorization: Bearer wrong" -d "$INIT")"
check_eq "the token with another scheme: 401" 401 "$(post -H "Authorization: Basic $TOKEN" -d "$INIT")"
check_eq "a foreign Origin: 403" 403 "$(post "${AUTH[@]}" -H 'Origin: http://evil.example' -d "$INIT")"
check_eq "a rebinding Host on loopback: 403" 403 "$(post "${AUTH[@]}" -H 'Host: evil.example:80' -d "$INIT")"
check_eq "another path: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "${URL%/mcp}/other")"
check_eq "GET (no standalone stream): 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Accept: text/event-stream' "$URL")"
check_eq "a body that is not JSON-typed: 415" 415 \
  "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: text/plain' -d "$INIT" "$URL")"

check_eq "initialize with the token and a loopback Origin: 200" 200 \
  "$(post "${AUTH[@]}" -H 'Origin: http://localhost:3000' -d "$INIT")"
SID=$(tr -d '\r' <"$T/resp.h" | awk 'tolower($1) == "mcp-session-id:" {print $2}')
check "a 32-hex-digit session id" grep -Eq '^[0-9a-f]{32}$' <<<"$SID"
check "the answer is JSON" grep -qi '^Content-Type: application/json' "$T/resp.h"
check_eq "notifications/initialized: 202" 202 \
  "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}')"
check_eq "a request without a session: 400" 400 "$(post "${AUTH[@]}" -d '{"jsonrpc":"2.0","id":2,"method":"ping"}')"
check_eq "an unknown session: 404" 404 \
  "$(post "${AUTH[@]}" -H "Mcp-Session-Id: 0123456789abcdef0123456789abcdef" -d '{"jsonrpc":"2.0","id":2,"method":"ping"}')"
check_eq "an unsupported MCP-Protocol-Version: 400" 400 \
  "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01' -d '{"jsonrpc":"2.0","id":2,"method":"ping"}')"
check_eq "ping in the session: 200" 200 \
  "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' -d '{"jsonrpc":"2.0","id":3,"method":"ping"}')"
check "answered with its id" grep -q '"id":3,"result":{}' "$T/resp.b"
check_eq "malformed JSON: 400" 400 "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" -d '{"jsonrpc":')"
check "with a parse error" grep -q -- '-32700' "$T/resp.b"
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/big.json"
check_eq "a 5 MiB body: 413" 413 "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" --data-binary @"$T/big.json")"
check_eq "a 5 MiB chunked body: 413" 413 \
  "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json")"
check_eq "the session survives: 200" 200 \
  "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" -d '{"jsonrpc":"2.0","id":4,"method":"tools/list"}')"
check "tools/list lists memory_task" grep -q '"name":"memory_task"' "$T/resp.b"
check_eq "DELETE ends the session: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "${AUTH[@]}" -H "Mcp-Session-Id: $SID" "$URL")"
check_eq "the ended session is unknown: 404" 404 \
  "$(post "${AUTH[@]}" -H "Mcp-Session-Id: $SID" -d '{"jsonrpc":"2.0","id":5,"method":"ping"}')"

# ---- the official SDK client ----------------------------------------------------------
kill -TERM "$PID"; wait "$PID"
check "the token never reaches the log" bash -c "! grep -qF '$TOKEN' '$T/tok.err'"
# slow enough (2 requests/s against the fake) that other clients read while it runs:
# with overlapping requests the engine no longer adds its own time between pages
http_start sdk NVAULT_MCP_TOKEN="$TOKEN" NVAULT_RATE_LIMIT=2
check "MCP SDK client over Streamable HTTP" env MCP_URL="$URL" NVAULT_MCP_TOKEN="$TOKEN" \
  FAKE_URL="$FAKE_URL" FAKE_ROWS="$ROWS" node "$E2E/http_client.mjs"
kill -TERM "$PID"; rc=0; wait "$PID" || rc=$?
check_eq "SIGTERM when idle: exit 0" 0 "$rc"

# ---- SIGTERM during a sync ----------------------------------------------------------
export NVAULT_DB="$T/term.db"
http_start term NVAULT_RATE_LIMIT=3
post -d "$INIT" >/dev/null
SID=$(tr -d '\r' <"$T/resp.h" | awk 'tolower($1) == "mcp-session-id:" {print $2}')
curl -sN -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -H "Mcp-Session-Id: $SID" -d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"notion_sync","arguments":{"action":"sync"},"_meta":{"progressToken":"p7"}}}' \
  "$URL" >"$T/sse.out" &
curl_pid=$!
for _ in $(seq 1 200); do grep -q '"progress":[1-9]' "$T/sse.out" 2>/dev/null && break; sleep 0.05; done
check "a sync with a progressToken streams progress as SSE events" grep -q '^data: {.*notifications/progress.*"progressToken":"p7"' "$T/sse.out"
kill -TERM "$PID"; rc=0; wait "$PID" || rc=$?
wait "$curl_pid"
check_eq "SIGTERM during a sync: exit 0" 0 "$rc"
check "the sync is answered on its stream, as interrupted" grep -q '^data: {.*"id":7.*sync interrupted' "$T/sse.out"
check "evidence records the run as interrupted" \
  python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if [e["status"] for e in d["evidence"]] == ["interrupted"] else 1)' \
  < <(nv --json evidence)
finish
