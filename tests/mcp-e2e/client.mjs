// client.mjs: end-to-end test of `nvault mcp` with the official MCP
// TypeScript SDK (Client + StdioClientTransport): initialize, list tools,
// add / update / history of a task, and, when FAKE_URL is set, a sync
// against the fake Notion server with progress notifications. Prints one
// "ok - ..." line per check and exits 1 on the first failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { check } from "./check.mjs";

const nvault = process.env.NVAULT;
const rows = Number(process.env.FAKE_ROWS || "0");

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
check("listTools: memory_task, notion_sync and the read tools",
  JSON.stringify(names) === '["memory_task","notion_sync","schema_history","sync_status","task_changes","task_get","task_history","task_search"]', names);
const readTools = ["task_search", "task_get", "task_history", "task_changes", "sync_status", "schema_history"];
for (const name of readTools) {
  const t = tools.find((x) => x.name === name);
  check(`listTools: ${name} is annotated read-only and closed-world`,
    t.annotations?.readOnlyHint === true && t.annotations?.openWorldHint === false && t.annotations?.destructiveHint === false, t.annotations);
  check(`listTools: ${name} declares an exact outputSchema`, t.outputSchema?.type === "object" && t.outputSchema.additionalProperties === false, t.outputSchema);
}
check("listTools: memory_task is marked destructive (delete)",
  tools.find((x) => x.name === "memory_task").annotations?.destructiveHint === true);

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

// The read tools: the SDK client validates structuredContent against each
// tool's outputSchema itself (Client.callTool throws when it does not match),
// so a successful call here is a validated one.
const got = await call("task_get", { id });
check("task_get: compact task with a notion summary field", !got.isError && got.structuredContent.task.id === id && "notion" in got.structuredContent.task, got);
check("task_get: text is a short rendering, not the JSON", !got.content[0].text.includes("{"), got.content[0].text);
const found = await call("task_search", { query: "E2E" });
check("task_search: finds the task", !found.isError && found.structuredContent.tasks.some((t) => t.id === id), found.structuredContent);
const hist = await call("task_history", { id });
check("task_history: two versions with changed fields", hist.structuredContent.versions.length === 2 && hist.structuredContent.versions[1].changedFields.includes("status"), hist.structuredContent);
const one = await call("task_history", { id, versionNum: 1 });
check("task_history versionNum: the task as it was", one.structuredContent.versions[0].task.status === "open", one.structuredContent);
const diff = await call("task_changes", { since: "2000-01-01" });
check("task_changes since: the task created", diff.structuredContent.mode === "diff" && diff.structuredContent.changes.some((c) => c.taskId === id && c.kind === "created"), diff.structuredContent);
const asOf = await call("task_changes", { time: "2000-01-01" });
check("task_changes time: nothing existed in 2000", asOf.structuredContent.mode === "as_of" && asOf.structuredContent.total === 0, asOf.structuredContent);
const st = await call("sync_status", {});
check("sync_status: answers", !st.isError && st.structuredContent.syncRunning === false, st.structuredContent);
const deleted = await call("memory_task", { action: "add", title: "to delete" });
const del = await call("memory_task", { action: "delete", id: deleted.structuredContent.task.id });
check("memory_task delete: outcome deleted", del.structuredContent.outcome === "deleted", del.structuredContent);

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

// Four tasks with 1.5 MB descriptions and 300 small ones in a store of their
// own, served with a 64 KiB reply budget: every reply stays under it, the
// client stays connected, and paging with the cursor returns each task once.
if (process.env.BIG_DB) {
  const budget = 65536;
  const big = new Client({ name: "nvault-e2e-big", version: "1.0.0" });
  await big.connect(new StdioClientTransport({
    command: nvault, args: ["mcp"], stderr: "inherit",
    env: { ...process.env, NVAULT_DB: process.env.BIG_DB, NVAULT_MCP_MAX_REPLY: String(budget) },
  }));
  await big.listTools(); // caches the output schemas the client validates against
  const bcall = (name, args) => big.callTool({ name, arguments: args });
  const all = new Set();
  for (let i = 0; i < 4; i++) {
    const r = await bcall("memory_task", { action: "add", title: `huge ${i}`, description: "d".repeat(1500000) });
    check(`add huge task ${i}`, !r.isError, r.content);
    all.add(r.structuredContent.task.id);
  }
  for (let i = 0; i < 300; i++) {
    const r = await bcall("memory_task", { action: "add", title: `small ${i}`, description: "s".repeat(400) });
    all.add(r.structuredContent.task.id);
  }
  const size = (r) => Buffer.byteLength(JSON.stringify(r));
  const list = await bcall("memory_task", { action: "list", limit: 1000 });
  check("memory_task list over the huge tasks: under the budget", size(list) < budget, size(list));
  check("memory_task list: truncated with a cursor", list.structuredContent.truncated === true && typeof list.structuredContent.nextCursor === "string", { ...list.structuredContent, tasks: undefined });
  const huge = await bcall("task_search", { query: "huge" });
  check("task_search over the four huge tasks: all four, under the budget", huge.structuredContent.tasks.length === 4 && size(huge) < budget, size(huge));
  const cutDesc = huge.structuredContent.tasks[0].description;
  check("a 1.5 MB description is cut with a marker", cutDesc.length < 10000 && cutDesc.includes("cut by nvault"), cutDesc.slice(-200));
  for (const tool of ["task_search", "memory_task"]) {
    const seen = [];
    let cursor, pages = 0;
    do {
      const args = tool === "task_search" ? { limit: 1000 } : { action: "list", limit: 1000 };
      if (cursor) args.cursor = cursor;
      const r = await bcall(tool, args);
      check(`${tool} page ${pages + 1}: not an error, under the budget`, !r.isError && size(r) < budget, size(r));
      for (const t of r.structuredContent.tasks) seen.push(t.id);
      cursor = r.structuredContent.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    check(`${tool}: paging with the cursor took several pages`, pages > 1, pages);
    check(`${tool}: every task exactly once`, seen.length === all.size && new Set(seen).size === all.size && seen.every((x) => all.has(x)), { seen: seen.length, all: all.size });
  }
  const single = await bcall("task_get", { id: [...all][0] });
  check("task_get of a huge task: under the budget, cut with a marker", size(single) < budget && single.structuredContent.task.description.includes("cut by nvault"), size(single));
  await big.ping();
  check("the client is still connected", true);
  await big.close();
}
console.log("e2e done");
