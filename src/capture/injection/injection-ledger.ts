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
  private readonly putStmt: Database.Statement<[string, string, string, number, number]>;
  private readonly touchStmt: Database.Statement<[number, string]>;

  private constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare("SELECT notes, ids, used_at FROM injections WHERE turn_key = ?");
    this.putStmt = db.prepare(
      "INSERT OR IGNORE INTO injections (turn_key, notes, ids, created_at, used_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.touchStmt = db.prepare("UPDATE injections SET used_at = ? WHERE turn_key = ?");
  }

  static open(path: string): InjectionLedger {
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
    return new InjectionLedger(db);
  }

  get(turnKey: string, now = Date.now()): LedgerEntry | null {
    const row = this.getStmt.get(turnKey);
    if (!row) return null;
    if (now - row.used_at > TOUCH_EVERY_MS) this.touchStmt.run(now, turnKey);
    return { notes: row.notes, ids: JSON.parse(row.ids) as string[] };
  }

  /** Records a turn's notes once; a second record for the same turn keeps the first (it may already be cached). */
  put(turnKey: string, entry: LedgerEntry, now = Date.now()): LedgerEntry {
    this.putStmt.run(turnKey, entry.notes, JSON.stringify(entry.ids), now, now);
    return this.get(turnKey, now) ?? entry;
  }

  close(): void {
    this.db.close();
  }
}
