import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type JournalMeta, Outbox } from "../../../src/capture/pipeline/outbox.js";
import { JournalWriter, type JournalWriterOptions } from "../../../src/capture/proxy/journal-writer.js";
import { readSpool, SpoolWriter } from "../../../src/capture/proxy/spool.js";
import { silentLogger } from "../../../src/core/logger.js";
import { until } from "../../support/until.js";
import { sampleJournalMeta as meta } from "../support/journal-meta.js";

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "0"]);
  return r.pid as number;
}

// The thread that runs the mover (in `start`, the capture thread): one that runs only the mover,
// from the built code (the vitest global setup rebuilds dist).
const moverHost = pathToFileURL(join(import.meta.dirname, "..", "support", "journal-mover-host.mjs"));

let dir: string;
let outbox: Outbox;
let writer: JournalWriter;
/** Times the mover told the thread it runs on that rows were added (there capture reads them). */
let journaledNotices = 0;
/** Times the writer wrote to the journal on this thread (`onDurable`). */
let durableHere = 0;
let unwritten = 0;
const hosts: Worker[] = [];

/**
 * A writer on this test's data directory, its mover on a thread started from `host`, which tells
 * `onJournaled` about new rows; when that thread ends the writer is told, as the capture chain does.
 */
function newWriter(
  o: Partial<JournalWriterOptions> = {},
  host: { script?: URL; onJournaled?: () => void } = {},
): JournalWriter {
  const w = new JournalWriter({
    data: { outboxPath: join(dir, "outbox.db"), dataDir: dir, diskReserveBytes: 0 },
    fallback: outbox,
    logger: silentLogger,
    onDurable: () => durableHere++,
    onUnwritten: () => unwritten++,
    ...o,
  });
  const handoff = w.mover();
  expect(handoff).not.toBeNull();
  // Handed out once only.
  expect(w.mover()).toBeNull();
  const thread = new Worker(host.script ?? moverHost, {
    workerData: handoff,
    transferList: handoff ? [handoff.port] : [],
  });
  thread.on("message", (m) => m === "journaled" && (host.onJournaled ?? (() => journaledNotices++))());
  thread.on("exit", () => w.moverLost());
  hosts.push(thread);
  return w;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-journal-writer-"));
  const path = join(dir, "outbox.db");
  outbox = Outbox.open(path);
  journaledNotices = 0;
  durableHere = 0;
  unwritten = 0;
  writer = newWriter();
});
afterEach(async () => {
  await writer.close();
  await Promise.all(hosts.splice(0).map((t) => t.terminate()));
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

/** Files left in the spool (this run's directory and any other). */
function spoolFiles(): string[] {
  const root = join(dir, "spool");
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => `${d}/${f}`));
}

/** Waits until every exchange spooled is confirmed in the journal. */
async function settled(w: JournalWriter = writer): Promise<void> {
  await until(() => w.inFlight() === 0, "the spooled exchanges to be moved into the journal");
}

describe("JournalWriter (spooled on this thread, journaled by the mover on another)", () => {
  it("spools each exchange before journal() returns, then journals them all, bodies byte for byte, in order", async () => {
    const n = 200;
    for (let i = 0; i < n; i++) {
      // A chunk that is a view into a larger buffer: only its own bytes are journaled.
      const big = Buffer.from(`xxxx request ${i} yyyy`);
      const request = big.subarray(4, big.length - 5);
      expect(writer.journal(meta(i), request, [Buffer.from("response "), Buffer.from(String(i))])).toBe(
        undefined,
      );
    }
    // Durable already: the spool on disk holds every record, whole, before the thread has read any.
    const [segment] = spoolFiles();
    expect(segment).toMatch(/^\d+-[0-9a-z]+-[0-9a-f]{6}\/00000001\.spool$/);
    const onDisk = readSpool(join(dir, "spool", segment as string), 0, null);
    expect(onDisk.torn).toBe(false);
    expect(onDisk.items.map((it) => it.request.toString())).toEqual(
      Array.from({ length: n }, (_, i) => ` request ${i}`),
    );
    expect(writer.inFlight()).toBe(n);

    await settled();
    const rows = journaled();
    expect(rows).toHaveLength(n);
    rows.forEach((r, i) => {
      expect(r.request.toString()).toBe(` request ${i}`);
      expect(r.response.toString()).toBe(`response ${i}`);
      expect((JSON.parse(r.meta) as JournalMeta).startedAt).toBe(new Date(i).toISOString());
    });
    // The mover's thread was told (in batches), and nothing was written to the journal here.
    expect(journaledNotices).toBeGreaterThan(0);
    expect(journaledNotices).toBeLessThanOrEqual(n);
    expect(durableHere).toBe(0);
    expect(unwritten).toBe(0);
    expect((await writer.refresh()).capturing).toBe(n);
    // Closing moves the rest in and deletes the spool: no raw exchange is left there.
    await writer.close();
    expect(spoolFiles()).toEqual([]);
    expect(readdirSync(join(dir, "spool"))).toEqual([]);
  });

  it("begins a new segment once one is all in the journal, and deletes the old one", async () => {
    const body = Buffer.alloc(70 * 1024, 0x61);
    writer.journal(meta(1), Buffer.from("req"), body);
    await settled();
    // 70 kB, all read: the writer starts segment 2, and segment 1 goes.
    writer.journal(meta(2), Buffer.from("req"), Buffer.from("two"));
    await settled();
    await until(
      () => spoolFiles().length === 1 && /00000002/.test(spoolFiles()[0] ?? ""),
      "segment 1 deleted",
    );
    expect(journaled().map((r) => r.response.length)).toEqual([body.length, 3]);
  });

  it("waits for a lock another connection holds; the exchange is in the spool meanwhile", async () => {
    const other = new Database(join(dir, "journal.db"));
    other.pragma("busy_timeout = 2000");
    other.exec("BEGIN IMMEDIATE");
    writer.journal(meta(1), Buffer.from("req"), Buffer.from("res"));
    await new Promise((r) => setTimeout(r, 200));
    expect(writer.inFlight()).toBe(1);
    expect(journaledNotices).toBe(0);
    expect(spoolFiles()).toHaveLength(1);
    other.exec("COMMIT");
    other.close();
    await settled();
    expect(journaled()).toHaveLength(1);
    expect(unwritten).toBe(0);
  });

  it("moves what its thread never read into the journal here when the thread dies, and journals later ones here", async () => {
    // A thread that ends before it reads a message: the exchanges spooled for it are moved in here.
    const dying = join(dir, "dying-thread.mjs");
    writeFileSync(dying, "process.exit(3);\n");
    const fallback = Outbox.open(join(dir, "outbox.db"));
    let durable = 0;
    const other = newWriter({ fallback, onDurable: () => durable++ }, { script: pathToFileURL(dying) });
    const big = Buffer.from("xxxxresponse part two yyyy");
    other.journal(meta(1), [Buffer.from("request "), Buffer.from("one")], [big.subarray(4, 21)]);
    other.journal(meta(2), Buffer.from("request two"), [Buffer.from("a"), Buffer.from("b")]);
    await until(() => durable > 0, "the spool moved in after the thread died");
    // And once it is gone, straight here.
    other.journal(meta(3), [], [Buffer.from("late")]);
    await other.close();
    fallback.close();
    expect(unwritten).toBe(0);
    expect(other.inFlight()).toBe(0);
    expect(journaled().map((r) => [r.request.toString(), r.response.toString()])).toEqual([
      ["request one", "response part two"],
      ["request two", "ab"],
      ["", "late"],
    ]);
    // Its spool directory went with what it held.
    expect(spoolFiles()).toEqual([]);
  });

  it("reads back, at start, what a killed run left in the spool, in order, without a torn last record", async () => {
    await writer.close();
    // A run that was killed: its directory (named for a pid that is gone), two segments, the last
    // record of the second cut short; segment 1 was already partly moved into the journal.
    const root = join(dir, "spool");
    const killed = join(root, `${deadPid()}-k1lled-0a0b0c`);
    mkdirSync(killed, { recursive: true });
    const record = (i: number) => {
      const w = new SpoolWriter(join(dir, "scratch"));
      w.append(JSON.stringify(meta(i)), Buffer.from(`request ${i}`), Buffer.from(`response ${i}`));
      const bytes = readFileSync(w.path());
      rmSync(join(dir, "scratch"), { recursive: true });
      return bytes;
    };
    const one = Buffer.concat([record(0), record(1)]);
    writeFileSync(join(killed, "00000001.spool"), one);
    const torn = record(4);
    writeFileSync(
      join(killed, "00000002.spool"),
      Buffer.concat([record(2), record(3), torn.subarray(0, 20)]),
    );
    // Record 0 was already moved in by that run (its offset recorded with it).
    outbox.journalSpooled(
      [
        {
          meta: JSON.stringify(meta(0)),
          request: Buffer.from("request 0"),
          response: Buffer.from("response 0"),
        },
      ],
      `${basename(killed)}/1`,
      record(0).length,
    );
    let recovered = 0;
    const next = newWriter({}, { onJournaled: () => recovered++ });
    await until(() => recovered > 0, "the killed run's spool read back");
    expect(journaled().map((r) => r.request.toString())).toEqual([
      "request 0",
      "request 1",
      "request 2",
      "request 3",
    ]);
    expect(existsSync(killed)).toBe(false);
    await next.close();
    expect(spoolFiles()).toEqual([]);
    const j = new Database(join(dir, "journal.db"), { readonly: true });
    expect(j.prepare("SELECT COUNT(*) AS n FROM spool_read").get()).toEqual({ n: 0 });
    j.close();
  });

  it("tells the thread the mover runs on about new rows, not this one", async () => {
    writer.journal(meta(1), Buffer.from("a"), Buffer.from("b"));
    await until(() => journaledNotices > 0, "the mover's thread told about the new row");
    await settled();
    expect(journaled()).toHaveLength(1);
    expect(durableHere).toBe(0);
  });

  it("adds lifetime counters and reports how far behind capture is", async () => {
    writer.journal(meta(1), Buffer.from("a"), Buffer.from("b"));
    writer.journal(meta(2), Buffer.from("c"), Buffer.from("d"));
    writer.addCounters({ exchanges: 2 });
    const snap = await writer.refresh();
    expect(snap.capturing).toBe(2);
    expect(snap.oldestAt).not.toBeNull();
    expect(writer.snapshot()).toEqual(snap);
    expect(outbox.counters().exchanges).toBe(2);
  });
});
