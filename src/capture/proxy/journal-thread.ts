/**
 * The journal writer's thread (`start` runs it with `worker_threads` beside
 * the capture thread; its entry is src/cli/journal-thread.ts): it holds its own connection to `outbox.db` and does
 * every SQLite write and read the forwarding thread used to do itself, so
 * forwarding never waits on the disk or on the capture thread's lock.
 *
 * - `journal`: finished exchanges, written with group commit: whatever
 *   arrived while a commit was in flight goes into the next transaction
 *   (one commit, one WAL append, for all of them). `durable` then tells the
 *   forwarding thread up to which sequence number exchanges are on disk, and
 *   only then does the client see the end of its reply. A batch that cannot
 *   be written (full disk beyond the reserve) is sent back (`failed`, bytes
 *   included) so the forwarding thread hands it to capture in memory.
 * - `counters`: lifetime counter deltas (a write transaction, so off the
 *   forwarding thread too).
 * - `stats`: how far behind capture is (journal depth, outbox depth,
 *   episodes in progress), for `status` and proxy-status.json.
 */
import type { MessagePort } from "node:worker_threads";
import type { LogLevel } from "../../core/logger.js";
import { createLogger } from "../../core/logger.js";
import { diskReserve } from "../../files/disk-reserve.js";
import { type JournalItem, type JournalMeta, Outbox } from "../pipeline/outbox.js";

export interface JournalThreadData {
  outboxPath: string;
  dataDir: string;
  diskReserveBytes: number;
  logLevel: LogLevel;
}

/** One exchange: its meta, and request and response bytes back to back in `body` (request first). */
export interface JournalEntry {
  seq: number;
  meta: JournalMeta;
  body: Uint8Array;
  requestBytes: number;
}

export interface JournalSnapshot {
  /** Exchanges journaled and not read by capture yet. */
  capturing: number;
  /** When the oldest of them was journaled (ms epoch), or null. */
  oldestAt: number | null;
  outboxDepth: number;
  episodesInProgress: number;
}

export type ToJournalThread =
  /** Exchanges finished in one turn of the forwarding thread's event loop, oldest first. */
  | { type: "journal"; entries: JournalEntry[] }
  | { type: "counters"; deltas: Record<string, number> }
  | { type: "stats"; id: number }
  | { type: "close" };

export type FromJournalThread =
  /** Every exchange with a sequence number up to `upTo` is on disk (or was reported `failed`). */
  | { type: "durable"; upTo: number }
  | { type: "failed"; entries: JournalEntry[]; code: string }
  | { type: "stats"; id: number; snapshot: JournalSnapshot | null }
  | { type: "log"; line: string }
  /** The disk was full and the reserve was given up (this thread said so in a warn line). */
  | { type: "reserveReleased" }
  | { type: "closed" };

/** How long a commit waits for the write lock before the batch is handed to capture in memory. */
const BUSY_WAIT_MS = 5000;

function snapshot(outbox: Outbox): JournalSnapshot | null {
  try {
    const lag = outbox.journalLag();
    return {
      capturing: lag.depth,
      oldestAt: lag.oldestAt,
      outboxDepth: outbox.counts().pending,
      episodesInProgress: outbox.pendingEpisodeCount(),
    };
  } catch {
    return null;
  }
}

function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).name ?? "error";
}

export function runJournalThread(data: JournalThreadData, port: MessagePort): void {
  const post = (msg: FromJournalThread, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);
  const logger = createLogger(data.logLevel, (line) => post({ type: "log", line }), {
    component: "journal",
  });
  // The proxy's thread writes the reserve back; this side may only give it up.
  const reserve = diskReserve(data.dataDir, data.diskReserveBytes, logger);
  // The lock is waited for here, in steps of 0.1 ms (SQLite's own handler sleeps 1, 2, 5, 10 ms ...).
  const onDiskFull = (): boolean => {
    const freed = reserve.release();
    if (freed) post({ type: "reserveReleased" });
    return freed;
  };
  const outbox = Outbox.open(data.outboxPath, { onDiskFull, busyTimeoutMs: 0 });
  const nap = new Int32Array(new SharedArrayBuffer(4));
  /** Runs `fn`, waiting for the write lock while another connection (capture's) holds it, up to BUSY_WAIT_MS. */
  const whenUnlocked = (fn: () => void): void => {
    const deadline = performance.now() + BUSY_WAIT_MS;
    for (;;) {
      try {
        fn();
        return;
      } catch (e) {
        const code = (e as { code?: string }).code ?? "";
        if (!code.startsWith("SQLITE_BUSY") || performance.now() > deadline) throw e;
        Atomics.wait(nap, 0, 0, 0.1);
      }
    }
  };

  let queue: JournalEntry[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const items: JournalItem[] = batch.map((e) => ({
      meta: JSON.stringify(e.meta),
      request: e.body.subarray(0, e.requestBytes),
      response: e.body.subarray(e.requestBytes),
    }));
    try {
      whenUnlocked(() => outbox.journalExchanges(items));
    } catch (e) {
      // Not on disk: the forwarding thread hands these to capture in memory (counted, logged there).
      post(
        { type: "failed", entries: batch, code: errorCode(e) },
        batch.map((x) => x.body.buffer as ArrayBuffer),
      );
    }
    post({ type: "durable", upTo: (batch[batch.length - 1] as JournalEntry).seq });
  };

  port.on("message", (msg: ToJournalThread) => {
    if (msg.type === "journal") {
      for (const e of msg.entries) queue.push(e);
      // Every message already waiting is delivered before this runs: one commit for all of them.
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    } else if (msg.type === "counters") {
      try {
        whenUnlocked(() => outbox.addCounters(msg.deltas));
      } catch {
        // lifetime totals are best effort
      }
    } else if (msg.type === "stats") {
      flush();
      post({ type: "stats", id: msg.id, snapshot: snapshot(outbox) });
    } else if (msg.type === "close") {
      flush();
      outbox.close();
      post({ type: "closed" });
      port.close();
    }
  });
}
