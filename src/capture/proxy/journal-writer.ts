import { Worker } from "node:worker_threads";
import type { Logger } from "../../core/logger.js";
import type { JournalMeta, Outbox } from "../pipeline/outbox.js";
import type {
  FromJournalThread,
  JournalEntry,
  JournalSnapshot,
  JournalThreadData,
  ToJournalThread,
} from "./journal-thread.js";

/**
 * The forwarding thread's side of the journal writer (journal-thread.ts):
 * `journal` copies an exchange's bytes into one buffer (the one copy made of
 * a body on this thread), hands that buffer over to the writer's thread
 * (transferred, not cloned) and resolves once it is on disk (group commit there), so
 * the forwarder can release the end of the reply then and never blocks on
 * SQLite meanwhile. A batch the writer could not write comes back to
 * `onUnwritten` (the caller captures it from memory). If the writer's thread
 * dies, the exchanges it had not confirmed are journaled here, synchronously
 * (`fallback`), and so is every later one: slower, never lost.
 */

/** A body as one buffer, or as the chunks that came (references; copied once, into the posted buffer). */
export type JournalBody = Uint8Array | readonly Uint8Array[];

interface Pending {
  seq: number;
  meta: JournalMeta;
  /** The bodies as they came (the posted copy was transferred): journaled from here if the thread dies. */
  request: JournalBody;
  response: JournalBody;
  resolve: () => void;
}

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const partsOf = (b: JournalBody): readonly Uint8Array[] => (b instanceof Uint8Array ? [b] : b);
const sizeOf = (b: JournalBody): number => {
  let n = 0;
  for (const c of partsOf(b)) n += c.length;
  return n;
};
/** One buffer of the body's own bytes (a chunk may be a view into a much larger buffer). */
const joined = (b: JournalBody): Buffer =>
  b instanceof Uint8Array ? asBuffer(b) : Buffer.concat(b as Uint8Array[], sizeOf(b));

export interface JournalWriterOptions {
  data: JournalThreadData;
  /** The proxy's own outbox connection: used only if the writer's thread is gone. */
  fallback: Outbox;
  logger: Logger;
  /** Exchanges that could not be journaled: meta and bodies, to capture from memory. */
  onUnwritten(meta: JournalMeta, request: Uint8Array, response: Uint8Array, code: string): void;
  /** Called once per confirmed batch (the capture thread is told there are new rows). */
  onDurable(): void;
  /** The writer's thread gave up the disk reserve (a full disk). */
  onReserveReleased?: (() => void) | undefined;
  /** The thread's compiled script (default: dist/cli/journal-thread.js of an unbundled build). */
  entry?: URL | undefined;
}

const EMPTY: JournalSnapshot = { capturing: 0, oldestAt: null, outboxDepth: 0, episodesInProgress: 0 };

export class JournalWriter {
  private readonly thread: Worker;
  private readonly pending: Pending[] = [];
  private head = 0;
  private seq = 0;
  private alive = true;
  private closing = false;
  private last: JournalSnapshot = EMPTY;
  private statsId = 0;
  private readonly statsWaiting = new Map<number, (s: JournalSnapshot) => void>();
  private closed: (() => void) | null = null;
  /** Posted together at the end of this turn of the event loop (one message, one wake-up of the thread). */
  private outgoing: JournalEntry[] = [];
  private readonly post = (): void => {
    const entries = this.outgoing;
    this.outgoing = [];
    // Each body buffer is the writer's from now on (moved, not copied).
    if (entries.length > 0 && this.alive)
      this.send(
        { type: "journal", entries },
        entries.map((e) => e.body.buffer as ArrayBuffer),
      );
  };

  constructor(private readonly opts: JournalWriterOptions) {
    this.thread = new Worker(opts.entry ?? new URL("../../cli/journal-thread.js", import.meta.url), {
      workerData: opts.data,
    });
    this.thread.on("message", (msg: FromJournalThread) => this.onMessage(msg));
    this.thread.on("error", (e) => {
      opts.logger.error("the journal writer's thread failed; journaling on the forwarding thread", {
        error: e.name,
      });
      this.takeOver();
    });
    this.thread.on("exit", () => {
      if (!this.closing) this.takeOver();
      this.closed?.();
    });
  }

  /** How far behind capture is, as of the last `refresh` (never a query on this thread). */
  snapshot(): JournalSnapshot {
    return this.last;
  }

  /** Asks the writer's thread for a fresh snapshot (what it wrote so far is committed first). */
  refresh(): Promise<JournalSnapshot> {
    if (!this.alive) return Promise.resolve(this.fallbackSnapshot());
    this.post();
    const id = ++this.statsId;
    return new Promise((resolve) => {
      this.statsWaiting.set(id, resolve);
      this.send({ type: "stats", id });
    });
  }

  addCounters(deltas: Record<string, number>): void {
    this.post();
    if (this.alive) this.send({ type: "counters", deltas });
    else this.opts.fallback.addCounters(deltas);
  }

  /**
   * Journals one exchange; resolves once it is on disk, or was handed to `onUnwritten`. The
   * bodies (a buffer, or the chunks as they came) are not changed and may be let go of at once.
   */
  journal(meta: JournalMeta, request: JournalBody, response: JournalBody): Promise<void> {
    return new Promise((resolve) => {
      const seq = ++this.seq;
      const p: Pending = { seq, meta, request, response, resolve };
      if (!this.alive) return this.writeHere(p);
      // The one copy: request and response back to back in a buffer of exactly their size, which
      // is then transferred (a view into a larger buffer would be posted whole).
      const requestBytes = sizeOf(request);
      const body = new Uint8Array(requestBytes + sizeOf(response));
      let at = 0;
      for (const c of partsOf(request)) {
        body.set(c, at);
        at += c.length;
      }
      for (const c of partsOf(response)) {
        body.set(c, at);
        at += c.length;
      }
      this.pending.push(p);
      if (this.outgoing.length === 0) setImmediate(this.post);
      this.outgoing.push({ seq, meta, body, requestBytes });
    });
  }

  /** Exchanges posted and not confirmed yet. */
  inFlight(): number {
    return this.pending.length - this.head;
  }

  /** Writes what is queued, then ends the thread (bounded). */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.alive) return;
    this.post();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.closed = () => {
        clearTimeout(t);
        resolve();
      };
      this.send({ type: "close" });
    });
    // Whatever it did not confirm (a hung disk): journaled here, so it is not lost.
    this.takeOver();
    await this.thread.terminate();
  }

  private send(msg: ToJournalThread, transfer?: ArrayBuffer[]): void {
    this.thread.postMessage(msg, transfer);
  }

  private onMessage(msg: FromJournalThread): void {
    if (msg.type === "durable") {
      let any = false;
      while (this.head < this.pending.length && (this.pending[this.head] as Pending).seq <= msg.upTo) {
        const p = this.pending[this.head] as Pending;
        this.pending[this.head] = undefined as unknown as Pending;
        this.head++;
        any = true;
        p.resolve();
      }
      this.compact();
      if (any) this.opts.onDurable();
    } else if (msg.type === "failed") {
      for (const e of msg.entries) {
        this.opts.onUnwritten(
          e.meta,
          e.body.subarray(0, e.requestBytes),
          e.body.subarray(e.requestBytes),
          msg.code,
        );
      }
    } else if (msg.type === "stats") {
      const snapshot = msg.snapshot ?? this.last;
      this.last = snapshot;
      this.statsWaiting.get(msg.id)?.(snapshot);
      this.statsWaiting.delete(msg.id);
    } else if (msg.type === "log") process.stderr.write(msg.line);
    else if (msg.type === "reserveReleased") this.opts.onReserveReleased?.();
    else if (msg.type === "closed") this.closed?.();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The writer's thread is gone: what it had not confirmed, and everything from now on, is journaled here. */
  private takeOver(): void {
    if (!this.alive && this.inFlight() === 0) return;
    this.alive = false;
    const left = this.pending.slice(this.head);
    this.pending.length = 0;
    this.head = 0;
    for (const p of left) this.writeHere(p);
    for (const [id, resolve] of this.statsWaiting) {
      this.statsWaiting.delete(id);
      resolve(this.fallbackSnapshot());
    }
  }

  private writeHere(p: Pending): void {
    const request = joined(p.request);
    const response = joined(p.response);
    try {
      this.opts.fallback.journalExchange(p.meta, request, response);
      this.opts.onDurable();
    } catch (e) {
      this.opts.onUnwritten(p.meta, request, response, (e as NodeJS.ErrnoException).code ?? "error");
    }
    p.resolve();
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
