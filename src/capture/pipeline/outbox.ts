import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import type { ConversationTurn } from "../../core/capture/index.js";
import type { Episode } from "../../core/episodes/index.js";
import { isDiskFull, reclaimWal, WAL_SIZE_LIMIT } from "../../store/sqlite/open-database.js";
import { openSqlite } from "../../store/sqlite/sqlite-database.js";

/**
 * The durable outbox between capture and the memory store
 * (`<dataDir>/outbox.db`, SQLite in WAL mode). Only redacted episodes are
 * written here, never raw bodies or headers. An episode's key is unique, so
 * it is queued once however often the client resends its request; rows move
 * from `pending` to `done` (payload dropped, key kept for dedup) or, for
 * input the store rejects for good, `failed`.
 *
 * Episodes still in progress (their last reply asked for a tool) wait in
 * `pending_episodes`, one per conversation, so that a restart, even after
 * kill -9, finishes or abandons them instead of losing them.
 */

/** What a row carries: an episode, or a turn queued by a release before episodes. */
export type OutboxPayload = Episode | ConversationTurn;

export interface OutboxRow {
  id: number;
  key: string;
  payload: OutboxPayload;
  attempts: number;
}

/** A finished exchange kept until capture has read it (headers already reduced to `JOURNAL_HEADERS`). */
export interface JournaledExchange {
  id: number;
  meta: JournalMeta;
  request: Buffer;
  response: Buffer;
}

export interface JournalMeta {
  method: string;
  path: string;
  host: string;
  requestHeaders: Record<string, string>;
  status: number | null;
  responseHeaders: Record<string, string>;
  responseComplete: boolean;
  requestTruncated: boolean;
  responseTruncated: boolean;
  startedAt: string;
  endedAt: string;
  failure: string | null;
}

/** One exchange for `journalExchanges`: its meta already serialised (`JSON.stringify(JournalMeta)`). */
export interface JournalItem {
  meta: string;
  request: Uint8Array;
  response: Uint8Array;
}

/** An episode in progress, waiting for the reply that ends it. */
export interface PendingEpisode {
  conversation: string;
  identity: string;
  episode: Episode;
  updatedAt: number;
}

export type OutboxState = "pending" | "done" | "failed";

export interface OutboxCounts {
  pending: number;
  done: number;
  failed: number;
}

/** Rows that finished this long ago are pruned on open (their keys stop deduplicating). */
export const OUTBOX_KEEP_DONE_MS = 30 * 86_400_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  turn_key TEXT NOT NULL UNIQUE,
  payload TEXT,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  memory_id TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_episodes (
  conversation TEXT PRIMARY KEY,
  identity TEXT NOT NULL,
  payload TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_episodes_idle ON pending_episodes (updated_at);
CREATE TABLE IF NOT EXISTS exchanges (
  id INTEGER PRIMARY KEY,
  meta TEXT NOT NULL,
  request BLOB NOT NULL,
  response BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
-- COUNT(*) and MIN(created_at) (how far behind capture is) read this small index, not the bodies.
CREATE INDEX IF NOT EXISTS exchanges_created ON exchanges (created_at);
`;

interface PendingStatements {
  get: Database.Statement;
  put: Database.Statement;
  drop: Database.Statement;
  idle: Database.Statement;
}

interface PendingRow {
  conversation: string;
  identity: string;
  payload: string;
  updated_at: number;
}

function toPending(r: PendingRow): PendingEpisode {
  return {
    conversation: r.conversation,
    identity: r.identity,
    episode: JSON.parse(r.payload) as Episode,
    updatedAt: r.updated_at,
  };
}

export function outboxPath(dataDir: string): string {
  return join(dataDir, "outbox.db");
}

export class Outbox {
  private readonly insert: Database.Statement;
  private readonly selectDue: Database.Statement;
  private readonly selectNext: Database.Statement;
  private readonly done: Database.Statement;
  private readonly retry: Database.Statement;
  private readonly fail: Database.Statement;
  private readonly addCounter: Database.Statement;
  private pendingStatements: PendingStatements | null = null;
  /** The journal's read side, prepared on first use (an outbox from before the journal has no such table). */
  private selectJournal: Database.Statement | null = null;
  private deleteJournal: Database.Statement | null = null;

  private constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      "INSERT INTO outbox (turn_key, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(turn_key) DO NOTHING",
    );
    this.selectDue = db.prepare(
      "SELECT id, turn_key, payload, attempts FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
    );
    this.selectNext = db.prepare("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'");
    this.done = db.prepare(
      "UPDATE outbox SET state = 'done', payload = NULL, memory_id = ?, finished_at = ?, last_error = NULL WHERE id = ?",
    );
    this.retry = db.prepare(
      "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
    );
    this.fail = db.prepare(
      "UPDATE outbox SET state = 'failed', attempts = ?, last_error = ?, finished_at = ? WHERE id = ?",
    );
    this.addCounter = db.prepare(
      "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
    );
  }

  /** Prepared on first use: an outbox from before episodes, opened read-only, has no such table. */
  private get pending(): PendingStatements {
    this.pendingStatements ??= {
      get: this.db.prepare(
        "SELECT conversation, identity, payload, updated_at FROM pending_episodes WHERE conversation = ?",
      ),
      put: this.db.prepare(
        "INSERT INTO pending_episodes (conversation, identity, payload, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(conversation) DO UPDATE SET identity = excluded.identity, payload = excluded.payload, updated_at = excluded.updated_at",
      ),
      drop: this.db.prepare("DELETE FROM pending_episodes WHERE conversation = ?"),
      idle: this.db.prepare(
        "SELECT conversation, identity, payload, updated_at FROM pending_episodes WHERE updated_at < ? ORDER BY updated_at LIMIT ?",
      ),
    };
    return this.pendingStatements;
  }

  /**
   * Called when a write fails on a full disk; true when it freed space
   * (the disk reserve), and the write is tried once more.
   */
  private onDiskFull: (() => boolean) | undefined;

  static open(
    path: string,
    options: {
      readonly?: boolean;
      onDiskFull?: (() => boolean) | undefined;
      /** SQLite's busy timeout (default 2000 ms); 0 for a caller that waits for the lock itself. */
      busyTimeoutMs?: number | undefined;
    } = {},
  ): Outbox {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = openSqlite(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
    // Opening waits for the lock as usual (schema, pruning); `busyTimeoutMs` applies afterwards.
    db.pragma("busy_timeout = 2000");
    if (!options.readonly) {
      db.pragma("journal_mode = WAL");
      // WAL + NORMAL survives a killed process (not a power cut), at a fraction of FULL's cost.
      db.pragma("synchronous = NORMAL");
      // Raw exchanges pass through here: deleted rows are overwritten, and the WAL stays bounded.
      db.pragma("secure_delete = ON");
      // Cut back after each checkpoint, so that the WAL cannot keep the space a full disk freed.
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
      db.exec(SCHEMA);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        if (process.platform !== "win32" && existsSync(f)) chmodSync(f, 0o600);
      }
      db.prepare("DELETE FROM outbox WHERE state = 'done' AND finished_at < ?").run(
        Date.now() - OUTBOX_KEEP_DONE_MS,
      );
    }
    if (options.busyTimeoutMs !== undefined) {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    }
    const outbox = new Outbox(db);
    outbox.onDiskFull = options.onDiskFull;
    return outbox;
  }

  /**
   * A write; when it fails on a full disk, the WAL is checkpointed and
   * truncated so its frames give their space back, and the disk reserve is
   * given up; a single statement is then tried once more. A transaction is
   * not (its callback may have done more than write): its caller holds what
   * it had and tries again later.
   */
  private write<T>(fn: () => T, retry = true): T {
    try {
      return fn();
    } catch (e) {
      if (!isDiskFull(e) || this.db.inTransaction) throw e;
      reclaimWal(this.db);
      if (this.onDiskFull?.() !== true || !retry) throw e;
      return fn();
    }
  }

  /** Queues a (redacted) episode; false when its key was already queued or stored. */
  enqueue(item: OutboxPayload, now = Date.now()): boolean {
    return this.write(() => this.insert.run(item.key, JSON.stringify(item), now, now).changes === 1);
  }

  /** Runs `fn` in one transaction (all of it is written, or none). */
  transaction<T>(fn: () => T): T {
    return this.write(() => this.db.transaction(fn)(), false);
  }

  /** The episode in progress in a conversation, if any. */
  pendingEpisode(conversation: string): PendingEpisode | null {
    const r = this.pending.get.get(conversation) as PendingRow | undefined;
    return r ? toPending(r) : null;
  }

  savePendingEpisode(p: PendingEpisode): void {
    this.write(() =>
      this.pending.put.run(p.conversation, p.identity, JSON.stringify(p.episode), p.updatedAt),
    );
  }

  deletePendingEpisode(conversation: string): void {
    this.pending.drop.run(conversation);
  }

  /** Episodes in progress with no request since `before` (ms epoch), oldest first. */
  idlePendingEpisodes(before: number, limit = 100): PendingEpisode[] {
    return (this.pending.idle.all(before, limit) as PendingRow[]).map(toPending);
  }

  private journalInsert: Database.Statement | null = null;

  private get journalStatement(): Database.Statement {
    this.journalInsert ??= this.db.prepare(
      "INSERT INTO exchanges (meta, request, response, created_at) VALUES (?, ?, ?, ?)",
    );
    return this.journalInsert;
  }

  /** Keeps a finished exchange (bodies as they came, still encoded) until capture has read it. */
  journalExchange(meta: JournalMeta, request: Buffer, response: Buffer, now = Date.now()): number {
    const r = this.write(() => this.journalStatement.run(JSON.stringify(meta), request, response, now));
    return Number(r.lastInsertRowid);
  }

  /**
   * Journals several finished exchanges in one transaction (one commit for
   * all: the journal writer's group commit). All are written or none; on a
   * full disk the whole batch is tried once more after the WAL and the
   * reserve gave their space back (the callback only inserts, so a retry
   * cannot do anything twice).
   */
  journalExchanges(items: readonly JournalItem[], now = Date.now()): void {
    const insert = this.journalStatement;
    const tx = this.db.transaction(() => {
      for (const it of items) insert.run(it.meta, it.request, it.response, now);
    });
    // BEGIN IMMEDIATE: a busy lock shows at the start, before anything was done.
    this.write(() => tx.immediate());
  }

  /** Exchanges not read yet, oldest first. */
  journaledExchanges(limit = 100, afterId = 0): JournaledExchange[] {
    this.selectJournal ??= this.db.prepare(
      "SELECT id, meta, request, response FROM exchanges WHERE id > ? ORDER BY id LIMIT ?",
    );
    const rows = this.selectJournal.all(afterId, limit) as {
      id: number;
      meta: string;
      request: Buffer;
      response: Buffer;
    }[];
    return rows.map((r) => ({
      id: r.id,
      meta: JSON.parse(r.meta) as JournalMeta,
      request: r.request,
      response: r.response,
    }));
  }

  forgetExchange(id: number): void {
    this.deleteJournal ??= this.db.prepare("DELETE FROM exchanges WHERE id = ?");
    this.deleteJournal.run(id);
  }

  /**
   * Once the journal is empty: checkpoint and truncate the WAL, so that no
   * raw exchange stays readable on disk (deleted rows are zeroed by
   * `secure_delete`; the WAL still held their frames). Returns false when a
   * reader kept the checkpoint from finishing (it is tried again later).
   */
  scrub(): boolean {
    if (this.journalDepth() > 0) return false;
    const r = this.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
    return (r[0]?.busy ?? 1) === 0;
  }

  /**
   * After deliveries: checkpoint and truncate the WAL, so that the payloads
   * just set to NULL (their old cells zeroed by `secure_delete`) are not
   * still readable in old WAL frames. False when a reader kept the
   * checkpoint from finishing (the next delivery tries again).
   */
  scrubDelivered(): boolean {
    const r = this.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
    return (r[0]?.busy ?? 1) === 0;
  }

  /** Exchanges waiting to be read by capture (0 for an outbox from before the journal). */
  journalDepth(): number {
    try {
      return (this.db.prepare("SELECT COUNT(*) AS n FROM exchanges").get() as { n: number }).n;
    } catch {
      return 0;
    }
  }

  /**
   * How far behind capture is: the exchanges journaled and not read yet, and
   * when the oldest of them was journaled (ms since the epoch; null when none).
   */
  journalLag(): { depth: number; oldestAt: number | null } {
    try {
      const r = this.db.prepare("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM exchanges").get() as {
        n: number;
        oldest: number | null;
      };
      return { depth: r.n, oldestAt: r.oldest };
    } catch {
      return { depth: 0, oldestAt: null };
    }
  }

  /** Whether an item with this key was ever queued (and not yet purged): the key is unique. */
  hasKey(key: string): boolean {
    return this.db.prepare("SELECT 1 FROM outbox WHERE turn_key = ?").get(key) !== undefined;
  }

  /** Episodes in progress; 0 for an outbox written before episodes (opened read-only). */
  pendingEpisodeCount(): number {
    try {
      return (this.db.prepare("SELECT COUNT(*) AS n FROM pending_episodes").get() as { n: number }).n;
    } catch {
      return 0;
    }
  }

  due(now: number, limit: number): OutboxRow[] {
    const rows = this.selectDue.all(now, limit) as {
      id: number;
      turn_key: string;
      payload: string;
      attempts: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      key: r.turn_key,
      payload: JSON.parse(r.payload) as OutboxPayload,
      attempts: r.attempts,
    }));
  }

  /** When the next pending row is due (ms epoch), or null when none is pending. */
  nextDueAt(): number | null {
    const r = this.selectNext.get() as { t: number | null };
    return r.t;
  }

  markDone(id: number, memoryId: string | null, now = Date.now()): void {
    this.write(() => this.done.run(memoryId, now, id));
  }

  /**
   * Marks rows done in one transaction (all or none). Only writes, so on a full disk it is
   * tried once more after the WAL and the reserve gave their space back.
   */
  markManyDone(rows: readonly { id: number; memoryId: string | null }[], now = Date.now()): void {
    if (rows.length === 0) return;
    this.write(() =>
      this.db.transaction(() => {
        for (const r of rows) this.done.run(r.memoryId, now, r.id);
      })(),
    );
  }

  markRetry(id: number, attempts: number, nextAttemptAt: number, errorCode: string): void {
    this.retry.run(attempts, nextAttemptAt, errorCode.slice(0, 200), id);
  }

  markFailed(id: number, attempts: number, errorCode: string, now = Date.now()): void {
    this.fail.run(attempts, errorCode.slice(0, 200), now, id);
  }

  counts(): OutboxCounts {
    const out: OutboxCounts = { pending: 0, done: 0, failed: 0 };
    const rows = this.db.prepare("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").all() as {
      state: OutboxState;
      n: number;
    }[];
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /** Adds to lifetime counters (one transaction). */
  addCounters(deltas: Record<string, number>): void {
    const tx = this.db.transaction((entries: [string, number][]) => {
      for (const [k, v] of entries) if (v !== 0) this.addCounter.run(k, v);
    });
    tx(Object.entries(deltas));
  }

  counters(): Record<string, number> {
    const rows = this.db.prepare("SELECT name, value FROM counters").all() as {
      name: string;
      value: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  /** Every key, oldest first (tests, diagnostics). */
  keys(state?: OutboxState): string[] {
    const sql = state
      ? "SELECT turn_key FROM outbox WHERE state = ? ORDER BY id"
      : "SELECT turn_key FROM outbox ORDER BY id";
    const stmt = this.db.prepare(sql).pluck();
    return (state ? stmt.all(state) : stmt.all()) as string[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
