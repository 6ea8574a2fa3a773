import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { toStoreError } from "../../../src/store/sqlite/sqlite-errors.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { useTempDir } from "../temp-dir.js";

function sqliteErrorFrom(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected SQLite to fail");
}

describe("SqliteMemoryStore: failures become clear errors and lose nothing", () => {
  const dir = useTempDir();

  it("a write that waits too long for another process's lock fails with STORE_UNAVAILABLE, reads go on", async () => {
    const path = join(dir(), "busy.db");
    const store = SqliteMemoryStore.open(path, { busyTimeoutMs: 50 });
    await store.add({ user_id: "u", memory: "before the lock" });
    const other = new Database(path, { timeout: 0 });
    other.exec("BEGIN IMMEDIATE");
    try {
      await expect(store.add({ user_id: "u", memory: "during the lock" })).rejects.toMatchObject({
        code: "STORE_UNAVAILABLE",
        message: expect.stringMatching(/locked by another process.*SQLITE_BUSY/),
      });
      expect((await store.search("lock", { filters: { user_id: "u" } })).length).toBe(1);
    } finally {
      other.exec("COMMIT");
      other.close();
    }
    expect((await store.add({ user_id: "u", memory: "after the lock" })).status).toBe("created");
    expect((await store.stats("u")).memories).toBe(2);
    await store.close();
  });

  it("a full disk (SQLITE_FULL) maps to STORE_UNAVAILABLE saying so", () => {
    const db = new Database(join(dir(), "full.db"));
    db.exec("CREATE TABLE t (x); PRAGMA max_page_count = 3;");
    const error = sqliteErrorFrom(() => db.prepare("INSERT INTO t VALUES (?)").run("x".repeat(100_000)));
    db.close();
    expect(toStoreError(error, "/data/memories.db")).toMatchObject({
      code: "STORE_UNAVAILABLE",
      message: expect.stringMatching(/disk holding .*\/data\/memories\.db is full.*SQLITE_FULL/),
    });
  });

  it("a damaged file or a folder where the file should be is refused with STORE_UNAVAILABLE", () => {
    const garbage = join(dir(), "garbage.db");
    writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
    expect(() => SqliteMemoryStore.open(garbage)).toThrow(
      expect.objectContaining({
        code: "STORE_UNAVAILABLE",
        message: expect.stringMatching(/damaged or is not/),
      }),
    );
    const folder = join(dir(), "folder.db");
    mkdirSync(folder);
    expect(() => SqliteMemoryStore.open(folder)).toThrow(
      expect.objectContaining({ code: "STORE_UNAVAILABLE" }),
    );
  });

  it("a closed store says so", async () => {
    const store = SqliteMemoryStore.open(join(dir(), "closed.db"));
    await store.close();
    await expect(store.list({ filters: { user_id: "u" } })).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
    });
    await store.close();
  });

  it("addMany checks every item before writing any batch", async () => {
    const store = SqliteMemoryStore.open(join(dir(), "batch.db"));
    const inputs = Array.from({ length: 2500 }, (_, i) => ({ user_id: "u", memory: `item ${i}` }));
    inputs[2100] = { user_id: "u", memory: "" };
    await expect(store.addMany(inputs)).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("item 2100"),
    });
    expect((await store.stats()).memories).toBe(0);
    const progress: number[] = [];
    inputs[2100] = { user_id: "u", memory: "item 2100" };
    await store.addMany(inputs, (done) => progress.push(done));
    expect(progress).toEqual([1000, 2000, 2500]);
    expect((await store.stats("u")).memories).toBe(2500);
    await store.close();
  });

  it("import ids: kept, idempotent for the same user, a conflict for another", async () => {
    const store = SqliteMemoryStore.open(join(dir(), "ids.db"));
    const id = "0b9d6c1e-5f3a-4c2b-9d7e-1a2b3c4d5e6f";
    const input = { id, user_id: "u", memory: "Imported", created_at: "2020-02-02T02:02:02Z" };
    expect(await store.add(input)).toMatchObject({
      status: "created",
      memory: { id, created_at: "2020-02-02T02:02:02.000Z" },
    });
    expect(await store.add({ ...input, memory: "Imported, then edited" })).toMatchObject({
      status: "duplicate",
    });
    await expect(store.add({ ...input, user_id: "other" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(store.add({ user_id: "u", memory: "x", created_at: "yesterday" })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await store.close();
  });

  it("an update to a text the user already has is a CONFLICT and changes nothing", async () => {
    const store = SqliteMemoryStore.open(join(dir(), "conflict.db"));
    await store.add({ user_id: "u", memory: "Uses Go" });
    const { memory } = await store.add({ user_id: "u", memory: "Uses Rust" });
    await expect(store.update(memory!.id, { memory: "uses go" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await store.get(memory!.id))?.memory).toBe("Uses Rust");
    expect((await store.history(memory!.id)).map((e) => e.event)).toEqual(["ADD"]);
    await expect(store.update(memory!.id, {})).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await store.close();
  });
});
