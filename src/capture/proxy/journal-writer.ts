import { MessageChannel, type MessagePort } from "node:worker_threads";
import type { Logger } from "../../core/logger.js";
import { isDiskFull } from "../../store/sqlite/open-database.js";
import type { JournalMeta, Outbox } from "../pipeline/outbox.js";
import type {
  FromJournalMover,
  JournalMoverHandoff,
  JournalPlace,
  JournalSnapshot,
  ToJournalMover,
} from "./journal-mover.js";
import {
  drainDirectory,
  SEGMENT_BYTES,
  SEGMENT_IDLE_BYTES,
  type SpoolBody,
  SpoolWriter,
  spoolRoot,
  THIS_PROCESS,
} from "./spool.js";

/**
 * The forwarding thread's side of the journal: `journal` appends an
 * exchange to this run's spool (spool.ts: one `writev`, synchronous), so it
 * is durable when `journal` returns and the forwarder never holds back the
 * end of a reply. At most every ANNOUNCE_EVERY_MS the journal mover
 * (journal-mover.ts, on the capture thread: `mover()` is what that thread is
 * given) is told how far the spool reaches; it moves the exchanges into
 * journal.db and confirms, and capture reads them there. An exchange that
 * cannot be spooled (a full disk even after the reserve went) goes to
 * `onUnwritten` (the caller captures it from memory). If the mover's thread
 * ends (`moverLost`), this thread moves what is spooled into the journal
 * itself and journals every later exchange directly: slower, never lost.
 */

/** A body as one buffer, or as the chunks that came (references; written as they are). */
export type JournalBody = SpoolBody;

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
/** One buffer of the body's own bytes (a chunk may be a view into a much larger buffer). */
const joined = (b: JournalBody): Buffer =>
  b instanceof Uint8Array ? asBuffer(b) : Buffer.concat(b as Uint8Array[]);

export interface JournalWriterOptions {
  data: JournalPlace;
  /** The proxy's own outbox connection: used only if the mover is gone. */
  fallback: Outbox;
  logger: Logger;
  /** A write failed on a full disk: true when space was freed (the disk reserve) and it is worth trying again. */
  onDiskFull?: (() => boolean) | undefined;
  /** Exchanges that could not be journaled: meta and bodies, to capture from memory. */
  onUnwritten(meta: JournalMeta, request: Uint8Array, response: Uint8Array, code: string): void;
  /**
   * Called when this thread wrote exchanges to the journal (no spool, or the mover is gone): the
   * capture thread is to be told there are new rows. The mover tells capture on its own thread.
   */
  onDurable(): void;
  /** The mover gave up the disk reserve (a full disk). */
  onReserveReleased?: (() => void) | undefined;
}

/**
 * How long spooled exchanges wait before the mover is told about them. They are durable
 * already; this only batches: each message wakes the mover's thread for a commit, and one per event loop
 * turn under a flood was thousands a second (its CPU per exchange fell by a third at 10 ms).
 */
const ANNOUNCE_EVERY_MS = 10;

const EMPTY: JournalSnapshot = { capturing: 0, oldestAt: null, outboxDepth: 0, episodesInProgress: 0 };

export class JournalWriter {
  private readonly spool: SpoolWriter | null;
  /** This side of the line to the mover, and the other side until `mover()` hands it out. */
  private readonly port: MessagePort | null;
  private handoff: JournalMoverHandoff | null = null;
  /** Exchanges spooled, and the last of them the mover has confirmed in the journal. */
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
   * Tells the mover how far the spool reaches (at most every ANNOUNCE_EVERY_MS: one
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
      this.port = null;
      return;
    }
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.on("message", (msg: FromJournalMover) => this.onMessage(msg));
    // The other end closed (the mover failed, or the thread it ran on ended): journaled here from now on.
    this.port.on("close", () => this.moverLost());
    // Never keeps the process alive by itself (close() ends the line).
    this.port.unref();
    this.handoff = {
      start: {
        ...opts.data,
        spoolRoot: spoolRoot(opts.data.dataDir),
        spoolDir: spool.dir,
        spoolProcess: THIS_PROCESS,
      },
      port: channel.port2,
    };
  }

  /**
   * What the thread that is to run the mover (runJournalMover, journal-mover.ts) gets, once: where
   * the journal and this run's spool are, and the mover's end of the line (to be transferred).
   * Null without a spool (every exchange is journaled here), or when handed out already.
   */
  mover(): JournalMoverHandoff | null {
    const h = this.handoff;
    this.handoff = null;
    return h;
  }

  /**
   * The thread that ran the mover ended (or could not be started): what this run spooled is moved
   * into the journal here, and every later exchange is journaled here directly.
   */
  moverLost(): void {
    this.takeOver();
    this.closed?.();
  }

  /** How far behind capture is, as of the last `refresh` (never a query on this thread). */
  snapshot(): JournalSnapshot {
    return this.last;
  }

  /** Asks the mover for a fresh snapshot (what was spooled so far is moved in first). */
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
   * mover is gone, written to the journal here), or handed to `onUnwritten`. The
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
    // A segment a failed write had to give up: the mover reads it up to its last whole record.
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

  /** Has the mover move in what is spooled into the journal and end (bounded); the rest is moved here. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.alive || !this.port) return;
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
    this.port.close();
  }

  private send(msg: ToJournalMover): void {
    if (this.alive) this.port?.postMessage(msg);
  }

  private onMessage(msg: FromJournalMover): void {
    if (msg.type === "durable") {
      if (msg.upTo > this.durableSeq) this.durableSeq = msg.upTo;
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
    } else if (msg.type === "stats") {
      const snapshot = msg.snapshot ?? this.last;
      this.last = snapshot;
      this.statsWaiting.get(msg.id)?.(snapshot);
      this.statsWaiting.delete(msg.id);
    } else if (msg.type === "log") process.stderr.write(msg.line);
    else if (msg.type === "reserveReleased") this.opts.onReserveReleased?.();
    else if (msg.type === "closed") this.closed?.();
  }

  /** The mover is gone: what this run spooled is moved into the journal here, and every later exchange is journaled here. */
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
