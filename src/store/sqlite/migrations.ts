import type Database from "better-sqlite3";
import { MemoryError } from "../../core/errors.js";

/**
 * Versioned schema. `PRAGMA user_version` holds the number of the last step
 * applied. Steps are only ever appended: a released step never changes, so a
 * database made by any older release is brought forward step by step.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "memories and their history",
    sql: `
      CREATE TABLE memories (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        agent_id TEXT,
        app_id TEXT,
        run_id TEXT,
        memory TEXT NOT NULL,
        hash TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        categories TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX memories_user_hash ON memories (user_id, hash);
      CREATE INDEX memories_user_created ON memories (user_id, created_at);
      CREATE TABLE memory_history (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        memory_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE')),
        old_memory TEXT,
        new_memory TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX memory_history_memory ON memory_history (memory_id);
      CREATE INDEX memory_history_user ON memory_history (user_id);
    `,
  },
  {
    version: 2,
    description: "full-text index (FTS5, BM25, Porter stems) and project/session indexes",
    sql: `
      CREATE VIRTUAL TABLE memories_fts USING fts5 (
        memory,
        content = 'memories',
        content_rowid = 'pk',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts (rowid, memory) VALUES (new.pk, new.memory);
      END;
      CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, memory) VALUES ('delete', old.pk, old.memory);
      END;
      CREATE TRIGGER memories_fts_update AFTER UPDATE OF memory ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, memory) VALUES ('delete', old.pk, old.memory);
        INSERT INTO memories_fts (rowid, memory) VALUES (new.pk, new.memory);
      END;
      INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');
      CREATE INDEX memories_user_app ON memories (user_id, app_id, created_at);
      CREATE INDEX memories_user_run ON memories (user_id, run_id, created_at);
    `,
  },
  {
    version: 3,
    description: "FTS5 secure-delete: a deleted memory's terms leave the full-text index's pages",
    sql: `
      INSERT INTO memories_fts (memories_fts, rank) VALUES ('secure-delete', 1);
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

export function refuseNewerSchema(version: number, dbPath: string): void {
  if (version > SCHEMA_VERSION) {
    throw new MemoryError(
      "SCHEMA_TOO_NEW",
      `The memory database at ${dbPath} was written by a newer mcp-mitm-mem0 (schema v${version}; ` +
        `this version understands up to v${SCHEMA_VERSION}). Upgrade mcp-mitm-mem0 to open it.`,
    );
  }
}

/**
 * Brings the database to SCHEMA_VERSION in one IMMEDIATE transaction (all steps
 * or none). Another process migrating at the same time is waited for, and the
 * version is read again inside the lock. Returns the version found before.
 */
export function migrate(db: Database.Database, dbPath: string): number {
  const before = schemaVersion(db);
  refuseNewerSchema(before, dbPath);
  if (before === SCHEMA_VERSION) return before;
  db.transaction(() => {
    const current = schemaVersion(db);
    refuseNewerSchema(current, dbPath);
    for (const step of MIGRATIONS) {
      if (step.version <= current) continue;
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    }
  }).immediate();
  return before;
}
