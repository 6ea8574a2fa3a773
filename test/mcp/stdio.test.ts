import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Insight, Suggestion } from "../../src/core/insights/types.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { FIXTURE_USER, idOf, loadFixtures } from "../insights/fixtures/load-fixtures.js";
import { cliPath, runCli, tempDataDir } from "../support/cli.js";
import { dataOf, errorTextOf, textOf } from "./harness.js";

let dir: string;
let client: Client | undefined;
let stderr = "";
const protocolErrors: Error[] = [];

beforeEach(() => {
  dir = tempDataDir("mcp-stdio-");
  stderr = "";
  protocolErrors.length = 0;
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Launches the server exactly as `claude mcp add memory -- node dist/cli/main.js mcp` would. */
async function connect(extraEnv: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, "mcp", "--data-dir", dir],
    env: { HOME: dir, LOG_LEVEL: "info", ...extraEnv },
    cwd: dir,
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const c = new Client({ name: "stdio-test", version: "1.0.0" });
  c.onerror = (e) => protocolErrors.push(e);
  await c.connect(transport);
  client = c;
  return c;
}

const call = async (c: Client, name: string, args: Record<string, unknown>) =>
  (await c.callTool({ name, arguments: args })) as CallToolResult;

describe("MCP over stdio against the built binary", () => {
  it("serves every tool, a resource and the prompt, with only MCP on stdout and logs on stderr", async () => {
    const c = await connect();
    expect(c.getServerVersion()?.name).toBe("memory-service");
    const { tools } = await c.listTools();
    expect(tools).toHaveLength(10);
    const added = dataOf(
      await call(c, "add_memory", { text: "Secret-free note about the release checklist" }),
    );
    expect(added.status).toBe("created");
    const found = dataOf(await call(c, "search_memories", { query: "release checklist" }));
    expect(found.results.map((r: { id: string }) => r.id)).toEqual([added.memory.id]);
    const resource = await c.readResource({ uri: "memory://recent" });
    expect(JSON.stringify(resource.contents)).toContain("release checklist");
    const prompt = await c.getPrompt({ name: "recall", arguments: { topic: "release" } });
    expect(JSON.stringify(prompt.messages)).toContain("release checklist");
    // Bad input over the real transport: an isError result, and the server keeps serving.
    expect(errorTextOf(await call(c, "search_memories", { query: "x", limit: 10_000 }))).toMatch(
      /limit must be/,
    );
    expect(errorTextOf(await call(c, "get_memory", { memory_id: "missing" }))).toMatch(/not found/);
    expect(textOf(await call(c, "list_memories", {}))).toContain("release checklist");
    expect(protocolErrors).toEqual([]);
    // stderr holds structured logs, and no conversation text at info level.
    const logLines = stderr.split("\n").filter((l) => l.trim() !== "");
    expect(logLines.some((l) => JSON.parse(l).msg === "mcp server ready")).toBe(true);
    expect(stderr).not.toContain("release checklist");
  });

  it("finds a memory that the CLI added from another process while the server runs", async () => {
    const c = await connect();
    expect(dataOf(await call(c, "search_memories", { query: "flamegraph" })).results).toEqual([]);
    const added = await runCli(["add", "Profile hot paths with a flamegraph first", "--data-dir", dir], {
      cwd: dir,
    });
    expect(added.code).toBe(0);
    const found = dataOf(await call(c, "search_memories", { query: "flamegraph" }));
    expect(found.results.map((r: { memory: string }) => r.memory)).toEqual([
      "Profile hot paths with a flamegraph first",
    ]);
    // And the other way: the CLI sees what the MCP server stored.
    await call(c, "add_memory", { text: "Pin Node to 20 in CI" });
    const listed = await runCli(["search", "Pin Node", "--json", "--data-dir", dir], { cwd: dir });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((m: { memory: string }) => m.memory)).toContain(
      "Pin Node to 20 in CI",
    );
  });
});

describe("the analysis tools over stdio against the built binary", () => {
  it("analyze_conversations and suggest_next_actions find the planted facts in captured turns", async () => {
    const seeded = SqliteMemoryStore.open(join(dir, "memories.db"));
    const f = await loadFixtures(seeded);
    await seeded.close();
    const c = await connect();

    const analysis = await call(c, "analyze_conversations", { user_id: FIXTURE_USER, limit: 200 });
    const data = dataOf(analysis).data as { status: string; insights: Insight[] };
    expect(data.status).toBe("ok");
    const prefs = data.insights.filter((i) => i.kind === "preference");
    expect(prefs).toHaveLength(6);
    const pnpm = prefs.find((p) => p.title === "Prefer pnpm over npm");
    expect(pnpm?.memory_ids).toEqual(
      expect.arrayContaining([idOf(f, "pref-pnpm-1"), idOf(f, "pref-pnpm-2")]),
    );
    expect(textOf(analysis)).toContain("Stated preferences:");

    const suggested = dataOf(await call(c, "suggest_next_actions", { user_id: FIXTURE_USER })).data as {
      suggestions: Suggestion[];
    };
    expect(suggested.suggestions.length).toBeGreaterThan(0);
    expect(suggested.suggestions.length).toBeLessThanOrEqual(10);
    const docFix = suggested.suggestions.find(
      (s) => s.kind === "document_fix" && s.action.includes("EADDRINUSE"),
    );
    expect(docFix?.memory_ids).toContain(idOf(f, "fix-eaddrinuse"));

    // A second analysis replaces the stored reflection, and the CLI in another process sees exactly one.
    await call(c, "analyze_conversations", { user_id: FIXTURE_USER, limit: 200 });
    const listed = await runCli(
      ["list", "--user", FIXTURE_USER, "--category", "reflection", "--json", "--data-dir", dir],
      { cwd: dir },
    );
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).memories).toHaveLength(1);
    expect(protocolErrors).toEqual([]);
  });
});

describe("the stdio process", () => {
  it("survives a garbage line, writes only JSON-RPC lines to stdout, and exits 0 when stdin closes", async () => {
    const child = spawn(process.execPath, [cliPath, "mcp", "--data-dir", dir], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir, LOG_LEVEL: "info" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const answered = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", () => {
        if (out.includes('"id":2')) resolve();
      });
      exited.then((code) => reject(new Error(`the server exited (${code}) before answering: ${err}`)));
    });
    const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    child.stdin.write("private words that are not JSON\n");
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
    });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "list_memories", arguments: {} } });
    await answered;
    child.stdin.end();
    expect(await exited).toBe(0);
    const lines = out.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line).jsonrpc).toBe("2.0");
    expect(JSON.parse(lines.at(-1) ?? "{}")).toMatchObject({
      id: 2,
      result: { structuredContent: { memories: [] } },
    });
    expect(err).not.toContain("private words");
  });
});
