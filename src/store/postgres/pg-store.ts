import pg from "pg";
import { MemoryError } from "../../core/errors.js";
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
import { decodeCursor, encodeCursor } from "../sqlite/list-cursor.js";
import type {
  CheckedAdd,
  CheckedFilters,
  CheckedList,
  CheckedPatch,
  CheckedSearch,
} from "../validate-input.js";
import { migratePg, PG_SCHEMA_VERSION } from "./migrations.js";
import { toPgStoreError } from "./pg-errors.js";
import { filtersToPg, Params } from "./pg-filters.js";
import {
  PG_MEMORY_COLUMNS,
  type PgHistoryRow,
  type PgMemoryRow,
  pgToHistoryEvent,
  pgToMemory,
} from "./pg-rows.js";
import { PgSearch } from "./pg-search.js";
import { addBatchPg, deleteAllPg, deletePg, nowIso, updatePg } from "./pg-writes.js";

/** Memories written per transaction by `addMany`. */
export const PG_ADD_BATCH_SIZE = 1000;

export interface PgStoreOptions {
  logger?: Logger | undefined;
  /** Connect, statement and read timeout in milliseconds (default 10000): a lost server is an error, never a hang. */
  timeoutMs?: number | undefined;
  /** Connections in the pool (default 10). */
  poolSize?: number | undefined;
  /**
   * From this many memories on, search takes the corpus size and the document
   * frequencies of common words from PostgreSQL's statistics (ANALYZE) instead
   * of counting them (default 50,000; see pg-term-stats.ts).
   */
  searchStatisticsFrom?: number | undefined;
}

/** host:port/database of a libpq URL, for messages: never the user's password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get("host") || "localhost";
    return `${host}${u.port ? `:${u.port}` : ""}${u.pathname || "/"}`;
  } catch {
    return "the DATABASE_URL server";
  }
}

/**
 * The PostgreSQL backend: node-postgres' pool, a versioned schema migrated
 * under an advisory lock, a unique (user_id, hash) constraint for exact
 * duplicates, and tsvector/GIN full-text search ranked as in the SQLite store.
 */
export class PgMemoryStore extends CheckedMemoryStore {
  readonly backend = "postgres";
  private readonly searcher: PgSearch;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly where: string,
    private readonly logger: Logger,
    searchStatisticsFrom: number | undefined,
  ) {
    super();
    this.searcher = new PgSearch(pool, searchStatisticsFrom);
  }

  /** Connects, migrates (an older schema is brought forward, a newer one refused) and returns the store. */
  static async open(databaseUrl: string, opts: PgStoreOptions = {}): Promise<PgMemoryStore> {
    const logger = opts.logger ?? silentLogger;
    const where = describeDatabaseUrl(databaseUrl);
    const timeout = opts.timeoutMs ?? 10_000;
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: timeout,
      statement_timeout: timeout,
      query_timeout: timeout + 1000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: "mcp-mitm-mem0",
    });
    // An idle connection the server dropped: the pool replaces it; the next query reports any failure.
    pool.on("error", (error) => logger.warn("postgres connection lost", { message: error.message }));
    const store = new PgMemoryStore(pool, where, logger, opts.searchStatisticsFrom);
    try {
      const client = await pool.connect();
      try {
        const before = await migratePg(client, where);
        if (before !== PG_SCHEMA_VERSION && before !== 0) {
          logger.info("memory database schema upgraded", { from: before, to: PG_SCHEMA_VERSION });
        }
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => {});
      throw toPgStoreError(error, where);
    }
    return store;
  }

  /** Runs `fn`, turning driver and server failures into MemoryError a person can act on. */
  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new MemoryError("STORE_UNAVAILABLE", "The memory store is closed.");
    try {
      return await fn();
    } catch (error) {
      const mapped = toPgStoreError(error, this.where);
      if (mapped instanceof MemoryError && mapped.code === "STORE_UNAVAILABLE") {
        this.logger.error("memory store failure", { operation, code: mapped.code, message: mapped.message });
      }
      throw mapped;
    }
  }

  /** A pooled connection for one unit of work, released (or discarded when broken) afterwards. */
  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection the server ends mid-query fails that query; its 'error' event must not crash the process.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on("error", onError);
    try {
      return await fn(client);
    } catch (error) {
      if (!(error instanceof MemoryError) && error instanceof Error) broken = error;
      throw error;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  protected async addChecked(input: CheckedAdd): Promise<AddResult> {
    const [result] = await this.guard("add", () => this.withClient((c) => addBatchPg(c, [input], nowIso())));
    return result as AddResult;
  }

  protected async addManyChecked(
    inputs: CheckedAdd[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]> {
    const now = nowIso();
    const results: AddResult[] = [];
    for (let start = 0; start < inputs.length; start += PG_ADD_BATCH_SIZE) {
      const batch = inputs.slice(start, start + PG_ADD_BATCH_SIZE);
      results.push(...(await this.guard("addMany", () => this.withClient((c) => addBatchPg(c, batch, now)))));
      onProgress?.(results.length, inputs.length);
    }
    return results;
  }

  protected async searchChecked(s: CheckedSearch): Promise<ScoredMemory[]> {
    return this.guard("search", () => this.searcher.search(s.query, s.filters, s.limit, s.threshold));
  }

  protected async listChecked(l: CheckedList): Promise<MemoryPage> {
    return this.guard("list", async () => {
      const p = new Params();
      let sql = `SELECT ${PG_MEMORY_COLUMNS} FROM memories AS m WHERE ${filtersToPg(l.filters, p)}`;
      if (l.cursor !== undefined) {
        const after = decodeCursor(l.cursor);
        sql += ` AND (m.created_at, m.pk) < (${p.add(after.created_at)}, ${p.add(after.pk)}::bigint)`;
      }
      sql += ` ORDER BY m.created_at DESC, m.pk DESC LIMIT ${p.add(l.limit + 1)}`;
      const { rows } = await this.pool.query<PgMemoryRow>(sql, p.values);
      const page = rows.slice(0, l.limit);
      const last = page[page.length - 1];
      return {
        memories: page.map(pgToMemory),
        next_cursor:
          rows.length > l.limit && last
            ? encodeCursor({ created_at: last.created_at, pk: Number(last.pk) })
            : null,
      };
    });
  }

  protected async getChecked(id: string, userId: string | undefined): Promise<Memory | null> {
    return this.guard("get", async () => {
      const { rows } = await this.pool.query<PgMemoryRow>(
        `SELECT ${PG_MEMORY_COLUMNS} FROM memories AS m WHERE m.id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row || (userId !== undefined && row.user_id !== userId)) return null;
      return pgToMemory(row);
    });
  }

  protected async updateChecked(id: string, patch: CheckedPatch): Promise<Memory> {
    return this.guard("update", () => this.withClient((c) => updatePg(c, id, patch)));
  }

  protected async deleteChecked(id: string): Promise<void> {
    return this.guard("delete", () => this.withClient((c) => deletePg(c, id)));
  }

  protected async deleteAllChecked(scope: CheckedFilters): Promise<number> {
    return this.guard("deleteAll", () => this.withClient((c) => deleteAllPg(c, scope)));
  }

  protected async historyChecked(id: string): Promise<HistoryEvent[]> {
    return this.guard("history", async () => {
      const { rows } = await this.pool.query<PgHistoryRow>(
        `SELECT id, memory_id, user_id, event, old_memory, new_memory, created_at
         FROM memory_history WHERE memory_id = $1 ORDER BY seq`,
        [id],
      );
      return rows.map(pgToHistoryEvent);
    });
  }

  protected async statsChecked(userId: string | undefined): Promise<StoreStats> {
    return this.guard("stats", async () => {
      const scoped = userId !== undefined;
      const where = scoped ? "WHERE user_id = $1" : "";
      const args = scoped ? [userId] : [];
      const totals = await this.pool.query<{
        memories: string;
        users: string;
        oldest: string | null;
        newest: string | null;
      }>(
        `SELECT count(*) AS memories, count(DISTINCT user_id) AS users,
                min(created_at) AS oldest, max(created_at) AS newest FROM memories ${where}`,
        args,
      );
      const history = await this.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM memory_history ${where}`,
        args,
      );
      const byUser = await this.pool.query<{ user_id: string; memories: string }>(
        `SELECT user_id, count(*) AS memories FROM memories ${where}
         GROUP BY user_id ORDER BY memories DESC, user_id LIMIT 20`,
        args,
      );
      const size = await this.pool.query<{ bytes: string }>(
        "SELECT (pg_total_relation_size('memories') + pg_total_relation_size('memory_history'))::text AS bytes",
      );
      const t = totals.rows[0];
      return {
        backend: this.backend,
        memories: Number(t?.memories ?? 0),
        users: Number(t?.users ?? 0),
        history_events: Number(history.rows[0]?.n ?? 0),
        oldest: t?.oldest ?? null,
        newest: t?.newest ?? null,
        by_user: byUser.rows.map((r) => ({ user_id: r.user_id, memories: Number(r.memories) })),
        size_bytes: Number(size.rows[0]?.bytes ?? 0),
      };
    });
  }

  /** One round trip: the server answers and holds a memory schema this version understands. */
  async health(): Promise<StoreHealth> {
    return this.guard("health", async () => {
      const { rows } = await this.pool.query<{ version: number | null }>(
        "SELECT (SELECT max(version) FROM memory_schema) AS version, EXISTS (SELECT 1 FROM memories) AS used",
      );
      return { backend: this.backend, detail: `${this.where} (schema v${rows[0]?.version ?? "?"})` };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
