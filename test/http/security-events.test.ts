import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LogFields, Logger } from "../../src/core/logger.js";
import { readSecurityEvents, SecurityEvents } from "../../src/http/security-events.js";
import { serveHttp } from "../../src/mcp/http.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { startWebServer } from "../../src/web/web-server.js";
import { openHarness } from "../mcp/harness.js";
import { useTempDir } from "../store/temp-dir.js";

const TOKEN = "right-token-0123456789abcdef";
const WRONG = "wrong-token-fedcba9876543210";

/** A logger that keeps every line. */
function recordingLogger(): Logger & { lines: { level: string; msg: string; fields: LogFields }[] } {
  const lines: { level: string; msg: string; fields: LogFields }[] = [];
  const make = (base: LogFields): Logger => ({
    debug: (msg, f) => lines.push({ level: "debug", msg, fields: { ...base, ...f } }),
    info: (msg, f) => lines.push({ level: "info", msg, fields: { ...base, ...f } }),
    warn: (msg, f) => lines.push({ level: "warn", msg, fields: { ...base, ...f } }),
    error: (msg, f) => lines.push({ level: "error", msg, fields: { ...base, ...f } }),
    child: (f) => make({ ...base, ...f }),
  });
  return Object.assign(make({}), { lines });
}

function send(url: string, headers: Record<string, string>, method = "POST"): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: { "content-type": "application/json", ...headers } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(method === "POST" ? "{}" : undefined);
  });
}

const events = (l: ReturnType<typeof recordingLogger>) => l.lines.filter((x) => x.fields.event !== undefined);

describe("security events", () => {
  const dir = useTempDir("mmm-sec-");

  it("a wrong, a missing token and a foreign Origin over MCP HTTP are each one warn line, no secret", async () => {
    const h = await openHarness();
    const logger = recordingLogger();
    const security = new SecurityEvents({ logger, component: "mcp-http", dataDir: dir(), windowMs: 60_000 });
    const http = await serveHttp({
      port: 0,
      auth: { mode: "token", token: TOKEN },
      logger,
      security,
      createServer: () => createMcpServer({ store: h.store, config: h.config, logger }),
    });
    try {
      expect(await send(http.url, { authorization: `Bearer ${WRONG}` })).toBe(401);
      expect(await send(http.url, {})).toBe(401);
      expect(await send(http.url, { origin: "https://evil.example", authorization: `Bearer ${TOKEN}` })).toBe(
        403,
      );
    } finally {
      await http.close();
      await h.close();
    }
    const got = events(logger);
    expect(got.map((l) => [l.level, l.fields.event, l.fields.reason])).toEqual([
      ["warn", "mcp_http_refused", "wrong_token"],
      ["warn", "mcp_http_refused", "missing_token"],
      ["warn", "mcp_http_refused", "foreign_origin"],
    ]);
    expect(got[0]?.fields).toMatchObject({ peer: "127.0.0.1", method: "POST" });
    expect(got[0]?.fields.presented).toMatch(/^\[token sha256:[0-9a-f]{8}\]$/);
    expect(got[2]?.fields.origin).toBe("https://evil.example");
    const all = JSON.stringify(logger.lines);
    expect(all).not.toContain(WRONG);
    expect(all).not.toContain(TOKEN);
    const summary = readSecurityEvents(dir());
    expect(summary.mcp_http_refused?.count).toBe(3);
    expect(summary.mcp_http_refused?.last.reason).toBe("foreign_origin");
  });

  it("a foreign Origin and a wrong login token on the web page are recorded with the peer", async () => {
    const store = SqliteMemoryStore.open(join(dir(), "memories.db"));
    const logger = recordingLogger();
    const security = new SecurityEvents({ logger, component: "web", dataDir: dir() });
    const web = await startWebServer({ store, userId: "u", token: TOKEN, logger, port: 0, security });
    try {
      expect(await send(`${web.url}memories`, { origin: "https://evil.example" }, "GET")).toBe(403);
      expect(await send(`${web.url}login?token=${WRONG}`, {}, "GET")).toBe(401);
    } finally {
      await web.close();
      await store.close();
    }
    const got = events(logger);
    expect(got[0]?.fields).toMatchObject({
      event: "web_refused",
      reason: "foreign_origin",
      peer: "127.0.0.1",
      origin: "https://evil.example",
    });
    expect(got.slice(1).map((l) => [l.fields.event, l.fields.reason])).toEqual([
      ["web_refused", "wrong_token"],
    ]);
    expect(got).toHaveLength(2);
    expect(JSON.stringify(logger.lines)).not.toContain(WRONG);
    expect(readSecurityEvents(dir()).web_refused?.count).toBe(2);
  });

  it("1,000 refusals from one peer give a bounded number of lines; a new window logs again", () => {
    const logger = recordingLogger();
    let now = 1_000_000;
    const security = new SecurityEvents({ logger, component: "proxy", windowMs: 60_000, now: () => now });
    for (let i = 0; i < 1000; i++) {
      security.record("proxy_auth_refused", { reason: "wrong_token", peer: "10.0.0.5" });
      now += 10; // 1,000 in 10 s: one window
    }
    security.record("proxy_auth_refused", { reason: "wrong_token", peer: "10.0.0.6" });
    expect(events(logger)).toHaveLength(2);
    now += 60_000;
    security.record("proxy_auth_refused", { reason: "wrong_token", peer: "10.0.0.5" });
    security.close();
    const got = events(logger).map((l) => [l.fields.peer, l.fields.more ?? 1]);
    expect(got).toEqual([
      ["10.0.0.5", 1],
      ["10.0.0.6", 1],
      ["10.0.0.5", 999],
      ["10.0.0.5", 1],
    ]);
    expect(security.summary().proxy_auth_refused?.count).toBe(1002);
  });
});
