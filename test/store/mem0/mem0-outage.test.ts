import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, expect, it } from "vitest";
import { type ProxyHandle, startProxy } from "../../../src/capture/proxy/proxy-server.js";
import { validateConfig } from "../../../src/core/config.js";
import { createLogger } from "../../../src/core/logger.js";
import { Mem0MemoryStore } from "../../../src/store/mem0/mem0-store.js";
import { type AnthropicStub, startAnthropicStub } from "../../support/anthropic-stub.js";
import { Mem0Stub } from "../../support/mem0-stub.js";
import { until } from "../../support/until.js";

/**
 * Issue scenario: Mem0 is down while the proxy captures 50 turns, then comes
 * back. The official SDK talks to the proxy in reverse mode; the proxy
 * forwards to the Anthropic stand-in and queues each turn in its outbox; the
 * outbox worker stores them through Mem0MemoryStore into the Mem0 stand-in.
 * All 50 must arrive exactly once, in the order they were captured.
 */

const MEM0_KEY = "m0-outage-SECRET-91b7";
const TURNS = 50;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it("Mem0 down while the proxy captures 50 turns, then back up: all 50 arrive once, in order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mmm-mem0-outage-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const anthropic: AnthropicStub = await startAnthropicStub();
  cleanups.push(() => anthropic.close());
  const mem0 = await Mem0Stub.start({ apiKey: MEM0_KEY });
  cleanups.push(() => mem0.close());

  const config = validateConfig(
    {
      MEMORY_DATA_DIR: dir,
      MITM_PORT: "0",
      UPSTREAM_URL: anthropic.url,
      UPSTREAM_CA_FILE: anthropic.caFile,
      DEFAULT_USER_ID: "outage-user",
      MEM0_API_KEY: MEM0_KEY,
      MEM0_BASE_URL: mem0.url,
      MEM0_TIMEOUT_MS: "2000",
    },
    dir,
  );
  expect(config.backend).toBe("mem0");
  const logs: string[] = [];
  const logger = createLogger("debug", (line) => logs.push(line));
  const store = new Mem0MemoryStore(config.mem0, logger, {
    retry: { maxRetries: 1, baseDelayMs: 10 },
    addPollMs: 5,
  });
  const proxy: ProxyHandle = await startProxy({ config, store, logger, backoff: { baseMs: 20, maxMs: 250 } });
  cleanups.push(async () => {
    await proxy.close();
    await store.close();
  });

  await mem0.down();
  const client = new Anthropic({ apiKey: anthropic.apiKey, baseURL: proxy.url, maxRetries: 0 });
  for (let i = 0; i < TURNS; i++) {
    const reply = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      messages: [{ role: "user", content: `Outage turn ${i}: remember fact number ${i}` }],
    });
    expect(reply.content[0]).toMatchObject({ type: "text" });
  }
  // Every turn is captured and queued; none reached Mem0, and the worker has tried and failed.
  await until(
    () => proxy.stats().turnsQueued === TURNS && proxy.stats().capturing === 0,
    "50 queued turns",
    60_000,
  );
  await until(() => logs.some((l) => l.includes("UPSTREAM_UNREACHABLE")), "a failed store attempt", 60_000);
  expect(proxy.stats().turnsStored).toBe(0);
  expect(proxy.stats().outboxDepth).toBe(TURNS);
  expect(mem0.state.records.size).toBe(0);

  await mem0.up();
  await until(
    () => proxy.stats().outboxDepth === 0 && proxy.stats().turnsStored === TURNS,
    "the outbox to drain",
    60_000,
  );

  // Exactly once: 50 memories in Mem0, 50 successful add requests, no duplicates.
  const records = [...mem0.state.records.values()];
  expect(records).toHaveLength(TURNS);
  expect(mem0.served("POST", "/v3/memories/add/").filter((r) => r.status === 200)).toHaveLength(TURNS);
  const turnOf = (text: string) => Number(/Outage turn (\d+):/.exec(text)?.[1]);
  expect(new Set(records.map((r) => turnOf(r.memory))).size).toBe(TURNS);

  // In order: the adds reached Mem0 in capture order, and our newest-first list, reversed, is that order.
  const arrival = mem0
    .served("POST", "/v3/memories/add/")
    .map((r) =>
      turnOf(((r.body as { messages: { content: string }[] }).messages[0] as { content: string }).content),
    );
  expect(arrival).toEqual(Array.from({ length: TURNS }, (_, i) => i));
  const listed = (await store.list({ filters: { user_id: "outage-user" }, limit: 100 })).memories;
  expect(listed.map((m) => turnOf(m.memory)).reverse()).toEqual(arrival);
  expect(listed.every((m) => m.agent_id === "claude-code")).toBe(true);

  // The key never reached the logs, though every failure above was logged.
  expect(logs.join("\n")).not.toContain(MEM0_KEY);
});
