import { isConversationTurn, turnToMemory } from "../../core/capture/index.js";
import { type Episode, episodeToMemory } from "../../core/episodes/index.js";
import { isMemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { MemoryStore } from "../../store/memory-store.js";
import type { Count } from "../capture-stats.js";
import type { Outbox, OutboxRow } from "./outbox.js";

/**
 * Moves turns from the outbox into the memory store, one at a time, oldest
 * first. A failed add is retried with exponential backoff (and the worker
 * pauses, so an outage is not hammered); input the store rejects for good
 * (INVALID_INPUT) is marked failed and kept for inspection. Replaying a row
 * whose add succeeded just before a crash is harmless: the store does not
 * store the same text for the same user twice.
 */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 5 * 60_000 };

export function jitteredBackoffDelay(attempts: number, policy: BackoffPolicy, random = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export interface OutboxWorkerOptions {
  outbox: Outbox;
  store: MemoryStore;
  logger: Logger;
  count: Count;
  /** Call `onMemoriesStored` after this many stored memories. */
  reflectionEvery: number;
  onMemoriesStored?: ((count: number) => void) | undefined;
  backoff?: BackoffPolicy | undefined;
}

function errorCode(e: unknown): string {
  if (isMemoryError(e)) return e.code;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return code;
  return e instanceof Error ? e.name : "error";
}

export class OutboxWorker {
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private pausedUntil = 0;
  private sinceReflection = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly backoff: BackoffPolicy;
  private deliveredSinceScrub = false;

  constructor(private readonly opts: OutboxWorkerOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
  }

  /** Wakes the worker (new rows, or start-up replay). */
  notify(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  /** Resolves when no row is due now (or after `timeoutMs`); rows waiting for a retry stay queued. */
  async drain(timeoutMs: number): Promise<void> {
    this.notify();
    if (!this.running) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Once idle after deliveries, delivered payloads are made unreadable on disk (`Outbox.scrubDelivered`). */
  private scrubDelivered(): void {
    try {
      this.opts.outbox.scrubDelivered();
    } catch (e) {
      this.opts.logger.debug("could not truncate the outbox WAL; the next delivery tries again", {
        code: errorCode(e),
      });
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let next: number | null;
    try {
      next = this.opts.outbox.nextDueAt();
    } catch {
      next = Date.now() + this.backoff.baseMs;
    }
    if (next === null) return;
    const at = Math.max(next, this.pausedUntil);
    this.timer = setTimeout(() => this.notify(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.running = true;
    this.deliveredSinceScrub = false;
    try {
      do {
        this.again = false;
        while (!this.stopped && Date.now() >= this.pausedUntil) {
          const rows = this.opts.outbox.due(Date.now(), 16);
          if (rows.length === 0) break;
          for (const row of rows) {
            if (this.stopped || !(await this.process(row))) break;
          }
          // A synchronous store resolves every await at once: let timers and messages (the
          // counters, a stop) run between batches of a backlog.
          await new Promise((r) => setImmediate(r));
        }
      } while (this.again && !this.stopped);
    } catch (e) {
      // The outbox itself failed (disk, lock): log without content, try again later.
      this.opts.count("captureFailures");
      this.pausedUntil = Date.now() + this.backoff.baseMs;
      this.opts.logger.error("outbox read failed", { code: errorCode(e) });
    } finally {
      this.running = false;
      if (this.deliveredSinceScrub) this.scrubDelivered();
      this.schedule();
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

  /** Stores one row. false when the worker should pause (the store is failing). */
  private async process(row: OutboxRow): Promise<boolean> {
    const attempts = row.attempts + 1;
    try {
      const payload = row.payload;
      const known = isConversationTurn(payload) ? null : await this.storedWithKey(payload);
      if (known) {
        // Stored already by the other way in (the transcript reader), perhaps with other text.
        this.opts.outbox.markDone(row.id, known);
        this.opts.count("duplicates");
        return true;
      }
      const input = isConversationTurn(payload) ? turnToMemory(payload) : episodeToMemory(payload);
      const result = await this.opts.store.add(input);
      if (!isConversationTurn(payload) && payload.complete) await this.replaceIncomplete(payload);
      this.opts.outbox.markDone(row.id, result.memory?.id ?? result.event_id ?? null);
      this.deliveredSinceScrub = true;
      if (result.status === "duplicate") this.opts.count("duplicates");
      else {
        this.opts.count("turnsStored");
        // One line per stored episode: counts and project, never content.
        if (!isConversationTurn(payload)) {
          this.opts.logger.info("episode stored", {
            project: payload.app_id,
            requests: payload.requests,
            complete: payload.complete,
            tools: payload.tools.length,
          });
        }
        this.countForReflection();
      }
      return true;
    } catch (e) {
      const code = errorCode(e);
      if (isMemoryError(e) && e.code === "INVALID_INPUT") {
        this.opts.count("captureFailures");
        this.opts.outbox.markFailed(row.id, attempts, code);
        this.opts.logger.error("the store rejected a captured turn; kept in the outbox as failed", {
          code,
          outboxId: row.id,
        });
        return true;
      }
      const delay = jitteredBackoffDelay(attempts, this.backoff);
      this.pausedUntil = Date.now() + delay;
      try {
        this.opts.outbox.markRetry(row.id, attempts, this.pausedUntil, code);
      } catch {
        // The row stays due; the pause still applies.
      }
      this.opts.logger.warn("storing a captured turn failed; will retry", {
        code,
        attempts,
        retryInMs: delay,
        outboxId: row.id,
      });
      return false;
    }
  }

  /**
   * The id of a memory of this user that already holds this episode's key, if any. The key
   * includes the session, so only that session's memories can hold it (an indexed lookup, not
   * a scan of every memory of the user); an episode without a session can only have been
   * stored by the proxy itself, whose repeats the outbox's unique key and the store's own
   * duplicate check already catch.
   */
  private async storedWithKey(ep: Episode): Promise<string | null> {
    if (ep.run_id === null) return null;
    const page = await this.opts.store.list({
      filters: { user_id: ep.user_id, run_id: ep.run_id, metadata: { episode_key: ep.key } },
      limit: 1,
    });
    return page.memories[0]?.id ?? null;
  }

  /**
   * A complete episode replaces the incomplete version stored earlier (the
   * idle time passed while a tool waited for permission, say). Replayed
   * after a crash, it finds nothing left to replace.
   */
  private async replaceIncomplete(ep: Episode): Promise<void> {
    if (ep.incomplete_key === ep.key) return;
    // Without a session only this proxy can have stored the incomplete version, and then its
    // key is in the outbox; with one, the lookup is narrowed to the session (indexed).
    if (ep.run_id === null && !this.opts.outbox.hasKey(ep.incomplete_key)) return;
    const page = await this.opts.store.list({
      filters: {
        user_id: ep.user_id,
        ...(ep.run_id === null ? {} : { run_id: ep.run_id }),
        metadata: { episode_key: ep.incomplete_key },
      },
      limit: 20,
    });
    for (const m of page.memories) {
      if (m.metadata.kind === "episode" && m.metadata.complete === false) await this.opts.store.delete(m.id);
    }
  }

  private countForReflection(): void {
    this.sinceReflection++;
    if (this.sinceReflection < this.opts.reflectionEvery) return;
    const n = this.sinceReflection;
    this.sinceReflection = 0;
    try {
      this.opts.onMemoriesStored?.(n);
    } catch (e) {
      this.opts.logger.warn("reflection hook failed", { code: errorCode(e) });
    }
  }
}
