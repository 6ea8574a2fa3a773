import { type CapturedExchange, type InterpretOptions, interpretExchange } from "../../core/capture/index.js";
import type { Logger } from "../../core/logger.js";
import type { Count } from "../capture-stats.js";
import type { RawExchange } from "../proxy/forward.js";
import { decodeBody } from "./decode-body.js";
import {
  DEFAULT_EPISODE_IDLE_MS,
  type EpisodeTracker,
  type EpisodeUpdate,
  type TrackResult,
} from "./episode-tracker.js";
import { fromJournal, journalMeta, reduceHeaders } from "./exchange-journal.js";
import type { Outbox } from "./outbox.js";
import type { OutboxWorker } from "./outbox-worker.js";

/**
 * `submit` writes the finished exchange to the journal (the outbox
 * database) at once, so that it is durable before the client sees the end
 * of the reply; a restart reads back whatever was not processed. Then, off
 * the hot path: decode the capture
 * copies, read the episode the request and reply hold (pure; it redacts),
 * let the tracker queue whole episodes to the outbox and keep the one in
 * progress, and wake the worker. An update that cannot be written (full
 * disk, locked file) is held in memory and written on the next attempt.
 * Failures are counted and logged without content; the client's traffic
 * never waits for any of this.
 */

/** How long capture must be idle before the journal's traces are scrubbed from disk. */
const SCRUB_DELAY_MS = 250;

/** Updates held in memory while the outbox cannot be written. */
export const HELD_UPDATES_MAX = 1000;

interface Held {
  update: EpisodeUpdate;
  journalId: number | null;
}

/** An exchange decoded and read: nothing to store (noise, undecodable), or an update for the tracker. */
type Read = { kind: "skip"; journalId: number | null } | { kind: "update"; item: Held };

/** Journaled exchanges read and recorded per outbox transaction. */
export const JOURNAL_BATCH = 100;

const NOTHING_QUEUED: TrackResult = { queued: [], duplicates: 0 };

export interface CapturePipelineOptions {
  outbox: Outbox;
  tracker: EpisodeTracker;
  worker: OutboxWorker;
  logger: Logger;
  count: Count;
  extract: InterpretOptions;
  /** How often to look for abandoned episodes (default: a quarter of the idle time, at most 30 s). */
  sweepEveryMs?: number | undefined;
  idleMs?: number | undefined;
  /**
   * Awaited before each batch of a backlog (default: the next turn of the event loop). On the
   * capture thread: waits while forwarding is busy (forwarding-pace.ts).
   */
  pace?: (() => Promise<void>) | undefined;
}

export class CapturePipeline {
  private inFlight = 0;
  /** Of those, exchanges that exist only in memory (the journal could not be written). */
  private unjournaledInFlight = 0;
  private readonly held: Held[] = [];
  private idle: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private scrubTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Turns this pipeline lost, for the log line of each (the total is counted through `count`). */
  private droppedSoFar = 0;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly opts: CapturePipelineOptions) {
    const idleMs = opts.idleMs ?? DEFAULT_EPISODE_IDLE_MS;
    const every = opts.sweepEveryMs ?? Math.max(1000, Math.min(30_000, Math.floor(idleMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every).unref();
    // Episodes left in progress by a previous run may have gone idle meanwhile.
    setImmediate(() => this.sweep());
  }

  /**
   * Hands over a finished exchange: journals it (synchronously: the caller
   * ends the client's response right after), then processes it later. A
   * journal that cannot be written (full disk) is counted and logged; the
   * exchange is then processed from memory only.
   */
  submit(input: RawExchange): void {
    const raw = reduceHeaders(input);
    let journalId: number | null = null;
    try {
      journalId = this.opts.outbox.journalExchange(
        journalMeta(raw),
        raw.requestBody.bytes(),
        raw.responseBody.bytes(),
      );
    } catch (e) {
      this.opts.count("captureFailures");
      this.opts.logger.error("could not journal an exchange; capturing it from memory only", {
        code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
      });
    }
    this.schedule(raw, journalId);
  }

  /** Processes an exchange that could not be journaled (the journal is unwritable), from memory. */
  submitUnjournaled(raw: RawExchange): void {
    this.schedule(reduceHeaders(raw), null);
  }

  /**
   * Processes what is journaled and not processed yet (new exchanges, or what a previous run left:
   * crash, kill -9), oldest first, `JOURNAL_BATCH` rows at a time: each row is decoded and read on
   * its own, then the whole batch is recorded in one outbox transaction (the rows leave the
   * journal in it). A batch that cannot be written that way is recorded row by row.
   */
  async replayJournal(): Promise<number> {
    let after = 0;
    let replayed = 0;
    for (;;) {
      if (this.stopping) return replayed;
      const rows = this.opts.outbox.journaledExchanges(JOURNAL_BATCH, after);
      if (rows.length === 0) {
        // The journal read to its end: once capture is idle its WAL is truncated (no raw exchange left on disk).
        if (replayed > 0) this.scheduleScrub();
        return replayed;
      }
      // Between batches of a backlog, let timers and messages (counters, a stop) run; on the capture
      // thread, before every batch, wait while forwarding is busy.
      if (this.opts.pace) await this.opts.pace();
      else if (replayed > 0) await new Promise((r) => setImmediate(r));
      if (this.stopping) return replayed;
      const batch: Read[] = [];
      for (const row of rows) {
        // Stopping: what is left stays journaled for the next start.
        if (this.stopping) break;
        after = row.id;
        replayed++;
        try {
          batch.push(await this.read(fromJournal(row), row.id));
        } catch (e) {
          // It stays journaled: the next start reads it again.
          this.opts.count("captureFailures");
          this.opts.logger.error("capture failed", { error: e instanceof Error ? e.name : "error" });
        }
      }
      this.recordMany(batch);
    }
  }

  private schedule(raw: RawExchange, journalId: number | null): void {
    this.inFlight++;
    if (journalId === null) this.unjournaledInFlight++;
    setImmediate(() => {
      this.process(raw, journalId)
        .catch((e: unknown) => {
          this.opts.count("captureFailures");
          this.opts.logger.error("capture failed", { error: e instanceof Error ? e.name : "error" });
        })
        .finally(() => {
          raw.requestBody.release();
          raw.responseBody.release();
          this.inFlight--;
          if (journalId === null) this.unjournaledInFlight--;
          if (this.inFlight === 0) {
            for (const w of this.idle.splice(0)) w();
            this.scheduleScrub();
          }
        });
    });
  }

  /** Exchanges submitted and not yet processed. */
  inFlightCount(): number {
    return this.inFlight;
  }

  /** Updates held in memory because the outbox could not be written. */
  heldCount(): number {
    return this.held.length;
  }

  /** Resolves when every submitted exchange has been processed (or after `timeoutMs`). */
  async settle(timeoutMs: number): Promise<void> {
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.idle.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.writeHeld();
  }

  /** Ends journal reading after the exchange in hand; the rest stays journaled for the next start. */
  stopReading(): void {
    this.stopping = true;
  }

  stop(): void {
    this.stopping = true;
    if (this.held.length > 0) {
      // Nothing may vanish without a trace: what could not be written is counted and said. A journaled
      // exchange is read again at the next start; one that never reached the journal is lost, each logged.
      this.opts.count("captureFailures", this.held.length);
      const journaled = this.held.filter((h) => h.journalId !== null).length;
      this.opts.logger.error("stopping with captured exchanges the outbox could not take", {
        held: this.held.length,
        journaled,
        lost: this.held.length - journaled,
      });
      for (const h of this.held) if (h.journalId === null) this.dropped(h, "stopping while the disk is full");
    }
    // Still being processed at the end of the grace period, and only in memory: lost too, and said.
    for (let i = 0; i < this.unjournaledInFlight; i++) this.dropped(null, "stopping before it was processed");
    this.unjournaledInFlight = 0;
    clearInterval(this.sweepTimer);
    if (this.scrubTimer) clearTimeout(this.scrubTimer);
    this.scrubTimer = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Queues episodes in progress that went idle. */
  sweep(now = Date.now()): void {
    try {
      this.account(this.opts.tracker.sweep(now), true);
    } catch (e) {
      this.opts.logger.warn("could not check for abandoned episodes; will retry", {
        code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
      });
    }
  }

  /** Soon after capture goes idle, raw exchanges are made unreadable on disk (`Outbox.scrub`). */
  private scheduleScrub(): void {
    this.scrubTimer ??= setTimeout(() => {
      this.scrubTimer = null;
      if (this.inFlight > 0) return;
      try {
        if (!this.opts.outbox.scrub()) this.scheduleScrub();
      } catch {
        // Closed or locked: the next idle moment tries again.
      }
    }, SCRUB_DELAY_MS).unref();
  }

  private forget(journalId: number | null): void {
    if (journalId === null) return;
    try {
      this.opts.outbox.forgetExchange(journalId);
    } catch {
      // It stays journaled: the next start reads it again and skips it again.
    }
  }

  private async process(raw: RawExchange, journalId: number | null): Promise<void> {
    const r = await this.read(raw, journalId);
    if (r.kind === "skip") this.forget(journalId);
    else this.track(r.item);
  }

  /** Decodes an exchange and reads the episode it holds (pure apart from counting and logging). */
  private async read(raw: RawExchange, journalId: number | null): Promise<Read> {
    const [reqBody, resBody] = await Promise.all([
      decodeBody(raw.requestBody.bytes(), raw.requestHeaders["content-encoding"]),
      decodeBody(raw.responseBody.bytes(), raw.responseHeaders["content-encoding"]),
    ]);
    if (!reqBody.ok || !resBody.ok) {
      this.opts.count("captureFailures");
      this.opts.logger.warn("could not decode a captured body", {
        reason: !reqBody.ok ? reqBody.reason : !resBody.ok ? resBody.reason : "",
      });
      return { kind: "skip", journalId };
    }
    const exchange: CapturedExchange = {
      method: raw.method,
      path: raw.path,
      host: raw.host,
      requestHeaders: raw.requestHeaders,
      requestBody: reqBody.body,
      status: raw.status,
      responseHeaders: raw.responseHeaders,
      responseBody: resBody.body,
      responseComplete: raw.responseComplete,
      truncated: raw.requestBody.truncated || raw.responseBody.truncated,
      startedAt: raw.startedAt.toISOString(),
      endedAt: raw.endedAt.toISOString(),
    };
    const result = interpretExchange(exchange, this.opts.extract);
    if (result.kind === "skip") {
      this.opts.count("skippedNoise");
      this.opts.logger.debug("exchange not stored", { reason: result.reason, status: raw.status });
      return { kind: "skip", journalId };
    }
    return { kind: "update", item: { update: result, journalId } };
  }

  /**
   * Records a batch of read exchanges in one outbox transaction: the skipped ones leave the
   * journal, the others go through the tracker in order. When that transaction cannot be
   * written (or updates are already held), each is recorded on its own as `process` does, so a
   * full disk holds exactly the updates it would have held one by one.
   */
  private recordMany(batch: Read[]): void {
    if (batch.length === 0) return;
    this.writeHeld();
    if (this.held.length === 0) {
      let results: TrackResult[] | null = null;
      try {
        const now = Date.now();
        results = this.opts.outbox.transaction(() =>
          batch.map((r) => {
            if (r.kind === "skip") {
              if (r.journalId !== null) this.opts.outbox.forgetExchange(r.journalId);
              return NOTHING_QUEUED;
            }
            return this.opts.tracker.apply(r.item.update, now, r.item.journalId);
          }),
        );
      } catch (e) {
        this.opts.logger.debug("could not record a batch of exchanges at once; recording each", {
          code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
        });
      }
      if (results) {
        for (const r of results) if (r !== NOTHING_QUEUED) this.account(r);
        return;
      }
    }
    for (const r of batch) {
      if (r.kind === "skip") this.forget(r.journalId);
      else this.track(r.item);
    }
  }

  private account(result: TrackResult, fromSweep = false): void {
    const fresh = result.queued.length - result.duplicates;
    this.opts.count("turnsQueued", fresh);
    this.opts.count("duplicates", result.duplicates);
    for (const ep of result.queued) {
      if (!ep.complete) this.opts.count("episodesAbandoned");
      this.opts.logger.debug(fromSweep ? "idle episode queued as incomplete" : "episode queued", {
        complete: ep.complete,
        requests: ep.requests,
      });
    }
    if (result.queued.length > 0) this.opts.worker.notify();
  }

  private track(item: Held): void {
    this.writeHeld();
    if (this.held.length > 0) {
      this.hold(item);
      return;
    }
    try {
      this.account(this.opts.tracker.observe(item.update, Date.now(), item.journalId));
    } catch (e) {
      this.opts.logger.error("could not write an episode to the outbox; holding it in memory", {
        code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
      });
      this.hold(item);
    }
  }

  private hold(item: Held): void {
    this.held.push(item);
    if (this.held.length > HELD_UPDATES_MAX) {
      const oldest = this.held.shift() as Held;
      this.opts.count("captureFailures");
      // A journaled one is still on disk (read again at the next start); only an unjournaled one is lost.
      if (oldest.journalId === null) this.dropped(oldest, "the outbox has been unwritable for too long");
    }
    this.scheduleRetry();
  }

  /** One log line and one count per captured exchange that is lost (never its content). */
  private dropped(item: Held | null, why: string): void {
    this.opts.count("turnsDropped");
    this.droppedSoFar++;
    this.opts.logger.error("dropped a captured turn", {
      why,
      ...(item ? { project: item.update.episode.app_id, requests: item.update.episode.requests } : {}),
      dropped: this.droppedSoFar,
    });
  }

  private scheduleRetry(): void {
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = null;
      this.writeHeld();
      if (this.held.length > 0) this.scheduleRetry();
    }, 2000).unref();
  }

  /** Writes held updates, oldest first, until one fails. */
  private writeHeld(): void {
    while (this.held.length > 0) {
      const item = this.held[0] as Held;
      try {
        this.account(this.opts.tracker.observe(item.update, Date.now(), item.journalId));
      } catch {
        return;
      }
      this.held.shift();
    }
  }
}
