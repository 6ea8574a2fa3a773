import { type MessagePort, Worker } from "node:worker_threads";
import type { Logger } from "../../core/logger.js";
import { isDiskFull } from "../../store/sqlite/open-database.js";
import type { JournalMeta, Outbox } from "../pipeline/outbox.js";
import type {
  FromJournalThread,
  JournalSnapshot,
  JournalThreadData,
  JournalThreadStart,
  ToJournalThread,
} from "./journal-thread.js";
import {
  drainDirectory,
  SEGMENT_BYTES,
  SEGMENT_IDLE_BYTES,
  type SpoolBody,
  SpoolWriter,
  spoolRoot,
  THIS_PROCESS,
} from "./spool.js";
import { journalThreadOptions } from "./thread-options.js";

/**
 * The forwarding thread's side of the journal: `journal` appends an
 * exchange to this run's spool (spool.ts: one `writev`, synchronous), so it
 * is durable when `journal` returns and the forwarder never holds back the
 * end of a reply. Once per turn of the event loop the writer's thread
 * (journal-thread.ts) is told how far the spool reaches; it moves the
 * exchanges into journal.db and confirms, and the capture thread is told
 * there are new rows. An exchange that cannot be spooled (a full disk even
 * after the reserve went) goes to `onUnwritten` (the caller captures it from
 * memory). If the writer's thread dies, this thread moves what is spooled
 * into the journal itself and journals every later exchange directly:
 * slower, never lost.
 */

/** A body as one buffer, or as the chunks that came (references; written as they are). */
export type JournalBody = SpoolBody;

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
/** One buffer of the body's own bytes (a chunk may be a view into a much larger buffer). */
const joined = (b: JournalBody): Buffer =>
  b instanceof Uint8Array ? asBuffer(b) : Buffer.concat(b as Uint8Array[]);

export interface JournalWriterOptions {
  data: JournalThreadData;
  /** The proxy's own outbox connection: used only if the writer's thread is gone. */
  fallback: Outbox;
  logger: Logger;
  /** A write failed on a full disk: true when space was freed (the disk reserve) and it is worth trying again. */
  onDiskFull?: (() => boolean) | undefined;
  /** Exchanges that could not be journaled: meta and bodies, to capture from memory. */
  onUnwritten(meta: JournalMeta, request: Uint8Array, response: Uint8Array, code: string): void;
  /**
   * Called when exchanges reached the journal (the capture thread is told there are new rows):
   * when this thread wrote them, and, without `capturePort`, when the writer's thread confirms.
   */
  onDurable(): void;
  /** The capture thread's end of a channel: the writer's thread tells it about new rows itself. */
  capturePort?: MessagePort | undefined;
  /** The writer's thread gave up the disk reserve (a full disk). */
  onReserveReleased?: (() => void) | undefined;
  /** The thread's compiled script (default: dist/cli/journal-thread.js of an unbundled build). */
  entry?: URL | undefined;
}

/**
 * How long spooled exchanges wait before the writer's thread is told about them. They are durable
 * already; this only batches: each message wakes that thread for a commit, and one per event loop
 * turn under a flood was thousands a second (its CPU per exchange fell by a third at 10 ms).
 */
const ANNOUNCE_EVERY_MS = 10;

const EMPTY: JournalSnapshot = { capturing: 0, oldestAt: null, outboxDepth: 0, episodesInProgress: 0 };

export class JournalWriter {
  private readonly thread: Worker | null;
  private readonly spool: SpoolWriter | null;
  /** Exchanges spooled, and the last of them the writer's thread has confirmed in the journal. */
  private seq = 0;
  private durableSeq = 0;
  private alive = true;
  private closing = false;
  private last: JournalSnapshot = EMPTY;
  private statsId = 0;
  private readonly statsWaiting = new Map<number, (s: JournalSnapshot) => void>();
  private closed: (() => void) | null = null;
  /** The announcement due within ANNOUNCE_EVERY_MS (null: none pending). */
  private announceTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Tells the writer's thread how far the spool reaches (at most every ANNOUNCE_EVERY_MS: one
   * message, one wake-up); called early (stats, close, a full segment) it takes the pending one's place.
   */
  private readonly announce = (final = false): void => {
    if (this.announceTimer) clearTimeout(this.announceTimer);
    this.announceTimer = null;
    const spool = this.spool;
    if (!spool || !this.alive || !spool.writing) return;
    const end = final || spool.size >= SEGMENT_BYTES;
    this.send({ type: "spooled", segment: spool.segment, upTo: spool.size, seq: this.seq, final: end });
    if (end) spool.rotate();
  };

  constructor(private readonly opts: JournalWriterOptions) {
    let spool: SpoolWriter | null = null;
    try {
      spool = new SpoolWriter(spoolRoot(opts.data.dataDir));
    } catch (e) {
      opts.logger.error("cannot create the capture spool; journaling on the forwarding thread", {
        code: (e as NodeJS.ErrnoException).code ?? "error",
      });
    }
    this.spool = spool;
    if (!spool) {
      this.alive = false;
      this.thread = null;
      return;
    }
    const workerData: JournalThreadStart = {
      ...opts.data,
      spoolRoot: spoolRoot(opts.data.dataDir),
      spoolDir: spool.dir,
      spoolProcess: THIS_PROCESS,
    };
    const port = opts.capturePort;
    if (port) workerData.capturePort = port;
    const thread = new Worker(opts.entry ?? new URL("../../cli/journal-thread.js", import.meta.url), {
      ...journalThreadOptions(workerData),
      transferList: port ? [port] : [],
    });
    this.thread = thread;
    thread.on("message", (msg: FromJournalThread) => this.onMessage(msg));
    thread.on("error", (e) => {
      opts.logger.error("the journal writer's thread failed; journaling on the forwarding thread", {
        error: e.name,
      });
      this.takeOver();
    });
    thread.on("exit", () => {
      if (!this.closing) this.takeOver();
      this.closed?.();
    });
  }

  /** How far behind capture is, as of the last `refresh` (never a query on this thread). */
  snapshot(): JournalSnapshot {
    return this.last;
  }

  /** Asks the writer's thread for a fresh snapshot (what was spooled so far is moved in first). */
  refresh(): Promise<JournalSnapshot> {
    if (!this.alive) return Promise.resolve(this.fallbackSnapshot());
    this.announce();
    const id = ++this.statsId;
    return new Promise((resolve) => {
      this.statsWaiting.set(id, resolve);
      this.send({ type: "stats", id });
    });
  }

  addCounters(deltas: Record<string, number>): void {
    if (this.alive) this.send({ type: "counters", deltas });
    else this.opts.fallback.addCounters(deltas);
  }

  /**
   * Journals one exchange, durably, before it returns: appended to the spool (or, once the
   * writer's thread is gone, written to the journal here), or handed to `onUnwritten`. The
   * bodies (a buffer, or the chunks as they came) are not changed and may be let go of at once.
   */
  journal(meta: JournalMeta, request: JournalBody, response: JournalBody): void {
    const spool = this.spool;
    if (!this.alive || !spool) {
      this.writeHere(meta, request, response);
      return;
    }
    const json = JSON.stringify(meta);
    let failure: unknown = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        spool.append(json, request, response);
        failure = null;
        break;
      } catch (e) {
        failure = e;
        // A full disk: the reserve gives its space back, and the exchange is written once more.
        if (attempt > 0 || !isDiskFull(e) || this.opts.onDiskFull?.() !== true) break;
      }
    }
    // A segment a failed write had to give up: the writer's thread reads it up to its last whole record.
    const ended = spool.takeEnded();
    if (ended)
      this.send({ type: "spooled", segment: ended.segment, upTo: ended.end, seq: this.seq, final: true });
    if (failure !== null) {
      const code = (failure as NodeJS.ErrnoException).code ?? "error";
      this.opts.onUnwritten(meta, joined(request), joined(response), code);
      return;
    }
    this.seq++;
    this.announceTimer ??= setTimeout(this.announce, ANNOUNCE_EVERY_MS);
  }

  /** Exchanges spooled and not confirmed in the journal yet. */
  inFlight(): number {
    return this.seq - this.durableSeq;
  }

  /** Moves what is spooled into the journal, then ends the thread (bounded). */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.alive || !this.thread) return;
    this.announce(true);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.closed = () => {
        clearTimeout(t);
        resolve();
      };
      this.send({ type: "close" });
    });
    // Whatever it did not move in (a hung disk): moved here, so it is not left for the next start.
    this.takeOver();
    await this.thread.terminate();
  }

  private send(msg: ToJournalThread): void {
    this.thread?.postMessage(msg);
  }

  private onMessage(msg: FromJournalThread): void {
    if (msg.type === "durable") {
      if (msg.upTo > this.durableSeq) {
        this.durableSeq = msg.upTo;
        if (!this.opts.capturePort) this.opts.onDurable();
      }
      // All of the segment being written is in the journal: a new one begins, and this one is deleted.
      const spool = this.spool;
      if (
        spool?.writing &&
        msg.segment === spool.segment &&
        msg.end === spool.size &&
        spool.size >= SEGMENT_IDLE_BYTES &&
        this.announceTimer === null
      )
        this.announce(true);
    } else if (msg.type === "recovered") {
      this.opts.logger.info("read back exchanges an earlier run left in the capture spool", {
        count: msg.count,
      });
      if (!this.opts.capturePort) this.opts.onDurable();
    } else if (msg.type === "stats") {
      const snapshot = msg.snapshot ?? this.last;
      this.last = snapshot;
      this.statsWaiting.get(msg.id)?.(snapshot);
      this.statsWaiting.delete(msg.id);
    } else if (msg.type === "log") process.stderr.write(msg.line);
    else if (msg.type === "reserveReleased") this.opts.onReserveReleased?.();
    else if (msg.type === "closed") this.closed?.();
  }

  /**
   * The writer's thread is gone: what this run spooled is moved into the journal here, and
   * every later exchange is journaled here directly.
   */
  private takeOver(): void {
    if (!this.alive) return;
    this.alive = false;
    const spool = this.spool;
    if (spool) {
      spool.rotate();
      try {
        const moved = drainDirectory(this.opts.fallback, spool.dir);
        if (moved > 0) this.opts.onDurable();
      } catch (e) {
        this.opts.logger.error("could not move the spooled exchanges into the journal; the next start does", {
          code: (e as NodeJS.ErrnoException).code ?? "error",
        });
      }
    }
    this.durableSeq = this.seq;
    for (const [id, resolve] of this.statsWaiting) {
      this.statsWaiting.delete(id);
      resolve(this.fallbackSnapshot());
    }
  }

  private writeHere(meta: JournalMeta, request: JournalBody, response: JournalBody): void {
    const req = joined(request);
    const res = joined(response);
    try {
      this.opts.fallback.journalExchange(meta, req, res);
      this.opts.onDurable();
    } catch (e) {
      this.opts.onUnwritten(meta, req, res, (e as NodeJS.ErrnoException).code ?? "error");
    }
  }

  private fallbackSnapshot(): JournalSnapshot {
    try {
      const lag = this.opts.fallback.journalLag();
      this.last = {
        capturing: lag.depth,
        oldestAt: lag.oldestAt,
        outboxDepth: this.opts.fallback.counts().pending,
        episodesInProgress: this.opts.fallback.pendingEpisodeCount(),
      };
    } catch {
      // closed: the last known figures
    }
    return this.last;
  }
}
