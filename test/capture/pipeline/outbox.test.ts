import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Count, counterSet } from "../../../src/capture/capture-stats.js";
import { CapturePipeline } from "../../../src/capture/pipeline/capture-pipeline.js";
import { EpisodeTracker } from "../../../src/capture/pipeline/episode-tracker.js";
import { journalMeta } from "../../../src/capture/pipeline/exchange-journal.js";
import { Outbox } from "../../../src/capture/pipeline/outbox.js";
import {
  DELIVERY_BATCH,
  jitteredBackoffDelay,
  OutboxWorker,
  STORED_LINES_PER_S,
} from "../../../src/capture/pipeline/outbox-worker.js";
import { BodyTee } from "../../../src/capture/proxy/body-tee.js";
import type { RawExchange } from "../../../src/capture/proxy/forward.js";
import type { ConversationTurn } from "../../../src/core/capture/index.js";
import { InvalidInputError, MemoryError } from "../../../src/core/errors.js";
import { createLogger, silentLogger } from "../../../src/core/logger.js";
import type { AddInput } from "../../../src/core/types.js";
import type { MemoryStore } from "../../../src/store/memory-store.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { until } from "../support/harness.js";

let dir: string;
let store: SqliteMemoryStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-outbox-"));
  store = SqliteMemoryStore.open(join(dir, "memories.db"));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function turn(n: number, extra: Partial<ConversationTurn> = {}): ConversationTurn {
  return {
    key: `key-${n}`,
    user_id: "u1",
    agent_id: "claude-code",
    app_id: "/work/p",
    run_id: "run-1",
    user_text: `question ${n}`,
    assistant_text: `answer ${n}`,
    model: "claude-x",
    stop_reason: "end_turn",
    usage: { input_tokens: 3 },
    complete: true,
    error: null,
    started_at: "2026-01-01T00:00:00.000Z",
    ended_at: "2026-01-01T00:00:01.000Z",
    client: null,
    ...extra,
  };
}

/** The real store, with failures injected in front of it: each add or addMany is one call of the plan. */
function flaky(
  real: MemoryStore,
  plan: (call: number, inputs: AddInput[]) => "fail" | "add-then-fail" | "ok",
): MemoryStore & { calls: number } {
  const wrapper = Object.create(real) as MemoryStore & { calls: number };
  wrapper.calls = 0;
  const step = async <T>(inputs: AddInput[], write: () => Promise<T>): Promise<T> => {
    const s = plan(wrapper.calls++, inputs);
    if (s === "fail") throw new MemoryError("STORE_UNAVAILABLE", "store is down");
    const r = await write();
    if (s === "add-then-fail") throw new MemoryError("STORE_UNAVAILABLE", "crashed after writing");
    return r;
  };
  wrapper.add = (input) => step([input], () => real.add(input));
  wrapper.addMany = (inputs) => step(inputs, () => real.addMany(inputs));
  return wrapper;
}

async function memories(): Promise<string[]> {
  return (await store.list({ filters: { user_id: "u1" }, limit: 100 })).memories.map((m) => m.memory).sort();
}

const FAST = { baseMs: 2, maxMs: 10 };

/** An outbox worker on the test's store and the capture pipeline in front of it, as the proxy builds them. */
function pipelineOn(outbox: Outbox, count: Count): { worker: OutboxWorker; pipeline: CapturePipeline } {
  const worker = new OutboxWorker({ outbox, store, logger: silentLogger, count, reflectionEvery: 5 });
  const pipeline = new CapturePipeline({
    outbox,
    tracker: new EpisodeTracker(outbox),
    worker,
    logger: silentLogger,
    count,
    extract: { defaultUserId: "u1", defaultAgentId: "claude-code" },
  });
  return { worker, pipeline };
}

describe("outbox and worker", () => {
  it("creates a private WAL database and queues each turn key once", () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    expect(outbox.enqueue(turn(1))).toBe(true);
    expect(outbox.enqueue(turn(1))).toBe(false);
    expect(outbox.counts()).toEqual({ pending: 1, done: 0, failed: 0 });
    if (process.platform !== "win32") expect(statSync(join(dir, "outbox.db")).mode & 0o777).toBe(0o600);
    outbox.close();
  });

  it("retries with backoff while the store is down, then stores each turn once", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const s = flaky(store, (call) => (call < 3 ? "fail" : "ok"));
    const { counters, count } = counterSet();
    const worker = new OutboxWorker({
      outbox,
      store: s,
      logger: silentLogger,
      count,
      reflectionEvery: 5,
      backoff: FAST,
    });
    outbox.enqueue(turn(1));
    outbox.enqueue(turn(2));
    worker.notify();
    await until(() => outbox.counts().done === 2, "both turns stored");
    expect(await memories()).toEqual([
      "User: question 1\nAssistant: answer 1",
      "User: question 2\nAssistant: answer 2",
    ]);
    // Both rows go to the store in one call: three refused, the fourth stores both.
    expect(s.calls).toBe(4);
    expect(counters).toMatchObject({ turnsStored: 2, captureFailures: 0 });
    worker.stop();
    outbox.close();
  });

  it("does not store a turn twice when a crash comes between the store's write and the outbox update", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const s = flaky(store, (call) => (call === 0 ? "add-then-fail" : "ok"));
    const { counters, count } = counterSet();
    const worker = new OutboxWorker({
      outbox,
      store: s,
      logger: silentLogger,
      count,
      reflectionEvery: 5,
      backoff: FAST,
    });
    outbox.enqueue(turn(7));
    worker.notify();
    await until(() => outbox.counts().done === 1, "the turn marked done");
    expect(await memories()).toEqual(["User: question 7\nAssistant: answer 7"]);
    expect(counters.duplicates).toBe(1);
    worker.stop();
    outbox.close();
  });

  it("holds deliveries while holdWhile says the disk is full, then stores every turn once", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    let full = true;
    let checks = 0;
    let adds = 0;
    const counting: MemoryStore = Object.assign(Object.create(store) as MemoryStore, {
      addMany: (inputs: AddInput[]) => {
        adds++;
        return store.addMany(inputs);
      },
      add: (input: AddInput) => {
        adds++;
        return store.add(input);
      },
    });
    const worker = new OutboxWorker({
      outbox,
      store: counting,
      logger: silentLogger,
      count: counterSet().count,
      reflectionEvery: 5,
      backoff: FAST,
      holdWhile: () => {
        checks++;
        return full;
      },
    });
    outbox.enqueue(turn(1));
    outbox.enqueue(turn(2));
    worker.notify();
    // Checked again and again (after the backoff's base delay), and nothing reaches the store.
    await until(() => checks >= 3, "the hold checked again");
    expect(adds).toBe(0);
    expect(outbox.counts()).toEqual({ pending: 2, done: 0, failed: 0 });
    full = false;
    await until(() => outbox.counts().done === 2, "both turns stored once there is room");
    expect(await memories()).toHaveLength(2);
    worker.stop();
    outbox.close();
  });

  it("replays pending turns after a restart", async () => {
    const first = Outbox.open(join(dir, "outbox.db"));
    for (let i = 0; i < 3; i++) first.enqueue(turn(i));
    first.close(); // the process died before the worker ran

    const outbox = Outbox.open(join(dir, "outbox.db"));
    const worker = new OutboxWorker({
      outbox,
      store,
      logger: silentLogger,
      count: counterSet().count,
      reflectionEvery: 5,
    });
    worker.notify();
    await worker.drain(10_000);
    expect(outbox.counts()).toEqual({ pending: 0, done: 3, failed: 0 });
    expect(await memories()).toHaveLength(3);
    // The keys stay: the same turns arriving again are not queued again.
    expect(outbox.enqueue(turn(1))).toBe(false);
    worker.stop();
    outbox.close();
  });

  it("marks input the store rejects as failed and carries on; calls the reflection hook every N stored", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    // As the store's own checks do: one bad item refuses the whole addMany, before anything is written.
    const refuses = (input: AddInput) => input.memory.includes("question 3");
    const rejecting = Object.create(store) as MemoryStore;
    rejecting.add = async (input) => {
      if (refuses(input)) throw new InvalidInputError("memory: too long");
      return store.add(input);
    };
    rejecting.addMany = async (inputs) => {
      if (inputs.some(refuses)) throw new InvalidInputError("memory: too long");
      return store.addMany(inputs);
    };
    const calls: number[] = [];
    const { counters, count } = counterSet();
    const worker = new OutboxWorker({
      outbox,
      store: rejecting,
      logger: silentLogger,
      count,
      reflectionEvery: 2,
      onMemoriesStored: (n) => calls.push(n),
    });
    for (let i = 1; i <= 6; i++) outbox.enqueue(turn(i));
    worker.notify();
    await worker.drain(10_000);
    expect(outbox.counts()).toEqual({ pending: 0, done: 5, failed: 1 });
    expect(counters).toMatchObject({ turnsStored: 5, captureFailures: 1 });
    expect(calls).toEqual([2, 2]);
    worker.stop();
    outbox.close();
  });

  it("reads an outbox written before episodes (read-only, no pending_episodes table) and delivers its turns", async () => {
    const path = join(dir, "old-outbox.db");
    const old = new Database(path);
    old.exec(
      "CREATE TABLE outbox (id INTEGER PRIMARY KEY, turn_key TEXT NOT NULL UNIQUE, payload TEXT, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT, memory_id TEXT, created_at INTEGER NOT NULL, finished_at INTEGER); CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    );
    old
      .prepare("INSERT INTO outbox (turn_key, payload, next_attempt_at, created_at) VALUES (?, ?, 0, 0)")
      .run("legacy-key", JSON.stringify(turn(7)));
    old.close();
    const readonly = Outbox.open(path, { readonly: true });
    expect(readonly.pendingEpisodeCount()).toBe(0);
    expect(readonly.counts().pending).toBe(1);
    readonly.close();
    const outbox = Outbox.open(path);
    const worker = new OutboxWorker({
      outbox,
      store,
      logger: silentLogger,
      count: counterSet().count,
      reflectionEvery: 5,
    });
    worker.notify();
    await worker.drain(10_000);
    expect(await memories()).toEqual(["User: question 7\nAssistant: answer 7"]);
    worker.stop();
    outbox.close();
  });

  it("stores a backlog in batches (one addMany per batch) and each row once", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const batches: number[] = [];
    const counting = Object.create(store) as MemoryStore;
    counting.addMany = async (inputs) => {
      batches.push(inputs.length);
      return store.addMany(inputs);
    };
    const { counters, count } = counterSet();
    const worker = new OutboxWorker({
      outbox,
      store: counting,
      logger: silentLogger,
      count,
      reflectionEvery: 5,
    });
    const n = 2 * DELIVERY_BATCH + 50;
    for (let i = 0; i < n; i++) outbox.enqueue(turn(i));
    outbox.enqueue(turn(3, { key: "key-3-again" })); // the same text under another key: a duplicate
    worker.notify();
    await worker.drain(10_000);
    expect(batches).toEqual([DELIVERY_BATCH, DELIVERY_BATCH, 51]);
    expect(outbox.counts()).toEqual({ pending: 0, done: n + 1, failed: 0 });
    expect(counters).toMatchObject({ turnsStored: n, duplicates: 1 });
    expect((await store.stats("u1")).memories).toBe(n);
    worker.stop();
    outbox.close();
  });

  it("backs off exponentially up to the cap", () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 9].map((a) => jitteredBackoffDelay(a, p, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });
});

describe("capture pipeline", () => {
  function exchange(text: string): RawExchange {
    const req = new BodyTee(1024 * 1024);
    req.push(
      Buffer.from(
        JSON.stringify({ model: "m", max_tokens: 100, messages: [{ role: "user", content: text }] }),
      ),
    );
    const res = new BodyTee(1024 * 1024);
    res.push(
      Buffer.from(
        JSON.stringify({
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "m",
          content: [{ type: "text", text: `re: ${text}` }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
      ),
    );
    return {
      method: "POST",
      path: "/v1/messages",
      host: "api.anthropic.com",
      requestHeaders: { "content-type": "application/json" },
      requestBody: req,
      status: 200,
      responseHeaders: { "content-type": "application/json" },
      responseBody: res,
      responseComplete: true,
      startedAt: new Date(),
      endedAt: new Date(),
      failure: null,
    };
  }

  it("holds turns in memory while the outbox cannot be written (disk full), then writes them", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const realEnqueue = outbox.enqueue.bind(outbox);
    let full = true;
    outbox.enqueue = (t) => {
      if (full) throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
      return realEnqueue(t);
    };
    const { counters, count } = counterSet();
    const { worker, pipeline } = pipelineOn(outbox, count);
    pipeline.submit(exchange("first while full"));
    pipeline.submit(exchange("second while full"));
    await pipeline.settle(10_000);
    expect(pipeline.heldCount()).toBe(2);
    expect(outbox.counts().pending).toBe(0);

    full = false;
    pipeline.submit(exchange("after space came back"));
    await pipeline.settle(10_000);
    await worker.drain(10_000);
    expect(pipeline.heldCount()).toBe(0);
    expect(await memories()).toEqual([
      "User: after space came back\nAssistant: re: after space came back",
      "User: first while full\nAssistant: re: first while full",
      "User: second while full\nAssistant: re: second while full",
    ]);
    expect(counters).toMatchObject({ turnsQueued: 3, turnsStored: 3 });
    pipeline.stop();
    worker.stop();
    outbox.close();
  });

  it("reads a journal backlog in batches; a batch the outbox refuses is recorded one by one, holding only from the refused one on", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const noise = exchange("not a turn");
    noise.path = "/v1/models";
    const texts = ["one", "two", "three (refused)", "four", "five"];
    for (const raw of [exchange("one"), exchange("two"), noise, ...texts.slice(2).map(exchange)])
      outbox.journalExchange(journalMeta(raw), raw.requestBody.bytes(), raw.responseBody.bytes());
    const realEnqueue = outbox.enqueue.bind(outbox);
    let full = true;
    outbox.enqueue = (t) => {
      if (full && JSON.stringify(t).includes("refused"))
        throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
      return realEnqueue(t);
    };
    const { counters, count } = counterSet();
    const { worker, pipeline } = pipelineOn(outbox, count);
    expect(await pipeline.replayJournal()).toBe(6);
    // The batch's transaction failed as a whole; row by row, the first two and the noise are
    // recorded, the refused one and the two after it (order is kept) are held and stay journaled.
    expect(pipeline.heldCount()).toBe(3);
    expect(outbox.journalDepth()).toBe(3);
    expect(outbox.counts().pending + outbox.counts().done).toBe(2);

    full = false;
    await pipeline.settle(10_000);
    await worker.drain(10_000);
    expect(pipeline.heldCount()).toBe(0);
    expect(outbox.journalDepth()).toBe(0);
    expect(await memories()).toEqual(texts.map((t) => `User: ${t}\nAssistant: re: ${t}`).sort());
    expect(counters).toMatchObject({ turnsQueued: 5, turnsStored: 5, skippedNoise: 1 });
    // A second backlog, nothing refused: one transaction per batch, everything recorded.
    for (let i = 0; i < 120; i++) {
      const raw = exchange(`backlog ${i}`);
      outbox.journalExchange(journalMeta(raw), raw.requestBody.bytes(), raw.responseBody.bytes());
    }
    expect(await pipeline.replayJournal()).toBe(120);
    expect(outbox.journalDepth()).toBe(0);
    await worker.drain(10_000);
    expect(counters).toMatchObject({ turnsQueued: 125, turnsStored: 125 });
    pipeline.stop();
    worker.stop();
    outbox.close();
  });

  it("logs one line per stored episode up to a limit a second, and the rest of that second as one line", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger("info", (line) => lines.push(JSON.parse(line)));
    const { counters, count } = counterSet();
    // A clock that does not move: every episode falls in the same second.
    const worker = new OutboxWorker({
      outbox,
      store,
      logger,
      count,
      reflectionEvery: 5,
      clock: () => 1_000_000,
    });
    const pipeline = new CapturePipeline({
      outbox,
      tracker: new EpisodeTracker(outbox),
      worker,
      logger,
      count,
      extract: { defaultUserId: "u1", defaultAgentId: "claude-code" },
    });
    const n = 3 * STORED_LINES_PER_S;
    for (let i = 0; i < n; i++) {
      const raw = exchange(`swarm ${i}`);
      outbox.journalExchange(journalMeta(raw), raw.requestBody.bytes(), raw.responseBody.bytes());
    }
    await pipeline.replayJournal();
    await worker.drain(10_000);
    expect(counters.turnsStored).toBe(n);
    const one = lines.filter((l) => l.msg === "episode stored");
    const summed = lines.filter((l) => l.msg === "episodes stored, not logged one by one");
    expect(one).toHaveLength(STORED_LINES_PER_S);
    expect(summed.map((l) => l.count)).toEqual([n - STORED_LINES_PER_S]);
    expect(JSON.stringify(lines)).not.toContain("swarm");
    pipeline.stop();
    worker.stop();
    outbox.close();
  });

  it("keeps the journal in journal.db: a commit there never waits for a write transaction on outbox.db", () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const other = new Database(join(dir, "outbox.db"));
    other.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    try {
      const raw = exchange("while capture holds the outbox lock");
      outbox.journalExchange(journalMeta(raw), raw.requestBody.bytes(), raw.responseBody.bytes());
      outbox.journalExchanges([
        {
          meta: JSON.stringify(journalMeta(raw)),
          request: raw.requestBody.bytes(),
          response: raw.responseBody.bytes(),
        },
      ]);
    } finally {
      other.exec("COMMIT");
      other.close();
    }
    expect(outbox.journalDepth()).toBe(2);
    if (process.platform !== "win32") expect(statSync(join(dir, "journal.db")).mode & 0o777).toBe(0o600);
    outbox.close();
  });

  it("an exchange recorded but not yet deleted from journal.db (a crash between the two commits) is never read again, and its id is never reused", async () => {
    let outbox = Outbox.open(join(dir, "outbox.db"));
    const raw = exchange("recorded before the crash");
    const id = outbox.journalExchange(journalMeta(raw), raw.requestBody.bytes(), raw.responseBody.bytes());
    outbox.close();
    // What the recording transaction leaves when the process dies before the journal.db delete.
    const o = new Database(join(dir, "outbox.db"));
    o.prepare("INSERT INTO journal_done (id) VALUES (?)").run(id);
    o.close();
    outbox = Outbox.open(join(dir, "outbox.db"));
    expect(outbox.journalDepth()).toBe(0);
    expect(outbox.journaledExchanges(100)).toEqual([]);
    outbox.close();
    // Even with journal.db removed by hand while an id is still recorded, a new row gets a new id.
    const o2 = new Database(join(dir, "outbox.db"));
    o2.prepare("INSERT INTO journal_done (id) VALUES (?)").run(id + 7);
    o2.close();
    for (const f of ["journal.db", "journal.db-wal", "journal.db-shm"]) rmSync(join(dir, f), { force: true });
    outbox = Outbox.open(join(dir, "outbox.db"));
    const next = exchange("after journal.db was removed");
    const nextId = outbox.journalExchange(
      journalMeta(next),
      next.requestBody.bytes(),
      next.responseBody.bytes(),
    );
    expect(nextId).toBeGreaterThan(id + 7);
    const { counters, count } = counterSet();
    const { worker, pipeline } = pipelineOn(outbox, count);
    expect(await pipeline.replayJournal()).toBe(1);
    await worker.drain(10_000);
    expect(await memories()).toEqual([
      "User: after journal.db was removed\nAssistant: re: after journal.db was removed",
    ]);
    expect(counters.turnsStored).toBe(1);
    expect(outbox.journalDepth()).toBe(0);
    pipeline.stop();
    worker.stop();
    outbox.close();
    const left = new Database(join(dir, "outbox.db"), { readonly: true });
    expect(left.prepare("SELECT COUNT(*) AS n FROM journal_done").get()).toEqual({ n: 0 });
    left.close();
  });

  it("reads what an older version journaled in outbox.db first, then journal.db, each exchange once", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const legacy = new Database(join(dir, "outbox.db"));
    const insert = legacy.prepare(
      "INSERT INTO exchanges (meta, request, response, created_at) VALUES (?, ?, ?, ?)",
    );
    for (const text of ["old one", "old two"]) {
      const raw = exchange(text);
      insert.run(
        JSON.stringify(journalMeta(raw)),
        raw.requestBody.bytes(),
        raw.responseBody.bytes(),
        Date.now(),
      );
    }
    legacy.close();
    const reopened = Outbox.open(join(dir, "outbox.db"));
    outbox.close();
    const raw = exchange("new one");
    reopened.journalExchange(journalMeta(raw), raw.requestBody.bytes(), raw.responseBody.bytes());
    expect(reopened.journalDepth()).toBe(3);
    const { counters, count } = counterSet();
    const { worker, pipeline } = pipelineOn(reopened, count);
    expect(await pipeline.replayJournal()).toBe(3);
    await worker.drain(10_000);
    expect(await memories()).toEqual(
      ["new one", "old one", "old two"].map((t) => `User: ${t}\nAssistant: re: ${t}`),
    );
    expect(counters).toMatchObject({ turnsQueued: 3, turnsStored: 3 });
    expect(reopened.journalDepth()).toBe(0);
    expect(await pipeline.replayJournal()).toBe(0);
    pipeline.stop();
    worker.stop();
    reopened.close();
  });
});
