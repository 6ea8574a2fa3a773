import { request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.js";
import { hostnameOf, isAllowedOrigin, isLoopbackHost } from "../../src/http/loopback-guard.js";
import { type RunningHttpServer, serveHttp } from "../../src/mcp/http.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { dataOf, type Harness, openHarness } from "./harness.js";

const TOKEN = "test-token-0123456789abcdef";
let h: Harness;
let http: RunningHttpServer;
const clients: Client[] = [];

beforeEach(async () => {
  h = await openHarness();
  http = await serveHttp({
    port: 0,
    auth: { mode: "token", token: TOKEN },
    logger: silentLogger,
    maxSessions: 2,
    createServer: () => createMcpServer({ store: h.store, config: h.config, logger: silentLogger }),
  });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await http.close();
  await h.close();
});

async function connect(token?: string): Promise<Client> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers } });
  const client = new Client({ name: "http-test", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

/** A raw HTTP request, so that Host and Origin can be forged as a rebinding attacker would. */
function raw(
  headers: Record<string, string>,
  body = "{}",
  path = "/mcp",
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(http.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: url.port,
        path,
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

describe("Streamable HTTP", () => {
  it("serves the tools to a client with the token, in separate sessions over one store", async () => {
    const a = await connect(TOKEN);
    const b = await connect(TOKEN);
    const added = (await a.callTool({
      name: "add_memory",
      arguments: { text: "HTTP clients share the store" },
    })) as CallToolResult;
    expect(dataOf(added).status).toBe("created");
    const found = (await b.callTool({
      name: "search_memories",
      arguments: { query: "share the store" },
    })) as CallToolResult;
    expect(dataOf(found).results).toHaveLength(1);
    expect(http.sessions()).toBe(2);
  });

  it("refuses a client without the token or with a wrong one (401)", async () => {
    await expect(connect()).rejects.toThrow(/401|Unauthorized/);
    await expect(connect("wrong-token-0123456789")).rejects.toThrow(/401|Unauthorized/);
    const res = await raw({ host: `127.0.0.1:${new URL(http.url).port}` }, initialize);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(res.body).not.toContain(TOKEN);
  });

  it("refuses a forged Host or a foreign Origin even with the token (DNS rebinding)", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await raw({ ...auth, host: "evil.example:80" }, initialize)).status).toBe(403);
    const port = new URL(http.url).port;
    expect(
      (await raw({ ...auth, host: `127.0.0.1:${port}`, origin: "https://evil.example" }, initialize)).status,
    ).toBe(403);
    expect(
      (await raw({ ...auth, host: `localhost:${port}`, origin: `http://localhost:${port}` }, initialize))
        .status,
    ).toBe(200);
  });

  it("answers unknown paths, missing sessions and bad bodies with clear HTTP errors", async () => {
    const base = { authorization: `Bearer ${TOKEN}`, host: `127.0.0.1:${new URL(http.url).port}` };
    expect((await raw(base, initialize, "/other")).status).toBe(404);
    expect((await raw(base, "{not json")).status).toBe(400);
    const noSession = await raw(base, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    expect(noSession.status).toBe(400);
    expect(noSession.body).toMatch(/initialize first/);
    const stale = await raw(
      { ...base, "mcp-session-id": "no-such-session" },
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    );
    expect(stale.status).toBe(404);
  });

  it("makes room for a new session by closing the least recently used one", async () => {
    const first = await connect(TOKEN);
    await connect(TOKEN);
    await connect(TOKEN);
    expect(http.sessions()).toBe(2);
    await expect(first.listTools()).rejects.toThrow(/404|Session not found/);
  });
});

describe("host and origin checks", () => {
  it("accepts only loopback names, with or without a port", () => {
    expect(hostnameOf("[::1]:8765")).toBe("[::1]");
    expect(isLoopbackHost("localhost:8765")).toBe(true);
    expect(isLoopbackHost("127.0.0.1")).toBe(true);
    expect(isLoopbackHost("[::1]:1")).toBe(true);
    expect(isLoopbackHost("127.0.0.1.nip.io")).toBe(false);
    expect(isLoopbackHost(undefined)).toBe(false);
    expect(isAllowedOrigin(undefined)).toBe(true);
    expect(isAllowedOrigin("http://127.0.0.1:3000")).toBe(true);
    expect(isAllowedOrigin("null")).toBe(false);
    expect(isAllowedOrigin("http://localhost.evil.example")).toBe(false);
  });
});
