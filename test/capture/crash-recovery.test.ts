import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Outbox } from "../../src/capture/pipeline/outbox.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { runCapture, spawnStart } from "./support/cli-process.js";
import { until } from "./support/harness.js";

let stub: AnthropicStub;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  stub = await startAnthropicStub();
  // Deterministic replies: the same question always gets the same answer (same turn key).
  stub.replier = (body) => {
    const text = String((body.messages as { content: string }[]).at(-1)?.content);
    return {
      content: [{ type: "text", text: `noted: ${text}` }],
      faults: text.startsWith("slow") ? { eventDelayMs: 300 } : {},
    };
  };
  dir = mkdtempSync(join(tmpdir(), "mmm-crash-"));
  env = {
    UPSTREAM_URL: stub.url,
    UPSTREAM_CA_FILE: stub.caFile,
    DEFAULT_USER_ID: "crash-user",
    LOG_LEVEL: "info",
  };
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

function outboxKeys(): number {
  try {
    const o = Outbox.open(join(dir, "outbox.db"), { readonly: true });
    try {
      return o.keys().length;
    } finally {
      o.close();
    }
  } catch {
    return 0;
  }
}

async function storedTexts(source: "capture" | "insights" = "capture"): Promise<string[]> {
  const store = SqliteMemoryStore.open(join(dir, "memories.db"), { readonly: true });
  try {
    const page = await store.list({ filters: { user_id: "crash-user" }, limit: 1000 });
    return page.memories
      .filter((m) => m.metadata.source === source)
      .map((m) => m.memory.split("\n")[0] ?? "")
      .sort();
  } finally {
    await store.close();
  }
}

async function ask(client: Anthropic, text: string, stream: boolean): Promise<void> {
  const params = { model: "m", max_tokens: 50, messages: [{ role: "user" as const, content: text }] };
  if (stream) await client.messages.stream(params).finalMessage();
  else await client.messages.create(params);
}

describe("kill -9 during capture, then restart", () => {
  it("stores every completed turn exactly once", async () => {
    const first = await spawnStart(dir, env);
    const client = new Anthropic({ apiKey: stub.apiKey, baseURL: first.url, maxRetries: 0 });
    const texts = Array.from({ length: 20 }, (_, i) => `turn number ${i}`);
    texts[0] = "I prefer tabs over spaces in this repository";
    for (const [i, t] of texts.entries()) await ask(client, t, i % 2 === 0);
    // The reflection hook (every REFLECTION_EVERY=5 stored turns) extracts the stated preference.
    await until(
      async () => (await storedTexts("insights")).length >= 1,
      "the hook to extract the preference",
    );

    // A stream still in flight when the process dies.
    const inFlight = client.messages.stream({
      model: "m",
      max_tokens: 50,
      messages: [{ role: "user", content: "slow one" }],
    });
    const failed = inFlight.finalMessage().then(
      () => false,
      () => true,
    );
    await new Promise((r) => inFlight.once("streamEvent", r));
    // Every completed exchange has reached the durable outbox (the worker may or may not have stored it).
    await until(() => outboxKeys() >= 20, "20 turns in the outbox");
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    expect(await failed).toBe(true);

    const second = await spawnStart(dir, env);
    const expected = texts.map((t) => `User: ${t}`).sort();
    await until(async () => (await storedTexts()).length >= 20, "the replay to store 20 turns");
    const status = JSON.parse((await runCapture(["--data-dir", dir, "status", "--json"], env)).stdout);
    expect(status).toMatchObject({ running: true, answering: true });

    // The client retries the interrupted turn and resends some old ones: new turns once, old ones never again.
    const again = new Anthropic({ apiKey: stub.apiKey, baseURL: second.url, maxRetries: 0 });
    await ask(again, "slow one", false);
    for (const t of texts.slice(0, 5)) await ask(again, t, false);
    // A stop leaves what capture has not read yet journaled for the next start (by design): wait until this
    // run has read the resent turns, so that the counters below are this run's.
    await until(
      async () =>
        JSON.parse((await runCapture(["--data-dir", dir, "status", "--json"], env)).stdout).run.duplicates ===
        5,
      "the 5 resent turns to be read as duplicates",
    );
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    const stored = await storedTexts();
    expect(stored).toEqual([...expected, "User: slow one"].sort());
    const finalStatus = JSON.parse(readFileSync(join(dir, "proxy-status.json"), "utf8"));
    expect(finalStatus.running).toBe(false);
    expect(finalStatus.stats.outboxDepth).toBe(0);
    expect(finalStatus.stats.duplicates).toBe(5);
    // Extraction ran once per turn: the preference is one derived memory, not one per replay.
    expect(await storedTexts("insights")).toHaveLength(1);
  });

  it("a reply the client has seen is in the spool: killed before it reached the journal, the next start stores it", async () => {
    const spooled = () => {
      const root = join(dir, "spool");
      return existsSync(root)
        ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
        : 0;
    };
    const before = (await storedTexts()).length;
    // Another connection holds journal.db's write lock: nothing can move from the spool into the journal.
    const lock = new Database(join(dir, "journal.db"));
    lock.pragma("busy_timeout = 5000");
    let third: Awaited<ReturnType<typeof spawnStart>> | null = null;
    try {
      const first = await spawnStart(dir, env);
      lock.exec("BEGIN IMMEDIATE");
      const client = new Anthropic({ apiKey: stub.apiKey, baseURL: first.url, maxRetries: 0 });
      const texts = ["spooled one", "spooled two", "spooled three"];
      for (const [i, t] of texts.entries()) await ask(client, t, i === 1);
      // The client has every reply; the exchanges are only in the spool.
      expect(spooled()).toBeGreaterThan(0);
      first.child.kill("SIGKILL");
      expect(await first.exited).toBe("SIGKILL");
      lock.exec("COMMIT");

      third = await spawnStart(dir, env);
      await until(async () => (await storedTexts()).length >= before + 3, "the spooled turns to be stored");
      const stored = await storedTexts();
      for (const t of texts) expect(stored.filter((x) => x === `User: ${t}`)).toHaveLength(1);
      // The killed run's spool was read back and deleted.
      await until(() => spooled() === 0, "the killed run's spool deleted");
    } finally {
      if (lock.inTransaction) lock.exec("COMMIT");
      lock.close();
      third?.child.kill("SIGTERM");
    }
    expect(await third?.exited).toBe(0);
  });
});
