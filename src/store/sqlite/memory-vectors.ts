/**
 * Embeddings of memories, for the optional dense signal (EMBEDDINGS_URL). Two
 * plain tables next to `memories`: `memory_vectors` (narrow: the user, the
 * model, the memory's text hash and the vector's sign bits) and
 * `memory_vector_data` (the float32 vector). Tagged with model and text hash,
 * an edited memory or a changed model is simply embedded again.
 *
 * Nearest memories in two steps, so that a search reads a few MB, not every
 * vector: the sign bits of all the user's vectors by Hamming distance
 * (sqlite-vec `vec_distance_hamming`, 96 bytes a memory at 768 dimensions),
 * then the float vectors of the best few hundred by cosine distance
 * (`vec_distance_cosine`) under the search's filters. The mean and spread
 * of the distance come from an evenly spaced sample of 128 of the user's
 * vectors (chosen again every 30 s).
 * The tables are created the first time a store opens with an embedder; a
 * store without one never touches them.
 */
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import type { DenseHit, DistanceStats } from "../../core/search/dense-fusion.js";
import { textToEmbed } from "../../core/search/dense-fusion.js";
import type { SqlFragment } from "./filters-sql.js";
import type { StatementCache } from "./statement-cache.js";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS memory_vectors (
    pk INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    model TEXT NOT NULL,
    dims INTEGER NOT NULL,
    bits BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS memory_vector_data (
    pk INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    vector BLOB NOT NULL
  );
  CREATE TRIGGER IF NOT EXISTS memory_vectors_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memory_vectors WHERE pk = old.pk;
    DELETE FROM memory_vector_data WHERE pk = old.pk;
  END;`;

// A memory needs a vector when it has none for this model and its current text.
const PENDING_FROM = `FROM memories AS m LEFT JOIN (memory_vectors AS v JOIN memory_vector_data AS d ON d.pk = v.pk)
  ON v.pk = m.pk AND v.model = ? AND d.hash = m.hash WHERE v.pk IS NULL`;
/** The same, for a list of pks (json_each `j` first: never scan the user's memories). */
const CURRENT_BY_PK = `memories AS m JOIN memory_vectors AS v ON v.pk = m.pk
  JOIN memory_vector_data AS d ON d.pk = m.pk AND d.hash = m.hash`;
const CURRENT = `memory_vectors AS v JOIN memory_vector_data AS d ON d.pk = v.pk
  JOIN memories AS m ON m.pk = v.pk AND m.hash = d.hash`;

/** Vectors whose float distance is computed per search: the best by sign bits. */
const RESCORED = 400;
/** Vectors sampled for the distance's mean and spread. */
const SAMPLED = 128;

/** The sample of the user's vectors is chosen again after this long. */
const SAMPLE_TTL_MS = 30_000;

/** A memory to embed. */
export interface PendingVector {
  pk: number;
  hash: string;
  text: string;
}

function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** One bit per dimension (set when positive), padded to whole bytes. */
export function signBits(vector: Float32Array): Buffer {
  const bits = Buffer.alloc(Math.ceil(vector.length / 8));
  vector.forEach((x, i) => {
    if (x > 0) bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return bits;
}

/** Loads sqlite-vec into the connection; the reason when this platform has no build of it. */
export function loadSqliteVec(db: Database.Database): true | string {
  try {
    // Required here, not imported: a store without embeddings (most commands) never resolves the package.
    (createRequire(import.meta.url)("sqlite-vec") as typeof import("sqlite-vec")).load(db);
    return true;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export class MemoryVectors {
  private readonly samples = new Map<string, { pks: number[]; at: number }>();
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    readonly model: string,
  ) {}

  /** Creates the tables if needed (a writable store only). */
  static ensureSchema(db: Database.Database): void {
    db.exec(SCHEMA);
  }

  static exists(db: Database.Database): boolean {
    return (
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_vector_data'").get() !==
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
      .get(`SELECT count(*) FROM ${CURRENT} WHERE v.model = ?`)
      .pluck()
      .get(this.model) as number;
  }

  /** Stores vectors of memories read by `pending` (a memory edited or deleted meanwhile is skipped). */
  write(items: readonly PendingVector[], vectors: readonly Float32Array[]): number {
    const meta = this.statements.get(
      `INSERT INTO memory_vectors (pk, user_id, model, dims, bits)
       SELECT m.pk, m.user_id, ?, ?, ? FROM memories AS m WHERE m.pk = ? AND m.hash = ?
       ON CONFLICT (pk) DO UPDATE SET user_id = excluded.user_id, model = excluded.model,
         dims = excluded.dims, bits = excluded.bits`,
    );
    const data = this.statements.get(
      `INSERT INTO memory_vector_data (pk, hash, vector) VALUES (?, ?, ?)
       ON CONFLICT (pk) DO UPDATE SET hash = excluded.hash, vector = excluded.vector`,
    );
    let written = 0;
    this.db.transaction(() => {
      items.forEach((item, i) => {
        const v = vectors[i];
        if (!v) return;
        if (meta.run(this.model, v.length, signBits(v), item.pk, item.hash).changes === 0) return;
        data.run(item.pk, item.hash, toBlob(v));
        written++;
      });
    })();
    return written;
  }

  /**
   * The `k` memories nearest to `query` among those `where` selects (of the
   * user `userId`), and the mean and standard deviation of the distance over a
   * sample of the user's memories.
   */
  nearest(
    query: Float32Array,
    userId: string,
    where: SqlFragment,
    k: number,
  ): { hits: DenseHit<number>[]; stats: DistanceStats } {
    const scope = [userId, this.model, query.length] as const;
    const byBits = this.statements
      .get(
        `SELECT pk FROM memory_vectors WHERE user_id = ? AND model = ? AND dims = ?
         ORDER BY vec_distance_hamming(vec_bit(bits), vec_bit(?)) LIMIT ?`,
      )
      .pluck()
      .all(...scope, signBits(query), Math.max(RESCORED, k)) as number[];
    if (byBits.length === 0) return { hits: [], stats: { mean: 0, sd: 0 } };
    const vector = toBlob(query);
    const rows = this.statements
      .get(
        `SELECT m.pk AS pk, vec_distance_cosine(d.vector, ?) AS distance
         FROM json_each(?) AS j CROSS JOIN ${CURRENT_BY_PK}
         WHERE m.pk = j.value AND ${where.sql}
         ORDER BY distance LIMIT ?`,
      )
      .all(vector, JSON.stringify(byBits), ...where.params, k) as { pk: number; distance: number }[];
    return { hits: rows.map((r) => ({ key: r.pk, distance: r.distance })), stats: this.stats(vector, scope) };
  }

  /**
   * An evenly spaced sample of the user's vectors (pks), reused for
   * SAMPLE_TTL_MS: choosing it scans the narrow table once.
   */
  private sample(scope: readonly [string, string, number]): number[] {
    const key = scope.join("\u0000");
    const now = Date.now();
    const hit = this.samples.get(key);
    if (hit && now - hit.at < SAMPLE_TTL_MS) return hit.pks;
    const count = this.statements
      .get("SELECT count(*) FROM memory_vectors WHERE user_id = ? AND model = ? AND dims = ?")
      .pluck()
      .get(...scope) as number;
    const pick = this.statements
      .get(
        "SELECT pk FROM memory_vectors WHERE user_id = ? AND model = ? AND dims = ? AND pk % ? = 0 LIMIT ?",
      )
      .pluck();
    let pks = pick.all(...scope, Math.max(1, Math.floor(count / SAMPLED)), SAMPLED) as number[];
    // The user's memories may sit on a stride the sample misses: then their first ones.
    if (pks.length < Math.min(count, 16)) pks = pick.all(...scope, 1, SAMPLED) as number[];
    if (this.samples.size > 1000) this.samples.clear();
    this.samples.set(key, { pks, at: now });
    return pks;
  }

  private stats(vector: Buffer, scope: readonly [string, string, number]): DistanceStats {
    const s = this.statements
      .get(
        `SELECT avg(distance) AS mean, avg(distance * distance) AS square FROM (
           SELECT vec_distance_cosine(d.vector, ?) AS distance
           FROM json_each(?) AS j CROSS JOIN memory_vector_data AS d ON d.pk = j.value)`,
      )
      .get(vector, JSON.stringify(this.sample(scope))) as { mean: number | null; square: number | null };
    const mean = s.mean ?? 0;
    return { mean, sd: Math.sqrt(Math.max(0, (s.square ?? 0) - mean * mean)) };
  }
}
