import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, expect, it } from "vitest";
import { type ProxyHandle, startProxy } from "../../../src/capture/proxy/proxy-server.js";
import { validateConfig } from "../../../src/core/config.js";
import { createLogger } from "../../../src/core/logger.js";
import { PgMemoryStore } from "../../../src/store/postgres/pg-store.js";
import { type AnthropicStub, startAnthropicStub } from "../../support/anthropic-stub.js";
import { adminQuery, describePostgres, freshSchema } from "../../support/postgres.js";
import { until } from "../../support/until.js";

/**
 * The Mem0 outage scenario on PostgreSQL: the network path to a real
 * PostgreSQL server is cut (a TCP relay in front of it stops accepting and
 * drops its connections) while the proxy captures 30 episodes, then comes
 * back. The official SDK talks to the proxy in reverse mode; every episode
 * waits in the local outbox and arrives once, in capture order.
 */

/** A TCP relay to the server that can be taken down (connections dropped, port closed) and up again on the same port. */
class Relay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const TURNS = 30;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describePostgres("PostgreSQL outage through the proxy", () => {
  it("PostgreSQL unreachable while the proxy captures 30 episodes, then back: all arrive once, in order", async () => {
    const db = await freshSchema();
    cleanups.push(db.drop);
    const target = new URL(db.url);
    const relay = new Relay(target.hostname, Number(target.port || 5432));
    await relay.up();
    cleanups.push(() => relay.down());
    const viaRelay = new URL(db.url);
    viaRelay.port = String(relay.port);

    const dir = mkdtempSync(join(tmpdir(), "mmm-pg-outage-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const anthropic: AnthropicStub = await startAnthropicStub();
    cleanups.push(() => anthropic.close());
    const config = validateConfig(
      {
        MEMORY_DATA_DIR: dir,
        MITM_PORT: "0",
        UPSTREAM_URL: anthropic.url,
        UPSTREAM_CA_FILE: anthropic.caFile,
        DEFAULT_USER_ID: "outage-user",
        MEMORY_BACKEND: "postgres",
        DATABASE_URL: viaRelay.toString(),
      },
      dir,
    );
    expect(config.backend).toBe("postgres");
    const logs: string[] = [];
    const logger = createLogger("debug", (line) => logs.push(line));
    const store = await PgMemoryStore.open(viaRelay.toString(), { logger, timeoutMs: 2000, poolSize: 2 });
    const proxy: ProxyHandle = await startProxy({
      config,
      store,
      logger,
      backoff: { baseMs: 20, maxMs: 250 },
    });
    cleanups.push(async () => {
      await proxy.close();
      await store.close();
    });

    await relay.down();
    const client = new Anthropic({ apiKey: anthropic.apiKey, baseURL: proxy.url, maxRetries: 0 });
    for (let i = 0; i < TURNS; i++) {
      const reply = await client.messages.create({
        model: "claude-sonnet-4-5",
        max_tokens: 256,
        messages: [{ role: "user", content: `Outage turn ${i}: remember fact number ${i}` }],
      });
      expect(reply.content[0]).toMatchObject({ type: "text" });
    }
    // Every episode is captured and queued; none reached PostgreSQL, and the worker has tried and failed.
    await until(
      () => proxy.stats().turnsQueued === TURNS && proxy.stats().capturing === 0,
      () => `${TURNS} queued episodes (${JSON.stringify(proxy.stats())})`,
      60_000,
    );
    await until(() => logs.some((l) => l.includes("STORE_UNAVAILABLE")), "a failed store attempt", 60_000);
    expect(proxy.stats().turnsStored).toBe(0);
    expect(proxy.stats().outboxDepth).toBe(TURNS);

    await relay.up();
    await until(
      () => proxy.stats().outboxDepth === 0 && proxy.stats().turnsStored === TURNS,
      () => `the outbox to drain (${JSON.stringify(proxy.stats())})`,
      60_000,
    );

    // Exactly once and in capture order: newest first from the store, so reversed it is 0..29.
    const listed = (await store.list({ filters: { user_id: "outage-user" }, limit: 100 })).memories;
    expect(listed).toHaveLength(TURNS);
    const turnOf = (text: string) => Number(/Outage turn (\d+):/.exec(text)?.[1]);
    expect(new Set(listed.map((m) => turnOf(m.memory))).size).toBe(TURNS);
    // Arrival order as the server recorded it: the history's insertion sequence, one ADD per episode.
    const adds = await adminQuery(
      `SELECT new_memory FROM ${db.schema}.memory_history WHERE event = 'ADD' AND user_id = $1 ORDER BY seq`,
      ["outage-user"],
    );
    expect(adds.rows.map((r: { new_memory: string }) => turnOf(r.new_memory))).toEqual(
      Array.from({ length: TURNS }, (_, i) => i),
    );
    expect(listed.map((m) => turnOf(m.memory)).reverse()).toEqual(Array.from({ length: TURNS }, (_, i) => i));
    expect(listed.every((m) => m.agent_id === "claude-code")).toBe(true);
  });
});
