/**
 * The journal mover: it moves what the forwarding thread spooled into
 * journal.db. It runs on the capture thread (src/cli/capture-worker.ts
 * starts it before it opens the store), below forwarding, and holds its own
 * connection to `outbox.db`/`journal.db`, so the forwarding thread never
 * touches SQLite and no thread of its own (an isolate, ~10 MB resident) is
 * kept for it. It talks to the forwarding thread's JournalWriter
 * (journal-writer.ts) over a MessagePort of its own:
 *
 * - `spooled`: the forwarding thread appended exchanges to its spool segment
 *   (spool.ts; durable already) up to an offset. They are moved into
 *   journal.db with group commit (whatever was announced meanwhile goes into
 *   one transaction, with how far the segment was read), and a segment is
 *   deleted once all of it is in. `durable` then tells the forwarding thread
 *   up to which sequence number exchanges are in the journal, and capture
 *   (on this thread) is told there are new rows. A batch that cannot be
 *   written (a full disk beyond the reserve, a lock held too long) stays in
 *   the spool and is tried again.
 * - at start: what runs that ended left in the spool, moved in first.
 * - `counters`: lifetime counter deltas (a write transaction, so off the
 *   forwarding thread too).
 * - `stats`: how far behind capture is (journal depth, outbox depth,
 *   episodes in progress), for `status` and proxy-status.json.
 * - `close`: what is announced is moved in, and the connection and the port are closed.
 */
import type { MessagePort } from "node:worker_threads";
import type { Logger } from "../../core/logger.js";
import { diskReserve } from "../../files/disk-reserve.js";
import { whileBusy } from "../../store/sqlite/open-database.js";
import { Outbox } from "../pipeline/outbox.js";
import { drainSegment, dropSegment, recoverSpool, segmentKey, segmentPath } from "./spool.js";

export interface JournalPlace {
  outboxPath: string;
  dataDir: string;
  diskReserveBytes: number;
}

/** What the mover is given: the journal's place, and the spool directory of this run. */
export interface JournalMoverStart extends JournalPlace {
  /** `<dataDir>/spool`, and this writer's own directory in it (spool.ts). */
  spoolRoot: string;
  spoolDir: string;
  /** THIS_PROCESS of the forwarding thread: its directories are never read back as a dead run's. */
  spoolProcess: string;
}

/** What the thread that runs the mover (the capture thread) gets: its start, and its end of the line. */
export interface JournalMoverHandoff {
  start: JournalMoverStart;
  port: MessagePort;
}

/** The thread the mover runs on: its logger, and what to call when rows were added to the journal. */
export interface JournalMoverHost {
  logger: Logger;
  onJournaled(): void;
  /**
   * Awaited before each move (default: the next turn of the event loop). On the capture thread it
   * waits while forwarding is busy (forwarding-pace.ts): what is spooled is durable already, and a
   * move later is one bigger transaction instead of many small ones beside a flood.
   */
  pace?: (() => Promise<void>) | undefined;
}

export interface JournalSnapshot {
  /** Exchanges journaled and not read by capture yet. */
  capturing: number;
  /** When the oldest of them was journaled (ms epoch), or null. */
  oldestAt: number | null;
  outboxDepth: number;
  episodesInProgress: number;
}

export type ToJournalMover =
  /**
   * Segment `segment` of this run's spool holds whole records up to `upTo`, the last of them
   * exchange number `seq`; `final`: nothing more is written to it (it is deleted once read).
   */
  | { type: "spooled"; segment: number; upTo: number; seq: number; final: boolean }
  | { type: "counters"; deltas: Record<string, number> }
  | { type: "stats"; id: number }
  | { type: "close" };

export type FromJournalMover =
  /**
   * Every exchange with a sequence number up to `upTo` is in the journal; segment `segment`
   * has been read up to `end` (all of it when that is its length).
   */
  | { type: "durable"; upTo: number; segment: number; end: number }
  /** Exchanges runs that ended left in the spool, moved into the journal at start. */
  | { type: "recovered"; count: number }
  | { type: "stats"; id: number; snapshot: JournalSnapshot | null }
  /**
   * A log line, already formatted, for the proxy's stderr: on the mover's own line, which stays
   * open until `closed` (capture's line to the proxy closes when capture stops, before the last move).
   */
  | { type: "log"; line: string }
  /** The disk was full and the reserve was given up (this thread said so in a warn line). */
  | { type: "reserveReleased" }
  | { type: "closed" };

/** How long a commit waits for the write lock before it is tried again later (the batch stays spooled). */
const BUSY_WAIT_MS = 5000;
/** When a batch could not be moved into the journal, the next try. */
const RETRY_MS = 1000;
/**
 * How often at most the forwarding thread is told how far the journal is (it only needs it for
 * `status` and to begin a new segment): every message wakes it, so not one per commit.
 */
const DURABLE_EVERY_MS = 50;

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

export function runJournalMover(data: JournalMoverStart, port: MessagePort, host: JournalMoverHost): void {
  const post = (msg: FromJournalMover) => port.postMessage(msg);
  const logger = host.logger;
  // The proxy's thread writes the reserve back; this side may only give it up.
  const reserve = diskReserve(data.dataDir, data.diskReserveBytes, logger);
  // The lock is waited for here, in steps of 0.1 ms (SQLite's own handler sleeps 1, 2, 5, 10 ms ...).
  const onDiskFull = (): boolean => {
    const freed = reserve.release();
    if (freed) post({ type: "reserveReleased" });
    return freed;
  };
  const outbox = Outbox.open(data.outboxPath, { onDiskFull, busyTimeoutMs: 0 });
  /**
   * Runs `fn`, waiting for the write lock while another connection holds it, up to BUSY_WAIT_MS:
   * another process's (a second proxy on this data directory, a command). Capture's own
   * connection is on this thread, so it never holds a lock while this runs.
   */
  const whenUnlocked = (fn: () => void): void => whileBusy(fn, BUSY_WAIT_MS, 0.1);

  // What was announced and not all moved in yet, per segment (ascending), and the announcements in order.
  const segments = new Map<number, { upTo: number; final: boolean; read: number }>();
  const announced: { seq: number; segment: number; upTo: number }[] = [];
  let durableSeq = 0;
  let scheduled = false;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let failing = false;
  const flush = (): void => {
    scheduled = false;
    let last: { segment: number; end: number } | null = null;
    for (const [n, s] of segments) {
      const path = segmentPath(data.spoolDir, n);
      const key = segmentKey(data.spoolDir, n);
      try {
        if (s.read < s.upTo) s.read = drainSegment(outbox, path, key, s.read, s.upTo, whenUnlocked).end;
        if (s.final && s.read >= s.upTo) {
          dropSegment(outbox, path, key, whenUnlocked);
          segments.delete(n);
        }
        last = { segment: n, end: s.read };
        if (failing) logger.info("the spooled exchanges are in the journal again");
        failing = false;
      } catch (e) {
        // Still in the spool (durable): tried again in a while, and on the next announcement.
        if (!failing)
          logger.warn("could not move spooled exchanges into the journal; they wait in the spool", {
            code: errorCode(e),
          });
        failing = true;
        retry ??= setTimeout(() => {
          retry = null;
          flush();
        }, RETRY_MS);
        break;
      }
    }
    let advanced = false;
    while (announced.length > 0) {
      const a = announced[0] as (typeof announced)[number];
      const s = segments.get(a.segment);
      if (s && s.read < a.upTo) break;
      durableSeq = a.seq;
      advanced = true;
      announced.shift();
    }
    if (last) lastRead = last;
    if (!advanced) return;
    host.onJournaled();
    tellDurable();
  };
  let lastRead = { segment: 0, end: 0 };
  let toldAt = Number.NEGATIVE_INFINITY;
  let tellTimer: ReturnType<typeof setTimeout> | null = null;
  const tellNow = (): void => {
    if (tellTimer) clearTimeout(tellTimer);
    tellTimer = null;
    toldAt = performance.now();
    post({ type: "durable", upTo: durableSeq, ...lastRead });
  };
  const tellDurable = (): void => {
    if (tellTimer) return;
    const wait = toldAt + DURABLE_EVERY_MS - performance.now();
    if (wait <= 0) tellNow();
    else tellTimer = setTimeout(tellNow, wait);
  };

  port.on("message", (msg: ToJournalMover) => {
    if (msg.type === "spooled") {
      const s = segments.get(msg.segment) ?? { upTo: 0, final: false, read: 0 };
      s.upTo = Math.max(s.upTo, msg.upTo);
      s.final ||= msg.final;
      segments.set(msg.segment, s);
      announced.push({ seq: msg.seq, segment: msg.segment, upTo: msg.upTo });
      // Every message already waiting is delivered before this runs: one commit for all of them.
      if (!scheduled) {
        scheduled = true;
        if (host.pace) void host.pace().then(() => scheduled && flush());
        else setImmediate(flush);
      }
    } else if (msg.type === "counters") {
      try {
        whenUnlocked(() => outbox.addCounters(msg.deltas));
      } catch {
        // lifetime totals are best effort
      }
    } else if (msg.type === "stats") {
      flush();
      tellNow();
      post({ type: "stats", id: msg.id, snapshot: snapshot(outbox) });
    } else if (msg.type === "close") {
      if (retry) clearTimeout(retry);
      flush();
      tellNow();
      outbox.close();
      post({ type: "closed" });
      port.close();
    }
  });

  // What runs that ended left in the spool goes in first (before this run's, which is announced later).
  try {
    const count = recoverSpool(outbox, data.spoolRoot, data.spoolProcess, whenUnlocked);
    if (count > 0) {
      post({ type: "recovered", count });
      host.onJournaled();
    }
  } catch (e) {
    logger.warn("could not read back what an earlier run left in the spool; the next start tries again", {
      code: errorCode(e),
    });
  }
}
