import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/core/logger.js";
import { SCHEMA_VERSION } from "../../../src/store/sqlite/migrations.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { useTempDir } from "../temp-dir.js";

/** The schema as release 1 wrote it (no full-text index yet), copied here on purpose: it must never change. */
const RELEASE_1_SCHEMA = `
  CREATE TABLE memories (
    pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
    agent_id TEXT, app_id TEXT, run_id TEXT, memory TEXT NOT NULL, hash TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}', categories TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE UNIQUE INDEX memories_user_hash ON memories (user_id, hash);
  CREATE INDEX memories_user_created ON memories (user_id, created_at);
  CREATE TABLE memory_history (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, memory_id TEXT NOT NULL, user_id TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE')),
    old_memory TEXT, new_memory TEXT, created_at TEXT NOT NULL);
  CREATE INDEX memory_history_memory ON memory_history (memory_id);
  CREATE INDEX memory_history_user ON memory_history (user_id);
  PRAGMA user_version = 1;`;

const md5 = (text: string) =>
  createHash("md5").update(text.toLowerCase().replace(/\s+/g, " ").trim()).digest("hex");

function makeRelease1Database(path: string): void {
  const db = new Database(path);
  db.exec(RELEASE_1_SCHEMA);
  const insert = db.prepare(
    `INSERT INTO memories (id, user_id, app_id, memory, hash, metadata, categories, created_at, updated_at)
     VALUES (?, 'old_user', 'legacy', ?, ?, '{"v":1}', '["old"]', ?, ?)`,
  );
  const history = db.prepare(
    `INSERT INTO memory_history (id, memory_id, user_id, event, old_memory, new_memory, created_at)
     VALUES (?, ?, 'old_user', ?, ?, ?, ?)`,
  );
  const texts = ["Prefers Emacs keybindings", "Runs migrations with Alembic", "Ships on Tuesdays"];
  texts.forEach((text, i) => {
    const at = `2023-05-0${i + 1}T10:00:00.000Z`;
    insert.run(`old-${i}`, text, md5(text), at, at);
    history.run(`h-${i}`, `old-${i}`, "ADD", null, text, at);
  });
  history.run("h-upd", "old-0", "UPDATE", "Prefers Vim keybindings", texts[0], "2023-05-04T10:00:00.000Z");
  db.close();
}

function userVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma("user_version", { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe("SqliteMemoryStore: schema versions", () => {
  const dir = useTempDir();

  it("opens a release-1 database, migrates it and keeps every memory and event", async () => {
    const path = join(dir(), "old.db");
    makeRelease1Database(path);
    const lines: string[] = [];
    const store = SqliteMemoryStore.open(path, { logger: createLogger("info", (l) => lines.push(l)) });
    try {
      const found = await store.search("migration alembic", { filters: { user_id: "old_user" } });
      expect(found.map((m) => m.id)).toEqual(["old-1"]);
      expect(found[0]).toMatchObject({ app_id: "legacy", metadata: { v: 1 }, categories: ["old"] });
      const page = await store.list({ filters: { user_id: "old_user" } });
      expect(page.memories.map((m) => m.id)).toEqual(["old-2", "old-1", "old-0"]);
      expect((await store.history("old-0")).map((e) => e.event)).toEqual(["ADD", "UPDATE"]);
      const again = await store.add({ user_id: "old_user", memory: "ships ON tuesdays" });
      expect(again).toMatchObject({ status: "duplicate", memory: { id: "old-2" } });
      const fresh = await store.add({ user_id: "old_user", memory: "Uses Alembic autogenerate" });
      expect(fresh.status).toBe("created");
      expect((await store.search("alembic", { filters: { user_id: "old_user" } })).length).toBe(2);
    } finally {
      await store.close();
    }
    expect(userVersion(path)).toBe(SCHEMA_VERSION);
    expect(lines.some((l) => l.includes("schema upgraded") && l.includes('"from":1'))).toBe(true);
    const reopened = SqliteMemoryStore.open(path);
    expect((await reopened.stats()).memories).toBe(4);
    await reopened.close();
  });

  it("refuses a database from a newer release and leaves it untouched", async () => {
    const path = join(dir(), "newer.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE future_things (x); PRAGMA user_version = ${SCHEMA_VERSION + 3};`);
    db.close();
    expect(() => SqliteMemoryStore.open(path)).toThrow(
      expect.objectContaining({
        code: "SCHEMA_TOO_NEW",
        message: expect.stringMatching(/upgrade mcp-mitm-mem0/i),
      }),
    );
    expect(userVersion(path)).toBe(SCHEMA_VERSION + 3);
    const check = new Database(path, { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    check.close();
    expect(tables).toEqual(["future_things"]);
  });

  it("creates a new database in a private folder as a private WAL file", async () => {
    const path = join(dir(), "nested", "deeper", "memories.db");
    const store = SqliteMemoryStore.open(path);
    await store.add({ user_id: "u", memory: "hello" });
    await store.close();
    expect(statSync(join(dir(), "nested", "deeper")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('runs in memory for callers that want no file (":memory:")', async () => {
    const store = SqliteMemoryStore.open(":memory:");
    await store.add({ user_id: "u", memory: "Ephemeral fact about caching" });
    expect((await store.search("caching", { filters: { user_id: "u" } }))[0]?.memory).toBe(
      "Ephemeral fact about caching",
    );
    expect((await store.stats()).size_bytes).toBe(0);
    await store.close();
  });

  it("opens read-only: reads work, writes fail with STORE_UNAVAILABLE", async () => {
    const path = join(dir(), "ro.db");
    const writer = SqliteMemoryStore.open(path);
    await writer.add({ user_id: "u", memory: "Readonly mode works" });
    await writer.close();
    const reader = SqliteMemoryStore.open(path, { readonly: true });
    try {
      expect((await reader.search("readonly", { filters: { user_id: "u" } })).length).toBe(1);
      await expect(reader.add({ user_id: "u", memory: "nope" })).rejects.toMatchObject({
        code: "STORE_UNAVAILABLE",
        message: expect.stringMatching(/read-only/),
      });
    } finally {
      await reader.close();
    }
    expect(() => SqliteMemoryStore.open(join(dir(), "missing.db"), { readonly: true })).toThrow(
      expect.objectContaining({ code: "STORE_UNAVAILABLE" }),
    );
  });

  it("keeps the full-text index in sync through adds, updates, deletes and forgets", async () => {
    const path = join(dir(), "sync.db");
    const store = SqliteMemoryStore.open(path);
    const filters = { user_id: "u" };
    const { memory } = await store.add({ user_id: "u", memory: "Likes Haskell" });
    await store.update(memory!.id, { memory: "Likes OCaml" });
    expect(await store.search("haskell", { filters })).toEqual([]);
    expect((await store.search("ocaml", { filters })).map((m) => m.id)).toEqual([memory!.id]);
    await store.delete(memory!.id);
    expect(await store.search("ocaml", { filters })).toEqual([]);
    await store.addMany(Array.from({ length: 50 }, (_, i) => ({ user_id: "u", memory: `fact ${i}` })));
    await store.deleteAll({ user_id: "u" });
    await store.close();
    const db = new Database(path);
    expect(() => db.exec("INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check')")).not.toThrow();
    expect(
      db.prepare("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH 'fact'").pluck().get(),
    ).toBe(0);
    db.close();
  });
});
