import type Database from "better-sqlite3";
import { isMemoryError, MemoryError } from "../../core/errors.js";
import { type Logger, silentLogger } from "../../core/logger.js";
import type {
  AddResult,
  HistoryEvent,
  Memory,
  MemoryPage,
  ScoredMemory,
  StoreStats,
} from "../../core/types.js";
import { CheckedMemoryStore } from "../checked-store.js";
import type { StoreHealth } from "../memory-store.js";
import type {
  CheckedAdd,
  CheckedFilters,
  CheckedList,
  CheckedPatch,
  CheckedSearch,
} from "../validate-input.js";
import { DenseIndex, type DenseOptions, type VectorIndexStatus } from "./dense-index.js";
import { FtsMaintenance } from "./fts-maintenance.js";
import { MemoryReads } from "./memory-reads.js";
import { MemorySearch } from "./memory-search.js";
import { MemoryWrites, nowIso } from "./memory-writes.js";
import { SCHEMA_VERSION } from "./migrations.js";
import { isDiskFull, openDatabase, reclaimWal } from "./open-database.js";
import { toStoreError } from "./sqlite-errors.js";
import { StatementCache } from "./statement-cache.js";

/** Memories written per transaction by `addMany`. */
export const ADD_BATCH_SIZE = 1000;

export interface SqliteStoreOptions {
  logger?: Logger | undefined;
  readonly?: boolean | undefined;
  /** How long a write waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** The connection's SQLite page cache in KiB (default 16 MiB; the capture thread's is smaller). */
  cacheKib?: number | undefined;
  /** A memory map of the file for a short-lived command (open-database.ts, `mmapBytes`; default none). */
  mmapBytes?: number | undefined;
  /** The optional dense signal: an embedding model (EMBEDDINGS_URL); search is lexical without it. */
  embeddings?: DenseOptions | undefined;
  /**
   * Pseudo-relevance feedback in search (default true). Off only to measure
   * the ranking without it (bench:locomo); not a setting people need.
   */
  searchFeedback?: boolean | undefined;
}

/** The embedded store: one SQLite file (WAL), FTS5 search, shared safely by the proxy and the MCP server. */
export class SqliteMemoryStore extends CheckedMemoryStore {
  readonly backend = "sqlite";
  private readonly reads: MemoryReads;
  private readonly writes: MemoryWrites;
  private readonly searcher: MemorySearch;
  private readonly statements: StatementCache;
  private readonly dense: DenseIndex | null;
  /** Merges the full-text index after writes when it has spread over many segments (null when read-only). */
  private readonly fts: FtsMaintenance | null;

  private constructor(
    private readonly db: Database.Database,
    readonly dbPath: string,
    private readonly logger: Logger,
    opts: SqliteStoreOptions = {},
  ) {
    super();
    this.statements = new StatementCache(db);
    this.reads = new MemoryReads(db, this.statements, dbPath);
    this.writes = new MemoryWrites(db, this.statements);
    this.searcher = new MemorySearch(db, this.statements, opts.searchFeedback ?? true);
    this.fts = opts.readonly ? null : new FtsMaintenance(db, logger);
    this.dense = opts.embeddings
      ? DenseIndex.open(db, this.statements, opts.embeddings, opts.readonly ?? false, logger)
      : null;
  }

  static open(dbPath: string, opts: SqliteStoreOptions = {}): SqliteMemoryStore {
    const logger = opts.logger ?? silentLogger;
    const { db, migratedFrom } = openDatabase(dbPath, opts);
    if (migratedFrom !== SCHEMA_VERSION && !opts.readonly) {
      logger.info("memory database schema upgraded", { from: migratedFrom, to: SCHEMA_VERSION });
    }
    return new SqliteMemoryStore(db, dbPath, logger, opts);
  }

  /** Runs `fn`, turning SQLite failures into MemoryError with a message a person can act on. */
  private guard<T>(operation: string, fn: () => T): T {
    if (!this.db.open) throw new MemoryError("STORE_UNAVAILABLE", "The memory store is closed.");
    try {
      return fn();
    } catch (error) {
      // A full disk: give the WAL's space back now, so that the next attempt can succeed once there is room.
      if (isDiskFull(error)) reclaimWal(this.db);
      const mapped = toStoreError(error, this.dbPath);
      if (isMemoryError(mapped) && mapped.code === "STORE_UNAVAILABLE") {
        this.logger.error("memory store failure", { operation, code: mapped.code, message: mapped.message });
      }
      throw mapped;
    }
  }

  protected async addChecked(input: CheckedAdd): Promise<AddResult> {
    const result = this.guard("add", () => this.writes.addBatch([input], nowIso())[0] as AddResult);
    if (result.status !== "duplicate") this.fts?.afterWrite();
    this.dense?.indexer.nudge();
    return result;
  }

  protected async addManyChecked(
    inputs: CheckedAdd[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]> {
    const now = nowIso();
    const results: AddResult[] = [];
    for (let start = 0; start < inputs.length; start += ADD_BATCH_SIZE) {
      const batch = inputs.slice(start, start + ADD_BATCH_SIZE);
      results.push(...this.guard("addMany", () => this.writes.addBatch(batch, now)));
      onProgress?.(results.length, inputs.length);
      // Let other work (a proxy forwarding bytes) run between batches.
      if (start + ADD_BATCH_SIZE < inputs.length) await new Promise((r) => setImmediate(r));
    }
    if (this.db.open) this.fts?.afterWrite();
    this.dense?.indexer.nudge();
    return results;
  }

  protected async searchChecked(s: CheckedSearch): Promise<ScoredMemory[]> {
    // The query's vector is awaited outside the database work; null (lexical search) when the endpoint is down.
    const vector = this.dense && s.query.trim() !== "" ? await this.dense.query.vector(s.query) : null;
    return this.guard("search", () => {
      const dense =
        this.dense && vector ? { vector, vectors: this.dense.vectors, weight: this.dense.weight } : null;
      return this.searcher.search(s.query, s.filters, s.limit, s.threshold, dense);
    });
  }

  protected async listChecked(l: CheckedList): Promise<MemoryPage> {
    return this.guard("list", () => this.reads.list(l.filters, l.limit, l.cursor));
  }

  protected async getChecked(id: string, userId: string | undefined): Promise<Memory | null> {
    return this.guard("get", () => this.reads.get(id, userId));
  }

  protected async updateChecked(id: string, patch: CheckedPatch): Promise<Memory> {
    return this.guard("update", () => this.writes.update(id, patch));
  }

  protected async deleteChecked(id: string): Promise<void> {
    this.guard("delete", () => this.writes.delete(id));
    this.truncateWal();
  }

  protected async deleteAllChecked(scope: CheckedFilters): Promise<number> {
    const n = this.guard("deleteAll", () => this.writes.deleteAll(scope));
    this.truncateWal();
    return n;
  }

  /**
   * After a deletion: checkpoint and truncate the WAL, whose older frames
   * still hold the pages as they were before (secure_delete zeroes the
   * current ones). Best effort: a reader in another process can keep the
   * checkpoint from finishing; the frames are then overwritten by later
   * writes and dropped at the next deletion's checkpoint.
   */
  private truncateWal(): void {
    try {
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    } catch {
      // Busy or closed: the deletion itself is committed; see above.
    }
  }

  protected async historyChecked(id: string): Promise<HistoryEvent[]> {
    return this.guard("history", () => this.reads.history(id));
  }

  protected async statsChecked(userId: string | undefined): Promise<StoreStats> {
    return this.guard("stats", () => this.reads.stats(userId));
  }

  /** Reads the schema version and touches the memories table: the file opens and is a memory database. */
  async health(): Promise<StoreHealth> {
    return this.guard("health", () => {
      const version = this.statements.get("PRAGMA user_version").pluck().get() as number;
      this.statements.get("SELECT 1 FROM memories LIMIT 1").get();
      return { backend: this.backend, detail: `${this.dbPath} (schema v${version})` };
    });
  }

  /**
   * SQLite's `data_version`: changes whenever another connection commits to
   * the database. A long-lived reader compares it to know whether what it
   * cached (term statistics) may be stale.
   */
  dataVersion(): number {
    return this.guard("dataVersion", () => this.db.pragma("data_version", { simple: true }) as number);
  }

  /**
   * Forgets what searches cache between calls (term statistics, recomputed
   * once the index drifts by 10%): the next search ranks exactly as one on a
   * newly opened store would. The hook thread calls it when data_version moved.
   */
  forgetCachedStatistics(): void {
    this.searcher.forgetTermStatistics();
  }

  /** The vector index's progress; null when no embedding model is configured (or sqlite-vec cannot load). */
  async vectorIndexStatus(): Promise<VectorIndexStatus | null> {
    return this.dense ? this.guard("vectorIndexStatus", () => this.dense!.status()) : null;
  }

  /**
   * Embeds every memory that has no vector for the configured model (or whose
   * text changed since); returns how many were embedded. Throws EmbeddingsError
   * when the endpoint fails (what was embedded until then is kept).
   */
  async backfillVectors(onProgress?: (done: number, total: number) => void): Promise<number> {
    if (!this.dense)
      throw new MemoryError("UNAVAILABLE", "No embedding model is configured (EMBEDDINGS_URL).");
    return this.dense.indexer.backfill(onProgress);
  }

  /** Keeps vectors up to date in the background of a long-running process (off the write path). */
  startVectorIndexing(): void {
    this.dense?.indexer.start();
  }

  async close(): Promise<void> {
    this.dense?.indexer.stop();
    if (this.db.open) this.db.close();
  }
}
