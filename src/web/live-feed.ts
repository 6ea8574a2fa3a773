import { errorMessage, isMemoryError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Memory } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";
import type { Catalog } from "./catalog.js";

/**
 * What the page shows live: memories as they are stored (by the proxy, the
 * MCP server, the CLI — any process writing to the same store) and the
 * proxy's counters. New memories are found by polling the newest page of
 * `MemoryStore.list` (works on every backend); the counters come from a
 * reader the command that starts the page passes in (the same files `status`
 * reads).
 */

export interface CaptureCounters {
  /** Is the capture proxy running? */
  running: boolean;
  url: string | null;
  /** Named counters of the current run (exchanges, stored, skipped as noise, failures, …). */
  counters: Record<string, number>;
  outbox: { pending: number; done: number; failed: number };
}

export interface StoreHealth {
  backend: string;
  reachable: boolean;
  /** Error code of the last failed read. */
  error: string | null;
  checkedAt: string | null;
}

export type LiveEvent =
  | { type: "memory"; memory: Memory }
  | { type: "counters"; capture: CaptureCounters | null; store: StoreHealth };

export interface LiveFeedOptions {
  store: MemoryStore;
  userId: string;
  catalog: Catalog;
  logger: Logger;
  readCounters?: (() => Promise<CaptureCounters | null>) | undefined;
  /** Poll interval for new memories (default 1000 ms; the caller picks more for remote backends). */
  pollMs?: number | undefined;
  /** How often counters are read (default 2000 ms). */
  countersMs?: number | undefined;
}

/** The newest memories looked at per poll. */
const HEAD = 50;

export class LiveFeed {
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private timers: NodeJS.Timeout[] = [];
  private polling = false;
  private lastCounters: string | null = null;
  private capture: CaptureCounters | null = null;
  readonly health: StoreHealth;

  constructor(private readonly options: LiveFeedOptions) {
    this.health = { backend: options.store.backend, reachable: true, error: null, checkedAt: null };
  }

  start(): void {
    this.timers.push(setInterval(() => void this.poll(), this.options.pollMs ?? 1000));
    this.timers.push(setInterval(() => void this.readCounters(), this.options.countersMs ?? 2000));
    for (const t of this.timers) t.unref();
    void this.readCounters();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.listeners.clear();
  }

  subscribe(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The latest counters event (sent first to a new subscriber). */
  current(): LiveEvent {
    return { type: "counters", capture: this.capture, store: { ...this.health } };
  }

  private emit(e: LiveEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.options.logger.warn("live listener failed", { error: errorMessage(err) });
      }
    }
  }

  /** Memories among the newest that the catalog has not seen are new. */
  async poll(): Promise<void> {
    if (this.polling || !this.options.catalog.ready) return;
    this.polling = true;
    const wasReachable = this.health.reachable;
    try {
      const page = await this.options.store.list({ filters: { user_id: this.options.userId }, limit: HEAD });
      this.health.reachable = true;
      this.health.error = null;
      const fresh = page.memories.filter((m) => !this.options.catalog.has(m.id)).reverse();
      for (const m of fresh) {
        this.options.catalog.upsert(m);
        this.emit({ type: "memory", memory: m });
      }
    } catch (e) {
      this.health.reachable = false;
      this.health.error = isMemoryError(e) ? e.code : "ERROR";
    } finally {
      this.health.checkedAt = new Date().toISOString();
      this.polling = false;
    }
    if (wasReachable !== this.health.reachable) this.emit(this.current());
  }

  private async readCounters(): Promise<void> {
    if (!this.options.readCounters) return;
    try {
      this.capture = await this.options.readCounters();
    } catch (e) {
      this.options.logger.debug("reading capture counters failed", { error: errorMessage(e) });
      this.capture = null;
    }
    const event = this.current();
    const fingerprint = JSON.stringify([this.capture, this.health.reachable, this.health.error]);
    if (fingerprint === this.lastCounters) return;
    this.lastCounters = fingerprint;
    this.emit(event);
  }
}
