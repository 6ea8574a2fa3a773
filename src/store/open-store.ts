import { join } from "node:path";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import { type AuditActor, AuditLog } from "./audit-log.js";
import { AuditedMemoryStore } from "./audited-store.js";
import type { MemoryStore } from "./memory-store.js";

/** The SQLite file inside the data directory. */
export function databasePath(config: Pick<Config, "dataDir">): string {
  return join(config.dataDir, "memories.db");
}

/**
 * How much of the SQLite file a command that reads and exits (search, list, show, history, stats,
 * the hook answered in-process) maps into memory: see open-database.ts, `mmapBytes`.
 */
export const READ_COMMAND_MMAP_BYTES = 256 * 1024 * 1024;

export interface OpenStoreOptions {
  sqliteCacheKib?: number | undefined;
  sqliteMmapBytes?: number | undefined;
}

/**
 * Opens the configured backend: the embedded SQLite store, Mem0 when a key is set, or PostgreSQL.
 * `sqliteCacheKib`: the embedded store's page cache, for a connection that needs less than the default;
 * `sqliteMmapBytes`: its memory map, for a command that reads and exits (READ_COMMAND_MMAP_BYTES).
 */
export async function openStore(
  config: Config,
  logger: Logger,
  opts: OpenStoreOptions = {},
): Promise<MemoryStore> {
  if (config.backend === "postgres" && config.postgres.url) {
    const { PgMemoryStore } = await import("./postgres/pg-store.js");
    return PgMemoryStore.open(config.postgres.url, { logger, timeoutMs: config.postgres.timeoutMs });
  }
  if (config.backend === "mem0") {
    const [{ Mem0MemoryStore }, { SecurityEvents }] = await Promise.all([
      import("./mem0/mem0-store.js"),
      import("../http/security-events.js"),
    ]);
    const security = new SecurityEvents({ logger, component: "mem0", dataDir: config.dataDir });
    return new Mem0MemoryStore(config.mem0, logger, { security });
  }
  const { SqliteMemoryStore } = await import("./sqlite/sqlite-store.js");
  const e = config.embeddings;
  const cacheKib = opts.sqliteCacheKib;
  const mmapBytes = opts.sqliteMmapBytes;
  if (!e) return SqliteMemoryStore.open(databasePath(config), { logger, cacheKib, mmapBytes });
  const { OpenAiEmbedder } = await import("../embeddings/openai-embedder.js");
  const embedder = new OpenAiEmbedder({ url: e.url, model: e.model, apiKey: e.apiKey });
  return SqliteMemoryStore.open(databasePath(config), {
    logger,
    cacheKib,
    mmapBytes,
    embeddings: { embedder, weight: e.weight, queryTimeoutMs: e.queryTimeoutMs },
  });
}

/**
 * The configured backend with every operation recorded in the audit log
 * (audit.jsonl in the data directory) as coming from `by`; `.as()` gives the
 * same store for another entry point. A failed audit write is a warning,
 * never a failed operation.
 */
export async function openAuditedStore(
  config: Config,
  logger: Logger,
  by: AuditActor = { entry: "cli" },
  opts: OpenStoreOptions = {},
): Promise<AuditedMemoryStore> {
  const inner = await openStore(config, logger, opts);
  const log = new AuditLog(config.dataDir, {
    retentionDays: config.audit.retentionDays,
    onFailure: (e) =>
      logger.warn("security event: audit log write failed; the operation itself went ahead", {
        event: "audit_write_failed",
        code: (e as NodeJS.ErrnoException).code ?? e.name,
        file: join(config.dataDir, "audit.jsonl"),
      }),
  });
  return new AuditedMemoryStore(inner, log, by);
}
