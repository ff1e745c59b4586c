#!/usr/bin/env bash
# test_mcp_sdk.sh: end-to-end test of `nvault mcp` with the official MCP
# TypeScript SDK client (tests/mcp-e2e/client.mjs): initialize, listTools,
# add / update / history of a task, every read tool (the client validates
# structuredContent against each outputSchema), a sync against the fake
# Notion server with progress notifications, and replies over four tasks
# with 1.5 MB descriptions that stay under the byte budget and page with
# the cursor. @modelcontextprotocol/sdk is
# installed from npm with `npm ci` (pinned by package-lock.json) into the
# build directory once (mcp_e2e_setup in lib.sh), and reused while the lock
# file is unchanged.
source "$(dirname "$0")/lib.sh"

mcp_e2e_setup

mcp_fake_start 120 7
export NVAULT_RATE_LIMIT=0

check "MCP SDK client end to end" env NVAULT="$NVAULT" FAKE_URL="$FAKE_URL" FAKE_ROWS="$ROWS" BIG_DB="$T/big.db" \
  node "$E2E/client.mjs"
finish
