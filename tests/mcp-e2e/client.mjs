// client.mjs: end-to-end test of `nvault mcp` with the official MCP
// TypeScript SDK (Client + StdioClientTransport): initialize, list tools,
// add / update / history of a task, and, when FAKE_URL is set, a sync
// against the fake Notion server with progress notifications. Prints one
// "ok - ..." line per check and exits 1 on the first failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const nvault = process.env.NVAULT;
const rows = Number(process.env.FAKE_ROWS || "0");

function check(what, cond, detail) {
  if (!cond) {
    console.error(`FAIL - ${what}${detail === undefined ? "" : ": " + JSON.stringify(detail).slice(0, 2000)}`);
    process.exit(1);
  }
  console.log(`ok - ${what}`);
}

const transport = new StdioClientTransport({
  command: nvault,
  args: ["mcp"],
  env: { ...process.env },
  stderr: "inherit",
});
const client = new Client({ name: "nvault-e2e", version: "1.0.0" });
await client.connect(transport);

const info = client.getServerVersion();
check("initialize: serverInfo names nvault", info && info.name === "nvault", info);
check("initialize: tools capability", !!client.getServerCapabilities()?.tools);

const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
check("listTools: memory_task and notion_sync", JSON.stringify(names) === '["memory_task","notion_sync"]', names);

const call = (name, args, opts) => client.callTool({ name, arguments: args }, undefined, opts);

const added = await call("memory_task", { action: "add", title: "E2E task", status: "open", agentId: "e2e", tags: ["sdk"] });
check("add: not an error", !added.isError, added);
const id = added.structuredContent?.task?.id;
check("add: structured task with an id and version 1", typeof id === "string" && added.structuredContent.task.version === 1, added.structuredContent);
check("add: text rendering", added.content?.[0]?.type === "text" && added.content[0].text.includes("E2E task"));

const updated = await call("memory_task", { action: "update", id, status: "done", changeReason: "finished in e2e", agentId: "e2e" });
check("update: new version 2", !updated.isError && updated.structuredContent.task.version === 2 && updated.structuredContent.task.status === "done", updated);

const history = await call("memory_task", { action: "history", id });
const versions = history.structuredContent?.versions || [];
check("history: two versions, oldest first", versions.length === 2 && versions[0].version === 1 && versions[1].version === 2, history.structuredContent);
check("history: authored mcp:e2e with the reason", versions[1].createdBy === "mcp:e2e" && versions[1].changeReason === "finished in e2e", versions[1]);

const bad = await call("memory_task", { action: "get", id: "no-such-task" });
check("get of a missing task: isError naming the parameter", bad.isError === true && bad.content[0].text.includes("'id'"), bad);

if (process.env.FAKE_URL) {
  const progress = [];
  const synced = await call("notion_sync", { action: "sync" }, {
    onprogress: (p) => progress.push(p),
    timeout: 120000,
  });
  check("sync: success", !synced.isError && synced.structuredContent?.success === true, synced);
  check("sync: progress notifications received", progress.length >= 2, progress);
  check("sync: progress strictly increasing", progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress), progress);
  check("sync: the token is not in the result", !JSON.stringify(synced).includes(process.env.NOTION_API_KEY));

  const list = await call("memory_task", { action: "list", limit: 1 });
  check(`list after sync: ${rows} Notion tasks plus the local one`, list.structuredContent?.total === rows + 1, list.structuredContent?.total);

  const status = await call("notion_sync", { action: "status" });
  check("status: a recent run recorded", !status.isError && (status.structuredContent.recentRuns || []).length >= 1, status.structuredContent);
}

await client.close();
console.log("e2e done");
