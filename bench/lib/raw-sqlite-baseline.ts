import Database from "better-sqlite3";
import { elapsedMs } from "./percentile.js";

/**
 * The floor the store is compared with, measured in the same run on the same
 * data: plain better-sqlite3 inserting rows and indexing their text in FTS5
 * (same tokenizer, same batch size, WAL), and bare FTS5 MATCH ... ORDER BY rank.
 */
export class RawSqliteBaseline {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS t (pk INTEGER PRIMARY KEY, id TEXT NOT NULL, user_id TEXT NOT NULL, memory TEXT NOT NULL,
                      created_at TEXT NOT NULL);
      CREATE VIRTUAL TABLE IF NOT EXISTS f USING fts5 (memory, content = 't', content_rowid = 'pk',
                                         tokenize = 'porter unicode61 remove_diacritics 2');`);
  }

  /** Inserts in transactions of `batch` rows; returns the milliseconds taken. */
  ingest(rows: readonly { id: string; user_id: string; memory: string }[], batch: number): number {
    const insertRow = this.db.prepare("INSERT INTO t (id, user_id, memory, created_at) VALUES (?, ?, ?, ?)");
    const insertText = this.db.prepare("INSERT INTO f (rowid, memory) VALUES (?, ?)");
    const write = this.db.transaction((slice: typeof rows) => {
      const now = new Date().toISOString();
      for (const r of slice) {
        const pk = insertRow.run(r.id, r.user_id, r.memory, now).lastInsertRowid;
        insertText.run(pk, r.memory);
      }
    });
    const start = process.hrtime.bigint();
    for (let i = 0; i < rows.length; i += batch) write.immediate(rows.slice(i, i + batch));
    return elapsedMs(start);
  }

  /** Milliseconds for one bare full-text query (top `limit` by BM25). */
  search(match: string, limit: number): number {
    const start = process.hrtime.bigint();
    this.db.prepare("SELECT rowid, rank FROM f WHERE f MATCH ? ORDER BY rank LIMIT ?").all(match, limit);
    return elapsedMs(start);
  }

  /** Rows stored (a kept file from an earlier run is reused only when it is complete). */
  count(): number {
    return this.db.prepare("SELECT count(*) FROM t").pluck().get() as number;
  }

  close(): void {
    this.db.close();
  }
}
