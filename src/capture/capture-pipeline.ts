import { type CapturedExchange, type InterpretOptions, interpretExchange } from "../core/capture/index.js";
import type { Logger } from "../core/logger.js";
import type { Counters } from "./capture-stats.js";
import { decodeBody } from "./decode-body.js";
import {
  DEFAULT_EPISODE_IDLE_MS,
  type EpisodeTracker,
  type EpisodeUpdate,
  type TrackResult,
} from "./episode-tracker.js";
import type { RawExchange } from "./forward.js";
import type { OutboxWorker } from "./outbox-worker.js";

/**
 * What happens after an exchange ends, off the hot path: decode the capture
 * copies, read the episode the request and reply hold (pure; it redacts),
 * let the tracker queue whole episodes to the outbox and keep the one in
 * progress, and wake the worker. An update that cannot be written (full
 * disk, locked file) is held in memory and written on the next attempt.
 * Failures are counted and logged without content; the client's traffic
 * never waits for any of this.
 */

/** Updates held in memory while the outbox cannot be written. */
export const HELD_UPDATES_MAX = 1000;

export interface CapturePipelineOptions {
  tracker: EpisodeTracker;
  worker: OutboxWorker;
  logger: Logger;
  counters: Counters;
  extract: InterpretOptions;
  /** How often to look for abandoned episodes (default: a quarter of the idle time, at most 30 s). */
  sweepEveryMs?: number | undefined;
  idleMs?: number | undefined;
}

export class CapturePipeline {
  private inFlight = 0;
  private readonly held: EpisodeUpdate[] = [];
  private idle: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly opts: CapturePipelineOptions) {
    const idleMs = opts.idleMs ?? DEFAULT_EPISODE_IDLE_MS;
    const every = opts.sweepEveryMs ?? Math.max(1000, Math.min(30_000, Math.floor(idleMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every).unref();
    // Episodes left in progress by a previous run may have gone idle meanwhile.
    setImmediate(() => this.sweep());
  }

  /** Hands over a finished exchange; returns at once. */
  submit(raw: RawExchange): void {
    this.inFlight++;
    setImmediate(() => {
      this.process(raw)
        .catch((e: unknown) => {
          this.opts.counters.captureFailures++;
          this.opts.logger.error("capture failed", { error: e instanceof Error ? e.name : "error" });
        })
        .finally(() => {
          raw.requestBody.release();
          raw.responseBody.release();
          this.inFlight--;
          if (this.inFlight === 0) for (const w of this.idle.splice(0)) w();
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

  stop(): void {
    clearInterval(this.sweepTimer);
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

  private async process(raw: RawExchange): Promise<void> {
    const [reqBody, resBody] = await Promise.all([
      decodeBody(raw.requestBody.bytes(), raw.requestHeaders["content-encoding"]),
      decodeBody(raw.responseBody.bytes(), raw.responseHeaders["content-encoding"]),
    ]);
    if (!reqBody.ok || !resBody.ok) {
      this.opts.counters.captureFailures++;
      this.opts.logger.warn("could not decode a captured body", {
        reason: !reqBody.ok ? reqBody.reason : !resBody.ok ? resBody.reason : "",
      });
      return;
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
      this.opts.counters.skippedNoise++;
      this.opts.logger.debug("exchange not stored", { reason: result.reason, status: raw.status });
      return;
    }
    this.track(result);
  }

  private account(result: TrackResult, fromSweep = false): void {
    const fresh = result.queued.length - result.duplicates;
    this.opts.counters.turnsQueued += fresh;
    this.opts.counters.duplicates += result.duplicates;
    for (const ep of result.queued) {
      if (!ep.complete) this.opts.counters.episodesAbandoned++;
      this.opts.logger.debug(fromSweep ? "idle episode queued as incomplete" : "episode queued", {
        complete: ep.complete,
        requests: ep.requests,
      });
    }
    if (result.queued.length > 0) this.opts.worker.notify();
  }

  private track(update: EpisodeUpdate): void {
    this.writeHeld();
    if (this.held.length > 0) {
      this.hold(update);
      return;
    }
    try {
      this.account(this.opts.tracker.observe(update));
    } catch (e) {
      this.opts.logger.error("could not write an episode to the outbox; holding it in memory", {
        code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
      });
      this.hold(update);
    }
  }

  private hold(update: EpisodeUpdate): void {
    this.held.push(update);
    if (this.held.length > HELD_UPDATES_MAX) {
      this.held.shift();
      this.opts.counters.captureFailures++;
      this.opts.logger.error("dropped a captured exchange: the outbox has been unwritable for too long", {
        held: this.held.length,
      });
    }
    this.scheduleRetry();
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
      const update = this.held[0] as EpisodeUpdate;
      try {
        this.account(this.opts.tracker.observe(update));
      } catch {
        return;
      }
      this.held.shift();
    }
  }
}
