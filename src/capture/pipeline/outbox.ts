import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import type { ConversationTurn } from "../../core/capture/index.js";
import type { Episode } from "../../core/episodes/index.js";
import { enterWal, isDiskFull, reclaimWal, WAL_SIZE_LIMIT } from "../../store/sqlite/open-database.js";
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
 *
 * The exchange journal (finished exchanges, raw, until capture has read them)
 * is a database of its own beside it, `<dataDir>/journal.db`, so that its
 * writer (the journal mover, journal-mover.ts) never waits for capture's
 * write transactions on outbox.db and its checkpoints. An exchange
 * still leaves the journal exactly when what it meant is recorded: its id goes
 * into `journal_done` (outbox.db) in the transaction that records it, the row
 * is deleted from journal.db after that commit, and the id is dropped from
 * `journal_done` in a later transaction. A row whose id is in `journal_done`
 * (a crash between the two commits) is deleted at the next open, never read
 * again; journal ids are never reused (AUTOINCREMENT, and the sequence is kept
 * above every id in `journal_done`). Rows of the `exchanges` table an older
 * version kept in outbox.db are read first, with negative ids, and deleted in
 * the recording transaction itself as before.
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

/**
 * Page cache per connection, outbox.db and journal.db alike (KiB; SQLite's default is 2,000).
 * Their rows are written once, read once soon after and deleted: a cache holds little that is
 * read again, and each of the three threads that open an outbox has two connections.
 */
export const OUTBOX_CACHE_KIB = 512;

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
-- Journal rows (journal.db) whose meaning is recorded here and that are not deleted there yet.
CREATE TABLE IF NOT EXISTS journal_done (id INTEGER PRIMARY KEY);
`;

/** journal.db: finished exchanges until capture has read them (ids never reused). */
const JOURNAL_SCHEMA = `
CREATE TABLE IF NOT EXISTS exchanges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  meta TEXT NOT NULL,
  request BLOB NOT NULL,
  response BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS exchanges_created ON exchanges (created_at);
-- How far each spool segment (src/capture/proxy/spool.ts) has been moved into this journal.
CREATE TABLE IF NOT EXISTS spool_read (segment TEXT PRIMARY KEY, offset INTEGER NOT NULL);
`;

/** The journal database beside an outbox database. */
export function journalPathFor(outboxDbPath: string): string {
  return join(dirname(outboxDbPath), "journal.db");
}

/** The pragmas both databases are written with. */
function prepareWritable(db: Database.Database): void {
  // Three threads open both databases at once when the proxy starts: the pragma waits for the lock.
  enterWal(db, 2000);
  // WAL + NORMAL survives a killed process (not a power cut), at a fraction of FULL's cost.
  db.pragma("synchronous = NORMAL");
  // Raw exchanges pass through here: deleted rows are overwritten, and the WAL stays bounded.
  db.pragma("secure_delete = ON");
  // Cut back after each checkpoint, so that the WAL cannot keep the space a full disk freed.
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
}

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
  private selectLegacyJournal: Database.Statement | null = null;
  private deleteJournal: Database.Statement | null = null;
  /** Journal ids recorded in the transaction under way (deleted from journal.db after its commit). */
  private recorded: number[] = [];
  /** Recorded ids deleted from journal.db: dropped from `journal_done` in the next transaction. */
  private deletedDone: number[] = [];
  /** Recorded ids whose delete from journal.db failed: tried again after the next commit. */
  private toDelete: number[] = [];
  /** Whether outbox.db still has rows in an `exchanges` table of its own (an older version's journal). */
  private legacyRows: boolean;

  private constructor(
    private readonly db: Database.Database,
    /** journal.db (null: opened read-only and not there yet). */
    private readonly jdb: Database.Database | null,
  ) {
    this.legacyRows = hasRows(db, "exchanges");
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
    const readonly = options.readonly ?? false;
    const db = openSqlite(path, { readonly, fileMustExist: readonly });
    const jpath = journalPathFor(path);
    let jdb: Database.Database | null = null;
    try {
      // Opening waits for the lock as usual (schema, pruning); `busyTimeoutMs` applies afterwards.
      db.pragma("busy_timeout = 2000");
      db.pragma(`cache_size = -${OUTBOX_CACHE_KIB}`);
      if (!readonly || existsSync(jpath)) jdb = openSqlite(jpath, { readonly, fileMustExist: readonly });
      jdb?.pragma("busy_timeout = 2000");
      jdb?.pragma(`cache_size = -${OUTBOX_CACHE_KIB}`);
      if (!readonly) {
        prepareWritable(db);
        db.exec(SCHEMA);
        const j = jdb as Database.Database;
        prepareWritable(j);
        j.exec(JOURNAL_SCHEMA);
        for (const f of [path, `${path}-wal`, `${path}-shm`, jpath, `${jpath}-wal`, `${jpath}-shm`]) {
          if (process.platform !== "win32" && existsSync(f)) chmodSync(f, 0o600);
        }
        db.prepare("DELETE FROM outbox WHERE state = 'done' AND finished_at < ?").run(
          Date.now() - OUTBOX_KEEP_DONE_MS,
        );
        settleRecorded(db, j);
      }
      if (options.busyTimeoutMs !== undefined) {
        const ms = Math.max(0, Math.floor(options.busyTimeoutMs));
        db.pragma(`busy_timeout = ${ms}`);
        jdb?.pragma(`busy_timeout = ${ms}`);
      }
    } catch (e) {
      jdb?.close();
      db.close();
      throw e;
    }
    const outbox = new Outbox(db, jdb);
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
      if (!isDiskFull(e) || this.db.inTransaction || this.jdb?.inTransaction) throw e;
      reclaimWal(this.db);
      if (this.jdb) reclaimWal(this.jdb);
      if (this.onDiskFull?.() !== true || !retry) throw e;
      return fn();
    }
  }

  /** journal.db, for a writer (always open unless this outbox was opened read-only). */
  private get journal(): Database.Database {
    if (!this.jdb) throw new Error("the journal is not open");
    return this.jdb;
  }

  /** Queues a (redacted) episode; false when its key was already queued or stored. */
  enqueue(item: OutboxPayload, now = Date.now()): boolean {
    return this.write(() => this.insert.run(item.key, JSON.stringify(item), now, now).changes === 1);
  }

  /**
   * Runs `fn` in one transaction (all of it is written, or none). Journal rows it recorded
   * (`forgetExchange`) are deleted from journal.db once it has committed.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.db.transaction(fn)();
    const clear = this.deletedDone;
    let result: T;
    try {
      result = this.write(
        () =>
          this.db.transaction(() => {
            this.recorded = [];
            // Ids deleted from journal.db after an earlier commit leave journal_done with this one.
            if (clear.length > 0) {
              const drop = this.db.prepare("DELETE FROM journal_done WHERE id = ?");
              for (const id of clear) drop.run(id);
            }
            return fn();
          })(),
        false,
      );
    } catch (e) {
      this.recorded = [];
      throw e;
    }
    if (clear.length > 0) this.deletedDone = [];
    this.deleteRecorded(this.recorded.splice(0));
    return result;
  }

  /** Deletes recorded rows from journal.db (after the commit that recorded them); retried after the next on failure. */
  private deleteRecorded(ids: number[]): void {
    const all = this.toDelete.length > 0 ? [...this.toDelete.splice(0), ...ids] : ids;
    if (all.length === 0) return;
    try {
      const drop = this.journalDelete;
      this.journal.transaction(() => {
        for (const id of all) drop.run(id);
      })();
      for (const id of all) this.deletedDone.push(id);
    } catch {
      // Still recorded in journal_done: never read again, deleted after the next commit or at the next open.
      for (const id of all) this.toDelete.push(id);
    }
  }

  private get journalDelete(): Database.Statement {
    this.deleteJournal ??= this.journal.prepare("DELETE FROM exchanges WHERE id = ?");
    return this.deleteJournal;
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
    this.journalInsert ??= this.journal.prepare(
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
   * all: the journal mover's group commit). All are written or none; on a
   * full disk the whole batch is tried once more after the WAL and the
   * reserve gave their space back (the callback only inserts, so a retry
   * cannot do anything twice).
   */
  journalExchanges(items: readonly JournalItem[], now = Date.now()): void {
    const insert = this.journalStatement;
    const tx = this.journal.transaction(() => {
      for (const it of items) insert.run(it.meta, it.request, it.response, now);
    });
    // BEGIN IMMEDIATE: a busy lock shows at the start, before anything was done.
    this.write(() => tx.immediate());
  }

  private spoolStatements: {
    get: Database.Statement;
    put: Database.Statement;
    drop: Database.Statement;
  } | null = null;

  private get spool() {
    const j = this.journal;
    this.spoolStatements ??= {
      get: j.prepare("SELECT offset FROM spool_read WHERE segment = ?").pluck(),
      put: j.prepare(
        "INSERT INTO spool_read (segment, offset) VALUES (?, ?) ON CONFLICT(segment) DO UPDATE SET offset = excluded.offset",
      ),
      drop: j.prepare("DELETE FROM spool_read WHERE segment = ?"),
    };
    return this.spoolStatements;
  }

  /** How far a spool segment has been moved into the journal (0: not at all). */
  spoolOffset(segment: string): number {
    return (this.spool.get.get(segment) as number | undefined) ?? 0;
  }

  /**
   * Journals exchanges read from a spool segment and records, in the same
   * transaction, the offset they were read up to: a crash either side of
   * the commit neither loses nor repeats one.
   */
  journalSpooled(items: readonly JournalItem[], segment: string, offset: number, now = Date.now()): void {
    const insert = this.journalStatement;
    const { put } = this.spool;
    const tx = this.journal.transaction(() => {
      for (const it of items) insert.run(it.meta, it.request, it.response, now);
      put.run(segment, offset);
    });
    this.write(() => tx.immediate());
  }

  /** A spool segment is deleted: its row goes. */
  forgetSpoolSegment(segment: string): void {
    this.write(() => this.spool.drop.run(segment));
  }

  /**
   * Exchanges not read yet, oldest first, after the one with id `afterId` (0: from the start).
   * Rows an older version journaled in outbox.db come first, with negative ids.
   */
  journaledExchanges(limit = 100, afterId = 0): JournaledExchange[] {
    type Row = { id: number; meta: string; request: Buffer; response: Buffer };
    const toExchange = (r: Row, sign: number): JournaledExchange => ({
      id: sign * r.id,
      meta: JSON.parse(r.meta) as JournalMeta,
      request: r.request,
      response: r.response,
    });
    if (afterId <= 0 && this.legacyRows) {
      this.selectLegacyJournal ??= this.db.prepare(
        "SELECT id, meta, request, response FROM exchanges WHERE id > ? ORDER BY id LIMIT ?",
      );
      const legacy = this.selectLegacyJournal.all(-afterId, limit) as Row[];
      if (legacy.length > 0) return legacy.map((r) => toExchange(r, -1));
      this.legacyRows = hasRows(this.db, "exchanges");
      afterId = 0;
    }
    if (!this.jdb) return [];
    this.selectJournal ??= this.jdb.prepare(
      "SELECT id, meta, request, response FROM exchanges WHERE id > ? ORDER BY id LIMIT ?",
    );
    let after = Math.max(0, afterId);
    for (;;) {
      const rows = this.selectJournal.all(after, limit) as Row[];
      // Recorded rows whose delete failed are not read again (they go with the next commit).
      const left = this.toDelete.length > 0 ? rows.filter((r) => !this.toDelete.includes(r.id)) : rows;
      if (left.length > 0 || rows.length === 0) return left.map((r) => toExchange(r, 1));
      after = (rows[rows.length - 1] as Row).id;
    }
  }

  /**
   * The exchange leaves the journal. Inside `transaction` (what it meant is recorded there): its id
   * goes into `journal_done` in that transaction and the row is deleted after the commit. Outside
   * one (nothing to record: a skipped exchange), it is deleted at once.
   */
  forgetExchange(id: number): void {
    if (id < 0) {
      this.db.prepare("DELETE FROM exchanges WHERE id = ?").run(-id);
      return;
    }
    if (this.db.inTransaction) {
      this.db.prepare("INSERT OR IGNORE INTO journal_done (id) VALUES (?)").run(id);
      this.recorded.push(id);
      return;
    }
    this.journalDelete.run(id);
  }

  /**
   * Once the journal is empty: checkpoint and truncate the WAL, so that no
   * raw exchange stays readable on disk (deleted rows are zeroed by
   * `secure_delete`; the WAL still held their frames). Returns false when a
   * reader kept the checkpoint from finishing (it is tried again later).
   */
  scrub(): boolean {
    if (this.journalDepth() > 0) return false;
    const j = this.jdb ? (this.jdb.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[]) : [{ busy: 0 }];
    const r = this.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
    return (j[0]?.busy ?? 1) === 0 && (r[0]?.busy ?? 1) === 0;
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
    return this.journalLag().depth;
  }

  /**
   * How far behind capture is: the exchanges journaled and not read yet, and
   * when the oldest of them was journaled (ms since the epoch; null when none).
   */
  journalLag(): { depth: number; oldestAt: number | null } {
    const lag = (db: Database.Database | null) => {
      try {
        const r = db?.prepare("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM exchanges").get() as
          | { n: number; oldest: number | null }
          | undefined;
        return { depth: r?.n ?? 0, oldestAt: r?.oldest ?? null };
      } catch {
        return { depth: 0, oldestAt: null };
      }
    };
    const j = lag(this.jdb);
    if (!this.legacyRows) return j;
    const l = lag(this.db);
    const oldest = [j.oldestAt, l.oldestAt].filter((x): x is number => x !== null);
    return { depth: j.depth + l.depth, oldestAt: oldest.length > 0 ? Math.min(...oldest) : null };
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
    // Ids whose rows are gone from journal.db leave journal_done (best effort: the next open does it too).
    if (this.db.open && !this.db.readonly && (this.deletedDone.length > 0 || this.toDelete.length > 0)) {
      try {
        this.transaction(() => undefined);
        this.transaction(() => undefined);
      } catch {
        // settled at the next open
      }
    }
    if (this.jdb?.open) this.jdb.close();
    if (this.db.open) this.db.close();
  }
}

function hasRows(db: Database.Database, table: string): boolean {
  try {
    return db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined;
  } catch {
    return false;
  }
}

/**
 * At open: journal rows whose meaning was recorded (their id in `journal_done`) but that were not
 * deleted (a crash between the two commits) are deleted now, and the journal's id sequence is
 * kept above every recorded id, so that no new row can take the id of a recorded one (a
 * journal.db removed by hand starts its ids afresh).
 */
function settleRecorded(db: Database.Database, jdb: Database.Database): void {
  const ids = db.prepare("SELECT id FROM journal_done ORDER BY id").pluck().all() as number[];
  const max = ids.length > 0 ? (ids[ids.length - 1] as number) : 0;
  jdb.transaction(() => {
    const seq = jdb.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'exchanges'").pluck().get() as
      | number
      | undefined;
    if (seq === undefined)
      jdb.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('exchanges', ?)").run(max);
    else if (seq < max) jdb.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'exchanges'").run(max);
    const drop = jdb.prepare("DELETE FROM exchanges WHERE id = ?");
    for (const id of ids) drop.run(id);
  })();
  if (ids.length === 0) return;
  db.transaction(() => {
    const drop = db.prepare("DELETE FROM journal_done WHERE id = ?");
    for (const id of ids) drop.run(id);
  })();
}
