import type Database from "better-sqlite3";
import { quoteFtsString } from "../../core/search/fts-query.js";

export interface CorpusSize {
  /** Memories in the full-text index (all users). */
  docs: number;
  /** Mean number of tokens per memory. */
  avgTokens: number;
}

/** A document frequency is recomputed once the index has grown or shrunk by more than this share. */
const DRIFT = 0.1;
const CACHE_LIMIT = 20_000;

/** SQLite varint (big-endian groups of 7 bits; the 9th byte carries 8), as FTS5 writes them. */
export function readVarint(buf: Uint8Array, start: number): [value: number, next: number] {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const byte = buf[start + i];
    if (byte === undefined) return [value, buf.length];
    if (i === 8) return [value * 256 + byte, start + 9];
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, start + i + 1];
  }
  return [value, start + 9];
}

/**
 * How many memories contain each term, and how big the index is: what BM25
 * weights need. Sizes come from FTS5's "averages" record (row 1 of
 * memories_fts_data: total rows, then total tokens per column), document
 * frequencies from an fts5vocab table, cached until the index size drifts.
 */
export class TermStatistics {
  private readonly averages: Database.Statement;
  private readonly vocab: Database.Statement;
  private readonly cappedCount: Database.Statement;
  private readonly cache = new Map<string, { docs: number; atSize: number }>();

  constructor(db: Database.Database) {
    db.exec(
      "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_vocab USING fts5vocab(main, memories_fts, row)",
    );
    this.averages = db.prepare("SELECT block FROM memories_fts_data WHERE id = 1").pluck();
    this.vocab = db.prepare("SELECT doc FROM temp.memories_vocab WHERE term = ?").pluck();
    this.cappedCount = db
      .prepare("SELECT count(*) FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)")
      .pluck();
  }

  /** Forgets every cached document frequency (the next lookups count afresh). */
  clear(): void {
    this.cache.clear();
  }

  corpus(): CorpusSize {
    const block = this.averages.get() as Uint8Array | undefined;
    if (!block) return { docs: 0, avgTokens: 0 };
    const [docs, next] = readVarint(block, 0);
    const [tokens] = readVarint(block, next);
    return { docs, avgTokens: docs > 0 ? tokens / docs : 0 };
  }

  /**
   * Memories containing each term, given the current index size. Looked up by
   * stem; when the index knows no such stem (a word it stems differently, or
   * one it lacks) the term itself is counted, up to `cap`, so a miss can never
   * hide a common word from the cost budget.
   */
  docsWith(terms: readonly { term: string; stem: string }[], size: number, cap: number): number[] {
    return terms.map(({ term, stem }) => {
      const hit = this.cache.get(stem);
      if (hit && Math.abs(size - hit.atSize) <= Math.max(100, hit.atSize * DRIFT)) return hit.docs;
      let docs = (this.vocab.get(stem) as number | undefined) ?? 0;
      if (docs === 0) docs = this.cappedCount.get(quoteFtsString(term), cap + 1) as number;
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(stem, { docs, atSize: size });
      return docs;
    });
  }
}
