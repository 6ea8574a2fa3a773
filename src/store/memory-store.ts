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
} from "../core/types.js";

/** What `health()` found: the backend and a line a person can read (no secrets). */
export interface StoreHealth {
  backend: string;
  detail: string;
}

/**
 * The one interface every caller (capture pipeline, MCP server, CLI,
 * reflection) uses. Implemented by the SQLite store (default), the Mem0
 * Platform client and PostgreSQL. Every method is async so that all fit.
 * Backends extend `CheckedMemoryStore` (checked-store.ts), which checks every
 * argument against this contract once, the same way for all of them.
 *
 * Errors: `NotFoundError` (code NOT_FOUND) for unknown ids,
 * `InvalidInputError` for bad arguments, `MemoryError` with
 * STORE_UNAVAILABLE / AUTH_REJECTED / UPSTREAM_UNREACHABLE for backend failures.
 */
export interface MemoryStore {
  /** A short name: `sqlite`, `mem0` or `postgres`. */
  readonly backend: string;

  /** Stores one memory. The same text (normalised) for the same user is not stored twice. */
  add(input: AddInput): Promise<AddResult>;

  /** Stores many in as few transactions as possible (import, benchmarks). */
  addMany(inputs: AddInput[], onProgress?: (done: number, total: number) => void): Promise<AddResult[]>;

  /** Ranked search within `options.filters` (user_id required). */
  search(query: string, options: SearchOptions): Promise<ScoredMemory[]>;

  /** Newest first, paginated. */
  list(options: ListOptions): Promise<MemoryPage>;

  /** One memory, or null. With `userId`, only if it belongs to that user. */
  get(id: string, userId?: string): Promise<Memory | null>;

  /** Throws NotFoundError for an unknown id. Records an UPDATE history event. */
  update(id: string, patch: UpdatePatch): Promise<Memory>;

  /** Throws NotFoundError for an unknown id. Records a DELETE history event. */
  delete(id: string): Promise<void>;

  /**
   * Deletes every memory in the scope and returns how many. When the scope
   * names only a user, that user is forgotten: their history goes too.
   */
  deleteAll(scope: Scope): Promise<number>;

  /** ADD/UPDATE/DELETE events of one memory, oldest first; kept after deletion. */
  history(id: string): Promise<HistoryEvent[]>;

  stats(userId?: string): Promise<StoreStats>;

  /**
   * One cheap round trip that proves the backend answers (and, for Mem0, that
   * the key is accepted), without retries. Throws the MemoryError a real call
   * would (AUTH_REJECTED, UPSTREAM_UNREACHABLE, STORE_UNAVAILABLE, ...).
   */
  health(): Promise<StoreHealth>;

  close(): Promise<void>;
}
