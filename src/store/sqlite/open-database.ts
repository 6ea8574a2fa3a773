import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type Database from "better-sqlite3";
import { MemoryError } from "../../core/errors.js";
import { uuidV7 } from "../uuid-v7.js";
import { migrate, refuseNewerSchema, SCHEMA_VERSION, schemaVersion } from "./migrations.js";
import { openSqlite } from "./sqlite-database.js";
import { toStoreError } from "./sqlite-errors.js";

/** Page cache per connection: random-key indexes (dedup hashes) stay in memory through bulk imports. */
export const DEFAULT_CACHE_KIB = 16 * 1024;

export interface OpenDatabaseOptions {
  readonly?: boolean | undefined;
  /** How long a write waits for another process's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** This connection's page cache in KiB (default DEFAULT_CACHE_KIB); smaller for a connection that only writes. */
  cacheKib?: number | undefined;
  /**
   * Read the file through a memory map of up to this many bytes (SQLite's `mmap_size`; default 0,
   * none). For short-lived commands (READ_COMMAND_MMAP_BYTES in open-store.ts): a cold read of a
   * large store is then page faults instead of a `pread` per page. Long-running processes leave
   * it off, so that the mapped pages never count in their resident memory.
   */
  mmapBytes?: number | undefined;
}

export interface OpenedDatabase {
  db: Database.Database;
  /** The schema version found on disk before any migration (0 for a new file). */
  migratedFrom: number;
}

function checkReadonlyVersion(db: Database.Database, dbPath: string): number {
  const version = schemaVersion(db);
  refuseNewerSchema(version, dbPath);
  if (version < SCHEMA_VERSION) {
    throw new MemoryError(
      "STORE_UNAVAILABLE",
      `The memory database at ${dbPath} uses schema v${version}; open it once for writing to upgrade it to v${SCHEMA_VERSION}.`,
    );
  }
  return version;
}

/**
 * Opens (creating if needed, in a 0700 folder, as a 0600 file) and migrates
 * the database: WAL so readers never block the writer, busy_timeout so two
 * processes wait for each other instead of failing, synchronous=NORMAL (safe
 * in WAL: a killed process loses nothing committed), a 16 MiB page cache (by default),
 * secure_delete (freed content is zeroed).
 */
/** Bytes the WAL keeps after a checkpoint (memories.db; the outbox uses the same). */
export const WAL_SIZE_LIMIT = 1024 * 1024;

/** True for the errors a full disk gives (SQLite's own, or the file system's). */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "SQLITE_FULL" || code === "ENOSPC" || code === "SQLITE_IOERR_WRITE";
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn`, again after a nap of `napMs` each time it fails with SQLITE_BUSY (another connection
 * holds the lock), for up to `timeoutMs`; then, or on any other error, throws. Synchronous: for
 * what SQLite's own busy handler does not cover, or covers too coarsely.
 */
export function whileBusy<T>(fn: () => T, timeoutMs: number, napMs: number): T {
  // The clock is read from the first failure on: `performance` is Node's perf_hooks (ten modules
  // loaded on first use), which every command opening the store would otherwise pay for.
  let deadline: number | null = null;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      const code = String((e as { code?: unknown }).code);
      if (!code.startsWith("SQLITE_BUSY")) throw e;
      const now = performance.now();
      deadline ??= now + timeoutMs;
      if (now >= deadline) throw e;
      Atomics.wait(nap, 0, 0, napMs);
    }
  }
}

/**
 * `journal_mode = WAL`, waiting for the lock up to `busyTimeoutMs`: SQLite
 * does not call the busy handler for this pragma, so two processes creating
 * the same database at once would otherwise see SQLITE_BUSY at once (seen in
 * test/store/sqlite/sqlite-concurrency.test.ts under load).
 */
export function enterWal(db: Database.Database, busyTimeoutMs: number): void {
  whileBusy(() => db.pragma("journal_mode = WAL"), busyTimeoutMs, 5);
}

/**
 * After a write failed on a full disk: checkpoint and truncate the WAL so that
 * its frames give back their space (best effort; true when it finished).
 */
export function reclaimWal(db: Database.Database): boolean {
  try {
    const r = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
    return (r[0]?.busy ?? 1) === 0;
  } catch {
    return false;
  }
}

export function openDatabase(dbPath: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const readonly = options.readonly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const inMemory = dbPath === ":memory:";
  if (!inMemory && !readonly) mkdirSync(dirname(resolve(dbPath)), { recursive: true, mode: 0o700 });
  const existed = inMemory || existsSync(dbPath);
  if (readonly && !existed) {
    throw new MemoryError("STORE_UNAVAILABLE", `There is no memory database at ${dbPath}.`);
  }
  let db: Database.Database | undefined;
  try {
    db = openSqlite(dbPath, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    if (!existed) chmodSync(dbPath, 0o600);
    db.function("mem_uuid", { deterministic: false }, () => uuidV7());
    db.pragma(`cache_size = -${Math.max(1, Math.floor(options.cacheKib ?? DEFAULT_CACHE_KIB))}`);
    const mmapBytes = Math.max(0, Math.floor(options.mmapBytes ?? 0));
    if (mmapBytes > 0) db.pragma(`mmap_size = ${mmapBytes}`);
    if (readonly) return { db, migratedFrom: checkReadonlyVersion(db, dbPath) };
    enterWal(db, busyTimeoutMs);
    db.pragma("synchronous = NORMAL");
    // Deleted memories are overwritten with zeros, not only unlinked (forgotten means gone from disk).
    db.pragma("secure_delete = ON");
    // The WAL is cut back to this size after each checkpoint, so it cannot keep the space a full disk freed.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    return { db, migratedFrom: migrate(db, dbPath) };
  } catch (error) {
    db?.close();
    throw toStoreError(error, dbPath);
  }
}
