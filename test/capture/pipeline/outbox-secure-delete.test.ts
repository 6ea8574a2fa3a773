import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { counterSet } from "../../../src/capture/capture-stats.js";
import { Outbox } from "../../../src/capture/pipeline/outbox.js";
import { OutboxWorker } from "../../../src/capture/pipeline/outbox-worker.js";
import type { ConversationTurn } from "../../../src/core/capture/index.js";
import { silentLogger } from "../../../src/core/logger.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-outbox-scrub-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The outbox's files as bytes (main file and WAL), the way `strings` would read them. */
function outboxBytes(path: string): string {
  return [path, `${path}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString("latin1"))
    .join("\n");
}

function turn(n: number, marker: string): ConversationTurn {
  return {
    key: `key-${n}`,
    user_id: "u1",
    agent_id: "claude-code",
    app_id: "/work/p",
    run_id: "run-1",
    user_text: `deploy with the unredactable value ${marker}-${n}`,
    assistant_text: `done ${n}`,
    model: "claude-x",
    stop_reason: "end_turn",
    usage: { input_tokens: 3 },
    complete: true,
    error: null,
    started_at: "2026-01-01T00:00:00.000Z",
    ended_at: "2026-01-01T00:00:01.000Z",
    client: null,
  };
}

describe("delivered outbox payloads are gone from the files", () => {
  it("after delivery, no byte of a payload is left in outbox.db or its WAL", async () => {
    const marker = `zqx${randomBytes(8).toString("hex")}`;
    const path = join(dir, "outbox.db");
    const outbox = Outbox.open(path);
    const store = SqliteMemoryStore.open(join(dir, "memories.db"));
    const worker = new OutboxWorker({
      outbox,
      store,
      logger: silentLogger,
      count: counterSet().count,
      reflectionEvery: 0,
      backoff: { baseMs: 10, maxMs: 50 },
    });
    // Payloads of several KB (overflow pages) and small ones.
    for (let i = 0; i < 20; i++) {
      const t = turn(i, marker);
      if (i % 2 === 0) t.assistant_text = `${"long answer ".repeat(800)} ${marker}-tail-${i}`;
      outbox.enqueue(t);
    }
    expect(outboxBytes(path)).toContain(marker);
    worker.notify();
    await worker.drain(30_000);
    expect(outbox.counts()).toMatchObject({ pending: 0, done: 20 });
    expect((await store.list({ filters: { user_id: "u1" }, limit: 100 })).memories).toHaveLength(20);
    const disk = outboxBytes(path);
    expect(disk.length).toBeGreaterThan(0);
    expect(disk.includes(marker), "marker in the outbox files").toBe(false);
    worker.stop();
    outbox.close();
    await store.close();
    expect(outboxBytes(path).includes(marker), "marker after close").toBe(false);
  });
});
