import {
  type CapturedExchange,
  type ConversationTurn,
  type ExtractTurnOptions,
  extractTurn,
} from "../core/capture/index.js";
import type { Logger } from "../core/logger.js";
import type { Counters } from "./capture-stats.js";
import { decodeBody } from "./decode-body.js";
import type { RawExchange } from "./forward.js";
import type { Outbox } from "./outbox.js";
import type { OutboxWorker } from "./outbox-worker.js";

/**
 * What happens after an exchange ends, off the hot path: decode the capture
 * copies, extract the turn (pure; it redacts), write it to the outbox and
 * wake the worker. A turn that cannot be written (full disk, locked file) is
 * held in memory and written on the next attempt. Failures are counted and
 * logged without content; the client's traffic never waits for any of this.
 */

/** Turns held in memory while the outbox cannot be written. */
export const HELD_TURNS_MAX = 1000;
/** Keys of recently queued turns, remembered to spare the outbox a write for a resent turn. */
const RECENT_KEYS_MAX = 4096;

export interface CapturePipelineOptions {
  outbox: Outbox;
  worker: OutboxWorker;
  logger: Logger;
  counters: Counters;
  extract: ExtractTurnOptions;
}

export class CapturePipeline {
  private inFlight = 0;
  private readonly held: ConversationTurn[] = [];
  private idle: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly recentKeys = new Set<string>();

  constructor(private readonly o: CapturePipelineOptions) {}

  /** Hands over a finished exchange; returns at once. */
  submit(raw: RawExchange): void {
    this.inFlight++;
    setImmediate(() => {
      this.process(raw)
        .catch((e: unknown) => {
          this.o.counters.captureFailures++;
          this.o.logger.error("capture failed", { error: e instanceof Error ? e.name : "error" });
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

  /** Turns held in memory because the outbox could not be written. */
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
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async process(raw: RawExchange): Promise<void> {
    const [reqBody, resBody] = await Promise.all([
      decodeBody(raw.requestBody.bytes(), raw.requestHeaders["content-encoding"]),
      decodeBody(raw.responseBody.bytes(), raw.responseHeaders["content-encoding"]),
    ]);
    if (!reqBody.ok || !resBody.ok) {
      this.o.counters.captureFailures++;
      this.o.logger.warn("could not decode a captured body", {
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
    const result = extractTurn(exchange, this.o.extract);
    if (result.kind === "skip") {
      this.o.counters.skippedNoise++;
      this.o.logger.debug("exchange not stored", { reason: result.reason, status: raw.status });
      return;
    }
    this.queue(result.turn);
  }

  private remember(key: string): void {
    this.recentKeys.add(key);
    if (this.recentKeys.size > RECENT_KEYS_MAX) {
      const oldest = this.recentKeys.values().next().value;
      if (oldest !== undefined) this.recentKeys.delete(oldest);
    }
  }

  private queue(turn: ConversationTurn): void {
    if (this.recentKeys.has(turn.key)) {
      // Queued (and kept in the outbox) already: a resent request.
      this.o.counters.duplicates++;
      return;
    }
    this.writeHeld();
    if (this.held.length > 0) {
      this.hold(turn);
      return;
    }
    try {
      if (this.o.outbox.enqueue(turn)) {
        this.o.counters.turnsQueued++;
        this.o.logger.debug("turn queued", { complete: turn.complete, model: turn.model });
        this.o.worker.notify();
      } else {
        this.o.counters.duplicates++;
      }
      this.remember(turn.key);
    } catch (e) {
      this.o.logger.error("could not write a turn to the outbox; holding it in memory", {
        code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
      });
      this.hold(turn);
    }
  }

  private hold(turn: ConversationTurn): void {
    this.held.push(turn);
    if (this.held.length > HELD_TURNS_MAX) {
      this.held.shift();
      this.o.counters.captureFailures++;
      this.o.logger.error("dropped a captured turn: the outbox has been unwritable for too long", {
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

  /** Writes held turns, oldest first, until one fails. */
  private writeHeld(): void {
    while (this.held.length > 0) {
      const turn = this.held[0] as ConversationTurn;
      try {
        if (this.o.outbox.enqueue(turn)) this.o.counters.turnsQueued++;
        else this.o.counters.duplicates++;
      } catch {
        return;
      }
      this.held.shift();
      this.o.worker.notify();
    }
  }
}
