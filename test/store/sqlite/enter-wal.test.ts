import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { enterWal } from "../../../src/store/sqlite/open-database.js";

/**
 * `journal_mode = WAL` does not call SQLite's busy handler: a database still in rollback mode that
 * another process holds a lock on refuses it at once. enterWal waits for the lock instead.
 */
const betterSqlite = createRequire(import.meta.url).resolve("better-sqlite3");

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Another process holding a write lock on `path` until told to let go (then it waits `ms` first). */
async function holder(path: string): Promise<{ release(ms: number): void; done: Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `const D = require(${JSON.stringify(betterSqlite)}); const db = new D(${JSON.stringify(path)});
       db.exec("BEGIN IMMEDIATE"); db.exec("INSERT INTO t VALUES (1)"); process.stdout.write("locked\\n");
       process.stdin.once("data", (d) => setTimeout(() => { db.exec("COMMIT"); db.close(); process.exit(0); }, Number(d)));`,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  return {
    release: (ms) => child.stdin.write(String(ms)),
    done: new Promise((resolve) => child.once("exit", () => resolve())),
  };
}

describe("enterWal", () => {
  it("waits for another process's lock instead of failing at once", async () => {
    dir = mkdtempSync(join(tmpdir(), "mmm-wal-"));
    const path = join(dir, "x.db");
    const setup = new Database(path);
    setup.exec("CREATE TABLE t (x)");
    setup.close();
    const h = await holder(path);
    const db = new Database(path);
    try {
      // What SQLite does by itself: SQLITE_BUSY at once, whatever the busy timeout.
      db.pragma("busy_timeout = 5000");
      expect(() => db.pragma("journal_mode = WAL")).toThrow(/locked/);
      expect(() => enterWal(db, 0)).toThrow(/locked/);
      // Let go in 200 ms: enterWal waits for it (up to 10 s) and the database is in WAL mode.
      h.release(200);
      enterWal(db, 10_000);
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      db.close();
      await h.done;
    }
  });
});
