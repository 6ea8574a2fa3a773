import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type JournalMeta, Outbox } from "../../../src/capture/pipeline/outbox.js";
import { JournalWriter } from "../../../src/capture/proxy/journal-writer.js";
import { silentLogger } from "../../../src/core/logger.js";
import { sampleJournalMeta as meta } from "../support/journal-meta.js";

// The writer's thread runs compiled code: the built entry (the vitest global setup rebuilds dist).
const entry = pathToFileURL(join(import.meta.dirname, "..", "..", "..", "dist", "cli", "journal-thread.js"));

let dir: string;
let outbox: Outbox;
let writer: JournalWriter;
let durableBatches = 0;
let unwritten = 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-journal-writer-"));
  const path = join(dir, "outbox.db");
  outbox = Outbox.open(path);
  durableBatches = 0;
  unwritten = 0;
  writer = new JournalWriter({
    data: { outboxPath: path, dataDir: dir, diskReserveBytes: 0, logLevel: "silent" },
    fallback: outbox,
    logger: silentLogger,
    entry,
    onDurable: () => durableBatches++,
    onUnwritten: () => unwritten++,
  });
});
afterEach(async () => {
  await writer.close();
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The journal as another connection sees it (what survives this process). */
function journaled(): { meta: string; request: Buffer; response: Buffer }[] {
  const db = new Database(join(dir, "journal.db"), { readonly: true });
  try {
    return db.prepare("SELECT meta, request, response FROM exchanges ORDER BY id").all() as {
      meta: string;
      request: Buffer;
      response: Buffer;
    }[];
  } finally {
    db.close();
  }
}

describe("JournalWriter (the journal written on its own thread)", () => {
  it("resolves each exchange only once it is on disk, bodies byte for byte, in order", async () => {
    const n = 200;
    const seenAtResolve: number[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) => {
        // A chunk that is a view into a larger buffer: only its own bytes are journaled.
        const big = Buffer.from(`xxxx request ${i} yyyy`);
        const request = big.subarray(4, big.length - 5);
        return writer
          .journal(meta(i), request, Buffer.from(`response ${i}`))
          .then(() => seenAtResolve.push(journaled().length));
      }),
    );
    const rows = journaled();
    expect(rows).toHaveLength(n);
    rows.forEach((r, i) => {
      expect(r.request.toString()).toBe(` request ${i}`);
      expect(r.response.toString()).toBe(`response ${i}`);
      expect((JSON.parse(r.meta) as JournalMeta).startedAt).toBe(new Date(i).toISOString());
    });
    // When the k-th exchange resolved, at least k rows were readable by another connection.
    seenAtResolve.forEach((seen, k) => {
      expect(seen).toBeGreaterThanOrEqual(k + 1);
    });
    expect(durableBatches).toBeGreaterThan(0);
    expect(durableBatches).toBeLessThanOrEqual(n);
    expect(unwritten).toBe(0);
    expect(writer.inFlight()).toBe(0);
    expect((await writer.refresh()).capturing).toBe(n);
  });

  it("waits for a lock another connection holds, and never reports durable before its commit", async () => {
    const other = new Database(join(dir, "journal.db"));
    other.pragma("busy_timeout = 2000");
    other.exec("BEGIN IMMEDIATE");
    let resolved = false;
    const done = writer.journal(meta(1), Buffer.from("req"), Buffer.from("res")).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(resolved).toBe(false);
    other.exec("COMMIT");
    other.close();
    await done;
    expect(journaled()).toHaveLength(1);
    expect(unwritten).toBe(0);
  });

  it("journals what its thread never confirmed on this thread when the thread dies, from the chunks as they came", async () => {
    // A thread that ends before it reads a message: the exchanges posted to it (their buffers
    // moved there) are journaled here, from the chunks the forwarder kept.
    const dying = join(dir, "dying-thread.mjs");
    writeFileSync(dying, "process.exit(3);\n");
    const fallback = Outbox.open(join(dir, "outbox.db"));
    let durable = 0;
    const other = new JournalWriter({
      data: { outboxPath: join(dir, "outbox.db"), dataDir: dir, diskReserveBytes: 0, logLevel: "silent" },
      fallback,
      logger: silentLogger,
      entry: pathToFileURL(dying),
      onDurable: () => durable++,
      onUnwritten: () => unwritten++,
    });
    const big = Buffer.from("xxxxresponse part two yyyy");
    await Promise.all([
      other.journal(meta(1), [Buffer.from("request "), Buffer.from("one")], [big.subarray(4, 21)]),
      other.journal(meta(2), Buffer.from("request two"), [Buffer.from("a"), Buffer.from("b")]),
    ]);
    // And once it is gone, straight here.
    await other.journal(meta(3), [], [Buffer.from("late")]);
    await other.close();
    fallback.close();
    expect(unwritten).toBe(0);
    expect(durable).toBe(3);
    expect(journaled().map((r) => [r.request.toString(), r.response.toString()])).toEqual([
      ["request one", "response part two"],
      ["request two", "ab"],
      ["", "late"],
    ]);
  });

  it("adds lifetime counters and reports how far behind capture is", async () => {
    await writer.journal(meta(1), Buffer.from("a"), Buffer.from("b"));
    await writer.journal(meta(2), Buffer.from("c"), Buffer.from("d"));
    writer.addCounters({ exchanges: 2 });
    const snap = await writer.refresh();
    expect(snap.capturing).toBe(2);
    expect(snap.oldestAt).not.toBeNull();
    expect(writer.snapshot()).toEqual(snap);
    expect(outbox.counters().exchanges).toBe(2);
  });
});
