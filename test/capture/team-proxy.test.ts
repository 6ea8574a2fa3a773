import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { ProxyAgent, fetch as undiciFetch } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { teamMode } from "../../src/auth/team-mode.js";
import { createToken, revokeToken } from "../../src/auth/tokens.js";
import { startProxy } from "../../src/capture/proxy/proxy-server.js";
import { validateConfig } from "../../src/core/config.js";
import { silentLogger } from "../../src/core/logger.js";
import type { Memory } from "../../src/core/types.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { openTunnel } from "./support/connect-client.js";
import { apiHeaders, type Harness, rawRequest, startHarness, until } from "./support/harness.js";

/**
 * Team mode on the capture proxy: each person's own token (tokens.json)
 * decides whose memory their traffic becomes, in reverse mode (/t/<token>)
 * and forward mode (CONNECT with Basic credentials); a revoked token is
 * refused at its next request, inside an open tunnel too.
 */
describe("the capture proxy in team mode (AUTH_MODE=tokens)", () => {
  let h: Harness;
  let alice: { token: string; id: string };
  let bob: { token: string; id: string };
  const agents: ProxyAgent[] = [];
  beforeEach(async () => {
    h = await startHarness({ env: { AUTH_MODE: "tokens" }, logLevel: "info" });
    const a = createToken(h.dir, { user: "alice" });
    const b = createToken(h.dir, { user: "bob" });
    alice = { token: a.token, id: a.record.id };
    bob = { token: b.token, id: b.record.id };
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
    await h.close();
  });

  const memoriesOf = async (user: string): Promise<Memory[]> =>
    (await h.store.list({ filters: { user_id: user }, limit: 100 })).memories;

  function forwardAs(user: string, token: string): Anthropic {
    const u = new URL(h.proxy.url);
    const agent = new ProxyAgent({
      uri: `http://${user}:${encodeURIComponent(token)}@${u.host}`,
      requestTls: { ca: h.caPem() },
    });
    agents.push(agent);
    return new Anthropic({
      apiKey: h.stub.apiKey,
      baseURL: "https://api.anthropic.com",
      maxRetries: 0,
      fetch: undiciFetch as unknown as typeof fetch,
      fetchOptions: { dispatcher: agent } as Record<string, unknown>,
    });
  }

  const ask = (client: Anthropic, words: string, session: string) =>
    client.messages.create(
      { model: "claude-test", max_tokens: 50, messages: [{ role: "user", content: words }] },
      { headers: { "x-claude-code-session-id": session } },
    );

  it("refuses traffic without a personal token; PROXY_AUTH_TOKEN-style sharing is gone", async () => {
    const tunnel = await openTunnel(h.proxy.url, "api.anthropic.com:443");
    expect(tunnel.status).toBe(407);
    tunnel.socket.destroy();
    const body = JSON.stringify({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    const reverse = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey),
      body,
    });
    expect(reverse.status).toBe(401);
    expect(reverse.body.toString()).toContain("team mode");
    const wrong = await rawRequest(h.proxy.url, {
      path: "/t/mmm_not-a-token/v1/messages",
      headers: apiHeaders(h.stub.apiKey),
      body,
    });
    expect(wrong.status).toBe(401);
    expect(h.stub.exchanges).toHaveLength(0);
    // status and doctor still find the proxy from this machine.
    const health = await rawRequest(h.proxy.url, { method: "GET", path: "/__mcp-mitm-mem0/health" });
    expect(health.status).toBe(200);
  });

  it("stores each person's episodes as that person's memories, whatever header a client sends", async () => {
    const aliceClient = new Anthropic({
      apiKey: h.stub.apiKey,
      baseURL: `${h.proxy.url}/t/${alice.token}`,
      maxRetries: 0,
      defaultHeaders: { "x-mcp-mitm-mem0-captured-user": "bob" },
    });
    const bobClient = forwardAs("bob", bob.token);
    await ask(aliceClient, "Alice asks how the invoice rounding works", "shared-session");
    await ask(bobClient, "Bob asks where the deploy script lives", "shared-session");
    // The same session id and the same words from both: two memories, one each.
    await ask(aliceClient, "Which branch do we release from?", "same-words");
    await ask(bobClient, "Which branch do we release from?", "same-words");
    await until(
      async () => (await memoriesOf("alice")).length >= 2 && (await memoriesOf("bob")).length >= 2,
      "two memories each for alice and bob",
    );
    await until(() => h.proxy.stats().outboxDepth === 0 && h.proxy.stats().capturing === 0, "outbox drained");
    const a = (await memoriesOf("alice")).map((m) => m.memory).join("\n");
    const b = (await memoriesOf("bob")).map((m) => m.memory).join("\n");
    expect(a).toContain("Alice asks how the invoice rounding works");
    expect(a).not.toContain("Bob asks");
    expect(b).toContain("Bob asks where the deploy script lives");
    expect(b).not.toContain("Alice asks");
    expect(a).toContain("Which branch do we release from?");
    expect(b).toContain("Which branch do we release from?");
    expect(await memoriesOf("alice")).toHaveLength(2);
    expect(await memoriesOf("bob")).toHaveLength(2);
    expect(await memoriesOf("tester")).toHaveLength(0);
    // The internal header never reaches the API, and the tokens never do.
    const sent = JSON.stringify(h.stub.exchanges.map((e) => e.headers));
    expect(sent).not.toContain(alice.token);
    expect(sent).not.toContain(bob.token);
  });

  it("refuses a revoked token at its next request, inside an open tunnel too", async () => {
    const bobClient = forwardAs("bob", bob.token);
    await ask(bobClient, "Bob's first question before revocation", "s1");
    revokeToken(h.dir, bob.id);
    await expect(ask(bobClient, "Bob's question after revocation", "s1")).rejects.toThrow();
    const reverse = new Anthropic({
      apiKey: h.stub.apiKey,
      baseURL: `${h.proxy.url}/t/${bob.token}`,
      maxRetries: 0,
    });
    await expect(ask(reverse, "Bob again, reverse mode", "s2")).rejects.toMatchObject({ status: 401 });
    expect(h.stub.exchanges.map((e) => JSON.stringify(e.body))).not.toContain("after revocation");
    expect(h.stub.exchanges).toHaveLength(1);
  });
});

describe("team mode is forced on for PostgreSQL beyond loopback", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mmm-team-bind-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("decides it from the backend and the bind address", () => {
    expect(teamMode({ authMode: "local", backend: "postgres" }, "0.0.0.0")).toBe(true);
    expect(teamMode({ authMode: "local", backend: "postgres" }, "127.0.0.1")).toBe(false);
    expect(teamMode({ authMode: "local", backend: "sqlite" }, "0.0.0.0")).toBe(false);
    expect(teamMode({ authMode: "tokens", backend: "sqlite" }, "127.0.0.1")).toBe(true);
  });

  it("starts a PostgreSQL-backed proxy on 0.0.0.0 without PROXY_AUTH_TOKEN, and it takes only personal tokens", async () => {
    // The proxy is handed its store; the configuration alone (backend, bind address) decides team mode.
    const store = SqliteMemoryStore.open(join(dir, "m.db"));
    try {
      const config = validateConfig(
        {
          MEMORY_DATA_DIR: dir,
          MITM_HOST: "0.0.0.0",
          MITM_PORT: "0",
          MEMORY_BACKEND: "postgres",
          DATABASE_URL: "postgresql://mem@127.0.0.1:1/memories",
        },
        dir,
      );
      const sqliteOpen = validateConfig({ MEMORY_DATA_DIR: dir, MITM_HOST: "0.0.0.0", MITM_PORT: "0" }, dir);
      await expect(
        startProxy({ config: sqliteOpen, store, logger: silentLogger, allowRemote: true }),
      ).rejects.toThrow(/PROXY_AUTH_TOKEN/);
      const proxy = await startProxy({ config, store, logger: silentLogger, allowRemote: true });
      try {
        const body = JSON.stringify({
          model: "m",
          max_tokens: 10,
          messages: [{ role: "user", content: "x" }],
        });
        const r = await rawRequest(`http://127.0.0.1:${proxy.port}`, {
          path: "/v1/messages",
          headers: apiHeaders("sk-ant-test"),
          body,
        });
        expect(r.status).toBe(401);
        expect(r.body.toString()).toContain("team mode");
      } finally {
        await proxy.close();
      }
    } finally {
      await store.close();
    }
  });
});
