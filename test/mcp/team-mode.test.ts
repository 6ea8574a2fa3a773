import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createToken, revokeToken } from "../../src/auth/tokens.js";
import { type Config, validateConfig } from "../../src/core/config.js";
import { silentLogger } from "../../src/core/logger.js";
import { type RunningHttpServer, serveHttp } from "../../src/mcp/http.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { dataOf, errorTextOf } from "./harness.js";

/**
 * Team mode over the real Streamable HTTP transport with the official SDK
 * client: per-person tokens from the token file decide the user.
 */
let dir: string;
let config: Config;
let store: SqliteMemoryStore;
let http: RunningHttpServer;
const clients: Client[] = [];
let alice: string;
let bob: string;
let admin: string;
let aliceId: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "mcp-team-"));
  config = validateConfig({ MEMORY_DATA_DIR: dir, AUTH_MODE: "tokens" }, dir);
  store = SqliteMemoryStore.open(join(dir, "memories.db"), { logger: silentLogger });
  const a = createToken(dir, { user: "alice", teams: ["acme"] });
  alice = a.token;
  aliceId = a.record.id;
  bob = createToken(dir, { user: "bob", teams: ["acme"] }).token;
  admin = createToken(dir, { user: "root", admin: true }).token;
  http = await serveHttp({
    port: 0,
    auth: { mode: "tokens", dataDir: dir },
    logger: silentLogger,
    createServer: (identity) => createMcpServer({ store, config, logger: silentLogger, identity }),
  });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await http.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(http.url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "team-test", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const call = async (c: Client, name: string, args: Record<string, unknown> = {}) =>
  (await c.callTool({ name, arguments: args })) as CallToolResult;

describe("team mode over MCP HTTP", () => {
  it("each token's user sees only their own memories; the token decides user_id", async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    const added = dataOf(await call(a, "add_memory", { text: "Alice deploys with blue-green releases" }));
    expect(added.memory.user_id).toBe("alice");
    dataOf(await call(b, "add_memory", { text: "Bob deploys with canary releases" }));

    const aliceSees = dataOf(await call(a, "search_memories", { query: "deploys releases" }));
    expect(aliceSees.user_id).toBe("alice");
    expect(aliceSees.results.map((r: { memory: string }) => r.memory)).toEqual([
      "Alice deploys with blue-green releases",
    ]);
    const bobList = dataOf(await call(b, "list_memories"));
    expect(bobList.memories.map((m: { memory: string }) => m.memory)).toEqual([
      "Bob deploys with canary releases",
    ]);
    // Bob cannot read Alice's memory by its id either.
    expect(errorTextOf(await call(b, "get_memory", { memory_id: added.memory.id }))).toMatch(/not found/i);
    await expect(b.readResource({ uri: `memory://memory/${added.memory.id}` })).rejects.toThrow(/not found/i);
  });

  it("refuses a forged user_id with a clear isError message, for reads and writes", async () => {
    const b = await connect(bob);
    dataOf(await call(await connect(alice), "add_memory", { text: "Alice's secret plan" }));
    for (const [tool, args] of [
      ["search_memories", { query: "plan", user_id: "alice" }],
      ["list_memories", { user_id: "alice" }],
      ["add_memory", { text: "planted", user_id: "alice" }],
      ["delete_all_memories", { user_id: "alice", confirm: true }],
    ] as const) {
      const text = errorTextOf(await call(b, tool, args));
      expect(text).toMatch(
        /^Refused: This token belongs to user "bob"; it may not \w+ the memories of user_id "alice"/,
      );
    }
    await expect(b.readResource({ uri: "memory://alice" })).rejects.toThrow(/Refused/);
    expect((await store.list({ filters: { user_id: "alice" } })).memories).toHaveLength(1);
  });

  it("shares a team's memory with its members only, and only an admin forgets it", async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    dataOf(await call(a, "add_memory", { text: "The acme API uses snake_case", user_id: "team:acme" }));
    const seen = dataOf(await call(b, "search_memories", { query: "acme snake_case", user_id: "team:acme" }));
    expect(seen.results).toHaveLength(1);
    expect(
      errorTextOf(await call(b, "delete_all_memories", { user_id: "team:acme", confirm: true })),
    ).toMatch(/Only an admin token may forget a team.s memories/);
    const outsider = createToken(dir, { user: "eve" }).token;
    const e = await connect(outsider);
    expect(errorTextOf(await call(e, "list_memories", { user_id: "team:acme" }))).toMatch(/Refused/);
  });

  it("lets an admin token forget another user", async () => {
    dataOf(await call(await connect(alice), "add_memory", { text: "Alice likes tabs" }));
    const root = await connect(admin);
    const listed = dataOf(await call(root, "list_memories", { user_id: "alice" }));
    expect(listed.memories).toHaveLength(1);
    const gone = dataOf(await call(root, "delete_all_memories", { user_id: "alice", confirm: true }));
    expect(gone).toEqual({ user_id: "alice", deleted: 1 });
    expect((await store.list({ filters: { user_id: "alice" } })).memories).toHaveLength(0);
  });

  it("stops a revoked token at its next request, in an open session", async () => {
    const a = await connect(alice);
    dataOf(await call(a, "list_memories"));
    revokeToken(dir, aliceId);
    await expect(call(a, "list_memories")).rejects.toThrow(/401|unknown or revoked/);
    await expect(connect(alice)).rejects.toThrow(/401|unknown or revoked/);
  });

  it("refuses no token, a wrong one, and another person's token on an open session", async () => {
    await expect(connect("mmm_not-a-real-token-0123456789")).rejects.toThrow(/401|Unauthorized/);
    const a = await connect(alice);
    const session = (a.transport as StreamableHTTPClientTransport).sessionId;
    const res = await fetch(http.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${bob}`,
        "mcp-session-id": session ?? "",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/opened with another token/);
  });
});
