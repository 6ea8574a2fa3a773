/**
 * Embeddings of memories, for the optional dense signal (EMBEDDINGS_URL):
 * one float32 vector per memory in a plain table next to `memories`, keyed by
 * the memory and tagged with the model and the memory's text hash, so an
 * edited memory or a changed model is simply embedded again. Nearest
 * memories by cosine distance come from sqlite-vec's `vec_distance_cosine`,
 * filtered by the same SQL as every other read. The table is created the
 * first time a store opens with an embedder; a store without one never
 * touches it.
 */
import type Database from "better-sqlite3";
import { load as loadVecExtension } from "sqlite-vec";
import type { DenseHit, DistanceStats } from "../../core/search/dense-fusion.js";
import { textToEmbed } from "../../core/search/dense-fusion.js";
import type { SqlFragment } from "./filters-sql.js";
import type { StatementCache } from "./statement-cache.js";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS memory_vectors (
    pk INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    hash TEXT NOT NULL,
    dims INTEGER NOT NULL,
    vector BLOB NOT NULL
  );
  CREATE TRIGGER IF NOT EXISTS memory_vectors_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memory_vectors WHERE pk = old.pk;
  END;`;

// A memory needs a vector when it has none for this model and its current text.
const PENDING_FROM = `FROM memories AS m LEFT JOIN memory_vectors AS v
  ON v.pk = m.pk AND v.model = ? AND v.hash = m.hash WHERE v.pk IS NULL`;

/** A memory to embed. */
export interface PendingVector {
  pk: number;
  hash: string;
  text: string;
}

function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Loads sqlite-vec into the connection; the reason when this platform has no build of it. */
export function loadSqliteVec(db: Database.Database): true | string {
  try {
    loadVecExtension(db);
    return true;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export class MemoryVectors {
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    readonly model: string,
  ) {}

  /** Creates the table if needed (a writable store only). */
  static ensureSchema(db: Database.Database): void {
    db.exec(SCHEMA);
  }

  static exists(db: Database.Database): boolean {
    return (
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_vectors'").get() !==
      undefined
    );
  }

  /** Memories without a current vector, newest first (what a search is most likely to want). */
  pending(limit: number): PendingVector[] {
    const rows = this.statements
      .get(`SELECT m.pk, m.hash, m.memory ${PENDING_FROM} ORDER BY m.pk DESC LIMIT ?`)
      .all(this.model, limit) as { pk: number; hash: string; memory: string }[];
    return rows.map((r) => ({ pk: r.pk, hash: r.hash, text: textToEmbed(r.memory) }));
  }

  pendingCount(): number {
    return this.statements.get(`SELECT count(*) ${PENDING_FROM}`).pluck().get(this.model) as number;
  }

  indexedCount(): number {
    return this.statements
      .get(
        "SELECT count(*) FROM memory_vectors AS v JOIN memories AS m ON m.pk = v.pk AND m.hash = v.hash WHERE v.model = ?",
      )
      .pluck()
      .get(this.model) as number;
  }

  /** Stores vectors of memories read by `pending` (a memory edited or deleted meanwhile is skipped). */
  write(items: readonly PendingVector[], vectors: readonly Float32Array[]): number {
    const upsert = this.statements.get(
      `INSERT INTO memory_vectors (pk, model, hash, dims, vector)
       SELECT m.pk, ?, m.hash, ?, ? FROM memories AS m WHERE m.pk = ? AND m.hash = ?
       ON CONFLICT (pk) DO UPDATE SET model = excluded.model, hash = excluded.hash,
         dims = excluded.dims, vector = excluded.vector`,
    );
    let written = 0;
    this.db.transaction(() => {
      items.forEach((item, i) => {
        const v = vectors[i];
        if (!v) return;
        written += upsert.run(this.model, v.length, toBlob(v), item.pk, item.hash).changes;
      });
    })();
    return written;
  }

  /**
   * The `k` memories nearest to `query` among those `where` selects, and the
   * mean and standard deviation of the distance over all of them (one scan).
   */
  nearest(
    query: Float32Array,
    where: SqlFragment,
    k: number,
  ): { hits: DenseHit<number>[]; stats: DistanceStats } {
    const rows = this.statements
      .get(
        `WITH d AS MATERIALIZED (
           SELECT v.pk AS pk, vec_distance_cosine(v.vector, ?) AS distance
           FROM memories AS m JOIN memory_vectors AS v ON v.pk = m.pk AND v.hash = m.hash
           WHERE v.model = ? AND v.dims = ? AND ${where.sql})
         SELECT pk, distance, (SELECT avg(distance) FROM d) AS mean,
           (SELECT avg(distance * distance) FROM d) AS square
         FROM d ORDER BY distance LIMIT ?`,
      )
      .all(toBlob(query), this.model, query.length, ...where.params, k) as {
      pk: number;
      distance: number;
      mean: number;
      square: number;
    }[];
    const first = rows[0];
    if (!first) return { hits: [], stats: { mean: 0, sd: 0 } };
    const sd = Math.sqrt(Math.max(0, first.square - first.mean * first.mean));
    return { hits: rows.map((r) => ({ key: r.pk, distance: r.distance })), stats: { mean: first.mean, sd } };
  }
}
