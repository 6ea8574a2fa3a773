import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { counterSet } from "../../../src/capture/capture-stats.js";
import { EpisodeTracker, type EpisodeUpdate } from "../../../src/capture/pipeline/episode-tracker.js";
import { Outbox } from "../../../src/capture/pipeline/outbox.js";
import { OutboxWorker } from "../../../src/capture/pipeline/outbox-worker.js";
import { buildEpisode, type EpisodeReply } from "../../../src/core/episodes/index.js";
import { silentLogger } from "../../../src/core/logger.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";

/** The tracker on a real outbox file: episodes in progress, finished, abandoned, idle, and across a restart. */

let dir: string;
let outbox: Outbox;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-tracker-"));
  outbox = Outbox.open(join(dir, "outbox.db"));
});
afterEach(() => {
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const ask = (text: string) => ({ role: "user", content: text });
const callRead = (id: string) => ({
  role: "assistant",
  content: [{ type: "tool_use", id, name: "Read", input: { file_path: `/p/${id}.ts` } }],
});
const result = (id: string) => ({
  role: "user",
  content: [{ type: "tool_result", tool_use_id: id, content: "body" }],
});

function update(
  messages: unknown[],
  reply: EpisodeReply,
  conversation = "session:s1",
  at = "2026-12-01T10:00:00.000Z",
): EpisodeUpdate {
  const episode = buildEpisode({
    messages,
    reply,
    userId: "u",
    agentId: "a",
    project: "/p",
    session: "s1",
    client: null,
    source: "capture",
    startedAt: at,
    endedAt: at,
    usage: { output_tokens: 10 },
  });
  if (!episode) throw new Error("no episode");
  const start = messages.findIndex((m) => (m as { content: unknown }).content === episode.words);
  return {
    kind: "episode",
    conversation,
    identity: `${start}:${episode.words}`,
    ends: episode.complete,
    episode,
  };
}

const toolReply = (id: string): EpisodeReply => ({
  content: [{ type: "tool_use", id, name: "Read", input: { file_path: `/p/${id}.ts` } }],
  stop_reason: "tool_use",
  model: "m",
  complete: true,
});
const answer = (text: string): EpisodeReply => ({
  content: [{ type: "text", text }],
  stop_reason: "end_turn",
  model: "m",
  complete: true,
});

function queuedPayloads(): {
  key: string;
  complete: boolean;
  words: string;
  requests: number;
  usage: unknown;
}[] {
  return outbox.due(Date.now() + 1, 100).map((r) => r.payload as never);
}

describe("EpisodeTracker", () => {
  it("keeps an episode in progress until a reply ends it; usage adds up and the start time stays", () => {
    const t = new EpisodeTracker(outbox, 60_000);
    const q = [ask("fix it")];
    expect(t.observe(update(q, toolReply("a"), undefined, "2026-12-01T10:00:00.000Z")).queued).toEqual([]);
    expect(
      t.observe(
        update([...q, callRead("a"), result("a")], toolReply("b"), undefined, "2026-12-01T10:00:05.000Z"),
      ).queued,
    ).toEqual([]);
    expect(outbox.pendingEpisodeCount()).toBe(1);
    const done = t.observe(
      update(
        [...q, callRead("a"), result("a"), callRead("b"), result("b")],
        answer("fixed"),
        undefined,
        "2026-12-01T10:00:09.000Z",
      ),
    );
    expect(done.queued).toHaveLength(1);
    expect(done.queued[0]).toMatchObject({
      complete: true,
      requests: 3,
      usage: { output_tokens: 30 },
      started_at: "2026-12-01T10:00:00.000Z",
      files_read: ["/p/a.ts", "/p/b.ts"],
    });
    expect(outbox.pendingEpisodeCount()).toBe(0);
    expect(queuedPayloads()).toHaveLength(1);
  });

  it("a resent ending request is queued once", () => {
    const t = new EpisodeTracker(outbox, 60_000);
    const u = update([ask("hello")], answer("hi"));
    expect(t.observe(u).duplicates).toBe(0);
    expect(t.observe(u).duplicates).toBe(1);
    expect(queuedPayloads()).toHaveLength(1);
  });

  it("a new question in the same conversation queues the unfinished one as incomplete", () => {
    const t = new EpisodeTracker(outbox, 60_000);
    t.observe(update([ask("first")], toolReply("a")));
    const r = t.observe(update([ask("first"), callRead("a"), result("a"), ask("second")], answer("ok")));
    expect(r.queued.map((e) => [e.words, e.complete, e.incomplete_reason])).toEqual([
      ["first", false, "interrupted: the session moved on to a new request"],
      ["second", true, null],
    ]);
    expect(outbox.pendingEpisodeCount()).toBe(0);
  });

  it("other conversations do not disturb each other", () => {
    const t = new EpisodeTracker(outbox, 60_000);
    t.observe(update([ask("one")], toolReply("a"), "session:A"));
    t.observe(update([ask("two")], toolReply("b"), "session:B"));
    expect(outbox.pendingEpisodeCount()).toBe(2);
    expect(
      t.observe(update([ask("one"), callRead("a"), result("a")], answer("done"), "session:A")).queued,
    ).toHaveLength(1);
    expect(outbox.pendingEpisodeCount()).toBe(1);
  });

  it("an episode idle longer than the idle time is queued as incomplete by the sweep (injected clock)", () => {
    const t = new EpisodeTracker(outbox, 5 * 60_000);
    const now = Date.parse("2026-12-01T10:00:00.000Z");
    t.observe(update([ask("waiting for permission")], toolReply("a")), now);
    expect(t.sweep(now + 4 * 60_000).queued).toEqual([]);
    const swept = t.sweep(now + 5 * 60_000 + 1);
    expect(swept.queued.map((e) => [e.words, e.complete, e.incomplete_reason])).toEqual([
      ["waiting for permission", false, "abandoned: no request for 5 min"],
    ]);
    expect(outbox.pendingEpisodeCount()).toBe(0);
  });

  it("the episode in progress survives closing and reopening the outbox (a restart)", () => {
    new EpisodeTracker(outbox, 60_000).observe(update([ask("long task")], toolReply("a")));
    outbox.close();
    outbox = Outbox.open(join(dir, "outbox.db"));
    const done = new EpisodeTracker(outbox, 60_000).observe(
      update([ask("long task"), callRead("a"), result("a")], answer("done")),
    );
    expect(done.queued[0]).toMatchObject({ complete: true, requests: 2, usage: { output_tokens: 20 } });
  });

  it("writes nothing of an update when the outbox fails mid-way", () => {
    const t = new EpisodeTracker(outbox, 60_000);
    t.observe(update([ask("first")], toolReply("a")));
    const realEnqueue = outbox.enqueue.bind(outbox);
    let calls = 0;
    outbox.enqueue = (item, now) => {
      calls++;
      if (calls === 2) throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
      return realEnqueue(item, now);
    };
    // Abandoning "first" is written, then queuing "second" fails: the whole update rolls back.
    expect(() => t.observe(update([ask("first"), ask("second")], answer("ok")))).toThrow(/disk is full/);
    expect(queuedPayloads()).toEqual([]);
    expect(outbox.pendingEpisode("session:s1")?.episode.words).toBe("first");
  });
});

describe("OutboxWorker with episodes", () => {
  it("does not store an episode whose key another way in (the transcript reader) stored already", async () => {
    const store = SqliteMemoryStore.open(join(dir, "memories.db"));
    const { counters, count } = counterSet();
    const worker = new OutboxWorker({ outbox, store, logger: silentLogger, count, reflectionEvery: 100 });
    const u = update([ask("hello")], answer("hi"));
    // The transcript reader stores an episode under its session, as capture does (the key includes it).
    expect(u.episode.run_id).not.toBeNull();
    await store.add({
      user_id: "u",
      run_id: u.episode.run_id ?? undefined,
      memory: "User: hello\nAssistant: hi (as the transcript had it)",
      metadata: { kind: "episode", source: "transcript", episode_key: u.episode.key },
    });
    new EpisodeTracker(outbox, 60_000).observe(u);
    worker.notify();
    await worker.drain(10_000);
    const mems = (await store.list({ filters: { user_id: "u" } })).memories;
    expect(mems.map((m) => m.metadata.source)).toEqual(["transcript"]);
    expect(counters).toMatchObject({ duplicates: 1, turnsStored: 0 });
    expect(outbox.counts()).toMatchObject({ pending: 0, done: 1 });
    worker.stop();
    await store.close();
  });

  it("a complete episode replaces the incomplete version stored while it waited", async () => {
    const store = SqliteMemoryStore.open(join(dir, "memories.db"));
    const { counters, count } = counterSet();
    const worker = new OutboxWorker({ outbox, store, logger: silentLogger, count, reflectionEvery: 100 });
    const t = new EpisodeTracker(outbox, 60_000);
    const now = Date.now() - 300_000; // the injected clock stays in the past: rows are due at once
    t.observe(update([ask("deploy it")], toolReply("a")), now);
    t.sweep(now + 120_000);
    worker.notify();
    await worker.drain(10_000);
    const mid = (await store.list({ filters: { user_id: "u" } })).memories;
    expect(mid.map((m) => m.metadata.complete)).toEqual([false]);

    // Permission granted after lunch: the episode goes on and ends.
    t.observe(update([ask("deploy it"), callRead("a"), result("a")], answer("deployed")), now + 130_000);
    worker.notify();
    await worker.drain(10_000);
    const after = (await store.list({ filters: { user_id: "u" } })).memories;
    expect(after.map((m) => [m.metadata.complete, m.memory.split("\n")[1]])).toEqual([
      [true, "Assistant: deployed"],
    ]);
    expect(counters.turnsStored).toBe(2);
    worker.stop();
    await store.close();
  });
});
