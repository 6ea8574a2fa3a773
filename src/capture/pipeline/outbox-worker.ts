import { isConversationTurn, turnToMemory } from "../../core/capture/index.js";
import { type Episode, episodeToMemory } from "../../core/episodes/index.js";
import { isMemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { AddInput, AddResult } from "../../core/types.js";
import type { MemoryStore } from "../../store/memory-store.js";
import type { Count } from "../capture-stats.js";
import { nextTurn } from "./forwarding-pace.js";
import type { Outbox, OutboxRow } from "./outbox.js";

/**
 * Moves turns from the outbox into the memory store, oldest first, up to
 * `DELIVERY_BATCH` rows per store call (`addMany`: one transaction in SQLite
 * and PostgreSQL) and one outbox transaction marking them done. A failed add
 * is retried with exponential backoff (and the worker pauses, so an outage is
 * not hammered); input the store rejects for good (INVALID_INPUT) is marked
 * failed and kept for inspection (a batch holding it is then stored row by
 * row, so only that row fails). Replaying a row whose add succeeded just
 * before a crash is harmless: the store does not store the same text for the
 * same user twice.
 */

/** "episode stored" lines a second at most; the rest of a second is summed up in one line. */
export const STORED_LINES_PER_S = 20;

/**
 * How long the worker must have been idle after deliveries before the outbox WAL is checkpointed
 * and truncated (`Outbox.scrubDelivered`). That checkpoint blocks every other writer of outbox.db
 * while it runs, the journal mover's commits among them: not after every batch of a flood, but
 * once it is over. `drain` scrubs at once.
 */
export const SCRUB_IDLE_MS = 500;

/** Outbox rows stored per store call and marked done per outbox transaction. */
export const DELIVERY_BATCH = 100;

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
  /**
   * Awaited before each batch of a backlog (default: the next turn of the event loop). On the
   * capture thread: waits while forwarding is busy (forwarding-pace.ts).
   */
  pace?: (() => Promise<void>) | undefined;

  /**
   * Deliveries wait while this is true (checked before each batch, again after the backoff's
   * base delay): the disk the store shares with the journal is full, and what room is left
   * keeps captured turns (the episodes wait in the outbox, durable, and are stored once there
   * is room).
   */
  holdWhile?: (() => boolean) | undefined;
  /** The clock of the "episode stored" lines' per-second limit (tests). */
  clock?: (() => number) | undefined;
}

function toInput(payload: OutboxRow["payload"]): AddInput {
  return isConversationTurn(payload) ? turnToMemory(payload) : episodeToMemory(payload);
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
  private scrubTimer: NodeJS.Timeout | null = null;
  private logWindow = { since: 0, lines: 0, unlogged: 0 };
  private holding = false;

  /**
   * Whether rows go to the store in batches. Not with Mem0: its `addMany` is one add after
   * another with no transaction, so a failure part-way would leave earlier rows stored but not
   * marked done (their replay would then rest on Mem0's own deduplication).
   */
  private readonly batched: boolean;

  constructor(private readonly opts: OutboxWorkerOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.batched = opts.store.backend !== "mem0";
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
    if (this.running) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    // Drained: what was delivered is made unreadable now, not after the idle delay.
    if (!this.running && this.deliveredSinceScrub) this.scrubDelivered();
  }

  /** Once idle for SCRUB_IDLE_MS after deliveries, delivered payloads are made unreadable on disk. */
  private scheduleScrub(): void {
    if (this.scrubTimer) clearTimeout(this.scrubTimer);
    this.scrubTimer = setTimeout(() => {
      this.scrubTimer = null;
      if (!this.running && this.deliveredSinceScrub) this.scrubDelivered();
    }, SCRUB_IDLE_MS);
    this.scrubTimer.unref();
  }

  /** Delivered payloads are made unreadable on disk (`Outbox.scrubDelivered`). */
  private scrubDelivered(): void {
    if (this.scrubTimer) clearTimeout(this.scrubTimer);
    this.scrubTimer = null;
    this.deliveredSinceScrub = false;
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
    if (this.scrubTimer) clearTimeout(this.scrubTimer);
    this.scrubTimer = null;
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
    try {
      do {
        this.again = false;
        while (!this.stopped && Date.now() >= this.pausedUntil) {
          if (this.opts.holdWhile?.()) {
            this.pausedUntil = Date.now() + this.backoff.baseMs;
            if (!this.holding) {
              this.holding = true;
              this.opts.logger.warn(
                "the disk is full: captured episodes wait in the outbox and are stored once there is room",
              );
            }
            break;
          }
          this.holding = false;
          const rows = this.opts.outbox.due(Date.now(), this.batched ? DELIVERY_BATCH : 16);
          if (rows.length === 0) break;
          await this.deliver(rows);
          // A synchronous store resolves every await at once: let timers and messages (the
          // counters, a stop) run between batches of a backlog; on the capture thread, wait
          // while forwarding is busy.
          await (this.opts.pace ?? nextTurn)();
        }
      } while (this.again && !this.stopped);
    } catch (e) {
      // The outbox itself failed (disk, lock): log without content, try again later.
      this.opts.count("captureFailures");
      this.pausedUntil = Date.now() + this.backoff.baseMs;
      this.opts.logger.error("outbox read failed", { code: errorCode(e) });
    } finally {
      this.running = false;
      if (this.logWindow.unlogged > 0) this.flushStoredLog();
      if (this.deliveredSinceScrub) this.scheduleScrub();
      this.schedule();
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

  /** Stores rows one at a time, in order, until one asks for a pause. */
  private async processEach(rows: OutboxRow[]): Promise<boolean> {
    for (const row of rows) {
      if (this.stopped || !(await this.process(row))) return false;
    }
    return true;
  }

  /**
   * Stores a batch: the look-ups first (nothing written), then one `addMany` (one store
   * transaction: all of it is written or none), then the incomplete versions the complete
   * episodes replace, then one outbox transaction marking every row done. A batch the store
   * rejects is stored row by row (only the rejected row is marked failed); an outage pauses the
   * worker as for one row. false when the worker should pause.
   */
  private async deliver(rows: OutboxRow[]): Promise<boolean> {
    if (!this.batched || rows.length === 1) return this.processEach(rows);
    const plan: { row: OutboxRow; known: string | null; input: AddInput | null }[] = [];
    try {
      for (const row of rows) {
        const p = row.payload;
        const known = isConversationTurn(p) ? null : await this.storedWithKey(p);
        plan.push({ row, known, input: known ? null : toInput(p) });
      }
    } catch (e) {
      return this.failed(rows[0] as OutboxRow, e);
    }
    const adding = plan.filter((x) => x.input !== null);
    let results: AddResult[];
    try {
      results =
        adding.length > 0 ? await this.opts.store.addMany(adding.map((x) => x.input as AddInput)) : [];
    } catch (e) {
      // Nothing of the batch was written. A row the store refuses fails alone; an outage pauses.
      if (isMemoryError(e) && e.code === "INVALID_INPUT") return this.processEach(rows);
      return this.failed(rows[0] as OutboxRow, e);
    }
    const outcome = new Map<OutboxRow, AddResult>();
    for (const [i, x] of adding.entries()) outcome.set(x.row, results[i] as AddResult);
    const done: { id: number; memoryId: string | null }[] = [];
    let retry: { row: OutboxRow; error: unknown } | null = null;
    for (const { row, known } of plan) {
      const result = outcome.get(row);
      if (!result) {
        done.push({ id: row.id, memoryId: known });
        continue;
      }
      const p = row.payload;
      if (!isConversationTurn(p) && p.complete) {
        try {
          await this.replaceIncomplete(p);
        } catch (e) {
          // Stored, its older version not yet removed: the row is tried again (its add is then a duplicate).
          retry ??= { row, error: e };
          outcome.delete(row);
          continue;
        }
      }
      done.push({ id: row.id, memoryId: result.memory?.id ?? result.event_id ?? null });
    }
    try {
      this.opts.outbox.markManyDone(done);
    } catch (e) {
      return this.failed(rows[0] as OutboxRow, e);
    }
    this.deliveredSinceScrub = true;
    for (const { row, known } of plan) {
      if (known) this.opts.count("duplicates");
      const result = outcome.get(row);
      if (result) this.counted(row.payload, result);
    }
    return retry ? this.failed(retry.row, retry.error) : true;
  }

  /** Counts a row the store took; one info line per stored episode (counts and project, never content). */
  private counted(payload: OutboxRow["payload"], result: AddResult): void {
    if (result.status === "duplicate") {
      this.opts.count("duplicates");
      return;
    }
    this.opts.count("turnsStored");
    if (!isConversationTurn(payload)) this.logStored(payload);
    this.countForReflection();
  }

  /**
   * One info line per stored episode, up to `STORED_LINES_PER_S` a second; beyond that (a backlog,
   * a swarm) the rest of each second is one line with their number. Lines are written by the
   * proxy's thread, so thousands a second would cost forwarding time.
   */
  /** The line for the episodes of the current second that had no line of their own (if any). */
  private flushStoredLog(now = (this.opts.clock ?? Date.now)()): void {
    if (this.logWindow.unlogged > 0)
      this.opts.logger.info("episodes stored, not logged one by one", { count: this.logWindow.unlogged });
    this.logWindow = { since: now, lines: 0, unlogged: 0 };
  }

  private logStored(ep: Episode): void {
    const now = (this.opts.clock ?? Date.now)();
    if (now - this.logWindow.since >= 1000) this.flushStoredLog(now);
    if (this.logWindow.lines >= STORED_LINES_PER_S) {
      this.logWindow.unlogged++;
      return;
    }
    this.logWindow.lines++;
    // Counts and project, never content.
    this.opts.logger.info("episode stored", {
      project: ep.app_id,
      requests: ep.requests,
      complete: ep.complete,
      tools: ep.tools.length,
    });
  }

  /**
   * A row that could not be stored: input the store rejects for good is marked failed (true:
   * carry on); anything else is retried with backoff and the worker pauses (false).
   */
  private failed(row: OutboxRow, e: unknown): boolean {
    const attempts = row.attempts + 1;
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

  /** Stores one row. false when the worker should pause (the store is failing). */
  private async process(row: OutboxRow): Promise<boolean> {
    try {
      const payload = row.payload;
      const known = isConversationTurn(payload) ? null : await this.storedWithKey(payload);
      if (known) {
        // Stored already by the other way in (the transcript reader), perhaps with other text.
        this.opts.outbox.markDone(row.id, known);
        this.opts.count("duplicates");
        return true;
      }
      const result = await this.opts.store.add(toInput(payload));
      if (!isConversationTurn(payload) && payload.complete) await this.replaceIncomplete(payload);
      this.opts.outbox.markDone(row.id, result.memory?.id ?? result.event_id ?? null);
      this.deliveredSinceScrub = true;
      this.counted(payload, result);
      return true;
    } catch (e) {
      return this.failed(row, e);
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
