import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import { openSqlite } from "../../store/sqlite/sqlite-database.js";

/**
 * What proxy-side recall added to which person turn (`<dataDir>/injections.db`,
 * SQLite in WAL mode), so that every later request of the conversation gets
 * exactly the same notes at the same place again, across restarts too: the
 * forwarded history stays byte-identical and prompt caching keeps working.
 * A turn searched with nothing relevant is recorded with empty notes, so it
 * never gains notes later. Rows not used for 30 days are dropped.
 *
 * Writes are not on the way to the upstream: `put` keeps the entry in memory
 * (later requests of this process read it from there) and `commit` writes
 * what is kept in one transaction. The proxy commits right after handing the
 * request to the upstream, in the same synchronous step, so the row is on
 * disk before the upstream's reply can reach the client. If the process dies
 * in between, the client got no reply: nothing it sends later was built on
 * those notes, and its retry is searched afresh. A commit that fails keeps
 * the entries in memory and is tried again at the next commit.
 */

export interface LedgerEntry {
  /** The notes block added to the turn ("" when nothing was added). */
  notes: string;
  /** Ids of the memories in the notes. */
  ids: string[];
}

const KEEP_UNUSED_MS = 30 * 24 * 3600_000;
/** `used_at` is refreshed at most this often per row (a write per request would cost more than it tells). */
const TOUCH_EVERY_MS = 3600_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS injections (
  turn_key   TEXT PRIMARY KEY,
  notes      TEXT NOT NULL,
  ids        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at    INTEGER NOT NULL
) WITHOUT ROWID;
`;

export function injectionLedgerPath(dataDir: string): string {
  return join(dataDir, "injections.db");
}

export class InjectionLedger {
  private readonly getStmt: Database.Statement<[string], { notes: string; ids: string; used_at: number }>;
  private readonly getManyStmt: Database.Statement<
    [string],
    { turn_key: string; notes: string; ids: string; used_at: number }
  >;
  private readonly putStmt: Database.Statement<[string, string, string, number, number]>;
  private readonly touchStmt: Database.Statement<[number, string]>;
  private readonly writeAll: (puts: [string, Pending][], touches: [string, number][]) => void;
  /** Entries recorded and not committed yet, by turn key. */
  private readonly pending = new Map<string, Pending>();
  /** `used_at` refreshes not committed yet. */
  private readonly touches = new Map<string, number>();
  private backstop: NodeJS.Immediate | null = null;

  private constructor(
    private readonly db: Database.Database,
    private readonly onCommitError: (error: unknown) => void,
  ) {
    this.getStmt = db.prepare("SELECT notes, ids, used_at FROM injections WHERE turn_key = ?");
    this.getManyStmt = db.prepare(
      "SELECT turn_key, notes, ids, used_at FROM injections WHERE turn_key IN (SELECT value FROM json_each(?))",
    );
    this.putStmt = db.prepare(
      "INSERT OR IGNORE INTO injections (turn_key, notes, ids, created_at, used_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.touchStmt = db.prepare("UPDATE injections SET used_at = ? WHERE turn_key = ?");
    this.writeAll = db.transaction((puts: [string, Pending][], touches: [string, number][]) => {
      for (const [key, p] of puts)
        this.putStmt.run(key, p.entry.notes, JSON.stringify(p.entry.ids), p.at, p.at);
      for (const [key, at] of touches) this.touchStmt.run(at, key);
    });
  }

  /** `onCommitError`: a commit failed (its entries stay in memory and are written by a later commit). */
  static open(path: string, onCommitError: (error: unknown) => void = () => {}): InjectionLedger {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = openSqlite(path);
    db.pragma("busy_timeout = 2000");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    // Notes quote memories: dropped rows are overwritten on disk.
    db.pragma("secure_delete = ON");
    db.exec(SCHEMA);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      if (process.platform !== "win32" && existsSync(f)) chmodSync(f, 0o600);
    }
    db.prepare("DELETE FROM injections WHERE used_at < ?").run(Date.now() - KEEP_UNUSED_MS);
    return new InjectionLedger(db, onCommitError);
  }

  get(turnKey: string, now = Date.now()): LedgerEntry | null {
    const kept = this.pending.get(turnKey);
    if (kept) return kept.entry;
    const row = this.getStmt.get(turnKey);
    return row ? this.entry(turnKey, row, now) : null;
  }

  /** The records of these turns (those that have one), in one query. */
  getMany(turnKeys: readonly string[], now = Date.now()): Map<string, LedgerEntry> {
    const out = new Map<string, LedgerEntry>();
    const ask: string[] = [];
    for (const key of turnKeys) {
      const kept = this.pending.get(key);
      if (kept) out.set(key, kept.entry);
      else ask.push(key);
    }
    if (ask.length === 1 && ask[0] !== undefined) {
      const one = this.get(ask[0], now);
      if (one) out.set(ask[0], one);
    } else if (ask.length > 1) {
      for (const row of this.getManyStmt.all(JSON.stringify(ask))) {
        out.set(row.turn_key, this.entry(row.turn_key, row, now));
      }
    }
    return out;
  }

  private entry(
    turnKey: string,
    row: { notes: string; ids: string; used_at: number },
    now: number,
  ): LedgerEntry {
    if (now - row.used_at > TOUCH_EVERY_MS && !this.touches.has(turnKey)) {
      this.touches.set(turnKey, now);
      this.scheduleBackstop();
    }
    return { notes: row.notes, ids: JSON.parse(row.ids) as string[] };
  }

  /**
   * Records a turn's notes once (in memory until `commit`); a second record
   * for the same turn keeps the first (it may already be cached), which is returned.
   */
  put(turnKey: string, entry: LedgerEntry, now = Date.now()): LedgerEntry {
    const first = this.get(turnKey, now);
    if (first) return first;
    this.pending.set(turnKey, { entry, at: now });
    this.scheduleBackstop();
    return entry;
  }

  /** Entries recorded and not yet on disk. */
  uncommitted(): number {
    return this.pending.size;
  }

  /** Writes what `put` kept (one transaction); false when that failed (the entries stay for the next commit). */
  commit(): boolean {
    if (this.pending.size === 0 && this.touches.size === 0) return true;
    const puts = [...this.pending];
    const touches = [...this.touches];
    try {
      this.writeAll(puts, touches);
    } catch (e) {
      this.onCommitError(e);
      return false;
    }
    for (const [key, p] of puts) if (this.pending.get(key) === p) this.pending.delete(key);
    for (const [key] of touches) this.touches.delete(key);
    return true;
  }

  close(): void {
    if (this.backstop) clearImmediate(this.backstop);
    this.backstop = null;
    this.commit();
    this.db.close();
  }

  /** A put whose request never reached `commit` (it failed on the way) is written on the next turn of the event loop. */
  private scheduleBackstop(): void {
    this.backstop ??= setImmediate(() => {
      this.backstop = null;
      this.commit();
    });
  }
}

interface Pending {
  entry: LedgerEntry;
  at: number;
}
