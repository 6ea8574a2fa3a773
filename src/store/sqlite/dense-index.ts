/**
 * The optional dense signal of one SQLite store: sqlite-vec loaded into the
 * connection, the memory_vectors table, the query embedder (lexical fallback
 * when the endpoint is down) and the background indexer.
 */
import type Database from "better-sqlite3";
import type { Logger } from "../../core/logger.js";
import { DEFAULT_DENSE_WEIGHT } from "../../core/search/dense-fusion.js";
import type { Embedder } from "../../core/search/embedder.js";
import { EmbeddingIndexer, type IndexerOptions } from "../../embeddings/embedding-indexer.js";
import { QueryEmbedder } from "../../embeddings/query-embedder.js";
import { loadSqliteVec, MemoryVectors, type PendingVector } from "./memory-vectors.js";
import type { StatementCache } from "./statement-cache.js";

export interface DenseOptions {
  embedder: Embedder;
  /** Weight of the dense bonus next to the lexical score (default DEFAULT_DENSE_WEIGHT). */
  weight?: number | undefined;
  /** How long a search waits for the query's vector (default 2 s). */
  queryTimeoutMs?: number | undefined;
  /** How long searches stay lexical after the endpoint failed (default 30 s). */
  retryAfterMs?: number | undefined;
  indexer?: IndexerOptions | undefined;
}

/** How far the vector index is: memories with a vector of the current model and text, and those without. */
export interface VectorIndexStatus {
  model: string;
  indexed: number;
  pending: number;
}

export class DenseIndex {
  readonly indexer: EmbeddingIndexer<PendingVector>;
  readonly query: QueryEmbedder;
  readonly weight: number;

  private constructor(
    readonly vectors: MemoryVectors,
    opts: DenseOptions,
    logger: Logger,
  ) {
    this.weight = opts.weight ?? DEFAULT_DENSE_WEIGHT;
    this.query = new QueryEmbedder(opts.embedder, logger, {
      timeoutMs: opts.queryTimeoutMs,
      retryAfterMs: opts.retryAfterMs,
    });
    this.indexer = new EmbeddingIndexer(vectors, opts.embedder, logger, opts.indexer);
  }

  /** Null (with a warning) when sqlite-vec cannot load here, or a read-only store has no vectors yet. */
  static open(
    db: Database.Database,
    statements: StatementCache,
    opts: DenseOptions,
    readonly: boolean,
    logger: Logger,
  ): DenseIndex | null {
    const loaded = loadSqliteVec(db);
    if (loaded !== true) {
      logger.warn("sqlite-vec does not load here; search stays lexical", { reason: loaded });
      return null;
    }
    if (!readonly) MemoryVectors.ensureSchema(db);
    else if (!MemoryVectors.exists(db)) return null;
    return new DenseIndex(new MemoryVectors(db, statements, opts.embedder.model), opts, logger);
  }

  status(): VectorIndexStatus {
    return {
      model: this.vectors.model,
      indexed: this.vectors.indexedCount(),
      pending: this.vectors.pendingCount(),
    };
  }
}
