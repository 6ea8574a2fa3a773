import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { ProxyAgent, fetch as undiciFetch } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startProxy } from "../../../src/capture/proxy/proxy-server.js";
import { validateConfig } from "../../../src/core/config.js";
import { silentLogger } from "../../../src/core/logger.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { openTunnel } from "../support/connect-client.js";
import { apiHeaders, type Harness, rawRequest, startHarness } from "../support/harness.js";

const TOKEN = "proxy-token-0123456789abcdef";

describe("proxy authentication (PROXY_AUTH_TOKEN)", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { PROXY_AUTH_TOKEN: TOKEN } });
  });
  afterEach(async () => {
    await h.close();
  });

  const body = JSON.stringify({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "auth?" }] });

  it("refuses proxy and reverse traffic without the token", async () => {
    const tunnel = await openTunnel(h.proxy.url, "api.anthropic.com:443");
    expect(tunnel.status).toBe(407);
    tunnel.socket.destroy();
    const absolute = await rawRequest(h.proxy.url, { method: "GET", path: "http://127.0.0.1:9/" });
    expect(absolute.status).toBe(407);
    expect(absolute.headers["proxy-authenticate"]).toContain("Basic");
    const reverse = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey),
      body,
    });
    expect(reverse.status).toBe(401);
    expect(JSON.parse(reverse.body.toString())).toMatchObject({ error: { type: "authentication_error" } });
    const wrong = await rawRequest(h.proxy.url, {
      path: `/t/not-the-token/v1/messages`,
      headers: apiHeaders(h.stub.apiKey),
      body,
    });
    expect(wrong.status).toBe(401);
    expect(h.stub.exchanges).toHaveLength(0);
  });

  it("accepts Basic credentials for CONNECT (HTTPS_PROXY=http://user:TOKEN@host:port)", async () => {
    const basic = `Basic ${Buffer.from(`me:${TOKEN}`).toString("base64")}`;
    const tunnel = await openTunnel(h.proxy.url, "api.anthropic.com:443", { "proxy-authorization": basic });
    expect(tunnel.status).toBe(200);
    tunnel.socket.destroy();

    const u = new URL(h.proxy.url);
    const agent = new ProxyAgent({ uri: `http://me:${TOKEN}@${u.host}`, requestTls: { ca: h.caPem() } });
    try {
      const client = new Anthropic({
        apiKey: h.stub.apiKey,
        baseURL: "https://api.anthropic.com",
        maxRetries: 0,
        fetch: undiciFetch as unknown as typeof fetch,
        fetchOptions: { dispatcher: agent } as Record<string, unknown>,
      });
      const msg = await client.messages.create({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      });
      expect(msg.type).toBe("message");
    } finally {
      await agent.close();
    }
  });

  it("accepts the token as a base-URL prefix or a Proxy-Authorization header in reverse mode, and never forwards it", async () => {
    const viaPath = new Anthropic({
      apiKey: h.stub.apiKey,
      baseURL: `${h.proxy.url}/t/${TOKEN}`,
      maxRetries: 0,
    });
    const a = await viaPath.messages.create({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "path" }],
    });
    expect(a.type).toBe("message");
    expect(h.stub.exchanges[0]?.path).toBe("/v1/messages");

    const viaHeader = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey, { "proxy-authorization": `Bearer ${TOKEN}` }),
      body,
    });
    expect(viaHeader.status).toBe(200);
    expect(h.stub.exchanges[1]?.headers["proxy-authorization"]).toBeUndefined();
    expect(JSON.stringify(h.stub.exchanges.map((e) => e.headers))).not.toContain(TOKEN);
  });
});

describe("binding", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mmm-bind-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a non-loopback address without --allow-remote, and without a token", async () => {
    const store = SqliteMemoryStore.open(join(dir, "m.db"));
    try {
      const open = validateConfig({ MEMORY_DATA_DIR: dir, MITM_HOST: "0.0.0.0", MITM_PORT: "0" }, dir);
      await expect(startProxy({ config: open, store, logger: silentLogger })).rejects.toThrow(
        /--allow-remote/,
      );
      await expect(
        startProxy({ config: open, store, logger: silentLogger, allowRemote: true }),
      ).rejects.toThrow(/PROXY_AUTH_TOKEN/);
      const withToken = validateConfig(
        { MEMORY_DATA_DIR: dir, MITM_HOST: "0.0.0.0", MITM_PORT: "0", PROXY_AUTH_TOKEN: TOKEN },
        dir,
      );
      const proxy = await startProxy({ config: withToken, store, logger: silentLogger, allowRemote: true });
      expect(proxy.port).toBeGreaterThan(0);
      const r = await rawRequest(`http://127.0.0.1:${proxy.port}`, {
        method: "GET",
        path: "/__mcp-mitm-mem0/health",
      });
      expect(r.status).toBe(401);
      await proxy.close();
    } finally {
      await store.close();
    }
  });
});
