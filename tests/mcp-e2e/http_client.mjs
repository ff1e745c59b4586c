// http_client.mjs: end-to-end test of `nvault mcp --http` with the official
// MCP TypeScript SDK (Client + StreamableHTTPClientTransport) against a real
// server at MCP_URL (with NVAULT_MCP_TOKEN as the bearer token when set):
// initialize, listTools, writes and reads, a sync against the fake Notion
// server whose progress arrives over SSE while other clients keep reading
// on their own sessions, a second sync refused while the first runs, and
// DELETE ending a session. Prints one "ok - ..." line per check and exits 1
// on the first failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { check } from "./check.mjs";

const url = new URL(process.env.MCP_URL);
const token = process.env.NVAULT_MCP_TOKEN;
const rows = Number(process.env.FAKE_ROWS || "0");

async function connect(name, withToken = true) {
  const headers = withToken && token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(transport);
  const call = (tool, args, opts) => client.callTool({ name: tool, arguments: args }, undefined, opts);
  return { client, transport, call };
}

// Without the token: the server answers 401 and the SDK reports it.
if (token) {
  let err;
  try {
    await connect("no-token", false);
  } catch (e) {
    err = e;
  }
  check("connect without the bearer token fails with 401", err && err.code === 401, String(err));
}

const a = await connect("nvault-http-e2e-a");
check("initialize: serverInfo names nvault", a.client.getServerVersion()?.name === "nvault", a.client.getServerVersion());
check("initialize: a 32-hex-digit Mcp-Session-Id", /^[0-9a-f]{32}$/.test(a.transport.sessionId || ""), a.transport.sessionId);
check("initialize: protocol version negotiated", ["2025-11-25", "2025-06-18"].includes(a.transport.protocolVersion), a.transport.protocolVersion);

const { tools } = await a.client.listTools();
const names = tools.map((t) => t.name);
check("listTools: memory_task and notion_sync", names.includes("memory_task") && names.includes("notion_sync"), names);

const added = await a.call("memory_task", { action: "add", title: "HTTP task", status: "open", agentId: "http-e2e", tags: ["http"] });
check("add over HTTP: not an error", !added.isError, added);
const id = added.structuredContent?.task?.id;
check("add over HTTP: a task id", typeof id === "string", added.structuredContent);
const got = await a.call("memory_task", { action: "get", id });
check("get over HTTP: the same task", !got.isError && got.structuredContent?.task?.title === "HTTP task", got);

// Other clients, each on its own session.
const readers = await Promise.all([1, 2, 3].map((i) => connect(`nvault-http-e2e-r${i}`)));
check("three more sessions, each with its own id", new Set([a, ...readers].map((r) => r.transport.sessionId)).size === 4);

if (process.env.FAKE_URL) {
  const progress = [];
  let syncDone = false;
  const syncing = a
    .call("notion_sync", { action: "sync" }, { onprogress: (p) => progress.push(p), timeout: 120000 })
    .finally(() => {
      syncDone = true;
    });
  // wait for the first progress after the start message: the run is under way
  for (let i = 0; i < 600 && progress.length < 2 && !syncDone; i++) await new Promise((r) => setTimeout(r, 50));
  check("sync: progress arrives over SSE while the sync runs", progress.length >= 2 && !syncDone, progress);

  const second = await readers[0].call("notion_sync", { action: "sync" });
  check("a second sync from another session is refused: a sync is running",
    second.isError === true && /already running/.test(second.content?.[0]?.text || ""), second);

  let reads = 0, readErrors = 0, duringSync = 0;
  const readLoop = async (r) => {
    for (let i = 0; i < 10; i++) {
      const g = await r.call("memory_task", { action: "get", id });
      const s = await r.call("memory_task", { action: "search", query: "HTTP" });
      reads += 2;
      if (!syncDone) duringSync += 2;
      if (g.isError || s.isError) readErrors++;
    }
  };
  await Promise.all(readers.map(readLoop));
  check(`reads on three other sessions during the sync: ${reads} answered, none failed`, reads === 60 && readErrors === 0, { reads, readErrors });
  // counted, not timed: how many answers came while the sync had not answered yet
  check(`the sync was still running while they read (${duringSync} of ${reads} answered before it)`, duringSync >= 6, { duringSync, syncDone });

  const synced = await syncing;
  check("sync: success", !synced.isError && synced.structuredContent?.success === true, synced);
  check("sync: progress strictly increasing", progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress), progress);
  check("sync: the Notion token is not in the result", !JSON.stringify(synced).includes(process.env.NOTION_API_KEY));
  const list = await readers[1].call("memory_task", { action: "list", limit: 1 });
  check(`list after the sync from another session: ${rows} Notion tasks plus the local one`, list.structuredContent?.total === rows + 1, list.structuredContent?.total);
}

// DELETE ends a session: a request with its id is then 404 (so a client re-initialises).
const gone = readers[2];
const goneId = gone.transport.sessionId;
await gone.transport.terminateSession();
check("terminateSession (DELETE) accepted", gone.transport.sessionId === undefined);
const after = await fetch(url, {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    "Mcp-Session-Id": goneId,
    "MCP-Protocol-Version": a.transport.protocolVersion,
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify({ jsonrpc: "2.0", id: 99, method: "ping" }),
});
check("after DELETE the session is unknown (404)", after.status === 404, after.status);
const still = await readers[1].client.ping();
check("other sessions live on", still && typeof still === "object");

for (const r of [a, readers[0], readers[1]]) await r.client.close();
console.log("http e2e done");
