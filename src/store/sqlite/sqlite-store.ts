import type Database from "better-sqlite3";
import { InvalidInputError, isMemoryError, MemoryError } from "../../core/errors.js";
import { type Logger, silentLogger } from "../../core/logger.js";
import type {
  AddInput,
  AddResult,
  HistoryEvent,
  ListOptions,
  Memory,
  MemoryPage,
  Scope,
  ScoredMemory,
  SearchOptions,
  StoreStats,
  UpdatePatch,
} from "../../core/types.js";
import type { MemoryStore } from "../memory-store.js";
import { checkId, checkLimit, checkThreshold } from "../validate-args.js";
import { MemoryReads } from "./memory-reads.js";
import { MemorySearch } from "./memory-search.js";
import { MemoryWrites, nowIso, type PendingAdd } from "./memory-writes.js";
import { SCHEMA_VERSION } from "./migrations.js";
import { openDatabase } from "./open-database.js";
import { toStoreError } from "./sqlite-errors.js";
import { StatementCache } from "./statement-cache.js";
import { uuidV7 } from "./uuid-v7.js";
import { checkAddInput, checkFilters, checkUserId } from "./validate-input.js";

/** Memories written per transaction by `addMany`. */
export const ADD_BATCH_SIZE = 1000;

export interface SqliteStoreOptions {
  logger?: Logger | undefined;
  readonly?: boolean | undefined;
  /** How long a write waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
}

/** The embedded store: one SQLite file (WAL), FTS5 search, shared safely by the proxy and the MCP server. */
export class SqliteMemoryStore implements MemoryStore {
  readonly backend = "sqlite";
  private readonly reads: MemoryReads;
  private readonly writes: MemoryWrites;
  private readonly searcher: MemorySearch;

  private constructor(
    private readonly db: Database.Database,
    readonly dbPath: string,
    private readonly logger: Logger,
  ) {
    const statements = new StatementCache(db);
    this.reads = new MemoryReads(db, statements, dbPath);
    this.writes = new MemoryWrites(db, statements);
    this.searcher = new MemorySearch(db, statements);
  }

  static open(dbPath: string, opts: SqliteStoreOptions = {}): SqliteMemoryStore {
    const logger = opts.logger ?? silentLogger;
    const { db, migratedFrom } = openDatabase(dbPath, opts);
    if (migratedFrom !== SCHEMA_VERSION && !opts.readonly) {
      logger.info("memory database schema upgraded", { from: migratedFrom, to: SCHEMA_VERSION });
    }
    return new SqliteMemoryStore(db, dbPath, logger);
  }

  /** Runs `fn`, turning SQLite failures into MemoryError with a message a person can act on. */
  private guard<T>(operation: string, fn: () => T): T {
    if (!this.db.open) throw new MemoryError("STORE_UNAVAILABLE", "The memory store is closed.");
    try {
      return fn();
    } catch (error) {
      const mapped = toStoreError(error, this.dbPath);
      if (isMemoryError(mapped) && mapped.code === "STORE_UNAVAILABLE") {
        this.logger.error("memory store failure", { operation, code: mapped.code, message: mapped.message });
      }
      throw mapped;
    }
  }

  async add(input: AddInput): Promise<AddResult> {
    return this.guard("add", () => {
      const values = checkAddInput(input, nowIso(), uuidV7);
      const [result] = this.writes.addBatch([{ values, explicitId: input.id !== undefined }]);
      return result!;
    });
  }

  async addMany(
    inputs: AddInput[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]> {
    if (!Array.isArray(inputs)) throw new InvalidInputError("addMany needs an array of memories");
    const now = nowIso();
    // Validate everything first: a bad item fails the call before anything is written.
    const pending: PendingAdd[] = inputs.map((input, i) => ({
      values: checkAddInput(input, now, uuidV7, i),
      explicitId: input.id !== undefined,
    }));
    const results: AddResult[] = [];
    for (let start = 0; start < pending.length; start += ADD_BATCH_SIZE) {
      const batch = pending.slice(start, start + ADD_BATCH_SIZE);
      results.push(...this.guard("addMany", () => this.writes.addBatch(batch)));
      onProgress?.(results.length, pending.length);
      // Let other work (a proxy forwarding bytes) run between batches.
      if (start + ADD_BATCH_SIZE < pending.length) await new Promise((r) => setImmediate(r));
    }
    return results;
  }

  async search(query: string, options: SearchOptions): Promise<ScoredMemory[]> {
    return this.guard("search", () => {
      if (typeof query !== "string") throw new InvalidInputError("query must be a string");
      const filters = checkFilters(options?.filters);
      const limit = checkLimit(options.limit, 10, 1000);
      return this.searcher.search(query, filters, limit, checkThreshold(options.threshold) ?? 0);
    });
  }

  async list(options: ListOptions): Promise<MemoryPage> {
    return this.guard("list", () => {
      const filters = checkFilters(options?.filters);
      const limit = checkLimit(options.limit, 50, 1000);
      if (options.cursor !== undefined && typeof options.cursor !== "string") {
        throw new InvalidInputError("cursor must be a string");
      }
      return this.reads.list(filters, limit, options.cursor);
    });
  }

  async get(id: string, userId?: string): Promise<Memory | null> {
    return this.guard("get", () =>
      this.reads.get(checkId(id), userId === undefined ? undefined : checkUserId(userId)),
    );
  }

  async update(id: string, patch: UpdatePatch): Promise<Memory> {
    return this.guard("update", () => this.writes.update(checkId(id), patch));
  }

  async delete(id: string): Promise<void> {
    this.guard("delete", () => this.writes.delete(checkId(id)));
  }

  async deleteAll(scope: Scope): Promise<number> {
    return this.guard("deleteAll", () => {
      if (typeof scope !== "object" || scope === null) throw new InvalidInputError("deleteAll needs a scope");
      const { user_id, agent_id, app_id, run_id } = scope;
      return this.writes.deleteAll(checkFilters({ user_id, agent_id, app_id, run_id }));
    });
  }

  async history(id: string): Promise<HistoryEvent[]> {
    return this.guard("history", () => this.reads.history(checkId(id)));
  }

  async stats(userId?: string): Promise<StoreStats> {
    return this.guard("stats", () =>
      this.reads.stats(userId === undefined ? undefined : checkUserId(userId)),
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
