import type { PoolClient } from "pg";
import { MemoryError } from "../../core/errors.js";

/**
 * Versioned schema, like the SQLite store's: `memory_schema.version` holds
 * the last step applied. Steps are only ever appended, so a database made by
 * any older release is brought forward step by step; a newer one is refused.
 */
export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

/** Characters of a memory that go into its full-text vector (a tsvector holds at most 1 MB). */
export const INDEXED_CHARS = 100_000;

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: "memories and their history",
    sql: `
      CREATE TABLE memories (
        pk bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        user_id text NOT NULL,
        agent_id text,
        app_id text,
        run_id text,
        memory text NOT NULL,
        hash text NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        categories jsonb NOT NULL DEFAULT '[]',
        created_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL
      );
      CREATE UNIQUE INDEX memories_user_hash ON memories (user_id, hash);
      CREATE INDEX memories_user_created ON memories (user_id, created_at, pk);
      CREATE TABLE memory_history (
        seq bigserial PRIMARY KEY,
        id text NOT NULL,
        memory_id text NOT NULL,
        user_id text NOT NULL,
        event text NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE')),
        old_memory text,
        new_memory text,
        created_at text NOT NULL
      );
      CREATE INDEX memory_history_memory ON memory_history (memory_id, seq);
      CREATE INDEX memory_history_user ON memory_history (user_id);
    `,
  },
  {
    version: 2,
    description: "full-text search (tsvector, English stems, GIN) and project/session indexes",
    sql: `
      ALTER TABLE memories ADD COLUMN tokens integer NOT NULL DEFAULT 0;
      -- Rows of v1 had no token count: whitespace-separated words, close to the tokens new rows count.
      UPDATE memories SET tokens = coalesce(array_length(regexp_split_to_array(btrim(memory), '\\s+'), 1), 0);
      ALTER TABLE memories ADD COLUMN tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('english', left(memory, ${INDEXED_CHARS}))) STORED;
      CREATE INDEX memories_tsv ON memories USING gin (tsv);
      CREATE INDEX memories_user_run ON memories (user_id, run_id, created_at, pk);
      CREATE INDEX memories_user_app ON memories (user_id, app_id, created_at);
    `,
  },
];

/** The schema version this code writes. */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** One advisory lock key for every mcp-mitm-mem0 process migrating this database. */
const MIGRATION_LOCK = 0x6d656d30; // "mem0"

async function currentVersion(client: PoolClient): Promise<number> {
  await client.query("CREATE TABLE IF NOT EXISTS memory_schema (version integer NOT NULL)");
  const { rows } = await client.query<{ version: number }>("SELECT version FROM memory_schema");
  return rows[0]?.version ?? 0;
}

export function refuseNewerPgSchema(version: number, where: string): void {
  if (version > PG_SCHEMA_VERSION) {
    throw new MemoryError(
      "SCHEMA_TOO_NEW",
      `The memory database at ${where} was written by a newer mcp-mitm-mem0 (schema v${version}; ` +
        `this version understands up to v${PG_SCHEMA_VERSION}). Upgrade mcp-mitm-mem0 to use it.`,
    );
  }
}

/**
 * Brings the database to `target` (PG_SCHEMA_VERSION) under a session
 * advisory lock, so two processes starting at once never race: the second
 * waits, then finds the work done. Each step is its own transaction with
 * the version bump. Returns the version found before.
 */
export async function migratePg(
  client: PoolClient,
  where: string,
  target: number = PG_SCHEMA_VERSION,
): Promise<number> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
  try {
    const before = await currentVersion(client);
    refuseNewerPgSchema(before, where);
    for (const step of PG_MIGRATIONS) {
      if (step.version <= before || step.version > target) continue;
      await client.query("BEGIN");
      try {
        await client.query(step.sql);
        await client.query("DELETE FROM memory_schema");
        await client.query("INSERT INTO memory_schema (version) VALUES ($1)", [step.version]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    }
    return before;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
  }
}
